/* log, blame: history of the node and of one record, read from repo.git.
 *
 * Both walk the commits from the node's head (the one the database records)
 * and look a record up by its path in each commit's tree, O(depth) per
 * lookup; no whole tree is ever diffed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/blame.h"
#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/history.h"
#include "c2c/record.h"
#include "c2c/registry.h"

/* ------------------------------------------------------------------ shared */

/* Resolve "TABLE/ID" to its table, id and record path. The record must be
 * live (*live = 1) or deleted (0) on this node: a row or a tombstone. */
static int history_record(c2c_node *n, const char *arg, const table_def **t, char **id, char **path, int *live)
{
	json_t *rec = NULL;
	char *tomb = NULL;
	int err;
	*path = NULL;
	if ((err = cli_table_id(n, arg, t, id)) < 0)
		return err;
	err = store_row_get(n->st, *t, *id, &rec);
	*live = err == 0;
	if (err == C2C_ENOTFOUND) {
		err = store_tomb_get(n->st, (*t)->name, *id, &tomb);
		if (err == 0) {
			json_error_t jerr;
			rec = json_loads(tomb, JSON_REJECT_DUPLICATES, &jerr);
			if (!rec)
				err = err_set(C2C_ECORRUPT, _("the tombstone of %s/%s is not JSON: %s"), (*t)->name, *id,
				              jerr.text);
		} else if (err == C2C_ENOTFOUND) {
			err_set(C2C_ENOTFOUND, _("no record %s/%s on this node, live or deleted"), (*t)->name, *id);
			err_hint(_("run 'c2c ls %s' to see the ids"), (*t)->name);
		}
	}
	if (err == 0) {
		const char *city = (*t)->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
		err = record_path(*t, city, *id, path);
	}
	json_decref(rec);
	free(tomb);
	if (err < 0) {
		free(*id);
		*id = NULL;
	}
	return err;
}


/* Which node made commit C: its C2C-Node trailer, else the local part of a
 * "<node>@c2c.invalid" committer, else the committer's name. Into BUF. */
static const char *commit_node(const git_commit *c, char *buf, size_t size)
{
	git_message_trailer_array tr = {0};
	const git_signature *cm = git_commit_committer(c);
	buf[0] = '\0';
	if (git_message_trailers(&tr, git_commit_message(c)) == 0) {
		for (size_t i = 0; i < tr.count; i++)
			if (!strcmp(tr.trailers[i].key, "C2C-Node"))
				snprintf(buf, size, "%s", tr.trailers[i].value);
		git_message_trailer_array_free(&tr);
	}
	if (!buf[0] && cm) {
		const char *at = cm->email ? strstr(cm->email, "@c2c.invalid") : NULL;
		if (at && at > cm->email && !at[strlen("@c2c.invalid")])
			snprintf(buf, size, "%.*s", (int)(at - cm->email), cm->email);
		else
			snprintf(buf, size, "%s", cm->name ? cm->name : "?");
	}
	return buf;
}

/* "YYYY-MM-DD HH:MM" (text) or ISO 8601 "YYYY-MM-DDTHH:MM:SSZ", in UTC. */
static const char *fmt_time(git_time_t when, int iso, char buf[32])
{
	time_t tt = (time_t)when;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, 32, "?");
	return buf;
}

/* -------------------------------------------------------------------- log */

/* Did commit C change PATH? A root commit did if it holds the path; any
 * other if some parent's blob at PATH differs from C's (absent counts as a
 * value), i.e. not when all parents have the same blob as C. */
static int commit_touches(const git_commit *c, const char *path)
{
	git_oid mine, theirs;
	int have = history_blob_at(c, path, &mine);
	if (have < 0)
		return have;
	unsigned np = git_commit_parentcount(c);
	if (np == 0)
		return have;
	for (unsigned i = 0; i < np; i++) {
		git_commit *p = NULL;
		int rc = git_commit_parent(&p, c, i);
		if (rc < 0)
			return err_git(rc, _("reading a parent commit"));
		int ph = history_blob_at(p, path, &theirs);
		git_commit_free(p);
		if (ph < 0)
			return ph;
		if (ph != have || (have && !git_oid_equal(&mine, &theirs)))
			return 1;
	}
	return 0;
}

