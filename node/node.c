/* node: finding and opening a node directory (include/c2c/node.h): its
 * lock (lock.c), the state it records, the finishing of an interrupted
 * write (intent.c), the format check and the backfill of tables a newer
 * schema added; and what a command reads about the node as a whole. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/incoming.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/node_internal.h"
#include "c2c/util.h"
#include "c2c/quarantine.h"
#include "c2c/record.h"
#include "c2c/store_browse.h"

int node_file_exists(const char *dir, const char *name)
{
	struct stat sb;
	char *p = path_join(dir, name);
	int ok = p && stat(p, &sb) == 0;
	free(p);
	return ok;
}

int node_locate(char **out, const char *opt)
{
	char cwd[PATH_MAX];
	*out = NULL;
	if (!opt)
		opt = getenv("C2C_DIR");
	if (opt && *opt) {
		if (!node_file_exists(opt, "c2c.db")) {
			err_set(C2C_ENOTFOUND, _("%s is not a c2c node (no c2c.db)"), opt);
			return err_hint(_("create one with 'c2c init %s --city SLUG'"), opt);
		}
		return (*out = strdup(opt)) ? 0 : ERR_OOM();
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return err_errno(C2C_EIO, "reading the current directory");
	for (;;) {
		if (node_file_exists(cwd, "c2c.db"))
			return (*out = strdup(cwd)) ? 0 : ERR_OOM();
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			break;
		*slash = '\0';
	}
	err_set(C2C_ENOTFOUND, _("not in a c2c node (no c2c.db here or in any parent directory)"));
	return err_hint(_("use -C DIR or set C2C_DIR, or create a node with 'c2c init DIR --city SLUG'"));
}


void node_close(c2c_node *n)
{
	if (!n)
		return;
	store_close(n->st);
	quarantine_dispose(&n->quarantine);
	free(n->learnt_office_key);
	keys_signer_free(n->signer);
	git_repository_free(n->repo);
	if (n->lockfd > 0)
		close(n->lockfd); /* releases the flock */
	free(n->dir);
	free(n->gitdir);
	free(n->dbpath);
	free(n->node_id);
	free(n->city);
	free(n->role);
	free(n->user_name);
	free(n->user_email);
	free(n);
}

int node_alloc(c2c_node **out, const char *dir)
{
	c2c_node *n = calloc(1, sizeof(*n));
	*out = NULL;
	if (!n)
		return ERR_OOM();
	n->lockfd = -1;
	n->dir = strdup(dir);
	n->gitdir = path_join(dir, "repo.git");
	n->dbpath = path_join(dir, "c2c.db");
	if (!n->dir || !n->gitdir || !n->dbpath) {
		node_close(n);
		return ERR_OOM();
	}
	*out = n;
	return 0;
}

/* ----------------------------------------------------------------- open */

static int read_state(c2c_node *n)
{
	char *head = NULL;
	int err;
	if ((err = store_state_get(n->st, "node_id", &n->node_id)) < 0 ||
	    (err = store_state_get(n->st, "role", &n->role)) < 0 ||
	    (err = store_state_get(n->st, "user_name", &n->user_name)) < 0 ||
	    (err = store_state_get(n->st, "user_email", &n->user_email)) < 0 ||
	    (err = store_state_get(n->st, "head", &head)) < 0) {
		err_prefix("%s: ", n->dbpath);
		return err_hint("the node was not fully created; remove %s and run 'c2c init' again", n->dir);
	}
	if ((err = store_state_get(n->st, "city", &n->city)) < 0 && err != C2C_ENOTFOUND)
		goto done;
	err = 0;
	if (git_oid_fromstr(&n->head, head) < 0)
		err = err_set(C2C_ECORRUPT, "%s: recorded head '%s' is not a commit id", n->dbpath, head);
done:
	free(head);
	return err;
}


static int check_format(c2c_node *n)
{
	char *buf = NULL;
	json_t *v = NULL;
	int err = repo_read_path(n->repo, &n->head, "network/network.json", &buf, NULL, NULL);
	if (err == C2C_ENOTFOUND)
		return err_set(C2C_ECORRUPT, "%s: the head has no network/network.json", n->gitdir);
	if (err < 0)
		return err;
	if ((err = canon_parse(buf, strlen(buf), "network/network.json", &v)) == 0) {
		json_int_t major = json_integer_value(json_object_get(v, "format_major"));
		if (major > NODE_FORMAT_MAJOR) {
			err = err_set(C2C_EVERSION, "%s holds format %lld, newer than this c2c reads (%d)", n->gitdir,
			              (long long)major, NODE_FORMAT_MAJOR);
			err_hint("install a newer c2c to use this node");
		}
	}
	json_decref(v);
	free(buf);
	return err;
}

typedef struct {
	c2c_node *n;
	const table_def *t;
	const char *prefix; /* "network/<table>/" */
} backfill_state;

static int backfill_file(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload)
{
	backfill_state *b = payload;
	char full[512], table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	git_blob *blob = NULL;
	json_t *rec = NULL;
	char *text = NULL;
	int rc, err;
	(void)old_id;
	snprintf(full, sizeof(full), "%s%s", b->prefix, path);
	if (record_parse_path(full, table, id, city) < 0 || strcmp(table, b->t->name))
		return 0;
	if ((rc = git_blob_lookup(&blob, b->n->repo, new_id)) < 0)
		return err_git(rc, full);
	const char *buf = git_blob_rawcontent(blob);
	size_t len = (size_t)git_blob_rawsize(blob);
	if ((err = canon_parse(buf, len, full, &rec)) < 0)
		goto done;
	if (merge_is_deleted(rec)) {
		if (!(text = strndup(buf, len)))
			err = ERR_OOM();
		else
			err = store_tomb_put(b->n->st, table, id, full, text);
	} else
		err = store_row_put(b->n->st, b->t, id, rec);
done:
	free(text);
	json_decref(rec);
	git_blob_free(blob);
	return err;
}

