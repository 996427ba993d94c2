/*
 * rules.c - the one table of rules (pl_rules.h) and the engine that applies
 * it to an entry over any source of earlier entries (pl_rules_engine.h).
 *
 * Everything an append enforces is here, so that verify and verify-bundle,
 * which call the same pl_rules_check, re-apply exactly the same rules: the
 * signer's role in force at the entry's seq (from key and grant entries,
 * never from the payload), every reference's target type, leaf and name,
 * uniqueness of names, and the per-kind conditions of attestations.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pl_names.h"
#include "pl_rules_engine.h"

/* ---- the table ------------------------------------------------------------ */

const pl_role_rule pl_roles[] = {
    {"operator", NULL, 0, "runs the ledger; signs commits and checkpoints (entry 0 only)"},
    {"authority", "operator", 0, "licensing body: training licences, deployment approvals"},
    {"witness", "operator", 0, "cosigns checkpoints"},
    {"auditor", "operator", 0, "audits the ledger (signs nothing in it)"},
    {"lab", "authority", 0, "AI lab: check reports, datasets, models"},
    {"evaluator", "authority", 0, "red team: evaluations"},
    {"rights-holder", "authority", 1, "registers works, files claims (vouched when granted)"},
    {"vendor", "authority", 0, "accelerator maker: registers hardware batches"},
    {NULL, NULL, 0, NULL},
};

const pl_sign_rule pl_sign_rules[] = {
    {"key", NULL, NULL, "anyone: self-signed; a revocation by the revoked key or the operator"},
    {"grant", NULL, NULL,
     "the granting role of the granted role (table above); "
     "a revocation by the grant's signer or the operator"},
    {"work", NULL, "rights-holder", "granted or not"},
    {"check", NULL, "lab", "a recheck by the dataset's lab"},
    {"dataset", NULL, "lab", NULL},
    {"model", NULL, "lab", NULL},
    {"attestation", "training-licence", "authority", NULL},
    {"attestation", "evaluation", "evaluator", NULL},
    {"attestation", "deployment-approval", "authority", "relies on unrevoked evaluations"},
    {"attestation", "claim", "rights-holder", "granted or not"},
    {"attestation", "revocation", NULL, "the key that signed the revoked attestation"},
    {"attestation", "training-report", "lab", "the lab of the model it reports on"},
    {"attestation", "inspection", "authority", NULL},
    {"attestation", "moratorium", "authority", "about the whole ledger (subject: entry 0)"},
    {"attestation", "export-restriction", "authority", "about the whole ledger (subject: entry 0)"},
    {"attestation", "capability-vocabulary", "authority",
     "extends the capabilities evaluations may name"},
    {"hardware", "batch", "vendor", NULL},
    {"hardware", "transfer", NULL, "the current owner of every chip it moves"},
    {"hardware", "accept", NULL, "the recipient the transfer names"},
    {NULL, NULL, NULL, NULL},
};

const pl_role_rule *pl_role_find(const char *role)
{
	for (size_t i = 0; role && pl_roles[i].role; i++)
		if (strcmp(pl_roles[i].role, role) == 0)
			return &pl_roles[i];
	return NULL;
}

int pl_rules_describe(pl_buf *out)
{
	int error =
	    pl_buf_puts(out, "Roles (a key entry declares one; it is in force once granted):\n"
	                     "  ROLE            GRANTED BY   WHAT\n");
	for (size_t i = 0; error == PL_OK && pl_roles[i].role; i++)
		error = pl_buf_printf(out, "  %-15s %-12s %s%s\n", pl_roles[i].role,
		                      pl_roles[i].granted_by ? pl_roles[i].granted_by : "-",
		                      pl_roles[i].what,
		                      pl_roles[i].self ? "; may sign without a grant" : "");
	if (error == PL_OK)
		error = pl_buf_puts(out, "\nWho signs what (the signer's role must be in force at "
		                         "the entry's seq):\n"
		                         "  ENTRY                             ROLE IN FORCE\n");
	for (size_t i = 0; error == PL_OK && pl_sign_rules[i].type; i++) {
		char what[64];
		snprintf(what, sizeof(what), "%s%s%s", pl_sign_rules[i].type,
		         pl_sign_rules[i].kind ? " " : "",
		         pl_sign_rules[i].kind ? pl_sign_rules[i].kind : "");
		error = pl_buf_printf(out, "  %-33s %s%s%s\n", what,
		                      pl_sign_rules[i].role ? pl_sign_rules[i].role : "",
		                      pl_sign_rules[i].role && pl_sign_rules[i].note ? ": " : "",
		                      pl_sign_rules[i].note ? pl_sign_rules[i].note : "");
	}
	return error;
}

/* ---- facts ------------------------------------------------------------------ */

