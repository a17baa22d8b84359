/* office_history: what the office's report (office.h) reads from the
 * node's history: the time of each city's last change, and for --at the
 * commit a date or a name gives and a store holding that commit's records. */
#ifndef C2C_OFFICE_HISTORY_H
#define C2C_OFFICE_HISTORY_H

#include <jansson.h>

#include "c2c/node.h"

/* The newest change of each city reachable from COMMIT, into LAST as
 * {slug: unix time}: for each commit that is not a merge, newest first,
 * the subtrees cities/<slug> that differ from its parent's name cities
 * changed then, at the commit's author time. */
int office_history_last_changes(git_repository *repo, const git_oid *commit, json_t *last);

/* The commit AT names: a date YYYY-MM-DD (the newest commit on the
 * first-parent line of the head made on or before the end of that day,
 * UTC), or a commit. C2C_EUSAGE for a malformed date; C2C_ENOTFOUND for a
 * date before the node's history, or a name of no commit. */
int office_history_resolve_at(c2c_node *n, const char *at, git_oid *out);

/* A new store in memory holding the records of COMMIT's tree, with the
 * node's schema. *out closed by the caller (store_close). */
int office_history_store_at(c2c_node *n, const git_oid *commit, store **out);

#endif
