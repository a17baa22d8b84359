/* report: the network's or a city's overview (office.h) on standard output
 * or into a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/office.h"
#include "c2c/util.h"

static int cmd_report_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *format = NULL, *only = NULL, *out = NULL, *o2 = NULL, *lang = NULL, *at = NULL, *silent = NULL;
	int err, fmt = OFFICE_TEXT;
	if ((err = cli_take_opt(ctx, "--format", &format)) < 0 || (err = cli_take_opt(ctx, "--city", &only)) < 0 ||
	    (err = cli_take_opt(ctx, "-o", &out)) < 0 || (err = cli_take_opt(ctx, "--output", &o2)) < 0 ||
	    (err = cli_take_opt(ctx, "--lang", &lang)) < 0 || (err = cli_take_opt(ctx, "--at", &at)) < 0 ||
	    (err = cli_take_opt(ctx, "--silent-days", &silent)) < 0)
		return err;
	int dashboard = cli_take_flag(ctx, "--dashboard");
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
		if (ctx->json && fmt != OFFICE_JSON) {
			err_set(C2C_EUSAGE, "--json and --format %s ask for different formats", format);
			return err_hint("give one of them");
		}
	} else if (ctx->json)
		fmt = OFFICE_JSON;
	if (only && !*only)
		return err_set(C2C_EUSAGE, "--city needs a city slug");
	if (at && !*at)
		return err_set(C2C_EUSAGE, "--at needs a date (YYYY-MM-DD) or a commit");
	if (lang && (!i18n_lang(lang) || strcmp(i18n_lang(lang), lang))) {
		err_set(C2C_EUSAGE, "unknown language '%s'", lang);
		return err_hint("use --lang en, fr, es or ar");
	}
	if (dashboard && (fmt != OFFICE_HTML || only || at)) {
		err_set(C2C_EUSAGE, "--dashboard is an HTML fragment of the whole network as it stands");
		return err_hint("use --dashboard with --format html, without --city or --at");
	}
	int days = 30;
	if (silent) {
		char *end;
		long v = strtol(silent, &end, 10);
		if (*end || v < 1 || v > 100000)
			return err_set(C2C_EUSAGE, "--silent-days needs a number of days");
		days = (int)v;
	}
	const char *env_now = getenv("C2C_REPORT_NOW"); /* tests: the time a report is made */
	long long now = env_now ? strtoll(env_now, NULL, 10) : 0;

	char *buf = NULL;
	size_t len = 0;
	json_t *rp = NULL;
	if (dashboard) {
		if ((err = office_dashboard_html(n, lang ? lang : "en", days, now, &buf, &len)) < 0)
			return err;
	} else {
		office_opts o = {only, at, now, fmt == OFFICE_CSV}; /* the CSV holds figures, no lists */
		if ((err = office_report(n, &o, &rp)) < 0 || (err = office_render(rp, fmt, lang ? lang : "en", &buf, &len)) < 0)
			goto done;
	}
	if (out && strcmp(out, "-")) {
		/* Replaced whole: a temporary file, fsynced, renamed over it. */
		if ((err = write_file_atomic(out, buf, len, 0666)) < 0) {
			err_prefix("cannot write ");
			err_hint("check that the directory exists and is writable");
		}
	} else if (fwrite(buf, 1, len, stdout) != len)
		err = err_set(C2C_EIO, "cannot write the report: %s", strerror(errno));
done:
	free(buf);
	json_decref(rp);
	return err;
}

const cli_command cmd_report = {
    "report", cmd_report_fn, CLI_READ, N_("network or city overview; the steering committee's report"),
    N_("c2c report [--format text|csv|json|html] [--lang en|fr|es|ar] [--city SLUG] [--at DATE|COMMIT] [-o FILE]"),
    N_("An overview of the data: on a city node its city, on the office every city\n"
    "of the network (those with no data yet marked so). For each city: the\n"
    "last change received, profile sections by language and their status,\n"
    "priorities in rank order, stakeholders by kind, Targeted City Actions by\n"
    "status with budget, co-funding, partners and people reached by sex, SDGs\n"
    "and SDG targets (in numeric order) with the budget under each, call\n"
    "objectives, peer-learning events, migration figures and the office's\n"
    "reviews (validated, changes requested, out of date); then the totals over\n"
    "the cities listed (\"SDGs covered: N of 17\"). Every format carries the same\n"
    "figures. Nothing is written to the node.\n\n"
    "  --format text   aligned text for reading (the default)\n"
    "  --format csv    one row per city and a TOTAL row (RFC 4180; sets in one\n"
    "                  quoted cell, comma-separated)\n"
    "  --format json   {node_id, head, head_date, made_at, cities: [...],\n"
    "                  totals: {...}}; same as --json\n"
    "  --format html   the steering committee's report, one self-contained page\n"
    "                  (no scripts) to print: a cover (network or city, the date\n"
    "                  it was made, the commit it reflects and its date), the\n"
    "                  network summary with its charts (SVG: actions by status,\n"
    "                  budget by SDG, people reached by sex, profile completeness\n"
    "                  by city, section and language, events attended), then one\n"
    "                  page per city; A4, a running header with the date, fine\n"
    "                  in black and white\n"
    "  --lang L        the words of the HTML report: en (default), fr, es, ar\n"
    "                  (Arabic right to left); numbers with the language's\n"
    "                  separators\n"
    "  --city SLUG     only this city (any city of the network)\n"
    "  --at DATE|COMMIT  the network as this node knew it then, rebuilt from the\n"
    "                  history: a date YYYY-MM-DD (the head's first-parent line\n"
    "                  at the end of that day, UTC) or a commit\n"
    "  --dashboard     (with --format html) the office dashboard's HTML fragment:\n"
    "                  every city with its last change and how long ago, those\n"
    "                  silent for --silent-days N (30) or more marked, and the\n"
    "                  charts\n"
    "  -o FILE         write to FILE (replaced whole, never half-written)\n\n"
    "  c2c report\n"
    "  c2c -C office report --format html --lang fr -o mc2cm-report.html\n"
    "  c2c -C office report --format html --at 2026-06-30 -o june.html\n"
    "  c2c report --city sfax --format csv\n")};
