/* genesis: creating a node (include/c2c/node.h: node_create): the
 * directory, repo.git with the genesis commit of the network's reference
 * data, the database filled with the same records, keys/, and the author
 * of its commits (node_set_user). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/fault.h"
#include "c2c/i18n.h"
#include "c2c/keys.h"
#include "c2c/node_internal.h"
#include "c2c/util.h"
#include "c2c/record.h"
#include "c2c/refdata.h"

static const repo_person genesis_person = {"c2c genesis", "genesis@c2c.invalid", 1435708800, 0};
static const char genesis_message[] =
    "genesis: MC2CM network reference data\n\n"
    "Cities, themes, the seventeen SDGs and the peer-learning events of the\n"
    "Mediterranean City-to-City Migration network. Every node starts here.\n";

static json_t *network_json(void)
{
	return json_pack("{s:i,s:i,s:s}", "format_major", NODE_FORMAT_MAJOR, "format_minor", NODE_FORMAT_MINOR, "network",
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
		err = ERR_OOM();
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
		return ERR_OOM();
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
		return ERR_OOM();
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
	if (node_file_exists(dir, "c2c.db") || node_file_exists(dir, "repo.git")) {
		err_set(C2C_EINVALID, _("%s already holds a c2c node"), dir);
		return err_hint(_("choose another directory, or use the node that is there"));
	}
	if ((err = node_alloc(&n, dir)) < 0 || (err = node_lock_take(n)) < 0)
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
	if ((err = node_write_begin(n)) < 0)
		goto fail;
	if ((err = make_genesis(n->repo, n->st, &genesis)) < 0)
		goto fail;
	if ((err = store_state_set(n->st, "node_id", n->node_id)) < 0 ||
	    (err = store_state_set(n->st, "role", n->role)) < 0 ||
	    (city && (err = store_state_set(n->st, "city", city)) < 0) ||
	    (err = store_state_set(n->st, "user_name", n->user_name)) < 0 ||
	    (err = store_state_set(n->st, "user_email", n->user_email)) < 0 ||
	    (err = store_state_set(n->st, "lamport", "1")) < 0 ||
	    (err = node_write_record_intent(n, NULL, &genesis)) < 0 ||
	    /* a new node holds no record an older c2c left without rows */
	    (err = store_state_set(n->st, "backfill", NULL)) < 0)
		goto fail;
	fault_point("init: before database commit");
	if ((err = node_write_commit_db(n)) < 0)
		goto fail;
	fault_point("init: before ref");
	if ((err = node_write_move_ref(n, "c2c init: genesis")) < 0 || (err = node_write_clear_intent(n)) < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	if (n && n->st)
		node_write_rollback(n);
	if (n && n->lockfd >= 0)
		undo_create(dir);
	node_close(n);
	return err;
}
