/* repo: the node's bare git repository through libgit2.
 *
 * Trees are never rebuilt whole: a commit applies path updates to its parent's
 * tree with git_tree_create_updated, which rewrites only the trees on the
 * changed paths. Reads look a path up from a tree, O(depth). Large writes
 * (an import) stream their blobs into one pack instead of one loose file each.
 *
 * Objects and refs are fsynced (GIT_OPT_ENABLE_FSYNC_GITDIR). */
#ifndef C2C_REPO_H
#define C2C_REPO_H

#include <git2.h>
#include <stddef.h>

#include "c2c/keys.h"

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

/* A growing byte buffer (free p when done). */
typedef struct {
	unsigned char *p;
	size_t len, cap;
} repo_buf;
int repo_buf_put(repo_buf *b, const void *d, size_t n);

/* The header of a pack entry of TYPE (an object's, or 6/7 for deltas) and
 * SIZE (uncompressed) into HDR; its length. */
size_t repo_pack_header(unsigned char hdr[16], int type, size_t size);

/* A growing list of object ids; repo_oids_add fits repo_pack_sparse's ADD
 * (the base is not kept). */
typedef struct {
	git_oid *v;
	size_t n, cap;
} repo_oids;
int repo_oids_add(const git_oid *id, const git_oid *base, void *oids);

/* Copy the objects OIDS (sorted and made unique here) from SRC into one
 * pack of whole objects in DIR (NULL: R's objects/pack), fsynced; each is
 * hashed again and checked against its id (a mismatch is C2C_ECORRUPT
 * naming FROM). PROGRESS(LABEL, done, total) after each, if given. */
int repo_pack_copy(git_repository *r, const char *dir, git_odb *src, const char *from, repo_oids *oids,
                   void (*progress)(const char *label, size_t done, size_t total), const char *label);

/* A pack being written: NOBJECTS blobs, streamed through libgit2's indexer
 * so that memory stays small whatever the count. */
typedef struct repo_pack repo_pack;
int repo_pack_new(repo_pack **out, git_repository *r, size_t nobjects);
/* Same, written into DIR (a pack directory, as the quarantine's) instead
 * of repo.git/objects/pack; the repository's object database is refreshed
 * at the end either way. */
int repo_pack_new_in(repo_pack **out, git_repository *r, const char *dir, size_t nobjects);
int repo_pack_add_blob(repo_pack *p, const char *data, size_t len, git_oid *out);
int repo_pack_finish(repo_pack *p);
void repo_pack_free(repo_pack *p);

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

/* git_tree_create_updated's result (U sorted by path; upserts of blobs and
 * removals), built from the raw bytes of the trees on the changed paths:
 * entries no update touches are copied as they are, where libgit2 loads
 * every entry of those trees into a tree builder and sorts them again (a
 * cost that grows with the bucket trees). Odd cases (a file where a
 * directory was, a path twice) go to libgit2. */
int repo_tree_create_updated(git_oid *out, git_repository *r, git_tree *base, size_t n, const git_tree_update *u);

/* The tree id of COMMIT. */
int repo_commit_tree(git_repository *r, const git_oid *commit, git_oid *tree);

/* The objects of the commits that TIPS reach in SRC, but not HIDE (commits
 * the receiver holds; those SRC lacks or that are not commits are
 * skipped) nor those HAVE (called with each commit met; may be NULL) says
 * the receiver holds, nor their ancestors. ADD is called with each object
 * (one may come twice), oldest commit first, and, for a tree or blob, BASE: the object at the
 * same path in the first parent's tree, which the receiver holds or was
 * given by an earlier call (a delta base), or NULL. A new commit brings only what its tree does
 * not share with its first parent's: subtrees are compared by id and only
 * those that differ are opened (git's "sparse" walk), so the cost grows
 * with the change, not with the tree, where libgit2's
 * git_packbuilder_insert_walk reads every tree of the commits it hides.
 * Correct when whoever holds a commit holds all it reaches (a repository,
 * not a shallow clone). *COMMITS counts the new commits. A negative return
 * of ADD stops the walk and is returned. */
int repo_pack_sparse(git_repository *src, const git_oid *tips, size_t ntips, const git_oid *hide, size_t nhide,
                     int (*have)(const git_oid *commit, void *payload),
                     int (*add)(const git_oid *id, const git_oid *base, void *payload), void *payload, size_t *commits);

/* Remove stale lock files (*.lock under refs/ and HEAD.lock) that a killed
 * process left; call only while holding the node lock. Returns how many. */
int repo_clear_stale_locks(const char *gitdir);

/* git's order of tree entries: names as bytes, a tree's as if it ended
 * in '/' (so "a.json" < "a/" and a blob "a" < a tree "a"): <0, 0, >0. */
int repo_entry_order(const char *a, size_t al, int a_tree, const char *b, size_t bl, int b_tree);

#endif
