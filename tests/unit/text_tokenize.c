/* Unit tests of hashing/text.c: normalization and tokenization (SPEC §8 step 1). */
#include <stdio.h>
#include <stdlib.h>
#include <utf8proc.h>

#include "harness.h"
#include "pl_text.h"

static pl_tokens T; /* the last tokenization; static so that LSan sees it reachable */
static char spans[4096];

static int same_tokens(const pl_tokens *a, const pl_tokens *b)
{
	if (a->count != b->count || a->text.len != b->text.len ||
	    memcmp(a->text.ptr, b->text.ptr, a->text.len) != 0)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (a->hash[i] != b->hash[i] || a->off[i] != b->off[i] || a->len[i] != b->len[i])
			return 0;
	return 1;
}

/* Tokenize s[0..len) into T with flags and check what must hold for every
 * output: the slow path agrees, PL_TOK_NO_TEXT gives the same tokens, each hash
 * is the hash of the matching word of the text, spans are in order and inside
 * the record. Fills `spans` with "off+len" per token. */
static void tokn(const char *s, size_t len, unsigned flags)
{
	pl_tokens slow = {0}, notext = {0};
	const char *p;
	size_t n = 0, i;

	CHECK_OK(pl_tokenize(&T, s, len, flags));
	CHECK_OK(pl_tokenize(&slow, s, len, flags | PL_TOK_NO_FASTPATH));
	CHECK(same_tokens(&T, &slow));
	CHECK_OK(pl_tokenize(&notext, s, len, flags | PL_TOK_NO_TEXT));
	CHECK_EQ_INT(notext.count, T.count);
	CHECK_EQ_INT(notext.text.len, 0);
	p = T.text.ptr;
	spans[0] = '\0';
	for (i = 0; i < T.count; i++) {
		const char *e = strchr(p, ' ');
		size_t wl = e ? (size_t)(e - p) : strlen(p);
		CHECK(wl > 0);
		CHECK(T.hash[i] == pl_token_hash(p, wl));
		CHECK(notext.hash[i] == T.hash[i]);
		CHECK(notext.off[i] == T.off[i] && notext.len[i] == T.len[i]);
		CHECK(T.len[i] > 0 && (size_t)T.off[i] + T.len[i] <= len);
		if (i > 0)
			CHECK(T.off[i] >= T.off[i - 1]);
		n += (size_t)snprintf(spans + n, sizeof(spans) - n, "%s%u+%u", i ? " " : "",
		                      T.off[i], T.len[i]);
		CHECK(n < sizeof(spans));
		p += wl + (e ? 1 : 0);
	}
	CHECK(*p == '\0');
	CHECK(T.text.ptr[T.text.len] == '\0');
	pl_tokens_free(&slow);
	pl_tokens_free(&notext);
}

static const char *tok(const char *s)
{
	tokn(s, strlen(s), 0);
	return T.text.ptr;
}

static void check_bad(const char *s, size_t len, uint64_t off)
{
	pl_tokens t = {0};
	CHECK_ERR(pl_tokenize(&t, s, len, 0), PL_EINVALID);
	CHECK_STR(pl_error_last(), "invalid UTF-8");
	if (t.bad_offset != off)
		pl_test_fail(__FILE__, __LINE__, "bad_offset %llu, expected %llu",
		             (unsigned long long)t.bad_offset, (unsigned long long)off);
	CHECK_EQ_INT(t.count, 0);
	CHECK_ERR(pl_tokenize(&t, s, len, PL_TOK_NO_FASTPATH), PL_EINVALID);
	CHECK_EQ_INT(t.bad_offset, off);
	pl_tokens_free(&t);
}

PL_TEST(text, ascii_words_and_punctuation)
{
	CHECK_STR(tok("Hello, World! It's 2024."), "hello world it s 2024");
	CHECK_STR(spans, "0+5 7+5 14+2 17+1 19+4");
	CHECK_EQ_INT(T.count, 5);
	CHECK_STR(tok("don't"), "don t");
	CHECK_STR(tok("snake_case-word e-mail@example.com"), "snake case word e mail example com");
	CHECK_STR(tok("3.14 1,000 v2"), "3 14 1 000 v2");
	CHECK_STR(tok("  leading and trailing  "), "leading and trailing");
	CHECK_STR(spans, "2+7 10+3 14+8");
	CHECK_STR(tok("a\tb\nc\rd\ve\ff g"), "a b c d e f g");
	CHECK_STR(tok("ab\x01"
	              "cd\x7f"
	              "ef\x1b"),
	          "abcdef");
	CHECK_STR(spans, "0+8");
}

