/* blame: which commit brought each field's standing edit (and each open
 * conflict and deletion) of one record into the history, for 'c2c blame'.
 * The walk reads the record's file in each commit by its path, O(depth),
 * and parses each version of the file once. */
#ifndef C2C_BLAME_H
#define C2C_BLAME_H

#include <git2.h>
#include <jansson.h>

#include "c2c/store.h"
#include "c2c/util.h"

/* What blame looks for in each version of the file: an edit's dot
 * [node, counter, lamport], or, for a field written without a dot, its
 * value. */
enum { BT_FIELD, BT_CONFLICT, BT_DELETE };
typedef struct {
	int kind;
	const char *name; /* the field; NULL for BT_DELETE */
	int has_dot;
	const char *node;
	json_int_t counter, lamport;
	const json_t *val; /* the value at the head; NULL: cleared */
	int found;         /* the commit that introduced it is known */
	git_oid commit;
	git_time_t when;
	char person[96]; /* the commit's author: the person beside the node */
} blame_target;

typedef ARRAY(blame_target) blame_list;

/* Append to L the targets of REC (a record of T as stored in the
 * repository): schema fields in schema order, then fields unknown to this
 * node by name, then the deletions. They borrow from REC, which outlives
 * L; the caller frees L with ARRAY_FREE. */
int blame_targets(const table_def *t, const json_t *rec, blame_list *l);

/* Walk REPO's history from HEAD; a commit introduced target T if its
 * version of the file at PATH carries T and no parent's version does (a
 * parent without the file does not): T's found, commit, when and person
 * are set from it. Stops when every target is found. */
int blame_walk(git_repository *repo, const git_oid *head, const char *path, blame_target *tg, size_t ntg);

#endif
