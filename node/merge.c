#include "c2c/merge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/record.h"

/* The join of merge.h. Choices the header leaves open:
 *
 * - A field with a value but no dot (the genesis records of refdata.c carry
 *   no "_c2c" at all; an office edit then stamps only the fields it changes)
 *   has the implicit zero dot ["", 0, 0]. Every version has seen it
 *   (clock[""] >= 0), so it survives only where both versions hold it, and
 *   any real edit of the field supersedes it. A zero dot is never written
 *   out: a genesis record joined with itself stays byte for byte the same.
 *   Two versions holding different values under the zero dot are corrupt.
 * - The same dot (node, k) with a different lamport, value (scalar fields)
 *   or clock (deletions) in the two versions: C2C_ECORRUPT naming the field
 *   and the dot. A dot that its own version's clock has not seen, or that a
 *   version holds twice for one field or element, is corrupt as well.
 * - An entry of a field that one version has seen and lacks, while that
 *   version holds no later entry of the field (by Lamport time) to have
 *   superseded it: C2C_ECORRUPT (one node's two edits under one dot; see
 *   join_entries).
 * - Concurrent entries with equal values all stay in "conflicts" (dropping
 *   them would break associativity: a later edit that saw only one of them
 *   must still conflict with the other). merge_has_conflicts ignores a
 *   conflict whose value equals the standing value; so should any listing.
 * - Set fields (elems[f] on either side): the value is the sorted elements
 *   that have surviving adds, dots[f] the greatest surviving dot of the
 *   field's entries, and conflicts[f] the other surviving dots, each with a
 *   null value, ranked like a scalar's. They are never open conflicts
 *   (merge_field_open); they are kept so that a concurrent deletion does not
 *   erase an outranked set edit (one that only removed elements leaves no
 *   other trace). elems[f] stays in the result even
 *   when no element is left ({}), so that the field stays a set in every
 *   later join: were it to fall back to a scalar join, which keeps all
 *   concurrent entries, the result would depend on the order of joins.
 *   (A set cleared by write.c loses its elems[f]; sets cleared concurrently
 *   on two nodes that way join as scalars, with null conflicts, which equal
 *   the absent value and so are no open conflict.) A version without
 *   elems[f] (a record from before elems existed) contributes each element
 *   of each of its entries' array values with that entry's dot. A version
 *   with elems[f] whose value is not exactly those elements is corrupt.
 * - "deleted" in the older form [node, k, lamport] (one deletion, before
 *   deletions kept their clock) is read as [[node, k, lamport, clock]] with
 *   the record's own clock, which is what it had seen.
 * - Other keys of "_c2c" (written by newer nodes) are kept; when the two
 *   versions differ, the value whose canonical text sorts higher by bytes
 *   (a shorter prefix lower) is taken.
 * - Empty "clock", "dots", "conflicts", "elems", "deleted" and "_c2c" are
 *   left out; a clock keeps zero counters it was given.
 * - merge_records(a, NULL) checks A and returns a deep copy of it. */

typedef struct {
	const char *node;
	json_int_t k, lamport;
	/* Field entries: the value (NULL: cleared). Deletions: the clock seen. */
	const json_t *value;
} entry;

typedef struct {
	entry *v;
	size_t n, cap;
} elist;

typedef struct {
	const json_t *rec, *meta, *clock, *dots, *conflicts, *elems, *deleted;
	const char *name; /* for messages */
} version;

/* What an entry list belongs to, for messages: a field, an element of a set
 * field, or (field NULL) the deletions. Formatted only on error. */
typedef struct {
	const char *field, *elem;
} subject;

static const char *subject_text(const subject *s, char *buf, size_t size)
{
	if (!s->field)
		snprintf(buf, size, "the deletions");
	else if (s->elem)
		snprintf(buf, size, "element '%s' of field '%s'", s->elem, s->field);
	else
		snprintf(buf, size, "field '%s'", s->field);
	return buf;
}

static const char *const known_meta[] = {"clock", "dots", "conflicts", "elems", "deleted"};

