/* Fuzz the shard reader's decompression: gzip (multi-member) and zstd framing
 * detected by magic bytes, then whatever format the stream turns out to be. */
#include "fuzz_shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_shard(data, size, PL_FORMAT_AUTO);
	return 0;
}
