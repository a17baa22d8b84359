/* node add, audit signers, audit export: who may write, and how to check it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/registry.h"
#include "c2c/trust.h"
#include "c2c/util.h"

static int node_add(cli_ctx *ctx, c2c_node *n, const char *city, const char *role)
{
	char *line = NULL;
	int err;
	if (role && strcmp(role, "office") && strcmp(role, "city"))
		return err_set(C2C_EUSAGE, _("--role is city or office, not '%s'"), role);
	if (!role)
		role = "city";
	if (!strcmp(role, "office") && city)
		return err_set(C2C_EUSAGE, _("an office node has no city: leave --city out"));
	if (!strcmp(role, "city") && !city)
		return err_set(C2C_EUSAGE, _("give the node's city: --city SLUG (or --role office for an office node)"));
	if (city && !store_row_exists(n->st, "cities", city)) {
		err_set(C2C_EINVALID, _("no city '%s' in the network"), city);
		return err_hint(_("'c2c ls cities' lists them"));
	}
	if ((err = registry_read_key_file(ctx->argv[2], &line)) < 0)
		return err;
	if ((err = registry_add(n, ctx->argv[1], city, role, line)) == 0) {
		char *fp = NULL;
		keys_line_fingerprint(line, &fp);
		if (ctx->json)
			err = cli_print_json(json_pack("{s:s,s:s,s:s?,s:s?}", "node_id", ctx->argv[1], "role", role, "city", city,
			                               "fingerprint", fp));
		else if (city)
			printf(_("registered node %s of %s, key %s\n"), ctx->argv[1], city, fp ? fp : "?");
		else
			printf(_("registered office node %s, key %s\n"), ctx->argv[1], fp ? fp : "?");
		free(fp);
	}
	free(line);
	return err;
}

static int node_revoke(cli_ctx *ctx, c2c_node *n, const char *reason, const char *keep_until)
{
	git_oid cut;
	char hex[GIT_OID_HEXSZ + 1];
	int err = registry_revoke(n, ctx->argv[1], reason, keep_until, &cut);
	if (err < 0)
		return err;
	git_oid_tostr(hex, sizeof(hex), &cut);
	if (ctx->json)
		return cli_print_json(json_pack("{s:s,s:s,s:s?}", "node_id", ctx->argv[1], "keep_until", hex, "reason", reason));
	printf(_("revoked node %s: its commits up to %.12s stay valid, any other it signs is refused\n"), ctx->argv[1], hex);
	printf(_("  sync now so that the hub and every node learn it; then, on the hub, 'c2c hub keys PATH'\n"));
	return 0;
}

static int cmd_node_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *city = NULL, *role = NULL, *reason = NULL, *keep = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--city", &city)) < 0 || (err = cli_take_opt(ctx, "--role", &role)) < 0 ||
	    (err = cli_take_opt(ctx, "--reason", &reason)) < 0 || (err = cli_take_opt(ctx, "--keep-until", &keep)) < 0 ||
	    (err = cli_positionals(ctx, 2, 3)) < 0)
		return err;
	if (!strcmp(ctx->argv[0], "add") && ctx->argc == 3 && !reason && !keep)
		return node_add(ctx, n, city, role);
	if (!strcmp(ctx->argv[0], "revoke") && ctx->argc == 2 && !city && !role)
		return node_revoke(ctx, n, reason, keep);
	return err_set(C2C_EUSAGE, _("usage: c2c node add NODE-ID (--city SLUG | --role office) PUBKEY-FILE | c2c node "
	                             "revoke NODE-ID [--reason TEXT] [--keep-until COMMIT]"));
}

const cli_command cmd_node = {
    "node", cmd_node_fn, CLI_WRITE, N_("(office) register a node and its key, or revoke it"),
    N_("c2c node add NODE-ID (--city SLUG | --role office) PUBKEY-FILE\n"
    "       c2c node revoke NODE-ID [--reason TEXT] [--keep-until COMMIT]"),
    N_("'add' registers a node of city SLUG (or, with --role office, a further\n"
    "office node, which writes the network's records like the first) with the\n"
    "public key in PUBKEY-FILE (the node's keys/id_ed25519.pub), as record\n"
    "nodes/NODE-ID in network/nodes/. Every node accepts a city's commits only\n"
    "when signed by a key registered for that city, once the registration has\n"
    "reached it; auditors get the keys with 'c2c audit signers'.\n\n"
    "'revoke' revokes the node's key (a stolen laptop, an officer who left):\n"
    "its commits up to --keep-until COMMIT (by default its newest commit in\n"
    "this node's history) stay valid; every node and hub refuses any other\n"
    "commit it signs, whatever it is built on. A revocation never changes.\n"
    "Only an office node registers and revokes nodes; the root key cannot be\n"
    "revoked (hand it over first: 'c2c trust handover').\n\n"
    "  c2c node add tunis-1a2b3c4d --city tunis tunis-node.pub\n"
    "  c2c node revoke sfax-9f8e7d6c --reason \"laptop stolen on 2026-12-01\"\n")};

/* The allowed-signers text of the registry: "NODE-ID namespaces="git" KEY";
 * a revoked key's line is valid before its revocation only (git gives
 * ssh-keygen the commit's time). *revoked: the audit guide's lines on the
 * revoked keys (empty if none). */
