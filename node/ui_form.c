/* ui_form: a record's form made from the schema (the tables, types and
 * allowed values of `c2c tables`), and the reading of a posted form into
 * fields for the same checks and write path as `c2c add` and `c2c set`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/store_browse.h"
#include "c2c/ui.h"
#include "c2c/write.h"

/* The name to show for a record of a referenced table. */
static const char *ref_label_column(const table_def *rt)
{
	static const char *const cols[] = {"name", "title", "challenge", NULL};
	for (int i = 0; cols[i]; i++)
		if (store_field(rt, cols[i]))
			return cols[i];
	return NULL;
}

typedef struct {
	ui_req *r;
	const table_def *rt;
	void (*cb)(ui_req *, const char *, const char *, void *);
	void *arg;
} ref_ctx;

static int ref_option(const char *id, const char *label, void *payload)
{
	ref_ctx *c = payload;
	const char *tr = !strcmp(c->rt->name, "themes") ? i18n_tr(c->r->lang, "theme", id) : NULL;
	if (tr && strcmp(tr, id))
		label = tr;
	c->cb(c->r, id, label ? label : id, c->arg);
	return 0;
}

/* Options of a ref field: the referenced table's records (of this city for
 * a city table). CB gets each id and label. */
static void ref_options(ui_req *r, const field_def *f, void (*cb)(ui_req *, const char *, const char *, void *),
                        void *arg)
{
	const table_def *rt = store_table(r->node->st, f->ref);
	if (!rt)
		return;
	ref_ctx c = {r, rt, cb, arg};
	if (store_browse_labels(r->node->st, rt, ref_label_column(rt), r->node->city, 1000, ref_option, &c) < 0)
		err_clear(); /* a form without choices, as before the table existed */
}

static void option_cb(ui_req *r, const char *id, const char *label, void *arg)
{
	const char *cur = arg;
	ui_printf(r, "<option value=\"%a\"", id);
	if (cur && !strcmp(cur, id))
		ui_lit(r, " selected");
	ui_printf(r, ">%h</option>", label);
}

typedef struct {
	const char *name, *cur;
} box_arg;

static void box_cb(ui_req *r, const char *id, const char *label, void *arg)
{
	box_arg *b = arg;
	ui_printf(r, "<label class=\"box\"><input type=\"checkbox\" name=\"%a\" value=\"%a\"", b->name, id);
	if (ui_in_list(b->cur, id))
		ui_lit(r, " checked");
	ui_printf(r, "> %h</label>", label);
}

typedef struct {
	ui_req *r;
	const field_def *f;
	const char *cur;
	int goals; /* shown so far */
} sdg_ctx;

static int sdg_goal(const char *id, int goal, const char *name, void *payload)
{
	sdg_ctx *c = payload;
	ui_req *r = c->r;
	const char *cur = c->cur;
	int nn, nl, any = 0;
	c->goals++;
	const char *tr = id ? i18n_tr(r->lang, "sdg", id) : NULL;
	if (tr && id && strcmp(tr, id))
		name = tr;
	record_sdg_goal(goal, &nn, &nl);
	char code[16];
	for (int k = 1; k <= nn + nl && !any; k++) {
		if (k <= nn)
			snprintf(code, sizeof(code), "%d.%d", goal, k);
		else
			snprintf(code, sizeof(code), "%d.%c", goal, 'a' + (k - nn - 1));
		any = ui_in_list(cur, code);
	}
	ui_printf(r, "<details%h><summary>%d. %h</summary><div class=\"boxes\">", any ? " open" : "", goal,
	          name ? name : "");
	for (int k = 1; k <= nn + nl; k++) {
		if (k <= nn)
			snprintf(code, sizeof(code), "%d.%d", goal, k);
		else
			snprintf(code, sizeof(code), "%d.%c", goal, 'a' + (k - nn - 1));
		ui_printf(r, "<label class=\"box\"><input type=\"checkbox\" name=\"%a\" value=\"%a\"%h> <bdi>%h</bdi></label>",
		          c->f->name, code, ui_in_list(cur, code) ? " checked" : "", code);
	}
	ui_lit(r, "</div></details>");
	return 0;
}

static void sdg_targets(ui_req *r, const field_def *f, const char *cur)
{
	sdg_ctx c = {r, f, cur, 0};
	size_t mark = r->out.len;
	ui_lit(r, "<div class=\"sdgs\">");
	if (store_browse_sdgs(r->node->st, sdg_goal, &c) < 0) {
		err_clear();
		if (!c.goals) { /* no table of SDGs: no widget */
			r->out.len = mark;
			if (r->out.p)
				r->out.p[mark] = '\0';
			return;
		}
	}
	ui_lit(r, "</div>");
}

/* One field of a form: label, widget with what CUR holds (text), and the
 * message beside it when MSG. */
