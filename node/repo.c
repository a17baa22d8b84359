#include "c2c/repo.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/fault.h"
#include "c2c/oidlist.h"
#include "c2c/pack.h"
#include "c2c/treeupd.h"
#include "c2c/util.h"

/* libgit2 as Debian builds it takes its TLS from mbedTLS, whose start-up in
 * git_libgit2_init parses the system's whole CA bundle (some 140
 * certificates, 200 KB of base64): a quarter of the instructions of a
 * short command such as merge-tree, for nothing, since a node reaches its
 * remotes over ssh or by path and never over https. This function takes
 * the place of mbedTLS's for libgit2: the bundle is not read, and an https
 * connection, should one ever be made, would trust no certificate (it
 * fails closed). Linked from archives (C2C_STATIC_LIBS), the linker's
 * --wrap sends libgit2's call here; with shared libraries, a definition in
 * the executable comes first in the dynamic linker's search. */
#ifdef C2C_STATIC_LIBS
#define NO_CA_BUNDLE __wrap_mbedtls_x509_crt_parse_file
#else
#define NO_CA_BUNDLE mbedtls_x509_crt_parse_file
#endif
int NO_CA_BUNDLE(void *chain, const char *path);
int NO_CA_BUNDLE(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int repo_global_init(void)
{
	static int done;
	if (done)
		return 0;
	if (git_libgit2_init() < 0)
		return err_git(-1, "initializing libgit2");
	/* Objects and refs reach the disk before a ref points at them. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	/* A node is a short-lived process: a small object cache keeps a bulk
	 * import's memory flat (the default allows 256 MB). */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(16 * 1024 * 1024));
	/* libgit2 caches no tree over 4 KB, and a bucket of the fan-out (SPEC 4)
	 * holds 44 KB of entries at 200,000 records: a sync or merge that
	 * checks, joins and rewrites the same buckets would read, inflate and
	 * hash each again every time. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)512 * 1024);
	/* Like git, and unlike libgit2's default, objects read from the node's
	 * own packs are not hashed again at every read (sha1dc costs a quarter
	 * of a sync at 200,000 records): what enters the repository is hashed
	 * once on the way in (the indexer of a fetch or bundle, and repo_pack_add);
	 * c2c verify turns the check back on for what it reads, and git fsck
	 * checks it all. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	canon_hook_alloc();
	done = 1;
	fault_alloc_arm(); /* tests: allocation failures start here (fault.h) */
	return 0;
}

int repo_create(git_repository **out, const char *path)
{
	git_repository_init_options o;
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.description = "c2c node history: canonical records, one commit per write\n";
	int rc = git_repository_init_ext(out, path, &o);
	return rc < 0 ? err_git(rc, path) : 0;
}

int repo_open(git_repository **out, const char *path)
{
	int rc = git_repository_open_ext(out, path, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
	return rc < 0 ? err_git(rc, path) : 0;
}

int repo_head(git_repository *r, git_oid *out)
{
	int rc = git_reference_name_to_id(out, r, REPO_MAIN);
	if (rc == GIT_ENOTFOUND)
		return err_set(C2C_ENOTFOUND, "repo.git has no %s", REPO_MAIN);
	return rc < 0 ? err_git(rc, "reading refs/heads/main") : 0;
}

int repo_move_head(git_repository *r, const git_oid *old, const git_oid *new_, const char *logmsg)
{
	git_reference *ref = NULL;
	int rc;
	if (old)
		rc = git_reference_create_matching(&ref, r, REPO_MAIN, new_, 1, old, logmsg);
	else
		rc = git_reference_create(&ref, r, REPO_MAIN, new_, 0, logmsg);
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		return err_set(C2C_ECONFLICT, "refs/heads/main moved while c2c was writing");
	return rc < 0 ? err_git(rc, "moving refs/heads/main") : 0;
}

int repo_read_tree_path(git_repository *r, const git_oid *tree_id, const char *path, char **buf, size_t *len,
                        git_oid *oid)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc, err = 0;
	*buf = NULL;
	if ((rc = git_tree_lookup(&tree, r, tree_id)) < 0) {
		err = err_git(rc, "reading a tree");
		goto done;
	}
	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND) {
		err = err_set(C2C_ENOTFOUND, "%s is not in the tree", path);
		goto done;
	}
	if (rc < 0) {
		err = err_git(rc, path);
		goto done;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		err = err_set(C2C_ECORRUPT, "%s is not a file in the tree", path);
		goto done;
	}
	if ((rc = git_blob_lookup(&blob, r, git_tree_entry_id(e))) < 0) {
		err = err_git(rc, path);
		goto done;
	}
	size_t n = (size_t)git_blob_rawsize(blob);
	if (!(*buf = malloc(n + 1))) {
		err = ERR_OOM();
		goto done;
	}
	memcpy(*buf, git_blob_rawcontent(blob), n);
	(*buf)[n] = '\0';
	if (len)
		*len = n;
	if (oid)
		git_oid_cpy(oid, git_tree_entry_id(e));
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return err;
}

