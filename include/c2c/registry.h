/* registry: who may write what (SPEC 7).
 *
 * The office's key is the root of trust; a node keeps it in c2c_state
 * ("office_key", a line "ssh-ed25519 BASE64"). The office registers each
 * node's key and city as a record of table "nodes" (network/nodes/...),
 * whose id is the node id: {"city": SLUG or absent, "role": "city" |
 * "office" | "hub", "pubkey": "ssh-ed25519 BASE64"}. The office registers
 * itself at init. Lookups read the registry as it stands in SQLite at the
 * node's head: nodes are registered, never moved between cities, so the
 * head's registry also names the signers of older commits.
 *
 * This module only reads (the node's database, trees, key files): what
 * writes the registry (registering, revoking, handing the root over,
 * keeping the office's key) is trust.h, above the write path. It uses of
 * a node only its repository, database, head and directory. */
#ifndef C2C_REGISTRY_H
#define C2C_REGISTRY_H

#include <git2.h>
#include <jansson.h>

#include "c2c/node.h"
#include "c2c/store.h"

/* Read a public key file (one line "ssh-ed25519 BASE64 [comment]"); *line
 * is "ssh-ed25519 BASE64", malloc'd. The error names FILE. */
int registry_read_key_file(const char *file, char **line);

/* The root key this node trusts (C2C_ENOTFOUND if none yet). */
int registry_office_key(c2c_node *n, char **line);

/* The registered node whose key is LINE: *node_id, *city (NULL for an
 * office node) and *role (ROLE may be NULL) malloc'd. C2C_ENOTFOUND if the
 * key is not registered. */
int registry_find(c2c_node *n, const char *line, char **node_id, char **city, char **role);
/* The same in the registry of the database ST. */
int registry_find_in(store *st, const char *line, char **node_id, char **city, char **role);

/* Every registered node, by id: [{"node_id", "city", "role", "pubkey"}],
 * with "revoked_at" and "keep_until" for a revoked one. */
int registry_list(c2c_node *n, json_t **out);

/* Call FN for each record file of the network table TABLE in the tree
 * TREE (network/TABLE/<a>/<b>/<id>.json): ID, its text and length, and
 * PAYLOAD. A nonzero return of FN stops the walk and is returned. A
 * subtree or file that cannot be read is C2C_ECORRUPT with STRICT, else
 * skipped; no such table is no record. */
typedef int (*registry_record_fn)(const char *id, const char *text, size_t len, void *payload);
int registry_tree_records(git_repository *r, const git_oid *tree, const char *table, int strict,
                          registry_record_fn fn, void *payload);

/* Add to the object INTO the nodes registered in the tree TREE (a commit's
 * root tree), keyed by node id: {"role", "city", "pubkey"}; ids INTO holds
 * already are kept. Deleted entries are skipped. */
int registry_tree_nodes(git_repository *r, const git_oid *tree, json_t *into);

/* ------------------------------------------------------------ revocations
 * A revoked key (network/revocations/, schema 11): every commit it signs
 * outside the history of CUT is refused, by every node and hub. */
typedef struct {
	char *node_id, *pubkey, *revoked_at, *reason;
	git_oid cut; /* the last commit of the node that stays valid */
} registry_revocation;
typedef struct {
	registry_revocation *v;
	size_t n;
} registry_revocations;

/* Add to L the revocations recorded in the tree TREE (a commit's root
 * tree); those L already holds are skipped. *added (may be NULL): how many
 * were new. A record that cannot be read is C2C_ECORRUPT. */
int registry_revocations_read(git_repository *r, const git_oid *tree, registry_revocations *l, size_t *added);
void registry_revocations_free(registry_revocations *l);
/* The revocation of key LINE in L, or NULL. */
const registry_revocation *registry_revocations_find(const registry_revocations *l, const char *line);
/* Whether COMMIT is within the revocation's cut (the cut or one of its
 * ancestors): 1 yes, 0 no, or an error. */
int registry_within_cut(git_repository *r, const registry_revocation *rv, const git_oid *commit);

/* The revocation of the key LINE in the head's registry: *rv filled (free
 * with registry_revocation_clear), or C2C_ENOTFOUND. */
int registry_revocation_of(c2c_node *n, const char *line, registry_revocation *rv);
/* When node NODE_ID was revoked, in the head's registry: *when malloc'd
 * ("YYYY-MM-DDTHH:MM:SSZ"), or NULL if it is not. */
int registry_revoked_at(c2c_node *n, const char *node_id, char **when);
void registry_revocation_clear(registry_revocation *rv);

/* ------------------------------------------------------------- the root
 * The root key is the office key every node trusts (c2c_state
 * "office_key"). The root hands itself over to a registered office node
 * by a record of table "roots" that it signs (registry_handover, in
 * trust.h); every node follows the hand-overs its head holds (registry_follow_root, after
 * a sync). Where the root key is lost, every node is re-rooted out of band
 * (registry_set_office_key in trust.h, 'c2c trust office NEW.pub --replace'). */

/* This node's own public key line ("ssh-ed25519 BASE64"), malloc'd. */
int registry_own_key(c2c_node *n, char **line);

/* The genesis commit: the same on every node (t010 pins it), and unsigned. */
#define C2C_GENESIS "2e8e231569a755f4e01942e477a9f3b55f75581e"

/* The signature of COMMIT, as git's %G? letters: */
enum {
	SIG_NONE = 'N',    /* unsigned (genesis is) */
	SIG_GOOD = 'G',    /* a valid signature by a registered node */
	SIG_UNKNOWN = 'U', /* a valid signature by a key the registry lacks */
	SIG_BAD = 'B',     /* a signature that does not check */
	SIG_REVOKED = 'R'  /* a valid signature by a revoked key, outside its cut */
};
/* *status is one of SIG_* (SIG_GOOD also for a revoked key's commit within
 * its cut: registry_revocation_of tells it was revoked); *signer the
 * registered node id (SIG_GOOD, SIG_REVOKED) or the
 * key's fingerprint (SIG_UNKNOWN), else NULL; malloc'd. *why, for SIG_BAD,
 * says what is wrong (malloc'd). Errors only for a commit that cannot be read. */
int registry_commit_signer(c2c_node *n, const git_oid *commit, int *status, char **signer, char **why);

#endif
