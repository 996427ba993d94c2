/* names.c - NAME@VERSION and the exact number syntax of compute figures. */
#include <stdio.h>
#include <string.h>

#include "pl_names.h"

#define NAME_MAX_LEN 128
#define NUMBER_MAX_LEN 256
#define EXP_MAX 999

static int name_char_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '@' && c != '"' && c != '\\';
}

int pl_lineage_check_name(const char *s, const char *what)
{
	size_t n;
	if (!s || !*s)
		return pl_error_set(PL_EINVALID, "the %s is empty", what);
	n = strlen(s);
	if (n > NAME_MAX_LEN)
		return pl_error_set(PL_EINVALID, "the %s '%.32s...' is longer than %d bytes", what,
		                    s, NAME_MAX_LEN);
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return pl_error_set(PL_EINVALID,
			                    "the %s '%s' holds a space, '@', quote, backslash or "
			                    "non-ASCII byte at offset %zu",
			                    what, s, i);
	return PL_OK;
}

int pl_lineage_parse_ref(pl_buf *name, pl_buf *version, const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	int error;
	if (!at)
		return pl_error_set(PL_EINVALID, "'%s' is not NAME@VERSION", s ? s : "");
	if (strchr(at + 1, '@'))
		return pl_error_set(PL_EINVALID, "'%s' is not NAME@VERSION (more than one '@')", s);
	pl_buf_clear(name);
	pl_buf_clear(version);
	if ((error = pl_buf_put(name, s, (size_t)(at - s))) < 0 ||
	    (error = pl_buf_puts(version, at + 1)) < 0)
		return error;
	if (at == s || !at[1])
		return pl_error_set(PL_EINVALID, "'%s' is not NAME@VERSION (empty %s)", s,
		                    at == s ? "name" : "version");
	if ((error = pl_lineage_check_name(name->ptr, "name")) < 0 ||
	    (error = pl_lineage_check_name(version->ptr, "version")) < 0)
		return pl_error_prefix(error, "'%s'", s);
	return PL_OK;
}

static int isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int bad_number(const char *s, const char *why)
{
	return pl_error_set(PL_EINVALID,
	                    "'%s' is not a number: %s (write a whole number as digits, or "
	                    "as mantissa and exponent: 380000000000, 3.8e25, 1.2E+12)",
	                    s, why);
}

int pl_lineage_parse_number(pl_buf *out, const char *s)
{
	char digits[NUMBER_MAX_LEN + 1];
	size_t nd = 0, nint = 0, nfrac = 0, start, end;
	long exp = 0, k, e10;
	const char *p = s;

	if (!s || !*s)
		return bad_number(s ? s : "", "empty");
	if (strlen(s) > NUMBER_MAX_LEN)
		return bad_number("...", "longer than 256 characters");
	if (*p == '-' || *p == '+')
		return bad_number(s, "no sign allowed");
	if (*p == '.')
		return bad_number(s, "a leading '.' (write 0.5e1)");
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return bad_number(s, "hexadecimal is not accepted");
	while (isdig(*p))
		digits[nd++] = *p++, nint++;
	if (nint == 0)
		return bad_number(s, "it does not start with a digit");
	if (nint > 1 && s[0] == '0')
		return bad_number(s, "a leading zero");
	if (*p == '.') {
		p++;
		while (isdig(*p))
			digits[nd++] = *p++, nfrac++;
		if (nfrac == 0)
			return bad_number(s, "no digits after '.'");
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+')
			p++;
		else if (*p == '-')
			return bad_number(s, "a negative exponent");
		if (!isdig(*p))
			return bad_number(s, "no digits in the exponent");
		if (*p == '0' && isdig(p[1]))
			return bad_number(s, "a leading zero in the exponent");
		while (isdig(*p)) {
			exp = exp * 10 + (*p++ - '0');
			if (exp > EXP_MAX)
				return bad_number(s, "exponent above 999");
		}
	} else if (nfrac) {
		return bad_number(s, "a fraction needs an exponent");
	}
	if (*p)
		return bad_number(s, *p == ' ' || *p == '\t' ? "a space" : "trailing characters");
	/* value = digits * 10^(exp - nfrac); strip zeros on both ends */
	for (start = 0; start < nd && digits[start] == '0'; start++)
		;
	pl_buf_clear(out);
	if (start == nd)
		return pl_buf_puts(out, "0e0");
	for (end = nd; digits[end - 1] == '0'; end--)
		;
	k = exp - (long)nfrac + (long)(nd - end);
	if (k < 0)
		return bad_number(s, "not a whole number");
	e10 = (long)(end - start) - 1 + k;
	if (e10 > EXP_MAX)
		return bad_number(s, "1e1000 or more");
	pl_buf_putc(out, digits[start]);
	if (end - start > 1) {
		pl_buf_putc(out, '.');
		pl_buf_put(out, digits + start + 1, end - start - 1);
	}
	return pl_buf_printf(out, "e%ld", e10);
}

/* Split a canonical number into its significant digits and exponent. */
static void split(const char *s, char *dig, size_t cap, long *e10)
{
	size_t n = 0;
	*e10 = -1;
	for (; *s && *s != 'e'; s++)
		if (isdig(*s) && n + 1 < cap)
			dig[n++] = *s;
	dig[n] = '\0';
	if (*s == 'e')
		sscanf(s + 1, "%ld", e10);
}

int pl_lineage_number_cmp(const char *a, const char *b)
{
	char da[NUMBER_MAX_LEN + 1], db[NUMBER_MAX_LEN + 1];
	long ea, eb;
	int za, zb, c;
	split(a, da, sizeof(da), &ea);
	split(b, db, sizeof(db), &eb);
	za = strcmp(da, "0") == 0;
	zb = strcmp(db, "0") == 0;
	if (za || zb)
		return za && zb ? 0 : za ? -1 : 1;
	if (ea != eb)
		return ea < eb ? -1 : 1;
	/* no trailing zeros: the longer of two strings sharing a prefix is larger */
	c = strcmp(da, db);
	return c < 0 ? -1 : c > 0;
}

int pl_lineage_is_frontier(const char *training_flop, const char *parameters)
{
	return pl_lineage_number_cmp(training_flop, "1e25") >= 0 ||
	       pl_lineage_number_cmp(parameters, "1e12") >= 0;
}

int pl_lineage__check_time(const char *s, const char *what)
{
	/* YYYY-MM-DDTHH:MM:SSZ, as pl_rfc3339 writes it */
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	int mo, d, h, mi, se;
	if (!s || strlen(s) != sizeof(pat) - 1)
		goto bad;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !isdig(s[i]) : s[i] != pat[i])
			goto bad;
	sscanf(s + 5, "%2d-%2d", &mo, &d);
	sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &se);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		goto bad;
	return PL_OK;
bad:
	return pl_error_set(PL_EINVALID,
	                    "%s '%s' is not an RFC 3339 UTC time like 2026-01-31T12:00:00Z", what,
	                    s ? s : "");
}