int repo_commit_tree(git_repository *r, const git_oid *commit, git_oid *tree)
{
	git_commit *c = NULL;
	int rc = git_commit_lookup(&c, r, commit);
	if (rc < 0)
		return err_git(rc, "reading a commit");
	git_oid_cpy(tree, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

int repo_read_path(git_repository *r, const git_oid *commit, const char *path, char **buf, size_t *len,
                   git_oid *oid)
{
	git_oid tree;
	int err;
	*buf = NULL;
	if ((err = repo_commit_tree(r, commit, &tree)) < 0)
		return err;
	return repo_read_tree_path(r, &tree, path, buf, len, oid);
}

/* Through git_odb_write, which hashes first and does not write an object
 * the repository already holds; git_blob_create_from_buffer streams every
 * blob through a new zlib stream and a temporary file before it looks. */
int repo_write_blob(git_repository *r, const char *data, size_t len, git_oid *out)
{
	git_odb *odb = NULL;
	int rc = git_repository_odb(&odb, r);
	if (rc == 0)
		rc = git_odb_write(out, odb, data, len, GIT_OBJECT_BLOB);
	git_odb_free(odb);
	return rc < 0 ? err_git(rc, "writing a blob") : 0;
}

/* ---------------------------------------------------------------- commits */

static int cmp_update(const void *a, const void *b)
{
	return strcmp(((const git_tree_update *)a)->path, ((const git_tree_update *)b)->path);
}

static int commit_in(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                     size_t n, const repo_person *author, const repo_person *committer, const char *message,
                     git_oid *out);


/* The trees under TREE that are in MP (new ones); unchanged subtrees are
 * not in it and are not opened. The mempack backend has no foreach. */
static int collect_new_trees(git_repository *mem, git_odb_backend *mp, const git_oid *tree_id, oid_list *l)
{
	git_tree *tree = NULL;
	int rc, err;
	if (!mp->exists(mp, tree_id))
		return 0;
	if ((err = oid_list_add(l, tree_id)) < 0)
		return err;
	if ((rc = git_tree_lookup(&tree, mem, tree_id)) < 0)
		return err_git(rc, "reading a new tree");
	for (size_t i = 0; i < git_tree_entrycount(tree) && err == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			err = collect_new_trees(mem, mp, git_tree_entry_id(e), l);
	}
	git_tree_free(tree);
	return err;
}

/* Copy the new commit and trees, held by the in-memory backend MP (read
 * through MEM), into one pack in R. */
static int store_mempack(git_repository *r, git_repository *mem, git_odb_backend *mp, const git_oid *commit)
{
	oid_list l = {0};
	git_odb *odb = NULL;
	repo_pack *p = NULL;
	git_oid tree;
	int rc, err = 0;
	if ((err = oid_list_add(&l, commit)) < 0 || (err = repo_commit_tree(mem, commit, &tree)) < 0 ||
	    (err = collect_new_trees(mem, mp, &tree, &l)) < 0)
		goto done;
	if ((rc = git_repository_odb(&odb, mem)) < 0) {
		err = err_git(rc, "opening the object database");
		goto done;
	}
	if ((err = repo_pack_new(&p, r, l.n)) < 0)
		goto done;
	for (size_t i = 0; i < l.n; i++) {
		git_odb_object *o = NULL;
		git_oid check;
		if ((rc = git_odb_read(&o, odb, &l.v[i])) < 0) {
			err = err_git(rc, "reading a new tree");
			goto done;
		}
		err = repo_pack_add(p, git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o), &check);
		git_odb_object_free(o);
		if (err < 0)
			goto done;
	}
	err = repo_pack_finish(p);
done:
	repo_pack_free(p);
	git_odb_free(odb);
	oid_list_free(&l);
	return err;
}

int repo_commit_write(git_repository *r, const keys_signer *signer, const git_signature *author,
                      const git_signature *committer, const char *message, const git_tree *tree, size_t nparents,
                      const git_commit **parents, git_oid *out)
{
	git_buf buf = GIT_BUF_INIT;
	char *sig = NULL;
	int rc, err = 0;
	if (!signer) {
		if ((rc = git_commit_create(out, r, NULL, author, committer, NULL, message, tree, nparents, parents)) < 0)
			return err_git(rc, "writing the commit");
		return 0;
	}
	if ((rc = git_commit_create_buffer(&buf, r, author, committer, NULL, message, tree, nparents, parents)) < 0) {
		err = err_git(rc, "preparing the commit");
		goto done;
	}
	if ((err = keys_sign_git(signer, buf.ptr, buf.size, &sig)) < 0)
		goto done;
	/* libgit2 indents every line of the header's value but the first; the
	 * value ends without a newline, as git writes it. */
	size_t sl = strlen(sig);
	if (sl && sig[sl - 1] == '\n')
		sig[sl - 1] = '\0';
	if ((rc = git_commit_create_with_signature(out, r, buf.ptr, sig, "gpgsig")) < 0)
		err = err_git(rc, "writing the signed commit");
done:
	free(sig);
	git_buf_dispose(&buf);
	return err;
}

int repo_commit(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                size_t n, const repo_person *author, const repo_person *committer, const char *message, git_oid *out)
{
	if (n <= REPO_BULK)
		return commit_in(r, signer, parent, updates, n, author, committer, message, out);
	/* A large commit rewrites many trees: build them in memory, on a second
	 * handle of the repository, and store them as one pack rather than as
	 * hundreds of loose objects, each compressed and fsynced on its own. */
	git_repository *mem = NULL;
	git_odb *odb = NULL;
	git_odb_backend *mp = NULL;
	int rc, err = 0;
	if ((rc = git_repository_open_bare(&mem, git_repository_path(r))) < 0 ||
	    (rc = git_repository_odb(&odb, mem)) < 0 || (rc = git_mempack_new(&mp)) < 0 ||
	    (rc = git_odb_add_backend(odb, mp, 999)) < 0) {
		if (mp && rc < 0 && odb && !git_odb_num_backends(odb))
			mp->free(mp);
		err = err_git(rc, "preparing an in-memory object store");
		goto done;
	}
	/* The blobs were written by this process a moment ago; checking each one
	 * (strict object creation reads every object's header) would map the
	 * whole new pack into memory for nothing. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	err = commit_in(mem, signer, parent, updates, n, author, committer, message, out);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	if (err < 0)
		goto done;
	err = store_mempack(r, mem, mp, out);
done:
	git_odb_free(odb);
	git_repository_free(mem);
	return err;
}

static int commit_in(git_repository *r, const keys_signer *signer, const git_oid *parent, const repo_update *updates,
                     size_t n, const repo_person *author, const repo_person *committer, const char *message,
                     git_oid *out)
{
	git_commit *pc = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *a = NULL, *c = NULL;
	git_tree_update *u = NULL;
	git_oid tree_id;
	int rc = 0, err = 0;

	if (parent) {
		if ((rc = git_commit_lookup(&pc, r, parent)) < 0 || (rc = git_commit_tree(&base, pc)) < 0) {
			err = err_git(rc, "reading the parent commit");
			goto done;
		}
	}
	if (!(u = calloc(n ? n : 1, sizeof(*u)))) {
		err = ERR_OOM();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		u[i].action = updates[i].remove ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		u[i].path = updates[i].path;
		u[i].filemode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&u[i].id, &updates[i].oid);
	}
	qsort(u, n, sizeof(*u), cmp_update);
	if ((err = repo_tree_create_updated(&tree_id, r, base, n, u)) < 0)
		goto done;
	fault_point("write: trees written");
	if ((rc = git_tree_lookup(&tree, r, &tree_id)) < 0 ||
	    (rc = git_signature_new(&a, author->name, author->email, author->when, author->offset)) < 0 ||
	    (rc = git_signature_new(&c, committer->name, committer->email, committer->when, committer->offset)) <
	        0) {
		err = err_git(rc, "preparing the commit");
		goto done;
	}
	const git_commit *parents[1] = {pc};
	err = repo_commit_write(r, signer, a, c, message, tree, pc ? 1 : 0, parents, out);
done:
	free(u);
	git_signature_free(a);
	git_signature_free(c);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	return err;
}
/* ------------------------------------------------------- stale locks */

static int clear_locks_in(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &sb) < 0)
			continue;
		size_t l = strlen(e->d_name);
		if (S_ISDIR(sb.st_mode) && depth < 8)
			n += clear_locks_in(p, depth + 1);
		else if (S_ISREG(sb.st_mode) && l > 5 && !strcmp(e->d_name + l - 5, ".lock") && unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int repo_clear_stale_locks(const char *gitdir)
{
	char p[4096];
	int n = 0;
	static const char *files[] = {"HEAD.lock", "packed-refs.lock", "config.lock", "index.lock"};
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(p, sizeof(p), "%s/%s", gitdir, files[i]);
		if (unlink(p) == 0)
			n++;
	}
	snprintf(p, sizeof(p), "%s/refs", gitdir);
	return n + clear_locks_in(p, 0);
}

static int walk_push(git_revwalk *w, git_repository *r, const git_oid *tip, int parents)
{
	git_commit *c = NULL;
	int rc;
	if (!parents)
		return git_revwalk_push(w, tip);
	if ((rc = git_commit_lookup(&c, r, tip)) < 0)
		return rc;
	for (unsigned i = 0; i < git_commit_parentcount(c) && rc == 0; i++)
		rc = git_revwalk_push(w, git_commit_parent_id(c, i));
	git_commit_free(c);
	return rc;
}

int repo_commits_beyond(git_repository *r, const git_oid *hide, size_t nhide, const git_oid *tips, size_t n,
                        int parents, oid_list *out)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc, err = 0;
	oid_list_clear(out);
	if ((rc = git_revwalk_new(&w, r)) < 0)
		return err_git(rc, "walking the history");
	for (size_t i = 0; i < nhide && rc == 0; i++)
		if (!git_oid_is_zero(&hide[i]))
			rc = git_revwalk_hide(w, &hide[i]);
	for (size_t i = 0; i < n && rc == 0 && err == 0; i++)
		if (walk_push(w, r, &tips[i], parents) < 0)
			err = parents ? 0 : oid_list_add(out, &tips[i]); /* not a commit here: new, its checks say why */
	git_error_clear();
	while (rc == 0 && err == 0 && (rc = git_revwalk_next(&id, w)) == 0)
		err = oid_list_add(out, &id);
	git_revwalk_free(w);
	if (err == 0 && rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "walking the history");
	oid_list_sort(out);
	return err;
}

