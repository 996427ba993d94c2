/* Unit tests of the shard readers against hostile input (hashing/shard*.c):
 * tar sizes that wrap or overflow, members that tar readers read
 * differently, names that could forge output, truncation at every offset,
 * the record limit and its cap, a UTF-8 BOM before JSONL, reading a
 * descriptor, and the overflow checks of the buffer helpers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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
	CHECK(len == 0 || fwrite(data, 1, len, f) == len);
	fclose(f);
	return p;
}

/* An error message without the temp directory in front of the file name. */
static const char *rel(const char *m)
{
	size_t n = strlen(pl_tmpdir());
	if (strncmp(m, pl_tmpdir(), n) == 0 && m[n] == '/')
		return m + n + 1;
	return m;
}

/* Read every record of data[0..len); the first error's message (without the
 * temp directory), or "" when none. *nrec: records read. */
static const char *read_all(const char *name, const void *data, size_t len, const pl_shard_opts *o,
                            int *code, size_t *nrec)
{
	static char msg[1024];
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	size_t n = 0;
	int rc = pl_shard_open(&s, put_file(name, data, len), o);
	if (rc == 0) {
		while ((rc = pl_shard_next(s, &r)) > 0)
			n++;
		if (rc == 0)
			rc = pl_shard_finish(s, &info);
	}
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? rel(pl_error_last()) : "");
	if (code)
		*code = rc;
	if (nrec)
		*nrec = n;
	pl_shard_free(s);
	return msg;
}

static const char *tar_error(const pl_buf *t, const pl_shard_opts *o)
{
	return read_all("x.tar", t->ptr, t->len, o, NULL, NULL);
}

/* A tar header with a correct checksum; size12 (12 bytes) is the raw size
 * field, or NULL for octal `size`. ustar magic. */
