/* txn: a write of records (include/c2c/node.h: node_txn): the rows change
 * in a SQLite transaction, the record texts wait in a temporary file, and
 * the commit writes them as blobs and a commit and moves the head by the
 * write protocol (intent.c). */
#define _XOPEN_SOURCE 700
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/blobq.h"
#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/fault.h"
#include "c2c/keys.h"
#include "c2c/node_internal.h"
#include "c2c/record.h"
#include "c2c/util.h"

typedef struct {
	char *path;
	long off;
	size_t len;
	size_t seq;
} txn_update;

/* Paths of a transaction, packed into large blocks: an import of 100,000
 * records holds them all until its commit, and one malloc each costs more
 * than the paths themselves. */
typedef struct arena_block {
	struct arena_block *next;
	size_t used;
	char data[];
} arena_block;
#define ARENA_BLOCK (64 * 1024)

static char *arena_strdup(arena_block **head, const char *s)
{
	size_t n = strlen(s) + 1;
	arena_block *b = *head;
	if (!b || ARENA_BLOCK - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->next = *head;
		b->used = 0;
		*head = b;
	}
	char *p = b->data + b->used;
	memcpy(p, s, n);
	b->used += n;
	return p;
}

static void arena_free(arena_block *b)
{
	while (b) {
		arena_block *next = b->next;
		free(b);
		b = next;
	}
}

/* The records written in this transaction, as 64-bit hashes of
 * "table/id" in an open-addressed set (8 bytes a record). */
typedef struct {
	uint64_t *v;
	size_t n, cap;
} hash_set;

static uint64_t key_hash(const char *table, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = table; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1;
}

static int set_has(const hash_set *s, uint64_t h)
{
	if (!s->cap)
		return 0;
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == h)
			return 1;
		if (!s->v[i])
			return 0;
	}
}

static int set_add(hash_set *s, uint64_t h)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *v = calloc(cap, sizeof(*v));
		if (!v)
			return ERR_OOM();
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t j = s->v[i] & (cap - 1);
			while (v[j])
				j = (j + 1) & (cap - 1);
			v[j] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	size_t i = h & (s->cap - 1);
	while (s->v[i] && s->v[i] != h)
		i = (i + 1) & (s->cap - 1);
	if (!s->v[i]) {
		s->v[i] = h;
		s->n++;
	}
	return 0;
}

struct node_txn {
	c2c_node *n;
	long long lamport;
	int lamport_used; /* an edit was stamped with it: the node's Lamport time moves */
	git_oid tree;
	ARRAY(txn_update) u; /* the record files written, in order */
	arena_block *paths;
	FILE *spill;      /* record texts, read back when the blobs are written */
	repo_blobq *q;    /* the texts after the first TXN_QUEUE_AFTER, compressed */
	hash_set touched; /* records written in this transaction */
	size_t deleted;   /* records this transaction deletes */
};

int node_txn_begin(node_txn **out, c2c_node *n)
{
	node_txn *tx = calloc(1, sizeof(*tx));
	char *lam = NULL;
	int err;
	*out = NULL;
	if (!tx)
		return ERR_OOM();
	tx->n = n;
	if ((err = node_require_head(n, "write")) < 0 || (err = repo_commit_tree(n->repo, &n->head, &tx->tree)) < 0 ||
	    (err = node_write_begin(n)) < 0)
		goto fail;
	if ((err = store_state_get(n->st, "lamport", &lam)) < 0) {
		node_write_rollback(n);
		goto fail;
	}
	tx->lamport = strtoll(lam, NULL, 10);
	free(lam);
	/* Never reached in use (record.h): say so rather than wrap. */
	if (tx->lamport < 0 || tx->lamport >= RECORD_CLOCK_MAX) {
		node_write_rollback(n);
		err = err_set(C2C_EINVALID, "this node's Lamport time is at its bound (%lld): it can write no more",
		              RECORD_CLOCK_MAX);
		err_hint("make a new node for this city ('c2c init'), and have the office register it");
		goto fail;
	}
	tx->lamport++;
	*out = tx;
	return 0;
fail:
	free(tx);
	return err;
}

