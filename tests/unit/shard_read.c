/* Unit tests of the shard readers (hashing/shard*.c): JSONL scanning and
 * decoding, span mapping, txt, tar, gzip/zstd, digests and error messages. */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "harness.h"
#include "pl_shard.h"

static const char *put_file(const char *name, const void *data, size_t len)
{
	static char path[4][512];
	static int slot;
	char *p = path[slot++ & 3];
	snprintf(p, 512, "%s/%s", pl_tmpdir(), name);
	FILE *f = fopen(p, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, len, f) == len);
	fclose(f);
	return p;
}

static void gzip_into(pl_buf *out, const void *data, size_t len)
{
	z_stream z = {0};
	unsigned char tmp[4096];
	CHECK(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	int rc;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		rc = deflate(&z, Z_FINISH);
		CHECK_OK(pl_buf_put(out, tmp, sizeof(tmp) - z.avail_out));
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
}

static void zstd_into(pl_buf *out, const void *data, size_t len)
{
	size_t cap = ZSTD_compressBound(len);
	CHECK_OK(pl_buf_grow(out, cap));
	size_t n = ZSTD_compress(out->ptr + out->len, cap, data, len, 3);
	CHECK(!ZSTD_isError(n));
	out->len += n;
}

/* An error message without the temp directory in front of the file name. */
static const char *rel(const char *m)
{
	size_t n = strlen(pl_tmpdir());
	if (strncmp(m, pl_tmpdir(), n) == 0 && m[n] == '/')
		return m + n + 1;
	return m;
}

/* Open a shard holding data; fail the test on error. */
static pl_shard *open_data(const char *name, const void *data, size_t len,
                           const pl_shard_opts *opts)
{
	pl_shard *s = NULL;
	CHECK_OK(pl_shard_open(&s, put_file(name, data, len), opts));
	return s;
}

/* The first error met reading every record of data, or "" when none. */
static const char *read_all_error(const char *name, const char *data, const pl_shard_opts *o)
{
	static char msg[512];
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	int rc = pl_shard_open(&s, put_file(name, data, strlen(data)), o);
	if (rc == 0) {
		while ((rc = pl_shard_next(s, &r)) > 0)
			;
		if (rc == 0)
			rc = pl_shard_finish(s, &info);
	}
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? rel(pl_error_last()) : "");
	pl_shard_free(s);
	return msg;
}

PL_TEST(shard, jsonl_records_and_escapes)
{
	const char *d = "{\"id\":[1,{\"a\":null,\"b\":[true,false]}],\"text\":\"caf\\u00e9 "
	                "\\ud83d\\ude00\\n\\\"x\\\"\",\"n\":-1.5e+3}\n"
	                "\n"
	                "  {\"text\":\"plain\"}\r\n"
	                "{\"t\\u0065xt\":\"key escaped\"}";
	pl_shard_opts o = {0};
	pl_shard *s = open_data("a.jsonl", d, strlen(d), &o);
	const pl_record *r;
	pl_shard_info info;

	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->index, 0);
	CHECK_EQ_INT(r->offset, 0);
	CHECK_EQ_INT(r->line, 1);
	CHECK_EQ_INT(r->text_len, strlen("caf\xc3\xa9 \xf0\x9f\x98\x80\n\"x\""));
	CHECK(memcmp(r->text, "caf\xc3\xa9 \xf0\x9f\x98\x80\n\"x\"", r->text_len) == 0);
	CHECK_EQ_INT(r->length, strchr(d, '\n') - d);

	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->index, 1);
	CHECK_EQ_INT(r->line, 3);
	CHECK_EQ_INT(r->offset, strstr(d, "  {") - d);
	CHECK_EQ_INT(r->length, strlen("  {\"text\":\"plain\"}"));
	CHECK(r->text_len == 5 && memcmp(r->text, "plain", 5) == 0);

	CHECK_EQ_INT(pl_shard_next(s, &r), 1); /* final line without a newline */
	CHECK(r->text_len == 11 && memcmp(r->text, "key escaped", 11) == 0);
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.records, 3);
	CHECK_EQ_INT(info.format, PL_FORMAT_JSONL);
	CHECK_EQ_INT(info.stream_bytes, strlen(d));
	pl_shard_free(s);
}