static void header_raw(pl_buf *t, const char *name, const unsigned char *size12, uint64_t size,
                       char type)
{
	unsigned char h[512] = {0};
	unsigned sum = 0;
	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	if (size12)
		memcpy(h + 124, size12, 12);
	else
		snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
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

static void header(pl_buf *t, const char *name, uint64_t size, char type)
{
	header_raw(t, name, NULL, size, type);
}

static void data(pl_buf *t, const char *d, size_t n)
{
	static const char zero[512];
	CHECK_OK(pl_buf_put(t, d, n));
	if (n % 512)
		CHECK_OK(pl_buf_put(t, zero, 512 - n % 512));
}

static void end(pl_buf *t)
{
	CHECK_OK(pl_buf_put(t, (char[1024]){0}, 1024));
}

/* A member "hidden.txt" (5 bytes) that a reader skipping too little or too
 * much would see or miss, then "vis.txt", then the end. */
static void tail(pl_buf *t)
{
	header(t, "hidden.txt", 5, '0');
	data(t, "hello", 5);
	header(t, "vis.txt", 3, '0');
	data(t, "abc", 3);
	end(t);
}

/* 2^64 - 1 in GNU base-256. */
static const unsigned char B256_MAX[12] = {0x80, 0,    0,    0,    0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

PL_TEST(shard_limits, tar_size_2_64_minus_1_does_not_wrap)
{
	/* The review's attack: with the record limit at its maximum, size + 1
	 * wrapped to 0 and the member's data was written past a 64-byte buffer. */
	pl_buf t = PL_BUF_INIT;
	header_raw(&t, "evil.txt", B256_MAX, 0, '0');
	char a[512];
	memset(a, 'A', sizeof(a));
	for (int i = 0; i < 6; i++)
		data(&t, a, sizeof(a));
	end(&t);
	pl_shard_opts o = {.max_record = PL_SHARD_MAX_RECORD_LIMIT};
	CHECK_STR(tar_error(&t, &o),
	          "x.tar: member evil.txt (tar header at byte 0): corrupt tar header: size "
	          "18446744073709551615 out of range (at most 9223372036854775807)");
	/* The limit that made it possible is refused outright. */
	pl_shard *s = NULL;
	o.max_record = UINT64_MAX;
	CHECK_ERR(pl_shard_open(&s, put_file("x.tar", t.ptr, t.len), &o), PL_EUSAGE);
	CHECK_STR(rel(pl_error_last()),
	          "x.tar: a max_record of 18446744073709551615 bytes is over the limit of "
	          "1073741824 bytes (1 GiB)");
	CHECK(s == NULL);
	o.max_record = PL_SHARD_MAX_RECORD_LIMIT + 1;
	CHECK_ERR(pl_shard_open(&s, put_file("x.tar", t.ptr, t.len), &o), PL_EUSAGE);
	pl_buf_free(&t);
}

PL_TEST(shard_limits, tar_nonregular_huge_size_is_refused)
{
	/* Its padding wrapped to 0: the next member was read from its "data". */
	static const char types[] = {'5', '2', '1', '3', '4', '6', 'V', 'D', 'M', '9'};
	static const char *names[] = {"dir/", "sym", "hl", "chr", "blk",
	                              "fifo", "vol", "dd", "mv",  "nine"};
	for (size_t i = 0; i < sizeof(types); i++) {
		pl_buf t = PL_BUF_INIT;
		char want[300];
		header_raw(&t, names[i], B256_MAX, 0, types[i]);
		tail(&t);
		snprintf(want, sizeof(want),
		         "x.tar: member %s (tar header at byte 0): corrupt tar header: size "
		         "18446744073709551615 out of range (at most 9223372036854775807)",
		         names[i]);
		CHECK_STR(tar_error(&t, NULL), want);
		pl_buf_free(&t);
	}
}

PL_TEST(shard_limits, tar_nodata_member_with_a_size_is_refused)
{
	/* GNU tar skips the size after a symlink, device or FIFO (and after an old
	 * V7 directory, a '\0' member named "x/"); Python's tarfile (WebDataset)
	 * does not: the two would see different members. */
	static const struct {
		char type;
		const char *name, *kind;
	} c[] = {{'1', "hl", "hard link"},         {'2', "sym", "symbolic link"},
	         {'3', "chr", "character device"}, {'4', "blk", "block device"},
	         {'5', "dir/", "directory"},       {'6', "fifo", "FIFO"},
	         {'\0', "v7dir/", "directory"}};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		pl_buf t = PL_BUF_INIT;
		char want[300];
		header(&t, c[i].name, 1024, c[i].type);
		tail(&t);
		snprintf(want, sizeof(want),
		         "x.tar: member %s (tar header at byte 0): a %s with a size of 1024 bytes "
		         "(tar readers disagree on whether data follows)",
		         c[i].name, c[i].kind);
		CHECK_STR(tar_error(&t, NULL), want);
		pl_buf_free(&t);
		/* With size 0 they are skipped, as before. */
		t = (pl_buf)PL_BUF_INIT;
		header(&t, c[i].name, 0, c[i].type);
		tail(&t);
		size_t n;
		CHECK_STR(read_all("x.tar", t.ptr, t.len, NULL, NULL, &n), "");
		CHECK_EQ_INT(n, 2);
		pl_buf_free(&t);
	}
	/* Other types are skipped with their data, as GNU tar and Python do. */
	pl_buf t = PL_BUF_INIT;
	size_t n;
	header(&t, "label", 600, 'V');
	data(&t, (char[600]){0}, 600);
	tail(&t);
	CHECK_STR(read_all("x.tar", t.ptr, t.len, NULL, NULL, &n), "");
	CHECK_EQ_INT(n, 2);
	pl_buf_free(&t);
}

PL_TEST(shard_limits, tar_size_fields)
{
	pl_buf t = PL_BUF_INIT;
	static const unsigned char neg[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xfb};
	header_raw(&t, "neg.txt", neg, 0, '0');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: member neg.txt (tar header at byte 0): corrupt "
	                               "tar header: negative size (base-256)");
	pl_buf_free(&t);

	static const unsigned char wide[12] = {0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
	header_raw(&t, "wide.txt", wide, 0, '0');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: member wide.txt (tar header at byte 0): corrupt "
	                               "tar header: base-256 size past 64 bits");
	pl_buf_free(&t);

	static const unsigned char b2_63[12] = {0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0};
	header_raw(&t, "big.bin", b2_63, 0, 'V');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL),
	          "x.tar: member big.bin (tar header at byte 0): corrupt tar header: size "
	          "9223372036854775808 out of range (at most 9223372036854775807)");
	pl_buf_free(&t);

	/* The largest size GNU tar takes, on a skipped member: skipped until the
	 * stream ends, then refused as truncated (no wrap in the padding). */
	static const unsigned char b2_63m1[12] = {0x80, 0,    0,    0,    0x7f, 0xff,
	                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	header_raw(&t, "vol", b2_63m1, 0, 'V');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL),
	          "x.tar: member vol (byte 512): truncated tar: member data ends early");
	pl_buf_free(&t);

	header_raw(&t, "oct.txt", (const unsigned char *)"0000000012x\0", 0, '0');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: member oct.txt (tar header at byte 0): corrupt "
	                               "tar header: size is not an octal number");
	pl_buf_free(&t);

	header_raw(&t, "empty.txt", (const unsigned char *)"\0\0\0\0\0\0\0\0\0\0\0\0", 0, '0');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: member empty.txt (tar header at byte 0): corrupt "
	                               "tar header: size is not an octal number");
	pl_buf_free(&t);

	/* Twelve octal digits, no terminator: 2^36 - 1 bytes, over the limit. */
	header_raw(&t, "o12.txt", (const unsigned char *)"777777777777", 0, '0');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL),
	          "x.tar: member o12.txt (byte 512): record longer than the --max-record limit "
	          "of 67108864 bytes (raise it with --max-record BYTES)");
	pl_buf_free(&t);

	/* A base-256 size in range is read. */
	static const unsigned char b5[12] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
	header_raw(&t, "b5.txt", b5, 0, '0');
	data(&t, "hello", 5);
	end(&t);
	pl_shard *s = NULL;
	const pl_record *r;
	CHECK_OK(pl_shard_open(&s, put_file("b.tar", t.ptr, t.len), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK(r->text_len == 5 && memcmp(r->text, "hello", 5) == 0);
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	pl_shard_free(s);
	pl_buf_free(&t);
}

/* A pax header of one record "LEN KEY=VALUE\n" (its length computed). */
static void pax(pl_buf *t, char type, const char *kv)
{
	char rec[256];
	size_t len = strlen(kv) + 3; /* a 1-digit length, ' ' and '\n' */
	while ((size_t)snprintf(rec, sizeof(rec), "%zu %s\n", len, kv) != len)
		len = (size_t)snprintf(rec, sizeof(rec), "%zu %s\n", len, kv);
	header(t, "PaxHeaders/x", len, type);
	data(t, rec, len);
}

PL_TEST(shard_limits, tar_pax_and_extended_headers)
{
	pl_buf t = PL_BUF_INIT;
	pax(&t, 'x', "size=9223372036854775808");
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: pax size "
	                               "9223372036854775808 out of range (at most "
	                               "9223372036854775807)");
	pl_buf_free(&t);

	pax(&t, 'x', "size=99999999999999999999");
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: malformed pax extended "
	                               "header");
	pl_buf_free(&t);

	/* The pax header's own size: never buffered past 16 MiB. */
	header(&t, "PaxHeaders/x", (uint64_t)1 << 32, 'x');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: extended header too large "
	                               "(4294967296 bytes)");
	pl_buf_free(&t);

	/* A pax size on a regular member, over the record limit: refused before
	 * anything is buffered. */
	pax(&t, 'x', "size=100000000");
	header(&t, "big.txt", 0, '0');
	end(&t);
	CHECK_STR(tar_error(&t, NULL),
	          "x.tar: member big.txt (byte 1536): record longer than the --max-record limit "
	          "of 67108864 bytes (raise it with --max-record BYTES)");
	pl_buf_free(&t);

	/* A pax size on a symlink: no data allowed either. */
	pax(&t, 'x', "size=512");
	header(&t, "sym", 0, '2');
	tail(&t);
	CHECK_STR(tar_error(&t, NULL),
	          "x.tar: member sym (tar header at byte 1024): a symbolic link with a size of "
	          "512 bytes (tar readers disagree on whether data follows)");
	pl_buf_free(&t);

	pax(&t, 'g', "path=global.txt");
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: a global pax header that "
	                               "sets 'path' is not supported (readers differ on it)");
	pl_buf_free(&t);

	/* A global header of other keys (git archive's comment) is fine. */
	size_t n;
	pax(&t, 'g', "comment=0123456789abcdef0123456789abcdef01234567");
	tail(&t);
	CHECK_STR(read_all("x.tar", t.ptr, t.len, NULL, NULL, &n), "");
	CHECK_EQ_INT(n, 2);
	pl_buf_free(&t);

	pax(&t, 'x', "GNU.sparse.map=0,10");
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: GNU sparse files are not "
	                               "supported (pax extended header key GNU.sparse.map)");
	pl_buf_free(&t);

	header(&t, "sparse.txt", 5, 'S');
	data(&t, "hello", 5);
	end(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: member sparse.txt (tar header at byte 0): GNU "
	                               "sparse files are not supported");
	pl_buf_free(&t);

	/* Two of a kind for one member: readers disagree on which counts. */
	header(&t, "././@LongLink", 4, 'L');
	data(&t, "one", 4);
	header(&t, "././@LongLink", 4, 'L');
	data(&t, "two", 4);
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 1024: a second GNU long name "
	                               "for one member (readers disagree on which one counts)");
	pl_buf_free(&t);

	pax(&t, 'x', "size=5");
	pax(&t, 'X', "size=3");
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 1024: a second pax header for "
	                               "one member (readers disagree on which one counts)");
	pl_buf_free(&t);

	header(&t, "././@LongLink", 4, 'L');
	data(&t, "one", 4);
	pax(&t, 'x', "path=two");
	tail(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 1024: both a GNU long name and "
	                               "a pax path for one member (readers disagree on which "
	                               "one counts)");
	pl_buf_free(&t);

	/* An extended header with no member after it. */
	pax(&t, 'x', "path=two");
	end(&t);
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: truncated tar: the extended "
	                               "header has no member after it");
	pl_buf_free(&t);
	pax(&t, 'x', "path=two");
	CHECK_STR(tar_error(&t, NULL), "x.tar: tar header at byte 0: truncated tar: the extended "
	                               "header has no member after it");
	pl_buf_free(&t);

	/* Solaris 'X' is a pax header, as for GNU tar and Python. */
	pax(&t, 'X', "path=x/y.txt");
	header(&t, "ignored", 3, '0');
	data(&t, "abc", 3);
	end(&t);
	pl_shard *s = NULL;
	const pl_record *r;
	CHECK_OK(pl_shard_open(&s, put_file("x.tar", t.ptr, t.len), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_STR(r->name, "x/y.txt");
	pl_shard_free(s);
	pl_buf_free(&t);
}

PL_TEST(shard_limits, member_names_are_escaped_never_opened)
{
	/* A name that climbs out, carries a newline, a terminal escape, invalid
	 * UTF-8 and a right-to-left override: kept as is in the record, escaped
	 * in messages. Nothing is created or opened under it. */
	const char *evil = "../../pl-escape-\n\x1b[31m\xff\xe2\x80\xae\\caf\xc3\xa9";
	pl_buf t = PL_BUF_INIT;
	char probe[600];
	struct stat st;
	header(&t, evil, 5, '0');
	data(&t, "hello", 5);
	header(&t, "../bad.txt", 3, '0');
	data(&t, "ab\xff", 3);
	end(&t);
	pl_shard *s = NULL;
	const pl_record *r;
	pl_tokens tok = {0};
	CHECK_OK(pl_shard_open(&s, put_file("n.tar", t.ptr, t.len), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_STR(r->name, evil);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_ERR(pl_shard_tokenize(s, &tok, 0), PL_EINVALID);
	CHECK_STR(rel(pl_error_last()), "n.tar: member ../bad.txt (byte 1538): invalid UTF-8");
	pl_shard_free(s);
	pl_tokens_free(&tok);
	snprintf(probe, sizeof(probe), "%s/../../pl-escape-", pl_tmpdir());
	CHECK(stat(probe, &st) != 0);

	/* Truncated inside the evil member: the message is one line. */
	CHECK_STR(read_all("n.tar", t.ptr, 514, NULL, NULL, NULL),
	          "n.tar: member ../../pl-escape-\\x0a\\x1b[31m\\xff\\xe2\\x80\\xae\\\\caf\xc3\xa9 "
	          "(byte 512): truncated tar: member data ends early");
	pl_buf_free(&t);

	pl_buf e = PL_BUF_INIT;
	CHECK_OK(pl_shard_escape_name(&e, "plain/ok-\xe6\x97\xa5\xe6\x9c\xac.txt"));
	CHECK_STR(e.ptr, "plain/ok-\xe6\x97\xa5\xe6\x9c\xac.txt");
	e.len = 0;
	/* C1 control U+0085, overlong '/', a surrogate, DEL, a tab. */
	CHECK_OK(pl_shard_escape_name(&e, "\xc2\x85|\xc0\xaf|\xed\xa0\x80|\x7f|\t"));
	CHECK_STR(e.ptr, "\\xc2\\x85|\\xc0\\xaf|\\xed\\xa0\\x80|\\x7f|\\x09");
	pl_buf_free(&e);
}

/* The records of a tar read whole: names and lengths, "name:len;" each. */
static void listing(pl_buf *out, const void *d, size_t len, int *code)
{
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	pl_shard_opts o = {.format = PL_FORMAT_TAR};
	int rc = pl_shard_open(&s, put_file("t.tar", d, len), &o);
	out->len = 0;
	CHECK_OK(pl_buf_puts(out, ""));
	while (rc == 0 && (rc = pl_shard_next(s, &r)) > 0) {
		CHECK_OK(pl_buf_printf(out, "%s:%llu;", r->name, (unsigned long long)r->length));
		rc = 0;
	}
	if (rc == 0)
		rc = pl_shard_finish(s, &info);
	*code = rc;
	pl_shard_free(s);
}

PL_TEST(shard_limits, tar_truncated_at_every_offset)
{
	pl_buf t = PL_BUF_INIT, full = PL_BUF_INIT, got = PL_BUF_INIT;
	char longname[150];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	size_t ends[8], nends = 0; /* offsets just past a whole member */
	header(&t, "dir/", 0, '5');
	ends[nends++] = t.len;
	char a[700];
	memset(a, 'a', sizeof(a));
	header(&t, "a.txt", sizeof(a), '0');
	data(&t, a, sizeof(a));
	ends[nends++] = t.len;
	header(&t, "././@LongLink", strlen(longname) + 1, 'L');
	data(&t, longname, strlen(longname) + 1);
	header(&t, "short", 3, '0');
	data(&t, "abc", 3);
	ends[nends++] = t.len;
	pax(&t, 'x', "path=pax/long.json");
	header(&t, "p", 2, '0');
	data(&t, "xy", 2);
	ends[nends++] = t.len;
	end(&t);
	int code;
	listing(&full, t.ptr, t.len, &code);
	CHECK_OK(code);
	CHECK_EQ_INT(strlen(full.ptr) > 0, 1);
	for (size_t k = 0; k < t.len; k++) {
		listing(&got, t.ptr, k, &code);
		size_t last = ends[nends - 1];
		/* After the first zero block, the rest is not looked at. */
		int at_end = k == 0 || k >= last + 512;
		for (size_t i = 0; i < nends; i++)
			at_end |= k == ends[i];
		if (at_end) {
			/* A clean end on a member boundary: a prefix of the records. */
			if (code < 0)
				pl_test_fail(__FILE__, __LINE__, "cut at %zu: %s", k,
				             pl_error_last());
			CHECK(strncmp(full.ptr, got.ptr, strlen(got.ptr)) == 0);
			continue;
		}
		if (code != PL_EINVALID)
			pl_test_fail(__FILE__, __LINE__, "cut at %zu: %d (%s) records %s", k, code,
			             pl_error_last(), got.ptr);
		CHECK_CONTAINS(pl_error_last(), "truncated tar: ");
	}
	pl_buf_free(&t);
	pl_buf_free(&full);
	pl_buf_free(&got);
}

PL_TEST(shard_limits, jsonl_utf8_bom)
{
	const char *d = "\xef\xbb\xbf{\"text\":\"first\"}\n{\"text\":\"second\"}\n";
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	CHECK_OK(pl_shard_open(&s, put_file("bom.jsonl", d, strlen(d)), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->offset, 3); /* the BOM's bytes still count */
	CHECK_EQ_INT(r->length, strlen("{\"text\":\"first\"}"));
	CHECK_EQ_INT(r->line, 1);
	CHECK(r->text_len == 5 && memcmp(r->text, "first", 5) == 0);
	uint64_t off, len;
	CHECK_OK(pl_shard_span(s, &off, &len, 0, 5));
	CHECK_EQ_INT(off, 12);
	CHECK(memcmp(d + off, "first", 5) == 0);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->offset, 3 + strlen("{\"text\":\"first\"}\n"));
	CHECK_EQ_INT(pl_shard_next(s, &r), 0);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.format, PL_FORMAT_JSONL);
	CHECK_EQ_INT(info.records, 2);
	CHECK_EQ_INT(info.stream_bytes, strlen(d));
	pl_shard_free(s);

	/* Errors count the BOM too; forced JSONL and blanks after the BOM. */
	const char *bad = "\xef\xbb\xbf{\"text\":\"abc}\n";
	CHECK_STR(read_all("b.jsonl", bad, strlen(bad), NULL, NULL, NULL),
	          "b.jsonl: line 1 (byte 11): invalid JSON: unterminated string");
	const char *blank = "\xef\xbb\xbf  \n\n{\"text\":\"x\"}\n";
	size_t n;
	pl_shard_opts jo = {.format = PL_FORMAT_JSONL};
	CHECK_STR(read_all("c.jsonl", blank, strlen(blank), NULL, NULL, &n), "");
	CHECK_EQ_INT(n, 1);
	CHECK_STR(read_all("c.jsonl", blank, strlen(blank), &jo, NULL, &n), "");
	CHECK_EQ_INT(n, 1);
	/* Only at the start of the stream: a BOM on line 2 is an error. */
	const char *late = "{\"text\":\"a\"}\n\xef\xbb\xbf{\"text\":\"b\"}\n";
	CHECK_STR(read_all("d.jsonl", late, strlen(late), NULL, NULL, NULL),
	          "d.jsonl: line 2 (byte 13): not a JSON object");
	/* A BOM before text that is not JSON: still txt, BOM and all. */
	const char *txt = "\xef\xbb\xbfplain text";
	pl_shard *t = NULL;
	CHECK_OK(pl_shard_open(&t, put_file("e.txt", txt, strlen(txt)), NULL));
	CHECK_EQ_INT(pl_shard_next(t, &r), 1);
	CHECK_EQ_INT(r->text_len, strlen(txt));
	CHECK_OK(pl_shard_finish(t, &info));
	CHECK_EQ_INT(info.format, PL_FORMAT_TXT);
	pl_shard_free(t);

	/* Compressed: detected on the decompressed stream. */
	pl_buf gz = PL_BUF_INIT;
	unsigned char tmp[4096];
	z_stream z = {0};
	CHECK(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (unsigned char *)d;
	z.avail_in = (uInt)strlen(d);
	z.next_out = tmp;
	z.avail_out = sizeof(tmp);
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	CHECK_OK(pl_buf_put(&gz, tmp, sizeof(tmp) - z.avail_out));
	deflateEnd(&z);
	s = NULL;
	CHECK_OK(pl_shard_open(&s, put_file("bom.jsonl.gz", gz.ptr, gz.len), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(r->offset, 3);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.format, PL_FORMAT_JSONL);
	pl_shard_free(s);
	pl_buf_free(&gz);
}

PL_TEST(shard_limits, open_fd_reads_a_pipe)
{
	int p[2];
	const char *d = "{\"text\":\"one\"}\n{\"text\":\"two\"}\n{\"text\":\"bad}\n";
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], d, strlen(d)) == (ssize_t)strlen(d));
	close(p[1]);
	pl_shard *s = NULL;
	const pl_record *r;
	CHECK_OK(pl_shard_open_fd(&s, p[0], NULL, NULL));
	CHECK_STR(pl_shard_path(s), "-");
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK(r->text_len == 3 && memcmp(r->text, "two", 3) == 0);
	CHECK_ERR(pl_shard_next(s, &r), PL_EINVALID);
	CHECK_STR(pl_error_last(), "-: line 3 (byte 38): invalid JSON: unterminated string");
	pl_shard_free(s);
	CHECK(fcntl(p[0], F_GETFD) != -1); /* still the caller's */
	close(p[0]);
	CHECK_ERR(pl_shard_open_fd(&s, -1, "x", NULL), PL_EUSAGE);

	/* Raw digests of a pipe equal those of the same bytes in a file. */
	pl_shard_opts o = {.format = PL_FORMAT_RAW};
	pl_shard_info a, b;
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], d, strlen(d)) == (ssize_t)strlen(d));
	close(p[1]);
	CHECK_OK(pl_shard_open_fd(&s, p[0], "stdin", &o));
	CHECK_OK(pl_shard_finish(s, &a));
	pl_shard_free(s);
	close(p[0]);
	CHECK_OK(pl_shard_open(&s, put_file("raw", d, strlen(d)), &o));
	CHECK_OK(pl_shard_finish(s, &b));
	pl_shard_free(s);
	CHECK(memcmp(a.sha256, b.sha256, 32) == 0 && memcmp(a.merkle, b.merkle, 32) == 0);
	CHECK_EQ_INT(a.stored_bytes, strlen(d));

	/* opts.name renames a path in messages. */
	pl_shard_opts on = {.name = "-"};
	s = NULL;
	CHECK_OK(pl_shard_open(&s, put_file("named.jsonl", "{\"t\":1}\n", 8), &on));
	CHECK_ERR(pl_shard_next(s, &r), PL_EINVALID);
	CHECK_STR(pl_error_last(), "-: line 1 (byte 0): no field \"text\"");
	pl_shard_free(s);
}

