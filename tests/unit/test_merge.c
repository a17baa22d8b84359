/* Unit tests of the join of record versions (include/c2c/merge.h): hand
 * cases, then random histories checked against the algebra (commutative,
 * associative, idempotent), convergence, and an oracle that recomputes from
 * the log of every edit what each version must hold. */
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

/* The seed of the random case running, for messages; 0 in hand cases. */
static unsigned cur_seed;

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	if (!v)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return v;
}

static char *canon(const json_t *v)
{
	char *s = NULL;
	if (!v)
		return strdup("(no version)\n");
	if (canon_dump(v, &s, NULL) != 0)
		fail_msg("canon_dump: %s", err_msg());
	return s;
}

/* Compact text of any value (NULL: null), for messages and oracle keys. */
static char *text(const json_t *v)
{
	if (!v)
		return strdup("null");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
}

/* merge_records(A, B), which must succeed and leave A and B as they were
 * (checked on every join in hand cases, on one in 64 in random ones). */
static json_t *join(const json_t *a, const json_t *b)
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
static void same(const json_t *x, const json_t *y, const char *what)
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
static void refused(const json_t *a, const json_t *b, const char *needle, const char *needle2)
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
}

/* ------------------------------------------------- the edits of write.c */

/* Each field of an edit is set by node/write.c's own write_assign
 * (include/c2c/write.h), so that the versions joined here are those the
 * commands make. do_set, do_add and do_rm below follow write_set, write_add
 * and write_rm around it (the rest of those needs a node and its store). */

/* The greatest lamport time in REC. */
static long long max_lamport(const json_t *rec)
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
static long long tick(tnode *n)
{
	long long m = max_lamport(n->v);
	if (m > n->lamport)
		n->lamport = m;
	return ++n->lamport;
}

/* write_set: assign FIELDS (JSON text) if that changes anything. 1 if it did. */
static int do_set(tnode *n, const char *fields)
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
static void do_add(tnode *n, const char *fields)
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
static void do_rm(tnode *n)
{
	long long lam = tick(n), c = record_begin_edit(n->v, n->id);
	json_t *meta = record_meta(n->v);
	json_object_set_new(meta, "deleted", json_pack("[[sIIo]]", n->id, (json_int_t)c, (json_int_t)lam,
	                                               json_deep_copy(json_object_get(meta, "clock"))));
}

/* N takes the join of its version and FROM's. */
static void do_merge(tnode *n, const tnode *from)
{
	json_t *m = join(n->v, from->v);
	json_decref(n->v);
	n->v = m;
}

/* A copy of FROM's version on N (a fast-forward). */
static void do_copy(tnode *n, const tnode *from)
{
	json_decref(n->v);
	n->v = json_deep_copy(from->v);
}

static json_t *meta_of(const json_t *rec, const char *key) { return json_object_get(json_object_get(rec, "_c2c"), key); }

/* The compact text of REC's KEY (a field, or "_c2c.x.y" path) equals EXPECT
 * ("absent" for none). */
static void has(const json_t *rec, const char *path, const char *expect)
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

static void nodes_free(tnode *n, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		json_decref(n[i].v);
		n[i].v = NULL;
	}
}

/* ------------------------------------------------------------ hand cases */

static void t_null_inputs(void **state)
{
	(void)state;
	json_t *out = (json_t *)1;
	assert_int_equal(merge_records(NULL, NULL, &out), 0);
	assert_null(out);
	json_t *a = J("{\"title\": \"x\", \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"title\": [\"n1\", 1, 3]}}}");
	json_t *m1 = join(a, NULL), *m2 = join(NULL, a);
	assert_ptr_not_equal(m1, a);
	same(m1, a, "join(a, NULL) and a");
	same(m2, a, "join(NULL, a) and a");
	json_object_set_new(m1, "title", json_string("changed"));
	has(a, "title", "\"x\""); /* a deep copy */
	json_decref(m1);
	json_decref(m2);
	json_decref(a);
}

static void t_one_side_edits(void **state)
{
	(void)state;
	tnode n[2] = {{"node-a", NULL, 0}, {"node-b", NULL, 0}};
	do_add(&n[0], "{\"title\": \"x\", \"status\": \"draft\", \"budget\": 10}");
	do_copy(&n[1], &n[0]);
	assert_true(do_set(&n[1], "{\"status\": \"done\", \"budget\": null}"));
	json_t *m1 = join(n[0].v, n[1].v), *m2 = join(n[1].v, n[0].v), *m3 = join(n[0].v, n[0].v);
	same(m1, n[1].v, "join(old, edited) and the edited version");
	same(m2, n[1].v, "join(edited, old) and the edited version");
	same(m3, n[0].v, "join(a, a) and a");
	has(m1, "status", "\"done\"");
	has(m1, "budget", "absent");
	has(m1, "_c2c.dots.budget", "[\"node-b\",1,2]");
	assert_false(merge_has_conflicts(m1));
	assert_false(merge_is_deleted(m1));
	json_decref(m1);
	json_decref(m2);
	json_decref(m3);
	nodes_free(n, 2);
}

