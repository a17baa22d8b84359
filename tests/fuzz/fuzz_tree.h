/* Shared by the fuzz targets that write raw trees (fuzz_incoming,
 * fuzz_history): a tree entry, and git's order of entries. */
#ifndef C2C_FUZZ_TREE_H
#define C2C_FUZZ_TREE_H

#include <git2.h>
#include <string.h>

typedef struct {
	char name[256];
	unsigned mode;
	git_oid id;
} tentry;

static int tentry_cmp(const void *a, const void *b)
{
	/* git's order: a tree sorts as if its name ended in '/'. */
	const tentry *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name), l = lx < ly ? lx : ly;
	int c = memcmp(x->name, y->name, l);
	if (c)
		return c;
	unsigned char cx = lx > l ? (unsigned char)x->name[l] : x->mode == 040000 ? '/' : 0;
	unsigned char cy = ly > l ? (unsigned char)y->name[l] : y->mode == 040000 ? '/' : 0;
	return cx - cy;
}

#endif