void repo_tips_new(git_repository *r, const git_oid *head, const git_oid *tips, size_t n, unsigned char *isnew)
{
	oid_list beyond = {0};
	int err = repo_commits_beyond(r, head, 1, tips, n, 0, &beyond);
	for (size_t i = 0; i < n; i++)
		isnew[i] = err == 0 ? oid_list_has(&beyond, &tips[i])
		                    : !git_oid_equal(&tips[i], head) && git_graph_descendant_of(r, head, &tips[i]) != 1;
	oid_list_free(&beyond);
	if (err < 0)
		err_clear();
	git_error_clear();
}

/* libgit2's reading, for what the files do not say plainly (below). */
static int refs_under_libgit2(git_repository *r, const char *prefix, repo_refs *out)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t pl = strlen(prefix);
	char *glob = malloc(pl + 2);
	int rc, err = 0;
	memset(out, 0, sizeof(*out));
	if (!glob)
		return ERR_OOM();
	memcpy(glob, prefix, pl);
	memcpy(glob + pl, "*", 2);
	rc = git_reference_iterator_glob_new(&it, r, glob);
	free(glob);
	if (rc < 0)
		return err_git(rc, prefix);
	while (err == 0 && (rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_type(ref) == GIT_REFERENCE_DIRECT ? git_reference_target(ref) : NULL;
		if (id && !strncmp(git_reference_name(ref), prefix, pl)) {
			repo_ref e = {strdup(git_reference_name(ref)), *id};
			if (!e.name || (err = util_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v))) < 0) {
				free(e.name);
				err = ERR_OOM();
			} else {
				out->v[out->n++] = e;
			}
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (err == 0 && rc != GIT_ITEROVER)
		err = err_git(rc, prefix);
	if (err < 0)
		repo_refs_free(out);
	return err;
}

