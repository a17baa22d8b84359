/* incoming: checks on every commit from another node (include/c2c/incoming.h). */
#include "c2c/incoming.h"

#include <git2/sys/odb_backend.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/repo.h"
#include "c2c/store.h"

/* Commits that passed, with the bound of the Lamport times their trees
 * hold (an open-addressing table keyed by the id's first bytes). */
typedef struct {
	git_oid id;
	long long bound;
	int used;
} passed;

struct incoming_batch {
	c2c_node *n;
	passed *v;
	size_t n_used, cap;
	git_oid *tips;       /* tips that passed whole: their histories are not walked again */
	size_t ntips;
	long long base;      /* the node's Lamport time: bounds what its head's history holds */
	long long highest;   /* the highest Lamport time of the commits that passed */
	git_tree *head_tree; /* the tree of the node's head: the versions it knows */
	registry_revocations revs; /* the head's, and those of tips that passed (incoming_batch_learn) */
	git_oid *seen;             /* the trees of network/revocations read into revs */
	size_t nseen;
};

/* What one node brings in at once, per city: deletions not confirmed. */
typedef struct {
	char city[RECORD_ID_MAX + 1];
	size_t unconfirmed, total;
	int counted;
} tally;

typedef struct {
	c2c_node *n;
	incoming_batch *b;
	const char *from;
	git_commit *c;
	char hex[GIT_OID_HEXSZ + 1];
	char *signer, *city; /* the signing node; its city (NULL: the office) */
	char *root;          /* the node's office key, or NULL */
	char *key;           /* the key that signed k->c */
	int open;            /* no office key yet: who may write what is not known */
	git_tree *tip_tree;  /* the tree of the tip being checked */
	int tip_registry;    /* a signer was found only in the tip's registry */
	size_t deleted;      /* records this commit deletes */
	long long bound;     /* the Lamport times the commit's parent holds are at most this */
	long long lamport;   /* the Lamport time of the commit's edit; -1 while none is seen */
	tally *tallies;      /* per city, over the commits of this check */
	size_t ntallies;
	char path[1024];
} ck;

static int refuse(ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(ck *k, const char *fmt, ...)
{
	char rule[768];
	/* Running out of memory while reading the commit is this node's
	 * trouble, not the commit's: an error, never a refusal (a branch held
	 * for it would wait for nothing). */
	if (err_code() == C2C_ENOMEM)
		return C2C_ENOMEM;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	err_set(C2C_EINVALID, "%s: commit %s refused: %s", k->from, k->hex, rule);
	return err_hint("nothing of it was merged; the node that made it must be repaired, or the office asked");
}

/* -------------------------------------------------------------- registry */

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
		found = *f->id && *f->role && (!c || *f->city) ? 1 : err_set(C2C_ENOMEM, "out of memory");
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
			err = tree_registry_find(k->n->repo, t, key, &k->signer, &k->city, role);
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
	int in = registry_within_cut(k->n->repo, rv, git_commit_id(k->c));
	if (in < 0)
		return in;
	if (in)
		return 0;
	char cut[GIT_OID_HEXSZ + 1];
	git_oid_tostr(cut, sizeof(cut), &rv->cut);
	return refuse(k, "signed by %s, whose key the office revoked on %s%s%s%s; only its commits up to %.12s stay valid",
	              rv->node_id, rv->revoked_at ? rv->revoked_at : "?", rv->reason ? " (" : "",
	              rv->reason ? rv->reason : "", rv->reason ? ")" : "", cut);
}

/* Who signed K->c, checked against the registry:
 *  1. the registry of the head (accepted: any role);
 *  2. the registry of the commit's parents (checked before it: any role);
 *  3. the root key itself (the office's first commit registers it);
 *  4. the registry of the tip checked: a city's node only, whose commits
 *     made before its registration reached it count once it has.
 * An office node is never taken from a tree the commit itself makes. */
static int check_signature(ck *k)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_tree *tree = NULL;
	char *key = NULL, *role = NULL;
	int err;
	int rc = git_commit_extract_signature(&sig, &data, k->n->repo, (git_oid *)git_commit_id(k->c), "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return refuse(k, "it is not signed (every commit after genesis must be)");
	}
	if (rc < 0)
		return err_git(rc, "reading a commit's signature");
	if ((err = keys_verify_git(data.ptr, data.size, sig.ptr, sig.size, &key)) < 0) {
		if (err == C2C_ENOMEM || err == C2C_EFAIL)
			goto done; /* libcrypto failed (out of memory): no verdict on the commit */
		char why[512];
		snprintf(why, sizeof(why), "%s", err_msg());
		err = refuse(k, "its signature does not check: %s", why);
		goto done;
	}
	err = registry_find(k->n, key, &k->signer, &k->city, &role);
	if (err == C2C_ENOTFOUND)
		err = parents_registry_find(k, key, &role);
	if (err == C2C_ENOTFOUND && k->root && !strcmp(key, k->root)) {
		/* The root: its id is in the tree it writes, or its trailer. */
		if ((rc = git_commit_tree(&tree, k->c)) < 0) {
			err = err_git(rc, "reading a commit's tree");
			goto done;
		}
		err = tree_registry_find(k->n->repo, tree, key, &k->signer, &k->city, &role);
		if (err == 0 && (k->city || strcmp(role, "office"))) {
			err = refuse(k, "the network's root key is registered as %s, not as an office node", k->signer);
			goto done;
		}
	}
	if (err == C2C_ENOTFOUND && k->tip_tree &&
	    (err = tree_registry_find(k->n->repo, k->tip_tree, key, &k->signer, &k->city, &role)) == 0) {
		k->tip_registry = 1;
		/* (A node without a root key cannot tell an office from
		 * another: it takes the tip's word, as for any signer.) */
		if (!k->city && k->root) {
			err = refuse(k, "signed by %s, an office node not registered in the history it is built on",
			             k->signer);
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
			err = err_set(C2C_ENOMEM, "out of memory");
		else if (!k->signer)
			err = refuse(k, "it does not name the node that made it (C2C-Node)");
		else
			err = 0, k->open = 1;
		if (err == 0)
			err = check_revoked(k, key);
		goto done;
	}
	if (err == C2C_ENOTFOUND) {
		char *fp = NULL;
		keys_line_fingerprint(key, &fp);
		err = refuse(k, "signed by key %s, which the office has not registered", fp ? fp : "?");
		free(fp);
		goto done;
	}
	if (err < 0)
		goto done;
	if (!k->signer) {
		/* The root's first commit, before it registers itself. */
		err = refuse(k, "signed by the root key, but no registration names its node");
		goto done;
	}
	if (!k->city && role && strcmp(role, "office")) {
		err = refuse(k, "signed by %s, a %s, which writes no records", k->signer, role);
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

/* ----------------------------------------------------------- the change */

static int name_safe(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && strcasecmp(name, ".git") && !strchr(name, '/') &&
	       !strchr(name, '\\');
}

/* Is PATH inside the signer's namespace? */
static int in_namespace(const ck *k, const char *path)
{
	if (k->open)
		return 1;
	if (!k->city)
		return !strncmp(path, "network/", 8);
	size_t l = strlen(k->city);
	return !strncmp(path, "cities/", 7) && !strncmp(path + 7, k->city, l) && path[7 + l] == '/';
}

static int load_json(git_repository *r, const git_oid *id, json_t **out)
{
	git_blob *b = NULL;
	*out = NULL;
	if (git_blob_lookup(&b, r, id) < 0)
		return err_git(-1, "reading a record");
	int err = canon_load(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), out);
	git_blob_free(b);
	if (err < 0)
		return err;
return 0;
}

static int type_ok(const field_def *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return 1;
	switch (f->type) {
	case FT_INT:
		return json_is_integer(v);
	case FT_SET:
		if (!json_is_array(v))
			return 0;
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return 0;
		return 1;
	default:
		return json_is_string(v);
	}
}

/* A dot of a version: (node, counter, Lamport time). */
typedef struct {
	const char *node;
	long long k, l;
	const json_t *clock; /* a deletion's clock, else NULL */
} dot;

typedef struct {
	dot *v;
	size_t n, cap;
} dots;

static int dots_add(dots *d, const json_t *a, size_t off, const json_t *clock)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		dot *v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return err_set(C2C_ENOMEM, "out of memory");
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].node = json_string_value(json_array_get(a, off));
	d->v[d->n].k = json_integer_value(json_array_get(a, off + 1));
	d->v[d->n].l = json_integer_value(json_array_get(a, off + 2));
	d->v[d->n].clock = clock;
	if (!d->v[d->n].node)
		d->v[d->n].node = "";
	d->n++;
	return 0;
}

