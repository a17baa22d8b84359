/* Unit tests of spreadsheet values (include/c2c/sheet.h): numbers and dates
 * in the four locales, what is ambiguous without one, formula cells. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/sheet.h"

#include "unit.h"

static const field_def f_int = {.name = "budget_eur", .type = FT_INT};
static const field_def f_date = {.name = "start_date", .type = FT_DATE};
static const field_def f_month = {.name = "month", .type = FT_MONTH};
static const field_def f_sdg = {.name = "sdg_targets", .type = FT_SET, .elem = EL_SDG_TARGET};
static const field_def f_text = {.name = "title", .type = FT_TEXT};
static const table_def t_actions = {.name = "actions"};

/* IN read with LOCALE (NULL: none) gives WANT, or an error when WANT is NULL. */
static void expect(const field_def *f, const char *locale, const char *in, const char *want)
{
	sheet_locale loc;
	char *out = NULL;
	OK(sheet_locale_get(locale, &loc));
	int rc = sheet_value(&t_actions, f, &loc, in, &out);
	if (want) {
		if (rc != 0)
			fail_msg("'%s' (%s): %s", in, locale ? locale : "no locale", err_msg());
		assert_string_equal(out, want);
	} else if (rc == 0) {
		fail_msg("'%s' (%s) gave '%s', wanted an error", in, locale ? locale : "no locale", out);
	} else {
		assert_int_equal(rc, C2C_EINVALID);
	}
	free(out);
}

static void t_numbers(void **state)
{
	(void)state;
	expect(&f_int, NULL, "50000", "50000");
	expect(&f_int, NULL, "50 000", "50000");
	expect(&f_int, NULL, "50\xC2\xA0" "000", "50000");       /* no-break space */
	expect(&f_int, NULL, "1\xE2\x80\xAF" "234\xE2\x80\xAF" "567", "1234567"); /* narrow nbsp */
	expect(&f_int, NULL, "50.000,00", "50000");
	expect(&f_int, NULL, "50,000.00", "50000");
	expect(&f_int, NULL, "50000.00", "50000");
	expect(&f_int, NULL, "1.234.567", "1234567");
	expect(&f_int, NULL, "\xD9\xA5\xD9\xA0\xD9\xA0\xD9\xA0\xD9\xA0", "50000"); /* Arabic-Indic */
	expect(&f_int, NULL, "\xDB\xB5\xDB\xB0", "50");                             /* Eastern Arabic-Indic */
	expect(&f_int, NULL, "50.000", NULL);  /* ambiguous */
	expect(&f_int, NULL, "50,000", NULL);  /* ambiguous */
	expect(&f_int, "fr", "50,000", "50"); /* fifty, with a zero decimal part, in fr */
	expect(&f_int, "fr", "50,5", NULL);    /* not whole */
	expect(&f_int, "es", "50.000", "50000");
	expect(&f_int, "en", "50.000", "50");
	expect(&f_int, "en", "50,000", "50000");
	expect(&f_int, "fr", "50 000,00", "50000");
	expect(&f_int, "en", "50.000,00", NULL); /* a decimal comma in en */
	expect(&f_int, NULL, "5 0000", NULL);    /* grouped wrongly */
	expect(&f_int, NULL, "12a", NULL);
	expect(&f_int, NULL, "-7", "-7");
	expect(&f_int, NULL, "", "");
	expect(&f_int, NULL, "  ", "");
}

