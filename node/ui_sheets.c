/* ui_sheets: spreadsheets: the two-step import (preview, then one commit)
 * and the CSV download of a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/ui.h"
#include "c2c/write.h"

/* A value of the preview: as words, a long text cut. */
static void preview_value(ui_req *r, const table_def *t, const char *field, const json_t *v)
{
	const field_def *f = store_field(t, field);
	const char *str = json_string_value(v);
	if (str && strlen(str) > 160 && (!f || f->type == FT_TEXT)) {
		size_t n = 150;
		while (n && ((unsigned char)str[n] & 0xC0) == 0x80)
			n--; /* not inside a character */
		char *cut = malloc(n + 4);
		if (cut) {
			memcpy(cut, str, n);
			memcpy(cut + n, "…", 4);
			ui_printf(r, "%h", cut);
			free(cut);
		}
		return;
	}
	ui_value_words(r, t, f, v);
}

/* The rows a file would add or change, each with its fields old -> new. */
static void preview_rows(ui_req *r, const table_def *t, const json_t *rows, size_t total)
{
	size_t i;
	json_t *row;
	ui_printf(r, "<table class=\"list preview\" id=\"changes\"><thead><tr><th>%t</th><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
	          "Row", "What", "Record", "Fields");
	json_array_foreach(rows, i, row)
	{
		const char *action = json_string_value(json_object_get(row, "action"));
		const char *id = json_string_value(json_object_get(row, "id"));
		long long line = (long long)json_integer_value(json_object_get(row, "row"));
		int add = action && !strcmp(action, "add");
		ui_printf(r, "<tr data-line=\"%L\" data-action=\"%a\"", line, add ? "add" : "change");
		if (!add)
			ui_printf(r, " data-id=\"%a\"", id ? id : "");
		ui_printf(r, "><td>%L</td><td class=\"%a\">%t</td><td>", line, add ? "add" : "change", add ? "new" : "changed");
		if (add)
			ui_printf(r, "<span class=\"meta\">%t</span>", "a new record");
		else
			ui_printf(r, "<a href=\"/records/%u/%u\"><code>%h</code></a>", t->name, id ? id : "", id ? id : "");
		ui_lit(r, "</td><td><dl class=\"diff\">");
		const char *k;
		json_t *d;
		json_object_foreach(json_object_get(row, "diff"), k, d)
		{
			json_t *old = json_array_get(d, 0), *nv = json_array_get(d, 1);
			ui_printf(r, "<dt data-field=\"%a\">%h</dt><dd>", k, i18n_field(r->lang, t->name, k));
			if (!add) {
				ui_lit(r, "<del>");
				if (json_is_null(old))
					ui_printf(r, "<span class=\"meta\">%t</span>", "(empty)");
				else
					preview_value(r, t, k, old);
				ui_printf(r, "</del> %h ", r->rtl ? "←" : "→");
			}
			ui_lit(r, "<ins>");
			if (json_is_null(nv))
				ui_printf(r, "<span class=\"meta\">%t</span>", "(empty)");
			else
				preview_value(r, t, k, nv);
			ui_lit(r, "</ins></dd>");
		}
		ui_lit(r, "</dl></td></tr>\n");
	}
	ui_lit(r, "</tbody></table>\n");
	if (total > json_array_size(rows))
		ui_printf(r, "<p id=\"more-rows\" data-value=\"%Z\">%t %Z</p>\n", total - json_array_size(rows),
		          "and more rows, not shown here:", total - json_array_size(rows));
}

/* A problem's message without the file and row it names (the table has
 * columns for them): "FILE: row 3, column B (status): MSG" -> "MSG". */
static const char *problem_text(const char *msg)
{
	const char *p = msg ? strstr(msg, ": row ") : NULL;
	if (!p)
		return msg;
	p += 6;
	while (*p >= '0' && *p <= '9')
		p++;
	const char *c = strstr(p, ": ");
	return (!strncmp(p, ": ", 2) || !strncmp(p, ", column ", 9)) && c ? c + 2 : msg;
}