/* Every dot REC holds: standing values, conflicts, set elements, deletions
 * (the bookkeeping is well-formed: merge_records has read it). */
static int dots_of(const json_t *rec, dots *d)
{
	const json_t *meta = json_object_get(rec, "_c2c"), *x, *y, *del;
	const char *f, *e;
	int err = 0;
	json_object_foreach((json_t *)json_object_get(meta, "dots"), f, x) if (err == 0) err = dots_add(d, x, 0, NULL);
	json_object_foreach((json_t *)json_object_get(meta, "conflicts"), f, x)
	{
		for (size_t i = 0; i < json_array_size(x) && err == 0; i++)
			err = dots_add(d, json_array_get(x, i), 1, NULL);
	}
	json_object_foreach((json_t *)json_object_get(meta, "elems"), f, x)
	{
		json_object_foreach((json_t *)x, e, y)
		{
			for (size_t i = 0; i < json_array_size(y) && err == 0; i++)
				err = dots_add(d, json_array_get(y, i), 0, NULL);
		}
	}
	del = json_object_get(meta, "deleted");
	if (json_is_string(json_array_get(del, 0))) /* the older form: one deletion */
		err = err ? err : dots_add(d, del, 0, json_object_get(meta, "clock"));
	else
		for (size_t i = 0; i < json_array_size(del) && err == 0; i++)
			err = dots_add(d, json_array_get(del, i), 0, json_array_get(json_array_get(del, i), 3));
	return err;
}

static int dots_has(const dots *d, const char *node, long long k)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].k == k && !strcmp(d->v[i].node, node))
			return 1;
	return 0;
}

static long long clock_of(const json_t *rec, const char *node)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(rec, "_c2c"), "clock"), node));
}

/* The invariants of one edit (incoming.h): REC, the new version of the
 * record at K->path in a commit signed by K->signer, against OLD, its
 * version in the commit's parent (NULL: none). */
static int check_edit(ck *k, const json_t *old, const json_t *rec)
{
	json_t *joined = NULL;
	dots od = {0}, nd = {0};
	const char *node;
	json_t *v;
	char why[512];
	int err = 0;
	/* A version only moves forward: it has seen all its parent held, and a
	 * dot both hold carries the same data in both. */
	if (old && merge_records(old, rec, &joined) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
		err = refuse(k, "%s: %s", k->path, why);
		goto done;
	}
	if (old && !json_equal(joined, rec)) {
		err = refuse(k, "%s: its new version drops what its parent's version held (versions only move forward)",
		             k->path);
		goto done;
	}
	/* Only the signer's own entry advances, and by one: one edit. */
	json_object_foreach(json_object_get(json_object_get(rec, "_c2c"), "clock"), node, v)
	{
		if (strcmp(node, k->signer) && json_integer_value(v) != clock_of(old, node)) {
			err = refuse(k, "%s: it advances the clock of node %s, which did not sign it", k->path, node);
			goto done;
		}
	}
	long long was = clock_of(old, k->signer), now = clock_of(rec, k->signer);
	if (now != was + 1) {
		err = refuse(k, "%s: it moves the clock of its signer %s from %lld to %lld (an edit advances it by one)",
		             k->path, k->signer, was, now);
		goto done;
	}
	/* Every dot the parent did not hold is this edit's: the signer's, at
	 * the new counter, at one Lamport time for the whole commit, after
	 * everything the record held and at most one past what the parent's
	 * history holds. */
	if ((old && (err = dots_of(old, &od)) < 0) || (err = dots_of(rec, &nd)) < 0)
		goto done;
	long long after = old ? record_max_lamport(old) : 0;
	for (size_t i = 0; i < nd.n; i++) {
		const dot *d = &nd.v[i];
		if (dots_has(&od, d->node, d->k))
			continue;
		if (strcmp(d->node, k->signer) || d->k != now) {
			err = refuse(k, "%s: it holds a new edit [%s, %lld] that is not its signer's edit [%s, %lld]", k->path,
			             d->node, d->k, k->signer, now);
			goto done;
		}
		if (k->lamport < 0) {
			if (d->l <= after) {
				err = refuse(k, "%s: its edit's Lamport time %lld is not after the %lld the record held", k->path,
				             d->l, after);
				goto done;
			}
			if (d->l > k->bound + 1) {
				err = refuse(k,
				             "%s: its edit's Lamport time %lld is more than one past the %lld its history holds "
				             "(a Lamport time rises by one an edit)",
				             k->path, d->l, k->bound);
				goto done;
			}
			k->lamport = d->l;
		} else if (d->l != k->lamport || d->l <= after) {
			err = refuse(k, "%s: its edit's Lamport time %lld is not the commit's (%lld), or not after the record's",
			             k->path, d->l, k->lamport);
			goto done;
		}
		/* A deletion has seen exactly what the version it deletes had. */
		if (d->clock && !json_equal(d->clock, json_object_get(json_object_get(rec, "_c2c"), "clock"))) {
			err = refuse(k, "%s: its deletion [%s, %lld] carries a clock other than the record's", k->path, d->node,
			             d->k);
			goto done;
		}
	}
done:
	free(od.v);
	free(nd.v);
	json_decref(joined);
	return err;
}

