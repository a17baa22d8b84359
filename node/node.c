#define _XOPEN_SOURCE 700
#include "c2c/node.h"
#include "c2c/quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/fault.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/refdata.h"

#define FORMAT_MAJOR 1
#define FORMAT_MINOR 0
#define LOCK_WAIT_MS 10000

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int file_exists(const char *dir, const char *name)
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
		if (!file_exists(opt, "c2c.db")) {
			err_set(C2C_ENOTFOUND, _("%s is not a c2c node (no c2c.db)"), opt);
			return err_hint(_("create one with 'c2c init %s --city SLUG'"), opt);
		}
		return (*out = strdup(opt)) ? 0 : err_set(C2C_ENOMEM, _("out of memory"));
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return err_errno(C2C_EIO, "reading the current directory");
	for (;;) {
		if (file_exists(cwd, "c2c.db"))
			return (*out = strdup(cwd)) ? 0 : err_set(C2C_ENOMEM, _("out of memory"));
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			break;
		*slash = '\0';
	}
	err_set(C2C_ENOTFOUND, _("not in a c2c node (no c2c.db here or in any parent directory)"));
	return err_hint(_("use -C DIR or set C2C_DIR, or create a node with 'c2c init DIR --city SLUG'"));
}

/* Wait for the flock on FD (C2C_LOCK_WAIT_MS, default 10 s). */
static int lock_fd(int fd, const char *path)
{
	const char *w = getenv("C2C_LOCK_WAIT_MS");
	int wait_ms = w ? atoi(w) : LOCK_WAIT_MS, waited = 0;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			char pid[32] = "";
			ssize_t k = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[k > 0 ? k : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			err_set(C2C_ELOCKED, _("%s: another c2c command (pid %s) is using this node"), path, pid[0] ? pid : "?");
			return err_hint(_("wait for it to finish and try again"));
		}
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
		waited += 50;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0) {
		/* the pid is only a courtesy for messages */
	}
	return 0;
}

static int take_lock(c2c_node *n)
{
	char *p = path_join(n->dir, "c2c.lock");
	int fd, err;
	if (!p)
		return err_set(C2C_ENOMEM, _("out of memory"));
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = err_errno(C2C_EIO, p);
		free(p);
		return err;
	}
	if ((err = lock_fd(fd, p)) < 0)
		close(fd);
	else
		n->lockfd = fd;
	free(p);
	return err;
}

