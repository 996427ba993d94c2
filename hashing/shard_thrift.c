/*
 * shard_thrift.c - the decoders under the Parquet reader (shard_parquet.c):
 * the Thrift compact protocol, bounded (every length and count checked
 * against the bytes left, lists at most 2^24 elements, structs nested at
 * most 32 deep, unknown fields skipped), and Parquet's RLE / bit-packed
 * hybrid encoding of levels and dictionary indices.
 */
#include <string.h>

#include "shard_int.h"

#define PQ_DEPTH_MAX 32                 /* nested Thrift structs */
#define PQ_LIST_MAX ((uint64_t)1 << 24) /* elements of one Thrift list */

/* ---- Thrift compact protocol ---- */

int pl_shard__tc_init(pl_shard__tc *t, const unsigned char *p, size_t n)
{
	t->p = p;
	t->end = p + n;
	t->depth = 0;
	t->short_read = 0;
	t->err = NULL;
	return PL_OK;
}

int pl_shard__tc_fail(pl_shard__tc *t, const char *why)
{
	if (!t->err)
		t->err = why;
	return -1;
}

static int tc_eof(pl_shard__tc *t)
{
	t->short_read = 1;
	return pl_shard__tc_fail(t, "truncated");
}

int pl_shard__tc_varint(pl_shard__tc *t, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (t->p >= t->end)
			return tc_eof(t);
		unsigned char b = *t->p++;
		if (shift == 63 && (b & 0x7e))
			return pl_shard__tc_fail(t, "varint past 64 bits");
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return pl_shard__tc_fail(t, "varint past 64 bits");
}

int pl_shard__tc_zigzag(pl_shard__tc *t, int64_t *out)
{
	uint64_t v;
	if (pl_shard__tc_varint(t, &v) < 0)
		return -1;
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return 0;
}

/* A field header: *type PL_TC_STOP at the end of the struct. */
int pl_shard__tc_field(pl_shard__tc *t, int *id, int *type, int last)
{
	if (t->p >= t->end)
		return tc_eof(t);
	unsigned char b = *t->p++;
	*type = b & 0x0f;
	if (*type == PL_TC_STOP) {
		*id = 0;
		return 0;
	}
	if (b >> 4) {
		*id = last + (b >> 4);
	} else {
		int64_t v;
		if (pl_shard__tc_zigzag(t, &v) < 0)
			return -1;
		if (v < INT16_MIN || v > INT16_MAX)
			return pl_shard__tc_fail(t, "field id out of range");
		*id = (int)v;
	}
	if (*type > PL_TC_STRUCT)
		return pl_shard__tc_fail(t, "unknown field type");
	return 0;
}

/* A list or set header: *n elements of *et. */
int pl_shard__tc_list(pl_shard__tc *t, uint64_t *n, int *et)
{
	if (t->p >= t->end)
		return tc_eof(t);
	unsigned char b = *t->p++;
	*et = b & 0x0f;
	*n = b >> 4;
	if (*n == 15 && pl_shard__tc_varint(t, n) < 0)
		return -1;
	if (*et == PL_TC_STOP || *et > PL_TC_STRUCT)
		return pl_shard__tc_fail(t, "bad list element type");
	if (*n > PQ_LIST_MAX)
		return pl_shard__tc_fail(t, "list too long");
	/* Every element takes at least one byte. */
	if (*n > (uint64_t)(t->end - t->p))
		return tc_eof(t);
	return 0;
}

int pl_shard__tc_binary(pl_shard__tc *t, const unsigned char **p, size_t *n)
{
	uint64_t len;
	if (pl_shard__tc_varint(t, &len) < 0)
		return -1;
	if (len > (uint64_t)(t->end - t->p))
		return tc_eof(t);
	*p = t->p;
	*n = (size_t)len;
	t->p += len;
	return 0;
}

