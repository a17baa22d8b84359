/* keys: the node's ed25519 key pair in keys/ (include/c2c/keys.h).
 *
 * The private key is written in OpenSSH's own unencrypted format
 * ("openssh-key-v1", OpenSSH PROTOCOL.key), which stock ssh and ssh-keygen
 * read; the public key as the usual one-line "ssh-ed25519 AAAA... comment".
 * All cryptography (key generation, random check ints, SHA-256, base64) is
 * OpenSSL's libcrypto; the encoding is sshwire.c's. Signing with the key is
 * keys_sign.c. */
#include "c2c/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/sshwire.h"
#include "c2c/util.h"

#define KEY_COMMENT "c2c-node"
#define PUB_MAX 8192 /* a .pub line longer than this is not ours */

/* Create PATH (O_EXCL when EXCL, else truncating) with MODE, write TEXT,
 * fsync and close. On failure the file is removed again if we made it.
 * Not write_file_atomic: a key file is made once, never replaced, and its
 * mode is exactly MODE whatever the umask. */
static int write_file(const char *path, const char *text, size_t len, mode_t mode, int excl)
{
	int err = 0, made = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC), mode);
	if (fd < 0) {
		if (errno == EEXIST) {
			err = err_set(C2C_EINVALID, "%s: a key already exists", path);
			goto done;
		}
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	made = 1;
	/* The umask may have taken bits away (or, for a truncated file, the old
	 * mode stayed): make the mode exactly MODE. */
	if (fchmod(fd, mode) < 0) {
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	if ((err = write_all(fd, text, len, path)) < 0)
		goto done;
	if (fsync(fd) < 0) {
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	int rc = close(fd);
	fd = -1;
	if (rc < 0)
		err = err_errno(C2C_EIO, path);

done:
	if (fd >= 0)
		close(fd);
	if (err < 0 && made)
		unlink(path);
	return err;
}

int keys_create(const char *dir)
{
	char *kdir = NULL, *kpath = NULL, *ppath = NULL, *pem = NULL, *pub64 = NULL, *publine = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char pub[SSHWIRE_ED25519_LEN], seed[SSHWIRE_ED25519_LEN];
	size_t publen = sizeof(pub), seedlen = sizeof(seed), pemlen = 0;
	sshwire_wbuf pubblob = {0}, priv = {0}, file = {0};
	uint32_t check;
	struct stat sb;
	int err = 0, wrote_key = 0;

	kdir = path_join(dir, "keys");
	kpath = path_join(dir, "keys/id_ed25519");
	ppath = path_join(dir, "keys/id_ed25519.pub");
	if (!kdir || !kpath || !ppath) {
		err = ERR_OOM();
		goto done;
	}
	if (mkdir(kdir, 0700) < 0 && errno != EEXIST) {
		err = err_errno(C2C_EIO, kdir);
		goto done;
	}
	if (lstat(kpath, &sb) == 0) {
		err = err_set(C2C_EINVALID, "%s: a key already exists", kpath);
		goto done;
	}
	if (errno != ENOENT) {
		err = err_errno(C2C_EIO, kpath);
		goto done;
	}

	/* The key pair. */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey) {
		err = sshwire_err_ossl(C2C_EFAIL, kpath);
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    EVP_PKEY_get_raw_private_key(pkey, seed, &seedlen) != 1) {
		err = sshwire_err_ossl(C2C_EFAIL, kpath);
		goto done;
	}
	if (publen != SSHWIRE_ED25519_LEN || seedlen != SSHWIRE_ED25519_LEN) {
		err = err_set(C2C_EFAIL, "%s: libcrypto gave an ed25519 key of unexpected size", kpath);
		goto done;
	}
	if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1) {
		err = sshwire_err_ossl(C2C_EFAIL, kpath);
		goto done;
	}

	/* Public key blob: string type, string pub. */
	sshwire_put_cstring(&pubblob, SSHWIRE_KEY_TYPE);
	sshwire_put_string(&pubblob, pub, publen);

	/* Private section: check ints, type, pub, seed||pub, comment, padding. */
	sshwire_put_u32(&priv, check);
	sshwire_put_u32(&priv, check);
	sshwire_put_cstring(&priv, SSHWIRE_KEY_TYPE);
	sshwire_put_string(&priv, pub, publen);
	sshwire_put_u32(&priv, (uint32_t)(seedlen + publen));
	sshwire_put_bytes(&priv, seed, seedlen);
	sshwire_put_bytes(&priv, pub, publen);
	sshwire_put_cstring(&priv, KEY_COMMENT);
	for (unsigned char pad = 1; priv.n % 8 != 0; pad++)
		sshwire_put_bytes(&priv, &pad, 1);

	/* The whole file: magic, cipher, kdf, kdf options, count, keys. */
	sshwire_put_bytes(&file, "openssh-key-v1", sizeof("openssh-key-v1")); /* with its NUL */
	sshwire_put_cstring(&file, "none");
	sshwire_put_cstring(&file, "none");
	sshwire_put_cstring(&file, "");
	sshwire_put_u32(&file, 1);
	sshwire_put_string(&file, pubblob.b, pubblob.n);
	sshwire_put_string(&file, priv.b, priv.n);
	if (pubblob.overflow || priv.overflow || file.overflow) {
		err = err_set(C2C_EFAIL, "%s: key encoding overflowed its buffer", kpath);
		goto done;
	}

	if ((err = sshwire_armour(file.b, file.n, SSHWIRE_PEM_BEGIN, SSHWIRE_PEM_END, &pem, &pemlen, kpath)) < 0)
		goto done;
	if ((err = sshwire_base64(pubblob.b, pubblob.n, &pub64, ppath)) < 0)
		goto done;
	if (!(publine = sshwire_key_line(pub64, KEY_COMMENT))) {
		err = ERR_OOM();
		goto done;
	}

	if ((err = write_file(kpath, pem, pemlen, 0600, 1)) < 0)
		goto done;
	wrote_key = 1;
	if ((err = write_file(ppath, publine, strlen(publine), 0644, 0)) < 0)
		goto done;
	err = fsync_parent_dir(ppath); /* keys/, which holds both */

done:
	if (err < 0 && wrote_key)
		unlink(kpath);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(&priv, sizeof(priv));
	OPENSSL_cleanse(&file, sizeof(file));
	if (pem) {
		OPENSSL_cleanse(pem, pemlen);
		free(pem);
	}
	EVP_PKEY_free(pkey);
	free(publine);
	free(pub64);
	free(ppath);
	free(kpath);
	free(kdir);
	return err;
}

