/* A record's row as the database keeps it, made once from the parsed
 * record (store_rows.c), and the images the incoming checks kept of the
 * blobs they parsed (rowcache.c), so that moving the head writes each
 * checked record's row without reading and parsing its blob again. */
#ifndef C2C_ROWIMAGE_H
#define C2C_ROWIMAGE_H

#include <git2.h>
#include <jansson.h>

#include "c2c/store.h"

/* One column's value: SQL NULL, an integer (I) or a text (bytes
 * [I, I+len) of the image's text, a NUL after them; ROW_TEXT_NUL when
 * they hold a NUL too). */
typedef struct {
	long long i;
	unsigned len;
	int kind; /* ROW_NULL, ROW_INT, ROW_TEXT, ROW_TEXT_NUL */
} row_col;

enum { ROW_NULL, ROW_INT, ROW_TEXT, ROW_TEXT_NUL };

/* The row of a live record of table T: the columns store_row_put binds
 * after the id (T's fields, _c2c, _extra), what moving the head counts
 * (the record's highest Lamport time, whether it holds conflicts), in one
 * allocation (free()). */
typedef struct {
	const table_def *t;
	long long lamport;
	int conflicts;
	size_t ncols, bytes;
	row_col *cols;
	char *text;
} row_image;

/* The image of REC (a record of T with id ID) in *out (malloc'd, free()).
 * C2C_EINVALID when REC has no _c2c or a value cannot be written
 * canonically, C2C_ENOMEM. */
int store_row_image(const table_def *t, const char *id, const json_t *rec, row_image **out);

/* Insert or replace row ID of IMG's table from IMG (store_row_put's row). */
int store_row_put_image(store *st, const char *id, const row_image *img);

/* A row to write: ID's row from IMG (both borrowed). */
typedef struct {
	const char *id;
	const row_image *img;
} row_put;

/* store_row_put_image of each of the N ROWS, in their order, with the
 * same result; faster where rows of one table follow each other. */
int store_row_put_images(store *st, const row_put *rows, size_t n);

/* ST's connection set for a bulk write (BULK), or back to SQLite's
 * defaults; BULK before the write's transaction begins (SQLite chooses
 * where its statement journals go then), back after it ends:
 * - the page cache up to 256 MiB (else 2 MiB), taken only as pages are
 *   touched: a first sync's rows then go to the WAL once, at COMMIT,
 *   instead of each page spilling as the cache fills;
 * - statement journals in memory (else in a temporary file past 64 KiB):
 *   a statement of store_row_put_images keeps there the pages it changes,
 *   to undo itself alone if it fails; written to a file, they cost more
 *   than the many rows to a statement save.
 * Memory only: durability is unchanged. */
int store_bulk_write(store *st, int bulk);

/* Images of checked blobs, by blob id, up to a budget of bytes. */
typedef struct row_cache row_cache;

int row_cache_new(row_cache **out, size_t budget);
void row_cache_free(row_cache *c); /* NULL is fine */

/* Keep a copy of IMG for blob ID (none when over the budget, or when ID
 * has an image already), and free IMG. 0, or C2C_ENOMEM. */
int row_cache_put(row_cache *c, const git_oid *id, row_image *img);

/* The image kept for blob ID as a record of T, or NULL. */
const row_image *row_cache_get(const row_cache *c, const git_oid *id, const table_def *t);

#endif
