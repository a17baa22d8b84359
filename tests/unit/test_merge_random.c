/* Unit tests of the join of record versions (include/c2c/merge.h): random
 * histories checked against the algebra (commutative, associative,
 * idempotent), convergence, an oracle that recomputes from the log of every
 * edit what each version must hold, and the order the merge-base shortcut
 * of mergetree.h relies on: every version holds each earlier version of its
 * history (their join is the later one). */
#include "merge_fixture.h"

/* --------------------------------------------------- random histories */

#define NFIELDS 6
static const char *const fields[NFIELDS] = {"s0", "s1", "s2", "u_later", "t0", "t1"};
static int is_set_field(const char *f) { return f[0] == 't'; }

/* One operation in the log: the writer's version right after it. */
typedef struct {
	json_t *after;
	char node[16]; /* "" and k 0: the genesis record */
	long long k, lamport;
	int rm;
} event;

typedef struct {
	event *ev;
	size_t nev, cap;
	json_t **pool; /* every version made */
	size_t npool, pcap;
} history;

static void log_event(history *h, const tnode *n, int rm)
{
	if (h->nev == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 32;
		h->ev = realloc(h->ev, h->cap * sizeof(*h->ev));
	}
	event *e = &h->ev[h->nev++];
	memset(e, 0, sizeof(*e));
	e->after = json_deep_copy(n->v);
	snprintf(e->node, sizeof(e->node), "%s", n->id);
	e->k = json_integer_value(json_object_get(meta_of(n->v, "clock"), n->id));
	e->lamport = n->lamport;
	e->rm = rm;
}

static void pool_add(history *h, const json_t *v)
{
	if (!v)
		return;
	if (h->npool == h->pcap) {
		h->pcap = h->pcap ? 2 * h->pcap : 32;
		h->pool = realloc(h->pool, h->pcap * sizeof(*h->pool));
	}
	h->pool[h->npool++] = json_deep_copy(v);
}

static void history_free(history *h)
{
	for (size_t i = 0; i < h->nev; i++)
		json_decref(h->ev[i].after);
	for (size_t i = 0; i < h->npool; i++)
		json_decref(h->pool[i]);
	free(h->ev);
	free(h->pool);
	memset(h, 0, sizeof(*h));
}

static long long clock_at(const json_t *rec, const char *node)
{
	return json_integer_value(json_object_get(meta_of(rec, "clock"), node));
}

/* Has version V seen edit (NODE, K)? */
static int saw(const json_t *v, const char *node, long long k) { return clock_at(v, node) >= k; }

/* Did event E write field F? */
static int wrote(const event *e, const char *f)
{
	if (!e->k)
		return json_object_get(e->after, f) != NULL;
	const json_t *d = json_object_get(meta_of(e->after, "dots"), f);
	return d && !strcmp(json_string_value(json_array_get(d, 0)), e->node) &&
	       json_integer_value(json_array_get(d, 1)) == e->k;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = malloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static char *entry_key(const char *node, long long k, long long lamport, const json_t *v)
{
	char *t = text(json_is_null(v) ? NULL : v), *s = fmt("%s|%lld|%lld|%s", node, k, lamport, t);
	free(t);
	return s;
}

static int str_cmp_q(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct {
	char **v;
	size_t n, cap;
} strs;

static void strs_add(strs *s, char *x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

/* Sorted, duplicates dropped, joined by newlines; frees S. */
static char *strs_join(strs *s)
{
	size_t len = 1, m = 0;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), str_cmp_q);
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	char *out = malloc(len), *p = out;
	for (size_t i = 0; i < s->n; i++) {
		if (i && !strcmp(s->v[i], s->v[m])) {
			free(s->v[i]);
			continue;
		}
		if (i)
			free(s->v[m]);
		m = i;
		p += sprintf(p, "%s\n", s->v[i]);
	}
	if (s->n)
		free(s->v[m]);
	*p = '\0';
	free(s->v);
	memset(s, 0, sizeof(*s));
	return out;
}

static void same_text(char *want, char *got, const json_t *v, const char *what)
{
	if (strcmp(want, got)) {
		char *c = canon(v);
		fail_msg("seed %u: %s: expected\n%sgot\n%sin\n%s", cur_seed, what, want, got, c);
	}
	free(want);
	free(got);
}

/* The dots REC holds for element EL of set field F: from "elems", or for a
 * set written before "elems", the field's dot (the zero dot if none). */
static void elem_dots(const json_t *rec, const char *f, const char *el, strs *out)
{
	const json_t *fe = json_object_get(meta_of(rec, "elems"), f);
	if (fe) {
		const json_t *ds = json_object_get(fe, el);
		for (size_t i = 0; i < json_array_size(ds); i++) {
			const json_t *d = json_array_get(ds, i);
			strs_add(out, entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
			                        json_integer_value(json_array_get(d, 2)), NULL));
		}
		return;
	}
	const json_t *v = json_object_get(rec, f), *d = json_object_get(meta_of(rec, "dots"), f);
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!strcmp(json_string_value(json_array_get(v, i)), el))
			strs_add(out, d ? entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
			                            json_integer_value(json_array_get(d, 2)), NULL)
			                : entry_key("", 0, 0, NULL));
}

