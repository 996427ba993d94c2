/* PL_TOK_NO_HASH: the same tokens, offsets and lengths, hashes left zero. */
#include "harness.h"
#include "pl_text.h"

PL_TEST(text, no_hash_keeps_tokens_and_offsets)
{
	static const char s[] = "The quick \xc3\xa9l\xc3\xa8ve, ﬁne Ｆull-width 東京 text.";
	pl_tokens a = {0}, b = {0};
	CHECK_OK(pl_tokenize(&a, s, sizeof(s) - 1, 0));
	CHECK_OK(pl_tokenize(&b, s, sizeof(s) - 1, PL_TOK_NO_HASH | PL_TOK_NO_TEXT));
	CHECK_EQ_INT(b.count, a.count);
	CHECK(a.count > 5);
	for (size_t i = 0; i < a.count; i++) {
		CHECK_EQ_INT(b.off[i], a.off[i]);
		CHECK_EQ_INT(b.len[i], a.len[i]);
		CHECK_EQ_INT(b.hash[i], 0);
		CHECK(a.hash[i] != 0);
	}
	pl_tokens_free(&a);
	pl_tokens_free(&b);
}
