/* transport: the ssh:// transport of libgit2, on libssh2, our own
 * (include/c2c/transport.h): the transport object of one sync, URLs, and
 * the smart subtransport libgit2 fetches through. The session itself is
 * transport_ssh.c's, the channel API transport_channel.c's. */
#include "c2c/transport.h"

#include <libssh2.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/transport_ssh.h"

/* ---------------------------------------------------- the transport object */

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param);

int transport_new(transport **out, const char *name, const char *node_dir, const char *trusted_fp,
                  const sync_settings *settings)
{
	transport *t = calloc(1, sizeof(*t));
	*out = NULL;
	CHECK_ALLOC(t);
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "remote");
	snprintf(t->dir, sizeof(t->dir), "%s", node_dir ? node_dir : ".");
	t->has_trusted = trusted_fp != NULL;
	snprintf(t->trusted, sizeof(t->trusted), "%s", trusted_fp ? trusted_fp : "");
	snprintf(t->step, sizeof(t->step), "connect");
	if (settings)
		t->set = *settings;
	else
		sync_settings_load(&t->set);
	t->def.callback = sub_new;
	t->def.rpc = 0;
	t->def.param = t;
	*out = t;
	return 0;
}

void transport_free(transport *t)
{
	if (!t)
		return;
	transport_ssh_close(t);
	free(t);
}

void transport_step(transport *t, const char *step)
{
	if (t)
		snprintf(t->step, sizeof(t->step), "%s", step);
}

int transport_fail(transport *t, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(code, "%s: %s: %s", t ? t->name : "remote", t ? t->step : "connect", msg);
}

int transport_to_git(int code)
{
	git_error_set_str(GIT_ERROR_SSH, err_msg());
	return code == C2C_EAUTH ? GIT_EAUTH : code == C2C_ECONFLICT ? GIT_ECERTIFICATE : -1;
}

int transport_probe(transport *t, const char *url, char **fp)
{
	transport_url u;
	int err;
	*fp = NULL;
	transport_step(t, "connect");
	if ((err = transport_parse_url(url, &u)) < 0)
		return err;
	return transport_ssh_probe(t, &u, fp);
}

/* ------------------------------------------------------------------ URLs */

int transport_parse_url(const char *url, transport_url *u)
{
	memset(u, 0, sizeof(*u));
	u->port = 22;
	if (strncmp(url, "ssh://", 6))
		return err_set(C2C_EINVALID, "%s: not an ssh:// URL", url);
	const char *p = url + 6, *slash = strchr(p, '/'), *at = NULL, *hend, *after;
	if (!slash || slash == p)
		return err_set(C2C_EINVALID, "%s: an ssh URL is ssh://[user@]host[:port]/path", url);
	/* The user name runs to the last '@' before the path, as OpenSSH reads
	 * an ssh:// URL: "a@b@host" is user "a@b" on host "host". */
	for (const char *q = p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at) {
		if ((size_t)(at - p) >= sizeof(u->user))
			return err_set(C2C_EINVALID, "%s: user name too long", url);
		memcpy(u->user, p, (size_t)(at - p));
		p = at + 1;
	}
	if (*p == '[') {
		/* An IPv6 address, [::1]: its colons are no port. */
		const char *close = memchr(p, ']', (size_t)(slash - p));
		if (!close)
			return err_set(C2C_EINVALID, "%s: an IPv6 address is written in [] and its ']' is missing", url);
		after = close + 1;
		if (after != slash && *after != ':')
			return err_set(C2C_EINVALID, "%s: after the address in [], a port (:PORT) or the path", url);
		p++;
		hend = close;
	} else {
		const char *colon = memchr(p, ':', (size_t)(slash - p));
		hend = after = colon ? colon : slash;
	}
	if (hend == p)
		return err_set(C2C_EINVALID, "%s: no host", url);
	if ((size_t)(hend - p) >= sizeof(u->host))
		return err_set(C2C_EINVALID, "%s: host name too long (over %zu bytes)", url, sizeof(u->host) - 1);
	memcpy(u->host, p, (size_t)(hend - p));
	if (*after == ':') {
		char *end;
		long port = strtol(after + 1, &end, 10);
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

/* ---------------------------------------------- libgit2's subtransport */

typedef struct {
	git_smart_subtransport parent;
	git_transport *owner;
	transport *t;
	ssh_stream *current;
} ssh_sub;

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *t_, const char *url,
                      git_smart_service_t action)
{
	ssh_sub *t = (ssh_sub *)t_;
	ssh_stream *s = NULL;
	int err;
	*out = NULL;
	if ((action == GIT_SERVICE_UPLOADPACK || action == GIT_SERVICE_RECEIVEPACK) && t->current) {
		*out = ssh_stream_git(t->current);
		return 0;
	}
	const char *git_cmd = action == GIT_SERVICE_UPLOADPACK_LS || action == GIT_SERVICE_UPLOADPACK
	                          ? "git-upload-pack"
	                          : "git-receive-pack";
	if ((err = ssh_stream_open(&s, t->t, url, git_cmd, t_)) < 0)
		return transport_to_git(err);
	t->current = s;
	*out = ssh_stream_git(s);
	return 0;
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
	if (!t)
		return -1;
	t->owner = owner;
	t->t = param;
	t->parent.action = sub_action;
	t->parent.close = sub_close;
	t->parent.free = sub_free;
	*out = &t->parent;
	return 0;
}

int transport_git(git_transport **out, git_remote *owner, transport *t)
{
	return git_transport_smart(out, owner, &t->def);
}

int transport_register(void)
{
	static int done;
	if (done)
		return 0;
	if (libssh2_init(0))
		return err_set(C2C_EFAIL, "libssh2 failed to start");
	done = 1;
	return 0;
}
