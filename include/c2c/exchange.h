/* exchange: c2c's sync with a c2c hub over ssh in one request and one
 * answer, on one channel (as Fossil's sync does), instead of git's fetch
 * and push (an advertisement of every node's branch each way, two
 * channels, about a dozen round trips).
 *
 * The node runs the command "c2c-sync PATH" on the hub; the hub's forced
 * command ('c2c hub serve', hub.h) answers it with hubsync_serve. A server
 * that does not know the command (a peer, a plain git server, a hub with
 * an older c2c) ends the channel without the answer's first line: the
 * node then syncs with git's protocols on the same session, and remembers
 * that for the remote.
 *
 * A request, in pkt-lines (gitprotocol-common(5)), ends with a flush:
 *   c2c-sync 1
 *   since EPOCH SEQ     what the node saw of the hub's refs last time
 *                       (absent: the first time, every ref is sent)
 *   have ID             a commit the node holds (at most 64): the answer's
 *                       pack leaves out what they reach
 *   ref NAME            a ref to send whatever its age (a held branch,
 *                       tried again at every sync), under refs/heads/nodes/
 *   push OLD NEW        move the node's own branch from OLD (what the node
 *                       last saw there) to NEW; its pack follows the flush,
 *                       framed as pkt-lines and ended by a flush
 *   nofetch             the answer holds the push's result only
 *   end                 if the answer brings no commit (nothing to merge,
 *                       so no second push), the hub ends the exchange
 *                       after it
 * The answer:
 *   c2c-sync 1
 *   push ok | push ng WHY     (to a push)
 *   since EPOCH SEQ            what to send as since next time
 *   ref ID NAME                each ref changed since SEQ (or asked for)
 *   end                        (to "end") the hub closes the channel next
 *   flush, then the pack of what those refs reach beyond the haves, thin
 *   (deltas against objects the haves reach), framed, and a flush.
 * or "error WHY" and a flush. Several requests may follow on one channel.
 *
 * The first request, when it is at most EXCHANGE_INLINE_MAX bytes (a
 * sync that pushes a few records), goes on the command line itself, in
 * base64 (RFC 4648, padded) after EXCHANGE_REQUEST_ARG:
 *   c2c-sync 'PATH' --request=BASE64
 * sshd opens a session channel's window only when its command runs, so a
 * request sent as input waits a round trip for the exec's answer; on the
 * command line it arrives with the exec, and the answer follows at once.
 * The hub reads it as if it came first on its input; later requests come
 * on the input. A larger first request goes on the input, as the rest.
 *
 * The hub keeps its checks: the pushed pack goes to stock git's
 * receive-pack on the hub, as the node's key line allows, with the hub's
 * hooks (the ref rule, fast-forward only, the office's checks) and
 * receive.fsckObjects, exactly as a push by git's protocol.
 *
 * What changed since: the hub numbers the states of its refs in
 * PATH/c2c-tips.db (SQLite): each answer first compares the refs with the
 * table, gives every ref that changed the next number, and sends the refs
 * whose number is above the node's SEQ. EPOCH names the table (a new one
 * starts again from every ref). The cost of a sync grows with what
 * changed, not with the number of nodes behind the hub. */
#ifndef C2C_EXCHANGE_H
#define C2C_EXCHANGE_H

#include "c2c/node.h"
#include "c2c/oidlist.h"
#include "c2c/progress.h"
#include "c2c/transport.h"
#include "c2c/util.h"

#define EXCHANGE_COMMAND "c2c-sync"
#define EXCHANGE_MAX_HAVES 64
#define EXCHANGE_MAX_REFS 100000
#define EXCHANGE_REQUEST_ARG "--request="
/* The node puts a first request of at most this many bytes on the command
 * line (libssh2 sends a command of at most about 34 KB; base64 makes 4
 * bytes of 3); the hub takes one of at most EXCHANGE_INLINE_TAKE. */
#define EXCHANGE_INLINE_MAX 16384
#define EXCHANGE_INLINE_TAKE 49152

/* The hub's side: serve the requests arriving on IN_FD, answering on
 * OUT_FD, for node NODE_ID (its key line's), on the hub at PATH; the
 * first may be on COMMAND (the node's, "c2c-sync 'PATH' --request=...").
 * 0 at the end of the requests. */
int hubsync_serve(const char *path, const char *node_id, const char *command, int in_fd, int out_fd);

/* The hub's numbered refs (hubtips.c): compare the refs of REPO (nodes'
 * branches and the office key) with PATH/c2c-tips.db, number what
 * changed, and give in *OUT the refs numbered above SINCE (all of them
 * when EPOCH is not the table's, or NULL), as "ID NAME" pairs; *NEW_EPOCH
 * (17 bytes) and *NEW_SEQ: what the node sends next time. */
typedef struct {
	git_oid id;
	char *name;
} exchange_ref;
typedef ARRAY(exchange_ref) exchange_refs;
int hubtips_changed(git_repository *repo, const char *path, const char *epoch, long long since,
                    exchange_refs *out, char new_epoch[17], long long *new_seq);
void exchange_refs_free(exchange_refs *r);

/* The node's side of one sync with a hub over ssh (sync.c), in three
 * steps: exchange_prepare reads, under the node's lock, what the request
 * needs (what the node saw of the hub last time, main, the held
 * branches); exchange_run, unlocked, sends it with the pack of main (what
 * the hub lacks: beyond what the node last saw there) and takes the
 * answer, its objects into the quarantine; exchange_apply, locked again,
 * sets the refs under refs/c2c/remotes/NAME/ the answer named. */
typedef struct {
	transport *t;
	const char *url, *name;
	int want_key;
	const c2c_progress *progress;
	/* read by exchange_prepare */
	char *since;      /* "EPOCH SEQ" or NULL */
	git_oid head, old; /* main, and what the node last saw of its branch there (zero: none) */
	oid_list seen;    /* the tips under refs/c2c/remotes/NAME/ */
	char **held;      /* the held branches' ref names */
	size_t nheld;
	/* the answer */
	int unsupported;    /* the server does not speak the exchange */
	exchange_refs refs; /* the refs it named */
	char new_since[64];
	int pushed;                /* 1 the hub took main, 0 nothing to push, -1 refused */
	char *refused;             /* the refusal (malloc'd) */
	int unpack_failed;         /* it could not unpack: push by git's protocol */
	size_t pushed_objects, pushed_deltas;
	void *conn; /* the channel, kept for exchange_push */
	int ended;  /* the request's end was sent: no exchange_push on this channel */
} exchange_state;

int exchange_prepare(c2c_node *n, exchange_state *x);
/* 0, or an error naming the remote and the step; x->unsupported set (and
 * 0 returned) when the server does not know the command: nothing was
 * changed but what the quarantine holds. */
int exchange_run(c2c_node *n, exchange_state *x);
/* ARRIVED gets the heads of the nodes' branches the answer named. */
int exchange_apply(c2c_node *n, exchange_state *x, oid_list *arrived);
/* On the same channel, push main (N's head, after the merge) without
 * fetching. 0 when the hub took it; a refusal as push_thin gives it. */
int exchange_push(c2c_node *n, exchange_state *x);
void exchange_close(exchange_state *x);

#endif
