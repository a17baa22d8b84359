#include "c2c/repo.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <zlib.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/fault.h"

/* libgit2 as Debian builds it takes its TLS from mbedTLS, whose start-up in
 * git_libgit2_init parses the system's whole CA bundle (some 140
 * certificates, 200 KB of base64): a quarter of the instructions of a
 * short command such as merge-tree, for nothing, since a node reaches its
 * remotes over ssh or by path and never over https. This definition, in
 * the executable, comes first in the dynamic linker's search and takes the
 * place of mbedTLS's for libgit2: the bundle is not read, and an https
 * connection, should one ever be made, would trust no certificate (it
 * fails closed). */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int repo_global_init(void)
{
	static int done;
	if (done)
		return 0;
	if (git_libgit2_init() < 0)
		return err_git(-1, "initializing libgit2");
	/* Objects and refs reach the disk before a ref points at them. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	/* A node is a short-lived process: a small object cache keeps a bulk
	 * import's memory flat (the default allows 256 MB). */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(16 * 1024 * 1024));
	/* libgit2 caches no tree over 4 KB, and a bucket of the fan-out (SPEC 4)
	 * holds 44 KB of entries at 200,000 records: a sync or merge that
	 * checks, joins and rewrites the same buckets would read, inflate and
	 * hash each again every time. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)512 * 1024);
	/* Like git, and unlike libgit2's default, objects read from the node's
	 * own packs are not hashed again at every read (sha1dc costs a quarter
	 * of a sync at 200,000 records): what enters the repository is hashed
	 * once on the way in (the indexer of a fetch or bundle, and pack_add);
	 * c2c verify turns the check back on for what it reads, and git fsck
	 * checks it all. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	canon_hook_alloc();
	done = 1;
	fault_alloc_arm(); /* tests: allocation failures start here (fault.h) */
	return 0;
}

int repo_create(git_repository **out, const char *path)
{
	git_repository_init_options o;
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.description = "c2c node history: canonical records, one commit per write\n";
	int rc = git_repository_init_ext(out, path, &o);
	return rc < 0 ? err_git(rc, path) : 0;
}

int repo_open(git_repository **out, const char *path)
{
	int rc = git_repository_open_ext(out, path, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
	return rc < 0 ? err_git(rc, path) : 0;
}

int repo_head(git_repository *r, git_oid *out)
{
	int rc = git_reference_name_to_id(out, r, REPO_MAIN);
	if (rc == GIT_ENOTFOUND)
		return err_set(C2C_ENOTFOUND, "repo.git has no %s", REPO_MAIN);
	return rc < 0 ? err_git(rc, "reading refs/heads/main") : 0;
}

int repo_move_head(git_repository *r, const git_oid *old, const git_oid *new_, const char *logmsg)
{
	git_reference *ref = NULL;
	int rc;
	if (old)
		rc = git_reference_create_matching(&ref, r, REPO_MAIN, new_, 1, old, logmsg);
	else
		rc = git_reference_create(&ref, r, REPO_MAIN, new_, 0, logmsg);
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		return err_set(C2C_ECONFLICT, "refs/heads/main moved while c2c was writing");
	return rc < 0 ? err_git(rc, "moving refs/heads/main") : 0;
}

int repo_read_tree_path(git_repository *r, const git_oid *tree_id, const char *path, char **buf, size_t *len,
                        git_oid *oid)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc, err = 0;
	*buf = NULL;
	if ((rc = git_tree_lookup(&tree, r, tree_id)) < 0) {
		err = err_git(rc, "reading a tree");
		goto done;
	}
	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND) {
		err = err_set(C2C_ENOTFOUND, "%s is not in the tree", path);
		goto done;
	}
	if (rc < 0) {
		err = err_git(rc, path);
		goto done;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		err = err_set(C2C_ECORRUPT, "%s is not a file in the tree", path);
		goto done;
	}
	if ((rc = git_blob_lookup(&blob, r, git_tree_entry_id(e))) < 0) {
		err = err_git(rc, path);
		goto done;
	}
	size_t n = (size_t)git_blob_rawsize(blob);
	if (!(*buf = malloc(n + 1))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(*buf, git_blob_rawcontent(blob), n);
	(*buf)[n] = '\0';
	if (len)
		*len = n;
	if (oid)
		git_oid_cpy(oid, git_tree_entry_id(e));
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return err;
}

