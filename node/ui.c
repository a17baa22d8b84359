/* ui: the HTTP side of `c2c ui`: libmicrohttpd, the checks every request
 * passes, the login and its session (the table is node/ui_session.c's),
 * the route table and the embedded assets. It is the top of the web
 * interface: it calls the pages, and nothing calls it but `c2c ui`.
 *
 * The daemon answers each connection in a thread of its own, so that a
 * slow page (or one waiting for the node lock while a sync merges) does
 * not hold up the others: assets, the login and the pages that open no
 * node (the progress of a sync) answer at once. The pages that
 * open the node still run one at a time (the mutex `pages`), each under the
 * node lock as a CLI command takes it: the node is never opened twice at
 * once by this server, and the pages share no state but the sessions,
 * which the mutex `smu` guards. The pages that open no node are listed in
 * `nodeless`. A sync started from the browser runs in a
 * thread of its own (node/ui_sync.c). */
#include "c2c/ui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/mhd_load.h"
#include "c2c/ui_params.h"
#include "c2c/ui_session.h"

/* Assets from node/ui/, embedded by scripts/embed_assets.cmake. */
typedef struct {
	const char *name, *type;
	const unsigned char *data;
	size_t len;
} ui_asset;
extern const ui_asset ui_assets[];

/* The pages, by path prefix: adding a page is one line here. */
static const ui_route routes[] = {
    {"/", ui_page_home},
    {"/records/", ui_page_records},
    {"/new/", ui_page_new},
    {"/profile", ui_page_profile},
    {"/history", ui_page_history},
    {"/conflicts", ui_page_conflicts},
    {"/sync", ui_page_sync},
    {"/import/", ui_page_import},
    {"/export/", ui_page_export},
    {"/report", ui_page_report},
    {"/dashboard", ui_page_dashboard},
    {"/verify", ui_page_verify},
};

/* Pages that open no node (r->node is NULL): they run beside the others. */
static const ui_route nodeless[] = {
    {"/sync/progress", ui_page_sync_progress},
};

#define MAX_BODY (32u * 1024 * 1024)
/* Cookies belong to a host, not to a port: each server names its own
 * (c2c_session_PORT), so that two nodes served side by side keep theirs. */
#define COOKIE "c2c_session_%d"

struct ui_server {
	struct MHD_Daemon *d;
	int fd;
	int port;
	char *dir;
	char token[65];
	ui_sessions sessions;
	pthread_mutex_t pages; /* the pages that open the node: one at a time */
	pthread_mutex_t smu;   /* the session table (taken after pages, never before) */
};

/* -------------------------------------------------------------- helpers */
static char *strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strfmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (p) {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

/* ------------------------------------------------------------ a request */
typedef struct {
	int deny;       /* 403 once the body is read */
	int too_big;
	size_t body;
	char sid[65];   /* the session cookie's value, looked up again when the page runs */
	ui_session *session;
	struct MHD_PostProcessor *pp;
	ui_params post, get;
} conn_state;

static enum MHD_Result get_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	conn_state *cs = cls;
	(void)kind;
	if (key && ui_params_add(&cs->get, key, value ? value : "", value ? strlen(value) : 0, NULL) < 0)
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                 const char *content_type, const char *transfer_encoding, const char *data,
                                 uint64_t off, size_t size)
{
	conn_state *cs = cls;
	(void)kind, (void)content_type, (void)transfer_encoding;
	if (!key)
		return MHD_YES;
	if (off > 0 && cs->post.n && !strcmp(cs->post.v[cs->post.n - 1].key, key))
		return ui_params_extend_last(&cs->post, data, size) < 0 ? MHD_NO : MHD_YES;
	return ui_params_add(&cs->post, key, data ? data : "", data ? size : 0, filename) < 0 ? MHD_NO : MHD_YES;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	conn_state *cs = *con_cls;
	(void)cls, (void)c, (void)toe;
	if (!cs)
		return;
	if (cs->pp)
		MHD_destroy_post_processor(cs->pp);
	ui_params_free(&cs->post);
	ui_params_free(&cs->get);
	free(cs);
	*con_cls = NULL;
}

static void security_headers(struct MHD_Response *resp, int loose_style)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
	                        loose_style ? "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
	                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	                                    : "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
	                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

