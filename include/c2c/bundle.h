/* bundle: sync by file, for a node with no usable link.
 *
 * A bundle is git's bundle format v2 (gitformat-bundle(5)): the line
 * "# v2 git bundle", one "-<oid> <subject>" line per prerequisite (a commit
 * the receiver must already hold), "<oid> <refname>" lines (HEAD and
 * refs/heads/main, the sender's head), an empty line, then a packfile. Stock
 * `git bundle verify`, `git clone` and `git fetch` read it.
 *
 * Applying one is a sync without a network: the pack is indexed, with every
 * object checked, into a quarantine directory under repo.git/objects; only
 * once it passes is it moved into the repository, its head recorded as
 * refs/c2c/remotes/FROM/main, and merged like a sync merges
 * (sync_merge_fetched). A refused bundle changes nothing. */
#ifndef C2C_BUNDLE_H
#define C2C_BUNDLE_H

#include "c2c/node.h"
#include "c2c/sync.h"

typedef struct {
	git_oid tip;          /* the head the bundle carries */
	size_t prerequisites; /* commits the receiver must hold */
	size_t commits;       /* commits in the bundle */
	size_t objects;       /* objects in its pack */
	unsigned long long bytes; /* size of the file */
} bundle_info;

/* Write the node's head as a bundle at PATH (through a temporary file and a
 * rename). With FOR_NAME, only what is not reachable from the refs under
 * refs/c2c/remotes/FOR_NAME/ (what a remote, or a node whose bundles were
 * applied with that name, is known to hold); with SINCE (a commit), only
 * what is not reachable from it; with neither, everything. C2C_ENOTFOUND if
 * FOR_NAME has no refs or SINCE is not a commit here; C2C_EINVALID if there
 * is nothing to send. */
int bundle_create(c2c_node *n, const char *path, const char *for_name, const char *since, bundle_info *info);

/* Check the bundle at PATH and merge its head into the node's, recording it
 * under refs/c2c/remotes/FROM/ (FROM: a remote name). Refused, naming the
 * file: anything that is not a v2 bundle, a damaged or truncated pack
 * (C2C_ECORRUPT), prerequisites this node lacks (C2C_ENOTFOUND, naming
 * them), a head that is not a c2c history. */
int bundle_apply(c2c_node *n, const char *path, const char *from, sync_result *res, bundle_info *info);

#endif
