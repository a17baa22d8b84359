/* registry: the office's key and the node registry (include/c2c/registry.h). */
#include "c2c/registry.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/hub.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/write.h"

#define KEY_FILE_MAX 8192

int registry_read_key_file(const char *file, char **line)
{
	char buf[KEY_FILE_MAX + 1], *fp = NULL;
	*line = NULL;
	FILE *f = fopen(file, "re");
	if (!f)
		return err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, file);
	size_t n = fread(buf, 1, KEY_FILE_MAX, f);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return err_errno(C2C_EIO, file);
	buf[n] = '\0';
	/* "ssh-ed25519 BASE64 [comment]": keep the first two words. */
	char *sp = strchr(buf, ' ');
	size_t end = sp ? (size_t)(sp - buf) + 1 + strcspn(sp + 1, " \t\r\n") : 0;
	if (!sp || keys_line_fingerprint(buf, &fp) < 0) {
		err_set(C2C_EINVALID, "%s: not an ssh-ed25519 public key", file);
		return err_hint("give the .pub file of the node's key (keys/id_ed25519.pub in its directory)");
	}
	free(fp);
	buf[end] = '\0';
	if (!(*line = strdup(buf)))
		return err_set(C2C_ENOMEM, "out of memory");
	return 0;
}

int registry_office_key(c2c_node *n, char **line)
{
	int err = store_state_get(n->st, "office_key", line);
	if (err == 0 && !*line)
		return C2C_ENOTFOUND;
	return err;
}

int registry_set_office_key(c2c_node *n, const char *line) { return store_state_set(n->st, "office_key", line); }

int registry_add(c2c_node *n, const char *node_id, const char *city, const char *role, const char *line)
{
	const table_def *t = store_table(n->st, "nodes");
	node_txn *tx = NULL;
	json_t *fields = NULL;
	char *id = NULL, *other = NULL, *oc = NULL, msg[256];
	git_oid head;
	int err;
	if (!n->role || strcmp(n->role, "office")) {
		err_set(C2C_EINVALID, "only the office registers nodes; this is %s's node %s", n->city, n->node_id);
		return err_hint("run 'c2c node add' on the office's node");
	}
	if (!t)
		return err_set(C2C_ECORRUPT, "this database has no table 'nodes'");
	if (!hub_valid_node_id(node_id))
		return err_set(C2C_EINVALID, "'%s' is not a node id (letters, digits, '-', '_', '.')", node_id);
	if (registry_find(n, line, &other, &oc, NULL) == 0) {
		err_set(C2C_EINVALID, "that key is already registered, as node %s", other);
		free(other);
		free(oc);
		return err_hint("each node has its own key");
	}
	if (!(fields = json_pack("{s:s,s:s}", "role", role, "pubkey", line)) ||
	    (city && json_object_set_new(fields, "city", json_string(city)) < 0)) {
		json_decref(fields);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	if ((err = node_txn_begin(&tx, n)) < 0 || (err = write_add(tx, n, t, node_id, fields, &id)) < 0)
		goto done;
	snprintf(msg, sizeof(msg), "register node %s (%s%s%s)", node_id, role, city ? " of " : "", city ? city : "");
	err = node_txn_commit(tx, msg, &head);
	tx = NULL;
done:
	node_txn_abort(tx);
	json_decref(fields);
	free(id);
	return err;
}

static char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

int registry_find(c2c_node *n, const char *line, char **node_id, char **city, char **role)
{
	sqlite3_stmt *s = NULL;
	*node_id = *city = NULL;
	if (role)
		*role = NULL;
	int rc = sqlite3_prepare_v2(store_db(n->st),
	                            "SELECT id, city, coalesce(role, 'city') FROM nodes WHERE pubkey = ? ORDER BY id LIMIT 1",
	                            -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, line, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*node_id = col(s, 0);
		*city = col(s, 1);
		if (role)
			*role = col(s, 2);
		rc = *node_id && (!role || *role) ? SQLITE_OK : SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		free(*node_id), free(*city);
		*node_id = *city = NULL;
		if (role)
			free(*role), *role = NULL;
	}
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	return rc == SQLITE_OK ? 0 : err_sqlite(store_db(n->st), rc, "reading the node registry");
}

int registry_list(c2c_node *n, json_t **out)
{
	sqlite3_stmt *s = NULL;
	json_t *a = json_array();
	int rc = a ? sqlite3_prepare_v2(store_db(n->st),
	                                "SELECT n.id, n.city, n.role, n.pubkey, r.revoked_at, r.keep_until, r.reason "
	                                "FROM nodes n LEFT JOIN revocations r ON r.pubkey = n.pubkey "
	                                "WHERE n.pubkey IS NOT NULL ORDER BY n.id",
	                                -1, &s, NULL)
	           : SQLITE_NOMEM;
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[7];
		for (int i = 0; i < 7; i++)
			v[i] = (const char *)sqlite3_column_text(s, i);
		if (json_array_append_new(a, json_pack("{s:s,s:s?,s:s?,s:s,s:s?,s:s?,s:s?}", "node_id", v[0], "city", v[1],
		                                       "role", v[2], "pubkey", v[3], "revoked_at", v[4], "keep_until", v[5],
		                                       "reason", v[6])) < 0)
			rc = SQLITE_NOMEM;
		else
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return err_sqlite(store_db(n->st), rc, "reading the node registry");
	}
	*out = a;
	return 0;
}