static int holds_dot(const json_t *rec, const char *f, const char *el, const char *key)
{
	strs s = {0};
	int found = 0;
	elem_dots(rec, f, el, &s);
	for (size_t i = 0; i < s.n; i++) {
		found |= !strcmp(s.v[i], key);
		free(s.v[i]);
	}
	free(s.v);
	return found;
}

/* The elements of set field F of REC. */
static void elements(const json_t *rec, const char *f, strs *out)
{
	const json_t *fe = json_object_get(meta_of(rec, "elems"), f), *x;
	const char *k;
	if (fe) {
		json_object_foreach((json_t *)fe, k, x) strs_add(out, strdup(k));
		return;
	}
	const json_t *v = json_object_get(rec, f);
	for (size_t i = 0; i < json_array_size(v); i++)
		strs_add(out, strdup(json_string_value(json_array_get(v, i))));
}

/* The oracle: from the log of every edit, what version V must hold. Per
 * field, its entries are the writes V has seen that no other write V has
 * seen had seen; a set's element keeps each adding dot that every write of
 * the field which saw it kept; the deletions are those V has seen that no
 * later operation V has seen had seen. Every value written is there unless
 * superseded: "no value lost". */
static void check_oracle(const history *h, const json_t *v)
{
	if (!v)
		return;
	for (int fi = 0; fi < NFIELDS; fi++) {
		const char *f = fields[fi];
		strs want = {0}, got = {0};
		const event *best = NULL;
		for (size_t i = 0; i < h->nev; i++) {
			const event *e = &h->ev[i];
			if (!saw(v, e->node, e->k) || !wrote(e, f))
				continue;
			int maximal = 1;
			for (size_t j = 0; j < h->nev && maximal; j++) {
				const event *w = &h->ev[j];
				if (j != i && saw(v, w->node, w->k) && wrote(w, f) && saw(w->after, e->node, e->k))
					maximal = 0;
			}
			if (!maximal)
				continue;
			if (!best || e->lamport > best->lamport ||
			    (e->lamport == best->lamport && (strcmp(e->node, best->node) > 0 ||
			                                     (!strcmp(e->node, best->node) && e->k > best->k))))
				best = e;
			if (!is_set_field(f))
				strs_add(&want, entry_key(e->node, e->k, e->lamport, json_object_get(e->after, f)));
		}
		/* The standing dot: the greatest of them. */
		const json_t *d = json_object_get(meta_of(v, "dots"), f);
		char *wd = best && best->k ? entry_key(best->node, best->k, best->lamport, NULL) : strdup("none");
		char *gd = d ? entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
		                         json_integer_value(json_array_get(d, 2)), NULL)
		             : strdup("none");
		char what[64];
		snprintf(what, sizeof(what), "the dot of %s", f);
		same_text(wd, gd, v, what);
		const json_t *cs = json_object_get(meta_of(v, "conflicts"), f);
		/* Every surviving write of the field is kept: a scalar's with its
		 * value, a set's as a dot (the standing one, then conflicts with
		 * null values, never open). */
		int set = is_set_field(f);
		if (set)
			for (size_t i = 0; i < json_array_size(cs); i++)
				if (!json_is_null(json_array_get(json_array_get(cs, i), 0)))
					fail_msg("seed %u: set field %s has a conflict with a value", cur_seed, f);
		for (size_t i = 0; i < h->nev && set; i++) {
			const event *e = &h->ev[i];
			int maximal = saw(v, e->node, e->k) && wrote(e, f);
			for (size_t j = 0; j < h->nev && maximal; j++) {
				const event *w = &h->ev[j];
				if (j != i && saw(v, w->node, w->k) && wrote(w, f) && saw(w->after, e->node, e->k))
					maximal = 0;
			}
			if (maximal)
				strs_add(&want, entry_key(e->node, e->k, e->lamport, NULL));
		}
		if (d)
			strs_add(&got, entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
			                         json_integer_value(json_array_get(d, 2)), set ? NULL : json_object_get(v, f)));
		else if (json_object_get(v, f))
			strs_add(&got, entry_key("", 0, 0, set ? NULL : json_object_get(v, f)));
		for (size_t i = 0; i < json_array_size(cs); i++) {
			const json_t *c = json_array_get(cs, i);
			strs_add(&got, entry_key(json_string_value(json_array_get(c, 1)), json_integer_value(json_array_get(c, 2)),
			                         json_integer_value(json_array_get(c, 3)), set ? NULL : json_array_get(c, 0)));
		}
		snprintf(what, sizeof(what), "the entries of %s", f);
		same_text(strs_join(&want), strs_join(&got), v, what);
		/* A set cleared concurrently on several nodes, with no elements
		 * left on either side, joins as a scalar: nothing more to check. */
		if (!set || (cs && !json_object_get(v, f) && !json_object_get(meta_of(v, "elems"), f)))
			continue;
		/* Elements: each adding dot that every write of f which saw it kept. */
		for (size_t i = 0; i < h->nev; i++) {
			const event *e = &h->ev[i];
			if (!saw(v, e->node, e->k) || !wrote(e, f))
				continue;
			strs els = {0};
			elements(e->after, f, &els);
			for (size_t x = 0; x < els.n; x++) {
				strs ds = {0};
				elem_dots(e->after, f, els.v[x], &ds);
				for (size_t y = 0; y < ds.n; y++) {
					char node[16];
					long long k = 0;
					if (sscanf(ds.v[y], "%15[^|]|%lld", node, &k) != 2) {
						node[0] = '\0';
						k = 0;
					}
					int kept = 1;
					for (size_t j = 0; j < h->nev && kept; j++) {
						const event *w = &h->ev[j];
						if (saw(v, w->node, w->k) && wrote(w, f) && saw(w->after, node, k) &&
						    !holds_dot(w->after, f, els.v[x], ds.v[y]))
							kept = 0;
					}
					if (kept)
						strs_add(&want, fmt("%s @ %s", els.v[x], ds.v[y]));
					free(ds.v[y]);
				}
				free(ds.v);
				free(els.v[x]);
			}
			free(els.v);
		}
		strs els = {0};
		elements(v, f, &els);
		json_t *value = json_object_get(v, f), *sorted = json_array();
		if (els.n)
			qsort(els.v, els.n, sizeof(*els.v), str_cmp_q);
		for (size_t x = 0; x < els.n; x++) {
			json_array_append_new(sorted, json_string(els.v[x]));
			strs ds = {0};
			elem_dots(v, f, els.v[x], &ds);
			for (size_t y = 0; y < ds.n; y++) {
				strs_add(&got, fmt("%s @ %s", els.v[x], ds.v[y]));
				free(ds.v[y]);
			}
			free(ds.v);
			free(els.v[x]);
		}
		free(els.v);
		if (json_array_size(sorted) ? !json_equal(sorted, value) : value != NULL)
			fail_msg("seed %u: the value of set %s is not its sorted elements", cur_seed, f);
		json_decref(sorted);
		snprintf(what, sizeof(what), "the elements of %s", f);
		same_text(strs_join(&want), strs_join(&got), v, what);
	}
	/* Deletions. */
	strs want = {0}, got = {0};
	for (size_t i = 0; i < h->nev; i++) {
		const event *e = &h->ev[i];
		if (!e->rm || !saw(v, e->node, e->k))
			continue;
		int open = 1;
		for (size_t j = 0; j < h->nev && open; j++) {
			const event *w = &h->ev[j];
			if (j != i && w->k && saw(v, w->node, w->k) && saw(w->after, e->node, e->k))
				open = 0;
		}
		if (open)
			strs_add(&want, entry_key(e->node, e->k, e->lamport,
			                          json_array_get(json_array_get(meta_of(e->after, "deleted"), 0), 3)));
	}
	const json_t *dels = meta_of(v, "deleted");
	for (size_t i = 0; i < json_array_size(dels); i++) {
		const json_t *d = json_array_get(dels, i);
		strs_add(&got, entry_key(json_string_value(json_array_get(d, 0)), json_integer_value(json_array_get(d, 1)),
		                         json_integer_value(json_array_get(d, 2)), json_array_get(d, 3)));
		if (i) {
			const json_t *p = json_array_get(dels, i - 1);
			int c = strcmp(json_string_value(json_array_get(p, 0)), json_string_value(json_array_get(d, 0)));
			if (c > 0 || (c == 0 && json_integer_value(json_array_get(p, 1)) >= json_integer_value(json_array_get(d, 1))))
				fail_msg("seed %u: deletions out of order", cur_seed);
		}
	}
	same_text(strs_join(&want), strs_join(&got), v, "the deletions");
}

