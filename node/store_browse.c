/* store_browse: the read-only queries behind the web interface's pages.
 *
 * Table and field names come from the schema (c2c_tables, c2c_fields),
 * never from a request: they are quoted into the SQL; every value a
 * request gives is bound. */
#include "c2c/store_browse.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/util.h"

typedef ARRAY(char) sql_buf;

static void sql_add(sql_buf *b, int *oom, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sql_add(sql_buf *b, int *oom, const char *fmt, ...)
{
	va_list ap;
	if (*oom)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || ARRAY_RESERVE(b, b->n + (size_t)n + 1) < 0) {
		*oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->v + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

/* ----------------------------------------------------------------- lists */
/* " WHERE ..." for Q. */
static void list_where(sql_buf *b, int *oom, const table_def *t, const store_browse_query *q)
{
	const char *k;
	json_t *v;
	sql_add(b, oom, " WHERE 1");
	json_object_foreach((json_t *)q->filters, k, v)
	{
		const field_def *f = store_field(t, k);
		if (f && f->type == FT_SET)
			sql_add(b, oom, " AND EXISTS (SELECT 1 FROM json_each(\"%s\") WHERE value = ?)", f->name);
		else if (f)
			sql_add(b, oom, " AND \"%s\" = ?", f->name);
	}
	if (q->search && *q->search) {
		sql_add(b, oom, " AND (id LIKE ? ESCAPE '\\'");
		for (size_t i = 0; i < t->nfields; i++)
			if (t->fields[i].type == FT_TEXT)
				sql_add(b, oom, " OR \"%s\" LIKE ? ESCAPE '\\'", t->fields[i].name);
		sql_add(b, oom, ")");
	}
}

/* Bind Q's values in the order list_where wrote their places. */
static int list_bind(sqlite3_stmt *s, const table_def *t, const store_browse_query *q)
{
	int k = 1;
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)q->filters, key, val) if (store_field(t, key))
	    sqlite3_bind_text(s, k++, json_string_value(val), -1, SQLITE_TRANSIENT);
	if (!q->search || !*q->search)
		return 0;
	char *like = malloc(strlen(q->search) * 2 + 3), *w = like;
	CHECK_ALLOC(like);
	*w++ = '%';
	for (const char *p = q->search; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			*w++ = '\\';
		*w++ = *p;
	}
	*w++ = '%';
	*w = '\0';
	sqlite3_bind_text(s, k++, like, -1, SQLITE_TRANSIENT);
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].type == FT_TEXT)
			sqlite3_bind_text(s, k++, like, -1, SQLITE_TRANSIENT);
	free(like);
	return 0;
}

int store_browse_count(store *st, const table_def *t, const store_browse_query *q, long long cap, long long *out)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	sql_buf sql = {0};
	int oom = 0, rc, err = 0;
	*out = 0;
	sql_add(&sql, &oom, "SELECT count(*) FROM (SELECT 1 FROM \"%s\"", t->name);
	list_where(&sql, &oom, t, q);
	sql_add(&sql, &oom, " LIMIT %lld)", cap);
	if (oom) {
		err = ERR_OOM();
		goto done;
	}
	if ((rc = sqlite3_prepare_v2(db, sql.v, -1, &s, NULL)) != SQLITE_OK) {
		err = err_sqlite(db, rc, "listing records");
		goto done;
	}
	if ((err = list_bind(s, t, q)) < 0)
		goto done;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
done:
	sqlite3_finalize(s);
	ARRAY_FREE(&sql);
	return err;
}

int store_browse_rows(store *st, const table_def *t, const store_browse_query *q, const field_def *label,
                      const field_def *const *cols, size_t ncols, long long offset, int limit,
                      store_browse_row_cb cb, void *payload)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	sql_buf sql = {0};
	int oom = 0, rc, err = 0;
	const char *vals[16];
	char ints[16][24];
	if (ncols > 16)
		return err_set(C2C_EINVALID, "a list shows at most 16 columns");
	sql_add(&sql, &oom, "SELECT id, %s%s%s", label ? "\"" : "", label ? label->name : "NULL", label ? "\"" : "");
	for (size_t i = 0; i < ncols; i++)
		sql_add(&sql, &oom, ", \"%s\"", cols[i]->name);
	sql_add(&sql, &oom, ", _c2c FROM \"%s\"", t->name);
	list_where(&sql, &oom, t, q);
	if (q->sort)
		sql_add(&sql, &oom, " ORDER BY \"%s\" %s, id %s LIMIT %d OFFSET %lld", q->sort, q->desc ? "DESC" : "ASC",
		        q->desc ? "DESC" : "ASC", limit, offset);
	else
		sql_add(&sql, &oom, " ORDER BY id DESC LIMIT %d OFFSET %lld", limit, offset);
	if (oom) {
		err = ERR_OOM();
		goto done;
	}
	if ((rc = sqlite3_prepare_v2(db, sql.v, -1, &s, NULL)) != SQLITE_OK) {
		err = err_sqlite(db, rc, "listing records");
		goto done;
	}
	if ((err = list_bind(s, t, q)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *lab = (const char *)sqlite3_column_text(s, 1);
		const char *meta = (const char *)sqlite3_column_text(s, (int)ncols + 2);
		int conflict = meta && (strstr(meta, "\"conflicts\"") || strstr(meta, "\"deleted\""));
		for (size_t i = 0; i < ncols; i++) {
			int col = (int)i + 2;
			if (sqlite3_column_type(s, col) == SQLITE_NULL)
				vals[i] = NULL;
			else if (cols[i]->type == FT_INT) {
				snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)sqlite3_column_int64(s, col));
				vals[i] = ints[i];
			} else
				vals[i] = (const char *)sqlite3_column_text(s, col);
		}
		if ((err = cb(id ? id : "", lab && *lab ? lab : NULL, vals, conflict, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing records");
done:
	sqlite3_finalize(s);
	ARRAY_FREE(&sql);
	return err;
}

int store_browse_count_upto(store *st, const table_def *t, long long cap, long long *out)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	char sql[160];
	int rc, err = 0;
	*out = 0;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT 1 FROM \"%s\" LIMIT %lld)", t->name, cap);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		err = err_sqlite(db, rc, "counting records");
	else if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		err = err_sqlite(db, rc, "counting records");
	sqlite3_finalize(s);
	return err;
}

