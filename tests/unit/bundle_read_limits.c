/* Unit tests of ledger/bundle_read.c: the caps on one attachment, on all of
 * them and on the whole stream; and memory that does not grow with an
 * attachment. */
#include <sys/resource.h>

#include "bundle_read_fixture.h"

static const char *pre_of(pl_buf *b, const char *name)
{
	pl_buf_clear(b);
	pl_buf_printf(b, "{\"a\":1,\"attachments\":{\"%s\":\"", name);
	return b->ptr;
}

PL_TEST(bundle_read, an_attachment_over_its_cap_is_refused)
{
	const char *p = br_tmp("big.gz");
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;
	pl_buf pre = PL_BUF_INIT;
	char name[65], want[8400];

	/* 6 MiB + 3 bytes against a 4 MiB cap */
	br_zero_hex(name, (6 << 20) + 3);
	br_gz_big(p, pre_of(&pre, name), ((6 << 20) / 3 + 1) * 4, "\"},\"z\":2}");
	o.max_attachment = 4 << 20;
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	snprintf(want, sizeof(want),
	         "%s: attachment %s decodes to more than 4194304 bytes (the --max-attachment "
	         "cap); refused",
	         p, name);
	CHECK_STR(pl_error_last(), want);
	CHECK(d == NULL);
	/* the default cap is 256 MiB: this one passes, with its digest right */
	CHECK_OK(pl_bundle__read(&d, p, NULL));
	{
		const pl_bundle_attachment *a = pl_bundle__doc_find(d, name);
		char hex[65];
		CHECK(a && !a->invalid);
		CHECK_EQ_INT(a->size, (6 << 20) + 3);
		pl_hex(hex, a->sha256, 32);
		CHECK_STR(hex, name);
		CHECK_EQ_INT(json_integer_value(json_object_get(pl_bundle__doc_json(d), "z")), 2);
	}
	pl_bundle__doc_free(d);
	pl_buf_free(&pre);
}

PL_TEST(bundle_read, the_attachment_cap_is_inclusive)
{
	const char *p = br_tmp("a.gz");
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;

	o.max_attachment = 300;
	br_gz_big(p, "{\"attachments\":{\"x\":\"", 400, "\"}}"); /* 300 bytes */
	CHECK_OK(pl_bundle__read(&d, p, &o));
	CHECK_EQ_INT(pl_bundle__doc_attachment(d, 0)->size, 300);
	pl_bundle__doc_free(d);
	br_gz_big(p, "{\"attachments\":{\"x\":\"", 404, "\"}}"); /* 303 */
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	CHECK_CONTAINS(pl_error_last(), "attachment x decodes to more than 300 bytes");
	/* an invalid one is not decoded past where it goes wrong */
	br_gz_big(p, "{\"attachments\":{\"x\":\"!", 404, "\"}}");
	CHECK_OK(pl_bundle__read(&d, p, &o));
	CHECK_STR(pl_bundle__doc_attachment(d, 0)->invalid, "invalid base64 at character 0");
	pl_bundle__doc_free(d);
}

PL_TEST(bundle_read, all_attachments_together_are_capped)
{
	const char *p = br_tmp("t.gz");
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;
	pl_buf text = PL_BUF_INIT, run = PL_BUF_INIT;
	char want[8400];

	for (int i = 0; i < 400; i++)
		pl_buf_putc(&run, 'A'); /* 300 bytes each */
	pl_buf_printf(&text,
	              "{\"attachments\":{\"a\":\"%s\",\"bad\":\"%s!\",\"b\":\"%s\",\"c\":\"%s\"}}",
	              run.ptr, run.ptr, run.ptr, run.ptr);
	br_gz(p, text.ptr, text.len);
	o.max_attachments_total = 800;
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	snprintf(want, sizeof(want),
	         "%s: the attachments decode to more than 800 bytes in all (the "
	         "--max-attachments-total cap), passed at attachment c; refused",
	         p);
	CHECK_STR(pl_error_last(), want);
	/* 900 is enough: the invalid one does not count */
	o.max_attachments_total = 900;
	CHECK_OK(pl_bundle__read(&d, p, &o));
	CHECK_EQ_INT(pl_bundle__doc_nattachments(d), 4);
	CHECK(pl_bundle__doc_find(d, "bad")->invalid != NULL);
	pl_bundle__doc_free(d);
	/* the default total is 1 GiB; the per-attachment cap still holds */
	o.max_attachments_total = 0;
	o.max_attachment = 299;
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	CHECK_CONTAINS(pl_error_last(), "attachment a decodes to more than 299 bytes");
	pl_buf_free(&text);
	pl_buf_free(&run);
}

/* --max-size holds for the whole stream, attachments included. */
PL_TEST(bundle_read, the_stream_cap_counts_attachments_too)
{
	const char *p = br_tmp("s.gz");
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;

	br_gz_big(p, "{\"attachments\":{\"x\":\"", 40000, "\"}}");
	o.max_size = 40000;
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ELIMIT);
	CHECK_CONTAINS(pl_error_last(),
	               "decompresses to more than 40000 bytes (the --max-size cap)");
	o.max_size = 40000 + 25;
	CHECK_OK(pl_bundle__read(&d, p, &o));
	pl_bundle__doc_free(d);
}

static long maxrss_kib(void)
{
	struct rusage u;
	CHECK(getrusage(RUSAGE_SELF, &u) == 0);
	return u.ru_maxrss;
}

/* 200 MiB of attachment read with the caps raised: the peak memory of the
 * process grows by far less than that. */
PL_TEST(bundle_read, memory_does_not_grow_with_an_attachment)
{
	const char *p = br_tmp("m.gz");
	const size_t quads = ((size_t)200 << 20) / 3, bytes = quads * 3 + 2;
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;
	char name[65];
	long before, after;

	br_zero_hex(name, bytes);
	{
		pl_buf pre = PL_BUF_INIT;
		br_gz_big(p, pre_of(&pre, name), quads * 4, "AAA=\"}}");
		pl_buf_free(&pre);
	}
	o.max_attachment = bytes * 2;
	before = maxrss_kib();
	CHECK_OK(pl_bundle__read(&d, p, &o));
	after = maxrss_kib();
	{
		const pl_bundle_attachment *a = pl_bundle__doc_attachment(d, 0);
		char hex[65];
		CHECK_EQ_INT(a->size, bytes);
		pl_hex(hex, a->sha256, 32);
		CHECK_STR(hex, name);
	}
	if (after - before > 32 * 1024)
		pl_test_fail(__FILE__, __LINE__, "peak RSS grew by %ld KiB reading 200 MiB",
		             after - before);
	pl_bundle__doc_free(d);
}