int registry_commit_signer(c2c_node *n, const git_oid *commit, int *status, char **signer, char **why)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	char *key = NULL, *city = NULL;
	*status = SIG_NONE;
	*signer = *why = NULL;
	int rc = git_commit_extract_signature(&sig, &data, n->repo, (git_oid *)commit, "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return err_git(rc, "reading a commit's signature");
	int err = keys_verify_git(data.ptr, data.size, sig.ptr, sig.size, &key);
	if (err < 0) {
		*status = SIG_BAD;
		*why = strdup(err_msg());
		err_clear();
		err = 0;
	} else if ((err = registry_find(n, key, signer, &city, NULL)) == 0) {
		registry_revocation rv;
		*status = SIG_GOOD;
		/* A revoked key's commit outside its cut (in the history before
		 * the revocation reached this node). */
		if ((err = registry_revocation_of(n, key, &rv)) == 0) {
			if (registry_within_cut(n->repo, &rv, commit) == 0)
				*status = SIG_REVOKED;
			registry_revocation_clear(&rv);
		} else if (err == C2C_ENOTFOUND) {
			err = 0;
		}
	} else if (err == C2C_ENOTFOUND) {
		*status = SIG_UNKNOWN;
		err = keys_line_fingerprint(key, signer);
	}
	free(key);
	free(city);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return err;
}

