/*
 * tiles.c - c2sp.org/tlog-tiles over the ledger (see pl_tiles.h): hash tiles
 * from the index's tree nodes, entry bundles from git, and a static export.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_tiles.h"

static int bad_path(const char *path, const char *why)
{
	return pl_error_set(PL_EINVALID, "'%.200s' is not a tile path: %s", path, why);
}

/* One decimal number of 1..maxdig digits, no sign, no leading zeros unless
 * it is "0"; *p moves past it. */
static int decimal(const char **p, uint64_t *v, int maxdig)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;
	while (s[n] >= '0' && s[n] <= '9') {
		if (n == maxdig)
			return -1;
		x = x * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	*v = x;
	*p = s + n;
	return 0;
}

/* N as x001/x234/067; *p moves past it. */
static int tile_index(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int groups = 0;
	for (;;) {
		int more = *s == 'x';
		if (more)
			s++;
		if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
		      s[2] <= '9'))
			return -1;
		if (groups == 0 && more && s[0] == '0' && s[1] == '0' && s[2] == '0')
			return -1; /* a leading x000: not canonical */
		if (++groups > 7)
			return -1; /* 2^64 has 20 digits: 7 groups */
		if (x > (UINT64_MAX - 999) / 1000)
			return -1;
		x = x * 1000 + (uint64_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
		s += 3;
		if (!more)
			break;
		if (*s != '/')
			return -1;
		s++;
	}
	*v = x;
	*p = s;
	return 0;
}

int pl_tile_parse(pl_tile *t, const char *path)
{
	const char *p = path;
	uint64_t v;
	memset(t, 0, sizeof(*t));
	if (strncmp(p, "tile/", 5) != 0)
		return bad_path(path, "it does not start with tile/");
	p += 5;
	if (strncmp(p, "entries/", 8) == 0) {
		t->entries = 1;
		p += 8;
	} else {
		if (decimal(&p, &v, 2) < 0 || v > 7 || *p != '/')
			return bad_path(path, "the level must be 0..7");
		t->level = (unsigned)v;
		p++;
	}
	if (tile_index(&p, &t->index) < 0)
		return bad_path(path, "the index must be 3-digit groups, all but the last "
		                      "prefixed with x");
	t->width = PL_TILE_WIDTH;
	if (*p == '\0')
		return PL_OK;
	if (strncmp(p, ".p/", 3) != 0)
		return bad_path(path, "only .p/<W> may follow the index");
	p += 3;
	if (decimal(&p, &v, 3) < 0 || v == 0 || v >= PL_TILE_WIDTH || *p != '\0')
		return bad_path(path, "a partial tile's width is 1..255");
	t->width = (unsigned)v;
	return PL_OK;
}

void pl_tile_path(char out[PL_TILE_PATH_MAX], const pl_tile *t)
{
	char groups[7][8];
	int n = 0, len;
	uint64_t x = t->index;
	do {
		snprintf(groups[n++], sizeof(groups[0]), "%03u", (unsigned)(x % 1000));
		x /= 1000;
	} while (x > 0 && n < 7);
	if (t->entries)
		len = snprintf(out, PL_TILE_PATH_MAX, "tile/entries/");
	else
		len = snprintf(out, PL_TILE_PATH_MAX, "tile/%u/", t->level);
	for (int i = n - 1; i >= 0; i--)
		len += snprintf(out + len, (size_t)(PL_TILE_PATH_MAX - len), "%s%s%s",
		                i > 0 ? "x" : "", groups[i], i > 0 ? "/" : "");
	if (t->width < PL_TILE_WIDTH)
		snprintf(out + len, (size_t)(PL_TILE_PATH_MAX - len), ".p/%u", t->width);
}

int pl_tile_entries(const void *data, size_t len, unsigned width, int prefix,
                    int (*fn)(void *ctx, unsigned i, const char *env, size_t n), void *ctx,
                    size_t *used)
{
	const unsigned char *p = data;
	size_t off = 0;
	int error;
	for (unsigned i = 0; i < width; i++) {
		size_t n;
		if (len - off < 2 || (n = (size_t)p[off] << 8 | p[off + 1]) > len - off - 2)
			return pl_error_set(
			    PL_EVERIFY,
			    "entry %u of the bundle is cut short (the bundle has %zu "
			    "bytes, %u entries expected)",
			    i, len, width);
		if (fn && (error = fn(ctx, i, (const char *)p + off + 2, n)) < 0)
			return error;
		off += 2 + n;
	}
	if (used)
		*used = off;
	if (off != len && !prefix)
		return pl_error_set(PL_EVERIFY, "%zu bytes after its %u entries", len - off, width);
	return PL_OK;
}

