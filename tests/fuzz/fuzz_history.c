/* Fuzz target: an accepted history never leaves a node unable to write,
 * merge or pass `verify` (incoming.h; issue 11, point 3).
 *
 * Once per process, in a fresh directory under $TMPDIR: an office O that
 * registers two city nodes, W (sfax) and R (tunis), and gives both its key,
 * so that every rule of incoming.h applies (who, where, mass deletion).
 * W writes actions a1..a5 and f1..f8 (values, a set field, a deletion), R
 * writes b1, and R and W sync until both hold the same head. Both node
 * directories are kept as templates.
 *
 * Each input is copied onto fresh copies of W and R and read as one to
 * three new commits by W on top of that head (the reader below takes 0 for
 * bytes past the end, so any input means something):
 *   kind     %8 == 7: delete every live record of sfax but a5 (mass
 *            deletion); 6: two records in one commit; 5: a merge by W of
 *            two commits of its own on one parent (their join, or one
 *            side's tree); else one record, the target (a1..a4, b1 of tunis,
 *            the office's cities/sfax, a new sfax or tunis record), with
 *            an edit made as write.c makes it (a text, an integer, an
 *            element of a set field, a deletion) then 0..5 mutations of its
 *            JSON: any field to any value, clock entries, dots, conflicts,
 *            set elements, deletions (nodes W, R, O, an unknown one, "";
 *            counters and Lamport times from 0, 1, k-1, k, k+1, 2^53-1,
 *            2^53, 2^63-1, -1 around the honest k), keys dropped, the
 *            edit's dot renamed or moved back to the old one
 *   blob     canonical text, or with a byte flipped, a line added, or
 *            compact JSON
 *   tree     git's tree, or the leaf tree with the name twice, mode
 *            100664/100755/120000, two entries swapped, a file removed
 *   header   committer and author W, R, O or a person; zero, one or two
 *            C2C-Node trailers; C2C-Confirm-Delete right, wrong or none
 * Each commit is signed with W's key and written into R's object database
 * (a scratch copy). refs/c2c/remotes/w/main points at the last one, and R
 * merges it as a sync does (sync_merge_fetched). If nothing was held, the
 * checks accepted the history and then, or abort():
 *   R writes its own record (title and outcomes) and passes node_verify;
 *   W, having written a record of its own meanwhile, syncs from R (the
 *   real fetch by path and a merge commit), holds nothing, writes the
 *   record the input edited (when it is a live record of sfax) and a1, and
 *   passes node_verify;
 *   R syncs from W (a fast-forward over W's merge commit), holds nothing,
 *   writes and passes node_verify.
 * If something was held, R's head and rows must be as before.
 *
 * The seeds of corpus/history/ were written with printf, one per mutation
 * kind (see the comment at the end of this file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_tree.h"
#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/incoming.h"
#include "c2c/keys.h"
#include "c2c/merge.h"
#include "c2c/mergetree.h"
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/trust.h"
#include "c2c/sync.h"
#include "c2c/write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verbose;

/* A failure of the property: say what, then abort so libFuzzer keeps the
 * input. */
#define FAIL(...)                                                                                                      \
	do {                                                                                                           \
		fprintf(stderr, "fuzz_history: " __VA_ARGS__);                                                        \
		fprintf(stderr, " (%s)\n", err_msg());                                                                 \
		abort();                                                                                               \
	} while (0)

/* ------------------------------------------------------------ directories */

static char top[4096]; /* the directory of this process's nodes */

static int rm_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		char p[4096];
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			rm_tree(p);
		}
		if (d)
			closedir(d);
		return rmdir(path);
	}
	return unlink(path);
}

/* A copy of a node directory (plain files and directories: what a node
 * holds), without a shell: a fork of a sanitized process per input costs. */
static int copy_tree(const char *from, const char *to)
{
	struct stat st;
	if (lstat(from, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(to, st.st_mode & 07777) < 0 && errno != EEXIST)
			return -1;
		DIR *d = opendir(from);
		struct dirent *e;
		char a[4096], b[4096];
		int err = d ? 0 : -1;
		while (d && err == 0 && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
			snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
			err = copy_tree(a, b);
		}
		if (d)
			closedir(d);
		return err;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	char buf[65536];
	ssize_t got = 0;
	int err = in < 0 || out < 0 ? -1 : 0;
	while (err == 0 && (got = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)got) != got)
			err = -1;
	if (got < 0)
		err = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return err;
}

static void cleanup(void)
{
	if (top[0])
		rm_tree(top);
}

/* ------------------------------------------------------------------ setup */

static struct {
	char odir[4200], wdir[4200], rdir[4200], wtpl[4200], rtpl[4200];
	char *w, *r, *o;       /* node ids */
	keys_signer *wsig;     /* W's key */
	git_oid head;          /* the head W and R share */
	long long serial;      /* makes every later write change a value */
} G;

/* The table "actions" of N (a table_def lives as long as its node). */
static const table_def *acts(c2c_node *n)
{
	const table_def *t = store_table(n->st, "actions");
	if (!t)
		FAIL("no table actions");
	return t;
}

static void must(int rc, const char *what)
{
	if (rc < 0)
		FAIL("setup: %s failed", what);
}

/* Write FIELDS ("name=value" strings, NULL-terminated) into T/ID of N:
 * add (ADD) or set, or delete (DEL), in its own commit. */