int registry_learn_office_key(c2c_node *n, const char *remote)
{
	char refname[256], *fp = NULL, line[KEY_FILE_MAX + 1];
	git_oid id;
	git_blob *b = NULL;
	git_reference *ref = NULL;
	int err = 0;
	snprintf(refname, sizeof(refname), "refs/c2c/remotes/%s/office-key", remote);
	if (git_reference_name_to_id(&id, n->repo, refname) < 0) {
		git_error_clear();
		return 0; /* this hub publishes none */
	}
	if (git_blob_lookup(&b, n->repo, &id) < 0 || git_blob_rawsize(b) > KEY_FILE_MAX) {
		git_error_clear();
		err = err_set(C2C_EINVALID, "%s: the office key it publishes is not a key", remote);
		goto done;
	}
	size_t len = (size_t)git_blob_rawsize(b);
	memcpy(line, git_blob_rawcontent(b), len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	char *sp = strchr(line, ' ');
	if (sp && (sp = strchr(sp + 1, ' ')))
		*sp = '\0';
	if (keys_line_fingerprint(line, &fp) < 0) {
		err = err_set(C2C_EINVALID, "%s: the office key it publishes is not an ssh-ed25519 key", remote);
		goto done;
	}
	if ((err = registry_set_office_key(n, line)) == 0)
		fprintf(stderr, "c2c: learnt the office's key %s from %s, and kept it\n", fp, remote);
done:
	if (git_reference_lookup(&ref, n->repo, refname) == 0)
		git_reference_delete(ref);
	git_error_clear();
	git_reference_free(ref);
	git_blob_free(b);
	free(fp);
	return err;
}

/* ------------------------------------------------------------ revocations */

void registry_revocation_clear(registry_revocation *rv)
{
	free(rv->node_id);
	free(rv->pubkey);
	free(rv->revoked_at);
	free(rv->reason);
	memset(rv, 0, sizeof(*rv));
}

void registry_revocations_free(registry_revocations *l)
{
	for (size_t i = 0; i < l->n; i++)
		registry_revocation_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const registry_revocation *registry_revocations_find(const registry_revocations *l, const char *line)
{
	for (size_t i = 0; line && i < l->n; i++)
		if (!strcmp(l->v[i].pubkey, line))
			return &l->v[i];
	return NULL;
}

int registry_within_cut(git_repository *r, const registry_revocation *rv, const git_oid *commit)
{
	if (git_oid_equal(&rv->cut, commit))
		return 1;
	int rc = git_graph_descendant_of(r, &rv->cut, commit);
	if (rc < 0) {
		/* A cut this repository lacks: nothing of the node can be shown
		 * to be before it. */
		git_error_clear();
		return 0;
	}
	return rc;
}

static char *dup_str(const json_t *v) { return json_is_string(v) ? strdup(json_string_value(v)) : NULL; }

int registry_tree_records(git_repository *r, const git_oid *tree, const char *table, int strict,
                          registry_record_fn fn, void *payload)
{
	git_tree *root = NULL, *top = NULL;
	git_tree_entry *e = NULL;
	char path[128];
	int err = 0;
	snprintf(path, sizeof(path), "network/%s", table);
	if (git_tree_lookup(&root, r, tree) < 0) {
		git_error_clear();
		return strict ? err_set(C2C_ECORRUPT, "%s: the tree cannot be read", path) : 0;
	}
	if (git_tree_entry_bypath(&e, root, path) < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&top, r, git_tree_entry_id(e)) < 0)
		goto done; /* no such table */
	for (size_t i = 0; err == 0 && i < git_tree_entrycount(top); i++) {
		git_tree *a = NULL;
		if (git_tree_lookup(&a, r, git_tree_entry_id(git_tree_entry_byindex(top, i))) < 0) {
			err = strict ? err_set(C2C_ECORRUPT, "%s: a bucket cannot be read", path) : 0;
			continue;
		}
		for (size_t j = 0; err == 0 && j < git_tree_entrycount(a); j++) {
			git_tree *b = NULL;
			if (git_tree_lookup(&b, r, git_tree_entry_id(git_tree_entry_byindex(a, j))) < 0) {
				err = strict ? err_set(C2C_ECORRUPT, "%s: a bucket cannot be read", path) : 0;
				continue;
			}
			for (size_t m = 0; err == 0 && m < git_tree_entrycount(b); m++) {
				const git_tree_entry *f = git_tree_entry_byindex(b, m);
				const char *name = git_tree_entry_name(f);
				size_t l = strlen(name);
				git_blob *blob = NULL;
				char id[RECORD_ID_MAX + 1];
				if (l <= 5 || l - 5 > RECORD_ID_MAX || strcmp(name + l - 5, ".json") ||
				    git_blob_lookup(&blob, r, git_tree_entry_id(f)) < 0) {
					err = strict ? err_set(C2C_ECORRUPT, "%s/%s cannot be read", path, name) : 0;
					continue;
				}
				snprintf(id, sizeof(id), "%.*s", (int)(l - 5), name);
				err = fn(id, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), payload);
				git_blob_free(blob);
			}
			git_tree_free(b);
		}
		git_tree_free(a);
	}
done:
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(top);
	git_tree_free(root);
	return err;
}

