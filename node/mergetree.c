#include "c2c/mergetree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/repo.h"

typedef struct {
	git_repository *r;
	git_tree_update *u;
	char **paths;
	size_t n, cap;
	mergetree_stats *st;
} join_state;

static int push_update(join_state *s, const char *path, const git_oid *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		git_tree_update *u = realloc(s->u, cap * sizeof(*u));
		char **p = u ? realloc(s->paths, cap * sizeof(*p)) : NULL;
		if (u)
			s->u = u;
		if (!u || !p)
			return err_set(C2C_ENOMEM, "out of memory");
		s->paths = p;
		s->cap = cap;
	}
	if (!(s->paths[s->n] = strdup(path)))
		return err_set(C2C_ENOMEM, "out of memory");
	memset(&s->u[s->n], 0, sizeof(s->u[s->n]));
	s->u[s->n].action = GIT_TREE_UPDATE_UPSERT;
	s->u[s->n].filemode = GIT_FILEMODE_BLOB;
	s->u[s->n].path = s->paths[s->n];
	git_oid_cpy(&s->u[s->n].id, id);
	s->n++;
	return 0;
}

static int read_blob(git_repository *r, const git_oid *id, git_blob **out, const char *path)
{
	int rc = git_blob_lookup(out, r, id);
	return rc < 0 ? err_git(rc, path) : 0;
}

/* Take every blob under the entry E (only on side B) at PATH. */
static int take_all(join_state *s, const git_tree_entry *e, const char *path)
{
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		s->st->taken++;
		return push_update(s, path, git_tree_entry_id(e));
	}
	git_tree *t = NULL;
	int rc = git_tree_lookup(&t, s->r, git_tree_entry_id(e)), err = 0;
	if (rc < 0)
		return err_git(rc, path);
	for (size_t i = 0; i < git_tree_entrycount(t) && err == 0; i++) {
		const git_tree_entry *c = git_tree_entry_byindex(t, i);
		char sub[1024];
		snprintf(sub, sizeof(sub), "%s/%s", path, git_tree_entry_name(c));
		err = take_all(s, c, sub);
	}
	git_tree_free(t);
	return err;
}

/* Join two versions of the file at PATH. Records join by merge_records;
 * any other file (network/network.json) keeps the version whose bytes sort
 * higher, which is as deterministic and order-free as the join. */
static int join_blobs(join_state *s, const git_oid *a, const git_oid *b, const char *path)
{
	git_blob *ba = NULL, *bb = NULL;
	json_t *ra = NULL, *rb = NULL, *rm = NULL;
	char *text = NULL;
	size_t len;
	int err;
	if ((err = read_blob(s->r, a, &ba, path)) < 0 || (err = read_blob(s->r, b, &bb, path)) < 0)
		goto done;
	const char *da = git_blob_rawcontent(ba), *db = git_blob_rawcontent(bb);
	size_t la = (size_t)git_blob_rawsize(ba), lb = (size_t)git_blob_rawsize(bb);
	if ((err = canon_parse(da, la, path, &ra)) < 0 || (err = canon_parse(db, lb, path, &rb)) < 0)
		goto done;
	if (!json_object_get(ra, "_c2c") && !json_object_get(rb, "_c2c")) {
		size_t m = la < lb ? la : lb;
		int c = memcmp(da, db, m);
		if (c < 0 || (c == 0 && la < lb))
			err = push_update(s, path, b);
		goto done;
	}
	if ((err = merge_records(ra, rb, &rm)) < 0) {
		err_prefix("%s: ", path);
		goto done;
	}
	s->st->joined++;
	if (merge_has_conflicts(rm))
		s->st->conflicts++;
	if ((err = canon_dump(rm, &text, &len)) < 0)
		goto done;
	if (len == la && !memcmp(text, da, la))
		goto done; /* A already holds the join */
	git_oid id;
	if ((err = repo_write_blob(s->r, text, len, &id)) == 0)
		err = push_update(s, path, &id);
done:
	free(text);
	json_decref(ra);
	json_decref(rb);
	json_decref(rm);
	git_blob_free(ba);
	git_blob_free(bb);
	return err;
}

/* git's order of entries (a tree's name as if it ended in '/'): both
 * trees' entries are in it, so the two sides are walked side by side. */
static int entry_order(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t al = strlen(a), bl = strlen(b), m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c)
		return c;
	unsigned char ca = al > m ? (unsigned char)a[m] : git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/' : '\0';
	unsigned char cb = bl > m ? (unsigned char)b[m] : git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/' : '\0';
	return ca < cb ? -1 : ca > cb;
}

/* The entry of T at the position *J (moved forward) that sorts with E. */
static const git_tree_entry *match(const git_tree *t, size_t *j, const git_tree_entry *e)
{
	size_t n = t ? git_tree_entrycount(t) : 0;
	while (*j < n && entry_order(git_tree_entry_byindex(t, *j), e) < 0)
		(*j)++;
	const git_tree_entry *x = *j < n ? git_tree_entry_byindex(t, *j) : NULL;
	return x && entry_order(x, e) == 0 ? x : NULL;
}

