/* trust: what writes the registry (SPEC 7), above the write path.
 *
 * The registry itself (registry.h) only reads: who is registered, the
 * revocations, the root. What changes it is here: the office's key kept in
 * c2c_state, the "nodes", "revocations" and "roots" records the office
 * commits (node_txn, write_add), and the root's hand-overs followed. The
 * names keep their registry_ prefix: they are the registry's operations. */
#ifndef C2C_TRUST_H
#define C2C_TRUST_H

#include <git2.h>

#include "c2c/node.h"
#include "c2c/registry.h"

/* Keep LINE as the root key this node trusts (c2c_state "office_key"). */
int registry_set_office_key(c2c_node *n, const char *line);

/* Register NODE_ID (CITY NULL: not a city's) with ROLE and key LINE in one
 * commit. Office only; an id already registered is C2C_EINVALID. */
int registry_add(c2c_node *n, const char *node_id, const char *city, const char *role, const char *line);

/* A node without a root key learns the one the hub REMOTE publishes
 * (refs/c2c/office-key, fetched as refs/c2c/remotes/REMOTE/office-key):
 * keeps it; *learnt is its fingerprint (malloc'd), for the caller to tell
 * the user ("c2c: learnt the office's key FP from REMOTE, and kept it").
 * Nothing (*learnt NULL) if the hub has none. */
int registry_take_office_key(c2c_node *n, const char *remote, char **learnt);

/* Revoke NODE_ID (office only) in one commit: its commits up to KEEP_UNTIL
 * (NULL: its newest commit in this node's history, or genesis if none)
 * stay valid. KEEP_UNTIL must be in the head's history. The root key and
 * this node itself cannot be revoked (hand the root over first). *cut: the
 * cut chosen. */
int registry_revoke(c2c_node *n, const char *node_id, const char *reason, const char *keep_until, git_oid *cut);

/* The root hands itself over to the registered office node NODE_ID by a
 * record of table "roots" that it signs; this node follows it at once. */
int registry_handover(c2c_node *n, const char *node_id);
/* Follow the hand-overs from the root this node trusts; *to (may be NULL)
 * the new root's fingerprint if it moved, else NULL (malloc'd). */
int registry_follow_root(c2c_node *n, char **to);

/* The store's answers for the writers above (store_registry.c): node
 * NODE_ID's public key and role (ROLE may be NULL), and the key the root
 * PREVIOUS was handed over to; C2C_ENOTFOUND when there is none. */
int store_node_key(store *st, const char *node_id, char **pubkey, char **role);
int store_root_next(store *st, const char *previous, char **next);

#endif
