/* store_registry: the store's queries of the node registry, the
 * revocations and the hand-overs of the root (registry.h, trust.h): the
 * only SQL of the registry and of what writes it. */
#include "c2c/registry.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/store.h"
#include "c2c/trust.h"

static char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

int registry_find_in(store *st, const char *line, char **node_id, char **city, char **role)
{
	sqlite3_stmt *s = NULL;
	*node_id = *city = NULL;
	if (role)
		*role = NULL;
	int rc = sqlite3_prepare_v2(
	    store_db(st), "SELECT id, city, coalesce(role, 'city') FROM nodes WHERE pubkey = ? ORDER BY id LIMIT 1", -1,
	    &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, line, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*node_id = col(s, 0);
		*city = col(s, 1);
		if (role)
			*role = col(s, 2);
		rc = *node_id && (!role || *role) ? SQLITE_OK : SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		free(*node_id), free(*city);
		*node_id = *city = NULL;
		if (role)
			free(*role), *role = NULL;
	}
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	return rc == SQLITE_OK ? 0 : err_sqlite(store_db(st), rc, "reading the node registry");
}

int registry_list(c2c_node *n, json_t **out)
{
	sqlite3_stmt *s = NULL;
	json_t *a = json_array();
	int rc = a ? sqlite3_prepare_v2(store_db(n->st),
	                                "SELECT n.id, n.city, n.role, n.pubkey, r.revoked_at, r.keep_until, r.reason "
	                                "FROM nodes n LEFT JOIN revocations r ON r.pubkey = n.pubkey "
	                                "WHERE n.pubkey IS NOT NULL ORDER BY n.id",
	                                -1, &s, NULL)
	           : SQLITE_NOMEM;
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[7];
		for (int i = 0; i < 7; i++)
			v[i] = (const char *)sqlite3_column_text(s, i);
		if (json_array_append_new(a, json_pack("{s:s,s:s?,s:s?,s:s,s:s?,s:s?,s:s?}", "node_id", v[0], "city",
		                                       v[1], "role", v[2], "pubkey", v[3], "revoked_at", v[4],
		                                       "keep_until", v[5], "reason", v[6])) < 0)
			rc = SQLITE_NOMEM;
		else
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return err_sqlite(store_db(n->st), rc, "reading the node registry");
	}
	*out = a;
	return 0;
}

int registry_revocation_of(c2c_node *n, const char *line, registry_revocation *rv)
{
	sqlite3_stmt *s = NULL;
	memset(rv, 0, sizeof(*rv));
	int rc =
	    sqlite3_prepare_v2(store_db(n->st),
	                       "SELECT id, pubkey, keep_until, revoked_at, reason FROM revocations WHERE pubkey = ? "
	                       "ORDER BY id LIMIT 1",
	                       -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, line, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cut = (const char *)sqlite3_column_text(s, 2);
		rv->node_id = col(s, 0);
		rv->pubkey = col(s, 1);
		rv->revoked_at = col(s, 3);
		rv->reason = col(s, 4);
		if (!cut || git_oid_fromstrn(&rv->cut, cut, strlen(cut)) < 0)
			git_error_clear(); /* unreadable: a zero cut keeps nothing */
		rc = rv->node_id && rv->pubkey ? SQLITE_OK : SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	if (rc != SQLITE_OK) {
		registry_revocation_clear(rv);
		return err_sqlite(store_db(n->st), rc, "reading the revocations");
	}
	return 0;
}

int registry_revoked_at(c2c_node *n, const char *node_id, char **when)
{
	sqlite3_stmt *s = NULL;
	*when = NULL;
	int rc = sqlite3_prepare_v2(store_db(n->st), "SELECT revoked_at FROM revocations WHERE id = ?", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, node_id, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = (*when = col(s, 0)) || sqlite3_column_type(s, 0) == SQLITE_NULL ? SQLITE_DONE : SQLITE_NOMEM;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : err_sqlite(store_db(n->st), rc, "reading the revocations");
}

int store_node_key(store *st, const char *node_id, char **pubkey, char **role)
{
	sqlite3_stmt *s = NULL;
	*pubkey = NULL;
	if (role)
		*role = NULL;
	int rc = sqlite3_prepare_v2(store_db(st),
	                            "SELECT pubkey, coalesce(role, 'city') FROM nodes WHERE id = ? AND pubkey IS NOT NULL",
	                            -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, node_id, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = (*pubkey = col(s, 0)) && (!role || (*role = col(s, 1))) ? SQLITE_OK : SQLITE_NOMEM;
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		free(*pubkey);
		*pubkey = NULL;
		if (role) {
			free(*role);
			*role = NULL;
		}
	}
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	return rc == SQLITE_OK ? 0 : err_sqlite(store_db(st), rc, "reading the node registry");
}

int store_root_next(store *st, const char *previous, char **next)
{
	sqlite3_stmt *s = NULL;
	*next = NULL;
	int rc = sqlite3_prepare_v2(store_db(st), "SELECT pubkey FROM roots WHERE previous = ? ORDER BY id LIMIT 1", -1,
	                            &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, previous, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = (*next = col(s, 0)) ? SQLITE_OK : SQLITE_NOMEM;
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return C2C_ENOTFOUND;
	return rc == SQLITE_OK ? 0 : err_sqlite(store_db(st), rc, "reading the hand-overs of the root");
}