PL_TEST(shard, span_maps_decoded_text_to_stream)
{
	/* value content starts at byte 9: a\nb é 😀 z */
	const char *d = "{\"text\":\"a\\nb \\u00e9 \\ud83d\\ude00 z\"}\n";
	pl_shard *s = open_data("s.jsonl", d, strlen(d), NULL);
	const pl_record *r;
	uint64_t off, len;
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	/* decoded: a(0) \n(1) b(2) ' '(3) é(4,5) ' '(6) 😀(7..10) ' '(11) z(12) */
	CHECK_EQ_INT(r->text_len, 13);
	CHECK_OK(pl_shard_span(s, &off, &len, 0, 1)); /* "a" */
	CHECK_EQ_INT(off, 9);
	CHECK_EQ_INT(len, 1);
	CHECK_OK(pl_shard_span(s, &off, &len, 2, 1)); /* "b" after \n */
	CHECK_EQ_INT(off, 12);
	CHECK_EQ_INT(len, 1);
	CHECK_OK(pl_shard_span(s, &off, &len, 4, 2)); /* é = \u00e9 */
	CHECK_EQ_INT(off, 14);
	CHECK_EQ_INT(len, 6);
	CHECK_OK(pl_shard_span(s, &off, &len, 5, 1)); /* inside é: widened */
	CHECK_EQ_INT(off, 14);
	CHECK_EQ_INT(len, 6);
	CHECK_OK(pl_shard_span(s, &off, &len, 7, 4)); /* the surrogate pair */
	CHECK_EQ_INT(off, 21);
	CHECK_EQ_INT(len, 12);
	CHECK_OK(pl_shard_span(s, &off, &len, 12, 1)); /* "z" */
	CHECK_EQ_INT(off, 34);
	CHECK(d[off] == 'z');
	CHECK_OK(pl_shard_span(s, &off, &len, 0, 13)); /* everything */
	CHECK_EQ_INT(off, 9);
	CHECK_EQ_INT(len, 26);
	CHECK_ERR(pl_shard_span(s, &off, &len, 10, 4), PL_EUSAGE);
	pl_shard_free(s);
}

PL_TEST(shard, jsonl_errors_are_exact)
{
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"abc}\n", NULL),
	          "e.jsonl: line 2 (byte 22): invalid JSON: unterminated string");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\"} x\n", NULL),
	          "e.jsonl: line 1 (byte 13): invalid JSON: trailing garbage");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\\x\"}\n", NULL),
	          "e.jsonl: line 1 (byte 10): invalid JSON: invalid escape \\x");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\\ud800\"}\n", NULL),
	          "e.jsonl: line 1 (byte 10): invalid JSON: lone surrogate \\ud800");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\\udc00\\ud800\"}\n", NULL),
	          "e.jsonl: line 1 (byte 10): invalid JSON: lone surrogate \\udc00");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\",\"n\":01}\n", NULL),
	          "e.jsonl: line 1 (byte 17): invalid JSON: expected ',' or '}'");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\",\"n\":1.}\n", NULL),
	          "e.jsonl: line 1 (byte 16): invalid JSON: invalid number");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\",\"n\":tru}\n", NULL),
	          "e.jsonl: line 1 (byte 16): invalid JSON: invalid literal");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\",\"n\":[1,]}\n", NULL),
	          "e.jsonl: line 1 (byte 19): invalid JSON: unexpected character");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\t\"}\n", NULL),
	          "e.jsonl: line 1 (byte 10): invalid JSON: control character in string");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\",\"o\":{\"x\":1}\n", NULL),
	          "e.jsonl: line 1 (byte 23): invalid JSON: unterminated object");
	CHECK_STR(
	    read_all_error("e.jsonl", "[\"text\"]\n", &(pl_shard_opts){.format = PL_FORMAT_JSONL}),
	    "e.jsonl: line 1 (byte 0): not a JSON object");
	CHECK_STR(read_all_error("e.jsonl", "{\"t\":\"a\"}\n", NULL),
	          "e.jsonl: line 1 (byte 0): no field \"text\"");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":[\"a\"]}\n", NULL),
	          "e.jsonl: line 1 (byte 8): field \"text\" is not a string");
	CHECK_STR(read_all_error("e.jsonl", "{\"text\":\"a\",\"text\":\"b\"}\n", NULL),
	          "e.jsonl: line 1 (byte 12): invalid JSON: duplicate field \"text\"");
	/* Another field name, and valid nesting around it. */
	pl_shard_opts o = {.field = "body"};
	CHECK_STR(
	    read_all_error("e.jsonl", "{\"text\":1,\"body\":\"x\",\"m\":{\"a\":[[],{}]}}\n", &o),
	    "");
}

