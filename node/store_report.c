/* store_report: the store's queries for the office's report
 * (store_report.h).
 *
 * Read-only. One statement per figure, grouped by city: the same queries
 * give one city's figures and every city's at once, and the network totals
 * are the sums of the cities' (office.c). With --at the store is one made
 * in memory from the tree of a past commit, with the same schema, so the
 * same queries answer for that day. */
#include "c2c/store_report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/report_model.h"

/* ------------------------------------------------------------ statements */

/* Prepare SQL and bind the text parameters ?1..?3 that are not NULL. */
static int prep(store_report *q, sqlite3_stmt **st, const char *sql, const char *p1, const char *p2, const char *p3)
{
	const char *p[] = {p1, p2, p3};
	int rc = sqlite3_prepare_v2(q->db, sql, -1, st, NULL);
	for (int i = 0; rc == SQLITE_OK && i < 3; i++)
		if (p[i])
			rc = sqlite3_bind_text(*st, i + 1, p[i], -1, SQLITE_TRANSIENT);
	if (rc != SQLITE_OK) {
		int err = err_sqlite(q->db, rc, "preparing a query");
		sqlite3_finalize(*st);
		*st = NULL;
		return err;
	}
	return 0;
}

/* 1: a row, 0: done, < 0: error (statement finalized). */
static int step(store_report *q, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	int err = err_sqlite(q->db, rc, "reading the database");
	sqlite3_finalize(st);
	return err;
}

/* One row of NCOLS integers (NULL reads as 0). */
static int q_ints(store_report *q, long long *out, int ncols, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(q, &st, sql, p1, p2, NULL)) < 0 || (err = step(q, st)) < 0)
		return err;
	for (int i = 0; i < ncols; i++)
		out[i] = err ? sqlite3_column_int64(st, i) : 0;
	sqlite3_finalize(st);
	return 0;
}

/* Column 0 of every row appended to ARR, as text or as integers. */
static int q_list(store_report *q, json_t *arr, int ints, const char *sql, const char *p1, const char *p2,
                  const char *p3)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(q, &st, sql, p1, p2, p3)) < 0)
		return err;
	while ((err = step(q, st)) > 0) {
		if (ints)
			json_array_append_new(arr, json_integer((json_int_t)sqlite3_column_int64(st, 0)));
		else
			json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
	}
	if (err == 0)
		sqlite3_finalize(st);
	return err;
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

/* ------------------------------------------------------------- figures */

/* SQL with every "@F" made the filter on the cities listed, on column COL:
 * "COL = ?1" when one city is listed, else "1" (on the office every city
 * holding a record is listed, so no row is left out). Each figure is one
 * grouped query over every city at once (GROUP BY city): the cost of the
 * report grows with the records once, not once per city and again for the
 * totals, which are sums of the cities' figures. */
static int prepf(store_report *q, sqlite3_stmt **st, const char *tmpl, const char *col)
{
	char filter[64], *sql = NULL;
	size_t len = 0;
	int err;
	if (q->one)
		snprintf(filter, sizeof(filter), "%s = ?1", col);
	else
		snprintf(filter, sizeof(filter), "1");
	FILE *m = open_memstream(&sql, &len);
	if (!m)
		return ERR_OOM();
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '@' && p[1] == 'F') {
			fputs(filter, m);
			p++;
		} else
			fputc(*p, m);
	}
	if (fclose(m) != 0 || !sql) {
		free(sql);
		return ERR_OOM();
	}
	err = prep(q, st, sql, q->one, NULL, NULL);
	free(sql);
	return err;
}

/* The object of the listed city named by column C of ST's row, or NULL. */
static json_t *row_city(store_report *q, sqlite3_stmt *st, int c)
{
	const char *slug = (const char *)sqlite3_column_text(st, c);
	return slug ? json_object_get(q->by_city, slug) : NULL;
}

/* The rank of a profile section in the schema's order (unknown ones last). */
static size_t section_pos(const store_report *q, const char *sec)
{
	for (size_t s = 0; q->sections && s < q->sections->nallowed; s++)
		if (!strcmp(q->sections->allowed[s], sec))
			return s;
	return (size_t)-1;
}

/* Profile sections: counts by language and status, the sections written in
 * each language (in the schema's order), the grid. */
