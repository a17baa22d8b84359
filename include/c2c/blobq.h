/* blobq: blobs hashed and compressed on another thread while their writer
 * goes on.
 *
 * A large write (an import of 100,000 records) hands each record text to
 * the queue as it goes; one thread hashes and compresses it and keeps the
 * pack entry in a temporary file, so that the commit copies entries ready
 * made into its pack instead of compressing them all while the user waits.
 * The writer's own thread is busy with SQLite meanwhile: on two processors
 * the compression costs no time. */
#ifndef C2C_BLOBQ_H
#define C2C_BLOBQ_H

#include <git2.h>
#include <stddef.h>

#include "c2c/pack.h"

typedef struct repo_blobq repo_blobq;

/* A queue and its thread into *OUT; *OUT stays NULL (and 0 is returned)
 * when this machine has one processor or no thread starts: the writer then
 * compresses at its commit, as before. */
int repo_blobq_new(repo_blobq **out);
/* Queue a copy of DATA as blob number SEQ: the first SEQ is any number,
 * each next one is one more. A failure of the thread is returned here, or
 * by repo_blobq_finish. */
int repo_blobq_put(repo_blobq *q, size_t seq, const char *data, size_t len);
/* Wait until every queued blob is compressed; the thread's first failure. */
int repo_blobq_finish(repo_blobq *q);
/* After repo_blobq_finish: append blob SEQ's entry to P, its id into OUT.
 * 1 if done, 0 if SEQ was never queued, < 0 on failure. */
int repo_blobq_add_to(repo_blobq *q, size_t seq, repo_pack *p, git_oid *out);
/* Stop the thread (what is queued is dropped) and free Q and its file. */
void repo_blobq_free(repo_blobq *q);

#endif
