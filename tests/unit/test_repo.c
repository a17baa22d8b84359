/* Unit tests of the bare git repository layer (include/c2c/repo.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "c2c/blobq.h"
#include "c2c/delta.h"
#include "c2c/err.h"
#include "c2c/pack.h"
#include "c2c/packsrc.h"
#include "c2c/repo.h"
#include "c2c/scratch.h"
#include "c2c/treeupd.h"

#include "unit.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/c2c-unit-repo-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return repo_global_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static git_repository *new_repo(const char *name, char *path, size_t n)
{
	git_repository *r = NULL;
	snprintf(path, n, "%s/%s.git", tmpdir, name);
	OK(repo_create(&r, path));
	assert_non_null(r);
	return r;
}

static const repo_person author = {"Amina Test", "amina@example.org", 1700000000, 60};
static const repo_person committer = {"node n1", "n1@c2c.invalid", 1700000100, -120};

/* Run a shell command; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* The value of "KEY: N" in `git count-objects -v`. */
static long count_objects(const char *gitdir, const char *key)
{
	char cmd[512], line[256];
	long v = -1;
	snprintf(cmd, sizeof(cmd), "git -C '%s' count-objects -v", gitdir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	pclose(f);
	return v;
}

static void read_is(git_repository *r, const git_oid *commit, const char *path, const char *expect,
                    const git_oid *expect_oid)
{
	char *buf = NULL;
	size_t len = 0;
	git_oid oid;
	OK(repo_read_path(r, commit, path, &buf, &len, &oid));
	assert_non_null(buf);
	assert_int_equal(len, strlen(expect));
	assert_memory_equal(buf, expect, len);
	assert_int_equal(buf[len], '\0');
	if (expect_oid)
		assert_true(git_oid_equal(&oid, expect_oid));
	free(buf);
}

/* ----------------------------------------------------------------- tests */

static void t_create(void **state)
{
	(void)state;
	char path[256];
	git_repository *r = new_repo("create", path, sizeof(path));
	assert_true(git_repository_is_bare(r));
	/* HEAD -> refs/heads/main, unborn. */
	git_reference *head = NULL;
	assert_int_equal(git_reference_lookup(&head, r, "HEAD"), 0);
	assert_int_equal(git_reference_type(head), GIT_REFERENCE_SYMBOLIC);
	assert_string_equal(git_reference_symbolic_target(head), REPO_MAIN);
	git_reference_free(head);
	git_oid oid;
	assert_int_equal(repo_head(r, &oid), C2C_ENOTFOUND);
	git_repository_free(r);
	/* It opens, and stock git agrees. */
	OK(repo_open(&r, path));
	git_repository_free(r);
	assert_int_equal(sh("test \"$(git --git-dir='%s' symbolic-ref HEAD)\" = refs/heads/main", path), 0);
	assert_int_equal(sh("git --git-dir='%s' rev-parse --is-bare-repository | grep -qx true", path), 0);
	/* Creating it again over itself is refused, not a silent re-init. */
	r = NULL;
	assert_true(repo_create(&r, path) < 0);
	/* Opening something that is not a repository fails. */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/nothing-here", tmpdir);
	r = NULL;
	assert_true(repo_open(&r, bad) < 0);
}

static void t_commit_read_move(void **state)
{
	(void)state;
	char path[256];
	git_repository *r = new_repo("commit", path, sizeof(path));
	const char *t1 = "{\n  \"name\": \"Housing\"\n}\n";
	const char *t2 = "{\n  \"title\": \"Welcome desk \xd8\xaa\"\n}\n";
	const char *p1 = "network/themes/d/0/housing.json";
	const char *p2 = "cities/tunis/actions/a/2/018f3a2b4c5d6e7f8a9b0c1d.json";
	repo_update u[2];
	memset(u, 0, sizeof(u));
	u[0].path = p2; /* not in path order: repo_commit sorts */
	OK(repo_write_blob(r, t2, strlen(t2), &u[0].oid));
	u[1].path = p1;
	OK(repo_write_blob(r, t1, strlen(t1), &u[1].oid));
	git_oid c1, c2, c3, head;
	OK(repo_commit(r, NULL, NULL, u, 2, &author, &committer, "first\n", &c1));

	/* The commit as given: no parent, author and committer, message. */
	git_commit *c = NULL;
	assert_int_equal(git_commit_lookup(&c, r, &c1), 0);
	assert_int_equal(git_commit_parentcount(c), 0);
	assert_string_equal(git_commit_author(c)->name, "Amina Test");
	assert_string_equal(git_commit_author(c)->email, "amina@example.org");
	assert_int_equal(git_commit_author(c)->when.time, 1700000000);
	assert_int_equal(git_commit_author(c)->when.offset, 60);
	assert_string_equal(git_commit_committer(c)->name, "node n1");
	assert_int_equal(git_commit_committer(c)->when.offset, -120);
	assert_string_equal(git_commit_message(c), "first\n");
	git_commit_free(c);

	/* repo_commit moves no ref. */
	assert_int_equal(repo_head(r, &head), C2C_ENOTFOUND);

	read_is(r, &c1, p1, t1, &u[1].oid);
	read_is(r, &c1, p2, t2, &u[0].oid);
	char *buf = (char *)"x";
	size_t len = 0;
	assert_int_equal(repo_read_path(r, &c1, "network/themes/d/0/nope.json", &buf, &len, NULL), C2C_ENOTFOUND);
	assert_null(buf);
	assert_int_equal(repo_read_path(r, &c1, "nowhere/at/all.json", &buf, &len, NULL), C2C_ENOTFOUND);
	assert_null(buf);
	/* A directory is not a file. */
	assert_true(repo_read_path(r, &c1, "network/themes", &buf, &len, NULL) < 0);
	assert_null(buf);
	/* The same through the tree. */
	git_oid tree;
	OK(repo_commit_tree(r, &c1, &tree));
	OK(repo_read_tree_path(r, &tree, p1, &buf, &len, NULL));
	assert_int_equal(len, strlen(t1));
	assert_memory_equal(buf, t1, len);
	free(buf);

	/* Move the head: from unborn, then compare-and-swap. */
	OK(repo_move_head(r, NULL, &c1, "c2c: first"));
	OK(repo_head(r, &head));
	assert_true(git_oid_equal(&head, &c1));

	/* A child: one path changed, one removed, one added. */
	const char *t1b = "{\n  \"name\": \"Housing and shelter\"\n}\n";
	const char *p3 = "network/themes/0/1/labour.json";
	repo_update v[3];
	memset(v, 0, sizeof(v));
	v[0].path = p1;
	OK(repo_write_blob(r, t1b, strlen(t1b), &v[0].oid));
	v[1].path = p2;
	v[1].remove = 1;
	v[2].path = p3;
	OK(repo_write_blob(r, "x\n", 2, &v[2].oid));
	OK(repo_commit(r, NULL, &c1, v, 3, &author, &committer, "second\n", &c2));
	assert_int_equal(git_commit_lookup(&c, r, &c2), 0);
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_true(git_oid_equal(git_commit_parent_id(c, 0), &c1));
	git_commit_free(c);
	read_is(r, &c2, p1, t1b, NULL);
	read_is(r, &c2, p3, "x\n", NULL);
	assert_int_equal(repo_read_path(r, &c2, p2, &buf, &len, NULL), C2C_ENOTFOUND);
	/* The old commit still reads as it was. */
	read_is(r, &c1, p1, t1, NULL);
	read_is(r, &c1, p2, t2, NULL);

	/* From unborn again, while main exists: refused. */
	assert_int_equal(repo_move_head(r, NULL, &c2, "c2c: wrong"), C2C_ECONFLICT);
	/* Wrong old value: refused, head unchanged. */
	OK(repo_commit(r, NULL, &c2, NULL, 0, &author, &committer, "third\n", &c3));
	assert_int_equal(repo_move_head(r, &c2, &c3, "c2c: wrong"), C2C_ECONFLICT);
	OK(repo_head(r, &head));
	assert_true(git_oid_equal(&head, &c1));
	/* Right old value. */
	OK(repo_move_head(r, &c1, &c2, "c2c: second"));
	OK(repo_head(r, &head));
	assert_true(git_oid_equal(&head, &c2));
	assert_int_equal(repo_move_head(r, &c1, &c3, "c2c: stale"), C2C_ECONFLICT);
	OK(repo_move_head(r, &c2, &c3, "c2c: third"));
	OK(repo_head(r, &head));
	assert_true(git_oid_equal(&head, &c3));
	git_repository_free(r);

	/* Stock git reads it all. */
	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-progress >/dev/null 2>&1", path), 0);
	assert_int_equal(sh("test \"$(git --git-dir='%s' show main~1:%s)\" = '{\n  \"name\": \"Housing and shelter\"\n}'",
	                    path, p1),
	                 0);
	assert_int_equal(sh("test \"$(git --git-dir='%s' rev-list --count main)\" = 3", path), 0);
}

static void t_pack(void **state)
{
	(void)state;
	enum { N = 1000 };
	char path[256];
	git_repository *r = new_repo("pack", path, sizeof(path));
	repo_pack *p = NULL;
	git_oid *oids = calloc(N, sizeof(*oids));
	char **data = calloc(N, sizeof(*data));
	size_t *lens = calloc(N, sizeof(*lens));
	assert_non_null(oids);
	OK(repo_pack_new(&p, r, N));
	for (int i = 0; i < N; i++) {
		/* Sizes around the header's length boundaries, one empty blob and
		 * one larger than the writer's buffer. */
		size_t n = i == 0 ? 0 : i == 1 ? 200000 : (size_t)(i % 20 == 0 ? i * 37 : i % 150);
		char *d = malloc(n + 32);
		int h = snprintf(d, n + 32, "%d\n", i);
		if (i == 0)
			h = 0;
		for (size_t k = (size_t)h; k < n; k++)
			d[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
		if (n < (size_t)h)
			n = (size_t)h;
		d[n] = '\0';
		data[i] = d;
		lens[i] = n;
		OK(repo_pack_add_blob(p, d, n, &oids[i]));
		git_oid want;
		assert_int_equal(git_odb_hash(&want, d, n, GIT_OBJECT_BLOB), 0);
		assert_true(git_oid_equal(&want, &oids[i]));
	}
	/* One more than announced is refused. */
	git_oid extra;
	assert_true(repo_pack_add_blob(p, "more", 4, &extra) < 0);
	OK(repo_pack_finish(p));
	repo_pack_free(p);

	/* All in one pack, nothing loose. */
	assert_int_equal(count_objects(path, "in-pack"), N);
	assert_int_equal(count_objects(path, "packs"), 1);
	assert_int_equal(count_objects(path, "count"), 0);
	/* libgit2 reads them back. */
	for (int i = 0; i < N; i += 37) {
		git_blob *b = NULL;
		assert_int_equal(git_blob_lookup(&b, r, &oids[i]), 0);
		assert_int_equal((size_t)git_blob_rawsize(b), lens[i]);
		assert_memory_equal(git_blob_rawcontent(b), data[i], lens[i]);
		git_blob_free(b);
	}
	/* A commit that holds them all, so fsck walks every blob. */
	repo_update *u = calloc(N, sizeof(*u));
	char (*names)[32] = calloc(N, sizeof(*names));
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "blobs/%x/%04d", i % 16, i);
		u[i].path = names[i];
		u[i].oid = oids[i];
	}
	git_oid c;
	OK(repo_commit(r, NULL, NULL, u, N, &author, &committer, "pack\n", &c));
	OK(repo_move_head(r, NULL, &c, "c2c: pack"));
	read_is(r, &c, names[7], data[7], &oids[7]);
	char *buf = NULL;
	size_t len = 0;
	OK(repo_read_path(r, &c, names[1], &buf, &len, NULL));
	assert_int_equal(len, 200000);
	assert_memory_equal(buf, data[1], len);
	free(buf);
	git_repository_free(r);

	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-progress --no-dangling >/dev/null 2>&1", path), 0);
	assert_int_equal(sh("git --git-dir='%s' verify-pack %s/objects/pack/*.idx", path, path), 0);
	assert_int_equal(sh("test \"$(git --git-dir='%s' ls-tree -r main | wc -l)\" -eq %d", path, N), 0);

	for (int i = 0; i < N; i++)
		free(data[i]);
	free(data);
	free(lens);
	free(oids);
	free(u);
	free(names);
}

