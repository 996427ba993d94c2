/*
 * shard_parquet.c - Parquet records: one text column (BYTE_ARRAY, chosen by
 * the field option), a record per row. A small strict reader: the footer's
 * FileMetaData and each PageHeader are read with a hand-written, bounded
 * Thrift compact protocol decoder (shard_thrift.c; the footer in
 * shard_parquet_meta.c); data pages v1 and v2 in PLAIN,
 * PLAIN_DICTIONARY and RLE_DICTIONARY encodings, UNCOMPRESSED, SNAPPY, GZIP
 * and ZSTD pages; flat columns only (REQUIRED or OPTIONAL; a null row is a
 * record with empty text). Everything else is refused with a message that
 * names the file, the column and what is not supported.
 *
 * The footer and the column chunks are read with pread() (a Parquet file must
 * be a regular file); the stored-byte digests are still computed by the
 * sequential pass of shard.c, which is advanced past each page once read.
 * Memory holds one data page and the column chunk's dictionary page, each at
 * most max_record bytes (compressed and decompressed; PL_ELIMIT beyond).
 */
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard_parquet.h"

typedef unsigned long long ull;

#define PQ_HEADER_MIN ((size_t)4 << 10)  /* first read of a page header */
#define PQ_HEADER_MAX ((size_t)16 << 20) /* a page header (with statistics) */

