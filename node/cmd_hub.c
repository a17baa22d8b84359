/* hub: make and serve a hub repository. */
#include <stdio.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/hub.h"

static int cmd_hub_fn(cli_ctx *ctx, c2c_node *unused)
{
	int err;
	(void)unused;
	if ((err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	if (strcmp(ctx->argv[0], "init")) {
		err_set(C2C_EUSAGE, "'%s' is not a hub command", ctx->argv[0]);
		return err_hint("usage: %s", ctx->cmd->usage);
	}
	if ((err = hub_init(ctx->argv[1])) < 0)
		return err;
	printf("Created hub %s\n", ctx->argv[1]);
	return 0;
}

const cli_command cmd_hub = {
    "hub", cmd_hub_fn, CLI_NONE, "make a hub repository", "c2c hub init PATH",
    "Makes a bare repository at PATH that nodes sync through: each pushes its\n"
    "main to refs/heads/nodes/<node-id> and fetches every node's branch.\n"
    "Stock git checks what is pushed (receive.fsckObjects) and refuses deletes\n"
    "and non-fast-forwards.\n"};
