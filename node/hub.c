/* hub: a hub's set-up and its forced command (include/c2c/hub.h). */
#include "c2c/hub_int.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/exchange.h"
#include "c2c/keys.h"
#include "c2c/nodeid.h"
#include "c2c/registry.h"
#include "c2c/refs.h"
#include "c2c/repo.h"
#include "c2c/util.h"

/* ------------------------------------------------------------- helpers */

/* A malloc'd string from a printf format; NULL (message set) when out of
 * memory. */
char *hub_xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!s) {
		ERR_OOM();
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int hub_node_id_check(const char *id)
{
	if (nodeid_valid(id))
		return 0;
	err_set(C2C_EINVALID, "'%s' is not a node id", id ? id : "");
	return err_hint("a node id is lower-case letters, digits, '.', '_' and '-', starting with a letter or "
	                "digit ('c2c -C NODE status' shows it)");
}

/* The one ssh-ed25519 key in FILE: *b64 (its base64 blob) and *line (type,
 * blob and comment, trimmed), both malloc'd. */
int hub_read_pubkey(const char *file, char **b64, char **line)
{
	char *buf = NULL, *key = NULL;
	const char *enc;
	int err, why, lines = 0;
	*b64 = *line = NULL;
	if ((err = read_file(file, FILE_MAX, &buf, NULL)) < 0) {
		if (err == C2C_ENOTFOUND)
			err_hint("give the node's public key file, keys/id_ed25519.pub in its directory");
		return err;
	}
	for (char *p = buf, *next; *p; p = next) {
		size_t n = strcspn(p, "\n");
		next = p + n + (p[n] == '\n');
		p[n] = '\0';
		while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
			p[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			continue;
		lines++;
		key = p;
	}
	if (lines != 1) {
		err = err_set(C2C_EINVALID, "%s: %s", file,
		              lines ? "more than one line; a public key file holds one key" : "no key in it");
		goto done;
	}
	if (keys_parse_line(key, &enc, NULL, &why) < 0) {
		size_t tn = strcspn(key, " \t");
		if (why == KEYS_LINE_TYPE) {
			err = err_set(C2C_EINVALID, "%s: a '%.*s' key, not " KEY_TYPE, file, (int)(tn > 40 ? 40 : tn),
			              key);
			err_hint("nodes log in with ed25519 keys: give the node's keys/id_ed25519.pub");
		} else {
			err = err_set(C2C_EINVALID, "%s: not a well-formed " KEY_TYPE " key", file);
		}
		goto done;
	}
	for (const char *c = key; *c; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
			err = err_set(C2C_EINVALID, "%s: control characters in the key line", file);
			goto done;
		}
	if (!(*b64 = strndup(enc, KEYS_B64_LEN)) || !(*line = strdup(key))) {
		free(*b64);
		*b64 = NULL;
		err = ERR_OOM();
	}
done:
	free(buf);
	return err;
}

/* Paths go into sh scripts and authorized_keys command="..." between single
 * quotes: refuse what would need escaping there. */
int hub_quotable(const char *what, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p == '\'' || *p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f) {
			err_set(C2C_EINVALID, "%s '%s' has a quote, a backslash or a control character", what, path);
			return err_hint("use a path without ' \" \\ or control characters");
		}
	return 0;
}

/* The absolute path of this c2c binary. *out malloc'd. */
int hub_self_exe(char **out)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	int err;
	*out = NULL;
	if (n < 0)
		return err_errno(C2C_EIO, "finding the c2c binary (/proc/self/exe)");
	buf[n] = '\0';
	if ((err = hub_quotable("the c2c binary", buf)) < 0)
		return err;
	if (!(*out = strdup(buf)))
		return ERR_OOM();
	return 0;
}

/* Write DATA to PATH (a new file of MODE), synced. */
static int write_new_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return err_errno(C2C_EIO, path);
	if (write_all(fd, data, strlen(data), path) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return err_errno(C2C_EIO, path);
	}
	if (close(fd) < 0)
		return err_errno(C2C_EIO, path);
	return 0;
}

