/* incoming: checks on every commit from another node (include/c2c/incoming.h):
 * the commit's identity, mass deletions and merges, the batch of what
 * passed, and the walk of a history. */
#include "c2c/incoming_ck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/repo.h"
#include "c2c/store.h"
#include "c2c/util.h"

/* ------------------------------------------------------- one commit */

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

/* The author, the committer and the C2C-Node trailer name the node that
 * signed: a commit cannot pass for another node's. The author may be a
 * person (the configured user); it may not be another node. */
static int check_identity(ck *k)
{
	const git_signature *c = git_commit_committer(k->c), *a = git_commit_author(k->c);
	git_message_trailer_array tr = {0};
	char mail[256];
	int named = 0, err = 0;
	/* libgit2 refuses a commit without them when it parses it; missing now,
	 * they were lost to a failed allocation. */
	if (!c || !a || !c->name || !c->email || !a->name || !a->email || !k->signer)
		return err_set(C2C_ENOMEM, "commit %s: reading its author and committer: out of memory", k->hex);
	snprintf(mail, sizeof(mail), "%s@c2c.invalid", k->signer);
	if (strcmp(c->name, k->signer) || strcmp(c->email, mail))
		return incoming_refuse(k, "its committer is '%s <%s>', not the node that signed it (%s)", c->name,
		                       c->email, k->signer);
	/* A node signs as "NODE <NODE@c2c.invalid>" (a merge's author): that
	 * form, with another NODE, is another node's name. */
	size_t al = strlen(a->email), nl = strlen(a->name), sl = strlen("@c2c.invalid");
	int node_form = al == nl + sl && !strncmp(a->email, a->name, nl) && !strcasecmp(a->email + nl, "@c2c.invalid");
	if ((node_form && strcmp(a->name, k->signer)) || (strcmp(a->name, k->signer) && !strcmp(a->email, mail)))
		return incoming_refuse(k, "its author '%s <%s>' names a node other than the one that signed it (%s)",
		                       a->name, a->email, k->signer);
	if (git_message_trailers(&tr, git_commit_message(k->c)) < 0) {
		git_error_clear();
		return incoming_refuse(k, "its message cannot be read for its trailers");
	}
	for (size_t i = 0; i < tr.count && err == 0; i++)
		if (!strcmp(tr.trailers[i].key, "C2C-Node")) {
			if (named++ || strcmp(tr.trailers[i].value, k->signer))
				err = incoming_refuse(
				    k, "its C2C-Node trailer names %s, not only the node that signed it (%s)",
				    tr.trailers[i].value, k->signer);
		}
	git_message_trailer_array_free(&tr);
	if (err == 0 && !named)
		err = incoming_refuse(k, "it does not name the node that made it (C2C-Node)");
	return err;
}

/* Does the commit confirm its own deletions? Only with the trailer
 * "C2C-Confirm-Delete: CITY COUNT" naming the signer's city and exactly the
 * number of records it deletes. */
static int confirms(ck *k)
{
	git_message_trailer_array tr = {0};
	char want[RECORD_ID_MAX + 32];
	int yes = 0;
	if (!k->city || git_message_trailers(&tr, git_commit_message(k->c)) < 0) {
		git_error_clear();
		return 0;
	}
	snprintf(want, sizeof(want), "%s %zu", k->city, k->deleted);
	for (size_t i = 0; i < tr.count; i++)
		if (!strcmp(tr.trailers[i].key, "C2C-Confirm-Delete"))
			yes = yes ? -1 : !strcmp(tr.trailers[i].value, want) ? 1 : -1;
	git_message_trailer_array_free(&tr);
	return yes == 1;
}

/* Most of a city's records deleted by what one node brings in at once,
 * without the author's word? Counted over all the commits of this check,
 * against the city's record files at the receiver's head. */