PL_TEST(shard_limits, gzip_bomb_stops_at_max_record)
{
	/* 32 MiB of one line from about 32 KiB of gzip: refused once the line
	 * passes the limit, before the rest is inflated into memory. */
	size_t n = (size_t)32 << 20;
	char *big = malloc(n);
	CHECK(big != NULL);
	memset(big, 'a', n);
	memcpy(big, "{\"text\":\"", 9);
	pl_buf gz = PL_BUF_INIT;
	z_stream z = {0};
	CHECK(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) == Z_OK);
	CHECK_OK(pl_buf_grow(&gz, deflateBound(&z, n)));
	z.next_in = (unsigned char *)big;
	z.avail_in = (uInt)n;
	z.next_out = (unsigned char *)gz.ptr;
	z.avail_out = (uInt)gz.cap;
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	gz.len = z.total_out;
	deflateEnd(&z);
	free(big);
	CHECK(gz.len < 100000);
	pl_shard_opts o = {.max_record = (uint64_t)1 << 20};
	CHECK_STR(read_all("bomb.jsonl.gz", gz.ptr, gz.len, &o, NULL, NULL),
	          "bomb.jsonl.gz: line 1 (byte 0): record longer than the --max-record limit of "
	          "1048576 bytes (raise it with --max-record BYTES)");
	pl_buf_free(&gz);
}

