/* hub: the hooks that check what is pushed to a hub (include/c2c/hub.h:
 * hub_check_update, hub_check_pre_receive). */
#include "c2c/hub_int.h"

#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/canon.h"
#include "c2c/incoming.h"
#include "c2c/nodeid.h"
#include "c2c/record.h"
#include "c2c/repo.h"
#include "c2c/util.h"

/* -------------------------------------------------------------- update */

static int parse_oid(git_oid *out, const char *hex)
{
	return strlen(hex) == GIT_OID_HEXSZ && git_oid_fromstr(out, hex) == 0 ? 0 : -1;
}

int hub_check_update(const char *gitdir, const char *node_id, const char *refname, const char *old_hex,
                     const char *new_hex)
{
	static const git_oid zero;
	git_repository *r = NULL;
	git_commit *c = NULL;
	git_oid old_id, new_id;
	const size_t pn = strlen(NODES_PREFIX);
	int rc, err = 0;
	if (parse_oid(&old_id, old_hex) < 0 || parse_oid(&new_id, new_hex) < 0)
		return err_set(C2C_EINVALID, "update hook: '%s' and '%s' are not object ids", old_hex, new_hex);
	if (node_id && *node_id) {
		if (!nodeid_valid(node_id))
			return err_set(C2C_EAUTH, "C2C_HUB_NODE '%s' is not a node id", node_id);
		if (strncmp(refname, NODES_PREFIX, pn) || strcmp(refname + pn, node_id)) {
			err_set(C2C_EAUTH, "node %s may only push " NODES_PREFIX "%s, not %s", node_id, node_id,
			        refname);
			return err_hint("a node pushes its main to " NODES_PREFIX
			                "<its node id>; 'c2c sync' does that");
		}
	} else if (strncmp(refname, NODES_PREFIX, pn) || !nodeid_valid(refname + pn)) {
		err_set(C2C_EAUTH, "only " NODES_PREFIX "<node-id> may be pushed to a hub, not %s", refname);
		return err_hint("a node pushes its main to " NODES_PREFIX "<its node id>; 'c2c sync' does that");
	}
	if (!git_oid_cmp(&new_id, &zero)) {
		err_set(C2C_EAUTH, "deleting %s is refused: a hub keeps every node's history", refname);
		return err_hint("a hub's branches are never deleted");
	}
	if ((err = repo_global_init()) < 0)
		return err;
	/* As git's environment says, so that a push's quarantined objects are
	 * seen. */
	if ((rc = git_repository_open_ext(&r, gitdir, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0) {
		err = err_git(rc, gitdir);
		goto done;
	}
	if (git_commit_lookup(&c, r, &new_id) < 0) {
		err = err_set(C2C_EAUTH, "%s: %.12s is not a commit", refname, new_hex);
		goto done;
	}
	if (!git_oid_cmp(&old_id, &zero) || !git_oid_cmp(&old_id, &new_id))
		goto done;
	if ((rc = git_graph_descendant_of(r, &new_id, &old_id)) < 0) {
		err = err_git(rc, "checking a fast-forward");
	} else if (rc == 0) {
		err_set(C2C_EAUTH, "%s: %.12s is not a fast-forward of %.12s", refname, new_hex, old_hex);
		err = err_hint("fetch from the hub, merge, and push again ('c2c sync' does that)");
	}
done:
	git_commit_free(c);
	git_repository_free(r);
	return err;
}

/* ------------------------------------------------------------ pre-receive */

/* The highest Lamport time in the records under TREE (a hub's first push
 * after an upgrade reads its branches once this way; then c2c-lamport
 * keeps it). */
static int tree_max_lamport(git_repository *r, const git_oid *tree, long long *max)
{
	git_tree *t = NULL;
	int rc = git_tree_lookup(&t, r, tree), err = 0;
	if (rc < 0)
		return err_git(rc, "reading a tree");
	for (size_t i = 0; i < git_tree_entrycount(t) && err == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			err = tree_max_lamport(r, git_tree_entry_id(e), max);
		} else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			git_blob *b = NULL;
			if (git_blob_lookup(&b, r, git_tree_entry_id(e)) < 0) {
				err = err_git(-1, "reading a record");
				break;
			}
			json_t *rec;
			if ((err = canon_load(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), &rec)) < 0) {
				git_blob_free(b);
				break;
			}
			long long l = rec ? record_max_lamport(rec) : 0;
			if (l > *max)
				*max = l;
			json_decref(rec);
			git_blob_free(b);
		}
	}
	git_tree_free(t);
	return err;
}

/* The bound of the Lamport times the hub's branches hold (incoming.h, I5):
 * GITDIR/c2c-lamport, read under its lock (held until *FD is closed), or
 * found from the branches' trees when the file is new. */
