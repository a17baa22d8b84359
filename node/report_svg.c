/* report_svg: the charts of the office's report, as SVG made here
 * (report_svg.h).
 *
 * Each bar, square or point carries its number in data-value, so that
 * tests read the figures back. Fills are shades and hatchings that stay
 * apart on a black-and-white printer; for a right-to-left language the
 * drawing mirrors itself (x from the start side). */
#include "c2c/report_svg.h"

#include <stdio.h>
#include <string.h>

#include "c2c/i18n.h"
#include "c2c/report_fmt.h"
#include "c2c/report_model.h"

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
	fmt_h(f, label);
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
		fmt_h(s->f, words[i]);
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
	json_array_foreach(cities, i, c) if (fmt_gi(c, "actions") > max) max = fmt_gi(c, "actions");
	double h = 28 + ROW * (double)n + 24;
	svg s = {f, rtl, CW};
	const char *words[REPORT_NSTATUSES];
	for (size_t k = 0; k < REPORT_NSTATUSES; k++)
		words[k] = i18n_value(lang, "actions", "status", REPORT_STATUSES[k]);
	svg_open(f, "chart-actions-status", CW, h, fmt_tr(lang, "Actions by status, per city"));
	svg_defs(f, "cs");
	legend(&s, 14, "cs", REPORT_NSTATUSES, STATUS_FILL, words);
	json_array_foreach(cities, i, c)
	{
		double y = 28 + ROW * (double)i, x = LW + 6;
		s_text(&s, LW, y + 10, 1, "lb");
		fmt_h(f, fmt_city(lang, c));
		fputs("</text>\n", f);
		const json_t *by = json_object_get(c, "actions_by_status");
		for (size_t k = 0; k < REPORT_NSTATUSES; k++) {
			long long v = fmt_gi(by, REPORT_STATUSES[k]);
			double w = bar_len(CW - LW - 60, v, max);
			if (!v)
				continue;
			s_rect(&s, x, y, w, 11, STATUS_FILL[k], "cs");
			fprintf(f, " data-city=\"");
			fmt_h(f, fmt_gs(c, "city"));
			fprintf(f, "\" data-status=\"%s\" data-value=\"%lld\"><title>", REPORT_STATUSES[k], v);
			fmt_h(f, fmt_city(lang, c));
			fputs(": ", f);
			fmt_h(f, words[k]);
			fputc(' ', f);
			fmt_put_num(f, lang, v);
			fputs("</title></rect>\n", f);
			x += w;
		}
		s_text(&s, x + 4, y + 10, 0, "v");
		fprintf(f, "<tspan data-city=\"");
		fmt_h(f, fmt_gs(c, "city"));
		fprintf(f, "\" data-total=\"%lld\">", fmt_gi(c, "actions"));
		fmt_put_num(f, lang, fmt_gi(c, "actions"));
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
		if (fmt_gi(g, "budget_eur") > max)
			max = fmt_gi(g, "budget_eur");
	}
	double h = 12 + ROW * (double)(rows ? rows : 1) + 8;
	svg s = {f, rtl, CW};
	svg_open(f, "chart-budget-sdg", CW, h, fmt_tr(lang, "Budget by SDG (goals and targets)"));
	svg_defs(f, "cb");
	if (!rows) {
		s_text(&s, LW, 20, 0, "lb");
		fmt_h(f, fmt_tr(lang, "No action names an SDG target yet."));
		fputs("</text>\n", f);
	}
	double y = 8;
	json_array_foreach(goals, i, g)
	{
		char key[24];
		snprintf(key, sizeof(key), "%lld", fmt_gi(g, "goal"));
		const char *name = json_string_value(json_object_get(names, key));
		s_text(&s, LW + 250, y + 10, 1, "lb b");
		fmt_h(f, fmt_tr(lang, "SDG"));
		fputc(' ', f);
		fmt_put_num(f, lang, fmt_gi(g, "goal"));
		if (name) {
			fputs(" \xc2\xb7 ", f);
			fmt_h(f, i18n_tr(lang, "sdg", name));
		}
		fputs("</text>\n", f);
		double w = bar_len(CW - LW - 250 - 90, fmt_gi(g, "budget_eur"), max);
		s_rect(&s, LW + 256, y, w, 11, "#2b2b2b", "cb");
		fprintf(f, " data-sdg=\"%lld\" data-value=\"%lld\" data-actions=\"%lld\"/>\n", fmt_gi(g, "goal"),
		        fmt_gi(g, "budget_eur"), fmt_gi(g, "actions"));
		s_text(&s, LW + 260 + w, y + 10, 0, "v");
		fmt_put_num(f, lang, fmt_gi(g, "budget_eur"));
		fputs(" \xe2\x82\xac</text>\n", f);
		y += ROW;
		json_array_foreach(json_object_get(g, "targets"), k, t)
		{
			s_text(&s, LW + 250, y + 10, 1, "lb");
			fmt_h(f, fmt_gs(t, "target"));
			fputs("</text>\n", f);
			double tw = bar_len(CW - LW - 250 - 90, fmt_gi(t, "budget_eur"), max);
			s_rect(&s, LW + 256, y + 2, tw, 8, "url(#P-hatch)", "cb");
			fputs(" data-target=\"", f);
			fmt_h(f, fmt_gs(t, "target"));
			fprintf(f, "\" data-value=\"%lld\" data-actions=\"%lld\"/>\n", fmt_gi(t, "budget_eur"), fmt_gi(t, "actions"));
			s_text(&s, LW + 260 + tw, y + 10, 0, "v");
			fmt_put_num(f, lang, fmt_gi(t, "budget_eur"));
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
		long long v = fmt_gi(c, "people_reached_female") + fmt_gi(c, "people_reached_male");
		if (v > max)
			max = v;
	}
	static const char *const sexes[] = {"female", "male"};
	static const char *const keys[] = {"people_reached_female", "people_reached_male"};
	static const char *const fills[] = {"#3a3a3a", "url(#P-hatch)"};
	const char *words[2] = {fmt_tr(lang, "Women and girls"), fmt_tr(lang, "Men and boys")};
	double h = 28 + ROW * (double)n + 8;
	svg s = {f, rtl, CW};
	svg_open(f, "chart-people-sex", CW, h, fmt_tr(lang, "People reached by sex"));
	svg_defs(f, "cp");
	legend(&s, 14, "cp", 2, fills, words);
	json_array_foreach(cities, i, c)
	{
		double y = 28 + ROW * (double)i, x = LW + 6;
		s_text(&s, LW, y + 10, 1, "lb");
		fmt_h(f, fmt_city(lang, c));
		fputs("</text>\n", f);
		for (int k = 0; k < 2; k++) {
			long long v = fmt_gi(c, keys[k]);
			double w = bar_len(CW - LW - 90, v, max);
			if (!v)
				continue;
			s_rect(&s, x, y, w, 11, fills[k], "cp");
			fputs(" data-city=\"", f);
			fmt_h(f, fmt_gs(c, "city"));
			fprintf(f, "\" data-sex=\"%s\" data-value=\"%lld\"><title>", sexes[k], v);
			fmt_h(f, words[k]);
			fputc(' ', f);
			fmt_put_num(f, lang, v);
			fputs("</title></rect>\n", f);
			x += w;
		}
		long long tot = fmt_gi(c, "people_reached_female") + fmt_gi(c, "people_reached_male");
		s_text(&s, x + 4, y + 10, 0, "v");
		fmt_put_num(f, lang, tot);
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
	svg_open(f, "chart-profile-grid", w, h, fmt_tr(lang, "Profile completeness: city, section and language"));
	/* Column heads: section names turned, language codes under them. */
	for (size_t si = 0; si < ns; si++) {
		double x0 = lw + 8 + (double)si * (4 * cell + gap);
		double cx = x0 + 2 * cell, rx = rtl ? w - cx : cx;
		fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-50)\" class=\"lb sm\" text-anchor=\"start\">", rx,
		        top - 14);
		fmt_h(f, i18n_value(lang, "profile_sections", "section", secs[si]));
		fputs("</text>\n", f);
		for (size_t l = 0; l < REPORT_NLANGS; l++) {
			s_text(&s, x0 + (double)l * cell + cell / 2, top - 3, 0, "xs");
			fprintf(f, "%s</text>\n", REPORT_LANGS[l]);
		}
	}
	json_array_foreach(cities, i, c)
	{
		double y = top + 13 * (double)i;
		s_text(&s, lw, y + 9, 1, "lb");
		fmt_h(f, fmt_city(lang, c));
		fputs("</text>\n", f);
		const json_t *grid = json_object_get(c, "profile_grid");
		int done = 0;
		for (size_t si = 0; si < ns; si++) {
			const json_t *row = json_object_get(grid, secs[si]);
			for (size_t l = 0; l < REPORT_NLANGS; l++) {
				const char *st = json_string_value(json_object_get(row, REPORT_LANGS[l]));
				int val = 0;
				for (int q = 0; q < 4; q++)
					if (st && !strcmp(st, states[q]))
						val = q;
				done += val == 3;
				double x = lw + 8 + (double)si * (4 * cell + gap) + (double)l * cell;
				s_rect(&s, x, y, cell, 11, fills[val], "cg");
				fputs(" data-city=\"", f);
				fmt_h(f, fmt_gs(c, "city"));
				fprintf(f, "\" data-section=\"%s\" data-lang=\"%s\" data-status=\"%s\" data-value=\"%d\"/>\n", secs[si],
				        REPORT_LANGS[l], states[val], val);
			}
		}
		s_text(&s, lw + 8 + (double)ns * (4 * cell + gap) + 2, y + 9, 0, "v");
		fmt_put_num(f, lang, done);
		fputs("</text>\n", f);
	}
	/* Legend. */
	double x = lw;
	for (int q = 0; q < 4; q++) {
		const char *word = q ? i18n_value(lang, "profile_sections", "status", states[q]) : fmt_tr(lang, "Missing");
		s_rect(&s, x, h - 18, 10, 10, fills[q], "cg");
		fputs("/>", f);
		s_text(&s, x + 14, h - 9, 0, "lg");
		fmt_h(f, word);
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
	json_array_foreach(cities, i, c) if (fmt_gi(c, "events") > max) max = fmt_gi(c, "events");
	double h = 8 + ROW * (double)n + 8;
	svg s = {f, rtl, CW};
	svg_open(f, "chart-events", CW, h, fmt_tr(lang, "Peer-learning events attended, per city"));
	json_array_foreach(cities, i, c)
	{
		double y = 8 + ROW * (double)i;
		s_text(&s, LW, y + 10, 1, "lb");
		fmt_h(f, fmt_city(lang, c));
		fputs("</text>\n", f);
		double w = bar_len(CW - LW - 60, fmt_gi(c, "events"), max);
		s_rect(&s, LW + 6, y, w, 11, "#5a5a5a", "ce");
		fputs(" data-city=\"", f);
		fmt_h(f, fmt_gs(c, "city"));
		fprintf(f, "\" data-value=\"%lld\"/>\n", fmt_gi(c, "events"));
		s_text(&s, LW + 10 + w, y + 10, 0, "v");
		fmt_put_num(f, lang, fmt_gi(c, "events"));
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void figure(FILE *f, const char *id, const char *caption, const char *note)
{
	fprintf(f, "<figure class=\"chart\" id=\"fig-%s\">\n<figcaption>", id);
	fmt_h(f, caption);
	fputs("</figcaption>\n", f);
	if (note) {
		fputs("<p class=\"note\">", f);
		fmt_h(f, note);
		fputs("</p>\n", f);
	}
}

void report_svg_charts(FILE *f, const json_t *rp, const char *lang)
{
	int rtl = i18n_rtl(lang);
	figure(f, "actions-status", fmt_tr(lang, "Actions by status, per city"), NULL);
	chart_status(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "budget-sdg", fmt_tr(lang, "Budget by SDG (goals and targets)"),
	       fmt_tr(lang, "An action counts under each goal and target it addresses, so the bars add up to more than the "
	                    "budget."));
	chart_budget_sdg(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "people-sex", fmt_tr(lang, "People reached by sex"), NULL);
	chart_people(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "profile-grid", fmt_tr(lang, "Profile completeness: city, section and language"),
	       fmt_tr(lang, "Each square is one section of the City Migration Profile in one language; the number is the "
	                    "squares validated."));
	chart_profiles(f, rp, lang, rtl);
	fputs("</figure>\n", f);
	figure(f, "events", fmt_tr(lang, "Peer-learning events attended, per city"), NULL);
	chart_events(f, rp, lang, rtl);
	fputs("</figure>\n", f);
}

