/* ui_report: the report of this node, as 'c2c report --format html' makes
 * it. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/ui.h"

extern char **environ;

/* The report is `c2c report --format html` of this node, run as a child
 * once this request has let the node go (the child takes its lock). */
int ui_page_report(ui_req *r)
{
	char exe[4096];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int pfd[2] = {-1, -1}, err = 0, status = 0;
	pid_t pid = 0;
	posix_spawn_file_actions_t fa;
	if (k <= 0)
		return err_errno(C2C_EIO, "finding the c2c program");
	exe[k] = '\0';
	node_close(r->node);
	r->node = NULL;
	if (pipe(pfd) < 0)
		return err_errno(C2C_EIO, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {exe, (char *)"-C", (char *)r->node_dir, (char *)"report", (char *)"--format", (char *)"html", NULL};
	if (posix_spawn(&pid, exe, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return err_errno(C2C_EIO, "running c2c report");
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	ui_buf out = {0};
	char chunk[65536];
	ssize_t got;
	while ((got = read(pfd[0], chunk, sizeof(chunk))) > 0)
		ui_buf_add(&out, chunk, (size_t)got);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.oom || !out.p) {
		free(out.p);
		return err_set(C2C_EFAIL, "%s", ui_t(r, "The report could not be made."));
	}
	free(r->out.p);
	r->out = out;
	r->loose_style = 1; /* the report carries its own <style>; still no script */
	return err;
}