static void t_concurrent_edits_conflict(void **state)
{
	(void)state;
	tnode n[3] = {{"node-a", NULL, 0}, {"node-b", NULL, 0}, {"node-c", NULL, 0}};
	do_add(&n[0], "{\"title\": \"x\", \"status\": \"draft\"}");
	do_copy(&n[1], &n[0]);
	do_copy(&n[2], &n[0]);
	/* The same lamport time: node-b > node-a by bytes, node-b stands. */
	do_set(&n[0], "{\"status\": \"from-a\"}");
	do_set(&n[1], "{\"status\": \"from-b\"}");
	json_t *m = join(n[0].v, n[1].v), *m2 = join(n[1].v, n[0].v);
	same(m, m2, "join(a, b) and join(b, a)");
	has(m, "status", "\"from-b\"");
	has(m, "_c2c.dots.status", "[\"node-b\",1,2]");
	has(m, "_c2c.conflicts", "{\"status\":[[\"from-a\",\"node-a\",2,2]]}");
	has(m, "_c2c.clock", "{\"node-a\":2,\"node-b\":1}");
	assert_true(merge_has_conflicts(m));
	assert_false(merge_is_deleted(m));
	json_decref(m2);

	/* A higher lamport time wins over the node: node-c edits later. */
	n[2].lamport = 50;
	do_set(&n[2], "{\"status\": \"from-c\"}");
	json_t *m3 = join(m, n[2].v), *m4 = join(n[2].v, m);
	same(m3, m4, "join(ab, c) and join(c, ab)");
	has(m3, "status", "\"from-c\"");
	has(m3, "_c2c.conflicts", "{\"status\":[[\"from-b\",\"node-b\",1,2],[\"from-a\",\"node-a\",2,2]]}");

	/* An edit that saw every value closes the conflict and wins over each
	 * side it saw. */
	json_decref(n[0].v);
	n[0].v = json_incref(m3);
	assert_true(do_set(&n[0], "{\"status\": \"final\"}"));
	has(n[0].v, "_c2c.conflicts", "absent");
	for (int i = 1; i < 3; i++) {
		json_t *x = join(n[0].v, n[i].v), *y = join(n[i].v, n[0].v);
		same(x, n[0].v, "join(resolved, old side) and the resolved version");
		same(y, n[0].v, "join(old side, resolved) and the resolved version");
		json_decref(x);
		json_decref(y);
	}
	json_t *x = join(n[0].v, m);
	same(x, n[0].v, "join(resolved, ab)");
	assert_false(merge_has_conflicts(x));
	json_decref(x);
	json_decref(m);
	json_decref(m3);
	json_decref(m4);
	nodes_free(n, 3);
}

static void t_sets(void **state)
{
	(void)state;
	tnode n[2] = {{"node-a", NULL, 0}, {"node-b", NULL, 0}};
	do_add(&n[0], "{\"themes\": [\"a\", \"b\"]}");
	do_copy(&n[1], &n[0]);

	/* Concurrent additions: the union, and no conflict. */
	do_set(&n[0], "{\"themes\": [\"a\", \"b\", \"c\"]}");
	do_set(&n[1], "{\"themes\": [\"a\", \"b\", \"d\"]}");
	json_t *m = join(n[0].v, n[1].v), *m2 = join(n[1].v, n[0].v);
	same(m, m2, "join(a, b) and join(b, a)");
	has(m, "themes", "[\"a\",\"b\",\"c\",\"d\"]");
	has(m, "_c2c.elems.themes.c", "[[\"node-a\",2,2]]");
	has(m, "_c2c.elems.themes.a", "[[\"node-a\",1,1]]");
	has(m, "_c2c.dots.themes", "[\"node-b\",1,2]");
	/* The outranked edit stays, valueless and never open. */
	has(m, "_c2c.conflicts.themes", "[[null,\"node-a\",2,2]]");
	assert_false(merge_field_open(m, "themes"));
	assert_false(merge_has_conflicts(m));
	json_decref(m2);
	json_decref(m);

	/* One side removes an element the other did not touch: removed. */
	do_merge(&n[0], &n[1]);
	do_copy(&n[1], &n[0]);
	do_set(&n[0], "{\"themes\": [\"a\", \"c\", \"d\"]}");
	do_set(&n[1], "{\"title\": \"t\"}");
	m = join(n[0].v, n[1].v);
	has(m, "themes", "[\"a\",\"c\",\"d\"]");
	has(m, "_c2c.elems.themes.b", "absent");
	has(m, "title", "\"t\"");
	json_decref(m);

	/* One side removes c while the other removes and adds it again (a new
	 * dot): the addition wins. */
	do_merge(&n[0], &n[1]);
	do_copy(&n[1], &n[0]);
	do_set(&n[0], "{\"themes\": [\"a\", \"d\"]}");
	do_set(&n[1], "{\"themes\": [\"a\", \"d\"]}");
	do_set(&n[1], "{\"themes\": [\"a\", \"c\", \"d\"]}");
	m = join(n[0].v, n[1].v);
	m2 = join(n[1].v, n[0].v);
	same(m, m2, "join(a, b) and join(b, a)");
	has(m, "themes", "[\"a\",\"c\",\"d\"]");
	has(m, "_c2c.elems.themes.c", "[[\"node-b\",4,5]]");
	json_decref(m2);
	json_decref(m);

	/* One side clears the set, the other keeps only a (adding nothing):
	 * nothing is left. */
	do_merge(&n[0], &n[1]);
	do_copy(&n[1], &n[0]);
	do_set(&n[0], "{\"themes\": null}");
	do_set(&n[1], "{\"themes\": [\"a\"]}");
	m = join(n[0].v, n[1].v);
	has(m, "themes", "absent");
	has(m, "_c2c.elems", "{\"themes\":{}}"); /* still a set in later joins */
	has(m, "_c2c.conflicts.themes", "[[null,\"node-a\",5,6]]");
	assert_false(merge_has_conflicts(m));
	json_decref(m);

	/* Both clear it: each keeps the emptied set's "elems" entry (as
	 * write.c does), so the two join as sets, to nothing; the null entry
	 * equals the absent value: no open conflict. */
	do_merge(&n[0], &n[1]);
	do_set(&n[0], "{\"themes\": [\"a\"]}");
	do_copy(&n[1], &n[0]);
	do_set(&n[0], "{\"themes\": null}");
	do_set(&n[1], "{\"themes\": null}");
	m = join(n[0].v, n[1].v);
	has(m, "themes", "absent");
	has(m, "_c2c.elems", "{\"themes\":{}}");
	has(m, "_c2c.conflicts.themes", "[[null,\"node-a\",7,8]]");
	assert_false(merge_has_conflicts(m));
	json_decref(m);
	nodes_free(n, 2);
}

