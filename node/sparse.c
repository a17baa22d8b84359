/* sparse: the objects a receiver lacks, by git's "sparse" walk
 * (include/c2c/sparse.h).
 *
 * libgit2's calls answer its own codes, the ADD callback ours: each
 * libgit2 failure is turned into ours where it happens (err_git), so that
 * an error of ADD goes up unchanged, with its message. */
#include "c2c/sparse.h"

#include <stdlib.h>

#include "c2c/err.h"

#define WHAT "listing the objects the other side lacks"

typedef struct {
	int (*add)(const git_oid *, const git_oid *, void *);
	void *payload;
} sparse_out;

/* Give O_->add what the tree NEW_ holds and none of the trees OLDS (the
 * same path in each parent: NULL where a parent has none) holds at the same
 * path, opening only subtrees whose ids differ from every parent's. The
 * delta base of an object is its version in the first parent that has
 * one. */
static int pack_tree_diff(const sparse_out *o_, git_repository *src, const git_oid *const *olds, size_t nold,
                          const git_oid *new_)
{
	git_tree *b = NULL, **a = calloc(nold ? nold : 1, sizeof(*a));
	const git_oid **sub = calloc(nold ? nold : 1, sizeof(*sub));
	const git_oid *base = NULL;
	int rc = 0;
	if (!a || !sub) {
		rc = ERR_OOM();
		goto done;
	}
	for (size_t k = 0; k < nold; k++) {
		if (olds[k] && git_oid_equal(olds[k], new_))
			goto done; /* a parent has this very tree */
		if (olds[k] && !base)
			base = olds[k];
	}
	for (size_t k = 0; k < nold; k++)
		if (olds[k] && (rc = git_tree_lookup(&a[k], src, olds[k])) < 0) {
			rc = err_git(rc, WHAT);
			goto done;
		}
	if ((rc = git_tree_lookup(&b, src, new_)) < 0) {
		rc = err_git(rc, WHAT);
		goto done;
	}
	if ((rc = o_->add(new_, base, o_->payload)) < 0)
		goto done;
	for (size_t i = 0, cnt = git_tree_entrycount(b); i < cnt && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(b, i);
		git_object_t t = git_tree_entry_type(e);
		const git_oid *blob_base = NULL;
		int same = 0;
		for (size_t k = 0; k < nold; k++) {
			const git_tree_entry *o = a[k] ? git_tree_entry_byname(a[k], git_tree_entry_name(e)) : NULL;
			sub[k] = o && git_tree_entry_type(o) == t ? git_tree_entry_id(o) : NULL;
			if (sub[k] && git_oid_equal(sub[k], git_tree_entry_id(e)))
				same = 1;
			if (sub[k] && !blob_base)
				blob_base = sub[k];
		}
		if (same)
			continue;
		if (t == GIT_OBJECT_TREE)
			rc = pack_tree_diff(o_, src, sub, nold, git_tree_entry_id(e));
		else if (t == GIT_OBJECT_BLOB)
			rc = o_->add(git_tree_entry_id(e), blob_base, o_->payload);
	}
done:
	for (size_t k = 0; a && k < nold; k++)
		git_tree_free(a[k]);
	free(a);
	free(sub);
	git_tree_free(b);
	return rc;
}

typedef struct {
	int (*have)(const git_oid *, void *);
	void *payload;
} have_cb;

static int hide_held(const git_oid *commit, void *payload)
{
	have_cb *h = payload;
	return h->have && h->have(commit, h->payload) ? 1 : 0;
}

int repo_pack_sparse(git_repository *src, const git_oid *tips, size_t ntips, const git_oid *hide, size_t nhide,
                     int (*have)(const git_oid *commit, void *payload),
                     int (*add)(const git_oid *id, const git_oid *base, void *payload), void *payload, size_t *commits)
{
	git_revwalk *w = NULL;
	have_cb h = {have, payload};
	sparse_out o = {add, payload};
	git_oid id;
	size_t pushed = 0;
	int rc, stopped = 0;
	*commits = 0;
	/* Oldest first: an object comes the first time a commit brings it,
	 * after the version it replaces (a delta base that is then never a
	 * later entry: no cycles of deltas). */
	if ((rc = git_revwalk_new(&w, src)) < 0 || (rc = git_revwalk_add_hide_cb(w, hide_held, &h)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0)
		goto fail;
	for (size_t i = 0; i < nhide; i++) {
		git_object *obj = NULL;
		int is_commit = git_object_lookup(&obj, src, &hide[i], GIT_OBJECT_COMMIT) == 0;
		git_object_free(obj);
		git_error_clear();
		if (is_commit && (rc = git_revwalk_hide(w, &hide[i])) < 0)
			goto fail;
	}
	for (size_t i = 0; i < ntips; i++) {
		if (have && have(&tips[i], payload))
			continue;
		if ((rc = git_revwalk_push(w, &tips[i])) < 0)
			goto fail;
		pushed++;
	}
	while (pushed && (rc = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, src, &id)) < 0)
			goto fail;
		/* Against every parent's tree: what a merge takes from the other
		 * side, the receiver holds already (or was given). */
		size_t np = git_commit_parentcount(c);
		const git_oid **ptrees = calloc(np ? np : 1, sizeof(*ptrees));
		git_oid *pt = calloc(np ? np : 1, sizeof(*pt));
		if (!ptrees || !pt)
			rc = ERR_OOM();
		for (size_t k = 0; rc == 0 && k < np; k++) {
			git_commit *p = NULL;
			if ((rc = git_commit_parent(&p, c, (unsigned)k)) == 0) {
				git_oid_cpy(&pt[k], git_commit_tree_id(p));
				ptrees[k] = &pt[k];
			} else {
				rc = err_git(rc, WHAT);
			}
			git_commit_free(p);
		}
		if (rc == 0 && (rc = add(&id, NULL, payload)) == 0)
			rc = pack_tree_diff(&o, src, ptrees, np, git_commit_tree_id(c));
		free(ptrees);
		free(pt);
		git_commit_free(c);
		if (rc < 0) {
			stopped = 1; /* ours, with its message */
			break;
		}
		(*commits)++;
	}
	if (rc == GIT_ITEROVER || !pushed)
		rc = 0;
	else if (rc < 0 && !stopped)
		rc = err_git(rc, WHAT); /* git_revwalk_next */
	git_revwalk_free(w);
	return rc;
fail:
	git_revwalk_free(w);
	return err_git(rc, WHAT);
}