void node_close(c2c_node *n)
{
	if (!n)
		return;
	store_close(n->st);
	quarantine_dispose(&n->quarantine);
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

static int node_alloc(c2c_node **out, const char *dir)
{
	c2c_node *n = calloc(1, sizeof(*n));
	*out = NULL;
	if (!n)
		return err_set(C2C_ENOMEM, _("out of memory"));
	n->lockfd = -1;
	n->dir = strdup(dir);
	n->gitdir = path_join(dir, "repo.git");
	n->dbpath = path_join(dir, "c2c.db");
	if (!n->dir || !n->gitdir || !n->dbpath) {
		node_close(n);
		return err_set(C2C_ENOMEM, _("out of memory"));
	}
	*out = n;
	return 0;
}

/* --------------------------------------------------------------- genesis */

static const repo_person genesis_person = {"c2c genesis", "genesis@c2c.invalid", 1435708800, 0};
static const char genesis_message[] =
    "genesis: MC2CM network reference data\n\n"
    "Cities, themes, the seventeen SDGs and the peer-learning events of the\n"
    "Mediterranean City-to-City Migration network. Every node starts here.\n";

static json_t *network_json(void)
{
	return json_pack("{s:i,s:i,s:s}", "format_major", FORMAT_MAJOR, "format_minor", FORMAT_MINOR, "network",
	                 "Mediterranean City-to-City Migration (MC2CM)");
}

/* Build the genesis commit in R and fill the record tables of ST with the
 * same records (ST inside a transaction). */
static int make_genesis(git_repository *r, store *st, git_oid *out)
{
	size_t n, i;
	const refdata_record *rd = refdata_all(&n);
	repo_update *u = calloc(n + 1, sizeof(*u));
	char **paths = calloc(n + 1, sizeof(char *));
	int err = 0;
	json_t *rec = NULL;
	char *text = NULL;
	size_t len;
	if (!u || !paths) {
		err = err_set(C2C_ENOMEM, _("out of memory"));
		goto done;
	}
	for (i = 0; i < n; i++) {
		const table_def *t = store_table(st, rd[i].table);
		json_error_t je;
		if (!t || !(rec = json_loads(rd[i].fields, 0, &je))) {
			err = err_set(C2C_ECORRUPT, _("reference data %s/%s is broken"), rd[i].table, rd[i].id);
			goto done;
		}
		long long c = record_begin_edit(rec, "genesis");
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(rec, tmp, k, v)
		{
			if (strcmp(k, "_c2c"))
				record_stamp(rec, k, "genesis", c, 1);
		}
		if ((err = record_path(t, NULL, rd[i].id, &paths[i])) < 0 || (err = canon_dump(rec, &text, &len)) < 0 ||
		    (err = repo_write_blob(r, text, len, &u[i].oid)) < 0 ||
		    (err = store_row_put(st, t, rd[i].id, rec)) < 0)
			goto done;
		u[i].path = paths[i];
		free(text);
		text = NULL;
		json_decref(rec);
		rec = NULL;
	}
	rec = network_json();
	if ((err = canon_dump(rec, &text, &len)) < 0 || (err = repo_write_blob(r, text, len, &u[n].oid)) < 0)
		goto done;
	u[n].path = "network/network.json";
	err = repo_commit(r, NULL, NULL, u, n + 1, &genesis_person, &genesis_person, genesis_message, out);
done:
	json_decref(rec);
	free(text);
	if (paths)
		for (i = 0; i < n; i++)
			free(paths[i]);
	free(paths);
	free(u);
	return err;
}

static int parse_user(const char *user, char **name, char **email)
{
	const char *lt = user ? strchr(user, '<') : NULL, *gt = lt ? strchr(lt, '>') : NULL;
	if (!user) {
		*name = strdup("c2c user");
		*email = strdup("user@c2c.invalid");
		return 0;
	}
	if (!lt || !gt || gt[1] || lt == user || gt == lt + 1) {
		err_set(C2C_EUSAGE, _("--user '%s' is not of the form \"Name <mail>\""), user);
		return err_hint(_("for example --user \"Amina Ben Ali <amina@tunis.tn>\""));
	}
	size_t nl = (size_t)(lt - user);
	while (nl && user[nl - 1] == ' ')
		nl--;
	*name = strndup(user, nl);
	*email = strndup(lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

int node_set_user(c2c_node *n, const char *user, int save)
{
	char *name = NULL, *email = NULL;
	int err;
	if (!user || !*user)
		return err_set(C2C_EUSAGE, _("the user is empty; give \"Name <mail>\""));
	if ((err = parse_user(user, &name, &email)) < 0)
		return err;
	if (!name || !email) {
		free(name), free(email);
		return err_set(C2C_ENOMEM, _("out of memory"));
	}
	if (save && ((err = store_state_set(n->st, "user_name", name)) < 0 ||
	             (err = store_state_set(n->st, "user_email", email)) < 0)) {
		free(name), free(email);
		return err;
	}
	free(n->user_name);
	free(n->user_email);
	n->user_name = name;
	n->user_email = email;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Remove what a failed node_create made in DIR (it held no node before). */
static void undo_create(const char *dir)
{
	static const char *names[] = {"c2c.db", "c2c.db-wal", "c2c.db-shm", "c2c.lock", "repo.git", "keys"};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char *p = path_join(dir, names[i]);
		if (p)
			nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(p);
	}
	rmdir(dir); /* only if we made it empty */
}

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		return err_set(C2C_ENOMEM, _("out of memory"));
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			int err = err_errno(C2C_EIO, p);
			free(p);
			return err;
		}
		*s = '/';
	}
	int err = mkdir(p, 0755) < 0 && errno != EEXIST ? err_errno(C2C_EIO, p) : 0;
	free(p);
	return err;
}

static int is_network_city(const char *city)
{
	size_t n;
	const refdata_record *rd = refdata_all(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rd[i].table, "cities") && !strcmp(rd[i].id, city))
			return 1;
	return 0;
}

