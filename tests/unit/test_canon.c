/* Unit tests of the canonical record text (SPEC 4, include/c2c/canon.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"

/* Dump V (stealing the reference) and compare with EXPECT. */
static void dump_is(json_t *v, const char *expect)
{
	char *out = NULL;
	size_t len = 0;
	int rc = canon_dump(v, &out, &len);
	if (rc != 0)
		fail_msg("canon_dump -> %d: %s", rc, err_msg());
	assert_non_null(out);
	assert_string_equal(out, expect);
	assert_int_equal(len, strlen(expect));
	free(out);
	json_decref(v);
}

/* Dump V (stealing the reference): must be refused with C2C_EINVALID. */
static void dump_refused(json_t *v)
{
	char *out = (char *)"sentinel";
	int rc = canon_dump(v, &out, NULL);
	if (rc != C2C_EINVALID)
		fail_msg("canon_dump accepted (rc %d), gave: %s", rc, rc == 0 && out ? out : "(nothing)");
	assert_null(out);
	json_decref(v);
}

/* Parse TEXT (LEN bytes): must be refused with C2C_EINVALID. */
static void parse_refused_n(const char *text, size_t len)
{
	json_t *v = (json_t *)1;
	int rc = canon_parse(text, len, "x.json", &v);
	if (rc != C2C_EINVALID) {
		char *s = v && v != (json_t *)1 ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
		fail_msg("canon_parse accepted (rc %d) %s -> %s", rc, text, s ? s : "");
	}
	assert_null(v);
	assert_non_null(strstr(err_msg(), "x.json"));
	assert_null(canon_read(text, len)); /* the direct reader refuses it too */
}

static void parse_refused(const char *text) { parse_refused_n(text, strlen(text)); }

/* A and B (equal values) list their objects' keys in the same order. */
static void same_order(const json_t *a, const json_t *b)
{
	if (json_is_array(a)) {
		for (size_t i = 0; i < json_array_size(a); i++)
			same_order(json_array_get(a, i), json_array_get(b, i));
		return;
	}
	if (!json_is_object(a))
		return;
	void *i = json_object_iter((json_t *)a), *j = json_object_iter((json_t *)b);
	for (; i && j; i = json_object_iter_next((json_t *)a, i), j = json_object_iter_next((json_t *)b, j)) {
		assert_string_equal(json_object_iter_key(i), json_object_iter_key(j));
		same_order(json_object_iter_value(i), json_object_iter_value(j));
	}
	assert_true(!i && !j);
}

static json_t *parse_ok(const char *text)
{
	json_t *v = NULL;
	int rc = canon_parse(text, strlen(text), "ok.json", &v);
	if (rc != 0)
		fail_msg("canon_parse refused canonical text -> %d: %s\n%s", rc, err_msg(), text);
	assert_non_null(v);
	/* The direct reader reads it, to the value jansson's parse gives, its
	 * keys in the same order. */
	json_t *r = canon_read(text, strlen(text)), *g = NULL;
	assert_non_null(r);
	assert_int_equal(canon_parse_general(text, strlen(text), "ok.json", &g), 0);
	assert_true(json_equal(r, g));
	same_order(r, g);
	json_decref(r);
	json_decref(g);
	return v;
}

/* ------------------------------------------------------------- canon_dump */

static void t_dump_nested(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:{s:[is], s:{}, s:{s:b, s:n}}, s:i, s:[], s:[[ii],[],{s:i,s:i}]}",
	                      "b", "y", 1, "x", "x", "z", "q", 1, "p", "a", 1, "c", "d", 1, 2, "n", 2, "m", 3);
	assert_non_null(v);
	dump_is(v, "{\n"
	           "  \"a\": 1,\n"
	           "  \"b\": {\n"
	           "    \"x\": {},\n"
	           "    \"y\": [1, \"x\"],\n"
	           "    \"z\": {\n"
	           "      \"p\": null,\n"
	           "      \"q\": true\n"
	           "    }\n"
	           "  },\n"
	           "  \"c\": [],\n"
	           "  \"d\": [[1, 2], [], {\"m\": 3, \"n\": 2}]\n"
	           "}\n");
}

