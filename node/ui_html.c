/* ui_html: pages as text: the buffer, one escaping function per context,
 * the page printf, and the shell every page shares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/ui.h"
#include "c2c/util.h"

int ui_buf_add(ui_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return -1;
	size_t need = b->len + n + 1;
	if (need < n || util_grow((void **)&b->p, &b->cap, need < 4096 ? 4096 : need, 1) < 0) {
		b->oom = 1;
		return -1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void ui_lit(ui_req *r, const char *markup)
{
	ui_buf_add(&r->out, markup, strlen(markup));
}

/* Text between tags: the three characters that open markup or an entity,
 * and both quotes, so that the text is also safe if a later edit moves it
 * into an attribute. */
void ui_esc_html(ui_buf *b, const char *s)
{
	const char *run = s;
	if (!s)
		return;
	for (; *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		ui_buf_add(b, run, (size_t)(s - run));
		ui_buf_add(b, e, strlen(e));
		run = s + 1;
	}
	ui_buf_add(b, run, (size_t)(s - run));
}

/* A double-quoted attribute value: as text, and line breaks and tabs as
 * character references so that values keep them exactly. */
void ui_esc_attr(ui_buf *b, const char *s)
{
	const char *run = s;
	if (!s)
		return;
	for (; *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		case '\n': e = "&#10;"; break;
		case '\r': e = "&#13;"; break;
		case '\t': e = "&#9;"; break;
		case '`': e = "&#96;"; break;
		default: continue;
		}
		ui_buf_add(b, run, (size_t)(s - run));
		ui_buf_add(b, e, strlen(e));
		run = s + 1;
	}
	ui_buf_add(b, run, (size_t)(s - run));
}

/* A URL component: everything but RFC 3986's unreserved characters is
 * percent-encoded (so '/', '?', '&', '#', ':' too). The result is also safe
 * in an attribute. */
void ui_esc_url(ui_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			ui_buf_add(b, (const char *)&c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			ui_buf_add(b, e, 3);
		}
	}
}

const char *ui_t(const ui_req *r, const char *msgid)
{
	return i18n_tr(r->lang, "ui", msgid);
}

void ui_printf(ui_req *r, const char *fmt, ...)
{
	va_list ap;
	char num[32];
	const char *run = fmt;
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		ui_buf_add(&r->out, run, (size_t)(p - run));
		p++;
		switch (*p) {
		case 'h': ui_esc_html(&r->out, va_arg(ap, const char *)); break;
		case 'a': ui_esc_attr(&r->out, va_arg(ap, const char *)); break;
		case 'u': ui_esc_url(&r->out, va_arg(ap, const char *)); break;
		case 't': ui_esc_html(&r->out, ui_t(r, va_arg(ap, const char *))); break;
		case 'd':
			snprintf(num, sizeof(num), "%d", va_arg(ap, int));
			ui_lit(r, num);
			break;
		case 'L':
			snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
			ui_lit(r, num);
			break;
		case 'Z':
			snprintf(num, sizeof(num), "%zu", va_arg(ap, size_t));
			ui_lit(r, num);
			break;
		case '%': ui_lit(r, "%"); break;
		default:
			/* A directive this printf does not have is a bug in
			 * the page: write nothing of it, and stop. */
			va_end(ap);
			r->out.oom = 1;
			return;
		}
		run = p + 1;
	}
	ui_buf_add(&r->out, run, strlen(run));
	va_end(ap);
}

void ui_csrf_field(ui_req *r)
{
	ui_printf(r, "<input type=\"hidden\" name=\"csrf\" value=\"%a\">", r->csrf);
}

/* The current path and query with lang=L in place of any lang. */
static void lang_link(ui_req *r, const char *l)
{
	ui_esc_attr(&r->out, r->path);
	ui_lit(r, "?");
	for (size_t i = 0; i < r->nget; i++) {
		if (!strcmp(r->get[i].key, "lang"))
			continue;
		ui_esc_url(&r->out, r->get[i].key);
		ui_lit(r, "=");
		ui_esc_url(&r->out, r->get[i].val);
		ui_lit(r, "&amp;");
	}
	ui_printf(r, "lang=%u", l);
}

