/* scratch: a repository that reads another's objects and keeps what is
 * written to it in memory, for work whose objects are thrown away: the
 * incoming checks recompute each merge commit's tree, and the joins of an
 * octopus merge's first parents are trees no commit holds (the node's own
 * merge joins its branches here too, and keeps the last join only).
 * Written to the node's repository, each was a loose object fsynced for
 * nothing (a thousand-parent merge, thousands of fsyncs); here they cost a
 * hash. */
#ifndef C2C_SCRATCH_H
#define C2C_SCRATCH_H

#include <git2.h>

typedef struct repo_scratch repo_scratch;

/* A scratch repository over REAL's object database (as REAL sees it now:
 * a quarantine attached to it is read too). */
int repo_scratch_new(repo_scratch **out, git_repository *real);
/* Its repository, for reading and writing objects (not refs). */
git_repository *repo_scratch_repo(repo_scratch *s);
/* Write into REAL, as one pack (fsynced), what TREE holds that was
 * written here: the joined tree of a merge, whose intermediate joins stay
 * in memory. */
int repo_scratch_keep(repo_scratch *s, git_repository *real, const git_oid *tree);
/* Drop what was written since the last reset. */
void repo_scratch_reset(repo_scratch *s);
void repo_scratch_free(repo_scratch *s);

#endif