static int join_trees(join_state *s, const git_oid *a_id, const git_oid *b_id, const char *prefix)
{
	git_tree *a = NULL, *b = NULL;
	size_t j = 0;
	int rc, err = 0;
	if ((rc = git_tree_lookup(&a, s->r, a_id)) < 0 || (rc = git_tree_lookup(&b, s->r, b_id)) < 0) {
		err = err_git(rc, *prefix ? prefix : "reading a tree");
		goto done;
	}
	for (size_t i = 0; i < git_tree_entrycount(b) && err == 0; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		const git_tree_entry *ea = match(a, &j, eb);
		if (ea && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb))) {
			s->st->skipped++;
			continue;
		}
		char path[1024];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", git_tree_entry_name(eb));
		if (!ea && git_tree_entry_byname(a, git_tree_entry_name(eb)))
			err = err_set(C2C_ECORRUPT, "%s is a file on one side and a directory on the other", path);
		else if (!ea)
			err = take_all(s, eb, path);
		else if (git_tree_entry_type(ea) == GIT_OBJECT_TREE)
			err = join_trees(s, git_tree_entry_id(ea), git_tree_entry_id(eb), path);
		else
			err = join_blobs(s, git_tree_entry_id(ea), git_tree_entry_id(eb), path);
	}
done:
	git_tree_free(a);
	git_tree_free(b);
	return err;
}

static int cmp_update(const void *x, const void *y)
{
	return strcmp(((const git_tree_update *)x)->path, ((const git_tree_update *)y)->path);
}

int mergetree_join(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out, mergetree_stats *stats)
{
	mergetree_stats local = {0};
	join_state s = {r, NULL, NULL, 0, 0, stats ? stats : &local};
	git_tree *base = NULL;
	int rc, err;
	if (git_oid_equal(a, b)) {
		git_oid_cpy(out, a);
		return 0;
	}
	if ((err = join_trees(&s, a, b, "")) < 0)
		goto done;
	if (s.n == 0) {
		git_oid_cpy(out, a);
		goto done;
	}
	qsort(s.u, s.n, sizeof(*s.u), cmp_update);
	if ((rc = git_tree_lookup(&base, r, a)) < 0)
		err = err_git(rc, "writing the merged tree");
	else
		err = repo_tree_create_updated(out, r, base, s.n, s.u);
done:
	git_tree_free(base);
	for (size_t i = 0; i < s.n; i++)
		free(s.paths[i]);
	free(s.paths);
	free(s.u);
	return err;
}

/* ------------------------------------------------------------------ diff */

typedef struct {
	git_repository *r;
	mergetree_diff_cb cb;
	void *payload;
} diff_state;

static const git_oid zero_oid;

static int diff_side(diff_state *d, const git_tree_entry *e, const char *path, int is_new)
{
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
		return is_new ? d->cb(path, &zero_oid, git_tree_entry_id(e), d->payload)
		              : d->cb(path, git_tree_entry_id(e), &zero_oid, d->payload);
	git_tree *t = NULL;
	int rc = git_tree_lookup(&t, d->r, git_tree_entry_id(e)), err = 0;
	if (rc < 0)
		return err_git(rc, path);
	for (size_t i = 0; i < git_tree_entrycount(t) && err == 0; i++) {
		char sub[1024];
		snprintf(sub, sizeof(sub), "%s/%s", path, git_tree_entry_name(git_tree_entry_byindex(t, i)));
		err = diff_side(d, git_tree_entry_byindex(t, i), sub, is_new);
	}
	git_tree_free(t);
	return err;
}

static int diff_trees(diff_state *d, git_tree *a, git_tree *b, const char *prefix)
{
	int err = 0, rc;
	size_t j = 0;
	/* Entries of B against A, then entries only A has. */
	for (size_t i = 0; b && i < git_tree_entrycount(b) && err == 0; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		const git_tree_entry *ea = match(a, &j, eb);
		if (ea && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", git_tree_entry_name(eb));
		if (!ea && a && git_tree_entry_byname(a, git_tree_entry_name(eb))) {
			err = err_set(C2C_ECORRUPT, "%s changes between a file and a directory", path);
		} else if (!ea) {
			err = diff_side(d, eb, path, 1);
		} else if (git_tree_entry_type(ea) == GIT_OBJECT_TREE) {
			git_tree *ta = NULL, *tb = NULL;
			if ((rc = git_tree_lookup(&ta, d->r, git_tree_entry_id(ea))) < 0 ||
			    (rc = git_tree_lookup(&tb, d->r, git_tree_entry_id(eb))) < 0)
				err = err_git(rc, path);
			else
				err = diff_trees(d, ta, tb, path);
			git_tree_free(ta);
			git_tree_free(tb);
		} else {
			err = d->cb(path, git_tree_entry_id(ea), git_tree_entry_id(eb), d->payload);
		}
	}
	j = 0;
	for (size_t i = 0; a && i < git_tree_entrycount(a) && err == 0; i++) {
		const git_tree_entry *ea = git_tree_entry_byindex(a, i);
		if (match(b, &j, ea) || (b && git_tree_entry_byname(b, git_tree_entry_name(ea))))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", git_tree_entry_name(ea));
		err = diff_side(d, ea, path, 0);
	}
	return err;
}

int mergetree_diff(git_repository *r, const git_oid *old_tree, const git_oid *new_tree, mergetree_diff_cb cb,
                   void *payload)
{
	diff_state d = {r, cb, payload};
	git_tree *a = NULL, *b = NULL;
	int rc, err;
	if ((old_tree && (rc = git_tree_lookup(&a, r, old_tree)) < 0) || (rc = git_tree_lookup(&b, r, new_tree)) < 0)
		return err_git(rc, "reading a tree");
	err = diff_trees(&d, a, b, "");
	git_tree_free(a);
	git_tree_free(b);
	return err;
}