static void t_dump_empty_and_scalars(void **state)
{
	(void)state;
	dump_is(json_object(), "{}\n");
	dump_is(json_pack("{s:b,s:b,s:n,s:s}", "t", 1, "f", 0, "n", "s", ""),
	        "{\n  \"f\": false,\n  \"n\": null,\n  \"s\": \"\",\n  \"t\": true\n}\n");
}

static void t_dump_arrays_one_line(void **state)
{
	(void)state;
	/* Arrays keep their order (sets are sorted by whoever builds them). */
	dump_is(json_pack("{s:[sss]}", "sdg_targets", "16.6", "10.7", "10.7"),
	        "{\n  \"sdg_targets\": [\"16.6\", \"10.7\", \"10.7\"]\n}\n");
	/* An object inside an array stays on the line, keys sorted. */
	dump_is(json_pack("{s:[{s:i,s:{s:i,s:i}}]}", "a", "z", 1, "b", "y", 2, "x", 3),
	        "{\n  \"a\": [{\"b\": {\"x\": 3, \"y\": 2}, \"z\": 1}]\n}\n");
}

static void t_dump_keys_sorted_by_bytes(void **state)
{
	(void)state;
	json_t *v = json_object();
	/* Inserted in an order that is not the byte order. */
	const char *keys[] = {"\xd8\xa7\xd8\xb3\xd9\x85", /* Arabic, 0xd8... */
	                      "\xc3\xa9t\xc3\xa9",        /* "été", 0xc3... */
	                      "b", "aa", "a", "_c2c", "Z", "A", "0", "a b"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		json_object_set_new(v, keys[i], json_integer((json_int_t)i));
	dump_is(v, "{\n"
	           "  \"0\": 8,\n"
	           "  \"A\": 7,\n"
	           "  \"Z\": 6,\n"
	           "  \"_c2c\": 5,\n"
	           "  \"a\": 4,\n"
	           "  \"a b\": 9,\n"
	           "  \"aa\": 3,\n"
	           "  \"b\": 2,\n"
	           "  \"\xc3\xa9t\xc3\xa9\": 1,\n"
	           "  \"\xd8\xa7\xd8\xb3\xd9\x85\": 0\n"
	           "}\n");
}

static void t_dump_string_escapes(void **state)
{
	(void)state;
	json_t *v = json_object();
	json_object_set_new(v, "ctl", json_string("a\nb\tc\x01" "d\x1f" "e\r\b\f"));
	json_object_set_new(v, "quote", json_string("say \"hi\" \\o/"));
	json_object_set_new(v, "slash", json_string("a/b"));
	json_object_set_new(v, "del", json_string("x\x7fy"));
	json_object_set_new(v, "k\"\n", json_integer(1));
	dump_is(v, "{\n"
	           "  \"ctl\": \"a\\nb\\tc\\u0001d\\u001fe\\r\\b\\f\",\n"
	           "  \"del\": \"x\x7fy\",\n"
	           "  \"k\\\"\\n\": 1,\n"
	           "  \"quote\": \"say \\\"hi\\\" \\\\o/\",\n"
	           "  \"slash\": \"a/b\"\n"
	           "}\n");
}

static void t_dump_raw_utf8(void **state)
{
	(void)state;
	/* Arabic, accents, CJK and a character outside the BMP stay raw. */
	const char *ar = "\xd9\x85\xd8\xaf\xd9\x8a\xd9\x86\xd8\xa9 \xd8\xaa\xd9\x88\xd9\x86\xd8\xb3"; /* مدينة تونس */
	json_t *v = json_pack("{s:s, s:s, s:s}", "ar", ar, "fr", "S\xc3\xa9ville", "x", "\xe2\x82\xac\xf0\x9f\x98\x80");
	char expect[512];
	snprintf(expect, sizeof(expect), "{\n  \"ar\": \"%s\",\n  \"fr\": \"S\xc3\xa9ville\",\n  \"x\": \"\xe2\x82\xac\xf0\x9f\x98\x80\"\n}\n", ar);
	dump_is(v, expect);
}

static void t_dump_integers(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:I, s:I, s:I, s:I, s:I, s:[II]}", "max", (json_int_t)INT64_MAX, "min",
	                      (json_int_t)INT64_MIN, "neg", (json_int_t)-42, "zero", (json_int_t)0, "big",
	                      (json_int_t)1000000000000LL, "arr", (json_int_t)-1, (json_int_t)10);
	dump_is(v, "{\n"
	           "  \"arr\": [-1, 10],\n"
	           "  \"big\": 1000000000000,\n"
	           "  \"max\": 9223372036854775807,\n"
	           "  \"min\": -9223372036854775808,\n"
	           "  \"neg\": -42,\n"
	           "  \"zero\": 0\n"
	           "}\n");
}