/* Open PATH as a hub: a git repository with c2c.hub=true. */
int hub_open(git_repository **out, const char *path)
{
	git_repository *r = NULL;
	git_config *cfg = NULL;
	int rc, hub = 0, err = 0;
	*out = NULL;
	if ((err = repo_global_init()) < 0)
		return err;
	if ((rc = git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		err_set(rc == GIT_ENOTFOUND ? C2C_ENOTFOUND : C2C_EINVALID, "%s is not a c2c hub (no repository there)",
		        path);
		return err_hint("make one with 'c2c hub init %s'", path);
	}
	if ((rc = git_repository_config_snapshot(&cfg, r)) < 0) {
		err = err_git(rc, path);
		goto done;
	}
	if (git_config_get_bool(&hub, cfg, "c2c.hub") < 0 || !hub) {
		err_set(C2C_EINVALID, "%s is a git repository but not a c2c hub (c2c.hub is not true)", path);
		err = err_hint("make a hub with 'c2c hub init NEW-PATH'");
		goto done;
	}
	*out = r;
	r = NULL;
done:
	git_config_free(cfg);
	git_repository_free(r);
	return err;
}

/* ---------------------------------------------------------------- init */

int hub_init(const char *path, const char *office_key_file)
{
	git_repository *r = NULL;
	git_config *cfg = NULL;
	git_repository_init_options o;
	char *exe = NULL, *b64 = NULL, *keyline = NULL, *script = NULL, *file = NULL;
	int rc, err = 0;
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	/* refs/heads/nodes can never exist beside refs/heads/nodes/<id>: HEAD
	 * makes no node's branch the hub's own. */
	o.initial_head = "nodes";
	o.description = "c2c hub: each node's main at refs/heads/nodes/<node-id>\n";
	/* Everything is checked before anything is made. */
	if (office_key_file && (err = hub_read_pubkey(office_key_file, &b64, &keyline)) < 0)
		goto done;
	if ((err = hub_self_exe(&exe)) < 0 || (err = repo_global_init()) < 0)
		goto done;
	if ((rc = git_repository_init_ext(&r, path, &o)) < 0) {
		err = err_git(rc, path);
		if (rc == GIT_EEXISTS)
			err = err_set(C2C_EINVALID, "%s already holds a repository", path);
		goto done;
	}
	/* Stock git enforces on receive what it can: valid objects, no deletes,
	 * no non-fast-forwards. */
	if ((rc = git_repository_config(&cfg, r)) < 0 || (rc = git_config_set_bool(cfg, "c2c.hub", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.fsckObjects", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.denyDeletes", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.denyNonFastForwards", 1)) < 0 ||
	    (rc = git_config_set_string(cfg, "core.fsync", "all")) < 0) {
		err = err_git(rc, path);
		goto done;
	}
	/* The hook runs the c2c that made the hub, by its absolute path: sshd
	 * and git give hooks a minimal PATH. */
	const char *gd = git_repository_path(r);
	if (!(script = hub_xprintf("#!/bin/sh\n"
	                       "# c2c hub: a node may push only refs/heads/nodes/<its id>, only\n"
	                       "# fast-forwards, and delete nothing. Written by 'c2c hub init'.\n"
	                       "exec '%s' hub hook-update \"${GIT_DIR:-.}\" \"$@\"\n",
	                       exe)) ||
	    !(file = hub_xprintf("%shooks", gd))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if (mkdir(file, 0755) < 0 && errno != EEXIST) {
		err = err_errno(C2C_EIO, file);
		goto done;
	}
	free(file);
	if (!(file = hub_xprintf("%shooks/update", gd))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((err = write_new_file(file, script, 0755)) < 0)
		goto done;
	if (keyline) {
		free(file);
		free(script);
		script = NULL;
		if (!(file = hub_xprintf("%sc2c-office.pub", gd)) || !(script = hub_xprintf("%s\n", keyline))) {
			err = C2C_ENOMEM;
			goto done;
		}
		if ((err = write_new_file(file, script, 0644)) < 0)
			goto done;
		/* ... published for nodes that do not have it yet. */
		git_oid kid;
		git_reference *kref = NULL;
		if ((rc = git_blob_create_from_buffer(&kid, r, script, strlen(script))) < 0 ||
		    (rc = git_reference_create(&kref, r, REF_OFFICE_KEY, &kid, 0, "c2c hub init: the office key")) <
		        0) {
			err = err_git(rc, path);
			goto done;
		}
		git_reference_free(kref);
		/* With the office's key, the hub checks every pushed commit as a
		 * node would, before git lets its objects in. */
		free(file);
		free(script);
		script = NULL;
		if (!(script = hub_xprintf("#!/bin/sh\n"
		                       "# c2c hub: every pushed commit passes the checks every node makes\n"
		                       "# (signature, namespace, records, merges). Written by 'c2c hub init'.\n"
		                       "exec '%s' hub hook-pre-receive \"${GIT_DIR:-.}\"\n",
		                       exe)) ||
		    !(file = hub_xprintf("%shooks/pre-receive", gd))) {
			err = C2C_ENOMEM;
			goto done;
		}
		if ((err = write_new_file(file, script, 0755)) < 0)
			goto done;
	}
done:
	if (err < 0 && r)
		err_hint("remove %s and run 'c2c hub init' again", path);
	free(exe);
	free(b64);
	free(keyline);
	free(script);
	free(file);
	git_config_free(cfg);
	git_repository_free(r);
	return err;
}

int hub_set_office_key(const char *path, const char *office_key_file, char **old_fp, char **new_fp)
{
	git_repository *r = NULL;
	char *b64 = NULL, *keyline = NULL, *file = NULL, *text = NULL, *oldline = NULL;
	git_reference *kref = NULL;
	git_oid kid;
	int rc, err;
	*old_fp = *new_fp = NULL;
	if ((err = hub_read_pubkey(office_key_file, &b64, &keyline)) < 0 || (err = hub_open(&r, path)) < 0)
		goto done;
	const char *gd = git_repository_path(r);
	if (!(file = hub_xprintf("%sc2c-office.pub", gd)) || !(text = hub_xprintf("%s\n", keyline))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((err = registry_read_key_file(file, &oldline)) == C2C_ENOTFOUND) {
		err_set(C2C_EINVALID, "hub %s has no office key, so it checks no commit", path);
		err = err_hint("a hub gets its office key, and its pre-receive checks, at 'c2c hub init --office-key'");
		goto done;
	}
	if (err < 0 || (err = keys_line_fingerprint(oldline, old_fp)) < 0 ||
	    (err = keys_line_fingerprint(keyline, new_fp)) < 0)
		goto done;
	if ((err = write_file_atomic(file, text, strlen(text), 0644)) < 0)
		goto done;
	if ((rc = git_blob_create_from_buffer(&kid, r, text, strlen(text))) < 0 ||
	    (rc = git_reference_create(&kref, r, REF_OFFICE_KEY, &kid, 1, "c2c hub office-key: re-rooted")) < 0)
		err = err_git(rc, path);
done:
	git_reference_free(kref);
	git_repository_free(r);
	free(b64);
	free(keyline);
	free(file);
	free(text);
	free(oldline);
	return err;
}

/* --------------------------------------------------------------- serve */

/* COMMAND with control characters shown as '?' and cut to fit CAP, for a
 * message that goes back to the client's terminal. */
static const char *printable(char *buf, size_t cap, const char *command)
{
	size_t i = 0;
	for (; command[i] && i + 4 < cap; i++)
		buf[i] = (unsigned char)command[i] < 0x20 || command[i] == 0x7f ? '?' : command[i];
	if (command[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

int hub_serve(const char *path, const char *node_id, const char *command)
{
	static const struct {
		const char *prefix, *service;
	} allowed[] = {
	    {"git-upload-pack ", "upload-pack"},
	    {"git upload-pack ", "upload-pack"},
	    {"git-receive-pack ", "receive-pack"},
	    {"git receive-pack ", "receive-pack"},
	};
	const char *service = NULL;
	char shown[200];
	int err;
	if ((err = hub_node_id_check(node_id)) < 0)
		return err;
	if (!command || !*command) {
		err_set(C2C_EAUTH, "node %s may only fetch and push with git; no shell here", node_id);
		return err_hint(
		    "add the hub as a remote of the node ('c2c remote add hub ssh://...') and run 'c2c sync'");
	}
	/* c2c's own sync (exchange.h): its push runs receive-pack here,
	 * with the same rules. */
	if (!strncmp(command, EXCHANGE_COMMAND " ", strlen(EXCHANGE_COMMAND) + 1) && !strchr(command, '\n'))
		return hubsync_serve(path, node_id, command, 0, 1);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		size_t n = strlen(allowed[i].prefix);
		/* The path the client asked for is not used: this key reaches this
		 * hub and nothing else. It must be there all the same. */
		if (!strncmp(command, allowed[i].prefix, n) && command[n] && !strchr(command, '\n')) {
			service = allowed[i].service;
			break;
		}
	}
	if (!service) {
		err_set(C2C_EAUTH, "refused command '%s': node %s may only run git-upload-pack and git-receive-pack",
		        printable(shown, sizeof(shown), command), node_id);
		return err_hint("a node's key on a hub is for 'c2c sync' (or git fetch and push) only");
	}
	if (setenv("C2C_HUB_NODE", node_id, 1) < 0)
		return err_errno(C2C_EIO, "setting C2C_HUB_NODE");
	char *argv[] = {"git", (char *)service, (char *)path, NULL};
	fflush(NULL);
	execvp("git", argv);
	err_errno(C2C_EIO, "running git");
	return err_hint("install git on the hub's server");
}
