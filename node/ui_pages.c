/* ui_pages: home, profile, history, conflicts, sync, spreadsheets, report. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/review.h"
#include "c2c/store_browse.h"
#include "c2c/sync.h"
#include "c2c/ui.h"
#include "c2c/write.h"

extern char **environ;

/* ----------------------------------------------------------------- home */
/* Commits of the head that no remote has yet (under refs/c2c/remotes/). */
static long long unsent_commits(c2c_node *n, int *known)
{
	git_revwalk *w = NULL;
	long long count = 0;
	git_oid oid;
	*known = 0;
	if (git_revwalk_new(&w, n->repo) < 0)
		return 0;
	if (git_revwalk_push(w, &n->head) == 0 && git_revwalk_hide_glob(w, "refs/c2c/remotes/*") == 0) {
		/* the genesis commit (no parent) is everyone's: not counted */
		while (git_revwalk_next(&oid, w) == 0 && count < 10000) {
			git_commit *c = NULL;
			if (git_commit_lookup(&c, n->repo, &oid) == 0 && git_commit_parentcount(c) > 0)
				count++;
			git_commit_free(c);
		}
		*known = 1;
	}
	git_revwalk_free(w);
	git_error_clear();
	return count;
}

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
static void profile_grid(ui_req *r)
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

int ui_page_home(ui_req *r)
{
	c2c_node *n = r->node;
	char cityname[128] = "";
	if (n->city) {
		json_t *c = NULL;
		const table_def *ct = store_table(n->st, "cities");
		if (ct && store_row_get(n->st, ct, n->city, &c) == 0 && json_is_string(json_object_get(c, "name")))
			snprintf(cityname, sizeof(cityname), "%s", json_string_value(json_object_get(c, "name")));
		json_decref(c);
		err_clear();
	}
	ui_page_begin(r, ui_t(r, "Home"));
	if (n->city)
		ui_printf(r, "<h1 id=\"city\">%h</h1>\n", cityname[0] ? cityname : n->city);
	else
		ui_printf(r, "<h1 id=\"city\">%t</h1>\n", "Coordination office");
	ui_printf(r, "<dl class=\"facts\"><dt>%t</dt><dd id=\"user\"><bdi>%h &lt;%h&gt;</bdi></dd><dt>%t</dt><dd><code>%h</code></dd>",
	          "You are", n->user_name ? n->user_name : "", n->user_email ? n->user_email : "", "This node", n->node_id);
	/* sync */
	sync_remote *rv = NULL;
	size_t nr = 0;
	sync_remote_list(n, &rv, &nr);
	err_clear();
	ui_printf(r, "<dt>%t</dt><dd id=\"last-sync\">", "Last sync");
	long long last = 0;
	size_t which = 0;
	for (size_t i = 0; i < nr; i++)
		if (rv[i].last_attempt > last)
			last = rv[i].last_attempt, which = i;
	char buf[64];
	if (!nr)
		ui_printf(r, "%t <a href=\"/sync\">%t</a>", "No remote yet.", "Add one");
	else if (!last)
		ui_printf(r, "%t <a href=\"/sync\">%t</a>", "Never.", "Sync now");
	else
	{
		ui_printf(r, "<bdi>%h</bdi> (<bdi>%h</bdi>): <strong>%t</strong> <small class=\"detail\">",
		          ui_when(last, buf, sizeof(buf)), rv[which].name,
		          rv[which].last_ok == rv[which].last_attempt ? "it worked" : "it did not work");
		ui_sync_summary(r, rv[which].last_result ? rv[which].last_result : "");
		ui_printf(r, "</small> <a href=\"/sync\">%t</a>", "Sync now");
	}
	ui_lit(r, "</dd>");
	int known;
	long long unsent = unsent_commits(n, &known);
	ui_printf(r, "<dt>%t</dt><dd id=\"unsent\" data-value=\"%L\">%L</dd>", "Changes not yet sent", unsent, unsent);
	long long conf = node_open_conflicts(n);
	ui_printf(r, "<dt>%t</dt><dd id=\"conflicts\" data-value=\"%L\">", "Open conflicts", conf);
	if (conf)
		ui_printf(r, "<a href=\"/conflicts\">%L</a>", conf);
	else
		ui_printf(r, "%t", "none");
	ui_lit(r, "</dd></dl>\n");
	sync_remote_list_free(rv, nr);

	profile_grid(r);

	/* the tables */
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	ui_printf(r, "<h2>%t</h2>\n<ul class=\"tables\">", "Records");
	for (size_t i = 0; i < nt; i++) {
		/* counted up to a bound: the page's cost does not grow with the node */
		long long c = 0;
		if (store_browse_count_upto(n->st, &t[i], 10000, &c) < 0)
			err_clear();
		ui_printf(r, "<li><a href=\"/records/%u\">%h</a> <span class=\"n\">%L%h</span></li>", t[i].name,
		          i18n_table(r->lang, t[i].name), c, c >= 10000 ? "+" : "");
	}
	ui_lit(r, "</ul>\n");
	err_clear();
	ui_page_end(r);
	return 0;
}