static void setup_write(c2c_node *n, const char *id, int add, int del, const char *const *fields)
{
	node_txn *tx = NULL;
	json_t *f = NULL;
	char *newid = NULL;
	git_oid head;
	int argc = 0, changed;
	while (fields && fields[argc])
		argc++;
	must(node_txn_begin(&tx, n), "a write");
	if (del)
		must(write_rm(tx, n, acts(n), id), "write_rm");
	else {
		must(write_parse_assignments(n, acts(n), argc, (char **)fields, &f), "write_parse_assignments");
		if (add)
			must(write_add(tx, n, acts(n), id, f, &newid), "write_add");
		else
			must(write_set(tx, n, acts(n), id, f, &changed), "write_set");
	}
	must(node_txn_commit(tx, "fuzz setup", &head), "node_txn_commit");
	json_decref(f);
	free(newid);
}

static void sync_clean(c2c_node *n, const char *remote, const char *when)
{
	sync_result res;
	memset(&res, 0, sizeof(res));
	if (sync_with(n, remote, NULL, &res) < 0)
		FAIL("%s: sync of %s with %s failed", when, n->node_id, remote);
	if (res.held)
		FAIL("%s: sync of %s with %s held %zu branch(es)", when, n->node_id, remote, res.held);
}

static void setup(void)
{
	c2c_node *o = NULL, *w = NULL, *r = NULL;
	char *opub = NULL, *wpub = NULL, *rpub = NULL;
	/* A node fsyncs every commit and every move of its head: on a disk that
	 * is most of an input's time, on tmpfs it is free. */
	struct stat sb;
	const char *tmp = getenv("TMPDIR")                                               ? getenv("TMPDIR")
	                  : stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && !access("/dev/shm", W_OK) ? "/dev/shm"
	                                                                                                  : "/tmp";
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	snprintf(top, sizeof(top), "%s/c2c-fuzz-history.XXXXXX", tmp);
	if (!mkdtemp(top)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(cleanup);
	snprintf(G.odir, sizeof(G.odir), "%s/office", top);
	snprintf(G.wdir, sizeof(G.wdir), "%s/w", top);
	snprintf(G.rdir, sizeof(G.rdir), "%s/r", top);
	snprintf(G.wtpl, sizeof(G.wtpl), "%s/w.template", top);
	snprintf(G.rtpl, sizeof(G.rtpl), "%s/r.template", top);
	/* The office registers itself and both cities, as `c2c init --office`
	 * and `c2c node add` do. */
	must(node_create(&o, G.odir, NULL, 1, "Office <office@c2c.invalid>", 0), "the office");
	must(node_create(&w, G.wdir, "sfax", 0, "Amina <amina@sfax.invalid>", 0), "node W");
	must(node_create(&r, G.rdir, "tunis", 0, "Sami <sami@tunis.invalid>", 0), "node R");
	must(keys_public(o->dir, &opub), "the office's key");
	must(keys_public(w->dir, &wpub), "W's key");
	must(keys_public(r->dir, &rpub), "R's key");
	for (char **k = (char *[]){opub, wpub, rpub, NULL}; *k; k++) {
		char *sp = strchr(*k, ' ');
		if (sp && (sp = strchr(sp + 1, ' ')))
			*sp = '\0';
	}
	must(registry_add(o, o->node_id, NULL, "office", opub), "registering the office");
	must(registry_set_office_key(o, opub), "the office's key");
	must(registry_add(o, w->node_id, "sfax", "city", wpub), "registering W");
	must(registry_add(o, r->node_id, "tunis", "city", rpub), "registering R");
	must(registry_set_office_key(w, opub), "W's office key");
	must(registry_set_office_key(r, opub), "R's office key");
	G.o = strdup(o->node_id);
	G.w = strdup(w->node_id);
	G.r = strdup(r->node_id);
	node_close(o);
	must(sync_remote_add(w, "o", G.odir), "W's remote o");
	must(sync_remote_add(r, "o", G.odir), "R's remote o");
	must(sync_remote_add(w, "r", G.rdir), "W's remote r");
	must(sync_remote_add(r, "w", G.wdir), "R's remote w");
	sync_clean(w, "o", "setup");
	sync_clean(r, "o", "setup");
	/* W: values of each type, a set field, a change, a deletion, and
	 * enough records for a mass deletion to count. */
	setup_write(w, "a1", 1, 0,
	            (const char *const[]){"title=Accueil", "status=ongoing", "budget_eur=50000",
	                                  "sdg_targets=10.7,16.6", "partners=Croissant Rouge,OIM", NULL});
	setup_write(w, "a2", 1, 0, (const char *const[]){"title=Ecole", "status=proposed", NULL});
	setup_write(w, "a2", 0, 0, (const char *const[]){"status=approved", "sdg_targets=4.1", NULL});
	setup_write(w, "a3", 1, 0, (const char *const[]){"title=Ferme", NULL});
	setup_write(w, "a3", 0, 1, NULL);
	setup_write(w, "a4", 1, 0, (const char *const[]){"title=Emploi", "people_reached_female=12", NULL});
	setup_write(w, "a5", 1, 0, (const char *const[]){"title=Reserve", NULL});
	for (int i = 1; i <= 8; i++) {
		char id[8];
		snprintf(id, sizeof(id), "f%d", i);
		setup_write(w, id, 1, 0, (const char *const[]){"title=Filler", NULL});
	}
	/* R: its own record, then both sync until they hold one head. */
	setup_write(r, "b1", 1, 0, (const char *const[]){"title=Tunis", "sdg_targets=10.7", NULL});
	node_close(w);
	sync_clean(r, "w", "setup");
	node_close(r);
	must(node_open(&w, G.wdir, NODE_WRITE), "opening W");
	sync_clean(w, "r", "setup");
	G.head = w->head;
	node_close(w);
	must(node_open(&r, G.rdir, NODE_WRITE), "opening R");
	if (!git_oid_equal(&r->head, &G.head))
		FAIL("setup: W and R hold different heads");
	node_close(r);
	must(keys_signer_load(&G.wsig, G.wdir), "W's signer");
	if (copy_tree(G.wdir, G.wtpl) < 0 || copy_tree(G.rdir, G.rtpl) < 0)
		FAIL("setup: copying the templates");
	free(opub);
	free(wpub);
	free(rpub);
}

/* ------------------------------------------------------------------ input */

typedef struct {
	const uint8_t *p;
	size_t n, i;
} cursor;

static unsigned u8(cursor *c) { return c->i < c->n ? c->p[c->i++] : 0; }

static const char *pick_node(cursor *c)
{
	switch (u8(c) % 5) {
	case 0:
		return G.w;
	case 1:
		return G.r;
	case 2:
		return G.o;
	case 3:
		return "zz-unknown-node";
	default:
		return "";
	}
}

/* A counter or Lamport time around K, the honest one. */
static long long pick_num(cursor *c, long long k)
{
	switch (u8(c) % 9) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return k - 1;
	case 3:
		return k;
	case 4:
		return k + 1;
	case 5:
		return RECORD_CLOCK_MAX;
	case 6:
		return RECORD_CLOCK_MAX + 1;
	case 7:
		return INT64_MAX;
	default:
		return -1;
	}
}

