/* ui_records: lists of a table, one record, new records: forms made from
 * the schema (the tables, types and allowed values of `c2c tables`), saved
 * through the same checks and write path as `c2c add` and `c2c set`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/store_browse.h"
#include "c2c/ui.h"
#include "c2c/write.h"

#define PAGE_SIZE 50
/* A list counts its records up to this many past its page, so that its
 * cost grows with the page, not with the table ("more than N" beyond). */
#define COUNT_AHEAD 5000

/* -------------------------------------------------------------- helpers */
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

/* Is VALUE one of the comma-separated CSV? */
static int in_list(const char *csv, const char *value)
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

/* The name to show for a record of a referenced table. */
static const char *ref_label_column(const table_def *rt)
{
	static const char *const cols[] = {"name", "title", "challenge", NULL};
	for (int i = 0; cols[i]; i++)
		if (store_field(rt, cols[i]))
			return cols[i];
	return NULL;
}

/* Options of a ref field: the referenced table's records (of this city for
 * a city table). CB gets each id and label. */
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
	if (in_list(b->cur, id))
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
		any = in_list(cur, code);
	}
	ui_printf(r, "<details%h><summary>%d. %h</summary><div class=\"boxes\">", any ? " open" : "", goal,
	          name ? name : "");
	for (int k = 1; k <= nn + nl; k++) {
		if (k <= nn)
			snprintf(code, sizeof(code), "%d.%d", goal, k);
		else
			snprintf(code, sizeof(code), "%d.%c", goal, 'a' + (k - nn - 1));
		ui_printf(r, "<label class=\"box\"><input type=\"checkbox\" name=\"%a\" value=\"%a\"%h> <bdi>%h</bdi></label>",
		          c->f->name, code, in_list(cur, code) ? " checked" : "", code);
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
				          f->name, f->allowed[i], in_list(cur, f->allowed[i]) ? " checked" : "",
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

/* The record's values as text for the form. */
static json_t *typed_of(const table_def *t, const json_t *rec)
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

/* ----------------------------------------------------------------- list */
static void list_link(ui_req *r, const table_def *t, const char *q, const json_t *filters, const char *sort, int desc,
                      long page)
{
	ui_printf(r, "/records/%u?", t->name);
	if (q && *q)
		ui_printf(r, "q=%u&amp;", q);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)filters, k, v) ui_printf(r, "%u=%u&amp;", k, json_string_value(v));
	if (sort && *sort)
		ui_printf(r, "sort=%u&amp;", sort);
	if (sort && *sort && desc)
		ui_lit(r, "desc=1&amp;");
	ui_printf(r, "page=%L", (long long)page);
}

/* The field that names a record in a list (its link), or NULL. */
static const field_def *list_label(const table_def *t)
{
	const field_def *f = store_field(t, "title");
	return f ? f : store_field(t, "name");
}

/* Columns a list shows: up to five short fields besides the label. */
static size_t list_columns(const table_def *t, const field_def **cols)
{
	size_t n = 0;
	const field_def *label = list_label(t);
	for (size_t i = 0; i < t->nfields && n < 5; i++) {
		const field_def *f = &t->fields[i];
		if (f == label || (t->city_scope && !strcmp(f->name, "city")) || ui_field_long(f) ||
		    (f->type == FT_SET && f->elem == EL_SDG_TARGET) || !strcmp(f->name, "pubkey"))
			continue;
		cols[n++] = f;
	}
	return n;
}

typedef struct {
	ui_req *r;
	const table_def *t;
	const field_def *const *cols;
	size_t ncols;
} list_ctx;

