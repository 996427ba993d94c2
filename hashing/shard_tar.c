/*
 * shard_tar.c - tar (WebDataset) records: each regular member is a record.
 * Reads ustar, GNU (long names 'L', base-256 sizes) and pax ('x' path and
 * size); skips directories, links, devices, FIFOs and global headers; checks
 * every header checksum. The archive ends at a zero block (the second is not
 * required) or at a clean end of stream on a block boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard_int.h"

typedef unsigned long long ull;

#define BLOCK 512

/* Numeric field: octal (spaces/NULs around it) or GNU base-256. */
static int tar_num(uint64_t *out, const unsigned char *f, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1; /* negative or too large */
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	size_t digits = 0;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	if (digits == 0)
		return -1;
	*out = v;
	return 0;
}

static int checksum_ok(const unsigned char *h)
{
	uint64_t want;
	long usum = 0, ssum = 0;
	if (tar_num(&want, h + 148, 8) < 0)
		return 0;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
		usum += c;
		ssum += (signed char)c;
	}
	/* Some old writers summed signed chars. */
	return (uint64_t)usum == want || (ssum >= 0 && (uint64_t)ssum == want);
}

static int all_zero(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return 0;
	return 1;
}

/* Read a member's data (size bytes, then the padding) into b, or skip it
 * when b is NULL. */
static int read_data(pl_shard *s, pl_buf *b, uint64_t size, const char *name, uint64_t at)
{
	uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
	size_t got;
	int rc;
	if (b) {
		b->len = 0;
		if ((rc = pl_buf_grow(b, (size_t)size + 1)) < 0)
			return rc;
		if ((rc = pl_shard__read(s, b->ptr, (size_t)size, &got)) < 0)
			goto io;
		b->len = got;
		b->ptr[got] = '\0';
		if (got < size)
			goto truncated;
		padded -= size;
	}
	while (padded > 0) {
		size_t k = padded > ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)padded;
		if ((rc = pl_shard__read(s, NULL, k, &got)) < 0)
			goto io;
		if (got < k)
			goto truncated;
		padded -= k;
	}
	return PL_OK;
truncated:
	return pl_error_set(PL_EINVALID,
	                    "member %s (byte %llu): truncated tar: member data ends early", name,
	                    (ull)at);
io:
	return pl_error_prefix(rc, "member %s (byte %llu)", name, (ull)pl_shard__pos(s));
}

/* Take "path" and "size" from a pax extended header's records. */
static int pax_parse(pl_shard *s, const char *p, size_t n, uint64_t *size, int *has_size,
                     uint64_t at)
{
	size_t i = 0;
	while (i < n) {
		size_t len = 0, j = i;
		while (j < n && p[j] >= '0' && p[j] <= '9' && len < ((size_t)1 << 40))
			len = len * 10 + (size_t)(p[j++] - '0');
		if (j == i || j >= n || p[j] != ' ' || len <= j - i + 1 || len > n - i ||
		    p[i + len - 1] != '\n')
			goto bad;
		const char *kv = p + j + 1, *rend = p + i + len - 1;
		const char *eq = memchr(kv, '=', (size_t)(rend - kv));
		if (!eq)
			goto bad;
		size_t klen = (size_t)(eq - kv), vlen = (size_t)(rend - eq - 1);
		if (klen == 4 && memcmp(kv, "path", 4) == 0) {
			s->paxname.len = 0;
			if (pl_buf_put(&s->paxname, eq + 1, vlen) < 0)
				return -1;
		} else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
			uint64_t v = 0;
			if (vlen == 0 || vlen > 19)
				goto bad;
			for (size_t k = 0; k < vlen; k++) {
				if (eq[1 + k] < '0' || eq[1 + k] > '9')
					goto bad;
				v = v * 10 + (uint64_t)(eq[1 + k] - '0');
			}
			*size = v;
			*has_size = 1;
		}
		i += len;
	}
	return PL_OK;
bad:
	return pl_error_set(PL_EINVALID, "tar header at byte %llu: malformed pax extended header",
	                    (ull)at);
}

