/* incoming: the checks every commit from another node passes before it is
 * merged (SPEC 7), at every node and in a hub's pre-receive hook.
 *
 * The invariants of an accepted history. Whatever passes keeps them, and a
 * history that keeps them leaves a node able to write, merge, push and pass
 * `verify` (tests/fuzz/fuzz_history.c mutates signed histories to hold the
 * checks to that):
 *  I1 Who: every commit after genesis (the only one without parents, and
 *     the only unsigned one) carries git's SSH signature by a node of the
 *     registry: the node's own (SQLite, at its head), that of the commit's
 *     parents, the root key itself (which registers itself in the office's
 *     first commit), or, for a city's node registered by an office commit
 *     that arrives in the same history, the "nodes" records of the tip's
 *     tree. An office node (there may be several) is never taken from a
 *     tree the commit itself makes. Its committer is
 *     "NODE <NODE@c2c.invalid>", its one C2C-Node trailer names NODE, and its
 *     author is a person or NODE, never another node. (A node without an
 *     office key yet cannot tell who may write: the signature must hold,
 *     the signer is the trailer's, and the namespace and deletion rules
 *     wait for the key.)
 *  I2 Where: a commit with one parent changes only paths in its signer's
 *     namespace (the office: network/; a city's node: cities/<slug>/),
 *     each a record at a record path whose text is a canonical record with
 *     values of its fields' types (a value outside this node's allowed set
 *     is kept, for newer nodes' sake), at most INCOMING_MAX_BLOB bytes; it
 *     removes no file (deletion is a tombstone).
 *  I3 Trees are canonical as git writes them, read from the raw objects:
 *     modes exactly 100644 and 40000, names safe (no "", ".", "..", ".git"
 *     in any case, "/" or "\"), in git's order, each name once.
 *  I4 Versions move forward: a record's new version holds all its parent's
 *     version held (their join is the new version), so a clock entry or a
 *     dot never goes back and a dot both hold carries the same data.
 *  I5 One edit a commit: the signer's clock entry rises by exactly one in
 *     each record it changes and no other entry moves; every dot the parent
 *     lacked is the signer's [signer, new counter], all at one Lamport time
 *     for the commit, after every Lamport time the record held and at most
 *     one past the highest its parent's history holds (the node's own
 *     Lamport time for what it already holds). A deletion's clock is the
 *     record's clock. So counters and Lamport times rise by one an edit and
 *     stay far under RECORD_CLOCK_MAX (record.h), above which any version is
 *     corrupt.
 *  I6 A dot carries one value forever: a new version may not give a dot the
 *     version at this node's head holds any other data.
 *  I7 A merge commit's tree is the join of its parents' trees, computed here.
 *  I8 Mass deletion: what one node brings in at once (all the commits of one
 *     check) may not delete most of a city's records (INCOMING_MASS_MIN or
 *     more, over half of the city's record files at the receiver's head)
 *     unless each deleting commit confirms its own count with the trailer
 *     "C2C-Confirm-Delete: CITY COUNT"; anything else does not confirm.
 *  I9 Revocations: a commit signed by a key the office revoked is valid
 *     only within the revocation's cut (the cut commit and its
 *     ancestors), judged against the revocations of the history the
 *     receiver accepted and of what passes with it, never those of the
 *     commit's own tree. A revocation names a cut in the history it is
 *     built on, and is never changed nor deleted; so is a hand-over of
 *     the root (network/roots/), which only the root it replaces signs.
 * A commit that fails is refused with its id and the rule it broke. Cost
 * grows with the change: only subtrees whose ids differ are opened, and
 * the versions at the head are read by path. */
#ifndef C2C_INCOMING_H
#define C2C_INCOMING_H

#include <git2.h>

#include "c2c/progress.h"

#include "c2c/node.h"
#include "c2c/oidlist.h"
#include "c2c/registry.h"
#include "c2c/store.h"

#define INCOMING_MAX_BLOB (1024 * 1024) /* a record is a few KB; 1 MiB leaves room */
#define INCOMING_MASS_MIN 10            /* fewer deletions than this are never "mass" */

/* What the checks read of the receiver (a node, or a hub's pre-receive
 * hook, which has no node): borrowed, and kept alive by the caller while
 * a check or a batch made with it lives. */