/* -------------------------------------------------------------- profile */
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
		profile_grid(r);
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

/* -------------------------------------------------------------- history */
static const char *trailer_node(const char *msg, char *buf, size_t cap)
{
	const char *p = strstr(msg, "C2C-Node: ");
	if (!p)
		return NULL;
	p += 10;
	size_t k = strcspn(p, "\n");
	if (k >= cap)
		k = cap - 1;
	memcpy(buf, p, k);
	buf[k] = '\0';
	return buf;
}

static void commit_row(ui_req *r, const git_commit *c, const char *fields_changed)
{
	char when[64], node[128], hex[13];
	const git_signature *a = git_commit_author(c);
	const char *msg = git_commit_message(c);
	size_t k = strcspn(msg, "\n");
	char *first = strndup(msg, k);
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	ui_printf(r, "<tr><td><bdi>%h</bdi></td><td><bdi>%h</bdi></td><td><bdi><code>%h</code></bdi></td><td><bdi>%h</bdi></td>",
	          ui_when((long long)a->when.time, when, sizeof(when)), a->name,
	          trailer_node(msg, node, sizeof(node)) ? node : "", first ? first : "");
	if (fields_changed)
		ui_printf(r, "<td>%h</td>", fields_changed);
	ui_printf(r, "<td><code>%h</code></td></tr>\n", hex);
	free(first);
}

int ui_page_history(ui_req *r)
{
	c2c_node *n = r->node;
	git_revwalk *w = NULL;
	long page = ui_get(r, "page") ? atol(ui_get(r, "page")) : 1;
	if (page > 1000000) /* no arithmetic on a page number out of reach */
		page = 1000000;
	long i = 0, shown = 0;
	git_oid oid;
	if (page < 1)
		page = 1;
	if (git_revwalk_new(&w, n->repo) < 0 || git_revwalk_push(w, &n->head) < 0)
		return err_git(-1, "reading the history");
	git_revwalk_sorting(w, GIT_SORT_TIME);
	ui_page_begin(r, ui_t(r, "History"));
	ui_printf(r, "<h1>%t</h1>\n<table class=\"list\"><thead><tr><th>%t</th><th>%t</th><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
	          "History", "When", "Who", "Node", "What", "Commit");
	while (git_revwalk_next(&oid, w) == 0) {
		if (i++ < (page - 1) * 50)
			continue;
		if (shown >= 50)
			break;
		git_commit *c = NULL;
		if (git_commit_lookup(&c, n->repo, &oid) == 0) {
			commit_row(r, c, NULL);
			shown++;
		}
		git_commit_free(c);
	}
	ui_lit(r, "</tbody></table>\n<nav class=\"pages\">");
	if (page > 1)
		ui_printf(r, "<a rel=\"prev\" href=\"/history?page=%L\">%t</a> ", (long long)page - 1, "Previous");
	if (shown == 50)
		ui_printf(r, "<a rel=\"next\" href=\"/history?page=%L\">%t</a>", (long long)page + 1, "Next");
	ui_lit(r, "</nav>\n");
	ui_page_end(r);
	git_revwalk_free(w);
	git_error_clear();
	return 0;
}

static int blob_of(const git_commit *c, const char *path, git_oid *out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int found = 0;
	if (git_commit_tree(&tree, c) == 0 && git_tree_entry_bypath(&e, tree, path) == 0) {
		git_oid_cpy(out, git_tree_entry_id(e));
		found = 1;
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_error_clear();
	return found;
}

static json_t *blob_json(git_repository *repo, const git_oid *id)
{
	git_blob *b = NULL;
	json_t *v = NULL;
	if (git_blob_lookup(&b, repo, id) == 0)
		v = json_loadb(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), 0, NULL);
	git_blob_free(b);
	return v;
}

