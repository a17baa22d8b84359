/* report_model: the shape of the office's report object (report_model.h). */
#include "c2c/report_model.h"

#include <stdlib.h>
#include <string.h>

const char *const REPORT_LANGS[REPORT_NLANGS] = {"ar", "en", "es", "fr"};
const char *const REPORT_STATUSES[REPORT_NSTATUSES] = {"proposed", "approved", "ongoing", "completed", "cancelled"};
const char *const REPORT_REVIEW[REPORT_NREVIEW] = {"draft", "submitted", "validated"};

/* SDG targets in numeric order: goal, then numbered targets by number
 * before lettered ones ("5.1" < "10.2" < "10.10" < "10.a"). */
int report_cmp_target(const void *pa, const void *pb)
{
	const char *a = json_string_value(*(json_t *const *)pa), *b = json_string_value(*(json_t *const *)pb);
	if (!a || !b)
		return !a - !b;
	long ga = strtol(a, NULL, 10), gb = strtol(b, NULL, 10);
	if (ga != gb)
		return ga < gb ? -1 : 1;
	const char *da = strchr(a, '.'), *db = strchr(b, '.');
	da = da ? da + 1 : "", db = db ? db + 1 : "";
	int na = *da >= '0' && *da <= '9', nb = *db >= '0' && *db <= '9';
	if (na != nb)
		return na ? -1 : 1;
	if (na) {
		long ta = strtol(da, NULL, 10), tb = strtol(db, NULL, 10);
		if (ta != tb)
			return ta < tb ? -1 : 1;
	}
	return strcmp(a, b);
}

void report_sort_targets(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = n ? malloc(n * sizeof(*v)) : NULL;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), report_cmp_target);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

void report_add_int(json_t *o, const char *key, long long v)
{
	json_t *x = json_object_get(o, key);
	json_object_set_new(o, key, json_integer((json_int_t)((x ? json_integer_value(x) : 0) + v)));
}

json_t *report_figures_new(const json_t *kind_list, const field_def *sections, int per_city, int no_lists)
{
	json_t *o = json_object(), *prof = json_object();
	json_object_set_new(o, "profile_sections", prof);
	for (size_t i = 0; i < REPORT_NLANGS; i++) {
		json_t *l = json_pack("{s:i}", "count", 0);
		for (size_t k = 0; k < REPORT_NREVIEW; k++)
			json_object_set_new(l, REPORT_REVIEW[k], json_integer(0));
		if (per_city)
			json_object_set_new(l, "sections", json_array());
		json_object_set_new(prof, REPORT_LANGS[i], l);
	}
	static const char *const counts[] = {"priorities", "practices", "stakeholders", "events", "migration_stats"};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		json_object_set_new(o, counts[i], json_integer(0));
	json_t *kinds = json_object();
	json_object_set_new(o, "stakeholders_by_kind", kinds);
	for (size_t i = 0; i < json_array_size(kind_list); i++)
		json_object_set_new(kinds, json_string_value(json_array_get(kind_list, i)), json_integer(0));
	static const char *const sums[] = {"actions", "budget_eur", "cofunding_eur", "people_reached_female",
	                                   "people_reached_male"};
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		json_object_set_new(o, sums[i], json_integer(0));
	json_t *by = json_object();
	json_object_set_new(o, "actions_by_status", by);
	for (size_t i = 0; i < REPORT_NSTATUSES; i++)
		json_object_set_new(by, REPORT_STATUSES[i], json_integer(0));
	json_object_set_new(by, "other", json_integer(0));
	json_object_set_new(o, "sdg_targets", json_array());
	json_object_set_new(o, "sdgs", json_array());
	json_object_set_new(o, "objectives", json_array());
	json_object_set_new(o, "budget_by_sdg", json_array());
	json_object_set_new(o, "reviews",
	                    json_pack("{s:i,s:i,s:i}", "validated", 0, "changes_requested", 0, "out_of_date", 0));
	if (!per_city)
		return o;
	json_object_set_new(o, "review_list", json_array());
	/* Profile completeness: section x language, the status of each. */
	json_t *grid = json_object();
	json_object_set_new(o, "profile_grid", grid);
	for (size_t s = 0; sections && s < sections->nallowed; s++) {
		json_t *row = json_object();
		json_object_set_new(grid, sections->allowed[s], row);
		for (size_t l = 0; l < REPORT_NLANGS; l++)
			json_object_set_new(row, REPORT_LANGS[l], json_string("missing"));
	}
	if (!no_lists) {
		json_object_set_new(o, "priority_list", json_array());
		json_object_set_new(o, "action_list", json_array());
		json_object_set_new(o, "event_list", json_array());
	}
	json_object_set_new(o, "conflicts", json_integer(0));
	return o;
}

