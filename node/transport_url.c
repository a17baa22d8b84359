/* transport_url: a remote's ssh:// URL parsed, and the errors of the
 * transport, which name the remote and the step it was at
 * (include/c2c/transport.h). Below the session (transport_ssh.c) and the
 * transport object (transport.c). */
#include "c2c/transport.h"

#include <git2.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/transport_ssh.h"

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
