/*
 * shard_json.c - a strict single-pass JSON scanner for JSONL records
 * (RFC 8259): validates the whole line, finds the top-level text field, and
 * decodes only that string. Other strings are validated (escapes, control
 * characters, surrogate pairs) but not decoded; their UTF-8 is not checked
 * (the text field's is, by pl_tokenize).
 *
 * A duplicate text field is an error: readers disagree on which copy wins
 * (Python and jansson take the last, others the first), so a record with two
 * could be read as two different texts. Duplicates of other keys are not
 * looked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard_int.h"

typedef unsigned long long ull;

#define JSON_MAX_DEPTH 512

typedef struct {
	const unsigned char *p, *end;
	const char *err;         /* what is wrong */
	const unsigned char *at; /* where */
	char detail[24];         /* an escape quoted in the message */
	int depth;
} jscan;

static int fail(jscan *j, const unsigned char *at, const char *err)
{
	j->err = err;
	j->at = at;
	return -1;
}

static void skip_ws(jscan *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller): the value or -1. */
static long hex4(const unsigned char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Some byte of v is '"', '\\' or below 0x20 (may report a false positive
 * only in a block that really holds one: then the byte loop decides). */
static inline uint64_t special8(uint64_t v)
{
	uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((v - ONES * 0x20) & ~v)) & HIGHS;
}

/* The string starting at j->p (a '"'): leaves j->p after the closing quote;
 * *escaped: it holds an escape. */
static int scan_string(jscan *j, int *escaped)
{
	const unsigned char *open = j->p, *p = j->p + 1, *end = j->end;
	*escaped = 0;
	for (;;) {
		while (end - p >= 8) {
			uint64_t v;
			memcpy(&v, p, 8);
			if (special8(v))
				break;
			p += 8;
		}
		if (p >= end)
			return fail(j, open, "unterminated string");
		unsigned char c = *p;
		if (c == '"') {
			j->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(j, p, "control character in string");
		if (c != '\\') {
			p++;
			continue;
		}
		*escaped = 1;
		if (p + 1 >= end)
			return fail(j, open, "unterminated string");
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			if (p[1] >= 0x20 && p[1] < 0x7f)
				snprintf(j->detail, sizeof(j->detail), "\\%c", p[1]);
			else
				snprintf(j->detail, sizeof(j->detail), "\\ followed by 0x%02x",
				         p[1]);
			return fail(j, p, "invalid escape");
		}
		long u = end - p >= 6 ? hex4(p + 2) : -1;
		if (u < 0) {
			snprintf(j->detail, sizeof(j->detail), "\\u%.*s",
			         (int)(end - p - 2 < 4 ? end - p - 2 : 4), (const char *)p + 2);
			return fail(j, p, "invalid escape");
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			snprintf(j->detail, sizeof(j->detail), "\\u%.4s", (const char *)p + 2);
			return fail(j, p, "lone surrogate");
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			long lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
			if (lo < 0xdc00 || lo > 0xdfff) {
				snprintf(j->detail, sizeof(j->detail), "\\u%.4s",
				         (const char *)p + 2);
				return fail(j, p, "lone surrogate");
			}
			p += 12;
		} else {
			p += 6;
		}
	}
}

static int scan_number(jscan *j)
{
	const unsigned char *p = j->p, *end = j->end, *start = p;
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return fail(j, start, "invalid number");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(j, start, "invalid number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(j, start, "invalid number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	return 0;
}

static int scan_literal(jscan *j, const char *lit, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return fail(j, j->p, "invalid literal");
	j->p += n;
	return 0;
}

static int scan_value(jscan *j);

static int scan_container(jscan *j, unsigned char close)
{
	int esc;
	if (++j->depth > JSON_MAX_DEPTH)
		return fail(j, j->p, "nesting too deep");
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (j->p >= j->end || *j->p != '"')
				return fail(j, j->p,
				            j->p >= j->end ? "unterminated object"
				                           : "expected a string key");
			if (scan_string(j, &esc) < 0)
				return -1;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return fail(j, j->p, "expected ':'");
			j->p++;
			skip_ws(j);
		}
		if (scan_value(j) < 0)
			return -1;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		if (j->p >= j->end)
			return fail(j, j->p,
			            close == '}' ? "unterminated object" : "unterminated array");
		return fail(j, j->p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int scan_value(jscan *j)
{
	int esc;
	if (j->p >= j->end)
		return fail(j, j->p, "missing value");
	switch (*j->p) {
	case '"':
		return scan_string(j, &esc);
	case '{':
		return scan_container(j, '}');
	case '[':
		return scan_container(j, ']');
	case 't':
		return scan_literal(j, "true", 4);
	case 'f':
		return scan_literal(j, "false", 5);
	case 'n':
		return scan_literal(j, "null", 4);
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return scan_number(j);
		return fail(j, j->p, "unexpected character");
	}
}

static size_t put_utf8(unsigned char *o, unsigned long c)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | c >> 12);
		o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | c >> 18);
	o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* Decode a validated string body raw[0..n) into out (replacing it). With
 * s set, record every escape in s->esc. */
