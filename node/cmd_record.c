/* add, set, show, ls, rm: one record at a time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/incoming.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/review.h"
#include "c2c/write.h"

static int cmd_add_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	const char *id_opt = NULL;
	json_t *fields = NULL;
	char *id = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--id", &id_opt)) < 0 || (err = cli_positionals(ctx, 1, -1)) < 0)
		return err;
	if ((err = cli_table(n, ctx->argv[0], &t)) < 0)
		return err;
	if ((err = write_parse_assignments(n, t, ctx->argc - 1, ctx->argv + 1, &fields)) < 0)
		return err;
	node_txn *tx = NULL;
	git_oid head;
	char msg[256];
	if ((err = node_txn_begin(&tx, n)) < 0)
		goto done;
	if ((err = write_add(tx, n, t, id_opt, fields, &id)) < 0)
		goto done;
	snprintf(msg, sizeof(msg), "add %s/%s", t->name, id);
	err = node_txn_commit(tx, msg, &head);
	tx = NULL;
	if (err < 0)
		goto done;
	printf("%s\n", id);
done:
	node_txn_abort(tx);
	json_decref(fields);
	free(id);
	return err;
}

const cli_command cmd_add = {
    "add", cmd_add_fn, CLI_WRITE, N_("add a record; prints its id"),
    N_("c2c add TABLE [--id ID] FIELD=VALUE..."),
    N_("Adds one record to TABLE in one commit and prints its new id alone on\n"
    "standard output. Sets are comma-separated (sdg_targets=10.7,16.6). On a\n"
    "city node, city defaults to the node's city. Records with a natural key\n"
    "(profile_sections: city, section, lang) get the id the key makes, so two\n"
    "nodes that add the same section make one record. --id gives the id of a\n"
    "record of the network tables (a city's or theme's slug).\n\n"
    "FIELD=@FILE reads the value from FILE (FIELD=@- from standard input),\n"
    "without its final line break: long texts need no shell quoting.\n"
    "FIELD=@@text gives a value that starts with @.\n\n"
    "  c2c add actions title=\"TangerAccueil\" status=ongoing budget_eur=50000 sdg_targets=10.7,16.6\n"
    "  c2c add profile_sections section=overview lang=ar body=\"...\"\n")};

static int cmd_set_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	json_t *fields = NULL;
	char *id = NULL;
	node_txn *tx = NULL;
	int err, changed = 0;
	if ((err = cli_positionals(ctx, 2, -1)) < 0 || (err = cli_table_id(n, ctx->argv[0], &t, &id)) < 0)
		return err;
	if ((err = write_parse_assignments(n, t, ctx->argc - 1, ctx->argv + 1, &fields)) < 0)
		goto done;
	if ((err = node_txn_begin(&tx, n)) < 0 || (err = write_set(tx, n, t, id, fields, &changed)) < 0)
		goto done;
	if (!changed) {
		fprintf(stderr, _("c2c set: %s/%s already has these values; nothing to commit\n"), t->name, id);
		goto done;
	}
	char msg[512];
	size_t m = (size_t)snprintf(msg, sizeof(msg), "set %s/%s:", t->name, id);
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v)
	{
		if (m < sizeof(msg))
			m += (size_t)snprintf(msg + m, sizeof(msg) - m, " %s", k);
	}
	git_oid head;
	err = node_txn_commit(tx, msg, &head);
	tx = NULL;
done:
	node_txn_abort(tx);
	json_decref(fields);
	free(id);
	return err;
}

const cli_command cmd_set = {
    "set", cmd_set_fn, CLI_WRITE, N_("change fields of a record"), N_("c2c set TABLE/ID FIELD=VALUE..."),
    N_("Changes the given fields in one commit. FIELD= (empty) clears a field.\n"
    "Fields that make a record's identity (city, and a natural key) cannot be\n"
    "changed. Giving the values a record already has commits nothing.\n"
    "FIELD=@FILE reads the value from FILE, FIELD=@- from standard input\n"
    "(see 'c2c add --help'). A priority's rank is used once in a city.\n\n"
    "  c2c set actions/0193f0a1b2c3d4e5f6a7b8c9 status=completed people_reached_female=180\n"
    "  c2c set profile_sections/tunis.overview.fr body=@overview-fr.txt\n")};

static int print_record_text(const table_def *t, const char *id, const json_t *rec)
{
	printf("%-22s %s/%s\n", "record", t->name, id);
	for (size_t i = 0; i < t->nfields; i++) {
		json_t *v = json_object_get(rec, t->fields[i].name);
		if (!v)
			continue;
		char *s = record_value_text(v), *safe = s ? cli_safe(s, 1) : NULL;
		printf("%-22s %s%s\n", t->fields[i].name, safe ? safe : "",
		       merge_field_open(rec, t->fields[i].name) ? _("  (open conflict: 'c2c conflicts')") : "");
		free(s);
		free(safe);
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)rec, k, v)
	{
		if (!strcmp(k, "_c2c") || store_field(t, k))
			continue;
		char *s = record_value_text(v), *safe = s ? cli_safe(s, 1) : NULL, *sk = cli_safe(k, 0);
		printf(_("%-22s %s  (field unknown to this node)\n"), sk ? sk : "", safe ? safe : "");
		free(s);
		free(safe);
		free(sk);
	}
	return 0;
}

/* The office's review of the record shown, under its fields. */
static void print_review(const json_t *rev)
{
	const char *status = json_string_value(json_object_get(rev, "status"));
	const char *who = json_string_value(json_object_get(rev, "reviewer"));
	const char *when = json_string_value(json_object_get(rev, "reviewed_at"));
	const char *comment = json_string_value(json_object_get(rev, "comment"));
	printf("%-22s %s", "review", status && !strcmp(status, "changes_requested") ? _("changes requested") : status ? status : "");
	if (who)
		printf(_(" by %s"), who);
	if (when)
		printf(", %s", when);
	printf("\n");
	if (json_is_true(json_object_get(rev, "out_of_date")))
		printf("%-22s %s\n", "", _("out of date: the record changed after the review"));
	if (comment)
		printf("%-22s %s\n", "review comment", comment);
}

