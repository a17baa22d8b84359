/* report_text: the office's report for terminals and scripts, as aligned
 * text and as CSV (report_text.h). Both use codes, not translated words. */
#include "c2c/report_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/report_fmt.h"
#include "c2c/report_model.h"

/* "proposed 0, approved 0, ..." for actions by status (other only when some). */
static void put_statuses(FILE *f, const json_t *by)
{
	for (size_t i = 0; i < REPORT_NSTATUSES; i++)
		fprintf(f, "%s%s %lld", i ? ", " : "", REPORT_STATUSES[i], fmt_gi(by, REPORT_STATUSES[i]));
	if (fmt_gi(by, "other"))
		fprintf(f, ", other %lld", fmt_gi(by, "other"));
}

static void put_kinds(FILE *f, const json_t *kinds)
{
	const char *k;
	json_t *v;
	int first = 1;
	json_object_foreach((json_t *)kinds, k, v)
	{
		if (!json_integer_value(v))
			continue;
		fputs(first ? "" : ", ", f);
		fmt_plain(f, k);
		fprintf(f, " %lld", (long long)json_integer_value(v));
		first = 0;
	}
}

static void t_num(FILE *f, const char *label, long long v) { fprintf(f, "  %-18s %9lld", label, v); }

static void text_figures(FILE *f, const json_t *o, int totals)
{
	const json_t *prof = json_object_get(o, "profile_sections");
	if (totals) {
		fprintf(f, "  %-18s ", "profile sections");
		for (size_t i = 0; i < REPORT_NLANGS; i++)
			fprintf(f, "%s%s %lld", i ? ", " : "", REPORT_LANGS[i], fmt_gi(json_object_get(prof, REPORT_LANGS[i]), "count"));
		fputc('\n', f);
	} else {
		fprintf(f, "  profile sections\n");
		for (size_t i = 0; i < REPORT_NLANGS; i++) {
			const json_t *l = json_object_get(prof, REPORT_LANGS[i]);
			fprintf(f, "    %-16s %9lld", REPORT_LANGS[i], fmt_gi(l, "count"));
			if (fmt_gi(l, "count")) {
				fprintf(f, "   draft %lld, submitted %lld, validated %lld: ", fmt_gi(l, "draft"), fmt_gi(l, "submitted"),
				        fmt_gi(l, "validated"));
				fmt_list(f, json_object_get(l, "sections"), ", ", fmt_plain);
			}
			fputc('\n', f);
		}
		t_num(f, "priorities", fmt_gi(o, "priorities"));
		fputc('\n', f);
	}
	t_num(f, "stakeholders", fmt_gi(o, "stakeholders"));
	if (fmt_gi(o, "stakeholders")) {
		fputs("   ", f);
		put_kinds(f, json_object_get(o, "stakeholders_by_kind"));
	}
	fputc('\n', f);
	t_num(f, "actions", fmt_gi(o, "actions"));
	fputs("   ", f);
	put_statuses(f, json_object_get(o, "actions_by_status"));
	fputc('\n', f);
	t_num(f, "budget_eur", fmt_gi(o, "budget_eur"));
	fputc('\n', f);
	t_num(f, "cofunding_eur", fmt_gi(o, "cofunding_eur"));
	fputc('\n', f);
	t_num(f, "people reached", fmt_gi(o, "people_reached_female") + fmt_gi(o, "people_reached_male"));
	fprintf(f, "   female %lld, male %lld\n", fmt_gi(o, "people_reached_female"), fmt_gi(o, "people_reached_male"));
	const json_t *goals = json_object_get(o, "sdgs"), *targets = json_object_get(o, "sdg_targets"),
	             *obj = json_object_get(o, "objectives");
	if (totals) {
		char of[64];
		snprintf(of, sizeof(of), "%zu of %lld", json_array_size(goals), fmt_gi(o, "sdgs_total"));
		fprintf(f, "  %-18s %9s", "SDGs covered", of);
	} else
		t_num(f, "SDGs", (long long)json_array_size(goals));
	fputs(json_array_size(goals) ? "   " : "", f);
	fmt_list(f, goals, ", ", fmt_plain);
	fputc('\n', f);
	t_num(f, "SDG targets", (long long)json_array_size(targets));
	fputs(json_array_size(targets) ? "   " : "", f);
	fmt_list(f, targets, ", ", fmt_plain);
	fputc('\n', f);
	size_t i, k;
	json_t *g, *t;
	json_array_foreach(json_object_get(o, "budget_by_sdg"), i, g)
	{
		char label[48];
		snprintf(label, sizeof(label), "  budget SDG %lld", fmt_gi(g, "goal"));
		fprintf(f, "  %-18s %9lld   %lld action%s", label, fmt_gi(g, "budget_eur"), fmt_gi(g, "actions"),
		        fmt_gi(g, "actions") == 1 ? "" : "s");
		json_array_foreach(json_object_get(g, "targets"), k, t) fprintf(f, "%s%s %lld", k ? ", " : "; ",
		                                                                fmt_gs(t, "target"), fmt_gi(t, "budget_eur"));
		fputc('\n', f);
	}
	t_num(f, "call objectives", (long long)json_array_size(obj));
	fputs(json_array_size(obj) ? "   " : "", f);
	fmt_list(f, obj, ", ", fmt_plain);
	fputc('\n', f);
	t_num(f, "events", fmt_gi(o, "events"));
	fputc('\n', f);
	t_num(f, "migration stats", fmt_gi(o, "migration_stats"));
	fputc('\n', f);
	t_num(f, "practices", fmt_gi(o, "practices"));
	fputc('\n', f);
	const json_t *rv = json_object_get(o, "reviews");
	t_num(f, "reviews", fmt_gi(rv, "validated") + fmt_gi(rv, "changes_requested") + fmt_gi(rv, "out_of_date"));
	fprintf(f, "   validated %lld, changes requested %lld, out of date %lld\n", fmt_gi(rv, "validated"),
	        fmt_gi(rv, "changes_requested"), fmt_gi(rv, "out_of_date"));
}

