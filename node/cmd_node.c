/* init, status, tables, verify, repair: the node itself. */
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/autosync.h"
#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/review.h"
#include "c2c/merge.h"
#include "c2c/refs.h"
#include "c2c/registry.h"
#include "c2c/trust.h"
#include "c2c/sync.h"

/* A node's role for a person to read ("city", "office" in --json). */
static const char *role_word(const char *role)
{
	return !strcmp(role, "office") ? _("office") : !strcmp(role, "city") ? _("city") : role;
}

static int cmd_init_fn(cli_ctx *ctx, c2c_node *unused)
{
	const char *city = NULL, *user = NULL, *schema = NULL, *office_key = NULL;
	char *root = NULL, *root_fp = NULL;
	c2c_node *n = NULL;
	int office, err;
	(void)unused;
	if ((err = cli_take_opt(ctx, "--city", &city)) < 0 || (err = cli_take_opt(ctx, "--user", &user)) < 0 ||
	    (err = cli_take_opt(ctx, "--schema-version", &schema)) < 0 ||
	    (err = cli_take_opt(ctx, "--office-key", &office_key)) < 0)
		return err;
	office = cli_take_flag(ctx, "--office");
	if ((err = cli_positionals(ctx, 0, 1)) < 0)
		return err;
	if (office_key && (err = registry_read_key_file(office_key, &root)) < 0)
		return err;
	const char *dir = ctx->argc ? ctx->argv[0] : ctx->dir_opt ? ctx->dir_opt : ".";
	if ((err = node_create(&n, dir, city, office, user, schema ? atoi(schema) : 0)) < 0) {
		free(root);
		return err;
	}
	/* The root of trust: the first office's own key, registered in its
	 * first commit after genesis; on a city node, or a further office node
	 * (which the office registers with 'c2c node add --role office'), the
	 * key it was given. */
	if (office && !root) {
		char *pub = NULL;
		if ((err = keys_public(n->dir, &pub)) == 0) {
			char *sp = strchr(pub, ' ');
			if (sp && (sp = strchr(sp + 1, ' ')))
				*sp = '\0';
			root = pub;
			err = registry_add(n, n->node_id, NULL, "office", root);
		}
	}
	if (err == 0 && root && (err = registry_set_office_key(n, root)) == 0)
		err = keys_line_fingerprint(root, &root_fp);
	free(root);
	if (err < 0) {
		node_close(n);
		return err;
	}
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &n->head);
	if (ctx->json) {
		err = cli_print_json(json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s?}", "node_id", n->node_id, "role", n->role, "city",
		                               n->city, "head", hex, "dir", n->dir, "office_key", root_fp));
	} else {
		printf(_("Created %s node %s in %s\n"), role_word(n->role), n->node_id, n->dir);
		printf(_("  database   %s\n  history    %s (head %.12s)\n  key        %s/keys/id_ed25519\n"), n->dbpath,
		       n->gitdir, hex, n->dir);
		if (root_fp)
			printf(_("  office key %s\n"), root_fp);
		else
			printf(_("  office key not known yet: give --office-key FILE, or it is learnt from the first hub\n"));
	}
	free(root_fp);
	node_close(n);
	return err;
}

const cli_command cmd_init = {
    "init", cmd_init_fn, CLI_NONE, N_("create a node"),
    N_("c2c init DIR (--city SLUG | --office) [--office-key PUBKEY-FILE] [--user \"Name <mail>\"]"),
    N_("Creates DIR/c2c.db, DIR/repo.git and DIR/keys/, seeded with the network's\n"
    "reference data (cities, themes, SDGs, peer-learning events) in the genesis\n"
    "commit, which has the same id on every node. A city node writes its own\n"
    "city's records; the office writes the network's. --user names the person\n"
    "recorded as author of this node's commits. The office's key is the root\n"
    "of trust: the office registers itself in its first commit; a city node is\n"
    "given the office's public key with --office-key (its fingerprint is\n"
    "printed), or learns it from the first hub it trusts. --office with\n"
    "--office-key makes a further office node of that network: the office\n"
    "registers it ('c2c node add ID --role office KEY.pub') and it syncs\n"
    "before it writes.\n\n"
    "  c2c init tunis --city tunis --user \"Amina Ben Ali <amina@commune-tunis.tn>\"\n")};

