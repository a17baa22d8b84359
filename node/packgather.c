/* repo_pack_gather: a node's packs gathered into one when they pile up.
 * A sync that brings something moves one pack in from the quarantine;
 * with a pack per sync, every object lookup that misses probes them all
 * (at 1,650 packs a sync with nothing to do took 66-90 ms, 11-13 with
 * 20). Past AT packs (git's gc.autoPackLimit is 50), the smallest are
 * copied into one, from the smallest up, until the next is more than
 * twice what is gathered (git's repack --geometric=2 keeps the same kind
 * of progression): what a gathering copies is what arrived since the
 * last, or as much as the packs it joins, so every object is copied a
 * number of times that grows with the logarithm of the repository, not
 * its size; the first sync's large pack stays as it is. */
#include "c2c/pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/util.h"

typedef struct {
	char name[NAME_MAX + 1]; /* "pack-<id>", without its extension */
	off_t size;               /* of its .pack */
	int stays;                /* its index is not one this reads */
} gpack;

static int by_size(const void *a, const void *b)
{
	off_t x = ((const gpack *)a)->size, y = ((const gpack *)b)->size;
	return x < y ? -1 : x > y ? 1 : strcmp(((const gpack *)a)->name, ((const gpack *)b)->name);
}

/* The ids a version-2 index lists, added to IDS; 1 when the file is not
 * one (the pack is then left as it is). */
static int idx_ids(const char *path, repo_oids *ids)
{
	struct stat st;
	unsigned char head[8 + 256 * 4];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(head) + 40 ||
	    pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) || memcmp(head, "\377tOc\0\0\0\2", 8)) {
		close(fd);
		return 1;
	}
	const unsigned char *last = head + 8 + 255 * 4;
	uint32_t n = (uint32_t)last[0] << 24 | (uint32_t)last[1] << 16 | (uint32_t)last[2] << 8 | last[3];
	/* names, CRCs and offsets, then the two checksums, at the least */
	if ((uint64_t)st.st_size < sizeof(head) + (uint64_t)n * 28 + 40) {
		close(fd);
		return 1;
	}
	unsigned char raw[GIT_OID_RAWSZ * 256];
	for (uint32_t i = 0; i < n && err == 0;) {
		uint32_t k = n - i < 256 ? n - i : 256;
		if (pread(fd, raw, (size_t)k * GIT_OID_RAWSZ, (off_t)(sizeof(head) + (size_t)i * GIT_OID_RAWSZ)) !=
		    (ssize_t)(k * GIT_OID_RAWSZ)) {
			err = 1;
			break;
		}
		for (uint32_t j = 0; j < k && err == 0; j++) {
			git_oid id;
			git_oid_fromraw(&id, raw + (size_t)j * GIT_OID_RAWSZ);
			err = oid_list_add(ids, &id);
		}
		i += k;
	}
	close(fd);
	return err;
}

/* The packs DIR holds with their indexes, a .keep's left out, into *V
 * (N of them): 0, C2C_ENOMEM, or the error of a directory not read. */
static int list_packs(const char *dir, gpack **v, size_t *n)
{
	char path[PATH_MAX + NAME_MAX + 16];
	size_t cap = 0;
	int err = 0;
	*v = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_errno(C2C_EIO, dir);
	struct dirent *e;
	while (err == 0 && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct stat st;
		if (l <= 4 || l - 4 > NAME_MAX || strcmp(e->d_name + l - 4, ".idx"))
			continue;
		gpack p = {{0}, 0, 0};
		memcpy(p.name, e->d_name, l - 4);
		snprintf(path, sizeof(path), "%s/%s.keep", dir, p.name);
		if (access(path, F_OK) == 0)
			continue; /* kept on purpose (git's .keep) */
		snprintf(path, sizeof(path), "%s/%s.pack", dir, p.name);
		if (stat(path, &st) < 0)
			continue;
		p.size = st.st_size;
		if ((err = util_grow((void **)v, &cap, *n + 1, sizeof(**v))) == 0)
			(*v)[(*n)++] = p;
	}
	closedir(d);
	return err;
}

/* How many of DIR's packs none of V[0..N) names (-1: not listed). */
static long new_packs(const char *dir, const gpack *v, size_t n)
{
	gpack *now = NULL;
	size_t k = 0;
	long fresh = 0;
	if (list_packs(dir, &now, &k) < 0) {
		err_clear();
		return -1;
	}
	for (size_t j = 0; j < k; j++) {
		size_t i = 0;
		while (i < n && strcmp(v[i].name, now[j].name))
			i++;
		fresh += i == n;
	}
	free(now);
	return fresh;
}

int repo_pack_gather(git_repository *r, const char *gitdir, size_t at, size_t *gathered)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 16];
	gpack *v = NULL;
	size_t n = 0, usable = 0;
	repo_oids ids = {0};
	git_odb *odb = NULL;
	int err = 0, rc;
	*gathered = 0;
	if (snprintf(dir, sizeof(dir), "%s/objects/pack", gitdir) >= (int)sizeof(dir))
		return err_set(C2C_EINVALID, "%s: path too long", gitdir);
	if ((err = list_packs(dir, &v, &n)) < 0 || n <= at)
		goto done;
	qsort(v, n, sizeof(*v), by_size);
	/* the smallest, up to one more than twice what is gathered; a pack
	 * whose index is not one this reads is left alone */
	uint64_t sum = 0;
	size_t upto = 0;
	for (; upto < n && err == 0; upto++) {
		if (usable >= 2 && (uint64_t)v[upto].size > 2 * sum)
			break;
		snprintf(path, sizeof(path), "%s/%s.idx", dir, v[upto].name);
		size_t before = ids.n;
		if ((err = idx_ids(path, &ids)) > 0) {
			ids.n = before;
			v[upto].stays = 1;
			err = 0;
			continue;
		}
		usable++;
		sum += (uint64_t)v[upto].size;
	}
	if (err < 0 || usable < 2)
		goto done;
	if ((rc = git_repository_odb(&odb, r)) < 0) {
		err = err_git(rc, "gathering the node's packs");
		goto done;
	}
	/* The new pack is written and fsynced before any is deleted: a crash
	 * between leaves objects twice, never once too few. */
	if ((err = repo_pack_copy(r, NULL, odb, dir, "the node's packs", &ids, NULL, NULL)) < 0)
		goto done;
	/* A pack is named by its content: one with the very bytes of a
	 * gathered pack would have replaced it, and deleting that one would
	 * lose it. Only a pack of a new name lets the others go. */
	if (new_packs(dir, v, n) != 1)
		goto done;
	static const char *const exts[] = {".idx", ".rev", ".bitmap", ".pack"};
	for (size_t i = 0; i < upto; i++) {
		if (v[i].stays)
			continue;
		for (size_t x = 0; x < sizeof(exts) / sizeof(*exts); x++) {
			snprintf(path, sizeof(path), "%s/%s%s", dir, v[i].name, exts[x]);
			if (unlink(path) < 0 && errno != ENOENT && x == 0)
				break; /* its index stays: so does its pack */
			*gathered += x == 0;
		}
	}
	git_odb_refresh(odb);
done:
	git_odb_free(odb);
	oid_list_free(&ids);
	free(v);
	return err;
}