static int check_mass_deletion(ck *k)
{
	tally *t = NULL;
	int err;
	if (k->open || !k->city || !k->deleted || confirms(k))
		return 0;
	for (size_t i = 0; i < k->tallies.n && !t; i++)
		if (!strcmp(k->tallies.v[i].city, k->city))
			t = &k->tallies.v[i];
	if (!t) {
		tally z = {0};
		if (ARRAY_PUSH(&k->tallies, z) < 0)
			return C2C_ENOMEM;
		t = &k->tallies.v[k->tallies.n - 1];
		snprintf(t->city, sizeof(t->city), "%s", k->city);
	}
	t->unconfirmed += k->deleted;
	if (t->unconfirmed < INCOMING_MASS_MIN)
		return 0;
	if (!t->counted) {
		int mass;
		git_oid head_tree;
		if ((err = repo_commit_tree(k->cx->repo, &k->cx->head, &head_tree)) < 0 ||
		    (err = incoming_mass_deletion(k->cx->repo, &head_tree, k->city, INCOMING_MASS_MIN, &t->total,
		                                  &mass)) < 0)
			return err;
		t->counted = 1;
	}
	if (t->unconfirmed * 2 > t->total) {
		t->unconfirmed -= k->deleted; /* a commit refused counts for nothing (and is checked again) */
		return incoming_refuse(k,
		              "it deletes %zu of %s's %zu records (%zu with the commits before it from the same node) "
		              "without the author's confirmation",
		              k->deleted, k->city, t->total, t->unconfirmed + k->deleted);
	}
	return 0;
}

/* The join of the parents' trees, recomputed where its objects stay in
 * memory (scratch.h): only the result's id matters, and the joins of an
 * octopus merge's first parents are trees no commit holds. */
static int check_merge(ck *k)
{
	git_oid joined, t;
	mergetree_stats st = {0};
	int err;
	if (!k->b->scratch && (err = repo_scratch_new(&k->b->scratch, k->cx->repo)) < 0)
		return err;
	git_repository *r = repo_scratch_repo(k->b->scratch);
	if ((err = repo_commit_tree(k->cx->repo, git_commit_parent_id(k->c, 0), &joined)) < 0)
		return err;
	for (unsigned i = 1; i < git_commit_parentcount(k->c) && err == 0; i++) {
		if ((err = repo_commit_tree(k->cx->repo, git_commit_parent_id(k->c, i), &t)) < 0)
			break;
		/* Parents that cannot be joined (one dot with two values) are the
		 * sender's fault: the commit is refused and its branch held, never
		 * an error that would stop the sync of every branch (SPEC 7). */
		if ((err = mergetree_join(r, &joined, &t, &joined, &st)) == C2C_ECORRUPT) {
			char why[512];
			snprintf(why, sizeof(why), "%s", err_msg());
			err = incoming_refuse(k, "its parents cannot be joined: %s", why);
		}
	}
	repo_scratch_reset(k->b->scratch);
	if (err < 0)
		return err;
	if (!git_oid_equal(&joined, git_commit_tree_id(k->c)))
		return incoming_refuse(k, "its tree is not the merge of its parents (a change smuggled into a merge)");
	return 0;
}

/* ------------------------------------------------------- passed commits */

static size_t slot(const incoming_batch *b, const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	size_t i = h & (b->cap - 1);
	while (b->v[i].used && !git_oid_equal(&b->v[i].id, id))
		i = (i + 1) & (b->cap - 1);
	return i;
}

/* The bound of the Lamport times commit ID's tree holds: its own if it
 * passed here, else (in the head's history) the node's Lamport time. */
static long long bound_of(const incoming_batch *b, const git_oid *id)
{
	if (b->cap) {
		size_t i = slot(b, id);
		if (b->v[i].used)
			return b->v[i].bound;
	}
	return b->base;
}