static int cmd_show_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	json_t *rec = NULL;
	char *id = NULL;
	int err;
	if ((err = cli_positionals(ctx, 1, 1)) < 0 || (err = cli_table_id(n, ctx->argv[0], &t, &id)) < 0)
		return err;
	err = store_row_get(n->st, t, id, &rec);
	if (err == C2C_ENOTFOUND) {
		char *tomb = NULL;
		if (store_tomb_get(n->st, t->name, id, &tomb) == 0)
			err_set(C2C_ENOTFOUND, _("%s/%s was deleted"), t->name, id), err_hint(_("'c2c log %s/%s' shows its history"), t->name, id);
		else
			err_set(C2C_ENOTFOUND, _("no record %s/%s"), t->name, id), err_hint(_("run 'c2c ls %s' to see the ids"), t->name);
		free(tomb);
	}
	json_t *rev = NULL;
	if (err == 0 && t->city_scope)
		err = review_of(n->st, t->name, id, &rev);
	if (err == 0) {
		if (ctx->json) {
			json_t *flat = cli_record_flat(id, rec);
			if (flat && rev)
				json_object_set(flat, "review", rev);
			err = cli_print_json(flat);
		} else {
			err = print_record_text(t, id, rec);
			if (err == 0 && rev)
				print_review(rev);
		}
	}
	json_decref(rev);
	json_decref(rec);
	free(id);
	return err;
}

const cli_command cmd_show = {"show", cmd_show_fn, CLI_READ, N_("show one record"), N_("c2c show TABLE/ID"),
                              N_("Prints each field of the record; --json prints it as a flat object.\n"
                              "A city record the coordination office has reviewed ('c2c review') shows\n"
                              "the review: validated or changes requested, by whom, when, the comment,\n"
                              "and whether the record changed since (out of date); --json carries it\n"
                              "as \"review\": {status, comment, reviewer, reviewed_at, record_version,\n"
                              "out_of_date, record_deleted}.\n")};

typedef struct {
	const table_def *t;
	json_t *arr;
	size_t count;
	const field_def *cols[4]; /* the columns shown, the same on every row */
	size_t ncols;
	json_t *rows; /* when sorted by rank: [[id, rec], ...] gathered first */
} ls_state;