typedef struct {
	git_repository *repo;
	git_oid head;     /* what the receiver holds: its history is not checked again (zero: nothing) */
	const char *root; /* the office key the receiver trusts; NULL: none yet */
	/* The table definitions (store_table); a node's also holds its
	 * registry at the head (registry_find_in) and its Lamport time. A hub
	 * passes an in-memory store: the schema, with no rows. */
	store *st;
} incoming_ctx;

/* The commits that passed in one sync (or one push to a hub), so that the
 * branches that share them check them once, with the bound of the Lamport
 * times of each (I5). Made at the node's current head; free with
 * incoming_batch_free (NULL is fine). */
typedef struct incoming_batch incoming_batch;
int incoming_batch_new_ctx(incoming_batch **out, const incoming_ctx *cx);
void incoming_batch_free(incoming_batch *b);
/* A hub has no database: it gives the bound of the Lamport times its
 * branches hold (hub.c keeps it), and learns the new one, the highest of
 * what passed, for the next push. */
void incoming_batch_set_base(incoming_batch *b, long long base);
long long incoming_batch_highest(const incoming_batch *b);
/* Where the checks of B report how far they got ("checking records");
 * NULL (the default): nowhere. P must outlive B's checks. */
void incoming_batch_set_progress(incoming_batch *b, const c2c_progress *p);
/* The bound of the Lamport times the history of COMMIT holds (a commit that
 * passed in B, else the base): a node that merges COMMIT takes it as its
 * own Lamport time at least, so that what it holds stays under its own
 * (entries a later commit removes without a new edit leave the tree lower
 * than the history). */
long long incoming_batch_bound(const incoming_batch *b, const git_oid *commit);

/* Revocations (I9): a batch knows those of the head's history; a tip that
 * passed may bring more (an office's revocation arriving in this sync).
 * incoming_batch_learn adds those of COMMIT's tree (*added: how many were
 * new); with any new, what passed before them must be judged again, in a
 * new batch that incoming_batch_learn_from gives them. */
int incoming_batch_learn(incoming_batch *b, const git_oid *commit, size_t *added);
int incoming_batch_learn_from(incoming_batch *b, const incoming_batch *from);
/* Keep in ROWS (NULL: nowhere) the row image of each record blob B's
 * checks parse (rowimage.h), for node_advance_rows to write it without
 * parsing the blob again. The caller owns ROWS and frees it after B. */
struct row_cache;
void incoming_batch_keep_rows(incoming_batch *b, struct row_cache *rows);
/* Add the revocations of L (a hub's: those of every branch it holds). */
int incoming_batch_add_revocations(incoming_batch *b, const registry_revocations *l);

/* Check the commits from TIP back to what the node's head holds (and what
 * passed earlier in BATCH, which may be NULL). 0: all pass. Else a
 * negative code (C2C_EINVALID for a commit refused, with the error naming
 * FROM, the commit and the rule; others for what went wrong here). */
int incoming_check_ctx(const incoming_ctx *cx, incoming_batch *batch, const char *from, const git_oid *tip);
/* Tell BATCH the tips it will check against HEAD (the context's head):
 * the commits they hold beyond it are found in one walk, and each check
 * walks those only. Without it each check's walk hides the head, and
 * libgit2 reads the head's history back to the tip's date: a thousand
 * branches older than a thousand commits of the head read a million. A
 * walk that fails leaves the batch as it was (each check hides the head). */
void incoming_batch_tips(incoming_batch *b, const git_oid *head, const git_oid *tips, size_t n);

/* Would deleting DELETED records of CITY in a commit on top of the tree
 * TREE be a mass deletion (then its message must confirm it)? */
int incoming_mass_deletion(git_repository *r, const git_oid *tree, const char *city, size_t deleted, size_t *total,
                           int *mass);

/* ------------------------------------------------------------ a node's
 * The same, for node N (node/incoming_node.c): its repository, head,
 * database and office key. */
int incoming_batch_new(incoming_batch **out, c2c_node *n);
int incoming_check(c2c_node *n, incoming_batch *batch, const char *from, const git_oid *tip);

/* The node's quarantine (quarantine.h), kept in N. */
int incoming_quarantine_open(c2c_node *n);
int incoming_quarantine_promote(c2c_node *n, const git_oid *tips, size_t ntips, int all);
int incoming_quarantine_close(c2c_node *n, const char *from, const oid_list *only);

#endif
