/* delta: git's delta encoding (include/c2c/delta.h). */
#include "c2c/delta.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/util.h"

typedef repo_buf buf;

static int put_size(buf *b, size_t v)
{
	unsigned char x[10];
	size_t n = 0;
	do {
		x[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			x[n] |= 0x80;
		n++;
	} while (v);
	return repo_buf_put(b, x, n);
}

static int put_copy(buf *b, size_t off, size_t len)
{
	while (len) {
		size_t k = len > 0xffff ? 0xffff : len;
		unsigned char x[8];
		size_t n = 1;
		x[0] = 0x80;
		for (int i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				x[0] |= (unsigned char)(1 << i);
				x[n++] = (unsigned char)((off >> (8 * i)) & 0xff);
			}
		for (int i = 0; i < 2; i++)
			if ((k >> (8 * i)) & 0xff) {
				x[0] |= (unsigned char)(0x10 << i);
				x[n++] = (unsigned char)((k >> (8 * i)) & 0xff);
			}
		int err = repo_buf_put(b, x, n);
		if (err < 0)
			return err;
		off += k;
		len -= k;
	}
	return 0;
}

static int put_insert(buf *b, const unsigned char *d, size_t len)
{
	while (len) {
		unsigned char k = (unsigned char)(len > 0x7f ? 0x7f : len);
		int err;
		if ((err = repo_buf_put(b, &k, 1)) < 0 || (err = repo_buf_put(b, d, k)) < 0)
			return err;
		d += k;
		len -= k;
	}
	return 0;
}

/* BASE is indexed by its blocks of DBLOCK bytes (include/c2c/delta.h). */
#define DBLOCK 16

static uint32_t block_hash(const unsigned char *p)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < DBLOCK; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int delta_make(repo_buf *out, const unsigned char *base, size_t bl, const unsigned char *t, size_t tl)
{
	size_t nb = bl / DBLOCK, cap = 64, ins = 0, j = 0;
	uint32_t *slot = NULL;
	int err;
	while (cap < nb * 2)
		cap *= 2;
	if (!(slot = malloc(cap * sizeof(*slot))))
		return ERR_OOM();
	memset(slot, 0xff, cap * sizeof(*slot));
	for (size_t b = 0; b < nb; b++) {
		size_t k = block_hash(base + b * DBLOCK) & (cap - 1);
		while (slot[k] != UINT32_MAX)
			k = (k + 1) & (cap - 1);
		slot[k] = (uint32_t)(b * DBLOCK);
	}
	out->len = 0;
	if ((err = put_size(out, bl)) < 0 || (err = put_size(out, tl)) < 0)
		goto done;
	while (j + DBLOCK <= tl) {
		size_t k = block_hash(t + j) & (cap - 1), best = 0, boff = 0, bback = 0;
		for (int probes = 0; slot[k] != UINT32_MAX && probes < 8; k = (k + 1) & (cap - 1), probes++) {
			size_t o = slot[k], len = 0, back = 0;
			while (o + len < bl && j + len < tl && base[o + len] == t[j + len])
				len++;
			if (len < DBLOCK)
				continue;
			while (back < o && back < j - ins && base[o - back - 1] == t[j - back - 1])
				back++;
			if (len + back > best) {
				best = len + back;
				boff = o - back;
				bback = back;
			}
		}
		if (best < DBLOCK) {
			j++;
			continue;
		}
		if ((err = put_insert(out, t + ins, j - bback - ins)) < 0 || (err = put_copy(out, boff, best)) < 0)
			goto done;
		j = j - bback + best;
		ins = j;
	}
	err = put_insert(out, t + ins, tl - ins);
done:
	free(slot);
	return err;
}

/* A size header at *P (before END): 7 bits a byte, least significant
 * first. -1 if it runs past END or past 64 bits. */
static int get_size(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	unsigned shift = 0;
	*v = 0;
	for (;;) {
		if (*p == end || shift > 63)
			return -1;
		unsigned c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80))
			return 0;
	}
}

int delta_apply(repo_buf *out, const unsigned char *base, size_t bl, const unsigned char *d, size_t dl,
                size_t max)
{
	const unsigned char *p = d, *end = d + dl;
	uint64_t want_bl, tl;
	int err;
	out->len = 0;
	if (get_size(&p, end, &want_bl) < 0 || want_bl != bl || get_size(&p, end, &tl) < 0 || tl > max)
		return -1;
	if ((err = util_grow((void **)&out->p, &out->cap, (size_t)tl + 1, 1)) < 0)
		return err;
	unsigned char *t = out->p;
	size_t len = 0;
	while (p < end) {
		unsigned op = *p++;
		if (op & 0x80) { /* copy: offset and size bytes as the opcode's bits say */
			uint64_t off = 0, n = 0;
			for (unsigned i = 0; i < 4; i++)
				if (op & (1u << i)) {
					if (p == end)
						return -1;
					off |= (uint64_t)*p++ << (8 * i);
				}
			for (unsigned i = 0; i < 3; i++)
				if (op & (0x10u << i)) {
					if (p == end)
						return -1;
					n |= (uint64_t)*p++ << (8 * i);
				}
			if (n == 0)
				n = 0x10000;
			if (off > bl || n > bl - off || n > tl - len)
				return -1;
			memcpy(t + len, base + off, (size_t)n);
			len += (size_t)n;
		} else if (op) { /* insert OP bytes */
			if (op > (size_t)(end - p) || op > tl - len)
				return -1;
			memcpy(t + len, p, op);
			p += op;
			len += op;
		} else {
			return -1; /* opcode 0 is reserved */
		}
	}
	if (len != tl)
		return -1;
	out->len = len;
	return 0;
}