static int signers_text(c2c_node *n, char **out, size_t *count, char **revoked)
{
	json_t *list = NULL, *e;
	size_t i;
	char *buf = NULL, *rbuf = NULL;
	size_t len = 0, rlen = 0;
	FILE *f = NULL, *rf = NULL;
	int err;
	*out = *revoked = NULL;
	if ((err = registry_list(n, &list)) < 0)
		return err;
	if (!(f = open_memstream(&buf, &len)) || !(rf = open_memstream(&rbuf, &rlen))) {
		err = err_set(C2C_ENOMEM, _("out of memory"));
		goto done;
	}
	json_array_foreach(list, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "node_id"));
		const char *key = json_string_value(json_object_get(e, "pubkey"));
		const char *at = json_string_value(json_object_get(e, "revoked_at"));
		const char *cut = json_string_value(json_object_get(e, "keep_until"));
		const char *why = json_string_value(json_object_get(e, "reason"));
		char before[32] = "";
		/* "2026-12-06T15:43:16Z" -> "20261206154316Z" */
		for (size_t j = 0, k = 0; at && at[j] && k + 1 < sizeof(before); j++)
			if (at[j] != '-' && at[j] != ':' && at[j] != 'T')
				before[k++] = at[j], before[k] = '\0';
		if (at)
			fprintf(f, "%s namespaces=\"git\",valid-before=\"%s\" %s\n", id, before, key);
		else
			fprintf(f, "%s namespaces=\"git\" %s\n", id, key);
		if (at) {
			char *safe = cli_safe(why ? why : "", 0);
			fprintf(rf, "- `%s`, revoked %s%s%s%s: its commits up to `%s` stay valid.\n", id, at, why ? " (" : "",
			        why ? (safe ? safe : "") : "", why ? ")" : "", cut ? cut : "?");
			free(safe);
		}
	}
	*count = json_array_size(list);
done:
	if (f)
		fclose(f);
	if (rf)
		fclose(rf);
	json_decref(list);
	if (err == 0 && (!buf || !rbuf))
		err = err_set(C2C_ENOMEM, _("out of memory"));
	if (err < 0) {
		free(buf);
		free(rbuf);
		return err;
	}
	*out = buf;
	*revoked = rbuf;
	return 0;
}

/* Replace PATH by TEXT at once (util.h). */
static int write_file(const char *path, const char *text)
{
	return write_file_atomic(path, text, strlen(text), 0644);
}

