/* replay.c - run a libFuzzer harness without libFuzzer: feed it every file
 * named on the command line (a directory: every file in it, sorted), one by
 * one, naming each on stdout first so that a crash names its input. Built
 * with the other tests (make test) from tests/fuzz/NAME.c and this file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pl_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	pl_buf b = PL_BUF_INIT;
	printf("input %s\n", path);
	fflush(stdout);
	if (pl_read_file(&b, path, (size_t)64 << 20) < 0) {
		fprintf(stderr, "replay: %s\n", pl_error_last());
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)(b.ptr ? b.ptr : ""), b.len);
	pl_buf_free(&b);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, cap = 0;
	int bad = 0;
	if (!d) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(names = realloc(names, cap * sizeof(*names))))
				abort();
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		if (!(names[count] = malloc(len)))
			abort();
		snprintf(names[count++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof(*names), cmp);
	for (size_t i = 0; i < count; i++) {
		bad |= run_file(names[i]);
		free(names[i]);
	}
	free(names);
	*n += count;
	return bad;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			bad |= run_dir(argv[i], &n);
		} else {
			bad |= run_file(argv[i]);
			n++;
		}
	}
	printf("replayed %zu inputs\n", n);
	return bad;
}
