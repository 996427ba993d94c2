/* regfile.c - the lookup table in a file, memory-mapped (pl_regfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "match_internal.h"
#include "pl_regfile.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "registry files are mapped as they are stored: little-endian hosts only"
#endif

/* The file's work record is pl_match_work as it lies in memory. */
_Static_assert(sizeof(pl_match_work) == 72, "pl_match_work is the file's 72-byte work record");
_Static_assert(sizeof(pl_match__entry) == 12, "a table entry is 12 bytes");

enum {
	S_WORKS,
	S_FPOFF,
	S_FPS,
	S_TABLE,
	S_BUCKET,
	S_BLOOM,
	S_BYSHA,
	S_LENGTHS,
	S_DF,
	S_END,
	NSECT
};
#define OFF_SECT 96
#define OFF_DIGEST 176
#define OFF_PART 208
_Static_assert(sizeof(pl_match_df) == 16, "a df record is 16 bytes");

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}
static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t align64(uint64_t x)
{
	return (x + 63) & ~(uint64_t)63;
}

/* Section sizes of a table of this shape. */
static void sizes(uint64_t sz[NSECT], uint64_t nworks, uint64_t nentries, unsigned bits,
                  uint64_t bloom_words, uint64_t nghost, uint64_t ndf)
{
	sz[S_WORKS] = nworks * sizeof(pl_match_work);
	sz[S_FPOFF] = nworks * 8;
	sz[S_FPS] = (nentries - nghost) * PL_MATCH_REC;
	sz[S_TABLE] = nentries * sizeof(pl_match__entry);
	sz[S_BUCKET] = (((uint64_t)1 << bits) + 1) * 4;
	sz[S_BLOOM] = bloom_words * 8;
	sz[S_BYSHA] = nworks * 4;
	sz[S_LENGTHS] = nworks * 4;
	sz[S_DF] = ndf * sizeof(pl_match_df);
	sz[S_END] = 0;
}