static const char *or_(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

int pl_fact_from_entry(pl_fact *out, uint64_t seq, const pl_entry *e,
                       const unsigned char leaf[PL_HASH_LEN])
{
	json_t *pred = json_object_get(e->statement, "predicate");
	int error = PL_OK;

	memset(out, 0, sizeof(*out));
	out->seq = seq;
	out->valid = 1;
	snprintf(out->type, sizeof(out->type), "%s", e->type);
	memcpy(out->leaf, leaf, PL_HASH_LEN);
	snprintf(out->signer, sizeof(out->signer), "%s", e->dsse.keyid);
	snprintf(out->created, sizeof(out->created), "%s", e->created ? e->created : "");
	if ((out->subject0 = strdup(e->name ? e->name : "-")) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (strcmp(e->type, "check") == 0) {
		json_t *m, *ms = json_array();
		size_t i;
		out->pred = json_object();
		if (!ms || !out->pred) {
			json_decref(ms);
			return pl_error_set(PL_ENOMEM, "out of memory");
		}
		json_array_foreach(json_object_get(pred, "matches"), i, m)
		{
			json_t *w = json_object_get(m, "work");
			json_array_append_new(ms,
			                      w ? json_pack("{s:O}", "work", w) : json_object());
		}
		json_object_set_new(out->pred, "matches", ms);
		if (json_object_get(pred, "dataset"))
			json_object_set(out->pred, "dataset", json_object_get(pred, "dataset"));
	} else if (strcmp(e->type, "dataset") == 0) {
		static const char *const keep[] = {"name", "version", "lab", "check", NULL};
		out->pred = json_object();
		for (size_t i = 0; keep[i] && out->pred; i++)
			if (json_object_get(pred, keep[i]))
				json_object_set(out->pred, keep[i], json_object_get(pred, keep[i]));
	} else {
		out->pred = json_deep_copy(pred);
	}
	if (!out->pred)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (strcmp(e->type, "key") == 0) {
		const char *pub = pl_json_str(pred, "public_key");
		pl_buf fp = PL_BUF_INIT;
		if (pub && pl_key_from_openssh(&out->pub, NULL, pub, strlen(pub)) == PL_OK &&
		    (error = pl_key_fingerprint(&fp, out->pub)) == PL_OK)
			snprintf(out->keyid, sizeof(out->keyid), "%s", fp.ptr);
		pl_buf_free(&fp);
		pl_error_clear();
	}
	return error;
}

void pl_fact_clear(pl_fact *f)
{
	if (!f)
		return;
	free(f->subject0);
	json_decref(f->pred);
	pl_key_free(f->pub);
	memset(f, 0, sizeof(*f));
}

/* ---- lookups ----------------------------------------------------------------- */

static int refs_of(const pl_rsrc *src, const pl_refs **out, const char *subject)
{
	int error = src->refs(src->ctx, out, subject);
	if (error == PL_ENOTFOUND)
		return pl_error_set(PL_ENOTFOUND,
		                    "the subject index proof of %s is not available here", subject);
	return error;
}

/* The valid fact of entry seq; PL_ENOTFOUND with a message otherwise. */
static int fact_of(const pl_rsrc *src, const pl_fact **out, uint64_t seq)
{
	int error = src->fact(src->ctx, out, seq);
	if (error == PL_ENOTFOUND)
		return pl_error_set(PL_ENOTFOUND, "entry %llu is not available",
		                    (unsigned long long)seq);
	return error;
}

/* A valid fact for a ref line, or NULL (absent from the source, or refused). */
static const pl_fact *line_fact(const pl_rsrc *src, uint64_t seq)
{
	const pl_fact *f = NULL;
	if (src->fact(src->ctx, &f, seq) < 0 || !f || !f->valid)
		return NULL;
	return f;
}

/* The first valid entry < before with label in refs of subject: its seq, or -1. */
static int first_ref(const pl_rsrc *src, int64_t *out, const char *subject, const char *label,
                     uint64_t before)
{
	const pl_refs *r = NULL;
	int error;
	*out = -1;
	if ((error = refs_of(src, &r, subject)) < 0)
		return error;
	for (size_t i = 0; i < r->n && r->v[i].seq < before; i++)
		if (strcmp(r->v[i].label, label) == 0 && line_fact(src, r->v[i].seq)) {
			*out = (int64_t)r->v[i].seq;
			return PL_OK;
		}
	return PL_OK;
}

/* ---- key state --------------------------------------------------------------- */

static int key_state(pl_keystate *out, const pl_rsrc *src, const char *keyid, uint64_t seq,
                     int depth)
{
	const pl_refs *r = NULL;
	char subj[PL_SUBJ_MAX];
	int error;

	memset(out, 0, sizeof(*out));
	out->revoked_seq = out->grant_seq = out->rotated_from = -1;
	if (strlen(keyid) > 200)
		return PL_OK;
	snprintf(subj, sizeof(subj), "key:%s", keyid);
	if ((error = refs_of(src, &r, subj)) < 0)
		return error;
	for (size_t i = 0; i < r->n && r->v[i].seq < seq; i++) {
		const pl_fact *f;
		if (strcmp(r->v[i].label, "key") != 0 || (f = line_fact(src, r->v[i].seq)) == NULL)
			continue;
		out->registered = 1;
		out->key_seq = f->seq;
		out->key = f;
		snprintf(out->name, sizeof(out->name), "%s", or_(pl_json_str(f->pred, "name"), ""));
		snprintf(out->role, sizeof(out->role), "%s", or_(pl_json_str(f->pred, "role"), ""));
		break;
	}
	if (!out->registered)
		return PL_OK;
	for (size_t i = 0; i < r->n && r->v[i].seq < seq; i++) {
		const pl_fact *f = line_fact(src, r->v[i].seq);
		if (!f)
			continue;
		if (strcmp(r->v[i].label, "key.revokes") == 0 && out->revoked_seq < 0 &&
		    r->v[i].seq > out->key_seq) {
			out->revoked_seq = (int64_t)f->seq;
		} else if (strcmp(r->v[i].label, "grant.key") == 0 &&
		           strcmp(or_(pl_json_str(f->pred, "action"), ""), "grant") == 0 &&
		           strcmp(or_(pl_json_str(f->pred, "role"), ""), out->role) == 0 &&
		           out->grant_seq < 0) {
			/* in force unless a valid revocation of it precedes seq */
			int64_t rev = -1;
			char gs[40];
			snprintf(gs, sizeof(gs), "seq:%llu", (unsigned long long)f->seq);
			if ((error = first_ref(src, &rev, gs, "grant.grant", seq)) < 0)
				return error;
			if (rev < 0) {
				out->grant_seq = (int64_t)f->seq;
				snprintf(out->granted_by, sizeof(out->granted_by), "%s", f->signer);
			}
		}
	}
	if (out->revoked_seq >= 0)
		return PL_OK;
	if (strcmp(out->role, "operator") == 0) {
		out->in_force = out->key_seq == 0 && strcmp(keyid, src->opfp) == 0;
		return PL_OK;
	}
	if (out->grant_seq >= 0) {
		out->in_force = 1;
	} else {
		/* a rotation signed by the old key carries its role over */
		const char *old = pl_json_str(out->key->pred, "revokes");
		if (old && strcmp(out->key->signer, old) == 0 && depth < 8) {
			pl_keystate o;
			if ((error = key_state(&o, src, old, out->key_seq, depth + 1)) < 0)
				return error;
			if (o.in_force && strcmp(o.role, out->role) == 0) {
				out->in_force = 1;
				out->vouched = o.vouched;
				out->rotated_from = (int64_t)out->key_seq;
				snprintf(out->granted_by, sizeof(out->granted_by), "%s", old);
			}
		}
	}
	if (strcmp(out->role, "rights-holder") == 0) {
		out->vouched = out->vouched || out->grant_seq >= 0;
		out->in_force = 1;
	}
	return PL_OK;
}

int pl_rules_key_state(pl_keystate *out, const pl_rsrc *src, const char *keyid, uint64_t seq)
{
	return key_state(out, src, keyid, seq, 0);
}

/* ---- field checks -------------------------------------------------------------- */

static int bad(const char *fmt, ...) PL_PRINTF(1, 2);
static int bad(const char *fmt, ...)
{
	va_list ap;
	pl_buf b = PL_BUF_INIT;
	int rc;
	va_start(ap, fmt);
	pl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = pl_error_set(PL_EINVALID, "%s", b.ptr ? b.ptr : "malformed entry");
	pl_buf_free(&b);
	return rc;
}

int pl_rules_parse_time(int64_t *out, const char *s)
{
	struct tm tm;
	int64_t days;
	int y, mo, d, h, mi, se;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return PL_EINVALID;
	for (int i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return PL_EINVALID;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &se) != 6)
		return PL_EINVALID;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return PL_EINVALID;
	if (d > mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return PL_EINVALID;
	memset(&tm, 0, sizeof(tm));
	/* days from civil (Howard Hinnant) */
	{
		int yy = y - (mo <= 2);
		int era = (yy >= 0 ? yy : yy - 399) / 400;
		int yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = (int64_t)era * 146097 + doe - 719468;
	}
	*out = days * 86400 + h * 3600 + mi * 60 + se;
	return PL_OK;
}

int pl_rules_check_time(const char *created, const char *prev, int64_t append_time)
{
	int64_t t;
	if (pl_rules_parse_time(&t, created) < 0)
		return bad("created '%s' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)",
		           created ? created : "");
	if (prev && *prev && strcmp(created, prev) < 0)
		return pl_error_set(PL_EINVALID,
		                    "created %s is earlier than the previous entry's %s: entry "
		                    "times must not go backwards",
		                    created, prev);
	if (append_time >= 0 && t > append_time + 300)
		return pl_error_set(PL_EINVALID,
		                    "created %s is later than the append time (more than 5 minutes "
		                    "ahead of the operator's clock)",
		                    created);
	return PL_OK;
}

static int is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int valid_work_id(const char *w)
{
	return w && w[0] == 'W' && is_hex(w + 1, 16);
}

/* A key name: 1..128 bytes of printable UTF-8 (spaces inside allowed), no
 * control, quote, backslash or bidirectional override characters. */
int pl_rules_check_key_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	const unsigned char *p = (const unsigned char *)n;
	if (len == 0 || len > 128)
		return bad("key name must be 1 to 128 bytes");
	if (n[0] == ' ' || n[len - 1] == ' ')
		return bad("key name '%s' begins or ends with a space", n);
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '"' || p[i] == '\\')
			return bad("key name holds a control character, quote or backslash");
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return bad("key name holds a control character");
		if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] >= 0xaa &&
		    p[i + 2] <= 0xae)
			return bad("key name holds a bidirectional override character");
		if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 &&
		    p[i + 2] <= 0xa9)
			return bad("key name holds a bidirectional isolate character");
	}
	return PL_OK;
}

/* A reference {"seq","leaf"[,"name"]} to an earlier entry of type want
 * (NULL: any); *out receives its fact. what names the field. */
static int check_ref(const pl_rsrc *src, const pl_fact **out, const json_t *ref, uint64_t seq,
                     const char *want, const char *what)
{
	json_t *s = json_object_get(ref, "seq");
	const char *leaf = pl_json_str(ref, "leaf"), *name = pl_json_str(ref, "name");
	const pl_fact *f;
	char hex[65];
	int error;

	if (!json_is_object(ref) || !json_is_integer(s) || json_integer_value(s) < 0 ||
	    !is_hex(leaf, 64))
		return bad("%s is not an entry reference {\"seq\": N, \"leaf\": \"<hex>\"}", what);
	if ((uint64_t)json_integer_value(s) >= seq)
		return bad("%s refers to seq %lld, which is not an earlier entry", what,
		           (long long)json_integer_value(s));
	if ((error = fact_of(src, &f, (uint64_t)json_integer_value(s))) < 0)
		return pl_error_prefix(error, "%s", what);
	pl_hex(hex, f->leaf, PL_HASH_LEN);
	if (strcmp(hex, leaf) != 0)
		return bad("%s names leaf %.16s of seq %llu, but that entry's leaf is %.16s", what,
		           leaf, (unsigned long long)f->seq, hex);
	if (want && strcmp(f->type, want) != 0)
		return bad("%s (seq %llu) is a %s entry, not a %s", what,
		           (unsigned long long)f->seq, f->type, want);
	if (name && (strcmp(f->type, "dataset") == 0 || strcmp(f->type, "model") == 0)) {
		char nv[300];
		snprintf(nv, sizeof(nv), "%s@%s", or_(pl_json_str(f->pred, "name"), "?"),
		         or_(pl_json_str(f->pred, "version"), "?"));
		if (strcmp(nv, name) != 0)
			return bad("%s says %s, but seq %llu is %s %s", what, name,
			           (unsigned long long)f->seq, f->type, nv);
	}
	if (!f->valid)
		return pl_error_set(PL_EVERIFY, "%s (seq %llu) is an entry that was refused", what,
		                    (unsigned long long)f->seq);
	*out = f;
	return PL_OK;
}

static int refused_role(const pl_keystate *s, const char *keyid, const char *what, const char *role)
{
	const char *an = strchr("aeiou", role[0]) ? "an" : "a";
	if (!s->registered)
		return pl_error_set(PL_EVERIFY, "signer %s is not a registered key", keyid);
	if (s->revoked_seq >= 0)
		return pl_error_set(PL_EVERIFY, "signer %s (%s) was revoked at seq %lld", keyid,
		                    s->name, (long long)s->revoked_seq);
	if (strcmp(s->role, role) != 0)
		return pl_error_set(PL_EVERIFY, "%s needs %s %s key; %s (%s) is %s %s key", what,
		                    an, role, s->name, keyid,
		                    strchr("aeiou", s->role[0]) ? "an" : "a", s->role);
	return pl_error_set(PL_EVERIFY,
	                    "%s needs %s %s key whose role is in force; %s (%s) declares %s but "
	                    "no %s has granted it",
	                    what, an, role, s->name, keyid, role,
	                    pl_role_find(role) && pl_role_find(role)->granted_by
	                        ? pl_role_find(role)->granted_by
	                        : "key");
}

int pl_rules_require(const pl_keystate *s, const char *keyid, const char *role, const char *what)
{
	if (s->registered && s->revoked_seq < 0 && s->in_force && strcmp(s->role, role) == 0)
		return PL_OK;
	return refused_role(s, keyid, what, role);
}

