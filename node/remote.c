/* remote: the remotes table, the store's module for it (include/c2c/remote.h). */
#include "c2c/remote.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/refs.h"
#include "c2c/transport.h"
#include "c2c/util.h"

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

int remote_target(const char *url, char **gitdir, int *is_hub)
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
		return err < 0 ? err : (*gitdir = strdup(url)) ? 0 : ERR_OOM();
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
		return (*gitdir = strdup(p)) ? 0 : ERR_OOM();
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
	return (*gitdir = strdup(url)) ? 0 : ERR_OOM();
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
	/* Forget what was fetched from it, and what it was last seen holding
	 * (exchange.h: a remote added again under its name starts afresh). */
	git_strarray refs = {0};
	char prefix[256], key[300];
	static const char *const kept[] = {REMOTE_KEY_SINCE, REMOTE_KEY_PROTOCOL, REMOTE_KEY_JUDGED};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if ((err = remote_state_key(key, sizeof(key), kept[i], name)) < 0 ||
		    (err = store_state_set(n->st, key, NULL)) < 0)
			return err;
	if ((err = ref_remote(prefix, sizeof(prefix), name, "")) < 0)
		return err;
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
		transport *t = NULL;
		if ((err = transport_new(&t, name, n->dir, NULL, NULL)) < 0)
			goto done;
		err = transport_probe(t, r.url, &seen);
		transport_free(t);
		if (err < 0)
			goto done;
		fp = seen;
	}
	if ((err = exec_bound(n, "UPDATE c2c_remotes SET host_key = ?2 WHERE name = ?1", name, fp, 0)) == 0 &&
	    !(*shown = strdup(fp)))
		err = ERR_OOM();
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
	ARRAY(sync_remote) v = {0};
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
		if (ARRAY_RESERVE(&v, v.n + 1) < 0) {
			sqlite3_finalize(s);
			sync_remote_list_free(v.v, v.n);
			return C2C_ENOMEM;
		}
		sync_remote *r = &v.v[v.n++];
		r->name = dup_col(s, 0);
		r->url = dup_col(s, 1);
		r->added = sqlite3_column_int64(s, 2);
		r->last_attempt = sqlite3_column_int64(s, 3);
		r->last_ok = sqlite3_column_int64(s, 4);
		r->last_result = dup_col(s, 5);
		r->host_key = dup_col(s, 6);
		/* name and url are NOT NULL: missing, an allocation failed */
		if (!r->name || !r->url || (sqlite3_column_type(s, 5) != SQLITE_NULL && !r->last_result) ||
		    (sqlite3_column_type(s, 6) != SQLITE_NULL && !r->host_key)) {
			sqlite3_finalize(s);
			sync_remote_list_free(v.v, v.n);
			return ERR_OOM();
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sync_remote_list_free(v.v, v.n);
		return err_sqlite(db, rc, "reading remotes");
	}
	*out = v.v;
	*count = v.n;
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

/* ---------------------------------------------------- sync and autosync */

void remote_record_result(c2c_node *n, const char *name, int ok, const char *what)
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

int remote_autosync_get(c2c_node *n, const char *name, long long *failures, long long *next_try)
{
	sqlite3 *db = store_db(n->st);
	sqlite3_stmt *q = NULL;
	int rc;
	*failures = *next_try = 0;
	if ((rc = sqlite3_prepare_v2(db, "SELECT failures, next_try FROM c2c_remotes WHERE name = ?", -1, &q, NULL)) !=
	    SQLITE_OK)
		return err_sqlite(db, rc, "reading remotes");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		*failures = sqlite3_column_int64(q, 0);
		*next_try = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return 0;
}

void remote_autosync_set_next_try(c2c_node *n, const char *name, long long when)
{
	sqlite3 *db = store_db(n->st);
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, "UPDATE c2c_remotes SET next_try = ?2 WHERE name = ?1", -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (when)
		sqlite3_bind_int64(q, 2, when);
	else
		sqlite3_bind_null(q, 2);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

int remote_state_key(char *buf, size_t size, const char *prefix, const char *name)
{
	int k = snprintf(buf, size, "%s%s", prefix, name);
	return k < 0 || (size_t)k >= size ? err_set(C2C_EINVALID, "remote name too long: %s", name) : 0;
}
