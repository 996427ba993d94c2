/* Unit tests of ledger/registry/check_part.c: the slice of a list, the part
 * file (round trip, refusals) and the merge (order, refusals). */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "pl_check_part.h"

static const char *names[] = {"d.jsonl", "a.jsonl", "e.jsonl", "b.jsonl", "c.jsonl"};
#define NLIST 5

PL_TEST(check_part, slice)
{
	size_t *pos, n;
	/* sorted: a(1) b(3) c(4) d(0) e(2); part 1 of 2 takes b and d */
	CHECK_OK(pl_check_slice(&pos, &n, names, NLIST, 1, 2));
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(pos[0], 3);
	CHECK_EQ_INT(pos[1], 0);
	free(pos);
	CHECK_OK(pl_check_slice(&pos, &n, names, NLIST, 6, 7));
	CHECK_EQ_INT(n, 0);
	free(pos);
	CHECK_ERR(pl_check_slice(&pos, &n, names, NLIST, 2, 2), PL_EUSAGE);
}

PL_TEST(check_part, list_digest)
{
	unsigned char a[PL_HASH_LEN], b[PL_HASH_LEN];
	const char *fields[NLIST] = {NULL, "body", NULL, NULL, NULL};
	const char *swapped[] = {"a.jsonl", "d.jsonl", "e.jsonl", "b.jsonl", "c.jsonl"};
	CHECK_OK(pl_check_list_digest(a, names, NULL, NLIST));
	CHECK_OK(pl_check_list_digest(b, names, fields, NLIST));
	CHECK(memcmp(a, b, PL_HASH_LEN) != 0);
	CHECK_OK(pl_check_list_digest(b, swapped, NULL, NLIST));
	CHECK(memcmp(a, b, PL_HASH_LEN) != 0); /* the order given is part of the list */
}

/* The result pl_check_run would give for slice index/count of names: one
 * match in every shard whose position is even. */
static void fake_result(pl_check_result *r, size_t *pos, size_t n)
{
	json_t *matches = json_array(), *shards = json_array();
	memset(r, 0, sizeof(*r));
	r->shards = calloc(n ? n : 1, sizeof(*r->shards));
	r->nshards = n;
	for (size_t i = 0; i < n; i++) {
		pl_check_shard *cs = &r->shards[i];
		cs->path = strdup(names[pos[i]]);
		memset(cs->info.sha256, (int)pos[i] + 1, PL_HASH_LEN);
		memset(cs->info.merkle, (int)pos[i] + 7, PL_HASH_LEN);
		cs->info.records = pos[i] + 10;
		cs->info.stored_bytes = 100 * pos[i] + 1;
		cs->info.stream_bytes = 200 * pos[i] + 1;
		cs->info.format = PL_FORMAT_JSONL;
		cs->tokens = 1000 + pos[i];
		cs->ignored = pos[i];
		cs->match0 = json_array_size(matches);
		if (pos[i] % 2 == 0) {
			cs->nmatches = 1;
			json_array_append_new(
			    matches, json_pack("{s:s, s:I, s:s}", "shard", cs->path, "record",
			                       (json_int_t)pos[i], "containment", "0.5000"));
		}
		json_array_append_new(shards, json_pack("{s:s}", "path", cs->path));
	}
	r->report =
	    json_pack("{s:{s:i, s:s}, s:{s:i, s:i}, s:o, s:o}", "registry", "size", 7, "root",
	              "AAAA", "params", "k", 13, "w", 38, "shards", shards, "matches", matches);
}

/* Part index of count, as bytes. */
static void make_part(pl_buf *out, uint32_t index, uint32_t count, unsigned min_tokens)
{
	pl_check_result r;
	pl_check_part_info info;
	pl_check_opts o;
	size_t *pos, n;
	memset(&o, 0, sizeof(o));
	memset(&info, 0, sizeof(info));
	o.min_tokens = min_tokens;
	CHECK_OK(pl_check_slice(&pos, &n, names, NLIST, index, count));
	fake_result(&r, pos, n);
	if (min_tokens)
		json_object_set_new(json_object_get(r.report, "params"), "min_tokens",
		                    json_integer(min_tokens));
	info.index = index;
	info.count = count;
	info.names = names;
	info.nlist = NLIST;
	info.positions = pos;
	info.o = &o;
	CHECK_OK(pl_check_part_write(out, &r, &info));
	pl_check_result_free(&r);
	free(pos);
}

static pl_check_part *parse(const pl_buf *b, const char *name)
{
	pl_check_part *p = NULL;
	CHECK_OK(pl_check_part_parse(&p, b->ptr, b->len, name));
	return p;
}

