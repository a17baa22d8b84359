#include "c2c/sync.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/incoming.h"
#include "c2c/push.h"
#include "c2c/fault.h"
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/trust.h"
#include "c2c/repo.h"
#include "c2c/transport.h"

/* ---------------------------------------------------------------- remotes */

static int exec_bound(c2c_node *n, const char *sql, const char *a, const char *b, long long c)
{
	sqlite3 *db = store_db(n->st);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return err_sqlite(db, rc, "preparing a statement");
	if (a)
		sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	if (c)
		sqlite3_bind_int64(s, 3, c);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(db, rc, "writing remotes");
}

/* Where URL's commits are: the repository to fetch from, and whether it is a
 * hub. *gitdir malloc'd. */
static int remote_target(const char *url, char **gitdir, int *is_hub)
{
	struct stat sb;
	char p[PATH_MAX];
	git_repository *r = NULL;
	git_config *cfg = NULL;
	int rc, hub = 0;
	*gitdir = NULL;
	if (!strncmp(url, "ssh://", 6)) {
		/* Hub or peer is told by what it advertises, once connected. */
		transport_url u;
		int err = transport_parse_url(url, &u);
		*is_hub = -1;
		return err < 0 ? err : (*gitdir = strdup(url)) ? 0 : err_set(C2C_ENOMEM, "out of memory");
	}
	if (stat(url, &sb) < 0) {
		err_set(C2C_ENOTFOUND, _("%s does not exist"), url);
		return err_hint(_("a remote is a node directory or a hub made by 'c2c hub init'; if it moved, "
		                "'c2c remote rm' it and add it again"));
	}
	snprintf(p, sizeof(p), "%s/c2c.db", url);
	if (stat(p, &sb) == 0) {
		snprintf(p, sizeof(p), "%s/repo.git", url);
		*is_hub = 0;
		return (*gitdir = strdup(p)) ? 0 : err_set(C2C_ENOMEM, "out of memory");
	}
	if ((rc = git_repository_open_ext(&r, url, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL)) < 0) {
		err_set(C2C_EINVALID, _("%s is neither a c2c node nor a hub"), url);
		return err_hint(_("a remote is a node directory (with c2c.db) or a hub made by 'c2c hub init PATH'"));
	}
	if (git_repository_config_snapshot(&cfg, r) == 0)
		git_config_get_bool(&hub, cfg, "c2c.hub");
	git_config_free(cfg);
	git_repository_free(r);
	if (!hub) {
		err_set(C2C_EINVALID, _("%s is a git repository but not a c2c hub"), url);
		return err_hint(_("make a hub with 'c2c hub init %s'"), url);
	}
	*is_hub = 1;
	return (*gitdir = strdup(url)) ? 0 : err_set(C2C_ENOMEM, "out of memory");
}

int sync_remote_add(c2c_node *n, const char *name, const char *url)
{
	char abs[PATH_MAX], *gitdir = NULL;
	int hub, err;
	if (!record_id_valid(name)) {
		err_set(C2C_EUSAGE, _("'%s' is not a remote name"), name);
		return err_hint(_("names are lower-case letters, digits, '.', '_' and '-' (hub, office, tunis)"));
	}
	if (strncmp(url, "ssh://", 6) && realpath(url, abs))
		url = abs;
	if ((err = remote_target(url, &gitdir, &hub)) < 0)
		return err;
	free(gitdir);
	sync_remote existing;
	if (sync_remote_get(n, name, &existing) == 0) {
		sync_remote_dispose(&existing);
		err_set(C2C_EINVALID, _("remote '%s' already exists"), name);
		return err_hint(_("remove it first with 'c2c remote rm %s'"), name);
	}
	return exec_bound(n, "INSERT INTO c2c_remotes (name, url, added) VALUES (?, ?, ?)", name, url,
	                  (long long)time(NULL));
}

int sync_remote_rm(c2c_node *n, const char *name)
{
	sync_remote r;
	int err = sync_remote_get(n, name, &r);
	if (err < 0)
		return err;
	sync_remote_dispose(&r);
	if ((err = exec_bound(n, "DELETE FROM c2c_remotes WHERE name = ?", name, NULL, 0)) < 0 ||
	    (err = exec_bound(n, "DELETE FROM c2c_held WHERE remote = ?", name, NULL, 0)) < 0)
		return err;
	/* Forget what was fetched from it. */
	git_strarray refs = {0};
	char prefix[256];
	snprintf(prefix, sizeof(prefix), "refs/c2c/remotes/%s/", name);
	if (git_reference_list(&refs, n->repo) == 0) {
		for (size_t i = 0; i < refs.count; i++)
			if (!strncmp(refs.strings[i], prefix, strlen(prefix)))
				git_reference_remove(n->repo, refs.strings[i]);
		git_strarray_dispose(&refs);
	}
	return 0;
}

static int valid_fingerprint(const char *fp)
{
	size_t n = strlen(fp);
	if (strncmp(fp, "SHA256:", 7) || n != 7 + 43)
		return 0;
	for (const char *p = fp + 7; *p; p++)
		if (!(('A' <= *p && *p <= 'Z') || ('a' <= *p && *p <= 'z') || ('0' <= *p && *p <= '9') || *p == '+' ||
		      *p == '/'))
			return 0;
	return 1;
}

