/* sync: one sync with a remote, with its retries (include/c2c/sync.h). */
#include "c2c/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/exchange.h"
#include "c2c/fault.h"
#include "c2c/fetch.h"
#include "c2c/incoming.h"
#include "c2c/oidlist.h"
#include "c2c/push.h"
#include "c2c/refs.h"
#include "c2c/registry.h"
#include "c2c/sync_settings.h"
#include "c2c/trust.h"
#include "c2c/repo.h"
#include "c2c/transport.h"

/* Take the node back after network work that ended with ERR, keeping
 * ERR's message (relocking must not overwrite what went wrong). */
static int relock_after(c2c_node *n, int err)
{
	err_state saved;
	if (err == 0)
		return node_relock(n);
	err_save(&saved);
	node_relock(n);
	err_restore(&saved);
	return err;
}

/* One attempt of a sync: the remote, how it reports, its transport. */
typedef struct {
	c2c_node *n;
	const sync_remote *r;
	const sync_options *opts;
	transport *t;
	sync_result *res;
	const sync_settings *set;
} sync_run;

static const c2c_progress *run_progress(const sync_run *s) { return s->opts ? &s->opts->progress : NULL; }

/* Push main to the hub's refs/heads/nodes/<node-id>: c2c's own send-pack
 * over ssh (thin, with deltas), or straight into a hub by path; both find
 * what the hub lacks at the cost of the change (push.h). 0 once the hub
 * holds it; the hub's refusal names the ref and says why. */
static int push(const sync_run *s, git_remote *rm, const oid_list *haves)
{
	c2c_node *n = s->n;
	const char *name = s->r->name;
	sync_result *res = s->res;
	char theirs_ref[256], want[256], rest[200];
	const char *url = git_remote_url(rm);
	push_stats st;
	push_options po = {s->t, {NULL, NULL}, haves};
	git_oid theirs;
	int rc, ssh = !strncmp(url, "ssh://", 6);
	if (run_progress(s))
		po.progress = *run_progress(s);
	snprintf(want, sizeof(want), REF_NODES "%s", n->node_id);
	snprintf(rest, sizeof(rest), "nodes/%s", n->node_id);
	if ((rc = ref_remote(theirs_ref, sizeof(theirs_ref), name, rest)) < 0)
		return rc;
	if (git_reference_name_to_id(&theirs, n->repo, theirs_ref) == 0 && git_oid_equal(&theirs, &n->head)) {
		res->pushed = 0;
		return 0;
	}
	fault_point("sync: before push");
	rc = ssh ? push_thin(n, url, want, &n->head, &po, &st) : push_local(n, url, want, &n->head, &po, &st);
	if (rc < 0) {
		/* The transport's messages name the remote and step already. */
		if (strncmp(err_msg(), name, strlen(name)) || err_msg()[strlen(name)] != ':')
			err_prefix("%s: push: ", name);
		return rc;
	}
	res->thin_push = 1; /* by path too: the hub's own receive-pack (push.h) */
	res->pushed_objects = st.objects;
	res->pushed_deltas = st.deltas;
	fault_point("sync: pushed, before the pushed ref is recorded");
	git_reference *ref = NULL;
	git_reference_create(&ref, n->repo, theirs_ref, &n->head, 1, "c2c sync: pushed");
	git_reference_free(ref);
	res->pushed = 1;
	return 0;
}

/* Whether to try the exchange with remote NAME: not once it answered as
 * a plain git server (exchange_remember_git). */
static int exchange_wanted(c2c_node *n, const char *name, int *yes)
{
	char key[300], *v = NULL;
	int err;
	*yes = 0;
	if ((err = remote_state_key(key, sizeof(key), REMOTE_KEY_PROTOCOL, name)) < 0)
		return err;
	if ((err = store_state_get(n->st, key, &v)) < 0 && err != C2C_ENOTFOUND)
		return err;
	err_clear();
	*yes = !v || strcmp(v, "git") != 0;
	free(v);
	return 0;
}

static int exchange_remember_git(c2c_node *n, const char *name)
{
	char key[300];
	int err = remote_state_key(key, sizeof(key), REMOTE_KEY_PROTOCOL, name);
	return err < 0 ? err : store_state_set(n->st, key, "git");
}

/* After the merge: the push's result, and main pushed again on the same
 * channel when the merge moved it. */
