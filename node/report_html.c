/* report_html: the steering committee's report as one HTML page
 * (report_html.h).
 *
 * Every value that reaches the page goes through fmt_h (text and
 * attributes alike); numbers are written by the program. The page is meant
 * for print: A4, one page per city, headings kept with what follows, a
 * running header with the report's date. Arabic pages are dir="rtl", with
 * CSS in logical properties. */
#include "c2c/report_html.h"

#include <stdio.h>
#include <string.h>

#include "c2c/i18n.h"
#include "c2c/report_fmt.h"
#include "c2c/report_model.h"
#include "c2c/report_svg.h"

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
	fmt_h(f, fmt_tr(lang, "MC2CM steering committee report"));
	fputs(" \xc2\xb7 ", f);
	fmt_date(f, lang, fmt_gs(rp, "made_at"), 0);
	fputs("</title>\n<style>\n", f);
	fputs(CSS, f);
	/* The running header: the report's name and date on every page, the
	 * page number at the foot (the cover has none). */
	fputs("@page{size:A4;margin:20mm 16mm 18mm 16mm;@top-left{content:\"", f);
	fmt_css(f, fmt_tr(lang, "MC2CM steering committee report"));
	fputs("\";font-size:8pt;color:#333}@top-right{content:\"", f);
	fmt_css_date(f, lang, fmt_gs(rp, "made_at"));
	fputs("\";font-size:8pt;color:#333}@bottom-center{content:counter(page) \" / \" counter(pages);"
	      "font-size:8pt;color:#333}}\n@page :first{@top-left{content:none}@top-right{content:none}"
	      "@bottom-center{content:none}}\n</style>\n</head>\n<body>\n",
	      f);
}

static void kv_num(FILE *f, const char *lang, const char *label, long long v, const char *id)
{
	fprintf(f, "<tr%s%s%s><th>", id ? " data-key=\"" : "", id ? id : "", id ? "\"" : "");
	fmt_h(f, label);
	fputs("</th>", f);
	fmt_td_num(f, lang, v);
	fputs("</tr>\n", f);
}

