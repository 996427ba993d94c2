/*
 * cmd_hash.c - provledger hash SHARD...: the digests of each shard (SPEC §4),
 * and with --records the location and normalized SHA-256 of every record.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "pl_hash.h"
#include "pl_shard.h"
#include "pl_text.h"
#include "shard_opts.h"

typedef unsigned long long ull;

typedef struct {
	pl_shard_info info;
	uint64_t tokens;
} shard_sum;

/* A JSON string literal for s (jansson's escaping; invalid UTF-8 in a path
 * becomes U+FFFD so that the document stays valid). */
static void put_json_string(FILE *f, const char *s)
{
	json_t *j = json_string(s);
	char *out;
	if (!j) {
		pl_buf b = PL_BUF_INIT;
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			if (*p < 0x80)
				pl_buf_putc(&b, (char)*p);
			else
				pl_buf_puts(&b, "\xef\xbf\xbd");
		j = json_string(b.ptr ? b.ptr : "");
		pl_buf_free(&b);
	}
	out = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(out ? out : "\"\"", f);
	free(out);
	json_decref(j);
}

static void progress_cb(void *ctx, uint64_t done)
{
	pl_progress_update(ctx, done);
}

/* Hash one shard (path "-": stdin; field: its own JSONL field, or NULL).
 * Records go to rec_out (text or JSON objects) when set. */
static int hash_one(shard_sum *sum, const pl_cli *g, const char *path, const char *field,
                    const pl_shard_opts *base, FILE *rec_out)
{
	pl_shard_opts opts = *base;
	pl_buf member = PL_BUF_INIT;
	int is_stdin = strcmp(path, "-") == 0;
	pl_shard *s = NULL;
	pl_tokens tok = {0};
	pl_progress prog;
	const pl_record *r;
	struct stat st;
	/* Without --records only the token count is printed. */
	unsigned flags = rec_out ? 0 : PL_TOK_NO_TEXT | PL_TOK_NO_HASH;
	int rc, first = 1;

	if (field)
		opts.field = field;
	pl_progress_start(&prog, g, strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
	                  (is_stdin ? fstat(STDIN_FILENO, &st) : stat(path, &st)) == 0 &&
	                          S_ISREG(st.st_mode)
	                      ? (uint64_t)st.st_size
	                      : 0);
	opts.progress = progress_cb;
	opts.progress_ctx = &prog;
	sum->tokens = 0;
	if ((rc = is_stdin ? pl_shard_open_fd(&s, STDIN_FILENO, "-", &opts)
	                   : pl_shard_open(&s, path, &opts)) < 0)
		goto done;
	while ((rc = pl_shard_next(s, &r)) > 0) {
		if ((rc = pl_shard_tokenize(s, &tok, flags)) < 0)
			goto done;
		sum->tokens += tok.count;
		if (!rec_out)
			continue;
		unsigned char h[PL_HASH_LEN];
		char hex[2 * PL_HASH_LEN + 1];
		pl_sha256(h, tok.text.ptr ? tok.text.ptr : "", tok.text.len);
		pl_hex(hex, h, PL_HASH_LEN);
		if (g->json) {
			fprintf(
			    rec_out,
			    "%s\n        {\"record\": %llu, \"offset\": %llu, \"length\": %llu, ",
			    first ? "" : ",", (ull)r->index, (ull)r->offset, (ull)r->length);
			if (r->name) {
				fputs("\"member\": ", rec_out);
				put_json_string(rec_out, r->name);
			} else if (r->line) {
				fprintf(rec_out, "\"line\": %llu", (ull)r->line);
			} else {
				/* Parquet: no lines, rows of row groups. */
				fprintf(rec_out, "\"row_group\": %llu, \"row\": %llu",
				        (ull)r->row_group, (ull)r->row);
			}
			fprintf(rec_out, ", \"tokens\": %llu, \"normalized_sha256\": \"%s\"}",
			        (ull)tok.count, hex);
		} else {
			fprintf(rec_out,
			        "  record %llu offset %llu length %llu tokens %llu sha256 %s",
			        (ull)r->index, (ull)r->offset, (ull)r->length, (ull)tok.count, hex);
			if (r->name) {
				/* Escaped: a member name cannot forge a line. */
				member.len = 0;
				if ((rc = pl_shard_escape_name(&member, r->name)) < 0)
					goto done;
				fprintf(rec_out, " member %s", member.ptr);
			} else if (!r->line) {
				fprintf(rec_out, " row_group %llu row %llu", (ull)r->row_group,
				        (ull)r->row);
			}
			fputc('\n', rec_out);
		}
		first = 0;
	}
	if (rc < 0)
		goto done;
	rc = pl_shard_finish(s, &sum->info);
done:
	pl_progress_end(&prog);
	pl_buf_free(&member);
	pl_tokens_free(&tok);
	pl_shard_free(s);
	return rc;
}