static int exchange_pushed(const sync_run *s, git_remote *rm, exchange_state *x)
{
	c2c_node *n = s->n;
	sync_result *res = s->res;
	int err = 0;
	res->thin_push = 1;
	res->pushed_objects = x->pushed_objects;
	res->pushed_deltas = x->pushed_deltas;
	res->pushed = x->pushed == 1;
	/* A push the hub refused is tried again when the merge moved main:
	 * a node's first commits, signed before the office registered it,
	 * pass once they are merged with the registry that names it (as
	 * git's protocols find: fetch, merge, then push). */
	if ((x->pushed == -1 && x->unpack_failed) || (x->ended && !git_oid_equal(&n->head, &x->head))) {
		/* The hub lacks what the node thought it held (restored from an
		 * older copy?), or the channel is over: git's push finds out
		 * what the hub has. */
		node_unlock(n);
		err = relock_after(n, push(s, rm, NULL));
	} else if (x->pushed == -1 && git_oid_equal(&n->head, &x->head)) {
		err = err_set(C2C_ECONFLICT, "%s: push: the hub refused %s", s->r->name, x->refused);
		push_refusal_hint(n, x->refused);
		return err;
	} else if (!git_oid_equal(&n->head, &x->head)) {
		node_unlock(n);
		err = exchange_push(n, x);
		if (err < 0 && (strncmp(err_msg(), s->r->name, strlen(s->r->name)) || err_msg()[strlen(s->r->name)] != ':'))
			err_prefix("%s: push: ", s->r->name);
		if ((err = relock_after(n, err)) == 0) {
			char own[300], rest[200];
			git_reference *ref = NULL;
			snprintf(rest, sizeof(rest), "nodes/%s", n->node_id);
			if ((err = ref_remote(own, sizeof(own), s->r->name, rest)) == 0)
				git_reference_create(&ref, n->repo, own, &x->head, 1, "c2c sync: pushed");
			git_reference_free(ref);
			res->pushed = 1;
			res->pushed_objects += x->pushed_objects;
		}
	}
	if (err == 0 && git_oid_equal(&n->head, &res->after))
		err = store_state_set(n->st, "unpushed_deletions", NULL);
	return err;
}

