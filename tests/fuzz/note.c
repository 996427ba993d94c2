/* Fuzz signed notes (pl_note_verify under the fixture key), checkpoint bodies
 * (pl_checkpoint_parse) and verifier keys (pl_note_parse_verifier_key): what
 * parses formats back to the same bytes. */
#include <strings.h>

#include "fuzz.h"
#include "pl_note.h"

static void check_checkpoint(const char *text, size_t len)
{
	pl_checkpoint c;
	pl_buf b = PL_BUF_INIT;
	if (pl_checkpoint_parse(&c, text, len) < 0)
		return;
	FUZZ_ASSERT(memchr(c.origin, '\0', sizeof(c.origin)) != NULL);
	/* the body's first three lines are the canonical ones */
	if (pl_checkpoint_format(&b, c.origin, c.size, c.root) == PL_OK)
		FUZZ_ASSERT(b.len <= len && memcmp(b.ptr, text, b.len) == 0);
	pl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	pl_buf text = PL_BUF_INIT, name = PL_BUF_INIT, vk = PL_BUF_INIT;
	pl_key *k = NULL;
	int rc;

	rc = pl_note_verify(&text, in, size, FUZZ_ORIGIN, fuzz_test_key());
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID || rc == PL_EVERIFY);
	if (rc == PL_OK) {
		FUZZ_ASSERT(text.len < size && memcmp(text.ptr, in, text.len) == 0);
		check_checkpoint(text.ptr, text.len);
	}
	check_checkpoint(in, size);
	if (pl_note_parse_verifier_key(&k, &name, in, size) == PL_OK) {
		FUZZ_ASSERT(pl_note_verifier_key(&vk, name.ptr, k) == PL_OK);
		FUZZ_ASSERT(vk.len == size || (vk.len + 1 == size && in[vk.len] == '\n'));
		/* the key ID's hex digits may be in either case */
		FUZZ_ASSERT(memcmp(vk.ptr, in, name.len + 1) == 0);
		FUZZ_ASSERT(strncasecmp(vk.ptr + name.len + 1, in + name.len + 1, 8) == 0);
		FUZZ_ASSERT(
		    memcmp(vk.ptr + name.len + 9, in + name.len + 9, vk.len - name.len - 9) == 0);
	}
	pl_key_free(k);
	pl_buf_free(&text);
	pl_buf_free(&name);
	pl_buf_free(&vk);
	return 0;
}
