/* Unit tests of ledger/note.c: the C2SP signed-note vector from SPEC §5.2,
 * the checkpoints and verifier key in tests/fixtures/tlog, and forgeries. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "pl_note.h"
#include "testkey.h"

#define C2SP_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define C2SP_NOTE                                                                                  \
	"This is an example message.\n"                                                            \
	"\n"                                                                                       \
	"\xe2\x80\x94 example.com/foo "                                                            \
	"Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72"     \
	"IneyaQM=\n"
#define ORIGIN "example.org/provledger-test"

static pl_key *vkey_fixture(void)
{
	pl_buf v = PL_BUF_INIT, name = PL_BUF_INIT;
	pl_key *k = NULL;

	read_fixture(&v, "tlog/vkey.txt");
	CHECK_OK(pl_note_parse_verifier_key(&k, &name, v.ptr, v.len));
	CHECK_STR(name.ptr, ORIGIN);
	pl_buf_free(&v);
	pl_buf_free(&name);
	return k;
}

PL_TEST(note, c2sp_vector_verifies)
{
	pl_key *k = NULL;
	pl_buf name = PL_BUF_INIT, text = PL_BUF_INIT, vk = PL_BUF_INIT;

	CHECK_OK(pl_note_parse_verifier_key(&k, &name, C2SP_VKEY, strlen(C2SP_VKEY)));
	CHECK_STR(name.ptr, "example.com/foo");
	CHECK_EQ_INT(pl_note_keyid("example.com/foo", k), 0x530d903a);
	CHECK_OK(pl_note_verifier_key(&vk, "example.com/foo", k));
	CHECK_STR(vk.ptr, C2SP_VKEY);
	CHECK_OK(pl_note_verify(&text, C2SP_NOTE, strlen(C2SP_NOTE), "example.com/foo", k));
	CHECK_STR(text.ptr, "This is an example message.\n");
	pl_key_free(k);
	pl_buf_free(&name);
	pl_buf_free(&text);
	pl_buf_free(&vk);
}

PL_TEST(note, verifier_key_of_test_key)
{
	pl_key *k = test_key();
	pl_buf vk = PL_BUF_INIT, want = PL_BUF_INIT;

	read_fixture(&want, "tlog/vkey.txt");
	want.ptr[strcspn(want.ptr, "\n")] = '\0';
	CHECK_OK(pl_note_verifier_key(&vk, ORIGIN, k));
	CHECK_STR(vk.ptr, want.ptr);
	CHECK_ERR(pl_note_verifier_key(&vk, "bad name", k), PL_EINVALID);
	CHECK_ERR(pl_note_verifier_key(&vk, "bad+name", k), PL_EINVALID);
	CHECK_ERR(pl_note_verifier_key(&vk, "", k), PL_EINVALID);
	pl_key_free(k);
	pl_buf_free(&vk);
	pl_buf_free(&want);
}

PL_TEST(note, bad_verifier_keys)
{
	static const char *bad[] = {
	    "",
	    "example.com/foo",
	    "example.com/foo+530d903a",
	    "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	    "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* keyid */
	    "example.com/fo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  /* name */
	    "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
	    "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* alg 2 */
	    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=",
	    "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	};
	pl_key *k = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pl_note_parse_verifier_key(&k, NULL, bad[i], strlen(bad[i])) != PL_EINVALID)
			pl_test_fail(__FILE__, __LINE__, "accepted bad vkey %zu: %s", i, bad[i]);
		CHECK(k == NULL);
	}
}

PL_TEST(note, tlog_checkpoints_verify)
{
	pl_key *k = vkey_fixture();
	static const char *files[] = {"tlog/checkpoint-3.txt", "tlog/checkpoint-5.txt"};
	static const uint64_t sizes[] = {3, 5};

	for (int i = 0; i < 2; i++) {
		pl_buf note = PL_BUF_INIT, text = PL_BUF_INIT, again = PL_BUF_INIT;
		pl_checkpoint c;
		read_fixture(&note, files[i]);
		CHECK_OK(pl_note_verify(&text, note.ptr, note.len, ORIGIN, k));
		CHECK_OK(pl_checkpoint_parse(&c, text.ptr, text.len));
		CHECK_STR(c.origin, ORIGIN);
		CHECK_EQ_INT(c.size, sizes[i]);
		CHECK_OK(pl_checkpoint_format(&again, c.origin, c.size, c.root));
		CHECK_STR(again.ptr, text.ptr);
		pl_buf_free(&note);
		pl_buf_free(&text);
		pl_buf_free(&again);
	}
	pl_key_free(k);
}

