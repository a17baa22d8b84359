/* mergever: one version of a record as the join reads it (merge.c, and the
 * queries of mergestate.c): its bookkeeping under "_c2c" checked, and its
 * entries (field values, set elements, deletions) listed with their dots.
 *
 * Internal to the merge modules. Everything here borrows from the record
 * read: an entry's node and value point into it, so the record must outlive
 * the lists made from it. Errors are C2C_ECORRUPT (the message names the
 * version, "first" or "second", and what in it is wrong) or C2C_ENOMEM. */
#ifndef C2C_MERGEVER_H
#define C2C_MERGEVER_H

#include <jansson.h>
#include <stddef.h>

#include "c2c/util.h"

/* One edit: its dot (node, k) and Lamport time. */
typedef struct {
  const char *node;
  json_int_t k, lamport;
  /* Field entries: the value (NULL: cleared). Deletions: the clock seen. */
  const json_t *value;
} mergever_entry;

typedef ARRAY(mergever_entry) mergever_list;

typedef struct {
  const json_t *rec, *meta, *clock, *dots, *conflicts, *elems, *deleted;
  const char *name; /* for messages */
} mergever_version;

/* What an entry list belongs to, for messages: a field, an element of a set
 * field, or (field NULL) the deletions. Formatted only on error. */
typedef struct {
  const char *field, *elem;
} mergever_subject;

/* S as text in BUF (of SIZE), which is returned. */
const char *mergever_subject_text(const mergever_subject *s, char *buf,
                                  size_t size);

/* Append the entry (NODE, K, LAMPORT, VALUE) to L; free with
 * mergever_list_free, which leaves L empty and reusable. */
int mergever_push(mergever_list *l, const char *node, json_int_t k,
                  json_int_t lamport, const json_t *value);
void mergever_list_free(mergever_list *l);

/* C2C_ECORRUPT with "merge: the <V's name> version: " and the message. */
int mergever_corrupt(const mergever_version *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* CLOCK's counter for NODE (0 when absent). */
json_int_t mergever_clock_get(const json_t *clock, const char *node);

/* Has V seen the edit E? Every version has seen the zero dot. */
int mergever_seen(const mergever_version *v, const mergever_entry *e);

/* Read the dot [node, k, lamport] at A[OFF..OFF+2] into E. 1 if well-formed. */
int mergever_dot_get(const json_t *a, size_t off, mergever_entry *e);

/* Is DELETED ("_c2c"."deleted") in the older form [node, k, lamport]? */
int mergever_legacy_deletion(const json_t *deleted);

/* Check the bookkeeping of REC and fill V; NAME names the version in
 * messages. */
int mergever_read(mergever_version *v, const json_t *rec, const char *name);

/* Order of dots: by node, then counter. */
int mergever_dot_cmp(const mergever_entry *a, const mergever_entry *b);

/* For qsort of entries: descending by (lamport, node, k), so that the first
 * entry stands. */
int mergever_rank_cmp(const void *pa, const void *pb);

/* Sort L by dot; a version holding a dot twice is corrupt (S names what). */
int mergever_sort_dots(const mergever_version *v, mergever_list *l,
                       const mergever_subject *s);

/* Equal values (NULL: none). */
int mergever_value_eq(const json_t *a, const json_t *b);

/* The entries of field F in V, sorted by dot: the standing value with its
 * dot (the zero dot if the field has a value but no dot), and the open
 * conflicts. A null value is NULL. */
int mergever_field_entries(const mergever_version *v, const char *f,
                           mergever_list *out);

/* The dots of the array ARR of V (a set element's), sorted by dot. */
int mergever_dots_list(const mergever_version *v, const json_t *arr,
                       const mergever_subject *subj, mergever_list *out);

/* The deletions of V, sorted by dot; each entry's value is its clock. */
int mergever_deletions(const mergever_version *v, mergever_list *out);

#endif
