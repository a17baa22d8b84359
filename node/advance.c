/* advance: moving the head to a commit made elsewhere or by a merge
 * (include/c2c/node.h: node_advance), each changed record file's row
 * following it, by the write protocol (intent.c). */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/fault.h"
#include "c2c/i18n.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/node_internal.h"
#include "c2c/record.h"
#include "c2c/rowimage.h"
#include "c2c/util.h"

/* A new record's row, checked and parsed by the incoming checks, waiting
 * to be written with the others of its run. */
typedef struct {
	const table_def *t;
	const row_image *img;
	size_t seq;
	union {
		size_t off; /* in ids, while the run grows */
		const char *p;
	} id;
} pending_row;

typedef struct {
	c2c_node *n;
	node_advance_stats *st;
	long long lamport;
	const row_cache *rows;
	const c2c_progress *progress;
	ARRAY(pending_row) pend; /* new files' rows, in diff order */
	char *ids;               /* their ids, NUL-terminated one after another */
	size_t ids_len, ids_cap;
} advance_state;

/* One more row written or removed: progress every 256. */
static void row_done(advance_state *a)
{
	if (++a->st->records % 256 == 0)
		progress_report(a->progress, N_("writing rows"), a->st->records, 0);
}

/* A row image the incoming checks made: its Lamport time and conflicts. */
static void note_image(advance_state *a, const row_image *img)
{
	if (img->lamport > a->lamport)
		a->lamport = img->lamport;
	if (img->conflicts)
		a->st->conflicts++;
}

/* ID's row written from IMG, its tombstone (if any) gone. */
static int put_image(advance_state *a, const table_def *t, const char *id, const row_image *img)
{
	int err = store_row_put_image(a->n->st, id, img);
	if (err == 0 && (err = store_tomb_delete(a->n->st, t->name, id)) == 0)
		row_done(a);
	return err;
}

static int cmp_pending(const void *a, const void *b)
{
	const pending_row *x = a, *y = b;
	int c = (x->t > y->t) - (x->t < y->t); /* the store's order of tables */
	if (!c)
		c = strcmp(x->id.p, y->id.p);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Write the run of new rows, in table and id order: each table's primary
 * key then grows at its end, where the diff's order (by bucket: a hash of
 * the id) sent every insert to a random page of it (at 200,000 records, a
 * fifth of the rows' time). Nothing else ran between them (any other
 * change writes the run first), and equal ids keep their order, so the
 * rows come out as they would have one by one. The rows go to the store
 * FLUSH_ROWS at a time (several to a statement, store_row_put_images),
 * then their tombstones: none to look for in a table that has none, as in
 * a first sync (nothing here adds one while the run is written). */
#define FLUSH_ROWS 256

static int flush_pending(advance_state *a)
{
	row_put rows[FLUSH_ROWS];
	const table_def *tomb_t = NULL;
	int err = 0, tombs = 0;
	if (!a->pend.n)
		return 0;
	for (size_t i = 0; i < a->pend.n; i++)
		a->pend.v[i].id.p = a->ids + a->pend.v[i].id.off;
	qsort(a->pend.v, a->pend.n, sizeof(*a->pend.v), cmp_pending);
	for (size_t i = 0; i < a->pend.n && err == 0;) {
		size_t k = a->pend.n - i < FLUSH_ROWS ? a->pend.n - i : FLUSH_ROWS;
		const pending_row *p = a->pend.v + i;
		for (size_t j = 0; j < k; j++)
			rows[j] = (row_put){p[j].id.p, p[j].img};
		if ((err = store_row_put_images(a->n->st, rows, k)) < 0)
			break;
		for (size_t j = 0; j < k && err == 0; j++) {
			if (p[j].t != tomb_t) {
				tomb_t = p[j].t;
				if ((tombs = store_tomb_any(a->n->st, tomb_t->name)) < 0)
					err = tombs;
			}
			if (err == 0 && tombs > 0)
				err = store_tomb_delete(a->n->st, tomb_t->name, p[j].id.p);
			if (err == 0)
				row_done(a);
		}
		i += k;
	}
	a->pend.n = 0;
	a->ids_len = 0;
	return err;
}

static int add_pending(advance_state *a, const table_def *t, const char *id, const row_image *img)
{
	size_t l = strlen(id) + 1;
	int err;
	if ((err = util_grow((void **)&a->ids, &a->ids_cap, a->ids_len + l, 1)) < 0)
		return err;
	pending_row r = {.t = t, .img = img, .seq = a->pend.n, .id.off = a->ids_len};
	if (ARRAY_PUSH(&a->pend, r) < 0)
		return ERR_OOM();
	memcpy(a->ids + a->ids_len, id, l);
	a->ids_len += l;
	return 0;
}