PL_TEST(check_part, merge_in_list_order)
{
	pl_check_part *p[3];
	pl_check_result m;
	json_t *ms, *sh;
	for (uint32_t i = 0; i < 3; i++) {
		pl_buf b = PL_BUF_INIT;
		char name[16];
		make_part(&b, i, 3, 0);
		snprintf(name, sizeof(name), "p%u", i);
		p[2 - i] = parse(&b, name); /* given in reverse */
		pl_buf_free(&b);
	}
	CHECK_OK(pl_check_merge(&m, p, 3));
	CHECK_EQ_INT(m.nshards, NLIST);
	sh = json_object_get(m.report, "shards");
	for (size_t i = 0; i < NLIST; i++) {
		CHECK_STR(m.shards[i].path, names[i]);
		CHECK_STR(json_string_value(json_object_get(json_array_get(sh, i), "path")),
		          names[i]);
		CHECK_EQ_INT(m.shards[i].info.records, i + 10);
		CHECK_EQ_INT(m.shards[i].info.merkle[0], i + 7);
	}
	ms = json_object_get(m.report, "matches");
	CHECK_EQ_INT(json_array_size(ms), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(ms, 1), "shard")), "e.jsonl");
	CHECK_EQ_INT(m.records, 10 + 11 + 12 + 13 + 14);
	CHECK_EQ_INT(m.bytes, 200 * 10 + 5);
	CHECK_EQ_INT(json_integer_value(json_object_get(m.report, "ignored_fingerprints")), 10);
	pl_check_result_free(&m);
	for (int i = 0; i < 3; i++)
		pl_check_part_free(p[i]);
}

PL_TEST(check_part, merge_refusals)
{
	pl_buf b0 = PL_BUF_INIT, b1 = PL_BUF_INIT, b1m = PL_BUF_INIT, c1 = PL_BUF_INIT;
	pl_check_part *p[3];
	pl_check_result m;
	make_part(&b0, 0, 2, 0);
	make_part(&b1, 1, 2, 0);
	make_part(&b1m, 1, 2, 60);
	make_part(&c1, 1, 3, 0);
	p[0] = parse(&b0, "p0");
	p[1] = parse(&b0, "p0bis");
	CHECK_ERR(pl_check_merge(&m, p, 2), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "part 0/2 is given twice: p0 and p0bis") != NULL);
	CHECK_ERR(pl_check_merge(&m, p, 1), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "part 1/2 is missing (1 of 2 parts given)") != NULL);
	pl_check_part_free(p[1]);
	p[1] = parse(&b1m, "p1m");
	CHECK_ERR(pl_check_merge(&m, p, 2), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "come from different check options") != NULL);
	pl_check_part_free(p[1]);
	p[1] = parse(&c1, "c1");
	CHECK_ERR(pl_check_merge(&m, p, 2), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "p0 is part 0/2 but c1 is part 1/3") != NULL);
	pl_check_part_free(p[1]);
	p[1] = parse(&b1, "p1");
	CHECK_OK(pl_check_merge(&m, p, 2));
	pl_check_result_free(&m);
	CHECK_ERR(pl_check_merge(&m, p, 0), PL_EUSAGE);
	pl_check_part_free(p[0]);
	pl_check_part_free(p[1]);
	pl_buf_free(&b0);
	pl_buf_free(&b1);
	pl_buf_free(&b1m);
	pl_buf_free(&c1);
}

PL_TEST(check_part, parse_refusals)
{
	pl_buf b = PL_BUF_INIT;
	pl_check_part *p = NULL;
	char *alt;
	make_part(&b, 0, 2, 0);
	for (size_t cut = 0; cut < b.len - 1; cut += 97) {
		CHECK_ERR(pl_check_part_parse(&p, b.ptr, cut, "x"), PL_EINVALID);
		CHECK(p == NULL);
	}
	CHECK(strstr(pl_error_last(), "x: not a whole check part (truncated or corrupt)") != NULL);
	alt = malloc(b.len);
	memcpy(alt, b.ptr, b.len);
	*strstr(alt, "\"records\":1") = ' '; /* a key without its opening quote */
	CHECK_ERR(pl_check_part_parse(&p, alt, b.len, "x"), PL_EINVALID);
	memcpy(alt, b.ptr, b.len);
	alt[strstr(alt, "\"tokens\":100") - alt + 12] = '9';
	CHECK_ERR(pl_check_part_parse(&p, alt, b.len, "x"), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "its digest does not match its content") != NULL);
	CHECK_ERR(pl_check_part_parse(&p, "{\"format\":1}", 12, "x"), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "not a check part") != NULL);
	free(alt);
	pl_buf_free(&b);
}