/* One row of the list. */
static int list_row(const char *id, const char *label, const char *const *vals, int conflict, void *payload)
{
	list_ctx *c = payload;
	ui_req *r = c->r;
	const table_def *t = c->t;
	ui_printf(r, "<tr><td><a href=\"/records/%u/%u\"><bdi>%h</bdi></a>", t->name, id, label ? label : id);
	ui_lit(r, conflict ? " <span class=\"flag\">⚠</span></td>" : "</td>");
	for (size_t i = 0; i < c->ncols; i++) {
		const field_def *f = c->cols[i];
		const char *txt = vals[i];
		ui_lit(r, "<td>");
		if (!txt) {
		} else if (f->type == FT_SET) {
			json_t *arr = json_loads(txt, 0, NULL);
			ui_value_words(r, t, f, arr);
			json_decref(arr);
		} else if (f->type == FT_INT) {
			ui_printf(r, "%h", txt);
		} else if (f->type == FT_ENUM) {
			ui_printf(r, "%h", i18n_value(r->lang, t->name, f->name, txt));
		} else {
			/* at most 80 bytes, cut at a character's start */
			char cut[84];
			size_t n = strlen(txt);
			if (n > 80) {
				n = 80;
				while (n && ((unsigned char)txt[n] & 0xC0) == 0x80)
					n--;
				memcpy(cut, txt, n);
				strcpy(cut + n, "…");
				ui_printf(r, "<bdi>%h</bdi>", cut);
			} else
				ui_printf(r, "<bdi>%h</bdi>", txt);
		}
		ui_lit(r, "</td>");
	}
	ui_lit(r, "</tr>\n");
	return 0;
}

static int page_list(ui_req *r, const table_def *t)
{
	const field_def *cols[5];
	size_t ncols = list_columns(t, cols);
	const char *qs = ui_get(r, "q"), *sort = ui_get(r, "sort");
	int desc = ui_get(r, "desc") != NULL;
	long page = ui_get(r, "page") ? atol(ui_get(r, "page")) : 1;
	if (page > 1000000) /* no arithmetic on a page number out of reach */
		page = 1000000;
	json_t *filters = json_object();
	long long total = 0;
	int err = 0;
	if (!filters)
		return ERR_OOM();
	if (page < 1)
		page = 1;
	if (sort && !store_field(t, sort))
		sort = NULL;
	for (size_t i = 0; i < t->nfields; i++) {
		const field_def *f = &t->fields[i];
		const char *v = ui_get(r, f->name);
		if (!v || !*v || (f->type != FT_ENUM && !(f->type == FT_SET && f->elem != EL_TEXT) && f->type != FT_REF))
			continue;
		if (json_object_set_new(filters, f->name, json_string_nocheck(v)) < 0) {
			err = ERR_OOM();
			goto done;
		}
	}
	store_browse_query bq = {qs, filters, sort, desc};
	long long cap = (long long)(page - 1) * PAGE_SIZE + COUNT_AHEAD;
	if ((err = store_browse_count(r->node->st, t, &bq, cap, &total)) < 0)
		goto done;
	const char *tname = i18n_table(r->lang, t->name);
	ui_page_begin(r, tname);
	ui_printf(r, "<h1>%h</h1>\n<p class=\"tools\">", tname);
	if (t->city_scope == (r->node->city != NULL))
		ui_printf(r, "<a class=\"button primary\" href=\"/new/%u\">%t</a> <a class=\"button\" href=\"/import/%u\">%t</a> ",
		          t->name, "New", t->name, "Import a spreadsheet");
	ui_printf(r, "<a class=\"button\" href=\"/export/%u.csv\">%t</a></p>\n", t->name, "Download as CSV");
	/* search and filters */
	ui_printf(r, "<form method=\"get\" action=\"/records/%a\" class=\"filters\" role=\"search\">", t->name);
	ui_printf(r, "<label>%t <input type=\"search\" name=\"q\" value=\"%a\" dir=\"auto\"></label>", "Search",
	          qs ? qs : "");
	for (size_t i = 0; i < t->nfields; i++) {
		const field_def *f = &t->fields[i];
		if (f->type != FT_ENUM && !(f->type == FT_SET && f->elem == EL_ENUM))
			continue;
		const char *cur = ui_get(r, f->name);
		ui_printf(r, "<label>%h <select name=\"%a\"><option value=\"\">%t</option>",
		          i18n_field(r->lang, t->name, f->name), f->name, "all");
		for (size_t k = 0; k < f->nallowed; k++)
			ui_printf(r, "<option value=\"%a\"%h>%h</option>", f->allowed[k],
			          cur && !strcmp(cur, f->allowed[k]) ? " selected" : "",
			          i18n_value(r->lang, t->name, f->name, f->allowed[k]));
		ui_lit(r, "</select></label>");
	}
	if (sort)
		ui_printf(r, "<input type=\"hidden\" name=\"sort\" value=\"%a\">", sort);
	ui_printf(r, "<button type=\"submit\">%t</button></form>\n", "Show");

	if (ui_get(r, "deleted"))
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n", "The record was deleted; its history is kept.");
	if (ui_get(r, "imported"))
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n", "The spreadsheet was imported in one commit.");
	int capped = total >= cap;
	if (capped)
		ui_printf(r, "<p class=\"count\" id=\"count\" data-more=\"%L\">%t %L %t</p>\n", total, "more than", total,
		          "records");
	else
		ui_printf(r, "<p class=\"count\" id=\"count\" data-value=\"%L\">%L %t</p>\n", total, total, "records");
	ui_lit(r, "<table class=\"list\"><thead><tr><th>");
	ui_printf(r, "%t</th>", "Record");
	for (size_t i = 0; i < ncols; i++) {
		int this = sort && !strcmp(sort, cols[i]->name);
		ui_printf(r, "<th><a href=\"/records/%u?sort=%u", t->name, cols[i]->name);
		if (this && !desc)
			ui_lit(r, "&amp;desc=1");
		if (qs && *qs)
			ui_printf(r, "&amp;q=%u", qs);
		const char *key;
		json_t *val;
		json_object_foreach(filters, key, val) ui_printf(r, "&amp;%u=%u", key, json_string_value(val));
		ui_printf(r, "\">%h%h</a></th>", i18n_field(r->lang, t->name, cols[i]->name),
		          this ? (desc ? " ▼" : " ▲") : "");
	}
	ui_lit(r, "</tr></thead>\n<tbody>\n");
	list_ctx lc = {r, t, cols, ncols};
	if ((err = store_browse_rows(r->node->st, t, &bq, list_label(t), cols, ncols, (long long)(page - 1) * PAGE_SIZE,
	                             PAGE_SIZE, list_row, &lc)) != 0)
		goto done;
	ui_lit(r, "</tbody></table>\n");
	long long pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > 1) {
		ui_printf(r, "<nav class=\"pages\" aria-label=\"%t\">", "Pages");
		if (page > 1) {
			ui_printf(r, "<a rel=\"prev\" href=\"");
			list_link(r, t, qs, filters, sort, desc, page - 1);
			ui_printf(r, "\">%t</a> ", "Previous");
		}
		if (capped)
			ui_printf(r, "<span>%t %L</span>", "Page", (long long)page);
		else
			ui_printf(r, "<span>%t %L / %L</span>", "Page", (long long)page, pages);
		if (page < pages) {
			ui_printf(r, " <a rel=\"next\" href=\"");
			list_link(r, t, qs, filters, sort, desc, page + 1);
			ui_printf(r, "\">%t</a>", "Next");
		}
		ui_lit(r, "</nav>\n");
	}
	ui_page_end(r);
