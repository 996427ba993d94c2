/*
 * shard_int.h - internals shared by shard.c (I/O, hashing, decompression,
 * txt records, the public API), shard_json.c (the JSONL scanner) and
 * shard_tar.c (the tar reader). Not a public header.
 */
#ifndef PL_SHARD_INT_H
#define PL_SHARD_INT_H

#include <pthread.h>
#include <zlib.h>
#include <zstd.h>

#include "pl_shard.h"

#define PL_SHARD__LEAF ((size_t)1 << 20)  /* Merkle chunk of the stored bytes */
#define PL_SHARD__CHUNK ((size_t)4 << 20) /* stored read size: a multiple of LEAF */
#define PL_SHARD__OUT ((size_t)1 << 20)   /* decompressed window */

/* One JSON escape in a decoded string: dec/raw are offsets from the string's
 * first content byte; dlen/rlen the decoded and escaped lengths. */
typedef struct {
	uint32_t dec, raw;
	uint8_t dlen, rlen;
} pl_shard__esc;

struct pl_shard {
	char *path, *field;
	size_t field_len;
	pl_shard_opts opts;
	pl_shard_format format;
	pl_compression comp;
	int fd, own_fd; /* own_fd: opened here (closed by free; mmap allowed) */

	/* Stored bytes: two alternating chunks; the helper thread hashes one
	 * while the next is read. */
	unsigned char *buf[2];
	size_t len[2], in_pos;
	int cur, stored_eof;
	uint64_t stored;

	pthread_t th;
	int th_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const unsigned char *job;
	size_t job_len;
	int job_sha, busy, quit, worker_sha;
	pl_sha256_ctx *sha, *leaf_sha;
	pl_merkle_builder mb;
	unsigned char leaves[PL_SHARD__CHUNK / PL_SHARD__LEAF][PL_HASH_LEN];
	size_t nleaves;

	/* Decompression. */
	z_stream z;
	int z_init, z_in_member;
	ZSTD_DCtx *zd;
	size_t z_last;
	int z_full;
	unsigned char *out;

	/* The decompressed window: w[0..wn), wo consumed; wpos is the stream
	 * offset of w[0]. */
	const unsigned char *w;
	size_t wn, wo;
	uint64_t wpos;
	int stream_eof;
	int pend; /* an error met after the window's bytes were decoded */
	char pend_msg[256];

	/* Records. */
	int started, done, failed, have_rec;
	uint64_t lineno; /* lines started so far (JSONL, txt split) */
	pl_buf line, rec, scratch, name, longname, paxname;
	pl_buf ename; /* the tar member's name escaped for messages */
	pl_record r;
	/* JSONL: the field's raw string content, for pl_shard_span. */
	const unsigned char *raw;
	size_t raw_len;
	uint64_t raw_off;
	int raw_escaped, esc_built;
	pl_shard__esc *esc;
	size_t nesc, esc_cap;
	int tar_end;
	/* Parquet (shard_parquet.c): the reader; the current record's text
	 * lies as it is in the file at r.offset (else r.offset/length are the
	 * page holding it). */
	struct pl_shard__pq *pq;
	int pq_exact;
	/* WebDataset (shard_tar.c): the sample being gathered (its key, the
	 * text member's data, stream offset, length and escaped name) and the
	 * one returned (o...) */
	pl_buf wkey, wtext, wename, okey, otext, oename;
	uint64_t woff, wlen;
	int wopen, whas, wend;
};

/* Position in the decompressed stream of the next unconsumed byte. */
static inline uint64_t pl_shard__pos(const pl_shard *s)
{
	return s->wpos + s->wo;
}

/* Make the window hold unconsumed bytes: 1, 0 at the end of the stream, < 0 on
 * error (message set, without location). */
int pl_shard__fill(pl_shard *s);

/* Copy up to n stream bytes into dst (NULL: skip them); *got receives how
 * many before the end of the stream. */
