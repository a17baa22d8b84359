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
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/store.h"

/* A registry's live records by key (reg_index, incoming_ck.h): each
 * record of a network/nodes tree is parsed once per batch, not once for
 * each commit whose signer is looked up in it (a thousand branches built
 * on one registry cost a thousand scans of it). */
static void reg_entry_free(reg_entry *e)
{
	free(e->key);
	free(e->id);
	free(e->city);
	free(e->role);
}

static void reg_index_free(reg_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		reg_entry_free(&x->v[i]);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

void incoming_regs_free(incoming_batch *b)
{
	for (size_t i = 0; i < b->nregs; i++)
		reg_index_free(&b->regs[i]);
	b->nregs = 0;
}

static int reg_add(const char *id, const char *text, size_t len, void *payload)
{
	reg_index *x = payload;
	json_t *rec;
	int err = 0;
	if (canon_load(text, len, &rec) < 0)
		return ERR_OOM();
	const char *pk = json_string_value(json_object_get(rec, "pubkey")); /* not JSON: rec NULL, skipped */
	if (pk && !merge_is_deleted(rec)) {
		const char *c = json_string_value(json_object_get(rec, "city"));
		const char *ro = json_string_value(json_object_get(rec, "role"));
		reg_entry e = {strdup(pk), strdup(id), c ? strdup(c) : NULL, strdup(ro ? ro : "city"), x->n};
		if (!e.key || !e.id || !e.role || (c && !e.city)) {
			reg_entry_free(&e);
			err = ERR_OOM();
		} else if (x->n == x->cap) {
			size_t cap = x->cap ? 2 * x->cap : 64;
			reg_entry *v = realloc(x->v, cap * sizeof(*v));
			if (!v) {
				reg_entry_free(&e);
				err = ERR_OOM();
			} else {
				x->v = v, x->cap = cap;
			}
		}
		if (err == 0 && e.key)
			x->v[x->n++] = e;
	}
	json_decref(rec);
	return err;
}

static int reg_cmp(const void *a_, const void *b_)
{
	const reg_entry *a = a_, *b = b_;
	int c = strcmp(a->key, b->key);
	return c ? c : (a->order > b->order) - (a->order < b->order);
}

/* The index of the registry in TREE (a root tree), read on first use;
 * NULL with *err 0 when TREE has no network/nodes. */
static const reg_index *reg_index_of(ck *k, const git_tree *tree, int *err)
{
	incoming_batch *b = k->b;
	git_tree_entry *e = NULL;
	*err = 0;
	if (git_tree_entry_bypath(&e, tree, "network/nodes") < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		git_tree_entry_free(e);
		git_error_clear();
		return NULL;
	}
	git_oid id;
	git_oid_cpy(&id, git_tree_entry_id(e));
	git_tree_entry_free(e);
	for (size_t i = b->nregs; i-- > 0;)
		if (git_oid_equal(&b->regs[i].tree, &id))
			return &b->regs[i];
	if (b->nregs == REG_INDEX_KEEP) { /* the oldest goes */
		reg_index_free(&b->regs[0]);
		memmove(&b->regs[0], &b->regs[1], (REG_INDEX_KEEP - 1) * sizeof(b->regs[0]));
		memset(&b->regs[REG_INDEX_KEEP - 1], 0, sizeof(b->regs[0]));
		b->nregs--;
	}
	reg_index *x = &b->regs[b->nregs];
	if ((*err = registry_tree_records(k->cx->repo, git_tree_id(tree), "nodes", 0, reg_add, x)) < 0) {
		reg_index_free(x);
		return NULL;
	}
	qsort(x->v, x->n, sizeof(*x->v), reg_cmp);
	git_oid_cpy(&x->tree, &id);
	b->nregs++;
	return x;
}

/* The record of node NAME in TREE, if it is live and its pubkey is KEY:
 * 1 and *id, *city, *role; 0 if not; C2C_ENOMEM. */
static int named_record(ck *k, const git_tree *tree, const char *name, const char *key, char **id, char **city,
                        char **role)
{
	table_def nodes = {0};
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	json_t *rec = NULL;
	char *path = NULL;
	int found = 0;
	nodes.name = (char *)"nodes";
	if (!record_id_valid(name) || record_path(&nodes, NULL, name, &path) < 0) {
		err_clear();
		return 0;
	}
	if (git_tree_entry_bypath(&e, tree, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
	    git_blob_lookup(&b, k->cx->repo, git_tree_entry_id(e)) == 0 &&
	    (found = canon_load(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), &rec)) == 0 && rec) {
		const char *pk = json_string_value(json_object_get(rec, "pubkey"));
		if (pk && !strcmp(pk, key) && !merge_is_deleted(rec)) {
			const char *c = json_string_value(json_object_get(rec, "city"));
			const char *ro = json_string_value(json_object_get(rec, "role"));
			*id = strdup(name);
			*city = c ? strdup(c) : NULL;
			*role = strdup(ro ? ro : "city");
			found = *id && *role && (!c || *city) ? 1 : ERR_OOM();
		}
	}
	git_error_clear();
	json_decref(rec);
	git_blob_free(b);
	git_tree_entry_free(e);
	free(path);
	return found;
}

/* The "nodes" record in TREE whose pubkey is KEY: *id, *city (NULL if
 * none), *role. 0 found, C2C_ENOTFOUND, or an error. The record of the
 * node the commit names (its C2C-Node trailer, which must be the signer)
 * is read first, by its path: a registry of a thousand nodes is not read
 * whole for each commit of the office's that registered them one by one,
 * each on a registry of its own. Otherwise (no trailer, or that record
 * lacks the key) the first live record with the key, as a scan of the
 * tree finds it (reg_index). */
static int tree_registry_find(ck *k, const git_tree *tree, const char *key, char **id, char **city, char **role)
{
	int err;
	*id = *city = *role = NULL;
	if (k->named[0] && (err = named_record(k, tree, k->named, key, id, city, role)) != 0)
		return err < 0 ? err : 0;
	const reg_index *x = reg_index_of(k, tree, &err);
	if (!x)
		return err < 0 ? err : C2C_ENOTFOUND;
	size_t lo = 0, hi = x->n; /* the first entry whose key is not below KEY */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->n || strcmp(x->v[lo].key, key))
		return C2C_ENOTFOUND;
	const reg_entry *f = &x->v[lo];
	*id = strdup(f->id);
	*city = f->city ? strdup(f->city) : NULL;
	*role = strdup(f->role);
	if (!*id || !*role || (f->city && !*city)) {
		free(*id), free(*city), free(*role);
		*id = *city = *role = NULL;
		return ERR_OOM();
	}
	return 0;
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
			err = tree_registry_find(k, t, key, &k->signer, &k->city, role);
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
	git_message_trailer_array trailers = {0};
	int err;
	k->named[0] = '\0';
	if (git_message_trailers(&trailers, git_commit_message(k->c)) == 0)
		for (size_t i = 0; i < trailers.count && !k->named[0]; i++)
			if (!strcmp(trailers.trailers[i].key, "C2C-Node") && strlen(trailers.trailers[i].value) < sizeof(k->named))
				snprintf(k->named, sizeof(k->named), "%s", trailers.trailers[i].value);
	git_message_trailer_array_free(&trailers);
	git_error_clear();
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
		err = tree_registry_find(k, tree, key, &k->signer, &k->city, &role);
		if (err == 0 && (k->city || strcmp(role, "office"))) {
			err = incoming_refuse(k, "the network's root key is registered as %s, not as an office node",
			                      k->signer);
			goto done;
		}
	}
	if (err == C2C_ENOTFOUND && k->tip_tree &&
	    (err = tree_registry_find(k, k->tip_tree, key, &k->signer, &k->city, &role)) == 0) {
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