/* One changed file: its row (or tombstone) follows the new version. */
static int advance_one(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload)
{
	advance_state *a = payload;
	char table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	git_blob *nb = NULL, *ob = NULL;
	json_t *rec = NULL, *row = NULL;
	char *text = NULL, *tomb = NULL;
	int err = 0, rc;
	if (!strcmp(path, "network/network.json"))
		return 0;
	if ((err = record_parse_path(path, table, id, city)) < 0)
		return err;
	const table_def *t = store_table(a->n->st, table);
	if (!t)
		return 0; /* a table from a newer schema: kept in git, not in rows */
	if (git_oid_is_zero(old_id) && !git_oid_is_zero(new_id)) {
		const row_image *img = row_cache_get(a->rows, new_id, t);
		if (img) { /* a new record, checked and parsed by the incoming checks */
			note_image(a, img);
			return add_pending(a, t, id, img);
		}
	}
	if ((err = flush_pending(a)) < 0) /* before anything reads the rows */
		return err;
	/* The row must still be what the old head says (not edited behind our back). */
	/* Whether the row is there matters only when the file was there (the
	 * row must match it) or goes (row or tombstone to remove): a new
	 * file's row is written whole, and a first sync's are all new. */
	int had_row = git_oid_is_zero(old_id) ? -1 : store_row_exists(a->n->st, table, id);
	if (!git_oid_is_zero(old_id)) {
		if ((rc = git_blob_lookup(&ob, a->n->repo, old_id)) < 0)
			return err_git(rc, path);
		size_t len;
		if (had_row) {
			if ((err = store_row_get(a->n->st, t, id, &row)) < 0 || (err = canon_dump(row, &text, &len)) < 0)
				goto done;
		} else if (store_tomb_get(a->n->st, table, id, &tomb) == 0) {
			text = tomb, tomb = NULL, len = strlen(text);
		} else {
			len = (size_t)-1;
		}
		if (len != (size_t)git_blob_rawsize(ob) || memcmp(text, git_blob_rawcontent(ob), len)) {
			err = err_set(C2C_ECONFLICT, "row %s/%s differs from %s at the head: it was changed behind the "
			              "node's back", table, id, path);
			err_hint("run 'c2c verify' to see the difference, then 'c2c repair'");
			goto done;
		}
		free(text);
		text = NULL;
	}
	if (had_row < 0 && git_oid_is_zero(new_id))
		had_row = store_row_exists(a->n->st, table, id);
	if (git_oid_is_zero(new_id)) {
		if ((err = had_row ? store_row_delete(a->n->st, t, id) : store_tomb_delete(a->n->st, table, id)) == 0)
			row_done(a);
		goto done;
	}
	const row_image *img = row_cache_get(a->rows, new_id, t);
	if (img) { /* checked and parsed by the incoming checks: a live record */
		note_image(a, img);
		err = put_image(a, t, id, img);
		goto done;
	}
	if ((rc = git_blob_lookup(&nb, a->n->repo, new_id)) < 0) {
		err = err_git(rc, path);
		goto done;
	}
	const char *buf = git_blob_rawcontent(nb);
	size_t blen = (size_t)git_blob_rawsize(nb);
	if ((err = canon_parse(buf, blen, path, &rec)) < 0)
		goto done;
	long long l = record_max_lamport(rec);
	if (l > a->lamport)
		a->lamport = l;
	if (merge_is_deleted(rec)) {
		if (had_row < 0)
			had_row = store_row_exists(a->n->st, table, id);
		if (!(text = strndup(buf, blen))) {
			err = ERR_OOM();
			goto done;
		}
		if ((had_row && (err = store_row_delete(a->n->st, t, id)) < 0) ||
		    (err = store_tomb_put(a->n->st, table, id, path, text)) < 0)
			goto done;
	} else {
		if ((err = store_row_put(a->n->st, t, id, rec)) < 0 || (err = store_tomb_delete(a->n->st, table, id)) < 0)
			goto done;
		if (merge_has_conflicts(rec))
			a->st->conflicts++;
	}
	row_done(a);
done:
	free(text);
	free(tomb);
	json_decref(rec);
	json_decref(row);
	git_blob_free(nb);
	git_blob_free(ob);
	return err;
}

int node_advance(c2c_node *n, const git_oid *commit, const char *logmsg, node_advance_stats *stats)
{
	return node_advance_rows(n, commit, logmsg, stats, NULL, NULL);
}

int node_advance_rows(c2c_node *n, const git_oid *commit, const char *logmsg, node_advance_stats *stats,
                      const row_cache *rows, const c2c_progress *progress)
{
	node_advance_stats local = {0, 0};
	advance_state a = {n, stats ? stats : &local, 0, rows, progress, {0}, NULL, 0, 0};
	git_oid old_tree, new_tree;
	char *lam = NULL, buf[32];
	int err;
	if ((err = node_require_head(n, "merge")) < 0)
		return err;
	if (git_oid_equal(commit, &n->head))
		return 0;
	if ((err = repo_commit_tree(n->repo, &n->head, &old_tree)) < 0 ||
	    (err = repo_commit_tree(n->repo, commit, &new_tree)) < 0)
		return err;
	if ((err = store_bulk_write(n->st, 1)) < 0 || (err = node_write_begin(n)) < 0) {
		store_bulk_write(n->st, 0);
		return err;
	}
	fault_point("advance: transaction begun");
	err = mergetree_diff(n->repo, &old_tree, &new_tree, advance_one, &a);
	if (err == 0)
		err = flush_pending(&a);
	ARRAY_FREE(&a.pend);
	free(a.ids);
	if (err < 0)
		goto fail;
	if (a.st->records >= 256)
		progress_report(progress, N_("writing rows"), a.st->records, a.st->records);
	fault_point("advance: rows changed");
	if ((err = store_state_get(n->st, "lamport", &lam)) < 0)
		goto fail;
	if (strtoll(lam, NULL, 10) > a.lamport)
		a.lamport = strtoll(lam, NULL, 10);
	snprintf(buf, sizeof(buf), "%lld", a.lamport);
	if ((err = node_write_record_intent(n, &n->head, commit)) < 0 ||
	    (err = store_state_set(n->st, "lamport", buf)) < 0)
		goto fail;
	fault_point("advance: head recorded, before database commit");
	if ((err = node_write_commit_db(n)) < 0)
		goto fail;
	fault_point("advance: database committed, before ref");
	store_bulk_write(n->st, 0);
	free(lam);
	err = node_write_move_ref(n, logmsg);
	fault_point("advance: ref moved, before the intent is cleared");
	if (err == 0)
		err = node_write_clear_intent(n);
	return err;
fail:
	free(lam);
	node_write_rollback(n);
	store_bulk_write(n->st, 0);
	return err;
}
