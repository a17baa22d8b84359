#include "c2c/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/schema_sql.h"

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

sqlite3 *store_db(store *st) { return st->db; }
int store_version(store *st) { return st->version; }

static int exec(store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : err_sqlite(st->db, rc, what);
}

static int prepare(store *st, sqlite3_stmt **out, const char *sql)
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
		if (st->stmts) {
			sqlite3_finalize(st->stmts[i].get);
			sqlite3_finalize(st->stmts[i].put);
			sqlite3_finalize(st->stmts[i].del);
		}
	}
	free(st->tables);
	free(st->stmts);
	st->tables = NULL;
	st->stmts = NULL;
	st->ntables = 0;
}

static char *col_dup(sqlite3_stmt *s, int i)
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

/* Prepared statements of one table; column names come from the schema's own
 * metadata, never from input. */
static int prepare_table(store *st, size_t i)
{
	table_def *t = &st->tables[i];
	size_t cap = 256;
	for (size_t j = 0; j < t->nfields; j++)
		cap += 2 * strlen(t->fields[j].name) + 8;
	char *cols = malloc(cap), *sql = malloc(cap * 2 + 256);
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
	snprintf(sql, cap * 2 + 256, "SELECT %s FROM \"%s\" WHERE id = ?", cols, t->name);
	if ((err = prepare(st, &st->stmts[i].get, sql)) < 0)
		goto done;
	snprintf(sql, cap * 2 + 256, "INSERT OR REPLACE INTO \"%s\" (%s) VALUES (?", t->name, cols);
	for (size_t j = 0; j < t->nfields + 2; j++)
		strcat(sql, ", ?");
	strcat(sql, ")");
	if ((err = prepare(st, &st->stmts[i].put, sql)) < 0)
		goto done;
	snprintf(sql, cap * 2 + 256, "DELETE FROM \"%s\" WHERE id = ?", t->name);
	err = prepare(st, &st->stmts[i].del, sql);
done:
	if (err == C2C_ENOMEM)
		err_set(err, "out of memory");
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
	if ((err = prepare(st, &s,
	                   st->version >= 9
	                       ? "SELECT name, scope, natural_key, summary, match_key, key_unique FROM c2c_tables ORDER BY pos"
	                       : "SELECT name, scope, natural_key, summary, NULL, 0 FROM c2c_tables ORDER BY pos")) < 0)
		return err;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		table_def *nt = realloc(st->tables, (st->ntables + 1) * sizeof(*nt));
		if (!nt) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		st->tables = nt;
		table_def *t = &st->tables[st->ntables++];
		memset(t, 0, sizeof(*t));
		t->name = col_dup(s, 0);
		const char *scope = (const char *)sqlite3_column_text(s, 1);
		t->city_scope = scope && !strcmp(scope, "city");
		const char *nk = (const char *)sqlite3_column_text(s, 2);
		t->natkey = split_csv_list(nk, &t->nnatkey);
		t->summary = col_dup(s, 3);
		const char *mk = (const char *)sqlite3_column_text(s, 4);
		t->matchkey = split_csv_list(mk, &t->nmatchkey);
		t->key_unique = sqlite3_column_int(s, 5);
		if (!t->name || col_oom(s, 1, scope) || col_oom(s, 2, nk) || list_oom(nk, t->natkey, t->nnatkey) ||
		    col_oom(s, 3, t->summary) || col_oom(s, 4, mk) || list_oom(mk, t->matchkey, t->nmatchkey)) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		err = err_sqlite(st->db, rc, "reading c2c_tables");
		goto done;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((err = prepare(st, &s, "SELECT name, type, elem, required, immutable, min, allowed, ref, summary "
	                           "FROM c2c_fields WHERE tbl = ? ORDER BY pos")) < 0)
		goto done;
	for (size_t i = 0; i < st->ntables; i++) {
		table_def *t = &st->tables[i];
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			field_def *nf = realloc(t->fields, (t->nfields + 1) * sizeof(*nf));
			if (!nf) {
				err = err_set(C2C_ENOMEM, "out of memory");
				goto done;
			}
			t->fields = nf;
			field_def *f = &t->fields[t->nfields++];
			memset(f, 0, sizeof(*f));
			f->name = col_dup(s, 0);
			const char *type = (const char *)sqlite3_column_text(s, 1);
			if (!f->name || !type) {
				err = err_set(C2C_ENOMEM, "out of memory");
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
			f->ref = col_dup(s, 7);
			f->summary = col_dup(s, 8);
			if (col_oom(s, 2, elem) || col_oom(s, 6, allowed) || list_oom(allowed, f->allowed, f->nallowed) ||
			    col_oom(s, 7, f->ref) || col_oom(s, 8, f->summary)) {
				err = err_set(C2C_ENOMEM, "out of memory");
				goto done;
			}
		}
		if (rc != SQLITE_DONE) {
			err = err_sqlite(st->db, rc, "reading c2c_fields");
			goto done;
		}
	}
	st->stmts = calloc(st->ntables ? st->ntables : 1, sizeof(*st->stmts));
	if (!st->stmts) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < st->ntables; i++)
		if ((err = prepare_table(st, i)) < 0)
			goto done;