static int oom(void) { return err_set(C2C_ENOMEM, "out of memory merging a record"); }

static int el_push(elist *l, const char *node, json_int_t k, json_int_t lamport, const json_t *value)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		entry *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return oom();
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n].node = node;
	l->v[l->n].k = k;
	l->v[l->n].lamport = lamport;
	l->v[l->n].value = value;
	l->n++;
	return 0;
}

static void el_free(elist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Set K of O to V (stolen); ENOMEM if V is NULL or the set fails. */
static int put(json_t *o, const char *k, json_t *v)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		return oom();
	return 0;
}

static int append(json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) < 0)
		return oom();
	return 0;
}

static int corrupt(const version *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int corrupt(const version *v, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return err_set(C2C_ECORRUPT, "merge: the %s version: %s", v->name, buf);
}

static json_int_t clock_get(const json_t *clock, const char *node)
{
	return json_integer_value(json_object_get(clock, node));
}

/* Has V seen the edit E? Every version has seen the zero dot. */
static int seen(const version *v, const entry *e) { return clock_get(v->clock, e->node) >= e->k; }

/* Read the dot [node, k, lamport] at A[OFF..OFF+2] into E. 1 if well-formed. */
static int dot_get(const json_t *a, size_t off, entry *e)
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
static int dot_check(const version *v, const json_t *a, size_t off, size_t size, const char *kind, const subject *s,
                     entry *e)
{
	char buf[256];
	if (!json_is_array(a) || json_array_size(a) != size || !dot_get(a, off, e))
		return corrupt(v, "%s of %s is not [node, counter, lamport]%s, each number from 0 to %lld", kind,
		               subject_text(s, buf, sizeof(buf)), size > 3 ? " with its data" : "", RECORD_CLOCK_MAX);
	if (!seen(v, e))
		return corrupt(v, "%s of %s, [%s, %lld], is newer than the record's clock", kind,
		               subject_text(s, buf, sizeof(buf)), e->node, (long long)e->k);
	return 0;
}

static int is_legacy_deletion(const json_t *deleted) { return json_is_string(json_array_get(deleted, 0)); }

/* Check the bookkeeping of REC and fill V. */
static int version_read(version *v, const json_t *rec, const char *name)
{
	const char *k, *k2;
	const json_t *x, *y;
	entry e;
	int err;
	subject dels = {NULL, NULL};
	memset(v, 0, sizeof(*v));
	v->rec = rec;
	v->name = name;
	if (!json_is_object(rec))
		return corrupt(v, "a record must be a JSON object");
	v->meta = json_object_get(rec, "_c2c");
	if (v->meta && !json_is_object(v->meta))
		return corrupt(v, "\"_c2c\" is not an object");
	v->clock = json_object_get(v->meta, "clock");
	v->dots = json_object_get(v->meta, "dots");
	v->conflicts = json_object_get(v->meta, "conflicts");
	v->elems = json_object_get(v->meta, "elems");
	v->deleted = json_object_get(v->meta, "deleted");
	if (v->clock && !json_is_object(v->clock))
		return corrupt(v, "\"clock\" is not an object");
	json_object_foreach((json_t *)v->clock, k, x)
	{
		if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > RECORD_CLOCK_MAX)
			return corrupt(v, "clock entry '%s' is not a counter from 0 to %lld", k, RECORD_CLOCK_MAX);
	}
	if (v->dots && !json_is_object(v->dots))
		return corrupt(v, "\"dots\" is not an object");
	json_object_foreach((json_t *)v->dots, k, x)
	{
		subject s = {k, NULL};
		if ((err = dot_check(v, x, 0, 3, "the dot", &s, &e)) < 0)
			return err;
	}
	if (v->conflicts && !json_is_object(v->conflicts))
		return corrupt(v, "\"conflicts\" is not an object");
	json_object_foreach((json_t *)v->conflicts, k, x)
	{
		if (!json_is_array(x))
			return corrupt(v, "the conflicts of field '%s' are not a list", k);
		subject s = {k, NULL};
		for (size_t i = 0; i < json_array_size(x); i++)
			if ((err = dot_check(v, json_array_get(x, i), 1, 4, "a conflict", &s, &e)) < 0)
				return err;
	}
	if (v->elems && !json_is_object(v->elems))
		return corrupt(v, "\"elems\" is not an object");
	json_object_foreach((json_t *)v->elems, k, x)
	{
		if (!json_is_object(x))
			return corrupt(v, "the elements of field '%s' are not an object", k);
		json_object_foreach((json_t *)x, k2, y)
		{
			if (!json_is_array(y) || !json_array_size(y))
				return corrupt(v, "element '%s' of field '%s' has no dots", k2, k);
			subject s = {k, k2};
			for (size_t i = 0; i < json_array_size(y); i++)
				if ((err = dot_check(v, json_array_get(y, i), 0, 3, "a dot", &s, &e)) < 0)
					return err;
		}
	}
	if (v->deleted && !json_is_array(v->deleted))
		return corrupt(v, "\"deleted\" is not a list");
	if (is_legacy_deletion(v->deleted))
		return dot_check(v, v->deleted, 0, 3, "the entry", &dels, &e);
	for (size_t i = 0; i < json_array_size(v->deleted); i++) {
		x = json_array_get(v->deleted, i);
		if ((err = dot_check(v, x, 0, 4, "an entry", &dels, &e)) < 0)
			return err;
		if (!json_is_object(json_array_get(x, 3)))
			return corrupt(v, "deletion [%s, %lld] has no clock", e.node, (long long)e.k);
		json_object_foreach(json_array_get(x, 3), k, y)
		{
			if (!json_is_integer(y) || json_integer_value(y) < 0 || json_integer_value(y) > RECORD_CLOCK_MAX)
				return corrupt(v, "deletion [%s, %lld]: clock entry '%s' is not a counter from 0 to %lld", e.node,
				               (long long)e.k, k, RECORD_CLOCK_MAX);
		}
	}
	return 0;
}

