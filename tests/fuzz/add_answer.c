/* Fuzz the answers a remote client parses from POST /add
 * (pl_remote_parse_added, before it verifies the note, the leaf and the
 * proof): anything is refused with PL_EVERIFY or gives fields in range. */
#include "fuzz.h"
#include "pl_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_added a;
	int rc = pl_remote_parse_added(&a, (const char *)data, size);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
	if (rc == PL_OK) {
		FUZZ_ASSERT(a.seq < a.size && a.note);
		FUZZ_ASSERT(a.proof.len % PL_HASH_LEN == 0 && a.proof.len <= 64 * PL_HASH_LEN);
	} else {
		FUZZ_ASSERT(a.doc == NULL && a.proof.ptr == NULL);
	}
	pl_added_free(&a);
	return 0;
}
