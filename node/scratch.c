/* scratch: a repository whose writes stay in memory (include/c2c/scratch.h).
 * Its object database has two backends: libgit2's mempack, which takes
 * the writes, and one that reads through to the real repository's object
 * database. libgit2 writes an object only if no backend has it, so what
 * the real repository holds is never copied into memory. */
#include "c2c/scratch.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/pack.h"

typedef struct {
	git_odb_backend parent;
	git_odb *real;
} through;

static int through_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	git_odb_object *o = NULL;
	int rc = git_odb_read(&o, ((through *)b)->real, id);
	if (rc < 0)
		return rc;
	*len = git_odb_object_size(o);
	*type = git_odb_object_type(o);
	if (!(*data = git_odb_backend_data_alloc(b, *len ? *len : 1))) {
		git_odb_object_free(o);
		return -1;
	}
	memcpy(*data, git_odb_object_data(o), *len);
	git_odb_object_free(o);
	return 0;
}

static int through_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	return git_odb_read_header(len, type, ((through *)b)->real, id);
}

/* Without a refresh: an object computed here and not in the real
 * database (the join of an octopus merge's first parents) would otherwise
 * make libgit2 read the pack directory again at every write. */
static int through_exists(git_odb_backend *b, const git_oid *id)
{
	return git_odb_exists_ext(((through *)b)->real, id, GIT_ODB_LOOKUP_NO_REFRESH);
}

static void through_free(git_odb_backend *b)
{
	git_odb_free(((through *)b)->real);
	free(b);
}

struct repo_scratch {
	git_repository *repo;
	git_odb_backend *mem; /* owned by the repository's object database */
};

int repo_scratch_new(repo_scratch **out, git_repository *real)
{
	repo_scratch *s = calloc(1, sizeof(*s));
	through *t = calloc(1, sizeof(*t));
	git_odb *odb = NULL;
	int rc;
	*out = NULL;
	if (!s || !t) {
		free(s);
		free(t);
		return ERR_OOM();
	}
	if ((rc = git_odb_init_backend(&t->parent, GIT_ODB_BACKEND_VERSION)) < 0 ||
	    (rc = git_repository_odb(&t->real, real)) < 0)
		goto fail;
	t->parent.read = through_read;
	t->parent.read_header = through_read_header;
	t->parent.exists = through_exists;
	t->parent.free = through_free;
	if ((rc = git_odb_new(&odb)) < 0 || (rc = git_odb_add_backend(odb, &t->parent, 1)) < 0)
		goto fail;
	t = NULL; /* the object database's now */
	if ((rc = git_mempack_new(&s->mem)) < 0)
		goto fail;
	if ((rc = git_odb_add_backend(odb, s->mem, 2)) < 0) {
		s->mem->free(s->mem);
		goto fail;
	}
	if ((rc = git_repository_wrap_odb(&s->repo, odb)) < 0)
		goto fail;
	git_odb_free(odb);
	*out = s;
	return 0;
fail:
	if (t) {
		git_odb_free(t->real);
		free(t);
	}
	git_odb_free(odb);
	free(s);
	return err_git(rc, "preparing a scratch object database");
}

git_repository *repo_scratch_repo(repo_scratch *s) { return s->repo; }

/* ID and what it holds, when written here, into OUT: what is not here is
 * in the real database, with everything below it. */
static int keep_walk(repo_scratch *s, const git_oid *id, repo_oids *out)
{
	git_tree *t = NULL;
	int rc, err;
	if (!s->mem->exists(s->mem, id))
		return 0;
	if ((err = oid_list_add(out, id)) < 0)
		return err;
	if ((rc = git_tree_lookup(&t, s->repo, id)) < 0)
		return err_git(rc, "reading a joined tree");
	for (size_t i = 0; i < git_tree_entrycount(t) && err == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const git_oid *eid = git_tree_entry_id(e);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			err = keep_walk(s, eid, out);
		else if (s->mem->exists(s->mem, eid))
			err = oid_list_add(out, eid);
	}
	git_tree_free(t);
	return err;
}

int repo_scratch_keep(repo_scratch *s, git_repository *real, const git_oid *tree)
{
	repo_oids ids = {0};
	git_odb *odb = NULL;
	int rc, err = keep_walk(s, tree, &ids);
	if (err == 0 && ids.n) {
		if ((rc = git_repository_odb(&odb, s->repo)) < 0)
			err = err_git(rc, "reading a joined tree");
		else
			err = repo_pack_copy(real, NULL, odb, NULL, "the joined tree", &ids, NULL, NULL);
	}
	git_odb_free(odb);
	oid_list_free(&ids);
	return err;
}

void repo_scratch_reset(repo_scratch *s)
{
	if (s)
		git_mempack_reset(s->mem);
}

void repo_scratch_free(repo_scratch *s)
{
	if (!s)
		return;
	git_repository_free(s->repo);
	free(s);
}
