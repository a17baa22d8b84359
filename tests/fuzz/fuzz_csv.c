/* Fuzz target: the CSV file given to 'c2c import'. The input is the file's
 * bytes, imported into each table of a real node in turn (the header
 * decides which gets further than its first line), inside a write that is
 * then abandoned, so every input meets the same node. It runs the importer
 * of node/csv_import.c (csv_import.h) itself: libcsv, the header and row
 * checks, the parsing of each value and the write of each record all run as
 * in 'c2c import'. */
#include <stdint.h>
#include <stdio.h>

#include "c2c/csv_import.h"
#include "fuzz_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	c2c_node *n = fuzz_node();
	size_t nt = 0;
	const table_def *tables = store_tables(n->st, &nt);
	for (size_t i = 0; i < nt; i++) {
		csv_importer im = {0};
		static char one[1];
		FILE *fp = fmemopen(size ? (void *)data : one, size ? size : 1, "rb");
		if (!fp)
			abort();
		if (!size)
			fgetc(fp); /* fmemopen refuses a size of 0: read its one byte away */
		im.n = n;
		im.t = &tables[i];
		im.file = "fuzz.csv";
		im.bad = json_array();
		sheet_locale_get(i % 2 ? "fr" : NULL, &im.loc); /* half the tables read French numbers and dates */
		if (node_txn_begin(&im.tx, n) == 0) {
			csv_import_run(&im, fp);
			node_txn_abort(im.tx);
		}
		err_clear();
		fclose(fp);
		im.tx = NULL;
		csv_importer_dispose(&im);
	}
	return 0;
}
