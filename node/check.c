/* node_verify and node_repair: the database against the head of repo.git. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/node.h"
#include "c2c/record.h"
#include "c2c/registry.h"

typedef struct {
	c2c_node *n;
	const table_def *t;
	git_oid tree;
	node_report_cb report;
	void *payload;
	int found;
	long long *rows_seen, *tombs_seen; /* per table: files that matched a row, a tombstone */
} check_state;

static void say(check_state *s, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(check_state *s, const char *what, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	s->found++;
	if (s->report)
		s->report(what, detail, s->payload);
}

/* Is the blob id of TEXT the id ID? (Hashing is cheaper than reading.) */
static int same_blob(const char *text, size_t len, const git_oid *id)
{
	git_oid h;
	return git_odb_hash(&h, text, len, GIT_OBJECT_BLOB) == 0 && git_oid_equal(&h, id);
}

/* Each record file must have its row (or tombstone), byte-identical once
 * serialized. One walk of the tree, one look-up by primary key a file. */
static int check_file(const char *root, const git_tree_entry *e, void *payload)
{
	check_state *s = payload;
	char path[1024], table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1], what[256];
	json_t *rec = NULL;
	char *text = NULL;
	size_t len;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e));
	if (!strcmp(path, "network/network.json"))
		return 0;
	if (record_parse_path(path, table, id, city) < 0) {
		say(s, path, "%s", err_msg());
		return 0;
	}
	const table_def *t = store_table(s->n->st, table);
	if (!t) {
		say(s, path, "table %s is unknown to this node", table);
		return 0;
	}
	size_t ti = (size_t)(t - s->t);
	snprintf(what, sizeof(what), "%s/%s", table, id);
	if (store_row_get(s->n->st, t, id, &rec) == 0) {
		const char *rc = t->city_scope ? json_string_value(json_object_get(rec, "city")) : "";
		if (canon_dump(rec, &text, &len) < 0)
			say(s, what, "row cannot be serialized: %s", err_msg());
		else if (!same_blob(text, len, git_tree_entry_id(e)) || strcmp(rc ? rc : "", city))
			say(s, what, "row differs from %s (changed behind the node's back?)", path);
		s->rows_seen[ti]++;
	} else if (store_tomb_get(s->n->st, table, id, &text) == 0) {
		if (!same_blob(text, strlen(text), git_tree_entry_id(e)))
			say(s, path, "tombstone in the database differs from the file");
		s->tombs_seen[ti]++;
	} else {
		say(s, path, "record file has no row in the database (deleted behind the node's back?)");
	}
	free(text);
	json_decref(rec);
	err_clear();
	return 0;
}

/* Only when a table has more rows than files matched them: name the rows
 * whose file is missing. */
static int check_row_exists(const char *id, json_t *rec, void *payload)
{
	check_state *s = payload;
	char *path = NULL, what[256];
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	const char *city = s->t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
	snprintf(what, sizeof(what), "%s/%s", s->t->name, id);
	if (record_path(s->t, city, id, &path) < 0) {
		say(s, what, "row cannot be placed in the repository: %s", err_msg());
		return 0;
	}
	if (git_tree_lookup(&tree, s->n->repo, &s->tree) == 0 && git_tree_entry_bypath(&e, tree, path) < 0)
		say(s, what, "row is in the database but %s is not in the repository", path);
	git_tree_entry_free(e);
	git_tree_free(tree);
	free(path);
	return 0;
}

/* Every commit of the history but genesis must carry a signature that
 * checks. One by a key this node's registry lacks is no finding: the node
 * that made it may be registered in an office commit not yet received. */
