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

/* The languages of profile sections, in the report's order. */
#define REPORT_NLANGS 4
extern const char *const REPORT_LANGS[REPORT_NLANGS];
/* The statuses of an action the report counts (others count as "other"). */
#define REPORT_NSTATUSES 5
extern const char *const REPORT_STATUSES[REPORT_NSTATUSES];
/* The statuses of a profile section. */
#define REPORT_NREVIEW 3
extern const char *const REPORT_REVIEW[REPORT_NREVIEW];

#endif
