/* review: the coordination office's reviews of a city's records.
 *
 * A review is a record of the network table `reviews` (schema 007), written
 * by the office only, with the natural key (record_table, record_id): one
 * review per record, replaced by the next. It names the version of the
 * record it judged (record_version: the git blob id of the record file), so
 * that a later edit by the city marks the review out of date.
 *
 * The functions below read the working store ST (or a store rebuilt from a
 * commit, office_history.h); on a node whose schema has no reviews table they find
 * no review. Objects returned are new references owned by the caller. */
#ifndef C2C_REVIEW_H
#define C2C_REVIEW_H

#include <jansson.h>

#include "c2c/node.h"

/* The version of REC a review names: the hex blob id of its canonical text
 * (what `git hash-object` gives for the record file). OUT holds 41 bytes. */
int review_version(const json_t *rec, char out[41]);

/* Write the office's review of TABLE/ID (a city record of this node) with
 * STATUS ("validated" or "changes_requested") and COMMENT (NULL: none), in
 * one commit. Refused on a city node (C2C_EINVALID). *review_id malloc'd. */
int review_write(c2c_node *n, const table_def *t, const char *id, const char *status, const char *comment,
                 char **review_id);

/* The review of TABLE/ID, as {status, comment, reviewer, reviewed_at,
 * record_version, out_of_date, record_deleted}: out_of_date when the
 * record's file is no longer the version judged. *out NULL when there is
 * none (returns 0). */
int review_of(store *st, const char *table, const char *id, json_t **out);

/* Every review of CITY (NULL: of every city), in city, table, id order, as
 * the objects review_of gives with "id", "record_table", "record_id" and
 * "city" added. STATUS non-NULL keeps those with that status. */
int review_list(store *st, const char *city, const char *status, json_t **out);

#endif
