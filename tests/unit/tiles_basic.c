/* Unit tests of net/tiles.c (tile paths, tiles from the index, against a
 * tree computed here with pl_merkle_*) and of pl_ledger_append_batch (a
 * batch with refused items: the others in one commit). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ledgertest.h"
#include "pl_tiles.h"

PL_TEST(tiles, path_roundtrip)
{
	static const struct {
		const char *path;
		int entries;
		unsigned level;
		uint64_t index;
		unsigned width;
	} ok[] = {
	    {"tile/0/000", 0, 0, 0, 256},   {"tile/0/x001/x234/067", 0, 0, 1234067, 256},
	    {"tile/2/005.p/7", 0, 2, 5, 7}, {"tile/entries/x001/000.p/255", 1, 0, 1000, 255},
	    {"tile/7/999", 0, 7, 999, 256},
	};
	static const char *const bad[] = {
	    "tile/8/000",     "tile/0/00",        "tile/0/0000",    "tile/0/x000/001",
	    "tile/0/001/002", "tile/0/000.p/256", "tile/0/000.p/0", "tile/0/000.p/07",
	    "tile/00/000",    "tile/0/x001",      "tiles/0/000",    "tile/entries/000.p/",
	    "tile/0/000/",    "tile/-1/000",      "tile/0/000.q/1", "tile/0/x1/000",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		pl_tile t;
		char p[PL_TILE_PATH_MAX];
		CHECK_OK(pl_tile_parse(&t, ok[i].path));
		CHECK_EQ_INT(t.entries, ok[i].entries);
		CHECK_EQ_INT(t.level, ok[i].level);
		CHECK(t.index == ok[i].index);
		CHECK_EQ_INT(t.width, ok[i].width);
		pl_tile_path(p, &t);
		CHECK_STR(p, ok[i].path);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_tile t;
		CHECK_ERR(pl_tile_parse(&t, bad[i]), PL_EINVALID);
		CHECK_CONTAINS(pl_error_last(), "is not a tile path");
	}
}

PL_TEST(tiles, read_against_the_tree)
{
	pl_ledger *l = lt_init("tiles");
	pl_buf tile = PL_BUF_INIT, env = PL_BUF_INIT;
	unsigned char leaves[300][PL_HASH_LEN], h[PL_HASH_LEN];
	pl_tile t = {0, 0, 0, 0};
	uint64_t n;
	/* 299 more key entries: 300 in all (a full tile 0 and a partial tile 1) */
	for (int i = 1; i < 300; i++) {
		pl_key *k = lt_genkey();
		char name[32];
		snprintf(name, sizeof(name), "k%d", i);
		CHECK_OK(lt_register(l, NULL, k, name, "lab"));
		pl_key_free(k);
	}
	n = pl_ledger_size(l);
	CHECK_EQ_INT(n, 300);
	for (uint64_t i = 0; i < n; i++) {
		CHECK_OK(pl_ledger_entry(l, &env, i));
		pl_merkle_leaf(leaves[i], env.ptr, env.len);
	}
	/* level 0, tile 0: the 256 leaf hashes */
	t.width = 256;
	CHECK_OK(pl_tile_read(l, &tile, &t, n));
	CHECK_EQ_INT(tile.len, 256 * 32);
	CHECK(memcmp(tile.ptr, leaves, 256 * 32) == 0);
	/* level 0, tile 1: partial, 44 wide; narrower ones too; wider is not there */
	t.index = 1;
	t.width = 44;
	CHECK_OK(pl_tile_read(l, &tile, &t, n));
	CHECK(tile.len == 44 * 32 && memcmp(tile.ptr, leaves[256], 44 * 32) == 0);
	t.width = 10;
	CHECK_OK(pl_tile_read(l, &tile, &t, n));
	CHECK(tile.len == 10 * 32);
	t.width = 45;
	CHECK_ERR(pl_tile_read(l, &tile, &t, n), PL_ENOTFOUND);
	t.width = 256;
	CHECK_ERR(pl_tile_read(l, &tile, &t, n), PL_ENOTFOUND);
	/* level 1, tile 0: partial of width 1, the root of the first 256 leaves */
	t.level = 1;
	t.index = 0;
	t.width = 1;
	CHECK_OK(pl_tile_read(l, &tile, &t, n));
	CHECK_OK(pl_ledger_root(l, h, 256));
	CHECK(tile.len == 32 && memcmp(tile.ptr, h, 32) == 0);
	/* entry bundle 1.p/44: length-prefixed envelopes 256..299 */
	t.entries = 1;
	t.level = 0;
	t.index = 1;
	t.width = 44;
	CHECK_OK(pl_tile_read(l, &tile, &t, n));
	{
		size_t off = 0;
		for (uint64_t i = 256; i < 300; i++) {
			size_t len;
			CHECK(off + 2 <= tile.len);
			len = ((size_t)(unsigned char)tile.ptr[off] << 8) |
			      (unsigned char)tile.ptr[off + 1];
			pl_merkle_leaf(h, tile.ptr + off + 2, len);
			CHECK(memcmp(h, leaves[i], 32) == 0);
			off += 2 + len;
		}
		CHECK(off == tile.len);
	}
	/* a tree smaller than the ledger: tile 0 is then partial */
	t.entries = 0;
	t.index = 0;
	t.width = 256;
	CHECK_ERR(pl_tile_read(l, &tile, &t, 200), PL_ENOTFOUND);
	t.width = 200;
	CHECK_OK(pl_tile_read(l, &tile, &t, 200));
	pl_buf_free(&tile);
	pl_buf_free(&env);
	pl_ledger_free(l);
}