/* --------------------------------------------------------------- records */
int store_browse_conflicted(store *st, const table_def *t, int limit, store_browse_id_cb cb, void *payload)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	char sql[320];
	int rc, err = 0;
	snprintf(sql, sizeof(sql),
	         "SELECT id FROM \"%s\" WHERE (instr(_c2c, '\"conflicts\"') OR instr(_c2c, '\"deleted\"')) AND "
	         "(json_extract(_c2c, '$.conflicts') IS NOT NULL OR json_extract(_c2c, '$.deleted') IS NOT NULL) "
	         "ORDER BY id LIMIT %d",
	         t->name, limit);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return err_sqlite(db, rc, "listing conflicts");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if (id && (err = cb(id, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing conflicts");
done:
	sqlite3_finalize(s);
	return err;
}

int store_browse_labels(store *st, const table_def *t, const char *label_field, const char *city, int limit,
                        store_browse_label_cb cb, void *payload)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	char sql[320];
	int rc, err = 0, by_city = t->city_scope && city;
	snprintf(sql, sizeof(sql), "SELECT id, %s%s%s FROM \"%s\"%s ORDER BY id LIMIT %d", label_field ? "\"" : "",
	         label_field ? label_field : "id", label_field ? "\"" : "", t->name, by_city ? " WHERE city = ?" : "",
	         limit);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return err_sqlite(db, rc, "listing records");
	if (by_city)
		sqlite3_bind_text(s, 1, city, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if (id && (err = cb(id, (const char *)sqlite3_column_text(s, 1), payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing records");
done:
	sqlite3_finalize(s);
	return err;
}

int store_browse_sdgs(store *st, store_browse_sdg_cb cb, void *payload)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int rc, err = 0;
	if ((rc = sqlite3_prepare_v2(db, "SELECT id, number, name FROM sdgs ORDER BY number", -1, &s, NULL)) != SQLITE_OK)
		return err_sqlite(db, rc, "listing the SDGs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((err = cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int(s, 1),
		              (const char *)sqlite3_column_text(s, 2), payload)) != 0)
			goto done;
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing the SDGs");
done:
	sqlite3_finalize(s);
	return err;
}

/* ------------------------------------------------------ profile sections */
int store_browse_city_sections(store *st, const char *city, store_browse_section_cb cb, void *payload)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int rc, err = 0;
	if ((rc = sqlite3_prepare_v2(db,
	                             "SELECT section, lang, status, body IS NOT NULL AND body != '', "
	                             "json_extract(_c2c, '$.dots.body[2]'), id FROM profile_sections WHERE city = ?",
	                             -1, &s, NULL)) != SQLITE_OK)
		return err_sqlite(db, rc, "listing profile sections");
	sqlite3_bind_text(s, 1, city, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_section_row row = {0};
		row.city = city;
		row.section = (const char *)sqlite3_column_text(s, 0);
		row.lang = (const char *)sqlite3_column_text(s, 1);
		row.status = (const char *)sqlite3_column_text(s, 2);
		row.has_body = sqlite3_column_int(s, 3);
		row.lamport = sqlite3_column_int64(s, 4);
		row.id = (const char *)sqlite3_column_text(s, 5);
		if ((err = cb(&row, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing profile sections");
done:
	sqlite3_finalize(s);
	return err;
}

int store_browse_sections(store *st, store_browse_section_cb cb, void *payload)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int rc, err = 0;
	if ((rc = sqlite3_prepare_v2(db,
	                             "SELECT p.id, p.city, p.section, p.lang, p.status, c.name FROM profile_sections p "
	                             "LEFT JOIN cities c ON c.id = p.city ORDER BY coalesce(c.name, p.city), p.city, p.id",
	                             -1, &s, NULL)) != SQLITE_OK)
		return err_sqlite(db, rc, "listing profile sections");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_section_row row = {0};
		row.id = (const char *)sqlite3_column_text(s, 0);
		row.city = (const char *)sqlite3_column_text(s, 1);
		row.section = (const char *)sqlite3_column_text(s, 2);
		row.lang = (const char *)sqlite3_column_text(s, 3);
		row.status = (const char *)sqlite3_column_text(s, 4);
		row.city_name = (const char *)sqlite3_column_text(s, 5);
		if ((err = cb(&row, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = err_sqlite(db, rc, "listing profile sections");
done:
	sqlite3_finalize(s);
	return err;
}
