/*
 * json_read.c - test helper for the JSON differential (tests/cli/differential.sh):
 * reads each FILE with one of provledger's two JSON readers and prints one
 * line per FILE, for a second implementation to compare with.
 *
 *   json_read jsonl FILE...   the JSONL shard reader (hashing/shard_json.c):
 *                             "ok HEX" (the text field of the file's one line,
 *                             decoded, as hex) or "err MESSAGE"
 *   json_read json FILE...    pl_json_parse + pl_json_canonical (the ledger's
 *                             reader): "ok HEX" (the canonical bytes) or
 *                             "err MESSAGE"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_dsse.h"
#include "pl_shard.h"

static void hex(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void one_jsonl(const char *path)
{
	pl_shard_opts o = {.format = PL_FORMAT_JSONL};
	pl_shard *s = NULL;
	const pl_record *r;
	int rc, n = 0;
	if (pl_shard_open(&s, path, &o) < 0) {
		printf("err %s\n", pl_error_last());
		return;
	}
	while ((rc = pl_shard_next(s, &r)) == 1) {
		if (n++) {
			printf(" ");
		} else {
			printf("ok ");
		}
		hex(r->text, r->text_len);
	}
	if (rc < 0) {
		printf("%serr %s\n", n ? "\n" : "", pl_error_last());
	} else if (n == 0) {
		printf("ok-empty\n");
	} else {
		printf("\n");
	}
	pl_shard_free(s);
}

static void one_json(const char *path)
{
	pl_buf in = PL_BUF_INIT, out = PL_BUF_INIT;
	json_t *v = NULL;
	char chunk[65536];
	size_t got;
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("err cannot open %s\n", path);
		return;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pl_buf_put(&in, chunk, got);
	fclose(f);
	if (pl_json_parse(&v, in.ptr ? in.ptr : "", in.len, "input") < 0 ||
	    pl_json_canonical(&out, v) < 0) {
		printf("err %s\n", pl_error_last());
	} else {
		printf("ok ");
		hex(out.ptr, out.len);
		printf("\n");
	}
	json_decref(v);
	pl_buf_free(&in);
	pl_buf_free(&out);
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "jsonl") != 0 && strcmp(argv[1], "json") != 0)) {
		fprintf(stderr, "usage: json_read jsonl|json FILE...\n");
		return 2;
	}
	int jsonl = strcmp(argv[1], "jsonl") == 0;
	for (int i = 2; i < argc; i++) {
		if (jsonl)
			one_jsonl(argv[i]);
		else
			one_json(argv[i]);
	}
	return 0;
}
