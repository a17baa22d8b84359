/* ui_profile: the city migration profile: its grid (each section in each
 * language, with the office's reviews) and the page of one section in the
 * four languages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/review.h"
#include "c2c/store_browse.h"
#include "c2c/ui.h"
#include "c2c/write.h"

/* ----------------------------------------------------------------- grid */
typedef struct {
	char status[16];
	long long lamport; /* of the body's last edit */
	int exists, has_body;
	char id[RECORD_ID_MAX + 1];
} cell;

static int lang_col(const char *l)
{
	for (int i = 0; i18n_langs[i]; i++)
		if (!strcmp(i18n_langs[i], l))
			return i;
	return -1;
}

typedef struct {
	cell (*grid)[4];
	const field_def *sf;
} grid_ctx;

static int grid_cell(const store_section_row *row, void *payload)
{
	grid_ctx *g = payload;
	const field_def *sf = g->sf;
	int c = row->lang ? lang_col(row->lang) : -1;
	for (size_t s = 0; s < sf->nallowed && s < 32 && c >= 0; s++) {
		if (!row->section || strcmp(row->section, sf->allowed[s]))
			continue;
		cell *x = &g->grid[s][c];
		x->exists = 1;
		x->has_body = row->has_body;
		x->lamport = row->lamport;
		snprintf(x->status, sizeof(x->status), "%s", row->status ? row->status : "");
		snprintf(x->id, sizeof(x->id), "%s", row->id ? row->id : "");
	}
	return 0;
}

/* The profile grid: each section in each language, its status, a mark
 * where another language's text changed after this one was last edited,
 * and the office's review of it (validated, changes requested, out of
 * date), its comment one click away. */
void ui_profile_grid(ui_req *r)
{
	c2c_node *n = r->node;
	const table_def *t = store_table(n->st, "profile_sections");
	const field_def *sf = t ? store_field(t, "section") : NULL;
	if (!sf || !n->city)
		return;
	cell grid[32][4];
	memset(grid, 0, sizeof(grid));
	grid_ctx gc = {grid, sf};
	if (store_browse_city_sections(n->st, n->city, grid_cell, &gc) < 0)
		err_clear(); /* the grid shows what it has */
	/* the office's reviews of this city's sections, by record id */
	json_t *revs = NULL, *by_id = json_object(), *e;
	size_t ri;
	if (review_list(n->st, n->city, NULL, &revs) < 0)
		err_clear();
	json_array_foreach(revs, ri, e)
	{
		const char *tbl = json_string_value(json_object_get(e, "record_table")),
		           *rid = json_string_value(json_object_get(e, "record_id"));
		if (tbl && rid && !strcmp(tbl, "profile_sections"))
			json_object_set(by_id, rid, e);
	}
	json_decref(revs);
	ui_printf(r, "<h2>%t</h2>\n<table class=\"grid\" id=\"profile-grid\"><thead><tr><th>%t</th>", "City Migration Profile",
	          "Section");
	for (int c = 0; i18n_langs[c]; c++)
		ui_printf(r, "<th lang=\"%a\">%h</th>", i18n_langs[c], i18n_value(r->lang, t->name, "lang", i18n_langs[c]));
	ui_lit(r, "</tr></thead><tbody>\n");
	for (size_t s = 0; s < sf->nallowed && s < 32; s++) {
		const char *sec = sf->allowed[s];
		long long newest = 0;
		for (int c = 0; c < 4; c++)
			if (grid[s][c].has_body && grid[s][c].lamport > newest)
				newest = grid[s][c].lamport;
		ui_printf(r, "<tr><th scope=\"row\"><a href=\"/profile/%u\">%h</a></th>", sec,
		          i18n_value(r->lang, t->name, "section", sec));
		for (int c = 0; i18n_langs[c]; c++) {
			cell *x = &grid[s][c];
			int stale = x->has_body && x->lamport < newest;
			const char *st = !x->exists || !x->has_body ? "missing" : x->status[0] ? x->status : "draft";
			const json_t *rv = x->exists ? json_object_get(by_id, x->id) : NULL;
			ui_printf(r, "<td class=\"st-%a%h\" data-section=\"%a\" data-lang=\"%a\" data-status=\"%a\"", st,
			          stale ? " stale" : "", sec, i18n_langs[c], st);
			if (rv)
				ui_printf(r, " data-review=\"%a\"", ui_review_state(rv));
			ui_lit(r, stale ? " data-stale=\"1\">" : ">");
			if (!strcmp(st, "missing"))
				ui_printf(r, "<a href=\"/profile/%u\">%t</a>", sec, "to write");
			else
				ui_printf(r, "<a href=\"/profile/%u\">%h</a>", sec, i18n_value(r->lang, t->name, "status", st));
			if (stale)
				ui_printf(r, " <span class=\"flag\" title=\"%a\">⚠ %t</span>",
				          ui_t(r, "Another language's version changed after this one was last edited."), "to update");
			ui_review_mark(r, rv);
			ui_lit(r, "</td>");
		}
		ui_lit(r, "</tr>\n");
	}
	ui_lit(r, "</tbody></table>\n");
	json_decref(by_id);
}

