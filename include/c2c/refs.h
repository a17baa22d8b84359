/* The ref names c2c writes (SPEC 5), spelled once. */
#ifndef C2C_REFS_H
#define C2C_REFS_H

#include <stddef.h>

#define REF_MAIN "refs/heads/main"
#define REF_NODES "refs/heads/nodes/"
#define REF_NODES_DIR "refs/heads/nodes" /* the same, as git's hideRefs names a hierarchy */
#define REF_OFFICE_KEY "refs/c2c/office-key"
#define REF_REMOTES "refs/c2c/remotes/"

/* "refs/c2c/remotes/REMOTE/REST" (REST "" gives the prefix, with its '/')
 * into BUF of SIZE bytes; C2C_EINVALID naming the remote when it does not
 * fit. */
int ref_remote(char *buf, size_t size, const char *remote, const char *rest);

#endif
