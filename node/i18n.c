/* i18n: .po catalogs embedded at build time, read once into sorted tables. */
#include "c2c/i18n.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const i18n_langs[] = {"en", "fr", "es", "ar", NULL};

typedef struct {
	char *key; /* ctx "\x04" msgid, as gettext's .mo files join them */
	char *str;
} entry;

typedef struct {
	entry *e;
	size_t n, cap;
} catalog_table;

static catalog_table tables[4];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int lang_index(const char *lang)
{
	for (int i = 0; i18n_langs[i]; i++)
		if (lang && !strcmp(lang, i18n_langs[i]))
			return i;
	return -1;
}

/* Append the C-quoted string at *p (after the opening quote) to buf;
 * returns 0, -1 on a malformed string. *p ends after the closing quote. */
static int unquote(const char **p, char **buf, size_t *len, size_t *cap)
{
	const char *s = *p;
	while (*s && *s != '"' && *s != '\n') {
		char c = *s++;
		if (c == '\\') {
			switch (*s++) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			default: return -1;
			}
		}
		if (*len + 2 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			char *nb = realloc(*buf, ncap);
			if (!nb)
				return -1;
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[(*len)++] = c;
		(*buf)[*len] = '\0';
	}
	if (*s != '"')
		return -1;
	*p = s + 1;
	return 0;
}

typedef void (*entry_fn)(void *arg, const char *ctx, const char *id, const char *str);

/* Walk a .po text, calling fn for each complete entry with a non-empty
 * msgid and msgstr. Returns 0 or -1 with *lineno at the fault. */
