#include "c2c/sheet.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"

int sheet_locale_get(const char *name, sheet_locale *out)
{
	static const struct {
		const char *name;
		char decimal;
		int day_first;
		char sep;
	} known[] = {
	    {"en", '.', 0, ','}, {"en-GB", '.', 1, ','}, {"fr", ',', 1, ';'}, {"es", ',', 1, ';'}, {"ar", '.', 1, ';'},
	};
	memset(out, 0, sizeof(*out));
	out->day_first = -1;
	out->sep = ',';
	if (!name)
		return 0;
	/* "fr_FR.UTF-8", "fr-FR", "FR" -> "fr"; en_GB and en-GB -> "en-GB". */
	char lang[3] = {0}, region[3] = {0};
	size_t l = strlen(name);
	if (l >= 2 && isalpha((unsigned char)name[0]) && isalpha((unsigned char)name[1]) &&
	    (l == 2 || name[2] == '_' || name[2] == '-' || name[2] == '.')) {
		lang[0] = (char)tolower((unsigned char)name[0]);
		lang[1] = (char)tolower((unsigned char)name[1]);
		if (l >= 5 && (name[2] == '_' || name[2] == '-') && isalpha((unsigned char)name[3]) &&
		    isalpha((unsigned char)name[4])) {
			region[0] = (char)toupper((unsigned char)name[3]);
			region[1] = (char)toupper((unsigned char)name[4]);
		}
	}
	const char *want = !strcmp(lang, "en") && region[0] && strcmp(region, "US") ? "en-GB" : lang;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(known[i].name, want)) {
			out->name = known[i].name;
			out->decimal = known[i].decimal;
			out->day_first = known[i].day_first;
			out->sep = known[i].sep;
			return 0;
		}
	}
	err_set(C2C_EINVALID, "unknown locale '%s'", name);
	return err_hint("give one of en (12/31/2026, 50,000.00), en-GB (31/12/2026), fr (31/12/2026, 50 000,00), "
	                "es (31/12/2026, 50.000,00), ar (31/12/2026, 50,000.00)");
}

/* Copy S into a new string with Arabic-Indic and Eastern Arabic-Indic
 * digits as ASCII, the Arabic decimal separator as '.', the Arabic
 * thousands separator and the no-break and thin spaces as ' ', and the
 * minus sign as '-'. */
static char *ascii_digits(const char *s)
{
	size_t l = strlen(s);
	char *o = malloc(l + 1), *p = o;
	if (!o)
		return NULL;
	for (const unsigned char *u = (const unsigned char *)s; *u;) {
		if (u[0] == 0xD9 && u[1] >= 0xA0 && u[1] <= 0xA9) { /* U+0660..0669 */
			*p++ = (char)('0' + u[1] - 0xA0), u += 2;
		} else if (u[0] == 0xDB && u[1] >= 0xB0 && u[1] <= 0xB9) { /* U+06F0..06F9 */
			*p++ = (char)('0' + u[1] - 0xB0), u += 2;
		} else if (u[0] == 0xD9 && u[1] == 0xAB) { /* U+066B Arabic decimal separator */
			*p++ = '.', u += 2;
		} else if (u[0] == 0xD9 && u[1] == 0xAC) { /* U+066C Arabic thousands separator */
			*p++ = ' ', u += 2;
		} else if (u[0] == 0xC2 && u[1] == 0xA0) { /* no-break space */
			*p++ = ' ', u += 2;
		} else if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xAF || u[2] == 0x89)) { /* narrow nbsp, thin */
			*p++ = ' ', u += 3;
		} else if (u[0] == 0xE2 && u[1] == 0x88 && u[2] == 0x92) { /* U+2212 minus */
			*p++ = '-', u += 3;
		} else {
			*p++ = (char)*u++;
		}
	}
	*p = '\0';
	return o;
}

static const char *const locale_hint = "give the file's locale: --locale fr, es, ar, en (US) or en-GB";