static const char *sig_word(int status)
{
	return status == SIG_GOOD      ? "good"
	       : status == SIG_UNKNOWN ? "unknown-key"
	       : status == SIG_BAD     ? "bad"
	       : status == SIG_REVOKED ? "revoked"
	                               : "none";
}

static int print_commit(c2c_node *n, const git_commit *c, json_t *arr)
{
	char node[256], tbuf[32], hex[GIT_OID_HEXSZ + 1];
	const git_signature *a = git_commit_author(c);
	const char *subject = git_commit_summary((git_commit *)c);
	char *signer = NULL, *why = NULL;
	int status, err;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	commit_node(c, node, sizeof(node));
	if (!subject)
		subject = "";
	if ((err = registry_commit_signer(n, git_commit_id(c), &status, &signer, &why)) < 0)
		return err;
	/* Who made it is the node whose key signed it; the trailer's name
	 * only where no registered key did. */
	char *revoked = NULL;
	if (signer && (status == SIG_GOOD || status == SIG_REVOKED)) {
		snprintf(node, sizeof(node), "%s", signer);
		if (registry_revoked_at(n, signer, &revoked) < 0)
			err_clear();
	}
	if (!arr) {
		/* node, author and subject come from other nodes: escaped */
		char *sn = cli_safe(node, 0), *sa = cli_safe(a && a->name ? a->name : "?", 0), *ss = cli_safe(subject, 0);
		if (sn && sa && ss) {
			printf("%.12s %c %s %s", hex, status, fmt_time(git_commit_time(c), 0, tbuf), sn);
			if (revoked)
				printf(_(" [revoked %s]"), revoked);
			printf(" %s  %s\n", sa, ss);
		}
		free(sn), free(sa), free(ss);
		free(signer);
		free(why);
		free(revoked);
		return sn && sa && ss ? 0 : ERR_OOM();
	}
	json_t *parents = json_array();
	for (unsigned i = 0; i < git_commit_parentcount(c); i++) {
		char ph[GIT_OID_HEXSZ + 1];
		git_oid_tostr(ph, sizeof(ph), git_commit_parent_id(c, i));
		json_array_append_new(parents, json_string(ph));
	}
	json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:o,s:s,s:s?,s:s?}", "commit", hex, "time",
	                      fmt_time(git_commit_time(c), 1, tbuf), "node", node, "author", a ? a->name : NULL, "email",
	                      a ? a->email : NULL, "subject", subject, "parents", parents, "signature", sig_word(status),
	                      "signer", signer, "signature_error", why);
	if (o && revoked)
		json_object_set_new(o, "signer_revoked_at", json_string(revoked));
	free(signer);
	free(why);
	free(revoked);
	if (!o || json_array_append_new(arr, o))
		return ERR_OOM();
	return 0;
}

static int parse_count(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0) {
		err_set(C2C_EUSAGE, _("-n needs a number of commits, not '%s'"), s);
		return err_hint(_("for example: c2c log -n 10"));
	}
	*out = v;
	return 0;
}

static int cmd_log_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *count = NULL;
	long limit = -1, shown = 0;
	const table_def *t = NULL;
	char *id = NULL, *path = NULL;
	int live;
	git_revwalk *w = NULL;
	json_t *arr = NULL;
	git_oid oid;
	int err, rc;
	if ((err = cli_take_opt(ctx, "-n", &count)) < 0 ||
	    (!count && (err = cli_take_opt(ctx, "--max-count", &count)) < 0) ||
	    (err = cli_positionals(ctx, 0, 1)) < 0)
		return err;
	if (count && (err = parse_count(count, &limit)) < 0)
		return err;
	if (ctx->argc && (err = history_record(n, ctx->argv[0], &t, &id, &path, &live)) < 0)
		return err;
	if (ctx->json && !(arr = json_array())) {
		err = ERR_OOM();
		goto done;
	}
	if ((rc = git_revwalk_new(&w, n->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, &n->head)) < 0) {
		err = err_git(rc, _("walking the history"));
		goto done;
	}
	while ((limit < 0 || shown < limit) && (rc = git_revwalk_next(&oid, w)) == 0) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, n->repo, &oid)) < 0) {
			err = err_git(rc, _("reading a commit"));
			goto done;
		}
		int touch = path ? commit_touches(c, path) : 1;
		if (touch > 0) {
			err = print_commit(n, c, arr);
			shown++;
		} else
			err = touch;
		git_commit_free(c);
		if (err < 0)
			goto done;
	}
	if (rc < 0 && rc != GIT_ITEROVER) {
		err = err_git(rc, _("walking the history"));
		goto done;
	}
	if (arr) {
		err = cli_print_json(arr);
		arr = NULL;
	}
