/* log, blame: history of the node and of one record, read from repo.git.
 *
 * Both walk the commits from the node's head (the one the database records)
 * and look a record up by its path in each commit's tree, O(depth) per
 * lookup; no whole tree is ever diffed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/cli.h"
#include "c2c/err.h"
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

/* The blob at PATH in the tree of commit C: 1 found (*out set), 0 absent. */
static int blob_at(const git_commit *c, const char *path, git_oid *out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc = git_commit_tree(&tree, c);
	if (rc < 0)
		return err_git(rc, _("reading a commit's tree"));
	rc = git_tree_entry_bypath(&e, tree, path);
	git_tree_free(tree);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return err_git(rc, path);
	int found = git_tree_entry_type(e) == GIT_OBJECT_BLOB;
	if (found)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return found;
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
	int have = blob_at(c, path, &mine);
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
		int ph = blob_at(p, path, &theirs);
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
		return sn && sa && ss ? 0 : err_set(C2C_ENOMEM, _("out of memory"));
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
		return err_set(C2C_ENOMEM, _("out of memory"));
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
		err = err_set(C2C_ENOMEM, _("out of memory"));
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

/* What blame looks for in each version of the file: an edit's dot
 * [node, counter, lamport], or, for a field written without a dot, its
 * value. */
enum { BT_FIELD, BT_CONFLICT, BT_DELETE };
typedef struct {
	int kind;
	const char *name; /* the field; NULL for BT_DELETE */
	int has_dot;
	const char *node;
	json_int_t counter, lamport;
	const json_t *val; /* the value at the head; NULL: cleared */
	int found;         /* the commit that introduced it is known */
	git_oid commit;
	git_time_t when;
	char person[96]; /* the commit's author: the person beside the node */
} blame_target;

typedef struct {
	blame_target *v;
	size_t n, cap;
} blame_list;

static int bl_add(blame_list *l, const blame_target *t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		blame_target *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return err_set(C2C_ENOMEM, _("out of memory"));
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

/* Read the dot at A[OFF..OFF+2]. 1 if well-formed. */
static int dot_read(const json_t *a, size_t off, const char **node, json_int_t *k, json_int_t *lamport)
{
	const json_t *n = json_array_get(a, off), *c = json_array_get(a, off + 1), *l = json_array_get(a, off + 2);
	if (!json_is_string(n) || !json_is_integer(c) || !json_is_integer(l))
		return 0;
	*node = json_string_value(n);
	*k = json_integer_value(c);
	*lamport = json_integer_value(l);
	return 1;
}

static int dot_is(const json_t *a, size_t off, const blame_target *t)
{
	const char *node;
	json_int_t k, l;
	return dot_read(a, off, &node, &k, &l) && k == t->counter && l == t->lamport && !strcmp(node, t->node);
}

/* The deletions of a version: an array of [node, k, lamport, {clock}]
 * entries, or (older files) one [node, k, lamport]. Entry I, or NULL. */
static const json_t *deletion(const json_t *deleted, size_t i)
{
	if (json_is_string(json_array_get(deleted, 0)))
		return i == 0 ? deleted : NULL;
	return json_array_get(deleted, i);
}

/* Does version V carry target T? A field's edit is carried if it is the
 * standing value's dot or one of the field's open conflicts. */
static int carries(const json_t *v, const blame_target *t)
{
	if (!v)
		return 0;
	const json_t *meta = json_object_get(v, "_c2c"), *e;
	if (t->kind == BT_DELETE) {
		const json_t *deleted = json_object_get(meta, "deleted");
		for (size_t i = 0; (e = deletion(deleted, i)); i++)
			if (dot_is(e, 0, t))
				return 1;
		return 0;
	}
	if (!t->has_dot)
		return json_equal(json_object_get(v, t->name), (json_t *)t->val);
	if (dot_is(json_object_get(json_object_get(meta, "dots"), t->name), 0, t))
		return 1;
	const json_t *conf = json_object_get(json_object_get(meta, "conflicts"), t->name);
	for (size_t i = 0; (e = json_array_get(conf, i)); i++)
		if (dot_is(e, 1, t))
			return 1;
	return 0;
}

/* The versions of the record file met during the walk, by blob id. */
typedef struct {
	git_oid oid;
	json_t *rec;
} blame_version;

typedef struct {
	c2c_node *n;
	const char *path;
	blame_version *v;
	size_t nv, cap;
} blame_cache;

/* The record at PATH in commit C, parsed (borrowed; NULL: absent). */
static int version_of(blame_cache *bc, const git_commit *c, const json_t **out)
{
	git_oid blob;
	int have = blob_at(c, bc->path, &blob);
	*out = NULL;
	if (have <= 0)
		return have;
	for (size_t i = 0; i < bc->nv; i++)
		if (git_oid_equal(&bc->v[i].oid, &blob)) {
			*out = bc->v[i].rec;
			return 0;
		}
	git_blob *b = NULL;
	int rc = git_blob_lookup(&b, bc->n->repo, &blob);
	if (rc < 0)
		return err_git(rc, bc->path);
	json_error_t jerr;
	json_t *rec = json_loadb(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), JSON_REJECT_DUPLICATES, &jerr);
	git_blob_free(b);
	if (!json_is_object(rec)) {
		char hex[GIT_OID_HEXSZ + 1];
		json_decref(rec);
		return err_set(C2C_ECORRUPT, _("%s in commit %s is not a JSON object"), bc->path,
		               git_oid_tostr(hex, sizeof(hex), git_commit_id(c)));
	}
	if (bc->nv == bc->cap) {
		size_t cap = bc->cap ? bc->cap * 2 : 16;
		blame_version *nv = realloc(bc->v, cap * sizeof(*nv));
		if (!nv) {
			json_decref(rec);
			return err_set(C2C_ENOMEM, _("out of memory"));
		}
		bc->v = nv;
		bc->cap = cap;
	}
	git_oid_cpy(&bc->v[bc->nv].oid, &blob);
	bc->v[bc->nv++].rec = rec;
	*out = rec;
	return 0;
}

/* Walk from the head; a commit introduced target T if its version carries
 * T and no parent's version does (a parent without the file does not).
 * Stops when every target is found. */
static int blame_walk(c2c_node *n, const char *path, blame_target *tg, size_t ntg)
{
	blame_cache bc = {n, path, NULL, 0, 0};
	git_revwalk *w = NULL;
	git_oid oid;
	size_t left = ntg;
	int err = 0, rc = 0;
	int *match = calloc(ntg ? ntg : 1, sizeof(int));
	if (!match)
		return err_set(C2C_ENOMEM, _("out of memory"));
	if ((rc = git_revwalk_new(&w, n->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, &n->head)) < 0) {
		err = err_git(rc, _("walking the history"));
		goto done;
	}
	while (left && (rc = git_revwalk_next(&oid, w)) == 0) {
		git_commit *c = NULL;
		const json_t *v;
		size_t nm = 0;
		if ((rc = git_commit_lookup(&c, n->repo, &oid)) < 0) {
			err = err_git(rc, _("reading a commit"));
			goto done;
		}
		if ((err = version_of(&bc, c, &v)) < 0) {
			git_commit_free(c);
			goto done;
		}
		for (size_t i = 0; i < ntg; i++)
			nm += (size_t)(match[i] = !tg[i].found && carries(v, &tg[i]));
		for (unsigned p = 0; nm && p < git_commit_parentcount(c); p++) {
			git_commit *pc = NULL;
			const json_t *pv;
			if ((rc = git_commit_parent(&pc, c, p)) < 0) {
				err = err_git(rc, _("reading a parent commit"));
				break;
			}
			err = version_of(&bc, pc, &pv);
			git_commit_free(pc);
			if (err < 0)
				break;
			for (size_t i = 0; i < ntg; i++)
				if (match[i] && carries(pv, &tg[i]))
					match[i] = 0, nm--;
		}
		for (size_t i = 0; err == 0 && i < ntg; i++)
			if (match[i]) {
				tg[i].found = 1;
				git_oid_cpy(&tg[i].commit, &oid);
				tg[i].when = git_commit_time(c);
				const git_signature *a = git_commit_author(c);
				snprintf(tg[i].person, sizeof(tg[i].person), "%s", a && a->name ? a->name : "");
				left--;
			}
		git_commit_free(c);
		if (err < 0)
			goto done;
	}
	if (rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, _("walking the history"));
done:
	for (size_t i = 0; i < bc.nv; i++)
		json_decref(bc.v[i].rec);
	free(bc.v);
	free(match);
	git_revwalk_free(w);
	return err;
}

/* Field F of REC: its standing value, then its open conflicts. */
static int blame_field(blame_list *l, const json_t *rec, const char *f)
{
	const json_t *meta = json_object_get(rec, "_c2c"), *e;
	const json_t *dot = json_object_get(json_object_get(meta, "dots"), f), *val = json_object_get(rec, f);
	const json_t *conf = json_object_get(json_object_get(meta, "conflicts"), f);
	if (json_object_get(json_object_get(meta, "elems"), f))
		conf = NULL; /* a set's other surviving edits are bookkeeping, not conflicts */
	blame_target t = {BT_FIELD, f, 0, NULL, 0, 0, val, 0, {{0}}, 0, ""};
	int err;
	t.has_dot = dot_read(dot, 0, &t.node, &t.counter, &t.lamport);
	if ((dot || val) && (err = bl_add(l, &t)) < 0)
		return err;
	for (size_t i = 0; (e = json_array_get(conf, i)); i++) {
		blame_target c = {BT_CONFLICT, f, 0, NULL, 0, 0, NULL, 0, {{0}}, 0, ""};
		if (!dot_read(e, 1, &c.node, &c.counter, &c.lamport))
			continue;
		c.has_dot = 1;
		c.val = json_is_null(json_array_get(e, 0)) ? NULL : json_array_get(e, 0);
		if ((err = bl_add(l, &c)) < 0)
			return err;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The targets of REC: schema fields in schema order, then fields unknown to
 * this node by name, then the deletions. */
static int blame_targets(const table_def *t, const json_t *rec, blame_list *l)
{
	const json_t *meta = json_object_get(rec, "_c2c"), *e;
	const json_t *dots = json_object_get(meta, "dots"), *conf = json_object_get(meta, "conflicts");
	const json_t *src[] = {rec, dots, conf};
	size_t nu = 0;
	const char *k;
	json_t *v;
	int err = 0;
	for (size_t i = 0; i < t->nfields; i++)
		if ((err = blame_field(l, rec, t->fields[i].name)) < 0)
			return err;
	const char **unknown =
	    calloc(json_object_size(rec) + json_object_size(dots) + json_object_size(conf) + 1, sizeof(char *));
	if (!unknown)
		return err_set(C2C_ENOMEM, _("out of memory"));
	for (size_t s = 0; s < 3; s++) {
		json_object_foreach((json_t *)src[s], k, v)
		{
			if (strcmp(k, "_c2c") && !store_field(t, k))
				unknown[nu++] = k;
		}
	}
	qsort(unknown, nu, sizeof(char *), cmp_str);
	for (size_t i = 0; i < nu && err == 0; i++)
		if (i == 0 || strcmp(unknown[i], unknown[i - 1]))
			err = blame_field(l, rec, unknown[i]);
	free(unknown);
	const json_t *deleted = json_object_get(meta, "deleted");
	for (size_t i = 0; err == 0 && (e = deletion(deleted, i)); i++) {
		blame_target d = {BT_DELETE, NULL, 1, NULL, 0, 0, NULL, 0, {{0}}, 0, ""};
		if (dot_read(e, 0, &d.node, &d.counter, &d.lamport))
			err = bl_add(l, &d);
	}
	return err;
}

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
		return err_set(C2C_ENOMEM, _("out of memory"));
	for (size_t i = 0; i < l->n; i++) {
		const blame_target *x = &l->v[i];
		if (x->kind == BT_DELETE)
			continue;
		if (!(vals[i] = one_line(x->val, VALUE_MAX))) {
			for (size_t j = 0; j < i; j++)
				free(vals[j]);
			free(vals);
			return err_set(C2C_ENOMEM, _("out of memory"));
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
	if ((err = blame_targets(t, rec, &l)) < 0 || (err = blame_walk(n, path, l.v, l.n)) < 0)
		goto done;
	if (ctx->json)
		err = cli_print_json(blame_json(n, t, id, path, live, &l));
	else
		err = blame_text(n, &l, live);
done:
	free(l.v);
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
