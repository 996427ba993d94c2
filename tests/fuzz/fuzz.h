/*
 * fuzz.h - helpers shared by the libFuzzer harnesses (tests/fuzz/NAME.c): the
 * input as a file or a descriptor, a fixed test key, and an assertion that
 * aborts (so libFuzzer, and the gcc-built replay, report it as a crash).
 *
 * Each harness defines LLVMFuzzerTestOneInput only; it is linked either with
 * -fsanitize=fuzzer (make fuzz) or with tests/fuzz/replay.c (make test).
 */
#ifndef PL_FUZZ_H
#define PL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_common.h"
#include "pl_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promises does not hold: abort, naming it. */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,        \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The public half of tests/fixtures/key/test.key (the signer of the tlog and
 * DSSE fixtures), and the origin of the tlog fixtures. */
#define FUZZ_TEST_PUB                                                                              \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXMmpnU2E4EXZNJJKrq1/omzm+a8gfrI/2j2k0Opa+D test"
#define FUZZ_ORIGIN "example.org/provledger-test"

/* Where fuzz_dir's path lives (one per harness: each is one translation unit). */
static inline const char **fuzz_dir_slot(void)
{
	static const char *path;
	return &path;
}

static inline void fuzz_dir_cleanup(void)
{
	char cmd[600];
	if (!*fuzz_dir_slot())
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", *fuzz_dir_slot());
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", *fuzz_dir_slot());
}

/* A private directory for this process, removed at exit. */
static inline const char *fuzz_dir(void)
{
	static char dir[512];
	if (!*fuzz_dir_slot()) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(dir, sizeof(dir), "%s/plfuzz.XXXXXX", base);
		if (!mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		*fuzz_dir_slot() = dir;
		atexit(fuzz_dir_cleanup);
	}
	return dir;
}

/* Write data to fuzz_dir()/name with mode; the path (static storage, one per name slot). */
static inline const char *fuzz_file(const char *name, const void *data, size_t size, unsigned mode)
{
	static char path[4][600];
	static unsigned slot;
	char *p = path[slot++ & 3];
	FILE *f;
	snprintf(p, 600, "%s/%s", fuzz_dir(), name);
	unlink(p);
	if (!(f = fopen(p, "wb")) || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror("fuzz: write");
		abort();
	}
	if (chmod(p, (mode_t)mode) != 0) {
		perror("fuzz: chmod");
		abort();
	}
	return p;
}

/* A descriptor of a file holding data (in memory where /dev/shm is), at
 * offset 0. The caller closes it. */
static inline int fuzz_fd(const void *data, size_t size)
{
	int fd = open(fuzz_file("input", data, size, 0600), O_RDONLY);
	if (fd < 0) {
		perror("fuzz: open");
		abort();
	}
	return fd;
}

/* A NUL-terminated copy of data (the caller frees it). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The test key's public half, loaded once. */
static inline const pl_key *fuzz_test_key(void)
{
	static pl_key *k;
	if (!k && pl_key_from_openssh(&k, NULL, FUZZ_TEST_PUB, strlen(FUZZ_TEST_PUB)) < 0) {
		fprintf(stderr, "fuzz: test key: %s\n", pl_error_last());
		abort();
	}
	return k;
}

#endif
