/* ui: the web interface of this node, as `fossil ui` serves a repository. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/ui.h"

extern char **environ;

/* xdg-open, if the desktop has one: its output would only confuse the
 * terminal, so it goes to /dev/null. Returns its pid, or 0. */
static pid_t open_browser(const char *url)
{
	const char *path = getenv("PATH");
	char *copy = path ? strdup(path) : NULL, *save = NULL, full[4096];
	int found = 0;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/xdg-open", d);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	if (!found)
		return 0;
	posix_spawn_file_actions_t fa;
	pid_t pid = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {full, (char *)url, NULL};
	if (posix_spawn(&pid, full, &fa, NULL, argv, environ) != 0)
		pid = 0;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int cmd_ui_fn(cli_ctx *ctx, c2c_node *unused)
{
	const char *port_opt = NULL;
	char *dir = NULL, *url = NULL, *end = NULL;
	c2c_node *probe = NULL;
	ui_server *s = NULL;
	sigset_t set, old;
	int err, sig = 0;
	(void)unused;
	if ((err = cli_take_opt(ctx, "--port", &port_opt)) < 0)
		return err;
	int no_browser = cli_take_flag(ctx, "--no-browser");
	if ((err = cli_positionals(ctx, 0, 0)) < 0)
		return err;
	long port = port_opt ? strtol(port_opt, &end, 10) : 0;
	if (port_opt && (*end || port < 0 || port > 65535))
		return err_set(C2C_EUSAGE, _("--port %s: give a port number (0 for a free one)"), port_opt);
	/* The node is opened by each request, not held: the CLI and autosync
	 * take their turns beside the server. Open it once now so that a
	 * wrong directory is said at once. */
	if ((err = node_locate(&dir, ctx->dir_opt)) < 0 || (err = node_open(&probe, dir, NODE_READ)) < 0)
		goto done;
	node_close(probe);
	probe = NULL;

	/* SIGINT and SIGTERM are taken by sigwait below; the server's thread
	 * inherits the mask, so it never sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if ((err = ui_start(&s, dir, (int)port, &url)) < 0)
		goto done_mask;
	printf("%s\n", url);
	if (fflush(stdout) != 0) {
		err = err_errno(C2C_EIO, "standard output");
		goto done_mask;
	}
	fprintf(stderr, _("c2c ui: serving %s on 127.0.0.1 only; press Ctrl-C to stop\n"), dir);
	pid_t browser = no_browser ? 0 : open_browser(url);
	sigwait(&set, &sig);
	fprintf(stderr, _("c2c ui: stopping\n"));
	if (browser > 0)
		waitpid(browser, NULL, WNOHANG);
done_mask:
	ui_stop(s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
done:
	free(url);
	free(dir);
	return err;
}

const cli_command cmd_ui = {
    "ui", cmd_ui_fn, CLI_NONE, N_("the web interface of this node, in a browser"),
    N_("c2c ui [--port N] [--no-browser]"),
    N_("Serves this node to a browser on this computer, as 'fossil ui' does: the\n"
    "records of each table, forms made from the schema, the City Migration\n"
    "Profile in four languages, history, conflicts, sync, spreadsheets and the\n"
    "report, in English, French, Spanish or Arabic.\n\n"
    "It listens on 127.0.0.1 only, on port N (by default, or with --port 0, a\n"
    "free one). Its first line on standard output is the address to open,\n"
    "http://127.0.0.1:PORT/login?token=SECRET, with a secret new for each run;\n"
    "it opens it in the desktop's browser (xdg-open) unless --no-browser. Pages\n"
    "need the session that this address starts; forms carry a token that the\n"
    "server checks. Each save is one commit, as 'c2c set' makes it; the node is\n"
    "held only while a page is made, so the command line and autosync work\n"
    "beside it. Ctrl-C (SIGINT) or SIGTERM stops it.\n\n"
    "  c2c ui\n  c2c -C tunis ui --port 8080 --no-browser\n")};
