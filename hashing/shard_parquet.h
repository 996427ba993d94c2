/*
 * shard_parquet.h - what the Parquet reader's two files share:
 * shard_parquet_meta.c (the footer: schema, row groups, column chunks) and
 * shard_parquet.c (pages and records). Not a public header.
 */
#ifndef PL_SHARD_PARQUET_H
#define PL_SHARD_PARQUET_H

#include "shard_int.h"

typedef struct {
	int64_t codec, type, num_values, start, size;
	int has_meta, external, npath;
	const unsigned char *path0;
	size_t path0_len;
} pq_chunk;

typedef struct {
	int64_t num_rows;
	pq_chunk col; /* the text column's chunk */
	int seen;     /* columns in the row group */
} pq_group;

typedef struct pl_shard__pq {
	uint64_t base, size; /* file offset of byte 0 of the shard; its size */
	int col;             /* index of the text column among the leaves */
	int max_def;         /* 0 REQUIRED, 1 OPTIONAL */
	int64_t type;
	pq_group *groups;
	size_t ngroups;
	int64_t total_rows;

	/* The reading position. */
	size_t g;                               /* current row group */
	int64_t row;                            /* the next row in it */
	uint64_t pos, end;                      /* next page header, end of the column chunk */
	int64_t chunk_values;                   /* values of the chunk's data pages seen */
	int64_t page_left;                      /* values left in the current data page */
	const unsigned char *v, *vend, *vstart; /* the page's values */
	const unsigned char *dp, *dend;         /* its definition levels */
	pl_shard__rle def, idx;
	int dict_page;                      /* the page is dictionary encoded */
	int exact;                          /* value bytes lie as they are in the file */
	uint64_t page_off, page_len, vfile; /* the page; file offset of v[0] if exact */

	pl_buf raw, dec, hdr; /* the page as stored, decompressed; a header read */
	pl_buf draw, ddec;    /* the dictionary page */
	uint32_t *dict_off, *dict_len;
	size_t dict_n;
	int have_dict;
	uint64_t dict_page_off, dict_page_len, dict_file; /* dict_file: exact value offset or 0 */
	int dict_exact;
	z_stream z;
	int z_init;
	ZSTD_DCtx *zd;
	char colname[128];
} pl_shard__pq;

/* "<path>: <msg>" with code. */
int pl_shard__pq_err(pl_shard *s, int code, const char *fmt, ...) PL_PRINTF(3, 4);
/* Read n bytes at file offset off (of the shard: after any bytes of the
 * descriptor before it); a short file is PL_EINVALID "truncated". */
int pl_shard__pq_pread(pl_shard *s, void *buf, size_t n, uint64_t off);
/* A codec's name: "SNAPPY", ... or "unknown". */
const char *pl_shard__pq_codec(int64_t c);

#endif
