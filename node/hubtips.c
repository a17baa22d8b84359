/* hubtips: the hub's numbered refs, for the exchange's "since"
 * (include/c2c/exchange.h). */
#include "c2c/exchange.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/refs.h"

void exchange_refs_free(exchange_refs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].name);
	ARRAY_FREE(r);
}

static int add_ref(exchange_refs *r, const git_oid *id, const char *name)
{
	exchange_ref e = {*id, strdup(name)};
	int err;
	if (!e.name)
		return ERR_OOM();
	if ((err = ARRAY_PUSH(r, e)) < 0)
		free(e.name);
	return err;
}

static int db_fail(sqlite3 *db, const char *path, const char *what)
{
	return err_set(C2C_EIO, "%s/c2c-tips.db: %s: %s", path, what, db ? sqlite3_errmsg(db) : "cannot open");
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const exchange_ref *)a)->name, ((const exchange_ref *)b)->name);
}

/* The refs the table follows, sorted by name. */
static int hub_refs(git_repository *repo, exchange_refs *out)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_oid key;
	int rc, err = 0;
	if ((rc = git_reference_iterator_glob_new(&it, repo, REF_NODES "*")) < 0)
		return err_git(rc, "listing the hub's branches");
	while (err == 0 && (rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);
		if (id)
			err = add_ref(out, id, git_reference_name(ref));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (err == 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "listing the hub's branches");
	if (err == 0 && git_reference_name_to_id(&key, repo, REF_OFFICE_KEY) == 0)
		err = add_ref(out, &key, REF_OFFICE_KEY);
	if (err == 0)
		qsort(out->v, out->n, sizeof(*out->v), cmp_name);
	return err;
}

int hubtips_changed(git_repository *repo, const char *path, const char *epoch, long long since, exchange_refs *out,
                    char new_epoch[17], long long *new_seq)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL, *up = NULL, *del = NULL;
	exchange_refs now = {0};
	char file[4096];
	unsigned char seen_buf[1];
	unsigned char *seen = seen_buf;
	long long seq = 0;
	int rc, err = 0, began = 0;
	snprintf(file, sizeof(file), "%s/c2c-tips.db", path);
	if ((err = hub_refs(repo, &now)) < 0)
		return err;
	if (now.n && !(seen = calloc(now.n, 1))) {
		exchange_refs_free(&now);
		return ERR_OOM();
	}
	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		err = db_fail(db, path, "opening");
		goto done;
	}
	sqlite3_busy_timeout(db, 30000);
	/* One writer at a time: numbers are given in order. */
	if (sqlite3_exec(db,
	                 "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	                 "CREATE TABLE IF NOT EXISTS tips(ref TEXT PRIMARY KEY, id TEXT NOT NULL, seq INTEGER NOT NULL);"
	                 "CREATE INDEX IF NOT EXISTS tips_seq ON tips(seq);"
	                 "BEGIN IMMEDIATE;",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		err = db_fail(db, path, "starting");
		goto done;
	}
	began = 1;
	new_epoch[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k = 'epoch'", -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(db, path, "reading");
		goto done;
	}
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(new_epoch, 17, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	s = NULL;
	if (strlen(new_epoch) != 16) {
		unsigned char r[8];
		FILE *f = fopen("/dev/urandom", "rb");
		int got = f && fread(r, 1, sizeof(r), f) == sizeof(r);
		if (f)
			fclose(f);
		if (!got) {
			err = err_set(C2C_EIO, "reading /dev/urandom for the hub's tips table");
			goto done;
		}
		for (int i = 0; i < 8; i++)
			snprintf(new_epoch + 2 * i, 3, "%02x", r[i]);
		char *sql = sqlite3_mprintf("DELETE FROM tips; INSERT OR REPLACE INTO meta VALUES('epoch', %Q);", new_epoch);
		rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
		sqlite3_free(sql);
		if (rc != SQLITE_OK) {
			err = db_fail(db, path, "starting a new epoch");
			goto done;
		}
	}
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM tips", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		err = db_fail(db, path, "reading");
		goto done;
	}
	seq = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	/* The table against the refs: a changed or new ref takes seq + 1, a
	 * row whose ref is gone goes. */
	if (sqlite3_prepare_v2(db, "SELECT ref, id FROM tips", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO tips VALUES(?, ?, ?)", -1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM tips WHERE ref = ?", -1, &del, NULL) != SQLITE_OK) {
		err = db_fail(db, path, "reading");
		goto done;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		exchange_ref key = {{{0}}, (char *)sqlite3_column_text(s, 0)};
		const char *id = (const char *)sqlite3_column_text(s, 1);
		exchange_ref *hit = key.name ? bsearch(&key, now.v, now.n, sizeof(*now.v), cmp_name) : NULL;
		char hex[GIT_OID_HEXSZ + 1];
		if (hit) {
			seen[hit - now.v] = 1;
			if (id && !strcmp(id, git_oid_tostr(hex, sizeof(hex), &hit->id)))
				seen[hit - now.v] = 2; /* unchanged */
			continue;
		}
		sqlite3_bind_text(del, 1, key.name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(del) != SQLITE_DONE) {
			err = db_fail(db, path, "updating");
			goto done;
		}
		sqlite3_reset(del);
	}
	if (rc != SQLITE_DONE) {
		err = db_fail(db, path, "reading");
		goto done;
	}
	int bumped = 0;
	for (size_t i = 0; i < now.n; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		if (seen[i] == 2)
			continue;
		if (!bumped)
			seq++, bumped = 1;
		sqlite3_bind_text(up, 1, now.v[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 2, git_oid_tostr(hex, sizeof(hex), &now.v[i].id), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, seq);
		if (sqlite3_step(up) != SQLITE_DONE) {
			err = db_fail(db, path, "updating");
			goto done;
		}
		sqlite3_reset(up);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		err = db_fail(db, path, "committing");
		goto done;
	}
	began = 0;
	/* What the node has not seen: everything, or what came after SINCE. */
	int all = !epoch || strcmp(epoch, new_epoch) != 0 || since > seq;
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT ref, id FROM tips WHERE seq > ? ORDER BY ref", -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(db, path, "reading");
		goto done;
	}
	sqlite3_bind_int64(s, 1, all ? -1 : since);
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		git_oid id;
		const char *name = (const char *)sqlite3_column_text(s, 0), *hex = (const char *)sqlite3_column_text(s, 1);
		if (!name || !hex || git_oid_fromstr(&id, hex) < 0)
			continue;
		err = add_ref(out, &id, name);
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, path, "reading");
	*new_seq = seq;
done:
	if (began)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(s);
	sqlite3_finalize(up);
	sqlite3_finalize(del);
	sqlite3_close(db);
	if (seen != seen_buf)
		free(seen);
	exchange_refs_free(&now);
	return err;
}
