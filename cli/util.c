/* util.c - error reporting, JSON printing, progress bar for the commands. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "pl_dsse.h"
#include "pl_key.h"
#include "pl_client.h"
#include "pl_ledger.h"
#include "pl_note.h"

/* --json: errors are one JSON object on stderr (set by main). */
static int json_errors;

void pl_cli_json_errors(int on)
{
	json_errors = on;
}

/* {"error": {"code", "message", "file", "line", "byte"}}: file, line and
 * byte read off the message's "FILE: line N (byte B): ..." form (or member,
 * record, a Parquet row group). */
static void json_error(const char *code, const char *msg)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
	const char *colon = strstr(msg, ": "), *p;
	json_t *file = json_null(), *line = json_null(), *byte = json_null();
	char *s;
	if (colon &&
	    (strncmp(colon + 2, "line ", 5) == 0 || strncmp(colon + 2, "byte ", 5) == 0 ||
	     strncmp(colon + 2, "member ", 7) == 0 || strncmp(colon + 2, "record ", 7) == 0 ||
	     strncmp(colon + 2, "row group ", 10) == 0)) {
		json_decref(file);
		file = json_stringn(msg, (size_t)(colon - msg));
	}
	if ((p = strstr(msg, ": line ")) != NULL) {
		json_decref(line);
		line = json_integer(strtoll(p + 7, NULL, 10));
	}
	if ((p = strstr(msg, "byte ")) != NULL && p[5] >= '0' && p[5] <= '9') {
		json_decref(byte);
		byte = json_integer(strtoll(p + 5, NULL, 10));
	}
	json_object_set_new(e, "file", file);
	json_object_set_new(e, "line", line);
	json_object_set_new(e, "byte", byte);
	{
		/* a warning or a note is not an error: {"warning": {...}} */
		int warn = strncmp(msg, "warning: ", 9) == 0 || strncmp(msg, "note: ", 6) == 0;
		json_t *doc = json_pack("{s:o}", warn ? "warning" : "error", e);
		if (warn)
			json_object_set_new(e, "code", json_string("warning"));
		s = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
	}
	if (s) {
		fputs(s, stderr);
		fputc('\n', stderr);
		free(s);
	}
}

const char *pl_cli_esc(const char *s)
{
	static pl_buf slots[PL_CLI_ESC_SLOTS];
	static size_t next;
	pl_buf *b = &slots[next];

	next = (next + 1) % PL_CLI_ESC_SLOTS;
	pl_buf_clear(b);
	if (pl_buf_put_escaped(b, s, s ? strlen(s) : 0) < 0)
		return "(out of memory)";
	return b->ptr;
}

/* Format a message and write it to stderr escaped: a value quoted in it
 * cannot start a line of its own. */
static void err_vprint(const char *fmt, va_list ap)
{
	pl_buf msg = PL_BUF_INIT, out = PL_BUF_INIT;
	if (pl_buf_vprintf(&msg, fmt, ap) == PL_OK &&
	    pl_buf_put_escaped(&out, msg.ptr, msg.len) == PL_OK)
		fputs(out.ptr, stderr);
	else
		fputs("(message lost: out of memory)", stderr);
	pl_buf_free(&msg);
	pl_buf_free(&out);
}

