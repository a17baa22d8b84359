/* bundle create/apply: sync by file. */
#include <stdio.h>
#include <string.h>

#include "c2c/bundle.h"
#include "c2c/cli.h"
#include "c2c/err.h"

static int create(cli_ctx *ctx, c2c_node *n)
{
	const char *for_name = NULL, *since = NULL;
	bundle_info bi;
	int err;
	char hex[GIT_OID_HEXSZ + 1];
	if ((err = cli_take_opt(ctx, "--for", &for_name)) < 0 || (err = cli_take_opt(ctx, "--since", &since)) < 0 ||
	    (err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	if (for_name && since)
		return err_set(C2C_EUSAGE, _("--for and --since do not go together"));
	if ((err = bundle_create(n, ctx->argv[1], for_name, since, &bi)) < 0)
		return err;
	git_oid_tostr(hex, sizeof(hex), &bi.tip);
	if (ctx->json)
		return cli_print_json(json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "file", ctx->argv[1], "main", hex, "commits",
		                                (json_int_t)bi.commits, "objects", (json_int_t)bi.objects, "prerequisites",
		                                (json_int_t)bi.prerequisites, "bytes", (json_int_t)bi.bytes));
	printf(P_(bi.commits, "wrote %s: main %.12s, %zu commit, ", "wrote %s: main %.12s, %zu commits, "), ctx->argv[1], hex,
	       bi.commits);
	printf(_("%zu objects, %llu bytes, "), bi.objects, bi.bytes);
	printf(P_(bi.prerequisites, "%zu prerequisite\n", "%zu prerequisites\n"), bi.prerequisites);
	return 0;
}

static int apply(cli_ctx *ctx, c2c_node *n)
{
	const char *from = NULL;
	bundle_info bi;
	sync_result r;
	int err;
	char hex[GIT_OID_HEXSZ + 1];
	if ((err = cli_take_opt(ctx, "--from", &from)) < 0 || (err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	if (from && (!*from || strspn(from, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(from) || from[0] == '.' ||
	             from[0] == '-' || strlen(from) > 40))
		return err_set(C2C_EUSAGE, _("'%s' is not a name for --from (lower-case letters, digits, '.', '_', '-')"), from);
	if ((err = bundle_apply(n, ctx->argv[1], from, &r, &bi)) < 0)
		return err;
	git_oid_tostr(hex, sizeof(hex), &n->head);
	const char *how = r.merged ? "merged" : r.fast_forward ? "fast-forward" : "up to date";
	if (ctx->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "file", ctx->argv[1], "result", how, "head", hex,
		                      "records_changed", (json_int_t)r.applied.records, "conflicts",
		                      (json_int_t)r.merge.conflicts, "objects", (json_int_t)bi.objects, "prerequisites",
		                      (json_int_t)bi.prerequisites);
		if (o && r.held)
			cli_print_held(n, from ? from : "bundle", o);
		return cli_print_json(o) < 0 ? -1 : r.held ? 1 : 0;
	}
	if (r.held && cli_print_held(n, from ? from : "bundle", NULL) < 0)
		return -1;
	const char *how_text = r.merged ? _("merged") : r.fast_forward ? _("fast-forward") : _("up to date");
	printf(P_(r.applied.records, "applied %s: %s, %zu record changed, ", "applied %s: %s, %zu records changed, "),
	       ctx->argv[1], how_text, r.applied.records);
	printf(P_(r.merge.conflicts, "%zu conflict (head %.12s)%s\n", "%zu conflicts (head %.12s)%s\n"),
	       (size_t)r.merge.conflicts, hex, r.held ? _("; its history is held (see above)") : "");
	return r.held ? 1 : 0;
}

static int cmd_bundle_fn(cli_ctx *ctx, c2c_node *n)
{
	if (ctx->argc < 1)
		return err_set(C2C_EUSAGE, _("usage: c2c bundle create FILE [--for NAME|--since COMMIT] | apply FILE [--from NAME]"));
	if (!strcmp(ctx->argv[0], "create"))
		return create(ctx, n);
	if (!strcmp(ctx->argv[0], "apply"))
		return apply(ctx, n);
	return err_set(C2C_EUSAGE, _("'%s': bundle takes create or apply"), ctx->argv[0]);
}

const cli_command cmd_bundle = {
    "bundle", cmd_bundle_fn, CLI_WRITE, N_("sync by file: write a bundle, or apply one"),
    N_("c2c bundle create FILE [--for NAME|--since COMMIT]\n       c2c bundle apply FILE [--from NAME]"),
    N_("For a node with no usable link. 'create' writes the node's history as a\n"
    "git bundle (version 2; stock 'git bundle verify', 'git clone' and 'git\n"
    "fetch' read it): everything, or with --for NAME only what NAME is not\n"
    "known to hold (its refs from the last sync, or from bundles applied with\n"
    "--from NAME), or with --since COMMIT only what came after COMMIT.\n"
    "'apply' checks a bundle as a sync checks what it fetches (every object\n"
    "hashed and linked, in a quarantine directory; the commits it builds on\n"
    "must be here, else they are named) and merges it as a sync merges. With\n"
    "--from NAME the bundle's head is kept as what NAME holds, so that\n"
    "'bundle create FILE --for NAME' sends back only what NAME lacks.\n"
    "A refused bundle changes nothing.\n")};
