#include "c2c/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/util.h"

/* The text of FIELD=@PATH: the file's bytes, or standard input's for "-"
 * (once per command), without one final line break. *out malloc'd. */
static int read_value_file(const char *path, int *stdin_used, char **out)
{
	int is_stdin = !strcmp(path, "-");
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;
	*out = NULL;
	if (is_stdin && (*stdin_used)++) {
		err_set(C2C_EUSAGE, _("@- (standard input) can be given once"));
		return err_hint(_("read the other values from files: FIELD=@FILE"));
	}
	if (!(f = is_stdin ? stdin : fopen(path, "rb"))) {
		err = err_errno(C2C_ENOTFOUND, path);
		err_hint(_("FIELD=@FILE reads the value from FILE; write FIELD=@@text for a text that starts with @"));
		return err;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			/* the next capacity, twice this one, would pass 64 MiB */
			if (cap > (32u << 20)) {
				err = err_set(C2C_EINVALID, _("%s: a value is at most 64 MiB"), path);
				goto done;
			}
			if ((err = util_grow((void **)&buf, &cap, len + 4096 + 1, 1)) < 0)
				goto done;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err = err_errno(C2C_EIO, is_stdin ? _("standard input") : path);
		goto done;
	}
	if (!buf && !(buf = malloc(1))) {
		err = ERR_OOM();
		goto done;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		err = err_set(C2C_EINVALID, _("%s holds a NUL byte: it is not a text file"), is_stdin ? _("standard input") : path);
		goto done;
	}
	*out = buf;
	buf = NULL;
done:
	if (f && !is_stdin)
		fclose(f);
	free(buf);
	return err;
}

int write_parse_assignments(c2c_node *n, const table_def *t, int argc, char **argv, json_t **out)
{
	json_t *o = json_object();
	int stdin_used = 0;
	int err = 0;
	*out = NULL;
	if (!o)
		return ERR_OOM();
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			err = err_set(C2C_EUSAGE, _("'%s' is not FIELD=VALUE"), argv[i]);
			goto done;
		}
		char *name = strndup(argv[i], (size_t)(eq - argv[i]));
		const field_def *f = name ? store_field(t, name) : NULL;
		if (!f) {
			err = err_set(C2C_EINVALID, _("table %s has no field '%s'"), t->name, name ? name : "");
			err_hint(_("run 'c2c tables %s' to see its fields"), t->name);
			free(name);
			goto done;
		}
		free(name);
		if (json_object_get(o, f->name)) {
			err = err_set(C2C_EUSAGE, _("field %s is given twice"), f->name);
			goto done;
		}
		json_t *v = NULL;
		char *text = NULL;
		const char *given = eq + 1;
		if (given[0] == '@' && given[1] == '@') {
			given++; /* "@@x": the text "@x" */
		} else if (given[0] == '@' && given[1]) {
			if ((err = read_value_file(given + 1, &stdin_used, &text)) < 0) {
				err_prefix("%s: ", f->name);
				goto done;
			}
			given = text;
		}
		err = record_parse_value(n->st, t, f, given, &v);
		free(text);
		if (err < 0)
			goto done;
		json_object_set_new(o, f->name, v);
	}
done:
	if (err < 0) {
		json_decref(o);
		return err;
	}
	*out = o;
	return 0;
}

int write_check_scope(c2c_node *n, const table_def *t, const char *city)
{
	/* A revocation or a hand-over of the root is made by its own command,
	 * which checks it, and never changes afterwards. */
	if (!n->registry_write && (!strcmp(t->name, "revocations") || !strcmp(t->name, "roots"))) {
		err_set(C2C_EINVALID, "table %s is written only by its own command", t->name);
		return err_hint(!strcmp(t->name, "roots") ? "hand the root over with 'c2c trust handover NODE-ID'"
		                                           : "revoke a node with 'c2c node revoke NODE-ID'; a revocation never changes");
	}
	if (t->city_scope && !n->city) {
		err_set(C2C_EINVALID, _("the office does not write city records (%s)"), t->name);
		return err_hint(_("city records are written on the city's own node"));
	}
	if (!t->city_scope && n->city) {
		err_set(C2C_EINVALID, _("table %s holds network records, which only the office writes"), t->name);
		return err_hint(_("ask the coordination office to change network data"));
	}
	if (t->city_scope && city && strcmp(city, n->city)) {
		err_set(C2C_EINVALID, _("this node writes %s's records only, not %s's"), n->city, city);
		return err_hint(_("leave city out: it defaults to %s"), n->city);
	}
	return 0;
}

/* Set FIELD of REC to V (null clears), stamping it with the edit's dot;
 * returns 1 if it changed. The edit has seen every entry of the field, so
 * its open conflicts close; a set keeps, per element, the dots that added it
 * (merge.h), so that concurrent additions and removals merge as sets. */
