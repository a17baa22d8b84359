/* ui_params: the parameters of a request (query and form), as the server
 * (node/ui.c) collects them from libmicrohttpd. The pages read them with
 * ui_get/ui_post (c2c/ui.h), which are defined in node/ui_params.c too. */
#ifndef C2C_UI_PARAMS_H
#define C2C_UI_PARAMS_H

#include <stddef.h>

#include "c2c/ui.h"

typedef struct {
	ui_param *v;
	size_t n, cap;
} ui_params;

/* Append KEY=VAL (LEN bytes, kept NUL-terminated; FILENAME for a file field
 * or NULL). Returns 0 or C2C_ENOMEM. */
int ui_params_add(ui_params *p, const char *key, const char *val, size_t len, const char *filename);
/* Append LEN bytes to the value of the last parameter (a value that comes
 * in pieces). Returns 0 or C2C_ENOMEM. */
int ui_params_extend_last(ui_params *p, const char *data, size_t len);
/* The first value of KEY among N parameters V, or NULL. */
const char *ui_params_find(const ui_param *v, size_t n, const char *key);
void ui_params_free(ui_params *p);

#endif
