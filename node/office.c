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
	char *has_data;     /* the cities of the JSON array ?1 with any record */
	const field_def *sections;
	json_t *kinds;      /* allowed stakeholder kinds */
	json_t *last;       /* {city: unix time of its last change} */
	int no_lists;       /* leave out the per-city lists of records */
	const char *one;    /* the one city listed (--city, a city's node), or NULL: the network */
	json_t *by_city;    /* {slug: that city's object of the report} */
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

/* ------------------------------------------------------------- figures */

/* SQL with every "@F" made the filter on the cities listed, on column COL:
 * "COL = ?1" when one city is listed, else "1" (on the office every city
 * holding a record is listed, so no row is left out). Each figure is one
 * grouped query over every city at once (GROUP BY city): the cost of the
 * report grows with the records once, not once per city and again for the
 * totals, which are sums of the cities' figures. */
static int prepf(rep *r, sqlite3_stmt **st, const char *tmpl, const char *col)
{
	char filter[64], *sql = NULL;
	size_t len = 0;
	int err;
	if (r->one)
		snprintf(filter, sizeof(filter), "%s = ?1", col);
	else
		snprintf(filter, sizeof(filter), "1");
	FILE *m = open_memstream(&sql, &len);
	if (!m)
		return err_set(C2C_ENOMEM, "out of memory");
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '@' && p[1] == 'F') {
			fputs(filter, m);
			p++;
		} else
			fputc(*p, m);
	}
	if (fclose(m) != 0 || !sql) {
		free(sql);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	err = prep(r, st, sql, r->one, NULL, NULL);
	free(sql);
	return err;
}

/* The object of the listed city named by column C of ST's row, or NULL. */
static json_t *row_city(rep *r, sqlite3_stmt *st, int c)
{
	const char *slug = (const char *)sqlite3_column_text(st, c);
	return slug ? json_object_get(r->by_city, slug) : NULL;
}

static void add_int(json_t *o, const char *key, long long v)
{
	json_t *x = json_object_get(o, key);
	json_object_set_new(o, key, json_integer((json_int_t)((x ? json_integer_value(x) : 0) + v)));
}

/* The figures of a city (or of the totals), every one zero, in the order
 * the renderings read them. PER_CITY adds what only makes sense for one
 * city: the sections written, the lists, the profile grid, conflicts. */
static json_t *figures_new(rep *r, int per_city)
{
	json_t *o = json_object(), *prof = json_object();
	json_object_set_new(o, "profile_sections", prof);
	for (size_t i = 0; i < NLANGS; i++) {
		json_t *l = json_pack("{s:i}", "count", 0);
		for (size_t k = 0; k < NREVIEW; k++)
			json_object_set_new(l, REVIEW[k], json_integer(0));
		if (per_city)
			json_object_set_new(l, "sections", json_array());
		json_object_set_new(prof, LANGS[i], l);
	}
	static const char *const counts[] = {"priorities", "practices", "stakeholders", "events", "migration_stats"};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		json_object_set_new(o, counts[i], json_integer(0));
	json_t *kinds = json_object();
	json_object_set_new(o, "stakeholders_by_kind", kinds);
	for (size_t i = 0; i < json_array_size(r->kinds); i++)
		json_object_set_new(kinds, json_string_value(json_array_get(r->kinds, i)), json_integer(0));
	static const char *const sums[] = {"actions", "budget_eur", "cofunding_eur", "people_reached_female",
	                                   "people_reached_male"};
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		json_object_set_new(o, sums[i], json_integer(0));
	json_t *by = json_object();
	json_object_set_new(o, "actions_by_status", by);
	for (size_t i = 0; i < NSTATUSES; i++)
		json_object_set_new(by, STATUSES[i], json_integer(0));
	json_object_set_new(by, "other", json_integer(0));
	json_object_set_new(o, "sdg_targets", json_array());
	json_object_set_new(o, "sdgs", json_array());
	json_object_set_new(o, "objectives", json_array());
	json_object_set_new(o, "budget_by_sdg", json_array());
	json_object_set_new(o, "reviews",
	                    json_pack("{s:i,s:i,s:i}", "validated", 0, "changes_requested", 0, "out_of_date", 0));
	if (!per_city)
		return o;
	json_object_set_new(o, "review_list", json_array());
	/* Profile completeness: section x language, the status of each. */
	json_t *grid = json_object();
	json_object_set_new(o, "profile_grid", grid);
	for (size_t s = 0; r->sections && s < r->sections->nallowed; s++) {
		json_t *row = json_object();
		json_object_set_new(grid, r->sections->allowed[s], row);
		for (size_t l = 0; l < NLANGS; l++)
			json_object_set_new(row, LANGS[l], json_string("missing"));
	}
	if (!r->no_lists) {
		json_object_set_new(o, "priority_list", json_array());
		json_object_set_new(o, "action_list", json_array());
		json_object_set_new(o, "event_list", json_array());
	}
	json_object_set_new(o, "conflicts", json_integer(0));
	return o;
}

