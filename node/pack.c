/* pack: git packs written by the node (include/c2c/pack.h). */
#include "c2c/pack.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "c2c/delta.h"
#include "c2c/err.h"
#include "c2c/fault.h"
#include "c2c/packsrc.h"
#include "c2c/util.h"

/* A pack written straight to objects/pack/ with its version-2 index, as
 * git's own pack writers do: we know each object's id, offset and CRC as we
 * write it, so nothing is inflated and hashed a second time (libgit2's
 * indexer would). Files are fsynced and renamed into place, the index last,
 * so a reader never sees a pack without its index. */
typedef struct {
	git_oid oid;
	uint64_t off;
	uint32_t crc;
} pack_entry;

struct repo_pack {
	git_repository *repo;
	char *dir, *tmp_pack;
	int fd;
	EVP_MD_CTX *sha;
	unsigned char *buf, *z;
	size_t len, cap, zcap;
	uint64_t written;  /* bytes of the pack so far */
	repo_deflated one; /* repo_pack_add's: one deflate stream, reset per object */
	pack_entry *e;
	size_t expected, added;
};

static int pack_flush(repo_pack *p)
{
	int err = p->len ? write_all(p->fd, p->buf, p->len, p->tmp_pack) : 0;
	p->len = 0;
	return err;
}

