#include "c2c/canon.h"

#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/util.h"

static _Thread_local int json_alloc_failed;

static void *json_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		json_alloc_failed = 1;
	return p;
}

void canon_hook_alloc(void)
{
	json_set_alloc_funcs(json_alloc, free);
}

void canon_alloc_reset(void)
{
	json_alloc_failed = 0;
}

int canon_alloc_failed(void)
{
	return json_alloc_failed;
}

/* The text being written; or, with CMP set, the text being compared
 * against CMP[0..cmplen) without being written (canon_parse): DIFFERS is
 * then set at the first byte that differs, DIFF its offset. */
typedef struct {
	char *p;
	size_t len, cap;
	int bad;
	const char *cmp;
	size_t cmplen, diff;
	int differs;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->cmp) {
		for (size_t i = 0; i < n && !b->differs; i++)
			if (b->len + i >= b->cmplen || b->cmp[b->len + i] != s[i])
				b->differs = 1, b->diff = b->len + i;
		b->len += n;
		return;
	}
	if (n >= (size_t)-1 - b->len || util_grow((void **)&b->p, &b->cap, b->len + n + 1, 1) < 0) {
		b->bad = C2C_ENOMEM;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

int canon_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07;
		} else {
			return 0;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static void put_string(sbuf *b, const char *s, size_t n)
{
	if (!canon_utf8_valid(s, n)) {
		b->bad = C2C_EINVALID;
		return;
	}
	put(b, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char tmp[8];
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\t')
			esc = "\\t";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\b')
			esc = "\\b";
		else if (c == '\f')
			esc = "\\f";
		else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[c >> 4];
			tmp[5] = hex[c & 15];
			tmp[6] = 0;
			esc = tmp;
		}
		if (esc) {
			put(b, s + start, i - start);
			puts_(b, esc);
			start = i + 1;
		}
	}
	put(b, s + start, n - start);
	put(b, "\"", 1);
}

/* A key of an object and its value, sorted by the key's bytes. */
typedef struct {
	const char *k;
	const json_t *v;
} kv;

static int kvcmp(const void *a, const void *b)
{
	return strcmp(((const kv *)a)->k, ((const kv *)b)->k);
}

static void put_value(sbuf *b, const json_t *v, int depth, int inline_only);

static void put_indent(sbuf *b, int depth)
{
	static const char sp[] = "                                ";
	size_t n = 2 * (size_t)depth;
	for (; n > sizeof(sp) - 1; n -= sizeof(sp) - 1)
		put(b, sp, sizeof(sp) - 1);
	put(b, sp, n);
}

static void put_object(sbuf *b, const json_t *v, int depth, int inline_only)
{
	size_t n = json_object_size(v), i = 0;
	kv small[16], *keys = small;
	if (n == 0) {
		put(b, "{}", 2);
		return;
	}
	if (n > sizeof(small) / sizeof(small[0]) && !(keys = malloc(n * sizeof(*keys)))) {
		b->bad = C2C_ENOMEM;
		return;
	}
	void *it;
	for (it = json_object_iter((json_t *)v); it && i < n; it = json_object_iter_next((json_t *)v, it)) {
		const char *k = json_object_iter_key(it);
		if (json_object_iter_key_len(it) != strlen(k)) {
			b->bad = C2C_EINVALID; /* a key holding NUL */
			goto done;
		}
		keys[i].k = k;
		keys[i++].v = json_object_iter_value(it);
	}
	n = i;
	if (n > 8) {
		qsort(keys, n, sizeof(*keys), kvcmp);
	} else { /* a record's objects are small: no call per comparison */
		for (size_t a = 1; a < n; a++) {
			kv x = keys[a];
			size_t c = a;
			for (; c > 0 && strcmp(keys[c - 1].k, x.k) > 0; c--)
				keys[c] = keys[c - 1];
			keys[c] = x;
		}
	}
	put(b, inline_only ? "{" : "{\n", inline_only ? 1 : 2);
	for (i = 0; i < n; i++) {
		if (!inline_only)
			put_indent(b, depth + 1);
		put_string(b, keys[i].k, strlen(keys[i].k));
		put(b, ": ", 2);
		put_value(b, keys[i].v, depth + 1, inline_only);
		if (i + 1 < n)
			put(b, inline_only ? ", " : ",\n", 2);
	}
	if (!inline_only) {
		put(b, "\n", 1);
		put_indent(b, depth);
	}
	put(b, "}", 1);
done:
	if (keys != small)
		free(keys);
}

