/* ui: the web interface of a node, `c2c ui` (SPEC 9).
 *
 * libmicrohttpd parses HTTP; node/ui.c checks every request (Host, session
 * cookie, CSRF token on POST), opens the node for it as a CLI command would
 * (the node lock is held for one request only, so the CLI and autosync work
 * beside the server) and routes it by path prefix to a page handler from the
 * table in node/ui.c (one line per page). Pages are made on the server;
 * node/ui/ holds the CSS, one small script and an icon, embedded at build
 * time.
 *
 * Adding a page: write `int ui_page_NAME(ui_req *r)` (declared below), which
 * reads r->node (open, locked, for writing on POST), r->lang and the
 * parameters (ui_get, ui_post), and writes between ui_page_begin and
 * ui_page_end with ui_printf; then add one line {"/PATH", ui_page_NAME} to
 * the table `routes` in node/ui.c (or `nodeless`, for a page that opens no
 * node and so answers while another page or a sync holds it). A POST has passed the CSRF check before it
 * reaches the page; a page that changes something answers with ui_redirect.
 *
 * The files, top to bottom; none calls a file above it: node/ui.c (the
 * server: checks, sessions' use, the route table) -> the pages, one file
 * each (ui_home.c, ui_records.c, ui_profile.c, ui_history.c,
 * ui_conflicts.c, ui_sync.c, ui_sheets.c, ui_report.c, ui_office.c,
 * ui_verify.c) -> what pages share: the forms (ui_form.c), tables and
 * fields (ui_fields.c), the library's messages in words (ui_msg.c) -> the
 * page text (ui_html.c), a request's parameters (ui_params.c) and the
 * session table (ui_session.c). The pages read the store through
 * c2c/store_browse.h and the other library headers; none runs SQL.
 *
 * Output goes through ui_printf and the escaping functions below, one per
 * context: no directive writes a value unescaped, so that a value cannot
 * reach a page by accident. Markup written by the code itself goes through
 * ui_lit. */
#ifndef C2C_UI_H
#define C2C_UI_H

#include <stddef.h>

#include "c2c/node.h"

typedef struct {
	char *p;
	size_t len, cap;
	int oom;
} ui_buf;

typedef struct {
	char *key;
	char *val; /* NUL-terminated; len bytes (an upload may hold NULs) */
	size_t len;
	char *filename; /* a file field of a multipart form, else NULL */
} ui_param;

typedef struct ui_session ui_session;

typedef struct ui_req {
	const char *method; /* "GET", "HEAD" or "POST" */
	const char *path;   /* decoded, as in the request line, without the query */
	const char *lang;   /* "en", "fr", "es" or "ar" */
	int rtl;
	c2c_node *node;       /* opened for this request (written only by POSTs) */
	const char *node_dir; /* to open it again, or to run c2c on it */
	ui_param *get, *post;
	size_t nget, npost;
	const char *csrf; /* the session's token, for the hidden field of forms */
	ui_session *session;

	/* the answer: a page in out, status 200 unless set */
	ui_buf out;
	int status;
	char *location;           /* redirect (303) target, malloc'd */
	const char *content_type; /* default "text/html; charset=utf-8" */
	char *disposition;        /* Content-Disposition, malloc'd, or NULL */
	int loose_style;          /* the page holds inline style (the report): CSP allows it */
	int refresh;              /* > 0: without script, the page reloads itself after this many seconds */
} ui_req;

/* A page: a path prefix and the function that answers it. Handlers return
 * 0 (the page is in r->out) or a negative C2C_E* code (an error page is made
 * from err_msg(): 404 for C2C_ENOTFOUND, 423 for C2C_ELOCKED, 500 else). */
typedef int (*ui_handler)(ui_req *r);
typedef struct {
	const char *prefix; /* "/records/": matches it and anything after; "/" alone: only "/" */
	ui_handler fn;
} ui_route;

/* ---------------------------------------------------------------- output */
int ui_buf_add(ui_buf *b, const char *s, size_t n);
/* Markup written by the code (never a value). */
void ui_lit(ui_req *r, const char *markup);
/* One escaping function per context. */
void ui_esc_html(ui_buf *b, const char *s); /* text between tags */
void ui_esc_attr(ui_buf *b, const char *s); /* a double-quoted attribute value */
void ui_esc_url(ui_buf *b, const char *s);  /* a path segment or query component */
/* printf for pages. Directives: %h text (HTML-escaped), %a attribute
 * value, %u URL component, %t a UI message id, translated and HTML-escaped,
 * %d int, %L long long, %Z size_t, %% a percent sign. Anything else in FMT
 * is markup written as it is. */
void ui_printf(ui_req *r, const char *fmt, ...);

/* The page's words: MSGID (English) in the request's language, from
 * node/po/ui.LANG.po (context "ui"). */
const char *ui_t(const ui_req *r, const char *msgid);

/* The page shell: <html lang dir>, head, the header with the node, the
 * navigation and the language switch; then the footer. TITLE is text. */
void ui_page_begin(ui_req *r, const char *title);
void ui_page_end(ui_req *r);
/* The hidden CSRF field of a form. */
void ui_csrf_field(ui_req *r);
/* An error page with STATUS and a message (text). */
int ui_error_page(ui_req *r, int status, const char *message, const char *hint);
/* Redirect (303 See Other) to PATH (a path of this server, built with
 * escaped parts). */
