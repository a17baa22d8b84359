#include "c2c/history.h"

#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/repo.h"

static int same_dot(const json_t *d, const char *node, long long counter, size_t at)
{
	return json_is_array(d) && json_is_string(json_array_get(d, at)) &&
	       !strcmp(json_string_value(json_array_get(d, at)), node) &&
	       json_integer_value(json_array_get(d, at + 1)) == counter;
}

static int holds_dot(const json_t *rec, const char *field, const char *node, long long counter)
{
	json_t *meta = json_object_get(rec, "_c2c");
	if (same_dot(json_object_get(json_object_get(meta, "dots"), field), node, counter, 0))
		return 1;
	json_t *conf = json_object_get(json_object_get(meta, "conflicts"), field);
	for (size_t i = 0; i < json_array_size(conf); i++)
		if (same_dot(json_array_get(conf, i), node, counter, 1))
			return 1;
	return 0;
}

static int read_record(git_repository *r, const git_oid *commit, const char *path, json_t **out)
{
	char *buf = NULL;
	size_t len;
	int err = repo_read_path(r, commit, path, &buf, &len, NULL);
	*out = NULL;
	if (err == 0)
		err = canon_parse(buf, len, path, out);
	free(buf);
	return err;
}

int history_find_dot(git_repository *r, const git_oid *from, const char *path, const char *field, const char *node,
                     long long counter, git_oid *out)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc, err = C2C_ENOTFOUND;
	if ((rc = git_revwalk_new(&w, r)) < 0 || (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(w, from)) < 0) {
		git_revwalk_free(w);
		return err_git(rc, "walking history");
	}
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		json_t *rec = NULL;
		if (read_record(r, &id, path, &rec) == 0 && holds_dot(rec, field, node, counter)) {
			git_oid_cpy(out, &id);
			err = 0;
		}
		json_decref(rec);
		if (err == 0)
			break;
	}
	git_revwalk_free(w);
	if (err == C2C_ENOTFOUND)
		err_set(err, "%s: no commit wrote %s by %s:%lld", path, field, node, counter);
	return err;
}

static const char *text_of(const json_t *v) { return json_is_string(v) ? json_string_value(v) : ""; }

int history_line_merge(git_repository *r, const git_oid *head, const char *path, const char *field,
                       const json_t *e1, const json_t *e2, char **out)
{
	/* Entries as `c2c conflicts` numbers them: {value, node, counter}. */
	git_oid c1, c2, base;
	json_t *brec = NULL;
	git_merge_file_result res = {0};
	git_merge_file_input a, o, t;
	int err, rc;
	*out = NULL;
	git_merge_file_input_init(&a, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&o, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&t, GIT_MERGE_FILE_INPUT_VERSION);
	if ((err = history_find_dot(r, head, path, field, json_string_value(json_object_get(e1, "node")),
	                            json_integer_value(json_object_get(e1, "counter")), &c1)) < 0 ||
	    (err = history_find_dot(r, head, path, field, json_string_value(json_object_get(e2, "node")),
	                            json_integer_value(json_object_get(e2, "counter")), &c2)) < 0)
		return err;
	if ((rc = git_merge_base(&base, r, &c1, &c2)) < 0 && rc != GIT_ENOTFOUND)
		return err_git(rc, "finding the merge base");
	const char *btext = "";
	if (rc == 0 && read_record(r, &base, path, &brec) == 0)
		btext = text_of(json_object_get(brec, field));
	const char *v1 = text_of(json_object_get(e1, "value")), *v2 = text_of(json_object_get(e2, "value"));
	a.ptr = btext, a.size = strlen(btext);
	o.ptr = v1, o.size = strlen(v1);
	t.ptr = v2, t.size = strlen(v2);
	if ((rc = git_merge_file(&res, &a, &o, &t, NULL)) < 0) {
		err = err_git(rc, "merging lines");
	} else if (res.automergeable) {
		if (!(*out = strndup(res.ptr, res.len)))
			err = ERR_OOM();
	}
	git_merge_file_result_free(&res);
	json_decref(brec);
	return err;
}

int history_blob_at(const git_commit *c, const char *path, git_oid *out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc = git_commit_tree(&tree, c);
	if (rc < 0)
		return err_git(rc, _("reading a commit's tree"));
	rc = git_tree_entry_bypath(&e, tree, path);
	git_tree_free(tree);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return err_git(rc, path);
	int found = git_tree_entry_type(e) == GIT_OBJECT_BLOB;
	if (found)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return found;
}
