/* Unit tests of the sparse walk that lists what a push sends
 * (repo_pack_sparse, include/c2c/sparse.h), on repositories laid out as a
 * node's (records under fan-out directories): a one-record change brings
 * the commit, the trees on the record's path and the record, each with its
 * previous version as delta base; random histories with merges, removals
 * and reverts bring everything the receiver lacks and nothing the tips do
 * not reach, each delta base held by the receiver or sent before; HAVE and
 * HIDE stop the walk; ADD's failure stops it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/oidlist.h"
#include "c2c/repo.h"
#include "c2c/sparse.h"
#include "c2c/util.h"

#include "unit.h"

static char tmpdir[64];
static git_repository *R;

static const repo_person who = {"Amina Test", "amina@example.org", 1700000000, 60};

static int setup(void **state)
{
	(void)state;
	char path[128];
	strcpy(tmpdir, "/tmp/c2c-unit-sparse-XXXXXX");
	if (!mkdtemp(tmpdir) || repo_global_init() != 0)
		return -1;
	/* A scratch repository: no fsync (the machine's disk is not under test). */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	snprintf(path, sizeof(path), "%s/r.git", tmpdir);
	return repo_create(&R, path) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	git_repository_free(R);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ a set of ids */

typedef oid_list ids;

static int ids_has(const ids *s, const git_oid *id) { return oid_list_has(s, id); }

static void ids_add(ids *s, const git_oid *id) { OK(oid_list_add_unique(s, id)); }

/* Everything commit C reaches (itself, its ancestors, their trees and blobs). */
static void reach_tree(ids *s, const git_oid *tree)
{
	git_tree *t = NULL;
	if (ids_has(s, tree))
		return;
	ids_add(s, tree);
	OK(git_tree_lookup(&t, R, tree));
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			reach_tree(s, git_tree_entry_id(e));
		else
			ids_add(s, git_tree_entry_id(e));
	}
	git_tree_free(t);
}

static void reach(ids *s, const git_oid *c)
{
	git_revwalk *w = NULL;
	git_oid id;
	OK(git_revwalk_new(&w, R));
	OK(git_revwalk_push(w, c));
	while (git_revwalk_next(&id, w) == 0) {
		git_commit *k = NULL;
		ids_add(s, &id);
		OK(git_commit_lookup(&k, R, &id));
		reach_tree(s, git_commit_tree_id(k));
		git_commit_free(k);
	}
	git_revwalk_free(w);
}

/* ---------------------------------------------------------------- the walk */

typedef struct {
	git_oid id, base; /* base zero: none */
	int has_base;
} sent;

typedef struct {
	sent *v;
	size_t n, cap;
	size_t fail_after; /* ADD fails on this call (0: never) */
	size_t calls;
	const git_oid *have;
	size_t nhave;
	size_t have_calls;
} walk;

static int add(const git_oid *id, const git_oid *base, void *payload)
{
	walk *w = payload;
	w->calls++;
	if (w->fail_after && w->calls == w->fail_after)
		return err_set(C2C_ENOMEM, "out of memory (test)");
	if (w->fail_after && w->calls > w->fail_after)
		fail_msg("ADD called again after it failed");
	OK(util_grow((void **)&w->v, &w->cap, w->n + 1, sizeof(*w->v)));
	sent *s = &w->v[w->n++];
	git_oid_cpy(&s->id, id);
	s->has_base = base != NULL;
	if (base)
		git_oid_cpy(&s->base, base);
	return 0;
}

static int have(const git_oid *commit, void *payload)
{
	walk *w = payload;
	w->have_calls++;
	for (size_t i = 0; i < w->nhave; i++)
		if (git_oid_equal(&w->have[i], commit))
			return 1;
	return 0;
}

static int run(walk *w, const git_oid *tips, size_t ntips, const git_oid *hide, size_t nhide, size_t *commits)
{
	return repo_pack_sparse(R, tips, ntips, hide, nhide, w->nhave ? have : NULL, add, w, commits);
}

/* ------------------------------------------------------------- a history */

/* The path of record ID of TABLE, fanned out as a node's. */
static void rec_path(char *out, size_t n, const char *table, unsigned id)
{
	snprintf(out, n, "cities/tunis/%s/%02x/%x/%08x.json", table, id % 251, id % 13, id);
}

static git_oid blob(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static git_oid blob(const char *fmt, ...)
{
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	git_oid id;
	OK(repo_write_blob(R, text, (size_t)n, &id));
	return id;
}

static git_oid tree_of(const git_oid *commit)
{
	git_oid t;
	OK(repo_commit_tree(R, commit, &t));
	return t;
}

/* The object at PATH in the tree of COMMIT (0 if none). */
static int at(const git_oid *commit, const char *path, git_oid *out)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	OK(git_commit_lookup(&c, R, commit));
	OK(git_commit_tree(&t, c));
	int found = git_tree_entry_bypath(&e, t, path) == 0;
	if (found)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return found;
}

