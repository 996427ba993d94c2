/* common.c - errors, buffers, hex, base64, small file helpers. */
#include "pl_common.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local char err_msg[1024];
static _Thread_local int err_code;

int pl_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	err_code = code;
	return code;
}

int pl_error_prefix(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err_msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err_msg, sizeof(old));
	/* Truncation is acceptable: the message is for humans. */
	size_t n = strlen(prefix);
	if (n > sizeof(err_msg) - 3)
		n = sizeof(err_msg) - 3;
	memcpy(err_msg, prefix, n);
	memcpy(err_msg + n, ": ", 2);
	size_t rest = sizeof(err_msg) - n - 3, ol = strlen(old);
	if (ol > rest)
		ol = rest;
	memcpy(err_msg + n + 2, old, ol);
	err_msg[n + 2 + ol] = '\0';
	err_code = code;
	return code;
}

const char *pl_error_last(void)
{
	return err_msg;
}

const char *pl_error_name(int code)
{
	switch (code) {
	case PL_ENOTFOUND:
		return "not-found";
	case PL_EINVALID:
		return "invalid";
	case PL_EVERIFY:
		return "verify";
	case PL_ECONFLICT:
		return "conflict";
	case PL_ENOMEM:
		return "out-of-memory";
	case PL_EUSAGE:
		return "usage";
	case PL_ELIMIT:
		return "limit";
	default:
		return "error";
	}
}
int pl_error_code(void)
{
	return err_code;
}
void pl_error_clear(void)
{
	err_msg[0] = '\0';
	err_code = 0;
}

int pl_buf_grow(pl_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (pl_add_ovf(&need, b->len, extra) || pl_add_ovf(&need, need, 1))
		return pl_error_set(PL_ENOMEM, "buffer size overflow");
	if (need <= b->cap)
		return PL_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->ptr, cap)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory (%zu bytes)", cap);
	b->ptr = p;
	b->cap = cap;
	return PL_OK;
}

int pl_buf_put(pl_buf *b, const void *data, size_t len)
{
	int error;
	if ((error = pl_buf_grow(b, len)) < 0)
		return error;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return PL_OK;
}

int pl_buf_puts(pl_buf *b, const char *s)
{
	return pl_buf_put(b, s, strlen(s));
}
int pl_buf_putc(pl_buf *b, char c)
{
	return pl_buf_put(b, &c, 1);
}

int pl_buf_vprintf(pl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, error;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return pl_error_set(PL_ERROR, "format error");
	if ((error = pl_buf_grow(b, (size_t)n)) < 0)
		return error;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return PL_OK;
}

int pl_buf_printf(pl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int error;
	va_start(ap, fmt);
	error = pl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return error;
}