static void print_text(const char *path, const shard_sum *sum)
{
	char sha[2 * PL_HASH_LEN + 1], merkle[2 * PL_HASH_LEN + 1];
	pl_hex(sha, sum->info.sha256, PL_HASH_LEN);
	pl_hex(merkle, sum->info.merkle, PL_HASH_LEN);
	printf("%s\n  bytes        %llu\n  format       %s\n  compression  %s\n"
	       "  sha256       %s\n  merkle       %s\n  records      %llu\n  tokens       %llu\n",
	       pl_cli_esc(path), (ull)sum->info.stored_bytes,
	       pl_shard_format_name(sum->info.format), pl_compression_name(sum->info.compression),
	       sha, merkle, (ull)sum->info.records, (ull)sum->tokens);
}

static void print_json_shard(const char *path, const shard_sum *sum, int first)
{
	char sha[2 * PL_HASH_LEN + 1], merkle[2 * PL_HASH_LEN + 1];
	pl_hex(sha, sum->info.sha256, PL_HASH_LEN);
	pl_hex(merkle, sum->info.merkle, PL_HASH_LEN);
	printf("%s\n    {\n      \"path\": ", first ? "" : ",");
	put_json_string(stdout, path);
	printf(",\n      \"bytes\": %llu,\n      \"format\": \"%s\",\n"
	       "      \"compression\": \"%s\",\n      \"sha256\": \"%s\",\n"
	       "      \"merkle\": \"%s\",\n      \"records\": %llu,\n      \"tokens\": %llu,\n"
	       "      \"stream_bytes\": %llu",
	       (ull)sum->info.stored_bytes, pl_shard_format_name(sum->info.format),
	       pl_compression_name(sum->info.compression), sha, merkle, (ull)sum->info.records,
	       (ull)sum->tokens, (ull)sum->info.stream_bytes);
}

/* Copy a temp file's contents to stdout. */
static void copy_out(FILE *f)
{
	char buf[1 << 16];
	size_t n;
	fflush(f);
	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
}

static void print_json_error(const char *path, int code, const char *msg, int first)
{
	printf("%s\n    {\n      \"path\": ", first ? "" : ",");
	put_json_string(stdout, path);
	printf(",\n      \"error\": {\n        \"code\": \"%s\",\n        \"message\": ",
	       pl_error_name(code));
	put_json_string(stdout, msg);
	printf("\n      }\n    }");
}

