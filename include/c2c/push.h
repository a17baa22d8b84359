/* push: c2c's own send-pack, for a hub over ssh.
 *
 * Why not libgit2's push: its pack walk (git_packbuilder_insert_walk) reads
 * every tree of the commits the hub already holds, so a push costs as much
 * as the repository is large, and its packs are never thin, so each tree on
 * a changed path goes whole (PITFALLS.md). This one speaks git's
 * receive-pack protocol (gitprotocol-pack(5)) over the sync's ssh session:
 * it reads the hub's refs, finds the objects the hub lacks with
 * repo_pack_sparse (the cost grows with the change), and sends a thin pack
 * in which a changed tree or record is a delta (REF_DELTA) against its
 * version in the parent commit, which the hub holds. The hub's
 * receive-pack completes and checks it (receive.fsckObjects, the c2c
 * hooks) as for stock git. */
#ifndef C2C_PUSH_H
#define C2C_PUSH_H

#include "c2c/node.h"

typedef struct {
	size_t commits, objects, deltas; /* what the pack held */
} push_stats;

/* Update REF on the hub at URL (ssh://) from what the hub has to NEW_.
 * 0 once the hub reports REF updated. A refusal (a hook, a non-fast-
 * forward) is C2C_ECONFLICT with the hub's reason and its hooks' messages;
 * other failures name the step. STATS may be NULL. */
int push_thin(c2c_node *n, const char *url, const char *ref, const git_oid *new_, push_stats *stats);

/* The same for a hub by path on this machine (a bare repository made by
 * 'c2c hub init'): the objects the hub lacks, found the same way, go whole
 * into one pack in the hub, fsynced, then REF moves from the value it had,
 * fast-forward only, where libgit2's local push walks every tree the hub
 * holds. As with libgit2's, the hub's hooks do not run (they serve pushes
 * over ssh). */
int push_local(c2c_node *n, const char *gitdir, const char *ref, const git_oid *new_, push_stats *stats);

#endif