PL_TEST(text, token_hash_is_xxh3_of_normalized_bytes)
{
	/* XXH3-64 seed 0 reference values (xxhsum -H3 / python xxhash). */
	CHECK(pl_token_hash("", 0) == UINT64_C(0x2d06800538d394c2));
	CHECK(pl_token_hash("a", 1) == UINT64_C(0xe6c632b61e964e1f));
	tok("Hello HELLO hello");
	CHECK_EQ_INT(T.count, 3);
	CHECK(T.hash[0] == pl_token_hash("hello", 5));
	CHECK(T.hash[1] == T.hash[0] && T.hash[2] == T.hash[0]);
}

PL_TEST(text, empty_and_separator_only)
{
	CHECK_STR(tok(""), "");
	CHECK_EQ_INT(T.count, 0);
	CHECK_STR(tok(" ,;.!? \t\n"), "");
	CHECK_EQ_INT(T.count, 0);
	CHECK_OK(pl_tokenize(&T, NULL, 0, 0));
	CHECK_EQ_INT(T.count, 0);
	CHECK_STR(tok("\xe2\x80\x9c\xe2\x80\x9d\xc2\xa0\xe3\x80\x80"),
	          ""); /* “” NBSP ideographic sp */
	CHECK_EQ_INT(T.count, 0);
}

PL_TEST(text, case_folding)
{
	CHECK_STR(tok("Stra\xc3\x9f"
	              "e STRASSE"),
	          "strasse strasse");
	CHECK_STR(spans, "0+7 8+7");
	CHECK(T.hash[0] == T.hash[1]);
	/* Turkish dotted capital I: full case folding gives i + U+0307. */
	CHECK_STR(tok("\xc4\xb0stanbul"), "i\xcc\x87stanbul");
	CHECK_STR(spans, "0+9");
	/* Dotless i stays itself. */
	CHECK_STR(tok("\xc4\xb1"), "\xc4\xb1");
	/* Greek: capital, small and final sigma all fold to σ. */
	CHECK_STR(tok("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xbf\xce\xb4\xce\xbf\xcf\x82"),
	          "\xce\xbf\xce\xb4\xce\xbf\xcf\x83 \xce\xbf\xce\xb4\xce\xbf\xcf\x83");
	CHECK(T.hash[0] == T.hash[1]);
	CHECK_STR(tok("\xc3\x89T\xc3\x89"), "\xc3\xa9t\xc3\xa9"); /* ÉTÉ -> été */
	CHECK_STR(tok("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0"),
	          "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0"); /* Москва */
}

PL_TEST(text, nfkc)
{
	CHECK_STR(tok("\xef\xac\x81ne"), "fine"); /* ﬁ ligature */
	CHECK_STR(spans, "0+5");
	/* Full-width letters and digits. */
	CHECK_STR(tok("\xef\xbc\xa1\xef\xbc\xa2\xef\xbd\x83\xef\xbc\x91\xef\xbc\x92"), "abc12");
	CHECK_STR(spans, "0+15");
	CHECK_STR(tok("x\xc2\xb2 H\xe2\x82\x82O"), "x2 h2o"); /* superscript, subscript */
	CHECK_STR(tok("\xe2\x91\xa0 \xe2\x85\xa2"), "1 iii"); /* ① Ⅲ */
	CHECK_STR(tok("a\xc2\xa0"
	              "b"),
	          "a b"); /* NBSP separates */
	CHECK_STR(spans, "0+1 3+1");
	/* Curly quotes and apostrophes separate. */
	CHECK_STR(tok("\xe2\x80\x9cquoted\xe2\x80\x9d don\xe2\x80\x99t"), "quoted don t");
	CHECK_STR(spans, "3+6 13+3 19+1");
	/* ½ decomposes to 1 U+2044 2: two tokens, both spanning the ½. */
	CHECK_STR(tok("\xc2\xbd"), "1 2");
	CHECK_STR(spans, "0+2 0+2");
	CHECK_STR(tok("\xe2\x84\xa2"), "tm"); /* ™ is So, but decomposes to letters */
	/* Hangul syllables decompose to jamo and compose back. */
	CHECK_STR(tok("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"),
	          "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4");
	CHECK_EQ_INT(T.count, 1);
}

