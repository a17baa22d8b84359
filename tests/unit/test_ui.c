/* ui: one escaping function per context, and the page printf that uses
 * them: every character that could open markup, end an attribute or break a
 * URL component comes out escaped; unknown directives write nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2c/ui.h"

static char *esc(void (*fn)(ui_buf *, const char *), const char *s)
{
	ui_buf b = {0};
	fn(&b, s);
	return b.p ? b.p : strdup("");
}

static void t_html(void **state)
{
	(void)state;
	char *o = esc(ui_esc_html, "<script>alert(\"x\")</script> & 'q'");
	assert_string_equal(o, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
	free(o);
	o = esc(ui_esc_html, "طنجة\nline");
	assert_string_equal(o, "طنجة\nline");
	free(o);
}

static void t_attr(void **state)
{
	(void)state;
	char *o = esc(ui_esc_attr, "a\"b'c<d>e&f\ng\th`");
	assert_string_equal(o, "a&quot;b&#39;c&lt;d&gt;e&amp;f&#10;g&#9;h&#96;");
	free(o);
}

static void t_url(void **state)
{
	(void)state;
	char *o = esc(ui_esc_url, "a b/c?d&e=f#g\"<é");
	assert_string_equal(o, "a%20b%2Fc%3Fd%26e%3Df%23g%22%3C%C3%A9");
	free(o);
	o = esc(ui_esc_url, "AZaz09-_.~");
	assert_string_equal(o, "AZaz09-_.~");
	free(o);
}

static void t_printf(void **state)
{
	(void)state;
	ui_req r = {0};
	r.lang = "fr";
	ui_printf(&r, "<a href=\"/records/%u\" title=\"%a\">%h</a> %d %L %Z %%", "a b", "\"x\"", "<b>", -3, 1234567890123LL,
	          (size_t)7);
	assert_string_equal(r.out.p, "<a href=\"/records/a%20b\" title=\"&quot;x&quot;\">&lt;b&gt;</a> -3 1234567890123 7 %");
	assert_false(r.out.oom);
	free(r.out.p);
	memset(&r.out, 0, sizeof(r.out));
	ui_printf(&r, "%t", "Save");
	assert_string_equal(r.out.p, "Enregistrer");
	free(r.out.p);
	memset(&r.out, 0, sizeof(r.out));
	/* %s is not a directive: nothing raw reaches the page */
	ui_printf(&r, "x%sy", "<b>");
	assert_true(r.out.oom);
	assert_null(strstr(r.out.p ? r.out.p : "", "<b>"));
	free(r.out.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_html),
	    cmocka_unit_test(t_attr),
	    cmocka_unit_test(t_url),
	    cmocka_unit_test(t_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
