/* remote, sync: working with other nodes (conflicts, resolve and merge-tree
 * are cmd_merge.c's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/record.h"
#include "c2c/repo.h"
#include "c2c/sync.h"

static const char *when(long long t, char *buf, size_t cap)
{
	if (!t)
		return _("never");
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

static int cmd_remote_fn(cli_ctx *ctx, c2c_node *n)
{
	int err;
	if ((err = cli_positionals(ctx, 1, 3)) < 0)
		return err;
	const char *sub = ctx->argv[0];
	if (!strcmp(sub, "add")) {
		if (ctx->argc != 3)
			return err_set(C2C_EUSAGE, _("usage: c2c remote add NAME PATH|URL"));
		if ((err = sync_remote_add(n, ctx->argv[1], ctx->argv[2])) < 0)
			return err;
		if (!ctx->json)
			printf(_("added remote %s\n"), ctx->argv[1]);
		return ctx->json ? cli_print_json(json_pack("{s:s,s:s}", "name", ctx->argv[1], "url", ctx->argv[2])) : 0;
	}
	if (!strcmp(sub, "rm")) {
		if (ctx->argc != 2)
			return err_set(C2C_EUSAGE, _("usage: c2c remote rm NAME"));
		return sync_remote_rm(n, ctx->argv[1]);
	}
	if (!strcmp(sub, "ls")) {
		sync_remote *v = NULL;
		size_t k = 0;
		char a[64], b[64];
		if (ctx->argc != 1)
			return err_set(C2C_EUSAGE, _("usage: c2c remote ls"));
		if ((err = sync_remote_list(n, &v, &k)) < 0)
			return err;
		json_t *arr = ctx->json ? json_array() : NULL;
		for (size_t i = 0; i < k; i++) {
			if (arr)
				json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:s?}", "name", v[i].name, "url", v[i].url,
				                                     "last_attempt", (json_int_t)v[i].last_attempt, "last_ok",
				                                     (json_int_t)v[i].last_ok, "last_result", v[i].last_result));
			else
				printf(_("%-12s %s\n             last sync %s (%s), last success %s\n"), v[i].name, v[i].url,
				       when(v[i].last_attempt, a, sizeof(a)), v[i].last_result ? v[i].last_result : "-",
				       when(v[i].last_ok, b, sizeof(b)));
		}
		sync_remote_list_free(v, k);
		return arr ? cli_print_json(arr) : 0;
	}
	if (!strcmp(sub, "trust")) {
		char *fp = NULL;
		if (ctx->argc < 2)
			return err_set(C2C_EUSAGE, _("usage: c2c remote trust NAME [SHA256:FINGERPRINT]"));
		if ((err = sync_remote_trust(n, ctx->argv[1], ctx->argc > 2 ? ctx->argv[2] : NULL, &fp)) < 0)
			return err;
		if (ctx->json)
			err = cli_print_json(json_pack("{s:s,s:s}", "name", ctx->argv[1], "host_key", fp));
		else
			printf(_("%s: trusting host key %s%s\n"), ctx->argv[1], fp,
			       ctx->argc > 2 ? "" : _(" (as the server showed it: compare it with its admin's)"));
		free(fp);
		return err;
	}
	err_set(C2C_EUSAGE, _("'%s' is not a remote command"), sub);
	return err_hint(_("usage: %s"), _(ctx->cmd->usage));
}

const cli_command cmd_remote = {
    "remote", cmd_remote_fn, CLI_WRITE, N_("add, list or remove remotes (hubs and peers)"),
    N_("c2c remote (add NAME PATH|URL | ls | rm NAME | trust NAME [SHA256:FINGERPRINT])"),
    N_("A remote is a hub (a bare repository made by 'c2c hub init', where each\n"
    "node pushes to refs/heads/nodes/<node-id> and fetches every node's branch)\n"
    "or a peer node's directory (its main is fetched; nothing is pushed).\n"
    "'ls' shows when each was last synced and how it went. A URL is\n"
    "ssh://user@host[:port]/path (a hub, or a peer's repo.git); its host key\n"
    "must be trusted first: 'trust NAME SHA256:...' records the fingerprint the\n"
    "server's admin gives you (no connection is made); 'trust NAME' alone\n"
    "connects and keeps the key it is shown.\n\n"
    "  c2c remote add hub ssh://c2c@hub.mc2cm.example:2222/srv/c2c/hub.git\n"
    "  c2c remote trust hub SHA256:1fQ0bH3...\n"
    "  c2c remote add laptop ../laptop\n")};

static void print_result(const char *name, const sync_result *r, int json, json_t *arr)
{
	char a[13], b[13], fa[GIT_OID_HEXSZ + 1], fb[GIT_OID_HEXSZ + 1];
	git_oid_tostr(a, sizeof(a), &r->before);
	git_oid_tostr(b, sizeof(b), &r->after);
	git_oid_tostr(fa, sizeof(fa), &r->before);
	git_oid_tostr(fb, sizeof(fb), &r->after);
	if (json) {
		json_array_append_new(
		    arr, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:I,s:I,s:I,s:s}", "remote", name, "kind",
		                   r->is_hub ? "hub" : "peer", "before", fa, "after", fb, "branches", (json_int_t)r->tips, "new_branches",
		                   (json_int_t)r->new_tips, "fast_forward", r->fast_forward, "merged", r->merged,
		                   "records_changed", (json_int_t)r->applied.records, "conflicts",
		                   (json_int_t)r->applied.conflicts, "records_joined", (json_int_t)r->merge.joined, "pushed",
		                   r->pushed == 1 ? "yes" : r->pushed == 0 ? "up to date" : "no (peer)"));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "checks_ms", json_real(r->check_ms));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "root_handed_over_to",
		                    r->root_to[0] ? json_string(r->root_to) : json_null());
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "protocol",
		                    json_string(r->exchange ? "c2c" : "git"));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "refs_named",
		                    r->exchange ? json_integer((json_int_t)r->refs_named) : json_null());
		/* The pack of a push over ssh (c2c's own, push.h); null otherwise. */
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "push_pack",
		                    r->pushed == 1 && r->thin_push
		                        ? json_pack("{s:I,s:I}", "objects", (json_int_t)r->pushed_objects, "deltas",
		                                    (json_int_t)r->pushed_deltas)
		                        : json_null());
		return;
	}
	printf(P_(r->tips, "%s (%s): %zu branch fetched, %zu with new commits\n",
	          "%s (%s): %zu branches fetched, %zu with new commits\n"),
	       name, r->is_hub ? _("hub") : _("peer"), r->tips, r->new_tips);
	if (r->merged)
		printf(P_(r->applied.records, "  in:  merged %s -> %s: %zu record changed, %zu joined field by field\n",
		          "  in:  merged %s -> %s: %zu records changed, %zu joined field by field\n"),
		       a, b, r->applied.records, r->merge.joined);
	else if (r->fast_forward)
		printf(P_(r->applied.records, "  in:  fast-forward %s -> %s: %zu record changed\n",
		          "  in:  fast-forward %s -> %s: %zu records changed\n"),
		       a, b, r->applied.records);
	else
		printf(_("  in:  nothing new\n"));
	if (r->applied.conflicts)
		printf(P_(r->applied.conflicts, "  conflicts: %zu record now holds an open conflict ('c2c conflicts')\n",
		          "  conflicts: %zu records now hold an open conflict ('c2c conflicts')\n"),
		       r->applied.conflicts);
	if (r->root_to[0])
		printf(_("  trust: the office handed the root of trust over to key %s; this node now trusts it\n"),
		       r->root_to);
	if (r->held)
		printf(P_(r->held, "  held: %zu branch, nothing of it merged (see above; 'c2c status' lists them)\n",
		          "  held: %zu branches, nothing of them merged (see above; 'c2c status' lists them)\n"),
		       r->held);
	printf(_("  out: %s\n"), r->pushed == 1   ? _("pushed main")
	                      : r->pushed == 0 ? _("the hub already has main")
	                                       : _("nothing (a peer is only read)"));
}

