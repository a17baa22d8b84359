/* office: the report of the network or of one city (office.h): which
 * cities it lists, and the one JSON object it assembles for them.
 *
 * Read-only. The figures come from the store's reporting queries
 * (store_report.c), one grouped statement per figure; with --at from a
 * store rebuilt in memory from the tree of a past commit (office_history.c),
 * so the same queries answer for that day. The network totals are the sums
 * of the cities' figures. Every rendering (office_render.c) is made from
 * the object alone. */
#include "c2c/office.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/office_history.h"
#include "c2c/report_model.h"
#include "c2c/review.h"
#include "c2c/store_report.h"

typedef struct {
	store_report q; /* the queries; q.one: the one city listed (--city, a city's node), or NULL: the network;
	                 * q.by_city: {slug: that city's object of the report} */
	json_t *last;   /* {city: unix time of its last change} */
	int no_lists;   /* leave out the per-city lists of records */
} rep;

/* The office's reviews of the cities' records: counted, and listed per city. */
static int fig_reviews(rep *r)
{
	json_t *rl = NULL, *e;
	size_t i;
	int err;
	if ((err = review_list(r->q.st, r->q.one, NULL, &rl)) < 0)
		return err;
	json_array_foreach(rl, i, e)
	{
		const char *slug = json_string_value(json_object_get(e, "city"));
		json_t *c = slug ? json_object_get(r->q.by_city, slug) : NULL;
		if (!c)
			continue;
		json_t *reviews = json_object_get(c, "reviews");
		const char *key = json_is_true(json_object_get(e, "out_of_date"))
		                      ? "out_of_date"
		                      : json_string_value(json_object_get(e, "status"));
		if (key && json_object_get(reviews, key))
			report_add_int(reviews, key, 1);
		json_array_append(json_object_get(c, "review_list"), e);
	}
	json_decref(rl);
	return 0;
}

/* Every figure of every listed city (r->q.by_city), in a few grouped queries. */
static int city_figures(rep *r)
{
	int err;
	if ((err = store_report_figures(&r->q)) < 0 || (err = fig_reviews(r)) < 0 || (err = store_report_conflicts(&r->q)) < 0)
		return err;
	if (!r->no_lists && (err = store_report_lists(&r->q)) < 0)
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
	return report_cmp_target(&a, &b);
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
	json_object_foreach(r->q.by_city, slug, c)
	{
		for (size_t x = 0; x < sizeof(ints) / sizeof(ints[0]); x++)
			report_add_int(tot, ints[x], json_integer_value(json_object_get(c, ints[x])));
		for (size_t x = 0; x < sizeof(objs) / sizeof(objs[0]); x++)
			json_object_foreach(json_object_get(c, objs[x]), k, v) report_add_int(json_object_get(tot, objs[x]), k,
			                                                                json_integer_value(v));
		for (size_t l = 0; l < REPORT_NLANGS; l++) {
			json_t *from = json_object_get(json_object_get(c, "profile_sections"), REPORT_LANGS[l]),
			       *to = json_object_get(json_object_get(tot, "profile_sections"), REPORT_LANGS[l]);
			report_add_int(to, "count", json_integer_value(json_object_get(from, "count")));
			for (size_t s = 0; s < REPORT_NREVIEW; s++)
				report_add_int(to, REPORT_REVIEW[s], json_integer_value(json_object_get(from, REPORT_REVIEW[s])));
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
			report_add_int(g, "budget_eur", json_integer_value(json_object_get(v, "budget_eur")));
			report_add_int(g, "actions", json_integer_value(json_object_get(v, "actions")));
			json_t *t;
			json_array_foreach(json_object_get(v, "targets"), j, t)
			{
				const char *tk = json_string_value(json_object_get(t, "target"));
				json_t *te = json_object_get(json_object_get(g, "targets"), tk);
				if (!te) {
					te = json_pack("{s:s,s:i,s:i}", "target", tk, "budget_eur", 0, "actions", 0);
					json_object_set_new(json_object_get(g, "targets"), tk, te);
				}
				report_add_int(te, "budget_eur", json_integer_value(json_object_get(t, "budget_eur")));
				report_add_int(te, "actions", json_integer_value(json_object_get(t, "actions")));
			}
		}
	}
	json_object_set_new(tot, "sdg_targets", report_sorted_values(targets, report_cmp_target));
	json_object_set_new(tot, "sdgs", report_sorted_values(goals, report_cmp_int));
	json_object_set_new(tot, "objectives", report_sorted_values(objectives, report_cmp_text));
	json_t *bl = report_sorted_values(budget, cmp_goal);
	json_array_foreach(bl, i, v) json_object_set_new(v, "targets", report_sorted_values(json_object_get(v, "targets"), cmp_target_entry));
	json_object_set_new(tot, "budget_by_sdg", bl);
	json_decref(targets);
	json_decref(goals);
	json_decref(objectives);
	json_decref(budget);
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
	json_t *o = json_object();
	int err;
	json_array_append_new(cities, o);
	json_object_set_new(r->q.by_city, slug, json_incref(o));
	json_object_set_new(o, "city", json_string(slug));
	if ((err = store_report_city_names(&r->q, slug, o)) < 0)
		return err;
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
	json_t *f = report_figures_new(r->q.kinds, r->q.sections, 1, r->no_lists);
	json_object_update(o, f);
	json_decref(f);
	return 0;
}

