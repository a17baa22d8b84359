/* office: the figures of the network or of one city (office.h).
 *
 * Read-only. Everything is computed with SQL on a store: one statement per
 * figure, with the cities as a bound JSON array, so the same queries give a
 * city's figures ('["tangier"]') and the network totals (the array of every
 * city listed). Sets are read with json_each. With --at the store is one
 * made in memory from the tree of a past commit, with the same schema, so
 * the same queries answer for that day. The report is built as one JSON
 * object, and every rendering (office_render.c) is made from it. */
#include "c2c/office.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/repo.h"
#include "c2c/review.h"

static const char *const LANGS[] = {"ar", "en", "es", "fr"};
#define NLANGS (sizeof(LANGS) / sizeof(LANGS[0]))
static const char *const STATUSES[] = {"proposed", "approved", "ongoing", "completed", "cancelled"};
#define NSTATUSES (sizeof(STATUSES) / sizeof(STATUSES[0]))
static const char *const REVIEW[] = {"draft", "submitted", "validated"};
#define NREVIEW (sizeof(REVIEW) / sizeof(REVIEW[0]))

/* "city is one of the cities in the JSON array ?1" */
#define IN_SET "city IN (SELECT value FROM json_each(?1))"
/* The text elements of a set column (a JSON array), tolerating a bad one. */
#define SET_OF(col) "json_each(CASE WHEN json_valid(a." col ") THEN a." col " ELSE '[]' END) j"
/* An SDG target's goal and the part after the dot, for numeric order
 * ("5.1" < "10.7" < "10.a"): goal as a number, then numeric parts before
 * letters, then the part as a number, then the text. */
#define GOAL_OF(v) "CAST(CASE WHEN instr(" v ", '.') > 0 THEN substr(" v ", 1, instr(" v ", '.') - 1) ELSE " v " END AS INTEGER)"
#define TARGET_ORDER(v)                                                                                              \
	GOAL_OF(v) ", substr(" v ", instr(" v ", '.') + 1) GLOB '[0-9]*' DESC, "                                      \
	           "CAST(substr(" v ", instr(" v ", '.') + 1) AS INTEGER), " v

typedef struct {
	sqlite3 *db;
	store *st;
	char *with_data;    /* SELECT city FROM t1 UNION SELECT city FROM t2 ...: cities with any record */
	char *has_data;     /* the number of cities of the JSON array ?1 with any record */
	char *section_rank; /* ",overview,migration_data,...,": the order of profile sections */
	const field_def *sections;
	json_t *kinds;      /* allowed stakeholder kinds */
	json_t *last;       /* {city: unix time of its last change} */
	int no_lists;       /* leave out the per-city lists of records */
} rep;

/* ---------------------------------------------------------------- queries */

/* Prepare SQL and bind the text parameters ?1..?3 that are not NULL. */
static int prep(rep *r, sqlite3_stmt **st, const char *sql, const char *p1, const char *p2, const char *p3)
{
	const char *p[] = {p1, p2, p3};
	int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
	for (int i = 0; rc == SQLITE_OK && i < 3; i++)
		if (p[i])
			rc = sqlite3_bind_text(*st, i + 1, p[i], -1, SQLITE_TRANSIENT);
	if (rc != SQLITE_OK) {
		err_sqlite(r->db, rc, "preparing a query");
		sqlite3_finalize(*st);
		*st = NULL;
		return err_code();
	}
	return 0;
}

/* 1: a row, 0: done, < 0: error (statement finalized). */
static int step(rep *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	err_sqlite(r->db, rc, "reading the database");
	sqlite3_finalize(st);
	return err_code();
}

/* One row of NCOLS integers (NULL reads as 0). */
static int q_ints(rep *r, long long *out, int ncols, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(r, &st, sql, p1, p2, NULL)) < 0 || (err = step(r, st)) < 0)
		return err;
	for (int i = 0; i < ncols; i++)
		out[i] = err ? sqlite3_column_int64(st, i) : 0;
	sqlite3_finalize(st);
	return 0;
}

static int q_int(rep *r, const char *sql, const char *p1, json_t *o, const char *key)
{
	long long v;
	int err = q_ints(r, &v, 1, sql, p1, NULL);
	if (err == 0)
		json_object_set_new(o, key, json_integer((json_int_t)v));
	return err;
}

/* Column 0 of every row appended to ARR, as text or as integers. */
static int q_list(rep *r, json_t *arr, int ints, const char *sql, const char *p1, const char *p2,
                  const char *p3)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(r, &st, sql, p1, p2, p3)) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		if (ints)
			json_array_append_new(arr, json_integer((json_int_t)sqlite3_column_int64(st, 0)));
		else
			json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
	}
	if (err == 0)
		sqlite3_finalize(st);
	return err;
}