static void t_delete(void **state)
{
	(void)state;
	tnode n[3] = {{"node-a", NULL, 0}, {"node-b", NULL, 0}, {"node-c", NULL, 0}};
	do_add(&n[0], "{\"title\": \"x\", \"themes\": [\"a\"]}");
	do_copy(&n[1], &n[0]);
	do_copy(&n[2], &n[0]);

	/* A delete concurrent with an edit: the record stays, the deletion is
	 * its open conflict. */
	do_rm(&n[0]);
	assert_true(merge_is_deleted(n[0].v));
	assert_false(merge_has_conflicts(n[0].v));
	do_set(&n[1], "{\"title\": \"y\"}");
	json_t *m = join(n[0].v, n[1].v), *m2 = join(n[1].v, n[0].v);
	same(m, m2, "join(a, b) and join(b, a)");
	assert_false(merge_is_deleted(m));
	assert_true(merge_has_conflicts(m));
	has(m, "_c2c.deleted", "[[\"node-a\",2,2,{\"node-a\":2}]]");
	has(m, "title", "\"y\"");
	json_decref(m2);

	/* A concurrent set addition keeps the record too. */
	do_set(&n[2], "{\"themes\": [\"a\", \"b\"]}");
	m2 = join(n[0].v, n[2].v);
	assert_false(merge_is_deleted(m2));
	assert_true(merge_has_conflicts(m2));
	json_decref(m2);

	/* A write that saw the deletion closes it. */
	json_decref(n[1].v);
	n[1].v = json_incref(m);
	do_set(&n[1], "{\"title\": \"z\"}");
	has(n[1].v, "_c2c.deleted", "absent");
	m2 = join(n[1].v, n[0].v);
	same(m2, n[1].v, "join(written, tombstone) and the written version");
	assert_false(merge_has_conflicts(m2));
	json_decref(m2);
	json_decref(m);

	/* A delete that saw everything: deleted, with nothing open. */
	do_merge(&n[2], &n[1]);
	do_merge(&n[2], &n[0]);
	do_rm(&n[2]);
	for (int i = 0; i < 2; i++) {
		m = join(n[2].v, n[i].v);
		same(m, n[2].v, "join(tombstone, older) and the tombstone");
		assert_true(merge_is_deleted(m));
		assert_false(merge_has_conflicts(m));
		json_decref(m);
	}

	/* Two concurrent deletes: both kept, deleted. */
	do_copy(&n[0], &n[2]);
	do_copy(&n[1], &n[2]);
	do_add(&n[1], "{\"title\": \"again\"}"); /* added again over its tombstone */
	assert_false(merge_is_deleted(n[1].v));
	has(n[1].v, "themes", "absent");
	do_copy(&n[0], &n[1]);
	do_rm(&n[0]);
	do_rm(&n[1]);
	m = join(n[0].v, n[1].v);
	assert_int_equal(json_array_size(meta_of(m, "deleted")), 2);
	assert_true(merge_is_deleted(m));
	assert_false(merge_has_conflicts(m));
	json_decref(m);
	nodes_free(n, 3);
}

static void t_concurrent_creation(void **state)
{
	(void)state;
	tnode n[3] = {{"tunis-1", NULL, 0}, {"office-1", NULL, 0}, {"tunis-2", NULL, 0}};
	do_add(&n[0], "{\"city\": \"tunis\", \"section\": \"overview\", \"body\": \"x\"}");
	do_add(&n[1], "{\"city\": \"tunis\", \"section\": \"overview\", \"body\": \"y\", \"status\": \"draft\"}");
	json_t *m = join(n[0].v, n[1].v), *m2 = join(n[1].v, n[0].v);
	same(m, m2, "join(a, b) and join(b, a)");
	has(m, "body", "\"x\"");
	has(m, "status", "\"draft\"");
	has(m, "_c2c.conflicts.body", "[[\"y\",\"office-1\",1,1]]");
	/* Equal values written concurrently stay as entries, but are no
	 * conflict to show. */
	has(m, "_c2c.conflicts.city", "[[\"tunis\",\"office-1\",1,1]]");
	assert_true(merge_has_conflicts(m));
	json_decref(m2);

	do_set(&n[1], "{\"body\": \"x\"}");
	m2 = join(n[0].v, n[1].v);
	assert_false(merge_has_conflicts(m2));
	json_decref(m2);

	/* Why the equal entries stay: a third node saw only office-1's city
	 * and changed it; tunis-1's concurrent "tunis" must still conflict
	 * with that, whichever way the joins are grouped. */
	do_copy(&n[2], &n[1]);
	do_set(&n[2], "{\"city\": \"tunis-medina\"}");
	json_t *l = join(m, n[2].v), *bc = join(n[1].v, n[2].v), *r = join(n[0].v, bc);
	same(l, r, "join(join(a, b), c) and join(a, join(b, c))");
	has(l, "city", "\"tunis-medina\"");
	has(l, "_c2c.conflicts.city", "[[\"tunis\",\"tunis-1\",1,1]]");
	assert_true(merge_has_conflicts(l));
	json_decref(l);
	json_decref(bc);
	json_decref(r);
	json_decref(m);
	nodes_free(n, 3);
}

