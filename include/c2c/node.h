/* node: one node directory (c2c.db, repo.git, keys/), opened under its lock.
 *
 * Opening a node takes the node lock (DIR/c2c.lock, flock: released by the
 * kernel when a process dies), then finishes any write that a crash
 * interrupted (see node_open), so every command starts from a database that
 * equals the head of repo.git.
 *
 * A write (node_txn) is one SQLite transaction and one git commit:
 *   1. BEGIN IMMEDIATE; each row is checked against its record file at the
 *      head (a row edited behind the node's back is refused), then changed;
 *   2. the record files are written as blobs (one pack for large writes) and
 *      a commit is made on top of the head; no ref moves yet;
 *   3. the new head and the intent (old head, new head) are recorded in the
 *      same SQLite transaction, which COMMITs: this is the commit point;
 *   4. refs/heads/main moves old -> new with a compare-and-swap.
 * A crash before 3 leaves orphan objects and a rolled-back transaction: the
 * write did not happen. A crash between 3 and 4 is finished by the next
 * command, which finds the ref at the intent's old head and moves it.
 * These steps are the functions of "the write protocol" below. */
#ifndef C2C_NODE_H
#define C2C_NODE_H

#include <git2.h>
#include <jansson.h>

#include "c2c/progress.h"
#include "c2c/quarantine.h"
#include "c2c/repo.h"
#include "c2c/store.h"

typedef struct {
	char *dir, *gitdir, *dbpath;
	store *st;
	git_repository *repo;
	char *node_id;
	char *city; /* NULL on the office */
	char *role; /* "city" or "office" */
	char *user_name, *user_email;
	git_oid head;
	int head_moved; /* refs/heads/main is not the head the database records */
	int lockfd;
	keys_signer *signer; /* loaded at the first commit (node_signer) */
	int registry_write;  /* a registry command writes the tables only it may (write_check_scope) */
	int wstate;          /* where the write under way is (NODE_WS_*, the write protocol below) */
	git_oid w_old, w_new; /* its intent: refs/heads/main OLD (zero: unborn) -> NEW */
	/* Opening the node (or node_relock) finished a write that a crash had
	 * interrupted, moving refs/heads/main to FINISHED_HEAD: a notice for the
	 * CLI to give (cli_node_notices), which clears it. */
	int finished_write;
	git_oid finished_head;
	/* Notices of the same kind: opening dropped what an interrupted sync
	 * had fetched but not checked (quarantine_repair); a sync kept the
	 * office's key a hub published ("FP from REMOTE", malloc'd). */
	int dropped_fetch;
	char *learnt_office_key;
	quarantine quarantine; /* where incoming objects wait for their checks (quarantine.h) */
} c2c_node;

/* The node's commit signer, loaded from keys/ on first use. */
int node_signer(c2c_node *n, const keys_signer **out);

/* Find the node directory: OPT (-C) if given, else $C2C_DIR, else the current
 * directory and its parents (the first that holds c2c.db). *out malloc'd. */
int node_locate(char **out, const char *opt);

/* Create a node in DIR (which must not hold one): the database, repo.git
 * with the genesis commit, keys/. CITY is a city slug, or NULL with OFFICE.
 * USER is "Name <mail>" or NULL. SCHEMA_UPTO limits the schema version
 * (tests of migrations); 0 for the newest. */
int node_create(c2c_node **out, const char *dir, const char *city, int office, const char *user,
                int schema_upto);

/* Make USER ("Name <mail>") the author of this node's next commits: for
 * this process, or, with SAVE, for good (the node's state). C2C_EUSAGE if
 * USER is not of that form. */
int node_set_user(c2c_node *n, const char *user, int save);

enum { NODE_READ = 0, NODE_WRITE = 1 };
/* Open the node at DIR. With NODE_WRITE, refuse (C2C_ECONFLICT) when the
 * repository head or a row disagrees with the database for any reason other
 * than our own interrupted write. */
int node_open(c2c_node **out, const char *dir, int mode);
/* Open only the repository of the node at DIR: no lock, no database, no
 * finishing of an interrupted write (n->st is NULL). For plumbing that
 * reads objects and refs and writes nothing but new objects, as git's own
 * plumbing does beside a running command (merge-tree). */
int node_open_repo(c2c_node **out, const char *dir);
void node_close(c2c_node *n);

/* Let other commands use the node while this one waits on the network, and
 * take it back (waiting as node_open does); node_relock reloads the head,
 * which another command may have moved meanwhile. */
void node_unlock(c2c_node *n);
int node_relock(c2c_node *n);

/* Refuse (C2C_ECONFLICT, with a hint) to DOING ("write", "merge") when
 * refs/heads/main moved behind the node's back (n->head_moved): the one
 * check of every path that moves the head. 0 when the head is ours. */
int node_require_head(c2c_node *n, const char *doing);

