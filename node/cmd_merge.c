/* conflicts, resolve, merge-tree: what merging left open, closing it, and
 * the join of two commits' trees as a sync would make it (plumbing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/history.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/repo.h"
#include "c2c/write.h"

/* ------------------------------------------------------------- conflicts */

typedef struct {
	c2c_node *n;
	const table_def *t;
	json_t *arr;
	size_t count;
} conflicts_state;

static json_t *value_entry(int number, json_t *value, json_t *node, json_t *counter, json_t *lamport)
{
	return json_pack("{s:i,s:O,s:O,s:O,s:O}", "number", number, "value", value ? value : json_null(), "node", node,
	                 "counter", counter, "lamport", lamport);
}

/* For a text field with two values: their line merge, when their edits do
 * not overlap, as value 3. */
static void offer_line_merge(c2c_node *n, const table_def *t, const char *id, const json_t *rec, const char *field,
                             json_t *values)
{
	const field_def *f = store_field(t, field);
	char *path = NULL, *merged = NULL;
	if (!f || f->type != FT_TEXT || json_array_size(values) != 2)
		return;
	const char *city = t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
	if (record_path(t, city, id, &path) == 0 &&
	    history_line_merge(n->repo, &n->head, path, field, json_array_get(values, 0), json_array_get(values, 1),
	                       &merged) == 0 &&
	    merged) {
		json_array_append_new(values, json_pack("{s:i,s:s,s:s}", "number", 3, "value", merged, "node",
		                                        "line merge of 1 and 2"));
	}
	err_clear();
	free(merged);
	free(path);
}

/* When each value was written: the time of the commit that brought its
 * edit into this node's history (a walk of the history, so only here). */
