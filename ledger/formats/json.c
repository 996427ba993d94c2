/* json.c - SPEC §6 canonical JSON serialisation and strict parsing over jansson. */
#include "pl_dsse.h"

#include <stdlib.h>
#include <string.h>

#include "crypto_internal.h"

/* Integers beyond 2^53 lose precision in JavaScript and double-based parsers;
 * SPEC §6 says such numbers are decimal strings, so they are refused here. */
#define MAX_SAFE_INT 9007199254740991LL
#define MAX_DEPTH 128

static int put_string(pl_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	int error;

	if (!pl_utf8__valid(s, len))
		return pl_error_set(PL_EINVALID, "JSON string is not valid UTF-8");
	if ((error = pl_buf_putc(out, '"')) < 0)
		return error;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((error = pl_buf_put(out, s + run, i - run)) < 0)
			return error;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if ((error = pl_buf_put(out, esc, elen)) < 0)
			return error;
	}
	if ((error = pl_buf_put(out, s + run, len - run)) < 0)
		return error;
	return pl_buf_putc(out, '"');
}

typedef struct {
	const char *key;
	size_t len;
	const json_t *val;
} member;

/* Bytewise order, which for UTF-8 is code point order (what Python sorts by). */
static int cmp_members(const void *a, const void *b)
{
	const member *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int put_value(pl_buf *out, const json_t *v, int depth)
{
	member *m = NULL;
	int error = PL_OK;

	if (depth > MAX_DEPTH)
		return pl_error_set(PL_ELIMIT, "JSON nested deeper than %d levels", MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_NULL:
		return pl_buf_puts(out, "null");
	case JSON_TRUE:
		return pl_buf_puts(out, "true");
	case JSON_FALSE:
		return pl_buf_puts(out, "false");
	case JSON_REAL:
		return pl_error_set(PL_EINVALID,
		                    "JSON number %g is not an integer (use a decimal string)",
		                    json_real_value(v));
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);
		if (n > MAX_SAFE_INT || n < -MAX_SAFE_INT)
			return pl_error_set(PL_EINVALID,
			                    "JSON integer %lld does not fit in 53 bits (use a "
			                    "decimal string)",
			                    (long long)n);
		return pl_buf_printf(out, "%lld", (long long)n);
	}
	case JSON_STRING:
		return put_string(out, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if ((error = pl_buf_putc(out, '[')) < 0)
			return error;
		for (size_t i = 0; i < n; i++) {
			if ((i && (error = pl_buf_putc(out, ',')) < 0) ||
			    (error = put_value(out, json_array_get(v, i), depth + 1)) < 0)
				return error;
		}
		return pl_buf_putc(out, ']');
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0, klen;
		const char *key;
		json_t *val;
		if (n && (m = malloc(n * sizeof(*m))) == NULL)
			return pl_error_set(PL_ENOMEM, "out of memory");
		json_object_keylen_foreach((json_t *)v, key, klen, val)
		{
			m[i].key = key;
			m[i].len = klen;
			m[i++].val = val;
		}
		if (n)
			qsort(m, n, sizeof(*m), cmp_members);
		if ((error = pl_buf_putc(out, '{')) < 0)
			goto done;
		for (i = 0; i < n; i++) {
			if ((i && (error = pl_buf_putc(out, ',')) < 0) ||
			    (error = put_string(out, m[i].key, m[i].len)) < 0 ||
			    (error = pl_buf_putc(out, ':')) < 0 ||
			    (error = put_value(out, m[i].val, depth + 1)) < 0)
				goto done;
		}
		error = pl_buf_putc(out, '}');
		break;
	}
	}
done:
	free(m);
	return error;
}

int pl_json_canonical(pl_buf *out, const json_t *v)
{
	size_t start = out->len;
	int error = put_value(out, v, 0);

	if (error < 0 && out->ptr) {
		out->len = start;
		out->ptr[start] = '\0';
	}
	return error;
}

int pl_json_parse(json_t **out, const char *data, size_t len, const char *what)
{
	json_error_t jerr;
	json_t *v;

	/* No JSON_ALLOW_NUL: "\u0000" in a string is refused. json_loadb checks
	 * UTF-8 and, without JSON_DISABLE_EOF_CHECK, refuses trailing bytes, but
	 * it takes a NUL byte for the end of its input: "1\0junk" would be the
	 * number 1. A raw NUL is never valid JSON (in a string it must be
	 * escaped), so refuse it first. */
	const char *nul = memchr(data, 0, len);
	if (nul)
		return pl_error_set(PL_EINVALID, "%s: invalid JSON at byte %zu: NUL byte", what,
		                    (size_t)(nul - data));
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v)
		return pl_error_set(PL_EINVALID, "%s: invalid JSON at line %d column %d: %s", what,
		                    jerr.line, jerr.column, jerr.text);
	*out = v;
	return PL_OK;
}

/* The vocabulary's numbers: check reports keep containment and coverage as
 * the decimal strings they were signed with ("0.8571"); output gives them as
 * JSON numbers. Entries shown as signed ("statement") are left as they are. */
void pl_json_output_numbers(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) pl_json_output_numbers(x);
		return;
	}
	json_object_foreach(v, k, x)
	{
		if (strcmp(k, "statement") == 0)
			continue;
		if (json_is_string(x) &&
		    (strcmp(k, "containment") == 0 || strcmp(k, "coverage") == 0)) {
			char *end;
			double d = strtod(json_string_value(x), &end);
			if (end != json_string_value(x) && *end == '\0')
				json_object_set_new(v, k, json_real(d));
		} else {
			pl_json_output_numbers(x);
		}
	}
}
