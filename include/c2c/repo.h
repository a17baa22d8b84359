/* repo: the node's bare git repository through libgit2: opening it, its
 * head, reading paths, writing blobs and commits.
 *
 * Trees are never rebuilt whole: a commit applies path updates to its parent's
 * tree with repo_tree_create_updated (treeupd.h), which rewrites only the
 * trees on the changed paths. Reads look a path up from a tree, O(depth).
 * Large writes (an import) stream their blobs into one pack (pack.h) instead
 * of one loose file each.
 *
 * Objects and refs are fsynced (GIT_OPT_ENABLE_FSYNC_GITDIR). */
#ifndef C2C_REPO_H
#define C2C_REPO_H

#include <git2.h>
#include <stddef.h>

#include "c2c/keys.h"
#include "c2c/oidlist.h"
/* The repository's other modules, for the callers that include this header
 * alone: pack writing, tree updates, the sparse walk. */
#include "c2c/pack.h"
#include "c2c/sparse.h"
#include "c2c/treeupd.h"

#define REPO_MAIN "refs/heads/main"

/* Set the library options (fsync, strict objects) once per process. */
int repo_global_init(void);

/* Create a bare repository at PATH with HEAD -> refs/heads/main. */
int repo_create(git_repository **out, const char *path);
int repo_open(git_repository **out, const char *path);

/* The commit refs/heads/main points at. C2C_ENOTFOUND if unborn. */
int repo_head(git_repository *r, git_oid *out);

/* Move refs/heads/main from OLD (NULL: unborn) to NEW, failing with
 * C2C_ECONFLICT if it is not at OLD. LOGMSG goes to the reflog. */
int repo_move_head(git_repository *r, const git_oid *old, const git_oid *new_, const char *logmsg);

/* Read the blob at PATH in the tree of COMMIT. C2C_ENOTFOUND if absent.
 * *buf is malloc'd and NUL-terminated. If OID is not NULL it receives the
 * blob's id. */
int repo_read_path(git_repository *r, const git_oid *commit, const char *path, char **buf, size_t *len,
                   git_oid *oid);
/* Same, from a tree id. */
int repo_read_tree_path(git_repository *r, const git_oid *tree, const char *path, char **buf, size_t *len,
                        git_oid *oid);

/* Write a blob as a loose object. */
int repo_write_blob(git_repository *r, const char *data, size_t len, git_oid *out);

/* One change of a commit: PATH gets blob OID, or is removed. */
typedef struct {
	const char *path;
	git_oid oid;
	int remove;
} repo_update;

typedef struct {
	const char *name, *email;
	git_time_t when;
	int offset; /* minutes east of UTC */
} repo_person;

/* Make a commit whose tree is PARENT's tree with UPDATES applied (PARENT
 * NULL: an empty tree). Does not move any ref. With more than REPO_BULK
 * updates the new trees and the commit are written as one pack. */
#define REPO_BULK 64
int repo_commit(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                size_t n, const repo_person *author, const repo_person *committer, const char *message, git_oid *out);

/* Write a commit object. With SIGNER (NULL: unsigned, as genesis) it carries
 * a "gpgsig" header in git's SSH signature format over the rest of it. */
int repo_commit_write(git_repository *r, const keys_signer *signer, const git_signature *author,
                      const git_signature *committer, const char *message, const git_tree *tree, size_t nparents,
                      const git_commit **parents, git_oid *out);

/* The tree id of COMMIT. */
int repo_commit_tree(git_repository *r, const git_oid *commit, git_oid *tree);

/* The commits that TIPS[0..N) reach and HIDE[0..NHIDE) do not (zero ids
 * in HIDE are skipped), sorted, in OUT (cleared first). With PARENTS, the
 * walk starts from the tips' parents: a tip is then in OUT when another
 * tip (or itself, through a cycle no valid history has) reaches it. One
 * walk for every tip: libgit2's git_graph_descendant_of walks once per
 * pair, so judging each of a thousand branches against the head costs a
 * thousand walks of the history; this costs the commits beyond HIDE.
 * A tip that is not a commit here is in OUT (it is new to HIDE, and its
 * checks say what is wrong with it); a walk that fails (a missing parent)
 * is an error, and callers judge tip by tip instead. */
int repo_commits_beyond(git_repository *r, const git_oid *hide, size_t nhide, const git_oid *tips, size_t n,
                        int parents, oid_list *out);

/* For each of TIPS[0..N): ISNEW[i] = 1 when it holds a commit HEAD lacks
 * (0 for HEAD and its ancestors). One walk (repo_commits_beyond); when it
 * fails, tip by tip with git_graph_descendant_of, so a broken history is
 * judged as before, only slower. Never fails. */
void repo_tips_new(git_repository *r, const git_oid *head, const git_oid *tips, size_t n, unsigned char *isnew);

/* The direct refs whose names begin with PREFIX (a directory: "refs/.../"),
 * in OUT->v sorted by name (names malloc'd), read from git's files as git
 * reads them: loose refs under PREFIX, then packed-refs. Cost: one
 * directory and one file, not libgit2's map of every packed ref, which it
 * built for each call (at a thousand branches, most of a sync's growth). */
typedef struct {
	char *name;
	git_oid id;
} repo_ref;
typedef struct {
	repo_ref *v;
	size_t n, cap;
} repo_refs;
int repo_refs_under(git_repository *r, const char *prefix, repo_refs *out);
/* The ref of REFS (as repo_refs_under gives them: sorted) named NAME, or NULL. */
const repo_ref *repo_refs_find(const repo_refs *refs, const char *name);
void repo_refs_free(repo_refs *refs);

/* Pack the loose refs into packed-refs, as git pack-refs --all does (a
 * sync reads every fetched ref: one file then, not one per node). Best
 * effort: a failure (a lock held) leaves the refs loose and valid. */
void repo_pack_refs(git_repository *r);

/* Remove stale lock files (*.lock under refs/ and HEAD.lock) that a killed
 * process left; call only while holding the node lock. Returns how many. */
int repo_clear_stale_locks(const char *gitdir);

#endif
