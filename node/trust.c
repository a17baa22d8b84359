/* trust: what writes the registry and the root of trust (include/c2c/trust.h). */
#include "c2c/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/nodeid.h"
#include "c2c/refs.h"
#include "c2c/write.h"

#define KEY_FILE_MAX 8192

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
	if (!nodeid_valid(node_id))
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
		return ERR_OOM();
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

int registry_take_office_key(c2c_node *n, const char *remote, char **learnt)
{
	char refname[256], *fp = NULL, line[KEY_FILE_MAX + 1];
	git_oid id;
	git_blob *b = NULL;
	git_reference *ref = NULL;
	int err = 0;
	*learnt = NULL;
	if ((err = ref_remote(refname, sizeof(refname), remote, "office-key")) < 0)
		return err;
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
	if ((err = registry_set_office_key(n, line)) == 0) {
		*learnt = fp;
		fp = NULL;
	}
done:
	if (git_reference_lookup(&ref, n->repo, refname) == 0)
		git_reference_delete(ref);
	git_error_clear();
	git_reference_free(ref);
	git_blob_free(b);
	free(fp);
	return err;
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
	rc = store_node_key(n->st, node_id, &key, NULL);
	if (rc == C2C_ENOTFOUND) {
		err_set(C2C_ENOTFOUND, "no node '%s' in the registry", node_id);
		return err_hint("'c2c ls nodes' lists the registered nodes");
	}
	if (rc < 0)
		return rc;
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
		err =
		    err_hint("hand the root over first ('c2c trust handover NODE-ID'), or, if its key is lost, re-root "
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
		err = ERR_OOM();
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

int registry_handover(c2c_node *n, const char *node_id)
{
	const table_def *t = store_table(n->st, "roots");
	json_t *fields = NULL;
	char *root = NULL, *own = NULL, *key = NULL, *role = NULL, *when = NULL, now[32], msg[256];
	int err, rc;
	if (!t)
		return err_set(C2C_ECORRUPT, "this database has no table 'roots'");
	if ((err = registry_office_key(n, &root)) < 0 || (err = registry_own_key(n, &own)) < 0)
		goto done;
	if (!n->role || strcmp(n->role, "office") || strcmp(root, own)) {
		err_set(C2C_EINVALID, "only the node that holds the root key hands it over; this is node %s",
		        n->node_id);
		err = err_hint(
		    "run 'c2c trust handover' on the office node whose key is the root ('c2c trust' shows it)");
		goto done;
	}
	rc = store_node_key(n->st, node_id, &key, &role);
	if (rc == C2C_ENOTFOUND || (rc == 0 && strcmp(role, "office"))) {
		err_set(C2C_EINVALID, "node %s is not a registered office node", node_id);
		err = err_hint("register it first: 'c2c node add %s --role office KEY.pub'", node_id);
		goto done;
	}
	if (rc < 0) {
		err = rc;
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
		err = ERR_OOM();
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
		int rc = store_root_next(n->st, root, &next);
		if (rc == C2C_ENOTFOUND)
			break;
		if (rc < 0) {
			err = rc;
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
