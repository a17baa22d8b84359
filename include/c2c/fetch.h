/* fetch: bring a remote's commits into the node's quarantine (incoming.h)
 * and set the refs under refs/c2c/remotes/NAME/, for sync.c. */
#ifndef C2C_FETCH_H
#define C2C_FETCH_H

#include <git2.h>

#include "c2c/node.h"
#include "c2c/oidlist.h"
#include "c2c/progress.h"
#include "c2c/transport.h"

/* Fetch over ssh through T (RM: an anonymous remote on the URL) from a hub
 * (IS_HUB 1), a peer (0), or either (-1: both refspecs; what matched tells
 * which, without a connection of its own). With WANT_KEY, the hub's
 * office key too. PROGRESS may be NULL. */
int fetch_remote(c2c_node *n, git_remote *rm, const char *name, int is_hub, int want_key, transport *t,
                 const c2c_progress *progress);

/* Fetch from GITDIR, a hub or a node's repo.git on this machine, as
 * fetch_remote does over a transport, but without libgit2's local
 * transport, whose pack walk reads every tree of the commits the node
 * already holds and then searches deltas the disk does not need: the new
 * objects are found by repo_pack_sparse, at a cost that grows with the
 * change, and written whole into a pack in the quarantine. The refs under
 * refs/c2c/remotes/NAME/ are set as the refspecs of fetch_remote would set
 * them. ARRIVED gets the heads the remote has (its nodes' branches, or
 * main), each once; CHANGED (may be NULL) those of the refs this fetch
 * set, new or moved (a ref that already held its head is not written). */
int fetch_local(c2c_node *n, const char *gitdir, const char *name, int is_hub, int want_key, oid_list *arrived,
                oid_list *changed, const c2c_progress *progress);

#endif
