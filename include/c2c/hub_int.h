/* The hub's own parts, shared by node/hub*.c (not a contract for other
 * modules: see hub.h). */
#ifndef C2C_HUB_INT_H
#define C2C_HUB_INT_H

#include <git2.h>
#include <jansson.h>

#include "c2c/hub.h"
#include "c2c/refs.h"
#include "c2c/registry.h"

#define NODES_PREFIX REF_NODES
#define KEY_TYPE "ssh-ed25519"
#define FILE_MAX (1 << 20)

/* A malloc'd string from a printf format; NULL (message set) when out of
 * memory. */
char *hub_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 0 if ID is a node id (nodeid.h), else C2C_EINVALID with a hint. */
int hub_node_id_check(const char *id);
/* The one ssh-ed25519 key in FILE: *b64 (its base64 blob) and *line (type,
 * blob and comment, trimmed), both malloc'd. */
int hub_read_pubkey(const char *file, char **b64, char **line);
/* Paths go into sh scripts and authorized_keys command="..." between single
 * quotes: refuse what would need escaping there. */
int hub_quotable(const char *what, const char *path);
/* The absolute path of this c2c binary. *out malloc'd. */
int hub_self_exe(char **out);
/* Open PATH as a hub: a git repository with c2c.hub=true. */
int hub_open(git_repository **out, const char *path);
/* The registry as the hub holds it: the nodes (NODES may be NULL) and
 * revocations of every node's branch (what passed its checks), each tree
 * of network/ read once (hub_keys.c). */
int hub_registry(git_repository *r, json_t *nodes, registry_revocations *revs);

#endif
