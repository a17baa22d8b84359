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

/* ------------------------------------------------------------------
 * The direct reader: canonical text read in one pass into values, without
 * jansson's lexer and without writing the value again to compare. It
 * accepts only text that canon_parse_general accepts, giving the same
 * value (keys inserted in the same order); anything else, and anything it
 * does not read (a key with an escape, a \u escape that is not a control
 * character's, nesting past FAST_MAX_DEPTH, a failed allocation), it
 * leaves to canon_parse_general, which says what is wrong. */

#define FAST_MAX_DEPTH 64

typedef struct {
	const char *p, *end;
	char *buf; /* a string's bytes when it held escapes */
	size_t cap;
} fast;

static int fast_lit(fast *f, const char *s, size_t n)
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, s, n))
		return 0;
	f->p += n;
	return 1;
}

static int fast_indent(fast *f, int depth)
{
	size_t n = 2 * (size_t)depth;
	if ((size_t)(f->end - f->p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (f->p[i] != ' ')
			return 0;
	f->p += n;
	return 1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The escape at Q (after its backslash) as put_string writes it: the byte
 * it stands for, and its length in *N; -1 if put_string would not write
 * it so. */
static int fast_escape(const char *q, const char *end, size_t *n)
{
	*n = 1;
	if (q >= end)
		return -1;
	switch (*q) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'u': {
		if (end - q < 5 || q[1] != '0' || q[2] != '0')
			return -1;
		int hi = hexval(q[3]), lo = hexval(q[4]), c = hi * 16 + lo;
		/* Only a control character put_string has no short form for;
		 * not NUL, which a record's text never holds. */
		if (hi < 0 || lo < 0 || c == 0 || c >= 0x20 || c == '\n' || c == '\t' || c == '\r' || c == '\b' ||
		    c == '\f')
			return -1;
		*n = 5;
		return c;
	}
	default:
		return -1;
	}
}

/* The string whose opening quote was just read, up to and past its
 * closing one: *S, *N its bytes (in the input, or in f->buf when it held
 * escapes: valid until the next string). KEY: refuse escapes. */
static int fast_string(fast *f, const char **s, size_t *n, int key)
{
	const char *q = f->p, *start = q;
	int esc = 0;
	for (;; q++) {
		if (q == f->end)
			return 0;
		unsigned char c = (unsigned char)*q;
		if (c == '"')
			break;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			size_t el;
			if (key || fast_escape(q + 1, f->end, &el) < 0)
				return 0;
			esc = 1;
			q += el;
		}
	}
	f->p = q + 1;
	if (!esc) {
		*s = start, *n = (size_t)(q - start);
		return canon_utf8_valid(*s, *n);
	}
	if ((size_t)(q - start) > f->cap) {
		char *nb = realloc(f->buf, (size_t)(q - start));
		if (!nb)
			return 0;
		f->buf = nb, f->cap = (size_t)(q - start);
	}
	size_t o = 0;
	for (const char *r = start; r < q; r++) {
		if (*r != '\\') {
			f->buf[o++] = *r;
			continue;
		}
		size_t el;
		f->buf[o++] = (char)fast_escape(r + 1, q, &el);
		r += el;
	}
	*s = f->buf, *n = o;
	return canon_utf8_valid(*s, *n);
}

/* An integer as put_int writes it, in json_int_t's range. */
static json_t *fast_int(fast *f)
{
	const char *q = f->p;
	int neg = q < f->end && *q == '-';
	unsigned long long u = 0, lim = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
	q += neg;
	if (q == f->end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0') {
		if (neg || (q + 1 < f->end && q[1] >= '0' && q[1] <= '9'))
			return NULL; /* "-0", "01" */
		q++;
	} else {
		for (; q < f->end && *q >= '0' && *q <= '9'; q++) {
			unsigned d = (unsigned)(*q - '0');
			if (u > (lim - d) / 10)
				return NULL;
			u = u * 10 + d;
		}
	}
	f->p = q;
	return json_integer(neg ? (u ? -(json_int_t)(u - 1) - 1 : 0) : (json_int_t)u);
}

static json_t *fast_value(fast *f, int depth, int inl, int nest);

static json_t *fast_object(fast *f, int depth, int inl, int nest)
{
	const char *prev = NULL;
	size_t prevn = 0;
	json_t *o = json_object();
	if (!o)
		return NULL;
	f->p++; /* '{' */
	if (fast_lit(f, "}", 1))
		return o;
	if (!inl && !fast_lit(f, "\n", 1))
		goto fail;
	for (;;) {
		const char *k;
		size_t kn;
		if ((!inl && !fast_indent(f, depth + 1)) || !fast_lit(f, "\"", 1) || !fast_string(f, &k, &kn, 1))
			goto fail;
		if (prev) { /* sorted by the keys' bytes, each once */
			int c = memcmp(prev, k, prevn < kn ? prevn : kn);
			if (c > 0 || (c == 0 && prevn >= kn))
				goto fail;
		}
		prev = k, prevn = kn;
		json_t *v;
		if (!fast_lit(f, ": ", 2) || !(v = fast_value(f, depth + 1, inl, nest)) ||
		    json_object_setn_new_nocheck(o, k, kn, v) < 0)
			goto fail;
		if (fast_lit(f, inl ? ", " : ",\n", 2))
			continue;
		if (inl ? fast_lit(f, "}", 1) : fast_lit(f, "\n", 1) && fast_indent(f, depth) && fast_lit(f, "}", 1))
			return o;
		goto fail;
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *fast_value(fast *f, int depth, int inl, int nest)
{
	if (f->p == f->end)
		return NULL;
	switch (*f->p) {
	case '{':
		return nest < FAST_MAX_DEPTH ? fast_object(f, depth, inl, nest + 1) : NULL;
	case '[': {
		if (nest >= FAST_MAX_DEPTH)
			return NULL;
		json_t *a = json_array(), *v;
		if (!a)
			return NULL;
		f->p++;
		if (fast_lit(f, "]", 1))
			return a;
		for (;;) {
			if (!(v = fast_value(f, depth, 1, nest + 1)) || json_array_append_new(a, v) < 0)
				break;
			if (fast_lit(f, ", ", 2))
				continue;
			if (fast_lit(f, "]", 1))
				return a;
			break;
		}
		json_decref(a);
		return NULL;
	}
	case '"': {
		const char *s;
		size_t n;
		f->p++;
		return fast_string(f, &s, &n, 0) ? json_stringn_nocheck(s, n) : NULL;
	}
	case 't':
		return fast_lit(f, "true", 4) ? json_true() : NULL;
	case 'f':
		return fast_lit(f, "false", 5) ? json_false() : NULL;
	case 'n':
		return fast_lit(f, "null", 4) ? json_null() : NULL;
	default:
		return fast_int(f);
	}
}

json_t *canon_read(const char *buf, size_t len)
{
	fast f = {buf, buf + len, NULL, 0};
	json_t *v = NULL;
	if (len && *buf == '{' && (v = fast_object(&f, 0, 0, 1)) && !(fast_lit(&f, "\n", 1) && f.p == f.end)) {
		json_decref(v);
		v = NULL;
	}
	free(f.buf);
	return v;
}

int canon_parse(const char *buf, size_t len, const char *what, json_t **out)
{
	if ((*out = canon_read(buf, len)))
		return 0;
	return canon_parse_general(buf, len, what, out);
}

int canon_parse_general(const char *buf, size_t len, const char *what, json_t **out)
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