static void t_unknown_fields_and_meta(void **state)
{
	(void)state;
	json_t *a = J("{\"later_field\": 1, \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"later_field\": [\"n1\", 1, 1]},"
	              " \"future\": {\"x\": 1}, \"same\": [1]}}");
	json_t *b = J("{\"later_field\": 2, \"_c2c\": {\"clock\": {\"n2\": 1}, \"dots\": {\"later_field\": [\"n2\", 1, 1]},"
	              " \"future\": {\"x\": 2}, \"same\": [1], \"only_b\": \"b\"}}");
	json_t *m = join(a, b), *m2 = join(b, a);
	same(m, m2, "join(a, b) and join(b, a)");
	has(m, "later_field", "2");
	has(m, "_c2c.conflicts.later_field", "[[1,\"n1\",1,1]]");
	has(m, "_c2c.future", "{\"x\":2}");
	has(m, "_c2c.same", "[1]");
	has(m, "_c2c.only_b", "\"b\"");
	json_decref(m);
	json_decref(m2);
	json_decref(a);
	json_decref(b);
}

/* Genesis records carry no "_c2c": their fields have the zero dot, which
 * every version has seen. */
static void t_genesis(void **state)
{
	(void)state;
	tnode n[2] = {{"office", NULL, 0}, {"city", NULL, 0}};
	n[0].v = J("{\"name\": \"Tunis\", \"phase\": 1, \"country\": \"TN\"}");
	n[1].v = J("{\"name\": \"Tunis\", \"phase\": 1, \"country\": \"TN\"}");
	json_t *m = join(n[0].v, n[1].v);
	same(m, n[0].v, "join(genesis, genesis) and genesis");
	json_decref(m);
	do_set(&n[0], "{\"phase\": 2}");
	m = join(n[1].v, n[0].v);
	same(m, n[0].v, "join(genesis, office edit) and the office edit");
	has(m, "_c2c.dots", "{\"phase\":[\"office\",1,1]}");
	assert_false(merge_has_conflicts(m));
	json_decref(m);
	/* A concurrent edit on another node conflicts with the office's, not
	 * with the genesis value. */
	do_set(&n[1], "{\"phase\": 3, \"name\": \"Tunis city\"}");
	m = join(n[1].v, n[0].v);
	has(m, "phase", "2"); /* lamport 1 both: "office" > "city" */
	has(m, "_c2c.conflicts", "{\"phase\":[[3,\"city\",1,1]]}");
	has(m, "name", "\"Tunis city\"");
	has(m, "country", "\"TN\"");
	has(m, "_c2c.dots.country", "absent");
	json_decref(m);
	/* Different genesis values: corrupt. */
	json_t *g = J("{\"name\": \"Tunis\"}"), *h = J("{\"name\": \"Tunisia\"}");
	refused(g, h, "name", NULL);
	json_decref(g);
	json_decref(h);
	nodes_free(n, 2);
}

/* Older files: one deletion without its clock; sets without "elems". */
static void t_legacy(void **state)
{
	(void)state;
	json_t *a = J("{\"title\": \"x\", \"_c2c\": {\"clock\": {\"n1\": 2}, \"dots\": {\"title\": [\"n1\", 1, 1]},"
	              " \"deleted\": [\"n1\", 2, 2]}}");
	assert_true(merge_is_deleted(a));
	assert_false(merge_has_conflicts(a));
	json_t *m = join(a, a);
	has(m, "_c2c.deleted", "[[\"n1\",2,2,{\"n1\":2}]]");
	assert_true(merge_is_deleted(m));
	json_decref(m);
	json_t *b = J("{\"title\": \"y\", \"_c2c\": {\"clock\": {\"n1\": 1, \"n2\": 1}, \"dots\": {\"title\": [\"n2\", 1, 2]}}}");
	m = join(a, b);
	assert_false(merge_is_deleted(m));
	assert_true(merge_has_conflicts(m));
	json_decref(m);
	json_decref(a);
	json_decref(b);

	/* A set written before "elems": its elements carry the field's dot. */
	a = J("{\"themes\": [\"a\", \"b\"], \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"themes\": [\"n1\", 1, 1]}}}");
	tnode n = {"n2", json_deep_copy(a), 0};
	do_set(&n, "{\"themes\": [\"a\", \"c\"]}");
	m = join(a, n.v);
	same(m, n.v, "join(legacy, edited) and the edited version");
	json_decref(m);
	b = J("{\"themes\": [\"d\"], \"_c2c\": {\"clock\": {\"n3\": 1}, \"dots\": {\"themes\": [\"n3\", 1, 5]}}}");
	m = join(b, n.v);
	has(m, "themes", "[\"a\",\"c\",\"d\"]");
	has(m, "_c2c.elems.themes.d", "[[\"n3\",1,5]]");
	has(m, "_c2c.dots.themes", "[\"n3\",1,5]");
	has(m, "_c2c.conflicts.themes", "[[null,\"n2\",1,2]]");
	assert_false(merge_has_conflicts(m));
	json_decref(m);
	json_decref(a);
	json_decref(b);
	json_decref(n.v);
}