int pl_shard__read(pl_shard *s, void *dst, size_t n, size_t *got);

/* Parse one JSONL line (no newline) starting at stream offset off: the
 * field's text into s->r.text/text_len (borrowed from line, or decoded into
 * s->rec) and the raw string for spans. PL_EINVALID with "line N (byte X):
 * ..." message body (no path) on bad input. */
int pl_shard__json_line(pl_shard *s, const unsigned char *line, size_t n, uint64_t off);

/* Build s->esc for the current JSONL record (lazy, for pl_shard_span). */
int pl_shard__json_escapes(pl_shard *s);

/* The next tar record: 1, 0 at the end, < 0 on error (message with path). */
int pl_shard__tar_next(pl_shard *s);

/* The next WebDataset sample (PL_FORMAT_WEBDATASET), over pl_shard__tar_next. */
int pl_shard__wds_next(pl_shard *s);

/* "record longer than the limit" error at stream offset off. */
int pl_shard__too_long(pl_shard *s, const char *what, uint64_t off);

/* A bounded Thrift compact protocol reader over p[0..n) (shard_thrift.c).
 * Each function returns 0, or -1 with err set (short_read: the bytes ran
 * out, so more input may help). */
typedef struct {
	const unsigned char *p, *end;
	int depth, short_read;
	const char *err;
} pl_shard__tc;

enum { /* Thrift compact types */
       PL_TC_STOP = 0,
       PL_TC_TRUE = 1,
       PL_TC_FALSE = 2,
       PL_TC_BYTE = 3,
       PL_TC_I16 = 4,
       PL_TC_I32 = 5,
       PL_TC_I64 = 6,
       PL_TC_DOUBLE = 7,
       PL_TC_BINARY = 8,
       PL_TC_LIST = 9,
       PL_TC_SET = 10,
       PL_TC_MAP = 11,
       PL_TC_STRUCT = 12
};

int pl_shard__tc_init(pl_shard__tc *t, const unsigned char *p, size_t n);
/* Record why (the first reason sticks); returns -1. */
int pl_shard__tc_fail(pl_shard__tc *t, const char *why);
/* An integer field of any integer type (i32 range checked unless i64). */
int pl_shard__tc_int(pl_shard__tc *t, int type, int64_t *out);
/* Enter a struct field (type checked, depth counted; leave with depth--). */
int pl_shard__tc_enter(pl_shard__tc *t, int type);
int pl_shard__tc_varint(pl_shard__tc *t, uint64_t *out);
int pl_shard__tc_zigzag(pl_shard__tc *t, int64_t *out);
/* A field header after field last: *type 0 (STOP) at the struct's end. */
int pl_shard__tc_field(pl_shard__tc *t, int *id, int *type, int last);
int pl_shard__tc_list(pl_shard__tc *t, uint64_t *n, int *elem_type);
int pl_shard__tc_binary(pl_shard__tc *t, const unsigned char **p, size_t *n);
/* Skip a value of type (nested at most 32 deep). */
int pl_shard__tc_skip(pl_shard__tc *t, int type);

/* Parquet's RLE / bit-packed hybrid decoder of bw-bit values (shard_thrift.c). */
typedef struct {
	const unsigned char *p, *end, *bp;
	int bw;
	uint32_t rle_left, rle_val, bp_left;
	size_t bit;
} pl_shard__rle;

void pl_shard__rle_init(pl_shard__rle *r, const unsigned char *p, size_t n, int bw);
/* The next value: 0, or -1 when the data ends or is corrupt. */
int pl_shard__rle_get(pl_shard__rle *r, uint32_t *out);

/* Parquet: read the footer (at the first record), the next record (1, 0 at
 * the end, < 0 with the message, path included), free the reader. */
int pl_shard__pq_open(pl_shard *s);
int pl_shard__pq_next(pl_shard *s);
void pl_shard__pq_free(pl_shard *s);

#endif