PL_TEST(shard_limits, buffer_sizes_do_not_wrap)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_buf_puts(&b, "x"));
	CHECK_ERR(pl_buf_grow(&b, SIZE_MAX), PL_ENOMEM);
	CHECK_STR(pl_error_last(), "buffer size overflow");
	CHECK_ERR(pl_buf_grow(&b, SIZE_MAX - 1), PL_ENOMEM);
	CHECK_EQ_INT(b.len, 1);
	/* The input is never read: the size is refused first. */
	CHECK_ERR(pl_base64_encode(&b, (const unsigned char *)"", SIZE_MAX), PL_ENOMEM);
	CHECK_ERR(pl_base64_encode(&b, (const unsigned char *)"", SIZE_MAX / 4 * 3), PL_ENOMEM);
	CHECK_OK(pl_base64_encode(&b, (const unsigned char *)"ab", 2));
	CHECK_STR(b.ptr, "xYWI=");
	pl_buf_free(&b);
	/* pl_read_file with the largest limit. */
	pl_buf f = PL_BUF_INIT;
	CHECK_OK(pl_read_file(&f, put_file("r", "abc", 3), SIZE_MAX));
	CHECK_EQ_INT(f.len, 3);
	f.len = 0;
	CHECK_ERR(pl_read_file(&f, put_file("r", "abc", 3), 2), PL_ELIMIT);
	pl_buf_free(&f);
}
