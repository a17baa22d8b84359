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

static int cmd_node_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *city = NULL;
	char *line = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--city", &city)) < 0 || (err = cli_positionals(ctx, 3, 3)) < 0)
		return err;
	if (strcmp(ctx->argv[0], "add"))
		return err_set(C2C_EUSAGE, "usage: c2c node add NODE-ID --city SLUG PUBKEY-FILE");
	if (!city)
		return err_set(C2C_EUSAGE, "give the node's city: --city SLUG");
	if (!store_row_exists(n->st, "cities", city)) {
		err_set(C2C_EINVALID, "no city '%s' in the network", city);
		return err_hint("'c2c ls cities' lists them");
	}
	if ((err = registry_read_key_file(ctx->argv[2], &line)) < 0)
		return err;
	if ((err = registry_add(n, ctx->argv[1], city, "city", line)) == 0) {
		char *fp = NULL;
		keys_line_fingerprint(line, &fp);
		if (ctx->json)
			err = cli_print_json(json_pack("{s:s,s:s,s:s?}", "node_id", ctx->argv[1], "city", city, "fingerprint", fp));
		else
			printf("registered node %s of %s, key %s\n", ctx->argv[1], city, fp ? fp : "?");
		free(fp);
	}
	free(line);
	return err;
}

const cli_command cmd_node = {
    "node", cmd_node_fn, CLI_WRITE, "(office) register a city's node and its key",
    "c2c node add NODE-ID --city SLUG PUBKEY-FILE",
    "Registers a node of city SLUG with the public key in PUBKEY-FILE (the\n"
    "node's keys/id_ed25519.pub), as record nodes/NODE-ID in network/nodes/.\n"
    "Only the office registers nodes. Every node accepts a city's commits only\n"
    "when signed by a key registered for that city, once the registration has\n"
    "reached it; auditors get the keys with 'c2c audit signers'.\n\n"
    "  c2c node add tunis-1a2b3c4d --city tunis tunis-node.pub\n"};

/* The allowed-signers text of the registry: "NODE-ID namespaces="git" KEY". */
static int signers_text(c2c_node *n, char **out, size_t *count)
{
	json_t *list = NULL, *e;
	size_t i, len = 1;
	int err;
	*out = NULL;
	if ((err = registry_list(n, &list)) < 0)
		return err;
	json_array_foreach(list, i, e) len += strlen(json_string_value(json_object_get(e, "node_id"))) +
	                                       strlen(json_string_value(json_object_get(e, "pubkey"))) + 32;
	char *s = malloc(len), *p = s;
	if (!s) {
		json_decref(list);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	*s = '\0';
	json_array_foreach(list, i, e) p += sprintf(p, "%s namespaces=\"git\" %s\n",
	                                            json_string_value(json_object_get(e, "node_id")),
	                                            json_string_value(json_object_get(e, "pubkey")));
	*count = json_array_size(list);
	json_decref(list);
	*out = s;
	return 0;
}

/* Write TEXT to PATH through PATH.tmp and a rename. */
static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_set(C2C_EINVALID, "%s: path too long", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return err_errno(C2C_EIO, tmp);
	int bad = fputs(text, f) < 0;
	bad |= fflush(f) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) < 0) {
		int e = err_errno(C2C_EIO, path);
		unlink(tmp);
		return e;
	}
	return 0;
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
    "`network/`); `git log --stat` shows which paths each commit touched.\n";

static int cmd_audit_fn(cli_ctx *ctx, c2c_node *n)
{
	char *text = NULL, path[4096], *g = NULL;
	size_t count = 0;
	int err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	const char *sub = ctx->argv[0], *arg = ctx->argv[1];
	int is_export = !strcmp(sub, "export");
	if (!is_export && strcmp(sub, "signers"))
		return err_set(C2C_EUSAGE, "usage: c2c audit signers FILE | c2c audit export DIR");
	if ((err = signers_text(n, &text, &count)) < 0)
		return err;
	if (!is_export) {
		err = write_file(arg, text);
	} else {
		if (mkdir(arg, 0755) < 0 && errno != EEXIST) {
			err = err_errno(C2C_EIO, arg);
			goto done;
		}
		size_t gl = sizeof(guide) + 2 * sizeof(C2C_GENESIS);
		if (!(g = malloc(gl))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(g, gl, guide, C2C_GENESIS, C2C_GENESIS);
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
		printf("%s: %zu registered signer%s\n", arg, count, count == 1 ? "" : "s");
done:
	free(g);
	free(text);
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
