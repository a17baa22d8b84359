/* mergetree: the join of two trees of records.
 *
 * Walks the two trees together, comparing entries by id: an equal subtree is
 * skipped without being opened, a subtree or record only one side has is
 * taken from it, and a record both sides hold in different versions is
 * joined with merge_records. The result is written with
 * git_tree_create_updated on top of the first tree, so its cost grows with
 * what differs, not with the repository. Since the record join is
 * commutative, associative and idempotent, so is this: any node recomputes
 * the same tree from the same parents. */
#ifndef C2C_MERGETREE_H
#define C2C_MERGETREE_H

#include <git2.h>
#include <stddef.h>

typedef struct {
	size_t joined;   /* records both sides changed, joined */
	size_t taken;    /* records only the second side had or changed */
	size_t skipped;  /* equal subtrees not opened */
	size_t conflicts; /* joined records that hold an open conflict */
} mergetree_stats;

/* Join trees A and B into *out (written to R). STATS may be NULL.
 * C2C_ECORRUPT naming the path if a record file is not canonical or both
 * sides disagree on what a path is. */
int mergetree_join(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out, mergetree_stats *stats);

/* Call CB for every blob path whose id differs between trees OLD (NULL: empty)
 * and NEW, with both ids (a zero id where absent), opening only subtrees
 * that differ. */
typedef int (*mergetree_diff_cb)(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload);
int mergetree_diff(git_repository *r, const git_oid *old_tree, const git_oid *new_tree, mergetree_diff_cb cb,
                   void *payload);

#endif
