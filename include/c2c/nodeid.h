/* nodeid: the one grammar of a node's id.
 *
 * A node's id is the id of its record in the registry's table "nodes"
 * (registry.h), the name of its branch on a hub (refs/heads/nodes/ID) and
 * the name its commits carry ("ID <ID@c2c.invalid>", C2C-Node: ID): so it
 * is a record id (record_id_valid): [a-z0-9][a-z0-9._-]*, at most
 * RECORD_ID_MAX bytes, with no "..". A node makes its own at init as
 * "<city or office>-<8 hex digits>". */
#ifndef C2C_NODEID_H
#define C2C_NODEID_H

/* 1 if ID (NULL is not) is a well-formed node id, else 0. */
int nodeid_valid(const char *id);

#endif