/* ------------------------------------------------------------ a section */
int ui_page_profile(ui_req *r)
{
	c2c_node *n = r->node;
	const table_def *t = store_table(n->st, "profile_sections");
	const field_def *sf = t ? store_field(t, "section") : NULL;
	const field_def *stf = t ? store_field(t, "status") : NULL;
	const char *sec = r->path[8] == '/' ? r->path + 9 : "";
	int err = 0;
	node_txn *tx = NULL;
	json_t *msgs = json_object();
	if (!sf || !stf)
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such table."));
	if (!n->city) {
		return ui_redirect(r, "/records/profile_sections");
	}
	if (!*sec) {
		ui_page_begin(r, i18n_table(r->lang, "profile_sections"));
		ui_printf(r, "<h1>%h</h1>\n", i18n_table(r->lang, "profile_sections"));
		ui_profile_grid(r);
		ui_page_end(r);
		json_decref(msgs);
		return 0;
	}
	int known = 0;
	for (size_t i = 0; i < sf->nallowed; i++)
		known |= !strcmp(sf->allowed[i], sec);
	if (!known) {
		json_decref(msgs);
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such section."));
	}
	json_t *recs[4] = {0};
	char *ids[4] = {0};
	for (int c = 0; c < 4; c++) {
		json_t *key = json_pack("{s:s,s:s,s:s}", "city", n->city, "section", sec, "lang", i18n_langs[c]);
		if (record_natural_id(t, key, &ids[c]) == 0 && store_row_get(n->st, t, ids[c], &recs[c]) < 0)
			recs[c] = NULL;
		json_decref(key);
		err_clear();
	}
	const char *typed_body[4] = {0}, *typed_status[4] = {0};
	char *clean[4] = {0};
	if (!strcmp(r->method, "POST")) {
		int changed_any = 0;
		char msg[256];
		size_t m = (size_t)snprintf(msg, sizeof(msg), "profile %s:", sec);
		if ((err = node_txn_begin(&tx, n)) < 0)
			goto done;
		for (int c = 0; c < 4; c++) {
			char kb[16], ks[16];
			snprintf(kb, sizeof(kb), "body_%s", i18n_langs[c]);
			snprintf(ks, sizeof(ks), "status_%s", i18n_langs[c]);
			const char *body = ui_post(r, kb), *status = ui_post(r, ks);
			if (!body)
				continue;
			/* Text areas send CRLF line ends: the record keeps LF. */
			clean[c] = strdup(body);
			if (!clean[c]) {
				err = ERR_OOM();
				goto done;
			}
			char *w = clean[c];
			for (const char *p = body; *p; p++)
				if (!(p[0] == '\r' && p[1] == '\n'))
					*w++ = *p;
			*w = '\0';
			typed_body[c] = clean[c];
			typed_status[c] = status;
			json_t *fields = json_object(), *sv = NULL;
			if (status && *status) {
				if (record_parse_value(n->st, t, stf, status, &sv) < 0) {
					json_object_set_new(msgs, ks, json_string(ui_t(r, "Choose one of the list.")));
					err_clear();
					json_decref(fields);
					continue;
				}
				json_object_set_new(fields, "status", sv);
			}
			if (recs[c]) {
				json_object_set_new(fields, "body", *clean[c] ? json_string(clean[c]) : json_null());
				if (!status || !*status)
					json_object_set_new(fields, "status", json_null());
				int changed = 0;
				err = write_set(tx, n, t, ids[c], fields, &changed);
				if (changed) {
					changed_any = 1;
					m += (size_t)snprintf(msg + m, m < sizeof(msg) ? sizeof(msg) - m : 0, " %s", i18n_langs[c]);
				}
			} else if (*clean[c]) {
				char *nid = NULL;
				json_object_set_new(fields, "section", json_string(sec));
				json_object_set_new(fields, "lang", json_string(i18n_langs[c]));
				json_object_set_new(fields, "body", json_string(clean[c]));
				err = write_add(tx, n, t, NULL, fields, &nid);
				free(nid);
				changed_any = 1;
				m += (size_t)snprintf(msg + m, m < sizeof(msg) ? sizeof(msg) - m : 0, " %s", i18n_langs[c]);
			}
			json_decref(fields);
			if (err < 0)
				goto done;
		}
		if (json_object_size(msgs)) {
			r->status = 422;
			node_txn_abort(tx);
			tx = NULL;
		} else {
			git_oid head;
			if (changed_any) {
				err = node_txn_commit(tx, msg, &head);
				tx = NULL;
				if (err < 0)
					goto done;
			}
			err = ui_redirect(r, "/profile/%s?saved=%d", sec, changed_any);
			goto done;
		}
	}
	const char *secname = i18n_value(r->lang, t->name, "section", sec);
	ui_page_begin(r, secname);
	ui_printf(r, "<p class=\"crumbs\"><a href=\"/profile\">%h</a></p>\n<h1>%h</h1>\n",
	          i18n_table(r->lang, "profile_sections"), secname);
	const char *saved = ui_get(r, "saved");
	if (saved && r->status == 200)
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n", !strcmp(saved, "0") ? "Nothing changed." : "Saved.");
	if (r->status == 422)
		ui_printf(r, "<p class=\"error\" role=\"alert\">%t</p>\n", "Not saved: correct the fields marked below.");
	ui_printf(r, "<form method=\"post\" action=\"/profile/%a\" class=\"profile\" novalidate>", sec);
	ui_csrf_field(r);
	/* a language whose text was last edited before another's: to update */
	long long lam[4] = {0}, newest = 0;
	for (int c = 0; c < 4; c++) {
		json_t *d = json_object_get(json_object_get(json_object_get(recs[c], "_c2c"), "dots"), "body");
		const char *b = json_string_value(json_object_get(recs[c], "body"));
		lam[c] = b && *b ? (long long)json_integer_value(json_array_get(d, 2)) : 0;
		if (lam[c] > newest)
			newest = lam[c];
	}
	ui_lit(r, "<div class=\"langs4\">");
	for (int c = 0; c < 4; c++) {
		const char *l = i18n_langs[c];
		const char *body = typed_body[c] ? typed_body[c] : json_string_value(json_object_get(recs[c], "body"));
		const char *st = typed_status[c] ? typed_status[c] : json_string_value(json_object_get(recs[c], "status"));
		char ks[16];
		snprintf(ks, sizeof(ks), "status_%s", l);
		ui_printf(r, "<section class=\"lang\" lang=\"%a\" dir=\"%a\"><h2>%h</h2>", l, i18n_rtl(l) ? "rtl" : "ltr",
		          i18n_value(r->lang, t->name, "lang", l));
		if (lam[c] && lam[c] < newest)
			ui_printf(r, "<p class=\"flag stale-note\" dir=\"%a\">⚠ %t</p>", r->rtl ? "rtl" : "ltr",
			          "Another language's version changed after this one was last edited.");
		ui_printf(r, "<label for=\"body-%a\" class=\"sr\">%h</label>", l, i18n_field(r->lang, t->name, "body"));
		ui_printf(r, "<textarea id=\"body-%a\" name=\"body_%a\" rows=\"14\" lang=\"%a\" dir=\"%a\">%h</textarea>", l, l,
		          l, i18n_rtl(l) ? "rtl" : "ltr", body ? body : "");
		const char *m = json_string_value(json_object_get(msgs, ks));
		if (m)
			ui_printf(r, "<p class=\"msg\" role=\"alert\">%h</p>", m);
		ui_printf(r, "<label dir=\"%a\">%h <select name=\"status_%a\" id=\"status-%a\"><option value=\"\">—</option>",
		          r->rtl ? "rtl" : "ltr", i18n_field(r->lang, t->name, "status"), l, l);
		for (size_t k = 0; k < stf->nallowed; k++)
			ui_printf(r, "<option value=\"%a\"%h>%h</option>", stf->allowed[k],
			          st && !strcmp(st, stf->allowed[k]) ? " selected" : "",
			          i18n_value(r->lang, t->name, "status", stf->allowed[k]));
		ui_lit(r, "</select></label></section>");
	}
	ui_printf(r, "</div><div class=\"actions\"><button type=\"submit\" class=\"primary\">%t</button></div></form>\n",
	          "Save");
	ui_page_end(r);
done:
	node_txn_abort(tx);
	for (int c = 0; c < 4; c++) {
		json_decref(recs[c]);
		free(ids[c]);
		free(clean[c]);
	}
	json_decref(msgs);
	return err;
}
