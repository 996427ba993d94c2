/* Unit tests of the Parquet reader (hashing/shard_parquet.c): the Thrift
 * compact decoder, the RLE/bit-packed decoder, every fixture of
 * tests/fixtures/parquet (two independent writers: each encoding, codec and
 * page version) read back as rows.jsonl, and hostile files made here by a
 * small writer: truncated and oversized footers, bad magic, corrupt page
 * headers, pages over the limit, dictionary indices out of range,
 * unsupported encodings, codecs and columns, with the exact messages. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "pl_shard.h"
#include "shard_int.h"

/* ---- files ---- */

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

static const char *rel(const char *m)
{
	size_t n = strlen(pl_tmpdir());
	if (strncmp(m, pl_tmpdir(), n) == 0 && m[n] == '/')
		return m + n + 1;
	return m;
}

/* Every record of path; the first error (without the temp dir) or "". The
 * texts go to texts (NUL-separated) when not NULL. */
static const char *read_path(const char *path, const pl_shard_opts *o, int *code, size_t *nrec,
                             pl_buf *texts)
{
	static char msg[1024];
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	size_t n = 0;
	int rc = pl_shard_open(&s, path, o);
	if (rc == 0) {
		while ((rc = pl_shard_next(s, &r)) > 0) {
			CHECK_EQ_INT(r->index, n);
			if (texts) {
				CHECK_OK(pl_buf_put(texts, r->text, r->text_len));
				CHECK_OK(pl_buf_putc(texts, '\n'));
			}
			n++;
		}
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

static const char *read_buf(const pl_buf *b, const pl_shard_opts *o, int *code)
{
	return read_path(put_file("x.parquet", b->ptr, b->len), o, code, NULL, NULL);
}

/* ---- a small Thrift compact writer and Parquet file writer ---- */

typedef struct {
	pl_buf *b;
	int last[40];
	int depth;
} tw;

static void tw_varint(tw *w, uint64_t v)
{
	do {
		unsigned char c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			c |= 0x80;
		CHECK_OK(pl_buf_putc(w->b, (char)c));
	} while (v);
}

static void tw_field(tw *w, int id, int type)
{
	int d = id - w->last[w->depth];
	if (d > 0 && d <= 15) {
		CHECK_OK(pl_buf_putc(w->b, (char)(d << 4 | type)));
	} else {
		CHECK_OK(pl_buf_putc(w->b, (char)type));
		tw_varint(w, (uint64_t)(int64_t)id << 1 ^ (uint64_t)((int64_t)id >> 63));
	}
	w->last[w->depth] = id;
}

static void tw_int(tw *w, int id, int64_t v)
{
	tw_field(w, id, 6);
	tw_varint(w, (uint64_t)v << 1 ^ (uint64_t)(v >> 63));
}

static void tw_i32(tw *w, int id, int64_t v)
{
	tw_field(w, id, 5);
	tw_varint(w, (uint64_t)v << 1 ^ (uint64_t)(v >> 63));
}

static void tw_str(tw *w, int id, const char *s)
{
	tw_field(w, id, 8);
	tw_varint(w, strlen(s));
	CHECK_OK(pl_buf_puts(w->b, s));
}

static void tw_begin(tw *w, int id)
{
	if (id)
		tw_field(w, id, 12);
	w->last[++w->depth] = 0;
}

static void tw_end(tw *w)
{
	CHECK_OK(pl_buf_putc(w->b, 0));
	w->depth--;
}

static void tw_list(tw *w, int id, int et, int n)
{
	tw_field(w, id, 9);
	if (n < 15) {
		CHECK_OK(pl_buf_putc(w->b, (char)(n << 4 | et)));
	} else {
		CHECK_OK(pl_buf_putc(w->b, (char)(0xf0 | et)));
		tw_varint(w, (uint64_t)n);
	}
}

typedef struct {
	const char *column; /* the text column's name ("text") */
	int type;           /* its physical type (6: BYTE_ARRAY) */
	int optional;       /* OPTIONAL, values[i] NULL for a null */
	int encoding;       /* data page encoding: 0 PLAIN, 8 RLE_DICTIONARY, ... */
	int codec;          /* in the metadata (pages always stored as they are) */
	int v2;             /* data page v2 */
	int dict_n;         /* dictionary: values[0..dict_n) */
	int bad_index;      /* dictionary: row 1 uses this index */
	int64_t usize_add;  /* lie in the data page's uncompressed size */
	const char *values[8];
	int n;
} pq_spec;

static void put_le32(pl_buf *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	CHECK_OK(pl_buf_put(b, c, 4));
}

static void plain(pl_buf *b, const char *v)
{
	put_le32(b, (uint32_t)strlen(v));
	CHECK_OK(pl_buf_puts(b, v));
}

static void page_header(pl_buf *f, int type, size_t usize, size_t csize, int nvalues, int enc,
                        const pq_spec *sp, size_t dlen)
{
	tw w = {.b = f};
	tw_i32(&w, 1, type);
	tw_i32(&w, 2, (int64_t)usize);
	tw_i32(&w, 3, (int64_t)csize);
	if (type == 2) {
		tw_begin(&w, 7);
		tw_i32(&w, 1, nvalues);
		tw_i32(&w, 2, enc);
		tw_end(&w);
	} else if (type == 3) {
		tw_begin(&w, 8);
		tw_i32(&w, 1, nvalues);
		tw_i32(&w, 2, 0);
		tw_i32(&w, 3, nvalues);
		tw_i32(&w, 4, enc);
		tw_i32(&w, 5, (int64_t)dlen);
		tw_i32(&w, 6, 0);
		tw_field(&w, 7, 2); /* is_compressed false */
		tw_end(&w);
	} else {
		tw_begin(&w, 5);
		tw_i32(&w, 1, nvalues);
		tw_i32(&w, 2, enc);
		tw_i32(&w, 3, 3);
		tw_i32(&w, 4, 3);
		tw_end(&w);
		(void)sp;
	}
	CHECK_OK(pl_buf_putc(f, 0));
}

/* Write the file of sp into f; *page_at: the data page's offset. */
static void build(pl_buf *f, const pq_spec *sp, size_t *page_at)
{
	pl_buf d = PL_BUF_INIT, lv = PL_BUF_INIT;
	size_t dict_at = 0, data_at;
	CHECK_OK(pl_buf_puts(f, "PAR1"));
	if (sp->dict_n) {
		for (int i = 0; i < sp->dict_n; i++)
			plain(&d, sp->values[i]);
		dict_at = f->len;
		page_header(f, 2, d.len, d.len, sp->dict_n, 0, sp, 0);
		CHECK_OK(pl_buf_put(f, d.ptr, d.len));
		d.len = 0;
	}
	if (sp->optional) {
		/* bit-packed definition levels, one group of 8 (n <= 8) */
		unsigned char bits = 0;
		for (int i = 0; i < sp->n; i++)
			if (sp->values[i])
				bits |= (unsigned char)(1u << i);
		CHECK_OK(pl_buf_putc(&lv, 3)); /* (1 group << 1) | 1 */
		CHECK_OK(pl_buf_putc(&lv, (char)bits));
		if (!sp->v2)
			put_le32(&d, (uint32_t)lv.len);
		CHECK_OK(pl_buf_put(&d, lv.ptr, lv.len));
	}
	if (sp->dict_n) {
		CHECK_OK(pl_buf_putc(&d, 8)); /* bit width */
		for (int i = 0, k = 0; i < sp->n; i++) {
			if (!sp->values[i])
				continue;
			CHECK_OK(pl_buf_putc(&d, 2)); /* an RLE run of 1 */
			CHECK_OK(pl_buf_putc(
			    &d,
			    (char)(i == 1 && sp->bad_index ? sp->bad_index : k++ % sp->dict_n)));
		}
	} else {
		for (int i = 0; i < sp->n; i++)
			if (sp->values[i])
				plain(&d, sp->values[i]);
	}
	data_at = f->len;
	page_header(f, sp->v2 ? 3 : 0, d.len + (size_t)sp->usize_add, d.len, sp->n, sp->encoding,
	            sp, sp->v2 ? lv.len : 0);
	CHECK_OK(pl_buf_put(f, d.ptr, d.len));
	size_t chunk_at = sp->dict_n ? dict_at : data_at, chunk_end = f->len;
	if (page_at)
		*page_at = data_at;

	size_t foot = f->len;
	tw w = {.b = f};
	tw_i32(&w, 1, 1);
	tw_list(&w, 2, 12, 3);
	tw_begin(&w, 0);
	tw_str(&w, 4, "schema");
	tw_i32(&w, 5, 2);
	tw_end(&w);
	tw_begin(&w, 0);
	tw_i32(&w, 1, 1);
	tw_i32(&w, 3, 0);
	tw_str(&w, 4, "id");
	tw_end(&w);
	tw_begin(&w, 0);
	tw_i32(&w, 1, sp->type);
	tw_i32(&w, 3, sp->optional);
	tw_str(&w, 4, sp->column);
	tw_i32(&w, 6, 0); /* UTF8 */
	tw_end(&w);
	tw_int(&w, 3, sp->n);
	tw_list(&w, 4, 12, 1);
	tw_begin(&w, 0);
	tw_list(&w, 1, 12, 2);
	for (int c = 0; c < 2; c++) {
		tw_begin(&w, 0);
		tw_int(&w, 2, c ? (int64_t)chunk_at : 4);
		tw_begin(&w, 3);
		tw_i32(&w, 1, c ? sp->type : 1);
		tw_list(&w, 2, 5, 1);
		tw_varint(&w, 0);
		tw_list(&w, 3, 8, 1);
		tw_varint(&w, strlen(c ? sp->column : "id"));
		CHECK_OK(pl_buf_puts(f, c ? sp->column : "id"));
		tw_i32(&w, 4, c ? sp->codec : 0);
		tw_int(&w, 5, sp->n);
		tw_int(&w, 6, c ? (int64_t)(chunk_end - chunk_at) : 0);
		tw_int(&w, 7, c ? (int64_t)(chunk_end - chunk_at) : 0);
		tw_int(&w, 9, c ? (int64_t)data_at : 4);
		if (c && sp->dict_n)
			tw_int(&w, 11, (int64_t)dict_at);
		tw_end(&w);
		tw_end(&w);
	}
	tw_int(&w, 2, (int64_t)(chunk_end - 4));
	tw_int(&w, 3, sp->n);
	tw_end(&w);
	CHECK_OK(pl_buf_putc(f, 0));
	put_le32(f, (uint32_t)(f->len - foot));
	CHECK_OK(pl_buf_puts(f, "PAR1"));
	pl_buf_free(&d);
	pl_buf_free(&lv);
}

static pq_spec plain_spec(void)
{
	pq_spec sp = {
	    .column = "text", .type = 6, .values = {"alpha beta", "gamma", "delta"}, .n = 3};
	return sp;
}

/* ---- Thrift and RLE ---- */

PL_TEST(shard_parquet, thrift_compact_decoding)
{
	/* field 1 i32 -3 (short form), field 300 binary "ab" (long form), a
	 * list of 20 i16 (long list header), a map, a set, bools, a double,
	 * a nested struct, STOP. */
	pl_buf b = PL_BUF_INIT;
	tw w = {.b = &b};
	tw_i32(&w, 1, -3);
	tw_str(&w, 300, "ab");
	tw_list(&w, 301, 4, 20);
	for (int i = 0; i < 20; i++)
		tw_varint(&w, (uint64_t)i << 1);
	tw_field(&w, 302, 11);
	tw_varint(&w, 2);
	CHECK_OK(pl_buf_putc(&b, (char)0x85)); /* binary -> i32 */
	for (int i = 0; i < 2; i++) {
		tw_varint(&w, 1);
		CHECK_OK(pl_buf_putc(&b, 'k'));
		tw_varint(&w, 7);
	}
	tw_list(&w, 303, 1, 3); /* list of bools: a byte each */
	CHECK_OK(pl_buf_put(&b, "\x01\x02\x01", 3));
	tw_field(&w, 304, 1); /* bool true in the header */
	tw_field(&w, 305, 7);
	CHECK_OK(pl_buf_put(&b, "12345678", 8));
	tw_begin(&w, 306);
	tw_int(&w, 1, -1234567890123LL);
	tw_end(&w);
	CHECK_OK(pl_buf_putc(&b, 0));

	pl_shard__tc t;
	int id = 0, type;
	int64_t v;
	const unsigned char *p;
	size_t n;
	pl_shard__tc_init(&t, (const unsigned char *)b.ptr, b.len);
	CHECK(pl_shard__tc_field(&t, &id, &type, id) == 0 && id == 1 && type == 5);
	CHECK(pl_shard__tc_zigzag(&t, &v) == 0 && v == -3);
	CHECK(pl_shard__tc_field(&t, &id, &type, id) == 0 && id == 300 && type == 8);
	CHECK(pl_shard__tc_binary(&t, &p, &n) == 0 && n == 2 && memcmp(p, "ab", 2) == 0);
	uint64_t ln;
	int et;
	CHECK(pl_shard__tc_field(&t, &id, &type, id) == 0 && id == 301 && type == 9);
	CHECK(pl_shard__tc_list(&t, &ln, &et) == 0 && ln == 20 && et == 4);
	for (int i = 0; i < 20; i++)
		CHECK(pl_shard__tc_zigzag(&t, &v) == 0 && v == i);
	for (int f = 302; f <= 306; f++) {
		CHECK(pl_shard__tc_field(&t, &id, &type, id) == 0 && id == f);
		CHECK(pl_shard__tc_skip(&t, type) == 0);
	}
	CHECK(pl_shard__tc_field(&t, &id, &type, id) == 0 && type == 0);
	CHECK(t.p == t.end);

	/* Every truncation of it fails as a short read, never reads past. */
	for (size_t cut = 0; cut < b.len; cut++) {
		pl_shard__tc_init(&t, (const unsigned char *)b.ptr, cut);
		CHECK(pl_shard__tc_skip(&t, 12) < 0);
		CHECK(t.short_read);
		CHECK(t.p <= t.end);
	}
	/* A varint past 64 bits; nesting past the depth limit; a list longer
	 * than its bytes. */
	pl_shard__tc_init(&t, (const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
	                  10);
	uint64_t u;
	CHECK(pl_shard__tc_varint(&t, &u) < 0);
	CHECK_STR(t.err, "varint past 64 bits");
	char deep[80];
	memset(deep, 0x1c, sizeof(deep)); /* field +1, struct, over and over */
	pl_shard__tc_init(&t, (const unsigned char *)deep, sizeof(deep));
	CHECK(pl_shard__tc_skip(&t, 12) < 0);
	CHECK_STR(t.err, "nested too deep");
	pl_shard__tc_init(&t, (const unsigned char *)"\xf5\x80\x80\x01", 4);
	CHECK(pl_shard__tc_list(&t, &ln, &et) < 0);
	CHECK_STR(t.err, "truncated");
	pl_buf_free(&b);
}

PL_TEST(shard_parquet, rle_bitpacked_hybrid)
{
	/* RLE run of 3 x 5 (bw 3), bit-packed group of 8: 0..7 (bw 3). */
	const unsigned char d[] = {0x06, 0x05, 0x03, 0x88, 0xc6, 0xfa};
	pl_shard__rle r;
	uint32_t v;
	pl_shard__rle_init(&r, d, sizeof(d), 3);
	for (int i = 0; i < 3; i++)
		CHECK(pl_shard__rle_get(&r, &v) == 0 && v == 5);
	for (uint32_t i = 0; i < 8; i++)
		CHECK(pl_shard__rle_get(&r, &v) == 0 && v == i);
	CHECK(pl_shard__rle_get(&r, &v) < 0);
	/* A bit-packed run longer than its bytes; an RLE value past bw. */
	pl_shard__rle_init(&r, (const unsigned char *)"\x05\x00", 2, 3);
	CHECK(pl_shard__rle_get(&r, &v) < 0);
	pl_shard__rle_init(&r, (const unsigned char *)"\x02\x09", 2, 3);
	CHECK(pl_shard__rle_get(&r, &v) < 0);
}

/* ---- the fixtures of two independent writers ---- */

static void rows_texts(pl_buf *out, const char *jsonl)
{
	pl_shard_opts o = {.format = PL_FORMAT_JSONL};
	int code;
	size_t n;
	CHECK_STR(read_path(pl_fixture(jsonl), &o, &code, &n, out), "");
	CHECK_EQ_INT(n, 30);
}

PL_TEST(shard_parquet, fixtures_read_as_the_rows)
{
	static const char *all[] = {"pj_plain",     "pj_v2_snappy",      "pj_gzip",
	                            "aw_dict_zstd", "aw_dict_v2_snappy", "aw_plain_gzip"};
	pl_buf want = PL_BUF_INIT;
	rows_texts(&want, "parquet/rows.jsonl");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char name[64];
		pl_buf got = PL_BUF_INIT;
		size_t n;
		int code;
		snprintf(name, sizeof(name), "parquet/%s.parquet", all[i]);
		CHECK_STR(read_path(pl_fixture(name), NULL, &code, &n, &got), "");
		CHECK_EQ_INT(n, 30);
		if (got.len != want.len || memcmp(got.ptr, want.ptr, want.len) != 0)
			pl_test_fail(__FILE__, __LINE__, "%s: texts differ from rows.jsonl", name);
		pl_buf_free(&got);
	}
	pl_buf_free(&want);
}

PL_TEST(shard_parquet, nulls_are_empty_records)
{
	pl_buf want = PL_BUF_INIT, jl = PL_BUF_INIT;
	/* rows_nulls.jsonl holds JSON nulls: the expected texts with "" there */
	CHECK_OK(pl_read_file(&jl, pl_fixture("parquet/rows_nulls.jsonl"), 1 << 20));
	for (char *l = jl.ptr, *e; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		if (e)
			*e = '\0';
		char *p = strstr(l, "\"text\": ");
		CHECK(p != NULL);
		if (strncmp(p + 8, "null", 4) == 0)
			memcpy(p + 8, "\"\"  ", 4);
	}
	for (size_t i = 0; i < jl.len; i++)
		if (jl.ptr[i] == '\0')
			jl.ptr[i] = '\n';
	pl_shard_opts o = {.format = PL_FORMAT_JSONL};
	size_t n;
	int code;
	CHECK_STR(read_path(put_file("n.jsonl", jl.ptr, jl.len), &o, &code, &n, &want), "");
	static const char *all[] = {"parquet/pj_nulls.parquet", "parquet/aw_nulls_v2.parquet"};
	for (int i = 0; i < 2; i++) {
		pl_buf got = PL_BUF_INIT;
		CHECK_STR(read_path(pl_fixture(all[i]), NULL, &code, &n, &got), "");
		CHECK_EQ_INT(n, 30);
		CHECK(got.len == want.len && memcmp(got.ptr, want.ptr, want.len) == 0);
		pl_buf_free(&got);
	}
	pl_buf_free(&want);
	pl_buf_free(&jl);
}

PL_TEST(shard_parquet, offsets_of_plain_values_are_the_file_bytes)
{
	pl_shard *s = NULL;
	const pl_record *r;
	pl_buf file = PL_BUF_INIT;
	uint64_t so, sl;
	int rc;
	CHECK_OK(pl_read_file(&file, pl_fixture("parquet/pj_plain.parquet"), 1 << 20));
	CHECK_OK(pl_shard_open(&s, pl_fixture("parquet/pj_plain.parquet"), NULL));
	uint64_t rows = 0;
	while ((rc = pl_shard_next(s, &r)) > 0) {
		CHECK_EQ_INT(r->row_group, rows / 8); /* 8 rows a row group */
		CHECK_EQ_INT(r->row, rows % 8);
		CHECK(r->offset + r->text_len <= file.len);
		CHECK(memcmp(file.ptr + r->offset, r->text, r->text_len) == 0);
		if (r->text_len > 4) {
			CHECK_OK(pl_shard_span(s, &so, &sl, 2, 3));
			CHECK_EQ_INT(so, r->offset + 2);
			CHECK_EQ_INT(sl, 3);
		}
		rows++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(rows, 30);
	pl_shard_free(s);
	/* Compressed pages: the span is the page holding the value. */
	CHECK_OK(pl_shard_open(&s, pl_fixture("parquet/pj_gzip.parquet"), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_OK(pl_shard_span(s, &so, &sl, 1, 2));
	CHECK_EQ_INT(so, r->offset);
	CHECK_EQ_INT(sl, r->length);
	CHECK(r->length > r->text_len);
	pl_shard_free(s);
	pl_buf_free(&file);
}

PL_TEST(shard_parquet, digests_are_the_file_bytes)
{
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	pl_buf file = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	CHECK_OK(pl_read_file(&file, pl_fixture("parquet/aw_dict_zstd.parquet"), 1 << 20));
	pl_sha256(h, file.ptr, file.len);
	CHECK_OK(pl_shard_open(&s, pl_fixture("parquet/aw_dict_zstd.parquet"), NULL));
	CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.records, 30);
	CHECK_EQ_INT(info.format, PL_FORMAT_PARQUET);
	CHECK_EQ_INT(info.stored_bytes, file.len);
	CHECK(memcmp(info.sha256, h, PL_HASH_LEN) == 0);
	pl_shard_free(s);
	pl_buf_free(&file);
}

/* ---- refused ---- */

PL_TEST(shard_parquet, unsupported_fixtures)
{
	int code;
	size_t n;
	CHECK_STR(read_path(pl_fixture("parquet/aw_delta.parquet"), NULL, &code, &n, NULL) +
	              strlen(pl_fixture("parquet/aw_delta.parquet")),
	          ": column 'text': row group 0: page at byte 38: encoding DELTA_BYTE_ARRAY not "
	          "supported");
	CHECK_EQ_INT(code, PL_EINVALID);
	CHECK_STR(read_path(pl_fixture("parquet/aw_nested.parquet"), NULL, &code, &n, NULL) +
	              strlen(pl_fixture("parquet/aw_nested.parquet")),
	          ": column 'text': nested or repeated columns are not supported");
	pl_shard_opts o = {.field = "body"};
	CHECK_STR(read_path(pl_fixture("parquet/pj_plain.parquet"), &o, &code, &n, NULL) +
	              strlen(pl_fixture("parquet/pj_plain.parquet")),
	          ": no column 'body' (the columns: 'id', 'text', 'lang', 'score')");
	o.field = "score";
	CHECK_STR(read_path(pl_fixture("parquet/pj_plain.parquet"), &o, &code, &n, NULL) +
	              strlen(pl_fixture("parquet/pj_plain.parquet")),
	          ": column 'score' is DOUBLE, not a BYTE_ARRAY (text) column");
	/* Another text column. */
	o.field = "lang";
	CHECK_STR(read_path(pl_fixture("parquet/pj_plain.parquet"), &o, &code, &n, NULL), "");
	CHECK_EQ_INT(n, 30);
}

PL_TEST(shard_parquet, crafted_file_reads)
{
	pl_buf f = PL_BUF_INIT, got = PL_BUF_INIT;
	pq_spec sp = plain_spec();
	int code;
	size_t n;
	build(&f, &sp, NULL);
	CHECK_STR(read_path(put_file("x.parquet", f.ptr, f.len), NULL, &code, &n, &got), "");
	CHECK_STR(got.ptr, "alpha beta\ngamma\ndelta\n");
	/* dictionary, optional with a null, data page v2 */
	sp = plain_spec();
	sp.values[1] = NULL;
	sp.dict_n = 1;
	sp.encoding = 8;
	sp.optional = 1;
	sp.v2 = 1;
	f.len = got.len = 0;
	build(&f, &sp, NULL);
	CHECK_STR(read_path(put_file("x.parquet", f.ptr, f.len), NULL, &code, &n, &got), "");
	CHECK_STR(got.ptr, "alpha beta\n\nalpha beta\n");
	/* PLAIN_DICTIONARY data pages (the v1 name), v1 definition levels */
	pq_spec dsp = {.column = "text",
	               .type = 6,
	               .values = {"gamma", "alpha beta", NULL, "gamma"},
	               .n = 4,
	               .dict_n = 2,
	               .encoding = 2,
	               .optional = 1};
	f.len = got.len = 0;
	build(&f, &dsp, NULL);
	CHECK_STR(read_path(put_file("x.parquet", f.ptr, f.len), NULL, &code, &n, &got), "");
	CHECK_STR(got.ptr, "gamma\nalpha beta\n\ngamma\n");
	pl_buf_free(&f);
	pl_buf_free(&got);
}

PL_TEST(shard_parquet, bad_magic_and_footers)
{
	pl_buf f = PL_BUF_INIT, g = PL_BUF_INIT;
	pq_spec sp = plain_spec();
	pl_shard_opts o = {.format = PL_FORMAT_PARQUET};
	int code;
	build(&f, &sp, NULL);
	CHECK_OK(pl_buf_put(&g, f.ptr, f.len));
	memcpy(g.ptr, "PAR2", 4);
	CHECK_STR(read_buf(&g, &o, &code),
	          "x.parquet: not a Parquet file: no PAR1 magic at byte 0");
	CHECK_EQ_INT(code, PL_EINVALID);
	/* truncated: the end magic is gone (detected by the name) */
	g.len = 0;
	CHECK_OK(pl_buf_put(&g, f.ptr, f.len - 3));
	char want[200];
	snprintf(want, sizeof(want),
	         "x.parquet: truncated or not a Parquet file: no PAR1 magic at the end (byte %zu)",
	         f.len - 7);
	CHECK_STR(read_buf(&g, NULL, &code), want);
	CHECK_STR(read_buf(&(pl_buf){"PAR1", 4, 4}, NULL, &code),
	          "x.parquet: not a Parquet file: 4 bytes, too short");
	/* footer length beyond the file */
	g.len = 0;
	CHECK_OK(pl_buf_put(&g, f.ptr, f.len));
	memcpy(g.ptr + g.len - 8, "\xff\xff\x00\x00", 4);
	snprintf(want, sizeof(want),
	         "x.parquet: footer length 65535 is beyond the file (%zu bytes)", f.len);
	CHECK_STR(read_buf(&g, NULL, &code), want);
	/* truncated footer: its second half cut, the length and magic kept */
	uint32_t flen = (uint32_t)(unsigned char)f.ptr[f.len - 8] |
	                (uint32_t)(unsigned char)f.ptr[f.len - 7] << 8;
	size_t fstart = f.len - 8 - flen;
	g.len = 0;
	CHECK_OK(pl_buf_put(&g, f.ptr, fstart + flen / 2));
	put_le32(&g, flen / 2);
	CHECK_OK(pl_buf_puts(&g, "PAR1"));
	snprintf(want, sizeof(want),
	         "x.parquet: corrupt footer (FileMetaData at byte %zu: truncated)", fstart);
	CHECK_STR(read_buf(&g, NULL, &code), want);
	/* stdin or a pipe */
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], f.ptr, f.len) == (ssize_t)f.len);
	close(p[1]);
	pl_shard *s = NULL;
	const pl_record *r;
	CHECK_OK(pl_shard_open_fd(&s, p[0], "-", &o));
	CHECK_EQ_INT(pl_shard_next(s, &r), PL_EINVALID);
	CHECK_STR(
	    pl_error_last(),
	    "-: Parquet needs a regular file (its footer is at the end): not a pipe or stdin");
	pl_shard_free(s);
	close(p[0]);
	pl_buf_free(&f);
	pl_buf_free(&g);
}

PL_TEST(shard_parquet, bad_pages)
{
	pl_buf f = PL_BUF_INIT;
	pq_spec sp = plain_spec();
	char want[300];
	size_t at;
	int code;

	/* a corrupt page header */
	build(&f, &sp, &at);
	f.ptr[at] = (char)0xff;
	snprintf(want, sizeof(want),
	         "x.parquet: column 'text': row group 0: page at byte %zu: corrupt page header "
	         "(unknown field type)",
	         at);
	CHECK_STR(read_buf(&f, NULL, &code), want);
	CHECK_EQ_INT(code, PL_EINVALID);

	/* a page over the limit */
	f.len = 0;
	build(&f, &sp, &at);
	pl_shard_opts o = {.max_record = 16};
	snprintf(want, sizeof(want),
	         "x.parquet: column 'text': row group 0: page at byte %zu: page of 32 bytes, over "
	         "the --max-record limit of 16 bytes (raise it with --max-record BYTES)",
	         at);
	CHECK_STR(read_buf(&f, &o, &code), want);
	CHECK_EQ_INT(code, PL_ELIMIT);

	/* an uncompressed page whose sizes disagree */
	sp.usize_add = 5;
	f.len = 0;
	build(&f, &sp, &at);
	snprintf(want, sizeof(want),
	         "x.parquet: column 'text': row group 0: page at byte %zu: uncompressed page of 32 "
	         "bytes, the header says 37",
	         at);
	CHECK_STR(read_buf(&f, NULL, &code), want);

	/* dictionary index out of range */
	sp = plain_spec();
	sp.dict_n = 2;
	sp.encoding = 2;
	sp.bad_index = 5;
	f.len = 0;
	build(&f, &sp, &at);
	snprintf(
	    want, sizeof(want),
	    "x.parquet: row group 0, row 1 (page at byte %zu): dictionary index 5 out of range "
	    "(2 values)",
	    at);
	CHECK_STR(read_buf(&f, NULL, &code), want);

	/* unsupported encoding and codec */
	sp = plain_spec();
	sp.encoding = 6;
	f.len = 0;
	build(&f, &sp, &at);
	snprintf(want, sizeof(want),
	         "x.parquet: column 'text': row group 0: page at byte %zu: encoding "
	         "DELTA_LENGTH_BYTE_ARRAY not supported",
	         at);
	CHECK_STR(read_buf(&f, NULL, &code), want);
	sp = plain_spec();
	sp.codec = 3;
	f.len = 0;
	build(&f, &sp, &at);
	CHECK_STR(read_buf(&f, NULL, &code),
	          "x.parquet: column 'text': row group 0: codec LZO not supported");
	sp.codec = 7;
	f.len = 0;
	build(&f, &sp, &at);
	CHECK_STR(read_buf(&f, NULL, &code),
	          "x.parquet: column 'text': row group 0: codec LZ4_RAW not supported");
	/* a BYTE_ARRAY column that is FIXED_LEN_BYTE_ARRAY */
	sp = plain_spec();
	sp.type = 7;
	f.len = 0;
	build(&f, &sp, &at);
	CHECK_STR(
	    read_buf(&f, NULL, &code),
	    "x.parquet: column 'text' is FIXED_LEN_BYTE_ARRAY, not a BYTE_ARRAY (text) column");
	/* a column name from the file reaches the message escaped */
	sp = plain_spec();
	sp.column = "te\x1b[2Jxt";
	f.len = 0;
	build(&f, &sp, &at);
	CHECK_STR(read_buf(&f, NULL, &code),
	          "x.parquet: no column 'text' (the columns: 'id', 'te\\x1b[2Jxt')");
	/* invalid UTF-8 in a value: named by row group and row */
	sp = plain_spec();
	sp.values[2] = "bad \xff byte";
	f.len = 0;
	build(&f, &sp, &at);
	pl_shard *s = NULL;
	const pl_record *r;
	pl_tokens tok = {0};
	CHECK_OK(pl_shard_open(&s, put_file("x.parquet", f.ptr, f.len), NULL));
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(pl_shard_next(s, &r), 1);
	CHECK_EQ_INT(pl_shard_tokenize(s, &tok, 0), PL_EINVALID);
	snprintf(want, sizeof(want), "x.parquet: row group 0, row 2 (byte %llu): invalid UTF-8",
	         (unsigned long long)r->offset + 4);
	CHECK_STR(rel(pl_error_last()), want);
	pl_tokens_free(&tok);
	pl_shard_free(s);
	/* truncated at every offset: an error, never a crash */
	sp = plain_spec();
	f.len = 0;
	build(&f, &sp, &at);
	for (size_t cut = 0; cut < f.len; cut++) {
		pl_buf g = {f.ptr, cut, cut};
		pl_shard_opts po = {.format = PL_FORMAT_PARQUET};
		read_buf(&g, &po, &code);
		CHECK(code < 0);
	}
	pl_buf_free(&f);
}

PL_TEST(shard_parquet, descriptor_past_a_prefix)
{
	/* A descriptor of the caller's, positioned after 5 bytes of something
	 * else: offsets are the shard's, from where the descriptor stood. */
	pl_buf f = PL_BUF_INIT, all = PL_BUF_INIT, got = PL_BUF_INIT;
	pq_spec sp = plain_spec();
	pl_shard *s = NULL;
	const pl_record *r;
	pl_shard_info info;
	int rc;
	build(&f, &sp, NULL);
	CHECK_OK(pl_buf_put(&all, "JUNK\n", 5));
	CHECK_OK(pl_buf_put(&all, f.ptr, f.len));
	int fd = open(put_file("p.bin", all.ptr, all.len), O_RDONLY);
	CHECK(fd >= 0);
	CHECK(lseek(fd, 5, SEEK_SET) == 5);
	CHECK_OK(pl_shard_open_fd(&s, fd, "p", NULL));
	while ((rc = pl_shard_next(s, &r)) > 0) {
		CHECK(memcmp(f.ptr + r->offset, r->text, r->text_len) == 0);
		CHECK_OK(pl_buf_put(&got, r->text, r->text_len));
		CHECK_OK(pl_buf_putc(&got, '\n'));
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_OK(pl_shard_finish(s, &info));
	CHECK_EQ_INT(info.stored_bytes, f.len);
	CHECK_EQ_INT(info.format, PL_FORMAT_PARQUET);
	CHECK_STR(got.ptr, "alpha beta\ngamma\ndelta\n");
	pl_shard_free(s);
	close(fd);
	pl_buf_free(&f);
	pl_buf_free(&all);
	pl_buf_free(&got);
}