/* A dot is one edit and carries one value forever: REC may not give a dot
 * that the version this node holds at its head has a different value. */
static int check_known(ck *k, const git_oid *old, const git_oid *new_, const json_t *rec)
{
	git_tree_entry *e = NULL;
	json_t *mine = NULL, *joined = NULL;
	char why[512];
	int err = 0;
	if (!k->b->head_tree || git_tree_entry_bypath(&e, k->b->head_tree, k->path) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || git_oid_equal(git_tree_entry_id(e), new_) ||
	    (old && git_oid_equal(git_tree_entry_id(e), old)))
		goto done;
	if ((err = load_json(k->n->repo, git_tree_entry_id(e), &mine)) < 0)
		goto done;
	if (mine && merge_records(mine, rec, &joined) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
		err = refuse(k, "%s: against the version this node holds: %s", k->path, why);
	}
done:
	git_tree_entry_free(e);
	json_decref(mine);
	json_decref(joined);
	return err;
}

/* A new revocation (I9) names a cut in the history the commit is built
 * on, so that every node that accepts it can tell what stays valid; a
 * hand-over of the root is signed by the root it replaces. */
static int check_trust_record(ck *k, const char *table, const char *id, const json_t *rec)
{
	if (merge_is_deleted(rec))
		return refuse(k, "%s: a %s is never deleted", k->path, table);
	if (!strcmp(table, "roots")) {
		const char *prev = json_string_value(json_object_get(rec, "previous"));
		if (!prev || !k->key || strcmp(prev, k->key) || k->city)
			return refuse(k, "%s: a hand-over of the root must be signed by the root it replaces", k->path);
		return 0;
	}
	const char *cut = json_string_value(json_object_get(rec, "keep_until"));
	git_oid c;
	if (!cut || strlen(cut) != GIT_OID_HEXSZ || git_oid_fromstr(&c, cut) < 0) {
		git_error_clear();
		return refuse(k, "%s: the revocation of %s names no commit to keep until", k->path, id);
	}
	const git_oid *parent = git_commit_parent_id(k->c, 0);
	if (!git_oid_equal(&c, parent) && git_graph_descendant_of(k->n->repo, parent, &c) != 1) {
		git_error_clear();
		return refuse(k, "%s: the revocation of %s keeps commits up to %.12s, which the history it is built on "
		                 "does not hold",
		              k->path, id, cut);
	}
	return 0;
}

/* A new or changed file at K->path: OLD (NULL: new) and NEW blob ids. */
static int check_record(ck *k, const git_oid *old, const git_oid *new_)
{
	git_odb *odb = NULL;
	size_t size = 0;
	git_object_t type;
	git_blob *b = NULL;
	json_t *rec = NULL, *prev = NULL, *copy = NULL;
	char *canon = NULL;
	size_t clen = 0;
	char table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	int rc, err = 0;
	if ((rc = git_repository_odb(&odb, k->n->repo)) < 0 || (rc = git_odb_read_header(&size, &type, odb, new_)) < 0) {
		git_odb_free(odb);
		return err_git(rc, k->path);
	}
	git_odb_free(odb);
	if (size > INCOMING_MAX_BLOB)
		return refuse(k, "%s is %zu bytes, over the %d a record may have", k->path, size, INCOMING_MAX_BLOB);
	if (record_parse_path(k->path, table, id, city) < 0) {
		err_clear();
		return refuse(k, "%s is not a record path", k->path);
	}
	const table_def *t = store_table(k->n->st, table);
	if (!t)
		return refuse(k, "%s: this node has no table '%s'", k->path, table);
	int trust = !strcmp(table, "revocations") || !strcmp(table, "roots");
	if (trust && old)
		return refuse(k, "%s: a %s never changes once made", k->path,
		              !strcmp(table, "roots") ? "hand-over of the root" : "revocation");
	if ((rc = git_blob_lookup(&b, k->n->repo, new_)) < 0)
		return err_git(rc, k->path);
	const char *text = git_blob_rawcontent(b);
	size_t len = (size_t)git_blob_rawsize(b);
	if (canon_parse(text, len, k->path, &rec) < 0 && err_code() == C2C_ENOMEM) {
		err = C2C_ENOMEM; /* short of memory: not the sender's fault */
		goto done;
	}
	if (!rec || !json_is_object(rec)) {
		char why[512];
		snprintf(why, sizeof(why), "%s", rec ? "not a JSON object" : err_msg());
		err = refuse(k, "%s is not a record: %s", k->path, why);
		goto done;
	}
	if (canon_dump(rec, &canon, &clen) < 0 || clen != len || memcmp(canon, text, len)) {
		err = refuse(k, "%s is not in canonical form", k->path);
		goto done;
	}
	if (merge_records(rec, NULL, &copy) < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", err_msg());
		err = refuse(k, "%s: %s", k->path, why);
		goto done;
	}
	for (size_t i = 0; i < t->nfields; i++)
		if (!type_ok(&t->fields[i], json_object_get(rec, t->fields[i].name))) {
			err = refuse(k, "%s: field '%s' is not of type %s's", k->path, t->fields[i].name, t->name);
			goto done;
		}
	if (t->city_scope) {
		const char *rc_city = json_string_value(json_object_get(rec, "city"));
		if (!rc_city || strcmp(rc_city, city)) {
			err = refuse(k, "%s: its city is not the city of its path", k->path);
			goto done;
		}
	}
	if (old && (err = load_json(k->n->repo, old, &prev)) < 0)
		goto done;
	if (old && !prev) {
		/* The parent passed these checks (or is this node's own history):
		 * not reading it now is this node's trouble, not the commit's. */
		err = err_set(C2C_EIO, "%s: its version in the parent cannot be read (out of memory?)", k->path);
		goto done;
	}
	if ((err = check_edit(k, prev, rec)) < 0 || (err = check_known(k, old, new_, rec)) < 0)
		goto done;
	if (trust && (err = check_trust_record(k, table, id, rec)) < 0)
		goto done;
	if (merge_is_deleted(rec) && !(prev && merge_is_deleted(prev)))
		k->deleted++;
done:
	free(canon);
	json_decref(rec);
	json_decref(prev);
	json_decref(copy);
	git_blob_free(b);
	return err;
}

