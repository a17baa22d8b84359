/* report_text: the office's report (office.h) for terminals and scripts:
 * aligned text, and CSV (RFC 4180: one row per city and a TOTAL row). */
#ifndef C2C_REPORT_TEXT_H
#define C2C_REPORT_TEXT_H

#include <jansson.h>
#include <stdio.h>

/* Report RP as aligned text, on F. */
void report_text_render(FILE *f, const json_t *rp);
/* Report RP's figures as CSV, on F. */
void report_csv_render(FILE *f, const json_t *rp);

#endif
