/* cli: the command table and what every command shares.
 *
 * Each command lives in node/cmd_<area>.c as a `const cli_command`, with its
 * usage and help written beside its code, and is listed in node/main.c.
 * A command's fn returns an exit status (0 success, 1 failure) or a negative
 * C2C_E* code; main prints err_msg()/err_hint() and exits 1 (2 for
 * C2C_EUSAGE). Only main exits. */
#ifndef C2C_CLI_H
#define C2C_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "c2c/i18n.h"
#include "c2c/node.h"

typedef struct {
	const char *dir_opt; /* -C DIR */
	int json;            /* --json */
	int argc;            /* arguments after the command name, options included */
	char **argv;
	const struct cli_command *cmd;
} cli_ctx;

/* How a command runs (cli_command.flags): how main opens the node for it,
 * one of CLI_NONE (fn gets node NULL), CLI_READ or CLI_WRITE (node_open's
 * NODE_READ, NODE_WRITE), or CLI_REPO (node_open_repo: the repository
 * alone, for plumbing that reads objects and writes only new ones), with
 * the flags that follow ORed in. */
enum { CLI_NONE = 0, CLI_READ = 1, CLI_WRITE = 2, CLI_REPO = 3, CLI_OPEN_MASK = 3 };
enum {
	/* The command shows a head moved behind the node's back itself
	 * (status, verify, repair): main gives no warning of it. */
	CLI_SEES_MOVED_HEAD = 1 << 2,
	/* The command takes its arguments as they are (help): main takes out
	 * no option (--help, --json, --user) and runs it at once. */
	CLI_RAW_ARGS = 1 << 3,
	/* Not in the list of commands 'c2c --help' prints (help itself). */
	CLI_UNLISTED = 1 << 4,
};
#define CLI_OPEN(c) ((c)->flags & CLI_OPEN_MASK)

typedef struct cli_command {
	const char *name;
	int (*fn)(cli_ctx *ctx, c2c_node *node);
	int flags; /* CLI_NONE, CLI_READ or CLI_WRITE, | CLI_SEES_MOVED_HEAD ... */
	const char *summary;
	const char *usage; /* "c2c add TABLE FIELD=VALUE..." */
	const char *help;  /* paragraphs after the usage */
} cli_command;

/* Take "--NAME VALUE" or "--NAME=VALUE" out of ctx->argv. Returns 1 if found
 * (*value set, borrowed), 0 if absent, C2C_EUSAGE if it has no value. */
int cli_take_opt(cli_ctx *ctx, const char *name, const char **value);
/* Take a "--NAME" flag out of ctx->argv. Returns 1 if it was there. */
int cli_take_flag(cli_ctx *ctx, const char *name);
/* After options are taken: refuse any other "--x" left, and require between
 * MIN and MAX positional arguments (MAX < 0: no limit). */
int cli_positionals(cli_ctx *ctx, int min, int max);

/* Print V (consumed) as JSON on stdout, two-space indent, keys sorted. */
int cli_print_json(json_t *v);

/* Split "TABLE/ID" into its parts (checked against the schema; the id must
 * be well-formed). */
int cli_table_id(c2c_node *n, const char *arg, const table_def **t, char **id);
/* Look up a table by name with a message naming it. */
int cli_table(c2c_node *n, const char *name, const table_def **t);

/* A record as a flat object for --json output: "id" and its fields, with
 * no bookkeeping. New reference. */
json_t *cli_record_flat(const char *id, const json_t *rec);

/* Write S to F as cli_safe (below) shows it, newlines escaped too: text
 * from another node must not drive the reader's terminal. */
void cli_put_safe(FILE *f, const char *s);

/* The branches the last sync (or bundle apply) from NAME held back: on
 * stderr, each with its node, city, commit, rule and what would release it
 * (O NULL), or as O's "held" list. */
int cli_print_held(c2c_node *n, const char *name, json_t *o);

/* Progress on stderr for work over a second: cli_progress(label, done,
 * total) prints at most a few times a second when stderr is a terminal or
 * C2C_PROGRESS=1; total 0 for unknown; done == total ends the line.
 * LABEL is an English message of the cli catalog, printed translated.
 * C2C_PROGRESS_AFTER_MS changes the second (tests: 0). */
void cli_progress(const char *label, size_t done, size_t total);

/* The notices of opening N (or of node_relock) on stderr: a write a crash
 * had interrupted that it finished (n->finished_write, then cleared).
 * Safe on NULL. */
void cli_node_notices(c2c_node *n);

/* Conflicts and their resolution, shared by 'c2c conflicts', 'c2c resolve'
 * and the web interface (node/cmd_sync.c). cli_record_conflicts: the open
 * conflicts of REC as 'conflicts --json' lists them, [{field (null for a
 * deletion against an edit), values: [{number, value, node, lamport, time?,
 * commit?}]}] (new reference). cli_resolve: close one as 'c2c resolve' does,
 * with VALUE (text, checked as the CLI checks it) or KEEP ("N"), in one
 * commit. */
json_t *cli_record_conflicts(c2c_node *n, const table_def *t, const char *id, const json_t *rec);
int cli_resolve(c2c_node *n, const table_def *t, const char *id, const char *field, const char *value,
                const char *keep);

/* Spreadsheets, shared by 'c2c import'/'c2c export' and the web interface
 * (node/cmd_csv.c). cli_import_stream reads a CSV from FP (NAME for
 * messages) into T. With PROBLEMS (a JSON array), every bad row is appended
 * to it as {line, message} and reading goes on; the import is then written
 * only if WRITE and no row was bad. Without WRITE nothing is written (a
 * preview). cli_export_stream writes T as 'c2c export' does. A preview of
 * a file without bad rows gives in res->rows (a new array, the caller's to
 * json_decref; NULL otherwise) the first CLI_PREVIEW_ROWS rows that would
 * add or change a record: {row, action ("add" or "change"), id, diff:
 * {FIELD: [old value or null, new value]}}. */
#define CLI_PREVIEW_ROWS 100
typedef struct {
	size_t added, changed, unchanged;
	int committed;
	char commit[41];
	json_t *rows;
} cli_import_result;
int cli_import_stream(c2c_node *n, const table_def *t, FILE *fp, const char *name, int write, json_t *problems,
                      cli_import_result *res);
int cli_export_stream(c2c_node *n, const table_def *t, FILE *fp);

/* Text safe for a terminal: a value that came from a record or another
 * node (a field, an author, a commit subject) with its control characters
 * escaped (ESC as \x1b, CR as \r, tab as \t, C1 controls and bytes that
 * are not UTF-8 as \xNN; a backslash stays as it is), so that it cannot
 * move the cursor, clear the screen or set the window title. Newlines stay
 * when KEEP_NL (the layout expects multi-line values), else they show as
 * \n. Every text print of such data goes through it; --json and CSV carry
 * values as they are. cli_safe: malloc'd (NULL when out of memory). */
char *cli_safe(const char *s, int keep_nl);

/* Details of the error about to be returned (an array of objects with at
 * least "message", consumed): main prints each message before the error,
 * and puts the array into the JSON error object under --json. */
void cli_error_details(json_t *details);
json_t *cli_error_details_get(void); /* borrowed; NULL when none */

#endif
