/* store: the connection, the schema and its migrations, the record types
 * read from it, transactions and the node state (include/c2c/store.h); the
 * rows are store_rows.c's. */
#define _GNU_SOURCE /* memmem */
#include "c2c/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/schema_sql.h"
#include "c2c/store_impl.h"

sqlite3 *store_db(store *st) { return st->db; }
int store_version(store *st) { return st->version; }

static int exec(store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : err_sqlite(st->db, rc, what);
}

int store_prepare(store *st, sqlite3_stmt **out, const char *sql)
{
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	return rc == SQLITE_OK ? 0 : err_sqlite(st->db, rc, "preparing a statement");
}

static char **split_csv_list(const char *s, size_t *n)
{
	*n = 0;
	if (!s || !*s)
		return NULL;
	size_t cnt = 1;
	for (const char *p = s; *p; p++)
		cnt += *p == ',';
	char **v = calloc(cnt, sizeof(*v));
	if (!v)
		return NULL;
	const char *p = s;
	for (size_t i = 0; i < cnt; i++) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		v[i] = strndup(p, l);
		p = e ? e + 1 : p + l;
	}
	*n = cnt;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_meta(store *st)
{
	for (size_t i = 0; i < st->ntables; i++) {
		table_def *t = &st->tables[i];
		for (size_t j = 0; j < t->nfields; j++) {
			field_def *f = &t->fields[j];
			free(f->name);
			free_list(f->allowed, f->nallowed);
			free(f->ref);
			free(f->summary);
		}
		free(t->fields);
		free(t->name);
		free_list(t->natkey, t->nnatkey);
		free_list(t->matchkey, t->nmatchkey);
		free(t->summary);
		if (st->tstmts)
			for (int k = 0; k < TSTMT_N; k++)
				sqlite3_finalize(st->tstmts[i][k]);
	}
	free(st->tables);
	free(st->tstmts);
	st->tables = NULL;
	st->tstmts = NULL;
	st->ntables = 0;
	st->meta_loaded = 0;
}

char *store_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Did reading column I of S (giving GOT) run out of memory? (NULL for a
 * value that is not NULL.) */
static int col_oom(sqlite3_stmt *s, int i, const void *got)
{
	return !got && sqlite3_column_type(s, i) != SQLITE_NULL;
}

/* Did split_csv_list(S) giving V, N run out of memory? */
static int list_oom(const char *s, char **v, size_t n)
{
	if (s && *s && !v)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			return 1;
	return 0;
}

static int field_type_of(const char *s, field_type *out)
{
	static const char *names[] = {"text", "int", "enum", "date", "month", "ref", "set"};
	for (int i = 0; i < 7; i++)
		if (!strcmp(s, names[i])) {
			*out = (field_type)i;
			return 0;
		}
	return -1;
}

static elem_type elem_type_of(const char *s)
{
	if (!s)
		return EL_NONE;
	if (!strcmp(s, "text"))
		return EL_TEXT;
	if (!strcmp(s, "enum"))
		return EL_ENUM;
	if (!strcmp(s, "ref"))
		return EL_REF;
	if (!strcmp(s, "sdg_target"))
		return EL_SDG_TARGET;
	return EL_NONE;
}

/* Statement KIND of table I; column names come from the schema's own
 * metadata, never from input. */