static int decode(pl_buf *out, const unsigned char *raw, size_t n, pl_shard *s)
{
	int rc;
	out->len = 0;
	if ((rc = pl_buf_grow(out, n + 1)) < 0) /* decoding never lengthens */
		return rc;
	unsigned char *o = (unsigned char *)out->ptr;
	size_t i = 0, k = 0;
	while (i < n) {
		const unsigned char *bs = memchr(raw + i, '\\', n - i);
		size_t run = bs ? (size_t)(bs - raw - i) : n - i;
		memcpy(o + k, raw + i, run);
		i += run;
		k += run;
		if (!bs)
			break;
		size_t ri = i, rk = k;
		unsigned long c;
		switch (raw[i + 1]) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			c = (unsigned long)hex4(raw + i + 2);
			if (c >= 0xd800 && c <= 0xdbff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    ((unsigned long)hex4(raw + i + 8) - 0xdc00);
				i += 6;
			}
			i += 4;
			break;
		default:
			c = raw[i + 1];
			break;
		}
		i += 2;
		k += put_utf8(o + k, c);
		if (s) {
			if (s->nesc == s->esc_cap) {
				size_t cap = s->esc_cap ? s->esc_cap * 2 : 64;
				pl_shard__esc *e = realloc(s->esc, cap * sizeof(*e));
				if (!e)
					return pl_error_set(PL_ENOMEM, "out of memory");
				s->esc = e;
				s->esc_cap = cap;
			}
			s->esc[s->nesc++] = (pl_shard__esc){(uint32_t)rk, (uint32_t)ri,
			                                    (uint8_t)(k - rk), (uint8_t)(i - ri)};
		}
	}
	out->len = k;
	o[k] = '\0';
	return PL_OK;
}

int pl_shard__json_escapes(pl_shard *s)
{
	if (s->raw_len > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "record too long to map offsets");
	s->nesc = 0;
	if (decode(&s->scratch, s->raw, s->raw_len, s) < 0)
		return -1;
	s->esc_built = 1;
	return PL_OK;
}

int pl_shard__json_line(pl_shard *s, const unsigned char *line, size_t n, uint64_t off)
{
	jscan j = {line, line + n, NULL, NULL, "", 0};
	const unsigned char *val = NULL, *val_end = NULL, *key, *bad_type = NULL;
	int esc, val_esc = 0, found = 0, rc;

	skip_ws(&j);
	if (*j.p != '{')
		return pl_error_set(PL_EINVALID, "line %llu (byte %llu): not a JSON object",
		                    (ull)s->lineno, (ull)off);
	j.depth = 1;
	j.p++;
	skip_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto tail;
	}
	for (;;) {
		if (j.p >= j.end || *j.p != '"') {
			fail(&j, j.p,
			     j.p >= j.end ? "unterminated object" : "expected a string key");
			goto bad;
		}
		key = j.p;
		if (scan_string(&j, &esc) < 0)
			goto bad;
		int match;
		if (!esc) {
			match = (size_t)(j.p - key - 2) == s->field_len &&
			        memcmp(key + 1, s->field, s->field_len) == 0;
		} else {
			if ((rc = decode(&s->scratch, key + 1, (size_t)(j.p - key - 2), NULL)) < 0)
				return rc;
			match = s->scratch.len == s->field_len &&
			        memcmp(s->scratch.ptr, s->field, s->field_len) == 0;
		}
		skip_ws(&j);
		if (j.p >= j.end || *j.p != ':') {
			fail(&j, j.p, "expected ':'");
			goto bad;
		}
		j.p++;
		skip_ws(&j);
		if (match) {
			if (found)
				return pl_error_set(
				    PL_EINVALID,
				    "line %llu (byte %llu): invalid JSON: duplicate "
				    "field \"%s\"",
				    (ull)s->lineno, (ull)(off + (uint64_t)(key - line)), s->field);
			found = 1;
			if (j.p < j.end && *j.p == '"') {
				val = j.p;
				if (scan_string(&j, &val_esc) < 0)
					goto bad;
				val_end = j.p;
				goto next;
			}
			bad_type = j.p;
		}
		if (scan_value(&j) < 0)
			goto bad;
	next:
		skip_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			skip_ws(&j);
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		fail(&j, j.p, j.p >= j.end ? "unterminated object" : "expected ',' or '}'");
		goto bad;
	}
tail:
	skip_ws(&j);
	if (j.p < j.end) {
		fail(&j, j.p, "trailing garbage");
		goto bad;
	}
	if (bad_type)
		return pl_error_set(
		    PL_EINVALID, "line %llu (byte %llu): field \"%s\" is not a string",
		    (ull)s->lineno, (ull)(off + (uint64_t)(bad_type - line)), s->field);
	if (!found)
		return pl_error_set(PL_EINVALID, "line %llu (byte %llu): no field \"%s\"",
		                    (ull)s->lineno, (ull)off, s->field);
	s->raw = val + 1;
	s->raw_len = (size_t)(val_end - val - 2);
	s->raw_off = off + (uint64_t)(val + 1 - line);
	s->raw_escaped = val_esc;
	if (!val_esc) {
		s->r.text = (const char *)s->raw;
		s->r.text_len = s->raw_len;
		return PL_OK;
	}
	if ((rc = decode(&s->rec, s->raw, s->raw_len, NULL)) < 0)
		return rc;
	s->r.text = s->rec.ptr;
	s->r.text_len = s->rec.len;
	return PL_OK;
bad:
	if (j.detail[0])
		return pl_error_set(PL_EINVALID, "line %llu (byte %llu): invalid JSON: %s %s",
		                    (ull)s->lineno, (ull)(off + (uint64_t)(j.at - line)), j.err,
		                    j.detail);
	return pl_error_set(PL_EINVALID, "line %llu (byte %llu): invalid JSON: %s", (ull)s->lineno,
	                    (ull)(off + (uint64_t)(j.at - line)), j.err);
}
