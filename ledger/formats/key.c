/* key.c - Ed25519 keys over OpenSSL EVP: reading private key files safely,
 * PEM PKCS#8 files (OpenSSH ones in key_openssh.c), OpenSSH public lines and
 * fingerprints, signing (through ssh-agent in key_agent.c); plus the SSH wire
 * helpers and UTF-8 check of crypto_internal.h. */
#include "pl_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto_internal.h"
#include "key_internal.h"
#include "pl_hash.h"

#define KEY_TYPE "ssh-ed25519"
#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"

/* Translate the OpenSSL error queue into our message slot, and empty it. */
static int ossl_error(int code, const char *what)
{
	char msg[256] = "";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return pl_error_set(code, "%s%s%s", what, msg[0] ? ": " : "", msg);
}

int pl_key__wrap(pl_key **out, EVP_PKEY *pkey, int has_private)
{
	pl_key *k;
	size_t len = sizeof(k->pub);

	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return pl_error_set(PL_EINVALID, "not an Ed25519 key");
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pkey);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->has_private = has_private;
	if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &len) != 1 || len != sizeof(k->pub)) {
		pl_key_free(k);
		return ossl_error(PL_ERROR, "cannot read the Ed25519 public key");
	}
	*out = k;
	return PL_OK;
}

int pl_key_generate(pl_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!pkey)
		return ossl_error(PL_ERROR, "Ed25519 key generation failed");
	return pl_key__wrap(out, pkey, 1);
}

int pl_key_from_raw(pl_key **out, const unsigned char pub[32])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);

	if (!pkey)
		return ossl_error(PL_EINVALID, "invalid Ed25519 public key");
	return pl_key__wrap(out, pkey, 0);
}

