/* c2c: the command line. Parses the global options, finds the command in the
 * table, opens the node for it (which finishes any interrupted write), runs
 * it, and turns its result into an exit status: 0 success, 1 failure,
 * 2 usage error. The only place that exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/version.h"
#include "c2c/i18n.h"

extern const cli_command cmd_init, cmd_status, cmd_tables, cmd_add, cmd_set, cmd_show, cmd_ls, cmd_rm,
    cmd_log, cmd_blame, cmd_verify, cmd_repair, cmd_import, cmd_export, cmd_report, cmd_remote, cmd_sync,
    cmd_conflicts, cmd_resolve, cmd_hub, cmd_merge_tree, cmd_bundle, cmd_autosync, cmd_node, cmd_audit, cmd_ui, cmd_config;
extern const cli_command cmd_review;
extern const cli_command cmd_trust;
static const cli_command cmd_help;

static const cli_command *const commands[] = {
    &cmd_init, &cmd_status, &cmd_tables, &cmd_add,    &cmd_set,    &cmd_show,   &cmd_ls,     &cmd_rm,
    &cmd_log,  &cmd_blame,  &cmd_verify, &cmd_repair, &cmd_import, &cmd_export, &cmd_report,
    &cmd_remote, &cmd_sync, &cmd_conflicts, &cmd_resolve, &cmd_hub, &cmd_merge_tree, &cmd_bundle, &cmd_autosync, &cmd_node, &cmd_audit, &cmd_ui, &cmd_config,
    &cmd_review, &cmd_trust, &cmd_help,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const cli_command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, _("usage: %s\n\nA city's migration data in SQLite, its history in git.\n\ncommands:\n"),
	        _("c2c [-C DIR] [--json] [--user \"Name <mail>\"] COMMAND [ARGS]"));
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!(commands[i]->flags & CLI_UNLISTED))
			fprintf(f, "  %-11s %s\n", commands[i]->name, _(commands[i]->summary));
	fprintf(f, _("\nThe node is DIR (-C), else $C2C_DIR, else the current directory or a parent.\n"
	             "'c2c help COMMAND' or 'c2c COMMAND --help' tells more.\n"));
}

static void command_help(const cli_command *c)
{
	printf(_("usage: %s\n\n%s\n"), _(c->usage), _(c->summary));
	if (c->help && *c->help)
		printf("\n%s", _(c->help));
	printf(_("\nCommon options: -C DIR (the node), --json (machine-readable output), --user \"Name <mail>\"\n"
	         "(the author of the commits this command makes; also $C2C_USER), --help.\n"));
}

/* c2c help [COMMAND]: the list of commands, or the help of one of them. */
static int cmd_help_fn(cli_ctx *ctx, c2c_node *node)
{
	const cli_command *c = ctx->argc > 0 ? find(ctx->argv[0]) : NULL;
	(void)node;
	if (ctx->argc > 0 && (!c || (c->flags & CLI_UNLISTED))) {
		fprintf(stderr, _("c2c: error: no command '%s'\n"), ctx->argv[0]);
		return 2;
	}
	if (c)
		command_help(c);
	else
		usage(stdout);
	return 0;
}

static const cli_command cmd_help = {"help", cmd_help_fn, CLI_NONE | CLI_RAW_ARGS | CLI_UNLISTED,
                                     N_("the list of commands, or one command's help"), N_("c2c help [COMMAND]"), ""};

/* The stable name of an error code, for the JSON error object. */
static const char *code_name(int code)
{
	switch (code) {
	case C2C_ENOTFOUND: return "not_found";
	case C2C_EINVALID: return "invalid";
	case C2C_ECONFLICT: return "conflict";
	case C2C_EAUTH: return "auth";
	case C2C_ETIMEOUT: return "timeout";
	case C2C_ECORRUPT: return "corrupt";
	case C2C_EIO: return "io";
	case C2C_ELOCKED: return "locked";
	case C2C_ENOMEM: return "no_memory";
	case C2C_EUSAGE: return "usage";
	case C2C_EVERSION: return "version";
	default: return "failed";
	}
}

/* An error: on stderr as text (the details first, each hint once), and
 * under --json also as one object on stdout:
 * {"error": {"code", "message", "hint", "command", "exit", "details"}}. */