PL_TEST(shard, max_record_refuses_long_lines)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_buf_puts(&b, "{\"text\":\"short\"}\n{\"text\":\""));
	for (int i = 0; i < 5000; i++)
		CHECK_OK(pl_buf_puts(&b, "word "));
	CHECK_OK(pl_buf_puts(&b, "\"}\n"));
	pl_shard_opts o = {.max_record = 1000};
	CHECK_STR(read_all_error("long.jsonl", b.ptr, &o),
	          "long.jsonl: line 2 (byte 17): record longer than the --max-record limit of "
	          "1000 bytes (raise it with --max-record BYTES)");
	o.max_record = 100000;
	CHECK_STR(read_all_error("long.jsonl", b.ptr, &o), "");
	pl_buf_free(&b);
}

PL_TEST(shard, txt_whole_and_paragraphs)
{
	const char *d = "First para\nline two.\n\n \t\r\nSecond\r\n\n\nThird";
	pl_shard_opts o = {.split = PL_SPLIT_BLANK_LINE};
	pl_shard *s = open_data("p.txt", d, strlen(d), &o);
	const pl_record *r;
	pl_shard_info info;
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->offset, 0);
	CHECK_EQ_INT(r->length, 20);
	CHECK(memcmp(r->text, "First para\nline two.", 20) == 0);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->offset, strstr(d, "Second") - d);
	CHECK_EQ_INT(r->length, 6);
	CHECK_EQ_INT(r->line, 5);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->offset, strstr(d, "Third") - d);
	CHECK_EQ_INT(r->length, 5);
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.records, 3);
	CHECK_EQ_INT(info.format, PL_FORMAT_TXT);
	pl_shard_free(s);

	s = open_data("w.txt", d, strlen(d), NULL);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->length, strlen(d));
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	pl_shard_free(s);

	/* An empty file: a valid shard with no records, the empty-tree root. */
	s = open_data("empty", "", 0, NULL);
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.records, 0);
	char hex[65];
	pl_hex(hex, info.merkle, 32);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	pl_shard_free(s);
}

PL_TEST(shard, sha256_and_merkle_of_stored_bytes)
{
	pl_shard_opts o = {.format = PL_FORMAT_RAW};
	pl_shard *s = open_data("abc", "abc", 3, &o);
	pl_shard_info info;
	char hex[65];
	CHECK_OK(pl_shard_finish(s, &info));
	pl_hex(hex, info.sha256, 32);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unsigned char leaf[32];
	pl_merkle_leaf(leaf, "abc", 3);
	CHECK(memcmp(info.merkle, leaf, 32) == 0);
	CHECK_EQ_INT(info.stored_bytes, 3);
	pl_shard_free(s);

	/* 2.5 MiB: leaves of 1 MiB, 1 MiB, 0.5 MiB; root = node(node(l0,l1), l2). */
	size_t n = (size_t)5 << 19;
	unsigned char *big = malloc(n), l[3][32], a[32], root[32];
	for (size_t i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 13));
	s = open_data("big", big, n, NULL);
	CHECK_OK(pl_shard_finish(s, &info));
	pl_merkle_leaf(l[0], big, 1 << 20);
	pl_merkle_leaf(l[1], big + (1 << 20), 1 << 20);
	pl_merkle_leaf(l[2], big + (2 << 20), n - (2 << 20));
	pl_merkle_node(a, l[0], l[1]);
	pl_merkle_node(root, a, l[2]);
	CHECK(memcmp(info.merkle, root, 32) == 0);
	pl_sha256(root, big, n);
	CHECK(memcmp(info.sha256, root, 32) == 0);
	pl_shard_free(s);
	free(big);
}