static void t_pack_short(void **state)
{
	(void)state;
	char path[256];
	git_repository *r = new_repo("packshort", path, sizeof(path));
	repo_pack *p = NULL;
	git_oid o;
	OK(repo_pack_new(&p, r, 3));
	OK(repo_pack_add_blob(p, "one\n", 4, &o));
	/* Fewer objects than announced: refused. */
	assert_true(repo_pack_finish(p) < 0);
	repo_pack_free(p);
	git_repository_free(r);
	assert_int_equal(count_objects(path, "in-pack"), 0);
}

/* N blobs written loose into ODB, the text FMT with each number from 0
 * (one %d), their ids appended to IDS. */
static void write_actions(git_odb *odb, int n, const char *fmt, repo_oids *ids)
{
	for (int i = 0; i < n; i++) {
		char d[1024];
		int len = snprintf(d, sizeof(d), fmt, i);
		assert_true(len > 0 && (size_t)len < sizeof(d));
		git_oid id;
		assert_int_equal(git_odb_write(&id, odb, d, (size_t)len, GIT_OBJECT_BLOB), 0);
		OK(oid_list_add(ids, &id));
	}
}

/* Every 97th blob of IDS reads the same in A and B. */
static void same_blobs(git_repository *a, git_repository *b, const repo_oids *ids)
{
	for (size_t i = 0; i < ids->n; i += 97) {
		git_blob *x = NULL, *y = NULL;
		assert_int_equal(git_blob_lookup(&x, a, &ids->v[i]), 0);
		assert_int_equal(git_blob_lookup(&y, b, &ids->v[i]), 0);
		assert_int_equal(git_blob_rawsize(x), git_blob_rawsize(y));
		assert_memory_equal(git_blob_rawcontent(x), git_blob_rawcontent(y), (size_t)git_blob_rawsize(x));
		git_blob_free(x);
		git_blob_free(y);
	}
}

/* repo_pack_copy of more objects than it copies on one thread: every object
 * once, whole, in one pack; an object that does not hash to its id (read
 * with libgit2's own check off, so that the copy's threads meet it) is
 * C2C_ECORRUPT naming the source and the id, and leaves no pack behind. */
static void t_pack_copy(void **state)
{
	(void)state;
	enum { N = 3000 };
	char spath[256], dpath[256], from[512], to[512];
	git_repository *src = new_repo("copysrc", spath, sizeof(spath));
	git_repository *dst = new_repo("copydst", dpath, sizeof(dpath));
	git_odb *sodb = NULL;
	repo_oids oids = {0};
	OK(git_repository_odb(&sodb, src));
	write_actions(sodb, N, "{\"title\": \"Action %d\"}\n", &oids);
	for (int i = 0; i < N; i += 100)
		OK(oid_list_add(&oids, &oids.v[i])); /* named twice, copied once */
	OK(repo_pack_copy(dst, NULL, sodb, NULL, "copysrc", &oids, NULL, NULL));
	assert_int_equal(count_objects(dpath, "in-pack"), N);
	assert_int_equal(count_objects(dpath, "packs"), 1);
	assert_int_equal(sh("git --git-dir='%s' verify-pack %s/objects/pack/*.idx", dpath, dpath), 0);
	same_blobs(src, dst, &oids);
	git_repository_free(dst);

	/* The file of an object near the end replaced by the first one's. */
	char ha[GIT_OID_HEXSZ + 1], hb[GIT_OID_HEXSZ + 1];
	git_oid_tostr(ha, sizeof(ha), &oids.v[0]);
	git_oid_tostr(hb, sizeof(hb), &oids.v[oids.n - 500]);
	snprintf(from, sizeof(from), "%s/objects/%.2s/%s", spath, ha, ha + 2);
	snprintf(to, sizeof(to), "%s/objects/%.2s/%s", spath, hb, hb + 2);
	assert_int_equal(sh("chmod u+w '%s' && cp '%s' '%s'", to, from, to), 0);
	for (int strict = 1; strict >= 0; strict--) {
		char name[32];
		snprintf(name, sizeof(name), "copybad%d", strict);
		git_repository *bad = new_repo(name, dpath, sizeof(dpath));
		assert_int_equal(git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, strict), 0);
		int rc = repo_pack_copy(bad, NULL, sodb, NULL, "copysrc", &oids, NULL, NULL);
		if (strict) {
			assert_true(rc < 0);
		} else {
			assert_int_equal(rc, C2C_ECORRUPT);
			assert_non_null(strstr(err_msg(), "copysrc: object "));
			assert_non_null(strstr(err_msg(), hb));
			assert_non_null(strstr(err_msg(), "does not hash to its id"));
		}
		err_clear();
		assert_int_equal(count_objects(dpath, "in-pack"), 0);
		assert_int_equal(sh("test -z \"$(ls '%s/objects/pack')\"", dpath), 0);
		git_repository_free(bad);
	}
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	git_odb_free(sodb);
	oid_list_free(&oids);
	git_repository_free(src);
}

