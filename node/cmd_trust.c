/* trust: the root key this node trusts, its hand-over, and re-rooting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/registry.h"
#include "c2c/trust.h"

static int trust_show(cli_ctx *ctx, c2c_node *n)
{
	char *root = NULL, *fp = NULL, *own = NULL;
	int err = registry_office_key(n, &root);
	if (err == C2C_ENOTFOUND) {
		err_clear();
		err = 0;
	} else if (err == 0) {
		err = keys_line_fingerprint(root, &fp);
	}
	if (err == 0)
		err = registry_own_key(n, &own);
	if (err == 0) {
		int is_root = root && own && !strcmp(root, own);
		if (ctx->json)
			err = cli_print_json(json_pack("{s:s?,s:b}", "office_key", fp, "this_node_is_root", is_root));
		else if (fp)
			printf(_("root of trust  %s%s\n"), fp, is_root ? _(" (this node's own key)") : "");
		else
			printf(_("root of trust  not known yet: 'c2c trust office PUBKEY-FILE', or it is learnt from the first "
			         "hub\n"));
	}
	free(root);
	free(fp);
	free(own);
	return err;
}

static int trust_office(cli_ctx *ctx, c2c_node *n, int replace)
{
	char *line = NULL, *old = NULL, *fp = NULL, *ofp = NULL;
	int err;
	if ((err = registry_read_key_file(ctx->argv[1], &line)) < 0)
		return err;
	if ((err = registry_office_key(n, &old)) == C2C_ENOTFOUND) {
		err_clear();
		err = 0;
	}
	if (err == 0)
		err = keys_line_fingerprint(line, &fp);
	if (err == 0 && old)
		err = keys_line_fingerprint(old, &ofp);
	if (err < 0)
		goto done;
	if (old && !strcmp(old, line)) {
		printf(_("root of trust  %s (unchanged)\n"), fp);
		goto done;
	}
	if (old && !replace) {
		err_set(C2C_EINVALID, _("this node trusts the root key %s already; %s is another key (%s)"), ofp, ctx->argv[1],
		        fp);
		err = err_hint(_("re-rooting is for a root key that is lost: check the new fingerprint with the office by "
		                 "telephone or in person, then add --replace"));
		goto done;
	}
	if ((err = registry_set_office_key(n, line)) < 0)
		goto done;
	if (ctx->json)
		err = cli_print_json(json_pack("{s:s,s:s?}", "office_key", fp, "replaced", ofp));
	else if (ofp)
		printf(_("root of trust  %s, replacing %s\n  every node of the network must be re-rooted the same way\n"), fp,
		       ofp);
	else
		printf(_("root of trust  %s\n"), fp);
done:
	free(line);
	free(old);
	free(fp);
	free(ofp);
	return err;
}

static int cmd_trust_fn(cli_ctx *ctx, c2c_node *n)
{
	int replace = cli_take_flag(ctx, "--replace"), err;
	if ((err = cli_positionals(ctx, 0, 2)) < 0)
		return err;
	if (ctx->argc == 0 || (ctx->argc == 1 && !strcmp(ctx->argv[0], "show")))
		return trust_show(ctx, n);
	if (ctx->argc == 2 && !strcmp(ctx->argv[0], "office"))
		return trust_office(ctx, n, replace);
	if (ctx->argc == 2 && !strcmp(ctx->argv[0], "handover") && !replace) {
		char *fp = NULL, *root = NULL;
		if ((err = registry_handover(n, ctx->argv[1])) < 0)
			return err;
		if ((err = registry_office_key(n, &root)) == 0 && (err = keys_line_fingerprint(root, &fp)) == 0) {
			if (ctx->json)
				err = cli_print_json(json_pack("{s:s,s:s}", "node_id", ctx->argv[1], "office_key", fp));
			else
				printf(_("handed the root of trust over to node %s, key %s\n  every node follows it as it syncs; "
				         "sync now\n"),
				       ctx->argv[1], fp);
		}
		free(fp);
		free(root);
		return err;
	}
	err_set(C2C_EUSAGE, _("usage: %s"), _(ctx->cmd->usage));
	return err;
}

const cli_command cmd_trust = {
    "trust", cmd_trust_fn, CLI_WRITE, N_("the root key of trust: show it, hand it over, re-root"),
    N_("c2c trust [show] | c2c trust handover NODE-ID | c2c trust office PUBKEY-FILE [--replace]"),
    N_("The network's root of trust is the office's key: its commits register\n"
    "every node, and every node checks who may write against it.\n\n"
    "'show' prints the fingerprint of the root key this node trusts.\n\n"
    "'handover' (on the office node that holds the root key) hands the root\n"
    "over to NODE-ID, an office node registered with 'c2c node add NODE-ID\n"
    "--role office KEY.pub', by a commit the old root signs; every node follows\n"
    "it as it syncs. The old root stays an office node until it is revoked.\n\n"
    "'office' sets the root key of a node that has none yet. Where the root\n"
    "key is lost, every node is re-rooted out of band: check the new key's\n"
    "fingerprint with the office, then 'c2c trust office NEW.pub --replace';\n"
    "the new root registers itself if it is not registered, and revokes the\n"
    "lost key ('c2c node revoke').\n\n"
    "  c2c trust handover office-7f3a2b1c\n"
    "  c2c trust office new-office.pub --replace\n")};