done:
	sqlite3_finalize(s);
	return err;
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
		return err_set(C2C_ENOMEM, "out of memory");
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if ((rc = sqlite3_open_v2(path, &st->db, flags, NULL)) != SQLITE_OK) {
		err = err_sqlite(st->db, rc, path);
		goto done;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
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
	if ((err = prepare(st, &s, "PRAGMA user_version")) < 0)
		goto done;
	if (sqlite3_step(s) == SQLITE_ROW)
		st->version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (!create && st->version == 0) {
		err = err_set(C2C_ECORRUPT, "%s: not a c2c database (no schema)", path);
		goto done;
	}
	if ((err = migrate(st, upto)) < 0 || (err = load_meta(st)) < 0)
		goto done;
	if ((err = prepare(st, &st->state_get, "SELECT value FROM c2c_state WHERE key = ?")) < 0 ||
	    (err = prepare(st, &st->state_set, "INSERT OR REPLACE INTO c2c_state (key, value) VALUES (?, ?)")) < 0 ||
	    (err = prepare(st, &st->state_del, "DELETE FROM c2c_state WHERE key = ?")) < 0 ||
	    (err = prepare(st, &st->tomb_get, "SELECT record FROM c2c_tombstones WHERE tbl = ? AND id = ?")) < 0 ||
	    (err = prepare(st, &st->tomb_put,
	                   "INSERT OR REPLACE INTO c2c_tombstones (tbl, id, path, record) VALUES (?, ?, ?, ?)")) < 0 ||
	    (err = prepare(st, &st->tomb_del, "DELETE FROM c2c_tombstones WHERE tbl = ? AND id = ?")) < 0)
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
	sqlite3_finalize(st->state_get);
	sqlite3_finalize(st->state_set);
	sqlite3_finalize(st->state_del);
	sqlite3_finalize(st->tomb_get);
	sqlite3_finalize(st->tomb_put);
	sqlite3_finalize(st->tomb_del);
	sqlite3_close(st->db);
	free(st);
}

const table_def *store_table(const store *st, const char *name)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (!strcmp(st->tables[i].name, name))
			return &st->tables[i];
	return NULL;
}

