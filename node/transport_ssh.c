/* transport_ssh: the ssh session of a transport, on libssh2: connect with
 * a timeout, check the host key, log in, and the channels that run git on
 * the server (include/c2c/transport_ssh.h; transport.h says why). */
#include "c2c/transport_ssh.h"

#include <errno.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "c2c/err.h"

#define MAX_AUTH_TRIES 5

/* ----------------------------------------------------------- the session */

struct session {
	transport *t; /* whose: names and step for messages, settings */
	char key[512]; /* user@host:port */
	int sock;
	LIBSSH2_SESSION *s;
	long long idle_ms, keepalive_s;
	int ready; /* logged in: keepalives may be sent (never during key exchange) */
};

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

void transport_ssh_close(transport *t)
{
	session_free(t->cached);
	t->cached = NULL;
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
		return transport_fail(x->t, C2C_ETIMEOUT,
		                      "no answer from the server for %lld s while %s; the link is down or the server is stuck",
		                      x->idle_ms / 1000, what);
	int next = 0;
	if (x->ready && x->keepalive_s > 0)
		libssh2_keepalive_send(x->s, &next);
	long long wait = left;
	if (next > 0 && next * 1000LL < wait)
		wait = next * 1000LL;
	int rc = poll(&p, 1, (int)(wait > 1000 ? 1000 : wait));
	if (rc < 0 && errno != EINTR)
		return transport_fail(x->t, C2C_EIO, "waiting for the server: %s", strerror(errno));
	if (rc > 0 && (p.revents & (POLLERR | POLLHUP)) && !(p.revents & POLLIN))
		return transport_fail(x->t, C2C_EIO, "the connection was closed while %s", what);
	return 0;
}

static int ssh_error(session *x, const char *what)
{
	char *m = NULL;
	int rc = libssh2_session_last_error(x->s, &m, NULL, 0);
	return transport_fail(x->t, rc == LIBSSH2_ERROR_TIMEOUT ? C2C_ETIMEOUT : C2C_EIO, "%s: %s", what, m && *m ? m : "ssh error");
}

static int tcp_connect(session *x, const transport_url *u)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	char port[16];
	int fd = -1, err = 0;
	long long timeout = x->t->set.connect_timeout_s * 1000LL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", u->port);
	int rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc)
		return transport_fail(x->t, C2C_EIO, "cannot resolve %s: %s", u->host, gai_strerror(rc));
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
			err = rc == 0 ? transport_fail(x->t, C2C_ETIMEOUT, "connecting to %s:%d: no answer in %lld s", u->host, u->port,
			                     timeout / 1000)
			              : transport_fail(x->t, C2C_EIO, "connecting to %s:%d: %s", u->host, u->port, strerror(so ? so : errno));
		} else {
			err = transport_fail(x->t, C2C_EIO, "connecting to %s:%d: %s", u->host, u->port, strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err ? err : transport_fail(x->t, C2C_EIO, "connecting to %s:%d failed", u->host, u->port);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	x->sock = fd;
	return 0;
}

static int fingerprint(session *x, char *out, size_t cap)
{
	const unsigned char *h = (const unsigned char *)libssh2_hostkey_hash(x->s, LIBSSH2_HOSTKEY_HASH_SHA256);
	unsigned char b64[64];
	if (!h)
		return transport_fail(x->t, C2C_EIO, "the server sent no host key");
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
	if ((err = transport_register()) < 0) /* once per process */
		return err;
	if (!(x->s = libssh2_session_init()))
		return transport_fail(x->t, C2C_ENOMEM, "starting an SSH session");
	libssh2_session_set_blocking(x->s, 0);
	if (x->t->set.compress)
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
	transport *t = x->t;
	int err = fingerprint(x, t->seen, sizeof(t->seen));
	if (err < 0)
		return err;
	if (!t->has_trusted) {
		err_set(C2C_EAUTH, "%s: the host key of %s:%d is not known: %s", t->name, u->host, u->port, t->seen);
		return err_hint("if that is the server's key (ask its admin: ssh-keygen -lf its host key), run: "
		                "c2c remote trust %s %s",
		                t->name, t->seen);
	}
	if (strcmp(t->trusted, t->seen)) {
		err_set(C2C_EAUTH,
		        "%s: THE HOST KEY OF %s:%d HAS CHANGED: it is %s, but this node trusts %s. Somebody may be "
		        "intercepting the connection; nothing was sent",
		        t->name, u->host, u->port, t->seen, t->trusted);
		return err_hint("if the server's key really changed, check the new one with its admin, then run: "
		                "c2c remote trust %s %s",
		                t->name, t->seen);
	}
	return 0;
}

static int authenticate(session *x, const transport_url *u)
{
	char priv[4200], pub[4200];
	long long last = now_ms();
	int rc, err, tries = 0;
	transport *t = x->t;
	snprintf(priv, sizeof(priv), "%s/keys/id_ed25519", t->dir);
	snprintf(pub, sizeof(pub), "%s/keys/id_ed25519.pub", t->dir);
	transport_step(t, "login");
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
	err_set(C2C_EAUTH, "%s: login: %s@%s:%d refused this node's key (%d tr%s)", t->name, u->user, u->host, u->port,
	        tries, tries == 1 ? "y" : "ies");
	return err_hint("the hub's admin must allow it: c2c hub allow HUB-PATH NODE-ID %s", pub);
}

static int session_get(transport *t, const transport_url *u, session **out)
{
	char key[512];
	int err;
	snprintf(key, sizeof(key), "%s@%s:%d", u->user, u->host, u->port);
	if (t->cached && !strcmp(t->cached->key, key)) {
		*out = t->cached;
		return 0;
	}
	transport_ssh_close(t);
	session *x = calloc(1, sizeof(*x));
	if (!x)
		return ERR_OOM();
	x->t = t;
	x->sock = -1;
	snprintf(x->key, sizeof(x->key), "%s", key);
	x->idle_ms = t->set.idle_timeout_s * 1000LL;
	x->keepalive_s = t->set.keepalive_s;
	char step[64];
	snprintf(step, sizeof(step), "%s", t->step);
	transport_step(t, "connect");
	if ((err = tcp_connect(x, u)) < 0 || (err = handshake(x, u)) < 0 || (err = check_host(x, u)) < 0 ||
	    (err = authenticate(x, u)) < 0) {
		session_free(x);
		return err;
	}
	transport_step(t, step);
	x->ready = 1;
	t->cached = x;
	*out = x;
	return 0;
}

int transport_ssh_probe(transport *t, const transport_url *u, char **fp)
{
	session *x = calloc(1, sizeof(*x));
	int err;
	*fp = NULL;
	if (!x)
		return ERR_OOM();
	x->t = t;
	x->sock = -1;
	x->idle_ms = t->set.idle_timeout_s * 1000LL;
	transport_step(t, "connect");
	if ((err = tcp_connect(x, u)) == 0 && (err = handshake(x, u)) == 0 &&
	    (err = fingerprint(x, t->seen, sizeof(t->seen))) == 0 && !(*fp = strdup(t->seen)))
		err = ERR_OOM();
	session_free(x);
	return err;
}

/* --------------------------------------------------------------- streams */

/* libgit2 writes in small pieces (a pkt-line, a few KB of pack); each
 * would go out as its own SSH packet. Writes are gathered here and sent
 * before the next read, or when the buffer fills. */
#define WRITE_BUF (32 * 1024)

struct ssh_stream {
	git_smart_subtransport_stream parent;
	session *x;
	LIBSSH2_CHANNEL *ch;
	int sent_eof;
	char wbuf[WRITE_BUF];
	size_t wlen;
};

int ssh_stream_write_all(ssh_stream *s, const char *buf, size_t len)
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
	int err = s->wlen ? ssh_stream_write_all(s, s->wbuf, s->wlen) : 0;
	s->wlen = 0;
	return err;
}