/* One revocation record (of node ID) into RV. */
static int revocation_parse(const char *id, const char *text, size_t len, registry_revocation *rv)
{
	json_t *rec;
	memset(rv, 0, sizeof(*rv));
	int err = canon_load(text, len, &rec);
	if (err < 0)
		return err;
	const char *cut = json_string_value(json_object_get(rec, "keep_until"));
	if (!rec || !cut || !json_string_value(json_object_get(rec, "pubkey")) || strlen(cut) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&rv->cut, cut) < 0) {
		git_error_clear();
		err = err_set(C2C_ECORRUPT, "network/revocations: the record of %s cannot be read", id);
	} else if (!(rv->node_id = strdup(id)) || !(rv->pubkey = dup_str(json_object_get(rec, "pubkey"))) ||
	           (!(rv->revoked_at = dup_str(json_object_get(rec, "revoked_at"))) &&
	            json_is_string(json_object_get(rec, "revoked_at"))) ||
	           (!(rv->reason = dup_str(json_object_get(rec, "reason"))) &&
	            json_is_string(json_object_get(rec, "reason")))) {
		err = err_set(C2C_ENOMEM, "out of memory");
	}
	if (err < 0)
		registry_revocation_clear(rv);
	json_decref(rec);
	return err;
}

static int revocations_has(const registry_revocations *l, const registry_revocation *rv)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].node_id, rv->node_id) && !strcmp(l->v[i].pubkey, rv->pubkey) &&
		    git_oid_equal(&l->v[i].cut, &rv->cut))
			return 1;
	return 0;
}

typedef struct {
	registry_revocations *l;
	size_t added;
} rev_walk;

static int revocation_add(const char *id, const char *text, size_t len, void *payload)
{
	rev_walk *w = payload;
	registry_revocation rv;
	int err = revocation_parse(id, text, len, &rv);
	if (err < 0)
		return err;
	if (revocations_has(w->l, &rv)) {
		registry_revocation_clear(&rv);
		return 0;
	}
	registry_revocation *v = realloc(w->l->v, (w->l->n + 1) * sizeof(*v));
	if (!v) {
		registry_revocation_clear(&rv);
		return err_set(C2C_ENOMEM, "out of memory");
	}
	w->l->v = v;
	w->l->v[w->l->n++] = rv;
	w->added++;
	return 0;
}

int registry_revocations_read(git_repository *r, const git_oid *tree, registry_revocations *l, size_t *added)
{
	rev_walk w = {l, 0};
	int err = registry_tree_records(r, tree, "revocations", 1, revocation_add, &w);
	if (added)
		*added = w.added;
	return err;
}

