/* autosync: keep a node nobody watches in sync with its remotes.
 *
 * A foreground loop for a service manager (scripts/c2c-autosync.service).
 * Each remote is synced every INTERVAL seconds, and AFTER_WRITE seconds
 * after the node's head moves by a local write (the head ref is polled once
 * a second: a small file read). A failed sync is retried after RETRY
 * seconds, doubled with each failure in a row up to MAX_BACKOFF, so a link
 * that is down costs little; the first sync that succeeds returns to the
 * normal interval. The node is opened (and locked) only for each sync, so
 * other commands run meanwhile. The state is kept in c2c_remotes
 * (failures, next_try) for `c2c status`. The loop ends after the sync in
 * progress when *STOP becomes non-zero (set it from a signal handler). */
#ifndef C2C_AUTOSYNC_H
#define C2C_AUTOSYNC_H

#include <signal.h>

#include "c2c/node.h"

typedef struct {
	long long interval;    /* s between syncs of a remote that works (300) */
	long long after_write; /* s from a local write to the sync that sends it (5) */
	long long retry;       /* s before the first retry of a failed sync (30) */
	long long max_backoff; /* s, the longest wait between retries (3600) */
	/* One line per sync attempt (LINE, without a newline), given to LOG
	 * with LOG_PAYLOAD; NULL: none. The module itself prints nothing. */
	void (*log)(void *payload, const char *line);
	void *log_payload;
} autosync_options;

void autosync_options_init(autosync_options *o);

/* Run the loop for the node in DIR until *STOP. Returns 0, or an error that
 * made it impossible to go on (the node cannot be opened). */
int autosync_run(const char *dir, const autosync_options *o, volatile sig_atomic_t *stop);

/* Where autosync stands with remote NAME: failed syncs in a row, and the
 * time of the next try (0 when autosync is not running). */
typedef struct {
	long long failures, next_try;
} autosync_state;
int autosync_state_get(c2c_node *n, const char *name, autosync_state *out);

#endif
