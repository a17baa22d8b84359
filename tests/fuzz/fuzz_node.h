/* Shared by the fuzz targets: one node, made once per process in a fresh
 * directory under $TMPDIR (removed at exit), that every input runs against. */
#ifndef C2C_FUZZ_NODE_H
#define C2C_FUZZ_NODE_H

#include <stdio.h>
#include <stdlib.h>

#include "c2c/err.h"
#include "c2c/node.h"

static char fuzz_dir[4096];

static void fuzz_cleanup(void)
{
	char cmd[4200];
	if (!fuzz_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* The node every input of this process uses (a city node of tunis). */
static c2c_node *fuzz_node(void)
{
	static c2c_node *n;
	if (n)
		return n;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/c2c-fuzz.XXXXXX", tmp);
	if (!mkdtemp(fuzz_dir)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(fuzz_cleanup);
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/node", fuzz_dir);
	if (node_create(&n, dir, "tunis", 0, "Fuzz <fuzz@c2c.invalid>", 0) < 0) {
		fprintf(stderr, "fuzz: making a node: %s\n", err_msg());
		abort();
	}
	return n;
}

#endif
