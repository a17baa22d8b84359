/* Fuzz target: a record file as it comes from another node or from a
 * repository edited by hand. The input is the file's bytes.
 *
 * canon_parse must refuse it or give a value whose canonical form is the
 * input itself (and its direct reader must agree with jansson's parse); a parsed object then goes where a record file's contents go
 * in the node: the merge's check of its bookkeeping (merge_records(r, NULL)),
 * a join with itself (which must fail exactly when the check does, with the
 * same message), the Lamport time, the
 * natural id and required fields of a table, and a row of that table put
 * and read back in the database, as repair and a merge's apply do (the
 * transaction is rolled back). Errors are fine; crashes, leaks, sanitizer
 * reports and broken contracts (abort) are not. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/merge.h"
#include "c2c/record.h"
#include "fuzz_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	c2c_node *n = fuzz_node();
	json_t *rec = NULL, *copy = NULL, *self = NULL, *back = NULL;
	char *dump = NULL, *nat = NULL;
	size_t dlen = 0;
	/* The direct reader accepts only what jansson's parse accepts, to the
	 * same value. */
	json_t *direct = canon_read((const char *)data, size), *general = NULL;
	int grc = canon_parse_general((const char *)data, size, "fuzz.json", &general);
	if (direct && (grc < 0 || !json_equal(direct, general))) {
		fprintf(stderr, "the direct reader accepted what the general parse %s\n",
		        grc < 0 ? "refuses" : "reads otherwise");
		abort();
	}
	json_decref(direct);
	json_decref(general);
	err_clear();
	if (canon_parse((const char *)data, size, "fuzz.json", &rec) < 0)
		goto done;
	if (canon_dump(rec, &dump, &dlen) < 0 || dlen != size || memcmp(dump, data, size)) {
		fprintf(stderr, "canon_parse accepted a text that is not its own canonical form\n");
		abort();
	}
	if (!json_is_object(rec))
		goto done;
	if (merge_records(rec, NULL, &copy) < 0) {
		/* The check alone refuses just what a join with itself refuses,
		 * with the same message. */
		char why[1024];
		snprintf(why, sizeof(why), "%s", err_msg());
		if (err_code() != C2C_ENOMEM &&
		    (merge_records(rec, rec, &self) == 0 || strcmp(err_msg(), why))) {
			fprintf(stderr, "the check refused a record its join with itself %s: %s\n",
			        self ? "accepts" : "refuses otherwise", why);
			abort();
		}
		goto done;
	}
	/* A record that passed the check joins (with itself). Whether a
	 * second join changes nothing is not asked: records whose entries
	 * have counter 0 (no node writes them) do not settle; see README. */
	if (merge_records(rec, rec, &self) < 0) {
		fprintf(stderr, "a record that passed the check does not join: %s\n", err_msg());
		abort();
	}
	(void)record_max_lamport(rec);
	(void)merge_is_deleted(rec);
	(void)merge_has_conflicts(rec);
	size_t nt = 0;
	const table_def *tables = store_tables(n->st, &nt);
	if (!nt)
		abort();
	const table_def *t = &tables[size % nt];
	if (t->nnatkey)
		(void)record_natural_id(t, rec, &nat);
	(void)record_check_required(t, rec, "fuzz");
	if (store_begin(n->st) == 0) {
		if (store_row_put(n->st, t, "fuzz-1", rec) == 0 && store_row_get(n->st, t, "fuzz-1", &back) < 0) {
			fprintf(stderr, "a row put could not be read back: %s\n", err_msg());
			abort();
		}
		store_rollback(n->st);
	}
done:
	err_clear();
	free(dump);
	free(nat);
	json_decref(rec);
	json_decref(copy);
	json_decref(self);
	json_decref(back);
	return 0;
}