int sync_remote_trust(c2c_node *n, const char *name, const char *fp, char **shown)
{
	sync_remote r;
	char *seen = NULL;
	int err;
	*shown = NULL;
	if ((err = sync_remote_get(n, name, &r)) < 0)
		return err;
	if (strncmp(r.url, "ssh://", 6)) {
		err = err_set(C2C_EINVALID, _("remote %s is a path (%s): there is no host key to trust"), name, r.url);
		goto done;
	}
	if (fp && !valid_fingerprint(fp)) {
		err = err_set(C2C_EUSAGE, _("'%s' is not a SHA256 fingerprint"), fp);
		err_hint(_("it looks like SHA256:<43 characters>, as 'ssh-keygen -lf KEY.pub' prints it"));
		goto done;
	}
	if (!fp) {
		if ((err = transport_register()) < 0)
			goto done;
		transport_begin(name, n->dir, NULL);
		err = transport_probe(r.url, &seen);
		transport_end();
		if (err < 0)
			goto done;
		fp = seen;
	}
	if ((err = exec_bound(n, "UPDATE c2c_remotes SET host_key = ?2 WHERE name = ?1", name, fp, 0)) == 0)
		*shown = strdup(fp);
done:
	free(seen);
	sync_remote_dispose(&r);
	return err;
}

static char *dup_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

static int list_where(c2c_node *n, const char *name, sync_remote **out, size_t *count)
{
	sqlite3 *db = store_db(n->st);
	sqlite3_stmt *s = NULL;
	sync_remote *v = NULL;
	size_t k = 0;
	int rc = sqlite3_prepare_v2(db,
	                            name ? "SELECT name, url, added, last_attempt, last_ok, last_result, host_key FROM "
	                                   "c2c_remotes WHERE name = ?"
	                                 : "SELECT name, url, added, last_attempt, last_ok, last_result, host_key FROM "
	                                   "c2c_remotes ORDER BY name",
	                            -1, &s, NULL);
	if (rc != SQLITE_OK)
		return err_sqlite(db, rc, "reading remotes");
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sync_remote *nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			sqlite3_finalize(s);
			sync_remote_list_free(v, k);
			return err_set(C2C_ENOMEM, "out of memory");
		}
		v = nv;
		sync_remote *r = &v[k++];
		r->name = dup_col(s, 0);
		r->url = dup_col(s, 1);
		r->added = sqlite3_column_int64(s, 2);
		r->last_attempt = sqlite3_column_int64(s, 3);
		r->last_ok = sqlite3_column_int64(s, 4);
		r->last_result = dup_col(s, 5);
		r->host_key = dup_col(s, 6);
	}
	sqlite3_finalize(s);
	*out = v;
	*count = k;
	return 0;
}

int sync_remote_get(c2c_node *n, const char *name, sync_remote *out)
{
	sync_remote *v = NULL;
	size_t k = 0;
	int err = list_where(n, name, &v, &k);
	memset(out, 0, sizeof(*out));
	if (err < 0)
		return err;
	if (k == 0) {
		err_set(C2C_ENOTFOUND, _("no remote '%s'"), name);
		return err_hint(_("'c2c remote ls' lists them; 'c2c remote add NAME PATH' adds one"));
	}
	*out = v[0];
	free(v);
	return 0;
}

int sync_remote_list(c2c_node *n, sync_remote **out, size_t *count) { return list_where(n, NULL, out, count); }

void sync_remote_dispose(sync_remote *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->url);
	free(r->last_result);
	free(r->host_key);
	memset(r, 0, sizeof(*r));
}

void sync_remote_list_free(sync_remote *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		sync_remote_dispose(&list[i]);
	free(list);
}

/* ------------------------------------------------------------------- sync */

static sync_progress_fn progress_fn;

void sync_set_progress(sync_progress_fn fn) { progress_fn = fn; }

void sync_progress(const char *label, size_t done, size_t total)
{
	if (progress_fn)
		progress_fn(label, done, total);
}

static int fetch_progress(const git_indexer_progress *st, void *payload)
{
	(void)payload;
	sync_progress("receiving objects", st->received_objects, st->total_objects);
	return 0;
}

typedef struct {
	git_oid *v;
	size_t n, cap;
} oid_vec;

static int vec_push(oid_vec *v, const git_oid *id)
{
	for (size_t i = 0; i < v->n; i++)
		if (git_oid_equal(&v->v[i], id))
			return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		git_oid *x = realloc(v->v, cap * sizeof(*x));
		if (!x)
			return err_set(C2C_ENOMEM, "out of memory");
		v->v = x;
		v->cap = cap;
	}
	git_oid_cpy(&v->v[v->n++], id);
	return 0;
}

static int cmp_oid(const void *a, const void *b) { return git_oid_cmp(a, b); }

/* Fetch from a hub (IS_HUB 1), a peer (0), or either (-1: both refspecs;
 * what matched tells which, without a connection of its own). */
