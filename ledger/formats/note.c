/* note.c - C2SP signed notes with Ed25519 (c2sp.org/signed-note), verifier
 * keys, and tlog-checkpoint bodies (c2sp.org/tlog-checkpoint). */
#include "pl_note.h"

#include <inttypes.h>
#include <string.h>

#include "crypto_internal.h"

#define ALG_ED25519 0x01
#define ALG_COSIG 0x04       /* c2sp.org/tlog-cosignature/v1, Ed25519 */
#define DASH "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define DASH_LEN 4
#define MAX_SIGS 100 /* as golang.org/x/mod/sumdb/note */

/* A key name: non-empty UTF-8 without '+', control characters or Unicode
 * white space (Go's unicode.IsSpace, as golang.org/x/mod/sumdb/note checks). */
static int name_ok(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;

	if (len == 0 || !pl_utf8__valid(name, len))
		return 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp = s[i];
		size_t n = 1;
		if (cp >= 0xf0) {
			cp = (cp & 7) << 18 | (s[i + 1] & 0x3fu) << 12 | (s[i + 2] & 0x3fu) << 6 |
			     (s[i + 3] & 0x3fu);
			n = 4;
		} else if (cp >= 0xe0) {
			cp = (cp & 15) << 12 | (s[i + 1] & 0x3fu) << 6 | (s[i + 2] & 0x3fu);
			n = 3;
		} else if (cp >= 0xc0) {
			cp = (cp & 31) << 6 | (s[i + 1] & 0x3fu);
			n = 2;
		}
		if (cp <= 0x20 || cp == 0x7f || cp == '+' || cp == 0x85 || cp == 0xa0 ||
		    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
			return 0;
		i += n;
	}
	return 1;
}

static uint32_t keyid_of(const char *name, size_t len, const unsigned char pub[32],
                         unsigned char alg)
{
	pl_buf b = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	const unsigned char sep[2] = {'\n', alg};

	/* An allocation failure leaves b short; the keyid then matches nothing. */
	pl_buf_put(&b, name, len);
	pl_buf_put(&b, sep, 2);
	pl_buf_put(&b, pub, 32);
	pl_sha256(h, b.ptr, b.len);
	pl_buf_free(&b);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

uint32_t pl_note_keyid(const char *name, const pl_key *k)
{
	unsigned char pub[32];

	pl_key_raw(k, pub);
	return keyid_of(name, strlen(name), pub, ALG_ED25519);
}

uint32_t pl_cosig_keyid(const char *name, const pl_key *k)
{
	unsigned char pub[32];

	pl_key_raw(k, pub);
	return keyid_of(name, strlen(name), pub, ALG_COSIG);
}

static int vkey_format(pl_buf *out, const char *name, const pl_key *k, unsigned char alg)
{
	unsigned char raw[33];
	int error;

	if (!name_ok(name, strlen(name)))
		return pl_error_set(PL_EINVALID, "invalid signed-note key name \"%s\"", name);
	raw[0] = alg;
	pl_key_raw(k, raw + 1);
	if ((error = pl_buf_printf(out, "%s+%08" PRIx32 "+", name,
	                           keyid_of(name, strlen(name), raw + 1, alg))) < 0)
		return error;
	return pl_base64_encode(out, raw, sizeof(raw));
}

int pl_note_verifier_key(pl_buf *out, const char *name, const pl_key *k)
{
	return vkey_format(out, name, k, ALG_ED25519);
}

int pl_cosig_verifier_key(pl_buf *out, const char *name, const pl_key *k)
{
	return vkey_format(out, name, k, ALG_COSIG);
}

static int vkey_parse(pl_key **out, pl_buf *name, const char *vkey, size_t len, unsigned char alg)
{
	pl_buf raw = PL_BUF_INIT;
	const char *p1, *p2;
	unsigned char id[4];
	pl_key *k = NULL;
	int error = PL_EINVALID;

	if (len > 0 && vkey[len - 1] == '\n')
		len--;
	if ((p1 = memchr(vkey, '+', len)) == NULL ||
	    (p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - vkey))) == NULL ||
	    !name_ok(vkey, (size_t)(p1 - vkey)) || memchr(vkey, '\0', len)) {
		pl_error_set(PL_EINVALID, "verifier key: expected NAME+KEYID+KEY");
		goto done;
	}
	if (p2 - p1 - 1 != 8 || pl_unhex(id, 4, p1 + 1, 8) < 0) {
		pl_error_set(PL_EINVALID, "verifier key: key ID is not 8 hex digits");
		goto done;
	}
	if (pl_base64_decode(&raw, p2 + 1, len - (size_t)(p2 + 1 - vkey)) < 0) {
		pl_error_prefix(PL_EINVALID, "verifier key");
		goto done;
	}
	if (raw.len != 33 || (unsigned char)raw.ptr[0] != alg) {
		if (raw.len == 33 && (unsigned char)raw.ptr[0] == ALG_COSIG)
			pl_error_set(PL_EINVALID, "verifier key: a witness's cosignature key (type "
			                          "0x04), not a log's signing key");
		else if (raw.len == 33 && (unsigned char)raw.ptr[0] == ALG_ED25519)
			pl_error_set(PL_EINVALID, "verifier key: a log's signing key (type 0x01), "
			                          "not a witness's cosignature key");
		else
			pl_error_set(PL_EINVALID, "verifier key: not an Ed25519 key");
		goto done;
	}
	if ((error = pl_key_from_raw(&k, (unsigned char *)raw.ptr + 1)) < 0)
		goto done;
	if (keyid_of(vkey, (size_t)(p1 - vkey), (unsigned char *)raw.ptr + 1, alg) !=
	    ((uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3])) {
		error = pl_error_set(PL_EINVALID, "verifier key: key ID does not match the key");
		goto done;
	}
	if (name) {
		pl_buf_clear(name);
		if ((error = pl_buf_put(name, vkey, (size_t)(p1 - vkey))) < 0)
			goto done;
	}
	*out = k;
	k = NULL;
	error = PL_OK;
