/* incoming: who signed a commit, against the registry (include/c2c/incoming.h, I1 and I9). */
#include "c2c/incoming_ck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/registry.h"

/* The "nodes" record in TREE whose pubkey is KEY: *id, *city (NULL if
 * none), *role. 0 found, C2C_ENOTFOUND, or an error. */
typedef struct {
	const char *key;
	char **id, **city, **role;
} key_find;

static int key_match(const char *id, const char *text, size_t len, void *payload)
{
	key_find *f = payload;
	json_t *rec;
	if (canon_load(text, len, &rec) < 0)
		return C2C_ENOMEM;
	const char *pk = json_string_value(json_object_get(rec, "pubkey"));
	int found = 0;
	if (pk && !strcmp(pk, f->key) && !merge_is_deleted(rec)) {
		const char *c = json_string_value(json_object_get(rec, "city"));
		const char *ro = json_string_value(json_object_get(rec, "role"));
		*f->id = strdup(id);
		*f->city = c ? strdup(c) : NULL;
		*f->role = strdup(ro ? ro : "city");
		found = *f->id && *f->role && (!c || *f->city) ? 1 : ERR_OOM();
	}
	json_decref(rec);
	return found;
}

static int tree_registry_find(git_repository *r, const git_tree *tree, const char *key, char **id, char **city,
                              char **role)
{
	key_find f = {key, id, city, role};
	*id = *city = *role = NULL;
	int rc = registry_tree_records(r, git_tree_id(tree), "nodes", 0, key_match, &f);
	return rc == 1 ? 0 : rc < 0 ? rc : C2C_ENOTFOUND;
}

/* The registry of the tree of each parent of K->c (checked before it, or
 * in the head's history): 0 found, C2C_ENOTFOUND, or an error. */
static int parents_registry_find(ck *k, const char *key, char **role)
{
	int err = C2C_ENOTFOUND;
	for (unsigned i = 0; i < git_commit_parentcount(k->c) && err == C2C_ENOTFOUND; i++) {
		git_commit *p = NULL;
		git_tree *t = NULL;
		int rc;
		if ((rc = git_commit_parent(&p, k->c, i)) < 0 || (rc = git_commit_tree(&t, p)) < 0)
			err = err_git(rc, "reading a parent's tree");
		else
			err = tree_registry_find(k->cx->repo, t, key, &k->signer, &k->city, role);
		git_tree_free(t);
		git_commit_free(p);
	}
	return err;
}

/* A revoked key signs nothing after its cut (the cut and its ancestors
 * stay valid), whatever the commit's own tree says: the revocations are
 * those of the history this receiver accepted, and of what passed with
 * this batch. */
static int check_revoked(ck *k, const char *key)
{
	const registry_revocation *rv = registry_revocations_find(&k->b->revs, key);
	if (!rv)
		return 0;
	int in = registry_within_cut(k->cx->repo, rv, git_commit_id(k->c));
	if (in < 0)
		return in;
	if (in)
		return 0;
	char cut[GIT_OID_HEXSZ + 1];
	git_oid_tostr(cut, sizeof(cut), &rv->cut);
	return incoming_refuse(
	    k, "signed by %s, whose key the office revoked on %s%s%s%s; only its commits up to %.12s stay valid",
	    rv->node_id, rv->revoked_at ? rv->revoked_at : "?", rv->reason ? " (" : "", rv->reason ? rv->reason : "",
	    rv->reason ? ")" : "", cut);
}

/* Who signed K->c, checked against the registry:
 *  1. the registry of the head (accepted: any role);
 *  2. the registry of the commit's parents (checked before it: any role);
 *  3. the root key itself (the office's first commit registers it);
 *  4. the registry of the tip checked: a city's node only, whose commits
 *     made before its registration reached it count once it has.
 * An office node is never taken from a tree the commit itself makes. */
