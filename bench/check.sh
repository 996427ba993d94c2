#!/bin/bash
# check.sh - `check` figures for make bench, beside references measured in the
# same run: MB/s on one core and on all cores over synthetic English JSONL
# against a registry of book-sized works, beside `hash` on the same file (the
# ratio check/hash is the figure that says what matching costs); .gz and .zst
# beside decompression alone; peak RSS; registry load time for the registry
# and for a larger one; lookup-table size per MB of registered text.
#   BENCH_CHECK_MB    size of the JSONL checked (default 1024; reuses BENCH_DIR/text.jsonl)
#   BENCH_WORKS       registered works (default 1000)
#   BENCH_WORK_MB     size of each work (default 0.5, a book)
#   BENCH_LOAD_WORKS  books of the registry whose load alone is timed (default 10000;
#                     0: skip; building it takes minutes: with BENCH_DIR it is kept)
#   BENCH_DIR         where inputs live (default a temp dir)
set -eu
PL=${PROVLEDGER:?set PROVLEDGER to the provledger binary}
here=$(cd "$(dirname "$0")" && pwd)
MB=${BENCH_CHECK_MB:-${BENCH_SIZE_MB:-1024}}
NW=${BENCH_WORKS:-1000}
WMB=${BENCH_WORK_MB:-0.5}
if [ -n "${BENCH_DIR:-}" ]; then D=$BENCH_DIR; mkdir -p "$D"; else
	D=$(mktemp -d "${TMPDIR:-/tmp}/plcheck.XXXXXX")
	trap 'rm -rf "$D"' EXIT
fi
cc -O2 -o "$D/gen" "$here/gen.c"
J=$D/text.jsonl
[ -s "$J" ] || "$D/gen" "$MB" 1 >"$J"
[ -s "$J.gz" ] || gzip -1 -c "$J" >"$J.gz"
[ -s "$J.zst" ] || zstd -q -T2 -c "$J" >"$J.zst"
W=$D/works
L=$D/check-ledger
rm -rf "$W" "$L"
mkdir -p "$W"
echo
echo "check: registering $NW works of $WMB MiB ..."
for i in $(seq 1 "$NW"); do
	"$D/gen" "$WMB" $((1000 + i)) txt >"$W/$i.txt"
	printf '{"path": "%s", "title": "Book %d", "holder": "Bench Press", "terms": "all-rights-reserved"}\n' \
		"$W/$i.txt" "$i"