/* "50 000", "50.000,00", "50000.00" -> "50000"; O has room for strlen(S)+1. */
static int number(const char *s, const sheet_locale *loc, const char *orig, char *o)
{
	char digits[64];
	size_t nd = 0;
	const char *p = s;
	int neg = 0;
	if (*p == '-')
		neg = 1, p++;
	/* Find the separators: '.', ',' and ' ' (grouping only). */
	const char *lastdot = strrchr(p, '.'), *lastcomma = strrchr(p, ',');
	size_t ndots = 0, ncommas = 0;
	for (const char *q = p; *q; q++) {
		if (*q == '.')
			ndots++;
		else if (*q == ',')
			ncommas++;
		else if (*q != ' ' && !isdigit((unsigned char)*q))
			return err_set(C2C_EINVALID, "'%s' is not a number", orig);
	}
	char dec = 0; /* the decimal separator in this cell, if any */
	if (ndots && ncommas) {
		dec = lastdot > lastcomma ? '.' : ',';
		if (loc->decimal && dec != loc->decimal) {
			err_set(C2C_EINVALID, "'%s' is not a number %s%s%s (decimal separator '%c')", orig,
			        loc->name ? "in the " : "as this file writes them", loc->name ? loc->name : "",
			        loc->name ? " locale" : "", loc->decimal);
			return err_hint("%s", locale_hint);
		}
	} else if (ndots + ncommas == 1) {
		const char *at = ndots ? lastdot : lastcomma;
		size_t after = strlen(at + 1);
		int three = after == 3 && strspn(at + 1, "0123456789") == 3;
		if (loc->decimal)
			dec = *at == loc->decimal ? *at : 0;
		else if (!three)
			dec = *at;
		else {
			err_set(C2C_EINVALID, "'%s' is ambiguous: %s thousand or a decimal number, depending on the locale",
			        orig, neg ? "minus some" : "some");
			return err_hint("%s", locale_hint);
		}
	}
	/* Integer part: digits in groups of three after the first (when grouped). */
	const char *end = dec ? strrchr(p, dec) : p + strlen(p);
	int grouped = 0;
	size_t group = 0, first = 1;
	for (const char *q = p; q < end; q++) {
		if (isdigit((unsigned char)*q)) {
			if (nd + 1 >= sizeof(digits))
				return err_set(C2C_EINVALID, "'%s' is too large", orig);
			if (nd || *q != '0' || q + 1 == end || !isdigit((unsigned char)q[1]))
				digits[nd++] = *q;
			group++;
			continue;
		}
		/* a grouping separator: the group before it has 1-3 digits (first) or 3 */
		if (!group || group > 3 || (!first && group != 3))
			return err_set(C2C_EINVALID, "'%s' is not a number (digits grouped wrongly)", orig);
		grouped = 1, first = 0, group = 0;
	}
	if (!group || (grouped && group != 3))
		return err_set(C2C_EINVALID, "'%s' is not a number (digits grouped wrongly)", orig);
	if (dec) {
		for (const char *q = end + 1; *q; q++) {
			if (!isdigit((unsigned char)*q))
				return err_set(C2C_EINVALID, "'%s' is not a number", orig);
			if (*q != '0')
				return err_set(C2C_EINVALID, "'%s' is not a whole number", orig);
		}
	}
	if (!nd)
		digits[nd++] = '0';
	digits[nd] = '\0';
	sprintf(o, "%s%s", neg && strcmp(digits, "0") ? "-" : "", digits);
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* A zero time after a date: " 00:00", " 00:00:00", "T00:00:00.000". */
static int zero_time(const char *s)
{
	if (!*s)
		return 1;
	if (*s != ' ' && *s != 'T')
		return 0;
	for (s++; *s; s++)
		if (*s != '0' && *s != ':' && *s != '.')
			return 0;
	return 1;
}

/* Dates: YYYY-MM-DD, YYYY/MM/DD, D/M/YYYY or M/D/YYYY (separators / . -),
 * each with an optional zero time. WITH_DAY 0: a month, YYYY-MM or M/YYYY. */
static int date(const char *s, const sheet_locale *loc, int with_day, const char *orig, char *o)
{
	const char *what = with_day ? "a date" : "a month";
	const char *form = with_day ? "YYYY-MM-DD" : "YYYY-MM";
	char part[3][8];
	size_t plen[3];
	int np = 0;
	const char *p = s;
	char sep = 0;
	while (np < 3) {
		size_t n = strspn(p, "0123456789");
		if (!n || n > 4)
			break;
		memcpy(part[np], p, n);
		part[np][n] = '\0';
		plen[np++] = n;
		p += n;
		if (np < 3 && (*p == '/' || *p == '-' || *p == '.') && (!sep || *p == sep) && isdigit((unsigned char)p[1]))
			sep = *p++;
		else
			break;
	}
	if (!zero_time(p) || np < 2) {
		err_set(C2C_EINVALID, "'%s' is not %s", orig, what);
		return err_hint("write %s as %s (or as the spreadsheet's locale writes it, with --locale)", what, form);
	}
	int y, m, d = 1;
	if (plen[0] == 4) { /* YYYY-MM-DD, YYYY/MM */
		y = atoi(part[0]), m = atoi(part[1]);
		if (np == 3)
			d = atoi(part[2]);
		else if (with_day)
			goto bad;
		if (np == 3 && !with_day && d != 1)
			goto bad;
		if (plen[1] > 2 || (np == 3 && plen[2] > 2))
			goto bad;
	} else if (np == 2 && !with_day && plen[1] == 4 && plen[0] <= 2) { /* M/YYYY */
		y = atoi(part[1]), m = atoi(part[0]);
	} else if (np == 3 && plen[2] == 4 && plen[0] <= 2 && plen[1] <= 2) {
		int a = atoi(part[0]), b = atoi(part[1]);
		y = atoi(part[2]);
		int day_first = loc->day_first;
		if (sep == '.')
			day_first = 1; /* 31.12.2026 is day first everywhere */
		if (day_first < 0) {
			if (a > 12 && b <= 12)
				day_first = 1;
			else if (b > 12 && a <= 12)
				day_first = 0;
			else if (a == b)
				day_first = 1;
			else {
				err_set(C2C_EINVALID,
				        "'%s' is ambiguous: day %d of month %d, or month %d day %d, depending on the locale",
				        orig, a, b, a, b);
				return err_hint("%s", locale_hint);
			}
		}
		d = day_first ? a : b;
		m = day_first ? b : a;
		if (!with_day && d != 1)
			goto bad;
	} else if (np == 3 && plen[2] == 2 && plen[0] <= 2) {
		err_set(C2C_EINVALID, "'%s' has a two-digit year", orig);
		return err_hint("format the column as a date with a four-digit year (31/12/2026) or as %s", form);
	} else {
		goto bad;
	}
	if (!all_digits(part[0], plen[0]) || y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		goto bad;
	if (with_day)
		sprintf(o, "%04d-%02d-%02d", y, m, d);
	else
		sprintf(o, "%04d-%02d", y, m);
	return 0;
bad:
	err_set(C2C_EINVALID, "'%s' is not %s", orig, what);
	return err_hint("write %s as %s (or as the spreadsheet's locale writes it, with --locale)", what, form);
}

int sheet_value(const table_def *t, const field_def *f, const sheet_locale *loc, const char *text, char **out)
{
	int err = 0;
	char *a = NULL, *o = NULL;
	(void)t;
	*out = NULL;
	int numeric = f->type == FT_INT || f->type == FT_DATE || f->type == FT_MONTH ||
	              (f->type == FT_SET && f->elem == EL_SDG_TARGET);
	if (!numeric && f->type != FT_SET) {
		o = strdup(text);
		goto done;
	}
	if (!(a = numeric ? ascii_digits(text) : strdup(text)) || !(o = malloc(strlen(a) + 32))) {
		err = ERR_OOM();
		goto done;
	}
	/* trim the spaces ascii_digits made of no-break spaces */
	char *s = a;
	while (*s == ' ')
		s++;
	size_t l = strlen(s);
	while (l && s[l - 1] == ' ')
		s[--l] = '\0';
	if (!*s) {
		o[0] = '\0';
	} else if (f->type == FT_INT) {
		err = number(s, loc, text, o);
	} else if (f->type == FT_DATE || f->type == FT_MONTH) {
		err = date(s, loc, f->type == FT_DATE, text, o);
	} else {
		/* a set: the Arabic comma (U+060C) separates elements too */
		char *w = o;
		for (const char *q = s; *q;) {
			if ((unsigned char)q[0] == 0xD8 && (unsigned char)q[1] == 0x8C)
				*w++ = ',', q += 2;
			else
				*w++ = *q++;
		}
		*w = '\0';
	}
done:
	free(a);
	if (!err && !o)
		err = ERR_OOM();
	if (err < 0)
		free(o);
	else
		*out = o;
	return err;
}

int sheet_evidence(const field_def *f, const char *text, int *day_first, char *decimal)
{
	*day_first = -1;
	*decimal = 0;
	if (f->type != FT_INT && f->type != FT_DATE)
		return 0;
	char *a = ascii_digits(text);
	if (!a)
		return ERR_OOM();
	const char *p = a;
	while (*p == ' ')
		p++;
	if (f->type == FT_DATE) {
		/* D/M/YYYY or M/D/YYYY with a part over 12 */
		int x, y, z;
		char s1, s2, tail = 0;
		if (sscanf(p, "%2d%c%2d%c%4d%c", &x, &s1, &y, &s2, &z, &tail) >= 5 && s1 == s2 && s1 == '/' &&
		    z >= 1000 && x >= 1 && y >= 1 && x <= 31 && y <= 31) {
			if (x > 12 && y <= 12)
				*day_first = 1;
			else if (y > 12 && x <= 12)
				*day_first = 0;
		}
	} else {
		const char *dot = strrchr(p, '.'), *comma = strrchr(p, ',');
		size_t nd = 0, nc = 0;
		for (const char *q = p; *q; q++)
			nd += *q == '.', nc += *q == ',';
		if (nd && nc)
			*decimal = dot > comma ? '.' : ',';
		else if (nd + nc == 1) {
			const char *at = nd ? dot : comma;
			size_t after = strspn(at + 1, "0123456789");
			if (after && after != 3 && !at[1 + after])
				*decimal = *at;
		}
	}
	free(a);
	return 0;
}

int sheet_inert(const char *s)
{
	return s[0] && strchr("=+-@'\t\r", s[0]) != NULL;
}

const char *sheet_uninert(const char *s)
{
	return s[0] == '\'' && sheet_inert(s + 1) ? s + 1 : s;
}
