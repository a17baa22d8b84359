/* report_svg: the charts of the office's report (office.h), SVG made on
 * the server: actions by status, budget by SDG (goals and targets), people
 * reached by sex, profile completeness by city, section and language,
 * events attended. Each bar carries its number in data-value. */
#ifndef C2C_REPORT_SVG_H
#define C2C_REPORT_SVG_H

#include <jansson.h>
#include <stdio.h>

/* The five charts of report RP, each in a <figure> with its caption in
 * LANG, on F; mirrored for a right-to-left LANG. */
void report_svg_charts(FILE *f, const json_t *rp, const char *lang);

#endif
