/* transport_ssh: the ssh session of a transport (node/transport_ssh.c),
 * shared by the files of the transport only (transport.c, its libgit2
 * subtransport; transport_channel.c, c2c's own channels). Everyone else
 * uses transport.h. */
#ifndef C2C_TRANSPORT_SSH_H
#define C2C_TRANSPORT_SSH_H

#include <git2.h>
#include <git2/sys/transport.h>
#include <stddef.h>

#include "c2c/sync_settings.h"
#include "c2c/transport.h"

typedef struct session session;
typedef struct ssh_stream ssh_stream;

/* One sync's connections (transport.h): what they are for, the step in
 * progress, the host key seen, and the session kept open. */
struct transport {
	char name[128];
	char dir[4096];
	char trusted[128];
	int has_trusted;
	char step[64];
	char seen[128];
	sync_settings set;
	session *cached;
	git_smart_subtransport_definition def; /* param: this transport */
};

/* An error naming the remote and the step (T NULL: "remote"). Returns
 * CODE. */
int transport_fail(transport *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* libgit2 only sees -1 from a subtransport: keep our message for the top. */
int transport_to_git(int code);

/* Close T's session, if any. */
void transport_ssh_close(transport *t);
/* Connect, exchange keys and return the host key's fingerprint only. */
int transport_ssh_probe(transport *t, const transport_url *u, char **fp);

/* A channel on T's session (opened and logged in if needed) running
 * GIT_CMD on URL's path (then ARG, unquoted, when not NULL), as a libgit2
 * stream of OWNER (NULL for c2c's own channels). */
int ssh_stream_open(ssh_stream **out, transport *t, const char *url, const char *git_cmd, const char *arg,
                    git_smart_subtransport *owner);
git_smart_subtransport_stream *ssh_stream_git(ssh_stream *s);
int ssh_stream_read(ssh_stream *s, char *buf, size_t cap, size_t *n);
int ssh_stream_write_all(ssh_stream *s, const char *buf, size_t len);
/* What the server wrote on stderr, up to CAP - 1 bytes; BUF NUL-terminated. */
size_t ssh_stream_stderr(ssh_stream *s, char *buf, size_t cap);
/* Nothing more is sent on the channel (its EOF; no wait for the answer). */
int ssh_stream_send_eof(ssh_stream *s);
void ssh_stream_free(ssh_stream *s);

#endif