/* Rows of (key, count) added to OBJ (on top of what is there). */
static int q_counts(rep *r, json_t *obj, const char *sql, const char *p1)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(r, &st, sql, p1, NULL, NULL)) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		json_object_set_new(obj, k ? k : "unspecified", json_integer((json_int_t)sqlite3_column_int64(st, 1)));
	}
	if (err == 0)
		sqlite3_finalize(st);
	return err;
}

/* Rows as objects: column I under NAMES[I]; text, integer or null as stored;
 * a column whose name ends in "[]" holds a JSON array (a set). */
static int q_objects(rep *r, json_t *arr, const char *const *names, int ncols, const char *sql, const char *p1)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(r, &st, sql, p1, NULL, NULL)) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		json_t *o = json_object();
		for (int c = 0; c < ncols; c++) {
			size_t nl = strlen(names[c]);
			json_t *v;
			if (sqlite3_column_type(st, c) == SQLITE_NULL)
				v = json_null();
			else if (nl > 2 && !strcmp(names[c] + nl - 2, "[]")) {
				v = json_loads((const char *)sqlite3_column_text(st, c), 0, NULL);
				if (!json_is_array(v)) {
					json_decref(v);
					v = json_array();
				}
			} else if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
				v = json_integer((json_int_t)sqlite3_column_int64(st, c));
			else
				v = json_string((const char *)sqlite3_column_text(st, c));
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)(nl > 2 && !strcmp(names[c] + nl - 2, "[]") ? nl - 2 : nl),
			         names[c]);
			json_object_set_new(o, key, v);
		}
		json_array_append_new(arr, o);
	}
	if (err == 0)
		sqlite3_finalize(st);
	return err;
}

/* SDG targets in numeric order: goal, then numbered targets by number
 * before lettered ones ("5.1" < "10.2" < "10.10" < "10.a"). */
static int cmp_target(const void *pa, const void *pb)
{
	const char *a = json_string_value(*(json_t *const *)pa), *b = json_string_value(*(json_t *const *)pb);
	if (!a || !b)
		return !a - !b;
	long ga = strtol(a, NULL, 10), gb = strtol(b, NULL, 10);
	if (ga != gb)
		return ga < gb ? -1 : 1;
	const char *da = strchr(a, '.'), *db = strchr(b, '.');
	da = da ? da + 1 : "", db = db ? db + 1 : "";
	int na = *da >= '0' && *da <= '9', nb = *db >= '0' && *db <= '9';
	if (na != nb)
		return na ? -1 : 1;
	if (na) {
		long ta = strtol(da, NULL, 10), tb = strtol(db, NULL, 10);
		if (ta != tb)
			return ta < tb ? -1 : 1;
	}
	return strcmp(a, b);
}

