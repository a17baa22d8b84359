/* Canonical record text (SPEC 4).
 *
 * A JSON object, UTF-8 with no \u escapes but for control characters, keys
 * sorted by their bytes, two-space indent, one key per line (objects nest
 * with deeper indent), arrays on one line ("[\"a\", \"b\"]"), integers
 * without exponent, no reals, "\n" line ends and a final newline. The same
 * value gives the same bytes on every node. */
#ifndef C2C_CANON_H
#define C2C_CANON_H

#include <jansson.h>
#include <stddef.h>

/* Serialize V. *out is malloc'd, NUL-terminated; the caller frees it.
 * Returns C2C_EINVALID for a real number or a string that is not UTF-8. */
int canon_dump(const json_t *v, char **out, size_t *len);

/* The same, on one line with no final newline (objects as {"a": 1, "b": 2}):
 * the form kept in the database's JSON columns. */
int canon_dump_line(const json_t *v, char **out, size_t *len);

/* Parse BUF as a canonical record file: a JSON object whose canonical form
 * is exactly BUF. WHAT names the input in messages (a path or "row x/y").
 * On success *out is a new reference the caller releases with json_decref.
 * Returns C2C_EINVALID (with the line at fault) otherwise. */
int canon_parse(const char *buf, size_t len, const char *what, json_t **out);

/* canon_parse's two ways. canon_read reads canonical text in one pass and
 * gives its value, or NULL when it cannot (text that is not canonical, or
 * that it leaves to the other way, or memory short): it never accepts what
 * canon_parse_general refuses, and gives the value that gives. canon_parse
 * tries it first. canon_parse_general parses with jansson and writes the
 * value again to compare: slower, and it says what is wrong. Both are here
 * for the tests and the fuzz target that hold them to the same answers. */
json_t *canon_read(const char *buf, size_t len);
int canon_parse_general(const char *buf, size_t len, const char *what, json_t **out);

/* Jansson reports some failed allocations of its lexer as a syntax error
 * ("string or '}' expected"): a record a peer sent would be refused as
 * broken when the node only ran short of memory. canon_hook_alloc() (once,
 * before any thread starts) routes jansson's allocations through a wrapper
 * that notes a failure; canon_parse then answers C2C_ENOMEM for it, and
 * canon_alloc_failed() tells other callers of json_load*. canon_alloc_reset()
 * clears the note (it is per thread). */
void canon_hook_alloc(void);

/* Load BUF as JSON, canonical or not, for readers that skip what they
 * cannot read: 0 with *out NULL when BUF is not JSON, C2C_ENOMEM when
 * memory ran short. */
int canon_load(const char *buf, size_t len, json_t **out);
void canon_alloc_reset(void);
int canon_alloc_failed(void);

/* 1 if S[0..len) is valid UTF-8 with no NUL and no overlong forms or
 * surrogates, else 0. */
int canon_utf8_valid(const char *s, size_t len);

#endif
