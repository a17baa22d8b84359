/* review: the office's reviews of a city's records (review.h). */
#include "c2c/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/record.h"
#include "c2c/store_report.h"
#include "c2c/write.h"

int review_version(const json_t *rec, char out[41])
{
	char *text = NULL;
	size_t len;
	git_oid oid;
	int err, rc;
	if ((err = canon_dump(rec, &text, &len)) < 0)
		return err;
	rc = git_odb_hash(&oid, text, len, GIT_OBJECT_BLOB);
	free(text);
	if (rc < 0)
		return err_git(rc, "hashing a record");
	git_oid_tostr(out, 41, &oid);
	return 0;
}

int review_write(c2c_node *n, const table_def *t, const char *id, const char *status, const char *comment,
                 char **review_id)
{
	const table_def *rt = store_table(n->st, "reviews");
	json_t *rec = NULL, *fields = NULL;
	node_txn *tx = NULL;
	char version[41], when[32], msg[256], *rid = NULL;
	char *argv[8] = {0};
	int argc = 0, err;
	*review_id = NULL;
	if (n->city) {
		err_set(C2C_EINVALID, "only the coordination office reviews records; this is %s's node", n->city);
		return err_hint("a city sees the office's reviews with 'c2c show' and 'c2c status'");
	}
	if (!rt)
		return err_set(C2C_ECORRUPT, "this node's database has no reviews table");
	if (!t->city_scope) {
		err_set(C2C_EINVALID, "%s holds network records: the office reviews a city's records", t->name);
		return err_hint("review a record of profile_sections, actions, priorities, ...");
	}
	if ((err = store_row_get(n->st, t, id, &rec)) < 0) {
		if (err == C2C_ENOTFOUND)
			err_hint("run 'c2c ls %s' to see the ids; a city's records reach the office by 'c2c sync'", t->name);
		return err;
	}
	if ((err = review_version(rec, version)) < 0)
		goto done;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	const char *city = json_string_value(json_object_get(rec, "city"));
	if (!city) {
		err = err_set(C2C_ECORRUPT, "%s/%s has no city", t->name, id);
		goto done;
	}
	/* FIELD=VALUE words, checked by the same code as 'c2c add'. */
	const char *pairs[][2] = {{"record_table", t->name}, {"record_id", id},          {"city", city},
	                          {"status", status},         {"record_version", version}, {"reviewed_at", when},
	                          {"reviewer", n->user_name},  {"comment", comment ? comment : ""}};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		size_t l = strlen(pairs[i][0]) + strlen(pairs[i][1] ? pairs[i][1] : "") + 2;
		if (!(argv[argc] = malloc(l))) {
			err = ERR_OOM();
			goto done;
		}
		snprintf(argv[argc++], l, "%s=%s", pairs[i][0], pairs[i][1] ? pairs[i][1] : "");
	}
	if ((err = write_parse_assignments(n, rt, argc, argv, &fields)) < 0)
		goto done;
	if ((err = record_natural_id(rt, fields, &rid)) < 0) {
		err_hint("the record's id is too long to name a review");
		goto done;
	}
	if ((err = node_txn_begin(&tx, n)) < 0)
		goto done;
	if (store_row_exists(n->st, rt->name, rid)) {
		int changed = 0;
		/* The key fields cannot change (and do not). */
		json_object_del(fields, "record_table");
		json_object_del(fields, "record_id");
		json_object_del(fields, "city");
		if ((err = write_set(tx, n, rt, rid, fields, &changed)) < 0)
			goto done;
	} else {
		char *made = NULL;
		json_object_del(fields, "comment");
		if (comment && *comment)
			json_object_set_new(fields, "comment", json_string(comment));
		if ((err = write_add(tx, n, rt, NULL, fields, &made)) < 0)
			goto done;
		free(made);
	}
	snprintf(msg, sizeof(msg), "review %s/%s: %s", t->name, id, status);
	git_oid head;
	err = node_txn_commit(tx, msg, &head);
	tx = NULL;
	if (err == 0) {
		*review_id = rid;
		rid = NULL;
	}