done:
	pl_key_free(k);
	pl_buf_free(&raw);
	return error;
}

int pl_note_parse_verifier_key(pl_key **out, pl_buf *name, const char *vkey, size_t len)
{
	return vkey_parse(out, name, vkey, len, ALG_ED25519);
}

int pl_cosig_parse_verifier_key(pl_key **out, pl_buf *name, const char *vkey, size_t len)
{
	return vkey_parse(out, name, vkey, len, ALG_COSIG);
}

/* Note text: non-empty UTF-8 ending in "\n", no control characters but "\n". */
static int text_ok(const char *text, size_t len)
{
	if (len == 0 || text[len - 1] != '\n')
		return pl_error_set(PL_EINVALID, "signed note: text must end with a newline");
	if (!pl_utf8__valid(text, len))
		return pl_error_set(PL_EINVALID, "signed note: text is not valid UTF-8");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 && c != '\n')
			return pl_error_set(
			    PL_EINVALID, "signed note: control character 0x%02x at byte %zu", c, i);
	}
	return PL_OK;
}

int pl_note_sign(pl_buf *out, const char *text, size_t len, const char *name, const pl_key *k)
{
	unsigned char sig[4 + 64];
	uint32_t id;
	int error;

	if ((error = text_ok(text, len)) < 0)
		return error;
	if (!name_ok(name, strlen(name)))
		return pl_error_set(PL_EINVALID, "invalid signed-note key name \"%s\"", name);
	id = pl_note_keyid(name, k);
	sig[0] = (unsigned char)(id >> 24);
	sig[1] = (unsigned char)(id >> 16);
	sig[2] = (unsigned char)(id >> 8);
	sig[3] = (unsigned char)id;
	if ((error = pl_key_sign(k, sig + 4, text, len)) < 0)
		return error;
	if ((error = pl_buf_put(out, text, len)) < 0 ||
	    (error = pl_buf_printf(out, "\n" DASH "%s ", name)) < 0 ||
	    (error = pl_base64_encode(out, sig, sizeof(sig))) < 0)
		return error;
	return pl_buf_putc(out, '\n');
}

/* The cosigned message: "cosignature/v1\ntime T\n" and the note text. */
static int cosig_message(pl_buf *out, const char *text, size_t len, uint64_t t)
{
	int error;
	pl_buf_clear(out);
	if ((error = pl_buf_printf(out, "cosignature/v1\ntime %llu\n", (unsigned long long)t)) < 0)
		return error;
	return pl_buf_put(out, text, len);
}

/* The signature by (name, k) of algorithm alg on note: Ed25519 over the
 * text (0x01), or a timestamped cosignature (0x04, *t its time). */
