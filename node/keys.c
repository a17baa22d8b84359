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
/* "ssh-ed25519 BASE64", and " COMMENT\n" after it when COMMENT is given (a
 * line of id_ed25519.pub); NULL when out of memory. Copied piece by piece into
 * a buffer of the exact length: no format, so no int-sized limit to check. */
static char *key_line(const char *b64, const char *comment)
{
	size_t tl = strlen(KEY_TYPE), bl = strlen(b64), cl = comment ? strlen(comment) : 0;
	char *line = malloc(tl + 1 + bl + (comment ? 1 + cl + 1 : 0) + 1);
	if (!line)
		return NULL;
	char *p = line;
	memcpy(p, KEY_TYPE, tl);
	p += tl;
	*p++ = ' ';
	memcpy(p, b64, bl);
	p += bl;
	if (comment) {
		*p++ = ' ';
		memcpy(p, comment, cl);
		p += cl;
		*p++ = '\n';
	}
	*p = '\0';
	return line;
}

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
	if (!(publine = key_line(pub64, KEY_COMMENT))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}

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

/* ---------------------------------------------------------------- signing
 * git's SSH signatures are OpenSSH's SSHSIG (PROTOCOL.sshsig): the key signs
 *   "SSHSIG" string(namespace) string(reserved) string(hash) string(H(msg))
 * and the armoured signature is the base64 of
 *   "SSHSIG" uint32(1) string(public key blob) string(namespace)
 *   string(reserved) string(hash) string(string(key type) string(sig)).
 * We sign with namespace "git" and sha512, as `ssh-keygen -Y sign -n git`. */

#define SIG_MAGIC "SSHSIG"
#define SIG_NAMESPACE "git"
#define SIG_HASH "sha512"
#define SIG_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define SIG_END "-----END SSH SIGNATURE-----"
#define SIG_MAX 4096 /* an armoured ed25519 signature is about 300 bytes */

struct keys_signer {
	EVP_PKEY *pkey;
	char *line; /* "ssh-ed25519 BASE64" */
};

/* Reading the SSH wire encoding; BAD records a short or malformed read. */
typedef struct {
	const unsigned char *p;
	size_t n;
	int bad;
} rbuf;

static const unsigned char *get_bytes(rbuf *r, size_t len)
{
	if (r->bad || len > r->n) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p;
	r->p += len;
	r->n -= len;
	return p;
}

static uint32_t get_u32r(rbuf *r)
{
	const unsigned char *p = get_bytes(r, 4);
	return p ? get_u32(p) : 0;
}

static const unsigned char *get_string(rbuf *r, size_t *len)
{
	*len = get_u32r(r);
	return get_bytes(r, *len);
}

/* Is the string read from R exactly S? */
static int get_is(rbuf *r, const char *s)
{
	size_t len;
	const unsigned char *p = get_string(r, &len);
	return p && len == strlen(s) && !memcmp(p, s, len);
}

/* Decode the base64 between the armour lines of TEXT (BEGIN and END lines
 * as given); line breaks are skipped. *out malloc'd. */
static int unarmour(const char *text, size_t len, const char *begin, const char *end, unsigned char **out,
                    size_t *outlen, const char *what)
{
	*out = NULL;
	size_t bl = strlen(begin);
	if (len < bl || memcmp(text, begin, bl))
		return err_set(C2C_ECORRUPT, "%s: no '%.*s' line", what, (int)(bl - 1), begin);
	char *b64 = malloc(len + 1);
	if (!b64)
		return err_set(C2C_ENOMEM, "out of memory");
	size_t m = 0, i = bl;
	int ended = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t l = e - i;
		if (l && text[e - 1] == '\r')
			l--;
		if (l == strlen(end) && !memcmp(text + i, end, l)) {
			ended = 1;
			break;
		}
		for (size_t j = 0; j < l; j++) {
			char c = text[i + j];
			if (!(c == '+' || c == '/' || c == '=' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z'))) {
				free(b64);
				return err_set(C2C_ECORRUPT, "%s: not base64 inside the armour", what);
			}
			b64[m++] = c;
		}
		i = e + 1;
	}
	if (!ended || m == 0 || m % 4 != 0 || m > INT32_MAX) {
		free(b64);
		return err_set(C2C_ECORRUPT, "%s: the armour is cut short or not base64", what);
	}
	unsigned char *bin = malloc(m / 4 * 3 + 1);
	int got = bin ? EVP_DecodeBlock(bin, (unsigned char *)b64, (int)m) : -1;
	if (got < 0) {
		free(bin);
		OPENSSL_cleanse(b64, m);
		free(b64);
		return bin ? err_set(C2C_ECORRUPT, "%s: not base64 inside the armour", what)
		           : err_set(C2C_ENOMEM, "out of memory");
	}
	size_t n = (size_t)got;
	for (size_t k = m; k > 0 && b64[k - 1] == '=' && n > 0; k--)
		n--;
	OPENSSL_cleanse(b64, m);
	free(b64);
	*out = bin;
	*outlen = n;
	return 0;
}