static int assign(json_t *rec, const char *field, json_t *v, const char *node, long long counter, long long lamport)
{
	json_t *old = json_object_get(rec, field);
	json_t *meta = record_meta(rec);
	json_t *conflicts = json_object_get(meta, "conflicts");
	int open = json_object_get(conflicts, field) != NULL;
	if (!open && (json_is_null(v) ? !old : (old && json_equal(old, v))))
		return 0;
	if (open) {
		json_object_del(conflicts, field);
		if (!json_object_size(conflicts))
			json_object_del(meta, "conflicts");
	}
	json_t *elems = json_object_get(meta, "elems");
	json_t *fe = json_object_get(elems, field);
	if (json_is_array(v) || fe) {
		json_t *ne = json_object();
		for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++) {
			const char *e = json_string_value(json_array_get(v, i));
			json_t *dots = json_object_get(fe, e);
			json_object_set_new(ne, e,
			                    dots ? json_incref(dots)
			                         : json_pack("[[sII]]", node, (json_int_t)counter, (json_int_t)lamport));
		}
		if (!elems) {
			elems = json_object();
			json_object_set_new(meta, "elems", elems);
		}
		/* An emptied set keeps "elems": {field: {}}, so that later joins
		 * still treat the field as a set (merge.h). */
		json_object_set_new(elems, field, ne);
	}
	if (json_is_null(v))
		json_object_del(rec, field);
	else
		json_object_set(rec, field, v);
	record_stamp(rec, field, node, counter, lamport);
	return 1;
}

int write_assign(json_t *rec, const char *field, json_t *v, const char *node, long long counter, long long lamport)
{
	return assign(rec, field, v, node, counter, lamport);
}

/* A write has seen the record's deletions: they close. */
static void forget_deletions(json_t *rec)
{
	json_object_del(record_meta(rec), "deleted");
}

/* A table whose key is unique (priorities: a rank once per city): refuse
 * REC, about to be written as T/ID, when another live record has its key. */
static int check_unique(c2c_node *n, const table_def *t, const char *id, const json_t *rec)
{
	char *other = NULL;
	size_t count = 0;
	int err;
	if (!t->key_unique || !t->nmatchkey)
		return 0;
	if ((err = store_find_by_key(n->st, t, rec, &other, &count)) < 0)
		return err;
	if (count > 1 || (other && strcmp(other, id))) {
		char key[512];
		size_t l = 0;
		key[0] = '\0';
		for (size_t i = 0; i < t->nmatchkey && l < sizeof(key); i++) {
			char *v = record_value_text(json_object_get(rec, t->matchkey[i]));
			l += (size_t)snprintf(key + l, sizeof(key) - l, "%s%s %s", i ? ", " : "", t->matchkey[i], v ? v : "?");
			free(v);
		}
		err = err_set(C2C_EINVALID, _("%s/%s already has %s"), t->name, other && strcmp(other, id) ? other : id, key);
		err_hint(_("each %s record has its own %s: change the other one first ('c2c ls %s')"), t->name,
		         t->matchkey[t->nmatchkey - 1], t->name);
	}
	free(other);
	return err;
}