int node_create(c2c_node **out, const char *dir, const char *city, int office, const char *user, int schema_upto)
{
	c2c_node *n = NULL;
	git_oid genesis;
	unsigned char rnd[4];
	char idbuf[64];
	int err;
	*out = NULL;
	if (!!city == !!office)
		return err_set(C2C_EUSAGE, _("a node is either a city (--city SLUG) or the office (--office)"));
	if (city && !is_network_city(city)) {
		err_set(C2C_EINVALID, _("'%s' is not a city of the network"), city);
		return err_hint(_("'c2c ls cities' on any node lists the slugs (tunis, sfax, amman, ...)"));
	}
	if ((err = mkdir_p(dir)) < 0)
		return err;
	if (file_exists(dir, "c2c.db") || file_exists(dir, "repo.git")) {
		err_set(C2C_EINVALID, _("%s already holds a c2c node"), dir);
		return err_hint(_("choose another directory, or use the node that is there"));
	}
	if ((err = node_alloc(&n, dir)) < 0 || (err = take_lock(n)) < 0)
		goto fail;
	if ((err = parse_user(user, &n->user_name, &n->user_email)) < 0)
		goto fail;
	if ((err = repo_global_init()) < 0 || (err = store_open(&n->st, n->dbpath, 1, schema_upto)) < 0)
		goto fail;
	if (city && !store_table(n->st, "cities")) {
		err = err_set(C2C_ECORRUPT, "schema has no cities table");
		goto fail;
	}
	if ((err = repo_create(&n->repo, n->gitdir)) < 0)
		goto fail;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		err = err_errno(C2C_EIO, "reading the system's random source");
		goto fail;
	}
	snprintf(idbuf, sizeof(idbuf), "%s-%02x%02x%02x%02x", city ? city : "office", rnd[0], rnd[1], rnd[2], rnd[3]);
	n->node_id = strdup(idbuf);
	n->city = city ? strdup(city) : NULL;
	n->role = strdup(office ? "office" : "city");
	if ((err = keys_create(n->dir)) < 0)
		goto fail;
	if ((err = store_begin(n->st)) < 0)
		goto fail;
	if ((err = make_genesis(n->repo, n->st, &genesis)) < 0)
		goto fail;
	char hex[GIT_OID_HEXSZ + 1], pending[2 * GIT_OID_HEXSZ + 2];
	git_oid_tostr(hex, sizeof(hex), &genesis);
	snprintf(pending, sizeof(pending), "- %s", hex);
	if ((err = store_state_set(n->st, "node_id", n->node_id)) < 0 ||
	    (err = store_state_set(n->st, "role", n->role)) < 0 ||
	    (city && (err = store_state_set(n->st, "city", city)) < 0) ||
	    (err = store_state_set(n->st, "user_name", n->user_name)) < 0 ||
	    (err = store_state_set(n->st, "user_email", n->user_email)) < 0 ||
	    (err = store_state_set(n->st, "lamport", "1")) < 0 || (err = store_state_set(n->st, "head", hex)) < 0 ||
	    (err = store_state_set(n->st, "pending", pending)) < 0 ||
	    /* a new node holds no record an older c2c left without rows */
	    (err = store_state_set(n->st, "backfill", NULL)) < 0)
		goto fail;
	fault_point("init: before database commit");
	if ((err = store_commit(n->st)) < 0)
		goto fail;
	fault_point("init: before ref");
	if ((err = repo_move_head(n->repo, NULL, &genesis, "c2c init: genesis")) < 0 ||
	    (err = store_state_set(n->st, "pending", NULL)) < 0)
		goto fail;
	git_oid_cpy(&n->head, &genesis);
	*out = n;
	return 0;
fail:
	if (n && n->st)
		store_rollback(n->st);
	if (n && n->lockfd >= 0)
		undo_create(dir);
	node_close(n);
	return err;
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

/* Finish our own interrupted write, or find that the head moved. */
static int recover(c2c_node *n)
{
	git_oid ref, old, new_;
	char *pending = NULL;
	int err, has_ref;
	err = repo_head(n->repo, &ref);
	if (err < 0 && err != C2C_ENOTFOUND)
		return err;
	has_ref = err == 0;
	if (has_ref && git_oid_equal(&ref, &n->head)) {
		/* A crash between the ref and the clearing of the intent. */
		if (store_state_get(n->st, "pending", &pending) == 0)
			store_state_set(n->st, "pending", NULL);
		free(pending);
		return 0;
	}
	/* The ref is not where the database says. Our own crash leaves it at the
	 * old head of the recorded intent; anything else is not ours. */
	if (store_state_get(n->st, "pending", &pending) == 0 && strlen(pending) > GIT_OID_HEXSZ &&
	    git_oid_fromstr(&new_, pending + strlen(pending) - GIT_OID_HEXSZ) == 0 && git_oid_equal(&new_, &n->head)) {
		int from_unborn = pending[0] == '-';
		if ((from_unborn && !has_ref) ||
		    (!from_unborn && git_oid_fromstrn(&old, pending, GIT_OID_HEXSZ) == 0 && has_ref &&
		     git_oid_equal(&old, &ref))) {
			repo_clear_stale_locks(n->gitdir);
			err = repo_move_head(n->repo, from_unborn ? NULL : &old, &new_, "c2c: finish interrupted write");
			free(pending);
			fault_point("recover: ref moved, before the intent is cleared");
			if (err < 0 || (err = store_state_set(n->st, "pending", NULL)) < 0)
				return err;
			fprintf(stderr, "c2c: finished a write that was interrupted (refs/heads/main -> %.12s)\n",
			        git_oid_tostr_s(&new_));
			return 0;
		}
	}
	free(pending);
	n->head_moved = 1;
	return 0;
}

void node_unlock(c2c_node *n)
{
	if (n->lockfd >= 0)
		flock(n->lockfd, LOCK_UN);
}

