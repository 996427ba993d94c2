/* Unit tests of ledger/key.c: PEM PKCS#8 keys, OpenSSH public lines and
 * fingerprints against tests/fixtures/key, and interop with `openssl pkey`. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pl_key.h"
#include "testkey.h"

PL_TEST(key, load_matches_openssh_line_and_fingerprint)
{
	pl_key *k = test_key();
	pl_buf line = PL_BUF_INIT, want = PL_BUF_INIT, fp = PL_BUF_INIT, fpwant = PL_BUF_INIT;

	CHECK(pl_key_has_private(k));
	read_fixture(&want, "key/test.pub");
	CHECK_OK(pl_key_openssh(&line, k, "test"));
	CHECK(want.len > 0 && want.ptr[want.len - 1] == '\n');
	want.ptr[--want.len] = '\0';
	CHECK_STR(line.ptr, want.ptr);
	read_fixture(&fpwant, "key/fingerprint.txt");
	fpwant.ptr[strcspn(fpwant.ptr, "\n")] = '\0';
	CHECK_OK(pl_key_fingerprint(&fp, k));
	CHECK_STR(fp.ptr, fpwant.ptr);
	pl_buf_clear(&line);
	CHECK_OK(pl_key_openssh(&line, k, NULL));
	CHECK_STR(
	    line.ptr,
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+D");
	CHECK_ERR(pl_key_openssh(&line, k, "two\nlines"), PL_EINVALID);
	pl_buf_free(&line);
	pl_buf_free(&want);
	pl_buf_free(&fp);
	pl_buf_free(&fpwant);
	pl_key_free(k);
}

PL_TEST(key, refuses_open_permissions)
{
	char path[4096];
	pl_key *k = NULL;

	copy_fixture(path, "key/test.key", "test.key", 0644);
	CHECK_ERR(pl_key_load_private(&k, path), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "permissions 0644 are too open (must be 0600)");
	CHECK_CONTAINS(pl_error_last(), path);
	CHECK(k == NULL);
	CHECK(chmod(path, 0640) == 0);
	CHECK_ERR(pl_key_load_private(&k, path), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "permissions 0640 are too open");
	CHECK(chmod(path, 0400) == 0);
	CHECK_OK(pl_key_load_private(&k, path));
	pl_key_free(k);
}

PL_TEST(key, load_errors)
{
	char path[4096];
	pl_key *k = NULL;

	snprintf(path, sizeof(path), "%s/missing.key", pl_tmpdir());
	CHECK_ERR(pl_key_load_private(&k, path), PL_ENOTFOUND);
	write_tmp(path, "garbage.key", "not a key\n", 10);
	CHECK_ERR(pl_key_load_private(&k, path), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "garbage.key: not a private key");
	CHECK(k == NULL);
	/* OpenSSH-format private keys load too: tests/unit/key_openssh.c. */
}

PL_TEST(key, sign_verify_and_tamper)
{
	pl_key *k = test_key(), *pub = NULL, *other = NULL;
	unsigned char sig[64], sig2[64];
	const char msg[] = "hello";

	CHECK_OK(pl_key_sign(k, sig, msg, 5));
	CHECK_OK(pl_key_sign(k, sig2, msg, 5));
	CHECK(memcmp(sig, sig2, 64) == 0); /* Ed25519 is deterministic */
	CHECK_OK(pl_key_public(&pub, k));
	CHECK(!pl_key_has_private(pub));
	CHECK_OK(pl_key_verify(pub, sig, msg, 5));
	CHECK_ERR(pl_key_verify(pub, sig, "hellp", 5), PL_EVERIFY);
	sig[10] ^= 1;
	CHECK_ERR(pl_key_verify(pub, sig, msg, 5), PL_EVERIFY);
	CHECK_ERR(pl_key_sign(pub, sig, msg, 5), PL_EUSAGE);
	CHECK_OK(pl_key_generate(&other));
	CHECK_ERR(pl_key_verify(other, sig2, msg, 5), PL_EVERIFY);
	pl_key_free(k);
	pl_key_free(pub);
	pl_key_free(other);
	pl_key_free(NULL);
}

PL_TEST(key, raw_round_trip)
{
	pl_key *k = test_key(), *r = NULL;
	unsigned char raw[32], raw2[32];
	char hex[65];

	pl_key_raw(k, raw);
	pl_hex(hex, raw, 32);
	CHECK_STR(hex, "65cc9a99d4d84e045d934924aaead7fa26ce6f9af207eb23fda3da4d0ea5af83");
	CHECK_OK(pl_key_from_raw(&r, raw));
	pl_key_raw(r, raw2);
	CHECK(memcmp(raw, raw2, 32) == 0);
	pl_key_free(k);
	pl_key_free(r);
}

