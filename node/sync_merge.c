/* sync_merge: judge the branches a sync or a bundle brought, and join
 * those that pass into the head (sync_merge_fetched, include/c2c/sync.h). */
#include "c2c/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/fault.h"
#include "c2c/incoming.h"
#include "c2c/oidlist.h"
#include "c2c/record.h"
#include "c2c/refs.h"
#include "c2c/registry.h"
#include "c2c/trust.h"
#include "c2c/repo.h"
#include "c2c/rowimage.h"
#include "c2c/scratch.h"
#include "c2c/util.h"

/* The bytes of row images a sync keeps from its checks for the head's move
 * (rowimage.h); past it, rows are made from their blobs. */
#define SYNC_ROWS_BUDGET ((size_t)256 << 20)

/* A remote branch fetched into refs/c2c/remotes/NAME/: BRANCH is the part
 * after that ("nodes/<id>", "main"), or NULL for a head the remote
 * advertised that no listed ref holds. */
typedef struct {
	char *branch;
	git_oid tip;
	int held;
} branch;

typedef ARRAY(branch) branches;

static void branches_free(branches *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].branch);
	ARRAY_FREE(b);
}

static int branches_add(branches *b, const char *name, const git_oid *tip)
{
	for (size_t i = 0; i < b->n; i++)
		if (git_oid_equal(&b->v[i].tip, tip) && (!name || (b->v[i].branch && !strcmp(b->v[i].branch, name))))
			return 0;
	branch x = {name ? strdup(name) : NULL, *tip, 0};
	if (name && !x.branch)
		return ERR_OOM();
	if (ARRAY_PUSH(b, x) < 0) {
		free(x.branch);
		return C2C_ENOMEM;
	}
	return 0;
}

static int tip_in(const git_oid *v, size_t n, const git_oid *id)
{
	for (size_t i = 0; i < n; i++)
		if (git_oid_equal(&v[i], id))
			return 1;
	return 0;
}

/* The branches fetched from NAME whose tips hold commits the head lacks
 * (with ONLY, among those whose tips are in ARRIVED). */
static int fetched_branches(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived, int only,
                            sync_result *res, branches *out)
{
	repo_refs refs = {0};
	char prefix[256];
	int err = 0;
	if ((err = ref_remote(prefix, sizeof(prefix), name, "")) < 0 || (err = repo_refs_under(n->repo, prefix, &refs)) < 0)
		return err;
	size_t pl = strlen(prefix), k = 0;
	/* The tips to judge, in order: the listed branches, then the heads
	 * the remote advertised (name NULL). */
	git_oid *tips = calloc(refs.n + narrived + 1, sizeof(*tips));
	const char **names = calloc(refs.n + narrived + 1, sizeof(*names));
	unsigned char *isnew = calloc(refs.n + narrived + 1, 1);
	if (!tips || !names || !isnew)
		err = ERR_OOM();
	for (size_t i = 0; i < refs.n + narrived && err == 0; i++) {
		if (i >= refs.n) {
			tips[k] = arrived[i - refs.n];
			names[k++] = NULL;
			continue;
		}
		tips[k] = refs.v[i].id;
		if (only && !tip_in(arrived, narrived, &tips[k]))
			continue; /* unchanged since it was judged */
		res->tips++;
		names[k++] = refs.v[i].name + pl;
	}
	if (err == 0)
		repo_tips_new(n->repo, &n->head, tips, k, isnew);
	for (size_t i = 0; i < k && err == 0; i++) {
		if (!isnew[i])
			continue;
		if (!names[i]) { /* an advertised head: named if a listed branch has it */
			int known = 0;
			for (size_t j = 0; j < out->n && !known; j++)
				known = git_oid_equal(&out->v[j].tip, &tips[i]);
			if (known)
				continue;
		}
		err = branches_add(out, names[i], &tips[i]);
	}
	if (res->tips < narrived)
		res->tips = narrived;
	free(tips);
	free(names);
	free(isnew);
	repo_refs_free(&refs);
	return err;
}

/* The tips of the branches not held, reduced to those no other holds, by
 * id: one walk from the tips' parents, beyond the head, reaches every tip
 * that another holds; when it fails, pair by pair. */
