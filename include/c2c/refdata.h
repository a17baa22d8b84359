/* refdata: the reference data of the network, shipped inside the program and
 * committed by every node in the same genesis commit. */
#ifndef C2C_REFDATA_H
#define C2C_REFDATA_H

#include <stddef.h>

typedef struct {
	const char *table;
	const char *id;
	const char *fields; /* a JSON object of the record's fields */
} refdata_record;

/* All reference records, in a fixed order. */
const refdata_record *refdata_all(size_t *n);

#endif