PL_TEST(tiles, append_batch_skips_the_refused)
{
	pl_ledger *l = lt_init("batch");
	pl_key *a = lt_genkey(), *b = lt_genkey(), *c = lt_genkey();
	pl_buf ea = PL_BUF_INIT, eb = PL_BUF_INIT, ebad = PL_BUF_INIT, ec = PL_BUF_INIT;
	pl_submission sub[4];
	pl_batch_result res[4];
	uint64_t seq;
	lt_key_entry(&ea, a, a, "a", "lab", NULL);
	lt_key_entry(&eb, b, b, "a", "lab", NULL);   /* the same name: refused after a */
	lt_key_entry(&ebad, c, a, "c", "lab", NULL); /* signed by a for c's key: refused */
	lt_key_entry(&ec, c, c, "c", "lab", NULL);
	sub[0] = (pl_submission){ea.ptr, ea.len, NULL, 0};
	sub[1] = (pl_submission){eb.ptr, eb.len, NULL, 0};
	sub[2] = (pl_submission){ebad.ptr, ebad.len, NULL, 0};
	sub[3] = (pl_submission){ec.ptr, ec.len, NULL, 0};
	CHECK_OK(pl_ledger_append_batch(l, sub, 4, res));
	CHECK_EQ_INT(res[0].code, PL_OK);
	CHECK(res[0].ref.seq == 1);
	CHECK(res[1].code < 0);
	CHECK(res[2].code < 0);
	CHECK(res[1].message[0] && res[2].message[0]);
	CHECK_EQ_INT(res[3].code, PL_OK);
	CHECK(res[3].ref.seq == 2);
	CHECK_STR(res[0].ref.commit, res[3].ref.commit); /* one commit */
	CHECK_EQ_INT(pl_ledger_size(l), 3);
	CHECK_OK(pl_ledger_find_leaf(l, &seq, res[3].ref.leaf));
	CHECK(seq == 2);
	/* all refused: nothing appended, no error */
	CHECK_OK(pl_ledger_append_batch(l, sub + 1, 2, res));
	CHECK(res[0].code < 0 && res[1].code < 0);
	CHECK_EQ_INT(pl_ledger_size(l), 3);
	l = lt_reopen(l);
	CHECK_EQ_INT(pl_ledger_size(l), 3);
	pl_key_free(a);
	pl_key_free(b);
	pl_key_free(c);
	pl_buf_free(&ea);
	pl_buf_free(&eb);
	pl_buf_free(&ebad);
	pl_buf_free(&ec);
	pl_ledger_free(l);
}
