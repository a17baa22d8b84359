/* office: the figures of the network (or of one city) and their renderings,
 * for `c2c report`, and for the web interface's office dashboard.
 *
 * office_report computes every figure once, into one JSON object: from the
 * node's working store, or, with opts->at, from a store rebuilt in memory
 * from the tree of a past commit (the network as the node knew it then).
 * The renderings (text, CSV, JSON, HTML with SVG charts) are made from that
 * object only, so every format carries the same figures.
 *
 * The JSON object:
 *   node_id, role, city (null on the office), head (the commit the figures
 *   reflect), head_time (its committer time, unix) and head_date (ISO UTC),
 *   at (the --at argument or null), made_at (ISO UTC),
 *   cities: [ one object per city: city, name, country, region, has_data,
 *     last_change (ISO UTC of the newest commit, not a merge, that changed
 *     the city's records, or null), the figures below, and the lists
 *     profile_grid {section: {lang: draft|submitted|validated|missing}},
 *     priority_list (rank order), action_list, event_list, review_list ],
 *   totals: the figures over every city listed, with cities (with data),
 *     cities_listed, sdgs_total, sdgs_covered.
 * Figures: profile_sections {lang: {count, draft, submitted, validated,
 * sections}}, priorities, practices, stakeholders, stakeholders_by_kind,
 * events, migration_stats, actions, actions_by_status, budget_eur,
 * cofunding_eur, people_reached_female, people_reached_male, sdgs, sdg_targets
 * (numeric order: 5.1 before 10.7), objectives, budget_by_sdg [{goal,
 * budget_eur, actions, targets: [{target, budget_eur, actions}]}] (an action
 * counts under each goal and target it addresses), reviews {validated,
 * changes_requested, out_of_date}. */
#ifndef C2C_OFFICE_H
#define C2C_OFFICE_H

#include <jansson.h>
#include <stddef.h>

#include "c2c/node.h"

typedef struct {
	const char *city; /* only this city; NULL: the node's city, or on the office every city of the network */
	const char *at;   /* "YYYY-MM-DD" (the end of that day, UTC) or a commit; NULL: the working store */
	long long now;    /* unix time the report is made; 0: now */
	int no_lists;     /* 1: the figures only, without each city's lists of actions, priorities and events */
} office_opts;

/* The report of node N as described above. *out is a new reference.
 * C2C_ENOTFOUND for an unknown city, or an --at that names no commit or a
 * date before the node's history; C2C_EUSAGE for a malformed --at. */
int office_report(c2c_node *n, const office_opts *opts, json_t **out);

enum { OFFICE_TEXT, OFFICE_CSV, OFFICE_JSON, OFFICE_HTML };

/* REPORT (from office_report) rendered in FORMAT; LANG (en, fr, es, ar)
 * for the words of the HTML page (the other formats use codes, for
 * scripts). *out malloc'd, *len its length. */
int office_render(const json_t *report, int format, const char *lang, char **out, size_t *len);

/* The office dashboard, an HTML fragment (no <html> or <body>) for the web
 * interface: every city with its last change that reached the office and
 * how long ago (those silent for SILENT_DAYS or more stand out), actions,
 * budget, people reached, profile completeness, reviews and open conflicts,
 * then the charts. *out malloc'd. */
int office_dashboard_html(c2c_node *n, const char *lang, int silent_days, long long now, char **out, size_t *len);

#endif