static int pack_put(repo_pack *p, const void *data, size_t n)
{
	const unsigned char *d = data;
	EVP_DigestUpdate(p->sha, d, n);
	p->written += n;
	while (n) {
		size_t k = p->cap - p->len < n ? p->cap - p->len : n;
		memcpy(p->buf + p->len, d, k);
		p->len += k;
		d += k;
		n -= k;
		if (p->len == p->cap) {
			int err = pack_flush(p);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

int repo_pack_new(repo_pack **out, git_repository *r, size_t nobjects) { return repo_pack_new_in(out, r, NULL, nobjects); }

int repo_pack_new_in(repo_pack **out, git_repository *r, const char *dir, size_t nobjects)
{
	repo_pack *p = calloc(1, sizeof(*p));
	int err;
	*out = NULL;
	if (!p)
		return ERR_OOM();
	p->fd = -1;
	p->repo = r;
	p->cap = 1 << 16;
	p->expected = nobjects;
	size_t dl = (dir ? strlen(dir) : strlen(git_repository_path(r))) + 32;
	p->dir = malloc(dl);
	p->tmp_pack = malloc(dl + 32);
	p->buf = malloc(p->cap);
	p->e = calloc(nobjects ? nobjects : 1, sizeof(*p->e));
	if (!p->dir || !p->tmp_pack || !p->buf || !p->e) {
		repo_pack_free(p);
		return ERR_OOM();
	}
	if (dir)
		snprintf(p->dir, dl, "%s", dir);
	else
		snprintf(p->dir, dl, "%sobjects/pack", git_repository_path(r));
	snprintf(p->tmp_pack, dl + 32, "%s/tmp_pack_XXXXXX", p->dir);
	mkdir(p->dir, 0755);
	if ((p->fd = mkstemp(p->tmp_pack)) < 0) {
		err = err_errno(C2C_EIO, p->tmp_pack);
		repo_pack_free(p);
		return err;
	}
	fchmod(p->fd, 0444);
	if (!(p->sha = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(p->sha, EVP_sha1(), NULL)) {
		repo_pack_free(p);
		return err_set(C2C_ENOMEM, "starting a pack checksum");
	}
	unsigned char hdr[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	hdr[8] = (unsigned char)(nobjects >> 24);
	hdr[9] = (unsigned char)(nobjects >> 16);
	hdr[10] = (unsigned char)(nobjects >> 8);
	hdr[11] = (unsigned char)nobjects;
	if ((err = pack_put(p, hdr, sizeof(hdr))) < 0) {
		repo_pack_free(p);
		return err;
	}
	*out = p;
	return 0;
}

size_t repo_pack_header(unsigned char hdr[16], int type, size_t size)
{
	size_t h = 0;
	hdr[h] = (unsigned char)((type << 4) | (size & 15));
	size >>= 4;
	while (size) {
		hdr[h++] |= 0x80;
		hdr[h] = (unsigned char)(size & 0x7f);
		size >>= 7;
	}
	return h + 1;
}

int repo_pack_deflate(repo_deflated *d, git_object_t type, const char *data, size_t len)
{
	int rc;
	if ((rc = git_odb_hash(&d->oid, data, len, type)) < 0)
		return err_git(rc, "hashing an object");
	d->hlen = repo_pack_header(d->hdr, (int)type, len);
	if (!d->zinit) {
		if (deflateInit(&d->zs, Z_BEST_SPEED) != Z_OK)
			return err_set(C2C_ENOMEM, "starting zlib");
		d->zinit = 1;
	} else if (deflateReset(&d->zs) != Z_OK) {
		return err_set(C2C_EFAIL, "resetting zlib");
	}
	uLong bound = deflateBound(&d->zs, (uLong)len);
	if (bound > d->zcap) {
		unsigned char *z = realloc(d->z, bound);
		if (!z)
			return ERR_OOM();
		d->z = z;
		d->zcap = bound;
	}
	d->zs.next_in = (Bytef *)(uintptr_t)data;
	d->zs.avail_in = (uInt)len;
	d->zs.next_out = d->z;
	d->zs.avail_out = (uInt)d->zcap;
	if (deflate(&d->zs, Z_FINISH) != Z_STREAM_END)
		return err_set(C2C_EFAIL, "compressing an object failed: %s", d->zs.msg ? d->zs.msg : "zlib error");
	d->zlen = d->zs.total_out;
	d->crc = (uint32_t)crc32(crc32(0L, d->hdr, (uInt)d->hlen), d->z, (uInt)d->zlen);
	return 0;
}

/* An entry of ID: its header HDR, its compressed bytes Z, the CRC of both. */
static int pack_add_entry(repo_pack *p, const git_oid *id, const unsigned char *hdr, size_t hlen,
                          const unsigned char *z, size_t zlen, uint32_t crc)
{
	int err;
	if (p->added == p->expected)
		return err_set(C2C_EFAIL, "pack holds more objects than announced");
	pack_entry *e = &p->e[p->added];
	git_oid_cpy(&e->oid, id);
	e->off = p->written;
	e->crc = crc;
	if ((err = pack_put(p, hdr, hlen)) < 0 || (err = pack_put(p, z, zlen)) < 0)
		return err;
	p->added++;
	return 0;
}

int repo_pack_add_deflated(repo_pack *p, const repo_deflated *d)
{
	return pack_add_entry(p, &d->oid, d->hdr, d->hlen, d->z, d->zlen, d->crc);
}

void repo_deflated_free(repo_deflated *d)
{
	if (d->zinit)
		deflateEnd(&d->zs);
	free(d->z);
	memset(d, 0, sizeof(*d));
}

int repo_pack_add(repo_pack *p, git_object_t type, const char *data, size_t len, git_oid *out)
{
	int err;
	if ((err = repo_pack_deflate(&p->one, type, data, len)) < 0 || (err = repo_pack_add_deflated(p, &p->one)) < 0)
		return err;
	git_oid_cpy(out, &p->one.oid);
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return git_oid_cmp(&((const pack_entry *)a)->oid, &((const pack_entry *)b)->oid);
}

static void be32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

/* The version-2 index (gitformat-pack(5)) of the pack's entries. */
static int write_index(repo_pack *p, const unsigned char *pack_sum, const char *path)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned char b[8], sum[EVP_MAX_MD_SIZE];
	unsigned int sumlen = 0;
	size_t n = p->added, nlarge = 0;
	int fd = -1, err = 0;
	if (!sha || !EVP_DigestInit_ex(sha, EVP_sha1(), NULL)) {
		EVP_MD_CTX_free(sha);
		return err_set(C2C_ENOMEM, "starting an index checksum");
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0) {
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	p->len = 0;
	p->fd = fd;
#define IDX_PUT(data, k)                                                                                               \
	do {                                                                                                           \
		EVP_DigestUpdate(sha, (data), (k));                                                                    \
		if (p->cap - p->len < (k) && (err = pack_flush(p)) < 0)                                               \
			goto done;                                                                                     \
		memcpy(p->buf + p->len, (data), (k));                                                                  \
		p->len += (k);                                                                                         \
	} while (0)
	static const unsigned char magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	IDX_PUT(magic, 8);
	size_t i = 0;
	for (int f = 0; f < 256; f++) {
		while (i < n && p->e[i].oid.id[0] <= f)
			i++;
		be32(b, (uint32_t)i);
		IDX_PUT(b, 4);
	}
	for (i = 0; i < n; i++)
		IDX_PUT(p->e[i].oid.id, GIT_OID_RAWSZ);
	for (i = 0; i < n; i++) {
		be32(b, p->e[i].crc);
		IDX_PUT(b, 4);
	}
	for (i = 0; i < n; i++) {
		be32(b, p->e[i].off < 0x80000000u ? (uint32_t)p->e[i].off : (uint32_t)(0x80000000u | nlarge++));
		IDX_PUT(b, 4);
	}
	for (i = 0; i < n; i++) {
		if (p->e[i].off < 0x80000000u)
			continue;
		be32(b, (uint32_t)(p->e[i].off >> 32));
		be32(b + 4, (uint32_t)p->e[i].off);
		IDX_PUT(b, 8);
	}
	IDX_PUT(pack_sum, GIT_OID_RAWSZ);
	EVP_DigestFinal_ex(sha, sum, &sumlen);
	if (p->cap - p->len < sumlen && (err = pack_flush(p)) < 0)
		goto done;
	memcpy(p->buf + p->len, sum, sumlen);
	p->len += sumlen;
#undef IDX_PUT
	if ((err = pack_flush(p)) < 0)
		goto done;
	if (fsync(fd) < 0)
		err = err_errno(C2C_EIO, path);
done:
	if (fd >= 0)
		close(fd);
	p->fd = -1;
	EVP_MD_CTX_free(sha);
	return err;
}

int repo_pack_finish(repo_pack *p)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int sumlen = 0;
	char hex[GIT_OID_HEXSZ + 1], *tmp_idx = NULL, *pack = NULL, *idx = NULL;
	git_odb *odb = NULL;
	git_oid name;
	int err;
	if (p->added != p->expected)
		return err_set(C2C_EFAIL, "pack holds %zu objects, %zu announced", p->added, p->expected);
	EVP_DigestFinal_ex(p->sha, sum, &sumlen);
	if (p->cap - p->len < sumlen && (err = pack_flush(p)) < 0)
		return err;
	memcpy(p->buf + p->len, sum, sumlen);
	p->len += sumlen;
	if ((err = pack_flush(p)) < 0)
		return err;
	if (fsync(p->fd) < 0 || close(p->fd) < 0) {
		p->fd = -1;
		return err_errno(C2C_EIO, p->tmp_pack);
	}
	p->fd = -1;
	qsort(p->e, p->added, sizeof(*p->e), cmp_entry);
	for (size_t i = 1; i < p->added; i++)
		if (git_oid_equal(&p->e[i].oid, &p->e[i - 1].oid))
			return err_set(C2C_EFAIL, "pack holds object %s twice", git_oid_tostr_s(&p->e[i].oid));
	git_oid_fromraw(&name, sum);
	git_oid_tostr(hex, sizeof(hex), &name);
	size_t l = strlen(p->dir) + 64;
	tmp_idx = malloc(l);
	pack = malloc(l);
	idx = malloc(l);
	if (!tmp_idx || !pack || !idx) {
		err = ERR_OOM();
		goto done;
	}
	snprintf(tmp_idx, l, "%s/tmp_idx_%s", p->dir, hex);
	snprintf(pack, l, "%s/pack-%s.pack", p->dir, hex);
	snprintf(idx, l, "%s/pack-%s.idx", p->dir, hex);
	unlink(tmp_idx);
	if ((err = write_index(p, sum, tmp_idx)) < 0)
		goto done;
	fault_point("pack: written, before it is renamed into place");
	if (rename(p->tmp_pack, pack) < 0 || rename(tmp_idx, idx) < 0) {
		err = err_errno(C2C_EIO, pack);
		goto done;
	}
	int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(p->tmp_pack);
	p->tmp_pack = NULL;
	int rc;
	if ((rc = git_repository_odb(&odb, p->repo)) < 0 || (rc = git_odb_refresh(odb)) < 0)
		err = err_git(rc, "reading the new pack");
done:
	git_odb_free(odb);
	if (tmp_idx)
		unlink(tmp_idx);
	free(tmp_idx);
	free(pack);
	free(idx);
	return err;
}

void repo_pack_free(repo_pack *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->tmp_pack)
		unlink(p->tmp_pack); /* not finished: leave nothing behind */
	EVP_MD_CTX_free(p->sha);
	repo_deflated_free(&p->one);
	free(p->tmp_pack);
	free(p->dir);
	free(p->buf);
	free(p->e);
	free(p);
}

int repo_pack_add_blob(repo_pack *p, const char *data, size_t len, git_oid *out)
{
	return repo_pack_add(p, GIT_OBJECT_BLOB, data, len, out);
}

int repo_oids_add(const git_oid *id, const git_oid *base, void *oids)
{
	(void)base;
	return oid_list_add(oids, id);
}

/* Below this many objects a copy runs on one thread. */
#define COPY_PAR_MIN 2048
#define COPY_STORED_MIN 256
#define COPY_RING 512
#define COPY_MAX_THREADS 4
/* A delta kept as stored is at most this deep (git's pack.depth). */
#define COPY_MAX_DEPTH 50
/* ... and makes an object of at most this many bytes (larger: read whole). */
#define COPY_DELTA_MAX ((size_t)16 << 20)
/* The objects a copy has checked, kept to apply the deltas that follow
 * them: their bytes in a ring of SEEN_BYTES, found by their entry's key
 * in a table of SEEN_SLOTS (emptied when half full). */
#define SEEN_BYTES ((size_t)64 << 20)
#define SEEN_SLOTS ((size_t)1 << 18)
#define SEEN_MAX_OBJECT ((size_t)1 << 20)

/* One object of a copy: read through libgit2 (O), or found in one of the
 * source's packs (O NULL, RAW: whole, or a delta). */
typedef struct {
	git_odb_object *o;
	pack_raw raw;
	const git_oid *want;
} copy_item;

/* An object the copy checked: its id, type and bytes (at POS in the
 * ring, LEN long), and how deep a chain of kept deltas it ends. */
typedef struct {
	uint64_t key, pos;
	git_oid id;
	uint32_t len;
	uint8_t type, depth;
} seen_entry;

typedef struct {
	pthread_mutex_t mu;
	seen_entry *t;
	size_t used;
	unsigned char *ring;
	uint64_t wpos; /* bytes ever written into the ring */
} seen_set;

/* Short of memory, S keeps nothing: every delta is then read whole. */
static void seen_init(seen_set *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->t = calloc(SEEN_SLOTS, sizeof(*s->t));
	s->ring = malloc(SEEN_BYTES);
	if (!s->t || !s->ring) {
		free(s->t);
		free(s->ring);
		s->t = NULL, s->ring = NULL;
	}
}

static void seen_free(seen_set *s)
{
	pthread_mutex_destroy(&s->mu);
	free(s->t);
	free(s->ring);
}

static size_t seen_slot(uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(key >> 40) & (SEEN_SLOTS - 1);
}

/* KEY's object is ID, of TYPE, DATA[0..LEN), at the end of a chain of
 * DEPTH kept deltas. */
static void seen_put(seen_set *s, uint64_t key, const git_oid *id, git_object_t type, const unsigned char *data,
                     size_t len, unsigned depth)
{
	if (!s || !s->t || !key || len > SEEN_MAX_OBJECT)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->used >= SEEN_SLOTS / 2) {
		memset(s->t, 0, SEEN_SLOTS * sizeof(*s->t));
		s->used = 0;
	}
	size_t at = (size_t)(s->wpos % SEEN_BYTES);
	if (len > SEEN_BYTES - at) /* does not fit before the ring's end: start again at 0 */
		s->wpos += SEEN_BYTES - at, at = 0;
	memcpy(s->ring + at, data, len);
	size_t i = seen_slot(key);
	while (s->t[i].key && s->t[i].key != key)
		i = (i + 1) & (SEEN_SLOTS - 1);
	if (!s->t[i].key)
		s->used++;
	s->t[i] = (seen_entry){key, s->wpos, *id, (uint32_t)len, (uint8_t)type, (uint8_t)depth};
	s->wpos += len;
	pthread_mutex_unlock(&s->mu);
}

/* KEY's object, if still kept: copied into OUT. */
static int seen_get(seen_set *s, uint64_t key, seen_entry *e, repo_buf *out)
{
	int found = 0;
	if (!s || !s->t || !key)
		return 0;
	pthread_mutex_lock(&s->mu);
	size_t i = seen_slot(key);
	while (s->t[i].key && s->t[i].key != key)
		i = (i + 1) & (SEEN_SLOTS - 1);
	/* Its bytes not yet written over: they began after the last SEEN_BYTES. */
	if (s->t[i].key && s->t[i].pos + SEEN_BYTES >= s->wpos) {
		*e = s->t[i];
		out->len = 0;
		found = repo_buf_put(out, s->ring + (size_t)(e->pos % SEEN_BYTES), e->len) == 0;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* What a thread of the copy keeps from one object to the next: the
 * compressor of objects read through libgit2, the inflater and buffers of
 * those copied as stored, and the entry made of the last one (from D, or
 * the header HDR, ID and CRC with Z's bytes). */
typedef struct {
	repo_deflated d;
	z_stream zi;
	int ziinit;
	unsigned char *buf;
	size_t cap;
	repo_buf base, obj; /* a delta's base, and its result */
	git_oid id;
	unsigned char hdr[16 + GIT_OID_RAWSZ];
	size_t hlen;
	const unsigned char *z;
	size_t zlen;
	uint32_t crc;
	unsigned depth;
} copy_state;

/* The objects read and waiting for a thread to compress them. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	copy_item ring[COPY_RING];
	size_t head, tail; /* taken at head, put at tail (counts) */
	int closed;        /* the reader put its last */
	int failed;        /* a thread failed (fail says how): everyone stops */
	err_state fail;
	pthread_mutex_t pack_mu; /* one thread at a time appends to pk */
	repo_pack *pk;
	const char *from;
	git_odb *src;
	seen_set *seen;
} copy_ring;

static void copy_failed(copy_ring *c)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed) {
		c->failed = 1;
		err_save(&c->fail);
	}
	pthread_cond_broadcast(&c->can_put);
	pthread_cond_broadcast(&c->can_take);
	pthread_mutex_unlock(&c->mu);
}

static int not_its_id(const char *from, const git_oid *want)
{
	return err_set(C2C_ECORRUPT, "%s: object %s does not hash to its id; run 'git fsck' there", from,
	               git_oid_tostr_s(want));
}

/* WANT read whole from SRC through libgit2 into *O. */
static int read_whole(git_odb *src, const char *from, const git_oid *want, git_odb_object **o)
{
	int rc = git_odb_read(o, src, want), err;
	if (rc >= 0)
		return 0;
	err = err_git(rc, from);
	return err == C2C_ENOMEM ? err : err_hint("its repository may be damaged: run 'git fsck' there");
}

/* CS's entry: the header CS->hdr (CS->hlen bytes) and RAW's bytes as
 * stored, with the CRC of both. */
static void entry_as_stored(copy_state *cs, const pack_raw *raw)
{
	cs->z = raw->z;
	cs->zlen = raw->zlen;
	cs->crc = (uint32_t)crc32(crc32(0L, cs->hdr, (uInt)cs->hlen), cs->z, (uInt)cs->zlen);
}

static int inflater(copy_state *cs)
{
	if (!cs->ziinit) {
		if (inflateInit(&cs->zi) != Z_OK)
			return err_set(C2C_ENOMEM, "starting zlib");
		cs->ziinit = 1;
	}
	return 0;
}

/* IT a delta: kept as stored (a delta on its base's id) when its base is
 * an object this copy checked, no deeper than COPY_MAX_DEPTH, and the
 * delta applied to it hashes to IT's id. 1 if kept, 0 if not (no error
 * set: the object is then read whole), C2C_ENOMEM. */
static int copy_delta(copy_state *cs, copy_item *it, seen_set *seen)
{
	seen_entry b;
	git_oid got;
	int err;
	if (!seen_get(seen, it->raw.base_key, &b, &cs->base) || b.depth >= COPY_MAX_DEPTH ||
	    (it->raw.type == GIT_OBJECT_REF_DELTA && !git_oid_equal(&b.id, &it->raw.base)))
		return 0;
	if ((err = inflater(cs)) < 0 || (err = pack_raw_inflate(&it->raw, &cs->zi, &cs->buf, &cs->cap)) == C2C_ENOMEM)
		return err;
	if (err < 0 || (err = delta_apply(&cs->obj, cs->base.p, cs->base.len, cs->buf, it->raw.size, COPY_DELTA_MAX)) < 0)
		return err == C2C_ENOMEM ? err : 0;
	if (git_odb_hash(&got, cs->obj.p, cs->obj.len, (git_object_t)b.type) < 0 || !git_oid_equal(&got, it->want))
		return 0;
	cs->id = got;
	cs->hlen = repo_pack_header(cs->hdr, GIT_OBJECT_REF_DELTA, it->raw.size);
	memcpy(cs->hdr + cs->hlen, b.id.id, GIT_OID_RAWSZ);
	cs->hlen += GIT_OID_RAWSZ;
	entry_as_stored(cs, &it->raw);
	cs->depth = b.depth + 1u;
	seen_put(seen, it->raw.key, &got, (git_object_t)b.type, cs->obj.p, cs->obj.len, cs->depth);
	return 1;
}

/* IT, read for its id from FROM, made a pack entry in CS: a delta as
 * stored (copy_delta), compressed (read through libgit2; freed here), or
 * whole as stored (inflated only to be hashed). C2C_ECORRUPT if it does
 * not hash to its id. SRC reads a delta not kept. */
static int copy_prepare(copy_state *cs, copy_item *it, const char *from, git_odb *src, seen_set *seen)
{
	int err;
	if (!it->o && it->raw.z && it->raw.type >= GIT_OBJECT_OFS_DELTA) {
		if ((err = copy_delta(cs, it, seen)) != 0)
			return err < 0 ? err : 0;
		if ((err = read_whole(src, from, it->want, &it->o)) < 0)
			return err;
	}
	if (it->o) {
		git_odb_object *o = it->o;
		it->o = NULL;
		err = repo_pack_deflate(&cs->d, git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o));
		if (err == 0 && git_oid_equal(&cs->d.oid, it->want))
			seen_put(seen, it->raw.key, &cs->d.oid, git_odb_object_type(o), git_odb_object_data(o),
			         git_odb_object_size(o), 0);
		git_odb_object_free(o);
		if (err < 0)
			return err;
		if (!git_oid_equal(&cs->d.oid, it->want))
			return not_its_id(from, it->want);
		cs->id = cs->d.oid;
		memcpy(cs->hdr, cs->d.hdr, cs->d.hlen);
		cs->hlen = cs->d.hlen;
		cs->z = cs->d.z;
		cs->zlen = cs->d.zlen;
		cs->crc = cs->d.crc;
		return 0;
	}
	if ((err = inflater(cs)) < 0 || (err = pack_raw_inflate(&it->raw, &cs->zi, &cs->buf, &cs->cap)) == C2C_ENOMEM)
		return err;
	if (err < 0 || git_odb_hash(&cs->id, cs->buf, it->raw.size, it->raw.type) < 0 || !git_oid_equal(&cs->id, it->want))
		return not_its_id(from, it->want);
	seen_put(seen, it->raw.key, &cs->id, it->raw.type, cs->buf, it->raw.size, 0);
	cs->hlen = repo_pack_header(cs->hdr, (int)it->raw.type, it->raw.size);
	entry_as_stored(cs, &it->raw);
	return 0;
}

static int copy_append(repo_pack *pk, const copy_state *cs)
{
	return pack_add_entry(pk, &cs->id, cs->hdr, cs->hlen, cs->z, cs->zlen, cs->crc);
}

static void copy_state_free(copy_state *cs)
{
	repo_deflated_free(&cs->d);
	if (cs->ziinit)
		inflateEnd(&cs->zi);
	free(cs->buf);
	free(cs->base.p);
	free(cs->obj.p);
}

static void *copy_work(void *arg)
{
	copy_ring *c = arg;
	copy_state cs = {0};
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (c->head == c->tail && !c->closed && !c->failed)
			pthread_cond_wait(&c->can_take, &c->mu);
		if (c->head == c->tail || c->failed) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		copy_item it = c->ring[c->head % COPY_RING];
		c->head++;
		pthread_cond_signal(&c->can_put);
		pthread_mutex_unlock(&c->mu);
		int err = copy_prepare(&cs, &it, c->from, c->src, c->seen);
		if (err == 0) {
			pthread_mutex_lock(&c->pack_mu);
			err = copy_append(c->pk, &cs);
			pthread_mutex_unlock(&c->pack_mu);
		}
		if (err < 0) {
			copy_failed(c);
			break;
		}
	}
	copy_state_free(&cs);
	return NULL;
}