/* The N ids IDS, one a line, into GITDIR/ids.txt, its path in LIST. */
static void write_ids(const char *gitdir, const git_oid *ids, size_t n, char *list, size_t size)
{
	snprintf(list, size, "%s/ids.txt", gitdir);
	FILE *f = fopen(list, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", git_oid_tostr_s(&ids[i]));
	assert_int_equal(fclose(f), 0);
}

/* Pack the N objects IDS of GITDIR into one pack of whole objects at
 * compression LEVEL (git pack-objects), their loose files removed. */
static void pack_whole(const char *gitdir, const git_oid *ids, size_t n, int level)
{
	char list[400];
	write_ids(gitdir, ids, n, list, sizeof(list));
	assert_int_equal(sh("git --git-dir='%s' pack-objects -q --compression=%d --window=0 --depth=0 "
	                    "'%s/objects/pack/pack' <'%s' >/dev/null && git --git-dir='%s' prune-packed",
	                    gitdir, level, gitdir, list, gitdir),
	                 0);
}

/* The size of the one .pack file of GITDIR, -1 if there is not exactly one. */
static long pack_size(const char *gitdir)
{
	char cmd[600], out[64] = "";
	snprintf(cmd, sizeof(cmd), "ls %s/objects/pack/*.pack | wc -l | grep -qx 1 && stat -c %%s %s/objects/pack/*.pack",
	         gitdir, gitdir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char *got = fgets(out, sizeof(out), f);
	int rc = pclose(f);
	return got && rc == 0 ? atol(out) : -1;
}

/* A byte of the one pack in PACKS changed to 'Z', at its size AT ("/ 2":
 * the middle). */
static void change_byte(const char *packs, const char *at)
{
	assert_int_equal(sh("f=$(ls %s/*.pack) && chmod u+w $f && printf 'Z' | "
	                    "dd of=$f bs=1 seek=$(( $(stat -c %%s $f) %s )) conv=notrunc 2>/dev/null",
	                    packs, at),
	                 0);
}

/* repo_pack_copy from a pack kept whole (as a hub holds what a node
 * pushed): each entry copied as stored, not compressed again (the copy
 * has the source's very size, though the source was compressed at a level
 * the node never uses); loose objects beside it read through libgit2; an
 * entry whose bytes were changed is C2C_ECORRUPT naming the source and the
 * object, and leaves no pack behind. */
static void t_pack_copy_stored(void **state)
{
	(void)state;
	enum { N = 3000, LOOSE = 10 };
	char spath[256], dpath[256], packs[300];
	git_repository *src = new_repo("storedsrc", spath, sizeof(spath));
	git_odb *sodb = NULL;
	repo_oids oids = {0};
	OK(git_repository_odb(&sodb, src));
	write_actions(sodb, N, "{\"title\": \"Action %d\", \"budget_eur\": 1037}\n", &oids);
	/* one pack, every object whole, at zlib's strongest compression */
	pack_whole(spath, oids.v, oids.n, 9);
	long stored = pack_size(spath);
	assert_true(stored > 0);
	for (int i = 0; i < LOOSE; i++) {
		char d[64];
		int n = snprintf(d, sizeof(d), "loose %d\n", i);
		git_oid id;
		assert_int_equal(git_odb_write(&id, sodb, d, (size_t)n, GIT_OBJECT_BLOB), 0);
		OK(oid_list_add(&oids, &id));
	}
	git_odb_refresh(sodb);
	snprintf(packs, sizeof(packs), "%s/objects/pack", spath);
	git_repository *dst = new_repo("storeddst", dpath, sizeof(dpath));
	OK(repo_pack_copy(dst, NULL, sodb, packs, "storedsrc", &oids, NULL, NULL));
	assert_int_equal(count_objects(dpath, "in-pack"), N + LOOSE);
	assert_int_equal(sh("git --git-dir='%s' verify-pack %s/objects/pack/*.idx", dpath, dpath), 0);
	same_blobs(src, dst, &oids);
	git_repository_free(dst);
	/* the same objects alone, copied as stored: the source's size exactly */
	oids.n = N;
	dst = new_repo("storeddst2", dpath, sizeof(dpath));
	OK(repo_pack_copy(dst, NULL, sodb, packs, "storedsrc", &oids, NULL, NULL));
	assert_int_equal(pack_size(dpath), stored);
	git_repository_free(dst);

	/* a byte of an entry near the middle of the source's pack changed */
	change_byte(packs, "/ 2");
	git_repository *bad = new_repo("storedbad", dpath, sizeof(dpath));
	assert_int_equal(repo_pack_copy(bad, NULL, sodb, packs, "storedsrc", &oids, NULL, NULL), C2C_ECORRUPT);
	assert_non_null(strstr(err_msg(), "storedsrc: object "));
	assert_non_null(strstr(err_msg(), "does not hash to its id"));
	err_clear();
	assert_int_equal(sh("test -z \"$(ls '%s/objects/pack')\"", dpath), 0);
	git_repository_free(bad);
	git_odb_free(sodb);
	oid_list_free(&oids);
	git_repository_free(src);
}

/* GITDIR's objects IDS in one pack of deltas, as git's gc or a push
 * writes them: on offsets (OFS 1) or on ids, DEPTH deep at most; the
 * pack before it, if any, removed. */
static void pack_deltas(const char *gitdir, const git_oid *ids, size_t n, int ofs, int depth)
{
	char list[400];
	write_ids(gitdir, ids, n, list, sizeof(list));
	assert_int_equal(sh("cd '%s/objects/pack' && git --git-dir='%s' pack-objects -q %s --window=50 --depth=%d new "
	                    "<'%s' >/dev/null && rm -f pack-* && for f in new-*; do mv $f ${f#new-}; done && "
	                    "for f in *.pack *.idx; do mv $f pack-$f; done && git --git-dir='%s' prune-packed",
	                    gitdir, gitdir, ofs ? "--delta-base-offset" : "", depth, list, gitdir),
	                 0);
}

/* How many of GITDIR's one pack's entries are deltas, and the longest chain. */
static void pack_chains(const char *gitdir, long *deltas, long *longest)
{
	char cmd[600], out[128] = "";
	snprintf(cmd, sizeof(cmd),
	         "git --git-dir=%s verify-pack -v %s/objects/pack/*.idx | awk 'NF==7 {d++; if ($6 > m) m = $6} "
	         "END {print d+0, m+0}'",
	         gitdir, gitdir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(sscanf(out, "%ld %ld", deltas, longest), 2);
}

/* repo_pack_copy from a pack of deltas (a hub's, after git's gc), on
 * offsets and on ids: a delta whose base the copy has checked is kept as
 * stored, on its base's id, once the delta applied to the base hashes to
 * its own id; the copy is what git verifies and the same objects. A changed byte in a delta: the delta is
 * not kept, the object read whole fails its hash or its reading, and no
 * pack is left. */
static void t_pack_copy_deltas(void **state)
{
	(void)state;
	enum { N = 3000 };
	char spath[256], dpath[256], packs[300];
	git_repository *src = new_repo("deltasrc", spath, sizeof(spath));
	git_odb *sodb = NULL;
	repo_oids oids = {0};
	long deltas, longest;
	OK(git_repository_odb(&sodb, src));
	/* versions of a text of 60 lines, each changing one line of the one
	 * before: git's deltas then chain (git makes no delta of a small
	 * object, nor long chains of objects alike but for one place) */
	unsigned long long v[60], x = 1;
	for (int j = 0; j < 60; j++)
		v[j] = x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	for (int i = 0; i < N; i++) {
		char d[60 * 40];
		size_t len = 0;
		v[(i * 7) % 60] = x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		for (int j = 0; j < 60; j++)
			len += (size_t)snprintf(d + len, sizeof(d) - len, "line %d: %llu\n", j, v[j] >> 34);
		git_oid id;
		assert_int_equal(git_odb_write(&id, sodb, d, len, GIT_OBJECT_BLOB), 0);
		OK(oid_list_add(&oids, &id));
	}
	snprintf(packs, sizeof(packs), "%s/objects/pack", spath);
	for (int ofs = 1; ofs >= 0; ofs--) {
		pack_deltas(spath, oids.v, oids.n, ofs, 1000);
		git_odb_refresh(sodb);
		pack_chains(spath, &deltas, &longest);
		assert_true(deltas > N / 2);
		git_repository *dst = new_repo(ofs ? "deltadst-ofs" : "deltadst-ref", dpath, sizeof(dpath));
		OK(repo_pack_copy(dst, NULL, sodb, packs, "deltasrc", &oids, NULL, NULL));
		assert_int_equal(count_objects(dpath, "in-pack"), N);
		pack_chains(dpath, &deltas, &longest);
		assert_true(deltas > N / 2);
		assert_true(longest <= 50);
		assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-dangling 2>&1", dpath), 0);
		same_blobs(src, dst, &oids);
		git_repository_free(dst);
	}
	/* a byte near the end of the source's pack changed: a delta's, as
	 * nearly all its entries are */
	change_byte(packs, "- 400");
	git_odb_free(sodb);
	OK(git_repository_odb(&sodb, src));
	git_repository *bad = new_repo("deltabad", dpath, sizeof(dpath));
	assert_true(repo_pack_copy(bad, NULL, sodb, packs, "deltasrc", &oids, NULL, NULL) < 0);
	assert_non_null(strstr(err_msg(), "deltasrc"));
	err_clear();
	assert_int_equal(sh("test -z \"$(ls '%s/objects/pack')\"", dpath), 0);
	git_repository_free(bad);
	git_odb_free(sodb);
	oid_list_free(&oids);
	git_repository_free(src);
}

/* A pack entry's header, of TYPE and SIZE, into H; its length. */
static size_t entry_header(unsigned char *h, int type, size_t size)
{
	size_t n = 0;
	h[n] = (unsigned char)(type << 4 | (size & 15));
	for (size >>= 4; size; size >>= 7) {
		h[n++] |= 0x80;
		h[n] = size & 0x7f;
	}
	return n + 1;
}

/* A chain of 299 deltas (REF_DELTA, each on the one before), in a pack
 * written here and indexed by git: the copy keeps chains 50 deep at most,
 * as git writes them, reading every 51st object whole (and keeping the
 * next ones on it); what it copies is what git verifies. */
static void t_pack_copy_delta_depth(void **state)
{
	(void)state;
	enum { N = 300 }; /* the copy reads packs as stored from 256 objects */
	char spath[256], dpath[256], packs[300], file[400];
	git_repository *src = new_repo("depthsrc", spath, sizeof(spath));
	git_odb *sodb = NULL;
	repo_oids oids = {0};
	repo_buf prev = {0}, cur = {0}, delta = {0}, pk = {0};
	unsigned char h[32], z[8192];
	OK(git_repository_odb(&sodb, src));
	unsigned char head[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, N >> 8, N & 255};
	assert_int_equal(repo_buf_put(&pk, head, sizeof(head)), 0);
	for (int i = 0; i < N; i++) {
		cur.len = 0;
		for (int j = 0; j < 40; j++) {
			char line[64];
			int n = snprintf(line, sizeof(line), "line %d: %d\n", j, j == i % 40 ? i * 1000 + j : j);
			assert_int_equal(repo_buf_put(&cur, line, (size_t)n), 0);
		}
		git_oid id;
		assert_int_equal(git_odb_hash(&id, cur.p, cur.len, GIT_OBJECT_BLOB), 0);
		OK(oid_list_add(&oids, &id));
		const unsigned char *data = cur.p;
		size_t len = cur.len, hl;
		if (i == 0) {
			hl = entry_header(h, GIT_OBJECT_BLOB, len);
		} else {
			OK(delta_make(&delta, prev.p, prev.len, cur.p, cur.len));
			data = delta.p, len = delta.len;
			hl = entry_header(h, GIT_OBJECT_REF_DELTA, len);
			memcpy(h + hl, oids.v[i - 1].id, 20);
			hl += 20;
		}
		uLongf zl = sizeof(z);
		assert_int_equal(compress2(z, &zl, data, len, 1), Z_OK);
		assert_int_equal(repo_buf_put(&pk, h, hl), 0);
		assert_int_equal(repo_buf_put(&pk, z, zl), 0);
		prev.len = 0;
		assert_int_equal(repo_buf_put(&prev, cur.p, cur.len), 0);
	}
	unsigned char sum[20];
	unsigned int sl = 0;
	assert_int_equal(EVP_Digest(pk.p, pk.len, sum, &sl, EVP_sha1(), NULL), 1);
	assert_int_equal(repo_buf_put(&pk, sum, 20), 0);
	snprintf(file, sizeof(file), "%s/objects/pack/pack-chain.pack", spath);
	FILE *f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(pk.p, 1, pk.len, f), pk.len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(sh("git --git-dir='%s' index-pack '%s' >/dev/null", spath, file), 0);
	long deltas, longest;
	pack_chains(spath, &deltas, &longest);
	assert_int_equal(deltas, N - 1);
	assert_int_equal(longest, N - 1);
	git_odb_refresh(sodb);
	snprintf(packs, sizeof(packs), "%s/objects/pack", spath);
	git_repository *dst = new_repo("depthdst", dpath, sizeof(dpath));
	OK(repo_pack_copy(dst, NULL, sodb, packs, "depthsrc", &oids, NULL, NULL));
	pack_chains(dpath, &deltas, &longest);
	assert_int_equal(deltas, N - 6); /* all but the 1st, 52nd, 103rd, 154th, 205th and 256th */
	assert_int_equal(longest, 50);
	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-dangling 2>&1", dpath), 0);
	for (int i = 0; i < N; i++) {
		git_odb_object *a = NULL, *b = NULL;
		git_odb *dodb = NULL;
		OK(git_repository_odb(&dodb, dst));
		assert_int_equal(git_odb_read(&a, sodb, &oids.v[i]), 0);
		assert_int_equal(git_odb_read(&b, dodb, &oids.v[i]), 0);
		assert_int_equal(git_odb_object_size(a), git_odb_object_size(b));
		assert_memory_equal(git_odb_object_data(a), git_odb_object_data(b), git_odb_object_size(a));
		git_odb_object_free(a);
		git_odb_object_free(b);
		git_odb_free(dodb);
	}
	git_repository_free(dst);
	free(prev.p);
	free(cur.p);
	free(delta.p);
	free(pk.p);
	git_odb_free(sodb);
	oid_list_free(&oids);
	git_repository_free(src);
}

/* What a remote's broken index or pack can do: never make the copy read
 * past either file, nor take an object that is not its id. A truncated
 * index, a fan-out that decreases, a pack that counts other entries or an
 * index of another version: the pack is left out. An offset past the pack,
 * or a 64-bit one past its table: that entry is not found. Two entries at
 * one offset: both found, and the one whose bytes are not its own fails
 * its hash. */
static void t_pack_src_hostile(void **state)
{
	(void)state;
	char spath[256], dir[300];
	git_repository *src = new_repo("hostilesrc", spath, sizeof(spath));
	git_odb *sodb = NULL;
	git_oid ids[40];
	OK(git_repository_odb(&sodb, src));
	for (int i = 0; i < 40; i++) {
		char d[32];
		int n = snprintf(d, sizeof(d), "object %d\n", i);
		assert_int_equal(git_odb_write(&ids[i], sodb, d, (size_t)n, GIT_OBJECT_BLOB), 0);
	}
	git_odb_free(sodb);
	git_repository_free(src);
	pack_whole(spath, ids, 40, 1);
	/* idx: 8 header, 1024 fan-out, 40*20 ids, 40*4 crcs, then the offsets at 1992 */
	static const struct {
		const char *how;
		int found, verified;
	} breaks[] = {
	    {"true", 40, 40}, /* the pack as git wrote it */
	    {"truncate -s 1000 $d/*.idx", 0, 0},
	    {"printf '\\377\\377\\377\\377' | dd of=$(ls $d/*.idx) bs=1 seek=8 conv=notrunc", 0, 0},
	    {"printf '\\000\\377\\377\\377' | dd of=$(ls $d/*.idx) bs=1 seek=1992 conv=notrunc", 39, 39},
	    {"printf '\\200\\000\\000\\005' | dd of=$(ls $d/*.idx) bs=1 seek=1992 conv=notrunc", 39, 39},
	    {"dd if=$(ls $d/*.idx) of=$(ls $d/*.idx) bs=1 skip=1992 seek=1996 count=4 conv=notrunc", 40, 39},
	    {"printf '\\000\\000\\000\\051' | dd of=$(ls $d/*.pack) bs=1 seek=8 conv=notrunc", 0, 0},
	    {"printf '\\000\\000\\000\\003' | dd of=$(ls $d/*.idx) bs=1 seek=4 conv=notrunc", 0, 0},
	};
	z_stream zs = {0};
	unsigned char *buf = NULL;
	size_t cap = 0;
	assert_int_equal(inflateInit(&zs), Z_OK);
	for (size_t b = 0; b < sizeof(breaks) / sizeof(*breaks); b++) {
		pack_src *ps = NULL;
		int found = 0, verified = 0;
		snprintf(dir, sizeof(dir), "%s/hostile%zu", tmpdir, b);
		assert_int_equal(sh("d=%s && mkdir -p $d && cp %s/objects/pack/* $d/ && chmod u+w $d/* && (%s) 2>/dev/null",
		                    dir, spath, breaks[b].how), 0);
		OK(pack_src_open(&ps, dir));
		for (int i = 0; i < 40; i++) {
			pack_raw raw;
			git_oid got;
			if (pack_src_find_entry(ps, &ids[i], &raw) != 1)
				continue;
			found++;
			assert_int_equal(raw.type, GIT_OBJECT_BLOB);
			if (pack_raw_inflate(&raw, &zs, &buf, &cap) == 0 &&
			    git_odb_hash(&got, buf, raw.size, raw.type) == 0 && git_oid_equal(&got, &ids[i]))
				verified++;
		}
		assert_int_equal(found, breaks[b].found);
		assert_int_equal(verified, breaks[b].verified);
		pack_src_free(ps);
	}
	inflateEnd(&zs);
	free(buf);
	/* no directory: no packs, no error */
	pack_src *ps = NULL;
	pack_raw raw;
	OK(pack_src_open(&ps, "/nonexistent/c2c"));
	assert_int_equal(pack_src_find_entry(ps, &ids[0], &raw), 0);
	pack_src_free(ps);
}

/* Blobs compressed on the queue's thread come out as the same objects,
 * in a pack git accepts, taken in any order and any subset. */
static void t_blobq(void **state)
{
	(void)state;
	enum { N = 5000, FIRST = 64 };
	char path[256];
	git_repository *r = new_repo("blobq", path, sizeof(path));
	repo_blobq *q = NULL;
	OK(repo_blobq_new(&q));
	if (!q) { /* one processor: the writer compresses at its commit */
		git_repository_free(r);
		return;
	}
	static git_oid want[N];
	for (int i = 0; i < N; i++) {
		char d[256];
		/* a few larger than a batch, so that one batch holds one blob */
		int n = i % 1000 == 7 ? 0 : snprintf(d, sizeof(d), "{\n  \"title\": \"Action %d\"\n}\n", i);
		static char big[100 * 1024];
		const char *data = d;
		if (i % 1000 == 7) {
			memset(big, 'a' + i % 26, sizeof(big));
			data = big;
			n = (int)sizeof(big);
		}
		OK(git_odb_hash(&want[i], data, (size_t)n, GIT_OBJECT_BLOB));
		OK(repo_blobq_put(q, FIRST + (size_t)i, data, (size_t)n));
	}
	/* A seq out of turn is refused. */
	assert_int_equal(repo_blobq_put(q, FIRST, "x", 1), C2C_EFAIL);
	err_clear();
	OK(repo_blobq_finish(q));
	repo_pack *p = NULL;
	git_oid got;
	OK(repo_pack_new(&p, r, N / 2));
	assert_int_equal(repo_blobq_add_to(q, FIRST - 1, p, &got), 0); /* never queued */
	assert_int_equal(repo_blobq_add_to(q, FIRST + N, p, &got), 0);
	for (int i = N - 1; i >= 0; i -= 2) { /* backwards, every other one */
		assert_int_equal(repo_blobq_add_to(q, FIRST + (size_t)i, p, &got), 1);
		assert_true(git_oid_equal(&got, &want[i]));
	}
	OK(repo_pack_finish(p));
	repo_pack_free(p);
	repo_blobq_free(q);
	assert_int_equal(count_objects(path, "in-pack"), N / 2);
	assert_int_equal(sh("git --git-dir='%s' verify-pack %s/objects/pack/*.idx", path, path), 0);
	for (int i = 1; i < N; i += 2 * 97) {
		git_blob *b = NULL;
		assert_int_equal(git_blob_lookup(&b, r, &want[i]), 0);
		git_blob_free(b);
	}
	/* Its file cannot grow (a full disk): the thread's error, whole, at
	 * the writer. */
	struct rlimit was, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 64 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	OK(repo_blobq_new(&q));
	int rc = 0;
	for (int i = 0; i < N && rc == 0; i++) {
		char d[64];
		int n = snprintf(d, sizeof(d), "{\n  \"n\": %d, \"r\": %d\n}\n", i, i * 7919 % 10007);
		rc = repo_blobq_put(q, (size_t)i, d, (size_t)n);
	}
	if (rc == 0)
		rc = repo_blobq_finish(q);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, C2C_EIO);
	assert_non_null(strstr(err_msg(), "writing compressed records to a temporary file in "));
	assert_non_null(strstr(err_msg(), "File too large"));
	assert_non_null(err_hint_msg());
	assert_non_null(strstr(err_hint_msg(), "make room in "));
	err_clear();
	repo_blobq_free(q);

	/* A queue dropped unfinished, with blobs still on their way. */
	OK(repo_blobq_new(&q));
	for (int i = 0; i < N; i++)
		OK(repo_blobq_put(q, (size_t)i, "{}\n", 3));
	repo_blobq_free(q);
	git_repository_free(r);
}

static void t_clear_stale_locks(void **state)
{
	(void)state;
	char path[256], lock[512], keep[512];
	git_repository *r = new_repo("locks", path, sizeof(path));
	git_oid c1, c2, head;
	OK(repo_commit(r, NULL, NULL, NULL, 0, &author, &committer, "one\n", &c1));
	OK(repo_move_head(r, NULL, &c1, "c2c: one"));
	OK(repo_commit(r, NULL, &c1, NULL, 0, &author, &committer, "two\n", &c2));

	/* A killed process left refs/heads/main.lock and HEAD.lock. */
	snprintf(lock, sizeof(lock), "%s/refs/heads/main.lock", path);
	FILE *f = fopen(lock, "w");
	assert_non_null(f);
	fputs("0000000000000000000000000000000000000000\n", f);
	fclose(f);
	char headlock[512];
	snprintf(headlock, sizeof(headlock), "%s/HEAD.lock", path);
	f = fopen(headlock, "w");
	assert_non_null(f);
	fclose(f);
	/* A file that is not a lock stays. */
	snprintf(keep, sizeof(keep), "%s/description", path);

	/* While the lock is there the head cannot move. */
	assert_true(repo_move_head(r, &c1, &c2, "c2c: two") < 0);
	OK(repo_head(r, &head));
	assert_true(git_oid_equal(&head, &c1));

	assert_int_equal(repo_clear_stale_locks(path), 2);
	struct stat sb;
	assert_int_equal(stat(lock, &sb), -1);
	assert_int_equal(stat(headlock, &sb), -1);
	assert_int_equal(stat(keep, &sb), 0);
	char mainref[512];
	snprintf(mainref, sizeof(mainref), "%s/refs/heads/main", path);
	assert_int_equal(stat(mainref, &sb), 0);
	/* Nothing left: a second call removes nothing. */
	assert_int_equal(repo_clear_stale_locks(path), 0);

	OK(repo_move_head(r, &c1, &c2, "c2c: two"));
	OK(repo_head(r, &head));
	assert_true(git_oid_equal(&head, &c2));
	git_repository_free(r);
	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-progress >/dev/null 2>&1", path), 0);
}

/* repo_tree_create_updated gives git_tree_create_updated's tree, over
 * random upserts and removals on random trees (names chosen so that git's
 * order, where a tree sorts as "name/", differs from plain byte order:
 * "a", "a.json", "a-b" beside a directory "a"), and leaves the odd cases
 * (a file where a directory is) to libgit2 with the same result. */
static const char *const dirs[] = {"a", "b", "cities", "x"};
static const char *const files[] = {"a.json", "a-b", "b0", "c.json", "x.json", "a0"};

static void random_path(char *out, size_t n, unsigned *seed, int depth)
{
	size_t l = 0;
	for (int d = 0; d < depth; d++) {
		/* Now and then a file named as a directory: a D/F conflict. */
		const char *nm = d + 1 < depth || rand_r(seed) % 12 == 0 ? dirs[rand_r(seed) % 4] : files[rand_r(seed) % 6];
		l += (size_t)snprintf(out + l, n - l, "%s%s", d ? "/" : "", nm);
	}
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const git_tree_update *)a)->path, ((const git_tree_update *)b)->path);
}

