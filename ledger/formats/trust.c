/*
 * trust.c - the operator key a verifier trusts, given out of band: a C2SP
 * verifier key, an OpenSSH public key line, or a file holding exactly one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pl_note.h"

/* One candidate key found in a text. */
typedef struct {
	pl_key *k;
	char name[256]; /* the verifier key's name, or the OpenSSH comment */
	int c2sp;
} cand;

#define MAX_CANDS 64

static void add_cand(cand *c, size_t *n, pl_key *k, const char *name, size_t nlen, int c2sp)
{
	if (*n == MAX_CANDS) {
		pl_key_free(k);
		return;
	}
	c[*n].k = k;
	c[*n].c2sp = c2sp;
	if (nlen >= sizeof(c[*n].name))
		nlen = sizeof(c[*n].name) - 1;
	memcpy(c[*n].name, name, nlen);
	c[*n].name[nlen] = '\0';
	(*n)++;
}

/* Every key in text: OpenSSH "ssh-ed25519 AAAA..." runs anywhere (a .pub
 * file, `key list`, allowed_signers, DIR/config's operator_public_key) and
 * C2SP verifier keys as whole lines. */
static void scan(cand *c, size_t *n, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *s = strstr(p, "ssh-ed25519 ");
		const char *nl;
		if (!s)
			break;
		{
			size_t k = 12, cstart, cend;
			pl_key *key = NULL;
			pl_buf comment = PL_BUF_INIT;
			while (s + k < end && s[k] != ' ' && s[k] != '"' && s[k] != '\n' &&
			       s[k] != '\r')
				k++;
			cstart = k;
			cend = k;
			if (s + k < end && s[k] == ' ') {
				cstart = k + 1;
				cend = cstart;
				while (s + cend < end && s[cend] != '"' && s[cend] != '\n' &&
				       s[cend] != '\r')
					cend++;
			}
			if (pl_key_from_openssh(&key, &comment, s, k) == PL_OK)
				add_cand(c, n, key, s + cstart, cend - cstart, 0);
			pl_buf_free(&comment);
			p = s + k;
		}
		(void)nl;
	}
	/* C2SP verifier keys: NAME+HEX8+BASE64 on a line of their own */
	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		pl_key *key = NULL;
		pl_buf name = PL_BUF_INIT;
		while (ll && (p[ll - 1] == '\r' || p[ll - 1] == ' '))
			ll--;
		if (ll && memchr(p, '+', ll) && !memchr(p, ' ', ll) &&
		    pl_note_parse_verifier_key(&key, &name, p, ll) == PL_OK)
			add_cand(c, n, key, name.ptr, name.len, 1);
		pl_buf_free(&name);
		pl_error_clear();
		p = nl ? nl + 1 : end;
	}
}

int pl_trust_parse(pl_key **out, pl_buf *name, const char *arg, const char *select)
{
	cand c[MAX_CANDS];
	size_t n = 0, pick = 0, npick = 0;
	pl_buf data = PL_BUF_INIT;
	struct stat st;
	int error = PL_OK, is_file = 0;

	memset(c, 0, sizeof(c));
	if (!arg || !*arg)
		return pl_error_set(PL_EINVALID, "no trusted key given");
	/* a key given literally, or the name of a file holding one */
	scan(c, &n, arg, strlen(arg));
	if (n == 0) {
		if (stat(arg, &st) < 0)
			return pl_error_set(errno == ENOENT ? PL_ENOTFOUND : PL_ERROR,
			                    "%s: %s (give the operator's key: a file, an OpenSSH "
			                    "'ssh-ed25519 AAAA...' line or a NAME+HEX8+BASE64 "
			                    "verifier key)",
			                    arg, strerror(errno));
		if ((error = pl_read_file(&data, arg, 1 << 20)) < 0)
			return error;
		is_file = 1;
		scan(c, &n, data.ptr ? data.ptr : "", data.len);
	}
	if (n == 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: no Ed25519 public key (an OpenSSH 'ssh-ed25519 AAAA...' "
		                     "line or a NAME+HEX8+BASE64 verifier key)",
		                     is_file ? arg : "the --trust value");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		/* the same key found twice (DIR/config holds one line) counts once */
		int dup = 0;
		for (size_t j = 0; j < i; j++) {
			unsigned char a[32], b[32];
			pl_key_raw(c[i].k, a);
			pl_key_raw(c[j].k, b);
			dup |= memcmp(a, b, 32) == 0 && strcmp(c[i].name, c[j].name) == 0;
		}
		if (dup)
			continue;
		if (select && strcmp(c[i].name, select) != 0)
			continue;
		if (!npick++)
			pick = i;
	}
	if (npick == 0) {
		error = pl_error_set(PL_ENOTFOUND, "%s holds no key named '%s'",
		                     is_file ? arg : "the --trust value", select ? select : "");
		goto done;
	}
	if (npick > 1) {
		error = pl_error_set(PL_EINVALID,
		                     "%s holds %zu keys; give the operator's key alone, or name "
		                     "the one to trust",
		                     is_file ? arg : "the --trust value", npick);
		goto done;
	}
	*out = c[pick].k;
	c[pick].k = NULL;
	if (name) {
		pl_buf_clear(name);
		error = pl_buf_puts(name, c[pick].c2sp ? c[pick].name : "");
	}
done:
	for (size_t i = 0; i < n; i++)
		pl_key_free(c[i].k);
	pl_buf_free(&data);
	return error;
}