static int dot_cmp(const entry *a, const entry *b)
{
	int c = strcmp(a->node, b->node);
	if (c)
		return c;
	return a->k < b->k ? -1 : a->k > b->k;
}

static int dot_cmp_q(const void *a, const void *b) { return dot_cmp(a, b); }

/* Descending by (lamport, node, k): the first entry stands. */
static int rank_cmp_q(const void *pa, const void *pb)
{
	const entry *a = pa, *b = pb;
	if (a->lamport != b->lamport)
		return a->lamport > b->lamport ? -1 : 1;
	return -dot_cmp(a, b);
}

/* Sort L by dot; a version holding a dot twice is corrupt. */
static int sort_dots(const version *v, elist *l, const subject *s)
{
	char buf[256];
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), dot_cmp_q);
	for (size_t i = 1; i < l->n; i++)
		if (!dot_cmp(&l->v[i - 1], &l->v[i]))
			return corrupt(v, "%s holds edit [%s, %lld] twice", subject_text(s, buf, sizeof(buf)), l->v[i].node,
			               (long long)l->v[i].k);
	return 0;
}

static int value_eq(const json_t *a, const json_t *b) { return a == b || (a && b && json_equal(a, b)); }

/* The entries of field F in V, sorted by dot: the standing value with its
 * dot (the zero dot if the field has a value but no dot), and the open
 * conflicts. A null value is NULL. */
static int field_entries(const version *v, const char *f, elist *out)
{
	const json_t *val = json_object_get(v->rec, f), *dot = json_object_get(v->dots, f);
	const json_t *cs = json_object_get(v->conflicts, f);
	entry e;
	int err;
	if (json_is_null(val))
		val = NULL;
	if (dot) {
		dot_get(dot, 0, &e);
		if ((err = el_push(out, e.node, e.k, e.lamport, val)) < 0)
			return err;
	} else if (val && (err = el_push(out, "", 0, 0, val)) < 0) {
		return err;
	}
	for (size_t i = 0; i < json_array_size(cs); i++) {
		const json_t *c = json_array_get(cs, i), *cv = json_array_get(c, 0);
		dot_get(c, 1, &e);
		if ((err = el_push(out, e.node, e.k, e.lamport, json_is_null(cv) ? NULL : cv)) < 0)
			return err;
	}
	subject s = {f, NULL};
	return sort_dots(v, out, &s);
}