int node_relock(c2c_node *n)
{
	char *p = path_join(n->dir, "c2c.lock"), *head = NULL;
	int err;
	if (!p)
		return err_set(C2C_ENOMEM, "out of memory");
	err = lock_fd(n->lockfd, p);
	free(p);
	if (err < 0)
		return err;
	/* Another command may have written meanwhile (or crashed): take the
	 * head as it is now, finishing an interrupted write as at open. */
	if ((err = store_state_get(n->st, "head", &head)) < 0)
		return err;
	if (git_oid_fromstr(&n->head, head) < 0)
		err = err_set(C2C_ECORRUPT, "%s: recorded head '%s' is not a commit id", n->dbpath, head);
	free(head);
	if (err == 0 && (err = recover(n)) == 0)
		err_clear();
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
		if (major > FORMAT_MAJOR) {
			err = err_set(C2C_EVERSION, "%s holds format %lld, newer than this c2c reads (%d)", n->gitdir,
			              (long long)major, FORMAT_MAJOR);
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
			err = err_set(C2C_ENOMEM, "out of memory");
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

int node_open(c2c_node **out, const char *dir, int mode)
{
	c2c_node *n = NULL;
	int err, dropped = 0;
	*out = NULL;
	if ((err = node_alloc(&n, dir)) < 0 || (err = take_lock(n)) < 0 || (err = repo_global_init()) < 0 ||
	    (err = store_open(&n->st, n->dbpath, 0, 0)) < 0 || (err = repo_open(&n->repo, n->gitdir)) < 0 ||
	    (err = read_state(n)) < 0 || (err = recover(n)) < 0 || (err = quarantine_repair(&n->quarantine, n->repo, n->gitdir, &dropped)) < 0)
		goto fail;
	if (dropped)
		fprintf(stderr, "c2c: dropped what an interrupted sync had fetched but not checked\n");
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

/* ----------------------------------------------------------------- writes */

typedef struct {
	char *path;
	long off;
	size_t len;
	size_t seq;
} txn_update;

/* Paths of a transaction, packed into large blocks: an import of 100,000
 * records holds them all until its commit, and one malloc each costs more
 * than the paths themselves. */
typedef struct arena_block {
	struct arena_block *next;
	size_t used;
	char data[];
} arena_block;
#define ARENA_BLOCK (64 * 1024)

static char *arena_strdup(arena_block **head, const char *s)
{
	size_t n = strlen(s) + 1;
	arena_block *b = *head;
	if (!b || ARENA_BLOCK - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->next = *head;
		b->used = 0;
		*head = b;
	}
	char *p = b->data + b->used;
	memcpy(p, s, n);
	b->used += n;
	return p;
}

static void arena_free(arena_block *b)
{
	while (b) {
		arena_block *next = b->next;
		free(b);
		b = next;
	}
}

/* The records written in this transaction, as 64-bit hashes of
 * "table/id" in an open-addressed set (8 bytes a record). */
typedef struct {
	uint64_t *v;
	size_t n, cap;
} hash_set;

static uint64_t key_hash(const char *table, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = table; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1;
}

static int set_has(const hash_set *s, uint64_t h)
{
	if (!s->cap)
		return 0;
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == h)
			return 1;
		if (!s->v[i])
			return 0;
	}
}

static int set_add(hash_set *s, uint64_t h)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *v = calloc(cap, sizeof(*v));
		if (!v)
			return err_set(C2C_ENOMEM, "out of memory");
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t j = s->v[i] & (cap - 1);
			while (v[j])
				j = (j + 1) & (cap - 1);
			v[j] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	size_t i = h & (s->cap - 1);
	while (s->v[i] && s->v[i] != h)
		i = (i + 1) & (s->cap - 1);
	if (!s->v[i]) {
		s->v[i] = h;
		s->n++;
	}
	return 0;
}

struct node_txn {
	c2c_node *n;
	long long lamport;
	int lamport_used; /* an edit was stamped with it: the node's Lamport time moves */
	git_oid tree;
	txn_update *u;
	size_t nu, cap;
	arena_block *paths;
	FILE *spill;      /* record texts, read back when the blobs are written */
	hash_set touched; /* records written in this transaction */
	size_t deleted;   /* records this transaction deletes */
};

