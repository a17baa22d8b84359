/* csv_import: reading a spreadsheet's CSV into a table's records (SPEC 3).
 *
 * The file is streamed through libcsv in 64 KiB chunks, one row in memory
 * at a time; each row's cells are parsed as the spreadsheet's locale
 * writes them (sheet.h) and written inside the caller's node_txn, so that
 * the caller commits the whole file or nothing at all. A bad row is
 * listed (up to CSV_MAX_LISTED, the others counted) and the import goes
 * on to find the others; only a fatal error (an unreadable file, a bad
 * header, memory) stops it. Nothing here prints: progress goes to the
 * importer's PROGRESS callback. */
#ifndef C2C_CSV_IMPORT_H
#define C2C_CSV_IMPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "c2c/node.h"
#include "c2c/sheet.h"
#include "c2c/store.h"

#define CSV_MAX_LISTED 50 /* bad rows listed one by one; the others are counted */

/* What a column of the header is. */
enum { CSV_COL_FIELD, CSV_COL_ID, CSV_COL_SKIP, CSV_COL_NONAME };

/* Rows seen in this file, by the record they write: "id\037ID" or
 * "key\037V1\037V2..." -> spreadsheet row. Open addressing. */
typedef struct {
	char **keys;
	size_t *rows;
	size_t n, cap;
} csv_seen_set;

/* One import. The caller zeroes it, sets n, t, file, tx (node_txn_begin;
 * NULL only for a scan), bad (an empty array), and as it wishes loc, sep
 * (0: the header line's), ignore_unknown, dry_run, plan (an empty array:
 * the rows' plan), plan_diff and plan_cap, progress; it reads the counts,
 * bad and plan after, and frees it with csv_importer_dispose. */
typedef struct {
	c2c_node *n;
	const table_def *t;
	node_txn *tx;
	const char *file; /* as given, for messages */
	sheet_locale loc;
	char sep;
	int ignore_unknown, dry_run;

	/* the header: per column its kind and field */
	int have_header;
	size_t ncols;
	const field_def **cols;
	unsigned char *kind;
	long id_col; /* -1 if none */

	/* the row being read: its cells, NUL-terminated, one after another */
	char *buf;
	size_t blen, bcap;
	size_t *off;
	size_t ncells, ocap;

	size_t line;      /* physical line being fed to the parser */
	size_t rec_line;  /* line the current record starts on; 0 between records */
	size_t quoted_nl; /* line breaks inside quoted cells so far: line - quoted_nl is the row */
	size_t rows, added, changed, unchanged;
	csv_seen_set seen;
	size_t nbad;
	json_t *bad;  /* [{row, column, message, hint}] */
	json_t *plan; /* [{row, action, id, fields}] */
	/* For the web interface's preview: the plan holds the rows that add or
	 * change a record, up to plan_cap, each with "diff" {FIELD: [old, new]}. */
	int plan_diff;
	size_t plan_cap;
	int err;      /* fatal: stops the import */
	/* Called after each row written (total 0: not known yet), if set. */
	void (*progress)(const char *label, size_t done, size_t total);

	/* Without --locale, a first pass (scan) reads what the file's cells
	 * prove about its locale (sheet_evidence): the row that shows it, and
	 * whether another row says the opposite. */
	int scan;
	int day_first;
	char decimal;
	size_t day_row, dec_row;
	int day_conflict, dec_conflict;
	char day_text[48], dec_text[48];
} csv_importer;

/* Read FP (the file named IM->file) to its end: the header, then each row
 * checked and written into IM->tx (or, while IM->scan, only looked at for
 * what it proves about the locale). 0, or the fatal error (also in
 * IM->err); the bad rows are in IM->bad. */
int csv_import_run(csv_importer *im, FILE *fp);

/* Without a locale given: read FP once for what its cells prove about its
 * locale (sheet_evidence), then rewind it for csv_import_run and take into
 * IM->loc what was proved without contradiction (day_row, dec_row and
 * their texts say which rows showed it). FP must be seekable. */
int csv_import_scan(csv_importer *im, FILE *fp);

/* What an import holds, freed (its transaction, if still open, abandoned). */
void csv_importer_dispose(csv_importer *im);

/* Between csv_import.c (the file, its header, bad rows) and csv_row.c
 * (one row's values, written): not for other modules. */
int csv_import_row(csv_importer *im, size_t row);
int csv_bad(csv_importer *im, size_t row, long col);
/* "A".."Z", "AA".. : the column letter a spreadsheet shows for column I (0-based). */
void csv_col_letter(size_t i, char out[8]);
const char *csv_cell(const csv_importer *im, size_t i, size_t *len);
char *csv_trim(char *s);
int csv_cell_utf8(const csv_importer *im, size_t i);
void csv_seen_free(csv_seen_set *ss);

#endif
