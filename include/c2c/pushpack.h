/* pushpack: the pack of a push, written onto the connection (push.c).
 *
 * The objects come from repo_pack_sparse (what the hub lacks, each with the
 * id of its version in the parent commit, which the hub holds); the pack is
 * thin where the hub allows it: a tree or record goes as the smallest delta
 * found against that version (REF_DELTA) or against one of the last objects
 * of its kind in the pack (OFS_DELTA where the hub reads them), if that is
 * under half its size, else whole. */
#ifndef C2C_PUSHPACK_H
#define C2C_PUSHPACK_H

#include <git2.h>

#include "c2c/oidlist.h"
#include "c2c/pktline.h"
#include "c2c/progress.h"
#include "c2c/util.h"

typedef struct {
	git_oid id, base; /* base zero: none */
	size_t order;     /* in the walk: siblings next to each other */
} pushpack_obj;

typedef ARRAY(pushpack_obj) pushpack_objs;

/* repo_pack_sparse's ADD: append ID (with its delta BASE, or NULL) to the
 * pushpack_objs PAYLOAD. */
int pushpack_add(const git_oid *id, const git_oid *base, void *payload);
/* The objects of NEW_'s commits that the hub, whose branch tips are HUB
 * (sorted or not), lacks, into O (repo_pack_sparse): a commit that is one
 * of HUB is left out with its ancestors as the walk meets it, so the walk
 * costs the new commits, where hiding every tip of a hub of a thousand
 * branches read each of them and the history below (libgit2's revwalk).
 * An ancestor of a tip that the walk reaches by another way goes again:
 * the hub takes it as a no-op. *COMMITS counts the commits walked. */
int pushpack_walk(git_repository *r, const git_oid *new_, oid_list *hub, pushpack_objs *o, size_t *commits);

/* Each object once (where it first came: its delta base kept), in the
 * walk's order. */
void pushpack_unique(pushpack_objs *o);
/* Send the pack of O's objects (unique, in the walk's order) on C. THIN:
 * the hub takes deltas against objects it holds; OFS_OK: it reads
 * OFS_DELTA. *DELTAS counts the entries sent as deltas. PROGRESS may be
 * NULL. */
int pushpack_send(pktline_conn *c, git_odb *odb, const pushpack_objs *o, int thin, int ofs_ok,
                  const c2c_progress *progress, size_t *deltas);

#endif
