/*
 * pl_rules.h - the one table of rules: which roles exist, who grants each,
 * which role signs which kind of entry. The same table is applied by every
 * append, by `verify` (from git alone), by `verify-bundle` (from the bundle
 * alone), by the index catch-up and by the policy scan; `provledger help
 * roles` prints it.
 *
 * A key entry declares a role; the role is in force only after a grant by a
 * key whose own granting role is in force at the grant's seq (the operator's
 * key, entry 0, is in force by construction). A rights-holder key may sign
 * works and claims without a grant; a grant by an authority marks it vouched.
 * A key that revokes an older key and is signed by it inherits the older key's
 * role in force (a rotation). Grants and roles are judged at the seq of each
 * entry: a later revocation does not undo what was valid when it was signed.
 */
#ifndef PL_RULES_H
#define PL_RULES_H

#include "pl_common.h"

typedef struct {
	const char *role;
	const char *granted_by; /* the role whose key grants it; NULL: entry 0 only */
	int self;               /* 1: may sign without a grant (unvouched) */
	const char *what;
} pl_role_rule;

/* NULL-terminated (role NULL). */
extern const pl_role_rule pl_roles[];
/* The rule of role, NULL when there is no such role. */
const pl_role_rule *pl_role_find(const char *role);

typedef struct {
	const char *type; /* entry type */
	const char *kind; /* attestation kind, or NULL */
	const char *role; /* the role in force its signer needs; NULL: see note */
	const char *note;
} pl_sign_rule;

/* NULL-terminated (type NULL). */
extern const pl_sign_rule pl_sign_rules[];

/* A key name: 1..128 bytes of printable UTF-8 (inner spaces allowed: "Gull
 * Press"), without control, quote, backslash or bidirectional override
 * characters, not starting or ending with a space. PL_EINVALID otherwise. */
int pl_rules_check_key_name(const char *name);

/* The table as text for `help roles` (appended to out). */
int pl_rules_describe(pl_buf *out);

/* The relations of a model to its base models (Hugging Face
 * base_model_relation): 1 when r is one; *needs_data whether such a model
 * must name a dataset it was trained on (quantized and merge need none). */
int pl_rules_model_relation(const char *r, int *needs_data);

#endif