static size_t copy_threads(size_t n)
{
	if (n < COPY_PAR_MIN)
		return 0;
	long k = sysconf(_SC_NPROCESSORS_ONLN);
	return k < 2 ? 0 : k > COPY_MAX_THREADS ? COPY_MAX_THREADS : (size_t)k;
}

/* One object of the copy: found whole in PACKS or read (on this thread),
 * then made an entry and appended here (RING NULL, with CS) or by the
 * ring's threads. */
static int copy_one(git_odb *src, const pack_src *packs, const char *from, const git_oid *want, repo_pack *pk,
                    copy_state *cs, copy_ring *ring, seen_set *seen)
{
	copy_item it = {NULL, {0}, want};
	int err;
	if (!pack_src_find_entry(packs, want, &it.raw) && (err = read_whole(src, from, want, &it.o)) < 0)
		return err;
	if (!ring)
		return (err = copy_prepare(cs, &it, from, src, seen)) < 0 ? err : copy_append(pk, cs);
	pthread_mutex_lock(&ring->mu);
	while (ring->tail - ring->head == COPY_RING && !ring->failed)
		pthread_cond_wait(&ring->can_put, &ring->mu);
	if (ring->failed) {
		pthread_mutex_unlock(&ring->mu);
		git_odb_object_free(it.o);
		return err_restore(&ring->fail);
	}
	ring->ring[ring->tail % COPY_RING] = it;
	ring->tail++;
	pthread_cond_signal(&ring->can_take);
	pthread_mutex_unlock(&ring->mu);
	return 0;
}

