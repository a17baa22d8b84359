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
	git_odb *odb;
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

/* A tree read as git stores it, its entries indexed in place: the join
 * compares two versions of the same buckets (SPEC 4: some 800 entries
 * each at 200,000 records) entry by entry, and libgit2's parse of a tree
 * into objects costs more than the comparison itself. The raw object
 * stays in the object database's cache, where the writing of the result
 * (repo_tree_create_updated) finds it again. */
typedef struct {
	const char *name;
	size_t len;
	git_object_t type; /* GIT_OBJECT_TREE, _BLOB, or _COMMIT (a submodule) */
	git_oid id;
} raw_entry;

typedef struct {
	git_odb_object *obj;
	raw_entry *e;
	size_t n;
} raw_tree;

static void raw_tree_free(raw_tree *t)
{
	git_odb_object_free(t->obj);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static int raw_tree_read(join_state *s, const git_oid *id, raw_tree *t, const char *path)
{
	const char *what = *path ? path : "the root tree";
	size_t cap = 0;
	int rc;
	memset(t, 0, sizeof(*t));
	if ((rc = git_odb_read(&t->obj, s->odb, id)) < 0)
		return err_git(rc, what);
	if (git_odb_object_type(t->obj) != GIT_OBJECT_TREE) {
		raw_tree_free(t);
		return err_set(C2C_ECORRUPT, "%s is not a tree", what);
	}
	const char *p = git_odb_object_data(t->obj), *end = p + git_odb_object_size(t->obj);
	/* One allocation of the right size (an entry ends with its name's NUL
	 * and a 20-byte id, which may hold NULs too: at most that many). */
	for (const char *q = p; q < end && (q = memchr(q, '\0', (size_t)(end - q))); q += 1 + GIT_OID_RAWSZ)
		cap++;
	if (cap && !(t->e = malloc(cap * sizeof(*t->e)))) {
		raw_tree_free(t);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	while (p < end) {
		unsigned mode = 0;
		const char *q = p;
		while (q < end && *q >= '0' && *q <= '7' && q - p < 7)
			mode = mode * 8 + (unsigned)(*q++ - '0');
		const char *name = q + 1, *nul = q < end && *q == ' ' && q > p ? memchr(name, '\0', (size_t)(end - name)) : NULL;
		if (!nul || nul == name || memchr(name, '/', (size_t)(nul - name)) || end - (nul + 1) < GIT_OID_RAWSZ) {
			raw_tree_free(t);
			return err_set(C2C_ECORRUPT, "%s: a malformed tree entry", what);
		}
		if (t->n == cap) { /* cannot be: the count above is an upper bound */
			raw_tree_free(t);
			return err_set(C2C_ECORRUPT, "%s: a malformed tree", what);
		}
		raw_entry *e = &t->e[t->n++];
		e->name = name;
		e->len = (size_t)(nul - name);
		e->type = mode == 040000 ? GIT_OBJECT_TREE : mode == 0160000 ? GIT_OBJECT_COMMIT : GIT_OBJECT_BLOB;
		git_oid_fromraw(&e->id, (const unsigned char *)nul + 1);
		p = nul + 1 + GIT_OID_RAWSZ;
	}
	return 0;
}


/* Whether T holds an entry named like E but of the other kind (binary
 * search in git's order, T's entries being in it). */
static int raw_other_kind(const raw_tree *t, const raw_entry *e)
{
	int tree = e->type != GIT_OBJECT_TREE;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const raw_entry *x = &t->e[mid];
		int c = repo_entry_order(x->name, x->len, x->type == GIT_OBJECT_TREE, e->name, e->len, tree);
		if (c == 0)
			return x->len == e->len && (x->type == GIT_OBJECT_TREE) == tree;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int join_path(char *buf, size_t size, const char *prefix, const raw_entry *e)
{
	int n = snprintf(buf, size, "%s%s%.*s", prefix, *prefix ? "/" : "", (int)e->len, e->name);
	return n < 0 || (size_t)n >= size ? err_set(C2C_ECORRUPT, "%s/%.*s: path too long", prefix, (int)e->len, e->name)
	                                  : 0;
}

/* Take every blob under the entry E (only on side B) at PATH. */
static int take_all(join_state *s, const raw_entry *e, const char *path)
{
	if (e->type == GIT_OBJECT_BLOB) {
		s->st->taken++;
		return push_update(s, path, &e->id);
	}
	if (e->type != GIT_OBJECT_TREE)
		return err_set(C2C_ECORRUPT, "%s is neither a file nor a directory", path);
	raw_tree t;
	int err = raw_tree_read(s, &e->id, &t, path);
	for (size_t i = 0; i < t.n && err == 0; i++) {
		char sub[1024];
		if ((err = join_path(sub, sizeof(sub), path, &t.e[i])) == 0)
			err = take_all(s, &t.e[i], sub);
	}
	raw_tree_free(&t);
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

/* Both trees' entries are in git's order, so the two sides are walked
 * side by side; an entry whose id is equal on both is not opened. */
static int join_trees(join_state *s, const git_oid *a_id, const git_oid *b_id, const char *prefix)
{
	raw_tree a = {0}, b = {0};
	size_t j = 0;
	int err;
	if ((err = raw_tree_read(s, a_id, &a, prefix)) < 0 || (err = raw_tree_read(s, b_id, &b, prefix)) < 0)
		goto done;
	for (size_t i = 0; i < b.n && err == 0; i++) {
		const raw_entry *eb = &b.e[i], *ea = NULL;
		int bt = eb->type == GIT_OBJECT_TREE, c = -1;
		while (j < a.n && (c = repo_entry_order(a.e[j].name, a.e[j].len, a.e[j].type == GIT_OBJECT_TREE, eb->name,
		                                 eb->len, bt)) < 0)
			j++;
		if (j < a.n && c == 0)
			ea = &a.e[j];
		if (ea && git_oid_equal(&ea->id, &eb->id)) {
			s->st->skipped++;
			continue;
		}
		char path[1024];
		if ((err = join_path(path, sizeof(path), prefix, eb)) < 0)
			break;
		if (!ea && raw_other_kind(&a, eb))
			err = err_set(C2C_ECORRUPT, "%s is a file on one side and a directory on the other", path);
		else if (!ea)
			err = take_all(s, eb, path);
		else if (ea->type == GIT_OBJECT_TREE)
			err = join_trees(s, &ea->id, &eb->id, path);
		else if (ea->type != GIT_OBJECT_BLOB || eb->type != GIT_OBJECT_BLOB)
			err = err_set(C2C_ECORRUPT, "%s is neither a file nor a directory", path);
		else
			err = join_blobs(s, &ea->id, &eb->id, path);
	}
done:
	raw_tree_free(&a);
	raw_tree_free(&b);
	return err;
}

static int cmp_update(const void *x, const void *y)
{
	return strcmp(((const git_tree_update *)x)->path, ((const git_tree_update *)y)->path);
}

int mergetree_join(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out, mergetree_stats *stats)
{
	mergetree_stats local = {0};
	join_state s = {r, NULL, NULL, NULL, 0, 0, stats ? stats : &local};
	git_tree *base = NULL;
	int rc, err;
	if (git_oid_equal(a, b)) {
		git_oid_cpy(out, a);
		return 0;
	}
	if ((rc = git_repository_odb(&s.odb, r)) < 0)
		return err_git(rc, "opening the object database");
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
	git_odb_free(s.odb);
	for (size_t i = 0; i < s.n; i++)
		free(s.paths[i]);
	free(s.paths);
	free(s.u);
	return err;
}

/* ------------------------------------------------------------------ diff */

/* git's order of entries, for libgit2's parsed trees. */
static int entry_order(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	return repo_entry_order(a, strlen(a), git_tree_entry_type(x) == GIT_OBJECT_TREE, b, strlen(b),
	                 git_tree_entry_type(y) == GIT_OBJECT_TREE);
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