static const char *encoding_name(int64_t e)
{
	static const char *n[] = {
	    "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
	    "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
	    "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
	return e >= 0 && e < 10 ? n[e] : "unknown";
}
/* ---- pages ---- */

typedef struct {
	int64_t type, usize, csize;
	int64_t nvalues, encoding, def_enc, nnulls, nrows, dlen, rlen;
	int compressed; /* v2: is_compressed (default true) */
	int has_sub;
} pq_page;

static int read_page_sub(pl_shard__tc *t, int type, pq_page *pg, int which)
{
	int id = 0, ft;
	int64_t v;
	if (pl_shard__tc_enter(t, type) < 0)
		return -1;
	pg->has_sub = 1;
	for (;;) {
		if (pl_shard__tc_field(t, &id, &ft, id) < 0)
			return -1;
		if (ft == PL_TC_STOP)
			break;
		if (which == 8 && id == 7 && (ft == PL_TC_TRUE || ft == PL_TC_FALSE)) {
			pg->compressed = ft == PL_TC_TRUE;
			continue;
		}
		int want = which == 5   ? id >= 1 && id <= 4
		           : which == 7 ? id >= 1 && id <= 2
		                        : id >= 1 && id <= 6;
		if (!want) {
			if (pl_shard__tc_skip(t, ft) < 0)
				return -1;
			continue;
		}
		if (pl_shard__tc_int(t, ft, &v) < 0)
			return -1;
		if (which == 5 || which == 7) {
			if (id == 1)
				pg->nvalues = v;
			else if (id == 2)
				pg->encoding = v;
			else if (id == 3)
				pg->def_enc = v;
		} else {
			int64_t *f[] = {&pg->nvalues,  &pg->nnulls, &pg->nrows,
			                &pg->encoding, &pg->dlen,   &pg->rlen};
			*f[id - 1] = v;
		}
	}
	t->depth--;
	return 0;
}

static int parse_page_header(pl_shard__tc *t, pq_page *pg)
{
	int id = 0, ft;
	int64_t v;
	memset(pg, 0, sizeof(*pg));
	pg->type = pg->usize = pg->csize = -1;
	pg->nvalues = pg->encoding = pg->def_enc = -1;
	pg->compressed = 1;
	for (;;) {
		if (pl_shard__tc_field(t, &id, &ft, id) < 0)
			return -1;
		if (ft == PL_TC_STOP)
			break;
		if (id >= 1 && id <= 3) {
			if (pl_shard__tc_int(t, ft, &v) < 0)
				return -1;
			*(id == 1 ? &pg->type : id == 2 ? &pg->usize : &pg->csize) = v;
		} else if ((id == 5 && pg->type == 0) || (id == 7 && pg->type == 2) ||
		           (id == 8 && pg->type == 3)) {
			if (read_page_sub(t, ft, pg, id) < 0)
				return -1;
		} else if (pl_shard__tc_skip(t, ft) < 0) {
			return -1;
		}
	}
	if (pg->type < 0 || pg->usize < 0 || pg->csize < 0)
		return pl_shard__tc_fail(t, "a required field is missing or negative");
	return 0;
}

/* "column 'text': row group G: page at byte X: " */
static int page_err(pl_shard *s, int code, uint64_t at, const char *fmt, ...) PL_PRINTF(4, 5);
static int page_err(pl_shard *s, int code, uint64_t at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_error_set(code, "%s: column '%s': row group %zu: page at byte %llu: %s", s->path,
	                    s->pq->colname, s->pq->g, (ull)at, msg);
}

static int over_limit(pl_shard *s, uint64_t at, const char *what, uint64_t n)
{
	return page_err(s, PL_ELIMIT, at,
	                "%s of %llu bytes, over the --max-record limit of %llu bytes (raise it "
	                "with --max-record BYTES)",
	                what, (ull)n, (ull)s->opts.max_record);
}

/* Decompress n bytes at src into out (exactly want bytes). */
static int decompress(pl_shard *s, pl_buf *out, const unsigned char *src, size_t n, size_t want,
                      int64_t codec, uint64_t at)
{
	pl_shard__pq *q = s->pq;
	int rc;
	out->len = 0;
	if ((rc = pl_buf_grow(out, want)) < 0)
		return rc;
	if (codec == 1) {
		size_t len;
		if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK ||
		    len != want)
			return page_err(s, PL_EINVALID, at, "corrupt snappy data");
		if (snappy_uncompress((const char *)src, n, out->ptr, &len) != SNAPPY_OK ||
		    len != want)
			return page_err(s, PL_EINVALID, at, "corrupt snappy data");
	} else if (codec == 2) {
		if (!q->z_init) {
			if (inflateInit2(&q->z, 32 + MAX_WBITS) != Z_OK)
				return pl_error_set(PL_ENOMEM, "%s: cannot initialise zlib",
				                    s->path);
			q->z_init = 1;
		} else {
			inflateReset(&q->z);
		}
		q->z.next_in = (unsigned char *)(uintptr_t)src;
		q->z.avail_in = (uInt)n;
		q->z.next_out = (unsigned char *)out->ptr;
		q->z.avail_out = (uInt)want;
		unsigned char extra;
		int zr = inflate(&q->z, Z_FINISH);
		if (zr == Z_BUF_ERROR && q->z.avail_out == 0) {
			/* More output than the header says. */
			q->z.next_out = &extra;
			q->z.avail_out = 1;
			zr = inflate(&q->z, Z_FINISH);
			if (q->z.avail_out == 0)
				return page_err(s, PL_EINVALID, at,
				                "gzip data longer than the page header says");
		}
		if (zr != Z_STREAM_END)
			return page_err(s, PL_EINVALID, at, "corrupt gzip data (%s)",
			                q->z.msg ? q->z.msg : "inflate failed");
		if (q->z.total_out != want)
			return page_err(s, PL_EINVALID, at,
			                "gzip data of %lu bytes, the page header says %zu",
			                (unsigned long)q->z.total_out, want);
	} else if (codec == 6) {
		if (!q->zd && (q->zd = ZSTD_createDCtx()) == NULL)
			return pl_error_set(PL_ENOMEM, "%s: cannot initialise zstd", s->path);
		size_t r = ZSTD_decompressDCtx(q->zd, out->ptr, want ? want : 1, src, n);
		if (ZSTD_isError(r))
			return page_err(s, PL_EINVALID, at, "corrupt zstd data (%s)",
			                ZSTD_getErrorName(r));
		if (r != want)
			return page_err(s, PL_EINVALID, at,
			                "zstd data of %zu bytes, the page header says %zu", r,
			                want);
	} else {
		return page_err(s, PL_EINVALID, at, "codec %s not supported",
		                pl_shard__pq_codec(codec));
	}
	out->len = want;
	return PL_OK;
}