static void t_corrupt(void **state)
{
	(void)state;
	json_t *a = J("{\"title\": \"x\", \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"title\": [\"n1\", 1, 1]}}}");
	json_t *b = J("{\"title\": \"y\", \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"title\": [\"n1\", 1, 1]}}}");
	refused(a, b, "title", "[n1, 1]");
	refused(b, a, "title", "[n1, 1]");
	json_decref(b);
	b = J("{\"title\": \"x\", \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"title\": [\"n1\", 1, 7]}}}");
	refused(a, b, "title", "[n1, 1]");
	json_decref(b);
	b = J("{\"title\": \"x\", \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"title\": [\"n1\", 2, 1]}}}");
	refused(a, b, "title", "newer than the record's clock");
	refused(b, NULL, "title", "clock");
	json_decref(b);
	b = J("{\"_c2c\": {\"clock\": {\"n1\": \"one\"}}}");
	refused(a, b, "clock", "n1");
	json_decref(b);
	b = J("{\"_c2c\": []}");
	refused(a, b, "_c2c", NULL);
	json_decref(b);
	b = J("[1]");
	refused(a, b, "object", NULL);
	json_decref(b);
	b = J("{\"title\": \"x\", \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"title\": [\"n1\", 1, 1]},"
	      " \"conflicts\": {\"title\": [[\"x\", \"n1\", 1, 1]]}}}");
	refused(a, b, "title", "twice");
	json_decref(b);
	b = J("{\"themes\": [\"a\"], \"_c2c\": {\"clock\": {\"n1\": 1}, \"dots\": {\"themes\": [\"n1\", 1, 1]},"
	      " \"elems\": {\"themes\": {\"b\": [[\"n1\", 1, 1]]}}}}");
	refused(a, b, "themes", "elems");
	json_decref(b);
	b = J("{\"_c2c\": {\"clock\": {\"n1\": 1}, \"deleted\": [[\"n1\", 1, 1]]}}");
	refused(a, b, "deletion", NULL);
	json_decref(b);
	json_decref(a);
	/* One node's two edits under one dot, from two commits on one parent
	 * (title on one side, budget on the other): each side's clock hides the
	 * other's entry, and the join would keep neither. */
	a = J("{\"title\": \"x\", \"budget\": 1, \"_c2c\": {\"clock\": {\"n1\": 2},"
	      " \"dots\": {\"title\": [\"n1\", 2, 2], \"budget\": [\"n1\", 1, 1]}}}");
	b = J("{\"title\": \"w\", \"budget\": 2, \"_c2c\": {\"clock\": {\"n1\": 2},"
	      " \"dots\": {\"title\": [\"n1\", 1, 1], \"budget\": [\"n1\", 2, 2]}}}");
	refused(a, b, "two edits under one dot", "[n1, 2]");
	refused(b, a, "two edits under one dot", "[n1, 2]");
	json_decref(b);
	/* ... or a field the other side never held. */
	b = J("{\"budget\": 1, \"notes\": \"n\", \"_c2c\": {\"clock\": {\"n1\": 2},"
	      " \"dots\": {\"budget\": [\"n1\", 1, 1], \"notes\": [\"n1\", 2, 2]}}}");
	refused(a, b, "two edits under one dot", "[n1, 2]");
	json_decref(b);
	json_decref(a);
}

/* --------------------------------------------------- random histories */

#define NFIELDS 6
static const char *const fields[NFIELDS] = {"s0", "s1", "s2", "u_later", "t0", "t1"};
static int is_set_field(const char *f) { return f[0] == 't'; }

/* One operation in the log: the writer's version right after it. */
typedef struct {
	json_t *after;
	char node[16]; /* "" and k 0: the genesis record */
	long long k, lamport;
	int rm;
} event;

typedef struct {
	event *ev;
	size_t nev, cap;
	json_t **pool; /* every version made */
	size_t npool, pcap;
} history;

static void log_event(history *h, const tnode *n, int rm)
{
	if (h->nev == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 32;
		h->ev = realloc(h->ev, h->cap * sizeof(*h->ev));
	}
	event *e = &h->ev[h->nev++];
	memset(e, 0, sizeof(*e));
	e->after = json_deep_copy(n->v);
	snprintf(e->node, sizeof(e->node), "%s", n->id);
	e->k = json_integer_value(json_object_get(meta_of(n->v, "clock"), n->id));
	e->lamport = n->lamport;
	e->rm = rm;
}

static void pool_add(history *h, const json_t *v)
{
	if (!v)
		return;
	if (h->npool == h->pcap) {
		h->pcap = h->pcap ? 2 * h->pcap : 32;
		h->pool = realloc(h->pool, h->pcap * sizeof(*h->pool));
	}
	h->pool[h->npool++] = json_deep_copy(v);
}

static void history_free(history *h)
{
	for (size_t i = 0; i < h->nev; i++)
		json_decref(h->ev[i].after);
	for (size_t i = 0; i < h->npool; i++)
		json_decref(h->pool[i]);
	free(h->ev);
	free(h->pool);
	memset(h, 0, sizeof(*h));
}

static long long clock_at(const json_t *rec, const char *node)
{
	return json_integer_value(json_object_get(meta_of(rec, "clock"), node));
}

/* Has version V seen edit (NODE, K)? */
static int saw(const json_t *v, const char *node, long long k) { return clock_at(v, node) >= k; }

/* Did event E write field F? */
static int wrote(const event *e, const char *f)
{
	if (!e->k)
		return json_object_get(e->after, f) != NULL;
	const json_t *d = json_object_get(meta_of(e->after, "dots"), f);
	return d && !strcmp(json_string_value(json_array_get(d, 0)), e->node) &&
	       json_integer_value(json_array_get(d, 1)) == e->k;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = malloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static char *entry_key(const char *node, long long k, long long lamport, const json_t *v)
{
	char *t = text(json_is_null(v) ? NULL : v), *s = fmt("%s|%lld|%lld|%s", node, k, lamport, t);
	free(t);
	return s;
}

static int str_cmp_q(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct {
	char **v;
	size_t n, cap;
} strs;

static void strs_add(strs *s, char *x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

/* Sorted, duplicates dropped, joined by newlines; frees S. */
static char *strs_join(strs *s)
{
	size_t len = 1, m = 0;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), str_cmp_q);
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	char *out = malloc(len), *p = out;
	for (size_t i = 0; i < s->n; i++) {
		if (i && !strcmp(s->v[i], s->v[m])) {
			free(s->v[i]);
			continue;
		}
		if (i)
			free(s->v[m]);
		m = i;
		p += sprintf(p, "%s\n", s->v[i]);
	}
	if (s->n)
		free(s->v[m]);
	*p = '\0';
	free(s->v);
	memset(s, 0, sizeof(*s));
	return out;
}

static void same_text(char *want, char *got, const json_t *v, const char *what)
{
	if (strcmp(want, got)) {
		char *c = canon(v);
		fail_msg("seed %u: %s: expected\n%sgot\n%sin\n%s", cur_seed, what, want, got, c);
	}
	free(want);
	free(got);
}

/* The dots REC holds for element EL of set field F: from "elems", or for a
 * set written before "elems", the field's dot (the zero dot if none). */
static void elem_dots(const json_t *rec, const char *f, const char *el, strs *out)
{
	const json_t *fe = json_object_get(meta_of(rec, "elems"), f);
	if (fe) {
		const json_t *ds = json_object_get(fe, el);
		for (size_t i = 0; i < json_array_size(ds); i++) {
			const json_t *d = json_array_get(ds, i);
			strs_add(out, entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
			                        json_integer_value(json_array_get(d, 2)), NULL));
		}
		return;
	}
	const json_t *v = json_object_get(rec, f), *d = json_object_get(meta_of(rec, "dots"), f);
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!strcmp(json_string_value(json_array_get(v, i)), el))
			strs_add(out, d ? entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
			                            json_integer_value(json_array_get(d, 2)), NULL)
			                : entry_key("", 0, 0, NULL));
}