static int cmd_hash(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	enum { O_RECORDS = 256 };
	static const struct option longopts[] = {
	    {"records", no_argument, NULL, O_RECORDS},
	    PL_SHARD_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	pl_shard_opts opts = {0};
	pl_cli_shards shards;
	int records = 0, c, rc = PL_EXIT_OK;
	size_t failed = 0;
	FILE *tmp = NULL;

	pl_cli_shards_init(&shards);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if ((rc = pl_cli_shard_opt(cmd, &opts, &shards, c, optarg)) != 0) {
			if (rc < 0)
				return -rc;
			rc = PL_EXIT_OK;
			continue;
		}
		if (c != O_RECORDS) {
			/* A short option's letter (getopt may still be inside argv[i]). */
			char opt[3] = {'-', (char)optopt, '\0'};
			return pl_cli_bad_option(
			    cmd, c, optopt > 0 && optopt < 0x100 ? opt : argv[optind - 1]);
		}
		records = 1;
	}
	if ((rc = pl_cli_shards_collect(&shards, cmd, argv + optind, argc - optind, 0)) != 0)
		goto done;
	if (shards.n == 0) {
		rc = pl_cli_usage(cmd, "no shard given");
		goto done;
	}

	/* A bad shard is reported and skipped: the others are still hashed,
	 * and the JSON document stays whole. */
	if (g->json)
		printf("{\n  \"shards\": [");
	for (size_t i = 0; i < shards.n; i++) {
		const char *name = shards.names[i];
		shard_sum sum;
		int err;
		if (records && (tmp = tmpfile()) == NULL)
			err = pl_error_set(PL_ERROR, "%s: cannot create a temporary file", name);
		else
			err = hash_one(&sum, g, shards.paths[i], shards.fields[i], &opts, tmp);
		if (err < 0) {
			failed++;
			fflush(stdout);
			pl_cli_fail(err);
			if (g->json)
				print_json_error(name, err, pl_error_last(), i == 0);
		} else if (g->json) {
			print_json_shard(name, &sum, i == 0);
			if (tmp) {
				printf(",\n      \"record_list\": [");
				copy_out(tmp);
				printf("%s]", sum.info.records ? "\n      " : "");
			}
			printf("\n    }");
		} else {
			print_text(name, &sum);
			if (tmp)
				copy_out(tmp);
		}
		if (tmp)
			fclose(tmp);
		tmp = NULL;
	}
	if (g->json)
		printf("\n  ]\n}\n");
	rc = failed ? PL_EXIT_ERROR : PL_EXIT_OK;
done:
	if (tmp)
		fclose(tmp);
	pl_cli_shards_free(&shards);
	return rc;
}