int registry_revocation_of(c2c_node *n, const char *line, registry_revocation *rv)
{
	sqlite3_stmt *s = NULL;
	memset(rv, 0, sizeof(*rv));
	int rc = sqlite3_prepare_v2(store_db(n->st),
	                            "SELECT id, pubkey, keep_until, revoked_at, reason FROM revocations WHERE pubkey = ? "
	                            "ORDER BY id LIMIT 1",
	                            -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, line, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cut = (const char *)sqlite3_column_text(s, 2);
		rv->node_id = col(s, 0);
		rv->pubkey = col(s, 1);
		rv->revoked_at = col(s, 3);
		rv->reason = col(s, 4);
		if (!cut || git_oid_fromstrn(&rv->cut, cut, strlen(cut)) < 0)
			git_error_clear(); /* unreadable: a zero cut keeps nothing */
		rc = rv->node_id && rv->pubkey ? SQLITE_OK : SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	if (rc != SQLITE_OK) {
		registry_revocation_clear(rv);
		return err_sqlite(store_db(n->st), rc, "reading the revocations");
	}
	return 0;
}

int registry_revoked_at(c2c_node *n, const char *node_id, char **when)
{
	sqlite3_stmt *s = NULL;
	*when = NULL;
	int rc = sqlite3_prepare_v2(store_db(n->st), "SELECT revoked_at FROM revocations WHERE id = ?", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, node_id, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = (*when = col(s, 0)) || sqlite3_column_type(s, 0) == SQLITE_NULL ? SQLITE_DONE : SQLITE_NOMEM;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(store_db(n->st), rc, "reading the revocations");
}

/* The newest commit in the head's history made by NODE_ID (its committer),
 * or genesis. */
static int newest_commit_of(c2c_node *n, const char *node_id, git_oid *out)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc, found = 0;
	if ((rc = git_oid_fromstr(out, C2C_GENESIS)) < 0 || (rc = git_revwalk_new(&w, n->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, &n->head)) < 0) {
		git_revwalk_free(w);
		return err_git(rc, "walking the history");
	}
	while (!found && (rc = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, n->repo, &id)) < 0)
			break;
		const git_signature *who = git_commit_committer(c);
		if (who && who->name && !strcmp(who->name, node_id)) {
			*out = id;
			found = 1;
		}
		git_commit_free(c);
	}
	git_revwalk_free(w);
	if (rc < 0 && rc != GIT_ITEROVER)
		return err_git(rc, "walking the history");
	git_error_clear();
	return 0;
}

/* Add the record ID of T (a table only its own command writes) in one
 * signed commit. */
static int trust_record_add(c2c_node *n, const table_def *t, const char *id, json_t *fields, const char *msg)
{
	node_txn *tx = NULL;
	char *made = NULL;
	git_oid head;
	int err;
	n->registry_write = 1;
	if ((err = node_txn_begin(&tx, n)) == 0 && (err = write_add(tx, n, t, id, fields, &made)) == 0) {
		err = node_txn_commit(tx, msg, &head);
		tx = NULL;
	}
	n->registry_write = 0;
	node_txn_abort(tx);
	free(made);
	return err;
}

