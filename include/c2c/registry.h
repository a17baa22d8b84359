/* registry: who may write what (SPEC 7).
 *
 * The office's key is the root of trust; a node keeps it in c2c_state
 * ("office_key", a line "ssh-ed25519 BASE64"). The office registers each
 * node's key and city as a record of table "nodes" (network/nodes/...),
 * whose id is the node id: {"city": SLUG or absent, "role": "city" |
 * "office" | "hub", "pubkey": "ssh-ed25519 BASE64"}. The office registers
 * itself at init. Lookups read the registry as it stands in SQLite at the
 * node's head: nodes are registered, never moved between cities, so the
 * head's registry also names the signers of older commits. */
#ifndef C2C_REGISTRY_H
#define C2C_REGISTRY_H

#include <jansson.h>

#include "c2c/node.h"

/* Read a public key file (one line "ssh-ed25519 BASE64 [comment]"); *line
 * is "ssh-ed25519 BASE64", malloc'd. The error names FILE. */
int registry_read_key_file(const char *file, char **line);

/* The root key this node trusts (C2C_ENOTFOUND if none yet). */
int registry_office_key(c2c_node *n, char **line);
int registry_set_office_key(c2c_node *n, const char *line);

/* Register NODE_ID (CITY NULL: not a city's) with ROLE and key LINE in one
 * commit. Office only; an id already registered is C2C_EINVALID. */
int registry_add(c2c_node *n, const char *node_id, const char *city, const char *role, const char *line);

/* A node without a root key learns the one the hub REMOTE publishes
 * (refs/c2c/office-key, fetched as refs/c2c/remotes/REMOTE/office-key):
 * keeps it and prints its fingerprint. Nothing if the hub has none. */
int registry_learn_office_key(c2c_node *n, const char *remote);

/* The registered node whose key is LINE: *node_id and *city (NULL for the
 * office) malloc'd. C2C_ENOTFOUND if the key is not registered. */
int registry_find(c2c_node *n, const char *line, char **node_id, char **city);

/* Every registered node, by id: [{"node_id", "city", "role", "pubkey"}]. */
int registry_list(c2c_node *n, json_t **out);

/* The genesis commit: the same on every node (t010 pins it), and unsigned. */
#define C2C_GENESIS "2e8e231569a755f4e01942e477a9f3b55f75581e"

/* The signature of COMMIT, as git's %G? letters: */
enum {
	SIG_NONE = 'N',    /* unsigned (genesis is) */
	SIG_GOOD = 'G',    /* a valid signature by a registered node */
	SIG_UNKNOWN = 'U', /* a valid signature by a key the registry lacks */
	SIG_BAD = 'B'      /* a signature that does not check */
};
/* *status is one of SIG_*; *signer the registered node id (SIG_GOOD) or the
 * key's fingerprint (SIG_UNKNOWN), else NULL; malloc'd. *why, for SIG_BAD,
 * says what is wrong (malloc'd). Errors only for a commit that cannot be read. */
int registry_commit_signer(c2c_node *n, const git_oid *commit, int *status, char **signer, char **why);

#endif
