/* Unit tests of the delta encoder of c2c's push (delta_make,
 * include/c2c/delta.h), and of its reader (delta_apply). Each delta is read back by a decoder written here
 * from gitformat-pack(5) ("Deltified representation"), which also checks
 * the instructions as git's patch-delta.c does (no zero opcode, copies
 * inside the base, sizes that add up); the result must be the target byte
 * for byte. Then what a delta is for: a small edit of a large object gives
 * a small delta. Last, stock git reads a thin pack of such deltas. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "c2c/err.h"
#include "c2c/delta.h"
#include "c2c/repo.h"

#include "unit.h"

/* A size header of the delta at *P (7 bits a byte, least significant
 * first); advances *P. */
static size_t read_size(const unsigned char **p, const unsigned char *end)
{
	size_t v = 0;
	int shift = 0;
	unsigned char c;
	do {
		if (*p >= end || shift > 56)
			fail_msg("delta: a size header runs past the end");
		c = *(*p)++;
		v |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	return v;
}

typedef struct {
	size_t copies, inserts, copied; /* instructions, bytes copied */
} delta_shape;

/* Apply delta D (DL bytes) to BASE; the result (malloc'd) in *OUT, its
 * length in *OL. Fails the test on any malformed instruction. */
static void apply(const unsigned char *base, size_t bl, const unsigned char *d, size_t dl, unsigned char **out,
                  size_t *ol, delta_shape *shape)
{
	const unsigned char *p = d, *end = d + dl;
	size_t sbl = read_size(&p, end), tl = read_size(&p, end), len = 0;
	delta_shape s = {0, 0, 0};
	assert_int_equal(sbl, bl);
	unsigned char *t = malloc(tl ? tl : 1);
	assert_non_null(t);
	while (p < end) {
		unsigned char op = *p++;
		if (op & 0x80) {
			size_t off = 0, n = 0;
			for (int i = 0; i < 4; i++)
				if (op & (1 << i)) {
					if (p >= end)
						fail_msg("delta: a copy's offset runs past the end");
					off |= (size_t)*p++ << (8 * i);
				}
			for (int i = 0; i < 3; i++)
				if (op & (0x10 << i)) {
					if (p >= end)
						fail_msg("delta: a copy's size runs past the end");
					n |= (size_t)*p++ << (8 * i);
				}
			if (n == 0)
				n = 0x10000;
			if (off + n < off || off + n > bl)
				fail_msg("delta: copy of [%zu, %zu) outside a base of %zu bytes", off, off + n, bl);
			if (len + n > tl)
				fail_msg("delta: a copy overflows the target size %zu", tl);
			memcpy(t + len, base + off, n);
			len += n;
			s.copies++;
			s.copied += n;
		} else if (op) {
			if ((size_t)(end - p) < op || len + op > tl)
				fail_msg("delta: an insert of %u bytes runs past the end", op);
			memcpy(t + len, p, op);
			p += op;
			len += op;
			s.inserts++;
		} else {
			fail_msg("delta: opcode 0 (reserved)");
		}
	}
	if (len != tl)
		fail_msg("delta: the instructions make %zu bytes, the header says %zu", len, tl);
	*out = t;
	*ol = tl;
	if (shape)
		*shape = s;
}

/* The delta from BASE to T must turn BASE into T exactly; its size
 * returned, its shape in *SHAPE. */
static size_t round_trip(const void *base, size_t bl, const void *t, size_t tl, delta_shape *shape)
{
	repo_buf d = {0};
	unsigned char *got = NULL;
	size_t gl = 0;
	OK(delta_make(&d, base, bl, t, tl));
	apply(base, bl, d.p ? d.p : (const unsigned char *)"", d.len, &got, &gl, shape);
	assert_int_equal(gl, tl);
	if (tl && memcmp(got, t, tl))
		fail_msg("the delta does not give the target back (%zu bytes from %zu)", tl, bl);
	/* delta_apply reads it the same */
	repo_buf out = {0};
	assert_int_equal(delta_apply(&out, base, bl, d.p ? d.p : (const unsigned char *)"", d.len, tl), 0);
	assert_int_equal(out.len, tl);
	if (tl && memcmp(out.p, t, tl))
		fail_msg("delta_apply does not give the target back (%zu bytes from %zu)", tl, bl);
	if (tl) /* a result larger than allowed is refused */
		assert_int_equal(delta_apply(&out, base, bl, d.p, d.len, tl - 1), -1);
	free(out.p);
	size_t n = d.len;
	free(got);
	free(d.p);
	return n;
}

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)rnd(256);
}