static const char *const act_fields[] = {"title", "status", "budget_eur", "sdg_targets", "partners",
                                         "outcomes", "people_reached_female", "city", "zz_unknown"};
#define NFIELDS (sizeof(act_fields) / sizeof(act_fields[0]))
static const char *const set_fields[] = {"sdg_targets", "partners", "objectives"};

static const char *pick_field(cursor *c) { return act_fields[u8(c) % NFIELDS]; }

static json_t *pick_value(cursor *c)
{
	switch (u8(c) % 10) {
	case 0:
		return json_string("x");
	case 1:
		return json_integer(5);
	case 2:
		return json_integer(-1);
	case 3:
		return json_pack("[s]", "10.7");
	case 4:
		return json_null();
	case 5:
		return json_object();
	case 6:
		return json_true();
	case 7:
		return json_string("\x1b]0;title\x07");
	case 8:
		return json_integer(INT64_MAX);
	default:
		return json_string("completed");
	}
}

static json_t *meta_obj(json_t *rec, const char *key)
{
	json_t *m = record_meta(rec), *o = json_object_get(m, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(m, key, o);
	}
	return o;
}

static json_t *meta_arr(json_t *rec, const char *key)
{
	json_t *m = record_meta(rec), *o = json_object_get(m, key);
	if (!json_is_array(o)) {
		o = json_array();
		json_object_set_new(m, key, o);
	}
	return o;
}

/* Replace, in every dot [NODE, K, L] of REC (dots, conflicts, elements,
 * deletions) that is the edit's (node ME, counter K0), the node, the
 * counter or the Lamport time (WHICH 0, 1, 2) by V. */
static void redot_one(json_t *d, size_t off, const char *me, long long k0, int which, const char *node, long long v)
{
	if (!json_is_array(d) || strcmp(json_string_value(json_array_get(d, off)) ? json_string_value(json_array_get(d, off)) : "", me) ||
	    json_integer_value(json_array_get(d, off + 1)) != k0)
		return;
	if (which == 0)
		json_array_set_new(d, off, json_string(node));
	else
		json_array_set_new(d, off + (size_t)which, json_integer(v));
}

static void redot(json_t *rec, const char *me, long long k0, int which, const char *node, long long v)
{
	json_t *m = record_meta(rec), *x, *y;
	const char *f, *e;
	json_object_foreach(json_object_get(m, "dots"), f, x) redot_one(x, 0, me, k0, which, node, v);
	json_object_foreach(json_object_get(m, "conflicts"), f, x)
	{
		for (size_t i = 0; i < json_array_size(x); i++)
			redot_one(json_array_get(x, i), 1, me, k0, which, node, v);
	}
	json_object_foreach(json_object_get(m, "elems"), f, x)
	{
		json_object_foreach(x, e, y)
		{
			for (size_t i = 0; i < json_array_size(y); i++)
				redot_one(json_array_get(y, i), 0, me, k0, which, node, v);
		}
	}
	for (size_t i = 0; i < json_array_size(json_object_get(m, "deleted")); i++)
		redot_one(json_array_get(json_object_get(m, "deleted"), i), 0, me, k0, which, node, v);
}

/* The edit as write.c makes it: FIELD set to V with the dot [W, K, L]
 * (a set field keeps its elements' old dots, and new ones get the edit's). */
static void assign(json_t *rec, const char *field, json_t *v, long long k, long long l)
{
	json_t *meta = record_meta(rec), *conf = json_object_get(meta, "conflicts");
	json_object_del(conf, field);
	if (conf && !json_object_size(conf))
		json_object_del(meta, "conflicts");
	if (json_is_array(v)) {
		json_t *fe = json_object_get(json_object_get(meta, "elems"), field), *ne = json_object();
		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *e = json_string_value(json_array_get(v, i));
			json_t *d = json_object_get(fe, e);
			json_object_set_new(ne, e, d ? json_incref(d) : json_pack("[[sII]]", G.w, (json_int_t)k, (json_int_t)l));
		}
		json_object_set_new(meta_obj(rec, "elems"), field, ne);
	}
	if (json_is_null(v))
		json_object_del(rec, field);
	else
		json_object_set(rec, field, v);
	record_stamp(rec, field, G.w, k, l);
	json_decref(v);
}

/* One mutation of REC, whose honest edit is [W, K, L]; OLD is its parent
 * version (NULL: new). */
