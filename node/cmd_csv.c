/* import, export: spreadsheet round trip (SPEC 3).
 *
 * import streams the file through libcsv in 64 KiB chunks, one row in
 * memory at a time, and writes every row inside one node_txn: one SQLite
 * transaction and one git commit for the whole file, or nothing at all. */
#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/record.h"
#include "c2c/write.h"

#define CHUNK (64 * 1024)

/* ----------------------------------------------------------------- import */
typedef struct {
	c2c_node *n;
	const table_def *t;
	node_txn *tx;
	const char *file; /* as given, for messages */

	/* the header: one field per column, NULL for the id column */
	int have_header;
	size_t ncols;
	const field_def **cols;
	long id_col; /* -1 if none */

	/* the row being read: its cells, NUL-terminated, one after another */
	char *buf;
	size_t blen, bcap;
	size_t *off;
	size_t ncells, ocap;

	size_t line;     /* physical line being fed to the parser */
	size_t rec_line; /* line the current record starts on; 0 between records */
	size_t rows, added, changed, unchanged;
	int err;
	json_t *problems; /* with it, a bad row is listed here and reading goes on */
} importer;

/* Set an error "FILE: line N: ..." (C2C_EINVALID) and remember it. */
static int imp_fail(importer *im, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int imp_fail(importer *im, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(C2C_EINVALID, "%s: line %zu: %s", im->file, line, msg);
	return im->err = C2C_EINVALID;
}

static void imp_cell(void *s, size_t len, void *data)
{
	importer *im = data;
	if (im->err)
		return;
	if (im->ncells == im->ocap) {
		size_t cap = im->ocap ? im->ocap * 2 : 32;
		size_t *o = realloc(im->off, (cap + 1) * sizeof(*o));
		if (!o) {
			im->err = err_set(C2C_ENOMEM, "out of memory");
			return;
		}
		im->off = o;
		im->ocap = cap;
	}
	if (im->blen + len + 1 > im->bcap) {
		size_t cap = im->bcap ? im->bcap : 1024;
		while (cap < im->blen + len + 1)
			cap *= 2;
		char *b = realloc(im->buf, cap);
		if (!b) {
			im->err = err_set(C2C_ENOMEM, "out of memory");
			return;
		}
		im->buf = b;
		im->bcap = cap;
	}
	im->off[im->ncells++] = im->blen;
	if (len)
		memcpy(im->buf + im->blen, s, len);
	im->blen += len;
	im->buf[im->blen++] = '\0';
	im->off[im->ncells] = im->blen;
}

static const char *cell(const importer *im, size_t i, size_t *len)
{
	if (len)
		*len = im->off[i + 1] - im->off[i] - 1;
	return im->buf + im->off[i];
}

/* Drop the spaces and tabs around S, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	return s;
}

static int cell_utf8(importer *im, size_t i, size_t line)
{
	size_t len;
	const char *s = cell(im, i, &len);
	if (canon_utf8_valid(s, len))
		return 0;
	const char *col = im->have_header && i < im->ncols
	                      ? (im->cols[i] ? im->cols[i]->name : "id")
	                      : NULL;
	const char *what = memchr(s, '\0', len) ? "holds a NUL byte" : "is not valid UTF-8";
	if (col)
		imp_fail(im, line, "column %s: the text %s", col, what);
	else
		imp_fail(im, line, "cell %zu: the text %s", i + 1, what);
	err_hint("save the file as CSV UTF-8 (in a spreadsheet: \"CSV UTF-8 (comma delimited)\")");
	return im->err;
}

static int imp_header(importer *im, size_t line)
{
	const table_def *t = im->t;
	im->ncols = im->ncells;
	im->id_col = -1;
	if (!(im->cols = calloc(im->ncols ? im->ncols : 1, sizeof(*im->cols))))
		return im->err = err_set(C2C_ENOMEM, "out of memory");
	for (size_t i = 0; i < im->ncols; i++) {
		if (cell_utf8(im, i, line) < 0)
			return im->err;
		const char *name = trim((char *)cell(im, i, NULL));
		if (!*name) {
			imp_fail(im, line, "column %zu has no name", i + 1);
			err_hint("the first line names the columns: id and fields of %s ('c2c tables %s')", t->name,
			         t->name);
			return im->err;
		}
		const field_def *f = NULL;
		if (strcmp(name, "id") && !(f = store_field(t, name))) {
			imp_fail(im, line, "table %s has no field '%s'", t->name, name);
			return err_hint("run 'c2c tables %s' to see its fields", t->name);
		}
		for (size_t j = 0; j < i; j++) {
			if (im->cols[j] == f && (f || im->id_col == (long)j)) {
				imp_fail(im, line, "column '%s' appears twice (columns %zu and %zu)", name, j + 1, i + 1);
				err_hint("keep one column per field");
				return im->err;
			}
		}
		im->cols[i] = f;
		if (!f)
			im->id_col = (long)i;
	}
	for (size_t k = 0; k < t->nfields; k++) {
		const field_def *f = &t->fields[k];
		if (!f->required || (t->city_scope && im->n->city && !strcmp(f->name, "city")))
			continue;
		size_t i;
		for (i = 0; i < im->ncols && im->cols[i] != f; i++)
			;
		if (i == im->ncols) {
			imp_fail(im, line, "the header has no column '%s', a required field of %s", f->name, t->name);
			return err_hint("add a %s column; 'c2c export %s' writes a file with every column", f->name,
			                t->name);
		}
	}
	im->have_header = 1;
	return 0;
}

/* Would setting FIELDS change REC? */
static int differs(const json_t *rec, const json_t *fields)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)fields, k, v)
	{
		json_t *old = json_object_get(rec, k);
		if (json_is_null(v) ? old != NULL : !(old && json_equal(old, v)))
			return 1;
	}
	return 0;
}

