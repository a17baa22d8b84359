/* i18n: the embedded catalogs parse, every language has every message of
 * English, and lookups fall back as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "c2c/i18n.h"

static void t_catalogs_parse(void **state)
{
	(void)state;
	assert_true(i18n_ncatalogs >= 4);
	for (unsigned i = 0; i < i18n_ncatalogs; i++) {
		unsigned line = 0;
		if (i18n_check(i18n_catalogs[i].text, &line) != 0)
			fail_msg("%s: line %u does not parse", i18n_catalogs[i].name, line);
	}
}

static void t_every_language_complete(void **state)
{
	(void)state;
	unsigned en = i18n_count("en");
	assert_true(en > 50);
	for (int i = 0; i18n_langs[i]; i++)
		if (i18n_count(i18n_langs[i]) != en)
			fail_msg("%s has %u messages, en has %u", i18n_langs[i], i18n_count(i18n_langs[i]), en);
}

static void t_lookup(void **state)
{
	(void)state;
	assert_string_equal(i18n_table("fr", "actions"), "Actions ciblées de la ville");
	assert_string_equal(i18n_field("es", "actions", "budget_eur"), "Presupuesto (EUR)");
	assert_string_equal(i18n_value("ar", "actions", "status", "ongoing"), "جارٍ");
	assert_string_equal(i18n_value("en", "stakeholders", "kind", "civil_society"), "Civil society");
	/* Unknown codes come back as they are; unknown languages too. */
	assert_string_equal(i18n_value("fr", "actions", "status", "frozen"), "frozen");
	assert_string_equal(i18n_tr("de", NULL, "Save"), "Save");
	assert_string_equal(i18n_field("fr", "t", "nonesuch"), "nonesuch");
}

static void t_languages(void **state)
{
	(void)state;
	assert_string_equal(i18n_lang("fr_FR.UTF-8"), "fr");
	assert_string_equal(i18n_lang("AR-tn"), "ar");
	assert_null(i18n_lang("de_DE"));
	assert_null(i18n_lang("fra"));
	assert_null(i18n_lang(NULL));
	assert_string_equal(i18n_accept("de-DE,es;q=0.9,en;q=0.5"), "es");
	assert_string_equal(i18n_accept("en;q=0.2, ar-MA;q=0.8"), "ar");
	assert_string_equal(i18n_accept("de, it"), "en");
	assert_string_equal(i18n_accept(""), "en");
	assert_true(i18n_rtl("ar"));
	assert_false(i18n_rtl("fr"));
}

static void t_po_grammar(void **state)
{
	(void)state;
	unsigned line = 0;
	assert_int_equal(i18n_check("msgid \"a\"\nmsgstr \"b\"\n", &line), 0);
	assert_int_equal(i18n_check("msgid \"a\"\n\"b\"\nmsgstr \"c\\n\"\n\"d\"\n", &line), 0);
	assert_int_equal(i18n_check("# comment\n\nmsgctxt \"x\"\nmsgid \"a\"\nmsgstr \"\"\n", &line), 0);
	assert_int_equal(i18n_check("msgid \"a\"\nmsgstr \"b\nmsgid \"c\"\n", &line), -1);
	assert_int_equal(line, 2);
	assert_int_equal(i18n_check("msgid \"a\"\nmsgstr \"\\q\"\n", &line), -1);
	assert_int_equal(i18n_check("msgstr \"a\"\n", &line), -1);
	assert_int_equal(i18n_check("msgid \"a\"\n", &line), -1);
	assert_int_equal(i18n_check("bogus\n", &line), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_catalogs_parse),
	    cmocka_unit_test(t_every_language_complete),
	    cmocka_unit_test(t_lookup),
	    cmocka_unit_test(t_languages),
	    cmocka_unit_test(t_po_grammar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
