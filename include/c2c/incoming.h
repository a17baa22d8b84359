/* incoming: the checks every commit from another node passes before it is
 * merged (SPEC 7).
 *
 * For each commit reachable from a fetched tip and not from the node's
 * head, parents first:
 *  - signature: git's SSH signature by a registered node. The registry is
 *    the node's own (SQLite, at its head) or, for a node registered in an
 *    office commit that arrives in the same history, the "nodes" records of
 *    the commit's own tree; a registry entry for the office must carry the
 *    node's root key when it has one. A node that has no office key yet
 *    (made without --office-key, and no hub has told it) cannot tell who
 *    may write what: it checks that the signature holds and takes the
 *    signer from the commit's C2C-Node trailer, and skips the namespace
 *    and mass-deletion rules. Genesis is the only unsigned commit,
 *    and the only one without parents.
 *  - a commit with one parent: every changed path inside the signer's
 *    namespace (the office: network/; a city's node: cities/<slug>/); every
 *    new entry named safely (no ".", "..", ".git" in any case), a tree or a
 *    plain file (no symlinks, gitlinks or executables), at most
 *    INCOMING_MAX_BLOB bytes, a record at a record path whose text is a
 *    canonical JSON object with values of its fields' types (a value
 *    outside this node's allowed set is kept, for newer nodes' sake); only
 *    the signer's own clock entry advances in the records it changed; and,
 *    unless the message confirms it ("C2C-Confirm-Delete: N"), it does not
 *    delete most of a city's records (INCOMING_MASS_MIN or more, over half
 *    of the city's record files).
 *  - a merge commit: its tree is the join of its parents' trees, computed
 *    here.
 * A commit that fails is refused with its id and the rule it broke. Cost
 * grows with the change: only subtrees whose ids differ are opened. */
#ifndef C2C_INCOMING_H
#define C2C_INCOMING_H

#include <git2.h>

#include "c2c/node.h"

#define INCOMING_MAX_BLOB (1024 * 1024) /* a record is a few KB; 1 MiB leaves room */
#define INCOMING_MASS_MIN 10            /* fewer deletions than this are never "mass" */

/* Check the commits from TIP back to what the node's head holds. 0: all
 * pass. Else a negative code (C2C_EINVALID or C2C_EAUTH), the error naming
 * FROM, the commit and the rule, and *GOOD set to the newest ancestor of
 * the failing commit on its first-parent line that passed (zero if none):
 * the remote's good commits before the bad one still count. */
int incoming_check(c2c_node *n, const char *from, const git_oid *tip, git_oid *good);

/* Would deleting DELETED records of CITY in a commit on top of the tree
 * TREE be a mass deletion (then its message must confirm it)? */
int incoming_mass_deletion(git_repository *r, const git_oid *tree, const char *city, size_t deleted, size_t *total,
                           int *mass);

/* Quarantine: what a fetch brings lands in repo.git/objects/c2c-incoming/
 * (a pack backend of the repository's object database, above the others,
 * so libgit2's fetch writes its pack there) and enters the repository only
 * once checked, before any merge refers to it:
 * - incoming_quarantine_open drops what a killed process left there (and
 *   the fetched refs that pointed into it), and readies it;
 * - incoming_quarantine_promote, after the checks: with ALL (nothing
 *   refused) the packs move into repo.git; else what the accepted TIPS reach
 *   beyond the head is written into repo.git as a pack of its own;
 * - incoming_quarantine_close, after the merge: drops the rest, and the
 *   fetched refs under refs/c2c/remotes/FROM/ that the head does not reach,
 *   so that no ref points at a refused commit. */
int incoming_quarantine_open(c2c_node *n);
int incoming_quarantine_promote(c2c_node *n, const git_oid *tips, size_t ntips, int all);
int incoming_quarantine_close(c2c_node *n, const char *from);
/* Only one process at a time holds the quarantine (open takes
 * repo.git/c2c-incoming.lock; close lets it go): a second sync or bundle
 * apply meanwhile fails with C2C_ELOCKED. At every node_open,
 * incoming_quarantine_repair drops what a killed sync fetched but never
 * checked, with the fetched refs that point into it, unless another
 * process holds the quarantine. */
int incoming_quarantine_repair(c2c_node *n);

#endif
