/* Unit tests of pl_buf_put_escaped (hashing/common.c): what text output
 * shows of a value, so that no value can forge or reorder a line. */
#include "harness.h"
#include "pl_common.h"

/* The escaped form of the first len bytes of s. */
static const char *esc(pl_buf *b, const char *s, size_t len)
{
	pl_buf_clear(b);
	CHECK_OK(pl_buf_put_escaped(b, s, len));
	return b->ptr;
}
#define ESC(b, lit) esc(b, lit, sizeof(lit) - 1)

PL_TEST(common_escape, plain_text_unchanged)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_STR(ESC(&b, "web-000.jsonl.gz"), "web-000.jsonl.gz");
	CHECK_STR(ESC(&b, "A Novel: \"quoted\", 100% {x} ~"), "A Novel: \"quoted\", 100% {x} ~");
	/* backslashes stay: text escaped once is not escaped again */
	CHECK_STR(ESC(&b, "member a\\x0ab"), "member a\\x0ab");
	/* UTF-8 letters, CJK, emoji, combining marks, NBSP */
	CHECK_STR(
	    ESC(&b, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\x9a e\xcc\x81 \xc2\xa0"),
	    "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\x9a e\xcc\x81 \xc2\xa0");
	pl_buf_free(&b);
}

PL_TEST(common_escape, empty_and_null)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_buf_put_escaped(&b, "", 0));
	CHECK(b.ptr != NULL);
	CHECK_STR(b.ptr, "");
	CHECK_OK(pl_buf_put_escaped(&b, NULL, 0));
	CHECK_STR(b.ptr, "");
	CHECK_EQ_INT(b.len, 0);
	pl_buf_free(&b);
}

PL_TEST(common_escape, line_breaks_and_tabs)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_STR(ESC(&b, "x.jsonl\nattestation training-licence [verified]"),
	          "x.jsonl\\nattestation training-licence [verified]");
	CHECK_STR(ESC(&b, "a\tb\rc\n"), "a\\tb\\rc\\n");
	CHECK_STR(ESC(&b, "\n\n"), "\\n\\n");
	pl_buf_free(&b);
}

PL_TEST(common_escape, other_c0_del_and_nul)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_STR(ESC(&b, "\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
	CHECK_STR(ESC(&b, "a\x7f"
	                  "b\x08"
	                  "c\x0b\x0c\x1f"),
	          "a\\x7fb\\x08c\\x0b\\x0c\\x1f");
	/* len, not the NUL, ends the value */
	CHECK_STR(ESC(&b, "a\0b"), "a\\x00b");
	CHECK_EQ_INT(b.len, 6);
	pl_buf_free(&b);
}

PL_TEST(common_escape, c1_controls)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_STR(ESC(&b, "a\xc2\x80"
	                  "b\xc2\x85"
	                  "c\xc2\x9b"
	                  "d\xc2\x9f"),
	          "a\\u{0080}b\\u{0085}c\\u{009b}d\\u{009f}");
	/* U+00A0 is the first code point past C1: shown as is */
	CHECK_STR(ESC(&b, "\xc2\xa0"), "\xc2\xa0");
	pl_buf_free(&b);
}

PL_TEST(common_escape, bidirectional_controls)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_STR(ESC(&b, "evil\xe2\x80\xaetxt.exe"), "evil\\u{202e}txt.exe");
	CHECK_STR(ESC(&b, "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
	          "\\u{202a}\\u{202b}\\u{202c}\\u{202d}");
	CHECK_STR(ESC(&b, "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
	          "\\u{2066}\\u{2067}\\u{2068}\\u{2069}");
	/* marks and the line and paragraph separators */
	CHECK_STR(ESC(&b, "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c\xe2\x80\xa8\xe2\x80\xa9"),
	          "\\u{200e}\\u{200f}\\u{061c}\\u{2028}\\u{2029}");
	/* their neighbours U+202F, U+2065 and U+206A are shown as they are */
	CHECK_STR(ESC(&b, "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
	          "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	pl_buf_free(&b);
}

PL_TEST(common_escape, invalid_utf8_bytewise)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_STR(ESC(&b, "a\xff"
	                  "b"),
	          "a\\xffb");
	/* overlong '/', a surrogate, past U+10FFFF, a lone continuation byte */
	CHECK_STR(ESC(&b, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\x80"),
	          "\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\x80");
	/* a sequence cut short, at the end and before ASCII */
	CHECK_STR(ESC(&b, "x\xe2\x80"), "x\\xe2\\x80");
	CHECK_STR(ESC(&b, "\xe2\x80z"), "\\xe2\\x80z");
	/* a truncated U+202E must not hide its ASCII neighbour */
	CHECK_STR(ESC(&b, "\xe2\x80\n"), "\\xe2\\x80\\n");
	pl_buf_free(&b);
}

PL_TEST(common_escape, appends)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_buf_puts(&b, "shard "));
	CHECK_OK(pl_buf_put_escaped(&b, "a\nb", 3));
	CHECK_OK(pl_buf_put_escaped(&b, " c", 2));
	CHECK_STR(b.ptr, "shard a\\nb c");
	CHECK_EQ_INT(b.len, 12);
	pl_buf_free(&b);
}

PL_TEST(common_escape, never_a_control_byte_in_the_output)
{
	pl_buf b = PL_BUF_INIT;
	unsigned char all[256 * 3];
	/* every byte value, alone and followed by continuation bytes */
	for (int i = 0; i < 256; i++) {
		all[3 * i] = (unsigned char)i;
		all[3 * i + 1] = 0x80 | (unsigned char)(i & 0x3f);
		all[3 * i + 2] = 0x80 | (unsigned char)(i >> 2);
	}
	esc(&b, (const char *)all, sizeof(all));
	CHECK_EQ_INT(strlen(b.ptr), b.len);
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.ptr[i];
		CHECK(c >= 0x20 && c != 0x7f);
		/* no C1 control as UTF-8 (C2 80..C2 9F) */
		if (c == 0xc2 && i + 1 < b.len)
			CHECK((unsigned char)b.ptr[i + 1] >= 0xa0);
	}
	CHECK(strstr(b.ptr, "\xe2\x80\xae") == NULL);
	pl_buf_free(&b);
}