/* Trees are canonical as git writes them, read from the raw object (libgit2
 * normalises modes as it parses a tree, and keeps duplicate names): modes
 * exactly 100644 (a record) and 40000 (a tree), names safe, sorted in git's
 * order (a tree's name as if it ended in '/'), each name once. */
typedef struct {
	const char *name;
	size_t len;
	int tree;
} raw_entry;

static int raw_cmp_git(const raw_entry *a, const raw_entry *b)
{
	return repo_entry_order(a->name, a->len, a->tree, b->name, b->len, b->tree);
}

static int raw_cmp_name(const void *x, const void *y)
{
	const raw_entry *a = x, *b = y;
	size_t l = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, l);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int check_raw_tree(ck *k, const git_oid *id, const char *where)
{
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	raw_entry *v = NULL;
	size_t n = 0, cap = 0;
	int rc, err = 0;
	if ((rc = git_repository_odb(&odb, k->n->repo)) < 0 || (rc = git_odb_read(&o, odb, id)) < 0) {
		err = err_git(rc, where[0] ? where : "the root tree");
		goto done;
	}
	const char *p = git_odb_object_data(o), *end = p + git_odb_object_size(o);
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *nul = sp ? memchr(sp + 1, '\0', (size_t)(end - sp - 1)) : NULL;
		if (!nul || end - nul - 1 < GIT_OID_RAWSZ) {
			err = refuse(k, "the tree at %s is malformed", where[0] ? where : "the root");
			goto done;
		}
		size_t ml = (size_t)(sp - p);
		int tree = ml == 5 && !memcmp(p, "40000", 5);
		if (!tree && !(ml == 6 && !memcmp(p, "100644", 6))) {
			err = refuse(k, "the tree at %s gives '%.*s' the mode %.*s (only 100644 and 40000 are written)",
			             where[0] ? where : "the root", (int)(nul - sp - 1), sp + 1, (int)(ml < 16 ? ml : 16), p);
			goto done;
		}
		if (n == cap) {
			raw_entry *x = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*x));
			if (!x) {
				err = err_set(C2C_ENOMEM, "out of memory");
				goto done;
			}
			v = x;
		}
		v[n].name = sp + 1;
		v[n].len = (size_t)(nul - sp - 1);
		v[n].tree = tree;
		if (n && raw_cmp_git(&v[n - 1], &v[n]) >= 0) {
			err = refuse(k, "the tree at %s lists '%.*s' out of git's order or twice", where[0] ? where : "the root",
			             (int)v[n].len, v[n].name);
			goto done;
		}
		n++;
		p = nul + 1 + GIT_OID_RAWSZ;
	}
	/* "a" and "a/" sort apart; the same name twice is still refused. */
	qsort(v, n, sizeof(*v), raw_cmp_name);
	for (size_t i = 1; i < n; i++)
		if (!raw_cmp_name(&v[i - 1], &v[i])) {
			err = refuse(k, "the tree at %s lists '%.*s' twice", where[0] ? where : "the root", (int)v[i].len,
			             v[i].name);
			goto done;
		}
done:
	free(v);
	git_odb_object_free(o);
	git_odb_free(odb);
	return err;
}

/* Walk what differs between OLD (may be NULL) and NEW under PREFIX. */
static int walk(ck *k, const git_tree *old, const git_tree *new_, size_t plen)
{
	int err = 0;
	for (size_t i = 0; i < git_tree_entrycount(new_) && err == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(new_, i);
		const char *name = git_tree_entry_name(e);
		const git_tree_entry *oe = old ? git_tree_entry_byname(old, name) : NULL;
		if (oe && git_oid_equal(git_tree_entry_id(oe), git_tree_entry_id(e)) &&
		    git_tree_entry_filemode(oe) == git_tree_entry_filemode(e))
			continue;
		snprintf(k->path + plen, sizeof(k->path) - plen, "%s", name);
		size_t l = strlen(k->path);
		if (!name_safe(name))
			return refuse(k, "it holds an entry named '%s' at %s", name, k->path);
		git_filemode_t mode = git_tree_entry_filemode(e);
		if (mode == GIT_FILEMODE_TREE) {
			git_tree *sub = NULL, *osub = NULL;
			if ((err = check_raw_tree(k, git_tree_entry_id(e), k->path)) < 0)
				return err;
			int rc = git_tree_lookup(&sub, k->n->repo, git_tree_entry_id(e));
			if (rc == 0 && oe && git_tree_entry_filemode(oe) == GIT_FILEMODE_TREE)
				rc = git_tree_lookup(&osub, k->n->repo, git_tree_entry_id(oe));
			if (rc < 0)
				err = err_git(rc, k->path);
			else if (l + 2 >= sizeof(k->path))
				err = refuse(k, "a path longer than %zu bytes", sizeof(k->path));
			else {
				k->path[l] = '/';
				k->path[l + 1] = '\0';
				err = walk(k, osub, sub, l + 1);
			}
			git_tree_free(sub);
			git_tree_free(osub);
		} else if (mode != GIT_FILEMODE_BLOB) {
			return refuse(k, "%s is a %s, not a plain file", k->path,
			              mode == GIT_FILEMODE_LINK     ? "symbolic link"
			              : mode == GIT_FILEMODE_COMMIT ? "submodule"
			                                            : "executable file");
		} else if (!in_namespace(k, k->path)) {
			return refuse(k, "%s %s writes %s, outside %s%s%s", k->city ? "node" : "the office", k->signer, k->path,
			              k->city ? "cities/" : "network/", k->city ? k->city : "", k->city ? "/" : "");
		} else {
			err = check_record(k, oe && git_tree_entry_filemode(oe) == GIT_FILEMODE_BLOB ? git_tree_entry_id(oe)
			                                                                           : NULL,
			                   git_tree_entry_id(e));
		}
	}
	for (size_t i = 0; old && i < git_tree_entrycount(old) && err == 0; i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(old, i));
		if (!git_tree_entry_byname(new_, name)) {
			snprintf(k->path + plen, sizeof(k->path) - plen, "%s", name);
			return refuse(k, "it removes %s (records are deleted with tombstones, never removed)", k->path);
		}
	}
	return err;
}