int repo_commit_tree(git_repository *r, const git_oid *commit, git_oid *tree)
{
	git_commit *c = NULL;
	int rc = git_commit_lookup(&c, r, commit);
	if (rc < 0)
		return err_git(rc, "reading a commit");
	git_oid_cpy(tree, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

int repo_read_path(git_repository *r, const git_oid *commit, const char *path, char **buf, size_t *len,
                   git_oid *oid)
{
	git_oid tree;
	int err;
	*buf = NULL;
	if ((err = repo_commit_tree(r, commit, &tree)) < 0)
		return err;
	return repo_read_tree_path(r, &tree, path, buf, len, oid);
}

/* Through git_odb_write, which hashes first and does not write an object
 * the repository already holds; git_blob_create_from_buffer streams every
 * blob through a new zlib stream and a temporary file before it looks. */
int repo_write_blob(git_repository *r, const char *data, size_t len, git_oid *out)
{
	git_odb *odb = NULL;
	int rc = git_repository_odb(&odb, r);
	if (rc == 0)
		rc = git_odb_write(out, odb, data, len, GIT_OBJECT_BLOB);
	git_odb_free(odb);
	return rc < 0 ? err_git(rc, "writing a blob") : 0;
}

/* ------------------------------------------------------------------ packs */

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

static int write_all(int fd, const void *data, size_t n, const char *what)
{
	const unsigned char *d = data;
	while (n) {
		ssize_t k = write(fd, d, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_errno(C2C_EIO, what);
		d += k;
		n -= (size_t)k;
	}
	return 0;
}

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
		return err_set(C2C_ENOMEM, "out of memory");
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
		return err_set(C2C_ENOMEM, "out of memory");
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

static int pack_add(repo_pack *p, git_object_t type, const char *data, size_t len, git_oid *out)
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
			return err_set(C2C_ENOMEM, "out of memory");
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
		err = err_set(C2C_ENOMEM, "out of memory");
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
	return pack_add(p, GIT_OBJECT_BLOB, data, len, out);
}

int repo_oids_add(const git_oid *id, const git_oid *base, void *oids)
{
	repo_oids *o = oids;
	(void)base;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		git_oid *x = realloc(o->v, cap * sizeof(*x));
		if (!x)
			return err_set(C2C_ENOMEM, "out of memory");
		o->v = x;
		o->cap = cap;
	}
	git_oid_cpy(&o->v[o->n++], id);
	return 0;
}

static int cmp_oid(const void *a, const void *b) { return git_oid_cmp(a, b); }

int repo_pack_copy(git_repository *r, const char *dir, git_odb *src, const char *from, repo_oids *oids,
                   void (*progress)(const char *label, size_t done, size_t total), const char *label)
{
	repo_pack *pk = NULL;
	size_t u = 0;
	int err, rc;
	if (!oids->n)
		return 0;
	qsort(oids->v, oids->n, sizeof(*oids->v), cmp_oid);
	for (size_t i = 0; i < oids->n; i++)
		if (u == 0 || !git_oid_equal(&oids->v[i], &oids->v[u - 1]))
			oids->v[u++] = oids->v[i];
	oids->n = u;
	if ((err = repo_pack_new_in(&pk, r, dir, u)) < 0)
		return err;
	for (size_t i = 0; i < u && err == 0; i++) {
		git_odb_object *o = NULL;
		git_oid got;
		if ((rc = git_odb_read(&o, src, &oids->v[i])) < 0) {
			err = err_git(rc, from);
			break;
		}
		err = pack_add(pk, git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o), &got);
		git_odb_object_free(o);
		if (progress)
			progress(label, i + 1, u);
		if (err == 0 && !git_oid_equal(&got, &oids->v[i]))
			err = err_set(C2C_ECORRUPT, "%s: object %s does not hash to its id; run 'git fsck' there", from,
			              git_oid_tostr_s(&oids->v[i]));
	}
	if (err == 0)
		err = repo_pack_finish(pk);
	repo_pack_free(pk);
	return err;
}

/* ---------------------------------------------------------------- commits */

static int cmp_update(const void *a, const void *b)
{
	return strcmp(((const git_tree_update *)a)->path, ((const git_tree_update *)b)->path);
}

/* ------------------------------------------------------- tree updates */