/* Commits of the head that remote NAME does not have, as this node last
 * saw it: a hub's copy of this node's branch, else the remote's main as
 * last fetched; before any sync, every commit after the genesis. -1 when
 * the history cannot be walked. */
static long long unsent_commits(c2c_node *n, const char *name)
{
	char ref[512];
	git_revwalk *w = NULL;
	git_oid oid;
	long long count = 0;
	if (git_revwalk_new(&w, n->repo) < 0)
		return -1;
	if (git_revwalk_push(w, &n->head) < 0) {
		git_revwalk_free(w);
		return -1;
	}
	char rest[256];
	snprintf(rest, sizeof(rest), "nodes/%s", n->node_id);
	int seen = ref_remote(ref, sizeof(ref), name, rest) == 0 && git_reference_name_to_id(&oid, n->repo, ref) == 0;
	if (!seen)
		seen = ref_remote(ref, sizeof(ref), name, "main") == 0 && git_reference_name_to_id(&oid, n->repo, ref) == 0;
	if (seen)
		git_revwalk_hide(w, &oid);
	while (git_revwalk_next(&oid, w) == 0)
		count++;
	git_revwalk_free(w);
	/* the genesis is every node's: never to send */
	return !seen && count ? count - 1 : count;
}

static int cmd_status_fn(cli_ctx *ctx, c2c_node *n)
{
	char hex[GIT_OID_HEXSZ + 1];
	long long records = 0, tombs = 0;
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	git_oid_tostr(hex, sizeof(hex), &n->head);
	for (size_t i = 0; i < nt; i++) {
		long long c = 0, d = 0;
		store_count(n->st, t[i].name, 0, &c);
		store_count(n->st, t[i].name, 1, &d);
		records += c;
		tombs += d;
	}
	char *fp = NULL;
	keys_fingerprint(n->dir, &fp);
	long long conflicts = node_open_conflicts(n);
	sync_remote *rv = NULL;
	size_t nr = 0;
	sync_remote_list(n, &rv, &nr);
	json_t *remotes = json_array();
	for (size_t i = 0; i < nr; i++) {
		autosync_state as;
		autosync_state_get(n, rv[i].name, &as);
		json_array_append_new(remotes, json_pack("{s:s,s:s,s:I,s:I,s:s?,s:b,s:I,s:I}", "name", rv[i].name, "url",
		                                         rv[i].url, "last_attempt", (json_int_t)rv[i].last_attempt, "last_ok",
		                                         (json_int_t)rv[i].last_ok, "last_result", rv[i].last_result, "ok",
		                                         rv[i].last_attempt && rv[i].last_ok == rv[i].last_attempt,
		                                         "failures", (json_int_t)as.failures, "next_try",
		                                         (json_int_t)as.next_try));
		json_object_set_new(json_array_get(remotes, i), "unsent_commits",
		                    json_integer(unsent_commits(n, rv[i].name)));
	}
	/* Branches the last syncs held back (SPEC 7): named until merged. */
	json_t *held = NULL;
	if (store_held_list(n->st, NULL, &held) < 0) {
		err_clear();
		held = json_array();
	}
	/* The office's reviews asking this city (on the office: any city) for changes. */
	json_t *asked = NULL;
	if (review_list(n->st, n->city, "changes_requested", &asked) < 0)
		asked = json_array();
	if (ctx->json) {
		json_t *o = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:b,s:I,s:I,s:i,s:s?,s:o,s:i,s:o,s:o}", "node_id", n->node_id, "role",
		                      n->role, "city", n->city, "head", hex, "dir", n->dir, "head_moved", n->head_moved,
		                      "records", (json_int_t)records, "deleted", (json_int_t)tombs, "schema_version",
		                      store_version(n->st), "key_fingerprint", fp, "remotes", remotes, "conflicts", (int)conflicts,
		                      "held", held, "changes_requested", asked);
		free(fp);
		sync_remote_list_free(rv, nr);
		return cli_print_json(o);
	}
	printf(_("node      %s (%s%s%s)\n"), n->node_id, role_word(n->role), n->city ? _(", ") : "", n->city ? n->city : "");
	printf(_("user      %s <%s>\n"), n->user_name, n->user_email);
	printf(_("head      %s%s\n"), hex, n->head_moved ? _("  (refs/heads/main moved: run 'c2c verify')") : "");
	printf(_("records   %lld (%lld deleted)\n"), records, tombs);
	printf(_("schema    %d\n"), store_version(n->st));
	if (fp)
		printf(_("key       %s\n"), fp);
	if (!nr)
		printf(_("remotes   none ('c2c remote add NAME PATH')\n"));
	for (size_t i = 0; i < nr; i++) {
		char when[64];
		snprintf(when, sizeof(when), "%s", _("never"));
		if (rv[i].last_attempt) {
			time_t tt = (time_t)rv[i].last_attempt;
			struct tm tm;
			gmtime_r(&tt, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		}
		printf(_("%-9s %s %s\n          last sync %s: %s\n"), i ? "" : _("remotes"), rv[i].name, rv[i].url, when,
		       rv[i].last_result ? rv[i].last_result : "-");
		long long unsent = unsent_commits(n, rv[i].name);
		if (unsent > 0)
			printf(P_(unsent, "          not yet sent: %lld commit ('c2c sync %s' sends it)\n",
			          "          not yet sent: %lld commits ('c2c sync %s' sends them)\n"),
			       unsent, rv[i].name);
		else if (unsent == 0)
			printf(_("          nothing left to send\n"));
		autosync_state as;
		if (autosync_state_get(n, rv[i].name, &as) == 0 && (as.failures || as.next_try)) {
			char next[32] = "";
			long long in = as.next_try - (long long)time(NULL);
			if (as.next_try) {
				time_t tt = (time_t)as.next_try;
				struct tm tm;
				gmtime_r(&tt, &tm);
				strftime(next, sizeof(next), "%H:%M:%S UTC", &tm);
			}
			char fails[48] = "";
			if (as.failures)
				snprintf(fails, sizeof(fails), _("%lld failed in a row, "), as.failures);
			if (as.next_try && in < -60)
				printf(_("          autosync: %snext try was due at %s, %lld s ago: is it still running?\n"), fails,
				       next, -in);
			else if (as.next_try)
				printf(_("          autosync: %snext try %s (in %lld s)\n"), fails, next, in > 0 ? in : 0);
			else
				printf(_("          %lld failed in a row; autosync is not running\n"), as.failures);
		}
	}
	if (conflicts)
		printf(P_(conflicts, "conflicts %lld record ('c2c conflicts')\n", "conflicts %lld records ('c2c conflicts')\n"),
		       conflicts);
	else
		printf(_("conflicts none\n"));
	size_t hi;
	json_t *h;
	json_array_foreach(held, hi, h)
	{
		const char *node = json_string_value(json_object_get(h, "node")),
		           *city = json_string_value(json_object_get(h, "city"));
		char since[32];
		time_t tt = (time_t)json_integer_value(json_object_get(h, "since"));
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M UTC", &tm);
		printf(_("%-9s %s %s (node %s, %s%s) since %s\n"), hi ? "" : _("held"), json_string_value(json_object_get(h, "remote")),
		       json_string_value(json_object_get(h, "branch")) ? json_string_value(json_object_get(h, "branch")) : "-",
		       node ? node : _("unknown"), city ? _("city ") : _("not registered"), city ? city : "", since);
		printf(_("          commit %.12s refused: "), json_string_value(json_object_get(h, "commit")));
		cli_put_safe(stdout, json_string_value(json_object_get(h, "rule")));
		printf("\n          ");
		cli_put_safe(stdout, json_string_value(json_object_get(h, "release")));
		printf("\n");
	}
	json_decref(held);
	size_t ai;
	json_t *a;
	json_array_foreach(asked, ai, a)
	{
		const char *comment = json_string_value(json_object_get(a, "comment"));
		printf(_("%-9s %s/%s%s%s%s: changes requested%s%s%s\n"), ai ? "" : _("reviews"),
		       json_string_value(json_object_get(a, "record_table")), json_string_value(json_object_get(a, "record_id")),
		       n->city ? "" : " (", n->city ? "" : json_string_value(json_object_get(a, "city")), n->city ? "" : ")",
		       comment ? " (" : "", comment ? comment : "", comment ? ")" : "");
		if (json_is_true(json_object_get(a, "out_of_date")))
			printf("          %s\n", json_is_true(json_object_get(a, "record_deleted"))
			                             ? _("the record was deleted since")
			                             : _("edited since the review: waiting for the office's next review"));
	}
	json_decref(asked);
	json_decref(remotes);
	sync_remote_list_free(rv, nr);
	free(fp);
	return 0;
}

