#include "c2c/mergestate.h"

#include <string.h>

#include "c2c/mergever.h"

/* Call FN(node, k, payload) for each edit REC holds: standing dots,
 * conflicts and set elements. Stops at the first nonzero return. */
static int each_edit(const json_t *meta, int (*fn)(const char *, json_int_t, const json_t *), const json_t *payload)
{
	const json_t *x, *y, *z;
	const char *k, *k2;
	mergever_entry e;
	json_object_foreach(json_object_get(meta, "dots"), k, x)
	{
		if (mergever_dot_get(x, 0, &e) && fn(e.node, e.k, payload))
			return 1;
	}
	json_object_foreach(json_object_get(meta, "conflicts"), k, x)
	{
		for (size_t i = 0; i < json_array_size(x); i++)
			if (mergever_dot_get(json_array_get(x, i), 1, &e) && fn(e.node, e.k, payload))
				return 1;
	}
	json_object_foreach(json_object_get(meta, "elems"), k, x)
	{
		json_object_foreach((json_t *)x, k2, y)
		{
			for (size_t i = 0; i < json_array_size(y); i++)
				if ((z = json_array_get(y, i)) && mergever_dot_get(z, 0, &e) && fn(e.node, e.k, payload))
					return 1;
		}
	}
	return 0;
}

/* 1 if no deletion of META ("deleted" as PAYLOAD) has seen edit (NODE, K). */
static int unseen_by_deletions(const char *node, json_int_t k, const json_t *meta)
{
	const json_t *deleted = json_object_get(meta, "deleted");
	if (mergever_legacy_deletion(deleted))
		return mergever_clock_get(json_object_get(meta, "clock"), node) < k;
	for (size_t i = 0; i < json_array_size(deleted); i++)
		if (mergever_clock_get(json_array_get(json_array_get(deleted, i), 3), node) >= k)
			return 0;
	return 1;
}

int merge_is_deleted(const json_t *rec)
{
	const json_t *meta = json_object_get(rec, "_c2c");
	if (!json_array_size(json_object_get(meta, "deleted")))
		return 0;
	return !each_edit(meta, unseen_by_deletions, meta);
}

int merge_field_open(const json_t *rec, const char *field)
{
	if (json_object_get(json_object_get(json_object_get(rec, "_c2c"), "elems"), field))
		return 0; /* a set's other surviving edits are kept, never open */
	const json_t *cs = json_object_get(json_object_get(json_object_get(rec, "_c2c"), "conflicts"), field);
	const json_t *standing = json_object_get(rec, field);
	if (json_is_null(standing))
		standing = NULL;
	for (size_t i = 0; i < json_array_size(cs); i++) {
		const json_t *v = json_array_get(json_array_get(cs, i), 0);
		if (!mergever_value_eq(standing, json_is_null(v) ? NULL : v))
			return 1;
	}
	return 0;
}

int merge_has_conflicts(const json_t *rec)
{
	const json_t *meta = json_object_get(rec, "_c2c"), *cs;
	const char *f;
	json_object_foreach(json_object_get(meta, "conflicts"), f, cs)
	{
		if (merge_field_open(rec, f))
			return 1;
	}
	return json_array_size(json_object_get(meta, "deleted")) && !merge_is_deleted(rec);
}
