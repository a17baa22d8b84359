/* store_rows: the rows of a node's records, their tombstones and the
 * branches a sync holds back (include/c2c/store.h); the connection, the
 * schema and the node state are store.c's. */
#include "c2c/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/rowimage.h"
#include "c2c/store_impl.h"
#include "c2c/util.h"

/* Build the in-memory record from the current row of S (columns as in
 * prepare_table). */
static int row_to_json(const table_def *t, sqlite3_stmt *s, const char *id, json_t **out)
{
	json_t *rec = json_object(), *v;
	json_error_t je;
	int err = 0;
	if (!rec)
		return ERR_OOM();
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
	sqlite3_stmt *s;
	int rc, err;
	*out = NULL;
	if ((err = store_table_stmt(st, t, TSTMT_GET, &s)) < 0)
		return err;
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

/* A growing text: the image's texts while it is made. */
typedef struct {
	char *p;
	size_t len, cap;
} textbuf;

static int text_add(textbuf *b, row_col *c, char *s, size_t len)
{
	int err = 0;
	if (len >= 0x7fffffff || (err = util_grow((void **)&b->p, &b->cap, b->len + len + 1, 1)) < 0) {
		free(s);
		return err ? err : ERR_OOM();
	}
	memcpy(b->p + b->len, s, len);
	c->kind = memchr(s, '\0', len) ? ROW_TEXT_NUL : ROW_TEXT;
	c->i = (long long)b->len;
	c->len = (unsigned)len;
	b->len += len;
	b->p[b->len++] = '\0';
	free(s);
	return 0;
}

int store_row_image(const table_def *t, const char *id, const json_t *rec, row_image **out)
{
	size_t nc = t->nfields + 2;
	row_col *cols = calloc(nc, sizeof(*cols));
	json_t *extra = json_object();
	textbuf b = {0};
	char *s = NULL;
	size_t len = 0;
	int err = 0;
	*out = NULL;
	if (!extra || !cols) {
		err = ERR_OOM();
		goto done;
	}
	for (size_t j = 0; j < t->nfields && err == 0; j++) {
		const field_def *f = &t->fields[j];
		json_t *v = json_object_get(rec, f->name);
		if (!v || json_is_null(v)) {
			cols[j].kind = ROW_NULL;
		} else if (f->type == FT_INT && json_is_integer(v)) {
			cols[j].kind = ROW_INT;
			cols[j].i = json_integer_value(v);
		} else if (f->type == FT_SET && json_is_array(v)) {
			if ((err = canon_dump_line(v, &s, &len)) == 0)
				err = text_add(&b, &cols[j], s, len);
		} else if (f->type != FT_INT && f->type != FT_SET && json_is_string(v)) {
			s = malloc(json_string_length(v) + 1);
			if (!s)
				err = ERR_OOM();
			else {
				memcpy(s, json_string_value(v), json_string_length(v));
				err = text_add(&b, &cols[j], s, json_string_length(v));
			}
		} else {
			/* A value of another type from a newer node: keep it as it came. */
			cols[j].kind = ROW_NULL;
			if (json_object_set(extra, f->name, v) < 0)
				err = ERR_OOM();
		}
	}
	if (err < 0)
		goto done;
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)rec, k, x)
	{
		if (!strcmp(k, "_c2c") || store_field(t, k))
			continue;
		if (json_object_set(extra, k, x) < 0) {
			err = ERR_OOM();
			goto done;
		}
	}
	json_t *meta = json_object_get(rec, "_c2c");
	if (!meta) {
		err = err_set(C2C_EINVALID, "record %s/%s has no _c2c", t->name, id);
		goto done;
	}
	if ((err = canon_dump_line(meta, &s, &len)) < 0 || (err = text_add(&b, &cols[t->nfields], s, len)) < 0)
		goto done;
	if (json_object_size(extra) &&
	    ((err = canon_dump_line(extra, &s, &len)) < 0 || (err = text_add(&b, &cols[t->nfields + 1], s, len)) < 0))
		goto done;
	row_image *img = malloc(sizeof(*img) + nc * sizeof(*cols) + b.len);
	if (!img) {
		err = ERR_OOM();
		goto done;
	}
	img->t = t;
	img->lamport = 0;
	img->conflicts = 0;
	img->ncols = nc;
	img->bytes = sizeof(*img) + nc * sizeof(*cols) + b.len;
	img->cols = (row_col *)(img + 1);
	img->text = (char *)(img->cols + nc);
	memcpy(img->cols, cols, nc * sizeof(*cols));
	if (b.len)
		memcpy(img->text, b.p, b.len);
	*out = img;
