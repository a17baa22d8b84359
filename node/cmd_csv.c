/* import, export: spreadsheet round trip (SPEC 3).
 *
 * import streams the file through libcsv in 64 KiB chunks, one row in
 * memory at a time, and writes every row inside one node_txn: one SQLite
 * transaction and one git commit for the whole file, or nothing at all. */
#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/sheet.h"
#include "c2c/write.h"

#define CHUNK (64 * 1024)

/* ----------------------------------------------------------------- import */
#define MAX_LISTED 50 /* bad rows listed one by one; the others are counted */

enum { COL_FIELD, COL_ID, COL_SKIP, COL_NONAME };

/* Rows seen in this file, by the record they write: "id\037ID" or
 * "key\037V1\037V2..." -> spreadsheet row. Open addressing. */
typedef struct {
	char **keys;
	size_t *rows;
	size_t n, cap;
} seen_set;

static size_t seen_hash(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Add KEY (consumed) seen on ROW; *prev gets the row that had it (0 if new). */
static int seen_add(seen_set *ss, char *key, size_t row, size_t *prev)
{
	*prev = 0;
	if ((ss->n + 1) * 2 > ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 256;
		char **k = calloc(cap, sizeof(*k));
		size_t *r = calloc(cap, sizeof(*r));
		if (!k || !r) {
			free(k), free(r), free(key);
			return err_set(C2C_ENOMEM, _("out of memory"));
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

static void seen_free(seen_set *ss)
{
	for (size_t i = 0; i < ss->cap; i++)
		free(ss->keys[i]);
	free(ss->keys), free(ss->rows);
}

typedef struct {
	c2c_node *n;
	const table_def *t;
	node_txn *tx;
	const char *file; /* as given, for messages */
	sheet_locale loc;
	char sep;
	int ignore_unknown, dry_run;

	/* the header: per column its kind and field */
	int have_header;
	size_t ncols;
	const field_def **cols;
	unsigned char *kind;
	long id_col; /* -1 if none */

	/* the row being read: its cells, NUL-terminated, one after another */
	char *buf;
	size_t blen, bcap;
	size_t *off;
	size_t ncells, ocap;

	size_t line;      /* physical line being fed to the parser */
	size_t rec_line;  /* line the current record starts on; 0 between records */
	size_t quoted_nl; /* line breaks inside quoted cells so far: line - quoted_nl is the row */
	size_t rows, added, changed, unchanged;
	seen_set seen;
	size_t nbad;
	json_t *bad;  /* [{row, column, message, hint}] */
	json_t *plan; /* [{row, action, id, fields}] */
	/* For the web interface's preview: the plan holds the rows that add or
	 * change a record, up to plan_cap, each with "diff" {FIELD: [old, new]}. */
	int plan_diff;
	size_t plan_cap;
	int err;      /* fatal: stops the import */

	/* Without --locale, a first pass (scan) reads what the file's cells
	 * prove about its locale (sheet_evidence): the row that shows it, and
	 * whether another row says the opposite. */
	int scan;
	int day_first;
	char decimal;
	size_t day_row, dec_row;
	int day_conflict, dec_conflict;
	char day_text[48], dec_text[48];
} importer;

/* "A".."Z", "AA".. : the column letter a spreadsheet shows for column I (0-based). */
static void col_letter(size_t i, char out[8])
{
	char tmp[8];
	size_t n = 0;
	i++;
	while (i && n < 7) {
		tmp[n++] = (char)('A' + (i - 1) % 26);
		i = (i - 1) / 26;
	}
	for (size_t k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	out[n] = '\0';
}

/* Record a bad row: ROW, column COL (-1: the row as a whole), and the
 * current error's message and hint. Returns 0 (the import goes on) or a
 * fatal error. */
static int imp_bad(importer *im, size_t row, long col)
{
	char where[160], letter[8];
	const char *msg = err_msg(), *hint = err_hint_msg();
	const char *name = NULL;
	im->nbad++;
	if (im->nbad > MAX_LISTED)
		return 0;
	if (col >= 0) {
		col_letter((size_t)col, letter);
		name = (size_t)col < im->ncols ? (im->kind[col] == COL_ID ? "id" : im->cols[col] ? im->cols[col]->name : NULL)
		                               : NULL;
		/* "actions.budget_eur: 'x' is not..." -> "'x' is not..." */
		size_t tl = strlen(im->t->name);
		if (name && !strncmp(msg, im->t->name, tl) && msg[tl] == '.' && !strncmp(msg + tl + 1, name, strlen(name)) &&
		    !strncmp(msg + tl + 1 + strlen(name), ": ", 2))
			msg += tl + 1 + strlen(name) + 2;
		if (name)
			snprintf(where, sizeof(where), _("row %zu, column %s (%s)"), row, letter, name);
		else
			snprintf(where, sizeof(where), _("row %zu, column %s"), row, letter);
	} else {
		snprintf(where, sizeof(where), _("row %zu"), row);
	}
	json_t *o = json_pack("{sI ss? ss? ss? ss}", "row", (json_int_t)row, "column", name, "column_letter",
	                      col >= 0 ? letter : NULL, "hint", hint, "message", "");
	if (!o)
		return im->err = err_set(C2C_ENOMEM, _("out of memory"));
	size_t l = strlen(im->file) + strlen(where) + strlen(msg) + 8;
	char *full = malloc(l);
	if (!full) {
		json_decref(o);
		return im->err = err_set(C2C_ENOMEM, _("out of memory"));
	}
	snprintf(full, l, "%s: %s: %s", im->file, where, msg);
	json_object_set_new(o, "message", json_string(full));
	free(full);
	json_array_append_new(im->bad, o);
	return 0;
}

/* Set a fatal error "FILE: row N: ..." (C2C_EINVALID): the file cannot be read on. */
static int imp_fail(importer *im, size_t row, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int imp_fail(importer *im, size_t row, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(C2C_EINVALID, _("%s: row %zu: %s"), im->file, row, msg);
	return im->err = C2C_EINVALID;
}

static void imp_cell(void *s, size_t len, void *data)
{
	importer *im = data;
	if (im->err)
		return;
	if (im->ncells == im->ocap) {
		size_t cap = im->ocap ? im->ocap * 2 : 32;
		size_t *o = realloc(im->off, (cap + 1) * sizeof(*o));
		if (!o) {
			im->err = err_set(C2C_ENOMEM, _("out of memory"));
			return;
		}
		im->off = o;
		im->ocap = cap;
	}
	if (im->blen + len + 1 > im->bcap) {
		size_t cap = im->bcap ? im->bcap : 1024;
		while (cap < im->blen + len + 1)
			cap *= 2;
		char *b = realloc(im->buf, cap);
		if (!b) {
			im->err = err_set(C2C_ENOMEM, _("out of memory"));
			return;
		}
		im->buf = b;
		im->bcap = cap;
	}
	im->off[im->ncells++] = im->blen;
	if (len)
		memcpy(im->buf + im->blen, s, len);
	im->blen += len;
	im->buf[im->blen++] = '\0';
	im->off[im->ncells] = im->blen;
}

static const char *cell(const importer *im, size_t i, size_t *len)
{
	if (len)
		*len = im->off[i + 1] - im->off[i] - 1;
	return im->buf + im->off[i];
}

/* Drop the spaces and tabs around S, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	return s;
}

static int cell_utf8(const importer *im, size_t i)
{
	size_t len;
	const char *s = cell(im, i, &len);
	if (canon_utf8_valid(s, len))
		return 0;
	err_set(C2C_EINVALID, "%s", memchr(s, '\0', len) ? _("the text holds a NUL byte") : _("the text is not valid UTF-8"));
	return err_hint(_("save the file as CSV UTF-8 (in a spreadsheet: \"CSV UTF-8 (comma delimited)\")"));
}

/* The column names of T, for messages: "id, city, title, ...". malloc'd. */
static char *known_columns(const table_def *t)
{
	size_t cap = 8;
	for (size_t k = 0; k < t->nfields; k++)
		cap += strlen(t->fields[k].name) + 2;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	strcpy(s, "id");
	for (size_t k = 0; k < t->nfields; k++) {
		strcat(s, ", ");
		strcat(s, t->fields[k].name);
	}
	return s;
}

/* S folded for comparing column names: trimmed, ASCII and Latin-1 capitals
 * (É, À, Ç...) in lower case. Into OUT (CAP bytes). */
static void fold(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (const unsigned char *u = (const unsigned char *)s; *u && n + 3 < cap; u++) {
		if (*u >= 'A' && *u <= 'Z')
			out[n++] = (char)(*u - 'A' + 'a');
		else if (u[0] == 0xC3 && u[1] >= 0x80 && u[1] <= 0x9E && u[1] != 0x97)
			out[n++] = (char)0xC3, out[n++] = (char)(u[1] + 0x20), u++;
		else
			out[n++] = (char)*u;
	}
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
}

/* The column NAME (folded) as a field's label in one of the languages of
 * the catalogs ("Titre", "Budget (EUR)", "العنوان"): 1 with *out set, 2 for
 * the id's label, 0 for none. */
static int label_column(const table_def *t, const char *name, const field_def **out)
{
	char a[256];
	*out = NULL;
	for (size_t l = 0; i18n_langs[l]; l++) {
		fold(i18n_field(i18n_langs[l], t->name, "id"), a, sizeof(a));
		if (!strcmp(a, name))
			return 2;
		for (size_t k = 0; k < t->nfields; k++) {
			fold(i18n_field(i18n_langs[l], t->name, t->fields[k].name), a, sizeof(a));
			if (!strcmp(a, name)) {
				*out = &t->fields[k];
				return 1;
			}
		}
	}
	return 0;
}

static int imp_header(importer *im, size_t row)
{
	const table_def *t = im->t;
	char unknown[512] = "";
	size_t nunknown = 0, ul = 0;
	im->ncols = im->ncells;
	im->id_col = -1;
	if (!(im->cols = calloc(im->ncols ? im->ncols : 1, sizeof(*im->cols))) ||
	    !(im->kind = calloc(im->ncols ? im->ncols : 1, 1)))
		return im->err = err_set(C2C_ENOMEM, _("out of memory"));
	for (size_t i = 0; i < im->ncols; i++) {
		if (cell_utf8(im, i) < 0) {
			char letter[8];
			col_letter(i, letter);
			err_prefix(_("%s: row %zu, column %s: "), im->file, row, letter);
			return im->err = C2C_EINVALID;
		}
		/* names are matched without regard to case and surrounding spaces,
		 * and by the field's label in any of the catalogs' languages */
		char name[256];
		fold(cell(im, i, NULL), name, sizeof(name));
		const field_def *f = NULL;
		int label = 0;
		if (!*name) {
			im->kind[i] = COL_NONAME; /* an empty column, as spreadsheets leave after the last */
			continue;
		}
		if (!strcmp(name, "id")) {
			im->kind[i] = COL_ID;
		} else if ((f = store_field(t, name))) {
			im->kind[i] = COL_FIELD;
		} else if ((label = label_column(t, name, &f)) != 0) {
			im->kind[i] = label == 2 ? COL_ID : COL_FIELD;
		} else {
			im->kind[i] = COL_SKIP;
			if (!im->ignore_unknown) {
				if (ul < sizeof(unknown))
					ul += (size_t)snprintf(unknown + ul, sizeof(unknown) - ul, "%s'%s'", nunknown ? ", " : "",
					                       name);
				nunknown++;
			}
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (im->kind[j] == im->kind[i] && im->cols[j] == f) {
				char a[8], b[8];
				col_letter(j, a), col_letter(i, b);
				imp_fail(im, row, "column '%s' appears twice (columns %s and %s)", name, a, b);
				err_hint(_("keep one column per field"));
				return im->err;
			}
		}
		im->cols[i] = f;
		if (!f)
			im->id_col = (long)i;
	}
	if (nunknown) {
		char *known = known_columns(t);
		imp_fail(im, row, "table %s has no column%s %s", t->name, nunknown > 1 ? "s" : "", unknown);
		err_hint(_("its columns are %s ('c2c tables %s'); --ignore-unknown skips the others"), known ? known : "",
		         t->name);
		free(known);
		return im->err;
	}
	for (size_t k = 0; k < t->nfields; k++) {
		const field_def *f = &t->fields[k];
		if (!f->required || (t->city_scope && im->n->city && !strcmp(f->name, "city")))
			continue;
		size_t i;
		for (i = 0; i < im->ncols && im->cols[i] != f; i++)
			;
		if (i == im->ncols) {
			imp_fail(im, row, "the header has no column '%s', a required field of %s", f->name, t->name);
			return err_hint(_("add a %s column; 'c2c export %s' writes a file with every column"), f->name,
			                t->name);
		}
	}
	im->have_header = 1;
	return 0;
}

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

static int plan_add(importer *im, size_t row, const char *action, const char *id, const char *what,
                    const json_t *rec, const json_t *fields)
{
	if (!im->plan || (im->plan_diff && (!strcmp(action, "unchanged") || json_array_size(im->plan) >= im->plan_cap)))
		return 0;
	json_t *o = json_pack("{sI ss ss? ss?}", "row", (json_int_t)row, "action", action, "id", id, "fields", what);
	if (o && im->plan_diff && json_object_set_new(o, "diff", field_diff(rec, fields)) < 0)
		json_decref(o), o = NULL;
	if (!o || json_array_append_new(im->plan, o))
		return im->err = err_set(C2C_ENOMEM, _("out of memory"));
	return 0;
}

/* Read one data row at spreadsheet row ROW. A bad row is listed (imp_bad)
 * and the import goes on to find the others; only a fatal error stops it. */
static int imp_row(importer *im, size_t row)
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
		const char *c = cell(im, i, NULL);
		empty += !*c;
		if (i >= im->ncols && *c) {
			err_set(C2C_EINVALID, _("%zu cells, the header has %zu"), im->ncells, im->ncols);
			err_hint(_("every row has one cell per column; quote cells that hold the separator (\"10.7,16.6\")"));
			goto fail;
		}
		if (i < im->ncols && im->kind[i] == COL_NONAME && *c) {
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
			if (im->kind[i] != COL_NONAME) {
				err_set(C2C_EINVALID, _("%zu cells, the header has %zu"), im->ncells, im->ncols);
				err_hint(_("every row has one cell per column; quote cells that hold the separator (\"10.7,16.6\")"));
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < im->ncells && i < im->ncols; i++) {
		if ((im->kind[i] == COL_FIELD || im->kind[i] == COL_ID) && cell_utf8(im, i) < 0) {
			bad_col = (long)i;
			goto fail;
		}
	}

	if (!(fields = json_object())) {
		err = err_set(C2C_ENOMEM, _("out of memory"));
		goto done;
	}
	size_t nfieldbad = 0;
	for (size_t i = 0; i < im->ncells && i < im->ncols; i++) {
		json_t *v = NULL;
		const field_def *f = im->cols[i];
		if (im->kind[i] != COL_FIELD)
			continue;
		const char *c = sheet_uninert(cell(im, i, NULL));
		if (f->type != FT_TEXT)
			c = trim((char *)c); /* "50000 " from a spreadsheet */
		free(text);
		text = NULL;
		if ((err = sheet_value(t, f, &im->loc, c, &text)) < 0 ||
		    (err = record_parse_value(n->st, t, f, text, &v)) < 0) {
			if (err == C2C_ENOMEM)
				goto done;
			/* list every bad cell of the row */
			if ((err = imp_bad(im, row, (long)i)) < 0)
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
	                        ? trim((char *)sheet_uninert(cell(im, (size_t)im->id_col, NULL)))
	                        : "";
	bad_col = im->id_col;
	if (t->nnatkey) {
		json_t *k = json_copy(fields);
		if (!k) {
			err = err_set(C2C_ENOMEM, _("out of memory"));
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
			err = err_set(C2C_ENOMEM, _("out of memory"));
			goto done;
		}
	} else if (t->nmatchkey) {
		/* No id: find the record by the table's import key. */
		json_t *k = json_copy(fields);
		size_t count = 0;
		if (!k) {
			err = err_set(C2C_ENOMEM, _("out of memory"));
			goto done;
		}
		if (t->city_scope && !json_is_string(json_object_get(k, "city")) && n->city)
			json_object_set_new(k, "city", json_string(n->city));
		err = store_find_by(n->st, t, t->matchkey, t->nmatchkey, k, &id, &count);
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
				err = err_set(C2C_ENOMEM, _("out of memory"));
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
				err = err_set(C2C_ENOMEM, _("out of memory"));
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
		err = imp_bad(im, row, bad_col);
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

/* The scan's look at one row: what its dates and numbers prove. */
static void imp_scan_row(importer *im, size_t row)
{
	for (size_t i = 0; i < im->ncells && i < im->ncols; i++) {
		int d;
		char dec;
		if (im->kind[i] != COL_FIELD)
			continue;
		const char *c = sheet_uninert(cell(im, i, NULL));
		if (sheet_evidence(im->cols[i], c, &d, &dec) < 0) {
			im->err = err_code();
			return;
		}
		if (d >= 0) {
			if (!im->day_row)
				im->day_first = d, im->day_row = row, snprintf(im->day_text, sizeof(im->day_text), "%s", c);
			else if (d != im->day_first)
				im->day_conflict = 1;
		}
		if (dec) {
			if (!im->dec_row)
				im->decimal = dec, im->dec_row = row, snprintf(im->dec_text, sizeof(im->dec_text), "%s", c);
			else if (dec != im->decimal)
				im->dec_conflict = 1;
		}
	}
}

static size_t count_nl(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void imp_end_row(int c, void *data)
{
	importer *im = data;
	(void)c;
	if (im->err)
		return;
	size_t line = im->rec_line ? im->rec_line : im->line;
	size_t row = line - im->quoted_nl;
	if (!im->have_header)
		imp_header(im, row);
	else if (im->scan)
		imp_scan_row(im, row);
	else if (imp_row(im, row) == 0 && im->ncells) {
		im->rows++;
		cli_progress("importing", im->rows, 0);
	}
	/* line breaks inside quoted cells do not start a spreadsheet row */
	im->quoted_nl += count_nl(im->buf, im->blen);
	im->ncells = 0;
	im->blen = 0;
	im->rec_line = 0;
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* Feed BUF to the parser one physical line at a time, so that a row's
 * messages can name its row. */
static int imp_feed(importer *im, struct csv_parser *p, const char *buf, size_t len)
{
	while (len && !im->err) {
		const char *nl = memchr(buf, '\n', len);
		size_t seg = nl ? (size_t)(nl - buf) + 1 : len;
		if (!im->rec_line) {
			size_t k = 0;
			while (k < seg && (buf[k] == '\r' || buf[k] == '\n'))
				k++;
			if (k < seg)
				im->rec_line = im->line;
		}
		if (csv_parse(p, buf, seg, imp_cell, imp_end_row, im) != seg && !im->err) {
			if (csv_error(p) == CSV_EPARSE) {
				imp_fail(im, im->line - im->quoted_nl - count_nl(im->buf, im->blen),
				         "malformed CSV: a quote inside an unquoted cell, or text after a closing quote");
				err_hint(_("a cell with a quote is written in quotes with the quote doubled: \"say \"\"hello\"\"\""));
			} else {
				im->err = err_set(C2C_ENOMEM, "%s: %s", im->file, csv_strerror(csv_error(p)));
			}
			return im->err;
		}
		if (nl)
			im->line++;
		buf += seg;
		len -= seg;
	}
	return im->err;
}

/* The separator of the header line B: the most frequent of , ; and tab
 * outside quotes (',' when none). */
static char detect_sep(const char *b, size_t len)
{
	size_t comma = 0, semi = 0, tab = 0;
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (b[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (b[i] == '\n')
			break;
		else if (b[i] == ',')
			comma++;
		else if (b[i] == ';')
			semi++;
		else if (b[i] == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

static int import_run(importer *im, FILE *fp)
{
	struct csv_parser p;
	char *chunk = malloc(CHUNK);
	int first = 1;
	if (!chunk || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(chunk);
		return err_set(C2C_ENOMEM, _("out of memory"));
	}
	csv_set_space_func(&p, no_space);
	im->line = 1;
	for (;;) {
		size_t got = fread(chunk, 1, CHUNK, fp);
		const char *b = chunk;
		if (first && got >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3))
			b += 3, got -= 3;
		if (first) {
			if (!im->sep)
				im->sep = detect_sep(b, got);
			csv_set_delim(&p, (unsigned char)im->sep);
		}
		first = 0;
		if (got && imp_feed(im, &p, b, got) < 0)
			break;
		if (got < CHUNK - (size_t)(b - chunk))
			break; /* end of file, or an error */
	}
	if (!im->err && ferror(fp))
		im->err = err_errno(C2C_EIO, im->file);
	if (!im->err) {
		size_t start = (im->rec_line ? im->rec_line : im->line) - im->quoted_nl;
		if (csv_fini(&p, imp_cell, imp_end_row, im) != 0 && !im->err) {
			im->err = err_set(C2C_EINVALID, _("%s: row %zu: a quoted cell is never closed"), im->file, start);
			err_hint(_("a cell that starts with \" ends with \"; a quote inside it is doubled (\"\")"));
		}
	}
	if (!im->err && !im->have_header) {
		im->err = err_set(C2C_EINVALID, _("%s: the file is empty; its first line must name the columns"), im->file);
		err_hint(_("'c2c export %s FILE.csv' writes a file with the header to start from"), im->t->name);
	}
	csv_free(&p);
	free(chunk);
	return im->err;
}

/* What an import holds, freed (its transaction, if still open, abandoned). */
static void importer_dispose(importer *im)
{
	node_txn_abort(im->tx);
	free(im->cols);
	free(im->kind);
	free(im->buf);
	free(im->off);
	seen_free(&im->seen);
	json_decref(im->bad);
	json_decref(im->plan);
}

/* Without --locale: read the file once for what its cells prove about its
 * locale (sheet_evidence), then rewind it for the import itself and take
 * what was proved without contradiction. */
static int import_scan(importer *im, FILE *fp)
{
	int err;
	im->scan = 1;
	if ((err = import_run(im, fp)) < 0)
		return err;
	im->scan = 0;
	free(im->cols), free(im->kind);
	im->cols = NULL, im->kind = NULL;
	im->have_header = 0;
	im->ncells = im->blen = im->rec_line = im->quoted_nl = 0;
	if (fseek(fp, 0, SEEK_SET) != 0)
		return err_errno(C2C_EIO, im->file);
	if (im->day_row && !im->day_conflict)
		im->loc.day_first = im->day_first;
	if (im->dec_row && !im->dec_conflict)
		im->loc.decimal = im->decimal;
	return 0;
}

/* --sep: one character, or its name. */
static int parse_sep(const char *s, char *out)
{
	if (!strcmp(s, "tab") || !strcmp(s, "\\t") || !strcmp(s, "\t"))
		*out = '\t';
	else if (!strcmp(s, "comma") || !strcmp(s, ","))
		*out = ',';
	else if (!strcmp(s, "semicolon") || !strcmp(s, ";"))
		*out = ';';
	else {
		err_set(C2C_EUSAGE, _("--sep '%s': give , ; or tab"), s);
		return err_hint(_("the separator of the cells: comma (,), semicolon (;) or tab"));
	}
	return 0;
}

/* The locale of --locale, else none (values that depend on one are refused). */
static int take_locale(cli_ctx *ctx, sheet_locale *loc)
{
	const char *name = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--locale", &name)) < 0)
		return err;
	if ((err = sheet_locale_get(name, loc)) < 0)
		return err == C2C_EINVALID ? (err_prefix(_("--locale: ")), C2C_EUSAGE) : err;
	return 0;
}

static int cmd_import_fn(cli_ctx *ctx, c2c_node *n)
{
	importer im = {0};
	FILE *fp = NULL;
	git_oid head;
	const char *sep = NULL;
	int err;
	im.ignore_unknown = cli_take_flag(ctx, "--ignore-unknown");
	im.dry_run = cli_take_flag(ctx, "--dry-run");
	if ((err = cli_take_opt(ctx, "--sep", &sep)) < 0 || (sep && (err = parse_sep(sep, &im.sep)) < 0) ||
	    (err = take_locale(ctx, &im.loc)) < 0)
		return err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0 || (err = cli_table(n, ctx->argv[0], &im.t)) < 0)
		return err;
	im.n = n;
	im.file = ctx->argv[1];
	if (!(im.bad = json_array()) || (im.dry_run && !(im.plan = json_array()))) {
		err = err_set(C2C_ENOMEM, _("out of memory"));
		goto done;
	}
	if (!(fp = fopen(im.file, "rb"))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, im.file);
		err_hint(_("give the path of a CSV file (UTF-8, a header line first)"));
		goto done;
	}
	if (!im.loc.name) {
		/* No --locale: the file's own cells say how to read it. */
		if ((err = import_scan(&im, fp)) < 0)
			goto done;
		if (im.day_row && !im.day_conflict && !ctx->json)
			fprintf(stderr, _("c2c import: %s: dates read as %s (row %zu has %s)\n"), im.file,
			        im.day_first ? _("day/month/year") : _("month/day/year"), im.day_row, im.day_text);
		if (im.dec_row && !im.dec_conflict && !ctx->json)
			fprintf(stderr,
			        im.decimal == ',' ? _("c2c import: %s: numbers read with a decimal comma (row %zu has %s)\n")
			                          : _("c2c import: %s: numbers read with a decimal point (row %zu has %s)\n"),
			        im.file, im.dec_row, im.dec_text);
	}
	if ((err = node_txn_begin(&im.tx, n)) < 0)
		goto done;
	if ((err = import_run(&im, fp)) < 0)
		goto done;
	if (im.rows)
		cli_progress("importing", im.rows, im.rows);
	if (im.nbad) {
		cli_error_details(json_incref(im.bad));
		if (im.nbad > MAX_LISTED)
			err = err_set(C2C_EINVALID, _("%s: %zu bad rows (the first %d listed above); nothing was imported"),
			              im.file, im.nbad, MAX_LISTED);
		else
			err = err_set(C2C_EINVALID, P_(im.nbad, "%s: %zu bad row; nothing was imported",
			                              "%s: %zu bad rows; nothing was imported"),
			              im.file, im.nbad);
		err_hint(im.nbad == 1 ? _("correct it and import it again; --dry-run checks a file without writing")
		                      : _("correct them and import it again; --dry-run checks a file without writing"));
		goto done;
	}

	const char *base = strrchr(im.file, '/');
	base = base ? base + 1 : im.file;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int committed = 0;
	if (im.dry_run || im.added + im.changed == 0) {
		node_txn_abort(im.tx);
		im.tx = NULL;
		if (!im.dry_run)
			fprintf(stderr, _("c2c import: %s changes nothing in %s; nothing to commit\n"), im.file, im.t->name);
	} else {
		char msg[600];
		snprintf(msg, sizeof(msg), "import %s from %s: %zu added, %zu changed", im.t->name, base, im.added,
		         im.changed);
		err = node_txn_commit(im.tx, msg, &head);
		im.tx = NULL;
		if (err < 0)
			goto done;
		git_oid_tostr(hex, sizeof(hex), &head);
		committed = 1;
	}
	if (ctx->json) {
		json_t *o = json_pack("{ss ss sI sI sI ss? sb}", "table", im.t->name, "file", im.file, "added",
		                      (json_int_t)im.added, "changed", (json_int_t)im.changed, "unchanged",
		                      (json_int_t)im.unchanged, "commit", committed ? hex : NULL, "dry_run", im.dry_run);
		if (o && im.plan)
			json_object_set(o, "rows", im.plan);
		err = cli_print_json(o);
	} else if (im.dry_run) {
		size_t i;
		json_t *r;
		json_array_foreach(im.plan, i, r)
		{
			const char *what = json_string_value(json_object_get(r, "fields"));
			const char *action = json_string_value(json_object_get(r, "action"));
			printf(_("row %lld: %s %s/%s%s%s\n"), (long long)json_integer_value(json_object_get(r, "row")),
			       !strcmp(action, "add") ? _("add") : !strcmp(action, "change") ? _("change") : _("unchanged"), im.t->name,
			       json_string_value(json_object_get(r, "id")), what ? ": " : "", what ? what : "");
		}
		printf(_("dry run of %s into %s: %zu would be added, %zu changed, %zu left unchanged; nothing written\n"),
		       im.file, im.t->name, im.added, im.changed, im.unchanged);
	} else {
		printf(_("imported %s into %s: %zu added, %zu changed, %zu unchanged"), im.file, im.t->name, im.added,
		       im.changed, im.unchanged);
		if (committed)
			printf(_(" (commit %.12s)\n"), hex);
		else
			printf(_(" (no commit)\n"));
	}
done:
	importer_dispose(&im);
	if (fp)
		fclose(fp);
	return err;
}

const cli_command cmd_import = {
    "import", cmd_import_fn, CLI_WRITE, N_("import records from a CSV file"),
    N_("c2c import TABLE FILE.csv [--dry-run] [--sep ,|;|tab] [--locale LOCALE] [--ignore-unknown]"),
    N_("Adds and changes records of TABLE from a CSV file as spreadsheets save it,\n"
    "in one commit: the whole file is written, or, if any row is bad, nothing\n"
    "at all. Every bad row is listed (up to 50) with the row number and the\n"
    "column letter the spreadsheet shows, and the column's name.\n\n"
    "The file: UTF-8, with or without a BOM; lines ending in LF or CRLF; cells\n"
    "separated by commas, semicolons or tabs, whichever the first line uses\n"
    "most (--sep , ; or tab says which); a cell holding the separator, quotes\n"
    "or line breaks in double quotes, a quote inside doubled.\n\n"
    "The first line names the columns: fields of TABLE ('c2c tables TABLE'),\n"
    "in any order, and optionally id, matched without regard to case and\n"
    "surrounding spaces, by name or by the field's label in English, French,\n"
    "Spanish or Arabic (\"Titre\", \"Presupuesto (EUR)\"). Columns without a name (the empty ones spreadsheets\n"
    "leave at the end) are skipped. A column TABLE does not have is refused,\n"
    "with the list of those it has; --ignore-unknown skips it instead. Every\n"
    "required field needs a column (city may be left out on a city node: it\n"
    "is the node's city).\n\n"
    "Values: a set is one cell of values separated by commas (or Arabic\n"
    "commas), quoted: \"10.7,16.6\". Numbers may group their digits (50 000,\n"
    "50.000, 50,000, with no-break spaces too) and carry a zero decimal part\n"
    "(50000.00, 50.000,00); dates may be YYYY-MM-DD, with a zero time after\n"
    "(2026-12-06 00:00:00), YYYY/MM/DD, or the locale's day/month/year.\n"
    "Arabic-Indic digits are read as digits. What depends on the locale\n"
    "(06/12/2026: 6 December or June 12? 50.000: fifty thousand or fifty?)\n"
    "is read as the file's other cells show (a date 31/12/2026 shows that\n"
    "dates put the day first; a number 1 234,50 that the comma is the decimal\n"
    "one: import says which row it went by), or as --locale en (US), en-GB,\n"
    "fr, es or ar says, and is refused when neither tells.\n"
    "An empty cell means the field is empty: not set on a new record, cleared\n"
    "on an existing one. Spaces around a value are dropped, but in text\n"
    "fields, which keep their text exactly. A cell that 'c2c export' made\n"
    "inert for spreadsheets (a leading apostrophe before = + - @) is read\n"
    "back without it. Rows with only empty cells are skipped.\n\n"
    "Importing is safe to repeat. A row whose id names an existing record\n"
    "changes that record; a row with an id not yet used adds a record with\n"
    "that id. A row without an id is matched on the table's import key\n"
    "(actions: city and title; migration_stats: city, indicator, year, sex,\n"
    "origin; 'c2c tables' shows each), so the same file imported twice\n"
    "changes nothing. Two rows of one file that are the same record are an\n"
    "error naming both. A file that changes nothing makes no commit.\n\n"
    "--dry-run reads and checks the whole file and says, row by row, what\n"
    "would be added, changed (and which fields) and left unchanged; it writes\n"
    "nothing. --json gives the counts (and the rows with --dry-run); an\n"
    "error's rows are in the error object's \"details\".\n\n"
    "  c2c export actions actions.csv    # edit it in a spreadsheet, then\n"
    "  c2c import actions actions.csv --dry-run\n"
    "  c2c import actions actions.csv --locale fr\n")};

/* ----------------------------------------------------------------- export */
typedef struct {
	const table_def *t;
	FILE *fp;
	json_t *arr;
	size_t count;
	char sep;
	const char *eol;
	int ioerr;
} exporter;

/* One cell, quoted when it holds the separator, a quote or a line break;
 * a cell a spreadsheet would run as a formula gets an apostrophe first
 * (sheet_inert), which import takes off again. */
static int put_cell(const exporter *ex, const char *s)
{
	char specials[5] = {ex->sep, '"', '\r', '\n', '\0'};
	FILE *fp = ex->fp;
	int inert = sheet_inert(s);
	if (!strpbrk(s, specials))
		return (inert && fputc('\'', fp) == EOF) || fputs(s, fp) < 0 ? -1 : 0;
	if (fputc('"', fp) == EOF || (inert && fputc('\'', fp) == EOF))
		return -1;
	for (; *s; s++) {
		if (*s == '"' && fputc('"', fp) == EOF)
			return -1;
		if (fputc(*s, fp) == EOF)
			return -1;
	}
	return fputc('"', fp) == EOF ? -1 : 0;
}

static int export_row(const char *id, json_t *rec, void *payload)
{
	exporter *ex = payload;
	ex->count++;
	if (ex->arr)
		return json_array_append_new(ex->arr, cli_record_flat(id, rec)) ? err_set(C2C_ENOMEM, _("out of memory")) : 0;
	int bad = put_cell(ex, id) < 0;
	for (size_t i = 0; i < ex->t->nfields && !bad; i++) {
		char *s = record_value_text(json_object_get(rec, ex->t->fields[i].name));
		if (!s)
			return err_set(C2C_ENOMEM, _("out of memory"));
		bad = fputc(ex->sep, ex->fp) == EOF || put_cell(ex, s) < 0;
		free(s);
	}
	if (bad || fputs(ex->eol, ex->fp) < 0)
		return ex->ioerr = 1;
	return 0;
}

static int cmd_export_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	exporter ex = {0};
	char *tmp = NULL;
	const char *sep = NULL;
	sheet_locale loc;
	int err;
	int excel = cli_take_flag(ctx, "--excel");
	if ((err = cli_take_opt(ctx, "--sep", &sep)) < 0 || (err = take_locale(ctx, &loc)) < 0)
		return err;
	if ((err = cli_positionals(ctx, 1, 2)) < 0 || (err = cli_table(n, ctx->argv[0], &t)) < 0)
		return err;
	ex.sep = excel ? loc.sep : ',';
	ex.eol = excel ? "\r\n" : "\n";
	if (sep && (err = parse_sep(sep, &ex.sep)) < 0)
		return err;
	const char *file = ctx->argc > 1 ? ctx->argv[1] : NULL;
	ex.t = t;
	ex.fp = stdout;
	if (file) {
		size_t l = strlen(file) + 5;
		if (!(tmp = malloc(l)))
			return err_set(C2C_ENOMEM, _("out of memory"));
		snprintf(tmp, l, "%s.tmp", file);
		if (!(ex.fp = fopen(tmp, "wb"))) {
			err = err_errno(C2C_EIO, file);
			err_hint(_("check that the directory exists and can be written"));
			free(tmp);
			return err;
		}
	}
	if (ctx->json) {
		if (!(ex.arr = json_array())) {
			err = err_set(C2C_ENOMEM, _("out of memory"));
			goto done;
		}
	} else {
		/* Excel reads a file as UTF-8 only when it starts with a BOM */
		int bad = (excel && fputs("\xEF\xBB\xBF", ex.fp) < 0) || put_cell(&ex, "id") < 0;
		for (size_t i = 0; i < t->nfields && !bad; i++)
			bad = fputc(ex.sep, ex.fp) == EOF || put_cell(&ex, t->fields[i].name) < 0;
		if (bad || fputs(ex.eol, ex.fp) < 0)
			ex.ioerr = 1;
	}
	if (!ex.ioerr && (err = store_rows_each(n->st, t, NULL, export_row, &ex)) < 0 && !ex.ioerr)
		goto done;
	err = 0;
	if (ex.arr && !ex.ioerr) {
		if (json_dumpf(ex.arr, ex.fp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || fputc('\n', ex.fp) == EOF)
			ex.ioerr = 1;
	}
	if (fflush(ex.fp) != 0 || ferror(ex.fp))
		ex.ioerr = 1;
	if (file) {
		if (!ex.ioerr && fsync(fileno(ex.fp)) != 0)
			ex.ioerr = 1;
		int saved = errno;
		if (fclose(ex.fp) != 0)
			ex.ioerr = 1;
		else
			errno = saved;
		ex.fp = NULL;
		if (!ex.ioerr && rename(tmp, file) != 0)
			ex.ioerr = 1;
	}
	if (ex.ioerr) {
		err = err_errno(C2C_EIO, file ? file : "standard output");
		if (file)
			err_hint(_("check the disk space and that %s can be written"), file);
		goto done;
	}
	if (file && !ctx->json)
		printf(_("exported %zu records of %s to %s\n"), ex.count, t->name, file);
done:
	if (file && ex.fp)
		fclose(ex.fp);
	if (tmp && err < 0)
		unlink(tmp);
	free(tmp);
	json_decref(ex.arr);
	return err;
}

const cli_command cmd_export = {
    "export", cmd_export_fn, CLI_READ, N_("export records to a CSV file"),
    N_("c2c export TABLE [FILE.csv] [--excel] [--locale LOCALE] [--sep ,|;|tab]"),
    N_("Writes the records of TABLE as CSV to FILE.csv (replaced whole, never left\n"
    "half-written), or to standard output: a header line, id then the fields\n"
    "in the order 'c2c tables TABLE' gives, then one line per record in id\n"
    "order. Sets are one cell of comma-separated values; cells with the\n"
    "separator, quotes or line breaks are quoted (RFC 4180); lines end in \\n;\n"
    "the text is UTF-8. A cell that a spreadsheet would run as a formula (it\n"
    "starts with = + - or @), or that starts with an apostrophe, is written\n"
    "with an apostrophe first, which 'c2c import' takes off: the file can be\n"
    "edited in a spreadsheet and given back to 'c2c import' exactly.\n\n"
    "--excel writes what Excel opens well: a UTF-8 BOM (so that Arabic shows\n"
    "as Arabic), lines ending in \\r\\n, and the separator of --locale (en,\n"
    "en-GB: ','; fr, es, ar: ';'). --sep , ; or tab chooses the separator.\n"
    "--json writes an array of flat records instead.\n\n"
    "  c2c export actions actions.csv\n  c2c export actions actions.csv --excel --locale fr\n"
    "  c2c export stakeholders > stakeholders.csv\n")};

/* ------------------------------------------- for the web interface (cli.h) */
int cli_import_stream(c2c_node *n, const table_def *t, FILE *fp, const char *name, int write, json_t *problems,
                      cli_import_result *res)
{
	importer im = {0};
	git_oid head;
	int err;
	memset(res, 0, sizeof(*res));
	im.n = n;
	im.t = t;
	im.file = name;
	im.plan_diff = 1;
	im.plan_cap = CLI_PREVIEW_ROWS;
	if (!(im.bad = json_array()) || (!write && !(im.plan = json_array())))
		return err_set(C2C_ENOMEM, _("out of memory"));
	/* As 'c2c import' without --locale (an upload is in memory: seekable). */
	if ((err = import_scan(&im, fp)) < 0)
		goto bad_file;
	if ((err = node_txn_begin(&im.tx, n)) < 0)
		goto done;
	err = import_run(&im, fp);
bad_file:
	if (err == C2C_EINVALID && problems) {
		/* The file as a whole is bad (its header, its quoting): one problem. */
		json_array_append_new(problems,
		                      json_pack("{s:I,s:s,s:s?}", "line", (json_int_t)(im.rec_line ? im.rec_line : im.line),
		                                "message", err_msg(), "hint", err_hint_msg()));
		err_clear();
		err = 0;
		goto done;
	}
	if (err < 0)
		goto done;
	size_t i;
	json_t *b;
	json_array_foreach(im.bad, i, b)
	{
		if (problems)
			json_array_append_new(problems,
			                      json_pack("{s:O,s:O?,s:O?,s:O?,s:O?}", "line", json_object_get(b, "row"), "column",
			                                json_object_get(b, "column"), "column_letter",
			                                json_object_get(b, "column_letter"), "message", json_object_get(b, "message"),
			                                "hint", json_object_get(b, "hint")));
	}
	res->added = im.added;
	res->changed = im.changed;
	res->unchanged = im.unchanged;
	if (!write && !im.nbad) {
		res->rows = im.plan;
		im.plan = NULL;
	}
	if (!write || im.nbad || im.added + im.changed == 0)
		goto done;
	char msg[600];
	snprintf(msg, sizeof(msg), "import %s from %s: %zu added, %zu changed", t->name, name, im.added, im.changed);
	err = node_txn_commit(im.tx, msg, &head);
	im.tx = NULL;
	if (err < 0)
		goto done;
	git_oid_tostr(res->commit, sizeof(res->commit), &head);
	res->committed = 1;
done:
	importer_dispose(&im);
	return err;
}

int cli_export_stream(c2c_node *n, const table_def *t, FILE *fp)
{
	exporter ex = {0};
	int err;
	ex.t = t;
	ex.fp = fp;
	ex.sep = ',';
	ex.eol = "\r\n"; /* what Excel writes and reads */
	int bad = put_cell(&ex, "id") < 0;
	for (size_t i = 0; i < t->nfields && !bad; i++)
		bad = fputc(ex.sep, fp) == EOF || put_cell(&ex, t->fields[i].name) < 0;
	if (bad || fputs(ex.eol, fp) < 0)
		return err_errno(C2C_EIO, "writing CSV");
	if ((err = store_rows_each(n->st, t, NULL, export_row, &ex)) < 0 && !ex.ioerr)
		return err;
	if (ex.ioerr)
		return err_errno(C2C_EIO, "writing CSV");
	return 0;
}
