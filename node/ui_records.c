/* ui_records: the records' pages: the list of a table (search, filters,
 * sort, pages), one record (its form, review and history), a new record.
 * The forms are node/ui_form.c's. */
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
	err_state refused;
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
			err_save(&refused); /* kept while the page is made */
			problem = refused.msg;
			err = 0;
		}
		r->status = 422;
	} else {
		typed = ui_form_typed(t, rec);
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
	err_state refused;
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
			err_save(&refused); /* kept while the page is made */
			problem = refused.msg;
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