static void mutate(cursor *c, json_t *rec, const json_t *old, long long k, long long l)
{
	unsigned op = u8(c) % 12;
	const char *f = pick_field(c), *node;
	json_t *m = record_meta(rec);
	long long a, b;
	switch (op) {
	case 0: { /* a field's value, its dot untouched */
		json_t *v = pick_value(c);
		if (json_is_null(v))
			json_object_del(rec, f);
		else
			json_object_set(rec, f, v);
		json_decref(v);
		break;
	}
	case 1: /* a clock entry */
		node = pick_node(c);
		json_object_set_new(meta_obj(rec, "clock"), node, json_integer(pick_num(c, k)));
		break;
	case 2: /* a field's dot */
		node = pick_node(c);
		a = pick_num(c, k);
		b = pick_num(c, l);
		json_object_set_new(meta_obj(rec, "dots"), f, json_pack("[sII]", node, (json_int_t)a, (json_int_t)b));
		break;
	case 3: { /* a conflict */
		json_t *v = pick_value(c), *arr = json_object_get(meta_obj(rec, "conflicts"), f);
		node = pick_node(c);
		a = pick_num(c, k);
		b = pick_num(c, l);
		if (!json_is_array(arr)) {
			arr = json_array();
			json_object_set_new(meta_obj(rec, "conflicts"), f, arr);
		}
		json_array_append_new(arr, json_pack("[osII]", v, node, (json_int_t)a, (json_int_t)b));
		break;
	}
	case 4: { /* a set element */
		const char *sf = set_fields[u8(c) % 3];
		const char *el = (const char *[]){"10.7", "16.6", "4.1", "zz"}[u8(c) % 4];
		json_t *fe = json_object_get(meta_obj(rec, "elems"), sf), *arr;
		node = pick_node(c);
		a = pick_num(c, k);
		b = pick_num(c, l);
		if (!json_is_object(fe)) {
			fe = json_object();
			json_object_set_new(meta_obj(rec, "elems"), sf, fe);
		}
		if (!json_is_array(arr = json_object_get(fe, el))) {
			arr = json_array();
			json_object_set_new(fe, el, arr);
		}
		json_array_append_new(arr, json_pack("[sII]", node, (json_int_t)a, (json_int_t)b));
		if (u8(c) & 1) { /* and in the value */
			json_t *v = json_object_get(rec, sf);
			if (!json_is_array(v))
				json_object_set_new(rec, sf, v = json_array());
			json_array_append_new(v, json_string(el));
		}
		break;
	}
	case 5: { /* a deletion, with the record's clock or another */
		json_t *clock = json_deep_copy(json_object_get(m, "clock"));
		node = pick_node(c);
		a = pick_num(c, k);
		b = pick_num(c, l);
		if (!clock)
			clock = json_object();
		if (u8(c) & 1)
			json_object_set_new(clock, pick_node(c), json_integer(pick_num(c, k)));
		json_array_append_new(meta_arr(rec, "deleted"), json_pack("[sIIo]", node, (json_int_t)a, (json_int_t)b, clock));
		break;
	}
	case 6: { /* a key dropped */
		static const char *const keys[] = {"clock", "dots", "elems", "conflicts", "deleted"};
		unsigned w = u8(c) % 4;
		if (w == 0)
			json_object_del(rec, f);
		else if (w == 1)
			json_object_del(m, keys[u8(c) % 5]);
		else if (w == 2)
			json_object_del(json_object_get(m, "dots"), f);
		else
			json_object_del(json_object_get(m, "clock"), pick_node(c));
		break;
	}
	case 7: /* the edit's Lamport time */
		redot(rec, G.w, k, 2, NULL, pick_num(c, l));
		break;
	case 8: /* the edit's counter, and maybe the clock with it */
		a = pick_num(c, k);
		redot(rec, G.w, k, 1, NULL, a);
		if (u8(c) & 1)
			json_object_set_new(meta_obj(rec, "clock"), G.w, json_integer(a));
		break;
	case 9: /* an old dot kept over a new value (issue 11, finding 3) */
		if (old) {
			json_t *od = json_object_get(json_object_get(json_object_get(old, "_c2c"), "dots"), f);
			if (od)
				json_object_set_new(meta_obj(rec, "dots"), f, json_deep_copy(od));
		}
		break;
	case 10: /* the edit's dot under another node's name */
		redot(rec, G.w, k, 0, pick_node(c), 0);
		break;
	default: /* bookkeeping of the wrong type */
		json_object_set_new(rec, "_c2c", (u8(c) & 1) ? json_array() : json_string("x"));
		break;
	}
}

/* ------------------------------------------------------------------ trees */


enum { T_PLAIN, T_TWICE, T_664, T_755, T_LINK, T_SWAP, T_REMOVE };

/* The tree BASE (NULL: empty) with PATH set to blob ID (ID NULL: removed),
 * written raw; the tree that holds the file gets *CORRUPT, or (a swap or
 * a removal, in a tree of one entry) the nearest tree above it with two;
 * *CORRUPT becomes T_PLAIN once done. */