static void add_times(c2c_node *n, const table_def *t, const char *id, const json_t *rec, const char *field,
                      json_t *values)
{
	char *path = NULL;
	const char *city = t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
	if (record_path(t, city, id, &path) < 0) {
		err_clear();
		return;
	}
	for (size_t i = 0; i < json_array_size(values); i++) {
		json_t *v = json_array_get(values, i);
		const char *node = json_string_value(json_object_get(v, "node"));
		json_t *k = json_object_get(v, "counter");
		git_oid c;
		git_commit *commit = NULL;
		if (!node || !json_is_integer(k) ||
		    history_find_dot(n->repo, &n->head, path, field, node, json_integer_value(k), &c) < 0 ||
		    git_commit_lookup(&commit, n->repo, &c) < 0)
			continue;
		time_t tt = (time_t)git_commit_time(commit);
		struct tm tm;
		char buf[32];
		gmtime_r(&tt, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(v, "time", json_string(buf));
		json_object_set_new(v, "commit", json_string(git_oid_tostr_s(&c)));
		/* the person: the author of the commit that brought the edit */
		const git_signature *a = git_commit_author(commit);
		if (a && a->name)
			json_object_set_new(v, "author", json_string(a->name));
		git_commit_free(commit);
	}
	err_clear();
	free(path);
}

/* The numbered values of each open conflict of REC: 1 is the standing value. */
static json_t *record_conflicts(c2c_node *n, const table_def *t, const char *id, const json_t *rec)
{
	json_t *meta = json_object_get(rec, "_c2c"), *out = json_array();
	json_t *conf = json_object_get(meta, "conflicts"), *dots = json_object_get(meta, "dots"), *list;
	const char *field;
	json_object_foreach(conf, field, list)
	{
		if (!merge_field_open(rec, field))
			continue;
		json_t *values = json_array(), *d = json_object_get(dots, field);
		json_array_append_new(values, value_entry(1, json_object_get(rec, field), json_array_get(d, 0),
		                                          json_array_get(d, 1), json_array_get(d, 2)));
		for (size_t i = 0; i < json_array_size(list); i++) {
			json_t *e = json_array_get(list, i);
			json_array_append_new(values, value_entry((int)i + 2, json_array_get(e, 0), json_array_get(e, 1),
			                                          json_array_get(e, 2), json_array_get(e, 3)));
		}
		add_times(n, t, id, rec, field, values);
		offer_line_merge(n, t, id, rec, field, values);
		json_array_append_new(out, json_pack("{s:s,s:o}", "field", field, "values", values));
	}
	json_t *dels = json_object_get(meta, "deleted");
	if (json_array_size(dels) && !merge_is_deleted(rec)) {
		json_t *values = json_array(), *d = json_array_get(dels, 0);
		json_array_append_new(values, json_pack("{s:i,s:s,s:s}", "number", 1, "value", "keep the record (edited)",
		                                        "node", "the concurrent edits"));
		json_array_append_new(values, json_pack("{s:i,s:s,s:O,s:O}", "number", 2, "value", "delete it", "node",
		                                        json_array_get(d, 0), "lamport", json_array_get(d, 2)));
		json_array_append_new(out, json_pack("{s:n,s:o}", "field", "values", values));
	}
	return out;
}

/* Print TEXT escaped (cli_safe), its lines wrapped at WIDTH code points
 * and indented by INDENT; a wrap falls after a space when there is one,
 * never inside a UTF-8 character. */
static void print_wrapped(const char *text, int indent, size_t width)
{
	char *safe = cli_safe(text, 1);
	if (!safe)
		return;
	size_t room = width > (size_t)indent + 20 ? width - (size_t)indent : 20;
	for (char *line = safe, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		do {
			/* the longest piece of at most ROOM code points, cut after a space if possible */
			size_t cps = 0, i = 0, cut = 0;
			for (; line[i]; i++) {
				if (((unsigned char)line[i] & 0xC0) == 0x80)
					continue;
				if (cps == room)
					break;
				cps++;
				if (i && line[i - 1] == ' ')
					cut = i;
			}
			if (!line[i] || !cut)
				cut = i;
			printf("%*s%.*s\n", indent, "", (int)cut, line);
			line += cut;
		} while (*line);
	}
	free(safe);
}

/* A line diff of A and B (their longest common subsequence of lines):
 * "- " for lines of A only, "+ " for lines of B only. Long texts are
 * left to --json. */
static void print_line_diff(const char *a, const char *b, int indent)
{
	enum { MAXL = 400 };
	const char *la[MAXL], *lb[MAXL];
	size_t na = 0, nb = 0, *len = NULL;
	char *ca = strdup(a), *cb = strdup(b);
	if (!ca || !cb)
		goto done;
	for (char *p = ca; p && na < MAXL; na++) {
		la[na] = p;
		if ((p = strchr(p, '\n')))
			*p++ = '\0';
	}
	for (char *p = cb; p && nb < MAXL; nb++) {
		lb[nb] = p;
		if ((p = strchr(p, '\n')))
			*p++ = '\0';
	}
	if (na == MAXL || nb == MAXL || !(len = calloc((na + 1) * (nb + 1), sizeof(*len)))) {
		printf(_("%*s(too long to compare here; --json has both texts)\n"), indent, "");
		goto done;
	}
#define L(i, j) len[(i) * (nb + 1) + (j)]
	for (size_t i = na; i-- > 0;)
		for (size_t j = nb; j-- > 0;)
			L(i, j) = !strcmp(la[i], lb[j]) ? L(i + 1, j + 1) + 1 : L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		const char *mark, *line;
		if (i < na && j < nb && !strcmp(la[i], lb[j])) {
			i++, j++;
			continue;
		}
		if (j >= nb || (i < na && L(i + 1, j) >= L(i, j + 1)))
			mark = "-", line = la[i++];
		else
			mark = "+", line = lb[j++];
		char *safe = cli_safe(line, 0);
		printf("%*s%s %s\n", indent, "", mark, safe ? safe : "");
		free(safe);
	}
#undef L
done:
	free(len);
	free(ca);
	free(cb);
}

