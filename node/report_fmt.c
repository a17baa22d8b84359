/* report_fmt: the text formatting shared by the office's renderings
 * (office.h): JSON getters, escaping for plain text, HTML and CSS, numbers
 * and dates in a language, labels.
 *
 * Everything reads the report's JSON object and writes to F; nothing here
 * fails (a stream that fails is seen when the caller closes it). */
#include "c2c/report_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/i18n.h"

long long fmt_gi(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

const char *fmt_gs(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Text with control characters shown as spaces (a title is one line). */
void fmt_plain(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

/* HTML text and attribute values alike. */
void fmt_h(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A CSS string's contents (the running header). */
void fmt_css(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '<' || *s == '>' || *s == '&') /* nothing that could close the <style> */
			fprintf(f, "\\%x ", (unsigned)*s);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

/* The elements of a JSON array of strings or integers, joined by SEP,
 * through PUT (plain or HTML-escaped). */
void fmt_list(FILE *f, const json_t *a, const char *sep, void (*put)(FILE *, const char *))
{
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
	{
		if (i)
			fputs(sep, f);
		if (json_is_integer(e))
			fprintf(f, "%lld", (long long)json_integer_value(e));
		else
			put(f, json_string_value(e) ? json_string_value(e) : "");
	}
}

/* V with the language's digits and thousands separator: 12,345 (en),
 * 12 345 with a narrow no-break space (fr), 12.345 (es, from five digits),
 * ١٢٬٣٤٥ (ar). */
void fmt_num(const char *lang, long long v, char *out, size_t cap)
{
	char digits[32];
	size_t o = 0;
	int neg = v < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	snprintf(digits, sizeof(digits), "%llu", u);
	size_t nd = strlen(digits);
	const char *sep = ",";
	int group = 1, arab = 0;
	if (!strcmp(lang, "fr"))
		sep = "\xe2\x80\xaf";
	else if (!strcmp(lang, "es"))
		sep = ".", group = nd >= 5;
	else if (!strcmp(lang, "ar"))
		sep = "\xd9\xac", arab = 1;
	if (neg && o + 1 < cap)
		out[o++] = '-';
	for (size_t i = 0; i < nd && o + 8 < cap; i++) {
		if (group && i && (nd - i) % 3 == 0)
			for (const char *s = sep; *s; s++)
				out[o++] = *s;
		if (arab) {
			out[o++] = (char)0xd9;
			out[o++] = (char)(0xa0 + (digits[i] - '0'));
		} else
			out[o++] = digits[i];
	}
	out[o] = '\0';
}

void fmt_put_num(FILE *f, const char *lang, long long v)
{
	char b[96];
	fmt_num(lang, v, b, sizeof(b));
	fputs(b, f);
}

/* A <td> holding a number: the figure for people, the raw one in data-value. */
void fmt_td_num(FILE *f, const char *lang, long long v)
{
	fprintf(f, "<td class=\"n\" data-value=\"%lld\">", v);
	fmt_put_num(f, lang, v);
	fputs("</td>", f);
}

const char *fmt_tr(const char *lang, const char *msgid) { return i18n_tr(lang, NULL, msgid); }

static const char *const MONTHS[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

/* An ISO time (YYYY-MM-DD...) as a date for people in LANG. */
void fmt_date(FILE *f, const char *lang, const char *iso, int with_time)
{
	int y = 0, m = 0, d = 0, hh = 0, mm = 0;
	if (!iso || sscanf(iso, "%d-%d-%dT%d:%d", &y, &m, &d, &hh, &mm) < 3 || m < 1 || m > 12) {
		fmt_h(f, iso ? iso : "");
		return;
	}
	const char *month = i18n_tr(lang, "month", MONTHS[m - 1]);
	if (!strcmp(lang, "es")) {
		fmt_put_num(f, lang, d);
		fputs(" de ", f);
		fmt_h(f, month);
		fputs(" de ", f);
	} else {
		fmt_put_num(f, lang, d);
		fputc(' ', f);
		fmt_h(f, month);
		fputc(' ', f);
	}
	char yb[32];
	snprintf(yb, sizeof(yb), "%d", y);
	if (!strcmp(lang, "ar")) /* years without a thousands separator */
		for (const char *p = yb; *p; p++)
			fprintf(f, "\xd9%c", (char)(0xa0 + (*p - '0')));
	else
		fputs(yb, f);
	if (with_time)
		fprintf(f, ", %02d:%02d UTC", hh, mm);
}

/* A date as plain text for the running header (CSS string). */
void fmt_css_date(FILE *f, const char *lang, const char *iso)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	if (!m)
		return;
	fmt_date(m, lang, iso, 0);
	fclose(m);
	fmt_css(f, s);
	free(s);
}

const char *fmt_city(const char *lang, const json_t *c) { return i18n_tr(lang, "city", fmt_gs(c, "name")); }

void fmt_th(FILE *f, const char *lang, const char *msgid)
{
	fputs("<th>", f);
	fmt_h(f, fmt_tr(lang, msgid));
	fputs("</th>", f);
}
