/* Unit tests of how ledger/key.c opens key files (pl_key_read_secret): never
 * blocking on a FIFO, never reading through a symbolic link, only regular
 * files, ssh's permission rule, a size cap. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "harness.h"
#include "pl_key.h"
#include "testkey.h"

/* pl_key_load_private(path) fails with code and exactly "<path>: <msg>". */
static void expect_refused(const char *path, int code, const char *msg)
{
	char want[8192];
	pl_key *k = NULL;

	snprintf(want, sizeof(want), "%s: %s", path, msg);
	CHECK_ERR(pl_key_load_private(&k, path), code);
	CHECK_STR(pl_error_last(), want);
	CHECK(k == NULL);
}

static void tmp_path(char path[4096], const char *name)
{
	snprintf(path, 4096, "%s/%s", pl_tmpdir(), name);
}

PL_TEST(key, file_fifo_refused_without_blocking)
{
	char path[4096];
	pl_key *k = NULL;

	tmp_path(path, "fifo.key");
	CHECK(mkfifo(path, 0600) == 0);
	alarm(10); /* a blocking open would hang here: SIGALRM fails the test instead */
	expect_refused(path, PL_EINVALID, "not a regular file");
	CHECK_ERR(pl_key_load_private_ex(&k, path, NULL), PL_EINVALID);
	alarm(0);
}

PL_TEST(key, file_symlink_refused)
{
	char path[4096], link[4096];

	copy_fixture(path, "key/test.key", "real.key", 0600);
	tmp_path(link, "link.key");
	CHECK(symlink(path, link) == 0);
	expect_refused(link, PL_EINVALID,
	               "is a symbolic link; refusing to read a private key through it");
	/* a dangling link too */
	tmp_path(link, "dangling.key");
	CHECK(symlink("/nonexistent/key", link) == 0);
	expect_refused(link, PL_EINVALID,
	               "is a symbolic link; refusing to read a private key through it");
}

PL_TEST(key, file_in_symlinked_directory_is_read)
{
	/* Only the last component is checked (as ssh does): directories such as
	 * ~/.ssh may be links. */
	char path[4096], dir[4096], via[4096];
	pl_key *k = NULL;

	tmp_path(dir, "real");
	CHECK(mkdir(dir, 0700) == 0);
	copy_fixture(path, "key/test.key", "real/test.key", 0600);
	tmp_path(via, "dirlink");
	CHECK(symlink(dir, via) == 0);
	tmp_path(via, "dirlink/test.key");
	CHECK_OK(pl_key_load_private(&k, via));
	pl_key_free(k);
}

PL_TEST(key, file_not_regular_refused)
{
	char path[4096];
	struct sockaddr_un sa;
	int fd;

	expect_refused("/dev/null", PL_EINVALID, "not a regular file");
	tmp_path(path, "dir.key");
	CHECK(mkdir(path, 0700) == 0);
	expect_refused(path, PL_EINVALID, "not a regular file");
	/* a Unix socket: open() fails with ENXIO */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	tmp_path(path, "sock.key");
	if (strlen(path) >= sizeof(sa.sun_path))
		pl_skip("temp dir path too long for a Unix socket");
	memcpy(sa.sun_path, path, strlen(path));
	CHECK((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(chmod(path, 0600) == 0);
	expect_refused(path, PL_EINVALID, "not a regular file");
	close(fd);
}

PL_TEST(key, file_permissions_too_open)
{
	static const unsigned modes[] = {0644, 0640, 0604, 0660, 0601, 0610, 0666, 0700 | 04};
	char path[4096], msg[128];
	pl_key *k = NULL;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		copy_fixture(path, "key/test.openssh", "open.key", modes[i]);
		snprintf(msg, sizeof(msg), "permissions %04o are too open (must be 0600)",
		         modes[i]);
		expect_refused(path, PL_EINVALID, msg);
		CHECK(unlink(path) == 0);
	}
	copy_fixture(path, "key/test.openssh", "ok.key", 0400);
	CHECK_OK(pl_key_load_private(&k, path));
	pl_key_free(k);
}

PL_TEST(key, file_size_capped)
{
	char path[4096];
	char *big = malloc(PL_KEY_MAX_FILE + 1);
	pl_key *k = NULL;

	CHECK(big != NULL);
	memset(big, 'A', PL_KEY_MAX_FILE + 1);
	write_tmp(path, "big.key", big, PL_KEY_MAX_FILE + 1);
	expect_refused(path, PL_ELIMIT, "larger than 65536 bytes; not a key file");
	/* exactly the limit is read, and then refused as no key */
	write_tmp(path, "limit.key", big, PL_KEY_MAX_FILE);
	CHECK_ERR(pl_key_load_private(&k, path), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "not a private key");
	free(big);
}

PL_TEST(key, file_missing_and_empty)
{
	char path[4096];

	tmp_path(path, "missing.key");
	expect_refused(path, PL_ENOTFOUND, "No such file or directory");
	write_tmp(path, "empty.key", "", 0);
	expect_refused(path, PL_EINVALID, "not a private key (PEM PKCS#8 or OpenSSH Ed25519)");
}

PL_TEST(key, read_secret_reads_and_names_what)
{
	pl_buf b = PL_BUF_INIT;
	char path[4096], link[4096], want[8192];

	write_tmp(path, "pass", "secret\nsecond line\n", 19);
	CHECK_OK(pl_key_read_secret(&b, path, "a passphrase"));
	CHECK_EQ_INT(b.len, 19);
	CHECK_STR(b.ptr, "secret\nsecond line\n");
	CHECK(b.cap > PL_KEY_MAX_FILE); /* allocated once, never reallocated */
	OPENSSL_cleanse(b.ptr, b.cap);
	pl_buf_free(&b);
	tmp_path(link, "pass.link");
	CHECK(symlink(path, link) == 0);
	CHECK_ERR(pl_key_read_secret(&b, link, "a passphrase"), PL_EINVALID);
	snprintf(want, sizeof(want),
	         "%s: is a symbolic link; refusing to read a passphrase through it", link);
	CHECK_STR(pl_error_last(), want);
	CHECK(b.len == 0);
	CHECK(chmod(path, 0640) == 0);
	CHECK_ERR(pl_key_read_secret(&b, path, "a passphrase"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "permissions 0640 are too open (must be 0600)");
	CHECK(b.len == 0);
	pl_buf_free(&b);
}

PL_TEST(key, file_encrypted_pkcs8_refused)
{
	char path[4096], cmd[8192];

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		pl_skip("openssl not installed");
	copy_fixture(path, "key/test.key", "plain.key", 0600);
	snprintf(cmd, sizeof(cmd),
	         "openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:x -in '%s' -out '%s/enc.key'",
	         path, pl_tmpdir());
	CHECK(system(cmd) == 0);
	tmp_path(path, "enc.key");
	CHECK(chmod(path, 0600) == 0);
	expect_refused(path, PL_EINVALID,
	               "an encrypted PKCS#8 key; only OpenSSH keys may be protected by a "
	               "passphrase");
}