static int put_path(git_repository *r, git_odb *odb, const git_oid *base, const char *path, const git_oid *id,
                    int *corrupt, git_oid *out)
{
	git_tree *bt = NULL;
	tentry *t = NULL;
	size_t nt = 0, cap;
	char *buf = NULL;
	size_t blen = 0;
	int err = -1;
	const char *slash = strchr(path, '/');
	size_t nl = slash ? (size_t)(slash - path) : strlen(path);
	if (base && git_tree_lookup(&bt, r, base) < 0)
		return -1;
	cap = (bt ? git_tree_entrycount(bt) : 0) + 2;
	if (nl == 0 || nl >= 256 || !(t = calloc(cap, sizeof(*t))))
		goto done;
	size_t k = (size_t)-1;
	for (size_t i = 0; bt && i < git_tree_entrycount(bt); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(bt, i);
		snprintf(t[nt].name, sizeof(t[nt].name), "%s", git_tree_entry_name(e));
		t[nt].mode = git_tree_entry_filemode(e);
		t[nt].id = *git_tree_entry_id(e);
		if (strlen(t[nt].name) == nl && !memcmp(t[nt].name, path, nl))
			k = nt;
		nt++;
	}
	if (k == (size_t)-1) {
		k = nt++;
		memcpy(t[k].name, path, nl);
		t[k].mode = 0;
	}
	if (slash) {
		if ((err = put_path(r, odb, t[k].mode == 040000 ? &t[k].id : NULL, slash + 1, id, corrupt, &t[k].id)) < 0)
			goto done;
		err = -1;
		t[k].mode = 040000;
	} else if (id) {
		t[k].mode = 0100644;
		t[k].id = *id;
	} else {
		t[k] = t[--nt]; /* removed */
	}
	qsort(t, nt, sizeof(*t), tentry_cmp);
	if (*corrupt != T_PLAIN && nt) {
		int was = *corrupt;
		*corrupt = T_PLAIN;
		switch (was) {
		case T_TWICE:
			t[nt] = t[nt - 1];
			nt++;
			break;
		case T_664:
		case T_755:
		case T_LINK:
			for (size_t i = 0; i < nt; i++)
				if (!strncmp(t[i].name, path, nl) && !t[i].name[nl])
					t[i].mode = was == T_664 ? 0100664 : was == T_755 ? 0100755 : 0120000;
			break;
		case T_SWAP:
			if (nt > 1) {
				tentry x = t[0];
				t[0] = t[1];
				t[1] = x;
			} else
				*corrupt = was;
			break;
		case T_REMOVE:
			if (nt < 2)
				*corrupt = was;
			else {
				for (size_t i = 0; i < nt; i++)
					if (strncmp(t[i].name, path, nl) || t[i].name[nl]) {
						t[i] = t[--nt];
						break;
					}
				qsort(t, nt, sizeof(*t), tentry_cmp);
			}
			break;
		default:
			break;
		}
	}
	if (!(buf = malloc(nt * (8 + 256 + GIT_OID_RAWSZ) + 1)))
		goto done;
	for (size_t i = 0; i < nt; i++) {
		blen += (size_t)sprintf(buf + blen, "%o %s", t[i].mode, t[i].name) + 1;
		memcpy(buf + blen, t[i].id.id, GIT_OID_RAWSZ);
		blen += GIT_OID_RAWSZ;
	}
	err = git_odb_write(out, odb, buf, blen, GIT_OBJECT_TREE);
done:
	git_tree_free(bt);
	free(t);
	free(buf);
	return err;
}

/* ---------------------------------------------------------------- records */

static json_t *read_record(git_repository *r, const git_oid *tree, const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	json_t *rec = NULL;
	if (git_tree_lookup(&t, r, tree) == 0 && git_tree_entry_bypath(&e, t, path) == 0 &&
	    git_blob_lookup(&b, r, git_tree_entry_id(e)) == 0)
		rec = json_loadb(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), 0, NULL);
	git_error_clear();
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	return rec;
}

static char *path_of(c2c_node *n, const char *city, const char *id)
{
	char *p = NULL;
	if (record_path(acts(n), city, id, &p) < 0)
		FAIL("record_path %s/%s", city, id);
	return p;
}

/* The blob of REC: canonical, or damaged as byte B says. */
static int write_blob(cursor *c, git_odb *odb, json_t *rec, git_oid *out)
{
	char *text = NULL;
	size_t len = 0;
	unsigned how = u8(c) % 10;
	int err;
	if (how == 9)
		text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS), len = text ? strlen(text) : 0;
	else if (canon_dump(rec, &text, &len) < 0) {
		err_clear();
		text = json_dumps(rec, JSON_SORT_KEYS), len = text ? strlen(text) : 0;
	}
	if (!text)
		return -1;
	if (how == 7 && len)
		text[u8(c) % len] ^= (char)(1 + u8(c) % 255);
	if (how == 8) {
		char *t2 = realloc(text, len + 3);
		if (!t2) {
			free(text);
			return -1;
		}
		text = t2;
		memcpy(text + len, "\n\n", 3);
		len += 2;
	}
	err = git_odb_write(out, odb, text, len, GIT_OBJECT_BLOB);
	free(text);
	return err;
}

/* The message and signatures of a commit by W, as byte-driven as the rest. */
static void headers(cursor *c, char *msg, size_t size, size_t deleted, git_signature **author,
                    git_signature **committer)
{
	unsigned h = u8(c), tr = u8(c) % 8, cd = u8(c) % 7;
	const char *who[] = {G.w, G.r, "Amina", G.o};
	char mail[256];
	unsigned ci = h % 4, ai = (h / 4) % 4;
	if (ci == 2)
		snprintf(mail, sizeof(mail), "amina@sfax.invalid");
	else
		snprintf(mail, sizeof(mail), "%s@c2c.invalid", who[ci]);
	if (git_signature_new(committer, who[ci], mail, 1700000000, 0) < 0)
		FAIL("a signature");
	if (ai == 0)
		snprintf(mail, sizeof(mail), "amina@sfax.invalid");
	else
		snprintf(mail, sizeof(mail), "%s@c2c.invalid", who[ai == 1 ? 0 : ai == 2 ? 1 : 3]);
	if (git_signature_new(author, ai == 0 ? "Amina" : who[ai == 1 ? 0 : ai == 2 ? 1 : 3], mail, 1700000000, 0) < 0)
		FAIL("a signature");
	size_t m = (size_t)snprintf(msg, size, "fuzz edit\n\n");
	switch (cd) {
	case 3:
		m += (size_t)snprintf(msg + m, size - m, "C2C-Confirm-Delete: sfax %zu\n", deleted);
		break;
	case 4:
		m += (size_t)snprintf(msg + m, size - m, "C2C-Confirm-Delete: sfax 0\n");
		break;
	case 5:
		m += (size_t)snprintf(msg + m, size - m, "C2C-Confirm-Delete: tunis %zu\n", deleted);
		break;
	case 6:
		m += (size_t)snprintf(msg + m, size - m, "C2C-Confirm-Delete: sfax %zu\nC2C-Confirm-Delete: sfax %zu\n",
		                      deleted, deleted);
		break;
	default:
		break;
	}
	switch (tr) {
	case 3:
		break;
	case 4:
		snprintf(msg + m, size - m, "C2C-Node: %s\nC2C-Node: %s\n", G.w, G.w);
		break;
	case 5:
		snprintf(msg + m, size - m, "C2C-Node: %s\nC2C-Node: %s\n", G.w, G.r);
		break;
	case 6:
		snprintf(msg + m, size - m, "C2C-Node: %s\n", G.r);
		break;
	default:
		snprintf(msg + m, size - m, "C2C-Node: %s\n", G.w);
		break;
	}
}

