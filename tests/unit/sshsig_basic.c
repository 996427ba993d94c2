/* Unit tests of ledger/sshsig.c: the ssh-keygen vector in
 * tests/fixtures/sshsig, forgeries, and interop with `ssh-keygen -Y`. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "pl_sshsig.h"
#include "testkey.h"

static void no_ssh_keygen_skip(void)
{
	if (system("command -v ssh-keygen >/dev/null 2>&1") != 0)
		pl_skip("ssh-keygen not installed");
}

PL_TEST(sshsig, sign_reproduces_ssh_keygen_vector)
{
	pl_key *k = test_key();
	pl_buf msg = PL_BUF_INIT, want = PL_BUF_INIT, sig = PL_BUF_INIT;

	read_fixture(&msg, "sshsig/message.txt");
	read_fixture(&want, "sshsig/message.txt.sig");
	CHECK_OK(pl_sshsig_sign(&sig, k, "git", msg.ptr, msg.len));
	CHECK_STR(sig.ptr, want.ptr);
	pl_key_free(k);
	pl_buf_free(&msg);
	pl_buf_free(&want);
	pl_buf_free(&sig);
}

PL_TEST(sshsig, vector_verifies)
{
	pl_key *pub = test_pub(), *signer = NULL;
	pl_buf msg = PL_BUF_INIT, sig = PL_BUF_INIT;
	unsigned char a[32], b[32];

	read_fixture(&msg, "sshsig/message.txt");
	read_fixture(&sig, "sshsig/message.txt.sig");
	CHECK_OK(pl_sshsig_verify(&signer, pub, sig.ptr, sig.len, "git", msg.ptr, msg.len));
	pl_key_raw(pub, a);
	pl_key_raw(signer, b);
	CHECK(memcmp(a, b, 32) == 0);
	CHECK(!pl_key_has_private(signer));
	/* Without an expected key; without the final newline (as git may hand it over). */
	CHECK_OK(pl_sshsig_verify(NULL, NULL, sig.ptr, sig.len - 1, "git", msg.ptr, msg.len));
	pl_key_free(pub);
	pl_key_free(signer);
	pl_buf_free(&msg);
	pl_buf_free(&sig);
}

PL_TEST(sshsig, round_trip_long_message_and_namespace)
{
	pl_key *k = NULL;
	pl_buf msg = PL_BUF_INIT, sig = PL_BUF_INIT;

	CHECK_OK(pl_key_generate(&k));
	for (int i = 0; i < 10000; i++)
		CHECK_OK(pl_buf_printf(&msg, "line %d\n", i));
	CHECK_OK(pl_sshsig_sign(&sig, k, "file@provledger.dev", msg.ptr, msg.len));
	CHECK_OK(
	    pl_sshsig_verify(NULL, k, sig.ptr, sig.len, "file@provledger.dev", msg.ptr, msg.len));
	CHECK_ERR(pl_sshsig_verify(NULL, k, sig.ptr, sig.len, "file@provledger.dev", msg.ptr, 0),
	          PL_EVERIFY);
	pl_buf_clear(&sig);
	CHECK_OK(pl_sshsig_sign(&sig, k, "git", "", 0));
	CHECK_OK(pl_sshsig_verify(NULL, k, sig.ptr, sig.len, "git", "", 0));
	CHECK_ERR(pl_sshsig_sign(&sig, k, "", "", 0), PL_EUSAGE);
	pl_key_free(k);
	pl_buf_free(&msg);
	pl_buf_free(&sig);
}

PL_TEST(sshsig, forgeries_fail)
{
	pl_key *pub = test_pub(), *other = NULL;
	pl_buf msg = PL_BUF_INIT, sig = PL_BUF_INIT;

	read_fixture(&msg, "sshsig/message.txt");
	read_fixture(&sig, "sshsig/message.txt.sig");
	/* Tampered message. */
	msg.ptr[msg.len - 2] ^= 1;
	CHECK_ERR(pl_sshsig_verify(NULL, pub, sig.ptr, sig.len, "git", msg.ptr, msg.len),
	          PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "bad signature");
	msg.ptr[msg.len - 2] ^= 1;
	/* Wrong namespace. */
	CHECK_ERR(pl_sshsig_verify(NULL, pub, sig.ptr, sig.len, "file", msg.ptr, msg.len),
	          PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "namespace \"git\", expected \"file\"");
	/* Another expected key. */
	CHECK_OK(pl_key_generate(&other));
	CHECK_ERR(pl_sshsig_verify(NULL, other, sig.ptr, sig.len, "git", msg.ptr, msg.len),
	          PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(),
	               "signed by SHA256:wu2+BrKUOqjoyLLdfYPAymWUTELcxgHeVMOayRcO+KI");
	pl_key_free(pub);
	pl_key_free(other);
	pl_buf_free(&msg);
	pl_buf_free(&sig);
}