/* --------------------------------------------------------------- report */

static int build(rep *r, c2c_node *n, store *st, const char *only, json_t *rp)
{
	int err = 0;
	json_t *slugs = json_array(), *cities = json_array(), *totals = NULL;
	json_object_set_new(rp, "cities", cities);
	if ((err = store_report_init(&r->q, st)) < 0) {
		json_decref(slugs);
		return err;
	}
	r->q.by_city = json_object();

	/* Which cities: --city, else the node's city, else every city of the
	 * network (those of the registry and any other with data), by name. */
	if (only) {
		int known = 0;
		if ((err = store_report_city_known(&r->q, only, &known)) < 0)
			goto out;
		if (!known) {
			err_set(C2C_ENOTFOUND, "no city '%s' in the network", only);
			err = err_hint("run 'c2c ls cities' to see the city slugs");
			goto out;
		}
		json_array_append_new(slugs, json_string(only));
	} else if (n->city) {
		json_array_append_new(slugs, json_string(n->city));
	} else if ((err = store_report_cities(&r->q, slugs)) < 0)
		goto out;
	r->q.one = json_array_size(slugs) == 1 ? json_string_value(json_array_get(slugs, 0)) : NULL;
	for (size_t i = 0; i < json_array_size(slugs); i++)
		if ((err = city_new(r, json_string_value(json_array_get(slugs, i)), cities)) < 0)
			goto out;
	if ((err = city_figures(r)) < 0)
		goto out;

	/* Totals over the cities listed: the sums of their figures. */
	totals = report_figures_new(r->q.kinds, r->q.sections, 0, r->no_lists);
	json_object_set_new(rp, "totals", totals);
	totals_of(r, totals);
	long long with = 0, nsdgs = 0;
	if ((err = store_report_has_data(&r->q, slugs, &with)) < 0)
		goto out;
	json_object_set_new(totals, "cities", json_integer((json_int_t)with));
	json_object_set_new(totals, "cities_listed", json_integer((json_int_t)json_array_size(slugs)));
	/* The names of the SDGs, for the renderings. */
	json_t *names = json_object();
	if ((err = store_report_sdgs(&r->q, names, &nsdgs)) < 0) {
		json_decref(names);
		goto out;
	}
	json_object_set_new(totals, "sdgs_total", json_integer(nsdgs ? nsdgs : 17));
	json_object_set_new(totals, "sdgs_covered", json_integer((json_int_t)json_array_size(json_object_get(totals, "sdgs"))));
	json_object_set_new(rp, "sdg_names", names);
out:
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
		if ((err = office_history_resolve_at(n, opts->at, &commit)) < 0 ||
		    (err = office_history_store_at(n, &commit, &at_store)) < 0)
			return err;
	}
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
		err = ERR_OOM();
		goto done;
	}
	if ((err = office_history_last_changes(n->repo, &commit, r.last)) < 0 ||
	    (err = build(&r, n, at_store ? at_store : n->st, opts->city, rp)) < 0) {
		json_decref(rp);
		goto done;
	}
	*out = rp;
done:
	git_commit_free(c);
	json_decref(r.last);
	json_decref(r.q.by_city);
	store_report_dispose(&r.q);
	store_close(at_store);
	return err;
}