/* Keep the stored-byte pass (the digests) up with the pages read. */
static int advance_stored(pl_shard *s, uint64_t to)
{
	size_t got;
	uint64_t pos = pl_shard__pos(s);
	if (to <= pos)
		return PL_OK;
	int rc = pl_shard__read(s, NULL, (size_t)(to - pos), &got);
	return rc < 0 ? pl_error_prefix(rc, "%s", s->path) : PL_OK;
}

/* Read the page header at q->pos into *pg; *hlen its length. */
static int read_header(pl_shard *s, pq_page *pg, size_t *hlen)
{
	pl_shard__pq *q = s->pq;
	uint64_t avail = q->end - q->pos;
	size_t n = PQ_HEADER_MIN;
	pl_shard__tc t;
	int rc;
	for (;;) {
		if (n > avail)
			n = (size_t)avail;
		q->hdr.len = 0;
		if ((rc = pl_buf_grow(&q->hdr, n)) < 0)
			return rc;
		if ((rc = pl_shard__pq_pread(s, q->hdr.ptr, n, q->pos)) < 0)
			return rc;
		pl_shard__tc_init(&t, (const unsigned char *)q->hdr.ptr, n);
		if (parse_page_header(&t, pg) == 0)
			break;
		if (t.short_read && n < avail && n < PQ_HEADER_MAX) {
			n *= 4;
			continue;
		}
		return page_err(s, PL_EINVALID, q->pos, "corrupt page header (%s%s)",
		                t.err ? t.err : "invalid",
		                t.short_read && n >= PQ_HEADER_MAX ? ", or over 16 MiB" : "");
	}
	*hlen = (size_t)(t.p - (const unsigned char *)q->hdr.ptr);
	return PL_OK;
}

/* Read the page's stored bytes (after the header) and check sizes. */
static int read_body(pl_shard *s, const pq_page *pg, uint64_t at, size_t hlen)
{
	pl_shard__pq *q = s->pq;
	int rc;
	uint64_t body = q->pos + hlen;
	if ((uint64_t)pg->csize > q->end - body)
		return page_err(s, PL_EINVALID, at,
		                "page of %lld bytes runs past the end of the column chunk",
		                (long long)pg->csize);
	if ((uint64_t)pg->csize > s->opts.max_record)
		return over_limit(s, at, "page", (uint64_t)pg->csize);
	if ((uint64_t)pg->usize > s->opts.max_record)
		return over_limit(s, at, "decompressed page", (uint64_t)pg->usize);
	q->raw.len = 0;
	if ((rc = pl_buf_grow(&q->raw, (size_t)pg->csize)) < 0)
		return rc;
	if ((rc = pl_shard__pq_pread(s, q->raw.ptr, (size_t)pg->csize, body)) < 0)
		return rc;
	q->raw.len = (size_t)pg->csize;
	q->pos = body + (uint64_t)pg->csize;
	return advance_stored(s, q->pos);
}

/* PLAIN BYTE_ARRAY values: 4-byte little-endian length, then the bytes. */
static int plain_value(const unsigned char **p, const unsigned char *end, const unsigned char **v,
                       size_t *n)
{
	if (end - *p < 4)
		return -1;
	uint32_t len = (uint32_t)(*p)[0] | (uint32_t)(*p)[1] << 8 | (uint32_t)(*p)[2] << 16 |
	               (uint32_t)(*p)[3] << 24;
	*p += 4;
	if (len > (size_t)(end - *p))
		return -1;
	*v = *p;
	*n = len;
	*p += len;
	return 0;
}

