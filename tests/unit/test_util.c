/* Unit tests of the util layer (include/c2c/util.h, oidlist.h, refs.h,
 * err.h's save/restore): growth refuses an overflowing count, files are
 * read whole with a limit, an atomic write leaves the old file or the new
 * one and no temporary file, the object-id list sorts, dedups and finds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/oidlist.h"
#include "c2c/refs.h"
#include "c2c/util.h"

#include "unit.h"

static void grow_and_overflow(void **state)
{
	(void)state;
	ARRAY(int) a = {0};
	for (int i = 0; i < 1000; i++)
		OK(ARRAY_PUSH(&a, i));
	assert_int_equal(a.n, 1000);
	assert_true(a.cap >= 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(a.v[i], i);
	int *before = a.v;
	size_t cap = a.cap;
	/* a count whose bytes overflow is refused, and changes nothing */
	assert_int_equal(util_grow((void **)&a.v, &a.cap, SIZE_MAX / 2, sizeof(int)), C2C_ENOMEM);
	assert_int_equal(util_grow((void **)&a.v, &a.cap, SIZE_MAX, 1), C2C_ENOMEM);
	assert_ptr_equal(a.v, before);
	assert_int_equal(a.cap, cap);
	ARRAY_FREE(&a);
	assert_null(a.v);
	assert_int_equal(a.n, 0);
}

static char dir[] = "/tmp/c2c-test-util-XXXXXX";

static void files(void **state)
{
	(void)state;
	char path[256], *text = NULL;
	size_t len = 0;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/settings", dir);
	assert_int_equal(read_file(path, 100, &text, &len), C2C_ENOTFOUND);
	assert_non_null(strstr(err_msg(), path));

	OK(write_file_atomic(path, "one\n", 4, 0600));
	OK(read_file(path, 100, &text, &len));
	assert_int_equal(len, 4);
	assert_string_equal(text, "one\n");
	free(text);

	OK(write_file_atomic(path, "two lines\nhere\n", 15, 0600));
	OK(read_file(path, 15, &text, NULL));
	assert_string_equal(text, "two lines\nhere\n");
	free(text);
	assert_int_equal(read_file(path, 14, &text, &len), C2C_EINVALID);
	assert_null(text);
	assert_non_null(strstr(err_msg(), "larger than 14"));

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* no temporary file left behind */
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			count++;
	closedir(d);
	assert_int_equal(count, 1);

	/* a write into a directory that does not exist fails, naming it */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/no/such", dir);
	assert_int_equal(write_file_atomic(bad, "x", 1, 0600), C2C_EIO);
	assert_non_null(strstr(err_msg(), "no/such"));

	/* an empty file reads as "" */
	OK(write_file_atomic(path, "", 0, 0600));
	OK(read_file(path, 10, &text, &len));
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	unlink(path);
	rmdir(dir);
}

static void oids(void **state)
{
	(void)state;
	oid_list l = {0};
	git_oid a, b, c;
	git_oid_fromstr(&a, "1111111111111111111111111111111111111111");
	git_oid_fromstr(&b, "2222222222222222222222222222222222222222");
	git_oid_fromstr(&c, "3333333333333333333333333333333333333333");
	OK(oid_list_add(&l, &c));
	OK(oid_list_add(&l, &a));
	OK(oid_list_add(&l, &c));
	OK(oid_list_add_unique(&l, &a));
	assert_int_equal(l.n, 3);
	assert_true(oid_list_has(&l, &a));
	assert_false(oid_list_has(&l, &b));
	oid_list_sort(&l);
	assert_int_equal(l.n, 2);
	assert_true(git_oid_equal(&l.v[0], &a));
	assert_true(git_oid_equal(&l.v[1], &c));
	assert_true(oid_list_has(&l, &c));
	assert_false(oid_list_has(&l, &b));
	OK(oid_list_add(&l, &b)); /* out of order: no longer sorted */
	assert_true(oid_list_has(&l, &b));
	oid_list_free(&l);
	assert_int_equal(l.n, 0);

	/* many at once: SRC's order kept, each once, none the list had */
	git_oid d, e;
	git_oid_fromstr(&d, "4444444444444444444444444444444444444444");
	git_oid_fromstr(&e, "0000000000000000000000000000000000000005");
	oid_list src = {0};
	const git_oid *in[] = {&c, &a, &d, &c, &b, &e, &d};
	for (size_t i = 0; i < sizeof(in) / sizeof(*in); i++)
		OK(oid_list_add(&src, in[i]));
	OK(oid_list_add(&l, &a));
	OK(oid_list_add(&l, &b));
	OK(oid_list_add_unique_all(&l, &src));
	const git_oid *want[] = {&a, &b, &c, &d, &e};
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_true(git_oid_equal(&l.v[i], want[i]));
	oid_list_clear(&src);
	OK(oid_list_add_unique_all(&l, &src)); /* nothing to add */
	assert_int_equal(l.n, 5);
	oid_list_free(&src);
	oid_list_free(&l);
}

static void errors_and_refs(void **state)
{
	(void)state;
	err_state s;
	err_set(C2C_ECONFLICT, "the head moved");
	err_hint("sync again");
	err_save(&s);
	err_set(C2C_EIO, "rollback failed");
	assert_int_equal(err_restore(&s), C2C_ECONFLICT);
	assert_string_equal(err_msg(), "the head moved");
	assert_string_equal(err_hint_msg(), "sync again");

	char ref[40];
	OK(ref_remote(ref, sizeof(ref), "hub", "main"));
	assert_string_equal(ref, "refs/c2c/remotes/hub/main");
	OK(ref_remote(ref, sizeof(ref), "hub", NULL));
	assert_string_equal(ref, "refs/c2c/remotes/hub/");
	assert_int_equal(ref_remote(ref, sizeof(ref), "a-very-long-remote-name", "nodes/x"), C2C_EINVALID);
	assert_non_null(strstr(err_msg(), "a-very-long-remote-name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_and_overflow),
		cmocka_unit_test(files),
		cmocka_unit_test(oids),
		cmocka_unit_test(errors_and_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