const cli_command cmd_status = {"status", cmd_status_fn, CLI_READ | CLI_SEES_MOVED_HEAD,
                                N_("identity, head, records, remotes, conflicts"),
                                N_("c2c status"),
                                N_("Shows who this node is, its head commit, how many records it holds,\n"
                                "and whether the repository still agrees with the database; per remote,\n"
                                "the last sync and the commits it does not have yet as this node last\n"
                                "saw it (--json: unsent_commits), which 'c2c sync' sends; open\n"
                                "conflicts.\n")};

static const char *type_name(const field_def *f)
{
	static const char *names[] = {N_("text"), N_("integer"), N_("one of"), N_("date YYYY-MM-DD"), N_("month YYYY-MM"),
	                              N_("id of"), N_("set")};
	return _(names[f->type]);
}

static int cmd_tables_fn(cli_ctx *ctx, c2c_node *n)
{
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	int err;
	if ((err = cli_positionals(ctx, 0, 1)) < 0)
		return err;
	if (ctx->argc && (err = cli_table(n, ctx->argv[0], &(const table_def *){NULL})) < 0)
		return err;
	json_t *arr = ctx->json ? json_array() : NULL;
	for (size_t i = 0; i < nt; i++) {
		if (ctx->argc && strcmp(ctx->argv[0], t[i].name))
			continue;
		json_t *fields = arr ? json_array() : NULL;
		/* In another language than English, the labels the web interface
		 * and import use stand for the schema's English summaries. */
		const char *lang = i18n_msg_lang(), *label = i18n_table(lang, t[i].name);
		int labels = strcmp(lang, "en") != 0;
		if (!arr)
			printf(_("%s%s  (%s; %s)\n"), i && !ctx->argc ? "\n" : "", t[i].name,
			       t[i].city_scope ? _("per city") : _("network"),
			       labels && strcmp(label, t[i].name) ? label : t[i].summary);
		for (size_t j = 0; j < t[i].nfields; j++) {
			const field_def *f = &t[i].fields[j];
			char allowed[1024] = "";
			size_t m = 0;
			for (size_t k = 0; k < f->nallowed && m < sizeof(allowed); k++)
				m += (size_t)snprintf(allowed + m, sizeof(allowed) - m, "%s%s", k ? ", " : "", f->allowed[k]);
			if (arr) {
				json_t *a = json_array();
				for (size_t k = 0; k < f->nallowed; k++)
					json_array_append_new(a, json_string(f->allowed[k]));
				static const char *tn[] = {"text", "int", "enum", "date", "month", "ref", "set"};
				static const char *en[] = {NULL, "text", "enum", "ref", "sdg_target"};
				json_t *o = json_pack("{s:s,s:s,s:s?,s:b,s:b,s:o,s:s?,s:s}", "name", f->name, "type", tn[f->type],
				                      "element", en[f->elem], "required", f->required, "immutable", f->immutable,
				                      "allowed", a, "ref", f->ref, "summary", f->summary);
				if (f->has_min)
					json_object_set_new(o, "min", json_integer(f->min));
				json_array_append_new(fields, o);
				continue;
			}
			char type[1200];
			if (f->type == FT_ENUM)
				snprintf(type, sizeof(type), _("one of: %s"), allowed);
			else if (f->type == FT_REF)
				snprintf(type, sizeof(type), _("id of a %s record"), f->ref);
			else if (f->type == FT_SET && f->elem == EL_ENUM)
				snprintf(type, sizeof(type), _("set of values: %s"), allowed);
			else if (f->type == FT_SET && f->elem == EL_REF)
				snprintf(type, sizeof(type), _("set of %s ids"), f->ref);
			else if (f->type == FT_SET && f->elem == EL_SDG_TARGET)
				snprintf(type, sizeof(type), "%s", _("set of SDG target codes (10.7)"));
			else if (f->type == FT_SET)
				snprintf(type, sizeof(type), "%s", _("set of text"));
			else if (f->type == FT_INT && f->has_min)
				snprintf(type, sizeof(type), _("integer >= %lld"), f->min);
			else
				snprintf(type, sizeof(type), "%s", type_name(f));
			const char *flabel = i18n_field(lang, t[i].name, f->name);
			printf("  %-22s %s%s%s\n  %-22s   %s\n", f->name, type, f->required ? _(", required") : "",
			       f->immutable ? _(", fixed once made") : "", "",
			       labels && strcmp(flabel, f->name) ? flabel : f->summary);
		}
		if (!arr && t[i].nmatchkey) {
			printf(_("  import finds a record without an id by:"));
			for (size_t j = 0; j < t[i].nmatchkey; j++)
				printf("%s %s", j ? "," : "", t[i].matchkey[j]);
			printf("%s\n", t[i].key_unique ? _("; each used once (a second record with the same is refused)") : "");
		}
		if (arr) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "name", t[i].name, "scope",
			                      t[i].city_scope ? "city" : "network", "summary", t[i].summary, "fields", fields);
			if (t[i].nnatkey) {
				json_t *k = json_array();
				for (size_t j = 0; j < t[i].nnatkey; j++)
					json_array_append_new(k, json_string(t[i].natkey[j]));
				json_object_set_new(o, "natural_key", k);
			}
			if (t[i].nmatchkey) {
				json_t *k = json_array();
				for (size_t j = 0; j < t[i].nmatchkey; j++)
					json_array_append_new(k, json_string(t[i].matchkey[j]));
				json_object_set_new(o, "import_key", k);
				json_object_set_new(o, "import_key_unique", json_boolean(t[i].key_unique));
			}
			json_array_append_new(arr, o);
		}
	}
	return arr ? cli_print_json(arr) : 0;
}

