/* record: ids, paths, values and clocks of one record.
 *
 * Paths (SPEC 4): city records live at cities/<city>/<table>/<a>/<b>/<id>.json,
 * network records at network/<table>/<a>/<b>/<id>.json, where <a><b> are the
 * first two hex digits of SHA-256(id), so `printf %s ID | sha256sum | cut -c1-2`
 * finds a record's bucket with stock tools.
 *
 * Bookkeeping under "_c2c" (the merge's causal data; merge.h has it all):
 *   "clock":   {node-id: counter}  every edit of this record the writer had seen
 *   "dots":    {field: [node-id, counter, lamport]}  the edit that wrote each field
 *   "elems":   {set-field: {element: [[node-id, counter, lamport], ...]}}
 *   "deleted": [[node-id, counter, lamport, {clock}], ...]  deletions */
#ifndef C2C_RECORD_H
#define C2C_RECORD_H

#include <jansson.h>
#include <stddef.h>

#include "c2c/store.h"

#define RECORD_ID_MAX 80

/* The bound of every counter and Lamport time in a record's bookkeeping:
 * 2^53 - 1, the largest integer every JSON reader holds exactly, so that an
 * auditor's script reads what the node reads. A version holding a larger
 * one is corrupt (merge_records refuses it, and so every incoming check);
 * an edit that would pass it is refused (node_txn_begin, record_begin_edit).
 * It is never reached in use: an incoming commit can raise a Lamport time
 * only by one over what its parent's history holds (incoming.h), and a
 * counter by one per edit, so the bound is 2^53 edits away, and nothing
 * wraps: the sums that use these values (+1) stay far below INT64_MAX. */
#define RECORD_CLOCK_MAX 9007199254740991LL

/* 1 if ID is a well-formed id: [a-z0-9][a-z0-9._-]*, at most RECORD_ID_MAX
 * bytes, with no "..". */
int record_id_valid(const char *id);

/* A new id made offline: 12 hex digits of milliseconds since 1970, then 12
 * hex digits from the system's random source. OUT holds 25 bytes. */
int record_new_id(char out[25]);

/* The id of a record of a table with a natural key: its key fields' values
 * joined by '.', e.g. "tunis.overview.ar". *out malloc'd. */
int record_natural_id(const table_def *t, const json_t *rec, char **out);

/* The record's path in the repository. CITY is the record's city for city
 * tables (ignored for network tables). *out malloc'd. */
int record_path(const table_def *t, const char *city, const char *id, char **out);

/* Split PATH ("cities/<city>/<table>/<a>/<b>/<id>.json" or
 * "network/<table>/<a>/<b>/<id>.json") into its parts; CITY gets "" for
 * network records. C2C_EINVALID if PATH is not a record path, including
 * a bucket that does not match the id. */
int record_parse_path(const char *path, char table[64], char id[RECORD_ID_MAX + 1], char city[RECORD_ID_MAX + 1]);

/* Parse the command-line or CSV text of field F into a JSON value, checking
 * its type, allowed values and references (ST may be NULL to skip reference
 * checks). An empty TEXT gives JSON null (the field is cleared). Sets come
 * as comma-separated values and leave sorted and without duplicates.
 * C2C_EINVALID with a message naming TABLE.FIELD and the value. */
int record_parse_value(store *st, const table_def *t, const field_def *f, const char *text, json_t **out);

/* Text of a field value for display and CSV (sets comma-joined). malloc'd. */
char *record_value_text(const json_t *v);

/* Check REC's required fields (locally written records only). */
int record_check_required(const table_def *t, const json_t *rec, const char *id);

/* Stamp an edit by NODE at LAMPORT: advance the record's clock for NODE once
 * (call record_begin_edit first), and set the dot of each changed field.
 * record_begin_edit returns the new counter, or C2C_EINVALID (message set)
 * if it would pass RECORD_CLOCK_MAX. */
long long record_begin_edit(json_t *rec, const char *node);
void record_stamp(json_t *rec, const char *field, const char *node, long long counter, long long lamport);

/* The highest Lamport time anywhere in REC's bookkeeping (dots, conflicts,
 * set elements, deletions): a node's next edit must come after it. */
long long record_max_lamport(const json_t *rec);

/* The "_c2c" object of REC, created empty if missing (borrowed). */
json_t *record_meta(json_t *rec);

#endif