int node_txn_begin(node_txn **out, c2c_node *n)
{
	node_txn *tx = calloc(1, sizeof(*tx));
	char *lam = NULL;
	int err;
	*out = NULL;
	if (!tx)
		return err_set(C2C_ENOMEM, "out of memory");
	tx->n = n;
	if (n->head_moved) {
		err = err_set(C2C_ECONFLICT, "%s: the head moved behind the node's back; refusing to write", n->gitdir);
		err_hint("run 'c2c verify', then 'c2c repair'");
		goto fail;
	}
	if ((err = repo_commit_tree(n->repo, &n->head, &tx->tree)) < 0 || (err = store_begin(n->st)) < 0)
		goto fail;
	if ((err = store_state_get(n->st, "lamport", &lam)) < 0)
		goto fail;
	tx->lamport = strtoll(lam, NULL, 10);
	free(lam);
	/* Never reached in use (record.h): say so rather than wrap. */
	if (tx->lamport < 0 || tx->lamport >= RECORD_CLOCK_MAX) {
		store_rollback(n->st);
		err = err_set(C2C_EINVALID, "this node's Lamport time is at its bound (%lld): it can write no more",
		              RECORD_CLOCK_MAX);
		err_hint("make a new node for this city ('c2c init'), and have the office register it");
		goto fail;
	}
	tx->lamport++;
	*out = tx;
	return 0;
fail:
	free(tx);
	return err;
}

long long node_txn_lamport(node_txn *tx)
{
	tx->lamport_used = 1;
	return tx->lamport;
}

static const char *rec_city(const table_def *t, const json_t *rec)
{
	return t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
}