/* Is there an entry in L with a Lamport time after LAMPORT? */
static int has_later(const elist *l, json_int_t lamport)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].lamport > lamport)
			return 1;
	return 0;
}

enum {
	J_VALUES = 1, /* the same dot must carry the same value on both sides */
	J_LATER = 2   /* an entry the other side has seen but lacks needs a later one there */
};

/* The survivors of A's entries (of version VA) and B's (of VB), both sorted
 * by dot: an entry survives if the other version holds the same dot or has
 * not seen it. OUT comes sorted by dot. FLAGS: J_VALUES, J_LATER.
 *
 * J_LATER, for the entries of one field: a version drops an entry it has
 * seen only when an edit of that field supersedes it, and that edit came
 * after it, so its Lamport time is greater (write.c stamps past everything
 * the record held; incoming.h, I5). A version that has seen an entry, lacks
 * it, and holds no later entry of the field contradicts the other: one node
 * made two different edits under one dot (two commits on one parent, each
 * a clock step of its own), and their join would silently lose both (each
 * side's clock hides the other's entry). The zero dot is not an edit: any
 * version may drop it (merge.h). */
static int join_entries(const version *va, const elist *a, const version *vb, const elist *b, int flags,
                        const subject *subj, elist *out)
{
	char buf[256];
	size_t i = 0, j = 0;
	int err, values = flags & J_VALUES;
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : dot_cmp(&a->v[i], &b->v[j]);
		const entry *e = c <= 0 ? &a->v[i] : &b->v[j];
		int keep;
		if (c == 0) {
			if (a->v[i].lamport != b->v[j].lamport || (values && !value_eq(a->v[i].value, b->v[j].value))) {
				subject_text(subj, buf, sizeof(buf));
				if (!e->k)
					return err_set(C2C_ECORRUPT, "merge: %s: the value written without a dot differs in the two versions", buf);
				return err_set(C2C_ECORRUPT, "merge: %s: edit [%s, %lld] carries different data in the two versions",
				               buf, e->node, (long long)e->k);
			}
			keep = 1;
			i++, j++;
		} else if (c < 0) {
			keep = !seen(vb, e);
			i++;
		} else {
			keep = !seen(va, e);
			j++;
		}
		if (!keep && (flags & J_LATER) && e->k > 0 && !has_later(c < 0 ? b : a, e->lamport)) {
			subject_text(subj, buf, sizeof(buf));
			return err_set(C2C_ECORRUPT,
			               "merge: %s: edit [%s, %lld] is missing from a version that has seen it and holds no "
			               "later edit of the field (two edits under one dot)",
			               buf, e->node, (long long)e->k);
		}
		if (keep && (err = el_push(out, e->node, e->k, e->lamport, e->value)) < 0)
			return err;
	}
	return 0;
}

/* [node, k, lamport], or with VALUE first, [value, node, k, lamport]
 * (VALUE stolen; NULL for none). NULL when out of memory. */