int ui_page_import(ui_req *r)
{
	c2c_node *n = r->node;
	const table_def *t;
	json_t *problems = NULL, *rows = NULL;
	FILE *fp = NULL;
	int err;
	if ((err = ui_table_arg(r, r->path + strlen("/import/"), &t)) < 0)
		return err;
	const char *tname = i18n_table(r->lang, t->name);
	char title[160];
	snprintf(title, sizeof(title), "%s · %s", tname, ui_t(r, "Import a spreadsheet"));
	if (!strcmp(r->method, "POST")) {
		const ui_param *file = ui_post_param(r, "file");
		const char *data;
		size_t len = 0;
		int write = ui_post(r, "confirm") != NULL;
		if (write) {
			data = ui_session_upload(r, t->name, &len);
			if (!data)
				return err_set(C2C_EINVALID, "%s", ui_t(r, "Upload the file again: the preview has expired."));
		} else {
			if (!file || !file->len)
				return err_set(C2C_EINVALID, "%s", ui_t(r, "Choose a CSV file first."));
			if ((err = ui_session_keep_upload(r, t->name, file->val, file->len)) < 0)
				return err;
			data = ui_session_upload(r, t->name, &len);
		}
		if (!(fp = fmemopen((void *)data, len, "rb")))
			return err_errno(C2C_EIO, "reading the upload");
		problems = json_array();
		cli_import_result res = {0};
		const char *fname = file && file->filename ? file->filename : "upload.csv";
		err = cli_import_stream(n, t, fp, write ? "spreadsheet" : fname, write, problems, &res);
		fclose(fp);
		rows = res.rows;
		if (err < 0)
			goto done;
		if (write && res.committed) {
			ui_session_drop_upload(r);
			err = ui_redirect(r, "/records/%s?imported=%zu", t->name, res.added + res.changed);
			goto done;
		}
		ui_page_begin(r, title);
		ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a></p>\n<h1>%t</h1>\n", t->name, tname,
		          "Preview of the import");
		size_t np = json_array_size(problems);
		if (np) {
			r->status = 422;
			ui_printf(r, "<p class=\"error\" role=\"alert\">%t %Z</p>\n",
			          "Nothing was written. Correct these rows in the spreadsheet and upload it again. Rows with a problem:", np);
			ui_printf(r, "<table class=\"list\" id=\"problems\"><thead><tr><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
			          "Row", "Column", "Problem");
			for (size_t i = 0; i < np; i++) {
				json_t *p = json_array_get(problems, i);
				const char *hint = json_string_value(json_object_get(p, "hint"));
				const char *msg = problem_text(json_string_value(json_object_get(p, "message")));
				const char *col = json_string_value(json_object_get(p, "column"));
				const char *letter = json_string_value(json_object_get(p, "column_letter"));
				long long line = (long long)json_integer_value(json_object_get(p, "line"));
				ui_printf(r, "<tr data-line=\"%L\"><td>%L</td><td>", line, line);
				if (letter)
					ui_printf(r, "%h ", letter);
				if (col)
					ui_printf(r, "(%h)", strcmp(col, "id") ? i18n_field(r->lang, t->name, col) : "id");
				ui_lit(r, "</td><td>");
				ui_msg(r, msg ? msg : "");
				const field_def *f = col ? store_field(t, col) : NULL;
				if (hint && f && f->nallowed && !strncmp(hint, "allowed: ", 9)) {
					/* the allowed values as the form shows them: words */
					ui_printf(r, "<br><small>%t ", "Allowed values:");
					for (size_t k = 0; k < f->nallowed; k++)
						ui_printf(r, "%h%h", k ? ", " : "", i18n_value(r->lang, t->name, f->name, f->allowed[k]));
					ui_lit(r, "</small>");
				} else if (hint) {
					ui_lit(r, "<br><small>");
					ui_msg(r, hint);
					ui_lit(r, "</small>");
				}
				ui_lit(r, "</td></tr>\n");
			}
			ui_lit(r, "</tbody></table>\n");
		} else {
			ui_printf(r, "<p id=\"preview\" data-added=\"%Z\" data-changed=\"%Z\">%t %Z · %t %Z · %t %Z</p>\n", res.added,
			          res.changed, "To add:", res.added, "To change:", res.changed, "Unchanged:", res.unchanged);
			if (res.added + res.changed) {
				preview_rows(r, t, rows, res.added + res.changed);
				ui_printf(r, "<form method=\"post\" action=\"/import/%a\">", t->name);
				ui_csrf_field(r);
				ui_printf(r, "<input type=\"hidden\" name=\"confirm\" value=\"1\"><button type=\"submit\" class=\"primary\">%t</button></form>\n",
				          "Write these records");
			} else
				ui_printf(r, "<p>%t</p>\n", "This file changes nothing.");
		}
	} else {
		ui_page_begin(r, title);
		ui_printf(r, "<p class=\"crumbs\"><a href=\"/records/%u\">%h</a></p>\n<h1>%t</h1>\n", t->name, tname,
		          "Import a spreadsheet");
	}
	ui_printf(r, "<form method=\"post\" action=\"/import/%a\" enctype=\"multipart/form-data\" class=\"upload\">", t->name);
	ui_csrf_field(r);
	ui_printf(r, "<label>%t <input type=\"file\" name=\"file\" accept=\".csv,text/csv\"></label> "
	             "<button type=\"submit\">%t</button></form>\n",
	          "CSV file (UTF-8, a header line naming the columns)", "Check the file");
	ui_printf(r, "<p class=\"help\">%t <a href=\"/export/%u.csv\">%t</a></p>\n",
	          "Nothing is written before you see every problem. To start from the current records:", t->name,
	          "Download as CSV");
	ui_page_end(r);
done:
	json_decref(problems);
	json_decref(rows);
	return err;
}

int ui_page_export(ui_req *r)
{
	const char *rest = r->path + strlen("/export/");
	const char *dot = strrchr(rest, '.');
	char name[64];
	const table_def *t;
	char *buf = NULL;
	size_t len = 0;
	int err;
	if (!dot || strcmp(dot, ".csv") || (size_t)(dot - rest) >= sizeof(name))
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such page."));
	memcpy(name, rest, (size_t)(dot - rest));
	name[dot - rest] = '\0';
	if ((err = ui_table_arg(r, name, &t)) < 0)
		return err;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return err_errno(C2C_ENOMEM, "export");
	/* A byte order mark, so that Excel reads the file as UTF-8 (Arabic intact). */
	fputs("\xEF\xBB\xBF", fp);
	err = cli_export_stream(r->node, t, fp);
	if (fclose(fp) != 0 && err == 0)
		err = err_errno(C2C_EIO, "export");
	if (err < 0) {
		free(buf);
		return err;
	}
	r->out.len = 0;
	ui_buf_add(&r->out, buf, len);
	free(buf);
	r->content_type = "text/csv; charset=utf-8";
	size_t dl = strlen(name) + 48;
	if ((r->disposition = malloc(dl)))
		snprintf(r->disposition, dl, "attachment; filename=\"%s.csv\"", name);
	return 0;
}