static int rnd(int n) { return rand() % n; }

/* Random assignments of 1 to 3 fields, as JSON text. */
static void random_fields(char *buf, size_t size, int creating)
{
	static const char *const scalars[] = {"\"x\"", "\"y\"", "\"z\"", "1", "2", "null"};
	int used[NFIELDS] = {0}, n = 1 + rnd(3);
	size_t len = (size_t)snprintf(buf, size, "{");
	for (int i = 0; i < n; i++) {
		int f = rnd(NFIELDS);
		if (used[f])
			continue;
		used[f] = 1;
		len += (size_t)snprintf(buf + len, size - len, "%s\"%s\": ", len > 1 ? ", " : "", fields[f]);
		if (is_set_field(fields[f])) {
			static const char *const els[] = {"a", "b", "c", "d"};
			int any = 0;
			for (int e = 0; e < 4; e++)
				if (rnd(2)) {
					len += (size_t)snprintf(buf + len, size - len, "%s\"%s\"", any ? ", " : "[", els[e]);
					any = 1;
				}
			len += (size_t)snprintf(buf + len, size - len, "%s", any ? "]" : creating ? "[\"a\"]" : "null");
		} else {
			len += (size_t)snprintf(buf + len, size - len, "%s", scalars[rnd(creating ? 5 : 6)]);
		}
	}
	snprintf(buf + len, size - len, "}");
}

