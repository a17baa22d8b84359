/* Unit tests of the node key pair (include/c2c/keys.h), checked against
 * OpenSSH's own ssh-keygen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/keys.h"

#define SSH_KEYGEN "/usr/bin/ssh-keygen"

static char *tmp_dir(void)
{
	char *d = strdup("/tmp/c2c-keys-XXXXXX");
	assert_non_null(d);
	if (!mkdtemp(d))
		fail_msg("mkdtemp failed");
	return d;
}

static void rm_dir(char *d)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

static char *path_of(const char *dir, const char *name)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* Run CMD through the shell; return its stdout (trailing newline stripped)
 * and its exit status in *STATUS. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *buf = calloc(1, 8192);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 8191, p);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*status = pclose(p);
	return buf;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = calloc(1, 8192);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 8191, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

static void test_create_matches_openssh(void **state)
{
	(void)state;
	char *d = tmp_dir(), cmd[1024], *out, *pub = NULL, *fp = NULL;
	int rc, status;
	struct stat sb;

	rc = keys_create(d);
	if (rc != 0)
		fail_msg("keys_create -> %d: %s", rc, err_msg());

	/* Modes. */
	assert_int_equal(stat(path_of(d, "keys"), &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 077, 0);
	assert_int_equal(stat(path_of(d, "keys/id_ed25519"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(path_of(d, "keys/id_ed25519.pub"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);

	/* The private key file's armour. */
	char *pem = read_text(path_of(d, "keys/id_ed25519"));
	assert_int_equal(strncmp(pem, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36), 0);
	size_t pl = strlen(pem);
	assert_true(pl > 34);
	assert_string_equal(pem + pl - 34, "-----END OPENSSH PRIVATE KEY-----\n");
	for (char *l = strchr(pem, '\n') + 1; *l && *l != '-'; l = strchr(l, '\n') + 1)
		assert_true(strchr(l, '\n') - l <= 70);
	free(pem);

	/* The .pub file and keys_public. */
	char *pubfile = read_text(path_of(d, "keys/id_ed25519.pub"));
	assert_int_equal(strncmp(pubfile, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37), 0);
	assert_string_equal(pubfile + strlen(pubfile) - 10, " c2c-node\n");
	rc = keys_public(d, &pub);
	if (rc != 0)
		fail_msg("keys_public -> %d: %s", rc, err_msg());
	pubfile[strlen(pubfile) - 1] = '\0';
	assert_string_equal(pub, pubfile);
	free(pubfile);

	/* ssh-keygen derives the same public key from the private key file. */
	snprintf(cmd, sizeof(cmd), SSH_KEYGEN " -y -f '%s' 2>&1", path_of(d, "keys/id_ed25519"));
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -y failed: %s", out);
	char *third = strrchr(pub, ' ');
	assert_non_null(third);
	/* ssh-keygen -y prints "type base64 comment" (newer) or "type base64". */
	assert_int_equal(strncmp(out, pub, (size_t)(third - pub)), 0);
	assert_true(out[third - pub] == '\0' || out[third - pub] == ' ');
	free(out);

	/* Fingerprint as ssh-keygen -l prints it. */
	rc = keys_fingerprint(d, &fp);
	if (rc != 0)
		fail_msg("keys_fingerprint -> %d: %s", rc, err_msg());
	assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
	assert_int_equal(strlen(fp), 7 + 43);
	snprintf(cmd, sizeof(cmd), SSH_KEYGEN " -lf '%s' 2>&1", path_of(d, "keys/id_ed25519.pub"));
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -lf failed: %s", out);
	/* "256 SHA256:xxxx c2c-node (ED25519)" */
	char expect[256];
	snprintf(expect, sizeof(expect), "256 %s c2c-node (ED25519)", fp);
	assert_string_equal(out, expect);
	free(out);

	/* Sign with the private key, verify with the public key. */
	write_text(path_of(d, "msg"), "hello from c2c\n");
	snprintf(cmd, sizeof(cmd), SSH_KEYGEN " -Y sign -n git -f '%s/keys/id_ed25519' '%s/msg' 2>&1", d, d);
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -Y sign failed: %s", out);
	free(out);
	char allowed[1024];
	snprintf(allowed, sizeof(allowed), "node@c2c namespaces=\"git\" %s\n", pub);
	write_text(path_of(d, "allowed_signers"), allowed);
	snprintf(cmd, sizeof(cmd),
	         SSH_KEYGEN " -Y verify -n git -I node@c2c -f '%s/allowed_signers' -s '%s/msg.sig' < '%s/msg' 2>&1", d,
	         d, d);
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -Y verify failed: %s", out);
	assert_non_null(strstr(out, "Good"));
	free(out);

	/* A second key pair is refused, and the first one stays. */
	err_clear();
	rc = keys_create(d);
	assert_int_equal(rc, C2C_EINVALID);
	assert_non_null(strstr(err_msg(), "keys/id_ed25519"));
	char *pub2 = NULL;
	assert_int_equal(keys_public(d, &pub2), 0);
	assert_string_equal(pub2, pub);
	free(pub2);

	free(fp);
	free(pub);
	rm_dir(d);
}

static void test_two_keys_differ(void **state)
{
	(void)state;
	char *a = tmp_dir(), *b = tmp_dir(), *pa = NULL, *pb = NULL;
	assert_int_equal(keys_create(a), 0);
	assert_int_equal(keys_create(b), 0);
	assert_int_equal(keys_public(a, &pa), 0);
	assert_int_equal(keys_public(b, &pb), 0);
	assert_string_not_equal(pa, pb);
	free(pa);
	free(pb);
	rm_dir(a);
	rm_dir(b);
}

static void test_existing_keys_dir_is_fine(void **state)
{
	(void)state;
	char *d = tmp_dir();
	assert_int_equal(mkdir(path_of(d, "keys"), 0700), 0);
	int rc = keys_create(d);
	if (rc != 0)
		fail_msg("keys_create -> %d: %s", rc, err_msg());
	rm_dir(d);
}

static void test_missing_keys(void **state)
{
	(void)state;
	char *d = tmp_dir(), *out = (char *)"sentinel";
	err_clear();
	assert_int_equal(keys_public(d, &out), C2C_ENOTFOUND);
	assert_null(out);
	assert_non_null(strstr(err_msg(), "keys/id_ed25519.pub"));
	out = (char *)"sentinel";
	assert_int_equal(keys_fingerprint(d, &out), C2C_ENOTFOUND);
	assert_null(out);
	rm_dir(d);
}

/* A known key: the fingerprint must be what ssh-keygen -l says. */
static void test_fingerprint_of_given_key(void **state)
{
	(void)state;
	char *d = tmp_dir(), *fp = NULL, cmd[1024];
	int status;
	assert_int_equal(mkdir(path_of(d, "keys"), 0700), 0);
	write_text(path_of(d, "keys/id_ed25519.pub"),
	           "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGMZjuNjn18SfW62eScdGpVHZNG0WUFlRD9BbZ0c8yLc someone@host\n");
	int rc = keys_fingerprint(d, &fp);
	if (rc != 0)
		fail_msg("keys_fingerprint -> %d: %s", rc, err_msg());
	assert_string_equal(fp, "SHA256:JZmV3dtTxna4TvVzLjNLjJJyve1qImos/QfcMtgpnu0");
	snprintf(cmd, sizeof(cmd), SSH_KEYGEN " -lf '%s' 2>&1", path_of(d, "keys/id_ed25519.pub"));
	char *out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -lf failed: %s", out);
	char expect[256];
	snprintf(expect, sizeof(expect), "256 %s someone@host (ED25519)", fp);
	assert_string_equal(out, expect);
	free(out);
	free(fp);
	rm_dir(d);
}

static void test_corrupt_pub(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "",
	    "ssh-ed25519\n",
	    "ssh-ed25519 AAAA*bad c2c-node\n",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 c2c-node\n",  /* truncated blob */
	    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGMZjuNjn18SfW62eScdGpVHZNG0WUFlRD9BbZ0c8yLc x\n", /* wrong type */
	    "ssh-ed25519 AAAA\nssh-ed25519 AAAA\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *d = tmp_dir(), *fp = (char *)"sentinel";
		assert_int_equal(mkdir(path_of(d, "keys"), 0700), 0);
		write_text(path_of(d, "keys/id_ed25519.pub"), bad[i]);
		int rc = keys_fingerprint(d, &fp);
		if (rc != C2C_ECORRUPT)
			fail_msg("case %zu: keys_fingerprint -> %d (%s)", i, rc, rc == 0 ? fp : err_msg());
		assert_null(fp);
		assert_non_null(strstr(err_msg(), "id_ed25519.pub"));
		rm_dir(d);
	}
}

/* ------------------------------------------------------------ signatures */

static const char commit_text[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
                                  "author a <a@x> 1700000000 +0000\n"
                                  "committer n <n@x> 1700000000 +0000\n\nadd x\n";

/* "ssh-ed25519 BASE64" of the .pub file in D. */
static char *pub_words(const char *d)
{
	char *pub = read_text(path_of(d, "keys/id_ed25519.pub"));
	char *sp = strchr(pub, ' ');
	assert_non_null(sp);
	sp = strchr(sp + 1, ' ');
	if (sp)
		*sp = '\0';
	return pub;
}

static void test_sign_round_trip(void **state)
{
	(void)state;
	char *d = tmp_dir(), *sig = NULL, *who = NULL, *pub;
	keys_signer *s = NULL;
	assert_int_equal(keys_create(d), 0);
	if (keys_signer_load(&s, d) != 0)
		fail_msg("keys_signer_load: %s", err_msg());
	pub = pub_words(d);
	assert_string_equal(keys_signer_public(s), pub);
	assert_int_equal(keys_sign_git(s, commit_text, strlen(commit_text), &sig), 0);
	assert_true(!strncmp(sig, "-----BEGIN SSH SIGNATURE-----\n", 30));
	if (keys_verify_git(commit_text, strlen(commit_text), sig, strlen(sig), &who) != 0)
		fail_msg("keys_verify_git: %s", err_msg());
	assert_string_equal(who, pub);
	free(who);
	who = NULL;

	/* One byte of the commit changed: the signature no longer holds. */
	char *other = strdup(commit_text);
	other[strlen(other) - 2] = 'y';
	assert_int_equal(keys_verify_git(other, strlen(other), sig, strlen(sig), &who), C2C_EAUTH);
	assert_null(who);
	/* A damaged signature: refused, not crashed on. */
	char *bad = strdup(sig);
	bad[40] = bad[40] == 'A' ? 'B' : 'A';
	assert_true(keys_verify_git(commit_text, strlen(commit_text), bad, strlen(bad), &who) < 0);
	assert_true(keys_verify_git(commit_text, strlen(commit_text), sig, 45, &who) < 0);
	assert_true(keys_verify_git(commit_text, strlen(commit_text), "", 0, &who) < 0);
	free(bad);
	free(other);
	free(sig);
	free(pub);
	keys_signer_free(s);
	rm_dir(d);
}

/* ssh-keygen -Y verify accepts what we sign; we accept what ssh-keygen
 * -Y sign makes. */
static void test_sign_interop_with_ssh_keygen(void **state)
{
	(void)state;
	char *d = tmp_dir(), *sig = NULL, *who = NULL, *pub, cmd[2048], *out;
	keys_signer *s = NULL;
	int status;
	assert_int_equal(keys_create(d), 0);
	assert_int_equal(keys_signer_load(&s, d), 0);
	pub = pub_words(d);
	assert_int_equal(keys_sign_git(s, commit_text, strlen(commit_text), &sig), 0);
	write_text(path_of(d, "msg"), commit_text);
	write_text(path_of(d, "msg.c2c.sig"), sig);
	snprintf(cmd, sizeof(cmd), "printf 'n1 namespaces=\"git\" %%s\\n' '%s' >'%s/allowed' && "
	         SSH_KEYGEN " -Y verify -f '%s/allowed' -I n1 -n git -s '%s/msg.c2c.sig' <'%s/msg' 2>&1",
	         pub, d, d, d, d);
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -Y verify refused our signature: %s", out);
	free(out);

	snprintf(cmd, sizeof(cmd), SSH_KEYGEN " -q -Y sign -n git -f '%s/keys/id_ed25519' '%s/msg' 2>&1", d, d);
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("ssh-keygen -Y sign: %s", out);
	free(out);
	char *theirs = read_text(path_of(d, "msg.sig"));
	if (keys_verify_git(commit_text, strlen(commit_text), theirs, strlen(theirs), &who) != 0)
		fail_msg("our check refused ssh-keygen's signature: %s", err_msg());
	assert_string_equal(who, pub);
	/* ... but not one made in another namespace. */
	free(who);
	who = NULL;
	snprintf(cmd, sizeof(cmd), "rm -f '%s/msg.sig' && " SSH_KEYGEN " -q -Y sign -n file -f '%s/keys/id_ed25519' '%s/msg' 2>&1",
	         d, d, d);
	out = run(cmd, &status);
	free(out);
	free(theirs);
	theirs = read_text(path_of(d, "msg.sig"));
	assert_int_equal(keys_verify_git(commit_text, strlen(commit_text), theirs, strlen(theirs), &who), C2C_EINVALID);
	free(theirs);
	free(sig);
	free(pub);
	keys_signer_free(s);
	rm_dir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_matches_openssh),
	    cmocka_unit_test(test_two_keys_differ),
	    cmocka_unit_test(test_existing_keys_dir_is_fine),
	    cmocka_unit_test(test_missing_keys),
	    cmocka_unit_test(test_fingerprint_of_given_key),
	    cmocka_unit_test(test_corrupt_pub),
	    cmocka_unit_test(test_sign_round_trip),
	    cmocka_unit_test(test_sign_interop_with_ssh_keygen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