const cli_command cmd_tables = {"tables", cmd_tables_fn, CLI_READ, N_("record types, fields and allowed values"),
                                N_("c2c tables [TABLE]"),
                                N_("Lists each record type with its fields, their types, whether they are\n"
                                "required, and the values they allow. Sets are written comma-separated.\n")};

static void print_finding(const char *what, const char *detail, void *payload)
{
	json_t *arr = payload;
	if (arr)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "what", what, "problem", detail));
	else
		printf("%s: %s\n", what, detail);
}

static int cmd_verify_fn(cli_ctx *ctx, c2c_node *n)
{
	int err;
	if ((err = cli_positionals(ctx, 0, 0)) < 0)
		return err;
	/* Every object verify reads is hashed again and compared with its id
	 * (other commands trust the packs, as git does: repo_global_init). */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	json_t *arr = ctx->json ? json_array() : NULL;
	int found = node_verify(n, print_finding, arr);
	if (found < 0) {
		json_decref(arr);
		return found;
	}
	if (arr)
		cli_print_json(json_pack("{s:b,s:o}", "ok", found == 0, "problems", arr));
	else if (found == 0)
		printf(_("ok: the database equals the head of repo.git (%.12s)\n"), git_oid_tostr_s(&n->head));
	else
		fprintf(stderr, P_(found, "c2c verify: %d problem found\nhint: 'c2c repair' makes the database equal to the "
		                          "head of repo.git\n",
		                   "c2c verify: %d problems found\nhint: 'c2c repair' makes the database equal to the "
		                   "head of repo.git\n"),
		        found);
	return found ? 1 : 0;
}