static int imp_row(importer *im, size_t line)
{
	const table_def *t = im->t;
	c2c_node *n = im->n;
	json_t *fields = NULL, *rec = NULL;
	char *id = NULL, *new_id = NULL;
	int err = 0;

	if (im->ncells != im->ncols) {
		/* A spreadsheet's empty line (",,,") has as many cells; a lone empty cell is a blank line. */
		if (im->ncells == 1 && !*cell(im, 0, NULL))
			return 0;
		imp_fail(im, line, "%zu cell%s, the header has %zu", im->ncells, im->ncells == 1 ? "" : "s",
		         im->ncols);
		err_hint("every row has one cell per column; quote cells that hold commas (\"10.7,16.6\")");
		return im->err;
	}
	size_t empty = 0;
	for (size_t i = 0; i < im->ncells; i++) {
		if (cell_utf8(im, i, line) < 0)
			return im->err;
		empty += !*cell(im, i, NULL);
	}
	if (empty == im->ncells)
		return 0; /* a row of empty cells */

	if (!(fields = json_object())) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < im->ncols; i++) {
		json_t *v = NULL;
		if (!im->cols[i])
			continue;
		const char *text = cell(im, i, NULL);
		if (im->cols[i]->type != FT_TEXT)
			text = trim((char *)text); /* "50000 " from a spreadsheet */
		if ((err = record_parse_value(n->st, t, im->cols[i], text, &v)) < 0)
			goto fail;
		json_object_set_new(fields, im->cols[i]->name, v);
	}
	const char *given = im->id_col >= 0 ? trim((char *)cell(im, (size_t)im->id_col, NULL)) : "";
	if (t->nnatkey) {
		json_t *key = json_copy(fields);
		if (!key) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		if (t->city_scope && !json_is_string(json_object_get(key, "city")) && n->city)
			json_object_set_new(key, "city", json_string(n->city));
		err = record_natural_id(t, key, &id);
		json_decref(key);
		if (err < 0)
			goto fail;
		if (*given && strcmp(given, id)) {
			err = err_set(C2C_EINVALID, "id '%s' does not match the record's key, which makes '%s'", given, id);
			err_hint("%s records get their id from their key; leave the id cell empty", t->name);
			goto fail;
		}
	} else if (*given) {
		if (!record_id_valid(given)) {
			err = err_set(C2C_EINVALID, "'%s' is not a valid record id", given);
			err_hint("ids are lower-case letters, digits, '.', '_' and '-' (leave the cell empty for a new record)");
			goto fail;
		}
		if (!(id = strdup(given))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
	}

	if (id && store_row_exists(n->st, t->name, id)) {
		/* An unchanged row is not written (nor checked for scope: an
		 * export holds other cities' records too). */
		if ((err = store_row_get(n->st, t, id, &rec)) < 0)
			goto fail;
		if (!differs(rec, fields)) {
			im->unchanged++;
			goto done;
		}
		int changed = 0;
		if ((err = write_set(im->tx, n, t, id, fields, &changed)) < 0)
			goto fail;
		if (changed)
			im->changed++;
		else
			im->unchanged++;
	} else {
		if ((err = write_add(im->tx, n, t, t->nnatkey ? NULL : id, fields, &new_id)) < 0)
			goto fail;
		im->added++;
	}
	goto done;
fail:
	err_prefix("%s: line %zu: ", im->file, line);
done:
	json_decref(fields);
	json_decref(rec);
	free(id);
	free(new_id);
	if (err < 0)
		im->err = err;
	return err;
}

