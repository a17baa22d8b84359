/* ui_msg: the library's messages (in English, with the names and numbers
 * of the moment inside) in the page's language.
 *
 * The messages an officer meets most are listed below as patterns: {1},
 * {2}... stand for any text (a name, a number, a path). A pattern is also
 * the msgid of its translation in node/po/ui.LANG.po, whose msgstr places
 * the same {N}. A message that matches no pattern is shown as it is, marked
 * as English (lang="en") so that a reader and a screen reader know. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/ui.h"

static const char *const patterns[] = {
    /* the node, remotes, the link */
    "{1}: another c2c command (pid {2}) is using this node",
    "wait for it to finish and try again",
    "{1}: another sync or bundle apply (pid {2}) is bringing objects into this node",
    "{1}: connecting to {2}: no answer in {3} s",
    "{1}: connecting to {2}: Connection refused",
    "{1}: no answer from the server for {2} s while {3}; the link is down or the server is stuck",
    "{1}: the connection was closed while {2}",
    "{1}: the host key of {2} is not known: {3}",
    "{1}: login: {2} refused this node's key ({3})",
    "{1} does not exist",
    "no remote '{1}'",
    "remote '{1}' already exists",
    "{1} is neither a c2c node nor a hub",
    "'{1}' is not a remote name",
    "names are lower-case letters, digits, '.', '_' and '-' (hub, office, tunis)",
    /* branches held back */
    "signed by key {1}, which the office has not registered",
    "it is not signed (every commit after genesis must be)",
    "its signature does not check: {1}",
    "its committer is '{1}', not the node that signed it ({2})",
    "its author '{1}' names a node other than the one that signed it ({2})",
    "its tree is not the merge of its parents (a change smuggled into a merge)",
    "it waits for the office to register {1} ('c2c node add' on the office's node); every sync tries it again",
    "{1} must mend its history (or the office revoke its key); every sync tries it again",
    /* spreadsheets and values */
    "'{1}' is not an allowed value",
    "allowed: {1} (see 'c2c tables {2}')",
    "'{1}' is not an integer",
    "{1} is below the least allowed value {2}",
    "'{1}' is not a date ({2})",
    "'{1}' is not an SDG target code (like 10.7)",
    "{1}.{2} is required and cannot be empty",
    "{1} cells, the header has {2}",
    "every row has one cell per column; quote cells that hold the separator (\"10.7,16.6\")",
    "row {1} and row {2} are the same {3} record{4}",
    "keep one of the two rows",
    "table {1} has no column {2}",
    "table {1} has no columns {2}",
    "the header has no column '{1}', a required field of {2}",
    "the text is not valid UTF-8",
    "save the file as CSV UTF-8 (in a spreadsheet: \"CSV UTF-8 (comma delimited)\")",
    "{1}: the file is empty; its first line must name the columns",
    "column '{1}' appears twice (columns {2} and {3})",
    "keep one column per field",
    "its columns are {1} ('c2c tables {2}'); --ignore-unknown skips the others",
    "add a {1} column; 'c2c export {2}' writes a file with every column",
    "a quoted cell is never closed",
    "a cell that starts with \" ends with \"; a quote inside it is doubled (\"\")",
    "malformed CSV: a quote inside an unquoted cell, or text after a closing quote",
    "a cell with a quote is written in quotes with the quote doubled: \"say \"\"hello\"\"\"",
    NULL,
};

#define MAX_CAPS 10

/* Does S match pattern P? Each {N} takes the shortest text (maybe empty)
 * that lets the rest match; CAP[N] is where it starts and ends. */
static int match(const char *p, const char *s, const char *cap[MAX_CAPS][2], int depth)
{
	if (depth > 4096)
		return 0;
	for (;;) {
		if (p[0] == '{' && isdigit((unsigned char)p[1]) && p[2] == '}') {
			int k = p[1] - '0';
			for (const char *e = s;; e++) {
				if (match(p + 3, e, cap, depth + 1)) {
					cap[k][0] = s;
					cap[k][1] = e;
					return 1;
				}
				if (!*e)
					return 0;
			}
		}
		if (!*p)
			return !*s;
		if (*p != *s)
			return 0;
		p++, s++;
	}
}

int ui_msg_text(const ui_req *r, const char *msg, ui_buf *out)
{
	const char *cap[MAX_CAPS][2];
	if (!msg || strlen(msg) > 2000)
		return 0;
	for (int i = 0; patterns[i]; i++) {
		memset(cap, 0, sizeof(cap));
		if (!match(patterns[i], msg, cap, 0))
			continue;
		const char *tr = ui_t(r, patterns[i]);
		for (const char *p = tr; *p; p++) {
			if (p[0] == '{' && isdigit((unsigned char)p[1]) && p[2] == '}' && cap[p[1] - '0'][0]) {
				int k = p[1] - '0';
				ui_buf_add(out, cap[k][0], (size_t)(cap[k][1] - cap[k][0]));
				p += 2;
			} else {
				ui_buf_add(out, p, 1);
			}
		}
		return 1;
	}
	return 0;
}

void ui_msg(ui_req *r, const char *msg)
{
	ui_buf b = {0};
	if (ui_msg_text(r, msg, &b) && !b.oom) {
		ui_printf(r, "<bdi>%h</bdi>", b.p ? b.p : "");
	} else if (!strcmp(r->lang, "en")) {
		ui_printf(r, "<bdi>%h</bdi>", msg ? msg : "");
	} else {
		ui_printf(r, "<bdi lang=\"en\" dir=\"ltr\">%h</bdi>", msg ? msg : "");
	}
	free(b.p);
}

/* A remote's last result as sync.c records it: "merged with conflicts, 3
 * records changed, pushed, 1 branch held" (or an error message). */
void ui_sync_summary(ui_req *r, const char *what)
{
	const char *p = what;
	int merged = 0, ff = 0, conflicts = 0;
	unsigned long records = 0, held = 0;
	if (!strncmp(p, "merged", 6))
		merged = 1, p += 6;
	else if (!strncmp(p, "fast-forward", 12))
		ff = 1, p += 12;
	else if (!strncmp(p, "up to date", 10))
		p += 10;
	else {
		ui_msg(r, what);
		return;
	}
	if (!strncmp(p, " with conflicts", 15))
		conflicts = 1, p += 15;
	char *end;
	if (strncmp(p, ", ", 2) || (records = strtoul(p + 2, &end, 10), end == p + 2) ||
	    (strncmp(end, " records changed, ", 18) && strncmp(end, " record changed, ", 17))) {
		ui_msg(r, what);
		return;
	}
	p = strstr(end, "changed, ") + 9;
	const char *sent = !strncmp(p, "pushed", 6)            ? "your changes were sent"
	                   : !strncmp(p, "nothing to push", 15) ? "nothing to send"
	                   : !strncmp(p, "peer (no push)", 14)  ? "a peer: nothing is sent"
	                                                        : NULL;
	const char *h = strstr(p, ", ");
	if (h && (held = strtoul(h + 2, &end, 10)) == 0)
		h = NULL;
	if (!sent) {
		ui_msg(r, what);
		return;
	}
	const char *comma = r->rtl ? "، " : ", "; /* the Arabic comma */
	ui_printf(r, "%t", merged ? "merged" : ff ? "received" : "nothing new");
	if (conflicts)
		ui_printf(r, " (%t)", "with conflicts");
	ui_printf(r, "%h%t %L%h%t", comma, "records changed:", (long long)records, comma, sent);
	if (h)
		ui_printf(r, "%h%t %L", comma, "branches held back:", (long long)held);
}
