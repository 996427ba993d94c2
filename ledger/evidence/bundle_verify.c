/*
 * bundle_verify.c - `verify-bundle`: check an evidence bundle offline, with
 * no ledger, trusting only the operator's public key (see pl_bundle_verify).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bundle_internal.h"
#include "bundle_read.h"
#include "pl_index.h"
#include "pl_lineage.h"
#include "pl_note.h"
#include "pl_rules_engine.h"

/* ---- verification state ------------------------------------------------- */

typedef struct {
	pl_entry e; /* decoded; e.statement NULL when undecodable */
	int decoded;
	const char *env; /* borrowed from the bundle JSON */
	size_t envlen;
	unsigned char leaf[PL_HASH_LEN];
	pl_fact fact; /* what the rules see of it */
	int has_fact;
	pl_verdict vd; /* the rules' verdict when it passed them */
} ventry;

/* A subject whose proof verified: its refs at the checkpoint's size. */
typedef struct {
	char *subject;
	pl_refs refs;
} vproof;

typedef struct {
	pl_bundle_report *r;
	ventry *ents; /* parallel to r->entries */
	size_t nents;
	const pl_key *trusted;
	const char *trusted_name;         /* a verifier key's name, "" for an OpenSSH key */
	const pl_cosig_policy *witnesses; /* cosignatures required, or NULL */
	pl_buf opfp;
	vproof *proofs;
	size_t nproofs;
	int subjects_ok; /* the subject index note verified */
	int missed;      /* the rules asked for something the bundle lacks */
	pl_rsrc src;
} vstate;

#define MAX_REPORTED 500

static void vproblem(vstate *v, int64_t seq, const char *fmt, ...) PL_PRINTF(3, 4);