static int conflict_row(const char *id, json_t *rec, void *payload)
{
	conflicts_state *s = payload;
	if (!merge_has_conflicts(rec))
		return 0;
	json_t *c = record_conflicts(s->n, s->t, id, rec);
	for (size_t i = 0; i < json_array_size(c); i++) {
		json_t *one = json_array_get(c, i), *values = json_object_get(one, "values");
		const char *field = json_string_value(json_object_get(one, "field"));
		s->count++;
		if (s->arr) {
			json_object_set_new(one, "record", json_sprintf("%s/%s", s->t->name, id));
			continue;
		}
		char *sfield = cli_safe(field ? field : _("(deleted on one node, edited on another)"), 0);
		printf("%s/%s %s\n", s->t->name, id, sfield ? sfield : "?");
		free(sfield);
		const field_def *fd = field ? store_field(s->t, field) : NULL;
		char *first = NULL;
		for (size_t j = 0; j < json_array_size(values); j++) {
			json_t *v = json_array_get(values, j);
			char *txt = record_value_text(json_object_get(v, "value"));
			json_t *lam = json_object_get(v, "lamport");
			const char *author = json_string_value(json_object_get(v, "author"));
			const char *node = json_string_value(json_object_get(v, "node"));
			char *sa = cli_safe(author ? author : "", 0), *sn = cli_safe(node ? node : "", 0);
			printf("  %lld) ", (long long)json_integer_value(json_object_get(v, "number")));
			if (lam && author)
				printf(_("by %s (node %s)"), sa ? sa : "", sn ? sn : "");
			else if (lam)
				printf(_("by node %s"), sn ? sn : "");
			else
				printf("%s", sn ? sn : "");
			if (json_object_get(v, "time"))
				printf(_(", %s"), json_string_value(json_object_get(v, "time")));
			if (lam)
				printf(_(", logical time %lld"), (long long)json_integer_value(lam));
			printf("\n");
			/* the whole value, wrapped; --json has it as it is */
			print_wrapped(txt && *txt ? txt : _("(empty)"), 7, 78);
			if (fd && fd->type == FT_TEXT && j > 0 && first && txt && (strchr(first, '\n') || strchr(txt, '\n'))) {
				printf(_("     lines changed from 1:\n"));
				print_line_diff(first, txt, 7);
			}
			if (j == 0)
				first = txt, txt = NULL;
			free(txt);
			free(sa);
			free(sn);
		}
		free(first);
	}
	if (s->arr)
		json_array_extend(s->arr, c);
	json_decref(c);
	return 0;
}

static int cmd_conflicts_fn(cli_ctx *ctx, c2c_node *n)
{
	conflicts_state s = {n, NULL, NULL, 0};
	size_t nt;
	int err;
	if ((err = cli_positionals(ctx, 0, 0)) < 0)
		return err;
	const table_def *t = store_tables(n->st, &nt);
	s.arr = ctx->json ? json_array() : NULL;
	for (size_t i = 0; i < nt; i++) {
		s.t = &t[i];
		if ((err = store_rows_each(n->st, &t[i], NULL, conflict_row, &s)) < 0) {
			json_decref(s.arr);
			return err;
		}
	}
	if (s.arr)
		return cli_print_json(s.arr);
	if (!s.count)
		printf(_("no open conflicts\n"));
	else
		printf(P_(s.count, "\n%zu open conflict; close it with 'c2c resolve TABLE/ID FIELD --keep N' or --value V\n",
		          "\n%zu open conflicts; close one with 'c2c resolve TABLE/ID FIELD --keep N' or --value V\n"),
		       s.count);
	return 0;
}

const cli_command cmd_conflicts = {
    "conflicts", cmd_conflicts_fn, CLI_READ, N_("list open conflicts, each value numbered"), N_("c2c conflicts"),
    N_("Lists every field that two nodes changed concurrently: value 1 is the one\n"
    "that stands, the others are kept beside it, each with who wrote it (the\n"
    "author of the commit that brought it, and the node), when, and its\n"
    "logical time. Each value is shown whole, wrapped at the width of a\n"
    "terminal, its control characters escaped; for a text over several lines,\n"
    "the lines that differ from value 1 follow (- only in 1, + only in this\n"
    "one). A record deleted on one node and edited on another is listed\n"
    "without a field. 'c2c show' marks a field with an open conflict.\n"
    "Conflicts are data: committed, synced to every node, closed by\n"
    "'c2c resolve'. --json has the values as they are.\n")};

/* --------------------------------------------------------------- resolve */