PL_TEST(key, openssh_parse_strict)
{
	static const char *bad[] = {
	    "",
	    "ssh-ed25519",
	    "ssh-ed25519 ",
	    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+D",
	    "ssh-ed25519x AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+D",
	    /* bad base64 */
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+*",
	    /* blob says ssh-rsa */
	    "ssh-ed25519 AAAAB3NzaC1yc2EAAAAgZcyamdTYTgRdk0kkqurX+ibOb5ryB+sj/aPaTQ6lr4M=",
	    /* 31-byte key */
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH2XMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa8=",
	    /* trailing bytes after the key in the blob */
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+DAA==",
	    /* two lines */
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+D\nx",
	};
	pl_buf comment = PL_BUF_INIT;
	pl_key *k = NULL;
	const char *good =
	    "ssh-ed25519  AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+D "
	    "alice@example 2\n";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pl_key_from_openssh(&k, NULL, bad[i], strlen(bad[i])) != PL_EINVALID)
			pl_test_fail(__FILE__, __LINE__, "accepted bad line %zu: %s", i, bad[i]);
		CHECK(k == NULL);
	}
	CHECK_OK(pl_key_from_openssh(&k, &comment, good, strlen(good)));
	CHECK_STR(comment.ptr, "alice@example 2");
	CHECK(!pl_key_has_private(k));
	pl_key_free(k);
	pl_buf_free(&comment);
}

PL_TEST(key, save_load_round_trip)
{
	pl_key *k = NULL, *k2 = NULL;
	char path[4096];
	unsigned char s1[64], s2[64], r1[32], r2[32];
	struct stat st;

	CHECK_OK(pl_key_generate(&k));
	snprintf(path, sizeof(path), "%s/gen.key", pl_tmpdir());
	CHECK_OK(pl_key_save_private(k, path));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_ERR(pl_key_save_private(k, path), PL_ECONFLICT);
	{
		pl_key *pub = NULL;
		char p2[4096];
		CHECK_OK(pl_key_public(&pub, k));
		snprintf(p2, sizeof(p2), "%s/pub.key", pl_tmpdir());
		CHECK_ERR(pl_key_save_private(pub, p2), PL_EUSAGE);
		CHECK(access(p2, F_OK) != 0);
		pl_key_free(pub);
	}
	CHECK_OK(pl_key_load_private(&k2, path));
	pl_key_raw(k, r1);
	pl_key_raw(k2, r2);
	CHECK(memcmp(r1, r2, 32) == 0);
	CHECK_OK(pl_key_sign(k, s1, "m", 1));
	CHECK_OK(pl_key_sign(k2, s2, "m", 1));
	CHECK(memcmp(s1, s2, 64) == 0);
	pl_key_free(k);
	pl_key_free(k2);
}

PL_TEST(key, saved_fixture_is_byte_identical)
{
	pl_key *k = test_key();
	pl_buf a = PL_BUF_INIT, b = PL_BUF_INIT;
	char path[4096];

	snprintf(path, sizeof(path), "%s/resaved.key", pl_tmpdir());
	CHECK_OK(pl_key_save_private(k, path));
	CHECK_OK(pl_read_file(&a, path, 1 << 20));
	read_fixture(&b, "key/test.key");
	CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
	pl_buf_free(&a);
	pl_buf_free(&b);
	pl_key_free(k);
}

PL_TEST(key, interop_openssl_pkey)
{
	pl_key *k = NULL;
	char path[4096], cmd[8192];
	pl_buf pub = PL_BUF_INIT, der = PL_BUF_INIT;
	unsigned char raw[32];

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		pl_skip("openssl not installed");
	CHECK_OK(pl_key_generate(&k));
	snprintf(path, sizeof(path), "%s/gen.key", pl_tmpdir());
	CHECK_OK(pl_key_save_private(k, path));
	snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s' -noout", path);
	CHECK(system(cmd) == 0);
	/* The public key openssl derives is ours: DER SubjectPublicKeyInfo ends in it. */
	snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s' -pubout -outform DER -out '%s/pub.der'",
	         path, pl_tmpdir());
	CHECK(system(cmd) == 0);
	snprintf(path, sizeof(path), "%s/pub.der", pl_tmpdir());
	CHECK_OK(pl_read_file(&der, path, 1 << 20));
	CHECK_EQ_INT(der.len, 44);
	pl_key_raw(k, raw);
	CHECK(memcmp(der.ptr + 12, raw, 32) == 0);
	pl_buf_free(&pub);
	pl_buf_free(&der);
	pl_key_free(k);
}
