/* keys: the node's ed25519 key pair in keys/ (include/c2c/keys.h).
 *
 * The private key is written in OpenSSH's own unencrypted format
 * ("openssh-key-v1", OpenSSH PROTOCOL.key), which stock ssh and ssh-keygen
 * read; the public key as the usual one-line "ssh-ed25519 AAAA... comment".
 * All cryptography (key generation, random check ints, SHA-256, base64) is
 * OpenSSL's libcrypto. */
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

#define KEY_TYPE "ssh-ed25519"
#define KEY_COMMENT "c2c-node"
#define ED25519_LEN 32
#define PEM_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define PEM_END "-----END OPENSSH PRIVATE KEY-----\n"
#define PEM_WIDTH 70
#define PUB_BLOB_LEN (4 + 11 + 4 + ED25519_LEN) /* string KEY_TYPE, string pub */
#define PUB_MAX 8192 /* a .pub line longer than this is not ours */

/* A small fixed-size byte buffer for the SSH wire encoding. Everything we
 * encode is a few hundred bytes; OVERFLOW records that it did not fit. */
typedef struct {
	unsigned char b[512];
	size_t n;
	int overflow;
} wbuf;

static void put_bytes(wbuf *w, const void *p, size_t len)
{
	if (w->overflow || len > sizeof(w->b) - w->n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void put_u32(wbuf *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	                      (unsigned char)v};
	put_bytes(w, b, sizeof(b));
}

/* An SSH "string": uint32 length, then the bytes. */
static void put_string(wbuf *w, const void *p, size_t len)
{
	put_u32(w, (uint32_t)len);
	put_bytes(w, p, len);
}

static void put_cstring(wbuf *w, const char *s) { put_string(w, s, strlen(s)); }

static uint32_t get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + 1 + b + 1);
	if (!p)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

/* Set an error from OpenSSL's error queue, WHAT naming what failed. */
static int err_ossl(int code, const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "libcrypto error");
	ERR_clear_error();
	return err_set(code, "%s: %s", what, buf);
}

/* Base64 of LEN bytes at P, NUL-terminated, malloc'd into *OUT. */
static int base64(const unsigned char *p, size_t len, char **out, const char *what)
{
	*out = NULL;
	if (len > 3 * ((size_t)INT32_MAX / 4 - 1))
		return err_set(C2C_EINVALID, "%s: too long to encode", what);
	char *s = malloc(4 * ((len + 2) / 3) + 1);
	if (!s)
		return err_set(C2C_ENOMEM, "out of memory");
	EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	*out = s;
	return 0;
}

