/* hub: make a hub, let nodes in, and the two commands sshd and git run on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/hub.h"

static int hub_init_cmd(cli_ctx *ctx)
{
	const char *office_key = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--office-key", &office_key)) < 0 || (err = cli_positionals(ctx, 1, 1)) < 0)
		return err;
	if ((err = hub_init(ctx->argv[0], office_key)) < 0)
		return err;
	if (ctx->json)
		return cli_print_json(json_pack("{s:s,s:b}", "hub", ctx->argv[0], "office_key", office_key != NULL));
	printf(_("Created hub %s\n"), ctx->argv[0]);
	if (office_key)
		printf(_("  office key  %s/c2c-office.pub\n"), ctx->argv[0]);
	printf(_("Let a node in with 'c2c hub allow %s NODE-ID PUBKEY-FILE'.\n"), ctx->argv[0]);
	return 0;
}

static int hub_allow_cmd(cli_ctx *ctx)
{
	const char *ak = NULL;
	char *line = NULL, *file = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--authorized-keys", &ak)) < 0 || (err = cli_positionals(ctx, 3, 3)) < 0)
		return err;
	if ((err = hub_allow(ctx->argv[0], ctx->argv[1], ctx->argv[2], ak, &line, &file)) < 0)
		return err;
	if (ctx->json) {
		err = cli_print_json(json_pack("{s:s,s:s,s:s,s:s}", "hub", ctx->argv[0], "node_id", ctx->argv[1],
		                               "authorized_keys", file, "line", line));
	} else {
		printf(_("Allowed node %s on hub %s: it may fetch, and push refs/heads/nodes/%s\n"), ctx->argv[1],
		       ctx->argv[0], ctx->argv[1]);
		printf(_("  added to %s:\n  %s\n"), file, line);
	}
	free(line);
	free(file);
	return err;
}

static int hub_keys_cmd(cli_ctx *ctx)
{
	const char *ak = NULL;
	hub_keys_result r;
	int err;
	if ((err = cli_take_opt(ctx, "--authorized-keys", &ak)) < 0 || (err = cli_positionals(ctx, 1, 1)) < 0)
		return err;
	if ((err = hub_keys(ctx->argv[0], ak, &r)) < 0)
		return err;
	if (ctx->json)
		err = cli_print_json(json_pack("{s:s,s:s,s:I,s:I,s:I}", "hub", ctx->argv[0], "authorized_keys", r.file,
		                               "written", (json_int_t)r.written, "removed", (json_int_t)r.removed, "revoked",
		                               (json_int_t)r.revoked));
	else {
		printf(P_(r.written, "%s: %zu key line for hub %s (there were %zu)", "%s: %zu key lines for hub %s (there were %zu)"),
		       r.file, r.written, ctx->argv[0], r.removed);
		printf(P_(r.revoked, ", %zu revoked key left out\n", ", %zu revoked keys left out\n"), r.revoked);
	}
	free(r.file);
	return err;
}

static int hub_office_key_cmd(cli_ctx *ctx)
{
	char *ofp = NULL, *nfp = NULL;
	int replace = cli_take_flag(ctx, "--replace"), err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	if (!replace) {
		err_set(C2C_EUSAGE, _("re-rooting a hub needs --replace"));
		return err_hint(_("check the new key's fingerprint with the office first"));
	}
	if ((err = hub_set_office_key(ctx->argv[0], ctx->argv[1], &ofp, &nfp)) == 0) {
		if (ctx->json)
			err = cli_print_json(json_pack("{s:s,s:s,s:s}", "hub", ctx->argv[0], "office_key", nfp, "replaced", ofp));
		else
			printf(_("hub %s: office key %s, replacing %s\n"), ctx->argv[0], nfp, ofp);
	}
	free(ofp);
	free(nfp);
	return err;
}

static int hub_serve_cmd(cli_ctx *ctx)
{
	int err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	return hub_serve(ctx->argv[0], ctx->argv[1], getenv("SSH_ORIGINAL_COMMAND"));
}

static int hub_hook_update_cmd(cli_ctx *ctx)
{
	int err;
	if ((err = cli_positionals(ctx, 4, 4)) < 0)
		return err;
	return hub_check_update(ctx->argv[0], getenv("C2C_HUB_NODE"), ctx->argv[1], ctx->argv[2], ctx->argv[3]);
}

static int hub_hook_pre_receive_cmd(cli_ctx *ctx)
{
	int err;
	if ((err = cli_positionals(ctx, 1, 1)) < 0)
		return err;
	return hub_check_pre_receive(ctx->argv[0], stdin);
}

static int cmd_hub_fn(cli_ctx *ctx, c2c_node *unused)
{
	static const struct {
		const char *name;
		int (*fn)(cli_ctx *);
	} subs[] = {
	    {"init", hub_init_cmd},
	    {"allow", hub_allow_cmd},
	    {"keys", hub_keys_cmd},
	    {"office-key", hub_office_key_cmd},
	    {"serve", hub_serve_cmd},
	    {"hook-update", hub_hook_update_cmd},
	    {"hook-pre-receive", hub_hook_pre_receive_cmd},
	};
	(void)unused;
	if (ctx->argc < 1 || ctx->argv[0][0] == '-') {
		err_set(C2C_EUSAGE, _("which hub command? (init, allow, keys, office-key)"));
		return err_hint(_("usage: %s"), _(ctx->cmd->usage));
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (!strcmp(ctx->argv[0], subs[i].name)) {
			ctx->argc--;
			ctx->argv++;
			return subs[i].fn(ctx);
		}
	}
	err_set(C2C_EUSAGE, _("'%s' is not a hub command"), ctx->argv[0]);
	return err_hint(_("usage: %s"), _(ctx->cmd->usage));
}

const cli_command cmd_hub = {
    "hub", cmd_hub_fn, CLI_NONE, N_("make a hub repository, let nodes in, follow the registry"),
    N_("c2c hub init PATH [--office-key PUBKEY-FILE]\n"
    "       c2c hub allow PATH NODE-ID PUBKEY-FILE [--authorized-keys FILE]\n"
    "       c2c hub keys PATH [--authorized-keys FILE]\n"
    "       c2c hub office-key PATH PUBKEY-FILE --replace"),
    N_("A hub is a bare repository on an OpenSSH server where c2c is installed.\n"
    "Nodes sync through it: each pushes its main to refs/heads/nodes/<node-id>,\n"
    "and only there, and fetches every node's branch.\n\n"
    "init makes the hub at PATH. Stock git checks what is pushed\n"
    "(receive.fsckObjects) and refuses deletes and non-fast-forwards; the\n"
    "update hook, which runs this c2c by its absolute path (if c2c moves, make\n"
    "the hub again), lets a node write only its own branch. --office-key\n"
    "stores the office's public key as PATH/c2c-office.pub, and adds a\n"
    "pre-receive hook that checks every pushed commit as every node does\n"
    "(signature by a registered node, its namespace, records, merges): a push\n"
    "with a commit that fails is refused whole, and its objects never enter\n"
    "the hub.\n\n"
    "allow appends to FILE (default: ~/.ssh/authorized_keys of the running\n"
    "user) the node's ssh-ed25519 key, restricted to git-upload-pack,\n"
    "git-receive-pack and c2c's one-request sync (c2c-sync) on PATH alone,\n"
    "whatever path the node asks for:\n"
    "  restrict,command=\"'/usr/bin/c2c' hub serve '/srv/hub.git' NODE-ID\" ssh-ed25519 ...\n"
    "A key goes in once; paths with quotes or backslashes are refused.\n\n"
    "keys makes PATH's lines in FILE follow the office's registry as the hub\n"
    "holds it (its nodes' branches): one line for every registered node whose\n"
    "key is not revoked, none for any other; FILE's other lines stay. Run it\n"
    "after the office revokes a node (from cron, or the hub's post-receive\n"
    "hook); even before, the hub refuses what a revoked key signs.\n\n"
    "office-key re-roots the hub when the office's root key is lost, as every\n"
    "node is re-rooted ('c2c trust office NEW.pub --replace').\n\n"
    "Run by sshd and git, not by hand:\n"
    "  c2c hub serve PATH NODE-ID\n"
    "      the forced command: checks SSH_ORIGINAL_COMMAND and runs git\n"
    "      upload-pack, receive-pack or the sync exchange (c2c-sync) on PATH\n"
    "      with C2C_HUB_NODE=NODE-ID\n"
    "  c2c hub hook-update GITDIR REF OLD NEW\n"
    "      the update hook: REF must be refs/heads/nodes/$C2C_HUB_NODE (any\n"
    "      refs/heads/nodes/<id> when unset: a push by path on the server),\n"
    "      NEW a commit and a fast-forward of OLD\n"
    "  c2c hub hook-pre-receive GITDIR\n"
    "      the pre-receive hook of a hub with an office key\n\n"
    "  c2c hub init /srv/c2c/hub.git --office-key office.pub\n"
    "  c2c hub allow /srv/c2c/hub.git tunis-3f9a1c tunis.pub\n"
    "  c2c hub keys /srv/c2c/hub.git\n")};