static int count_blobs(git_repository *r, const git_tree *t, size_t *n)
{
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			(*n)++;
		} else if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *sub = NULL;
			int rc = git_tree_lookup(&sub, r, git_tree_entry_id(e));
			if (rc < 0)
				return err_git(rc, "reading a tree");
			rc = count_blobs(r, sub, n);
			git_tree_free(sub);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int incoming_mass_deletion(git_repository *r, const git_oid *tree, const char *city, size_t deleted, size_t *total,
                           int *mass)
{
	char sub[256];
	git_tree *root = NULL, *t = NULL;
	git_tree_entry *e = NULL;
	int err = 0;
	*total = 0;
	*mass = 0;
	if (deleted < INCOMING_MASS_MIN || !city)
		return 0;
	snprintf(sub, sizeof(sub), "cities/%s", city);
	if (git_tree_lookup(&root, r, tree) == 0 && git_tree_entry_bypath(&e, root, sub) == 0 &&
	    git_tree_lookup(&t, r, git_tree_entry_id(e)) == 0)
		err = count_blobs(r, t, total);
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(t);
	git_tree_free(root);
	*mass = deleted * 2 > *total;
	return err;
}

/* The author, the committer and the C2C-Node trailer name the node that
 * signed: a commit cannot pass for another node's. The author may be a
 * person (the configured user); it may not be another node. */
static int check_identity(ck *k)
{
	const git_signature *c = git_commit_committer(k->c), *a = git_commit_author(k->c);
	git_message_trailer_array tr = {0};
	char mail[256];
	int named = 0, err = 0;
	/* libgit2 refuses a commit without them when it parses it; missing now,
	 * they were lost to a failed allocation. */
	if (!c || !a || !c->name || !c->email || !a->name || !a->email || !k->signer)
		return err_set(C2C_ENOMEM, "commit %s: reading its author and committer: out of memory", k->hex);
	snprintf(mail, sizeof(mail), "%s@c2c.invalid", k->signer);
	if (strcmp(c->name, k->signer) || strcmp(c->email, mail))
		return refuse(k, "its committer is '%s <%s>', not the node that signed it (%s)", c->name, c->email,
		              k->signer);
	/* A node signs as "NODE <NODE@c2c.invalid>" (a merge's author): that
	 * form, with another NODE, is another node's name. */
	size_t al = strlen(a->email), nl = strlen(a->name), sl = strlen("@c2c.invalid");
	int node_form = al == nl + sl && !strncmp(a->email, a->name, nl) && !strcasecmp(a->email + nl, "@c2c.invalid");
	if ((node_form && strcmp(a->name, k->signer)) || (strcmp(a->name, k->signer) && !strcmp(a->email, mail)))
		return refuse(k, "its author '%s <%s>' names a node other than the one that signed it (%s)", a->name,
		              a->email, k->signer);
	if (git_message_trailers(&tr, git_commit_message(k->c)) < 0) {
		git_error_clear();
		return refuse(k, "its message cannot be read for its trailers");
	}
	for (size_t i = 0; i < tr.count && err == 0; i++)
		if (!strcmp(tr.trailers[i].key, "C2C-Node")) {
			if (named++ || strcmp(tr.trailers[i].value, k->signer))
				err = refuse(k, "its C2C-Node trailer names %s, not only the node that signed it (%s)",
				             tr.trailers[i].value, k->signer);
		}
	git_message_trailer_array_free(&tr);
	if (err == 0 && !named)
		err = refuse(k, "it does not name the node that made it (C2C-Node)");
	return err;
}

/* Does the commit confirm its own deletions? Only with the trailer
 * "C2C-Confirm-Delete: CITY COUNT" naming the signer's city and exactly the
 * number of records it deletes. */
static int confirms(ck *k)
{
	git_message_trailer_array tr = {0};
	char want[RECORD_ID_MAX + 32];
	int yes = 0;
	if (!k->city || git_message_trailers(&tr, git_commit_message(k->c)) < 0) {
		git_error_clear();
		return 0;
	}
	snprintf(want, sizeof(want), "%s %zu", k->city, k->deleted);
	for (size_t i = 0; i < tr.count; i++)
		if (!strcmp(tr.trailers[i].key, "C2C-Confirm-Delete"))
			yes = yes ? -1 : !strcmp(tr.trailers[i].value, want) ? 1 : -1;
	git_message_trailer_array_free(&tr);
	return yes == 1;
}

/* Most of a city's records deleted by what one node brings in at once,
 * without the author's word? Counted over all the commits of this check,
 * against the city's record files at the receiver's head. */
static int check_mass_deletion(ck *k)
{
	tally *t = NULL;
	int err;
	if (k->open || !k->city || !k->deleted || confirms(k))
		return 0;
	for (size_t i = 0; i < k->ntallies && !t; i++)
		if (!strcmp(k->tallies[i].city, k->city))
			t = &k->tallies[i];
	if (!t) {
		tally *v = realloc(k->tallies, (k->ntallies + 1) * sizeof(*v));
		if (!v)
			return err_set(C2C_ENOMEM, "out of memory");
		k->tallies = v;
		t = &v[k->ntallies++];
		memset(t, 0, sizeof(*t));
		snprintf(t->city, sizeof(t->city), "%s", k->city);
	}
	t->unconfirmed += k->deleted;
	if (t->unconfirmed < INCOMING_MASS_MIN)
		return 0;
	if (!t->counted) {
		int mass;
		git_oid head_tree;
		if ((err = repo_commit_tree(k->n->repo, &k->n->head, &head_tree)) < 0 ||
		    (err = incoming_mass_deletion(k->n->repo, &head_tree, k->city, INCOMING_MASS_MIN, &t->total, &mass)) <
		        0)
			return err;
		t->counted = 1;
	}
	if (t->unconfirmed * 2 > t->total)
		return refuse(k,
		              "it deletes %zu of %s's %zu records (%zu with the commits before it from the same node) "
		              "without the author's confirmation",
		              k->deleted, k->city, t->total, t->unconfirmed);
	return 0;
}

static int check_merge(ck *k)
{
	git_oid joined, t;
	mergetree_stats st = {0};
	int err;
	if ((err = repo_commit_tree(k->n->repo, git_commit_parent_id(k->c, 0), &joined)) < 0)
		return err;
	for (unsigned i = 1; i < git_commit_parentcount(k->c); i++) {
		if ((err = repo_commit_tree(k->n->repo, git_commit_parent_id(k->c, i), &t)) < 0)
			return err;
		/* Parents that cannot be joined (one dot with two values) are the
		 * sender's fault: the commit is refused and its branch held, never
		 * an error that would stop the sync of every branch (SPEC 7). */
		if ((err = mergetree_join(k->n->repo, &joined, &t, &joined, &st)) == C2C_ECORRUPT) {
			char why[512];
			snprintf(why, sizeof(why), "%s", err_msg());
			return refuse(k, "its parents cannot be joined: %s", why);
		}
		if (err < 0)
			return err;
	}
	if (!git_oid_equal(&joined, git_commit_tree_id(k->c)))
		return refuse(k, "its tree is not the merge of its parents (a change smuggled into a merge)");
	return 0;
}