static void t_dates(void **state)
{
	(void)state;
	expect(&f_date, NULL, "2026-12-06", "2026-12-06");
	expect(&f_date, NULL, "2026-12-06 00:00:00", "2026-12-06");
	expect(&f_date, NULL, "2026-12-06T00:00:00.000", "2026-12-06");
	expect(&f_date, NULL, "2026-12-06 10:30", NULL); /* a time would be lost */
	expect(&f_date, NULL, "2026/12/06", "2026-12-06");
	expect(&f_date, NULL, "06/12/2026", NULL); /* ambiguous */
	expect(&f_date, "fr", "06/12/2026", "2026-12-06");
	expect(&f_date, "en", "06/12/2026", "2026-06-12");
	expect(&f_date, "en-GB", "06/12/2026", "2026-12-06");
	expect(&f_date, "ar", "\xD9\xA0\xD9\xA6/\xD9\xA1\xD9\xA2/\xD9\xA2\xD9\xA0\xD9\xA2\xD9\xA6", "2026-12-06");
	expect(&f_date, NULL, "31/12/2026", "2026-12-31"); /* day first: 31 is no month */
	expect(&f_date, NULL, "12/31/2026", "2026-12-31");
	expect(&f_date, NULL, "6.12.2026", "2026-12-06"); /* dots: day first everywhere */
	expect(&f_date, NULL, "05/05/2026", "2026-05-05");
	expect(&f_date, "fr", "06/12/26", NULL); /* two-digit year */
	expect(&f_date, "fr", "32/12/2026", NULL);
	expect(&f_date, NULL, "2026-13-01", NULL);
	expect(&f_month, NULL, "2026-12", "2026-12");
	expect(&f_month, NULL, "12/2026", "2026-12");
	expect(&f_month, NULL, "2026-12-01 00:00:00", "2026-12");
	expect(&f_month, NULL, "2026-12-06", NULL);
}

static void t_sets_and_text(void **state)
{
	(void)state;
	expect(&f_sdg, NULL, "10.7\xD8\x8C 16.6", "10.7, 16.6"); /* Arabic comma */
	expect(&f_sdg, NULL, "\xD9\xA1\xD9\xA0\xD9\xAB\xD9\xA7", "10.7"); /* ١٠٫٧ */
	expect(&f_text, NULL, " 50 000 \xD8\x8C ", " 50 000 \xD8\x8C "); /* text stays */
}

static void t_locales(void **state)
{
	(void)state;
	sheet_locale l;
	OK(sheet_locale_get("fr_FR.UTF-8", &l));
	assert_string_equal(l.name, "fr");
	assert_int_equal(l.sep, ';');
	OK(sheet_locale_get("en_GB", &l));
	assert_string_equal(l.name, "en-GB");
	OK(sheet_locale_get("en_US.UTF-8", &l));
	assert_string_equal(l.name, "en");
	assert_int_equal(l.sep, ',');
	assert_int_equal(sheet_locale_get("de", &l), C2C_EINVALID);
	assert_int_equal(sheet_locale_get("x", &l), C2C_EINVALID);
}

static void ev(const field_def *f, const char *in, int want_day, char want_dec)
{
	int d;
	char dec;
	OK(sheet_evidence(f, in, &d, &dec));
	if (d != want_day || dec != want_dec)
		fail_msg("'%s': day_first %d decimal '%c', wanted %d '%c'", in, d, dec ? dec : '0', want_day,
		         want_dec ? want_dec : '0');
}

static void t_evidence(void **state)
{
	(void)state;
	ev(&f_date, "31/12/2026", 1, 0);
	ev(&f_date, "12/31/2026", 0, 0);
	ev(&f_date, "06/12/2026", -1, 0);
	ev(&f_date, "2026-12-31", -1, 0);
	ev(&f_int, "50.000,00", -1, ',');
	ev(&f_int, "50,000.00", -1, '.');
	ev(&f_int, "1 234,5", -1, ',');
	ev(&f_int, "50.000", -1, 0);
	ev(&f_int, "1.000.000", -1, 0);
	ev(&f_int, "50000", -1, 0);
	ev(&f_text, "31/12/2026", -1, 0);
}

static void t_inert(void **state)
{
	(void)state;
	const char *cells[] = {"=1+1", "+33", "-x", "@SUM(A1)", "'", "'=x", "\tx"};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		char buf[64];
		assert_true(sheet_inert(cells[i]));
		snprintf(buf, sizeof(buf), "'%s", cells[i]);
		assert_string_equal(sheet_uninert(buf), cells[i]);
	}
	assert_false(sheet_inert("plain"));
	assert_false(sheet_inert(""));
	assert_string_equal(sheet_uninert("'plain"), "'plain"); /* an apostrophe export did not add */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_numbers), cmocka_unit_test(t_dates),   cmocka_unit_test(t_sets_and_text),
	    cmocka_unit_test(t_locales), cmocka_unit_test(t_evidence), cmocka_unit_test(t_inert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
