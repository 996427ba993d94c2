/* Fuzz the JSONL shard reader: line scanning, the text field's unescaping,
 * span mapping through escapes, tokenizing each record. */
#include "fuzz_shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_shard(data, size, PL_FORMAT_JSONL);
	return 0;
}