/* The signer must hold role (in force) at seq. */
static int need_role(pl_verdict *v, const pl_rsrc *src, const pl_entry *e, uint64_t seq,
                     const char *role, const char *what)
{
	int error;
	if ((error = key_state(&v->signer, src, e->dsse.keyid, seq, 0)) < 0)
		return error;
	if (!v->signer.registered || v->signer.revoked_seq >= 0 || !v->signer.in_force ||
	    strcmp(v->signer.role, role) != 0)
		return refused_role(&v->signer, e->dsse.keyid, what, role);
	v->verify_key = v->signer.key->pub;
	snprintf(v->role, sizeof(v->role), "%s", role);
	return PL_OK;
}

/* Unique definition: no valid earlier entry with label in refs of subject. */
static int unique(const pl_rsrc *src, const char *subject, const char *label, uint64_t seq,
                  const char *what)
{
	int64_t at;
	int error;
	if ((error = first_ref(src, &at, subject, label, seq)) < 0)
		return error;
	if (at >= 0)
		return pl_error_set(PL_ECONFLICT, "%s is already registered (seq %lld)", what,
		                    (long long)at);
	return PL_OK;
}

/* A jurisdiction or accelerator model: 1..64 printable ASCII bytes. */
static int is_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e || s[i] == '"' ||
		    s[i] == '\\')
			return 0;
	return 1;
}

static int canonical(const char *s)
{
	pl_buf n = PL_BUF_INIT;
	int ok = s && pl_lineage_parse_number(&n, s) == PL_OK && strcmp(n.ptr, s) == 0;
	pl_buf_free(&n);
	pl_error_clear();
	return ok;
}

/* ---- per type ---------------------------------------------------------------------- */

static int rule_key(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e,
                    pl_fact *self)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	json_t *subj = json_array_get(json_object_get(e->statement, "subject"), 0);
	const char *name = pl_json_str(pred, "name"), *role = pl_json_str(pred, "role");
	const char *revokes = pl_json_str(pred, "revokes"),
	           *dig = pl_json_str(json_object_get(subj, "digest"), "sha256");
	char hex[65], sn[PL_SUBJ_MAX];
	unsigned char raw[32];
	pl_keystate ks, target;
	int error;

	if (!name || !role || !pl_json_str(pred, "public_key") || !self->pub)
		return bad("a key entry needs name, role and a valid public_key");
	if ((error = pl_rules_check_key_name(name)) < 0)
		return error;
	if (!pl_role_find(role))
		return bad("unknown role '%s' (operator, authority, witness, auditor, lab, "
		           "evaluator, rights-holder)",
		           role);
	if (json_object_get(pred, "contact") && !json_is_string(json_object_get(pred, "contact")))
		return bad("contact is not a string");
	pl_key_raw(self->pub, raw);
	pl_hex(hex, raw, 32);
	if (!dig || strcmp(dig, hex) != 0)
		return bad("key entry: subject digest is not the public key");
	snprintf(sn, sizeof(sn), "key:%s", name);
	if (strcmp(e->name, sn) != 0)
		return bad("key entry: subject name is not key:%s", name);
	if (seq == 0 && (strcmp(role, "operator") != 0 || strcmp(self->keyid, src->opfp) != 0))
		return bad("entry 0 must be the operator's key");
	if ((error = key_state(&ks, src, self->keyid, seq, 0)) < 0)
		return error;
	if (ks.registered)
		return pl_error_set(PL_ECONFLICT, "key %s is already registered (seq %llu)",
		                    self->keyid, (unsigned long long)ks.key_seq);
	if (seq > 0 && strcmp(role, "operator") == 0)
		return bad("only entry 0 registers the operator's key; role operator cannot be "
		           "claimed");
	if (revokes) {
		if ((error = key_state(&target, src, revokes, seq, 0)) < 0)
			return error;
		if (!target.registered)
			return pl_error_set(PL_ENOTFOUND, "revokes unknown key %s", revokes);
		if (target.revoked_seq >= 0)
			return pl_error_set(PL_ECONFLICT, "key %s was already revoked at seq %lld",
			                    revokes, (long long)target.revoked_seq);
		if (strcmp(e->dsse.keyid, revokes) != 0 && strcmp(e->dsse.keyid, src->opfp) != 0)
			return pl_error_set(
			    PL_EVERIFY,
			    "a key entry that revokes %s must be signed by that key "
			    "or by the operator",
			    revokes);
		v->verify_key = strcmp(e->dsse.keyid, revokes) == 0 ? target.key->pub : src->op;
		/* the new key may keep the name of the key it replaces */
		if (strcmp(target.name, name) != 0) {
			snprintf(sn, sizeof(sn), "keyname:%s", name);
			if ((error = unique(src, sn, "key", seq, "a key named this")) < 0)
				return pl_error_prefix(error, "key name '%s'", name);
		}
	} else {
		if (strcmp(e->dsse.keyid, self->keyid) != 0)
			return pl_error_set(PL_EVERIFY,
			                    "a key entry must be signed by the key it registers "
			                    "(signed by %s, registers %s)",
			                    e->dsse.keyid, self->keyid);
		v->verify_key = self->pub;
		snprintf(sn, sizeof(sn), "keyname:%s", name);
		if ((error = unique(src, sn, "key", seq, "a key named this")) < 0)
			return pl_error_prefix(error, "key name '%s'", name);
	}
	return PL_OK;
}

static int rule_grant(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const char *action = pl_json_str(pred, "action"), *key = pl_json_str(pred, "key"),
	           *role = pl_json_str(pred, "role");
	const pl_role_rule *rr = pl_role_find(role);
	pl_keystate grantee;
	char sn[PL_SUBJ_MAX];
	int error;

	if (!action || !key || !role ||
	    (strcmp(action, "grant") != 0 && strcmp(action, "revoke") != 0))
		return bad("a grant entry needs action (grant|revoke), key and role");
	if (!rr || !rr->granted_by)
		return bad("role '%s' cannot be granted", role ? role : "");
	snprintf(sn, sizeof(sn), "grant:%s:%s", role, key);
	if (strcmp(e->name, sn) != 0)
		return bad("grant entry: subject name is not %s", sn);
	if ((error = key_state(&grantee, src, key, seq, 0)) < 0)
		return error;
	if (!grantee.registered)
		return pl_error_set(PL_ENOTFOUND, "key %s is not registered", key);
	if (strcmp(action, "grant") == 0) {
		char what[96];
		if (grantee.revoked_seq >= 0)
			return pl_error_set(PL_EVERIFY, "key %s (%s) was revoked at seq %lld", key,
			                    grantee.name, (long long)grantee.revoked_seq);
		if (strcmp(grantee.role, role) != 0)
			return bad("key %s (%s) declares role %s, not %s", key, grantee.name,
			           grantee.role, role);
		if (grantee.grant_seq >= 0)
			return pl_error_set(PL_ECONFLICT,
			                    "key %s (%s) already holds %s, granted at seq %lld",
			                    key, grantee.name, role, (long long)grantee.grant_seq);
		snprintf(what, sizeof(what), "granting %s", role);
		return need_role(v, src, e, seq, rr->granted_by, what);
	} else {
		const pl_fact *g;
		int64_t rev;
		char gs[40];
		if ((error = check_ref(src, &g, json_object_get(pred, "grant"), seq, "grant",
		                       "grant")) < 0)
			return error;
		if (strcmp(or_(pl_json_str(g->pred, "action"), ""), "grant") != 0 ||
		    strcmp(or_(pl_json_str(g->pred, "key"), ""), key) != 0 ||
		    strcmp(or_(pl_json_str(g->pred, "role"), ""), role) != 0)
			return bad("grant (seq %llu) is not a grant of %s to %s",
			           (unsigned long long)g->seq, role, key);
		snprintf(gs, sizeof(gs), "seq:%llu", (unsigned long long)g->seq);
		if ((error = first_ref(src, &rev, gs, "grant.grant", seq)) < 0)
			return error;
		if (rev >= 0)
			return pl_error_set(PL_ECONFLICT,
			                    "the grant at seq %llu was already revoked "
			                    "at seq %lld",
			                    (unsigned long long)g->seq, (long long)rev);
		if (strcmp(e->dsse.keyid, g->signer) != 0 && strcmp(e->dsse.keyid, src->opfp) != 0)
			return pl_error_set(
			    PL_EVERIFY,
			    "the grant at seq %llu can only be revoked by its signer "
			    "%s or the operator",
			    (unsigned long long)g->seq, g->signer);
		if ((error = key_state(&v->signer, src, e->dsse.keyid, seq, 0)) < 0)
			return error;
		if (!v->signer.registered || v->signer.revoked_seq >= 0)
			return refused_role(&v->signer, e->dsse.keyid, "revoking a grant",
			                    v->signer.role[0] ? v->signer.role : "registered");
		v->verify_key = v->signer.key->pub;
		snprintf(v->role, sizeof(v->role), "%s", v->signer.role);
		return PL_OK;
	}
}