int write_add(node_txn *tx, c2c_node *n, const table_def *t, const char *id_opt, json_t *fields, char **id_out)
{
	json_t *rec = NULL;
	char *id = NULL, *tomb = NULL;
	int err;
	*id_out = NULL;
	if (t->city_scope && !json_object_get(fields, "city") && n->city)
		json_object_set_new(fields, "city", json_string(n->city));
	const char *city = t->city_scope ? json_string_value(json_object_get(fields, "city")) : NULL;
	if ((err = write_check_scope(n, t, city)) < 0)
		return err;
	if (t->nnatkey) {
		if (id_opt)
			return err_set(C2C_EUSAGE, _("%s records get their id from %s; --id is not used"), t->name,
			               t->natkey[0]);
		if ((err = record_natural_id(t, fields, &id)) < 0)
			return err;
	} else if (id_opt) {
		if (!record_id_valid(id_opt)) {
			err_set(C2C_EINVALID, _("'%s' is not a valid record id"), id_opt);
			return err_hint(_("ids are lower-case letters, digits, '.', '_' and '-', at most %d bytes"),
			                RECORD_ID_MAX);
		}
		id = strdup(id_opt);
	} else {
		char buf[25];
		if ((err = record_new_id(buf)) < 0)
			return err;
		id = strdup(buf);
	}
	if (!id)
		return ERR_OOM();
	/* A new id made here cannot exist: skip the look-ups (they cost an import
	 * two queries a row). */
	int fresh = !t->nnatkey && !id_opt;
	if (!fresh && store_row_exists(n->st, t->name, id)) {
		err = err_set(C2C_EINVALID, _("%s/%s already exists"), t->name, id);
		err_hint(_("change it with 'c2c set %s/%s FIELD=VALUE'"), t->name, id);
		goto done;
	}
	rec = json_object();
	/* A deleted record that is added again continues its clock. */
	if (!fresh && store_tomb_get(n->st, t->name, id, &tomb) == 0) {
		json_t *old = NULL;
		if ((err = canon_parse(tomb, strlen(tomb), "tombstone", &old)) < 0)
			goto done;
		json_object_set(rec, "_c2c", json_object_get(old, "_c2c"));
		/* Its old fields' dots and elements stay: the new values supersede them. */
		json_t *meta = record_meta(rec);
		json_object_del(meta, "deleted");
		json_object_del(meta, "conflicts");
		json_decref(old);
	}
	if ((err = record_check_required(t, fields, id)) < 0)
		goto done;
	long long c = record_begin_edit(rec, n->node_id);
	if (c < 0) {
		err = (int)c;
		goto done;
	}
	const char *k;
	json_t *v;
	/* A record added again over its tombstone: the old fields not given now
	 * are cleared by this edit (their values went with the deletion, so
	 * their dots and elements must go with a new dot). */
	json_t *meta = record_meta(rec), *dots = json_object_get(meta, "dots");
	json_object_foreach(dots, k, v)
	{
		if (json_object_get(fields, k))
			continue;
		record_stamp(rec, k, n->node_id, c, node_txn_lamport(tx));
		json_t *fe = json_object_get(json_object_get(meta, "elems"), k);
		if (fe)
			json_object_clear(fe);
	}
	json_object_foreach(fields, k, v) assign(rec, k, v, n->node_id, c, node_txn_lamport(tx));
	if ((err = check_unique(n, t, id, rec)) < 0 || (err = (fresh ? node_txn_put_new : node_txn_put)(tx, t, id, rec)) < 0)
		goto done;
	*id_out = id;
	id = NULL;
done:
	json_decref(rec);
	free(id);
	free(tomb);
	return err;
}

int write_set(node_txn *tx, c2c_node *n, const table_def *t, const char *id, json_t *fields, int *changed)
{
	json_t *rec = NULL;
	int err;
	*changed = 0;
	err = node_txn_get(tx, t, id, &rec);
	if (err == C2C_ENOTFOUND)
		return err_hint(_("run 'c2c ls %s' to see the ids"), t->name);
	if (err < 0)
		return err;
	const char *city = t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
	if ((err = write_check_scope(n, t, city)) < 0)
		goto done;
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v)
	{
		const field_def *f = store_field(t, k);
		if (f && f->immutable && !json_equal(v, json_object_get(rec, k))) {
			err = err_set(C2C_EINVALID, _("%s.%s is part of the record's identity and cannot change"), t->name, k);
			err_hint(_("delete the record and add a new one"));
			goto done;
		}
	}
	json_t *probe = json_deep_copy(rec);
	json_object_foreach(fields, k, v) assign(probe, k, v, n->node_id, 0, 0);
	int differs = !json_equal(probe, rec);
	if (differs && ((err = record_check_required(t, probe, id)) < 0 || (err = check_unique(n, t, id, probe)) < 0)) {
		json_decref(probe);
		goto done;
	}
	json_decref(probe);
	if (!differs)
		goto done;
	long long c = record_begin_edit(rec, n->node_id);
	if (c < 0) {
		err = (int)c;
		goto done;
	}
	forget_deletions(rec);
	json_object_foreach(fields, k, v) assign(rec, k, v, n->node_id, c, node_txn_lamport(tx));
	*changed = 1;
	err = node_txn_put(tx, t, id, rec);
done:
	json_decref(rec);
	return err;
}

int write_rm(node_txn *tx, c2c_node *n, const table_def *t, const char *id)
{
	json_t *rec = NULL;
	int err = node_txn_get(tx, t, id, &rec);
	if (err == C2C_ENOTFOUND)
		return err_hint(_("run 'c2c ls %s' to see the ids"), t->name);
	if (err < 0)
		return err;
	const char *city = t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
	if ((err = write_check_scope(n, t, city)) == 0) {
		long long c = record_begin_edit(rec, n->node_id);
		json_t *meta = record_meta(rec);
		if (c < 0) {
			json_decref(rec);
			return (int)c;
		}
		json_object_set_new(meta, "deleted",
		                    json_pack("[[sIIo]]", n->node_id, (json_int_t)c, (json_int_t)node_txn_lamport(tx),
		                              json_deep_copy(json_object_get(meta, "clock"))));
		err = node_txn_delete(tx, t, id, rec);
	}
	json_decref(rec);
	return err;
}