/* The progress line and the notice of a retry, on stderr. */
static void sync_progress_line(void *payload, const char *label, size_t done, size_t total)
{
	(void)payload;
	cli_progress(label, done, total);
}

static void sync_retrying(void *payload, const char *why, long long wait_s)
{
	(void)payload;
	fprintf(stderr, "c2c sync: %s; retrying in %lld s\n", why, wait_s);
}

static int cmd_sync_fn(cli_ctx *ctx, c2c_node *n)
{
	const sync_options opts = {.progress = {sync_progress_line, NULL}, .retrying = sync_retrying};
	int err, failed = 0;
	sync_remote *v = NULL;
	size_t k = 0;
	if ((err = cli_positionals(ctx, 0, -1)) < 0)
		return err;
	json_t *arr = ctx->json ? json_array() : NULL;
	if (ctx->argc == 0) {
		if ((err = sync_remote_list(n, &v, &k)) < 0)
			return err;
		if (k == 0) {
			json_decref(arr);
			err_set(C2C_EINVALID, _("this node has no remotes"));
			return err_hint(_("add one with 'c2c remote add NAME PATH'"));
		}
	}
	size_t count = ctx->argc ? (size_t)ctx->argc : k;
	/* A node with two hubs relays between them (README, "Beyond one
	 * hub"): a hub synced before main moved (a later remote brought
	 * something) is synced once more at the end, so that it gets the new
	 * main in this same sync. Which hubs, and the main each was given. */
	git_oid *given = count ? calloc(count, sizeof(*given)) : NULL;
	if (count && !given) {
		json_decref(arr);
		sync_remote_list_free(v, k);
		return ERR_OOM();
	}
	for (size_t i = 0; i < 2 * count; i++) {
		const char *name = ctx->argc ? ctx->argv[i % count] : v[i % count].name;
		if (i >= count && (git_oid_is_zero(&given[i - count]) || git_oid_equal(&given[i - count], &n->head)))
			continue; /* not a hub, failed, or it has the last main */
		sync_result r;
		if ((err = sync_with(n, name, &opts, &r)) < 0) {
			fprintf(stderr, _("c2c sync: error: %s\n"), err_msg());
			if (err_hint_msg())
				fprintf(stderr, _("hint: %s\n"), err_hint_msg());
			if (arr)
				json_array_append_new(arr, json_pack("{s:s,s:s}", "remote", name, "error", err_msg()));
			failed++;
			continue;
		}
		if (r.held) {
			failed++;
			if (!arr && cli_print_held(n, name, NULL) < 0)
				fprintf(stderr, _("c2c sync: error: %s\n"), err_msg());
		}
		print_result(name, &r, ctx->json, arr);
		if (arr)
			cli_print_held(n, name, json_array_get(arr, json_array_size(arr) - 1));
		if (i < count && r.is_hub && r.pushed >= 0)
			given[i] = r.after;
	}
	free(given);
	sync_remote_list_free(v, k);
	if (arr)
		cli_print_json(arr);
	return failed ? 1 : 0;
}

