/* intent: the write protocol across SQLite and git, one function a step
 * (the states and their order are listed once, in include/c2c/node.h), the
 * finishing of a write a crash interrupted, and the refusal to move a head
 * that moved behind the node's back. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/fault.h"
#include "c2c/node_internal.h"

int node_write_begin(c2c_node *n)
{
	int err;
	assert(n->wstate == NODE_WS_NONE);
	if ((err = store_begin(n->st)) < 0)
		return err;
	n->wstate = NODE_WS_OPEN;
	return 0;
}

int node_write_record_intent(c2c_node *n, const git_oid *old, const git_oid *new_)
{
	char hex_old[GIT_OID_HEXSZ + 1] = "-", hex_new[GIT_OID_HEXSZ + 1], pending[2 * GIT_OID_HEXSZ + 2];
	int err;
	assert(n->wstate == NODE_WS_OPEN);
	if (old)
		git_oid_tostr(hex_old, sizeof(hex_old), old);
	git_oid_tostr(hex_new, sizeof(hex_new), new_);
	snprintf(pending, sizeof(pending), "%s %s", hex_old, hex_new);
	if ((err = store_state_set(n->st, "head", hex_new)) < 0 || (err = store_state_set(n->st, "pending", pending)) < 0)
		return err;
	if (old)
		git_oid_cpy(&n->w_old, old);
	else
		memset(&n->w_old, 0, sizeof(n->w_old));
	git_oid_cpy(&n->w_new, new_);
	n->wstate = NODE_WS_RECORDED;
	return 0;
}

int node_write_commit_db(c2c_node *n)
{
	int err;
	assert(n->wstate == NODE_WS_RECORDED);
	if ((err = store_commit(n->st)) < 0)
		return err; /* still RECORDED: the caller rolls back */
	git_oid_cpy(&n->head, &n->w_new);
	n->wstate = NODE_WS_COMMITTED;
	return 0;
}

int node_write_move_ref(c2c_node *n, const char *logmsg)
{
	assert(n->wstate == NODE_WS_COMMITTED);
	int err = repo_move_head(n->repo, git_oid_is_zero(&n->w_old) ? NULL : &n->w_old, &n->w_new, logmsg);
	/* On failure the intent stays: the next open finishes the write. */
	n->wstate = err < 0 ? NODE_WS_NONE : NODE_WS_REF_MOVED;
	return err;
}

int node_write_clear_intent(c2c_node *n)
{
	assert(n->wstate == NODE_WS_REF_MOVED);
	n->wstate = NODE_WS_NONE;
	/* Cleared so that a later move of the ref back to the old head by
	 * another program is not mistaken for our interrupted write. */
	return store_state_set(n->st, "pending", NULL);
}

void node_write_rollback(c2c_node *n)
{
	assert(n->wstate == NODE_WS_NONE || n->wstate == NODE_WS_OPEN || n->wstate == NODE_WS_RECORDED);
	store_rollback(n->st);
	n->wstate = NODE_WS_NONE;
}

void node_write_resume(c2c_node *n, const git_oid *old, const git_oid *new_, int ref_moved)
{
	assert(n->wstate == NODE_WS_NONE);
	if (old)
		git_oid_cpy(&n->w_old, old);
	else
		memset(&n->w_old, 0, sizeof(n->w_old));
	if (new_)
		git_oid_cpy(&n->w_new, new_);
	n->wstate = ref_moved ? NODE_WS_REF_MOVED : NODE_WS_COMMITTED;
}

int node_recover(c2c_node *n)
{
	git_oid ref, old, new_;
	char *pending = NULL;
	int err, has_ref;
	assert(n->wstate == NODE_WS_NONE);
	err = repo_head(n->repo, &ref);
	if (err < 0 && err != C2C_ENOTFOUND)
		return err;
	has_ref = err == 0;
	if (has_ref && git_oid_equal(&ref, &n->head)) {
		/* A crash between the ref and the clearing of the intent. */
		if (store_state_get(n->st, "pending", &pending) == 0) {
			node_write_resume(n, NULL, NULL, 1);
			node_write_clear_intent(n);
		}
		free(pending);
		return 0;
	}
	/* The ref is not where the database says. Our own crash leaves it at the
	 * old head of the recorded intent; anything else is not ours. */
	if (store_state_get(n->st, "pending", &pending) == 0 && strlen(pending) > GIT_OID_HEXSZ &&
	    git_oid_fromstr(&new_, pending + strlen(pending) - GIT_OID_HEXSZ) == 0 && git_oid_equal(&new_, &n->head)) {
		int from_unborn = pending[0] == '-';
		if ((from_unborn && !has_ref) ||
		    (!from_unborn && git_oid_fromstrn(&old, pending, GIT_OID_HEXSZ) == 0 && has_ref &&
		     git_oid_equal(&old, &ref))) {
			repo_clear_stale_locks(n->gitdir);
			node_write_resume(n, from_unborn ? NULL : &old, &new_, 0);
			err = node_write_move_ref(n, "c2c: finish interrupted write");
			free(pending);
			fault_point("recover: ref moved, before the intent is cleared");
			if (err < 0 || (err = node_write_clear_intent(n)) < 0)
				return err;
			n->finished_write = 1;
			git_oid_cpy(&n->finished_head, &new_);
			return 0;
		}
	}
	free(pending);
	n->head_moved = 1;
	return 0;
}

int node_require_head(c2c_node *n, const char *doing)
{
	if (!n->head_moved)
		return 0;
	err_set(C2C_ECONFLICT, "%s: the head moved behind the node's back; refusing to %s", n->gitdir, doing);
	return err_hint("run 'c2c verify', then 'c2c repair'");
}
