/* report_html: the steering committee's report (office.h) as one
 * self-contained HTML page to print: a cover, the network summary with its
 * charts (report_svg.h), then one page per city. */
#ifndef C2C_REPORT_HTML_H
#define C2C_REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>

/* The page of report RP in LANG (en, fr, es, ar; ar right to left), on F. */
void report_html_render(FILE *f, const json_t *rp, const char *lang);

#endif