/* A merge commit of P1 and P2 whose tree is P1's with UPDATES. */
static git_oid merge(const git_oid *p1, const git_oid *p2, const repo_update *u, size_t n)
{
	git_oid tmp, out;
	git_commit *parents[2] = {NULL, NULL}, *c = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	OK(repo_commit(R, NULL, p1, u, n, &who, &who, "merge tree\n", &tmp));
	OK(git_commit_lookup(&c, R, &tmp));
	OK(git_commit_tree(&tree, c));
	OK(git_commit_lookup(&parents[0], R, p1));
	OK(git_commit_lookup(&parents[1], R, p2));
	OK(git_signature_new(&sig, who.name, who.email, who.when, who.offset));
	OK(repo_commit_write(R, NULL, sig, sig, "merge\n", tree, 2, (const git_commit **)parents, &out));
	git_signature_free(sig);
	git_commit_free(parents[0]);
	git_commit_free(parents[1]);
	git_commit_free(c);
	git_tree_free(tree);
	return out;
}

/* ------------------------------------------------------------------ tests */

/* 200 records; one changed: the commit, the 6 trees on its path and the
 * record, each tree and the record with its previous version as base (as
 * t210 counts over ssh). */
static void t_one_record(void **state)
{
	(void)state;
	enum { N = 200 };
	repo_update u[N];
	char paths[N][64];
	git_oid c1, c2;
	for (unsigned i = 0; i < N; i++) {
		rec_path(paths[i], sizeof(paths[i]), "actions", i);
		u[i].path = paths[i];
		u[i].oid = blob("{\"title\": \"Action %u\"}\n", i);
		u[i].remove = 0;
	}
	OK(repo_commit(R, NULL, NULL, u, N, &who, &who, "import\n", &c1));
	repo_update one = {paths[77], blob("{\"title\": \"Action 77\", \"budget_eur\": 777}\n"), 0};
	OK(repo_commit(R, NULL, &c1, &one, 1, &who, &who, "set\n", &c2));

	walk w = {0};
	size_t commits = 0;
	OK(run(&w, &c2, 1, &c1, 1, &commits));
	assert_int_equal(commits, 1);
	assert_int_equal(w.n, 8);
	assert_true(git_oid_equal(&w.v[0].id, &c2));
	assert_false(w.v[0].has_base);
	/* The trees on the path, root first, then the record; each based on
	 * its version in c1. */
	char prefix[64];
	const char *p = paths[77];
	for (size_t k = 1; k < 8; k++) {
		git_oid want, old;
		if (k == 1) {
			want = tree_of(&c2);
			old = tree_of(&c1);
		} else {
			const char *slash = p;
			for (size_t d = 1; d < k && slash; d++)
				slash = strchr(slash + 1, '/');
			size_t len = slash ? (size_t)(slash - p) : strlen(p);
			memcpy(prefix, p, len);
			prefix[len] = '\0';
			assert_true(at(&c2, prefix, &want));
			assert_true(at(&c1, prefix, &old));
		}
		if (!git_oid_equal(&w.v[k].id, &want))
			fail_msg("object %zu is not the one at '%s'", k, k == 1 ? "" : prefix);
		assert_true(w.v[k].has_base);
		assert_true(git_oid_equal(&w.v[k].base, &old));
	}
	free(w.v);

	/* Nothing new: nothing sent. Tips the receiver has (HAVE): nothing. */
	walk w2 = {0};
	OK(run(&w2, &c2, 1, &c2, 1, &commits));
	assert_int_equal(commits, 0);
	assert_int_equal(w2.n, 0);
	walk w3 = {0};
	w3.have = &c2;
	w3.nhave = 1;
	OK(run(&w3, &c2, 1, NULL, 0, &commits));
	assert_int_equal(w3.n, 0);
	assert_true(w3.have_calls >= 1);
	/* HAVE met on the way: the walk stops at c1, which the receiver has. */
	walk w4 = {0};
	w4.have = &c1;
	w4.nhave = 1;
	OK(run(&w4, &c2, 1, NULL, 0, &commits));
	assert_int_equal(commits, 1);
	assert_int_equal(w4.n, 8);
	/* HIDE ids that are no commit of this repository are passed over. */
	git_oid junk[2];
	memset(&junk[0], 0xab, sizeof(junk[0]));
	junk[1] = tree_of(&c1);
	walk w5 = {0};
	OK(run(&w5, &c2, 1, junk, 2, &commits));
	assert_int_equal(commits, 2);
	free(w4.v);
	free(w5.v);
	/* ADD fails on its third call: the walk stops there and its error
	 * comes back as it is, code and message. */
	walk w6 = {0};
	w6.fail_after = 3;
	assert_int_equal(run(&w6, &c2, 1, &c1, 1, &commits), C2C_ENOMEM);
	assert_string_equal(err_msg(), "out of memory (test)");
	assert_int_equal(w6.calls, 3);
	free(w6.v);
}