static int parse(const char *text, entry_fn fn, void *arg, unsigned *lineno)
{
	char *part[3] = {NULL, NULL, NULL}; /* ctx, id, str */
	size_t len[3] = {0, 0, 0}, cap[3] = {0, 0, 0};
	int have[3] = {0, 0, 0}, cur = -1, rc = 0;
	unsigned line = 0;
	const char *p = text;
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		line++;
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		int kw = -1;
		if (!n || *p == '#' || !*p) {
			kw = -2; /* blank or comment: ends nothing by itself */
		} else if (!strncmp(p, "msgctxt ", 8)) {
			kw = 0, p += 8;
		} else if (!strncmp(p, "msgid ", 6)) {
			kw = 1, p += 6;
		} else if (!strncmp(p, "msgstr ", 7)) {
			kw = 2, p += 7;
		} else if (*p == '"') {
			if (cur < 0)
				goto bad;
			p++;
			if (unquote(&p, &part[cur], &len[cur], &cap[cur]) < 0)
				goto bad;
		} else {
			goto bad;
		}
		if (kw >= 0) {
			/* A msgctxt or msgid after a msgstr starts the next entry. */
			if (kw < 2 && have[2]) {
				if (have[1] && len[1] && len[2])
					fn(arg, have[0] ? part[0] : NULL, part[1], part[2]);
				memset(have, 0, sizeof have);
				len[0] = len[1] = len[2] = 0;
				for (int i = 0; i < 3; i++)
					if (part[i])
						part[i][0] = '\0';
			}
			if (have[kw] || (kw == 2 && !have[1]))
				goto bad;
			have[kw] = 1;
			cur = kw;
			while (*p == ' ')
				p++;
			if (*p++ != '"' || unquote(&p, &part[kw], &len[kw], &cap[kw]) < 0)
				goto bad;
			if (!part[kw] && !(part[kw] = calloc(1, 1)))
				goto bad;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	if (have[2] && have[1] && len[1] && len[2])
		fn(arg, have[0] ? part[0] : NULL, part[1], part[2]);
	else if ((have[0] || have[1]) && !have[2])
		goto bad;
	goto done;
bad:
	rc = -1;
	if (lineno)
		*lineno = line;
done:
	for (int i = 0; i < 3; i++)
		free(part[i]);
	return rc;
}

static char *join_key(const char *ctx, const char *id)
{
	size_t lc = ctx ? strlen(ctx) + 1 : 0, li = strlen(id);
	char *k = malloc(lc + li + 1);
	if (!k)
		return NULL;
	if (ctx) {
		memcpy(k, ctx, lc - 1);
		k[lc - 1] = '\x04';
	}
	memcpy(k + lc, id, li + 1);
	return k;
}

static void add_entry(void *arg, const char *ctx, const char *id, const char *str)
{
	catalog_table *t = arg;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		entry *ne = realloc(t->e, ncap * sizeof *ne);
		if (!ne)
			return; /* out of memory: that entry stays untranslated */
		t->e = ne;
		t->cap = ncap;
	}
	char *k = join_key(ctx, id), *s = strdup(str);
	if (!k || !s) {
		free(k);
		free(s);
		return;
	}
	t->e[t->n].key = k;
	t->e[t->n].str = s;
	t->n++;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

static void load(void)
{
	for (unsigned i = 0; i < i18n_ncatalogs; i++) {
		int li = lang_index(i18n_catalogs[i].lang);
		if (li >= 0)
			parse(i18n_catalogs[i].text, add_entry, &tables[li], NULL);
	}
	for (int li = 0; li < 4; li++) {
		catalog_table *t = &tables[li];
		qsort(t->e, t->n, sizeof *t->e, cmp_entry);
		/* A later duplicate is dropped: the first catalog in file order wins. */
		size_t w = 0;
		for (size_t r = 0; r < t->n; r++) {
			if (w && !strcmp(t->e[w - 1].key, t->e[r].key)) {
				free(t->e[r].key);
				free(t->e[r].str);
				continue;
			}
			t->e[w++] = t->e[r];
		}
		t->n = w;
	}
}

static const char *lookup(const char *lang, const char *ctx, const char *msgid)
{
	int li = lang_index(lang);
	if (li < 0 || !msgid)
		return NULL;
	pthread_once(&once, load);
	const catalog_table *t = &tables[li];
	char stack[256], *key = stack;
	size_t lc = ctx ? strlen(ctx) + 1 : 0, li2 = strlen(msgid);
	if (lc + li2 + 1 > sizeof stack && !(key = malloc(lc + li2 + 1)))
		return NULL;
	if (ctx) {
		memcpy(key, ctx, lc - 1);
		key[lc - 1] = '\x04';
	}
	memcpy(key + lc, msgid, li2 + 1);
	const char *found = NULL;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, t->e[mid].key);
		if (!c) {
			found = t->e[mid].str;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (key != stack)
		free(key);
	return found;
}

const char *i18n_tr(const char *lang, const char *ctx, const char *msgid)
{
	const char *s = lookup(lang, ctx, msgid);
	return s ? s : msgid;
}

static const char *tr2(const char *lang, const char *ctx, const char *a, const char *b, const char *dflt)
{
	char buf[256];
	const char *s = NULL;
	if (a && b && (size_t)snprintf(buf, sizeof buf, "%s.%s", a, b) < sizeof buf)
		s = lookup(lang, ctx, buf);
	return s ? s : dflt;
}

const char *i18n_table(const char *lang, const char *table)
{
	return i18n_tr(lang, "table", table);
}

const char *i18n_field(const char *lang, const char *table, const char *field)
{
	return tr2(lang, "field", table, field, i18n_tr(lang, "field", field));
}

const char *i18n_value(const char *lang, const char *table, const char *field, const char *value)
{
	char buf[256];
	const char *s = NULL;
	if (table && field && value &&
	    (size_t)snprintf(buf, sizeof buf, "%s.%s.%s", table, field, value) < sizeof buf)
		s = lookup(lang, "value", buf);
	return s ? s : tr2(lang, "value", field, value, value);
}

unsigned i18n_count(const char *lang)
{
	int li = lang_index(lang);
	if (li < 0)
		return 0;
	pthread_once(&once, load);
	return (unsigned)tables[li].n;
}

static void count_entry(void *arg, const char *ctx, const char *id, const char *str)
{
	(void)ctx, (void)id, (void)str;
	++*(unsigned *)arg;
}

int i18n_walk(const char *text, i18n_entry_fn fn, void *arg, unsigned *line)
{
	return parse(text, fn, arg, line);
}

int i18n_check(const char *text, unsigned *line)
{
	unsigned n = 0;
	return parse(text, count_entry, &n, line);
}

const char *i18n_lang(const char *tag)
{
	if (!tag || strlen(tag) < 2)
		return NULL;
	for (int i = 0; i18n_langs[i]; i++)
		if ((tag[0] | 0x20) == i18n_langs[i][0] && (tag[1] | 0x20) == i18n_langs[i][1] &&
		    (!tag[2] || strchr("_-.@", tag[2])))
			return i18n_langs[i];
	return NULL;
}

const char *i18n_accept(const char *h)
{
	const char *best = NULL;
	double bestq = 0;
	while (h && *h) {
		while (*h == ' ' || *h == ',')
			h++;
		const char *end = strchr(h, ',');
		size_t n = end ? (size_t)(end - h) : strlen(h);
		char tag[32];
		size_t tn = strcspn(h, ";,");
		if (tn > n)
			tn = n;
		if (tn && tn < sizeof tag) {
			memcpy(tag, h, tn);
			tag[tn] = '\0';
			while (tn && tag[tn - 1] == ' ')
				tag[--tn] = '\0';
			double q = 1.0;
			const char *qp = memchr(h, ';', n);
			if (qp) {
				const char *qq = strstr(qp, "q=");
				if (qq && qq < h + n)
					q = strtod(qq + 2, NULL);
			}
			const char *l = i18n_lang(tag);
			if (l && q > bestq) {
				best = l;
				bestq = q;
			}
		}
		if (!end)
			break;
		h = end + 1;
	}
	return best ? best : "en";
}

const char *i18n_env(void)
{
	const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"}, *loc = NULL;
	for (int i = 0; i < 3 && !loc; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			loc = v;
	}
	if (!loc || !strcmp(loc, "C") || !strcmp(loc, "POSIX"))
		return "en";
	/* LANGUAGE: a priority list, "fr_CA:fr:en"; the first of ours wins. */
	const char *list = getenv("LANGUAGE");
	while (list && *list) {
		char tag[64];
		size_t n = strcspn(list, ":");
		if (n && n < sizeof tag) {
			memcpy(tag, list, n);
			tag[n] = '\0';
			if (i18n_lang(tag))
				return i18n_lang(tag);
		}
		list += n;
		if (*list == ':')
			list++;
	}
	return i18n_lang(loc) ? i18n_lang(loc) : "en";
}

static _Thread_local const char *msg_lang;

void i18n_set_msg_lang(const char *lang)
{
	msg_lang = lang_index(lang) >= 0 ? i18n_langs[lang_index(lang)] : NULL;
}

const char *i18n_msg_lang(void)
{
	return msg_lang ? msg_lang : "en";
}

const char *i18n_msg(const char *msgid)
{
	return msg_lang && strcmp(msg_lang, "en") ? i18n_tr(msg_lang, "cli", msgid) : msgid;
}

int i18n_rtl(const char *lang)
{
	return lang && !strcmp(lang, "ar");
}
