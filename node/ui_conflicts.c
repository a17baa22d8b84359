/* ui_conflicts: the open conflicts, each with its values side by side, and
 * their resolution (as 'c2c resolve'). */
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

/* A line diff of two texts: lines only in A marked -, only in B marked +
 * (a longest common subsequence, for the short texts of a record). */
static void line_diff(ui_req *r, const char *a, const char *b)
{
	const char *la[200], *lb[200];
	size_t na = 0, nb = 0, ka[200], kb[200];
	for (const char *p = a; p && *p && na < 200;) {
		const char *e = strchr(p, '\n');
		la[na] = p;
		ka[na++] = e ? (size_t)(e - p) : strlen(p);
		p = e ? e + 1 : NULL;
	}
	for (const char *p = b; p && *p && nb < 200;) {
		const char *e = strchr(p, '\n');
		lb[nb] = p;
		kb[nb++] = e ? (size_t)(e - p) : strlen(p);
		p = e ? e + 1 : NULL;
	}
	static unsigned short L[201][201];
	for (size_t i = na + 1; i-- > 0;)
		for (size_t j = nb + 1; j-- > 0;) {
			if (i == na || j == nb)
				L[i][j] = 0;
			else if (ka[i] == kb[j] && !memcmp(la[i], lb[j], ka[i]))
				L[i][j] = (unsigned short)(L[i + 1][j + 1] + 1);
			else
				L[i][j] = L[i + 1][j] > L[i][j + 1] ? L[i + 1][j] : L[i][j + 1];
		}
	ui_lit(r, "<pre class=\"diff\" dir=\"auto\">");
	size_t i = 0, j = 0;
	char line[4096];
	while (i < na || j < nb) {
		const char *cls, *s;
		size_t k;
		if (i < na && j < nb && ka[i] == kb[j] && !memcmp(la[i], lb[j], ka[i]))
			cls = "same", s = la[i], k = ka[i], i++, j++;
		else if (j < nb && (i == na || L[i][j + 1] >= L[i + 1][j]))
			cls = "add", s = lb[j], k = kb[j], j++;
		else
			cls = "del", s = la[i], k = ka[i], i++;
		if (k >= sizeof(line))
			k = sizeof(line) - 1;
		memcpy(line, s, k);
		line[k] = '\0';
		ui_printf(r, "<span class=\"%a\">%h%h</span>\n", cls, !strcmp(cls, "add") ? "+ " : !strcmp(cls, "del") ? "- " : "  ",
		          line);
	}
	ui_lit(r, "</pre>");
}

static void conflict_block(ui_req *r, const table_def *t, const char *id, const json_t *rec, const json_t *one)
{
	json_t *fj = json_object_get(one, "field"), *values = json_object_get(one, "values");
	const char *field = json_string_value(fj);
	const field_def *f = field ? store_field(t, field) : NULL;
	json_t *title = json_object_get(rec, "title");
	if (!title)
		title = json_object_get(rec, "name");
	ui_printf(r, "<section class=\"conflict\" id=\"%a-%a\" data-record=\"%a/%a\" data-field=\"%a\">", t->name, id, t->name,
	          id, field ? field : "");
	ui_printf(r, "<h2><a href=\"/records/%u/%u\"><bdi>%h</bdi></a> · %h</h2>", t->name, id,
	          json_is_string(title) ? json_string_value(title) : id,
	          field ? i18n_field(r->lang, t->name, field) : ui_t(r, "deleted on one node, changed on another"));
	ui_lit(r, "<ol class=\"values\">");
	for (size_t i = 0; i < json_array_size(values); i++) {
		json_t *v = json_array_get(values, i);
		json_int_t num = json_integer_value(json_object_get(v, "number"));
		json_t *val = json_object_get(v, "value");
		const char *node = json_string_value(json_object_get(v, "node"));
		const char *time = json_string_value(json_object_get(v, "time"));
		ui_printf(r, "<li value=\"%L\"><div class=\"val\" dir=\"auto\">", (long long)num);
		if (!field)
			ui_printf(r, "%t", num == 1 ? "Keep the record" : "Delete it");
		else if (!val || json_is_null(val))
			ui_printf(r, "<em>%t</em>", "(empty)");
		else if (f && ui_field_long(f))
			ui_printf(r, "<pre>%h</pre>", json_string_value(val));
		else
			ui_value_words(r, t, f, val);
		ui_lit(r, "</div><p class=\"who\">");
		if (num == 1 && field)
			ui_printf(r, "<strong>%t</strong> · ", "standing now");
		if (json_object_get(v, "lamport"))
			ui_printf(r, "%t <code>%h</code>%h%h", "written by node", node ? node : "", time ? ", " : "", time ? time : "");
		else if (field)
			ui_printf(r, "%t", "the line merge of 1 and 2");
		ui_lit(r, "</p>");
		ui_printf(r, "<form method=\"post\" action=\"/conflicts\">");
		ui_csrf_field(r);
		ui_printf(r,
		          "<input type=\"hidden\" name=\"record\" value=\"%a/%a\"><input type=\"hidden\" name=\"field\" "
		          "value=\"%a\"><input type=\"hidden\" name=\"keep\" value=\"%L\"><button type=\"submit\" "
		          "class=\"keep\">%t</button></form></li>",
		          t->name, id, field ? field : "", (long long)num, "Keep this one");
	}
	ui_lit(r, "</ol>");
	if (f && f->type == FT_TEXT && json_array_size(values) >= 2) {
		const char *a = json_string_value(json_object_get(json_array_get(values, 0), "value"));
		const char *b = json_string_value(json_object_get(json_array_get(values, 1), "value"));
		if (a && b && (strchr(a, '\n') || strchr(b, '\n'))) {
			ui_printf(r, "<p>%t</p>", "What differs, line by line (1 against 2):");
			line_diff(r, a, b);
		}
	}
	if (field) {
		char *cur = record_value_text(json_object_get(rec, field));
		ui_printf(r, "<form method=\"post\" action=\"/conflicts\" class=\"typed\">");
		ui_csrf_field(r);
		ui_printf(r, "<input type=\"hidden\" name=\"record\" value=\"%a/%a\"><input type=\"hidden\" name=\"field\" value=\"%a\">",
		          t->name, id, field);
		ui_printf(r, "<label>%t ", "Or type a value:");
		if (f && ui_field_long(f))
			ui_printf(r, "<textarea name=\"value\" rows=\"4\" dir=\"auto\">%h</textarea>", cur ? cur : "");
		else
			ui_printf(r, "<input type=\"text\" name=\"value\" dir=\"auto\" value=\"%a\">", cur ? cur : "");
		ui_printf(r, "</label> <button type=\"submit\">%t</button></form>", "Save this value");
		free(cur);
	}
	ui_lit(r, "</section>\n");
}