done:
	json_decref(filters);
	return err;
}

/* --------------------------------------------------------------- record */
static void record_conflict_note(ui_req *r, const table_def *t, const char *id, const json_t *rec)
{
	if (!merge_has_conflicts(rec))
		return;
	ui_printf(r, "<p class=\"warn\" role=\"status\">%t <a href=\"/conflicts#%a-%a\">%t</a></p>\n",
	          "Two people changed this record at the same time.", t->name, id, "Resolve the conflict");
}

static int page_record(ui_req *r, const table_def *t, const char *id)
{
	json_t *rec = NULL, *typed = NULL, *fields = NULL, *msgs = NULL;
	node_txn *tx = NULL;
	char *action = NULL;
	int err;
	if (!record_id_valid(id))
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record."));
	err = store_row_get(r->node->st, t, id, &rec);
	if (err == C2C_ENOTFOUND) {
		err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record (it may have been deleted)."));
		goto done;
	}
	if (err < 0)
		goto done;
	const char *city = t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
	int editable = write_check_scope(r->node, t, city) == 0;
	err_clear();
	size_t alen = strlen(t->name) + strlen(id) + 16;
	if (!(action = malloc(alen))) {
		err = ERR_OOM();
		goto done;
	}
	snprintf(action, alen, "/records/%s/%s", t->name, id);
	const char *problem = NULL;
	if (!strcmp(r->method, "POST")) {
		if (!editable) {
			err = err_set(C2C_EAUTH, "%s", ui_t(r, "This node may not change this record."));
			goto done;
		}
		if (ui_post(r, "delete")) {
			/* as 'c2c rm TABLE/ID': one record, one commit, a tombstone */
			char msg[256];
			git_oid head;
			snprintf(msg, sizeof(msg), "rm %s/%s", t->name, id);
			if ((err = node_txn_begin(&tx, r->node)) < 0 || (err = write_rm(tx, r->node, t, id)) < 0)
				goto done;
			err = node_txn_commit(tx, msg, &head);
			tx = NULL;
			if (err == 0)
				err = ui_redirect(r, "/records/%s?deleted=1", t->name);
			goto done;
		}
		int bad = ui_form_read(r, t, rec, 0, &typed, &fields, &msgs);
		if (bad < 0) {
			err = bad;
			goto done;
		}
		if (bad == 0) {
			int changed = 0;
			if ((err = node_txn_begin(&tx, r->node)) == 0 &&
			    (err = write_set(tx, r->node, t, id, fields, &changed)) == 0) {
				if (changed) {
					char msg[512];
					size_t m = (size_t)snprintf(msg, sizeof(msg), "set %s/%s:", t->name, id);
					const char *k;
					json_t *v;
					json_object_foreach(fields, k, v)
					{
						json_t *old = json_object_get(rec, k);
						if (m < sizeof(msg) && !(old ? json_equal(old, v) : json_is_null(v)))
							m += (size_t)snprintf(msg + m, sizeof(msg) - m, " %s", k);
					}
					git_oid head;
					err = node_txn_commit(tx, msg, &head);
					tx = NULL;
				}
			}
			if (err == 0) {
				err = ui_redirect(r, "/records/%s/%s?saved=%d", t->name, id, changed);
				goto done;
			}
			if (err != C2C_EINVALID && err != C2C_EAUTH && err != C2C_ECONFLICT)
				goto done;
			problem = err_msg();
			err = 0;
		}
		r->status = 422;
	} else {
		typed = typed_of(t, rec);
	}
	char title[160];
	snprintf(title, sizeof(title), "%s · %s", i18n_table(r->lang, t->name), id);
	ui_page_begin(r, title);
	ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a></p>\n", t->name, i18n_table(r->lang, t->name));
	json_t *label = json_object_get(rec, "title");
	if (!label)
		label = json_object_get(rec, "name");
	ui_printf(r, "<h1><bdi>%h</bdi></h1>\n", json_is_string(label) ? json_string_value(label) : id);
	ui_printf(r, "<p class=\"meta\">%h · <a href=\"/records/%u/%u/history\">%t</a></p>\n", id, t->name, id,
	          "History of this record");
	const char *saved = ui_get(r, "saved");
	if (saved && r->status == 200)
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n",
		          !strcmp(saved, "0") ? "Nothing changed: the record already had these values." : "Saved.");
	if (r->status == 422)
		ui_printf(r, "<p class=\"error\" role=\"alert\">%t%h%h</p>\n", "Not saved: correct the fields marked below.",
		          problem ? " " : "", problem ? problem : "");
	record_conflict_note(r, t, id, rec);
	if (!editable)
		ui_printf(r, "<p class=\"hint\">%t</p>\n", "This node may read this record but not change it.");
	ui_form(r, t, action, typed, msgs, 0, editable);
	if ((err = ui_review_box(r, t, id)) < 0)
		goto done;
	if (editable) {
		ui_printf(r, "<form method=\"post\" action=\"%a\" class=\"delete\" data-confirm=\"%a\">", action,
		          ui_t(r, "Delete this record? Its history is kept."));
		ui_csrf_field(r);
		ui_printf(r, "<input type=\"hidden\" name=\"delete\" value=\"1\"><button type=\"submit\" class=\"danger\">%t</button></form>\n",
		          "Delete this record");
	}
	ui_page_end(r);
