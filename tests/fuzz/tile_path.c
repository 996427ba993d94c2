/* Fuzz the tile paths `serve` parses from every GET /tile/... request
 * (pl_tile_parse): whatever parses prints back to the same path, and the
 * parsed numbers stay in range. */
#include "fuzz.h"
#include "pl_tiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_strdup(data, size);
	pl_tile t;
	int rc = pl_tile_parse(&t, path);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID);
	if (rc == PL_OK) {
		char back[PL_TILE_PATH_MAX];
		FUZZ_ASSERT(t.level <= 7 && t.width >= 1 && t.width <= PL_TILE_WIDTH);
		pl_tile_path(back, &t);
		FUZZ_ASSERT(strcmp(back, path) == 0);
	}
	free(path);
	return 0;
}
