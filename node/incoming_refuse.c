/* incoming_refuse: a commit refused by the incoming checks, said one way
 * for incoming.c, incoming_signer.c and incoming_tree.c (incoming_ck.h). */
#include "c2c/incoming_ck.h"

#include <stdarg.h>
#include <stdio.h>

#include "c2c/err.h"

int incoming_refuse(ck *k, const char *fmt, ...)
{
	char rule[768];
	/* Running out of memory while reading the commit is this node's
	 * trouble, not the commit's: an error, never a refusal (a branch held
	 * for it would wait for nothing). */
	if (err_code() == C2C_ENOMEM)
		return C2C_ENOMEM;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	err_set(C2C_EINVALID, "%s: commit %s refused: %s", k->from, k->hex, rule);
	return err_hint("nothing of it was merged; the node that made it must be repaired, or the office asked");
}