/* Edit one record in the tree *ROOT (replaced by the new tree), as the
 * input says; *edited names it when it is an action of sfax. Returns the
 * number of records it deletes (0 or 1). */
static size_t edit_record(cursor *c, c2c_node *r, git_odb *odb, git_oid *root, long long lamport,
                          char edited[RECORD_ID_MAX + 1])
{
	size_t deleted = 0;
	git_oid blob;
	static const char *const targets[][2] = {{"sfax", "a1"},   {"sfax", "a2"},  {"sfax", "a3"},
	                                         {"sfax", "a4"},   {"tunis", "b1"}, {"sfax", "fz1"},
	                                         {"tunis", "fz2"}, {"office", "sfax"}};
	unsigned ti = u8(c) % 8;
	char *p = NULL;
	if (ti == 7) {
		const table_def *cities = store_table(r->st, "cities");
		if (!cities || record_path(cities, NULL, "sfax", &p) < 0)
			FAIL("the path of cities/sfax");
	} else
		p = path_of(r, targets[ti][0], targets[ti][1]);
	json_t *old = read_record(r->repo, root, p), *rec = old ? json_deep_copy(old) : json_object();
	if (!old && ti != 7)
		json_object_set_new(rec, "city", json_string(targets[ti][0]));
	long long k = record_begin_edit(rec, G.w);
	if (k < 0) {
		err_clear();
		k = 1;
	}
	unsigned edit = u8(c) % 4;
	if (!old && ti != 7)
		record_stamp(rec, "city", G.w, k, lamport);
	json_object_del(record_meta(rec), "deleted");
	switch (edit) {
	case 0:
		assign(rec, "title", json_string("fuzz"), k, lamport);
		break;
	case 1:
		assign(rec, "budget_eur", json_integer(1000 + (json_int_t)u8(c)), k, lamport);
		break;
	case 2: {
		json_t *v = json_deep_copy(json_object_get(rec, "sdg_targets"));
		if (!json_is_array(v)) {
			json_decref(v);
			v = json_array();
		}
		json_array_append_new(v, json_string((const char *[]){"5.1", "8.8", "1.3", "10.7"}[u8(c) % 4]));
		assign(rec, "sdg_targets", v, k, lamport);
		break;
	}
	default: {
		/* A deletion: the record's last state, its clock in the
		 * tombstone (what write_rm writes). */
		json_t *meta = record_meta(rec);
		if (old && json_object_get(json_object_get(old, "_c2c"), "deleted") && merge_is_deleted(old))
			json_object_set(meta, "deleted", json_object_get(json_object_get(old, "_c2c"), "deleted"));
		json_t *del = meta_arr(rec, "deleted");
		json_array_append_new(del, json_pack("[sIIo]", G.w, (json_int_t)k, (json_int_t)lamport,
		                                     json_deep_copy(json_object_get(meta, "clock"))));
		deleted = 1;
		break;
	}
	}
	for (unsigned nm = u8(c) % 6, i = 0; i < nm; i++)
		mutate(c, rec, old, k, lamport);
	unsigned tk = u8(c) % 12;
	int corrupt = tk < 6 ? T_PLAIN : (int)tk - 5;
	if (write_blob(c, odb, rec, &blob) < 0 || put_path(r->repo, odb, root, p, &blob, &corrupt, root) < 0)
		FAIL("writing the edit");
	if (ti < 4 || ti == 5)
		snprintf(edited, RECORD_ID_MAX + 1, "%s", targets[ti][1]);
	json_decref(old);
	json_decref(rec);
	free(p);
	return deleted;
}

/* One commit by W on PARENT, written into R's objects. *edited: the sfax
 * actions record it edits (for W to write it later), or "". KIND % 8: 7 a
 * mass deletion, 6 two records in one commit, 5 a merge (of two commits
 * made on PARENT), else one record. */