int report_cmp_int(const void *pa, const void *pb)
{
	json_int_t a = json_integer_value(*(json_t *const *)pa), b = json_integer_value(*(json_t *const *)pb);
	return a < b ? -1 : a > b;
}

int report_cmp_text(const void *pa, const void *pb)
{
	const char *a = json_string_value(*(json_t *const *)pa), *b = json_string_value(*(json_t *const *)pb);
	return strcmp(a ? a : "", b ? b : "");
}

/* The elements of ARR, or the values of the object SET, as a new array
 * sorted by CMP. */
static json_t *sorted_copy(json_t *arr, json_t *set, int (*cmp)(const void *, const void *))
{
	size_t n = set ? json_object_size(set) : json_array_size(arr), k = 0;
	json_t *out = json_array(), *v;
	json_t **e = n ? malloc(n * sizeof(*e)) : NULL;
	const char *key;
	if (n && !e)
		return out;
	if (set)
		json_object_foreach(set, key, v) e[k++] = v;
	else
		json_array_foreach(arr, k, v) e[k] = v;
	if (n)
		qsort(e, n, sizeof(*e), cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, e[i]);
	free(e);
	return out;
}

json_t *report_sorted_values(json_t *set, int (*cmp)(const void *, const void *)) { return sorted_copy(NULL, set, cmp); }
json_t *report_sorted_array(json_t *arr, int (*cmp)(const void *, const void *)) { return sorted_copy(arr, NULL, cmp); }

/* The elements of a set column's text (a JSON array; a lone string counts
 * as one element; anything else as none), as a new array, or NULL. */
json_t *report_set_elems(const char *text)
{
	json_t *v;
	if (!text || !(v = json_loads(text, JSON_DECODE_ANY, NULL)))
		return NULL;
	if (json_is_string(v)) {
		json_t *a = json_array();
		json_array_append_new(a, v);
		return a;
	}
	if (!json_is_array(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* I == the first element of A equal to its element I (a set's element counted once). */
int report_first_of(const json_t *a, size_t i)
{
	const char *s = json_string_value(json_array_get(a, i));
	for (size_t k = 0; k < i; k++)
		if (json_is_string(json_array_get(a, k)) && !strcmp(json_string_value(json_array_get(a, k)), s))
			return 0;
	return 1;
}

/* An SDG target's goal: the number before the dot ("10.7" is goal 10); 0
 * when there is none. */
long long report_goal_of(const char *target)
{
	long long g = strtoll(target, NULL, 10);
	return g > 0 && g < 1000000 ? g : 0;
}

/* TALLY[KEY] += (BUDGET, 1), TALLY's entries being {"budget_eur", "actions"}. */
void report_tally(json_t *map, const char *key, long long budget)
{
	json_t *e = json_object_get(map, key);
	if (!e) {
		json_object_set_new(map, key, json_pack("{s:I,s:i}", "budget_eur", (json_int_t)budget, "actions", 1));
		return;
	}
	json_t *b = json_object_get(e, "budget_eur"), *n = json_object_get(e, "actions");
	json_integer_set(b, json_integer_value(b) + (json_int_t)budget);
	json_integer_set(n, json_integer_value(n) + 1);
}