int node_txn_get(node_txn *tx, const table_def *t, const char *id, json_t **out)
{
	json_t *rec = NULL;
	char *path = NULL, *file = NULL, *row = NULL;
	size_t flen, rlen;
	int err;
	*out = NULL;
	if ((err = store_row_get(tx->n->st, t, id, &rec)) < 0)
		return err;
	if (set_has(&tx->touched, key_hash(t->name, id))) {
		*out = rec;
		return 0;
	}
	/* Never sign into history a row that somebody edited behind our back. */
	if ((err = record_path(t, rec_city(t, rec), id, &path)) < 0 || (err = canon_dump(rec, &row, &rlen)) < 0)
		goto done;
	err = repo_read_tree_path(tx->n->repo, &tx->tree, path, &file, &flen, NULL);
	if (err == C2C_ENOTFOUND || (err == 0 && (flen != rlen || memcmp(file, row, rlen)))) {
		err = err_set(C2C_ECONFLICT, "row %s/%s differs from %s at the head: it was changed behind the node's back",
		              t->name, id, path);
		err_hint("run 'c2c verify' to see the difference, then 'c2c repair'");
		goto done;
	}
	if (err < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	json_decref(rec);
	free(path);
	free(file);
	free(row);
	return err;
}

static int txn_add(node_txn *tx, const char *path, const char *text, size_t len)
{
	int err = 0;
	if (!tx->spill && !(tx->spill = tmpfile()))
		return err_errno(C2C_EIO, "creating a temporary file");
	if (tx->nu == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 16;
		txn_update *u = realloc(tx->u, cap * sizeof(*u));
		if (!u)
			return err_set(C2C_ENOMEM, "out of memory");
		tx->u = u;
		tx->cap = cap;
	}
	txn_update *x = &tx->u[tx->nu];
	memset(x, 0, sizeof(*x));
	x->off = ftell(tx->spill);
	x->len = len;
	x->seq = tx->nu;
	if (fwrite(text, 1, len, tx->spill) != len)
		return err_errno(C2C_EIO, "writing a temporary file");
	if (!(x->path = arena_strdup(&tx->paths, path)))
		return err_set(C2C_ENOMEM, "out of memory");
	tx->nu++;
	return err;
}

enum { TXN_PUT, TXN_PUT_NEW, TXN_DELETE };

static int txn_write(node_txn *tx, const table_def *t, const char *id, json_t *rec, int how)
{
	char *path = NULL, *text = NULL;
	size_t len;
	int err;
	if ((err = record_path(t, rec_city(t, rec), id, &path)) < 0 || (err = canon_dump(rec, &text, &len)) < 0)
		goto done;
	if (how == TXN_DELETE) {
		if ((err = store_row_delete(tx->n->st, t, id)) < 0 ||
		    (err = store_tomb_put(tx->n->st, t->name, id, path, text)) < 0)
			goto done;
	} else {
		if ((err = store_row_put(tx->n->st, t, id, rec)) < 0 ||
		    (how == TXN_PUT && (err = store_tomb_delete(tx->n->st, t->name, id)) < 0))
			goto done;
	}
	if ((err = txn_add(tx, path, text, len)) < 0 || (err = set_add(&tx->touched, key_hash(t->name, id))) < 0)
		goto done;
done:
	free(path);
	free(text);
	return err;
}

int node_txn_put(node_txn *tx, const table_def *t, const char *id, json_t *rec)
{
	return txn_write(tx, t, id, rec, TXN_PUT);
}

int node_txn_put_new(node_txn *tx, const table_def *t, const char *id, json_t *rec)
{
	return txn_write(tx, t, id, rec, TXN_PUT_NEW);
}

int node_txn_delete(node_txn *tx, const table_def *t, const char *id, json_t *rec)
{
	int err = txn_write(tx, t, id, rec, TXN_DELETE);
	if (err == 0)
		tx->deleted++;
	return err;
}

int node_unpushed_deletions(c2c_node *n, long long *out)
{
	char *v = NULL;
	int err = store_state_get(n->st, "unpushed_deletions", &v);
	*out = err == 0 && v ? strtoll(v, NULL, 10) : 0;
	free(v);
	if (err == C2C_ENOTFOUND) {
		err_clear();
		err = 0;
	}
	return err;
}

static int cmp_txn_update(const void *a, const void *b)
{
	const txn_update *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Write each path's last text as a blob: loose for a few, one pack for many. */
static int write_blobs(node_txn *tx, repo_update **out, size_t *nout)
{
	size_t k = 0;
	char *buf = NULL;
	size_t bufcap = 0;
	repo_pack *pack = NULL;
	int err = 0;
	qsort(tx->u, tx->nu, sizeof(*tx->u), cmp_txn_update);
	for (size_t i = 0; i < tx->nu; i++)
		if (i + 1 == tx->nu || strcmp(tx->u[i].path, tx->u[i + 1].path))
			tx->u[k++] = tx->u[i];
	tx->nu = k;
	repo_update *ru = calloc(k ? k : 1, sizeof(*ru));
	if (!ru)
		return err_set(C2C_ENOMEM, "out of memory");
	if (k > REPO_BULK && (err = repo_pack_new(&pack, tx->n->repo, k)) < 0)
		goto done;
	for (size_t i = 0; i < k; i++) {
		txn_update *x = &tx->u[i];
		if (x->len + 1 > bufcap) {
			char *b = realloc(buf, x->len + 1);
			if (!b) {
				err = err_set(C2C_ENOMEM, "out of memory");
				goto done;
			}
			buf = b;
			bufcap = x->len + 1;
		}
		if (fseek(tx->spill, x->off, SEEK_SET) < 0 || fread(buf, 1, x->len, tx->spill) != x->len) {
			err = err_errno(C2C_EIO, "reading a temporary file");
			goto done;
		}
		err = pack ? repo_pack_add_blob(pack, buf, x->len, &ru[i].oid)
		           : repo_write_blob(tx->n->repo, buf, x->len, &ru[i].oid);
		if (err < 0)
			goto done;
		ru[i].path = x->path;
		if (i == 0 || i == k / 2)
			fault_point(i == 0 ? "write: first blob written" : "write: half the blobs written");
	}
	if (pack && (err = repo_pack_finish(pack)) < 0)
		goto done;
	fseek(tx->spill, 0, SEEK_END);
done:
	repo_pack_free(pack);
	free(buf);
	if (err < 0) {
		free(ru);
		return err;
	}
	*out = ru;
	*nout = k;
	return 0;
}

int node_txn_commit(node_txn *tx, const char *message, git_oid *out)
{
	c2c_node *n = tx->n;
	repo_update *ru = NULL;
	size_t nru = 0;
	git_oid commit;
	char *msg = NULL, hex_old[GIT_OID_HEXSZ + 1], hex_new[GIT_OID_HEXSZ + 1], pending[2 * GIT_OID_HEXSZ + 2],
	     lam[32];
	int err;
	if (tx->nu == 0) {
		node_txn_abort(tx);
		git_oid_cpy(out, &n->head);
		return 0;
	}
	fault_point("write: rows changed, before objects");
	if ((err = write_blobs(tx, &ru, &nru)) < 0)
		goto fail;
	fault_point("write: blobs written");
	size_t mlen = strlen(message) + strlen(n->node_id) + 32;
	if (!(msg = malloc(mlen))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto fail;
	}
	/* Trailers the message ends with (C2C-Confirm-Delete) and C2C-Node
	 * form one block, as git interpret-trailers reads them. */
	snprintf(msg, mlen, strstr(message, "\n\nC2C-") ? "%s\nC2C-Node: %s\n" : "%s\n\nC2C-Node: %s\n", message,
	         n->node_id);
	char cname[128], cmail[160];
	snprintf(cname, sizeof(cname), "%s", n->node_id);
	snprintf(cmail, sizeof(cmail), "%s@c2c.invalid", n->node_id);
	git_time_t now = (git_time_t)time(NULL);
	repo_person author = {n->user_name, n->user_email, now, 0};
	repo_person committer = {cname, cmail, now, 0};
	const keys_signer *signer = NULL;
	if ((err = node_signer(n, &signer)) < 0 ||
	    (err = repo_commit(n->repo, signer, &n->head, ru, nru, &author, &committer, msg, &commit)) < 0)
		goto fail;
	fault_point("write: commit object written");
	git_oid_tostr(hex_old, sizeof(hex_old), &n->head);
	git_oid_tostr(hex_new, sizeof(hex_new), &commit);
	snprintf(pending, sizeof(pending), "%s %s", hex_old, hex_new);
	snprintf(lam, sizeof(lam), "%lld", tx->lamport);
	/* A commit that stamps no edit (a resolution that only closes a
	 * deletion) leaves the Lamport time where it was: the next edit must
	 * still be one past what the history holds (incoming.h, I5). */
	if ((err = store_state_set(n->st, "head", hex_new)) < 0 ||
	    (err = store_state_set(n->st, "pending", pending)) < 0 ||
	    (tx->lamport_used && (err = store_state_set(n->st, "lamport", lam)) < 0))
		goto fail;
	/* Deletions not confirmed in their commit add up until a hub has them
	 * all: other nodes count them together (incoming.h, I8). */
	if (tx->deleted && !strstr(message, "\nC2C-Confirm-Delete: ")) {
		long long had = 0;
		char num[32];
		if ((err = node_unpushed_deletions(n, &had)) < 0)
			goto fail;
		snprintf(num, sizeof(num), "%lld", had + (long long)tx->deleted);
		if ((err = store_state_set(n->st, "unpushed_deletions", num)) < 0)
			goto fail;
	}
	fault_point("write: head recorded, before database commit");
	if ((err = store_commit(n->st)) < 0)
		goto fail;
	/* The write has happened; the ref follows (or the next command moves it). */
	fault_point("write: database committed, before ref");
	git_oid old = n->head;
	git_oid_cpy(&n->head, &commit);
	git_oid_cpy(out, &commit);
	err = repo_move_head(n->repo, &old, &commit, message);
	fault_point("write: ref moved, before the intent is cleared");
	/* Clear the intent so that a later move of the ref back to the old head
	 * by another program is not mistaken for our interrupted write. */
	if (err == 0)
		err = store_state_set(n->st, "pending", NULL);
	fault_point("write: done");
	free(msg);
	free(ru);
	node_txn_abort(tx);
	return err;
fail:
	free(msg);
	free(ru);
	node_txn_abort(tx);
	return err;
}

void node_txn_abort(node_txn *tx)
{
	if (!tx)
		return;
	store_rollback(tx->n->st);
	arena_free(tx->paths);
	free(tx->u);
	if (tx->spill)
		fclose(tx->spill);
	free(tx->touched.v);
	free(tx);
}

/* ---------------------------------------------------------- incoming work */

typedef struct {
	c2c_node *n;
	node_advance_stats *st;
	long long lamport;
} advance_state;

/* One changed file: its row (or tombstone) follows the new version. */
static int advance_file(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload)
{
	advance_state *a = payload;
	char table[64], id[RECORD_ID_MAX + 1], city[RECORD_ID_MAX + 1];
	git_blob *nb = NULL, *ob = NULL;
	json_t *rec = NULL, *row = NULL;
	char *text = NULL, *tomb = NULL;
	int err = 0, rc;
	if (!strcmp(path, "network/network.json"))
		return 0;
	if ((err = record_parse_path(path, table, id, city)) < 0)
		return err;
	const table_def *t = store_table(a->n->st, table);
	if (!t)
		return 0; /* a table from a newer schema: kept in git, not in rows */
	/* The row must still be what the old head says (not edited behind our back). */
	int had_row = store_row_exists(a->n->st, table, id);
	if (!git_oid_is_zero(old_id)) {
		if ((rc = git_blob_lookup(&ob, a->n->repo, old_id)) < 0)
			return err_git(rc, path);
		size_t len;
		if (had_row) {
			if ((err = store_row_get(a->n->st, t, id, &row)) < 0 || (err = canon_dump(row, &text, &len)) < 0)
				goto done;
		} else if (store_tomb_get(a->n->st, table, id, &tomb) == 0) {
			text = tomb, tomb = NULL, len = strlen(text);
		} else {
			len = (size_t)-1;
		}
		if (len != (size_t)git_blob_rawsize(ob) || memcmp(text, git_blob_rawcontent(ob), len)) {
			err = err_set(C2C_ECONFLICT, "row %s/%s differs from %s at the head: it was changed behind the "
			              "node's back", table, id, path);
			err_hint("run 'c2c verify' to see the difference, then 'c2c repair'");
			goto done;
		}
		free(text);
		text = NULL;
	}
	if (git_oid_is_zero(new_id)) {
		err = had_row ? store_row_delete(a->n->st, t, id) : store_tomb_delete(a->n->st, table, id);
		a->st->records++;
		goto done;
	}
	if ((rc = git_blob_lookup(&nb, a->n->repo, new_id)) < 0) {
		err = err_git(rc, path);
		goto done;
	}
	const char *buf = git_blob_rawcontent(nb);
	size_t blen = (size_t)git_blob_rawsize(nb);
	if ((err = canon_parse(buf, blen, path, &rec)) < 0)
		goto done;
	long long l = record_max_lamport(rec);
	if (l > a->lamport)
		a->lamport = l;
	if (merge_is_deleted(rec)) {
		if (!(text = strndup(buf, blen))) {
			err = err_set(C2C_ENOMEM, "out of memory");
			goto done;
		}
		if ((had_row && (err = store_row_delete(a->n->st, t, id)) < 0) ||
		    (err = store_tomb_put(a->n->st, table, id, path, text)) < 0)
			goto done;
	} else {
		if ((err = store_row_put(a->n->st, t, id, rec)) < 0 || (err = store_tomb_delete(a->n->st, table, id)) < 0)
			goto done;
		if (merge_has_conflicts(rec))
			a->st->conflicts++;
	}
	a->st->records++;
done:
	free(text);
	free(tomb);
	json_decref(rec);
	json_decref(row);
	git_blob_free(nb);
	git_blob_free(ob);
	return err;
}

int node_advance(c2c_node *n, const git_oid *commit, const char *logmsg, node_advance_stats *stats)
{
	node_advance_stats local = {0, 0};
	advance_state a = {n, stats ? stats : &local, 0};
	git_oid old_tree, new_tree, old = n->head;
	char *lam = NULL, hex_old[GIT_OID_HEXSZ + 1], hex_new[GIT_OID_HEXSZ + 1], pending[2 * GIT_OID_HEXSZ + 2],
	                  buf[32];
	int err;
	if (n->head_moved) {
		err_set(C2C_ECONFLICT, "%s: the head moved behind the node's back; refusing to merge", n->gitdir);
		return err_hint("run 'c2c verify', then 'c2c repair'");
	}
	if (git_oid_equal(commit, &n->head))
		return 0;
	if ((err = repo_commit_tree(n->repo, &n->head, &old_tree)) < 0 ||
	    (err = repo_commit_tree(n->repo, commit, &new_tree)) < 0 || (err = store_begin(n->st)) < 0)
		return err;
	fault_point("advance: transaction begun");
	if ((err = mergetree_diff(n->repo, &old_tree, &new_tree, advance_file, &a)) < 0)
		goto fail;
	fault_point("advance: rows changed");
	if ((err = store_state_get(n->st, "lamport", &lam)) < 0)
		goto fail;
	if (strtoll(lam, NULL, 10) > a.lamport)
		a.lamport = strtoll(lam, NULL, 10);
	snprintf(buf, sizeof(buf), "%lld", a.lamport);
	git_oid_tostr(hex_old, sizeof(hex_old), &n->head);
	git_oid_tostr(hex_new, sizeof(hex_new), commit);
	snprintf(pending, sizeof(pending), "%s %s", hex_old, hex_new);
	if ((err = store_state_set(n->st, "head", hex_new)) < 0 ||
	    (err = store_state_set(n->st, "pending", pending)) < 0 || (err = store_state_set(n->st, "lamport", buf)) < 0)
		goto fail;
	fault_point("advance: head recorded, before database commit");
	if ((err = store_commit(n->st)) < 0)
		goto fail;
	fault_point("advance: database committed, before ref");
	free(lam);
	git_oid_cpy(&n->head, commit);
	err = repo_move_head(n->repo, &old, commit, logmsg);
	fault_point("advance: ref moved, before the intent is cleared");
	if (err == 0)
		err = store_state_set(n->st, "pending", NULL);
	return err;
fail:
	free(lam);
	store_rollback(n->st);
	return err;
}

int node_signer(c2c_node *n, const keys_signer **out)
{
	int err;
	if (!n->signer && (err = keys_signer_load(&n->signer, n->dir)) < 0)
		return err_prefix("cannot sign the commit with the node's key: ");
	*out = n->signer;
	return 0;
}

long long node_open_conflicts(c2c_node *n)
{
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	long long count = 0;
	for (size_t i = 0; i < nt; i++) {
		char sql[256];
		sqlite3_stmt *q = NULL;
		snprintf(sql, sizeof(sql),
		         /* instr first: a byte search, where json_extract parses every row */
		         "SELECT id FROM \"%s\" WHERE (instr(_c2c, '\"conflicts\"') OR instr(_c2c, '\"deleted\"')) AND "
		         "(json_extract(_c2c, '$.conflicts') IS NOT NULL OR json_extract(_c2c, '$.deleted') IS NOT NULL)",
		         t[i].name);
		if (sqlite3_prepare_v2(store_db(n->st), sql, -1, &q, NULL) != SQLITE_OK)
			continue;
		while (sqlite3_step(q) == SQLITE_ROW) {
			json_t *rec = NULL;
			if (store_row_get(n->st, &t[i], (const char *)sqlite3_column_text(q, 0), &rec) == 0 &&
			    merge_has_conflicts(rec))
				count++;
			json_decref(rec);
		}
		sqlite3_finalize(q);
	}
	err_clear();
	return count;
}