/* A record file of the repository: canonical JSON, one field a line. */
static char *record_text(int budget, const char *title, const char *extra)
{
	char *s = malloc(4096);
	assert_non_null(s);
	snprintf(s, 4096,
	         "{\n  \"_c2c\": {\"clock\": {\"tunis-68d8fc65\": 3}, \"dots\": {\"budget_eur\": [\"tunis-68d8fc65\", 3, 7],"
	         " \"title\": [\"tunis-68d8fc65\", 1, 2]}},\n  \"budget_eur\": %d,\n  \"city\": \"tunis\",\n"
	         "  \"sdg_targets\": [\"10.7\", \"16.6\", \"17.9\", \"5.1\"],\n  \"status\": \"ongoing\",\n"
	         "  \"title\": \"%s\"%s\n}\n",
	         budget, title, extra);
	return s;
}

static void t_edges(void **state)
{
	(void)state;
	static const unsigned char x[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	delta_shape s;
	/* Empty base, empty target, both. */
	round_trip("", 0, "", 0, &s);
	assert_int_equal(s.copies + s.inserts, 0);
	round_trip("", 0, x, sizeof(x), &s);
	assert_int_equal(s.copies, 0);
	round_trip(x, sizeof(x), "", 0, &s);
	assert_int_equal(s.copies + s.inserts, 0);
	/* Shorter than a block: inserted. */
	round_trip(x, sizeof(x), x, 15, &s);
	assert_int_equal(s.copies, 0);
	round_trip(x, 15, x, sizeof(x), NULL);
	/* One byte. */
	round_trip("a", 1, "b", 1, NULL);
	/* The same bytes: one copy of the whole base. */
	round_trip(x, sizeof(x), x, sizeof(x), &s);
	assert_int_equal(s.copies, 1);
	assert_int_equal(s.inserts, 0);
	assert_int_equal(s.copied, sizeof(x));
	/* 127 bytes fit one insert, 128 need two. */
	unsigned char r[300];
	fill_random(r, sizeof(r));
	round_trip("", 0, r, 127, &s);
	assert_int_equal(s.inserts, 1);
	round_trip("", 0, r, 128, &s);
	assert_int_equal(s.inserts, 2);
	round_trip("", 0, r, sizeof(r), &s);
	assert_int_equal(s.inserts, 3);
}

/* A base over 64 KB and 16 MB: copies longer than 0xffff are split (this
 * encoder never writes git's size 0, which means 0x10000), and offsets take
 * three and four bytes. */
static void t_large(void **state)
{
	(void)state;
	size_t bl = (1u << 24) + 300000;
	unsigned char *b = malloc(bl), *t = malloc(bl + 64);
	assert_non_null(b);
	assert_non_null(t);
	fill_random(b, bl);
	memcpy(t, b, bl);
	delta_shape s;
	size_t n = round_trip(b, bl, t, bl, &s);
	assert_int_equal(s.inserts, 0);
	assert_int_equal(s.copied, bl);
	assert_int_equal(s.copies, (bl + 0xfffe) / 0xffff);
	assert_true(n < 8 * s.copies + 16);
	/* An edit past 16 MB: what follows it is copied from a 4-byte offset. */
	t[(1u << 24) + 1000] ^= 0x55;
	memcpy(t + bl, "tail of the new version, not in the base", 40);
	n = round_trip(b, bl, t, bl + 40, &s);
	assert_true(s.copied >= bl - 64);
	assert_true(n < 8 * s.copies + 200);
	free(b);
	free(t);
}

/* What a delta is for in a push: a record or a tree against its previous
 * version, a new record against a sibling. */
static void t_small_edits(void **state)
{
	(void)state;
	char *a = record_text(50000, "ACMALS - coordination of local actors", "");
	char *b = record_text(50001, "ACMALS - coordination of local actors", "");
	char *c = record_text(50000, "Welcome desk", ",\n  \"outcomes\": \"first line\\nsecond line\"");
	size_t n = round_trip(a, strlen(a), b, strlen(b), NULL);
	assert_true(n < 40);
	n = round_trip(a, strlen(a), c, strlen(c), NULL);
	assert_true(n < strlen(c) / 2);
	free(a);
	free(b);
	free(c);

	/* A 4 KB object: one byte changed, one inserted, one line removed,
	 * the halves swapped. */
	unsigned char base[4096], t[4200];
	for (size_t i = 0; i < sizeof(base); i++)
		base[i] = (unsigned char)"abcdefghijklmnopqrstuvwxyz ,.\n"[rnd(30)];
	memcpy(t, base, sizeof(base));
	t[2000] ^= 1;
	assert_true(round_trip(base, sizeof(base), t, sizeof(base), NULL) < 40);
	memcpy(t, base, 1000);
	t[1000] = '!';
	memcpy(t + 1001, base + 1000, sizeof(base) - 1000);
	assert_true(round_trip(base, sizeof(base), t, sizeof(base) + 1, NULL) < 40);
	memcpy(t, base, 1000);
	memcpy(t + 1000, base + 1100, sizeof(base) - 1100);
	assert_true(round_trip(base, sizeof(base), t, sizeof(base) - 100, NULL) < 40);
	memcpy(t, base + 2048, 2048);
	memcpy(t + 2048, base, 2048);
	assert_true(round_trip(base, sizeof(base), t, sizeof(base), NULL) < 40);
	/* Nothing in common: about the target inserted, no copy. */
	unsigned char r[4096];
	fill_random(r, sizeof(r));
	delta_shape s;
	size_t dl = round_trip(base, sizeof(base), r, sizeof(r), &s);
	assert_int_equal(s.copies, 0);
	assert_true(dl <= sizeof(r) + sizeof(r) / 127 + 1 + 8);
}

/* Random objects and random edits of them (bytes changed, inserted,
 * removed, blocks moved and repeated), over small alphabets too, where
 * blocks repeat and hash alike. */
static void t_random(void **state)
{
	(void)state;
	enum { MAX = 20000 };
	unsigned char *b = malloc(MAX), *t = malloc(3 * MAX);
	assert_non_null(b);
	assert_non_null(t);
	for (int iter = 0; iter < 3000; iter++) {
		size_t bl = rnd(iter < 100 ? 64 : MAX);
		unsigned alpha = (unsigned[]){2, 4, 26, 256}[rnd(4)];
		for (size_t i = 0; i < bl; i++)
			b[i] = (unsigned char)('a' + rnd(alpha));
		size_t tl = 0;
		/* T: pieces of B and new bytes. */
		while (tl < 2 * MAX && rnd(12)) {
			if (bl && rnd(3)) {
				size_t off = rnd((unsigned)bl), n = 1 + rnd((unsigned)(bl - off));
				memcpy(t + tl, b + off, n);
				tl += n;
			} else {
				size_t n = 1 + rnd(200);
				for (size_t i = 0; i < n; i++)
					t[tl + i] = (unsigned char)('a' + rnd(alpha));
				tl += n;
			}
		}
		round_trip(b, bl, t, tl, NULL);
	}
	free(b);
	free(t);
}

/* Stock git reads the deltas: a thin pack holding a blob as a REF_DELTA
 * against a blob of the repository, completed by index-pack --fix-thin,
 * gives back the target. */
/* Deltas that do not hold, as another node could send them: each refused
 * by delta_apply, nothing read outside the base or the delta. */
static void t_apply_refuses(void **state)
{
	(void)state;
	const unsigned char base[] = "0123456789abcdef";
	static const struct {
		const char *why;
		unsigned char d[16];
		size_t len;
	} bad[] = {
	    {"base size not the base's", {15, 4, 0x90, 4}, 4},
	    {"no result size", {16}, 1},
	    {"a size header running past the end", {16, 0x84}, 2},
	    {"copy past the base's end", {16, 4, 0x91, 14, 4}, 5},
	    {"copy offset past the base", {16, 1, 0x91, 200, 1}, 5},
	    {"copy of 0x10000 (size 0) from a small base", {16, 4, 0x80}, 3},
	    {"copy's bytes missing", {16, 4, 0x93, 1}, 4},
	    {"insert past the delta's end", {16, 4, 4, 'a', 'b'}, 5},
	    {"opcode 0", {16, 1, 0, 1, 'a'}, 5},
	    {"fewer bytes than the result size", {16, 5, 0x90, 4}, 4},
	    {"more bytes than the result size", {16, 3, 0x90, 4}, 4},
	    {"a result size over the limit", {16, 0xff, 0xff, 0xff, 0x7f}, 5},
	};
	repo_buf out = {0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (delta_apply(&out, base, 16, bad[i].d, bad[i].len, 1 << 20) != -1)
			fail_msg("delta_apply accepted: %s", bad[i].why);
	/* and what holds: a copy of 4 at 2 and an insert of 2 */
	const unsigned char ok[] = {16, 6, 0x91, 2, 4, 2, 'x', 'y'};
	assert_int_equal(delta_apply(&out, base, 16, ok, sizeof(ok), 1 << 20), 0);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.p, "2345xy", 6);
	free(out.p);
}

static void t_git_reads_it(void **state)
{
	(void)state;
	char dir[] = "/tmp/c2c-unit-delta-XXXXXX", cmd[512], path[256];
	OK(repo_global_init());
	assert_non_null(mkdtemp(dir));
	char *a = record_text(50000, "ACMALS", ""), *b = record_text(70000, "ACMALS (phase 2)", "");
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s/r.git'", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/a", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(a, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "git -C '%s/r.git' hash-object -w '%s/a' > '%s/a.id'", dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	git_oid base_id, want_id;
	OK(git_odb_hash(&base_id, a, strlen(a), GIT_OBJECT_BLOB));
	OK(git_odb_hash(&want_id, b, strlen(b), GIT_OBJECT_BLOB));

	/* The pack: header, one REF_DELTA entry (its header, the base's id, the
	 * zlib'd delta), the SHA-1 of all that. */
	repo_buf d = {0}, pack = {0};
	OK(delta_make(&d, (const unsigned char *)a, strlen(a), (const unsigned char *)b, strlen(b)));
	unsigned char hdr[16];
	OK(repo_buf_put(&pack, "PACK\0\0\0\2\0\0\0\1", 12));
	OK(repo_buf_put(&pack, hdr, repo_pack_header(hdr, 7, d.len)));
	OK(repo_buf_put(&pack, base_id.id, GIT_OID_RAWSZ));
	uLongf zl = compressBound(d.len);
	unsigned char *z = malloc(zl);
	assert_non_null(z);
	assert_int_equal(compress2(z, &zl, d.p, d.len, Z_DEFAULT_COMPRESSION), Z_OK);
	OK(repo_buf_put(&pack, z, zl));
	free(z);
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned sl = 0;
	assert_int_equal(EVP_Digest(pack.p, pack.len, sum, &sl, EVP_sha1(), NULL), 1);
	OK(repo_buf_put(&pack, sum, sl));
	snprintf(path, sizeof(path), "%s/thin.pack", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(pack.p, 1, pack.len, f), pack.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s/r.git' && git index-pack --stdin --fix-thin < '%s/thin.pack' >/dev/null && "
	         "git cat-file blob %s > '%s/got'",
	         dir, dir, git_oid_tostr_s(&want_id), dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/got", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	char got[4096];
	size_t n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, strlen(b));
	assert_memory_equal(got, b, n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(a);
	free(b);
	free(d.p);
	free(pack.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_edges),
	    cmocka_unit_test(t_large),
	    cmocka_unit_test(t_small_edits),
	    cmocka_unit_test(t_random),
	    cmocka_unit_test(t_apply_refuses),
	    cmocka_unit_test(t_git_reads_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