const pl_cli_cmd pl_cmd_hash = {
    "hash",
    cmd_hash,
    "[--records] [--format txt|jsonl|tar|webdataset|parquet|raw] [--field NAME]\n"
    "       [--split blank-line] "
    "[--lossy] "
    "[--max-record BYTES] [--files-from FILE] SHARD[:FIELD]...",
    "print the digests, record and token counts of training-data shards",
    "Reads each SHARD in one streaming pass and prints its digests (SPEC section 4).\n"
    "Memory stays bounded whatever the shard's size: one record is held at a time.\n"
    "\n"
    "Shards:\n"
    "  PATH          a file; '-' reads the shard from stdin (its path in the output\n"
    "                is '-'; compression detected as for a file)\n"
    "  PATH:FIELD    a JSONL or Parquet shard with its own text field (column)\n"
    "                instead of --field's;\n"
    "                read so only when PATH:FIELD does not exist and PATH does, so\n"
    "                paths holding ':' keep working ('-- -:FIELD' for stdin)\n"
    "  --files-from FILE  more shards, one per line of FILE ('-': stdin), after\n"
    "                those on the command line; blank lines skipped; PATH:FIELD too\n"
    "A bad shard does not stop the run: its error is printed on stderr (with --json\n"
    "the shard is listed with \"error\": {\"code\", \"message\"} instead of digests),\n"
    "the next shard is hashed, and the exit code is 3 if any shard failed.\n"
    "\n"
    "Formats (detected on the decompressed stream unless --format is given):\n"
    "  parquet \"PAR1\" at offset 0 (or a name ending .parquet): a record per row, the\n"
    "          text from the BYTE_ARRAY column --field (default \"text\"); flat\n"
    "          REQUIRED or OPTIONAL columns (a null is an empty record); PLAIN and\n"
    "          dictionary encodings, data pages v1 and v2, UNCOMPRESSED, SNAPPY,\n"
    "          GZIP and ZSTD pages; anything else is refused with an error naming\n"
    "          it. A regular file only (not stdin, not inside gzip/zstd); records\n"
    "          name their row group and row\n"
    "  tar     \"ustar\" at offset 257: each regular member is a record;\n"
    "          ustar, GNU long names and pax paths; directories and links skipped;\n"
    "          every header checksum is verified\n"
    "  webdataset  (only with --format) a tar read as WebDataset samples:\n"
    "          consecutive members whose names share a key (the name up to the\n"
    "          first '.' of its last path component) are one record, whose text is\n"
    "          the member with extension --field (default: txt or text); images,\n"
    "          .json sidecars and other members are skipped; a sample without one\n"
    "          is a record with no text; two are refused. The record's member is\n"
    "          the sample key; its offset and length are the text member's data\n"
    "  jsonl   first non-blank byte '{': one JSON object per line; the record's text\n"
    "          is the top-level string field --field (default \"text\"); every line\n"
    "          must be valid JSON; blank lines are skipped; CRLF is accepted; a\n"
    "          UTF-8 BOM opening the file is skipped (offsets still count it)\n"
    "  txt     anything else: the whole file is one record, or with\n"
    "          --split blank-line one record per paragraph\n"
    "  raw     (only with --format) digests only, no records; bytes not interpreted\n"
    "Compression, gzip (also multi-member) or zstd, is detected by magic bytes.\n"
    "\n"
    "Options:\n"
    "  --records            also list every record\n"
    "  --format FORMAT      txt, jsonl, tar, webdataset, parquet or raw instead of\n"
    "                       detection\n"
    "  --field NAME         the JSONL text field, Parquet column or WebDataset member\n"
    "                       extension (default text; webdataset: txt or text)\n"
    "  --split blank-line   txt: one record per paragraph (blank lines between)\n"
    "  --lossy              replace invalid UTF-8 with U+FFFD instead of failing\n"
    "  --max-record BYTES   the largest record (JSONL line, tar member, txt file or\n"
    "                       paragraph; a Parquet page, as stored and decompressed)\n"
    "                       accepted; default 67108864 (64 MiB), at most\n"
    "                       1073741824 (1 GiB)\n"
    "  --files-from FILE    more shards, one per line ('-': stdin)\n"
    "  --json               print one JSON document (global option)\n"
    "\n"
    "Output fields, per shard:\n"
    "  path          the SHARD argument (without a :FIELD suffix; '-' for stdin)\n"
    "  bytes         size of the file as stored\n"
    "  format        txt, jsonl, tar, webdataset, parquet or raw\n"
    "  compression   none, gzip or zstd\n"
    "  sha256        SHA-256 of the stored bytes (what sha256sum prints)\n"
    "  merkle        RFC 6962 root over the stored bytes cut into 1 MiB leaves; an\n"
    "                empty file gives the empty-tree root e3b0c442...b855\n"
    "  records       number of records\n"
    "  tokens        number of tokens over all records (SPEC section 8 step 1)\n"
    "  stream_bytes  (JSON only) size of the decompressed stream\n"
    "With --records, per record (JSON: \"record_list\"):\n"
    "  index         0-based record index\n"
    "  offset        byte offset in the decompressed stream (Parquet: the file\n"
    "                offset of the value's bytes when its page is stored\n"
    "                uncompressed, else of the page, or dictionary page, holding it)\n"
    "  length        bytes: the JSONL line without its line ending, the tar member's\n"
    "                data, the txt file or paragraph, the Parquet value (or page)\n"
    "  line / member 1-based line number (jsonl, txt), or the tar member name\n"
    "  row_group, row  Parquet: the 0-based row group and row within it\n"
    "  tokens        tokens in the record\n"
    "  sha256        (JSON: normalized_sha256) SHA-256 of the normalized text\n"
    "\n"
    "Errors (exit 3, one line naming the file, the record and the byte offset in the\n"
    "decompressed stream): a missing, unreadable or directory SHARD; truncated or\n"
    "corrupt gzip/zstd data; a tar header with a bad checksum, a size out of range\n"
    "or negative, a non-zero size on a member that holds no data (directory, link,\n"
    "device: tar readers disagree on what follows), GNU sparse members, two long\n"
    "names or pax headers for one member; a truncated tar;\n"
    "a JSONL line that is not valid JSON (unterminated string, invalid escape, lone\n"
    "surrogate, trailing garbage...), not an object, lacks the field, has it twice,\n"
    "or has a non-string value; invalid UTF-8 (unless --lossy); a NUL byte in text;\n"
    "a record longer than --max-record. Usage errors exit 2.\n"
    "  provledger: a.jsonl.gz: line 1235 (byte 98213): invalid JSON: unterminated string\n"
    "  provledger: b.tar: member 000123.txt (byte 63488): invalid UTF-8\n"
    "\n"
    "Examples:\n"
    "  provledger hash shard-000.jsonl.gz\n"
    "  provledger hash --records --json shard-000.tar | jq '.shards[0].record_list[0]'\n"
    "  provledger hash --format raw model.safetensors\n"
    "  provledger hash --split blank-line --field body book.txt.zst\n",
};
