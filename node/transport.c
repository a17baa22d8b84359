/* transport: the ssh:// transport of libgit2, on libssh2, our own
 * (include/c2c/transport.h): the transport object of one sync and the
 * smart subtransport libgit2 fetches through. The session itself is
 * transport_ssh.c's, the channel API transport_channel.c's, URLs and the
 * errors that name the remote transport_url.c's. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "c2c/transport.h"

#include <dlfcn.h>
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
	if ((err = ssh_stream_open(&s, t->t, url, git_cmd, NULL, t_)) < 0)
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

/* git_libgit2_init starts libssh2 for libgit2's own ssh transport, and
 * libssh2_init starts OpenSSL's engines: 5 % of a short command's time
 * (c2c merge-tree, status), for a transport c2c never uses (its
 * syncs run their own sessions, above). This function takes the place of
 * libssh2's for the whole process, as repo.c's does for mbedTLS's CA
 * bundle (and in the same two ways: the linker's --wrap, or a definition
 * in the executable): until transport_register asks for libssh2 (the
 * first ssh session's handshake), a call (libgit2's) is answered with
 * success and starts nothing; from then on every call, libssh2's own
 * included, is libssh2's. A sync by path never starts it. libssh2_exit
 * without a start does nothing. */
static int ssh_wanted;

#ifdef C2C_STATIC_LIBS
int __real_libssh2_init(int flags);
int __wrap_libssh2_init(int flags);
int __wrap_libssh2_init(int flags) { return ssh_wanted ? __real_libssh2_init(flags) : 0; }
#else
int libssh2_init(int flags)
{
	static int (*real)(int);
	if (!ssh_wanted)
		return 0;
	/* POSIX: a function pointer converts to and from void * (dlsym). */
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "libssh2_init");
	return real ? real(flags) : -1;
}
#endif

int transport_register(void)
{
	static int done;
	if (done)
		return 0;
	ssh_wanted = 1;
	if (libssh2_init(0))
		return err_set(C2C_EFAIL, "libssh2 failed to start");
	done = 1;
	return 0;
}