static void make_commit(cursor *c, c2c_node *r, git_odb *odb, const git_oid *parent, long long lamport,
                        git_oid *out, char edited[RECORD_ID_MAX + 1], unsigned kind)
{
	git_commit *pc = NULL;
	git_tree *tree = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_oid root, blob;
	char msg[1024];
	size_t deleted = 0;
	edited[0] = '\0';
	if (kind % 8 == 5) {
		/* A merge by W of two commits of its own on PARENT (concurrent
		 * edits of one node: the same counter on two branches), whose tree
		 * is their join, or one side's (a change smuggled into a merge). */
		git_oid side[2], t0, t1;
		const git_commit *ps[2];
		git_commit *pcs[2] = {NULL, NULL};
		char other[RECORD_ID_MAX + 1];
		make_commit(c, r, odb, parent, lamport, &side[0], edited, u8(c) % 5);
		make_commit(c, r, odb, parent, lamport, &side[1], other, u8(c) % 5);
		if (!edited[0])
			memcpy(edited, other, sizeof(other));
		if (repo_commit_tree(r->repo, &side[0], &t0) < 0 || repo_commit_tree(r->repo, &side[1], &t1) < 0)
			FAIL("the trees of a merge's sides");
		root = t0;
		if (u8(c) % 4 != 3 && mergetree_join(r->repo, &t0, &t1, &root, NULL) < 0) {
			err_clear();
			root = t0;
		}
		for (int i = 0; i < 2; i++)
			if (git_commit_lookup(&pcs[i], r->repo, &side[i]) < 0)
				FAIL("a merge's side");
		ps[0] = pcs[0];
		ps[1] = pcs[1];
		headers(c, msg, sizeof(msg), 0, &author, &committer);
		if (git_tree_lookup(&tree, r->repo, &root) < 0 ||
		    repo_commit_write(r->repo, G.wsig, author, committer, msg, tree, 2, ps, out) < 0)
			FAIL("writing a merge commit");
		git_commit_free(pcs[0]);
		git_commit_free(pcs[1]);
		git_signature_free(author);
		git_signature_free(committer);
		git_tree_free(tree);
		return;
	}
	if (git_commit_lookup(&pc, r->repo, parent) < 0)
		FAIL("the parent commit");
	root = *git_commit_tree_id(pc);
	if (kind % 8 == 7) {
		/* Mass deletion: every live record of sfax but a5, each with an
		 * honest tombstone. */
		static const char *const ids[] = {"a1", "a2", "a4", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"};
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			char *p = path_of(r, "sfax", ids[i]);
			json_t *rec = read_record(r->repo, &root, p);
			if (rec && !merge_is_deleted(rec)) {
				long long k = record_begin_edit(rec, G.w);
				if (k < 0)
					err_clear();
				json_t *meta = record_meta(rec);
				json_object_set_new(meta, "deleted", json_pack("[[sIIo]]", G.w, (json_int_t)k, (json_int_t)lamport,
				                                                json_deep_copy(json_object_get(meta, "clock"))));
				cursor none = {NULL, 0, 0};
				if (write_blob(&none, odb, rec, &blob) < 0 || put_path(r->repo, odb, &root, p, &blob, &(int){T_PLAIN}, &root) < 0)
					FAIL("writing a deletion");
				deleted++;
			}
			json_decref(rec);
			free(p);
		}
	} else {
		for (unsigned nrec = kind % 8 == 6 ? 2 : 1; nrec > 0; nrec--)
			deleted += edit_record(c, r, odb, &root, lamport, edited);
	}
	headers(c, msg, sizeof(msg), deleted, &author, &committer);
	if (git_tree_lookup(&tree, r->repo, &root) < 0 ||
	    repo_commit_write(r->repo, G.wsig, author, committer, msg, tree, 1, (const git_commit **)&pc, out) < 0)
		FAIL("writing a commit");
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(tree);
	git_commit_free(pc);
}

/* ----------------------------------------------------------------- checks */

static void report(const char *what, const char *detail, void *payload)
{
	(void)payload;
	fprintf(stderr, "fuzz_history: verify: %s: %s\n", what, detail);
}

static void verify_clean(c2c_node *n, const char *when)
{
	int found = node_verify(n, report, NULL);
	if (found != 0)
		FAIL("%s: verify on %s found %d problem(s)", when, n->node_id, found);
}

/* N writes "title" and "outcomes" of its record ID (a live record it may
 * write); ENOTFOUND (deleted) is fine only with MAY_BE_GONE. The title is
 * given because the checks accept a record without a required field (an
 * older node's schema may lack it: incoming.h, I2), and a local write of
 * such a record must give it (write.c checks required fields): that is a
 * write the node can make, not one it cannot. */
static void write_own(c2c_node *n, const char *id, int may_be_gone, const char *when)
{
	node_txn *tx = NULL;
	json_t *f = NULL;
	git_oid head;
	char v[64], ti[64];
	int changed = 0, err;
	snprintf(v, sizeof(v), "outcomes=written %lld", ++G.serial);
	snprintf(ti, sizeof(ti), "title=title %lld", G.serial);
	char *argv[] = {ti, v};
	if ((err = node_txn_begin(&tx, n)) < 0)
		FAIL("%s: %s cannot begin a write", when, n->node_id);
	if ((err = write_parse_assignments(n, acts(n), 2, argv, &f)) < 0)
		FAIL("%s: parsing a value", when);
	err = write_set(tx, n, acts(n), id, f, &changed);
	json_decref(f);
	if (err == C2C_ENOTFOUND && may_be_gone) {
		err_clear();
		node_txn_abort(tx);
		return;
	}
	if (err < 0)
		FAIL("%s: %s cannot write actions/%s", when, n->node_id, id);
	if (node_txn_commit(tx, "fuzz write", &head) < 0)
		FAIL("%s: %s cannot commit a write of actions/%s", when, n->node_id, id);
}

