/* Unit tests of the SQLite working store (include/c2c/store.h, schema/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/rowimage.h"
#include "c2c/schema_sql.h"
#include "c2c/store.h"

#include "unit.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/c2c-unit-store-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database path for one test. */
static void db_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s.db", tmpdir, name);
}

static store *open_new(const char *name, int upto)
{
	char path[256];
	store *st = NULL;
	db_path(path, sizeof(path), name);
	OK(store_open(&st, path, 1, upto));
	assert_non_null(st);
	return st;
}

static int newest_version(void)
{
	assert_true(schema_nmigrations > 0);
	return schema_migrations[schema_nmigrations - 1].version;
}

static int user_version(store *st)
{
	sqlite3_stmt *s = NULL;
	int v = -1;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static json_t *jload(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	if (!v)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return v;
}

static void assert_json_equal(json_t *got, json_t *expect)
{
	if (!json_equal(got, expect)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *e = json_dumps(expect, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got      %s\nexpected %s", g ? g : "NULL", e ? e : "NULL");
	}
}

/* ------------------------------------------------------- schema metadata */

static void t_schema_matches_metadata(void **state)
{
	(void)state;
	store *st = open_new("meta", 0);
	size_t n = 0;
	const table_def *ts = store_tables(st, &n);
	assert_true(n >= 12);
	const char *core[] = {"actions", "profile_sections", "stakeholders", "cities", "nodes", "themes", "events"};
	for (size_t i = 0; i < sizeof(core) / sizeof(*core); i++)
		if (!store_table(st, core[i]))
			fail_msg("no table %s", core[i]);
	for (size_t i = 0; i < n; i++) {
		const table_def *t = &ts[i];
		assert_ptr_equal(store_table(st, t->name), t);
		char sql[256];
		sqlite3_stmt *s = NULL;
		snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")", t->name);
		assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
		size_t ncols = 0;
		int seen_id = 0, seen_c2c = 0, seen_extra = 0;
		int *seen = calloc(t->nfields + 1, sizeof(int));
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *col = (const char *)sqlite3_column_text(s, 1);
			ncols++;
			if (!strcmp(col, "id")) {
				seen_id++;
				continue;
			}
			if (!strcmp(col, "_c2c")) {
				seen_c2c++;
				continue;
			}
			if (!strcmp(col, "_extra")) {
				seen_extra++;
				continue;
			}
			const field_def *f = store_field(t, col);
			if (!f)
				fail_msg("table %s: column %s is not in c2c_fields", t->name, col);
			seen[f - t->fields]++;
		}
		sqlite3_finalize(s);
		if (ncols == 0)
			fail_msg("c2c_tables names %s, but there is no such table", t->name);
		assert_int_equal(seen_id, 1);
		assert_int_equal(seen_c2c, 1);
		assert_int_equal(seen_extra, 1);
		for (size_t j = 0; j < t->nfields; j++)
			if (seen[j] != 1)
				fail_msg("c2c_fields names %s.%s, but the table has no such column", t->name,
				         t->fields[j].name);
		assert_int_equal(ncols, t->nfields + 3);
		free(seen);

		for (size_t j = 0; j < t->nfields; j++) {
			const field_def *f = &t->fields[j];
			assert_ptr_equal(store_field(t, f->name), f);
			if (f->type == FT_ENUM || (f->type == FT_SET && f->elem == EL_ENUM)) {
				if (f->nallowed == 0)
					fail_msg("%s.%s: an enum without allowed values", t->name, f->name);
				for (size_t k = 0; k < f->nallowed; k++)
					assert_true(f->allowed[k][0] != '\0');
			}
			if (f->type == FT_REF || (f->type == FT_SET && f->elem == EL_REF)) {
				if (!f->ref || !store_table(st, f->ref))
					fail_msg("%s.%s: refers to table '%s', which does not exist", t->name, f->name,
					         f->ref ? f->ref : "(none)");
			}
			if (f->type == FT_SET && f->elem == EL_NONE)
				fail_msg("%s.%s: a set without an element type", t->name, f->name);
			if (f->type != FT_SET && f->elem != EL_NONE)
				fail_msg("%s.%s: an element type on a field that is not a set", t->name, f->name);
		}
		/* A natural key is made of the table's own fields. */
		for (size_t k = 0; k < t->nnatkey; k++)
			if (!store_field(t, t->natkey[k]))
				fail_msg("%s: natural key field %s is not a field", t->name, t->natkey[k]);
		/* City tables have a city field pointing into cities. */
		if (t->city_scope) {
			const field_def *c = store_field(t, "city");
			if (!c || c->type != FT_REF || !c->ref || strcmp(c->ref, "cities"))
				fail_msg("%s: a city table without a city ref", t->name);
		}
	}
	/* SPEC 4 core fields. */
	const table_def *a = store_table(st, "actions");
	assert_non_null(store_field(a, "title"));
	assert_true(store_field(a, "title")->required);
	assert_int_equal(store_field(a, "budget_eur")->type, FT_INT);
	assert_true(store_field(a, "budget_eur")->has_min);
	assert_int_equal(store_field(a, "budget_eur")->min, 0);
	assert_int_equal(store_field(a, "sdg_targets")->elem, EL_SDG_TARGET);
	assert_int_equal(store_field(a, "themes")->elem, EL_REF);
	assert_int_equal(store_field(a, "start_date")->type, FT_DATE);
	assert_int_equal(store_field(a, "status")->nallowed, 5);
	assert_int_equal(store_field(store_table(st, "profile_sections"), "section")->nallowed, 11);
	assert_int_equal(store_field(store_table(st, "stakeholders"), "kind")->nallowed, 7);
	assert_null(store_field(a, "no_such_field"));
	assert_null(store_table(st, "no_such_table"));
	store_close(st);
}

