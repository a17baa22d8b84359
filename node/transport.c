#include "c2c/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/transport.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "c2c/err.h"

#define MAX_AUTH_TRIES 5

/* ------------------------------------------------------------- settings */

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	return v && *v ? atoi(v) : def;
}

static struct {
	char name[128];
	char dir[4096];
	char trusted[128];
	int has_trusted;
	char step[64];
	char seen[128];
} ctx;

void transport_begin(const char *name, const char *node_dir, const char *trusted_fp)
{
	snprintf(ctx.name, sizeof(ctx.name), "%s", name ? name : "remote");
	snprintf(ctx.dir, sizeof(ctx.dir), "%s", node_dir ? node_dir : ".");
	ctx.has_trusted = trusted_fp != NULL;
	snprintf(ctx.trusted, sizeof(ctx.trusted), "%s", trusted_fp ? trusted_fp : "");
	snprintf(ctx.step, sizeof(ctx.step), "connect");
	ctx.seen[0] = '\0';
}

void transport_step(const char *step) { snprintf(ctx.step, sizeof(ctx.step), "%s", step); }

/* An error naming the remote and the step. Returns C2C code. */
static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(code, "%s: %s: %s", ctx.name, ctx.step, msg);
}

/* libgit2 only sees -1 from a subtransport: keep our message for the top. */
static int to_git(int code)
{
	git_error_set_str(GIT_ERROR_SSH, err_msg());
	return code == C2C_EAUTH ? GIT_EAUTH : code == C2C_ECONFLICT ? GIT_ECERTIFICATE : -1;
}

int transport_parse_url(const char *url, transport_url *u)
{
	memset(u, 0, sizeof(*u));
	u->port = 22;
	if (strncmp(url, "ssh://", 6))
		return err_set(C2C_EINVALID, "%s: not an ssh:// URL", url);
	const char *p = url + 6, *slash = strchr(p, '/'), *at = strchr(p, '@');
	if (!slash || slash == p)
		return err_set(C2C_EINVALID, "%s: an ssh URL is ssh://[user@]host[:port]/path", url);
	if (at && at < slash) {
		if ((size_t)(at - p) >= sizeof(u->user))
			return err_set(C2C_EINVALID, "%s: user name too long", url);
		memcpy(u->user, p, (size_t)(at - p));
		p = at + 1;
	}
	const char *colon = memchr(p, ':', (size_t)(slash - p));
	const char *hend = colon ? colon : slash;
	if (hend == p || (size_t)(hend - p) >= sizeof(u->host))
		return err_set(C2C_EINVALID, "%s: no host", url);
	memcpy(u->host, p, (size_t)(hend - p));
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (end != slash || port < 1 || port > 65535)
			return err_set(C2C_EINVALID, "%s: bad port", url);
		u->port = (int)port;
	}
	if (strlen(slash) >= sizeof(u->path))
		return err_set(C2C_EINVALID, "%s: path too long", url);
	strcpy(u->path, slash);
	if (!u->user[0]) {
		struct passwd *pw = getpwuid(getuid());
		const char *name = getenv("USER");
		snprintf(u->user, sizeof(u->user), "%s", name && *name ? name : pw ? pw->pw_name : "root");
	}
	return 0;
}

/* ----------------------------------------------------------- the session */

typedef struct {
	char key[512]; /* user@host:port */
	int sock;
	LIBSSH2_SESSION *s;
	long long idle_ms, keepalive_s;
	int ready; /* logged in: keepalives may be sent (never during key exchange) */
} session;

static session *cached;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void session_free(session *x)
{
	if (!x)
		return;
	if (x->s) {
		libssh2_session_disconnect(x->s, "c2c: done");
		/* On a dead link the frees of the session and its channels
		 * would block (EAGAIN) and leave everything allocated: shut the
		 * socket so that every send fails at once and libssh2 lets go. */
		for (int tries = 0; libssh2_session_free(x->s) == LIBSSH2_ERROR_EAGAIN && tries < 4; tries++)
			shutdown(x->sock, SHUT_RDWR);
	}
	if (x->sock >= 0)
		close(x->sock);
	free(x);
}

void transport_end(void)
{
	session_free(cached);
	cached = NULL;
}

