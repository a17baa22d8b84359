/* progress: how long work reports how far it got, without globals.
 *
 * The caller owns a c2c_progress (a function and its payload) and passes it
 * down with the call; a library module reports through progress_report and
 * never prints. FN NULL (or the whole struct NULL): nobody listens. */
#ifndef C2C_PROGRESS_H
#define C2C_PROGRESS_H

#include <stddef.h>

/* LABEL ("receiving objects"), DONE of TOTAL (TOTAL 0: not known yet).
 * LABEL is English, marked N_() where it is written: the command line
 * prints it in the officer's language (cli.LANG.po), and the web page's
 * sync view tells the phases apart by it. */
typedef void (*c2c_progress_fn)(void *payload, const char *label, size_t done, size_t total);

typedef struct {
	c2c_progress_fn fn;
	void *payload;
} c2c_progress;

static inline void progress_report(const c2c_progress *p, const char *label, size_t done, size_t total)
{
	if (p && p->fn)
		p->fn(p->payload, label, done, total);
}

#endif
