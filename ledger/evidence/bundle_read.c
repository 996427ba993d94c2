/*
 * bundle_read.c - read a bundle streaming (see bundle_read.h): gzip through
 * fixed buffers, a tokenizer over the top-level object, base64 attachments
 * decoded into a SHA-256 and a spool file, the other members parsed by
 * pl_json_parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle_read.h"
#include "pl_dsse.h"
#include "pl_hash.h"

#ifdef JSON_PARSER_MAX_DEPTH
#define MAX_DEPTH JSON_PARSER_MAX_DEPTH /* what pl_json_parse allows */
#else
#define MAX_DEPTH 2048
#endif

#define BUFSZ (1 << 16)

typedef struct {
	pl_bundle_attachment pub;
	uint64_t off; /* of its bytes in the spool file */
} att;

struct pl_bundle_doc {
	json_t *json;
	att *atts;
	size_t n, cap;
	size_t *slots; /* open addressing by name: index + 1, 0 for empty */
	size_t nslots; /* a power of two, or 0 */
	int has_attachments;
	int fd;             /* the spool file, already unlinked; -1 until needed */
	uint64_t spool_end; /* where the next attachment's bytes go */
	uint64_t total;     /* decoded bytes of the valid attachments */
};

/* The base64 decoder of one attachment. */
typedef struct {
	att *a;
	uint32_t acc;
	int nq, pad, done; /* characters in the quad, '=' among them, padding seen */
	uint64_t nchars;
	char why[80]; /* the first problem; "" while valid */
} b64;

typedef struct {
	const char *path;
	FILE *f;
	z_stream z;
	int zinit, started, pending, ended, gz_failed;
	size_t nread; /* compressed bytes read */
	size_t total; /* decompressed bytes produced */
	size_t max;
	const unsigned char *p, *end; /* the unread part of out */

	pl_bundle_doc *d;
	size_t max_att, max_total, max_entries;
	const char *tmpdir;
	pl_buf raw, key;
	pl_sha256_ctx *sha;
	size_t blen; /* decoded bytes waiting in blk */
	signed char b64val[256];
	unsigned char in[BUFSZ], out[BUFSZ], blk[BUFSZ];
} rd;

/* ---- the gzip layer ---------------------------------------------------- */

/* Make unread bytes available: 1 when there are some, 0 at the end of a
 * complete gzip stream with nothing after it, < 0 on a gzip-layer error (the
 * messages of the former two-pass gunzip, which tests and users rely on). */