const table_def *store_tables(const store *st, size_t *n)
{
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

int store_begin(store *st) { return exec(st, "BEGIN IMMEDIATE", "starting a transaction"); }
int store_commit(store *st) { return exec(st, "COMMIT", "committing the transaction"); }
void store_rollback(store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_state_get(store *st, const char *key, char **out)
{
	sqlite3_stmt *s = st->state_get;
	int rc, err = 0;
	*out = NULL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		if (!(*out = col_dup(s, 0)))
			err = err_set(C2C_ENOMEM, "out of memory");
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
	sqlite3_stmt *s = value ? st->state_set : st->state_del;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "writing node state");
}

static table_stmts *stmts_of(store *st, const table_def *t)
{
	return &st->stmts[t - st->tables];
}

/* Build the in-memory record from the current row of S (columns as in
 * prepare_table). */
static int row_to_json(const table_def *t, sqlite3_stmt *s, const char *id, json_t **out)
{
	json_t *rec = json_object(), *v;
	json_error_t je;
	int err = 0;
	if (!rec)
		return err_set(C2C_ENOMEM, "out of memory");
	for (size_t j = 0; j < t->nfields; j++) {
		int c = (int)j + 1;
		const field_def *f = &t->fields[j];
		if (sqlite3_column_type(s, c) == SQLITE_NULL)
			continue;
		if (f->type == FT_INT) {
			if (sqlite3_column_type(s, c) != SQLITE_INTEGER) {
				err = err_set(C2C_ECORRUPT, "row %s/%s: field %s is not an integer", t->name, id, f->name);
				goto done;
			}
			v = json_integer(sqlite3_column_int64(s, c));
		} else if (f->type == FT_SET) {
			v = json_loads((const char *)sqlite3_column_text(s, c), JSON_REJECT_DUPLICATES, &je);
			if (!v || !json_is_array(v)) {
				json_decref(v);
				err = err_set(C2C_ECORRUPT, "row %s/%s: field %s is not a JSON array", t->name, id, f->name);
				goto done;
			}
		} else {
			v = json_stringn((const char *)sqlite3_column_text(s, c), (size_t)sqlite3_column_bytes(s, c));
			if (!v) {
				err = err_set(C2C_ECORRUPT, "row %s/%s: field %s is not valid UTF-8", t->name, id, f->name);
				goto done;
			}
		}
		json_object_set_new(rec, f->name, v);
	}
	int c = (int)t->nfields + 1;
	v = json_loads((const char *)sqlite3_column_text(s, c), JSON_REJECT_DUPLICATES, &je);
	if (!v || !json_is_object(v)) {
		json_decref(v);
		err = err_set(C2C_ECORRUPT, "row %s/%s: column _c2c is not a JSON object", t->name, id);
		goto done;
	}
	json_object_set_new(rec, "_c2c", v);
	if (sqlite3_column_type(s, c + 1) != SQLITE_NULL) {
		v = json_loads((const char *)sqlite3_column_text(s, c + 1), JSON_REJECT_DUPLICATES, &je);
		if (!v || !json_is_object(v)) {
			json_decref(v);
			err = err_set(C2C_ECORRUPT, "row %s/%s: column _extra is not a JSON object", t->name, id);
			goto done;
		}
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			if (!json_object_get(rec, k))
				json_object_set(rec, k, x);
		}
		json_decref(v);
	}
done:
	if (err < 0) {
		json_decref(rec);
		return err;
	}
	*out = rec;
	return 0;
}

