/* packsrc: another repository's packs, read as stored (include/c2c/packsrc.h).
 * The formats are gitformat-pack(5)'s: a version-2 index (fan-out, sorted
 * ids, CRCs, 31-bit offsets with a table of 64-bit ones) beside its pack. */
#include "c2c/packsrc.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "c2c/err.h"
#include "c2c/util.h"

#define IDX_HEAD (8 + 256 * 4) /* magic, version, fan-out */
#define IDX_TAIL 40            /* the pack's checksum and the index's */
#define PACK_TAIL 20
/* Larger objects are read through libgit2 (records are a few KB). */
#define RAW_MAX ((uint64_t)1 << 28)
/* An entry's key: its pack's number above its offset. */
#define KEY_OFF_BITS 48
#define KEY_PACKS ((size_t)1 << 15)

typedef struct {
	const unsigned char *idx, *pack;
	size_t idx_len, pack_len;
	uint32_t n;
} src_pack;

struct pack_src {
	src_pack *v;
	size_t n, cap;
};

static int find_in(const src_pack *p, const git_oid *id, uint32_t *at);

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const unsigned char *map_file(const char *path, size_t *len)
{
	struct stat st;
	void *m = MAP_FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
		*len = (size_t)st.st_size;
		m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	}
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

static void unmap(src_pack *p)
{
	if (p->idx)
		munmap((void *)(uintptr_t)p->idx, p->idx_len);
	if (p->pack)
		munmap((void *)(uintptr_t)p->pack, p->pack_len);
	memset(p, 0, sizeof(*p));
}

/* Entry I's offset, from the 31-bit table or the 64-bit one; -1 if it
 * points outside the index or outside the pack's entries. */
static int entry_off(const src_pack *p, uint32_t i, uint64_t *off)
{
	uint32_t o = be32(p->idx + IDX_HEAD + (size_t)p->n * 24 + (size_t)i * 4);
	if (o & 0x80000000u) {
		uint64_t at = IDX_HEAD + (uint64_t)p->n * 28 + (uint64_t)(o & 0x7fffffffu) * 8;
		if (at + 8 > p->idx_len - IDX_TAIL)
			return -1;
		*off = (uint64_t)be32(p->idx + at) << 32 | be32(p->idx + at + 4);
	} else {
		*off = o;
	}
	return *off >= 12 && *off < p->pack_len - PACK_TAIL ? 0 : -1;
}

/* Whether the index and the pack hold together as far as opening needs:
 * magic and versions, a fan-out that never decreases, tables that fit the
 * index, as many entries in the pack as in the index. Each offset is
 * checked when its entry is looked up (opening reads nothing per object:
 * a sync's cost grows with what it copies, not with the remote's packs). */
static int check_pack(src_pack *p)
{
	static const unsigned char magic[] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	if (p->idx_len < IDX_HEAD + IDX_TAIL || memcmp(p->idx, magic, 8) || p->pack_len < 12 + PACK_TAIL ||
	    memcmp(p->pack, "PACK", 4) || (be32(p->pack + 4) != 2 && be32(p->pack + 4) != 3))
		return 0;
	for (int b = 1; b < 256; b++)
		if (be32(p->idx + 8 + 4 * b) < be32(p->idx + 8 + 4 * (b - 1)))
			return 0;
	p->n = be32(p->idx + 8 + 4 * 255);
	return p->n && IDX_HEAD + (uint64_t)p->n * 28 + IDX_TAIL <= p->idx_len && be32(p->pack + 8) == p->n;
}

