/* sparse: the objects a receiver lacks, found by comparing each new
 * commit's tree with its parents' (git's "sparse" walk). */
#ifndef C2C_SPARSE_H
#define C2C_SPARSE_H

#include <git2.h>
#include <stddef.h>

/* The objects of the commits that TIPS reach in SRC, but not HIDE (commits
 * the receiver holds; those SRC lacks or that are not commits are
 * skipped) nor those HAVE (called with each commit met; may be NULL) says
 * the receiver holds, nor their ancestors. ADD is called with each object
 * (one may come twice), oldest commit first, and, for a tree or blob, BASE:
 * the object of the same type at the same path in the first parent's tree
 * that has one there, which the receiver holds or was given by an earlier
 * call (a delta base), or NULL. A new commit brings only what its tree
 * does not share with its parents' trees at the same path: subtrees are
 * compared by id and only those that differ from every parent's are opened
 * (git's "sparse" walk), so the cost grows with the change, not with the
 * tree, where libgit2's git_packbuilder_insert_walk reads every tree of
 * the commits it hides. Correct when whoever holds a commit holds all it
 * reaches (a repository, not a shallow clone). *COMMITS counts the new
 * commits. A negative return of ADD stops the walk and is returned as it
 * is, with its message. */
int repo_pack_sparse(git_repository *src, const git_oid *tips, size_t ntips, const git_oid *hide, size_t nhide,
                     int (*have)(const git_oid *commit, void *payload),
                     int (*add)(const git_oid *id, const git_oid *base, void *payload), void *payload, size_t *commits);

#endif
