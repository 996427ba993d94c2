/* Fuzz evidence bundles: the streaming reader (pl_bundle__read: gzip, strict
 * JSON, base64 attachments spooled to a file) and pl_bundle_verify with the
 * fixture key trusted. An input that starts with the gzip magic is the bundle
 * file as it is; any other input is the JSON document, gzipped here first, so
 * that the fuzzer reaches the JSON and the verification behind the framing. */
#include <zlib.h>

#include "bundle_read.h"
#include "fuzz.h"

#define MAX_SIZE (1 << 20)

static void gzip_into(pl_buf *out, const uint8_t *data, size_t size)
{
	z_stream z;
	unsigned char tmp[16384];
	int rc;
	memset(&z, 0, sizeof(z));
	FUZZ_ASSERT(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)size;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		rc = deflate(&z, Z_FINISH);
		FUZZ_ASSERT(rc != Z_STREAM_ERROR);
		FUZZ_ASSERT(pl_buf_put(out, tmp, sizeof(tmp) - z.avail_out) == PL_OK);
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_bundle_read_opts ro = {0};
	pl_bundle_opts vo = {0};
	pl_bundle_doc *doc = NULL;
	pl_bundle_report rep;
	pl_buf gz = PL_BUF_INIT, att = PL_BUF_INIT;
	const char *path;

	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		path = fuzz_file("bundle", data, size, 0600);
	else {
		gzip_into(&gz, data, size);
		path = fuzz_file("bundle", gz.ptr, gz.len, 0600);
	}
	ro.max_size = vo.max_size = MAX_SIZE;
	ro.max_attachment = vo.max_attachment = MAX_SIZE / 4;
	ro.max_attachments_total = vo.max_attachments_total = MAX_SIZE / 2;
	ro.tmpdir = vo.tmpdir = fuzz_dir();
	if (pl_bundle__read(&doc, path, &ro) == PL_OK) {
		FUZZ_ASSERT(pl_bundle__doc_json(doc) != NULL);
		for (size_t i = 0; i < pl_bundle__doc_nattachments(doc); i++) {
			const pl_bundle_attachment *a = pl_bundle__doc_attachment(doc, i);
			FUZZ_ASSERT(a != NULL && a->name != NULL);
			FUZZ_ASSERT(pl_bundle__doc_find(doc, a->name) != NULL);
			pl_buf_clear(&att);
			int rc = pl_bundle__doc_attachment_read(&att, doc, a->name, MAX_SIZE);
			if (rc == PL_OK && !a->invalid) {
				unsigned char h[PL_HASH_LEN];
				FUZZ_ASSERT(att.len == a->size);
				pl_sha256(h, att.ptr, att.len);
				/* another member of the same name may be the one found */
				FUZZ_ASSERT(memcmp(h, a->sha256, PL_HASH_LEN) == 0 ||
				            pl_bundle__doc_find(doc, a->name) != a);
			}
		}
		FUZZ_ASSERT(pl_bundle__doc_attachment(doc, pl_bundle__doc_nattachments(doc)) ==
		            NULL);
	}
	pl_bundle__doc_free(doc);
	memset(&rep, 0, sizeof(rep));
	int rc = pl_bundle_verify(&rep, path, fuzz_test_key(), &vo);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY || rc == PL_EINVALID || rc == PL_ELIMIT ||
	            rc == PL_ENOMEM);
	if (rc == PL_OK)
		FUZZ_ASSERT(rep.nproblems == 0);
	pl_bundle_report_free(&rep);
	pl_buf_free(&gz);
	pl_buf_free(&att);
	return 0;
}
