#include "c2c/mergever.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/record.h"
#include "c2c/util.h"

const char *mergever_subject_text(const mergever_subject *s, char *buf, size_t size)
{
	if (!s->field)
		snprintf(buf, size, "the deletions");
	else if (s->elem)
		snprintf(buf, size, "element '%s' of field '%s'", s->elem, s->field);
	else
		snprintf(buf, size, "field '%s'", s->field);
	return buf;
}

int mergever_push(mergever_list *l, const char *node, json_int_t k, json_int_t lamport, const json_t *value)
{
	mergever_entry e = {node, k, lamport, value};
	return ARRAY_PUSH(l, e);
}

void mergever_list_free(mergever_list *l) { ARRAY_FREE(l); }

int mergever_corrupt(const mergever_version *v, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return err_set(C2C_ECORRUPT, "merge: the %s version: %s", v->name, buf);
}

json_int_t mergever_clock_get(const json_t *clock, const char *node)
{
	return json_integer_value(json_object_get(clock, node));
}

int mergever_seen(const mergever_version *v, const mergever_entry *e)
{
	return mergever_clock_get(v->clock, e->node) >= e->k;
}

int mergever_dot_get(const json_t *a, size_t off, mergever_entry *e)
{
	const json_t *n = json_array_get(a, off), *k = json_array_get(a, off + 1), *l = json_array_get(a, off + 2);
	if (!json_is_string(n) || !json_is_integer(k) || !json_is_integer(l) || json_integer_value(k) < 0 ||
	    json_integer_value(l) < 0 || json_integer_value(k) > RECORD_CLOCK_MAX ||
	    json_integer_value(l) > RECORD_CLOCK_MAX)
		return 0;
	e->node = json_string_value(n);
	e->k = json_integer_value(k);
	e->lamport = json_integer_value(l);
	e->value = NULL;
	return 1;
}

/* The dot of an entry at A[OFF..] of version V (an array of SIZE), checked:
 * well-formed and seen by V's own clock. KIND and S name it. */
static int dot_check(const mergever_version *v, const json_t *a, size_t off, size_t size, const char *kind,
                     const mergever_subject *s, mergever_entry *e)
{
	char buf[256];
	if (!json_is_array(a) || json_array_size(a) != size || !mergever_dot_get(a, off, e))
		return mergever_corrupt(v, "%s of %s is not [node, counter, lamport]%s, each number from 0 to %lld", kind,
		                        mergever_subject_text(s, buf, sizeof(buf)), size > 3 ? " with its data" : "",
		                        RECORD_CLOCK_MAX);
	if (!mergever_seen(v, e))
		return mergever_corrupt(v, "%s of %s, [%s, %lld], is newer than the record's clock", kind,
		                        mergever_subject_text(s, buf, sizeof(buf)), e->node, (long long)e->k);
	return 0;
}

int mergever_legacy_deletion(const json_t *deleted) { return json_is_string(json_array_get(deleted, 0)); }

int mergever_read(mergever_version *v, const json_t *rec, const char *name)
{
	const char *k, *k2;
	const json_t *x, *y;
	mergever_entry e;
	int err;
	mergever_subject dels = {NULL, NULL};
	memset(v, 0, sizeof(*v));
	v->rec = rec;
	v->name = name;
	if (!json_is_object(rec))
		return mergever_corrupt(v, "a record must be a JSON object");
	v->meta = json_object_get(rec, "_c2c");
	if (v->meta && !json_is_object(v->meta))
		return mergever_corrupt(v, "\"_c2c\" is not an object");
	v->clock = json_object_get(v->meta, "clock");
	v->dots = json_object_get(v->meta, "dots");
	v->conflicts = json_object_get(v->meta, "conflicts");
	v->elems = json_object_get(v->meta, "elems");
	v->deleted = json_object_get(v->meta, "deleted");
	if (v->clock && !json_is_object(v->clock))
		return mergever_corrupt(v, "\"clock\" is not an object");
	json_object_foreach((json_t *)v->clock, k, x)
	{
		if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > RECORD_CLOCK_MAX)
			return mergever_corrupt(v, "clock entry '%s' is not a counter from 0 to %lld", k, RECORD_CLOCK_MAX);
	}
	if (v->dots && !json_is_object(v->dots))
		return mergever_corrupt(v, "\"dots\" is not an object");
	json_object_foreach((json_t *)v->dots, k, x)
	{
		mergever_subject s = {k, NULL};
		if ((err = dot_check(v, x, 0, 3, "the dot", &s, &e)) < 0)
			return err;
	}
	if (v->conflicts && !json_is_object(v->conflicts))
		return mergever_corrupt(v, "\"conflicts\" is not an object");
	json_object_foreach((json_t *)v->conflicts, k, x)
	{
		if (!json_is_array(x))
			return mergever_corrupt(v, "the conflicts of field '%s' are not a list", k);
		mergever_subject s = {k, NULL};
		for (size_t i = 0; i < json_array_size(x); i++)
			if ((err = dot_check(v, json_array_get(x, i), 1, 4, "a conflict", &s, &e)) < 0)
				return err;
	}
	if (v->elems && !json_is_object(v->elems))
		return mergever_corrupt(v, "\"elems\" is not an object");
	json_object_foreach((json_t *)v->elems, k, x)
	{
		if (!json_is_object(x))
			return mergever_corrupt(v, "the elements of field '%s' are not an object", k);
		json_object_foreach((json_t *)x, k2, y)
		{
			if (!json_is_array(y) || !json_array_size(y))
				return mergever_corrupt(v, "element '%s' of field '%s' has no dots", k2, k);
			mergever_subject s = {k, k2};
			for (size_t i = 0; i < json_array_size(y); i++)
				if ((err = dot_check(v, json_array_get(y, i), 0, 3, "a dot", &s, &e)) < 0)
					return err;
		}
	}
	if (v->deleted && !json_is_array(v->deleted))
		return mergever_corrupt(v, "\"deleted\" is not a list");
	if (mergever_legacy_deletion(v->deleted))
		return dot_check(v, v->deleted, 0, 3, "the entry", &dels, &e);
	for (size_t i = 0; i < json_array_size(v->deleted); i++) {
		x = json_array_get(v->deleted, i);
		if ((err = dot_check(v, x, 0, 4, "an entry", &dels, &e)) < 0)
			return err;
		if (!json_is_object(json_array_get(x, 3)))
			return mergever_corrupt(v, "deletion [%s, %lld] has no clock", e.node, (long long)e.k);
		json_object_foreach(json_array_get(x, 3), k, y)
		{
			if (!json_is_integer(y) || json_integer_value(y) < 0 || json_integer_value(y) > RECORD_CLOCK_MAX)
				return mergever_corrupt(v, "deletion [%s, %lld]: clock entry '%s' is not a counter from 0 to %lld", e.node,
				                        (long long)e.k, k, RECORD_CLOCK_MAX);
		}
	}
	return 0;
}

