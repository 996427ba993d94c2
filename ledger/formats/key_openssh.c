/* key_openssh.c - OpenSSH private key files (PROTOCOL.key, "openssh-key-v1")
 * holding one ssh-ed25519 key: unencrypted, or protected by a passphrase
 * (bcrypt_pbkdf, then aes256-ctr or aes256-gcm@openssh.com). Everything that
 * does not fit is refused with a message naming the file: the armour, the
 * magic, every length, the check integers, the padding, the key type, and a
 * public key that is not the private key's. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto_internal.h"
#include "key_internal.h"

#define BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define END "-----END OPENSSH PRIVATE KEY-----"
#define MAGIC "openssh-key-v1" /* and its NUL */
#define MAGIC_LEN 15
#define KEY_TYPE "ssh-ed25519"
#define MAX_ROUNDS 10000 /* ~1 min; ssh-keygen's default is 16 */
#define MAX_SALT 1024    /* ssh-keygen writes 16 bytes */
#define GCM_TAG 16

typedef struct {
	const char *name;
	int keylen, ivlen, block, taglen;
	const EVP_CIPHER *(*evp)(void);
} cipher;

static const cipher ciphers[] = {
    {"none", 0, 0, 8, 0, NULL},
    {"aes256-ctr", 32, 16, 16, 0, EVP_aes_256_ctr},
    {"aes256-gcm@openssh.com", 32, 12, 16, GCM_TAG, EVP_aes_256_gcm},
};

/* A field's text for a message: itself when short and printable. */
static const char *shown(char buf[64], const unsigned char *p, size_t n)
{
	if (n >= 64)
		return "(too long to show)";
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return "(not printable)";
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* The base64 between the BEGIN and END lines, decoded into blob. Lines may
 * have any length and end in LF or CRLF; only white space may follow END. */
static int dearmour(pl_buf *blob, const char *path, const char *text, size_t len)
{
	pl_buf b64 = PL_BUF_INIT;
	size_t i = strlen(BEGIN), elen = strlen(END);
	int error = PL_OK, ended = 0;

	if (i < len && text[i] == '\r')
		i++;
	if (i >= len || text[i] != '\n') {
		error = pl_error_set(PL_EINVALID, "%s: no line break after %s", path, BEGIN);
		goto done;
	}
	i++;
	/* The key's bytes pass through here: one allocation, wiped below. */
	if ((error = pl_buf_grow(&b64, len)) < 0)
		goto done;
	while (i < len) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == elen && memcmp(line, END, elen) == 0) {
			ended = 1;
			break;
		}
		if ((error = pl_buf_put(&b64, line, n)) < 0)
			goto done;
	}
	if (!ended) {
		error = pl_error_set(PL_EINVALID, "%s: no %s line", path, END);
		goto done;
	}
	for (; i < len; i++) {
		if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t') {
			error = pl_error_set(PL_EINVALID, "%s: text after the %s line", path, END);
			goto done;
		}
	}
	if ((error = pl_buf_grow(blob, b64.len)) < 0)
		goto done;
	if ((error = pl_base64_decode(blob, b64.ptr ? b64.ptr : "", b64.len)) < 0) {
		pl_error_prefix(error, "%s", path);
		goto done;
	}
done:
	if (b64.ptr)
		OPENSSL_cleanse(b64.ptr, b64.cap);
	pl_buf_free(&b64);
	return error;
}

static int truncated(const char *path, const char *field)
{
	return pl_error_set(PL_EINVALID, "%s: truncated or bad length: %s", path, field);
}

/* Decrypt the private section in place (AES-CTR/GCM keep the length). */
static int decrypt(unsigned char *data, size_t len, const unsigned char *tag, const cipher *c,
                   const unsigned char *salt, size_t saltlen, unsigned rounds, const char *path,
                   const pl_key_load_opts *opts)
{
	pl_buf pass = PL_BUF_INIT;
	unsigned char kiv[64];
	EVP_CIPHER_CTX *ctx = NULL;
	int n, error;

	if (!opts->passphrase) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: the key is protected by a passphrase and none was given",
		                     path);
		goto done;
	}
	if ((error = opts->passphrase(opts->passphrase_ctx, &pass, path)) < 0)
		goto done;
	if (pass.len == 0) {
		error = pl_error_set(PL_EINVALID, "%s: empty passphrase", path);
		goto done;
	}
	if ((error = pl_bcrypt__pbkdf(kiv, (size_t)(c->keylen + c->ivlen), pass.ptr, pass.len, salt,
	                              saltlen, rounds)) < 0)
		goto done;
	if (len > INT32_MAX) {
		error = pl_error_set(PL_ELIMIT, "%s: private section too large", path);
		goto done;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DecryptInit_ex(ctx, c->evp(), NULL, NULL, NULL) != 1 ||
	    (c->taglen && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, c->ivlen, NULL) != 1) ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, kiv, kiv + c->keylen) != 1 ||
	    EVP_DecryptUpdate(ctx, data, &n, data, (int)len) != 1 || (size_t)n != len ||
	    (c->taglen &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, c->taglen, (void *)tag) != 1)) {
		ERR_clear_error();
		error = pl_error_set(PL_ERROR, "%s: %s decryption failed", path, c->name);
		goto done;
	}
	/* GCM: the tag check; a wrong passphrase is the usual reason. */
	if (EVP_DecryptFinal_ex(ctx, data + len, &n) != 1) {
		ERR_clear_error();
		OPENSSL_cleanse(data, len);
		error = pl_error_set(PL_EINVALID, "%s: incorrect passphrase", path);
		goto done;
	}
done:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(kiv, sizeof(kiv));
	if (pass.ptr)
		OPENSSL_cleanse(pass.ptr, pass.cap);
	pl_buf_free(&pass);
	return error;
}

/* The decrypted private section: check integers, one ssh-ed25519 key that
 * matches pub, a comment, padding 1, 2, 3, ... up to the block size. */
static int parse_private(pl_key **out, const unsigned char *p, size_t n, const unsigned char *pub,
                         const cipher *c, const char *path)
{
	pl_ssh__reader r = {p, n};
	const unsigned char *type, *kpub, *priv, *comment;
	size_t typelen, kpublen, privlen, commentlen;
	uint32_t check1, check2;
	EVP_PKEY *pkey;
	pl_key *k = NULL;
	char buf[64];
	int error;

	if (pl_ssh__get_u32(&r, &check1) < 0 || pl_ssh__get_u32(&r, &check2) < 0)
		return truncated(path, "check integers");
	if (check1 != check2) {
		if (c->evp)
			return pl_error_set(PL_EINVALID, "%s: incorrect passphrase", path);
		return pl_error_set(PL_EINVALID, "%s: corrupt key: the check integers differ",
		                    path);
	}
	if (pl_ssh__get_string(&r, &type, &typelen) < 0)
		return truncated(path, "private key type");
	if (typelen != strlen(KEY_TYPE) || memcmp(type, KEY_TYPE, typelen) != 0)
		return pl_error_set(PL_EINVALID, "%s: the private key is of type %s, not %s", path,
		                    shown(buf, type, typelen), KEY_TYPE);
	if (pl_ssh__get_string(&r, &kpub, &kpublen) < 0)
		return truncated(path, "private section's public key");
	if (pl_ssh__get_string(&r, &priv, &privlen) < 0)
		return truncated(path, "private key");
	if (pl_ssh__get_string(&r, &comment, &commentlen) < 0)
		return truncated(path, "comment");
	if (kpublen != 32 || privlen != 64)
		return pl_error_set(PL_EINVALID,
		                    "%s: Ed25519 keys are 32 and 64 bytes, not %zu and %zu", path,
		                    kpublen, privlen);
	/* OpenSSH's 64-byte private key is seed || public key. */
	if (memcmp(kpub, pub, 32) != 0 || memcmp(priv + 32, pub, 32) != 0)
		return pl_error_set(
		    PL_EINVALID, "%s: the private key's public half is not the file's public key",
		    path);
	if (r.n >= (size_t)c->block)
		return pl_error_set(PL_EINVALID, "%s: %zu bytes after the key (more than padding)",
		                    path, r.n);
	for (size_t i = 0; i < r.n; i++)
		if (r.p[i] != (unsigned char)(i + 1))
			return pl_error_set(PL_EINVALID, "%s: bad padding", path);
	if ((pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32)) == NULL) {
		ERR_clear_error();
		return pl_error_set(PL_EINVALID, "%s: invalid Ed25519 private key", path);
	}
	if ((error = pl_key__wrap(&k, pkey, 1)) < 0)
		return pl_error_prefix(error, "%s", path);
	/* The public key derived from the seed must be the one the file states. */
	if (memcmp(k->pub, pub, 32) != 0) {
		pl_key_free(k);
		return pl_error_set(PL_EINVALID,
		                    "%s: the private key does not match its public key", path);
	}
	*out = k;
	return PL_OK;
}

