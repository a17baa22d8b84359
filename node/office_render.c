/* office_render: the renderings of office.h's report, and the office
 * dashboard's fragment.
 *
 * Everything is rendered from the report's JSON object alone, by the
 * renderer of each format: report_text.c (text, CSV), report_html.c (the
 * page), report_svg.c (its charts); JSON is the object itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/office.h"
#include "c2c/report_fmt.h"
#include "c2c/report_html.h"
#include "c2c/report_model.h"
#include "c2c/report_svg.h"
#include "c2c/report_text.h"

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
		return ERR_OOM();
	fn(m, rp, lang);
	if (fclose(m) != 0 || !buf) {
		free(buf);
		return ERR_OOM();
	}
	*out = buf;
	*len = n;
	return 0;
}

static void r_text(FILE *f, const json_t *rp, const char *lang)
{
	(void)lang;
	report_text_render(f, rp);
}
static void r_csv(FILE *f, const json_t *rp, const char *lang)
{
	(void)lang;
	report_csv_render(f, rp);
}
static void r_json(FILE *f, const json_t *rp, const char *lang)
{
	(void)lang;
	json_dumpf(rp, f, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', f);
}

int office_render(const json_t *report, int format, const char *lang, char **out, size_t *len)
{
	static const render_fn fns[] = {r_text, r_csv, r_json, report_html_render};
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
	int silent_days = (int)fmt_gi(d, "silent_days");
	long long now = fmt_gi(d, "now");
	fprintf(f, "<section class=\"office-dashboard\" data-silent-days=\"%d\">\n<h2>", silent_days);
	fmt_h(f, fmt_tr(lang, "Cities of the network"));
	fputs("</h2>\n<p class=\"meta\">", f);
	fmt_h(f, fmt_tr(lang, "Cities that have sent nothing for this many days stand out:"));
	fputc(' ', f);
	fmt_put_num(f, lang, silent_days);
	fputs("</p>\n<table id=\"dashboard-cities\"><thead><tr>", f);
	fmt_th(f, lang, "City");
	fmt_th(f, lang, "Last change received");
	fmt_th(f, lang, "Days ago");
	fmt_th(f, lang, "Profile sections validated");
	fmt_th(f, lang, "Targeted City Actions");
	fmt_th(f, lang, "Budget (EUR)");
	fmt_th(f, lang, "Co-funding (EUR)");
	fmt_th(f, lang, "Women and girls");
	fmt_th(f, lang, "Men and boys");
	fmt_th(f, lang, "Open conflicts");
	fmt_th(f, lang, "Reviews: changes requested");
	fputs("</tr></thead><tbody>\n", f);
	json_array_foreach(json_object_get(rp, "cities"), i, c)
	{
		json_t *lt = json_object_get(c, "last_change_time");
		long long days = -1; /* no change received */
		if (json_is_integer(lt)) {
			days = (now - (long long)json_integer_value(lt)) / 86400;
			if (days < 0) /* dated after now: a node's clock ahead of this one's, recent all the same */
				days = 0;
		}
		int silent = days < 0 || days >= silent_days;
		fputs("<tr data-city=\"", f);
		fmt_h(f, fmt_gs(c, "city"));
		fprintf(f, "\" data-silent=\"%d\"%s><th>", silent, silent ? " class=\"silent\"" : "");
		fmt_h(f, fmt_city(lang, c));
		if (silent) { /* in words too: a mark that needs no colour */
			fputs(" <span class=\"silent-mark\">", f);
			fmt_h(f, fmt_tr(lang, "silent"));
			fputs("</span>", f);
		}
		fputs("</th><td>", f);
		if (json_is_string(json_object_get(c, "last_change")))
			fmt_date(f, lang, fmt_gs(c, "last_change"), 1);
		else
			fmt_h(f, fmt_tr(lang, "never"));
		fputs("</td>", f);
		if (days >= 0)
			fmt_td_num(f, lang, days);
		else
			fputs("<td class=\"n\" data-value=\"\">\xe2\x80\x94</td>", f);
		long long nval = 0, nsec = 0;
		for (size_t l = 0; l < REPORT_NLANGS; l++) {
			nval += fmt_gi(json_object_get(json_object_get(c, "profile_sections"), REPORT_LANGS[l]), "validated");
			nsec += fmt_gi(json_object_get(json_object_get(c, "profile_sections"), REPORT_LANGS[l]), "count");
		}
		fprintf(f, "<td class=\"n\" data-value=\"%lld\" data-written=\"%lld\">", nval, nsec);
		fmt_put_num(f, lang, nval);
		fputs(" / ", f);
		fmt_put_num(f, lang, nsec);
		fputs("</td>", f);
		fmt_td_num(f, lang, fmt_gi(c, "actions"));
		fmt_td_num(f, lang, fmt_gi(c, "budget_eur"));
		fmt_td_num(f, lang, fmt_gi(c, "cofunding_eur"));
		fmt_td_num(f, lang, fmt_gi(c, "people_reached_female"));
		fmt_td_num(f, lang, fmt_gi(c, "people_reached_male"));
		fmt_td_num(f, lang, fmt_gi(c, "conflicts"));
		fmt_td_num(f, lang, fmt_gi(json_object_get(c, "reviews"), "changes_requested"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	report_svg_charts(f, rp, lang);
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