static int fetch(c2c_node *n, git_remote *rm, const char *name, int is_hub, int want_key)
{
	char spec[512], spec2[512], spec3[512];
	char *specs[3];
	size_t ns = 0;
	git_fetch_options fo;
	int rc;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	fo.callbacks.transfer_progress = fetch_progress;
	snprintf(spec, sizeof(spec), "+refs/heads/nodes/*:refs/c2c/remotes/%s/nodes/*", name);
	snprintf(spec2, sizeof(spec2), "+refs/heads/main:refs/c2c/remotes/%s/main", name);
	/* A hub given the office's key publishes it (a blob); a node that has
	 * none yet learns it from the first hub it trusts. */
	snprintf(spec3, sizeof(spec3), "+refs/c2c/office-key:refs/c2c/remotes/%s/office-key", name);
	if (is_hub != 0)
		specs[ns++] = spec;
	if (is_hub <= 0)
		specs[ns++] = spec2;
	if (is_hub != 0 && want_key)
		specs[ns++] = spec3;
	git_strarray refspecs = {specs, ns};
	(void)n;
	err_clear();
	if ((rc = git_remote_fetch(rm, &refspecs, &fo, "c2c sync: fetch")) < 0)
		return err_code() < 0 ? err_code() : err_git(rc, "fetching");
	return 0;
}

/* What fetch_local gathers: the node's object database (what it holds)
 * and the ids of the objects to copy. */
typedef struct {
	git_odb *odb;
	repo_oids ids;
} local_objs;

static int local_have(const git_oid *id, void *payload) { return git_odb_exists(((local_objs *)payload)->odb, id); }

/* Stored whole (repo_pack_copy): no deltas on a local disk. */
static int local_add(const git_oid *id, const git_oid *base, void *payload)
{
	return repo_oids_add(id, base, &((local_objs *)payload)->ids);
}

/* Fetch from GITDIR, a hub or a node's repo.git on this machine, as
 * fetch() does over a transport, but without libgit2's local transport,
 * whose pack walk reads every tree of the commits the node already holds
 * and then searches deltas the disk does not need: the new objects are
 * found by repo_pack_sparse, at a cost that grows with the change, and
 * written whole into a pack in the quarantine. The refs under
 * refs/c2c/remotes/NAME/ are set as the refspecs of fetch() would set them.
 * ARRIVED gets the heads the remote has (its nodes' branches, or main). */
static int fetch_local(c2c_node *n, const char *gitdir, const char *name, int is_hub, int want_key, oid_vec *arrived)
{
	git_repository *src = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *sodb = NULL;
	local_objs objs = {0};
	char **names = NULL, dst[PATH_MAX], pack[PATH_MAX];
	git_oid *ids = NULL, key;
	size_t nn = 0, commits = 0;
	int rc, err = 0, has_key = 0;
	if ((rc = git_repository_open_bare(&src, gitdir)) < 0)
		return err_git(rc, gitdir);
	if ((rc = git_repository_odb(&objs.odb, n->repo)) < 0 || (rc = git_repository_odb(&sodb, src)) < 0 ||
	    (rc = git_reference_iterator_glob_new(&it, src, is_hub ? "refs/heads/nodes/*" : "refs/heads/main")) < 0)
		goto fail;
	while ((rc = git_reference_next(&ref, it)) == 0) {
		char **x = realloc(names, (nn + 1) * sizeof(*names));
		git_oid *y = x ? realloc(ids, (nn + 1) * sizeof(*ids)) : NULL;
		names = x ? x : names;
		ids = y ? y : ids;
		if (!y || !(names[nn] = strdup(git_reference_name(ref)))) {
			git_reference_free(ref);
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		rc = git_reference_name_to_id(&ids[nn], src, names[nn]);
		nn++;
		git_reference_free(ref);
		if (rc < 0)
			goto fail;
		if ((err = vec_push(arrived, &ids[nn - 1])) < 0)
			goto done;
	}
	if (rc != GIT_ITEROVER)
		goto fail;
	if ((err = repo_pack_sparse(src, ids, nn, NULL, 0, local_have, local_add, &objs, &commits)) < 0)
		goto done;
	has_key = is_hub && want_key && git_reference_name_to_id(&key, src, "refs/c2c/office-key") == 0;
	if (has_key && !git_odb_exists(objs.odb, &key) && (err = local_add(&key, NULL, &objs)) < 0)
		goto done;
	git_error_clear();
	/* Each object once, read from the remote and stored whole. */
	snprintf(pack, sizeof(pack), "%s/objects/c2c-incoming/pack", n->gitdir);
	if ((err = repo_pack_copy(n->repo, pack, sodb, gitdir, &objs.ids, sync_progress, "copying objects")) < 0)
		goto done;
	for (size_t i = 0; i <= nn; i++) {
		git_reference *r = NULL;
		if (i == nn && !has_key)
			break;
		if (i == nn)
			snprintf(dst, sizeof(dst), "refs/c2c/remotes/%s/office-key", name);
		else
			snprintf(dst, sizeof(dst), "refs/c2c/remotes/%s/%s", name, names[i] + strlen("refs/heads/"));
		rc = git_reference_create(&r, n->repo, dst, i == nn ? &key : &ids[i], 1, "c2c sync: fetch");
		git_reference_free(r);
		if (rc < 0)
			goto fail;
	}
	goto done;
fail:
	err = err_git(rc, gitdir);
done:
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(ids);
	free(objs.ids.v);
	git_reference_iterator_free(it);
	git_odb_free(sodb);
	git_odb_free(objs.odb);
	git_repository_free(src);
	return err;
}

/* Take the node back after network work that ended with ERR, keeping
 * ERR's message (relocking must not overwrite what went wrong). */
static int relock_after(c2c_node *n, int err)
{
	if (err == 0)
		return node_relock(n);
	char msg[1024], hint[512];
	snprintf(msg, sizeof(msg), "%s", err_msg());
	snprintf(hint, sizeof(hint), "%s", err_hint_msg() ? err_hint_msg() : "");
	node_relock(n);
	err_set(err, "%s", msg);
	if (hint[0])
		err_hint("%s", hint);
	return err;
}

/* A remote branch fetched into refs/c2c/remotes/NAME/: BRANCH is the part
 * after that ("nodes/<id>", "main"), or NULL for a head the remote
 * advertised that no listed ref holds. */
typedef struct {
	char *branch;
	git_oid tip;
	int held;
} branch;

typedef struct {
	branch *v;
	size_t n, cap;
} branches;

static void branches_free(branches *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].branch);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static int branches_add(branches *b, const char *name, const git_oid *tip)
{
	for (size_t i = 0; i < b->n; i++)
		if (git_oid_equal(&b->v[i].tip, tip) && (!name || (b->v[i].branch && !strcmp(b->v[i].branch, name))))
			return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		branch *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return err_set(C2C_ENOMEM, "out of memory");
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n].branch = name ? strdup(name) : NULL;
	if (name && !b->v[b->n].branch)
		return err_set(C2C_ENOMEM, "out of memory");
	b->v[b->n].tip = *tip;
	b->v[b->n].held = 0;
	b->n++;
	return 0;
}

