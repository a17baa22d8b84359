/* quarantine: incoming objects wait here for their checks (include/c2c/quarantine.h). */
#include "c2c/quarantine.h"

#include <dirent.h>
#include <git2/sys/odb_backend.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/pack.h"
#include "c2c/refs.h"
#include "c2c/repo.h"
#include "c2c/util.h"

#define QDIR "objects/c2c-incoming"

/* One process at a time fetches into the quarantine: two syncs (autosync
 * and a user's) would otherwise drop each other's packs. WAIT: 0 tries once
 * (1: taken, 0: busy), else a busy quarantine is an error naming the pid. */
static int qlock(quarantine *q, const char *gitdir, int wait)
{
	char p[PATH_MAX], pid[32];
	int fd, len;
	if (q->locked)
		return 1;
	if (snprintf(p, sizeof(p), "%s/c2c-incoming.lock", gitdir) >= (int)sizeof(p))
		return err_set(C2C_EINVALID, "%s: path too long", gitdir);
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
	q->lockfd = fd;
	q->locked = 1;
	return 1;
}

static void qunlock(quarantine *q)
{
	if (q->locked)
		close(q->lockfd); /* releases the flock */
	q->lockfd = -1;
	q->locked = 0;
}

static int qpath(const char *gitdir, const char *rest, char *out, size_t size)
{
	if (snprintf(out, size, "%s/%s%s", gitdir, QDIR, rest) >= (int)size)
		return err_set(C2C_EINVALID, "%s: path too long", gitdir);
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
static void drop_dangling_refs(git_repository *repo)
{
	git_strarray refs = {0};
	git_odb *odb = NULL;
	if (git_reference_list(&refs, repo) < 0 || git_repository_odb(&odb, repo) < 0) {
		git_error_clear();
		git_strarray_dispose(&refs);
		return;
	}
	for (size_t i = 0; i < refs.count; i++) {
		git_oid tip;
		git_reference *r = NULL;
		if (strncmp(refs.strings[i], REF_REMOTES, strlen(REF_REMOTES)) ||
		    git_reference_name_to_id(&tip, repo, refs.strings[i]) < 0 || git_odb_exists(odb, &tip))
			continue;
		if (git_reference_lookup(&r, repo, refs.strings[i]) == 0)
			git_reference_delete(r);
		git_reference_free(r);
	}
	git_error_clear();
	git_odb_free(odb);
	git_strarray_dispose(&refs);
}

int quarantine_open(quarantine *q, git_repository *repo, const char *gitdir)
{
	char dir[PATH_MAX], pack[PATH_MAX];
	git_odb *odb = NULL;
	git_odb_backend *b = NULL;
	int rc, err;
	if ((err = qpath(gitdir, "", dir, sizeof(dir))) < 0 || (err = qpath(gitdir, "/pack", pack, sizeof(pack))) < 0 ||
	    (err = qlock(q, gitdir, 1)) < 0)
		return err;
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (mkdir(pack, 0755) < 0 && errno != EEXIST))
		return err_errno(C2C_EIO, pack);
	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return err_git(rc, "preparing the quarantine for incoming objects");
	if (empty_dir(pack) > 0 && q->attached != odb) /* what a killed sync left: never checked */
		drop_dangling_refs(repo);
	if (q->attached == odb) {
		git_odb_free(odb);
		return 0;
	}
	if ((rc = git_odb_backend_pack(&b, dir)) < 0 || (rc = git_odb_add_backend(odb, b, 1000)) < 0) {
		if (b && rc < 0)
			b->free(b);
		git_odb_free(odb);
		return err_git(rc, "preparing the quarantine for incoming objects");
	}
	/* The reference is kept: while it lives no other object database can
	 * take this address, so the test above never mistakes another
	 * repository for the one that has the backend. */
	git_odb_free(q->attached);
	q->attached = odb;
	return 0;
}

/* Delete refs under refs/c2c/remotes/FROM/ that the head does not reach
 * (one walk for them all: repo_tips_new). */
static int drop_unmerged_refs(git_repository *repo, const git_oid *head, const char *from, const oid_list *only)
{
	repo_refs refs = {0};
	char prefix[256];
	int err = 0;
	if ((err = ref_remote(prefix, sizeof(prefix), from, "")) < 0 || (err = repo_refs_under(repo, prefix, &refs)) < 0)
		return err;
	size_t k = 0;
	git_oid *tips = calloc(refs.n + 1, sizeof(*tips));
	const char **names = calloc(refs.n + 1, sizeof(*names));
	unsigned char *isnew = calloc(refs.n + 1, 1);
	if (!tips || !names || !isnew)
		err = ERR_OOM();
	for (size_t i = 0; i < refs.n && err == 0; i++)
		if (!only || oid_list_has(only, &refs.v[i].id)) {
			tips[k] = refs.v[i].id;
			names[k++] = refs.v[i].name;
		}
	if (err == 0)
		repo_tips_new(repo, head, tips, k, isnew);
	for (size_t i = 0; i < k && err == 0; i++) {
		git_reference *r = NULL;
		if (isnew[i] && git_reference_lookup(&r, repo, names[i]) == 0)
			git_reference_delete(r);
		git_reference_free(r);
	}
	git_error_clear();
	free(tips);
	free(names);
	free(isnew);
	repo_refs_free(&refs);
	return err;
}