static int verify_sig(pl_buf *text, const char *note, size_t len, const char *name, const pl_key *k,
                      unsigned char alg, uint64_t *t)
{
	pl_buf sig = PL_BUF_INIT, msg = PL_BUF_INIT;
	size_t tlen = 0, nlen = strlen(name), nsigs = 0;
	uint32_t want = alg == ALG_COSIG ? pl_cosig_keyid(name, k) : pl_note_keyid(name, k);
	int error, found = 0;

	if (len == 0 || note[len - 1] != '\n' || memchr(note, '\0', len))
		return pl_error_set(PL_EINVALID, "signed note: malformed (no final newline)");
	/* The text ends at the last blank line: signature lines hold no "\n\n". */
	for (size_t i = len - 1; i > 0; i--) {
		if (note[i] == '\n' && note[i - 1] == '\n') {
			tlen = i;
			break;
		}
	}
	if (tlen == 0)
		return pl_error_set(PL_EINVALID, "signed note: no blank line before signatures");
	if ((error = text_ok(note, tlen)) < 0)
		return error;
	if (tlen + 1 == len)
		return pl_error_set(PL_EINVALID, "signed note: no signature lines");
	for (const char *p = note + tlen + 1, *end = note + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *sp;
		size_t llen = (size_t)(eol - p);
		uint32_t id;
		if (++nsigs > MAX_SIGS) {
			error = pl_error_set(PL_EINVALID, "signed note: too many signatures");
			goto done;
		}
		if (llen < DASH_LEN || memcmp(p, DASH, DASH_LEN) != 0 ||
		    (sp = memchr(p + DASH_LEN, ' ', llen - DASH_LEN)) == NULL ||
		    !name_ok(p + DASH_LEN, (size_t)(sp - p - DASH_LEN)) ||
		    memchr(sp + 1, ' ', (size_t)(eol - sp - 1))) {
			error = pl_error_set(PL_EINVALID,
			                     "signed note: malformed signature line %zu", nsigs);
			goto done;
		}
		pl_buf_clear(&sig);
		if (pl_base64_decode(&sig, sp + 1, (size_t)(eol - sp - 1)) < 0 || sig.len < 5) {
			error = pl_error_set(
			    PL_EINVALID, "signed note: bad base64 in signature line %zu", nsigs);
			goto done;
		}
		id = (uint32_t)(unsigned char)sig.ptr[0] << 24 |
		     (uint32_t)(unsigned char)sig.ptr[1] << 16 |
		     (uint32_t)(unsigned char)sig.ptr[2] << 8 | (unsigned char)sig.ptr[3];
		if ((size_t)(sp - p - DASH_LEN) == nlen && memcmp(p + DASH_LEN, name, nlen) == 0 &&
		    id == want) {
			const unsigned char *u = (const unsigned char *)sig.ptr;
			uint64_t when = 0;
			int bad;
			if (alg == ALG_COSIG) {
				for (int b = 0; sig.len == 4 + 8 + 64 && b < 8; b++)
					when = when << 8 | u[4 + b];
				bad = sig.len != 4 + 8 + 64 || when > INT64_MAX ||
				      cosig_message(&msg, note, tlen, when) < 0 ||
				      pl_key_verify(k, u + 12, msg.ptr, msg.len) < 0;
			} else {
				bad = sig.len != 4 + 64 || pl_key_verify(k, u + 4, note, tlen) < 0;
			}
			if (bad) {
				error = pl_error_set(
				    PL_EVERIFY, "signed note: invalid %ssignature by %s+%08" PRIx32,
				    alg == ALG_COSIG ? "co" : "", name, want);
				goto done;
			}
			if (t && (!found || when > *t))
				*t = when;
			found = 1;
		}
		p = eol + 1;
	}
	if (!found) {
		error = pl_error_set(PL_EVERIFY, "signed note: no %ssignature by %s+%08" PRIx32,
		                     alg == ALG_COSIG ? "co" : "", name, want);
		goto done;
	}
	if (text) {
		pl_buf_clear(text);
		error = pl_buf_put(text, note, tlen);
	}
done:
	pl_buf_free(&sig);
	pl_buf_free(&msg);
	return error;
}

int pl_note_verify(pl_buf *text, const char *note, size_t len, const char *name, const pl_key *k)
{
	return verify_sig(text, note, len, name, k, ALG_ED25519, NULL);
}

int pl_cosig_verify(uint64_t *t, const char *note, size_t len, const char *name, const pl_key *k)
{
	uint64_t when = 0;
	int error = verify_sig(NULL, note, len, name, k, ALG_COSIG, &when);
	if (error == PL_OK && t)
		*t = when;
	return error;
}

