/* remote: the remotes table (c2c_remotes), the store's module for it.
 *
 * A remote is a hub (a bare repository made by `c2c hub init`) or a peer
 * (another node). Every SQL statement about remotes lives here: the
 * remotes themselves, the result of their last sync (sync.c) and
 * autosync's state (autosync.c). */
#ifndef C2C_REMOTE_H
#define C2C_REMOTE_H

#include <stddef.h>

#include "c2c/node.h"

typedef struct {
	char *name, *url;
	long long added, last_attempt, last_ok;
	char *last_result; /* NULL if never synced */
	char *host_key;    /* trusted SHA256 fingerprint of an ssh:// remote, or NULL */
} sync_remote;

/* NAME: [a-z0-9][a-z0-9._-]*. URL: a path to a node directory or a hub
 * (checked now), or ssh://user@host[:port]/path (once the SSH transport is
 * there). C2C_EINVALID if NAME exists or URL is not a c2c remote. */
int sync_remote_add(c2c_node *n, const char *name, const char *url);
/* Remove NAME, its held branches and the refs fetched from it. */
int sync_remote_rm(c2c_node *n, const char *name);
/* Trust FP ("SHA256:...") as NAME's host key; with FP NULL, connect, learn
 * the key and trust it. *shown (malloc'd) is the fingerprint kept. */
int sync_remote_trust(c2c_node *n, const char *name, const char *fp, char **shown);
int sync_remote_get(c2c_node *n, const char *name, sync_remote *out);
/* All remotes by name. Free with sync_remote_list_free. */
int sync_remote_list(c2c_node *n, sync_remote **out, size_t *count);
void sync_remote_dispose(sync_remote *r);
void sync_remote_list_free(sync_remote *list, size_t count);

/* Where URL's commits are: the repository to fetch from (*gitdir,
 * malloc'd), and whether it is a hub (*is_hub 1), a node (0), or not known
 * before connecting (-1: ssh://). C2C_ENOTFOUND / C2C_EINVALID with a hint
 * when URL is no c2c remote. */
int remote_target(const char *url, char **gitdir, int *is_hub);

/* Note the end of a sync with NAME now: OK (WHAT says what it did; the
 * failures in a row are reset) or not (WHAT is the error; one more
 * failure). Best effort: a failure to note it is ignored. */
void remote_record_result(c2c_node *n, const char *name, int ok, const char *what);

/* autosync's state of NAME: failed syncs in a row and the time of the
 * next try (0: none). */
int remote_autosync_get(c2c_node *n, const char *name, long long *failures, long long *next_try);
/* Note the next try of NAME (WHEN 0: none). Best effort. */
void remote_autosync_set_next_try(c2c_node *n, const char *name, long long when);

/* What a node keeps of a remote in its state table (store_state), under
 * the prefix and the remote's name; sync_remote_rm forgets both: what the
 * remote was last seen holding ("EPOCH SEQ", exchange.h) and "git" once it
 * answered as a plain git server. */
#define REMOTE_KEY_SINCE "sync_since:"
#define REMOTE_KEY_PROTOCOL "sync_protocol:"
/* The head of the node when a sync by path with the remote last ended
 * whole: every ref under refs/c2c/remotes/NAME/ was then merged (the
 * others dropped), so the next sync judges only the refs its fetch moves.
 * Taken out when a sync with the remote begins, put back when it ends. */
#define REMOTE_KEY_JUDGED "sync_judged:"
/* PREFIX (one of the above) and NAME into BUF: C2C_EINVALID naming the
 * remote if it does not fit. */
int remote_state_key(char *buf, size_t size, const char *prefix, const char *name);

#endif
