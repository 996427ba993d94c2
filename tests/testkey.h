/*
 * testkey.h - fixture helpers for the key, SSHSIG, signed-note and DSSE
 * tests: copy a fixture into the test's temp dir with a given mode (git does
 * not keep file modes), read a fixture, load the shared Ed25519 test key.
 */
#ifndef PL_TESTKEY_H
#define PL_TESTKEY_H

#include <stdio.h>
#include <sys/stat.h>

#include "harness.h"
#include "pl_common.h"
#include "pl_key.h"

/* Copy fixture name to <tmpdir>/dest with mode; path receives the copy's path. */
static inline void copy_fixture(char path[4096], const char *name, const char *dest, unsigned mode)
{
	pl_buf data = PL_BUF_INIT;

	CHECK_OK(pl_read_file(&data, pl_fixture(name), 1 << 20));
	snprintf(path, 4096, "%s/%s", pl_tmpdir(), dest);
	CHECK_OK(pl_write_file_atomic(path, data.ptr ? data.ptr : "", data.len, mode));
	CHECK(chmod(path, (mode_t)mode) == 0);
	pl_buf_free(&data);
}

/* The fixture's bytes, appended to out. */
static inline void read_fixture(pl_buf *out, const char *name)
{
	CHECK_OK(pl_read_file(out, pl_fixture(name), 1 << 20));
}

/* tests/fixtures/key/test.key, copied with mode 0600 and loaded. */
static inline pl_key *test_key(void)
{
	char path[4096];
	pl_key *k = NULL;

	copy_fixture(path, "key/test.key", "test.key", 0600);
	CHECK_OK(pl_key_load_private(&k, path));
	return k;
}

/* The public key of test.pub. */
static inline pl_key *test_pub(void)
{
	pl_buf line = PL_BUF_INIT;
	pl_key *k = NULL;

	read_fixture(&line, "key/test.pub");
	CHECK_OK(pl_key_from_openssh(&k, NULL, line.ptr, line.len));
	pl_buf_free(&line);
	return k;
}

/* Write s to <tmpdir>/name; path receives the file's path. */
static inline void write_tmp(char path[4096], const char *name, const void *s, size_t len)
{
	snprintf(path, 4096, "%s/%s", pl_tmpdir(), name);
	CHECK_OK(pl_write_file_atomic(path, len ? s : "", len, 0600));
}

#endif