int repo_buf_put(repo_buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *x = realloc(b->p, cap);
		if (!x)
			return err_set(C2C_ENOMEM, "out of memory");
		b->p = x;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static int tbuf_entry(repo_buf *b, const char *mode, const char *name, size_t nl, const git_oid *id)
{
	int err;
	if ((err = repo_buf_put(b, mode, strlen(mode))) < 0 || (err = repo_buf_put(b, " ", 1)) < 0 ||
	    (err = repo_buf_put(b, name, nl)) < 0 || (err = repo_buf_put(b, "", 1)) < 0 ||
	    (err = repo_buf_put(b, id->id, GIT_OID_RAWSZ)) < 0)
		return err;
	return 0;
}

int repo_entry_order(const char *a, size_t al, int a_tree, const char *b, size_t bl, int b_tree)
{
	size_t m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c)
		return c;
	unsigned char ca = al > m ? (unsigned char)a[m] : a_tree ? '/' : '\0';
	unsigned char cb = bl > m ? (unsigned char)b[m] : b_tree ? '/' : '\0';
	return ca < cb ? -1 : ca > cb;
}

#define TREE_FALLBACK 1 /* a case left to git_tree_create_updated */

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* 0 if the names of the serialized tree B are unique, else TREE_FALLBACK. */
static int tree_names_unique(const repo_buf *b)
{
	size_t n = 0, cap = 0;
	const char **v = NULL;
	int err = 0;
	for (const unsigned char *p = b->p; p < b->p + b->len;) {
		const unsigned char *sp = memchr(p, ' ', (size_t)(b->p + b->len - p));
		if (n == cap) {
			const char **x = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (!x) {
				free(v);
				return err_set(C2C_ENOMEM, "out of memory");
			}
			v = x;
		}
		v[n++] = (const char *)sp + 1;
		p = sp + 1 + strlen((const char *)sp + 1) + 1 + GIT_OID_RAWSZ;
	}
	qsort(v, n, sizeof(*v), cmp_cstr);
	for (size_t i = 1; i < n && !err; i++)
		if (!strcmp(v[i - 1], v[i]))
			err = TREE_FALLBACK;
	free(v);
	return err;
}

static int tbuf_tree_entry(repo_buf *b, const git_tree_entry *e)
{
	char mode[8];
	const char *name = git_tree_entry_name(e);
	snprintf(mode, sizeof(mode), "%o", (unsigned)git_tree_entry_filemode(e));
	return tbuf_entry(b, mode, name, strlen(name), git_tree_entry_id(e));
}

/* Write BASE (NULL: empty) with U[0..n) applied; each path from OFF on is
 * relative to it, U sorted by path. *OUT zero when the result is empty.
 * BASE is read through the object cache, where a join or a diff of the
 * same trees left it parsed. */
