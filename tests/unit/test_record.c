/* Unit tests of record ids, paths, values and clocks (include/c2c/record.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/record.h"
#include "c2c/store.h"

#include "unit.h"

static char tmpdir[64];
static store *st;

static int setup(void **state)
{
	(void)state;
	char path[128];
	strcpy(tmpdir, "/tmp/c2c-unit-record-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/c2c.db", tmpdir);
	if (store_open(&st, path, 1, 0) != 0) {
		fprintf(stderr, "store_open: %s\n", err_msg());
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	store_close(st);
	st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const table_def *table(const char *name)
{
	const table_def *t = store_table(st, name);
	if (!t)
		fail_msg("no table %s", name);
	return t;
}

static const field_def *field(const char *tname, const char *fname)
{
	const field_def *f = store_field(table(tname), fname);
	if (!f)
		fail_msg("no field %s.%s", tname, fname);
	return f;
}

static void put_row(const char *tname, const char *id, const char *json)
{
	json_error_t je;
	json_t *rec = json_loads(json, 0, &je);
	if (!rec)
		fail_msg("bad test JSON %s: %s", json, je.text);
	json_object_set_new(rec, "_c2c", json_object());
	OK(store_row_put(st, table(tname), id, rec));
	json_decref(rec);
}

/* Parse TEXT for TABLE.FIELD with store S; compare the result's compact
 * JSON with EXPECT. */
static void value_is(store *s, const char *tname, const char *fname, const char *text, const char *expect)
{
	json_t *v = NULL;
	int rc = record_parse_value(s, table(tname), field(tname, fname), text, &v);
	if (rc != 0)
		fail_msg("%s.%s='%s' refused -> %d: %s", tname, fname, text, rc, err_msg());
	assert_non_null(v);
	char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (strcmp(got, expect))
		fail_msg("%s.%s='%s': got %s, expected %s", tname, fname, text, got, expect);
	free(got);
	json_decref(v);
}

static void value_refused(store *s, const char *tname, const char *fname, const char *text)
{
	json_t *v = (json_t *)1;
	int rc = record_parse_value(s, table(tname), field(tname, fname), text, &v);
	if (rc != C2C_EINVALID) {
		char *got = rc == 0 ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		fail_msg("%s.%s='%s' not refused (rc %d, value %s)", tname, fname, text, rc, got ? got : "-");
	}
	assert_null(v);
	char name[128];
	snprintf(name, sizeof(name), "%s.%s", tname, fname);
	if (!strstr(err_msg(), name))
		fail_msg("message does not name %s: %s", name, err_msg());
}

/* ------------------------------------------------------------------- ids */

static void t_id_valid(void **state)
{
	(void)state;
	char id[RECORD_ID_MAX + 2];
	assert_true(record_id_valid("a"));
	assert_true(record_id_valid("0"));
	assert_true(record_id_valid("tunis"));
	assert_true(record_id_valid("tunis.overview.ar"));
	assert_true(record_id_valid("a_b-c.d9"));
	assert_true(record_id_valid("018f3a2b4c5d6e7f8a9b0c1d"));
	memset(id, 'a', RECORD_ID_MAX);
	id[RECORD_ID_MAX] = '\0';
	assert_true(record_id_valid(id)); /* 80 bytes */

	id[RECORD_ID_MAX] = 'a';
	id[RECORD_ID_MAX + 1] = '\0';
	assert_false(record_id_valid(id)); /* 81 bytes */
	assert_false(record_id_valid(""));
	assert_false(record_id_valid("Tunis"));
	assert_false(record_id_valid("tUnis"));
	assert_false(record_id_valid("a..b"));
	assert_false(record_id_valid(".."));
	assert_false(record_id_valid("a/b"));
	assert_false(record_id_valid("/"));
	assert_false(record_id_valid("-a"));
	assert_false(record_id_valid(".a"));
	assert_false(record_id_valid("_a"));
	assert_false(record_id_valid("a b"));
	assert_false(record_id_valid("a\\b"));
	assert_false(record_id_valid("caf\xc3\xa9"));
	assert_false(record_id_valid("a\n"));
	assert_false(record_id_valid("a:b"));
}