static int load_dict(pl_shard *s, const pq_page *pg, uint64_t at, size_t hlen)
{
	pl_shard__pq *q = s->pq;
	const pq_chunk *c = &q->groups[q->g].col;
	int rc;
	if (q->have_dict)
		return page_err(s, PL_EINVALID, at, "a second dictionary page");
	if (!pg->has_sub || pg->nvalues < 0)
		return page_err(s, PL_EINVALID, at, "dictionary page without its header");
	if (pg->encoding != 0 && pg->encoding != 2)
		return page_err(s, PL_EINVALID, at, "dictionary encoding %s not supported",
		                encoding_name(pg->encoding));
	if ((rc = read_body(s, pg, at, hlen)) < 0)
		return rc;
	const unsigned char *p;
	size_t n;
	q->dict_exact = c->codec == 0;
	if (c->codec == 0) {
		pl_buf tmp = q->draw;
		q->draw = q->raw;
		q->raw = tmp;
		p = (const unsigned char *)q->draw.ptr;
		n = q->draw.len;
	} else {
		if ((rc = decompress(s, &q->ddec, (const unsigned char *)q->raw.ptr, q->raw.len,
		                     (size_t)pg->usize, c->codec, at)) < 0)
			return rc;
		p = (const unsigned char *)q->ddec.ptr;
		n = q->ddec.len;
	}
	if ((uint64_t)pg->nvalues > n / 4)
		return page_err(s, PL_EINVALID, at, "dictionary of %lld values in %zu bytes",
		                (long long)pg->nvalues, n);
	free(q->dict_off);
	free(q->dict_len);
	q->dict_n = 0;
	q->dict_off = malloc(((size_t)pg->nvalues + 1) * sizeof(uint32_t));
	q->dict_len = malloc(((size_t)pg->nvalues + 1) * sizeof(uint32_t));
	if (!q->dict_off || !q->dict_len)
		return pl_error_set(PL_ENOMEM, "out of memory");
	const unsigned char *e = p + n, *cur = p;
	for (int64_t i = 0; i < pg->nvalues; i++) {
		const unsigned char *v;
		size_t len;
		if (plain_value(&cur, e, &v, &len) < 0)
			return page_err(s, PL_EINVALID, at,
			                "dictionary value %lld runs past the end of the page",
			                (long long)i);
		q->dict_off[i] = (uint32_t)(v - p);
		q->dict_len[i] = (uint32_t)len;
	}
	q->dict_n = (size_t)pg->nvalues;
	q->have_dict = 1;
	q->dict_page_off = at;
	q->dict_page_len = q->pos - at;
	q->dict_file = at + hlen;
	return PL_OK;
}

static const unsigned char *dict_base(const pl_shard__pq *q)
{
	return (const unsigned char *)(q->dict_exact ? q->draw.ptr : q->ddec.ptr);
}

