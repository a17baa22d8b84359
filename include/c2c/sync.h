/* sync: the exchange of commits with remotes (remote.h keeps the table).
 *
 * A remote is a hub (a bare repository made by `c2c hub init`, where each
 * node pushes its main to refs/heads/nodes/<node-id> and fetches all
 * refs/heads/nodes/NODE) or a peer (another node, whose main is fetched and to
 * which nothing is pushed). A sync fetches, then:
 *   - does nothing if every fetched tip is already in the head's history, or
 *     if joining them gives the head's own tree (nodes never trade merges of
 *     equal trees);
 *   - fast-forwards when one tip holds the head in its history;
 *   - otherwise makes one merge commit whose parents are the head, then the
 *     other tips by id, and whose tree is the join of their trees
 *     (mergetree_join), with the trailer "C2C-Merge: join-1";
 * then moves the head through node_advance, and pushes main to a hub.
 *
 * sync.c runs a sync (with its retries), fetch.c brings the commits in,
 * sync_merge.c judges and joins them, push.c sends main to a hub. */
#ifndef C2C_SYNC_H
#define C2C_SYNC_H

#include "c2c/mergetree.h"
#include "c2c/node.h"
#include "c2c/progress.h"
#include "c2c/remote.h"
#include "c2c/sync_settings.h"

typedef struct {
	int is_hub;
	size_t tips;     /* branches fetched */
	size_t new_tips; /* of them, with commits the head lacked */
	int fast_forward, merged;
	git_oid before, after;
	mergetree_stats merge;
	node_advance_stats applied;
	size_t held;      /* branches held back (store_held_list names them) */
	double check_ms; /* time spent in the incoming checks (incoming.h) */
	int pushed;  /* 1 pushed, 0 nothing to push, -1 not a hub */
	int thin_push;                        /* pushed by push.c (over ssh) */
	size_t pushed_objects, pushed_deltas; /* what its thin pack held */
	char root_to[96]; /* a hand-over of the root arrived: the new root's fingerprint, else "" */
	int exchange;      /* 1: the hub answered c2c's exchange (exchange.h), 0: git's protocols */
	size_t refs_named; /* with the exchange: the refs the hub's answer named (what changed) */
} sync_result;

/* How a sync reports while it runs (the caller owns it; NULL: silently, as
 * autosync and tests run). PROGRESS: the transfers (objects received,
 * copied, sent: LABEL, DONE of TOTAL, TOTAL 0 if not known yet), for the
 * command line's progress line or the web page's. RETRYING: an attempt
 * failed with WHY (err_msg()) on a link that may come back, and the next
 * one starts in WAIT_S seconds. SETTINGS: as the caller read them once
 * (NULL: sync_with reads the environment). */
typedef struct {
	c2c_progress progress;
	void (*retrying)(void *payload, const char *why, long long wait_s);
	void *retrying_payload;
	const sync_settings *settings;
} sync_options;

/* Join into the head the commits under refs/c2c/remotes/NAME/ that it
 * lacks, as a sync does once it has fetched (fast-forward, or one merge
 * commit), and make the rows follow (node_advance). Used by sync_with and
 * by bundle apply. Fills res's tips, fast_forward, merged, merge, applied,
 * held. Each branch is judged on its own: one whose new commits fail a
 * check (incoming.h), or that cannot join the others, is held (nothing of
 * it merged; its row in c2c_held says which commit, which rule and what
 * would release it) and the others are merged; a held branch is tried
 * again at every sync. Held branches are no error: res->held counts them.
 * ARRIVED (NARRIVED of them) are the tips the caller knows it brought (the
 * remote's advertised heads, the bundle's tip): they count even when the
 * listing of refs comes back short, as libgit2 1.5's does, silently, when
 * an allocation fails while it reads a directory of loose refs. PROGRESS
 * (NULL: none) hears "checking records" and "writing rows". */
int sync_merge_fetched(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived,
                       const c2c_progress *progress, sync_result *res);
/* The same when CHANGED are the only tips that changed since the last
 * sync with NAME (c2c's exchange names them, and the held branches, which
 * it asks for again): the other branches under refs/c2c/remotes/NAME/
 * were judged then, and are not walked again (with 1,000 nodes behind a
 * hub, a walk from the head for each branch at every sync). */
int sync_merge_changed(c2c_node *n, const char *name, const git_oid *changed, size_t nchanged,
                       const c2c_progress *progress, sync_result *res);

/* Sync with the remote NAME. On failure the node is as it was (the head
 * and rows are untouched); the remote's last_result records the error. */
int sync_with(c2c_node *n, const char *name, const sync_options *opts, sync_result *res);

#endif