static int sync_inner(const sync_run *s)
{
	c2c_node *n = s->n;
	const sync_remote *r = s->r;
	sync_result *res = s->res;
	git_remote *rm = NULL;
	char *gitdir = NULL;
	oid_list arrived = {0}; /* the heads the remote has */
	oid_list moved = {0};   /* by path: those of the refs the fetch set */
	exchange_state x = {0};
	int rc, err, e2, quarantined = 0, local = 0, exch = 0;
	if ((err = remote_target(r->url, &gitdir, &res->is_hub)) < 0)
		goto done;
	/* An anonymous remote, without url.*.insteadOf rewriting: a node's URLs
	 * are its own, and libgit2 1.5.1 leaks the PCRE2 match data of that
	 * lookup on every remote it makes (20 KB per sync in autosync). */
	git_remote_create_options ro;
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = n->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((rc = git_remote_create_with_opts(&rm, gitdir, &ro)) < 0) {
		err = err_git(rc, r->url);
		goto done;
	}
	transport_step(s->t, "fetch");
	/* What comes in waits in quarantine until checked (incoming.h). */
	if ((err = incoming_quarantine_open(n)) < 0)
		goto done;
	quarantined = 1;
	/* The network may be slow or down: other commands may use the node
	 * meanwhile (fetch only adds objects and refs under refs/c2c/). */
	char *root = NULL;
	int want_key = registry_office_key(n, &root) == C2C_ENOTFOUND;
	free(root);
	err_clear();
	local = res->is_hub >= 0; /* by path: a hub or a node's repository here */
	/* By path: were the remote's refs all judged when its last sync ended,
	 * at an ancestor of the head? Then only those this fetch moves are
	 * judged now (REMOTE_KEY_JUDGED). The mark is taken out until this
	 * sync ends whole, whatever the protocol, so a sync cut short leaves
	 * every ref to judge. */
	char judged_key[300], *mark = NULL;
	int judged = 0;
	if ((err = remote_state_key(judged_key, sizeof(judged_key), REMOTE_KEY_JUDGED, r->name)) < 0)
		goto done;
	if (store_state_get(n->st, judged_key, &mark) == 0 && mark) {
		git_oid at;
		if (local && git_oid_fromstr(&at, mark) == 0)
			judged = git_oid_equal(&at, &n->head) || git_graph_descendant_of(n->repo, &n->head, &at) == 1;
		git_error_clear();
		free(mark);
		if ((err = store_state_set(n->st, judged_key, NULL)) < 0)
			goto done;
	}
	err_clear();
	/* A hub over ssh that runs c2c: one request and one answer (exchange.h);
	 * else git's protocols, remembered for the remote. */
	if (!local && !s->set->git_only && (err = exchange_wanted(n, r->name, &exch)) < 0)
		goto done;
	if (exch) {
		x.t = s->t, x.url = r->url, x.name = r->name, x.want_key = want_key, x.progress = run_progress(s);
		if ((err = exchange_prepare(n, &x)) < 0)
			goto done;
		transport_step(s->t, "sync");
		node_unlock(n);
		err = exchange_run(n, &x);
		fault_point("sync: exchanged, node unlocked");
		if ((err = relock_after(n, err)) < 0)
			goto done;
		if (x.unsupported) {
			exch = 0;
			if ((err = exchange_remember_git(n, r->name)) < 0)
				goto done;
			transport_step(s->t, "fetch");
		} else {
			res->is_hub = 1;
			res->exchange = 1;
			res->refs_named = x.refs.n;
			if ((err = exchange_apply(n, &x, &arrived)) < 0)
				goto done;
		}
	}
	if (!exch) {
		node_unlock(n);
		err = local ? fetch_local(n, gitdir, r->name, res->is_hub, want_key, &arrived, &moved, run_progress(s))
		            : fetch_remote(n, rm, r->name, res->is_hub, want_key, s->t, run_progress(s));
	}
	if (!exch) {
		fault_point("sync: fetched into quarantine, node unlocked");
		if ((err = relock_after(n, err)) < 0)
			goto done;
	}
	if (want_key) {
		char *fp = NULL;
		if ((err = registry_take_office_key(n, r->name, &fp)) < 0)
			goto done;
		if (fp) { /* told by the CLI (cli_node_notices) */
			size_t len = strlen(fp) + strlen(r->name) + sizeof(" from ");
			free(n->learnt_office_key);
			if ((n->learnt_office_key = malloc(len)))
				snprintf(n->learnt_office_key, len, "%s from %s", fp, r->name);
			free(fp);
		}
	}
	if ((err = node_require_head(n, "merge")) < 0)
		goto done;
	res->before = n->head;
	if (res->is_hub < 0 && !exch) {
		/* Over ssh: a peer node advertises main, a hub only nodes' branches
		 * (the list stays readable after the fetch). */
		const git_remote_head **heads = NULL;
		size_t nh = 0;
		res->is_hub = 1;
		if (git_remote_ls(&heads, &nh, rm) == 0)
			for (size_t i = 0; i < nh; i++)
				if (!strcmp(heads[i]->name, REF_MAIN))
					res->is_hub = 0;
		if (res->is_hub) {
			char stale[256];
			git_reference *ref = NULL;
			if (ref_remote(stale, sizeof(stale), r->name, "main") == 0 &&
			    git_reference_lookup(&ref, n->repo, stale) == 0)
				git_reference_delete(ref);
			git_reference_free(ref);
		}
	}
	fault_point("sync: fetched");
	{
		/* The heads the remote advertised, which the fetch brought. */
		const git_remote_head **heads = NULL;
		size_t nh = 0;
		if (!local && !exch && (rc = git_remote_ls(&heads, &nh, rm)) < 0)
			err = err_git(rc, "listing the remote's heads");
		for (size_t i = 0; i < nh && err == 0; i++)
			if (res->is_hub ? !strncmp(heads[i]->name, REF_NODES, strlen(REF_NODES))
			                : !strcmp(heads[i]->name, REF_MAIN))
				err = oid_list_add_unique(&arrived, &heads[i]->oid);
		if (err == 0 && judged) {
			err = sync_merge_changed(n, r->name, moved.v, moved.n, run_progress(s), res);
			res->tips = arrived.n; /* the branches fetched, as a sync that judges them all counts them */
		} else if (err == 0) {
			err = exch ? sync_merge_changed(n, r->name, arrived.v, arrived.n, run_progress(s), res)
			           : sync_merge_fetched(n, r->name, arrived.v, arrived.n, run_progress(s), res);
		}
	}
	quarantined = 0;
	if ((e2 = incoming_quarantine_close(n, r->name, judged ? &moved : NULL)) < 0 && err == 0)
		err = e2;
	if (err == 0 && local && !exch) {
		char hex[GIT_OID_HEXSZ + 1];
		err = store_state_set(n->st, judged_key, git_oid_tostr(hex, sizeof(hex), &n->head));
	}
	/* The fetched refs, one per node of the network, into packed-refs:
	 * each sync reads them all, one file where it read a file each. */
	if (err == 0 && (local ? moved.n > 0 : !exch || x.refs.n > 0))
		repo_pack_refs(n->repo);
	if (err < 0)
		goto done;
	res->after = n->head;
	res->pushed = -1;
	transport_step(s->t, "push");
	if (exch) {
		/* What the hub saw is recorded once its commits are merged. */
		char key[300];
		if (x.new_since[0] && ((err = remote_state_key(key, sizeof(key), REMOTE_KEY_SINCE, r->name)) < 0 ||
		                       (err = store_state_set(n->st, key, x.new_since)) < 0))
			goto done;
		err = exchange_pushed(s, rm, &x);
	} else if (res->is_hub) {
		/* main is read once, when the pack is made: a write meanwhile is
		 * pushed by the next sync. */
		node_unlock(n);
		err = relock_after(n, push(s, rm, local ? &arrived : NULL));
		/* The hub holds every deletion made so far: other nodes count
		 * the next ones afresh (node_unpushed_deletions). */
		if (err == 0 && git_oid_equal(&n->head, &res->after))
			err = store_state_set(n->st, "unpushed_deletions", NULL);
	}
done:
	if (quarantined && n->lockfd > 0) {
		/* The fetch failed, or the head moved behind the node's back:
		 * nothing of it was checked, so nothing of it stays. */
		err_state saved;
		err_save(&saved);
		incoming_quarantine_close(n, r->name, NULL);
		err_restore(&saved);
	}
	exchange_close(&x);
	git_remote_free(rm);
	free(gitdir);
	oid_list_free(&arrived);
	oid_list_free(&moved);
	return err;
}

