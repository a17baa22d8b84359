/* keys_sign: commit signatures with the node's key (include/c2c/keys.h).
 *
 * git's SSH signatures are OpenSSH's SSHSIG (PROTOCOL.sshsig): the key signs
 *   "SSHSIG" string(namespace) string(reserved) string(hash) string(H(msg))
 * and the armoured signature is the base64 of
 *   "SSHSIG" uint32(1) string(public key blob) string(namespace)
 *   string(reserved) string(hash) string(string(key type) string(sig)).
 * We sign with namespace "git" and sha512, as `ssh-keygen -Y sign -n git`. */
#include "c2c/keys.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/sshwire.h"

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

int keys_signer_load(keys_signer **out, const char *dir)
{
	char *path = NULL, *text = NULL;
	unsigned char *bin = NULL;
	size_t binlen = 0, len = 0;
	keys_signer *s = NULL;
	FILE *f = NULL;
	int err = 0;
	*out = NULL;
	size_t plen = strlen(dir) + sizeof("/keys/id_ed25519");
	if (!(path = malloc(plen)) || !(text = malloc(SIG_MAX + 1))) {
		err = ERR_OOM();
		goto done;
	}
	snprintf(path, plen, "%s/keys/id_ed25519", dir);
	if (!(f = fopen(path, "re"))) {
		err = err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
		goto done;
	}
	len = fread(text, 1, SIG_MAX + 1, f);
	if (ferror(f) || len > SIG_MAX) {
		err = ferror(f) ? err_errno(C2C_EIO, path) : err_set(C2C_ECORRUPT, "%s: too long for a key", path);
		goto done;
	}
	if ((err = sshwire_unarmour(text, len, SSHWIRE_PEM_BEGIN, SSHWIRE_PEM_END, &bin, &binlen, path)) < 0)
		goto done;
	sshwire_rbuf r = {bin, binlen, 0};
	size_t l1, l2, l3, l4;
	const unsigned char *magic = sshwire_get_bytes(&r, sizeof("openssh-key-v1"));
	if (!magic || memcmp(magic, "openssh-key-v1", sizeof("openssh-key-v1")) || !sshwire_get_is(&r, "none") ||
	    !sshwire_get_is(&r, "none") || !sshwire_get_is(&r, "") || sshwire_get_u32(&r) != 1) {
		err = err_set(C2C_ECORRUPT, "%s: not an unencrypted OpenSSH key with one key in it", path);
		goto done;
	}
	sshwire_get_string(&r, &l1); /* the public key blob, repeated inside */
	const unsigned char *sec = sshwire_get_string(&r, &l2);
	if (r.bad || !sec) {
		err = err_set(C2C_ECORRUPT, "%s: cut short", path);
		goto done;
	}
	sshwire_rbuf p = {sec, l2, 0};
	uint32_t c1 = sshwire_get_u32(&p), c2 = sshwire_get_u32(&p);
	int type_ok = sshwire_get_is(&p, SSHWIRE_KEY_TYPE);
	const unsigned char *pub = sshwire_get_string(&p, &l3), *priv = sshwire_get_string(&p, &l4);
	if (p.bad || c1 != c2 || !type_ok || l3 != SSHWIRE_ED25519_LEN || l4 != 2 * SSHWIRE_ED25519_LEN ||
	    memcmp(priv + SSHWIRE_ED25519_LEN, pub, SSHWIRE_ED25519_LEN)) {
		err = err_set(C2C_ECORRUPT, "%s: not a well-formed " SSHWIRE_KEY_TYPE " private key", path);
		goto done;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		err = ERR_OOM();
		goto done;
	}
	if (!(s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, SSHWIRE_ED25519_LEN))) {
		err = sshwire_err_ossl(C2C_EFAIL, path);
		goto done;
	}
	if ((err = sshwire_pub_line(pub, &s->line, path)) < 0)
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
static int signed_data(const char *buf, size_t len, sshwire_wbuf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha512(), NULL) != 1)
		return sshwire_err_ossl(C2C_EFAIL, "hashing a commit to sign");
	sshwire_put_bytes(out, SIG_MAGIC, strlen(SIG_MAGIC));
	sshwire_put_cstring(out, SIG_NAMESPACE);
	sshwire_put_cstring(out, "");
	sshwire_put_cstring(out, SIG_HASH);
	sshwire_put_string(out, md, mdlen);
	return out->overflow ? err_set(C2C_EFAIL, "signature encoding overflowed its buffer") : 0;
}