/* The columns ls shows for T: the city first on the office (its records
 * mix cities), then up to three fields in the schema's order (required
 * ones and short values, not long texts). */
static void ls_columns(ls_state *s, const c2c_node *n)
{
	const table_def *t = s->t;
	const field_def *city = t->city_scope ? store_field(t, "city") : NULL;
	if (city && !n->city)
		s->cols[s->ncols++] = city;
	for (size_t i = 0; i < t->nfields && s->ncols < 4; i++) {
		const field_def *f = &t->fields[i];
		if (f == city || (f->type == FT_TEXT && !f->required && strcmp(f->name, "name")))
			continue;
		if (s->ncols - (city && !n->city) >= 3)
			break;
		s->cols[s->ncols++] = f;
	}
}

static int ls_gather(const char *id, json_t *rec, void *payload)
{
	ls_state *s = payload;
	return json_array_append_new(s->rows, json_pack("[sO]", id, rec)) ? ERR_OOM() : 0;
}

/* Records with a rank (priorities) list by city, then rank, then id. */
static int by_rank(const void *a, const void *b)
{
	const json_t *ra = json_array_get(*(json_t *const *)a, 1), *rb = json_array_get(*(json_t *const *)b, 1);
	const char *ca = json_string_value(json_object_get(ra, "city")), *cb = json_string_value(json_object_get(rb, "city"));
	int c = strcmp(ca ? ca : "", cb ? cb : "");
	if (c)
		return c;
	json_t *ka = json_object_get(ra, "rank"), *kb = json_object_get(rb, "rank");
	json_int_t x = json_is_integer(ka) ? json_integer_value(ka) : INT64_MAX;
	json_int_t y = json_is_integer(kb) ? json_integer_value(kb) : INT64_MAX;
	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(json_string_value(json_array_get(*(json_t *const *)a, 0)),
	              json_string_value(json_array_get(*(json_t *const *)b, 0)));
}

static int ls_row(const char *id, json_t *rec, void *payload)
{
	ls_state *s = payload;
	s->count++;
	if (s->arr)
		return json_array_append_new(s->arr, cli_record_flat(id, rec)) ? C2C_ENOMEM : 0;
	printf("%s", id);
	for (size_t i = 0; i < s->ncols; i++) {
		json_t *v = json_object_get(rec, s->cols[i]->name);
		char *txt = v ? record_value_text(v) : strdup("");
		char *safe = txt ? cli_safe(txt, 0) : NULL;
		if (safe && strlen(safe) > 60) {
			/* cut at a character's start */
			size_t k = 57;
			while (k && ((unsigned char)safe[k] & 0xC0) == 0x80)
				k--;
			strcpy(safe + k, "...");
		}
		printf("\t%s=%s", s->cols[i]->name, safe ? safe : "");
		free(txt);
		free(safe);
	}
	printf("\n");
	return 0;
}

static int cmd_ls_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t;
	json_t *filter = json_object();
	ls_state s = {0};
	int err;
	if ((err = cli_positionals(ctx, 1, -1)) < 0 || (err = cli_table(n, ctx->argv[0], &t)) < 0)
		goto done;
	for (int i = 1; i < ctx->argc; i++) {
		char *eq = strchr(ctx->argv[i], '=');
		if (!eq || eq == ctx->argv[i]) {
			err = err_set(C2C_EUSAGE, _("'%s' is not FIELD=VALUE"), ctx->argv[i]);
			goto done;
		}
		*eq = '\0';
		json_object_set_new(filter, ctx->argv[i], json_string(eq + 1));
		*eq = '=';
	}
	s.t = t;
	ls_columns(&s, n);
	if (ctx->json)
		s.arr = json_array();
	const field_def *rank = store_field(t, "rank");
	if (rank && rank->type == FT_INT) {
		if (!(s.rows = json_array())) {
			err = ERR_OOM();
			goto done;
		}
		if ((err = store_rows_each(n->st, t, filter, ls_gather, &s)) < 0)
			goto done;
		size_t nr = json_array_size(s.rows);
		json_t **v = malloc((nr ? nr : 1) * sizeof(*v));
		if (!v) {
			err = ERR_OOM();
			goto done;
		}
		for (size_t i = 0; i < nr; i++)
			v[i] = json_array_get(s.rows, i);
		qsort(v, nr, sizeof(*v), by_rank);
		for (size_t i = 0; i < nr && err == 0; i++)
			err = ls_row(json_string_value(json_array_get(v[i], 0)), json_array_get(v[i], 1), &s);
		free(v);
		if (err < 0)
			goto done;
	} else if ((err = store_rows_each(n->st, t, filter, ls_row, &s)) < 0)
		goto done;
	if (ctx->json) {
		err = cli_print_json(s.arr);
		s.arr = NULL;
	}