done:
	json_decref(arr);
	git_revwalk_free(w);
	free(id);
	free(path);
	return err;
}

const cli_command cmd_log = {
    "log", cmd_log_fn, CLI_READ, N_("history of the node or of one record"),
    N_("c2c log [TABLE/ID] [-n N]"),
    N_("Lists the commits of this node's history, newest first (genesis last),\n"
    "one a line:\n\n"
    "  COMMIT(12) SIG DATE TIME NODE AUTHOR  SUBJECT\n\n"
    "where SIG is the signature as git's %G? has it (G good, by a registered\n"
    "node; U good, by a key the registry lacks; B bad; N none, as genesis; R\n"
    "good, by a revoked key, after its cut), DATE TIME the commit time in UTC,\n"
    "NODE the node whose key signed it (its C2C-Node trailer where no\n"
    "registered key did), followed by [revoked DATE] when the office revoked\n"
    "that key, and AUTHOR the person configured on it. --json gives\n"
    "\"signature\" (good, unknown-key, bad, revoked, none), \"signer\" and\n"
    "\"signer_revoked_at\".\n"
    "With TABLE/ID, only the commits that changed that record's file: those\n"
    "that made it, edited it, deleted it, or merged a version of it. A deleted\n"
    "record's history is still shown. -n N shows at most N commits. --json\n"
    "prints an array of {commit, time, node, author, email, subject, parents}.\n\n"
    "Auditors get the same from stock git, with the record's path (see\n"
    "'c2c help blame' for how to find it):\n\n"
    "  git -C repo.git log --full-history -- cities/tunis/actions/a/b/ID.json\n\n"
    "  c2c log -n 5\n  c2c log actions/0193f0a1b2c3d4e5f6a7b8c9 --json\n")};

/* ------------------------------------------------------------------ blame */

/* Display width in code points of UTF-8 S. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* A value for one line of text: control characters escaped (cli_safe), at
 * most MAX code points (else cut, ending in "..."). malloc'd. */
static char *one_line(const json_t *v, size_t max)
{
	char *raw = v ? record_value_text(v) : strdup(_("(cleared)"));
	char *s = raw ? cli_safe(raw, 0) : NULL;
	free(raw);
	if (!s)
		return NULL;
	if (text_width(s) > max) {
		size_t w = 0, i = 0;
		for (; s[i]; i++)
			if (((unsigned char)s[i] & 0xC0) != 0x80 && w++ == max - 3)
				break;
		strcpy(s + i, "...");
	}
	return s;
}

static void print_pad(const char *s, size_t width)
{
	size_t w = text_width(s);
	fputs(s, stdout);
	for (; w < width; w++)
		putchar(' ');
}

/* The signature of the commit that made X, as log shows it: its letter
 * (git's %G?) and *signer (malloc'd, or NULL). */
static int target_sig(c2c_node *n, const blame_target *x, char **signer)
{
	char *why = NULL;
	int status = SIG_NONE;
	*signer = NULL;
	if (x->found && registry_commit_signer(n, &x->commit, &status, signer, &why) < 0) {
		err_clear();
		status = SIG_BAD;
	}
	free(why);
	return status;
}