static void t_dump_refuses_reals(void **state)
{
	(void)state;
	dump_refused(json_pack("{s:f}", "a", 1.5));
	dump_refused(json_pack("{s:f}", "a", 2.0)); /* integral, but still a real */
	dump_refused(json_pack("{s:{s:[if]}}", "a", "b", 1, 0.25));
	dump_refused(json_pack("{s:[{s:f}]}", "a", "b", -0.0));
}

static void t_dump_refuses_bad_utf8(void **state)
{
	(void)state;
	json_t *v = json_object();
	json_object_set_new(v, "a", json_stringn_nocheck("ok\xff", 3));
	dump_refused(v);

	v = json_object();
	json_object_set_new(v, "a", json_stringn_nocheck("\xc0\x80", 2)); /* overlong NUL */
	dump_refused(v);

	v = json_object();
	json_object_set_new(v, "a", json_stringn_nocheck("a\0b", 3)); /* NUL inside */
	dump_refused(v);

	v = json_pack("{s:[s]}", "a", "x");
	json_array_append_new(json_object_get(v, "a"), json_stringn_nocheck("\xed\xa0\x80", 3)); /* surrogate */
	dump_refused(v);

	v = json_object();
	json_object_set_new_nocheck(v, "k\xc3", json_integer(1)); /* truncated key */
	dump_refused(v);
}

static void t_dump_refuses_key_with_nul(void **state)
{
	(void)state;
	/* A key holding a NUL is not text canon_utf8_valid accepts: it must be
	 * refused, not cut at the NUL (which here would write "a" twice). */
	json_t *v = json_object();
	json_object_set_new(v, "a", json_integer(1));
	json_object_setn_new_nocheck(v, "a\0b", 3, json_integer(2));
	assert_int_equal(json_object_size(v), 2);
	dump_refused(v);
}

/* ------------------------------------------------------------ canon_parse */

static void t_parse_accepts_canonical(void **state)
{
	(void)state;
	const char *text = "{\n"
	                   "  \"A\": -9223372036854775808,\n"
	                   "  \"_c2c\": {\n"
	                   "    \"clock\": {\n"
	                   "      \"n1\": 2\n"
	                   "    },\n"
	                   "    \"dots\": {\n"
	                   "      \"title\": [\"n1\", 2, 7]\n"
	                   "    }\n"
	                   "  },\n"
	                   "  \"a\": [\"10.7\", \"16.6\"],\n"
	                   "  \"b\": \"line\\nnext\\u0001 \\\"q\\\" \\\\ \xd8\xaa\xd9\x88\xd9\x86\xd8\xb3\",\n"
	                   "  \"c\": {},\n"
	                   "  \"d\": [],\n"
	                   "  \"e\": null,\n"
	                   "  \"f\": true,\n"
	                   "  \"g\": 9223372036854775807\n"
	                   "}\n";
	json_t *v = parse_ok(text);
	assert_true(json_is_object(v));
	assert_true(json_integer_value(json_object_get(v, "A")) == INT64_MIN);
	assert_true(json_integer_value(json_object_get(v, "g")) == INT64_MAX);
	assert_string_equal(json_string_value(json_object_get(v, "b")),
	                    "line\nnext\x01 \"q\" \\ \xd8\xaa\xd9\x88\xd9\x86\xd8\xb3");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(v, "_c2c"), "clock"), "n1")), 2);
	/* And back to the very same bytes. */
	char *again = NULL;
	size_t len = 0;
	assert_int_equal(canon_dump(v, &again, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(again, text, len);
	free(again);
	json_decref(v);

	json_decref(parse_ok("{}\n"));
}

static void t_parse_dump_round_trip(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:s, s:[sss], s:{s:{s:i}}, s:I}", "title", "Cit\xc3\xa9 \"x\"\n\t", "themes", "a",
	                      "b", "c", "_c2c", "clock", "n", 3, "budget_eur", (json_int_t)-5);
	char *text = NULL;
	assert_int_equal(canon_dump(v, &text, NULL), 0);
	json_t *w = parse_ok(text);
	assert_true(json_equal(v, w));
	free(text);
	json_decref(v);
	json_decref(w);
}