static int remember(incoming_batch *b, const git_oid *id, long long bound)
{
	if ((b->n_used + 1) * 2 > b->cap) {
		incoming_batch nb = *b;
		nb.cap = b->cap ? b->cap * 2 : 256;
		nb.n_used = 0;
		if (!(nb.v = calloc(nb.cap, sizeof(*nb.v))))
			return ERR_OOM();
		for (size_t i = 0; i < b->cap; i++)
			if (b->v[i].used) {
				nb.v[slot(&nb, &b->v[i].id)] = b->v[i];
				nb.n_used++;
			}
		free(b->v);
		*b = nb;
	}
	size_t i = slot(b, id);
	if (!b->v[i].used)
		b->n_used++;
	b->v[i].id = *id;
	b->v[i].bound = bound;
	if (bound > b->highest)
		b->highest = bound;
	b->v[i].used = 1;
	return 0;
}

/* The id of network/revocations in the tree of COMMIT (zero if none). */
static int revocations_id(git_repository *r, const git_oid *tree, git_oid *out)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	memset(out, 0, sizeof(*out));
	if (git_tree_lookup(&t, r, tree) < 0) {
		git_error_clear();
		return err_set(C2C_ECORRUPT, "reading a tree for its revocations");
	}
	if (git_tree_entry_bypath(&e, t, "network/revocations") == 0)
		*out = *git_tree_entry_id(e);
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(t);
	return 0;
}

int incoming_batch_new_ctx(incoming_batch **out, const incoming_ctx *cx)
{
	incoming_batch *b = calloc(1, sizeof(*b));
	char *lam = NULL;
	git_commit *head = NULL;
	int err = 0;
	*out = NULL;
	if (!b)
		return ERR_OOM();
	b->repo = cx->repo;
	/* A hub has no database: what its branches hold is not bounded here
	 * (the nodes bound it, each against its own history). */
	b->base = RECORD_CLOCK_MAX;
	if (cx->st && store_state_get(cx->st, "lamport", &lam) == 0 && lam)
		b->base = strtoll(lam, NULL, 10);
	free(lam);
	err_clear();
	if (!git_oid_is_zero(&cx->head) &&
	    (git_commit_lookup(&head, cx->repo, &cx->head) < 0 || git_commit_tree(&b->head_tree, head) < 0))
		err = err_git(-1, "reading the head's tree");
	git_commit_free(head);
	if (err == 0 && b->head_tree) {
		git_oid id;
		if ((err = revocations_id(cx->repo, git_tree_id(b->head_tree), &id)) == 0 && !git_oid_is_zero(&id) &&
		    (err = oid_list_add(&b->seen, &id)) == 0)
			err = registry_revocations_read(cx->repo, git_tree_id(b->head_tree), &b->revs, NULL);
	}
	if (err < 0) {
		incoming_batch_free(b);
		return err;
	}
	*out = b;
	return 0;
}

int incoming_batch_learn(incoming_batch *b, const git_oid *commit, size_t *added)
{
	git_oid tree, id;
	int err;
	*added = 0;
	if ((err = repo_commit_tree(b->repo, commit, &tree)) < 0)
		return err;
	if (b->head_tree && git_oid_equal(&tree, git_tree_id(b->head_tree)))
		return 0;
	/* Most tips hold the revocations another tip (or the head) held:
	 * each set of them is read once. */
	if ((err = revocations_id(b->repo, &tree, &id)) < 0)
		return err;
	if (git_oid_is_zero(&id))
		return 0;
	if (oid_list_has(&b->seen, &id))
		return 0;
	if ((err = oid_list_add(&b->seen, &id)) < 0)
		return err;
	return registry_revocations_read(b->repo, &tree, &b->revs, added);
}

