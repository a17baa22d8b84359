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

typedef struct {
	c2c_node *n;
	const char *from;
	git_commit *c;
	char hex[GIT_OID_HEXSZ + 1];
	char *signer, *city; /* the signing node; its city (NULL: the office) */
	char *root;          /* the node's office key, or NULL */
	int open;            /* no office key yet: who may write what is not known */
	git_tree *tip_tree;  /* the tree of the tip being checked */
	int tip_registry;    /* a signer was found only in the tip's registry */
	size_t deleted;      /* records this commit deletes */
	char path[1024];
} ck;

static int refuse(ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(ck *k, const char *fmt, ...)
{
	char rule[768];
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
static int tree_registry_find(git_repository *r, const git_tree *tree, const char *key, char **id, char **city,
                              char **role)
{
	git_tree_entry *e = NULL;
	git_tree *nodes = NULL;
	int err = C2C_ENOTFOUND;
	*id = *city = *role = NULL;
	if (git_tree_entry_bypath(&e, tree, "network/nodes") < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&nodes, r, git_tree_entry_id(e)) < 0) {
		git_error_clear();
		git_tree_entry_free(e);
		return C2C_ENOTFOUND;
	}
	git_tree_entry_free(e);
	/* network/nodes/<a>/<b>/<id>.json */
	for (size_t i = 0; i < git_tree_entrycount(nodes) && err == C2C_ENOTFOUND; i++) {
		git_tree *a = NULL;
		if (git_tree_lookup(&a, r, git_tree_entry_id(git_tree_entry_byindex(nodes, i))) < 0)
			continue;
		for (size_t j = 0; j < git_tree_entrycount(a) && err == C2C_ENOTFOUND; j++) {
			git_tree *b = NULL;
			if (git_tree_lookup(&b, r, git_tree_entry_id(git_tree_entry_byindex(a, j))) < 0)
				continue;
			for (size_t m = 0; m < git_tree_entrycount(b) && err == C2C_ENOTFOUND; m++) {
				const git_tree_entry *f = git_tree_entry_byindex(b, m);
				git_blob *blob = NULL;
				if (git_blob_lookup(&blob, r, git_tree_entry_id(f)) < 0)
					continue;
				json_t *rec = json_loadb(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), 0, NULL);
				const char *pk = json_string_value(json_object_get(rec, "pubkey"));
				if (pk && !strcmp(pk, key) && !merge_is_deleted(rec)) {
					const char *name = git_tree_entry_name(f), *c = json_string_value(json_object_get(rec, "city"));
					const char *ro = json_string_value(json_object_get(rec, "role"));
					size_t l = strlen(name);
					*id = strndup(name, l > 5 ? l - 5 : l);
					*city = c ? strdup(c) : NULL;
					*role = strdup(ro ? ro : "city");
					err = *id && *role && (!c || *city) ? 0 : err_set(C2C_ENOMEM, "out of memory");
				}
				json_decref(rec);
				git_blob_free(blob);
			}
			git_tree_free(b);
		}
		git_tree_free(a);
	}
	git_tree_free(nodes);
	git_error_clear();
	return err;
}

/* Who signed K->c, checked against the registry. */
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
		char why[512];
		snprintf(why, sizeof(why), "%s", err_msg());
		err = refuse(k, "its signature does not check: %s", why);
		goto done;
	}
	err = registry_find(k->n, key, &k->signer, &k->city);
	if (err == 0) {
		role = strdup(k->city ? "city" : "office");
	} else if (err == C2C_ENOTFOUND) {
		/* Registered in an office commit that comes in the same history? */
		if ((rc = git_commit_tree(&tree, k->c)) < 0) {
			err = err_git(rc, "reading a commit's tree");
			goto done;
		}
		err = tree_registry_find(k->n->repo, tree, key, &k->signer, &k->city, &role);
		/* ... or later in it: the registry of the tip holds every node
		 * registered by the commits checked here. */
		if (err == C2C_ENOTFOUND && k->tip_tree &&
		    (err = tree_registry_find(k->n->repo, k->tip_tree, key, &k->signer, &k->city, &role)) == 0)
			k->tip_registry = 1;
		if (err == C2C_ENOTFOUND && !k->root) {
			/* A node that has no office key yet cannot tell who may write
			 * what: the signature must check, and the signer is the node
			 * its commit names. */
			git_message_trailer_array tr = {0};
			if (git_message_trailers(&tr, git_commit_message(k->c)) == 0)
				for (size_t i = 0; i < tr.count && !k->signer; i++)
					if (!strcmp(tr.trailers[i].key, "C2C-Node"))
						k->signer = strdup(tr.trailers[i].value);
			git_message_trailer_array_free(&tr);
			if (!k->signer)
				err = refuse(k, "it does not name the node that made it (C2C-Node)");
			else
				err = 0, k->open = 1;
			goto done;
		}
		if (err == C2C_ENOTFOUND) {
			char *fp = NULL;
			keys_line_fingerprint(key, &fp);
			err = refuse(k, "signed by key %s, which the office has not registered", fp ? fp : "?");
			free(fp);
			goto done;
		}
	}
	if (err < 0)
		goto done;
	if (!k->city && k->root && strcmp(key, k->root)) {
		err = refuse(k, "signed as the office (%s) by a key that is not this node's office key", k->signer);
		goto done;
	}
	if (!k->city && role && strcmp(role, "office")) {
		err = refuse(k, "signed by %s, a %s, which writes no records", k->signer, role);
		goto done;
	}