void pl_cli_err(const char *fmt, ...)
{
	va_list ap;
	if (json_errors) {
		pl_buf b = PL_BUF_INIT;
		va_start(ap, fmt);
		pl_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		json_error("error", b.ptr ? b.ptr : "");
		pl_buf_free(&b);
		return;
	}
	fputs("provledger: ", stderr);
	va_start(ap, fmt);
	err_vprint(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int pl_cli_fail(int code)
{
	const char *msg = pl_error_last();
	if (json_errors)
		json_error(pl_error_name(code), *msg ? msg : "unknown error");
	else
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
	if (json_errors) {
		pl_buf b = PL_BUF_INIT;
		pl_buf_printf(&b, "%s: ", cmd->name);
		va_start(ap, fmt);
		pl_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		pl_buf_printf(&b, " (usage: provledger %s %s)", cmd->name, cmd->synopsis);
		json_error("usage", b.ptr);
		pl_buf_free(&b);
		return PL_EXIT_USAGE;
	}
	fprintf(stderr, "provledger: %s: ", cmd->name);
	va_start(ap, fmt);
	err_vprint(fmt, ap);
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

int pl_cli_json_text(pl_buf *out, json_t *doc)
{
	char *s;
	int error;
	pl_json_output_numbers(doc);
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (!s)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((error = pl_buf_puts(out, s)) == PL_OK)
		error = pl_buf_putc(out, '\n');
	free(s);
	return error;
}

void pl_cli_json_print(json_t *doc)
{
	pl_buf b = PL_BUF_INIT;
	if (pl_cli_json_text(&b, doc) == PL_OK)
		fwrite(b.ptr, 1, b.len, stdout);
	pl_buf_free(&b);
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

int pl_cli_parse_registry_part(uint32_t *index, uint32_t *count, const char *s)
{
	char buf[64];
	const char *sl = strchr(s, '/');
	uint64_t i, n;
	if (!sl || sl == s || (size_t)(sl - s) >= sizeof(buf))
		return pl_error_set(PL_EINVALID, "--registry-part needs P/Q: %s", s);
	memcpy(buf, s, (size_t)(sl - s));
	buf[sl - s] = '\0';
	if (pl_cli_parse_u64(&i, buf) < 0 || pl_cli_parse_u64(&n, sl + 1) < 0)
		return pl_error_set(PL_EINVALID, "--registry-part needs P/Q: %s", s);
	if (n < 1 || n > 4096 || i >= n)
		return pl_error_set(
		    PL_EINVALID, "--registry-part %s: P must be below Q, and Q from 1 to 4096", s);
	*index = (uint32_t)i;
	*count = (uint32_t)n;
	return PL_OK;
}

static int64_t pinned_time;

static int64_t pinned_clock(void *ctx)
{
	(void)ctx;
	return pinned_time;
}

int pl_cli_test_clock(int64_t (**fn)(void *), void **ctx)
{
	const char *t = getenv("PROVLEDGER_TIME");
	char *end;
	long long v;
	*fn = NULL;
	*ctx = NULL;
	if (!t || !*t)
		return PL_OK;
	errno = 0;
	v = strtoll(t, &end, 10);
	if (errno || *end || v < 0)
		return pl_error_set(PL_EINVALID, "PROVLEDGER_TIME '%s' is not unix seconds", t);
	pinned_time = v;
	*fn = pinned_clock;
	return PL_OK;
}

static pl_remote *remote;

int pl_cli_remote_try(const pl_cli *g, pl_remote **out)
{
	pl_remote_opts o = {0};
	pl_cosig_policy wp = {0};
	pl_buf tname = PL_BUF_INIT;
	pl_key *tk = NULL;
	int error;
	if (remote) {
		*out = remote;
		return PL_OK;
	}
	if (!g->trust || !*g->trust)
		return pl_error_set(PL_EUSAGE,
		                    "--remote %s needs the operator's key: --trust KEY (or "
		                    "PROVLEDGER_TRUST)",
		                    g->remote);
	o.ca_file = getenv("PROVLEDGER_CA_FILE");
	/* the witnesses a client requires: a policy file (Sigsum style) */
	if (getenv("PROVLEDGER_WITNESS_POLICY") && *getenv("PROVLEDGER_WITNESS_POLICY")) {
		if ((error = pl_cosig_policy_load(&wp, getenv("PROVLEDGER_WITNESS_POLICY"))) < 0) {
			pl_error_prefix(error, "PROVLEDGER_WITNESS_POLICY");
			goto done;
		}
		o.witnesses = &wp;
	}
	if ((error = pl_trust_parse(&tk, &tname, g->trust, NULL)) < 0) {
		pl_error_prefix(error, "--trust");
		goto done;
	}
	if ((error = pl_remote_open(&remote, g->remote, tk, &o)) < 0)
		goto done;
	if (tname.len && strcmp(tname.ptr, pl_remote_checkpoint(remote)->origin) != 0) {
		error = pl_error_set(
		    PL_EVERIFY, "--trust: the key is the key of log '%s', not of %s's log '%s'",
		    tname.ptr, g->remote, pl_remote_checkpoint(remote)->origin);
		pl_remote_free(remote);
		remote = NULL;
	}
done:
	pl_cosig_policy_free(&wp);
	pl_key_free(tk);
	pl_buf_free(&tname);
	*out = remote;
	return error;
}

int pl_cli_remote(const pl_cli *g, pl_remote **out)
{
	int error = pl_cli_remote_try(g, out);
	return error < 0 ? pl_cli_fail_append(error) : 0;
}

void pl_cli_remote_close(void)
{
	pl_remote_free(remote);
	remote = NULL;
}

int pl_cli_open(const pl_cli *g, pl_ledger **out)
{
	int64_t (*clock)(void *);
	void *ctx;
	int error;
	if ((error = pl_cli_test_clock(&clock, &ctx)) < 0)
		return pl_cli_fail(error);
	if (g->remote) {
		pl_remote *r;
		int rc;
		if ((rc = pl_cli_remote(g, &r)) != 0)
			return rc;
		if ((error = pl_remote_rebuild(r, out)) < 0)
			return pl_cli_fail_append(error);
	} else if ((error = pl_ledger_open(out, g->ledger)) < 0) {
		/* a ledger that cannot be opened (a commit refused, a rollback) is
		 * bad input for every command, never a finding */
		return pl_cli_fail_append(error);
	}
	if (clock && (error = pl_ledger_set_clock(*out, clock, ctx)) < 0) {
		pl_ledger_free(*out);
		*out = NULL;
		return pl_cli_fail(error);
	}
	if (g->dry_run)
		pl_ledger_set_dry_run(*out, g->dry);
	return 0;
}

int pl_cli_dry_report(const pl_cli *g, int rc)
{
	json_t *arr = json_array();
	const char *p = g->dry && g->dry->ptr ? g->dry->ptr : "";
	size_t n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n'), *sp = strchr(p, ' ');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		unsigned long long seq = strtoull(p, NULL, 10);
		json_t *env = NULL, *st = NULL;
		pl_buf payload = PL_BUF_INIT;
		if (sp && sp < p + len &&
		    pl_json_parse(&env, sp + 1, (size_t)(p + len - sp - 1), "envelope") == PL_OK) {
			const char *b64 = json_string_value(json_object_get(env, "payload"));
			if (b64 && pl_base64_decode(&payload, b64, strlen(b64)) == PL_OK)
				pl_json_parse(&st, payload.ptr, payload.len, "statement");
		}
		if (st) {
			if (!g->json) {
				char *s = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
				printf("would append entry %llu:\n", seq);
				pl_cli_put_lines(stdout, s ? s : "");
				putchar('\n');
				free(s);
			}
			json_array_append_new(
			    arr, json_pack("{s:I, s:o}", "seq", (json_int_t)seq, "statement", st));
		}
		n++;
		json_decref(env);
		pl_buf_free(&payload);
		p += len + (nl ? 1 : 0);
	}
	if (g->json)
		pl_cli_json_print(json_pack("{s:b, s:o}", "dry_run", 1, "entries", arr));
	else {
		printf("dry run: %zu entr%s validated, nothing appended\n", n,
		       n == 1 ? "y" : "ies");
		json_decref(arr);
	}
	return rc;
}

json_t *pl_cli_ref(uint64_t seq, const unsigned char leaf[32])
{
	char hex[65];
	pl_hex(hex, leaf, 32);
	return json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "leaf", hex);
}

static int ref_one(void *ctx, const pl_entry_info *e)
{
	*(json_t **)ctx = pl_cli_ref(e->seq, e->leaf);
	return 0;
}

json_t *pl_cli_ref_of(pl_ledger *l, uint64_t seq)
{
	json_t *o = NULL;
	if (pl_ledger_entry_info(l, seq, ref_one, &o) < 0 || !o)
		return json_null();
	return o;
}

json_t *pl_cli_key_json(pl_ledger *l, const char *keyid)
{
	pl_key_status ks;
	json_t *name = NULL;
	if (!keyid)
		return json_null();
	if (l && pl_ledger_key_status(l, &ks, keyid) == PL_OK && ks.registered)
		name = json_string(ks.name); /* NULL when not UTF-8 */
	return json_pack("{s:s, s:o}", "keyid", keyid, "name", name ? name : json_null());
}

/* The terminal whose echo the prompt turned off, restored on a fatal signal. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction tty_old[4];

static void tty_restore_and_reraise(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Prompt on /dev/tty with echo off; the line, without its newline, into out. */
static int passphrase_from_tty(pl_buf *out, const char *path)
{
	struct termios t;
	struct sigaction sa;
	pl_buf prompt = PL_BUF_INIT;
	int fd, error = PL_OK, eof = 0;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || !isatty(fd)) {
		if (fd >= 0)
			close(fd);
		return pl_error_set(PL_EINVALID,
		                    "%s: the key is protected by a passphrase; give it in a file "
		                    "(mode 0600) named by PROVLEDGER_PASSPHRASE_FILE, run from a "
		                    "terminal, or use ssh-agent (--key agent:FINGERPRINT)",
		                    path);
	}
	if (tcgetattr(fd, &tty_saved) < 0) {
		error = pl_error_set(PL_ERROR, "/dev/tty: %s", strerror(errno));
		close(fd);
		return error;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore_and_reraise;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(tty_signals[i], &sa, &tty_old[i]);
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON;
	tty_fd = fd;
	pl_buf_printf(&prompt, "Enter passphrase for %s: ", path);
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0 || write(fd, prompt.ptr, prompt.len) < 0) {
		error = pl_error_set(PL_ERROR, "/dev/tty: %s", strerror(errno));
		goto done;
	}
	/* One allocation, so that no reallocation leaves a copy behind. */
	if ((error = pl_buf_grow(out, PL_KEY_MAX_FILE)) < 0)
		goto done;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = pl_error_set(PL_ERROR, "/dev/tty: %s", strerror(errno));
			goto done;
		}
		if (n == 0) {
			eof = 1;
			break;
		}
		if (c == '\n')
			break;
		if (out->len >= PL_KEY_MAX_FILE) {
			error = pl_error_set(PL_ELIMIT, "%s: passphrase too long", path);
			goto done;
		}
		out->ptr[out->len++] = c;
		c = 0;
	}
	out->ptr[out->len] = '\0';
	if (eof && out->len == 0)
		error = pl_error_set(PL_EINVALID, "%s: no passphrase given", path);
