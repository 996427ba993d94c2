/*
 * cli.h - what the commands share: global options, exit codes, the command
 * table, error reporting, JSON output and the progress bar. cli/ is the only
 * part of provledger that prints or exits.
 */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "pl_common.h"

enum {
	PL_EXIT_OK = 0,      /* success; check: no match; verify: all verified */
	PL_EXIT_FINDING = 1, /* check found matches; verify found a problem */
	PL_EXIT_USAGE = 2,   /* unknown command or flag, missing argument */
	PL_EXIT_ERROR = 3    /* bad input or runtime error */
};

typedef struct {
	const char *ledger; /* --ledger, PROVLEDGER_DIR, or ./.provledger */
	int json;
	int quiet;
	int progress; /* stderr is a terminal and not --quiet */
	int dry_run;  /* --dry-run: appends are validated, nothing is written */
	pl_buf *dry;  /* the envelopes a dry run would have appended */
	/* --remote URL (or PROVLEDGER_URL): the log is read from and appended to
	 * over HTTP, every answer verified under --trust (or PROVLEDGER_TRUST) */
	const char *remote;
	const char *trust;
} pl_cli;

typedef struct pl_cli_cmd {
	const char *name; /* "hash", or "key gen" for a two-word command */
	int (*fn)(pl_cli *g, const struct pl_cli_cmd *cmd, int argc, char **argv);
	const char *synopsis; /* one line: arguments */
	const char *summary;  /* one line: what it does */
	const char *help;     /* the rest of the help page */
} pl_cli_cmd;

/* Print "provledger: <pl_error_last()>" and map a library code to an exit code.
 * Like every message of pl_cli_err and pl_cli_usage, the message is escaped
 * (pl_cli_esc) before the newline that ends it. */
int pl_cli_fail(int code);
/* The same for a refused append: always PL_EXIT_ERROR (SPEC §2: exit 3), even
 * when the library refused it with PL_EVERIFY (a bad signature, an
 * unregistered or revoked signer), which for verify would be a finding. */
int pl_cli_fail_append(int code);

/* Print "provledger: <cmd>: <message>" and the synopsis hint; return PL_EXIT_USAGE. */
int pl_cli_usage(const pl_cli_cmd *cmd, const char *fmt, ...) PL_PRINTF(2, 3);

/* With on, errors go to stderr as one JSON object each:
 * {"error": {"code", "message", "file", "line", "byte"}} (--json). */
void pl_cli_json_errors(int on);

/* Print "provledger: <message>" on stderr. */
void pl_cli_err(const char *fmt, ...) PL_PRINTF(1, 2);

/* s escaped for text output (pl_buf_put_escaped: control characters, C1,
 * bidirectional controls and invalid UTF-8 shown as \n, \xNN, \u{NNNN}), for
 * printf("%s", pl_cli_esc(value)) wherever a value from an entry, a file, a
 * shard, a bundle or the user is printed as text. The result lives in one of
 * PL_CLI_ESC_SLOTS static buffers used in turn: it stays valid for that many
 * further calls, so one printf may take up to that many. NULL gives "".
 * Not thread-safe: only the main thread prints. */
#define PL_CLI_ESC_SLOTS 16
const char *pl_cli_esc(const char *s);

/* The text pl_cli_json_print prints for doc (numbers as output gives them;
 * doc is changed so, not stolen), appended to out. */
int pl_cli_json_text(pl_buf *out, json_t *doc);
/* Print one JSON document (indented) to stdout; steals the reference. */
void pl_cli_json_print(json_t *doc);

/* getopt_long loop helper: report an unknown option or missing argument. */
int pl_cli_bad_option(const pl_cli_cmd *cmd, int optopt_c, const char *arg);

/* Progress bar on stderr: bytes done of total (0: unknown), with the rate. */
typedef struct {
	int enabled;
	uint64_t total;
	double start, last;
	const char *label;
} pl_progress;
void pl_progress_start(pl_progress *p, const pl_cli *g, const char *label, uint64_t total);
void pl_progress_update(pl_progress *p, uint64_t done);
void pl_progress_end(pl_progress *p);

