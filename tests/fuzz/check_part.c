/* Fuzz check parts (pl_check_part_parse) and their merge: any bytes are a
 * part or PL_EINVALID; the same bytes with their digest made right (so the
 * fuzzer gets past it) reach the shape checks and, for a part of one, the
 * merge, which gives a report or PL_EINVALID, never a crash. */
#include "fuzz.h"
#include "pl_check_part.h"
#include "pl_dsse.h"

static void parse_and_merge(const char *data, size_t size)
{
	pl_check_part *p = NULL;
	pl_check_result r;
	int rc = pl_check_part_parse(&p, data, size, "dir/part.json");
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID || rc == PL_ELIMIT);
	if (rc != PL_OK)
		return;
	rc = pl_check_merge(&r, &p, 1);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID);
	if (rc == PL_OK) {
		FUZZ_ASSERT(r.report != NULL);
		FUZZ_ASSERT(pl_check_part_count(p) == 1);
		pl_check_result_free(&r);
	}
	pl_check_part_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc;
	pl_buf c = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	char hex[65], *s;

	parse_and_merge((const char *)data, size);
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	json_object_del(doc, "digest");
	if (pl_json_canonical(&c, doc) == PL_OK) {
		pl_sha256(h, c.ptr, c.len);
		pl_hex(hex, h, PL_HASH_LEN);
		json_object_set_new(doc, "digest", json_string(hex));
		if ((s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
			parse_and_merge(s, strlen(s));
			free(s);
		}
	}
	pl_buf_free(&c);
	json_decref(doc);
	return 0;
}