/* "ssh-ed25519 BASE64" of a 32-byte public key. */
static int pub_line(const unsigned char *pub, char **out, const char *what)
{
	wbuf b = {0};
	char *b64 = NULL;
	int err;
	put_cstring(&b, KEY_TYPE);
	put_string(&b, pub, ED25519_LEN);
	if ((err = base64(b.b, b.n, &b64, what)) < 0)
		return err;
	*out = key_line(b64, NULL);
	free(b64);
	return *out ? 0 : err_set(C2C_ENOMEM, "out of memory");
}

int keys_signer_load(keys_signer **out, const char *dir)
{
	char *path = NULL, *text = NULL;
	unsigned char *bin = NULL;
	size_t binlen = 0, len = 0;
	keys_signer *s = NULL;
	FILE *f = NULL;
	int err = 0;
	*out = NULL;
	if (!(path = path_join(dir, "keys/id_ed25519")) || !(text = malloc(SIG_MAX + 1))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	if (!(f = fopen(path, "re"))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		goto done;
	}
	len = fread(text, 1, SIG_MAX + 1, f);
	if (ferror(f) || len > SIG_MAX) {
		err = ferror(f) ? err_errno(C2C_EIO, path) : err_set(C2C_ECORRUPT, "%s: too long for a key", path);
		goto done;
	}
	if ((err = unarmour(text, len, PEM_BEGIN, "-----END OPENSSH PRIVATE KEY-----", &bin, &binlen, path)) < 0)
		goto done;
	rbuf r = {bin, binlen, 0};
	size_t l1, l2, l3, l4;
	const unsigned char *magic = get_bytes(&r, sizeof("openssh-key-v1"));
	if (!magic || memcmp(magic, "openssh-key-v1", sizeof("openssh-key-v1")) || !get_is(&r, "none") ||
	    !get_is(&r, "none") || !get_is(&r, "") || get_u32r(&r) != 1) {
		err = err_set(C2C_ECORRUPT, "%s: not an unencrypted OpenSSH key with one key in it", path);
		goto done;
	}
	get_string(&r, &l1); /* the public key blob, repeated inside */
	const unsigned char *sec = get_string(&r, &l2);
	if (r.bad || !sec) {
		err = err_set(C2C_ECORRUPT, "%s: cut short", path);
		goto done;
	}
	rbuf p = {sec, l2, 0};
	uint32_t c1 = get_u32r(&p), c2 = get_u32r(&p);
	int type_ok = get_is(&p, KEY_TYPE);
	const unsigned char *pub = get_string(&p, &l3), *priv = get_string(&p, &l4);
	if (p.bad || c1 != c2 || !type_ok || l3 != ED25519_LEN || l4 != 2 * ED25519_LEN ||
	    memcmp(priv + ED25519_LEN, pub, ED25519_LEN)) {
		err = err_set(C2C_ECORRUPT, "%s: not a well-formed " KEY_TYPE " private key", path);
		goto done;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	if (!(s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, ED25519_LEN))) {
		err = err_ossl(C2C_EFAIL, path);
		goto done;
	}
	if ((err = pub_line(pub, &s->line, path)) < 0)
		goto done;
	*out = s;
	s = NULL;
done:
	keys_signer_free(s);
	if (f)
		fclose(f);
	if (bin) {
		OPENSSL_cleanse(bin, binlen);
		free(bin);
	}
	if (text) {
		OPENSSL_cleanse(text, SIG_MAX + 1);
		free(text);
	}
	free(path);
	return err;
}

void keys_signer_free(keys_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	free(s->line);
	free(s);
}

const char *keys_signer_public(const keys_signer *s) { return s->line; }

/* The bytes an SSHSIG signature covers, for message BUF. */
static int signed_data(const char *buf, size_t len, wbuf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha512(), NULL) != 1)
		return err_ossl(C2C_EFAIL, "hashing a commit to sign");
	put_bytes(out, SIG_MAGIC, strlen(SIG_MAGIC));
	put_cstring(out, SIG_NAMESPACE);
	put_cstring(out, "");
	put_cstring(out, SIG_HASH);
	put_string(out, md, mdlen);
	return out->overflow ? err_set(C2C_EFAIL, "signature encoding overflowed its buffer") : 0;
}