int pl_regfile_write(pl_regfile_info *out, const pl_matcher *m, const char *path, uint64_t size,
                     const unsigned char root[PL_HASH_LEN])
{
	uint64_t sz[NSECT], off[NSECT], at = PL_REGFILE_HEADER, fpat = 0;
	uint64_t bloom_words = (uint64_t)8 << (m->bits - m->bloom_shift);
	unsigned char *f = NULL, d[PL_HASH_LEN];
	int error;

	if (!m->sealed || m->map)
		return pl_error_set(PL_EUSAGE,
		                    "registry file: the matcher must be built and sealed");
	sizes(sz, m->nworks, m->nentries, m->bits, bloom_words, m->nghost, m->ndf);
	for (int i = 0; i < NSECT; i++) {
		off[i] = at;
		at = align64(at + sz[i]);
	}
	off[S_END] = at;
	if ((f = calloc(1, (size_t)at)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory: a registry file of %llu bytes",
		                    (unsigned long long)at);
	memcpy(f, PL_REGFILE_MAGIC, 8);
	put32(f + 8, PL_REGFILE_VERSION);
	put32(f + 12, PL_REGFILE_HEADER);
	put32(f + 16, m->k);
	put32(f + 20, m->w);
	put32(f + 24, m->bits);
	put32(f + 28, m->bloom_shift);
	put64(f + 32, m->nworks);
	put64(f + 40, m->nentries);
	put64(f + 48, bloom_words);
	put64(f + 56, size);
	memcpy(f + 64, root, PL_HASH_LEN);
	for (int i = 0; i < NSECT; i++)
		put64(f + OFF_SECT + 8 * i, off[i]);
	put32(f + OFF_PART, m->part_count > 1 ? m->part_index : 0);
	put32(f + OFF_PART + 4, m->part_count > 1 ? m->part_count : 0);
	put64(f + OFF_PART + 8, m->part_count > 1 ? m->part_works : m->nworks);
	put64(f + OFF_PART + 16, m->nghost);
	put64(f + OFF_PART + 24, m->ndf);
	if (m->ndf)
		memcpy(f + off[S_DF], m->df, (size_t)sz[S_DF]);
	if (m->nworks)
		memcpy(f + off[S_WORKS], m->works, (size_t)sz[S_WORKS]);
	for (size_t w = 0; w < m->nworks; w++) {
		size_t n = (size_t)m->works[w].nfps * PL_MATCH_REC;
		put64(f + off[S_FPOFF] + 8 * w, fpat);
		if (n)
			memcpy(f + off[S_FPS] + fpat, m->fps[w], n);
		fpat += n;
	}
	if (m->nentries)
		memcpy(f + off[S_TABLE], m->table, (size_t)sz[S_TABLE]);
	memcpy(f + off[S_BUCKET], m->bucket, (size_t)sz[S_BUCKET]);
	memcpy(f + off[S_BLOOM], m->bloom, (size_t)sz[S_BLOOM]);
	if (m->nworks) {
		memcpy(f + off[S_BYSHA], m->by_sha, (size_t)sz[S_BYSHA]);
		memcpy(f + off[S_LENGTHS], m->lengths, (size_t)sz[S_LENGTHS]);
	}
	pl_sha256(d, f, (size_t)at);
	memcpy(f + OFF_DIGEST, d, PL_HASH_LEN);
	error = pl_write_file_atomic(path, f, (size_t)at, 0644);
	free(f);
	if (error == PL_OK && out) {
		memset(out, 0, sizeof(*out));
		out->ledger_size = size;
		memcpy(out->root, root, PL_HASH_LEN);
		out->works = m->nworks;
		out->entries = m->nentries;
		out->file_bytes = at;
		out->k = m->k;
		out->w = m->w;
		out->part_index = m->part_count > 1 ? m->part_index : 0;
		out->part_count = m->part_count > 1 ? m->part_count : 0;
		out->total_works = m->part_count > 1 ? m->part_works : m->nworks;
	}
	return error;
}

static int corrupt(const char *path, const char *what)
{
	return pl_error_set(PL_EINVALID, "%s: corrupt registry file: %s", path, what);
}

/* Everything a matcher follows from the file stays inside it. */
static int check_content(const char *path, const unsigned char *f, const uint64_t off[NSECT],
                         uint64_t nworks, uint64_t nentries, unsigned bits, uint64_t nghost,
                         uint64_t ndf)
{
	const pl_match_df *df = (const pl_match_df *)(f + off[S_DF]);
	uint64_t ghosts = 0;
	const pl_match_work *works = (const pl_match_work *)(f + off[S_WORKS]);
	const pl_match__entry *t = (const pl_match__entry *)(f + off[S_TABLE]);
	const uint32_t *bucket = (const uint32_t *)(f + off[S_BUCKET]);
	const uint32_t *bysha = (const uint32_t *)(f + off[S_BYSHA]);
	const uint32_t *lengths = (const uint32_t *)(f + off[S_LENGTHS]);
	uint64_t fpat = 0, nb = (uint64_t)1 << bits;
	for (uint64_t w = 0; w < nworks; w++) {
		const pl_match_work *x = &works[w];
		if (memchr(x->id, '\0', sizeof(x->id)) == NULL)
			return corrupt(path, "a work id is not terminated");
		if (get64(f + off[S_FPOFF] + 8 * w) != fpat)
			return corrupt(path,
			               "the works' fingerprint offsets do not follow each other");
		if ((x->has_spans != 0 && x->has_spans != 1) ||
		    (x->has_spans && x->nspans != pl_span_count(x->tokens)) ||
		    (!x->has_spans && x->nspans != 0))
			return corrupt(path, "a work's span count does not fit its length");
		fpat += (uint64_t)x->nfps * PL_MATCH_REC;
		if (bysha[w] >= nworks)
			return corrupt(path, "a work index is out of range");
		if (w && lengths[w] < lengths[w - 1])
			return corrupt(path, "the works' lengths are not sorted");
	}
	if (fpat != (nentries - nghost) * PL_MATCH_REC)
		return corrupt(path, "the works' fingerprints do not add up to the table");
	if (bucket[0] != 0 || bucket[nb] != nentries)
		return corrupt(path, "the buckets do not cover the table");
	for (uint64_t b = 0; b < nb; b++)
		if (bucket[b + 1] < bucket[b])
			return corrupt(path, "the buckets are out of order");
	for (uint64_t e = 0; e < nentries; e++) {
		if (t[e].work == PL_MATCH_GHOST) {
			ghosts++;
			continue;
		}
		if (t[e].work >= nworks || t[e].pos >= works[t[e].work].tokens)
			return corrupt(path, "a table entry names no work or lies beyond its work");
	}
	if (ghosts != nghost)
		return corrupt(path, "the table's ghost entries are not the header's");
	for (uint64_t i = 0; i < ndf; i++)
		if (df[i].df < 2 || (i && df[i].hash <= df[i - 1].hash))
			return corrupt(path, "the document frequencies are not sorted");
	for (uint64_t w = 0, at = 0; w < nworks; w++)
		for (uint32_t i = 0; i < works[w].nfps; i++, at++)
			if (pl_match__rec_pos(f + off[S_FPS], (size_t)at) >= works[w].tokens)
				return corrupt(path, "a fingerprint lies beyond its work");
	return PL_OK;
}

int pl_regfile_part(uint32_t *index, uint32_t *count, const char *path)
{
	unsigned char h[PL_REGFILE_HEADER];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(h, 1, sizeof(h), f) : 0;
	if (f)
		fclose(f);
	*index = *count = 0;
	if (n != sizeof(h) || memcmp(h, PL_REGFILE_MAGIC, 8) != 0 ||
	    get32(h + 8) != PL_REGFILE_VERSION || get32(h + OFF_PART + 4) < 2)
		return 0;
	*index = get32(h + OFF_PART);
	*count = get32(h + OFF_PART + 4);
	return 1;
}

int pl_regfile_map(pl_matcher **out, pl_regfile_info *info, const char *path)
{
	pl_matcher *m = NULL;
	unsigned char *f = MAP_FAILED, d[PL_HASH_LEN], want[PL_HASH_LEN];
	uint64_t sz[NSECT], off[NSECT], nworks, nentries, bloom_words, len, nghost, ndf, total;
	uint32_t pidx, pcount;
	unsigned k, w, bits, shift;
	struct stat st;
	int fd, error = PL_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pl_error_set(errno == ENOENT ? PL_ENOTFOUND : PL_ERROR, "%s: %s", path,
		                    errno == ENOENT ? "no such registry file" : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error = pl_error_set(PL_EINVALID, "%s: not a regular file", path);
		goto done;
	}
	len = (uint64_t)st.st_size;
	if (len < PL_REGFILE_HEADER) {
		error = pl_error_set(
		    PL_EINVALID, "%s: truncated registry file (%llu bytes; the header alone is %d)",
		    path, (unsigned long long)len, PL_REGFILE_HEADER);
		goto done;
	}
	if ((f = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		error = pl_error_set(PL_ERROR, "%s: cannot map: %s", path, strerror(errno));
		goto done;
	}
	if (memcmp(f, PL_REGFILE_MAGIC, 8) != 0) {
		error = pl_error_set(PL_EINVALID, "%s: not a provledger registry file", path);
		goto done;
	}
	if (get32(f + 8) != PL_REGFILE_VERSION || get32(f + 12) != PL_REGFILE_HEADER) {
		error =
		    pl_error_set(PL_EINVALID,
		                 "%s: registry file version %u; this provledger reads version %d "
		                 "(run 'provledger registry build' again)",
		                 path, get32(f + 8), PL_REGFILE_VERSION);
		goto done;
	}
	k = get32(f + 16);
	w = get32(f + 20);
	bits = get32(f + 24);
	shift = get32(f + 28);
	nworks = get64(f + 32);
	nentries = get64(f + 40);
	bloom_words = get64(f + 48);
	pidx = get32(f + OFF_PART);
	pcount = get32(f + OFF_PART + 4);
	total = get64(f + OFF_PART + 8);
	nghost = get64(f + OFF_PART + 16);
	ndf = get64(f + OFF_PART + 24);
	if (k == 0 || w == 0 || bits == 0 || bits > 40 || shift > bits ||
	    bloom_words != (uint64_t)8 << (bits - shift) || nworks >= UINT32_MAX ||
	    nentries > UINT32_MAX || nghost > nentries || pcount == 1 ||
	    (pcount == 0 && (pidx || nghost || ndf || total != nworks)) ||
	    (pcount > 1 && (pidx >= pcount || nworks > total / pcount + 1)) ||
	    ndf > len / sizeof(pl_match_df)) {
		error = corrupt(path, "the header's table shape is impossible");
		goto done;
	}
	if (get64(f + OFF_SECT + 8 * S_END) != len) {
		error = pl_error_set(
		    PL_EINVALID, "%s: truncated registry file (%llu bytes; its header says %llu)",
		    path, (unsigned long long)len,
		    (unsigned long long)get64(f + OFF_SECT + 8 * S_END));
		goto done;
	}
	sizes(sz, nworks, nentries, bits, bloom_words, nghost, ndf);
	for (int i = 0; i < NSECT; i++) {
		off[i] = get64(f + OFF_SECT + 8 * i);
		if (off[i] % 64 ||
		    off[i] < (i ? align64(off[i - 1] + sz[i - 1]) : PL_REGFILE_HEADER) ||
		    off[i] > len) {
			error = corrupt(path, "the sections overlap or lie outside the file");
			goto done;
		}
	}
	{
		/* the digest covers the file with its own 32 bytes zero */
		static const unsigned char zero[PL_HASH_LEN];
		pl_sha256_ctx *h = NULL;
		if ((error = pl_sha256_new(&h)) < 0)
			goto done;
		pl_sha256_update(h, f, OFF_DIGEST);
		pl_sha256_update(h, zero, PL_HASH_LEN);
		pl_sha256_update(h, f + OFF_DIGEST + PL_HASH_LEN,
		                 (size_t)len - OFF_DIGEST - PL_HASH_LEN);
		pl_sha256_final(h, d);
		pl_sha256_free(h);
		memcpy(want, f + OFF_DIGEST, PL_HASH_LEN);
		if (memcmp(d, want, PL_HASH_LEN) != 0) {
			error =
			    pl_error_set(PL_EINVALID,
			                 "%s: corrupt registry file: its digest does not match its "
			                 "content",
			                 path);
			goto done;
		}
	}
	if ((error = check_content(path, f, off, nworks, nentries, bits, nghost, ndf)) < 0)
		goto done;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (nworks && (m->fps = calloc((size_t)nworks, sizeof(*m->fps))) == NULL)) {
		free(m);
		m = NULL;
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	m->k = k;
	m->w = w;
	m->works = (pl_match_work *)(f + off[S_WORKS]);
	m->nworks = m->capworks = (size_t)nworks;
	for (size_t i = 0; i < nworks; i++)
		m->fps[i] = f + off[S_FPS] + get64(f + off[S_FPOFF] + 8 * i);
	m->nfps_total = m->nentries = (size_t)nentries;
	m->table = (pl_match__entry *)(f + off[S_TABLE]);
	m->bucket = (uint32_t *)(f + off[S_BUCKET]);
	m->bits = bits;
	m->bloom = (uint64_t *)(f + off[S_BLOOM]);
	m->bloom_shift = shift;
	m->by_sha = (uint32_t *)(f + off[S_BYSHA]);
	m->lengths = (uint32_t *)(f + off[S_LENGTHS]);
	m->map = f;
	m->map_len = (size_t)len;
	m->nfps_total = (size_t)(nentries - nghost);
	m->nghost = (size_t)nghost;
	if (pcount > 1) {
		m->part_index = pidx;
		m->part_count = pcount;
		m->part_works = total;
		m->df = (pl_match_df *)(f + off[S_DF]);
		m->ndf = (size_t)ndf;
	}
	if (info) {
		memset(info, 0, sizeof(*info));
		info->ledger_size = get64(f + 56);
		memcpy(info->root, f + 64, PL_HASH_LEN);
		info->works = nworks;
		info->entries = nentries;
		info->file_bytes = len;
		info->k = k;
		info->w = w;
		info->part_index = pidx;
		info->part_count = pcount;
		info->total_works = total;
	}
	*out = m;
	f = MAP_FAILED;
done:
	if (f != MAP_FAILED)
		munmap(f, (size_t)len);
	close(fd);
	return error;
}
