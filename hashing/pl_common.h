/*
 * pl_common.h - return codes, the thread-local error slot, growable buffers and
 * the small encoders (hex, base64) that every layer of provledger shares.
 *
 * Error model (after libgit2): every fallible function returns int, PL_OK (0) or
 * a negative PL_E* code, and leaves a one-line message naming the file, the
 * record and what is wrong in a thread-local slot read with pl_error_last().
 * The library never prints and never exits.
 */
#ifndef PL_COMMON_H
#define PL_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The version of the library and the command (make install writes it to provledger.pc). */
#define PL_VERSION "0.1.0"

#define PL_OK 0
#define PL_ERROR -1     /* runtime failure (I/O, library error) */
#define PL_ENOTFOUND -2 /* a named thing does not exist */
#define PL_EINVALID -3  /* bad input: corrupt, malformed, out of range */
#define PL_EVERIFY -4   /* a verification found a problem (a finding, not a crash) */
#define PL_ECONFLICT -5 /* lost a compare-and-swap, or a duplicate registration */
#define PL_ENOMEM -6    /* out of memory */
#define PL_EUSAGE -7    /* caller misuse: bad arguments */
#define PL_ELIMIT -8    /* input exceeds a configured limit */

#define PL_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set the thread-local error message; returns code so callers can write
 * `return pl_error_set(PL_EINVALID, "...")`. */
int pl_error_set(int code, const char *fmt, ...) PL_PRINTF(2, 3);

/* Prefix the current message with "<prefix>: " (adds context on the way up). */
int pl_error_prefix(int code, const char *fmt, ...) PL_PRINTF(2, 3);

/* The last message set on this thread, or "" when none. Borrowed. */
const char *pl_error_last(void);
/* A short, stable name for an error code: the "code" of JSON errors
 * ("not-found", "invalid", "verify", "conflict", "out-of-memory", "usage",
 * "limit"; "error" for any other). */
const char *pl_error_name(int code);

/* The code passed with the last message (0 when none). */
int pl_error_code(void);

void pl_error_clear(void);

/* Growable byte buffer. Zero-initialise (PL_BUF_INIT); free with pl_buf_free.
 * The content is always NUL-terminated after any successful append. */
typedef struct {
	char *ptr;
	size_t len;
	size_t cap;
} pl_buf;

#define PL_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

int pl_buf_grow(pl_buf *b, size_t extra);
int pl_buf_put(pl_buf *b, const void *data, size_t len);
int pl_buf_puts(pl_buf *b, const char *s);
int pl_buf_putc(pl_buf *b, char c);
int pl_buf_printf(pl_buf *b, const char *fmt, ...) PL_PRINTF(2, 3);
int pl_buf_vprintf(pl_buf *b, const char *fmt, va_list ap);
void pl_buf_clear(pl_buf *b);
/* Hand the allocation to the caller (free() it) and reset b. */
char *pl_buf_detach(pl_buf *b);
void pl_buf_free(pl_buf *b); /* NULL-safe */

/* Append s[0..len) to out for display in text output, so that a value cannot
 * forge or reorder lines: LF, TAB and CR become \n, \t and \r; every other
 * byte below 0x20 (ESC and NUL included) and DEL become \xNN; the C1 controls
 * (U+0080-U+009F), the bidirectional marks, embeddings, overrides and isolates
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the line and
 * paragraph separators (U+2028, U+2029) become \u{NNNN}; each byte that is
 * not part of valid UTF-8 (overlong forms and surrogates included) becomes
 * \xNN. Everything else, backslashes too, is copied as is: the result is for
 * people to read, not to be unescaped, and text escaped once (a tar member
 * name in a message) stays as it is. PL_ENOMEM on failure. */
int pl_buf_put_escaped(pl_buf *out, const char *s, size_t len);

/* The length of the well-formed UTF-8 sequence at p (of at most n bytes),
 * its code point in *cp; 0 when p does not start one (overlong forms,
 * surrogates and code points past U+10FFFF are not well formed). */
size_t pl_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void pl_hex(char *out, const unsigned char *in, size_t n);
/* Decode exactly n bytes of hex (either case); PL_EINVALID otherwise. */
int pl_unhex(unsigned char *out, size_t n, const char *hex, size_t hexlen);

/* Standard base64 with padding, appended to out. */
int pl_base64_encode(pl_buf *out, const unsigned char *in, size_t n);
/* Strict decode: standard alphabet, padding required, canonical only (unused
 * bits zero); appends to out. PL_EINVALID on anything else. */
int pl_base64_decode(pl_buf *out, const char *in, size_t n);

/* Overflow-checked size arithmetic: 0 on success, -1 on overflow. */
static inline int pl_add_ovf(size_t *out, size_t a, size_t b)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

/* Read a whole file into out, refusing files larger than max bytes. */
int pl_read_file(pl_buf *out, const char *path, size_t max);

/* mkdir -p path with mode (each missing directory of it); PL_ERROR naming
 * the one that cannot be made. */
int pl_mkdirs(const char *path, unsigned mode);

/* name as one path component, appended to out: bytes other than
 * [A-Za-z0-9_-] and dots not leading are written %XX ("example.org/log" ->
 * "example.org%2Flog"), so any name (a log's origin) is a file name. */
int pl_path_escape(pl_buf *out, const char *name);

/* Write data to path atomically (a temp file of its own in the same
 * directory, fsync, rename) with the given mode; safe from several threads. */
int pl_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