/* ---- witnesses a verifier requires ------------------------------------------ */

int pl_cosig_policy_add(pl_cosig_policy *p, const char *arg)
{
	pl_buf text = PL_BUF_INIT, name = PL_BUF_INIT;
	const char *v = arg;
	size_t len;
	pl_key *k = NULL;
	struct stat st;
	int error;
	if (p->n == PL_COSIG_MAX)
		return pl_error_set(PL_EINVALID, "at most %d witnesses", PL_COSIG_MAX);
	if (!strchr(arg, '+') && stat(arg, &st) == 0) {
		if ((error = pl_read_file(&text, arg, 1 << 16)) < 0)
			return error;
		v = text.ptr ? text.ptr : "";
	}
	len = strlen(v);
	while (len && (v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if ((error = pl_cosig_parse_verifier_key(&k, &name, v, len)) < 0) {
		pl_error_prefix(error, "witness %s", arg);
		goto done;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->names[i], name.ptr) == 0) {
			error = pl_error_set(PL_EINVALID, "witness %s is given twice", name.ptr);
			goto done;
		}
	snprintf(p->names[p->n], sizeof(p->names[0]), "%s", name.ptr);
	p->keys[p->n++] = k;
	k = NULL;
done:
	pl_key_free(k);
	pl_buf_free(&text);
	pl_buf_free(&name);
	return error;
}

int pl_cosig_policy_load(pl_cosig_policy *p, const char *path)
{
	pl_buf text = PL_BUF_INIT;
	char *save = NULL, *line;
	size_t lineno = 0;
	int error, quorum_any = 0, quorum_set = 0;
	unsigned long long q = 0;
	if ((error = pl_read_file(&text, path, 1 << 20)) < 0)
		return error;
	for (line = text.ptr ? strtok_r(text.ptr, "\n", &save) : NULL; line && error == PL_OK;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w[4] = {0}, *s2 = NULL;
		size_t n = 0;
		lineno++;
		if (line[0] == '#')
			continue;
		for (char *t = strtok_r(line, " \t\r", &s2); t && n < 4;
		     t = strtok_r(NULL, " \t\r", &s2))
			w[n++] = t;
		if (n == 0)
			continue;
		if (strcmp(w[0], "witness") == 0 && (n == 2 || n == 3)) {
			if ((error = pl_cosig_policy_add(p, w[n - 1])) < 0)
				pl_error_prefix(error, "%s: line %zu", path, lineno);
			else if (n == 3 && strcmp(p->names[p->n - 1], w[1]) != 0)
				error = pl_error_set(PL_EINVALID,
				                     "%s: line %zu: the key is %s's, not %s's",
				                     path, lineno, p->names[p->n - 1], w[1]);
		} else if (strcmp(w[0], "quorum") == 0 && n == 2) {
			char *end;
			quorum_set = 1;
			if (strcmp(w[1], "all") == 0)
				q = 0;
			else if (strcmp(w[1], "any") == 0)
				quorum_any = 1;
			else if ((q = strtoull(w[1], &end, 10)) == 0 || *end)
				error = pl_error_set(
				    PL_EINVALID, "%s: line %zu: quorum takes a count, all or any",
				    path, lineno);
		} else {
			error = pl_error_set(PL_EINVALID,
			                     "%s: line %zu: expected 'witness [NAME] VKEY' or "
			                     "'quorum K|all|any'",
			                     path, lineno);
		}
	}
	if (error == PL_OK && quorum_set)
		p->quorum = quorum_any ? 1 : (size_t)q;
	if (error == PL_OK && p->quorum > p->n)
		error = pl_error_set(PL_EINVALID, "%s: a quorum of %zu of %zu witnesses", path,
		                     p->quorum, p->n);
	pl_buf_free(&text);
	return error;
}

int pl_cosig_policy_check(const pl_cosig_policy *p, const char *note, size_t len, size_t *got)
{
	pl_buf missing = PL_BUF_INIT;
	size_t ok = 0, need = p->quorum ? p->quorum : p->n;
	int error = PL_OK;
	for (size_t i = 0; i < p->n; i++) {
		int e = pl_cosig_verify(NULL, note, len, p->names[i], p->keys[i]);
		if (e == PL_OK)
			ok++;
		else
			pl_buf_printf(&missing, "%s%s (%s)", missing.len ? "; " : "", p->names[i],
			              e == PL_EVERIFY && strstr(pl_error_last(), "invalid")
			                  ? "an invalid cosignature"
			              : e == PL_EVERIFY ? "no cosignature"
			                                : "a malformed note");
	}
	if (got)
		*got = ok;
	if (ok < need)
		error = pl_error_set(PL_EVERIFY,
		                     "the checkpoint carries %zu valid cosignature%s of the %zu "
		                     "required (of %zu witnesses; %s)",
		                     ok, ok == 1 ? "" : "s", need, p->n,
		                     missing.ptr ? missing.ptr : "-");
	pl_buf_free(&missing);
	return error;
}

void pl_cosig_policy_free(pl_cosig_policy *p)
{
	for (size_t i = 0; i < p->n; i++)
		pl_key_free(p->keys[i]);
	memset(p, 0, sizeof(*p));
}