typedef struct {
	ui_req *r;
	const table_def *t;
	long long count;
} conflicts_ctx;

/* The conflicts of one record that may hold some. */
static int conflicts_of(const char *id, void *payload)
{
	conflicts_ctx *cc = payload;
	c2c_node *n = cc->r->node;
	json_t *rec = NULL;
	if (store_row_get(n->st, cc->t, id, &rec) == 0 && merge_has_conflicts(rec)) {
		json_t *c = cli_record_conflicts(n, cc->t, id, rec);
		for (size_t k = 0; k < json_array_size(c); k++, cc->count++)
			conflict_block(cc->r, cc->t, id, rec, json_array_get(c, k));
		json_decref(c);
	}
	json_decref(rec);
	return 0;
}

int ui_page_conflicts(ui_req *r)
{
	c2c_node *n = r->node;
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	long long count = 0;
	int err;
	if (!strcmp(r->method, "POST")) {
		const char *rec = ui_post(r, "record"), *field = ui_post(r, "field"), *keep = ui_post(r, "keep"),
		           *value = ui_post(r, "value");
		const table_def *tt = NULL;
		char *id = NULL;
		if (!rec || (err = cli_table_id(n, rec, &tt, &id)) < 0)
			return err_set(C2C_EINVALID, "%s", ui_t(r, "This form is incomplete."));
		if (field && !*field)
			field = NULL;
		char *val = NULL;
		if (value && !keep) {
			val = strdup(value);
			if (val) {
				char *w = val;
				for (const char *p = value; *p; p++)
					if (!(p[0] == '\r' && p[1] == '\n'))
						*w++ = *p;
				*w = '\0';
			}
		}
		err = cli_resolve(n, tt, id, field, keep ? NULL : val ? val : "", keep);
		free(val);
		free(id);
		if (err < 0)
			return err;
		return ui_redirect(r, "/conflicts?resolved=1");
	}
	ui_page_begin(r, ui_t(r, "Conflicts"));
	ui_printf(r, "<h1>%t</h1>\n", "Conflicts");
	if (ui_get(r, "resolved"))
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n", "Resolved. The next sync sends the resolution to the other nodes.");
	ui_printf(r, "<p class=\"hint\">%t</p>\n",
	          "When two people change the same field on two computers before they sync, both values are kept. "
	          "Choose the one that stands, or type a new one.");
	for (size_t i = 0; i < nt; i++) {
		conflicts_ctx cc = {r, &t[i], 0};
		if (store_browse_conflicted(n->st, &t[i], 200, conflicts_of, &cc) < 0)
			err_clear();
		count += cc.count;
	}
	err_clear();
	if (!count)
		ui_printf(r, "<p id=\"no-conflicts\">%t</p>\n", "There is no open conflict.");
	ui_page_end(r);
	return 0;
}
