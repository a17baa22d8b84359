/* report: an overview of one city or of the network, for people (text,
 * html) and for scripts (csv, json).
 *
 * Read-only. Everything is computed with SQL on the node's database: one
 * statement per figure, with the cities as a bound JSON array, so the same
 * queries give a city's figures ('["tangier"]') and the network totals (the
 * array of every city shown). Sets are read with json_each. The report is
 * first built as one JSON object (what --format json prints), and the other
 * formats are rendered from it, so every format says the same thing. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/cli.h"
#include "c2c/err.h"

static const char *const LANGS[] = {"ar", "en", "es", "fr"};
#define NLANGS (sizeof(LANGS) / sizeof(LANGS[0]))
static const char *const STATUSES[] = {"proposed", "approved", "ongoing", "completed", "cancelled"};
#define NSTATUSES (sizeof(STATUSES) / sizeof(STATUSES[0]))
static const char *const REVIEW[] = {"draft", "submitted", "validated"};
#define NREVIEW (sizeof(REVIEW) / sizeof(REVIEW[0]))

enum { F_TEXT, F_CSV, F_JSON, F_HTML };

/* "city is one of the cities in the JSON array ?1" */
#define IN_SET "city IN (SELECT value FROM json_each(?1))"
/* The text elements of a set column (a JSON array), tolerating a bad one. */
#define SET_OF(col) "json_each(CASE WHEN json_valid(a." col ") THEN a." col " ELSE '[]' END) j"

typedef struct {
	sqlite3 *db;
	char *with_data;    /* SELECT city FROM t1 UNION SELECT city FROM t2 ...: cities with any record */
	char *section_rank; /* ",overview,migration_data,...,": the order of profile sections */
	json_t *kinds;      /* allowed stakeholder kinds */
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

/* The figures of the cities in SET (a JSON array of slugs) into O. PER_CITY
 * adds what only makes sense for one city: the lists of profile sections
 * and the list of actions. */
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
	                  " AND j.type = 'text' ORDER BY 1",
	                  set, NULL, NULL)) < 0 ||
	    (err = q_list(r, goals, 1,
	                  "SELECT DISTINCT g FROM (SELECT CAST(CASE WHEN instr(j.value, '.') > 0 "
	                  "THEN substr(j.value, 1, instr(j.value, '.') - 1) ELSE j.value END AS INTEGER) AS g "
	                  "FROM actions a, " SET_OF("sdg_targets") " WHERE a." IN_SET " AND j.type = 'text') "
	                  "WHERE g > 0 ORDER BY g",
	                  set, NULL, NULL)) < 0 ||
	    (err = q_list(r, objectives, 0,
	                  "SELECT DISTINCT j.value FROM actions a, " SET_OF("objectives") " WHERE a." IN_SET
	                  " AND j.type = 'text' ORDER BY 1",
	                  set, NULL, NULL)) < 0)
		return err;

	if (per_city) {
		sqlite3_stmt *st;
		json_t *list = json_array();
		json_object_set_new(o, "action_list", list);
		if ((err = prep(r, &st,
		                "SELECT id, title, status, budget_eur FROM actions WHERE " IN_SET " ORDER BY title, id",
		                set, NULL, NULL)) < 0)
			return err;
		while ((err = step(r, st)) > 0) {
			json_t *a = json_object();
			json_object_set_new(a, "id", json_string((const char *)sqlite3_column_text(st, 0)));
			for (int c = 1; c <= 2; c++) {
				const char *s = (const char *)sqlite3_column_text(st, c);
				json_object_set_new(a, c == 1 ? "title" : "status", s ? json_string(s) : json_null());
			}
			json_object_set_new(a, "budget_eur",
			                    sqlite3_column_type(st, 3) == SQLITE_NULL
			                        ? json_null()
			                        : json_integer((json_int_t)sqlite3_column_int64(st, 3)));
			json_array_append_new(list, a);
		}
		if (err < 0)
			return err;
		sqlite3_finalize(st);
	}
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
	if (!(sql = cat3("SELECT count(*) FROM (", r->with_data, ") WHERE " IN_SET))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = q_ints(r, &has, 1, sql, set, NULL)) < 0)
		goto out;
	json_object_set_new(o, "has_data", json_boolean(has));
	err = stats(r, set, 1, o);
out:
	free(sql);
	free(set);
	return err;
}

/* ------------------------------------------------------------- rendering */