static int rule_work(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const char *ns = pl_json_str(pred, "normalized_sha256"),
	           *terms = pl_json_str(pred, "terms");
	json_t *c, *creators = json_object_get(pred, "creators");
	char want[40], what[64];
	size_t i;
	int error;

	if ((error = need_role(v, src, e, seq, "rights-holder", "work register")) < 0)
		return error;
	if (!pl_json_str(pred, "title") || !pl_json_str(pred, "holder") || !terms ||
	    !is_hex(ns, 64) || !json_is_integer(json_object_get(pred, "tokens")) ||
	    (creators && !json_is_array(creators)))
		return bad("a work entry needs title, holder, terms, normalized_sha256 and tokens");
	json_array_foreach(creators, i, c) if (!json_is_string(c)) return bad("creators are not "
	                                                                      "strings");
	if (strcmp(terms, "all-rights-reserved") != 0 && strcmp(terms, "opt-out") != 0 &&
	    !(strncmp(terms, "licensed:", 9) == 0 && terms[9]))
		return bad("terms '%s': expected all-rights-reserved, opt-out or licensed:<URL or "
		           "text>",
		           terms);
	snprintf(want, sizeof(want), "work:W%.16s", ns);
	if (strcmp(e->name, want) != 0)
		return bad("work entry: subject name is not %s (W + the first 16 hex digits of "
		           "normalized_sha256)",
		           want);
	snprintf(what, sizeof(what), "this text (%s)", e->name + 5);
	if ((error = unique(src, e->name, "work", seq, what)) < 0)
		return error;
	return PL_OK;
}

static int work_registered(const pl_rsrc *src, const char *w, uint64_t seq, const char *what)
{
	char sn[64];
	int64_t at;
	int error;
	if (!valid_work_id(w))
		return bad("%s '%s' is not a work id (W and 16 lowercase hex digits)", what,
		           w ? w : "");
	snprintf(sn, sizeof(sn), "work:%s", w);
	if ((error = first_ref(src, &at, sn, "work", seq)) < 0)
		return error;
	if (at < 0)
		return pl_error_set(PL_ENOTFOUND, "%s %s is not registered", what, w);
	return PL_OK;
}

static int rule_check(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate"), *m;
	json_t *matches = json_object_get(pred, "matches");
	size_t i;
	int error;

	if ((error = need_role(v, src, e, seq, "lab", "a check report")) < 0)
		return error;
	if (!json_is_array(matches))
		return bad("a check entry needs a matches list");
	json_array_foreach(matches, i, m)
	{
		char what[48];
		snprintf(what, sizeof(what), "match %zu names work", i);
		if ((error = work_registered(src, pl_json_str(m, "work"), seq, what)) < 0)
			return error;
	}
	if (json_object_get(pred, "dataset")) {
		const pl_fact *d;
		if ((error = check_ref(src, &d, json_object_get(pred, "dataset"), seq, "dataset",
		                       "the recheck's dataset")) < 0)
			return error;
		if (strcmp(or_(pl_json_str(d->pred, "lab"), ""), e->dsse.keyid) != 0)
			return pl_error_set(
			    PL_EVERIFY,
			    "a recheck of dataset seq %llu must be signed by its lab %s",
			    (unsigned long long)d->seq, or_(pl_json_str(d->pred, "lab"), "?"));
	}
	return PL_OK;
}

static int name_version(const json_t *pred, char out[300])
{
	const char *n = pl_json_str(pred, "name"), *ver = pl_json_str(pred, "version");
	int error;
	if ((error = pl_lineage_check_name(n, "name")) < 0 ||
	    (error = pl_lineage_check_name(ver, "version")) < 0)
		return error;
	snprintf(out, 300, "%s@%s", n, ver);
	return PL_OK;
}

static int rule_dataset(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const pl_fact *c;
	char nv[300], sn[PL_SUBJ_MAX], what[320];
	int64_t other;
	int error;

	if ((error = need_role(v, src, e, seq, "lab", "dataset register")) < 0)
		return error;
	if ((error = name_version(pred, nv)) < 0)
		return error;
	if (strcmp(or_(pl_json_str(pred, "lab"), ""), e->dsse.keyid) != 0)
		return bad("the dataset's lab %s is not its signer %s",
		           or_(pl_json_str(pred, "lab"), "(none)"), e->dsse.keyid);
	snprintf(sn, sizeof(sn), "name:dataset:%s", nv);
	snprintf(what, sizeof(what), "dataset %s", nv);
	if ((error = unique(src, sn, "dataset", seq, what)) < 0)
		return error;
	if ((error = check_ref(src, &c, json_object_get(pred, "check"), seq, "check", "check")) < 0)
		return error;
	if (strcmp(c->signer, e->dsse.keyid) != 0 || json_object_get(c->pred, "dataset"))
		return bad("check (seq %llu) is not a first check signed by this lab",
		           (unsigned long long)c->seq);
	snprintf(sn, sizeof(sn), "seq:%llu", (unsigned long long)c->seq);
	if ((error = first_ref(src, &other, sn, "dataset.check", seq)) < 0)
		return error;
	if (other >= 0)
		return pl_error_set(PL_ECONFLICT,
		                    "check seq %llu is already the check of dataset seq "
		                    "%lld",
		                    (unsigned long long)c->seq, (long long)other);
	return PL_OK;
}

int pl_rules_model_relation(const char *r, int *needs_data)
{
	static const char *const rel[] = {"finetune", "adapter", "quantized", "merge",
	                                  "distillation"};
	for (size_t i = 0; r && i < sizeof(rel) / sizeof(rel[0]); i++)
		if (strcmp(r, rel[i]) == 0) {
			if (needs_data)
				*needs_data = i != 2 && i != 3;
			return 1;
		}
	return 0;
}

static int rule_model(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate"), *r;
	json_t *ds = json_object_get(pred, "datasets"), *bs = json_object_get(pred, "base_models");
	const char *flop = pl_json_str(pred, "training_flop"),
	           *params = pl_json_str(pred, "parameters");
	pl_buf canon = PL_BUF_INIT;
	char nv[300], sn[PL_SUBJ_MAX], what[320];
	size_t i;
	int error;

	if ((error = need_role(v, src, e, seq, "lab", "model register")) < 0)
		return error;
	if ((error = name_version(pred, nv)) < 0)
		return error;
	if (strcmp(or_(pl_json_str(pred, "lab"), ""), e->dsse.keyid) != 0)
		return bad("the model's lab %s is not its signer %s",
		           or_(pl_json_str(pred, "lab"), "(none)"), e->dsse.keyid);
	snprintf(sn, sizeof(sn), "name:model:%s", nv);
	snprintf(what, sizeof(what), "model %s", nv);
	if ((error = unique(src, sn, "model", seq, what)) < 0)
		return error;
	if (!flop || !params || !json_is_boolean(json_object_get(pred, "frontier")))
		return bad("a model needs training_flop, parameters and frontier");
	if ((error = pl_lineage_parse_number(&canon, flop)) < 0 || strcmp(canon.ptr, flop) != 0 ||
	    (error = pl_lineage_parse_number(&canon, params)) < 0 ||
	    strcmp(canon.ptr, params) != 0) {
		pl_buf_free(&canon);
		return bad("training_flop '%s' and parameters '%s' must be canonical numbers", flop,
		           params);
	}
	pl_buf_free(&canon);
	if (pl_lineage_is_frontier(flop, params) &&
	    !json_is_true(json_object_get(pred, "frontier")))
		return bad("model %s (training_flop %s, parameters %s) is over the frontier "
		           "threshold (1e25 FLOP or 1e12 parameters) but says frontier false",
		           nv, flop, params);
	if ((pl_json_str(pred, "started") &&
	     pl_rules_check_time(pl_json_str(pred, "started"), NULL, -1) < 0) ||
	    (pl_json_str(pred, "finished") &&
	     pl_rules_check_time(pl_json_str(pred, "finished"), NULL, -1) < 0))
		return bad("started and finished must be RFC 3339 UTC times");
	if (pl_json_str(pred, "started") && pl_json_str(pred, "finished") &&
	    strcmp(pl_json_str(pred, "finished"), pl_json_str(pred, "started")) < 0)
		return bad("finished %s is before started %s", pl_json_str(pred, "finished"),
		           pl_json_str(pred, "started"));
	{
		/* a model trained from scratch, or fine-tuned, adapted or distilled
		 * from its bases, names its data; a quantization or a merge of them
		 * needs none */
		const char *rel = pl_json_str(pred, "base_relation");
		size_t nb = json_array_size(bs);
		int needs_data = 1;
		if (json_object_get(pred, "base_relation") &&
		    (!rel || !pl_rules_model_relation(rel, &needs_data)))
			return bad("base_relation must be finetune, adapter, quantized, merge or "
			           "distillation");
		if (rel && nb == 0)
			return bad("base_relation %s names no base model", rel);
		if (rel && strcmp(rel, "quantized") == 0 && nb != 1)
			return bad("a quantized model has exactly one base model, not %zu", nb);
		if (rel && strcmp(rel, "merge") == 0 && nb < 2)
			return bad("a merge has at least two base models, not %zu", nb);
		if (!json_is_array(ds) || (bs && !json_is_array(bs)) ||
		    (needs_data && json_array_size(ds) == 0))
			return bad("a model needs at least one dataset reference%s%s",
			           rel ? " (base_relation " : "", rel ? rel : "");
	}
	json_array_foreach(ds, i, r)
	{
		const pl_fact *f;
		char fld[48];
		snprintf(fld, sizeof(fld), "datasets[%zu]", i);
		if ((error = check_ref(src, &f, r, seq, "dataset", fld)) < 0)
			return error;
	}
	json_array_foreach(bs, i, r)
	{
		const pl_fact *f;
		char fld[48];
		snprintf(fld, sizeof(fld), "base_models[%zu]", i);
		if ((error = check_ref(src, &f, r, seq, "model", fld)) < 0)
			return error;
	}
	if (json_object_get(pred, "mitigates")) {
		/* a mitigated version of one of its bases: its evaluations may clear
		 * that base's dangerous capabilities */
		const pl_fact *f;
		int found = 0;
		if ((error = check_ref(src, &f, json_object_get(pred, "mitigates"), seq, "model",
		                       "mitigates")) < 0)
			return error;
		json_array_foreach(bs, i, r) found |=
		    json_integer_value(json_object_get(r, "seq")) == (json_int_t)f->seq;
		if (!found)
			return bad("mitigates names seq %llu, which is not one of its base models",
			           (unsigned long long)f->seq);
		if (strcmp(or_(pl_json_str(f->pred, "lab"), ""), e->dsse.keyid) != 0)
			return pl_error_set(
			    PL_EVERIFY,
			    "only the lab of model seq %llu (%s) may declare a mitigated "
			    "version of it, not %s",
			    (unsigned long long)f->seq, or_(pl_json_str(f->pred, "lab"), "?"),
			    e->dsse.keyid);
	}
	if (json_object_get(pred, "jurisdiction") && !is_label(pl_json_str(pred, "jurisdiction")))
		return bad("jurisdiction must be 1..64 printable characters");
	if (json_object_get(pred, "hardware_batches") &&
	    !json_is_array(json_object_get(pred, "hardware_batches")))
		return bad("hardware_batches must be a list of batch references with a count");
	json_array_foreach(json_object_get(pred, "hardware_batches"), i, r)
	{
		const pl_fact *f;
		json_t *n = json_object_get(r, "count");
		char fld[48];
		snprintf(fld, sizeof(fld), "hardware_batches[%zu]", i);
		if ((error = check_ref(src, &f, r, seq, "hardware", fld)) < 0)
			return error;
		if (strcmp(or_(pl_json_str(f->pred, "kind"), ""), "batch") != 0)
			return bad("%s (seq %llu) is not a hardware batch", fld,
			           (unsigned long long)f->seq);
		for (size_t j = 0; j < i; j++)
			if (json_integer_value(json_object_get(
			        json_array_get(json_object_get(pred, "hardware_batches"), j),
			        "seq")) == (json_int_t)f->seq)
				return bad("%s names batch seq %llu again (give its chips once)",
				           fld, (unsigned long long)f->seq);
		if (!json_is_integer(n) || json_integer_value(n) < 1 ||
		    json_integer_value(n) > json_integer_value(json_object_get(f->pred, "count")))
			return bad(
			    "%s: count must be 1..%lld (the batch's chips)", fld,
			    (long long)json_integer_value(json_object_get(f->pred, "count")));
	}
	return PL_OK;
}

