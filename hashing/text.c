/*
 * text.c - SPEC §8 step 1: strict UTF-8 decoding, NFKC + case folding through
 * utf8proc, and tokenization into per-token XXH3-64 hashes.
 *
 * Decisions the SPEC leaves open, kept here so that every reader of a token
 * stream can reproduce it:
 *
 * - Controls. TAB, LF, VT, FF, CR and NEL (U+0085) separate tokens (they are the
 *   line-feed-like controls that utf8proc's STRIPCC turns into spaces). Every
 *   other Cc and every Cf (soft hyphen U+00AD, ZWSP, ZWJ/ZWNJ, BOM U+FEFF, bidi
 *   controls, tag characters, ...) is removed and transparent: "foo\u00ADbar" is
 *   the one token "foobar", whose span in the record covers the soft hyphen.
 *   U+0000 is always an error, even with PL_TOK_LOSSY: a NUL byte means binary
 *   data or the wrong encoding (UTF-16), not text to be fingerprinted.
 * - Classification happens after compatibility decomposition and case folding,
 *   per resulting code point: "ﬁ" gives "fi", "①" gives "1", "™" gives "tm",
 *   "½" gives the two tokens "1" and "2" (U+2044 FRACTION SLASH separates),
 *   NBSP becomes U+0020 and separates.
 * - Marks (M*) continue the current token; a mark with no open token (at the
 *   start, after a separator) is dropped. A mark after a transparent Cf still
 *   attaches, since the Cf is not there.
 * - Code points of the one-per-token ranges (Thai, Lao, Myanmar, Khmer, kana,
 *   CJK) are single tokens when they are L* or N* (after decomposition). The
 *   punctuation and symbols of those blocks (U+0E3F THAI BAHT, U+30FB KATAKANA
 *   MIDDLE DOT, ...) separate like any other. Marks after such a token attach
 *   to it (Thai vowel signs, kana voicing marks), and composition then turns
 *   か + U+3099 into the token "が".
 * - Composition: a token's decomposed code points are put in canonical order
 *   and composed (utf8proc COMPOSE|STABLE) within the token. Tokens whose code
 *   points are all below U+0300 cannot compose or reorder and skip that step.
 * - A token's span in the record runs from the first to the last original code
 *   point that contributed to it; one original code point may contribute to two
 *   tokens ("½", "㍻") and then both spans cover it.
 * - UTF-8 follows Unicode Table 3-7: overlongs, surrogates, code points past
 *   U+10FFFF, stray continuation bytes and truncated sequences are invalid, and
 *   bad_offset is the offset of the first byte of the ill-formed sequence. In
 *   lossy mode each maximal ill-formed subpart becomes one U+FFFD, a symbol
 *   (So) and therefore a separator.
 *
 * ASCII takes a fast path (a 128-entry class table, lowercasing by OR 0x20, no
 * utf8proc call) that gives the same tokens as the general path; the tests
 * compare the two with PL_TOK_NO_FASTPATH.
 */
#include "pl_text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Byte classes of the main loop; C_GEN (0) is "decode and take the general path". */
enum { C_GEN, C_SEP, C_WORD, C_SKIP, C_NUL };

/* The ASCII fast path; every byte >= 0x80 goes the general way. */
#define S C_SEP
#define W C_WORD
#define K C_SKIP
#define N C_NUL
static const unsigned char fast_class[256] = {
    N, K, K, K, K, K, K, K, K, S, S, S, S, S, K, K, /* */
    K, K, K, K, K, K, K, K, K, K, K, K, K, K, K, K, /* */
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* */
    W, W, W, W, W, W, W, W, W, W, S, S, S, S, S, S, /* */
    S, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, /* */
    W, W, W, W, W, W, W, W, W, W, W, S, S, S, S, S, /* */
    S, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, /* */
    W, W, W, W, W, W, W, W, W, W, W, S, S, S, S, K, /* */
};
#undef S
#undef W
#undef K
#undef N
/* PL_TOK_NO_FASTPATH: everything but NUL goes the general way. */
static const unsigned char slow_class[256] = {C_NUL};

/* Longest decomposition utf8proc produces is 18 code points (U+FDFA). */
#define DECOMP_MAX 64
#define DECOMP_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD)

