/* treeupd: new trees from a base tree and path updates
 * (include/c2c/treeupd.h). */
#include "c2c/treeupd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/pack.h"
#include "c2c/util.h"

static int tbuf_entry(repo_buf *b, const char *mode, const char *name, size_t nl, const git_oid *id)
{
	int err;
	if ((err = repo_buf_put(b, mode, strlen(mode))) < 0 || (err = repo_buf_put(b, " ", 1)) < 0 ||
	    (err = repo_buf_put(b, name, nl)) < 0 || (err = repo_buf_put(b, "", 1)) < 0 ||
	    (err = repo_buf_put(b, id->id, GIT_OID_RAWSZ)) < 0)
		return err;
	return 0;
}

int repo_entry_order(const char *a, size_t al, int a_tree, const char *b, size_t bl, int b_tree)
{
	size_t m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c)
		return c;
	unsigned char ca = al > m ? (unsigned char)a[m] : a_tree ? '/' : '\0';
	unsigned char cb = bl > m ? (unsigned char)b[m] : b_tree ? '/' : '\0';
	return ca < cb ? -1 : ca > cb;
}

#define TREE_FALLBACK 1 /* a case left to git_tree_create_updated */

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* 0 if the names of the serialized tree B are unique, else TREE_FALLBACK. */
static int tree_names_unique(const repo_buf *b)
{
	ARRAY(const char *) v = {0};
	int err = 0;
	for (const unsigned char *p = b->p; p < b->p + b->len;) {
		const unsigned char *sp = memchr(p, ' ', (size_t)(b->p + b->len - p));
		if ((err = ARRAY_PUSH(&v, (const char *)sp + 1)) < 0) {
			ARRAY_FREE(&v);
			return err;
		}
		p = sp + 1 + strlen((const char *)sp + 1) + 1 + GIT_OID_RAWSZ;
	}
	if (v.n)
		qsort(v.v, v.n, sizeof(*v.v), cmp_cstr);
	for (size_t i = 1; i < v.n && !err; i++)
		if (!strcmp(v.v[i - 1], v.v[i]))
			err = TREE_FALLBACK;
	ARRAY_FREE(&v);
	return err;
}

static int tbuf_tree_entry(repo_buf *b, const git_tree_entry *e)
{
	char mode[8];
	const char *name = git_tree_entry_name(e);
	snprintf(mode, sizeof(mode), "%o", (unsigned)git_tree_entry_filemode(e));
	return tbuf_entry(b, mode, name, strlen(name), git_tree_entry_id(e));
}

/* Write BASE (NULL: empty) with U[0..n) applied; each path from OFF on is
 * relative to it, U sorted by path. *OUT zero when the result is empty.
 * BASE is read through the object cache, where a join or a diff of the
 * same trees left it parsed. */