static void t_parse_refuses_noncanonical(void **state)
{
	(void)state;
	parse_refused("{\n  \"a\": 1.5\n}\n");                        /* real */
	parse_refused("{\n  \"a\": 1.0\n}\n");                        /* real, integral */
	parse_refused("{\n  \"a\": 1e3\n}\n");                        /* exponent */
	parse_refused("{\n  \"a\": 1,\n  \"a\": 1\n}\n");             /* duplicate key */
	parse_refused("{\n  \"a\": {\n    \"b\": 1,\n    \"b\": 2\n  }\n}\n"); /* nested duplicate */
	parse_refused("{\n    \"a\": 1\n}\n");                      /* 4-space indent */
	parse_refused("{\n \"a\": 1\n}\n");                         /* 1-space indent */
	parse_refused("{\n\t\"a\": 1\n}\n");                        /* tab indent */
	parse_refused("{\n  \"a\": 1\n}");                          /* no final newline */
	parse_refused("{\n  \"a\": 1\n}\n\n");                      /* two final newlines */
	parse_refused("{\r\n  \"a\": 1\r\n}\r\n");                  /* CRLF */
	parse_refused("{\n  \"a\": 1\r\n}\n");                      /* one CR */
	parse_refused("{\n  \"b\": 1,\n  \"a\": 2\n}\n");           /* unsorted */
	parse_refused("{\n  \"a\": 1,\n  \"_c2c\": {}\n}\n");       /* unsorted: '_' < 'a' */
	parse_refused("{\n  \"a\": 1,\n  \"Z\": 2\n}\n");           /* unsorted: 'Z' < 'a' */
	parse_refused("{\n  \"\xc3\xa9\": 1,\n  \"z\": 2\n}\n");    /* unsorted by bytes */
	parse_refused("{\n  \"a\": \"\\u0041\"\n}\n");              /* escaped printable */
	parse_refused("{\n  \"\\u0061\": 1\n}\n");                  /* escaped key */
	parse_refused("{\n  \"a\": \"\\u00e9\"\n}\n");              /* escaped non-ASCII */
	parse_refused("{\n  \"a\": \"\\u0645\"\n}\n");              /* escaped Arabic */
	parse_refused("{\n  \"a\": \"\\/\"\n}\n");                  /* escaped slash */
	parse_refused("{\n  \"a\": \"\\u000a\"\n}\n");              /* \n written long */
	parse_refused("{\n  \"a\": \"\\u001F\"\n}\n");              /* upper-case hex */
	parse_refused("{\n  \"a\": \"\\u0000\"\n}\n");              /* NUL */
	parse_refused("{\n  \"a\": \"x\ty\"\n}\n");                 /* raw control char */
	parse_refused("{\n  \"a\": \"\xff\"\n}\n");                 /* invalid UTF-8 */
	parse_refused("{\n  \"a\": \"\xed\xa0\x80\"\n}\n");         /* surrogate */
	parse_refused("{\n  \"a\": -0\n}\n");                       /* negative zero */
	parse_refused("{\n  \"a\": 012\n}\n");                      /* leading zero */
	parse_refused("{\n  \"a\": +1\n}\n");                       /* plus sign */
	parse_refused("{\n  \"a\": 9223372036854775808\n}\n");      /* overflow */
	parse_refused("{\n  \"a\": 1\n}\nx");                       /* trailing garbage */
	parse_refused("{\n  \"a\": 1\n}\n{}\n");                    /* a second value */
	parse_refused("{\n  \"a\": 1\n}\n ");                       /* trailing space */
	parse_refused(" {\n  \"a\": 1\n}\n");                       /* leading space */
	parse_refused("\xef\xbb\xbf{\n  \"a\": 1\n}\n");            /* BOM */
	parse_refused("{\n  \"a\": 1 \n}\n");                       /* space at end of line */
	parse_refused("{\n  \"a\" : 1\n}\n");                       /* space before colon */
	parse_refused("{\n  \"a\":1\n}\n");                         /* no space after colon */
	parse_refused("{\n  \"a\": 1,\n}\n");                       /* trailing comma */
	parse_refused("{\n  \"a\": 1\n  ,\"b\": 2\n}\n");           /* comma placement */
	parse_refused("{\"a\": 1}\n");                              /* one line */
	parse_refused("{\n}\n");                                    /* empty object spread */
	parse_refused("{\n  \"a\": [\n    1\n  ]\n}\n");            /* array over lines */
	parse_refused("{\n  \"a\": [1,2]\n}\n");                    /* array without spaces */
	parse_refused("{\n  \"a\": {\"b\": 1}\n}\n");               /* nested object inline */
	parse_refused("{\n  \"a\": [{\n    \"b\": 1\n  }]\n}\n");   /* object in array spread */
	parse_refused("{\n  \"a\": TRUE\n}\n");
	parse_refused("");
	parse_refused("\n");
	/* Not an object at the top. */
	parse_refused("[1, 2]\n");
	parse_refused("[]\n");
	parse_refused("\"x\"\n");
	parse_refused("5\n");
	parse_refused("null\n");
	/* The buffer's length counts, not a NUL. */
	parse_refused_n("{}\n\0", 4);
	parse_refused_n("{}\n", 2);
}