static void t_tree_update(void **state)
{
	(void)state;
	char path[512];
	git_repository *r = new_repo("treeupd", path, sizeof(path));
	git_oid blob[4], base_id;
	OK(repo_write_blob(r, "one\n", 4, &blob[0]));
	OK(repo_write_blob(r, "two\n", 4, &blob[1]));
	OK(repo_write_blob(r, "three\n", 6, &blob[2]));
	OK(repo_write_blob(r, "four\n", 5, &blob[3]));
	size_t compared = 0, refused = 0;
	for (unsigned seed = 1; seed <= 300; seed++) {
		unsigned s = seed;
		git_tree_update u[12];
		char paths[12][128];
		size_t n = 0;
		git_tree *base = NULL;
		/* A base tree from a first set of upserts (libgit2's own). */
		for (int k = 0; k < 8; k++) {
			random_path(paths[n], sizeof(paths[n]), &s, 1 + rand_r(&s) % 3);
			memset(&u[n], 0, sizeof(u[n]));
			u[n].action = GIT_TREE_UPDATE_UPSERT;
			u[n].filemode = GIT_FILEMODE_BLOB;
			u[n].path = paths[n];
			u[n].id = blob[rand_r(&s) % 4];
			n++;
		}
		qsort(u, n, sizeof(*u), cmp_path);
		size_t m = 0; /* libgit2 refuses the same path twice: keep the last */
		for (size_t i = 0; i < n; i++)
			if (i + 1 == n || strcmp(u[i].path, u[i + 1].path))
				u[m++] = u[i];
		if (git_tree_create_updated(&base_id, r, NULL, m, u) < 0) {
			git_error_clear(); /* a file and a directory of one name */
			continue;
		}
		assert_int_equal(git_tree_lookup(&base, r, &base_id), 0);
		/* Then upserts and removals of paths the base has or lacks. */
		n = 0;
		for (int k = 0; k < 5; k++) {
			random_path(paths[n], sizeof(paths[n]), &s, 1 + rand_r(&s) % 3);
			memset(&u[n], 0, sizeof(u[n]));
			u[n].path = paths[n];
			git_tree_entry *te = NULL;
			int has = git_tree_entry_bypath(&te, base, paths[n]) == 0 && git_tree_entry_type(te) == GIT_OBJECT_BLOB;
			git_tree_entry_free(te);
			git_error_clear();
			u[n].action = has && rand_r(&s) % 3 == 0 ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
			u[n].filemode = GIT_FILEMODE_BLOB;
			u[n].id = blob[rand_r(&s) % 4];
			n++;
		}
		qsort(u, n, sizeof(*u), cmp_path);
		m = 0;
		for (size_t i = 0; i < n; i++)
			if (i + 1 == n || strcmp(u[i].path, u[i + 1].path))
				u[m++] = u[i];
		git_oid want, got;
		int lrc = git_tree_create_updated(&want, r, base, m, u);
		char lmsg[256] = "";
		if (lrc < 0 && git_error_last())
			snprintf(lmsg, sizeof(lmsg), "%s", git_error_last()->message);
		int orc = repo_tree_create_updated(&got, r, base, m, u);
		git_error_clear();
		if (lrc < 0) {
			/* libgit2 refuses a removal of file "a" with an upsert of
			 * "a/x" in one update (a D/F conflict); ours may make that
			 * tree, which fsck checks below. */
			if (orc < 0)
				err_clear();
			else
				assert_non_null(strstr(lmsg, "D/F conflict"));
			refused++;
		} else {
			assert_int_equal(orc, 0);
			compared++;
			if (!git_oid_equal(&want, &got))
				fail_msg("seed %u: tree %s, libgit2 %s", seed, git_oid_tostr_s(&got), git_oid_tostr_s(&want));
		}
		git_tree_free(base);
	}
	print_message("tree updates: %zu trees the same as libgit2's, %zu refused by libgit2\n", compared, refused);
	assert_true(compared > 150);
	assert_int_equal(sh("git -C '%s' fsck --strict --no-dangling --no-progress >/dev/null 2>&1", path), 0);
	git_repository_free(r);
}


