/* import, export: spreadsheet round trip (SPEC 3), the commands and the
 * web interface's entry points (cli.h).
 *
 * import writes every row inside one node_txn: one SQLite transaction and
 * one git commit for the whole file, or nothing at all. The reading is
 * csv_import.c's, the writing of a file csv_export.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/csv_export.h"
#include "c2c/csv_import.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/sheet.h"
#include "c2c/util.h"
#include "c2c/write.h"

/* ---------------------------------------------------------------- options */

/* --sep: one character, or its name. */
static int parse_sep(const char *s, char *out)
{
	if (!strcmp(s, "tab") || !strcmp(s, "\\t") || !strcmp(s, "\t"))
		*out = '\t';
	else if (!strcmp(s, "comma") || !strcmp(s, ","))
		*out = ',';
	else if (!strcmp(s, "semicolon") || !strcmp(s, ";"))
		*out = ';';
	else {
		err_set(C2C_EUSAGE, _("--sep '%s': give , ; or tab"), s);
		return err_hint(_("the separator of the cells: comma (,), semicolon (;) or tab"));
	}
	return 0;
}

/* The locale of --locale, else none (values that depend on one are refused). */
static int take_locale(cli_ctx *ctx, sheet_locale *loc)
{
	const char *name = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--locale", &name)) < 0)
		return err;
	if ((err = sheet_locale_get(name, loc)) < 0)
		return err == C2C_EINVALID ? (err_prefix(_("--locale: ")), C2C_EUSAGE) : err;
	return 0;
}

/* ----------------------------------------------------------------- import */

static int cmd_import_fn(cli_ctx *ctx, c2c_node *n)
{
	csv_importer im = {0};
	FILE *fp = NULL;
	git_oid head;
	const char *sep = NULL;
	int err;
	im.ignore_unknown = cli_take_flag(ctx, "--ignore-unknown");
	im.dry_run = cli_take_flag(ctx, "--dry-run");
	if ((err = cli_take_opt(ctx, "--sep", &sep)) < 0 || (sep && (err = parse_sep(sep, &im.sep)) < 0) ||
	    (err = take_locale(ctx, &im.loc)) < 0)
		return err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0 || (err = cli_table(n, ctx->argv[0], &im.t)) < 0)
		return err;
	im.n = n;
	im.file = ctx->argv[1];
	im.progress = cli_progress;
	if (!(im.bad = json_array()) || (im.dry_run && !(im.plan = json_array()))) {
		err = ERR_OOM();
		goto done;
	}
	if (!(fp = fopen(im.file, "rb"))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, im.file);
		err_hint(_("give the path of a CSV file (UTF-8, a header line first)"));
		goto done;
	}
	if (!im.loc.name) {
		/* No --locale: the file's own cells say how to read it. */
		if ((err = csv_import_scan(&im, fp)) < 0)
			goto done;
		if (im.day_row && !im.day_conflict && !ctx->json)
			fprintf(stderr, _("c2c import: %s: dates read as %s (row %zu has %s)\n"), im.file,
			        im.day_first ? _("day/month/year") : _("month/day/year"), im.day_row, im.day_text);
		if (im.dec_row && !im.dec_conflict && !ctx->json)
			fprintf(stderr,
			        im.decimal == ',' ? _("c2c import: %s: numbers read with a decimal comma (row %zu has %s)\n")
			                          : _("c2c import: %s: numbers read with a decimal point (row %zu has %s)\n"),
			        im.file, im.dec_row, im.dec_text);
	}
	if ((err = node_txn_begin(&im.tx, n)) < 0)
		goto done;
	if ((err = csv_import_run(&im, fp)) < 0)
		goto done;
	if (im.rows)
		cli_progress(N_("importing"), im.rows, im.rows);
	if (im.nbad) {
		cli_error_details(json_incref(im.bad));
		if (im.nbad > CSV_MAX_LISTED)
			err = err_set(C2C_EINVALID, _("%s: %zu bad rows (the first %d listed above); nothing was imported"),
			              im.file, im.nbad, CSV_MAX_LISTED);
		else
			err = err_set(C2C_EINVALID, P_(im.nbad, "%s: %zu bad row; nothing was imported",
			                              "%s: %zu bad rows; nothing was imported"),
			              im.file, im.nbad);
		err_hint(im.nbad == 1 ? _("correct it and import it again; --dry-run checks a file without writing")
		                      : _("correct them and import it again; --dry-run checks a file without writing"));
		goto done;
	}

	const char *base = strrchr(im.file, '/');
	base = base ? base + 1 : im.file;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int committed = 0;
	if (im.dry_run || im.added + im.changed == 0) {
		node_txn_abort(im.tx);
		im.tx = NULL;
		if (!im.dry_run)
			fprintf(stderr, _("c2c import: %s changes nothing in %s; nothing to commit\n"), im.file, im.t->name);
	} else {
		char msg[600];
		snprintf(msg, sizeof(msg), "import %s from %s: %zu added, %zu changed", im.t->name, base, im.added,
		         im.changed);
		err = node_txn_commit(im.tx, msg, &head);
		im.tx = NULL;
		if (err < 0)
			goto done;
		git_oid_tostr(hex, sizeof(hex), &head);
		committed = 1;
	}
	if (ctx->json) {
		json_t *o = json_pack("{ss ss sI sI sI ss? sb}", "table", im.t->name, "file", im.file, "added",
		                      (json_int_t)im.added, "changed", (json_int_t)im.changed, "unchanged",
		                      (json_int_t)im.unchanged, "commit", committed ? hex : NULL, "dry_run", im.dry_run);
		if (o && im.plan)
			json_object_set(o, "rows", im.plan);
		err = cli_print_json(o);
	} else if (im.dry_run) {
		size_t i;
		json_t *r;
		json_array_foreach(im.plan, i, r)
		{
			const char *what = json_string_value(json_object_get(r, "fields"));
			const char *action = json_string_value(json_object_get(r, "action"));
			printf(_("row %lld: %s %s/%s%s%s\n"), (long long)json_integer_value(json_object_get(r, "row")),
			       !strcmp(action, "add") ? _("add") : !strcmp(action, "change") ? _("change") : _("unchanged"), im.t->name,
			       json_string_value(json_object_get(r, "id")), what ? ": " : "", what ? what : "");
		}
		printf(_("dry run of %s into %s: %zu would be added, %zu changed, %zu left unchanged; nothing written\n"),
		       im.file, im.t->name, im.added, im.changed, im.unchanged);
	} else {
		printf(_("imported %s into %s: %zu added, %zu changed, %zu unchanged"), im.file, im.t->name, im.added,
		       im.changed, im.unchanged);
		if (committed)
			printf(_(" (commit %.12s)\n"), hex);
		else
			printf(_(" (no commit)\n"));
	}
