/* csv_export: a table's records as a spreadsheet's CSV
 * (include/c2c/csv_export.h). */
#include "c2c/csv_export.h"

#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/record.h"
#include "c2c/sheet.h"

typedef struct {
	const table_def *t;
	FILE *fp;
	size_t count;
	char sep;
	const char *eol;
	int ioerr;
} exporter;

/* One cell, quoted when it holds the separator, a quote or a line break;
 * a cell a spreadsheet would run as a formula gets an apostrophe first
 * (sheet_inert), which import takes off again. */
static int put_cell(const exporter *ex, const char *s)
{
	char specials[5] = {ex->sep, '"', '\r', '\n', '\0'};
	FILE *fp = ex->fp;
	int inert = sheet_inert(s);
	if (!strpbrk(s, specials))
		return (inert && fputc('\'', fp) == EOF) || fputs(s, fp) < 0 ? -1 : 0;
	if (fputc('"', fp) == EOF || (inert && fputc('\'', fp) == EOF))
		return -1;
	for (; *s; s++) {
		if (*s == '"' && fputc('"', fp) == EOF)
			return -1;
		if (fputc(*s, fp) == EOF)
			return -1;
	}
	return fputc('"', fp) == EOF ? -1 : 0;
}

static int export_row(const char *id, json_t *rec, void *payload)
{
	exporter *ex = payload;
	ex->count++;
	int bad = put_cell(ex, id) < 0;
	for (size_t i = 0; i < ex->t->nfields && !bad; i++) {
		char *s = record_value_text(json_object_get(rec, ex->t->fields[i].name));
		if (!s)
			return ERR_OOM();
		bad = fputc(ex->sep, ex->fp) == EOF || put_cell(ex, s) < 0;
		free(s);
	}
	if (bad || fputs(ex->eol, ex->fp) < 0)
		return ex->ioerr = 1;
	return 0;
}

int csv_export(store *st, const table_def *t, FILE *fp, char sep, const char *eol, int bom, size_t *count,
               const char *what)
{
	exporter ex = {0};
	int err;
	ex.t = t;
	ex.fp = fp;
	ex.sep = sep;
	ex.eol = eol;
	if (count)
		*count = 0;
	/* Excel reads a file as UTF-8 only when it starts with a BOM */
	int bad = (bom && fputs("\xEF\xBB\xBF", fp) < 0) || put_cell(&ex, "id") < 0;
	for (size_t i = 0; i < t->nfields && !bad; i++)
		bad = fputc(sep, fp) == EOF || put_cell(&ex, t->fields[i].name) < 0;
	if (bad || fputs(eol, fp) < 0)
		return err_errno(C2C_EIO, what);
	if ((err = store_rows_each(st, t, NULL, export_row, &ex)) < 0 && !ex.ioerr)
		return err;
	if (ex.ioerr)
		return err_errno(C2C_EIO, what);
	if (count)
		*count = ex.count;
	return 0;
}
