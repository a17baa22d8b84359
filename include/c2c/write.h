/* write: the edits a user makes, shared by add/set/rm and import.
 *
 * Each function works inside an open node_txn: it checks what this node may
 * write, validates values against the schema, stamps the record's clock and
 * the dots of the fields it changes (Lamport time of the txn), and hands
 * the record to node_txn_put/delete. */
#ifndef C2C_WRITE_H
#define C2C_WRITE_H

#include <jansson.h>

#include "c2c/node.h"

/* Parse FIELD=VALUE arguments into an object {field: value|null}, checking
 * each field exists in T and each value (type, allowed set, references).
 * "id" is not a field. */
int write_parse_assignments(c2c_node *n, const table_def *t, int argc, char **argv, json_t **out);

/* May this node write records of T in CITY (NULL for network tables)? A city
 * node writes its own city's records; the office the network tables. */
int write_check_scope(c2c_node *n, const table_def *t, const char *city);

/* Add a record from FIELDS (from write_parse_assignments; "city" defaults to
 * the node's city). ID_OPT gives the id of a record without a natural key,
 * or NULL for a new one. C2C_EINVALID if it exists. *id_out malloc'd. */
int write_add(node_txn *tx, c2c_node *n, const table_def *t, const char *id_opt, json_t *fields, char **id_out);

/* Change T/ID's FIELDS; *changed tells whether any value differed. */
int write_set(node_txn *tx, c2c_node *n, const table_def *t, const char *id, json_t *fields, int *changed);

/* Delete T/ID, leaving a tombstone. */
int write_rm(node_txn *tx, c2c_node *n, const table_def *t, const char *id);

/* One field of one edit, as write_add and write_set make it: set FIELD of
 * REC to V (JSON null clears it), stamped with the edit's dot (NODE,
 * COUNTER, LAMPORT); 1 if that changed REC. The field's open conflicts
 * close; a set field keeps, per element, the dots that added it (an emptied
 * set keeps its empty "elems" entry). Exposed for tests/unit/test_merge.c,
 * which checks the merge against the versions real edits make; the
 * commands call write_add/write_set, not this. */
int write_assign(json_t *rec, const char *field, json_t *v, const char *node, long long counter, long long lamport);

#endif