int store_row_get(store *st, const table_def *t, const char *id, json_t **out)
{
	sqlite3_stmt *s = stmts_of(st, t)->get;
	int rc, err;
	*out = NULL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = row_to_json(t, s, id, out);
	else if (rc == SQLITE_DONE)
		err = err_set(C2C_ENOTFOUND, _("no record %s/%s"), t->name, id);
	else
		err = err_sqlite(st->db, rc, "reading a row");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int store_row_put(store *st, const table_def *t, const char *id, const json_t *rec)
{
	sqlite3_stmt *s = stmts_of(st, t)->put;
	json_t *extra = json_object();
	char *buf = NULL;
	char **texts = calloc(t->nfields + 2, sizeof(char *));
	int err = 0, rc;
	if (!extra || !texts) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	for (size_t j = 0; j < t->nfields; j++) {
		const field_def *f = &t->fields[j];
		json_t *v = json_object_get(rec, f->name);
		int c = (int)j + 2;
		if (!v || json_is_null(v)) {
			sqlite3_bind_null(s, c);
		} else if (f->type == FT_INT && json_is_integer(v)) {
			sqlite3_bind_int64(s, c, json_integer_value(v));
		} else if (f->type == FT_SET && json_is_array(v)) {
			if ((err = canon_dump_line(v, &texts[j], NULL)) < 0)
				goto done;
			sqlite3_bind_text(s, c, texts[j], -1, SQLITE_STATIC);
		} else if (f->type != FT_INT && f->type != FT_SET && json_is_string(v)) {
			sqlite3_bind_text(s, c, json_string_value(v), (int)json_string_length(v), SQLITE_STATIC);
		} else {
			/* A value of another type from a newer node: keep it as it came. */
			sqlite3_bind_null(s, c);
			json_object_set(extra, f->name, v);
		}
	}
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)rec, k, x)
	{
		if (!strcmp(k, "_c2c") || store_field(t, k))
			continue;
		json_object_set(extra, k, x);
	}
	json_t *meta = json_object_get(rec, "_c2c");
	if (!meta) {
		err = err_set(C2C_EINVALID, "record %s/%s has no _c2c", t->name, id);
		goto done;
	}
	if ((err = canon_dump_line(meta, &texts[t->nfields], NULL)) < 0)
		goto done;
	sqlite3_bind_text(s, (int)t->nfields + 2, texts[t->nfields], -1, SQLITE_STATIC);
	if (json_object_size(extra)) {
		if ((err = canon_dump_line(extra, &texts[t->nfields + 1], NULL)) < 0)
			goto done;
		sqlite3_bind_text(s, (int)t->nfields + 3, texts[t->nfields + 1], -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, (int)t->nfields + 3);
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = err_sqlite(st->db, rc, "writing a row");
done:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (texts)
		for (size_t j = 0; j < t->nfields + 2; j++)
			free(texts[j]);
	free(texts);
	free(buf);
	json_decref(extra);
	return err;
}

int store_row_delete(store *st, const table_def *t, const char *id)
{
	sqlite3_stmt *s = stmts_of(st, t)->del;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "deleting a row");
}

int store_row_exists(store *st, const char *table, const char *id)
{
	const table_def *t = store_table(st, table);
	if (!t)
		return 0;
	sqlite3_stmt *s = stmts_of(st, t)->get;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found;
}

