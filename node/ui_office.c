/* ui: the office's dashboard page (issue: the coordination office's view),
 * the fragment node/office_render.c makes for `c2c report --dashboard`, and
 * the office's reviews in the web interface: the form on the dashboard and
 * on a city record's page, and the review mark a city sees. A review made
 * here goes through review_write, as `c2c review` does: one transaction,
 * one signed commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/office.h"
#include "c2c/record.h"
#include "c2c/review.h"
#include "c2c/store_browse.h"
#include "c2c/ui.h"

/* ------------------------------------------------------------- reviews */

/* V's text, or "" when V is not a string. */
static const char *str_or(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

const char *ui_review_state(const json_t *rv)
{
	if (!rv)
		return NULL;
	if (json_is_true(json_object_get(rv, "out_of_date")))
		return "out_of_date";
	const char *s = json_string_value(json_object_get(rv, "status"));
	return s && !strcmp(s, "validated") ? "validated" : "changes_requested";
}

/* The words of a review's state. */
static const char *state_words(ui_req *r, const char *state)
{
	if (!strcmp(state, "validated"))
		return ui_t(r, "Validated by the office");
	if (!strcmp(state, "changes_requested"))
		return ui_t(r, "Changes requested by the office");
	return ui_t(r, "Review out of date: edited since");
}

void ui_review_mark(ui_req *r, const json_t *rv)
{
	const char *state = ui_review_state(rv), *comment = json_string_value(json_object_get(rv, "comment"));
	const char *mark = !state ? "" : !strcmp(state, "validated") ? "✓" : !strcmp(state, "changes_requested") ? "✎" : "↻";
	if (!state)
		return;
	/* the comment behind a summary: the grid stays a grid, the comment is one click away */
	ui_printf(r, "<details class=\"review rv-%a\" data-review=\"%a\"><summary><span aria-hidden=\"true\">%h</span> %h</summary>",
	          state, state, mark, state_words(r, state));
	/* when: "2026-12-06 16:07 UTC", kept left to right and on one line in an Arabic page */
	const char *at = str_or(json_object_get(rv, "reviewed_at"));
	char when[32];
	int y, mo, da, h, mi;
	if (sscanf(at, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &da, &h, &mi) == 5)
		snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d UTC", y, mo, da, h, mi);
	else
		snprintf(when, sizeof(when), "%.31s", at);
	ui_printf(r, "<div class=\"review-note\"><p class=\"review-by\">%h · <bdi>%h</bdi> · <time datetime=\"%a\" dir=\"ltr\">%h</time></p>",
	          i18n_value(r->lang, "reviews", "status", str_or(json_object_get(rv, "status"))),
	          str_or(json_object_get(rv, "reviewer")), at, when);
	if (comment && *comment)
		ui_printf(r, "<p class=\"review-comment\" dir=\"auto\">%h</p>", comment);
	else
		ui_printf(r, "<p class=\"review-comment none\">%t</p>", "No comment.");
	ui_lit(r, "</div></details>");
}

/* The form that reviews TABLE/ID; FROM says where the answer goes back to
 * ("dashboard" or "record"); COMMENT prefills it (a review replaces the
 * last, comment included). */
static void review_form(ui_req *r, const char *table, const char *id, const char *from, const char *comment, int wide)
{
	ui_printf(r, "<form method=\"post\" action=\"/records/%u/%u/review\" class=\"review-form\">", table, id);
	ui_csrf_field(r);
	ui_printf(r, "<input type=\"hidden\" name=\"from\" value=\"%a\">", from);
	if (wide)
		ui_printf(r, "<label for=\"review-comment\">%t</label><textarea id=\"review-comment\" name=\"comment\" rows=\"3\" "
		             "dir=\"auto\">%h</textarea>",
		          "Comment for the city", comment ? comment : "");
	else
		ui_printf(r, "<input type=\"text\" name=\"comment\" dir=\"auto\" value=\"%a\" aria-label=\"%a\" placeholder=\"%a\">",
		          comment ? comment : "", ui_t(r, "Comment for the city"), ui_t(r, "Comment for the city"));
	ui_printf(r, "<span class=\"review-buttons\"><button type=\"submit\" name=\"status\" value=\"validated\" class=\"validate\">%t"
	             "</button> <button type=\"submit\" name=\"status\" value=\"changes_requested\" class=\"send-back\">%t</button>"
	             "</span></form>",
	          "Validate", "Request changes");
}

int ui_review_box(ui_req *r, const table_def *t, const char *id)
{
	json_t *rv = NULL;
	int err;
	if (!t->city_scope || !store_table(r->node->st, "reviews"))
		return 0;
	if ((err = review_of(r->node->st, t->name, id, &rv)) < 0)
		return err;
	if (!rv && r->node->city)
		return 0; /* a city sees a review once there is one */
	ui_printf(r, "<section class=\"review-box\" id=\"review\"><h2>%t</h2>", "The office's review");
	const char *reviewed = ui_get(r, "reviewed");
	if (reviewed && !strcmp(r->method, "GET"))
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>", "Review saved.");
	if (rv)
		ui_review_mark(r, rv);
	else
		ui_printf(r, "<p class=\"hint\" id=\"no-review\">%t</p>", "Not reviewed yet.");
	if (!r->node->city)
		review_form(r, t->name, id, "record", json_string_value(json_object_get(rv, "comment")), 1);
	ui_lit(r, "</section>\n");
	json_decref(rv);
	return 0;
}

int ui_review_post(ui_req *r, const table_def *t, const char *id)
{
	const char *status = ui_post(r, "status"), *comment = ui_post(r, "comment"), *from = ui_post(r, "from");
	char *clean = NULL, *rid = NULL;
	int err;
	if (strcmp(r->method, "POST"))
		return ui_redirect(r, "/records/%s/%s#review", t->name, id);
	if (r->node->city)
		return ui_error_page(r, 403, ui_t(r, "Only the coordination office reviews records."), NULL);
	if (!status || (strcmp(status, "validated") && strcmp(status, "changes_requested")))
		return ui_error_page(r, 422, ui_t(r, "Choose Validate or Request changes."), NULL);
	if (!t->city_scope)
		return ui_error_page(r, 422, ui_t(r, "The office reviews a city's records, not the network's."), NULL);
	if (!store_row_exists(r->node->st, t->name, id))
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such record (it may have been deleted)."));
	if (comment) { /* a text area sends CRLF line ends: the record keeps LF */
		if (!(clean = strdup(comment)))
			return ERR_OOM();
		char *w = clean;
		for (const char *p = comment; *p; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				*w++ = *p;
		*w = '\0';
	}
	err = review_write(r->node, t, id, status, clean, &rid);
	free(clean);
	free(rid);
	if (err == C2C_EINVALID) /* a network record, or a comment the schema refuses: named, nothing written */
		return ui_error_page(r, 422, err_msg(), NULL);
	if (err < 0)
		return err;
	if (from && !strcmp(from, "dashboard"))
		return ui_redirect(r, "/dashboard?reviewed=1#rv-%s-%s", t->name, id);
	return ui_redirect(r, "/records/%s/%s?reviewed=1#review", t->name, id);
}

typedef struct {
	const json_t *by_id; /* the reviews, by record id */
	json_t *rows;
} sections_ctx;

/* Keep a section that was submitted, validated or reviewed. */
static int section_row(const store_section_row *row, void *payload)
{
	sections_ctx *c = payload;
	if (!row->id || (!json_object_get(c->by_id, row->id) &&
	                 (!row->status || (strcmp(row->status, "submitted") && strcmp(row->status, "validated")))))
		return 0;
	json_array_append_new(c->rows, json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?}", "id", row->id, "city", row->city,
	                                         "section", row->section, "lang", row->lang, "status", row->status,
	                                         "name", row->city_name));
	return 0;
}