int keys_sign_git(const keys_signer *s, const char *buf, size_t len, char **armored)
{
	wbuf data = {0}, sig = {0}, blob = {0}, pubblob = {0};
	unsigned char raw[64];
	size_t rawlen = sizeof(raw);
	char *b64 = NULL;
	EVP_MD_CTX *ctx = NULL;
	int err;
	*armored = NULL;
	if ((err = signed_data(buf, len, &data)) < 0)
		return err;
	if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) != 1 ||
	    EVP_DigestSign(ctx, raw, &rawlen, data.b, data.n) != 1) {
		err = err_ossl(C2C_EFAIL, "signing a commit");
		goto done;
	}
	/* The public key blob, from the line "ssh-ed25519 BASE64". */
	const char *enc = strchr(s->line, ' ') + 1;
	unsigned char pb[128];
	int got = EVP_DecodeBlock(pb, (const unsigned char *)enc, (int)strlen(enc));
	if (got < (int)PUB_BLOB_LEN) {
		err = err_set(C2C_EFAIL, "the node's public key does not decode");
		goto done;
	}
	put_bytes(&pubblob, pb, PUB_BLOB_LEN);
	put_cstring(&sig, KEY_TYPE);
	put_string(&sig, raw, rawlen);
	put_bytes(&blob, SIG_MAGIC, strlen(SIG_MAGIC));
	put_u32(&blob, 1);
	put_string(&blob, pubblob.b, pubblob.n);
	put_cstring(&blob, SIG_NAMESPACE);
	put_cstring(&blob, "");
	put_cstring(&blob, SIG_HASH);
	put_string(&blob, sig.b, sig.n);
	if (blob.overflow || sig.overflow || pubblob.overflow) {
		err = err_set(C2C_EFAIL, "signature encoding overflowed its buffer");
		goto done;
	}
	if ((err = base64(blob.b, blob.n, &b64, "a signature")) < 0)
		goto done;
	size_t n = strlen(b64), cap = strlen(SIG_BEGIN) + n + n / PEM_WIDTH + 2 + strlen(SIG_END) + 2;
	char *o = malloc(cap);
	if (!o) {
		err = err_set(C2C_ENOMEM, "out of memory");
		goto done;
	}
	size_t m = 0;
	memcpy(o, SIG_BEGIN, strlen(SIG_BEGIN));
	m = strlen(SIG_BEGIN);
	for (size_t i = 0; i < n; i += PEM_WIDTH) {
		size_t k = n - i < PEM_WIDTH ? n - i : PEM_WIDTH;
		memcpy(o + m, b64 + i, k);
		m += k;
		o[m++] = '\n';
	}
	memcpy(o + m, SIG_END "\n", strlen(SIG_END) + 2);
	*armored = o;
done:
	EVP_MD_CTX_free(ctx);
	free(b64);
	return err;
}