/* Wait until the session can go on, sending keepalives; fail when nothing
 * arrived for the idle timeout. */
static int wait_io(session *x, long long *last_data, const char *what)
{
	int dir = libssh2_session_block_directions(x->s);
	struct pollfd p = {x->sock, 0, 0};
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		p.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p.events |= POLLOUT;
	if (!p.events)
		p.events = POLLIN;
	long long left = *last_data + x->idle_ms - now_ms();
	if (left <= 0)
		return fail(C2C_ETIMEOUT, "no answer from the server for %lld s while %s; the link is down or the server is stuck",
		            x->idle_ms / 1000, what);
	int next = 0;
	if (x->ready && x->keepalive_s > 0)
		libssh2_keepalive_send(x->s, &next);
	long long wait = left;
	if (next > 0 && next * 1000LL < wait)
		wait = next * 1000LL;
	int rc = poll(&p, 1, (int)(wait > 1000 ? 1000 : wait));
	if (rc < 0 && errno != EINTR)
		return fail(C2C_EIO, "waiting for the server: %s", strerror(errno));
	if (rc > 0 && (p.revents & (POLLERR | POLLHUP)) && !(p.revents & POLLIN))
		return fail(C2C_EIO, "the connection was closed while %s", what);
	return 0;
}

static int ssh_error(session *x, const char *what)
{
	char *m = NULL;
	int rc = libssh2_session_last_error(x->s, &m, NULL, 0);
	return fail(rc == LIBSSH2_ERROR_TIMEOUT ? C2C_ETIMEOUT : C2C_EIO, "%s: %s", what, m && *m ? m : "ssh error");
}

