/* transport_channel: the channel API of transport.h for c2c's own
 * protocol work (push.c), over ssh (transport_ssh.c) or to a git child
 * process for a hub by path. */
#include "c2c/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/refs.h"
#include "c2c/transport_ssh.h"

/* The channel API for c2c's own protocol work (push.c): over ssh, a channel
 * on the sync's session (its timeouts, counters and messages, as for
 * libgit2's streams); for a path on this machine, stock git's command run
 * as a child process, so that a hub by path applies its rules (quarantine,
 * receive.fsckObjects, the update and pre-receive hooks) exactly as over
 * ssh, by git's own code. */
struct transport_channel {
	transport *t;    /* names in messages */
	ssh_stream *ssh; /* over ssh; NULL for a child process: */
	pid_t pid;       /* the child, reaped in close (-1: none) */
	/* Its stdin and stdout, one end of a socketpair: send() with
	 * MSG_NOSIGNAL reports a child that is gone as EPIPE, where a write to
	 * a pipe would raise SIGPIPE, which c2c does not ignore. */
	int sock;
	/* Its stderr (the hooks' messages), read whenever the channel waits,
	 * so that a talkative hook can never block the child while this side
	 * blocks on the child's stdout or stdin. */
	int errfd;
	char err[8192];
	size_t errlen;
	/* transport_channel_fds: this process's own input and output */
	int in_fd, out_fd;
};

/* The variables through which the pushing process's own repository would
 * steer the hub's git: git drops the same ones for its local transport
 * (local_repo_env in git's environment.c). */
