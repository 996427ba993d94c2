/* Fuzz the tar shard reader: ustar, GNU (long names, base-256 sizes) and pax
 * headers, member data, the end-of-archive blocks. */
#include "fuzz_shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_shard(data, size, PL_FORMAT_TAR);
	return 0;
}
