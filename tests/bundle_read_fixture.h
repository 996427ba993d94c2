/*
 * bundle_read_fixture.h - helpers for the tests of ledger/bundle_read.c:
 * gzip files of given text, streamed attachments of any size, and the whole
 * document as jansson (pl_json_parse) reads it, to compare with.
 */
#ifndef PL_BUNDLE_READ_FIXTURE_H
#define PL_BUNDLE_READ_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bundle_read.h"
#include "harness.h"
#include "pl_dsse.h"

/* A path in the test's temporary directory (eight alive at a time). */
static inline const char *br_tmp(const char *name)
{
	static char path[8][4096];
	static int i;
	i = (i + 1) % 8;
	snprintf(path[i], sizeof(path[i]), "%s/%s", pl_tmpdir(), name);
	return path[i];
}

static inline void br_gz(const char *path, const void *data, size_t len)
{
	gzFile g = gzopen(path, "wb6");
	CHECK(g != NULL);
	CHECK(len == 0 || gzwrite(g, data, (unsigned)len) == (int)len);
	CHECK(gzclose(g) == Z_OK);
}

static inline void br_gz_str(const char *path, const char *s)
{
	br_gz(path, s, strlen(s));
}

/* Write a gzip bundle-like document: pre, then n base64 characters 'A'
 * (n % 4 == 0: n / 4 * 3 zero bytes), then post. Streams: n may be large. */
static inline void br_gz_big(const char *path, const char *pre, size_t n, const char *post)
{
	static char run[1 << 16];
	gzFile g = gzopen(path, "wb1");
	CHECK(g != NULL);
	memset(run, 'A', sizeof(run));
	CHECK(gzwrite(g, pre, (unsigned)strlen(pre)) == (int)strlen(pre));
	while (n) {
		size_t k = n < sizeof(run) ? n : sizeof(run);
		CHECK(gzwrite(g, run, (unsigned)k) == (int)k);
		n -= k;
	}
	CHECK(gzwrite(g, post, (unsigned)strlen(post)) == (int)strlen(post));
	CHECK(gzclose(g) == Z_OK);
}

/* Read text through pl_bundle__read (gzip first); the code it returns. */
static inline int br_read_str(pl_bundle_doc **d, const char *text, const pl_bundle_read_opts *o)
{
	const char *p = br_tmp("doc.gz");
	br_gz_str(p, text);
	return pl_bundle__read(d, p, o);
}

/* The hex SHA-256 of n zero bytes (streamed: no n-byte buffer). */
static inline void br_zero_hex(char hex[65], size_t n)
{
	static const char zeros[1 << 16];
	pl_sha256_ctx *c = NULL;
	unsigned char d[32];
	CHECK_OK(pl_sha256_new(&c));
	for (; n; n -= n < sizeof(zeros) ? n : sizeof(zeros))
		pl_sha256_update(c, zeros, n < sizeof(zeros) ? n : sizeof(zeros));
	pl_sha256_final(c, d);
	pl_sha256_free(c);
	pl_hex(hex, d, 32);
}

/* Compare pl_bundle__read with jansson over the same text: the reader
 * accepts exactly what pl_json_parse accepts as an object; its document is
 * jansson's minus an "attachments" object; each attachment is in document
 * order, canonical base64 exactly when pl_base64_decode accepts it, with the
 * size and SHA-256 of what it decodes to, and reads back the same bytes.
 * Returns 1 when the reader accepted the text. Fails the test on any
 * difference (naming the text). */
static inline int br_same_as_jansson(const char *text, size_t len)
{
	const char *p = br_tmp("diff.gz");
	pl_bundle_doc *d = NULL;
	json_t *j = NULL, *atts, *want, *v;
	const char *name;
	size_t i = 0;
	int jok, rok;

	br_gz(p, text, len);
	jok = pl_json_parse(&j, text, len, "jansson") == PL_OK && json_is_object(j);
	rok = pl_bundle__read(&d, p, NULL) == PL_OK;
	if (jok != rok)
		pl_test_fail(__FILE__, __LINE__, "jansson %s, the reader %s (%s): %.*s",
		             jok ? "accepts" : "refuses", rok ? "accepts" : "refuses",
		             rok ? "" : pl_error_last(), (int)(len < 300 ? len : 300), text);
	if (!rok) {
		CHECK(pl_error_code() == PL_EINVALID);
		json_decref(j);
		return 0;
	}
	atts = json_object_get(j, "attachments");
	want = json_deep_copy(j);
	if (json_is_object(atts))
		json_object_del(want, "attachments");
	CHECK(pl_bundle__doc_has_attachments(d) == json_is_object(atts));
	if (!json_equal(want, pl_bundle__doc_json(d)))
		pl_test_fail(__FILE__, __LINE__, "documents differ: %.*s",
		             (int)(len < 300 ? len : 300), text);
	CHECK_EQ_INT(pl_bundle__doc_nattachments(d),
	             json_is_object(atts) ? json_object_size(atts) : 0);
	if (json_is_object(atts))
		json_object_foreach(atts, name, v)
		{
			const pl_bundle_attachment *a = pl_bundle__doc_attachment(d, i++);
			pl_buf dec = PL_BUF_INIT, got = PL_BUF_INIT;
			const char *s = json_string_value(v);
			int ok = s && pl_base64_decode(&dec, s, json_string_length(v)) == PL_OK;
			CHECK(a != NULL);
			CHECK_STR(a->name, name);
			CHECK(pl_bundle__doc_find(d, name) == a);
			if (ok != (a->invalid == NULL))
				pl_test_fail(
				    __FILE__, __LINE__,
				    "attachment %s: pl_base64_decode %s, the reader says %s: %s",
				    name, ok ? "accepts" : "refuses",
				    a->invalid ? a->invalid : "valid", s ? s : "(not a string)");
			if (!s)
				CHECK_STR(a->invalid, "not a JSON string");
			if (ok) {
				unsigned char h[32];
				pl_sha256(h, dec.ptr ? dec.ptr : "", dec.len);
				CHECK_EQ_INT(a->size, dec.len);
				CHECK(memcmp(h, a->sha256, 32) == 0);
				CHECK_OK(pl_bundle__doc_attachment_read(&got, d, name, dec.len));
				CHECK(got.len == dec.len &&
				      (!dec.len || !memcmp(got.ptr, dec.ptr, dec.len)));
			} else {
				CHECK_ERR(pl_bundle__doc_attachment_read(&got, d, name, SIZE_MAX),
				          PL_EINVALID);
			}
			pl_buf_free(&dec);
			pl_buf_free(&got);
		}
	json_decref(want);
	json_decref(j);
	pl_bundle__doc_free(d);
	return 1;
}

static inline int br_same_as_jansson_str(const char *text)
{
	return br_same_as_jansson(text, strlen(text));
}

#endif
