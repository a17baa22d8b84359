/* Unit tests of the quarantine (include/c2c/quarantine.h) and of the one
 * node-id grammar (nodeid.h) and public-key line parser (keys_parse_line):
 * one holder of the quarantine at a time, its state the caller's; repair
 * drops what a killed sync left and says so, and leaves a held quarantine
 * alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/nodeid.h"
#include "c2c/quarantine.h"
#include "c2c/repo.h"

#include "unit.h"

typedef struct {
	char dir[64], gitdir[96];
	git_repository *repo;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/c2c-test-quarantine-XXXXXX");
	if (!f || !mkdtemp(f->dir) || repo_global_init() < 0)
		return -1;
	snprintf(f->gitdir, sizeof(f->gitdir), "%s/repo.git", f->dir);
	if (repo_create(&f->repo, f->gitdir) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[160];
	git_repository_free(f->repo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A file in the quarantine's pack directory, as a killed fetch leaves. */
static void leave_pack(const fixture *f)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/objects/c2c-incoming/pack/pack-left.pack", f->gitdir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("not checked", fp);
	fclose(fp);
}

static int pack_left(const fixture *f)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/objects/c2c-incoming/pack/pack-left.pack", f->gitdir);
	return access(p, F_OK) == 0;
}

static void one_holder(void **state)
{
	fixture *f = *state;
	quarantine a = {0}, b = {0};
	git_oid head = {{0}};
	OK(quarantine_open(&a, f->repo, f->gitdir));
	OK(quarantine_open(&a, f->repo, f->gitdir)); /* the holder may open it again */
	assert_int_equal(quarantine_open(&b, f->repo, f->gitdir), C2C_ELOCKED);
	assert_non_null(strstr(err_msg(), "another sync or bundle apply"));
	OK(quarantine_close(&a, f->repo, f->gitdir, &head, "peer", NULL));
	OK(quarantine_open(&b, f->repo, f->gitdir));
	quarantine_dispose(&b); /* lets the lock go */
	OK(quarantine_open(&a, f->repo, f->gitdir));
	quarantine_dispose(&a);
	quarantine_dispose(&a);
	quarantine_dispose(NULL);
}

/* Promoting everything moves the quarantine's packs in; when the
 * directory cannot be listed (here: no descriptor left), that is an error
 * and nothing has moved, for the head must not name objects the close of
 * the quarantine then removes. */
static void promote_unlisted(void **state)
{
	fixture *f = *state;
	quarantine q = {0};
	git_oid head = {{0}};
	char moved[256];
	struct rlimit was, low;
	OK(quarantine_open(&q, f->repo, f->gitdir));
	leave_pack(f);
	int lowest = dup(0); /* the lowest descriptor free: the next open's */
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	low = was;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int rc = quarantine_promote(f->repo, f->gitdir, &head, NULL, 0, 1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	assert_int_equal(rc, C2C_EIO);
	assert_non_null(strstr(err_msg(), "c2c-incoming/pack"));
	assert_true(pack_left(f));
	/* with descriptors again, it moves in */
	OK(quarantine_promote(f->repo, f->gitdir, &head, NULL, 0, 1));
	assert_false(pack_left(f));
	snprintf(moved, sizeof(moved), "%s/objects/pack/pack-left.pack", f->gitdir);
	assert_int_equal(access(moved, F_OK), 0);
	unlink(moved);
	quarantine_dispose(&q);
}

static void repair(void **state)
{
	fixture *f = *state;
	quarantine a = {0}, r = {0};
	git_oid head = {{0}};
	int dropped = -1;
	OK(quarantine_repair(&r, f->repo, f->gitdir, &dropped)); /* no quarantine yet */
	assert_int_equal(dropped, 0);
	OK(quarantine_open(&a, f->repo, f->gitdir));
	leave_pack(f);
	/* A sync holds it: what is there is its own, not left over. */
	OK(quarantine_repair(&r, f->repo, f->gitdir, &dropped));
	assert_int_equal(dropped, 0);
	assert_true(pack_left(f));
	quarantine_dispose(&a); /* as a killed sync: nothing closed */
	OK(quarantine_repair(&r, f->repo, f->gitdir, &dropped));
	assert_int_equal(dropped, 1);
	assert_false(pack_left(f));
	assert_false(r.locked);
	OK(quarantine_repair(&r, f->repo, f->gitdir, NULL));
	OK(quarantine_open(&a, f->repo, f->gitdir));
	OK(quarantine_close(&a, f->repo, f->gitdir, &head, "peer", NULL));
	quarantine_dispose(&a);
}

static void node_ids(void **state)
{
	(void)state;
	assert_true(nodeid_valid("tunis-0a0ad87e"));
	assert_true(nodeid_valid("office-1"));
	assert_true(nodeid_valid("a.b_c-d"));
	assert_false(nodeid_valid(NULL));
	assert_false(nodeid_valid(""));
	assert_false(nodeid_valid("Tunis"));
	assert_false(nodeid_valid("-x"));
	assert_false(nodeid_valid("a/b"));
	assert_false(nodeid_valid("a..b"));
	assert_false(nodeid_valid("x'y"));
	char longid[120];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(nodeid_valid(longid));
}

static void key_lines(void **state)
{
	(void)state;
	static const char good[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGMZjuNjn18SfW62eScdGpVHZNG0WUFlRD9BbZ0c8yLc";
	const char *b64;
	unsigned char blob[KEYS_BLOB_LEN];
	int why = -1;
	OK(keys_parse_line(good, &b64, blob, &why));
	assert_int_equal(why, 0);
	assert_ptr_equal(b64, good + strlen("ssh-ed25519 "));
	assert_memory_equal(blob, "\0\0\0\13ssh-ed25519\0\0\0\40", 19);
	char line[200];
	snprintf(line, sizeof(line), "ssh-ed25519\t %s a comment\n", good + strlen("ssh-ed25519 "));
	OK(keys_parse_line(line, &b64, NULL, NULL));
	assert_int_equal(strncmp(b64, good + strlen("ssh-ed25519 "), KEYS_B64_LEN), 0);
	assert_int_equal(keys_parse_line("ssh-rsa AAAA x", &b64, NULL, &why), C2C_EINVALID);
	assert_int_equal(why, KEYS_LINE_TYPE);
	assert_null(b64);
	assert_int_equal(keys_parse_line("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBifUXDT c2c", &b64, NULL, &why),
	                 C2C_EINVALID);
	assert_int_equal(why, KEYS_LINE_KEY);
	assert_int_equal(keys_parse_line("ssh-ed25519", &b64, NULL, &why), C2C_EINVALID);
	assert_int_equal(why, KEYS_LINE_KEY);
	/* 68 characters of base64, but the blob names another key type. */
	static const char other[] =
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE4AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";
	assert_int_equal(keys_parse_line(other, &b64, NULL, &why), C2C_EINVALID);
	assert_int_equal(why, KEYS_LINE_KEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(one_holder, setup, teardown),
	    cmocka_unit_test_setup_teardown(repair, setup, teardown),
	    cmocka_unit_test_setup_teardown(promote_unlisted, setup, teardown),
	    cmocka_unit_test(node_ids),
	    cmocka_unit_test(key_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
