/* Unit tests of ledger/bundle_read.c: what it refuses, and that it refuses
 * exactly what pl_json_parse refuses (a differential test against jansson,
 * over hand-written cases and random mutations). */
#include "bundle_read_fixture.h"

static void expect_refused(const char *text, const char *msg)
{
	pl_bundle_doc *d = NULL;
	int error = br_read_str(&d, text, NULL);
	if (error != PL_EINVALID)
		pl_test_fail(__FILE__, __LINE__, "%s: returned %d, expected PL_EINVALID (%s)", text,
		             error, pl_error_last());
	CHECK(d == NULL);
	CHECK_CONTAINS(pl_error_last(), msg);
	/* and jansson refuses it too (or it is no object) */
	CHECK(!br_same_as_jansson_str(text));
}

PL_TEST(bundle_read, gzip_layer_messages_are_kept)
{
	const char *p = br_tmp("x.gz");
	static const char doc[] = "{\"format\":\"provledger-bundle/v1\",\"attachments\":{}}";
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;
	pl_buf gz = PL_BUF_INIT, t = PL_BUF_INIT;
	char want[8300];

	CHECK_ERR(pl_bundle__read(&d, br_tmp("absent"), NULL), PL_ENOTFOUND);
	CHECK_CONTAINS(pl_error_last(), "absent");
	CHECK_OK(pl_write_file_atomic(p, doc, strlen(doc), 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	snprintf(want, sizeof(want), "%s: not a gzip file (bad magic bytes)", p);
	CHECK_STR(pl_error_last(), want);
	CHECK_OK(pl_write_file_atomic(p, "\x1f", 1, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	CHECK_STR(pl_error_last(), want);
	CHECK_OK(pl_write_file_atomic(p, "", 0, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	snprintf(want, sizeof(want), "%s: empty file, not a gzip bundle", p);
	CHECK_STR(pl_error_last(), want);

	br_gz_str(p, doc);
	CHECK_OK(pl_bundle__read(&d, p, NULL));
	pl_bundle__doc_free(d);
	d = NULL;
	CHECK_OK(pl_read_file(&gz, p, 1 << 20));

	CHECK_OK(pl_buf_put(&t, gz.ptr, gz.len));
	CHECK_OK(pl_buf_puts(&t, "junk"));
	CHECK_OK(pl_write_file_atomic(p, t.ptr, t.len, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	snprintf(want, sizeof(want), "%s: trailing bytes after the gzip stream (at byte %zu)", p,
	         gz.len);
	CHECK_STR(pl_error_last(), want);

	pl_buf_clear(&t);
	CHECK_OK(pl_buf_put(&t, gz.ptr, gz.len));
	t.ptr[t.len - 6] ^= 0x55; /* inside the CRC-32 */
	CHECK_OK(pl_write_file_atomic(p, t.ptr, t.len, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	snprintf(want, sizeof(want), "%s: corrupt gzip data: incorrect data check", p);
	CHECK_STR(pl_error_last(), want);

	CHECK_OK(pl_write_file_atomic(p, gz.ptr, gz.len - 4, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	snprintf(want, sizeof(want),
	         "%s: truncated gzip stream (ends after %zu decompressed bytes)", p, strlen(doc));
	CHECK_STR(pl_error_last(), want);

	CHECK_OK(pl_write_file_atomic(p, gz.ptr, gz.len, 0644));
	o.max_size = 20;
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	snprintf(want, sizeof(want),
	         "%s: decompresses to more than 20 bytes (the --max-size cap); refused", p);
	CHECK_STR(pl_error_last(), want);
	o.max_size = strlen(doc);
	CHECK_OK(pl_bundle__read(&d, p, &o));
	pl_bundle__doc_free(d);
	pl_buf_free(&gz);
	pl_buf_free(&t);
}

/* A JSON error in a stream that is also broken at the gzip layer: the gzip
 * error is said (it is the cause), as the two-pass reader did. */
PL_TEST(bundle_read, gzip_errors_come_before_json_errors)
{
	const char *p = br_tmp("x.gz");
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;
	pl_buf gz = PL_BUF_INIT, t = PL_BUF_INIT;
	static char doc[4096];

	memset(doc, ' ', sizeof(doc) - 1);
	memcpy(doc, "{]", 2);
	br_gz_str(p, doc);
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "invalid JSON");
	CHECK_OK(pl_read_file(&gz, p, 1 << 20));
	CHECK_OK(pl_buf_put(&t, gz.ptr, gz.len));
	t.ptr[t.len - 6] ^= 0x55;
	CHECK_OK(pl_write_file_atomic(p, t.ptr, t.len, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "corrupt gzip data");
	CHECK_OK(pl_write_file_atomic(p, gz.ptr, gz.len - 3, 0644));
	CHECK_ERR(pl_bundle__read(&d, p, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "truncated gzip stream");
	CHECK_OK(pl_write_file_atomic(p, gz.ptr, gz.len, 0644));
	o.max_size = 1000;
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	CHECK_CONTAINS(pl_error_last(), "the --max-size cap");
	pl_buf_free(&gz);
	pl_buf_free(&t);
}

/* A gzip file cut anywhere, and a complete gzip stream of a document cut
 * anywhere: refused, never read as a bundle. */
PL_TEST(bundle_read, truncated_at_any_offset_is_refused)
{
	const char *p = br_tmp("x.gz"), *cut = br_tmp("cut.gz");
	pl_buf gz = PL_BUF_INIT, text = PL_BUF_INIT, b64 = PL_BUF_INIT;
	unsigned char rnd[150000];
	unsigned seed = 7;
	pl_bundle_doc *d = NULL;

	for (size_t i = 0; i < sizeof(rnd); i++) {
		seed = seed * 1103515245u + 12345u;
		rnd[i] = (unsigned char)(seed >> 16);
	}
	CHECK_OK(pl_base64_encode(&b64, rnd, sizeof(rnd)));
	pl_buf_printf(
	    &text,
	    "{\"attachments\":{\"a\":\"%s\",\"b\":\"QUJD\"},\"checkpoint\":\"x\\n\\u00e9\","
	    "\"entries\":[{\"envelope\":\"e\",\"proof\":[\"AA==\"],\"seq\":3}],"
	    "\"format\":\"provledger-bundle/v1\",\"subject\":{\"seq\":1}}",
	    b64.ptr);
	br_gz(p, text.ptr, text.len);
	CHECK_OK(pl_bundle__read(&d, p, NULL));
	pl_bundle__doc_free(d);
	d = NULL;
	CHECK_OK(pl_read_file(&gz, p, 1 << 22));
	for (size_t n = 0; n < gz.len; n += n < 64 || n > gz.len - 64 ? 1 : 997) {
		CHECK_OK(pl_write_file_atomic(cut, gz.ptr, n, 0644));
		CHECK_ERR(pl_bundle__read(&d, cut, NULL), PL_EINVALID);
		CHECK_CONTAINS(pl_error_last(), n == 0   ? "empty file"
		                                : n == 1 ? "not a gzip file"
		                                         : "truncated gzip stream");
	}
	/* the document cut: every offset in the members, some in the attachment */
	for (size_t n = 0; n < text.len; n += n < 40 || n > text.len - 300 ? 1 : 4999) {
		br_gz(cut, text.ptr, n);
		CHECK_ERR(pl_bundle__read(&d, cut, NULL), PL_EINVALID);
		CHECK_CONTAINS(pl_error_last(), "invalid JSON");
	}
	pl_buf_free(&gz);
	pl_buf_free(&text);
	pl_buf_free(&b64);
}

PL_TEST(bundle_read, duplicate_keys_are_refused_at_any_level)
{
	expect_refused("{\"a\":1,\"a\":2}", "duplicate key \"a\"");
	expect_refused("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\"");
	expect_refused("{\"attachments\":{},\"attachments\":{}}", "duplicate key \"attachments\"");
	expect_refused("{\"attachments\":1,\"attachments\":{}}", "duplicate key \"attachments\"");
	expect_refused("{\"attachments\":{},\"attachments\":1}", "duplicate key \"attachments\"");
	expect_refused("{\"attachments\":{\"k\":\"\",\"k\":\"AAAA\"}}",
	               "duplicate key \"k\" in \"attachments\"");
	expect_refused("{\"attachments\":{\"k\":{\"a\":1,\"a\":1}}}", "duplicate object key");
	expect_refused("{\"x\":{\"a\":1,\"a\":2}}", "duplicate object key");
	expect_refused("{\"x\":[{\"b\":{\"c\":1,\"c\":1}}]}", "duplicate object key");
	/* the member is named, and where it starts */
	expect_refused("{\"a\":1, \"x\":{\"a\":1,\"a\":2}}", "\"x\" (at byte 12)");
	/* different keys are fine, even when they look alike */
	CHECK(br_same_as_jansson_str(
	    "{\"a\":1,\"A\":2,\"a \":3,\"attachments\":{\"k\":\"\",\"K\":\"\"}}"));
}

/* Invalid base64 is not a JSON error: the attachment says why (verify
 * reports it as a problem), and pl_base64_decode agrees on each. */
PL_TEST(bundle_read, invalid_base64_is_named_per_attachment)
{
	static const struct {
		const char *value, *why; /* NULL: valid */
	} cases[] = {
	    {"\"\"", NULL},
	    {"\"AA==\"", NULL},
	    {"\"AAA=\"", NULL},
	    {"\"QUJDRA==\"", NULL},
	    {"\"AA!A\"", "invalid base64 at character 2"},
	    {"\"A===\"", "invalid base64 at character 1"},
	    {"\"AA=A\"", "invalid base64 at character 3"},
	    {"\"====\"", "invalid base64 at character 0"},
	    {"\"AB==\"", "non-canonical base64 (unused bits set, at character 3)"},
	    {"\"AAB=\"", "non-canonical base64 (unused bits set, at character 3)"},
	    {"\"AAA\"", "invalid base64: length 3 is not a multiple of 4"},
	    {"\"AAAAA\"", "invalid base64: length 5 is not a multiple of 4"},
	    {"\"AA==AAAA\"", "invalid base64 at character 4"},
	    {"\"AAAA AAAA\"", "invalid base64 at character 4"},
	    {"\"AAAA\\nAAAA\"", "invalid base64 at character 4"},
	    {"\"AAAA-_AA\"", "invalid base64 at character 4"},
	    {"\"\\u0041AAA\"", NULL},
	    {"\"AAA\\/\"", NULL},
	    {"\"AAA\xc3\xa9\"", "invalid base64 at character 3"},
	    {"\"AAA\\u00e9\"", "invalid base64 at character 3"},
	    {"123", "not a JSON string"},
	    {"null", "not a JSON string"},
	    {"[\"AAAA\"]", "not a JSON string"},
	    {"{\"x\":\"AAAA\"}", "not a JSON string"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_bundle_doc *d = NULL;
		const pl_bundle_attachment *a;
		pl_buf text = PL_BUF_INIT, got = PL_BUF_INIT;
		pl_buf_printf(&text, "{\"attachments\":{\"ok\":\"QUJD\",\"att\":%s,\"z\":\"\"}}",
		              cases[i].value);
		CHECK(br_same_as_jansson(text.ptr, text.len));
		CHECK_OK(br_read_str(&d, text.ptr, NULL));
		CHECK_EQ_INT(pl_bundle__doc_nattachments(d), 3);
		a = pl_bundle__doc_find(d, "att");
		if (!cases[i].why) {
			if (a->invalid)
				pl_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].value,
				             a->invalid);
		} else {
			if (!a->invalid || strcmp(a->invalid, cases[i].why) != 0)
				pl_test_fail(__FILE__, __LINE__, "%s: \"%s\", expected \"%s\"",
				             cases[i].value, a->invalid ? a->invalid : "valid",
				             cases[i].why);
			CHECK_EQ_INT(a->size, 0);
			CHECK_ERR(pl_bundle__doc_attachment_read(&got, d, "att", 100), PL_EINVALID);
			CHECK_CONTAINS(pl_error_last(), "attachment att: ");
		}
		/* the others are unaffected */
		CHECK(pl_bundle__doc_find(d, "ok")->invalid == NULL);
		CHECK_OK(pl_bundle__doc_attachment_read(&got, d, "ok", 3));
		CHECK(got.len == 3 && !memcmp(got.ptr, "ABC", 3));
		CHECK(pl_bundle__doc_find(d, "z")->invalid == NULL);
		pl_bundle__doc_free(d);
		pl_buf_free(&text);
		pl_buf_free(&got);
	}
}

static char *nested(const char *pre, size_t depth, const char *post)
{
	size_t a = strlen(pre), b = strlen(post);
	char *s = malloc(a + 2 * depth + b + 1);
	CHECK(s != NULL);
	memcpy(s, pre, a);
	memset(s + a, '[', depth);
	memset(s + a + depth, ']', depth);
	memcpy(s + a + 2 * depth, post, b + 1);
	return s;
}

PL_TEST(bundle_read, deep_nesting_is_refused_without_a_crash)
{
	pl_bundle_doc *d = NULL;
	char *s;
	/* a million levels, in a member, in an attachment, and unclosed */
	s = nested("{\"a\":", 1000000, "}");
	CHECK_ERR(br_read_str(&d, s, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "byte 2052: invalid JSON: nested deeper than 2048 levels");
	free(s);
	s = nested("{\"attachments\":{\"x\":", 1000000, "}}");
	CHECK_ERR(br_read_str(&d, s, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "nested deeper than 2048 levels");
	free(s);
	s = nested("{\"a\":", 1000000, "}");
	s[5 + 1000000] = '\0';
	CHECK_ERR(br_read_str(&d, s, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "nested deeper than 2048 levels");
	free(s);
	/* at the top level: not an object, whatever else */
	s = nested("", 1000000, "");
	CHECK_ERR(br_read_str(&d, s, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "not a JSON object");
	free(s);
	s = nested("", 3000, "");
	CHECK_ERR(br_read_str(&d, s, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "invalid JSON");
	free(s);
	/* jansson's limit, counted from the top, every value a level: 2048 pass,
	 * 2049 do not */
	s = nested("{\"a\":", 2047, "}");
	CHECK(br_same_as_jansson_str(s));
	free(s);
	s = nested("{\"a\":", 2048, "}");
	CHECK(!br_same_as_jansson_str(s));
	free(s);
	for (int inner = 0; inner < 4; inner++) {
		static const char *const val[] = {"1", "\"s\"", "{}", "null"};
		char *t = nested("{\"a\":", 2046, "}");
		pl_buf b = PL_BUF_INIT;
		pl_buf_put(&b, t, 5 + 2046);
		pl_buf_puts(&b, val[inner]);
		pl_buf_puts(&b, t + 5 + 2046);
		CHECK(br_same_as_jansson_str(b.ptr)); /* the value at level 2048 */
		pl_buf_clear(&b);
		pl_buf_put(&b, t, 5 + 2046);
		pl_buf_puts(&b, "[");
		pl_buf_puts(&b, val[inner]);
		pl_buf_puts(&b, "]");
		pl_buf_puts(&b, t + 5 + 2046);
		CHECK(!br_same_as_jansson_str(b.ptr)); /* at level 2049 */
		pl_buf_free(&b);
		free(t);
	}
	s = nested("{\"b\":{\"k\":", 2046, "}}");
	CHECK(br_same_as_jansson_str(s));
	free(s);
	s = nested("{\"b\":{\"k\":", 2047, "}}");
	CHECK(!br_same_as_jansson_str(s));
	free(s);
	s = nested("{\"attachments\":{\"x\":", 2046, "}}");
	CHECK(br_same_as_jansson_str(s));
	free(s);
	s = nested("{\"attachments\":{\"x\":", 2047, "}}");
	CHECK(!br_same_as_jansson_str(s));
	free(s);
}

PL_TEST(bundle_read, bad_strings_are_refused)
{
	expect_refused("{\"\\ud800\":1}", "lone surrogate \\ud800");
	expect_refused("{\"\\udc00\":1}", "lone surrogate \\udc00");
	expect_refused("{\"\\ud800\\u0041\":1}", "lone surrogate \\ud800");
	expect_refused("{\"\\ud800x\":1}", "lone surrogate \\ud800");
	expect_refused("{\"attachments\":{\"x\":\"\\udfffAAAA\"}}", "lone surrogate \\udfff");
	expect_refused("{\"attachments\":{\"\\ud801\":\"\"}}", "lone surrogate \\ud801");
	expect_refused("{\"a\":\"\\ud800\"}", "invalid JSON");
	expect_refused("{\"a\":[\"\\udc00\"]}", "invalid JSON");
	expect_refused("{\"a\\u0000\":1}", "\\u0000 is not allowed");
	expect_refused("{\"attachments\":{\"x\":\"AA\\u0000A\"}}", "\\u0000 is not allowed");
	expect_refused("{\"a\\x\":1}", "invalid escape \\x");
	expect_refused("{\"attachments\":{\"x\":\"\\uZZZZ\"}}", "invalid escape \\uZ");
	expect_refused("{\"a\x01\":1}", "control character in string");
	expect_refused("{\"attachments\":{\"x\":\"AA\tA\"}}", "control character in string");
	expect_refused("{\"a\xff\":1}", "invalid UTF-8");
	expect_refused("{\"a\xc0\xaf\":1}", "invalid UTF-8");
	expect_refused("{\"a\xed\xa0\x80\":1}", "invalid UTF-8");
	expect_refused("{\"a\xf4\x90\x80\x80\":1}", "invalid UTF-8");
	expect_refused("{\"attachments\":{\"x\":\"AAA\xe9\"}}", "invalid UTF-8");
	expect_refused("{\"a\":\"\xe9\"}", "invalid JSON");
	expect_refused("{\"a", "unterminated string");
	/* what is valid stays valid */
	CHECK(br_same_as_jansson_str(
	    "{\"\\ud83d\\ude00 \xf0\x9f\x98\x80\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\","
	    "\"attachments\":{\"\\udbff\\udfff\xc3\xa9\":\"\"}}"));
}

PL_TEST(bundle_read, structure_errors_are_refused)
{
	expect_refused("{} x", "trailing garbage after the document");
	expect_refused("{}{}", "trailing garbage");
	expect_refused("{},", "trailing garbage");
	expect_refused("{\"a\":1,}", "a string key expected");
	expect_refused("{,}", "a string key expected");
	expect_refused("{\"a\" 1}", "':' expected");
	expect_refused("{\"a\":1 \"b\":2}", "',' or '}' expected");
	expect_refused("{\"a\":[1,2]x}", "',' or '}' expected");
	expect_refused("{\"a\":}", "invalid JSON");
	expect_refused("{\"a\":tru}", "invalid JSON");
	expect_refused("{\"a\":01}", "invalid JSON");
	expect_refused("{\"a\":[1}", "invalid JSON");
	expect_refused("{\"a\":1", "unexpected end of input");
	expect_refused("{\"attachments\":{\"x\":\"AAAA\",}}", "a string key expected");
	expect_refused("{\"attachments\":{\"x\" \"\"}}", "':' expected");
	expect_refused("{\"attachments\":{\"x\":\"\"", "unexpected end of input");
	expect_refused("{\"attachments\":{\"x\":\"\"]}", "',' or '}' expected");
	expect_refused("{\"attachments\":{1:\"\"}}", "a string key expected");
	/* not an object */
	expect_refused("[1]", "not a provledger bundle: the document is not a JSON object");
	expect_refused("\"s\"", "not a JSON object");
	expect_refused("null", "not a JSON object");
	expect_refused("this is not JSON", "invalid JSON");
	expect_refused("", "invalid JSON");
	expect_refused(" \n ", "invalid JSON");
	expect_refused("\xef\xbb\xbf{}", "invalid JSON");
	/* whitespace anywhere JSON allows it */
	CHECK(br_same_as_jansson_str(" \t\r\n{ \"a\" : [ 1 , { } ] , \"attachments\" : { \"x\" : "
	                             "\"AAAA\" , \"y\" :\"\" } , \"b\":-1.5e3 }\n\n"));
	CHECK(br_same_as_jansson_str("{}"));
	CHECK(br_same_as_jansson_str("{\"attachments\":{}}"));
	CHECK(br_same_as_jansson_str("{\"attachments\":[1,2]}"));
	CHECK(br_same_as_jansson_str("{\"a\":1,\"attachments\":\"AAAA\",\"z\":null}"));
}

/* Random mutations of a small bundle-like document: the reader accepts a
 * mutant exactly when jansson does, and reads it the same. */
PL_TEST(bundle_read, random_mutations_agree_with_jansson)
{
	static const char seed_doc[] =
	    "{\"attachments\":{\"6b\":\"QUJDRA==\",\"x\\u00e9\":\"AAAA//8=\",\"e\":\"\"},"
	    "\"checkpoint\":\"a\\nb\\u2014\",\"entries\":[{\"envelope\":\"{\\\"k\\\":1}\","
	    "\"proof\":[\"AA==\",\"/w==\"],\"seq\":12}],\"format\":\"provledger-bundle/v1\","
	    "\"n\":[-0,1.5,2e3,true,false,null],\"subject\":{\"name\":\"model:m@1\",\"seq\":0}}";
	static const char pool[] = "{}[]\",:\\u0123456789abcdefAZ=+/ \t\n-.eEtrn";
	unsigned s = 2024;
	size_t accepted = 0, runs = 3000;

	CHECK(br_same_as_jansson_str(seed_doc));
	for (size_t it = 0; it < runs; it++) {
		char buf[sizeof(seed_doc) + 64];
		size_t n = sizeof(seed_doc) - 1;
		memcpy(buf, seed_doc, n);
		for (int m = 0, nm = 1 + (int)(it % 3); m < nm; m++) {
			size_t at;
			unsigned char c;
			s = s * 1103515245u + 12345u;
			at = (s >> 8) % n;
			s = s * 1103515245u + 12345u;
			c = (s >> 20) % 8 == 0 ? (unsigned char)(0x80 + (s >> 8) % 0x80)
			                       : (unsigned char)pool[(s >> 8) % (sizeof(pool) - 1)];
			switch ((s >> 4) % 3) {
			case 0: /* replace */
				buf[at] = (char)c;
				break;
			case 1: /* insert */
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = (char)c;
					n++;
				}
				break;
			default: /* delete */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
		}
		accepted += (size_t)br_same_as_jansson(buf, n);
	}
	/* both kinds were seen */
	CHECK(accepted > runs / 20 && accepted < runs - runs / 20);
}