static void imp_end_row(int c, void *data)
{
	importer *im = data;
	(void)c;
	if (im->err)
		return;
	size_t line = im->rec_line ? im->rec_line : im->line;
	if (!im->have_header)
		imp_header(im, line);
	else if (imp_row(im, line) == 0 && im->ncells) {
		im->rows++;
		cli_progress("importing", im->rows, 0);
	} else if (im->problems && im->err == C2C_EINVALID) {
		json_array_append_new(im->problems, json_pack("{s:I,s:s,s:s?}", "line", (json_int_t)line, "message",
		                                              err_msg(), "hint", err_hint_msg()));
		im->err = 0;
		err_clear();
	}
	im->ncells = 0;
	im->blen = 0;
	im->rec_line = 0;
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* Feed BUF to the parser one physical line at a time, so that a row's
 * messages can name its line. */
static int imp_feed(importer *im, struct csv_parser *p, const char *buf, size_t len)
{
	while (len && !im->err) {
		const char *nl = memchr(buf, '\n', len);
		size_t seg = nl ? (size_t)(nl - buf) + 1 : len;
		if (!im->rec_line) {
			size_t k = 0;
			while (k < seg && (buf[k] == '\r' || buf[k] == '\n'))
				k++;
			if (k < seg)
				im->rec_line = im->line;
		}
		if (csv_parse(p, buf, seg, imp_cell, imp_end_row, im) != seg && !im->err) {
			if (csv_error(p) == CSV_EPARSE) {
				imp_fail(im, im->line,
				         "malformed CSV: a quote inside an unquoted cell, or text after a closing quote");
				err_hint("a cell with a quote is written in quotes with the quote doubled: \"say \"\"hello\"\"\"");
			} else {
				im->err = err_set(C2C_ENOMEM, "%s: %s", im->file, csv_strerror(csv_error(p)));
			}
			return im->err;
		}
		if (nl)
			im->line++;
		buf += seg;
		len -= seg;
	}
	return im->err;
}

static int import_run(importer *im, FILE *fp)
{
	struct csv_parser p;
	char *chunk = malloc(CHUNK);
	int first = 1;
	if (!chunk || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(chunk);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	csv_set_space_func(&p, no_space);
	im->line = 1;
	for (;;) {
		size_t got = fread(chunk, 1, CHUNK, fp);
		const char *b = chunk;
		if (first && got >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3))
			b += 3, got -= 3;
		first = 0;
		if (got && imp_feed(im, &p, b, got) < 0)
			break;
		if (got < CHUNK - (size_t)(b - chunk))
			break; /* end of file, or an error */
	}
	if (!im->err && ferror(fp))
		im->err = err_errno(C2C_EIO, im->file);
	if (!im->err) {
		size_t start = im->rec_line ? im->rec_line : im->line;
		if (csv_fini(&p, imp_cell, imp_end_row, im) != 0 && !im->err) {
			im->err = err_set(C2C_EINVALID, "%s: line %zu: a quoted cell is never closed", im->file, start);
			err_hint("a cell that starts with \" ends with \"; a quote inside it is doubled (\"\")");
		}
	}
	if (!im->err && !im->have_header) {
		im->err = err_set(C2C_EINVALID, "%s: the file is empty; its first line must name the columns", im->file);
		err_hint("'c2c export %s FILE.csv' writes a file with the header to start from", im->t->name);
	}
	csv_free(&p);
	free(chunk);
	return im->err;
}

static int cmd_import_fn(cli_ctx *ctx, c2c_node *n)
{
	importer im = {0};
	FILE *fp = NULL;
	git_oid head;
	int err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0 || (err = cli_table(n, ctx->argv[0], &im.t)) < 0)
		return err;
	im.n = n;
	im.file = ctx->argv[1];
	if (!(fp = fopen(im.file, "rb"))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, im.file);
		return err_hint("give the path of a CSV file (UTF-8, comma-separated, a header line first)");
	}
	if ((err = node_txn_begin(&im.tx, n)) < 0)
		goto done;
	if ((err = import_run(&im, fp)) < 0)
		goto done;
	if (im.rows)
		cli_progress("importing", im.rows, im.rows);

	const char *base = strrchr(im.file, '/');
	base = base ? base + 1 : im.file;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int committed = 0;
	if (im.added + im.changed == 0) {
		node_txn_abort(im.tx);
		im.tx = NULL;
		fprintf(stderr, "c2c import: %s changes nothing in %s; nothing to commit\n", im.file, im.t->name);
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
		err = cli_print_json(json_pack("{ss ss sI sI sI ss?}", "table", im.t->name, "file", im.file, "added",
		                               (json_int_t)im.added, "changed", (json_int_t)im.changed, "unchanged",
		                               (json_int_t)im.unchanged, "commit", committed ? hex : NULL));
	} else {
		printf("imported %s into %s: %zu added, %zu changed, %zu unchanged", im.file, im.t->name, im.added,
		       im.changed, im.unchanged);
		if (committed)
			printf(" (commit %.12s)\n", hex);
		else
			printf(" (no commit)\n");
	}