static int tree_update_at(git_repository *r, git_odb *odb, const git_oid *base, const git_tree_update *u, size_t n,
                          size_t off, git_oid *out)
{
	git_tree *bt = NULL;
	repo_buf b = {0};
	size_t i = 0, idx = 0, cnt = 0;
	int err = 0, rc, inserted = 0;
	if (base) {
		if ((rc = git_tree_lookup(&bt, r, base)) < 0)
			return err_git(rc, "reading a tree");
		cnt = git_tree_entrycount(bt);
	}
	while (err == 0 && (idx < cnt || i < n)) {
		const git_tree_entry *e = idx < cnt ? git_tree_entry_byindex(bt, idx) : NULL;
		const char *name = e ? git_tree_entry_name(e) : NULL;
		size_t nl = name ? strlen(name) : 0;
		int e_tree = e && git_tree_entry_type(e) == GIT_OBJECT_TREE;
		/* The next update's first component. */
		const char *un = NULL;
		size_t ul = 0;
		int u_tree = 0;
		if (i < n) {
			un = u[i].path + off;
			const char *slash = strchr(un, '/');
			ul = slash ? (size_t)(slash - un) : strlen(un);
			u_tree = slash != NULL;
		}
		if (name && un && nl == ul && !memcmp(name, un, ul) && e_tree != u_tree) {
			err = TREE_FALLBACK; /* a file where a directory goes, or back */
			break;
		}
		int c = !name ? 1 : !un ? -1 : repo_entry_order(name, nl, e_tree, un, ul, u_tree);
		if (c < 0) { /* a base entry no update touches: as it is */
			err = tbuf_tree_entry(&b, e);
			idx++;
			continue;
		}
		const git_oid *old = c == 0 ? git_tree_entry_id(e) : NULL;
		if (c == 0)
			idx++;
		else
			inserted = 1;
		if (u_tree) {
			size_t j = i;
			while (j < n && !strncmp(u[j].path + off, un, ul) && u[j].path[off + ul] == '/')
				j++;
			git_oid sub;
			if ((err = tree_update_at(r, odb, old, u + i, j - i, off + ul + 1, &sub)) == 0 &&
			    !git_oid_is_zero(&sub))
				err = tbuf_entry(&b, "40000", un, ul, &sub);
			i = j;
		} else {
			if (i + 1 < n && !strcmp(u[i + 1].path, u[i].path)) {
				err = TREE_FALLBACK; /* the same path twice */
				break;
			}
			if (u[i].action == GIT_TREE_UPDATE_UPSERT) {
				char mode[8];
				snprintf(mode, sizeof(mode), "%o", (unsigned)u[i].filemode);
				err = tbuf_entry(&b, mode, un, ul, &u[i].id);
			}
			i++;
		}
	}
	/* A new entry may share its name with one of the other kind far from
	 * it in git's order (a file "a", a tree "a.json", then a tree "a"). */
	if (err == 0 && inserted)
		err = tree_names_unique(&b);
	if (err == 0) {
		if (b.len == 0)
			memset(out, 0, sizeof(*out));
		else if ((rc = git_odb_write(out, odb, b.p, b.len, GIT_OBJECT_TREE)) < 0)
			err = err_git(rc, "writing a tree");
	}
	free(b.p);
	git_tree_free(bt);
	return err;
}

/* BASE (NULL: empty) with the upserts and removals of U (sorted by path)
 * applied, written: the same tree as git_tree_create_updated, but made
 * from the trees on the changed paths, each entry written out as it is
 * unless an update touches it. libgit2 loads every entry of each
 * of those trees into a tree builder (a hash map) and sorts them again, a
 * cost that grows with the bucket trees, so with the repository. */
static int tree_update(git_repository *r, git_tree *base, const git_tree_update *u, size_t n, git_oid *out)
{
	git_odb *odb = NULL;
	int err, rc;
	for (size_t i = 0; i < n; i++)
		if ((u[i].action != GIT_TREE_UPDATE_UPSERT && u[i].action != GIT_TREE_UPDATE_REMOVE) ||
		    (u[i].action == GIT_TREE_UPDATE_UPSERT && u[i].filemode != GIT_FILEMODE_BLOB) || !u[i].path[0] ||
		    u[i].path[0] == '/' || u[i].path[strlen(u[i].path) - 1] == '/' || strstr(u[i].path, "//"))
			goto fallback;
	if ((rc = git_repository_odb(&odb, r)) < 0)
		return err_git(rc, "opening the object database");
	err = tree_update_at(r, odb, base ? git_tree_id(base) : NULL, u, n, 0, out);
	if (err == 0 && git_oid_is_zero(out) && (rc = git_odb_write(out, odb, "", 0, GIT_OBJECT_TREE)) < 0)
		err = err_git(rc, "writing the empty tree");
	git_odb_free(odb);
	if (err != TREE_FALLBACK)
		return err;
fallback:
	err_clear();
	return (rc = git_tree_create_updated(out, r, base, n, u)) < 0 ? err_git(rc, "building the tree") : 0;
}

int repo_tree_create_updated(git_oid *out, git_repository *r, git_tree *base, size_t n, const git_tree_update *u)
{
	return tree_update(r, base, u, n, out);
}

static int commit_in(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                     size_t n, const repo_person *author, const repo_person *committer, const char *message,
                     git_oid *out);

typedef struct {
	git_oid *oids;
	size_t n, cap;
} oid_list;

static int oid_push(oid_list *l, const git_oid *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		git_oid *o = realloc(l->oids, cap * sizeof(*o));
		if (!o)
			return err_set(C2C_ENOMEM, "out of memory");
		l->oids = o;
		l->cap = cap;
	}
	git_oid_cpy(&l->oids[l->n++], id);
	return 0;
}

