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

/* The difference of two trees, walked the same way: mergediff.h, included
 * here for its readers. */
#include "c2c/mergediff.h"

typedef struct {
	size_t joined;   /* records both sides changed, joined */
	size_t taken;    /* records only the second side had or changed */
	size_t skipped;  /* equal subtrees not opened */
	size_t conflicts; /* joined records that hold an open conflict */
	size_t grafted;  /* subtrees taken whole from the second side (the merge-base shortcut) */
} mergetree_stats;

/* Join trees A and B into *out (written to R). STATS may be NULL.
 * C2C_ECORRUPT naming the path if a record file is not canonical or both
 * sides disagree on what a path is. */
int mergetree_join(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out, mergetree_stats *stats);

/* The same join with a merge base's tree BASE (NULL: none, and then this is
 * mergetree_join): a subtree that one side holds exactly as BASE does is
 * the other side's, taken whole (grafted) or kept, without being opened,
 * as stock git takes a tree changed on one side only. The root and
 * "network" are always opened, so network/network.json (joined by its
 * bytes) never goes this way.
 *
 * Why this is the join: in a history that keeps the invariants of
 * incoming.h, each commit's version of a record holds everything its
 * parents' versions held (I4: their join is the new version; I7: a merge
 * commit's tree is the join of its parents, and a join holds both sides),
 * no record file is removed (I2), and trees are canonical (I3). "Holds"
 * is an order (x <= y iff join(x, y) = y: the join is associative,
 * commutative and idempotent), so every version in a descendant of BASE
 * holds BASE's version, and for a subtree where A holds BASE's, the join
 * of A's and B's versions of each record is B's version, byte for byte,
 * with B's files a superset of A's: B's subtree. So for every history the
 * nodes make and accept, the result is mergetree_join's tree. For commits
 * that break those invariants (never accepted by a node: the incoming
 * checks join merge commits' parents without a base, I7) it may differ;
 * such commits are refused before they are merged. */
int mergetree_join_base(git_repository *r, const git_oid *base, const git_oid *a, const git_oid *b, git_oid *out,
                        mergetree_stats *stats);

/* Join the trees of commits A and B, with their merge base's tree (as
 * git_merge_base finds it; any common ancestor gives the same tree, see
 * above) when they have one and it can be read, else without a base. */
int mergetree_join_commits(git_repository *r, const git_oid *a, const git_oid *b, git_oid *out,
                           mergetree_stats *stats);

#endif
