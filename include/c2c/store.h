/* store: the SQLite working store of a node.
 *
 * One connection, WAL, synchronous=FULL. The schema comes from the
 * migrations embedded from schema/NNN-*.sql and is versioned with PRAGMA
 * user_version. The record types and their fields are read from the
 * c2c_tables and c2c_fields tables that the schema fills, so that the SQL
 * files are the one description of the data.
 *
 * A record in memory is a jansson object: its fields as plain keys (text as
 * strings, integers as integers, sets as arrays of strings), the node's
 * bookkeeping under "_c2c", and any fields this node does not know. */
#ifndef C2C_STORE_H
#define C2C_STORE_H

#include <jansson.h>
#include <stddef.h>

typedef struct sqlite3 sqlite3;
typedef struct store store;

typedef enum { FT_TEXT, FT_INT, FT_ENUM, FT_DATE, FT_MONTH, FT_REF, FT_SET } field_type;
typedef enum { EL_NONE, EL_TEXT, EL_ENUM, EL_REF, EL_SDG_TARGET } elem_type;

typedef struct {
	char *name;
	field_type type;
	elem_type elem; /* for FT_SET */
	int required, immutable, has_min;
	long long min;
	char **allowed; /* FT_ENUM, or a set of EL_ENUM */
	size_t nallowed;
	char *ref; /* FT_REF, or a set of EL_REF: the table pointed into */
	char *summary;
} field_def;

typedef struct {
	char *name;
	int city_scope; /* 1: cities/<slug>/<name>/..., 0: network/<name>/... */
	char **natkey;  /* fields whose values make the id, or NULL */
	size_t nnatkey;
	char **matchkey; /* fields that find a record on import when a row has no id, or NULL */
	size_t nmatchkey;
	int key_unique; /* local writes keep matchkey unique among live records */
	char *summary;
	field_def *fields;
	size_t nfields;
} table_def;

/* Open (creating if CREATE) the database at PATH and bring its schema up to
 * version UPTO (0: the newest this program has). Refuses a database of a
 * newer version than this program knows with C2C_EVERSION. */
int store_open(store **out, const char *path, int create, int upto);
void store_close(store *st);
sqlite3 *store_db(store *st);
int store_version(store *st);

/* The record types (borrowed, valid until store_close), read from
 * c2c_tables and c2c_fields on the first call that needs them (store_open
 * reads nothing it does not need; each statement is prepared on its first
 * use). store_table gives NULL for a table this node does not know, and so
 * do both if the types cannot be read (the error is set; store_begin
 * returns it, so that no write runs without them). */
const table_def *store_table(const store *st, const char *name);
const table_def *store_tables(const store *st, size_t *n);
const field_def *store_field(const table_def *t, const char *name);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. rollback is safe to call anytime. */
int store_begin(store *st);
int store_commit(store *st);
void store_rollback(store *st);

/* Node state, a key/value table. get: C2C_ENOTFOUND if absent; *out malloc'd. */
int store_state_get(store *st, const char *key, char **out);
int store_state_set(store *st, const char *key, const char *value); /* NULL deletes */

/* Rows. get: C2C_ENOTFOUND if absent; *out is a new reference. put inserts or
 * replaces the whole row from REC (fields this table lacks go to _extra). */
int store_row_get(store *st, const table_def *t, const char *id, json_t **out);
int store_row_put(store *st, const table_def *t, const char *id, const json_t *rec);
int store_row_delete(store *st, const table_def *t, const char *id);
int store_row_exists(store *st, const char *table, const char *id);

/* Call CB for each row of T, in id order, that matches every FIELD=VALUE of
 * FILTER (an object of strings, or NULL; a set field matches if it holds the
 * value). CB's
 * non-zero return stops the walk and is returned. */
typedef int (*store_row_cb)(const char *id, json_t *rec, void *payload);
int store_rows_each(store *st, const table_def *t, const json_t *filter, store_row_cb cb,
                    void *payload);

/* The ids of T's rows whose match key (t->matchkey) equals that of VALUES
 * (an object of JSON values; an absent or null one matches an empty field),
 * in id order: *first gets the first (malloc'd, NULL if none), *count their
 * number. */
int store_find_by_key(store *st, const table_def *t, const json_t *values, char **first, size_t *count);

/* Tombstones of deleted records: the last record text, at its path. */
int store_tomb_put(store *st, const char *table, const char *id, const char *path, const char *text);
int store_tomb_get(store *st, const char *table, const char *id, char **text);
int store_tomb_delete(store *st, const char *table, const char *id);
/* 1 if TABLE has a tombstone, 0 if it has none; or an error. */
int store_tomb_any(store *st, const char *table);

/* Number of rows of T; of tombstones of T when TOMBS. */
int store_count(store *st, const char *table, int tombs, long long *out);

/* Branches a sync holds back (schema/008-held.sql). HELD is an array of
 * objects with the string keys branch, node, city, tip, commit, rule,
 * release (node and city may be missing); they replace REMOTE's rows, each
 * keeping its first time if it was held at the same tip before (else NOW).
 * store_held_list gives REMOTE's rows (NULL: every remote's), each with
 * remote and since too; a new array. */
int store_held_replace(store *st, const char *remote, const json_t *held, long long now);
int store_held_list(store *st, const char *remote, json_t **out);

/* Every row of every table, and the tombstones, deleted (repair rebuilds
 * them from the head), inside the caller's transaction. */
int store_clear_rows(store *st);

#endif
