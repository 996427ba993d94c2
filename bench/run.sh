#!/bin/bash
# run.sh - make bench: provledger hash throughput and memory, each figure beside
# a reference tool measured in the same run, as a ratio.
#   BENCH_SIZE_MB  size of each generated input (default 1024)
#   BENCH_RUNS     timed runs per figure, best kept (default 3)
#   BENCH_DIR      where to put the inputs (default a temp dir, removed at exit)
set -eu
PL=${PROVLEDGER:?set PROVLEDGER to the provledger binary}
MB=${BENCH_SIZE_MB:-1024}
RUNS=${BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${BENCH_DIR:-}" ]; then D=$BENCH_DIR; mkdir -p "$D"; else
	D=$(mktemp -d "${TMPDIR:-/tmp}/plbench.XXXXXX")
	trap 'rm -rf "$D"' EXIT
fi

echo "generating inputs (${MB} MiB each) in $D ..."
cc -O2 -o "$D/gen" "$here/gen.c"
[ -s "$D/random.bin" ] || openssl enc -aes-128-ctr -nosalt -pass pass:provledger-bench \
	-pbkdf2 </dev/zero 2>/dev/null | head -c $((MB << 20)) >"$D/random.bin"
[ -s "$D/text.jsonl" ] || "$D/gen" "$MB" 1 >"$D/text.jsonl"
[ -s "$D/text.jsonl.gz" ] || gzip -1 -c "$D/text.jsonl" >"$D/text.jsonl.gz"
[ -s "$D/text.jsonl.zst" ] || zstd -q -T2 -c "$D/text.jsonl" >"$D/text.jsonl.zst"

# best wall time in seconds of RUNS runs of the command (after one warm-up run,
# so that neither side pays for reading the file from disk)
best() {
	local b="" t0 t1 t
	"$@" >/dev/null 2>&1 || true
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; } # bytes secs -> MB/s
ratio() { echo "scale=2; $2 / $1" | bc -l; }          # our_secs ref_secs -> ratio

size() { stat -c %s "$1"; }
row() { # label bytes ours_secs ref_label ref_secs
	printf '%-44s %9s MB/s   %-26s %9s MB/s   %5sx\n' "$1" "$(mbs "$2" "$3")" "$4" \
		"$(mbs "$2" "$5")" "$(ratio "$3" "$5")"
}

echo
printf '%-44s %14s   %-26s %14s   %6s\n' "figure" "provledger" "reference" "reference" "ratio"
R=$D/random.bin J=$D/text.jsonl
ours=$(best "$PL" hash --format raw "$R")
row "hash --format raw (${MB} MiB random)" "$(size "$R")" "$ours" "openssl dgst -sha256" \
	"$(best openssl dgst -sha256 "$R")"
row "hash --format raw (${MB} MiB random)" "$(size "$R")" "$ours" "sha256sum" \
	"$(best sha256sum "$R")"
ours=$(best "$PL" hash "$J")
row "hash JSONL (records, normalize, tokenize)" "$(size "$J")" "$ours" "openssl dgst -sha256" \
	"$(best openssl dgst -sha256 "$J")"
echo "  (target for hash JSONL: >= 300 MB/s of uncompressed text)"
# Decompressed MB/s for both sides: the same stream.
ours=$(best "$PL" hash "$J.gz")
row "hash JSONL .gz (MB/s of decompressed text)" "$(size "$J")" "$ours" "zcat >/dev/null" \
	"$(best sh -c "zcat '$J.gz' >/dev/null")"
ours=$(best "$PL" hash "$J.zst")
row "hash JSONL .zst (MB/s of decompressed text)" "$(size "$J")" "$ours" "zstd -dc >/dev/null" \
	"$(best sh -c "zstd -q -dc '$J.zst' >/dev/null")"
ours=$(best "$PL" hash --format raw "$J.gz")
row "hash --format raw on the .gz" "$(size "$J.gz")" "$ours" "openssl dgst -sha256" \
	"$(best openssl dgst -sha256 "$J.gz")"

echo
if [ -x /usr/bin/time ]; then
	for f in "$J" "$J.gz" "$J.zst" "$R"; do
		fmt=()
		[ "$f" = "$R" ] && fmt=(--format raw)
		rss=$(/usr/bin/time -f '%M' "$PL" hash "${fmt[@]}" "$f" 2>&1 >/dev/null | tail -n 1)
		printf 'peak RSS of hash on %-24s %8s KiB  (%s MiB input)\n' "$(basename "$f")" "$rss" \
			"$(($(size "$f") >> 20))"
	done
	small=$D/small.jsonl
	head -c $((16 << 20)) "$J" | head -n -1 >"$small"
	rss=$(/usr/bin/time -f '%M' "$PL" hash "$small" 2>&1 >/dev/null | tail -n 1)
	printf 'peak RSS of hash on %-24s %8s KiB  (16 MiB input: memory independent of size)\n' \
		small.jsonl "$rss"
else
	echo "peak RSS: /usr/bin/time missing (apt-get install time)"
fi
"$(dirname "$0")/ledger.sh"
"$(dirname "$0")/serve.sh"
BENCH_DIR="${BENCH_DIR:-$D}" "$(dirname "$0")/check.sh"
BENCH_DIR="${BENCH_DIR:-$D}" "$(dirname "$0")/registry.sh"
