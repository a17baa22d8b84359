/* incoming: a commit's change, its trees walked first and its record files
 * checked after, on several threads when there are many (incoming_ck.h).
 *
 * The answer is the one a check of each file in the walk's order gives,
 * with the same message: the walk stops at the first fault of a tree, so
 * every file it listed comes before that fault, and the first file that
 * fails comes before any. Threads share nothing a check writes but the
 * rows kept for the head's move (under a lock); each has its own copy of
 * the commit's state. What the files must agree on across threads (one
 * Lamport time for the commit's edit) is compared after. When any thread
 * meets a fault, or the threads disagree, the files are checked again on
 * one thread, in order, and that answer stands: a refusal names the file
 * the serial check names. The calling thread reads the blobs ahead for
 * the others (libgit2 reads a pack on one thread at a time); a blob it
 * could not read is read again by its check, which says why. */
#include "c2c/i18n.h"
#include "c2c/incoming_ck.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/store.h"

/* Fewer record files than this are checked on one thread (unless
 * C2C_CHECK_THREADS asks for more). */
#define PAR_MIN 512
/* The files a thread takes at a time. */
#define PAR_BLOCK 64
#define PAR_MAX_THREADS 8

int incoming_job_add(ck *k, const git_oid *old, const git_oid *new_)
{
	rec_jobs *j = k->jobs;
	size_t l = strlen(k->path) + 1;
	int err;
	if ((err = util_grow((void **)&j->paths, &j->pcap, j->plen + l, 1)) < 0 ||
	    (err = ARRAY_RESERVE(&j->v, j->v.n + 1)) < 0)
		return err;
	rec_job *r = &j->v.v[j->v.n++];
	memcpy(j->paths + j->plen, k->path, l);
	r->path = j->plen;
	j->plen += l;
	r->has_old = old != NULL;
	if (old)
		r->old = *old;
	r->new_ = *new_;
	return 0;
}

static int check_at(ck *k, const rec_jobs *j, size_t i, git_blob *pre)
{
	const rec_job *r = &j->v.v[i];
	snprintf(k->path, sizeof(k->path), "%s", j->paths + r->path);
	return incoming_check_record(k, r->has_old ? &r->old : NULL, &r->new_, pre);
}

/* How many threads check N files: C2C_CHECK_THREADS if set (1: one),
 * else the processors online, for PAR_MIN files or more. */
static size_t threads_for(size_t n)
{
	const char *e = getenv("C2C_CHECK_THREADS");
	long want = e && *e ? strtol(e, NULL, 10) : 0;
	if (want < 1) {
		if (n < PAR_MIN)
			return 1;
		want = sysconf(_SC_NPROCESSORS_ONLN);
	}
	if (want > PAR_MAX_THREADS)
		want = PAR_MAX_THREADS;
	if ((size_t)want > (n + PAR_BLOCK - 1) / PAR_BLOCK)
		want = (long)((n + PAR_BLOCK - 1) / PAR_BLOCK);
	return want < 1 ? 1 : (size_t)want;
}

/* What the threads share. The caller's thread reads the blobs ahead, in
 * the walk's order (libgit2 reads a pack on one thread at a time: threads
 * that each read their own queued on its locks), at most PAR_AHEAD past
 * what was checked; the others check them. */
typedef struct {
	const rec_jobs *j;
	git_blob **pre; /* pre[i]: file i's blob, read ahead (NULL: its check reads it) */
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	size_t ready;   /* files read ahead (under mu) */
	size_t checked; /* files checked (under mu) */
	int stop;       /* a thread met a fault: all stop (under mu) */
	atomic_size_t next;
	pthread_mutex_t rows; /* around the rows kept for the head's move */
} par;

#define PAR_AHEAD 4096

typedef struct {
	ck k; /* this thread's copy: its path, Lamport time and deletions */
	par *p;
	int err;
	pthread_t th;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	par *p = w->p;
	size_t n = p->j->v.n;
	for (;;) {
		size_t at = atomic_fetch_add(&p->next, PAR_BLOCK);
		if (at >= n)
			break;
		size_t end = at + PAR_BLOCK < n ? at + PAR_BLOCK : n;
		pthread_mutex_lock(&p->mu);
		while (p->ready < end && !p->stop)
			pthread_cond_wait(&p->more, &p->mu);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		for (size_t i = at; i < end && !w->err; i++) {
			git_blob *b = p->pre[i];
			p->pre[i] = NULL;
			w->err = check_at(&w->k, p->j, i, b);
		}
		pthread_mutex_lock(&p->mu);
		p->checked += end - at;
		if (w->err)
			p->stop = 1;
		pthread_cond_broadcast(&p->room);
		if (w->err)
			pthread_cond_broadcast(&p->more);
		pthread_mutex_unlock(&p->mu);
		if (w->err)
			break;
	}
	return NULL;
}