/* A commit of the empty tree with PARENTS[0..n), its time T (so that
 * dates do not follow the graph: walks must not trust them). */
static void dag_commit(git_repository *r, const git_oid *tree, const git_oid *parents, size_t n, long t, git_oid *out)
{
	git_signature *sig = NULL;
	git_tree *tr = NULL;
	const git_commit *pc[4] = {0};
	git_commit *own[4] = {0};
	assert_int_equal(git_signature_new(&sig, "n", "n@c2c.invalid", t, 0), 0);
	assert_int_equal(git_tree_lookup(&tr, r, tree), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(git_commit_lookup(&own[i], r, &parents[i]), 0);
		pc[i] = own[i];
	}
	char msg[64];
	snprintf(msg, sizeof(msg), "c %ld\n", t);
	assert_int_equal(git_commit_create(out, r, NULL, sig, sig, NULL, msg, tr, n, pc), 0);
	for (size_t i = 0; i < n; i++)
		git_commit_free(own[i]);
	git_tree_free(tr);
	git_signature_free(sig);
}

/* repo_tips_new and repo_commits_beyond against libgit2's pair-by-pair
 * git_graph_descendant_of, on random histories: branches, merges of up to
 * three parents, dates that lie. With a commit object gone, the walk fails
 * and repo_tips_new judges tip by tip. */
