/* Fuzz the Parquet shard reader: the Thrift compact footer (FileMetaData)
 * and page headers, the schema, column chunks, dictionary and data pages
 * (v1 and v2), definition levels, RLE/bit-packed indices, the page codecs. */
#include "fuzz_shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_shard(data, size, PL_FORMAT_PARQUET);
	return 0;
}