/* The trees under TREE that are in MP (new ones); unchanged subtrees are
 * not in it and are not opened. The mempack backend has no foreach. */
static int collect_new_trees(git_repository *mem, git_odb_backend *mp, const git_oid *tree_id, oid_list *l)
{
	git_tree *tree = NULL;
	int rc, err;
	if (!mp->exists(mp, tree_id))
		return 0;
	if ((err = oid_push(l, tree_id)) < 0)
		return err;
	if ((rc = git_tree_lookup(&tree, mem, tree_id)) < 0)
		return err_git(rc, "reading a new tree");
	for (size_t i = 0; i < git_tree_entrycount(tree) && err == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			err = collect_new_trees(mem, mp, git_tree_entry_id(e), l);
	}
	git_tree_free(tree);
	return err;
}

/* Copy the new commit and trees, held by the in-memory backend MP (read
 * through MEM), into one pack in R. */
static int store_mempack(git_repository *r, git_repository *mem, git_odb_backend *mp, const git_oid *commit)
{
	oid_list l = {0};
	git_odb *odb = NULL;
	repo_pack *p = NULL;
	git_oid tree;
	int rc, err = 0;
	if ((err = oid_push(&l, commit)) < 0 || (err = repo_commit_tree(mem, commit, &tree)) < 0 ||
	    (err = collect_new_trees(mem, mp, &tree, &l)) < 0)
		goto done;
	if ((rc = git_repository_odb(&odb, mem)) < 0) {
		err = err_git(rc, "opening the object database");
		goto done;
	}
	if ((err = repo_pack_new(&p, r, l.n)) < 0)
		goto done;
	for (size_t i = 0; i < l.n; i++) {
		git_odb_object *o = NULL;
		git_oid check;
		if ((rc = git_odb_read(&o, odb, &l.oids[i])) < 0) {
			err = err_git(rc, "reading a new tree");
			goto done;
		}
		err = pack_add(p, git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o), &check);
		git_odb_object_free(o);
		if (err < 0)
			goto done;
	}
	err = repo_pack_finish(p);
done:
	repo_pack_free(p);
	git_odb_free(odb);
	free(l.oids);
	return err;
}

int repo_commit_write(git_repository *r, const keys_signer *signer, const git_signature *author,
                      const git_signature *committer, const char *message, const git_tree *tree, size_t nparents,
                      const git_commit **parents, git_oid *out)
{
	git_buf buf = GIT_BUF_INIT;
	char *sig = NULL;
	int rc, err = 0;
	if (!signer) {
		if ((rc = git_commit_create(out, r, NULL, author, committer, NULL, message, tree, nparents, parents)) < 0)
			return err_git(rc, "writing the commit");
		return 0;
	}
	if ((rc = git_commit_create_buffer(&buf, r, author, committer, NULL, message, tree, nparents, parents)) < 0) {
		err = err_git(rc, "preparing the commit");
		goto done;
	}
	if ((err = keys_sign_git(signer, buf.ptr, buf.size, &sig)) < 0)
		goto done;
	/* libgit2 indents every line of the header's value but the first; the
	 * value ends without a newline, as git writes it. */
	size_t sl = strlen(sig);
	if (sl && sig[sl - 1] == '\n')
		sig[sl - 1] = '\0';
	if ((rc = git_commit_create_with_signature(out, r, buf.ptr, sig, "gpgsig")) < 0)
		err = err_git(rc, "writing the signed commit");
done:
	free(sig);
	git_buf_dispose(&buf);
	return err;
}

