/* office_history: the report's view of the node's history
 * (office_history.h): each city's last change, and the network as it stood
 * at a past day or commit. */
#include "c2c/office_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/repo.h"

/* The newest change of each city reachable from COMMIT: for each commit that
 * is not a merge, newest first, the subtrees cities/<slug> that differ from
 * its parent's (compared by id, never opened) name cities changed then. The
 * time is the commit's author time, when the change was made. */
int office_history_last_changes(git_repository *repo, const git_oid *commit, json_t *last)
{
	git_revwalk *w = NULL;
	git_commit *c = NULL, *p = NULL;
	git_tree *ct = NULL, *pt = NULL;
	git_tree_entry *ce = NULL, *pe = NULL;
	git_tree *csub = NULL, *psub = NULL;
	git_oid id;
	int rc;
	if ((rc = git_revwalk_new(&w, repo)) < 0 || (rc = git_revwalk_sorting(w, GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, commit)) < 0)
		goto done;
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		if ((rc = git_commit_lookup(&c, repo, &id)) < 0)
			goto done;
		if (git_commit_parentcount(c) == 1) {
			if ((rc = git_commit_parent(&p, c, 0)) < 0 || (rc = git_commit_tree(&ct, c)) < 0 ||
			    (rc = git_commit_tree(&pt, p)) < 0)
				goto done;
			git_tree_entry_bypath(&ce, ct, "cities");
			git_tree_entry_bypath(&pe, pt, "cities");
			if (ce && (!pe || !git_oid_equal(git_tree_entry_id(ce), git_tree_entry_id(pe)))) {
				if ((rc = git_tree_lookup(&csub, repo, git_tree_entry_id(ce))) < 0 ||
				    (pe && (rc = git_tree_lookup(&psub, repo, git_tree_entry_id(pe))) < 0))
					goto done;
				for (size_t i = 0; i < git_tree_entrycount(csub); i++) {
					const git_tree_entry *e = git_tree_entry_byindex(csub, i);
					const char *slug = git_tree_entry_name(e);
					const git_tree_entry *old = psub ? git_tree_entry_byname(psub, slug) : NULL;
					if (json_object_get(last, slug) || (old && git_oid_equal(git_tree_entry_id(old), git_tree_entry_id(e))))
						continue;
					json_object_set_new(last, slug, json_integer((json_int_t)git_commit_author(c)->when.time));
				}
			}
			git_tree_free(csub);
			git_tree_free(psub);
			git_tree_entry_free(ce);
			git_tree_entry_free(pe);
			git_tree_free(ct);
			git_tree_free(pt);
			git_commit_free(p);
			csub = psub = NULL, ce = pe = NULL, ct = pt = NULL, p = NULL;
		}
		git_commit_free(c);
		c = NULL;
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
done:
	git_tree_free(csub);
	git_tree_free(psub);
	git_tree_entry_free(ce);
	git_tree_entry_free(pe);
	git_tree_free(ct);
	git_tree_free(pt);
	git_commit_free(p);
	git_commit_free(c);
	git_revwalk_free(w);
	return rc < 0 ? err_git(rc, "walking the history") : 0;
}

/* The commit --at names: a date (the newest commit on the first-parent line
 * of the head made on or before the end of that day, UTC), or a commit. */
int office_history_resolve_at(c2c_node *n, const char *at, git_oid *out)
{
	int y, m, d;
	char tail;
	if (sscanf(at, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen(at) == 10) {
		struct tm tm = {0};
		if (m < 1 || m > 12 || d < 1 || d > 31) {
			err_set(C2C_EUSAGE, "--at %s is not a date", at);
			return err_hint("give a date as YYYY-MM-DD, or a commit");
		}
		tm.tm_year = y - 1900, tm.tm_mon = m - 1, tm.tm_mday = d;
		tm.tm_hour = 23, tm.tm_min = 59, tm.tm_sec = 59;
		long long cutoff = (long long)timegm(&tm);
		git_commit *c = NULL, *p = NULL;
		int rc = git_commit_lookup(&c, n->repo, &n->head);
		while (rc == 0 && (long long)git_commit_time(c) > cutoff) {
			if (git_commit_parentcount(c) == 0) {
				git_commit_free(c);
				err_set(C2C_ENOTFOUND, "the node's history starts after %s", at);
				return err_hint("give a later date; 'c2c log' shows the history");
			}
			rc = git_commit_parent(&p, c, 0);
			git_commit_free(c);
			c = p;
		}
		if (rc < 0)
			return err_git(rc, "walking the history");
		git_oid_cpy(out, git_commit_id(c));
		git_commit_free(c);
		return 0;
	}
	git_object *o = NULL;
	int rc = git_revparse_single(&o, n->repo, at);
	if (rc == 0) {
		git_object *peeled = NULL;
		rc = git_object_peel(&peeled, o, GIT_OBJECT_COMMIT);
		git_object_free(o);
		if (rc == 0) {
			git_oid_cpy(out, git_object_id(peeled));
			git_object_free(peeled);
			return 0;
		}
	}
	err_set(C2C_ENOTFOUND, "--at %s names no date and no commit of this node", at);
	return err_hint("give a date as YYYY-MM-DD, or a commit id from 'c2c log'");
}

typedef struct {
	git_repository *repo;
	store *st;
} load_state;

/* One record file of the tree into the store made for --at. */
static int load_file(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload)
{
	load_state *ls = payload;
	char table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	git_blob *b = NULL;
	json_t *rec = NULL;
	char *text = NULL;
	int rc, err = 0;
	(void)old_id;
	if (!strcmp(path, "network/network.json") || record_parse_path(path, table, id, city) < 0)
		return 0;
	const table_def *t = store_table(ls->st, table);
	if (!t)
		return 0;
	if ((rc = git_blob_lookup(&b, ls->repo, new_id)) < 0)
		return err_git(rc, path);
	const char *buf = git_blob_rawcontent(b);
	size_t len = (size_t)git_blob_rawsize(b);
	if ((err = canon_parse(buf, len, path, &rec)) < 0)
		goto done;
	if (merge_is_deleted(rec)) {
		if (!(text = strndup(buf, len)))
			err = ERR_OOM();
		else
			err = store_tomb_put(ls->st, table, id, path, text);
	} else
		err = store_row_put(ls->st, t, id, rec);
done:
	free(text);
	json_decref(rec);
	git_blob_free(b);
	return err;
}

/* A store in memory holding the records of COMMIT's tree. */
int office_history_store_at(c2c_node *n, const git_oid *commit, store **out)
{
	store *st = NULL;
	git_oid tree;
	int err;
	load_state ls = {n->repo, NULL};
	*out = NULL;
	if ((err = repo_commit_tree(n->repo, commit, &tree)) < 0 || (err = store_open(&st, ":memory:", 1, 0)) < 0)
		return err;
	ls.st = st;
	if ((err = store_begin(st)) < 0)
		goto fail;
	if ((err = mergetree_diff(n->repo, NULL, &tree, load_file, &ls)) < 0) {
		store_rollback(st);
		goto fail;
	}
	if ((err = store_commit(st)) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return err;
}
