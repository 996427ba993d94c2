/*
 * shard_tar.c - tar (WebDataset) records: each regular member is a record.
 * Reads ustar, GNU (long names 'L', base-256 sizes) and pax ('x'/'X' path and
 * size); skips directories, links, devices, FIFOs, volume labels and the like;
 * checks every header checksum. The archive ends at a zero block (the second
 * is not required) or at a clean end of stream on a block boundary.
 *
 * Where tar readers disagree on how to read an archive, it is refused rather
 * than read one way: a record list that differs from what a training loader
 * (Python's tarfile, under WebDataset) or GNU tar sees would hide data from the
 * check. So: sizes beyond off_t (GNU tar: "out of off_t range"), negative
 * base-256 sizes, a non-zero size on a member that carries no data (GNU tar
 * skips that many bytes after a symlink, Python does not), two long names or
 * two pax headers for one member, GNU sparse members, and a global pax header
 * that sets a path or a size are all errors. Member names are never used as
 * paths; in messages they are escaped (pl_shard_escape_name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard_int.h"

typedef unsigned long long ull;

#define BLOCK 512
#define TAR_SIZE_MAX ((uint64_t)INT64_MAX) /* off_t's range, as GNU tar */
#define EXT_MAX ((uint64_t)1 << 24)        /* a long name or pax header's data */
#define NO_AT UINT64_MAX

/* Numeric field: octal (spaces/NULs around it) or GNU base-256. 0, or -1
 * with *why saying what is wrong. */
static int tar_num(uint64_t *out, const unsigned char *f, size_t n, const char **why)
{
	uint64_t v = 0;
	size_t i = 0;
	if (f[0] & 0x80) {
		if (f[0] & 0x40) {
			*why = "negative size (base-256)";
			return -1;
		}
		/* The first byte's six low bits lead the number. */
		v = f[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v >> 56) {
				*why = "base-256 size past 64 bits";
				return -1;
			}
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	size_t digits = 0;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v >> 60) {
			*why = "octal size past 64 bits";
			return -1;
		}
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			break;
	if (digits == 0 || i < n) {
		*why = "size is not an octal number";
		return -1;
	}
	*out = v;
	return 0;
}

static int checksum_ok(const unsigned char *h)
{
	uint64_t want;
	const char *why;
	long usum = 0, ssum = 0;
	if (tar_num(&want, h + 148, 8, &why) < 0)
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

/* Skip n stream bytes; 1 when they were all there, 0 when the stream ended
 * first, < 0 on a stream error. */
static int skip(pl_shard *s, uint64_t n)
{
	size_t got;
	int rc;
	while (n > 0) {
		size_t k = n > ((uint64_t)1 << 30) ? (size_t)1 << 30 : (size_t)n;
		if ((rc = pl_shard__read(s, NULL, k, &got)) < 0)
			return rc;
		if (got < k)
			return 0;
		n -= k;
	}
	return 1;
}

/* Read size bytes of data (size <= max_record, which is at most
 * PL_SHARD_MAX_RECORD_LIMIT) into b, or skip them when b is NULL (size at
 * most TAR_SIZE_MAX), then the padding to the next block. what names the
 * header in messages ("member NAME" or "tar header at byte X"), label its
 * data; at is the offset of the data named after what, or NO_AT. */
static int read_data(pl_shard *s, pl_buf *b, uint64_t size, const char *what, const char *label,
                     uint64_t at)
{
	/* Neither size + 511 nor size + 1 is computed: no wrap-around. */
	uint64_t pad = (BLOCK - size % BLOCK) % BLOCK;
	size_t got;
	int rc;
	char where[64] = "";
	if (at != NO_AT)
		snprintf(where, sizeof(where), " (byte %llu)", (ull)at);
	if (size > TAR_SIZE_MAX || (b && size >= SIZE_MAX))
		return pl_error_set(PL_EINVALID, "%s%s: size %llu out of range", what, where,
		                    (ull)size);
	if (b) {
		b->len = 0;
		if ((rc = pl_buf_grow(b, (size_t)size)) < 0)
			return rc;
		if ((rc = pl_shard__read(s, b->ptr, (size_t)size, &got)) < 0)
			goto io;
		b->len = got;
		b->ptr[got] = '\0';
		if (got < size)
			goto truncated;
	} else if ((rc = skip(s, size)) <= 0) {
		if (rc < 0)
			goto io;
		goto truncated;
	}
	if ((rc = skip(s, pad)) < 0)
		goto io;
	if (rc == 0)
		goto truncated;
	return PL_OK;
truncated:
	return pl_error_set(PL_EINVALID, "%s%s: truncated tar: %s ends early", what, where, label);
io:
	return pl_error_prefix(rc, "%s (byte %llu)", what, (ull)pl_shard__pos(s));
}

/* Take "path" and "size" from a pax extended header's records; refuse the
 * GNU sparse keys and, in a global header, path and size. */
static int pax_parse(pl_shard *s, const char *p, size_t n, int global, uint64_t *size,
                     int *has_size, uint64_t at)
{
	const char *what = global ? "global pax header" : "pax extended header";
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
		int is_path = klen == 4 && memcmp(kv, "path", 4) == 0;
		int is_size = klen == 4 && memcmp(kv, "size", 4) == 0;
		if (klen >= 11 && memcmp(kv, "GNU.sparse.", 11) == 0)
			return pl_error_set(PL_EINVALID,
			                    "tar header at byte %llu: GNU sparse files are not "
			                    "supported (%s key %.*s)",
			                    (ull)at, what, (int)(klen > 40 ? 40 : klen), kv);
		if (global && (is_path || is_size))
			return pl_error_set(
			    PL_EINVALID,
			    "tar header at byte %llu: a global pax header that sets "
			    "'%s' is not supported (readers differ on it)",
			    (ull)at, is_path ? "path" : "size");
		if (is_path) {
			s->paxname.len = 0;
			if (pl_buf_put(&s->paxname, eq + 1, vlen) < 0)
				return -1;
		} else if (is_size) {
			uint64_t v = 0;
			if (vlen == 0 || vlen > 19)
				goto bad;
			for (size_t k = 0; k < vlen; k++) {
				if (eq[1 + k] < '0' || eq[1 + k] > '9')
					goto bad;
				v = v * 10 + (uint64_t)(eq[1 + k] - '0'); /* 19 digits fit */
			}
			if (v > TAR_SIZE_MAX)
				return pl_error_set(PL_EINVALID,
				                    "tar header at byte %llu: pax size %llu out of "
				                    "range (at most %llu)",
				                    (ull)at, (ull)v, (ull)TAR_SIZE_MAX);
			*size = v;
			*has_size = 1;
		}
		i += len;
	}
	return PL_OK;
bad:
	return pl_error_set(PL_EINVALID, "tar header at byte %llu: malformed %s", (ull)at, what);
}