int repo_commit(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                size_t n, const repo_person *author, const repo_person *committer, const char *message, git_oid *out)
{
	if (n <= REPO_BULK)
		return commit_in(r, signer, parent, updates, n, author, committer, message, out);
	/* A large commit rewrites many trees: build them in memory, on a second
	 * handle of the repository, and store them as one pack rather than as
	 * hundreds of loose objects, each compressed and fsynced on its own. */
	git_repository *mem = NULL;
	git_odb *odb = NULL;
	git_odb_backend *mp = NULL;
	int rc, err = 0;
	if ((rc = git_repository_open_bare(&mem, git_repository_path(r))) < 0 ||
	    (rc = git_repository_odb(&odb, mem)) < 0 || (rc = git_mempack_new(&mp)) < 0 ||
	    (rc = git_odb_add_backend(odb, mp, 999)) < 0) {
		if (mp && rc < 0 && odb && !git_odb_num_backends(odb))
			mp->free(mp);
		err = err_git(rc, "preparing an in-memory object store");
		goto done;
	}
	/* The blobs were written by this process a moment ago; checking each one
	 * (strict object creation reads every object's header) would map the
	 * whole new pack into memory for nothing. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	err = commit_in(mem, signer, parent, updates, n, author, committer, message, out);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	if (err < 0)
		goto done;
	err = store_mempack(r, mem, mp, out);
done:
	git_odb_free(odb);
	git_repository_free(mem);
	return err;
}

static int commit_in(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                     size_t n, const repo_person *author, const repo_person *committer, const char *message,
                     git_oid *out)
{
	git_commit *pc = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *a = NULL, *c = NULL;
	git_tree_update *u = NULL;
	git_oid tree_id;
	int rc = 0, err = 0;

	if (parent) {
		if ((rc = git_commit_lookup(&pc, r, parent)) < 0 || (rc = git_commit_tree(&base, pc)) < 0) {
			err = err_git(rc, "reading the parent commit");
			goto done;
		}
	}
	if (!(u = calloc(n ? n : 1, sizeof(*u)))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		u[i].action = updates[i].remove ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		u[i].path = updates[i].path;
		u[i].filemode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&u[i].id, &updates[i].oid);
	}
	qsort(u, n, sizeof(*u), cmp_update);
	if ((err = tree_update(r, base, u, n, &tree_id)) < 0)
		goto done;
	fault_point("write: trees written");
	if ((rc = git_tree_lookup(&tree, r, &tree_id)) < 0 ||
	    (rc = git_signature_new(&a, author->name, author->email, author->when, author->offset)) < 0 ||
	    (rc = git_signature_new(&c, committer->name, committer->email, committer->when, committer->offset)) <
	        0) {
		err = err_git(rc, "preparing the commit");
		goto done;
	}
	const git_commit *parents[1] = {pc};
	err = repo_commit_write(r, signer, a, c, message, tree, pc ? 1 : 0, parents, out);
done:
	free(u);
	git_signature_free(a);
	git_signature_free(c);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	return err;
}

static int clear_locks_in(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &sb) < 0)
			continue;
		size_t l = strlen(e->d_name);
		if (S_ISDIR(sb.st_mode) && depth < 8)
			n += clear_locks_in(p, depth + 1);
		else if (S_ISREG(sb.st_mode) && l > 5 && !strcmp(e->d_name + l - 5, ".lock") && unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int repo_clear_stale_locks(const char *gitdir)
{
	char p[4096];
	int n = 0;
	static const char *files[] = {"HEAD.lock", "packed-refs.lock", "config.lock", "index.lock"};
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(p, sizeof(p), "%s/%s", gitdir, files[i]);
		if (unlink(p) == 0)
			n++;
	}
	snprintf(p, sizeof(p), "%s/refs", gitdir);
	return n + clear_locks_in(p, 0);
}

/* ----------------------------------------------------------- sparse packs */

typedef struct {
	int (*add)(const git_oid *, const git_oid *, void *);
	void *payload;
} sparse_out;

/* Give O_->add what the tree NEW_ holds and none of the trees OLDS (the
 * same path in each parent: NULL where a parent has none) holds at the same
 * path, opening only subtrees whose ids differ from every parent's. The
 * delta base of an object is its version in the first parent that has
 * one. */
static int pack_tree_diff(const sparse_out *o_, git_repository *src, const git_oid *const *olds, size_t nold,
                          const git_oid *new_)
{
	git_tree *b = NULL, **a = calloc(nold ? nold : 1, sizeof(*a));
	const git_oid **sub = calloc(nold ? nold : 1, sizeof(*sub));
	const git_oid *base = NULL;
	int rc = 0;
	if (!a || !sub) {
		rc = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < nold; k++) {
		if (olds[k] && git_oid_equal(olds[k], new_))
			goto done; /* a parent has this very tree */
		if (olds[k] && !base)
			base = olds[k];
	}
	for (size_t k = 0; k < nold; k++)
		if (olds[k] && (rc = git_tree_lookup(&a[k], src, olds[k])) < 0)
			goto done;
	if ((rc = git_tree_lookup(&b, src, new_)) < 0 || (rc = o_->add(new_, base, o_->payload)) < 0)
		goto done;
	for (size_t i = 0, cnt = git_tree_entrycount(b); i < cnt && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(b, i);
		git_object_t t = git_tree_entry_type(e);
		const git_oid *blob_base = NULL;
		int same = 0;
		for (size_t k = 0; k < nold; k++) {
			const git_tree_entry *o = a[k] ? git_tree_entry_byname(a[k], git_tree_entry_name(e)) : NULL;
			sub[k] = o && git_tree_entry_type(o) == t ? git_tree_entry_id(o) : NULL;
			if (sub[k] && git_oid_equal(sub[k], git_tree_entry_id(e)))
				same = 1;
			if (sub[k] && !blob_base)
				blob_base = sub[k];
		}
		if (same)
			continue;
		if (t == GIT_OBJECT_TREE)
			rc = pack_tree_diff(o_, src, sub, nold, git_tree_entry_id(e));
		else if (t == GIT_OBJECT_BLOB)
			rc = o_->add(git_tree_entry_id(e), blob_base, o_->payload);
	}
done:
	for (size_t k = 0; a && k < nold; k++)
		git_tree_free(a[k]);
	free(a);
	free(sub);
	git_tree_free(b);
	return rc;
}

typedef struct {
	int (*have)(const git_oid *, void *);
	void *payload;
} have_cb;

static int hide_held(const git_oid *commit, void *payload)
{
	have_cb *h = payload;
	return h->have && h->have(commit, h->payload) ? 1 : 0;
}

int repo_pack_sparse(git_repository *src, const git_oid *tips, size_t ntips, const git_oid *hide, size_t nhide,
                     int (*have)(const git_oid *commit, void *payload),
                     int (*add)(const git_oid *id, const git_oid *base, void *payload), void *payload, size_t *commits)
{
	git_revwalk *w = NULL;
	have_cb h = {have, payload};
	sparse_out o = {add, payload};
	git_oid id;
	size_t pushed = 0;
	int rc;
	*commits = 0;
	/* Oldest first: an object comes the first time a commit brings it,
	 * after the version it replaces (a delta base that is then never a
	 * later entry: no cycles of deltas). */
	if ((rc = git_revwalk_new(&w, src)) < 0 || (rc = git_revwalk_add_hide_cb(w, hide_held, &h)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0)
		goto done;
	for (size_t i = 0; i < nhide; i++) {
		git_object *obj = NULL;
		int is_commit = git_object_lookup(&obj, src, &hide[i], GIT_OBJECT_COMMIT) == 0;
		git_object_free(obj);
		git_error_clear();
		if (is_commit && (rc = git_revwalk_hide(w, &hide[i])) < 0)
			goto done;
	}
	for (size_t i = 0; i < ntips; i++) {
		if (have && have(&tips[i], payload))
			continue;
		if ((rc = git_revwalk_push(w, &tips[i])) < 0)
			goto done;
		pushed++;
	}
	while (pushed && (rc = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, src, &id)) < 0)
			break;
		/* Against every parent's tree: what a merge takes from the other
		 * side, the receiver holds already (or was given). */
		size_t np = git_commit_parentcount(c);
		const git_oid **ptrees = calloc(np ? np : 1, sizeof(*ptrees));
		git_oid *pt = calloc(np ? np : 1, sizeof(*pt));
		if (!ptrees || !pt)
			rc = err_set(C2C_ENOMEM, "out of memory");
		for (size_t k = 0; rc == 0 && k < np; k++) {
			git_commit *p = NULL;
			if ((rc = git_commit_parent(&p, c, (unsigned)k)) == 0) {
				git_oid_cpy(&pt[k], git_commit_tree_id(p));
				ptrees[k] = &pt[k];
			}
			git_commit_free(p);
		}
		if (rc == 0 && (rc = add(&id, NULL, payload)) == 0)
			rc = pack_tree_diff(&o, src, ptrees, np, git_commit_tree_id(c));
		free(ptrees);
		free(pt);
		git_commit_free(c);
		if (rc < 0)
			break;
		(*commits)++;
	}
	if (rc == GIT_ITEROVER || !pushed)
		rc = 0;
done:
	git_revwalk_free(w);
	return rc < 0 ? err_git(rc, "listing the objects to send") : 0;
}
