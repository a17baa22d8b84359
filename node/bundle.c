#include "c2c/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/incoming.h"
#include "c2c/oidlist.h"
#include "c2c/refs.h"
#include "c2c/remote.h"
#include "c2c/util.h"

#define BUNDLE_SIGNATURE "# v2 git bundle\n"

/* ------------------------------------------------------------------ create */

/* The commits the receiver is known to hold: the tips under
 * refs/c2c/remotes/NAME/, or SINCE. */
static int known_held(c2c_node *n, const char *for_name, const char *since, oid_list *out)
{
	int rc, err = 0;
	if (since) {
		git_object *o = NULL;
		if (git_revparse_single(&o, n->repo, since) < 0 || git_object_type(o) != GIT_OBJECT_COMMIT) {
			git_object_free(o);
			return err_set(C2C_ENOTFOUND, "'%s' is not a commit of this node", since);
		}
		err = oid_list_add_unique(out, git_object_id(o));
		git_object_free(o);
		return err;
	}
	if (!for_name)
		return 0;
	git_strarray refs = {0};
	char prefix[256];
	if ((err = ref_remote(prefix, sizeof(prefix), for_name, "")) < 0)
		return err;
	if ((rc = git_reference_list(&refs, n->repo)) < 0)
		return err_git(rc, "listing refs");
	for (size_t i = 0; i < refs.count && err == 0; i++) {
		git_oid id;
		git_commit *c = NULL;
		if (strncmp(refs.strings[i], prefix, strlen(prefix)) ||
		    git_reference_name_to_id(&id, n->repo, refs.strings[i]) < 0)
			continue;
		if (git_commit_lookup(&c, n->repo, &id) == 0)
			err = oid_list_add_unique(out, &id);
		git_commit_free(c);
	}
	git_strarray_dispose(&refs);
	if (err == 0 && out->n == 0) {
		err_set(C2C_ENOTFOUND, "nothing is known of what '%s' holds", for_name);
		return err_hint("'--for NAME' needs a remote synced at least once, or bundles from NAME applied with "
		                "'c2c bundle apply FILE --from NAME'; without --for the bundle holds everything");
	}
	return err;
}

static int walk_new(git_revwalk **out, c2c_node *n, const oid_list *held)
{
	int rc;
	if ((rc = git_revwalk_new(out, n->repo)) < 0 || (rc = git_revwalk_push(*out, &n->head)) < 0)
		return err_git(rc, "walking the history");
	for (size_t i = 0; i < held->n; i++)
		if ((rc = git_revwalk_hide(*out, &held->v[i])) < 0)
			return err_git(rc, "walking the history");
	return 0;
}