/* A member type that carries no data, by name; NULL for the others. */
static const char *nodata_kind(char type)
{
	switch (type) {
	case '1':
		return "hard link";
	case '2':
		return "symbolic link";
	case '3':
		return "character device";
	case '4':
		return "block device";
	case '5':
		return "directory";
	case '6':
		return "FIFO";
	default:
		return NULL;
	}
}

/* The member's name (pax path, GNU long name, or ustar prefix/name) into
 * s->name, NUL-terminated, and its escaped form into s->ename. */
static int member_name(pl_shard *s, const unsigned char *h)
{
	int rc;
	s->name.len = 0;
	if (s->paxname.len)
		rc = pl_buf_put(&s->name, s->paxname.ptr, s->paxname.len);
	else if (s->longname.len)
		rc = pl_buf_put(&s->name, s->longname.ptr, s->longname.len);
	else {
		rc = 0;
		if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) {
			rc = pl_buf_put(&s->name, h + 345, strnlen((const char *)h + 345, 155));
			if (rc == 0)
				rc = pl_buf_putc(&s->name, '/');
		}
		if (rc == 0)
			rc = pl_buf_put(&s->name, h, strnlen((const char *)h, 100));
	}
	if (rc < 0 || (rc = pl_buf_putc(&s->name, '\0')) < 0)
		return rc;
	s->ename.len = 0;
	rc = pl_shard_escape_name(&s->ename, s->name.ptr);
	if (rc == 0 && s->ename.ptr == NULL)
		rc = pl_buf_puts(&s->ename, "");
	return rc;
}

