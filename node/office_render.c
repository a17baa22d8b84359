/* office_render: the report of office.c in text, CSV, JSON and HTML, the
 * charts as SVG made here, and the office dashboard's fragment.
 *
 * Everything is rendered from the report's JSON object alone. Every value
 * that reaches HTML goes through put_h (text and attributes alike); numbers
 * are written by the program. The HTML page is meant for print: A4, one
 * page per city, headings kept with what follows, a running header with
 * the report's date, and charts in shades and hatchings that survive a
 * black-and-white printer. Arabic pages are dir="rtl", with CSS in logical
 * properties; the charts mirror themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/office.h"

static const char *const LANGS[] = {"ar", "en", "es", "fr"};
#define NLANGS (sizeof(LANGS) / sizeof(LANGS[0]))
static const char *const STATUSES[] = {"proposed", "approved", "ongoing", "completed", "cancelled"};
#define NSTATUSES (sizeof(STATUSES) / sizeof(STATUSES[0]))

/* ------------------------------------------------------------- helpers */

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

/* HTML text and attribute values alike. */
static void put_h(FILE *f, const char *s)
{
	for (; s && *s; s++) {
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

/* A CSS string's contents (the running header). */
static void put_css(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '<' || *s == '>' || *s == '&') /* nothing that could close the <style> */
			fprintf(f, "\\%x ", (unsigned)*s);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', f);
		else
			fputc(*s, f);
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

/* V with the language's digits and thousands separator: 12,345 (en),
 * 12 345 with a narrow no-break space (fr), 12.345 (es, from five digits),
 * ١٢٬٣٤٥ (ar). */
static void fmt_num(const char *lang, long long v, char *out, size_t cap)
{
	char digits[32];
	size_t o = 0;
	int neg = v < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	snprintf(digits, sizeof(digits), "%llu", u);
	size_t nd = strlen(digits);
	const char *sep = ",";
	int group = 1, arab = 0;
	if (!strcmp(lang, "fr"))
		sep = "\xe2\x80\xaf";
	else if (!strcmp(lang, "es"))
		sep = ".", group = nd >= 5;
	else if (!strcmp(lang, "ar"))
		sep = "\xd9\xac", arab = 1;
	if (neg && o + 1 < cap)
		out[o++] = '-';
	for (size_t i = 0; i < nd && o + 8 < cap; i++) {
		if (group && i && (nd - i) % 3 == 0)
			for (const char *s = sep; *s; s++)
				out[o++] = *s;
		if (arab) {
			out[o++] = (char)0xd9;
			out[o++] = (char)(0xa0 + (digits[i] - '0'));
		} else
			out[o++] = digits[i];
	}
	out[o] = '\0';
}

static void put_num(FILE *f, const char *lang, long long v)
{
	char b[96];
	fmt_num(lang, v, b, sizeof(b));
	fputs(b, f);
}

/* A <td> holding a number: the figure for people, the raw one in data-value. */
static void td_num(FILE *f, const char *lang, long long v)
{
	fprintf(f, "<td class=\"n\" data-value=\"%lld\">", v);
	put_num(f, lang, v);
	fputs("</td>", f);
}

static const char *T(const char *lang, const char *msgid) { return i18n_tr(lang, NULL, msgid); }

static const char *const MONTHS[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

/* An ISO time (YYYY-MM-DD...) as a date for people in LANG. */
static void put_date(FILE *f, const char *lang, const char *iso, int with_time)
{
	int y = 0, m = 0, d = 0, hh = 0, mm = 0;
	if (!iso || sscanf(iso, "%d-%d-%dT%d:%d", &y, &m, &d, &hh, &mm) < 3 || m < 1 || m > 12) {
		put_h(f, iso ? iso : "");
		return;
	}
	const char *month = i18n_tr(lang, "month", MONTHS[m - 1]);
	if (!strcmp(lang, "es")) {
		put_num(f, lang, d);
		fputs(" de ", f);
		put_h(f, month);
		fputs(" de ", f);
	} else {
		put_num(f, lang, d);
		fputc(' ', f);
		put_h(f, month);
		fputc(' ', f);
	}
	char yb[32];
	snprintf(yb, sizeof(yb), "%d", y);
	if (!strcmp(lang, "ar")) /* years without a thousands separator */
		for (const char *p = yb; *p; p++)
			fprintf(f, "\xd9%c", (char)(0xa0 + (*p - '0')));
	else
		fputs(yb, f);
	if (with_time)
		fprintf(f, ", %02d:%02d UTC", hh, mm);
}

/* A date as plain text for the running header (CSS string). */
static void css_date(FILE *f, const char *lang, const char *iso)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	if (!m)
		return;
	put_date(m, lang, iso, 0);
	fclose(m);
	put_css(f, s);
	free(s);
}

static const char *city_name(const char *lang, const json_t *c) { return i18n_tr(lang, "city", gs(c, "name")); }

/* ---------------------------------------------------------------- text */

/* "proposed 0, approved 0, ..." for actions by status (other only when some). */
static void put_statuses(FILE *f, const json_t *by)
{
	for (size_t i = 0; i < NSTATUSES; i++)
		fprintf(f, "%s%s %lld", i ? ", " : "", STATUSES[i], gi(by, STATUSES[i]));
	if (gi(by, "other"))
		fprintf(f, ", other %lld", gi(by, "other"));
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
		put_plain(f, k);
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
		put_kinds(f, json_object_get(o, "stakeholders_by_kind"));
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
	size_t i, k;
	json_t *g, *t;
	json_array_foreach(json_object_get(o, "budget_by_sdg"), i, g)
	{
		char label[48];
		snprintf(label, sizeof(label), "  budget SDG %lld", gi(g, "goal"));
		fprintf(f, "  %-18s %9lld   %lld action%s", label, gi(g, "budget_eur"), gi(g, "actions"),
		        gi(g, "actions") == 1 ? "" : "s");
		json_array_foreach(json_object_get(g, "targets"), k, t) fprintf(f, "%s%s %lld", k ? ", " : "; ",
		                                                                gs(t, "target"), gi(t, "budget_eur"));
		fputc('\n', f);
	}
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
	const json_t *rv = json_object_get(o, "reviews");
	t_num(f, "reviews", gi(rv, "validated") + gi(rv, "changes_requested") + gi(rv, "out_of_date"));
	fprintf(f, "   validated %lld, changes requested %lld, out of date %lld\n", gi(rv, "validated"),
	        gi(rv, "changes_requested"), gi(rv, "out_of_date"));
}

static void render_text(FILE *f, const json_t *rp)
{
	const json_t *cities = json_object_get(rp, "cities"), *tot = json_object_get(rp, "totals");
	size_t i;
	json_t *c;
	fprintf(f, "MC2CM report\n  %-18s %s (%s%s%s)\n  %-18s %s (%s)\n  %-18s %s\n", "node", gs(rp, "node_id"),
	        gs(rp, "role"), json_is_string(json_object_get(rp, "city")) ? " node of " : " node", gs(rp, "city"),
	        "head", gs(rp, "head"), gs(rp, "head_date"), "made", gs(rp, "made_at"));
	if (json_is_string(json_object_get(rp, "at")))
		fprintf(f, "  %-18s %s\n", "as it stood at", gs(rp, "at"));
	if (!gi(tot, "cities"))
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
		if (!json_is_true(json_object_get(c, "has_data")))
			continue;
		if (json_is_string(json_object_get(c, "last_change")))
			fprintf(f, "  %-18s %s\n", "last change", gs(c, "last_change"));
		text_figures(f, c, 0);
		size_t k;
		json_t *a;
		if (json_array_size(json_object_get(c, "priority_list")))
			fprintf(f, "  priorities (rank order)\n");
		json_array_foreach(json_object_get(c, "priority_list"), k, a)
		{
			fprintf(f, "    %3lld  ", gi(a, "rank"));
			put_plain(f, gs(a, "challenge"));
			if (*gs(a, "theme")) {
				fputs(" [", f);
				put_plain(f, gs(a, "theme"));
				fputc(']', f);
			}
			fputc('\n', f);
		}
		const json_t *list = json_object_get(c, "action_list");
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
			long long pr = gi(a, "people_reached_female") + gi(a, "people_reached_male");
			if (pr)
				fprintf(f, " (%lld people)", pr);
			if (json_array_size(json_object_get(a, "partners"))) {
				fputs(" with ", f);
				put_list(f, json_object_get(a, "partners"), ", ", put_plain);
			}
			fputc('\n', f);
		}
	}
	fprintf(f, "\nNetwork totals\n");
	t_num(f, "cities with data", gi(tot, "cities"));
	fprintf(f, "   of %lld\n", gi(tot, "cities_listed"));
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
	long long more[] = {gi(o, "stakeholders"), gi(o, "events"), gi(rv, "validated"), gi(rv, "changes_requested"),
	                    gi(rv, "out_of_date")};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		snprintf(num, sizeof(num), "%lld", more[i]);
		csv_cell(f, num, 0, 0);
	}
	if (totals) {
		snprintf(num, sizeof(num), "%lld", gi(o, "cities"));
		csv_cell(f, num, 0, 0);
		csv_cell(f, "", 0, 1);
	} else {
		csv_cell(f, json_is_true(json_object_get(o, "has_data")) ? "1" : "0", 0, 0);
		csv_cell(f, gs(o, "last_change"), 0, 1);
	}
}