done >"$W/import.jsonl"
wbytes=$(cat "$W"/*.txt | wc -c)
"$PL" --ledger "$L" init --origin bench.example/check >/dev/null
"$PL" key gen --name press --role rights-holder --out "$D/press" >/dev/null 2>&1 || true
"$PL" --ledger "$L" key register "$D/press.pub" --key "$D/press.key" >/dev/null
t0=$(date +%s.%N)
"$PL" --ledger "$L" --quiet work import "$W/import.jsonl" --key "$D/press.key" >/dev/null
t1=$(date +%s.%N)
printf '%-44s %9.1f s  (%d works, %.0f MiB of text)\n' "work import" "$(echo "$t1 - $t0" | bc -l)" \
	"$NW" "$(echo "$wbytes / 1048576" | bc -l)"

best() { # best wall seconds of 2 runs
	local b="" t0 t1 t
	for _ in 1 2; do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
sz=$(stat -c %s "$J")
stats=$("$PL" --ledger "$L" --quiet check --stats --jobs 1 "$W/1.txt" 2>&1 >/dev/null | grep registry: || true)
tbytes=$(echo "$stats" | sed -nE 's/.*lookup table ([0-9]+) bytes.*/\1/p')
load=$(echo "$stats" | sed -nE 's/.*loaded in ([0-9.]+) s.*/\1/p')
printf '%-44s %9s s\n' "registry load ($NW works)" "$load"
printf '%-44s %9.3f x    (target <= 0.15x)\n' "lookup table size / registered text" \
	"$(echo "$tbytes / $wbytes" | bc -l)"
one=$(best "$PL" --ledger "$L" --quiet check --jobs 1 "$J")
hone=$(best "$PL" --quiet hash "$J")
all=$(best "$PL" --ledger "$L" --quiet check "$J")
printf '%-44s %9s MB/s   (target >= 150 MB/s per core)\n' "check JSONL, 1 core (--jobs 1)" \
	"$(mbs "$sz" "$one")"
printf '%-44s %9s MB/s   check/hash %5.2fx (same file, same run)\n' "hash JSONL (records, tokens, digests)" \
	"$(mbs "$sz" "$hone")" "$(echo "$hone / $one" | bc -l)"
printf '%-44s %9s MB/s   (%d cores)\n' "check JSONL, all cores" "$(mbs "$sz" "$all")" "$(nproc)"
ours=$(best "$PL" --ledger "$L" --quiet check "$J.gz")
ref=$(best sh -c "zcat '$J.gz' >/dev/null")
printf '%-44s %9s MB/s   %-20s %9s MB/s  %5.2fx (target >= 0.8x)\n' "check JSONL .gz" \
	"$(mbs "$sz" "$ours")" "zcat >/dev/null" "$(mbs "$sz" "$ref")" "$(echo "$ref / $ours" | bc -l)"
ours=$(best "$PL" --ledger "$L" --quiet check "$J.zst")
ref=$(best sh -c "zstd -q -dc '$J.zst' >/dev/null")
printf '%-44s %9s MB/s   %-20s %9s MB/s  %5.2fx\n' "check JSONL .zst" "$(mbs "$sz" "$ours")" \
	"zstd -dc >/dev/null" "$(mbs "$sz" "$ref")" "$(echo "$ref / $ours" | bc -l)"
if [ -x /usr/bin/time ]; then
	rss=$(/usr/bin/time -f '%M' "$PL" --ledger "$L" --quiet check --jobs 1 "$J" 2>&1 >/dev/null |
		tail -n 1)
	printf '%-44s %9s KiB  (%d MiB input, %d works registered)\n' "peak RSS of check --jobs 1" \
		"$rss" "$((sz >> 20))" "$NW"
fi

# Registry load alone, for a registry of BENCH_LOAD_WORKS books of BENCH_WORK_MB
LW=${BENCH_LOAD_WORKS:-10000}
if [ "$LW" -gt 0 ]; then
	BL=$D/load-ledger-$LW
	if [ ! -s "$BL/.complete" ]; then
		rm -rf "$BL" "$D/load-works"
		mkdir -p "$D/load-works"
		echo "registry load: registering $LW works of $WMB MiB (once per BENCH_DIR) ..."
		for i in $(seq 1 "$LW"); do
			f=$D/load-works/$i.txt
			"$D/gen" "$WMB" $((1000 + i)) txt >"$f"
			printf '{"path": "%s", "title": "Book %d", "holder": "Bench Press"}\n' "$f" "$i"
		done >"$D/load-works/import.jsonl"
		"$PL" --ledger "$BL" init --origin bench.example/load >/dev/null
		"$PL" --ledger "$BL" key register "$D/press.pub" --key "$D/press.key" >/dev/null
		t0=$(date +%s.%N)
		"$PL" --ledger "$BL" --quiet work import "$D/load-works/import.jsonl" --key "$D/press.key" >/dev/null
		t1=$(date +%s.%N)
		printf '%-44s %9.1f s  (%d works)\n' "work import" "$(echo "$t1 - $t0" | bc -l)" "$LW"
		rm -rf "$D/load-works"
		echo "$LW" >"$BL/.complete"
	fi
	lb=""
	for _ in 1 2 3; do
		t=$("$PL" --ledger "$BL" --quiet check --stats --jobs 1 "$W/1.txt" 2>&1 >/dev/null |
			sed -nE 's/.*loaded in ([0-9.]+) s.*/\1/p')
		if [ -z "$lb" ] || [ "$(echo "$t < $lb" | bc -l)" = 1 ]; then lb=$t; fi
	done
	rss=$(/usr/bin/time -f '%M' "$PL" --ledger "$BL" --quiet check --jobs 1 "$W/1.txt" 2>&1 >/dev/null | tail -n 1)
	printf '%-44s %9s s    (target <= 3 s; peak RSS %s KiB)\n' "registry load ($LW works)" "$lb" "$rss"
fi
