/*
 * shard.c - the shard reader: stored-byte I/O and digests (SHA-256 and the
 * RFC 6962 root, on a helper thread), gzip/zstd decompression, format
 * detection, JSONL line splitting, txt records, and the public API.
 * shard_json.c parses JSONL lines; shard_tar.c reads tar.
 */
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard_int.h"

#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif

typedef unsigned long long ull;

/* ---- helper thread: hashes each stored chunk ---- */

static void hash_chunk(pl_shard *s, const unsigned char *p, size_t n, int sha)
{
	if (sha)
		pl_sha256_update(s->sha, p, n);
	/* Chunks are whole multiples of the leaf size except the file's last. */
	for (size_t o = 0; o < n && !s->opts.no_merkle; o += PL_SHARD__LEAF) {
		size_t k = n - o < PL_SHARD__LEAF ? n - o : PL_SHARD__LEAF;
		/* RFC 6962 leaf hash; a context of our own, not pl_merkle_leaf's
		 * thread-local one, which would outlive this thread. */
		pl_sha256_reset(s->leaf_sha);
		pl_sha256_update(s->leaf_sha, "\0", 1);
		pl_sha256_update(s->leaf_sha, p + o, k);
		pl_sha256_final(s->leaf_sha, s->leaves[s->nleaves++]);
	}
}

static void *worker(void *arg)
{
	pl_shard *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->job && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->job)
			break;
		const unsigned char *p = s->job;
		size_t n = s->job_len;
		int sha = s->job_sha;
		pthread_mutex_unlock(&s->mu);
		hash_chunk(s, p, n, sha);
		pthread_mutex_lock(&s->mu);
		s->job = NULL;
		s->busy = 0;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Wait for the helper, then fold its leaves into the tree here: node hashing
 * uses a thread-local context that must not be created on the helper. */
static void wait_idle(pl_shard *s)
{
	if (s->th_started) {
		pthread_mutex_lock(&s->mu);
		while (s->busy)
			pthread_cond_wait(&s->cv, &s->mu);
		pthread_mutex_unlock(&s->mu);
	}
	for (size_t i = 0; i < s->nleaves; i++)
		pl_merkle_builder_add(&s->mb, s->leaves[i]);
	s->nleaves = 0;
}