static int holds_dot(const json_t *rec, const char *f, const char *el, const char *key)
{
	strs s = {0};
	int found = 0;
	elem_dots(rec, f, el, &s);
	for (size_t i = 0; i < s.n; i++) {
		found |= !strcmp(s.v[i], key);
		free(s.v[i]);
	}
	free(s.v);
	return found;
}

/* The elements of set field F of REC. */
static void elements(const json_t *rec, const char *f, strs *out)
{
	const json_t *fe = json_object_get(meta_of(rec, "elems"), f), *x;
	const char *k;
	if (fe) {
		json_object_foreach((json_t *)fe, k, x) strs_add(out, strdup(k));
		return;
	}
	const json_t *v = json_object_get(rec, f);
	for (size_t i = 0; i < json_array_size(v); i++)
		strs_add(out, strdup(json_string_value(json_array_get(v, i))));
}

/* The oracle: from the log of every edit, what version V must hold. Per
 * field, its entries are the writes V has seen that no other write V has
 * seen had seen; a set's element keeps each adding dot that every write of
 * the field which saw it kept; the deletions are those V has seen that no
 * later operation V has seen had seen. Every value written is there unless
 * superseded: "no value lost". */
static void check_oracle(const history *h, const json_t *v)
{
	if (!v)
		return;
	for (int fi = 0; fi < NFIELDS; fi++) {
		const char *f = fields[fi];
		strs want = {0}, got = {0};
		const event *best = NULL;
		for (size_t i = 0; i < h->nev; i++) {
			const event *e = &h->ev[i];
			if (!saw(v, e->node, e->k) || !wrote(e, f))
				continue;
			int maximal = 1;
			for (size_t j = 0; j < h->nev && maximal; j++) {
				const event *w = &h->ev[j];
				if (j != i && saw(v, w->node, w->k) && wrote(w, f) && saw(w->after, e->node, e->k))
					maximal = 0;
			}
			if (!maximal)
				continue;
			if (!best || e->lamport > best->lamport ||
			    (e->lamport == best->lamport && (strcmp(e->node, best->node) > 0 ||
			                                     (!strcmp(e->node, best->node) && e->k > best->k))))
				best = e;
			if (!is_set_field(f))
				strs_add(&want, entry_key(e->node, e->k, e->lamport, json_object_get(e->after, f)));
		}
		/* The standing dot: the greatest of them. */
		const json_t *d = json_object_get(meta_of(v, "dots"), f);
		char *wd = best && best->k ? entry_key(best->node, best->k, best->lamport, NULL) : strdup("none");
		char *gd = d ? entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
		                         json_integer_value(json_array_get(d, 2)), NULL)
		             : strdup("none");
		char what[64];
		snprintf(what, sizeof(what), "the dot of %s", f);
		same_text(wd, gd, v, what);
		const json_t *cs = json_object_get(meta_of(v, "conflicts"), f);
		/* Every surviving write of the field is kept: a scalar's with its
		 * value, a set's as a dot (the standing one, then conflicts with
		 * null values, never open). */
		int set = is_set_field(f);
		if (set)
			for (size_t i = 0; i < json_array_size(cs); i++)
				if (!json_is_null(json_array_get(json_array_get(cs, i), 0)))
					fail_msg("seed %u: set field %s has a conflict with a value", cur_seed, f);
		for (size_t i = 0; i < h->nev && set; i++) {
			const event *e = &h->ev[i];
			int maximal = saw(v, e->node, e->k) && wrote(e, f);
			for (size_t j = 0; j < h->nev && maximal; j++) {
				const event *w = &h->ev[j];
				if (j != i && saw(v, w->node, w->k) && wrote(w, f) && saw(w->after, e->node, e->k))
					maximal = 0;
			}
			if (maximal)
				strs_add(&want, entry_key(e->node, e->k, e->lamport, NULL));
		}
		if (d)
			strs_add(&got, entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
			                         json_integer_value(json_array_get(d, 2)), set ? NULL : json_object_get(v, f)));
		else if (json_object_get(v, f))
			strs_add(&got, entry_key("", 0, 0, set ? NULL : json_object_get(v, f)));
		for (size_t i = 0; i < json_array_size(cs); i++) {
			const json_t *c = json_array_get(cs, i);
			strs_add(&got, entry_key(json_string_value(json_array_get(c, 1)), json_integer_value(json_array_get(c, 2)),
			                         json_integer_value(json_array_get(c, 3)), set ? NULL : json_array_get(c, 0)));
		}
		snprintf(what, sizeof(what), "the entries of %s", f);
		same_text(strs_join(&want), strs_join(&got), v, what);
		/* A set cleared concurrently on several nodes, with no elements
		 * left on either side, joins as a scalar: nothing more to check. */
		if (!set || (cs && !json_object_get(v, f) && !json_object_get(meta_of(v, "elems"), f)))
			continue;
		/* Elements: each adding dot that every write of f which saw it kept. */
		for (size_t i = 0; i < h->nev; i++) {
			const event *e = &h->ev[i];
			if (!saw(v, e->node, e->k) || !wrote(e, f))
				continue;
			strs els = {0};
			elements(e->after, f, &els);
			for (size_t x = 0; x < els.n; x++) {
				strs ds = {0};
				elem_dots(e->after, f, els.v[x], &ds);
				for (size_t y = 0; y < ds.n; y++) {
					char node[16];
					long long k = 0;
					if (sscanf(ds.v[y], "%15[^|]|%lld", node, &k) != 2) {
						node[0] = '\0';
						k = 0;
					}
					int kept = 1;
					for (size_t j = 0; j < h->nev && kept; j++) {
						const event *w = &h->ev[j];
						if (saw(v, w->node, w->k) && wrote(w, f) && saw(w->after, node, k) &&
						    !holds_dot(w->after, f, els.v[x], ds.v[y]))
							kept = 0;
					}
					if (kept)
						strs_add(&want, fmt("%s @ %s", els.v[x], ds.v[y]));
					free(ds.v[y]);
				}
				free(ds.v);
				free(els.v[x]);
			}
			free(els.v);
		}
		strs els = {0};
		elements(v, f, &els);
		json_t *value = json_object_get(v, f), *sorted = json_array();
		if (els.n)
			qsort(els.v, els.n, sizeof(*els.v), str_cmp_q);
		for (size_t x = 0; x < els.n; x++) {
			json_array_append_new(sorted, json_string(els.v[x]));
			strs ds = {0};
			elem_dots(v, f, els.v[x], &ds);
			for (size_t y = 0; y < ds.n; y++) {
				strs_add(&got, fmt("%s @ %s", els.v[x], ds.v[y]));
				free(ds.v[y]);
			}
			free(ds.v);
			free(els.v[x]);
		}
		free(els.v);
		if (json_array_size(sorted) ? !json_equal(sorted, value) : value != NULL)
			fail_msg("seed %u: the value of set %s is not its sorted elements", cur_seed, f);
		json_decref(sorted);
		snprintf(what, sizeof(what), "the elements of %s", f);
		same_text(strs_join(&want), strs_join(&got), v, what);
	}
	/* Deletions. */
	strs want = {0}, got = {0};
	for (size_t i = 0; i < h->nev; i++) {
		const event *e = &h->ev[i];
		if (!e->rm || !saw(v, e->node, e->k))
			continue;
		int open = 1;
		for (size_t j = 0; j < h->nev && open; j++) {
			const event *w = &h->ev[j];
			if (j != i && w->k && saw(v, w->node, w->k) && saw(w->after, e->node, e->k))
				open = 0;
		}
		if (open)
			strs_add(&want, entry_key(e->node, e->k, e->lamport,
			                          json_array_get(json_array_get(meta_of(e->after, "deleted"), 0), 3)));
	}
	const json_t *dels = meta_of(v, "deleted");
	for (size_t i = 0; i < json_array_size(dels); i++) {
		const json_t *d = json_array_get(dels, i);
		strs_add(&got, entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
		                         json_integer_value(json_array_get(d, 2)), json_array_get(d, 3)));
		if (i) {
			const json_t *p = json_array_get(dels, i - 1);
			int c = strcmp(json_string_value(json_array_get(p, 0)), json_string_value(json_array_get(d, 0)));
			if (c > 0 || (c == 0 && json_integer_value(json_array_get(p, 1)) >= json_integer_value(json_array_get(d, 1))))
				fail_msg("seed %u: deletions out of order", cur_seed);
		}
	}
	same_text(strs_join(&want), strs_join(&got), v, "the deletions");
}

