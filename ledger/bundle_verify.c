/*
 * bundle_verify.c - `verify-bundle`: check an evidence bundle offline, with
 * no ledger, trusting only the operator's public key (see pl_bundle_verify).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_internal.h"
#include "bundle_read.h"
#include "ledger_internal.h"
#include "pl_note.h"

/* ---- verification state ------------------------------------------------- */

typedef struct {
	pl_entry e; /* decoded; e.statement NULL when undecodable */
	int decoded;
	const char *env; /* borrowed from the bundle JSON */
	size_t envlen;
	unsigned char leaf[PL_HASH_LEN];
} ventry;

typedef struct {
	char keyid[128];
	pl_key *key;
	char *name;
	uint64_t seq; /* the registering entry; UINT64_MAX for the trusted key */
	int64_t revoked_seq;
} vkey;

typedef struct {
	pl_bundle_report *r;
	ventry *ents; /* parallel to r->entries */
	size_t nents;
	vkey *keys;
	size_t nkeys;
	const pl_key *trusted;
	pl_buf opfp;
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

static vkey *find_key(vstate *v, const char *keyid)
{
	for (size_t i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].keyid, keyid) == 0)
			return &v->keys[i];
	return NULL;
}

static vkey *add_key(vstate *v, pl_key *k, const char *keyid, const char *name, uint64_t seq)
{
	vkey *p = realloc(v->keys, (v->nkeys + 1) * sizeof(*p));
	if (!p)
		return NULL;
	v->keys = p;
	p = &v->keys[v->nkeys];
	memset(p, 0, sizeof(*p));
	snprintf(p->keyid, sizeof(p->keyid), "%s", keyid);
	p->key = k;
	p->name = strdup(name ? name : "");
	p->seq = seq;
	p->revoked_seq = -1;
	if (!p->name)
		return NULL;
	v->nkeys++;
	return p;
}

/* The DSSE rules of `verify` (SPEC §5.5 rule 3), over the bundle alone:
 * key entries are self-signed, or revocations signed by the revoked key or
 * the operator; other entries are signed by a key an earlier entry of the
 * bundle registered (or the trusted operator key), not revoked before. */
static void check_signature(vstate *v, size_t i)
{
	ventry *ve = &v->ents[i];
	pl_bundle_entry *be = &v->r->entries[i];
	const pl_entry *e = &ve->e;
	int64_t seq = (int64_t)be->seq;
	vkey *s = find_key(v, e->dsse.keyid);

	if (strcmp(e->type, "key") == 0) {
		json_t *pred = json_object_get(e->statement, "predicate");
		const char *pub = json_string_value(json_object_get(pred, "public_key"));
		const char *name = json_string_value(json_object_get(pred, "name"));
		const char *revokes = json_string_value(json_object_get(pred, "revokes"));
		const char *dig = json_string_value(json_object_get(
		    json_object_get(json_array_get(json_object_get(e->statement, "subject"), 0),
		                    "digest"),
		    "sha256"));
		pl_key *k = NULL;
		pl_buf fp = PL_BUF_INIT;
		unsigned char raw[32];
		char hex[65];
		if (!pub || pl_key_from_openssh(&k, NULL, pub, strlen(pub)) < 0 ||
		    pl_key_fingerprint(&fp, k) < 0) {
			vproblem(v, seq, "key entry has no valid public_key");
			goto key_done;
		}
		pl_key_raw(k, raw);
		pl_hex(hex, raw, 32);
		if (!dig || strcmp(dig, hex) != 0)
			vproblem(v, seq, "key entry: subject digest is not the public key");
		if (revokes) {
			vkey *target = find_key(v, revokes);
			if (!target)
				vproblem(v, seq,
				         "revokes %s, which no earlier entry in the bundle "
				         "registers",
				         revokes);
			else if (!s || (strcmp(e->dsse.keyid, revokes) != 0 &&
			                strcmp(e->dsse.keyid, v->opfp.ptr) != 0))
				vproblem(v, seq,
				         "revocation of %s not signed by that key or the operator",
				         revokes);
			else if (pl_dsse_verify(&e->dsse, s->key) < 0)
				vproblem(v, seq, "%s", pl_error_last());
			else if (target->revoked_seq < 0)
				target->revoked_seq = seq;
		} else if (strcmp(e->dsse.keyid, fp.ptr) != 0) {
			vproblem(v, seq, "key entry is not self-signed (signed by %s)",
			         e->dsse.keyid);
		} else if (pl_dsse_verify(&e->dsse, k) < 0) {
			vproblem(v, seq, "%s", pl_error_last());
		}
		if ((s = find_key(v, fp.ptr)) != NULL) {
			if (s->seq != UINT64_MAX)
				vproblem(v, seq, "key %s registered twice", fp.ptr);
			else if (!s->name[0] && name) {
				free(s->name);
				s->name = strdup(name);
				s->seq = be->seq;
			}
		} else if (add_key(v, k, fp.ptr, name, be->seq) != NULL) {
			k = NULL;
		}
	key_done:
		pl_key_free(k);
		pl_buf_free(&fp);
		return;
	}
	if (!s) {
		vproblem(v, seq, "signed by %s, which no earlier entry in the bundle registers",
		         e->dsse.keyid);
		return;
	}
	if (s->revoked_seq >= 0) {
		vproblem(v, seq, "signed by %s after its revocation at seq %lld", e->dsse.keyid,
		         (long long)s->revoked_seq);
		return;
	}
	if (pl_dsse_verify(&e->dsse, s->key) < 0)
		vproblem(v, seq, "%s", pl_error_last());
}

