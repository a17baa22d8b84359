/* rowcache: the row images of the blobs the incoming checks parsed, by
 * blob id (include/c2c/rowimage.h). An open-addressing table keyed by the
 * id's first bytes, grown at half full; the images copied into blocks of
 * their own, so that a hundred thousand of them kept do not scatter the
 * heap the checks allocate and free in (zlib's windows, jansson's values). */
#include "c2c/rowimage.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"

typedef struct {
	git_oid id;
	row_image *img;
} slot;

#define BLOCK_SIZE ((size_t)1 << 20)

/* A block of images; the first image starts at DATA. */
typedef struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
} block;

struct row_cache {
	slot *v;
	size_t cap, n, bytes, budget;
	block *blocks;
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
	while (c->blocks) {
		block *b = c->blocks;
		c->blocks = b->next;
		free(b);
	}
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

/* A copy of IMG in C's blocks (its pointers into itself moved with it). */
static row_image *copy_in(row_cache *c, const row_image *img)
{
	size_t need = (img->bytes + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	block *b = c->blocks;
	if (!b || b->size - b->used < need) {
		size_t room = need > BLOCK_SIZE ? need : BLOCK_SIZE;
		if (!(b = malloc(sizeof(*b) + room)))
			return NULL;
		b->next = c->blocks;
		b->used = 0;
		b->size = room;
		c->blocks = b;
	}
	row_image *to = (row_image *)((char *)b->data + b->used);
	b->used += need;
	memcpy(to, img, img->bytes);
	to->cols = (row_col *)((char *)to + ((const char *)img->cols - (const char *)img));
	to->text = (char *)to + (img->text - (const char *)img);
	return to;
}

int row_cache_put(row_cache *c, const git_oid *id, row_image *img)
{
	size_t size = sizeof(slot) * 2 + img->bytes;
	int err = 0;
	if (c->bytes + size > c->budget)
		goto done;
	if ((c->n + 1) * 2 > c->cap && (err = grow(c)) < 0)
		goto done;
	slot *s = find(c, id);
	if (s->img)
		goto done;
	if (!(s->img = copy_in(c, img))) {
		err = ERR_OOM();
		goto done;
	}
	s->id = *id;
	c->n++;
	c->bytes += size;
done:
	free(img);
	return err;
}

const row_image *row_cache_get(const row_cache *c, const git_oid *id, const table_def *t)
{
	if (!c || !c->cap)
		return NULL;
	const slot *s = find(c, id);
	return s->img && s->img->t == t ? s->img : NULL;
}