/* Canonical text the direct reader leaves to jansson's parse: still
 * accepted, to the same value. */
static void t_parse_beyond_direct_reader(void **state)
{
	(void)state;
	/* Nesting deeper than the direct reader goes: {"a": [[[...1...]]]}. */
	char deep[512];
	size_t n = 0;
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\n  \"a\": ");
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	deep[n++] = '1';
	for (int i = 0; i < 100; i++)
		deep[n++] = ']';
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "\n}\n");
	json_t *v = NULL;
	assert_null(canon_read(deep, n));
	assert_int_equal(canon_parse(deep, n, "deep.json", &v), 0);
	json_t *a = json_object_get(v, "a");
	for (int i = 0; i < 100; i++) {
		assert_true(json_is_array(a));
		a = json_array_get(a, 0);
	}
	assert_int_equal(json_integer_value(a), 1);
	json_decref(v);
	/* Every escape put_string writes, read directly; objects in arrays. */
	v = parse_ok("{\n"
	             "  \"a\": \"\\\" \\\\ \\n \\t \\r \\b \\f \\u0001 \\u001f \\u000b \x7f\",\n"
	             "  \"b\": [{\"x\": [], \"y\": {}}, {}, [1, -2, \"\\n\"], true, false, null],\n"
	             "  \"c\": {\n"
	             "    \"\": 0\n"
	             "  }\n"
	             "}\n");
	assert_string_equal(json_string_value(json_object_get(v, "a")), "\" \\ \n \t \r \b \f \x01 \x1f \x0b \x7f");
	json_decref(v);
}

static void t_parse_names_line(void **state)
{
	(void)state;
	json_t *v = NULL;
	const char *text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"d\": 3,\n  \"c\": 4\n}\n";
	assert_int_equal(canon_parse(text, strlen(text), "cities/tunis/actions/a/b/x.json", &v), C2C_EINVALID);
	assert_null(v);
	assert_non_null(strstr(err_msg(), "cities/tunis/actions/a/b/x.json"));
	assert_non_null(strstr(err_msg(), "line 4"));
}

/* ------------------------------------------------------- canon_utf8_valid */

