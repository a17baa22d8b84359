/* Unit tests of the parsing of a remote's ssh:// URL (transport_parse_url,
 * include/c2c/transport.h): ssh://[user@]host[:port]/path, the path kept
 * whole (the hub's, absolute), user and port defaulted, a user name with
 * an '@', an IPv6 address in [], and each bad URL refused with
 * C2C_EINVALID and a message naming the URL and the fault. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* ENGINE_get_first: what libssh2_init starts */
#include <openssl/engine.h>

#include "c2c/err.h"
#include "c2c/repo.h"
#include "c2c/transport.h"

#include "unit.h"

/* libgit2's initialisation no longer starts libssh2, and with it OpenSSL's
 * engines (transport.c): a short command pays for neither. A sync's
 * transport_register starts it for real. */
static void t_ssh_started_late(void **state)
{
	(void)state;
	assert_int_equal(repo_global_init(), 0);
	ENGINE *e = ENGINE_get_first();
	if (e) {
		ENGINE_free(e);
		fail_msg("git_libgit2_init started libssh2 (OpenSSL's engines are loaded)");
	}
	assert_int_equal(transport_register(), 0);
	e = ENGINE_get_first();
	if (!e)
		fail_msg("transport_register did not start libssh2 (no OpenSSL engine loaded)");
	ENGINE_free(e);
}

static void parses(const char *url, const char *user, const char *host, int port, const char *path)
{
	transport_url u;
	memset(&u, 'x', sizeof(u));
	if (transport_parse_url(url, &u) != 0)
		fail_msg("%s refused: %s", url, err_msg());
	assert_string_equal(u.user, user);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.path, path);
}

static void refused(const char *url, const char *why)
{
	transport_url u;
	assert_int_equal(transport_parse_url(url, &u), C2C_EINVALID);
	if (!strstr(err_msg(), why) || !strstr(err_msg(), url))
		fail_msg("%s: the message does not name the URL and '%s': %s", url, why, err_msg());
}

static void t_good(void **state)
{
	(void)state;
	parses("ssh://root@127.0.0.1:2222/tmp/c2c-test.x/hub.git", "root", "127.0.0.1", 2222, "/tmp/c2c-test.x/hub.git");
	parses("ssh://c2c@hub.mc2cm.example/srv/c2c/hub.git", "c2c", "hub.mc2cm.example", 22, "/srv/c2c/hub.git");
	parses("ssh://c2c@hub.example:22/x", "c2c", "hub.example", 22, "/x");
	parses("ssh://u@h:65535/", "u", "h", 65535, "/");
	parses("ssh://u@h:1/p", "u", "h", 1, "/p");
	/* The path is taken as it is: an '@' or a ':' in it is no user or port. */
	parses("ssh://u@h/srv/a@b:c/hub.git", "u", "h", 22, "/srv/a@b:c/hub.git");
	parses("ssh://h/srv/a@b/hub.git", getenv("USER") && *getenv("USER") ? getenv("USER") : "root", "h", 22,
	       "/srv/a@b/hub.git");
	/* Sizes up to the buffers'. */
	char url[2048], user[128], host[256], path[1024];
	memset(user, 'u', 127);
	user[127] = '\0';
	memset(host, 'h', 255);
	host[255] = '\0';
	path[0] = '/';
	memset(path + 1, 'p', 1022);
	path[1023] = '\0';
	snprintf(url, sizeof(url), "ssh://%s@%s:2022%s", user, host, path);
	parses(url, user, host, 2022, path);
}

/* A user name with an '@' in it: the user runs to the last '@' before the
 * path, as OpenSSH reads the URL. */
static void t_at_in_user(void **state)
{
	(void)state;
	parses("ssh://user@a@host/p", "user@a", "host", 22, "/p");
	parses("ssh://user@a@host:2222/srv/x@y/hub.git", "user@a", "host", 2222, "/srv/x@y/hub.git");
	refused("ssh://user@a@/p", "no host");
	refused("ssh://user@a@:22/p", "no host");
}

/* An IPv6 address in []: its colons are no port; the brackets are not part
 * of the host (getaddrinfo takes it bare). */
