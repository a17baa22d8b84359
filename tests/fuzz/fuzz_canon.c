/* Fuzz target: canonical record text and its two readers. The input is a
 * file's bytes, as a peer could send them.
 *
 * canon_read (the direct reader) must accept only what
 * canon_parse_general (jansson's parse, the value written again and
 * compared) accepts, giving the same value with its objects' keys in the
 * same order; canon_parse must answer as canon_parse_general does; a value
 * it gives must be written back as the input, byte for byte. Lighter than
 * fuzz_record (no node), so it runs many more inputs a second. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_order(const json_t *a, const json_t *b)
{
	if (json_is_array(a)) {
		for (size_t i = 0; i < json_array_size(a); i++)
			same_order(json_array_get(a, i), json_array_get(b, i));
		return;
	}
	if (!json_is_object(a))
		return;
	void *i = json_object_iter((json_t *)a), *j = json_object_iter((json_t *)b);
	for (; i && j; i = json_object_iter_next((json_t *)a, i), j = json_object_iter_next((json_t *)b, j)) {
		if (strcmp(json_object_iter_key(i), json_object_iter_key(j))) {
			fprintf(stderr, "the two readers insert keys in different orders\n");
			abort();
		}
		same_order(json_object_iter_value(i), json_object_iter_value(j));
	}
	if (i || j)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	json_t *direct = canon_read(text, size), *general = NULL, *v = NULL;
	int grc = canon_parse_general(text, size, "fuzz.json", &general);
	if (direct) {
		if (grc < 0 || !json_equal(direct, general)) {
			fprintf(stderr, "the direct reader accepted what the general parse %s\n",
			        grc < 0 ? "refuses" : "reads otherwise");
			abort();
		}
		same_order(direct, general);
	}
	int rc = canon_parse(text, size, "fuzz.json", &v);
	if ((rc == 0) != (grc == 0) || (v && !json_equal(v, general))) {
		fprintf(stderr, "canon_parse and the general parse disagree\n");
		abort();
	}
	if (v) {
		char *dump = NULL;
		size_t dlen = 0;
		if (canon_dump(v, &dump, &dlen) < 0 || dlen != size || memcmp(dump, data, size)) {
			fprintf(stderr, "canon_parse accepted a text that is not its own canonical form\n");
			abort();
		}
		free(dump);
	}
	json_decref(direct);
	json_decref(general);
	json_decref(v);
	err_clear();
	return 0;
}