/* ----------------------------------------------------------- open/migrate */

static void t_open_twice_and_version(void **state)
{
	(void)state;
	char path[256];
	store *a = NULL, *b = NULL;
	db_path(path, sizeof(path), "twice");
	OK(store_open(&a, path, 1, 0));
	assert_int_equal(store_version(a), newest_version());
	assert_int_equal(user_version(a), newest_version());
	/* A second connection while the first is open. */
	OK(store_open(&b, path, 1, 0));
	assert_int_equal(store_version(b), newest_version());
	size_t na, nb;
	store_tables(a, &na);
	store_tables(b, &nb);
	assert_int_equal(na, nb);
	store_close(b);
	store_close(a);
	/* And again, without create. */
	OK(store_open(&a, path, 0, 0));
	assert_int_equal(store_version(a), newest_version());
	assert_int_equal(user_version(a), newest_version());
	store_close(a);
}

/* A new database has 16 KiB pages; an existing one keeps its own. */
static void t_page_size(void **state)
{
	(void)state;
	char path[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	store *st = open_new("pages", 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "PRAGMA page_size", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 16384);
	sqlite3_finalize(s);
	store_close(st);
	/* A database of 4 KiB pages, made as an older c2c made it. */
	db_path(path, sizeof(path), "pages-old");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	OK(store_open(&st, path, 1, 0));
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "PRAGMA page_size", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 4096);
	sqlite3_finalize(s);
	assert_non_null(store_table(st, "actions"));
	store_close(st);
}

static void t_open_missing_or_foreign(void **state)
{
	(void)state;
	char path[256];
	store *st = (store *)1;
	db_path(path, sizeof(path), "missing");
	assert_true(store_open(&st, path, 0, 0) < 0);
	assert_null(st);
	/* An SQLite file that is not a c2c database. */
	sqlite3 *db = NULL;
	db_path(path, sizeof(path), "foreign");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = (store *)1;
	assert_true(store_open(&st, path, 0, 0) < 0);
	assert_null(st);
}

