/* ui_session: the sessions of the web interface's server (node/ui.c).
 *
 * A session is made by /login (the secret `c2c ui` printed) and named by a
 * cookie; it holds the CSRF token of its forms, the language chosen and the
 * upload of a two-step import. The table is small and fixed: when it is
 * full, the oldest slot is taken again (round robin). The server guards it
 * with a mutex; nothing here locks. */
#ifndef C2C_UI_SESSION_H
#define C2C_UI_SESSION_H

#include <stddef.h>

#include "c2c/ui.h"

#define UI_MAX_SESSIONS 32

struct ui_session {
	char id[65];
	char csrf[65];
	char lang[4];
	char upload_table[64];
	char *upload;
	size_t upload_len;
	int used;
};

typedef struct {
	ui_session v[UI_MAX_SESSIONS];
	unsigned next; /* round robin when the table is full */
} ui_sessions;

/* The session named ID (compared in constant time), or NULL. */
ui_session *ui_session_find(ui_sessions *t, const char *id);
/* A new session with a fresh id and CSRF token, in a free slot or the
 * oldest one; NULL if no random bytes could be had. */
ui_session *ui_session_new(ui_sessions *t);
/* Free what the sessions hold (their uploads). */
void ui_sessions_free(ui_sessions *t);

/* NBYTES (at most 32) random bytes as hex in OUT (2 * NBYTES + 1). */
int ui_random_hex(char *out, size_t nbytes);
/* Compare secrets in time that does not depend on where they differ; an
 * empty or NULL secret matches nothing. */
int ui_secret_eq(const char *a, const char *b);

#endif
