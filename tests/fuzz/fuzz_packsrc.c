/* Fuzz target: the packs of a repository read by path (a hub's or a peer's
 * objects/pack), as a first sync copies them (packsrc.h). The input is an
 * index and its pack: a 4-byte little-endian length, that many bytes of
 * the .idx, the rest the .pack. Both are written to a directory, opened as
 * repo_pack_copy opens them, and every id the index lists (as far as its
 * bytes go) is looked up and, when found whole, inflated and hashed as the
 * copy does; a delta is inflated and applied to the last whole object
 * found (delta_apply): nothing may be read outside the two files or the
 * base. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/delta.h"
#include "c2c/packsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put(const char *name, const uint8_t *d, size_t n)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/c2c-fuzz-packsrc-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	if (size < 4)
		return 0;
	size_t il = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
	if (il > size - 4)
		il = size - 4;
	put("pack-f.idx", data + 4, il);
	put("pack-f.pack", data + 4 + il, size - 4 - il);
	pack_src *ps = NULL;
	if (pack_src_open(&ps, dir) < 0)
		return 0;
	z_stream zs = {0};
	unsigned char *buf = NULL;
	size_t cap = 0;
	repo_buf last = {0}, out = {0};
	if (inflateInit(&zs) != Z_OK)
		abort();
	const uint8_t *idx = data + 4;
	for (size_t at = 8 + 1024; at + 20 <= il && at < 8 + 1024 + 20 * 256; at += 20) {
		git_oid id;
		pack_raw raw;
		memcpy(id.id, idx + at, 20);
		int kind = pack_src_find_entry(ps, &id, &raw);
		if (kind == 1 && pack_raw_inflate(&raw, &zs, &buf, &cap) == 0) {
			git_oid got;
			git_odb_hash(&got, buf, raw.size, raw.type);
			last.len = 0; /* the base of the next delta */
			if (repo_buf_put(&last, buf, raw.size) < 0)
				abort();
		} else if (kind == 2) {
			/* a delta's base lies before it in its pack (by offset), or
			 * is named by its id */
			if (raw.type == GIT_OBJECT_OFS_DELTA && (raw.base_key >= raw.key || (raw.base_key & 0xffffffffffffULL) < 12))
				abort();
			if (pack_raw_inflate(&raw, &zs, &buf, &cap) == 0)
				(void)delta_apply(&out, last.p, last.len, buf, raw.size, 1 << 20);
		}
	}
	inflateEnd(&zs);
	free(buf);
	free(last.p);
	free(out.p);
	pack_src_free(ps);
	return 0;
}
