/* ui: one escaping function per context, and the page printf that uses
 * them: every character that could open markup, end an attribute or break a
 * URL component comes out escaped; unknown directives write nothing. The
 * request's parameters and the session secrets; the queries the pages read
 * the store with (store_browse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "c2c/err.h"
#include "c2c/store_browse.h"
#include "c2c/ui.h"
#include "c2c/ui_params.h"
#include "c2c/ui_session.h"
#include "unit.h"

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

/* Parameters: the first value of a key, values that come in pieces, a
 * set's checkboxes joined. */
static void t_params(void **state)
{
	(void)state;
	ui_params p = {0};
	for (int i = 0; i < 20; i++)
		OK(ui_params_add(&p, "n", "x", 1, NULL));
	OK(ui_params_add(&p, "themes", "housing", 7, NULL));
	OK(ui_params_add(&p, "themes", "", 0, NULL));
	OK(ui_params_add(&p, "themes", "work", 2, NULL));
	OK(ui_params_extend_last(&p, "rk", 2));
	OK(ui_params_add(&p, "file", "a\0b", 3, "f.csv"));
	assert_int_equal(p.n, 24);
	ui_req r = {0};
	r.post = p.v;
	r.npost = p.n;
	assert_string_equal(ui_post(&r, "themes"), "housing");
	assert_null(ui_post(&r, "nothing"));
	assert_null(ui_get(&r, "themes"));
	char *j = ui_post_joined(&r, "themes");
	assert_string_equal(j, "housing,work");
	free(j);
	j = ui_post_joined(&r, "none");
	assert_string_equal(j, "");
	free(j);
	const ui_param *f = ui_post_param(&r, "file");
	assert_int_equal(f->len, 3);
	assert_memory_equal(f->val, "a\0b", 4);
	assert_string_equal(f->filename, "f.csv");
	ui_params_free(&p);
	assert_null(p.v);
}

static void t_session(void **state)
{
	(void)state;
	assert_true(ui_secret_eq("abc", "abc"));
	assert_false(ui_secret_eq("abc", "abd"));
	assert_false(ui_secret_eq("abc", "abcd"));
	assert_false(ui_secret_eq("", ""));
	assert_false(ui_secret_eq(NULL, NULL));
	ui_sessions t;
	memset(&t, 0, sizeof(t));
	ui_session *a = ui_session_new(&t);
	assert_non_null(a);
	char first[65];
	strcpy(first, a->id);
	assert_int_equal(strlen(a->id), 64);
	assert_int_equal(strlen(a->csrf), 64);
	assert_ptr_equal(ui_session_find(&t, a->id), a);
	assert_null(ui_session_find(&t, "0123"));
	ui_req r = {0};
	r.session = a;
	OK(ui_session_keep_upload(&r, "actions", "id,title\n", 9));
	size_t len = 0;
	assert_null(ui_session_upload(&r, "cities", &len));
	assert_string_equal(ui_session_upload(&r, "actions", &len), "id,title\n");
	assert_int_equal(len, 9);
	/* a full table takes its oldest slot again, and frees its upload */
	for (int i = 0; i < UI_MAX_SESSIONS; i++)
		assert_non_null(ui_session_new(&t));
	assert_null(ui_session_find(&t, first));
	assert_null(a->upload);
	ui_sessions_free(&t);
}

/* ------------------------------------------------------------ store_browse */
typedef struct {
	char got[512];
	int conflicts;
} rows_seen;

static int row_seen(const char *id, const char *label, const char *const *vals, int conflict, void *payload)
{
	rows_seen *s = payload;
	size_t n = strlen(s->got);
	snprintf(s->got + n, sizeof(s->got) - n, "%s|%s|%s|%s;", id, label ? label : "-", vals[0] ? vals[0] : "-",
	         vals[1] ? vals[1] : "-");
	s->conflicts += conflict;
	return 0;
}

static int id_seen(const char *id, void *payload)
{
	size_t n = strlen(payload);
	snprintf((char *)payload + n, 128 - n, "%s;", id);
	return 0;
}