int pl_shard__tar_next(pl_shard *s)
{
	unsigned char h[BLOCK];
	uint64_t pax_size = 0, ext_at = 0;
	/* Extended headers met for the coming member: GNU long names, local pax
	 * headers, GNU long link names. */
	int n_long = 0, n_pax = 0, n_ext = 0, has_pax_size = 0, rc;
	size_t got;
	char what[300];

	if (s->tar_end)
		return 0;
	s->longname.len = s->paxname.len = 0;
	for (;;) {
		uint64_t at = pl_shard__pos(s), size;
		const char *why = NULL;
		if ((rc = pl_shard__read(s, h, BLOCK, &got)) < 0)
			return pl_error_prefix(rc, "tar header at byte %llu",
			                       (ull)pl_shard__pos(s));
		if (got < BLOCK && got > 0)
			return pl_error_set(PL_EINVALID,
			                    "tar header at byte %llu: truncated tar: %zu of 512 "
			                    "header bytes",
			                    (ull)at, got);
		if (got == 0 || all_zero(h)) {
			/* A clean end, or the end-of-archive marker (the rest is
			 * drained by finish); not with a header still waiting. */
			if (n_ext)
				return pl_error_set(PL_EINVALID,
				                    "tar header at byte %llu: truncated tar: the "
				                    "extended header has no member after it",
				                    (ull)ext_at);
			break;
		}
		if (!checksum_ok(h))
			return pl_error_set(
			    PL_EINVALID,
			    "tar header at byte %llu: corrupt tar header (bad checksum)", (ull)at);
		char type = (char)h[156];
		int ext = type == 'L' || type == 'K' || type == 'x' || type == 'X';
		if (ext || type == 'g') {
			if (tar_num(&size, h + 124, 12, &why) < 0)
				return pl_error_set(
				    PL_EINVALID, "tar header at byte %llu: corrupt tar header: %s",
				    (ull)at, why);
			if (size > s->opts.max_record || size > EXT_MAX)
				return pl_error_set(PL_EINVALID,
				                    "tar header at byte %llu: extended header too "
				                    "large (%llu bytes)",
				                    (ull)at, (ull)size);
			if ((type == 'L' && n_long++) || ((type == 'x' || type == 'X') && n_pax++))
				return pl_error_set(PL_EINVALID,
				                    "tar header at byte %llu: a second %s for one "
				                    "member (readers disagree on which one counts)",
				                    (ull)at,
				                    type == 'L' ? "GNU long name" : "pax header");
			snprintf(what, sizeof(what), "tar header at byte %llu", (ull)at);
			pl_buf *b = type == 'L' ? &s->longname : &s->scratch;
			if ((rc = read_data(s, b, size, what, "extended header data", NO_AT)) < 0)
				return rc;
			if (ext) {
				n_ext++;
				ext_at = at;
			}
			if (type == 'L')
				b->len = strnlen(b->ptr, b->len);
			else if (type != 'K' && (rc = pax_parse(s, b->ptr, b->len, type == 'g',
			                                        &pax_size, &has_pax_size, at)) < 0)
				return rc;
			if (n_long && s->paxname.len)
				return pl_error_set(
				    PL_EINVALID,
				    "tar header at byte %llu: both a GNU long name and "
				    "a pax path for one member (readers disagree on "
				    "which one counts)",
				    (ull)at);
			continue;
		}
		if ((rc = member_name(s, h)) < 0)
			return rc;
		snprintf(what, sizeof(what), "member %s", s->ename.ptr);
		if (tar_num(&size, h + 124, 12, &why) < 0)
			return pl_error_set(PL_EINVALID,
			                    "%s (tar header at byte %llu): corrupt tar header: %s",
			                    what, (ull)at, why);
		if (has_pax_size)
			size = pax_size;
		if (size > TAR_SIZE_MAX)
			return pl_error_set(
			    PL_EINVALID,
			    "%s (tar header at byte %llu): corrupt tar header: size "
			    "%llu out of range (at most %llu)",
			    what, (ull)at, (ull)size, (ull)TAR_SIZE_MAX);
		if (type == 'S')
			return pl_error_set(
			    PL_EINVALID,
			    "%s (tar header at byte %llu): GNU sparse files are not "
			    "supported",
			    what, (ull)at);
		const char *kind = nodata_kind(type);
		/* Old (V7) tar: a regular file whose name ends in '/' is a directory. */
		size_t nl = strlen(s->name.ptr);
		if (!kind && type == '\0' && nl && s->name.ptr[nl - 1] == '/')
			kind = "directory";
		int regular = !kind && (type == '0' || type == '\0' || type == '7');
		if (kind && size != 0)
			return pl_error_set(
			    PL_EINVALID,
			    "%s (tar header at byte %llu): a %s with a size of %llu "
			    "bytes (tar readers disagree on whether data follows)",
			    what, (ull)at, kind, (ull)size);
		s->longname.len = s->paxname.len = 0;
		n_long = n_pax = n_ext = has_pax_size = 0;
		if (!regular) {
			/* Volume labels and other types: skipped with their data. */
			if ((rc = read_data(s, NULL, size, what, "member data", at + BLOCK)) < 0)
				return rc;
			continue;
		}
		s->r.name = s->name.ptr;
		s->r.offset = pl_shard__pos(s);
		s->r.length = size;
		s->r.line = 0;
		if (size > s->opts.max_record)
			return pl_shard__too_long(s, what, s->r.offset);
		if ((rc = read_data(s, &s->rec, size, what, "member data", s->r.offset)) < 0)
			return rc;
		s->r.text = s->rec.ptr;
		s->r.text_len = s->rec.len;
		return 1;
	}
	s->tar_end = 1;
	return 0;
}