static void t_new_id(void **state)
{
	(void)state;
	char a[25], b[25], c[25];
	struct timeval tv;
	gettimeofday(&tv, NULL);
	unsigned long long before = (unsigned long long)tv.tv_sec * 1000ULL + (unsigned long long)tv.tv_usec / 1000ULL;
	OK(record_new_id(a));
	OK(record_new_id(b));
	assert_int_equal(strlen(a), 24);
	assert_int_equal(strlen(b), 24);
	for (int i = 0; i < 24; i++) {
		assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
		assert_true((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f'));
	}
	assert_string_not_equal(a, b);
	assert_true(record_id_valid(a));
	/* The first 12 hex digits are the time in milliseconds. */
	char ms[13];
	memcpy(ms, a, 12);
	ms[12] = '\0';
	unsigned long long t = strtoull(ms, NULL, 16);
	assert_true(t + 1000 >= before && t <= before + 5000);
	/* A later id sorts after an earlier one. */
	usleep(5000);
	OK(record_new_id(c));
	assert_true(strcmp(a, c) < 0);
	assert_true(strcmp(b, c) < 0);
	/* Many ids, no collision. */
	char ids[200][25];
	for (int i = 0; i < 200; i++) {
		OK(record_new_id(ids[i]));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
}

static void t_natural_id(void **state)
{
	(void)state;
	char *id = NULL;
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s}", "lang", "ar", "section", "overview", "city", "tunis", "body", "x");
	OK(record_natural_id(table("profile_sections"), rec, &id));
	assert_string_equal(id, "tunis.overview.ar");
	free(id);
	json_object_del(rec, "lang");
	id = (char *)"x";
	assert_int_equal(record_natural_id(table("profile_sections"), rec, &id), C2C_EINVALID);
	assert_null(id);
	json_decref(rec);
}

/* ----------------------------------------------------------------- paths */

static void sha_bucket(const char *id, char *a, char *b)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(id, strlen(id), md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	static const char hex[] = "0123456789abcdef";
	*a = hex[md[0] >> 4];
	*b = hex[md[0] & 15];
}

static void t_path(void **state)
{
	(void)state;
	const char *ids[] = {"018f3a2b4c5d6e7f8a9b0c1d", "housing", "tunis.overview.ar", "a", "x-y_z.9"};
	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
		char a, b, expect[256], *p = NULL;
		sha_bucket(ids[i], &a, &b);

		snprintf(expect, sizeof(expect), "cities/tunis/actions/%c/%c/%s.json", a, b, ids[i]);
		OK(record_path(table("actions"), "tunis", ids[i], &p));
		assert_string_equal(p, expect);
		free(p);

		snprintf(expect, sizeof(expect), "network/themes/%c/%c/%s.json", a, b, ids[i]);
		OK(record_path(table("themes"), NULL, ids[i], &p));
		assert_string_equal(p, expect);
		free(p);
		/* The city is ignored for a network table. */
		OK(record_path(table("cities"), "tunis", ids[i], &p));
		snprintf(expect, sizeof(expect), "network/cities/%c/%c/%s.json", a, b, ids[i]);
		assert_string_equal(p, expect);
		free(p);
	}
	/* Pinned: `printf %s housing | sha256sum` starts with "d0". */
	char *p = NULL;
	OK(record_path(table("themes"), NULL, "housing", &p));
	assert_string_equal(p, "network/themes/d/0/housing.json");
	free(p);
	p = NULL;
	assert_int_equal(record_path(table("actions"), NULL, "x", &p), C2C_EINVALID);
	assert_null(p);
	assert_int_equal(record_path(table("actions"), "Tunis", "x", &p), C2C_EINVALID);
	assert_int_equal(record_path(table("actions"), "../x", "x", &p), C2C_EINVALID);
}

static void t_parse_path_round_trip(void **state)
{
	(void)state;
	const char *tables[] = {"actions", "themes", "profile_sections", "nodes"};
	const char *ids[] = {"018f3a2b4c5d6e7f8a9b0c1d", "housing", "tunis.overview.ar", "a"};
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++) {
			const table_def *t = table(tables[i]);
			char *p = NULL, tb[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
			OK(record_path(t, "sfax", ids[j], &p));
			OK(record_parse_path(p, tb, id, city));
			assert_string_equal(tb, tables[i]);
			assert_string_equal(id, ids[j]);
			assert_string_equal(city, t->city_scope ? "sfax" : "");
			free(p);
		}
	/* An id of the greatest length. */
	char longid[RECORD_ID_MAX + 1], *p = NULL, tb[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	memset(longid, '7', RECORD_ID_MAX);
	longid[RECORD_ID_MAX] = '\0';
	OK(record_path(table("actions"), "tunis", longid, &p));
	OK(record_parse_path(p, tb, id, city));
	assert_string_equal(id, longid);
	assert_string_equal(city, "tunis");
	free(p);
}

static void parse_path_refused(const char *path)
{
	char tb[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	int rc = record_parse_path(path, tb, id, city);
	if (rc != C2C_EINVALID)
		fail_msg("record_parse_path accepted '%s' (rc %d: table '%s' id '%s' city '%s')", path, rc, tb, id,
		         city);
}

static void t_parse_path_refused(void **state)
{
	(void)state;
	char a, b, wa, wb, path[512];
	const char *id = "housing";
	sha_bucket(id, &a, &b);
	wa = a == '0' ? '1' : '0';
	wb = b == '0' ? '1' : '0';
	/* Sanity: the right bucket is accepted. */
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json", a, b, id);
	char tb[64], rid[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	OK(record_parse_path(path, tb, rid, city));

	/* Wrong bucket. */
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json", wa, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json", a, wb, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c0/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%c/%s.json", a, b, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/tunis/themes/%c/%c/%s.json", wa, wb, id);
	parse_path_refused(path);
	/* Not .json. */
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.txt", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json.bak", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/%c/%c/.json", a, b);
	parse_path_refused(path);
	/* Too many or too few parts. */
	snprintf(path, sizeof(path), "cities/tunis/x/actions/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/tunis/actions/x/y/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/x/themes/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/themes/%c/%c/%s.json", a, b, id); /* city record without city */
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/tunis/themes/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "other/themes/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	parse_path_refused("network/network.json");
	parse_path_refused("network.json");
	parse_path_refused("");
	parse_path_refused("network");
	/* Slashes in the wrong places. */
	snprintf(path, sizeof(path), "/network/themes/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network//themes/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	/* "..", and ids or cities that are not valid ids. */
	char da, db;
	sha_bucket("..", &da, &db);
	snprintf(path, sizeof(path), "network/themes/%c/%c/...json", da, db);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/../actions/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/themes/../%c/%s.json", b, id);
	parse_path_refused(path);
	sha_bucket("Housing", &da, &db);
	snprintf(path, sizeof(path), "network/themes/%c/%c/Housing.json", da, db);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/Tunis/actions/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	/* Too long an id or city: see t_parse_path_long_parts_no_overflow. */
}

/* The table part is a table name, not "..", "." or any text. */
static void t_parse_path_refuses_bad_table(void **state)
{
	(void)state;
	char a, b, path[512];
	const char *id = "housing";
	sha_bucket(id, &a, &b);
	snprintf(path, sizeof(path), "network/../%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/tunis/../%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/./%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "network/The Themes/%c/%c/%s.json", a, b, id);
	parse_path_refused(path);
}

/* A trailing slash names a directory, not a record file. */
static void t_parse_path_refuses_trailing_slash(void **state)
{
	(void)state;
	char a, b, path[512];
	const char *id = "housing";
	sha_bucket(id, &a, &b);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json/", a, b, id);
	parse_path_refused(path);
	snprintf(path, sizeof(path), "cities/tunis/actions/%c/%c/%s.json/", a, b, id);
	parse_path_refused(path);
}

/* Over-long city or id components are refused without writing past the
 * caller's buffers (which are exactly as large as the header says). */
static void t_parse_path_long_parts_no_overflow(void **state)
{
	(void)state;
	struct {
		char table[64];
		char g1[16];
		char id[RECORD_ID_MAX + 1];
		char g2[16];
		char city[RECORD_ID_MAX + 1];
		char g3[16];
	} b;
	char path[512], longcity[RECORD_ID_MAX + 8], longid[RECORD_ID_MAX + 3], a1, b1;
	static const char zero16[16] = {0};
	memset(longcity, 'c', sizeof(longcity) - 1); /* 87 bytes */
	longcity[sizeof(longcity) - 1] = '\0';
	memset(longid, '7', sizeof(longid) - 1); /* 82 bytes */
	longid[sizeof(longid) - 1] = '\0';

	sha_bucket("housing", &a1, &b1);
	snprintf(path, sizeof(path), "cities/%s/actions/%c/%c/housing.json", longcity, a1, b1);
	memset(&b, 0, sizeof(b));
	assert_int_equal(record_parse_path(path, b.table, b.id, b.city), C2C_EINVALID);
	int city_over = memcmp(b.g3, zero16, 16) != 0;

	sha_bucket(longid, &a1, &b1);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json", a1, b1, longid);
	memset(&b, 0, sizeof(b));
	assert_int_equal(record_parse_path(path, b.table, b.id, b.city), C2C_EINVALID);
	int id_over = memcmp(b.g2, zero16, 16) != 0;

	/* 81 bytes: one more than allowed. */
	longid[RECORD_ID_MAX + 1] = '\0';
	sha_bucket(longid, &a1, &b1);
	snprintf(path, sizeof(path), "network/themes/%c/%c/%s.json", a1, b1, longid);
	memset(&b, 0, sizeof(b));
	assert_int_equal(record_parse_path(path, b.table, b.id, b.city), C2C_EINVALID);
	id_over |= memcmp(b.g2, zero16, 16) != 0;
	if (city_over || id_over)
		fail_msg("record_parse_path wrote past the caller's buffers:%s%s",
		         city_over ? " city[81] for an 87-byte city;" : "", id_over ? " id[81] for an 81- or 82-byte id" : "");
}

/* ---------------------------------------------------------------- values */

static void t_value_integers(void **state)
{
	(void)state;
	value_is(st, "actions", "budget_eur", "12", "12");
	value_is(st, "actions", "budget_eur", "0", "0");
	value_is(st, "actions", "budget_eur", "9223372036854775807", "9223372036854775807");
	value_is(st, "migration_stats", "year", "1900", "1900");
	value_refused(st, "migration_stats", "year", "1899");
	value_refused(st, "actions", "budget_eur", "-1"); /* below min 0 */
	value_refused(st, "cities", "phase", "0");        /* below min 1 */
	value_refused(st, "actions", "budget_eur", "1e3");
	value_refused(st, "actions", "budget_eur", "012");
	value_refused(st, "actions", "budget_eur", "00");
	value_refused(st, "actions", "budget_eur", "+5");
	value_refused(st, "actions", "budget_eur", " 5");
	value_refused(st, "actions", "budget_eur", "5 ");
	value_refused(st, "actions", "budget_eur", "-0");
	value_refused(st, "actions", "budget_eur", "1.5");
	value_refused(st, "actions", "budget_eur", "1,000");
	value_refused(st, "actions", "budget_eur", "0x10");
	value_refused(st, "actions", "budget_eur", "abc");
	value_refused(st, "actions", "budget_eur", "-");
	value_refused(st, "actions", "budget_eur", "9223372036854775808");
	value_refused(st, "actions", "budget_eur", "99999999999999999999999");
	/* The message names the value. */
	value_refused(st, "actions", "budget_eur", "1e3");
	assert_non_null(strstr(err_msg(), "1e3"));
	/* Empty: cleared. */
	value_is(st, "actions", "budget_eur", "", "null");
	value_refused(st, "sdgs", "number", "");
}

static void t_value_enums(void **state)
{
	(void)state;
	const char *ok[] = {"proposed", "approved", "ongoing", "completed", "cancelled"};
	for (size_t i = 0; i < 5; i++) {
		char expect[64];
		snprintf(expect, sizeof(expect), "\"%s\"", ok[i]);
		value_is(st, "actions", "status", ok[i], expect);
	}
	value_is(st, "stakeholders", "kind", "migrant_organisation", "\"migrant_organisation\"");
	value_is(st, "profile_sections", "lang", "ar", "\"ar\"");
	value_refused(st, "actions", "status", "Ongoing");
	value_refused(st, "actions", "status", "done");
	value_refused(st, "actions", "status", " ongoing");
	value_refused(st, "actions", "status", "ongoing,approved");
	value_refused(st, "profile_sections", "lang", "de");
	value_refused(st, "actions", "status", "done");
	assert_non_null(strstr(err_msg(), "done"));
	value_is(st, "actions", "status", "", "null");
	value_refused(st, "profile_sections", "section", ""); /* required */
}

static void t_value_dates(void **state)
{
	(void)state;
	value_is(st, "actions", "start_date", "2024-02-29", "\"2024-02-29\"");
	value_is(st, "actions", "start_date", "2000-02-29", "\"2000-02-29\"");
	value_is(st, "actions", "end_date", "2023-12-31", "\"2023-12-31\"");
	value_is(st, "actions", "end_date", "2023-01-31", "\"2023-01-31\"");
	value_refused(st, "actions", "start_date", "2023-02-29");
	value_refused(st, "actions", "start_date", "1900-02-29");
	value_refused(st, "actions", "start_date", "2024-02-30");
	value_refused(st, "actions", "start_date", "2024-13-01");
	value_refused(st, "actions", "start_date", "2024-00-10");
	value_refused(st, "actions", "start_date", "2024-04-31");
	value_refused(st, "actions", "start_date", "2024-04-00");
	value_refused(st, "actions", "start_date", "2024-4-01");
	value_refused(st, "actions", "start_date", "2024/04/01");
	value_refused(st, "actions", "start_date", "24-04-01");
	value_refused(st, "actions", "start_date", "2024-04-01T00:00");
	value_refused(st, "actions", "start_date", "2024-04");
	value_refused(st, "actions", "start_date", "2024-+4-01");
	value_refused(st, "actions", "start_date", "2024-04- 1");
	value_is(st, "actions", "start_date", "", "null");
	/* Months. */
	value_is(st, "events", "month", "2024-02", "\"2024-02\"");
	value_refused(st, "events", "month", "2024-13");
	value_refused(st, "events", "month", "2024-00");
	value_refused(st, "events", "month", "2024-02-01");
}

static void t_value_sets(void **state)
{
	(void)state;
	value_is(st, "actions", "partners", "b,a", "[\"a\",\"b\"]");
	value_is(st, "actions", "partners", " UNHCR , IOM ", "[\"IOM\",\"UNHCR\"]");
	value_is(st, "actions", "partners", "x,x", "[\"x\"]");
	value_is(st, "actions", "partners", "Caritas Tunisie", "[\"Caritas Tunisie\"]");
	value_is(st, "actions", "partners", "b,B,a,_x,\xc3\xa9", "[\"B\",\"_x\",\"a\",\"b\",\"\xc3\xa9\"]");
	value_is(st, "actions", "partners", "", "null");
	value_is(st, "actions", "objectives", "D,A,B", "[\"A\",\"B\",\"D\"]");
	value_refused(st, "actions", "objectives", "A,E");
	value_refused(st, "actions", "objectives", "a");
	value_is(st, "actions", "target_groups", "youth,women", "[\"women\",\"youth\"]");
	value_refused(st, "actions", "target_groups", "women,men");
}

/* Duplicates go, wherever they sort: also when more elements follow them. */
static void t_value_sets_dedup(void **state)
{
	(void)state;
	value_is(NULL, "actions", "partners", "a,a,b", "[\"a\",\"b\"]");
	value_is(NULL, "actions", "partners", " UNHCR , IOM,UNHCR,IOM ", "[\"IOM\",\"UNHCR\"]");
	value_is(NULL, "actions", "partners", "c,b,a,b,c,a,d", "[\"a\",\"b\",\"c\",\"d\"]");
	value_is(NULL, "actions", "partners", "z,z,z,z", "[\"z\"]");
	value_is(NULL, "actions", "objectives", "D,A,B,A", "[\"A\",\"B\",\"D\"]");
	value_is(NULL, "actions", "sdg_targets", "16.b,10.7,17.19,1.1, 10.7", "[\"1.1\",\"10.7\",\"16.b\",\"17.19\"]");
}

static void t_value_sdg_targets(void **state)
{
	(void)state;
	value_is(st, "actions", "sdg_targets", "10.7", "[\"10.7\"]");
	value_is(st, "actions", "sdg_targets", "16.b,10.7,17.19, 1.1", "[\"1.1\",\"10.7\",\"16.b\",\"17.19\"]");
	value_is(st, "actions", "sdg_targets", "16.10,10.c,3.d,1.a", "[\"1.a\",\"10.c\",\"16.10\",\"3.d\"]");
	const char *bad[] = {"17.20", "1.c",  "0.1",  "18.1",  "10.07", "10.0", "10",   "10.",  ".7",
	                     "010.7", "10.A", "10.d", "17.a",  "1.6",   "16.11", "10.7.1", "a.1", "10.7a",
	                     "1 0.7", "-1.1", "10.ab", "3.e"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		value_refused(st, "actions", "sdg_targets", bad[i]);
	value_refused(st, "actions", "sdg_targets", "10.7,17.20");
	assert_non_null(strstr(err_msg(), "17.20"));
	/* All 169 targets of the 2030 Agenda, and nothing else of the form. */
	int n = 0;
	for (int g = 0; g <= 18; g++) {
		for (int k = 0; k <= 25; k++) {
			char code[16];
			json_t *v = NULL;
			snprintf(code, sizeof(code), "%d.%d", g, k);
			if (record_parse_value(st, table("actions"), field("actions", "sdg_targets"), code, &v) == 0)
				n++;
			json_decref(v);
			v = NULL;
			snprintf(code, sizeof(code), "%d.%c", g, 'a' + k);
			if (record_parse_value(st, table("actions"), field("actions", "sdg_targets"), code, &v) == 0)
				n++;
			json_decref(v);
		}
	}
	assert_int_equal(n, 169);
}

static void t_value_refs(void **state)
{
	(void)state;
	/* store_open leaves the record tables empty. */
	value_refused(st, "actions", "themes", "housing");
	value_refused(st, "actions", "city", "tunis");
	put_row("themes", "housing", "{\"name\": \"Housing\"}");
	put_row("themes", "labour", "{\"name\": \"Labour\"}");
	put_row("cities", "tunis", "{\"name\": \"Tunis\", \"country\": \"TN\"}");
	value_is(st, "actions", "themes", "housing", "[\"housing\"]");
	value_is(st, "actions", "themes", "labour, housing,labour", "[\"housing\",\"labour\"]");
	value_refused(st, "actions", "themes", "housing,health");
	assert_non_null(strstr(err_msg(), "health"));
	value_is(st, "actions", "city", "tunis", "\"tunis\"");
	value_refused(st, "actions", "city", "sfax");
	value_refused(st, "actions", "priority", "p1");
	put_row("priorities", "p1", "{\"city\": \"tunis\", \"rank\": 1, \"challenge\": \"housing\"}");
	value_is(st, "actions", "priority", "p1", "\"p1\"");
	/* Without a store, existence is not checked, the form is. */
	value_is(NULL, "actions", "themes", "health,jobs", "[\"health\",\"jobs\"]");
	value_is(NULL, "actions", "city", "sfax", "\"sfax\"");
	value_refused(NULL, "actions", "city", "Sfax");
	value_refused(NULL, "actions", "city", "a..b");
	value_refused(NULL, "actions", "themes", "ok,Not Ok");
	value_refused(NULL, "actions", "themes", "../x");
	value_refused(st, "actions", "city", ""); /* required */
}

static void t_value_text(void **state)
{
	(void)state;
	value_is(st, "actions", "title", "Welcome desk", "\"Welcome desk\"");
	value_is(st, "actions", "title", " spaces kept ", "\" spaces kept \"");
	value_is(st, "actions", "title", "a,b", "\"a,b\"");
	value_is(st, "actions", "title", "\xd9\x85\xd9\x83\xd8\xaa\xd8\xa8", "\"\xd9\x85\xd9\x83\xd8\xaa\xd8\xa8\"");
	value_refused(st, "actions", "title", ""); /* required */
	assert_non_null(strstr(err_msg(), "required"));
	value_is(st, "actions", "outcomes", "", "null");
	/* Invalid UTF-8, in every kind of field. */
	value_refused(st, "actions", "title", "caf\xe9");
	value_refused(st, "actions", "outcomes", "\xc0\xaf");
	value_refused(st, "actions", "partners", "a,\xed\xa0\x80");
	value_refused(st, "actions", "status", "\xff");
	value_refused(st, "actions", "budget_eur", "1\xff");
}

/* -------------------------------------------------------- text and clocks */

static void t_value_text_out(void **state)
{
	(void)state;
	json_t *v = json_pack("[sss]", "10.7", "16.b", "17.19");
	char *s = record_value_text(v);
	assert_string_equal(s, "10.7,16.b,17.19");
	free(s);
	json_decref(v);
	s = record_value_text(NULL);
	assert_string_equal(s, "");
	free(s);
	s = record_value_text(json_null());
	assert_string_equal(s, "");
	free(s);
	v = json_integer(-42);
	s = record_value_text(v);
	assert_string_equal(s, "-42");
	free(s);
	json_decref(v);
	v = json_string("x y");
	s = record_value_text(v);
	assert_string_equal(s, "x y");
	free(s);
	json_decref(v);
	v = json_array();
	s = record_value_text(v);
	assert_string_equal(s, "");
	free(s);
	json_decref(v);
}

static void t_check_required(void **state)
{
	(void)state;
	json_t *rec = json_pack("{s:s}", "city", "tunis");
	assert_int_equal(record_check_required(table("actions"), rec, "x"), C2C_EINVALID);
	assert_non_null(strstr(err_msg(), "title"));
	json_object_set_new(rec, "title", json_null());
	assert_int_equal(record_check_required(table("actions"), rec, "x"), C2C_EINVALID);
	json_object_set_new(rec, "title", json_string("T"));
	OK(record_check_required(table("actions"), rec, "x"));
	json_decref(rec);
}

static void t_clock_and_dots(void **state)
{
	(void)state;
	json_t *rec = json_pack("{s:s, s:s}", "title", "T", "status", "ongoing");
	long long c = record_begin_edit(rec, "n1");
	assert_int_equal(c, 1);
	record_stamp(rec, "title", "n1", c, 5);
	record_stamp(rec, "status", "n1", c, 5);
	c = record_begin_edit(rec, "n1");
	assert_int_equal(c, 2);
	record_stamp(rec, "title", "n1", c, 9);
	c = record_begin_edit(rec, "city-tunis-1");
	assert_int_equal(c, 1);
	record_stamp(rec, "status", "city-tunis-1", c, 10);

	char *text = NULL;
	OK(canon_dump(rec, &text, NULL));
	assert_string_equal(text, "{\n"
	                          "  \"_c2c\": {\n"
	                          "    \"clock\": {\n"
	                          "      \"city-tunis-1\": 1,\n"
	                          "      \"n1\": 2\n"
	                          "    },\n"
	                          "    \"dots\": {\n"
	                          "      \"status\": [\"city-tunis-1\", 1, 10],\n"
	                          "      \"title\": [\"n1\", 2, 9]\n"
	                          "    }\n"
	                          "  },\n"
	                          "  \"status\": \"ongoing\",\n"
	                          "  \"title\": \"T\"\n"
	                          "}\n");
	free(text);
	/* No tombstone mark on a live record. */
	assert_null(json_object_get(record_meta(rec), "deleted"));
	json_decref(rec);

	/* record_meta replaces a _c2c that is not an object, and is borrowed. */
	rec = json_pack("{s:i}", "_c2c", 5);
	json_t *m = record_meta(rec);
	assert_true(json_is_object(m));
	assert_ptr_equal(m, json_object_get(rec, "_c2c"));
	assert_ptr_equal(record_meta(rec), m);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_id_valid),
	    cmocka_unit_test(t_new_id),
	    cmocka_unit_test(t_natural_id),
	    cmocka_unit_test(t_path),
	    cmocka_unit_test(t_parse_path_round_trip),
	    cmocka_unit_test(t_parse_path_refused),
	    cmocka_unit_test(t_parse_path_refuses_bad_table),
	    cmocka_unit_test(t_parse_path_refuses_trailing_slash),
	    cmocka_unit_test(t_parse_path_long_parts_no_overflow),
	    cmocka_unit_test(t_value_integers),
	    cmocka_unit_test(t_value_enums),
	    cmocka_unit_test(t_value_dates),
	    cmocka_unit_test(t_value_sets),
	    cmocka_unit_test(t_value_sets_dedup),
	    cmocka_unit_test(t_value_sdg_targets),
	    cmocka_unit_test(t_value_refs),
	    cmocka_unit_test(t_value_text),
	    cmocka_unit_test(t_value_text_out),
	    cmocka_unit_test(t_check_required),
	    cmocka_unit_test(t_clock_and_dots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