static void post(pl_shard *s, const unsigned char *p, size_t n)
{
	if (!s->th_started) {
		hash_chunk(s, p, n, s->worker_sha);
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->job = p;
	s->job_len = n;
	s->job_sha = s->worker_sha;
	s->busy = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- stored bytes ---- */

/* Read the next chunk into the other buffer and hand it to the hasher:
 * 1 with s->cur set, 0 at end of file, < 0 on a read error. */
static int stored_next(pl_shard *s)
{
	int nb = s->cur ^ 1;
	size_t got = 0;
	if (s->stored_eof)
		return 0;
	while (got < PL_SHARD__CHUNK) {
		ssize_t k = read(s->fd, s->buf[nb] + got, PL_SHARD__CHUNK - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return pl_error_set(PL_ERROR, "read error at byte %llu: %s",
			                    (ull)(s->stored + got), strerror(errno));
		if (k == 0) {
			s->stored_eof = 1;
			break;
		}
		got += (size_t)k;
	}
	if (got == 0)
		return 0;
	wait_idle(s); /* the hasher is done with buf[nb] from two chunks ago */
	post(s, s->buf[nb], got);
	s->cur = nb;
	s->len[nb] = got;
	s->in_pos = 0;
	s->stored += got;
	if (s->opts.progress)
		s->opts.progress(s->opts.progress_ctx, s->stored);
	return 1;
}

/* ---- decompression: the window of the decompressed stream ---- */

static int fill_gzip(pl_shard *s, size_t min)
{
	size_t have = 0;
	int rc = 0;
	while (have < min) {
		if (s->in_pos == s->len[s->cur]) {
			if ((rc = stored_next(s)) < 0)
				break;
			if (rc == 0) {
				if (s->z_in_member)
					rc = pl_error_set(PL_EINVALID, "truncated gzip stream");
				break;
			}
		}
		s->z.next_in = s->buf[s->cur] + s->in_pos;
		s->z.avail_in = (uInt)(s->len[s->cur] - s->in_pos);
		s->z.next_out = s->out + have;
		s->z.avail_out = (uInt)(PL_SHARD__OUT - have);
		s->z_in_member = 1;
		rc = inflate(&s->z, Z_NO_FLUSH);
		s->in_pos = s->len[s->cur] - s->z.avail_in;
		have = PL_SHARD__OUT - s->z.avail_out;
		if (rc == Z_STREAM_END) {
			/* Multi-member gzip: whatever follows must be another member. */
			s->z_in_member = 0;
			inflateReset(&s->z);
		} else if (rc == Z_BUF_ERROR) {
			continue; /* needs input: the loop reads more */
		} else if (rc != Z_OK) {
			rc = pl_error_set(PL_EINVALID, "corrupt gzip data (%s)",
			                  s->z.msg ? s->z.msg : "inflate failed");
			break;
		}
		rc = 0;
		if (have == PL_SHARD__OUT)
			break;
	}
	s->w = s->out;
	s->wn = have;
	return rc < 0 ? rc : have > 0;
}

static int fill_zstd(pl_shard *s, size_t min)
{
	ZSTD_outBuffer o = {s->out, PL_SHARD__OUT, 0};
	int rc = 0;
	while (o.pos < min) {
		if (s->in_pos == s->len[s->cur] && !s->z_full) {
			if ((rc = stored_next(s)) < 0)
				break;
			if (rc == 0) {
				if (s->z_last != 0)
					rc = pl_error_set(PL_EINVALID, "truncated zstd stream");
				break;
			}
		}
		ZSTD_inBuffer in = {s->buf[s->cur], s->len[s->cur], s->in_pos};
		size_t r = ZSTD_decompressStream(s->zd, &o, &in);
		s->in_pos = in.pos;
		if (ZSTD_isError(r)) {
			rc = pl_error_set(PL_EINVALID, "corrupt zstd data (%s)",
			                  ZSTD_getErrorName(r));
			break;
		}
		rc = 0;
		s->z_last = r;
		/* A full output buffer may hold back more: call again before
		 * asking for input. */
		s->z_full = o.pos == o.size;
		if (s->z_full)
			break;
	}
	s->w = s->out;
	s->wn = o.pos;
	return rc < 0 ? rc : o.pos > 0;
}

static int fill_min(pl_shard *s, size_t min)
{
	int rc;
	if (s->wo < s->wn)
		return 1;
	if (s->pend)
		return pl_error_set(s->pend, "%s", s->pend_msg);
	if (s->stream_eof)
		return 0;
	s->wpos += s->wn;
	s->wn = s->wo = 0;
	for (;;) {
		switch (s->comp) {
		case PL_COMPRESSION_GZIP:
			rc = fill_gzip(s, min);
			break;
		case PL_COMPRESSION_ZSTD:
			rc = fill_zstd(s, min);
			break;
		default:
			rc = 1;
			if (s->in_pos == s->len[s->cur] && (rc = stored_next(s)) <= 0)
				break;
			s->w = s->buf[s->cur] + s->in_pos;
			s->wn = s->len[s->cur] - s->in_pos;
			s->in_pos = s->len[s->cur];
			break;
		}
		if (rc < 0 && s->wn > 0) {
			/* Hand out the bytes decoded before the damage first, so the
			 * error is reported where the good data ends. */
			s->pend = rc;
			snprintf(s->pend_msg, sizeof(s->pend_msg), "%s", pl_error_last());
			return 1;
		}
		if (rc < 0)
			return rc;
		if (rc == 0) {
			s->stream_eof = 1;
			return 0;
		}
		if (s->wn > 0)
			return 1;
	}
}

int pl_shard__fill(pl_shard *s)
{
	return fill_min(s, 1);
}

int pl_shard__read(pl_shard *s, void *dst, size_t n, size_t *got)
{
	size_t done = 0;
	int rc;
	while (done < n) {
		if ((rc = pl_shard__fill(s)) < 0)
			return rc;
		if (rc == 0)
			break;
		size_t k = s->wn - s->wo;
		if (k > n - done)
			k = n - done;
		if (dst)
			memcpy((char *)dst + done, s->w + s->wo, k);
		s->wo += k;
		done += k;
	}
	*got = done;
	return PL_OK;
}

int pl_shard__too_long(pl_shard *s, const char *what, uint64_t off)
{
	return pl_error_set(PL_ELIMIT,
	                    "%s (byte %llu): record longer than the --max-record limit of %llu "
	                    "bytes (raise it with --max-record BYTES)",
	                    what, (ull)off, (ull)s->opts.max_record);
}

/* ---- lines (JSONL, txt --split blank-line) ---- */

static int has_bom(const unsigned char *p, size_t n)
{
	return n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf;
}

/* The next line without its '\n': 1 (*p, *n, *off set; *nl: a '\n' ended
 * it), 0 at the end of the stream. *p is borrowed until the next call. */
static int next_line(pl_shard *s, const unsigned char **p, size_t *n, uint64_t *off, int *nl)
{
	int rc;
	s->line.len = 0;
	*off = pl_shard__pos(s);
	s->lineno++;
	for (;;) {
		if ((rc = pl_shard__fill(s)) < 0)
			return pl_error_prefix(rc, "line %llu (byte %llu)", (ull)s->lineno,
			                       (ull)pl_shard__pos(s));
		if (rc == 0) {
			*p = (const unsigned char *)s->line.ptr;
			*n = s->line.len;
			*nl = 0;
			return s->line.len > 0 || *off < pl_shard__pos(s);
		}
		const unsigned char *a = s->w + s->wo;
		size_t avail = s->wn - s->wo;
		const unsigned char *e = memchr(a, '\n', avail);
		size_t k = e ? (size_t)(e - a) : avail;
		if (s->line.len + k > s->opts.max_record) {
			char what[64];
			snprintf(what, sizeof(what), "line %llu", (ull)s->lineno);
			return pl_shard__too_long(s, what, *off);
		}
		if (e && s->line.len == 0) {
			*p = a; /* the whole line lies in the window: no copy */
			*n = k;
		} else if ((rc = pl_buf_put(&s->line, a, k)) < 0) {
			return rc;
		}
		s->wo += k + (e != NULL);
		if (e) {
			if (s->line.len) {
				*p = (const unsigned char *)s->line.ptr;
				*n = s->line.len;
			}
			*nl = 1;
			return 1;
		}
	}
}

static int is_blank(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static int jsonl_next(pl_shard *s)
{
	const unsigned char *p;
	size_t n;
	uint64_t off;
	int rc, nl;
	for (;;) {
		if ((rc = next_line(s, &p, &n, &off, &nl)) <= 0)
			return rc;
		if (off == 0 && has_bom(p, n)) {
			/* A UTF-8 BOM opening the stream is not part of the record;
			 * offsets still count it. */
			p += 3;
			n -= 3;
			off += 3;
		}
		if (n && p[n - 1] == '\r')
			n--;
		if (is_blank(p, n))
			continue;
		s->r.offset = off;
		s->r.length = n;
		s->r.line = s->lineno;
		if ((rc = pl_shard__json_line(s, p, n, off)) < 0)
			return rc;
		return 1;
	}
}

static int txt_para_next(pl_shard *s)
{
	const unsigned char *p;
	size_t n, end = 0;
	uint64_t off;
	int rc, nl;
	s->rec.len = 0;
	for (;;) {
		if ((rc = next_line(s, &p, &n, &off, &nl)) < 0)
			return rc;
		if (rc == 0 || is_blank(p, n)) {
			if (rc == 0 || end > 0)
				break;
			continue;
		}
		if (end == 0) {
			s->r.offset = off;
			s->r.line = s->lineno;
		}
		if (s->rec.len + n + 1 > s->opts.max_record) {
			char what[64];
			snprintf(what, sizeof(what), "paragraph at line %llu", (ull)s->r.line);
			return pl_shard__too_long(s, what, s->r.offset);
		}
		if ((rc = pl_buf_put(&s->rec, p, n)) < 0)
			return rc;
		end = s->rec.len - (p[n - 1] == '\r');
		if (nl && (rc = pl_buf_putc(&s->rec, '\n')) < 0)
			return rc;
	}
	if (end == 0)
		return 0;
	s->rec.len = end;
	s->rec.ptr[end] = '\0';
	s->r.length = end;
	s->r.text = s->rec.ptr;
	s->r.text_len = end;
	return 1;
}

static int txt_whole_next(pl_shard *s)
{
	int rc;
	if (s->r.index > 0 || s->have_rec)
		return 0;
	s->rec.len = 0;
	for (;;) {
		if ((rc = pl_shard__fill(s)) < 0)
			return pl_error_prefix(rc, "byte %llu", (ull)pl_shard__pos(s));
		if (rc == 0)
			break;
		size_t k = s->wn - s->wo;
		if (s->rec.len + k > s->opts.max_record)
			return pl_shard__too_long(s, "line 1", 0);
		if ((rc = pl_buf_put(&s->rec, s->w + s->wo, k)) < 0)
			return rc;
		s->wo += k;
	}
	if (s->rec.len == 0)
		return 0;
	s->r.offset = 0;
	s->r.length = s->rec.len;
	s->r.line = 1;
	s->r.text = s->rec.ptr;
	s->r.text_len = s->rec.len;
	return 1;
}

/* ---- open / detect ---- */

static int detect(pl_shard *s)
{
	int rc;
	if ((rc = fill_min(s, 512)) < 0)
		return pl_error_prefix(rc, "byte %llu", (ull)pl_shard__pos(s));
	size_t n = s->wn - s->wo;
	/* an empty stream has no window yet: NULL + 0 is undefined */
	const unsigned char *p = n ? s->w + s->wo : (const unsigned char *)"";
	size_t plen = strlen(s->path);
	if ((n >= 4 && memcmp(p, "PAR1", 4) == 0) ||
	    (plen >= 8 && strcmp(s->path + plen - 8, ".parquet") == 0 &&
	     s->comp == PL_COMPRESSION_NONE)) {
		s->format = PL_FORMAT_PARQUET;
		return PL_OK;
	}
	if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0) {
		s->format = PL_FORMAT_TAR;
		return PL_OK;
	}
	s->format = PL_FORMAT_TXT;
	for (size_t i = has_bom(p, n) ? 3 : 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		if (p[i] == '{')
			s->format = PL_FORMAT_JSONL;
		break;
	}
	return PL_OK;
}

/* Open path, or read fd when path is NULL; name: what messages call it. */
static int shard_open(pl_shard **out, const char *path, int fd, const char *name,
                      const pl_shard_opts *opts)
{
	pl_shard *s = NULL;
	pl_shard_opts def = {0};
	struct stat st;
	int rc = PL_OK;

	if (!opts)
		opts = &def;
	if (opts->max_record > PL_SHARD_MAX_RECORD_LIMIT)
		return pl_error_set(PL_EUSAGE,
		                    "%s: a max_record of %llu bytes is over the limit of %llu "
		                    "bytes (1 GiB)",
		                    name, (ull)opts->max_record, (ull)PL_SHARD_MAX_RECORD_LIMIT);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	s->fd = -1;
	s->opts = *opts;
	s->opts.name = NULL; /* s->path holds it */
	if (!s->opts.max_record)
		s->opts.max_record = PL_SHARD_MAX_RECORD_DEFAULT;
	s->format = opts->format;
	s->worker_sha = opts->format != PL_FORMAT_RAW;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pl_merkle_builder_init(&s->mb);
	s->path = strdup(name);
	s->field = strdup(opts->field ? opts->field : "text");
	s->buf[0] = malloc(PL_SHARD__CHUNK);
	s->buf[1] = malloc(PL_SHARD__CHUNK);
	if (!s->path || !s->field || !s->buf[0] || !s->buf[1]) {
		rc = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	name = s->path;
	s->field_len = strlen(s->field);
	if ((rc = pl_sha256_new(&s->sha)) < 0 || (rc = pl_sha256_new(&s->leaf_sha)) < 0)
		goto done;

	if (path && (s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			rc = pl_error_set(PL_ENOTFOUND, "%s: no such file", name);
		else if (errno == EISDIR)
			rc = pl_error_set(PL_EINVALID, "%s: is a directory, not a shard", name);
		else
			rc = pl_error_set(PL_ERROR, "%s: cannot open: %s", name, strerror(errno));
		goto done;
	}
	if (path) {
		s->own_fd = 1;
	} else {
		s->fd = fd;
	}
	if (fstat(s->fd, &st) < 0) {
		rc = pl_error_set(PL_ERROR, "%s: cannot stat: %s", name, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = pl_error_set(PL_EINVALID, "%s: is a directory, not a shard", name);
		goto done;
	}
#ifdef POSIX_FADV_SEQUENTIAL
	if (s->own_fd)
		posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	if (pthread_create(&s->th, NULL, worker, s) == 0)
		s->th_started = 1;

	s->cur = 1;
	s->in_pos = s->len[1] = 0;
	if ((rc = stored_next(s)) < 0) {
		pl_error_prefix(rc, "%s", name);
		goto done;
	}
	rc = PL_OK;
	if (s->format != PL_FORMAT_RAW) {
		const unsigned char *m = s->buf[s->cur];
		size_t n = s->len[s->cur];
		/* gzip's magic is two bytes: a gzip cut after them is a truncated
		 * gzip stream, not text. */
		if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
			s->comp = PL_COMPRESSION_GZIP;
		else if (n >= 4 &&
		         ((m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
		          ((m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18)))
			s->comp = PL_COMPRESSION_ZSTD;
	}
	if (s->comp != PL_COMPRESSION_NONE && (s->out = malloc(PL_SHARD__OUT)) == NULL) {
		rc = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if (s->comp == PL_COMPRESSION_GZIP) {
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
			rc = pl_error_set(PL_ENOMEM, "%s: cannot initialise zlib", name);
			goto done;
		}
		s->z_init = 1;
	} else if (s->comp == PL_COMPRESSION_ZSTD && (s->zd = ZSTD_createDCtx()) == NULL) {
		rc = pl_error_set(PL_ENOMEM, "%s: cannot initialise zstd", name);
		goto done;
	}
	if (s->format == PL_FORMAT_AUTO && (rc = detect(s)) < 0) {
		pl_error_prefix(rc, "%s", name);
		goto done;
	}
	*out = s;
	s = NULL;
done:
	pl_shard_free(s);
	return rc;
}

int pl_shard_open(pl_shard **out, const char *path, const pl_shard_opts *opts)
{
	const char *name = opts && opts->name ? opts->name : path;
	if (!path)
		return pl_error_set(PL_EUSAGE, "pl_shard_open: NULL path");
	return shard_open(out, path, -1, name, opts);
}

int pl_shard_open_fd(pl_shard **out, int fd, const char *name, const pl_shard_opts *opts)
{
	if (!name)
		name = opts && opts->name ? opts->name : "-";
	if (fd < 0)
		return pl_error_set(PL_EUSAGE, "%s: not an open file descriptor", name);
	return shard_open(out, NULL, fd, name, opts);
}

/* ---- records ---- */

int pl_shard_next(pl_shard *s, const pl_record **rec)
{
	int rc;
	if (s->failed)
		return pl_error_set(PL_EUSAGE, "%s: shard reader used after an error", s->path);
	if (s->done || s->format == PL_FORMAT_RAW)
		return 0;
	if (s->have_rec)
		s->r.index++;
	s->r.name = NULL;
	s->r.line = 0;
	s->raw = NULL;
	s->raw_escaped = s->esc_built = 0;
	switch (s->format) {
	case PL_FORMAT_JSONL:
		rc = jsonl_next(s);
		break;
	case PL_FORMAT_TAR:
		rc = pl_shard__tar_next(s);
		break;
	case PL_FORMAT_WEBDATASET:
		rc = pl_shard__wds_next(s);
		break;
	case PL_FORMAT_PARQUET:
		/* Its messages name the file already. */
		if (!s->pq && (rc = pl_shard__pq_open(s)) < 0) {
			s->failed = 1;
			return rc;
		}
		if ((rc = pl_shard__pq_next(s)) < 0) {
			s->failed = 1;
			s->have_rec = 0;
			return rc;
		}
		break;
	default:
		rc = s->opts.split == PL_SPLIT_BLANK_LINE ? txt_para_next(s) : txt_whole_next(s);
		break;
	}
	if (rc < 0) {
		s->failed = 1;
		s->have_rec = 0;
		return pl_error_prefix(rc, "%s", s->path);
	}
	if (rc == 0) {
		s->have_rec = 0;
		s->done = 1;
		return 0;
	}
	s->have_rec = 1;
	*rec = &s->r;
	return 1;
}

/* Map a decoded offset of the current JSONL field to its raw offset. end:
 * an exclusive end (widen to the end of an escape it falls in). */
static uint64_t map_off(const pl_shard *s, uint64_t d, int end)
{
	size_t lo = 0, hi = s->nesc;
	/* Last escape with dec < d (end) or dec <= d (start). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (end ? s->esc[mid].dec < d : s->esc[mid].dec <= d)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return d;
	const pl_shard__esc *e = &s->esc[lo - 1];
	if (d < (uint64_t)e->dec + e->dlen)
		return end ? (uint64_t)e->raw + e->rlen : e->raw;
	return (uint64_t)e->raw + e->rlen + (d - e->dec - e->dlen);
}

int pl_shard_span(pl_shard *s, uint64_t *stream_off, uint64_t *stream_len, size_t text_off,
                  size_t text_len)
{
	int rc;
	if (!s->have_rec || text_off > s->r.text_len || text_len > s->r.text_len - text_off)
		return pl_error_set(PL_EUSAGE, "span outside the current record");
	if (s->format == PL_FORMAT_PARQUET && !s->pq_exact) {
		/* Compressed: the page (or dictionary page) holding the value. */
		*stream_off = s->r.offset;
		*stream_len = s->r.length;
		return PL_OK;
	}
	if (!s->raw) {
		*stream_off = s->r.offset + text_off;
		*stream_len = text_len;
		return PL_OK;
	}
	if (s->raw_escaped && !s->esc_built) {
		if ((rc = pl_shard__json_escapes(s)) < 0)
			return rc;
	}
	if (!s->raw_escaped) {
		*stream_off = s->raw_off + text_off;
		*stream_len = text_len;
		return PL_OK;
	}
	uint64_t a = map_off(s, text_off, 0);
	uint64_t b = text_len ? map_off(s, text_off + text_len, 1) : a;
	*stream_off = s->raw_off + a;
	*stream_len = b - a;
	return PL_OK;
}

int pl_shard_record_error(pl_shard *s, int code, size_t text_off, const char *fmt, ...)
{
	char msg[512];
	uint64_t off = 0, len = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!s->have_rec)
		return pl_error_set(code, "%s: %s", s->path, msg);
	if (text_off > s->r.text_len)
		text_off = s->r.text_len;
	if (pl_shard_span(s, &off, &len, text_off, 0) < 0)
		off = s->r.offset;
	if (s->format == PL_FORMAT_PARQUET)
		return pl_error_set(code, "%s: row group %llu, row %llu (byte %llu): %s", s->path,
		                    (ull)s->r.row_group, (ull)s->r.row, (ull)off, msg);
	if (s->format == PL_FORMAT_TAR)
		return pl_error_set(code, "%s: member %s (byte %llu): %s", s->path,
		                    s->ename.ptr ? s->ename.ptr : "", (ull)off, msg);
	if (s->format == PL_FORMAT_WEBDATASET)
		return pl_error_set(code, "%s: sample %s, member %s (byte %llu): %s", s->path,
		                    s->okey.ptr ? s->okey.ptr : "",
		                    s->oename.ptr ? s->oename.ptr : "", (ull)off, msg);
	uint64_t line = s->r.line;
	if (s->format == PL_FORMAT_TXT) {
		const char *t = s->r.text, *e = t + text_off;
		while ((t = memchr(t, '\n', (size_t)(e - t))) != NULL) {
			line++;
			t++;
		}
	}
	return pl_error_set(code, "%s: line %llu (byte %llu): %s", s->path, (ull)line, (ull)off,
	                    msg);
}

const char *pl_shard_path(const pl_shard *s)
{
	return s->path;
}

/* The rest of a raw shard through mmap windows rather than read(): no copy,
 * which is what lets two threads beat one `openssl dgst`. Each window is
 * unmapped once hashed, so the resident set stays small. Returns 0 (nothing
 * done: read() takes over) unless the whole rest of the file was hashed. */
static int raw_mapped(pl_shard *s)
{
	struct stat st;
	unsigned char *prev = NULL;
	size_t prev_len = 0;
	/* A descriptor of the caller's may not have started at offset 0. */
	if (!s->own_fd || s->stored_eof || s->stored % PL_SHARD__CHUNK || fstat(s->fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size <= s->stored)
		return 0;
	uint64_t size = (uint64_t)st.st_size;
	while (s->stored < size) {
		size_t n = size - s->stored < PL_SHARD__CHUNK ? (size_t)(size - s->stored)
		                                              : PL_SHARD__CHUNK;
		void *p =
		    mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, s->fd, (off_t)s->stored);
		if (p == MAP_FAILED) {
			if (prev) {
				wait_idle(s);
				munmap(prev, prev_len);
			}
			/* Carry on with read() from here. */
			if (lseek(s->fd, (off_t)s->stored, SEEK_SET) < 0)
				return pl_error_set(PL_ERROR, "seek failed: %s", strerror(errno));
			return 0;
		}
		wait_idle(s);
		if (prev)
			munmap(prev, prev_len);
		post(s, p, n);
		pl_sha256_update(s->sha, p, n);
		prev = p;
		prev_len = n;
		s->stored += n;
		if (s->opts.progress)
			s->opts.progress(s->opts.progress_ctx, s->stored);
	}
	wait_idle(s);
	if (prev)
		munmap(prev, prev_len);
	/* Past the size seen by fstat: a file still growing is read to its end. */
	if (lseek(s->fd, (off_t)s->stored, SEEK_SET) < 0)
		return pl_error_set(PL_ERROR, "seek failed: %s", strerror(errno));
	return 0;
}

int pl_shard_finish(pl_shard *s, pl_shard_info *info)
{
	const pl_record *r;
	int rc;
	if (s->format == PL_FORMAT_RAW) {
		/* Nothing to parse: SHA-256 here while the helper builds the tree. */
		pl_sha256_update(s->sha, s->buf[s->cur] + s->in_pos, s->len[s->cur] - s->in_pos);
		s->in_pos = s->len[s->cur];
		if ((rc = raw_mapped(s)) < 0)
			return pl_error_prefix(rc, "%s", s->path);
		do {
			pl_sha256_update(s->sha, s->buf[s->cur] + s->in_pos,
			                 s->len[s->cur] - s->in_pos);
			s->in_pos = s->len[s->cur];
		} while ((rc = stored_next(s)) > 0);
		if (rc < 0)
			return pl_error_prefix(rc, "%s", s->path);
		s->wpos = s->stored;
	} else {
		while ((rc = pl_shard_next(s, &r)) > 0)
			;
		if (rc < 0)
			return rc;
		/* The rest of the stream (a tar's trailing blocks): decompress it
		 * all, so a corrupt or truncated tail is still an error. */
		for (;;) {
			if ((rc = pl_shard__fill(s)) < 0) {
				s->failed = 1;
				return pl_error_prefix(rc, "%s: byte %llu", s->path,
				                       (ull)pl_shard__pos(s));
			}
			if (rc == 0)
				break;
			s->wo = s->wn;
		}
	}
	wait_idle(s);
	memset(info, 0, sizeof(*info));
	info->stored_bytes = s->stored;
	info->stream_bytes = s->format == PL_FORMAT_RAW ? s->stored : pl_shard__pos(s);
	info->records = s->r.index;
	info->format = s->format;
	info->compression = s->comp;
	pl_sha256_final(s->sha, info->sha256);
	pl_merkle_builder_root(&s->mb, info->merkle);
	if (s->opts.no_merkle)
		memset(info->merkle, 0, sizeof(info->merkle));
	return PL_OK;
}

void pl_shard_free(pl_shard *s)
{
	if (!s)
		return;
	if (s->th_started) {
		pthread_mutex_lock(&s->mu);
		while (s->busy)
			pthread_cond_wait(&s->cv, &s->mu);
		s->quit = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	if (s->fd >= 0 && s->own_fd)
		close(s->fd);
	if (s->z_init)
		inflateEnd(&s->z);
	ZSTD_freeDCtx(s->zd);
	pl_sha256_free(s->sha);
	pl_sha256_free(s->leaf_sha);
	free(s->buf[0]);
	free(s->buf[1]);
	free(s->out);
	free(s->path);
	free(s->field);
	free(s->esc);
	pl_shard__pq_free(s);
	pl_buf_free(&s->line);
	pl_buf_free(&s->rec);
	pl_buf_free(&s->scratch);
	pl_buf_free(&s->name);
	pl_buf_free(&s->longname);
	pl_buf_free(&s->paxname);
	pl_buf_free(&s->ename);
	pl_buf_free(&s->wkey);
	pl_buf_free(&s->wtext);
	pl_buf_free(&s->wename);
	pl_buf_free(&s->okey);
	pl_buf_free(&s->otext);
	pl_buf_free(&s->oename);
	free(s);
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left) that is safe
 * to show as is, or 0. */
static size_t utf8_shown(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len = pl_utf8_seq(p, n, &c);
	if (!len)
		return 0;
	/* C1 controls; bidirectional embeddings, overrides and isolates. */
	if (c < 0xa0 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c)
		return 0;
	return len;
}

int pl_shard_escape_name(pl_buf *out, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);
	int rc = pl_buf_grow(out, n);
	for (size_t i = 0; rc == 0 && i < n;) {
		size_t k;
		if (p[i] == '\\') {
			rc = pl_buf_puts(out, "\\\\");
			i++;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			rc = pl_buf_putc(out, (char)p[i]);
			i++;
		} else if (p[i] >= 0x80 && (k = utf8_shown(p + i, n - i)) > 0) {
			rc = pl_buf_put(out, p + i, k);
			i += k;
		} else {
			rc = pl_buf_printf(out, "\\x%02x", p[i]);
			i++;
		}
	}
	return rc;
}

const char *pl_shard_format_name(pl_shard_format f)
{
	switch (f) {
	case PL_FORMAT_TXT:
		return "txt";
	case PL_FORMAT_JSONL:
		return "jsonl";
	case PL_FORMAT_TAR:
		return "tar";
	case PL_FORMAT_RAW:
		return "raw";
	case PL_FORMAT_PARQUET:
		return "parquet";
	case PL_FORMAT_WEBDATASET:
		return "webdataset";
	default:
		return "auto";
	}
}

const char *pl_compression_name(pl_compression c)
{
	return c == PL_COMPRESSION_GZIP ? "gzip" : c == PL_COMPRESSION_ZSTD ? "zstd" : "none";
}

int pl_shard_format_parse(pl_shard_format *out, const char *name)
{
	static const pl_shard_format all[] = {PL_FORMAT_TXT,     PL_FORMAT_JSONL,
	                                      PL_FORMAT_TAR,     PL_FORMAT_RAW,
	                                      PL_FORMAT_PARQUET, PL_FORMAT_WEBDATASET};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, pl_shard_format_name(all[i])) == 0) {
			*out = all[i];
			return PL_OK;
		}
	}
	return pl_error_set(
	    PL_EINVALID, "unknown format '%s' (txt, jsonl, tar, webdataset, parquet or raw)", name);
}
