/* keys: the node's ed25519 key pair in keys/ (SSH login, later commit signing).
 *
 * keys/id_ed25519 is an unencrypted OpenSSH private key ("openssh-key-v1"),
 * mode 0600; keys/id_ed25519.pub the one-line public key
 * ("ssh-ed25519 AAAA... c2c-node"). Both are readable by stock ssh and
 * ssh-keygen. Made with OpenSSL's libcrypto (already linked by libssh2).
 * The key files are node/keys.c; commit signing, node/keys_sign.c. */
#ifndef C2C_KEYS_H
#define C2C_KEYS_H

#include <stddef.h>

/* Create DIR/keys/ and a new key pair in it. C2C_EINVALID if one exists. */
int keys_create(const char *dir);

/* The public key line of the node at DIR (without newline). *out malloc'd. */
int keys_public(const char *dir, char **out);

/* "SHA256:<base64>" fingerprint of the node's public key, as ssh-keygen -l
 * prints it. *out malloc'd. */
int keys_fingerprint(const char *dir, char **out);

/* Commit signing in git's SSH signature format (OpenSSH's SSHSIG,
 * namespace "git", sha512), which `git verify-commit` with
 * gpg.format=ssh and an allowed-signers file checks. */
typedef struct keys_signer keys_signer;

/* Load the node's private key from DIR/keys/id_ed25519 (once per process). */
int keys_signer_load(keys_signer **out, const char *dir);
void keys_signer_free(keys_signer *s);
/* "ssh-ed25519 BASE64" of the signer's key. */
const char *keys_signer_public(const keys_signer *s);

/* Sign LEN bytes at BUF; *armored is "-----BEGIN SSH SIGNATURE-----\n...
 * -----END SSH SIGNATURE-----\n", malloc'd. */
int keys_sign_git(const keys_signer *s, const char *buf, size_t len, char **armored);

/* Check the armoured signature SIG (SIGLEN bytes) over BUF. On success
 * *signer is the signing key as "ssh-ed25519 BASE64" (malloc'd); a
 * signature that does not match is C2C_EAUTH, a malformed one
 * C2C_ECORRUPT or C2C_EINVALID. */
int keys_verify_git(const char *buf, size_t len, const char *sig, size_t siglen, char **signer);

/* "SHA256:..." fingerprint of a public key line "ssh-ed25519 BASE64 [...]". */
int keys_line_fingerprint(const char *line, char **out);

/* The one parser of a public key line "ssh-ed25519 BASE64 [comment]"
 * (spaces or tabs between the words), as .pub files, authorized_keys and
 * the registry hold it. 0: *b64 points at the key's base64 in LINE
 * (KEYS_B64_LEN characters) and BLOB (may be NULL) receives the decoded
 * key blob. Else C2C_EINVALID (message set) and *why (may be NULL) says
 * what is wrong: KEYS_LINE_TYPE, the first word is not ssh-ed25519;
 * KEYS_LINE_KEY, what follows is not the base64 of an ed25519 key. */
#define KEYS_BLOB_LEN 51 /* string "ssh-ed25519", string of the 32-byte key */
#define KEYS_B64_LEN 68  /* its base64, with no padding */
enum { KEYS_LINE_TYPE = 1, KEYS_LINE_KEY = 2 };
int keys_parse_line(const char *line, const char **b64, unsigned char blob[KEYS_BLOB_LEN], int *why);

#endif