done:
	csv_importer_dispose(&im);
	if (fp)
		fclose(fp);
	return err;
}

const cli_command cmd_import = {
    "import", cmd_import_fn, CLI_WRITE, N_("import records from a CSV file"),
    N_("c2c import TABLE FILE.csv [--dry-run] [--sep ,|;|tab] [--locale LOCALE] [--ignore-unknown]"),
    N_("Adds and changes records of TABLE from a CSV file as spreadsheets save it,\n"
    "in one commit: the whole file is written, or, if any row is bad, nothing\n"
    "at all. Every bad row is listed (up to 50) with the row number and the\n"
    "column letter the spreadsheet shows, and the column's name.\n\n"
    "The file: UTF-8, with or without a BOM; lines ending in LF or CRLF; cells\n"
    "separated by commas, semicolons or tabs, whichever the first line uses\n"
    "most (--sep , ; or tab says which); a cell holding the separator, quotes\n"
    "or line breaks in double quotes, a quote inside doubled.\n\n"
    "The first line names the columns: fields of TABLE ('c2c tables TABLE'),\n"
    "in any order, and optionally id, matched without regard to case and\n"
    "surrounding spaces, by name or by the field's label in English, French,\n"
    "Spanish or Arabic (\"Titre\", \"Presupuesto (EUR)\"). Columns without a name (the empty ones spreadsheets\n"
    "leave at the end) are skipped. A column TABLE does not have is refused,\n"
    "with the list of those it has; --ignore-unknown skips it instead. Every\n"
    "required field needs a column (city may be left out on a city node: it\n"
    "is the node's city).\n\n"
    "Values: a set is one cell of values separated by commas (or Arabic\n"
    "commas), quoted: \"10.7,16.6\". Numbers may group their digits (50 000,\n"
    "50.000, 50,000, with no-break spaces too) and carry a zero decimal part\n"
    "(50000.00, 50.000,00); dates may be YYYY-MM-DD, with a zero time after\n"
    "(2026-12-06 00:00:00), YYYY/MM/DD, or the locale's day/month/year.\n"
    "Arabic-Indic digits are read as digits. What depends on the locale\n"
    "(06/12/2026: 6 December or June 12? 50.000: fifty thousand or fifty?)\n"
    "is read as the file's other cells show (a date 31/12/2026 shows that\n"
    "dates put the day first; a number 1 234,50 that the comma is the decimal\n"
    "one: import says which row it went by), or as --locale en (US), en-GB,\n"
    "fr, es or ar says, and is refused when neither tells.\n"
    "An empty cell means the field is empty: not set on a new record, cleared\n"
    "on an existing one. Spaces around a value are dropped, but in text\n"
    "fields, which keep their text exactly. A cell that 'c2c export' made\n"
    "inert for spreadsheets (a leading apostrophe before = + - @) is read\n"
    "back without it. Rows with only empty cells are skipped.\n\n"
    "Importing is safe to repeat. A row whose id names an existing record\n"
    "changes that record; a row with an id not yet used adds a record with\n"
    "that id. A row without an id is matched on the table's import key\n"
    "(actions: city and title; migration_stats: city, indicator, year, sex,\n"
    "origin; 'c2c tables' shows each), so the same file imported twice\n"
    "changes nothing. Two rows of one file that are the same record are an\n"
    "error naming both. A file that changes nothing makes no commit.\n\n"
    "--dry-run reads and checks the whole file and says, row by row, what\n"
    "would be added, changed (and which fields) and left unchanged; it writes\n"
    "nothing. --json gives the counts (and the rows with --dry-run); an\n"
    "error's rows are in the error object's \"details\".\n\n"
    "  c2c export actions actions.csv    # edit it in a spreadsheet, then\n"
    "  c2c import actions actions.csv --dry-run\n"
    "  c2c import actions actions.csv --locale fr\n")};