static int cmd_resolve_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *value = NULL, *keep = NULL;
	const table_def *t;
	char *id = NULL;
	json_t *rec = NULL, *fields = NULL;
	node_txn *tx = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--value", &value)) < 0 || (err = cli_take_opt(ctx, "--keep", &keep)) < 0 ||
	    (err = cli_positionals(ctx, 1, 2)) < 0)
		return err;
	if (!!value == !!keep) {
		err_set(C2C_EUSAGE, _("give either --value V or --keep N"));
		return err_hint(_("usage: %s"), _(ctx->cmd->usage));
	}
	if ((err = cli_table_id(n, ctx->argv[0], &t, &id)) < 0)
		return err;
	const char *field = ctx->argc > 1 ? ctx->argv[1] : NULL;
	if ((err = store_row_get(n->st, t, id, &rec)) < 0)
		goto done;
	json_t *conf = record_conflicts(n, t, id, rec), *target = NULL;
	for (size_t i = 0; i < json_array_size(conf); i++) {
		json_t *f = json_object_get(json_array_get(conf, i), "field");
		if (field ? json_is_string(f) && !strcmp(json_string_value(f), field) : json_is_null(f))
			target = json_array_get(conf, i);
	}
	if (!target) {
		json_decref(conf);
		if (field)
			err = err_set(C2C_ENOTFOUND, _("%s/%s has no open conflict on %s"), t->name, id, field);
		else
			err = err_set(C2C_ENOTFOUND, _("%s/%s has no open conflict between a deletion and an edit"), t->name, id);
		err_hint(_("'c2c conflicts' lists them"));
		goto done;
	}
	json_t *chosen = NULL;
	if (keep) {
		char *end;
		long k = strtol(keep, &end, 10);
		json_t *values = json_object_get(target, "values");
		if (*end || k < 1 || (size_t)k > json_array_size(values)) {
			err = err_set(C2C_EUSAGE, _("--keep %s: choose a value between 1 and %zu"), keep, json_array_size(values));
			json_decref(conf);
			goto done;
		}
		chosen = json_incref(json_object_get(json_array_get(values, (size_t)k - 1), "value"));
	}
	json_decref(conf);
	if ((err = node_txn_begin(&tx, n)) < 0)
		goto done_chosen;
	char msg[256];
	if (!field) {
		/* Deletion against edit: 1 keeps the record, 2 deletes it. */
		if (value) {
			err = err_set(C2C_EUSAGE, _("a deletion against an edit is resolved with --keep 1 or --keep 2"));
			goto done_chosen;
		}
		if (!strcmp(keep, "2")) {
			err = write_rm(tx, n, t, id);
		} else {
			int changed;
			json_t *none = json_object();
			err = write_set(tx, n, t, id, none, &changed);
			json_decref(none);
			if (err == 0 && !changed) {
				/* An edit with no new value still closes the deletions. */
				json_t *r2 = NULL;
				long long c = 0;
				if ((err = node_txn_get(tx, t, id, &r2)) == 0 && (c = record_begin_edit(r2, n->node_id)) < 0)
					err = (int)c;
				if (err == 0) {
					json_object_del(record_meta(r2), "deleted");
					err = node_txn_put(tx, t, id, r2);
				}
				json_decref(r2);
			}
		}
		snprintf(msg, sizeof(msg), "resolve %s/%s: %s", t->name, id, !strcmp(keep, "2") ? "delete" : "keep");
	} else {
		const field_def *f = store_field(t, field);
		json_t *v = NULL;
		if (value) {
			if (!f) {
				err = err_set(C2C_EINVALID, _("table %s has no field '%s'"), t->name, field);
				goto done_chosen;
			}
			if ((err = record_parse_value(n->st, t, f, value, &v)) < 0)
				goto done_chosen;
		} else {
			v = chosen ? json_incref(chosen) : json_null();
		}
		fields = json_object();
		json_object_set_new(fields, field, v);
		int changed;
		err = write_set(tx, n, t, id, fields, &changed);
		snprintf(msg, sizeof(msg), "resolve %s/%s: %s", t->name, id, field);
	}
	if (err < 0)
		goto done_chosen;
	git_oid head;
	err = node_txn_commit(tx, msg, &head);
	tx = NULL;
	if (err == 0) {
		/* say what was kept */
		char *txt = NULL;
		if (field) {
			json_t *now = json_object_get(fields, field);
			txt = record_value_text(now);
		}
		if (ctx->json) {
			json_t *o = json_pack("{s:s,s:s?,s:o,s:s?}", "record", ctx->argv[0], "field", field, "kept",
			                      keep ? json_integer(strtol(keep, NULL, 10)) : json_null(), "action",
			                      field ? NULL : !strcmp(keep, "2") ? "delete" : "keep");
			json_t *now = field ? json_object_get(fields, field) : NULL;
			if (o)
				json_object_set(o, "value", now ? now : json_null());
			err = cli_print_json(o);
		} else if (!field) {
			printf(_("resolved %s/%s: %s\n"), t->name, id,
			       !strcmp(keep, "2") ? _("kept value 2: the record is deleted") : _("kept value 1: the record stays"));
		} else {
			char *safe = cli_safe(txt && *txt ? txt : _("(empty)"), 1);
			if (keep)
				printf(_("resolved %s/%s %s: kept value %s: %s\n"), t->name, id, field, keep, safe ? safe : "");
			else
				printf(_("resolved %s/%s %s: wrote the new value: %s\n"), t->name, id, field, safe ? safe : "");
			free(safe);
		}
		free(txt);
	}