/* Whether attestation fact a was revoked before seq (by a valid revocation). */
static int att_revoked(const pl_rsrc *src, int64_t *out, uint64_t a, uint64_t seq)
{
	char sn[40];
	snprintf(sn, sizeof(sn), "seq:%llu", (unsigned long long)a);
	return first_ref(src, out, sn, "attestation.revokes", seq);
}

/* The seq of the dataset a check reports on (-1 when none). */
static int check_dataset(const pl_rsrc *src, int64_t *out, const pl_fact *c, uint64_t seq)
{
	json_t *d = json_object_get(c->pred, "dataset");
	char sn[40];
	if (d) {
		*out = json_integer_value(json_object_get(d, "seq"));
		return PL_OK;
	}
	snprintf(sn, sizeof(sn), "seq:%llu", (unsigned long long)c->seq);
	return first_ref(src, out, sn, "dataset.check", seq);
}

/* Whether dataset seq ds is in the lineage of subject (itself when it is a
 * dataset; through base models when it is a model). */
static int in_lineage(const pl_rsrc *src, int *out, const pl_fact *subject, uint64_t ds)
{
	uint64_t queue[256];
	size_t qn = 0;
	*out = 0;
	if (strcmp(subject->type, "dataset") == 0) {
		*out = subject->seq == ds;
		return PL_OK;
	}
	queue[qn++] = subject->seq;
	for (size_t i = 0; i < qn; i++) {
		const pl_fact *m;
		json_t *r;
		size_t j;
		if (src->fact(src->ctx, &m, queue[i]) < 0 || strcmp(m->type, "model") != 0)
			continue;
		json_array_foreach(json_object_get(m->pred, "datasets"), j,
		                   r) if ((uint64_t)json_integer_value(json_object_get(r, "seq")) ==
		                          ds)
		{
			*out = 1;
			return PL_OK;
		}
		json_array_foreach(json_object_get(m->pred, "base_models"), j, r)
		{
			uint64_t b = (uint64_t)json_integer_value(json_object_get(r, "seq"));
			int seen = 0;
			for (size_t k = 0; k < qn; k++)
				seen |= queue[k] == b;
			if (!seen && qn < sizeof(queue) / sizeof(queue[0]))
				queue[qn++] = b;
		}
	}
	return PL_OK;
}

static int rule_claim(const pl_rsrc *src, uint64_t seq, const json_t *pred, const pl_fact *subject)
{
	const char *work = pl_json_str(pred, "work");
	json_t *cref = json_object_get(pred, "check"), *dref = json_object_get(pred, "dataset");
	json_t *match = json_object_get(pred, "match");
	int error, in = 0;

	if ((error = work_registered(src, work, seq, "the claimed work")) < 0)
		return error;
	if (!pl_json_str(pred, "statement") || !*pl_json_str(pred, "statement"))
		return bad("a claim needs a statement");
	if (!cref == !dref)
		return bad("a claim refers to either a check or a dataset");
	if (match && (!cref || !json_is_integer(match) || json_integer_value(match) < 0))
		return bad("match must be a match index of the claim's check");
	if (cref) {
		const pl_fact *c;
		json_t *m, *ms;
		int64_t ds;
		size_t i;
		int found = 0;
		if ((error = check_ref(src, &c, cref, seq, "check", "the claim's check")) < 0 ||
		    (error = check_dataset(src, &ds, c, seq)) < 0)
			return error;
		if (ds >= 0 && (error = in_lineage(src, &in, subject, (uint64_t)ds)) < 0)
			return error;
		if (!in)
			return bad("check %llu is not a check of a dataset in the lineage of the "
			           "claim's subject",
			           (unsigned long long)c->seq);
		ms = json_object_get(c->pred, "matches");
		if (match) {
			m = json_array_get(ms, (size_t)json_integer_value(match));
			if (!m)
				return bad("match %lld: check %llu has %zu matches",
				           (long long)json_integer_value(match),
				           (unsigned long long)c->seq, json_array_size(ms));
			found = pl_json_str(m, "work") && strcmp(pl_json_str(m, "work"), work) == 0;
		} else {
			json_array_foreach(ms, i, m) found |=
			    pl_json_str(m, "work") && strcmp(pl_json_str(m, "work"), work) == 0;
		}
		if (!found)
			return match ? bad("match %lld of check %llu is not a match of %s",
			                   (long long)json_integer_value(match),
			                   (unsigned long long)c->seq, work)
			             : bad("check %llu has no match of %s",
			                   (unsigned long long)c->seq, work);
	} else {
		const pl_fact *d;
		if ((error = check_ref(src, &d, dref, seq, "dataset", "the claim's dataset")) < 0 ||
		    (error = in_lineage(src, &in, subject, d->seq)) < 0)
			return error;
		if (!in)
			return bad("dataset seq %llu is not in the lineage of the claim's subject",
			           (unsigned long long)d->seq);
	}
	return PL_OK;
}

/* ---- hardware ------------------------------------------------------------------ */