/* ---- the bundle as a source of entries ---------------------------------- */

static void fill_node(vstate *v, pl_bnode *out, size_t i)
{
	memset(out, 0, sizeof(*out));
	out->seq = v->r->entries[i].seq;
	memcpy(out->leaf, v->ents[i].leaf, PL_HASH_LEN);
	snprintf(out->type, sizeof(out->type), "%s", v->ents[i].e.type);
	snprintf(out->keyid, sizeof(out->keyid), "%s", v->ents[i].e.dsse.keyid);
	out->st = json_incref(v->ents[i].e.statement);
}

static int bsrc_get(void *ctx, pl_bnode *out, uint64_t seq)
{
	vstate *v = ctx;
	size_t i;
	if (!by_seq(v, seq, &i) || !v->ents[i].decoded)
		return PL_ENOTFOUND;
	fill_node(v, out, i);
	return PL_OK;
}

static int bsrc_scan(void *ctx, const char *type, const char *needle, pl_bscan_fn fn, void *arg)
{
	vstate *v = ctx;
	(void)needle;
	for (size_t i = 0; i < v->r->nentries; i++) {
		pl_bnode n;
		int error;
		if (!v->ents[i].decoded || strcmp(v->ents[i].e.type, type) != 0)
			continue;
		fill_node(v, &n, i);
		error = fn(arg, &n);
		json_decref(n.st);
		if (error < 0)
			return error;
	}
	return PL_OK;
}

static int bsrc_work(void *ctx, uint64_t *seq, const char *name)
{
	vstate *v = ctx;
	for (size_t i = 0; i < v->r->nentries; i++)
		if (v->ents[i].decoded && strcmp(v->ents[i].e.type, "work") == 0 &&
		    strcmp(v->ents[i].e.name, name) == 0) {
			*seq = v->r->entries[i].seq;
			return PL_OK;
		}
	return PL_ENOTFOUND;
}

static int bsrc_key(void *ctx, uint64_t *seq, int64_t *revoked, const char *keyid)
{
	vstate *v = ctx;
	vkey *k = find_key(v, keyid);
	if (!k || k->seq == UINT64_MAX)
		return PL_ENOTFOUND;
	*seq = k->seq;
	*revoked = k->revoked_seq;
	return PL_OK;
}