static void form_field(ui_req *r, const table_def *t, const field_def *f, const char *cur, const char *msg,
                       int readonly)
{
	const char *label = i18n_field(r->lang, t->name, f->name);
	int set = f->type == FT_SET;
	ui_printf(r, "<div class=\"field%h\" id=\"field-%a\">", msg ? " invalid" : "", f->name);
	if (set && f->elem != EL_TEXT)
		ui_printf(r, "<fieldset><legend>%h%h</legend>", label, f->required ? " *" : "");
	else
		ui_printf(r, "<label for=\"f-%a\">%h%h</label>", f->name, label, f->required ? " *" : "");
	if (msg)
		ui_printf(r, "<p class=\"msg\" id=\"msg-%a\" role=\"alert\">%h</p>", f->name, msg);
	if (readonly) {
		if (f->type == FT_ENUM && cur && *cur)
			ui_printf(r, "<p class=\"ro\" id=\"f-%a\">%h</p>", f->name, i18n_value(r->lang, t->name, f->name, cur));
		else
			ui_printf(r, "<p class=\"ro\" id=\"f-%a\">%h</p>", f->name, cur ? cur : "");
		ui_lit(r, set && f->elem != EL_TEXT ? "</fieldset></div>" : "</div>");
		return;
	}
	switch (f->type) {
	case FT_TEXT:
		if (ui_field_long(f))
			ui_printf(r, "<textarea id=\"f-%a\" name=\"%a\" rows=\"6\" dir=\"auto\">%h</textarea>", f->name, f->name,
			          cur ? cur : "");
		else
			ui_printf(r, "<input id=\"f-%a\" name=\"%a\" type=\"text\" dir=\"auto\" value=\"%a\">", f->name, f->name,
			          cur ? cur : "");
		break;
	case FT_INT:
		ui_printf(r, "<input id=\"f-%a\" name=\"%a\" type=\"text\" inputmode=\"numeric\" value=\"%a\">", f->name,
		          f->name, cur ? cur : "");
		break;
	case FT_DATE:
		ui_printf(r, "<input id=\"f-%a\" name=\"%a\" type=\"date\" value=\"%a\">", f->name, f->name, cur ? cur : "");
		break;
	case FT_MONTH:
		ui_printf(r, "<input id=\"f-%a\" name=\"%a\" type=\"month\" value=\"%a\">", f->name, f->name, cur ? cur : "");
		break;
	case FT_ENUM: {
		int found = 0;
		ui_printf(r, "<select id=\"f-%a\" name=\"%a\"><option value=\"\">—</option>", f->name, f->name);
		for (size_t i = 0; i < f->nallowed; i++) {
			int sel = cur && !strcmp(cur, f->allowed[i]);
			found |= sel;
			ui_printf(r, "<option value=\"%a\"%h>%h</option>", f->allowed[i], sel ? " selected" : "",
			          i18n_value(r->lang, t->name, f->name, f->allowed[i]));
		}
		if (cur && *cur && !found) /* a value from a newer node: kept */
			ui_printf(r, "<option value=\"%a\" selected>%h</option>", cur, cur);
		ui_lit(r, "</select>");
		break;
	}
	case FT_REF:
		ui_printf(r, "<select id=\"f-%a\" name=\"%a\"><option value=\"\">—</option>", f->name, f->name);
		ref_options(r, f, option_cb, (void *)cur);
		ui_lit(r, "</select>");
		break;
	case FT_SET:
		if (f->elem == EL_ENUM) {
			ui_lit(r, "<div class=\"boxes\">");
			for (size_t i = 0; i < f->nallowed; i++)
				ui_printf(r, "<label class=\"box\"><input type=\"checkbox\" name=\"%a\" value=\"%a\"%h> %h</label>",
				          f->name, f->allowed[i], ui_in_list(cur, f->allowed[i]) ? " checked" : "",
				          i18n_value(r->lang, t->name, f->name, f->allowed[i]));
			ui_lit(r, "</div>");
		} else if (f->elem == EL_REF) {
			box_arg b = {f->name, cur};
			ui_lit(r, "<div class=\"boxes\">");
			ref_options(r, f, box_cb, &b);
			ui_lit(r, "</div>");
		} else if (f->elem == EL_SDG_TARGET) {
			sdg_targets(r, f, cur);
		} else {
			ui_printf(r, "<input id=\"f-%a\" name=\"%a\" type=\"text\" dir=\"auto\" value=\"%a\">", f->name,
			          f->name, cur ? cur : "");
			ui_printf(r, "<p class=\"help\">%t</p>", "Separate the values with commas.");
		}
		break;
	}
	ui_lit(r, set && f->elem != EL_TEXT ? "</fieldset></div>\n" : "</div>\n");
}

/* Fields a form shows: all but a city record's city (the node's city). */
static int form_shows(const table_def *t, const field_def *f)
{
	return !(t->city_scope && !strcmp(f->name, "city"));
}

