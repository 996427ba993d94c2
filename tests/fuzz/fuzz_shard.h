/* fuzz_shard.h - drive the shard reader over one input (harnesses shard_*). */
#ifndef PL_FUZZ_SHARD_H
#define PL_FUZZ_SHARD_H

#include "fuzz.h"
#include "pl_shard.h"

/* Read every record of data as format (from a file descriptor), tokenize each,
 * map spans, then finish; check what pl_shard.h promises of the results. */
static inline void fuzz_shard(const uint8_t *data, size_t size, pl_shard_format format)
{
	pl_shard_opts opts = {0};
	pl_shard *s = NULL;
	pl_tokens tok = {0};
	pl_buf esc = PL_BUF_INIT;
	const pl_record *r;
	pl_shard_info info;
	uint64_t last_off = 0, n = 0;
	int fd = fuzz_fd(data, size), rc;

	opts.format = format;
	opts.lossy = size & 1;
	/* small, so that the limit paths are reached too */
	opts.max_record = 1 << 14;
	opts.split = size & 2 ? PL_SPLIT_BLANK_LINE : PL_SPLIT_NONE;
	if ((rc = pl_shard_open_fd(&s, fd, "fuzz", &opts)) < 0)
		goto done;
	while ((rc = pl_shard_next(s, &r)) > 0) {
		uint64_t so, sl;
		FUZZ_ASSERT(r->index == n);
		/* Parquet's offsets point into dictionary pages: not in order. */
		FUZZ_ASSERT(format == PL_FORMAT_PARQUET || n == 0 || r->offset >= last_off);
		FUZZ_ASSERT(format != PL_FORMAT_PARQUET || r->offset + r->length <= size);
		FUZZ_ASSERT(r->text_len <= opts.max_record);
		last_off = r->offset > last_off ? r->offset : last_off;
		n++;
		if (r->name) {
			pl_buf_clear(&esc);
			FUZZ_ASSERT(pl_shard_escape_name(&esc, r->name) == PL_OK);
		}
		if (pl_shard_span(s, &so, &sl, 0, r->text_len) == PL_OK)
			FUZZ_ASSERT(so >= r->offset && so + sl <= r->offset + r->length);
		if (r->text_len > 2 &&
		    pl_shard_span(s, &so, &sl, r->text_len / 3, r->text_len / 3) == PL_OK)
			FUZZ_ASSERT(so >= r->offset && so + sl <= r->offset + r->length);
		FUZZ_ASSERT(pl_shard_span(s, &so, &sl, r->text_len + 1, 0) < 0);
		if (pl_shard_tokenize(s, &tok, 0) == PL_OK) {
			for (size_t i = 0; i < tok.count; i++)
				FUZZ_ASSERT((uint64_t)tok.off[i] + tok.len[i] <= r->text_len);
		}
		pl_shard_record_error(s, PL_EINVALID, r->text_len / 2, "fuzz %d", 1);
		if (n > 4096)
			break;
	}
	if (rc == 0 && pl_shard_finish(s, &info) == PL_OK) {
		FUZZ_ASSERT(info.records == n);
		FUZZ_ASSERT(info.stored_bytes == size);
		FUZZ_ASSERT(last_off <= info.stream_bytes);
	}
done:
	pl_shard_free(s);
	pl_tokens_free(&tok);
	pl_buf_free(&esc);
	close(fd);
}

#endif