static int refs_add(repo_refs *out, const char *name, size_t len, const char *hex)
{
	repo_ref e = {NULL, {{0}}};
	int err;
	if (git_oid_fromstrn(&e.id, hex, GIT_OID_HEXSZ) < 0) {
		git_error_clear();
		return 1;
	}
	if (!(e.name = strndup(name, len)) || (err = util_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v))) < 0) {
		free(e.name);
		return ERR_OOM();
	}
	out->v[out->n++] = e;
	return 0;
}

/* A loose ref's file: 40 hex digits and a newline (0), a symbolic ref
 * (skipped: 0, nothing added), or something else (1: libgit2 decides). */
static int loose_ref(repo_refs *out, const char *path, const char *name)
{
	char buf[GIT_OID_HEXSZ + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1; /* packed meanwhile: read below */
	ssize_t k = read(fd, buf, sizeof(buf));
	close(fd);
	if (k >= 5 && !memcmp(buf, "ref: ", 5))
		return 0;
	if (k != GIT_OID_HEXSZ + 1 || buf[GIT_OID_HEXSZ] != '\n')
		return 1;
	return refs_add(out, name, strlen(name), buf);
}

/* The loose refs in the directory PATH[0..PL) and below; a ref's name is
 * its path from PATH + BASE on. */
static int loose_refs(repo_refs *out, char *path, size_t pl, size_t cap, size_t base)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int err = 0;
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : 1;
	while (err == 0 && (e = readdir(d))) {
		size_t el = strlen(e->d_name);
		if (e->d_name[0] == '.' || (el > 5 && !strcmp(e->d_name + el - 5, ".lock")))
			continue; /* (git's ref names never begin with a dot) */
		if (pl + 1 + el + 1 > cap) {
			err = 1;
			break;
		}
		path[pl] = '/';
		memcpy(path + pl + 1, e->d_name, el + 1);
		struct stat st;
		if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
			err = loose_refs(out, path, pl + 1 + el, cap, base);
		else if (e->d_type == DT_REG || e->d_type == DT_UNKNOWN)
			err = loose_ref(out, path, path + base);
		else
			err = 1;
	}
	closedir(d);
	path[pl] = '\0';
	return err;
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const repo_ref *)a)->name, ((const repo_ref *)b)->name);
}

