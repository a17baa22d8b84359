/* node_internal: what the node's own files share (node.c opens and closes,
 * lock.c holds the node lock, genesis.c creates a node, intent.c runs the
 * write protocol, txn.c and advance.c write). No other module includes it:
 * the node's contract is include/c2c/node.h. */
#ifndef C2C_NODE_INTERNAL_H
#define C2C_NODE_INTERNAL_H

#include "c2c/node.h"

/* The format of network/network.json this c2c writes and reads. */
#define NODE_FORMAT_MAJOR 1
#define NODE_FORMAT_MINOR 0

/* "A/B", malloc'd; NULL when out of memory. */
/* Does DIR/NAME exist? */
int node_file_exists(const char *dir, const char *name);

/* A node struct for DIR with its paths set and nothing open (lockfd -1). */
int node_alloc(c2c_node **out, const char *dir);

/* Take the node lock (DIR/c2c.lock), waiting as node_open does; sets
 * n->lockfd. */
int node_lock_take(c2c_node *n);

/* Finish our own write that a crash interrupted (the intent recorded with
 * the head, the ref still at its old head), or find that the head moved
 * behind the node's back (n->head_moved). n->head is the recorded head. */
int node_recover(c2c_node *n);

#endif