int ui_record_history(ui_req *r, const table_def *t, const char *id)
{
	c2c_node *n = r->node;
	json_t *rec = NULL;
	char *path = NULL, *tomb = NULL;
	git_revwalk *w = NULL;
	int err;
	if (!record_id_valid(id))
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record."));
	if ((err = store_row_get(n->st, t, id, &rec)) == C2C_ENOTFOUND)
		err = store_tomb_get(n->st, t->name, id, &tomb);
	if (err < 0)
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record."));
	const char *city = NULL;
	json_t *tj = tomb ? json_loads(tomb, 0, NULL) : NULL;
	if (t->city_scope)
		city = json_string_value(json_object_get(rec ? rec : tj, "city"));
	if ((err = record_path(t, city, id, &path)) < 0)
		goto done;
	char title[160];
	snprintf(title, sizeof(title), "%s · %s", id, ui_t(r, "History"));
	ui_page_begin(r, title);
	ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a> · <a href=\"/records/%u/%u\">%h</a></p>\n",
	          t->name, i18n_table(r->lang, t->name), t->name, id, id);
	ui_printf(r, "<h1>%t</h1>\n<table class=\"list\" id=\"record-history\"><thead><tr><th>%t</th><th>%t</th><th>%t</th><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
	          "History of this record", "When", "Who", "Node", "What", "Fields", "Commit");
	git_oid oid;
	if (git_revwalk_new(&w, n->repo) < 0 || git_revwalk_push(w, &n->head) < 0) {
		err = err_git(-1, "reading the history");
		goto done;
	}
	git_revwalk_sorting(w, GIT_SORT_TIME);
	long seen = 0, shown = 0;
	while (git_revwalk_next(&oid, w) == 0 && seen++ < 20000 && shown < 200) {
		git_commit *c = NULL, *p = NULL;
		git_oid mine, theirs;
		if (git_commit_lookup(&c, n->repo, &oid) < 0)
			continue;
		int has = blob_of(c, path, &mine);
		int phas = git_commit_parentcount(c) > 0 && git_commit_parent(&p, c, 0) == 0 && blob_of(p, path, &theirs);
		if (has && (!phas || !git_oid_equal(&mine, &theirs))) {
			/* which fields differ from the first parent's version */
			json_t *a = blob_json(n->repo, &mine), *b = phas ? blob_json(n->repo, &theirs) : NULL;
			ui_buf f = {0};
			const char *k;
			json_t *v;
			json_object_foreach(a, k, v)
			{
				if (!strcmp(k, "_c2c"))
					continue;
				json_t *old = json_object_get(b, k);
				if (!old || !json_equal(old, v)) {
					const char *lbl = i18n_field(r->lang, t->name, k);
					if (f.len)
						ui_buf_add(&f, ", ", 2);
					ui_buf_add(&f, lbl, strlen(lbl));
				}
			}
			json_object_foreach(b, k, v) if (strcmp(k, "_c2c") && !json_object_get(a, k))
			{
				const char *lbl = i18n_field(r->lang, t->name, k);
				if (f.len)
					ui_buf_add(&f, ", ", 2);
				ui_buf_add(&f, lbl, strlen(lbl));
			}
			commit_row(r, c, f.p ? f.p : "");
			free(f.p);
			json_decref(a);
			json_decref(b);
			shown++;
		}
		git_commit_free(p);
		git_commit_free(c);
	}
	ui_lit(r, "</tbody></table>\n");
	ui_page_end(r);
	err = 0;
done:
	git_revwalk_free(w);
	git_error_clear();
	json_decref(rec);
	json_decref(tj);
	free(tomb);
	free(path);
	return err;
}

/* ------------------------------------------------------------ conflicts */
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

/* --------------------------------------------------------- spreadsheets */
/* A value of the preview: as words, a long text cut. */
static void preview_value(ui_req *r, const table_def *t, const char *field, const json_t *v)
{
	const field_def *f = store_field(t, field);
	const char *str = json_string_value(v);
	if (str && strlen(str) > 160 && (!f || f->type == FT_TEXT)) {
		size_t n = 150;
		while (n && ((unsigned char)str[n] & 0xC0) == 0x80)
			n--; /* not inside a character */
		char *cut = malloc(n + 4);
		if (cut) {
			memcpy(cut, str, n);
			memcpy(cut + n, "…", 4);
			ui_printf(r, "%h", cut);
			free(cut);
		}
		return;
	}
	ui_value_words(r, t, f, v);
}

