/* util.c - error reporting, JSON printing, progress bar for the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pl_key.h"
#include "pl_ledger.h"

void pl_cli_err(const char *fmt, ...)
{
	va_list ap;
	fputs("provledger: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int pl_cli_fail(int code)
{
	const char *msg = pl_error_last();
	pl_cli_err("%s", *msg ? msg : "unknown error");
	if (code == PL_EVERIFY)
		return PL_EXIT_FINDING;
	if (code == PL_EUSAGE)
		return PL_EXIT_USAGE;
	return PL_EXIT_ERROR;
}

int pl_cli_fail_append(int code)
{
	int rc = pl_cli_fail(code);
	return rc == PL_EXIT_FINDING ? PL_EXIT_ERROR : rc;
}

int pl_cli_usage(const pl_cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "provledger: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: provledger %s %s\n(see 'provledger help %s')\n", cmd->name,
	        cmd->synopsis, cmd->name);
	return PL_EXIT_USAGE;
}

int pl_cli_bad_option(const pl_cli_cmd *cmd, int c, const char *arg)
{
	if (c == ':')
		return pl_cli_usage(cmd, "option %s needs a value", arg);
	return pl_cli_usage(cmd, "unknown option %s", arg);
}

void pl_cli_json_print(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(doc);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pl_progress_start(pl_progress *p, const pl_cli *g, const char *label, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->enabled = g->progress;
	p->total = total;
	p->label = label;
	p->start = p->last = now();
}

void pl_progress_update(pl_progress *p, uint64_t done)
{
	double t;
	if (!p->enabled)
		return;
	t = now();
	if (t - p->last < 0.1)
		return;
	p->last = t;
	double rate = done / 1e6 / (t - p->start > 1e-9 ? t - p->start : 1e-9);
	if (p->total) {
		int pct = (int)(done * 100 / p->total), bar = pct / 5;
		fprintf(stderr, "\r%-20.20s [%.*s%*s] %3d%% %8.1f MB/s", p->label ? p->label : "",
		        bar, "####################", 20 - bar, "", pct, rate);
	} else {
		fprintf(stderr, "\r%-20.20s %10.1f MB %8.1f MB/s", p->label ? p->label : "",
		        done / 1e6, rate);
	}
	fflush(stderr);
}

void pl_progress_end(pl_progress *p)
{
	if (p->enabled && p->last > p->start)
		fprintf(stderr, "\r\033[K");
	p->enabled = 0;
}

int pl_cli_parse_u64(uint64_t *out, const char *s)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || *s == '-' || *s == '+')
		return pl_error_set(PL_EINVALID, "'%s' is not a non-negative integer", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return pl_error_set(PL_EINVALID, "'%s' is not a non-negative integer", s);
	*out = v;
	return PL_OK;
}

int pl_cli_open(const pl_cli *g, pl_ledger **out)
{
	int error = pl_ledger_open(out, g->ledger);
	return error < 0 ? pl_cli_fail(error) : 0;
}

json_t *pl_cli_ref(uint64_t seq, const unsigned char leaf[32])
{
	char hex[65];
	pl_hex(hex, leaf, 32);
	return json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "leaf", hex);
}

int pl_cli_load_key(pl_key **out, const char *path)
{
	int error = pl_key_load_private(out, path);
	return error < 0 ? pl_cli_fail(error) : 0;
}
