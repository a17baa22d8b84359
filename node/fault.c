#include "c2c/fault.h"

#include <signal.h>
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
}