static const char *lang_name(const char *l)
{
	return !strcmp(l, "ar") ? "العربية" : !strcmp(l, "fr") ? "Français" : !strcmp(l, "es") ? "Español" : "English";
}

void ui_page_begin(ui_req *r, const char *title)
{
	c2c_node *n = r->node;
	ui_printf(r,
	          "<!DOCTYPE html>\n<html lang=\"%a\" dir=\"%a\">\n<head>\n<meta charset=\"utf-8\">\n"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	          "<title>%h · c2c</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	          "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n"
	          "<script src=\"/static/app.js\" defer></script>\n",
	          r->lang, r->rtl ? "rtl" : "ltr", title);
	if (r->refresh > 0) /* without script only: with it, the page's script follows */
		ui_printf(r, "<noscript><meta http-equiv=\"refresh\" content=\"%d\"></noscript>\n", r->refresh);
	ui_lit(r, "</head>\n<body>\n<header class=\"top\">\n"
	          "<a class=\"brand\" href=\"/\"><img src=\"/static/icon.svg\" alt=\"\" width=\"28\" height=\"28\"> c2c</a>\n");
	if (n) {
		const char *who = n->city ? n->city : "office";
		ui_printf(r, "<span class=\"node\"><bdi>%h</bdi> · <bdi>%h</bdi></span>\n", who, n->user_name ? n->user_name : "");
	}
	ui_printf(r,
	          "<nav class=\"main\" aria-label=\"%t\">\n<a href=\"/\">%t</a>\n<a href=\"/records/actions\">%t</a>\n"
	          "<a href=\"/profile\">%t</a>\n<a href=\"/records/stakeholders\">%t</a>\n<a href=\"/history\">%t</a>\n"
	          "<a href=\"/conflicts\">%t</a>\n<a href=\"/sync\">%t</a>\n<a href=\"/report\">%t</a>\n</nav>\n",
	          "Main", "Home", "Actions", "Profile", "Stakeholders", "History", "Conflicts", "Sync", "Report");
	if (n && !n->city)
		ui_printf(r, "<nav class=\"office\" aria-label=\"%t\"><a href=\"/dashboard\">%t</a></nav>\n", "Office",
		          "Dashboard");
	ui_printf(r, "<nav class=\"langs\" aria-label=\"%t\">", "Language");
	for (int i = 0; i18n_langs[i]; i++) {
		const char *l = i18n_langs[i];
		ui_printf(r, "<a lang=\"%a\" hreflang=\"%a\" href=\"", l, l);
		lang_link(r, l);
		ui_lit(r, strcmp(l, r->lang) ? "\">" : "\" aria-current=\"true\">");
		ui_printf(r, "%h</a>", lang_name(l));
	}
	ui_lit(r, "</nav>\n</header>\n<main class=\"page\">\n");
}

void ui_page_end(ui_req *r)
{
	ui_printf(r, "</main>\n<footer class=\"foot\">%t · <a href=\"/verify\">%t</a></footer>\n</body>\n</html>\n",
	          "c2c keeps this city's data on this computer; it works without the network.", "Check this node");
}

int ui_error_page(ui_req *r, int status, const char *message, const char *hint)
{
	r->status = status;
	r->out.len = 0;
	ui_page_begin(r, ui_t(r, "Something went wrong"));
	ui_printf(r, "<h1>%t</h1>\n<p class=\"error\" role=\"alert\">%h</p>\n", "Something went wrong", message);
	if (hint)
		ui_printf(r, "<p class=\"hint\">%h</p>\n", hint);
	ui_printf(r, "<p><a href=\"/\">%t</a></p>\n", "Back to the home page");
	ui_page_end(r);
	return 0;
}

int ui_redirect(ui_req *r, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) || buf[0] != '/' || buf[1] == '/')
		return err_set(C2C_EINVALID, "bad redirect target");
	free(r->location);
	if (!(r->location = strdup(buf)))
		return ERR_OOM();
	return 0;
}

const char *ui_when(long long t, char *buf, size_t cap)
{
	if (!t)
		return NULL;
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}