PL_TEST(note, signing_reproduces_checkpoint_5)
{
	pl_key *k = test_key();
	pl_buf note = PL_BUF_INIT, text = PL_BUF_INIT, signed_ = PL_BUF_INIT;
	pl_checkpoint c;

	read_fixture(&note, "tlog/checkpoint-5.txt");
	CHECK_OK(pl_note_verify(&text, note.ptr, note.len, ORIGIN, k));
	CHECK_OK(pl_checkpoint_parse(&c, text.ptr, text.len));
	pl_buf_clear(&text);
	CHECK_OK(pl_checkpoint_format(&text, c.origin, c.size, c.root));
	CHECK_OK(pl_note_sign(&signed_, text.ptr, text.len, ORIGIN, k));
	CHECK_STR(signed_.ptr, note.ptr);
	pl_key_free(k);
	pl_buf_free(&note);
	pl_buf_free(&text);
	pl_buf_free(&signed_);
}

/* Verify note s under (ORIGIN, k) and expect code. */
static void expect(const char *s, pl_key *k, int code, int line)
{
	int rc = pl_note_verify(NULL, s, strlen(s), ORIGIN, k);

	if (rc != code)
		pl_test_fail(__FILE__, line, "returned %d, expected %d (%s) for:\n%s", rc, code,
		             pl_error_last(), s);
}

PL_TEST(note, forgeries_and_malformed_notes)
{
	pl_key *k = vkey_fixture(), *other = NULL;
	pl_buf note = PL_BUF_INIT, s = PL_BUF_INIT;
	char *sigline;
	size_t tlen;

	read_fixture(&note, "tlog/checkpoint-5.txt");
	sigline = strstr(note.ptr, "\n\n") + 2;
	tlen = (size_t)(sigline - note.ptr) - 1;

	/* Changed text. */
	CHECK_OK(pl_buf_puts(&s, note.ptr));
	s.ptr[tlen - 5] ^= 1;
	expect(s.ptr, k, PL_EVERIFY, __LINE__);
	/* Other key. */
	CHECK_OK(pl_key_generate(&other));
	expect(note.ptr, other, PL_EVERIFY, __LINE__);
	/* Signature bytes changed (canonical base64 still). */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_puts(&s, note.ptr));
	s.ptr[s.len - 10] = s.ptr[s.len - 10] == 'A' ? 'B' : 'A';
	expect(s.ptr, k, PL_EVERIFY, __LINE__);
	/* Non-canonical base64: last char before '=' with unused bits set. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_puts(&s, note.ptr));
	CHECK(s.ptr[s.len - 3] == 'I' && s.ptr[s.len - 2] == '=');
	s.ptr[s.len - 3] = 'J';
	expect(s.ptr, k, PL_EINVALID, __LINE__);
	/* Bad base64 characters. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_puts(&s, note.ptr));
	s.ptr[s.len - 10] = '*';
	expect(s.ptr, k, PL_EINVALID, __LINE__);
	/* No signature line at all. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_put(&s, note.ptr, tlen + 1));
	expect(s.ptr, k, PL_EINVALID, __LINE__);
	expect("example.org/provledger-test\n5\n", k, PL_EINVALID, __LINE__);
	/* Missing final newline. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_put(&s, note.ptr, note.len - 1));
	expect(s.ptr, k, PL_EINVALID, __LINE__);
	/* ASCII "-" instead of the em dash. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_put(&s, note.ptr, tlen + 1));
	CHECK_OK(pl_buf_printf(&s, "- %s", sigline + 4));
	expect(s.ptr, k, PL_EINVALID, __LINE__);
	/* Unknown signature lines before and after ours are ignored. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_put(&s, note.ptr, tlen + 1));
	CHECK_OK(pl_buf_puts(&s, "\xe2\x80\x94 witness.example AAAAAAAA\n"));
	CHECK_OK(pl_buf_puts(&s, sigline));
	CHECK_OK(pl_buf_puts(&s, "\xe2\x80\x94 other.example/log ZZZZZZZZ\n"));
	expect(s.ptr, k, PL_OK, __LINE__);
	/* Only unknown signatures. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_put(&s, note.ptr, tlen + 1));
	CHECK_OK(pl_buf_puts(&s, "\xe2\x80\x94 witness.example AAAAAAAA\n"));
	expect(s.ptr, k, PL_EVERIFY, __LINE__);
	/* Our name and key ID with a wrong-length signature is a failure, not "unknown". */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_put(&s, note.ptr, tlen + 1));
	CHECK_OK(pl_buf_puts(&s, "\xe2\x80\x94 " ORIGIN " Wu73OQAA\n"));
	expect(s.ptr, k, PL_EVERIFY, __LINE__);
	/* Control character in the text. */
	expect("a\tb\n\n\xe2\x80\x94 x AAAAAAAA\n", k, PL_EINVALID, __LINE__);
	/* Empty signature line. */
	pl_buf_clear(&s);
	CHECK_OK(pl_buf_puts(&s, note.ptr));
	CHECK_OK(pl_buf_puts(&s, "\xe2\x80\x94 \n"));
	expect(s.ptr, k, PL_EINVALID, __LINE__);
	pl_key_free(k);
	pl_key_free(other);
	pl_buf_free(&note);
	pl_buf_free(&s);
}