static int prepare_table(store *st, size_t i, table_stmt kind, sqlite3_stmt **out)
{
	table_def *t = &st->tables[i];
	size_t cap = 256;
	for (size_t j = 0; j < t->nfields; j++)
		cap += 2 * strlen(t->fields[j].name) + 8;
	/* the values of a put: "(?" and ", ?" a column and ")" and ", " a row */
	size_t rows = kind == TSTMT_PUTN ? STORE_PUT_ROWS : 1, scap = cap * 2 + 256 + rows * (t->nfields + 4) * 3;
	char *cols = malloc(cap), *sql = malloc(scap);
	int err = C2C_ENOMEM;
	if (!cols || !sql)
		goto done;
	strcpy(cols, "id");
	for (size_t j = 0; j < t->nfields; j++) {
		strcat(cols, ", \"");
		strcat(cols, t->fields[j].name);
		strcat(cols, "\"");
	}
	strcat(cols, ", _c2c, _extra");
	if (kind == TSTMT_GET) {
		snprintf(sql, scap, "SELECT %s FROM \"%s\" WHERE id = ?", cols, t->name);
	} else if (kind == TSTMT_PUT || kind == TSTMT_PUTN) {
		size_t k = (size_t)snprintf(sql, scap, "INSERT OR REPLACE INTO \"%s\" (%s) VALUES ", t->name, cols);
		for (size_t r = 0; r < rows; r++) {
			k += (size_t)snprintf(sql + k, scap - k, "%s(?", r ? ", " : "");
			for (size_t j = 0; j < t->nfields + 2; j++)
				k += (size_t)snprintf(sql + k, scap - k, ", ?");
			k += (size_t)snprintf(sql + k, scap - k, ")");
		}
	} else if (kind == TSTMT_DEL) {
		snprintf(sql, scap, "DELETE FROM \"%s\" WHERE id = ?", t->name);
	} else {
		size_t k = (size_t)snprintf(sql, scap, "SELECT id FROM \"%s\" WHERE 1", t->name);
		for (size_t j = 0; j < t->nmatchkey; j++) {
			if (!store_field(t, t->matchkey[j])) {
				err = err_set(C2C_ECORRUPT, "c2c_tables: the key of %s names no field '%s'", t->name,
				              t->matchkey[j]);
				goto done;
			}
			k += (size_t)snprintf(sql + k, scap - k, " AND \"%s\" IS ?", t->matchkey[j]);
		}
	}
	err = store_prepare(st, out, sql);
done:
	if (err == C2C_ENOMEM)
		ERR_OOM();
	free(cols);
	free(sql);
	return err;
}

static int load_meta(store *st)
{
	sqlite3_stmt *s = NULL;
	int err = 0, rc;
	free_meta(st);
	/* match_key and key_unique came with schema 9 */
	if ((err = store_prepare(st, &s,
	                   st->version >= 9
	                       ? "SELECT name, scope, natural_key, summary, match_key, key_unique FROM c2c_tables ORDER BY pos"
	                       : "SELECT name, scope, natural_key, summary, NULL, 0 FROM c2c_tables ORDER BY pos")) < 0)
		return err;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		table_def *nt = realloc(st->tables, (st->ntables + 1) * sizeof(*nt));
		if (!nt) {
			err = ERR_OOM();
			goto done;
		}
		st->tables = nt;
		table_def *t = &st->tables[st->ntables++];
		memset(t, 0, sizeof(*t));
		t->name = store_col_dup(s, 0);
		const char *scope = (const char *)sqlite3_column_text(s, 1);
		t->city_scope = scope && !strcmp(scope, "city");
		const char *nk = (const char *)sqlite3_column_text(s, 2);
		t->natkey = split_csv_list(nk, &t->nnatkey);
		t->summary = store_col_dup(s, 3);
		const char *mk = (const char *)sqlite3_column_text(s, 4);
		t->matchkey = split_csv_list(mk, &t->nmatchkey);
		t->key_unique = sqlite3_column_int(s, 5);
		if (!t->name || col_oom(s, 1, scope) || col_oom(s, 2, nk) || list_oom(nk, t->natkey, t->nnatkey) ||
		    col_oom(s, 3, t->summary) || col_oom(s, 4, mk) || list_oom(mk, t->matchkey, t->nmatchkey)) {
			err = ERR_OOM();
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		err = err_sqlite(st->db, rc, "reading c2c_tables");
		goto done;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((err = store_prepare(st, &s, "SELECT name, type, elem, required, immutable, min, allowed, ref, summary "
	                           "FROM c2c_fields WHERE tbl = ? ORDER BY pos")) < 0)
		goto done;
	for (size_t i = 0; i < st->ntables; i++) {
		table_def *t = &st->tables[i];
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			field_def *nf = realloc(t->fields, (t->nfields + 1) * sizeof(*nf));
			if (!nf) {
				err = ERR_OOM();
				goto done;
			}
			t->fields = nf;
			field_def *f = &t->fields[t->nfields++];
			memset(f, 0, sizeof(*f));
			f->name = store_col_dup(s, 0);
			const char *type = (const char *)sqlite3_column_text(s, 1);
			if (!f->name || !type) {
				err = ERR_OOM();
				goto done;
			}
			if (field_type_of(type, &f->type) < 0) {
				err = err_set(C2C_ECORRUPT, "c2c_fields: %s.%s has an unknown type", t->name, f->name);
				goto done;
			}
			const char *elem = (const char *)sqlite3_column_text(s, 2);
			f->elem = elem_type_of(elem);
			f->required = sqlite3_column_int(s, 3);
			f->immutable = sqlite3_column_int(s, 4);
			f->has_min = sqlite3_column_type(s, 5) != SQLITE_NULL;
			f->min = sqlite3_column_int64(s, 5);
			const char *allowed = (const char *)sqlite3_column_text(s, 6);
			f->allowed = split_csv_list(allowed, &f->nallowed);
			f->ref = store_col_dup(s, 7);
			f->summary = store_col_dup(s, 8);
			if (col_oom(s, 2, elem) || col_oom(s, 6, allowed) || list_oom(allowed, f->allowed, f->nallowed) ||
			    col_oom(s, 7, f->ref) || col_oom(s, 8, f->summary)) {
				err = ERR_OOM();
				goto done;
			}
		}
		if (rc != SQLITE_DONE) {
			err = err_sqlite(st->db, rc, "reading c2c_fields");
			goto done;
		}
	}
	st->tstmts = calloc(st->ntables ? st->ntables : 1, sizeof(*st->tstmts));
	if (!st->tstmts) {
		err = ERR_OOM();
		goto done;
	}
	st->meta_loaded = 1;
done:
	sqlite3_finalize(s);
	if (err < 0)
		free_meta(st);
	return err;
}

