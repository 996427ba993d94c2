/* sshsig.c - OpenSSH SSHSIG signatures (PROTOCOL.sshsig) with Ed25519 keys,
 * byte-compatible with `ssh-keygen -Y sign` and git's gpg.format=ssh. */
#include "pl_sshsig.h"

#include <string.h>

#include "crypto_internal.h"
#include "pl_hash.h"

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define VERSION 1
#define KEY_TYPE "ssh-ed25519"
#define BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define END "-----END SSH SIGNATURE-----"
#define WRAP 70
#define MAX_ARMOR 65536

/* The data the key signs: MAGIC || string(ns) || string(reserved) ||
 * string(hashalg) || string(H(msg)). */
static int signed_data(pl_buf *out, const char *ns, const char *hashalg, const void *msg,
                       size_t len)
{
	unsigned char h[64];
	size_t hlen = 64;
	int error;

	if (strcmp(hashalg, "sha512") == 0) {
		pl_sha512(h, msg, len);
	} else {
		pl_sha256(h, msg, len);
		hlen = PL_HASH_LEN;
	}
	if ((error = pl_buf_put(out, MAGIC, MAGIC_LEN)) < 0 ||
	    (error = pl_ssh__put_string(out, ns, strlen(ns))) < 0 ||
	    (error = pl_ssh__put_string(out, "", 0)) < 0 ||
	    (error = pl_ssh__put_string(out, hashalg, strlen(hashalg))) < 0)
		return error;
	return pl_ssh__put_string(out, h, hlen);
}

int pl_sshsig_sign(pl_buf *out, const pl_key *k, const char *ns, const void *msg, size_t len)
{
	pl_buf data = PL_BUF_INIT, blob = PL_BUF_INIT, sigblob = PL_BUF_INIT, pub = PL_BUF_INIT,
	       b64 = PL_BUF_INIT;
	unsigned char sig[64];
	int error;

	if (ns[0] == '\0') {
		error = pl_error_set(PL_EUSAGE, "SSHSIG: empty namespace");
		goto done;
	}
	if ((error = signed_data(&data, ns, "sha512", msg, len)) < 0 ||
	    (error = pl_key_sign(k, sig, data.ptr, data.len)) < 0 ||
	    (error = pl_ssh__pubkey_blob(&pub, k)) < 0 ||
	    (error = pl_ssh__put_string(&sigblob, KEY_TYPE, strlen(KEY_TYPE))) < 0 ||
	    (error = pl_ssh__put_string(&sigblob, sig, sizeof(sig))) < 0 ||
	    (error = pl_buf_put(&blob, MAGIC, MAGIC_LEN)) < 0 ||
	    (error = pl_ssh__put_u32(&blob, VERSION)) < 0 ||
	    (error = pl_ssh__put_string(&blob, pub.ptr, pub.len)) < 0 ||
	    (error = pl_ssh__put_string(&blob, ns, strlen(ns))) < 0 ||
	    (error = pl_ssh__put_string(&blob, "", 0)) < 0 ||
	    (error = pl_ssh__put_string(&blob, "sha512", 6)) < 0 ||
	    (error = pl_ssh__put_string(&blob, sigblob.ptr, sigblob.len)) < 0 ||
	    (error = pl_base64_encode(&b64, (unsigned char *)blob.ptr, blob.len)) < 0)
		goto done;
	if ((error = pl_buf_puts(out, BEGIN)) < 0)
		goto done;
	for (size_t off = 0; off < b64.len; off += WRAP) {
		size_t n = b64.len - off < WRAP ? b64.len - off : WRAP;
		if ((error = pl_buf_put(out, b64.ptr + off, n)) < 0 ||
		    (error = pl_buf_putc(out, '\n')) < 0)
			goto done;
	}
	error = pl_buf_puts(out, END "\n");
done:
	pl_buf_free(&data);
	pl_buf_free(&blob);
	pl_buf_free(&sigblob);
	pl_buf_free(&pub);
	pl_buf_free(&b64);
	return error;
}

/* Strip the armour: the BEGIN line, base64 lines of at most 76 characters
 * (ssh-keygen writes 70), the END line, and at most one final newline. */
static int dearmor(pl_buf *blob, const char *a, size_t alen)
{
	pl_buf b64 = PL_BUF_INIT;
	size_t blen = strlen(BEGIN), elen = strlen(END), i;
	int error = PL_EINVALID;

	if (alen > MAX_ARMOR) {
		error = pl_error_set(PL_ELIMIT, "SSH signature: armour too large");
		goto done;
	}
	if (alen > 0 && a[alen - 1] == '\n')
		alen--;
	if (alen < blen + elen || memcmp(a, BEGIN, blen) != 0 ||
	    memcmp(a + alen - elen, END, elen) != 0 || a[alen - elen - 1] != '\n') {
		pl_error_set(PL_EINVALID, "SSH signature: missing BEGIN or END armour line");
		goto done;
	}
	for (i = blen; i < alen - elen;) {
		const char *eol = memchr(a + i, '\n', alen - elen - i);
		size_t llen = (size_t)(eol - (a + i));
		if (llen == 0 || llen > 76) {
			pl_error_set(PL_EINVALID, "SSH signature: bad armour line length %zu",
			             llen);
			goto done;
		}
		if ((error = pl_buf_put(&b64, a + i, llen)) < 0)
			goto done;
		i += llen + 1;
	}
	if (b64.len == 0) {
		error = pl_error_set(PL_EINVALID, "SSH signature: empty armour");
		goto done;
	}
	if ((error = pl_base64_decode(blob, b64.ptr, b64.len)) < 0)
		pl_error_prefix(error, "SSH signature");
done:
	pl_buf_free(&b64);
	return error;
}