static void t_migrate_stepwise(void **state)
{
	(void)state;
	char path[256];
	store *st = NULL;
	db_path(path, sizeof(path), "stepwise");
	OK(store_open(&st, path, 1, 1));
	assert_int_equal(store_version(st), 1);
	assert_int_equal(user_version(st), 1);
	const table_def *t = store_table(st, "actions");
	assert_non_null(t);
	if (newest_version() > 1)
		assert_null(store_field(t, "target_groups"));
	json_t *rec = jload("{\"city\": \"tunis\", \"title\": \"Welcome desk\", \"budget_eur\": 5000,"
	                    " \"themes\": [\"housing\"], \"_c2c\": {\"clock\": {\"n1\": 1}}}");
	OK(store_row_put(st, t, "a1", rec));
	OK(store_state_set(st, "node_id", "n1"));
	store_close(st);

	OK(store_open(&st, path, 0, 0));
	assert_int_equal(store_version(st), newest_version());
	assert_int_equal(user_version(st), newest_version());
	t = store_table(st, "actions");
	if (newest_version() >= 2) {
		const field_def *f = store_field(t, "target_groups");
		assert_non_null(f);
		assert_int_equal(f->type, FT_SET);
		assert_int_equal(f->elem, EL_ENUM);
	}
	json_t *got = NULL;
	OK(store_row_get(st, t, "a1", &got));
	assert_json_equal(got, rec);
	json_decref(got);
	char *v = NULL;
	OK(store_state_get(st, "node_id", &v));
	assert_string_equal(v, "n1");
	free(v);
	/* The new column works. */
	json_object_set_new(rec, "target_groups", json_pack("[ss]", "women", "youth"));
	OK(store_row_put(st, t, "a1", rec));
	OK(store_row_get(st, t, "a1", &got));
	assert_json_equal(got, rec);
	json_decref(got);
	json_decref(rec);
	store_close(st);
}