/* A version and the new one an edit made from it: the join is the new. */
static void check_supersedes(const json_t *old, const json_t *new)
{
	if (!old)
		return;
	json_t *x = join(old, new), *y = join(new, old);
	same(x, new, "join(old, edited) and the edited version");
	same(y, new, "join(edited, old) and the edited version");
	json_decref(x);
	json_decref(y);
}

static void check_algebra(const json_t *a, const json_t *b, const json_t *c)
{
	json_t *ab = join(a, b), *ba = join(b, a), *bc = join(b, c), *aa = join(a, a);
	json_t *l = join(ab, c), *r = join(a, bc), *abs = join(a, ab);
	same(ab, ba, "join(a, b) and join(b, a)");
	same(l, r, "join(join(a, b), c) and join(a, join(b, c))");
	same(aa, a, "join(a, a) and a");
	same(abs, ab, "join(a, join(a, b)) and join(a, b)");
	json_decref(ab);
	json_decref(ba);
	json_decref(bc);
	json_decref(aa);
	json_decref(l);
	json_decref(r);
	json_decref(abs);
}

/* The versions each node's version was made from, directly or not (its
 * history: what it wrote over and what it merged, with their histories).
 * The merge-base shortcut of mergetree.h takes a later version for the
 * join of it with any version of its history: check that it is. */
static void history_holds(json_t *anc, const json_t *v)
{
	if (!v)
		return;
	for (size_t t = 0; t < 4 && json_array_size(anc); t++) { /* a sample: the join is dear */
		json_t *x = join(json_array_get(anc, (size_t)rand() % json_array_size(anc)), v);
		same(x, v, "join(an earlier version of its history, a version) and the version");
		json_decref(x);
	}
}

/* Add OLD and FROM (copied) and FROM_ANC's versions (shared, once each)
 * to ANC. */
static void history_add(json_t *anc, const json_t *old, const json_t *from, const json_t *from_anc)
{
	if (old)
		json_array_append_new(anc, json_deep_copy(old));
	if (from)
		json_array_append_new(anc, json_deep_copy(from));
	for (size_t i = 0; i < json_array_size(from_anc); i++) {
		json_t *x = json_array_get(from_anc, i);
		size_t j = 0;
		while (j < json_array_size(anc) && json_array_get(anc, j) != x)
			j++;
		if (j == json_array_size(anc))
			json_array_append(anc, x);
	}
}