int registry_revoke(c2c_node *n, const char *node_id, const char *reason, const char *keep_until, git_oid *cut)
{
	const table_def *t = store_table(n->st, "revocations");
	sqlite3_stmt *s = NULL;
	json_t *fields = NULL;
	git_object *obj = NULL;
	char *key = NULL, *root = NULL, *when = NULL, hex[GIT_OID_HEXSZ + 1], now[32], msg[512];
	int err = 0, rc;
	if (!n->role || strcmp(n->role, "office")) {
		err_set(C2C_EINVALID, "only the office revokes nodes; this is %s's node %s", n->city, n->node_id);
		return err_hint("run 'c2c node revoke' on an office node");
	}
	if (!t)
		return err_set(C2C_ECORRUPT, "this database has no table 'revocations'");
	rc = sqlite3_prepare_v2(store_db(n->st), "SELECT pubkey FROM nodes WHERE id = ? AND pubkey IS NOT NULL", -1, &s,
	                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, node_id, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = (key = col(s, 0)) ? SQLITE_OK : SQLITE_NOMEM;
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE) {
		err_set(C2C_ENOTFOUND, "no node '%s' in the registry", node_id);
		return err_hint("'c2c ls nodes' lists the registered nodes");
	}
	if (rc != SQLITE_OK)
		return err_sqlite(store_db(n->st), rc, "reading the node registry");
	if ((err = registry_revoked_at(n, node_id, &when)) < 0)
		goto done;
	if (when || store_row_exists(n->st, "revocations", node_id)) {
		err = err_set(C2C_EINVALID, "node %s was revoked already (%s); a revocation never changes", node_id,
		              when ? when : "?");
		goto done;
	}
	if (!strcmp(node_id, n->node_id)) {
		err_set(C2C_EINVALID, "node %s is this node: an office node does not revoke itself", node_id);
		err = err_hint("revoke it from another office node");
		goto done;
	}
	if ((err = registry_office_key(n, &root)) < 0 && err != C2C_ENOTFOUND)
		goto done;
	if (root && !strcmp(root, key)) {
		err_set(C2C_EINVALID, "node %s holds the network's root key, which cannot be revoked", node_id);
		err = err_hint("hand the root over first ('c2c trust handover NODE-ID'), or, if its key is lost, re-root "
		               "every node ('c2c trust office NEW.pub --replace')");
		goto done;
	}
	if (keep_until) {
		if ((rc = git_revparse_single(&obj, n->repo, keep_until)) < 0 ||
		    git_object_type(obj) != GIT_OBJECT_COMMIT) {
			git_error_clear();
			err = err_set(C2C_EINVALID, "--keep-until %s: no such commit", keep_until);
			goto done;
		}
		*cut = *git_object_id(obj);
		if (!git_oid_equal(cut, &n->head) && git_graph_descendant_of(n->repo, &n->head, cut) != 1) {
			git_error_clear();
			err_set(C2C_EINVALID, "--keep-until %s: that commit is not in this node's history", keep_until);
			err = err_hint("sync first, or name a commit 'c2c log' shows");
			goto done;
		}
	} else if ((err = newest_commit_of(n, node_id, cut)) < 0)
		goto done;
	time_t tnow = time(NULL);
	struct tm tm;
	gmtime_r(&tnow, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	git_oid_tostr(hex, sizeof(hex), cut);
	if (!(fields = json_pack("{s:s,s:s,s:s,s:s}", "pubkey", key, "keep_until", hex, "revoked_at", now, "revoked_by",
	                         n->node_id)) ||
	    (reason && *reason && json_object_set_new(fields, "reason", json_string(reason)) < 0)) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(msg, sizeof(msg), "revoke node %s, keeping its commits up to %.12s", node_id, hex);
	err = trust_record_add(n, t, node_id, fields, msg);
done:
	git_object_free(obj);
	json_decref(fields);
	free(key);
	free(root);
	free(when);
	return err;
}

static int node_add_to(const char *id, const char *text, size_t len, void *payload)
{
	json_t *into = payload, *rec;
	int err = canon_load(text, len, &rec);
	if (err < 0)
		return err;
	const char *pk = json_string_value(json_object_get(rec, "pubkey"));
	const char *ro = json_string_value(json_object_get(rec, "role"));
	if (pk && !merge_is_deleted(rec) && !json_object_get(into, id) &&
	    json_object_set_new(into, id,
	                        json_pack("{s:s,s:s?,s:s}", "role", ro ? ro : "city", "city",
	                                  json_string_value(json_object_get(rec, "city")), "pubkey", pk)) < 0)
		err = err_set(C2C_ENOMEM, "out of memory");
	json_decref(rec);
	return err;
}

int registry_tree_nodes(git_repository *r, const git_oid *tree, json_t *into)
{
	return registry_tree_records(r, tree, "nodes", 0, node_add_to, into);
}

/* ------------------------------------------------------------- the root */

int registry_own_key(c2c_node *n, char **line)
{
	char *pub = NULL;
	int err;
	*line = NULL;
	if ((err = keys_public(n->dir, &pub)) < 0)
		return err;
	char *sp = strchr(pub, ' ');
	if (sp && (sp = strchr(sp + 1, ' ')))
		*sp = '\0';
	pub[strcspn(pub, "\r\n")] = '\0';
	*line = pub;
	return 0;
}

int registry_handover(c2c_node *n, const char *node_id)
{
	const table_def *t = store_table(n->st, "roots");
	json_t *fields = NULL;
	sqlite3_stmt *s = NULL;
	char *root = NULL, *own = NULL, *key = NULL, *role = NULL, *when = NULL, now[32], msg[256];
	int err, rc;
	if (!t)
		return err_set(C2C_ECORRUPT, "this database has no table 'roots'");
	if ((err = registry_office_key(n, &root)) < 0 || (err = registry_own_key(n, &own)) < 0)
		goto done;
	if (!n->role || strcmp(n->role, "office") || strcmp(root, own)) {
		err_set(C2C_EINVALID, "only the node that holds the root key hands it over; this is node %s", n->node_id);
		err = err_hint("run 'c2c trust handover' on the office node whose key is the root ('c2c trust' shows it)");
		goto done;
	}
	rc = sqlite3_prepare_v2(store_db(n->st), "SELECT pubkey, coalesce(role, 'city') FROM nodes WHERE id = ?", -1, &s,
	                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, node_id, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = (key = col(s, 0)) && (role = col(s, 1)) ? SQLITE_OK : SQLITE_NOMEM;
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE || (rc == SQLITE_OK && strcmp(role, "office"))) {
		err_set(C2C_EINVALID, "node %s is not a registered office node", node_id);
		err = err_hint("register it first: 'c2c node add %s --role office KEY.pub'", node_id);
		goto done;
	}
	if (rc != SQLITE_OK) {
		err = err_sqlite(store_db(n->st), rc, "reading the node registry");
		goto done;
	}
	if (!strcmp(key, root)) {
		err = err_set(C2C_EINVALID, "node %s holds the root key already", node_id);
		goto done;
	}
	if ((err = registry_revoked_at(n, node_id, &when)) < 0)
		goto done;
	if (when) {
		err = err_set(C2C_EINVALID, "node %s was revoked on %s", node_id, when);
		goto done;
	}
	if (store_row_exists(n->st, "roots", node_id)) {
		err = err_set(C2C_EINVALID, "the root was handed over to node %s once already", node_id);
		goto done;
	}
	time_t tnow = time(NULL);
	struct tm tm;
	gmtime_r(&tnow, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!(fields = json_pack("{s:s,s:s,s:s}", "pubkey", key, "previous", root, "handed_at", now))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(msg, sizeof(msg), "hand the root of trust over to node %s", node_id);
	err = trust_record_add(n, t, node_id, fields, msg);
	if (err == 0)
		err = registry_follow_root(n, NULL);
done:
	json_decref(fields);
	free(root);
	free(own);
	free(key);
	free(role);
	free(when);
	return err;
}

int registry_follow_root(c2c_node *n, char **to)
{
	char *root = NULL, *next = NULL;
	int err, moved = 0;
	if (to)
		*to = NULL;
	if ((err = registry_office_key(n, &root)) == C2C_ENOTFOUND) {
		err_clear();
		return 0;
	}
	if (err < 0)
		return err;
	/* A chain of hand-overs, each signed by the root before it; a loop
	 * (A to B, B to A) ends where it started. */
	for (int hops = 0; hops < 64; hops++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(store_db(n->st), "SELECT pubkey FROM roots WHERE previous = ? ORDER BY id LIMIT 1",
		                            -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(s, 1, root, -1, SQLITE_TRANSIENT);
		if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
			rc = (next = col(s, 0)) ? SQLITE_OK : SQLITE_NOMEM;
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_OK) {
			err = err_sqlite(store_db(n->st), rc, "reading the hand-overs of the root");
			goto done;
		}
		free(root);
		root = next;
		next = NULL;
		moved = 1;
	}
	if (moved) {
		char *old = NULL;
		if ((err = registry_office_key(n, &old)) == 0 && strcmp(old, root)) {
			if ((err = registry_set_office_key(n, root)) == 0 && to)
				err = keys_line_fingerprint(root, to);
		}
		free(old);
	}
done:
	free(root);
	free(next);
	return err;
}