static void put(store *st, const table_def *t, const char *id, const char *text)
{
	json_t *rec = json_loads(text, 0, NULL);
	assert_non_null(rec);
	OK(store_row_put(st, t, id, rec));
	json_decref(rec);
}

static void t_browse(void **state)
{
	(void)state;
	char dir[] = "/tmp/c2c-unit-ui-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c2c.db", dir);
	store *st = NULL;
	OK(store_open(&st, path, 1, 0));
	const table_def *t = store_table(st, "actions");
	assert_non_null(t);
	put(st, t, "a1", "{\"city\": \"tng\", \"title\": \"Welcome desk\", \"budget_eur\": 5000, \"themes\": [\"housing\"],"
	                 " \"_c2c\": {}}");
	put(st, t, "a2", "{\"city\": \"tng\", \"title\": \"100%_sure\", \"budget_eur\": 700, \"themes\": [\"work\", \"housing\"],"
	                 " \"_c2c\": {\"conflicts\": {\"title\": []}}}");
	put(st, t, "a3", "{\"city\": \"tng\", \"title\": \"\", \"_c2c\": {}}");
	const field_def *cols[2] = {store_field(t, "budget_eur"), store_field(t, "themes")}, *label = store_field(t, "title");
	long long n = -1;

	store_browse_query all = {0};
	OK(store_browse_count(st, t, &all, 100, &n));
	assert_int_equal(n, 3);
	OK(store_browse_count(st, t, &all, 2, &n));
	assert_int_equal(n, 2);
	OK(store_browse_count_upto(st, t, 10000, &n));
	assert_int_equal(n, 3);

	/* newest ids first; an empty label is none; integers in decimal, sets as JSON */
	rows_seen s = {{0}, 0};
	OK(store_browse_rows(st, t, &all, label, cols, 2, 0, 50, row_seen, &s));
	assert_string_equal(s.got, "a3|-|-|-;a2|100%_sure|700|[\"work\", \"housing\"];a1|Welcome desk|5000|[\"housing\"];");
	assert_int_equal(s.conflicts, 1);

	/* a page; a sort on a field, both ways */
	store_browse_query by_budget = {NULL, NULL, "budget_eur", 1};
	memset(&s, 0, sizeof(s));
	OK(store_browse_rows(st, t, &by_budget, NULL, cols, 2, 1, 1, row_seen, &s));
	assert_string_equal(s.got, "a2|-|700|[\"work\", \"housing\"];");
	by_budget.desc = 0; /* an empty field sorts first */
	memset(&s, 0, sizeof(s));
	OK(store_browse_rows(st, t, &by_budget, label, cols, 2, 0, 2, row_seen, &s));
	assert_string_equal(s.got, "a3|-|-|-;a2|100%_sure|700|[\"work\", \"housing\"];");

	/* a search takes % and _ literally; a set filter matches a member */
	store_browse_query q = {"0%_", NULL, NULL, 0};
	OK(store_browse_count(st, t, &q, 100, &n));
	assert_int_equal(n, 1);
	q.search = "DESK"; /* LIKE: ASCII case does not matter */
	OK(store_browse_count(st, t, &q, 100, &n));
	assert_int_equal(n, 1);
	json_t *f = json_pack("{s:s}", "themes", "housing");
	store_browse_query byf = {NULL, f, NULL, 0};
	OK(store_browse_count(st, t, &byf, 100, &n));
	assert_int_equal(n, 2);
	json_object_set_new(f, "themes", json_string("work"));
	memset(&s, 0, sizeof(s));
	OK(store_browse_rows(st, t, &byf, label, cols, 2, 0, 50, row_seen, &s));
	assert_string_equal(s.got, "a2|100%_sure|700|[\"work\", \"housing\"];");
	json_decref(f);

	char ids[128] = "";
	OK(store_browse_conflicted(st, t, 200, id_seen, ids));
	assert_string_equal(ids, "a2;");

	store_close(st);
	unlink(path);
	char more[96];
	snprintf(more, sizeof(more), "rm -rf '%s'", dir);
	assert_int_equal(system(more), 0);
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
	    cmocka_unit_test(t_params),
	    cmocka_unit_test(t_session),
	    cmocka_unit_test(t_browse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