const cli_command cmd_verify = {
    "verify", cmd_verify_fn, CLI_READ | CLI_SEES_MOVED_HEAD, N_("check that the database equals the head"),
    N_("c2c verify"),
    N_("Compares every row and tombstone with its record file at the head of\n"
    "repo.git, every record file with its row, and the head with the one the\n"
    "database records. Prints each difference and exits 1 if there is any:\n"
    "a row edited behind the node's back (with the sqlite3 shell, say) or a\n"
    "head moved by another program.\n")};

static int cmd_repair_fn(cli_ctx *ctx, c2c_node *n)
{
	int err;
	if ((err = cli_positionals(ctx, 0, 0)) < 0)
		return err;
	json_t *arr = ctx->json ? json_array() : NULL;
	int found = node_repair(n, print_finding, arr);
	if (found < 0) {
		json_decref(arr);
		return found;
	}
	if (arr)
		return cli_print_json(json_pack("{s:i,s:o,s:s}", "repaired", found, "changes", arr, "head",
		                                git_oid_tostr_s(&n->head)));
	printf(P_(found, "repaired: the database now equals the head of repo.git (%.12s); %d difference undone\n",
	          "repaired: the database now equals the head of repo.git (%.12s); %d differences undone\n"),
	       git_oid_tostr_s(&n->head), found);
	return 0;
}