static void t_tips_new(void **state)
{
	(void)state;
	char path[256];
	git_repository *r = new_repo("dag", path, sizeof(path));
	git_odb *odb = NULL;
	git_oid empty, c[60];
	assert_int_equal(git_repository_odb(&odb, r), 0);
	assert_int_equal(git_odb_write(&empty, odb, "", 0, GIT_OBJECT_TREE), 0);
	unsigned seed = 7;
	for (int round = 0; round < 20; round++) {
		size_t n = 0;
		dag_commit(r, &empty, NULL, 0, 1000, &c[n++]);
		while (n < 60) {
			git_oid p[3];
			size_t np = 1 + (size_t)(rand_r(&seed) % 3);
			for (size_t i = 0; i < np; i++)
				p[i] = c[(size_t)rand_r(&seed) % n];
			if ((np == 2 && git_oid_equal(&p[0], &p[1])) || (np == 3 && (git_oid_equal(&p[0], &p[2]) || git_oid_equal(&p[1], &p[2]) || git_oid_equal(&p[0], &p[1]))))
				np = 1;
			dag_commit(r, &empty, p, np, 2000 + rand_r(&seed) % 5000, &c[n++]);
		}
		const git_oid *head = &c[(size_t)rand_r(&seed) % n];
		unsigned char isnew[60];
		repo_tips_new(r, head, c, n, isnew);
		oid_list below = {0};
		OK(repo_commits_beyond(r, head, 1, c, n, 1, &below));
		for (size_t i = 0; i < n; i++) {
			int want = !git_oid_equal(&c[i], head) && git_graph_descendant_of(r, head, &c[i]) != 1;
			if (isnew[i] != want)
				fail_msg("round %d: commit %zu: new %d, libgit2 %d", round, i, isnew[i], want);
			/* below: reached from another tip's parents, and not from the head */
			int inside = 0;
			for (size_t j = 0; j < n && !inside; j++)
				inside = !git_oid_equal(&c[j], &c[i]) && git_graph_descendant_of(r, &c[j], &c[i]) == 1;
			if (oid_list_has(&below, &c[i]) != (inside && want))
				fail_msg("round %d: commit %zu: below %d, libgit2 %d", round, i, oid_list_has(&below, &c[i]),
				         inside && want);
		}
		oid_list_free(&below);
	}
	/* A history cut short: the walk is an error, the judgement tip by tip.
	 * In a child that ends with _exit: libgit2 1.5.1 leaks its walk's
	 * lists when a walk stops on a missing object (a broken repository's
	 * case, not ours to free), which the sanitizer build would report. */
	git_oid a, b, m;
	dag_commit(r, &empty, NULL, 0, 10, &a);
	dag_commit(r, &empty, &a, 1, 11, &b);
	dag_commit(r, &empty, &b, 1, 12, &m);
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &b);
	assert_int_equal(sh("rm -f '%s/objects/%.2s/%s'", path, hex, hex + 2), 0);
	git_odb_refresh(odb);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		git_repository *cut = NULL;
		oid_list out = {0};
		git_oid tips[2] = {m, c[0]};
		unsigned char got[2];
		if (repo_open(&cut, path) < 0 || repo_commits_beyond(cut, &c[59], 1, tips, 2, 0, &out) == 0)
			_exit(1);
		err_clear();
		repo_tips_new(cut, &c[59], tips, 2, got);
		_exit(got[0] == 1 ? 0 : 2); /* m: not in the head's history */
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	git_odb_free(odb);
	git_repository_free(r);
}

