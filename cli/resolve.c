/* resolve.c - what the commands accept for a work: whole ids and unique
 * prefixes (git-style), and line-wise escaped printing of documents. */
#include <ctype.h>
#include <string.h>

#include "cli.h"
#include "pl_ledger.h"
#include "pl_registry.h"

#define WORK_ID_LEN 17 /* "W" + 16 hex digits */
#define MAX_NAMED 8    /* candidates named in an "ambiguous" message */

typedef struct {
	const char *prefix;
	size_t len, n;
	pl_buf first, named;
} prefix_ctx;

static int by_prefix(void *vctx, const pl_work_info *w)
{
	prefix_ctx *c = vctx;
	if (strncmp(w->id, c->prefix, c->len) != 0)
		return 0;
	if (c->n == 0)
		pl_buf_puts(&c->first, w->id);
	if (c->n < MAX_NAMED)
		pl_buf_printf(&c->named, "%s%s (seq %llu)", c->n ? ", " : "", w->id,
		              (unsigned long long)w->seq);
	c->n++;
	return 0;
}

int pl_cli_work_id(pl_ledger *l, pl_buf *out, const char *arg)
{
	prefix_ctx c = {0};
	pl_buf want = PL_BUF_INIT;
	size_t n = strlen(arg);
	int error, rc = PL_EXIT_ERROR;

	pl_buf_clear(out);
	if (n >= WORK_ID_LEN) {
		if (pl_buf_puts(out, arg) < 0)
			return pl_cli_fail(PL_ENOMEM);
		return 0;
	}
	/* ids are W and lowercase hex; a prefix may be typed in either case */
	for (size_t i = 1; i < n && arg[0] == 'W'; i++)
		if (!isxdigit((unsigned char)arg[i]))
			n = 0;
	if (arg[0] != 'W' || n == 0) {
		pl_cli_err("'%s' is not a work id (W and 16 hex digits, or a unique prefix of at "
		           "least %d characters)",
		           arg, PL_CLI_WORK_PREFIX_MIN);
		return PL_EXIT_ERROR;
	}
	if (n < PL_CLI_WORK_PREFIX_MIN) {
		pl_cli_err("work id prefix '%s' is too short: give W and at least %d hex digits",
		           arg, PL_CLI_WORK_PREFIX_MIN - 1);
		return PL_EXIT_ERROR;
	}
	pl_buf_putc(&want, 'W');
	for (size_t i = 1; i < n; i++)
		pl_buf_putc(&want, (char)tolower((unsigned char)arg[i]));
	c.prefix = want.ptr;
	c.len = want.len;
	if ((error = pl_registry_list(l, by_prefix, &c)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (c.n == 0) {
		pl_cli_err("no registered work's id begins with %s", arg);
	} else if (c.n > 1) {
		pl_cli_err("work id prefix %s is ambiguous: %zu works: %s%s (give more digits)",
		           arg, c.n, c.named.ptr, c.n > MAX_NAMED ? ", ..." : "");
	} else if (pl_buf_puts(out, c.first.ptr) < 0) {
		rc = pl_cli_fail(PL_ENOMEM);
	} else {
		rc = 0;
	}
done:
	pl_buf_free(&want);
	pl_buf_free(&c.first);
	pl_buf_free(&c.named);
	return rc;
}

void pl_cli_put_lines(FILE *f, const char *text)
{
	const char *p = text ? text : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		pl_buf b = PL_BUF_INIT;
		if (pl_buf_put_escaped(&b, p, len) == PL_OK)
			fputs(b.ptr, f);
		pl_buf_free(&b);
		if (nl)
			fputc('\n', f);
		p += len + (nl ? 1 : 0);
	}
}

/* keyid of a key given as SHA256:... or by its registered name. */
typedef struct {
	const char *want;
	pl_buf keyid;
	int found;
} name_ctx;

static int by_name(void *vctx, const pl_key_info *k)
{
	name_ctx *c = vctx;
	if (strcmp(k->name, c->want) == 0 && k->revoked_seq < 0) {
		pl_buf_clear(&c->keyid);
		pl_buf_puts(&c->keyid, k->keyid);
		c->found++;
	}
	return 0;
}

int pl_cli_key_id(pl_ledger *l, pl_buf *out, const char *arg)
{
	name_ctx c = {arg, PL_BUF_INIT, 0};
	int error;
	if (strncmp(arg, "SHA256:", 7) == 0)
		return pl_buf_puts(out, arg);
	if ((error = pl_ledger_keys(l, by_name, &c)) < 0)
		goto done;
	if (!c.found)
		error = pl_error_set(PL_ENOTFOUND, "no key named '%s' is registered", arg);
	else
		error = pl_buf_puts(out, c.keyid.ptr);
done:
	pl_buf_free(&c.keyid);
	return error;
}
