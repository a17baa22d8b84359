/* mergediff: the blob paths that differ between two trees, found as the
 * join walks them (mergetree.h): subtrees with equal ids are not opened, so
 * the cost grows with the difference, not with the repository. Used to
 * apply a new head to the database and to read a tree whole (against the
 * empty tree). Included by mergetree.h. */
#ifndef C2C_MERGEDIFF_H
#define C2C_MERGEDIFF_H

#include <git2.h>

/* Call CB for every blob path whose id differs between trees OLD (NULL: empty)
 * and NEW, with both ids (a zero id where absent), opening only subtrees
 * that differ. */
typedef int (*mergetree_diff_cb)(const char *path, const git_oid *old_id, const git_oid *new_id, void *payload);
int mergetree_diff(git_repository *r, const git_oid *old_tree, const git_oid *new_tree, mergetree_diff_cb cb,
                   void *payload);

#endif
