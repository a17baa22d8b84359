/* quarantine: where incoming objects wait for their checks (incoming.h).
 *
 * What a fetch brings lands in repo.git/objects/c2c-incoming/ (a pack
 * backend of the repository's object database, above the others, so
 * libgit2's fetch writes its pack there) and enters the repository only
 * once checked, before any merge refers to it:
 * - quarantine_open drops what a killed process left there (and the
 *   fetched refs that pointed into it), and readies it;
 * - quarantine_promote, after the checks: with ALL (nothing refused) the
 *   packs move into repo.git; else what the accepted TIPS reach beyond the
 *   head is written into repo.git as a pack of its own;
 * - quarantine_close, after the merge: drops the rest, and the fetched refs
 *   under refs/c2c/remotes/FROM/ that the head does not reach, so that no
 *   ref points at a refused commit.
 * Only one process at a time holds the quarantine (open takes
 * repo.git/c2c-incoming.lock; close lets it go): a second sync or bundle
 * apply meanwhile fails with C2C_ELOCKED. At every node_open,
 * quarantine_repair drops what a killed sync fetched but never checked,
 * with the fetched refs that point into it, unless another process holds
 * the quarantine.
 *
 * The state (the lock, the object database that has the backend) is the
 * caller's: a node keeps one quarantine (node.h), zero-initialised, and
 * releases it with quarantine_dispose. REPO is the node's repository and
 * GITDIR its path (repo.git), HEAD the node's head. Depends on the
 * repository, the errors and nothing above them. */
#ifndef C2C_QUARANTINE_H
#define C2C_QUARANTINE_H

#include <git2.h>

#include "c2c/oidlist.h"

typedef struct {
	git_odb *attached; /* the object database that has the backend (a reference held) */
	int lockfd;        /* the flock on GITDIR/c2c-incoming.lock, while LOCKED */
	int locked;
} quarantine;

int quarantine_open(quarantine *q, git_repository *repo, const char *gitdir);
int quarantine_promote(git_repository *repo, const char *gitdir, const git_oid *head, const git_oid *tips,
                       size_t ntips, int all);
/* Empty the quarantine and drop the refs under refs/c2c/remotes/FROM/
 * that HEAD does not reach; with ONLY, only refs whose tips are in it are
 * judged (the others are known merged). */
int quarantine_close(quarantine *q, git_repository *repo, const char *gitdir, const git_oid *head,
                     const char *from, const oid_list *only);
/* *dropped (may be NULL): 1 if it dropped what an interrupted sync had
 * fetched but not checked (the caller tells the user), else 0. */
int quarantine_repair(quarantine *q, git_repository *repo, const char *gitdir, int *dropped);
/* Let the lock go and the object database's reference; Q is zeroed. NULL
 * is fine. */
void quarantine_dispose(quarantine *q);

#endif