/* Armour a raw blob the way ssh-keygen does. */
static void armor(pl_buf *out, const pl_buf *blob)
{
	pl_buf b64 = PL_BUF_INIT;

	pl_buf_clear(out);
	CHECK_OK(pl_base64_encode(&b64, (unsigned char *)blob->ptr, blob->len));
	CHECK_OK(pl_buf_puts(out, "-----BEGIN SSH SIGNATURE-----\n"));
	for (size_t off = 0; off < b64.len; off += 70) {
		CHECK_OK(pl_buf_put(out, b64.ptr + off, b64.len - off < 70 ? b64.len - off : 70));
		CHECK_OK(pl_buf_putc(out, '\n'));
	}
	CHECK_OK(pl_buf_puts(out, "-----END SSH SIGNATURE-----\n"));
	pl_buf_free(&b64);
}

/* The vector's blob with bytes [at, at+n) replaced by rep[0..rn). */
static void edit_blob(pl_buf *out, const pl_buf *blob, size_t at, size_t n, const void *rep,
                      size_t rn)
{
	pl_buf b = PL_BUF_INIT;

	CHECK_OK(pl_buf_put(&b, blob->ptr, at));
	CHECK_OK(pl_buf_put(&b, rep, rn));
	CHECK_OK(pl_buf_put(&b, blob->ptr + at + n, blob->len - at - n));
	armor(out, &b);
	pl_buf_free(&b);
}

PL_TEST(sshsig, malformed_blobs_are_invalid)
{
	pl_buf msg = PL_BUF_INIT, sig = PL_BUF_INIT, b64 = PL_BUF_INIT, blob = PL_BUF_INIT,
	       bad = PL_BUF_INIT;
	const char *p;
	char last;
	/* Blob layout: "SSHSIG" u32(1) string(pub:51) string("git") string("")
	 * string("sha512") string(sigblob:83). Offsets: */
	const size_t ver = 6, ns = 10 + 4 + 51, res = ns + 7, halg = res + 4, sigb = halg + 10;

	read_fixture(&msg, "sshsig/message.txt");
	read_fixture(&sig, "sshsig/message.txt.sig");
	for (p = strchr(sig.ptr, '\n') + 1; *p != '-'; p++)
		if (*p != '\n')
			CHECK_OK(pl_buf_putc(&b64, *p));
	CHECK_OK(pl_base64_decode(&blob, b64.ptr, b64.len));
	CHECK_EQ_INT(blob.len, sigb + 4 + 83);
	armor(&bad, &blob);
	CHECK_STR(bad.ptr, sig.ptr);

#define EXPECT(code, what)                                                                         \
	do {                                                                                       \
		int rc_ = pl_sshsig_verify(NULL, NULL, bad.ptr, bad.len, "git", msg.ptr, msg.len); \
		if (rc_ != (code))                                                                 \
			pl_test_fail(__FILE__, __LINE__, "%s: returned %d (%s)", what, rc_,        \
			             pl_error_last());                                             \
	} while (0)

	edit_blob(&bad, &blob, 0, 1, "X", 1);
	EXPECT(PL_EINVALID, "bad magic");
	edit_blob(&bad, &blob, ver, 4, "\0\0\0\2", 4);
	EXPECT(PL_EINVALID, "version 2");
	edit_blob(&bad, &blob, res, 4, "\0\0\0\1x", 5);
	EXPECT(PL_EINVALID, "reserved not empty");
	edit_blob(&bad, &blob, halg, 10, "\0\0\0\6sha384", 10);
	EXPECT(PL_EVERIFY, "hash sha384");
	edit_blob(&bad, &blob, halg, 10, "\0\0\0\6sha256", 10);
	EXPECT(PL_EVERIFY, "hash sha256 (accepted, but the signature is over sha512)");
	edit_blob(&bad, &blob, 10, 19, "\0\0\0\x2f\0\0\0\7ssh-rsa", 15);
	EXPECT(PL_EVERIFY, "key type ssh-rsa");
	edit_blob(&bad, &blob, blob.len, 0, "\0", 1);
	EXPECT(PL_EINVALID, "trailing byte");
	edit_blob(&bad, &blob, blob.len - 1, 1, "", 0);
	EXPECT(PL_EINVALID, "truncated by one byte");
	edit_blob(&bad, &blob, sigb, blob.len - sigb, "", 0);
	EXPECT(PL_EINVALID, "no signature");
	edit_blob(&bad, &blob, 10, blob.len - 10, "", 0);
	EXPECT(PL_EINVALID, "magic and version only");
	edit_blob(&bad, &blob, sigb + 4 + 4, 11, "ssh-ed25518", 11);
	EXPECT(PL_EINVALID, "signature type differs");
	last = (char)(blob.ptr[blob.len - 1] ^ 1);
	edit_blob(&bad, &blob, blob.len - 1, 1, &last, 1);
	EXPECT(PL_EVERIFY, "signature bit flipped");

	/* Armour. */
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, sig.ptr + 1));
	EXPECT(PL_EINVALID, "BEGIN line cut");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_put(&bad, sig.ptr, sig.len - 5));
	EXPECT(PL_EINVALID, "END line cut");
	pl_buf_clear(&bad);
	CHECK_OK(
	    pl_buf_puts(&bad, "-----BEGIN SSH SIGNATURE-----\n\n-----END SSH SIGNATURE-----\n"));
	EXPECT(PL_EINVALID, "empty");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n"));
	EXPECT(PL_EINVALID, "no lines");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, sig.ptr));
	bad.ptr[40] = '*';
	EXPECT(PL_EINVALID, "bad base64 character");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, sig.ptr));
	bad.ptr[40] = ' ';
	EXPECT(PL_EINVALID, "space in base64");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, sig.ptr));
	CHECK_OK(pl_buf_puts(&bad, "\n"));
	EXPECT(PL_EINVALID, "two final newlines");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_put(&bad, sig.ptr, 30));
	CHECK_OK(pl_buf_putc(&bad, '\n'));
	CHECK_OK(pl_buf_puts(&bad, sig.ptr + 30));
	EXPECT(PL_EINVALID, "blank line after BEGIN");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, "-----BEGIN SSH SIGNATURE-----\n"));
	EXPECT(PL_EINVALID, "BEGIN only");
	pl_buf_clear(&bad);
	CHECK_OK(pl_buf_puts(&bad, sig.ptr));
	bad.ptr[sig.len - 3] = 'X';
	EXPECT(PL_EINVALID, "END line misspelt");