void pl_buf_clear(pl_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *pl_buf_detach(pl_buf *b)
{
	char *p = b->ptr;
	if (p == NULL)
		p = calloc(1, 1);
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void pl_buf_free(pl_buf *b)
{
	if (b == NULL)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

void pl_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pl_unhex(unsigned char *out, size_t n, const char *hex, size_t hexlen)
{
	if (hexlen != 2 * n)
		return pl_error_set(PL_EINVALID, "expected %zu hex digits, got %zu", 2 * n, hexlen);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)hex[2 * i]),
		    lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return pl_error_set(PL_EINVALID, "invalid hex digit");
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return PL_OK;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int pl_base64_encode(pl_buf *out, const unsigned char *in, size_t n)
{
	int error;
	size_t olen = n / 3 * 4 + (n % 3 ? 4 : 0);
	char *o;

	if (n / 3 > SIZE_MAX / 4 - 1)
		return pl_error_set(PL_ENOMEM, "base64 size overflow");
	if ((error = pl_buf_grow(out, olen)) < 0)
		return error;
	o = out->ptr + out->len;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	out->len += olen;
	out->ptr[out->len] = '\0';
	return PL_OK;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int pl_base64_decode(pl_buf *out, const char *in, size_t n)
{
	int error;

	if (n % 4 != 0)
		return pl_error_set(PL_EINVALID,
		                    "invalid base64: length %zu is not a multiple of 4", n);
	if ((error = pl_buf_grow(out, n / 4 * 3)) < 0)
		return error;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			int c = (unsigned char)in[i + j];
			if (c == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad || (v[j] = b64val(c)) < 0)
				return pl_error_set(PL_EINVALID, "invalid base64 at character %zu",
				                    i + j);
		}
		if (pad == 1 && in[i + 3] != '=')
			return pl_error_set(PL_EINVALID, "invalid base64 padding");
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return pl_error_set(PL_EINVALID, "non-canonical base64");
		out->ptr[out->len++] = (char)(w >> 16);
		if (pad < 2)
			out->ptr[out->len++] = (char)(w >> 8 & 0xff);
		if (pad < 1)
			out->ptr[out->len++] = (char)(w & 0xff);
	}
	out->ptr[out->len] = '\0';
	return PL_OK;
}

int pl_read_file(pl_buf *out, const char *path, size_t max)
{
	FILE *f;
	char tmp[65536];
	size_t n;
	int error = PL_OK;
	struct stat st;

	if ((f = fopen(path, "rb")) == NULL)
		return pl_error_set(errno == ENOENT ? PL_ENOTFOUND : PL_ERROR, "%s: %s", path,
		                    strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		error = pl_error_set(PL_EINVALID, "%s: is a directory", path);
		goto done;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (out->len > max || n > max - out->len) {
			error = pl_error_set(PL_ELIMIT, "%s: larger than the limit of %zu bytes",
			                     path, max);
			goto done;
		}
		if ((error = pl_buf_put(out, tmp, n)) < 0)
			goto done;
	}
	if (ferror(f))
		error = pl_error_set(PL_ERROR, "%s: read error: %s", path, strerror(errno));
done:
	fclose(f);
	return error;
}

int pl_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	pl_buf tmp = PL_BUF_INIT;
	int fd = -1, error;
	const char *p = data;

	/* unique per call, so that threads writing the same path never share one */
	static atomic_ulong serial;
	if ((error = pl_buf_printf(&tmp, "%s.tmp.%ld.%lu", path, (long)getpid(),
	                           atomic_fetch_add(&serial, 1))) < 0)
		return error;
	if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode)) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			error = pl_error_set(PL_ERROR, "%s: write: %s", tmp.ptr, strerror(errno));
			goto done;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	close(fd);
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		error = pl_error_set(PL_ERROR, "%s: rename: %s", path, strerror(errno));
		goto done;
	}
done:
	if (fd >= 0)
		close(fd);
	if (error < 0)
		unlink(tmp.ptr);
	pl_buf_free(&tmp);
	return error;
}

size_t pl_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	c = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points that would hide, move or break what follows them on screen. */
static int shown_escaped(uint32_t c)
{
	return c < 0xa0 || c == 0x061c || c == 0x200e || c == 0x200f || c == 0x2028 ||
	       c == 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

int pl_buf_put_escaped(pl_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int error;

	if (s == NULL) {
		s = "";
		len = 0;
		p = (const unsigned char *)s;
	}
	if ((error = pl_buf_grow(out, len)) < 0)
		return error;
	while (i < len) {
		uint32_t cp = 0;
		size_t k = 0;
		const char *e = NULL;
		char tmp[16];

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		if (p[i] >= 0x80 && (k = pl_utf8_seq(p + i, len - i, &cp)) > 0 &&
		    !shown_escaped(cp)) {
			i += k;
			continue;
		}
		/* flush the plain run before p[i] */
		if ((error = pl_buf_put(out, s + run, i - run)) < 0)
			return error;
		if (p[i] == '\n')
			e = "\\n";
		else if (p[i] == '\t')
			e = "\\t";
		else if (p[i] == '\r')
			e = "\\r";
		else if (k > 0)
			snprintf(tmp, sizeof(tmp), "\\u{%04x}", (unsigned)cp);
		else
			snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		if ((error = pl_buf_puts(out, e ? e : tmp)) < 0)
			return error;
		i += k > 0 ? k : 1;
		run = i;
	}
	if ((error = pl_buf_put(out, s + run, i - run)) < 0)
		return error;
	return PL_OK;
}

int pl_path_escape(pl_buf *out, const char *name)
{
	int error = PL_OK;
	for (const unsigned char *c = (const unsigned char *)name; *c && error == PL_OK; c++) {
		int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		           (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' ||
		           (*c == '.' && c != (const unsigned char *)name);
		error = keep ? pl_buf_putc(out, (char)*c) : pl_buf_printf(out, "%%%02X", *c);
	}
	return error;
}

int pl_mkdirs(const char *path, unsigned mode)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n >= sizeof(tmp))
		return pl_error_set(PL_EINVALID, "%s: path too long", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
				return pl_error_set(PL_ERROR, "%s: %s", tmp, strerror(errno));
			*p = '/';
		}
	if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
		return pl_error_set(PL_ERROR, "%s: %s", tmp, strerror(errno));
	return PL_OK;
}