static json_t *dot_json_with(const entry *e, json_t *value)
{
	json_t *a = json_array();
	if (!a) {
		json_decref(value);
		return NULL;
	}
	if ((value && json_array_append_new(a, value) < 0) || json_array_append_new(a, json_string(e->node)) < 0 ||
	    json_array_append_new(a, json_integer(e->k)) < 0 || json_array_append_new(a, json_integer(e->lamport)) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *dot_json(const entry *e) { return dot_json_with(e, NULL); }

/* Join scalar field F. */
static int join_scalar(const version *va, const version *vb, const char *f, json_t *out, json_t *dots, json_t *conflicts)
{
	elist a = {0}, b = {0}, s = {0};
	subject subj = {f, NULL};
	int err;
	if ((err = field_entries(va, f, &a)) < 0 || (err = field_entries(vb, f, &b)) < 0 ||
	    (err = join_entries(va, &a, vb, &b, J_VALUES | J_LATER, &subj, &s)) < 0 || !s.n)
		goto done;
	qsort(s.v, s.n, sizeof(*s.v), rank_cmp_q);
	if (s.v[0].value && (err = put(out, f, json_deep_copy(s.v[0].value))) < 0)
		goto done;
	if (s.v[0].k > 0 && (err = put(dots, f, dot_json(&s.v[0]))) < 0)
		goto done;
	if (s.n > 1) {
		json_t *cs = json_array();
		if ((err = put(conflicts, f, cs)) < 0)
			goto done;
		for (size_t i = 1; i < s.n; i++) {
			const entry *e = &s.v[i];
			json_t *val = e->value ? json_deep_copy(e->value) : json_null();
			if ((err = append(cs, val ? dot_json_with(e, val) : NULL)) < 0)
				goto done;
		}
	}
done:
	el_free(&a);
	el_free(&b);
	el_free(&s);
	return err;
}

/* Is S among the strings of array A? */
static int has_string(const json_t *a, const char *s)
{
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!strcmp(json_string_value(json_array_get(a, i)), s))
			return 1;
	return 0;
}

static int all_strings(const json_t *a)
{
	if (!json_is_array(a))
		return 0;
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)))
			return 0;
	return 1;
}

/* The elements of set field F in V: *map gets {element: [dot, ...]}, a new
 * reference. From elems[f] when V has it (and then V's value must be those
 * elements), else from the array values of the field's entries ENT. */
static int set_elements(const version *v, const char *f, const elist *ent, json_t **map)
{
	const json_t *fe = json_object_get(v->elems, f), *val = json_object_get(v->rec, f), *x;
	const char *k;
	*map = NULL;
	if (fe) {
		size_t n = json_is_null(val) ? 0 : json_array_size(val);
		if ((!json_is_null(val) && val && !all_strings(val)) || n != json_object_size(fe))
			return corrupt(v, "set field '%s' does not hold the elements listed in \"elems\"", f);
		for (size_t i = 0; i < n; i++)
			if (!json_object_get(fe, json_string_value(json_array_get(val, i))))
				return corrupt(v, "set field '%s' does not hold the elements listed in \"elems\"", f);
		json_object_foreach((json_t *)fe, k, x)
		{
			if (!has_string(val, k))
				return corrupt(v, "set field '%s' does not hold the elements listed in \"elems\"", f);
		}
		*map = json_incref((json_t *)fe);
		return 0;
	}
	json_t *m = json_object();
	if (!m)
		return oom();
	for (size_t i = 0; i < ent->n; i++) {
		const entry *e = &ent->v[i];
		if (!e->value)
			continue;
		if (!all_strings(e->value)) {
			json_decref(m);
			return corrupt(v, "field '%s' is a set in the other version but holds %s here", f,
			               json_is_array(e->value) ? "a list of non-text values" : "a single value");
		}
		for (size_t j = 0; j < json_array_size(e->value); j++) {
			const char *el = json_string_value(json_array_get(e->value, j));
			json_t *ds = json_object_get(m, el);
			if (!ds && put(m, el, ds = json_array()) < 0) {
				json_decref(m);
				return oom();
			}
			entry last;
			size_t nd = json_array_size(ds);
			if (nd && dot_get(json_array_get(ds, nd - 1), 0, &last) && !dot_cmp(&last, e))
				continue; /* the same element twice in one value */
			if (append(ds, dot_json(e)) < 0) {
				json_decref(m);
				return oom();
			}
		}
	}
	*map = m;
	return 0;
}