#define VALID(s) assert_int_equal(canon_utf8_valid((s), sizeof(s) - 1), 1)
#define INVALID(s) assert_int_equal(canon_utf8_valid((s), sizeof(s) - 1), 0)

static void t_utf8_valid(void **state)
{
	(void)state;
	VALID("");
	VALID("plain ascii ~\x7f");
	VALID("\xc2\x80");                 /* U+0080 */
	VALID("\xdf\xbf");                 /* U+07FF */
	VALID("\xe0\xa0\x80");             /* U+0800 */
	VALID("\xed\x9f\xbf");             /* U+D7FF */
	VALID("\xee\x80\x80");             /* U+E000 */
	VALID("\xef\xbf\xbf");             /* U+FFFF */
	VALID("\xf0\x90\x80\x80");         /* U+10000 */
	VALID("\xf4\x8f\xbf\xbf");         /* U+10FFFF */
	VALID("\xd8\xaa\xd9\x88\xd9\x86\xd8\xb3 S\xc3\xa9ville \xe2\x82\xac \xf0\x9f\x98\x80");
	/* Only LEN bytes are looked at. */
	assert_int_equal(canon_utf8_valid("abc\xff", 3), 1);
	assert_int_equal(canon_utf8_valid("abc", 0), 1);
}

static void t_utf8_invalid(void **state)
{
	(void)state;
	/* Overlong forms. */
	INVALID("\xc0\x80");
	INVALID("\xc0\xaf");
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\x80");
	INVALID("\xe0\x9f\xbf");
	INVALID("\xf0\x80\x80\x80");
	INVALID("\xf0\x8f\xbf\xbf");
	/* Surrogates. */
	INVALID("\xed\xa0\x80");
	INVALID("\xed\xaf\xbf");
	INVALID("\xed\xb0\x80");
	INVALID("\xed\xbf\xbf");
	INVALID("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 pair */
	/* Beyond U+10FFFF and bytes that never start a character. */
	INVALID("\xf4\x90\x80\x80");
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xf7\xbf\xbf\xbf");
	INVALID("\xf8\x88\x80\x80\x80");
	INVALID("\xfc\x84\x80\x80\x80\x80");
	INVALID("\xfe");
	INVALID("\xff");
	INVALID("\x80");
	INVALID("a\xbf" "b");
	/* Truncated sequences, at the end and in the middle. */
	INVALID("\xc3");
	INVALID("abc\xc3");
	INVALID("\xe2\x82");
	INVALID("\xf0\x9f\x98");
	INVALID("\xc3" "A");
	INVALID("\xe2\x82" "A");
	INVALID("\xf0\x9f\x98" "A");
	assert_int_equal(canon_utf8_valid("\xc3\xa9", 1), 0); /* cut by LEN */
	assert_int_equal(canon_utf8_valid("\xf0\x9f\x98\x80", 3), 0);
	/* NUL, alone or inside. */
	INVALID("\0");
	INVALID("a\0b");
	INVALID("\xc3\xa9\0");
	INVALID("\xc3\0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_dump_nested),
	    cmocka_unit_test(t_dump_empty_and_scalars),
	    cmocka_unit_test(t_dump_arrays_one_line),
	    cmocka_unit_test(t_dump_keys_sorted_by_bytes),
	    cmocka_unit_test(t_dump_string_escapes),
	    cmocka_unit_test(t_dump_raw_utf8),
	    cmocka_unit_test(t_dump_integers),
	    cmocka_unit_test(t_dump_refuses_reals),
	    cmocka_unit_test(t_dump_refuses_bad_utf8),
	    cmocka_unit_test(t_dump_refuses_key_with_nul),
	    cmocka_unit_test(t_parse_accepts_canonical),
	    cmocka_unit_test(t_parse_dump_round_trip),
	    cmocka_unit_test(t_parse_refuses_noncanonical),
	    cmocka_unit_test(t_parse_beyond_direct_reader),
	    cmocka_unit_test(t_parse_names_line),
	    cmocka_unit_test(t_utf8_valid),
	    cmocka_unit_test(t_utf8_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