static int fill_more(rd *r)
{
	while (r->p == r->end) {
		size_t produced;
		int rc;
		if (r->ended)
			return 0;
		if (r->z.avail_in == 0 && !r->pending) {
			size_t n = fread(r->in, 1, sizeof(r->in), r->f);
			if (n == 0) {
				if (ferror(r->f))
					return pl_error_set(PL_ERROR, "%s: read error: %s", r->path,
					                    strerror(errno));
				if (!r->started)
					return pl_error_set(PL_EINVALID,
					                    "%s: empty file, not a gzip bundle",
					                    r->path);
				return pl_error_set(PL_EINVALID,
				                    "%s: truncated gzip stream (ends after %zu "
				                    "decompressed bytes)",
				                    r->path, r->total);
			}
			if (!r->started && (n < 2 || r->in[0] != 0x1f || r->in[1] != 0x8b))
				return pl_error_set(
				    PL_EINVALID, "%s: not a gzip file (bad magic bytes)", r->path);
			r->started = 1;
			r->nread += n;
			r->z.next_in = r->in;
			r->z.avail_in = (uInt)n;
		}
		r->z.next_out = r->out;
		r->z.avail_out = sizeof(r->out);
		rc = inflate(&r->z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return pl_error_set(PL_EINVALID, "%s: corrupt gzip data: %s", r->path,
			                    r->z.msg ? r->z.msg : "inflate failed");
		produced = sizeof(r->out) - r->z.avail_out;
		/* a full buffer may leave output pending inside zlib */
		r->pending = r->z.avail_out == 0;
		r->total += produced;
		if (r->total > r->max)
			return pl_error_set(PL_ELIMIT,
			                    "%s: decompresses to more than %zu bytes (the "
			                    "--max-size cap); refused",
			                    r->path, r->max);
		if (rc == Z_STREAM_END) {
			r->ended = 1;
			if (r->z.avail_in > 0 || fgetc(r->f) != EOF)
				return pl_error_set(PL_EINVALID,
				                    "%s: trailing bytes after the gzip stream (at "
				                    "byte %zu)",
				                    r->path, r->nread - r->z.avail_in);
		}
		r->p = r->out;
		r->end = r->out + produced;
	}
	return 1;
}

static int fill(rd *r)
{
	int error;
	if (r->p < r->end)
		return 1;
	if ((error = fill_more(r)) < 0)
		r->gz_failed = 1;
	return error;
}

/* The offset in the decompressed document of the byte at p (in the window). */
static size_t at_ptr(const rd *r, const unsigned char *p)
{
	return r->total - (size_t)(r->end - p);
}

static size_t at(const rd *r)
{
	return at_ptr(r, r->p);
}

/* ---- the JSON layer ----------------------------------------------------- */

/* The decoded key just read ("" when empty: the buffer may hold nothing). */
static const char *key_str(const rd *r)
{
	return r->key.ptr ? r->key.ptr : "";
}

static int jerr(rd *r, size_t off, const char *fmt, ...) PL_PRINTF(3, 4);
static int jerr(rd *r, size_t off, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pl_error_set(PL_EINVALID, "%s: byte %zu: invalid JSON: %s", r->path, off, what);
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip whitespace; *c is the next byte (not consumed), or -1 at the end. */
static int peek_ws(rd *r, int *c)
{
	for (;;) {
		int error = fill(r);
		if (error <= 0) {
			*c = -1;
			return error;
		}
		while (r->p < r->end && is_ws(*r->p))
			r->p++;
		if (r->p < r->end) {
			*c = *r->p;
			return PL_OK;
		}
	}
}

/* The next byte, consumed; the end of input is an error. */
static int next(rd *r, int *c)
{
	int error = fill(r);
	if (error <= 0)
		return error < 0 ? error : jerr(r, r->total, "unexpected end of input");
	*c = *r->p++;
	return PL_OK;
}

static int unexpected(rd *r, int c, const char *expected)
{
	if (c < 0)
		return jerr(r, r->total, "unexpected end of input (%s expected)", expected);
	return jerr(r, at(r), "%s expected", expected);
}

/* ---- attachments: spool and base64 -------------------------------------- */

static int spool_open(rd *r)
{
	pl_buf tpl = PL_BUF_INIT;
	int fd, error;
	if ((error = pl_buf_printf(&tpl, "%s/provledger-bundle-XXXXXX", r->tmpdir)) < 0)
		return error;
	if ((fd = mkstemp(tpl.ptr)) < 0) {
		error = pl_error_set(PL_ERROR,
		                     "%s: cannot create a spool file for attachments in %s: %s",
		                     r->path, r->tmpdir, strerror(errno));
		goto done;
	}
	/* nothing is left behind, whatever happens to this process */
	unlink(tpl.ptr);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	r->d->fd = fd;
done:
	pl_buf_free(&tpl);
	return error;
}

static int spool_write(rd *r, const att *a, const unsigned char *data, size_t n, uint64_t off)
{
	int error;
	if (r->d->fd < 0 && (error = spool_open(r)) < 0)
		return error;
	while (n) {
		ssize_t w = pwrite(r->d->fd, data, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return pl_error_set(PL_ERROR,
			                    "%s: attachment %s: writing the spool file in %s: %s",
			                    r->path, a->pub.name, r->tmpdir,
			                    w < 0 ? strerror(errno) : "no progress");
		data += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return PL_OK;
}

static void b64_bad(b64 *b, rd *r, const char *fmt, unsigned long long n)
{
	if (b->why[0])
		return;
	snprintf(b->why, sizeof(b->why), fmt, n);
	r->blen = 0;
}

/* Hash and spool the decoded bytes waiting in blk, under the caps. */
static int b64_flush(rd *r, b64 *b)
{
	att *a = b->a;
	size_t n = r->blen;
	int error;

	r->blen = 0;
	if (b->why[0] || n == 0)
		return PL_OK;
	a->pub.size += n;
	r->d->total += n;
	if (a->pub.size > r->max_att)
		return pl_error_set(PL_ELIMIT,
		                    "%s: attachment %s decodes to more than %zu bytes (the "
		                    "--max-attachment cap); refused",
		                    r->path, a->pub.name, r->max_att);
	if (r->d->total > r->max_total)
		return pl_error_set(
		    PL_ELIMIT,
		    "%s: the attachments decode to more than %zu bytes in all (the "
		    "--max-attachments-total cap), passed at attachment %s; refused",
		    r->path, r->max_total, a->pub.name);
	pl_sha256_update(r->sha, r->blk, n);
	if ((error = spool_write(r, a, r->blk, n, a->off + a->pub.size - n)) < 0)
		return error;
	return PL_OK;
}

/* One decoded character of the string (a byte of its UTF-8). */
static int b64_char(rd *r, b64 *b, int c)
{
	int v;
	if (b->why[0])
		return PL_OK;
	b->nchars++;
	if (b->done) {
		b64_bad(b, r, "invalid base64 at character %llu", b->nchars - 1);
		return PL_OK;
	}
	if (c == '=') {
		if (b->nq < 2) {
			b64_bad(b, r, "invalid base64 at character %llu", b->nchars - 1);
			return PL_OK;
		}
		b->pad++;
		v = 0;
	} else if ((v = r->b64val[c & 0xff]) < 0 || b->pad) {
		b64_bad(b, r, "invalid base64 at character %llu", b->nchars - 1);
		return PL_OK;
	}
	b->acc = b->acc << 6 | (uint32_t)v;
	if (++b->nq < 4)
		return PL_OK;
	if ((b->pad == 1 && (b->acc & 0xff)) || (b->pad == 2 && (b->acc & 0xffff))) {
		b64_bad(b, r, "non-canonical base64 (unused bits set, at character %llu)",
		        b->nchars - 1);
		return PL_OK;
	}
	r->blk[r->blen++] = (unsigned char)(b->acc >> 16);
	if (b->pad < 2)
		r->blk[r->blen++] = (unsigned char)(b->acc >> 8);
	if (b->pad < 1)
		r->blk[r->blen++] = (unsigned char)b->acc;
	b->done = b->pad > 0;
	b->nq = 0;
	b->acc = 0;
	return r->blen + 3 > BUFSZ ? b64_flush(r, b) : PL_OK;
}

/* The fast path: whole quads of alphabet characters in the window. Stops at
 * anything else, which the caller's byte loop decides on. */
static int b64_run(rd *r, b64 *b)
{
	const unsigned char *p = r->p;
	size_t quads = (size_t)(r->end - p) / 4;
	int error = PL_OK;

	while (quads && !b->why[0] && b->nq == 0 && !b->done) {
		size_t room = (BUFSZ - r->blen) / 3, k = quads < room ? quads : room, i;
		unsigned char *o = r->blk + r->blen;
		for (i = 0; i < k; i++, p += 4, o += 3) {
			int v0 = r->b64val[p[0]], v1 = r->b64val[p[1]], v2 = r->b64val[p[2]],
			    v3 = r->b64val[p[3]];
			uint32_t w;
			if ((v0 | v1 | v2 | v3) < 0)
				break;
			w = (uint32_t)v0 << 18 | (uint32_t)v1 << 12 | (uint32_t)v2 << 6 |
			    (uint32_t)v3;
			o[0] = (unsigned char)(w >> 16);
			o[1] = (unsigned char)(w >> 8);
			o[2] = (unsigned char)w;
		}
		r->blen += 3 * i;
		b->nchars += 4 * (uint64_t)i;
		quads -= i;
		if (r->blen + 3 > BUFSZ && (error = b64_flush(r, b)) < 0)
			break;
		if (i < k)
			break;
	}
	r->p = p;
	return error;
}

/* ---- strings ------------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* After "\u": four hex digits. */
static int read_hex4(rd *r, long *u, size_t esc)
{
	char got[5] = {0};
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int c = 0, h, error;
		if ((error = next(r, &c)) < 0)
			return error;
		got[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		if ((h = hexval(c)) < 0)
			return jerr(r, esc, "invalid escape \\u%s", got);
		v = v << 4 | h;
	}
	*u = v;
	return PL_OK;
}

/* After a backslash: the escape's code point. */
static int read_escape(rd *r, long *cp)
{
	size_t esc = at(r) - 1;
	long u, lo;
	int c = 0, error;

	if ((error = next(r, &c)) < 0)
		return error;
	switch (c) {
	case '"':
	case '\\':
	case '/':
		*cp = c;
		return PL_OK;
	case 'b':
		*cp = '\b';
		return PL_OK;
	case 'f':
		*cp = '\f';
		return PL_OK;
	case 'n':
		*cp = '\n';
		return PL_OK;
	case 'r':
		*cp = '\r';
		return PL_OK;
	case 't':
		*cp = '\t';
		return PL_OK;
	case 'u':
		break;
	default:
		if (c >= 0x20 && c < 0x7f)
			return jerr(r, esc, "invalid escape \\%c", c);
		return jerr(r, esc, "invalid escape: \\ followed by 0x%02x", c);
	}
	if ((error = read_hex4(r, &u, esc)) < 0)
		return error;
	if (u >= 0xdc00 && u <= 0xdfff)
		return jerr(r, esc, "lone surrogate \\u%04lx", u);
	if (u >= 0xd800 && u <= 0xdbff) {
		int b, uc = 0;
		if ((error = next(r, &b)) < 0 || (b == '\\' && (error = next(r, &uc)) < 0))
			return error;
		if (b != '\\' || uc != 'u')
			return jerr(r, esc, "lone surrogate \\u%04lx", u);
		if ((error = read_hex4(r, &lo, esc + 6)) < 0)
			return error;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jerr(r, esc, "lone surrogate \\u%04lx", u);
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (u == 0)
		return jerr(r, esc, "\\u0000 is not allowed in a string");
	*cp = u;
	return PL_OK;
}

static int put_utf8(pl_buf *key, b64 *b, rd *r, long cp)
{
	unsigned char u[4];
	size_t n;
	int error = PL_OK;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (key)
		return pl_buf_put(key, u, n);
	for (size_t i = 0; i < n && error == PL_OK; i++)
		error = b64_char(r, b, u[i]);
	return error;
}

/* The rest of a string whose opening quote was consumed: decoded into key,
 * or fed to the base64 decoder b (exactly one of them). JSON's rules: no
 * control characters, valid escapes and surrogate pairs, valid UTF-8. */
static int read_string(rd *r, pl_buf *key, b64 *b)
{
	size_t open = at(r) - 1;
	int need = 0, error; /* UTF-8 continuation bytes still due */
	unsigned char lo = 0x80, hi = 0xbf;

	for (;;) {
		int c;
		if ((error = fill(r)) <= 0)
			return error < 0 ? error : jerr(r, open, "unterminated string");
		if (b && !need && (error = b64_run(r, b)) < 0)
			return error;
		if (r->p == r->end)
			continue;
		c = *r->p++;
		if (need) {
			if (c < lo || c > hi)
				return jerr(r, at(r) - 1, "invalid UTF-8 in a string");
			lo = 0x80;
			hi = 0xbf;
			need--;
		} else if (c == '"') {
			return PL_OK;
		} else if (c < 0x20) {
			return jerr(r, at(r) - 1, "control character in string");
		} else if (c == '\\') {
			long cp = 0;
			if ((error = read_escape(r, &cp)) < 0 ||
			    (error = put_utf8(key, b, r, cp)) < 0)
				return error;
			continue;
		} else if (c >= 0x80) {
			if (c >= 0xc2 && c <= 0xdf) {
				need = 1;
			} else if (c >= 0xe0 && c <= 0xef) {
				need = 2;
				lo = c == 0xe0 ? 0xa0 : 0x80;
				hi = c == 0xed ? 0x9f : 0xbf;
			} else if (c >= 0xf0 && c <= 0xf4) {
				need = 3;
				lo = c == 0xf0 ? 0x90 : 0x80;
				hi = c == 0xf4 ? 0x8f : 0xbf;
			} else {
				return jerr(r, at(r) - 1, "invalid UTF-8 in a string");
			}
		}
		if ((error = key ? pl_buf_putc(key, (char)c) : b64_char(r, b, c)) < 0)
			return error;
	}
}

/* ---- other values: captured verbatim, parsed by pl_json_parse ------------ */

/* Capture the value at r->p (not whitespace) into r->raw, tracking strings
 * and nesting; depth0 is the depth of the object holding it (the top-level
 * object is 1). A number or a literal ends at a delimiter (pl_json_parse
 * judges the bytes). Depth is refused where jansson would refuse it over the
 * whole document: parsed alone, the value would be allowed depth0 more.
 * When max_elems is not 0 and the value is an array, more than max_elems
 * members is refused (as "more than max_elems <member>") before they are
 * buffered and parsed. */
static int capture(rd *r, int depth0, size_t *start, size_t max_elems, const char *member)
{
	size_t depth = 0, elems = 0;
	int in_str = 0, esc = 0, scalar, error;
	unsigned char c0 = *r->p;

	*start = at(r);
	pl_buf_clear(&r->raw);
	scalar = c0 != '{' && c0 != '[' && c0 != '"';
	for (;;) {
		const unsigned char *s, *p;
		int done = 0;
		if ((error = fill(r)) < 0)
			return error;
		if (error == 0)
			return scalar ? PL_OK : jerr(r, r->total, "unexpected end of input");
		s = p = r->p;
		if (scalar) {
			while (p < r->end && !is_ws(*p) && *p != ',' && *p != '}' && *p != ']')
				p++;
			done = p < r->end;
		} else {
			for (; p < r->end && !done; p++) {
				unsigned char c = *p;
				if (in_str) {
					if (esc)
						esc = 0;
					else if (c == '\\')
						esc = 1;
					else if (c == '"') {
						in_str = 0;
						done = depth == 0;
					}
				} else if (c == '}' || c == ']') {
					done = --depth == 0;
				} else if (!is_ws(c) && c != ',' && c != ':') {
					/* a value (or a key) starts, one level below its
					 * container: jansson counts every value a level */
					if ((size_t)depth0 + depth + 1 > MAX_DEPTH)
						return jerr(r, at_ptr(r, p),
						            "nested deeper than %d levels",
						            MAX_DEPTH);
					if (depth == 1 && c0 == '[' && max_elems &&
					    ++elems > max_elems)
						return pl_error_set(
						    PL_ELIMIT,
						    "%s: more than %zu %s (the --max-%s cap); "
						    "refused",
						    r->path, max_elems, member, member);
					if (c == '"')
						in_str = 1;
					else if (c == '{' || c == '[')
						depth++;
				}
			}
		}
		if ((error = pl_buf_put(&r->raw, s, (size_t)(p - s))) < 0)
			return error;
		r->p = p;
		if (done)
			return PL_OK;
	}
}

static int capture_parse(rd *r, json_t **v, int depth0, const char *member)
{
	char what[4200];
	size_t start;
	int error;
	size_t max_elems = depth0 == 1 && strcmp(member, "entries") == 0 ? r->max_entries : 0;
	if ((error = capture(r, depth0, &start, max_elems, member)) < 0)
		return error;
	snprintf(what, sizeof(what), "%s: \"%.4000s\" (at byte %zu)", r->path, member, start);
	error = pl_json_parse(v, r->raw.ptr ? r->raw.ptr : "", r->raw.len, what);
	if (r->raw.cap > (1 << 20))
		pl_buf_free(&r->raw);
	return error;
}

/* ---- the attachments object --------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static const att *find(const pl_bundle_doc *d, const char *name)
{
	if (!d->nslots)
		return NULL;
	for (size_t i = (size_t)fnv1a(name) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
		size_t k = d->slots[i];
		if (!k)
			return NULL;
		if (strcmp(d->atts[k - 1].pub.name, name) == 0)
			return &d->atts[k - 1];
	}
}

static void slot_put(pl_bundle_doc *d, size_t idx)
{
	size_t i = (size_t)fnv1a(d->atts[idx].pub.name) & (d->nslots - 1);
	while (d->slots[i])
		i = (i + 1) & (d->nslots - 1);
	d->slots[i] = idx + 1;
}

/* A new attachment named r->key (decoded, checked not to be there yet). */
static int add_att(rd *r, att **out)
{
	pl_bundle_doc *d = r->d;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		att *a = realloc(d->atts, cap * sizeof(*a));
		if (!a)
			return pl_error_set(PL_ENOMEM, "out of memory");
		d->atts = a;
		d->cap = cap;
	}
	if ((d->n + 1) * 2 > d->nslots) {
		size_t ns = d->nslots ? d->nslots * 2 : 32;
		size_t *s = calloc(ns, sizeof(*s));
		if (!s)
			return pl_error_set(PL_ENOMEM, "out of memory");
		free(d->slots);
		d->slots = s;
		d->nslots = ns;
		for (size_t i = 0; i < d->n; i++)
			slot_put(d, i);
	}
	memset(&d->atts[d->n], 0, sizeof(d->atts[d->n]));
	if ((d->atts[d->n].pub.name = strdup(key_str(r))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	d->atts[d->n].off = d->spool_end;
	slot_put(d, d->n);
	*out = &d->atts[d->n++];
	return PL_OK;
}

static int set_invalid(att *a, const char *why)
{
	a->pub.size = 0;
	memset(a->pub.sha256, 0, sizeof(a->pub.sha256));
	if ((a->pub.invalid = strdup(why)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	return PL_OK;
}

/* After the opening quote of an attachment's value. */
static int read_base64(rd *r, att *a)
{
	b64 b;
	int error;

	memset(&b, 0, sizeof(b));
	b.a = a;
	r->blen = 0;
	pl_sha256_reset(r->sha);
	if ((error = read_string(r, NULL, &b)) < 0)
		return error;
	if (b.nq)
		b64_bad(&b, r, "invalid base64: length %llu is not a multiple of 4", b.nchars);
	if ((error = b64_flush(r, &b)) < 0)
		return error;
	if (b.why[0]) {
		r->d->total -= a->pub.size;
		return set_invalid(a, b.why);
	}
	pl_sha256_final(r->sha, a->pub.sha256);
	r->d->spool_end = a->off + a->pub.size;
	return PL_OK;
}

/* At the '{' of "attachments". */
static int read_attachments(rd *r)
{
	int c, error;

	r->d->has_attachments = 1;
	r->p++;
	if ((error = peek_ws(r, &c)) < 0)
		return error;
	if (c == '}') {
		r->p++;
		return PL_OK;
	}
	for (;;) {
		size_t kat = at(r);
		att *a = NULL;
		if (c != '"')
			return unexpected(r, c, "a string key");
		r->p++;
		pl_buf_clear(&r->key);
		if ((error = read_string(r, &r->key, NULL)) < 0)
			return error;
		if (find(r->d, key_str(r)))
			return jerr(r, kat, "duplicate key \"%.200s\" in \"attachments\"",
			            key_str(r));
		if ((error = add_att(r, &a)) < 0 || (error = peek_ws(r, &c)) < 0)
			return error;
		if (c != ':')
			return unexpected(r, c, "':'");
		r->p++;
		if ((error = peek_ws(r, &c)) < 0)
			return error;
		if (c < 0)
			return unexpected(r, c, "a value");
		if (c == '"') {
			r->p++;
			error = read_base64(r, a);
		} else {
			json_t *v = NULL;
			error = capture_parse(r, &v, 2, a->pub.name);
			json_decref(v);
			if (error == PL_OK)
				error = set_invalid(a, "not a JSON string");
		}
		if (error < 0 || (error = peek_ws(r, &c)) < 0)
			return error;
		if (c == '}') {
			r->p++;
			return PL_OK;
		}
		if (c != ',')
			return unexpected(r, c, "',' or '}'");
		r->p++;
		if ((error = peek_ws(r, &c)) < 0)
			return error;
	}
}

/* ---- the document -------------------------------------------------------- */

/* Not an object, so not a bundle. A small document goes to pl_json_parse, so
 * that it says what is wrong as it always did; only a prefix is kept (the
 * rest is inflated to find gzip errors and the max_size cap first). */
static int read_other(rd *r)
{
	json_t *v = NULL;
	size_t keep = 1 << 16;
	int error;
	pl_buf_clear(&r->raw);
	while ((error = fill(r)) > 0) {
		size_t n = (size_t)(r->end - r->p);
		if (r->raw.len < keep &&
		    (error = pl_buf_put(&r->raw, r->p,
		                        n < keep - r->raw.len ? n : keep - r->raw.len)) < 0)
			return error;
		r->p = r->end;
	}
	if (error < 0)
		return error;
	if (r->total <= keep &&
	    (error = pl_json_parse(&v, r->raw.ptr ? r->raw.ptr : "", r->raw.len, r->path)) < 0)
		return error;
	json_decref(v);
	return pl_error_set(
	    PL_EINVALID, "%s: not a provledger bundle: the document is not a JSON object", r->path);
}

static int read_member(rd *r)
{
	const char *k = key_str(r);
	json_t *v = NULL;
	int c, error;

	if ((error = peek_ws(r, &c)) < 0)
		return error;
	if (c < 0)
		return unexpected(r, c, "a value");
	if (c == '{' && strcmp(k, "attachments") == 0)
		return read_attachments(r);
	if ((error = capture_parse(r, &v, 1, k)) < 0)
		return error;
	if (json_object_setn_new(r->d->json, k, r->key.len, v) < 0)
		return pl_error_set(PL_ENOMEM, "out of memory");
	return PL_OK;
}

static int read_doc(rd *r)
{
	int c, error;

	if ((error = peek_ws(r, &c)) < 0)
		return error;
	if (c != '{')
		return read_other(r);
	r->p++;
	if ((error = peek_ws(r, &c)) < 0)
		return error;
	if (c == '}') {
		r->p++;
		goto end;
	}
	for (;;) {
		size_t kat = at(r);
		if (c != '"')
			return unexpected(r, c, "a string key");
		r->p++;
		pl_buf_clear(&r->key);
		if ((error = read_string(r, &r->key, NULL)) < 0)
			return error;
		if (json_object_getn(r->d->json, key_str(r), r->key.len) ||
		    (r->d->has_attachments && strcmp(key_str(r), "attachments") == 0))
			return jerr(r, kat, "duplicate key \"%.200s\"", key_str(r));
		if ((error = peek_ws(r, &c)) < 0)
			return error;
		if (c != ':')
			return unexpected(r, c, "':'");
		r->p++;
		if ((error = read_member(r)) < 0 || (error = peek_ws(r, &c)) < 0)
			return error;
		if (c == '}') {
			r->p++;
			break;
		}
		if (c != ',')
			return unexpected(r, c, "',' or '}'");
		r->p++;
		if ((error = peek_ws(r, &c)) < 0)
			return error;
	}
end:
	if ((error = peek_ws(r, &c)) < 0)
		return error;
	if (c >= 0)
		return jerr(r, at(r), "trailing garbage after the document");
	return PL_OK;
}

static void doc_free(pl_bundle_doc *d)
{
	if (!d)
		return;
	json_decref(d->json);
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->atts[i].pub.name);
		free((char *)d->atts[i].pub.invalid);
	}
	free(d->atts);
	free(d->slots);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

int pl_bundle__read(pl_bundle_doc **out, const char *path, const pl_bundle_read_opts *opts)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	pl_bundle_doc *d = NULL;
	rd *r = NULL;
	int error;

	if ((r = calloc(1, sizeof(*r))) == NULL || (d = calloc(1, sizeof(*d))) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	d->fd = -1;
	r->d = d;
	r->path = path;
	r->max = opts && opts->max_size ? opts->max_size : PL_BUNDLE_MAX_SIZE;
	r->max_att = opts && opts->max_attachment ? opts->max_attachment : PL_BUNDLE_MAX_ATTACHMENT;
	r->max_total = opts && opts->max_attachments_total ? opts->max_attachments_total
	                                                   : PL_BUNDLE_MAX_ATTACHMENTS_TOTAL;
	r->max_entries = opts && opts->max_entries ? opts->max_entries : PL_BUNDLE_MAX_ENTRIES;
	r->tmpdir = opts && opts->tmpdir && opts->tmpdir[0] ? opts->tmpdir : "/tmp";
	memset(r->b64val, -1, sizeof(r->b64val));
	for (int i = 0; i < 64; i++)
		r->b64val[(unsigned char)alphabet[i]] = (signed char)i;
	if ((d->json = json_object()) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_sha256_new(&r->sha)) < 0)
		goto done;
	if ((r->f = fopen(path, "rb")) == NULL) {
		error = pl_error_set(errno == ENOENT ? PL_ENOTFOUND : PL_ERROR, "%s: %s", path,
		                     strerror(errno));
		goto done;
	}
	/* 16 + MAX_WBITS: gzip only (a bare zlib or raw stream is refused) */
	if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
		error = pl_error_set(PL_ENOMEM, "zlib: inflateInit2 failed");
		goto done;
	}
	r->zinit = 1;
	error = read_doc(r);
	if (error == PL_EINVALID && !r->gz_failed) {
		/* a broken gzip stream explains a JSON error better than the JSON
		 * error does (and the former reader said that one first) */
		int gz;
		while ((gz = fill(r)) > 0)
			r->p = r->end;
		if (gz < 0)
			error = gz;
	}
	if (error == PL_OK) {
		*out = d;
		d = NULL;
	}
done:
	if (r) {
		if (r->zinit)
			inflateEnd(&r->z);
		if (r->f)
			fclose(r->f);
		pl_buf_free(&r->raw);
		pl_buf_free(&r->key);
		pl_sha256_free(r->sha);
		free(r);
	}
	doc_free(d);
	return error;
}

json_t *pl_bundle__doc_json(const pl_bundle_doc *d)
{
	return d->json;
}

int pl_bundle__doc_has_attachments(const pl_bundle_doc *d)
{
	return d->has_attachments;
}

size_t pl_bundle__doc_nattachments(const pl_bundle_doc *d)
{
	return d->n;
}

const pl_bundle_attachment *pl_bundle__doc_attachment(const pl_bundle_doc *d, size_t i)
{
	return i < d->n ? &d->atts[i].pub : NULL;
}

const pl_bundle_attachment *pl_bundle__doc_find(const pl_bundle_doc *d, const char *name)
{
	const att *a = find(d, name);
	return a ? &a->pub : NULL;
}

int pl_bundle__doc_attachment_read(pl_buf *out, const pl_bundle_doc *d, const char *name,
                                   size_t max)
{
	const att *a = find(d, name);
	uint64_t off, left;
	int error;

	if (!a)
		return pl_error_set(PL_ENOTFOUND, "attachment %s: not in the bundle", name);
	if (a->pub.invalid)
		return pl_error_set(PL_EINVALID, "attachment %s: %s", name, a->pub.invalid);
	if (a->pub.size > max)
		return pl_error_set(PL_ELIMIT, "attachment %s: %llu bytes, more than %zu", name,
		                    (unsigned long long)a->pub.size, max);
	if ((error = pl_buf_grow(out, (size_t)a->pub.size)) < 0)
		return error;
	for (off = a->off, left = a->pub.size; left;) {
		ssize_t n = pread(d->fd, out->ptr + out->len, (size_t)left, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out->ptr[out->len] = '\0';
			return pl_error_set(PL_ERROR, "attachment %s: reading the spool file: %s",
			                    name, n < 0 ? strerror(errno) : "unexpected end");
		}
		out->len += (size_t)n;
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	out->ptr[out->len] = '\0';
	return PL_OK;
}

void pl_bundle__doc_free(pl_bundle_doc *d)
{
	doc_free(d);
}