static pl_bundle_entry *by_seq(vstate *v, uint64_t seq, size_t *idx)
{
	size_t lo = 0, hi = v->r->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->r->entries[mid].seq == seq) {
			if (idx)
				*idx = mid;
			return &v->r->entries[mid];
		}
		if (v->r->entries[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One line: "seq N (type name): what"; marks that entry unverified. */
static void vproblem(vstate *v, int64_t seq, const char *fmt, ...)
{
	va_list ap;
	pl_bundle_entry *e = seq >= 0 ? by_seq(v, (uint64_t)seq, NULL) : NULL;
	if (e)
		e->verified = 0;
	if (++v->r->nproblems > MAX_REPORTED)
		return;
	if (e && e->type[0])
		pl_buf_printf(&v->r->problems, "seq %lld (%s %s): ", (long long)seq, e->type,
		              e->name);
	else if (seq >= 0)
		pl_buf_printf(&v->r->problems, "seq %lld: ", (long long)seq);
	va_start(ap, fmt);
	pl_buf_vprintf(&v->r->problems, fmt, ap);
	va_end(ap);
	pl_buf_putc(&v->r->problems, '\n');
}

/* ---- the bundle as the rules' source -------------------------------------- */

static int bfact(void *ctx, const pl_fact **out, uint64_t seq)
{
	vstate *v = ctx;
	size_t i;
	if (!by_seq(v, seq, &i) || !v->ents[i].has_fact) {
		v->missed = 1;
		return PL_ENOTFOUND;
	}
	*out = &v->ents[i].fact;
	return PL_OK;
}

static vproof *find_proof(vstate *v, const char *subject)
{
	size_t lo = 0, hi = v->nproofs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->proofs[mid].subject, subject);
		if (c == 0)
			return &v->proofs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int brefs(void *ctx, const pl_refs **out, const char *subject)
{
	vstate *v = ctx;
	vproof *p = find_proof(v, subject);
	if (!p) {
		v->missed = 1;
		return PL_ENOTFOUND;
	}
	*out = &p->refs;
	return PL_OK;
}

/* ---- the checks --------------------------------------------------------- */

static int malformed(const char *path, const char *what)
{
	return pl_error_set(PL_EINVALID, "%s: not a provledger bundle: %s", path, what);
}

static void check_checkpoint(vstate *v, const char *origin, const char *note, const char *vkeystr)
{
	pl_bundle_report *r = v->r;
	pl_buf text = PL_BUF_INIT, vname = PL_BUF_INIT;
	pl_key *vk = NULL;
	pl_checkpoint cp;
	const char *sep = strstr(note, "\n\n");
	unsigned char a[32], b[32];

	if (!sep || pl_checkpoint_parse(&cp, note, (size_t)(sep + 1 - note)) < 0) {
		vproblem(v, -1, "checkpoint: malformed: %s", pl_error_last());
		goto done;
	}
	snprintf(r->origin, sizeof(r->origin), "%s", cp.origin);
	r->size = cp.size;
	memcpy(r->root, cp.root, PL_HASH_LEN);
	if (v->trusted_name && *v->trusted_name && strcmp(v->trusted_name, cp.origin) != 0)
		vproblem(v, -1,
		         "checkpoint: the trusted key is the key of log '%s', not of this "
		         "bundle's log '%s'",
		         v->trusted_name, cp.origin);
	else if (strcmp(cp.origin, origin) != 0)
		vproblem(v, -1, "checkpoint: its origin '%s' is not the bundle's origin '%s'",
		         cp.origin, origin);
	else if (pl_note_verify(&text, note, strlen(note), origin, v->trusted) < 0)
		vproblem(v, -1, "checkpoint: not signed by the trusted operator key as '%s': %s",
		         origin, pl_error_last());
	else
		r->checkpoint_verified = 1;
	/* the witnesses the verifier requires: a quorum of cosignatures */
	if (v->witnesses && v->witnesses->n &&
	    pl_cosig_policy_check(v->witnesses, note, strlen(note), &r->cosignatures) < 0)
		vproblem(v, -1, "checkpoint: %s", pl_error_last());
	if (pl_note_parse_verifier_key(&vk, &vname, vkeystr, strlen(vkeystr)) < 0) {
		vproblem(v, -1, "operator_key: %s", pl_error_last());
	} else {
		pl_key_raw(vk, a);
		pl_key_raw(v->trusted, b);
		if (memcmp(a, b, 32) != 0)
			vproblem(v, -1, "operator_key in the bundle is not the trusted key");
		else if (strcmp(vname.ptr, origin) != 0)
			vproblem(v, -1, "operator_key names '%s', not the origin '%s'", vname.ptr,
			         origin);
	}
done:
	pl_key_free(vk);
	pl_buf_free(&text);
	pl_buf_free(&vname);
}

static void check_entry(vstate *v, size_t i, json_t *je)
{
	pl_bundle_entry *be = &v->r->entries[i];
	ventry *ve = &v->ents[i];
	json_t *proof = json_object_get(je, "proof"), *h;
	pl_buf pb = PL_BUF_INIT;
	size_t k;
	int64_t seq = (int64_t)be->seq;

	if (pl_entry__decode(&ve->e, ve->env, ve->envlen) < 0) {
		vproblem(v, seq, "envelope: %s", pl_error_last());
	} else {
		ve->decoded = 1;
		snprintf(be->type, sizeof(be->type), "%s", ve->e.type);
		free(be->name);
		be->name = strdup(ve->e.name);
		be->signer = strdup(ve->e.dsse.keyid);
		be->statement = json_incref(ve->e.statement);
	}
	pl_merkle_leaf(ve->leaf, ve->env, ve->envlen);
	pl_hex(be->leaf, ve->leaf, PL_HASH_LEN);
	if (!json_is_array(proof)) {
		vproblem(v, seq, "no inclusion proof");
	} else {
		json_array_foreach(proof, k, h)
		{
			const char *s = json_string_value(h);
			size_t before = pb.len;
			if (!s || pl_base64_decode(&pb, s, strlen(s)) < 0 ||
			    pb.len - before != PL_HASH_LEN) {
				vproblem(v, seq, "proof hash %zu is not base64 of 32 bytes", k);
				goto proof_done;
			}
		}
		if (be->seq >= v->r->size)
			vproblem(v, seq, "beyond the checkpoint's tree size %llu",
			         (unsigned long long)v->r->size);
		else if (pl_merkle_verify_inclusion(be->seq, v->r->size, ve->leaf,
		                                    (const unsigned char *)pb.ptr,
		                                    pb.len / PL_HASH_LEN, v->r->root) < 0)
			vproblem(v, seq,
			         "inclusion proof does not lead from the envelope to the "
			         "checkpoint root (%s)",
			         pl_error_last());
	}
proof_done:
	pl_buf_free(&pb);
}

static int cmp_proof(const void *a, const void *b)
{
	return strcmp(((const vproof *)a)->subject, ((const vproof *)b)->subject);
}

/* The subject index: its note signed by the trusted key for the checkpoint's
 * size, and every proof leading to its root. */
static int check_subjects(vstate *v, json_t *subjects)
{
	const char *note = json_string_value(json_object_get(subjects, "note"));
	json_t *proofs = json_object_get(subjects, "proofs"), *p;
	pl_buf text = PL_BUF_INIT, members = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN], got[PL_HASH_LEN];
	const char *subject;
	char origin[256];
	uint64_t size = 0;
	int error = PL_OK;

	if (!note || !json_is_object(proofs)) {
		vproblem(v, -1,
		         "the bundle has no subject index (note and proofs): it cannot show that "
		         "nothing referring to its entries was left out");
		goto done;
	}
	if (pl_note_verify(&text, note, strlen(note), v->r->origin, v->trusted) < 0 ||
	    pl_subjects_note_parse(text.ptr, text.len, origin, &size, root) < 0) {
		vproblem(v, -1, "subject index note: %s", pl_error_last());
		goto done;
	}
	if (strcmp(origin, v->r->origin) != 0 || size != v->r->size) {
		vproblem(v, -1,
		         "the subject index note is for %s size %llu, not the checkpoint's %s size "
		         "%llu",
		         origin, (unsigned long long)size, v->r->origin,
		         (unsigned long long)v->r->size);
		goto done;
	}
	v->subjects_ok = 1;
	if ((v->proofs = calloc(json_object_size(proofs) + 1, sizeof(*v->proofs))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	json_object_foreach(proofs, subject, p)
	{
		json_t *refs = json_object_get(p, "refs"), *path = json_object_get(p, "path"), *h;
		const char *bucket = json_string_value(json_object_get(p, "bucket"));
		unsigned char pa[PL_SUBJ_LEVELS][PL_HASH_LEN];
		vproof *vp;
		size_t k;
		int ok = 1;
		pl_buf_clear(&members);
		if ((!json_is_string(refs) && !json_is_null(refs)) || !bucket ||
		    !json_is_array(path) || json_array_size(path) != PL_SUBJ_LEVELS ||
		    strlen(subject) >= PL_SUBJ_MAX ||
		    pl_base64_decode(&members, bucket, strlen(bucket)) < 0 ||
		    members.len % (2 * PL_HASH_LEN) != 0) {
			vproblem(v, -1, "subject index proof of %s is malformed", subject);
			continue;
		}
		json_array_foreach(path, k, h)
		{
			pl_buf d = PL_BUF_INIT;
			const char *s = json_string_value(h);
			if (!s || pl_base64_decode(&d, s, strlen(s)) < 0 || d.len != PL_HASH_LEN)
				ok = 0;
			else
				memcpy(pa[k], d.ptr, PL_HASH_LEN);
			pl_buf_free(&d);
		}
		if (!ok ||
		    pl_subject_proof_root(got, subject, json_string_value(refs),
		                          json_string_length(refs),
		                          (const unsigned char *)members.ptr,
		                          members.len / (2 * PL_HASH_LEN), pa) < 0 ||
		    memcmp(got, root, PL_HASH_LEN) != 0) {
			vproblem(v, -1,
			         "subject index proof of %s does not lead to the signed root%s%s",
			         subject, ok && pl_error_last()[0] ? ": " : "",
			         ok ? pl_error_last() : "");
			continue;
		}
		vp = &v->proofs[v->nproofs];
		memset(vp, 0, sizeof(*vp));
		if ((vp->subject = strdup(subject)) == NULL)
			return pl_error_set(PL_ENOMEM, "out of memory");
		if (json_is_string(refs) &&
		    pl_refs_parse(&vp->refs, subject, json_string_value(refs),
		                  json_string_length(refs)) < 0) {
			vproblem(v, -1, "subject index proof of %s: %s", subject, pl_error_last());
			free(vp->subject);
			pl_refs_free(&vp->refs);
			continue;
		}
		for (size_t j = 0; j < vp->refs.n; j++)
			if (vp->refs.v[j].seq >= size) {
				vproblem(v, -1,
				         "subject index proof of %s names seq %llu, beyond size "
				         "%llu",
				         subject, (unsigned long long)vp->refs.v[j].seq,
				         (unsigned long long)size);
				break;
			}
		v->nproofs++;
	}
	qsort(v->proofs, v->nproofs, sizeof(*v->proofs), cmp_proof);
done:
	pl_buf_free(&text);
	pl_buf_free(&members);
	return error;
}

/* "lab, granted by aisi at seq 6 (authority, granted by operator at seq 5)" */
static void grant_chain(vstate *v, pl_buf *out, const char *keyid, uint64_t seq, int depth)
{
	pl_keystate ks;
	v->missed = 0;
	if (pl_rules_key_state(&ks, &v->src, keyid, seq) < 0 || !ks.registered) {
		pl_buf_puts(out, "unknown");
		return;
	}
	pl_buf_printf(out, "%s", ks.role);
	if (ks.revoked_seq >= 0) {
		pl_buf_printf(out, ", revoked at seq %lld", (long long)ks.revoked_seq);
	} else if (strcmp(ks.role, "operator") == 0) {
		pl_buf_puts(out, ks.in_force ? ", entry 0" : ", not in force");
	} else if (ks.grant_seq >= 0 || ks.rotated_from >= 0) {
		pl_keystate gs;
		int64_t at = ks.grant_seq >= 0 ? ks.grant_seq : ks.rotated_from;
		const char *gname = ks.granted_by;
		if (pl_rules_key_state(&gs, &v->src, ks.granted_by, (uint64_t)at) == PL_OK &&
		    gs.registered)
			gname = gs.name;
		pl_buf_printf(out, ", %s %s at seq %lld",
		              ks.grant_seq >= 0 ? "granted by" : "rotated from", gname,
		              (long long)at);
		if (depth < 6 && ks.grant_seq >= 0) {
			pl_buf_puts(out, " (");
			grant_chain(v, out, ks.granted_by, (uint64_t)at, depth + 1);
			pl_buf_putc(out, ')');
		}
	} else if (strcmp(ks.role, "rights-holder") == 0) {
		pl_buf_puts(out, ", not vouched for");
	} else {
		pl_buf_puts(out, ", NOT IN FORCE (not granted)");
	}
}

/* The rules of rules.c for entry i (the entries before it already judged),
 * its signature, its time. */
static void check_rules(vstate *v, size_t i, const char *prev_created)
{
	ventry *ve = &v->ents[i];
	pl_bundle_entry *be = &v->r->entries[i];
	int64_t seq = (int64_t)be->seq;
	const pl_key *key = NULL;
	pl_keystate ks;
	int error;

	if (prev_created && ve->e.created && strcmp(ve->e.created, prev_created) < 0)
		vproblem(v, seq, "created %s is earlier than an earlier entry's %s", ve->e.created,
		         prev_created);
	v->missed = 0;
	error = pl_rules_check(&ve->vd, &v->src, be->seq, &ve->e);
	if (error == PL_OK) {
		key = ve->vd.verify_key;
		be->checked = 1;
		be->role = strdup(ve->vd.role);
	} else if (v->missed) {
		/* it refers to an entry the closure leaves out (a work bundle does
		 * not carry a model's other datasets): the signature is still checked,
		 * under the signer's key */
		char why[512];
		snprintf(why, sizeof(why), "%s", pl_error_last());
		be->checked = 0;
		be->unchecked_why = strdup(why);
		v->r->unchecked++;
		if (strcmp(ve->e.type, "key") == 0) {
			key = ve->fact.pub;
		} else if (pl_rules_key_state(&ks, &v->src, ve->e.dsse.keyid, be->seq) == PL_OK &&
		           ks.registered && ks.revoked_seq < 0) {
			key = ks.key->pub;
		} else {
			vproblem(v, seq, "its signer %s has no key entry in the bundle",
			         ve->e.dsse.keyid);
			ve->fact.valid = 0;
			return;
		}
	} else {
		vproblem(v, seq, "%s", pl_error_last());
		ve->fact.valid = 0;
		return;
	}
	if (!key || pl_dsse_verify(&ve->e.dsse, key) < 0) {
		vproblem(v, seq, "its DSSE signature does not verify under %s", ve->e.dsse.keyid);
		ve->fact.valid = 0;
		return;
	}
	if (strcmp(ve->e.type, "key") != 0) {
		pl_buf chain = PL_BUF_INIT;
		grant_chain(v, &chain, ve->e.dsse.keyid, be->seq, 0);
		be->grants = pl_buf_detach(&chain);
	}
}

/* Attachments: the digest, a name in some payload, and presence of every
 * fingerprint and sketch an entry names. The reader decoded and hashed each
 * one as it streamed; atts holds every name. */
static void check_attachments(vstate *v, const pl_bundle_doc *doc, json_t *atts)
{
	for (size_t ai = 0; ai < pl_bundle__doc_nattachments(doc); ai++) {
		const pl_bundle_attachment *a = pl_bundle__doc_attachment(doc, ai);
		const char *name = a->name;
		char hex[65];
		int named = 0;
		for (size_t i = 0; i < v->r->nentries; i++)
			if (v->ents[i].decoded && strstr(v->ents[i].e.dsse.payload.ptr, name)) {
				named = 1;
				break;
			}
		if (a->invalid) {
			vproblem(v, -1, "attachment %s: not base64", name);
			continue;
		}
		pl_hex(hex, a->sha256, PL_HASH_LEN);
		if (strcmp(hex, name) != 0) {
			vproblem(v, -1, "attachment %s: its bytes hash to %s", name, hex);
			for (size_t i = 0; i < v->r->nentries; i++)
				if (v->ents[i].decoded &&
				    strstr(v->ents[i].e.dsse.payload.ptr, name))
					v->r->entries[i].verified = 0;
		}
		if (!named || strlen(name) != 64)
			vproblem(v, -1, "attachment %s is named by no entry in the bundle", name);
	}
	for (size_t i = 0; i < v->r->nentries; i++) {
		static const char *const fields[] = {"fingerprint", "robust_fingerprint", "sketch"};
		json_t *pred;
		if (!v->ents[i].decoded)
			continue;
		pred = json_object_get(v->ents[i].e.statement, "predicate");
		for (size_t f = 0; f < 3; f++) {
			const char *d = json_string_value(
			    json_object_get(json_object_get(pred, fields[f]), "sha256"));
			if (d && !json_object_get(atts, d))
				vproblem(v, (int64_t)v->r->entries[i].seq,
				         "its %s attachment %s is missing from the bundle",
				         fields[f], d);
		}
	}
}

/* {"<name>": {"size": N}} for each attachment, {"invalid": why} for one that
 * is not base64. */
static int attachment_sizes(json_t **out, const pl_bundle_doc *doc)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < pl_bundle__doc_nattachments(doc); i++) {
		const pl_bundle_attachment *a = pl_bundle__doc_attachment(doc, i);
		json_t *e = a->invalid ? json_pack("{s:s}", "invalid", a->invalid)
		                       : json_pack("{s:I}", "size", (json_int_t)a->size);
		if (!e || json_object_set_new(o, a->name, e) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (!o)
		return pl_error_set(PL_ENOMEM, "out of memory");
	*out = o;
	return PL_OK;
}

/* ---- the closure over the bundle ------------------------------------------ */

static int bsrc_get(void *ctx, pl_bnode *out, uint64_t seq)
{
	vstate *v = ctx;
	size_t i;
	if (!by_seq(v, seq, &i) || !v->ents[i].decoded)
		return PL_ENOTFOUND;
	memset(out, 0, sizeof(*out));
	out->seq = seq;
	memcpy(out->leaf, v->ents[i].leaf, PL_HASH_LEN);
	snprintf(out->type, sizeof(out->type), "%s", v->ents[i].e.type);
	snprintf(out->keyid, sizeof(out->keyid), "%s", v->ents[i].e.dsse.keyid);
	out->st = json_incref(v->ents[i].e.statement);
	return PL_OK;
}

static void bsrc_problem(void *ctx, uint64_t about, const char *msg)
{
	vproblem(ctx, (int64_t)about, "%s from the bundle (the lineage needs it)", msg);
}

/* The closure of the subject, recomputed from the entries and the subject
 * index: everything that referred to its entries at the checkpoint's size
 * and belongs to it must be here; nothing else may be. */
static int check_closure(vstate *v)
{
	pl_bsource src = {v, bsrc_get, brefs, bsrc_problem};
	pl_bundle_report *r = v->r;
	pl_seqs got = {0};
	size_t ri;
	int error;

	if (!by_seq(v, r->subject_seq, &ri) || !v->ents[ri].decoded) {
		vproblem(v, -1, "the subject (seq %llu) is not in the bundle",
		         (unsigned long long)r->subject_seq);
		return PL_OK;
	}
	if (strcmp(r->entries[ri].name,
	           r->subject_name +
	               (r->kind == PL_BUNDLE_MODEL && strncmp(r->subject_name, "model:", 6) == 0
	                    ? 6
	                    : 0)) != 0) {
		vproblem(v, (int64_t)r->subject_seq, "the bundle's subject names it '%s'",
		         r->subject_name);
		return PL_OK;
	}
	if ((error = pl_bundle__closure(&got, &src, r->kind, r->subject_seq)) < 0) {
		if (error == PL_ENOMEM)
			return error;
		vproblem(v, -1, "subject: %s", pl_error_last());
		return PL_OK;
	}
	{
		size_t prior = r->nproblems, unreached = 0;
		for (size_t i = 0; i < r->nentries; i++) {
			if (pl_seqs__has(&got, r->entries[i].seq))
				continue;
			if (prior)
				unreached++;
			else
				vproblem(
				    v, (int64_t)r->entries[i].seq,
				    "not part of the lineage of %s: unrelated entries are refused",
				    r->subject_name);
		}
		if (unreached)
			vproblem(
			    v, -1,
			    "%zu entr%s cannot be reached from %s through entries that verified",
			    unreached, unreached == 1 ? "y" : "ies", r->subject_name);
	}
	pl_seqs_free(&got);
	return PL_OK;
}

/* ---- lineage and findings of what the bundle holds ------------------------ */

/* Attachments for the in-memory index (fingerprints, sketches), read back
 * from the reader's spool, each at most this big. */
#define MAX_INDEXED_ATTACHMENT ((size_t)256 << 20)

static int bundle_att(void *ctx, pl_buf *out, const char *hex)
{
	const pl_bundle_doc *doc = ctx;
	pl_buf_clear(out);
	if (!pl_bundle__doc_find(doc, hex))
		return PL_ENOTFOUND;
	return pl_bundle__doc_attachment_read(out, doc, hex, MAX_INDEXED_ATTACHMENT);
}

/* The bundle's valid entries in an index in memory; lineage (for a model)
 * and policy findings computed on it by the same code as `lineage`. */
static int findings(vstate *v, const pl_bundle_doc *doc)
{
	pl_ledger *l = NULL;
	git_oid zero;
	int error;

	memset(&zero, 0, sizeof(zero));
	if ((error = pl_ledger__open_memory(&l, v->r->origin, v->trusted, bundle_att,
	                                    (void *)(uintptr_t)doc)) < 0)
		return error;
	for (size_t i = 0; i < v->r->nentries; i++) {
		ventry *ve = &v->ents[i];
		if (!ve->decoded || !ve->fact.valid)
			continue;
		if ((error = pl_ledger__memory_add(l, v->r->entries[i].seq, &ve->e, ve->leaf,
		                                   ve->vd.role)) < 0)
			goto done;
	}
	pl_ledger__memory_size(l, v->r->size);
	if ((error = pl_lineage_policy(l, &v->r->findings)) < 0)
		goto done;
	if (v->r->kind == PL_BUNDLE_MODEL) {
		size_t ri;
		if (by_seq(v, v->r->subject_seq, &ri) && v->ents[ri].fact.valid) {
			const char *nm = v->r->subject_name + 6; /* "model:" */
			if (strncmp(v->r->subject_name, "model:", 6) == 0 &&
			    pl_lineage_get(&v->r->lineage, l, nm) < 0)
				v->r->lineage = NULL;
		}
	}
done:
	pl_ledger_free(l);
	return error;
}

int pl_bundle_verify(pl_bundle_report *r, const char *path, const pl_key *trusted,
                     const pl_bundle_opts *opts)
{
	pl_bundle_read_opts ro = {0};
	pl_bundle_doc *doc = NULL;
	json_t *b, *entries, *subj;
	const char *format, *origin, *note, *vkeystr, *stype, *sname;
	const char *prev_created = NULL;
	vstate v;
	json_t *je;
	size_t i;
	int error;

	memset(r, 0, sizeof(*r));
	memset(&v, 0, sizeof(v));
	v.r = r;
	v.trusted = trusted;
	v.trusted_name = opts ? opts->trusted_name : NULL;
	v.witnesses = opts ? opts->witnesses : NULL;
	if (opts) {
		ro.max_size = opts->max_size;
		ro.max_attachment = opts->max_attachment;
		ro.max_attachments_total = opts->max_attachments_total;
		ro.max_entries = opts->max_entries;
		ro.tmpdir = opts->tmpdir;
	}
	if ((error = pl_bundle__read(&doc, path, &ro)) < 0)
		goto done;
	b = pl_bundle__doc_json(doc);
	/* The document's shape; anything else is not a bundle (exit 3). */
	format = json_string_value(json_object_get(b, "format"));
	origin = json_string_value(json_object_get(b, "origin"));
	note = json_string_value(json_object_get(b, "checkpoint"));
	vkeystr = json_string_value(json_object_get(b, "operator_key"));
	entries = json_object_get(b, "entries");
	subj = json_object_get(b, "subject");
	stype = json_string_value(json_object_get(subj, "type"));
	sname = json_string_value(json_object_get(subj, "name"));
	if (!json_is_object(b)) {
		error = malformed(path, "the document is not a JSON object");
		goto done;
	}
	if (!format || strcmp(format, PL_BUNDLE_FORMAT) != 0) {
		error = malformed(path, "\"format\" is not \"" PL_BUNDLE_FORMAT "\"");
		goto done;
	}
	if (!origin || !note || !vkeystr || !json_is_array(entries) ||
	    !pl_bundle__doc_has_attachments(doc) || !stype || !sname ||
	    !json_is_integer(json_object_get(subj, "seq")) ||
	    json_integer_value(json_object_get(subj, "seq")) < 0 ||
	    (strcmp(stype, "model") != 0 && strcmp(stype, "work") != 0)) {
		error = malformed(path, "it lacks origin, checkpoint, operator_key, subject, "
		                        "entries or attachments, or one has the wrong type");
		goto done;
	}
	json_array_foreach(entries, i, je)
	{
		json_t *s = json_object_get(je, "seq");
		if (!json_is_integer(s) || json_integer_value(s) < 0 ||
		    !json_is_string(json_object_get(je, "envelope"))) {
			error =
			    pl_error_set(PL_EINVALID,
			                 "%s: not a provledger bundle: entries[%zu] lacks seq or "
			                 "envelope",
			                 path, i);
			goto done;
		}
	}
	r->kind = strcmp(stype, "model") == 0 ? PL_BUNDLE_MODEL : PL_BUNDLE_WORK;
	r->subject_seq = (uint64_t)json_integer_value(json_object_get(subj, "seq"));
	r->nentries = json_array_size(entries);
	if ((error = attachment_sizes(&r->attachments, doc)) < 0)
		goto done;
	if ((r->subject_name = strdup(sname)) == NULL ||
	    (r->entries = calloc(r->nentries + 1, sizeof(*r->entries))) == NULL ||
	    (v.ents = calloc((v.nents = r->nentries) + 1, sizeof(*v.ents))) == NULL ||
	    (error = pl_key_fingerprint(&v.opfp, trusted)) < 0) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	v.src.ctx = &v;
	v.src.fact = bfact;
	v.src.refs = brefs;
	v.src.op = trusted;
	v.src.opfp = v.opfp.ptr;
	json_array_foreach(entries, i, je)
	{
		pl_bundle_entry *be = &r->entries[i];
		be->seq = (uint64_t)json_integer_value(json_object_get(je, "seq"));
		be->verified = 1;
		be->revoked_by = -1;
		be->name = strdup("-");
		v.ents[i].env = json_string_value(json_object_get(je, "envelope"));
		v.ents[i].envlen = json_string_length(json_object_get(je, "envelope"));
	}
	check_checkpoint(&v, origin, note, vkeystr);
	for (i = 1; i < r->nentries; i++)
		if (r->entries[i].seq <= r->entries[i - 1].seq) {
			/* by_seq needs ascending entries: nothing more can be said */
			vproblem(&v, (int64_t)r->entries[i].seq,
			         "entries are not in ascending order of seq, or seq %llu appears "
			         "twice",
			         (unsigned long long)r->entries[i].seq);
			for (size_t k = 0; k < r->nentries; k++)
				r->entries[k].verified = 0;
			goto finish;
		}
	json_array_foreach(entries, i, je) check_entry(&v, i, je);
	if ((error = check_subjects(&v, json_object_get(b, "subjects"))) < 0)
		goto done;
	for (i = 0; i < r->nentries; i++)
		if (v.ents[i].decoded) {
			if ((error = pl_fact_from_entry(&v.ents[i].fact, r->entries[i].seq,
			                                &v.ents[i].e, v.ents[i].leaf)) < 0)
				goto done;
			v.ents[i].has_fact = 1;
		}
	for (i = 0; i < r->nentries; i++) {
		if (!v.ents[i].decoded)
			continue;
		check_rules(&v, i, prev_created);
		prev_created = v.ents[i].e.created;
	}
	for (i = 0; i < r->nentries; i++) {
		ventry *ve = &v.ents[i];
		pl_keystate ks;
		char sn[40];
		const pl_refs *rr;
		if (!ve->decoded)
			continue;
		if (pl_rules_key_state(&ks, &v.src, ve->e.dsse.keyid, r->entries[i].seq + 1) ==
		        PL_OK &&
		    ks.registered)
			r->entries[i].signer_name = strdup(ks.name);
		/* an attestation revoked by a valid revocation in the bundle */
		snprintf(sn, sizeof(sn), "seq:%llu", (unsigned long long)r->entries[i].seq);
		if (strcmp(ve->e.type, "attestation") == 0 && brefs(&v, &rr, sn) == PL_OK)
			for (size_t k = 0; k < rr->n; k++) {
				size_t j;
				if (strcmp(rr->v[k].label, "attestation.revokes") == 0 &&
				    by_seq(&v, rr->v[k].seq, &j) && v.ents[j].has_fact &&
				    v.ents[j].fact.valid) {
					r->entries[i].revoked_by = (int64_t)rr->v[k].seq;
					break;
				}
			}
	}
	check_attachments(&v, doc, r->attachments);
	if ((error = check_closure(&v)) < 0)
		goto done;
	/* the findings are computed from what verified; a bundle too broken for
	 * them has its problems listed already */
	if ((error = findings(&v, doc)) == PL_ENOMEM)
		goto done;
	if (error < 0) {
		json_decref(r->findings);
		json_decref(r->lineage);
		r->findings = r->lineage = NULL;
	}
finish:
	if (!r->checkpoint_verified)
		for (i = 0; i < r->nentries; i++)
			r->entries[i].verified = 0;
	r->subjects_verified = v.subjects_ok;
	error = r->nproblems ? PL_EVERIFY : PL_OK;
	if (r->nproblems > MAX_REPORTED)
		pl_buf_printf(&r->problems, "... and %zu more problems\n",
		              r->nproblems - MAX_REPORTED);
	if (error == PL_EVERIFY)
		pl_error_set(PL_EVERIFY, "%s: verification failed: %zu problem%s", path,
		             r->nproblems, r->nproblems == 1 ? "" : "s");
done:
	if (error < 0 && error != PL_EVERIFY) {
		char keep[1024];
		snprintf(keep, sizeof(keep), "%s", pl_error_last());
		pl_bundle_report_free(r);
		pl_error_set(error, "%s", keep);
	}
	for (i = 0; v.ents && i < v.nents; i++) {
		pl_entry__clear(&v.ents[i].e);
		pl_fact_clear(&v.ents[i].fact);
		pl_verdict_clear(&v.ents[i].vd);
	}
	free(v.ents);
	for (i = 0; i < v.nproofs; i++) {
		free(v.proofs[i].subject);
		pl_refs_free(&v.proofs[i].refs);
	}
	free(v.proofs);
	pl_buf_free(&v.opfp);
	pl_bundle__doc_free(doc);
	return error;
}

void pl_bundle_report_free(pl_bundle_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nentries && r->entries; i++) {
		free(r->entries[i].name);
		free(r->entries[i].signer);
		free(r->entries[i].signer_name);
		free(r->entries[i].role);
		free(r->entries[i].grants);
		free(r->entries[i].unchecked_why);
		json_decref(r->entries[i].statement);
	}
	free(r->entries);
	free(r->subject_name);
	json_decref(r->attachments);
	json_decref(r->findings);
	json_decref(r->lineage);
	pl_buf_free(&r->problems);
	memset(r, 0, sizeof(*r));
}

int pl_bundle_load_trust(pl_key **out, const char *path)
{
	return pl_trust_parse(out, NULL, path, NULL);
}