/* The key figures of a city or of the network (a two-column table). */
static void key_figures(FILE *f, const json_t *o, const char *lang, int totals, const json_t *rp)
{
	fputs("<div class=\"kvs\">\n<table class=\"kv\"><tbody>\n", f);
	if (totals) {
		kv_num(f, lang, fmt_tr(lang, "Cities in the network"), fmt_gi(o, "cities_listed"), "cities_listed");
		kv_num(f, lang, fmt_tr(lang, "Cities with data"), fmt_gi(o, "cities"), "cities");
	}
	kv_num(f, lang, fmt_tr(lang, "Targeted City Actions"), fmt_gi(o, "actions"), "actions");
	const json_t *by = json_object_get(o, "actions_by_status");
	for (size_t k = 0; k < REPORT_NSTATUSES; k++) {
		char label[128];
		snprintf(label, sizeof(label), "\xe2\x80\x94 %s", i18n_value(lang, "actions", "status", REPORT_STATUSES[k]));
		char key[48];
		snprintf(key, sizeof(key), "status.%s", REPORT_STATUSES[k]);
		kv_num(f, lang, label, fmt_gi(by, REPORT_STATUSES[k]), key);
	}
	kv_num(f, lang, fmt_tr(lang, "Budget (EUR)"), fmt_gi(o, "budget_eur"), "budget_eur");
	kv_num(f, lang, fmt_tr(lang, "Co-funding (EUR)"), fmt_gi(o, "cofunding_eur"), "cofunding_eur");
	kv_num(f, lang, fmt_tr(lang, "People reached"), fmt_gi(o, "people_reached_female") + fmt_gi(o, "people_reached_male"),
	       "people_reached");
	kv_num(f, lang, fmt_tr(lang, "Women and girls"), fmt_gi(o, "people_reached_female"), "people_reached_female");
	kv_num(f, lang, fmt_tr(lang, "Men and boys"), fmt_gi(o, "people_reached_male"), "people_reached_male");
	fputs("</tbody></table>\n<table class=\"kv\"><tbody>\n<tr data-key=\"sdgs\"><th>", f);
	fmt_h(f, fmt_tr(lang, "SDGs addressed"));
	fprintf(f, "</th><td class=\"n\" data-value=\"%zu\">", json_array_size(json_object_get(o, "sdgs")));
	fmt_put_num(f, lang, (long long)json_array_size(json_object_get(o, "sdgs")));
	if (totals) {
		fprintf(f, " / ");
		fmt_put_num(f, lang, fmt_gi(o, "sdgs_total"));
	}
	fputs("</td></tr>\n<tr data-key=\"sdg_targets\"><th>", f);
	fmt_h(f, fmt_tr(lang, "SDG targets"));
	fputs("</th><td dir=\"ltr\">", f);
	fmt_list(f, json_object_get(o, "sdg_targets"), ", ", fmt_h);
	fputs("</td></tr>\n", f);
	kv_num(f, lang, fmt_tr(lang, "Peer-learning events attended"), fmt_gi(o, "events"), "events");
	kv_num(f, lang, fmt_tr(lang, "Stakeholders"), fmt_gi(o, "stakeholders"), "stakeholders");
	kv_num(f, lang, fmt_tr(lang, "Priorities"), fmt_gi(o, "priorities"), "priorities");
	kv_num(f, lang, fmt_tr(lang, "Practices"), fmt_gi(o, "practices"), "practices");
	kv_num(f, lang, fmt_tr(lang, "Migration figures"), fmt_gi(o, "migration_stats"), "migration_stats");
	const json_t *prof = json_object_get(o, "profile_sections");
	long long nsec = 0, nval = 0;
	for (size_t l = 0; l < REPORT_NLANGS; l++) {
		nsec += fmt_gi(json_object_get(prof, REPORT_LANGS[l]), "count");
		nval += fmt_gi(json_object_get(prof, REPORT_LANGS[l]), "validated");
	}
	kv_num(f, lang, fmt_tr(lang, "Profile sections written"), nsec, "profile_sections");
	kv_num(f, lang, fmt_tr(lang, "Profile sections validated"), nval, "profile_validated");
	const json_t *rv = json_object_get(o, "reviews");
	kv_num(f, lang, fmt_tr(lang, "Reviews: validated by the office"), fmt_gi(rv, "validated"), "reviews.validated");
	kv_num(f, lang, fmt_tr(lang, "Reviews: changes requested"), fmt_gi(rv, "changes_requested"), "reviews.changes_requested");
	kv_num(f, lang, fmt_tr(lang, "Reviews: out of date (edited since)"), fmt_gi(rv, "out_of_date"), "reviews.out_of_date");
	(void)rp;
	fputs("</tbody></table>\n</div>\n", f);
}

static void cities_table(FILE *f, const json_t *rp, const char *lang)
{
	size_t i;
	json_t *c;
	fputs("<table id=\"cities-table\"><thead><tr>", f);
	fmt_th(f, lang, "City");
	fmt_th(f, lang, "Last change received");
	fmt_th(f, lang, "Targeted City Actions");
	fmt_th(f, lang, "Budget (EUR)");
	fmt_th(f, lang, "People reached");
	fmt_th(f, lang, "Peer-learning events attended");
	fmt_th(f, lang, "Profile sections validated");
	fmt_th(f, lang, "Reviews: changes requested");
	fputs("</tr></thead><tbody>\n", f);
	json_array_foreach(json_object_get(rp, "cities"), i, c)
	{
		fputs("<tr data-city=\"", f);
		fmt_h(f, fmt_gs(c, "city"));
		fputs("\"><th>", f);
		fmt_h(f, fmt_city(lang, c));
		fputs("</th><td>", f);
		if (!json_is_true(json_object_get(c, "has_data"))) {
			fputs("<span class=\"nodata-mark\">", f);
			fmt_h(f, fmt_tr(lang, "no data yet"));
			fputs("</span>", f);
		} else if (json_is_string(json_object_get(c, "last_change")))
			fmt_date(f, lang, fmt_gs(c, "last_change"), 0);
		else
			fmt_h(f, fmt_tr(lang, "never"));
		fputs("</td>", f);
		fmt_td_num(f, lang, fmt_gi(c, "actions"));
		fmt_td_num(f, lang, fmt_gi(c, "budget_eur"));
		fmt_td_num(f, lang, fmt_gi(c, "people_reached_female") + fmt_gi(c, "people_reached_male"));
		fmt_td_num(f, lang, fmt_gi(c, "events"));
		long long nval = 0;
		for (size_t l = 0; l < REPORT_NLANGS; l++)
			nval += fmt_gi(json_object_get(json_object_get(c, "profile_sections"), REPORT_LANGS[l]), "validated");
		fmt_td_num(f, lang, nval);
		fmt_td_num(f, lang, fmt_gi(json_object_get(c, "reviews"), "changes_requested"));
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
		if (!strcmp(fmt_gs(r, "record_table"), table) && !strcmp(fmt_gs(r, "record_id"), id))
			return r;
	}
	return NULL;
}

