/* Unit tests of the join of record versions (include/c2c/merge.h): hand
 * cases. The random histories are in test_merge_random.c. */
#include "merge_fixture.h"

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
	refused(b, NULL, "themes", "elems"); /* alone too: only a join reads elems */
	assert_int_equal(merge_check(a), 0);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