int keys_public(const char *dir, char **out)
{
	char *path = NULL, *buf = NULL;
	size_t n = 0;
	int err = 0;
	*out = NULL;

	path = path_join(dir, "keys/id_ed25519.pub");
	if (!path) {
		err = ERR_OOM();
		goto done;
	}
	if ((err = read_file(path, PUB_MAX, &buf, &n)) < 0) {
		if (err == C2C_EINVALID)
			err = err_set(C2C_ECORRUPT, "%s: longer than any public key line", path);
		goto done;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0 || memchr(buf, '\n', n) || strlen(buf) != n) {
		err = err_set(C2C_ECORRUPT, "%s: not a one-line public key", path);
		goto done;
	}
	char *shrunk = realloc(buf, n + 1);
	*out = shrunk ? shrunk : buf;
	buf = NULL;

done:
	free(buf);
	free(path);
	return err;
}

int keys_fingerprint(const char *dir, char **out)
{
	char *line = NULL, *b64 = NULL, *fp = NULL;
	unsigned char *blob = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int err;
	*out = NULL;

	if ((err = keys_public(dir, &line)) < 0)
		goto done;
	/* "TYPE BASE64 [COMMENT]" */
	char *type = line, *sp = strchr(line, ' ');
	if (!sp) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: no key after the key type", dir);
		goto done;
	}
	*sp = '\0';
	char *enc = sp + 1;
	size_t enclen = strcspn(enc, " \t");
	if (enclen == 0 || enclen % 4 != 0 || enclen > PUB_MAX) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: the key is not valid base64", dir);
		goto done;
	}
	blob = malloc(enclen / 4 * 3 + 1);
	if (!blob) {
		err = ERR_OOM();
		goto done;
	}
	int got = EVP_DecodeBlock(blob, (const unsigned char *)enc, (int)enclen);
	if (got < 0) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: the key is not valid base64", dir);
		goto done;
	}
	/* EVP_DecodeBlock counts the bytes of the '=' padding as data. */
	size_t bloblen = (size_t)got;
	for (size_t i = enclen; i > 0 && enc[i - 1] == '=' && bloblen > 0; i--)
		bloblen--;
	/* The blob: string "ssh-ed25519", string pub32 -- nothing else. */
	if (strcmp(type, SSHWIRE_KEY_TYPE) != 0) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: '%s' is not an " SSHWIRE_KEY_TYPE " key", dir, type);
		goto done;
	}
	if (bloblen != SSHWIRE_PUB_BLOB_LEN || sshwire_u32(blob) != strlen(SSHWIRE_KEY_TYPE) ||
	    memcmp(blob + 4, SSHWIRE_KEY_TYPE, strlen(SSHWIRE_KEY_TYPE)) != 0 || sshwire_u32(blob + 4 + strlen(SSHWIRE_KEY_TYPE)) != SSHWIRE_ED25519_LEN) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: not a well-formed " SSHWIRE_KEY_TYPE " key", dir);
		goto done;
	}
	if (EVP_Digest(blob, bloblen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		err = sshwire_err_ossl(C2C_EFAIL, "hashing keys/id_ed25519.pub");
		goto done;
	}
	if ((err = sshwire_base64(md, mdlen, &b64, "keys/id_ed25519.pub")) < 0)
		goto done;
	size_t n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	fp = malloc(strlen("SHA256:") + n + 1);
	if (!fp) {
		err = ERR_OOM();
		goto done;
	}
	memcpy(fp, "SHA256:", strlen("SHA256:"));
	memcpy(fp + strlen("SHA256:"), b64, n);
	fp[strlen("SHA256:") + n] = '\0';
	*out = fp;
	fp = NULL;

done:
	free(fp);
	free(b64);
	free(blob);
	free(line);
	return err;
}