done_chosen:
	json_decref(chosen);
done:
	node_txn_abort(tx);
	json_decref(fields);
	json_decref(rec);
	free(id);
	return err;
}

const cli_command cmd_resolve = {
    "resolve", cmd_resolve_fn, CLI_WRITE, N_("close a conflict with a value or a kept one"),
    N_("c2c resolve TABLE/ID [FIELD] (--value V | --keep N)"),
    N_("Closes the open conflict on FIELD of the record: --keep N keeps value N\n"
    "as 'c2c conflicts' numbers them, --value V writes a new value. Without\n"
    "FIELD, closes a deletion against an edit: --keep 1 keeps the record,\n"
    "--keep 2 deletes it. It says which value it kept (--json: an object\n"
    "with record, field, kept and value). The resolution is a commit like any\n"
    "other and reaches every node with the next syncs.\n")};

/* ------------------------------------------------------------ merge-tree */

static int cmd_merge_tree_fn(cli_ctx *ctx, c2c_node *n)
{
	git_object *a = NULL, *b = NULL;
	git_oid out;
	mergetree_stats st = {0};
	int rc, err;
	if ((err = cli_positionals(ctx, 2, 2)) < 0)
		return err;
	if ((rc = git_revparse_single(&a, n->repo, ctx->argv[0])) < 0 ||
	    (rc = git_revparse_single(&b, n->repo, ctx->argv[1])) < 0) {
		err = err_set(C2C_ENOTFOUND, _("'%s' is not a commit in repo.git"), a ? ctx->argv[1] : ctx->argv[0]);
		goto done;
	}
	if ((err = mergetree_join_commits(n->repo, git_object_id(a), git_object_id(b), &out, &st)) < 0)
		goto done;
	if (ctx->json)
		err = cli_print_json(json_pack("{s:s,s:I,s:I,s:I,s:I}", "tree", git_oid_tostr_s(&out), "joined",
		                               (json_int_t)st.joined, "taken", (json_int_t)st.taken, "skipped",
		                               (json_int_t)st.skipped, "conflicts", (json_int_t)st.conflicts));
	else
		printf("%s\n", git_oid_tostr_s(&out));
done:
	git_object_free(a);
	git_object_free(b);
	return err;
}

const cli_command cmd_merge_tree = {
    "merge-tree", cmd_merge_tree_fn, CLI_REPO, N_("join two commits' trees, as a sync would (plumbing)"),
    N_("c2c merge-tree COMMIT COMMIT"),
    N_("Writes the tree that joining the two commits' records gives, and prints\n"
    "its id; moves no ref and changes no row. Any node computes the same tree\n"
    "from the same two commits, so an auditor can check a merge commit: its\n"
    "tree must equal 'c2c merge-tree' of its parents.\n")};

/* ------------------------------------------- for the web interface (cli.h) */
json_t *cli_record_conflicts(c2c_node *n, const table_def *t, const char *id, const json_t *rec)
{
	return record_conflicts(n, t, id, rec);
}

/* Exactly 'c2c resolve TABLE/ID [FIELD] (--value V | --keep N)', quietly. */
int cli_resolve(c2c_node *n, const table_def *t, const char *id, const char *field, const char *value,
                const char *keep)
{
	char target[160];
	char *argv[6];
	int argc = 0;
	if ((size_t)snprintf(target, sizeof(target), "%s/%s", t->name, id) >= sizeof(target))
		return err_set(C2C_EINVALID, _("record id too long"));
	argv[argc++] = target;
	if (field)
		argv[argc++] = (char *)field;
	argv[argc++] = keep ? (char *)"--keep" : (char *)"--value";
	argv[argc++] = (char *)(keep ? keep : value ? value : "");
	argv[argc] = NULL;
	cli_ctx ctx = {0};
	ctx.json = 1; /* resolve prints nothing then */
	ctx.argc = argc;
	ctx.argv = argv;
	ctx.cmd = &cmd_resolve;
	return cmd_resolve_fn(&ctx, n);
}