/* ------------------------------------------------------- passed commits */

static size_t slot(const incoming_batch *b, const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	size_t i = h & (b->cap - 1);
	while (b->v[i].used && !git_oid_equal(&b->v[i].id, id))
		i = (i + 1) & (b->cap - 1);
	return i;
}

/* The bound of the Lamport times commit ID's tree holds: its own if it
 * passed here, else (in the head's history) the node's Lamport time. */
static long long bound_of(const incoming_batch *b, const git_oid *id)
{
	if (b->cap) {
		size_t i = slot(b, id);
		if (b->v[i].used)
			return b->v[i].bound;
	}
	return b->base;
}

static int remember(incoming_batch *b, const git_oid *id, long long bound)
{
	if ((b->n_used + 1) * 2 > b->cap) {
		incoming_batch nb = *b;
		nb.cap = b->cap ? b->cap * 2 : 256;
		nb.n_used = 0;
		if (!(nb.v = calloc(nb.cap, sizeof(*nb.v))))
			return err_set(C2C_ENOMEM, "out of memory");
		for (size_t i = 0; i < b->cap; i++)
			if (b->v[i].used) {
				nb.v[slot(&nb, &b->v[i].id)] = b->v[i];
				nb.n_used++;
			}
		free(b->v);
		*b = nb;
	}
	size_t i = slot(b, id);
	if (!b->v[i].used)
		b->n_used++;
	b->v[i].id = *id;
	b->v[i].bound = bound;
	if (bound > b->highest)
		b->highest = bound;
	b->v[i].used = 1;
	return 0;
}

/* The id of network/revocations in the tree of COMMIT (zero if none). */
static int revocations_id(git_repository *r, const git_oid *tree, git_oid *out)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	memset(out, 0, sizeof(*out));
	if (git_tree_lookup(&t, r, tree) < 0) {
		git_error_clear();
		return err_set(C2C_ECORRUPT, "reading a tree for its revocations");
	}
	if (git_tree_entry_bypath(&e, t, "network/revocations") == 0)
		*out = *git_tree_entry_id(e);
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(t);
	return 0;
}

int incoming_batch_new(incoming_batch **out, c2c_node *n)
{
	incoming_batch *b = calloc(1, sizeof(*b));
	char *lam = NULL;
	git_commit *head = NULL;
	int err = 0;
	*out = NULL;
	if (!b)
		return err_set(C2C_ENOMEM, "out of memory");
	b->n = n;
	/* A hub has no database: what its branches hold is not bounded here
	 * (the nodes bound it, each against its own history). */
	b->base = RECORD_CLOCK_MAX;
	if (n->st && store_state_get(n->st, "lamport", &lam) == 0 && lam)
		b->base = strtoll(lam, NULL, 10);
	free(lam);
	err_clear();
	if (!git_oid_is_zero(&n->head) &&
	    (git_commit_lookup(&head, n->repo, &n->head) < 0 || git_commit_tree(&b->head_tree, head) < 0))
		err = err_git(-1, "reading the head's tree");
	git_commit_free(head);
	if (err == 0 && b->head_tree) {
		git_oid id;
		if ((err = revocations_id(n->repo, git_tree_id(b->head_tree), &id)) == 0 && !git_oid_is_zero(&id)) {
			if (!(b->seen = malloc(sizeof(*b->seen))))
				err = err_set(C2C_ENOMEM, "out of memory");
			else {
				b->seen[b->nseen++] = id;
				err = registry_revocations_read(n->repo, git_tree_id(b->head_tree), &b->revs, NULL);
			}
		}
	}
	if (err < 0) {
		incoming_batch_free(b);
		return err;
	}
	*out = b;
	return 0;
}

int incoming_batch_learn(incoming_batch *b, const git_oid *commit, size_t *added)
{
	git_oid tree, id;
	int err;
	*added = 0;
	if ((err = repo_commit_tree(b->n->repo, commit, &tree)) < 0)
		return err;
	if (b->head_tree && git_oid_equal(&tree, git_tree_id(b->head_tree)))
		return 0;
	/* Most tips hold the revocations another tip (or the head) held:
	 * each set of them is read once. */
	if ((err = revocations_id(b->n->repo, &tree, &id)) < 0)
		return err;
	if (git_oid_is_zero(&id))
		return 0;
	for (size_t i = 0; i < b->nseen; i++)
		if (git_oid_equal(&b->seen[i], &id))
			return 0;
	git_oid *v = realloc(b->seen, (b->nseen + 1) * sizeof(*v));
	if (!v)
		return err_set(C2C_ENOMEM, "out of memory");
	b->seen = v;
	b->seen[b->nseen++] = id;
	return registry_revocations_read(b->n->repo, &tree, &b->revs, added);
}

int incoming_batch_add_revocations(incoming_batch *b, const registry_revocations *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const registry_revocation *rv = &l->v[i];
		if (registry_revocations_find(&b->revs, rv->pubkey))
			continue;
		registry_revocation *v = realloc(b->revs.v, (b->revs.n + 1) * sizeof(*v));
		if (!v)
			return err_set(C2C_ENOMEM, "out of memory");
		b->revs.v = v;
		registry_revocation *c = &v[b->revs.n];
		memset(c, 0, sizeof(*c));
		c->cut = rv->cut;
		if (!(c->node_id = strdup(rv->node_id)) || !(c->pubkey = strdup(rv->pubkey)) ||
		    (rv->revoked_at && !(c->revoked_at = strdup(rv->revoked_at))) ||
		    (rv->reason && !(c->reason = strdup(rv->reason)))) {
			registry_revocation_clear(c);
			return err_set(C2C_ENOMEM, "out of memory");
		}
		b->revs.n++;
	}
	return 0;
}

int incoming_batch_learn_from(incoming_batch *b, const incoming_batch *from)
{
	return incoming_batch_add_revocations(b, &from->revs);
}

void incoming_batch_set_base(incoming_batch *b, long long base)
{
	b->base = base;
}

long long incoming_batch_bound(const incoming_batch *b, const git_oid *commit)
{
	return bound_of(b, commit);
}

long long incoming_batch_highest(const incoming_batch *b)
{
	return b->highest > b->base ? b->highest : b->base;
}

void incoming_batch_free(incoming_batch *b)
{
	if (!b)
		return;
	free(b->v);
	free(b->tips);
	git_tree_free(b->head_tree);
	registry_revocations_free(&b->revs);
	free(b->seen);
	free(b);
}

