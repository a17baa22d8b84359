/* store_report: the store's queries for the office's report (office.h),
 * the only SQL of the report and of the reviews' list (review.h).
 *
 * Each figure is one grouped statement over every city listed at once,
 * read into that city's object of the report (report_model.h gives its
 * shape): the cost grows with the records once, not once per city. On the
 * office every city holding a record is listed, so no row is left out;
 * with one city listed the statements filter on it.
 *
 * Read-only. Errors: the SQLite error of a statement (err_sqlite), or
 * C2C_ENOMEM. */
#ifndef C2C_STORE_REPORT_H
#define C2C_STORE_REPORT_H

#include <jansson.h>

#include "c2c/store.h"

typedef struct store_report {
	store *st;
	sqlite3 *db;
	char *with_data;           /* private: SELECT city FROM t1 UNION ...: the cities with any record */
	char *has_data;            /* private: which cities of the JSON array ?1 hold any record */
	const field_def *sections; /* the profile sections the schema allows, in its order (NULL: none) */
	json_t *kinds;             /* the stakeholder kinds the schema allows (an array of strings) */
	const char *one;           /* set by the caller: the one city listed, or NULL: the network */
	json_t *by_city;           /* set by the caller: {slug: that city's object}, what the figures fill */
} store_report;

/* Q ready to query ST (which must outlive it): the statements that depend
 * on the schema's tables, its sections and kinds. Q is disposed of with
 * store_report_dispose, also after a failure. */
int store_report_init(store_report *q, store *st);
void store_report_dispose(store_report *q);

/* *KNOWN: SLUG is a city of the registry or holds some record. */
int store_report_city_known(store_report *q, const char *slug, int *known);
/* Every city of the network, appended to SLUGS: those of the registry and
 * any other holding a record, by name. */
int store_report_cities(store_report *q, json_t *slugs);
/* O's "name" (the slug when the registry has none), "country" and "region"
 * (null when it has none) from the registry. */
int store_report_city_names(store_report *q, const char *slug, json_t *o);

/* Into each listed city's object (q->by_city, made by report_figures_new):
 * the profile sections by language and status with the grid, the counts of
 * priorities, practices, stakeholders (and by kind), events and migration
 * figures, the actions by status with their sums, the SDGs, targets and
 * objectives with the budget under each goal and target. */
int store_report_figures(store_report *q);
/* Into each listed city's "conflicts": the records holding an open conflict. */
int store_report_conflicts(store_report *q);
/* Into each listed city's lists: priorities in rank order, actions (their
 * SDG targets in numeric order), events attended. */
int store_report_lists(store_report *q);
/* Marks "has_data" true on the cities of SLUGS (an array) holding any
 * record; *WITH counts them. */
int store_report_has_data(store_report *q, const json_t *slugs, long long *with);
/* *TOTAL: the SDGs of the reference data; NAMES gets {"N": name} of each. */
int store_report_sdgs(store_report *q, json_t *names, long long *total);

/* The ids of the reviews of CITY (NULL: of every city) with STATUS (NULL:
 * any), in city, table, record id order, as a new array of strings. */
int store_report_review_ids(store *st, const char *city, const char *status, json_t **out);

#endif