int store_rows_each(store *st, const table_def *t, const json_t *filter, store_row_cb cb, void *payload)
{
	sqlite3_stmt *s = NULL;
	int err = 0, rc;
	size_t cap = 512 + json_object_size(filter) * 160;
	for (size_t j = 0; j < t->nfields; j++)
		cap += strlen(t->fields[j].name) + 4;
	char *sql = malloc(cap);
	if (!sql)
		return err_set(C2C_ENOMEM, "out of memory");
	size_t n = (size_t)snprintf(sql, cap, "SELECT id");
	for (size_t j = 0; j < t->nfields; j++)
		n += (size_t)snprintf(sql + n, cap - n, ", \"%s\"", t->fields[j].name);
	n += (size_t)snprintf(sql + n, cap - n, ", _c2c, _extra FROM \"%s\" WHERE 1", t->name);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)filter, k, v)
	{
		const field_def *f = store_field(t, k);
		if (!f && strcmp(k, "id")) {
			err = err_set(C2C_ENOTFOUND, "table %s has no field '%s'", t->name, k);
			err_hint("run 'c2c tables %s' to see its fields", t->name);
			goto done;
		}
		if (f && f->type == FT_SET)
			n += (size_t)snprintf(sql + n, cap - n,
			                      " AND EXISTS (SELECT 1 FROM json_each(\"%s\") WHERE value = ?)", k);
		else
			n += (size_t)snprintf(sql + n, cap - n, " AND \"%s\" = ?", k);
	}
	snprintf(sql + n, cap - n, " ORDER BY id");
	if ((err = prepare(st, &s, sql)) < 0)
		goto done;
	int i = 1;
	json_object_foreach((json_t *)filter, k, v)
	{
		const field_def *f = store_field(t, k);
		const char *txt = json_string_value(v);
		char *end;
		long long iv;
		if (f && f->type == FT_INT && txt && *txt && (iv = strtoll(txt, &end, 10), !*end))
			sqlite3_bind_int64(s, i++, iv);
		else
			sqlite3_bind_text(s, i++, txt ? txt : "", -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *rec = NULL;
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if ((err = row_to_json(t, s, id, &rec)) < 0)
			goto done;
		err = cb(id, rec, payload);
		json_decref(rec);
		if (err)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(st->db, rc, "listing rows");
done:
	sqlite3_finalize(s);
	free(sql);
	return err;
}

int store_find_by(store *st, const table_def *t, char *const *fields, size_t n, const json_t *values, char **first,
                  size_t *count)
{
	sqlite3_stmt *s = NULL;
	int err = 0, rc;
	size_t cap = 128 + strlen(t->name);
	*first = NULL;
	*count = 0;
	for (size_t j = 0; j < n; j++)
		cap += strlen(fields[j]) + 32;
	char *sql = malloc(cap);
	if (!sql)
		return err_set(C2C_ENOMEM, "out of memory");
	size_t k = (size_t)snprintf(sql, cap, "SELECT id FROM \"%s\" WHERE 1", t->name);
	for (size_t j = 0; j < n; j++) {
		if (!store_field(t, fields[j])) {
			err = err_set(C2C_ECORRUPT, "c2c_tables: the key of %s names no field '%s'", t->name, fields[j]);
			goto done;
		}
		k += (size_t)snprintf(sql + k, cap - k, " AND \"%s\" IS ?", fields[j]);
	}
	snprintf(sql + k, cap - k, " ORDER BY id");
	if ((err = prepare(st, &s, sql)) < 0)
		goto done;
	for (size_t j = 0; j < n; j++) {
		json_t *v = json_object_get(values, fields[j]);
		int i = (int)j + 1;
		if (json_is_integer(v))
			sqlite3_bind_int64(s, i, json_integer_value(v));
		else if (json_is_string(v))
			sqlite3_bind_text(s, i, json_string_value(v), -1, SQLITE_TRANSIENT);
		else if (!v || json_is_null(v))
			sqlite3_bind_null(s, i);
		else {
			char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			if (!txt) {
				err = err_set(C2C_ENOMEM, "out of memory");
				goto done;
			}
			sqlite3_bind_text(s, i, txt, -1, SQLITE_TRANSIENT);
			free(txt);
		}
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!*first && !(*first = strdup((const char *)sqlite3_column_text(s, 0)))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		(*count)++;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(st->db, rc, "finding a record by its key");
done:
	if (err < 0) {
		free(*first);
		*first = NULL;
	}
	sqlite3_finalize(s);
	free(sql);
	return err;
}

/* Run one cached statement with up to four text arguments; with OUT, read
 * the first column of its row. */
static int run1(store *st, sqlite3_stmt *s, const char *a, const char *b, const char *c, const char *d,
                char **out)
{
	int err, rc;
	const char *args[] = {a, b, c, d};
	for (int i = 0; i < 4; i++)
		if (args[i])
			sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (out) {
		*out = NULL;
		if (rc == SQLITE_ROW)
			err = (*out = col_dup(s, 0)) ? 0 : err_set(C2C_ENOMEM, "out of memory");
		else if (rc == SQLITE_DONE)
			err = err_set(C2C_ENOTFOUND, "no tombstone %s/%s", a, b);
		else
			err = err_sqlite(st->db, rc, "reading tombstones");
	} else {
		err = rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "writing tombstones");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int store_tomb_put(store *st, const char *table, const char *id, const char *path, const char *text)
{
	return run1(st, st->tomb_put, table, id, path, text, NULL);
}

int store_tomb_get(store *st, const char *table, const char *id, char **text)
{
	return run1(st, st->tomb_get, table, id, NULL, NULL, text);
}

int store_tomb_delete(store *st, const char *table, const char *id)
{
	return run1(st, st->tomb_del, table, id, NULL, NULL, NULL);
}

int store_count(store *st, const char *table, int tombs, long long *out)
{
	sqlite3_stmt *s = NULL;
	char sql[160];
	int err;
	if (!store_table(st, table))
		return err_set(C2C_ENOTFOUND, "no table %s", table);
	if (tombs)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM c2c_tombstones WHERE tbl = '%s'", table);
	else
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
	if ((err = prepare(st, &s, sql)) < 0)
		return err;
	*out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

/* ---------------------------------------------------------- held branches */

int store_held_replace(store *st, const char *remote, const json_t *held, long long now)
{
	sqlite3_stmt *since = NULL, *del = NULL, *ins = NULL;
	int rc = SQLITE_OK, err = 0;
	size_t i;
	json_t *h;
	long long *was = calloc(json_array_size(held) + 1, sizeof(*was));
	if (!was)
		return err_set(C2C_ENOMEM, "out of memory");
	/* A branch held at the same tip as before keeps its first time. */
	if ((err = prepare(st, &since, "SELECT since FROM c2c_held WHERE remote = ?1 AND branch = ?2 AND tip = ?3")) <
	        0 ||
	    (err = prepare(st, &del, "DELETE FROM c2c_held WHERE remote = ?1")) < 0 ||
	    (err = prepare(st, &ins, "INSERT OR REPLACE INTO c2c_held (remote, branch, node, city, tip, commit_id, rule, "
	                             "release, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) < 0)
		goto done;
	json_array_foreach(held, i, h)
	{
		sqlite3_reset(since);
		sqlite3_bind_text(since, 1, remote, -1, SQLITE_STATIC);
		sqlite3_bind_text(since, 2, json_string_value(json_object_get(h, "branch")), -1, SQLITE_STATIC);
		sqlite3_bind_text(since, 3, json_string_value(json_object_get(h, "tip")), -1, SQLITE_STATIC);
		was[i] = sqlite3_step(since) == SQLITE_ROW ? sqlite3_column_int64(since, 0) : now;
	}
	sqlite3_bind_text(del, 1, remote, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(del)) != SQLITE_DONE)
		goto fail;
	json_array_foreach(held, i, h)
	{
		static const char *const keys[] = {"branch", "node", "city", "tip", "commit", "rule", "release"};
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, remote, -1, SQLITE_STATIC);
		for (int k = 0; k < 7; k++) {
			const char *v = json_string_value(json_object_get(h, keys[k]));
			if (v)
				sqlite3_bind_text(ins, k + 2, v, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, k + 2);
		}
		sqlite3_bind_int64(ins, 9, was[i]);
		if ((rc = sqlite3_step(ins)) != SQLITE_DONE)
			goto fail;
	}
	goto done;
fail:
	err = err_sqlite(st->db, rc, "recording held branches");
done:
	free(was);
	sqlite3_finalize(since);
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return err;
}

int store_held_list(store *st, const char *remote, json_t **out)
{
	sqlite3_stmt *s = NULL;
	int rc, err;
	json_t *a = json_array();
	*out = NULL;
	if (!a)
		return err_set(C2C_ENOMEM, "out of memory");
	if ((err = prepare(st, &s, "SELECT remote, branch, node, city, tip, commit_id, rule, release, since FROM c2c_held "
	                           "WHERE ?1 IS NULL OR remote = ?1 ORDER BY remote, branch")) < 0) {
		json_decref(a);
		return err;
	}
	if (remote)
		sqlite3_bind_text(s, 1, remote, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		static const char *const keys[] = {"remote", "branch", "node", "city", "tip", "commit", "rule", "release"};
		json_t *o = json_object();
		for (int k = 0; o && k < 8; k++) {
			const char *v = (const char *)sqlite3_column_text(s, k);
			json_object_set_new(o, keys[k], v ? json_string(v) : json_null());
		}
		if (!o || json_object_set_new(o, "since", json_integer(sqlite3_column_int64(s, 8))) < 0 ||
		    json_array_append_new(a, o) < 0) {
			err = err_set(C2C_ENOMEM, "out of memory");
			break;
		}
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = err_sqlite(st->db, rc, "reading held branches");
	sqlite3_finalize(s);
	if (err < 0)
		json_decref(a);
	else
		*out = a;
	return err;
}
