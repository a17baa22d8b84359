/* registry: the office's key and the node registry (include/c2c/registry.h). */
#include "c2c/registry.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/hub.h"
#include "c2c/keys.h"
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
	if (registry_find(n, line, &other, &oc) == 0) {
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

int registry_find(c2c_node *n, const char *line, char **node_id, char **city)
{
	sqlite3_stmt *s = NULL;
	*node_id = *city = NULL;
	int rc = sqlite3_prepare_v2(store_db(n->st), "SELECT id, city FROM nodes WHERE pubkey = ? ORDER BY id LIMIT 1",
	                            -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, line, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*node_id = col(s, 0);
		*city = col(s, 1);
		rc = *node_id ? SQLITE_OK : SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	return rc == SQLITE_OK ? 0 : err_sqlite(store_db(n->st), rc, "reading the node registry");
}

int registry_list(c2c_node *n, json_t **out)
{
	sqlite3_stmt *s = NULL;
	json_t *a = json_array();
	int rc = a ? sqlite3_prepare_v2(store_db(n->st),
	                                "SELECT id, city, role, pubkey FROM nodes WHERE pubkey IS NOT NULL ORDER BY id", -1,
	                                &s, NULL)
	           : SQLITE_NOMEM;
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[4];
		for (int i = 0; i < 4; i++)
			v[i] = (const char *)sqlite3_column_text(s, i);
		if (json_array_append_new(a, json_pack("{s:s,s:s?,s:s?,s:s}", "node_id", v[0], "city", v[1], "role", v[2],
		                                       "pubkey", v[3])) < 0)
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
	} else if ((err = registry_find(n, key, signer, &city)) == 0) {
		*status = SIG_GOOD;
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