/* The record types, read on the first call that needs them. */
static int need_meta(store *st) { return st->meta_loaded ? 0 : load_meta(st); }

/* Where SQLite's instr(H, N) finds N: 1 + its offset in H, counted in
 * bytes (TEXT 0) or in the characters of SQLite's own walk (TEXT 1), or
 * 0. SQLite's walk tries byte 0, then each byte that does not continue a
 * UTF-8 sequence (func.c, instrFunc); memmem finds the first match at any
 * byte, so a match inside a character is passed over as SQLite does. */
static int instr_at(const unsigned char *h, int nh, const unsigned char *n, int nn, int text)
{
	const unsigned char *p = h, *e = h + nh, *m;
	while ((m = memmem(p, (size_t)(e - p), n, (size_t)nn))) {
		if (!text)
			return (int)(m - h) + 1;
		if (m == h || (*m & 0xc0) != 0x80) {
			int at = 1;
			for (const unsigned char *q = h + 1; q <= m; q++)
				at += (*q & 0xc0) != 0x80;
			return at;
		}
		p = m + 1;
	}
	return 0;
}

/* instr(X, Y), SQLite's own but for the search, registered over it on
 * every connection of ours. Why: each record table has a partial index on
 * instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"') (schema 10),
 * which every row written evaluates, and SQLite 3.40's instr walks the
 * text a byte at a time (6,000 instructions for a 300-byte _c2c without
 * either word; memmem, some 600): a first sync of 200,000 records
 * writes its rows in 0.82 s of processor time instead of 0.99. The result
 * must be SQLite's for every argument, since SQLite anywhere reads the
 * index (integrity_check, the sqlite3 shell): the arguments are read as
 * SQLite reads them, and test_store's t_instr_as_sqlite compares the two. */
