/* store's internals, shared by its files (store.c: the connection, the
 * schema, the node state; store_rows.c: rows, tombstones, held branches).
 * Not for any other module: they go through store.h. */
#ifndef C2C_STORE_IMPL_H
#define C2C_STORE_IMPL_H

#include <sqlite3.h>

#include "c2c/store.h"

typedef struct {
	sqlite3_stmt *get, *put, *del;
} table_stmts;

struct store {
	sqlite3 *db;
	int version;
	table_def *tables;
	size_t ntables;
	table_stmts *stmts;
	sqlite3_stmt *state_get, *state_set, *state_del;
	sqlite3_stmt *tomb_get, *tomb_put, *tomb_del;
};

/* Prepare SQL as a persistent statement of ST's connection. */
int store_prepare(store *st, sqlite3_stmt **out, const char *sql);
/* Column I of the current row of S, malloc'd; NULL for SQL NULL (or when
 * memory runs out). */
char *store_col_dup(sqlite3_stmt *s, int i);

#endif