int ui_redirect(ui_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------- helpers for pages (node/ui_fields.c) */
/* The table NAME, or C2C_ENOTFOUND with the page's words. */
int ui_table_arg(ui_req *r, const char *name, const table_def **out);
/* 1 for a text field that gets a text area. */
int ui_field_long(const field_def *f);
/* Is VALUE one of the comma-separated CSV (NULL: none)? */
int ui_in_list(const char *csv, const char *value);
/* A value as words: allowed values translated, sets joined (escaped). */
void ui_value_words(ui_req *r, const table_def *t, const field_def *f, const json_t *v);

/* ------------------------------------------------ forms (node/ui_form.c) */
/* The record REC's values as text for its form (a new object). */
json_t *ui_form_typed(const table_def *t, const json_t *rec);
/* The form of T made from the schema: TYPED holds each field's text,
 * MSGS the message beside a field (both objects, may be NULL). */
void ui_form(ui_req *r, const table_def *t, const char *action, const json_t *typed, const json_t *msgs, int is_new,
             int editable);
/* Read a posted form of T (OLD: the record, for an edit): *typed, *fields
 * (for write_add/write_set), *msgs, all new objects. Returns how many
 * fields were refused (their message in *msgs), or a negative error. */
int ui_form_read(ui_req *r, const table_def *t, const json_t *old, int is_new, json_t **typed, json_t **fields,
                 json_t **msgs);
/* The history page of one record (node/ui_history.c). */
int ui_record_history(ui_req *r, const table_def *t, const char *id);

/* A message of the library (English, err_msg() or a stored result) in the
 * page's language where node/ui_msg.c knows it, else as it is, marked
 * lang="en"; HTML-escaped. ui_msg_text appends the translation (text, not
 * escaped) to OUT and returns 1, or 0 if the message is not known. */
void ui_msg(ui_req *r, const char *msg);
int ui_msg_text(const ui_req *r, const char *msg, ui_buf *out);
/* A remote's last result as sync.c records it, in words. */
void ui_sync_summary(ui_req *r, const char *what);

/* A sync started by the sync page (node/ui_sync.c) runs in a thread of its
 * own: ui_sync_start starts it with REMOTE and gives its number (0), or the
 * number of the one that already runs (1). ui_sync_stop waits for it (the
 * server's end). */
int ui_sync_start(ui_req *r, const char *remote, unsigned *run);
int ui_sync_running(void);
void ui_sync_stop(void);

/* ------------------------------------------ parameters (node/ui_params.c) */
/* The first value of KEY in the query (GET) or the form (POST), or NULL. */
const char *ui_get(const ui_req *r, const char *key);
const char *ui_post(const ui_req *r, const char *key);
const ui_param *ui_post_param(const ui_req *r, const char *key);
/* Every value of KEY in the form, joined with commas (checkboxes of a set).
 * malloc'd; "" when none. */
char *ui_post_joined(const ui_req *r, const char *key);

/* --------------------------------------------------------------- server */
typedef struct ui_server ui_server;
/* Serve the node at DIR on 127.0.0.1:PORT (0: a free one). *url (malloc'd)
 * is the login URL with this run's secret. */
int ui_start(ui_server **out, const char *dir, int port, char **url);
void ui_stop(ui_server *s);

/* The pages, one file each (node/ui_NAME.c), for the route table. */
int ui_page_home(ui_req *r);     /* node/ui_home.c */
int ui_page_records(ui_req *r);  /* node/ui_records.c */
int ui_page_new(ui_req *r);      /* node/ui_records.c */
int ui_page_profile(ui_req *r);  /* node/ui_profile.c */
/* The profile grid of the node's city (node/ui_profile.c): each section in
 * each language, its status, a mark where another language's text changed
 * after this one was last edited, and the office's review. Nothing on the
 * office's node. */
void ui_profile_grid(ui_req *r);
int ui_page_history(ui_req *r);  /* node/ui_history.c */
int ui_page_conflicts(ui_req *r); /* node/ui_conflicts.c */
int ui_page_sync(ui_req *r);     /* node/ui_sync.c */
int ui_page_sync_progress(ui_req *r); /* node/ui_sync.c: opens no node (r->node is NULL) */
int ui_page_import(ui_req *r);   /* node/ui_sheets.c */
int ui_page_export(ui_req *r);   /* node/ui_sheets.c */
int ui_page_report(ui_req *r);   /* node/ui_report.c */
int ui_page_dashboard(ui_req *r); /* node/ui_office.c: the office's dashboard */
/* The office's reviews (node/ui_office.c). The state of review RV (from
 * review_of or review_list): "validated", "changes_requested",
 * "out_of_date", or NULL for none. */
const char *ui_review_state(const json_t *rv);
/* RV's mark (state in words, the comment one click away) for a grid cell
 * or a list; nothing for NULL. */
void ui_review_mark(ui_req *r, const json_t *rv);
/* A city record's review on its page: the mark, and on the office the
 * form that validates it or sends it back (POST .../review). */
int ui_review_box(ui_req *r, const table_def *t, const char *id);
/* POST /records/TABLE/ID/review: as 'c2c review', one commit. */
int ui_review_post(ui_req *r, const table_def *t, const char *id);
int ui_page_verify(ui_req *r); /* node/ui_verify.c */

/* Session storage for a two-step import (preview, then write): the upload
 * kept between the two requests (node/ui_session.c). */
int ui_session_keep_upload(ui_req *r, const char *table, const char *data, size_t len);
/* The kept upload for TABLE, or NULL; borrowed until the next keep. */
const char *ui_session_upload(ui_req *r, const char *table, size_t *len);
void ui_session_drop_upload(ui_req *r);

/* Unix time T as "YYYY-MM-DD HH:MM UTC" in BUF, or NULL for 0 (never). */
const char *ui_when(long long t, char *buf, size_t cap);

#endif
