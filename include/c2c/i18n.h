/* i18n: the words a person reads, in English, French, Spanish and Arabic.
 *
 * The catalogs are gettext .po files, node/po/DOMAIN.LANG.po, embedded at
 * build time (scripts/embed_po.cmake): translators edit them with the tools they
 * know, and the node needs no locale installed to speak a language. Every
 * catalog of a language is read into one table at first use (thread-safe);
 * a domain is only a file, so that the CLI, the web interface and the report
 * each keep their own file and msgids never collide across contexts that use
 * msgctxt.
 *
 * Contexts in use: "table" (a table's name), "field" ("FIELD", or
 * "TABLE.FIELD" for one table), "value" ("FIELD.VALUE", or
 * "TABLE.FIELD.VALUE"); plain messages have no context (ctx NULL).
 *
 * Strings returned are borrowed and live as long as the process. */
#ifndef C2C_I18N_H
#define C2C_I18N_H

typedef struct {
	const char *lang; /* "ar", "en", "es", "fr" */
	const char *name; /* file name, for messages */
	const char *text; /* the .po file */
} i18n_catalog;

extern const i18n_catalog i18n_catalogs[];
extern const unsigned i18n_ncatalogs;

/* The languages, in the order a switch shows them. */
extern const char *const i18n_langs[]; /* NULL-terminated */

/* A language tag ("fr", "fr_FR.UTF-8", "ar-TN") as one of ours, or NULL. */
const char *i18n_lang(const char *tag);
/* The best of an Accept-Language header ("es-ES,es;q=0.9,en;q=0.5"); "en"
 * when nothing matches. */
const char *i18n_accept(const char *accept_language);
/* The language of messages as gettext chooses it: the locale of messages
 * is the first set of LC_ALL, LC_MESSAGES, LANG; when it is unset, "C" or
 * "POSIX", English (LANGUAGE is then ignored, as gettext ignores it); else
 * the first entry of LANGUAGE ("es:fr") that is one of ours, else the
 * locale's language; "en" when none is ours. */
const char *i18n_env(void);
/* 1 for a language written right to left. */
int i18n_rtl(const char *lang);

/* MSGID in LANG, in context CTX (NULL for none): the translation, or MSGID
 * itself when the catalog has none (or an empty msgstr). */
const char *i18n_tr(const char *lang, const char *ctx, const char *msgid);
/* Names for a person: a table, a field of a table, an allowed value of a
 * field (the more specific msgid first, then the general, then the code). */
const char *i18n_table(const char *lang, const char *table);
const char *i18n_field(const char *lang, const char *table, const char *field);
const char *i18n_value(const char *lang, const char *table, const char *field, const char *value);

/* The command line's messages, catalog domain "cli" (node/po/cli.LANG.po,
 * msgctxt "cli", msgid the English text). _(MSGID) is MSGID in this
 * thread's message language, or MSGID itself when the catalog lacks it;
 * N_(MSGID) marks a string translated where it is printed (a command's
 * summary and help in the command table). The language is "en" until
 * i18n_set_msg_lang: the CLI sets it from i18n_env() at start, so that
 * messages set below the CLI (err_set) are in the officer's language; a
 * thread that does not set it speaks English. Codes, JSON keys and values
 * written to files are never translated. */
void i18n_set_msg_lang(const char *lang);
const char *i18n_msg_lang(void);
const char *i18n_msg(const char *msgid) __attribute__((format_arg(1)));
#define _(msgid) i18n_msg(msgid)
#define N_(msgid) msgid
/* A count's message: ONE when N is 1, else MANY (both with the same
 * conversions); a translator words MANY so that it reads for any number. */
#define P_(n, one, many) ((n) == 1 ? i18n_msg(one) : i18n_msg(many))

/* Number of entries LANG has (tests: every language has every msgid). */
unsigned i18n_count(const char *lang);
/* Parse a catalog; returns 0, or -1 with *line set to the line at fault.
 * Used at build-test time to reject a broken .po (tests/unit). */
int i18n_check(const char *text, unsigned *line);
/* Call FN for each entry of a catalog (a non-empty msgid and msgstr), as
 * i18n_check parses it (tests: per-domain counts, printf conversions). */
typedef void (*i18n_entry_fn)(void *arg, const char *ctx, const char *msgid, const char *msgstr);
int i18n_walk(const char *text, i18n_entry_fn fn, void *arg, unsigned *line);

#endif
