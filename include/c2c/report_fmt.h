/* report_fmt: the text formatting shared by the renderings of the office's
 * report (office.h): getters of the report's JSON object, escaping (plain
 * text, HTML, CSS), numbers and dates in a language, translated labels.
 *
 * The writers put text on F and never fail by themselves: a failed stream
 * is seen when its owner closes it. LANG is one of en, fr, es, ar. */
#ifndef C2C_REPORT_FMT_H
#define C2C_REPORT_FMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* O[KEY] as an integer (0 when absent) and as a string ("" when absent). */
long long fmt_gi(const json_t *o, const char *key);
const char *fmt_gs(const json_t *o, const char *key);

/* S with control characters shown as spaces (a title is one line). */
void fmt_plain(FILE *f, const char *s);
/* S escaped for HTML text and attribute values alike (NULL: nothing). */
void fmt_h(FILE *f, const char *s);
/* S as the contents of a CSS string (the running header of a page). */
void fmt_css(FILE *f, const char *s);
/* The elements of A (strings or integers) joined by SEP, through PUT
 * (fmt_plain or fmt_h). */
void fmt_list(FILE *f, const json_t *a, const char *sep, void (*put)(FILE *, const char *));

/* V with LANG's digits and thousands separator into OUT (CAP bytes). */
void fmt_num(const char *lang, long long v, char *out, size_t cap);
/* V as fmt_num writes it, on F. */
void fmt_put_num(FILE *f, const char *lang, long long v);
/* A <td> holding V: the figure for people, the raw one in data-value. */
void fmt_td_num(FILE *f, const char *lang, long long v);

/* MSGID in LANG (the catalog's own string: not escaped). */
const char *fmt_tr(const char *lang, const char *msgid);
/* A city's name (the report's object C) in LANG. */
const char *fmt_city(const char *lang, const json_t *c);
/* <th>MSGID in LANG</th>. */
void fmt_th(FILE *f, const char *lang, const char *msgid);

/* An ISO time (YYYY-MM-DD...) as a date for people in LANG, HTML-escaped;
 * WITH_TIME adds ", HH:MM UTC". */
void fmt_date(FILE *f, const char *lang, const char *iso, int with_time);
/* The same date as the contents of a CSS string. */
void fmt_css_date(FILE *f, const char *lang, const char *iso);

#endif