/* The rank of a profile section in the schema's order (unknown ones last). */
static size_t section_pos(const rep *r, const char *sec)
{
	for (size_t s = 0; r->sections && s < r->sections->nallowed; s++)
		if (!strcmp(r->sections->allowed[s], sec))
			return s;
	return (size_t)-1;
}

/* Profile sections: counts by language and status, the sections written in
 * each language (in the schema's order), the grid. */
static int fig_profiles(rep *r)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(r, &st, "SELECT city, lang, section, status FROM profile_sections WHERE @F ORDER BY city, lang, section",
	                 "city")) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		json_t *c = row_city(r, st, 0);
		const char *lang = (const char *)sqlite3_column_text(st, 1), *sec = (const char *)sqlite3_column_text(st, 2),
		           *status = (const char *)sqlite3_column_text(st, 3);
		json_t *l = c && lang ? json_object_get(json_object_get(c, "profile_sections"), lang) : NULL;
		if (!l)
			continue;
		add_int(l, "count", 1);
		for (size_t k = 0; status && k < NREVIEW; k++)
			if (!strcmp(status, REVIEW[k]))
				add_int(l, REVIEW[k], 1);
		if (!sec)
			continue;
		/* rows come by section: a section already listed is the last one */
		json_t *secs = json_object_get(l, "sections");
		const char *prev = json_string_value(json_array_get(secs, json_array_size(secs) - 1));
		if (!prev || strcmp(prev, sec))
			json_array_append_new(secs, json_string(sec));
		/* A section with no status yet is a draft. */
		json_t *row = json_object_get(json_object_get(c, "profile_grid"), sec);
		if (row && json_object_get(row, lang))
			json_object_set_new(row, lang, json_string(status ? status : "draft"));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	/* the sections of each language in the schema's order, then others by name */
	const char *slug;
	json_t *c;
	json_object_foreach(r->by_city, slug, c)
	{
		for (size_t i = 0; i < NLANGS; i++) {
			json_t *secs = json_object_get(json_object_get(json_object_get(c, "profile_sections"), LANGS[i]), "sections");
			size_t n = json_array_size(secs);
			for (size_t a = 1; a < n; a++) /* insertion sort: eleven sections at most, as a rule */
				for (size_t b = a; b > 0; b--) {
					const char *x = json_string_value(json_array_get(secs, b - 1)),
					           *y = json_string_value(json_array_get(secs, b));
					size_t px = section_pos(r, x), py = section_pos(r, y);
					if (px < py || (px == py && strcmp(x, y) <= 0))
						break;
					json_t *t = json_incref(json_array_get(secs, b - 1));
					json_array_set(secs, b - 1, json_array_get(secs, b));
					json_array_set_new(secs, b, t);
				}
		}
	}
	return 0;
}