done:
	free(cols);
	free(b.p);
	json_decref(extra);
	return err;
}

/* Bind row ID from IMG to S's parameters from FIRST on. S's parameters
 * are all NULL (none bound since its last put_step), so that a NULL column
 * is left as it is; IMG's texts are borrowed until put_step clears them.
 * A text is bound as NUL-terminated (each of the image's is) when it holds
 * no other NUL: SQLite then reads it in place, where instr() on a text of
 * known length (the open conflicts' index on _c2c) copied it to end it. */
static void bind_image(sqlite3_stmt *s, int first, const char *id, const row_image *img)
{
	sqlite3_bind_text(s, first, id, -1, SQLITE_STATIC);
	for (size_t j = 0; j < img->ncols; j++) {
		const row_col *c = &img->cols[j];
		int i = first + 1 + (int)j;
		if (c->kind == ROW_INT) {
			sqlite3_bind_int64(s, i, c->i);
		} else if (c->kind == ROW_TEXT || c->kind == ROW_TEXT_NUL) {
			sqlite3_bind_text(s, i, img->text + c->i, c->kind == ROW_TEXT ? -1 : (int)c->len, SQLITE_STATIC);
		}
	}
}

/* Run S (its parameters bound) once. */
static int put_step(store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s), err = rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "writing a row");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int store_row_put_image(store *st, const char *id, const row_image *img)
{
	sqlite3_stmt *s;
	int err = store_table_stmt(st, img->t, TSTMT_PUT, &s);
	if (err < 0)
		return err;
	bind_image(s, 1, id, img);
	return put_step(st, s);
}

/* Each run of STORE_PUT_ROWS rows of one table goes in one statement:
 * SQLite writes a statement's rows one after the other, each as a
 * statement of its own would (a later row replacing an earlier one of the
 * same id), but opens the table and each index once, and moves each
 * index's cursor from the last row's place to the next; one statement a
 * row starts every seek from the root and allocates its cursors again. */
int store_row_put_images(store *st, const row_put *rows, size_t n)
{
	int err = 0, most = sqlite3_limit(st->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
	for (size_t i = 0; i < n && err == 0;) {
		const table_def *t = rows[i].img->t;
		int per = (int)t->nfields + 3; /* id, the fields, _c2c, _extra */
		size_t run = 1;
		while (i + run < n && run < STORE_PUT_ROWS && rows[i + run].img->t == t)
			run++;
		if (run < STORE_PUT_ROWS || per > most / STORE_PUT_ROWS) {
			err = store_row_put_image(st, rows[i].id, rows[i].img);
			i++;
			continue;
		}
		sqlite3_stmt *s;
		if ((err = store_table_stmt(st, t, TSTMT_PUTN, &s)) < 0)
			break;
		for (size_t r = 0; r < STORE_PUT_ROWS; r++)
			bind_image(s, 1 + (int)r * per, rows[i + r].id, rows[i + r].img);
		err = put_step(st, s);
		i += STORE_PUT_ROWS;
	}
	return err;
}

int store_row_put(store *st, const table_def *t, const char *id, const json_t *rec)
{
	row_image *img = NULL;
	int err = store_row_image(t, id, rec, &img);
	if (err == 0)
		err = store_row_put_image(st, id, img);
	free(img);
	return err;
}

int store_row_delete(store *st, const table_def *t, const char *id)
{
	sqlite3_stmt *s;
	int err = store_table_stmt(st, t, TSTMT_DEL, &s);
	if (err < 0)
		return err;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "deleting a row");
}