PL_TEST(shard, gzip_multi_member_and_zstd)
{
	const char *a = "{\"text\":\"one\"}\n", *b = "{\"text\":\"two\"}\n";
	pl_buf gz = PL_BUF_INIT, zs = PL_BUF_INIT;
	gzip_into(&gz, a, strlen(a));
	gzip_into(&gz, b, strlen(b));
	zstd_into(&zs, a, strlen(a));
	zstd_into(&zs, b, strlen(b)); /* two frames */
	const pl_buf *bufs[] = {&gz, &zs};
	for (int i = 0; i < 2; i++) {
		pl_shard *s = open_data(i ? "x.zst" : "x.gz", bufs[i]->ptr, bufs[i]->len, NULL);
		const pl_record *r;
		pl_shard_info info;
		CHECK_EQ_INT(pl_shard_next(s, &r), 1);
		CHECK(r->text_len == 3 && memcmp(r->text, "one", 3) == 0);
		CHECK_EQ_INT(pl_shard_next(s, &r), 1);
		CHECK(r->text_len == 3 && memcmp(r->text, "two", 3) == 0);
		CHECK_EQ_INT(r->offset, strlen(a));
		CHECK_OK(pl_shard_finish(s, &info));
		CHECK_EQ_INT(info.compression, i ? PL_COMPRESSION_ZSTD : PL_COMPRESSION_GZIP);
		CHECK_EQ_INT(info.stored_bytes, bufs[i]->len);
		CHECK_EQ_INT(info.stream_bytes, 2 * strlen(a));
		pl_shard_free(s);
	}
	/* Truncated and corrupt. */
	char msg[512];
	pl_shard *s = NULL;
	const pl_record *r;
	CHECK_OK(pl_shard_open(&s, put_file("t.gz", gz.ptr, gz.len - 5), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_ERR(pl_shard_next(s, &r), PL_EINVALID);
	snprintf(msg, sizeof(msg), "%s", rel(pl_error_last()));
	CHECK_CONTAINS(msg, "t.gz: line 3 (byte 30): truncated gzip stream");
	pl_shard_free(s);
	s = NULL;
	CHECK_OK(pl_shard_open(&s, put_file("t.zst", zs.ptr, zs.len - 3), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_ERR(pl_shard_next(s, &r), PL_EINVALID);
	CHECK_STR(rel(pl_error_last()), "t.zst: line 2 (byte 27): truncated zstd stream");
	pl_shard_free(s);
	gz.ptr[20] ^= 0x55;
	s = NULL;
	int rc = pl_shard_open(&s, put_file("c.gz", gz.ptr, gz.len), NULL);
	if (rc == 0) {
		while ((rc = pl_shard_next(s, &r)) > 0)
			;
	}
	CHECK(rc < 0);
	CHECK_CONTAINS(pl_error_last(), "c.gz: ");
	CHECK_CONTAINS(pl_error_last(), "gzip");
	pl_shard_free(s);
	pl_buf_free(&gz);
	pl_buf_free(&zs);
}

/* A tar header block with a correct checksum. */
static void tar_header(pl_buf *t, const char *name, size_t size, char type, int ustar)
{
	unsigned char h[512] = {0};
	unsigned sum = 0;
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (ustar)
		memcpy(h + 257,
		       "ustar\0"
		       "00",
		       8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	CHECK_OK(pl_buf_put(t, h, 512));
}

static void tar_data(pl_buf *t, const char *data, size_t n)
{
	static const char zero[512];
	CHECK_OK(pl_buf_put(t, data, n));
	if (n % 512)
		CHECK_OK(pl_buf_put(t, zero, 512 - n % 512));
}

PL_TEST(shard, tar_members_long_names_pax)
{
	pl_buf t = PL_BUF_INIT;
	char longname[200];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	tar_header(&t, "dir/", 0, '5', 1);
	tar_header(&t, "a.txt", 5, '0', 1);
	tar_data(&t, "hello", 5);
	tar_header(&t, "././@LongLink", strlen(longname) + 1, 'L', 1);
	tar_data(&t, longname, strlen(longname) + 1);
	tar_header(&t, "truncated-name", 3, '0', 1);
	tar_data(&t, "abc", 3);
	const char *pax = "22 path=pax/long.json\n";
	tar_header(&t, "PaxHeaders/x", strlen(pax), 'x', 1);
	tar_data(&t, pax, strlen(pax));
	tar_header(&t, "short", 2, '0', 1);
	tar_data(&t, "xy", 2);
	tar_header(&t, "link", 0, '2', 1);
	tar_data(&t, NULL, 0);
	CHECK_OK(pl_buf_put(&t, (char[1024]){0}, 1024));

	pl_shard *s = open_data("a.tar", t.ptr, t.len, NULL);
	const pl_record *r;
	pl_shard_info info;
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_STR(r->name, "a.txt");
	CHECK_EQ_INT(r->offset, 1024);
	CHECK_EQ_INT(r->length, 5);
	CHECK(memcmp(r->text, "hello", 5) == 0);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_STR(r->name, longname);
	CHECK(r->text_len == 3 && memcmp(r->text, "abc", 3) == 0);
	CHECK_OK(pl_shard_next(s, &r));
	CHECK_STR(r->name, "pax/long.json");
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.format, PL_FORMAT_TAR);
	CHECK_EQ_INT(info.records, 3);
	pl_shard_free(s);

	/* A flipped byte in a header: bad checksum. */
	t.ptr[1024 + 512 + 3] ^= 1;
	s = open_data("bad.tar", t.ptr, t.len, NULL);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_ERR(pl_shard_next(s, &r), PL_EINVALID);
	CHECK_STR(rel(pl_error_last()),
	          "bad.tar: tar header at byte 1536: corrupt tar header (bad checksum)");
	pl_shard_free(s);
	t.ptr[1024 + 512 + 3] ^= 1;

	/* Truncated inside a member's data. */
	s = open_data("trunc.tar", t.ptr, 1024 + 3, NULL);
	CHECK_ERR(pl_shard_next(s, &r), PL_EINVALID);
	CHECK_STR(rel(pl_error_last()),
	          "trunc.tar: member a.txt (byte 1024): truncated tar: member data ends early");
	pl_shard_free(s);
	pl_buf_free(&t);
}

PL_TEST(shard, tokenize_maps_bad_utf8_to_stream)
{
	const char *d = "{\"text\":\"ok\"}\n{\"text\":\"\\u00e9 b\xff\"}\n";
	pl_shard *s = open_data("u.jsonl", d, strlen(d), NULL);
	const pl_record *r;
	pl_tokens tok = {0};
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_OK(pl_shard_tokenize(s, &tok, 0));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_ERR(pl_shard_tokenize(s, &tok, 0), PL_EINVALID);
	/* \xff is decoded byte 4, stream byte 14 + 9 + 8 = 31 */
	CHECK_STR(rel(pl_error_last()), "u.jsonl: line 2 (byte 31): invalid UTF-8");
	pl_shard_free(s);
	pl_shard_opts o = {.lossy = 1};
	s = open_data("u.jsonl", d, strlen(d), &o);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_OK(pl_shard_tokenize(s, &tok, 0));
	pl_shard_free(s);
	pl_tokens_free(&tok);
}

PL_TEST(shard, open_errors)
{
	pl_shard *s = NULL;
	char p[600];
	snprintf(p, sizeof(p), "%s/nope", pl_tmpdir());
	CHECK_ERR(pl_shard_open(&s, p, NULL), PL_ENOTFOUND);
	CHECK_CONTAINS(pl_error_last(), "nope: no such file");
	CHECK_ERR(pl_shard_open(&s, pl_tmpdir(), NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), ": is a directory, not a shard");
	CHECK(s == NULL);
	pl_shard_free(NULL);
}