/* Rows of (city, count) of one table into each city's KEY. */
static int fig_count(rep *r, const char *table, const char *key)
{
	sqlite3_stmt *st;
	char sql[160];
	int err;
	snprintf(sql, sizeof(sql), "SELECT city, count(*) FROM \"%s\" WHERE @F GROUP BY city", table);
	if ((err = prepf(r, &st, sql, "city")) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		json_t *c = row_city(r, st, 0);
		if (c)
			add_int(c, key, sqlite3_column_int64(st, 1));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

static int fig_stakeholder_kinds(rep *r)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(r, &st, "SELECT city, kind, count(*) FROM stakeholders WHERE @F GROUP BY city, kind ORDER BY city, kind",
	                 "city")) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		json_t *c = row_city(r, st, 0);
		const char *k = (const char *)sqlite3_column_text(st, 1);
		if (c)
			add_int(json_object_get(c, "stakeholders_by_kind"), k ? k : "unspecified", sqlite3_column_int64(st, 2));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

/* Actions: counts, budgets and people reached, by status. */
static int fig_actions(rep *r)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(r, &st,
	                 "SELECT city, CASE WHEN status IN ('proposed', 'approved', 'ongoing', 'completed', 'cancelled') "
	                 "THEN status ELSE 'other' END AS s, count(*), sum(budget_eur), sum(cofunding_eur), "
	                 "sum(people_reached_female), sum(people_reached_male) FROM actions WHERE @F GROUP BY city, s",
	                 "city")) < 0)
		return err;
	static const char *const sums[] = {"actions", "budget_eur", "cofunding_eur", "people_reached_female",
	                                   "people_reached_male"};
	while ((err = step(r, st)) > 0) {
		json_t *c = row_city(r, st, 0);
		if (!c)
			continue;
		add_int(json_object_get(c, "actions_by_status"), (const char *)sqlite3_column_text(st, 1),
		        sqlite3_column_int64(st, 2));
		for (int i = 0; i < 5; i++)
			add_int(c, sums[i], sqlite3_column_int64(st, 2 + i));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

static int cmp_int(const void *pa, const void *pb)
{
	json_int_t a = json_integer_value(*(json_t *const *)pa), b = json_integer_value(*(json_t *const *)pb);
	return a < b ? -1 : a > b;
}

static int cmp_text(const void *pa, const void *pb)
{
	const char *a = json_string_value(*(json_t *const *)pa), *b = json_string_value(*(json_t *const *)pb);
	return strcmp(a ? a : "", b ? b : "");
}

/* The elements of ARR, or the values of the object SET, as a new array
 * sorted by CMP. */
static json_t *sorted_copy(json_t *arr, json_t *set, int (*cmp)(const void *, const void *))
{
	size_t n = set ? json_object_size(set) : json_array_size(arr), k = 0;
	json_t *out = json_array(), *v;
	json_t **e = n ? malloc(n * sizeof(*e)) : NULL;
	const char *key;
	if (n && !e)
		return out;
	if (set)
		json_object_foreach(set, key, v) e[k++] = v;
	else
		json_array_foreach(arr, k, v) e[k] = v;
	if (n)
		qsort(e, n, sizeof(*e), cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, e[i]);
	free(e);
	return out;
}

static json_t *sorted_values(json_t *set, int (*cmp)(const void *, const void *)) { return sorted_copy(NULL, set, cmp); }
static json_t *sorted_values_of(json_t *arr, int (*cmp)(const void *, const void *)) { return sorted_copy(arr, NULL, cmp); }

/* The elements of a set column's text (a JSON array; a lone string counts
 * as one element; anything else as none), as a new array, or NULL. */
static json_t *set_elems(const char *text)
{
	json_t *v;
	if (!text || !(v = json_loads(text, JSON_DECODE_ANY, NULL)))
		return NULL;
	if (json_is_string(v)) {
		json_t *a = json_array();
		json_array_append_new(a, v);
		return a;
	}
	if (!json_is_array(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* I == the first element of A equal to its element I (a set's element counted once). */
static int first_of(const json_t *a, size_t i)
{
	const char *s = json_string_value(json_array_get(a, i));
	for (size_t k = 0; k < i; k++)
		if (json_is_string(json_array_get(a, k)) && !strcmp(json_string_value(json_array_get(a, k)), s))
			return 0;
	return 1;
}

/* An SDG target's goal: the number before the dot ("10.7" is goal 10); 0
 * when there is none. */
static long long goal_of(const char *target)
{
	long long g = strtoll(target, NULL, 10);
	return g > 0 && g < 1000000 ? g : 0;
}

/* TALLY[KEY] += (BUDGET, 1), TALLY's entries being {"budget_eur", "actions"}. */
static void tally(json_t *map, const char *key, long long budget)
{
	json_t *e = json_object_get(map, key);
	if (!e) {
		json_object_set_new(map, key, json_pack("{s:I,s:i}", "budget_eur", (json_int_t)budget, "actions", 1));
		return;
	}
	json_t *b = json_object_get(e, "budget_eur"), *n = json_object_get(e, "actions");
	json_integer_set(b, json_integer_value(b) + (json_int_t)budget);
	json_integer_set(n, json_integer_value(n) + 1);
}

/* SDGs and objectives, in one pass over the actions (through the covering
 * index of schema 13, not the rows): the targets addressed with the budget
 * and the actions under each, the goals likewise (an action counts once
 * under a goal, however many of its targets the goal holds), the
 * objectives. The sets are read here rather than by json_each in SQL: that
 * would take one pass per figure and a sort to count an action once per
 * goal. */
static int fig_sdgs(rep *r)
{
	sqlite3_stmt *st;
	int err;
	json_t *acc = json_object(); /* {slug: {"t": {target: tally}, "g": {goal: tally}, "o": {objective: true}}} */
	json_t *cur = NULL;
	char *cur_slug = NULL;
	if ((err = prepf(r, &st, "SELECT city, budget_eur, sdg_targets, objectives FROM actions WHERE @F", "city")) < 0) {
		json_decref(acc);
		return err;
	}
	while ((err = step(r, st)) > 0) {
		const char *slug = (const char *)sqlite3_column_text(st, 0);
		if (!slug || !json_object_get(r->by_city, slug))
			continue;
		if (!cur_slug || strcmp(cur_slug, slug)) { /* rows come city by city, through the index */
			free(cur_slug);
			if (!(cur_slug = strdup(slug))) {
				sqlite3_finalize(st);
				err = err_set(C2C_ENOMEM, "out of memory");
				break;
			}
			if (!(cur = json_object_get(acc, slug))) {
				cur = json_pack("{s:{},s:{},s:{}}", "t", "g", "o");
				json_object_set_new(acc, slug, cur);
			}
		}
		long long budget = sqlite3_column_int64(st, 1);
		json_t *targets = set_elems((const char *)sqlite3_column_text(st, 2)),
		       *objectives = set_elems((const char *)sqlite3_column_text(st, 3));
		size_t i;
		json_t *e;
		json_array_foreach(targets, i, e)
		{
			if (!json_is_string(e) || !first_of(targets, i))
				continue;
			const char *t = json_string_value(e);
			tally(json_object_get(cur, "t"), t, budget);
			long long g = goal_of(t);
			int seen = 0;
			for (size_t k = 0; k < i && !seen; k++)
				seen = json_is_string(json_array_get(targets, k)) &&
				       goal_of(json_string_value(json_array_get(targets, k))) == g;
			if (g > 0 && !seen) {
				char gk[24];
				snprintf(gk, sizeof(gk), "%lld", g);
				tally(json_object_get(cur, "g"), gk, budget);
			}
		}
		json_array_foreach(objectives, i, e) if (json_is_string(e))
			json_object_set(json_object_get(cur, "o"), json_string_value(e), json_true());
		json_decref(targets);
		json_decref(objectives);
	}
	free(cur_slug);
	if (err < 0) {
		json_decref(acc);
		return err;
	}
	sqlite3_finalize(st);

	/* Each city's figures, in numeric order of goals and targets. */
	const char *slug;
	json_object_foreach(acc, slug, cur)
	{
		json_t *c = json_object_get(r->by_city, slug), *tl = json_array(), *gl = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(cur, "t"), k, v) json_array_append_new(tl, json_string(k));
		sort_targets(tl);
		json_object_foreach(json_object_get(cur, "g"), k, v) json_array_append_new(gl, json_integer(strtoll(k, NULL, 10)));
		json_t *goals = sorted_values_of(gl, cmp_int);
		json_t *budget = json_object_get(c, "budget_by_sdg");
		size_t i, j;
		json_t *g, *t;
		json_array_foreach(goals, i, g)
		{
			char gk[24];
			snprintf(gk, sizeof(gk), "%lld", (long long)json_integer_value(g));
			json_t *tg = json_object_get(json_object_get(cur, "g"), gk), *ts = json_array();
			json_array_foreach(tl, j, t)
			{
				if (goal_of(json_string_value(t)) != json_integer_value(g))
					continue;
				json_t *tt = json_object_get(json_object_get(cur, "t"), json_string_value(t));
				json_array_append_new(ts, json_pack("{s:O,s:O,s:O}", "target", t, "budget_eur",
				                                    json_object_get(tt, "budget_eur"), "actions",
				                                    json_object_get(tt, "actions")));
			}
			json_array_append_new(budget, json_pack("{s:O,s:I,s:I,s:o}", "goal", g, "budget_eur",
			                                        json_integer_value(json_object_get(tg, "budget_eur")), "actions",
			                                        json_integer_value(json_object_get(tg, "actions")), "targets", ts));
		}
		json_object_set_new(c, "sdg_targets", tl);
		json_object_set_new(c, "sdgs", goals);
		json_decref(gl);
		json_t *ol = json_array();
		json_object_foreach(json_object_get(cur, "o"), k, v) json_array_append_new(ol, json_string(k));
		json_object_set_new(c, "objectives", sorted_values_of(ol, cmp_text));
		json_decref(ol);
	}
	json_decref(acc);
	return 0;
}

/* The office's reviews of the cities' records: counted, and listed per city. */
static int fig_reviews(rep *r)
{
	json_t *rl = NULL, *e;
	size_t i;
	int err;
	if ((err = review_list(r->st, r->one, NULL, &rl)) < 0)
		return err;
	json_array_foreach(rl, i, e)
	{
		const char *slug = json_string_value(json_object_get(e, "city"));
		json_t *c = slug ? json_object_get(r->by_city, slug) : NULL;
		if (!c)
			continue;
		json_t *reviews = json_object_get(c, "reviews");
		const char *key = json_is_true(json_object_get(e, "out_of_date"))
		                      ? "out_of_date"
		                      : json_string_value(json_object_get(e, "status"));
		if (key && json_object_get(reviews, key))
			add_int(reviews, key, 1);
		json_array_append(json_object_get(c, "review_list"), e);
	}
	json_decref(rl);
	return 0;
}

/* Records that hold an open conflict, per city: through the partial
 * indexes of schema 10 (the query repeats their term), so the cost is the
 * conflicts', not the records'. */
static int fig_conflicts(rep *r)
{
	size_t nt;
	const table_def *t = store_tables(r->st, &nt);
	for (size_t ti = 0; ti < nt; ti++) {
		sqlite3_stmt *st;
		char sql[512];
		int err;
		if (!t[ti].city_scope || !store_field(&t[ti], "city"))
			continue;
		snprintf(sql, sizeof(sql),
		         "SELECT city, count(*) FROM \"%s\" WHERE (instr(_c2c, '\"conflicts\"') OR instr(_c2c, '\"deleted\"')) "
		         "AND instr(_c2c, '\"conflicts\"') > 0 AND json_extract(_c2c, '$.conflicts') IS NOT NULL AND @F "
		         "GROUP BY +city",
		         t[ti].name);
		/* "+city": the partial index, not the one on city, even for one city */
		if ((err = prepf(r, &st, sql, "+city")) < 0)
			return err;
		while ((err = step(r, st)) > 0) {
			json_t *c = row_city(r, st, 0);
			if (c)
				add_int(c, "conflicts", sqlite3_column_int64(st, 1));
		}
		if (err < 0)
			return err;
		sqlite3_finalize(st);
	}
	return 0;
}

/* Rows as objects: column I (after the city, column 0) under NAMES[I];
 * text, integer or null as stored; a column whose name ends in "[]" holds
 * a JSON array (a set). Each appended to the city's list KEY. */
static int fig_list(rep *r, const char *key, const char *const *names, int ncols, const char *sql, const char *col)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(r, &st, sql, col)) < 0)
		return err;
	while ((err = step(r, st)) > 0) {
		json_t *c = row_city(r, st, 0);
		if (!c)
			continue;
		json_t *o = json_object();
		for (int k = 0; k < ncols; k++) {
			int sc = k + 1;
			size_t nl = strlen(names[k]);
			int set = nl > 2 && !strcmp(names[k] + nl - 2, "[]");
			json_t *v;
			if (sqlite3_column_type(st, sc) == SQLITE_NULL)
				v = json_null();
			else if (set) {
				v = json_loads((const char *)sqlite3_column_text(st, sc), 0, NULL);
				if (!json_is_array(v)) {
					json_decref(v);
					v = json_array();
				}
			} else if (sqlite3_column_type(st, sc) == SQLITE_INTEGER)
				v = json_integer((json_int_t)sqlite3_column_int64(st, sc));
			else
				v = json_string((const char *)sqlite3_column_text(st, sc));
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(set ? nl - 2 : nl), names[k]);
			json_object_set_new(o, name, v);
		}
		json_array_append_new(json_object_get(c, key), o);
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

/* Each city's lists: priorities in rank order, actions, events attended. */
static int fig_lists(rep *r)
{
	int err;
	static const char *const pcols[] = {"id", "rank", "theme", "theme_name", "challenge", "proposed_action"};
	static const char *const acols[] = {"id",         "title",         "status",
	                                    "budget_eur", "cofunding_eur", "partners[]",
	                                    "people_reached_female", "people_reached_male", "sdg_targets[]",
	                                    "start_date", "end_date"};
	static const char *const ecols[] = {"event", "number", "host", "host_name", "month", "theme", "role", "participants"};
	if ((err = fig_list(r, "priority_list", pcols, 6,
	                    "SELECT p.city, p.id, p.rank, p.theme, t.name, p.challenge, p.proposed_action FROM priorities p "
	                    "LEFT JOIN themes t ON t.id = p.theme WHERE @F ORDER BY p.city, p.rank IS NULL, p.rank, p.id",
	                    "p.city")) < 0 ||
	    (err = fig_list(r, "action_list", acols, 11,
	                    "SELECT city, id, title, status, budget_eur, cofunding_eur, partners, people_reached_female, "
	                    "people_reached_male, sdg_targets, start_date, end_date FROM actions WHERE @F "
	                    "ORDER BY city, title, id",
	                    "city")) < 0 ||
	    (err = fig_list(r, "event_list", ecols, 8,
	                    "SELECT p.city, p.event, e.number, e.host, h.name, e.month, e.theme, p.role, p.participants "
	                    "FROM event_participation p LEFT JOIN events e ON e.id = p.event "
	                    "LEFT JOIN cities h ON h.id = e.host WHERE @F ORDER BY p.city, e.number IS NULL, e.number, p.event",
	                    "p.city")) < 0)
		return err;
	const char *slug;
	json_t *c;
	json_object_foreach(r->by_city, slug, c)
	{
		size_t ai;
		json_t *act;
		json_array_foreach(json_object_get(c, "action_list"), ai, act) sort_targets(json_object_get(act, "sdg_targets"));
	}
	return 0;
}

/* Every figure of every listed city (r->by_city), in a few grouped queries. */
static int city_figures(rep *r)
{
	int err;
	if ((err = fig_profiles(r)) < 0 || (err = fig_count(r, "priorities", "priorities")) < 0 ||
	    (err = fig_count(r, "practices", "practices")) < 0 || (err = fig_count(r, "stakeholders", "stakeholders")) < 0 ||
	    (err = fig_count(r, "event_participation", "events")) < 0 ||
	    (err = fig_count(r, "migration_stats", "migration_stats")) < 0 || (err = fig_stakeholder_kinds(r)) < 0 ||
	    (err = fig_actions(r)) < 0 || (err = fig_sdgs(r)) < 0 || (err = fig_reviews(r)) < 0 ||
	    (err = fig_conflicts(r)) < 0)
		return err;
	if (!r->no_lists && (err = fig_lists(r)) < 0)
		return err;
	return 0;
}

static int cmp_goal(const void *pa, const void *pb)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)pa, "goal")),
	           b = json_integer_value(json_object_get(*(json_t *const *)pb, "goal"));
	return a < b ? -1 : a > b;
}