PL_TEST(note, sign_round_trip_and_refusals)
{
	pl_key *k = NULL;
	pl_buf out = PL_BUF_INIT, text = PL_BUF_INIT;
	const char *t = "multi\n\nparagraph text\n";

	CHECK_OK(pl_key_generate(&k));
	CHECK_OK(pl_note_sign(&out, t, strlen(t), "log.example", k));
	CHECK_OK(pl_note_verify(&text, out.ptr, out.len, "log.example", k));
	CHECK_STR(text.ptr, t);
	CHECK_ERR(pl_note_verify(NULL, out.ptr, out.len, "log.example2", k), PL_EVERIFY);
	CHECK_ERR(pl_note_sign(&out, "no newline", 10, "log.example", k), PL_EINVALID);
	CHECK_ERR(pl_note_sign(&out, "", 0, "log.example", k), PL_EINVALID);
	CHECK_ERR(pl_note_sign(&out, "x\n", 2, "bad name", k), PL_EINVALID);
	CHECK_ERR(pl_note_sign(&out, "\xff\n", 2, "log.example", k), PL_EINVALID);
	pl_key_free(k);
	pl_buf_free(&out);
	pl_buf_free(&text);
}

PL_TEST(note, checkpoint_parse_strict)
{
	static const char *bad[] = {
	    "",
	    "\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n",
	    "o\n05\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n",
	    "o\n+5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n",
	    "o\n5 \ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n",
	    "o\n\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n",
	    "o\n18446744073709551616\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n",
	    "o\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbb=\n",
	    "o\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs\n",
	    "o\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbsA\n",
	    "o\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=",
	    "o\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n\n",
	    "o\n5\n",
	};
	pl_checkpoint c;
	const char *ok = "o\n0\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\next one\next two\n";
	const char *max = "o\n18446744073709551615\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\n";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pl_checkpoint_parse(&c, bad[i], strlen(bad[i])) != PL_EINVALID)
			pl_test_fail(__FILE__, __LINE__, "accepted bad checkpoint %zu", i);
	CHECK_OK(pl_checkpoint_parse(&c, ok, strlen(ok)));
	CHECK_EQ_INT(c.size, 0);
	CHECK_STR(c.origin, "o");
	CHECK_OK(pl_checkpoint_parse(&c, max, strlen(max)));
	CHECK(c.size == UINT64_MAX);
}