static int check_one(ck *k)
{
	git_commit *p = NULL;
	git_tree *pt = NULL, *ct = NULL;
	int rc, err;
	unsigned np = git_commit_parentcount(k->c);
	k->lamport = -1;
	k->bound = 0;
	for (unsigned i = 0; i < np; i++) {
		long long b = bound_of(k->b, git_commit_parent_id(k->c, i));
		if (b > k->bound)
			k->bound = b;
	}
	if (np == 0)
		return refuse(k, "it has no parent, and is not the genesis commit");
	if ((err = check_signature(k)) < 0 || (err = check_identity(k)) < 0)
		return err;
	if (np > 1)
		return check_merge(k);
	if ((rc = git_commit_parent(&p, k->c, 0)) < 0 || (rc = git_commit_tree(&pt, p)) < 0 ||
	    (rc = git_commit_tree(&ct, k->c)) < 0) {
		err = err_git(rc, "reading a commit");
		goto done;
	}
	k->path[0] = '\0';
	k->deleted = 0;
	if (!git_oid_equal(git_tree_id(pt), git_tree_id(ct)) && (err = check_raw_tree(k, git_tree_id(ct), "")) < 0)
		goto done;
	if ((err = walk(k, pt, ct, 0)) == 0)
		err = check_mass_deletion(k);
done:
	git_tree_free(pt);
	git_tree_free(ct);
	git_commit_free(p);
	return err;
}

int incoming_check(c2c_node *n, incoming_batch *batch, const char *from, const git_oid *tip)
{
	git_revwalk *w = NULL;
	git_oid id;
	incoming_batch *own = NULL;
	ck k;
	int rc, err = 0;
	memset(&k, 0, sizeof(k));
	k.n = n;
	k.from = from;
	if (!batch) {
		if ((err = incoming_batch_new(&own, n)) < 0)
			return err;
		batch = own;
	}
	k.b = batch;
	if ((err = registry_office_key(n, &k.root)) < 0 && err != C2C_ENOTFOUND)
		goto done;
	err = 0;
	git_commit *tc = NULL;
	if (git_commit_lookup(&tc, n->repo, tip) == 0)
		git_commit_tree(&k.tip_tree, tc);
	git_commit_free(tc);
	if ((rc = git_revwalk_new(&w, n->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(w, tip)) < 0 || (rc = git_revwalk_hide(w, &n->head)) < 0) {
		err = err_git(rc, "walking the incoming commits");
		goto done;
	}
	/* What passed for another branch of this batch is not checked again. */
	for (size_t i = 0; i < batch->ntips && rc == 0; i++)
		if ((rc = git_revwalk_hide(w, &batch->tips[i])) < 0)
			err = err_git(rc, "walking the incoming commits");
	int tip_only = 0;
	while (err == 0 && (rc = git_revwalk_next(&id, w)) == 0) {
		git_oid_tostr(k.hex, sizeof(k.hex), &id);
		if ((rc = git_commit_lookup(&k.c, n->repo, &id)) < 0) {
			err = err_git(rc, k.hex);
			break;
		}
		k.tip_registry = 0;
		err = check_one(&k);
		tip_only |= k.tip_registry;
		if (err == 0)
			err = remember(batch, &id, k.lamport > k.bound ? k.lamport : k.bound);
		git_commit_free(k.c);
		k.c = NULL;
		free(k.signer);
		free(k.city);
		free(k.key);
		k.signer = k.city = k.key = NULL;
		k.open = 0;
	}
	if (err == 0 && rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "walking the incoming commits");
	/* A commit that passed only by this tip's registry is judged again
	 * with each tip: only a tip without one is hidden from the next walks. */
	if (err == 0 && !tip_only) {
		git_oid *v = realloc(batch->tips, (batch->ntips + 1) * sizeof(*v));
		if (!v)
			err = err_set(C2C_ENOMEM, "out of memory");
		else {
			batch->tips = v;
			batch->tips[batch->ntips++] = *tip;
		}
	}
done:
	free(k.root);
	free(k.key);
	free(k.tallies);
	git_tree_free(k.tip_tree);
	git_revwalk_free(w);
	incoming_batch_free(own);
	return err;
}

/* ------------------------------------------------------------ quarantine */

#define QDIR "objects/c2c-incoming"

static git_odb *attached; /* the object database that has the backend (a reference held) */
static int qlockfd = -1;          /* the flock on repo.git/c2c-incoming.lock, while we use the quarantine */

/* One process at a time fetches into the quarantine: two syncs (autosync
 * and a user's) would otherwise drop each other's packs. WAIT: 0 tries once
 * (1: taken, 0: busy), else a busy quarantine is an error naming the pid. */
static int qlock(c2c_node *n, int wait)
{
	char p[PATH_MAX], pid[32];
	int fd, len;
	if (qlockfd >= 0)
		return 1;
	if (snprintf(p, sizeof(p), "%s/c2c-incoming.lock", n->gitdir) >= (int)sizeof(p))
		return err_set(C2C_EINVALID, "%s: path too long", n->gitdir);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return err_errno(C2C_EIO, p);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t k = pread(fd, pid, sizeof(pid) - 1, 0);
		close(fd);
		if (!wait)
			return 0;
		pid[k > 0 ? k : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		err_set(C2C_ELOCKED, "%s: another sync or bundle apply (pid %s) is bringing objects into this node", p,
		        pid[0] ? pid : "?");
		return err_hint("wait for it to finish and try again");
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0) {
		/* the pid is only a courtesy for messages */
	}
	qlockfd = fd;
	return 1;
}

static void qunlock(void)
{
	if (qlockfd >= 0)
		close(qlockfd); /* releases the flock */
	qlockfd = -1;
}

static int qpath(c2c_node *n, const char *rest, char *out, size_t size)
{
	if (snprintf(out, size, "%s/%s%s", n->gitdir, QDIR, rest) >= (int)size)
		return err_set(C2C_EINVALID, "%s: path too long", n->gitdir);
	return 0;
}

/* Remove the files of DIR (not recursing); how many. */
static int empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];
	int n = 0;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) < (int)sizeof(p) &&
		    unlink(p) == 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

/* After a killed sync: fetched refs whose commits were in quarantine. */
static void drop_dangling_refs(c2c_node *n)
{
	git_strarray refs = {0};
	git_odb *odb = NULL;
	if (git_reference_list(&refs, n->repo) < 0 || git_repository_odb(&odb, n->repo) < 0) {
		git_error_clear();
		git_strarray_dispose(&refs);
		return;
	}
	for (size_t i = 0; i < refs.count; i++) {
		git_oid tip;
		git_reference *r = NULL;
		if (strncmp(refs.strings[i], "refs/c2c/remotes/", 17) ||
		    git_reference_name_to_id(&tip, n->repo, refs.strings[i]) < 0 || git_odb_exists(odb, &tip))
			continue;
		if (git_reference_lookup(&r, n->repo, refs.strings[i]) == 0)
			git_reference_delete(r);
		git_reference_free(r);
	}
	git_error_clear();
	git_odb_free(odb);
	git_strarray_dispose(&refs);
}

