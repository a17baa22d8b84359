#include "c2c/hub.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/canon.h"
#include "c2c/err.h"
#include "c2c/incoming.h"
#include "c2c/keys.h"
#include "c2c/record.h"
#include "c2c/registry.h"
#include "c2c/repo.h"

#define NODES_PREFIX "refs/heads/nodes/"
#define KEY_TYPE "ssh-ed25519"
/* string "ssh-ed25519", string of the 32-byte key: 4 + 11 + 4 + 32 bytes,
 * 68 characters of base64 with no padding. */
#define KEY_BLOB_LEN 51
#define KEY_B64_LEN 68
#define FILE_MAX (1 << 20)

/* ------------------------------------------------------------- helpers */

/* A malloc'd string from a printf format; NULL (message set) when out of
 * memory. */
static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!s) {
		err_set(C2C_ENOMEM, "out of memory");
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int hub_valid_node_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 100 || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int node_id_check(const char *id)
{
	if (hub_valid_node_id(id))
		return 0;
	err_set(C2C_EINVALID, "'%s' is not a node id", id ? id : "");
	return err_hint("a node id is lower-case letters, digits, '.', '_' and '-', starting with a letter or "
	                "digit ('c2c -C NODE status' shows it)");
}

/* Read all of PATH (at most FILE_MAX bytes) into *out, NUL-terminated. A
 * missing file is C2C_ENOTFOUND. */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;
	int err = 0;
	*out = NULL;
	if (!(f = fopen(path, "rb")))
		return err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
	if (!(buf = malloc(FILE_MAX + 1))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	n = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f)) {
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	if (n > FILE_MAX) {
		err = err_set(C2C_EINVALID, "%s: larger than %d bytes", path, FILE_MAX);
		goto done;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = n;
done:
	free(buf);
	if (f)
		fclose(f);
	return err;
}

/* The one ssh-ed25519 key in FILE: *b64 (its base64 blob) and *line (type,
 * blob and comment, trimmed), both malloc'd. */
static int read_pubkey(const char *file, char **b64, char **line)
{
	char *buf = NULL, *key = NULL;
	unsigned char blob[KEY_B64_LEN / 4 * 3 + 1];
	int err, lines = 0;
	*b64 = *line = NULL;
	if ((err = slurp(file, &buf, NULL)) < 0) {
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
	size_t tn = strcspn(key, " \t");
	if (tn != strlen(KEY_TYPE) || strncmp(key, KEY_TYPE, tn)) {
		err = err_set(C2C_EINVALID, "%s: a '%.*s' key, not " KEY_TYPE, file, (int)(tn > 40 ? 40 : tn), key);
		err_hint("nodes log in with ed25519 keys: give the node's keys/id_ed25519.pub");
		goto done;
	}
	const char *enc = key + tn + strspn(key + tn, " \t");
	size_t en = strcspn(enc, " \t");
	/* No padding in 68 characters: EVP_DecodeBlock gives exactly 51. */
	int got = en == KEY_B64_LEN ? EVP_DecodeBlock(blob, (const unsigned char *)enc, (int)en) : -1;
	if (got != KEY_BLOB_LEN || memcmp(blob, "\0\0\0\13" KEY_TYPE "\0\0\0\40", 4 + 11 + 4)) {
		err = err_set(C2C_EINVALID, "%s: not a well-formed " KEY_TYPE " key", file);
		goto done;
	}
	for (const char *c = key; *c; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
			err = err_set(C2C_EINVALID, "%s: control characters in the key line", file);
			goto done;
		}
	if (!(*b64 = strndup(enc, en)) || !(*line = strdup(key))) {
		free(*b64);
		*b64 = NULL;
		err = err_set(C2C_ENOMEM, "out of memory");
	}
done:
	free(buf);
	return err;
}

/* Paths go into sh scripts and authorized_keys command="..." between single
 * quotes: refuse what would need escaping there. */
static int quotable(const char *what, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p == '\'' || *p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f) {
			err_set(C2C_EINVALID, "%s '%s' has a quote, a backslash or a control character", what, path);
			return err_hint("use a path without ' \" \\ or control characters");
		}
	return 0;
}

/* The absolute path of this c2c binary. *out malloc'd. */
static int self_exe(char **out)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	int err;
	*out = NULL;
	if (n < 0)
		return err_errno(C2C_EIO, "finding the c2c binary (/proc/self/exe)");
	buf[n] = '\0';
	if ((err = quotable("the c2c binary", buf)) < 0)
		return err;
	if (!(*out = strdup(buf)))
		return err_set(C2C_ENOMEM, "out of memory");
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write DATA to PATH (a new file of MODE), synced. */
static int write_new_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return err_errno(C2C_EIO, path);
	if (write_all(fd, data, strlen(data)) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
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
static int open_hub(git_repository **out, const char *path)
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
	if (office_key_file && (err = read_pubkey(office_key_file, &b64, &keyline)) < 0)
		goto done;
	if ((err = self_exe(&exe)) < 0 || (err = repo_global_init()) < 0)
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
	if (!(script = xprintf("#!/bin/sh\n"
	                       "# c2c hub: a node may push only refs/heads/nodes/<its id>, only\n"
	                       "# fast-forwards, and delete nothing. Written by 'c2c hub init'.\n"
	                       "exec '%s' hub hook-update \"${GIT_DIR:-.}\" \"$@\"\n",
	                       exe)) ||
	    !(file = xprintf("%shooks", gd))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if (mkdir(file, 0755) < 0 && errno != EEXIST) {
		err = err_errno(C2C_EIO, file);
		goto done;
	}
	free(file);
	if (!(file = xprintf("%shooks/update", gd))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((err = write_new_file(file, script, 0755)) < 0)
		goto done;
	if (keyline) {
		free(file);
		free(script);
		script = NULL;
		if (!(file = xprintf("%sc2c-office.pub", gd)) || !(script = xprintf("%s\n", keyline))) {
			err = C2C_ENOMEM;
			goto done;
		}
		if ((err = write_new_file(file, script, 0644)) < 0)
			goto done;
		/* ... published for nodes that do not have it yet. */
		git_oid kid;
		git_reference *kref = NULL;
		if ((rc = git_blob_create_from_buffer(&kid, r, script, strlen(script))) < 0 ||
		    (rc = git_reference_create(&kref, r, "refs/c2c/office-key", &kid, 0, "c2c hub init: the office key")) <
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
		if (!(script = xprintf("#!/bin/sh\n"
		                       "# c2c hub: every pushed commit passes the checks every node makes\n"
		                       "# (signature, namespace, records, merges). Written by 'c2c hub init'.\n"
		                       "exec '%s' hub hook-pre-receive \"${GIT_DIR:-.}\"\n",
		                       exe)) ||
		    !(file = xprintf("%shooks/pre-receive", gd))) {
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
	char *b64 = NULL, *keyline = NULL, *file = NULL, *tmp = NULL, *text = NULL, *oldline = NULL;
	git_reference *kref = NULL;
	git_oid kid;
	int rc, err;
	*old_fp = *new_fp = NULL;
	if ((err = read_pubkey(office_key_file, &b64, &keyline)) < 0 || (err = open_hub(&r, path)) < 0)
		goto done;
	const char *gd = git_repository_path(r);
	if (!(file = xprintf("%sc2c-office.pub", gd)) || !(tmp = xprintf("%sc2c-office.pub.tmp", gd)) ||
	    !(text = xprintf("%s\n", keyline))) {
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
	unlink(tmp);
	if ((err = write_new_file(tmp, text, 0644)) < 0)
		goto done;
	if (rename(tmp, file) < 0) {
		err = err_errno(C2C_EIO, file);
		unlink(tmp);
		goto done;
	}
	if ((rc = git_blob_create_from_buffer(&kid, r, text, strlen(text))) < 0 ||
	    (rc = git_reference_create(&kref, r, "refs/c2c/office-key", &kid, 1, "c2c hub office-key: re-rooted")) < 0)
		err = err_git(rc, path);
done:
	git_reference_free(kref);
	git_repository_free(r);
	free(b64);
	free(keyline);
	free(file);
	free(tmp);
	free(text);
	free(oldline);
	return err;
}

/* --------------------------------------------------------------- allow */

/* The 1-based number of the line of authorized_keys TEXT that holds the key
 * B64, else 0. */
static int find_key(const char *text, const char *b64)
{
	size_t bn = strlen(b64);
	int lineno = 1;
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			lineno++;
			continue;
		}
		if (!strncmp(p, b64, bn) && (p == text || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[bn] == '\0' || p[bn] == ' ' || p[bn] == '\t' || p[bn] == '\n' || p[bn] == '\r'))
			return lineno;
	}
	return 0;
}

static int default_authorized_keys(char **out)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *home = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : getenv("HOME");
	*out = NULL;
	if (!home || !*home)
		return err_set(C2C_ENOTFOUND, "the running user has no home directory; give --authorized-keys FILE");
	return (*out = xprintf("%s/.ssh/authorized_keys", home)) ? 0 : C2C_ENOMEM;
}

/* The authorized_keys file to change (GIVEN, else the running user's) in
 * *file, and its text in *text (NULL and 0 when it does not exist yet). */
static int read_authorized_keys(const char *given, char **file, char **text, size_t *len)
{
	int err;
	*text = NULL;
	*len = 0;
	if (given)
		*file = strdup(given);
	else if ((err = default_authorized_keys(file)) < 0)
		return err;
	if (!*file)
		return err_set(C2C_ENOMEM, "out of memory");
	if ((err = slurp(*file, text, len)) == C2C_ENOTFOUND) {
		err_clear();
		return 0;
	}
	return err;
}

int hub_allow(const char *path, const char *node_id, const char *pubkey_file, const char *authorized_keys,
              char **line_out, char **file_out)
{
	git_repository *r = NULL;
	char *abs = NULL, *exe = NULL, *b64 = NULL, *keyline = NULL, *akfile = NULL, *text = NULL, *line = NULL;
	size_t tlen = 0;
	int fd = -1, dup, err = 0;
	if (line_out)
		*line_out = NULL;
	if (file_out)
		*file_out = NULL;
	if ((err = node_id_check(node_id)) < 0 || (err = read_pubkey(pubkey_file, &b64, &keyline)) < 0)
		goto done;
	if (!(abs = realpath(path, NULL))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		err_hint("make a hub with 'c2c hub init %s'", path);
		goto done;
	}
	if ((err = open_hub(&r, abs)) < 0 || (err = quotable("the hub path", abs)) < 0 || (err = self_exe(&exe)) < 0)
		goto done;
	if ((err = read_authorized_keys(authorized_keys, &akfile, &text, &tlen)) < 0)
		goto done;
	/* The file's directory (~/.ssh) is made 0700 if missing. */
	char *slash = strrchr(akfile, '/');
	if (slash && slash != akfile) {
		*slash = '\0';
		if (mkdir(akfile, 0700) < 0 && errno != EEXIST) {
			err = err_errno(C2C_EIO, akfile);
			*slash = '/';
			goto done;
		}
		*slash = '/';
	}
	if (text && (dup = find_key(text, b64)) > 0) {
		err = err_set(C2C_EINVALID, "%s: this key is already in %s (line %d)", pubkey_file, akfile, dup);
		err_hint("a key logs in as one node only; remove that line first to change it");
		goto done;
	}
	/* The key's own comment is left out: the line ends "c2c-node NODE-ID". */
	if (!(line = xprintf("restrict,command=\"'%s' hub serve '%s' %s\" " KEY_TYPE " %s c2c-node %s", exe, abs,
	                     node_id, b64, node_id))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((fd = open(akfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		err = err_errno(C2C_EIO, akfile);
		goto done;
	}
	int nl = tlen > 0 && text[tlen - 1] != '\n';
	if ((nl && write_all(fd, "\n", 1) < 0) || write_all(fd, line, strlen(line)) < 0 ||
	    write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		err = err_errno(C2C_EIO, akfile);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = err_errno(C2C_EIO, akfile);
		goto done;
	}
	fd = -1;
	if (line_out) {
		*line_out = line;
		line = NULL;
	}
	if (file_out) {
		*file_out = akfile;
		akfile = NULL;
	}
done:
	if (fd >= 0)
		close(fd);
	git_repository_free(r);
	free(abs);
	free(exe);
	free(b64);
	free(keyline);
	free(akfile);
	free(text);
	free(line);
	return err;
}

/* ---------------------------------------------------------------- keys */

/* The registry as the hub holds it: the nodes (NODES may be NULL) and
 * revocations of every node's branch (what passed its checks), each tree
 * of network/ read once. */
static int hub_registry(git_repository *r, json_t *nodes, registry_revocations *revs)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_oid *seen = NULL;
	size_t nseen = 0;
	int rc, err = 0;
	if ((rc = git_reference_iterator_glob_new(&it, r, "refs/heads/nodes/*")) < 0)
		return err_git(rc, "listing the hub's branches");
	while (err == 0 && (rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *tip = git_reference_target(ref);
		git_oid tree, net;
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		int dup = 0;
		if (tip && (err = repo_commit_tree(r, tip, &tree)) == 0 && git_tree_lookup(&t, r, &tree) == 0 &&
		    git_tree_entry_bypath(&e, t, "network") == 0) {
			net = *git_tree_entry_id(e);
			for (size_t i = 0; i < nseen && !dup; i++)
				dup = git_oid_equal(&seen[i], &net);
			git_oid *v = dup ? seen : realloc(seen, (nseen + 1) * sizeof(*v));
			if (!v)
				err = err_set(C2C_ENOMEM, "out of memory");
			else if (!dup) {
				seen = v;
				seen[nseen++] = net;
				if (!nodes || (err = registry_tree_nodes(r, &tree, nodes)) == 0)
					err = registry_revocations_read(r, &tree, revs, NULL);
			}
		}
		git_error_clear();
		git_tree_entry_free(e);
		git_tree_free(t);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	free(seen);
	if (err == 0 && rc < 0 && rc != GIT_ITEROVER)
		err = err_git(rc, "listing the hub's branches");
	git_error_clear();
	return err;
}

/* Whether LINE (one line of authorized_keys) is a key line of the hub ABS. */
static int hub_line(const char *line, size_t len, const char *abs)
{
	char mark[PATH_MAX + 32];
	snprintf(mark, sizeof(mark), "' hub serve '%s' ", abs);
	size_t ml = strlen(mark);
	if (strncmp(line, "restrict,command=\"'", 18))
		return 0;
	for (size_t i = 0; i + ml <= len; i++)
		if (!memcmp(line + i, mark, ml))
			return 1;
	return 0;
}

int hub_keys(const char *path, const char *authorized_keys, hub_keys_result *res)
{
	git_repository *r = NULL;
	json_t *nodes = json_object(), *v;
	registry_revocations revs = {0};
	char *abs = NULL, *exe = NULL, *akfile = NULL, *text = NULL, *tmp = NULL, *dir = NULL;
	const char *id;
	size_t tlen = 0;
	FILE *f = NULL;
	int err = 0;
	memset(res, 0, sizeof(*res));
	if (!nodes)
		return err_set(C2C_ENOMEM, "out of memory");
	if (!(abs = realpath(path, NULL))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		goto done;
	}
	if ((err = open_hub(&r, abs)) < 0 || (err = quotable("the hub path", abs)) < 0 || (err = self_exe(&exe)) < 0 ||
	    (err = hub_registry(r, nodes, &revs)) < 0)
		goto done;
	if ((err = read_authorized_keys(authorized_keys, &akfile, &text, &tlen)) < 0)
		goto done;
	if (!(tmp = xprintf("%s.c2c-tmp", akfile)) || !(dir = strdup(akfile))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	if (!(f = fopen(tmp, "we"))) {
		err = err_errno(C2C_EIO, tmp);
		goto done;
	}
	fchmod(fileno(f), 0600);
	/* Every other line stays as it is; this hub's lines are made anew. */
	for (const char *p = text, *end = text + tlen; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (hub_line(p, len, abs))
			res->removed++;
		else if (fwrite(p, 1, len, f) != len || fputc('\n', f) == EOF)
			break;
		p = nl ? nl + 1 : end;
	}
	json_object_foreach(nodes, id, v)
	{
		const char *pk = json_string_value(json_object_get(v, "pubkey"));
		const char *role = json_string_value(json_object_get(v, "role"));
		const char *sp = pk ? strchr(pk, ' ') : NULL;
		if (!sp || strncmp(pk, KEY_TYPE " ", strlen(KEY_TYPE) + 1) || !hub_valid_node_id(id) ||
		    (strcmp(role, "city") && strcmp(role, "office")))
			continue;
		if (registry_revocations_find(&revs, pk)) {
			res->revoked++;
			continue;
		}
		fprintf(f, "restrict,command=\"'%s' hub serve '%s' %s\" " KEY_TYPE " %s c2c-node %s\n", exe, abs, id,
		        sp + 1, id);
		res->written++;
	}
	int bad = ferror(f) != 0;
	bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	f = NULL;
	if (bad || rename(tmp, akfile) < 0) {
		err = err_errno(C2C_EIO, akfile);
		unlink(tmp);
		goto done;
	}
	/* The rename itself survives a power cut. */
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	res->file = akfile;
	akfile = NULL;
done:
	if (f) {
		fclose(f);
		unlink(tmp);
	}
	json_decref(nodes);
	registry_revocations_free(&revs);
	git_repository_free(r);
	free(abs);
	free(exe);
	free(akfile);
	free(text);
	free(tmp);
	free(dir);
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
	if ((err = node_id_check(node_id)) < 0)
		return err;
	if (!command || !*command) {
		err_set(C2C_EAUTH, "node %s may only fetch and push with git; no shell here", node_id);
		return err_hint("add the hub as a remote of the node ('c2c remote add hub ssh://...') and run 'c2c sync'");
	}
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

/* -------------------------------------------------------------- update */

static int parse_oid(git_oid *out, const char *hex)
{
	return strlen(hex) == GIT_OID_HEXSZ && git_oid_fromstr(out, hex) == 0 ? 0 : -1;
}

int hub_check_update(const char *gitdir, const char *node_id, const char *refname, const char *old_hex,
                     const char *new_hex)
{
	static const git_oid zero;
	git_repository *r = NULL;
	git_commit *c = NULL;
	git_oid old_id, new_id;
	const size_t pn = strlen(NODES_PREFIX);
	int rc, err = 0;
	if (parse_oid(&old_id, old_hex) < 0 || parse_oid(&new_id, new_hex) < 0)
		return err_set(C2C_EINVALID, "update hook: '%s' and '%s' are not object ids", old_hex, new_hex);
	if (node_id && *node_id) {
		if (!hub_valid_node_id(node_id))
			return err_set(C2C_EAUTH, "C2C_HUB_NODE '%s' is not a node id", node_id);
		if (strncmp(refname, NODES_PREFIX, pn) || strcmp(refname + pn, node_id)) {
			err_set(C2C_EAUTH, "node %s may only push " NODES_PREFIX "%s, not %s", node_id, node_id,
			        refname);
			return err_hint("a node pushes its main to " NODES_PREFIX "<its node id>; 'c2c sync' does that");
		}
	} else if (strncmp(refname, NODES_PREFIX, pn) || !hub_valid_node_id(refname + pn)) {
		err_set(C2C_EAUTH, "only " NODES_PREFIX "<node-id> may be pushed to a hub, not %s", refname);
		return err_hint("a node pushes its main to " NODES_PREFIX "<its node id>; 'c2c sync' does that");
	}
	if (!git_oid_cmp(&new_id, &zero)) {
		err_set(C2C_EAUTH, "deleting %s is refused: a hub keeps every node's history", refname);
		return err_hint("a hub's branches are never deleted");
	}
	if ((err = repo_global_init()) < 0)
		return err;
	/* As git's environment says, so that a push's quarantined objects are
	 * seen. */
	if ((rc = git_repository_open_ext(&r, gitdir, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0) {
		err = err_git(rc, gitdir);
		goto done;
	}
	if (git_commit_lookup(&c, r, &new_id) < 0) {
		err = err_set(C2C_EAUTH, "%s: %.12s is not a commit", refname, new_hex);
		goto done;
	}
	if (!git_oid_cmp(&old_id, &zero) || !git_oid_cmp(&old_id, &new_id))
		goto done;
	if ((rc = git_graph_descendant_of(r, &new_id, &old_id)) < 0) {
		err = err_git(rc, "checking a fast-forward");
	} else if (rc == 0) {
		err_set(C2C_EAUTH, "%s: %.12s is not a fast-forward of %.12s", refname, new_hex, old_hex);
		err = err_hint("fetch from the hub, merge, and push again ('c2c sync' does that)");
	}
done:
	git_commit_free(c);
	git_repository_free(r);
	return err;
}

/* ------------------------------------------------------------ pre-receive */

/* The highest Lamport time in the records under TREE (a hub's first push
 * after an upgrade reads its branches once this way; then c2c-lamport
 * keeps it). */
static int tree_max_lamport(git_repository *r, const git_oid *tree, long long *max)
{
	git_tree *t = NULL;
	int rc = git_tree_lookup(&t, r, tree), err = 0;
	if (rc < 0)
		return err_git(rc, "reading a tree");
	for (size_t i = 0; i < git_tree_entrycount(t) && err == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			err = tree_max_lamport(r, git_tree_entry_id(e), max);
		} else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			git_blob *b = NULL;
			if (git_blob_lookup(&b, r, git_tree_entry_id(e)) < 0) {
				err = err_git(-1, "reading a record");
				break;
			}
			json_t *rec;
			if ((err = canon_load(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), &rec)) < 0) {
				git_blob_free(b);
				break;
			}
			long long l = rec ? record_max_lamport(rec) : 0;
			if (l > *max)
				*max = l;
			json_decref(rec);
			git_blob_free(b);
		}
	}
	git_tree_free(t);
	return err;
}

/* The bound of the Lamport times the hub's branches hold (incoming.h, I5):
 * GITDIR/c2c-lamport, read under its lock (held until *FD is closed), or
 * found from the branches' trees when the file is new. */
static int hub_lamport_read(git_repository *r, const char *gitdir, int *fd, long long *out)
{
	char path[PATH_MAX], buf[32];
	*out = 1; /* genesis: every node starts at Lamport time 1 */
	if (snprintf(path, sizeof(path), "%sc2c-lamport", gitdir) >= (int)sizeof(path))
		return err_set(C2C_EINVALID, "%s: path too long", gitdir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return err_errno(C2C_EIO, path);
	if (flock(*fd, LOCK_EX) < 0)
		return err_errno(C2C_EIO, path);
	ssize_t k = pread(*fd, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = '\0';
		if (strtoll(buf, NULL, 10) > *out)
			*out = strtoll(buf, NULL, 10);
		return 0;
	}
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc, err = 0;
	if ((rc = git_reference_iterator_glob_new(&it, r, NODES_PREFIX "*")) < 0)
		return err_git(rc, "listing the hub's branches");
	while (err == 0 && git_reference_next(&ref, it) == 0) {
		git_commit *c = NULL;
		if (git_reference_target(ref) && git_commit_lookup(&c, r, git_reference_target(ref)) == 0)
			err = tree_max_lamport(r, git_commit_tree_id(c), out);
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_error_clear();
	return err;
}

static int hub_lamport_write(int fd, long long v)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lld\n", v);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len || fsync(fd) < 0)
		return err_errno(C2C_EIO, "c2c-lamport");
	return 0;
}

int hub_check_pre_receive(const char *gitdir, FILE *in)
{
	static const git_oid zero;
	c2c_node n;
	char line[1024], *key = NULL, *keyfile = NULL;
	int rc, err = 0, lfd = -1;
	long long base = 0, highest = 0;
	memset(&n, 0, sizeof(n));
	n.lockfd = -1;
	if ((err = repo_global_init()) < 0)
		return err;
	/* git's environment names the quarantine of the pushed objects. */
	if ((rc = git_repository_open_ext(&n.repo, gitdir, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0)
		return err_git(rc, gitdir);
	n.gitdir = (char *)git_repository_path(n.repo);
	if (!(keyfile = xprintf("%sc2c-office.pub", n.gitdir))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((err = registry_read_key_file(keyfile, &key)) < 0)
		goto done;
	/* The schema (record types) and the root key, in memory: a hub has
	 * no database of its own. */
	if ((err = store_open(&n.st, ":memory:", 1, 0)) < 0 || (err = store_state_set(n.st, "office_key", key)) < 0)
		goto done;
	/* The Lamport times its branches hold bound what a push may add (I5),
	 * as a node's own Lamport time does: read once, under a lock held
	 * through the checks, so that two pushes never lower it. */
	if ((err = hub_lamport_read(n.repo, n.gitdir, &lfd, &base)) < 0)
		goto done;
	highest = base;
	/* The pushed refs, read first: a revocation that one of them brings
	 * counts for all (I9), and they are judged again when one does. */
	struct pushed {
		git_oid old_id, new_id;
		char ref[400];
	} *v = NULL;
	size_t nv = 0;
	while (err == 0 && fgets(line, sizeof(line), in)) {
		char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
		struct pushed p;
		if (sscanf(line, "%40s %40s %399s", old_hex, new_hex, p.ref) != 3 || parse_oid(&p.old_id, old_hex) < 0 ||
		    parse_oid(&p.new_id, new_hex) < 0) {
			err = err_set(C2C_EINVALID, "pre-receive: cannot read '%s'", line);
			break;
		}
		if (!git_oid_cmp(&p.new_id, &zero))
			continue; /* a delete: the update hook refuses it */
		struct pushed *w = realloc(v, (nv + 1) * sizeof(*v));
		if (!w) {
			err = err_set(C2C_ENOMEM, "out of memory");
			break;
		}
		v = w;
		v[nv++] = p;
	}
	/* The revocations the hub holds: those of every branch's tip. */
	incoming_batch *known = NULL;
	registry_revocations held = {0};
	if (err == 0)
		err = incoming_batch_new(&known, &n);
	if (err == 0 && (err = hub_registry(n.repo, NULL, &held)) == 0)
		err = incoming_batch_add_revocations(known, &held);
	registry_revocations_free(&held);
	for (int round = 0; err == 0 && round < 8; round++) {
		highest = base;
		for (size_t i = 0; err == 0 && i < nv; i++) {
			char from[512];
			/* Check what this push adds beyond the branch (or, for a new
			 * branch, beyond genesis). */
			if (git_oid_cmp(&v[i].old_id, &zero))
				n.head = v[i].old_id;
			else if ((rc = git_oid_fromstr(&n.head, C2C_GENESIS)) < 0)
				err = err_git(rc, "genesis");
			snprintf(from, sizeof(from), "push to %s", v[i].ref);
			incoming_batch *b = NULL;
			if (err == 0 && (err = incoming_batch_new(&b, &n)) == 0 &&
			    (err = incoming_batch_learn_from(b, known)) == 0) {
				incoming_batch_set_base(b, base);
				if ((err = incoming_check(&n, b, from, &v[i].new_id)) == 0 && incoming_batch_highest(b) > highest)
					highest = incoming_batch_highest(b);
			}
			incoming_batch_free(b);
		}
		size_t learnt = 0, added;
		for (size_t i = 0; err == 0 && i < nv; i++)
			if ((err = incoming_batch_learn(known, &v[i].new_id, &added)) == 0)
				learnt += added;
		if (!learnt)
			break;
	}
	incoming_batch_free(known);
	free(v);
	/* What passed raises the bound for the next push. */
	if (err == 0 && highest > base)
		err = hub_lamport_write(lfd, highest);
	/* What the pusher sees: a new node that pushes before the office has
	 * registered it must be told what to do, whatever its client. */
	if (err < 0 && strstr(err_msg(), "which the office has not registered"))
		err_hint("the office has not registered the node that signed it: that node must send its node id and its "
		         "public key (keys/id_ed25519.pub in its directory) to the office, which runs 'c2c node add' and "
		         "syncs with this hub; the node's next sync then pushes");
done:
	if (lfd >= 0)
		close(lfd);
	free(key);
	free(keyfile);
	store_close(n.st);
	git_repository_free(n.repo);
	return err;
}
