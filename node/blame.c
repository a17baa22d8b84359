/* blame: the commits that brought a record's edits (include/c2c/blame.h). */
#include "c2c/blame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/history.h"
#include "c2c/i18n.h"


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
	git_repository *repo;
	const char *path;
	ARRAY(blame_version) v;
} blame_cache;

/* The record at PATH in commit C, parsed (borrowed; NULL: absent). */
static int version_of(blame_cache *bc, const git_commit *c, const json_t **out)
{
	git_oid blob;
	int have = history_blob_at(c, bc->path, &blob);
	*out = NULL;
	if (have <= 0)
		return have;
	for (size_t i = 0; i < bc->v.n; i++)
		if (git_oid_equal(&bc->v.v[i].oid, &blob)) {
			*out = bc->v.v[i].rec;
			return 0;
		}
	git_blob *b = NULL;
	int rc = git_blob_lookup(&b, bc->repo, &blob);
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
	blame_version one = {blob, rec};
	if (ARRAY_PUSH(&bc->v, one) < 0) {
		json_decref(rec);
		return C2C_ENOMEM;
	}
	*out = rec;
	return 0;
}

/* Walk from the head; a commit introduced target T if its version carries
 * T and no parent's version does (a parent without the file does not).
 * Stops when every target is found. */
int blame_walk(git_repository *repo, const git_oid *head, const char *path, blame_target *tg, size_t ntg)
{
	blame_cache bc = {repo, path, {0}};
	git_revwalk *w = NULL;
	git_oid oid;
	size_t left = ntg;
	int err = 0, rc = 0;
	int *match = calloc(ntg ? ntg : 1, sizeof(int));
	if (!match)
		return ERR_OOM();
	if ((rc = git_revwalk_new(&w, repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, head)) < 0) {
		err = err_git(rc, _("walking the history"));
		goto done;
	}
	while (left && (rc = git_revwalk_next(&oid, w)) == 0) {
		git_commit *c = NULL;
		const json_t *v;
		size_t nm = 0;
		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0) {
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
	for (size_t i = 0; i < bc.v.n; i++)
		json_decref(bc.v.v[i].rec);
	ARRAY_FREE(&bc.v);
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
	if ((dot || val) && (err = ARRAY_PUSH(l, t)) < 0)
		return err;
	for (size_t i = 0; (e = json_array_get(conf, i)); i++) {
		blame_target c = {BT_CONFLICT, f, 0, NULL, 0, 0, NULL, 0, {{0}}, 0, ""};
		if (!dot_read(e, 1, &c.node, &c.counter, &c.lamport))
			continue;
		c.has_dot = 1;
		c.val = json_is_null(json_array_get(e, 0)) ? NULL : json_array_get(e, 0);
		if ((err = ARRAY_PUSH(l, c)) < 0)
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
int blame_targets(const table_def *t, const json_t *rec, blame_list *l)
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
		return ERR_OOM();
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
			err = ARRAY_PUSH(l, d);
	}
	return err;
}