/* A scratch repository reads the real one's objects and keeps its own
 * writes in memory: nothing reaches the disk, a reset forgets them. */
static void t_scratch(void **state)
{
	(void)state;
	char path[256];
	git_repository *r = new_repo("scratch", path, sizeof(path));
	git_oid real_blob, mem_blob, again;
	OK(repo_write_blob(r, "on disk\n", 8, &real_blob));
	long loose = count_objects(path, "count");
	repo_scratch *s = NULL;
	OK(repo_scratch_new(&s, r));
	git_repository *sr = repo_scratch_repo(s);
	git_blob *b = NULL;
	assert_int_equal(git_blob_lookup(&b, sr, &real_blob), 0);
	assert_memory_equal(git_blob_rawcontent(b), "on disk\n", 8);
	git_blob_free(b);
	OK(repo_write_blob(sr, "in memory\n", 10, &mem_blob));
	OK(repo_write_blob(sr, "on disk\n", 8, &again)); /* held by the real one: not copied */
	assert_true(git_oid_equal(&again, &real_blob));
	assert_int_equal(git_blob_lookup(&b, sr, &mem_blob), 0);
	git_blob_free(b);
	git_odb *odb = NULL;
	assert_int_equal(git_repository_odb(&odb, r), 0);
	assert_false(git_odb_exists(odb, &mem_blob));
	assert_int_equal(count_objects(path, "count"), loose);
	repo_scratch_reset(s);
	git_odb *sodb = NULL;
	assert_int_equal(git_repository_odb(&sodb, sr), 0);
	assert_false(git_odb_exists(sodb, &mem_blob));
	assert_true(git_odb_exists(sodb, &real_blob));
	git_odb_free(sodb);
	git_odb_free(odb);
	repo_scratch_free(s);
	git_repository_free(r);
}

/* repo_refs_under: the direct refs under a prefix, loose or packed, each
 * with its target; repo_pack_refs moves them to packed-refs and they read
 * the same. */
static void t_refs_under(void **state)
{
	(void)state;
	char path[256], file[320];
	git_repository *r = new_repo("refs", path, sizeof(path));
	git_oid blob, other;
	git_reference *ref = NULL;
	OK(repo_write_blob(r, "a\n", 2, &blob));
	OK(repo_write_blob(r, "b\n", 2, &other));
	static const char *const names[] = {"refs/c2c/remotes/hub/nodes/tunis-1", "refs/c2c/remotes/hub/nodes/sfax-2",
	                                    "refs/c2c/remotes/hub/office-key", "refs/c2c/remotes/hubx/nodes/amman-3",
	                                    "refs/heads/other"};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(git_reference_create(&ref, r, names[i], i == 1 ? &other : &blob, 1, "test"), 0);
		git_reference_free(ref);
	}
	assert_int_equal(git_reference_symbolic_create(&ref, r, "refs/c2c/remotes/hub/sym", "refs/heads/other", 1, "test"), 0);
	git_reference_free(ref);
	for (int packed = 0; packed < 2; packed++) {
		repo_refs got = {0};
		int seen = 0;
		OK(repo_refs_under(r, "refs/c2c/remotes/hub/", &got));
		assert_int_equal(got.n, 3); /* not hubx's, not the symbolic one */
		for (size_t i = 0; i < got.n; i++)
			for (int k = 0; k < 3; k++)
				if (!strcmp(got.v[i].name, names[k])) {
					assert_true(git_oid_equal(&got.v[i].id, k == 1 ? &other : &blob));
					seen |= 1 << k;
				}
		assert_int_equal(seen, 7);
		repo_refs_free(&got);
		if (!packed) {
			repo_pack_refs(r);
			snprintf(file, sizeof(file), "%s/%s", path, names[0]);
			assert_int_equal(access(file, F_OK), -1); /* no longer a loose file */
			snprintf(file, sizeof(file), "%s/packed-refs", path);
			assert_int_equal(access(file, F_OK), 0);
		}
	}
	repo_refs none = {0};
	OK(repo_refs_under(r, "refs/c2c/remotes/nowhere/", &none));
	assert_int_equal(none.n, 0);
	repo_refs_free(&none);
	git_repository_free(r);
}

/* What repo_refs_under gives under PREFIX, a line "id name" each. */
static void refs_text(git_repository *r, const char *prefix, char *out, size_t n)
{
	repo_refs got = {0};
	size_t k = 0;
	OK(repo_refs_under(r, prefix, &got));
	out[0] = '\0';
	for (size_t i = 0; i < got.n; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		k += (size_t)snprintf(out + k, n - k, "%s %s\n", git_oid_tostr(hex, sizeof(hex), &got.v[i].id), got.v[i].name);
		assert_true(k < n);
	}
	repo_refs_free(&got);
}

/* What stock git's for-each-ref gives under PREFIX. */
static void git_refs_text(const char *gitdir, const char *prefix, char *out, size_t n)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "git -C '%s' for-each-ref --format='%%(objectname) %%(refname)' '%s'", gitdir, prefix);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t k = fread(out, 1, n - 1, f);
	out[k] = '\0';
	assert_int_equal(pclose(f), 0);
}

/* repo_refs_under reads git's files itself: it gives what stock git's
 * for-each-ref gives, refs packed, loose, loose over packed, nested, beside
 * a lock file, after an annotated tag's peeled line; a packed-refs out of
 * git's format goes to libgit2, which refuses it as before. */
