/* incoming: the checks and the quarantine as a node uses them
 * (include/c2c/incoming.h, quarantine.h). */
#include "c2c/incoming.h"

#include <stdlib.h>

#include "c2c/err.h"
#include "c2c/quarantine.h"

/* The receiver as node N sees it; *root (the office key, NULL if none
 * yet) is the caller's to free. */
static int node_ctx(c2c_node *n, incoming_ctx *cx, char **root)
{
	int err;
	*root = NULL;
	cx->repo = n->repo;
	cx->head = n->head;
	cx->st = n->st;
	cx->root = NULL;
	if ((err = registry_office_key(n, root)) < 0 && err != C2C_ENOTFOUND)
		return err;
	cx->root = *root;
	return 0;
}

int incoming_batch_new(incoming_batch **out, c2c_node *n)
{
	incoming_ctx cx = {n->repo, n->head, NULL, n->st};
	return incoming_batch_new_ctx(out, &cx);
}

int incoming_check(c2c_node *n, incoming_batch *batch, const char *from, const git_oid *tip)
{
	incoming_ctx cx;
	char *root = NULL;
	int err = node_ctx(n, &cx, &root);
	if (err == 0)
		err = incoming_check_ctx(&cx, batch, from, tip);
	free(root);
	return err;
}

int incoming_quarantine_open(c2c_node *n)
{
	return quarantine_open(&n->quarantine, n->repo, n->gitdir);
}

int incoming_quarantine_promote(c2c_node *n, const git_oid *tips, size_t ntips, int all)
{
	return quarantine_promote(n->repo, n->gitdir, &n->head, tips, ntips, all);
}

int incoming_quarantine_close(c2c_node *n, const char *from, const oid_list *only)
{
	return quarantine_close(&n->quarantine, n->repo, n->gitdir, &n->head, from, only);
}