void report_text_render(FILE *f, const json_t *rp)
{
	const json_t *cities = json_object_get(rp, "cities"), *tot = json_object_get(rp, "totals");
	size_t i;
	json_t *c;
	fprintf(f, "MC2CM report\n  %-18s %s (%s%s%s)\n  %-18s %s (%s)\n  %-18s %s\n", "node", fmt_gs(rp, "node_id"),
	        fmt_gs(rp, "role"), json_is_string(json_object_get(rp, "city")) ? " node of " : " node", fmt_gs(rp, "city"),
	        "head", fmt_gs(rp, "head"), fmt_gs(rp, "head_date"), "made", fmt_gs(rp, "made_at"));
	if (json_is_string(json_object_get(rp, "at")))
		fprintf(f, "  %-18s %s\n", "as it stood at", fmt_gs(rp, "at"));
	if (!fmt_gi(tot, "cities"))
		fprintf(f, "\nNo city has data yet.\n");
	json_array_foreach(cities, i, c)
	{
		fputc('\n', f);
		fmt_plain(f, fmt_gs(c, "name"));
		if (*fmt_gs(c, "country")) {
			fputs(", ", f);
			fmt_plain(f, fmt_gs(c, "country"));
		}
		fprintf(f, " (%s)%s\n", fmt_gs(c, "city"), json_is_true(json_object_get(c, "has_data")) ? "" : ": no data yet");
		if (!json_is_true(json_object_get(c, "has_data")))
			continue;
		if (json_is_string(json_object_get(c, "last_change")))
			fprintf(f, "  %-18s %s\n", "last change", fmt_gs(c, "last_change"));
		text_figures(f, c, 0);
		size_t k;
		json_t *a;
		if (json_array_size(json_object_get(c, "priority_list")))
			fprintf(f, "  priorities (rank order)\n");
		json_array_foreach(json_object_get(c, "priority_list"), k, a)
		{
			fprintf(f, "    %3lld  ", fmt_gi(a, "rank"));
			fmt_plain(f, fmt_gs(a, "challenge"));
			if (*fmt_gs(a, "theme")) {
				fputs(" [", f);
				fmt_plain(f, fmt_gs(a, "theme"));
				fputc(']', f);
			}
			fputc('\n', f);
		}
		const json_t *list = json_object_get(c, "action_list");
		if (json_array_size(list))
			fprintf(f, "  action list\n");
		json_array_foreach(list, k, a)
		{
			fprintf(f, "    %-14s", json_is_string(json_object_get(a, "status")) ? fmt_gs(a, "status") : "-");
			if (json_is_integer(json_object_get(a, "budget_eur")))
				fprintf(f, " %9lld   ", fmt_gi(a, "budget_eur"));
			else
				fprintf(f, " %9s   ", "-");
			fmt_plain(f, fmt_gs(a, "title"));
			long long pr = fmt_gi(a, "people_reached_female") + fmt_gi(a, "people_reached_male");
			if (pr)
				fprintf(f, " (%lld people)", pr);
			if (json_array_size(json_object_get(a, "partners"))) {
				fputs(" with ", f);
				fmt_list(f, json_object_get(a, "partners"), ", ", fmt_plain);
			}
			fputc('\n', f);
		}
	}
	fprintf(f, "\nNetwork totals\n");
	t_num(f, "cities with data", fmt_gi(tot, "cities"));
	fprintf(f, "   of %lld\n", fmt_gi(tot, "cities_listed"));
	text_figures(f, tot, 1);
}