static void instr_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_value *c1 = NULL, *c2 = NULL;
	const unsigned char *h, *n;
	int th = sqlite3_value_type(argv[0]), tn = sqlite3_value_type(argv[1]), nh, nn, at = 1;
	(void)argc;
	if (th == SQLITE_NULL || tn == SQLITE_NULL)
		return;
	nh = sqlite3_value_bytes(argv[0]);
	nn = sqlite3_value_bytes(argv[1]);
	if (nn > 0) {
		int text = 1;
		if (th == SQLITE_BLOB && tn == SQLITE_BLOB) {
			h = sqlite3_value_blob(argv[0]);
			n = sqlite3_value_blob(argv[1]);
			text = 0;
		} else if (th != SQLITE_BLOB && tn != SQLITE_BLOB) {
			h = sqlite3_value_text(argv[0]);
			n = sqlite3_value_text(argv[1]);
		} else { /* a blob and a text: both read as text, from copies */
			if (!(c1 = sqlite3_value_dup(argv[0])) || !(h = sqlite3_value_text(c1)))
				goto oom;
			nh = sqlite3_value_bytes(c1);
			if (!(c2 = sqlite3_value_dup(argv[1])) || !(n = sqlite3_value_text(c2)))
				goto oom;
			nn = sqlite3_value_bytes(c2);
		}
		if (!n || (nh && !h))
			goto oom;
		at = nn <= nh ? instr_at(h, nh, n, nn, text) : 0;
	}
	sqlite3_result_int(ctx, at);
	goto done;
oom:
	sqlite3_result_error_nomem(ctx);
done:
	sqlite3_value_free(c1);
	sqlite3_value_free(c2);
}

static int migrate(store *st, int upto)
{
	int err = 0;
	int newest = schema_nmigrations ? schema_migrations[schema_nmigrations - 1].version : 0;
	if (upto <= 0 || upto > newest)
		upto = newest;
	if (st->version > newest)
		return err_set(C2C_EVERSION, "database schema version %d is newer than this c2c knows (%d)",
		               st->version, newest),
		       err_hint("use a newer c2c with this node");
	for (unsigned i = 0; i < schema_nmigrations; i++) {
		const schema_migration *m = &schema_migrations[i];
		if (m->version <= st->version || m->version > upto)
			continue;
		char pragma[64];
		if ((err = exec(st, "BEGIN IMMEDIATE", "starting a schema migration")) < 0)
			return err;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
		if ((err = exec(st, m->sql, m->name)) < 0 || (err = exec(st, pragma, m->name)) < 0 ||
		    (err = exec(st, "COMMIT", m->name)) < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return err_prefix("migrating the database to schema %d: ", m->version);
		}
		st->version = m->version;
	}
	return 0;
}

int store_open(store **out, const char *path, int create, int upto)
{
	store *st = calloc(1, sizeof(*st));
	int rc, err = 0;
	sqlite3_stmt *s = NULL;
	*out = NULL;
	if (!st)
		return ERR_OOM();
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if ((rc = sqlite3_open_v2(path, &st->db, flags, NULL)) != SQLITE_OK) {
		err = err_sqlite(st->db, rc, path);
		goto done;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* A new database's pages are 16 KiB, not SQLite's 4 KiB: a commit
	 * writes each page it changed to the WAL, and the checkpoint copies it
	 * into c2c.db, a system call or two a page each way: the commit of a
	 * first sync of 200,000 records (105 MB) takes 0.39 s instead of 0.58
	 * (0.25 s of processor time instead of 0.45), and a write of one
	 * record (c2c set) costs the same. Set before the file is
	 * first written (the WAL pragma below): a database that has pages
	 * keeps their size, so an older node's stays at 4 KiB. */
	if (create && strcmp(path, ":memory:") && (err = exec(st, "PRAGMA page_size = 16384", path)) < 0)
		goto done;
	if ((rc = sqlite3_create_function_v2(st->db, "instr", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
	                                     NULL, instr_func, NULL, NULL, NULL)) != SQLITE_OK) {
		err = err_sqlite(st->db, rc, path);
		goto done;
	}
	/* Why these settings are safe (a write: objects, then this commit,
	 * then the ref; node.c):
	 * - WAL with synchronous=FULL: the WAL is fdatasync'ed before COMMIT
	 *   returns, so the head and the intent recorded with it are on disk
	 *   before the ref moves. With NORMAL a power cut could drop the last
	 *   commits after the ref moved: the database would then lag the ref
	 *   with no intent to say why, and the node would refuse to write.
	 * - A checkpoint syncs the WAL before copying it into c2c.db and syncs
	 *   c2c.db before the WAL is reset; a torn WAL tail is ignored by its
	 *   checksums on recovery. kill -9 never loses a commit (t900, t910).
	 * - The git objects a commit names are fsynced before it
	 *   (GIT_OPT_ENABLE_FSYNC_GITDIR, repo.c), so a recorded head never
	 *   points at objects lost in a power cut. */
	if ((err = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
	                path)) < 0)
		goto done;
	if ((err = store_prepare(st, &s, "PRAGMA user_version")) < 0)
		goto done;
	if (sqlite3_step(s) == SQLITE_ROW)
		st->version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (!create && st->version == 0) {
		err = err_set(C2C_ECORRUPT, "%s: not a c2c database (no schema)", path);
		goto done;
	}
	if ((err = migrate(st, upto)) < 0)
		goto done;
	*out = st;
	return 0;
done:
	store_close(st);
	return err;
}

