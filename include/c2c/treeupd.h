/* treeupd: new trees from a base tree and a list of path updates, written
 * from the raw bytes of the trees on the changed paths. */
#ifndef C2C_TREEUPD_H
#define C2C_TREEUPD_H

#include <git2.h>
#include <stddef.h>

/* git_tree_create_updated's result (U sorted by path; upserts of blobs and
 * removals), built from the raw bytes of the trees on the changed paths:
 * entries no update touches are copied as they are, where libgit2 loads
 * every entry of those trees into a tree builder and sorts them again (a
 * cost that grows with the bucket trees). Odd cases (a file where a
 * directory was, a path twice) go to libgit2. */
int repo_tree_create_updated(git_oid *out, git_repository *r, git_tree *base, size_t n, const git_tree_update *u);

/* git's order of tree entries: names as bytes, a tree's as if it ended
 * in '/' (so "a.json" < "a/" and a blob "a" < a tree "a"): <0, 0, >0. */
int repo_entry_order(const char *a, size_t al, int a_tree, const char *b, size_t bl, int b_tree);

#endif