/* The profile sections of the network the office has to look at: those a
 * city submitted or marked validated, and any the office has reviewed, by
 * city, section (the schema's order) and language, each with its review
 * and the form to validate it or send it back. Their number is bounded by
 * cities x sections x languages, whatever the size of the node. */
static int review_table(ui_req *r)
{
	store *st = r->node->st;
	const table_def *ps = store_table(st, "profile_sections");
	const field_def *sf = ps ? store_field(ps, "section") : NULL;
	json_t *revs = NULL, *by_id = json_object(), *e;
	size_t i;
	int err, rows = 0;
	if (!sf || !store_table(st, "reviews")) {
		json_decref(by_id);
		return 0;
	}
	if ((err = review_list(st, NULL, NULL, &revs)) < 0) {
		json_decref(by_id);
		return err;
	}
	json_array_foreach(revs, i, e) if (!strcmp(str_or(json_object_get(e, "record_table")), "profile_sections"))
		json_object_set(by_id, str_or(json_object_get(e, "record_id")), e);
	ui_printf(r, "<section class=\"office-reviews\"><h2 id=\"reviews\">%t</h2>\n<p class=\"meta\">%t</p>\n", "Profile sections to review",
	          "The sections a city submitted or validated, and those the office reviewed. A review is a record of the network, signed and synced to the city.");
	if (ui_get(r, "reviewed"))
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n", "Review saved.");
	/* in the schema's order of sections: one pass per section, the rows being few */
	sections_ctx sc = {by_id, json_array()};
	if (!sc.rows) {
		err = ERR_OOM();
		goto done;
	}
	if ((err = store_browse_sections(st, section_row, &sc)) < 0) {
		json_decref(sc.rows);
		goto done;
	}
	json_t *rowsv = sc.rows;
	ui_printf(r, "<table class=\"list\" id=\"review-sections\"><thead><tr><th>%t</th><th>%h</th><th>%h</th><th>%h</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
	          "City", i18n_field(r->lang, "profile_sections", "section"), i18n_field(r->lang, "profile_sections", "lang"),
	          i18n_field(r->lang, "profile_sections", "status"), "The office's review", "Review");
	const char *prev_city = NULL;
	size_t k;
	json_t *row;
	/* rows by city, then by the schema's order of sections, then by language */
	for (size_t start = 0; start < json_array_size(rowsv);) {
		const char *city = json_string_value(json_object_get(json_array_get(rowsv, start), "city"));
		size_t end = start;
		while (end < json_array_size(rowsv) &&
		       !strcmp(str_or(json_object_get(json_array_get(rowsv, end), "city")), city ? city : ""))
			end++;
		for (size_t s = 0; s <= sf->nallowed; s++) {
			for (k = start; k < end; k++) {
				row = json_array_get(rowsv, k);
				const char *sec = json_string_value(json_object_get(row, "section"));
				size_t pos = sf->nallowed;
				for (size_t x = 0; sec && x < sf->nallowed; x++)
					if (!strcmp(sf->allowed[x], sec))
						pos = x;
				if (pos != s)
					continue;
				const char *id = json_string_value(json_object_get(row, "id")),
				           *lang = json_string_value(json_object_get(row, "lang")),
				           *status = json_string_value(json_object_get(row, "status"));
				json_t *rv = json_object_get(by_id, id);
				const char *state = ui_review_state(rv);
				const char *name = json_string_value(json_object_get(row, "name"));
				ui_printf(r, "<tr id=\"rv-profile_sections-%a\" data-id=\"%a\" data-city=\"%a\" data-review=\"%a\">", id, id,
				          city ? city : "", state ? state : "none");
				if (!prev_city || strcmp(prev_city, city ? city : ""))
					ui_printf(r, "<th scope=\"row\">%h</th>", i18n_tr(r->lang, "city", name ? name : city ? city : ""));
				else
					ui_lit(r, "<th scope=\"row\" class=\"same\"></th>");
				prev_city = city ? city : "";
				ui_printf(r, "<td><a href=\"/records/profile_sections/%u#review\">%h</a></td><td lang=\"%a\">%h</td><td>%h</td><td>",
				          id, sec ? i18n_value(r->lang, "profile_sections", "section", sec) : id, lang ? lang : "",
				          lang ? i18n_value(r->lang, "profile_sections", "lang", lang) : "",
				          status ? i18n_value(r->lang, "profile_sections", "status", status) : "");
				if (rv)
					ui_review_mark(r, rv);
				else
					ui_printf(r, "<span class=\"hint\">%t</span>", "Not reviewed yet.");
				ui_lit(r, "</td><td>");
				review_form(r, "profile_sections", id, "dashboard", json_string_value(json_object_get(rv, "comment")), 0);
				ui_lit(r, "</td></tr>\n");
				rows++;
			}
		}
		start = end;
	}
	json_decref(rowsv);
	ui_lit(r, "</tbody></table>\n");
	if (!rows)
		ui_printf(r, "<p class=\"hint\" id=\"nothing-to-review\">%t</p>\n", "No city has submitted a profile section yet.");
	ui_lit(r, "</section>\n");
	err = 0;
done:
	json_decref(revs);
	json_decref(by_id);
	return err;
}