static int str_cmp_q(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The keys of objects A and B (either may be NULL), sorted, without
 * duplicates; borrowed from the objects. *out malloc'd. */
static int union_keys(const json_t *a, const json_t *b, const char ***out, size_t *n)
{
	size_t cap = json_object_size(a) + json_object_size(b), m = 0;
	const char **v = malloc((cap ? cap : 1) * sizeof(*v));
	const char *k;
	const json_t *x;
	if (!v)
		return oom();
	json_object_foreach((json_t *)a, k, x) v[m++] = k;
	json_object_foreach((json_t *)b, k, x)
	{
		if (!json_object_get(a, k))
			v[m++] = k;
	}
	qsort(v, m, sizeof(*v), str_cmp_q);
	*out = v;
	*n = m;
	return 0;
}

static int dots_list(const version *v, const json_t *arr, const subject *subj, elist *out)
{
	entry e;
	int err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		dot_get(json_array_get(arr, i), 0, &e);
		if ((err = el_push(out, e.node, e.k, e.lamport, NULL)) < 0)
			return err;
	}
	return sort_dots(v, out, subj);
}

/* Join set field F: element by element. */
static int join_set(const version *va, const version *vb, const char *f, json_t *out, json_t *dots, json_t *conflicts,
                    json_t *elems)
{
	elist a = {0}, b = {0}, s = {0};
	json_t *ma = NULL, *mb = NULL, *value = NULL, *fe = NULL;
	const char **keys = NULL;
	size_t nk = 0;
	subject subj = {f, NULL};
	int err;
	if ((err = field_entries(va, f, &a)) < 0 || (err = field_entries(vb, f, &b)) < 0 ||
	    (err = set_elements(va, f, &a, &ma)) < 0 || (err = set_elements(vb, f, &b, &mb)) < 0 ||
	    (err = join_entries(va, &a, vb, &b, J_LATER, &subj, &s)) < 0)
		goto done;
	/* The standing dot: the greatest surviving entry; the others stay as
	 * conflicts with no value, never open, so that a deletion that has not
	 * seen them cannot erase the edits they stand for. */
	if (s.n) {
		qsort(s.v, s.n, sizeof(*s.v), rank_cmp_q);
		if (s.v[0].k > 0 && (err = put(dots, f, dot_json(&s.v[0]))) < 0)
			goto done;
	}
	if (s.n > 1) {
		json_t *cs = json_array();
		if ((err = put(conflicts, f, cs)) < 0)
			goto done;
		for (size_t i = 1; i < s.n; i++)
			if ((err = append(cs, dot_json_with(&s.v[i], json_null()))) < 0)
				goto done;
	}
	if ((err = union_keys(ma, mb, &keys, &nk)) < 0)
		goto done;
	value = json_array();
	fe = json_object();
	if (!value || !fe) {
		err = oom();
		goto done;
	}
	for (size_t i = 0; i < nk; i++) {
		el_free(&a);
		el_free(&b);
		el_free(&s);
		subj.elem = keys[i];
		if ((err = dots_list(va, json_object_get(ma, keys[i]), &subj, &a)) < 0 ||
		    (err = dots_list(vb, json_object_get(mb, keys[i]), &subj, &b)) < 0 ||
		    (err = join_entries(va, &a, vb, &b, 0, &subj, &s)) < 0)
			goto done;
		if (!s.n)
			continue;
		json_t *ds = json_array();
		if ((err = put(fe, keys[i], ds)) < 0 || (err = append(value, json_string(keys[i]))) < 0)
			goto done;
		for (size_t j = 0; j < s.n; j++)
			if ((err = append(ds, dot_json(&s.v[j]))) < 0)
				goto done;
	}
	/* elems[f] stays, if empty, so that the field stays a set in later joins. */
	if ((err = put(elems, f, json_incref(fe))) < 0 ||
	    (json_array_size(value) && (err = put(out, f, json_incref(value))) < 0))
		goto done;
done:
	json_decref(value);
	json_decref(fe);
	json_decref(ma);
	json_decref(mb);
	free(keys);
	el_free(&a);
	el_free(&b);
	el_free(&s);
	return err;
}