/* Read the blobs ahead for the workers, reporting progress. */
static void read_ahead(par *p, const ck *k)
{
	const c2c_progress *progress = k->b->progress;
	size_t n = p->j->v.n, i = 0;
	while (i < n) {
		size_t end = i + PAR_BLOCK < n ? i + PAR_BLOCK : n, checked;
		pthread_mutex_lock(&p->mu);
		while (i >= p->checked + PAR_AHEAD && !p->stop)
			pthread_cond_wait(&p->room, &p->mu);
		int stop = p->stop;
		checked = p->checked;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		if (checked && checked < n)
			progress_report(progress, N_("checking records"), checked, n);
		for (; i < end; i++)
			if (incoming_read_record(k->cx->repo, &p->j->v.v[i].new_, &p->pre[i]) < 0)
				err_clear(); /* its check reads it again and says why */
		pthread_mutex_lock(&p->mu);
		p->ready = end;
		pthread_cond_broadcast(&p->more);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->ready = n; /* all read, or stopped: no worker waits */
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
}

/* The files on NT threads, the caller's reading ahead. 1: they passed, and
 * K has their Lamport time and deletions; 0: check again on one thread. */
static int check_threads(ck *k, const rec_jobs *j, size_t nt)
{
	worker w[PAR_MAX_THREADS];
	par p = {.j = j, .mu = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER,
	         .room = PTHREAD_COND_INITIALIZER, .rows = PTHREAD_MUTEX_INITIALIZER};
	size_t started = 0;
	int ok = 1;
	atomic_init(&p.next, 0);
	if (!(p.pre = calloc(j->v.n, sizeof(*p.pre))))
		return 0;
	for (size_t i = 0; i < nt; i++, started++) {
		w[i].k = *k;
		w[i].k.rows_lock = &p.rows;
		w[i].k.jobs = NULL;
		w[i].p = &p;
		w[i].err = 0;
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			break; /* fewer threads: the others take more */
	}
	if (started == 0) {
		free(p.pre);
		return 0;
	}
	read_ahead(&p, k);
	for (size_t i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	for (size_t i = 0; i < j->v.n; i++) /* left by a stop */
		git_blob_free(p.pre[i]);
	free(p.pre);
	pthread_mutex_destroy(&p.mu);
	pthread_mutex_destroy(&p.rows);
	pthread_cond_destroy(&p.more);
	pthread_cond_destroy(&p.room);
	long long lamport = k->lamport;
	size_t deleted = k->deleted;
	for (size_t i = 0; i < started && ok; i++) {
		if (w[i].err) {
			ok = 0;
			break;
		}
		if (w[i].k.lamport >= 0) {
			if (lamport >= 0 && lamport != w[i].k.lamport)
				ok = 0;
			lamport = w[i].k.lamport;
		}
		deleted += w[i].k.deleted - k->deleted;
	}
	err_clear(); /* a thread's fault is said again by the serial check */
	if (!ok)
		return 0;
	k->lamport = lamport;
	k->deleted = deleted;
	return 1;
}

int incoming_check_change(ck *k, const git_tree *old, const git_tree *new_)
{
	rec_jobs j = {0};
	size_t nt;
	int err, walk;
	k->jobs = &j;
	walk = incoming_check_walk(k, old, new_, 0);
	k->jobs = NULL;
	err_state walk_err;
	if (walk < 0)
		err_save(&walk_err);
	err = 0;
	nt = threads_for(j.v.n);
	if (nt > 1) /* the record types, read once before the threads look them up */
		(void)store_tables(k->cx->st, &(size_t){0});
	const c2c_progress *p = k->b->progress;
	if (nt <= 1 || !check_threads(k, &j, nt)) {
		for (size_t i = 0; i < j.v.n && err == 0; i++) {
			err = check_at(k, &j, i, NULL);
			if ((i + 1) % PAR_BLOCK == 0 && i + 1 < j.v.n)
				progress_report(p, N_("checking records"), i + 1, j.v.n);
		}
	}
	if (err == 0 && j.v.n >= PAR_BLOCK)
		progress_report(p, N_("checking records"), j.v.n, j.v.n);
	if (err == 0 && walk < 0)
		err = err_restore(&walk_err);
	ARRAY_FREE(&j.v);
	free(j.paths);
	return err;
}