const cli_command cmd_sync = {
    "sync", cmd_sync_fn, CLI_WRITE, N_("fetch, merge and push: a summary of what moved"),
    N_("c2c sync [REMOTE...]"),
    N_("Syncs with each REMOTE (all of them if none is named): fetches their\n"
    "commits, fast-forwards where it can, otherwise makes one merge commit\n"
    "whose tree is the join of both sides record by record and field by field,\n"
    "updates the database, and pushes main to a hub. Concurrent edits of one\n"
    "field keep both values: one stands (the later by Lamport time, then by\n"
    "node id: no wall clock), the other is an open conflict listed by\n"
    "'c2c conflicts'. A failed sync leaves the node as it was. The push sends\n"
    "a thin pack (deltas against what the hub holds) to the hub's own git\n"
    "receive-pack, over ssh or by path, so the hub's checks hold either way;\n"
    "with --json, push_pack counts its objects and deltas. With a hub that\n"
    "runs c2c, over ssh, the push and the fetch go in one request and one\n"
    "answer on one channel, and the answer names only the branches changed\n"
    "since this node's last sync (C2C_SYNC_PROTOCOL=git: git's protocols, as\n"
    "with any other server). A hub synced before main moved (a later remote\n"
    "brought something) is synced again at the end, so a node with two hubs\n"
    "relays between them in one sync.\n"
    "Only one sync or bundle apply at a time brings objects into a node;\n"
    "another meanwhile is refused, naming the first one's pid.\n\n"
    "Each branch of a remote is judged on its own: one whose new commits fail\n"
    "a check (a forged or broken commit, a key the office has not registered\n"
    "yet) is held: nothing of it is merged, the others are. The sync names\n"
    "each held branch, its node and city, the commit and the rule, and what\n"
    "would release it; 'c2c status' lists them until a sync merges them, and\n"
    "every sync tries them again. The exit status is 1 when a branch is held\n"
    "(--json: each remote's \"held\" list).\n")};