static void print_error(const char *name, int code, int json)
{
	json_t *details = cli_error_details_get();
	const char *last_hint = NULL;
	size_t i;
	json_t *d;
	json_array_foreach(details, i, d)
	{
		const char *m = json_string_value(json_object_get(d, "message"));
		const char *h = json_string_value(json_object_get(d, "hint"));
		fprintf(stderr, "c2c %s: %s\n", name, m ? m : "");
		if (h && (!last_hint || strcmp(h, last_hint)))
			fprintf(stderr, _("  hint: %s\n"), h);
		if (h)
			last_hint = h;
	}
	fprintf(stderr, _("c2c %s: error: %s\n"), name, err_msg());
	if (err_hint_msg())
		fprintf(stderr, _("hint: %s\n"), err_hint_msg());
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s?,s:s,s:i}", "code", code_name(code), "message", err_msg(), "hint",
		                      err_hint_msg(), "command", name, "exit", code == C2C_EUSAGE ? 2 : 1);
		if (o && details)
			json_object_set(o, "details", details);
		if (o)
			cli_print_json(json_pack("{s:o}", "error", o));
	}
	cli_error_details(NULL);
}

static int finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, _("c2c: error: could not write to standard output\n"));
		return 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	const char *name = NULL, *user = NULL, *user_env = NULL;
	int i = 1, rc;

	/* Messages in the officer's language (LANGUAGE, LC_ALL, LC_MESSAGES,
	 * LANG, as gettext reads them); --json keys and codes stay English. */
	i18n_set_msg_lang(i18n_env());

	/* Global options come before the command; --json may also come after. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-C") && i + 1 < argc)
			ctx.dir_opt = argv[++i];
		else if (!strncmp(argv[i], "-C", 2) && argv[i][2])
			ctx.dir_opt = argv[i] + 2;
		else if (!strcmp(argv[i], "--json"))
			ctx.json = 1;
		else if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strncmp(argv[i], "--user=", 7))
			user = argv[i] + 7;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return finish(0);
		} else if (!strcmp(argv[i], "--version")) {
			printf("c2c %s\n", C2C_VERSION);
			return finish(0);
		} else {
			fprintf(stderr, _("c2c: error: unknown option %s\n"), argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	name = argv[i++];
	ctx.cmd = find(name);
	if (!ctx.cmd) {
		err_set(C2C_EUSAGE, _("'%s' is not a c2c command"), name);
		err_hint(_("run 'c2c help' for the list"));
		for (int k = i; k < argc && !ctx.json; k++)
			ctx.json = !strcmp(argv[k], "--json");
		print_error(name, C2C_EUSAGE, ctx.json);
		return finish(2);
	}
	ctx.argc = argc - i;
	ctx.argv = argv + i;
	if (ctx.cmd->flags & CLI_RAW_ARGS) {
		rc = ctx.cmd->fn(&ctx, NULL);
		return rc == 2 ? rc : finish(rc);
	}
	if (cli_take_flag(&ctx, "--help") || cli_take_flag(&ctx, "-h")) {
		command_help(ctx.cmd);
		return finish(0);
	}
	if (cli_take_flag(&ctx, "--json"))
		ctx.json = 1;
	/* The author of this command's commits: --user, else $C2C_USER, else
	 * the node's ('c2c config user'). init takes its own --user. */
	int how = CLI_OPEN(ctx.cmd);
	if ((how == CLI_READ || how == CLI_WRITE) && (rc = cli_take_opt(&ctx, "--user", &user)) < 0) {
		print_error(name, rc, ctx.json);
		return finish(2);
	}
	if (!user && (how == CLI_READ || how == CLI_WRITE))
		user = user_env = getenv("C2C_USER");

	c2c_node *node = NULL;
	char *dir = NULL;
	rc = 0;
	if (how != CLI_NONE && (rc = node_locate(&dir, ctx.dir_opt)) == 0)
		rc = how == CLI_REPO ? node_open_repo(&node, dir)
		                     : node_open(&node, dir, how == CLI_WRITE ? NODE_WRITE : NODE_READ);
	/* (A repository alone has no user, no notices and no head moved: it
	 * takes none of what follows.) */
	if (rc == 0 && node) {
		if (user && *user && (rc = node_set_user(node, user, 0)) < 0)
			err_prefix("%s: ", user_env && user == user_env ? "C2C_USER" : "--user");
		if (rc == 0)
			cli_node_notices(node);
		if (rc == 0 && node->head_moved && how == CLI_READ &&
		    !(ctx.cmd->flags & CLI_SEES_MOVED_HEAD))
			fprintf(stderr, _("c2c: warning: refs/heads/main moved behind the node's back; "
			                  "run 'c2c verify', then 'c2c repair'\n"));
	}
	if (rc == 0)
		rc = ctx.cmd->fn(&ctx, node);
	cli_node_notices(node); /* a write finished when the command took the node back (node_relock) */
	node_close(node);
	free(dir);
	if (rc < 0) {
		print_error(name, rc, ctx.json);
		rc = rc == C2C_EUSAGE ? 2 : 1;
	}
	git_libgit2_shutdown();
	return finish(rc);
}