done:
	node_txn_abort(tx);
	free(action);
	json_decref(rec);
	json_decref(typed);
	json_decref(fields);
	json_decref(msgs);
	return err;
}

int ui_page_records(ui_req *r)
{
	const char *rest = r->path + strlen("/records/");
	char name[64];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	const table_def *t;
	int err;
	if (n >= sizeof(name))
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such table."));
	memcpy(name, rest, n);
	name[n] = '\0';
	if ((err = ui_table_arg(r, name, &t)) < 0)
		return err;
	if (!slash || !slash[1]) {
		if (!strcmp(r->method, "POST"))
			return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such page."));
		return page_list(r, t);
	}
	const char *id = slash + 1;
	const char *hist = strstr(id, "/history");
	if (hist && !strcmp(hist, "/history")) {
		char idbuf[RECORD_ID_MAX + 1];
		size_t k = (size_t)(hist - id);
		if (k > RECORD_ID_MAX)
			return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record."));
		memcpy(idbuf, id, k);
		idbuf[k] = '\0';
		return ui_record_history(r, t, idbuf);
	}
	const char *rev = strstr(id, "/review");
	if (rev && !strcmp(rev, "/review")) {
		char idbuf[RECORD_ID_MAX + 1];
		size_t k = (size_t)(rev - id);
		if (k > RECORD_ID_MAX)
			return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record."));
		memcpy(idbuf, id, k);
		idbuf[k] = '\0';
		if (!record_id_valid(idbuf))
			return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record."));
		return ui_review_post(r, t, idbuf);
	}
	return page_record(r, t, id);
}

