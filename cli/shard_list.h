/*
 * shard_list.h - the shard arguments that hash, check and dataset share:
 * SHARD... on the command line and --files-from FILE lists, each entry PATH,
 * PATH:FIELD (a JSONL field for that shard) or "-" (stdin).
 *
 * PATH:FIELD is read as such only when PATH:FIELD does not exist as given and
 * PATH (the part before the last ':') does, so that paths holding a ':' keep
 * working. "-" is stdin, also as "-:FIELD"; a file named "-" is "./-".
 */
#ifndef PL_CLI_SHARD_LIST_H
#define PL_CLI_SHARD_LIST_H

#include <stddef.h>

#include "cli.h"

/* Flags of pl_cli_shards_collect. */
#define PL_CLI_SHARDS_NO_STDIN 1u /* refuse "-" (dataset: a manifest names files) */

#define PL_CLI_FILES_FROM_MAX 16

typedef struct {
	/* n entries each, owned by the list. paths: what to open ("-" for
	 * stdin until pl_cli_shards_spool_stdin replaces it with a temp file);
	 * names: what output and messages call the shard ("-" for stdin);
	 * fields: the shard's own JSONL field, or NULL for --field's. */
	const char **paths, **names, **fields;
	size_t n, cap;
	int stdin_shard; /* index of the "-" shard, or -1 */
	/* --files-from arguments, in order (borrowed). A fixed array: nothing
	 * is allocated while options are parsed, so a command may return a
	 * usage error then without freeing the list. */
	const char *files_from[PL_CLI_FILES_FROM_MAX];
	size_t nfrom;
	char *spool;  /* the temp file holding stdin, unlinked by free */
	char **owned; /* strings to free */
	size_t nowned, owned_cap;
} pl_cli_shards;

void pl_cli_shards_init(pl_cli_shards *l);

/* Record a --files-from FILE argument (read by pl_cli_shards_collect);
 * PL_ELIMIT past PL_CLI_FILES_FROM_MAX. */
int pl_cli_shards_files_from(pl_cli_shards *l, const char *file);

/* Take the shards of args[0..nargs), then of each --files-from list, in that
 * order. Returns 0, or the exit code after printing the message: 2 for a
 * usage error ("-" twice, stdin as both a list and a shard, "-" refused by
 * PL_CLI_SHARDS_NO_STDIN), 3 for an unreadable or malformed list. An empty
 * result is the caller's to refuse. */
int pl_cli_shards_collect(pl_cli_shards *l, const pl_cli_cmd *cmd, char **args, int nargs,
                          unsigned flags);

/* For commands that read a shard twice (check): copy stdin, when "-" is a
 * shard, into a temp file that paths[] then names. 0, or the exit code after
 * printing the message. */
int pl_cli_shards_spool_stdin(pl_cli_shards *l);

/* NULL-safe; removes the spool file. */
void pl_cli_shards_free(pl_cli_shards *l);

#endif
