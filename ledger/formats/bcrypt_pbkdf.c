/* bcrypt_pbkdf.c - OpenBSD's bcrypt_pbkdf(3), the KDF of passphrase-protected
 * OpenSSH private keys (PROTOCOL.key): PBKDF2-like rounds of SHA-512 and
 * bcrypt's "eksblowfish" key schedule over "OxychromaticBlowfishSwatDynamite",
 * with the output words spread across the key non-linearly.
 *
 * Neither OpenSSL nor a Debian bookworm library exports it (libbsd has
 * readpassphrase only; libssh and libssh2 keep theirs private), hence this
 * file. Known answers in tests/unit/key_openssh.c. */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "blowfish_pi.h"
#include "crypto_internal.h"

#define HASH_WORDS 8
#define HASH_SIZE (HASH_WORDS * 4)
#define SHA512_LEN 64

typedef struct {
	uint32_t s[4][256];
	uint32_t p[18];
} blowfish;

static uint32_t feistel(const blowfish *c, uint32_t x)
{
	return ((c->s[0][x >> 24] + c->s[1][(x >> 16) & 0xff]) ^ c->s[2][(x >> 8) & 0xff]) +
	       c->s[3][x & 0xff];
}

static void encipher(const blowfish *c, uint32_t *xl, uint32_t *xr)
{
	uint32_t l = *xl, r = *xr;

	l ^= c->p[0];
	for (int i = 1; i <= 16; i += 2) {
		r ^= feistel(c, l) ^ c->p[i];
		l ^= feistel(c, r) ^ c->p[i + 1];
	}
	*xl = r ^ c->p[17];
	*xr = l;
}

/* The next 4 bytes of data as a big-endian word, cycling through data. */
static uint32_t stream_word(const uint8_t *data, size_t len, size_t *j)
{
	uint32_t w = 0;

	for (int i = 0; i < 4; i++) {
		if (*j >= len)
			*j = 0;
		w = w << 8 | data[(*j)++];
	}
	return w;
}

/* eksblowfish's ExpandKey(state, salt, key); salt NULL is ExpandKey(state, 0, key). */
static void expand(blowfish *c, const uint8_t *salt, size_t saltlen, const uint8_t *key,
                   size_t keylen)
{
	uint32_t l = 0, r = 0;
	size_t j = 0;

	for (int i = 0; i < 18; i++)
		c->p[i] ^= stream_word(key, keylen, &j);
	j = 0;
	for (int i = 0; i < 18; i += 2) {
		if (salt) {
			l ^= stream_word(salt, saltlen, &j);
			r ^= stream_word(salt, saltlen, &j);
		}
		encipher(c, &l, &r);
		c->p[i] = l;
		c->p[i + 1] = r;
	}
	for (int b = 0; b < 4; b++) {
		for (int i = 0; i < 256; i += 2) {
			if (salt) {
				l ^= stream_word(salt, saltlen, &j);
				r ^= stream_word(salt, saltlen, &j);
			}
			encipher(c, &l, &r);
			c->s[b][i] = l;
			c->s[b][i + 1] = r;
		}
	}
}

/* bcrypt_hash: eksblowfish with cost 64 keyed by the two SHA-512 digests,
 * then 64 encryptions of the magic text; the words come out little-endian. */
static void bcrypt_hash(const uint8_t pass[SHA512_LEN], const uint8_t salt[SHA512_LEN],
                        uint8_t out[HASH_SIZE])
{
	static const uint8_t magic[HASH_SIZE] = "OxychromaticBlowfishSwatDynamite";
	blowfish c;
	uint32_t data[HASH_WORDS];
	size_t j = 0;

	memcpy(c.p, blowfish_pi_p, sizeof(c.p));
	memcpy(c.s, blowfish_pi_s, sizeof(c.s));
	expand(&c, salt, SHA512_LEN, pass, SHA512_LEN);
	for (int i = 0; i < 64; i++) {
		expand(&c, NULL, 0, salt, SHA512_LEN);
		expand(&c, NULL, 0, pass, SHA512_LEN);
	}
	for (int i = 0; i < HASH_WORDS; i++)
		data[i] = stream_word(magic, sizeof(magic), &j);
	for (int i = 0; i < 64; i++)
		for (int w = 0; w < HASH_WORDS; w += 2)
			encipher(&c, &data[w], &data[w + 1]);
	for (int i = 0; i < HASH_WORDS; i++) {
		out[4 * i + 3] = (uint8_t)(data[i] >> 24);
		out[4 * i + 2] = (uint8_t)(data[i] >> 16);
		out[4 * i + 1] = (uint8_t)(data[i] >> 8);
		out[4 * i + 0] = (uint8_t)data[i];
	}
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(data, sizeof(data));
}

static int sha512(uint8_t out[SHA512_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, a, alen) == 1 &&
	         (!b || EVP_DigestUpdate(ctx, b, blen) == 1) &&
	         EVP_DigestFinal_ex(ctx, out, NULL) == 1;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int pl_bcrypt__pbkdf(uint8_t *key, size_t keylen, const void *pass, size_t passlen,
                     const uint8_t *salt, size_t saltlen, unsigned rounds)
{
	uint8_t sha2pass[SHA512_LEN], sha2salt[SHA512_LEN], out[HASH_SIZE], tmp[HASH_SIZE];
	size_t stride, amt, left = keylen;
	int error = PL_OK;

	if (rounds < 1 || passlen == 0 || saltlen == 0 || saltlen > (1u << 20) || keylen == 0 ||
	    keylen > HASH_SIZE * HASH_SIZE)
		return pl_error_set(PL_EUSAGE, "bcrypt_pbkdf: invalid parameters");
	stride = (keylen + HASH_SIZE - 1) / HASH_SIZE;
	amt = (keylen + stride - 1) / stride;
	if (sha512(sha2pass, pass, passlen, NULL, 0) < 0) {
		error = pl_error_set(PL_ERROR, "bcrypt_pbkdf: SHA-512 failed");
		goto done;
	}
	for (uint32_t count = 1; left > 0; count++) {
		uint8_t cs[4] = {(uint8_t)(count >> 24), (uint8_t)(count >> 16),
		                 (uint8_t)(count >> 8), (uint8_t)count};
		size_t i;

		if (sha512(sha2salt, salt, saltlen, cs, sizeof(cs)) < 0) {
			error = pl_error_set(PL_ERROR, "bcrypt_pbkdf: SHA-512 failed");
			goto done;
		}
		bcrypt_hash(sha2pass, sha2salt, tmp);
		memcpy(out, tmp, sizeof(out));
		for (unsigned r = 1; r < rounds; r++) {
			if (sha512(sha2salt, tmp, sizeof(tmp), NULL, 0) < 0) {
				error = pl_error_set(PL_ERROR, "bcrypt_pbkdf: SHA-512 failed");
				goto done;
			}
			bcrypt_hash(sha2pass, sha2salt, tmp);
			for (size_t b = 0; b < sizeof(out); b++)
				out[b] ^= tmp[b];
		}
		/* Not PBKDF2's concatenation: output byte i of block count goes to
		 * key[i * stride + count - 1]. */
		if (amt > left)
			amt = left;
		for (i = 0; i < amt; i++) {
			size_t dest = i * stride + (count - 1);
			if (dest >= keylen)
				break;
			key[dest] = out[i];
		}
		left -= i;
	}
done:
	OPENSSL_cleanse(sha2pass, sizeof(sha2pass));
	OPENSSL_cleanse(sha2salt, sizeof(sha2salt));
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return error;
}