static const char *const local_repo_env[] = {
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR", "GIT_QUARANTINE_PATH", "GIT_NAMESPACE", "C2C_HUB_NODE"};

static int env_dropped(const char *kv)
{
	for (size_t i = 0; i < sizeof(local_repo_env) / sizeof(local_repo_env[0]); i++) {
		size_t l = strlen(local_repo_env[i]);
		if (!strncmp(kv, local_repo_env[i], l) && kv[l] == '=')
			return 1;
	}
	return 0;
}

/* What the child wrote on stderr and is waiting there, kept up to the
 * buffer's size (the rest is read and dropped: it must not block it). */
static void local_drain(transport_channel *c)
{
	char tmp[4096];
	ssize_t k;
	while (c->errfd >= 0) {
		k = read(c->errfd, tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) { /* EAGAIN: nothing more now; 0: its end */
			if (k == 0) {
				close(c->errfd);
				c->errfd = -1;
			}
			return;
		}
		size_t room = sizeof(c->err) - 1 - c->errlen, n = (size_t)k < room ? (size_t)k : room;
		memcpy(c->err + c->errlen, tmp, n);
		c->errlen += n;
		c->err[c->errlen] = '\0';
	}
}

/* Wait until the child's stdin/stdout can take EVENTS, reading its stderr
 * meanwhile. No idle timeout: the child is on this machine, and a hub's
 * pre-receive check of a large push may well be silent for long. */
static int local_wait(transport_channel *c, short events)
{
	for (;;) {
		struct pollfd p[2] = {{c->sock, events, 0}, {c->errfd, POLLIN, 0}};
		int rc = poll(p, c->errfd >= 0 ? 2 : 1, -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return transport_fail(c->t, C2C_EIO, "waiting for git: %s", strerror(errno));
		if (c->errfd >= 0 && p[1].revents)
			local_drain(c);
		if (p[0].revents)
			return 0;
	}
}

/* The child ended (its stdout closed, or its stdin refused what was sent):
 * reap it, and say why from the first line it wrote on stderr; with
 * nothing there, 0 for a reader (the end of its output, as at the end of
 * an ssh channel). */
static int local_ended(transport_channel *c, const char *while_, int quiet_ok)
{
	int status = 0, reaped = 0;
	pid_t rc;
	char line[512];
	local_drain(c);
	if (c->pid > 0) {
		while ((rc = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (rc == c->pid)
			reaped = 1, c->pid = -1;
	}
	local_drain(c);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(c->err, "\n"), c->err);
	if (!line[0] && quiet_ok)
		return 0;
	if (reaped && WIFEXITED(status) && WEXITSTATUS(status))
		return transport_fail(c->t, C2C_EFAIL, "git ended %s (exit %d)%s%s", while_, WEXITSTATUS(status), line[0] ? ": " : "",
		            line);
	return transport_fail(c->t, C2C_EFAIL, "git ended %s%s%s", while_, line[0] ? ": " : "", line);
}

static int local_open(transport_channel *c, const char *path, const char *git_cmd, const char *node_id)
{
	extern char **environ;
	char **envp = NULL, *hub_node = NULL, *own_ref = NULL, *dot = NULL;
	int sv[2] = {-1, -1}, ep[2] = {-1, -1}, err = 0;
	size_t ne = 0, k = 0;
	/* "git-receive-pack" runs as "git receive-pack", found on PATH as
	 * sshd would on a hub's server. */
	char *service = (char *)(strncmp(git_cmd, "git-", 4) ? git_cmd : git_cmd + 4);
	char *argv[] = {"git", service, (char *)path, NULL};
	/* Everything the child needs is made before the fork: the child only
	 * moves descriptors and execs. */
	while (environ[ne])
		ne++;
	if (!(envp = calloc(ne + 7, sizeof(*envp)))) {
		err = ERR_OOM();
		goto done;
	}
	for (size_t i = 0; i < ne; i++)
		if (!env_dropped(environ[i]))
			envp[k++] = environ[i];
	/* Whose push it is, as a hub's key line tells 'c2c hub serve' over
	 * ssh: the update hook holds the node to its own branch. */
	if (node_id) {
		size_t l = strlen("C2C_HUB_NODE=") + strlen(node_id) + 1;
		if (!(hub_node = malloc(l))) {
			err = ERR_OOM();
			goto done;
		}
		snprintf(hub_node, l, "C2C_HUB_NODE=%s", node_id);
		envp[k++] = hub_node;
	}
	/* A node's push needs only its own branch's tip from the
	 * advertisement (the other heads, the pusher gives its pack walk
	 * itself: push.h): at a thousand nodes, the rest is 60 KB written a
	 * line at a time at every sync. Later hideRefs entries win. */
	if (node_id && !strcmp(service, "receive-pack")) {
		size_t l = strlen("GIT_CONFIG_VALUE_1=!" REF_NODES) + strlen(node_id) + 1;
		if (!(own_ref = malloc(l))) {
			err = ERR_OOM();
			goto done;
		}
		snprintf(own_ref, l, "GIT_CONFIG_VALUE_1=!" REF_NODES "%s", node_id);
		envp[k++] = "GIT_CONFIG_COUNT=2";
		envp[k++] = "GIT_CONFIG_KEY_0=receive.hideRefs";
		envp[k++] = "GIT_CONFIG_VALUE_0=" REF_NODES_DIR;
		envp[k++] = "GIT_CONFIG_KEY_1=receive.hideRefs";
		envp[k++] = own_ref;
	}
	/* A path that starts with '-' is not an option of git's. */
	if (path[0] == '-') {
		if (!(dot = malloc(strlen(path) + 3))) {
			err = ERR_OOM();
			goto done;
		}
		sprintf(dot, "./%s", path);
		argv[2] = dot;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe(ep) < 0 ||
	    fcntl(ep[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(ep[1], F_SETFD, FD_CLOEXEC) < 0) {
		err = transport_fail(c->t, C2C_EIO, "making pipes for git: %s", strerror(errno));
		goto done;
	}
	fflush(NULL); /* nothing buffered is written twice */
	c->pid = fork();
	if (c->pid < 0) {
		err = transport_fail(c->t, C2C_EIO, "starting git: %s", strerror(errno));
		goto done;
	}
	if (c->pid == 0) {
		/* dup2 clears close-on-exec on the copies. */
		static const char msg[] = "c2c: cannot run git (is git installed?)\n";
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		environ = envp;
		execvp("git", argv);
		if (write(2, msg, sizeof(msg) - 1) < 0)
			(void)0;
		_exit(127);
	}
	c->sock = sv[0];
	c->errfd = ep[0];
	sv[0] = ep[0] = -1;
	if (fcntl(c->sock, F_SETFL, fcntl(c->sock, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK) < 0)
		err = transport_fail(c->t, C2C_EIO, "setting up pipes for git: %s", strerror(errno));
done:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free(envp);
	free(hub_node);
	free(own_ref);
	free(dot);
	return err;
}

static int local_read(transport_channel *c, char *buf, size_t cap, size_t *n)
{
	int err;
	*n = 0;
	for (;;) {
		ssize_t k = recv(c->sock, buf, cap, 0);
		if (k > 0) {
			*n = (size_t)k;
			return 0;
		}
		if (k == 0)
			return local_ended(c, "before it had answered", 1);
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return local_ended(c, "before it had answered", 0);
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return transport_fail(c->t, C2C_EIO, "reading from git: %s", strerror(errno));
		if ((err = local_wait(c, POLLIN)) < 0)
			return err;
	}
}

static int local_write(transport_channel *c, const char *buf, size_t len)
{
	int err;
	while (len) {
		ssize_t k = send(c->sock, buf, len, MSG_NOSIGNAL);
		if (k > 0) {
			buf += k;
			len -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EPIPE || errno == ECONNRESET))
			return local_ended(c, "while it was being sent data", 0);
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return transport_fail(c->t, C2C_EIO, "writing to git: %s", strerror(errno));
		if ((err = local_wait(c, POLLOUT)) < 0)
			return err;
	}
	return 0;
}

/* Blocking reads and writes on this process's own descriptors (the hub's
 * side of c2c's sync exchange, where sshd holds the other ends). */
static int fd_read(transport_channel *c, char *buf, size_t cap, size_t *n)
{
	for (;;) {
		ssize_t k = read(c->in_fd, buf, cap);
		if (k >= 0) {
			*n = (size_t)k;
			return 0;
		}
		if (errno != EINTR)
			return transport_fail(c->t, C2C_EIO, "reading the request: %s", strerror(errno));
	}
}

static int fd_write(transport_channel *c, const char *buf, size_t len)
{
	while (len) {
		ssize_t k = write(c->out_fd, buf, len);
		if (k > 0) {
			buf += k;
			len -= (size_t)k;
		} else if (k < 0 && errno != EINTR)
			return transport_fail(c->t, C2C_EIO, "writing the answer: %s", strerror(errno));
	}
	return 0;
}

int transport_channel_fds(transport_channel **out, int in_fd, int out_fd)
{
	transport_channel *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return ERR_OOM();
	c->pid = -1;
	c->sock = c->errfd = -1;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	*out = c;
	return 0;
}

int transport_channel_open(transport_channel **out, transport *t, const char *url, const char *git_cmd,
                           const char *node_id)
{
	return transport_channel_open_arg(out, t, url, git_cmd, NULL, node_id);
}

int transport_channel_open_arg(transport_channel **out, transport *t, const char *url, const char *git_cmd,
                               const char *arg, const char *node_id)
{
	transport_channel *c = calloc(1, sizeof(*c));
	int err;
	*out = NULL;
	if (!c)
		return ERR_OOM();
	c->t = t;
	c->pid = -1;
	c->sock = c->errfd = -1;
	c->in_fd = c->out_fd = -1;
	if (!strncmp(url, "ssh://", 6))
		err = c->t ? ssh_stream_open(&c->ssh, c->t, url, git_cmd, arg, NULL)
		           : err_set(C2C_EINVALID, "%s: an ssh:// remote needs a transport", url);
	else if (arg)
		err = err_set(C2C_EINVALID, "%s: a command's argument goes over ssh only", url);
	else
		err = local_open(c, url, git_cmd, node_id);
	if (err < 0) {
		transport_channel_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int transport_channel_read(transport_channel *c, char *buf, size_t cap, size_t *n)
{
	if (c->in_fd >= 0)
		return fd_read(c, buf, cap, n);
	return c->ssh ? ssh_stream_read(c->ssh, buf, cap, n) : local_read(c, buf, cap, n);
}

int transport_channel_write(transport_channel *c, const void *buf, size_t len)
{
	if (c->out_fd >= 0)
		return fd_write(c, buf, len);
	if (!c->ssh)
		return local_write(c, buf, len);
	return ssh_stream_write_all(c->ssh, buf, len);
}

int transport_channel_end_input(transport_channel *c)
{
	if (c->ssh)
		return ssh_stream_send_eof(c->ssh);
	if (c->in_fd >= 0 || c->sock < 0)
		return 0;
	if (shutdown(c->sock, SHUT_WR) < 0)
		return transport_fail(c->t, C2C_EIO, "ending git's input: %s", strerror(errno));
	return 0;
}

size_t transport_channel_stderr(transport_channel *c, char *buf, size_t cap)
{
	size_t n = 0;
	if (c->ssh)
		return ssh_stream_stderr(c->ssh, buf, cap);
	local_drain(c);
	n = cap ? (c->errlen < cap - 1 ? c->errlen : cap - 1) : 0;
	memcpy(buf, c->err, n);
	if (cap)
		buf[n] = '\0';
	return n;
}

void transport_channel_close(transport_channel *c)
{
	if (!c)
		return;
	ssh_stream_free(c->ssh);
	/* Closing its stdin first: a child still reading ends at once. */
	if (c->sock >= 0)
		close(c->sock);
	if (c->errfd >= 0)
		close(c->errfd);
	while (c->pid > 0 && waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(c);
}

