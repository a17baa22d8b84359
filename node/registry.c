/* registry: the office's key and the node registry (include/c2c/registry.h). */
#include "c2c/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/util.h"

#define KEY_FILE_MAX 8192

int registry_read_key_file(const char *file, char **line)
{
	char *buf = NULL;
	const char *enc;
	int err;
	*line = NULL;
	/* (A file larger than any key file is not one.) */
	if ((err = read_file(file, KEY_FILE_MAX, &buf, NULL)) < 0 && err != C2C_EINVALID)
		return err;
	/* "ssh-ed25519 BASE64 [comment]": keep the first two words. */
	if (err < 0 || keys_parse_line(buf, &enc, NULL, NULL) < 0) {
		free(buf);
		err_set(C2C_EINVALID, "%s: not an ssh-ed25519 public key", file);
		return err_hint("give the .pub file of the node's key (keys/id_ed25519.pub in its directory)");
	}
	size_t n = strlen("ssh-ed25519 ") + KEYS_B64_LEN;
	if ((*line = malloc(n + 1)))
		snprintf(*line, n + 1, "ssh-ed25519 %.*s", KEYS_B64_LEN, enc);
	free(buf);
	return *line ? 0 : ERR_OOM();
}

int registry_office_key(c2c_node *n, char **line)
{
	int err = store_state_get(n->st, "office_key", line);
	if (err == 0 && !*line)
		return C2C_ENOTFOUND;
	return err;
}

int registry_find(c2c_node *n, const char *line, char **node_id, char **city, char **role)
{
	return registry_find_in(n->st, line, node_id, city, role);
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
		err = ERR_OOM();
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
		return ERR_OOM();
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
		err = ERR_OOM();
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