static void t_ipv6(void **state)
{
	(void)state;
	const char *me = getenv("USER") && *getenv("USER") ? getenv("USER") : "root";
	parses("ssh://u@[::1]/hub.git", "u", "::1", 22, "/hub.git");
	parses("ssh://u@[::1]:2222/hub.git", "u", "::1", 2222, "/hub.git");
	parses("ssh://[2001:db8::7]:22/srv/c2c/hub.git", me, "2001:db8::7", 22, "/srv/c2c/hub.git");
	refused("ssh://u@[::1/hub.git", "']' is missing");
	refused("ssh://u@[]/hub.git", "no host");
	refused("ssh://u@[]:22/hub.git", "no host");
	refused("ssh://u@[::1]x/hub.git", "after the address in []");
	refused("ssh://u@[::1]:/hub.git", "bad port");
	refused("ssh://u@[::1]:0/hub.git", "bad port");
}

/* Without a user, the login is $USER's (else the account's name). */
static void t_default_user(void **state)
{
	(void)state;
	char *saved = getenv("USER") ? strdup(getenv("USER")) : NULL;
	setenv("USER", "amina", 1);
	parses("ssh://hub.example/hub.git", "amina", "hub.example", 22, "/hub.git");
	parses("ssh://hub.example:2200/hub.git", "amina", "hub.example", 2200, "/hub.git");
	setenv("USER", "", 1);
	transport_url u;
	OK(transport_parse_url("ssh://hub.example/hub.git", &u));
	assert_true(u.user[0] != '\0');
	if (saved) {
		setenv("USER", saved, 1);
		free(saved);
	} else {
		unsetenv("USER");
	}
}

static void t_bad(void **state)
{
	(void)state;
	refused("", "not an ssh:// URL");
	refused("/srv/c2c/hub.git", "not an ssh:// URL");
	refused("git@hub.example:hub.git", "not an ssh:// URL");
	refused("SSH://u@h/p", "not an ssh:// URL");
	refused("https://hub.example/hub.git", "not an ssh:// URL");
	refused("ssh://", "ssh://[user@]host[:port]/path");
	refused("ssh://hub.example", "ssh://[user@]host[:port]/path");
	refused("ssh://u@hub.example", "ssh://[user@]host[:port]/path");
	refused("ssh:///hub.git", "ssh://[user@]host[:port]/path");
	refused("ssh://u@/hub.git", "no host");
	refused("ssh://u@:22/hub.git", "no host");
	refused("ssh://:22/hub.git", "no host");
	refused("ssh://u@h:/hub.git", "bad port");
	refused("ssh://u@h:0/hub.git", "bad port");
	refused("ssh://u@h:65536/hub.git", "bad port");
	refused("ssh://u@h:-22/hub.git", "bad port");
	refused("ssh://u@h:22x/hub.git", "bad port");
	refused("ssh://u@h:99999999999999999999/hub.git", "bad port");
	char url[2048], long_[1100];
	memset(long_, 'u', 128);
	long_[128] = '\0';
	snprintf(url, sizeof(url), "ssh://%s@h/p", long_);
	refused(url, "user name too long");
	memset(long_, 'h', 256);
	long_[256] = '\0';
	snprintf(url, sizeof(url), "ssh://u@%s/p", long_);
	refused(url, "host name too long");
	snprintf(url, sizeof(url), "ssh://u@%s:22/p", long_);
	refused(url, "host name too long");
	snprintf(url, sizeof(url), "ssh://u@[%s]:22/p", long_);
	refused(url, "host name too long");
	long_[0] = '/';
	memset(long_ + 1, 'p', 1023);
	long_[1024] = '\0';
	snprintf(url, sizeof(url), "ssh://u@h%s", long_);
	/* (Refused; the message, the URL first, is cut at err.c's 1 KB before
	 * its reason.) */
	transport_url u;
	assert_int_equal(transport_parse_url(url, &u), C2C_EINVALID);
	assert_true(!strncmp(err_msg(), url, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_good),
	    cmocka_unit_test(t_default_user),
	    cmocka_unit_test(t_bad),
	    cmocka_unit_test(t_at_in_user),
	    cmocka_unit_test(t_ipv6),
	    cmocka_unit_test(t_ssh_started_late),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