int keys_line_fingerprint(const char *line, char **out)
{
	*out = NULL;
	const char *enc;
	unsigned char blob[KEYS_BLOB_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t bl = sizeof(blob);
	int perr = keys_parse_line(line, &enc, blob, NULL);
	if (perr < 0)
		return perr;
	if (EVP_Digest(blob, bl, md, &mdlen, EVP_sha256(), NULL) != 1)
		return sshwire_err_ossl(C2C_EFAIL, "hashing a public key");
	char *b64 = NULL;
	int err = sshwire_base64(md, mdlen, &b64, "a fingerprint");
	if (err < 0)
		return err;
	size_t m = strlen(b64);
	while (m && b64[m - 1] == '=')
		m--;
	b64[m] = '\0';
	size_t cap = m + 8;
	if ((*out = malloc(cap)))
		snprintf(*out, cap, "SHA256:%s", b64);
	free(b64);
	return *out ? 0 : ERR_OOM();
}

int keys_parse_line(const char *line, const char **b64, unsigned char blob[KEYS_BLOB_LEN], int *why)
{
	unsigned char buf[KEYS_B64_LEN / 4 * 3 + 1];
	size_t tn = strcspn(line, " \t");
	*b64 = NULL;
	if (why)
		*why = KEYS_LINE_TYPE;
	if (tn != strlen(SSHWIRE_KEY_TYPE) || strncmp(line, SSHWIRE_KEY_TYPE, tn))
		return err_set(C2C_EINVALID, "not an " SSHWIRE_KEY_TYPE " public key line");
	const char *enc = line + tn + strspn(line + tn, " \t");
	size_t en = strcspn(enc, " \t\r\n");
	if (why)
		*why = KEYS_LINE_KEY;
	/* No padding in 68 characters: EVP_DecodeBlock gives exactly 51. */
	int got = en == KEYS_B64_LEN ? EVP_DecodeBlock(buf, (const unsigned char *)enc, (int)en) : -1;
	if (got != KEYS_BLOB_LEN || memcmp(buf, "\0\0\0\13" SSHWIRE_KEY_TYPE "\0\0\0\40", 4 + 11 + 4))
		return err_set(C2C_EINVALID, "not a well-formed " SSHWIRE_KEY_TYPE " key");
	if (blob)
		memcpy(blob, buf, KEYS_BLOB_LEN);
	if (why)
		*why = 0;
	*b64 = enc;
	return 0;
}
