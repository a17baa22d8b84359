/* store_browse: the read-only queries behind the web interface's pages
 * (node/ui_*.c): a table's list with search, filters, sort and pages, the
 * home page's counts, the records in conflict, the choices of a form, and
 * the profile sections by city. The pages hold no SQL; what they get here
 * is plain C data, given to a callback row by row (the strings are borrowed
 * for the call) or counted into an out parameter.
 *
 * Each returns 0 or a negative C2C_E* code with the error set; a callback's
 * non-zero return stops the walk and is returned. */
#ifndef C2C_STORE_BROWSE_H
#define C2C_STORE_BROWSE_H

#include <jansson.h>
#include <stddef.h>

#include "c2c/store.h"

/* ----------------------------------------------------------------- lists */
/* Which rows of a table a list shows. */
typedef struct {
	/* Text searched (LIKE, its % and _ taken literally) in the id and in
	 * every text field; NULL or "" for none. */
	const char *search;
	/* Field name -> string: an enum or ref field equal to it, a set field
	 * holding it. NULL for none. */
	const json_t *filters;
	/* A field of the table to sort on (then by id, the same way), or NULL
	 * for the newest ids first. */
	const char *sort;
	int desc;
} store_browse_query;

/* The number of T's rows that Q selects, counted up to CAP (the cost of the
 * count does not grow with the table beyond it): *out <= CAP. */
int store_browse_count(store *st, const table_def *t, const store_browse_query *q, long long cap, long long *out);

/* One row of a list: its id, LABEL the text of the label field (NULL if
 * none or empty), VALS[i] the text of COLS[i] (NULL for an empty field; an
 * integer in decimal; a set as its JSON array), CONFLICT 1 when the record
 * holds a conflict or a deleted-while-edited mark. */
typedef int (*store_browse_row_cb)(const char *id, const char *label, const char *const *vals, int conflict,
                                   void *payload);
/* Rows OFFSET .. OFFSET+LIMIT of T that Q selects, in Q's order, with the
 * LABEL field (or NULL) and the NCOLS (at most 16) fields COLS. */
int store_browse_rows(store *st, const table_def *t, const store_browse_query *q, const field_def *label,
                      const field_def *const *cols, size_t ncols, long long offset, int limit,
                      store_browse_row_cb cb, void *payload);

/* T's rows, counted up to CAP (the home page's figures). */
int store_browse_count_upto(store *st, const table_def *t, long long cap, long long *out);

/* --------------------------------------------------------------- records */
/* The ids of T's records (at most LIMIT, -1 for all, in id order) that
 * may hold a conflict or a deletion mark: the caller reads each to be
 * sure. */
typedef int (*store_browse_id_cb)(const char *id, void *payload);
int store_browse_conflicted(store *st, const table_def *t, int limit, store_browse_id_cb cb, void *payload);

/* The records of T a ref field can point to (at most LIMIT, in id order;
 * of CITY only when T is a city table and CITY is not NULL), each with the
 * text of LABEL_FIELD (NULL: the id; the label may be NULL). */
typedef int (*store_browse_label_cb)(const char *id, const char *label, void *payload);
int store_browse_labels(store *st, const table_def *t, const char *label_field, const char *city, int limit,
                        store_browse_label_cb cb, void *payload);

/* The SDGs (table sdgs) by number: id, number, name (may be NULL). */
typedef int (*store_browse_sdg_cb)(const char *id, int number, const char *name, void *payload);
int store_browse_sdgs(store *st, store_browse_sdg_cb cb, void *payload);

/* ------------------------------------------------------ profile sections */
/* A row of profile_sections as the profile grid and the office's review
 * table read it. Strings may be NULL. */
typedef struct {
	const char *id, *city, *section, *lang, *status;
	const char *city_name; /* store_browse_sections only: the city's name */
	int has_body;          /* store_browse_city_sections only: the body is not empty */
	long long lamport;     /* store_browse_city_sections only: of the body's last edit */
} store_section_row;
typedef int (*store_browse_section_cb)(const store_section_row *row, void *payload);
/* CITY's profile sections. */
int store_browse_city_sections(store *st, const char *city, store_browse_section_cb cb, void *payload);
/* Every city's profile sections, by the city's name (or id), city, id. */
int store_browse_sections(store *st, store_browse_section_cb cb, void *payload);

#endif
