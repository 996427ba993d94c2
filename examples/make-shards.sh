#!/bin/bash
# make-shards.sh - rebuild examples/shards/ from the readable sources in
# examples/source/. The generated shards are committed, so the demo does not
# need this script; run it after editing a source, and commit both.
#
#   web-000.jsonl.gz   dataset web-2026@1, gzip   (record 3 quotes "The Salt Road")
#   web-001.jsonl.zst  dataset web-2026@1, zstd   (record 1 quotes "Lantern Street")
#   instruct-000.tar   dataset instruct-2026@1, a WebDataset tar (NNNNNN.txt + .json)
#   safety-refusals.txt dataset instruct-2026@1, plain text
#
# The output is byte-for-byte reproducible: no names or times in the gzip
# header, fixed tar member order, owner and mtime.
set -eu
cd "$(dirname "$0")"
src=source out=shards
mkdir -p "$out"
rm -f "$out"/*
gzip -n -9 -c "$src/web-000.jsonl" >"$out/web-000.jsonl.gz"
zstd -q -19 --no-check -c "$src/web-001.jsonl" >"$out/web-001.jsonl.zst"
(cd "$src/instruct-000" && tar --create --format=ustar --sort=name --mtime=@0 --owner=0 \
	--group=0 --numeric-owner --mode=a+r,u+w,go-w -f "../../$out/instruct-000.tar" -- *)
cp "$src/safety-refusals.txt" "$out/safety-refusals.txt"
ls -l "$out"
