/* import, export: spreadsheet round trip. (placeholder, being written) */
#include "c2c/cli.h"
#include "c2c/err.h"
static int todo(cli_ctx *ctx, c2c_node *n) { (void)n; return err_set(C2C_EFAIL, "%s: not implemented yet", ctx->cmd->name); }
const cli_command cmd_import = {"import", todo, CLI_WRITE, "import records from a CSV file", "c2c import TABLE FILE.csv", ""};
const cli_command cmd_export = {"export", todo, CLI_READ, "export records to a CSV file", "c2c export TABLE [FILE.csv]", ""};