/* A migration that adds a network table (schema/007-reviews.sql) leaves its
 * name in c2c_state 'backfill': a node of an older c2c kept such records in
 * git without rows (advance skips tables it does not know), so their rows
 * are made now from the head, in one transaction that clears the key. */
static int backfill(c2c_node *n)
{
	char *list = NULL, *save = NULL;
	int err = store_state_get(n->st, "backfill", &list);
	if (err == C2C_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	git_commit *c = NULL;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int rc;
	if ((err = store_begin(n->st)) < 0)
		goto out;
	if ((rc = git_commit_lookup(&c, n->repo, &n->head)) < 0 || (rc = git_commit_tree(&root, c)) < 0) {
		err = err_git(rc, "reading the head");
		goto fail;
	}
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const table_def *t = store_table(n->st, name);
		char prefix[128];
		if (!t || t->city_scope)
			continue;
		snprintf(prefix, sizeof(prefix), "network/%s/", name);
		prefix[strlen(prefix) - 1] = '\0';
		if (git_tree_entry_bypath(&e, root, prefix) < 0)
			continue;
		strcat(prefix, "/");
		backfill_state b = {n, t, prefix};
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    (err = mergetree_diff(n->repo, NULL, git_tree_entry_id(e), backfill_file, &b)) < 0)
			goto fail;
		git_tree_entry_free(e);
		e = NULL;
	}
	if ((err = store_state_set(n->st, "backfill", NULL)) < 0 || (err = store_commit(n->st)) < 0)
		goto fail;
	goto out;
fail:
	store_rollback(n->st);
out:
	git_tree_entry_free(e);
	git_tree_free(root);
	git_commit_free(c);
	free(list);
	return err;
}

/* The lock (lock.c) and the finishing of an interrupted write (intent.c),
 * under the names node_open has always called them by. */
static int take_lock(c2c_node *n) { return node_lock_take(n); }
static int recover(c2c_node *n) { return node_recover(n); }

int node_open(c2c_node **out, const char *dir, int mode)
{
	c2c_node *n = NULL;
	int err, dropped = 0;
	*out = NULL;
	if ((err = node_alloc(&n, dir)) < 0 || (err = take_lock(n)) < 0 || (err = repo_global_init()) < 0 ||
	    (err = store_open(&n->st, n->dbpath, 0, 0)) < 0 || (err = repo_open(&n->repo, n->gitdir)) < 0 ||
	    (err = read_state(n)) < 0 || (err = recover(n)) < 0 || (err = quarantine_repair(&n->quarantine, n->repo, n->gitdir, &dropped)) < 0)
		goto fail;
	n->dropped_fetch = dropped;
	if (n->head_moved && mode == NODE_WRITE) {
		git_oid ref;
		char a[GIT_OID_HEXSZ + 1] = "(none)", b[GIT_OID_HEXSZ + 1];
		if (repo_head(n->repo, &ref) == 0)
			git_oid_tostr(a, sizeof(a), &ref);
		git_oid_tostr(b, sizeof(b), &n->head);
		err = err_set(C2C_ECONFLICT,
		              "%s: refs/heads/main is %.12s but the database records %.12s: the head moved behind "
		              "the node's back; refusing to write",
		              n->gitdir, a, b);
		err_hint("run 'c2c verify' to see what differs, then 'c2c repair'");
		goto fail;
	}
	if (!n->head_moved && ((err = check_format(n)) < 0 || (err = backfill(n)) < 0))
		goto fail;
	*out = n;
	return 0;
fail:
	node_close(n);
	return err;
}

int node_open_repo(c2c_node **out, const char *dir)
{
	c2c_node *n = NULL;
	int err;
	*out = NULL;
	if ((err = node_alloc(&n, dir)) < 0 || (err = repo_global_init()) < 0 ||
	    (err = repo_open(&n->repo, n->gitdir)) < 0) {
		node_close(n);
		return err;
	}
	*out = n;
	return 0;
}

int node_signer(c2c_node *n, const keys_signer **out)
{
	int err;
	if (!n->signer && (err = keys_signer_load(&n->signer, n->dir)) < 0)
		return err_prefix("cannot sign the commit with the node's key: ");
	*out = n->signer;
	return 0;
}

typedef struct {
	c2c_node *n;
	const table_def *t;
	long long count;
} conflict_count;

static int count_open(const char *id, void *payload)
{
	conflict_count *c = payload;
	json_t *rec = NULL;
	if (store_row_get(c->n->st, c->t, id, &rec) == 0 && merge_has_conflicts(rec))
		c->count++;
	json_decref(rec);
	return 0;
}

long long node_open_conflicts(c2c_node *n)
{
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	conflict_count c = {n, NULL, 0};
	for (size_t i = 0; i < nt; i++) {
		c.t = &t[i];
		store_browse_conflicted(n->st, &t[i], -1, count_open, &c);
	}
	err_clear();
	return c.count;
}
