#include "c2c/mergetree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/repo.h"
#include "c2c/util.h"

/* A subtree of the result taken whole from the second side (the merge-base
 * shortcut of mergetree_join_base). */
typedef struct {
	char *path;
	git_oid id;
} graft;

typedef struct {
	git_repository *r;
	git_odb *odb;
	ARRAY(git_tree_update) u; /* each path malloc'd */
	ARRAY(graft) grafts;      /* in the walk's order: git's order, depth first */
	mergetree_stats *st;
} join_state;

static int push_update(join_state *s, const char *path, const git_oid *id)
{
	git_tree_update u;
	memset(&u, 0, sizeof(u));
	u.action = GIT_TREE_UPDATE_UPSERT;
	u.filemode = GIT_FILEMODE_BLOB;
	git_oid_cpy(&u.id, id);
	CHECK_ALLOC(u.path = strdup(path));
	if (ARRAY_PUSH(&s->u, u) < 0) {
		free((char *)u.path);
		return C2C_ENOMEM;
	}
	return 0;
}

static int push_graft(join_state *s, const char *path, const git_oid *id)
{
	graft g;
	CHECK_ALLOC(g.path = strdup(path));
	git_oid_cpy(&g.id, id);
	if (ARRAY_PUSH(&s->grafts, g) < 0) {
		free(g.path);
		return C2C_ENOMEM;
	}
	s->st->grafted++;
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
	const char *raw; /* the entry as stored: mode, name, id */
	size_t rawlen;
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
		return ERR_OOM();
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
		e->raw = p;
		p = nul + 1 + GIT_OID_RAWSZ;
		e->rawlen = (size_t)(p - e->raw);
	}
	return 0;
}


/* The entry of T named NAME (of LEN bytes), a tree if TREE, by binary
 * search in git's order (T's entries being in it); NULL if none. */
static const raw_entry *raw_find(const raw_tree *t, const char *name, size_t len, int tree)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const raw_entry *x = &t->e[mid];
		int c = repo_entry_order(x->name, x->len, x->type == GIT_OBJECT_TREE, name, len, tree);
		if (c == 0)
			return x->len == len && (x->type == GIT_OBJECT_TREE) == tree ? x : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether T holds an entry named like E but of the other kind. */