/* ----------------------------------------------------- the write protocol
 * One write across SQLite and git, as node_create, node_txn_commit and
 * node_advance make it and node_open finishes it after a crash. Each step
 * is one function, which asserts the state the write must be in
 * (n->wstate) and leaves it in the next; the states and steps, in order:
 *
 *   NODE_WS_NONE       no write under way
 *     node_write_begin         BEGIN IMMEDIATE               -> NODE_WS_OPEN
 *   NODE_WS_OPEN       rows change in the SQLite transaction; blobs, trees
 *                      and the commit go into repo.git; no ref moves
 *     node_write_record_intent the head := NEW and the intent
 *                              "OLD NEW" ("- NEW" from an unborn ref),
 *                              in the same transaction       -> NODE_WS_RECORDED
 *   NODE_WS_RECORDED   the caller may set more state (the Lamport time)
 *     node_write_commit_db     COMMIT: the commit point; n->head := NEW
 *                                                            -> NODE_WS_COMMITTED
 *   NODE_WS_COMMITTED  the write has happened; the ref lags
 *     node_write_move_ref      refs/heads/main OLD -> NEW, a compare-and-swap
 *                                                            -> NODE_WS_REF_MOVED
 *   NODE_WS_REF_MOVED  the intent is no longer needed
 *     node_write_clear_intent  the intent := none            -> NODE_WS_NONE
 *
 * node_write_rollback ends a write before its commit point (from OPEN or
 * RECORDED; a no-op from NONE). node_write_resume takes up a write whose
 * intent was found at open (node_recover): to COMMITTED when the ref is
 * still at OLD, to REF_MOVED when only the intent is left. A failed
 * node_write_move_ref or node_write_clear_intent ends the write
 * (NODE_WS_NONE) with the intent kept, and the next open finishes it.
 * A crash before the commit point leaves orphan objects and a rolled-back
 * transaction; a crash after it, the intent. The asserts are on in the
 * Debug and test builds, off with NDEBUG (Release). */
enum { NODE_WS_NONE = 0, NODE_WS_OPEN, NODE_WS_RECORDED, NODE_WS_COMMITTED, NODE_WS_REF_MOVED };
int node_write_begin(c2c_node *n);
/* OLD NULL: the ref is unborn (the genesis of node_create). */
int node_write_record_intent(c2c_node *n, const git_oid *old, const git_oid *new_);
int node_write_commit_db(c2c_node *n);
int node_write_move_ref(c2c_node *n, const char *logmsg);
int node_write_clear_intent(c2c_node *n);
void node_write_rollback(c2c_node *n);
void node_write_resume(c2c_node *n, const git_oid *old, const git_oid *new_, int ref_moved);

/* ----------------------------------------------------------------- writes */
typedef struct node_txn node_txn;

/* Start a write (node_write_begin): C2C_ECONFLICT when the head moved
 * (node_require_head). */
int node_txn_begin(node_txn **out, c2c_node *n);
/* Records holding an open conflict (merge_has_conflicts), found through the
 * rows whose bookkeeping has conflicts or deletions (the partial indexes of
 * schema 10), so that the cost follows the conflicts, not the node's size.
 * An error counts as none: it is a figure for status and the home page. */
long long node_open_conflicts(c2c_node *n);
/* Records this node deleted, in commits that did not confirm it, since a
 * hub last took its main (sync resets it): what other nodes will count
 * together against the mass-deletion rule (incoming.h, I8). */
int node_unpushed_deletions(c2c_node *n, long long *out);
/* The Lamport time of this write (stamped on every field it changes);
 * using it moves the node's. */
long long node_txn_lamport(node_txn *tx);

/* Read record T/ID for change: the row, checked against its record file at
 * the head. C2C_ENOTFOUND if there is no such live record. */
int node_txn_get(node_txn *tx, const table_def *t, const char *id, json_t **out);

/* Write REC as the new state of T/ID (row and record file). */
int node_txn_put(node_txn *tx, const table_def *t, const char *id, json_t *rec);

/* The same for a record whose id was just made here (no row, no tombstone
 * can exist), which saves the look-ups. */
int node_txn_put_new(node_txn *tx, const table_def *t, const char *id, json_t *rec);

/* Delete T/ID: REC is its last state with the tombstone set in _c2c. */
int node_txn_delete(node_txn *tx, const table_def *t, const char *id, json_t *rec);

/* Commit with MESSAGE (a trailer naming the node is added). With no change,
 * nothing is committed and *out is the unchanged head. */
int node_txn_commit(node_txn *tx, const char *message, git_oid *out);
/* Undo everything (also frees); safe on NULL. */
void node_txn_abort(node_txn *tx);

/* ---------------------------------------------------------- incoming work */
/* Move the head to COMMIT, a commit already in repo.git whose history holds
 * the head (a fast-forward or a merge made here), and make every row follow
 * its tree: one SQLite transaction and the same intent protocol as a write.
 * Only records whose files differ are touched; a row that differs from its
 * file at the old head is refused (changed behind the node's back). */
typedef struct {
	size_t records;   /* rows written or deleted */
	size_t conflicts; /* of them, records holding an open conflict */
} node_advance_stats;
int node_advance(c2c_node *n, const git_oid *commit, const char *logmsg, node_advance_stats *stats);
/* The same, taking the row of a record whose new blob ROWS holds (the
 * images the incoming checks made of it, rowimage.h; NULL: none) instead of
 * reading and parsing the blob again, and reporting the rows written to
 * PROGRESS ("writing rows", no total; NULL: nowhere). */
struct row_cache;
int node_advance_rows(c2c_node *n, const git_oid *commit, const char *logmsg, node_advance_stats *stats,
                      const struct row_cache *rows, const c2c_progress *progress);

/* ----------------------------------------------------------------- checks */
/* Compare every row and tombstone with the tree of the head, and the head
 * with the recorded one. Calls REPORT for each disagreement (a path and what
 * is wrong); returns the number found, or a negative error. */
typedef void (*node_report_cb)(const char *what, const char *detail, void *payload);
int node_verify(c2c_node *n, node_report_cb report, void *payload);

/* Make the database equal to the head of repo.git, recording that head.
 * Calls REPORT for each row it changes. Returns the number changed. */
int node_repair(c2c_node *n, node_report_cb report, void *payload);

#endif