static void sort_targets(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = n ? malloc(n * sizeof(*v)) : NULL;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_target);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* Budget by SDG goal and target over the cities in SET. */
static int budget_by_sdg(rep *r, const char *set, json_t *o)
{
	sqlite3_stmt *st;
	int err;
	json_t *goals = json_array();
	json_object_set_new(o, "budget_by_sdg", goals);
	/* An action counts once under a goal, however many of its targets the goal holds. */
	if ((err = prep(r, &st,
	                "SELECT g, sum(coalesce(b, 0)), count(*) FROM (SELECT DISTINCT a.id, a.budget_eur AS b, "
	                GOAL_OF("j.value") " AS g FROM actions a, " SET_OF("sdg_targets") " WHERE a." IN_SET
	                " AND j.type = 'text') WHERE g > 0 GROUP BY g ORDER BY g",
	                set, NULL, NULL)) < 0)
		return err;
	while ((err = step(r, st)) > 0)
		json_array_append_new(goals, json_pack("{s:I,s:I,s:I,s:[]}", "goal", (json_int_t)sqlite3_column_int64(st, 0),
		                                       "budget_eur", (json_int_t)sqlite3_column_int64(st, 1), "actions",
		                                       (json_int_t)sqlite3_column_int64(st, 2), "targets"));
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	if ((err = prep(r, &st,
	                "SELECT j.value, sum(coalesce(a.budget_eur, 0)), count(DISTINCT a.id), " GOAL_OF("j.value")
	                " FROM actions a, " SET_OF("sdg_targets") " WHERE a." IN_SET " AND j.type = 'text' "
	                "GROUP BY j.value ORDER BY " TARGET_ORDER("j.value"),
	                set, NULL, NULL)) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		long long g = sqlite3_column_int64(st, 3);
		size_t i;
		json_t *e;
		json_array_foreach(goals, i, e)
		{
			if (json_integer_value(json_object_get(e, "goal")) == g)
				json_array_append_new(json_object_get(e, "targets"),
				                      json_pack("{s:s,s:I,s:I}", "target", (const char *)sqlite3_column_text(st, 0),
				                                "budget_eur", (json_int_t)sqlite3_column_int64(st, 1), "actions",
				                                (json_int_t)sqlite3_column_int64(st, 2)));
		}
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

/* One city's lists: priorities in rank order, actions, events attended. */
static int city_lists(rep *r, const char *set, json_t *o)
{
	int err;
	static const char *const pcols[] = {"id", "rank", "theme", "theme_name", "challenge", "proposed_action"};
	static const char *const acols[] = {"id",         "title",         "status",
	                                    "budget_eur", "cofunding_eur", "partners[]",
	                                    "people_reached_female", "people_reached_male", "sdg_targets[]",
	                                    "start_date", "end_date"};
	static const char *const ecols[] = {"event", "number", "host", "host_name", "month", "theme", "role", "participants"};
	json_t *pl = json_array(), *al = json_array(), *el = json_array();
	json_object_set_new(o, "priority_list", pl);
	json_object_set_new(o, "action_list", al);
	json_object_set_new(o, "event_list", el);
	if ((err = q_objects(r, pl, pcols, 6,
	                     "SELECT p.id, p.rank, p.theme, t.name, p.challenge, p.proposed_action FROM priorities p "
	                     "LEFT JOIN themes t ON t.id = p.theme WHERE p." IN_SET
	                     " ORDER BY p.rank IS NULL, p.rank, p.id",
	                     set)) < 0 ||
	    (err = q_objects(r, al, acols, 11,
	                     "SELECT id, title, status, budget_eur, cofunding_eur, partners, people_reached_female, "
	                     "people_reached_male, sdg_targets, start_date, end_date FROM actions WHERE " IN_SET
	                     " ORDER BY title, id",
	                     set)) < 0 ||
	    (err = q_objects(r, el, ecols, 8,
	                     "SELECT p.event, e.number, e.host, h.name, e.month, e.theme, p.role, p.participants "
	                     "FROM event_participation p LEFT JOIN events e ON e.id = p.event "
	                     "LEFT JOIN cities h ON h.id = e.host WHERE p." IN_SET
	                     " ORDER BY e.number IS NULL, e.number, p.event",
	                     set)) < 0)
		return err;
	size_t ai;
	json_t *act;
	json_array_foreach(al, ai, act) sort_targets(json_object_get(act, "sdg_targets"));
	return 0;
}

/* The figures of the cities in SET (a JSON array of slugs) into O. PER_CITY
 * adds what only makes sense for one city: the lists. */
static int stats(rep *r, const char *set, int per_city, json_t *o)
{
	int err;
	long long v[5];

	/* Profile sections by language. */
	json_t *prof = json_object();
	json_object_set_new(o, "profile_sections", prof);
	for (size_t i = 0; i < NLANGS; i++) {
		json_t *l = json_object();
		json_object_set_new(prof, LANGS[i], l);
		if ((err = q_ints(r, v, 4,
		                  "SELECT count(*), sum(status = 'draft'), sum(status = 'submitted'), "
		                  "sum(status = 'validated') FROM profile_sections WHERE " IN_SET " AND lang = ?2",
		                  set, LANGS[i])) < 0)
			return err;
		json_object_set_new(l, "count", json_integer((json_int_t)v[0]));
		for (size_t k = 0; k < NREVIEW; k++)
			json_object_set_new(l, REVIEW[k], json_integer((json_int_t)v[k + 1]));
		if (per_city) {
			json_t *a = json_array();
			json_object_set_new(l, "sections", a);
			if ((err = q_list(r, a, 0,
			                  "SELECT DISTINCT section FROM profile_sections WHERE " IN_SET
			                  " AND lang = ?2 AND section IS NOT NULL "
			                  "ORDER BY coalesce(nullif(instr(?3, ',' || section || ','), 0), 1000000000), section",
			                  set, LANGS[i], r->section_rank)) < 0)
				return err;
		}
	}

	if ((err = q_int(r, "SELECT count(*) FROM priorities WHERE " IN_SET, set, o, "priorities")) < 0 ||
	    (err = q_int(r, "SELECT count(*) FROM practices WHERE " IN_SET, set, o, "practices")) < 0 ||
	    (err = q_int(r, "SELECT count(*) FROM stakeholders WHERE " IN_SET, set, o, "stakeholders")) < 0 ||
	    (err = q_int(r, "SELECT count(*) FROM event_participation WHERE " IN_SET, set, o, "events")) < 0 ||
	    (err = q_int(r, "SELECT count(*) FROM migration_stats WHERE " IN_SET, set, o, "migration_stats")) < 0)
		return err;

	json_t *kinds = json_object();
	json_object_set_new(o, "stakeholders_by_kind", kinds);
	for (size_t i = 0; i < json_array_size(r->kinds); i++)
		json_object_set_new(kinds, json_string_value(json_array_get(r->kinds, i)), json_integer(0));
	if ((err = q_counts(r, kinds,
	                    "SELECT kind, count(*) FROM stakeholders WHERE " IN_SET " GROUP BY kind ORDER BY kind",
	                    set)) < 0)
		return err;

	if ((err = q_ints(r, v, 5,
	                  "SELECT count(*), sum(budget_eur), sum(cofunding_eur), sum(people_reached_female), "
	                  "sum(people_reached_male) FROM actions WHERE " IN_SET,
	                  set, NULL)) < 0)
		return err;
	static const char *const sums[] = {"actions", "budget_eur", "cofunding_eur", "people_reached_female",
	                                   "people_reached_male"};
	for (int i = 0; i < 5; i++)
		json_object_set_new(o, sums[i], json_integer((json_int_t)v[i]));
	json_t *by = json_object();
	json_object_set_new(o, "actions_by_status", by);
	for (size_t i = 0; i < NSTATUSES; i++)
		json_object_set_new(by, STATUSES[i], json_integer(0));
	json_object_set_new(by, "other", json_integer(0));
	if ((err = q_counts(r, by,
	                    "SELECT CASE WHEN status IN ('proposed', 'approved', 'ongoing', 'completed', 'cancelled') "
	                    "THEN status ELSE 'other' END AS s, count(*) FROM actions WHERE " IN_SET " GROUP BY s",
	                    set)) < 0)
		return err;

	json_t *targets = json_array(), *goals = json_array(), *objectives = json_array();
	json_object_set_new(o, "sdg_targets", targets);
	json_object_set_new(o, "sdgs", goals);
	json_object_set_new(o, "objectives", objectives);
	if ((err = q_list(r, targets, 0,
	                  "SELECT DISTINCT j.value FROM actions a, " SET_OF("sdg_targets") " WHERE a." IN_SET
	                  " AND j.type = 'text' ORDER BY " TARGET_ORDER("j.value"),
	                  set, NULL, NULL)) < 0 ||
	    (err = q_list(r, goals, 1,
	                  "SELECT DISTINCT g FROM (SELECT " GOAL_OF("j.value") " AS g "
	                  "FROM actions a, " SET_OF("sdg_targets") " WHERE a." IN_SET " AND j.type = 'text') "
	                  "WHERE g > 0 ORDER BY g",
	                  set, NULL, NULL)) < 0 ||
	    (err = q_list(r, objectives, 0,
	                  "SELECT DISTINCT j.value FROM actions a, " SET_OF("objectives") " WHERE a." IN_SET
	                  " AND j.type = 'text' ORDER BY 1",
	                  set, NULL, NULL)) < 0)
		return err;
	if ((err = budget_by_sdg(r, set, o)) < 0)
		return err;

	/* The office's reviews of these cities' records. */
	json_t *reviews = json_pack("{s:i,s:i,s:i}", "validated", 0, "changes_requested", 0, "out_of_date", 0);
	json_t *rl = NULL;
	json_object_set_new(o, "reviews", reviews);
	if ((err = review_list(r->st, NULL, NULL, &rl)) < 0)
		return err;
	json_t *cities = json_loads(set, 0, NULL), *mine = json_array();
	size_t i, k;
	json_t *e, *c;
	json_array_foreach(rl, i, e)
	{
		int in = 0;
		json_array_foreach(cities, k, c) in |= json_equal(c, json_object_get(e, "city"));
		if (!in)
			continue;
		const char *key = json_is_true(json_object_get(e, "out_of_date"))
		                      ? "out_of_date"
		                      : json_string_value(json_object_get(e, "status"));
		if (key && json_object_get(reviews, key))
			json_object_set_new(reviews, key, json_integer(json_integer_value(json_object_get(reviews, key)) + 1));
		json_array_append(mine, e);
	}
	json_decref(cities);
	json_decref(rl);
	if (per_city)
		json_object_set_new(o, "review_list", mine);
	else
		json_decref(mine);

	if (!per_city)
		return 0;

	/* Profile completeness: section x language, the status of each. */
	json_t *grid = json_object();
	json_object_set_new(o, "profile_grid", grid);
	for (size_t s = 0; r->sections && s < r->sections->nallowed; s++) {
		json_t *row = json_object();
		json_object_set_new(grid, r->sections->allowed[s], row);
		for (size_t l = 0; l < NLANGS; l++)
			json_object_set_new(row, LANGS[l], json_string("missing"));
	}
	sqlite3_stmt *st;
	if ((err = prep(r, &st, "SELECT section, lang, status FROM profile_sections WHERE " IN_SET, set, NULL, NULL)) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		const char *sec = (const char *)sqlite3_column_text(st, 0), *lang = (const char *)sqlite3_column_text(st, 1),
		           *status = (const char *)sqlite3_column_text(st, 2);
		json_t *row = sec ? json_object_get(grid, sec) : NULL;
		/* A section with no status yet is a draft. */
		if (row && lang && json_object_get(row, lang))
			json_object_set_new(row, lang, json_string(status ? status : "draft"));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);

	if (!r->no_lists && (err = city_lists(r, set, o)) < 0)
		return err;
	/* Open conflicts in the city's records. */
	long long nconf = 0;
	size_t nt;
	const table_def *t = store_tables(r->st, &nt);
	for (size_t ti = 0; ti < nt; ti++) {
		if (!t[ti].city_scope)
			continue;
		char sql[512];
		long long cnt = 0;
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM \"%s\" WHERE " IN_SET " AND instr(_c2c, '\"conflicts\"') > 0 "
		         "AND json_extract(_c2c, '$.conflicts') IS NOT NULL",
		         t[ti].name);
		if ((err = q_ints(r, &cnt, 1, sql, set, NULL)) < 0)
			return err;
		nconf += cnt;
	}
	json_object_set_new(o, "conflicts", json_integer((json_int_t)nconf));
	return 0;
}

/* PRE, MID and POST joined (a query around a subquery); NULL when out of memory. */
static char *cat3(const char *pre, const char *mid, const char *post)
{
	size_t a = strlen(pre), b = strlen(mid), c = strlen(post);
	char *s = malloc(a + b + c + 1);
	if (s) {
		memcpy(s, pre, a);
		memcpy(s + a, mid, b);
		memcpy(s + a + b, post, c + 1);
	}
	return s;
}

static char *set_of_one(const char *slug)
{
	json_t *a = json_pack("[s]", slug);
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static void iso_time(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int city_report(rep *r, const char *slug, json_t *cities)
{
	sqlite3_stmt *st;
	char *set = set_of_one(slug), *sql = NULL;
	json_t *o = json_object();
	int err;
	json_array_append_new(cities, o);
	if (!set)
		return err_set(C2C_ENOMEM, "out of memory");
	json_object_set_new(o, "city", json_string(slug));
	if ((err = prep(r, &st, "SELECT name, country, region FROM cities WHERE id = ?1", slug, NULL, NULL)) < 0 ||
	    (err = step(r, st)) < 0)
		goto out;
	for (int c = 0; c < 3; c++) {
		const char *s = err ? (const char *)sqlite3_column_text(st, c) : NULL;
		json_object_set_new(o, c == 0 ? "name" : c == 1 ? "country" : "region",
		                    s ? json_string(s) : c == 0 ? json_string(slug) : json_null());
	}
	sqlite3_finalize(st);
	long long has = 0;
	if ((err = q_ints(r, &has, 1, r->has_data, set, NULL)) < 0)
		goto out;
	json_object_set_new(o, "has_data", json_boolean(has));
	json_t *last = json_object_get(r->last, slug);
	if (last) {
		char when[32];
		iso_time(json_integer_value(last), when);
		json_object_set_new(o, "last_change", json_string(when));
		json_object_set_new(o, "last_change_time", json_integer(json_integer_value(last)));
	} else {
		json_object_set_new(o, "last_change", json_null());
		json_object_set_new(o, "last_change_time", json_null());
	}
	err = stats(r, set, 1, o);
out:
	free(sql);
	free(set);
	return err;
}

/* -------------------------------------------------------------- history */

/* The newest change of each city reachable from COMMIT: for each commit that
 * is not a merge, newest first, the subtrees cities/<slug> that differ from
 * its parent's (compared by id, never opened) name cities changed then. The
 * time is the commit's author time, when the change was made. */
static int last_changes(git_repository *repo, const git_oid *commit, json_t *last)
{
	git_revwalk *w = NULL;
	git_commit *c = NULL, *p = NULL;
	git_tree *ct = NULL, *pt = NULL;
	git_tree_entry *ce = NULL, *pe = NULL;
	git_tree *csub = NULL, *psub = NULL;
	git_oid id;
	int rc;
	if ((rc = git_revwalk_new(&w, repo)) < 0 || (rc = git_revwalk_sorting(w, GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, commit)) < 0)
		goto done;
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		if ((rc = git_commit_lookup(&c, repo, &id)) < 0)
			goto done;
		if (git_commit_parentcount(c) == 1) {
			if ((rc = git_commit_parent(&p, c, 0)) < 0 || (rc = git_commit_tree(&ct, c)) < 0 ||
			    (rc = git_commit_tree(&pt, p)) < 0)
				goto done;
			git_tree_entry_bypath(&ce, ct, "cities");
			git_tree_entry_bypath(&pe, pt, "cities");
			if (ce && (!pe || !git_oid_equal(git_tree_entry_id(ce), git_tree_entry_id(pe)))) {
				if ((rc = git_tree_lookup(&csub, repo, git_tree_entry_id(ce))) < 0 ||
				    (pe && (rc = git_tree_lookup(&psub, repo, git_tree_entry_id(pe))) < 0))
					goto done;
				for (size_t i = 0; i < git_tree_entrycount(csub); i++) {
					const git_tree_entry *e = git_tree_entry_byindex(csub, i);
					const char *slug = git_tree_entry_name(e);
					const git_tree_entry *old = psub ? git_tree_entry_byname(psub, slug) : NULL;
					if (json_object_get(last, slug) || (old && git_oid_equal(git_tree_entry_id(old), git_tree_entry_id(e))))
						continue;
					json_object_set_new(last, slug, json_integer((json_int_t)git_commit_author(c)->when.time));
				}
			}
			git_tree_free(csub);
			git_tree_free(psub);
			git_tree_entry_free(ce);
			git_tree_entry_free(pe);
			git_tree_free(ct);
			git_tree_free(pt);
			git_commit_free(p);
			csub = psub = NULL, ce = pe = NULL, ct = pt = NULL, p = NULL;
		}
		git_commit_free(c);
		c = NULL;
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
done:
	git_tree_free(csub);
	git_tree_free(psub);
	git_tree_entry_free(ce);
	git_tree_entry_free(pe);
	git_tree_free(ct);
	git_tree_free(pt);
	git_commit_free(p);
	git_commit_free(c);
	git_revwalk_free(w);
	return rc < 0 ? err_git(rc, "walking the history") : 0;
}

/* The commit --at names: a date (the newest commit on the first-parent line
 * of the head made on or before the end of that day, UTC), or a commit. */
static int resolve_at(c2c_node *n, const char *at, git_oid *out)
{
	int y, m, d;
	char tail;
	if (sscanf(at, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen(at) == 10) {
		struct tm tm = {0};
		if (m < 1 || m > 12 || d < 1 || d > 31) {
			err_set(C2C_EUSAGE, "--at %s is not a date", at);
			return err_hint("give a date as YYYY-MM-DD, or a commit");
		}
		tm.tm_year = y - 1900, tm.tm_mon = m - 1, tm.tm_mday = d;
		tm.tm_hour = 23, tm.tm_min = 59, tm.tm_sec = 59;
		long long cutoff = (long long)timegm(&tm);
		git_commit *c = NULL, *p = NULL;
		int rc = git_commit_lookup(&c, n->repo, &n->head);
		while (rc == 0 && (long long)git_commit_time(c) > cutoff) {
			if (git_commit_parentcount(c) == 0) {
				git_commit_free(c);
				err_set(C2C_ENOTFOUND, "the node's history starts after %s", at);
				return err_hint("give a later date; 'c2c log' shows the history");
			}
			rc = git_commit_parent(&p, c, 0);
			git_commit_free(c);
			c = p;
		}
		if (rc < 0)
			return err_git(rc, "walking the history");
		git_oid_cpy(out, git_commit_id(c));
		git_commit_free(c);
		return 0;
	}
	git_object *o = NULL;
	int rc = git_revparse_single(&o, n->repo, at);
	if (rc == 0) {
		git_object *peeled = NULL;
		rc = git_object_peel(&peeled, o, GIT_OBJECT_COMMIT);
		git_object_free(o);
		if (rc == 0) {
			git_oid_cpy(out, git_object_id(peeled));
			git_object_free(peeled);
			return 0;
		}
	}
	err_set(C2C_ENOTFOUND, "--at %s names no date and no commit of this node", at);
	return err_hint("give a date as YYYY-MM-DD, or a commit id from 'c2c log'");
}

typedef struct {
	git_repository *repo;
	store *st;
} load_state;

/* One record file of the tree into the store made for --at. */
static int load_file(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload)
{
	load_state *ls = payload;
	char table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	git_blob *b = NULL;
	json_t *rec = NULL;
	char *text = NULL;
	int rc, err = 0;
	(void)old_id;
	if (!strcmp(path, "network/network.json") || record_parse_path(path, table, id, city) < 0)
		return 0;
	const table_def *t = store_table(ls->st, table);
	if (!t)
		return 0;
	if ((rc = git_blob_lookup(&b, ls->repo, new_id)) < 0)
		return err_git(rc, path);
	const char *buf = git_blob_rawcontent(b);
	size_t len = (size_t)git_blob_rawsize(b);
	if ((err = canon_parse(buf, len, path, &rec)) < 0)
		goto done;
	if (merge_is_deleted(rec)) {
		if (!(text = strndup(buf, len)))
			err = err_set(C2C_ENOMEM, "out of memory");
		else
			err = store_tomb_put(ls->st, table, id, path, text);
	} else
		err = store_row_put(ls->st, t, id, rec);
done:
	free(text);
	json_decref(rec);
	git_blob_free(b);
	return err;
}

/* A store in memory holding the records of COMMIT's tree. */
static int store_at(c2c_node *n, const git_oid *commit, store **out)
{
	store *st = NULL;
	git_oid tree;
	int err;
	load_state ls = {n->repo, NULL};
	*out = NULL;
	if ((err = repo_commit_tree(n->repo, commit, &tree)) < 0 || (err = store_open(&st, ":memory:", 1, 0)) < 0)
		return err;
	ls.st = st;
	if ((err = store_begin(st)) < 0)
		goto fail;
	if ((err = mergetree_diff(n->repo, NULL, &tree, load_file, &ls)) < 0) {
		store_rollback(st);
		goto fail;
	}
	if ((err = store_commit(st)) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return err;
}

/* --------------------------------------------------------------- report */

static int build(rep *r, c2c_node *n, const char *only, json_t *rp)
{
	size_t nt;
	const table_def *t = store_tables(r->st, &nt);
	char *p = NULL, *sql = NULL;
	size_t len = 0;
	int err = 0;
	json_t *slugs = json_array(), *cities = json_array(), *totals = json_object();
	json_object_set_new(rp, "cities", cities);
	json_object_set_new(rp, "totals", totals);

	/* The cities that hold any record, from every city table. */
	FILE *m = open_memstream(&r->with_data, &len);
	if (!m) {
		json_decref(slugs);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	int k = 0;
	for (size_t i = 0; i < nt; i++)
		if (t[i].city_scope && store_field(&t[i], "city"))
			fprintf(m, "%sSELECT city FROM \"%s\"", k++ ? " UNION " : "", t[i].name);
	if (!k)
		fputs("SELECT NULL AS city WHERE 0", m);
	fclose(m);
	/* How many of the cities in ?1 hold any record: one indexed look-up per
	 * city and table, where the union above reads every row. */
	if (!(m = open_memstream(&r->has_data, &len))) {
		json_decref(slugs);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	fputs("SELECT count(*) FROM json_each(?1) c WHERE 0", m);
	for (size_t i = 0; i < nt; i++)
		if (t[i].city_scope && store_field(&t[i], "city"))
			fprintf(m, " OR EXISTS (SELECT 1 FROM \"%s\" WHERE city = c.value)", t[i].name);
	fclose(m);

	/* The order of profile sections and the kinds of stakeholders, from the schema. */
	const table_def *ps = store_table(r->st, "profile_sections"), *sh = store_table(r->st, "stakeholders");
	const field_def *sec = ps ? store_field(ps, "section") : NULL, *kind = sh ? store_field(sh, "kind") : NULL;
	r->sections = sec;
	m = open_memstream(&r->section_rank, &len);
	if (!m) {
		json_decref(slugs);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	fputc(',', m);
	for (size_t i = 0; sec && i < sec->nallowed; i++)
		fprintf(m, "%s,", sec->allowed[i]);
	fclose(m);
	r->kinds = json_array();
	for (size_t i = 0; kind && i < kind->nallowed; i++)
		json_array_append_new(r->kinds, json_string(kind->allowed[i]));

	/* Which cities: --city, else the node's city, else every city of the
	 * network (those of the registry and any other with data), by name. */
	if (only) {
		long long known = 0;
		if (!(sql = cat3("SELECT EXISTS (SELECT 1 FROM cities WHERE id = ?1) OR EXISTS (SELECT 1 FROM (",
		                 r->with_data, ") WHERE city = ?1)"))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto out;
		}
		if ((err = q_ints(r, &known, 1, sql, only, NULL)) < 0)
			goto out;
		if (!known) {
			err_set(C2C_ENOTFOUND, "no city '%s' in the network", only);
			err = err_hint("run 'c2c ls cities' to see the city slugs");
			goto out;
		}
		json_array_append_new(slugs, json_string(only));
	} else if (n->city) {
		json_array_append_new(slugs, json_string(n->city));
	} else {
		if (!(sql = cat3("SELECT s FROM (SELECT id AS s FROM cities UNION SELECT city FROM (", r->with_data,
		                 ") WHERE city IS NOT NULL) LEFT JOIN cities c ON c.id = s ORDER BY coalesce(c.name, s), s"))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto out;
		}
		if ((err = q_list(r, slugs, 0, sql, NULL, NULL, NULL)) < 0)
			goto out;
	}
	for (size_t i = 0; i < json_array_size(slugs); i++)
		if ((err = city_report(r, json_string_value(json_array_get(slugs, i)), cities)) < 0)
			goto out;

	/* Totals over the cities listed. */
	if (!(p = json_dumps(slugs, JSON_COMPACT))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = q_int(r, r->has_data, p, totals, "cities")) < 0 || (err = stats(r, p, 0, totals)) < 0)
		goto out;
	json_object_set_new(totals, "cities_listed", json_integer((json_int_t)json_array_size(slugs)));
	long long nsdgs = 0;
	if ((err = q_ints(r, &nsdgs, 1, "SELECT count(*) FROM sdgs", NULL, NULL)) < 0)
		goto out;
	json_object_set_new(totals, "sdgs_total", json_integer(nsdgs ? nsdgs : 17));
	json_object_set_new(totals, "sdgs_covered", json_integer((json_int_t)json_array_size(json_object_get(totals, "sdgs"))));
	/* The names of the SDGs covered, for the renderings. */
	json_t *names = json_object();
	json_object_set_new(rp, "sdg_names", names);
	sqlite3_stmt *st;
	if ((err = prep(r, &st, "SELECT number, name FROM sdgs ORDER BY number", NULL, NULL, NULL)) < 0)
		goto out;
	while ((err = step(r, st)) > 0) {
		char num[24];
		snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 0));
		if (sqlite3_column_text(st, 1))
			json_object_set_new(names, num, json_string((const char *)sqlite3_column_text(st, 1)));
	}
	if (err < 0)
		goto out;
	sqlite3_finalize(st);
out:
	free(p);
	free(sql);
	json_decref(slugs);
	return err;
}

int office_report(c2c_node *n, const office_opts *opts, json_t **out)
{
	rep r = {0};
	store *at_store = NULL;
	git_oid commit = n->head;
	git_commit *c = NULL;
	char hex[GIT_OID_HEXSZ + 1], when[32], made[32];
	int err, rc;
	*out = NULL;
	if (opts->at) {
		if ((err = resolve_at(n, opts->at, &commit)) < 0 || (err = store_at(n, &commit, &at_store)) < 0)
			return err;
	}
	r.st = at_store ? at_store : n->st;
	r.db = store_db(r.st);
	r.last = json_object();
	r.no_lists = opts->no_lists;
	git_oid_tostr(hex, sizeof(hex), &commit);
	if ((rc = git_commit_lookup(&c, n->repo, &commit)) < 0) {
		err = err_git(rc, "reading the head commit");
		goto done;
	}
	iso_time((long long)git_commit_time(c), when);
	iso_time(opts->now ? opts->now : (long long)time(NULL), made);
	json_t *rp = json_pack("{s:s,s:s,s:s,s:s?,s:I,s:s,s:s,s:s?}", "node_id", n->node_id, "head", hex, "role", n->role,
	                       "city", n->city, "head_time", (json_int_t)git_commit_time(c), "head_date", when, "made_at",
	                       made, "at", opts->at);
	if (!rp) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = last_changes(n->repo, &commit, r.last)) < 0 || (err = build(&r, n, opts->city, rp)) < 0) {
		json_decref(rp);
		goto done;
	}
	*out = rp;
done:
	git_commit_free(c);
	json_decref(r.kinds);
	json_decref(r.last);
	free(r.with_data);
	free(r.has_data);
	free(r.section_rank);
	store_close(at_store);
	return err;
}