int bundle_create(c2c_node *n, const char *path, const char *for_name, const char *since, bundle_info *info)
{
	oid_list held = {0}, commits = {0}, prereq = {0};
	git_revwalk *walk = NULL;
	git_packbuilder *pb = NULL;
	git_buf pack = {0};
	char tmp[PATH_MAX];
	int rc, err, fd = -1;
	git_oid id;
	memset(info, 0, sizeof(*info));
	tmp[0] = 0;
	if ((err = known_held(n, for_name, since, &held)) < 0)
		goto done;
	/* The commits to send, and the prerequisites: their parents that are
	 * not sent (the receiver's boundary), as git bundle lists them. */
	if ((err = walk_new(&walk, n, &held)) < 0)
		goto done;
	while ((rc = git_revwalk_next(&id, walk)) == 0)
		if ((err = oid_list_add_unique(&commits, &id)) < 0)
			goto done;
	if (rc != GIT_ITEROVER) {
		err = err_git(rc, "walking the history");
		goto done;
	}
	git_revwalk_free(walk);
	walk = NULL;
	if (commits.n == 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &n->head);
		err = err_set(C2C_EINVALID, "nothing to bundle: %s already holds main (%.12s)",
		              for_name ? for_name : since, hex);
		goto done;
	}
	for (size_t i = 0; i < commits.n; i++) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, n->repo, &commits.v[i])) < 0) {
			err = err_git(rc, "reading a commit");
			goto done;
		}
		for (unsigned p = 0; p < git_commit_parentcount(c) && err == 0; p++)
			if (!oid_list_has(&commits, git_commit_parent_id(c, p)))
				err = oid_list_add_unique(&prereq, git_commit_parent_id(c, p));
		git_commit_free(c);
		if (err < 0)
			goto done;
	}
	/* The pack: what the walk reaches, less what the held commits' trees
	 * already hold (not thin: every object whole). */
	if ((err = walk_new(&walk, n, &held)) < 0)
		goto done;
	if ((rc = git_packbuilder_new(&pb, n->repo)) < 0 || (rc = git_packbuilder_insert_walk(pb, walk)) < 0 ||
	    (rc = git_packbuilder_write_buf(&pack, pb)) < 0) {
		err = err_git(rc, "building the pack");
		goto done;
	}
	/* The file: the header, then the pack. */
	char hex[GIT_OID_HEXSZ + 1], line[GIT_OID_HEXSZ + 256];
	unsigned long long size = 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		err = err_errno(C2C_EIO, path);
		tmp[0] = 0;
		goto done;
	}
	if ((err = write_all(fd, BUNDLE_SIGNATURE, strlen(BUNDLE_SIGNATURE), path)) < 0)
		goto done;
	size += strlen(BUNDLE_SIGNATURE);
	for (size_t i = 0; i < prereq.n; i++) {
		git_commit *c = NULL;
		const char *subject = "";
		git_oid_tostr(hex, sizeof(hex), &prereq.v[i]);
		if (git_commit_lookup(&c, n->repo, &prereq.v[i]) == 0 && git_commit_summary(c))
			subject = git_commit_summary(c);
		snprintf(line, sizeof(line), "-%s %.200s", hex, subject);
		git_commit_free(c);
		for (char *p = line; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		strcat(line, "\n");
		if ((err = write_all(fd, line, strlen(line), path)) < 0)
			goto done;
		size += strlen(line);
	}
	git_oid_tostr(hex, sizeof(hex), &n->head);
	char refs[2 * GIT_OID_HEXSZ + 64];
	snprintf(refs, sizeof(refs), "%s HEAD\n%s refs/heads/main\n\n", hex, hex);
	if ((err = write_all(fd, refs, strlen(refs), path)) < 0 || (err = write_all(fd, pack.ptr, pack.size, path)) < 0)
		goto done;
	if (fsync(fd) < 0)
		goto write_failed;
	size += strlen(refs) + pack.size;
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	tmp[0] = 0;
	/* The new name survives a power cut (as write_file_atomic's). */
	if ((err = fsync_parent_dir(path)) < 0)
		goto done;
	info->tip = n->head;
	info->prerequisites = prereq.n;
	info->commits = commits.n;
	info->objects = git_packbuilder_object_count(pb);
	info->bytes = size;
	goto done;
write_failed:
	err = err_errno(C2C_EIO, path);
done:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	git_buf_dispose(&pack);
	oid_list_free(&held);
	oid_list_free(&commits);
	oid_list_free(&prereq);
	return err;
}

/* ------------------------------------------------------------------- apply */