int mergever_dot_cmp(const mergever_entry *a, const mergever_entry *b)
{
	int c = strcmp(a->node, b->node);
	if (c)
		return c;
	return a->k < b->k ? -1 : a->k > b->k;
}

static int dot_cmp_q(const void *a, const void *b) { return mergever_dot_cmp(a, b); }

int mergever_rank_cmp(const void *pa, const void *pb)
{
	const mergever_entry *a = pa, *b = pb;
	if (a->lamport != b->lamport)
		return a->lamport > b->lamport ? -1 : 1;
	return -mergever_dot_cmp(a, b);
}

int mergever_sort_dots(const mergever_version *v, mergever_list *l, const mergever_subject *s)
{
	char buf[256];
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), dot_cmp_q);
	for (size_t i = 1; i < l->n; i++)
		if (!mergever_dot_cmp(&l->v[i - 1], &l->v[i]))
			return mergever_corrupt(v, "%s holds edit [%s, %lld] twice", mergever_subject_text(s, buf, sizeof(buf)),
			                        l->v[i].node, (long long)l->v[i].k);
	return 0;
}

int mergever_value_eq(const json_t *a, const json_t *b) { return a == b || (a && b && json_equal(a, b)); }

int mergever_field_entries(const mergever_version *v, const char *f, mergever_list *out)
{
	const json_t *val = json_object_get(v->rec, f), *dot = json_object_get(v->dots, f);
	const json_t *cs = json_object_get(v->conflicts, f);
	mergever_entry e;
	int err;
	if (json_is_null(val))
		val = NULL;
	if (dot) {
		mergever_dot_get(dot, 0, &e);
		if ((err = mergever_push(out, e.node, e.k, e.lamport, val)) < 0)
			return err;
	} else if (val && (err = mergever_push(out, "", 0, 0, val)) < 0) {
		return err;
	}
	for (size_t i = 0; i < json_array_size(cs); i++) {
		const json_t *c = json_array_get(cs, i), *cv = json_array_get(c, 0);
		mergever_dot_get(c, 1, &e);
		if ((err = mergever_push(out, e.node, e.k, e.lamport, json_is_null(cv) ? NULL : cv)) < 0)
			return err;
	}
	mergever_subject s = {f, NULL};
	return mergever_sort_dots(v, out, &s);
}

int mergever_dots_list(const mergever_version *v, const json_t *arr, const mergever_subject *subj, mergever_list *out)
{
	mergever_entry e;
	int err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		mergever_dot_get(json_array_get(arr, i), 0, &e);
		if ((err = mergever_push(out, e.node, e.k, e.lamport, NULL)) < 0)
			return err;
	}
	return mergever_sort_dots(v, out, subj);
}

int mergever_deletions(const mergever_version *v, mergever_list *out)
{
	mergever_entry e;
	int err;
	if (mergever_legacy_deletion(v->deleted)) {
		mergever_dot_get(v->deleted, 0, &e);
		return mergever_push(out, e.node, e.k, e.lamport, v->clock);
	}
	for (size_t i = 0; i < json_array_size(v->deleted); i++) {
		const json_t *d = json_array_get(v->deleted, i);
		mergever_dot_get(d, 0, &e);
		if ((err = mergever_push(out, e.node, e.k, e.lamport, json_array_get(d, 3))) < 0)
			return err;
	}
	mergever_subject subj = {NULL, NULL};
	return mergever_sort_dots(v, out, &subj);
}
