#include "c2c/oidlist.h"

#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/util.h"

int oid_list_add(oid_list *l, const git_oid *id)
{
	int err = util_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	if (err < 0)
		return err;
	if (l->sorted && l->n && git_oid_cmp(&l->v[l->n - 1], id) >= 0)
		l->sorted = 0;
	l->v[l->n++] = *id;
	return 0;
}

int oid_list_add_unique(oid_list *l, const git_oid *id)
{
	return oid_list_has(l, id) ? 0 : oid_list_add(l, id);
}

int oid_list_index(const oid_list *l, const git_oid *id, size_t *at)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = git_oid_cmp(&l->v[mid], id);
		if (!c) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int oid_list_add_unique_all(oid_list *l, const oid_list *src)
{
	oid_list seen = {0};
	unsigned char *taken = NULL;
	size_t at;
	int err = 0;
	if (!src->n)
		return 0;
	for (size_t i = 0; i < l->n && err == 0; i++)
		err = oid_list_add(&seen, &l->v[i]);
	for (size_t i = 0; i < src->n && err == 0; i++)
		err = oid_list_add(&seen, &src->v[i]);
	if (err == 0) {
		oid_list_sort(&seen);
		if (!(taken = calloc(seen.n, 1)))
			err = ERR_OOM();
	}
	for (size_t i = 0; i < l->n && err == 0; i++)
		if (oid_list_index(&seen, &l->v[i], &at))
			taken[at] = 1;
	for (size_t i = 0; i < src->n && err == 0; i++)
		if (oid_list_index(&seen, &src->v[i], &at) && !taken[at]) {
			taken[at] = 1;
			err = oid_list_add(l, &src->v[i]);
		}
	free(taken);
	oid_list_free(&seen);
	return err;
}

int oid_list_has(const oid_list *l, const git_oid *id)
{
	size_t at;
	if (l->sorted)
		return oid_list_index(l, id, &at);
	for (size_t i = 0; i < l->n; i++)
		if (git_oid_equal(&l->v[i], id))
			return 1;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

void oid_list_sort(oid_list *l)
{
	if (l->n > 1) {
		qsort(l->v, l->n, sizeof(*l->v), cmp);
		size_t w = 1;
		for (size_t i = 1; i < l->n; i++)
			if (!git_oid_equal(&l->v[i], &l->v[w - 1]))
				l->v[w++] = l->v[i];
		l->n = w;
	}
	l->sorted = 1;
}

void oid_list_clear(oid_list *l)
{
	l->n = 0;
	l->sorted = 0;
}

void oid_list_free(oid_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