/* The deletions of V, sorted by dot; each entry's value is its clock. */
static int deletions(const version *v, elist *out)
{
	entry e;
	int err;
	if (is_legacy_deletion(v->deleted)) {
		dot_get(v->deleted, 0, &e);
		return el_push(out, e.node, e.k, e.lamport, v->clock);
	}
	for (size_t i = 0; i < json_array_size(v->deleted); i++) {
		const json_t *d = json_array_get(v->deleted, i);
		dot_get(d, 0, &e);
		if ((err = el_push(out, e.node, e.k, e.lamport, json_array_get(d, 3))) < 0)
			return err;
	}
	subject subj = {NULL, NULL};
	return sort_dots(v, out, &subj);
}

static int join_deleted(const version *va, const version *vb, json_t *meta)
{
	elist a = {0}, b = {0}, s = {0};
	subject subj = {NULL, NULL};
	int err;
	if ((err = deletions(va, &a)) < 0 || (err = deletions(vb, &b)) < 0 ||
	    (err = join_entries(va, &a, vb, &b, J_VALUES, &subj, &s)) < 0 || !s.n)
		goto done;
	json_t *arr = json_array();
	if ((err = put(meta, "deleted", arr)) < 0)
		goto done;
	for (size_t i = 0; i < s.n; i++) {
		const entry *e = &s.v[i];
		json_t *c = e->value ? json_deep_copy(e->value) : json_object();
		if ((err = append(arr, c ? json_pack("[sIIo]", e->node, e->k, e->lamport, c) : NULL)) < 0)
			goto done;
	}
done:
	el_free(&a);
	el_free(&b);
	el_free(&s);
	return err;
}

static int join_clock(const version *va, const version *vb, json_t *meta)
{
	const char **keys = NULL;
	size_t n = 0;
	int err;
	if ((err = union_keys(va->clock, vb->clock, &keys, &n)) < 0 || !n)
		goto done;
	json_t *c = json_object();
	if ((err = put(meta, "clock", c)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		json_int_t x = clock_get(va->clock, keys[i]), y = clock_get(vb->clock, keys[i]);
		if ((err = put(c, keys[i], json_integer(x > y ? x : y))) < 0)
			goto done;
	}
done:
	free(keys);
	return err;
}

static int is_known_meta(const char *k)
{
	for (size_t i = 0; i < sizeof(known_meta) / sizeof(known_meta[0]); i++)
		if (!strcmp(k, known_meta[i]))
			return 1;
	return 0;
}

/* Keys of "_c2c" this program does not know: the one whose canonical text
 * sorts higher wins. */
static int join_unknown_meta(const version *va, const version *vb, json_t *meta)
{
	const char **keys = NULL;
	size_t n = 0;
	int err;
	if ((err = union_keys(va->meta, vb->meta, &keys, &n)) < 0)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		if (is_known_meta(keys[i]))
			continue;
		const json_t *x = json_object_get(va->meta, keys[i]), *y = json_object_get(vb->meta, keys[i]);
		if (x && y && !json_equal(x, y)) {
			char *tx = NULL, *ty = NULL;
			size_t lx = 0, ly = 0;
			if ((err = canon_dump(x, &tx, &lx)) == 0 && (err = canon_dump(y, &ty, &ly)) == 0) {
				int c = memcmp(tx, ty, lx < ly ? lx : ly);
				if (c < 0 || (c == 0 && lx < ly))
					x = y;
			}
			free(tx);
			free(ty);
			if (err < 0)
				break;
		}
		err = put(meta, keys[i], json_deep_copy(x ? x : y));
	}
	free(keys);
	return err;
}

/* Every field name of V: its values, dots, conflicts and elements. */
static int add_names(const version *v, json_t *names)
{
	const json_t *objs[4] = {v->rec, v->dots, v->conflicts, v->elems}, *x;
	const char *k;
	for (size_t i = 0; i < 4; i++) {
		json_object_foreach((json_t *)objs[i], k, x)
		{
			if (i == 0 && !strcmp(k, "_c2c"))
				continue;
			if (json_object_set_new(names, k, json_true()) < 0)
				return oom();
		}
	}
	return 0;
}