int quarantine_promote(git_repository *repo, const char *gitdir, const git_oid *head, const git_oid *tips,
                       size_t ntips, int all)
{
	char pack[PATH_MAX], dst[PATH_MAX], src[PATH_MAX];
	git_odb *odb = NULL;
	int rc, err;
	if ((err = qpath(gitdir, "/pack", pack, sizeof(pack))) < 0)
		return err;
	if (all) {
		/* Everything passed: the packs move in, .pack before .idx. */
		static const char *const exts[] = {".pack", ".idx"};
		for (int x = 0; x < 2 && err == 0; x++) {
			DIR *d = opendir(pack);
			struct dirent *e;
			/* A directory that cannot be listed (out of memory, out of
			 * descriptors) moves nothing in: that is an error, or the
			 * head would name objects the quarantine's close removes. */
			if (!d && errno != ENOENT)
				err = err_errno(C2C_EIO, pack);
			while (d && err == 0 && (e = readdir(d))) {
				size_t l = strlen(e->d_name), el = strlen(exts[x]);
				if (l <= el || strcmp(e->d_name + l - el, exts[x]))
					continue;
				if (snprintf(src, sizeof(src), "%s/%s", pack, e->d_name) >= (int)sizeof(src) ||
				    snprintf(dst, sizeof(dst), "%s/objects/pack/%s", gitdir, e->d_name) >=
				        (int)sizeof(dst))
					err = err_set(C2C_EINVALID, "%s: path too long", pack);
				else if (rename(src, dst) < 0)
					err = err_errno(C2C_EIO, dst);
			}
			if (d)
				closedir(d);
		}
		/* The new names must survive a power cut before the head that
		 * needs them is recorded. */
		snprintf(dst, sizeof(dst), "%s/objects/pack", gitdir);
		int dfd = err == 0 ? open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (err == 0 && (dfd < 0 || fsync(dfd) < 0))
			err = err_errno(C2C_EIO, dst);
		if (dfd >= 0)
			close(dfd);
		/* A pack per sync that brings something: past git's limit they
		 * are gathered (best effort: on a failure they all stay). */
		size_t gathered = 0;
		if (err == 0 && repo_pack_gather(repo, gitdir, REPO_PACK_GATHER_AT, &gathered) < 0)
			err_clear();
	} else if (ntips) {
		/* Some passed, some were refused: what the good tips reach goes in,
		 * as a pack of its own, each object whole and hashed again on the
		 * way (repo_pack_copy; libgit2's pack builder searched deltas and
		 * indexed its pack again, most of a new node's first sync when one
		 * branch of many was held); the rest stays in quarantine. */
		repo_oids objs = {0};
		size_t commits = 0;
		if ((err = repo_pack_sparse(repo, tips, ntips, head, 1, NULL, repo_oids_add, &objs, &commits)) == 0 &&
		    (rc = git_repository_odb(&odb, repo)) < 0)
			err = err_git(rc, "storing the accepted objects");
		if (err == 0 && objs.n)
			err = repo_pack_copy(repo, NULL, odb, pack, "the quarantine", &objs, NULL, NULL);
		oid_list_free(&objs);
		git_odb_free(odb);
		odb = NULL;
	}
	if (err == 0 && git_repository_odb(&odb, repo) == 0)
		git_odb_refresh(odb);
	git_odb_free(odb);
	return err;
}

int quarantine_close(quarantine *q, git_repository *repo, const char *gitdir, const git_oid *head,
                     const char *from, const oid_list *only)
{
	char pack[PATH_MAX];
	int err;
	if ((err = qpath(gitdir, "/pack", pack, sizeof(pack))) < 0)
		return err;
	empty_dir(pack);
	err = drop_unmerged_refs(repo, head, from, only);
	qunlock(q);
	return err;
}

int quarantine_repair(quarantine *q, git_repository *repo, const char *gitdir, int *dropped)
{
	char pack[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int left = 0, err;
	if (dropped)
		*dropped = 0;
	if ((err = qpath(gitdir, "/pack", pack, sizeof(pack))) < 0)
		return err;
	if (!(d = opendir(pack)))
		return 0;
	while (!left && (e = readdir(d)))
		left = e->d_name[0] != '.';
	closedir(d);
	if (!left || q->locked || (err = qlock(q, gitdir, 0)) <= 0)
		return err; /* nothing left, or a sync is using it */
	if (empty_dir(pack) > 0) {
		drop_dangling_refs(repo);
		if (dropped)
			*dropped = 1;
	}
	qunlock(q);
	return 0;
}

void quarantine_dispose(quarantine *q)
{
	if (!q)
		return;
	qunlock(q);
	git_odb_free(q->attached);
	q->attached = NULL;
}
