/* ui_history: the node's history (its commits) and the history of one
 * record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/ui.h"

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