static void random_case(unsigned seed)
{
	tnode n[5];
	json_t *anc[5];
	history h = {0};
	char buf[512];
	cur_seed = seed;
	srand(seed);
	int k = 3 + rnd(3), steps = 6 + rnd(16);
	for (int i = 0; i < k; i++) {
		snprintf(n[i].id, sizeof(n[i].id), "node-%c", 'a' + rnd(26));
		n[i].id[6] = (char)('0' + i);
		n[i].id[7] = '\0';
		n[i].v = NULL;
		n[i].lamport = 0;
		anc[i] = json_array();
	}
	if (rnd(4) == 0) {
		/* A genesis record every node holds, without bookkeeping. */
		const char *g = rnd(2) ? "{\"s0\": \"g\", \"s1\": 7, \"t0\": [\"a\", \"c\"]}" : "{\"s0\": \"g\", \"u_later\": 1}";
		for (int i = 0; i < k; i++)
			n[i].v = J(g);
		tnode gen = {"", n[0].v, 0};
		log_event(&h, &gen, 0);
		h.ev[0].k = 0;
		pool_add(&h, n[0].v);
	} else {
		/* Created on one or more nodes, concurrently (a natural key). */
		int creators = 1 + rnd(2);
		for (int i = 0; i < creators; i++) {
			random_fields(buf, sizeof(buf), 1);
			do_add(&n[i], buf);
			log_event(&h, &n[i], 0);
			pool_add(&h, n[i].v);
			check_oracle(&h, n[i].v);
		}
	}
	for (int s = 0; s < steps; s++) {
		tnode *x = &n[rnd(k)], *y = &n[rnd(k)];
		int r = rnd(100);
		json_t *old = x->v ? json_deep_copy(x->v) : NULL;
		int wrote_one = 0, rm = 0;
		if (!x->v || merge_is_deleted(x->v)) {
			if (r < 30) {
				random_fields(buf, sizeof(buf), 1);
				do_add(x, buf);
				wrote_one = 1;
			} else if (y != x && y->v) {
				history_add(anc[x - n], old, y->v, anc[y - n]);
				do_merge(x, y);
			}
		} else if (r < 45) {
			random_fields(buf, sizeof(buf), 0);
			wrote_one = do_set(x, buf);
		} else if (r < 53) {
			do_rm(x);
			wrote_one = rm = 1;
			assert_true(merge_is_deleted(x->v));
		} else if (y != x && y->v) {
			history_add(anc[x - n], old, y->v, anc[y - n]);
			do_merge(x, y);
		}
		if (wrote_one) {
			history_add(anc[x - n], old, NULL, NULL);
			log_event(&h, x, rm);
			check_supersedes(old, x->v);
			if (!rm && merge_is_deleted(x->v))
				fail_msg("seed %u: a written version is deleted", seed);
		}
		if (x->v && (!old || !json_equal(old, x->v))) {
			pool_add(&h, x->v);
			check_oracle(&h, x->v);
		}
		json_decref(old);
	}
	for (int i = 0; i < k; i++)
		history_holds(anc[i], n[i].v);
	/* The algebra, on versions made along the way. */
	for (int t = 0; t < 6 && h.npool; t++)
		check_algebra(h.pool[rnd((int)h.npool)], h.pool[rnd((int)h.npool)], h.pool[rnd((int)h.npool)]);
	/* Convergence: every node merges every other, in a random order, twice. */
	int pairs[20][2], np = 0;
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			if (i != j)
				pairs[np][0] = i, pairs[np][1] = j, np++;
	for (int round = 0; round < 2; round++) {
		for (int i = np - 1; i > 0; i--) {
			int j = rnd(i + 1), a0 = pairs[i][0], a1 = pairs[i][1];
			pairs[i][0] = pairs[j][0], pairs[i][1] = pairs[j][1];
			pairs[j][0] = a0, pairs[j][1] = a1;
		}
		for (int i = 0; i < np; i++)
			if (n[pairs[i][1]].v) {
				tnode *x = &n[pairs[i][0]], *y = &n[pairs[i][1]];
				history_add(anc[pairs[i][0]], x->v, y->v, anc[pairs[i][1]]);
				do_merge(x, y);
			}
	}
	for (int i = 0; i < k; i++) {
		history_holds(anc[i], n[i].v);
		json_decref(anc[i]);
	}
	for (int i = 1; i < k; i++)
		same(n[i].v, n[0].v, "converged nodes");
	check_oracle(&h, n[0].v);
	/* ... and they hold the join of everything made. */
	json_t *all = NULL;
	for (size_t i = 0; i < h.npool; i++) {
		json_t *m = join(all, h.pool[i]);
		json_decref(all);
		all = m;
	}
	same(all, n[0].v, "the converged version and the join of every version");
	json_decref(all);
	nodes_free(n, (size_t)k);
	history_free(&h);
}

static void t_random_histories(void **state)
{
	(void)state;
	unsigned seeds = 2000;
	const char *env = getenv("C2C_MERGE_SEEDS");
	if (env && atoi(env) > 0)
		seeds = (unsigned)atoi(env);
	for (unsigned s = 1; s <= seeds; s++)
		random_case(s);
	cur_seed = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_random_histories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