int keys_verify_git(const char *buf, size_t len, const char *armored, size_t siglen, char **signer)
{
	unsigned char *bin = NULL;
	size_t binlen = 0, l;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	wbuf data = {0};
	int err;
	*signer = NULL;
	if (siglen > SIG_MAX)
		return err_set(C2C_ECORRUPT, "the signature is longer than any SSH signature");
	if ((err = unarmour(armored, siglen, SIG_BEGIN, SIG_END, &bin, &binlen, "the signature")) < 0)
		return err;
	rbuf r = {bin, binlen, 0};
	const unsigned char *magic = get_bytes(&r, strlen(SIG_MAGIC));
	if (!magic || memcmp(magic, SIG_MAGIC, strlen(SIG_MAGIC)) || get_u32r(&r) != 1) {
		err = err_set(C2C_ECORRUPT, "the signature is not an SSH signature (SSHSIG version 1)");
		goto done;
	}
	const unsigned char *pb = get_string(&r, &l);
	rbuf pk = {pb, pb ? l : 0, 0};
	int ktype = get_is(&pk, KEY_TYPE);
	const unsigned char *pub = get_string(&pk, &l);
	if (!pb || !ktype || !pub || l != ED25519_LEN || pk.n) {
		err = err_set(C2C_EINVALID, "the signature is not made with an " KEY_TYPE " key");
		goto done;
	}
	if (!get_is(&r, SIG_NAMESPACE)) {
		err = err_set(C2C_EINVALID, "the signature is not for namespace '" SIG_NAMESPACE "'");
		goto done;
	}
	get_string(&r, &l); /* reserved */
	if (!get_is(&r, SIG_HASH)) {
		err = err_set(C2C_EINVALID, "the signature does not use " SIG_HASH);
		goto done;
	}
	const unsigned char *sb = get_string(&r, &l);
	rbuf sr = {sb, sb ? l : 0, 0};
	int stype = get_is(&sr, KEY_TYPE);
	const unsigned char *raw = get_string(&sr, &l);
	if (r.bad || r.n || !sb || !stype || !raw || l != 64 || sr.n) {
		err = err_set(C2C_ECORRUPT, "the signature is malformed");
		goto done;
	}
	if ((err = signed_data(buf, len, &data)) < 0)
		goto done;
	if (!(pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_LEN)) ||
	    !(ctx = EVP_MD_CTX_new()) || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		err = err_ossl(C2C_EFAIL, "checking a signature");
		goto done;
	}
	if (EVP_DigestVerify(ctx, raw, 64, data.b, data.n) != 1) {
		ERR_clear_error();
		err = err_set(C2C_EAUTH, "the signature does not match the commit");
		goto done;
	}
	err = pub_line(pub, signer, "the signature");
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(bin);
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
		return err_ossl(C2C_EFAIL, "hashing a public key");
	char *b64 = NULL;
	int err = base64(md, mdlen, &b64, "a fingerprint");
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
	return *out ? 0 : err_set(C2C_ENOMEM, "out of memory");
}

int keys_parse_line(const char *line, const char **b64, unsigned char blob[KEYS_BLOB_LEN], int *why)
{
	unsigned char buf[KEYS_B64_LEN / 4 * 3 + 1];
	size_t tn = strcspn(line, " \t");
	*b64 = NULL;
	if (why)
		*why = KEYS_LINE_TYPE;
	if (tn != strlen(KEY_TYPE) || strncmp(line, KEY_TYPE, tn))
		return err_set(C2C_EINVALID, "not an " KEY_TYPE " public key line");
	const char *enc = line + tn + strspn(line + tn, " \t");
	size_t en = strcspn(enc, " \t\r\n");
	if (why)
		*why = KEYS_LINE_KEY;
	/* No padding in 68 characters: EVP_DecodeBlock gives exactly 51. */
	int got = en == KEYS_B64_LEN ? EVP_DecodeBlock(buf, (const unsigned char *)enc, (int)en) : -1;
	if (got != KEYS_BLOB_LEN || memcmp(buf, "\0\0\0\13" KEY_TYPE "\0\0\0\40", 4 + 11 + 4))
		return err_set(C2C_EINVALID, "not a well-formed " KEY_TYPE " key");
	if (blob)
		memcpy(blob, buf, KEYS_BLOB_LEN);
	if (why)
		*why = 0;
	*b64 = enc;
	return 0;
}
