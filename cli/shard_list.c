/*
 * shard_list.c - the shard arguments and shard-reading options of hash, check
 * and dataset (shard_list.h, shard_opts.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard_opts.h"

/* A line of a --files-from list longer than this is refused (memory stays
 * bounded whatever the list holds). */
#define LIST_LINE_MAX 65536

void pl_cli_shards_init(pl_cli_shards *l)
{
	memset(l, 0, sizeof(*l));
	l->stdin_shard = -1;
}

static char *own(pl_cli_shards *l, const char *s, size_t n)
{
	char *c;
	if (l->nowned == l->owned_cap) {
		size_t cap = l->owned_cap ? l->owned_cap * 2 : 16;
		char **v = realloc(l->owned, cap * sizeof(*v));
		if (!v) {
			pl_error_set(PL_ENOMEM, "out of memory");
			return NULL;
		}
		l->owned = v;
		l->owned_cap = cap;
	}
	if ((c = malloc(n + 1)) == NULL) {
		pl_error_set(PL_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	l->owned[l->nowned++] = c;
	return c;
}

int pl_cli_shards_files_from(pl_cli_shards *l, const char *file)
{
	if (l->nfrom == PL_CLI_FILES_FROM_MAX)
		return pl_error_set(PL_ELIMIT, "at most %d --files-from", PL_CLI_FILES_FROM_MAX);
	l->files_from[l->nfrom++] = file;
	return PL_OK;
}

static int exists(const char *path)
{
	struct stat st;
	return strcmp(path, "-") == 0 || stat(path, &st) == 0;
}

/* One shard argument: PATH, PATH:FIELD or "-". 0, or an exit code. */
static int add(pl_cli_shards *l, const pl_cli_cmd *cmd, const char *arg, unsigned flags)
{
	const char *colon = strrchr(arg, ':');
	char *path = NULL, *field = NULL;
	if (!exists(arg) && colon && colon > arg && colon[1]) {
		char *prefix = own(l, arg, (size_t)(colon - arg));
		if (!prefix)
			return pl_cli_fail(PL_ENOMEM);
		if (exists(prefix)) {
			path = prefix;
			if ((field = own(l, colon + 1, strlen(colon + 1))) == NULL)
				return pl_cli_fail(PL_ENOMEM);
		}
	}
	if (!path && (path = own(l, arg, strlen(arg))) == NULL)
		return pl_cli_fail(PL_ENOMEM);
	if (strcmp(path, "-") == 0) {
		if (flags & PL_CLI_SHARDS_NO_STDIN)
			return pl_cli_usage(
			    cmd, "'-' (stdin) cannot be a dataset shard: the manifest "
			         "names each shard by a path that recheck and auditors "
			         "read again; save the data to a file and give its path");
		if (l->stdin_shard >= 0)
			return pl_cli_usage(cmd, "'-' (stdin) can be given only once");
		l->stdin_shard = (int)l->n;
	}
	if (l->n == l->cap) {
		/* paths, names and fields share one capacity. */
		size_t c = l->cap ? l->cap * 2 : 16;
		const char **p = realloc(l->paths, c * sizeof(char *));
		if (p)
			l->paths = p;
		const char **nm = p ? realloc(l->names, c * sizeof(char *)) : NULL;
		if (nm)
			l->names = nm;
		const char **fl = nm ? realloc(l->fields, c * sizeof(char *)) : NULL;
		if (fl)
			l->fields = fl;
		if (!fl)
			return pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
		l->cap = c;
	}
	l->paths[l->n] = l->names[l->n] = path;
	l->fields[l->n] = field;
	l->n++;
	return 0;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* The shards of one --files-from list. 0, or an exit code. */
static int read_list(pl_cli_shards *l, const pl_cli_cmd *cmd, const char *file, unsigned flags)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	const char *name = f == stdin ? "--files-from -" : file;
	char *line = NULL;
	size_t n = 0, lineno = 0;
	int rc = 0, c, nul = 0;

	if (!f) {
		int e = errno;
		return pl_cli_fail(pl_error_set(e == ENOENT ? PL_ENOTFOUND : PL_ERROR, "%s: %s",
		                                file, e == ENOENT ? "no such file" : strerror(e)));
	}
	if ((line = malloc(LIST_LINE_MAX + 1)) == NULL) {
		rc = pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
		goto done;
	}
	errno = 0;
	do {
		c = getc(f);
		if (c != EOF && c != '\n') {
			if (n == LIST_LINE_MAX) {
				rc = pl_cli_fail(pl_error_set(PL_EINVALID,
				                              "%s: line %zu: longer than %d bytes",
				                              name, lineno + 1, LIST_LINE_MAX));
				goto done;
			}
			nul |= c == '\0';
			line[n++] = (char)c;
			continue;
		}
		if (c == EOF && n == 0)
			break;
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (nul) {
			rc = pl_cli_fail(pl_error_set(
			    PL_EINVALID, "%s: line %zu: NUL byte in a path", name, lineno));
			goto done;
		}
		if (!is_blank(line, n) && (rc = add(l, cmd, line, flags)) != 0)
			goto done;
		n = 0;
	} while (c != EOF);
	if (ferror(f))
		rc = pl_cli_fail(pl_error_set(PL_ERROR, "%s: read error: %s", name,
		                              strerror(errno ? errno : EIO)));
done:
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int pl_cli_shards_collect(pl_cli_shards *l, const pl_cli_cmd *cmd, char **args, int nargs,
                          unsigned flags)
{
	int rc, list_stdin = 0;
	for (size_t i = 0; i < l->nfrom; i++) {
		if (strcmp(l->files_from[i], "-") != 0)
			continue;
		if (list_stdin++)
			return pl_cli_usage(cmd, "--files-from - can be given only once");
	}
	for (int i = 0; i < nargs; i++)
		if ((rc = add(l, cmd, args[i], flags)) != 0)
			return rc;
	if (list_stdin && l->stdin_shard >= 0)
		return pl_cli_usage(cmd, "stdin cannot be both the shard list (--files-from -) and "
		                         "a shard (-)");
	for (size_t i = 0; i < l->nfrom; i++) {
		if ((rc = read_list(l, cmd, l->files_from[i], flags)) != 0)
			return rc;
		if (list_stdin && l->stdin_shard >= 0)
			return pl_cli_usage(cmd,
			                    "stdin cannot be both the shard list (--files-from "
			                    "-) and a shard (-)");
	}
	return 0;
}

int pl_cli_shards_spool_stdin(pl_cli_shards *l)
{
	const char *dir = getenv("TMPDIR");
	char buf[1 << 16];
	ssize_t got;
	int fd = -1, rc = 0;

	if (l->stdin_shard < 0 || l->spool)
		return 0;
	if (!dir || !*dir)
		dir = "/tmp";
	size_t n = strlen(dir) + sizeof("/provledger-stdin.XXXXXX");
	if ((l->spool = malloc(n)) == NULL)
		return pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
	snprintf(l->spool, n, "%s/provledger-stdin.XXXXXX", dir);
	if ((fd = mkstemp(l->spool)) < 0) {
		rc = pl_cli_fail(pl_error_set(
		    PL_ERROR, "-: cannot create a temporary file in %s: %s", dir, strerror(errno)));
		free(l->spool);
		l->spool = NULL;
		return rc;
	}
	for (;;) {
		got = read(STDIN_FILENO, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = pl_cli_fail(
			    pl_error_set(PL_ERROR, "-: read error: %s", strerror(errno)));
			break;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(fd, buf + off, (size_t)(got - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = pl_cli_fail(pl_error_set(PL_ERROR,
				                              "-: cannot copy stdin to %s: %s",
				                              l->spool, strerror(errno)));
				goto done;
			}
			off += w;
		}
	}
done:
	if (close(fd) < 0 && rc == 0)
		rc = pl_cli_fail(pl_error_set(PL_ERROR, "-: cannot copy stdin to %s: %s", l->spool,
		                              strerror(errno)));
	if (rc == 0)
		l->paths[l->stdin_shard] = l->spool;
	return rc;
}

void pl_cli_shards_free(pl_cli_shards *l)
{
	if (!l)
		return;
	if (l->spool) {
		unlink(l->spool);
		free(l->spool);
	}
	for (size_t i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->paths);
	free(l->names);
	free(l->fields);
	pl_cli_shards_init(l);
}

int pl_cli_shard_opt(const pl_cli_cmd *cmd, pl_shard_opts *o, pl_cli_shards *l, int c,
                     const char *arg)
{
	uint64_t v;
	switch (c) {
	case 0x1001:
		if (pl_shard_format_parse(&o->format, arg) < 0)
			return -pl_cli_usage(cmd, "%s", pl_error_last());
		return 1;
	case 0x1002:
		if (!*arg)
			return -pl_cli_usage(cmd, "--field needs a non-empty name");
		o->field = arg;
		return 1;
	case 0x1003:
		if (strcmp(arg, "blank-line") == 0)
			o->split = PL_SPLIT_BLANK_LINE;
		else if (strcmp(arg, "none") == 0)
			o->split = PL_SPLIT_NONE;
		else
			return -pl_cli_usage(cmd, "unknown --split mode '%s' (blank-line or none)",
			                     arg);
		return 1;
	case 0x1004:
		o->lossy = 1;
		return 1;
	case 0x1005:
		if (pl_cli_parse_u64(&v, arg) < 0 || v == 0)
			return -pl_cli_usage(
			    cmd, "--max-record needs a positive byte count, not '%s'", arg);
		if (v > PL_SHARD_MAX_RECORD_LIMIT)
			return -pl_cli_usage(
			    cmd,
			    "--max-record %s is over the limit of %llu bytes (1 GiB): "
			    "a record is held in memory",
			    arg, (unsigned long long)PL_SHARD_MAX_RECORD_LIMIT);
		o->max_record = v;
		return 1;
	case 0x1006:
		if (!*arg)
			return -pl_cli_usage(cmd, "--files-from needs a file (- for stdin)");
		if (pl_cli_shards_files_from(l, arg) < 0)
			return -pl_cli_usage(cmd, "%s", pl_error_last());
		return 1;
	default:
		return 0;
	}
}
