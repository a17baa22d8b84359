/* sheet: values as spreadsheets write them, in the four locales of the
 * network (en, fr, es, ar), turned into the canonical text that
 * record_parse_value takes, and the other way for export.
 *
 * What is read: numbers with grouping (50 000, 50.000, 50,000, with a
 * no-break space, the Arabic thousands separator) and a zero decimal part
 * (50000.00, 50.000,00); dates as D/M/YYYY, M/D/YYYY, YYYY/MM/DD and
 * YYYY-MM-DD with a zero time after them; Arabic-Indic digits; the Arabic
 * comma between set elements. What is ambiguous without a locale (06/12/2026,
 * 50.000) is refused with a message that asks for one: nothing is guessed. */
#ifndef C2C_SHEET_H
#define C2C_SHEET_H

#include <stddef.h>

#include "c2c/store.h"

typedef struct {
	const char *name; /* "en", "en-GB", "fr", "es", "ar"; NULL: none given */
	char decimal;     /* '.' or ','; 0: none given */
	int day_first;    /* 1: D/M/Y, 0: M/D/Y, -1: none given */
	char sep;         /* the CSV separator a spreadsheet of this locale writes */
} sheet_locale;

/* The locale named NAME ("fr", "fr_FR.UTF-8", "en-GB", ...). C2C_EINVALID
 * with the list of known ones. NAME NULL gives the "none given" locale. */
int sheet_locale_get(const char *name, sheet_locale *out);

/* The canonical text of cell TEXT for field F of T ("50 000" -> "50000",
 * "06/12/2026" with fr -> "2026-12-06"). *out malloc'd. C2C_EINVALID with a
 * message naming the value (not the field: the caller prefixes it). */
int sheet_value(const table_def *t, const field_def *f, const sheet_locale *loc, const char *text, char **out);

/* What cell TEXT of field F proves about its file's locale: *day_first 1
 * for a date like 31/12/2026, 0 for 12/31/2026, -1 when it does not tell;
 * *decimal '.' or ',' for a number like 50.000,00 or 1234,5, 0 when it does
 * not tell. Import reads a file's ambiguous values by what its other cells
 * prove, never by a guess. */
int sheet_evidence(const field_def *f, const char *text, int *day_first, char *decimal);

/* A cell that a spreadsheet would run as a formula (it starts with = + - @,
 * a tab or a carriage return) is written with a leading apostrophe, and so
 * is a cell that starts with an apostrophe, so that sheet_uninert gives the
 * text back exactly. sheet_inert: 1 if S needs the apostrophe.
 * sheet_uninert: S without it (borrowed, points into S). */
int sheet_inert(const char *s);
const char *sheet_uninert(const char *s);

#endif
