/* report_model: the shape of the office's report object (office.h), shared
 * by the queries that fill it (store_report.h), the code that assembles it
 * (office.c) and the renderings: its vocabularies, the skeleton of a
 * city's figures, counters and the numeric order of SDG targets.
 *
 * Pure JSON: no I/O, nothing printed. */
#ifndef C2C_REPORT_MODEL_H
#define C2C_REPORT_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "c2c/store.h"

/* The languages of profile sections, in the report's order. */
#define REPORT_NLANGS 4
extern const char *const REPORT_LANGS[REPORT_NLANGS];
/* The statuses of an action the report counts (others count as "other"). */
#define REPORT_NSTATUSES 5
extern const char *const REPORT_STATUSES[REPORT_NSTATUSES];
/* The statuses of a profile section. */
#define REPORT_NREVIEW 3
extern const char *const REPORT_REVIEW[REPORT_NREVIEW];

/* The figures of a city (PER_CITY) or of the totals, every one zero, in
 * the order the renderings read them: stakeholders by each of KIND_LIST (an
 * array of strings), the profile grid by each section SECTIONS allows
 * (NULL: none). PER_CITY adds what only makes sense for one city: the
 * sections written, the review list, the profile grid, conflicts, and
 * unless NO_LISTS the lists of priorities, actions and events. A new
 * reference. */
json_t *report_figures_new(const json_t *kind_list, const field_def *sections, int per_city, int no_lists);

/* O[KEY] += V (an absent KEY counts as 0). */
void report_add_int(json_t *o, const char *key, long long v);

/* qsort comparators of json_t * elements: SDG targets in numeric order
 * (goal, then numbered targets by number before lettered ones: "5.1" <
 * "10.2" < "10.10" < "10.a"), integers, strings. */
int report_cmp_target(const void *pa, const void *pb);
int report_cmp_int(const void *pa, const void *pb);
int report_cmp_text(const void *pa, const void *pb);

/* ARR, an array of SDG targets, sorted in place by report_cmp_target. */
void report_sort_targets(json_t *arr);
/* The values of the object SET, or the elements of ARR, as a new array
 * sorted by CMP. */
json_t *report_sorted_values(json_t *set, int (*cmp)(const void *, const void *));
json_t *report_sorted_array(json_t *arr, int (*cmp)(const void *, const void *));

/* The elements of a set column's TEXT (a JSON array; a lone string counts
 * as one element; anything else as none), as a new array, or NULL. */
json_t *report_set_elems(const char *text);
/* 1 when the element I of A is the first equal to it (a set's element
 * counted once). */
int report_first_of(const json_t *a, size_t i);
/* An SDG target's goal: the number before the dot ("10.7" is goal 10); 0
 * when there is none. */
long long report_goal_of(const char *target);
/* MAP[KEY] += (BUDGET, 1), MAP's entries being {"budget_eur", "actions"}. */
void report_tally(json_t *map, const char *key, long long budget);

#endif