/* Write all of LEN bytes at P to FD (opened on PATH). */
static int write_all(int fd, const void *p, size_t len, const char *path)
{
	const char *c = p;
	while (len > 0) {
		ssize_t k = write(fd, c, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_errno(C2C_EIO, path);
		c += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Create PATH (O_EXCL when EXCL, else truncating) with MODE, write TEXT,
 * fsync and close. On failure the file is removed again if we made it. */
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

/* The PEM-like armour: base64 of BLOB wrapped at 70 columns. *out malloc'd. */
static int armour(const unsigned char *blob, size_t len, char **out, size_t *outlen, const char *path)
{
	char *b64 = NULL, *s = NULL;
	int err;
	*out = NULL;
	if ((err = base64(blob, len, &b64, path)) < 0)
		goto done;
	size_t n = strlen(b64);
	size_t cap = strlen(PEM_BEGIN) + n + n / PEM_WIDTH + 1 + strlen(PEM_END) + 1;
	s = malloc(cap);
	if (!s) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	size_t o = 0;
	memcpy(s, PEM_BEGIN, strlen(PEM_BEGIN));
	o += strlen(PEM_BEGIN);
	for (size_t i = 0; i < n; i += PEM_WIDTH) {
		size_t k = n - i < PEM_WIDTH ? n - i : PEM_WIDTH;
		memcpy(s + o, b64 + i, k);
		o += k;
		s[o++] = '\n';
	}
	memcpy(s + o, PEM_END, strlen(PEM_END));
	o += strlen(PEM_END);
	s[o] = '\0';
	*out = s;
	*outlen = o;
	s = NULL;

done:
	if (b64) {
		OPENSSL_cleanse(b64, strlen(b64));
		free(b64);
	}
	free(s);
	return err;
}

/* fsync directory PATH so the new entries in it are durable. */
static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(C2C_EIO, path);
	int err = 0;
	if (fsync(fd) < 0 && errno != EINVAL)
		err = err_errno(C2C_EIO, path);
	close(fd);
	return err;
}

int keys_create(const char *dir)
{
	char *kdir = NULL, *kpath = NULL, *ppath = NULL, *pem = NULL, *pub64 = NULL, *publine = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char pub[ED25519_LEN], seed[ED25519_LEN];
	size_t publen = sizeof(pub), seedlen = sizeof(seed), pemlen = 0;
	wbuf pubblob = {0}, priv = {0}, file = {0};
	uint32_t check;
	struct stat sb;
	int err = 0, wrote_key = 0;

	kdir = path_join(dir, "keys");
	kpath = path_join(dir, "keys/id_ed25519");
	ppath = path_join(dir, "keys/id_ed25519.pub");
	if (!kdir || !kpath || !ppath) {
		err = err_set(C2C_ENOMEM, "out of memory");
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
		err = err_ossl(C2C_EFAIL, kpath);
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    EVP_PKEY_get_raw_private_key(pkey, seed, &seedlen) != 1) {
		err = err_ossl(C2C_EFAIL, kpath);
		goto done;
	}
	if (publen != ED25519_LEN || seedlen != ED25519_LEN) {
		err = err_set(C2C_EFAIL, "%s: libcrypto gave an ed25519 key of unexpected size", kpath);
		goto done;
	}
	if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1) {
		err = err_ossl(C2C_EFAIL, kpath);
		goto done;
	}

	/* Public key blob: string type, string pub. */
	put_cstring(&pubblob, KEY_TYPE);
	put_string(&pubblob, pub, publen);

	/* Private section: check ints, type, pub, seed||pub, comment, padding. */
	put_u32(&priv, check);
	put_u32(&priv, check);
	put_cstring(&priv, KEY_TYPE);
	put_string(&priv, pub, publen);
	put_u32(&priv, (uint32_t)(seedlen + publen));
	put_bytes(&priv, seed, seedlen);
	put_bytes(&priv, pub, publen);
	put_cstring(&priv, KEY_COMMENT);
	for (unsigned char pad = 1; priv.n % 8 != 0; pad++)
		put_bytes(&priv, &pad, 1);

	/* The whole file: magic, cipher, kdf, kdf options, count, keys. */
	put_bytes(&file, "openssh-key-v1", sizeof("openssh-key-v1")); /* with its NUL */
	put_cstring(&file, "none");
	put_cstring(&file, "none");
	put_cstring(&file, "");
	put_u32(&file, 1);
	put_string(&file, pubblob.b, pubblob.n);
	put_string(&file, priv.b, priv.n);
	if (pubblob.overflow || priv.overflow || file.overflow) {
		err = err_set(C2C_EFAIL, "%s: key encoding overflowed its buffer", kpath);
		goto done;
	}

	if ((err = armour(file.b, file.n, &pem, &pemlen, kpath)) < 0)
		goto done;
	if ((err = base64(pubblob.b, pubblob.n, &pub64, ppath)) < 0)
		goto done;
	size_t linelen = strlen(KEY_TYPE) + 1 + strlen(pub64) + 1 + strlen(KEY_COMMENT) + 1;
	publine = malloc(linelen + 1);
	if (!publine) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(publine, linelen + 1, "%s %s %s\n", KEY_TYPE, pub64, KEY_COMMENT);

	if ((err = write_file(kpath, pem, pemlen, 0600, 1)) < 0)
		goto done;
	wrote_key = 1;
	if ((err = write_file(ppath, publine, strlen(publine), 0644, 0)) < 0)
		goto done;
	err = sync_dir(kdir);

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
	FILE *f = NULL;
	int err = 0;
	*out = NULL;

	path = path_join(dir, "keys/id_ed25519.pub");
	if (!path) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	f = fopen(path, "re");
	if (!f) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		goto done;
	}
	buf = malloc(PUB_MAX + 1);
	if (!buf) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	size_t n = fread(buf, 1, PUB_MAX + 1, f);
	if (ferror(f)) {
		err = err_errno(C2C_EIO, path);
		goto done;
	}
	if (n > PUB_MAX) {
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
	if (f)
		fclose(f);
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
		err = err_set(C2C_ENOMEM, "out of memory");
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
	if (strcmp(type, KEY_TYPE) != 0) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: '%s' is not an " KEY_TYPE " key", dir, type);
		goto done;
	}
	if (bloblen != PUB_BLOB_LEN || get_u32(blob) != strlen(KEY_TYPE) ||
	    memcmp(blob + 4, KEY_TYPE, strlen(KEY_TYPE)) != 0 || get_u32(blob + 4 + strlen(KEY_TYPE)) != ED25519_LEN) {
		err = err_set(C2C_ECORRUPT, "%s/keys/id_ed25519.pub: not a well-formed " KEY_TYPE " key", dir);
		goto done;
	}
	if (EVP_Digest(blob, bloblen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		err = err_ossl(C2C_EFAIL, "hashing keys/id_ed25519.pub");
		goto done;
	}
	if ((err = base64(md, mdlen, &b64, "keys/id_ed25519.pub")) < 0)
		goto done;
	size_t n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	fp = malloc(strlen("SHA256:") + n + 1);
	if (!fp) {
		err = err_set(C2C_ENOMEM, "out of memory");
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
