/* The small util layer: growable arrays, whole-file reads and writes.
 *
 * Everything here returns 0 or a negative C2C_E* code with the error set
 * (err.h); messages name the file. Nothing here prints. */
#ifndef C2C_UTIL_H
#define C2C_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>

#include "c2c/err.h"

/* Make *ITEMS (of *CAP elements of SIZE bytes) hold at least NEED: the
 * capacity doubles (from 8), and a count whose bytes would overflow size_t
 * is C2C_ENOMEM, never a short buffer. *ITEMS and *CAP change only on
 * success. */
int util_grow(void **items, size_t *cap, size_t need, size_t size);

/* A typed growable array: ARRAY(git_oid) ids = {0};
 * ARRAY_PUSH(&ids, one) < 0 on failure; ids.v[0 .. ids.n). */
#define ARRAY(T)                                                                                             \
	struct {                                                                                                 \
		T *v;                                                                                                \
		size_t n, cap;                                                                                       \
	}
#define ARRAY_RESERVE(a, need) util_grow((void **)&(a)->v, &(a)->cap, (need), sizeof(*(a)->v))
#define ARRAY_PUSH(a, x) (ARRAY_RESERVE((a), (a)->n + 1) < 0 ? C2C_ENOMEM : ((a)->v[(a)->n++] = (x), 0))
#define ARRAY_FREE(a) (free((a)->v), (a)->v = NULL, (a)->n = (a)->cap = 0)

/* Write all LEN bytes of BUF to FD, again after EINTR and short writes.
 * WHAT names the file in the message (C2C_EIO). */
int write_all(int fd, const void *buf, size_t len, const char *what);

/* A large write's temporary file (tmpfile(3), in P_tmpdir) could not be
 * made, written or read: C2C_EIO with WHAT (a translated message with one
 * %s, the directory: _("writing the record texts to a temporary file in
 * %s")) and errno's reason, and what to do. The caller undoes its write. */
int err_tmpfile(const char *what);

/* Read all of PATH into *out (malloc'd, NUL-terminated; *len its length
 * if LEN is not NULL). A missing file is C2C_ENOTFOUND, one over MAX bytes
 * C2C_EINVALID; both name PATH. */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* Replace PATH by BUF atomically and durably, as git's lockfile does: the
 * bytes go to PATH.tmp-PID in the same directory, which is fsynced, closed
 * and renamed over PATH; then the directory is fsynced, so the new name
 * survives a power cut. Whoever reads PATH sees the old file or the new
 * one, never a part. MODE is the new file's. On failure PATH is untouched
 * and the temporary file removed. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);

/* "A/B", malloc'd; NULL when out of memory. */
char *path_join(const char *a, const char *b);

/* fsync the directory that holds PATH (after a rename or a create in it). */
int fsync_parent_dir(const char *path);

#endif
