/* Fuzz check parts (pl_check_part_parse) and their merge: any bytes are a
 * part or PL_EINVALID; the same bytes with their digest made right (so the
 * fuzzer gets past it) reach the shape checks and, for a part of one, the
 * merge, which gives a report or PL_EINVALID, never a crash. */
#include "fuzz.h"
#include "pl_check_part.h"
#include "pl_dsse.h"

static char *redigest(json_t *doc)
{
	pl_buf c = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	char hex[65], *s = NULL;
	json_object_del(doc, "digest");
	if (pl_json_canonical(&c, doc) == PL_OK) {
		pl_sha256(h, c.ptr, c.len);
		pl_hex(hex, h, PL_HASH_LEN);
		json_object_set_new(doc, "digest", json_string(hex));
		s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	pl_buf_free(&c);
	return s;
}

/* A part of registry part i of 2 with its other registry part (the same,
 * without matches): the combination of registry parts, then the merge. */
static void merge_registry_pair(pl_check_part *p, const char *data, size_t size, uint32_t ri)
{
	json_t *doc = json_loadb(data, size, JSON_REJECT_DUPLICATES, NULL), *sh;
	pl_check_part *q = NULL, *v[2];
	pl_check_result r;
	size_t i;
	char *s;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return;
	}
	json_object_set_new(json_object_get(doc, "registry_part"), "index",
	                    json_integer(1 - (json_int_t)ri));
	json_array_foreach(json_object_get(doc, "shards"), i, sh)
	    json_object_set_new(sh, "matches", json_array());
	if ((s = redigest(doc)) != NULL &&
	    pl_check_part_parse(&q, s, strlen(s), "dir/q.json") == 0) {
		v[0] = q;
		v[1] = p;
		int rc = pl_check_merge(&r, v, 2);
		FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID);
		if (rc == PL_OK)
			pl_check_result_free(&r);
		pl_check_part_free(q);
	}
	free(s);
	json_decref(doc);
}

static void parse_and_merge(const char *data, size_t size)
{
	uint32_t ri, rcount;
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
		FUZZ_ASSERT(!pl_check_part_registry(p, &ri, &rcount));
		pl_check_result_free(&r);
	}
	if (pl_check_part_registry(p, &ri, &rcount) && rcount == 2)
		merge_registry_pair(p, data, size, ri);
	pl_check_part_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc;
	char *s;

	parse_and_merge((const char *)data, size);
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	if ((s = redigest(doc)) != NULL) {
		parse_and_merge(s, strlen(s));
		free(s);
	}
	json_decref(doc);
	return 0;
}
