/* nodeid: the grammar of a node's id (include/c2c/nodeid.h). */
#include "c2c/nodeid.h"

#include "c2c/record.h"

int nodeid_valid(const char *id)
{
	return id && record_id_valid(id);
}
