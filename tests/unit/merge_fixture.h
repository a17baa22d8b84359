/* Shared by the unit tests of the join of record versions (test_merge.c:
 * hand cases; test_merge_random.c: random histories): reading and joining
 * versions with checks, and the edits of node/write.c on a version. */
#ifndef C2C_TEST_MERGE_FIXTURE_H
#define C2C_TEST_MERGE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/write.h"

/* Each test file uses some of these. */
#define FIXTURE __attribute__((unused))

/* The seed of the random case running, for messages; 0 in hand cases. */
static unsigned cur_seed;

static FIXTURE json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	if (!v)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return v;
}

static FIXTURE char *canon(const json_t *v)
{
	char *s = NULL;
	if (!v)
		return strdup("(no version)\n");
	if (canon_dump(v, &s, NULL) != 0)
		fail_msg("canon_dump: %s", err_msg());
	return s;
}

/* Compact text of any value (NULL: null), for messages and oracle keys. */
static FIXTURE char *text(const json_t *v)
{
	if (!v)
		return strdup("null");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
}

/* merge_records(A, B), which must succeed and leave A and B as they were
 * (checked on every join in hand cases, on one in 64 in random ones). */
static FIXTURE json_t *join(const json_t *a, const json_t *b)
{
	static unsigned calls;
	json_t *out = NULL;
	int check = !cur_seed || calls++ % 64 == 0;
	char *ca = check ? canon(a) : NULL, *cb = check ? canon(b) : NULL;
	int rc = merge_records(a, b, &out);
	if (rc != 0) {
		char *ta = canon(a), *tb = canon(b);
		fprintf(stderr, "A:\n%sB:\n%s", ta, tb);
		fail_msg("seed %u: merge_records -> %d: %s", cur_seed, rc, err_msg());
	}
	if (!out)
		fail_msg("seed %u: merge_records gave no record", cur_seed);
	if (check) {
		char *ca2 = canon(a), *cb2 = canon(b);
		if (strcmp(ca, ca2) || strcmp(cb, cb2))
			fail_msg("seed %u: merge_records modified an input", cur_seed);
		free(ca2);
		free(cb2);
	}
	free(ca);
	free(cb);
	return out;
}

/* X and Y must have the same canonical bytes. (Equal JSON values have: the
 * canonical text is a function of the value; it is compared when not.) */
static FIXTURE void same(const json_t *x, const json_t *y, const char *what)
{
	if (x && y && json_equal(x, y))
		return;
	char *cx = canon(x), *cy = canon(y);
	if (strcmp(cx, cy)) {
		fprintf(stderr, "seed %u: %s differ:\n%s---\n%s", cur_seed, what, cx, cy);
		fail_msg("seed %u: %s differ", cur_seed, what);
	}
	free(cx);
	free(cy);
}

/* merge_records(A, B) must fail with C2C_ECORRUPT and a message holding
 * NEEDLE (and NEEDLE2 if given). */
static FIXTURE void refused(const json_t *a, const json_t *b, const char *needle, const char *needle2)
{
	json_t *out = (json_t *)1;
	int rc = merge_records(a, b, &out);
	if (rc != C2C_ECORRUPT) {
		char *c = rc == 0 ? canon(out) : NULL;
		fail_msg("merge accepted (rc %d): %s", rc, c ? c : "");
	}
	assert_null(out);
	if (!strstr(err_msg(), needle) || (needle2 && !strstr(err_msg(), needle2)))
		fail_msg("message does not name '%s'%s%s: %s", needle, needle2 ? " and " : "", needle2 ? needle2 : "",
		         err_msg());
	if (!b) { /* the incoming checks' merge_check refuses it alike */
		char want[1024];
		snprintf(want, sizeof(want), "%s", err_msg());
		assert_int_equal(merge_check(a), C2C_ECORRUPT);
		assert_string_equal(err_msg(), want);
	}
}

/* ------------------------------------------------- the edits of write.c */

/* Each field of an edit is set by node/write.c's own write_assign
 * (include/c2c/write.h), so that the versions joined here are those the
 * commands make. do_set, do_add and do_rm below follow write_set, write_add
 * and write_rm around it (the rest of those needs a node and its store). */

/* The greatest lamport time in REC. */
static FIXTURE long long max_lamport(const json_t *rec)
{
	const json_t *meta = json_object_get(rec, "_c2c"), *x, *y;
	const char *k, *k2;
	long long m = 0, l;
#define SEE(v)                                                                                     \
	do {                                                                                           \
		if ((l = json_integer_value(v)) > m)                                                       \
			m = l;                                                                                 \
	} while (0)
	json_object_foreach(json_object_get(meta, "dots"), k, x) SEE(json_array_get(x, 2));
	json_object_foreach(json_object_get(meta, "conflicts"), k, x)
	{
		for (size_t i = 0; i < json_array_size(x); i++)
			SEE(json_array_get(json_array_get(x, i), 3));
	}
	json_object_foreach(json_object_get(meta, "elems"), k, x)
	{
		json_object_foreach((json_t *)x, k2, y)
		{
			for (size_t i = 0; i < json_array_size(y); i++)
				SEE(json_array_get(json_array_get(y, i), 2));
		}
	}
	x = json_object_get(meta, "deleted");
	for (size_t i = 0; i < json_array_size(x); i++)
		SEE(json_array_get(json_array_get(x, i), 2));
#undef SEE
	return m;
}