/* Servers: once listening, print "serving on port N" (--json: {"listen",
 * "port"}) and write the port to port_file (may be NULL). */
typedef struct {
	const char *port_file;
	int quiet, json;
	const char *listen;
} pl_cli_ready;
void pl_cli_listening(void *ctx, unsigned port); /* ctx: a pl_cli_ready */
/* SIGINT and SIGTERM set *flag; SIGPIPE is ignored. */
void pl_cli_on_stop_signals(volatile sig_atomic_t *flag);

/* Parse a decimal unsigned integer; PL_EINVALID unless the whole string is one. */
int pl_cli_parse_u64(uint64_t *out, const char *s);
/* "P/Q" of --registry-part: P below Q, Q from 1 to 4096. */
int pl_cli_parse_registry_part(uint32_t *index, uint32_t *count, const char *s);

/* Open the ledger named by --ledger; on failure prints the error and returns
 * the exit code (non-zero), else 0. */
struct pl_ledger;
int pl_cli_open(const pl_cli *g, struct pl_ledger **out);

/* With --remote: the verified remote log (pl_remote_open under g->trust),
 * opened once per process; 0 or the exit code, printed. pl_cli_open gives
 * its rebuilt ledger. */
struct pl_remote;
int pl_cli_remote(const pl_cli *g, struct pl_remote **out);
/* The same, printing nothing: a library code (PL_EUSAGE when --trust is
 * missing, PL_EVERIFY for a split view or a key of another log). */
int pl_cli_remote_try(const pl_cli *g, struct pl_remote **out);
/* Free what pl_cli_remote opened (main, after the command). */
void pl_cli_remote_close(void);

/* The work id that arg names, into out (cleared first), git-style: a whole
 * id (W and 16 hex digits) is taken as given (the library says when it is
 * not registered); a shorter arg must be a prefix of at least
 * PL_CLI_WORK_PREFIX_MIN characters (W and 4 hex digits) of exactly one
 * registered work's id. Too short, unknown and ambiguous prefixes (the
 * candidates named) are printed and give PL_EXIT_ERROR; 0 on success. */
#define PL_CLI_WORK_PREFIX_MIN 5
int pl_cli_work_id(struct pl_ledger *l, pl_buf *out, const char *arg);

/* The keyid of a key given as SHA256:... (taken as given) or by its
 * registered name (unrevoked), into out; PL_ENOTFOUND otherwise. */
int pl_cli_key_id(struct pl_ledger *l, pl_buf *out, const char *arg);

/* text printed escaped (pl_cli_esc) line by line: its own newlines are kept,
 * so a multi-line document (a JSON dump) keeps its lines. */
void pl_cli_put_lines(FILE *f, const char *text);

/* After an appending command ran with --dry-run: print the statements it
 * would have appended (text, or {"dry_run": true, "entries": [...]} with
 * --json) and return rc. */
int pl_cli_dry_report(const pl_cli *g, int rc);

/* The clock of PROVLEDGER_TIME (a test hook), or NULL when unset; *t
 * receives its value. PL_EINVALID for a malformed value. */
int pl_cli_test_clock(int64_t (**fn)(void *), void **ctx);

/* {"seq": N, "leaf": "<hex>"} */
json_t *pl_cli_ref(uint64_t seq, const unsigned char leaf[32]);

/* {"seq": N, "leaf": "<hex>"} of entry seq of l; JSON null when l has no
 * such entry. */
json_t *pl_cli_ref_of(struct pl_ledger *l, uint64_t seq);

/* {"keyid": K, "name": NAME or null}: a key as --json output names it (the
 * name registered in l for keyid; null when l knows no such key). */
json_t *pl_cli_key_json(struct pl_ledger *l, const char *keyid);

/* Load a private key given with --key: a key file (PEM PKCS#8, or OpenSSH's
 * format; a passphrase from the file named by PROVLEDGER_PASSPHRASE_FILE, or
 * asked on the terminal), or "agent:SHA256:..." for a key held by the
 * ssh-agent at $SSH_AUTH_SOCK. Prints and returns an exit code on failure. */
struct pl_key;
int pl_cli_load_key(struct pl_key **out, const char *spec);

#endif
