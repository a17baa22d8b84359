/* A test-only allocator, put in front of a process with LD_PRELOAD, that
 * fails one allocation on purpose.
 *
 * It replaces malloc, calloc, realloc, posix_memalign, aligned_alloc and
 * memalign for the whole process: c2c's own code, and SQLite, libgit2,
 * jansson, libcsv, libssh2, zlib and libcrypto, which all allocate through
 * them (SQLite and libgit2 use the C library's allocator unless told
 * otherwise, and c2c does not tell them otherwise).
 *
 * C2C_TEST_FAIL_ALLOC=N: the Nth allocation counted from the start marker
 *   returns NULL with errno ENOMEM; every other allocation succeeds. The
 *   marker is c2c's call of c2c_failalloc_arm() (fault_alloc_arm in
 *   node/fault.c), once libgit2, SQLite and OpenSSL are initialized: their
 *   initialization is not tested here (libgit2 1.5.1 and OpenSSL 3 crash
 *   when an allocation of theirs fails then, which c2c cannot help).
 * C2C_TEST_ALLOC_COUNT=FILE: at exit, the number of allocations made is
 *   written to FILE (to size a loop over N).
 * C2C_TEST_ALLOC_CRASH=FILE: on SIGSEGV, SIGBUS or SIGABRT, the file name of
 *   the shared object (or program) whose code crashed, the first frame
 *   outside the C library, and the frame's address in that file, are
 *   written to FILE ("PATH 0xADDR") before the signal goes on, so that a
 *   test can tell a crash of a library it cannot fix (libgit2's own
 *   handling of a failed allocation) from one of c2c: by the shared
 *   object's name, or, for a library linked into the program from its
 *   archive, by the function at that address (addr2line -f).
 * realloc(p, 0) and free are passed through and not counted. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count, fail_at;
static int armed;
static const char *count_file;

static void on_crash(int sig)
{
	void *frames[32];
	const char *file = getenv("C2C_TEST_ALLOC_CRASH");
	int n = backtrace(frames, 32);
	Dl_info self, libc, in;
	dladdr((void *)on_crash, &self);
	dladdr((void *)abort, &libc);
	for (int i = 0; file && i < n; i++) {
		if (!dladdr(frames[i], &in) || !in.dli_fname || in.dli_fbase == self.dli_fbase ||
		    in.dli_fbase == libc.dli_fbase)
			continue;
		char line[4200];
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int len = snprintf(line, sizeof(line), "%s %#lx\n", in.dli_fname,
		                   (unsigned long)((char *)frames[i] - (char *)in.dli_fbase));
		if (fd >= 0) {
			if (len > 0 && write(fd, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1) < 0)
				(void)0;
			close(fd);
		}
		break;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void c2c_failalloc_arm(void);
void c2c_failalloc_arm(void)
{
	void *warm[2];
	backtrace(warm, 2); /* loads the unwinder now, not in the handler */
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGABRT, on_crash);
	armed = 1;
	count = 0;
}

__attribute__((constructor)) static void failalloc_init(void)
{
	const char *v = getenv("C2C_TEST_FAIL_ALLOC");
	fail_at = v ? strtoul(v, NULL, 10) : 0;
	count_file = getenv("C2C_TEST_ALLOC_COUNT");
	count = 0;
}

__attribute__((destructor)) static void failalloc_fini(void)
{
	if (!count_file)
		return;
	char buf[32];
	int fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int len = snprintf(buf, sizeof(buf), "%lu\n", count);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)len) != len)
			(void)0;
		close(fd);
	}
}

/* 1 if this allocation is the one to fail. */
static int fail_now(void)
{
	if (!armed)
		return 0;
	count++;
	if (fail_at && count == fail_at) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t size)
{
	return fail_now() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (p && size == 0)
		return __libc_realloc(p, size);
	return fail_now() ? NULL : __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
	return fail_now() ? NULL : __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return fail_now() ? NULL : __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (fail_now())
		return ENOMEM;
	void *p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