/* ------------------------------------------------------------------ new */
int ui_page_new(ui_req *r)
{
	const table_def *t;
	json_t *typed = NULL, *fields = NULL, *msgs = NULL;
	node_txn *tx = NULL;
	char *id = NULL;
	int err;
	if ((err = ui_table_arg(r, r->path + strlen("/new/"), &t)) < 0)
		return err;
	char action[96];
	snprintf(action, sizeof(action), "/new/%s", t->name);
	const char *problem = NULL, *given_id = NULL;
	if (!strcmp(r->method, "POST")) {
		int bad = ui_form_read(r, t, NULL, 1, &typed, &fields, &msgs);
		if (bad >= 0 && !t->city_scope && !t->nnatkey) {
			/* a network record's id is its slug ('c2c add --id') */
			const char *g = ui_post(r, "id");
			json_object_set_new(typed, "id", json_string(g ? g : ""));
			if (g && *g && !record_id_valid(g)) {
				json_object_set_new(msgs, "id", json_string(ui_t(r, "Lower-case letters, digits, '.', '_' and '-' only.")));
				bad++;
			} else if (g && *g)
				given_id = g;
		}
		if (bad < 0) {
			err = bad;
			goto done;
		}
		if (bad == 0) {
			if ((err = node_txn_begin(&tx, r->node)) == 0 &&
			    (err = write_add(tx, r->node, t, given_id, fields, &id)) == 0) {
				char msg[256];
				git_oid head;
				snprintf(msg, sizeof(msg), "add %s/%s", t->name, id);
				err = node_txn_commit(tx, msg, &head);
				tx = NULL;
			}
			if (err == 0) {
				err = ui_redirect(r, "/records/%s/%s?saved=1", t->name, id);
				goto done;
			}
			if (err != C2C_EINVALID && err != C2C_EAUTH && err != C2C_ECONFLICT)
				goto done;
			problem = err_msg();
			err = 0;
		}
		r->status = 422;
	} else {
		typed = json_object();
		/* ?FIELD=VALUE prefills (the profile grid's links) */
		for (size_t i = 0; i < r->nget; i++)
			if (store_field(t, r->get[i].key))
				json_object_set_new(typed, r->get[i].key, json_string(r->get[i].val));
	}
	char title[160];
	snprintf(title, sizeof(title), "%s · %s", i18n_table(r->lang, t->name), ui_t(r, "New"));
	ui_page_begin(r, title);
	ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a></p>\n<h1>%t</h1>\n", t->name,
	          i18n_table(r->lang, t->name), "New record");
	if (r->status == 422)
		ui_printf(r, "<p class=\"error\" role=\"alert\">%t%h%h</p>\n", "Not saved: correct the fields marked below.",
		          problem ? " " : "", problem ? problem : "");
	ui_form(r, t, action, typed, msgs, 1, 1);
	ui_page_end(r);
done:
	node_txn_abort(tx);
	free(id);
	json_decref(typed);
	json_decref(fields);
	json_decref(msgs);
	return err;
}