static int hub_lamport_read(git_repository *r, const char *gitdir, int *fd, long long *out)
{
	char path[PATH_MAX], buf[32];
	*out = 1; /* genesis: every node starts at Lamport time 1 */
	if (snprintf(path, sizeof(path), "%sc2c-lamport", gitdir) >= (int)sizeof(path))
		return err_set(C2C_EINVALID, "%s: path too long", gitdir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return err_errno(C2C_EIO, path);
	if (flock(*fd, LOCK_EX) < 0)
		return err_errno(C2C_EIO, path);
	ssize_t k = pread(*fd, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = '\0';
		if (strtoll(buf, NULL, 10) > *out)
			*out = strtoll(buf, NULL, 10);
		return 0;
	}
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc, err = 0;
	if ((rc = git_reference_iterator_glob_new(&it, r, NODES_PREFIX "*")) < 0)
		return err_git(rc, "listing the hub's branches");
	while (err == 0 && git_reference_next(&ref, it) == 0) {
		git_commit *c = NULL;
		if (git_reference_target(ref) && git_commit_lookup(&c, r, git_reference_target(ref)) == 0)
			err = tree_max_lamport(r, git_commit_tree_id(c), out);
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_error_clear();
	return err;
}

static int hub_lamport_write(int fd, long long v)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lld\n", v);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len || fsync(fd) < 0)
		return err_errno(C2C_EIO, "c2c-lamport");
	return 0;
}

int hub_check_pre_receive(const char *gitdir, FILE *in)
{
	static const git_oid zero;
	incoming_ctx cx;
	char line[1024], *key = NULL, *keyfile = NULL;
	int rc, err = 0, lfd = -1;
	long long base = 0, highest = 0;
	memset(&cx, 0, sizeof(cx));
	if ((err = repo_global_init()) < 0)
		return err;
	/* git's environment names the quarantine of the pushed objects. */
	if ((rc = git_repository_open_ext(&cx.repo, gitdir, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0)
		return err_git(rc, gitdir);
	const char *gd = git_repository_path(cx.repo);
	if (!(keyfile = hub_xprintf("%sc2c-office.pub", gd))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((err = registry_read_key_file(keyfile, &key)) < 0)
		goto done;
	/* The schema (record types), in memory: a hub has no database of its
	 * own. */
	cx.root = key;
	if ((err = store_open(&cx.st, ":memory:", 1, 0)) < 0)
		goto done;
	/* The Lamport times its branches hold bound what a push may add (I5),
	 * as a node's own Lamport time does: read once, under a lock held
	 * through the checks, so that two pushes never lower it. */
	if ((err = hub_lamport_read(cx.repo, gd, &lfd, &base)) < 0)
		goto done;
	highest = base;
	/* The pushed refs, read first: a revocation that one of them brings
	 * counts for all (I9), and they are judged again when one does. */
	struct pushed {
		git_oid old_id, new_id;
		char ref[400];
	};
	ARRAY(struct pushed) pushed = {0};
	while (err == 0 && fgets(line, sizeof(line), in)) {
		char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
		struct pushed p;
		if (sscanf(line, "%40s %40s %399s", old_hex, new_hex, p.ref) != 3 ||
		    parse_oid(&p.old_id, old_hex) < 0 || parse_oid(&p.new_id, new_hex) < 0) {
			err = err_set(C2C_EINVALID, "pre-receive: cannot read '%s'", line);
			break;
		}
		if (!git_oid_cmp(&p.new_id, &zero))
			continue; /* a delete: the update hook refuses it */
		if ((err = ARRAY_PUSH(&pushed, p)) < 0)
			break;
	}
	struct pushed *v = pushed.v;
	size_t nv = pushed.n;
	/* The revocations the hub holds: those of every branch's tip. */
	incoming_batch *known = NULL;
	registry_revocations held = {0};
	if (err == 0)
		err = incoming_batch_new_ctx(&known, &cx);
	if (err == 0 && (err = hub_registry(cx.repo, NULL, &held)) == 0)
		err = incoming_batch_add_revocations(known, &held);
	registry_revocations_free(&held);
	for (int round = 0; err == 0 && round < 8; round++) {
		highest = base;
		for (size_t i = 0; err == 0 && i < nv; i++) {
			char from[512];
			/* Check what this push adds beyond the branch (or, for a new
			 * branch, beyond genesis). */
			if (git_oid_cmp(&v[i].old_id, &zero))
				cx.head = v[i].old_id;
			else if ((rc = git_oid_fromstr(&cx.head, C2C_GENESIS)) < 0)
				err = err_git(rc, "genesis");
			snprintf(from, sizeof(from), "push to %s", v[i].ref);
			incoming_batch *b = NULL;
			if (err == 0 && (err = incoming_batch_new_ctx(&b, &cx)) == 0 &&
			    (err = incoming_batch_learn_from(b, known)) == 0) {
				incoming_batch_set_base(b, base);
				if ((err = incoming_check_ctx(&cx, b, from, &v[i].new_id)) == 0 &&
				    incoming_batch_highest(b) > highest)
					highest = incoming_batch_highest(b);
			}
			incoming_batch_free(b);
		}
		size_t learnt = 0, added;
		for (size_t i = 0; err == 0 && i < nv; i++)
			if ((err = incoming_batch_learn(known, &v[i].new_id, &added)) == 0)
				learnt += added;
		if (!learnt)
			break;
	}
	incoming_batch_free(known);
	ARRAY_FREE(&pushed);
	/* What passed raises the bound for the next push. */
	if (err == 0 && highest > base)
		err = hub_lamport_write(lfd, highest);
	/* What the pusher sees: a new node that pushes before the office has
	 * registered it must be told what to do, whatever its client. */
	if (err < 0 && strstr(err_msg(), "which the office has not registered"))
		err_hint(
		    "the office has not registered the node that signed it: that node must send its node id and its "
		    "public key (keys/id_ed25519.pub in its directory) to the office, which runs 'c2c node add' and "
		    "syncs with this hub; the node's next sync then pushes");
done:
	if (lfd >= 0)
		close(lfd);
	free(key);
	free(keyfile);
	store_close(cx.st);
	git_repository_free(cx.repo);
	return err;
}