static void t_newer_version_refused(void **state)
{
	(void)state;
	char path[256], sql[64];
	store *st = NULL;
	db_path(path, sizeof(path), "newer");
	OK(store_open(&st, path, 1, 0));
	store_close(st);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newest_version() + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = (store *)1;
	assert_int_equal(store_open(&st, path, 0, 0), C2C_EVERSION);
	assert_null(st);
	st = (store *)1;
	assert_int_equal(store_open(&st, path, 1, 0), C2C_EVERSION);
	assert_null(st);
	/* Nothing was changed. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), newest_version() + 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* ------------------------------------------------------------------ rows */

static void t_row_round_trip(void **state)
{
	(void)state;
	store *st = open_new("rows", 0);
	const table_def *t = store_table(st, "actions");
	json_t *rec = jload("{"
	                    "\"city\": \"tunis\","
	                    "\"title\": \"Maison des migrants \\u0645\\u0643\\u062a\\u0628 \\\"x\\\"\\n2\","
	                    "\"status\": \"ongoing\","
	                    "\"budget_eur\": 9223372036854775807,"
	                    "\"cofunding_eur\": 0,"
	                    "\"sdg_targets\": [\"10.7\", \"16.b\"],"
	                    "\"themes\": [\"housing\"],"
	                    "\"partners\": [],"
	                    "\"start_date\": \"2024-02-29\","
	                    "\"colour\": \"blue\","
	                    "\"future\": {\"nested\": [1, {\"b\": null}], \"n\": -3},"
	                    "\"flag\": true,"
	                    "\"_c2c\": {\"clock\": {\"n1\": 2, \"n2\": 1}, \"dots\": {\"title\": [\"n1\", 2, 7]}}"
	                    "}");
	OK(store_row_put(st, t, "018f3a2b4c5d6e7f8a9b0c1d", rec));
	json_t *got = NULL;
	OK(store_row_get(st, t, "018f3a2b4c5d6e7f8a9b0c1d", &got));
	assert_json_equal(got, rec);
	assert_true(json_is_integer(json_object_get(got, "budget_eur")));
	json_decref(got);

	/* Unknown fields are in _extra, known ones in their columns. */
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT _extra, typeof(budget_eur), themes FROM actions WHERE id = ?",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(s, 1, "018f3a2b4c5d6e7f8a9b0c1d", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	json_t *extra = jload((const char *)sqlite3_column_text(s, 0));
	assert_non_null(json_object_get(extra, "colour"));
	assert_non_null(json_object_get(extra, "future"));
	assert_non_null(json_object_get(extra, "flag"));
	assert_null(json_object_get(extra, "title"));
	assert_null(json_object_get(extra, "_c2c"));
	assert_string_equal((const char *)sqlite3_column_text(s, 1), "integer");
	assert_string_equal((const char *)sqlite3_column_text(s, 2), "[\"housing\"]");
	json_decref(extra);
	sqlite3_finalize(s);

	/* A value of the wrong JSON type for a known field (from a newer node)
	 * is kept as it came. */
	json_t *odd = jload("{\"city\": \"tunis\", \"title\": 12, \"budget_eur\": \"lots\", \"themes\": \"housing\","
	                    " \"status\": [\"a\"], \"people_reached_male\": true, \"_c2c\": {}}");
	OK(store_row_put(st, t, "odd", odd));
	OK(store_row_get(st, t, "odd", &got));
	assert_json_equal(got, odd);
	json_decref(got);
	json_decref(odd);

	/* A text holding a NUL is kept whole. */
	json_t *nul = jload("{\"city\": \"tunis\", \"_c2c\": {}}");
	json_object_set_new(nul, "title", json_stringn("A\0B", 3));
	OK(store_row_put(st, t, "nul", nul));
	OK(store_row_get(st, t, "nul", &got));
	assert_int_equal(json_string_length(json_object_get(got, "title")), 3);
	assert_json_equal(got, nul);
	json_decref(got);
	json_decref(nul);
	OK(store_row_delete(st, t, "nul"));

	/* A null field is cleared: absent when read back. */
	json_t *cleared = jload("{\"city\": \"tunis\", \"title\": \"T\", \"status\": null, \"_c2c\": {}}");
	OK(store_row_put(st, t, "cleared", cleared));
	OK(store_row_get(st, t, "cleared", &got));
	assert_null(json_object_get(got, "status"));
	assert_string_equal(json_string_value(json_object_get(got, "title")), "T");
	json_decref(got);
	json_decref(cleared);

	/* Put replaces the whole row. */
	json_t *small = jload("{\"city\": \"tunis\", \"title\": \"Only\", \"_c2c\": {\"clock\": {\"n1\": 3}}}");
	OK(store_row_put(st, t, "018f3a2b4c5d6e7f8a9b0c1d", small));
	OK(store_row_get(st, t, "018f3a2b4c5d6e7f8a9b0c1d", &got));
	assert_json_equal(got, small);
	json_decref(got);
	json_decref(small);

	/* Missing rows, exists, count, delete. */
	got = (json_t *)1;
	assert_int_equal(store_row_get(st, t, "nope", &got), C2C_ENOTFOUND);
	assert_null(got);
	assert_true(store_row_exists(st, "actions", "odd"));
	assert_false(store_row_exists(st, "actions", "nope"));
	assert_false(store_row_exists(st, "no_such_table", "odd"));
	long long cnt = -1;
	OK(store_count(st, "actions", 0, &cnt));
	assert_int_equal(cnt, 3);
	OK(store_row_delete(st, t, "odd"));
	assert_false(store_row_exists(st, "actions", "odd"));
	OK(store_count(st, "actions", 0, &cnt));
	assert_int_equal(cnt, 2);
	assert_int_equal(store_count(st, "no_such_table", 0, &cnt), C2C_ENOTFOUND);

	/* A record without _c2c is refused. */
	json_t *bare = jload("{\"city\": \"tunis\", \"title\": \"T\"}");
	assert_int_equal(store_row_put(st, t, "bare", bare), C2C_EINVALID);
	assert_false(store_row_exists(st, "actions", "bare"));
	json_decref(bare);

	json_decref(rec);
	store_close(st);
}

static void t_row_network_table(void **state)
{
	(void)state;
	store *st = open_new("network", 0);
	const table_def *t = store_table(st, "cities");
	json_t *rec = jload("{\"name\": \"Sfax\", \"country\": \"TN\", \"region\": \"southern_mediterranean\","
	                    " \"phase\": 2, \"_c2c\": {}}");
	OK(store_row_put(st, t, "sfax", rec));
	json_t *got = NULL;
	OK(store_row_get(st, t, "sfax", &got));
	assert_json_equal(got, rec);
	json_decref(got);
	json_decref(rec);
	store_close(st);
}

static int collect(const char *id, json_t *rec, void *payload)
{
	assert_non_null(rec);
	assert_non_null(json_object_get(rec, "_c2c"));
	json_array_append_new((json_t *)payload, json_string(id));
	return 0;
}

static int stop_at_second(const char *id, json_t *rec, void *payload)
{
	(void)id;
	(void)rec;
	int *n = payload;
	return ++*n == 2 ? 42 : 0;
}

static json_t *each(store *st, const table_def *t, const char *filter)
{
	json_t *f = filter ? jload(filter) : NULL;
	json_t *ids = json_array();
	OK(store_rows_each(st, t, f, collect, ids));
	json_decref(f);
	return ids;
}

static void each_is(store *st, const table_def *t, const char *filter, const char *expect)
{
	json_t *ids = each(st, t, filter);
	json_t *e = jload(expect);
	assert_json_equal(ids, e);
	json_decref(e);
	json_decref(ids);
}

static void t_rows_each_filter(void **state)
{
	(void)state;
	store *st = open_new("each", 0);
	const table_def *t = store_table(st, "actions");
	const char *rows[][2] = {
	    {"c3", "{\"city\": \"tunis\", \"title\": \"A\", \"themes\": [\"housing\", \"labour\"], \"status\": \"ongoing\", \"budget_eur\": 100}"},
	    {"a1", "{\"city\": \"sfax\", \"title\": \"B\", \"themes\": [\"labour\"], \"status\": \"approved\", \"budget_eur\": 100}"},
	    {"b2", "{\"city\": \"tunis\", \"title\": \"C\", \"themes\": [\"health\"], \"status\": \"ongoing\"}"},
	    {"d4", "{\"city\": \"tunis\", \"title\": \"D\", \"partners\": [\"labour\"]}"},
	};
	for (size_t i = 0; i < 4; i++) {
		json_t *r = jload(rows[i][1]);
		json_object_set_new(r, "_c2c", json_object());
		OK(store_row_put(st, t, rows[i][0], r));
		json_decref(r);
	}
	each_is(st, t, NULL, "[\"a1\", \"b2\", \"c3\", \"d4\"]");
	each_is(st, t, "{}", "[\"a1\", \"b2\", \"c3\", \"d4\"]");
	each_is(st, t, "{\"themes\": \"labour\"}", "[\"a1\", \"c3\"]");
	each_is(st, t, "{\"themes\": \"housing\"}", "[\"c3\"]");
	each_is(st, t, "{\"themes\": \"hous\"}", "[]");
	each_is(st, t, "{\"themes\": \"labour\", \"city\": \"tunis\"}", "[\"c3\"]");
	each_is(st, t, "{\"status\": \"ongoing\"}", "[\"b2\", \"c3\"]");
	each_is(st, t, "{\"budget_eur\": \"100\"}", "[\"a1\", \"c3\"]");
	each_is(st, t, "{\"id\": \"b2\"}", "[\"b2\"]");
	each_is(st, t, "{\"status\": \"ongoing\", \"themes\": \"labour\"}", "[\"c3\"]");

	/* An unknown field is refused. */
	json_t *f = jload("{\"colour\": \"blue\"}");
	json_t *ids = json_array();
	assert_int_equal(store_rows_each(st, t, f, collect, ids), C2C_ENOTFOUND);
	assert_int_equal(json_array_size(ids), 0);
	json_decref(f);
	json_decref(ids);

	/* The callback's non-zero return stops the walk and is returned. */
	int n = 0;
	assert_int_equal(store_rows_each(st, t, NULL, stop_at_second, &n), 42);
	assert_int_equal(n, 2);
	store_close(st);
}

static void t_transactions(void **state)
{
	(void)state;
	store *st = open_new("tx", 0);
	const table_def *t = store_table(st, "themes");
	json_t *r = jload("{\"name\": \"Housing\", \"_c2c\": {}}");
	OK(store_begin(st));
	OK(store_row_put(st, t, "housing", r));
	store_rollback(st);
	assert_false(store_row_exists(st, "themes", "housing"));
	store_rollback(st); /* safe outside a transaction */
	OK(store_begin(st));
	OK(store_row_put(st, t, "housing", r));
	OK(store_commit(st));
	assert_true(store_row_exists(st, "themes", "housing"));
	json_decref(r);
	store_close(st);
}

/* ----------------------------------------------------- state, tombstones */

static void t_state(void **state)
{
	(void)state;
	store *st = open_new("state", 0);
	char *v = (char *)"x";
	assert_int_equal(store_state_get(st, "head", &v), C2C_ENOTFOUND);
	assert_null(v);
	OK(store_state_set(st, "head", "abc"));
	OK(store_state_get(st, "head", &v));
	assert_string_equal(v, "abc");
	free(v);
	OK(store_state_set(st, "head", "def \xd8\xaa"));
	OK(store_state_get(st, "head", &v));
	assert_string_equal(v, "def \xd8\xaa");
	free(v);
	OK(store_state_set(st, "other", ""));
	OK(store_state_get(st, "other", &v));
	assert_string_equal(v, "");
	free(v);
	OK(store_state_set(st, "head", NULL));
	v = (char *)"x";
	assert_int_equal(store_state_get(st, "head", &v), C2C_ENOTFOUND);
	assert_null(v);
	OK(store_state_set(st, "head", NULL)); /* deleting twice is fine */
	OK(store_state_get(st, "other", &v));
	free(v);
	store_close(st);

	/* State survives a reopen. */
	char path[256];
	db_path(path, sizeof(path), "state");
	OK(store_open(&st, path, 0, 0));
	OK(store_state_get(st, "other", &v));
	assert_string_equal(v, "");
	free(v);
	store_close(st);
}

static void t_tombstones(void **state)
{
	(void)state;
	store *st = open_new("tombs", 0);
	const char *text1 = "{\n  \"_c2c\": {\n    \"deleted\": [\"n1\", 3, 9]\n  },\n  \"title\": \"T\"\n}\n";
	const char *text2 = "{\n  \"_c2c\": {\n    \"deleted\": [\"n2\", 1, 10]\n  }\n}\n";
	char *got = (char *)"x";
	assert_int_equal(store_tomb_get(st, "actions", "a1", &got), C2C_ENOTFOUND);
	assert_null(got);
	OK(store_tomb_put(st, "actions", "a1", "cities/tunis/actions/0/0/a1.json", text1));
	OK(store_tomb_get(st, "actions", "a1", &got));
	assert_string_equal(got, text1);
	free(got);
	/* Per table: the same id in another table is another tombstone. */
	assert_int_equal(store_tomb_get(st, "themes", "a1", &got), C2C_ENOTFOUND);
	long long n = -1;
	OK(store_count(st, "actions", 1, &n));
	assert_int_equal(n, 1);
	OK(store_count(st, "themes", 1, &n));
	assert_int_equal(n, 0);
	/* Put replaces. */
	OK(store_tomb_put(st, "actions", "a1", "cities/tunis/actions/0/0/a1.json", text2));
	OK(store_tomb_get(st, "actions", "a1", &got));
	assert_string_equal(got, text2);
	free(got);
	OK(store_count(st, "actions", 1, &n));
	assert_int_equal(n, 1);
	OK(store_tomb_delete(st, "actions", "a1"));
	got = (char *)"x";
	assert_int_equal(store_tomb_get(st, "actions", "a1", &got), C2C_ENOTFOUND);
	assert_null(got);
	OK(store_tomb_delete(st, "actions", "a1")); /* deleting twice is fine */
	OK(store_count(st, "actions", 1, &n));
	assert_int_equal(n, 0);
	/* Whether a table has any. */
	assert_int_equal(store_tomb_any(st, "actions"), 0);
	OK(store_tomb_put(st, "themes", "t1", "network/themes/0/0/t1.json", text2));
	assert_int_equal(store_tomb_any(st, "actions"), 0);
	assert_int_equal(store_tomb_any(st, "themes"), 1);
	store_close(st);
}

/* Every row of every record table of ST, with its rowid, in one text. */
static char *dump_rows(store *st)
{
	size_t nt, len = 0, cap = 0;
	const table_def *tabs = store_tables(st, &nt);
	char *out = NULL;
	for (size_t i = 0; i < nt; i++) {
		char sql[256];
		sqlite3_stmt *s = NULL;
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY rowid", tabs[i].name);
		assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = -1; c < sqlite3_column_count(s); c++) {
				const char *v = c < 0 ? tabs[i].name : (const char *)sqlite3_column_text(s, c);
				size_t l = (v ? strlen(v) : 4) + 2;
				if (len + l + 1 > cap) {
					cap = (len + l + 1) * 2;
					out = realloc(out, cap);
					assert_non_null(out);
				}
				len += (size_t)sprintf(out + len, "%s%c", v ? v : "NULL", c + 1 < sqlite3_column_count(s) ? '|' : '\n');
			}
		}
		sqlite3_finalize(s);
	}
	return out ? out : strdup("");
}