static void render_csv(FILE *f, const json_t *rp)
{
	size_t i;
	json_t *c;
	fputs("city,country,sections_ar,sections_en,sections_es,sections_fr,actions,proposed,approved,ongoing,"
	      "completed,cancelled,budget_eur,cofunding_eur,people_reached_female,people_reached_male,sdg_targets,"
	      "stakeholders,events,reviews_validated,reviews_changes_requested,reviews_out_of_date,has_data,"
	      "last_change\r\n",
	      f);
	json_array_foreach(json_object_get(rp, "cities"), i, c) csv_row(f, c, gs(c, "city"), gs(c, "country"), 0);
	csv_row(f, json_object_get(rp, "totals"), "TOTAL", "", 1);
}

/* -------------------------------------------------------------- charts */

/* Fills that stay apart in black and white: shades and hatchings. */
static const char *const STATUS_FILL[] = {"url(#P-open)", "url(#P-hatch)", "#8a8a8a", "#1f1f1f", "url(#P-cross)"};

static void svg_defs(FILE *f, const char *p)
{
	fprintf(f,
	        "<defs>"
	        "<pattern id=\"%s-open\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">"
	        "<rect width=\"4\" height=\"4\" fill=\"#fff\"/><circle cx=\"2\" cy=\"2\" r=\"0.7\" fill=\"#555\"/></pattern>"
	        "<pattern id=\"%s-hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
	        "patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#e4e4e4\"/>"
	        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"#333\" stroke-width=\"1.6\"/></pattern>"
	        "<pattern id=\"%s-cross\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\">"
	        "<rect width=\"5\" height=\"5\" fill=\"#fff\"/><path d=\"M0,0L5,5M5,0L0,5\" stroke=\"#444\" "
	        "stroke-width=\"0.8\"/></pattern>"
	        "</defs>\n",
	        p, p, p);
}

/* A fill naming a pattern of chart P ("url(#P-x)" with P replaced). */
static void put_fill(FILE *f, const char *fill, const char *p)
{
	if (!strncmp(fill, "url(#P-", 7))
		fprintf(f, "url(#%s-%s", p, fill + 7);
	else
		fputs(fill, f);
}

typedef struct {
	FILE *f;
	int rtl;
	double w; /* width of the drawing */
} svg;

/* A rectangle at X (from the start side) of width W: mirrored for rtl. */
static void s_rect(svg *s, double x, double y, double w, double h, const char *fill, const char *p)
{
	double rx = s->rtl ? s->w - x - w : x;
	fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"", rx, y, w, h);
	put_fill(s->f, fill, p);
	fputs("\" stroke=\"#222\" stroke-width=\"0.5\"", s->f);
}

/* Text at X from the start side, ending there (END) or starting there. */
static void s_text(svg *s, double x, double y, int end, const char *cls)
{
	double rx = s->rtl ? s->w - x : x;
	int anchor_end = s->rtl ? !end : end;
	fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", rx, y, anchor_end ? "end" : "start",
	        cls);
}

static void svg_open(FILE *f, const char *id, double w, double h, const char *label)
{
	fprintf(f, "<svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
	           "width=\"%.0f\" height=\"%.0f\" direction=\"ltr\" role=\"img\" aria-label=\"",
	        id, w, h, w, h);
	put_h(f, label);
	fputs("\">\n", f);
}

static double bar_len(double avail, long long v, long long max) { return max > 0 ? avail * (double)v / (double)max : 0; }

#define CW 680.0 /* chart width */
#define LW 132.0 /* label column */
#define ROW 15.0

/* Legend: swatches and words in one line at Y. */
static void legend(svg *s, double y, const char *p, size_t n, const char *const *fills, const char *const *words)
{
	double x = LW;
	for (size_t i = 0; i < n; i++) {
		s_rect(s, x, y - 9, 10, 10, fills[i], p);
		fputs("/>", s->f);
		s_text(s, x + 14, y, 0, "lg");
		put_h(s->f, words[i]);
		fputs("</text>\n", s->f);
		x += 14 + 6.2 * (double)strlen(words[i]) + 18;
	}
}

