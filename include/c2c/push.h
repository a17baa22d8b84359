/* push: c2c's own send-pack, for a hub over ssh or by path.
 *
 * Why not libgit2's push: its pack walk (git_packbuilder_insert_walk) reads
 * every tree of the commits the hub already holds, so a push costs as much
 * as the repository is large, and its packs are never thin, so each tree on
 * a changed path goes whole (PITFALLS.md). This one speaks git's
 * receive-pack protocol (gitprotocol-pack(5)) over a transport_channel: an
 * ssh channel on the sync's session, or, for a hub by path, stock git
 * receive-pack run on this machine. It reads the hub's refs, finds the
 * objects the hub lacks with repo_pack_sparse (the cost grows with the
 * change), and sends a thin pack in which a changed tree or record is a
 * delta (REF_DELTA) against its version in the parent commit, which the hub
 * holds. The hub's receive-pack completes and checks it (quarantine,
 * receive.fsckObjects, the c2c hooks: the ref rule, fast-forward only and,
 * with the office key, every node's incoming checks) as for stock git,
 * whatever the transport: a push by path cannot skip the hub's rules.
 *
 * The pkt-lines are pktline.h's, the delta encoder delta.h's, the pack
 * pushpack.h's; this module is the protocol. */
#ifndef C2C_PUSH_H
#define C2C_PUSH_H

#include "c2c/node.h"
#include "c2c/progress.h"
#include "c2c/repo.h"
#include "c2c/transport.h"

typedef struct {
	size_t commits, objects, deltas; /* what the pack held */
} push_stats;

/* How a push runs: the sync's transport (its ssh session, the remote's
 * name and step for messages; see transport.h), where the progress of the
 * objects sent goes (may be empty), and HAVES: commits the hub is known to
 * hold (NULL: none known), which the pack leaves out with what they reach,
 * as it does the heads the hub advertises. */
typedef struct {
	transport *transport;
	c2c_progress progress;
	const oid_list *haves;
} push_options;

/* Update REF on the hub at URL (ssh://, or a path on this machine) from
 * what the hub has to NEW_. 0 once the hub reports REF updated. A refusal
 * (a hook, a non-fast-forward, git's object checks) is C2C_ECONFLICT with
 * the hub's reason and its hooks' messages, and a hint when the office has
 * not registered the signer yet; other failures name the step. STATS may
 * be NULL. */
int push_thin(c2c_node *n, const char *url, const char *ref, const git_oid *new_, const push_options *opts,
              push_stats *stats);

/* The same for a hub by path (GITDIR, a bare repository made by 'c2c hub
 * init'): push_thin through a git receive-pack child, so that the hub's
 * hooks and checks run as over ssh. The child advertises the node's own
 * branch only (transport_channel.h): a sync by path that just fetched the
 * hub's heads gives them as HAVES, so that the pack is the same. */
int push_local(c2c_node *n, const char *gitdir, const char *ref, const git_oid *new_, const push_options *opts,
               push_stats *stats);

/* The hint for a hub's refusal that SAID (its hooks' words) names: a
 * signer the office has not registered yet (this node, or another). */
void push_refusal_hint(const c2c_node *n, const char *said);

#endif