static int join(const version *va, const version *vb, json_t **out)
{
	json_t *rec = json_object(), *meta = json_object(), *names = json_object();
	json_t *dots = json_object(), *conflicts = json_object(), *elems = json_object();
	const char **keys = NULL;
	size_t n = 0;
	int err;
	if (!rec || !meta || !names || !dots || !conflicts || !elems) {
		err = oom();
		goto done;
	}
	if ((err = add_names(va, names)) < 0 || (err = add_names(vb, names)) < 0 ||
	    (err = union_keys(names, NULL, &keys, &n)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		int set = json_object_get(va->elems, keys[i]) || json_object_get(vb->elems, keys[i]);
		err = set ? join_set(va, vb, keys[i], rec, dots, conflicts, elems) : join_scalar(va, vb, keys[i], rec, dots, conflicts);
		if (err < 0)
			goto done;
	}
	if ((err = join_clock(va, vb, meta)) < 0 || (err = join_deleted(va, vb, meta)) < 0 ||
	    (err = join_unknown_meta(va, vb, meta)) < 0)
		goto done;
	json_t *parts[3] = {dots, conflicts, elems};
	const char *pnames[3] = {"dots", "conflicts", "elems"};
	for (size_t i = 0; i < 3; i++) {
		if (json_object_size(parts[i]) && (err = put(meta, pnames[i], json_incref(parts[i]))) < 0)
			goto done;
	}
	if (json_object_size(meta) && (err = put(rec, "_c2c", json_incref(meta))) < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	free(keys);
	json_decref(rec);
	json_decref(meta);
	json_decref(names);
	json_decref(dots);
	json_decref(conflicts);
	json_decref(elems);
	return err;
}

int merge_records(const json_t *a, const json_t *b, json_t **out)
{
	version va, vb;
	int err;
	*out = NULL;
	if (a && (err = version_read(&va, a, "first")) < 0)
		return err;
	if (b && (err = version_read(&vb, b, "second")) < 0)
		return err;
	if (!a || !b) {
		/* One version is checked by a join with itself too: only the join
		 * reads a set field's value against its "elems" (found by fuzzing:
		 * a record that passed the check could fail every later merge). */
		json_t *self = NULL;
		if ((a || b) && (err = join(a ? &va : &vb, a ? &va : &vb, &self)) < 0)
			return err;
		json_decref(self);
		if ((a || b) && !(*out = json_deep_copy(a ? a : b)))
			return oom();
		return 0;
	}
	return join(&va, &vb, out);
}

/* Call FN(node, k, payload) for each edit REC holds: standing dots,
 * conflicts and set elements. Stops at the first nonzero return. */
static int each_edit(const json_t *meta, int (*fn)(const char *, json_int_t, const json_t *), const json_t *payload)
{
	const json_t *x, *y, *z;
	const char *k, *k2;
	entry e;
	json_object_foreach(json_object_get(meta, "dots"), k, x)
	{
		if (dot_get(x, 0, &e) && fn(e.node, e.k, payload))
			return 1;
	}
	json_object_foreach(json_object_get(meta, "conflicts"), k, x)
	{
		for (size_t i = 0; i < json_array_size(x); i++)
			if (dot_get(json_array_get(x, i), 1, &e) && fn(e.node, e.k, payload))
				return 1;
	}
	json_object_foreach(json_object_get(meta, "elems"), k, x)
	{
		json_object_foreach((json_t *)x, k2, y)
		{
			for (size_t i = 0; i < json_array_size(y); i++)
				if ((z = json_array_get(y, i)) && dot_get(z, 0, &e) && fn(e.node, e.k, payload))
					return 1;
		}
	}
	return 0;
}

/* 1 if no deletion of META ("deleted" as PAYLOAD) has seen edit (NODE, K). */
static int unseen_by_deletions(const char *node, json_int_t k, const json_t *meta)
{
	const json_t *deleted = json_object_get(meta, "deleted");
	if (is_legacy_deletion(deleted))
		return clock_get(json_object_get(meta, "clock"), node) < k;
	for (size_t i = 0; i < json_array_size(deleted); i++)
		if (clock_get(json_array_get(json_array_get(deleted, i), 3), node) >= k)
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
		if (!value_eq(standing, json_is_null(v) ? NULL : v))
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
