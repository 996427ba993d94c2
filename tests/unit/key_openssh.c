/* Unit tests of ledger/key_openssh.c: OpenSSH private keys (openssh-key-v1)
 * as ssh-keygen writes them, plain and passphrase-protected (fixtures made
 * with ssh-keygen -p from the shared test key), and every malformed,
 * truncated or tampered variant that a builder below can make, each refused
 * with its exact message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto_internal.h"
#include "harness.h"
#include "pl_key.h"
#include "testkey.h"

#define PASS "test passphrase"

/* --- the passphrase callback --- */

typedef struct {
	const char *pass; /* NULL: fail with PL_EUSAGE "cancelled" */
	int calls;
	char path[4096];
} pass_ctx;

static int give_pass(void *vctx, pl_buf *out, const char *path)
{
	pass_ctx *c = vctx;

	c->calls++;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (!c->pass)
		return pl_error_set(PL_EUSAGE, "cancelled");
	return pl_buf_puts(out, c->pass);
}

static int load_with(pl_key **k, const char *path, pass_ctx *c)
{
	pl_key_load_opts o = {give_pass, c};
	return pl_key_load_private_ex(k, path, &o);
}

/* The fixture's fingerprint, and the PEM key's signature of msg. */
static void check_is_test_key(const pl_key *k)
{
	pl_key *pem = test_key();
	pl_buf fp = PL_BUF_INIT, want = PL_BUF_INIT;
	unsigned char s1[64], s2[64];
	static const char msg[] = "provledger test message";

	CHECK(pl_key_has_private(k));
	read_fixture(&want, "key/fingerprint.txt");
	want.ptr[strcspn(want.ptr, "\n")] = '\0';
	CHECK_OK(pl_key_fingerprint(&fp, k));
	CHECK_STR(fp.ptr, want.ptr);
	CHECK_OK(pl_key_sign(k, s1, msg, sizeof(msg) - 1));
	CHECK_OK(pl_key_sign(pem, s2, msg, sizeof(msg) - 1));
	CHECK(memcmp(s1, s2, 64) == 0);
	CHECK_OK(pl_key_verify(pem, s1, msg, sizeof(msg) - 1));
	pl_buf_free(&fp);
	pl_buf_free(&want);
	pl_key_free(pem);
}

/* Load path, expect code and exactly "<path>: <msg>". */
static void expect_refused(const char *path, int code, const char *msg, pass_ctx *c)
{
	char want[8192];
	pl_key *k = NULL;
	int rc = c ? load_with(&k, path, c) : pl_key_load_private(&k, path);

	snprintf(want, sizeof(want), "%s: %s", path, msg);
	if (rc != code || strcmp(pl_error_last(), want) != 0)
		fprintf(stderr, "    case: %s\n", msg);
	if (rc != code)
		pl_test_fail(__FILE__, __LINE__, "%s: returned %d, expected %d (%s)", msg, rc, code,
		             pl_error_last());
	CHECK_STR(pl_error_last(), want);
	CHECK(k == NULL);
}

/* --- a builder of openssh-key-v1 files --- */

enum { F_CIPHER, F_KDF, F_KDFOPTS, F_NKEYS, F_PUB, F_PRIV, F_PTYPE, F_PPUB, F_PKEY, F_COMMENT, NF };

typedef struct {
	const char *magic, *cipher, *kdf;
	unsigned rounds;
	size_t saltlen;
	uint32_t nkeys;
	const char *pubtype, *privtype;
	unsigned char pub[32], kpub[32], priv[64];
	uint32_t check1, check2;
	const char *comment;
	int padding;      /* number of padding bytes; -1: what the block size asks */
	int badpad;       /* make the last padding byte wrong */
	const char *pass; /* for encrypted ciphers */
	size_t trailing;  /* bytes after the private section (and tag) */
	int badtag, notag;
	size_t off[NF]; /* out: where each length field is in the blob */
} spec;