static int tcp_connect(const transport_url *u, int *out)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	char port[16];
	int fd = -1, err = 0;
	long long timeout = env_int("C2C_SSH_CONNECT_TIMEOUT", 15) * 1000LL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", u->port);
	int rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc)
		return fail(C2C_EIO, "cannot resolve %s: %s", u->host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd p = {fd, POLLOUT, 0};
			int so = 0;
			socklen_t sl = sizeof(so);
			rc = poll(&p, 1, (int)timeout);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0)
				break;
			err = rc == 0 ? fail(C2C_ETIMEOUT, "connecting to %s:%d: no answer in %lld s", u->host, u->port,
			                     timeout / 1000)
			              : fail(C2C_EIO, "connecting to %s:%d: %s", u->host, u->port, strerror(so ? so : errno));
		} else {
			err = fail(C2C_EIO, "connecting to %s:%d: %s", u->host, u->port, strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err ? err : fail(C2C_EIO, "connecting to %s:%d failed", u->host, u->port);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	*out = fd;
	return 0;
}

static int fingerprint(session *x, char *out, size_t cap)
{
	const unsigned char *h = (const unsigned char *)libssh2_hostkey_hash(x->s, LIBSSH2_HOSTKEY_HASH_SHA256);
	unsigned char b64[64];
	if (!h)
		return fail(C2C_EIO, "the server sent no host key");
	int n = EVP_EncodeBlock(b64, h, 32);
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	snprintf(out, cap, "SHA256:%s", b64);
	return 0;
}

static int handshake(session *x, const transport_url *u)
{
	long long last = now_ms();
	int rc, err;
	if (!(x->s = libssh2_session_init()))
		return fail(C2C_ENOMEM, "starting an SSH session");
	libssh2_session_set_blocking(x->s, 0);
	if (env_int("C2C_SSH_COMPRESS", 1))
		libssh2_session_flag(x->s, LIBSSH2_FLAG_COMPRESS, 1);
	libssh2_keepalive_config(x->s, 1, (unsigned)(x->keepalive_s > 0 ? x->keepalive_s : 0));
	while ((rc = libssh2_session_handshake(x->s, x->sock)) == LIBSSH2_ERROR_EAGAIN)
		if ((err = wait_io(x, &last, "exchanging keys")) < 0)
			return err;
	if (rc) {
		/* Not a link problem: no retry will help. */
		ssh_error(x, "key exchange");
		return err_set(C2C_EFAIL, "%s", err_msg());
	}
	(void)u;
	return 0;
}

static int check_host(session *x, const transport_url *u)
{
	int err = fingerprint(x, ctx.seen, sizeof(ctx.seen));
	if (err < 0)
		return err;
	if (!ctx.has_trusted) {
		err_set(C2C_EAUTH, "%s: the host key of %s:%d is not known: %s", ctx.name, u->host, u->port, ctx.seen);
		return err_hint("if that is the server's key (ask its admin: ssh-keygen -lf its host key), run: "
		                "c2c remote trust %s %s",
		                ctx.name, ctx.seen);
	}
	if (strcmp(ctx.trusted, ctx.seen)) {
		err_set(C2C_EAUTH,
		        "%s: THE HOST KEY OF %s:%d HAS CHANGED: it is %s, but this node trusts %s. Somebody may be "
		        "intercepting the connection; nothing was sent",
		        ctx.name, u->host, u->port, ctx.seen, ctx.trusted);
		return err_hint("if the server's key really changed, check the new one with its admin, then run: "
		                "c2c remote trust %s %s",
		                ctx.name, ctx.seen);
	}
	return 0;
}

static int authenticate(session *x, const transport_url *u)
{
	char priv[4200], pub[4200];
	long long last = now_ms();
	int rc, err, tries = 0;
	snprintf(priv, sizeof(priv), "%s/keys/id_ed25519", ctx.dir);
	snprintf(pub, sizeof(pub), "%s/keys/id_ed25519.pub", ctx.dir);
	transport_step("login");
	if (access(priv, R_OK) == 0) {
		tries++;
		while ((rc = libssh2_userauth_publickey_fromfile_ex(x->s, u->user, (unsigned)strlen(u->user), pub, priv,
		                                                     NULL)) == LIBSSH2_ERROR_EAGAIN)
			if ((err = wait_io(x, &last, "logging in")) < 0)
				return err;
		if (rc == 0)
			return 0;
	}
	/* The agent's keys, a bounded number of them. */
	if (getenv("SSH_AUTH_SOCK")) {
		LIBSSH2_AGENT *agent = libssh2_agent_init(x->s);
		struct libssh2_agent_publickey *id = NULL, *prev = NULL;
		libssh2_session_set_blocking(x->s, 1);
		libssh2_session_set_timeout(x->s, x->idle_ms);
		if (agent && libssh2_agent_connect(agent) == 0 && libssh2_agent_list_identities(agent) == 0) {
			while (tries < MAX_AUTH_TRIES && libssh2_agent_get_identity(agent, &id, prev) == 0) {
				tries++;
				if (libssh2_agent_userauth(agent, u->user, id) == 0) {
					libssh2_agent_disconnect(agent);
					libssh2_agent_free(agent);
					libssh2_session_set_blocking(x->s, 0);
					return 0;
				}
				prev = id;
			}
		}
		if (agent) {
			libssh2_agent_disconnect(agent);
			libssh2_agent_free(agent);
		}
		libssh2_session_set_blocking(x->s, 0);
	}
	err_set(C2C_EAUTH, "%s: login: %s@%s:%d refused this node's key (%d tr%s)", ctx.name, u->user, u->host, u->port,
	        tries, tries == 1 ? "y" : "ies");
	return err_hint("the hub's admin must allow it: c2c hub allow HUB-PATH NODE-ID %s", pub);
}

static int session_get(const transport_url *u, session **out)
{
	char key[512];
	int err;
	snprintf(key, sizeof(key), "%s@%s:%d", u->user, u->host, u->port);
	if (cached && !strcmp(cached->key, key)) {
		*out = cached;
		return 0;
	}
	transport_end();
	session *x = calloc(1, sizeof(*x));
	if (!x)
		return fail(C2C_ENOMEM, "out of memory");
	x->sock = -1;
	snprintf(x->key, sizeof(x->key), "%s", key);
	x->idle_ms = env_int("C2C_SSH_IDLE_TIMEOUT", 30) * 1000LL;
	x->keepalive_s = env_int("C2C_SSH_KEEPALIVE", 10);
	char step[64];
	snprintf(step, sizeof(step), "%s", ctx.step);
	transport_step("connect");
	if ((err = tcp_connect(u, &x->sock)) < 0 || (err = handshake(x, u)) < 0 || (err = check_host(x, u)) < 0 ||
	    (err = authenticate(x, u)) < 0) {
		session_free(x);
		return err;
	}
	transport_step(step);
	x->ready = 1;
	cached = x;
	*out = x;
	return 0;
}

int transport_probe(const char *url, char **fp)
{
	transport_url u;
	session *x = calloc(1, sizeof(*x));
	int err;
	*fp = NULL;
	if (!x)
		return err_set(C2C_ENOMEM, "out of memory");
	x->sock = -1;
	x->idle_ms = env_int("C2C_SSH_IDLE_TIMEOUT", 30) * 1000LL;
	transport_step("connect");
	if ((err = transport_parse_url(url, &u)) == 0 && (err = tcp_connect(&u, &x->sock)) == 0 &&
	    (err = handshake(x, &u)) == 0 && (err = fingerprint(x, ctx.seen, sizeof(ctx.seen))) == 0)
		*fp = strdup(ctx.seen);
	session_free(x);
	return err;
}

/* --------------------------------------------------------------- streams */

/* libgit2 writes in small pieces (a pkt-line, a few KB of pack); each
 * would go out as its own SSH packet. Writes are gathered here and sent
 * before the next read, or when the buffer fills. */
#define WRITE_BUF (32 * 1024)

typedef struct {
	git_smart_subtransport_stream parent;
	session *x;
	LIBSSH2_CHANNEL *ch;
	int sent_eof;
	char wbuf[WRITE_BUF];
	size_t wlen;
} ssh_stream;

static int channel_write_all(ssh_stream *s, const char *buf, size_t len)
{
	long long last = now_ms();
	size_t off = 0;
	int err;
	while (off < len) {
		ssize_t rc = libssh2_channel_write(s->ch, buf + off, len - off);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			if ((err = wait_io(s->x, &last, "writing")) < 0)
				return err;
			continue;
		}
		if (rc < 0)
			return ssh_error(s->x, "writing");
		off += (size_t)rc;
		last = now_ms();
	}
	return 0;
}

