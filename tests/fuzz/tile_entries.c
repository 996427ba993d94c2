/* Fuzz the entry bundles a remote client splits (pl_tile_entries, every
 * tile/entries/... answer of a server it does not trust): the first byte is
 * the width asked for, the rest the bundle. What splits accounts for every
 * byte (2 + length per entry), in order, and encodes back to the same bytes. */
#include "fuzz.h"
#include "pl_tiles.h"

typedef struct {
	pl_buf back;
	unsigned next;
} seen;

static int one(void *ctx, unsigned i, const char *env, size_t n)
{
	seen *s = ctx;
	FUZZ_ASSERT(i == s->next && n <= 0xffff);
	s->next++;
	pl_buf_putc(&s->back, (char)(n >> 8));
	pl_buf_putc(&s->back, (char)(n & 0xff));
	pl_buf_put(&s->back, env, n);
	return PL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	seen s = {PL_BUF_INIT, 0};
	unsigned width;
	size_t used = 0;
	int rc;
	if (size < 1)
		return 0;
	width = data[0] ? data[0] : PL_TILE_WIDTH;
	for (int prefix = 0; prefix < 2; prefix++) {
		pl_buf_clear(&s.back);
		s.next = 0;
		rc = pl_tile_entries(data + 1, size - 1, width, prefix, one, &s, &used);
		FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
		if (rc == PL_OK) {
			FUZZ_ASSERT(s.next == width && used == s.back.len);
			FUZZ_ASSERT(memcmp(s.back.ptr ? s.back.ptr : "", data + 1, used) == 0);
			FUZZ_ASSERT(prefix || used == size - 1);
		}
	}
	pl_buf_free(&s.back);
	return 0;
}