done:
	node_txn_abort(im.tx);
	if (fp)
		fclose(fp);
	free(im.cols);
	free(im.buf);
	free(im.off);
	return err;
}

const cli_command cmd_import = {
    "import", cmd_import_fn, CLI_WRITE, "import records from a CSV file", "c2c import TABLE FILE.csv",
    "Adds and changes records of TABLE from a CSV file (UTF-8, comma-separated,\n"
    "cells with commas, quotes or line breaks in double quotes, a quote inside\n"
    "doubled), in one commit: the whole file is written, or, at the first bad\n"
    "row, nothing at all (the message names the file and line).\n\n"
    "The first line names the columns: fields of TABLE ('c2c tables TABLE'),\n"
    "in any order, and optionally id. Every required field needs a column\n"
    "(city may be left out on a city node: it is the node's city). A set is\n"
    "one cell of comma-separated values, quoted: \"10.7,16.6\". An empty cell\n"
    "means the field is empty: not set on a new record, cleared on an existing\n"
    "one. Spaces around a value are dropped, but in text fields, which keep\n"
    "their text exactly. Rows with only empty cells are skipped.\n\n"
    "A row whose id names an existing record changes that record; a row with\n"
    "no id, or an id not yet used, adds a record. Records with a natural key\n"
    "(profile_sections: city, section, lang) are found by their key, and the\n"
    "id cell may be left empty. Importing a file made by 'c2c export' changes\n"
    "nothing until it is edited; a file that changes nothing makes no commit.\n\n"
    "  c2c export actions actions.csv    # edit it in a spreadsheet, then\n"
    "  c2c import actions actions.csv\n"};

/* ----------------------------------------------------------------- export */
static int put_cell(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n"))
		return fputs(s, fp) < 0 ? -1 : 0;
	if (fputc('"', fp) == EOF)
		return -1;
	for (; *s; s++) {
		if (*s == '"' && fputc('"', fp) == EOF)
			return -1;
		if (fputc(*s, fp) == EOF)
			return -1;
	}
	return fputc('"', fp) == EOF ? -1 : 0;
}

typedef struct {
	const table_def *t;
	FILE *fp;
	json_t *arr;
	size_t count;
	int ioerr;
} exporter;

static int export_row(const char *id, json_t *rec, void *payload)
{
	exporter *ex = payload;
	ex->count++;
	if (ex->arr)
		return json_array_append_new(ex->arr, cli_record_flat(id, rec)) ? err_set(C2C_ENOMEM, "out of memory") : 0;
	int bad = put_cell(ex->fp, id) < 0;
	for (size_t i = 0; i < ex->t->nfields && !bad; i++) {
		char *s = record_value_text(json_object_get(rec, ex->t->fields[i].name));
		if (!s)
			return err_set(C2C_ENOMEM, "out of memory");
		bad = fputc(',', ex->fp) == EOF || put_cell(ex->fp, s) < 0;
		free(s);
	}
	if (bad || fputc('\n', ex->fp) == EOF)
		return ex->ioerr = 1;
	return 0;
}