/* ----------------------------------------------------------- dashboard */

int ui_page_dashboard(ui_req *r)
{
	char *html = NULL;
	size_t len = 0;
	const char *d = ui_get(r, "days");
	int days = d ? atoi(d) : 30, err;
	if (r->node->city)
		return ui_error_page(r, 404, ui_t(r, "The dashboard of the network is on the office's node."), NULL);
	if (days < 1 || days > 3650)
		days = 30;
	if ((err = office_dashboard_html(r->node, r->lang, days, (long long)time(NULL), &html, &len)) < 0)
		return err;
	r->loose_style = 1; /* the charts' SVG carries its own style attributes */
	ui_page_begin(r, ui_t(r, "Dashboard"));
	ui_printf(r, "<h1>%t</h1>\n<p><a href=\"#reviews\">%t</a></p>\n", "Dashboard", "Profile sections to review");
	ui_printf(r, "<form method=\"get\" action=\"/dashboard\" class=\"inline\"><label>%t <input type=\"number\" "
	             "name=\"days\" min=\"1\" max=\"3650\" value=\"%d\"></label> <button>%t</button></form>\n",
	          "Cities that sent nothing for this many days stand out:", days, "Show");
	ui_buf_add(&r->out, html, len); /* markup made by office_render.c, every value escaped there */
	free(html);
	if ((err = review_table(r)) < 0)
		return err;
	ui_page_end(r);
	return 0;
}