static json_t *target_json(c2c_node *n, const blame_target *x)
{
	char hex[GIT_OID_HEXSZ + 1], tbuf[32], *signer = NULL;
	int status = target_sig(n, x, &signer);
	json_t *o = json_pack("{s:s?,s:o,s:o,s:s?,s:s?}", "node", x->has_dot ? x->node : NULL, "counter",
	                      x->has_dot ? json_integer(x->counter) : json_null(), "lamport",
	                      x->has_dot ? json_integer(x->lamport) : json_null(), "commit",
	                      x->found ? git_oid_tostr(hex, sizeof(hex), &x->commit) : NULL, "time",
	                      x->found ? fmt_time(x->when, 1, tbuf) : NULL);
	if (o && x->kind != BT_DELETE)
		json_object_set_new(o, "value", x->val ? json_deep_copy(x->val) : json_null());
	if (o && x->found) {
		char *revoked = NULL;
		json_object_set_new(o, "signature", json_string(sig_word(status)));
		json_object_set_new(o, "signer", signer ? json_string(signer) : json_null());
		json_object_set_new(o, "author", json_string(x->person));
		if (signer && registry_revoked_at(n, signer, &revoked) == 0 && revoked)
			json_object_set_new(o, "signer_revoked_at", json_string(revoked));
		err_clear();
		free(revoked);
	}
	free(signer);
	return o;
}

static json_t *blame_json(c2c_node *n, const table_def *t, const char *id, const char *path, int live,
                          const blame_list *l)
{
	json_t *fields = json_array(), *deleted = json_array(), *last = NULL;
	char rid[256];
	for (size_t i = 0; i < l->n; i++) {
		const blame_target *x = &l->v[i];
		json_t *o = target_json(n, x);
		if (!o)
			continue;
		if (x->kind == BT_DELETE) {
			json_array_append_new(deleted, o);
		} else if (x->kind == BT_CONFLICT && last) {
			json_t *c = json_object_get(last, "conflicts");
			if (!c)
				json_object_set_new(last, "conflicts", c = json_array());
			json_array_append_new(c, o);
		} else {
			json_object_set_new(o, "field", json_string(x->name));
			json_array_append_new(fields, o);
			last = o;
		}
	}
	snprintf(rid, sizeof(rid), "%s/%s", t->name, id);
	return json_pack("{s:s,s:s,s:b,s:o,s:o}", "record", rid, "path", path, "live", live, "fields", fields,
	                 "deleted", deleted);
}

static int blame_text(c2c_node *n, const blame_list *l, int live)
{
	enum { VALUE_MAX = 48 };
	const char *conflict = _("  (conflict)");
	size_t wf = 5, wv = 5, wn = 4, w;
	char hex[GIT_OID_HEXSZ + 1], tbuf[32];
	char **vals = calloc(l->n ? l->n : 1, sizeof(char *));
	if (!vals)
		return ERR_OOM();
	for (size_t i = 0; i < l->n; i++) {
		const blame_target *x = &l->v[i];
		if (x->kind == BT_DELETE)
			continue;
		if (!(vals[i] = one_line(x->val, VALUE_MAX))) {
			for (size_t j = 0; j < i; j++)
				free(vals[j]);
			free(vals);
			return ERR_OOM();
		}
		if ((w = text_width(x->kind == BT_CONFLICT ? conflict : x->name)) > wf)
			wf = w;
		if ((w = text_width(vals[i])) > wv)
			wv = w;
		if ((w = text_width(x->has_dot ? x->node : "-")) > wn)
			wn = w;
	}
	for (size_t i = 0; i < l->n; i++) {
		const blame_target *x = &l->v[i];
		const char *commit = x->found ? git_oid_tostr(hex, sizeof(hex), &x->commit) : "?";
		const char *when = x->found ? fmt_time(x->when, 0, tbuf) : "?";
		char *sn = cli_safe((x->has_dot || x->kind == BT_DELETE) && x->node ? x->node : "-", 0);
		char *sf = cli_safe(x->kind == BT_CONFLICT ? conflict : x->name ? x->name : "", 0);
		if (!sn || !sf) {
			free(sn), free(sf);
			continue;
		}
		if (x->kind == BT_DELETE) {
			printf(live ? _("deletion by %s in %.12s %s (open conflict: a concurrent edit kept the record)\n")
			            : _("deleted by %s in %.12s %s\n"),
			       sn, commit, when);
			free(sn), free(sf);
			continue;
		}
		print_pad(sf, wf + 2);
		print_pad(vals[i], wv + 2);
		print_pad(sn, wn + 2);
		free(sn), free(sf);
		char *signer = NULL, *revoked = NULL;
		int status = target_sig(n, x, &signer);
		if (signer && registry_revoked_at(n, signer, &revoked) < 0)
			err_clear();
		char *sp = cli_safe(x->found ? x->person : "", 0);
		printf("%-12.12s %c  %s  %s", commit, status, when, sp ? sp : "");
		if (revoked)
			printf(_("  [key revoked %s]"), revoked);
		putchar('\n');
		free(sp);
		free(signer);
		free(revoked);
	}
	for (size_t i = 0; i < l->n; i++)
		free(vals[i]);
	free(vals);
	return 0;
}