/* Set up the data page just read (header pg, at file offset at). */
static int start_data(pl_shard *s, const pq_page *pg, uint64_t at, size_t hlen)
{
	pl_shard__pq *q = s->pq;
	const pq_chunk *c = &q->groups[q->g].col;
	int v2 = pg->type == 3, rc;
	if (!pg->has_sub || pg->nvalues < 0)
		return page_err(s, PL_EINVALID, at, "data page without its header");
	if (pg->encoding != 0 && pg->encoding != 2 && pg->encoding != 8)
		return page_err(s, PL_EINVALID, at, "encoding %s not supported",
		                encoding_name(pg->encoding));
	if (pg->encoding != 0 && !q->have_dict)
		return page_err(s, PL_EINVALID, at, "dictionary-encoded page without a dictionary");
	if (!v2 && q->max_def && pg->def_enc != 3)
		return page_err(s, PL_EINVALID, at, "definition level encoding %s not supported",
		                encoding_name(pg->def_enc));
	if (pg->nvalues > q->groups[q->g].num_rows - q->chunk_values)
		return page_err(s, PL_EINVALID, at, "%lld values past the row group's %lld rows",
		                (long long)pg->nvalues, (long long)q->groups[q->g].num_rows);
	if ((rc = read_body(s, pg, at, hlen)) < 0)
		return rc;
	const unsigned char *p = (const unsigned char *)q->raw.ptr;
	size_t n = q->raw.len, lv = 0;
	q->dp = q->dend = NULL;
	if (v2) {
		if (pg->rlen != 0)
			return page_err(s, PL_EINVALID, at,
			                "repetition levels in a column that is not repeated");
		if (pg->dlen < 0 || (uint64_t)pg->dlen > n ||
		    (uint64_t)pg->dlen > (uint64_t)pg->usize)
			return page_err(s, PL_EINVALID, at,
			                "definition levels of %lld bytes in a page of %zu",
			                (long long)pg->dlen, n);
		if (pg->dlen && !q->max_def)
			return page_err(s, PL_EINVALID, at,
			                "definition levels in a required column");
		q->dp = p;
		q->dend = p + pg->dlen;
		lv = (size_t)pg->dlen;
	}
	int comp = c->codec != 0 && (!v2 || pg->compressed);
	q->exact = !comp;
	if (comp) {
		size_t want = (size_t)pg->usize - lv;
		if ((rc = decompress(s, &q->dec, p + lv, n - lv, want, c->codec, at)) < 0)
			return rc;
		q->v = (const unsigned char *)q->dec.ptr;
		q->vend = q->v + q->dec.len;
	} else {
		if ((uint64_t)pg->usize != n)
			return page_err(s, PL_EINVALID, at,
			                "uncompressed page of %zu bytes, the header says %lld", n,
			                (long long)pg->usize);
		q->v = p + lv;
		q->vend = p + n;
	}
	q->vfile = at + hlen + lv;
	if (!v2 && q->max_def) {
		/* v1: the levels lead the values, with a 4-byte length. */
		const unsigned char *b = q->v;
		if (q->vend - b < 4)
			return page_err(s, PL_EINVALID, at, "definition levels cut short");
		uint32_t len = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		               (uint32_t)b[3] << 24;
		if (len > (size_t)(q->vend - b - 4))
			return page_err(s, PL_EINVALID, at,
			                "definition levels of %u bytes past the page", len);
		q->dp = b + 4;
		q->dend = b + 4 + len;
		q->v = q->dend;
		q->vfile += 4 + (uint64_t)len;
	}
	q->vstart = q->v;
	if (q->max_def)
		pl_shard__rle_init(&q->def, q->dp, (size_t)(q->dend - q->dp), 1);
	q->dict_page = pg->encoding != 0;
	if (q->dict_page) {
		if (q->v >= q->vend) {
			if (pg->nvalues > 0 && !q->max_def)
				return page_err(s, PL_EINVALID, at, "no dictionary indices");
			pl_shard__rle_init(&q->idx, q->v, 0, 0);
		} else {
			int bw = *q->v;
			if (bw > 32)
				return page_err(s, PL_EINVALID, at, "index bit width %d", bw);
			pl_shard__rle_init(&q->idx, q->v + 1, (size_t)(q->vend - q->v - 1), bw);
		}
	}
	q->page_left = pg->nvalues;
	q->chunk_values += pg->nvalues;
	q->page_off = at;
	q->page_len = q->pos - at;
	return PL_OK;
}

/* Move to the next data page with values: 1, or 0 when the row group's
 * chunk is done. */
static int next_page(pl_shard *s)
{
	pl_shard__pq *q = s->pq;
	pq_page pg;
	size_t hlen = 0;
	int rc;
	while (q->pos < q->end) {
		uint64_t at = q->pos;
		if ((rc = read_header(s, &pg, &hlen)) < 0)
			return rc;
		if (pg.type == 2) {
			if (q->chunk_values > 0)
				return page_err(s, PL_EINVALID, at,
				                "dictionary page after data pages");
			if ((rc = load_dict(s, &pg, at, hlen)) < 0)
				return rc;
			continue;
		}
		if (pg.type == 0 || pg.type == 3) {
			if ((rc = start_data(s, &pg, at, hlen)) < 0)
				return rc;
			if (q->page_left > 0)
				return 1;
			continue;
		}
		/* An index page or a page type of a later version: skipped. */
		if ((uint64_t)pg.csize > q->end - at - hlen)
			return page_err(s, PL_EINVALID, at,
			                "page of %lld bytes runs past the end of the column chunk",
			                (long long)pg.csize);
		q->pos = at + hlen + (uint64_t)pg.csize;
	}
	return 0;
}

static int row_err(pl_shard *s, const char *fmt, ...) PL_PRINTF(2, 3);
static int row_err(pl_shard *s, const char *fmt, ...)
{
	char msg[400];
	pl_shard__pq *q = s->pq;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_error_set(PL_EINVALID, "%s: row group %zu, row %lld (page at byte %llu): %s",
	                    s->path, q->g, (long long)q->row, (ull)q->page_off, msg);
}

