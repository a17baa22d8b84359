/* pack: git packs written by the node, and the byte buffer their writers
 * share.
 *
 * A pack is written straight to the pack directory with its version-2
 * index (gitformat-pack(5)): each object's id, offset and CRC are known as
 * it is written, so nothing is inflated and hashed a second time. Files
 * are fsynced and renamed into place, the index last, so a reader never
 * sees a pack without its index. */
#ifndef C2C_PACK_H
#define C2C_PACK_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "c2c/oidlist.h"
#include "c2c/progress.h"

/* A growing byte buffer (free p when done). */
typedef struct {
	unsigned char *p;
	size_t len, cap;
} repo_buf;
int repo_buf_put(repo_buf *b, const void *d, size_t n);

/* The header of a pack entry of TYPE (an object's, or 6/7 for deltas) and
 * SIZE (uncompressed) into HDR; its length. */
size_t repo_pack_header(unsigned char hdr[16], int type, size_t size);

/* The list of object ids repo_pack_copy takes (oidlist.h); repo_oids_add
 * fits repo_pack_sparse's ADD (the base is not kept). */
typedef oid_list repo_oids;
int repo_oids_add(const git_oid *id, const git_oid *base, void *oids);

/* Copy the objects OIDS from SRC into one pack in DIR (NULL: R's
 * objects/pack), fsynced, each once. An object SRC_PACKS (SRC's pack
 * directory, or NULL) holds whole is copied as that pack stores it,
 * inflated only to be hashed (packsrc.h); one it holds as a delta is kept
 * as stored too, a delta on its base's id, when the base is an object this
 * copy has checked (and still holds in memory), the chain is at most 50
 * deep, and the delta applied to the base hashes to the object's id; any
 * other is read through libgit2 and compressed again. Objects go in the
 * order given (a walk's order is near the order SRC's pack holds them in,
 * so that a delta's base comes before it, and libgit2 reads a base once
 * while it caches it); each is hashed and checked against its id (a
 * mismatch is C2C_ECORRUPT naming FROM). PROGRESS (LABEL, done, total)
 * after each, if given. Many objects are hashed and compressed on other
 * threads while this one reads SRC (libgit2 reads one pack on one thread
 * at a time); the pack holds the same objects either way. */
int repo_pack_copy(git_repository *r, const char *dir, git_odb *src, const char *src_packs, const char *from,
                   const repo_oids *oids, const c2c_progress *progress, const char *label);

/* Past AT packs in GITDIR/objects/pack (those with a .keep not counted),
 * copy the smallest into one pack (repo_pack_copy: each object hashed
 * again), from the smallest up until the next is more than twice what is
 * gathered, fsynced; then delete them, each index before its pack.
 * *GATHERED is how many went. A pack whose index is not version 2 stays.
 * On an error nothing is deleted (packgather.c). */
int repo_pack_gather(git_repository *r, const char *gitdir, size_t at, size_t *gathered);
/* Git's gc.autoPackLimit: where a sync starts gathering. */
#define REPO_PACK_GATHER_AT 50

/* A pack being written: NOBJECTS objects, streamed to the file as they
 * come, so that memory stays small whatever the count. */
typedef struct repo_pack repo_pack;
int repo_pack_new(repo_pack **out, git_repository *r, size_t nobjects);
/* Same, written into DIR (a pack directory, as the quarantine's) instead
 * of repo.git/objects/pack; the repository's object database is refreshed
 * at the end either way. */
int repo_pack_new_in(repo_pack **out, git_repository *r, const char *dir, size_t nobjects);
/* Add a whole object of TYPE; *OUT receives its id. More objects than
 * announced is C2C_EFAIL. */
int repo_pack_add(repo_pack *p, git_object_t type, const char *data, size_t len, git_oid *out);
/* repo_pack_add in two steps, so that the costly one runs on any thread:
 * repo_pack_deflate hashes and compresses an object into D (which keeps
 * its buffers and zlib stream for the next object; zero it first, free
 * it with repo_deflated_free), and repo_pack_add_deflated appends D's
 * entry to P (one thread at a time per pack). */
typedef struct {
	git_oid oid;
	unsigned char hdr[16];
	size_t hlen, zlen, zcap;
	unsigned char *z;
	uint32_t crc;
	z_stream zs;
	int zinit;
} repo_deflated;
int repo_pack_deflate(repo_deflated *d, git_object_t type, const char *data, size_t len);
int repo_pack_add_deflated(repo_pack *p, const repo_deflated *d);
void repo_deflated_free(repo_deflated *d);
int repo_pack_add_blob(repo_pack *p, const char *data, size_t len, git_oid *out);
/* Write the checksum and the index and rename both into place; fewer
 * objects than announced, or one twice, is C2C_EFAIL. */
int repo_pack_finish(repo_pack *p);
/* Free P; a pack not finished is removed. */
void repo_pack_free(repo_pack *p);

#endif
