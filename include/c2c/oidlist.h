/* One list of object ids, for the walks of sync, bundle, pack and the
 * incoming checks. */
#ifndef C2C_OIDLIST_H
#define C2C_OIDLIST_H

#include <git2.h>
#include <stddef.h>

typedef struct {
	git_oid *v;
	size_t n, cap;
	int sorted; /* v is sorted and unique: oid_list_has uses a binary search */
} oid_list;

/* Append ID (duplicates kept until oid_list_sort). C2C_ENOMEM. */
int oid_list_add(oid_list *l, const git_oid *id);
/* Append ID unless the list holds it already (a scan of an unsorted list:
 * for a few ids). */
int oid_list_add_unique(oid_list *l, const git_oid *id);
/* Append, in SRC's order, each id of SRC the list lacks, once (for many:
 * n log n, where one oid_list_add_unique each is n squared). C2C_ENOMEM. */
int oid_list_add_unique_all(oid_list *l, const oid_list *src);
/* 1 if the list holds ID. */
int oid_list_has(const oid_list *l, const git_oid *id);
/* In a sorted list: 1 and *AT its index if it holds ID, else 0. */
int oid_list_index(const oid_list *l, const git_oid *id, size_t *at);
/* Sort and drop duplicates. */
void oid_list_sort(oid_list *l);
void oid_list_clear(oid_list *l); /* empty it, keep the memory */
void oid_list_free(oid_list *l);

#endif