int incoming_quarantine_open(c2c_node *n)
{
	char dir[PATH_MAX], pack[PATH_MAX];
	git_odb *odb = NULL;
	git_odb_backend *b = NULL;
	int rc, err;
	if ((err = qpath(n, "", dir, sizeof(dir))) < 0 || (err = qpath(n, "/pack", pack, sizeof(pack))) < 0 ||
	    (err = qlock(n, 1)) < 0)
		return err;
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (mkdir(pack, 0755) < 0 && errno != EEXIST))
		return err_errno(C2C_EIO, pack);
	if ((rc = git_repository_odb(&odb, n->repo)) < 0)
		return err_git(rc, "preparing the quarantine for incoming objects");
	if (empty_dir(pack) > 0 && attached != odb) /* what a killed sync left: never checked */
		drop_dangling_refs(n);
	if (attached == odb) {
		git_odb_free(odb);
		return 0;
	}
	if ((rc = git_odb_backend_pack(&b, dir)) < 0 || (rc = git_odb_add_backend(odb, b, 1000)) < 0) {
		if (b && rc < 0)
			b->free(b);
		git_odb_free(odb);
		return err_git(rc, "preparing the quarantine for incoming objects");
	}
	/* The reference is kept: while it lives no other object database can
	 * take this address, so the test above never mistakes a node opened
	 * again (autosync opens it every round) for the one that has the
	 * backend. */
	git_odb_free(attached);
	attached = odb;
	return 0;
}

/* Delete refs under refs/c2c/remotes/FROM/ that the head does not reach. */
static int drop_unmerged_refs(c2c_node *n, const char *from)
{
	git_strarray refs = {0};
	char prefix[256];
	int rc;
	snprintf(prefix, sizeof(prefix), "refs/c2c/remotes/%s/", from);
	if ((rc = git_reference_list(&refs, n->repo)) < 0)
		return err_git(rc, "listing fetched refs");
	for (size_t i = 0; i < refs.count; i++) {
		git_oid tip;
		if (strncmp(refs.strings[i], prefix, strlen(prefix)))
			continue;
		if (git_reference_name_to_id(&tip, n->repo, refs.strings[i]) == 0 && !git_oid_equal(&tip, &n->head) &&
		    git_graph_descendant_of(n->repo, &n->head, &tip) != 1) {
			git_reference *r = NULL;
			if (git_reference_lookup(&r, n->repo, refs.strings[i]) == 0)
				git_reference_delete(r);
			git_reference_free(r);
		}
	}
	git_error_clear();
	git_strarray_dispose(&refs);
	return 0;
}

int incoming_quarantine_promote(c2c_node *n, const git_oid *tips, size_t ntips, int all)
{
	char pack[PATH_MAX], dst[PATH_MAX], src[PATH_MAX];
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	git_odb *odb = NULL;
	int rc = 0, err = 0;
	if ((err = qpath(n, "/pack", pack, sizeof(pack))) < 0)
		return err;
	if (all) {
		/* Everything passed: the packs move in, .pack before .idx. */
		static const char *const exts[] = {".pack", ".idx"};
		for (int x = 0; x < 2 && err == 0; x++) {
			DIR *d = opendir(pack);
			struct dirent *e;
			while (d && err == 0 && (e = readdir(d))) {
				size_t l = strlen(e->d_name), el = strlen(exts[x]);
				if (l <= el || strcmp(e->d_name + l - el, exts[x]))
					continue;
				if (snprintf(src, sizeof(src), "%s/%s", pack, e->d_name) >= (int)sizeof(src) ||
				    snprintf(dst, sizeof(dst), "%s/objects/pack/%s", n->gitdir, e->d_name) >= (int)sizeof(dst))
					err = err_set(C2C_EINVALID, "%s: path too long", pack);
				else if (rename(src, dst) < 0)
					err = err_errno(C2C_EIO, dst);
			}
			if (d)
				closedir(d);
		}
		/* The new names must survive a power cut before the head that
		 * needs them is recorded. */
		snprintf(dst, sizeof(dst), "%s/objects/pack", n->gitdir);
		int dfd = err == 0 ? open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (err == 0 && (dfd < 0 || fsync(dfd) < 0))
			err = err_errno(C2C_EIO, dst);
		if (dfd >= 0)
			close(dfd);
	} else if (ntips) {
		/* Some passed, some were refused: what the good tips reach goes in,
		 * as a pack of its own; the rest stays in quarantine. */
		snprintf(dst, sizeof(dst), "%s/objects/pack", n->gitdir);
		if ((rc = git_packbuilder_new(&pb, n->repo)) < 0 || (rc = git_revwalk_new(&w, n->repo)) < 0 ||
		    (rc = git_revwalk_hide(w, &n->head)) < 0)
			goto fail;
		for (size_t i = 0; i < ntips; i++)
			if ((rc = git_revwalk_push(w, &tips[i])) < 0)
				goto fail;
		if ((rc = git_packbuilder_insert_walk(pb, w)) < 0 || (rc = git_packbuilder_write(pb, dst, 0, NULL, NULL)) < 0)
			goto fail;
	}
	if (err == 0 && git_repository_odb(&odb, n->repo) == 0)
		git_odb_refresh(odb);
	goto done;
fail:
	err = err_git(rc, "storing the accepted objects");
done:
	git_odb_free(odb);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	return err;
}

int incoming_quarantine_close(c2c_node *n, const char *from)
{
	char pack[PATH_MAX];
	int err;
	if ((err = qpath(n, "/pack", pack, sizeof(pack))) < 0)
		return err;
	empty_dir(pack);
	err = drop_unmerged_refs(n, from);
	qunlock();
	return err;
}

int incoming_quarantine_repair(c2c_node *n)
{
	char pack[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int left = 0, err;
	if ((err = qpath(n, "/pack", pack, sizeof(pack))) < 0)
		return err;
	if (!(d = opendir(pack)))
		return 0;
	while (!left && (e = readdir(d)))
		left = e->d_name[0] != '.';
	closedir(d);
	if (!left || qlockfd >= 0 || (err = qlock(n, 0)) <= 0)
		return err; /* nothing left, or a sync is using it */
	if (empty_dir(pack) > 0) {
		drop_dangling_refs(n);
		fprintf(stderr, "c2c: dropped what an interrupted sync had fetched but not checked\n");
	}
	qunlock();
	return 0;
}