/* ----------------------------------------------------------------- export */

/* --json: the records as an array of flat objects. */
static int json_row(const char *id, json_t *rec, void *payload)
{
	return json_array_append_new(payload, cli_record_flat(id, rec)) ? ERR_OOM() : 0;
}

static int export_json(c2c_node *n, const table_def *t, FILE *fp, size_t *count, const char *what)
{
	json_t *arr = json_array();
	int err;
	if (!arr)
		return ERR_OOM();
	if ((err = store_rows_each(n->st, t, NULL, json_row, arr)) == 0) {
		*count = json_array_size(arr);
		if (json_dumpf(arr, fp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || fputc('\n', fp) == EOF)
			err = err_errno(C2C_EIO, what);
	}
	json_decref(arr);
	return err;
}

static int cmd_export_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	const char *sep = NULL;
	sheet_locale loc;
	char *mem = NULL;
	size_t memlen = 0, count = 0;
	int err;
	int excel = cli_take_flag(ctx, "--excel");
	if ((err = cli_take_opt(ctx, "--sep", &sep)) < 0 || (err = take_locale(ctx, &loc)) < 0)
		return err;
	if ((err = cli_positionals(ctx, 1, 2)) < 0 || (err = cli_table(n, ctx->argv[0], &t)) < 0)
		return err;
	char sepc = excel ? loc.sep : ',';
	if (sep && (err = parse_sep(sep, &sepc)) < 0)
		return err;
	const char *file = ctx->argc > 1 ? ctx->argv[1] : NULL;
	const char *what = file ? file : "standard output";
	/* A file is made in memory and replaced whole (write_file_atomic):
	 * never left half-written. */
	FILE *fp = file ? open_memstream(&mem, &memlen) : stdout;
	if (!fp)
		return ERR_OOM();
	if (ctx->json)
		err = export_json(n, t, fp, &count, what);
	else
		err = csv_export(n->st, t, fp, sepc, excel ? "\r\n" : "\n", excel, &count, what);
	if (err == 0 && (fflush(fp) != 0 || ferror(fp)))
		err = err_errno(C2C_EIO, what);
	if (file) {
		if (fclose(fp) != 0 && err == 0)
			err = ERR_OOM(); /* the memory stream's last flush */
		if (err == 0 && (err = write_file_atomic(file, mem, memlen, 0666)) < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
				err_hint(_("check that the directory exists and can be written"));
			else
				err_hint(_("check the disk space and that %s can be written"), file);
		}
	}
	if (err == 0 && file && !ctx->json)
		printf(_("exported %zu records of %s to %s\n"), count, t->name, file);
	free(mem);
	return err;
}

