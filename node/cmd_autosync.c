/* autosync: the node syncs itself, in the foreground, for a service manager. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/autosync.h"
#include "c2c/cli.h"
#include "c2c/err.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* One line of the log on standard output, stamped with the time (UTC). */
static void log_line(void *payload, const char *line)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	(void)payload;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %s\n", stamp, line);
	fflush(stdout);
}

static int seconds_opt(cli_ctx *ctx, const char *name, long long *out)
{
	const char *v = NULL;
	int rc = cli_take_opt(ctx, name, &v);
	if (rc <= 0)
		return rc;
	char *end = NULL;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || x < 1 || x > 7 * 86400)
		return err_set(C2C_EUSAGE, _("%s '%s': a number of seconds from 1 to 604800"), name, v);
	*out = x;
	return 0;
}

static int cmd_autosync_fn(cli_ctx *ctx, c2c_node *unused)
{
	autosync_options o;
	char *dir = NULL;
	int err;
	(void)unused;
	autosync_options_init(&o);
	if ((err = seconds_opt(ctx, "--interval", &o.interval)) < 0 ||
	    (err = seconds_opt(ctx, "--after-write", &o.after_write)) < 0 ||
	    (err = seconds_opt(ctx, "--retry", &o.retry)) < 0 ||
	    (err = seconds_opt(ctx, "--max-backoff", &o.max_backoff)) < 0 || (err = cli_positionals(ctx, 0, 0)) < 0)
		return err;
	if (o.max_backoff < o.retry)
		o.max_backoff = o.retry;
	o.log = log_line;
	if ((err = node_locate(&dir, ctx->dir_opt)) < 0)
		return err;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf(_("autosync %s: every %lld s, %lld s after a local write; retries from %lld s up to %lld s\n"), dir,
	       o.interval, o.after_write, o.retry, o.max_backoff);
	fflush(stdout);
	err = autosync_run(dir, &o, &stop_requested);
	free(dir);
	return err;
}

const cli_command cmd_autosync = {
    "autosync", cmd_autosync_fn, CLI_NONE, N_("keep syncing with every remote, in the foreground"),
    N_("c2c autosync [--interval S] [--after-write S] [--retry S] [--max-backoff S]"),
    N_("For a node nobody watches, run by a service manager (scripts/c2c-autosync.service).\n"
    "Syncs with every remote at once, then every --interval seconds (300), and\n"
    "--after-write seconds (5) after a local write moves the head. A failed sync\n"
    "is retried after --retry seconds (30), doubled with each failure in a row\n"
    "up to --max-backoff (3600); the first success returns to the interval.\n"
    "The node is locked only while a sync runs. One line per attempt on\n"
    "standard output; 'c2c status' shows the last attempt, its outcome and the\n"
    "next try. SIGTERM or SIGINT stops it once the sync in progress is over\n"
    "(bounded by the SSH timeouts).\n")};
