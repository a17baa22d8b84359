#include "c2c/record.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"

int record_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > RECORD_ID_MAX)
		return 0;
	if (!(islower((unsigned char)id[0]) || isdigit((unsigned char)id[0])))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return strstr(id, "..") == NULL;
}

int record_new_id(char out[25])
{
	unsigned char rnd[6];
	struct timespec ts;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return err_errno(C2C_EIO, "reading the system's random source");
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long ms = (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000ULL;
	snprintf(out, 25, "%012llx%02x%02x%02x%02x%02x%02x", ms & 0xffffffffffffULL, rnd[0], rnd[1], rnd[2],
	         rnd[3], rnd[4], rnd[5]);
	return 0;
}

int record_natural_id(const table_def *t, const json_t *rec, char **out)
{
	size_t len = 1;
	*out = NULL;
	for (size_t i = 0; i < t->nnatkey; i++) {
		json_t *v = json_object_get(rec, t->natkey[i]);
		if (!json_is_string(v))
			return err_set(C2C_EINVALID, _("%s needs %s: it is part of the record's key"), t->name,
			               t->natkey[i]);
		len += json_string_length(v) + 1;
	}
	char *id = calloc(1, len);
	if (!id)
		return ERR_OOM();
	for (size_t i = 0; i < t->nnatkey; i++) {
		if (i)
			strcat(id, ".");
		strcat(id, json_string_value(json_object_get(rec, t->natkey[i])));
	}
	if (!record_id_valid(id)) {
		int err = err_set(C2C_EINVALID, _("%s: key '%s' is not a valid id"), t->name, id);
		free(id);
		return err;
	}
	*out = id;
	return 0;
}

/* ID's bucket: the two hex digits of the first byte of its SHA-256, into
 * B[0] and B[1] (the path's two directories). OpenSSL 3's one-shot
 * SHA256() looks the algorithm up, under a lock, at every call; this
 * fetches it once (a first sync parses 200,000 paths, on several threads). */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void sha256_fetch(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

static void bucket(const char *id, char b[2])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int l = 0;
	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md || EVP_Digest(id, strlen(id), h, &l, sha256_md, NULL) != 1 || l < 1)
		SHA256((const unsigned char *)id, strlen(id), h);
	b[0] = hex[h[0] >> 4];
	b[1] = hex[h[0] & 15];
}

int record_path(const table_def *t, const char *city, const char *id, char **out)
{
	size_t cap = strlen(id) + strlen(t->name) + (city ? strlen(city) : 0) + 40;
	*out = NULL;
	if (t->city_scope && (!city || !record_id_valid(city)))
		return err_set(C2C_EINVALID, _("%s/%s: city '%s' is not a valid city slug"), t->name, id,
		               city ? city : "");
	char bk[2];
	bucket(id, bk);
	char *p = malloc(cap);
	if (!p)
		return ERR_OOM();
	if (t->city_scope)
		snprintf(p, cap, "cities/%s/%s/%c/%c/%s.json", city, t->name, bk[0], bk[1], id);
	else
		snprintf(p, cap, "network/%s/%c/%c/%s.json", t->name, bk[0], bk[1], id);
	*out = p;
	return 0;
}

int record_parse_path(const char *path, char table[64], char id[RECORD_ID_MAX + 1], char city[RECORD_ID_MAX + 1])
{
	char parts[7][RECORD_ID_MAX + 8];
	int np = 0;
	const char *p = path;
	while (*p && np < 7) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || l >= sizeof(parts[0]))
			return err_set(C2C_EINVALID, _("%s: not a record path"), path);
		memcpy(parts[np], p, l);
		parts[np++][l] = '\0';
		p += l + (e ? 1 : 0);
		if (!e)
			break;
	}
	int city_scope = np == 6 && !strcmp(parts[0], "cities");
	if (*p || !(city_scope || (np == 5 && !strcmp(parts[0], "network"))))
		return err_set(C2C_EINVALID, _("%s: not a record path"), path);
	const char *tbl = parts[city_scope ? 2 : 1], *file = parts[np - 1];
	size_t fl = strlen(file);
	if (fl <= 5 || fl - 5 > RECORD_ID_MAX || strcmp(file + fl - 5, ".json") || strlen(tbl) >= 64 ||
	    !record_id_valid(tbl) || (city_scope && strlen(parts[1]) > RECORD_ID_MAX) || path[strlen(path) - 1] == '/')
		return err_set(C2C_EINVALID, _("%s: not a record file"), path);
	strcpy(table, tbl);
	memcpy(id, file, fl - 5);
	id[fl - 5] = '\0';
	strcpy(city, city_scope ? parts[1] : "");
	if (!record_id_valid(id) || (city_scope && !record_id_valid(city)))
		return err_set(C2C_EINVALID, _("%s: not a valid record id"), path);
	char bk[2];
	bucket(id, bk);
	const char *a = parts[np - 3], *b = parts[np - 2];
	if (a[0] != bk[0] || a[1] || b[0] != bk[1] || b[1])
		return err_set(C2C_EINVALID, _("%s: record is in the wrong bucket"), path);
	return 0;
}