static c2c_node *open_node(const char *dir)
{
	c2c_node *n = NULL;
	if (node_open(&n, dir, NODE_WRITE) < 0)
		FAIL("opening %s", dir);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	cursor c = {data, size, 0};
	c2c_node *r = NULL, *w = NULL;
	git_odb *odb = NULL;
	git_oid tip, before;
	char edited[RECORD_ID_MAX + 1] = "", last[RECORD_ID_MAX + 1];
	char *lam = NULL;
	sync_result res;
	if (!ready) {
		setup();
		ready = 1;
	}
	if (rm_tree(G.wdir) < 0 || rm_tree(G.rdir) < 0 || copy_tree(G.wtpl, G.wdir) < 0 || copy_tree(G.rtpl, G.rdir) < 0)
		FAIL("copying the templates");
	r = open_node(G.rdir);
	if (git_repository_odb(&odb, r->repo) < 0)
		FAIL("R's objects");
	/* The Lamport time an honest W would stamp: one past what R holds. */
	long long lamport = 0;
	if (store_state_get(r->st, "lamport", &lam) == 0 && lam)
		lamport = strtoll(lam, NULL, 10);
	free(lam);
	tip = r->head;
	for (unsigned i = 0, nc = 1 + u8(&c) % 3; i < nc; i++) {
		make_commit(&c, r, odb, &tip, ++lamport, &tip, last, u8(&c));
		if (last[0])
			memcpy(edited, last, sizeof(edited));
	}
	git_odb_free(odb);
	{
		git_reference *ref = NULL;
		if (git_reference_create(&ref, r->repo, "refs/c2c/remotes/w/main", &tip, 1, "fuzz") < 0)
			FAIL("pointing refs/c2c/remotes/w/main");
		git_reference_free(ref);
	}
	before = r->head;
	memset(&res, 0, sizeof(res));
	if (sync_merge_fetched(r, "w", &tip, 1, NULL, &res) < 0)
		FAIL("R's merge of W's branch failed (a history must be merged or held, never stop the sync)");
	if (verbose) {
		json_t *held = NULL;
		char *txt = NULL;
		if (res.held && store_held_list(r->st, "w", &held) == 0)
			txt = json_dumps(held, JSON_COMPACT);
		fprintf(stderr, "fuzz_history: %s %s\n", res.held ? "held:" : "accepted", txt ? txt : "");
		free(txt);
		json_decref(held);
	}
	if (res.held) {
		if (!git_oid_equal(&r->head, &before))
			FAIL("R held W's branch but its head moved");
		verify_clean(r, "after a held branch");
		node_close(r);
		err_clear();
		return 0;
	}
	/* Accepted: every node must go on. */
	write_own(r, "b1", 0, "R after accepting");
	verify_clean(r, "R after accepting and writing");
	node_close(r);

	w = open_node(G.wdir);
	write_own(w, "a5", 0, "W before merging");
	memset(&res, 0, sizeof(res));
	if (sync_with(w, "r", NULL, &res) < 0)
		FAIL("W cannot sync with R");
	if (res.held)
		FAIL("W held R's branch, which holds only what R accepted");
	if (edited[0])
		write_own(w, edited, 1, "W after merging");
	write_own(w, "a1", 1, "W after merging");
	verify_clean(w, "W after merging and writing");
	node_close(w);

	r = open_node(G.rdir);
	memset(&res, 0, sizeof(res));
	if (sync_with(r, "w", NULL, &res) < 0)
		FAIL("R cannot sync with W");
	if (res.held)
		FAIL("R held W's merge of what R had accepted");
	write_own(r, "b1", 0, "R after W's merge");
	verify_clean(r, "R after W's merge");
	node_close(r);
	err_clear();
	return 0;
}

/* The seeds (corpus/history/), written with printf '\xNN...' > FILE, one per
 * mutation kind; the bytes are read in this order (a missing byte is 0):
 *   ncommits | per commit: kind | per record (two with kind 6): target,
 *   edit[, its byte], nmut, mutations (op, field, then their own bytes),
 *   tree, blob[, its bytes] | header (committer/author), trailers,
 *   confirm-delete. A merge (kind 5) reads: kind of side 1, side 1, kind of
 *   side 2, side 2, join-or-not, header, trailers, confirm-delete.
 * honest-title      00 00 00 00 00 00 00 00 00 00
 *   (one honest commit: it must be accepted and everything goes on)
 * honest-budget     00 00 00 01 07 00 00 00 00 00 00
 * honest-set        00 00 00 02 01 00 00 00 00 00 00
 * honest-rm         00 00 01 03 00 00 00 00 00 00
 * new-record        00 00 05 00 00 00 00 00 00 00
 * three-commits     02 00 00 00 00 00 00 00 00 00 00 01 01 00 00 00 00 00 00 00 02 02 00 00 00 00 00 00
 * two-records       00 06 00 00 00 00 00 01 00 00 00 00 00 00 00
 * lamport-max       00 00 00 00 01 07 00 07 00 00 00 00 00
 * counter-max       00 00 00 00 01 08 00 07 01 00 00 00 00 00
 * clock-other       00 00 00 00 01 01 00 01 04 00 00 00 00
 * old-dot           00 00 00 00 01 09 00 00 00 00 00 00
 * conflict          00 00 00 00 01 03 02 00 01 03 04 00 00 00 00 00
 * elem              00 00 00 02 00 01 04 00 00 00 00 00 01 00 00 00 00 00
 * deletion-clock    00 00 00 00 01 05 00 00 03 04 01 01 07 00 00 00 00 00
 * drop-clock        00 00 00 00 01 06 00 01 00 00 00 00 00 00
 * tree-twice        00 00 00 00 00 06 00 00 00 00
 * tree-664          00 00 00 00 00 07 00 00 00 00
 * tree-swap         00 00 00 00 00 0a 00 00 00 00
 * tree-remove       00 00 00 00 00 0b 00 00 00 00
 * blob-flip         00 00 00 00 00 00 07 10 01 00 00 00
 * author-r          00 00 00 00 00 00 00 08 00 00
 * trailer-r         00 00 00 00 00 00 00 00 06 00
 * namespace-tunis   00 00 04 00 00 00 00 00 00 00
 * office-record     00 00 07 00 00 00 00 00 00 00
 * mass-delete       00 07 00 00 00
 * mass-confirmed    00 07 00 00 03
 * merge             00 05 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00
 * merge-smuggled    00 05 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00
 * merge-one-dot     00 05 00 00 00 00 00 00 00 00 00 00 00 01 07 00 00 00 00 00 00 00 00 00 00
 * regress/history/ holds what fuzzing found (see the log of node/merge.c
 * and node/incoming.c). */
