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

/* The library's messages in the page's language: the names and numbers
 * inside kept as they are (escaped), an unknown message marked English. */
static char *msg_in(const char *lang, const char *msg)
{
	ui_req r = {0};
	r.lang = lang;
	ui_msg(&r, msg);
	return r.out.p;
}

static void t_msg(void **state)
{
	(void)state;
	char *o = msg_in("fr", "hub: /n/c2c.lock: another c2c command (pid 42) is using this node");
	assert_string_equal(o, "<bdi>hub: /n/c2c.lock : une autre commande c2c (pid 42) utilise ce nœud</bdi>");
	free(o);
	o = msg_in("es", "'<b>x</b>' is not an allowed value");
	assert_string_equal(o, "<bdi>«&lt;b&gt;x&lt;/b&gt;» no es un valor permitido</bdi>");
	free(o);
	o = msg_in("ar", "row 3 and row 5 are the same actions record");
	assert_string_equal(o, "<bdi>الصف 3 والصف 5 هما السجل نفسه (actions)</bdi>");
	free(o);
	o = msg_in("fr", "its committer is 'someone <s@x>', not the node that signed it (n1)");
	assert_string_equal(o, "<bdi>son auteur de commit est « someone &lt;s@x&gt; », pas le nœud qui l&#39;a signé (n1)</bdi>");
	free(o);
	o = msg_in("fr", "something no catalog knows <here>");
	assert_string_equal(o, "<bdi lang=\"en\" dir=\"ltr\">something no catalog knows &lt;here&gt;</bdi>");
	free(o);
	o = msg_in("en", "something no catalog knows");
	assert_string_equal(o, "<bdi>something no catalog knows</bdi>");
	free(o);
}

static void t_sync_summary(void **state)
{
	(void)state;
	ui_req r = {0};
	r.lang = "fr";
	ui_sync_summary(&r, "merged with conflicts, 3 records changed, pushed, 1 branch held");
	assert_string_equal(r.out.p, "fusionné (avec des conflits), fiches modifiées : 3, vos modifications ont été envoyées, "
	                             "branches retenues : 1");
	free(r.out.p);
	memset(&r.out, 0, sizeof(r.out));
	r.lang = "ar";
	r.rtl = 1;
	ui_sync_summary(&r, "up to date, 0 records changed, nothing to push");
	assert_string_equal(r.out.p, "لا جديد، السجلات المعدّلة: 0، لا شيء للإرسال");
	free(r.out.p);
	memset(&r.out, 0, sizeof(r.out));
	/* an error, as recorded: as a message */
	ui_sync_summary(&r, "hub: connecting to 127.0.0.1:22: Connection refused");
	assert_string_equal(r.out.p, "<bdi>hub: الاتصال بـ 127.0.0.1:22: رُفض الاتصال</bdi>");
	free(r.out.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_html),
	    cmocka_unit_test(t_attr),
	    cmocka_unit_test(t_url),
	    cmocka_unit_test(t_printf),
	    cmocka_unit_test(t_msg),
	    cmocka_unit_test(t_sync_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