done:
	tcsetattr(fd, TCSAFLUSH, &tty_saved);
	if (write(fd, "\n", 1) < 0) {
		/* the prompt line stays open; nothing else to do */
	}
	tty_fd = -1;
	for (int i = 0; i < 4; i++)
		sigaction(tty_signals[i], &tty_old[i], NULL);
	close(fd);
	pl_buf_free(&prompt);
	return error;
}

/* The passphrase callback of pl_key_load_private_ex: PROVLEDGER_PASSPHRASE_FILE
 * (its first line), else a prompt on the terminal, else an error saying how
 * to give one. */
static int cli_passphrase(void *ctx, pl_buf *out, const char *path)
{
	const char *file = getenv("PROVLEDGER_PASSPHRASE_FILE");
	pl_buf data = PL_BUF_INIT;
	size_t n;
	int error;

	(void)ctx;
	if (!file || !*file)
		return passphrase_from_tty(out, path);
	if ((error = pl_key_read_secret(&data, file, "a passphrase")) < 0) {
		pl_error_prefix(error, "PROVLEDGER_PASSPHRASE_FILE");
		goto done;
	}
	n = data.ptr ? strcspn(data.ptr, "\n") : 0;
	if (n > 0 && data.ptr[n - 1] == '\r')
		n--;
	if (memchr(data.ptr, '\0', n)) {
		error = pl_error_set(PL_EINVALID,
		                     "PROVLEDGER_PASSPHRASE_FILE: %s: holds a NUL byte", file);
		goto done;
	}
	if ((error = pl_buf_grow(out, n)) < 0)
		goto done;
	error = pl_buf_put(out, data.ptr, n);
done:
	if (data.ptr)
		OPENSSL_cleanse(data.ptr, data.cap);
	pl_buf_free(&data);
	return error;
}

int pl_cli_load_key(pl_key **out, const char *spec)
{
	pl_key_load_opts opts = {cli_passphrase, NULL};
	int error;

	if (strncmp(spec, "agent:", 6) == 0) {
		const char *sock = getenv("SSH_AUTH_SOCK");
		if (!sock || !*sock) {
			pl_cli_err("%s: SSH_AUTH_SOCK is not set: no ssh-agent to ask (start one "
			           "with ssh-agent and add the key with ssh-add)",
			           spec);
			return PL_EXIT_ERROR;
		}
		error = pl_key_from_agent(out, sock, spec + 6);
	} else {
		error = pl_key_load_private_ex(out, spec, &opts);
	}
	return error < 0 ? pl_cli_fail(error) : 0;
}
