/* hub: the keys that reach a hub, in authorized_keys (include/c2c/hub.h:
 * hub_allow, hub_keys), and the registry the hub holds. */
#include "c2c/hub_int.h"

#include <pwd.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/nodeid.h"
#include "c2c/oidlist.h"
#include "c2c/util.h"

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
	return (*out = hub_xprintf("%s/.ssh/authorized_keys", home)) ? 0 : C2C_ENOMEM;
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
		return ERR_OOM();
	if ((err = read_file(*file, FILE_MAX, text, len)) == C2C_ENOTFOUND) {
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
	if ((err = hub_node_id_check(node_id)) < 0 || (err = hub_read_pubkey(pubkey_file, &b64, &keyline)) < 0)
		goto done;
	if (!(abs = realpath(path, NULL))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		err_hint("make a hub with 'c2c hub init %s'", path);
		goto done;
	}
	if ((err = hub_open(&r, abs)) < 0 || (err = hub_quotable("the hub path", abs)) < 0 ||
	    (err = hub_self_exe(&exe)) < 0)
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
	if (!(line = hub_xprintf("restrict,command=\"'%s' hub serve '%s' %s\" " KEY_TYPE " %s c2c-node %s", exe, abs,
	                     node_id, b64, node_id))) {
		err = C2C_ENOMEM;
		goto done;
	}
	if ((fd = open(akfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		err = err_errno(C2C_EIO, akfile);
		goto done;
	}
	int nl = tlen > 0 && text[tlen - 1] != '\n';
	if ((nl && write_all(fd, "\n", 1, akfile) < 0) || write_all(fd, line, strlen(line), akfile) < 0 ||
	    write_all(fd, "\n", 1, akfile) < 0 || fsync(fd) < 0) {
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
int hub_registry(git_repository *r, json_t *nodes, registry_revocations *revs)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	oid_list seen = {0};
	int rc, err = 0;
	if ((rc = git_reference_iterator_glob_new(&it, r, REF_NODES "*")) < 0)
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
			dup = oid_list_has(&seen, &net);
			if (!dup && (err = oid_list_add(&seen, &net)) == 0) {
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
	oid_list_free(&seen);
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
	char *abs = NULL, *exe = NULL, *akfile = NULL, *text = NULL, *out = NULL;
	const char *id;
	size_t tlen = 0, olen = 0;
	FILE *f = NULL;
	int err = 0;
	memset(res, 0, sizeof(*res));
	if (!nodes)
		return ERR_OOM();
	if (!(abs = realpath(path, NULL))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		goto done;
	}
	if ((err = hub_open(&r, abs)) < 0 || (err = hub_quotable("the hub path", abs)) < 0 ||
	    (err = hub_self_exe(&exe)) < 0 || (err = hub_registry(r, nodes, &revs)) < 0)
		goto done;
	if ((err = read_authorized_keys(authorized_keys, &akfile, &text, &tlen)) < 0)
		goto done;
	/* The new file is made in memory, then replaces the old at once. */
	if (!(f = open_memstream(&out, &olen))) {
		err = ERR_OOM();
		goto done;
	}
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
		if (!sp || strncmp(pk, KEY_TYPE " ", strlen(KEY_TYPE) + 1) || !nodeid_valid(id) ||
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
	bad |= fclose(f) != 0;
	f = NULL;
	if (bad) {
		err = ERR_OOM();
		goto done;
	}
	/* Written whole or not at all, and the rename survives a power cut. */
	if ((err = write_file_atomic(akfile, out, olen, 0600)) < 0)
		goto done;
	res->file = akfile;
	akfile = NULL;
done:
	if (f)
		fclose(f);
	free(out);
	json_decref(nodes);
	registry_revocations_free(&revs);
	git_repository_free(r);
	free(abs);
	free(exe);
	free(akfile);
	free(text);
	return err;
}