static void bsrc_problem(void *ctx, uint64_t from, const char *msg)
{
	vproblem(ctx, (int64_t)from, "%s from the bundle (the lineage needs it)", msg);
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
	if (strcmp(cp.origin, origin) != 0)
		vproblem(v, -1, "checkpoint: its origin '%s' is not the bundle's origin '%s'",
		         cp.origin, origin);
	else if (pl_note_verify(&text, note, strlen(note), origin, v->trusted) < 0)
		vproblem(v, -1, "checkpoint: not signed by the trusted operator key as '%s': %s",
		         origin, pl_error_last());
	else
		r->checkpoint_verified = 1;
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

/* Every reference whose target is in the bundle must name its leaf; the
 * closure of the subject must be exactly the bundle's entries. */
static int check_closure(vstate *v)
{
	pl_bsource src = {v, bsrc_get, bsrc_scan, bsrc_work, bsrc_key, bsrc_problem};
	pl_bundle_report *r = v->r;
	pl_seqs got = {0};
	size_t ri;
	int error;

	if (!by_seq(v, r->subject_seq, &ri) || !v->ents[ri].decoded) {
		vproblem(v, -1, "the subject (seq %llu) is not in the bundle",
		         (unsigned long long)r->subject_seq);
		return PL_OK;
	}
	if (strcmp(r->entries[ri].name, r->subject_name) != 0) {
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
		/* When an entry already failed, the lineage is followed only through
		 * the entries that verified: whatever lies behind the broken one is
		 * unreachable, not unrelated. Say so once instead of once per entry. */
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

int pl_bundle_verify(pl_bundle_report *r, const char *path, const pl_key *trusted,
                     const pl_bundle_opts *opts)
{
	pl_bundle_read_opts ro = {0};
	pl_bundle_doc *doc = NULL;
	json_t *b, *entries, *subj;
	const char *format, *origin, *note, *vkeystr, *stype, *sname;
	vstate v;
	json_t *je;
	size_t i;
	int error;

	memset(r, 0, sizeof(*r));
	memset(&v, 0, sizeof(v));
	v.r = r;
	v.trusted = trusted;
	if (opts) {
		ro.max_size = opts->max_size;
		ro.max_attachment = opts->max_attachment;
		ro.max_attachments_total = opts->max_attachments_total;
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
	{
		pl_key *op = NULL;
		if ((error = pl_key_public(&op, trusted)) < 0)
			goto done;
		if (!add_key(&v, op, v.opfp.ptr, "", UINT64_MAX)) {
			pl_key_free(op);
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
	}
	json_array_foreach(entries, i, je)
	{
		pl_bundle_entry *be = &r->entries[i];
		be->seq = (uint64_t)json_integer_value(json_object_get(je, "seq"));
		be->verified = 1;
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
	for (i = 0; i < r->nentries; i++)
		if (v.ents[i].decoded)
			check_signature(&v, i);
	for (i = 0; i < r->nentries; i++) {
		vkey *k = v.ents[i].decoded ? find_key(&v, v.ents[i].e.dsse.keyid) : NULL;
		if (k && k->name && k->name[0])
			r->entries[i].signer_name = strdup(k->name);
	}
	check_attachments(&v, doc, r->attachments);
	if ((error = check_closure(&v)) < 0)
		goto done;
finish:
	if (!r->checkpoint_verified)
		for (i = 0; i < r->nentries; i++)
			r->entries[i].verified = 0;
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
	for (i = 0; v.ents && i < v.nents; i++)
		pl_entry__clear(&v.ents[i].e);
	free(v.ents);
	for (i = 0; i < v.nkeys; i++) {
		pl_key_free(v.keys[i].key);
		free(v.keys[i].name);
	}
	free(v.keys);
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
		json_decref(r->entries[i].statement);
	}
	free(r->entries);
	free(r->subject_name);
	json_decref(r->attachments);
	pl_buf_free(&r->problems);
	memset(r, 0, sizeof(*r));
}

/* ---- the trusted key ---------------------------------------------------- */

int pl_bundle_load_trust(pl_key **out, const char *path)
{
	pl_buf data = PL_BUF_INIT;
	const char *p;
	int error;

	if ((error = pl_read_file(&data, path, 1 << 20)) < 0)
		return error;
	/* An OpenSSH line anywhere: a .pub file, `key list`, allowed_signers, or
	 * DIR/config's "operator_public_key": "ssh-ed25519 AAAA... name". */
	if ((p = strstr(data.ptr ? data.ptr : "", "ssh-ed25519 ")) != NULL) {
		size_t n = 12;
		while (p[n] && p[n] != ' ' && p[n] != '"' && p[n] != '\n' && p[n] != '\r')
			n++;
		error = pl_key_from_openssh(out, NULL, p, n);
	} else {
		size_t n = data.len;
		while (n && (data.ptr[n - 1] == '\n' || data.ptr[n - 1] == '\r'))
			n--;
		error = data.len ? pl_note_parse_verifier_key(out, NULL, data.ptr, n) : PL_EINVALID;
	}
	if (error < 0)
		error = pl_error_set(PL_EINVALID,
		                     "%s: no Ed25519 public key (an OpenSSH 'ssh-ed25519 AAAA...' "
		                     "line or a NAME+HEX8+BASE64 verifier key)",
		                     path);
	pl_buf_free(&data);
	return error;
}