static int candidates(c2c_node *n, const branches *b, oid_list *out)
{
	oid_list below = {0};
	int err = 0, walked;
	oid_list_clear(out);
	for (size_t i = 0; i < b->n && err == 0; i++)
		if (!b->v[i].held)
			err = oid_list_add(out, &b->v[i].tip);
	if (err < 0)
		return err;
	walked = repo_commits_beyond(n->repo, &n->head, 1, out->v, out->n, 1, &below) == 0;
	err_clear();
	git_error_clear();
	oid_list_clear(out);
	for (size_t i = 0; i < b->n && err == 0; i++) {
		int inside = b->v[i].held;
		if (!inside && walked)
			inside = oid_list_has(&below, &b->v[i].tip);
		for (size_t j = 0; j < b->n && !inside && !walked; j++)
			inside = !b->v[j].held && !git_oid_equal(&b->v[j].tip, &b->v[i].tip) &&
			         git_graph_descendant_of(n->repo, &b->v[j].tip, &b->v[i].tip) == 1;
		if (!inside)
			err = oid_list_add_unique(out, &b->v[i].tip);
	}
	oid_list_free(&below);
	oid_list_sort(out);
	return err;
}

/* Hold branch B: nothing of it is merged; HELD gets what to show. The
 * error message (incoming.c's "FROM: commit ID refused: RULE", or a merge's)
 * says why. */
static int hold(c2c_node *n, branch *b, json_t *held)
{
	char tip[GIT_OID_HEXSZ + 1], commit[GIT_OID_HEXSZ + 1], node[128] = "", release[512];
	const char *msg = err_msg(), *rule = msg, *p;
	char *city = NULL;
	json_t *o = NULL;
	int err = 0;
	b->held = 1;
	git_oid_tostr(tip, sizeof(tip), &b->tip);
	snprintf(commit, sizeof(commit), "%s", tip);
	if ((p = strstr(msg, ": commit ")) && strlen(p) > 9 + GIT_OID_HEXSZ && !strncmp(p + 9 + GIT_OID_HEXSZ, " refused: ", 10)) {
		snprintf(commit, sizeof(commit), "%.40s", p + 9);
		rule = p + 9 + GIT_OID_HEXSZ + 10;
	}
	if (b->branch && !strncmp(b->branch, "nodes/", 6))
		snprintf(node, sizeof(node), "%s", b->branch + 6);
	else {
		/* A peer's main: the node that made the refused commit, as it says. */
		git_commit *c = NULL;
		git_oid id;
		if (git_oid_fromstr(&id, commit) == 0 && git_commit_lookup(&c, n->repo, &id) == 0 &&
		    git_commit_committer(c) && git_commit_committer(c)->name)
			snprintf(node, sizeof(node), "%s", git_commit_committer(c)->name);
		git_commit_free(c);
		git_error_clear();
	}
	const table_def *t = store_table(n->st, "nodes");
	json_t *rec = NULL;
	if (node[0] && t && store_row_get(n->st, t, node, &rec) == 0)
		city = json_string_value(json_object_get(rec, "city")) ? strdup(json_string_value(json_object_get(rec, "city")))
		                                                        : NULL;
	json_decref(rec);
	err_clear();
	if (strstr(rule, "which the office has not registered"))
		snprintf(release, sizeof(release),
		         "it waits for the office to register %s ('c2c node add' on the office's node); every sync tries it "
		         "again",
		         node[0] ? node : "its node");
	else if (strstr(rule, "whose key the office revoked"))
		snprintf(release, sizeof(release),
		         "nothing: the office revoked %s's key, and what it signed after the cut is never accepted (its city "
		         "carries on from a new node)",
		         node[0] ? node : "its node");
	else
		snprintf(release, sizeof(release),
		         "%s must mend its history (or the office revoke its key); every sync tries it again",
		         node[0] ? node : "the node that made it");
	o = json_pack("{s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s}", "branch", b->branch, "node", node[0] ? node : NULL, "city",
	              city, "tip", tip, "commit", commit, "rule", rule, "release", release);
	if (!o || json_array_append_new(held, o) < 0)
		err = ERR_OOM();
	free(city);
	return err;
}

static int merge_commit(c2c_node *n, const char *name, const oid_list *tips, git_oid *tree, git_oid *out)
{
	git_commit **parents = calloc(tips->n + 1, sizeof(*parents));
	git_tree *t = NULL;
	git_signature *sig = NULL;
	char msg[512], cname[128], cmail[160];
	int rc, err = 0;
	size_t k = 0;
	CHECK_ALLOC(parents);
	if ((rc = git_commit_lookup(&parents[k++], n->repo, &n->head)) < 0)
		goto fail;
	for (size_t i = 0; i < tips->n; i++)
		if ((rc = git_commit_lookup(&parents[k++], n->repo, &tips->v[i])) < 0)
			goto fail;
	snprintf(cname, sizeof(cname), "%s", n->node_id);
	snprintf(cmail, sizeof(cmail), "%s@c2c.invalid", n->node_id);
	snprintf(msg, sizeof(msg), "sync with %s: join %zu branch%s\n\nC2C-Node: %s\nC2C-Merge: join-1\n", name, tips->n,
	         tips->n == 1 ? "" : "es", n->node_id);
	const keys_signer *signer = NULL;
	if ((rc = git_tree_lookup(&t, n->repo, tree)) < 0 ||
	    (rc = git_signature_new(&sig, cname, cmail, (git_time_t)time(NULL), 0)) < 0)
		goto fail;
	if ((err = node_signer(n, &signer)) == 0)
		err = repo_commit_write(n->repo, signer, sig, sig, msg, t, k, (const git_commit **)parents, out);
	goto done;
fail:
	err = err_git(rc, "making the merge commit");
done:
	for (size_t i = 0; i < k; i++)
		git_commit_free(parents[i]);
	free(parents);
	git_tree_free(t);
	git_signature_free(sig);
	return err;
}