static int cmd_blame_fn(cli_ctx *ctx, c2c_node *n)
{
	const table_def *t = NULL;
	char *id = NULL, *path = NULL, *buf = NULL;
	size_t len = 0;
	json_t *rec = NULL;
	blame_list l = {0};
	int err, live = 0;
	if ((err = cli_positionals(ctx, 1, 1)) < 0 ||
	    (err = history_record(n, ctx->argv[0], &t, &id, &path, &live)) < 0)
		return err;
	err = repo_read_path(n->repo, &n->head, path, &buf, &len, NULL);
	if (err == C2C_ENOTFOUND) {
		err_set(C2C_ENOTFOUND, _("%s/%s has no file at the head (%s)"), t->name, id, path);
		err_hint(_("run 'c2c verify' to compare the database with the repository"));
	}
	if (err < 0)
		goto done;
	json_error_t jerr;
	rec = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(rec)) {
		err = err_set(C2C_ECORRUPT, _("%s at the head is not a JSON object"), path);
		goto done;
	}
	if ((err = blame_targets(t, rec, &l)) < 0 || (err = blame_walk(n->repo, &n->head, path, l.v, l.n)) < 0)
		goto done;
	if (ctx->json)
		err = cli_print_json(blame_json(n, t, id, path, live, &l));
	else
		err = blame_text(n, &l, live);
done:
	ARRAY_FREE(&l);
	json_decref(rec);
	free(buf);
	free(id);
	free(path);
	return err;
}

const cli_command cmd_blame = {
    "blame", cmd_blame_fn, CLI_READ, N_("per-field provenance of a record"),
    N_("c2c blame TABLE/ID"),
    N_("For each field of the record (in schema order, then fields this node does\n"
    "not know), prints one aligned line:\n\n"
    "  FIELD  VALUE  NODE  COMMIT(12) SIG  DATE TIME  AUTHOR\n\n"
    "VALUE is the field's value at the head ((cleared) if it was emptied),\n"
    "NODE the node whose edit wrote it (the field's dot in _c2c.dots), and\n"
    "COMMIT the commit that brought that edit into history, SIG its signature\n"
    "as 'c2c log' marks it (G good, by a registered node; U good, by a key\n"
    "the registry lacks; B bad; N none; R by a revoked key after its cut),\n"
    "with its time in UTC and the person who made it, and [key revoked DATE]\n"
    "when the office revoked the node's key. A field's open conflicts follow\n"
    "it, one '(conflict)' line each. On a deleted record, the last values\n"
    "are shown and a line 'deleted by NODE in COMMIT' is added. --json\n"
    "prints {record, path, live, fields: [{field, value, node, counter,\n"
    "lamport, commit, time, signature, signer, author, conflicts}], deleted:\n"
    "[{node, counter, lamport, commit, time, signature, signer}]}.\n\n"
    "Auditors get the same from stock git: the record's file is\n"
    "cities/<city>/<table>/<a>/<b>/<id>.json (network/<table>/... for network\n"
    "tables), where <a><b> are the first two hex digits of the id's SHA-256\n"
    "(printf %s ID | sha256sum | cut -c1-2), so\n\n"
    "  git -C repo.git log -p --full-history -- cities/tunis/actions/a/b/ID.json\n\n"
    "shows every version of the file and the dots each commit wrote, and, the\n"
    "file holding one field a line,\n\n"
    "  git -C repo.git blame main -- cities/tunis/actions/a/b/ID.json\n\n"
    "the commit that last changed each field's line.\n\n"
    "  c2c blame actions/0193f0a1b2c3d4e5f6a7b8c9\n")};