int pl_key__load_openssh(pl_key **out, const char *path, const char *text, size_t len,
                         const pl_key_load_opts *opts)
{
	pl_buf blob = PL_BUF_INIT;
	pl_ssh__reader r, kr;
	const unsigned char *cname, *kdf, *kdfopts, *pubblob, *priv, *tag = NULL, *salt = NULL,
	                                                             *ptype, *pk;
	size_t cnamelen = 0, kdflen = 0, kdfoptslen = 0, publen = 0, privlen = 0, saltlen = 0,
	       ptypelen = 0, pklen = 0;
	uint32_t nkeys, rounds = 0;
	const cipher *c = NULL;
	unsigned char *plain = NULL;
	char buf[64];
	int error;

	if ((error = dearmour(&blob, path, text, len)) < 0)
		goto done;
	r.p = (const unsigned char *)blob.ptr;
	r.n = blob.len;
	if (r.n < MAGIC_LEN || memcmp(r.p, MAGIC, MAGIC_LEN) != 0) {
		error =
		    pl_error_set(PL_EINVALID, "%s: not an openssh-key-v1 key (bad magic)", path);
		goto done;
	}
	r.p += MAGIC_LEN;
	r.n -= MAGIC_LEN;
	if (pl_ssh__get_string(&r, &cname, &cnamelen) < 0) {
		error = truncated(path, "cipher name");
		goto done;
	}
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (cnamelen == strlen(ciphers[i].name) &&
		    memcmp(cname, ciphers[i].name, cnamelen) == 0)
			c = &ciphers[i];
	if (!c) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: unsupported cipher %s (supported: none, aes256-ctr, "
		                     "aes256-gcm@openssh.com)",
		                     path, shown(buf, cname, cnamelen));
		goto done;
	}
	if (pl_ssh__get_string(&r, &kdf, &kdflen) < 0) {
		error = truncated(path, "KDF name");
		goto done;
	}
	if (pl_ssh__get_string(&r, &kdfopts, &kdfoptslen) < 0) {
		error = truncated(path, "KDF options");
		goto done;
	}
	if (!c->evp) {
		if (kdflen != 4 || memcmp(kdf, "none", 4) != 0 || kdfoptslen != 0) {
			error = pl_error_set(PL_EINVALID, "%s: cipher none with KDF %s", path,
			                     shown(buf, kdf, kdflen));
			goto done;
		}
	} else {
		pl_ssh__reader o = {kdfopts, kdfoptslen};
		if (kdflen != 6 || memcmp(kdf, "bcrypt", 6) != 0) {
			error =
			    pl_error_set(PL_EINVALID, "%s: unsupported KDF %s (supported: bcrypt)",
			                 path, shown(buf, kdf, kdflen));
			goto done;
		}
		if (pl_ssh__get_string(&o, &salt, &saltlen) < 0 ||
		    pl_ssh__get_u32(&o, &rounds) < 0 || o.n != 0) {
			error = pl_error_set(PL_EINVALID, "%s: malformed bcrypt options", path);
			goto done;
		}
		if (saltlen == 0 || saltlen > MAX_SALT || rounds == 0) {
			error = pl_error_set(PL_EINVALID, "%s: bcrypt salt of %zu bytes, %u rounds",
			                     path, saltlen, (unsigned)rounds);
			goto done;
		}
		if (rounds > MAX_ROUNDS) {
			error = pl_error_set(PL_ELIMIT, "%s: %u bcrypt rounds (at most %d)", path,
			                     (unsigned)rounds, MAX_ROUNDS);
			goto done;
		}
	}
	if (pl_ssh__get_u32(&r, &nkeys) < 0) {
		error = truncated(path, "number of keys");
		goto done;
	}
	if (nkeys != 1) {
		error = pl_error_set(PL_EINVALID, "%s: holds %u keys; expected one", path,
		                     (unsigned)nkeys);
		goto done;
	}
	if (pl_ssh__get_string(&r, &pubblob, &publen) < 0) {
		error = truncated(path, "public key");
		goto done;
	}
	kr.p = pubblob;
	kr.n = publen;
	if (pl_ssh__get_string(&kr, &ptype, &ptypelen) < 0) {
		error = truncated(path, "public key type");
		goto done;
	}
	if (ptypelen != strlen(KEY_TYPE) || memcmp(ptype, KEY_TYPE, ptypelen) != 0) {
		error =
		    pl_error_set(PL_EINVALID, "%s: a key of type %s; only %s keys are supported",
		                 path, shown(buf, ptype, ptypelen), KEY_TYPE);
		goto done;
	}
	if (pl_ssh__get_string(&kr, &pk, &pklen) < 0 || pklen != 32 || kr.n != 0) {
		error = pl_error_set(PL_EINVALID, "%s: malformed ssh-ed25519 public key", path);
		goto done;
	}
	if (pl_ssh__get_string(&r, &priv, &privlen) < 0) {
		error = truncated(path, "private section");
		goto done;
	}
	if (privlen == 0 || privlen % (size_t)c->block != 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: private section of %zu bytes, not a multiple of the %s "
		                     "block size (%d)",
		                     path, privlen, c->name, c->block);
		goto done;
	}
	if (c->taglen) {
		if (r.n < (size_t)c->taglen) {
			error = truncated(path, "authentication tag");
			goto done;
		}
		tag = r.p;
		r.p += c->taglen;
		r.n -= (size_t)c->taglen;
	}
	if (r.n != 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: %zu trailing bytes after the private section", path, r.n);
		goto done;
	}
	if ((plain = malloc(privlen + 16)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(plain, priv, privlen);
	if (c->evp &&
	    (error = decrypt(plain, privlen, tag, c, salt, saltlen, rounds, path, opts)) < 0)
		goto done;
	error = parse_private(out, plain, privlen, pk, c, path);
done:
	if (plain) {
		OPENSSL_cleanse(plain, privlen + 16);
		free(plain);
	}
	if (blob.ptr)
		OPENSSL_cleanse(blob.ptr, blob.cap);
	pl_buf_free(&blob);
	return error;
}