int incoming_check_signer(ck *k)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_tree *tree = NULL;
	char *key = NULL, *role = NULL;
	int err;
	int rc = git_commit_extract_signature(&sig, &data, k->cx->repo, (git_oid *)git_commit_id(k->c), "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return incoming_refuse(k, "it is not signed (every commit after genesis must be)");
	}
	if (rc < 0)
		return err_git(rc, "reading a commit's signature");
	if ((err = keys_verify_git(data.ptr, data.size, sig.ptr, sig.size, &key)) < 0) {
		if (err == C2C_ENOMEM || err == C2C_EFAIL)
			goto done; /* libcrypto failed (out of memory): no verdict on the commit */
		char why[512];
		snprintf(why, sizeof(why), "%s", err_msg());
		err = incoming_refuse(k, "its signature does not check: %s", why);
		goto done;
	}
	err = registry_find_in(k->cx->st, key, &k->signer, &k->city, &role);
	if (err == C2C_ENOTFOUND)
		err = parents_registry_find(k, key, &role);
	if (err == C2C_ENOTFOUND && k->root && !strcmp(key, k->root)) {
		/* The root: its id is in the tree it writes, or its trailer. */
		if ((rc = git_commit_tree(&tree, k->c)) < 0) {
			err = err_git(rc, "reading a commit's tree");
			goto done;
		}
		err = tree_registry_find(k->cx->repo, tree, key, &k->signer, &k->city, &role);
		if (err == 0 && (k->city || strcmp(role, "office"))) {
			err = incoming_refuse(k, "the network's root key is registered as %s, not as an office node",
			                      k->signer);
			goto done;
		}
	}
	if (err == C2C_ENOTFOUND && k->tip_tree &&
	    (err = tree_registry_find(k->cx->repo, k->tip_tree, key, &k->signer, &k->city, &role)) == 0) {
		k->tip_registry = 1;
		/* (A node without a root key cannot tell an office from
		 * another: it takes the tip's word, as for any signer.) */
		if (!k->city && k->root) {
			err = incoming_refuse(
			    k, "signed by %s, an office node not registered in the history it is built on", k->signer);
			goto done;
		}
	}
	if (err == C2C_ENOTFOUND && !k->root) {
		/* A node that has no office key yet cannot tell who may write
		 * what: the signature must check, and the signer is the node
		 * its commit names. */
		git_message_trailer_array tr = {0};
		int named = 0;
		if ((rc = git_message_trailers(&tr, git_commit_message(k->c))) < 0) {
			/* It fails only when it cannot allocate. */
			err = err_git(rc, "reading a commit's trailers");
			goto done;
		}
		for (size_t i = 0; i < tr.count && !named; i++)
			if (!strcmp(tr.trailers[i].key, "C2C-Node")) {
				named = 1;
				k->signer = strdup(tr.trailers[i].value);
			}
		git_message_trailer_array_free(&tr);
		if (named && !k->signer)
			err = ERR_OOM();
		else if (!k->signer)
			err = incoming_refuse(k, "it does not name the node that made it (C2C-Node)");
		else
			err = 0, k->open = 1;
		if (err == 0)
			err = check_revoked(k, key);
		goto done;
	}
	if (err == C2C_ENOTFOUND) {
		char *fp = NULL;
		keys_line_fingerprint(key, &fp);
		err = incoming_refuse(k, "signed by key %s, which the office has not registered", fp ? fp : "?");
		free(fp);
		goto done;
	}
	if (err < 0)
		goto done;
	if (!k->signer) {
		/* The root's first commit, before it registers itself. */
		err = incoming_refuse(k, "signed by the root key, but no registration names its node");
		goto done;
	}
	if (!k->city && role && strcmp(role, "office")) {
		err = incoming_refuse(k, "signed by %s, a %s, which writes no records", k->signer, role);
		goto done;
	}
	err = check_revoked(k, key);
done:
	free(k->key);
	k->key = key;
	free(role);
	git_tree_free(tree);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return err;
}
