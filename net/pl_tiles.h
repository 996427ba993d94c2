/*
 * pl_tiles.h - the ledger as c2sp.org/tlog-tiles: tiles of height 8 (256
 * hashes of 32 bytes), entry bundles of the envelope bytes (each prefixed by
 * its length, uint16 big-endian), paths tile/<L>/<N>[.p/<W>] and
 * tile/entries/<N>[.p/<W>] with N in 3-digit groups (1234067 ->
 * x001/x234/067). What `serve` answers and `tiles export` writes.
 */
#ifndef PL_TILES_H
#define PL_TILES_H

#include <stdint.h>

#include "pl_common.h"
#include "pl_ledger.h"

#define PL_TILE_HEIGHT 8
#define PL_TILE_WIDTH 256
#define PL_TILE_PATH_MAX 96

typedef struct {
	int entries;    /* 1: tile/entries/..., 0: a hash tile */
	unsigned level; /* L (hash tiles): its hashes are tree nodes of level 8L */
	uint64_t index; /* N */
	unsigned width; /* W, 1..256; 256 is a full tile (no .p/) */
} pl_tile;

/* Parse a tile path, "tile/..." without a leading '/'. PL_EINVALID (message
 * naming the path) when it is not a canonical tile path: L above 7, a group
 * that is not 3 digits, a leading x000, W outside 1..255. */
int pl_tile_parse(pl_tile *t, const char *path);

/* The canonical path of t ("tile/0/x001/234.p/5"). */
void pl_tile_path(char out[PL_TILE_PATH_MAX], const pl_tile *t);

/* The bytes of tile t in the tree of size `size` (at most the ledger's):
 * PL_ENOTFOUND when the tree of that size does not hold it with that width
 * (a full tile not yet full, a partial one wider than the tree's). */
int pl_tile_read(pl_ledger *l, pl_buf *out, const pl_tile *t, uint64_t size);

/* The first `width` entries of an entry bundle (data, len), in order: fn
 * gets each envelope (i from 0). PL_EVERIFY naming what is wrong when an
 * entry is cut short, or when bytes follow them and !prefix (prefix: a full
 * bundle read for its first entries). fn failing stops it with its code. */
int pl_tile_entries(const void *data, size_t len, unsigned width, int prefix,
                    int (*fn)(void *ctx, unsigned i, const char *env, size_t n), void *ctx,
                    size_t *used);

/* Write the checkpoint and every tile of the ledger's tree (full tiles, and
 * the partial tiles of its size) under dir, as a static tlog-tiles log:
 * dir/checkpoint, dir/tile/... Files already there with the same bytes are
 * kept (full tiles never change). *ntiles (may be NULL) gets how many tiles
 * it wrote. */
int pl_tiles_export(pl_ledger *l, const char *dir, uint64_t *ntiles);

#endif