int repo_pack_copy(git_repository *r, const char *dir, git_odb *src, const char *src_packs, const char *from,
                   const repo_oids *oids, const c2c_progress *progress, const char *label)
{
	oid_list uniq = {0};
	unsigned char *done = NULL;
	repo_pack *pk = NULL;
	pack_src *packs = NULL;
	copy_state cs = {0};
	copy_ring *ring = NULL;
	seen_set seen_s, *seen = NULL;
	pthread_t th[COPY_MAX_THREADS];
	size_t copied = 0, at, nth = 0;
	int err = 0;
	if (!oids->n)
		return 0;
	/* Each once: a sorted copy says which were copied. */
	for (size_t i = 0; i < oids->n && err == 0; i++)
		err = oid_list_add(&uniq, &oids->v[i]);
	if (err < 0)
		goto done;
	oid_list_sort(&uniq);
	if (!(done = calloc(uniq.n, 1))) {
		err = ERR_OOM();
		goto done;
	}
	/* A few objects (a sync of one change) are read through libgit2:
	 * mapping every pack of a hub would cost more than compressing them. */
	if ((err = repo_pack_new_in(&pk, r, dir, uniq.n)) < 0 ||
	    (src_packs && uniq.n >= COPY_STORED_MIN && (err = pack_src_open(&packs, src_packs)) < 0))
		goto done;
	if (packs) { /* deltas kept as stored need the objects before them */
		seen_init(&seen_s);
		seen = &seen_s;
	}
	size_t want = copy_threads(uniq.n);
	if (want && (ring = calloc(1, sizeof(*ring)))) {
		pthread_mutex_init(&ring->mu, NULL);
		pthread_mutex_init(&ring->pack_mu, NULL);
		pthread_cond_init(&ring->can_put, NULL);
		pthread_cond_init(&ring->can_take, NULL);
		ring->pk = pk;
		ring->from = from;
		ring->src = src;
		ring->seen = seen;
		while (nth < want && pthread_create(&th[nth], NULL, copy_work, ring) == 0)
			nth++;
	}
	copy_ring *use = nth ? ring : NULL; /* no thread started: all here */
	for (size_t i = 0; i < oids->n && err == 0; i++) {
		if (!oid_list_index(&uniq, &oids->v[i], &at) || done[at])
			continue;
		done[at] = 1;
		err = copy_one(src, packs, from, &oids->v[i], pk, &cs, use, seen);
		progress_report(progress, label, ++copied, uniq.n);
	}
	if (ring) {
		if (err < 0)
			copy_failed(ring);
		pthread_mutex_lock(&ring->mu);
		ring->closed = 1;
		pthread_cond_broadcast(&ring->can_take);
		pthread_mutex_unlock(&ring->mu);
		for (size_t i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
		for (; ring->head < ring->tail; ring->head++) /* left by a failure */
			git_odb_object_free(ring->ring[ring->head % COPY_RING].o);
		if (err == 0 && ring->failed)
			err = err_restore(&ring->fail);
	}
	if (err == 0)
		err = repo_pack_finish(pk);
done:
	if (ring) {
		pthread_mutex_destroy(&ring->mu);
		pthread_mutex_destroy(&ring->pack_mu);
		pthread_cond_destroy(&ring->can_put);
		pthread_cond_destroy(&ring->can_take);
		free(ring);
	}
	repo_pack_free(pk);
	pack_src_free(packs);
	if (seen)
		seen_free(seen);
	copy_state_free(&cs);
	free(done);
	oid_list_free(&uniq);
	return err;
}

/* ------------------------------------------------------ a byte buffer */

int repo_buf_put(repo_buf *b, const void *d, size_t n)
{
	int err;
	if (n > (size_t)-1 - b->len)
		return ERR_OOM();
	if ((err = util_grow((void **)&b->p, &b->cap, b->len + n, 1)) < 0)
		return err;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}