/* One round of sync_merge_fetched. */
typedef struct {
	c2c_node *n;
	const char *name;         /* the remote */
	const git_oid *arrived;   /* the tips the caller brought */
	size_t narrived;
	sync_result *res;
	int only;                 /* the arrived tips are all that changed */
	json_t *held;             /* the branches held in this round */
	int moved;                /* the head moved */
	const c2c_progress *progress;
} merge_ctx;

/* Judge each branch fetched from M's remote on its own and merge those
 * that pass (SPEC 7: no node can stop another). A branch whose new commits
 * fail a check, or whose tip cannot join the others (two versions of one
 * edit), is held: added to M->held, nothing of it merged. */
static int merge_round(merge_ctx *m)
{
	c2c_node *n = m->n;
	const char *name = m->name;
	sync_result *res = m->res;
	json_t *held = m->held;
	branches br = {0};
	oid_list tips = {0};
	incoming_batch *batch = NULL;
	repo_scratch *scr = NULL;
	row_cache *rows = NULL;
	git_oid joined, head_tree, target;
	int err, ff = 0;
	size_t nheld = 0;
	m->moved = 0;
	res->tips = 0;
	/* The rows of the records the checks parse, kept for the head's move
	 * (a first sync's: each blob parsed once). */
	if ((err = fetched_branches(n, name, m->arrived, m->narrived, m->only, res, &br)) < 0 ||
	    (err = row_cache_new(&rows, SYNC_ROWS_BUDGET)) < 0 || (err = incoming_batch_new(&batch, n)) < 0)
		goto done;
	incoming_batch_keep_rows(batch, rows);
	incoming_batch_set_progress(batch, m->progress);
	/* Every incoming commit is checked before anything is merged. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t learnt = 0, added;
		oid_list all = {0};
		for (size_t i = 0; i < br.n && err == 0; i++)
			if (!br.v[i].held)
				err = oid_list_add(&all, &br.v[i].tip);
		if (err == 0)
			incoming_batch_tips(batch, &n->head, all.v, all.n);
		oid_list_free(&all);
		if (err < 0)
			goto done;
		for (size_t i = 0; i < br.n; i++) {
			if (br.v[i].held)
				continue;
			int e = incoming_check(n, batch, name, &br.v[i].tip);
			if (e == C2C_EINVALID || e == C2C_EAUTH) {
				if ((err = hold(n, &br.v[i], held)) < 0)
					goto done;
				nheld++;
			} else if (e < 0) {
				err = e;
				goto done;
			}
		}
		/* A revocation that passed with this sync (I9) counts for every
		 * branch of it: what passed before it is judged again. */
		for (size_t i = 0; i < br.n; i++)
			if (!br.v[i].held) {
				if ((err = incoming_batch_learn(batch, &br.v[i].tip, &added)) < 0)
					goto done;
				learnt += added;
			}
		if (!learnt)
			break;
		incoming_batch *again = NULL;
		if ((err = incoming_batch_new(&again, n)) < 0 || (err = incoming_batch_learn_from(again, batch)) < 0) {
			incoming_batch_free(again);
			goto done;
		}
		incoming_batch_free(batch);
		batch = again;
		incoming_batch_keep_rows(batch, rows);
		incoming_batch_set_progress(batch, m->progress);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->check_ms += (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* The tips that passed, joined; one that cannot join (a dot with two
	 * values, from two branches each fine alone) is held in turn. */
	if ((err = repo_commit_tree(n->repo, &n->head, &head_tree)) < 0)
		goto done;
	for (;;) {
		if ((err = candidates(n, &br, &tips)) < 0)
			goto done;
		/* A tip that holds the head holds the join of both: no trees to
		 * open (the join of a record with a later version of itself is
		 * that version). */
		ff = tips.n == 1 && git_graph_descendant_of(n->repo, &tips.v[0], &n->head) == 1;
		joined = head_tree;
		memset(&res->merge, 0, sizeof(res->merge));
		size_t bad = tips.n;
		for (size_t i = 0; i < tips.n && !ff && bad == tips.n; i++) {
			git_oid t;
			if ((err = repo_commit_tree(n->repo, &tips.v[i], &t)) < 0)
				goto done;
			/* joined in memory: only the last join's new trees are written */
			if (!scr && (err = repo_scratch_new(&scr, n->repo)) < 0)
				goto done;
			if ((err = mergetree_join(repo_scratch_repo(scr), &joined, &t, &joined, &res->merge)) == C2C_ECORRUPT)
				bad = i;
			else if (err < 0)
				goto done;
		}
		if (bad == tips.n)
			break;
		char why[768];
		snprintf(why, sizeof(why), "%s", err_msg());
		for (size_t j = 0; j < br.n; j++)
			if (!br.v[j].held && git_oid_equal(&br.v[j].tip, &tips.v[bad])) {
				char hex[GIT_OID_HEXSZ + 1];
				err_set(C2C_EINVALID, "%s: commit %s refused: it cannot join this node's history: %s", name,
				        git_oid_tostr(hex, sizeof(hex), &tips.v[bad]), why);
				if ((err = hold(n, &br.v[j], held)) < 0)
					goto done;
				nheld++;
			}
	}
	res->new_tips = tips.n;
	/* What passed enters repo.git before anything refers to it. */
	if ((err = incoming_quarantine_promote(n, tips.v, tips.n, nheld == 0)) < 0)
		goto done;
	fault_point("sync: checked, accepted from quarantine");
	if (tips.n) {
		if (ff) {
			target = tips.v[0];
			res->fast_forward = 1;
		} else if (git_oid_equal(&joined, &head_tree)) {
			target = n->head; /* we hold it all already */
		} else {
			if ((err = repo_scratch_keep(scr, n->repo, &joined)) < 0 ||
			    (err = merge_commit(n, name, &tips, &joined, &target)) < 0)
				goto done;
			res->merged = 1;
		}
		fault_point("sync: merged, before the head moves");
		if (!git_oid_equal(&target, &n->head)) {
			if ((err = node_advance_rows(n, &target, res->merged ? "c2c sync: merge" : "c2c sync: fast-forward",
			                             &res->applied, rows, m->progress)) < 0)
				goto done;
			m->moved = 1;
			/* The node's Lamport time covers the whole history it now
			 * holds, as the incoming checks bound it (I5). */
			long long bound = 0, have = 0;
			char *lam = NULL;
			for (size_t i = 0; i < tips.n; i++)
				if (incoming_batch_bound(batch, &tips.v[i]) > bound)
					bound = incoming_batch_bound(batch, &tips.v[i]);
			if (store_state_get(n->st, "lamport", &lam) == 0 && lam)
				have = strtoll(lam, NULL, 10);
			free(lam);
			err_clear();
			if (bound > have && bound <= RECORD_CLOCK_MAX) {
				char num[32];
				snprintf(num, sizeof(num), "%lld", bound);
				if ((err = store_state_set(n->st, "lamport", num)) < 0)
					goto done;
			}
		}
	}
done:
	repo_scratch_free(scr);
	incoming_batch_free(batch);
	row_cache_free(rows);
	branches_free(&br);
	oid_list_free(&tips);
	return err;
}

static int merge_fetched(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived, int only,
                         const c2c_progress *progress, sync_result *res)
{
	merge_ctx m = {n, name, arrived, narrived, res, only, NULL, 0, progress};
	int err = 0;
	/* A second round when something was held and something merged: a node
	 * registered by an office commit merged in the first round is known in
	 * the second. */
	for (int round = 0; round < 2; round++) {
		json_decref(m.held);
		if (!(m.held = json_array()))
			return ERR_OOM();
		if ((err = merge_round(&m)) < 0)
			goto done;
		if (!json_array_size(m.held) || !m.moved)
			break;
	}
	res->held = json_array_size(m.held);
	err = store_held_replace(n->st, name, m.held, (long long)time(NULL));
	/* A hand-over of the root that arrived: this node trusts the new root. */
	if (err == 0) {
		char *fp = NULL;
		if ((err = registry_follow_root(n, &fp)) == 0 && fp)
			snprintf(res->root_to, sizeof(res->root_to), "%s", fp);
		free(fp);
	}
done:
	json_decref(m.held);
	return err;
}

int sync_merge_fetched(c2c_node *n, const char *name, const git_oid *arrived, size_t narrived,
                       const c2c_progress *progress, sync_result *res)
{
	return merge_fetched(n, name, arrived, narrived, 0, progress, res);
}

int sync_merge_changed(c2c_node *n, const char *name, const git_oid *changed, size_t nchanged,
                       const c2c_progress *progress, sync_result *res)
{
	return merge_fetched(n, name, changed, nchanged, 1, progress, res);
}