int ssh_stream_read(ssh_stream *s, char *buf, size_t cap, size_t *n)
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
			return transport_fail(s->x->t, C2C_EFAIL, "the server ended the connection: %s", e);
		}
	}
	*n = (size_t)rc;
	return 0;
}

static int stream_read(git_smart_subtransport_stream *s_, char *buf, size_t cap, size_t *n)
{
	int err = ssh_stream_read((ssh_stream *)s_, buf, cap, n);
	return err < 0 ? transport_to_git(err) : 0;
}

static int stream_write(git_smart_subtransport_stream *s_, const char *buf, size_t len)
{
	ssh_stream *s = (ssh_stream *)s_;
	int err;
	if (s->wlen + len > WRITE_BUF && (err = stream_flush(s)) < 0)
		return transport_to_git(err);
	if (len >= WRITE_BUF)
		return (err = ssh_stream_write_all(s, buf, len)) < 0 ? transport_to_git(err) : 0;
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

/* "CMD 'PATH'" (then " ARG"), in a new string, PATH quoted for a POSIX
 * shell: ' becomes '\'' (CVE-2026-5917 in libgit2 1.5.1). */
static char *quote_command(const char *cmd, const char *path, const char *arg)
{
	size_t cap = strlen(cmd) + 4 * strlen(path) + (arg ? strlen(arg) + 1 : 0) + 4, n;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	n = (size_t)snprintf(out, cap, "%s '", cmd);
	for (const char *p = path; *p; p++) {
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *p;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
	if (arg)
		snprintf(out + n, cap - n, " %s", arg);
	return out;
}

int ssh_stream_open(ssh_stream **out, transport *t, const char *url, const char *git_cmd, const char *arg,
                    git_smart_subtransport *owner)
{
	transport_url u;
	session *x = NULL;
	ssh_stream *s = NULL;
	char *cmd = NULL;
	int err, rc;
	*out = NULL;
	if ((err = transport_parse_url(url, &u)) < 0)
		return err;
	if (!(cmd = quote_command(git_cmd, u.path, arg)))
		return ERR_OOM();
	if ((err = session_get(t, &u, &x)) < 0 || !(s = calloc(1, sizeof(*s)))) {
		free(cmd);
		return err < 0 ? err : ERR_OOM();
	}
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
	free(cmd);
	*out = s;
	return 0;
fail_:
	free(cmd);
	stream_free(&s->parent);
	return err;
}


git_smart_subtransport_stream *ssh_stream_git(ssh_stream *s) { return &s->parent; }

void ssh_stream_free(ssh_stream *s)
{
	if (s)
		stream_free(&s->parent);
}

int ssh_stream_send_eof(ssh_stream *s)
{
	long long last = now_ms();
	int rc, err;
	if ((err = stream_flush(s)) < 0)
		return err;
	while ((rc = libssh2_channel_send_eof(s->ch)) == LIBSSH2_ERROR_EAGAIN)
		if ((err = wait_io(s->x, &last, "ending the request")) < 0)
			return err;
	return rc < 0 ? ssh_error(s->x, "ending the request") : 0;
}

size_t ssh_stream_stderr(ssh_stream *s, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t k;
	while (cap > 1 && n < cap - 1 && (k = libssh2_channel_read_stderr(s->ch, buf + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	if (cap)
		buf[n] = '\0';
	return n;
}