int pl_shard__tc_skip(pl_shard__tc *t, int type)
{
	uint64_t n, v;
	const unsigned char *p;
	size_t len;
	int et, id = 0, ft;
	switch (type) {
	case PL_TC_TRUE:
	case PL_TC_FALSE:
		return 0; /* in a field header, the value is the type */
	case PL_TC_BYTE:
		if (t->p >= t->end)
			return tc_eof(t);
		t->p++;
		return 0;
	case PL_TC_I16:
	case PL_TC_I32:
	case PL_TC_I64:
		return pl_shard__tc_varint(t, &v);
	case PL_TC_DOUBLE:
		if (t->end - t->p < 8)
			return tc_eof(t);
		t->p += 8;
		return 0;
	case PL_TC_BINARY:
		return pl_shard__tc_binary(t, &p, &len);
	case PL_TC_LIST:
	case PL_TC_SET:
		if (pl_shard__tc_list(t, &n, &et) < 0)
			return -1;
		if (++t->depth > PQ_DEPTH_MAX)
			return pl_shard__tc_fail(t, "nested too deep");
		for (uint64_t i = 0; i < n; i++) {
			/* A bool element is a byte of its own. */
			if (pl_shard__tc_skip(t, et == PL_TC_TRUE || et == PL_TC_FALSE ? PL_TC_BYTE
			                                                               : et))
				return -1;
		}
		t->depth--;
		return 0;
	case PL_TC_MAP:
		if (pl_shard__tc_varint(t, &n) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (n > PQ_LIST_MAX || n > (uint64_t)(t->end - t->p))
			return n > PQ_LIST_MAX ? pl_shard__tc_fail(t, "map too large") : tc_eof(t);
		if (t->p >= t->end)
			return tc_eof(t);
		{
			int kt = *t->p >> 4, vt = *t->p & 0x0f;
			t->p++;
			if (kt == PL_TC_STOP || kt > PL_TC_STRUCT || vt == PL_TC_STOP ||
			    vt > PL_TC_STRUCT)
				return pl_shard__tc_fail(t, "bad map types");
			if (++t->depth > PQ_DEPTH_MAX)
				return pl_shard__tc_fail(t, "nested too deep");
			for (uint64_t i = 0; i < n; i++) {
				if (pl_shard__tc_skip(t, kt <= PL_TC_FALSE ? PL_TC_BYTE : kt) < 0 ||
				    pl_shard__tc_skip(t, vt <= PL_TC_FALSE ? PL_TC_BYTE : vt) < 0)
					return -1;
			}
			t->depth--;
		}
		return 0;
	case PL_TC_STRUCT:
		if (++t->depth > PQ_DEPTH_MAX)
			return pl_shard__tc_fail(t, "nested too deep");
		for (;;) {
			if (pl_shard__tc_field(t, &id, &ft, id) < 0)
				return -1;
			if (ft == PL_TC_STOP)
				break;
			if (pl_shard__tc_skip(t, ft) < 0)
				return -1;
		}
		t->depth--;
		return 0;
	default:
		return pl_shard__tc_fail(t, "unknown field type");
	}
}

/* An integer field of any integer type, as int64. */
int pl_shard__tc_int(pl_shard__tc *t, int type, int64_t *out)
{
	if (type == PL_TC_BYTE) {
		if (t->p >= t->end)
			return tc_eof(t);
		*out = (int8_t)*t->p++;
		return 0;
	}
	if (type != PL_TC_I16 && type != PL_TC_I32 && type != PL_TC_I64)
		return pl_shard__tc_fail(t, "integer field of another type");
	if (pl_shard__tc_zigzag(t, out) < 0)
		return -1;
	if (type != PL_TC_I64 && (*out < INT32_MIN || *out > INT32_MAX))
		return pl_shard__tc_fail(t, "i32 out of range");
	return 0;
}

int pl_shard__tc_enter(pl_shard__tc *t, int type)
{
	if (type != PL_TC_STRUCT)
		return pl_shard__tc_fail(t, "struct field of another type");
	if (++t->depth > PQ_DEPTH_MAX)
		return pl_shard__tc_fail(t, "nested too deep");
	return 0;
}

/* ---- RLE / bit-packed hybrid ---- */

void pl_shard__rle_init(pl_shard__rle *r, const unsigned char *p, size_t n, int bw)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->end = p + n;
	r->bw = bw;
}

/* The next value: 0, or -1 when the run data is exhausted or corrupt. */
int pl_shard__rle_get(pl_shard__rle *r, uint32_t *out)
{
	while (r->rle_left == 0 && r->bp_left == 0) {
		uint64_t h = 0;
		int shift = 0;
		for (;;) {
			if (r->p >= r->end || shift > 35)
				return -1;
			unsigned char b = *r->p++;
			h |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
			if (!(b & 0x80))
				break;
		}
		if (h & 1) {
			uint64_t groups = h >> 1;
			if (groups == 0)
				continue;
			/* groups * 8 values of bw bits: groups * bw bytes. */
			if (r->bw == 0) {
				r->bp_left =
				    (uint32_t)(groups > UINT32_MAX / 8 ? UINT32_MAX : groups * 8);
				r->bp = r->p;
				r->bit = 0;
				continue;
			}
			if (groups > (uint64_t)(r->end - r->p) / (uint64_t)r->bw)
				return -1;
			r->bp_left = (uint32_t)(groups * 8);
			r->bp = r->p;
			r->bit = 0;
			r->p += groups * (uint64_t)r->bw;
		} else {
			uint64_t count = h >> 1;
			size_t nb = ((size_t)r->bw + 7) / 8;
			if (count == 0)
				continue;
			if (nb > (size_t)(r->end - r->p))
				return -1;
			uint32_t v = 0;
			for (size_t i = 0; i < nb; i++)
				v |= (uint32_t)r->p[i] << (8 * i);
			r->p += nb;
			if (r->bw < 32 && (v >> r->bw))
				return -1;
			r->rle_val = v;
			r->rle_left = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
		}
	}
	if (r->rle_left) {
		r->rle_left--;
		*out = r->rle_val;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < r->bw; i++) {
		size_t bit = r->bit + (size_t)i;
		v |= (uint64_t)((r->bp[bit >> 3] >> (bit & 7)) & 1) << i;
	}
	r->bit += (size_t)r->bw;
	r->bp_left--;
	*out = (uint32_t)v;
	return 0;
}
