/* sync: remotes, and the exchange of commits with them.
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
 * then moves the head through node_advance, and pushes main to a hub. */
#ifndef C2C_SYNC_H
#define C2C_SYNC_H

#include "c2c/mergetree.h"
#include "c2c/node.h"

typedef struct {
	char *name, *url;
	long long added, last_attempt, last_ok;
	char *last_result; /* NULL if never synced */
	char *host_key;    /* trusted SHA256 fingerprint of an ssh:// remote, or NULL */
} sync_remote;

/* NAME: [a-z0-9][a-z0-9._-]*. URL: a path to a node directory or a hub
 * (checked now), or ssh://user@host[:port]/path (once the SSH transport is
 * there). C2C_EINVALID if NAME exists or URL is not a c2c remote. */
int sync_remote_add(c2c_node *n, const char *name, const char *url);
int sync_remote_rm(c2c_node *n, const char *name);
/* Trust FP ("SHA256:...") as NAME's host key; with FP NULL, connect, learn
 * the key and trust it. *shown (malloc'd) is the fingerprint kept. */
int sync_remote_trust(c2c_node *n, const char *name, const char *fp, char **shown);
int sync_remote_get(c2c_node *n, const char *name, sync_remote *out);
/* All remotes by name. Free with sync_remote_list_free. */
int sync_remote_list(c2c_node *n, sync_remote **out, size_t *count);
void sync_remote_dispose(sync_remote *r);
void sync_remote_list_free(sync_remote *list, size_t count);

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
} sync_result;

/* Progress of the transfers of a sync (objects received, copied, sent or
 * written: LABEL, DONE of TOTAL, TOTAL 0 if not known yet), given to FN
 * (the command line's progress line); NULL: none (the default, as for
 * autosync). sync_progress is how sync.c and push.c report. */
typedef void (*sync_progress_fn)(const char *label, size_t done, size_t total);
void sync_set_progress(sync_progress_fn fn);
void sync_progress(const char *label, size_t done, size_t total);

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
 * an allocation fails while it reads a directory of loose refs. */
int sync_merge_fetched(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived, sync_result *res);

/* Sync with the remote NAME. On failure the node is as it was (the head
 * and rows are untouched); the remote's last_result records the error. */
int sync_with(c2c_node *n, const char *name, sync_result *res);

#endif