static void t_refs_under_git(void **state)
{
	(void)state;
	char path[256], file[320], got[2048], want[2048];
	git_repository *r = new_repo("refsgit", path, sizeof(path));
	assert_int_equal(sh("cd '%s' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t "
	                    "GIT_COMMITTER_EMAIL=t@x && t=$(git mktree </dev/null) && c=$(git commit-tree $t -m one) && "
	                    "d=$(git commit-tree $t -p $c -m two) && for i in 1 2 3; do git update-ref "
	                    "refs/heads/nodes/n$i $c; done && git update-ref refs/heads/nodesx $c && "
	                    "git tag -a -m t v1 $c && git pack-refs --all && git update-ref refs/heads/nodes/n2 $d && "
	                    "git update-ref refs/heads/nodes/deep/n4 $d && git update-ref refs/heads/nodes/n0 $d && "
	                    "git rev-parse $d > refs/heads/nodes/n5.lock",
	                    path),
	                 0);
	refs_text(r, "refs/heads/nodes/", got, sizeof(got));
	git_refs_text(path, "refs/heads/nodes/", want, sizeof(want));
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "refs/heads/nodes/deep/n4\n"));
	assert_null(strstr(got, "n5"));
	assert_null(strstr(got, "nodesx"));
	refs_text(r, "refs/tags/", got, sizeof(got));
	git_refs_text(path, "refs/tags/", want, sizeof(want));
	assert_string_equal(got, want);
	/* a line git would not write */
	repo_refs none = {0};
	snprintf(file, sizeof(file), "%s/packed-refs", path);
	FILE *f = fopen(file, "a");
	assert_non_null(f);
	fputs("not a ref line\n", f);
	fclose(f);
	assert_true(repo_refs_under(r, "refs/heads/nodes/", &none) < 0);
	assert_int_equal(none.n, 0);
	git_repository_free(r);
}

/* The .idx files in GITDIR/objects/pack. */
static int count_idx(const char *gitdir)
{
	char cmd[512], line[64];
	snprintf(cmd, sizeof(cmd), "ls '%s/objects/pack' | grep -c '\\.idx$'", gitdir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int n = fgets(line, sizeof(line), f) ? atoi(line) : -1;
	pclose(f);
	return n;
}

/* repo_pack_gather: past the limit, the small packs go into one, and
 * neither the large one (far more than twice their sum) nor one with a
 * .keep; every object stays readable, git fsck --strict passes; under the
 * limit nothing moves. */
static void t_pack_gather(void **state)
{
	(void)state;
	enum { BIG = 3000, SMALL = 59 };
	char path[256], buf[160];
	git_repository *r = new_repo("gather", path, sizeof(path));
	git_oid ids[BIG + SMALL * 2 + 1];
	size_t k = 0;
	repo_pack *p = NULL;
	OK(repo_pack_new(&p, r, BIG));
	for (int i = 0; i < BIG; i++) {
		int l = snprintf(buf, sizeof(buf), "big %d %u %u %u %u %u %u %u %u\n", i, i * 2654435761u,
		                 i * 40503u, i * 2246822519u, i * 3266489917u, i * 668265263u, i * 374761393u,
		                 i * 2166136261u, i * 16777619u);
		OK(repo_pack_add_blob(p, buf, (size_t)l, &ids[k++]));
	}
	OK(repo_pack_finish(p));
	repo_pack_free(p);
	for (int i = 0; i < SMALL; i++) {
		OK(repo_pack_new(&p, r, 3));
		for (int j = 0; j < 2; j++) {
			int l = snprintf(buf, sizeof(buf), "small %d %d\n", i, j);
			OK(repo_pack_add_blob(p, buf, (size_t)l, &ids[k++]));
		}
		OK(repo_pack_add_blob(p, "in every small pack\n", 20, &ids[BIG + SMALL * 2])); /* one id, many packs */
		OK(repo_pack_finish(p));
		repo_pack_free(p);
	}
	/* one more, kept on purpose */
	git_oid kept;
	OK(repo_pack_new(&p, r, 1));
	OK(repo_pack_add_blob(p, "kept\n", 5, &kept));
	OK(repo_pack_finish(p));
	repo_pack_free(p);
	assert_int_equal(sh("cd '%s/objects/pack' && for f in pack-*.idx; do git -C '%s' show-index < $f | grep -q %.12s "
	                    "&& touch ${f%%.idx}.keep; done; ls *.keep | wc -l | grep -qx 1",
	                    path, path, git_oid_tostr_s(&kept)),
	                 0);
	assert_int_equal(count_idx(path), 1 + SMALL + 1);
	size_t g = 99;
	OK(repo_pack_gather(r, path, 100, &g));
	assert_int_equal(g, 0);
	assert_int_equal(count_idx(path), 1 + SMALL + 1);
	OK(repo_pack_gather(r, path, REPO_PACK_GATHER_AT, &g));
	assert_int_equal(g, SMALL);
	assert_int_equal(count_idx(path), 3); /* the large one, the gathered, the kept */
	git_repository_free(r);
	OK(git_repository_open_bare(&r, path));
	for (size_t i = 0; i < k + 1; i++) {
		git_blob *b = NULL;
		assert_int_equal(git_blob_lookup(&b, r, &ids[i]), 0);
		git_blob_free(b);
	}
	git_blob *b = NULL;
	assert_int_equal(git_blob_lookup(&b, r, &kept), 0);
	git_blob_free(b);
	assert_int_equal(sh("git -C '%s' fsck --strict --no-dangling --no-progress >/dev/null 2>&1", path), 0);
	assert_int_equal(count_objects(path, "garbage"), 0);
	git_repository_free(r);
}

/* repo_scratch_keep: what a tree written in the scratch repository holds
 * that the real one lacks goes into the real one as one pack; the rest of
 * what was written there (an intermediate join) does not. */
static void t_scratch_keep(void **state)
{
	(void)state;
	char path[256];
	git_repository *r = new_repo("keep", path, sizeof(path));
	git_oid old_blob, new_blob, junk, sub, top;
	git_treebuilder *tb = NULL;
	OK(repo_write_blob(r, "old\n", 4, &old_blob));
	long loose = count_objects(path, "count"), packs = count_objects(path, "packs");
	repo_scratch *s = NULL;
	OK(repo_scratch_new(&s, r));
	git_repository *sr = repo_scratch_repo(s);
	OK(repo_write_blob(sr, "new\n", 4, &new_blob));
	OK(repo_write_blob(sr, "an intermediate join\n", 21, &junk));
	assert_int_equal(git_treebuilder_new(&tb, sr, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "a", &old_blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "b", &new_blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&sub, tb), 0);
	git_treebuilder_free(tb);
	assert_int_equal(git_treebuilder_new(&tb, sr, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "d", &sub, GIT_FILEMODE_TREE), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "e", &old_blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&top, tb), 0);
	git_treebuilder_free(tb);
	git_odb *odb = NULL;
	assert_int_equal(git_repository_odb(&odb, r), 0);
	assert_false(git_odb_exists(odb, &top));
	OK(repo_scratch_keep(s, r, &top));
	git_odb_refresh(odb);
	assert_true(git_odb_exists(odb, &top));
	assert_true(git_odb_exists(odb, &sub));
	assert_true(git_odb_exists(odb, &new_blob));
	assert_false(git_odb_exists(odb, &junk));
	assert_int_equal(count_objects(path, "count"), loose); /* a pack, no loose objects */
	assert_int_equal(count_objects(path, "packs"), packs + 1);
	git_odb_free(odb);
	repo_scratch_free(s);
	git_repository_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_create),
	    cmocka_unit_test(t_commit_read_move),
	    cmocka_unit_test(t_pack),
	    cmocka_unit_test(t_pack_short),
	    cmocka_unit_test(t_pack_copy),
	    cmocka_unit_test(t_pack_copy_stored),
	    cmocka_unit_test(t_pack_copy_deltas),
	    cmocka_unit_test(t_pack_copy_delta_depth),
	    cmocka_unit_test(t_pack_src_hostile),
	    cmocka_unit_test(t_blobq),
	    cmocka_unit_test(t_clear_stale_locks),
	    cmocka_unit_test(t_tree_update),
	    cmocka_unit_test(t_tips_new),
	    cmocka_unit_test(t_scratch),
	    cmocka_unit_test(t_refs_under),
	    cmocka_unit_test(t_refs_under_git),
	    cmocka_unit_test(t_pack_gather),
	    cmocka_unit_test(t_scratch_keep),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