static int parse_hex(const char *s, git_oid *out)
{
	for (int i = 0; i < GIT_OID_HEXSZ; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return -1;
	return git_oid_fromstrn(out, s, GIT_OID_HEXSZ);
}

/* Remove the quarantine directory DIR and what is in it (files, and the
 * pack/ directory's files). */
static void remove_tree(const char *dir)
{
	char p[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
				continue;
			if (unlink(p) < 0)
				remove_tree(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

typedef struct {
	git_repository *repo;
	git_odb *odb; /* the repository's, the quarantine among its alternates */
	const char *path;
	int err;
} links_state;

/* Every object the pack holds must parse, and everything it points to must
 * be in the pack or already in the repository. */
static int check_object_links(const git_oid *id, void *payload)
{
	links_state *s = payload;
	git_object *o = NULL;
	const git_oid *missing = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	if (git_object_lookup(&o, s->repo, id, GIT_OBJECT_ANY) < 0) {
		git_oid_tostr(hex, sizeof(hex), id);
		s->err = err_set(C2C_ECORRUPT, "%s: object %s in the bundle is malformed (%s)", s->path, hex,
		                 git_error_last() ? git_error_last()->message : "unreadable");
		return -1;
	}
	switch (git_object_type(o)) {
	case GIT_OBJECT_COMMIT: {
		const git_commit *c = (const git_commit *)o;
		if (!git_odb_exists(s->odb, git_commit_tree_id(c)))
			missing = git_commit_tree_id(c);
		for (unsigned i = 0; !missing && i < git_commit_parentcount(c); i++)
			if (!git_odb_exists(s->odb, git_commit_parent_id(c, i)))
				missing = git_commit_parent_id(c, i);
		break;
	}
	case GIT_OBJECT_TREE: {
		const git_tree *t = (const git_tree *)o;
		for (size_t i = 0; !missing && i < git_tree_entrycount(t); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(t, i);
			if (git_tree_entry_type(e) != GIT_OBJECT_COMMIT && !git_odb_exists(s->odb, git_tree_entry_id(e)))
				missing = git_tree_entry_id(e);
		}
		break;
	}
	case GIT_OBJECT_TAG:
		if (!git_odb_exists(s->odb, git_tag_target_id((const git_tag *)o)))
			missing = git_tag_target_id((const git_tag *)o);
		break;
	default:
		break;
	}
	if (missing) {
		char hex2[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), id);
		git_oid_tostr(hex2, sizeof(hex2), missing);
		s->err = err_set(C2C_ECORRUPT, "%s: object %s in the bundle points to %s, which neither it nor this node "
		                               "holds", s->path, hex, hex2);
	}
	git_object_free(o);
	return missing ? -1 : 0;
}

static int check_links(c2c_node *n, const char *qdir, git_odb *odb, const char *path)
{
	git_odb *q = NULL;
	links_state s = {n->repo, odb, path, 0};
	int rc;
	if ((rc = git_odb_new(&q)) < 0 || (rc = git_odb_add_disk_alternate(q, qdir)) < 0) {
		git_odb_free(q);
		return err_git(rc, "reading the quarantine");
	}
	rc = git_odb_foreach(q, check_object_links, &s);
	git_odb_free(q);
	if (s.err < 0)
		return s.err;
	return rc < 0 ? err_git(rc, "reading the quarantine") : 0;
}

int bundle_apply(c2c_node *n, const char *path, const char *from, sync_result *res, bundle_info *info)
{
	char *buf = NULL, qdir[PATH_MAX], qpack[PATH_MAX], ref[320], name[64];
	size_t len = 0, off, nprereq = 0;
	git_oid tip, prereq, genesis, old_ref;
	oid_list missing = {0};
	git_indexer *idx = NULL;
	git_odb *odb = NULL;
	git_indexer_progress st = {0};
	int rc, err, have_tip = 0, had_ref = 0, quarantined = 0;
	memset(res, 0, sizeof(*res));
	memset(info, 0, sizeof(*info));
	res->before = res->after = n->head;
	res->pushed = -1;
	qdir[0] = qpack[0] = 0;
	if ((err = node_require_head(n, "merge")) < 0)
		return err;
	if ((rc = git_repository_odb(&odb, n->repo)) < 0)
		return err_git(rc, "opening the object database");
	if ((err = read_file(path, SIZE_MAX / 2, &buf, &len)) < 0)
		goto done;
	info->bytes = len;
	if (len < strlen(BUNDLE_SIGNATURE) || memcmp(buf, BUNDLE_SIGNATURE, strlen(BUNDLE_SIGNATURE))) {
		err = err_set(C2C_EINVALID, "%s is not a git bundle (version 2)", path);
		err_hint("a bundle starts with the line '# v2 git bundle'; 'c2c bundle create FILE' makes one");
		goto done;
	}
	/* The header: prerequisites and refs, up to an empty line. */
	off = strlen(BUNDLE_SIGNATURE);
	for (;;) {
		char *eol = memchr(buf + off, '\n', len - off);
		if (!eol) {
			err = err_set(C2C_ECORRUPT, "%s: the bundle's header is cut short", path);
			goto done;
		}
		size_t l = (size_t)(eol - (buf + off));
		const char *line = buf + off;
		off += l + 1;
		if (l == 0)
			break;
		if (line[0] == '-') {
			if (l < 1 + GIT_OID_HEXSZ || parse_hex(line + 1, &prereq) < 0) {
				err = err_set(C2C_ECORRUPT, "%s: a bad prerequisite line in the header", path);
				goto done;
			}
			nprereq++;
			if (!git_odb_exists(odb, &prereq) &&
			    (err = oid_list_add_unique(&missing, &prereq)) < 0)
				goto done;
			continue;
		}
		git_oid id;
		if (l < GIT_OID_HEXSZ + 2 || parse_hex(line, &id) < 0 || line[GIT_OID_HEXSZ] != ' ') {
			err = err_set(C2C_ECORRUPT, "%s: a bad line in the bundle's header", path);
			goto done;
		}
		const char *rn = line + GIT_OID_HEXSZ + 1;
		size_t rl = l - GIT_OID_HEXSZ - 1;
		if ((rl == 15 && !memcmp(rn, "refs/heads/main", 15)) || (!have_tip && rl == 4 && !memcmp(rn, "HEAD", 4))) {
			tip = id;
			have_tip = 1;
		}
	}
	info->prerequisites = nprereq;
	if (!have_tip) {
		err = err_set(C2C_EINVALID, "%s: the bundle carries no main branch", path);
		err_hint("make bundles with 'c2c bundle create FILE' on a c2c node");
		goto done;
	}
	info->tip = tip;
	if (missing.n) {
		char list[1024] = "";
		size_t k = 0;
		for (size_t i = 0; i < missing.n && k + 50 < sizeof(list); i++) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &missing.v[i]);
			k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? ", " : "", hex);
		}
		err = err_set(C2C_ENOTFOUND, "%s: this node lacks %zu commit%s the bundle builds on: %s", path, missing.n,
		              missing.n == 1 ? "" : "s", list);
		err_hint("apply the bundles made before it first, or ask for one made with 'c2c bundle create FILE' "
		         "(everything) or '--for NAME' from what this node has sent");
		goto done;
	}
	if (len - off < 12 || memcmp(buf + off, "PACK", 4)) {
		err = err_set(C2C_ECORRUPT, "%s: no pack after the bundle's header (the file is cut short or damaged)", path);
		goto done;
	}
	/* Quarantine: the pack is indexed, every object hashed and the pack's
	 * checksum checked, into a directory of its own. Its links are checked
	 * below (libgit2 1.5.1's own verify leaks every object the node
	 * already holds). */
	git_indexer_options io;
	git_indexer_options_init(&io, GIT_INDEXER_OPTIONS_VERSION);
	if (snprintf(qdir, sizeof(qdir), "%s/objects/incoming-bundle-XXXXXX", n->gitdir) >= (int)sizeof(qdir) - 64) {
		qdir[0] = 0;
		err = err_set(C2C_EINVALID, "%s: the path is too long", n->gitdir);
		goto done;
	}
	if (!mkdtemp(qdir)) {
		err = err_errno(C2C_EIO, "making a quarantine directory");
		qdir[0] = 0;
		goto done;
	}
	if (snprintf(qpack, sizeof(qpack), "%s/pack", qdir) >= (int)sizeof(qpack) || mkdir(qpack, 0755) < 0) {
		err = err_errno(C2C_EIO, "making a quarantine directory");
		goto done;
	}
	err_clear();
	if ((rc = git_indexer_new(&idx, qpack, 0, NULL, &io)) < 0 ||
	    (rc = git_indexer_append(idx, buf + off, len - off, &st)) < 0 || (rc = git_indexer_commit(idx, &st)) < 0) {
		const git_error *e = git_error_last();
		err = err_set(C2C_ECORRUPT, "%s: the bundle's pack is damaged or cut short (%s)", path,
		              e && e->message ? e->message : "indexing failed");
		err_hint("nothing was changed; ask for the bundle again");
		goto done;
	}
	info->objects = st.indexed_objects;
	snprintf(qpack, sizeof(qpack), "pack-%s", git_indexer_name(idx));
	/* The tip must be a commit (in the pack or already here) with history
	 * in common with the node's: the quarantine is read as an alternate
	 * of the repository's objects, in this process only. */
	{
		git_commit *c = NULL;
		if ((rc = git_odb_add_disk_alternate(odb, qdir)) < 0) {
			err = err_git(rc, "reading the quarantine");
			goto done;
		}
		if ((err = check_links(n, qdir, odb, path)) < 0)
			goto done;
		if (git_commit_lookup(&c, n->repo, &tip) < 0) {
			err = err_set(C2C_EINVALID, "%s: the bundle's main is not a commit it or this node holds", path);
			goto done;
		}
		git_commit_free(c);
	}
	/* Every c2c history starts at the same genesis commit: a bundle with
	 * no history in common with this node's is not one of ours. */
	if (git_merge_base(&genesis, n->repo, &tip, &n->head) < 0) {
		err = err_set(C2C_EINVALID, "%s: the bundle's main shares no history with this node (not a c2c network's "
		                            "history)", path);
		goto done;
	}
	/* A sound pack: it waits in the node's quarantine for the checks on
	 * its commits, as a fetched pack does (incoming.h), the index last. */
	if ((err = incoming_quarantine_open(n)) < 0)
		goto done;
	quarantined = 1;
	{
		char src[PATH_MAX], dst[PATH_MAX];
		const char *ext[] = {".pack", ".idx"};
		for (int i = 0; i < 2; i++) {
			if (snprintf(src, sizeof(src), "%s/pack/%s%s", qdir, qpack, ext[i]) >= (int)sizeof(src) ||
			    snprintf(dst, sizeof(dst), "%s/objects/c2c-incoming/pack/%s%s", n->gitdir, qpack, ext[i]) >=
			        (int)sizeof(dst) ||
			    rename(src, dst) < 0) {
				err = err_errno(C2C_EIO, "moving the bundle's pack into the quarantine");
				goto done;
			}
		}
		git_odb_refresh(odb);
	}
	/* Merge it as a sync merges what it fetched. */
	snprintf(name, sizeof(name), "%s", from ? from : "bundle");
	if ((err = ref_remote(ref, sizeof(ref), name, "main")) < 0)
		goto done;
	/* A ref of NAME's moves here: its next sync by path judges them all. */
	char judged[300];
	if ((err = remote_state_key(judged, sizeof(judged), REMOTE_KEY_JUDGED, name)) < 0 ||
	    (err = store_state_set(n->st, judged, NULL)) < 0)
		goto done;
	had_ref = git_reference_name_to_id(&old_ref, n->repo, ref) == 0;
	{
		git_reference *r = NULL;
		if ((rc = git_reference_create(&r, n->repo, ref, &tip, 1, "c2c bundle apply")) < 0) {
			err = err_git(rc, ref);
			goto done;
		}
		git_reference_free(r);
	}
	if ((err = sync_merge_fetched(n, name, &tip, 1, NULL, res)) < 0 || res->held) {
		/* Leave the record of what NAME holds as it was. */
		git_reference *r = NULL;
		if (had_ref)
			git_reference_create(&r, n->repo, ref, &old_ref, 1, "c2c bundle apply: undone");
		else if (git_reference_lookup(&r, n->repo, ref) == 0)
			git_reference_delete(r);
		git_reference_free(r);
		if (err < 0)
			goto done;
	}
	res->after = n->head;
done:
	if (quarantined) {
		/* What passed is in repo.git now; the rest goes. */
		err_state saved;
		err_save(&saved);
		int e2 = incoming_quarantine_close(n, from ? from : "bundle", NULL);
		if (err == 0)
			err = e2;
		else
			err_restore(&saved);
	}
	git_indexer_free(idx);
	git_odb_free(odb);
	if (qdir[0])
		remove_tree(qdir);
	oid_list_free(&missing);
	free(buf);
	return err;
}