/* The branches fetched from NAME whose tips hold commits the head lacks. */
static int fetched_branches(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived, sync_result *res,
                            branches *out)
{
	git_strarray refs = {0};
	char prefix[256];
	int rc, err = 0;
	size_t pl = (size_t)snprintf(prefix, sizeof(prefix), "refs/c2c/remotes/%s/", name);
	if ((rc = git_reference_list(&refs, n->repo)) < 0)
		return err_git(rc, "listing fetched refs");
	for (size_t i = 0; i < refs.count + narrived && err == 0; i++) {
		git_oid tip;
		const char *bname = NULL;
		if (i >= refs.count)
			tip = arrived[i - refs.count];
		else if (strncmp(refs.strings[i], prefix, pl))
			continue;
		else if ((rc = git_reference_name_to_id(&tip, n->repo, refs.strings[i])) == GIT_ENOTFOUND)
			continue;
		else if (rc < 0) {
			err = err_git(rc, refs.strings[i]);
			break;
		} else {
			res->tips++;
			bname = refs.strings[i] + pl;
		}
		if (git_oid_equal(&tip, &n->head) || git_graph_descendant_of(n->repo, &n->head, &tip) == 1)
			continue;
		if (!bname) { /* an advertised head: named if a listed branch has it */
			int known = 0;
			for (size_t j = 0; j < out->n && !known; j++)
				known = git_oid_equal(&out->v[j].tip, &tip);
			if (known)
				continue;
		}
		err = branches_add(out, bname, &tip);
	}
	if (res->tips < narrived)
		res->tips = narrived;
	git_strarray_dispose(&refs);
	return err;
}

/* The tips of the branches not held, reduced to those no other holds, by
 * id. */
static int candidates(c2c_node *n, const branches *b, oid_vec *out)
{
	int err = 0;
	out->n = 0;
	for (size_t i = 0; i < b->n && err == 0; i++) {
		int inside = b->v[i].held;
		for (size_t j = 0; j < b->n && !inside; j++)
			inside = !b->v[j].held && !git_oid_equal(&b->v[j].tip, &b->v[i].tip) &&
			         git_graph_descendant_of(n->repo, &b->v[j].tip, &b->v[i].tip) == 1;
		if (!inside)
			err = vec_push(out, &b->v[i].tip);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_oid);
	return err;
}

/* Hold branch B: nothing of it is merged; HELD gets what to show. The
 * error message (incoming.c's "FROM: commit ID refused: RULE", or a merge's)
 * says why. */
