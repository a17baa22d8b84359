/* incoming: the change a commit makes, record by record and tree by tree
 * (include/c2c/incoming.h, I2-I6). */
#include "c2c/incoming_ck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/repo.h"
#include "c2c/store.h"
#include "c2c/util.h"

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

typedef ARRAY(dot) dots;

static int dots_add(dots *d, const json_t *a, size_t off, const json_t *clock)
{
	if (ARRAY_RESERVE(d, d->n + 1) < 0)
		return C2C_ENOMEM;
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
		err = incoming_refuse(k, "%s: %s", k->path, why);
		goto done;
	}
	if (old && !json_equal(joined, rec)) {
		err = incoming_refuse(
		    k, "%s: its new version drops what its parent's version held (versions only move forward)",
		    k->path);
		goto done;
	}
	/* Only the signer's own entry advances, and by one: one edit. */
	json_object_foreach(json_object_get(json_object_get(rec, "_c2c"), "clock"), node, v)
	{
		if (strcmp(node, k->signer) && json_integer_value(v) != clock_of(old, node)) {
			err = incoming_refuse(k, "%s: it advances the clock of node %s, which did not sign it", k->path,
			                      node);
			goto done;
		}
	}
	long long was = clock_of(old, k->signer), now = clock_of(rec, k->signer);
	if (now != was + 1) {
		err = incoming_refuse(
		    k, "%s: it moves the clock of its signer %s from %lld to %lld (an edit advances it by one)",
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
			err = incoming_refuse(
			    k, "%s: it holds a new edit [%s, %lld] that is not its signer's edit [%s, %lld]", k->path,
			    d->node, d->k, k->signer, now);
			goto done;
		}
		if (k->lamport < 0) {
			if (d->l <= after) {
				err = incoming_refuse(
				    k, "%s: its edit's Lamport time %lld is not after the %lld the record held",
				    k->path, d->l, after);
				goto done;
			}
			if (d->l > k->bound + 1) {
				err = incoming_refuse(
				    k,
				    "%s: its edit's Lamport time %lld is more than one past the %lld its history holds "
				    "(a Lamport time rises by one an edit)",
				    k->path, d->l, k->bound);
				goto done;
			}
			k->lamport = d->l;
		} else if (d->l != k->lamport || d->l <= after) {
			err = incoming_refuse(
			    k, "%s: its edit's Lamport time %lld is not the commit's (%lld), or not after the record's",
			    k->path, d->l, k->lamport);
			goto done;
		}
		/* A deletion has seen exactly what the version it deletes had. */
		if (d->clock && !json_equal(d->clock, json_object_get(json_object_get(rec, "_c2c"), "clock"))) {
			err = incoming_refuse(k, "%s: its deletion [%s, %lld] carries a clock other than the record's",
			                      k->path, d->node, d->k);
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
	if ((err = load_json(k->cx->repo, git_tree_entry_id(e), &mine)) < 0)
		goto done;
	if (mine && merge_records(mine, rec, &joined) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
		err = incoming_refuse(k, "%s: against the version this node holds: %s", k->path, why);
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
		return incoming_refuse(k, "%s: a %s is never deleted", k->path, table);
	if (!strcmp(table, "roots")) {
		const char *prev = json_string_value(json_object_get(rec, "previous"));
		if (!prev || !k->key || strcmp(prev, k->key) || k->city)
			return incoming_refuse(k, "%s: a hand-over of the root must be signed by the root it replaces",
			                       k->path);
		return 0;
	}
	const char *cut = json_string_value(json_object_get(rec, "keep_until"));
	git_oid c;
	if (!cut || strlen(cut) != GIT_OID_HEXSZ || git_oid_fromstr(&c, cut) < 0) {
		git_error_clear();
		return incoming_refuse(k, "%s: the revocation of %s names no commit to keep until", k->path, id);
	}
	const git_oid *parent = git_commit_parent_id(k->c, 0);
	if (!git_oid_equal(&c, parent) && git_graph_descendant_of(k->cx->repo, parent, &c) != 1) {
		git_error_clear();
		return incoming_refuse(
		    k,
		    "%s: the revocation of %s keeps commits up to %.12s, which the history it is built on "
		    "does not hold",
		    k->path, id, cut);
	}
	return 0;
}

/* The size of blob ID from its header, the blob unread (a record may not
 * be large enough to be worth reading): 0, or an error naming WHAT. */
static int blob_size(git_repository *r, const git_oid *id, size_t *size, const char *what)
{
	git_odb *odb = NULL;
	git_object_t type;
	int rc = git_repository_odb(&odb, r);
	if (rc == 0)
		rc = git_odb_read_header(size, &type, odb, id);
	git_odb_free(odb);
	return rc < 0 ? err_git(rc, what) : 0;
}

int incoming_read_record(git_repository *r, const git_oid *id, git_blob **out)
{
	size_t size = 0;
	int rc, err;
	*out = NULL;
	if ((err = blob_size(r, id, &size, "reading a record")) < 0)
		return err;
	if (size > INCOMING_MAX_BLOB)
		return C2C_EINVALID; /* the check says why */
	if ((rc = git_blob_lookup(out, r, id)) < 0)
		return err_git(rc, "reading a record");
	return 0;
}

int incoming_check_record(ck *k, const git_oid *old, const git_oid *new_, git_blob *pre)
{
	size_t size = 0;
	git_blob *b = pre;
	json_t *rec = NULL, *prev = NULL;
	char table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	int rc, err = 0;
	if (b)
		size = (size_t)git_blob_rawsize(b);
	else if ((err = blob_size(k->cx->repo, new_, &size, k->path)) < 0)
		return err;
	if (size > INCOMING_MAX_BLOB) {
		git_blob_free(b);
		return incoming_refuse(k, "%s is %zu bytes, over the %d a record may have", k->path, size,
		                       INCOMING_MAX_BLOB);
	}
	const table_def *t = NULL;
	int trust = 0;
	if (record_parse_path(k->path, table, id, city) < 0) {
		err_clear();
		err = incoming_refuse(k, "%s is not a record path", k->path);
		goto done;
	}
	if (!(t = store_table(k->cx->st, table))) {
		err = incoming_refuse(k, "%s: this node has no table '%s'", k->path, table);
		goto done;
	}
	trust = !strcmp(table, "revocations") || !strcmp(table, "roots");
	if (trust && old) {
		err = incoming_refuse(k, "%s: a %s never changes once made", k->path,
		                      !strcmp(table, "roots") ? "hand-over of the root" : "revocation");
		goto done;
	}
	if (!b && (rc = git_blob_lookup(&b, k->cx->repo, new_)) < 0) {
		err = err_git(rc, k->path);
		goto done;
	}
	const char *text = git_blob_rawcontent(b);
	size_t len = (size_t)git_blob_rawsize(b);
	if (canon_parse(text, len, k->path, &rec) < 0 && err_code() == C2C_ENOMEM) {
		err = C2C_ENOMEM; /* short of memory: not the sender's fault */
		goto done;
	}
	if (!rec || !json_is_object(rec)) {
		char why[512];
		snprintf(why, sizeof(why), "%s", rec ? "not a JSON object" : err_msg());
		err = incoming_refuse(k, "%s is not a record: %s", k->path, why);
		goto done;
	}
	/* canon_parse took it only in canonical form: written again, the same bytes. */
	if (merge_check(rec) < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", err_msg());
		err = incoming_refuse(k, "%s: %s", k->path, why);
		goto done;
	}
	for (size_t i = 0; i < t->nfields; i++)
		if (!type_ok(&t->fields[i], json_object_get(rec, t->fields[i].name))) {
			err = incoming_refuse(k, "%s: field '%s' is not of type %s's", k->path, t->fields[i].name,
			                      t->name);
			goto done;
		}
	if (t->city_scope) {
		const char *rc_city = json_string_value(json_object_get(rec, "city"));
		if (!rc_city || strcmp(rc_city, city)) {
			err = incoming_refuse(k, "%s: its city is not the city of its path", k->path);
			goto done;
		}
	}
	if (old && (err = load_json(k->cx->repo, old, &prev)) < 0)
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
	/* The row of a live record, kept for the head's move: its blob is
	 * then neither read nor parsed again. Only a saving: on any failure
	 * the row is made from the blob as before. */
	if (k->b->rows && !merge_is_deleted(rec)) {
		row_image *img = NULL;
		if (store_row_image(t, id, rec, &img) == 0) {
			img->lamport = record_max_lamport(rec);
			img->conflicts = merge_has_conflicts(rec);
			if (k->rows_lock)
				pthread_mutex_lock(k->rows_lock);
			row_cache_put(k->b->rows, new_, img);
			if (k->rows_lock)
				pthread_mutex_unlock(k->rows_lock);
		}
		err_clear();
	}
done:
	json_decref(rec);
	json_decref(prev);
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

int incoming_check_raw_tree(ck *k, const git_oid *id, const char *where)
{
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	ARRAY(raw_entry) a = {0};
	raw_entry *v = NULL;
	size_t n = 0;
	int rc, err = 0;
	if ((rc = git_repository_odb(&odb, k->cx->repo)) < 0 || (rc = git_odb_read(&o, odb, id)) < 0) {
		err = err_git(rc, where[0] ? where : "the root tree");
		goto done;
	}
	const char *p = git_odb_object_data(o), *end = p + git_odb_object_size(o);
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *nul = sp ? memchr(sp + 1, '\0', (size_t)(end - sp - 1)) : NULL;
		if (!nul || end - nul - 1 < GIT_OID_RAWSZ) {
			err = incoming_refuse(k, "the tree at %s is malformed", where[0] ? where : "the root");
			goto done;
		}
		size_t ml = (size_t)(sp - p);
		int tree = ml == 5 && !memcmp(p, "40000", 5);
		if (!tree && !(ml == 6 && !memcmp(p, "100644", 6))) {
			err = incoming_refuse(
			    k, "the tree at %s gives '%.*s' the mode %.*s (only 100644 and 40000 are written)",
			    where[0] ? where : "the root", (int)(nul - sp - 1), sp + 1, (int)(ml < 16 ? ml : 16), p);
			goto done;
		}
		if ((err = ARRAY_RESERVE(&a, n + 1)) < 0)
			goto done;
		v = a.v;
		v[n].name = sp + 1;
		v[n].len = (size_t)(nul - sp - 1);
		v[n].tree = tree;
		if (n && raw_cmp_git(&v[n - 1], &v[n]) >= 0) {
			err = incoming_refuse(k, "the tree at %s lists '%.*s' out of git's order or twice",
			                      where[0] ? where : "the root", (int)v[n].len, v[n].name);
			goto done;
		}
		n++;
		p = nul + 1 + GIT_OID_RAWSZ;
	}
	/* "a" and "a/" sort apart; the same name twice is still refused. */
	qsort(v, n, sizeof(*v), raw_cmp_name);
	for (size_t i = 1; i < n; i++)
		if (!raw_cmp_name(&v[i - 1], &v[i])) {
			err = incoming_refuse(k, "the tree at %s lists '%.*s' twice", where[0] ? where : "the root",
			                      (int)v[i].len, v[i].name);
			goto done;
		}
done:
	ARRAY_FREE(&a);
	git_odb_object_free(o);
	git_odb_free(odb);
	return err;
}

/* Walk what differs between OLD (may be NULL) and NEW under PREFIX. */
int incoming_check_walk(ck *k, const git_tree *old, const git_tree *new_, size_t plen)
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
			return incoming_refuse(k, "it holds an entry named '%s' at %s", name, k->path);
		git_filemode_t mode = git_tree_entry_filemode(e);
		if (mode == GIT_FILEMODE_TREE) {
			git_tree *sub = NULL, *osub = NULL;
			if ((err = incoming_check_raw_tree(k, git_tree_entry_id(e), k->path)) < 0)
				return err;
			int rc = git_tree_lookup(&sub, k->cx->repo, git_tree_entry_id(e));
			if (rc == 0 && oe && git_tree_entry_filemode(oe) == GIT_FILEMODE_TREE)
				rc = git_tree_lookup(&osub, k->cx->repo, git_tree_entry_id(oe));
			if (rc < 0)
				err = err_git(rc, k->path);
			else if (l + 2 >= sizeof(k->path))
				err = incoming_refuse(k, "a path longer than %zu bytes", sizeof(k->path));
			else {
				k->path[l] = '/';
				k->path[l + 1] = '\0';
				err = incoming_check_walk(k, osub, sub, l + 1);
			}
			git_tree_free(sub);
			git_tree_free(osub);
		} else if (mode != GIT_FILEMODE_BLOB) {
			return incoming_refuse(k, "%s is a %s, not a plain file", k->path,
			              mode == GIT_FILEMODE_LINK     ? "symbolic link"
			              : mode == GIT_FILEMODE_COMMIT ? "submodule"
			                                            : "executable file");
		} else if (!in_namespace(k, k->path)) {
			return incoming_refuse(k, "%s %s writes %s, outside %s%s%s", k->city ? "node" : "the office",
			                       k->signer, k->path, k->city ? "cities/" : "network/",
			                       k->city ? k->city : "", k->city ? "/" : "");
		} else {
			const git_oid *was =
			    oe && git_tree_entry_filemode(oe) == GIT_FILEMODE_BLOB ? git_tree_entry_id(oe) : NULL;
			err = k->jobs ? incoming_job_add(k, was, git_tree_entry_id(e))
			              : incoming_check_record(k, was, git_tree_entry_id(e), NULL);
		}
	}
	for (size_t i = 0; old && i < git_tree_entrycount(old) && err == 0; i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(old, i));
		if (!git_tree_entry_byname(new_, name)) {
			snprintf(k->path + plen, sizeof(k->path) - plen, "%s", name);
			return incoming_refuse(k, "it removes %s (records are deleted with tombstones, never removed)",
			                       k->path);
		}
	}
	return err;
}