int pl_shard__pq_next(pl_shard *s)
{
	pl_shard__pq *q = s->pq;
	int rc;
	for (;;) {
		if (q->g >= q->ngroups)
			return 0;
		if (q->end == 0) {
			/* A row group's chunk (never at byte 0: PAR1 is there), with
			 * a dictionary of its own. */
			const pq_chunk *c = &q->groups[q->g].col;
			q->pos = (uint64_t)c->start;
			q->end = (uint64_t)c->start + (uint64_t)c->size;
			q->row = 0;
			q->chunk_values = 0;
			q->page_left = 0;
			q->have_dict = 0;
		}
		if (q->row < q->groups[q->g].num_rows)
			break;
		q->g++;
		q->end = 0;
	}
	if (q->page_left == 0) {
		if ((rc = next_page(s)) < 0)
			return rc;
		if (rc == 0)
			return pl_shard__pq_err(
			    s, PL_EINVALID,
			    "column '%s': row group %zu: the pages end at row %lld of %lld",
			    q->colname, q->g, (long long)q->row,
			    (long long)q->groups[q->g].num_rows);
	}
	q->page_left--;
	s->r.row_group = q->g;
	s->r.row = (uint64_t)q->row;
	s->r.name = NULL;
	s->r.line = 0;
	uint32_t d = (uint32_t)q->max_def;
	if (q->max_def && pl_shard__rle_get(&q->def, &d) < 0)
		return row_err(s, "definition levels cut short");
	if (d > (uint32_t)q->max_def)
		return row_err(s, "definition level %u past the maximum %d", d, q->max_def);
	if (d < (uint32_t)q->max_def) {
		/* A null: an empty record, so that record N is row N. */
		s->r.text = "";
		s->r.text_len = 0;
		s->r.offset = q->page_off;
		s->r.length = 0;
		s->pq_exact = 0;
		q->row++;
		return 1;
	}
	const unsigned char *v;
	size_t n;
	if (q->dict_page) {
		uint32_t i;
		if (pl_shard__rle_get(&q->idx, &i) < 0)
			return row_err(s, "dictionary indices cut short");
		if (i >= q->dict_n)
			return row_err(s, "dictionary index %u out of range (%zu values)", i,
			               q->dict_n);
		v = dict_base(q) + q->dict_off[i];
		n = q->dict_len[i];
		s->pq_exact = q->dict_exact;
		s->r.offset = q->dict_exact ? q->dict_file + q->dict_off[i] : q->dict_page_off;
		s->r.length = q->dict_exact ? n : q->dict_page_len;
	} else {
		if (plain_value(&q->v, q->vend, &v, &n) < 0)
			return row_err(s, "value runs past the end of the page");
		s->pq_exact = q->exact;
		s->r.offset = q->exact ? q->vfile + (uint64_t)(v - q->vstart) : q->page_off;
		s->r.length = q->exact ? n : q->page_len;
	}
	if (n > s->opts.max_record)
		return pl_error_set(
		    PL_ELIMIT,
		    "%s: row group %zu, row %lld: record longer than the --max-record "
		    "limit of %llu bytes (raise it with --max-record BYTES)",
		    s->path, q->g, (long long)q->row, (ull)s->opts.max_record);
	s->r.text = (const char *)v;
	s->r.text_len = n;
	q->row++;
	return 1;
}

void pl_shard__pq_free(pl_shard *s)
{
	pl_shard__pq *q = s->pq;
	if (!q)
		return;
	if (q->z_init)
		inflateEnd(&q->z);
	ZSTD_freeDCtx(q->zd);
	pl_buf_free(&q->raw);
	pl_buf_free(&q->dec);
	pl_buf_free(&q->hdr);
	pl_buf_free(&q->draw);
	pl_buf_free(&q->ddec);
	free(q->dict_off);
	free(q->dict_len);
	free(q->groups);
	free(q);
	s->pq = NULL;
}