void ui_form(ui_req *r, const table_def *t, const char *action, const json_t *typed, const json_t *msgs, int is_new,
             int editable)
{
	if (editable)
		ui_printf(r, "<form method=\"post\" action=\"%a\" class=\"record\" novalidate>", action);
	else
		ui_lit(r, "<div class=\"record\">");
	if (editable)
		ui_csrf_field(r);
	if (is_new && !t->city_scope && !t->nnatkey) {
		const char *msg = json_string_value(json_object_get(msgs, "id"));
		ui_printf(r, "<div class=\"field%h\" id=\"field-id\"><label for=\"f-id\">%t</label>", msg ? " invalid" : "", "Id (a short name, e.g. a city's slug)");
		if (msg)
			ui_printf(r, "<p class=\"msg\" id=\"msg-id\" role=\"alert\">%h</p>", msg);
		ui_printf(r, "<input id=\"f-id\" name=\"id\" type=\"text\" dir=\"ltr\" value=\"%a\"></div>\n",
		          json_string_value(json_object_get(typed, "id")) ? json_string_value(json_object_get(typed, "id")) : "");
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const field_def *f = &t->fields[i];
		if (!form_shows(t, f))
			continue;
		const char *cur = json_string_value(json_object_get(typed, f->name));
		const char *msg = json_string_value(json_object_get(msgs, f->name));
		form_field(r, t, f, cur, msg, !editable || (f->immutable && !is_new));
	}
	if (editable)
		ui_printf(r, "<div class=\"actions\"><button type=\"submit\" class=\"primary\">%t</button></div></form>\n",
		          is_new ? "Add" : "Save");
	else
		ui_lit(r, "</div>\n");
}

json_t *ui_form_typed(const table_def *t, const json_t *rec)
{
	json_t *o = json_object();
	for (size_t i = 0; i < t->nfields; i++) {
		json_t *v = json_object_get(rec, t->fields[i].name);
		if (!v || json_is_null(v))
			continue;
		char *s = record_value_text(v);
		if (s)
			json_object_set_new(o, t->fields[i].name, json_string(s));
		free(s);
	}
	return o;
}

/* The page's words for why VALUE does not fit F. */
static const char *field_problem(ui_req *r, const field_def *f)
{
	switch (f->type) {
	case FT_INT: return f->has_min && f->min == 0 ? ui_t(r, "Type a whole number, 0 or more.") : ui_t(r, "Type a whole number.");
	case FT_DATE: return ui_t(r, "Type a date as YYYY-MM-DD.");
	case FT_MONTH: return ui_t(r, "Type a month as YYYY-MM.");
	case FT_ENUM: return ui_t(r, "Choose one of the list.");
	case FT_REF: return ui_t(r, "Choose one of the list.");
	case FT_SET:
		if (f->elem == EL_SDG_TARGET)
			return ui_t(r, "SDG targets are codes such as 10.7 or 16.b.");
		return ui_t(r, "One of these values is not allowed.");
	default: return NULL;
	}
}

static char *trim_copy(const char *s, int keep)
{
	if (keep)
		return strdup(s);
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	char *o = malloc(n + 1);
	if (o) {
		memcpy(o, s, n);
		o[n] = '\0';
	}
	return o;
}

/* Read the posted form of T: *typed (field -> text as typed), *fields
 * (field -> value, for write_add/write_set), *msgs (field -> message).
 * Returns the number of fields refused, or a negative error. */
int ui_form_read(ui_req *r, const table_def *t, const json_t *old, int is_new, json_t **typed, json_t **fields,
                 json_t **msgs)
{
	int bad = 0;
	*typed = json_object();
	*fields = json_object();
	*msgs = json_object();
	if (!*typed || !*fields || !*msgs)
		return ERR_OOM();
	for (size_t i = 0; i < t->nfields; i++) {
		const field_def *f = &t->fields[i];
		if (!form_shows(t, f) || (f->immutable && !is_new))
			continue;
		char *raw = ui_post_joined(r, f->name);
		char *text = raw ? trim_copy(raw, f->type == FT_TEXT) : NULL;
		free(raw);
		if (!text)
			return ERR_OOM();
		/* Text areas send CRLF line ends: the record keeps LF. */
		char *w = text;
		for (const char *p = text; *p; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				*w++ = *p;
		*w = '\0';
		json_object_set_new(*typed, f->name, json_string(text));
		json_t *v = NULL;
		if (!*text && f->required) {
			json_object_set_new(*msgs, f->name, json_string(ui_t(r, "This field is required.")));
			bad++;
		} else if (record_parse_value(r->node->st, t, f, text, &v) < 0) {
			const char *m = field_problem(r, f);
			json_object_set_new(*msgs, f->name, json_string(m ? m : err_msg()));
			err_clear();
			bad++;
		} else if (is_new && json_is_null(v)) {
			json_decref(v); /* an empty field of a new record: not set */
		} else if (!is_new && json_is_null(v) && !json_object_get(old, f->name)) {
			json_decref(v);
		} else {
			json_object_set_new(*fields, f->name, v);
		}
		free(text);
	}
	return bad;
}