/* ----------------------------------------------------------------- csv */

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

static void csv_row(FILE *f, const json_t *o, const char *city, const char *country, int totals)
{
	const json_t *prof = json_object_get(o, "profile_sections"), *by = json_object_get(o, "actions_by_status"),
	             *rv = json_object_get(o, "reviews");
	char num[32], *targets = NULL;
	size_t tlen = 0;
	csv_cell(f, city, 0, 0);
	csv_cell(f, country, 0, 0);
	for (size_t i = 0; i < REPORT_NLANGS; i++) {
		snprintf(num, sizeof(num), "%lld", fmt_gi(json_object_get(prof, REPORT_LANGS[i]), "count"));
		csv_cell(f, num, 0, 0);
	}
	long long ints[] = {fmt_gi(o, "actions"),       fmt_gi(by, "proposed"),
	                    fmt_gi(by, "approved"),     fmt_gi(by, "ongoing"),
	                    fmt_gi(by, "completed"),    fmt_gi(by, "cancelled"),
	                    fmt_gi(o, "budget_eur"),    fmt_gi(o, "cofunding_eur"),
	                    fmt_gi(o, "people_reached_female"), fmt_gi(o, "people_reached_male")};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		snprintf(num, sizeof(num), "%lld", ints[i]);
		csv_cell(f, num, 0, 0);
	}
	FILE *m = open_memstream(&targets, &tlen);
	if (m) {
		fmt_list(m, json_object_get(o, "sdg_targets"), ",", fmt_plain);
		fclose(m);
	}
	csv_cell(f, targets ? targets : "", 1, 0);
	free(targets);
	long long more[] = {fmt_gi(o, "stakeholders"), fmt_gi(o, "events"), fmt_gi(rv, "validated"), fmt_gi(rv, "changes_requested"),
	                    fmt_gi(rv, "out_of_date")};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		snprintf(num, sizeof(num), "%lld", more[i]);
		csv_cell(f, num, 0, 0);
	}
	if (totals) {
		snprintf(num, sizeof(num), "%lld", fmt_gi(o, "cities"));
		csv_cell(f, num, 0, 0);
		csv_cell(f, "", 0, 1);
	} else {
		csv_cell(f, json_is_true(json_object_get(o, "has_data")) ? "1" : "0", 0, 0);
		csv_cell(f, fmt_gs(o, "last_change"), 0, 1);
	}
}

void report_csv_render(FILE *f, const json_t *rp)
{
	size_t i;
	json_t *c;
	fputs("city,country,sections_ar,sections_en,sections_es,sections_fr,actions,proposed,approved,ongoing,"
	      "completed,cancelled,budget_eur,cofunding_eur,people_reached_female,people_reached_male,sdg_targets,"
	      "stakeholders,events,reviews_validated,reviews_changes_requested,reviews_out_of_date,has_data,"
	      "last_change\r\n",
	      f);
	json_array_foreach(json_object_get(rp, "cities"), i, c) csv_row(f, c, fmt_gs(c, "city"), fmt_gs(c, "country"), 0);
	csv_row(f, json_object_get(rp, "totals"), "TOTAL", "", 1);
}