static const char guide[] =
    "# Checking this network's history with stock git\n"
    "\n"
    "`allowed_signers` lists every node the office registered, one line each:\n"
    "the node id, `namespaces=\"git\"`, and the node's ed25519 key. Every commit\n"
    "after the genesis commit %s is signed by the node that made it, in\n"
    "git's SSH signature format.\n"
    "\n"
    "Clone the hub (or copy a node's `repo.git`), then:\n"
    "\n"
    "    git fsck --strict                       # every object well-formed\n"
    "    git config gpg.ssh.allowedSignersFile \"$PWD/allowed_signers\"\n"
    "    git log --show-signature --all          # who signed each commit\n"
    "    git rev-list --all | while read c; do\n"
    "      [ \"$c\" = %s ] || git verify-commit \"$c\" || echo \"BAD $c\"\n"
    "    done\n"
    "\n"
    "Who changed one record, and when: records are JSON files under\n"
    "`cities/<city>/<table>/` and `network/<table>/`, bucketed by the sha256 of\n"
    "their id; find the path with `git ls-tree -r --name-only HEAD | grep ID`,\n"
    "then `git log --show-signature --follow -p -- PATH`. Each commit message\n"
    "ends with `C2C-Node: <node id>`, the node that made it; the signature\n"
    "proves it. A node may write only its own city's records (the office:\n"
    "`network/`); `git log --stat` shows which paths each commit touched.\n"
    "\n"
    "## Revoked keys\n"
    "\n"
    "The office revokes the key of a lost laptop or of an officer who left.\n"
    "A revoked key's line in `allowed_signers` is valid before the revocation\n"
    "only (`valid-before`, checked against the commit's time). What decides is\n"
    "the cut: every commit of the node must be the cut or one of its\n"
    "ancestors, which `git merge-base --is-ancestor COMMIT CUT` checks.\n"
    "\n"
    "%s";

static int cmd_audit_fn(cli_ctx *ctx, c2c_node *n)
{
	char *text = NULL, path[4096], *g = NULL, *revoked = NULL;
	size_t count = 0;
	int err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	const char *sub = ctx->argv[0], *arg = ctx->argv[1];
	int is_export = !strcmp(sub, "export");
	if (!is_export && strcmp(sub, "signers"))
		return err_set(C2C_EUSAGE, _("usage: c2c audit signers FILE | c2c audit export DIR"));
	if ((err = signers_text(n, &text, &count, &revoked)) < 0)
		return err;
	if (!is_export) {
		if ((err = write_file(arg, text)) < 0)
			goto done;
	} else {
		if (mkdir(arg, 0755) < 0 && errno != EEXIST) {
			err = err_errno(C2C_EIO, arg);
			goto done;
		}
		size_t gl = sizeof(guide) + 2 * sizeof(C2C_GENESIS) + strlen(revoked) + 64;
		if (!(g = malloc(gl))) {
			err = err_set(C2C_ENOMEM, _("out of memory"));
			goto done;
		}
		snprintf(g, gl, guide, C2C_GENESIS, C2C_GENESIS, *revoked ? revoked : "None: no key has been revoked.\n");
		snprintf(path, sizeof(path), "%s/allowed_signers", arg);
		if ((err = write_file(path, text)) < 0)
			goto done;
		snprintf(path, sizeof(path), "%s/README.md", arg);
		if ((err = write_file(path, g)) < 0)
			goto done;
	}
	if (ctx->json)
		err = cli_print_json(json_pack("{s:s,s:i}", is_export ? "dir" : "file", arg, "signers", (int)count));
	else
		printf(P_(count, "%s: %zu registered signer\n", "%s: %zu registered signers\n"), arg, count);
done:
	free(g);
	free(text);
	free(revoked);
	return err;
}

const cli_command cmd_audit = {
    "audit", cmd_audit_fn, CLI_READ, N_("allowed-signers file and an auditor's kit"),
    N_("c2c audit signers FILE | c2c audit export DIR"),
    N_("'signers' writes FILE in the allowed-signers format of ssh-keygen(1), one\n"
    "line per node the office registered, so that stock git checks every\n"
    "commit: git -c gpg.ssh.allowedSignersFile=FILE verify-commit COMMIT.\n"
    "'export' writes DIR/allowed_signers and DIR/README.md, a short guide to\n"
    "checking the history with stock git alone.\n\n"
    "  c2c audit export /media/usb/audit\n")};
