/*
 * bundle_read.h - read an evidence bundle (pl_bundle.h) in one streaming pass
 * whose memory does not grow with its attachments: the gzip member is
 * inflated through fixed buffers and tokenized as it arrives; each value of
 * "attachments" is decoded from base64 as it streams, into a SHA-256 and an
 * unlinked temporary file; every other top-level member is captured and
 * parsed by pl_json_parse, and kept in memory (under the max_size cap of the
 * whole decompressed stream). Private to ledger/ (verify-bundle).
 *
 * The reader is as strict as pl_json_parse over the whole document: it does
 * not assume canonical order or the absence of whitespace, and refuses
 * duplicate keys at any level, invalid UTF-8, bad escapes and lone
 * surrogates, "\u0000", nesting deeper than jansson's JSON_PARSER_MAX_DEPTH
 * (counted from the top-level object), and anything after the document.
 */
#ifndef PL_BUNDLE_READ_H
#define PL_BUNDLE_READ_H

#include <jansson.h>
#include <stdint.h>

#include "pl_bundle.h"

typedef struct pl_bundle_doc pl_bundle_doc;

/* Caps and the spool directory for pl_bundle__read. Zero-initialise; a 0
 * (NULL) field takes its default. */
typedef struct {
	size_t max_size;              /* decompressed bytes in all: PL_BUNDLE_MAX_SIZE */
	size_t max_attachment;        /* decoded bytes of one: PL_BUNDLE_MAX_ATTACHMENT */
	size_t max_attachments_total; /* decoded, of all: PL_BUNDLE_MAX_ATTACHMENTS_TOTAL */
	size_t max_entries;           /* members of "entries": PL_BUNDLE_MAX_ENTRIES */
	const char *tmpdir;           /* where the spool file goes: "/tmp" */
} pl_bundle_read_opts;

/* One member of "attachments", as read. Borrowed from its pl_bundle_doc. */
typedef struct {
	const char *name; /* the member name, decoded; any string (not checked to be hex) */
	uint64_t size;    /* decoded bytes */
	unsigned char sha256[PL_HASH_LEN]; /* SHA-256 of the decoded bytes */
	/* NULL when the value is canonical base64 (the alphabet of RFC 4648 §4, padding
	 * required, unused bits zero, no whitespace); otherwise why not, e.g. "not a
	 * JSON string" or "invalid base64 at character 17", and size is 0, sha256 zero. */
	const char *invalid;
} pl_bundle_attachment;

/* Read the bundle at path into *out (the caller's; pl_bundle__doc_free).
 * opts may be NULL. On failure *out is untouched and nothing is left on disk.
 *
 * Errors: PL_ENOTFOUND for a missing file; PL_EINVALID for a file that is not
 * one complete gzip stream ("%s: not a gzip file (bad magic bytes)", "%s: empty
 * file, not a gzip bundle", "%s: truncated gzip stream (ends after %zu
 * decompressed bytes)", "%s: corrupt gzip data: %s", "%s: trailing bytes after
 * the gzip stream (at byte %zu)"), for invalid JSON ("%s: byte %zu: invalid
 * JSON: what", or pl_json_parse's message naming the member), and for a
 * document that is not a JSON object; PL_ELIMIT past a cap (the message names
 * the option: --max-size, --max-attachment with the attachment,
 * --max-attachments-total with the attachment that passed it); PL_ERROR for
 * I/O on the file or the spool file; PL_ENOMEM. A JSON error in a stream that
 * is also broken at the gzip layer reports the gzip error (inflation goes on to
 * the end to find out, still under max_size); a cap stops at once. */
int pl_bundle__read(pl_bundle_doc **out, const char *path, const pl_bundle_read_opts *opts);

/* Every top-level member except an "attachments" whose value is an object
 * (one of another type is kept here). Borrowed; lives as long as d. */
json_t *pl_bundle__doc_json(const pl_bundle_doc *d);

/* 1 when the document has a member "attachments" whose value is an object. */
int pl_bundle__doc_has_attachments(const pl_bundle_doc *d);

/* The number of attachments, and the i-th in document order (NULL past the
 * end); pl_bundle__doc_find: the one named name, or NULL. Borrowed. */
size_t pl_bundle__doc_nattachments(const pl_bundle_doc *d);
const pl_bundle_attachment *pl_bundle__doc_attachment(const pl_bundle_doc *d, size_t i);
const pl_bundle_attachment *pl_bundle__doc_find(const pl_bundle_doc *d, const char *name);

/* Append the decoded bytes of the attachment named name to out. PL_ENOTFOUND
 * when there is none; PL_EINVALID when it is not canonical base64; PL_ELIMIT
 * when it holds more than max bytes (nothing is read then); PL_ERROR on I/O. */
int pl_bundle__doc_attachment_read(pl_buf *out, const pl_bundle_doc *d, const char *name,
                                   size_t max);

/* Free d and close (so remove) its spool file. NULL-safe. */
void pl_bundle__doc_free(pl_bundle_doc *d);

#endif
