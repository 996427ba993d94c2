/*
 * pl_shard.h - streaming shard readers (SPEC §1, §4): plain text, JSONL, tar
 * (WebDataset), each optionally gzip or zstd compressed, with the stored-byte
 * digests (SHA-256 and the RFC 6962 Merkle root over 1 MiB chunks) computed in
 * the same single pass.
 *
 *	pl_shard *s = NULL;
 *	const pl_record *r;
 *	pl_shard_info info;
 *	int rc;
 *
 *	if ((rc = pl_shard_open(&s, path, &opts)) < 0)
 *		goto done;
 *	while ((rc = pl_shard_next(s, &r)) > 0)
 *		use(r->text, r->text_len);        (borrowed until the next call)
 *	if (rc == 0)
 *		rc = pl_shard_finish(s, &info);    (drains the rest, digests)
 *	done:
 *	pl_shard_free(s);
 *
 * Memory does not grow with the shard: one record is buffered at a time, up to
 * opts.max_record bytes (PL_ELIMIT beyond). Errors are PL_EINVALID (bad input),
 * PL_ENOTFOUND (missing file), PL_ELIMIT, PL_ERROR (I/O), with one message that
 * names the file, the record and the byte offset in the decompressed stream,
 * e.g. "a.jsonl.gz: line 12 (byte 3456): invalid JSON: unterminated string".
 * A pl_shard is used by one thread; it runs one helper thread of its own for
 * hashing.
 */
#ifndef PL_SHARD_H
#define PL_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "pl_common.h"
#include "pl_hash.h"
#include "pl_text.h"

typedef enum {
	PL_FORMAT_AUTO = 0, /* detect on the decompressed stream */
	PL_FORMAT_TXT,
	PL_FORMAT_JSONL,
	PL_FORMAT_TAR,
	PL_FORMAT_RAW, /* digests only, no records */
	PL_FORMAT_PARQUET,
	/* a tar read as WebDataset samples: consecutive members whose names share
	 * a key (the name up to the first '.' of its last component) are one
	 * record, the text of the member whose extension is field (NULL: "txt"
	 * or "text"); images, .json sidecars and the rest are skipped. Only when
	 * asked for (--format webdataset): auto-detection reads a tar member by
	 * member. */
	PL_FORMAT_WEBDATASET
} pl_shard_format;

typedef enum { PL_COMPRESSION_NONE = 0, PL_COMPRESSION_GZIP, PL_COMPRESSION_ZSTD } pl_compression;

typedef enum {
	PL_SPLIT_NONE = 0,      /* a .txt file is one record */
	PL_SPLIT_BLANK_LINE = 1 /* one record per paragraph; blank = empty or only spaces/tabs */
} pl_shard_split;

#define PL_SHARD_MAX_RECORD_DEFAULT ((uint64_t)64 << 20)
/* The largest max_record accepted (1 GiB): a record is held in memory, and a
 * bound far below SIZE_MAX keeps every size computed from it from wrapping. */
#define PL_SHARD_MAX_RECORD_LIMIT ((uint64_t)1 << 30)

/* Options; zero-initialise for the defaults. */
typedef struct {
	/* PL_FORMAT_AUTO: "ustar" at 257 → tar, '{' first (after an optional
	 * UTF-8 BOM and blanks) → jsonl, else txt. A BOM opening a JSONL stream
	 * is skipped; offsets still count its 3 bytes. */
	pl_shard_format format;
	const char *field;    /* JSONL text field (top-level string); NULL → "text" */
	pl_shard_split split; /* txt only */
	int lossy;            /* pl_shard_tokenize: invalid UTF-8 → U+FFFD instead of an error */
	uint64_t max_record;  /* largest record buffered, in bytes; 0 → 64 MiB; at most
	                         PL_SHARD_MAX_RECORD_LIMIT (PL_EUSAGE beyond) */
	/* Called from pl_shard_next/finish after each stored chunk is read, with
	 * the stored bytes read so far (for a progress bar). May be NULL. */
	void (*progress)(void *ctx, uint64_t stored_bytes_done);
	void *progress_ctx;
	/* What messages and pl_shard_path call the shard instead of the path
	 * opened (e.g. "-" for a copy of stdin). NULL: the path. Copied. */
	const char *name;
	/* Skip the RFC 6962 root over the stored bytes (info.merkle is left
	 * zero): a second SHA-256 pass that a caller without a manifest to
	 * write (`check`) does not need. */
	int no_merkle;
} pl_shard_opts;

/* One record. Everything is borrowed from the pl_shard and valid until the
 * next pl_shard_next, pl_shard_finish or pl_shard_free. */
