/*
 * pl_dsse.h - canonical JSON (SPEC §6), strict JSON parsing, and DSSE
 * envelopes (PAE, sign, parse, verify) over jansson.
 */
#ifndef PL_DSSE_H
#define PL_DSSE_H

#include <jansson.h>

#include "pl_common.h"
#include "pl_key.h"

#define PL_INTOTO_TYPE "application/vnd.in-toto+json"

/* SPEC §6 canonical serialisation: compact, keys sorted bytewise, raw UTF-8
 * with only '"', '\\' and U+0000-U+001F escaped (\b \f \n \r \t, else
 * \u00xx lowercase); integers only. Same bytes as Python json.dumps(
 * sort_keys=True, separators=(",",":"), ensure_ascii=False). Appends to out;
 * on failure out is as it was. PL_EINVALID for a real, an integer beyond
 * +-(2^53-1) (SPEC: such numbers are decimal strings) or invalid UTF-8;
 * PL_ELIMIT past 128 levels of nesting. */
int pl_json_canonical(pl_buf *out, const json_t *v);

/* Strict parse of exactly one JSON value: duplicate keys, trailing bytes,
 * invalid UTF-8 and NUL in strings are PL_EINVALID; what names the input in
 * the message ("entry 12", "bundle.json"). */
int pl_json_parse(json_t **out, const char *data, size_t len, const char *what);

/* The vocabulary's numbers for output: check reports keep containment and
 * coverage as the decimal strings they were signed with ("0.8571"); what the
 * CLI prints and the server answers gives them as JSON numbers (dump with
 * JSON_REAL_PRECISION(6)). Entries shown as signed ("statement") are left
 * as they are. */
void pl_json_output_numbers(json_t *v);

/* o[k] when it is a string, else NULL (o may be NULL or not an object). */
static inline const char *pl_json_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Append PAE(type, payload) = "DSSEv1 <len(type)> <type> <len(payload)> <payload>". */
int pl_dsse_pae(pl_buf *out, const char *type, const void *payload, size_t len);

/* Sign payload as a DSSE envelope with one signature whose keyid is k's
 * OpenSSH fingerprint; out receives (appended) the envelope as canonical JSON
 * {"payload","payloadType","signatures":[{"keyid","sig"}]}, no final newline. */
int pl_dsse_sign(pl_buf *out, const pl_key *k, const char *type, const void *payload, size_t len);

/* A parsed envelope (exactly one signature). Zero-initialise; pl_dsse_clear. */
typedef struct {
	pl_buf payload; /* decoded */
	pl_buf type;
	char keyid[128];
	unsigned char sig[64];
} pl_dsse;

/* Strict parse: the exact three keys, one signature, canonical base64, and
 * the envelope bytes must be the canonical serialisation. PL_EINVALID. */
int pl_dsse_parse(pl_dsse *out, const char *env, size_t len);

/* PL_OK when d's signature verifies under k (and keyid matches k), else PL_EVERIFY. */
int pl_dsse_verify(const pl_dsse *d, const pl_key *k);

void pl_dsse_clear(pl_dsse *d); /* NULL-safe; frees the buffers and zeroes d */

#endif