static int hold(c2c_node *n, branch *b, json_t *held)
{
	char tip[GIT_OID_HEXSZ + 1], commit[GIT_OID_HEXSZ + 1], node[128] = "", release[512];
	const char *msg = err_msg(), *rule = msg, *p;
	char *city = NULL;
	json_t *o = NULL;
	int err = 0;
	b->held = 1;
	git_oid_tostr(tip, sizeof(tip), &b->tip);
	snprintf(commit, sizeof(commit), "%s", tip);
	if ((p = strstr(msg, ": commit ")) && strlen(p) > 9 + GIT_OID_HEXSZ && !strncmp(p + 9 + GIT_OID_HEXSZ, " refused: ", 10)) {
		snprintf(commit, sizeof(commit), "%.40s", p + 9);
		rule = p + 9 + GIT_OID_HEXSZ + 10;
	}
	if (b->branch && !strncmp(b->branch, "nodes/", 6))
		snprintf(node, sizeof(node), "%s", b->branch + 6);
	else {
		/* A peer's main: the node that made the refused commit, as it says. */
		git_commit *c = NULL;
		git_oid id;
		if (git_oid_fromstr(&id, commit) == 0 && git_commit_lookup(&c, n->repo, &id) == 0 &&
		    git_commit_committer(c) && git_commit_committer(c)->name)
			snprintf(node, sizeof(node), "%s", git_commit_committer(c)->name);
		git_commit_free(c);
		git_error_clear();
	}
	const table_def *t = store_table(n->st, "nodes");
	json_t *rec = NULL;
	if (node[0] && t && store_row_get(n->st, t, node, &rec) == 0)
		city = json_string_value(json_object_get(rec, "city")) ? strdup(json_string_value(json_object_get(rec, "city")))
		                                                        : NULL;
	json_decref(rec);
	err_clear();
	if (strstr(rule, "which the office has not registered"))
		snprintf(release, sizeof(release),
		         "it waits for the office to register %s ('c2c node add' on the office's node); every sync tries it "
		         "again",
		         node[0] ? node : "its node");
	else if (strstr(rule, "whose key the office revoked"))
		snprintf(release, sizeof(release),
		         "nothing: the office revoked %s's key, and what it signed after the cut is never accepted (its city "
		         "carries on from a new node)",
		         node[0] ? node : "its node");
	else
		snprintf(release, sizeof(release),
		         "%s must mend its history (or the office revoke its key); every sync tries it again",
		         node[0] ? node : "the node that made it");
	o = json_pack("{s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s}", "branch", b->branch, "node", node[0] ? node : NULL, "city",
	              city, "tip", tip, "commit", commit, "rule", rule, "release", release);
	if (!o || json_array_append_new(held, o) < 0)
		err = err_set(C2C_ENOMEM, "out of memory");
	free(city);
	return err;
}

static int merge_commit(c2c_node *n, const char *name, const oid_vec *tips, git_oid *tree, git_oid *out)
{
	git_commit **parents = calloc(tips->n + 1, sizeof(*parents));
	git_tree *t = NULL;
	git_signature *sig = NULL;
	char msg[512], cname[128], cmail[160];
	int rc, err = 0;
	size_t k = 0;
	if (!parents)
		return err_set(C2C_ENOMEM, "out of memory");
	if ((rc = git_commit_lookup(&parents[k++], n->repo, &n->head)) < 0)
		goto fail;
	for (size_t i = 0; i < tips->n; i++)
		if ((rc = git_commit_lookup(&parents[k++], n->repo, &tips->v[i])) < 0)
			goto fail;
	snprintf(cname, sizeof(cname), "%s", n->node_id);
	snprintf(cmail, sizeof(cmail), "%s@c2c.invalid", n->node_id);
	snprintf(msg, sizeof(msg), "sync with %s: join %zu branch%s\n\nC2C-Node: %s\nC2C-Merge: join-1\n", name, tips->n,
	         tips->n == 1 ? "" : "es", n->node_id);
	const keys_signer *signer = NULL;
	if ((rc = git_tree_lookup(&t, n->repo, tree)) < 0 ||
	    (rc = git_signature_new(&sig, cname, cmail, (git_time_t)time(NULL), 0)) < 0)
		goto fail;
	if ((err = node_signer(n, &signer)) == 0)
		err = repo_commit_write(n->repo, signer, sig, sig, msg, t, k, (const git_commit **)parents, out);
	goto done;
fail:
	err = err_git(rc, "making the merge commit");
done:
	for (size_t i = 0; i < k; i++)
		git_commit_free(parents[i]);
	free(parents);
	git_tree_free(t);
	git_signature_free(sig);
	return err;
}

/* Push main to the hub's refs/heads/nodes/<node-id>: c2c's own send-pack
 * over ssh (thin, with deltas), or straight into a hub by path; both find
 * what the hub lacks at the cost of the change (push.h). 0 once the hub
 * holds it; the hub's refusal names the ref and says why. */
static int push(c2c_node *n, git_remote *rm, const char *name, sync_result *res)
{
	char theirs_ref[256], want[256];
	const char *url = git_remote_url(rm);
	push_stats st;
	git_oid theirs;
	int rc, ssh = !strncmp(url, "ssh://", 6);
	snprintf(want, sizeof(want), "refs/heads/nodes/%s", n->node_id);
	snprintf(theirs_ref, sizeof(theirs_ref), "refs/c2c/remotes/%s/nodes/%s", name, n->node_id);
	if (git_reference_name_to_id(&theirs, n->repo, theirs_ref) == 0 && git_oid_equal(&theirs, &n->head)) {
		res->pushed = 0;
		return 0;
	}
	fault_point("sync: before push");
	rc = ssh ? push_thin(n, url, want, &n->head, &st) : push_local(n, url, want, &n->head, &st);
	if (rc < 0) {
		/* The transport's messages name the remote and step already. */
		if (strncmp(err_msg(), name, strlen(name)) || err_msg()[strlen(name)] != ':')
			err_prefix("%s: push: ", name);
		return rc;
	}
	res->thin_push = 1; /* by path too: the hub's own receive-pack (push.h) */
	res->pushed_objects = st.objects;
	res->pushed_deltas = st.deltas;
	fault_point("sync: pushed, before the pushed ref is recorded");
	git_reference *ref = NULL;
	git_reference_create(&ref, n->repo, theirs_ref, &n->head, 1, "c2c sync: pushed");
	git_reference_free(ref);
	res->pushed = 1;
	return 0;
}

