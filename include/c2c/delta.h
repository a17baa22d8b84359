/* delta: git's delta encoding (gitformat-pack(5), "Deltified
 * representation"), for the thin packs of c2c's push (pushpack.c), and
 * its reading, for the deltas a copy keeps as another pack stored them
 * (pack.c).
 * Unit-tested by tests/unit/test_delta.c. */
#ifndef C2C_DELTA_H
#define C2C_DELTA_H

#include <stddef.h>

#include "c2c/repo.h"

/* Into OUT (emptied first), a git delta (the two sizes, then copy and
 * insert instructions) that turns BASE (BL bytes) into T (TL bytes). BASE
 * is indexed by its 16-byte blocks; T is scanned for them, each match
 * extended both ways and copied, the rest inserted: a record or bucket
 * against its parent's version, or a new record against a sibling, share
 * most of their lines. 0 or C2C_ENOMEM. */
int delta_make(repo_buf *out, const unsigned char *base, size_t bl, const unsigned char *t, size_t tl);

/* Into OUT (emptied first), BASE (BL bytes) with the delta D (DL bytes)
 * applied, as git's patch-delta.c reads it: the delta's base size must be
 * BL, its result size at most MAX, every copy inside BASE, every insert
 * inside D, opcode 0 refused, and the instructions must make exactly the
 * result size. 0, C2C_ENOMEM, or -1 for a delta that does not hold (no
 * error set: the caller names the object). D is another node's bytes. */
int delta_apply(repo_buf *out, const unsigned char *base, size_t bl, const unsigned char *d, size_t dl,
                size_t max);

#endif
