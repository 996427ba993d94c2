#!/bin/bash
# demo.sh - provledger end to end on the small shards in examples/shards/.
# For now: hashing (SPEC §4). make demo runs it with PROVLEDGER=build/provledger.
set -eu
PL=${PROVLEDGER:-provledger}
case "$PL" in */*) PL=$(realpath "$PL") ;; esac
cd "$(dirname "$0")/shards"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A lab hashes its training shards: JSONL (gzip and zstd), a WebDataset tar, plain text."
say "Compression and format are detected from the bytes, not the file names."
"$PL" hash books-000.jsonl.gz web-000.jsonl.zst captions-000.tar gettysburg.txt

say "sha256 is the digest of the file as stored: the same as sha256sum prints."
sha256sum books-000.jsonl.gz

say "merkle is the RFC 6962 root over 1 MiB chunks, so one chunk can later be proven."
say "--records lists every record: offset and length in the decompressed stream,"
say "and the SHA-256 of its normalized text (case-folded, punctuation-free, NFKC)."
"$PL" hash --records captions-000.tar

say "The same record text in another shard has the same normalized SHA-256:"
"$PL" hash --records books-000.jsonl.gz | grep 'record 2 '

say "--split blank-line makes each paragraph of a text file a record."
"$PL" hash --records --split blank-line gettysburg.txt

say "--json prints one JSON document for scripts."
"$PL" --json hash web-000.jsonl.zst

say "Bad input is refused with one line naming the file, the record and the byte:"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"text": "fine"}\n{"text": "broken \\x escape"}\n' >"$tmp/bad.jsonl"
"$PL" hash "$tmp/bad.jsonl" || echo "(exit $?)"