int incoming_batch_add_revocations(incoming_batch *b, const registry_revocations *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const registry_revocation *rv = &l->v[i];
		if (registry_revocations_find(&b->revs, rv->pubkey))
			continue;
		registry_revocation *v = realloc(b->revs.v, (b->revs.n + 1) * sizeof(*v));
		if (!v)
			return ERR_OOM();
		b->revs.v = v;
		registry_revocation *c = &v[b->revs.n];
		memset(c, 0, sizeof(*c));
		c->cut = rv->cut;
		if (!(c->node_id = strdup(rv->node_id)) || !(c->pubkey = strdup(rv->pubkey)) ||
		    (rv->revoked_at && !(c->revoked_at = strdup(rv->revoked_at))) ||
		    (rv->reason && !(c->reason = strdup(rv->reason)))) {
			registry_revocation_clear(c);
			return ERR_OOM();
		}
		b->revs.n++;
	}
	return 0;
}

int incoming_batch_learn_from(incoming_batch *b, const incoming_batch *from)
{
	return incoming_batch_add_revocations(b, &from->revs);
}

void incoming_batch_keep_rows(incoming_batch *b, struct row_cache *rows)
{
	b->rows = rows;
}

void incoming_batch_set_base(incoming_batch *b, long long base)
{
	b->base = base;
}

long long incoming_batch_bound(const incoming_batch *b, const git_oid *commit)
{
	return bound_of(b, commit);
}

void incoming_batch_set_progress(incoming_batch *b, const c2c_progress *p)
{
	b->progress = p;
}

long long incoming_batch_highest(const incoming_batch *b)
{
	return b->highest > b->base ? b->highest : b->base;
}

void incoming_batch_free(incoming_batch *b)
{
	if (!b)
		return;
	free(b->v);
	oid_list_free(&b->walked);
	oid_list_free(&b->beyond);
	git_tree_free(b->head_tree);
	registry_revocations_free(&b->revs);
	oid_list_free(&b->seen);
	incoming_regs_free(b);
	repo_scratch_free(b->scratch);
	free(b);
}

static int check_one(ck *k)
{
	git_commit *p = NULL;
	git_tree *pt = NULL, *ct = NULL;
	int rc, err;
	unsigned np = git_commit_parentcount(k->c);
	k->lamport = -1;
	k->bound = 0;
	for (unsigned i = 0; i < np; i++) {
		long long b = bound_of(k->b, git_commit_parent_id(k->c, i));
		if (b > k->bound)
			k->bound = b;
	}
	if (np == 0)
		return incoming_refuse(k, "it has no parent, and is not the genesis commit");
	if ((err = incoming_check_signer(k)) < 0 || (err = check_identity(k)) < 0)
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
	if (!git_oid_equal(git_tree_id(pt), git_tree_id(ct)) &&
	    (err = incoming_check_raw_tree(k, git_tree_id(ct), "")) < 0)
		goto done;
	if ((err = incoming_check_change(k, pt, ct)) == 0)
		err = check_mass_deletion(k);
done:
	git_tree_free(pt);
	git_tree_free(ct);
	git_commit_free(p);
	return err;
}

/* A refusal holds a branch until the node that made it mends it, so it
 * must come from the commit, never from this run: the same commit checked
 * again is refused by the same rule. Libraries report some failed
 * allocations as bad input (a signature that "does not match", a commit
 * with "no parent", a message that "cannot be read"), so a refusal is
 * checked once more; an answer that differs is this node's trouble, an
 * error that holds nothing, as a failed allocation is. */
static int check_one_twice(ck *k)
{
	int err = check_one(k);
	if (err != C2C_EINVALID)
		return err;
	err_state first;
	err_save(&first);
	free(k->signer);
	free(k->city);
	free(k->key);
	k->signer = k->city = k->key = NULL;
	k->open = 0;
	int again = check_one(k);
	if (again == C2C_EINVALID && !strcmp(err_msg(), first.msg))
		return err_restore(&first);
	err_set(C2C_EFAIL,
	        "%s: commit %s: checked twice, refused and then %s: this node ran short of memory or cannot "
	        "read its repository; nothing of it was merged",
	        k->from, k->hex, again == 0 ? "passed" : "failed otherwise");
	return err_hint("sync again; if this recurs, run 'c2c verify'");
}

