#include "c2c/fault.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *name)
{
	static long seen, kill_at = -1;
	static int listing;
	if (kill_at < 0) {
		const char *v = getenv("C2C_TEST_KILL_AT");
		kill_at = 0;
		if (v && !strcmp(v, "list"))
			listing = 1;
		else if (v)
			kill_at = strtol(v, NULL, 10);
	}
	seen++;
	if (listing)
		fprintf(stderr, "fault point %ld: %s\n", seen, name);
	if (kill_at > 0 && seen == kill_at)
		kill(getpid(), SIGKILL);
	const char *pause_at = getenv("C2C_TEST_PAUSE_AT"), *file = getenv("C2C_TEST_PAUSE_FILE");
	if (pause_at && file && !strcmp(pause_at, name)) {
		FILE *fp = fopen(file, "w");
		if (fp)
			fclose(fp);
		for (int i = 0; i < 1200 && access(file, F_OK) == 0; i++)
			usleep(50 * 1000);
	}
}

/* Defined by tests/allocfail's library when it is preloaded; NULL else. */
extern void c2c_failalloc_arm(void) __attribute__((weak));

void fault_alloc_arm(void)
{
	static int armed;
	if (!c2c_failalloc_arm || armed)
		return;
	armed = 1;
	/* The libraries' own lazy set-up first: OpenSSL 3 goes on with a NULL
	 * lock when an allocation of its first digest fails, and libgit2 1.5.1
	 * crashes when one of git_libgit2_init's does (both outside c2c). */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	OPENSSL_init_crypto(0, NULL);
	EVP_Digest("", 0, md, &mdlen, EVP_sha256(), NULL);
	sqlite3_initialize();
	c2c_failalloc_arm();
}