static int stream_flush(ssh_stream *s)
{
	int err = s->wlen ? channel_write_all(s, s->wbuf, s->wlen) : 0;
	s->wlen = 0;
	return err;
}

typedef struct {
	git_smart_subtransport parent;
	git_transport *owner;
	ssh_stream *current;
} ssh_sub;

static int chan_read(ssh_stream *s, char *buf, size_t cap, size_t *n)
{
	long long last = now_ms();
	ssize_t rc;
	int err;
	*n = 0;
	if ((err = stream_flush(s)) < 0)
		return err;
	while ((rc = libssh2_channel_read(s->ch, buf, cap)) == LIBSSH2_ERROR_EAGAIN)
		if ((err = wait_io(s->x, &last, "reading")) < 0)
			return err;
	if (rc < 0)
		return ssh_error(s->x, "reading");
	if (rc == 0 && libssh2_channel_eof(s->ch)) {
		/* The server ended: say why if it wrote anything on stderr. */
		char e[512];
		ssize_t k = libssh2_channel_read_stderr(s->ch, e, sizeof(e) - 1);
		if (k > 0) {
			e[k] = '\0';
			e[strcspn(e, "\n")] = '\0';
			return fail(C2C_EFAIL, "the server ended the connection: %s", e);
		}
	}
	*n = (size_t)rc;
	return 0;
}

static int stream_read(git_smart_subtransport_stream *s_, char *buf, size_t cap, size_t *n)
{
	int err = chan_read((ssh_stream *)s_, buf, cap, n);
	return err < 0 ? to_git(err) : 0;
}

static int stream_write(git_smart_subtransport_stream *s_, const char *buf, size_t len)
{
	ssh_stream *s = (ssh_stream *)s_;
	int err;
	if (s->wlen + len > WRITE_BUF && (err = stream_flush(s)) < 0)
		return to_git(err);
	if (len >= WRITE_BUF)
		return (err = channel_write_all(s, buf, len)) < 0 ? to_git(err) : 0;
	memcpy(s->wbuf + s->wlen, buf, len);
	s->wlen += len;
	return 0;
}

static void stream_free(git_smart_subtransport_stream *s_)
{
	ssh_stream *s = (ssh_stream *)s_;
	if (!s)
		return;
	if (s->ch) {
		long long last = now_ms();
		stream_flush(s);
		while (libssh2_channel_close(s->ch) == LIBSSH2_ERROR_EAGAIN && wait_io(s->x, &last, "closing") == 0)
			;
		libssh2_channel_free(s->ch);
	}
	free(s);
}