static int cmd_export_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	exporter ex = {0};
	char *tmp = NULL;
	int err;
	if ((err = cli_positionals(ctx, 1, 2)) < 0 || (err = cli_table(n, ctx->argv[0], &t)) < 0)
		return err;
	const char *file = ctx->argc > 1 ? ctx->argv[1] : NULL;
	ex.t = t;
	ex.fp = stdout;
	if (file) {
		size_t l = strlen(file) + 5;
		if (!(tmp = malloc(l)))
			return err_set(C2C_ENOMEM, "out of memory");
		snprintf(tmp, l, "%s.tmp", file);
		if (!(ex.fp = fopen(tmp, "wb"))) {
			err = err_errno(C2C_EIO, file);
			err_hint("check that the directory exists and can be written");
			free(tmp);
			return err;
		}
	}
	if (ctx->json) {
		if (!(ex.arr = json_array())) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
	} else {
		int bad = put_cell(ex.fp, "id") < 0;
		for (size_t i = 0; i < t->nfields && !bad; i++)
			bad = fputc(',', ex.fp) == EOF || put_cell(ex.fp, t->fields[i].name) < 0;
		if (bad || fputc('\n', ex.fp) == EOF)
			ex.ioerr = 1;
	}
	if (!ex.ioerr && (err = store_rows_each(n->st, t, NULL, export_row, &ex)) < 0 && !ex.ioerr)
		goto done;
	err = 0;
	if (ex.arr && !ex.ioerr) {
		if (json_dumpf(ex.arr, ex.fp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || fputc('\n', ex.fp) == EOF)
			ex.ioerr = 1;
	}
	if (fflush(ex.fp) != 0 || ferror(ex.fp))
		ex.ioerr = 1;
	if (file) {
		if (!ex.ioerr && fsync(fileno(ex.fp)) != 0)
			ex.ioerr = 1;
		int saved = errno;
		if (fclose(ex.fp) != 0)
			ex.ioerr = 1;
		else
			errno = saved;
		ex.fp = NULL;
		if (!ex.ioerr && rename(tmp, file) != 0)
			ex.ioerr = 1;
	}
	if (ex.ioerr) {
		err = err_errno(C2C_EIO, file ? file : "standard output");
		if (file)
			err_hint("check the disk space and that %s can be written", file);
		goto done;
	}
	if (file && !ctx->json)
		printf("exported %zu records of %s to %s\n", ex.count, t->name, file);
done:
	if (file && ex.fp)
		fclose(ex.fp);
	if (tmp && err < 0)
		unlink(tmp);
	free(tmp);
	json_decref(ex.arr);
	return err;
}

const cli_command cmd_export = {
    "export", cmd_export_fn, CLI_READ, "export records to a CSV file", "c2c export TABLE [FILE.csv]",
    "Writes the records of TABLE as CSV to FILE.csv (replaced whole, never left\n"
    "half-written), or to standard output: a header line, id then the fields\n"
    "in the order 'c2c tables TABLE' gives, then one line per record in id\n"
    "order. Sets are one cell of comma-separated values; cells with commas,\n"
    "quotes or line breaks are quoted (RFC 4180); lines end in \\n; the text is\n"
    "UTF-8. The file can be edited in a spreadsheet and given back to\n"
    "'c2c import'. --json writes an array of flat records instead.\n\n"
    "  c2c export actions actions.csv\n  c2c export stakeholders > stakeholders.csv\n"};

/* ------------------------------------------- for the web interface (cli.h) */
int cli_import_stream(c2c_node *n, const table_def *t, FILE *fp, const char *name, int write, json_t *problems,
                      cli_import_result *res)
{
	importer im = {0};
	git_oid head;
	int err;
	memset(res, 0, sizeof(*res));
	im.n = n;
	im.t = t;
	im.file = name;
	im.problems = problems;
	if ((err = node_txn_begin(&im.tx, n)) < 0)
		goto done;
	err = import_run(&im, fp);
	if (err == C2C_EINVALID && problems) {
		/* The file as a whole is bad (its header, its quoting): one problem. */
		json_array_append_new(problems, json_pack("{s:I,s:s,s:s?}", "line", (json_int_t)(im.rec_line ? im.rec_line : im.line),
		                                          "message", err_msg(), "hint", err_hint_msg()));
		err_clear();
		err = 0;
	}
	if (err < 0)
		goto done;
	res->added = im.added;
	res->changed = im.changed;
	res->unchanged = im.unchanged;
	if (!write || (problems && json_array_size(problems)) || im.added + im.changed == 0)
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
	node_txn_abort(im.tx);
	free(im.cols);
	free(im.buf);
	free(im.off);
	return err;
}

int cli_export_stream(c2c_node *n, const table_def *t, FILE *fp)
{
	exporter ex = {0};
	int err;
	ex.t = t;
	ex.fp = fp;
	int bad = put_cell(fp, "id") < 0;
	for (size_t i = 0; i < t->nfields && !bad; i++)
		bad = fputc(',', fp) == EOF || put_cell(fp, t->fields[i].name) < 0;
	if (bad || fputc('\n', fp) == EOF)
		return err_errno(C2C_EIO, "writing CSV");
	if ((err = store_rows_each(n->st, t, NULL, export_row, &ex)) < 0 && !ex.ioerr)
		return err;
	if (ex.ioerr)
		return err_errno(C2C_EIO, "writing CSV");
	return 0;
}
