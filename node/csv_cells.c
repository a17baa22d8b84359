/* csv_cells: the cells of the row being imported (include/c2c/csv_import.h),
 * as csv_import.c collects them and csv_row.c reads them, and the report
 * of a bad one, named by the row and the column letter a spreadsheet
 * shows. Below both. */
#include "c2c/csv_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"

/* "A".."Z", "AA".. : the column letter a spreadsheet shows for column I (0-based). */
void csv_col_letter(size_t i, char out[8])
{
	char tmp[8];
	size_t n = 0;
	i++;
	while (i && n < 7) {
		tmp[n++] = (char)('A' + (i - 1) % 26);
		i = (i - 1) / 26;
	}
	for (size_t k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	out[n] = '\0';
}

/* Record a bad row: ROW, column COL (-1: the row as a whole), and the
 * current error's message and hint. Returns 0 (the import goes on) or a
 * fatal error. */
int csv_bad(csv_importer *im, size_t row, long col)
{
	char where[160], letter[8];
	const char *msg = err_msg(), *hint = err_hint_msg();
	const char *name = NULL;
	im->nbad++;
	if (im->nbad > CSV_MAX_LISTED)
		return 0;
	if (col >= 0) {
		csv_col_letter((size_t)col, letter);
		name = (size_t)col < im->ncols ? (im->kind[col] == CSV_COL_ID ? "id" : im->cols[col] ? im->cols[col]->name : NULL)
		                               : NULL;
		/* "actions.budget_eur: 'x' is not..." -> "'x' is not..." */
		size_t tl = strlen(im->t->name);
		if (name && !strncmp(msg, im->t->name, tl) && msg[tl] == '.' && !strncmp(msg + tl + 1, name, strlen(name)) &&
		    !strncmp(msg + tl + 1 + strlen(name), ": ", 2))
			msg += tl + 1 + strlen(name) + 2;
		if (name)
			snprintf(where, sizeof(where), _("row %zu, column %s (%s)"), row, letter, name);
		else
			snprintf(where, sizeof(where), _("row %zu, column %s"), row, letter);
	} else {
		snprintf(where, sizeof(where), _("row %zu"), row);
	}
	json_t *o = json_pack("{sI ss? ss? ss? ss}", "row", (json_int_t)row, "column", name, "column_letter",
	                      col >= 0 ? letter : NULL, "hint", hint, "message", "");
	if (!o)
		return im->err = ERR_OOM();
	size_t l = strlen(im->file) + strlen(where) + strlen(msg) + 8;
	char *full = malloc(l);
	if (!full) {
		json_decref(o);
		return im->err = ERR_OOM();
	}
	snprintf(full, l, "%s: %s: %s", im->file, where, msg);
	json_object_set_new(o, "message", json_string(full));
	free(full);
	json_array_append_new(im->bad, o);
	return 0;
}

const char *csv_cell(const csv_importer *im, size_t i, size_t *len)
{
	if (len)
		*len = im->off[i + 1] - im->off[i] - 1;
	return im->buf + im->off[i];
}

/* Drop the spaces and tabs around S, in place. */
char *csv_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	return s;
}

int csv_cell_utf8(const csv_importer *im, size_t i)
{
	size_t len;
	const char *s = csv_cell(im, i, &len);
	if (canon_utf8_valid(s, len))
		return 0;
	err_set(C2C_EINVALID, "%s", memchr(s, '\0', len) ? _("the text holds a NUL byte") : _("the text is not valid UTF-8"));
	return err_hint(_("save the file as CSV UTF-8 (in a spreadsheet: \"CSV UTF-8 (comma delimited)\")"));
}
