/* transport: the ssh:// transport of libgit2, on libssh2, our own.
 *
 * Why not libgit2's: 1.5 has no connect or idle timeout and no keepalive,
 * hangs forever on a half-open link, checks only ~/.ssh/known_hosts and
 * loops on failed credentials (PITFALLS.md). This one:
 *   - connects with a timeout, and treats silence longer than the idle
 *     timeout as a dead link (non-blocking I/O and poll, keepalives sent
 *     while waiting);
 *   - checks the host key's SHA-256 fingerprint against the one the node
 *     trusts for that remote, refusing an unknown key (printing it and the
 *     command that trusts it) and a changed key;
 *   - logs in with the node's ed25519 key, else the ssh-agent's keys, a
 *     bounded number of attempts;
 *   - keeps one SSH session per remote open across the fetch and the push of
 *     one sync (a channel each), and offers zlib compression;
 *   - quotes the remote path in the git-upload-pack/receive-pack command;
 *   - names the remote and the step in every error.
 *
 * The channel API below (transport_channel_*) serves c2c's own push both
 * over ssh and to a hub by path, where it runs stock git receive-pack as a
 * child process: one code path, the hub's checks either way.
 *
 * Settings: sync_settings.h (C2C_SSH_CONNECT_TIMEOUT, C2C_SSH_IDLE_TIMEOUT,
 * C2C_SSH_KEEPALIVE, C2C_SSH_COMPRESS), read once by the caller.
 *
 * No state at file level: what one sync connects to, and its open session,
 * are held in a transport object the caller makes and frees.
 * transport.c holds that object and the libgit2 subtransport,
 * transport_ssh.c the ssh session (connect, host key, login, channels),
 * transport_channel.c the channel API below and its child process. */
#ifndef C2C_TRANSPORT_H
#define C2C_TRANSPORT_H

#include <git2.h>
#include <stddef.h>

#include "c2c/sync_settings.h"

/* Start libssh2 (once per process; an ssh session's handshake does). */
int transport_register(void);

/* What the connections of one sync are for: the remote's NAME (for
 * messages), the node directory (keys/), the trusted host key fingerprint
 * ("SHA256:...", NULL if none) and the SETTINGS (copied). The object keeps
 * one ssh session open across the fetch and the push; transport_free
 * closes it (end of a sync). C2C_ENOMEM. */
typedef struct transport transport;
int transport_new(transport **out, const char *name, const char *node_dir, const char *trusted_fp,
                  const sync_settings *settings);
void transport_free(transport *t);
/* The step in progress, for messages ("fetch", "push"). */
void transport_step(transport *t, const char *step);

/* libgit2's transport for a fetch of an ssh:// URL through T: set
 * callbacks.transport to transport_git and callbacks.payload to T (for a
 * remote whose other callbacks need a payload of their own, call it from
 * a git_transport_cb that has T). */
int transport_git(git_transport **out, git_remote *owner, transport *t);

/* Connect to URL's host and complete the key exchange only, to learn its
 * host key fingerprint (for `remote trust`). *fp malloc'd. */
int transport_probe(transport *t, const char *url, char **fp);

/* A channel running GIT_CMD ("git-receive-pack") on URL's repository, for
 * c2c's own protocol work (push.h). For an ssh:// URL, a channel on the
 * sync's session; for a path on this machine, stock `git receive-pack
 * PATH` run as a child process with C2C_HUB_NODE=NODE_ID in its
 * environment (as 'c2c hub serve' sets it over ssh, so that a hub's update
 * hook applies the same ref rule) and without the variables that would
 * point it at another repository (GIT_DIR...): git's own quarantine,
 * receive.fsckObjects and the hub's hooks run as over ssh. Read returns 0
 * with *n == 0 at the end of the server's output; errors name the remote
 * and the step, as for libgit2's streams. transport_channel_stderr gives
 * what the server wrote on stderr (hooks' messages) in BUF. Close reaps the
 * child. SIGPIPE is never raised (the child's stdin is a socket, written
 * with MSG_NOSIGNAL): a child that is gone is an error. T gives the
 * session over ssh (required there) and the names in messages (NULL:
 * "remote"). */
typedef struct transport_channel transport_channel;
int transport_channel_open(transport_channel **out, transport *t, const char *url, const char *git_cmd,
                           const char *node_id);
/* The same with ARG after the path on the command line (over ssh only:
 * C2C_EINVALID for a path). */
int transport_channel_open_arg(transport_channel **out, transport *t, const char *url, const char *git_cmd,
                               const char *arg, const char *node_id);
/* A channel on this process's own IN_FD and OUT_FD (left open by close):
 * the hub's side of c2c's sync exchange (exchange.h), whose other ends
 * sshd holds. Blocking, without timeouts: sshd's own end the session. */
int transport_channel_fds(transport_channel **out, int in_fd, int out_fd);
int transport_channel_read(transport_channel *c, char *buf, size_t cap, size_t *n);
int transport_channel_write(transport_channel *c, const void *buf, size_t len);
size_t transport_channel_stderr(transport_channel *c, char *buf, size_t cap);
/* Nothing more is sent: a child process's stdin ends (a pack cut short
 * is then git's error, not a wait); over ssh, the channel's EOF, sent
 * without waiting (the server's close then follows its last answer). */
int transport_channel_end_input(transport_channel *c);
void transport_channel_close(transport_channel *c);

/* Split ssh://[user@]host[:port]/path. The user runs to the last '@'
 * before the path (as OpenSSH reads it); an IPv6 host is written in []
 * (ssh://[::1]:2222/p gives host "::1"); without a user, $USER's (else the
 * account's). Returns 0 or C2C_EINVALID naming the URL and the fault (no
 * host, a host or user name over its buffer, a bad port, a long path). */
typedef struct {
	char user[128], host[256], path[1024];
	int port;
} transport_url;
int transport_parse_url(const char *url, transport_url *out);

#endif
