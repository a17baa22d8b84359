/* report: overview. (placeholder, being written) */
#include "c2c/cli.h"
#include "c2c/err.h"
static int todo(cli_ctx *ctx, c2c_node *n) { (void)n; return err_set(C2C_EFAIL, "%s: not implemented yet", ctx->cmd->name); }
const cli_command cmd_report = {"report", todo, CLI_READ, "network or city overview", "c2c report [--format text|csv|json]", ""};