static int check_signatures(check_state *s)
{
	git_revwalk *w = NULL;
	git_oid oid;
	int rc, err = 0;
	if ((rc = git_revwalk_new(&w, s->n->repo)) < 0 || (rc = git_revwalk_push(w, &s->n->head)) < 0) {
		git_revwalk_free(w);
		return err_git(rc, "walking the history");
	}
	while (err == 0 && (rc = git_revwalk_next(&oid, w)) == 0) {
		char hex[GIT_OID_HEXSZ + 1], *signer = NULL, *why = NULL;
		int status;
		git_oid_tostr(hex, sizeof(hex), &oid);
		if ((err = registry_commit_signer(s->n, &oid, &status, &signer, &why)) < 0)
			break;
		if (status == SIG_BAD)
			say(s, hex, "commit: its signature does not check (%s)", why ? why : "?");
		else if (status == SIG_NONE && git_oid_streq(&oid, C2C_GENESIS) != 0)
			say(s, hex, "commit: not signed");
		free(signer);
		free(why);
	}
	git_revwalk_free(w);
	if (err == 0 && rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "walking the history");
	return err;
}

int node_verify(c2c_node *n, node_report_cb report, void *payload)
{
	check_state s = {n, NULL, {{0}}, report, payload, 0, NULL, NULL};
	git_oid ref;
	git_tree *tree = NULL;
	size_t nt;
	int err;
	const table_def *tables = store_tables(n->st, &nt);
	err = repo_head(n->repo, &ref);
	if (err < 0 && err != C2C_ENOTFOUND)
		return err;
	if (err == C2C_ENOTFOUND || !git_oid_equal(&ref, &n->head)) {
		char a[GIT_OID_HEXSZ + 1] = "(none)", b[GIT_OID_HEXSZ + 1];
		if (err == 0)
			git_oid_tostr(a, sizeof(a), &ref);
		git_oid_tostr(b, sizeof(b), &n->head);
		say(&s, "refs/heads/main", "is %s but the database records %s (moved behind the node's back)", a, b);
	}
	if ((err = repo_commit_tree(n->repo, &n->head, &s.tree)) < 0)
		return err;
	s.rows_seen = calloc(nt + 1, sizeof(long long));
	s.tombs_seen = calloc(nt + 1, sizeof(long long));
	if (!s.rows_seen || !s.tombs_seen) {
		err = ERR_OOM();
		goto done;
	}
	s.t = tables;
	if ((err = git_tree_lookup(&tree, n->repo, &s.tree)) < 0) {
		err = err_git(err, "reading the head tree");
		goto done;
	}
	err = git_tree_walk(tree, GIT_TREEWALK_PRE, check_file, &s);
	git_tree_free(tree);
	if (err < 0) {
		err = err_git(err, "walking the head tree");
		goto done;
	}
	for (size_t i = 0; i < nt; i++) {
		long long rows = 0, tombs = 0;
		if ((err = store_count(n->st, tables[i].name, 0, &rows)) < 0 ||
		    (err = store_count(n->st, tables[i].name, 1, &tombs)) < 0)
			goto done;
		s.t = &tables[i];
		if (rows > s.rows_seen[i] && (err = store_rows_each(n->st, s.t, NULL, check_row_exists, &s)) < 0)
			goto done;
		if (tombs > s.tombs_seen[i]) {
			char what[128];
			snprintf(what, sizeof(what), "%s", tables[i].name);
			say(&s, what, "%lld tombstone%s in the database without a file in the repository",
			    tombs - s.tombs_seen[i], tombs - s.tombs_seen[i] == 1 ? "" : "s");
		}
	}
	if ((err = check_signatures(&s)) < 0)
		goto done;
	err = s.found;
done:
	free(s.rows_seen);
	free(s.tombs_seen);
	return err;
}

/* ------------------------------------------------------------------ repair */

typedef struct {
	c2c_node *n;
	int err;
	long long lamport;
	size_t count;
} rebuild_state;