static int tree_update_at(git_repository *r, git_odb *odb, const git_oid *base, const git_tree_update *u, size_t n,
                          size_t off, git_oid *out)
{
	git_tree *bt = NULL;
	repo_buf b = {0};
	size_t i = 0, idx = 0, cnt = 0;
	int err = 0, rc, inserted = 0;
	if (base) {
		if ((rc = git_tree_lookup(&bt, r, base)) < 0)
			return err_git(rc, "reading a tree");
		cnt = git_tree_entrycount(bt);
	}
	while (err == 0 && (idx < cnt || i < n)) {
		const git_tree_entry *e = idx < cnt ? git_tree_entry_byindex(bt, idx) : NULL;
		const char *name = e ? git_tree_entry_name(e) : NULL;
		size_t nl = name ? strlen(name) : 0;
		int e_tree = e && git_tree_entry_type(e) == GIT_OBJECT_TREE;
		/* The next update's first component. */
		const char *un = NULL;
		size_t ul = 0;
		int u_tree = 0;
		if (i < n) {
			un = u[i].path + off;
			const char *slash = strchr(un, '/');
			ul = slash ? (size_t)(slash - un) : strlen(un);
			u_tree = slash != NULL;
		}
		if (name && un && nl == ul && !memcmp(name, un, ul) && e_tree != u_tree) {
			err = TREE_FALLBACK; /* a file where a directory goes, or back */
			break;
		}
		int c = !name ? 1 : !un ? -1 : repo_entry_order(name, nl, e_tree, un, ul, u_tree);
		if (c < 0) { /* a base entry no update touches: as it is */
			err = tbuf_tree_entry(&b, e);
			idx++;
			continue;
		}
		const git_oid *old = c == 0 ? git_tree_entry_id(e) : NULL;
		if (c == 0)
			idx++;
		else
			inserted = 1;
		if (u_tree) {
			size_t j = i;
			while (j < n && !strncmp(u[j].path + off, un, ul) && u[j].path[off + ul] == '/')
				j++;
			git_oid sub;
			if ((err = tree_update_at(r, odb, old, u + i, j - i, off + ul + 1, &sub)) == 0 &&
			    !git_oid_is_zero(&sub))
				err = tbuf_entry(&b, "40000", un, ul, &sub);
			i = j;
		} else {
			if (i + 1 < n && !strcmp(u[i + 1].path, u[i].path)) {
				err = TREE_FALLBACK; /* the same path twice */
				break;
			}
			if (u[i].action == GIT_TREE_UPDATE_UPSERT) {
				char mode[8];
				snprintf(mode, sizeof(mode), "%o", (unsigned)u[i].filemode);
				err = tbuf_entry(&b, mode, un, ul, &u[i].id);
			}
			i++;
		}
	}
	/* A new entry may share its name with one of the other kind far from
	 * it in git's order (a file "a", a tree "a.json", then a tree "a"). */
	if (err == 0 && inserted)
		err = tree_names_unique(&b);
	if (err == 0) {
		if (b.len == 0)
			memset(out, 0, sizeof(*out));
		else if ((rc = git_odb_write(out, odb, b.p, b.len, GIT_OBJECT_TREE)) < 0)
			err = err_git(rc, "writing a tree");
	}
	free(b.p);
	git_tree_free(bt);
	return err;
}

/* BASE (NULL: empty) with the upserts and removals of U (sorted by path)
 * applied, written: the same tree as git_tree_create_updated, but made
 * from the trees on the changed paths, each entry written out as it is
 * unless an update touches it. libgit2 loads every entry of each
 * of those trees into a tree builder (a hash map) and sorts them again, a
 * cost that grows with the bucket trees, so with the repository. */
static int tree_update(git_repository *r, git_tree *base, const git_tree_update *u, size_t n, git_oid *out)
{
	git_odb *odb = NULL;
	int err, rc;
	for (size_t i = 0; i < n; i++)
		if ((u[i].action != GIT_TREE_UPDATE_UPSERT && u[i].action != GIT_TREE_UPDATE_REMOVE) ||
		    (u[i].action == GIT_TREE_UPDATE_UPSERT && u[i].filemode != GIT_FILEMODE_BLOB) || !u[i].path[0] ||
		    u[i].path[0] == '/' || u[i].path[strlen(u[i].path) - 1] == '/' || strstr(u[i].path, "//"))
			goto fallback;
	if ((rc = git_repository_odb(&odb, r)) < 0)
		return err_git(rc, "opening the object database");
	err = tree_update_at(r, odb, base ? git_tree_id(base) : NULL, u, n, 0, out);
	if (err == 0 && git_oid_is_zero(out) && (rc = git_odb_write(out, odb, "", 0, GIT_OBJECT_TREE)) < 0)
		err = err_git(rc, "writing the empty tree");
	git_odb_free(odb);
	if (err != TREE_FALLBACK)
		return err;
fallback:
	err_clear();
	return (rc = git_tree_create_updated(out, r, base, n, u)) < 0 ? err_git(rc, "building the tree") : 0;
}

int repo_tree_create_updated(git_oid *out, git_repository *r, git_tree *base, size_t n, const git_tree_update *u)
{
	return tree_update(r, base, u, n, out);
}