/* Rows written many to a statement (store_row_put_images) come out as the
 * same rows written one by one: runs of a table longer and shorter than a
 * statement's, ids repeated within a run (the later wins), tables mixed. */
static void t_rows_put_many(void **state)
{
	(void)state;
	store *one = open_new("put-one", 0), *many = open_new("put-many", 0);
	const table_def *ta = store_table(one, "actions"), *tt = store_table(one, "themes");
	const table_def *ma = store_table(many, "actions"), *mt = store_table(many, "themes");
	enum { N = 300 };
	row_put rows[N];
	row_image *imgs[N];
	char ids[N][32];
	for (int i = 0; i < N; i++) {
		/* 0..99 actions, 100..109 themes, 110..299 actions again, ids
		 * repeating every 37 rows in the second run of actions */
		int theme = i >= 100 && i < 110;
		int k = i < 110 ? i : 110 + (i - 110) % 37;
		char text[512];
		snprintf(ids[i], sizeof(ids[i]), "%s%04d", theme ? "t" : "a", k);
		if (theme)
			snprintf(text, sizeof(text), "{\"name\": \"Theme %d\", \"_c2c\": {\"clock\": {\"n1\": %d}}}", i, i + 1);
		else
			snprintf(text, sizeof(text),
			         "{\"city\": \"tunis\", \"title\": \"Action %d\", \"status\": \"%s\", \"budget_eur\": %d,"
			         " \"sdg_targets\": [\"10.7\"], %s \"_c2c\": {\"clock\": {\"n1\": %d}%s}}",
			         i, i % 3 ? "ongoing" : "approved", 1000 + i, i % 5 ? "" : "\"colour\": \"blue\",", i + 1,
			         i % 7 ? "" : ", \"conflicts\": {\"title\": [[\"n2\", 1, 2, \"Other\"]]}");
		json_t *rec = jload(text);
		OK(store_row_image(theme ? tt : ta, ids[i], rec, &imgs[i]));
		json_decref(rec);
		rows[i] = (row_put){ids[i], imgs[i]};
	}
	OK(store_begin(one));
	for (int i = 0; i < N; i++)
		OK(store_row_put_image(one, ids[i], imgs[i]));
	OK(store_commit(one));
	/* The images name the first store's tables: the same ones in the other. */
	for (int i = 0; i < N; i++)
		imgs[i]->t = imgs[i]->t == ta ? ma : mt;
	OK(store_begin(many));
	OK(store_row_put_images(many, rows, 5));
	OK(store_row_put_images(many, rows + 5, N - 5));
	OK(store_commit(many));
	char *a = dump_rows(one), *b = dump_rows(many);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "Action 299"));
	/* The open conflicts' index holds the same rows. */
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(store_db(many), "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	free(a);
	free(b);
	for (int i = 0; i < N; i++)
		free(imgs[i]);
	store_close(one);
	store_close(many);
}

