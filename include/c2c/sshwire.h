/* sshwire: the SSH wire encoding (RFC 4251: uint32, string), base64 and
 * the armour of OpenSSH's keys and signatures, with libcrypto's errors
 * turned into ours; shared by the key files (keys.c) and commit signatures
 * (keys_sign.c). Nothing here touches a file. */
#ifndef C2C_SSHWIRE_H
#define C2C_SSHWIRE_H

#include <stddef.h>
#include <stdint.h>

#define SSHWIRE_KEY_TYPE "ssh-ed25519"
#define SSHWIRE_ED25519_LEN 32
/* A public key blob: string SSHWIRE_KEY_TYPE, string pub. */
#define SSHWIRE_PUB_BLOB_LEN (4 + 11 + 4 + SSHWIRE_ED25519_LEN)
/* The armour lines of an OpenSSH private key (sshwire_armour's BEGIN and
 * END). */
#define SSHWIRE_PEM_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define SSHWIRE_PEM_END "-----END OPENSSH PRIVATE KEY-----"

/* A small fixed-size byte buffer to encode into. Everything we encode is a
 * few hundred bytes; OVERFLOW records that it did not fit (check it once,
 * after the last put). */
typedef struct {
	unsigned char b[512];
	size_t n;
	int overflow;
} sshwire_wbuf;

void sshwire_put_bytes(sshwire_wbuf *w, const void *p, size_t len);
void sshwire_put_u32(sshwire_wbuf *w, uint32_t v);
/* An SSH "string": uint32 length, then the bytes. */
void sshwire_put_string(sshwire_wbuf *w, const void *p, size_t len);
void sshwire_put_cstring(sshwire_wbuf *w, const char *s);
/* The big-endian uint32 at P. */
uint32_t sshwire_u32(const unsigned char *p);

/* Reading the encoding; BAD records a short or malformed read (the getters
 * then answer NULL or 0). */
typedef struct {
	const unsigned char *p;
	size_t n;
	int bad;
} sshwire_rbuf;

const unsigned char *sshwire_get_bytes(sshwire_rbuf *r, size_t len);
uint32_t sshwire_get_u32(sshwire_rbuf *r);
const unsigned char *sshwire_get_string(sshwire_rbuf *r, size_t *len);
/* Is the string read from R exactly S? */
int sshwire_get_is(sshwire_rbuf *r, const char *s);

/* Set an error from OpenSSL's error queue, WHAT naming what failed. */
int sshwire_err_ossl(int code, const char *what);

/* Base64 of LEN bytes at P, NUL-terminated, malloc'd into *OUT. */
int sshwire_base64(const unsigned char *p, size_t len, char **out, const char *what);

/* The armour: the line BEGIN (with its newline), the base64 of BLOB
 * wrapped at 70 columns, the line END (given without its newline).
 * *out malloc'd, NUL-terminated; *outlen its length when OUTLEN is not
 * NULL. The base64 is wiped before it is freed (a private key's). */
int sshwire_armour(const unsigned char *blob, size_t len, const char *begin, const char *end, char **out,
                   size_t *outlen, const char *what);

/* Decode the base64 between the armour lines of TEXT (BEGIN and END lines
 * as given); line breaks are skipped. *out malloc'd. */
int sshwire_unarmour(const char *text, size_t len, const char *begin, const char *end, unsigned char **out,
                     size_t *outlen, const char *what);

/* "ssh-ed25519 BASE64", and " COMMENT\n" after it when COMMENT is given (a
 * line of id_ed25519.pub); NULL when out of memory. */
char *sshwire_key_line(const char *b64, const char *comment);

/* "ssh-ed25519 BASE64" of a 32-byte public key. *out malloc'd. */
int sshwire_pub_line(const unsigned char *pub, char **out, const char *what);

#endif