/* Random histories: records added, changed (sometimes back to an older
 * version), removed; branches merged. For a random receiver (the commits
 * HIDE reaches): every object the tips reach and the receiver lacks is
 * sent; nothing the tips do not reach is; commits come parents first; each
 * delta base is held by the receiver or sent before. */
static void t_random_histories(void **state)
{
	(void)state;
	enum { NC = 24, NR = 40 };
	size_t merges = 0, removals = 0, sent_total = 0;
	for (unsigned seed = 1; seed <= 12; seed++) {
		srand(seed);
		git_oid c[NC];
		char paths[NR][64];
		for (unsigned i = 0; i < NR; i++)
			rec_path(paths[i], sizeof(paths[i]), i % 3 ? "actions" : "stakeholders", i * 7919u + seed);
		repo_update u[8];
		size_t n = 0;
		for (unsigned i = 0; i < 4; i++)
			u[n++] = (repo_update){paths[i], blob("{\"v\": 0, \"r\": %u}\n", i), 0};
		OK(repo_commit(R, NULL, NULL, u, n, &who, &who, "root\n", &c[0]));
		for (int k = 1; k < NC; k++) {
			const git_oid *parent = &c[rand() % 3 == 0 && k > 2 ? rand() % k : k - 1];
			char used[NR] = {0};
			n = 0;
			for (int m = 1 + rand() % 4; m > 0; m--) {
				unsigned r = (unsigned)rand() % NR;
				if (used[r])
					continue;
				used[r] = 1;
				git_oid cur;
				int exists = at(parent, paths[r], &cur);
				if (exists && rand() % 5 == 0)
					u[n++] = (repo_update){paths[r], cur, 1}, removals++; /* removed */
				else /* a new version, or an old one again (a revert) */
					u[n++] = (repo_update){paths[r], blob("{\"v\": %d, \"r\": %u}\n", rand() % 3, r), 0};
			}
			if (k > 3 && rand() % 4 == 0)
				c[k] = merge(parent, parent == &c[k - 1] ? &c[rand() % (k - 1)] : &c[k - 1], u, n), merges++;
			else
				OK(repo_commit(R, NULL, parent, u, n, &who, &who, "edit\n", &c[k]));
		}
		for (int trial = 0; trial < 4; trial++) {
			git_oid tip = c[NC - 1 - rand() % 3], hide[2];
			size_t nhide = (size_t)(trial % 3);
			for (size_t h = 0; h < nhide; h++)
				hide[h] = c[rand() % (NC - 4)];
			ids reach_tip = {0}, held = {0};
			reach(&reach_tip, &tip);
			for (size_t h = 0; h < nhide; h++)
				reach(&held, &hide[h]);
			walk w = {0};
			size_t commits = 0;
			OK(run(&w, &tip, 1, hide, nhide, &commits));
			ids got = {0};
			size_t ncommits = 0;
			for (size_t i = 0; i < w.n; i++) {
				if (!ids_has(&reach_tip, &w.v[i].id))
					fail_msg("seed %u: an object the tip does not reach was sent", seed);
				if (w.v[i].has_base && !ids_has(&held, &w.v[i].base) && !ids_has(&got, &w.v[i].base))
					fail_msg("seed %u: object %zu's delta base is neither held nor sent before it", seed, i);
				git_object *o = NULL;
				OK(git_object_lookup(&o, R, &w.v[i].id, GIT_OBJECT_ANY));
				if (git_object_type(o) == GIT_OBJECT_COMMIT) {
					ncommits++;
					git_commit *k = (git_commit *)o;
					for (unsigned p = 0; p < git_commit_parentcount(k); p++) {
						const git_oid *pid = git_commit_parent_id(k, p);
						if (!ids_has(&held, pid) && !ids_has(&got, pid))
							fail_msg("seed %u: a commit sent before its parent", seed);
					}
					if (w.v[i].has_base)
						fail_msg("seed %u: a commit with a delta base", seed);
				}
				git_object_free(o);
				ids_add(&got, &w.v[i].id);
			}
			assert_int_equal(commits, ncommits);
			sent_total += w.n;
			for (size_t i = 0; i < reach_tip.n; i++)
				if (!ids_has(&held, &reach_tip.v[i]) && !ids_has(&got, &reach_tip.v[i]))
					fail_msg("seed %u, trial %d: %s, which the tip reaches and the receiver lacks, was not sent",
					         seed, trial, git_oid_tostr_s(&reach_tip.v[i]));
			free(reach_tip.v);
			free(held.v);
			free(got.v);
			free(w.v);
		}
	}
	/* (the histories did hold merges and removals) */
	assert_true(merges > 5 && removals > 5 && sent_total > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_one_record),
	    cmocka_unit_test(t_random_histories),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
