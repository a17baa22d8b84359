/* sshwire: the SSH wire encoding, base64 and armour (include/c2c/sshwire.h).
 * All cryptography (base64 included) is OpenSSL's libcrypto. */
#include "c2c/sshwire.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"

#define PEM_WIDTH 70

void sshwire_put_bytes(sshwire_wbuf *w, const void *p, size_t len)
{
	if (w->overflow || len > sizeof(w->b) - w->n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

void sshwire_put_u32(sshwire_wbuf *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	                      (unsigned char)v};
	sshwire_put_bytes(w, b, sizeof(b));
}

/* An SSH "string": uint32 length, then the bytes. */
void sshwire_put_string(sshwire_wbuf *w, const void *p, size_t len)
{
	sshwire_put_u32(w, (uint32_t)len);
	sshwire_put_bytes(w, p, len);
}

void sshwire_put_cstring(sshwire_wbuf *w, const char *s) { sshwire_put_string(w, s, strlen(s)); }

uint32_t sshwire_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Set an error from OpenSSL's error queue, WHAT naming what failed. */
int sshwire_err_ossl(int code, const char *what)
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
int sshwire_base64(const unsigned char *p, size_t len, char **out, const char *what)
{
	*out = NULL;
	if (len > 3 * ((size_t)INT32_MAX / 4 - 1))
		return err_set(C2C_EINVALID, "%s: too long to encode", what);
	char *s = malloc(4 * ((len + 2) / 3) + 1);
	if (!s)
		return ERR_OOM();
	EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	*out = s;
	return 0;
}

/* "ssh-ed25519 BASE64", and " COMMENT\n" after it when COMMENT is given (a
 * line of id_ed25519.pub); NULL when out of memory. Copied piece by piece into
 * a buffer of the exact length: no format, so no int-sized limit to check. */
char *sshwire_key_line(const char *b64, const char *comment)
{
	size_t tl = strlen(SSHWIRE_KEY_TYPE), bl = strlen(b64), cl = comment ? strlen(comment) : 0;
	char *line = malloc(tl + 1 + bl + (comment ? 1 + cl + 1 : 0) + 1);
	if (!line)
		return NULL;
	char *p = line;
	memcpy(p, SSHWIRE_KEY_TYPE, tl);
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

int sshwire_armour(const unsigned char *blob, size_t len, const char *begin, const char *end, char **out,
                   size_t *outlen, const char *what)
{
	char *b64 = NULL, *s = NULL;
	int err;
	*out = NULL;
	if ((err = sshwire_base64(blob, len, &b64, what)) < 0)
		goto done;
	size_t n = strlen(b64), bl = strlen(begin), el = strlen(end);
	size_t cap = bl + n + n / PEM_WIDTH + 1 + el + 2;
	s = malloc(cap);
	if (!s) {
		err = ERR_OOM();
		goto done;
	}
	size_t o = 0;
	memcpy(s, begin, bl);
	o += bl;
	for (size_t i = 0; i < n; i += PEM_WIDTH) {
		size_t k = n - i < PEM_WIDTH ? n - i : PEM_WIDTH;
		memcpy(s + o, b64 + i, k);
		o += k;
		s[o++] = '\n';
	}
	memcpy(s + o, end, el);
	o += el;
	s[o++] = '\n';
	s[o] = '\0';
	*out = s;
	if (outlen)
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

const unsigned char *sshwire_get_bytes(sshwire_rbuf *r, size_t len)
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

uint32_t sshwire_get_u32(sshwire_rbuf *r)
{
	const unsigned char *p = sshwire_get_bytes(r, 4);
	return p ? sshwire_u32(p) : 0;
}

const unsigned char *sshwire_get_string(sshwire_rbuf *r, size_t *len)
{
	*len = sshwire_get_u32(r);
	return sshwire_get_bytes(r, *len);
}

/* Is the string read from R exactly S? */
int sshwire_get_is(sshwire_rbuf *r, const char *s)
{
	size_t len;
	const unsigned char *p = sshwire_get_string(r, &len);
	return p && len == strlen(s) && !memcmp(p, s, len);
}

/* Decode the base64 between the armour lines of TEXT (BEGIN and END lines
 * as given); line breaks are skipped. *out malloc'd. */
int sshwire_unarmour(const char *text, size_t len, const char *begin, const char *end, unsigned char **out,
                     size_t *outlen, const char *what)
{
	*out = NULL;
	size_t bl = strlen(begin);
	if (len < bl || memcmp(text, begin, bl))
		return err_set(C2C_ECORRUPT, "%s: no '%.*s' line", what, (int)(bl - 1), begin);
	char *b64 = malloc(len + 1);
	if (!b64)
		return ERR_OOM();
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
		return bin ? err_set(C2C_ECORRUPT, "%s: not base64 inside the armour", what) : ERR_OOM();
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
int sshwire_pub_line(const unsigned char *pub, char **out, const char *what)
{
	sshwire_wbuf b = {0};
	char *b64 = NULL;
	int err;
	sshwire_put_cstring(&b, SSHWIRE_KEY_TYPE);
	sshwire_put_string(&b, pub, SSHWIRE_ED25519_LEN);
	if ((err = sshwire_base64(b.b, b.n, &b64, what)) < 0)
		return err;
	*out = sshwire_key_line(b64, NULL);
	free(b64);
	return *out ? 0 : ERR_OOM();
}
