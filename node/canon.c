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

typedef struct {
	char *p;
	size_t len, cap;
	int bad;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
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

static int keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_value(sbuf *b, const json_t *v, int depth, int inline_only);

static void put_indent(sbuf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		put(b, "  ", 2);
}

static void put_object(sbuf *b, const json_t *v, int depth, int inline_only)
{
	size_t n = json_object_size(v), i = 0;
	if (n == 0) {
		put(b, "{}", 2);
		return;
	}
	const char **keys = malloc(n * sizeof(*keys));
	if (!keys) {
		b->bad = C2C_ENOMEM;
		return;
	}
	const char *k;
	void *it;
	for (it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
		k = json_object_iter_key(it);
		if (json_object_iter_key_len(it) != strlen(k)) {
			free(keys);
			b->bad = C2C_EINVALID; /* a key holding NUL */
			return;
		}
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), keycmp);
	put(b, inline_only ? "{" : "{\n", inline_only ? 1 : 2);
	for (i = 0; i < n; i++) {
		if (!inline_only)
			put_indent(b, depth + 1);
		put_string(b, keys[i], strlen(keys[i]));
		put(b, ": ", 2);
		put_value(b, json_object_get(v, keys[i]), depth + 1, inline_only);
		if (i + 1 < n)
			put(b, inline_only ? ", " : ",\n", 2);
	}
	if (!inline_only) {
		put(b, "\n", 1);
		put_indent(b, depth);
	}
	put(b, "}", 1);
	free(keys);
}

static void put_value(sbuf *b, const json_t *v, int depth, int inline_only)
{
	char num[32];
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
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		puts_(b, num);
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
	char *again = NULL;
	size_t alen = 0;
	int err;
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
	if ((err = canon_dump(v, &again, &alen)) < 0) {
		json_decref(v);
		return err_prefix("%s: ", what);
	}
	if (alen != len || memcmp(again, buf, len)) {
		size_t i = 0, line = 1;
		while (i < len && i < alen && again[i] == buf[i])
			if (buf[i++] == '\n')
				line++;
		free(again);
		json_decref(v);
		return err_set(C2C_EINVALID, "%s: line %zu: not in canonical form", what, line);
	}
	free(again);
	*out = v;
	return 0;
}
