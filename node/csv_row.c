/* csv_row: one data row of an import (include/c2c/csv_import.h): its
 * cells parsed as the table's values, its record found (by id, natural key
 * or import key) and written, or the row listed as bad; the rows already
 * seen in the file, so that a record given twice is an error. */
#include "c2c/csv_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/write.h"

/* ------------------------------------------------ the rows seen so far */

static size_t seen_hash(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Add KEY (consumed) seen on ROW; *prev gets the row that had it (0 if new). */
static int seen_add(csv_seen_set *ss, char *key, size_t row, size_t *prev)
{
	*prev = 0;
	if ((ss->n + 1) * 2 > ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 256;
		char **k = calloc(cap, sizeof(*k));
		size_t *r = calloc(cap, sizeof(*r));
		if (!k || !r) {
			free(k), free(r), free(key);
			return ERR_OOM();
		}
		for (size_t i = 0; i < ss->cap; i++) {
			if (!ss->keys[i])
				continue;
			size_t j = seen_hash(ss->keys[i]) & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = ss->keys[i], r[j] = ss->rows[i];
		}
		free(ss->keys), free(ss->rows);
		ss->keys = k, ss->rows = r, ss->cap = cap;
	}
	size_t j = seen_hash(key) & (ss->cap - 1);
	for (; ss->keys[j]; j = (j + 1) & (ss->cap - 1)) {
		if (!strcmp(ss->keys[j], key)) {
			*prev = ss->rows[j];
			free(key);
			return 0;
		}
	}
	ss->keys[j] = key, ss->rows[j] = row;
	ss->n++;
	return 0;
}

void csv_seen_free(csv_seen_set *ss)
{
	for (size_t i = 0; i < ss->cap; i++)
		free(ss->keys[i]);
	free(ss->keys), free(ss->rows);
}

/* ------------------------------------------------------------ one row */

/* The names of the fields of FIELDS that would change REC, comma-joined
 * into OUT; returns how many. */
static size_t differs(const json_t *rec, const json_t *fields, char *out, size_t cap)
{
	const char *k;
	json_t *v;
	size_t n = 0, l = 0;
	if (cap)
		out[0] = '\0';
	json_object_foreach((json_t *)fields, k, v)
	{
		json_t *old = json_object_get(rec, k);
		if (json_is_null(v) ? old != NULL : !(old && json_equal(old, v))) {
			if (l < cap)
				l += (size_t)snprintf(out + l, cap - l, "%s%s", n ? "," : "", k);
			n++;
		}
	}
	return n;
}

/* FIELDS against REC (NULL for a new record): {FIELD: [old, new]} for each
 * field that changes. A new reference, or NULL when out of memory. */
static json_t *field_diff(const json_t *rec, const json_t *fields)
{
	json_t *d = json_object(), *v;
	const char *k;
	json_object_foreach((json_t *)fields, k, v)
	{
		json_t *old = rec ? json_object_get(rec, k) : NULL;
		if (json_is_null(v) ? old == NULL : (old && json_equal(old, v)))
			continue;
		if (json_object_set_new(d, k, json_pack("[OO]", old ? old : json_null(), v)) < 0) {
			json_decref(d);
			return NULL;
		}
	}
	return d;
}

static int plan_add(csv_importer *im, size_t row, const char *action, const char *id, const char *what,
                    const json_t *rec, const json_t *fields)
{
	if (!im->plan || (im->plan_diff && (!strcmp(action, "unchanged") || json_array_size(im->plan) >= im->plan_cap)))
		return 0;
	json_t *o = json_pack("{sI ss ss? ss?}", "row", (json_int_t)row, "action", action, "id", id, "fields", what);
	if (o && im->plan_diff && json_object_set_new(o, "diff", field_diff(rec, fields)) < 0)
		json_decref(o), o = NULL;
	if (!o || json_array_append_new(im->plan, o))
		return im->err = ERR_OOM();
	return 0;
}

/* Read one data row at spreadsheet row ROW. A bad row is listed (csv_bad)
 * and the import goes on to find the others; only a fatal error stops it. */
int csv_import_row(csv_importer *im, size_t row)
{
	const table_def *t = im->t;
	c2c_node *n = im->n;
	json_t *fields = NULL, *rec = NULL;
	char *id = NULL, *new_id = NULL, *key = NULL, *text = NULL;
	long bad_col = -1;
	int err = 0;

	/* Cells past the header, or in a column without a name, must be empty. */
	size_t empty = 0;
	for (size_t i = 0; i < im->ncells; i++) {
		const char *c = csv_cell(im, i, NULL);
		empty += !*c;
		if (i >= im->ncols && *c) {
			err_set(C2C_EINVALID, _("%zu cells, the header has %zu"), im->ncells, im->ncols);
			err_hint(_("every row has one cell per column; quote cells that hold the separator (\"10.7,16.6\")"));
			goto fail;
		}
		if (i < im->ncols && im->kind[i] == CSV_COL_NONAME && *c) {
			bad_col = (long)i;
			err_set(C2C_EINVALID, _("the cell holds '%.40s' but its column has no name"), c);
			err_hint(_("name the column in the first row, or empty it"));
			goto fail;
		}
	}
	if (empty == im->ncells)
		return 0; /* a row of empty cells, or a blank line */
	if (im->ncells < im->ncols) {
		/* spreadsheets may leave out the empty columns at the end */
		for (size_t i = im->ncells; i < im->ncols; i++) {
			if (im->kind[i] != CSV_COL_NONAME) {
				err_set(C2C_EINVALID, _("%zu cells, the header has %zu"), im->ncells, im->ncols);
				err_hint(_("every row has one cell per column; quote cells that hold the separator (\"10.7,16.6\")"));
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < im->ncells && i < im->ncols; i++) {
		if ((im->kind[i] == CSV_COL_FIELD || im->kind[i] == CSV_COL_ID) && csv_cell_utf8(im, i) < 0) {
			bad_col = (long)i;
			goto fail;
		}
	}

	if (!(fields = json_object())) {
		err = ERR_OOM();
		goto done;
	}
	size_t nfieldbad = 0;
	for (size_t i = 0; i < im->ncells && i < im->ncols; i++) {
		json_t *v = NULL;
		const field_def *f = im->cols[i];
		if (im->kind[i] != CSV_COL_FIELD)
			continue;
		const char *c = sheet_uninert(csv_cell(im, i, NULL));
		if (f->type != FT_TEXT)
			c = csv_trim((char *)c); /* "50000 " from a spreadsheet */
		free(text);
		text = NULL;
		if ((err = sheet_value(t, f, &im->loc, c, &text)) < 0 ||
		    (err = record_parse_value(n->st, t, f, text, &v)) < 0) {
			if (err == C2C_ENOMEM)
				goto done;
			/* list every bad cell of the row */
			if ((err = csv_bad(im, row, (long)i)) < 0)
				goto done;
			nfieldbad++;
			continue;
		}
		json_object_set_new(fields, f->name, v);
	}
	if (nfieldbad) {
		err = 0;
		goto done;
	}
	const char *given = im->id_col >= 0 && (size_t)im->id_col < im->ncells
	                        ? csv_trim((char *)sheet_uninert(csv_cell(im, (size_t)im->id_col, NULL)))
	                        : "";
	bad_col = im->id_col;
	if (t->nnatkey) {
		json_t *k = json_copy(fields);
		if (!k) {
			err = ERR_OOM();
			goto done;
		}
		if (t->city_scope && !json_is_string(json_object_get(k, "city")) && n->city)
			json_object_set_new(k, "city", json_string(n->city));
		err = record_natural_id(t, k, &id);
		json_decref(k);
		if (err < 0) {
			bad_col = -1; /* a key field is missing: the row's fault, not the id's */
			goto fail;
		}
		if (*given && strcmp(given, id)) {
			err_set(C2C_EINVALID, _("id '%s' does not match the record's key, which makes '%s'"), given, id);
			err_hint(_("%s records get their id from their key; leave the id cell empty"), t->name);
			goto fail;
		}
	} else if (*given) {
		if (!record_id_valid(given)) {
			err_set(C2C_EINVALID, _("'%s' is not a valid record id"), given);
			err_hint(_("ids are lower-case letters, digits, '.', '_' and '-' (leave the cell empty for a new record)"));
			goto fail;
		}
		if (!(id = strdup(given))) {
			err = ERR_OOM();
			goto done;
		}
	} else if (t->nmatchkey) {
		/* No id: find the record by the table's import key. */
		json_t *k = json_copy(fields);
		size_t count = 0;
		if (!k) {
			err = ERR_OOM();
			goto done;
		}
		if (t->city_scope && !json_is_string(json_object_get(k, "city")) && n->city)
			json_object_set_new(k, "city", json_string(n->city));
		err = store_find_by_key(n->st, t, k, &id, &count);
		if (err >= 0) {
			/* its key, to find the same record twice in this file (the
			 * first may have just been added) */
			size_t cap = 8;
			char *parts[16] = {0};
			for (size_t j = 0; j < t->nmatchkey && j < 16; j++) {
				parts[j] = record_value_text(json_object_get(k, t->matchkey[j]));
				cap += (parts[j] ? strlen(parts[j]) : 0) + 1;
			}
			if ((key = malloc(cap))) {
				strcpy(key, "key");
				for (size_t j = 0; j < t->nmatchkey && j < 16; j++) {
					strcat(key, "\037");
					strcat(key, parts[j] ? parts[j] : "");
				}
			}
			for (size_t j = 0; j < 16; j++)
				free(parts[j]);
			if (!key)
				err = ERR_OOM();
		}
		json_decref(k);
		if (err < 0)
			goto done;
		if (count > 1) {
			char *keys = NULL;
			size_t cap = 8;
			for (size_t j = 0; j < t->nmatchkey; j++)
				cap += strlen(t->matchkey[j]) + 2;
			if ((keys = malloc(cap))) {
				keys[0] = '\0';
				for (size_t j = 0; j < t->nmatchkey; j++)
					strcat(strcat(keys, j ? ", " : ""), t->matchkey[j]);
			}
			err_set(C2C_EINVALID, _("%zu records of %s have this row's %s (one is %s)"), count, t->name,
			        keys ? keys : "key", id);
			err_hint(_("give the id of the record to change in an id column ('c2c export %s' writes one)"), t->name);
			free(keys);
			err = 0;
			bad_col = -1;
			goto fail;
		}
	}

	/* The same record twice in one file: the second would silently win. */
	{
		char *k = key ? strdup(key) : NULL;
		if (!k && id && (k = malloc(strlen(id) + 4)))
			sprintf(k, "id\037%s", id);
		if (k || id || key) {
			size_t prev = 0;
			if (!k) {
				err = ERR_OOM();
				goto done;
			}
			if ((err = seen_add(&im->seen, k, row, &prev)) < 0)
				goto done;
			if (prev) {
				if (id)
					err_set(C2C_EINVALID, _("row %zu and row %zu are the same %s record %s"), prev, row, t->name, id);
				else
					err_set(C2C_EINVALID, _("row %zu and row %zu are the same %s record"), prev, row, t->name);
				if (t->nmatchkey && !*given)
					err_hint(_("rows without an id are told apart by %s ('c2c tables %s'); keep one of them"),
					         t->nmatchkey > 1 ? _("their key") : t->matchkey[0], t->name);
				else
					err_hint(_("keep one of the two rows"));
				bad_col = -1;
				goto fail;
			}
		}
	}

	if (id && store_row_exists(n->st, t->name, id)) {
		/* An unchanged row is not written (nor checked for scope: an
		 * export holds other cities' records too). */
		char what[256];
		if ((err = store_row_get(n->st, t, id, &rec)) < 0)
			goto fail;
		if (!differs(rec, fields, what, sizeof(what))) {
			im->unchanged++;
			err = plan_add(im, row, "unchanged", id, NULL, NULL, NULL);
			goto done;
		}
		int changed = 0;
		bad_col = -1;
		if ((err = write_set(im->tx, n, t, id, fields, &changed)) < 0)
			goto fail;
		if (changed)
			im->changed++;
		else
			im->unchanged++;
		err = plan_add(im, row, changed ? "change" : "unchanged", id, changed ? what : NULL, rec, fields);
	} else {
		bad_col = -1;
		if ((err = write_add(im->tx, n, t, t->nnatkey ? NULL : id, fields, &new_id)) < 0)
			goto fail;
		im->added++;
		err = plan_add(im, row, "add", new_id, NULL, NULL, fields);
	}
	goto done;
fail:
	/* a bad row: list it and go on, unless the failure is not the row's */
	err = err_code();
	if (err == C2C_EINVALID || err == C2C_ENOTFOUND || err == C2C_ECONFLICT)
		err = csv_bad(im, row, bad_col);
done:
	json_decref(fields);
	json_decref(rec);
	free(id);
	free(new_id);
	free(key);
	free(text);
	if (err < 0)
		im->err = err;
	return err;
}