static int in_list(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static int valid_date(const char *s, int with_day)
{
	int y, m, d = 1;
	char tail;
	size_t n = strlen(s);
	if (with_day ? n != 10 : n != 7)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	if (with_day ? sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3
	             : sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2)
		return 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

/* SDG target codes: the 169 targets of the 2030 Agenda, "10.7" or "16.b".
 * Per goal, how many numbered targets and how many lettered ones. */
static const unsigned char sdg_numbered[18] = {0, 5, 5, 9, 7, 6, 6, 3, 10, 5, 7, 7, 8, 3, 7, 9, 10, 19};
static const unsigned char sdg_lettered[18] = {0, 2, 3, 4, 3, 3, 2, 2, 2, 3, 3, 3, 3, 2, 3, 3, 2, 0};

void record_sdg_goal(int goal, int *numbered, int *lettered)
{
	int ok = goal >= 1 && goal <= 17;
	*numbered = ok ? sdg_numbered[goal] : 0;
	*lettered = ok ? sdg_lettered[goal] : 0;
}

static int valid_sdg_target(const char *s)
{
	int g = 0, k = 0;
	const char *p = s;
	while (isdigit((unsigned char)*p) && g < 100)
		g = g * 10 + (*p++ - '0');
	if (p == s || s[0] == '0' || *p != '.' || g < 1 || g > 17)
		return 0;
	p++;
	if (islower((unsigned char)p[0]) && !p[1])
		return p[0] - 'a' < sdg_lettered[g];
	const char *q = p;
	while (isdigit((unsigned char)*q) && k < 100)
		k = k * 10 + (*q++ - '0');
	return q != p && !*q && p[0] != '0' && k >= 1 && k <= sdg_numbered[g];
}

static int check_one(store *st, const table_def *t, const field_def *f, field_type type, const char *s)
{
	if (!*s)
		return err_set(C2C_EINVALID, _("%s.%s: empty value in a set"), t->name, f->name);
	switch (type) {
	case FT_ENUM:
		if (!in_list(f->allowed, f->nallowed, s)) {
			char allowed[1024];
			size_t m = 0;
			allowed[0] = '\0';
			for (size_t k = 0; k < f->nallowed && m < sizeof(allowed); k++)
				m += (size_t)snprintf(allowed + m, sizeof(allowed) - m, "%s%s", k ? ", " : "", f->allowed[k]);
			err_set(C2C_EINVALID, _("%s.%s: '%s' is not an allowed value"), t->name, f->name, s);
			return err_hint(_("allowed: %s (see 'c2c tables %s')"), allowed, t->name);
		}
		return 0;
	case FT_DATE:
	case FT_MONTH:
		if (!valid_date(s, type == FT_DATE))
			return err_set(C2C_EINVALID, _("%s.%s: '%s' is not a date (%s)"), t->name, f->name, s,
			               type == FT_DATE ? "YYYY-MM-DD" : "YYYY-MM");
		return 0;
	case FT_REF:
		if (!record_id_valid(s))
			return err_set(C2C_EINVALID, _("%s.%s: '%s' is not a valid id"), t->name, f->name, s);
		if (st && f->ref && !store_row_exists(st, f->ref, s)) {
			err_set(C2C_EINVALID, _("%s.%s: no %s record '%s'"), t->name, f->name, f->ref, s);
			return err_hint(_("run 'c2c ls %s' to see the ids"), f->ref);
		}
		return 0;
	default:
		return 0;
	}
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

int record_parse_value(store *st, const table_def *t, const field_def *f, const char *text, json_t **out)
{
	int err;
	*out = NULL;
	if (!canon_utf8_valid(text, strlen(text)))
		return err_set(C2C_EINVALID, _("%s.%s: value is not valid UTF-8"), t->name, f->name);
	if (!*text) {
		if (f->required)
			return err_set(C2C_EINVALID, _("%s.%s is required and cannot be empty"), t->name, f->name);
		*out = json_null();
		return 0;
	}
	if (f->type == FT_INT) {
		char *end;
		errno = 0;
		long long v = strtoll(text, &end, 10);
		if (errno || *end || end == text || isspace((unsigned char)text[0]) || text[0] == '+' ||
		    (text[0] == '0' && text[1]) || (text[0] == '-' && text[1] == '0'))
			return err_set(C2C_EINVALID, _("%s.%s: '%s' is not an integer"), t->name, f->name, text);
		if (f->has_min && v < f->min)
			return err_set(C2C_EINVALID, _("%s.%s: %lld is below the least allowed value %lld"), t->name,
			               f->name, v, f->min);
		*out = json_integer(v);
		return 0;
	}
	if (f->type != FT_SET) {
		if ((err = check_one(st, t, f, f->type, text)) < 0)
			return err;
		if (!(*out = json_string(text)))
			return ERR_OOM();
		return 0;
	}
	/* A set: comma-separated elements, trimmed, sorted by bytes, unique. */
	json_t *arr = json_array();
	char *copy = strdup(text), *save = NULL;
	if (!arr || !copy) {
		json_decref(arr);
		free(copy);
		return ERR_OOM();
	}
	field_type et = f->elem == EL_ENUM ? FT_ENUM : f->elem == EL_REF ? FT_REF : FT_TEXT;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		size_t n = strlen(tok);
		while (n && isspace((unsigned char)tok[n - 1]))
			tok[--n] = '\0';
		if (f->elem == EL_SDG_TARGET && !valid_sdg_target(tok)) {
			err = err_set(C2C_EINVALID, _("%s.%s: '%s' is not an SDG target code (like 10.7)"), t->name,
			              f->name, tok);
			goto fail;
		}
		if ((err = check_one(st, t, f, et, tok)) < 0)
			goto fail;
		json_array_append_new(arr, json_string(tok));
	}
	size_t n = json_array_size(arr);
	if (n > 1) {
		json_t **items = malloc(n * sizeof(*items));
		if (!items) {
			err = ERR_OOM();
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			items[i] = json_incref(json_array_get(arr, i));
		qsort(items, n, sizeof(*items), cmp_json_str);
		json_array_clear(arr);
		for (size_t i = 0; i < n; i++) {
			size_t k = json_array_size(arr);
			if (k && !strcmp(json_string_value(items[i]), json_string_value(json_array_get(arr, k - 1))))
				json_decref(items[i]);
			else
				json_array_append_new(arr, items[i]);
		}
		free(items);
	}
	free(copy);
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		*out = json_null();
		return 0;
	}
	*out = arr;
	return 0;
fail:
	free(copy);
	json_decref(arr);
	return err;
}

char *record_value_text(const json_t *v)
{
	char num[32];
	if (!v || json_is_null(v))
		return strdup("");
	if (json_is_string(v))
		return strndup(json_string_value(v), json_string_length(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(num);
	}
	if (json_is_array(v)) {
		size_t len = 1;
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *x = json_array_get(v, i);
			len += (json_is_string(x) ? json_string_length(x) : 32) + 1;
		}
		char *s = calloc(1, len);
		if (!s)
			return NULL;
		for (size_t i = 0; i < json_array_size(v); i++) {
			char *e = record_value_text(json_array_get(v, i));
			if (i)
				strcat(s, ",");
			if (e)
				strncat(s, e, len - strlen(s) - 1);
			free(e);
		}
		return s;
	}
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

int record_check_required(const table_def *t, const json_t *rec, const char *id)
{
	for (size_t i = 0; i < t->nfields; i++) {
		json_t *v = json_object_get(rec, t->fields[i].name);
		if (t->fields[i].required && (!v || json_is_null(v))) {
			err_set(C2C_EINVALID, _("%s/%s: field %s is required"), t->name, id, t->fields[i].name);
			return err_hint(_("give it as %s=VALUE"), t->fields[i].name);
		}
	}
	return 0;
}

json_t *record_meta(json_t *rec)
{
	json_t *m = json_object_get(rec, "_c2c");
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(rec, "_c2c", m);
	}
	return m;
}

long long record_begin_edit(json_t *rec, const char *node)
{
	json_t *m = record_meta(rec);
	json_t *clock = json_object_get(m, "clock");
	if (!json_is_object(clock)) {
		clock = json_object();
		json_object_set_new(m, "clock", clock);
	}
	long long c = json_integer_value(json_object_get(clock, node));
	if (c < 0 || c >= RECORD_CLOCK_MAX)
		return err_set(C2C_EINVALID, _("the record's counter for node %s is at its bound (%lld)"), node,
		               RECORD_CLOCK_MAX);
	json_object_set_new(clock, node, json_integer(++c));
	return c;
}

void record_stamp(json_t *rec, const char *field, const char *node, long long counter, long long lamport)
{
	json_t *m = record_meta(rec);
	json_t *dots = json_object_get(m, "dots");
	if (!json_is_object(dots)) {
		dots = json_object();
		json_object_set_new(m, "dots", dots);
	}
	json_object_set_new(dots, field, json_pack("[sII]", node, (json_int_t)counter, (json_int_t)lamport));
}

static void max_at(long long *m, const json_t *entry, size_t idx)
{
	long long v = json_integer_value(json_array_get(entry, idx));
	if (v > *m)
		*m = v;
}

/* The highest Lamport time in a record's bookkeeping, so that this node's
 * next edits come after everything it has seen. */
long long record_max_lamport(const json_t *rec)
{
	json_t *meta = json_object_get(rec, "_c2c"), *d, *x;
	const char *k, *e;
	long long m = 0;
	json_object_foreach(json_object_get(meta, "dots"), k, d) max_at(&m, d, 2);
	json_object_foreach(json_object_get(meta, "conflicts"), k, d)
	{
		for (size_t i = 0; i < json_array_size(d); i++)
			max_at(&m, json_array_get(d, i), 3);
	}
	json_object_foreach(json_object_get(meta, "elems"), k, d)
	{
		json_object_foreach(d, e, x)
		{
			for (size_t i = 0; i < json_array_size(x); i++)
				max_at(&m, json_array_get(x, i), 2);
		}
	}
	d = json_object_get(meta, "deleted");
	for (size_t i = 0; i < json_array_size(d); i++)
		max_at(&m, json_array_get(d, i), 2);
	return m;
}