long long node_txn_lamport(node_txn *tx)
{
	tx->lamport_used = 1;
	return tx->lamport;
}

static const char *rec_city(const table_def *t, const json_t *rec)
{
	return t->city_scope ? json_string_value(json_object_get(rec, "city")) : NULL;
}

int node_txn_get(node_txn *tx, const table_def *t, const char *id, json_t **out)
{
	json_t *rec = NULL;
	char *path = NULL, *file = NULL, *row = NULL;
	size_t flen, rlen;
	int err;
	*out = NULL;
	assert(tx->n->wstate == NODE_WS_OPEN);
	if ((err = store_row_get(tx->n->st, t, id, &rec)) < 0)
		return err;
	if (set_has(&tx->touched, key_hash(t->name, id))) {
		*out = rec;
		return 0;
	}
	/* Never sign into history a row that somebody edited behind our back. */
	if ((err = record_path(t, rec_city(t, rec), id, &path)) < 0 || (err = canon_dump(rec, &row, &rlen)) < 0)
		goto done;
	err = repo_read_tree_path(tx->n->repo, &tx->tree, path, &file, &flen, NULL);
	if (err == C2C_ENOTFOUND || (err == 0 && (flen != rlen || memcmp(file, row, rlen)))) {
		err = err_set(C2C_ECONFLICT, "row %s/%s differs from %s at the head: it was changed behind the node's back",
		              t->name, id, path);
		err_hint("run 'c2c verify' to see the difference, then 'c2c repair'");
		goto done;
	}
	if (err < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	json_decref(rec);
	free(path);
	free(file);
	free(row);
	return err;
}

/* A write of more texts than this compresses them on another thread (a
 * few records' edit starts no thread). */
#define TXN_QUEUE_AFTER REPO_BULK

static int txn_add(node_txn *tx, const char *path, const char *text, size_t len)
{
	int err = 0;
	if (!tx->spill && !(tx->spill = tmpfile()))
		return err_tmpfile(_("creating a temporary file in %s"));
	if ((err = ARRAY_RESERVE(&tx->u, tx->u.n + 1)) < 0)
		return err;
	txn_update *x = &tx->u.v[tx->u.n];
	memset(x, 0, sizeof(*x));
	x->off = ftell(tx->spill);
	x->len = len;
	x->seq = tx->u.n;
	if (fwrite(text, 1, len, tx->spill) != len)
		return err_tmpfile(_("writing the record texts to a temporary file in %s"));
	/* A large write compresses its texts on another thread as they come. */
	if (x->seq == TXN_QUEUE_AFTER && (err = repo_blobq_new(&tx->q)) < 0)
		return err;
	if (tx->q && (err = repo_blobq_put(tx->q, x->seq, text, len)) < 0)
		return err;
	if (!(x->path = arena_strdup(&tx->paths, path)))
		return ERR_OOM();
	tx->u.n++;
	return err;
}

enum { TXN_PUT, TXN_PUT_NEW, TXN_DELETE };

static int txn_write(node_txn *tx, const table_def *t, const char *id, json_t *rec, int how)
{
	char *path = NULL, *text = NULL;
	size_t len;
	int err;
	assert(tx->n->wstate == NODE_WS_OPEN);
	if ((err = record_path(t, rec_city(t, rec), id, &path)) < 0 || (err = canon_dump(rec, &text, &len)) < 0)
		goto done;
	if (how == TXN_DELETE) {
		if ((err = store_row_delete(tx->n->st, t, id)) < 0 ||
		    (err = store_tomb_put(tx->n->st, t->name, id, path, text)) < 0)
			goto done;
	} else {
		if ((err = store_row_put(tx->n->st, t, id, rec)) < 0 ||
		    (how == TXN_PUT && (err = store_tomb_delete(tx->n->st, t->name, id)) < 0))
			goto done;
	}
	if ((err = txn_add(tx, path, text, len)) < 0 || (err = set_add(&tx->touched, key_hash(t->name, id))) < 0)
		goto done;
done:
	free(path);
	free(text);
	return err;
}

int node_txn_put(node_txn *tx, const table_def *t, const char *id, json_t *rec)
{
	return txn_write(tx, t, id, rec, TXN_PUT);
}

int node_txn_put_new(node_txn *tx, const table_def *t, const char *id, json_t *rec)
{
	return txn_write(tx, t, id, rec, TXN_PUT_NEW);
}

int node_txn_delete(node_txn *tx, const table_def *t, const char *id, json_t *rec)
{
	int err = txn_write(tx, t, id, rec, TXN_DELETE);
	if (err == 0)
		tx->deleted++;
	return err;
}

int node_unpushed_deletions(c2c_node *n, long long *out)
{
	char *v = NULL;
	int err = store_state_get(n->st, "unpushed_deletions", &v);
	*out = err == 0 && v ? strtoll(v, NULL, 10) : 0;
	free(v);
	if (err == C2C_ENOTFOUND) {
		err_clear();
		err = 0;
	}
	return err;
}

static int cmp_txn_update(const void *a, const void *b)
{
	const txn_update *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* The text of TX's update I, read back from the spill file into *BUF. */
static int read_update(node_txn *tx, size_t i, char **buf, size_t *cap)
{
	txn_update *x = &tx->u.v[i];
	int err;
	if ((err = util_grow((void **)buf, cap, x->len + 1, 1)) < 0)
		return err;
	if (fseek(tx->spill, x->off, SEEK_SET) < 0 || fread(*buf, 1, x->len, tx->spill) != x->len)
		return err_tmpfile(_("reading the record texts from a temporary file in %s"));
	return 0;
}

/* Write each path's last text as a blob: loose for a few, one pack for many
 * (its entries compressed by the queue as the texts came, when it ran). */
static int write_blobs(node_txn *tx, repo_update **out, size_t *nout)
{
	size_t k = 0;
	char *buf = NULL;
	size_t bufcap = 0;
	repo_pack *pack = NULL;
	int err = 0;
	if (tx->q && (err = repo_blobq_finish(tx->q)) < 0)
		return err;
	if (tx->spill && fflush(tx->spill) != 0) /* its last texts, before any is read back */
		return err_tmpfile(_("writing the record texts to a temporary file in %s"));
	qsort(tx->u.v, tx->u.n, sizeof(*tx->u.v), cmp_txn_update);
	for (size_t i = 0; i < tx->u.n; i++)
		if (i + 1 == tx->u.n || strcmp(tx->u.v[i].path, tx->u.v[i + 1].path))
			tx->u.v[k++] = tx->u.v[i];
	tx->u.n = k;
	repo_update *ru = calloc(k ? k : 1, sizeof(*ru));
	if (!ru)
		return ERR_OOM();
	if (k > REPO_BULK && (err = repo_pack_new(&pack, tx->n->repo, k)) < 0)
		goto done;
	for (size_t i = 0; i < k; i++) {
		txn_update *x = &tx->u.v[i];
		int queued = pack && tx->q ? repo_blobq_add_to(tx->q, x->seq, pack, &ru[i].oid) : 0;
		if ((err = queued) < 0)
			goto done;
		if (!queued && ((err = read_update(tx, i, &buf, &bufcap)) < 0 ||
		                (err = pack ? repo_pack_add_blob(pack, buf, x->len, &ru[i].oid)
		                            : repo_write_blob(tx->n->repo, buf, x->len, &ru[i].oid)) < 0))
			goto done;
		ru[i].path = x->path;
		if (i == 0 || i == k / 2)
			fault_point(i == 0 ? "write: first blob written" : "write: half the blobs written");
	}
	if (pack && (err = repo_pack_finish(pack)) < 0)
		goto done;
	fseek(tx->spill, 0, SEEK_END);
done:
	repo_pack_free(pack);
	free(buf);
	if (err < 0) {
		free(ru);
		return err;
	}
	*out = ru;
	*nout = k;
	return 0;
}

/* The commit object of TX on top of the head, signed by the node, with
 * MESSAGE and the C2C-Node trailer. No ref moves. */
static int write_commit(node_txn *tx, const char *message, git_oid *commit)
{
	c2c_node *n = tx->n;
	repo_update *ru = NULL;
	size_t nru = 0;
	char *msg = NULL;
	int err;
	fault_point("write: rows changed, before objects");
	if ((err = write_blobs(tx, &ru, &nru)) < 0)
		goto done;
	fault_point("write: blobs written");
	size_t mlen = strlen(message) + strlen(n->node_id) + 32;
	if (!(msg = malloc(mlen))) {
		err = ERR_OOM();
		goto done;
	}
	/* Trailers the message ends with (C2C-Confirm-Delete) and C2C-Node
	 * form one block, as git interpret-trailers reads them. */
	snprintf(msg, mlen, strstr(message, "\n\nC2C-") ? "%s\nC2C-Node: %s\n" : "%s\n\nC2C-Node: %s\n", message,
	         n->node_id);
	char cname[128], cmail[160];
	snprintf(cname, sizeof(cname), "%s", n->node_id);
	snprintf(cmail, sizeof(cmail), "%s@c2c.invalid", n->node_id);
	git_time_t now = (git_time_t)time(NULL);
	repo_person author = {n->user_name, n->user_email, now, 0};
	repo_person committer = {cname, cmail, now, 0};
	const keys_signer *signer = NULL;
	if ((err = node_signer(n, &signer)) < 0 ||
	    (err = repo_commit(n->repo, signer, &n->head, ru, nru, &author, &committer, msg, commit)) < 0)
		goto done;
	fault_point("write: commit object written");
done:
	free(msg);
	free(ru);
	return err;
}

int node_txn_commit(node_txn *tx, const char *message, git_oid *out)
{
	c2c_node *n = tx->n;
	git_oid commit;
	char lam[32];
	int err;
	assert(n->wstate == NODE_WS_OPEN);
	if (tx->u.n == 0) {
		node_txn_abort(tx);
		git_oid_cpy(out, &n->head);
		return 0;
	}
	if ((err = write_commit(tx, message, &commit)) < 0)
		goto done;
	snprintf(lam, sizeof(lam), "%lld", tx->lamport);
	/* A commit that stamps no edit (a resolution that only closes a
	 * deletion) leaves the Lamport time where it was: the next edit must
	 * still be one past what the history holds (incoming.h, I5). */
	if ((err = node_write_record_intent(n, &n->head, &commit)) < 0 ||
	    (tx->lamport_used && (err = store_state_set(n->st, "lamport", lam)) < 0))
		goto done;
	/* Deletions not confirmed in their commit add up until a hub has them
	 * all: other nodes count them together (incoming.h, I8). */
	if (tx->deleted && !strstr(message, "\nC2C-Confirm-Delete: ")) {
		long long had = 0;
		char num[32];
		if ((err = node_unpushed_deletions(n, &had)) < 0)
			goto done;
		snprintf(num, sizeof(num), "%lld", had + (long long)tx->deleted);
		if ((err = store_state_set(n->st, "unpushed_deletions", num)) < 0)
			goto done;
	}
	fault_point("write: head recorded, before database commit");
	if ((err = node_write_commit_db(n)) < 0)
		goto done;
	/* The write has happened; the ref follows (or the next command moves it). */
	fault_point("write: database committed, before ref");
	git_oid_cpy(out, &commit);
	err = node_write_move_ref(n, message);
	fault_point("write: ref moved, before the intent is cleared");
	if (err == 0)
		err = node_write_clear_intent(n);
	fault_point("write: done");
done:
	node_txn_abort(tx);
	return err;
}

void node_txn_abort(node_txn *tx)
{
	if (!tx)
		return;
	/* Before the commit point the write is undone; after it (a commit
	 * that ended, or failed to move the ref), there is nothing to undo. */
	if (tx->n->wstate != NODE_WS_NONE)
		node_write_rollback(tx->n);
	arena_free(tx->paths);
	ARRAY_FREE(&tx->u);
	repo_blobq_free(tx->q);
	if (tx->spill)
		fclose(tx->spill);
	free(tx->touched.v);
	free(tx);
}
