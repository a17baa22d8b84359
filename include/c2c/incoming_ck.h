/* The incoming checks' own parts, shared by node/incoming*.c (not a
 * contract for other modules: see incoming.h). */
#ifndef C2C_INCOMING_CK_H
#define C2C_INCOMING_CK_H

#include <git2.h>
#include <pthread.h>

#include "c2c/incoming.h"
#include "c2c/oidlist.h"
#include "c2c/record.h"
#include "c2c/rowimage.h"
#include "c2c/scratch.h"
#include "c2c/util.h"

/* Commits that passed, with the bound of the Lamport times their trees
 * hold (an open-addressing table keyed by the id's first bytes). */
typedef struct {
	git_oid id;
	long long bound;
	int used;
	int whole; /* under a tip that passed whole: later walks stop here */
} passed;

/* One registry's nodes (a network/nodes tree), by key: the live records,
 * sorted by key, then by their place in the tree (the first one wins, as
 * a scan of the tree finds it). */
typedef struct {
	char *key, *id, *city, *role;
	size_t order;
} reg_entry;

typedef struct {
	git_oid tree; /* the network/nodes tree */
	reg_entry *v;
	size_t n, cap;
} reg_index;

/* The registries read so far, newest last; a few kept: a batch's commits
 * are built on a handful of registry versions. */
#define REG_INDEX_KEEP 8

struct incoming_batch {
	git_repository *repo;
	passed *v;
	size_t n_used, cap;
	oid_list walked;     /* the commits of the walk under way (whole once its tip passes) */
	oid_list beyond;     /* incoming_batch_tips: the commits of the tips the head lacks */
	int has_beyond;
	long long base;      /* the node's Lamport time: bounds what its head's history holds */
	long long highest;   /* the highest Lamport time of the commits that passed */
	git_tree *head_tree; /* the tree of the node's head: the versions it knows */
	registry_revocations revs; /* the head's, and those of tips that passed (incoming_batch_learn) */
	oid_list seen;             /* the trees of network/revocations read into revs */
	row_cache *rows;           /* where the rows of the records checked are kept, or NULL */
	reg_index regs[REG_INDEX_KEEP]; /* registries by network/nodes tree (incoming_signer.c) */
	size_t nregs;
	repo_scratch *scratch; /* where merge commits' trees are recomputed (scratch.h), made on first use */
	const c2c_progress *progress; /* incoming_batch_set_progress */
};

/* Free what the batch's registry indexes hold. */
void incoming_regs_free(incoming_batch *b);

/* What one node brings in at once, per city: deletions not confirmed. */
typedef struct {
	char city[RECORD_ID_MAX + 1];
	size_t unconfirmed, total;
	int counted;
} tally;

/* The record files a commit's walk found, checked after it (with more
 * than one thread when there are many: incoming_check_change): each
 * one's path, an offset into PATHS, and its blob ids. */
typedef struct {
	size_t path;
	git_oid old, new_;
	int has_old;
} rec_job;

typedef struct {
	ARRAY(rec_job) v;
	char *paths;
	size_t plen, pcap;
} rec_jobs;

/* The check of one history: the commit K->c being checked, and what is
 * known of it. */
typedef struct {
	const incoming_ctx *cx;
	incoming_batch *b;
	const char *from;
	git_commit *c;
	char hex[GIT_OID_HEXSZ + 1];
	char *signer, *city; /* the signing node; its city (NULL: the office) */
	const char *root;    /* the node's office key, or NULL */
	char *key;           /* the key that signed k->c */
	char named[RECORD_ID_MAX + 1]; /* its C2C-Node trailer's node, "" if none (check_identity judges it) */
	int open;            /* no office key yet: who may write what is not known */
	git_tree *tip_tree;  /* the tree of the tip being checked */
	int tip_registry;    /* a signer was found only in the tip's registry */
	size_t deleted;      /* records this commit deletes */
	long long bound;     /* the Lamport times the commit's parent holds are at most this */
	long long lamport;   /* the Lamport time of the commit's edit; -1 while none is seen */
	ARRAY(tally) tallies; /* per city, over the commits of this check */
	rec_jobs *jobs;       /* where the walk puts record files, or NULL: checked at once */
	pthread_mutex_t *rows_lock; /* held around k->b->rows while threads check records */
	char path[1024];
} ck;

/* Refuse K->c for the rule FMT says (C2C_EINVALID naming the commit), or
 * C2C_ENOMEM when memory ran short meanwhile. */
int incoming_refuse(ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Who signed K->c (I1, I9): sets k->signer, k->city, k->key, k->open. */
int incoming_check_signer(ck *k);

/* The change of a commit with one parent (I2-I6): the raw tree ID at WHERE
 * ("" for the root) is canonical; what differs from OLD (may be NULL) to
 * NEW under k->path (PLEN bytes of it) passes. */
int incoming_check_raw_tree(ck *k, const git_oid *id, const char *where);
int incoming_check_walk(ck *k, const git_tree *old, const git_tree *new_, size_t plen);
/* Put the record file at k->path in k->jobs. */
int incoming_job_add(ck *k, const git_oid *old, const git_oid *new_);
/* One record file at k->path: OLD (NULL: new) and NEW blob ids (I3-I6).
 * PRE: NEW's blob as incoming_read_record read it (taken), or NULL. */
int incoming_check_record(ck *k, const git_oid *old, const git_oid *new_, git_blob *pre);
/* Read the record blob ID ahead of its check, on any thread: 0 and *OUT,
 * or an error (and NULL: the check reads it again and says why). */
int incoming_read_record(git_repository *r, const git_oid *id, git_blob **out);
/* The whole change from OLD to NEW (the root trees): the walk, then its
 * record files, on threads when there are many (incoming_par.c). The
 * answer, and its message, is the one a check of each file in the walk's
 * order gives. */
int incoming_check_change(ck *k, const git_tree *old, const git_tree *new_);

#endif
