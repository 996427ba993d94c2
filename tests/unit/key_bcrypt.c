/* Unit tests of ledger/bcrypt_pbkdf.c: OpenBSD's regress vectors for
 * bcrypt_pbkdf(3) (as RustCrypto's bcrypt-pbkdf tests carry them), and the
 * 44 and 48-byte outputs that OpenSSH keys use, computed with pyca/bcrypt's
 * bcrypt.kdf. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "crypto_internal.h"

typedef struct {
	const char *pass;
	size_t passlen;
	const char *salt;
	size_t saltlen;
	unsigned rounds;
	const char *hex;
} vector;

#define S(s) s, sizeof(s) - 1

static const vector vectors[] = {
    {S("password"), S("salt"), 4,
     "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9"},
    {S("password"), S("\0"), 4, "c12b566235eee04c212598970a579a67"},
    {S("\0"), S("salt"), 4, "6051be18c2f4f82cbf0efee5471b4bb9"},
    {S("password\0"), S("salt\0"), 4,
     "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050"},
    {S("pass\0wor"), S("sa\0l"), 4, "c2bffd9db38f6569efef4372f4de83c0"},
    {S("pass\0word"), S("sa\0lt"), 4, "4ba4ac3925c0e8d7f0cdb6bb1684a56f"},
    {S("password"), S("salt"), 8,
     "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66088b849b20ab7aa4"
     "78010246e74bba51723fefa9f9474d6508845e8d"},
    {S("password"), S("salt"), 42, "833cf0dcf56db65608e8f0dc0ce882bd"},
    {S("Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor "
       "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
       "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
       "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
       "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
       "mollit anim id est laborum."),
     S("salis\0"), 8, "10978b07253df57f71a162eb0e8ad30a"},
    /* aes256-ctr (32 + 16 bytes) and aes256-gcm (32 + 12) as ssh-keygen derives them */
    {S("test passphrase"), S("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"),
     16,
     "1836e7da29aa8f2b2ef8a2da289340e218c064696baf7e8c5a0d06e0496dcbd7a0082d5f3597508d62141"
     "97d8855d5f4"},
    {S("test passphrase"), S("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"),
     16,
     "1836e7da29aa8f2b2ef8a2da289340e218c064696baf7e8c5a0d06e0496dcbd7a0082d5f3597508d62141"
     "97d"},
};

PL_TEST(key, bcrypt_pbkdf_known_answers)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const vector *v = &vectors[i];
		unsigned char out[128];
		char hex[257];
		size_t n = strlen(v->hex) / 2;

		memset(out, 0xaa, sizeof(out));
		CHECK_OK(pl_bcrypt__pbkdf(out, n, v->pass, v->passlen, (const uint8_t *)v->salt,
		                          v->saltlen, v->rounds));
		pl_hex(hex, out, n);
		if (strcmp(hex, v->hex) != 0)
			pl_test_fail(__FILE__, __LINE__, "vector %zu: %s, expected %s", i, hex,
			             v->hex);
		CHECK(out[n] == 0xaa); /* nothing written past keylen */
	}
}

PL_TEST(key, bcrypt_pbkdf_refuses_degenerate_parameters)
{
	unsigned char out[32];

	CHECK_ERR(pl_bcrypt__pbkdf(out, 32, "p", 1, (const uint8_t *)"s", 1, 0), PL_EUSAGE);
	CHECK_ERR(pl_bcrypt__pbkdf(out, 32, "", 0, (const uint8_t *)"s", 1, 4), PL_EUSAGE);
	CHECK_ERR(pl_bcrypt__pbkdf(out, 32, "p", 1, (const uint8_t *)"", 0, 4), PL_EUSAGE);
	CHECK_ERR(pl_bcrypt__pbkdf(out, 0, "p", 1, (const uint8_t *)"s", 1, 4), PL_EUSAGE);
	CHECK_ERR(pl_bcrypt__pbkdf(out, 1025, "p", 1, (const uint8_t *)"s", 1, 4), PL_EUSAGE);
	/* one output byte, and the most bytes allowed (32 blocks of 32) */
	CHECK_OK(pl_bcrypt__pbkdf(out, 1, "p", 1, (const uint8_t *)"s", 1, 1));
	{
		static unsigned char big[1024];
		CHECK_OK(pl_bcrypt__pbkdf(big, sizeof(big), "p", 1, (const uint8_t *)"s", 1, 1));
		CHECK(big[0] == out[0]); /* key[0] is block 1's byte 0 whatever keylen */
	}
}
