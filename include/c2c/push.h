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
 * whatever the transport: a push by path cannot skip the hub's rules. */
#ifndef C2C_PUSH_H
#define C2C_PUSH_H

#include "c2c/node.h"
#include "c2c/repo.h"

typedef struct {
	size_t commits, objects, deltas; /* what the pack held */
} push_stats;

/* Update REF on the hub at URL (ssh://, or a path on this machine) from
 * what the hub has to NEW_. 0 once the hub reports REF updated. A refusal
 * (a hook, a non-fast-forward, git's object checks) is C2C_ECONFLICT with
 * the hub's reason and its hooks' messages, and a hint when the office has
 * not registered the signer yet; other failures name the step. STATS may
 * be NULL. */
int push_thin(c2c_node *n, const char *url, const char *ref, const git_oid *new_, push_stats *stats);

/* The same for a hub by path (GITDIR, a bare repository made by 'c2c hub
 * init'): push_thin through a git receive-pack child, so that the hub's
 * hooks and checks run as over ssh. */
int push_local(c2c_node *n, const char *gitdir, const char *ref, const git_oid *new_, push_stats *stats);

/* The delta encoder of the packs above, exposed for tests/unit/test_delta.c:
 * into OUT (emptied first), a git delta (gitformat-pack(5): the two sizes,
 * then copy and insert instructions) that turns BASE (BL bytes) into T (TL
 * bytes). BASE is indexed by its 16-byte blocks; T is scanned for them, each
 * match extended both ways and copied, the rest inserted. */
int push_make_delta(repo_buf *out, const unsigned char *base, size_t bl, const unsigned char *t, size_t tl);

#endif
