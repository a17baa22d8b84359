/* hub: the bare repository nodes sync through, on a stock OpenSSH server
 * where c2c is installed.
 *
 * Each node pushes its main to refs/heads/nodes/<node-id> and fetches every
 * node's branch. A node logs in with its ed25519 key, whose line in
 * authorized_keys (written by hub_allow) forces `c2c hub serve HUB NODE-ID`:
 * only git-upload-pack and git-receive-pack run, on the hub whatever path the
 * client asked for, with C2C_HUB_NODE=NODE-ID in the environment. The hub's
 * update hook (written by hub_init) calls `c2c hub hook-update`, which lets
 * a node write only its own branch, never delete it, and only fast-forward
 * it. Stock git checks the objects (receive.fsckObjects).
 *
 * Errors: C2C_EINVALID for bad input (node id, key file, path), C2C_ENOTFOUND
 * for a missing file or hub, C2C_EAUTH for what a hub refuses, C2C_EIO for
 * the file system; the message says which. */
#ifndef C2C_HUB_H
#define C2C_HUB_H

#include <stdio.h>

/* Make a hub repository at PATH: bare, HEAD at refs/heads/nodes (a ref that
 * never exists, so no node's branch looks like the hub's own), c2c.hub=true,
 * receive.fsckObjects, no deletes, no non-fast-forwards, core.fsync=all, and
 * hooks/update calling this c2c binary by its absolute path. With
 * OFFICE_KEY_FILE (NULL: none), the office's ssh-ed25519 public key is
 * stored as PATH/c2c-office.pub. C2C_EINVALID if PATH holds a repository. */
int hub_init(const char *path, const char *office_key_file);

/* Re-root the hub at PATH (made with an office key): its office key
 * becomes the one in OFFICE_KEY_FILE, for its checks and for the nodes
 * that learn it. *old_fp, *new_fp: the two fingerprints (malloc'd). */
int hub_set_office_key(const char *path, const char *office_key_file, char **old_fp, char **new_fp);

/* Let node NODE_ID reach the hub at PATH with the key in PUBKEY_FILE (one
 * ssh-ed25519 line): append to AUTHORIZED_KEYS (NULL: the running user's
 * ~/.ssh/authorized_keys; the file is made 0600 and its directory 0700 if
 * missing) the line
 *   restrict,command="'/abs/c2c' hub serve '/abs/PATH' NODE-ID" ssh-ed25519 B64 c2c-node NODE-ID
 * Refuses a PATH that is not a hub, paths with ' " \ or control characters,
 * and a key already in the file. On success *line (without newline) and
 * *file (the file written) are malloc'd; either out may be NULL. */
int hub_allow(const char *path, const char *node_id, const char *pubkey_file, const char *authorized_keys,
              char **line, char **file);

/* Make the key lines of the hub at PATH in AUTHORIZED_KEYS (NULL: the
 * running user's) follow the office's registry as the hub holds it (the
 * nodes and revocations of every node's branch): one line, as hub_allow
 * writes it, for every registered city or office node whose key is not
 * revoked, and none for any other. The file's other lines stay as they
 * are; it is replaced at once (a temporary file, fsync, rename). */
typedef struct {
	size_t written, removed, revoked; /* lines written, this hub's lines there were, revoked keys left out */
	char *file;                       /* the file written, malloc'd */
} hub_keys_result;
int hub_keys(const char *path, const char *authorized_keys, hub_keys_result *res);

/* The forced command: check ORIGINAL_COMMAND (SSH_ORIGINAL_COMMAND; NULL
 * for an interactive login) is git-upload-pack or git-receive-pack (also
 * spelled "git upload-pack") with an argument, then replace the process
 * with stock git's upload-pack or receive-pack on the hub at PATH, with
 * C2C_HUB_NODE=NODE_ID; or "c2c-sync" with an argument, c2c's own sync
 * (exchange.h), served on stdin and stdout, whose push runs the same
 * receive-pack. Returns only on failure, or at the end of a c2c-sync:
 * C2C_EAUTH for a refused command. */
int hub_serve(const char *path, const char *node_id, const char *original_command);

/* The update hook's rule for one ref, in the hub at GITDIR (opened as git's
 * environment says, so a push's quarantined objects are seen): with NODE_ID
 * (C2C_HUB_NODE; NULL or "" for a local push by the hub's admin) REFNAME
 * must be refs/heads/nodes/NODE_ID, without it any refs/heads/nodes/<id>;
 * NEW_HEX must be a commit (no deletes) and a descendant of OLD_HEX unless
 * OLD_HEX is all zeros. 0 allowed, C2C_EAUTH refused (message set). */
int hub_check_update(const char *gitdir, const char *node_id, const char *refname, const char *old_hex,
                     const char *new_hex);

/* The pre-receive hook of a hub made with --office-key: every commit of
 * every pushed ref (the lines "OLD NEW REF" on IN) passes incoming_check
 * against the office key in GITDIR/c2c-office.pub, or the whole push is
 * refused, naming the commit and the rule. */
int hub_check_pre_receive(const char *gitdir, FILE *in);

#endif