typedef struct {
	pl_tokens *t;
	pl_buf *b;     /* t->text: the normalized text, or only the open token */
	int keep_text; /* !(flags & PL_TOK_NO_TEXT) */
	int no_hash;   /* flags & PL_TOK_NO_HASH */
	int open;      /* a token is open */
	int single;    /* the open token is a one-code-point token (Thai, kana, CJK...) */
	size_t nstart; /* offset of the open token's normalized bytes in b */
	uint32_t start, end;
	int32_t maxcp;
} tok_state;

/* XXH3_64bits, with the short inputs most tokens are hashed inline: the
 * same function XXH3_64bits calls for them (seed 0, the default secret). */
__attribute__((always_inline)) static inline uint64_t token_hash(const void *data, size_t len)
{
#if XXH_VERSION_NUMBER >= 800
	if (len <= 16)
		return XXH3_len_0to16_64b((const xxh_u8 *)data, len, XXH3_kSecret, 0);
#endif
	return XXH3_64bits(data, len);
}

uint64_t pl_token_hash(const void *data, size_t len)
{
	return token_hash(data, len);
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (s[0] >= 0x80), with *cp
 * set; or minus the length of its maximal ill-formed subpart (at least 1). */
static inline int decode(const unsigned char *s, size_t n, int32_t *cp)
{
	unsigned c = s[0], lo = 0x80, hi = 0xBF;
	int need, k;
	int32_t v;

	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		return -1;
	}
	for (k = 1; k <= need; k++) {
		unsigned x;
		if ((size_t)k >= n)
			return -k;
		x = s[k];
		if (x < lo || x > hi)
			return -k;
		lo = 0x80;
		hi = 0xBF;
		v = (v << 6) | (int32_t)(x & 0x3F);
	}
	*cp = v;
	return need + 1;
}