const cli_command cmd_repair = {
    "repair", cmd_repair_fn, CLI_READ | CLI_SEES_MOVED_HEAD, N_("make the database equal to the head"),
    N_("c2c repair"),
    N_("Rebuilds every row from the record files at the head of repo.git (the\n"
    "signed history is the reference) and records that head. Rows edited\n"
    "behind the node's back are replaced by their committed values; a head\n"
    "moved by another program is accepted. Run 'c2c verify' first to see what\n"
    "will change.\n")};

/* ---------------------------------------------------------------- config */
static int cmd_config_fn(cli_ctx *ctx, c2c_node *n)
{
	int err;
	if ((err = cli_positionals(ctx, 1, 2)) < 0)
		return err;
	if (strcmp(ctx->argv[0], "user")) {
		err_set(C2C_EUSAGE, _("config: no setting '%s'"), ctx->argv[0]);
		return err_hint(_("the settings: user"));
	}
	if (ctx->argc == 2 && (err = node_set_user(n, ctx->argv[1], 1)) < 0)
		return err;
	if (ctx->json)
		return cli_print_json(json_pack("{s:s,s:s}", "name", n->user_name, "email", n->user_email));
	char *name = cli_safe(n->user_name, 0), *email = cli_safe(n->user_email, 0);
	printf("%s%s <%s>\n", ctx->argc == 2 ? "user set to " : "", name ? name : "", email ? email : "");
	free(name);
	free(email);
	return 0;
}

const cli_command cmd_config = {
    "config", cmd_config_fn, CLI_WRITE, N_("show or set the node's user"), N_("c2c config user [\"Name <mail>\"]"),
    N_("Shows the user recorded as the author of this node's commits, or sets it\n"
    "for the commands that follow. One command can name another author with\n"
    "--user \"Name <mail>\", and a session with C2C_USER=\"Name <mail>\": two\n"
    "officers sharing one machine are told apart in 'c2c log' and 'c2c blame'.\n"
    "The committer stays the node (SPEC 3).\n\n"
    "  c2c config user \"Amina Ben Ali <amina@commune-tunis.tn>\"\n"
    "  C2C_USER=\"Karim Haddad <karim@commune-tunis.tn>\" c2c set actions/ID status=ongoing\n")};