static void chart_status(FILE *f, const json_t *rp, const char *lang, int rtl)
{
	const json_t *cities = json_object_get(rp, "cities");
	size_t n = json_array_size(cities), i;
	json_t *c;
	long long max = 1;
	json_array_foreach(cities, i, c) if (gi(c, "actions") > max) max = gi(c, "actions");
	double h = 28 + ROW * (double)n + 24;
	svg s = {f, rtl, CW};
	const char *words[NSTATUSES];
	for (size_t k = 0; k < NSTATUSES; k++)
		words[k] = i18n_value(lang, "actions", "status", STATUSES[k]);
	svg_open(f, "chart-actions-status", CW, h, T(lang, "Actions by status, per city"));
	svg_defs(f, "cs");
	legend(&s, 14, "cs", NSTATUSES, STATUS_FILL, words);
	json_array_foreach(cities, i, c)
	{
		double y = 28 + ROW * (double)i, x = LW + 6;
		s_text(&s, LW, y + 10, 1, "lb");
		put_h(f, city_name(lang, c));
		fputs("</text>\n", f);
		const json_t *by = json_object_get(c, "actions_by_status");
		for (size_t k = 0; k < NSTATUSES; k++) {
			long long v = gi(by, STATUSES[k]);
			double w = bar_len(CW - LW - 60, v, max);
			if (!v)
				continue;
			s_rect(&s, x, y, w, 11, STATUS_FILL[k], "cs");
			fprintf(f, " data-city=\"");
			put_h(f, gs(c, "city"));
			fprintf(f, "\" data-status=\"%s\" data-value=\"%lld\"><title>", STATUSES[k], v);
			put_h(f, city_name(lang, c));
			fputs(": ", f);
			put_h(f, words[k]);
			fputc(' ', f);
			put_num(f, lang, v);
			fputs("</title></rect>\n", f);
			x += w;
		}
		s_text(&s, x + 4, y + 10, 0, "v");
		fprintf(f, "<tspan data-city=\"");
		put_h(f, gs(c, "city"));
		fprintf(f, "\" data-total=\"%lld\">", gi(c, "actions"));
		put_num(f, lang, gi(c, "actions"));
		fputs("</tspan></text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void chart_budget_sdg(FILE *f, const json_t *rp, const char *lang, int rtl)
{
	const json_t *goals = json_object_get(json_object_get(rp, "totals"), "budget_by_sdg");
	const json_t *names = json_object_get(rp, "sdg_names");
	size_t rows = 0, i, k;
	json_t *g, *t;
	long long max = 1;
	json_array_foreach(goals, i, g)
	{
		rows += 1 + json_array_size(json_object_get(g, "targets"));
		if (gi(g, "budget_eur") > max)
			max = gi(g, "budget_eur");
	}
	double h = 12 + ROW * (double)(rows ? rows : 1) + 8;
	svg s = {f, rtl, CW};
	svg_open(f, "chart-budget-sdg", CW, h, T(lang, "Budget by SDG (goals and targets)"));
	svg_defs(f, "cb");
	if (!rows) {
		s_text(&s, LW, 20, 0, "lb");
		put_h(f, T(lang, "No action names an SDG target yet."));
		fputs("</text>\n", f);
	}
	double y = 8;
	json_array_foreach(goals, i, g)
	{
		char key[24];
		snprintf(key, sizeof(key), "%lld", gi(g, "goal"));
		const char *name = json_string_value(json_object_get(names, key));
		s_text(&s, LW + 250, y + 10, 1, "lb b");
		put_h(f, T(lang, "SDG"));
		fputc(' ', f);
		put_num(f, lang, gi(g, "goal"));
		if (name) {
			fputs(" \xc2\xb7 ", f);
			put_h(f, i18n_tr(lang, "sdg", name));
		}
		fputs("</text>\n", f);
		double w = bar_len(CW - LW - 250 - 90, gi(g, "budget_eur"), max);
		s_rect(&s, LW + 256, y, w, 11, "#2b2b2b", "cb");
		fprintf(f, " data-sdg=\"%lld\" data-value=\"%lld\" data-actions=\"%lld\"/>\n", gi(g, "goal"),
		        gi(g, "budget_eur"), gi(g, "actions"));
		s_text(&s, LW + 260 + w, y + 10, 0, "v");
		put_num(f, lang, gi(g, "budget_eur"));
		fputs(" \xe2\x82\xac</text>\n", f);
		y += ROW;
		json_array_foreach(json_object_get(g, "targets"), k, t)
		{
			s_text(&s, LW + 250, y + 10, 1, "lb");
			put_h(f, gs(t, "target"));
			fputs("</text>\n", f);
			double tw = bar_len(CW - LW - 250 - 90, gi(t, "budget_eur"), max);
			s_rect(&s, LW + 256, y + 2, tw, 8, "url(#P-hatch)", "cb");
			fputs(" data-target=\"", f);
			put_h(f, gs(t, "target"));
			fprintf(f, "\" data-value=\"%lld\" data-actions=\"%lld\"/>\n", gi(t, "budget_eur"), gi(t, "actions"));
			s_text(&s, LW + 260 + tw, y + 10, 0, "v");
			put_num(f, lang, gi(t, "budget_eur"));
			fputs(" \xe2\x82\xac</text>\n", f);
			y += ROW;
		}
	}
	fputs("</svg>\n", f);
}

static void chart_people(FILE *f, const json_t *rp, const char *lang, int rtl)
{
	const json_t *cities = json_object_get(rp, "cities");
	size_t n = json_array_size(cities), i;
	json_t *c;
	long long max = 1;
	json_array_foreach(cities, i, c)
	{
		long long v = gi(c, "people_reached_female") + gi(c, "people_reached_male");
		if (v > max)
			max = v;
	}
	static const char *const sexes[] = {"female", "male"};
	static const char *const keys[] = {"people_reached_female", "people_reached_male"};
	static const char *const fills[] = {"#3a3a3a", "url(#P-hatch)"};
	const char *words[2] = {T(lang, "Women and girls"), T(lang, "Men and boys")};
	double h = 28 + ROW * (double)n + 8;
	svg s = {f, rtl, CW};
	svg_open(f, "chart-people-sex", CW, h, T(lang, "People reached by sex"));
	svg_defs(f, "cp");
	legend(&s, 14, "cp", 2, fills, words);
	json_array_foreach(cities, i, c)
	{
		double y = 28 + ROW * (double)i, x = LW + 6;
		s_text(&s, LW, y + 10, 1, "lb");
		put_h(f, city_name(lang, c));
		fputs("</text>\n", f);
		for (int k = 0; k < 2; k++) {
			long long v = gi(c, keys[k]);
			double w = bar_len(CW - LW - 90, v, max);
			if (!v)
				continue;
			s_rect(&s, x, y, w, 11, fills[k], "cp");
			fputs(" data-city=\"", f);
			put_h(f, gs(c, "city"));
			fprintf(f, "\" data-sex=\"%s\" data-value=\"%lld\"><title>", sexes[k], v);
			put_h(f, words[k]);
			fputc(' ', f);
			put_num(f, lang, v);
			fputs("</title></rect>\n", f);
			x += w;
		}
		long long tot = gi(c, "people_reached_female") + gi(c, "people_reached_male");
		s_text(&s, x + 4, y + 10, 0, "v");
		put_num(f, lang, tot);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void chart_profiles(FILE *f, const json_t *rp, const char *lang, int rtl)
{
	const json_t *cities = json_object_get(rp, "cities");
	size_t n = json_array_size(cities), i;
	json_t *c;
	/* Sections in the schema's order: as the first city's grid lists them. */
	const json_t *grid0 = n ? json_object_get(json_array_get(cities, 0), "profile_grid") : NULL;
	const char *secs[32];
	size_t ns = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)grid0, k, v) if (ns < 32) secs[ns++] = k;
	const double cell = 10, gap = 4, top = 96, lw = 120;
	double w = lw + 8 + (double)ns * (4 * cell + gap) + 40;
	double h = top + 13 * (double)n + 30;
	svg s = {f, rtl, w};
	static const char *const fills[] = {"#ffffff", "#d6d6d6", "#8f8f8f", "#1f1f1f"};
	static const char *const states[] = {"missing", "draft", "submitted", "validated"};
	svg_open(f, "chart-profile-grid", w, h, T(lang, "Profile completeness: city, section and language"));
	/* Column heads: section names turned, language codes under them. */
	for (size_t si = 0; si < ns; si++) {
		double x0 = lw + 8 + (double)si * (4 * cell + gap);
		double cx = x0 + 2 * cell, rx = rtl ? w - cx : cx;
		fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-50)\" class=\"lb sm\" text-anchor=\"start\">", rx,
		        top - 14);
		put_h(f, i18n_value(lang, "profile_sections", "section", secs[si]));
		fputs("</text>\n", f);
		for (size_t l = 0; l < NLANGS; l++) {
			s_text(&s, x0 + (double)l * cell + cell / 2, top - 3, 0, "xs");
			fprintf(f, "%s</text>\n", LANGS[l]);
		}
	}
	json_array_foreach(cities, i, c)
	{
		double y = top + 13 * (double)i;
		s_text(&s, lw, y + 9, 1, "lb");
		put_h(f, city_name(lang, c));
		fputs("</text>\n", f);
		const json_t *grid = json_object_get(c, "profile_grid");
		int done = 0;
		for (size_t si = 0; si < ns; si++) {
			const json_t *row = json_object_get(grid, secs[si]);
			for (size_t l = 0; l < NLANGS; l++) {
				const char *st = json_string_value(json_object_get(row, LANGS[l]));
				int val = 0;
				for (int q = 0; q < 4; q++)
					if (st && !strcmp(st, states[q]))
						val = q;
				done += val == 3;
				double x = lw + 8 + (double)si * (4 * cell + gap) + (double)l * cell;
				s_rect(&s, x, y, cell, 11, fills[val], "cg");
				fputs(" data-city=\"", f);
				put_h(f, gs(c, "city"));
				fprintf(f, "\" data-section=\"%s\" data-lang=\"%s\" data-status=\"%s\" data-value=\"%d\"/>\n", secs[si],
				        LANGS[l], states[val], val);
			}
		}
		s_text(&s, lw + 8 + (double)ns * (4 * cell + gap) + 2, y + 9, 0, "v");
		put_num(f, lang, done);
		fputs("</text>\n", f);
	}
	/* Legend. */
	double x = lw;
	for (int q = 0; q < 4; q++) {
		const char *word = q ? i18n_value(lang, "profile_sections", "status", states[q]) : T(lang, "Missing");
		s_rect(&s, x, h - 18, 10, 10, fills[q], "cg");
		fputs("/>", f);
		s_text(&s, x + 14, h - 9, 0, "lg");
		put_h(f, word);
		fputs("</text>\n", f);
		x += 14 + 6.2 * (double)strlen(word) + 18;
	}
	fputs("</svg>\n", f);
}

static void chart_events(FILE *f, const json_t *rp, const char *lang, int rtl)
{
	const json_t *cities = json_object_get(rp, "cities");
	size_t n = json_array_size(cities), i;
	json_t *c;
	long long max = 1;
	json_array_foreach(cities, i, c) if (gi(c, "events") > max) max = gi(c, "events");
	double h = 8 + ROW * (double)n + 8;
	svg s = {f, rtl, CW};
	svg_open(f, "chart-events", CW, h, T(lang, "Peer-learning events attended, per city"));
	json_array_foreach(cities, i, c)
	{
		double y = 8 + ROW * (double)i;
		s_text(&s, LW, y + 10, 1, "lb");
		put_h(f, city_name(lang, c));
		fputs("</text>\n", f);
		double w = bar_len(CW - LW - 60, gi(c, "events"), max);
		s_rect(&s, LW + 6, y, w, 11, "#5a5a5a", "ce");
		fputs(" data-city=\"", f);
		put_h(f, gs(c, "city"));
		fprintf(f, "\" data-value=\"%lld\"/>\n", gi(c, "events"));
		s_text(&s, LW + 10 + w, y + 10, 0, "v");
		put_num(f, lang, gi(c, "events"));
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void figure(FILE *f, const char *id, const char *caption, const char *note)
{
	fprintf(f, "<figure class=\"chart\" id=\"fig-%s\">\n<figcaption>", id);
	put_h(f, caption);
	fputs("</figcaption>\n", f);
	if (note) {
		fputs("<p class=\"note\">", f);
		put_h(f, note);
		fputs("</p>\n", f);
	}
}

static void charts(FILE *f, const json_t *rp, const char *lang)
{
	int rtl = i18n_rtl(lang);
	figure(f, "actions-status", T(lang, "Actions by status, per city"), NULL);
	chart_status(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "budget-sdg", T(lang, "Budget by SDG (goals and targets)"),
	       T(lang, "An action counts under each goal and target it addresses, so the bars add up to more than the "
	               "budget."));
	chart_budget_sdg(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "people-sex", T(lang, "People reached by sex"), NULL);
	chart_people(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "profile-grid", T(lang, "Profile completeness: city, section and language"),
	       T(lang, "Each square is one section of the City Migration Profile in one language; the number is the "
	               "squares validated."));
	chart_profiles(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "events", T(lang, "Peer-learning events attended, per city"), NULL);
	chart_events(f, rp, lang, rtl);
	fputs("</figure>\n", f);
}

/* ---------------------------------------------------------------- html */

static const char CSS[] =
    "*{box-sizing:border-box}\n"
    "body{font-family:\"Noto Sans\",\"DejaVu Sans\",\"Noto Sans Arabic\",system-ui,sans-serif;font-size:10pt;"
    "color:#111;line-height:1.35;margin:0 auto;max-width:60em;padding:0 1em}\n"
    "h1{font-size:22pt;margin:0 0 .3em}h2{font-size:15pt;margin:0 0 .4em;padding-block-end:.15em;"
    "border-block-end:2pt solid #111}\n"
    "h3{font-size:11pt;margin:1.1em 0 .35em}\n"
    "h1,h2,h3,figcaption{break-after:avoid;page-break-after:avoid}\n"
    "section.summary,section.city{break-before:page;page-break-before:always}\n"
    ".cover{padding-block-start:28mm}\n"
    ".cover .eyebrow{font-size:11pt;letter-spacing:.04em;text-transform:uppercase;color:#333;margin:0 0 2em}\n"
    ".cover .scope{font-size:14pt;margin:.2em 0 2.4em}\n"
    ".cover dl{display:grid;grid-template-columns:max-content 1fr;gap:.45em 1.2em;font-size:10.5pt}\n"
    ".cover dt{font-weight:600}.cover dd{margin:0}\n"
    ".cover .toc{margin-block-start:2.5em;columns:3;font-size:9.5pt}\n"
    ".cover .toc li{break-inside:avoid}\n"
    ".sub{font-size:10pt;font-weight:400;color:#333;margin-inline-start:.6em}\n"
    "table{border-collapse:collapse;margin:.3em 0 .9em;width:100%}\n"
    "th,td{border:.6pt solid #777;padding:.2em .45em;text-align:start;vertical-align:top}\n"
    "thead th{background:#e6e6e6;font-weight:600}\n"
    "tbody th{font-weight:600;background:#f3f3f3}\n"
    "thead{display:table-header-group}tr,figure{break-inside:avoid;page-break-inside:avoid}\n"
    "td.n{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "div.kvs{display:flex;gap:1.2em;align-items:flex-start;break-inside:avoid}\n"
    "table.kv{width:auto;flex:1}table.kv th{width:70%}\n"
    "table.grid{table-layout:fixed}table.grid th:first-child{width:28%}\n"
    "#cities-table th:first-child,#cities-table td:nth-child(2){white-space:nowrap}#cities-table{font-size:9pt}\n"
    "table.grid td{text-align:center;font-size:8.5pt}\n"
    "td.s-validated{background:#1f1f1f;color:#fff}td.s-submitted{background:#9a9a9a}\n"
    "td.s-draft{background:#dcdcdc}td.s-missing{color:#777}\n"
    ".nodata{border:1.2pt dashed #444;padding:.8em 1em;font-weight:600;margin:1em 0}\n"
    ".nodata-mark{font-weight:600}\n"
    "figure{margin:.6em 0 1.2em}figcaption{font-weight:600;font-size:11pt;margin-block-end:.2em}\n"
    ".note{font-size:8.5pt;color:#333;margin:.1em 0 .3em}\n"
    "svg.chart{max-width:100%;height:auto;display:block}\n"
    "svg text{font-family:inherit;fill:#111}svg .lb{font-size:10px}svg .b{font-weight:700}"
    "svg .sm{font-size:8px}svg .xs{font-size:6px;fill:#333}svg .v{font-size:8.5px}svg .lg{font-size:9px}\n"
    ".meta{color:#333;font-size:9pt}code{font-size:9pt}\n"
    ".rv-changes_requested{font-weight:600}.stale{font-style:italic}\n"
    "@media print{body{max-width:none;padding:0}a{color:inherit;text-decoration:none}}\n";

static void html_head(FILE *f, const json_t *rp, const char *lang)
{
	int rtl = i18n_rtl(lang);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	        lang, rtl ? "rtl" : "ltr");
	put_h(f, T(lang, "MC2CM steering committee report"));
	fputs(" \xc2\xb7 ", f);
	put_date(f, lang, gs(rp, "made_at"), 0);
	fputs("</title>\n<style>\n", f);
	fputs(CSS, f);
	/* The running header: the report's name and date on every page, the
	 * page number at the foot (the cover has none). */
	fputs("@page{size:A4;margin:20mm 16mm 18mm 16mm;@top-left{content:\"", f);
	put_css(f, T(lang, "MC2CM steering committee report"));
	fputs("\";font-size:8pt;color:#333}@top-right{content:\"", f);
	css_date(f, lang, gs(rp, "made_at"));
	fputs("\";font-size:8pt;color:#333}@bottom-center{content:counter(page) \" / \" counter(pages);"
	      "font-size:8pt;color:#333}}\n@page :first{@top-left{content:none}@top-right{content:none}"
	      "@bottom-center{content:none}}\n</style>\n</head>\n<body>\n",
	      f);
}

static void kv_num(FILE *f, const char *lang, const char *label, long long v, const char *id)
{
	fprintf(f, "<tr%s%s%s><th>", id ? " data-key=\"" : "", id ? id : "", id ? "\"" : "");
	put_h(f, label);
	fputs("</th>", f);
	td_num(f, lang, v);
	fputs("</tr>\n", f);
}

/* The key figures of a city or of the network (a two-column table). */
static void key_figures(FILE *f, const json_t *o, const char *lang, int totals, const json_t *rp)
{
	fputs("<div class=\"kvs\">\n<table class=\"kv\"><tbody>\n", f);
	if (totals) {
		kv_num(f, lang, T(lang, "Cities in the network"), gi(o, "cities_listed"), "cities_listed");
		kv_num(f, lang, T(lang, "Cities with data"), gi(o, "cities"), "cities");
	}
	kv_num(f, lang, T(lang, "Targeted City Actions"), gi(o, "actions"), "actions");
	const json_t *by = json_object_get(o, "actions_by_status");
	for (size_t k = 0; k < NSTATUSES; k++) {
		char label[128];
		snprintf(label, sizeof(label), "\xe2\x80\x94 %s", i18n_value(lang, "actions", "status", STATUSES[k]));
		char key[48];
		snprintf(key, sizeof(key), "status.%s", STATUSES[k]);
		kv_num(f, lang, label, gi(by, STATUSES[k]), key);
	}
	kv_num(f, lang, T(lang, "Budget (EUR)"), gi(o, "budget_eur"), "budget_eur");
	kv_num(f, lang, T(lang, "Co-funding (EUR)"), gi(o, "cofunding_eur"), "cofunding_eur");
	kv_num(f, lang, T(lang, "People reached"), gi(o, "people_reached_female") + gi(o, "people_reached_male"),
	       "people_reached");
	kv_num(f, lang, T(lang, "Women and girls"), gi(o, "people_reached_female"), "people_reached_female");
	kv_num(f, lang, T(lang, "Men and boys"), gi(o, "people_reached_male"), "people_reached_male");
	fputs("</tbody></table>\n<table class=\"kv\"><tbody>\n<tr data-key=\"sdgs\"><th>", f);
	put_h(f, T(lang, "SDGs addressed"));
	fprintf(f, "</th><td class=\"n\" data-value=\"%zu\">", json_array_size(json_object_get(o, "sdgs")));
	put_num(f, lang, (long long)json_array_size(json_object_get(o, "sdgs")));
	if (totals) {
		fprintf(f, " / ");
		put_num(f, lang, gi(o, "sdgs_total"));
	}
	fputs("</td></tr>\n<tr data-key=\"sdg_targets\"><th>", f);
	put_h(f, T(lang, "SDG targets"));
	fputs("</th><td dir=\"ltr\">", f);
	put_list(f, json_object_get(o, "sdg_targets"), ", ", put_h);
	fputs("</td></tr>\n", f);
	kv_num(f, lang, T(lang, "Peer-learning events attended"), gi(o, "events"), "events");
	kv_num(f, lang, T(lang, "Stakeholders"), gi(o, "stakeholders"), "stakeholders");
	kv_num(f, lang, T(lang, "Priorities"), gi(o, "priorities"), "priorities");
	kv_num(f, lang, T(lang, "Practices"), gi(o, "practices"), "practices");
	kv_num(f, lang, T(lang, "Migration figures"), gi(o, "migration_stats"), "migration_stats");
	const json_t *prof = json_object_get(o, "profile_sections");
	long long nsec = 0, nval = 0;
	for (size_t l = 0; l < NLANGS; l++) {
		nsec += gi(json_object_get(prof, LANGS[l]), "count");
		nval += gi(json_object_get(prof, LANGS[l]), "validated");
	}
	kv_num(f, lang, T(lang, "Profile sections written"), nsec, "profile_sections");
	kv_num(f, lang, T(lang, "Profile sections validated"), nval, "profile_validated");
	const json_t *rv = json_object_get(o, "reviews");
	kv_num(f, lang, T(lang, "Reviews: validated by the office"), gi(rv, "validated"), "reviews.validated");
	kv_num(f, lang, T(lang, "Reviews: changes requested"), gi(rv, "changes_requested"), "reviews.changes_requested");
	kv_num(f, lang, T(lang, "Reviews: out of date (edited since)"), gi(rv, "out_of_date"), "reviews.out_of_date");
	(void)rp;
	fputs("</tbody></table>\n</div>\n", f);
}

static void th(FILE *f, const char *lang, const char *msgid)
{
	fputs("<th>", f);
	put_h(f, T(lang, msgid));
	fputs("</th>", f);
}

static void cities_table(FILE *f, const json_t *rp, const char *lang)
{
	size_t i;
	json_t *c;
	fputs("<table id=\"cities-table\"><thead><tr>", f);
	th(f, lang, "City");
	th(f, lang, "Last change received");
	th(f, lang, "Targeted City Actions");
	th(f, lang, "Budget (EUR)");
	th(f, lang, "People reached");
	th(f, lang, "Peer-learning events attended");
	th(f, lang, "Profile sections validated");
	th(f, lang, "Reviews: changes requested");
	fputs("</tr></thead><tbody>\n", f);
	json_array_foreach(json_object_get(rp, "cities"), i, c)
	{
		fputs("<tr data-city=\"", f);
		put_h(f, gs(c, "city"));
		fputs("\"><th>", f);
		put_h(f, city_name(lang, c));
		fputs("</th><td>", f);
		if (!json_is_true(json_object_get(c, "has_data"))) {
			fputs("<span class=\"nodata-mark\">", f);
			put_h(f, T(lang, "no data yet"));
			fputs("</span>", f);
		} else if (json_is_string(json_object_get(c, "last_change")))
			put_date(f, lang, gs(c, "last_change"), 0);
		else
			put_h(f, T(lang, "never"));
		fputs("</td>", f);
		td_num(f, lang, gi(c, "actions"));
		td_num(f, lang, gi(c, "budget_eur"));
		td_num(f, lang, gi(c, "people_reached_female") + gi(c, "people_reached_male"));
		td_num(f, lang, gi(c, "events"));
		long long nval = 0;
		for (size_t l = 0; l < NLANGS; l++)
			nval += gi(json_object_get(json_object_get(c, "profile_sections"), LANGS[l]), "validated");
		td_num(f, lang, nval);
		td_num(f, lang, gi(json_object_get(c, "reviews"), "changes_requested"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* The review of a record from the city's review list, or NULL. */
static const json_t *review_for(const json_t *c, const char *table, const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(c, "review_list"), i, r)
	{
		if (!strcmp(gs(r, "record_table"), table) && !strcmp(gs(r, "record_id"), id))
			return r;
	}
	return NULL;
}

static void put_review(FILE *f, const char *lang, const json_t *r)
{
	const char *st = gs(r, "status");
	fprintf(f, "<span class=\"rv rv-%s%s\" data-review=\"%s\" data-out-of-date=\"%d\">",
	        !strcmp(st, "validated") ? "validated" : "changes_requested",
	        json_is_true(json_object_get(r, "out_of_date")) ? " stale" : "",
	        !strcmp(st, "validated") ? "validated" : "changes_requested", json_is_true(json_object_get(r, "out_of_date")));
	put_h(f, !strcmp(st, "validated") ? T(lang, "validated by the office") : T(lang, "changes requested by the office"));
	if (json_is_true(json_object_get(r, "out_of_date"))) {
		fputs(" (", f);
		put_h(f, T(lang, "out of date: edited since"));
		fputc(')', f);
	}
	fputs("</span>", f);
}

/* What a review is about, for people: an action's title, a profile
 * section's name and language, else the record's id. */
static void put_record_name(FILE *f, const char *lang, const json_t *c, const json_t *rv)
{
	const char *table = gs(rv, "record_table"), *id = gs(rv, "record_id");
	size_t i;
	json_t *a;
	if (!strcmp(table, "actions"))
		json_array_foreach(json_object_get(c, "action_list"), i, a) if (!strcmp(gs(a, "id"), id))
		{
			fputs("<span dir=\"auto\">", f);
			put_h(f, gs(a, "title"));
			fputs("</span>", f);
			return;
		}
	if (!strcmp(table, "profile_sections")) {
		/* CITY.SECTION.LANG */
		const char *l = strrchr(id, '.'), *sdot = strchr(id, '.');
		if (l && sdot && sdot < l) {
			char sec[64];
			snprintf(sec, sizeof(sec), "%.*s", (int)(l - sdot - 1), sdot + 1);
			put_h(f, i18n_value(lang, "profile_sections", "section", sec));
			fputs(" (", f);
			put_h(f, i18n_value(lang, "profile_sections", "lang", l + 1));
			fputc(')', f);
			return;
		}
	}
	fputs("<code>", f);
	put_h(f, id);
	fputs("</code>", f);
}

static void city_section(FILE *f, const json_t *c, const char *lang, const json_t *rp)
{
	size_t i;
	json_t *a;
	fputs("<section class=\"city\" id=\"city-", f);
	put_h(f, gs(c, "city"));
	fputs("\" data-city=\"", f);
	put_h(f, gs(c, "city"));
	fprintf(f, "\" data-has-data=\"%d\">\n<h2>", json_is_true(json_object_get(c, "has_data")));
	put_h(f, city_name(lang, c));
	fputs("<span class=\"sub\">", f);
	if (*gs(c, "country"))
		put_h(f, i18n_tr(lang, "country", gs(c, "country")));
	if (*gs(c, "region")) {
		fputs(" \xc2\xb7 ", f);
		put_h(f, i18n_value(lang, "cities", "region", gs(c, "region")));
	}
	fputs("</span></h2>\n", f);
	if (!json_is_true(json_object_get(c, "has_data"))) {
		fputs("<p class=\"nodata\">", f);
		put_h(f, T(lang, "No data yet: this city has sent nothing to the coordination office."));
		fputs("</p>\n</section>\n", f);
		return;
	}
	fputs("<p class=\"meta\">", f);
	put_h(f, T(lang, "Last change received"));
	fputs(": ", f);
	if (json_is_string(json_object_get(c, "last_change")))
		put_date(f, lang, gs(c, "last_change"), 1);
	else
		put_h(f, T(lang, "never"));
	fputs("</p>\n<h3>", f);
	put_h(f, T(lang, "Key figures"));
	fputs("</h3>\n", f);
	key_figures(f, c, lang, 0, rp);

	/* Profile: sections x languages. */
	fputs("<h3>", f);
	put_h(f, T(lang, "City Migration Profile: sections and languages"));
	fputs("</h3>\n<table class=\"grid profile\"><thead><tr>", f);
	th(f, lang, "Section");
	for (size_t l = 0; l < NLANGS; l++) {
		fputs("<th>", f);
		put_h(f, i18n_value(lang, "profile_sections", "lang", LANGS[l]));
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	const char *sec;
	json_t *row;
	json_object_foreach(json_object_get(c, "profile_grid"), sec, row)
	{
		fputs("<tr><th>", f);
		put_h(f, i18n_value(lang, "profile_sections", "section", sec));
		fputs("</th>", f);
		for (size_t l = 0; l < NLANGS; l++) {
			const char *st = gs(row, LANGS[l]);
			fprintf(f, "<td class=\"s-%s\" data-section=\"%s\" data-lang=\"%s\" data-status=\"%s\">",
			        !strcmp(st, "missing") || !strcmp(st, "draft") || !strcmp(st, "submitted") || !strcmp(st, "validated")
			            ? st
			            : "other",
			        sec, LANGS[l], !strcmp(st, "missing") ? "missing" : "present");
			put_h(f, !strcmp(st, "missing") ? "\xe2\x80\x94" : i18n_value(lang, "profile_sections", "status", st));
			char id[200];
			snprintf(id, sizeof(id), "%s.%s.%s", gs(c, "city"), sec, LANGS[l]);
			const json_t *r = review_for(c, "profile_sections", id);
			if (r) {
				fputs("<br>", f);
				put_review(f, lang, r);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);

	/* Priorities in rank order. */
	if (json_array_size(json_object_get(c, "priority_list"))) {
		fputs("<h3>", f);
		put_h(f, T(lang, "Priority Paper: priorities in rank order"));
		fputs("</h3>\n<table class=\"priorities\"><thead><tr>", f);
		th(f, lang, "Rank");
		th(f, lang, "Theme");
		th(f, lang, "Challenge");
		th(f, lang, "Proposed pilot action");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "priority_list"), i, a)
		{
			fputs("<tr>", f);
			td_num(f, lang, gi(a, "rank"));
			fputs("<td>", f);
			if (*gs(a, "theme_name"))
				put_h(f, i18n_tr(lang, "theme", gs(a, "theme_name")));
			else
				put_h(f, gs(a, "theme"));
			fputs("</td><td dir=\"auto\">", f);
			put_h(f, gs(a, "challenge"));
			fputs("</td><td dir=\"auto\">", f);
			put_h(f, gs(a, "proposed_action"));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* Actions. */
	if (json_array_size(json_object_get(c, "action_list"))) {
		fputs("<h3>", f);
		put_h(f, T(lang, "Targeted City Actions"));
		fputs("</h3>\n<table class=\"actions\"><thead><tr>", f);
		th(f, lang, "Title");
		th(f, lang, "Status");
		th(f, lang, "Budget (EUR)");
		th(f, lang, "Partners");
		th(f, lang, "Women and girls");
		th(f, lang, "Men and boys");
		th(f, lang, "SDG targets");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "action_list"), i, a)
		{
			fputs("<tr data-id=\"", f);
			put_h(f, gs(a, "id"));
			fputs("\"><td dir=\"auto\">", f);
			put_h(f, gs(a, "title"));
			const json_t *r = review_for(c, "actions", gs(a, "id"));
			if (r) {
				fputs("<br>", f);
				put_review(f, lang, r);
			}
			fputs("</td><td>", f);
			if (*gs(a, "status"))
				put_h(f, i18n_value(lang, "actions", "status", gs(a, "status")));
			fputs("</td>", f);
			if (json_is_integer(json_object_get(a, "budget_eur")))
				td_num(f, lang, gi(a, "budget_eur"));
			else
				fputs("<td class=\"n\"></td>", f);
			fputs("<td dir=\"auto\">", f);
			put_list(f, json_object_get(a, "partners"), ", ", put_h);
			fputs("</td>", f);
			td_num(f, lang, gi(a, "people_reached_female"));
			td_num(f, lang, gi(a, "people_reached_male"));
			fputs("<td dir=\"ltr\">", f);
			put_list(f, json_object_get(a, "sdg_targets"), ", ", put_h);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* Events. */
	if (json_array_size(json_object_get(c, "event_list"))) {
		fputs("<h3>", f);
		put_h(f, T(lang, "Peer-learning events attended"));
		fputs("</h3>\n<table class=\"events\"><thead><tr>", f);
		th(f, lang, "Event");
		th(f, lang, "Host");
		th(f, lang, "Month");
		th(f, lang, "Theme");
		th(f, lang, "Role");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "event_list"), i, a)
		{
			fputs("<tr>", f);
			td_num(f, lang, gi(a, "number"));
			fputs("<td>", f);
			put_h(f, *gs(a, "host_name") ? i18n_tr(lang, "city", gs(a, "host_name")) : gs(a, "host"));
			fputs("</td><td>", f);
			put_h(f, gs(a, "month"));
			fputs("</td><td dir=\"auto\">", f);
			put_h(f, gs(a, "theme"));
			fputs("</td><td>", f);
			if (*gs(a, "role"))
				put_h(f, i18n_value(lang, "event_participation", "role", gs(a, "role")));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* Stakeholders by kind. */
	if (gi(c, "stakeholders")) {
		fputs("<h3>", f);
		put_h(f, T(lang, "Stakeholders by kind"));
		fputs("</h3>\n<table class=\"kv stakeholders\"><tbody>\n", f);
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(c, "stakeholders_by_kind"), k, v)
		{
			if (!json_integer_value(v))
				continue;
			fputs("<tr><th>", f);
			put_h(f, i18n_value(lang, "stakeholders", "kind", k));
			fputs("</th>", f);
			td_num(f, lang, (long long)json_integer_value(v));
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* The office's reviews. */
	if (json_array_size(json_object_get(c, "review_list"))) {
		fputs("<h3>", f);
		put_h(f, T(lang, "Reviews by the coordination office"));
		fputs("</h3>\n<table class=\"reviews\"><thead><tr>", f);
		th(f, lang, "Record");
		th(f, lang, "Review");
		th(f, lang, "Comment");
		th(f, lang, "Date");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "review_list"), i, a)
		{
			fputs("<tr><td>", f);
			put_h(f, i18n_table(lang, gs(a, "record_table")));
			fputs(": ", f);
			put_record_name(f, lang, c, a);
			fputs("</td><td>", f);
			put_review(f, lang, a);
			fputs("</td><td dir=\"auto\">", f);
			put_h(f, gs(a, "comment"));
			fputs("</td><td>", f);
			put_date(f, lang, gs(a, "reviewed_at"), 0);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}
	fputs("</section>\n", f);
}

static void render_html(FILE *f, const json_t *rp, const char *lang)
{
	const json_t *cities = json_object_get(rp, "cities"), *tot = json_object_get(rp, "totals");
	int network = !json_is_string(json_object_get(rp, "city")) && json_array_size(cities) != 1;
	size_t i;
	json_t *c;
	html_head(f, rp, lang);

	/* Cover. */
	fputs("<section class=\"cover\">\n<p class=\"eyebrow\">", f);
	put_h(f, T(lang, "Mediterranean City-to-City Migration (MC2CM)"));
	fputs("</p>\n<h1>", f);
	put_h(f, T(lang, "Steering committee report"));
	fputs("</h1>\n<p class=\"scope\">", f);
	if (network) {
		put_h(f, T(lang, "The network"));
		fputs(": ", f);
		put_num(f, lang, (long long)json_array_size(cities));
		fputc(' ', f);
		put_h(f, T(lang, "cities"));
	} else if (json_array_size(cities)) {
		put_h(f, city_name(lang, json_array_get(cities, 0)));
	}
	fputs("</p>\n<dl>\n<dt>", f);
	put_h(f, T(lang, "Made on"));
	fputs("</dt><dd id=\"made-at\" data-value=\"", f);
	put_h(f, gs(rp, "made_at"));
	fputs("\">", f);
	put_date(f, lang, gs(rp, "made_at"), 0);
	fputs("</dd>\n<dt>", f);
	put_h(f, T(lang, "History it reflects"));
	fputs("</dt><dd id=\"head\" data-commit=\"", f);
	put_h(f, gs(rp, "head"));
	fputs("\" data-date=\"", f);
	put_h(f, gs(rp, "head_date"));
	fputs("\">", f);
	put_h(f, T(lang, "commit"));
	fputs(" <code dir=\"ltr\">", f);
	put_h(f, gs(rp, "head"));
	fputs("</code>, ", f);
	put_date(f, lang, gs(rp, "head_date"), 1);
	fputs("</dd>\n", f);
	if (json_is_string(json_object_get(rp, "at"))) {
		fputs("<dt>", f);
		put_h(f, T(lang, "As it stood at"));
		fputs("</dt><dd id=\"at\" dir=\"ltr\">", f);
		put_h(f, gs(rp, "at"));
		fputs("</dd>\n", f);
	}
	fputs("<dt>", f);
	put_h(f, T(lang, "Made by node"));
	fputs("</dt><dd><code dir=\"ltr\">", f);
	put_h(f, gs(rp, "node_id"));
	fputs("</code></dd>\n</dl>\n", f);
	if (network) {
		fputs("<ol class=\"toc\">\n", f);
		json_array_foreach(cities, i, c)
		{
			fputs("<li><a href=\"#city-", f);
			put_h(f, gs(c, "city"));
			fputs("\">", f);
			put_h(f, city_name(lang, c));
			fputs("</a>", f);
			if (!json_is_true(json_object_get(c, "has_data"))) {
				fputs(" <span class=\"nodata-mark\">(", f);
				put_h(f, T(lang, "no data yet"));
				fputs(")</span>", f);
			}
			fputs("</li>\n", f);
		}
		fputs("</ol>\n", f);
	}
	fputs("</section>\n", f);

	/* Network summary. */
	fputs("<section class=\"summary\" id=\"summary\">\n<h2>", f);
	put_h(f, network ? T(lang, "Network summary") : T(lang, "Summary"));
	fputs("</h2>\n<div id=\"summary-figures\">\n", f);
	key_figures(f, tot, lang, 1, rp);
	fputs("</div>\n", f);
	if (network) {
		fputs("<h3>", f);
		put_h(f, T(lang, "Cities at a glance"));
		fputs("</h3>\n", f);
		cities_table(f, rp, lang);
	}
	charts(f, rp, lang);
	fputs("</section>\n", f);

	json_array_foreach(cities, i, c) city_section(f, c, lang, rp);
	fputs("</body>\n</html>\n", f);
}

/* ------------------------------------------------------------- entries */

typedef void (*render_fn)(FILE *f, const json_t *rp, const char *lang);

static int to_buffer(render_fn fn, const json_t *rp, const char *lang, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	*out = NULL;
	*len = 0;
	FILE *m = open_memstream(&buf, &n);
	if (!m)
		return err_set(C2C_ENOMEM, "out of memory");
	fn(m, rp, lang);
	if (fclose(m) != 0 || !buf) {
		free(buf);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	*out = buf;
	*len = n;
	return 0;
}

static void r_text(FILE *f, const json_t *rp, const char *lang)
{
	(void)lang;
	render_text(f, rp);
}
static void r_csv(FILE *f, const json_t *rp, const char *lang)
{
	(void)lang;
	render_csv(f, rp);
}
static void r_json(FILE *f, const json_t *rp, const char *lang)
{
	(void)lang;
	json_dumpf(rp, f, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', f);
}

int office_render(const json_t *report, int format, const char *lang, char **out, size_t *len)
{
	static const render_fn fns[] = {r_text, r_csv, r_json, render_html};
	if (format < 0 || format > OFFICE_HTML)
		return err_set(C2C_EINVALID, "unknown report format");
	return to_buffer(fns[format], report, i18n_lang(lang) ? i18n_lang(lang) : "en", out, len);
}

/* ------------------------------------------------------------ dashboard */

static void dashboard(FILE *f, const json_t *rp, const char *lang)
{
	size_t i;
	json_t *c;
	/* office_dashboard_html's arguments travel in the report (no globals: a
	 * web server may render pages on several threads). */
	const json_t *d = json_object_get(rp, "dashboard");
	int silent_days = (int)gi(d, "silent_days");
	long long now = gi(d, "now");
	fprintf(f, "<section class=\"office-dashboard\" data-silent-days=\"%d\">\n<h2>", silent_days);
	put_h(f, T(lang, "Cities of the network"));
	fputs("</h2>\n<p class=\"meta\">", f);
	put_h(f, T(lang, "Cities that have sent nothing for this many days stand out:"));
	fputc(' ', f);
	put_num(f, lang, silent_days);
	fputs("</p>\n<table id=\"dashboard-cities\"><thead><tr>", f);
	th(f, lang, "City");
	th(f, lang, "Last change received");
	th(f, lang, "Days ago");
	th(f, lang, "Profile sections validated");
	th(f, lang, "Targeted City Actions");
	th(f, lang, "Budget (EUR)");
	th(f, lang, "Co-funding (EUR)");
	th(f, lang, "Women and girls");
	th(f, lang, "Men and boys");
	th(f, lang, "Open conflicts");
	th(f, lang, "Reviews: changes requested");
	fputs("</tr></thead><tbody>\n", f);
	json_array_foreach(json_object_get(rp, "cities"), i, c)
	{
		json_t *lt = json_object_get(c, "last_change_time");
		long long days = json_is_integer(lt) ? (now - (long long)json_integer_value(lt)) / 86400 : -1;
		int silent = days < 0 || days >= silent_days;
		fputs("<tr data-city=\"", f);
		put_h(f, gs(c, "city"));
		fprintf(f, "\" data-silent=\"%d\"%s><th>", silent, silent ? " class=\"silent\"" : "");
		put_h(f, city_name(lang, c));
		if (silent) { /* in words too: a mark that needs no colour */
			fputs(" <span class=\"silent-mark\">", f);
			put_h(f, T(lang, "silent"));
			fputs("</span>", f);
		}
		fputs("</th><td>", f);
		if (json_is_string(json_object_get(c, "last_change")))
			put_date(f, lang, gs(c, "last_change"), 1);
		else
			put_h(f, T(lang, "never"));
		fputs("</td>", f);
		if (days >= 0)
			td_num(f, lang, days);
		else
			fputs("<td class=\"n\" data-value=\"\">\xe2\x80\x94</td>", f);
		long long nval = 0, nsec = 0;
		for (size_t l = 0; l < NLANGS; l++) {
			nval += gi(json_object_get(json_object_get(c, "profile_sections"), LANGS[l]), "validated");
			nsec += gi(json_object_get(json_object_get(c, "profile_sections"), LANGS[l]), "count");
		}
		fprintf(f, "<td class=\"n\" data-value=\"%lld\" data-written=\"%lld\">", nval, nsec);
		put_num(f, lang, nval);
		fputs(" / ", f);
		put_num(f, lang, nsec);
		fputs("</td>", f);
		td_num(f, lang, gi(c, "actions"));
		td_num(f, lang, gi(c, "budget_eur"));
		td_num(f, lang, gi(c, "cofunding_eur"));
		td_num(f, lang, gi(c, "people_reached_female"));
		td_num(f, lang, gi(c, "people_reached_male"));
		td_num(f, lang, gi(c, "conflicts"));
		td_num(f, lang, gi(json_object_get(c, "reviews"), "changes_requested"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	charts(f, rp, lang);
	fputs("</section>\n", f);
}

int office_dashboard_html(c2c_node *n, const char *lang, int silent_days, long long now, char **out, size_t *len)
{
	json_t *rp = NULL;
	office_opts o = {NULL, NULL, now, 1}; /* the dashboard shows no list of records */
	int err;
	*out = NULL;
	if ((err = office_report(n, &o, &rp)) < 0)
		return err;
	json_object_set_new(rp, "dashboard", json_pack("{s:i,s:I}", "silent_days", silent_days > 0 ? silent_days : 30,
	                                               "now", (json_int_t)(now ? now : (long long)time(NULL))));
	err = to_buffer(dashboard, rp, i18n_lang(lang) ? i18n_lang(lang) : "en", out, len);
	json_decref(rp);
	return err;
}
