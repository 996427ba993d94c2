/* Fuzz the parsing of commit messages ("<type> <name>\n\n" then "seq: N\n
 * leaf: <hex>\n" per entry): pl_ledger__message_entries and
 * pl_ledger__message_seq, as the index catch-up and verify read every
 * commit of git's log. */
#include "fuzz.h"
#include "ledger_internal.h"

#define MAX 8 /* small, so the limit is reached too */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seqs[MAX], one;
	unsigned char leaves[MAX][PL_HASH_LEN];
	size_t n = 0;
	char *msg = fuzz_strdup(data, size);
	int rc;

	rc = pl_ledger__message_entries(seqs, leaves, MAX, &n, msg);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID || rc == PL_ELIMIT);
	FUZZ_ASSERT(n <= MAX);
	if (rc == PL_OK) {
		FUZZ_ASSERT(n >= 1);
		for (size_t i = 1; i < n; i++)
			FUZZ_ASSERT(seqs[i] == seqs[i - 1] + 1);
	}
	pl_ledger__message_seq(&one, msg);
	free(msg);
	return 0;
}
