/* history: questions about a record's past, answered from repo.git.
 * Each walks the history from a commit, so costs grow with history. */
#ifndef C2C_HISTORY_H
#define C2C_HISTORY_H

#include <git2.h>
#include <jansson.h>

/* The oldest commit reachable from FROM whose version of the record at PATH
 * holds the edit (NODE, COUNTER) on FIELD, as its standing value or as a
 * conflict. C2C_ENOTFOUND if none. */
int history_find_dot(git_repository *r, const git_oid *from, const char *path, const char *field, const char *node,
                     long long counter, git_oid *out);

/* The line merge of two conflicting text values of FIELD of the record at
 * PATH: against the field's value at the merge base of the commits that
 * wrote them (empty if the record did not exist there). *out is malloc'd,
 * or NULL when the two edits overlap (no clean merge). */
int history_line_merge(git_repository *r, const git_oid *head, const char *path, const char *field,
                       const json_t *entry1, const json_t *entry2, char **out);

/* The blob at PATH in the tree of commit C: 1 found (*out set), 0 absent,
 * or a negative error. */
int history_blob_at(const git_commit *c, const char *path, git_oid *out);

#endif