static int rnd(int n) { return rand() % n; }

/* Random assignments of 1 to 3 fields, as JSON text. */
static void random_fields(char *buf, size_t size, int creating)
{
	static const char *const scalars[] = {"\"x\"", "\"y\"", "\"z\"", "1", "2", "null"};
	int used[NFIELDS] = {0}, n = 1 + rnd(3);
	size_t len = (size_t)snprintf(buf, size, "{");
	for (int i = 0; i < n; i++) {
		int f = rnd(NFIELDS);
		if (used[f])
			continue;
		used[f] = 1;
		len += (size_t)snprintf(buf + len, size - len, "%s\"%s\": ", len > 1 ? ", " : "", fields[f]);
		if (is_set_field(fields[f])) {
			static const char *const els[] = {"a", "b", "c", "d"};
			int any = 0;
			for (int e = 0; e < 4; e++)
				if (rnd(2)) {
					len += (size_t)snprintf(buf + len, size - len, "%s\"%s\"", any ? ", " : "[", els[e]);
					any = 1;
				}
			len += (size_t)snprintf(buf + len, size - len, "%s", any ? "]" : creating ? "[\"a\"]" : "null");
		} else {
			len += (size_t)snprintf(buf + len, size - len, "%s", scalars[rnd(creating ? 5 : 6)]);
		}
	}
	snprintf(buf + len, size - len, "}");
}

/* A version and the new one an edit made from it: the join is the new. */
static void check_supersedes(const json_t *old, const json_t *new)
{
	if (!old)
		return;
	json_t *x = join(old, new), *y = join(new, old);
	same(x, new, "join(old, edited) and the edited version");
	same(y, new, "join(edited, old) and the edited version");
	json_decref(x);
	json_decref(y);
}