/* 'PATH' for a POSIX shell: ' becomes '\'' (CVE-2026-5917 in libgit2 1.5.1). */
static int quote_command(char *out, size_t cap, const char *cmd, const char *path)
{
	size_t n = (size_t)snprintf(out, cap, "%s '", cmd);
	for (const char *p = path; *p; p++) {
		if (n + 5 >= cap)
			return -1;
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *p;
		}
	}
	if (n + 2 >= cap)
		return -1;
	out[n++] = '\'';
	out[n] = '\0';
	return 0;
}

/* A channel on URL's (cached) session running GIT_CMD on its path. */
static int channel_open(ssh_stream **out, const char *url, const char *git_cmd, git_smart_subtransport *owner)
{
	transport_url u;
	session *x = NULL;
	ssh_stream *s = NULL;
	char cmd[2200];
	int err, rc;
	*out = NULL;
	if ((err = transport_parse_url(url, &u)) < 0)
		return err;
	if (quote_command(cmd, sizeof(cmd), git_cmd, u.path) < 0)
		return fail(C2C_EINVALID, "path too long");
	if ((err = session_get(&u, &x)) < 0)
		return err;
	if (!(s = calloc(1, sizeof(*s))))
		return fail(C2C_ENOMEM, "out of memory");
	s->x = x;
	s->parent.subtransport = owner;
	s->parent.read = stream_read;
	s->parent.write = stream_write;
	s->parent.free = stream_free;
	long long last = now_ms();
	while (!(s->ch = libssh2_channel_open_session(x->s)) &&
	       libssh2_session_last_errno(x->s) == LIBSSH2_ERROR_EAGAIN)
		if ((err = wait_io(x, &last, "opening a channel")) < 0)
			goto fail_;
	if (!s->ch) {
		err = ssh_error(x, "opening a channel");
		goto fail_;
	}
	while ((rc = libssh2_channel_exec(s->ch, cmd)) == LIBSSH2_ERROR_EAGAIN)
		if ((err = wait_io(x, &last, "starting git on the server")) < 0)
			goto fail_;
	if (rc) {
		err = ssh_error(x, "starting git on the server");
		goto fail_;
	}
	*out = s;
	return 0;
fail_:
	stream_free(&s->parent);
	return err;
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *t_, const char *url,
                      git_smart_service_t action)
{
	ssh_sub *t = (ssh_sub *)t_;
	ssh_stream *s = NULL;
	int err;
	*out = NULL;
	if ((action == GIT_SERVICE_UPLOADPACK || action == GIT_SERVICE_RECEIVEPACK) && t->current) {
		*out = &t->current->parent;
		return 0;
	}
	const char *git_cmd = action == GIT_SERVICE_UPLOADPACK_LS || action == GIT_SERVICE_UPLOADPACK
	                          ? "git-upload-pack"
	                          : "git-receive-pack";
	if ((err = channel_open(&s, url, git_cmd, t_)) < 0)
		return to_git(err);
	t->current = s;
	*out = &s->parent;
	return 0;
}

/* ---------------------------------------------------- a local channel */

/* The channel API for c2c's own protocol work (push.c): over ssh, a channel
 * on the sync's session (its timeouts, counters and messages, as for
 * libgit2's streams); for a path on this machine, stock git's command run
 * as a child process, so that a hub by path applies its rules (quarantine,
 * receive.fsckObjects, the update and pre-receive hooks) exactly as over
 * ssh, by git's own code. */
struct transport_channel {
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
			return fail(C2C_EIO, "waiting for git: %s", strerror(errno));
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
		return fail(C2C_EFAIL, "git ended %s (exit %d)%s%s", while_, WEXITSTATUS(status), line[0] ? ": " : "",
		            line);
	return fail(C2C_EFAIL, "git ended %s%s%s", while_, line[0] ? ": " : "", line);
}