static inline size_t encode(char *o, int32_t cp)
{
	unsigned char *u = (unsigned char *)o;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	u[0] = (unsigned char)(0xF0 | (cp >> 18));
	u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	u[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Room for n more bytes and the NUL. */
static inline int reserve(pl_buf *b, size_t n)
{
	return b->cap - b->len > n ? PL_OK : pl_buf_grow(b, n);
}

static inline int single_cp(int32_t c)
{
	return (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
	       (c >= 0x1780 && c <= 0x17FF) || (c >= 0x3040 && c <= 0x30FF) ||
	       (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0x20000 && c <= 0x3FFFF);
}

static int grow_tokens(pl_tokens *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	void *p;

	if (cap > SIZE_MAX / sizeof(uint64_t))
		return pl_error_set(PL_ENOMEM, "too many tokens");
	if ((p = realloc(t->hash, cap * sizeof(*t->hash))) == NULL)
		goto oom;
	t->hash = p;
	if ((p = realloc(t->off, cap * sizeof(*t->off))) == NULL)
		goto oom;
	t->off = p;
	if ((p = realloc(t->len, cap * sizeof(*t->len))) == NULL)
		goto oom;
	t->len = p;
	t->cap = cap;
	return PL_OK;
oom:
	return pl_error_set(PL_ENOMEM, "out of memory (%zu tokens)", cap);
}

/* Canonical ordering and composition of the open token, in place in b. */
static int compose(tok_state *st)
{
	pl_tokens *t = st->t;
	pl_buf *b = st->b;
	const unsigned char *s = (const unsigned char *)b->ptr + st->nstart;
	size_t nbytes = b->len - st->nstart, n = 0, i, j;
	utf8proc_ssize_t r;

	if (nbytes > t->scratch_cap) {
		int32_t *p = nbytes > SIZE_MAX / sizeof(*p)
		                 ? NULL
		                 : realloc(t->scratch, nbytes * sizeof(*p));
		if (p == NULL)
			return pl_error_set(PL_ENOMEM, "out of memory (%zu code points)", nbytes);
		t->scratch = p;
		t->scratch_cap = nbytes;
	}
	for (i = 0; i < nbytes; n++) {
		int32_t cp = s[i];
		int l = cp < 0x80 ? 1 : decode(s + i, nbytes - i, &cp);
		t->scratch[n] = cp; /* our own output: always well-formed */
		i += (size_t)l;
	}
	for (i = 1; i < n; i++) {
		int32_t cp = t->scratch[i];
		int ccc = utf8proc_get_property(cp)->combining_class;
		if (ccc == 0)
			continue;
		for (j = i;
		     j > 0 && utf8proc_get_property(t->scratch[j - 1])->combining_class > ccc; j--)
			t->scratch[j] = t->scratch[j - 1];
		t->scratch[j] = cp;
	}
	r = utf8proc_normalize_utf32(t->scratch, (utf8proc_ssize_t)n,
	                             UTF8PROC_COMPOSE | UTF8PROC_STABLE);
	if (r < 0)
		return pl_error_set(PL_ERROR, "utf8proc: %s", utf8proc_errmsg(r));
	/* Composition never lengthens the UTF-8 of a token, but do not rely on it. */
	b->len = st->nstart;
	for (i = 0; i < (size_t)r; i++) {
		int error = reserve(b, 4);
		if (error < 0)
			return error;
		b->len += encode(b->ptr + b->len, t->scratch[i]);
	}
	return PL_OK;
}

/* Open a token at off. The caller has made room for the separating space. */
static inline void tok_open(tok_state *st, uint32_t off)
{
	pl_buf *b = st->b;
	if (st->keep_text && st->t->count > 0)
		b->ptr[b->len++] = ' ';
	st->nstart = b->len;
	st->open = 1;
	st->single = 0;
	st->start = off;
	st->maxcp = 0;
}

static int tok_close_slow(tok_state *st)
{
	int error;
	if (st->maxcp >= 0x300 && (error = compose(st)) < 0)
		return error;
	if (st->t->count == st->t->cap && (error = grow_tokens(st->t)) < 0)
		return error;
	return PL_OK;
}

__attribute__((always_inline)) static inline int tok_close(tok_state *st)
{
	pl_tokens *t = st->t;
	pl_buf *b = st->b;
	size_t n = t->count;
	int error;

	st->open = 0;
	if ((st->maxcp >= 0x300 || n == t->cap) && (error = tok_close_slow(st)) < 0)
		return error;
	t->hash[n] = st->no_hash ? 0 : token_hash(b->ptr + st->nstart, b->len - st->nstart);
	t->off[n] = st->start;
	t->len[n] = st->end - st->start;
	t->count = n + 1;
	if (!st->keep_text)
		b->len = 0;
	return PL_OK;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
#define PL_TEXT_SWAR 1
#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGH (SWAR_ONES * 0x80)

/* The high bit of each byte of v (eight bytes of text, little-endian) that is
 * an ASCII letter or digit. Bytes are first cut to 7 bits so that no addition
 * carries into the next byte; bytes >= 0x80 are masked out at the end. OR 0x20
 * lowercases letters and maps no other byte into a-z. */
static inline uint64_t word_bytes(uint64_t v)
{
	uint64_t v7 = v & ~SWAR_HIGH, l = v7 | SWAR_ONES * 0x20;
	uint64_t digit = (v7 + SWAR_ONES * (0x80 - '0')) & ~(v7 + SWAR_ONES * (0x80 - '9' - 1));
	uint64_t letter = (l + SWAR_ONES * (0x80 - 'a')) & ~(l + SWAR_ONES * (0x80 - 'z' - 1));
	return (digit | letter) & ~v & SWAR_HIGH;
}
/* The high bit of each byte of v that the fast path does not treat as a
 * word byte or a separator: bytes >= 0x80, NUL, and the controls that are
 * removed without separating (all below 0x20 but TAB, LF, VT, FF, CR; DEL). */
static inline uint64_t other_bytes(uint64_t v)
{
	uint64_t v7 = v & ~SWAR_HIGH;
	uint64_t lt20 = ~(v7 + SWAR_ONES * (0x80 - 0x20)) & SWAR_HIGH;
	uint64_t ws =
	    (v7 + SWAR_ONES * (0x80 - 0x09)) & ~(v7 + SWAR_ONES * (0x80 - 0x0E)) & SWAR_HIGH;
	uint64_t del = (v7 + SWAR_ONES) & SWAR_HIGH;
	return (v & SWAR_HIGH) | (lt20 & ~ws) | del;
}

/* The high bits of the eight bytes of m (only 0x80 bits set) as eight bits. */
static inline uint64_t gather(uint64_t m)
{
	return ((m >> 7) * UINT64_C(0x0102040810204080)) >> 56;
}

/* The block scanner: 64 bytes at a time, ASCII only, when no token is open
 * and no normalized text is wanted. Word bytes and the other bytes are two
 * bit masks; every run of word bytes that ends before the first other byte
 * (and before the block's end: it may go on) is a token, emitted with no
 * branch per byte. It needs 16 readable bytes past the block (a token's
 * bytes are loaded 16 at a time). Same tokens as the byte loop. */
#define BLOCK_BYTES 64
#define BLOCK_SLACK 16

static inline int block_token(tok_state *st, const unsigned char *p, uint32_t off, uint32_t n)
{
	pl_tokens *t = st->t;
	uint64_t h = 0;
	int error;
	if (t->count == t->cap && (error = grow_tokens(t)) < 0)
		return error;
	if (!st->no_hash) {
		if (n <= 16) {
			unsigned char b[16];
			uint64_t v0, v1;
			memcpy(&v0, p, 8);
			memcpy(&v1, p + 8, 8);
			v0 |= SWAR_ONES * 0x20; /* lowercases letters, keeps digits */
			v1 |= SWAR_ONES * 0x20;
			memcpy(b, &v0, 8);
			memcpy(b + 8, &v1, 8);
			h = token_hash(b, n);
		} else {
			pl_buf *b = st->b;
			if ((error = reserve(b, n)) < 0)
				return error;
			for (uint32_t k = 0; k < n; k++)
				b->ptr[k] = (char)(p[k] | 0x20);
			h = token_hash(b->ptr, n);
		}
	}
	t->hash[t->count] = h;
	t->off[t->count] = off;
	t->len[t->count] = n;
	t->count++;
	return PL_OK;
}

/* Tokens of the block at s + i; *used: the bytes consumed (0: the block
 * starts with a token that runs past it, or with an other byte). */
static int scan_block(tok_state *st, const unsigned char *s, size_t i, size_t *used)
{
	uint64_t word = 0, other = 0, w;
	unsigned limit;
	int error;
	for (int k = 0; k < 8; k++) {
		uint64_t v;
		memcpy(&v, s + i + 8 * k, 8);
		word |= gather(word_bytes(v)) << (8 * k);
		other |= gather(other_bytes(v)) << (8 * k);
	}
	limit = other ? (unsigned)__builtin_ctzll(other) : BLOCK_BYTES;
	w = limit == BLOCK_BYTES ? word : word & ((UINT64_C(1) << limit) - 1);
	*used = limit;
	while (w) {
		unsigned a = (unsigned)__builtin_ctzll(w);
		uint64_t rest = ~word >> a;
		unsigned e = rest ? a + (unsigned)__builtin_ctzll(rest) : BLOCK_BYTES;
		if (e >= limit) { /* it may go on past the limit */
			*used = a;
			break;
		}
		if ((error = block_token(st, s + i + a, (uint32_t)(i + a), e - a)) < 0)
			return error;
		w &= e == BLOCK_BYTES ? 0 : ~((UINT64_C(1) << e) - 1);
	}
	return PL_OK;
}
#else
#define PL_TEXT_SWAR 0
#endif

static inline int is_letter_or_number(int cat)
{
	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	       (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

/* The general path: one code point cp taken from text[off..off+clen). */
static int put_codepoint(tok_state *st, int32_t cp, uint32_t off, uint32_t clen)
{
	int32_t d[DECOMP_MAX];
	utf8proc_ssize_t n, k;
	int bound = 0, cat, error;

	if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xFFFD)
		return st->open ? tok_close(st) : PL_OK;
	cat = utf8proc_category(cp);
	if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF)
		return PL_OK;
	n = utf8proc_decompose_char(cp, d, DECOMP_MAX, DECOMP_OPTS, &bound);
	if (n < 0 || n > DECOMP_MAX)
		return pl_error_set(PL_ERROR, "utf8proc cannot decompose U+%04X", (unsigned)cp);
	for (k = 0; k < n; k++) {
		int32_t x = d[k];
		cat = utf8proc_category(x);
		if (is_letter_or_number(cat)) {
			int single = single_cp(x);
			if (st->open && (st->single || single) && (error = tok_close(st)) < 0)
				return error;
			if (!st->open) {
				if ((error = reserve(st->b, 1)) < 0)
					return error;
				tok_open(st, off);
			}
			st->single = single;
		} else if (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) {
			if (!st->open)
				continue;
		} else if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF) {
			continue;
		} else {
			if (st->open && (error = tok_close(st)) < 0)
				return error;
			continue;
		}
		if ((error = reserve(st->b, 4)) < 0)
			return error;
		st->b->len += encode(st->b->ptr + st->b->len, x);
		if (x > st->maxcp)
			st->maxcp = x;
		st->end = off + clen;
	}
	return PL_OK;
}

int pl_tokenize(pl_tokens *out, const char *text, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)text;
	const unsigned char *cls_tab = flags & PL_TOK_NO_FASTPATH ? slow_class : fast_class;
	tok_state st;
	size_t i = 0;
	int error;

	if (out == NULL || (text == NULL && len > 0))
		return pl_error_set(PL_EUSAGE, "pl_tokenize: NULL argument");
	out->count = 0;
	out->text.len = 0;
	out->bad_offset = 0;
	if (len > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "record of %zu bytes exceeds the 4 GiB limit", len);
	memset(&st, 0, sizeof(st));
	st.t = out;
	st.b = &out->text;
	st.keep_text = !(flags & PL_TOK_NO_TEXT);
	st.no_hash = (flags & PL_TOK_NO_HASH) != 0;
	if ((error = pl_buf_grow(st.b, len + 16)) < 0)
		goto done;

	while (i < len) {
		unsigned c;
		int32_t cp;
		int clen = 1, cls;
#if PL_TEXT_SWAR
		if (!st.open && !st.keep_text && cls_tab == fast_class &&
		    len - i >= BLOCK_BYTES + BLOCK_SLACK) {
			size_t used;
			if ((error = scan_block(&st, s, i, &used)) < 0)
				goto done;
			if (used) {
				i += used;
				continue;
			}
		}
#endif
		c = s[i];
		cp = (int32_t)c;
		cls = cls_tab[c];

		if (cls == C_WORD) {
			size_t n = 8;
			char *o;
			if (st.open && st.single && (error = tok_close(&st)) < 0)
				goto done;
			/* The run writes at most len - i bytes, plus the space before it. */
			if (st.b->cap - st.b->len <= len - i + 1 &&
			    (error = pl_buf_grow(st.b, len - i + 1)) < 0)
				goto done;
			if (!st.open)
				tok_open(&st, (uint32_t)i);
			o = st.b->ptr + st.b->len;
#if PL_TEXT_SWAR
			/* Eight bytes at a time; stores past the run stay within the
			 * reservation because they never pass text[len]'s position. */
			while (n == 8 && len - i >= 8) {
				uint64_t v, m;
				memcpy(&v, s + i, 8);
				m = ~word_bytes(v) & SWAR_HIGH;
				v |= SWAR_ONES * 0x20;
				memcpy(o, &v, 8);
				n = m ? (size_t)__builtin_ctzll(m) / 8 : 8;
				o += n;
				i += n;
			}
			if (n == 8)
#endif
				while (i < len && cls_tab[s[i]] == C_WORD)
					*o++ = (char)(s[i++] | 0x20);
			st.b->len = (size_t)(o - st.b->ptr);
			st.end = (uint32_t)i;
			continue;
		}
		if (cls == C_SEP) {
			if (st.open && (error = tok_close(&st)) < 0)
				goto done;
			i++;
			continue;
		}
		if (cls == C_SKIP) {
			i++;
			continue;
		}
		if (cls == C_NUL) {
			out->bad_offset = i;
			error = pl_error_set(PL_EINVALID, "NUL byte in text");
			goto done;
		}
		if (c >= 0x80 && (clen = decode(s + i, len - i, &cp)) < 0) {
			if (!(flags & PL_TOK_LOSSY)) {
				out->bad_offset = i;
				error = pl_error_set(PL_EINVALID, "invalid UTF-8");
				goto done;
			}
			cp = 0xFFFD;
			clen = -clen;
		}
		if ((error = put_codepoint(&st, cp, (uint32_t)i, (uint32_t)clen)) < 0)
			goto done;
		i += (size_t)clen;
	}
	if (st.open && (error = tok_close(&st)) < 0)
		goto done;
	if (!st.keep_text)
		st.b->len = 0;
	st.b->ptr[st.b->len] = '\0';

done:
	if (error < 0) {
		out->count = 0;
		out->text.len = 0;
		if (out->text.ptr)
			out->text.ptr[0] = '\0';
	}
	return error;
}

void pl_tokens_free(pl_tokens *t)
{
	if (t == NULL)
		return;
	free(t->hash);
	free(t->off);
	free(t->len);
	free(t->scratch);
	pl_buf_free(&t->text);
	memset(t, 0, sizeof(*t));
}