/* A node holding one version of the record. */
typedef struct {
	char id[16];
	json_t *v; /* NULL: the node has no version */
	long long lamport;
} tnode;

/* The lamport time of the node's next edit: past all it has seen. */
static FIXTURE long long tick(tnode *n)
{
	long long m = max_lamport(n->v);
	if (m > n->lamport)
		n->lamport = m;
	return ++n->lamport;
}

/* write_set: assign FIELDS (JSON text) if that changes anything. 1 if it did. */
static FIXTURE int do_set(tnode *n, const char *fields)
{
	json_t *f = J(fields), *v, *probe = json_deep_copy(n->v);
	const char *k;
	json_object_foreach(f, k, v) write_assign(probe, k, v, n->id, 0, 0);
	int differs = !json_equal(probe, n->v);
	json_decref(probe);
	if (differs) {
		long long lam = tick(n), c = record_begin_edit(n->v, n->id);
		json_object_del(record_meta(n->v), "deleted");
		json_object_foreach(f, k, v) write_assign(n->v, k, v, n->id, c, lam);
	}
	json_decref(f);
	return differs;
}

/* write_add: a new record, or one added again over the node's tombstone.
 * Added again, every old field not given is cleared with the new dot
 * (which closes its conflicts too), so that no dot is left standing without
 * the value it wrote and no conflict disappears unsuperseded, as write_add
 * does (it stamps each old field with the new dot, empties its elements and
 * drops the conflicts). */
static FIXTURE void do_add(tnode *n, const char *fields)
{
	json_t *f = J(fields), *v, *rec, *names = json_object();
	const char *k;
	long long lam = tick(n);
	if (n->v) {
		rec = json_deep_copy(n->v);
		json_t *meta = record_meta(rec);
		json_object_del(meta, "deleted");
		json_object_foreach(rec, k, v)
		{
			if (strcmp(k, "_c2c"))
				json_object_set_new(names, k, json_true());
		}
		json_object_foreach(json_object_get(meta, "dots"), k, v) json_object_set_new(names, k, json_true());
		json_object_foreach(json_object_get(meta, "conflicts"), k, v) json_object_set_new(names, k, json_true());
		json_object_foreach(json_object_get(meta, "elems"), k, v) json_object_set_new(names, k, json_true());
	} else {
		rec = json_object();
	}
	long long c = record_begin_edit(rec, n->id);
	json_object_foreach(names, k, v)
	{
		if (!json_object_get(f, k))
			write_assign(rec, k, json_null(), n->id, c, lam);
	}
	json_object_foreach(f, k, v) write_assign(rec, k, v, n->id, c, lam);
	json_decref(n->v);
	n->v = rec;
	json_decref(f);
	json_decref(names);
}

/* write_rm. */
static FIXTURE void do_rm(tnode *n)
{
	long long lam = tick(n), c = record_begin_edit(n->v, n->id);
	json_t *meta = record_meta(n->v);
	json_object_set_new(meta, "deleted", json_pack("[[sIIo]]", n->id, (json_int_t)c, (json_int_t)lam,
	                                               json_deep_copy(json_object_get(meta, "clock"))));
}

/* N takes the join of its version and FROM's. */
static FIXTURE void do_merge(tnode *n, const tnode *from)
{
	json_t *m = join(n->v, from->v);
	json_decref(n->v);
	n->v = m;
}

/* A copy of FROM's version on N (a fast-forward). */
static FIXTURE void do_copy(tnode *n, const tnode *from)
{
	json_decref(n->v);
	n->v = json_deep_copy(from->v);
}

static FIXTURE json_t *meta_of(const json_t *rec, const char *key)
{
	return json_object_get(json_object_get(rec, "_c2c"), key);
}

/* The compact text of REC's KEY (a field, or "_c2c.x.y" path) equals EXPECT
 * ("absent" for none). */
static FIXTURE void has(const json_t *rec, const char *path, const char *expect)
{
	const json_t *v = rec;
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = strtok_r(buf, ".", &save); p && v; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	char *got = v ? text(v) : strdup("absent");
	if (strcmp(got, expect)) {
		char *c = canon(rec);
		fail_msg("%s: got %s, expected %s in\n%s", path, got, expect, c);
	}
	free(got);
}

static FIXTURE void nodes_free(tnode *n, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		json_decref(n[i].v);
		n[i].v = NULL;
	}
}

#endif