PL_TEST(text, combining_marks)
{
	uint64_t h;
	CHECK_STR(tok("caf\xc3\xa9"), "caf\xc3\xa9");
	h = T.hash[0];
	CHECK_STR(spans, "0+5");
	CHECK_STR(tok("cafe\xcc\x81"), "caf\xc3\xa9"); /* e + U+0301 composes */
	CHECK_STR(spans, "0+6");
	CHECK(T.hash[0] == h);
	CHECK(T.hash[0] == pl_token_hash("caf\xc3\xa9", 5));
	/* Canonical reordering: dot below (220) and dot above (230) in either order. */
	tok("a\xcc\xa3\xcc\x87");
	h = T.hash[0];
	CHECK_STR(tok("a\xcc\x87\xcc\xa3"), "\xe1\xba\xa1\xcc\x87");
	CHECK(T.hash[0] == h);
	/* A mark with no token is dropped; after a Cf it still attaches. */
	CHECK_STR(tok("\xcc\x81"
	              "abc"),
	          "abc");
	CHECK_STR(spans, "2+3");
	CHECK_STR(tok("a \xcc\x81"
	              "b"),
	          "a b");
	CHECK_STR(tok("e\xc2\xad\xcc\x81"), "\xc3\xa9");
	CHECK_STR(spans, "0+5");
	/* A trailing mark extends the span. */
	CHECK_STR(tok("ae\xcc\x88 c"), "a\xc3\xab c");
	CHECK_STR(spans, "0+4 5+1");
}

PL_TEST(text, cjk_thai_kana)
{
	CHECK_STR(tok("\xe4\xb8\xad\xe6\x96\x87"
	              "abc\xe5\xad\x97"),
	          "\xe4\xb8\xad \xe6\x96\x87 abc \xe5\xad\x97");
	CHECK_STR(spans, "0+3 3+3 6+3 9+3");
	/* CJK extension B (4 bytes) and a compatibility ideograph (U+F900 -> U+8C48). */
	CHECK_STR(tok("\xf0\xa0\x80\x80\xef\xa4\x80"), "\xf0\xa0\x80\x80 \xe8\xb1\x88");
	CHECK_STR(spans, "0+4 4+3");
	/* Thai: consonants each a token, vowel sign (Mn) attaches. กิน */
	CHECK_STR(tok("\xe0\xb8\x81\xe0\xb8\xb4\xe0\xb8\x99"),
	          "\xe0\xb8\x81\xe0\xb8\xb4 \xe0\xb8\x99");
	CHECK_STR(spans, "0+6 6+3");
	/* Thai digits are tokens of their own; the baht sign separates. */
	CHECK_STR(tok("\xe0\xb9\x91\xe0\xb9\x92\xe0\xb8\xbf"), "\xe0\xb9\x91 \xe0\xb9\x92");
	/* Hiragana ka + combining voiced mark -> が, one token. */
	CHECK_STR(tok("\xe3\x81\x8b\xe3\x82\x99\xe3\x81\x8c"), "\xe3\x81\x8c \xe3\x81\x8c");
	CHECK_STR(spans, "0+6 6+3");
	CHECK(T.hash[0] == T.hash[1]);
	/* Half-width katakana ｶﾞ -> ガ. */
	CHECK_STR(tok("\xef\xbd\xb6\xef\xbe\x9e"), "\xe3\x82\xac");
	CHECK_STR(spans, "0+6");
	/* Katakana middle dot (Po) separates, prolonged sound mark (Lm) is a token. */
	CHECK_STR(tok("\xe3\x83\x87\xe3\x83\xbb\xe3\x83\xbc"), "\xe3\x83\x87 \xe3\x83\xbc");
	/* Latin after CJK starts a new token; Korean stays whole words. */
	CHECK_STR(tok("\xe5\xad\x97x\xe5\xad\x97"), "\xe5\xad\x97 x \xe5\xad\x97");
}

