/* blobq: blobs compressed on another thread (include/c2c/blobq.h). */
#define _XOPEN_SOURCE 700
#include "c2c/blobq.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/util.h"

#define BLOBQ_RING 16
#define BLOBQ_BUF (64 * 1024)

/* Blobs handed over together (one allocation and one wake-up for many):
 * each as its length (a size_t) and its bytes. */
typedef struct {
	unsigned char *p;
	size_t len, cap;
} blobq_batch;

/* A compressed blob in the file: its header and zlib stream at OFF. */
typedef struct {
	uint64_t off;
	uint32_t len, crc;
	unsigned char hlen;
	git_oid oid;
} blobq_entry;

struct repo_blobq {
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	blobq_batch ring[BLOBQ_RING];
	blobq_batch next; /* the writer's, filling */
	size_t head, tail; /* taken at head, put at tail (counts) */
	int closed;        /* the writer put its last */
	int stop;          /* dropped: the thread leaves now */
	int failed;        /* the thread failed (fail says how) */
	err_state fail;
	pthread_t th;
	int joined;
	/* The thread's own until it is joined: */
	FILE *f;
	unsigned char *out; /* entries not yet written to F */
	size_t outlen;
	uint64_t written;
	blobq_entry *e; /* the Ith is blob first + I */
	size_t n, cap;
	size_t first, nput; /* the writer's: its first seq, how many it put */
	/* repo_blobq_add_to's: */
	unsigned char *buf;
	size_t bufcap;
};

/* N bytes at D onto the file. */
static int write_out(repo_blobq *q, const void *d, size_t n)
{
	return write_all(fileno(q->f), d, n, "") < 0 ? err_tmpfile(_("writing compressed records to a temporary file in %s"))
	                                              : 0;
}

static int flush_out(repo_blobq *q)
{
	int err = q->outlen ? write_out(q, q->out, q->outlen) : 0;
	q->outlen = 0;
	return err;
}

static int put_out(repo_blobq *q, const void *d, size_t n)
{
	int err;
	if (q->outlen + n > BLOBQ_BUF && (err = flush_out(q)) < 0)
		return err;
	if (n > BLOBQ_BUF)
		return write_out(q, d, n);
	memcpy(q->out + q->outlen, d, n);
	q->outlen += n;
	return 0;
}

/* A blob (DATA, LEN) hashed and compressed into D, its entry appended to
 * the file. */
static int compress_one(repo_blobq *q, repo_deflated *d, const char *data, size_t len)
{
	int err;
	if ((err = repo_pack_deflate(d, GIT_OBJECT_BLOB, data, len)) < 0)
		return err;
	if (d->hlen + d->zlen > UINT32_MAX)
		return err_set(C2C_EINVALID, "a record of %zu bytes is too large", len);
	if ((err = util_grow((void **)&q->e, &q->cap, q->n + 1, sizeof(*q->e))) < 0)
		return err;
	blobq_entry *e = &q->e[q->n];
	e->off = q->written;
	e->len = (uint32_t)(d->hlen + d->zlen);
	e->crc = d->crc;
	e->hlen = (unsigned char)d->hlen;
	git_oid_cpy(&e->oid, &d->oid);
	if ((err = put_out(q, d->hdr, d->hlen)) < 0 || (err = put_out(q, d->z, d->zlen)) < 0)
		return err;
	q->written += e->len;
	q->n++;
	return 0;
}

static int compress_batch(repo_blobq *q, repo_deflated *d, const blobq_batch *b)
{
	int err = 0;
	for (size_t at = 0; at < b->len && err == 0;) {
		size_t len;
		memcpy(&len, b->p + at, sizeof(len));
		at += sizeof(len);
		err = compress_one(q, d, (const char *)b->p + at, len);
		at += len;
	}
	return err;
}

static void *work(void *arg)
{
	repo_blobq *q = arg;
	repo_deflated d = {0};
	int err = 0;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == q->tail && !q->closed && !q->stop)
			pthread_cond_wait(&q->can_take, &q->mu);
		if (q->stop || q->head == q->tail) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		blobq_batch b = q->ring[q->head % BLOBQ_RING];
		q->head++;
		pthread_cond_signal(&q->can_put);
		pthread_mutex_unlock(&q->mu);
		err = compress_batch(q, &d, &b);
		free(b.p);
		if (err < 0)
			break;
	}
	if (err == 0)
		err = flush_out(q);
	if (err < 0) {
		pthread_mutex_lock(&q->mu);
		q->failed = 1;
		err_save(&q->fail);
		pthread_cond_broadcast(&q->can_put);
		pthread_mutex_unlock(&q->mu);
	}
	repo_deflated_free(&d);
	return NULL;
}

