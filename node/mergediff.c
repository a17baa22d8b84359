#include "c2c/mergediff.h"

#include <stdio.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/repo.h"

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