static void put_review(FILE *f, const char *lang, const json_t *r)
{
	const char *st = fmt_gs(r, "status");
	fprintf(f, "<span class=\"rv rv-%s%s\" data-review=\"%s\" data-out-of-date=\"%d\">",
	        !strcmp(st, "validated") ? "validated" : "changes_requested",
	        json_is_true(json_object_get(r, "out_of_date")) ? " stale" : "",
	        !strcmp(st, "validated") ? "validated" : "changes_requested", json_is_true(json_object_get(r, "out_of_date")));
	fmt_h(f, !strcmp(st, "validated") ? fmt_tr(lang, "validated by the office") : fmt_tr(lang, "changes requested by the office"));
	if (json_is_true(json_object_get(r, "out_of_date"))) {
		fputs(" (", f);
		fmt_h(f, fmt_tr(lang, "out of date: edited since"));
		fputc(')', f);
	}
	fputs("</span>", f);
}

/* What a review is about, for people: an action's title, a profile
 * section's name and language, else the record's id. */
static void put_record_name(FILE *f, const char *lang, const json_t *c, const json_t *rv)
{
	const char *table = fmt_gs(rv, "record_table"), *id = fmt_gs(rv, "record_id");
	size_t i;
	json_t *a;
	if (!strcmp(table, "actions"))
		json_array_foreach(json_object_get(c, "action_list"), i, a) if (!strcmp(fmt_gs(a, "id"), id))
		{
			fputs("<span dir=\"auto\">", f);
			fmt_h(f, fmt_gs(a, "title"));
			fputs("</span>", f);
			return;
		}
	if (!strcmp(table, "profile_sections")) {
		/* CITY.SECTION.LANG */
		const char *l = strrchr(id, '.'), *sdot = strchr(id, '.');
		if (l && sdot && sdot < l) {
			char sec[64];
			snprintf(sec, sizeof(sec), "%.*s", (int)(l - sdot - 1), sdot + 1);
			fmt_h(f, i18n_value(lang, "profile_sections", "section", sec));
			fputs(" (", f);
			fmt_h(f, i18n_value(lang, "profile_sections", "lang", l + 1));
			fputc(')', f);
			return;
		}
	}
	fputs("<code>", f);
	fmt_h(f, id);
	fputs("</code>", f);
}

