/* Fuzz the tar shard reader: ustar, GNU (long names, base-256 sizes) and pax
 * headers, member data, the end-of-archive blocks; read member by member or,
 * for inputs whose size has bit 2 set, as WebDataset samples. */
#include "fuzz_shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_shard(data, size, size & 4 ? PL_FORMAT_WEBDATASET : PL_FORMAT_TAR);
	return 0;
}