/* instr() on a store's connection (store.c registers its own) gives what
 * SQLite's gives on a connection of its own, for every kind of argument:
 * the partial indexes on it must hold the same rows whoever writes them. */
static void t_instr_as_sqlite(void **state)
{
	(void)state;
	store *st = open_new("instr", 0);
	sqlite3 *plain = NULL;
	assert_int_equal(sqlite3_open(":memory:", &plain), SQLITE_OK);
	static const char *const vals[] = {
	    "NULL", "''", "x''", "'a'", "'abc'", "'\"conflicts\"'", "'{\"clock\": {\"n\": 1}, \"conflicts\": {}}'",
	    "'bcabc'", "'é'", "'aéb'", "'ééé\"deleted\"é'", "x'00'", "x'616263'", "x'c3a961'", "x'6100620063'",
	    "12", "1212", "-1.5", "'1.5'", "2.0", "CAST(x'80' AS TEXT)", "CAST(x'8061' AS TEXT)",
	    "CAST(x'61808061' AS TEXT)", "CAST(x'c3a980c3' AS TEXT)", "CAST(x'80c3a9' AS TEXT)", "char(0x10348, 97)",
	    "'a' || char(0) || 'b'"};
	size_t nv = sizeof(vals) / sizeof(*vals);
	char sql[720];
	/* Random texts and blobs of a few bytes, some of them continuing UTF-8
	 * sequences, some needles cut from the haystack. */
	unsigned seed = 7;
	static const unsigned char alpha[] = {'a', 'b', '"', 0xc3, 0xa9, 0x80, 0xe2, 0x82, 0xac, 0xf0};
	for (size_t round = 0; round < nv * nv + 4000; round++) {
		char x[160], y[160];
		if (round < nv * nv) {
			snprintf(x, sizeof(x), "%s", vals[round / nv]);
			snprintf(y, sizeof(y), "%s", vals[round % nv]);
		} else {
			unsigned char h[24], n[8];
			size_t nh = (seed = seed * 1103515245 + 12345) >> 16 & 15, nn = (seed = seed * 1103515245 + 12345) >> 16 & 3;
			for (size_t i = 0; i < nh; i++)
				h[i] = alpha[((seed = seed * 1103515245 + 12345) >> 16) % sizeof(alpha)];
			size_t from = nh ? ((seed = seed * 1103515245 + 12345) >> 16) % nh : 0;
			for (size_t i = 0; i < nn; i++)
				n[i] = from + i < nh && (seed >> 3 & 1) ? h[from + i]
				                                        : alpha[((seed = seed * 1103515245 + 12345) >> 16) % sizeof(alpha)];
			int kinds = (seed >> 5) & 3; /* text or blob, each */
			size_t k = (size_t)sprintf(x, "%sx'", kinds & 1 ? "" : "CAST(");
			for (size_t i = 0; i < nh; i++)
				k += (size_t)sprintf(x + k, "%02x", h[i]);
			sprintf(x + k, "'%s", kinds & 1 ? "" : " AS TEXT)");
			k = (size_t)sprintf(y, "%sx'", kinds & 2 ? "" : "CAST(");
			for (size_t i = 0; i < nn; i++)
				k += (size_t)sprintf(y + k, "%02x", n[i]);
			sprintf(y + k, "'%s", kinds & 2 ? "" : " AS TEXT)");
		}
		snprintf(sql, sizeof(sql), "SELECT quote(instr(%s, %s)), quote(instr(%s, %s))", x, y, y, x);
		sqlite3_stmt *a = NULL, *b = NULL;
		assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &a, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(plain, sql, -1, &b, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(a), SQLITE_ROW);
		assert_int_equal(sqlite3_step(b), SQLITE_ROW);
		for (int c = 0; c < 2; c++)
			if (strcmp((const char *)sqlite3_column_text(a, c), (const char *)sqlite3_column_text(b, c)))
				fail_msg("%s: column %d: %s, SQLite %s", sql, c, sqlite3_column_text(a, c), sqlite3_column_text(b, c));
		sqlite3_finalize(a);
		sqlite3_finalize(b);
	}
	sqlite3_close(plain);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_schema_matches_metadata),
	    cmocka_unit_test(t_open_twice_and_version),
	    cmocka_unit_test(t_page_size),
	    cmocka_unit_test(t_open_missing_or_foreign),
	    cmocka_unit_test(t_migrate_stepwise),
	    cmocka_unit_test(t_newer_version_refused),
	    cmocka_unit_test(t_row_round_trip),
	    cmocka_unit_test(t_row_network_table),
	    cmocka_unit_test(t_rows_each_filter),
	    cmocka_unit_test(t_transactions),
	    cmocka_unit_test(t_state),
	    cmocka_unit_test(t_tombstones),
	    cmocka_unit_test(t_rows_put_many),
	    cmocka_unit_test(t_instr_as_sqlite),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