static void record_result(c2c_node *n, const char *name, int ok, const char *what)
{
	sqlite3 *db = store_db(n->st);
	sqlite3_stmt *s = NULL;
	const char *sql = ok ? "UPDATE c2c_remotes SET last_attempt = ?3, last_ok = ?3, last_result = ?2, failures = 0 "
	                       "WHERE name = ?1"
	                     : "UPDATE c2c_remotes SET last_attempt = ?3, last_result = ?2, failures = failures + 1 "
	                       "WHERE name = ?1";
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, what, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (long long)time(NULL));
	sqlite3_step(s);
	sqlite3_finalize(s);
}

/* Judge each branch fetched from NAME on its own and merge those that pass
 * (SPEC 7: no node can stop another). A branch whose new commits fail a
 * check, or whose tip cannot join the others (two versions of one edit),
 * is held: added to HELD, nothing of it merged. *MOVED: the head moved. */
static int merge_round(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived, sync_result *res,
                       json_t *held, int *moved)
{
	branches br = {0};
	oid_vec tips = {0};
	incoming_batch *batch = NULL;
	git_oid joined, head_tree, target;
	int err, ff = 0;
	size_t nheld = 0;
	*moved = 0;
	res->tips = 0;
	if ((err = fetched_branches(n, name, arrived, narrived, res, &br)) < 0 ||
	    (err = incoming_batch_new(&batch, n)) < 0)
		goto done;
	/* Every incoming commit is checked before anything is merged. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t learnt = 0, added;
		for (size_t i = 0; i < br.n; i++) {
			if (br.v[i].held)
				continue;
			int e = incoming_check(n, batch, name, &br.v[i].tip);
			if (e == C2C_EINVALID || e == C2C_EAUTH) {
				if ((err = hold(n, &br.v[i], held)) < 0)
					goto done;
				nheld++;
			} else if (e < 0) {
				err = e;
				goto done;
			}
		}
		/* A revocation that passed with this sync (I9) counts for every
		 * branch of it: what passed before it is judged again. */
		for (size_t i = 0; i < br.n; i++)
			if (!br.v[i].held) {
				if ((err = incoming_batch_learn(batch, &br.v[i].tip, &added)) < 0)
					goto done;
				learnt += added;
			}
		if (!learnt)
			break;
		incoming_batch *again = NULL;
		if ((err = incoming_batch_new(&again, n)) < 0 || (err = incoming_batch_learn_from(again, batch)) < 0) {
			incoming_batch_free(again);
			goto done;
		}
		incoming_batch_free(batch);
		batch = again;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->check_ms += (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* The tips that passed, joined; one that cannot join (a dot with two
	 * values, from two branches each fine alone) is held in turn. */
	if ((err = repo_commit_tree(n->repo, &n->head, &head_tree)) < 0)
		goto done;
	for (;;) {
		if ((err = candidates(n, &br, &tips)) < 0)
			goto done;
		/* A tip that holds the head holds the join of both: no trees to
		 * open (the join of a record with a later version of itself is
		 * that version). */
		ff = tips.n == 1 && git_graph_descendant_of(n->repo, &tips.v[0], &n->head) == 1;
		joined = head_tree;
		memset(&res->merge, 0, sizeof(res->merge));
		size_t bad = tips.n;
		for (size_t i = 0; i < tips.n && !ff && bad == tips.n; i++) {
			git_oid t;
			if ((err = repo_commit_tree(n->repo, &tips.v[i], &t)) < 0)
				goto done;
			if ((err = mergetree_join(n->repo, &joined, &t, &joined, &res->merge)) == C2C_ECORRUPT)
				bad = i;
			else if (err < 0)
				goto done;
		}
		if (bad == tips.n)
			break;
		char why[768];
		snprintf(why, sizeof(why), "%s", err_msg());
		for (size_t j = 0; j < br.n; j++)
			if (!br.v[j].held && git_oid_equal(&br.v[j].tip, &tips.v[bad])) {
				char hex[GIT_OID_HEXSZ + 1];
				err_set(C2C_EINVALID, "%s: commit %s refused: it cannot join this node's history: %s", name,
				        git_oid_tostr(hex, sizeof(hex), &tips.v[bad]), why);
				if ((err = hold(n, &br.v[j], held)) < 0)
					goto done;
				nheld++;
			}
	}
	res->new_tips = tips.n;
	/* What passed enters repo.git before anything refers to it. */
	if ((err = incoming_quarantine_promote(n, tips.v, tips.n, nheld == 0)) < 0)
		goto done;
	fault_point("sync: checked, accepted from quarantine");
	if (tips.n) {
		if (ff) {
			target = tips.v[0];
			res->fast_forward = 1;
		} else if (git_oid_equal(&joined, &head_tree)) {
			target = n->head; /* we hold it all already */
		} else {
			if ((err = merge_commit(n, name, &tips, &joined, &target)) < 0)
				goto done;
			res->merged = 1;
		}
		fault_point("sync: merged, before the head moves");
		if (!git_oid_equal(&target, &n->head)) {
			if ((err = node_advance(n, &target, res->merged ? "c2c sync: merge" : "c2c sync: fast-forward",
			                        &res->applied)) < 0)
				goto done;
			*moved = 1;
			/* The node's Lamport time covers the whole history it now
			 * holds, as the incoming checks bound it (I5). */
			long long bound = 0, have = 0;
			char *lam = NULL;
			for (size_t i = 0; i < tips.n; i++)
				if (incoming_batch_bound(batch, &tips.v[i]) > bound)
					bound = incoming_batch_bound(batch, &tips.v[i]);
			if (store_state_get(n->st, "lamport", &lam) == 0 && lam)
				have = strtoll(lam, NULL, 10);
			free(lam);
			err_clear();
			if (bound > have && bound <= RECORD_CLOCK_MAX) {
				char num[32];
				snprintf(num, sizeof(num), "%lld", bound);
				if ((err = store_state_set(n->st, "lamport", num)) < 0)
					goto done;
			}
		}
	}
done:
	incoming_batch_free(batch);
	branches_free(&br);
	free(tips.v);
	return err;
}

int sync_merge_fetched(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived, sync_result *res)
{
	json_t *held = NULL;
	int moved = 0, err = 0;
	/* A second round when something was held and something merged: a node
	 * registered by an office commit merged in the first round is known in
	 * the second. */
	for (int round = 0; round < 2; round++) {
		json_decref(held);
		if (!(held = json_array()))
			return err_set(C2C_ENOMEM, "out of memory");
		if ((err = merge_round(n, name, arrived, narrived, res, held, &moved)) < 0)
			goto done;
		if (!json_array_size(held) || !moved)
			break;
	}
	res->held = json_array_size(held);
	err = store_held_replace(n->st, name, held, (long long)time(NULL));
	/* A hand-over of the root that arrived: this node trusts the new root. */
	if (err == 0) {
		char *fp = NULL;
		if ((err = registry_follow_root(n, &fp)) == 0 && fp)
			snprintf(res->root_to, sizeof(res->root_to), "%s", fp);
		free(fp);
	}
done:
	json_decref(held);
	return err;
}

static int sync_inner(c2c_node *n, const sync_remote *r, sync_result *res)
{
	git_remote *rm = NULL;
	char *gitdir = NULL;
	oid_vec arrived = {0}; /* the heads the remote has */
	int rc, err, e2, quarantined = 0, local = 0;
	if ((err = remote_target(r->url, &gitdir, &res->is_hub)) < 0)
		goto done;
	/* An anonymous remote, without url.*.insteadOf rewriting: a node's URLs
	 * are its own, and libgit2 1.5.1 leaks the PCRE2 match data of that
	 * lookup on every remote it makes (20 KB per sync in autosync). */
	git_remote_create_options ro;
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = n->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((rc = git_remote_create_with_opts(&rm, gitdir, &ro)) < 0) {
		err = err_git(rc, r->url);
		goto done;
	}
	transport_step("fetch");
	/* What comes in waits in quarantine until checked (incoming.h). */
	if ((err = incoming_quarantine_open(n)) < 0)
		goto done;
	quarantined = 1;
	/* The network may be slow or down: other commands may use the node
	 * meanwhile (fetch only adds objects and refs under refs/c2c/). */
	char *root = NULL;
	int want_key = registry_office_key(n, &root) == C2C_ENOTFOUND;
	free(root);
	err_clear();
	node_unlock(n);
	local = res->is_hub >= 0; /* by path: a hub or a node's repository here */
	err = local ? fetch_local(n, gitdir, r->name, res->is_hub, want_key, &arrived)
	            : fetch(n, rm, r->name, res->is_hub, want_key);
	fault_point("sync: fetched into quarantine, node unlocked");
	if ((err = relock_after(n, err)) < 0)
		goto done;
	if (want_key && (err = registry_learn_office_key(n, r->name)) < 0)
		goto done;
	if (n->head_moved) {
		err = err_set(C2C_ECONFLICT, "%s: the head moved behind the node's back; refusing to merge", n->gitdir);
		err_hint("run 'c2c verify', then 'c2c repair'");
		goto done;
	}
	res->before = n->head;
	if (res->is_hub < 0) {
		/* Over ssh: a peer node advertises main, a hub only nodes' branches
		 * (the list stays readable after the fetch). */
		const git_remote_head **heads = NULL;
		size_t nh = 0;
		res->is_hub = 1;
		if (git_remote_ls(&heads, &nh, rm) == 0)
			for (size_t i = 0; i < nh; i++)
				if (!strcmp(heads[i]->name, "refs/heads/main"))
					res->is_hub = 0;
		if (res->is_hub) {
			char stale[256];
			git_reference *ref = NULL;
			snprintf(stale, sizeof(stale), "refs/c2c/remotes/%s/main", r->name);
			if (git_reference_lookup(&ref, n->repo, stale) == 0)
				git_reference_delete(ref);
			git_reference_free(ref);
		}
	}
	fault_point("sync: fetched");
	{
		/* The heads the remote advertised, which the fetch brought. */
		const git_remote_head **heads = NULL;
		size_t nh = 0;
		if (!local && (rc = git_remote_ls(&heads, &nh, rm)) < 0)
			err = err_git(rc, "listing the remote's heads");
		for (size_t i = 0; i < nh && err == 0; i++)
			if (res->is_hub ? !strncmp(heads[i]->name, "refs/heads/nodes/", 17)
			                : !strcmp(heads[i]->name, "refs/heads/main"))
				err = vec_push(&arrived, &heads[i]->oid);
		if (err == 0)
			err = sync_merge_fetched(n, r->name, arrived.v, arrived.n, res);
	}
	quarantined = 0;
	if ((e2 = incoming_quarantine_close(n, r->name)) < 0 && err == 0)
		err = e2;
	if (err < 0)
		goto done;
	res->after = n->head;
	res->pushed = -1;
	transport_step("push");
	if (res->is_hub) {
		/* main is read once, when the pack is made: a write meanwhile is
		 * pushed by the next sync. */
		node_unlock(n);
		err = relock_after(n, push(n, rm, r->name, res));
		/* The hub holds every deletion made so far: other nodes count
		 * the next ones afresh (node_unpushed_deletions). */
		if (err == 0 && git_oid_equal(&n->head, &res->after))
			err = store_state_set(n->st, "unpushed_deletions", NULL);
	}
done:
	if (quarantined && n->lockfd > 0) {
		/* The fetch failed, or the head moved behind the node's back:
		 * nothing of it was checked, so nothing of it stays. */
		char msg[1024], hint[512];
		snprintf(msg, sizeof(msg), "%s", err_msg());
		snprintf(hint, sizeof(hint), "%s", err_hint_msg() ? err_hint_msg() : "");
		incoming_quarantine_close(n, r->name);
		err_set(err, "%s", msg);
		if (hint[0])
			err_hint("%s", hint);
	}
	git_remote_free(rm);
	free(gitdir);
	free(arrived.v);
	return err;
}

int sync_with(c2c_node *n, const char *name, sync_result *res)
{
	sync_remote r;
	int err;
	memset(res, 0, sizeof(*res));
	res->before = res->after = n->head;
	if ((err = sync_remote_get(n, name, &r)) < 0 || (err = transport_register()) < 0)
		return err;
	/* Links drop: retry a failed connection with back-off (the first wait
	 * C2C_SYNC_RETRY_WAIT s, 2 by default, then doubled), within
	 * C2C_SYNC_BUDGET s (90) in all. A failure after the merge (in the push) is retried too: the
	 * merge is committed, and the next attempt fetches nothing again; what
	 * the failed attempt applied is kept for the summary. */
	long long start = (long long)time(NULL), budget = getenv("C2C_SYNC_BUDGET") ? atoll(getenv("C2C_SYNC_BUDGET")) : 90;
	int idle = atoi(getenv("C2C_SSH_IDLE_TIMEOUT") ? getenv("C2C_SSH_IDLE_TIMEOUT") : "30");
	long long first_wait = getenv("C2C_SYNC_RETRY_WAIT") ? atoll(getenv("C2C_SYNC_RETRY_WAIT")) : 2;
	sync_result earlier = {0};
	int carried = 0;
	for (int attempt = 1;; attempt++) {
		transport_begin(name, n->dir, r.host_key);
		err = sync_inner(n, &r, res);
		transport_end();
		long long wait = (first_wait > 0 ? first_wait : 1) << (attempt - 1);
		if (err == 0 || (err != C2C_ETIMEOUT && err != C2C_EIO) || strncmp(r.url, "ssh://", 6) ||
		    (long long)time(NULL) - start + wait + idle > budget)
			break;
		if (!carried && !git_oid_equal(&n->head, &res->before)) {
			earlier = *res;
			carried = 1;
		}
		fprintf(stderr, "c2c sync: %s; retrying in %lld s\n", err_msg(), wait);
		sleep((unsigned)wait);
		memset(res, 0, sizeof(*res));
		res->before = res->after = n->head;
	}
	if (err == 0 && carried) {
		res->before = earlier.before;
		if (!res->merged && !res->fast_forward) {
			res->tips = earlier.tips;
			res->new_tips = earlier.new_tips;
			res->fast_forward = earlier.fast_forward;
			res->merged = earlier.merged;
			res->merge = earlier.merge;
			res->applied = earlier.applied;
			res->held = earlier.held;
		}
	}
	if (err < 0) {
		size_t nl = strlen(name);
		if (strncmp(err_msg(), name, nl) || strncmp(err_msg() + nl, ": ", 2))
			err_prefix("%s: ", name);
		record_result(n, name, 0, err_msg());
	} else {
		char what[256];
		char heldtxt[64] = "";
		if (res->held)
			snprintf(heldtxt, sizeof(heldtxt), ", %zu branch%s held", res->held, res->held == 1 ? "" : "es");
		snprintf(what, sizeof(what), "%s%s, %zu record%s changed, %s%s",
		         res->merged ? "merged" : res->fast_forward ? "fast-forward" : "up to date",
		         res->merge.conflicts ? " with conflicts" : "", res->applied.records, res->applied.records == 1 ? "" : "s",
		         res->pushed == 1 ? "pushed" : res->pushed == 0 ? "nothing to push" : "peer (no push)", heldtxt);
		record_result(n, name, 1, what);
	}
	sync_remote_dispose(&r);
	return err;
}
