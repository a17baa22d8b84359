/* c2c: the command line. Parses the global options, finds the command in the
 * table, opens the node for it (which finishes any interrupted write), runs
 * it, and turns its result into an exit status: 0 success, 1 failure,
 * 2 usage error. The only place that exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"

extern const cli_command cmd_init, cmd_status, cmd_tables, cmd_add, cmd_set, cmd_show, cmd_ls, cmd_rm,
    cmd_log, cmd_blame, cmd_verify, cmd_repair, cmd_import, cmd_export, cmd_report, cmd_remote, cmd_sync,
    cmd_conflicts, cmd_resolve, cmd_hub, cmd_merge_tree, cmd_bundle, cmd_autosync, cmd_node, cmd_audit;
extern const cli_command cmd_review;

static const cli_command *const commands[] = {
    &cmd_init, &cmd_status, &cmd_tables, &cmd_add,    &cmd_set,    &cmd_show,   &cmd_ls,     &cmd_rm,
    &cmd_log,  &cmd_blame,  &cmd_verify, &cmd_repair, &cmd_import, &cmd_export, &cmd_report,
    &cmd_remote, &cmd_sync, &cmd_conflicts, &cmd_resolve, &cmd_hub, &cmd_merge_tree, &cmd_bundle, &cmd_autosync, &cmd_node, &cmd_audit,
    &cmd_review,
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
	fprintf(f, "usage: c2c [-C DIR] [--json] COMMAND [ARGS]\n\n"
	           "A city's migration data in SQLite, its history in git.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nThe node is DIR (-C), else $C2C_DIR, else the current directory or a parent.\n"
	           "'c2c help COMMAND' or 'c2c COMMAND --help' tells more.\n");
}

static void command_help(const cli_command *c)
{
	printf("usage: %s\n\n%s\n", c->usage, c->summary);
	if (c->help && *c->help)
		printf("\n%s", c->help);
	printf("\nCommon options: -C DIR (the node), --json (machine-readable output), --help.\n");
}

static int finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "c2c: error: could not write to standard output\n");
		return 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	const char *name = NULL;
	int i = 1, rc;

	/* Global options come before the command; --json may also come after. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-C") && i + 1 < argc)
			ctx.dir_opt = argv[++i];
		else if (!strncmp(argv[i], "-C", 2) && argv[i][2])
			ctx.dir_opt = argv[i] + 2;
		else if (!strcmp(argv[i], "--json"))
			ctx.json = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return finish(0);
		} else if (!strcmp(argv[i], "--version")) {
			printf("c2c 0.1\n");
			return finish(0);
		} else {
			fprintf(stderr, "c2c: error: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	name = argv[i++];
	if (!strcmp(name, "help")) {
		const cli_command *c = i < argc ? find(argv[i]) : NULL;
		if (i < argc && !c) {
			fprintf(stderr, "c2c: error: no command '%s'\n", argv[i]);
			return 2;
		}
		if (c)
			command_help(c);
		else
			usage(stdout);
		return finish(0);
	}
	ctx.cmd = find(name);
	if (!ctx.cmd) {
		fprintf(stderr, "c2c: error: '%s' is not a c2c command\nhint: run 'c2c help' for the list\n", name);
		return 2;
	}
	ctx.argc = argc - i;
	ctx.argv = argv + i;
	if (cli_take_flag(&ctx, "--help") || cli_take_flag(&ctx, "-h")) {
		command_help(ctx.cmd);
		return finish(0);
	}
	if (cli_take_flag(&ctx, "--json"))
		ctx.json = 1;

	c2c_node *node = NULL;
	char *dir = NULL;
	rc = 0;
	if (ctx.cmd->mode != CLI_NONE) {
		if ((rc = node_locate(&dir, ctx.dir_opt)) == 0)
			rc = node_open(&node, dir, ctx.cmd->mode == CLI_WRITE ? NODE_WRITE : NODE_READ);
		if (rc == 0 && node->head_moved && ctx.cmd->mode == CLI_READ && strcmp(name, "verify") &&
		    strcmp(name, "repair") && strcmp(name, "status"))
			fprintf(stderr, "c2c: warning: refs/heads/main moved behind the node's back; "
			                "run 'c2c verify', then 'c2c repair'\n");
	}
	if (rc == 0)
		rc = ctx.cmd->fn(&ctx, node);
	node_close(node);
	free(dir);
	if (rc < 0) {
		fprintf(stderr, "c2c %s: error: %s\n", name, err_msg());
		if (err_hint_msg())
			fprintf(stderr, "hint: %s\n", err_hint_msg());
		rc = rc == C2C_EUSAGE ? 2 : 1;
	}
	git_libgit2_shutdown();
	return finish(rc);
}