/* The walk's hide callback: a commit the head holds (when the batch knows
 * its tips: incoming_batch_tips), or one that passed under a tip that
 * passed whole, is not walked, nor anything below it. Hiding each such
 * tip instead made every walk read the histories of all of them: a first
 * sync of a thousand branches read a thousand commits per branch. */
static int walked_whole(const git_oid *id, void *payload)
{
	const incoming_batch *b = payload;
	if (b->has_beyond && !oid_list_has(&b->beyond, id))
		return 1; /* the head holds it */
	if (!b->cap)
		return 0;
	size_t i = slot(b, id);
	return b->v[i].used && b->v[i].whole;
}

void incoming_batch_tips(incoming_batch *b, const git_oid *head, const git_oid *tips, size_t n)
{
	oid_list_clear(&b->beyond);
	b->has_beyond = !git_oid_is_zero(head) && repo_commits_beyond(b->repo, head, 1, tips, n, 0, &b->beyond) == 0;
	if (!b->has_beyond)
		oid_list_clear(&b->beyond); /* what a failed walk left */
	err_clear();
	git_error_clear();
}

int incoming_check_ctx(const incoming_ctx *cx, incoming_batch *batch, const char *from, const git_oid *tip)
{
	git_revwalk *w = NULL;
	git_oid id;
	incoming_batch *own = NULL;
	ck k;
	int rc, err = 0;
	memset(&k, 0, sizeof(k));
	k.cx = cx;
	k.root = cx->root;
	k.from = from;
	if (!batch) {
		if ((err = incoming_batch_new_ctx(&own, cx)) < 0)
			return err;
		batch = own;
	}
	k.b = batch;
	git_commit *tc = NULL;
	if (git_commit_lookup(&tc, cx->repo, tip) == 0)
		git_commit_tree(&k.tip_tree, tc);
	git_commit_free(tc);
	if ((rc = git_revwalk_new(&w, cx->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(w, tip)) < 0 ||
	    /* the head's history, by the batch's list when it has one: hiding
	     * the head made each walk read back through the head's history as
	     * far as the tip's date (the office's thousand registrations, for
	     * each of a thousand branches) */
	    (!batch->has_beyond && (rc = git_revwalk_hide(w, &cx->head)) < 0) ||
	    (rc = git_revwalk_add_hide_cb(w, walked_whole, batch)) < 0) {
		err = err_git(rc, "walking the incoming commits");
		goto done;
	}
	/* What passed for another branch of this batch is not checked again
	 * (walked_whole). */
	int tip_only = 0;
	oid_list_clear(&batch->walked);
	while (err == 0 && (rc = git_revwalk_next(&id, w)) == 0) {
		git_oid_tostr(k.hex, sizeof(k.hex), &id);
		if ((rc = git_commit_lookup(&k.c, cx->repo, &id)) < 0) {
			err = err_git(rc, k.hex);
			break;
		}
		k.tip_registry = 0;
		err = check_one_twice(&k);
		tip_only |= k.tip_registry;
		if (err == 0)
			err = remember(batch, &id, k.lamport > k.bound ? k.lamport : k.bound);
		if (err == 0)
			err = oid_list_add(&batch->walked, &id);
		git_commit_free(k.c);
		k.c = NULL;
		free(k.signer);
		free(k.city);
		free(k.key);
		k.signer = k.city = k.key = NULL;
		k.open = 0;
	}
	if (err == 0 && rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "walking the incoming commits");
	/* A commit that passed only by this tip's registry is judged again
	 * with each tip: only a tip without one is hidden from the next walks. */
	if (err == 0 && !tip_only)
		for (size_t i = 0; i < batch->walked.n; i++)
			batch->v[slot(batch, &batch->walked.v[i])].whole = 1;
done:
	free(k.key);
	ARRAY_FREE(&k.tallies);
	git_tree_free(k.tip_tree);
	git_revwalk_free(w);
	incoming_batch_free(own);
	return err;
}