static void city_section(FILE *f, const json_t *c, const char *lang, const json_t *rp)
{
	size_t i;
	json_t *a;
	fputs("<section class=\"city\" id=\"city-", f);
	fmt_h(f, fmt_gs(c, "city"));
	fputs("\" data-city=\"", f);
	fmt_h(f, fmt_gs(c, "city"));
	fprintf(f, "\" data-has-data=\"%d\">\n<h2>", json_is_true(json_object_get(c, "has_data")));
	fmt_h(f, fmt_city(lang, c));
	fputs("<span class=\"sub\">", f);
	if (*fmt_gs(c, "country"))
		fmt_h(f, i18n_tr(lang, "country", fmt_gs(c, "country")));
	if (*fmt_gs(c, "region")) {
		fputs(" \xc2\xb7 ", f);
		fmt_h(f, i18n_value(lang, "cities", "region", fmt_gs(c, "region")));
	}
	fputs("</span></h2>\n", f);
	if (!json_is_true(json_object_get(c, "has_data"))) {
		fputs("<p class=\"nodata\">", f);
		fmt_h(f, fmt_tr(lang, "No data yet: this city has sent nothing to the coordination office."));
		fputs("</p>\n</section>\n", f);
		return;
	}
	fputs("<p class=\"meta\">", f);
	fmt_h(f, fmt_tr(lang, "Last change received"));
	fputs(": ", f);
	if (json_is_string(json_object_get(c, "last_change")))
		fmt_date(f, lang, fmt_gs(c, "last_change"), 1);
	else
		fmt_h(f, fmt_tr(lang, "never"));
	fputs("</p>\n<h3>", f);
	fmt_h(f, fmt_tr(lang, "Key figures"));
	fputs("</h3>\n", f);
	key_figures(f, c, lang, 0, rp);

	/* Profile: sections x languages. */
	fputs("<h3>", f);
	fmt_h(f, fmt_tr(lang, "City Migration Profile: sections and languages"));
	fputs("</h3>\n<table class=\"grid profile\"><thead><tr>", f);
	fmt_th(f, lang, "Section");
	for (size_t l = 0; l < REPORT_NLANGS; l++) {
		fputs("<th>", f);
		fmt_h(f, i18n_value(lang, "profile_sections", "lang", REPORT_LANGS[l]));
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	const char *sec;
	json_t *row;
	json_object_foreach(json_object_get(c, "profile_grid"), sec, row)
	{
		fputs("<tr><th>", f);
		fmt_h(f, i18n_value(lang, "profile_sections", "section", sec));
		fputs("</th>", f);
		for (size_t l = 0; l < REPORT_NLANGS; l++) {
			const char *st = fmt_gs(row, REPORT_LANGS[l]);
			fprintf(f, "<td class=\"s-%s\" data-section=\"%s\" data-lang=\"%s\" data-status=\"%s\">",
			        !strcmp(st, "missing") || !strcmp(st, "draft") || !strcmp(st, "submitted") || !strcmp(st, "validated")
			            ? st
			            : "other",
			        sec, REPORT_LANGS[l], !strcmp(st, "missing") ? "missing" : "present");
			fmt_h(f, !strcmp(st, "missing") ? "\xe2\x80\x94" : i18n_value(lang, "profile_sections", "status", st));
			char id[200];
			snprintf(id, sizeof(id), "%s.%s.%s", fmt_gs(c, "city"), sec, REPORT_LANGS[l]);
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
		fmt_h(f, fmt_tr(lang, "Priority Paper: priorities in rank order"));
		fputs("</h3>\n<table class=\"priorities\"><thead><tr>", f);
		fmt_th(f, lang, "Rank");
		fmt_th(f, lang, "Theme");
		fmt_th(f, lang, "Challenge");
		fmt_th(f, lang, "Proposed pilot action");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "priority_list"), i, a)
		{
			fputs("<tr>", f);
			fmt_td_num(f, lang, fmt_gi(a, "rank"));
			fputs("<td>", f);
			if (*fmt_gs(a, "theme_name"))
				fmt_h(f, i18n_tr(lang, "theme", fmt_gs(a, "theme_name")));
			else
				fmt_h(f, fmt_gs(a, "theme"));
			fputs("</td><td dir=\"auto\">", f);
			fmt_h(f, fmt_gs(a, "challenge"));
			fputs("</td><td dir=\"auto\">", f);
			fmt_h(f, fmt_gs(a, "proposed_action"));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* Actions. */
	if (json_array_size(json_object_get(c, "action_list"))) {
		fputs("<h3>", f);
		fmt_h(f, fmt_tr(lang, "Targeted City Actions"));
		fputs("</h3>\n<table class=\"actions\"><thead><tr>", f);
		fmt_th(f, lang, "Title");
		fmt_th(f, lang, "Status");
		fmt_th(f, lang, "Budget (EUR)");
		fmt_th(f, lang, "Partners");
		fmt_th(f, lang, "Women and girls");
		fmt_th(f, lang, "Men and boys");
		fmt_th(f, lang, "SDG targets");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "action_list"), i, a)
		{
			fputs("<tr data-id=\"", f);
			fmt_h(f, fmt_gs(a, "id"));
			fputs("\"><td dir=\"auto\">", f);
			fmt_h(f, fmt_gs(a, "title"));
			const json_t *r = review_for(c, "actions", fmt_gs(a, "id"));
			if (r) {
				fputs("<br>", f);
				put_review(f, lang, r);
			}
			fputs("</td><td>", f);
			if (*fmt_gs(a, "status"))
				fmt_h(f, i18n_value(lang, "actions", "status", fmt_gs(a, "status")));
			fputs("</td>", f);
			if (json_is_integer(json_object_get(a, "budget_eur")))
				fmt_td_num(f, lang, fmt_gi(a, "budget_eur"));
			else
				fputs("<td class=\"n\"></td>", f);
			fputs("<td dir=\"auto\">", f);
			fmt_list(f, json_object_get(a, "partners"), ", ", fmt_h);
			fputs("</td>", f);
			fmt_td_num(f, lang, fmt_gi(a, "people_reached_female"));
			fmt_td_num(f, lang, fmt_gi(a, "people_reached_male"));
			fputs("<td dir=\"ltr\">", f);
			fmt_list(f, json_object_get(a, "sdg_targets"), ", ", fmt_h);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* Events. */
	if (json_array_size(json_object_get(c, "event_list"))) {
		fputs("<h3>", f);
		fmt_h(f, fmt_tr(lang, "Peer-learning events attended"));
		fputs("</h3>\n<table class=\"events\"><thead><tr>", f);
		fmt_th(f, lang, "Event");
		fmt_th(f, lang, "Host");
		fmt_th(f, lang, "Month");
		fmt_th(f, lang, "Theme");
		fmt_th(f, lang, "Role");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "event_list"), i, a)
		{
			fputs("<tr>", f);
			fmt_td_num(f, lang, fmt_gi(a, "number"));
			fputs("<td>", f);
			fmt_h(f, *fmt_gs(a, "host_name") ? i18n_tr(lang, "city", fmt_gs(a, "host_name")) : fmt_gs(a, "host"));
			fputs("</td><td>", f);
			fmt_h(f, fmt_gs(a, "month"));
			fputs("</td><td dir=\"auto\">", f);
			fmt_h(f, fmt_gs(a, "theme"));
			fputs("</td><td>", f);
			if (*fmt_gs(a, "role"))
				fmt_h(f, i18n_value(lang, "event_participation", "role", fmt_gs(a, "role")));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* Stakeholders by kind. */
	if (fmt_gi(c, "stakeholders")) {
		fputs("<h3>", f);
		fmt_h(f, fmt_tr(lang, "Stakeholders by kind"));
		fputs("</h3>\n<table class=\"kv stakeholders\"><tbody>\n", f);
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(c, "stakeholders_by_kind"), k, v)
		{
			if (!json_integer_value(v))
				continue;
			fputs("<tr><th>", f);
			fmt_h(f, i18n_value(lang, "stakeholders", "kind", k));
			fputs("</th>", f);
			fmt_td_num(f, lang, (long long)json_integer_value(v));
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}

	/* The office's reviews. */
	if (json_array_size(json_object_get(c, "review_list"))) {
		fputs("<h3>", f);
		fmt_h(f, fmt_tr(lang, "Reviews by the coordination office"));
		fputs("</h3>\n<table class=\"reviews\"><thead><tr>", f);
		fmt_th(f, lang, "Record");
		fmt_th(f, lang, "Review");
		fmt_th(f, lang, "Comment");
		fmt_th(f, lang, "Date");
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(json_object_get(c, "review_list"), i, a)
		{
			fputs("<tr><td>", f);
			fmt_h(f, i18n_table(lang, fmt_gs(a, "record_table")));
			fputs(": ", f);
			put_record_name(f, lang, c, a);
			fputs("</td><td>", f);
			put_review(f, lang, a);
			fputs("</td><td dir=\"auto\">", f);
			fmt_h(f, fmt_gs(a, "comment"));
			fputs("</td><td>", f);
			fmt_date(f, lang, fmt_gs(a, "reviewed_at"), 0);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}
	fputs("</section>\n", f);
}

void report_html_render(FILE *f, const json_t *rp, const char *lang)
{
	const json_t *cities = json_object_get(rp, "cities"), *tot = json_object_get(rp, "totals");
	int network = !json_is_string(json_object_get(rp, "city")) && json_array_size(cities) != 1;
	size_t i;
	json_t *c;
	html_head(f, rp, lang);

	/* Cover. */
	fputs("<section class=\"cover\">\n<p class=\"eyebrow\">", f);
	fmt_h(f, fmt_tr(lang, "Mediterranean City-to-City Migration (MC2CM)"));
	fputs("</p>\n<h1>", f);
	fmt_h(f, fmt_tr(lang, "Steering committee report"));
	fputs("</h1>\n<p class=\"scope\">", f);
	if (network) {
		fmt_h(f, fmt_tr(lang, "The network"));
		fputs(": ", f);
		fmt_put_num(f, lang, (long long)json_array_size(cities));
		fputc(' ', f);
		fmt_h(f, fmt_tr(lang, "cities"));
	} else if (json_array_size(cities)) {
		fmt_h(f, fmt_city(lang, json_array_get(cities, 0)));
	}
	fputs("</p>\n<dl>\n<dt>", f);
	fmt_h(f, fmt_tr(lang, "Made on"));
	fputs("</dt><dd id=\"made-at\" data-value=\"", f);
	fmt_h(f, fmt_gs(rp, "made_at"));
	fputs("\">", f);
	fmt_date(f, lang, fmt_gs(rp, "made_at"), 0);
	fputs("</dd>\n<dt>", f);
	fmt_h(f, fmt_tr(lang, "History it reflects"));
	fputs("</dt><dd id=\"head\" data-commit=\"", f);
	fmt_h(f, fmt_gs(rp, "head"));
	fputs("\" data-date=\"", f);
	fmt_h(f, fmt_gs(rp, "head_date"));
	fputs("\">", f);
	fmt_h(f, fmt_tr(lang, "commit"));
	fputs(" <code dir=\"ltr\">", f);
	fmt_h(f, fmt_gs(rp, "head"));
	fputs("</code>, ", f);
	fmt_date(f, lang, fmt_gs(rp, "head_date"), 1);
	fputs("</dd>\n", f);
	if (json_is_string(json_object_get(rp, "at"))) {
		fputs("<dt>", f);
		fmt_h(f, fmt_tr(lang, "As it stood at"));
		fputs("</dt><dd id=\"at\" dir=\"ltr\">", f);
		fmt_h(f, fmt_gs(rp, "at"));
		fputs("</dd>\n", f);
	}
	fputs("<dt>", f);
	fmt_h(f, fmt_tr(lang, "Made by node"));
	fputs("</dt><dd><code dir=\"ltr\">", f);
	fmt_h(f, fmt_gs(rp, "node_id"));
	fputs("</code></dd>\n</dl>\n", f);
	if (network) {
		fputs("<ol class=\"toc\">\n", f);
		json_array_foreach(cities, i, c)
		{
			fputs("<li><a href=\"#city-", f);
			fmt_h(f, fmt_gs(c, "city"));
			fputs("\">", f);
			fmt_h(f, fmt_city(lang, c));
			fputs("</a>", f);
			if (!json_is_true(json_object_get(c, "has_data"))) {
				fputs(" <span class=\"nodata-mark\">(", f);
				fmt_h(f, fmt_tr(lang, "no data yet"));
				fputs(")</span>", f);
			}
			fputs("</li>\n", f);
		}
		fputs("</ol>\n", f);
	}
	fputs("</section>\n", f);

	/* Network summary. */
	fputs("<section class=\"summary\" id=\"summary\">\n<h2>", f);
	fmt_h(f, network ? fmt_tr(lang, "Network summary") : fmt_tr(lang, "Summary"));
	fputs("</h2>\n<div id=\"summary-figures\">\n", f);
	key_figures(f, tot, lang, 1, rp);
	fputs("</div>\n", f);
	if (network) {
		fputs("<h3>", f);
		fmt_h(f, fmt_tr(lang, "Cities at a glance"));
		fputs("</h3>\n", f);
		cities_table(f, rp, lang);
	}
	report_svg_charts(f, rp, lang);
	fputs("</section>\n", f);

	json_array_foreach(cities, i, c) city_section(f, c, lang, rp);
	fputs("</body>\n</html>\n", f);
}

