/* keys: the node's ed25519 key pair in keys/ (SSH login, later commit signing).
 *
 * keys/id_ed25519 is an unencrypted OpenSSH private key ("openssh-key-v1"),
 * mode 0600; keys/id_ed25519.pub the one-line public key
 * ("ssh-ed25519 AAAA... c2c-node"). Both are readable by stock ssh and
 * ssh-keygen. Made with OpenSSL's libcrypto (already linked by libssh2). */
#ifndef C2C_KEYS_H
#define C2C_KEYS_H

/* Create DIR/keys/ and a new key pair in it. C2C_EINVALID if one exists. */
int keys_create(const char *dir);

/* The public key line of the node at DIR (without newline). *out malloc'd. */
int keys_public(const char *dir, char **out);

/* "SHA256:<base64>" fingerprint of the node's public key, as ssh-keygen -l
 * prints it. *out malloc'd. */
int keys_fingerprint(const char *dir, char **out);

#endif