int store_bulk_write(store *st, int bulk)
{
	int rc = sqlite3_exec(st->db,
	                      bulk ? "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY"
	                           : "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT",
	                      NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : err_sqlite(st->db, rc, "setting the connection for a bulk write");
}

int store_row_exists(store *st, const char *table, const char *id)
{
	const table_def *t = store_table(st, table);
	if (!t)
		return 0;
	sqlite3_stmt *s;
	if (store_table_stmt(st, t, TSTMT_GET, &s) < 0)
		return 0;
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
		return ERR_OOM();
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
	if ((err = store_prepare(st, &s, sql)) < 0)
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

int store_find_by_key(store *st, const table_def *t, const json_t *values, char **first, size_t *count)
{
	sqlite3_stmt *s;
	int err, rc;
	*first = NULL;
	*count = 0;
	if ((err = store_table_stmt(st, t, TSTMT_KEY, &s)) < 0)
		return err;
	for (size_t j = 0; j < t->nmatchkey; j++) {
		json_t *v = json_object_get(values, t->matchkey[j]);
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
				err = ERR_OOM();
				goto done;
			}
			sqlite3_bind_text(s, i, txt, -1, SQLITE_TRANSIENT);
			free(txt);
		}
	}
	/* The first in id order is kept here: an ORDER BY would sort the one
	 * row a key usually finds. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if (!*first || strcmp(id, *first) < 0) {
			free(*first);
			if (!(*first = strdup(id))) {
				err = ERR_OOM();
				goto done;
			}
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
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

/* Run one cached statement with up to four text arguments; with OUT, read
 * the first column of its row. */
static int run1(store *st, store_stmt_id id, const char *a, const char *b, const char *c, const char *d,
                char **out)
{
	sqlite3_stmt *s;
	int err, rc;
	const char *args[] = {a, b, c, d};
	if (out)
		*out = NULL;
	if ((err = store_stmt(st, id, &s)) < 0)
		return err;
	for (int i = 0; i < 4; i++)
		if (args[i])
			sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (out) {
		*out = NULL;
		if (rc == SQLITE_ROW)
			err = (*out = store_col_dup(s, 0)) ? 0 : ERR_OOM();
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
	return run1(st, STMT_TOMB_PUT, table, id, path, text, NULL);
}

int store_tomb_get(store *st, const char *table, const char *id, char **text)
{
	return run1(st, STMT_TOMB_GET, table, id, NULL, NULL, text);
}

int store_tomb_delete(store *st, const char *table, const char *id)
{
	return run1(st, STMT_TOMB_DEL, table, id, NULL, NULL, NULL);
}

int store_tomb_any(store *st, const char *table)
{
	sqlite3_stmt *s;
	int err = store_stmt(st, STMT_TOMB_ANY, &s), rc;
	if (err < 0)
		return err;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	err = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : err_sqlite(st->db, rc, "reading tombstones");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
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
	if ((err = store_prepare(st, &s, sql)) < 0)
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
		return ERR_OOM();
	/* A branch held at the same tip as before keeps its first time. */
	if ((err = store_prepare(st, &since, "SELECT since FROM c2c_held WHERE remote = ?1 AND branch = ?2 AND tip = ?3")) <
	        0 ||
	    (err = store_prepare(st, &del, "DELETE FROM c2c_held WHERE remote = ?1")) < 0 ||
	    (err = store_prepare(st, &ins, "INSERT OR REPLACE INTO c2c_held (remote, branch, node, city, tip, commit_id, rule, "
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
		return ERR_OOM();
	if ((err = store_prepare(st, &s, "SELECT remote, branch, node, city, tip, commit_id, rule, release, since FROM c2c_held "
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
			err = ERR_OOM();
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

int store_clear_rows(store *st)
{
	char sql[128];
	size_t nt;
	const table_def *t = store_tables(st, &nt);
	int rc;
	for (size_t i = 0; i < nt; i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", t[i].name);
		if ((rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
			return err_sqlite(st->db, rc, "clearing rows");
	}
	if ((rc = sqlite3_exec(st->db, "DELETE FROM c2c_tombstones", NULL, NULL, NULL)) != SQLITE_OK)
		return err_sqlite(st->db, rc, "clearing tombstones");
	return 0;
}