PL_TEST(text, format_and_control_characters_are_transparent)
{
	CHECK_STR(tok("foo\xc2\xad"
	              "bar"),
	          "foobar"); /* soft hyphen */
	CHECK_STR(spans, "0+8");
	CHECK_STR(tok("foo\xe2\x80\x8b"
	              "bar"),
	          "foobar");                                      /* ZWSP */
	CHECK_STR(tok("\xef\xbb\xbfhello\xef\xbb\xbf"), "hello"); /* BOM */
	CHECK_STR(spans, "3+5");
	CHECK_STR(tok("a\xe2\x80\x8d"
	              "b a\xe2\x80\x8c"
	              "b"),
	          "ab ab"); /* ZWJ, ZWNJ */
	CHECK_STR(tok("a\xc2\x85"
	              "b"),
	          "a b"); /* NEL separates */
	CHECK_STR(tok("a\xc2\x80"
	              "b"),
	          "ab"); /* other C1 controls vanish */
	CHECK_STR(tok("a\xe2\x80\xa8"
	              "b"),
	          "a b"); /* LINE SEPARATOR (Zl) */
}

PL_TEST(text, invalid_utf8)
{
	check_bad("ab\x80"
	          "cd",
	          5, 2); /* stray continuation */
	check_bad("ab\xbf", 3, 2);
	check_bad("ab\xc0\xaf", 4, 2); /* overlong, 2 bytes */
	check_bad("\xc1\xbf", 2, 0);
	check_bad("x\xe0\x80\xaf", 4, 1);       /* overlong, 3 bytes */
	check_bad("xy\xf0\x80\x80\xaf", 6, 2);  /* overlong, 4 bytes */
	check_bad("\xed\xa0\x80", 3, 0);        /* surrogate U+D800 */
	check_bad("ok \xed\xbf\xbf", 6, 3);     /* surrogate U+DFFF */
	check_bad("abc\xf4\x90\x80\x80", 7, 3); /* U+110000 */
	check_bad("\xf5\x80\x80\x80", 4, 0);
	check_bad("\xf8\x88\x80\x80\x80", 5, 0); /* 5-byte form */
	check_bad("a\xfe", 2, 1);
	check_bad("a\xff", 2, 1);
	check_bad("abc\xe2\x82", 5, 3);  /* truncated at the end */
	check_bad("abc\xe2\x82z", 6, 3); /* truncated before ASCII */
	check_bad("\xc3\xa9\xc3", 3, 2); /* é then a lone lead byte */
	check_bad("\xe2\x82\xac\xf0\x9f\x98", 6, 3);
	check_bad("\xc0\x80", 2, 0);             /* overlong NUL is invalid, not NUL */
	check_bad("\xe4\xb8\xad\xc3\x28", 5, 3); /* lead followed by non-continuation */
	/* Valid boundaries. */
	CHECK_STR(tok("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
	          "\xe0\xa0\x80 \xf0\x90\x80\x80"); /* U+07FF is Sc; U+10FFFF Cn */
}

PL_TEST(text, lossy)
{
	tokn("ab\x80"
	     "cd",
	     5, PL_TOK_LOSSY);
	CHECK_STR(T.text.ptr, "ab cd");
	CHECK_STR(spans, "0+2 3+2");
	tokn("a\xe2\x82"
	     "b\xed\xa0\x80"
	     "c\xc3",
	     9, PL_TOK_LOSSY);
	CHECK_STR(T.text.ptr, "a b c");
	CHECK_STR(spans, "0+1 3+1 7+1");
	/* U+FFFD itself is a separator too. */
	tokn("x\xef\xbf\xbdy", 5, PL_TOK_LOSSY);
	CHECK_STR(T.text.ptr, "x y");
}

PL_TEST(text, nul_byte)
{
	pl_tokens t = {0};
	CHECK_ERR(pl_tokenize(&t, "ab\0cd", 5, 0), PL_EINVALID);
	CHECK_STR(pl_error_last(), "NUL byte in text");
	CHECK_EQ_INT(t.bad_offset, 2);
	CHECK_ERR(pl_tokenize(&t, "\xc3\xa9\0", 3, PL_TOK_LOSSY), PL_EINVALID);
	CHECK_STR(pl_error_last(), "NUL byte in text");
	CHECK_EQ_INT(t.bad_offset, 2);
	CHECK_ERR(pl_tokenize(&t, "\0", 1, PL_TOK_LOSSY | PL_TOK_NO_FASTPATH), PL_EINVALID);
	CHECK_EQ_INT(t.bad_offset, 0);
	pl_tokens_free(&t);
}

PL_TEST(text, limits_and_reuse)
{
	pl_tokens t = {0};
	char big[5000];
	CHECK_ERR(pl_tokenize(&t, "x", (size_t)UINT32_MAX + 1, 0), PL_ELIMIT);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (i % 3 == 2) ? ' ' : 'A';
	CHECK_OK(pl_tokenize(&t, big, sizeof(big), 0));
	CHECK_EQ_INT(t.count, 1667);
	CHECK_EQ_INT(t.text.len, 1667 * 3 - 1);
	CHECK_OK(pl_tokenize(&t, "one two", 7, 0));
	CHECK_EQ_INT(t.count, 2);
	CHECK_STR(t.text.ptr, "one two");
	CHECK(t.cap >= 1667);
	/* An error leaves no stale tokens behind. */
	CHECK_ERR(pl_tokenize(&t, "one \xff", 5, 0), PL_EINVALID);
	CHECK_EQ_INT(t.count, 0);
	CHECK_STR(t.text.ptr, "");
	pl_tokens_free(&t);
	pl_tokens_free(&t);
	pl_tokens_free(NULL);
}

/* Letters-only words: the token must be utf8proc's own NFKC_Casefold-like map. */
PL_TEST(text, words_match_utf8proc_map)
{
	static const char *words[] = {
	    "\xc3\x85ngstr\xc3\xb6m",
	    "A\xcc\x8angstro\xcc\x88m",
	    "\xe1\xba\x9e",
	    "\xc7\x85",
	    "\xce\x90",
	    "\xd0\x99\xd0\xbe\xd0\xb4",
	    "\xd7\xa9\xd7\x81\xd7\x9c\xd7\x95\xd7\x9d",
	    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
	    "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82\xe0\xa4\xa6\xe0\xa5\x80",
	    "\xea\xb0\x80\xe1\x86\xa8",
	    "\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8",
	    "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c",
	    "\xf0\x9d\x90\x80\xf0\x9d\x90\x81",
	    "\xe1\xbe\x88",
	    "\xc5\x89",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		utf8proc_uint8_t *m = NULL;
		utf8proc_ssize_t r =
		    utf8proc_map((const utf8proc_uint8_t *)words[i], 0, &m,
		                 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		                     UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
		CHECK(r > 0);
		CHECK_STR(tok(words[i]), (const char *)m);
		CHECK_EQ_INT(T.count, 1);
		free(m);
	}
}

PL_TEST(text, ascii_fast_path_equals_slow_path)
{
	pl_tokens fast = {0}, slow = {0};
	char buf[512];
	unsigned seed = 12345;
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = (size_t)(seed % sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly letters and spaces, sometimes any byte 1..127. */
			unsigned r = (seed >> 16) % 100;
			buf[i] = r < 60   ? (char)('a' + (seed >> 8) % 26)
			         : r < 70 ? (char)('A' + (seed >> 8) % 26)
			         : r < 85 ? ' '
			                  : (char)(1 + (seed >> 8) % 127);
		}
		seed = seed * 1103515245u + 12345u;
		for (unsigned flags = 0; flags < 4; flags++) {
			CHECK_OK(pl_tokenize(&fast, buf, n, flags));
			CHECK_OK(pl_tokenize(&slow, buf, n, flags | PL_TOK_NO_FASTPATH));
			CHECK(same_tokens(&fast, &slow));
		}
	}
	/* Any byte but NUL, lossy: the eight-byte scanner meets bytes >= 0x80. */
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = (size_t)(seed % sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) % 100;
			buf[i] = r < 70 ? (char)("aZ09zA9"[(seed >> 8) % 7])
			                : (char)(1 + (seed >> 8) % 255);
		}
		seed = seed * 1103515245u + 12345u;
		CHECK_OK(pl_tokenize(&fast, buf, n, PL_TOK_LOSSY));
		CHECK_OK(pl_tokenize(&slow, buf, n, PL_TOK_LOSSY | PL_TOK_NO_FASTPATH));
		CHECK(same_tokens(&fast, &slow));
	}
	/* Every byte value next to letters, at every offset of an 8-byte block. */
	for (unsigned c = 1; c < 256; c++) {
		for (size_t at = 0; at < 17; at++) {
			memset(buf, 'q', 24);
			buf[at] = (char)c;
			CHECK_OK(pl_tokenize(&fast, buf, 24, PL_TOK_LOSSY));
			CHECK_OK(pl_tokenize(&slow, buf, 24, PL_TOK_LOSSY | PL_TOK_NO_FASTPATH));
			CHECK(same_tokens(&fast, &slow));
		}
	}
	/* Mixed ASCII and non-ASCII tokens too. */
	for (int iter = 0; iter < 2000; iter++) {
		static const char *parts[] = {"a",
		                              "Z",
		                              "9",
		                              " ",
		                              ".",
		                              "\xc3\xa9",
		                              "\xcc\x81",
		                              "\xe5\xad\x97",
		                              "\xc2\xad",
		                              "\xef\xac\x81",
		                              "\xe3\x82\x99",
		                              "\t",
		                              "\xc3\x9f",
		                              "'",
		                              "\xe0\xb8\xb4"};
		size_t n = 0;
		for (int j = 0; j < 40; j++) {
			seed = seed * 1103515245u + 12345u;
			const char *p = parts[(seed >> 16) % (sizeof(parts) / sizeof(parts[0]))];
			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
		CHECK_OK(pl_tokenize(&fast, buf, n, 0));
		CHECK_OK(pl_tokenize(&slow, buf, n, PL_TOK_NO_FASTPATH));
		CHECK(same_tokens(&fast, &slow));
	}
	pl_tokens_free(&fast);
	pl_tokens_free(&slow);
}