static int fig_profiles(store_report *q)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(q, &st, "SELECT city, lang, section, status FROM profile_sections WHERE @F ORDER BY city, lang, section",
	                 "city")) < 0)
		return err;
	while ((err = step(q, st)) > 0) {
		json_t *c = row_city(q, st, 0);
		const char *lang = (const char *)sqlite3_column_text(st, 1), *sec = (const char *)sqlite3_column_text(st, 2),
		           *status = (const char *)sqlite3_column_text(st, 3);
		json_t *l = c && lang ? json_object_get(json_object_get(c, "profile_sections"), lang) : NULL;
		if (!l)
			continue;
		report_add_int(l, "count", 1);
		for (size_t k = 0; status && k < REPORT_NREVIEW; k++)
			if (!strcmp(status, REPORT_REVIEW[k]))
				report_add_int(l, REPORT_REVIEW[k], 1);
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
	json_object_foreach(q->by_city, slug, c)
	{
		for (size_t i = 0; i < REPORT_NLANGS; i++) {
			json_t *secs = json_object_get(json_object_get(json_object_get(c, "profile_sections"), REPORT_LANGS[i]), "sections");
			size_t n = json_array_size(secs);
			for (size_t a = 1; a < n; a++) /* insertion sort: eleven sections at most, as a rule */
				for (size_t b = a; b > 0; b--) {
					const char *x = json_string_value(json_array_get(secs, b - 1)),
					           *y = json_string_value(json_array_get(secs, b));
					size_t px = section_pos(q, x), py = section_pos(q, y);
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
static int fig_count(store_report *q, const char *table, const char *key)
{
	sqlite3_stmt *st;
	char sql[160];
	int err;
	snprintf(sql, sizeof(sql), "SELECT city, count(*) FROM \"%s\" WHERE @F GROUP BY city", table);
	if ((err = prepf(q, &st, sql, "city")) < 0)
		return err;
	while ((err = step(q, st)) > 0) {
		json_t *c = row_city(q, st, 0);
		if (c)
			report_add_int(c, key, sqlite3_column_int64(st, 1));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

static int fig_stakeholder_kinds(store_report *q)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(q, &st, "SELECT city, kind, count(*) FROM stakeholders WHERE @F GROUP BY city, kind ORDER BY city, kind",
	                 "city")) < 0)
		return err;
	while ((err = step(q, st)) > 0) {
		json_t *c = row_city(q, st, 0);
		const char *k = (const char *)sqlite3_column_text(st, 1);
		if (c)
			report_add_int(json_object_get(c, "stakeholders_by_kind"), k ? k : "unspecified", sqlite3_column_int64(st, 2));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

/* Actions: counts, budgets and people reached, by status. */
static int fig_actions(store_report *q)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(q, &st,
	                 "SELECT city, CASE WHEN status IN ('proposed', 'approved', 'ongoing', 'completed', 'cancelled') "
	                 "THEN status ELSE 'other' END AS s, count(*), sum(budget_eur), sum(cofunding_eur), "
	                 "sum(people_reached_female), sum(people_reached_male) FROM actions WHERE @F GROUP BY city, s",
	                 "city")) < 0)
		return err;
	static const char *const sums[] = {"actions", "budget_eur", "cofunding_eur", "people_reached_female",
	                                   "people_reached_male"};
	while ((err = step(q, st)) > 0) {
		json_t *c = row_city(q, st, 0);
		if (!c)
			continue;
		report_add_int(json_object_get(c, "actions_by_status"), (const char *)sqlite3_column_text(st, 1),
		        sqlite3_column_int64(st, 2));
		for (int i = 0; i < 5; i++)
			report_add_int(c, sums[i], sqlite3_column_int64(st, 2 + i));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

/* SDGs and objectives, in one pass over the actions (through the covering
 * index of schema 13, not the rows): the targets addressed with the budget
 * and the actions under each, the goals likewise (an action counts once
 * under a goal, however many of its targets the goal holds), the
 * objectives. The sets are read here rather than by json_each in SQL: that
 * would take one pass per figure and a sort to count an action once per
 * goal. */
static int fig_sdgs(store_report *q)
{
	sqlite3_stmt *st;
	int err;
	json_t *acc = json_object(); /* {slug: {"t": {target: tally}, "g": {goal: tally}, "o": {objective: true}}} */
	json_t *cur = NULL;
	char *cur_slug = NULL;
	if ((err = prepf(q, &st, "SELECT city, budget_eur, sdg_targets, objectives FROM actions WHERE @F", "city")) < 0) {
		json_decref(acc);
		return err;
	}
	while ((err = step(q, st)) > 0) {
		const char *slug = (const char *)sqlite3_column_text(st, 0);
		if (!slug || !json_object_get(q->by_city, slug))
			continue;
		if (!cur_slug || strcmp(cur_slug, slug)) { /* rows come city by city, through the index */
			free(cur_slug);
			if (!(cur_slug = strdup(slug))) {
				sqlite3_finalize(st);
				err = ERR_OOM();
				break;
			}
			if (!(cur = json_object_get(acc, slug))) {
				cur = json_pack("{s:{},s:{},s:{}}", "t", "g", "o");
				json_object_set_new(acc, slug, cur);
			}
		}
		long long budget = sqlite3_column_int64(st, 1);
		json_t *targets = report_set_elems((const char *)sqlite3_column_text(st, 2)),
		       *objectives = report_set_elems((const char *)sqlite3_column_text(st, 3));
		size_t i;
		json_t *e;
		json_array_foreach(targets, i, e)
		{
			if (!json_is_string(e) || !report_first_of(targets, i))
				continue;
			const char *t = json_string_value(e);
			report_tally(json_object_get(cur, "t"), t, budget);
			long long g = report_goal_of(t);
			int seen = 0;
			for (size_t k = 0; k < i && !seen; k++)
				seen = json_is_string(json_array_get(targets, k)) &&
				       report_goal_of(json_string_value(json_array_get(targets, k))) == g;
			if (g > 0 && !seen) {
				char gk[24];
				snprintf(gk, sizeof(gk), "%lld", g);
				report_tally(json_object_get(cur, "g"), gk, budget);
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
		json_t *c = json_object_get(q->by_city, slug), *tl = json_array(), *gl = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(cur, "t"), k, v) json_array_append_new(tl, json_string(k));
		report_sort_targets(tl);
		json_object_foreach(json_object_get(cur, "g"), k, v) json_array_append_new(gl, json_integer(strtoll(k, NULL, 10)));
		json_t *goals = report_sorted_array(gl, report_cmp_int);
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
				if (report_goal_of(json_string_value(t)) != json_integer_value(g))
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
		json_object_set_new(c, "objectives", report_sorted_array(ol, report_cmp_text));
		json_decref(ol);
	}
	json_decref(acc);
	return 0;
}

/* Records that hold an open conflict, per city: through the partial
 * indexes of schema 10 (the query repeats their term), so the cost is the
 * conflicts', not the records'. */
static int fig_conflicts(store_report *q)
{
	size_t nt;
	const table_def *t = store_tables(q->st, &nt);
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
		if ((err = prepf(q, &st, sql, "+city")) < 0)
			return err;
		while ((err = step(q, st)) > 0) {
			json_t *c = row_city(q, st, 0);
			if (c)
				report_add_int(c, "conflicts", sqlite3_column_int64(st, 1));
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
static int fig_list(store_report *q, const char *key, const char *const *names, int ncols, const char *sql, const char *col)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prepf(q, &st, sql, col)) < 0)
		return err;
	while ((err = step(q, st)) > 0) {
		json_t *c = row_city(q, st, 0);
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
static int fig_lists(store_report *q)
{
	int err;
	static const char *const pcols[] = {"id", "rank", "theme", "theme_name", "challenge", "proposed_action"};
	static const char *const acols[] = {"id",         "title",         "status",
	                                    "budget_eur", "cofunding_eur", "partners[]",
	                                    "people_reached_female", "people_reached_male", "sdg_targets[]",
	                                    "start_date", "end_date"};
	static const char *const ecols[] = {"event", "number", "host", "host_name", "month", "theme", "role", "participants"};
	if ((err = fig_list(q, "priority_list", pcols, 6,
	                    "SELECT p.city, p.id, p.rank, p.theme, t.name, p.challenge, p.proposed_action FROM priorities p "
	                    "LEFT JOIN themes t ON t.id = p.theme WHERE @F ORDER BY p.city, p.rank IS NULL, p.rank, p.id",
	                    "p.city")) < 0 ||
	    (err = fig_list(q, "action_list", acols, 11,
	                    "SELECT city, id, title, status, budget_eur, cofunding_eur, partners, people_reached_female, "
	                    "people_reached_male, sdg_targets, start_date, end_date FROM actions WHERE @F "
	                    "ORDER BY city, title, id",
	                    "city")) < 0 ||
	    (err = fig_list(q, "event_list", ecols, 8,
	                    "SELECT p.city, p.event, e.number, e.host, h.name, e.month, e.theme, p.role, p.participants "
	                    "FROM event_participation p LEFT JOIN events e ON e.id = p.event "
	                    "LEFT JOIN cities h ON h.id = e.host WHERE @F ORDER BY p.city, e.number IS NULL, e.number, p.event",
	                    "p.city")) < 0)
		return err;
	const char *slug;
	json_t *c;
	json_object_foreach(q->by_city, slug, c)
	{
		size_t ai;
		json_t *act;
		json_array_foreach(json_object_get(c, "action_list"), ai, act) report_sort_targets(json_object_get(act, "sdg_targets"));
	}
	return 0;
}

/* ----------------------------------------------------------- the report */

int store_report_init(store_report *q, store *st)
{
	size_t nt, len = 0;
	const table_def *t = store_tables(st, &nt);
	memset(q, 0, sizeof(*q));
	q->st = st;
	q->db = store_db(st);

	/* The cities that hold any record, from every city table. */
	FILE *m = open_memstream(&q->with_data, &len);
	if (!m)
		return ERR_OOM();
	int k = 0;
	for (size_t i = 0; i < nt; i++)
		if (t[i].city_scope && store_field(&t[i], "city"))
			fprintf(m, "%sSELECT city FROM \"%s\"", k++ ? " UNION " : "", t[i].name);
	if (!k)
		fputs("SELECT NULL AS city WHERE 0", m);
	fclose(m);
	/* Which of the cities in ?1 hold any record: one indexed look-up per
	 * city and table, where the union above reads every row. */
	if (!(m = open_memstream(&q->has_data, &len)))
		return ERR_OOM();
	fputs("SELECT c.value FROM json_each(?1) c WHERE 0", m);
	for (size_t i = 0; i < nt; i++)
		if (t[i].city_scope && store_field(&t[i], "city"))
			fprintf(m, " OR EXISTS (SELECT 1 FROM \"%s\" WHERE city = c.value)", t[i].name);
	fclose(m);

	/* The order of profile sections and the kinds of stakeholders, from the schema. */
	const table_def *ps = store_table(st, "profile_sections"), *sh = store_table(st, "stakeholders");
	const field_def *sec = ps ? store_field(ps, "section") : NULL, *kind = sh ? store_field(sh, "kind") : NULL;
	q->sections = sec;
	q->kinds = json_array();
	for (size_t i = 0; kind && i < kind->nallowed; i++)
		json_array_append_new(q->kinds, json_string(kind->allowed[i]));
	return 0;
}

void store_report_dispose(store_report *q)
{
	if (!q)
		return;
	json_decref(q->kinds);
	free(q->with_data);
	free(q->has_data);
	q->kinds = NULL;
	q->with_data = q->has_data = NULL;
}

int store_report_city_known(store_report *q, const char *slug, int *known)
{
	long long k = 0;
	char *sql = cat3("SELECT EXISTS (SELECT 1 FROM cities WHERE id = ?1) OR EXISTS (SELECT 1 FROM (", q->with_data,
	                 ") WHERE city = ?1)");
	int err;
	*known = 0;
	if (!sql)
		return ERR_OOM();
	err = q_ints(q, &k, 1, sql, slug, NULL);
	free(sql);
	*known = k != 0;
	return err;
}

int store_report_cities(store_report *q, json_t *slugs)
{
	char *sql = cat3("SELECT s FROM (SELECT id AS s FROM cities UNION SELECT city FROM (", q->with_data,
	                 ") WHERE city IS NOT NULL) LEFT JOIN cities c ON c.id = s ORDER BY coalesce(c.name, s), s");
	int err;
	if (!sql)
		return ERR_OOM();
	err = q_list(q, slugs, 0, sql, NULL, NULL, NULL);
	free(sql);
	return err;
}

int store_report_city_names(store_report *q, const char *slug, json_t *o)
{
	sqlite3_stmt *st;
	int err;
	if ((err = prep(q, &st, "SELECT name, country, region FROM cities WHERE id = ?1", slug, NULL, NULL)) < 0 ||
	    (err = step(q, st)) < 0)
		return err;
	for (int c = 0; c < 3; c++) {
		const char *s = err ? (const char *)sqlite3_column_text(st, c) : NULL;
		json_object_set_new(o, c == 0 ? "name" : c == 1 ? "country" : "region",
		                    s ? json_string(s) : c == 0 ? json_string(slug) : json_null());
	}
	sqlite3_finalize(st);
	return 0;
}

int store_report_figures(store_report *q)
{
	int err;
	if ((err = fig_profiles(q)) < 0 || (err = fig_count(q, "priorities", "priorities")) < 0 ||
	    (err = fig_count(q, "practices", "practices")) < 0 || (err = fig_count(q, "stakeholders", "stakeholders")) < 0 ||
	    (err = fig_count(q, "event_participation", "events")) < 0 ||
	    (err = fig_count(q, "migration_stats", "migration_stats")) < 0 || (err = fig_stakeholder_kinds(q)) < 0 ||
	    (err = fig_actions(q)) < 0 || (err = fig_sdgs(q)) < 0)
		return err;
	return 0;
}

int store_report_conflicts(store_report *q) { return fig_conflicts(q); }

int store_report_lists(store_report *q) { return fig_lists(q); }

int store_report_has_data(store_report *q, const json_t *slugs, long long *with)
{
	sqlite3_stmt *st;
	char *p = json_dumps(slugs, JSON_COMPACT);
	int err;
	*with = 0;
	if (!p)
		return ERR_OOM();
	if ((err = prep(q, &st, q->has_data, p, NULL, NULL)) < 0)
		goto done;
	while ((err = step(q, st)) > 0) {
		json_t *c = json_object_get(q->by_city, (const char *)sqlite3_column_text(st, 0));
		if (c && !json_is_true(json_object_get(c, "has_data"))) {
			json_object_set_new(c, "has_data", json_true());
			(*with)++;
		}
	}
	if (err == 0)
		sqlite3_finalize(st);
done:
	free(p);
	return err;
}

int store_report_sdgs(store_report *q, json_t *names, long long *total)
{
	sqlite3_stmt *st;
	int err;
	*total = 0;
	if ((err = q_ints(q, total, 1, "SELECT count(*) FROM sdgs", NULL, NULL)) < 0)
		return err;
	if ((err = prep(q, &st, "SELECT number, name FROM sdgs ORDER BY number", NULL, NULL, NULL)) < 0)
		return err;
	while ((err = step(q, st)) > 0) {
		char num[24];
		snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 0));
		if (sqlite3_column_text(st, 1))
			json_object_set_new(names, num, json_string((const char *)sqlite3_column_text(st, 1)));
	}
	if (err < 0)
		return err;
	sqlite3_finalize(st);
	return 0;
}

/* -------------------------------------------------------------- reviews */

int store_report_review_ids(store *st, const char *city, const char *status, json_t **out)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	json_t *ids = json_array();
	int rc, err = 0;
	*out = NULL;
	if (!ids)
		return ERR_OOM();
	rc = sqlite3_prepare_v2(db,
	                        "SELECT id FROM reviews WHERE (?1 IS NULL OR city = ?1) AND (?2 IS NULL OR status = ?2) "
	                        "ORDER BY city, record_table, record_id, id",
	                        -1, &q, NULL);
	if (rc == SQLITE_OK && city)
		rc = sqlite3_bind_text(q, 1, city, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && status)
		rc = sqlite3_bind_text(q, 2, status, -1, SQLITE_TRANSIENT);
	if (rc != SQLITE_OK) {
		err = err_sqlite(db, rc, "listing reviews");
		goto done;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (json_array_append_new(ids, json_string((const char *)sqlite3_column_text(q, 0))) < 0) {
			err = ERR_OOM();
			goto done;
		}
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing reviews");
done:
	sqlite3_finalize(q);
	if (err < 0) {
		json_decref(ids);
		return err;
	}
	*out = ids;
	return 0;
}