int sync_with(c2c_node *n, const char *name, const sync_options *opts, sync_result *res)
{
	sync_remote r;
	sync_settings set;
	int err;
	memset(res, 0, sizeof(*res));
	res->before = res->after = n->head;
	if ((err = sync_remote_get(n, name, &r)) < 0) /* (libssh2 starts with an ssh session: transport_ssh.c) */
		return err;
	/* Links drop: retry a failed connection with back-off (the first wait
	 * C2C_SYNC_RETRY_WAIT s, 2 by default, then doubled), within
	 * C2C_SYNC_BUDGET s (90) in all. A failure after the merge (in the push) is retried too: the
	 * merge is committed, and the next attempt fetches nothing again; what
	 * the failed attempt applied is kept for the summary. */
	if (opts && opts->settings)
		set = *opts->settings;
	else
		sync_settings_load(&set);
	long long start = (long long)time(NULL), budget = set.budget_s, idle = set.idle_timeout_s;
	long long first_wait = set.retry_wait_s;
	sync_result earlier = {0};
	int carried = 0;
	for (int attempt = 1;; attempt++) {
		sync_run run = {n, &r, opts, NULL, res, &set};
		if ((err = transport_new(&run.t, name, n->dir, r.host_key, &set)) < 0)
			break;
		err = sync_inner(&run);
		transport_free(run.t);
		long long wait = (first_wait > 0 ? first_wait : 1) << (attempt - 1);
		if (err == 0 || (err != C2C_ETIMEOUT && err != C2C_EIO) || strncmp(r.url, "ssh://", 6) ||
		    (long long)time(NULL) - start + wait + idle > budget)
			break;
		if (!carried && !git_oid_equal(&n->head, &res->before)) {
			earlier = *res;
			carried = 1;
		}
		if (opts && opts->retrying)
			opts->retrying(opts->retrying_payload, err_msg(), wait);
		sleep((unsigned)wait);
		memset(res, 0, sizeof(*res));
		res->before = res->after = n->head;
	}
	if (err == 0 && carried) {
		res->before = earlier.before;
		if (!res->merged && !res->fast_forward) {
			res->tips = earlier.tips;
			res->new_tips = earlier.new_tips;
			res->fast_forward = earlier.fast_forward;
			res->merged = earlier.merged;
			res->merge = earlier.merge;
			res->applied = earlier.applied;
			res->held = earlier.held;
		}
	}
	if (err < 0) {
		size_t nl = strlen(name);
		if (strncmp(err_msg(), name, nl) || strncmp(err_msg() + nl, ": ", 2))
			err_prefix("%s: ", name);
		remote_record_result(n, name, 0, err_msg());
	} else {
		char what[256];
		char heldtxt[64] = "";
		if (res->held)
			snprintf(heldtxt, sizeof(heldtxt), ", %zu branch%s held", res->held, res->held == 1 ? "" : "es");
		snprintf(what, sizeof(what), "%s%s, %zu record%s changed, %s%s",
		         res->merged ? "merged" : res->fast_forward ? "fast-forward" : "up to date",
		         res->merge.conflicts ? " with conflicts" : "", res->applied.records, res->applied.records == 1 ? "" : "s",
		         res->pushed == 1 ? "pushed" : res->pushed == 0 ? "nothing to push" : "peer (no push)", heldtxt);
		remote_record_result(n, name, 1, what);
	}
	sync_remote_dispose(&r);
	return err;
}