void store_close(store *st)
{
	if (!st)
		return;
	free_meta(st);
	for (int i = 0; i < STMT_N; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

static const char *const fixed_sql[STMT_N] = {
    [STMT_STATE_GET] = "SELECT value FROM c2c_state WHERE key = ?",
    [STMT_STATE_SET] = "INSERT OR REPLACE INTO c2c_state (key, value) VALUES (?, ?)",
    [STMT_STATE_DEL] = "DELETE FROM c2c_state WHERE key = ?",
    [STMT_TOMB_GET] = "SELECT record FROM c2c_tombstones WHERE tbl = ? AND id = ?",
    [STMT_TOMB_PUT] = "INSERT OR REPLACE INTO c2c_tombstones (tbl, id, path, record) VALUES (?, ?, ?, ?)",
    [STMT_TOMB_DEL] = "DELETE FROM c2c_tombstones WHERE tbl = ? AND id = ?",
    [STMT_TOMB_ANY] = "SELECT 1 FROM c2c_tombstones WHERE tbl = ? LIMIT 1",
};

int store_stmt(store *st, store_stmt_id id, sqlite3_stmt **out)
{
	int err;
	if (!st->stmts[id] && (err = store_prepare(st, &st->stmts[id], fixed_sql[id])) < 0)
		return err;
	*out = st->stmts[id];
	return 0;
}

int store_table_stmt(store *st, const table_def *t, table_stmt kind, sqlite3_stmt **out)
{
	size_t i = (size_t)(t - st->tables);
	int err;
	if (!st->tstmts[i][kind] && (err = prepare_table(st, i, kind, &st->tstmts[i][kind])) < 0)
		return err;
	*out = st->tstmts[i][kind];
	return 0;
}

/* The record types are read on first use: a read-only entry point takes
 * the store as const, but the store itself is never a const object. */
static const store *with_meta(const store *st)
{
	need_meta((store *)st);
	return st;
}

const table_def *store_table(const store *st, const char *name)
{
	st = with_meta(st);
	for (size_t i = 0; i < st->ntables; i++)
		if (!strcmp(st->tables[i].name, name))
			return &st->tables[i];
	return NULL;
}

const table_def *store_tables(const store *st, size_t *n)
{
	st = with_meta(st);
	*n = st->ntables;
	return st->tables;
}

const field_def *store_field(const table_def *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	return NULL;
}

/* Every write of rows runs in a transaction: the record types are read
 * before it starts, so that a failure to read them stops the write instead
 * of letting it skip every table. */
int store_begin(store *st)
{
	int err = need_meta(st);
	return err < 0 ? err : exec(st, "BEGIN IMMEDIATE", "starting a transaction");
}
int store_commit(store *st) { return exec(st, "COMMIT", "committing the transaction"); }
void store_rollback(store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_state_get(store *st, const char *key, char **out)
{
	sqlite3_stmt *s;
	int rc, err;
	*out = NULL;
	if ((err = store_stmt(st, STMT_STATE_GET, &s)) < 0)
		return err;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		if (!(*out = store_col_dup(s, 0)))
			err = ERR_OOM();
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		err = C2C_ENOTFOUND;
		err_set(err, "node state '%s' is not set", key);
	} else {
		err = err_sqlite(st->db, rc, "reading node state");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int store_state_set(store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int err = store_stmt(st, value ? STMT_STATE_SET : STMT_STATE_DEL, &s);
	if (err < 0)
		return err;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "writing node state");
}