const repo_ref *repo_refs_find(const repo_refs *refs, const char *name)
{
	repo_ref key = {(char *)name, {{0}}};
	return refs->n ? bsearch(&key, refs->v, refs->n, sizeof(*refs->v), cmp_ref) : NULL;
}

/* The refs under PREFIX that packed-refs (FILE) holds and none of the
 * loose ones OUT->v[0..NLOOSE) (sorted) hides; 1 when the file is not as
 * git writes it. */
static int packed_refs(repo_refs *out, size_t nloose, const char *file, const char *prefix)
{
	struct stat st;
	size_t pl = strlen(prefix), got = 0;
	int err = 0, fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1;
	char *buf = fstat(fd, &st) == 0 && st.st_size < (1 << 30) ? malloc((size_t)st.st_size + 1) : NULL;
	while (buf && got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return 1;
	}
	buf[got] = '\n';
	for (char *l = buf, *end = buf + got; l < end && err == 0;) {
		char *nl = memchr(l, '\n', (size_t)(end - l) + 1);
		if (*l != '#' && *l != '^') { /* (a header; an annotated tag's target) */
			const char *name = l + GIT_OID_HEXSZ + 1;
			if (nl - l <= GIT_OID_HEXSZ + 1 || l[GIT_OID_HEXSZ] != ' ')
				err = 1;
			else if ((size_t)(nl - name) >= pl && !memcmp(name, prefix, pl)) {
				*nl = '\0';
				const repo_refs loose = {out->v, nloose, nloose};
				if (!repo_refs_find(&loose, name))
					err = refs_add(out, name, (size_t)(nl - name), l);
			}
		}
		l = nl + 1;
	}
	free(buf);
	return err;
}