static long long gi(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *gs(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Text with control characters shown as spaces (a title is one line). */
static void put_plain(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

static void put_html(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* The elements of a JSON array of strings or integers, joined by SEP,
 * through PUT (plain or HTML-escaped). */
static void put_list(FILE *f, const json_t *a, const char *sep, void (*put)(FILE *, const char *))
{
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
	{
		if (i)
			fputs(sep, f);
		if (json_is_integer(e))
			fprintf(f, "%lld", (long long)json_integer_value(e));
		else
			put(f, json_string_value(e) ? json_string_value(e) : "");
	}
}

/* "proposed 0, approved 0, ..." for actions by status (other only when some). */
static void put_statuses(FILE *f, const json_t *by)
{
	for (size_t i = 0; i < NSTATUSES; i++)
		fprintf(f, "%s%s %lld", i ? ", " : "", STATUSES[i], gi(by, STATUSES[i]));
	if (gi(by, "other"))
		fprintf(f, ", other %lld", gi(by, "other"));
}

static void put_kinds(FILE *f, const json_t *kinds, void (*put)(FILE *, const char *))
{
	const char *k;
	json_t *v;
	int first = 1;
	json_object_foreach((json_t *)kinds, k, v)
	{
		if (!json_integer_value(v))
			continue;
		fputs(first ? "" : ", ", f);
		put(f, k);
		fprintf(f, " %lld", (long long)json_integer_value(v));
		first = 0;
	}
}

static void t_num(FILE *f, const char *label, long long v)
{
	fprintf(f, "  %-18s %9lld", label, v);
}

static void text_figures(FILE *f, const json_t *o, int totals)
{
	const json_t *prof = json_object_get(o, "profile_sections");
	if (totals) {
		fprintf(f, "  %-18s ", "profile sections");
		for (size_t i = 0; i < NLANGS; i++)
			fprintf(f, "%s%s %lld", i ? ", " : "", LANGS[i], gi(json_object_get(prof, LANGS[i]), "count"));
		fputc('\n', f);
	} else {
		fprintf(f, "  profile sections\n");
		for (size_t i = 0; i < NLANGS; i++) {
			const json_t *l = json_object_get(prof, LANGS[i]);
			fprintf(f, "    %-16s %9lld", LANGS[i], gi(l, "count"));
			if (gi(l, "count")) {
				fprintf(f, "   draft %lld, submitted %lld, validated %lld: ", gi(l, "draft"), gi(l, "submitted"),
				        gi(l, "validated"));
				put_list(f, json_object_get(l, "sections"), ", ", put_plain);
			}
			fputc('\n', f);
		}
		t_num(f, "priorities", gi(o, "priorities"));
		fputc('\n', f);
	}
	t_num(f, "stakeholders", gi(o, "stakeholders"));
	if (gi(o, "stakeholders")) {
		fputs("   ", f);
		put_kinds(f, json_object_get(o, "stakeholders_by_kind"), put_plain);
	}
	fputc('\n', f);
	t_num(f, "actions", gi(o, "actions"));
	fputs("   ", f);
	put_statuses(f, json_object_get(o, "actions_by_status"));
	fputc('\n', f);
	t_num(f, "budget_eur", gi(o, "budget_eur"));
	fputc('\n', f);
	t_num(f, "cofunding_eur", gi(o, "cofunding_eur"));
	fputc('\n', f);
	t_num(f, "people reached", gi(o, "people_reached_female") + gi(o, "people_reached_male"));
	fprintf(f, "   female %lld, male %lld\n", gi(o, "people_reached_female"), gi(o, "people_reached_male"));
	const json_t *goals = json_object_get(o, "sdgs"), *targets = json_object_get(o, "sdg_targets"),
	             *obj = json_object_get(o, "objectives");
	if (totals) {
		char of[64];
		snprintf(of, sizeof(of), "%zu of %lld", json_array_size(goals), gi(o, "sdgs_total"));
		fprintf(f, "  %-18s %9s", "SDGs covered", of);
	} else
		t_num(f, "SDGs", (long long)json_array_size(goals));
	fputs(json_array_size(goals) ? "   " : "", f);
	put_list(f, goals, ", ", put_plain);
	fputc('\n', f);
	t_num(f, "SDG targets", (long long)json_array_size(targets));
	fputs(json_array_size(targets) ? "   " : "", f);
	put_list(f, targets, ", ", put_plain);
	fputc('\n', f);
	t_num(f, "call objectives", (long long)json_array_size(obj));
	fputs(json_array_size(obj) ? "   " : "", f);
	put_list(f, obj, ", ", put_plain);
	fputc('\n', f);
	t_num(f, "events", gi(o, "events"));
	fputc('\n', f);
	t_num(f, "migration stats", gi(o, "migration_stats"));
	fputc('\n', f);
	t_num(f, "practices", gi(o, "practices"));
	fputc('\n', f);
}

static void render_text(FILE *f, const json_t *rp)
{
	const json_t *cities = json_object_get(rp, "cities"), *tot = json_object_get(rp, "totals");
	size_t i;
	json_t *c;
	fprintf(f, "MC2CM report\n  %-18s %s (%s%s%s)\n  %-18s %s\n", "node", gs(rp, "node_id"), gs(rp, "role"),
	        json_is_string(json_object_get(rp, "city")) ? " node of " : " node", gs(rp, "city"), "head",
	        gs(rp, "head"));
	if (!json_array_size(cities))
		fprintf(f, "\nNo city has data yet.\n");
	json_array_foreach(cities, i, c)
	{
		fputc('\n', f);
		put_plain(f, gs(c, "name"));
		if (*gs(c, "country")) {
			fputs(", ", f);
			put_plain(f, gs(c, "country"));
		}
		fprintf(f, " (%s)%s\n", gs(c, "city"), json_is_true(json_object_get(c, "has_data")) ? "" : ": no data yet");
		text_figures(f, c, 0);
		const json_t *list = json_object_get(c, "action_list");
		size_t k;
		json_t *a;
		if (json_array_size(list))
			fprintf(f, "  action list\n");
		json_array_foreach(list, k, a)
		{
			fprintf(f, "    %-14s", json_is_string(json_object_get(a, "status")) ? gs(a, "status") : "-");
			if (json_is_integer(json_object_get(a, "budget_eur")))
				fprintf(f, " %9lld   ", gi(a, "budget_eur"));
			else
				fprintf(f, " %9s   ", "-");
			put_plain(f, gs(a, "title"));
			fputc('\n', f);
		}
	}
	fprintf(f, "\nNetwork totals\n");
	t_num(f, "cities with data", gi(tot, "cities"));
	fputc('\n', f);
	text_figures(f, tot, 1);
}

/* One CSV field (RFC 4180): quoted when FORCE or when it holds , " CR LF. */
static void csv_cell(FILE *f, const char *s, int force, int last)
{
	if (force || strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
	fputs(last ? "\r\n" : ",", f);
}

static void csv_row(FILE *f, const json_t *o, const char *city, const char *country)
{
	const json_t *prof = json_object_get(o, "profile_sections"), *by = json_object_get(o, "actions_by_status");
	char num[32], *targets = NULL;
	size_t tlen = 0;
	csv_cell(f, city, 0, 0);
	csv_cell(f, country, 0, 0);
	for (size_t i = 0; i < NLANGS; i++) {
		snprintf(num, sizeof(num), "%lld", gi(json_object_get(prof, LANGS[i]), "count"));
		csv_cell(f, num, 0, 0);
	}
	long long ints[] = {gi(o, "actions"),       gi(by, "proposed"),
	                    gi(by, "approved"),     gi(by, "ongoing"),
	                    gi(by, "completed"),    gi(by, "cancelled"),
	                    gi(o, "budget_eur"),    gi(o, "cofunding_eur"),
	                    gi(o, "people_reached_female"), gi(o, "people_reached_male")};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		snprintf(num, sizeof(num), "%lld", ints[i]);
		csv_cell(f, num, 0, 0);
	}
	FILE *m = open_memstream(&targets, &tlen);
	if (m) {
		put_list(m, json_object_get(o, "sdg_targets"), ",", put_plain);
		fclose(m);
	}
	csv_cell(f, targets ? targets : "", 1, 0);
	free(targets);
	snprintf(num, sizeof(num), "%lld", gi(o, "stakeholders"));
	csv_cell(f, num, 0, 0);
	snprintf(num, sizeof(num), "%lld", gi(o, "events"));
	csv_cell(f, num, 0, 1);
}

static void render_csv(FILE *f, const json_t *rp)
{
	size_t i;
	json_t *c;
	fputs("city,country,sections_ar,sections_en,sections_es,sections_fr,actions,proposed,approved,ongoing,"
	      "completed,cancelled,budget_eur,cofunding_eur,people_reached_female,people_reached_male,sdg_targets,"
	      "stakeholders,events\r\n",
	      f);
	json_array_foreach(json_object_get(rp, "cities"), i, c) csv_row(f, c, gs(c, "city"), gs(c, "country"));
	csv_row(f, json_object_get(rp, "totals"), "TOTAL", "");
}

static void h_row_num(FILE *f, const char *label, long long v)
{
	fprintf(f, "<tr><th>%s</th><td class=\"n\">%lld</td><td></td></tr>\n", label, v);
}

static void h_row_list(FILE *f, const char *label, const json_t *a)
{
	fprintf(f, "<tr><th>%s</th><td class=\"n\">%zu</td><td dir=\"auto\">", label, json_array_size(a));
	put_list(f, a, ", ", put_html);
	fputs("</td></tr>\n", f);
}

static void html_figures(FILE *f, const json_t *o, int totals)
{
	const json_t *prof = json_object_get(o, "profile_sections");
	fputs("<table class=\"fig\"><tbody>\n", f);
	if (totals)
		h_row_num(f, "cities with data", gi(o, "cities"));
	else
		h_row_num(f, "priorities", gi(o, "priorities"));
	fprintf(f, "<tr><th>stakeholders</th><td class=\"n\">%lld</td><td dir=\"auto\">", gi(o, "stakeholders"));
	put_kinds(f, json_object_get(o, "stakeholders_by_kind"), put_html);
	fprintf(f, "</td></tr>\n<tr><th>actions</th><td class=\"n\">%lld</td><td>", gi(o, "actions"));
	put_statuses(f, json_object_get(o, "actions_by_status"));
	fputs("</td></tr>\n", f);
	h_row_num(f, "budget (EUR)", gi(o, "budget_eur"));
	h_row_num(f, "co-funding (EUR)", gi(o, "cofunding_eur"));
	fprintf(f, "<tr><th>people reached</th><td class=\"n\">%lld</td><td>female %lld, male %lld</td></tr>\n",
	        gi(o, "people_reached_female") + gi(o, "people_reached_male"), gi(o, "people_reached_female"),
	        gi(o, "people_reached_male"));
	const json_t *goals = json_object_get(o, "sdgs");
	fprintf(f, "<tr><th>SDGs covered</th><td class=\"n\">%zu", json_array_size(goals));
	if (totals)
		fprintf(f, " of %lld", gi(o, "sdgs_total"));
	fputs("</td><td dir=\"auto\">", f);
	put_list(f, goals, ", ", put_html);
	fprintf(f, "</td></tr>\n<tr><th>SDG targets</th><td class=\"n\">%zu</td><td dir=\"auto\">",
	        json_array_size(json_object_get(o, "sdg_targets")));
	put_list(f, json_object_get(o, "sdg_targets"), ", ", put_html);
	fputs("</td></tr>\n", f);
	h_row_list(f, "call objectives", json_object_get(o, "objectives"));
	h_row_num(f, "events", gi(o, "events"));
	h_row_num(f, "migration figures", gi(o, "migration_stats"));
	h_row_num(f, "practices", gi(o, "practices"));
	fputs("</tbody></table>\n", f);

	fputs("<table><thead><tr><th>language</th><th>sections</th><th>draft</th><th>submitted</th>"
	      "<th>validated</th>",
	      f);
	fputs(totals ? "</tr></thead><tbody>\n" : "<th>present</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < NLANGS; i++) {
		const json_t *l = json_object_get(prof, LANGS[i]);
		fprintf(f, "<tr><th>%s</th><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
		           "<td class=\"n\">%lld</td>",
		        LANGS[i], gi(l, "count"), gi(l, "draft"), gi(l, "submitted"), gi(l, "validated"));
		if (!totals) {
			fputs("<td dir=\"auto\">", f);
			put_list(f, json_object_get(l, "sections"), ", ", put_html);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void render_html(FILE *f, const json_t *rp)
{
	size_t i;
	json_t *c;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>MC2CM report: ",
	      f);
	put_html(f, gs(rp, "node_id"));
	fputs("</title>\n<style>\n"
	      "body{font-family:system-ui,-apple-system,\"Segoe UI\",\"Noto Sans\",\"Noto Sans Arabic\",sans-serif;"
	      "margin:2em auto;max-width:64em;padding:0 1em;color:#1b1b1b;line-height:1.4}\n"
	      "h1{font-size:1.6em;margin-bottom:.2em}h2{margin:1.6em 0 .3em;border-bottom:2px solid #2a6f97}\n"
	      "h3{font-size:1em;margin:1em 0 .3em}\n"
	      ".meta{color:#555;font-size:.9em}code{font-size:.95em}\n"
	      "table{border-collapse:collapse;margin:.4em 0 1em}\n"
	      "th,td{border:1px solid #c8c8c8;padding:.25em .6em;text-align:start;vertical-align:top}\n"
	      "thead th,tbody th{background:#eef3f6;font-weight:600}\n"
	      "td.n{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	      "</style>\n</head>\n<body>\n<h1>MC2CM report</h1>\n<p class=\"meta\">node <code>",
	      f);
	put_html(f, gs(rp, "node_id"));
	fputs("</code> (", f);
	put_html(f, gs(rp, "role"));
	fputs(") &middot; head <code>", f);
	put_html(f, gs(rp, "head"));
	fputs("</code></p>\n", f);
	if (!json_array_size(json_object_get(rp, "cities")))
		fputs("<p>No city has data yet.</p>\n", f);
	json_array_foreach(json_object_get(rp, "cities"), i, c)
	{
		fputs("<section>\n<h2 dir=\"auto\">", f);
		put_html(f, gs(c, "name"));
		fputs("</h2>\n<p class=\"meta\" dir=\"auto\">", f);
		if (*gs(c, "country")) {
			put_html(f, gs(c, "country"));
			fputs(" &middot; ", f);
		}
		put_html(f, gs(c, "city"));
		if (!json_is_true(json_object_get(c, "has_data")))
			fputs(" &middot; no data yet", f);
		fputs("</p>\n", f);
		html_figures(f, c, 0);
		const json_t *list = json_object_get(c, "action_list");
		size_t k;
		json_t *a;
		if (json_array_size(list))
			fputs("<h3>Targeted City Actions</h3>\n<table><thead><tr><th>title</th><th>status</th>"
			      "<th>budget (EUR)</th></tr></thead><tbody>\n",
			      f);
		json_array_foreach(list, k, a)
		{
			fputs("<tr><td dir=\"auto\">", f);
			put_html(f, gs(a, "title"));
			fputs("</td><td dir=\"auto\">", f);
			put_html(f, gs(a, "status"));
			if (json_is_integer(json_object_get(a, "budget_eur")))
				fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n", gi(a, "budget_eur"));
			else
				fputs("</td><td class=\"n\"></td></tr>\n", f);
		}
		if (json_array_size(list))
			fputs("</tbody></table>\n", f);
		fputs("</section>\n", f);
	}
	fputs("<section>\n<h2>Network totals</h2>\n", f);
	html_figures(f, json_object_get(rp, "totals"), 1);
	fputs("</section>\n</body>\n</html>\n", f);
}

/* --------------------------------------------------------------- command */

static int build(rep *r, c2c_node *n, const char *only, json_t *rp)
{
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
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

	/* The order of profile sections and the kinds of stakeholders, from the schema. */
	const table_def *ps = store_table(n->st, "profile_sections"), *sh = store_table(n->st, "stakeholders");
	const field_def *sec = ps ? store_field(ps, "section") : NULL, *kind = sh ? store_field(sh, "kind") : NULL;
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

	/* Which cities: --city, else the node's city, else every city with data. */
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
		if (!(sql = cat3("SELECT city FROM (", r->with_data, ") WHERE city IS NOT NULL ORDER BY city"))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto out;
		}
		if ((err = q_list(r, slugs, 0, sql, NULL, NULL, NULL)) < 0)
			goto out;
	}
	for (size_t i = 0; i < json_array_size(slugs); i++)
		if ((err = city_report(r, json_string_value(json_array_get(slugs, i)), cities)) < 0)
			goto out;

	/* Totals over the cities shown. */
	if (!(p = json_dumps(slugs, JSON_COMPACT))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto out;
	}
	free(sql);
	if (!(sql = cat3("SELECT count(*) FROM (", r->with_data, ") WHERE " IN_SET))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = q_int(r, sql, p, totals, "cities")) < 0 || (err = stats(r, p, 0, totals)) < 0)
		goto out;
	long long nsdgs = 0;
	if ((err = q_ints(r, &nsdgs, 1, "SELECT count(*) FROM sdgs", NULL, NULL)) < 0)
		goto out;
	json_object_set_new(totals, "sdgs_total", json_integer(nsdgs ? nsdgs : 17));
	json_object_set_new(totals, "sdgs_covered", json_integer((json_int_t)json_array_size(json_object_get(totals, "sdgs"))));
out:
	free(p);
	free(sql);
	json_decref(slugs);
	return err;
}

static int cmd_report_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *format = NULL, *only = NULL, *out = NULL, *o2 = NULL;
	int err, fmt = F_TEXT;
	if ((err = cli_take_opt(ctx, "--format", &format)) < 0 || (err = cli_take_opt(ctx, "--city", &only)) < 0 ||
	    (err = cli_take_opt(ctx, "-o", &out)) < 0 || (err = cli_take_opt(ctx, "--output", &o2)) < 0)
		return err;
	if (o2)
		out = o2;
	if ((err = cli_positionals(ctx, 0, 0)) < 0)
		return err;
	if (format) {
		static const char *const names[] = {"text", "csv", "json", "html"};
		for (fmt = 0; fmt < 4 && strcmp(format, names[fmt]); fmt++)
			;
		if (fmt == 4) {
			err_set(C2C_EUSAGE, "unknown format '%s'", format);
			return err_hint("use --format text, csv, json or html");
		}
		if (ctx->json && fmt != F_JSON) {
			err_set(C2C_EUSAGE, "--json and --format %s ask for different formats", format);
			return err_hint("give one of them");
		}
	} else if (ctx->json)
		fmt = F_JSON;
	if (only && !*only)
		return err_set(C2C_EUSAGE, "--city needs a city slug");

	rep r = {store_db(n->st), NULL, NULL, NULL};
	char head[GIT_OID_HEXSZ + 1];
	git_oid_tostr(head, sizeof(head), &n->head);
	json_t *rp = json_pack("{s:s,s:s,s:s,s:s?}", "node_id", n->node_id, "head", head, "role", n->role, "city",
	                       n->city);
	if (!rp)
		return err_set(C2C_ENOMEM, "out of memory");
	if ((err = build(&r, n, only, rp)) < 0)
		goto done;

	FILE *f = stdout;
	char *tmp = NULL;
	if (out && strcmp(out, "-")) {
		if (!(tmp = cat3(out, ".tmp", ""))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		if (!(f = fopen(tmp, "w"))) {
			err = err_set(C2C_EIO, "cannot write %s: %s", tmp, strerror(errno));
			err_hint("check that the directory exists and is writable");
			free(tmp);
			goto done;
		}
	}
	switch (fmt) {
	case F_JSON:
		json_dumpf(rp, f, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', f);
		break;
	case F_CSV: render_csv(f, rp); break;
	case F_HTML: render_html(f, rp); break;
	default: render_text(f, rp);
	}
	if (tmp) {
		int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
		int saved = errno;
		bad = fclose(f) != 0 || bad;
		if (!bad && rename(tmp, out) != 0) {
			bad = 1;
			saved = errno;
		}
		if (bad) {
			err = err_set(C2C_EIO, "cannot write %s: %s", out, strerror(saved));
			unlink(tmp);
		}
		free(tmp);
	}
done:
	json_decref(rp);
	json_decref(r.kinds);
	free(r.with_data);
	free(r.section_rank);
	return err;
}

const cli_command cmd_report = {
    "report", cmd_report_fn, CLI_READ, "network or city overview",
    "c2c report [--format text|csv|json|html] [--city SLUG] [-o FILE]",
    "An overview of the data, for the city on a city node and for every city\n"
    "that has any record on the office: profile sections by language and their\n"
    "review status, priorities, stakeholders by kind, Targeted City Actions by\n"
    "status with budget, co-funding, people reached, SDGs and SDG targets and\n"
    "call objectives covered, peer-learning events and migration figures; then\n"
    "the totals over the cities shown (\"SDGs covered: N of 17\"). The header\n"
    "names the node and its head commit, so that a report can be traced to the\n"
    "history it was made from. Nothing is written to the node.\n\n"
    "  --format text   aligned text for reading (the default)\n"
    "  --format csv    one row per city and a TOTAL row (RFC 4180; sets in one\n"
    "                  quoted cell, comma-separated)\n"
    "  --format json   {node_id, head, cities: [...], totals: {...}}; same as --json\n"
    "  --format html   one self-contained page (no scripts) to print or mail\n"
    "  --city SLUG     only this city (any city of the network)\n"
    "  -o FILE         write to FILE (replaced whole, never half-written)\n\n"
    "  c2c report\n"
    "  c2c -C office report --format html -o mc2cm-report.html\n"
    "  c2c report --city sfax --format csv\n"};