done:
	free(key);
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
	*out = json_loadb(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), 0, NULL);
	git_blob_free(b);
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
	if ((rc = git_blob_lookup(&b, k->n->repo, new_)) < 0)
		return err_git(rc, k->path);
	const char *text = git_blob_rawcontent(b);
	size_t len = (size_t)git_blob_rawsize(b);
	if (canon_parse(text, len, k->path, &rec) < 0 || !json_is_object(rec)) {
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
	/* Only the signer's own clock entry may advance. */
	if (old && (err = load_json(k->n->repo, old, &prev)) < 0)
		goto done;
	const char *node;
	json_t *v;
	const json_t *oc = json_object_get(json_object_get(prev, "_c2c"), "clock");
	json_object_foreach(json_object_get(json_object_get(rec, "_c2c"), "clock"), node, v)
	{
		if (strcmp(node, k->signer) && json_integer_value(v) > json_integer_value(json_object_get(oc, node))) {
			err = refuse(k, "%s: it advances the clock of node %s, which did not sign it", k->path, node);
			goto done;
		}
	}
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

/* Most of the city's records deleted at once, without the author's word? */
static int check_mass_deletion(ck *k, const git_tree *parent_tree)
{
	size_t total;
	int mass, err;
	if (k->open || strstr(git_commit_message(k->c), "\nC2C-Confirm-Delete: "))
		return 0;
	if ((err = incoming_mass_deletion(k->n->repo, git_tree_id(parent_tree), k->city, k->deleted, &total, &mass)) < 0)
		return err;
	if (mass)
		return refuse(k, "it deletes %zu of %s's %zu records without the author's confirmation", k->deleted,
		              k->city, total);
	return 0;
}

static int check_merge(ck *k)
{
	git_oid joined, t;
	mergetree_stats st = {0};
	int err;
	if ((err = repo_commit_tree(k->n->repo, git_commit_parent_id(k->c, 0), &joined)) < 0)
		return err;
	for (unsigned i = 1; i < git_commit_parentcount(k->c); i++)
		if ((err = repo_commit_tree(k->n->repo, git_commit_parent_id(k->c, i), &t)) < 0 ||
		    (err = mergetree_join(k->n->repo, &joined, &t, &joined, &st)) < 0)
			return err;
	if (!git_oid_equal(&joined, git_commit_tree_id(k->c)))
		return refuse(k, "its tree is not the merge of its parents (a change smuggled into a merge)");
	return 0;
}

static int check_one(ck *k)
{
	git_commit *p = NULL;
	git_tree *pt = NULL, *ct = NULL;
	int rc, err;
	unsigned np = git_commit_parentcount(k->c);
	if (np == 0)
		return refuse(k, "it has no parent, and is not the genesis commit");
	if ((err = check_signature(k)) < 0)
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
	if ((err = walk(k, pt, ct, 0)) == 0)
		err = check_mass_deletion(k, pt);
done:
	git_tree_free(pt);
	git_tree_free(ct);
	git_commit_free(p);
	return err;
}

int incoming_check(c2c_node *n, const char *from, const git_oid *tip, git_oid *good)
{
	git_revwalk *w = NULL;
	git_oid id, *seen = NULL;
	size_t nseen = 0, cap = 0;
	ck k = {n, from, NULL, "", NULL, NULL, NULL, 0, NULL, 0, 0, ""};
	int rc, err = 0;
	memset(good, 0, sizeof(*good));
	if ((err = registry_office_key(n, &k.root)) < 0 && err != C2C_ENOTFOUND)
		return err;
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
	while (err == 0 && (rc = git_revwalk_next(&id, w)) == 0) {
		git_oid_tostr(k.hex, sizeof(k.hex), &id);
		if ((rc = git_commit_lookup(&k.c, n->repo, &id)) < 0) {
			err = err_git(rc, k.hex);
			break;
		}
		err = check_one(&k);
		/* The good commits before a bad one count, unless the bad one may
		 * have been what registered a signer of theirs. */
		if (err < 0 && git_commit_parentcount(k.c) > 0 && !k.tip_registry) {
			const git_oid *p = git_commit_parent_id(k.c, 0);
			for (size_t i = 0; i < nseen; i++)
				if (git_oid_equal(&seen[i], p))
					*good = *p;
		}
		git_commit_free(k.c);
		k.c = NULL;
		free(k.signer);
		free(k.city);
		k.signer = k.city = NULL;
		k.open = 0;
		if (err == 0) {
			if (nseen == cap) {
				git_oid *s = realloc(seen, (cap = cap ? cap * 2 : 64) * sizeof(*s));
				if (!s) {
					err = err_set(C2C_ENOMEM, "out of memory");
					break;
				}
				seen = s;
			}
			seen[nseen++] = id;
		}
	}
	if (err == 0 && rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "walking the incoming commits");
done:
	free(seen);
	free(k.root);
	git_tree_free(k.tip_tree);
	git_revwalk_free(w);
	return err;
}

/* ------------------------------------------------------------ quarantine */

#define QDIR "objects/c2c-incoming"

static git_repository *attached; /* the repository whose odb has the backend */
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
	if (empty_dir(pack) > 0 && attached != n->repo) /* what a killed sync left: never checked */
		drop_dangling_refs(n);
	if (attached == n->repo)
		return 0;
	if ((rc = git_repository_odb(&odb, n->repo)) < 0 || (rc = git_odb_backend_pack(&b, dir)) < 0 ||
	    (rc = git_odb_add_backend(odb, b, 1000)) < 0) {
		if (b && rc < 0)
			b->free(b);
		git_odb_free(odb);
		return err_git(rc, "preparing the quarantine for incoming objects");
	}
	git_odb_free(odb);
	attached = n->repo;
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