void pl_hw_holdings_free(pl_hw_holdings *h)
{
	if (!h)
		return;
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* Make a range boundary at chip x (0 < x < count). */
static int hw_split(pl_hw_holdings *h, uint64_t x)
{
	for (size_t i = 0; i < h->n; i++) {
		pl_hw_range *r = &h->v[i];
		if (x <= r->from || x >= r->from + r->count)
			continue;
		if (h->n == h->cap) {
			size_t cap = h->cap ? 2 * h->cap : 8;
			pl_hw_range *v = realloc(h->v, cap * sizeof(*v));
			if (!v)
				return pl_error_set(PL_ENOMEM, "out of memory");
			h->v = v;
			h->cap = cap;
			r = &h->v[i];
		}
		memmove(&h->v[i + 1], &h->v[i], (h->n - i) * sizeof(*r));
		h->n++;
		h->v[i].count = x - r->from;
		h->v[i + 1].from = x;
		h->v[i + 1].count -= h->v[i].count;
		return PL_OK;
	}
	return PL_OK;
}

/* Merge neighbours that agree. */
static void hw_merge(pl_hw_holdings *h)
{
	size_t o = 0;
	for (size_t i = 0; i < h->n; i++) {
		pl_hw_range *p = o ? &h->v[o - 1] : NULL, *r = &h->v[i];
		if (p && p->pending == r->pending && p->via == r->via &&
		    strcmp(p->owner, r->owner) == 0 &&
		    strcmp(p->jurisdiction, r->jurisdiction) == 0)
			p->count += r->count;
		else
			h->v[o++] = *r;
	}
	h->n = o;
}

/* The chips [from, from+count) of a transfer predicate; 0 when malformed. */
static int hw_chips(const json_t *pred, uint64_t *from, uint64_t *count)
{
	json_t *c = json_object_get(pred, "chips");
	json_t *f = json_object_get(c, "from"), *n = json_object_get(c, "count");
	if (!json_is_integer(f) || !json_is_integer(n) || json_integer_value(f) < 0 ||
	    json_integer_value(n) < 1)
		return 0;
	*from = (uint64_t)json_integer_value(f);
	*count = (uint64_t)json_integer_value(n);
	return 1;
}

#define PL_HW_MAX_CHIPS 1000000000u

int pl_rules_hw_start(pl_hw_holdings *out, uint64_t batch, const json_t *pred)
{
	json_t *cnt = json_object_get(pred, "count");
	pl_hw_holdings_free(out);
	if (strcmp(or_(pl_json_str(pred, "kind"), ""), "batch") != 0 || !json_is_integer(cnt) ||
	    json_integer_value(cnt) < 1 || json_integer_value(cnt) > PL_HW_MAX_CHIPS)
		return bad("entry %llu is not a hardware batch", (unsigned long long)batch);
	if ((out->v = calloc(8, sizeof(*out->v))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	out->cap = 8;
	out->n = 1;
	out->count = (uint64_t)json_integer_value(cnt);
	out->v[0].count = out->count;
	out->v[0].pending = out->v[0].via = -1;
	snprintf(out->v[0].owner, sizeof(out->v[0].owner), "%s",
	         or_(pl_json_str(pred, "owner"), ""));
	snprintf(out->v[0].jurisdiction, sizeof(out->v[0].jurisdiction), "%s",
	         or_(pl_json_str(pred, "jurisdiction"), ""));
	return PL_OK;
}

int pl_rules_hw_step(pl_hw_holdings *h, uint64_t seq, const json_t *pred, uint64_t tseq,
                     const json_t *tpred)
{
	const char *kind = or_(pl_json_str(pred, "kind"), "");
	int accept = strcmp(kind, "accept") == 0;
	uint64_t from, count;
	int error;
	if (!accept && strcmp(kind, "transfer") != 0)
		return PL_OK;
	if (accept && !tpred)
		return PL_OK;
	if (!hw_chips(accept ? tpred : pred, &from, &count) || from > h->count ||
	    count > h->count - from)
		return PL_OK;
	if ((from > 0 && (error = hw_split(h, from)) < 0) ||
	    (from + count < h->count && (error = hw_split(h, from + count)) < 0))
		return error;
	for (size_t j = 0; j < h->n; j++) {
		pl_hw_range *x = &h->v[j];
		if (x->from < from || x->from >= from + count)
			continue;
		if (!accept) {
			x->pending = (int64_t)seq;
		} else if (x->pending == (int64_t)tseq) {
			x->pending = -1;
			x->via = (int64_t)tseq;
			snprintf(x->owner, sizeof(x->owner), "%s",
			         or_(pl_json_str(tpred, "to"), ""));
			snprintf(x->jurisdiction, sizeof(x->jurisdiction), "%s",
			         or_(pl_json_str(tpred, "jurisdiction"), ""));
		}
	}
	hw_merge(h);
	return PL_OK;
}

int pl_rules_hw_holdings(pl_hw_holdings *out, const pl_rsrc *src, uint64_t batch, uint64_t seq,
                         int64_t at)
{
	const pl_fact *b;
	const pl_refs *r = NULL;
	char sn[40];
	int error;

	pl_hw_holdings_free(out);
	if ((error = fact_of(src, &b, batch)) < 0)
		return error;
	if (strcmp(b->type, "hardware") != 0)
		return bad("entry %llu is not a hardware batch", (unsigned long long)batch);
	if ((error = pl_rules_hw_start(out, batch, b->pred)) < 0)
		return error;
	snprintf(sn, sizeof(sn), "seq:%llu", (unsigned long long)batch);
	if ((error = refs_of(src, &r, sn)) < 0)
		return error;
	for (size_t i = 0; i < r->n && r->v[i].seq < seq; i++) {
		const pl_fact *f, *t = NULL;
		int64_t when;
		if (strcmp(r->v[i].label, "hardware.batch") != 0 ||
		    (f = line_fact(src, r->v[i].seq)) == NULL)
			continue;
		if (at >= 0 && pl_rules_parse_time(&when, f->created) == PL_OK && when > at)
			break; /* created times ascend with seq */
		if (strcmp(or_(pl_json_str(f->pred, "kind"), ""), "accept") == 0 &&
		    (t = line_fact(src, (uint64_t)json_integer_value(json_object_get(
		                            json_object_get(f->pred, "transfer"), "seq")))) == NULL)
			continue;
		if ((error = pl_rules_hw_step(out, f->seq, f->pred, t ? t->seq : 0,
		                              t ? t->pred : NULL)) < 0)
			return error;
	}
	return PL_OK;
}

uint64_t pl_rules_hw_held(const pl_hw_holdings *h, const char *owner)
{
	uint64_t n = 0;
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->v[i].owner, owner) == 0)
			n += h->v[i].count;
	return n;
}

static int rule_hw_batch(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e,
                         json_t *pred)
{
	json_t *cnt = json_object_get(pred, "count"), *ser = json_object_get(pred, "serials");
	const char *name = pl_json_str(pred, "name"), *owner = pl_json_str(pred, "owner");
	pl_keystate os;
	char sn[PL_SUBJ_MAX], what[200];
	int error;

	if ((error = need_role(v, src, e, seq, "vendor", "hardware register")) < 0)
		return error;
	if ((error = pl_lineage_check_name(name, "batch name")) < 0)
		return error;
	if (!is_label(pl_json_str(pred, "model")) || !is_label(pl_json_str(pred, "jurisdiction")))
		return bad("a hardware batch needs model and jurisdiction (1..64 printable "
		           "characters)");
	if (!json_is_integer(cnt) || json_integer_value(cnt) < 1 ||
	    json_integer_value(cnt) > PL_HW_MAX_CHIPS)
		return bad("count must be a whole number of chips, 1..%u", PL_HW_MAX_CHIPS);
	if (!canonical(pl_json_str(pred, "peak_flops")))
		return bad("peak_flops (dense BF16 FLOP/s per chip) must be a canonical number");
	if (!is_hex(pl_json_str(ser, "sha256"), 64) || !is_hex(pl_json_str(ser, "merkle"), 64))
		return bad("serials needs the sha256 of the serial list attachment and its "
		           "merkle root");
	if (strcmp(or_(pl_json_str(pred, "vendor"), ""), e->dsse.keyid) != 0)
		return bad("the batch's vendor %s is not its signer %s",
		           or_(pl_json_str(pred, "vendor"), "(none)"), e->dsse.keyid);
	if (!owner || (error = key_state(&os, src, owner, seq, 0)) < 0 || !os.registered ||
	    os.revoked_seq >= 0)
		return error < 0
		           ? error
		           : pl_error_set(PL_ENOTFOUND,
		                          "the batch's first owner %s is not a registered key",
		                          owner ? owner : "(none)");
	snprintf(sn, sizeof(sn), "name:hardware:%s", name);
	snprintf(what, sizeof(what), "hardware batch %s", name);
	return unique(src, sn, "hardware", seq, what);
}

static int rule_hw_transfer(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e,
                            json_t *pred)
{
	const pl_fact *b;
	const char *to = pl_json_str(pred, "to");
	pl_hw_holdings h = {0};
	pl_keystate ts;
	uint64_t from, count;
	int error;

	if ((error = key_state(&v->signer, src, e->dsse.keyid, seq, 0)) < 0)
		return error;
	if (!v->signer.registered || v->signer.revoked_seq >= 0)
		return refused_role(&v->signer, e->dsse.keyid, "hardware transfer", "registered");
	v->verify_key = v->signer.key->pub;
	snprintf(v->role, sizeof(v->role), "%s", v->signer.role);
	if ((error = check_ref(src, &b, json_object_get(pred, "batch"), seq, "hardware", "batch")) <
	    0)
		return error;
	if (!hw_chips(pred, &from, &count))
		return bad("chips must be {\"from\": first chip, \"count\": N >= 1}");
	if (!is_label(pl_json_str(pred, "jurisdiction")))
		return bad("a transfer needs the jurisdiction the chips go to");
	if (!to || (error = key_state(&ts, src, to, seq, 0)) < 0 || !ts.registered ||
	    ts.revoked_seq >= 0)
		return error < 0
		           ? error
		           : pl_error_set(PL_ENOTFOUND, "the recipient %s is not a registered key",
		                          to ? to : "(none)");
	if (strcmp(to, e->dsse.keyid) == 0)
		return bad("a transfer to its own signer moves nothing");
	if ((error = pl_rules_hw_holdings(&h, src, b->seq, seq, -1)) < 0)
		goto done;
	if (from > h.count || count > h.count - from) {
		error = bad("chips %llu..%llu: batch %llu has %llu chips (0..%llu)",
		            (unsigned long long)from, (unsigned long long)(from + count - 1),
		            (unsigned long long)b->seq, (unsigned long long)h.count,
		            (unsigned long long)(h.count - 1));
		goto done;
	}
	for (size_t i = 0; i < h.n; i++) {
		const pl_hw_range *x = &h.v[i];
		uint64_t lo = x->from > from ? x->from : from,
		         hi = x->from + x->count < from + count ? x->from + x->count : from + count;
		if (lo >= hi)
			continue;
		if (strcmp(x->owner, e->dsse.keyid) != 0) {
			error =
			    pl_error_set(PL_EVERIFY,
			                 "chips %llu..%llu of batch %llu are held by %s, not by "
			                 "the signer %s",
			                 (unsigned long long)lo, (unsigned long long)(hi - 1),
			                 (unsigned long long)b->seq, x->owner, e->dsse.keyid);
			goto done;
		}
		if (x->pending >= 0) {
			error =
			    pl_error_set(PL_ECONFLICT,
			                 "chips %llu..%llu of batch %llu are already in transfer "
			                 "%lld, not yet accepted",
			                 (unsigned long long)lo, (unsigned long long)(hi - 1),
			                 (unsigned long long)b->seq, (long long)x->pending);
			goto done;
		}
	}
done:
	pl_hw_holdings_free(&h);
	return error;
}

static int rule_hw_accept(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e,
                          json_t *pred)
{
	const pl_fact *t, *b;
	char sn[40];
	int64_t other;
	int error;

	if ((error = key_state(&v->signer, src, e->dsse.keyid, seq, 0)) < 0)
		return error;
	if (!v->signer.registered || v->signer.revoked_seq >= 0)
		return refused_role(&v->signer, e->dsse.keyid, "hardware accept", "registered");
	v->verify_key = v->signer.key->pub;
	snprintf(v->role, sizeof(v->role), "%s", v->signer.role);
	if ((error = check_ref(src, &t, json_object_get(pred, "transfer"), seq, "hardware",
	                       "transfer")) < 0 ||
	    (error = check_ref(src, &b, json_object_get(pred, "batch"), seq, "hardware", "batch")) <
	        0)
		return error;
	if (strcmp(or_(pl_json_str(t->pred, "kind"), ""), "transfer") != 0)
		return bad("entry %llu is not a hardware transfer", (unsigned long long)t->seq);
	if (json_integer_value(json_object_get(json_object_get(t->pred, "batch"), "seq")) !=
	    (json_int_t)b->seq)
		return bad("transfer %llu moves chips of another batch",
		           (unsigned long long)t->seq);
	if (strcmp(or_(pl_json_str(t->pred, "to"), ""), e->dsse.keyid) != 0)
		return pl_error_set(PL_EVERIFY,
		                    "transfer %llu is to %s: only that key accepts it, not %s",
		                    (unsigned long long)t->seq,
		                    or_(pl_json_str(t->pred, "to"), "?"), e->dsse.keyid);
	snprintf(sn, sizeof(sn), "seq:%llu", (unsigned long long)t->seq);
	if ((error = first_ref(src, &other, sn, "hardware.transfer", seq)) < 0)
		return error;
	if (other >= 0)
		return pl_error_set(PL_ECONFLICT,
		                    "transfer %llu was already accepted by entry %lld",
		                    (unsigned long long)t->seq, (long long)other);
	return PL_OK;
}

static int rule_hardware(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const char *kind = or_(pl_json_str(pred, "kind"), "");
	if (strcmp(kind, "batch") == 0)
		return rule_hw_batch(v, src, seq, e, pred);
	if (strcmp(kind, "transfer") == 0)
		return rule_hw_transfer(v, src, seq, e, pred);
	if (strcmp(kind, "accept") == 0)
		return rule_hw_accept(v, src, seq, e, pred);
	return bad("unknown hardware entry kind '%s' (batch, transfer, accept)", kind);
}

/* ---- the capability vocabulary ------------------------------------------------------ */

const char *const pl_rules_capabilities[] = {"bio",
                                             "chem",
                                             "nuclear",
                                             "radiological",
                                             "cbrn",
                                             "cyber",
                                             "autonomy",
                                             "self-replication",
                                             "self-exfiltration",
                                             "persuasion",
                                             "deception",
                                             "situational-awareness",
                                             NULL};

/* Whether capability cap may be named at seq: built in, or added by an
 * unrevoked capability-vocabulary attestation before seq. */
static int capability_known(const pl_rsrc *src, const char *cap, uint64_t seq, int *known)
{
	const pl_refs *r = NULL;
	int error;
	*known = 0;
	for (size_t i = 0; pl_rules_capabilities[i]; i++)
		if (strcmp(pl_rules_capabilities[i], cap) == 0)
			return *known = 1, PL_OK;
	if ((error = refs_of(src, &r, "seq:0")) < 0)
		return error;
	for (size_t i = 0; i < r->n && r->v[i].seq < seq && !*known; i++) {
		const pl_fact *f;
		json_t *x;
		size_t j;
		int64_t rev;
		if (strcmp(r->v[i].label, "attestation.subject") != 0 ||
		    (f = line_fact(src, r->v[i].seq)) == NULL ||
		    strcmp(or_(pl_json_str(f->pred, "kind"), ""), "capability-vocabulary") != 0)
			continue;
		if ((error = att_revoked(src, &rev, f->seq, seq)) < 0)
			return error;
		if (rev >= 0)
			continue;
		json_array_foreach(json_object_get(f->pred, "capabilities"), j,
		                   x) if (json_is_string(x) &&
		                          strcmp(json_string_value(x), cap) == 0) *known = 1;
	}
	return PL_OK;
}

/* A capability name: 1..64 of [a-z0-9-]. */
static int is_capability(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int vocabulary_check(const pl_rsrc *src, const char *cap, uint64_t seq)
{
	int known, error;
	if (!is_capability(cap))
		return bad("capability '%s' is not a name of 1..64 lowercase letters, digits and "
		           "'-'",
		           cap);
	if ((error = capability_known(src, cap, seq, &known)) < 0)
		return error;
	if (!known)
		return bad("capability '%s' is not in the vocabulary (built in: bio, chem, cbrn, "
		           "nuclear, radiological, cyber, autonomy, self-replication, "
		           "self-exfiltration, persuasion, deception, situational-awareness; an "
		           "authority adds others with attest capability-vocabulary)",
		           cap);
	return PL_OK;
}

/* The per-kind fields of the attestations about the whole ledger. */
static int rule_global(const pl_rsrc *src, uint64_t seq, const char *kind, json_t *pred)
{
	const char *from = pl_json_str(pred, "from"), *until = pl_json_str(pred, "until");
	json_t *x;
	size_t i;
	int64_t tf, tu;
	(void)src;
	(void)seq;
	if (strcmp(kind, "capability-vocabulary") == 0) {
		json_t *caps = json_object_get(pred, "capabilities");
		if (!json_is_array(caps) || json_array_size(caps) == 0 ||
		    json_array_size(caps) > 256)
			return bad("a capability-vocabulary names 1..256 capabilities");
		json_array_foreach(caps, i, x) if (!is_capability(json_string_value(x))) return bad(
		    "capabilities[%zu] is not a name of 1..64 lowercase letters, digits and '-'",
		    i);
		return PL_OK;
	}
	if (!from || pl_rules_parse_time(&tf, from) < 0 ||
	    (until && (pl_rules_parse_time(&tu, until) < 0 || tu <= tf)))
		return bad("%s needs from (and, if given, a later until) as RFC 3339 UTC times",
		           kind);
	if (!is_label(pl_json_str(pred, "jurisdiction")))
		return bad("%s needs a jurisdiction (1..64 printable characters; 'global' for "
		           "everywhere)",
		           kind);
	if (strcmp(kind, "moratorium") == 0) {
		const char *f = pl_json_str(pred, "threshold_flop"),
		           *p = pl_json_str(pred, "threshold_parameters");
		if ((!f && !p) || (f && !canonical(f)) || (p && !canonical(p)))
			return bad("a moratorium needs a canonical threshold_flop and/or "
			           "threshold_parameters");
		return PL_OK;
	}
	/* export-restriction */
	{
		json_t *hm = json_object_get(pred, "hardware_models");
		if (hm && !json_is_array(hm))
			return bad("hardware_models must be a list");
		json_array_foreach(hm, i, x) if (
		    !json_is_string(x) ||
		    !is_label(json_string_value(
		        x))) return bad("hardware_models[%zu] is not an accelerator model name", i);
	}
	return PL_OK;
}

static int is_global_kind(const char *kind)
{
	return strcmp(kind, "moratorium") == 0 || strcmp(kind, "export-restriction") == 0 ||
	       strcmp(kind, "capability-vocabulary") == 0;
}

static int rule_attestation(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const char *kind = pl_json_str(pred, "kind"),
	           *issuer_role = pl_json_str(pred, "issuer_role");
	const pl_sign_rule *sr = NULL;
	const pl_fact *subject;
	char what[64];
	int error;

	for (size_t i = 0; kind && pl_sign_rules[i].type; i++)
		if (pl_sign_rules[i].kind && strcmp(pl_sign_rules[i].type, "attestation") == 0 &&
		    strcmp(pl_sign_rules[i].kind, kind) == 0)
			sr = &pl_sign_rules[i];
	if (!sr)
		return bad("unknown attestation kind '%s' (training-licence, evaluation, "
		           "deployment-approval, claim, revocation, training-report, inspection, "
		           "moratorium, export-restriction, capability-vocabulary)",
		           kind ? kind : "");
	snprintf(what, sizeof(what), "attest %s", kind);
	if (sr->role) {
		if ((error = need_role(v, src, e, seq, sr->role, what)) < 0)
			return error;
	} else {
		if ((error = key_state(&v->signer, src, e->dsse.keyid, seq, 0)) < 0)
			return error;
		if (!v->signer.registered || v->signer.revoked_seq >= 0)
			return refused_role(&v->signer, e->dsse.keyid, what, "registered");
		v->verify_key = v->signer.key->pub;
		snprintf(v->role, sizeof(v->role), "%s", v->signer.role);
	}
	if (!issuer_role || strcmp(issuer_role, v->role) != 0)
		return pl_error_set(PL_EVERIFY,
		                    "the entry says issuer_role '%s', but its signer %s holds %s",
		                    issuer_role ? issuer_role : "", v->signer.name,
		                    v->role[0] ? v->role : "no role in force");
	if ((error = check_ref(src, &subject, json_object_get(pred, "subject"), seq, NULL,
	                       "subject")) < 0)
		return error;
	if (is_global_kind(kind)) {
		if (subject->seq != 0)
			return bad(
			    "a %s is about the whole ledger: its subject is entry 0, not seq "
			    "%llu",
			    kind, (unsigned long long)subject->seq);
		return rule_global(src, seq, kind, pred);
	}
	if (strcmp(subject->type, "model") != 0 &&
	    !(strcmp(subject->type, "dataset") == 0 &&
	      (strcmp(kind, "claim") == 0 || strcmp(kind, "revocation") == 0)) &&
	    !(subject->seq == 0 && strcmp(kind, "revocation") == 0))
		return bad("the subject (seq %llu) is a %s, not a model",
		           (unsigned long long)subject->seq, subject->type);
	if (strcmp(kind, "training-licence") == 0) {
		pl_buf n = PL_BUF_INIT;
		const char *max = pl_json_str(pred, "max_training_flop");
		int ok =
		    max && pl_lineage_parse_number(&n, max) == PL_OK && strcmp(n.ptr, max) == 0;
		pl_buf_free(&n);
		if (!ok || !pl_json_str(pred, "conditions") || !*pl_json_str(pred, "conditions"))
			return bad("a training-licence needs a canonical max_training_flop and "
			           "conditions");
		if (json_object_get(pred, "report_interval_days") &&
		    (!json_is_integer(json_object_get(pred, "report_interval_days")) ||
		     json_integer_value(json_object_get(pred, "report_interval_days")) < 1 ||
		     json_integer_value(json_object_get(pred, "report_interval_days")) > 3650))
			return bad("report_interval_days must be a whole number of days, 1..3650");
		{
			json_t *lifts = json_object_get(pred, "lifts"), *r;
			size_t i;
			if (lifts && !json_is_array(lifts))
				return bad("lifts must be a list of moratorium references");
			json_array_foreach(lifts, i, r)
			{
				const pl_fact *m;
				char fld[32];
				snprintf(fld, sizeof(fld), "lifts[%zu]", i);
				if ((error = check_ref(src, &m, r, seq, "attestation", fld)) < 0)
					return error;
				if (strcmp(or_(pl_json_str(m->pred, "kind"), ""), "moratorium") !=
				    0)
					return bad("%s (seq %llu) is not a moratorium", fld,
					           (unsigned long long)m->seq);
			}
		}
	} else if (strcmp(kind, "training-report") == 0) {
		pl_buf n = PL_BUF_INIT;
		const char *f = pl_json_str(pred, "flop_so_far");
		json_t *cps = json_object_get(pred, "checkpoints"), *x;
		size_t i;
		int ok = f && pl_lineage_parse_number(&n, f) == PL_OK && strcmp(n.ptr, f) == 0;
		pl_buf_free(&n);
		if (!ok || !pl_json_str(pred, "date") ||
		    pl_rules_check_time(pl_json_str(pred, "date"), NULL, -1) < 0 ||
		    !json_is_array(cps))
			return bad("a training-report needs a canonical flop_so_far, a date and "
			           "checkpoints");
		json_array_foreach(cps, i, x)
		{
			const char *h = json_string_value(x);
			unsigned char d[32];
			if (!h || strlen(h) != 64 || pl_unhex(d, 32, h, 64) < 0)
				return bad("checkpoints[%zu] is not a SHA-256 in hex", i);
		}
		if (strcmp(or_(pl_json_str(subject->pred, "lab"), ""), e->dsse.keyid) != 0)
			return pl_error_set(PL_EVERIFY,
			                    "a training-report is the model's lab's to sign: model "
			                    "seq %llu was registered by %s, not %s",
			                    (unsigned long long)subject->seq,
			                    or_(pl_json_str(subject->pred, "lab"), "?"),
			                    e->dsse.keyid);
	} else if (strcmp(kind, "inspection") == 0) {
		if (!pl_json_str(pred, "summary") || !*pl_json_str(pred, "summary"))
			return bad("an inspection needs a summary");
	} else if (strcmp(kind, "evaluation") == 0) {
		json_t *res = json_object_get(pred, "results"), *dg, *x;
		const char *cap;
		size_t i;
		if (!pl_json_str(pred, "suite") || !json_is_object(res) ||
		    json_object_size(res) == 0 ||
		    !json_is_array(dg = json_object_get(pred, "dangerous_capabilities")))
			return bad("an evaluation needs suite, results and dangerous_capabilities");
		json_object_foreach(
		    res, cap, x) if (!pl_json_str(res, cap) ||
		                     (strcmp(pl_json_str(res, cap), "pass") != 0 &&
		                      strcmp(pl_json_str(res, cap), "fail") !=
		                          0)) return bad("result of '%s' is not pass or fail", cap);
		json_array_foreach(dg, i, x) if (!json_is_string(x)) return bad(
		    "dangerous_capabilities are not strings");
		json_object_foreach(res, cap, x) if ((error = vocabulary_check(src, cap, seq)) <
		                                     0) return error;
		json_array_foreach(
		    dg, i, x) if ((error = vocabulary_check(src, json_string_value(x), seq)) <
		                  0) return error;
	} else if (strcmp(kind, "deployment-approval") == 0) {
		json_t *evs = json_object_get(pred, "evaluations"), *r;
		size_t i;
		if (!json_is_array(evs) || json_array_size(evs) == 0)
			return bad("a deployment-approval needs the evaluations it relied on");
		json_array_foreach(evs, i, r)
		{
			const pl_fact *ev;
			int64_t rev;
			if ((error = check_ref(src, &ev, r, seq, "attestation", "evaluation")) < 0)
				return error;
			if (strcmp(or_(pl_json_str(ev->pred, "kind"), ""), "evaluation") != 0 ||
			    json_integer_value(json_object_get(json_object_get(ev->pred, "subject"),
			                                       "seq")) != (json_int_t)subject->seq)
				return bad("entry %llu is not an evaluation of the subject",
				           (unsigned long long)ev->seq);
			if ((error = att_revoked(src, &rev, ev->seq, seq)) < 0)
				return error;
			if (rev >= 0)
				return bad("evaluation %llu was revoked by entry %lld",
				           (unsigned long long)ev->seq, (long long)rev);
		}
	} else if (strcmp(kind, "claim") == 0) {
		return rule_claim(src, seq, pred, subject);
	} else { /* revocation */
		const pl_fact *a;
		int64_t rev;
		if ((error = check_ref(src, &a, json_object_get(pred, "revokes"), seq,
		                       "attestation", "revokes")) < 0)
			return error;
		if (strcmp(or_(pl_json_str(a->pred, "kind"), ""), "revocation") == 0)
			return bad("entry %llu is a revocation; it cannot be revoked",
			           (unsigned long long)a->seq);
		if (strcmp(a->signer, e->dsse.keyid) != 0)
			return pl_error_set(
			    PL_EVERIFY,
			    "attestation %llu was signed by %s, not by %s: only its "
			    "signer can revoke it",
			    (unsigned long long)a->seq, a->signer, e->dsse.keyid);
		if (json_integer_value(json_object_get(json_object_get(a->pred, "subject"),
		                                       "seq")) != (json_int_t)subject->seq)
			return bad("attestation %llu is about another subject",
			           (unsigned long long)a->seq);
		if ((error = att_revoked(src, &rev, a->seq, seq)) < 0)
			return error;
		if (rev >= 0)
			return pl_error_set(PL_ECONFLICT,
			                    "attestation %llu was already revoked by entry %lld",
			                    (unsigned long long)a->seq, (long long)rev);
	}
	return PL_OK;
}

void pl_verdict_clear(pl_verdict *v)
{
	if (!v)
		return;
	pl_key_free(v->owned);
	v->owned = NULL;
	v->verify_key = NULL;
}

int pl_rules_check(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e)
{
	pl_fact self;
	unsigned char zero[PL_HASH_LEN] = {0};
	int error;

	memset(v, 0, sizeof(*v));
	v->signer.revoked_seq = v->signer.grant_seq = v->signer.rotated_from = -1;
	if (seq == 0 && strcmp(e->type, "key") != 0)
		return bad("entry 0 must be the operator's key");
	if (!*e->dsse.keyid || strlen(e->dsse.keyid) > 100)
		return bad("the envelope's signature has no keyid");
	if ((error = pl_rules_check_time(e->created, NULL, -1)) < 0)
		return error;
	if (strcmp(e->type, "key") == 0) {
		if ((error = pl_fact_from_entry(&self, seq, e, zero)) == PL_OK)
			error = rule_key(v, src, seq, e, &self);
		if (error == PL_OK) {
			/* the verdict outlives self: it takes the new key */
			if (v->verify_key == self.pub) {
				v->owned = self.pub;
				self.pub = NULL;
			}
			snprintf(
			    v->signer.name, sizeof(v->signer.name), "%s",
			    or_(pl_json_str(json_object_get(e->statement, "predicate"), "name"),
			        ""));
		}
		pl_fact_clear(&self);
		return error;
	}
	if (strcmp(e->type, "grant") == 0)
		return rule_grant(v, src, seq, e);
	if (strcmp(e->type, "work") == 0)
		return rule_work(v, src, seq, e);
	if (strcmp(e->type, "check") == 0)
		return rule_check(v, src, seq, e);
	if (strcmp(e->type, "dataset") == 0)
		return rule_dataset(v, src, seq, e);
	if (strcmp(e->type, "model") == 0)
		return rule_model(v, src, seq, e);
	if (strcmp(e->type, "attestation") == 0)
		return rule_attestation(v, src, seq, e);
	if (strcmp(e->type, "hardware") == 0)
		return rule_hardware(v, src, seq, e);
	return bad("unknown entry type '%s'", e->type);
}
