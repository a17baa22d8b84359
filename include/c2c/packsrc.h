/* packsrc: the packs of another repository on this disk, read as they are
 * stored, so that an object kept whole there is copied without being
 * compressed again (repo_pack_copy, pack.h).
 *
 * Every byte is another node's: the indexes and packs are mapped read-only
 * and every offset, length and header is checked against the file it
 * points into; a pack or index whose header and tables do not hold
 * together is left out, as is an entry whose offset points outside its
 * pack (their objects are then read through libgit2, which says what is
 * wrong).
 * What an entry found here holds is not trusted either: the copy inflates
 * it and hashes it against its id before it enters a pack. */
#ifndef C2C_PACKSRC_H
#define C2C_PACKSRC_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

typedef struct pack_src pack_src;

/* The packs of DIR (a repository's objects/pack), each with its version-2
 * index; none (an empty set, not an error) when DIR has none or cannot be
 * read. C2C_ENOMEM. */
int pack_src_open(pack_src **out, const char *dir);
void pack_src_free(pack_src *s);

/* An entry stored whole: its object type, inflated size, and where its
 * compressed bytes begin in the pack (valid until pack_src_free); ZLEN is
 * how far they may run until pack_raw_inflate says where they end. */
typedef struct {
	git_object_t type;
	size_t size;
	const unsigned char *z;
	size_t zlen;
	/* Which entry this is (its pack and offset: the same entry, the same
	 * key), and for a delta (TYPE GIT_OBJECT_OFS_DELTA or _REF_DELTA,
	 * SIZE the delta's), its base: BASE_KEY for the one at an offset
	 * before it, BASE for the one named by its id (then BASE_KEY is its
	 * entry in the same pack, or 0 if that pack has none). */
	uint64_t key, base_key;
	git_oid base;
} pack_raw;

/* Where ID is in S's packs: 1 for an object stored whole, 2 for a delta
 * (whose base is not checked to hold: the copy applies it and hashes the
 * result), 0 for an object S's first pack that lists it does not hold in
 * a form read here, or that none lists. */
int pack_src_find_entry(const pack_src *s, const git_oid *id, pack_raw *out);

/* Inflate R into *BUF (which grows as needed, its capacity in *CAP) with
 * ZS (inflateInit'ed; reset here) and check that R's bytes begin with one
 * zlib stream of R->size bytes, whose length goes to R->zlen: 0,
 * C2C_ENOMEM, or -1 when they do not (no error set: the caller names the
 * object). */
int pack_raw_inflate(pack_raw *r, z_stream *zs, unsigned char **buf, size_t *cap);

#endif