static int rebuild_file(const char *root, const git_tree_entry *e, void *payload)
{
	rebuild_state *s = payload;
	char path[1024], table[64];
	git_blob *blob = NULL;
	json_t *rec = NULL;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e));
	if (!strcmp(path, "network/network.json"))
		return 0;
	char id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	const table_def *t = NULL;
	if (record_parse_path(path, table, id, city) == 0)
		t = store_table(s->n->st, table);
	int rc = git_blob_lookup(&blob, s->n->repo, git_tree_entry_id(e));
	if (!t || rc < 0) {
		s->err = rc < 0 ? err_git(rc, path) : err_set(C2C_ECORRUPT, "%s: not a record of a known table", path);
		goto done;
	}
	const char *buf = git_blob_rawcontent(blob);
	size_t len = (size_t)git_blob_rawsize(blob);
	if ((s->err = canon_parse(buf, len, path, &rec)) < 0)
		goto done;
	long long l = record_max_lamport(rec);
	if (l > s->lamport)
		s->lamport = l;
	if (json_object_get(json_object_get(rec, "_c2c"), "deleted")) {
		char *text = strndup(buf, len);
		s->err = text ? store_tomb_put(s->n->st, t->name, id, path, text) : C2C_ENOMEM;
		free(text);
	} else {
		s->err = store_row_put(s->n->st, t, id, rec);
	}
	s->count++;
done:
	json_decref(rec);
	git_blob_free(blob);
	return s->err < 0 ? -1 : 0;
}

int node_repair(c2c_node *n, node_report_cb report, void *payload)
{
	git_oid ref, tree_id;
	git_tree *tree = NULL;
	rebuild_state s = {n, 0, 0, 0};
	int err, found;
	char sql[256], hex[GIT_OID_HEXSZ + 1], *lam = NULL;
	if ((err = repo_head(n->repo, &ref)) < 0) {
		err_prefix("%s: ", n->gitdir);
		return err_hint("the repository has no head to repair from");
	}
	/* Say what will change, then rebuild every row from the head's tree. */
	git_oid recorded = n->head;
	git_oid_cpy(&n->head, &ref);
	found = node_verify(n, report, payload);
	if (found < 0) {
		n->head = recorded;
		return found;
	}
	if (!git_oid_equal(&recorded, &ref) && report) {
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
		git_oid_tostr(a, sizeof(a), &recorded);
		git_oid_tostr(b, sizeof(b), &ref);
		char detail[200];
		snprintf(detail, sizeof(detail), "database moves from %.12s to the repository's head %.12s", a, b);
		report("refs/heads/main", detail, payload);
		found++;
	}
	if ((err = store_begin(n->st)) < 0)
		return err;
	if ((err = store_clear_rows(n->st)) < 0)
		goto fail;
	if ((err = repo_commit_tree(n->repo, &ref, &tree_id)) < 0)
		goto fail;
	if ((err = git_tree_lookup(&tree, n->repo, &tree_id)) < 0) {
		err = err_git(err, "reading the head tree");
		goto fail;
	}
	err = git_tree_walk(tree, GIT_TREEWALK_PRE, rebuild_file, &s);
	git_tree_free(tree);
	if (s.err < 0 || err < 0) {
		err = s.err < 0 ? s.err : err_git(err, "walking the head tree");
		goto fail;
	}
	if (store_state_get(n->st, "lamport", &lam) == 0 && strtoll(lam, NULL, 10) > s.lamport)
		s.lamport = strtoll(lam, NULL, 10);
	free(lam);
	snprintf(sql, sizeof(sql), "%lld", s.lamport);
	git_oid_tostr(hex, sizeof(hex), &ref);
	if ((err = store_state_set(n->st, "head", hex)) < 0 || (err = store_state_set(n->st, "pending", NULL)) < 0 ||
	    (err = store_state_set(n->st, "lamport", sql)) < 0 || (err = store_commit(n->st)) < 0)
		goto fail;
	n->head_moved = 0;
	return found;
fail:
	store_rollback(n->st);
	n->head = recorded;
	return err;
}