int keys_sign_git(const keys_signer *s, const char *buf, size_t len, char **armored)
{
	sshwire_wbuf data = {0}, sig = {0}, blob = {0}, pubblob = {0};
	unsigned char raw[64];
	size_t rawlen = sizeof(raw);
	EVP_MD_CTX *ctx = NULL;
	int err;
	*armored = NULL;
	if ((err = signed_data(buf, len, &data)) < 0)
		return err;
	if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) != 1 ||
	    EVP_DigestSign(ctx, raw, &rawlen, data.b, data.n) != 1) {
		err = sshwire_err_ossl(C2C_EFAIL, "signing a commit");
		goto done;
	}
	/* The public key blob, from the line "ssh-ed25519 BASE64". */
	const char *enc = strchr(s->line, ' ') + 1;
	unsigned char pb[128];
	int got = EVP_DecodeBlock(pb, (const unsigned char *)enc, (int)strlen(enc));
	if (got < (int)SSHWIRE_PUB_BLOB_LEN) {
		err = err_set(C2C_EFAIL, "the node's public key does not decode");
		goto done;
	}
	sshwire_put_bytes(&pubblob, pb, SSHWIRE_PUB_BLOB_LEN);
	sshwire_put_cstring(&sig, SSHWIRE_KEY_TYPE);
	sshwire_put_string(&sig, raw, rawlen);
	sshwire_put_bytes(&blob, SIG_MAGIC, strlen(SIG_MAGIC));
	sshwire_put_u32(&blob, 1);
	sshwire_put_string(&blob, pubblob.b, pubblob.n);
	sshwire_put_cstring(&blob, SIG_NAMESPACE);
	sshwire_put_cstring(&blob, "");
	sshwire_put_cstring(&blob, SIG_HASH);
	sshwire_put_string(&blob, sig.b, sig.n);
	if (blob.overflow || sig.overflow || pubblob.overflow) {
		err = err_set(C2C_EFAIL, "signature encoding overflowed its buffer");
		goto done;
	}
	err = sshwire_armour(blob.b, blob.n, SIG_BEGIN, SIG_END, armored, NULL, "a signature");
done:
	EVP_MD_CTX_free(ctx);
	return err;
}

int keys_verify_git(const char *buf, size_t len, const char *armored, size_t siglen, char **signer)
{
	unsigned char *bin = NULL;
	size_t binlen = 0, l;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	sshwire_wbuf data = {0};
	int err;
	*signer = NULL;
	if (siglen > SIG_MAX)
		return err_set(C2C_ECORRUPT, "the signature is longer than any SSH signature");
	if ((err = sshwire_unarmour(armored, siglen, SIG_BEGIN, SIG_END, &bin, &binlen, "the signature")) < 0)
		return err;
	sshwire_rbuf r = {bin, binlen, 0};
	const unsigned char *magic = sshwire_get_bytes(&r, strlen(SIG_MAGIC));
	if (!magic || memcmp(magic, SIG_MAGIC, strlen(SIG_MAGIC)) || sshwire_get_u32(&r) != 1) {
		err = err_set(C2C_ECORRUPT, "the signature is not an SSH signature (SSHSIG version 1)");
		goto done;
	}
	const unsigned char *pb = sshwire_get_string(&r, &l);
	sshwire_rbuf pk = {pb, pb ? l : 0, 0};
	int ktype = sshwire_get_is(&pk, SSHWIRE_KEY_TYPE);
	const unsigned char *pub = sshwire_get_string(&pk, &l);
	if (!pb || !ktype || !pub || l != SSHWIRE_ED25519_LEN || pk.n) {
		err = err_set(C2C_EINVALID, "the signature is not made with an " SSHWIRE_KEY_TYPE " key");
		goto done;
	}
	if (!sshwire_get_is(&r, SIG_NAMESPACE)) {
		err = err_set(C2C_EINVALID, "the signature is not for namespace '" SIG_NAMESPACE "'");
		goto done;
	}
	sshwire_get_string(&r, &l); /* reserved */
	if (!sshwire_get_is(&r, SIG_HASH)) {
		err = err_set(C2C_EINVALID, "the signature does not use " SIG_HASH);
		goto done;
	}
	const unsigned char *sb = sshwire_get_string(&r, &l);
	sshwire_rbuf sr = {sb, sb ? l : 0, 0};
	int stype = sshwire_get_is(&sr, SSHWIRE_KEY_TYPE);
	const unsigned char *raw = sshwire_get_string(&sr, &l);
	if (r.bad || r.n || !sb || !stype || !raw || l != 64 || sr.n) {
		err = err_set(C2C_ECORRUPT, "the signature is malformed");
		goto done;
	}
	if ((err = signed_data(buf, len, &data)) < 0)
		goto done;
	if (!(pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, SSHWIRE_ED25519_LEN)) ||
	    !(ctx = EVP_MD_CTX_new()) || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		err = sshwire_err_ossl(C2C_EFAIL, "checking a signature");
		goto done;
	}
	if (EVP_DigestVerify(ctx, raw, 64, data.b, data.n) != 1) {
		ERR_clear_error();
		err = err_set(C2C_EAUTH, "the signature does not match the commit");
		goto done;
	}
	err = sshwire_pub_line(pub, signer, "the signature");
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(bin);
	return err;
}
