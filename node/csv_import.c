/* csv_import: a spreadsheet's CSV file read into a table's records
 * (include/c2c/csv_import.h): libcsv's stream, the header's columns, the
 * bad rows listed, the scan for the file's locale. One row's values are
 * csv_row.c's; the cells and a bad row's report, csv_cells.c's. */
#include "c2c/csv_import.h"

#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/util.h"

#define CHUNK (64 * 1024)

/* Set a fatal error "FILE: row N: ..." (C2C_EINVALID): the file cannot be read on. */
static int imp_fail(csv_importer *im, size_t row, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int imp_fail(csv_importer *im, size_t row, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(C2C_EINVALID, _("%s: row %zu: %s"), im->file, row, msg);
	return im->err = C2C_EINVALID;
}

static void imp_cell(void *s, size_t len, void *data)
{
	csv_importer *im = data;
	if (im->err)
		return;
	/* off[ncells + 1] ends the new cell */
	if (util_grow((void **)&im->off, &im->ocap, im->ncells + 2, sizeof(*im->off)) < 0 ||
	    (len >= (size_t)-1 - im->blen ? ERR_OOM() : util_grow((void **)&im->buf, &im->bcap, im->blen + len + 1, 1)) <
	        0) {
		im->err = C2C_ENOMEM;
		return;
	}
	im->off[im->ncells++] = im->blen;
	if (len)
		memcpy(im->buf + im->blen, s, len);
	im->blen += len;
	im->buf[im->blen++] = '\0';
	im->off[im->ncells] = im->blen;
}

/* The column names of T, for messages: "id, city, title, ...". malloc'd. */
static char *known_columns(const table_def *t)
{
	size_t cap = 8;
	for (size_t k = 0; k < t->nfields; k++)
		cap += strlen(t->fields[k].name) + 2;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	strcpy(s, "id");
	for (size_t k = 0; k < t->nfields; k++) {
		strcat(s, ", ");
		strcat(s, t->fields[k].name);
	}
	return s;
}

/* S folded for comparing column names: trimmed, ASCII and Latin-1 capitals
 * (É, À, Ç...) in lower case. Into OUT (CAP bytes). */
static void fold(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (const unsigned char *u = (const unsigned char *)s; *u && n + 3 < cap; u++) {
		if (*u >= 'A' && *u <= 'Z')
			out[n++] = (char)(*u - 'A' + 'a');
		else if (u[0] == 0xC3 && u[1] >= 0x80 && u[1] <= 0x9E && u[1] != 0x97)
			out[n++] = (char)0xC3, out[n++] = (char)(u[1] + 0x20), u++;
		else
			out[n++] = (char)*u;
	}
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
}

/* The column NAME (folded) as a field's label in one of the languages of
 * the catalogs ("Titre", "Budget (EUR)", "العنوان"): 1 with *out set, 2 for
 * the id's label, 0 for none. */
static int label_column(const table_def *t, const char *name, const field_def **out)
{
	char a[256];
	*out = NULL;
	for (size_t l = 0; i18n_langs[l]; l++) {
		fold(i18n_field(i18n_langs[l], t->name, "id"), a, sizeof(a));
		if (!strcmp(a, name))
			return 2;
		for (size_t k = 0; k < t->nfields; k++) {
			fold(i18n_field(i18n_langs[l], t->name, t->fields[k].name), a, sizeof(a));
			if (!strcmp(a, name)) {
				*out = &t->fields[k];
				return 1;
			}
		}
	}
	return 0;
}

static int imp_header(csv_importer *im, size_t row)
{
	const table_def *t = im->t;
	char unknown[512] = "";
	size_t nunknown = 0, ul = 0;
	im->ncols = im->ncells;
	im->id_col = -1;
	if (!(im->cols = calloc(im->ncols ? im->ncols : 1, sizeof(*im->cols))) ||
	    !(im->kind = calloc(im->ncols ? im->ncols : 1, 1)))
		return im->err = ERR_OOM();
	for (size_t i = 0; i < im->ncols; i++) {
		if (csv_cell_utf8(im, i) < 0) {
			char letter[8];
			csv_col_letter(i, letter);
			err_prefix(_("%s: row %zu, column %s: "), im->file, row, letter);
			return im->err = C2C_EINVALID;
		}
		/* names are matched without regard to case and surrounding spaces,
		 * and by the field's label in any of the catalogs' languages */
		char name[256];
		fold(csv_cell(im, i, NULL), name, sizeof(name));
		const field_def *f = NULL;
		int label = 0;
		if (!*name) {
			im->kind[i] = CSV_COL_NONAME; /* an empty column, as spreadsheets leave after the last */
			continue;
		}
		if (!strcmp(name, "id")) {
			im->kind[i] = CSV_COL_ID;
		} else if ((f = store_field(t, name))) {
			im->kind[i] = CSV_COL_FIELD;
		} else if ((label = label_column(t, name, &f)) != 0) {
			im->kind[i] = label == 2 ? CSV_COL_ID : CSV_COL_FIELD;
		} else {
			im->kind[i] = CSV_COL_SKIP;
			if (!im->ignore_unknown) {
				if (ul < sizeof(unknown))
					ul += (size_t)snprintf(unknown + ul, sizeof(unknown) - ul, "%s'%s'", nunknown ? ", " : "",
					                       name);
				nunknown++;
			}
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (im->kind[j] == im->kind[i] && im->cols[j] == f) {
				char a[8], b[8];
				csv_col_letter(j, a), csv_col_letter(i, b);
				imp_fail(im, row, "column '%s' appears twice (columns %s and %s)", name, a, b);
				err_hint(_("keep one column per field"));
				return im->err;
			}
		}
		im->cols[i] = f;
		if (!f)
			im->id_col = (long)i;
	}
	if (nunknown) {
		char *known = known_columns(t);
		imp_fail(im, row, "table %s has no column%s %s", t->name, nunknown > 1 ? "s" : "", unknown);
		err_hint(_("its columns are %s ('c2c tables %s'); --ignore-unknown skips the others"), known ? known : "",
		         t->name);
		free(known);
		return im->err;
	}
	for (size_t k = 0; k < t->nfields; k++) {
		const field_def *f = &t->fields[k];
		if (!f->required || (t->city_scope && im->n->city && !strcmp(f->name, "city")))
			continue;
		size_t i;
		for (i = 0; i < im->ncols && im->cols[i] != f; i++)
			;
		if (i == im->ncols) {
			imp_fail(im, row, "the header has no column '%s', a required field of %s", f->name, t->name);
			return err_hint(_("add a %s column; 'c2c export %s' writes a file with every column"), f->name,
			                t->name);
		}
	}
	im->have_header = 1;
	return 0;
}



/* The scan's look at one row: what its dates and numbers prove. */
static void imp_scan_row(csv_importer *im, size_t row)
{
	for (size_t i = 0; i < im->ncells && i < im->ncols; i++) {
		int d;
		char dec;
		if (im->kind[i] != CSV_COL_FIELD)
			continue;
		const char *c = sheet_uninert(csv_cell(im, i, NULL));
		if (sheet_evidence(im->cols[i], c, &d, &dec) < 0) {
			im->err = err_code();
			return;
		}
		if (d >= 0) {
			if (!im->day_row)
				im->day_first = d, im->day_row = row, snprintf(im->day_text, sizeof(im->day_text), "%s", c);
			else if (d != im->day_first)
				im->day_conflict = 1;
		}
		if (dec) {
			if (!im->dec_row)
				im->decimal = dec, im->dec_row = row, snprintf(im->dec_text, sizeof(im->dec_text), "%s", c);
			else if (dec != im->decimal)
				im->dec_conflict = 1;
		}
	}
}

static size_t count_nl(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void imp_end_row(int c, void *data)
{
	csv_importer *im = data;
	(void)c;
	if (im->err)
		return;
	size_t line = im->rec_line ? im->rec_line : im->line;
	size_t row = line - im->quoted_nl;
	if (!im->have_header)
		imp_header(im, row);
	else if (im->scan)
		imp_scan_row(im, row);
	else if (csv_import_row(im, row) == 0 && im->ncells) {
		im->rows++;
		if (im->progress)
			im->progress(N_("importing"), im->rows, 0);
	}
	/* line breaks inside quoted cells do not start a spreadsheet row */
	im->quoted_nl += count_nl(im->buf, im->blen);
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
 * messages can name its row. */
static int imp_feed(csv_importer *im, struct csv_parser *p, const char *buf, size_t len)
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
				imp_fail(im, im->line - im->quoted_nl - count_nl(im->buf, im->blen),
				         "malformed CSV: a quote inside an unquoted cell, or text after a closing quote");
				err_hint(_("a cell with a quote is written in quotes with the quote doubled: \"say \"\"hello\"\"\""));
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

/* The separator of the header line B: the most frequent of , ; and tab
 * outside quotes (',' when none). */
static char detect_sep(const char *b, size_t len)
{
	size_t comma = 0, semi = 0, tab = 0;
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (b[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (b[i] == '\n')
			break;
		else if (b[i] == ',')
			comma++;
		else if (b[i] == ';')
			semi++;
		else if (b[i] == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

int csv_import_run(csv_importer *im, FILE *fp)
{
	struct csv_parser p;
	char *chunk = malloc(CHUNK);
	int first = 1;
	if (!chunk || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(chunk);
		return ERR_OOM();
	}
	csv_set_space_func(&p, no_space);
	im->line = 1;
	for (;;) {
		size_t got = fread(chunk, 1, CHUNK, fp);
		const char *b = chunk;
		if (first && got >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3))
			b += 3, got -= 3;
		if (first) {
			if (!im->sep)
				im->sep = detect_sep(b, got);
			csv_set_delim(&p, (unsigned char)im->sep);
		}
		first = 0;
		if (got && imp_feed(im, &p, b, got) < 0)
			break;
		if (got < CHUNK - (size_t)(b - chunk))
			break; /* end of file, or an error */
	}
	if (!im->err && ferror(fp))
		im->err = err_errno(C2C_EIO, im->file);
	if (!im->err) {
		size_t start = (im->rec_line ? im->rec_line : im->line) - im->quoted_nl;
		if (csv_fini(&p, imp_cell, imp_end_row, im) != 0 && !im->err) {
			im->err = err_set(C2C_EINVALID, _("%s: row %zu: a quoted cell is never closed"), im->file, start);
			err_hint(_("a cell that starts with \" ends with \"; a quote inside it is doubled (\"\")"));
		}
	}
	if (!im->err && !im->have_header) {
		im->err = err_set(C2C_EINVALID, _("%s: the file is empty; its first line must name the columns"), im->file);
		err_hint(_("'c2c export %s FILE.csv' writes a file with the header to start from"), im->t->name);
	}
	csv_free(&p);
	free(chunk);
	return im->err;
}

/* What an import holds, freed (its transaction, if still open, abandoned). */
void csv_importer_dispose(csv_importer *im)
{
	node_txn_abort(im->tx);
	free(im->cols);
	free(im->kind);
	free(im->buf);
	free(im->off);
	csv_seen_free(&im->seen);
	json_decref(im->bad);
	json_decref(im->plan);
}

/* Without --locale: read the file once for what its cells prove about its
 * locale (sheet_evidence), then rewind it for the import itself and take
 * what was proved without contradiction. */
int csv_import_scan(csv_importer *im, FILE *fp)
{
	int err;
	im->scan = 1;
	if ((err = csv_import_run(im, fp)) < 0)
		return err;
	im->scan = 0;
	free(im->cols), free(im->kind);
	im->cols = NULL, im->kind = NULL;
	im->have_header = 0;
	im->ncells = im->blen = im->rec_line = im->quoted_nl = 0;
	if (fseek(fp, 0, SEEK_SET) != 0)
		return err_errno(C2C_EIO, im->file);
	if (im->day_row && !im->day_conflict)
		im->loc.day_first = im->day_first;
	if (im->dec_row && !im->dec_conflict)
		im->loc.decimal = im->decimal;
	return 0;
}
