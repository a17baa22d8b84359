/* csv_export: a table's records written as a spreadsheet's CSV (SPEC 3).
 * Nothing here prints but to the stream it is given. */
#ifndef C2C_CSV_EXPORT_H
#define C2C_CSV_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "c2c/store.h"

/* Write T's records to FP: a header line (id, then the fields in the
 * schema's order; after a UTF-8 BOM if BOM), then one line per record in
 * id order. Cells are separated by SEP and quoted when they hold it, a
 * quote or a line break (RFC 4180); lines end in EOL; a cell a
 * spreadsheet would run as a formula gets an apostrophe first
 * (sheet_inert), which import takes off again. *COUNT (if not NULL) gets
 * the number of records. A failed write is C2C_EIO naming WHAT; the
 * store's errors come back as they are. */
int csv_export(store *st, const table_def *t, FILE *fp, char sep, const char *eol, int bom, size_t *count,
               const char *what);

#endif