#undef EXPECT
	pl_buf_free(&msg);
	pl_buf_free(&sig);
	pl_buf_free(&b64);
	pl_buf_free(&blob);
	pl_buf_free(&bad);
}

PL_TEST(sshsig, interop_ssh_keygen_verifies_ours)
{
	pl_key *k = NULL;
	pl_buf msg = PL_BUF_INIT, sig = PL_BUF_INIT, line = PL_BUF_INIT, signers = PL_BUF_INIT;
	char msgp[4096], sigp[4096], asp[4096], cmd[16384];

	no_ssh_keygen_skip();
	/* A fresh key, so that this checks more than the fixed vector. */
	CHECK_OK(pl_key_generate(&k));
	CHECK_OK(pl_buf_puts(&msg, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg\n"));
	CHECK_OK(pl_sshsig_sign(&sig, k, "git", msg.ptr, msg.len));
	CHECK_OK(pl_key_openssh(&line, k, NULL));
	CHECK_OK(pl_buf_printf(&signers, "test namespaces=\"git\" %s\n", line.ptr));
	write_tmp(msgp, "msg", msg.ptr, msg.len);
	write_tmp(sigp, "msg.sig", sig.ptr, sig.len);
	write_tmp(asp, "allowed_signers", signers.ptr, signers.len);
	snprintf(cmd, sizeof(cmd),
	         "ssh-keygen -Y verify -f '%s' -I test -n git -s '%s' < '%s' >/dev/null 2>&1", asp,
	         sigp, msgp);
	CHECK(system(cmd) == 0);
	/* And it refuses a tampered message. */
	write_tmp(msgp, "msg", "x", 1);
	CHECK(system(cmd) != 0);
	pl_key_free(k);
	pl_buf_free(&msg);
	pl_buf_free(&sig);
	pl_buf_free(&line);
	pl_buf_free(&signers);
}

PL_TEST(sshsig, interop_we_verify_ssh_keygen)
{
	pl_key *pub = test_pub(), *signer = NULL;
	pl_buf sig = PL_BUF_INIT, ours = PL_BUF_INIT;
	char keyp[4096], msgp[4096], sigp[4096], cmd[16384];
	const char *msg = "a message signed by ssh-keygen\n\xe2\x80\x94 with UTF-8\n";

	no_ssh_keygen_skip();
	copy_fixture(keyp, "key/test.openssh", "id_ed25519", 0600);
	write_tmp(msgp, "msg", msg, strlen(msg));
	snprintf(cmd, sizeof(cmd), "ssh-keygen -Y sign -f '%s' -n git '%s' >/dev/null 2>&1", keyp,
	         msgp);
	CHECK(system(cmd) == 0);
	snprintf(sigp, sizeof(sigp), "%s/msg.sig", pl_tmpdir());
	CHECK_OK(pl_read_file(&sig, sigp, 1 << 20));
	CHECK_OK(pl_sshsig_verify(&signer, pub, sig.ptr, sig.len, "git", msg, strlen(msg)));
	CHECK_ERR(pl_sshsig_verify(NULL, pub, sig.ptr, sig.len, "git", msg, strlen(msg) - 1),
	          PL_EVERIFY);
	/* Deterministic Ed25519: our signature of the same message is the same bytes. */
	{
		pl_key *k = test_key();
		CHECK_OK(pl_sshsig_sign(&ours, k, "git", msg, strlen(msg)));
		CHECK_STR(ours.ptr, sig.ptr);
		pl_key_free(k);
	}
	pl_key_free(pub);
	pl_key_free(signer);
	pl_buf_free(&sig);
	pl_buf_free(&ours);
}

PL_TEST(sshsig, interop_sha256_from_ssh_keygen)
{
	pl_key *pub = test_pub();
	pl_buf sig = PL_BUF_INIT;
	char keyp[4096], msgp[4096], sigp[4096], cmd[16384];

	no_ssh_keygen_skip();
	copy_fixture(keyp, "key/test.openssh", "id_ed25519", 0600);
	write_tmp(msgp, "msg", "hi\n", 3);
	snprintf(cmd, sizeof(cmd),
	         "ssh-keygen -Y sign -f '%s' -n git -O hashalg=sha256 '%s' >/dev/null 2>&1", keyp,
	         msgp);
	if (system(cmd) != 0)
		pl_skip("ssh-keygen -Y sign has no -O hashalg=sha256");
	snprintf(sigp, sizeof(sigp), "%s/msg.sig", pl_tmpdir());
	CHECK_OK(pl_read_file(&sig, sigp, 1 << 20));
	CHECK_OK(pl_sshsig_verify(NULL, pub, sig.ptr, sig.len, "git", "hi\n", 3));
	CHECK_ERR(pl_sshsig_verify(NULL, pub, sig.ptr, sig.len, "git", "hi!", 3), PL_EVERIFY);
	pl_key_free(pub);
	pl_buf_free(&sig);
}

/* The commit object of payload (a commit without gpgsig) with sig inserted as
 * its gpgsig header after the last header line, continuation lines indented. */
static void commit_with_gpgsig(pl_buf *out, const char *payload, const char *sig)
{
	const char *body = strstr(payload, "\n\n");

	CHECK(body != NULL);
	CHECK_OK(pl_buf_put(out, payload, (size_t)(body - payload) + 1));
	CHECK_OK(pl_buf_puts(out, "gpgsig "));
	for (const char *p = sig; *p; p++) {
		CHECK_OK(pl_buf_putc(out, *p));
		if (*p == '\n' && p[1])
			CHECK_OK(pl_buf_putc(out, ' '));
	}
	CHECK_OK(pl_buf_puts(out, body + 1));
}

PL_TEST(sshsig, interop_git_verify_commit)
{
	pl_key *k = test_key();
	pl_buf msg = PL_BUF_INIT, sig = PL_BUF_INIT, commit = PL_BUF_INIT, line = PL_BUF_INIT,
	       signers = PL_BUF_INIT;
	char repo[4096], cp[4096], asp[4096], cmd[32768];

	if (system("command -v git >/dev/null 2>&1") != 0)
		pl_skip("git not installed");
	no_ssh_keygen_skip();
	read_fixture(&msg, "sshsig/message.txt");
	CHECK_OK(pl_sshsig_sign(&sig, k, "git", msg.ptr, msg.len));
	commit_with_gpgsig(&commit, msg.ptr, sig.ptr);
	CHECK_OK(pl_key_openssh(&line, k, NULL));
	CHECK_OK(pl_buf_printf(&signers, "test@example.org namespaces=\"git\" %s\n", line.ptr));
	write_tmp(asp, "allowed_signers", signers.ptr, signers.len);
	write_tmp(cp, "commit", commit.ptr, commit.len);
	snprintf(repo, sizeof(repo), "%s/repo.git", pl_tmpdir());
	snprintf(cmd, sizeof(cmd),
	         "set -e; git init -q --bare '%s'; cd '%s'; "
	         "c=$(git hash-object -t commit -w --stdin < '%s'); "
	         "git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' verify-commit \"$c\" "
	         "2>&1 | grep -q 'Good \"git\" signature'",
	         repo, repo, cp, asp);
	CHECK(system(cmd) == 0);
	pl_buf_free(&commit);
	pl_buf_free(&msg);
	pl_buf_free(&sig);
	pl_buf_free(&line);
	pl_buf_free(&signers);
	pl_key_free(k);
}
