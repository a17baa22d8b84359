/* merge: the join of two versions of a record, without a merge base.
 *
 * Every version carries its causal history in "_c2c" (see record.h):
 *
 *   "clock":     {node: n}            the edits of this record the version has seen:
 *                                     (node, k) is seen iff clock[node] >= k
 *   "dots":      {field: [node, k, lamport]}
 *                                     the edit that wrote the field's standing value
 *                                     (the field may be absent: a cleared value)
 *   "conflicts": {field: [[value, node, k, lamport], ...]}
 *                                     the other values written concurrently, still
 *                                     open; value null = cleared. Sorted by
 *                                     (lamport, node) descending. Absent when empty.
 *   "elems":     {field: {element: [[node, k, lamport], ...]}}
 *                                     set fields: the edits that added each element
 *                                     present; an element whose adds were all seen by
 *                                     a later edit that lacks them is removed
 *                                     (an add-wins observed-remove set); for a set
 *                                     field, "conflicts" holds its other surviving
 *                                     edits with null values, never open
 *   "deleted":   [[node, k, lamport, {clock}], ...]
 *                                     deletions, each with the clock it had seen
 *
 * Per field, the entries of a version are its standing value (with its dot)
 * and its conflicts. Joining A and B, an entry of A survives if B holds the
 * same dot, or if B's clock has not seen it; the same for B's entries. The
 * surviving entries of a field are deduplicated by dot; the one with the
 * highest (lamport, node) stands (no wall clock is consulted), the others are
 * its open conflicts. Set elements join the same way, element by element;
 * deletions too. The clock is the element-wise maximum. So the join is
 * commutative, associative and idempotent, and every node that has seen the
 * same edits holds the same bytes.
 *
 * A record with surviving deletions is deleted unless some entry (of any
 * field, conflict or element) was seen by none of them: an edit concurrent
 * with a delete keeps the record, and the deletion stays as its conflict.
 * Fields a node does not know are joined the same way (a field with
 * "elems" is a set, whatever the schema says; a set emptied keeps
 * "elems": {field: {}}). A field with a value and no dot (reference data
 * written before any edit) has the zero dot ["", 0, 0], seen by every
 * version. Ties on (lamport, node) fall back to the counter. */
#ifndef C2C_MERGE_H
#define C2C_MERGE_H

#include <jansson.h>

/* What a joined record holds (deleted, open conflicts): mergestate.h,
 * included here for the many readers that need both. */
#include "c2c/mergestate.h"

/* Join A and B (either may be NULL: no version). *out is a new record, or
 * NULL if both are NULL. Neither input is modified. C2C_ECORRUPT if a
 * version's bookkeeping is malformed (the message names what). */
int merge_records(const json_t *a, const json_t *b, json_t **out);

/* merge_records(REC, NULL)'s check of one version, without its copy:
 * 0, or C2C_ECORRUPT naming what is malformed (the incoming checks). */
int merge_check(const json_t *rec);

#endif