int repo_blobq_new(repo_blobq **out)
{
	*out = NULL;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	repo_blobq *q = calloc(1, sizeof(*q));
	if (!q)
		return ERR_OOM();
	if (!(q->out = malloc(BLOBQ_BUF))) {
		free(q);
		return ERR_OOM();
	}
	if (!(q->f = tmpfile())) {
		free(q->out);
		free(q);
		return err_tmpfile(_("creating a temporary file in %s"));
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->can_put, NULL);
	pthread_cond_init(&q->can_take, NULL);
	if (pthread_create(&q->th, NULL, work, q) != 0) {
		q->joined = 1;
		repo_blobq_free(q);
		return 0;
	}
	*out = q;
	return 0;
}

/* Hand the batch being filled to the thread. */
static int hand_over(repo_blobq *q)
{
	if (!q->next.len)
		return 0;
	pthread_mutex_lock(&q->mu);
	while (q->tail - q->head == BLOBQ_RING && !q->failed)
		pthread_cond_wait(&q->can_put, &q->mu);
	if (q->failed) {
		pthread_mutex_unlock(&q->mu);
		return err_restore(&q->fail);
	}
	q->ring[q->tail % BLOBQ_RING] = q->next;
	q->tail++;
	memset(&q->next, 0, sizeof(q->next));
	pthread_cond_signal(&q->can_take);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int repo_blobq_put(repo_blobq *q, size_t seq, const char *data, size_t len)
{
	size_t need = q->next.len + sizeof(len) + len;
	int err;
	if (!q->nput)
		q->first = seq;
	if (seq != q->first + q->nput)
		return err_set(C2C_EFAIL, "blob %zu queued after %zu", seq, q->first + q->nput - 1);
	if ((err = util_grow((void **)&q->next.p, &q->next.cap, need > BLOBQ_BUF ? need : BLOBQ_BUF, 1)) < 0)
		return err;
	memcpy(q->next.p + q->next.len, &len, sizeof(len));
	memcpy(q->next.p + q->next.len + sizeof(len), data, len);
	q->next.len = need;
	q->nput++;
	return q->next.len >= BLOBQ_BUF ? hand_over(q) : 0;
}

static void join(repo_blobq *q, int stop)
{
	if (q->joined)
		return;
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	q->stop = stop;
	pthread_cond_broadcast(&q->can_take);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	q->joined = 1;
}

int repo_blobq_finish(repo_blobq *q)
{
	int err = hand_over(q);
	join(q, err < 0);
	if (err < 0)
		return err;
	return q->failed ? err_restore(&q->fail) : 0;
}

int repo_blobq_add_to(repo_blobq *q, size_t seq, repo_pack *p, git_oid *out)
{
	if (!q->nput || seq < q->first || seq - q->first >= q->n)
		return 0;
	const blobq_entry *e = &q->e[seq - q->first];
	int err;
	if ((err = util_grow((void **)&q->buf, &q->bufcap, e->len, 1)) < 0)
		return err;
	ssize_t got = pread(fileno(q->f), q->buf, e->len, (off_t)e->off);
	if (got != (ssize_t)e->len)
		return err_tmpfile(_("reading compressed records from a temporary file in %s"));
	repo_deflated d = {0};
	git_oid_cpy(&d.oid, &e->oid);
	memcpy(d.hdr, q->buf, e->hlen);
	d.hlen = e->hlen;
	d.z = q->buf + e->hlen;
	d.zlen = e->len - e->hlen;
	d.crc = e->crc;
	if ((err = repo_pack_add_deflated(p, &d)) < 0)
		return err;
	git_oid_cpy(out, &e->oid);
	return 1;
}

void repo_blobq_free(repo_blobq *q)
{
	if (!q)
		return;
	join(q, 1);
	for (; q->head < q->tail; q->head++) /* dropped, or left by a failure */
		free(q->ring[q->head % BLOBQ_RING].p);
	free(q->next.p);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->can_put);
	pthread_cond_destroy(&q->can_take);
	if (q->f)
		fclose(q->f);
	free(q->out);
	free(q->e);
	free(q->buf);
	free(q);
}