static void check_algebra(const json_t *a, const json_t *b, const json_t *c)
{
	json_t *ab = join(a, b), *ba = join(b, a), *bc = join(b, c), *aa = join(a, a);
	json_t *l = join(ab, c), *r = join(a, bc), *abs = join(a, ab);
	same(ab, ba, "join(a, b) and join(b, a)");
	same(l, r, "join(join(a, b), c) and join(a, join(b, c))");
	same(aa, a, "join(a, a) and a");
	same(abs, ab, "join(a, join(a, b)) and join(a, b)");
	json_decref(ab);
	json_decref(ba);
	json_decref(bc);
	json_decref(aa);
	json_decref(l);
	json_decref(r);
	json_decref(abs);
}

static void random_case(unsigned seed)
{
	tnode n[5];
	history h = {0};
	char buf[512];
	cur_seed = seed;
	srand(seed);
	int k = 3 + rnd(3), steps = 6 + rnd(16);
	for (int i = 0; i < k; i++) {
		snprintf(n[i].id, sizeof(n[i].id), "node-%c", 'a' + rnd(26));
		n[i].id[6] = (char)('0' + i);
		n[i].id[7] = '\0';
		n[i].v = NULL;
		n[i].lamport = 0;
	}
	if (rnd(4) == 0) {
		/* A genesis record every node holds, without bookkeeping. */
		const char *g = rnd(2) ? "{\"s0\": \"g\", \"s1\": 7, \"t0\": [\"a\", \"c\"]}" : "{\"s0\": \"g\", \"u_later\": 1}";
		for (int i = 0; i < k; i++)
			n[i].v = J(g);
		tnode gen = {"", n[0].v, 0};
		log_event(&h, &gen, 0);
		h.ev[0].k = 0;
		pool_add(&h, n[0].v);
	} else {
		/* Created on one or more nodes, concurrently (a natural key). */
		int creators = 1 + rnd(2);
		for (int i = 0; i < creators; i++) {
			random_fields(buf, sizeof(buf), 1);
			do_add(&n[i], buf);
			log_event(&h, &n[i], 0);
			pool_add(&h, n[i].v);
			check_oracle(&h, n[i].v);
		}
	}
	for (int s = 0; s < steps; s++) {
		tnode *x = &n[rnd(k)], *y = &n[rnd(k)];
		int r = rnd(100);
		json_t *old = x->v ? json_deep_copy(x->v) : NULL;
		int wrote_one = 0, rm = 0;
		if (!x->v || merge_is_deleted(x->v)) {
			if (r < 30) {
				random_fields(buf, sizeof(buf), 1);
				do_add(x, buf);
				wrote_one = 1;
			} else if (y != x && y->v) {
				do_merge(x, y);
			}
		} else if (r < 45) {
			random_fields(buf, sizeof(buf), 0);
			wrote_one = do_set(x, buf);
		} else if (r < 53) {
			do_rm(x);
			wrote_one = rm = 1;
			assert_true(merge_is_deleted(x->v));
		} else if (y != x && y->v) {
			do_merge(x, y);
		}
		if (wrote_one) {
			log_event(&h, x, rm);
			check_supersedes(old, x->v);
			if (!rm && merge_is_deleted(x->v))
				fail_msg("seed %u: a written version is deleted", seed);
		}
		if (x->v && (!old || !json_equal(old, x->v))) {
			pool_add(&h, x->v);
			check_oracle(&h, x->v);
		}
		json_decref(old);
	}
	/* The algebra, on versions made along the way. */
	for (int t = 0; t < 6 && h.npool; t++)
		check_algebra(h.pool[rnd((int)h.npool)], h.pool[rnd((int)h.npool)], h.pool[rnd((int)h.npool)]);
	/* Convergence: every node merges every other, in a random order, twice. */
	int pairs[20][2], np = 0;
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			if (i != j)
				pairs[np][0] = i, pairs[np][1] = j, np++;
	for (int round = 0; round < 2; round++) {
		for (int i = np - 1; i > 0; i--) {
			int j = rnd(i + 1), a0 = pairs[i][0], a1 = pairs[i][1];
			pairs[i][0] = pairs[j][0], pairs[i][1] = pairs[j][1];
			pairs[j][0] = a0, pairs[j][1] = a1;
		}
		for (int i = 0; i < np; i++)
			if (n[pairs[i][1]].v)
				do_merge(&n[pairs[i][0]], &n[pairs[i][1]]);
	}
	for (int i = 1; i < k; i++)
		same(n[i].v, n[0].v, "converged nodes");
	check_oracle(&h, n[0].v);
	/* ... and they hold the join of everything made. */
	json_t *all = NULL;
	for (size_t i = 0; i < h.npool; i++) {
		json_t *m = join(all, h.pool[i]);
		json_decref(all);
		all = m;
	}
	same(all, n[0].v, "the converged version and the join of every version");
	json_decref(all);
	nodes_free(n, (size_t)k);
	history_free(&h);
}

static void t_random_histories(void **state)
{
	(void)state;
	unsigned seeds = 2000;
	const char *env = getenv("C2C_MERGE_SEEDS");
	if (env && atoi(env) > 0)
		seeds = (unsigned)atoi(env);
	for (unsigned s = 1; s <= seeds; s++)
		random_case(s);
	cur_seed = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_null_inputs),
	    cmocka_unit_test(t_one_side_edits),
	    cmocka_unit_test(t_concurrent_edits_conflict),
	    cmocka_unit_test(t_sets),
	    cmocka_unit_test(t_delete),
	    cmocka_unit_test(t_concurrent_creation),
	    cmocka_unit_test(t_unknown_fields_and_meta),
	    cmocka_unit_test(t_genesis),
	    cmocka_unit_test(t_legacy),
	    cmocka_unit_test(t_corrupt),
	    cmocka_unit_test(t_random_histories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
