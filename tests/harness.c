/* harness.c - runner for PL_TEST tests: fork per test, name filter, summary line. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	const char *name;
	pl_test_fn fn;
} test_case;

static test_case *tests;
static size_t ntests, captests;
static char tmpdir[4096];
static char fixture_path[4096];

void pl_test_register(const char *name, pl_test_fn fn)
{
	if (ntests == captests) {
		captests = captests ? 2 * captests : 64;
		tests = realloc(tests, captests * sizeof(*tests));
		if (!tests)
			abort();
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void pl_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	exit(1);
}

void pl_skip(const char *why)
{
	fprintf(stderr, "    skipped: %s\n", why);
	exit(77);
}

const char *pl_fixture(const char *name)
{
	const char *dir = getenv("PL_FIXTURES");
	snprintf(fixture_path, sizeof(fixture_path), "%s/%s", dir ? dir : "tests/fixtures", name);
	return fixture_path;
}

const char *pl_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/pltest.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir))
			pl_test_fail(__FILE__, __LINE__, "mkdtemp failed");
	}
	return tmpdir;
}

static void cleanup_tmp(void)
{
	if (tmpdir[0]) {
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
		tmpdir[0] = '\0';
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(((const test_case *)a)->name, ((const test_case *)b)->name);
}

int main(int argc, char **argv)
{
	int nofork = getenv("PL_TEST_NOFORK") != NULL;
	size_t passed = 0, failed = 0, skipped = 0;

	qsort(tests, ntests, sizeof(*tests), cmp);
	for (size_t i = 0; i < ntests; i++) {
		int match = argc < 2, status = 0;
		for (int a = 1; a < argc; a++)
			if (strstr(tests[i].name, argv[a]))
				match = 1;
		if (!match)
			continue;
		fflush(stdout);
		if (nofork) {
			tests[i].fn();
			cleanup_tmp();
		} else {
			pid_t pid = fork();
			if (pid == 0) {
				tests[i].fn();
				cleanup_tmp();
				fflush(stdout);
				_exit(0);
			}
			if (pid < 0 || waitpid(pid, &status, 0) < 0)
				status = 1 << 8;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			printf("ok   %s\n", tests[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
			skipped++;
			printf("skip %s\n", tests[i].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("FAIL %s (signal %d)\n", tests[i].name, WTERMSIG(status));
			else
				printf("FAIL %s\n", tests[i].name);
		}
	}
	printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
	free(tests);
	return failed ? 1 : 0;
}