/* The rows a file would add or change, each with its fields old -> new. */
static void preview_rows(ui_req *r, const table_def *t, const json_t *rows, size_t total)
{
	size_t i;
	json_t *row;
	ui_printf(r, "<table class=\"list preview\" id=\"changes\"><thead><tr><th>%t</th><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
	          "Row", "What", "Record", "Fields");
	json_array_foreach(rows, i, row)
	{
		const char *action = json_string_value(json_object_get(row, "action"));
		const char *id = json_string_value(json_object_get(row, "id"));
		long long line = (long long)json_integer_value(json_object_get(row, "row"));
		int add = action && !strcmp(action, "add");
		ui_printf(r, "<tr data-line=\"%L\" data-action=\"%a\"", line, add ? "add" : "change");
		if (!add)
			ui_printf(r, " data-id=\"%a\"", id ? id : "");
		ui_printf(r, "><td>%L</td><td class=\"%a\">%t</td><td>", line, add ? "add" : "change", add ? "new" : "changed");
		if (add)
			ui_printf(r, "<span class=\"meta\">%t</span>", "a new record");
		else
			ui_printf(r, "<a href=\"/records/%u/%u\"><code>%h</code></a>", t->name, id ? id : "", id ? id : "");
		ui_lit(r, "</td><td><dl class=\"diff\">");
		const char *k;
		json_t *d;
		json_object_foreach(json_object_get(row, "diff"), k, d)
		{
			json_t *old = json_array_get(d, 0), *nv = json_array_get(d, 1);
			ui_printf(r, "<dt data-field=\"%a\">%h</dt><dd>", k, i18n_field(r->lang, t->name, k));
			if (!add) {
				ui_lit(r, "<del>");
				if (json_is_null(old))
					ui_printf(r, "<span class=\"meta\">%t</span>", "(empty)");
				else
					preview_value(r, t, k, old);
				ui_printf(r, "</del> %h ", r->rtl ? "←" : "→");
			}
			ui_lit(r, "<ins>");
			if (json_is_null(nv))
				ui_printf(r, "<span class=\"meta\">%t</span>", "(empty)");
			else
				preview_value(r, t, k, nv);
			ui_lit(r, "</ins></dd>");
		}
		ui_lit(r, "</dl></td></tr>\n");
	}
	ui_lit(r, "</tbody></table>\n");
	if (total > json_array_size(rows))
		ui_printf(r, "<p id=\"more-rows\" data-value=\"%Z\">%t %Z</p>\n", total - json_array_size(rows),
		          "and more rows, not shown here:", total - json_array_size(rows));
}

/* A problem's message without the file and row it names (the table has
 * columns for them): "FILE: row 3, column B (status): MSG" -> "MSG". */
static const char *problem_text(const char *msg)
{
	const char *p = msg ? strstr(msg, ": row ") : NULL;
	if (!p)
		return msg;
	p += 6;
	while (*p >= '0' && *p <= '9')
		p++;
	const char *c = strstr(p, ": ");
	return (!strncmp(p, ": ", 2) || !strncmp(p, ", column ", 9)) && c ? c + 2 : msg;
}

