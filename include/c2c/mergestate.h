/* mergestate: what a record version holds, by the rules of merge.h: whether
 * it is deleted, and its open conflicts. Read-only; the record is one that
 * merge_records joined or the write path wrote (its bookkeeping checked).
 * Included by merge.h. */
#ifndef C2C_MERGESTATE_H
#define C2C_MERGESTATE_H

#include <jansson.h>

/* 1 if REC (a merged or written version) is deleted by the rule of merge.h
 * (deletions survive, and every edit it holds was seen by one of them). */
int merge_is_deleted(const json_t *rec);

/* 1 if FIELD of REC is an open conflict: a concurrent value different from
 * the standing one (concurrent writes of the same value are kept, for the
 * join's sake, but are no conflict to show). */
int merge_field_open(const json_t *rec, const char *field);

/* 1 if REC has any open conflict: an open field, or a deletion concurrent
 * with a surviving edit. */
int merge_has_conflicts(const json_t *rec);

#endif