int pl_shard__tar_next(pl_shard *s)
{
	unsigned char h[BLOCK];
	uint64_t pax_size = 0;
	int has_pax_size = 0, rc;
	size_t got;

	if (s->tar_end)
		return 0;
	s->longname.len = s->paxname.len = 0;
	for (;;) {
		uint64_t at = pl_shard__pos(s), size;
		if ((rc = pl_shard__read(s, h, BLOCK, &got)) < 0)
			return pl_error_prefix(rc, "tar header at byte %llu",
			                       (ull)pl_shard__pos(s));
		if (got == 0)
			break; /* clean end on a block boundary */
		if (got < BLOCK)
			return pl_error_set(PL_EINVALID,
			                    "tar header at byte %llu: truncated tar: %zu of 512 "
			                    "header bytes",
			                    (ull)at, got);
		if (all_zero(h))
			break; /* end-of-archive marker; the rest is drained by finish */
		if (!checksum_ok(h))
			return pl_error_set(
			    PL_EINVALID,
			    "tar header at byte %llu: corrupt tar header (bad checksum)", (ull)at);
		if (tar_num(&size, h + 124, 12) < 0)
			return pl_error_set(
			    PL_EINVALID, "tar header at byte %llu: corrupt tar header (bad size)",
			    (ull)at);
		char type = (char)h[156];
		if (type == 'L' || type == 'x') {
			pl_buf *b = type == 'L' ? &s->longname : &s->scratch;
			if (size > s->opts.max_record || size > ((size_t)1 << 24))
				return pl_error_set(PL_EINVALID,
				                    "tar header at byte %llu: extended header too "
				                    "large (%llu bytes)",
				                    (ull)at, (ull)size);
			if ((rc = read_data(s, b, size, "(extended header)", at)) < 0)
				return rc;
			if (type == 'L') {
				b->len = strnlen(b->ptr, b->len);
			} else if ((rc = pax_parse(s, b->ptr, b->len, &pax_size, &has_pax_size,
			                           at)) < 0) {
				return rc;
			}
			continue;
		}
		if (has_pax_size)
			size = pax_size;
		int regular = type == '0' || type == '\0' || type == '7';
		if (!regular) {
			/* Links, devices, directories and FIFOs carry no data. */
			int nodata = type >= '1' && type <= '6';
			if ((rc = read_data(s, NULL, nodata ? 0 : size, "(skipped)", at)) < 0)
				return rc;
			s->longname.len = s->paxname.len = 0;
			has_pax_size = 0;
			continue;
		}
		/* The member's name: pax path, GNU long name, or ustar prefix/name. */
		s->name.len = 0;
		if (s->paxname.len)
			rc = pl_buf_put(&s->name, s->paxname.ptr, s->paxname.len);
		else if (s->longname.len)
			rc = pl_buf_put(&s->name, s->longname.ptr, s->longname.len);
		else {
			rc = 0;
			if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) {
				rc = pl_buf_put(&s->name, h + 345, strnlen((char *)h + 345, 155));
				if (rc == 0)
					rc = pl_buf_putc(&s->name, '/');
			}
			if (rc == 0)
				rc = pl_buf_put(&s->name, h, strnlen((char *)h, 100));
		}
		if (rc < 0 || (rc = pl_buf_putc(&s->name, '\0')) < 0)
			return rc;
		s->r.name = s->name.ptr;
		s->r.offset = pl_shard__pos(s);
		s->r.length = size;
		s->r.line = 0;
		if (size > s->opts.max_record) {
			char what[300];
			snprintf(what, sizeof(what), "member %s", s->r.name);
			return pl_shard__too_long(s, what, s->r.offset);
		}
		if ((rc = read_data(s, &s->rec, size, s->r.name, s->r.offset)) < 0)
			return rc;
		s->r.text = s->rec.ptr;
		s->r.text_len = s->rec.len;
		return 1;
	}
	s->tar_end = 1;
	return 0;
}