typedef struct {
	uint64_t index; /* 0-based record index */
	/* Byte offset in the decompressed stream. Parquet: the file offset of
	 * the value's bytes when its page is stored uncompressed, else of the
	 * page (or dictionary page) holding it; so not in increasing order. */
	uint64_t offset;
	/* JSONL: the line without its "\n" or "\r\n"; tar: member data; txt:
	 * the file or the paragraph; Parquet: the value, or the page holding it
	 * (0 for a null). */
	uint64_t length;
	uint64_t line;           /* 1-based line number of the record's start (0 for tar) */
	const char *name;        /* tar member name, else NULL */
	uint64_t row_group, row; /* Parquet: 0-based row group, row within it */
	const char *text;        /* the decoded text: for JSONL the unescaped field value */
	size_t text_len;         /* not NUL-terminated; may contain NUL bytes */
} pl_record;

/* What pl_shard_finish reports. */
typedef struct {
	uint64_t stored_bytes;             /* size of the file as stored */
	uint64_t stream_bytes;             /* size of the decompressed stream */
	uint64_t records;                  /* records yielded */
	pl_shard_format format;            /* the format used (detected or forced) */
	pl_compression compression;        /* detected by magic bytes */
	unsigned char sha256[PL_HASH_LEN]; /* SHA-256 of the stored bytes (= sha256sum) */
	unsigned char merkle[PL_HASH_LEN]; /* RFC 6962 root over 1 MiB stored chunks */
} pl_shard_info;

typedef struct pl_shard pl_shard;

/* Open path for reading. opts may be NULL (defaults). Detects compression and
 * format (reading the first block). Errors: PL_ENOTFOUND (no such file),
 * PL_EINVALID (a directory, not a regular file, corrupt compressed header),
 * PL_ERROR (unreadable: the message holds strerror), PL_EUSAGE (bad opts).
 * opts->field is copied. *out is the caller's, freed with pl_shard_free. */
int pl_shard_open(pl_shard **out, const char *path, const pl_shard_opts *opts);

/* As pl_shard_open, but read the open descriptor fd (a pipe, a terminal or a
 * file, from its current offset to its end) instead of opening a path; name
 * (e.g. "-" for stdin; NULL: opts->name, else "-") stands for it in messages
 * and pl_shard_path. fd stays the caller's: it is not closed. Compression and
 * format are detected as for a file. */
int pl_shard_open_fd(pl_shard **out, int fd, const char *name, const pl_shard_opts *opts);

/* The next record: 1 and *rec set; 0 at the end of the records; < 0 on error
 * (message set; the shard is then unusable except for pl_shard_free). For
 * PL_FORMAT_RAW it returns 0 at once. */
int pl_shard_next(pl_shard *s, const pl_record **rec);

/* Map the byte span [text_off, text_off + text_len) of the current record's
 * decoded text to the span of the decompressed stream it was decoded from
 * (JSONL escapes such as \n, \u00e9 and surrogate pairs make them differ; for
 * tar and txt it is a plain shift). A span that starts or ends inside an
 * escape widens to cover the whole escape. PL_EUSAGE when there is no current
 * record or the span lies outside its text. */
int pl_shard_span(pl_shard *s, uint64_t *stream_off, uint64_t *stream_len, size_t text_off,
                  size_t text_len);

/* Set an error for the current record in the standard form and return code:
 * "<path>: line N (byte X): <msg>" (JSONL and txt; N and X located from
 * text_off, a byte offset into the record's decoded text) or
 * "<path>: member NAME (byte X): <msg>" (tar). */
int pl_shard_record_error(pl_shard *s, int code, size_t text_off, const char *fmt, ...)
    PL_PRINTF(4, 5);

/* pl_tokenize the current record's text into tok (flags as pl_tokenize;
 * PL_TOK_LOSSY is added when opts.lossy). Invalid UTF-8 or a NUL byte gives
 * PL_EINVALID with the standard record message, the byte offset mapped to the
 * decompressed stream: "a.jsonl: line 3 (byte 812): invalid UTF-8". */
int pl_shard_tokenize(pl_shard *s, pl_tokens *tok, unsigned flags);

/* The path as given to pl_shard_open. Borrowed. */
const char *pl_shard_path(const pl_shard *s);

/* Drain the rest of the stored bytes (verifying the compressed stream and, for
 * tar and JSONL, that the remaining records parse), then fill *info. After it
 * returns PL_OK, pl_shard_next returns 0. */
int pl_shard_finish(pl_shard *s, pl_shard_info *info);

void pl_shard_free(pl_shard *s); /* NULL-safe; joins the helper thread */

/* Append name (a tar member's, NUL-terminated) to out for a message or a line
 * of text output: control characters, DEL, backslash, C1 controls, Unicode
 * bidirectional controls and bytes that are not UTF-8 become \xNN (a
 * backslash as \\), so that a name cannot forge or reorder output. */
int pl_shard_escape_name(pl_buf *out, const char *name);

/* Names used in output: "txt", "jsonl", "tar", "raw"; "none", "gzip", "zstd". */
const char *pl_shard_format_name(pl_shard_format f);
const char *pl_compression_name(pl_compression c);
/* Parse a --format value ("txt", "jsonl", "tar", "raw"); PL_EINVALID otherwise. */
int pl_shard_format_parse(pl_shard_format *out, const char *name);

#endif