static int raw_other_kind(const raw_tree *t, const raw_entry *e)
{
	return raw_find(t, e->name, e->len, e->type != GIT_OBJECT_TREE) != NULL;
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

/* May the subtree at PATH be taken whole from a side by the merge-base
 * shortcut? Not the root nor "network": network/network.json, the one file
 * that is not a record, is joined by its bytes, a rule that is not monotonic
 * (an older version may sort higher), so it stays on the join's own path.
 * Below them, the invariants of incoming.h (I2) admit only records. */
static int graftable(const char *path) { return strcmp(path, "network") != 0; }

/* Both trees' entries are in git's order, so the two sides are walked
 * side by side; an entry whose id is equal on both is not opened. C_ID
 * (NULL: none) is the merge base's tree at PREFIX, read only if a subtree
 * differs: a subtree that one side holds as the base does is the other
 * side's (mergetree.h). */
static int join_trees(join_state *s, const git_oid *a_id, const git_oid *b_id, const git_oid *c_id, const char *prefix)
{
	raw_tree a = {0}, b = {0}, c = {0};
	size_t j = 0;
	int err, c_read = 0;
	if ((err = raw_tree_read(s, a_id, &a, prefix)) < 0 || (err = raw_tree_read(s, b_id, &b, prefix)) < 0)
		goto done;
	for (size_t i = 0; i < b.n && err == 0; i++) {
		const raw_entry *eb = &b.e[i], *ea = NULL;
		int bt = eb->type == GIT_OBJECT_TREE, o = -1;
		while (j < a.n && (o = repo_entry_order(a.e[j].name, a.e[j].len, a.e[j].type == GIT_OBJECT_TREE, eb->name,
		                                        eb->len, bt)) < 0)
			j++;
		if (j < a.n && o == 0)
			ea = &a.e[j];
		if (ea && git_oid_equal(&ea->id, &eb->id)) {
			s->st->skipped++;
			continue;
		}
		char path[1024];
		if ((err = join_path(path, sizeof(path), prefix, eb)) < 0)
			break;
		if (!ea && raw_other_kind(&a, eb)) {
			err = err_set(C2C_ECORRUPT, "%s is a file on one side and a directory on the other", path);
		} else if (!ea) {
			err = take_all(s, eb, path);
		} else if (ea->type == GIT_OBJECT_TREE) {
			const raw_entry *ec = NULL;
			if (c_id && !c_read && (err = raw_tree_read(s, c_id, &c, prefix)) == 0)
				c_read = 1;
			if (c_read)
				ec = raw_find(&c, eb->name, eb->len, 1);
			if (ec && graftable(path) && git_oid_equal(&ec->id, &ea->id))
				err = push_graft(s, path, &eb->id);
			else if (ec && graftable(path) && git_oid_equal(&ec->id, &eb->id))
				s->st->skipped++;
			else if (err == 0)
				err = join_trees(s, &ea->id, &eb->id, ec ? &ec->id : NULL, path);
		} else if (ea->type != GIT_OBJECT_BLOB || eb->type != GIT_OBJECT_BLOB) {
			err = err_set(C2C_ECORRUPT, "%s is neither a file nor a directory", path);
		} else {
			err = join_blobs(s, &ea->id, &eb->id, path);
		}
	}
done:
	raw_tree_free(&a);
	raw_tree_free(&b);
	raw_tree_free(&c);
	return err;
}

static int cmp_update(const void *x, const void *y)
{
	return strcmp(((const git_tree_update *)x)->path, ((const git_tree_update *)y)->path);
}

/* Tree ID with the grafts G[0..n) put in (their paths from OFF on are
 * relative to it), written; *out its id. Only the trees on the grafts'
 * paths are read and written again, every other entry as it is. */
static int graft_at(join_state *s, const git_oid *id, const graft *g, size_t n, size_t off, git_oid *out)
{
	raw_tree t;
	ARRAY(char) buf = {0};
	size_t i = 0;
	int rc, err = raw_tree_read(s, id, &t, "the merged tree");
	for (size_t k = 0; k < t.n && err == 0; k++) {
		const raw_entry *e = &t.e[k];
		size_t m = i;
		while (e->type == GIT_OBJECT_TREE && m < n && !strncmp(g[m].path + off, e->name, e->len) &&
		       (g[m].path[off + e->len] == '/' || !g[m].path[off + e->len]))
			m++;
		if (m == i) {
			if ((err = ARRAY_RESERVE(&buf, buf.n + e->rawlen)) == 0) {
				memcpy(buf.v + buf.n, e->raw, e->rawlen);
				buf.n += e->rawlen;
			}
			continue;
		}
		git_oid sub;
		if (m == i + 1 && !g[i].path[off + e->len])
			git_oid_cpy(&sub, &g[i].id);
		else
			err = graft_at(s, &e->id, g + i, m - i, off + e->len + 1, &sub);
		i = m;
		if (err == 0 && (err = ARRAY_RESERVE(&buf, buf.n + 7 + e->len + GIT_OID_RAWSZ)) == 0) {
			memcpy(buf.v + buf.n, "40000 ", 6);
			memcpy(buf.v + buf.n + 6, e->name, e->len);
			buf.v[buf.n + 6 + e->len] = '\0';
			memcpy(buf.v + buf.n + 7 + e->len, sub.id, GIT_OID_RAWSZ);
			buf.n += 7 + e->len + GIT_OID_RAWSZ;
		}
	}
	if (err == 0 && i < n)
		err = err_set(C2C_ECORRUPT, "%s: not a directory of the merged tree", g[i].path);
	if (err == 0 && (rc = git_odb_write(out, s->odb, buf.v ? buf.v : "", buf.n, GIT_OBJECT_TREE)) < 0)
		err = err_git(rc, "writing the merged tree");
	ARRAY_FREE(&buf);
	raw_tree_free(&t);
	return err;
}

int mergetree_join_base(git_repository *r, const git_oid *base, const git_oid *a, const git_oid *b, git_oid *out,
                        mergetree_stats *stats)
{
	mergetree_stats local = {0};
	join_state s;
	git_tree *at = NULL;
	git_oid cur;
	int rc, err;
	if (git_oid_equal(a, b)) {
		git_oid_cpy(out, a);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.r = r;
	s.st = stats ? stats : &local;
	if ((rc = git_repository_odb(&s.odb, r)) < 0)
		return err_git(rc, "opening the object database");
	if ((err = join_trees(&s, a, b, base, "")) < 0)
		goto done;
	git_oid_cpy(&cur, a);
	if (s.u.n) {
		qsort(s.u.v, s.u.n, sizeof(*s.u.v), cmp_update);
		if ((rc = git_tree_lookup(&at, r, a)) < 0)
			err = err_git(rc, "writing the merged tree");
		else
			err = repo_tree_create_updated(&cur, r, at, s.u.n, s.u.v);
	}
	if (err == 0 && s.grafts.n)
		err = graft_at(&s, &cur, s.grafts.v, s.grafts.n, 0, &cur);
	if (err == 0)
		git_oid_cpy(out, &cur);
done:
	git_tree_free(at);
	git_odb_free(s.odb);
	for (size_t i = 0; i < s.u.n; i++)
		free((char *)s.u.v[i].path);
	for (size_t i = 0; i < s.grafts.n; i++)
		free(s.grafts.v[i].path);
	ARRAY_FREE(&s.u);
	ARRAY_FREE(&s.grafts);
	return err;
}

int mergetree_join(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out, mergetree_stats *stats)
{
	return mergetree_join_base(r, NULL, a, b, out, stats);
}

int mergetree_join_commits(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out,
                           mergetree_stats *stats)
{
	git_oid ta, tb, mb, tc;
	int err, have_base = 0;
	if ((err = repo_commit_tree(r, a, &ta)) < 0 || (err = repo_commit_tree(r, b, &tb)) < 0)
		return err;
	if (git_oid_equal(&ta, &tb)) {
		git_oid_cpy(out, &ta);
		return 0;
	}
	/* No base (unrelated histories), or none to be found (a history cut
	 * short): the join without one, which needs no history. */
	if (git_merge_base(&mb, r, a, b) == 0 && repo_commit_tree(r, &mb, &tc) == 0)
		have_base = 1;
	err_clear();
	git_error_clear();
	return mergetree_join_base(r, have_base ? &tc : NULL, &ta, &tb, out, stats);
}
