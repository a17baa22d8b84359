/* rowcache: the row images of the blobs the incoming checks parsed, by
 * blob id (include/c2c/rowimage.h). An open-addressing table keyed by the
 * id's first bytes, grown at half full. */
#include "c2c/rowimage.h"

#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"

typedef struct {
	git_oid id;
	row_image *img;
} slot;

struct row_cache {
	slot *v;
	size_t cap, n, bytes, budget;
};

int row_cache_new(row_cache **out, size_t budget)
{
	row_cache *c = calloc(1, sizeof(*c));
	*out = NULL;
	CHECK_ALLOC(c);
	c->budget = budget;
	*out = c;
	return 0;
}

void row_cache_free(row_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->v[i].img);
	free(c->v);
	free(c);
}

static size_t hash_of(const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h;
}

static slot *find(const row_cache *c, const git_oid *id)
{
	for (size_t i = hash_of(id) & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
		if (!c->v[i].img || git_oid_equal(&c->v[i].id, id))
			return &c->v[i];
}

static int grow(row_cache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	slot *old = c->v, *v = calloc(cap, sizeof(*v));
	CHECK_ALLOC(v);
	size_t ocap = c->cap;
	c->v = v;
	c->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].img)
			*find(c, &old[i].id) = old[i];
	free(old);
	return 0;
}

int row_cache_put(row_cache *c, const git_oid *id, row_image *img)
{
	size_t size = sizeof(slot) * 2 + img->bytes;
	if (c->bytes + size > c->budget) {
		free(img);
		return 0;
	}
	if ((c->n + 1) * 2 > c->cap && grow(c) < 0) {
		free(img);
		return C2C_ENOMEM;
	}
	slot *s = find(c, id);
	if (s->img) {
		free(img);
		return 0;
	}
	s->id = *id;
	s->img = img;
	c->n++;
	c->bytes += size;
	return 0;
}

const row_image *row_cache_get(const row_cache *c, const git_oid *id, const table_def *t)
{
	if (!c || !c->cap)
		return NULL;
	const slot *s = find(c, id);
	return s->img && s->img->t == t ? s->img : NULL;
}