static enum MHD_Result send_buf(struct MHD_Connection *c, int status, const char *type, char *body, size_t len,
                                const char *extra_name, const char *extra_value, int loose_style)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	security_headers(resp, loose_style);
	if (extra_name)
		MHD_add_response_header(resp, extra_name, extra_value);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The plain page of a refused request: no data, no session needed. */
static enum MHD_Result send_forbidden(struct MHD_Connection *c, const char *why)
{
	char *body = strfmt("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>403 Forbidden</title>"
	             "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main class=\"page\">"
	             "<h1>403 Forbidden</h1><p>%s</p></main></body></html>\n",
	                    why);
	if (!body)
		return MHD_NO;
	return send_buf(c, 403, "text/html; charset=utf-8", body, strlen(body), NULL, NULL, 0);
}

/* Host must name this server: a page of another site that resolves its own
 * name to 127.0.0.1 (DNS rebinding) sends its own name. */
static int host_ok(ui_server *s, const char *host)
{
	char a[64], b[64];
	if (!host)
		return 0;
	snprintf(a, sizeof(a), "127.0.0.1:%d", s->port);
	snprintf(b, sizeof(b), "localhost:%d", s->port);
	return !strcmp(host, a) || !strcmp(host, b);
}

static const ui_asset *asset_find(const char *name)
{
	for (const ui_asset *a = ui_assets; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

static const ui_route *route_find(const char *path)
{
	for (size_t i = 0; i < sizeof(nodeless) / sizeof(nodeless[0]); i++)
		if (!strcmp(path, nodeless[i].prefix))
			return &nodeless[i];
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *p = routes[i].prefix;
		size_t n = strlen(p);
		if (!strcmp(p, "/") ? !strcmp(path, "/") : (!strncmp(path, p, n) && (p[n - 1] == '/' || !path[n] || path[n] == '/')))
			return &routes[i];
	}
	return NULL;
}

/* Run a page: open the node (for writing on POST), call the handler, make
 * the response. */
static enum MHD_Result run_page(ui_server *s, struct MHD_Connection *c, conn_state *cs, ui_session *x,
                                const ui_route *rt, const char *url, const char *method)
{
	ui_req r = {0};
	int post = !strcmp(method, "POST"), err = 0;
	char lang_buf[4], csrf[65];
	r.method = method;
	r.path = url;
	r.node_dir = s->dir;
	r.session = x; /* only pages that open the node use it (they hold `pages`) */
	r.get = cs->get.v;
	r.nget = cs->get.n;
	r.post = cs->post.v;
	r.npost = cs->post.n;
	r.status = 200;
	const char *lang = ui_get(&r, "lang");
	pthread_mutex_lock(&s->smu);
	if (lang && i18n_lang(lang) && strlen(lang) == 2)
		snprintf(x->lang, sizeof(x->lang), "%s", i18n_lang(lang));
	snprintf(lang_buf, sizeof(lang_buf), "%s", x->lang);
	snprintf(csrf, sizeof(csrf), "%s", x->csrf);
	pthread_mutex_unlock(&s->smu);
	r.csrf = csrf;
	r.lang = lang_buf[0] ? lang_buf
	                     : i18n_accept(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
	r.rtl = i18n_rtl(r.lang);
	/* The messages of the checks below stay in English: ui_msg.c puts
	 * those an officer meets in the page's language, with the names and
	 * values they carry in words. */
	i18n_set_msg_lang("en");
	err_clear();
	if (!rt) {
		ui_error_page(&r, 404, ui_t(&r, "There is no such page."), NULL);
		goto respond;
	}
	if (rt >= nodeless && rt < nodeless + sizeof(nodeless) / sizeof(nodeless[0]))
		err = rt->fn(&r);
	else if ((err = node_open(&r.node, s->dir, post ? NODE_WRITE : NODE_READ)) == 0)
		err = rt->fn(&r);
	node_close(r.node);
	r.node = NULL;
	if (err < 0) {
		/* The handler may have begun a page: start again. */
		r.out.len = 0;
		free(r.location);
		r.location = NULL;
		free(r.disposition);
		r.disposition = NULL;
		r.content_type = NULL;
		r.loose_style = 0;
		int status = err == C2C_ENOTFOUND ? 404 : err == C2C_ELOCKED ? 423 : err == C2C_EINVALID ? 422 : 500;
		/* The library's message, in the page's language where it is known. */
		ui_buf msg = {0}, hint = {0};
		if (!ui_msg_text(&r, err_msg(), &msg))
			ui_buf_add(&msg, err_msg(), strlen(err_msg()));
		if (err == C2C_ELOCKED && ui_sync_running()) {
			/* The node is held by the sync this server runs, while it merges. */
			const char *h = ui_t(&r, "A sync started here is merging what it received: this page answers again in a "
			                         "moment; reload it.");
			ui_buf_add(&hint, h, strlen(h));
		} else if (err_hint_msg() && !ui_msg_text(&r, err_hint_msg(), &hint))
			ui_buf_add(&hint, err_hint_msg(), strlen(err_hint_msg()));
		ui_error_page(&r, status, msg.p && !msg.oom ? msg.p : "error", hint.oom ? NULL : hint.p);
		free(msg.p);
		free(hint.p);
	}
respond:;
	enum MHD_Result ret;
	if (r.out.oom) {
		free(r.out.p);
		r.out.p = NULL;
		r.out.len = 0;
		r.status = 500;
	}
	if (r.location) {
		free(r.out.p);
		ret = send_buf(c, 303, "text/plain; charset=utf-8", NULL, 0, "Location", r.location, 0);
	} else {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
		    r.out.len, r.out.p ? r.out.p : (char *)"", r.out.p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (!resp) {
			free(r.out.p);
			ret = MHD_NO;
		} else {
			MHD_add_response_header(resp, "Content-Type",
			                        r.content_type ? r.content_type : "text/html; charset=utf-8");
			MHD_add_response_header(resp, "Cache-Control", "no-store");
			if (r.disposition)
				MHD_add_response_header(resp, "Content-Disposition", r.disposition);
			MHD_add_response_header(resp, "Content-Language", r.lang);
			security_headers(resp, r.loose_style);
			ret = MHD_queue_response(c, (unsigned)r.status, resp);
			MHD_destroy_response(resp);
		}
	}
	free(r.location);
	free(r.disposition);
	err_clear();
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	ui_server *s = cls;
	conn_state *cs = *con_cls;
	(void)version;
	if (!cs) {
		/* First call: the headers are in. Judge the request now; read
		 * (and drop, if refused) its body in the calls that follow. */
		if (!(cs = calloc(1, sizeof(*cs))))
			return MHD_NO;
		*con_cls = cs;
		int post = !strcmp(method, "POST");
		if (!post && strcmp(method, "GET") && strcmp(method, "HEAD"))
			cs->deny = 405;
		else if (!host_ok(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
			cs->deny = 1;
		else {
			char name[40];
			snprintf(name, sizeof(name), COOKIE, s->port);
			const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, name);
			snprintf(cs->sid, sizeof(cs->sid), "%s", cookie ? cookie : "");
			pthread_mutex_lock(&s->smu);
			cs->session = ui_session_find(&s->sessions, cs->sid);
			pthread_mutex_unlock(&s->smu);
			/* only a hint whether to read the body: looked up again below */
		}
		if (post && !cs->deny && cs->session) {
			cs->pp = MHD_create_post_processor(c, 64 * 1024, post_iter, cs);
			/* A POST that is not a form is refused below (no CSRF field). */
		}
		if (MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, get_arg, cs) < 0)
			return MHD_NO;
		return MHD_YES;
	}
	if (*upload_data_size) {
		cs->body += *upload_data_size;
		if (cs->body > MAX_BODY)
			cs->too_big = 1;
		else if (cs->pp && !cs->too_big && MHD_post_process(cs->pp, upload_data, *upload_data_size) != MHD_YES)
			cs->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}

	/* The whole request is in. */
	if (cs->deny == 405)
		return send_buf(c, 405, "text/plain; charset=utf-8", strdup("method not allowed\n"), 19, "Allow",
		                "GET, POST", 0);
	if (cs->deny)
		return send_forbidden(c, "This server answers only at the address that <code>c2c ui</code> printed "
		                         "(127.0.0.1 or localhost, with its port).");
	if (!strncmp(url, "/static/", 8)) {
		/* Assets hold no data: served to anyone on this machine who
		 * names the server rightly, so that the 403 page has its style. */
		const ui_asset *a = asset_find(url + 8);
		if (!a)
			return send_buf(c, 404, "text/plain; charset=utf-8", strdup("no such asset\n"), 14, NULL, NULL, 0);
		struct MHD_Response *resp =
		    MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", a->type);
		MHD_add_response_header(resp, "Cache-Control", "max-age=3600");
		security_headers(resp, 0);
		enum MHD_Result ret = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (!strcmp(url, "/login")) {
		const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
		if (!ui_secret_eq(tok, s->token))
			return send_forbidden(c, "This link is not valid any more. Open the address that "
			                         "<code>c2c ui</code> printed when it started.");
		pthread_mutex_lock(&s->pages); /* a session is not recycled while a page uses it */
		pthread_mutex_lock(&s->smu);
		ui_session *x = ui_session_new(&s->sessions);
		char sid[65];
		snprintf(sid, sizeof(sid), "%s", x ? x->id : "");
		pthread_mutex_unlock(&s->smu);
		pthread_mutex_unlock(&s->pages);
		if (!x)
			return MHD_NO;
		char cookie[160];
		snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", s->port, sid);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, "Set-Cookie", cookie);
		MHD_add_response_header(resp, "Location", "/");
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		security_headers(resp, 0);
		enum MHD_Result ret = MHD_queue_response(c, 303, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	const ui_route *rt = route_find(url);
	int locked = !(rt >= nodeless && rt < nodeless + sizeof(nodeless) / sizeof(nodeless[0]));
	enum MHD_Result ret;
	if (locked)
		pthread_mutex_lock(&s->pages);
	pthread_mutex_lock(&s->smu);
	ui_session *x = ui_session_find(&s->sessions, cs->sid);
	int csrf_ok = x && ui_secret_eq(ui_params_find(cs->post.v, cs->post.n, "csrf"), x->csrf);
	pthread_mutex_unlock(&s->smu);
	if (!x)
		ret = send_forbidden(c, "No session: open the address that <code>c2c ui</code> printed when it "
		                        "started (it holds this run's secret).");
	else if (!strcmp(method, "POST") && cs->too_big)
		ret = send_buf(c, 413, "text/plain; charset=utf-8", strdup("request too large\n"), 18, NULL, NULL, 0);
	else if (!strcmp(method, "POST") && (!cs->session || !csrf_ok))
		ret = send_forbidden(c, "This form is out of date or did not come from this server (its CSRF "
		                        "token is missing or wrong). Go back, reload the page and try again.");
	else
		ret = run_page(s, c, cs, x, rt, url, method);
	if (locked)
		pthread_mutex_unlock(&s->pages);
	return ret;
}

/* --------------------------------------------------------------- server */
int ui_start(ui_server **out, const char *dir, int port, char **url)
{
	ui_server *s = calloc(1, sizeof(*s));
	int err = 0;
	*out = NULL;
	*url = NULL;
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return ERR_OOM();
	}
	s->fd = -1;
	pthread_mutex_init(&s->pages, NULL);
	pthread_mutex_init(&s->smu, NULL);
	if ((err = ui_random_hex(s->token, 24)) < 0)
		goto fail;
	if ((s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		err = err_errno(C2C_EIO, "socket");
		goto fail;
	}
	int one = 1;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = err_errno(C2C_EIO, "binding 127.0.0.1");
		err_hint("the port may be in use: give another with --port N, or --port 0 for a free one");
		goto fail;
	}
	socklen_t sl = sizeof(sa);
	if (getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0 || listen(s->fd, 32) < 0) {
		err = err_errno(C2C_EIO, "listening on 127.0.0.1");
		goto fail;
	}
	s->port = ntohs(sa.sin_port);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
	                        NULL, NULL, answer, s,
	                        MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	                        MHD_OPTION_END);
	if (!s->d) {
		if (mhd_load_error())
			err = err_set(C2C_EIO, "%s", mhd_load_error());
		else
			err = err_set(C2C_EIO, "could not start the web server on 127.0.0.1:%d", s->port);
		goto fail;
	}
	s->fd = -1; /* the daemon closes it */
	if (!(*url = strfmt("http://127.0.0.1:%d/login?token=%s", s->port, s->token))) {
		ui_stop(s);
		return ERR_OOM();
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s);
	return err;
}

void ui_stop(ui_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	ui_sync_stop(); /* a sync the browser started ends as it would in the CLI */
	if (s->fd >= 0)
		close(s->fd);
	ui_sessions_free(&s->sessions);
	pthread_mutex_destroy(&s->pages);
	pthread_mutex_destroy(&s->smu);
	free(s->dir);
	free(s);
}
