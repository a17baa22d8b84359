/* ui_fields: what the pages share about tables and fields: the table a path
 * names, which fields get a text area, a set's values, values as words. */
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/ui.h"

int ui_table_arg(ui_req *r, const char *name, const table_def **out)
{
	*out = name && *name ? store_table(r->node->st, name) : NULL;
	if (!*out)
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such table."));
	return 0;
}

/* A long text gets a text area. */
int ui_field_long(const field_def *f)
{
	static const char *const names[] = {"body", "description", "outcomes", "challenge", "proposed_action",
	                                    "notes", "role", NULL};
	if (f->type != FT_TEXT)
		return 0;
	for (int i = 0; names[i]; i++)
		if (!strcmp(f->name, names[i]))
			return 1;
	return 0;
}

int ui_in_list(const char *csv, const char *value)
{
	size_t n = strlen(value);
	for (const char *p = csv; p && *p;) {
		const char *c = strchr(p, ',');
		size_t k = c ? (size_t)(c - p) : strlen(p);
		if (k == n && !strncmp(p, value, n))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

/* A value for a person: allowed values as words, sets with their words. */
void ui_value_words(ui_req *r, const table_def *t, const field_def *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *e = json_string_value(json_array_get(v, i));
			if (i)
				ui_lit(r, ", ");
			ui_printf(r, "%h", f && f->elem == EL_ENUM ? i18n_value(r->lang, t->name, f->name, e) : e);
		}
		return;
	}
	if (json_is_string(v) && f && f->type == FT_ENUM) {
		ui_printf(r, "%h", i18n_value(r->lang, t->name, f->name, json_string_value(v)));
		return;
	}
	char *s = record_value_text(v);
	ui_printf(r, "%h", s ? s : "");
	free(s);
}