/* The 64-byte block scanner (no normalized text, ASCII, no open token) gives
 * the byte loop's tokens: long texts of words of 1..100 letters and digits,
 * separated by runs of punctuation, whitespace, transparent controls, DEL and
 * bytes >= 0x80, so that tokens start and end at every offset of a block,
 * cross blocks and meet the bytes the scanner leaves to the byte loop. */
PL_TEST(text, block_scanner_equals_byte_loop)
{
	static const char seps[] = " ,.;:!?\"'()-\t\n\r\x0b\x0c";
	static const char other[] = "\x01\x02\x1f\x7f";
	pl_tokens fast = {0}, slow = {0};
	char *buf = malloc(8192);
	unsigned seed = 777;
	CHECK(buf != NULL);
	for (int iter = 0; iter < 400; iter++) {
		size_t n = 0, want = 80 + (size_t)(seed % 4000);
		while (n < want) {
			seed = seed * 1103515245u + 12345u;
			size_t wl = 1 + (seed >> 8) % (iter % 4 == 0 ? 100 : 12);
			for (size_t k = 0; k < wl && n < 8000; k++) {
				seed = seed * 1103515245u + 12345u;
				buf[n++] = "abcXYZ0189qQ"[(seed >> 16) % 12];
			}
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) % 100;
			size_t sl = 1 + (seed >> 8) % 3;
			for (size_t k = 0; k < sl && n < 8000; k++) {
				seed = seed * 1103515245u + 12345u;
				if (r < 85)
					buf[n++] = seps[(seed >> 16) % (sizeof(seps) - 1)];
				else if (r < 92)
					buf[n++] = other[(seed >> 16) % (sizeof(other) - 1)];
				else if (n + 2 <= 8000) {
					buf[n++] = '\xc3'; /* é continues a token */
					buf[n++] = '\xa9';
				}
			}
		}
		for (unsigned flags = 0; flags < 16; flags++) {
			if (flags & PL_TOK_NO_FASTPATH)
				continue;
			CHECK_OK(pl_tokenize(&fast, buf, n, flags));
			CHECK_OK(pl_tokenize(&slow, buf, n, flags | PL_TOK_NO_FASTPATH));
			CHECK(same_tokens(&fast, &slow));
		}
	}
	free(buf);
	pl_tokens_free(&fast);
	pl_tokens_free(&slow);
}