done:
	node_txn_abort(tx);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	json_decref(rec);
	json_decref(fields);
	free(rid);
	return err;
}

/* The review row REC of TABLE/ID as review_of shows it. */
static int review_state(store *st, const char *table, const char *id, const json_t *rev, json_t **out)
{
	const table_def *t = store_table(st, table);
	json_t *rec = NULL, *o = json_object();
	char version[41];
	int err = 0, deleted = 0, stale = 0;
	if (!o)
		return ERR_OOM();
	static const char *const keys[] = {"status", "comment", "reviewer", "reviewed_at", "record_version"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(rev, keys[i]);
		json_object_set_new(o, keys[i], json_is_string(v) ? json_incref(v) : json_null());
	}
	if (!t || (err = store_row_get(st, t, id, &rec)) == C2C_ENOTFOUND) {
		deleted = 1;
		err = 0;
	} else if (err < 0) {
		goto done;
	} else {
		if ((err = review_version(rec, version)) < 0)
			goto done;
		const char *judged = json_string_value(json_object_get(rev, "record_version"));
		stale = !judged || strcmp(version, judged) != 0;
	}
	json_object_set_new(o, "out_of_date", json_boolean(stale || deleted));
	json_object_set_new(o, "record_deleted", json_boolean(deleted));
done:
	json_decref(rec);
	if (err < 0) {
		json_decref(o);
		return err;
	}
	*out = o;
	return 0;
}

int review_of(store *st, const char *table, const char *id, json_t **out)
{
	const table_def *rt = store_table(st, "reviews");
	json_t *rev = NULL;
	char *rid = NULL;
	int err;
	*out = NULL;
	if (!rt)
		return 0;
	json_t *key = json_pack("{s:s,s:s}", "record_table", table, "record_id", id);
	if (!key)
		return ERR_OOM();
	/* An id too long to make a review's id has no review. */
	if (record_natural_id(rt, key, &rid) < 0) {
		json_decref(key);
		return 0;
	}
	json_decref(key);
	err = store_row_get(st, rt, rid, &rev);
	free(rid);
	if (err == C2C_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	err = review_state(st, table, id, rev, out);
	json_decref(rev);
	return err;
}

int review_list(store *st, const char *city, const char *status, json_t **out)
{
	const table_def *rt = store_table(st, "reviews");
	json_t *arr = json_array(), *ids = NULL, *rev = NULL, *o = NULL, *e;
	size_t i;
	int err = 0;
	*out = NULL;
	if (!arr)
		return ERR_OOM();
	if (!rt)
		goto done;
	if ((err = store_report_review_ids(st, city, status, &ids)) < 0)
		goto done;
	json_array_foreach(ids, i, e)
	{
		const char *rid = json_string_value(e);
		if ((err = store_row_get(st, rt, rid, &rev)) < 0)
			goto done;
		const char *tbl = json_string_value(json_object_get(rev, "record_table"));
		const char *id = json_string_value(json_object_get(rev, "record_id"));
		if (tbl && id) {
			if ((err = review_state(st, tbl, id, rev, &o)) < 0)
				goto done;
			json_object_set_new(o, "id", json_string(rid));
			json_object_set_new(o, "record_table", json_string(tbl));
			json_object_set_new(o, "record_id", json_string(id));
			json_t *c = json_object_get(rev, "city");
			json_object_set_new(o, "city", json_is_string(c) ? json_incref(c) : json_null());
			json_array_append_new(arr, o);
			o = NULL;
		}
		json_decref(rev);
		rev = NULL;
	}
done:
	json_decref(ids);
	json_decref(rev);
	json_decref(o);
	if (err < 0) {
		json_decref(arr);
		return err;
	}
	*out = arr;
	return 0;
}