int pl_tile_read(pl_ledger *l, pl_buf *out, const pl_tile *t, uint64_t size)
{
	unsigned shift = t->entries ? 0 : PL_TILE_HEIGHT * t->level;
	uint64_t nodes = shift >= 64 ? 0 : size >> shift; /* nodes at the tile's level */
	uint64_t first, have;
	unsigned char h[PL_HASH_LEN];
	pl_buf env = PL_BUF_INIT;
	int error = PL_OK;

	if (size > pl_ledger_size(l))
		return pl_error_set(PL_ENOTFOUND, "the ledger has %llu entries, not %llu",
		                    (unsigned long long)pl_ledger_size(l),
		                    (unsigned long long)size);
	if (t->index > UINT64_MAX / PL_TILE_WIDTH)
		return pl_error_set(PL_ENOTFOUND, "no such tile");
	first = t->index * PL_TILE_WIDTH;
	have = nodes > first ? nodes - first : 0;
	if (have > PL_TILE_WIDTH)
		have = PL_TILE_WIDTH;
	/* a full tile once the tree holds it; a partial tile of width W while the
	 * tree holds at least W of its nodes */
	if (have < t->width) {
		char p[PL_TILE_PATH_MAX];
		pl_tile_path(p, t);
		return pl_error_set(PL_ENOTFOUND, "%s is not in the tree of size %llu", p,
		                    (unsigned long long)size);
	}
	pl_buf_clear(out);
	for (unsigned i = 0; i < t->width && error == PL_OK; i++) {
		if (t->entries) {
			unsigned char len2[2];
			if ((error = pl_ledger_entry(l, &env, first + i)) < 0)
				break;
			if (env.len > 0xffff) {
				error =
				    pl_error_set(PL_EINVALID,
				                 "entry %llu is %zu bytes: an entry bundle holds "
				                 "at most 65,535",
				                 (unsigned long long)(first + i), env.len);
				break;
			}
			len2[0] = (unsigned char)(env.len >> 8);
			len2[1] = (unsigned char)env.len;
			if ((error = pl_buf_put(out, len2, 2)) == PL_OK)
				error = pl_buf_put(out, env.ptr, env.len);
		} else {
			if ((error = pl_ledger_node(l, shift, first + i, h)) == PL_OK)
				error = pl_buf_put(out, h, PL_HASH_LEN);
		}
	}
	pl_buf_free(&env);
	return error;
}

/* mkdir -p of the directories of path (relative to dir's own existence). */
static int make_parents(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			*s = '/';
			return pl_error_set(PL_ERROR, "%s: %s", path, strerror(e));
		}
		*s = '/';
	}
	return PL_OK;
}

/* Write data to dir/name (atomically), unless the file already holds exactly
 * these bytes. */
static int put_file(const char *dir, const char *name, const pl_buf *data, int *wrote)
{
	pl_buf path = PL_BUF_INIT, old = PL_BUF_INIT;
	int error;
	*wrote = 0;
	if ((error = pl_buf_printf(&path, "%s/%s", dir, name)) < 0)
		goto done;
	if (pl_read_file(&old, path.ptr, data->len + 1) == PL_OK && old.len == data->len &&
	    memcmp(old.ptr, data->ptr, data->len) == 0)
		goto done;
	if ((error = make_parents(path.ptr)) < 0 ||
	    (error = pl_write_file_atomic(path.ptr, data->ptr, data->len, 0644)) < 0)
		goto done;
	*wrote = 1;
done:
	pl_buf_free(&path);
	pl_buf_free(&old);
	return error;
}

int pl_tiles_export(pl_ledger *l, const char *dir, uint64_t *ntiles)
{
	uint64_t size = pl_ledger_size(l), n = 0;
	pl_buf data = PL_BUF_INIT;
	char path[PL_TILE_PATH_MAX];
	int error = PL_OK, wrote;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return pl_error_set(PL_ERROR, "%s: %s", dir, strerror(errno));
	/* entry bundles, then each level of hash tiles, while the level has nodes */
	for (int lev = -1; lev < 8 && error == PL_OK; lev++) {
		pl_tile t = {lev < 0, lev < 0 ? 0 : (unsigned)lev, 0, PL_TILE_WIDTH};
		unsigned shift = lev < 0 ? 0 : PL_TILE_HEIGHT * (unsigned)lev;
		uint64_t nodes = size >> shift;
		if (nodes == 0)
			break;
		for (uint64_t i = 0; i * PL_TILE_WIDTH < nodes && error == PL_OK; i++) {
			uint64_t w = nodes - i * PL_TILE_WIDTH;
			t.index = i;
			t.width = w >= PL_TILE_WIDTH ? PL_TILE_WIDTH : (unsigned)w;
			pl_tile_path(path, &t);
			if ((error = pl_tile_read(l, &data, &t, size)) == PL_OK &&
			    (error = put_file(dir, path, &data, &wrote)) == PL_OK)
				n += (uint64_t)wrote;
		}
	}
	/* the signed subject index of that size (GET /subjects/<size>), before
	 * the checkpoint that makes readers look for it */
	if (error == PL_OK && (error = pl_ledger_subjects_at(l, &data, size)) == PL_OK) {
		snprintf(path, sizeof(path), "subjects/%llu", (unsigned long long)size);
		error = put_file(dir, path, &data, &wrote);
	}
	if (error == PL_OK && (error = pl_ledger_checkpoint(l, &data)) == PL_OK)
		error = put_file(dir, "checkpoint", &data, &wrote);
	if (ntiles)
		*ntiles = n;
	pl_buf_free(&data);
	return error;
}