static int str_is(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

int pl_sshsig_verify(pl_key **signer, const pl_key *expect, const char *armored, size_t alen,
                     const char *ns, const void *msg, size_t len)
{
	pl_buf blob = PL_BUF_INIT, data = PL_BUF_INIT, fp = PL_BUF_INIT, fp2 = PL_BUF_INIT;
	pl_ssh__reader r, sr;
	const unsigned char *pub, *sns, *reserved, *halg, *sig, *sigraw;
	size_t publen, snslen, reslen, halglen, siglen, sigrawlen;
	unsigned char a[32], b[32];
	char hashalg[8];
	uint32_t version;
	pl_key *k = NULL;
	int error;

	if ((error = dearmor(&blob, armored, alen)) < 0)
		goto done;
	r = (pl_ssh__reader){(const unsigned char *)blob.ptr, blob.len};
	if (r.n < MAGIC_LEN || memcmp(r.p, MAGIC, MAGIC_LEN) != 0) {
		error = pl_error_set(PL_EINVALID, "SSH signature: bad magic");
		goto done;
	}
	r.p += MAGIC_LEN;
	r.n -= MAGIC_LEN;
	if (pl_ssh__get_u32(&r, &version) < 0 || pl_ssh__get_string(&r, &pub, &publen) < 0 ||
	    pl_ssh__get_string(&r, &sns, &snslen) < 0 ||
	    pl_ssh__get_string(&r, &reserved, &reslen) < 0 ||
	    pl_ssh__get_string(&r, &halg, &halglen) < 0 ||
	    pl_ssh__get_string(&r, &sig, &siglen) < 0) {
		error = pl_error_set(PL_EINVALID, "SSH signature: truncated");
		goto done;
	}
	if (r.n != 0) {
		error = pl_error_set(PL_EINVALID, "SSH signature: %zu trailing bytes", r.n);
		goto done;
	}
	if (version != VERSION) {
		error = pl_error_set(PL_EINVALID, "SSH signature: unsupported version %u",
		                     (unsigned)version);
		goto done;
	}
	if (reslen != 0) {
		error = pl_error_set(PL_EINVALID, "SSH signature: reserved field is not empty");
		goto done;
	}
	sr = (pl_ssh__reader){pub, publen};
	if (!pl_ssh__get_string_eq(&sr, KEY_TYPE)) {
		error = pl_error_set(PL_EVERIFY, "SSH signature: unsupported key type (only %s)",
		                     KEY_TYPE);
		goto done;
	}
	if (signer || !expect) {
		if ((error = pl_ssh__key_from_blob(&k, pub, publen, "SSH signature")) < 0)
			goto done;
	} else {
		/* Only compared with expect: no EVP key needed (a costly
		 * construction when verify checks every commit). */
		const unsigned char *pk;
		size_t pklen;
		if (pl_ssh__get_string(&sr, &pk, &pklen) < 0 || pklen != 32 || sr.n != 0) {
			error = pl_error_set(PL_EINVALID, "SSH signature: malformed public key");
			goto done;
		}
		memcpy(b, pk, 32);
	}
	if (!str_is(sns, snslen, ns)) {
		error =
		    pl_error_set(PL_EVERIFY, "SSH signature: namespace \"%.*s\", expected \"%s\"",
		                 (int)(snslen > 64 ? 64 : snslen), (const char *)sns, ns);
		goto done;
	}
	if (!str_is(halg, halglen, "sha512") && !str_is(halg, halglen, "sha256")) {
		error = pl_error_set(PL_EVERIFY, "SSH signature: unsupported hash algorithm");
		goto done;
	}
	memcpy(hashalg, halg, halglen);
	hashalg[halglen] = '\0';
	sr = (pl_ssh__reader){sig, siglen};
	if (!pl_ssh__get_string_eq(&sr, KEY_TYPE) ||
	    pl_ssh__get_string(&sr, &sigraw, &sigrawlen) < 0 || sigrawlen != 64 || sr.n != 0) {
		error =
		    pl_error_set(PL_EINVALID, "SSH signature: malformed %s signature", KEY_TYPE);
		goto done;
	}
	if (expect) {
		pl_key_raw(expect, a);
		if (k)
			pl_key_raw(k, b);
		if (memcmp(a, b, 32) != 0) {
			if (!k && (error = pl_key_from_raw(&k, b)) < 0)
				goto done;
			if ((error = pl_key_fingerprint(&fp, k)) < 0 ||
			    (error = pl_key_fingerprint(&fp2, expect)) < 0)
				goto done;
			error = pl_error_set(PL_EVERIFY, "SSH signature: signed by %s, expected %s",
			                     fp.ptr, fp2.ptr);
			goto done;
		}
	}
	if ((error = signed_data(&data, ns, hashalg, msg, len)) < 0)
		goto done;
	if ((error = pl_key_verify(k ? k : expect, sigraw, data.ptr, data.len)) < 0) {
		pl_error_set(error, "SSH signature: bad signature");
		goto done;
	}
	if (signer) {
		*signer = k;
		k = NULL;
	}
done:
	pl_key_free(k);
	pl_buf_free(&blob);
	pl_buf_free(&data);
	pl_buf_free(&fp);
	pl_buf_free(&fp2);
	return error;
}