int pl_cosig_sign(pl_buf *out, const char *text, size_t len, const char *name, const pl_key *k,
                  uint64_t t)
{
	pl_buf msg = PL_BUF_INIT;
	unsigned char sig[4 + 8 + 64];
	uint32_t id;
	int error;

	if ((error = text_ok(text, len)) < 0)
		return error;
	if (!name_ok(name, strlen(name)))
		return pl_error_set(PL_EINVALID, "invalid signed-note key name \"%s\"", name);
	if (t > INT64_MAX)
		return pl_error_set(PL_EINVALID, "cosignature time %llu is past 2^63 - 1",
		                    (unsigned long long)t);
	id = pl_cosig_keyid(name, k);
	for (int b = 0; b < 4; b++)
		sig[b] = (unsigned char)(id >> (24 - 8 * b));
	for (int b = 0; b < 8; b++)
		sig[4 + b] = (unsigned char)(t >> (56 - 8 * b));
	if ((error = cosig_message(&msg, text, len, t)) < 0 ||
	    (error = pl_key_sign(k, sig + 12, msg.ptr, msg.len)) < 0 ||
	    (error = pl_buf_printf(out, DASH "%s ", name)) < 0 ||
	    (error = pl_base64_encode(out, sig, sizeof(sig))) < 0 ||
	    (error = pl_buf_putc(out, '\n')) < 0)
		goto done;
done:
	pl_buf_free(&msg);
	return error;
}

int pl_checkpoint_format(pl_buf *out, const char *origin, uint64_t size,
                         const unsigned char root[PL_HASH_LEN])
{
	size_t olen = strlen(origin);
	int error;

	if (olen == 0 || olen >= sizeof(((pl_checkpoint *)0)->origin) || strchr(origin, '\n'))
		return pl_error_set(PL_EINVALID, "invalid checkpoint origin \"%s\"", origin);
	if ((error = pl_buf_printf(out, "%s\n%" PRIu64 "\n", origin, size)) < 0 ||
	    (error = pl_base64_encode(out, root, PL_HASH_LEN)) < 0)
		return error;
	return pl_buf_putc(out, '\n');
}

/* The line starting at *p (without its "\n"); advances *p past it. */
static int next_line(const char **p, const char *end, const char **line, size_t *llen)
{
	const char *eol = memchr(*p, '\n', (size_t)(end - *p));

	if (!eol)
		return -1;
	*line = *p;
	*llen = (size_t)(eol - *p);
	*p = eol + 1;
	return 0;
}

int pl_checkpoint_parse(pl_checkpoint *out, const char *text, size_t len)
{
	pl_checkpoint c;
	pl_buf root = PL_BUF_INIT;
	const char *p = text, *end = text + len, *line;
	size_t llen;
	int error = PL_EINVALID;

	memset(&c, 0, sizeof(c));
	if (text_ok(text, len) < 0) {
		pl_error_prefix(PL_EINVALID, "checkpoint");
		goto done;
	}
	if (next_line(&p, end, &line, &llen) < 0 || llen == 0 || llen >= sizeof(c.origin)) {
		pl_error_set(PL_EINVALID, "checkpoint: bad origin line");
		goto done;
	}
	memcpy(c.origin, line, llen);
	if (next_line(&p, end, &line, &llen) < 0 || llen == 0 || llen > 20 ||
	    (line[0] == '0' && llen > 1)) {
		pl_error_set(PL_EINVALID, "checkpoint: bad tree size line");
		goto done;
	}
	for (size_t i = 0; i < llen; i++) {
		unsigned d = (unsigned)(line[i] - '0');
		if (d > 9 || c.size > (UINT64_MAX - d) / 10) {
			pl_error_set(PL_EINVALID, "checkpoint: bad tree size \"%.*s\"", (int)llen,
			             line);
			goto done;
		}
		c.size = c.size * 10 + d;
	}
	if (next_line(&p, end, &line, &llen) < 0 || pl_base64_decode(&root, line, llen) < 0 ||
	    root.len != PL_HASH_LEN) {
		pl_error_set(PL_EINVALID, "checkpoint: root is not the base64 of 32 bytes");
		goto done;
	}
	memcpy(c.root, root.ptr, PL_HASH_LEN);
	while (p < end) {
		if (next_line(&p, end, &line, &llen) < 0 || llen == 0) {
			pl_error_set(PL_EINVALID, "checkpoint: empty extension line");
			goto done;
		}
	}
	*out = c;
	error = PL_OK;
done:
	pl_buf_free(&root);
	return error;
}