/* git's files, read as git reads them (refs/files-backend.c): the loose
 * refs first, then packed-refs, so that a pack-refs meanwhile, which
 * writes packed-refs before it deletes the loose files, hides no ref; a
 * loose ref takes the place of its packed copy. At a thousand branches,
 * libgit2's iterator built a map of every packed ref for each call. What
 * the files do not say plainly (a symbolic link, a line out of git's
 * format) goes to libgit2. */
int repo_refs_under(git_repository *r, const char *prefix, repo_refs *out)
{
	const char *gd = git_repository_commondir(r);
	size_t gl = gd ? strlen(gd) : 0, pl = strlen(prefix);
	char path[PATH_MAX];
	int err;
	memset(out, 0, sizeof(*out));
	if (!gl || gd[gl - 1] != '/' || pl < 6 || strncmp(prefix, "refs/", 5) || prefix[pl - 1] != '/' ||
	    gl + pl + sizeof("packed-refs") >= sizeof(path))
		return refs_under_libgit2(r, prefix, out);
	memcpy(path, gd, gl);
	memcpy(path + gl, prefix, pl - 1);
	path[gl + pl - 1] = '\0';
	err = loose_refs(out, path, gl + pl - 1, sizeof(path), gl);
	size_t nloose = out->n;
	if (err == 0 && nloose)
		qsort(out->v, nloose, sizeof(*out->v), cmp_ref);
	memcpy(path + gl, "packed-refs", sizeof("packed-refs"));
	if (err == 0)
		err = packed_refs(out, nloose, path, prefix);
	size_t k = 1; /* (git writes packed-refs sorted: then no sort) */
	while (err == 0 && k < out->n && cmp_ref(&out->v[k - 1], &out->v[k]) < 0)
		k++;
	if (err == 0 && k < out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_ref);
	if (err != 0)
		repo_refs_free(out);
	return err > 0 ? refs_under_libgit2(r, prefix, out) : err;
}

void repo_refs_free(repo_refs *refs)
{
	for (size_t i = 0; i < refs->n; i++)
		free(refs->v[i].name);
	free(refs->v);
	memset(refs, 0, sizeof(*refs));
}

void repo_pack_refs(git_repository *r)
{
	git_refdb *db = NULL;
	if (git_repository_refdb(&db, r) == 0)
		git_refdb_compress(db);
	git_refdb_free(db);
	git_error_clear();
}