done:
	json_decref(s.arr);
	json_decref(s.rows);
	json_decref(filter);
	return err;
}

const cli_command cmd_ls = {
    "ls", cmd_ls_fn, CLI_READ, N_("list records"), N_("c2c ls TABLE [FIELD=VALUE...]"),
    N_("Lists the records of TABLE in id order (records with a rank, such as\n"
    "priorities, by city and rank), one a line: the id and the same few\n"
    "fields on every line, in the schema's order; on the office, the city\n"
    "first. Values are shown with control characters escaped. FIELD=VALUE\n"
    "keeps the records whose field has that value (a set field: holds it).\n"
    "--json prints an array of flat objects, values as they are.\n\n"
    "  c2c ls actions status=ongoing\n  c2c ls actions sdg_targets=10.7 --json\n")};

static int cmd_rm_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t = NULL;
	char *id = NULL, msg[256];
	node_txn *tx = NULL;
	git_oid head, tree;
	size_t total = 0;
	int mass = 0, err;
	int confirmed = cli_take_flag(ctx, "--confirm-mass-delete");
	if ((err = cli_positionals(ctx, 1, -1)) < 0)
		return err;
	/* Deleting most of the city's records at once needs the user's word,
	 * which goes into the signed commit (SPEC 7): other nodes refuse such a
	 * commit without it. They count every deletion a hub has not taken yet
	 * together, so this does too. */
	long long earlier = 0;
	if ((err = repo_commit_tree(n->repo, &n->head, &tree)) < 0 || (err = node_unpushed_deletions(n, &earlier)) < 0 ||
	    (err = incoming_mass_deletion(n->repo, &tree, n->city, (size_t)ctx->argc + (size_t)earlier, &total,
	                                  &mass)) < 0)
		return err;
	if (mass && !confirmed) {
		if (earlier)
			err_set(C2C_EINVALID, _("this deletes %d of %s's %zu records, %lld more since the last sync"), ctx->argc,
			        n->city, total, earlier);
		else
			err_set(C2C_EINVALID, _("this deletes %d of %s's %zu records"), ctx->argc, n->city, total);
		return err_hint(_("if that is meant, run it again with --confirm-mass-delete"));
	}
	if ((err = node_txn_begin(&tx, n)) < 0)
		return err;
	for (int i = 0; i < ctx->argc; i++) {
		free(id);
		id = NULL;
		if ((err = cli_table_id(n, ctx->argv[i], &t, &id)) < 0 || (err = write_rm(tx, n, t, id)) < 0)
			goto done;
	}
	if (ctx->argc == 1)
		snprintf(msg, sizeof(msg), "rm %s/%s", t->name, id);
	else
		snprintf(msg, sizeof(msg), "rm %d records", ctx->argc);
	if (mass)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "\n\nC2C-Confirm-Delete: %s %d", n->city,
		         ctx->argc);
	err = node_txn_commit(tx, msg, &head);
	tx = NULL;
done:
	node_txn_abort(tx);
	free(id);
	return err;
}

const cli_command cmd_rm = {
    "rm", cmd_rm_fn, CLI_WRITE, N_("delete records"), N_("c2c rm TABLE/ID... [--confirm-mass-delete]"),
    N_("Deletes the records in one commit. Each file stays in the repository as a\n"
    "tombstone (its last values and who deleted it), so that history and\n"
    "merges keep it. Deleting most of the city's records at once (10 or more,\n"
    "over half of them) needs --confirm-mass-delete; the confirmation goes into\n"
    "the signed commit, and other nodes refuse such a commit without it.\n")};