/* An integer in decimal, as "%" JSON_INTEGER_FORMAT writes it. */
static void put_int(sbuf *b, json_int_t x)
{
	char num[32], *e = num + sizeof(num), *p = e;
	unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (x < 0)
		*--p = '-';
	put(b, p, (size_t)(e - p));
}

static void put_value(sbuf *b, const json_t *v, int depth, int inline_only)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_object(b, v, depth, inline_only);
		break;
	case JSON_ARRAY: {
		/* Arrays are one line, whatever they hold. */
		put(b, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				put(b, ", ", 2);
			put_value(b, json_array_get(v, i), depth, 1);
		}
		put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(b, json_integer_value(v));
		break;
	case JSON_TRUE:
		puts_(b, "true");
		break;
	case JSON_FALSE:
		puts_(b, "false");
		break;
	case JSON_NULL:
		puts_(b, "null");
		break;
	case JSON_REAL:
		b->bad = C2C_EINVALID;
		break;
	}
}

int canon_dump(const json_t *v, char **out, size_t *len)
{
	sbuf b = {0};
	*out = NULL;
	put_value(&b, v, 0, 0);
	put(&b, "\n", 1);
	if (b.bad) {
		free(b.p);
		if (b.bad == C2C_ENOMEM)
			return err_set(C2C_ENOMEM, "out of memory serializing a record");
		return err_set(C2C_EINVALID, "value cannot be written canonically (a real number or text that is not UTF-8)");
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
}

int canon_dump_line(const json_t *v, char **out, size_t *len)
{
	sbuf b = {0};
	*out = NULL;
	put_value(&b, v, 0, 1);
	if (b.bad) {
		free(b.p);
		return err_set(b.bad, b.bad == C2C_ENOMEM ? "out of memory serializing a value"
		                                          : "value cannot be written canonically");
	}
	*out = b.p ? b.p : strdup("");
	if (len)
		*len = b.len;
	return *out ? 0 : ERR_OOM();
}

int canon_load(const char *buf, size_t len, json_t **out)
{
	json_error_t e;
	canon_alloc_reset();
	*out = json_loadb(buf, len, 0, &e);
	if (!*out && (canon_alloc_failed() || json_error_code(&e) == json_error_out_of_memory ||
	              (e.line == -1 && !e.text[0])))
		return err_set(C2C_ENOMEM, "out of memory reading a record");
	return 0;
}

int canon_parse(const char *buf, size_t len, const char *what, json_t **out)
{
	json_error_t e;
	*out = NULL;
	canon_alloc_reset();
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	/* jansson sets no error when it cannot allocate its lexer (line -1 and
	 * no text), and a syntax error when it cannot allocate a string. */
	if (!v && (canon_alloc_failed() || json_error_code(&e) == json_error_out_of_memory ||
	           (e.line == -1 && !e.text[0])))
		return err_set(C2C_ENOMEM, "%s: out of memory reading a record", what);
	if (!v)
		return err_set(C2C_EINVALID, "%s: line %d: %s", what, e.line, e.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return err_set(C2C_EINVALID, "%s: a record must be a JSON object", what);
	}
	/* Written again, compared byte by byte as it goes: nothing allocated. */
	sbuf b = {NULL, 0, 0, 0, buf, len, 0, 0};
	put_value(&b, v, 0, 0);
	put(&b, "\n", 1);
	if (b.bad) {
		json_decref(v);
		if (b.bad == C2C_ENOMEM)
			return err_set(C2C_ENOMEM, "%s: out of memory serializing a record", what);
		return err_set(C2C_EINVALID,
		               "%s: value cannot be written canonically (a real number or text that is not UTF-8)", what);
	}
	if (!b.differs && b.len != len)
		b.differs = 1, b.diff = len < b.len ? len : b.len;
	if (b.differs) {
		size_t line = 1;
		for (size_t i = 0; i < b.diff && i < len; i++)
			if (buf[i] == '\n')
				line++;
		json_decref(v);
		return err_set(C2C_EINVALID, "%s: line %zu: not in canonical form", what, line);
	}
	*out = v;
	return 0;
}