int ui_page_import(ui_req *r)
{
	c2c_node *n = r->node;
	const table_def *t;
	json_t *problems = NULL, *rows = NULL;
	FILE *fp = NULL;
	int err;
	if ((err = ui_table_arg(r, r->path + strlen("/import/"), &t)) < 0)
		return err;
	const char *tname = i18n_table(r->lang, t->name);
	char title[160];
	snprintf(title, sizeof(title), "%s · %s", tname, ui_t(r, "Import a spreadsheet"));
	if (!strcmp(r->method, "POST")) {
		const ui_param *file = ui_post_param(r, "file");
		const char *data;
		size_t len = 0;
		int write = ui_post(r, "confirm") != NULL;
		if (write) {
			data = ui_session_upload(r, t->name, &len);
			if (!data)
				return err_set(C2C_EINVALID, "%s", ui_t(r, "Upload the file again: the preview has expired."));
		} else {
			if (!file || !file->len)
				return err_set(C2C_EINVALID, "%s", ui_t(r, "Choose a CSV file first."));
			if ((err = ui_session_keep_upload(r, t->name, file->val, file->len)) < 0)
				return err;
			data = ui_session_upload(r, t->name, &len);
		}
		if (!(fp = fmemopen((void *)data, len, "rb")))
			return err_errno(C2C_EIO, "reading the upload");
		problems = json_array();
		cli_import_result res = {0};
		const char *fname = file && file->filename ? file->filename : "upload.csv";
		err = cli_import_stream(n, t, fp, write ? "spreadsheet" : fname, write, problems, &res);
		fclose(fp);
		rows = res.rows;
		if (err < 0)
			goto done;
		if (write && res.committed) {
			ui_session_drop_upload(r);
			err = ui_redirect(r, "/records/%s?imported=%zu", t->name, res.added + res.changed);
			goto done;
		}
		ui_page_begin(r, title);
		ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a></p>\n<h1>%t</h1>\n", t->name, tname,
		          "Preview of the import");
		size_t np = json_array_size(problems);
		if (np) {
			r->status = 422;
			ui_printf(r, "<p class=\"error\" role=\"alert\">%t %Z</p>\n",
			          "Nothing was written. Correct these rows in the spreadsheet and upload it again. Rows with a problem:", np);
			ui_printf(r, "<table class=\"list\" id=\"problems\"><thead><tr><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
			          "Row", "Column", "Problem");
			for (size_t i = 0; i < np; i++) {
				json_t *p = json_array_get(problems, i);
				const char *hint = json_string_value(json_object_get(p, "hint"));
				const char *msg = problem_text(json_string_value(json_object_get(p, "message")));
				const char *col = json_string_value(json_object_get(p, "column"));
				const char *letter = json_string_value(json_object_get(p, "column_letter"));
				long long line = (long long)json_integer_value(json_object_get(p, "line"));
				ui_printf(r, "<tr data-line=\"%L\"><td>%L</td><td>", line, line);
				if (letter)
					ui_printf(r, "%h ", letter);
				if (col)
					ui_printf(r, "(%h)", strcmp(col, "id") ? i18n_field(r->lang, t->name, col) : "id");
				ui_lit(r, "</td><td>");
				ui_msg(r, msg ? msg : "");
				const field_def *f = col ? store_field(t, col) : NULL;
				if (hint && f && f->nallowed && !strncmp(hint, "allowed: ", 9)) {
					/* the allowed values as the form shows them: words */
					ui_printf(r, "<br><small>%t ", "Allowed values:");
					for (size_t k = 0; k < f->nallowed; k++)
						ui_printf(r, "%h%h", k ? ", " : "", i18n_value(r->lang, t->name, f->name, f->allowed[k]));
					ui_lit(r, "</small>");
				} else if (hint) {
					ui_lit(r, "<br><small>");
					ui_msg(r, hint);
					ui_lit(r, "</small>");
				}
				ui_lit(r, "</td></tr>\n");
			}
			ui_lit(r, "</tbody></table>\n");
		} else {
			ui_printf(r, "<p id=\"preview\" data-added=\"%Z\" data-changed=\"%Z\">%t %Z · %t %Z · %t %Z</p>\n", res.added,
			          res.changed, "To add:", res.added, "To change:", res.changed, "Unchanged:", res.unchanged);
			if (res.added + res.changed) {
				preview_rows(r, t, rows, res.added + res.changed);
				ui_printf(r, "<form method=\"post\" action=\"/import/%a\">", t->name);
				ui_csrf_field(r);
				ui_printf(r, "<input type=\"hidden\" name=\"confirm\" value=\"1\"><button type=\"submit\" class=\"primary\">%t</button></form>\n",
				          "Write these records");
			} else
				ui_printf(r, "<p>%t</p>\n", "This file changes nothing.");
		}
	} else {
		ui_page_begin(r, title);
		ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a></p>\n<h1>%t</h1>\n", t->name, tname,
		          "Import a spreadsheet");
	}
	ui_printf(r, "<form method=\"post\" action=\"/import/%a\" enctype=\"multipart/form-data\" class=\"upload\">", t->name);
	ui_csrf_field(r);
	ui_printf(r, "<label>%t <input type=\"file\" name=\"file\" accept=\".csv,text/csv\"></label> "
	             "<button type=\"submit\">%t</button></form>\n",
	          "CSV file (UTF-8, a header line naming the columns)", "Check the file");
	ui_printf(r, "<p class=\"help\">%t <a href=\"/export/%u.csv\">%t</a></p>\n",
	          "Nothing is written before you see every problem. To start from the current records:", t->name,
	          "Download as CSV");
	ui_page_end(r);
done:
	json_decref(problems);
	json_decref(rows);
	return err;
}

