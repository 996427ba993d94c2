/* shard_opts.h - the shard-reading options that hash, check and dataset share. */
#ifndef PL_CLI_SHARD_OPTS_H
#define PL_CLI_SHARD_OPTS_H

#include <getopt.h>

#include "cli.h"
#include "pl_shard.h"
#include "shard_list.h"

/* getopt_long codes 0x1000.. for --format --field --split --lossy --max-record
 * --files-from */
#define PL_SHARD_LONGOPTS                                                                          \
	{"format", required_argument, NULL, 0x1001}, {"field", required_argument, NULL, 0x1002},   \
	    {"split", required_argument, NULL, 0x1003}, {"lossy", no_argument, NULL, 0x1004},      \
	    {"max-record", required_argument, NULL, 0x1005},                                       \
	{                                                                                          \
		"files-from", required_argument, NULL, 0x1006                                      \
	}

/* Handle one of those codes (--files-from is recorded in l): 1 handled, 0
 * not ours, or the usage exit code (negated) on a bad value. */
int pl_cli_shard_opt(const pl_cli_cmd *cmd, pl_shard_opts *o, pl_cli_shards *l, int c,
                     const char *arg);

#define PL_SHARD_OPTS_HELP                                                                         \
	"  --format F       txt, jsonl, tar, webdataset, parquet or raw (default:\n"               \
	"                   detected from the content; webdataset: a tar read as samples,\n"       \
	"                   see 'provledger help hash')\n"                                         \
	"  --field NAME     the JSONL text field, Parquet column or WebDataset member\n"           \
	"                   extension (default text; webdataset: txt or text);\n"                  \
	"                   SHARD:FIELD gives one\n"                                               \
	"                   shard its own (see 'provledger help hash')\n"                          \
	"  --files-from F   more shards, one per line of F (- for stdin)\n"                        \
	"  -                as a SHARD: stdin (check only; a dataset's shards are files)\n"        \
	"  --split blank-line  a .txt record per paragraph instead of per file\n"                  \
	"  --lossy          replace invalid UTF-8 with U+FFFD instead of failing\n"                \
	"  --max-record N   largest record in bytes (default 64 MiB, at most 1 GiB)\n"

#endif