/* ---- WebDataset samples ----------------------------------------------------------- */

/* Split a member name into its sample key (up to the first '.' of the last
 * path component) and extension (after it; "" when none). */
static void wds_split(const char *name, size_t *keylen, const char **ext)
{
	const char *base = strrchr(name, '/');
	const char *dot;
	base = base ? base + 1 : name;
	dot = strchr(base, '.');
	*keylen = dot ? (size_t)(dot - name) : strlen(name);
	*ext = dot ? dot + 1 : "";
}

static int wds_is_text(const pl_shard *s, const char *ext)
{
	if (s->opts.field) /* --field names the member's extension */
		return strcmp(ext, s->field) == 0;
	return strcmp(ext, "txt") == 0 || strcmp(ext, "text") == 0;
}

static void swap(pl_buf *a, pl_buf *b)
{
	pl_buf t = *a;
	*a = *b;
	*b = t;
}

/* Make the gathered sample the returned record; gather anew. */
static void wds_emit(pl_shard *s)
{
	swap(&s->okey, &s->wkey);
	swap(&s->otext, &s->wtext);
	swap(&s->oename, &s->wename);
	s->r.name = s->okey.ptr ? s->okey.ptr : "";
	s->r.offset = s->woff;
	s->r.length = s->wlen;
	s->r.line = 0;
	s->r.text = s->whas && s->otext.ptr ? s->otext.ptr : "";
	s->r.text_len = s->whas ? s->otext.len : 0;
	s->wopen = s->whas = 0;
	s->wkey.len = s->wtext.len = s->wename.len = 0;
}

/* Add the member just read (name in s->name, data in s->rec, at stream
 * offset off, len bytes) to the sample being gathered. */
static int wds_take(pl_shard *s, size_t keylen, const char *ext, uint64_t off, uint64_t len)
{
	int rc;
	if (!s->wopen) {
		s->wkey.len = 0;
		if ((rc = pl_buf_put(&s->wkey, s->name.ptr, keylen)) < 0 ||
		    (rc = pl_buf_puts(&s->wkey, "")) < 0)
			return rc;
		s->wopen = 1;
		s->whas = 0;
		s->woff = off; /* a sample without text: where it starts */
		s->wlen = 0;
	}
	if (!wds_is_text(s, ext))
		return PL_OK;
	if (s->whas)
		return pl_error_set(
		    PL_EINVALID,
		    "%s: member %s (byte %llu): sample %s already has a text member "
		    "(%s): which one is its text is ambiguous",
		    s->path, s->ename.ptr ? s->ename.ptr : "", (unsigned long long)off, s->wkey.ptr,
		    s->wename.ptr ? s->wename.ptr : "");
	s->wtext.len = s->wename.len = 0;
	if ((rc = pl_buf_put(&s->wtext, s->rec.ptr ? s->rec.ptr : "", s->rec.len)) < 0 ||
	    (rc = pl_buf_puts(&s->wename, s->ename.ptr ? s->ename.ptr : "")) < 0)
		return rc;
	s->woff = off;
	s->wlen = len;
	s->whas = 1;
	return PL_OK;
}

int pl_shard__wds_next(pl_shard *s)
{
	for (;;) {
		size_t keylen;
		const char *ext;
		uint64_t off, len;
		int rc;
		if (s->wend) {
			if (!s->wopen)
				return 0;
			wds_emit(s);
			return 1;
		}
		if ((rc = pl_shard__tar_next(s)) < 0)
			return rc;
		if (rc == 0) {
			s->wend = 1;
			continue;
		}
		wds_split(s->name.ptr, &keylen, &ext);
		off = s->r.offset;
		len = s->r.length;
		if (s->wopen &&
		    (s->wkey.len != keylen || memcmp(s->wkey.ptr, s->name.ptr, keylen) != 0)) {
			/* a new key: the gathered sample is complete, and this
			 * member starts the next one */
			wds_emit(s);
			return (rc = wds_take(s, keylen, ext, off, len)) < 0 ? rc : 1;
		}
		if ((rc = wds_take(s, keylen, ext, off, len)) < 0)
			return rc;
	}
}
