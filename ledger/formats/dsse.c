/* dsse.c - DSSE envelopes (secure-systems-lab/dsse v1) signed with Ed25519,
 * serialised as SPEC §6 canonical JSON. */
#include "pl_dsse.h"

#include <string.h>

#include "crypto_internal.h"

int pl_dsse_pae(pl_buf *out, const char *type, const void *payload, size_t len)
{
	int error;

	if ((error = pl_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len)) < 0)
		return error;
	return pl_buf_put(out, payload, len);
}

static int build_envelope(pl_buf *out, const char *type, const void *payload, size_t len,
                          const char *keyid, const unsigned char sig[64])
{
	pl_buf b64 = PL_BUF_INIT, sigb64 = PL_BUF_INIT;
	json_t *env = NULL, *s = NULL;
	int error;

	if ((error = pl_base64_encode(&b64, payload, len)) < 0 ||
	    (error = pl_base64_encode(&sigb64, sig, 64)) < 0)
		goto done;
	s = json_pack("{s:s, s:s}", "keyid", keyid, "sig", sigb64.ptr);
	env = json_pack("{s:s, s:s, s:[o]}", "payload", b64.ptr ? b64.ptr : "", "payloadType", type,
	                "signatures", s);
	s = NULL; /* stolen by "o", even on failure */
	if (!env) {
		error = pl_error_set(PL_EINVALID, "cannot build the DSSE envelope (payload type "
		                                  "not UTF-8?)");
		goto done;
	}
	error = pl_json_canonical(out, env);
done:
	json_decref(env);
	pl_buf_free(&b64);
	pl_buf_free(&sigb64);
	return error;
}

int pl_dsse_sign(pl_buf *out, const pl_key *k, const char *type, const void *payload, size_t len)
{
	pl_buf pae = PL_BUF_INIT, keyid = PL_BUF_INIT;
	unsigned char sig[64];
	int error;

	if ((error = pl_key_fingerprint(&keyid, k)) < 0 ||
	    (error = pl_dsse_pae(&pae, type, payload, len)) < 0 ||
	    (error = pl_key_sign(k, sig, pae.ptr, pae.len)) < 0)
		goto done;
	error = build_envelope(out, type, payload, len, keyid.ptr, sig);
done:
	pl_buf_free(&pae);
	pl_buf_free(&keyid);
	return error;
}

/* The string member key of obj, or NULL. */
static const char *get_str(const json_t *obj, const char *key, size_t *len)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

int pl_dsse_parse(pl_dsse *out, const char *env, size_t len)
{
	pl_dsse d;
	pl_buf sig = PL_BUF_INIT, canon = PL_BUF_INIT;
	json_t *root = NULL, *sigs, *s0;
	const char *payload, *type, *keyid, *sigb64;
	size_t plen, tlen, klen, slen;
	int error;

	memset(&d, 0, sizeof(d));
	if ((error = pl_json_parse(&root, env, len, "DSSE envelope")) < 0)
		goto done;
	sigs = json_object_get(root, "signatures");
	if (!json_is_object(root) || json_object_size(root) != 3 ||
	    !(payload = get_str(root, "payload", &plen)) ||
	    !(type = get_str(root, "payloadType", &tlen)) || !json_is_array(sigs)) {
		error = pl_error_set(PL_EINVALID, "DSSE envelope: expected exactly the members "
		                                  "payload, payloadType and signatures");
		goto done;
	}
	if (json_array_size(sigs) != 1) {
		error = pl_error_set(PL_EINVALID, "DSSE envelope: %zu signatures, expected one",
		                     json_array_size(sigs));
		goto done;
	}
	s0 = json_array_get(sigs, 0);
	if (!json_is_object(s0) || json_object_size(s0) != 2 ||
	    !(keyid = get_str(s0, "keyid", &klen)) || !(sigb64 = get_str(s0, "sig", &slen))) {
		error = pl_error_set(PL_EINVALID,
		                     "DSSE envelope: a signature must have exactly keyid and sig");
		goto done;
	}
	if (tlen == 0 || memchr(type, '\0', tlen)) {
		error = pl_error_set(PL_EINVALID, "DSSE envelope: bad payloadType");
		goto done;
	}
	if (klen == 0 || klen >= sizeof(d.keyid) || memchr(keyid, '\0', klen)) {
		error = pl_error_set(PL_EINVALID, "DSSE envelope: bad keyid");
		goto done;
	}
	if ((error = pl_base64_decode(&d.payload, payload, plen)) < 0) {
		pl_error_prefix(error, "DSSE envelope: payload");
		goto done;
	}
	if ((error = pl_base64_decode(&sig, sigb64, slen)) < 0) {
		pl_error_prefix(error, "DSSE envelope: sig");
		goto done;
	}
	if (sig.len != 64) {
		error = pl_error_set(PL_EINVALID, "DSSE envelope: sig is %zu bytes, expected 64",
		                     sig.len);
		goto done;
	}
	if ((error = pl_json_canonical(&canon, root)) < 0) {
		pl_error_prefix(error, "DSSE envelope");
		goto done;
	}
	if (canon.len != len || memcmp(canon.ptr, env, len) != 0) {
		error = pl_error_set(PL_EINVALID, "DSSE envelope: not in canonical form");
		goto done;
	}
	if ((error = pl_buf_put(&d.type, type, tlen)) < 0)
		goto done;
	memcpy(d.keyid, keyid, klen);
	memcpy(d.sig, sig.ptr, 64);
	*out = d;
	memset(&d, 0, sizeof(d));
done:
	pl_dsse_clear(&d);
	pl_buf_free(&sig);
	pl_buf_free(&canon);
	json_decref(root);
	return error;
}

int pl_dsse_verify(const pl_dsse *d, const pl_key *k)
{
	pl_buf pae = PL_BUF_INIT, keyid = PL_BUF_INIT;
	int error;

	if ((error = pl_key_fingerprint(&keyid, k)) < 0)
		goto done;
	if (strcmp(keyid.ptr, d->keyid) != 0) {
		error = pl_error_set(PL_EVERIFY, "DSSE signature keyid %s is not the key %s",
		                     d->keyid, keyid.ptr);
		goto done;
	}
	if ((error = pl_dsse_pae(&pae, d->type.ptr ? d->type.ptr : "", d->payload.ptr,
	                         d->payload.len)) < 0)
		goto done;
	if ((error = pl_key_verify(k, d->sig, pae.ptr, pae.len)) < 0)
		pl_error_set(error, "DSSE signature by %s does not verify", d->keyid);
done:
	pl_buf_free(&pae);
	pl_buf_free(&keyid);
	return error;
}

void pl_dsse_clear(pl_dsse *d)
{
	if (!d)
		return;
	pl_buf_free(&d->payload);
	pl_buf_free(&d->type);
	memset(d, 0, sizeof(*d));
}