static int cmp_target_entry(const void *pa, const void *pb)
{
	json_t *a = json_object_get(*(json_t *const *)pa, "target"), *b = json_object_get(*(json_t *const *)pb, "target");
	return cmp_target(&a, &b);
}

/* The network totals: the sums of the cities' figures (every action,
 * section, ... belongs to one city), and the unions of their sets. */
static void totals_of(rep *r, json_t *tot)
{
	static const char *const ints[] = {"priorities",    "practices",   "stakeholders",
	                                   "events",        "migration_stats", "actions",
	                                   "budget_eur",    "cofunding_eur",   "people_reached_female",
	                                   "people_reached_male"};
	static const char *const objs[] = {"stakeholders_by_kind", "actions_by_status", "reviews"};
	json_t *targets = json_object(), *goals = json_object(), *objectives = json_object(), *budget = json_object();
	const char *slug, *k;
	json_t *c, *v;
	size_t i, j;
	json_object_foreach(r->by_city, slug, c)
	{
		for (size_t x = 0; x < sizeof(ints) / sizeof(ints[0]); x++)
			add_int(tot, ints[x], json_integer_value(json_object_get(c, ints[x])));
		for (size_t x = 0; x < sizeof(objs) / sizeof(objs[0]); x++)
			json_object_foreach(json_object_get(c, objs[x]), k, v) add_int(json_object_get(tot, objs[x]), k,
			                                                                json_integer_value(v));
		for (size_t l = 0; l < NLANGS; l++) {
			json_t *from = json_object_get(json_object_get(c, "profile_sections"), LANGS[l]),
			       *to = json_object_get(json_object_get(tot, "profile_sections"), LANGS[l]);
			add_int(to, "count", json_integer_value(json_object_get(from, "count")));
			for (size_t s = 0; s < NREVIEW; s++)
				add_int(to, REVIEW[s], json_integer_value(json_object_get(from, REVIEW[s])));
		}
		json_array_foreach(json_object_get(c, "sdg_targets"), i, v) json_object_set(targets, json_string_value(v), v);
		json_array_foreach(json_object_get(c, "objectives"), i, v) json_object_set(objectives, json_string_value(v), v);
		json_array_foreach(json_object_get(c, "budget_by_sdg"), i, v)
		{
			char gk[32];
			json_t *g;
			snprintf(gk, sizeof(gk), "%lld", (long long)json_integer_value(json_object_get(v, "goal")));
			json_object_set(goals, gk, json_object_get(v, "goal"));
			if (!(g = json_object_get(budget, gk))) {
				g = json_pack("{s:O,s:i,s:i,s:o}", "goal", json_object_get(v, "goal"), "budget_eur", 0, "actions", 0,
				              "targets", json_object());
				json_object_set_new(budget, gk, g);
			}
			add_int(g, "budget_eur", json_integer_value(json_object_get(v, "budget_eur")));
			add_int(g, "actions", json_integer_value(json_object_get(v, "actions")));
			json_t *t;
			json_array_foreach(json_object_get(v, "targets"), j, t)
			{
				const char *tk = json_string_value(json_object_get(t, "target"));
				json_t *te = json_object_get(json_object_get(g, "targets"), tk);
				if (!te) {
					te = json_pack("{s:s,s:i,s:i}", "target", tk, "budget_eur", 0, "actions", 0);
					json_object_set_new(json_object_get(g, "targets"), tk, te);
				}
				add_int(te, "budget_eur", json_integer_value(json_object_get(t, "budget_eur")));
				add_int(te, "actions", json_integer_value(json_object_get(t, "actions")));
			}
		}
	}
	json_object_set_new(tot, "sdg_targets", sorted_values(targets, cmp_target));
	json_object_set_new(tot, "sdgs", sorted_values(goals, cmp_int));
	json_object_set_new(tot, "objectives", sorted_values(objectives, cmp_text));
	json_t *bl = sorted_values(budget, cmp_goal);
	json_array_foreach(bl, i, v) json_object_set_new(v, "targets", sorted_values(json_object_get(v, "targets"), cmp_target_entry));
	json_object_set_new(tot, "budget_by_sdg", bl);
	json_decref(targets);
	json_decref(goals);
	json_decref(objectives);
	json_decref(budget);
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

static void iso_time(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A listed city's object: its names and the time of its last change, and
 * its figures, zero until city_figures fills them. */
static int city_new(rep *r, const char *slug, json_t *cities)
{
	sqlite3_stmt *st;
	json_t *o = json_object();
	int err;
	json_array_append_new(cities, o);
	json_object_set_new(r->by_city, slug, json_incref(o));
	json_object_set_new(o, "city", json_string(slug));
	if ((err = prep(r, &st, "SELECT name, country, region FROM cities WHERE id = ?1", slug, NULL, NULL)) < 0 ||
	    (err = step(r, st)) < 0)
		return err;
	for (int c = 0; c < 3; c++) {
		const char *s = err ? (const char *)sqlite3_column_text(st, c) : NULL;
		json_object_set_new(o, c == 0 ? "name" : c == 1 ? "country" : "region",
		                    s ? json_string(s) : c == 0 ? json_string(slug) : json_null());
	}
	sqlite3_finalize(st);
	json_object_set_new(o, "has_data", json_false());
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
	json_t *f = figures_new(r, 1);
	json_object_update(o, f);
	json_decref(f);
	return 0;
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
	sqlite3_stmt *st;
	json_t *slugs = json_array(), *cities = json_array(), *totals = NULL;
	json_object_set_new(rp, "cities", cities);

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
	/* Which of the cities in ?1 hold any record: one indexed look-up per
	 * city and table, where the union above reads every row. */
	if (!(m = open_memstream(&r->has_data, &len))) {
		json_decref(slugs);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	fputs("SELECT c.value FROM json_each(?1) c WHERE 0", m);
	for (size_t i = 0; i < nt; i++)
		if (t[i].city_scope && store_field(&t[i], "city"))
			fprintf(m, " OR EXISTS (SELECT 1 FROM \"%s\" WHERE city = c.value)", t[i].name);
	fclose(m);

	/* The order of profile sections and the kinds of stakeholders, from the schema. */
	const table_def *ps = store_table(r->st, "profile_sections"), *sh = store_table(r->st, "stakeholders");
	const field_def *sec = ps ? store_field(ps, "section") : NULL, *kind = sh ? store_field(sh, "kind") : NULL;
	r->sections = sec;
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
	r->one = json_array_size(slugs) == 1 ? json_string_value(json_array_get(slugs, 0)) : NULL;
	for (size_t i = 0; i < json_array_size(slugs); i++)
		if ((err = city_new(r, json_string_value(json_array_get(slugs, i)), cities)) < 0)
			goto out;
	if ((err = city_figures(r)) < 0)
		goto out;

	/* Totals over the cities listed: the sums of their figures. */
	totals = figures_new(r, 0);
	json_object_set_new(rp, "totals", totals);
	totals_of(r, totals);
	if (!(p = json_dumps(slugs, JSON_COMPACT))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto out;
	}
	long long with = 0;
	if ((err = prep(r, &st, r->has_data, p, NULL, NULL)) < 0)
		goto out;
	while ((err = step(r, st)) > 0) {
		json_t *c = json_object_get(r->by_city, (const char *)sqlite3_column_text(st, 0));
		if (c && !json_is_true(json_object_get(c, "has_data"))) {
			json_object_set_new(c, "has_data", json_true());
			with++;
		}
	}
	if (err < 0)
		goto out;
	sqlite3_finalize(st);
	json_object_set_new(totals, "cities", json_integer((json_int_t)with));
	json_object_set_new(totals, "cities_listed", json_integer((json_int_t)json_array_size(slugs)));
	long long nsdgs = 0;
	if ((err = q_ints(r, &nsdgs, 1, "SELECT count(*) FROM sdgs", NULL, NULL)) < 0)
		goto out;
	json_object_set_new(totals, "sdgs_total", json_integer(nsdgs ? nsdgs : 17));
	json_object_set_new(totals, "sdgs_covered", json_integer((json_int_t)json_array_size(json_object_get(totals, "sdgs"))));
	/* The names of the SDGs covered, for the renderings. */
	json_t *names = json_object();
	json_object_set_new(rp, "sdg_names", names);
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
	r.by_city = json_object();
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
	json_decref(r.by_city);
	free(r.with_data);
	free(r.has_data);
	store_close(at_store);
	return err;
}
