/* log, blame: history. (placeholder, being written) */
#include "c2c/cli.h"
#include "c2c/err.h"
static int todo(cli_ctx *ctx, c2c_node *n) { (void)n; return err_set(C2C_EFAIL, "%s: not implemented yet", ctx->cmd->name); }
const cli_command cmd_log = {"log", todo, CLI_READ, "history of the node or of one record", "c2c log [TABLE/ID]", ""};
const cli_command cmd_blame = {"blame", todo, CLI_READ, "per-field provenance of a record", "c2c blame TABLE/ID", ""};
