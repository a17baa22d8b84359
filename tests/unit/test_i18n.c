/* i18n: the embedded catalogs parse, every language has every message of
 * English, and lookups fall back as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The conversions of a printf format, as "s,zu,lld,*d,": what a
 * translation must keep, in order, for the arguments to fit. */
static void conversions(const char *f, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (; *f; f++) {
		if (*f != '%')
			continue;
		if (*++f == '%')
			continue;
		char one[16];
		size_t k = 0;
		while (*f >= '0' && *f <= '9')
			f++;
		if (*f == '$')
			f++;
		else
			while (f[-1] >= '0' && f[-1] <= '9')
				f--;
		while (*f && strchr("-+ #0", *f))
			f++;
		for (; *f && (strchr("0123456789.*", *f)); f++)
			if (*f == '*' && k < 8)
				one[k++] = '*';
		while (*f && strchr("hlzjtL", *f) && k < 12)
			one[k++] = *f++;
		if (!*f)
			break;
		one[k++] = *f;
		one[k] = '\0';
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s,", one);
	}
}

typedef struct {
	const char *catalog;
	unsigned count;
	unsigned bad;
} domain_walk;

static void check_entry(void *arg, const char *ctx, const char *id, const char *str)
{
	domain_walk *w = arg;
	char a[256], b[256];
	w->count++;
	if (!ctx || strcmp(ctx, "cli")) {
		w->bad++;
		print_error("%s: msgid \"%.40s\" has no msgctxt \"cli\"\n", w->catalog, id);
		return;
	}
	conversions(id, a, sizeof a);
	conversions(str, b, sizeof b);
	if (strcmp(a, b)) {
		w->bad++;
		print_error("%s: \"%.40s\": conversions %s in the msgid, %s in the msgstr\n", w->catalog, id, a, b);
	}
}

/* The command line's own domain: every language has every message of
 * English, each with the printf conversions of its msgid. */
static void t_cli_domain(void **state)
{
	(void)state;
	unsigned counts[8] = {0}, found = 0;
	for (unsigned i = 0; i < i18n_ncatalogs; i++) {
		if (strncmp(i18n_catalogs[i].name, "cli.", 4))
			continue;
		domain_walk w = {i18n_catalogs[i].name, 0, 0};
		assert_int_equal(i18n_walk(i18n_catalogs[i].text, check_entry, &w, NULL), 0);
		if (w.bad)
			fail_msg("%s: %u bad messages", w.catalog, w.bad);
		for (int l = 0; i18n_langs[l]; l++)
			if (!strcmp(i18n_langs[l], i18n_catalogs[i].lang))
				counts[l] = w.count, found++;
	}
	assert_int_equal(found, 4);
	assert_true(counts[0] > 200);
	for (int l = 1; i18n_langs[l]; l++)
		if (counts[l] != counts[0])
			fail_msg("cli.%s.po has %u messages, cli.en.po has %u", i18n_langs[l], counts[l], counts[0]);
}

static void t_cli_messages(void **state)
{
	(void)state;
	assert_string_equal(i18n_msg_lang(), "en");
	assert_string_equal(_("no open conflicts\n"), "no open conflicts\n");
	i18n_set_msg_lang("fr");
	assert_string_equal(_("no open conflicts\n"), "aucun conflit ouvert\n");
	/* A message the catalog lacks is English. */
	assert_string_equal(_("not a message of any catalog"), "not a message of any catalog");
	i18n_set_msg_lang("es");
	assert_string_equal(_("out of memory"), "memoria insuficiente");
	i18n_set_msg_lang("ar");
	assert_string_equal(_("out of memory"), "الذاكرة غير كافية");
	/* A language we lack speaks English. */
	i18n_set_msg_lang("de");
	assert_string_equal(i18n_msg_lang(), "en");
	assert_string_equal(_("out of memory"), "out of memory");
	i18n_set_msg_lang(NULL);
}

/* gettext's choice: LC_ALL, LC_MESSAGES, LANG (first set) is the locale;
 * LANGUAGE, a list, wins over it unless the locale is C or POSIX. */
static void t_env(void **state)
{
	(void)state;
	const char *vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
	for (int i = 0; i < 4; i++)
		unsetenv(vars[i]);
	assert_string_equal(i18n_env(), "en");
	setenv("LANG", "fr_FR.UTF-8", 1);
	assert_string_equal(i18n_env(), "fr");
	setenv("LC_MESSAGES", "es_ES.UTF-8", 1);
	assert_string_equal(i18n_env(), "es");
	setenv("LC_ALL", "ar_TN.UTF-8", 1);
	assert_string_equal(i18n_env(), "ar");
	setenv("LANGUAGE", "de:es_MX:fr", 1);
	assert_string_equal(i18n_env(), "es");
	setenv("LANGUAGE", "", 1);
	assert_string_equal(i18n_env(), "ar");
	setenv("LC_ALL", "C", 1);
	setenv("LANGUAGE", "fr", 1);
	assert_string_equal(i18n_env(), "en"); /* C ignores LANGUAGE */
	setenv("LC_ALL", "POSIX", 1);
	assert_string_equal(i18n_env(), "en");
	setenv("LC_ALL", "de_DE.UTF-8", 1);
	assert_string_equal(i18n_env(), "fr");
	unsetenv("LANGUAGE");
	assert_string_equal(i18n_env(), "en"); /* a language we lack */
	for (int i = 0; i < 4; i++)
		unsetenv(vars[i]);
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
	    cmocka_unit_test(t_cli_domain),
	    cmocka_unit_test(t_cli_messages),
	    cmocka_unit_test(t_env),
	    cmocka_unit_test(t_lookup),
	    cmocka_unit_test(t_languages),
	    cmocka_unit_test(t_po_grammar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
