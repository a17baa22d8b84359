/* pack: git packs written by the node (include/c2c/pack.h). */
#include "c2c/pack.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "c2c/err.h"
#include "c2c/fault.h"
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
	uint64_t written; /* bytes of the pack so far */
	z_stream zs;      /* one deflate stream, reset per object */
	int zinit;
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

int repo_pack_add(repo_pack *p, git_object_t type, const char *data, size_t len, git_oid *out)
{
	unsigned char hdr[16];
	size_t h = 0, sz = len;
	int rc, err;
	if (p->added == p->expected)
		return err_set(C2C_EFAIL, "pack holds more objects than announced");
	if ((rc = git_odb_hash(out, data, len, type)) < 0)
		return err_git(rc, "hashing an object");
	h = repo_pack_header(hdr, (int)type, sz);
	if (!p->zinit) {
		if (deflateInit(&p->zs, Z_BEST_SPEED) != Z_OK)
			return err_set(C2C_ENOMEM, "starting zlib");
		p->zinit = 1;
	} else if (deflateReset(&p->zs) != Z_OK) {
		return err_set(C2C_EFAIL, "resetting zlib");
	}
	uLong bound = deflateBound(&p->zs, (uLong)len);
	if (bound > p->zcap) {
		unsigned char *z = realloc(p->z, bound);
		if (!z)
			return ERR_OOM();
		p->z = z;
		p->zcap = bound;
	}
	p->zs.next_in = (Bytef *)(uintptr_t)data;
	p->zs.avail_in = (uInt)len;
	p->zs.next_out = p->z;
	p->zs.avail_out = (uInt)p->zcap;
	if (deflate(&p->zs, Z_FINISH) != Z_STREAM_END)
		return err_set(C2C_EFAIL, "compressing an object failed: %s", p->zs.msg ? p->zs.msg : "zlib error");
	size_t zlen = p->zs.total_out;
	pack_entry *e = &p->e[p->added];
	git_oid_cpy(&e->oid, out);
	e->off = p->written;
	e->crc = (uint32_t)crc32(crc32(0L, hdr, (uInt)h), p->z, (uInt)zlen);
	if ((err = pack_put(p, hdr, h)) < 0 || (err = pack_put(p, p->z, zlen)) < 0)
		return err;
	p->added++;
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
	if (p->zinit)
		deflateEnd(&p->zs);
	free(p->tmp_pack);
	free(p->dir);
	free(p->buf);
	free(p->z);
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

int repo_pack_copy(git_repository *r, const char *dir, git_odb *src, const char *from, const repo_oids *oids,
                   const c2c_progress *progress, const char *label)
{
	oid_list uniq = {0};
	unsigned char *done = NULL;
	repo_pack *pk = NULL;
	size_t copied = 0, at;
	int rc, err = 0;
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
	if ((err = repo_pack_new_in(&pk, r, dir, uniq.n)) < 0)
		goto done;
	for (size_t i = 0; i < oids->n && err == 0; i++) {
		git_odb_object *o = NULL;
		git_oid got;
		if (!oid_list_index(&uniq, &oids->v[i], &at) || done[at])
			continue;
		done[at] = 1;
		if ((rc = git_odb_read(&o, src, &oids->v[i])) < 0) {
			err = err_git(rc, from);
			break;
		}
		err = repo_pack_add(pk, git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o), &got);
		git_odb_object_free(o);
		progress_report(progress, label, ++copied, uniq.n);
		if (err == 0 && !git_oid_equal(&got, &oids->v[i]))
			err = err_set(C2C_ECORRUPT, "%s: object %s does not hash to its id; run 'git fsck' there", from,
			              git_oid_tostr_s(&oids->v[i]));
	}
	if (err == 0)
		err = repo_pack_finish(pk);
done:
	repo_pack_free(pk);
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