int pl_key_read_secret(pl_buf *out, const char *path, const char *what)
{
	struct stat st;
	size_t start = out->len;
	int fd, error = PL_OK;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the
	 * file named is the file read. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) < 0) {
		int e = errno;
		if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return pl_error_set(
			    PL_EINVALID, "%s: is a symbolic link; refusing to read %s through it",
			    path, what);
		if (e == ENXIO) /* a socket, or a device without a driver */
			return pl_error_set(PL_EINVALID, "%s: not a regular file", path);
		return pl_error_set(e == ENOENT ? PL_ENOTFOUND : PL_ERROR, "%s: %s", path,
		                    strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		error = pl_error_set(PL_EINVALID, "%s: not a regular file", path);
		goto done;
	}
	if (st.st_mode & 077) {
		error =
		    pl_error_set(PL_EINVALID, "%s: permissions %04o are too open (must be 0600)",
		                 path, (unsigned)(st.st_mode & 07777));
		goto done;
	}
	if (st.st_size > PL_KEY_MAX_FILE) {
		error = pl_error_set(PL_ELIMIT, "%s: larger than %d bytes; not a key file", path,
		                     PL_KEY_MAX_FILE);
		goto done;
	}
	/* One allocation: a realloc would leave a copy of the secret behind. */
	if ((error = pl_buf_grow(out, PL_KEY_MAX_FILE + 1)) < 0)
		goto done;
	for (;;) {
		ssize_t n = read(fd, out->ptr + out->len, start + PL_KEY_MAX_FILE + 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = pl_error_set(PL_ERROR, "%s: read: %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len - start > PL_KEY_MAX_FILE) {
			error = pl_error_set(PL_ELIMIT, "%s: larger than %d bytes; not a key file",
			                     path, PL_KEY_MAX_FILE);
			goto done;
		}
	}
done:
	if (error < 0 && out->ptr) {
		OPENSSL_cleanse(out->ptr + start, out->cap - start);
		out->len = start;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	close(fd);
	return error;
}

static int load_pem(pl_key **out, const char *path, const pl_buf *data)
{
	BIO *bio;
	EVP_PKEY *pkey;
	int error;

	if (strstr(data->ptr, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
		return pl_error_set(PL_EINVALID,
		                    "%s: an encrypted PKCS#8 key; only OpenSSH keys may be "
		                    "protected by a passphrase",
		                    path);
	if ((bio = BIO_new_mem_buf(data->ptr, (int)data->len)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	/* Empty passphrase callback data: an encrypted key fails instead of prompting. */
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	if (!pkey) {
		ERR_clear_error();
		return pl_error_set(PL_EINVALID,
		                    "%s: not a private key (PEM PKCS#8 or OpenSSH Ed25519)", path);
	}
	if ((error = pl_key__wrap(out, pkey, 1)) < 0)
		pl_error_prefix(error, "%s", path);
	return error;
}

int pl_key_load_private_ex(pl_key **out, const char *path, const pl_key_load_opts *opts)
{
	static const pl_key_load_opts none = {NULL, NULL};
	pl_buf data = PL_BUF_INIT;
	size_t blen = strlen(OPENSSH_BEGIN);
	int error;

	if ((error = pl_key_read_secret(&data, path, "a private key")) < 0)
		goto done;
	if (data.len >= blen && memcmp(data.ptr, OPENSSH_BEGIN, blen) == 0)
		error = pl_key__load_openssh(out, path, data.ptr, data.len, opts ? opts : &none);
	else
		error = load_pem(out, path, &data);
done:
	if (data.ptr)
		OPENSSL_cleanse(data.ptr, data.cap);
	pl_buf_free(&data);
	return error;
}

int pl_key_load_private(pl_key **out, const char *path)
{
	return pl_key_load_private_ex(out, path, NULL);
}

int pl_key_save_private(const pl_key *k, const char *path)
{
	pl_buf tmp = PL_BUF_INIT;
	BIO *bio = NULL;
	char *pem;
	long pemlen;
	int fd = -1, error;

	if (!k->has_private)
		return pl_error_set(PL_EUSAGE, "%s: the key has no private half", path);
	if (k->agent_socket)
		return pl_error_set(PL_EUSAGE,
		                    "%s: the key is held by ssh-agent; it cannot be saved", path);
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		error = ossl_error(PL_ERROR, "cannot encode the private key");
		goto done;
	}
	pemlen = BIO_get_mem_data(bio, &pem);
	if ((error = pl_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid())) < 0)
		goto done;
	if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	for (long off = 0; off < pemlen;) {
		ssize_t w = write(fd, pem + off, (size_t)(pemlen - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			error = pl_error_set(PL_ERROR, "%s: write: %s", tmp.ptr, strerror(errno));
			goto done;
		}
		off += w;
	}
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	/* link() rather than rename(): it fails instead of replacing an existing key. */
	if (link(tmp.ptr, path) < 0) {
		error = pl_error_set(errno == EEXIST ? PL_ECONFLICT : PL_ERROR, "%s: %s", path,
		                     errno == EEXIST ? "already exists" : strerror(errno));
		goto done;
	}
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	pl_buf_free(&tmp);
	BIO_free(bio);
	return error;
}

int pl_key_public(pl_key **out, const pl_key *k)
{
	return pl_key_from_raw(out, k->pub);
}

void pl_key_raw(const pl_key *k, unsigned char out[32])
{
	memcpy(out, k->pub, 32);
}

int pl_key_has_private(const pl_key *k)
{
	return k->has_private;
}

int pl_key_sign(const pl_key *k, unsigned char sig[64], const void *msg, size_t len)
{
	EVP_MD_CTX *ctx;
	size_t siglen = 64;
	int error = PL_OK;

	if (!k->has_private)
		return pl_error_set(PL_EUSAGE, "cannot sign: the key has no private half");
	if (k->agent_socket)
		return pl_key__agent_sign(k, sig, msg, len);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != 64)
		error = ossl_error(PL_ERROR, "Ed25519 signing failed");
	EVP_MD_CTX_free(ctx);
	return error;
}

int pl_key_verify(const pl_key *k, const unsigned char sig[64], const void *msg, size_t len)
{
	EVP_MD_CTX *ctx;
	int rc;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	rc = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey);
	if (rc == 1)
		rc = EVP_DigestVerify(ctx, sig, 64, msg, len);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (rc != 1)
		return pl_error_set(PL_EVERIFY, "bad Ed25519 signature");
	return PL_OK;
}

void pl_key_free(pl_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL wipes the private key it holds */
	free(k->agent_socket);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* --- OpenSSH public keys --- */

int pl_ssh__put_u32(pl_buf *b, uint32_t v)
{
	unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                       (unsigned char)(v >> 8), (unsigned char)v};
	return pl_buf_put(b, be, 4);
}

int pl_ssh__put_string(pl_buf *b, const void *data, size_t len)
{
	int error;

	if (len > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "SSH string too long");
	if ((error = pl_ssh__put_u32(b, (uint32_t)len)) < 0)
		return error;
	return pl_buf_put(b, data, len);
}

int pl_ssh__get_u32(pl_ssh__reader *r, uint32_t *v)
{
	if (r->n < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return 0;
}

int pl_ssh__get_string(pl_ssh__reader *r, const unsigned char **data, size_t *len)
{
	pl_ssh__reader save = *r;
	uint32_t n;

	if (pl_ssh__get_u32(r, &n) < 0 || r->n < n) {
		*r = save;
		return -1;
	}
	*data = r->p;
	*len = n;
	r->p += n;
	r->n -= n;
	return 0;
}

int pl_ssh__get_string_eq(pl_ssh__reader *r, const char *s)
{
	pl_ssh__reader save = *r;
	const unsigned char *p;
	size_t n;

	if (pl_ssh__get_string(r, &p, &n) == 0 && n == strlen(s) && memcmp(p, s, n) == 0)
		return 1;
	*r = save;
	return 0;
}

int pl_ssh__pubkey_blob(pl_buf *out, const pl_key *k)
{
	int error;

	if ((error = pl_ssh__put_string(out, KEY_TYPE, strlen(KEY_TYPE))) < 0)
		return error;
	return pl_ssh__put_string(out, k->pub, sizeof(k->pub));
}

int pl_ssh__key_from_blob(pl_key **out, const unsigned char *blob, size_t len, const char *what)
{
	pl_ssh__reader r = {blob, len};
	const unsigned char *pub;
	size_t publen;

	if (!pl_ssh__get_string_eq(&r, KEY_TYPE))
		return pl_error_set(PL_EINVALID, "%s: not an ssh-ed25519 key", what);
	if (pl_ssh__get_string(&r, &pub, &publen) < 0 || publen != 32)
		return pl_error_set(PL_EINVALID, "%s: Ed25519 public key is not 32 bytes", what);
	if (r.n != 0)
		return pl_error_set(PL_EINVALID, "%s: %zu trailing bytes in the key blob", what,
		                    r.n);
	return pl_key_from_raw(out, pub);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int pl_key_from_openssh(pl_key **out, pl_buf *comment, const char *line, size_t len)
{
	pl_buf blob = PL_BUF_INIT;
	size_t i = 0, b64start, b64end, tlen = strlen(KEY_TYPE);
	int error;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\n', len) || memchr(line, '\r', len) || memchr(line, '\0', len))
		return pl_error_set(PL_EINVALID, "OpenSSH public key: not a single line");
	if (len < tlen || memcmp(line, KEY_TYPE, tlen) != 0 || len == tlen || !is_blank(line[tlen]))
		return pl_error_set(PL_EINVALID, "OpenSSH public key: not an ssh-ed25519 key");
	for (i = tlen; i < len && is_blank(line[i]); i++)
		;
	b64start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	b64end = i;
	if ((error = pl_base64_decode(&blob, line + b64start, b64end - b64start)) < 0) {
		pl_error_prefix(error, "OpenSSH public key");
		goto done;
	}
	if ((error = pl_ssh__key_from_blob(out, (unsigned char *)blob.ptr, blob.len,
	                                   "OpenSSH public key")) < 0)
		goto done;
	if (comment) {
		while (i < len && is_blank(line[i]))
			i++;
		pl_buf_clear(comment);
		if ((error = pl_buf_put(comment, line + i, len - i)) < 0) {
			pl_key_free(*out);
			*out = NULL;
		}
	}
done:
	pl_buf_free(&blob);
	return error;
}

int pl_key_openssh(pl_buf *out, const pl_key *k, const char *comment)
{
	pl_buf blob = PL_BUF_INIT;
	int error;

	if (comment && strpbrk(comment, "\r\n"))
		return pl_error_set(PL_EINVALID, "OpenSSH public key: comment holds a line break");
	if ((error = pl_ssh__pubkey_blob(&blob, k)) < 0 ||
	    (error = pl_buf_puts(out, KEY_TYPE " ")) < 0 ||
	    (error = pl_base64_encode(out, (unsigned char *)blob.ptr, blob.len)) < 0)
		goto done;
	if (comment && comment[0])
		error = pl_buf_printf(out, " %s", comment);
done:
	pl_buf_free(&blob);
	return error;
}

int pl_key_fingerprint(pl_buf *out, const pl_key *k)
{
	pl_buf blob = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	int error;

	if ((error = pl_ssh__pubkey_blob(&blob, k)) < 0)
		goto done;
	pl_sha256(h, blob.ptr, blob.len);
	if ((error = pl_buf_puts(out, "SHA256:")) < 0 ||
	    (error = pl_base64_encode(out, h, sizeof(h))) < 0)
		goto done;
	while (out->len > 0 && out->ptr[out->len - 1] == '=')
		out->ptr[--out->len] = '\0';
done:
	pl_buf_free(&blob);
	return error;
}

/* --- UTF-8 --- */

int pl_utf8__valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t j = 1; j <= n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}