/* The test key's public and private halves, from the unencrypted fixture. */
static void test_parts(unsigned char pub[32], unsigned char priv[64])
{
	pl_buf text = PL_BUF_INIT, b64 = PL_BUF_INIT, blob = PL_BUF_INIT;
	pl_ssh__reader r;
	const unsigned char *p;
	size_t n;
	uint32_t u;

	read_fixture(&text, "key/test.openssh");
	for (char *line = strtok(text.ptr, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '-')
			CHECK_OK(pl_buf_puts(&b64, line));
	CHECK_OK(pl_base64_decode(&blob, b64.ptr, b64.len));
	r.p = (const unsigned char *)blob.ptr + 15;
	r.n = blob.len - 15;
	for (int i = 0; i < 3; i++)
		CHECK(pl_ssh__get_string(&r, &p, &n) == 0);
	CHECK(pl_ssh__get_u32(&r, &u) == 0 && u == 1);
	CHECK(pl_ssh__get_string(&r, &p, &n) == 0); /* public key blob */
	CHECK(pl_ssh__get_string(&r, &p, &n) == 0); /* private section */
	r.p = p + 8;
	r.n = n - 8;
	CHECK(pl_ssh__get_string_eq(&r, "ssh-ed25519"));
	CHECK(pl_ssh__get_string(&r, &p, &n) == 0 && n == 32);
	memcpy(pub, p, 32);
	CHECK(pl_ssh__get_string(&r, &p, &n) == 0 && n == 64);
	memcpy(priv, p, 64);
	pl_buf_free(&text);
	pl_buf_free(&b64);
	pl_buf_free(&blob);
}

static void default_spec(spec *s)
{
	memset(s, 0, sizeof(*s));
	s->magic = "openssh-key-v1";
	s->cipher = "none";
	s->kdf = "none";
	s->rounds = 1;
	s->saltlen = 16;
	s->nkeys = 1;
	s->pubtype = s->privtype = "ssh-ed25519";
	test_parts(s->pub, s->priv);
	memcpy(s->kpub, s->pub, 32);
	s->check1 = s->check2 = 0x01020304;
	s->comment = "comment";
	s->padding = -1;
	s->pass = PASS;
}

static void put_string(pl_buf *b, size_t *off, const void *p, size_t n)
{
	if (off)
		*off = b->len;
	CHECK_OK(pl_ssh__put_string(b, p, n));
}

/* AES-256-CTR or -GCM over sec in place, keyed as OpenSSH keys by bcrypt_pbkdf. */
static void encrypt(spec *s, pl_buf *sec, const unsigned char *salt, unsigned char tag[16])
{
	int gcm = strcmp(s->cipher, "aes256-gcm@openssh.com") == 0;
	unsigned char kiv[48];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	/* Files the parser refuses before decryption (no rounds or too many, no
	 * salt) are still encrypted with something, and quickly. */
	CHECK_OK(pl_bcrypt__pbkdf(kiv, gcm ? 44 : 48, s->pass, strlen(s->pass), salt,
	                          s->saltlen ? s->saltlen : 1,
	                          s->rounds && s->rounds <= 64 ? s->rounds : 1));
	CHECK(EVP_EncryptInit_ex(ctx, gcm ? EVP_aes_256_gcm() : EVP_aes_256_ctr(), NULL, kiv,
	                         kiv + 32) == 1);
	CHECK(EVP_EncryptUpdate(ctx, (unsigned char *)sec->ptr, &n, (unsigned char *)sec->ptr,
	                        (int)sec->len) == 1);
	CHECK(EVP_EncryptFinal_ex(ctx, (unsigned char *)sec->ptr + n, &n) == 1);
	if (gcm)
		CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
}

static void build_blob(pl_buf *blob, spec *s)
{
	int enc = strcmp(s->cipher, "none") != 0, block = enc ? 16 : 8;
	int gcm = strcmp(s->cipher, "aes256-gcm@openssh.com") == 0;
	pl_buf opts = PL_BUF_INIT, pub = PL_BUF_INIT, sec = PL_BUF_INIT;
	unsigned char salt[64], tag[16] = {0};
	size_t secoff[NF] = {0}, pad;

	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (unsigned char)(0x40 + i);
	if (strcmp(s->kdf, "none") != 0) {
		put_string(&opts, NULL, salt, s->saltlen);
		CHECK_OK(pl_ssh__put_u32(&opts, s->rounds));
	}
	put_string(&pub, NULL, s->pubtype, strlen(s->pubtype));
	put_string(&pub, NULL, s->pub, 32);
	CHECK_OK(pl_ssh__put_u32(&sec, s->check1));
	CHECK_OK(pl_ssh__put_u32(&sec, s->check2));
	put_string(&sec, &secoff[F_PTYPE], s->privtype, strlen(s->privtype));
	put_string(&sec, &secoff[F_PPUB], s->kpub, 32);
	put_string(&sec, &secoff[F_PKEY], s->priv, 64);
	put_string(&sec, &secoff[F_COMMENT], s->comment, strlen(s->comment));
	pad = s->padding >= 0 ? (size_t)s->padding : (block - sec.len % block) % block;
	for (size_t i = 0; i < pad; i++)
		CHECK_OK(pl_buf_putc(&sec, (char)(i + 1)));
	if (s->badpad)
		sec.ptr[sec.len - 1] ^= 0x10;
	if (enc)
		encrypt(s, &sec, salt, tag);
	if (s->badtag)
		tag[3] ^= 1;
	CHECK_OK(pl_buf_put(blob, s->magic, strlen(s->magic) + 1));
	put_string(blob, &s->off[F_CIPHER], s->cipher, strlen(s->cipher));
	put_string(blob, &s->off[F_KDF], s->kdf, strlen(s->kdf));
	put_string(blob, &s->off[F_KDFOPTS], opts.ptr, opts.len);
	s->off[F_NKEYS] = blob->len;
	CHECK_OK(pl_ssh__put_u32(blob, s->nkeys));
	put_string(blob, &s->off[F_PUB], pub.ptr, pub.len);
	put_string(blob, &s->off[F_PRIV], sec.ptr, sec.len);
	for (int f = F_PTYPE; f <= F_COMMENT; f++)
		s->off[f] = s->off[F_PRIV] + 4 + secoff[f];
	if (gcm && !s->notag)
		CHECK_OK(pl_buf_put(blob, tag, 16));
	for (size_t i = 0; i < s->trailing; i++)
		CHECK_OK(pl_buf_putc(blob, 0));
	pl_buf_free(&opts);
	pl_buf_free(&pub);
	pl_buf_free(&sec);
}

/* The armour ssh-keygen writes: base64 wrapped at 70 columns. */
static void armour(pl_buf *text, const void *blob, size_t len)
{
	pl_buf b64 = PL_BUF_INIT;

	CHECK_OK(pl_base64_encode(&b64, blob, len));
	CHECK_OK(pl_buf_puts(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	for (size_t i = 0; i < b64.len; i += 70) {
		CHECK_OK(pl_buf_put(text, b64.ptr + i, b64.len - i < 70 ? b64.len - i : 70));
		CHECK_OK(pl_buf_putc(text, '\n'));
	}
	CHECK_OK(pl_buf_puts(text, "-----END OPENSSH PRIVATE KEY-----\n"));
	pl_buf_free(&b64);
}

/* write_tmp without its fsync, for the loops that write hundreds of files. */
static void put_file(char path[4096], const char *name, const void *data, size_t len)
{
	FILE *f;

	snprintf(path, 4096, "%s/%s", pl_tmpdir(), name);
	CHECK((f = fopen(path, "wb")) != NULL);
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
	CHECK(chmod(path, 0600) == 0);
}

static void write_blob(char path[4096], const char *name, const void *blob, size_t len)
{
	pl_buf text = PL_BUF_INIT;

	armour(&text, blob, len);
	put_file(path, name, text.ptr, text.len);
	pl_buf_free(&text);
}

static void write_spec(char path[4096], const char *name, spec *s)
{
	pl_buf blob = PL_BUF_INIT;

	build_blob(&blob, s);
	write_blob(path, name, blob.ptr, blob.len);
	pl_buf_free(&blob);
}

/* --- ssh-keygen's files --- */

PL_TEST(key, openssh_and_pem_are_the_same_key)
{
	char path[4096];
	pl_key *k = NULL;

	copy_fixture(path, "key/test.openssh", "test.openssh", 0600);
	CHECK_OK(pl_key_load_private(&k, path));
	check_is_test_key(k);
	pl_key_free(k);
}

PL_TEST(key, openssh_encrypted_right_passphrase)
{
	static const char *const files[] = {"key/test-ctr.openssh", "key/test-gcm.openssh"};

	for (int i = 0; i < 2; i++) {
		char path[4096];
		pass_ctx c = {PASS, 0, ""};
		pl_key *k = NULL;

		copy_fixture(path, files[i], "enc.openssh", 0600);
		CHECK_OK(load_with(&k, path, &c));
		CHECK_EQ_INT(c.calls, 1);
		CHECK_STR(c.path, path);
		check_is_test_key(k);
		pl_key_free(k);
		CHECK(unlink(path) == 0);
	}
}

PL_TEST(key, openssh_encrypted_wrong_or_missing_passphrase)
{
	static const char *const files[] = {"key/test-ctr.openssh", "key/test-gcm.openssh"};

	for (int i = 0; i < 2; i++) {
		char path[4096];
		pass_ctx wrong = {"test passphrasf", 0, ""}, cancel = {NULL, 0, ""},
		         empty = {"", 0, ""};
		pl_key *k = NULL;

		copy_fixture(path, files[i], "enc.openssh", 0600);
		expect_refused(path, PL_EINVALID, "incorrect passphrase", &wrong);
		CHECK_EQ_INT(wrong.calls, 1);
		expect_refused(path, PL_EINVALID,
		               "the key is protected by a passphrase and none was given", NULL);
		expect_refused(path, PL_EINVALID, "empty passphrase", &empty);
		/* The callback's own error comes back as it was set. */
		CHECK_ERR(load_with(&k, path, &cancel), PL_EUSAGE);
		CHECK_STR(pl_error_last(), "cancelled");
		CHECK(k == NULL);
		CHECK(unlink(path) == 0);
	}
}

PL_TEST(key, openssh_unencrypted_never_asks)
{
	char path[4096];
	pass_ctx c = {PASS, 0, ""};
	pl_key *k = NULL;

	copy_fixture(path, "key/test.openssh", "test.openssh", 0600);
	CHECK_OK(load_with(&k, path, &c));
	CHECK_EQ_INT(c.calls, 0);
	pl_key_free(k);
	/* and PEM keys neither */
	copy_fixture(path, "key/test.key", "test.key", 0600);
	CHECK_OK(load_with(&k, path, &c));
	CHECK_EQ_INT(c.calls, 0);
	pl_key_free(k);
}

PL_TEST(key, openssh_other_ciphers_and_key_types_refused)
{
	char path[4096];
	pass_ctx c = {PASS, 0, ""};

	copy_fixture(path, "key/test-chacha.openssh", "chacha.openssh", 0600);
	expect_refused(path, PL_EINVALID,
	               "unsupported cipher chacha20-poly1305@openssh.com (supported: none, "
	               "aes256-ctr, aes256-gcm@openssh.com)",
	               &c);
	CHECK_EQ_INT(c.calls, 0);
	copy_fixture(path, "key/ecdsa.openssh", "ecdsa.openssh", 0600);
	expect_refused(path, PL_EINVALID,
	               "a key of type ecdsa-sha2-nistp256; only ssh-ed25519 keys are supported",
	               &c);
}

PL_TEST(key, openssh_armour_variants)
{
	pl_buf text = PL_BUF_INIT, b64 = PL_BUF_INIT, crlf = PL_BUF_INIT, blob = PL_BUF_INIT;
	char path[4096];
	pl_key *k = NULL;
	spec s;

	default_spec(&s);
	build_blob(&blob, &s);
	/* CRLF line ends, and trailing blank lines */
	armour(&text, blob.ptr, blob.len);
	for (size_t i = 0; i < text.len; i++) {
		if (text.ptr[i] == '\n')
			CHECK_OK(pl_buf_putc(&crlf, '\r'));
		CHECK_OK(pl_buf_putc(&crlf, text.ptr[i]));
	}
	CHECK_OK(pl_buf_puts(&crlf, "\r\n\n"));
	write_tmp(path, "crlf.openssh", crlf.ptr, crlf.len);
	CHECK_OK(pl_key_load_private(&k, path));
	check_is_test_key(k);
	pl_key_free(k);
	k = NULL;
	/* one long base64 line, no final newline */
	CHECK_OK(pl_base64_encode(&b64, (unsigned char *)blob.ptr, blob.len));
	pl_buf_clear(&text);
	CHECK_OK(pl_buf_printf(&text,
	                       "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE "
	                       "KEY-----",
	                       b64.ptr));
	write_tmp(path, "oneline.openssh", text.ptr, text.len);
	CHECK_OK(pl_key_load_private(&k, path));
	pl_key_free(k);
	/* refused armour */
	pl_buf_clear(&text);
	CHECK_OK(pl_buf_printf(&text, "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n", b64.ptr));
	write_tmp(path, "noend.openssh", text.ptr, text.len);
	expect_refused(path, PL_EINVALID, "no -----END OPENSSH PRIVATE KEY----- line", NULL);
	pl_buf_clear(&text);
	CHECK_OK(pl_buf_printf(&text,
	                       "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE "
	                       "KEY-----\nmore\n",
	                       b64.ptr));
	write_tmp(path, "after.openssh", text.ptr, text.len);
	expect_refused(path, PL_EINVALID, "text after the -----END OPENSSH PRIVATE KEY----- line",
	               NULL);
	pl_buf_clear(&text);
	CHECK_OK(pl_buf_printf(&text,
	                       "-----BEGIN OPENSSH PRIVATE KEY----- %s\n-----END OPENSSH PRIVATE "
	                       "KEY-----\n",
	                       b64.ptr));
	write_tmp(path, "nobreak.openssh", text.ptr, text.len);
	expect_refused(path, PL_EINVALID, "no line break after -----BEGIN OPENSSH PRIVATE KEY-----",
	               NULL);
	b64.ptr[10] = '*';
	pl_buf_clear(&text);
	CHECK_OK(pl_buf_printf(&text,
	                       "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE "
	                       "KEY-----\n",
	                       b64.ptr));
	write_tmp(path, "badb64.openssh", text.ptr, text.len);
	CHECK_ERR(pl_key_load_private(&k, path), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), path);
	pl_buf_free(&text);
	pl_buf_free(&b64);
	pl_buf_free(&crlf);
	pl_buf_free(&blob);
}

/* --- built files: the builder itself, then one fault at a time --- */

PL_TEST(key, openssh_builder_makes_loadable_keys)
{
	static const char *const ciphers[] = {"none", "aes256-ctr", "aes256-gcm@openssh.com"};

	for (int i = 0; i < 3; i++) {
		char path[4096];
		pass_ctx c = {PASS, 0, ""};
		pl_key *k = NULL;
		spec s;

		default_spec(&s);
		s.cipher = ciphers[i];
		s.kdf = i ? "bcrypt" : "none";
		write_spec(path, "built.openssh", &s);
		CHECK_OK(load_with(&k, path, &c));
		CHECK_EQ_INT(c.calls, i ? 1 : 0);
		check_is_test_key(k);
		pl_key_free(k);
	}
}

typedef struct {
	const char *name;
	void (*mutate)(spec *s);
	int code;
	const char *msg;
} fault;

static void m_magic(spec *s)
{
	s->magic = "openssh-key-v2";
}
static void m_checkint(spec *s)
{
	s->check2 ^= 0x100;
}
static void m_kdf_with_none(spec *s)
{
	s->kdf = "bcrypt";
}
static void m_cipher(spec *s)
{
	s->cipher = "aes128-cbc";
}
static void m_kdf(spec *s)
{
	s->cipher = "aes256-ctr";
	s->kdf = "scrypt";
}
static void m_nkeys(spec *s)
{
	s->nkeys = 2;
}
static void m_nkeys0(spec *s)
{
	s->nkeys = 0;
}
static void m_pubtype(spec *s)
{
	s->pubtype = "ssh-rsa";
}
static void m_privtype(spec *s)
{
	s->privtype = "ssh-ed448";
}
static void m_pubkey(spec *s)
{
	s->pub[5] ^= 1;
}
static void m_kpub(spec *s)
{
	s->kpub[5] ^= 1;
}
static void m_privhalf(spec *s)
{
	s->priv[40] ^= 1;
}
static void m_seed(spec *s)
{
	s->priv[3] ^= 1;
}
static void m_badpad(spec *s)
{
	s->badpad = 1;
}
static void m_toomuchpad(spec *s)
{
	/* 8 bytes of padding after a 136-byte key and comment: a whole block too many */
	s->comment = "12345";
	s->padding = 8;
}
static void m_notblock(spec *s)
{
	s->comment = "12345";
	s->padding = 3;
}
static void m_trailing(spec *s)
{
	s->trailing = 3;
}
static void m_rounds0(spec *s)
{
	s->cipher = "aes256-ctr";
	s->kdf = "bcrypt";
	s->rounds = 0;
}
static void m_roundsmax(spec *s)
{
	s->cipher = "aes256-ctr";
	s->kdf = "bcrypt";
	s->rounds = 10001;
}
static void m_salt0(spec *s)
{
	s->cipher = "aes256-ctr";
	s->kdf = "bcrypt";
	s->saltlen = 0;
	s->rounds = 4;
}
static void m_gcmtag(spec *s)
{
	s->cipher = "aes256-gcm@openssh.com";
	s->kdf = "bcrypt";
	s->badtag = 1;
}
static void m_gcmnotag(spec *s)
{
	s->cipher = "aes256-gcm@openssh.com";
	s->kdf = "bcrypt";
	s->notag = 1;
}
static void m_gcmtrailing(spec *s)
{
	s->cipher = "aes256-gcm@openssh.com";
	s->kdf = "bcrypt";
	s->trailing = 1;
}
static void m_ctrpass(spec *s)
{
	s->cipher = "aes256-ctr";
	s->kdf = "bcrypt";
	s->pass = "another passphrase";
}
static void m_ctrpad(spec *s)
{
	s->cipher = "aes256-ctr";
	s->kdf = "bcrypt";
	s->badpad = 1;
}

static const fault faults[] = {
    {"bad magic", m_magic, PL_EINVALID, "not an openssh-key-v1 key (bad magic)"},
    {"check integers", m_checkint, PL_EINVALID, "corrupt key: the check integers differ"},
    {"kdf without cipher", m_kdf_with_none, PL_EINVALID, "cipher none with KDF bcrypt"},
    {"cipher", m_cipher, PL_EINVALID,
     "unsupported cipher aes128-cbc (supported: none, aes256-ctr, aes256-gcm@openssh.com)"},
    {"kdf", m_kdf, PL_EINVALID, "unsupported KDF scrypt (supported: bcrypt)"},
    {"two keys", m_nkeys, PL_EINVALID, "holds 2 keys; expected one"},
    {"no key", m_nkeys0, PL_EINVALID, "holds 0 keys; expected one"},
    {"public key type", m_pubtype, PL_EINVALID,
     "a key of type ssh-rsa; only ssh-ed25519 keys are supported"},
    {"private key type", m_privtype, PL_EINVALID,
     "the private key is of type ssh-ed448, not ssh-ed25519"},
    {"public key differs", m_pubkey, PL_EINVALID,
     "the private key's public half is not the file's public key"},
    {"private section's public key differs", m_kpub, PL_EINVALID,
     "the private key's public half is not the file's public key"},
    {"private key's public half differs", m_privhalf, PL_EINVALID,
     "the private key's public half is not the file's public key"},
    {"seed of another key", m_seed, PL_EINVALID, "the private key does not match its public key"},
    {"bad padding", m_badpad, PL_EINVALID, "bad padding"},
    {"too much padding", m_toomuchpad, PL_EINVALID, "8 bytes after the key (more than padding)"},
    {"not a whole block", m_notblock, PL_EINVALID,
     "private section of 139 bytes, not a multiple of the none block size (8)"},
    {"trailing bytes", m_trailing, PL_EINVALID, "3 trailing bytes after the private section"},
    {"zero rounds", m_rounds0, PL_EINVALID, "bcrypt salt of 16 bytes, 0 rounds"},
    {"too many rounds", m_roundsmax, PL_ELIMIT, "10001 bcrypt rounds (at most 10000)"},
    {"empty salt", m_salt0, PL_EINVALID, "bcrypt salt of 0 bytes, 4 rounds"},
    {"gcm tag", m_gcmtag, PL_EINVALID, "incorrect passphrase"},
    {"gcm without its tag", m_gcmnotag, PL_EINVALID, "truncated or bad length: authentication tag"},
    {"gcm trailing bytes", m_gcmtrailing, PL_EINVALID,
     "1 trailing bytes after the private section"},
    {"ctr wrong passphrase", m_ctrpass, PL_EINVALID, "incorrect passphrase"},
    {"ctr bad padding", m_ctrpad, PL_EINVALID, "bad padding"},
};

PL_TEST(key, openssh_faults_refused_exactly)
{
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		char path[4096];
		pass_ctx c = {PASS, 0, ""};
		spec s;

		default_spec(&s);
		faults[i].mutate(&s);
		write_spec(path, "fault.openssh", &s);
		expect_refused(path, faults[i].code, faults[i].msg, &c);
	}
}

PL_TEST(key, openssh_length_fields_of_0xffffffff)
{
	static const char *const field[NF] = {
	    [F_CIPHER] = "cipher name",
	    [F_KDF] = "KDF name",
	    [F_KDFOPTS] = "KDF options",
	    [F_PUB] = "public key",
	    [F_PRIV] = "private section",
	    [F_PTYPE] = "private key type",
	    [F_PPUB] = "private section's public key",
	    [F_PKEY] = "private key",
	    [F_COMMENT] = "comment",
	};

	for (int f = 0; f < NF; f++) {
		pl_buf blob = PL_BUF_INIT;
		char path[4096], msg[256];
		spec s;

		default_spec(&s);
		build_blob(&blob, &s);
		memset(blob.ptr + s.off[f], 0xff, 4);
		write_blob(path, "len.openssh", blob.ptr, blob.len);
		if (f == F_NKEYS)
			snprintf(msg, sizeof(msg), "holds 4294967295 keys; expected one");
		else
			snprintf(msg, sizeof(msg), "truncated or bad length: %s", field[f]);
		expect_refused(path, PL_EINVALID, msg, NULL);
		pl_buf_free(&blob);
	}
}

PL_TEST(key, openssh_every_truncation_refused)
{
	pl_buf blob = PL_BUF_INIT, text = PL_BUF_INIT;
	char path[4096];
	pl_key *k = NULL;
	spec s;

	default_spec(&s);
	build_blob(&blob, &s);
	for (size_t n = 0; n < blob.len; n++) {
		write_blob(path, "cut.openssh", blob.ptr, n);
		if (pl_key_load_private(&k, path) != PL_EINVALID || k)
			pl_test_fail(__FILE__, __LINE__, "blob cut at %zu: %s", n, pl_error_last());
		CHECK_CONTAINS(pl_error_last(), path);
	}
	armour(&text, blob.ptr, blob.len);
	for (size_t n = 0; n + 1 < text.len; n++) {
		put_file(path, "cut.openssh", text.ptr, n);
		if (pl_key_load_private(&k, path) >= 0 || k)
			pl_test_fail(__FILE__, __LINE__, "text cut at %zu loaded", n);
	}
	pl_buf_free(&blob);
	pl_buf_free(&text);
}

/* Every byte of an encrypted file matters: with an empty comment, a flip
 * anywhere (header, public key, ciphertext, tag) makes the load fail. The
 * bcrypt rounds field is left alone (a flip there costs up to 2^31 rounds,
 * which the limit refuses, or minutes below it). */
PL_TEST(key, openssh_encrypted_bit_flips_refused)
{
	static const char *const ciphers[] = {"aes256-ctr", "aes256-gcm@openssh.com"};

	for (int ci = 0; ci < 2; ci++) {
		pl_buf blob = PL_BUF_INIT;
		char path[4096];
		pass_ctx c = {PASS, 0, ""};
		pl_key *k = NULL;
		size_t rounds_at;
		spec s;

		default_spec(&s);
		s.cipher = ciphers[ci];
		s.kdf = "bcrypt";
		s.comment = "";
		build_blob(&blob, &s);
		rounds_at = s.off[F_KDFOPTS] + 4 + 4 + s.saltlen;
		for (size_t i = 0; i < blob.len; i++) {
			if (i >= rounds_at && i < rounds_at + 4)
				continue;
			blob.ptr[i] ^= 0x01;
			write_blob(path, "flip.openssh", blob.ptr, blob.len);
			if (load_with(&k, path, &c) >= 0 || k)
				pl_test_fail(__FILE__, __LINE__, "%s: flip at byte %zu loaded",
				             ciphers[ci], i);
			blob.ptr[i] ^= 0x01;
		}
		write_blob(path, "flip.openssh", blob.ptr, blob.len);
		CHECK_OK(load_with(&k, path, &c));
		pl_key_free(k);
		pl_buf_free(&blob);
	}
}
