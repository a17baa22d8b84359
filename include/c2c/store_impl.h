/* store's internals, shared by its files (store.c: the connection, the
 * schema, the node state; store_rows.c: rows, tombstones, held branches).
 * Not for any other module: they go through store.h. */
#ifndef C2C_STORE_IMPL_H
#define C2C_STORE_IMPL_H

#include <sqlite3.h>

#include "c2c/store.h"

/* A table's statements: its row by id, the whole row written (one, or
 * STORE_PUT_ROWS at once), deleted, the ids of the rows with a given match
 * key. */
typedef enum { TSTMT_GET, TSTMT_PUT, TSTMT_PUTN, TSTMT_DEL, TSTMT_KEY, TSTMT_N } table_stmt;

/* Rows a TSTMT_PUTN statement writes: one statement for many rows keeps
 * its cursors, and each index's cursor finds the next row's place from
 * where the last one went instead of from the root (store_rows.c). */
#define STORE_PUT_ROWS 64
/* The store's fixed statements. */
typedef enum {
	STMT_STATE_GET,
	STMT_STATE_SET,
	STMT_STATE_DEL,
	STMT_TOMB_GET,
	STMT_TOMB_PUT,
	STMT_TOMB_DEL,
	STMT_TOMB_ANY,
	STMT_N
} store_stmt_id;

/* Every statement is prepared on its first use (a command pays only for
 * what it runs) and finalized by store_close; the record types are read
 * from c2c_tables and c2c_fields on the first call that needs them. */
struct store {
	sqlite3 *db;
	int version;
	int meta_loaded;
	table_def *tables;
	size_t ntables;
	sqlite3_stmt *(*tstmts)[TSTMT_N]; /* one row per table */
	sqlite3_stmt *stmts[STMT_N];
};

/* Prepare SQL as a persistent statement of ST's connection. */
int store_prepare(store *st, sqlite3_stmt **out, const char *sql);
/* The statement ID, or table T's statement KIND, prepared on first use and
 * kept until store_close (*out borrowed; reset it after use). */
int store_stmt(store *st, store_stmt_id id, sqlite3_stmt **out);
int store_table_stmt(store *st, const table_def *t, table_stmt kind, sqlite3_stmt **out);
/* Column I of the current row of S, malloc'd; NULL for SQL NULL (or when
 * memory runs out). */
char *store_col_dup(sqlite3_stmt *s, int i);

#endif