static int local_open(transport_channel *c, const char *path, const char *git_cmd, const char *node_id)
{
	extern char **environ;
	char **envp = NULL, *hub_node = NULL, *dot = NULL;
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
	if (!(envp = calloc(ne + 2, sizeof(*envp)))) {
		err = fail(C2C_ENOMEM, "out of memory");
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
			err = fail(C2C_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(hub_node, l, "C2C_HUB_NODE=%s", node_id);
		envp[k++] = hub_node;
	}
	/* A path that starts with '-' is not an option of git's. */
	if (path[0] == '-') {
		if (!(dot = malloc(strlen(path) + 3))) {
			err = fail(C2C_ENOMEM, "out of memory");
			goto done;
		}
		sprintf(dot, "./%s", path);
		argv[2] = dot;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe(ep) < 0 ||
	    fcntl(ep[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(ep[1], F_SETFD, FD_CLOEXEC) < 0) {
		err = fail(C2C_EIO, "making pipes for git: %s", strerror(errno));
		goto done;
	}
	fflush(NULL); /* nothing buffered is written twice */
	c->pid = fork();
	if (c->pid < 0) {
		err = fail(C2C_EIO, "starting git: %s", strerror(errno));
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
		err = fail(C2C_EIO, "setting up pipes for git: %s", strerror(errno));
done:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free(envp);
	free(hub_node);
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
			return fail(C2C_EIO, "reading from git: %s", strerror(errno));
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
			return fail(C2C_EIO, "writing to git: %s", strerror(errno));
		if ((err = local_wait(c, POLLOUT)) < 0)
			return err;
	}
	return 0;
}

int transport_channel_open(transport_channel **out, const char *url, const char *git_cmd, const char *node_id)
{
	transport_channel *c = calloc(1, sizeof(*c));
	int err;
	*out = NULL;
	if (!c)
		return fail(C2C_ENOMEM, "out of memory");
	c->pid = -1;
	c->sock = c->errfd = -1;
	if (!strncmp(url, "ssh://", 6))
		err = channel_open(&c->ssh, url, git_cmd, NULL);
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
	return c->ssh ? chan_read(c->ssh, buf, cap, n) : local_read(c, buf, cap, n);
}

int transport_channel_write(transport_channel *c, const void *buf, size_t len)
{
	if (!c->ssh)
		return local_write(c, buf, len);
	return channel_write_all(c->ssh, buf, len);
}

size_t transport_channel_stderr(transport_channel *c, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t k;
	if (!c->ssh) {
		local_drain(c);
		n = cap ? (c->errlen < cap - 1 ? c->errlen : cap - 1) : 0;
		memcpy(buf, c->err, n);
	} else {
		while (cap > 1 && n < cap - 1 && (k = libssh2_channel_read_stderr(c->ssh->ch, buf + n, cap - 1 - n)) > 0)
			n += (size_t)k;
	}
	if (cap)
		buf[n] = '\0';
	return n;
}

void transport_channel_close(transport_channel *c)
{
	if (!c)
		return;
	if (c->ssh)
		stream_free(&c->ssh->parent);
	/* Closing its stdin first: a child still reading ends at once. */
	if (c->sock >= 0)
		close(c->sock);
	if (c->errfd >= 0)
		close(c->errfd);
	while (c->pid > 0 && waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(c);
}

static int sub_close(git_smart_subtransport *t_)
{
	ssh_sub *t = (ssh_sub *)t_;
	t->current = NULL; /* the smart transport frees the stream */
	return 0;
}

static void sub_free(git_smart_subtransport *t_) { free(t_); }

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	ssh_sub *t = calloc(1, sizeof(*t));
	(void)param;
	if (!t)
		return -1;
	t->owner = owner;
	t->parent.action = sub_action;
	t->parent.close = sub_close;
	t->parent.free = sub_free;
	*out = &t->parent;
	return 0;
}

static git_smart_subtransport_definition definition = {sub_new, 0, NULL};

static int transport_cb(git_transport **out, git_remote *owner, void *param)
{
	(void)param;
	return git_transport_smart(out, owner, &definition);
}

int transport_register(void)
{
	static int done;
	if (done)
		return 0;
	if (libssh2_init(0))
		return err_set(C2C_EFAIL, "libssh2 failed to start");
	int rc = git_transport_register("ssh", transport_cb, NULL);
	if (rc < 0)
		return err_git(rc, "registering the ssh:// transport");
	done = 1;
	return 0;
}