int pack_src_open(pack_src **out, const char *dir)
{
	pack_src *s = calloc(1, sizeof(*s));
	DIR *d = opendir(dir);
	struct dirent *e;
	char ipath[PATH_MAX], ppath[PATH_MAX];
	int err = 0;
	*out = NULL;
	if (!s) {
		if (d)
			closedir(d);
		return ERR_OOM();
	}
	while (d && err == 0 && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		src_pack p = {0};
		if (l < 5 || strcmp(e->d_name + l - 4, ".idx") ||
		    snprintf(ipath, sizeof(ipath), "%s/%s", dir, e->d_name) >= (int)sizeof(ipath) ||
		    snprintf(ppath, sizeof(ppath), "%s/%.*s.pack", dir, (int)(l - 4), e->d_name) >= (int)sizeof(ppath))
			continue;
		if ((p.idx = map_file(ipath, &p.idx_len)))
			p.pack = map_file(ppath, &p.pack_len);
		if (p.idx && p.pack && check_pack(&p) && (err = ARRAY_RESERVE(s, s->n + 1)) == 0) {
			s->v[s->n++] = p;
			continue;
		}
		unmap(&p);
	}
	if (d)
		closedir(d);
	if (err < 0) {
		pack_src_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void pack_src_free(pack_src *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		unmap(&s->v[i]);
	free(s->v);
	free(s);
}

/* Entry I of P (the K-th pack): its header read within the pack's
 * entries; the compressed bytes run at most to the pack's checksum
 * (inflating says where they end). 1: whole; 2: a delta (its base's
 * offset within the entries before it, or its id); 0: neither. */
static int entry_raw(const src_pack *p, size_t k, uint32_t i, pack_raw *out)
{
	uint64_t off;
	if (k >= KEY_PACKS || entry_off(p, i, &off) < 0)
		return 0;
	const unsigned char *h = p->pack + off, *stop = p->pack + p->pack_len - PACK_TAIL;
	unsigned c = *h++;
	unsigned type = (c >> 4) & 7, shift = 4;
	uint64_t size = c & 15;
	while (c & 0x80) {
		if (h == stop || shift > 57)
			return 0;
		c = *h++;
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	if (size > RAW_MAX || h >= stop)
		return 0;
	out->key = (uint64_t)k << KEY_OFF_BITS | off;
	out->base_key = 0;
	if (type == GIT_OBJECT_OFS_DELTA) {
		/* The distance back: big-endian 7 bits a byte, each byte but the
		 * last adding one (gitformat-pack(5)). */
		c = *h++;
		uint64_t back = c & 0x7f;
		while (c & 0x80) {
			if (h == stop || back >= (uint64_t)1 << 56)
				return 0;
			c = *h++;
			back = ((back + 1) << 7) | (c & 0x7f);
		}
		if (h >= stop || back == 0 || back > off - 12)
			return 0;
		out->base_key = (uint64_t)k << KEY_OFF_BITS | (off - back);
	} else if (type == GIT_OBJECT_REF_DELTA) {
		if ((size_t)(stop - h) <= GIT_OID_RAWSZ)
			return 0;
		git_oid_fromraw(&out->base, h);
		h += GIT_OID_RAWSZ;
		uint32_t at;
		uint64_t boff;
		if (find_in(p, &out->base, &at) && entry_off(p, at, &boff) == 0)
			out->base_key = (uint64_t)k << KEY_OFF_BITS | boff;
	} else if (type < GIT_OBJECT_COMMIT || type > GIT_OBJECT_TAG) {
		return 0;
	}
	out->type = (git_object_t)type;
	out->size = (size_t)size;
	out->z = h;
	out->zlen = (uint64_t)(stop - h) > UINT_MAX ? UINT_MAX : (size_t)(stop - h);
	return type >= GIT_OBJECT_OFS_DELTA ? 2 : 1;
}

/* Where ID is in P's index. */
static int find_in(const src_pack *p, const git_oid *id, uint32_t *at)
{
	unsigned b = id->id[0];
	uint32_t lo = b ? be32(p->idx + 8 + 4 * (b - 1)) : 0, hi = be32(p->idx + 8 + 4 * b);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(id->id, p->idx + IDX_HEAD + (size_t)mid * 20, GIT_OID_RAWSZ);
		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int pack_src_find_entry(const pack_src *s, const git_oid *id, pack_raw *out)
{
	uint32_t at;
	for (size_t k = 0; s && k < s->n; k++)
		if (find_in(&s->v[k], id, &at))
			return entry_raw(&s->v[k], k, at, out);
	return 0;
}

int pack_raw_inflate(pack_raw *r, z_stream *zs, unsigned char **buf, size_t *cap)
{
	int err = util_grow((void **)buf, cap, r->size + 1, 1);
	if (err < 0)
		return err;
	if (inflateReset(zs) != Z_OK)
		return -1;
	zs->next_in = (Bytef *)(uintptr_t)r->z;
	zs->avail_in = (uInt)r->zlen;
	zs->next_out = *buf;
	zs->avail_out = (uInt)r->size + 1; /* one more: a longer stream is seen, not cut */
	if (inflate(zs, Z_FINISH) != Z_STREAM_END || zs->total_out != r->size)
		return -1;
	r->zlen = zs->total_in;
	return 0;
}