int ui_page_export(ui_req *r)
{
	const char *rest = r->path + strlen("/export/");
	const char *dot = strrchr(rest, '.');
	char name[64];
	const table_def *t;
	char *buf = NULL;
	size_t len = 0;
	int err;
	if (!dot || strcmp(dot, ".csv") || (size_t)(dot - rest) >= sizeof(name))
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such page."));
	memcpy(name, rest, (size_t)(dot - rest));
	name[dot - rest] = '\0';
	if ((err = ui_table_arg(r, name, &t)) < 0)
		return err;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return err_errno(C2C_ENOMEM, "export");
	/* A byte order mark, so that Excel reads the file as UTF-8 (Arabic intact). */
	fputs("\xEF\xBB\xBF", fp);
	err = cli_export_stream(r->node, t, fp);
	if (fclose(fp) != 0 && err == 0)
		err = err_errno(C2C_EIO, "export");
	if (err < 0) {
		free(buf);
		return err;
	}
	r->out.len = 0;
	ui_buf_add(&r->out, buf, len);
	free(buf);
	r->content_type = "text/csv; charset=utf-8";
	size_t dl = strlen(name) + 48;
	if ((r->disposition = malloc(dl)))
		snprintf(r->disposition, dl, "attachment; filename=\"%s.csv\"", name);
	return 0;
}

/* The report is `c2c report --format html` of this node, run as a child
 * once this request has let the node go (the child takes its lock). */
int ui_page_report(ui_req *r)
{
	char exe[4096];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int pfd[2] = {-1, -1}, err = 0, status = 0;
	pid_t pid = 0;
	posix_spawn_file_actions_t fa;
	if (k <= 0)
		return err_errno(C2C_EIO, "finding the c2c program");
	exe[k] = '\0';
	node_close(r->node);
	r->node = NULL;
	if (pipe(pfd) < 0)
		return err_errno(C2C_EIO, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {exe, (char *)"-C", (char *)r->node_dir, (char *)"report", (char *)"--format", (char *)"html", NULL};
	if (posix_spawn(&pid, exe, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return err_errno(C2C_EIO, "running c2c report");
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	ui_buf out = {0};
	char chunk[65536];
	ssize_t got;
	while ((got = read(pfd[0], chunk, sizeof(chunk))) > 0)
		ui_buf_add(&out, chunk, (size_t)got);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.oom || !out.p) {
		free(out.p);
		return err_set(C2C_EFAIL, "%s", ui_t(r, "The report could not be made."));
	}
	free(r->out.p);
	r->out = out;
	r->loose_style = 1; /* the report carries its own <style>; still no script */
	return err;
}

/* --------------------------------------------------------------- verify */
static void verify_finding(const char *what, const char *detail, void *payload)
{
	ui_req *r = payload;
	ui_printf(r, "<tr><td><bdi><code>%h</code></bdi></td><td lang=\"en\"><bdi>%h</bdi></td></tr>\n", what,
	          detail ? detail : "");
}

/* As 'c2c verify': every row against its record file at the head. It reads
 * the whole node, so it runs when asked (?run=1), not on every visit. */
int ui_page_verify(ui_req *r)
{
	ui_page_begin(r, ui_t(r, "Check this node"));
	ui_printf(r, "<h1>%t</h1>\n<p class=\"hint\">%t</p>\n", "Check this node",
	          "Compares every record in the database with its signed history, as 'c2c verify' does. It reads the "
	          "whole node: on a large node it takes a while.");
	if (ui_get(r, "run")) {
		ui_printf(r, "<table class=\"list\" id=\"verify\"><thead><tr><th>%t</th><th>%t</th></tr></thead><tbody>\n",
		          "Where", "Problem");
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
		int found = node_verify(r->node, verify_finding, r);
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
		ui_lit(r, "</tbody></table>\n");
		if (found < 0)
			return found;
		if (found == 0)
			ui_printf(r, "<p class=\"ok\" role=\"status\" id=\"verify-ok\">%t</p>\n",
			          "All is in order: the database equals the history.");
		else
			ui_printf(r, "<p class=\"error\" role=\"alert\" id=\"verify-bad\">%t</p>\n",
			          "The database and the history disagree. Ask the person who looks after this computer to run "
			          "'c2c verify', then 'c2c repair'.");
	}
	ui_printf(r, "<form method=\"get\" action=\"/verify\"><input type=\"hidden\" name=\"run\" value=\"1\">"
	             "<button type=\"submit\" class=\"primary\">%t</button></form>\n",
	          "Check now");
	ui_page_end(r);
	return 0;
}