const cli_command cmd_export = {
    "export", cmd_export_fn, CLI_READ, N_("export records to a CSV file"),
    N_("c2c export TABLE [FILE.csv] [--excel] [--locale LOCALE] [--sep ,|;|tab]"),
    N_("Writes the records of TABLE as CSV to FILE.csv (replaced whole, never left\n"
    "half-written), or to standard output: a header line, id then the fields\n"
    "in the order 'c2c tables TABLE' gives, then one line per record in id\n"
    "order. Sets are one cell of comma-separated values; cells with the\n"
    "separator, quotes or line breaks are quoted (RFC 4180); lines end in \\n;\n"
    "the text is UTF-8. A cell that a spreadsheet would run as a formula (it\n"
    "starts with = + - or @), or that starts with an apostrophe, is written\n"
    "with an apostrophe first, which 'c2c import' takes off: the file can be\n"
    "edited in a spreadsheet and given back to 'c2c import' exactly.\n\n"
    "--excel writes what Excel opens well: a UTF-8 BOM (so that Arabic shows\n"
    "as Arabic), lines ending in \\r\\n, and the separator of --locale (en,\n"
    "en-GB: ','; fr, es, ar: ';'). --sep , ; or tab chooses the separator.\n"
    "--json writes an array of flat records instead.\n\n"
    "  c2c export actions actions.csv\n  c2c export actions actions.csv --excel --locale fr\n"
    "  c2c export stakeholders > stakeholders.csv\n")};

/* ------------------------------------------- for the web interface (cli.h) */
int cli_import_stream(c2c_node *n, const table_def *t, FILE *fp, const char *name, int write, json_t *problems,
                      cli_import_result *res)
{
	csv_importer im = {0};
	git_oid head;
	int err;
	memset(res, 0, sizeof(*res));
	im.n = n;
	im.t = t;
	im.file = name;
	im.plan_diff = 1;
	im.plan_cap = CLI_PREVIEW_ROWS;
	im.progress = cli_progress;
	if (!(im.bad = json_array()) || (!write && !(im.plan = json_array())))
		return ERR_OOM();
	/* As 'c2c import' without --locale (an upload is in memory: seekable). */
	if ((err = csv_import_scan(&im, fp)) < 0)
		goto bad_file;
	if ((err = node_txn_begin(&im.tx, n)) < 0)
		goto done;
	err = csv_import_run(&im, fp);
bad_file:
	if (err == C2C_EINVALID && problems) {
		/* The file as a whole is bad (its header, its quoting): one problem. */
		json_array_append_new(problems,
		                      json_pack("{s:I,s:s,s:s?}", "line", (json_int_t)(im.rec_line ? im.rec_line : im.line),
		                                "message", err_msg(), "hint", err_hint_msg()));
		err_clear();
		err = 0;
		goto done;
	}
	if (err < 0)
		goto done;
	size_t i;
	json_t *b;
	json_array_foreach(im.bad, i, b)
	{
		if (problems)
			json_array_append_new(problems,
			                      json_pack("{s:O,s:O?,s:O?,s:O?,s:O?}", "line", json_object_get(b, "row"), "column",
			                                json_object_get(b, "column"), "column_letter",
			                                json_object_get(b, "column_letter"), "message", json_object_get(b, "message"),
			                                "hint", json_object_get(b, "hint")));
	}
	res->added = im.added;
	res->changed = im.changed;
	res->unchanged = im.unchanged;
	if (!write && !im.nbad) {
		res->rows = im.plan;
		im.plan = NULL;
	}
	if (!write || im.nbad || im.added + im.changed == 0)
		goto done;
	char msg[600];
	snprintf(msg, sizeof(msg), "import %s from %s: %zu added, %zu changed", t->name, name, im.added, im.changed);
	err = node_txn_commit(im.tx, msg, &head);
	im.tx = NULL;
	if (err < 0)
		goto done;
	git_oid_tostr(res->commit, sizeof(res->commit), &head);
	res->committed = 1;
done:
	csv_importer_dispose(&im);
	return err;
}

int cli_export_stream(c2c_node *n, const table_def *t, FILE *fp)
{
	return csv_export(n->st, t, fp, ',', "\r\n" /* what Excel writes and reads */, 0, NULL, "writing CSV");
}
