#!/bin/bash
# registry.sh - the registry at scale, for make bench: load time and peak RSS
# of check's lookup table for BENCH_REG_WORKS works built from the SQLite index
# beside the same table mapped from a registry file (registry build); the
# file's size; check throughput on one core against that registry, with each;
# and a job array's overhead: check --part over 4 parts plus merge beside one
# check. These are the measured inputs of README's extrapolation to 10^6 works.
#   BENCH_REG_WORKS    works registered (default 10000)
#   BENCH_REG_WORK_MB  size of each (default 0.016: 16 KiB, about 2,700 tokens)
#   BENCH_REG_CHECK_MB JSONL checked (default 64)
#   BENCH_DIR          where inputs live (default a temp dir; the ledger is kept there)
set -eu
PL=${PROVLEDGER:?set PROVLEDGER to the provledger binary}
here=$(cd "$(dirname "$0")" && pwd)
NW=${BENCH_REG_WORKS:-10000}
WMB=${BENCH_REG_WORK_MB:-0.016}
CMB=${BENCH_REG_CHECK_MB:-64}
if [ -n "${BENCH_DIR:-}" ]; then D=$BENCH_DIR; mkdir -p "$D"; else
	D=$(mktemp -d "${TMPDIR:-/tmp}/plreg.XXXXXX")
	trap 'rm -rf "$D"' EXIT
fi
cc -O2 -o "$D/gen" "$here/gen.c"
L=$D/reg-ledger-$NW-$WMB
if [ ! -s "$L/.complete" ]; then
	rm -rf "$L" "$D/reg-works"
	mkdir -p "$D/reg-works"
	echo "registry: registering $NW works of $WMB MiB (once per BENCH_DIR) ..."
	for i in $(seq 1 "$NW"); do
		"$D/gen" "$WMB" $((5000 + i)) txt >"$D/reg-works/$i.txt"
		printf '{"path": "%s", "title": "Work %d", "holder": "Bench Press"}\n' "$D/reg-works/$i.txt" "$i"
	done >"$D/reg-works/import.jsonl"
	"$PL" --ledger "$L" init --origin bench.example/registry >/dev/null
	"$PL" key gen --name press --role rights-holder --out "$D/regpress" >/dev/null 2>&1 || true
	"$PL" --ledger "$L" key register "$D/regpress.pub" --key "$D/regpress.key" >/dev/null
	t0=$(date +%s.%N)
	"$PL" --ledger "$L" --quiet work import "$D/reg-works/import.jsonl" --key "$D/regpress.key" >/dev/null
	t1=$(date +%s.%N)
	printf '%-48s %9.1f s  (%d works)\n' "work import" "$(echo "$t1 - $t0" | bc -l)" "$NW"
	cp "$D/reg-works/1.txt" "$L/probe.txt"
	rm -rf "$D/reg-works"
	echo "$NW" >"$L/.complete"
fi
J=$D/reg-check.jsonl
[ -s "$J" ] || "$D/gen" "$CMB" 7 >"$J"
R=$D/registry.tbl
t0=$(date +%s.%N)
"$PL" --ledger "$L" --quiet registry build --out "$R" >/dev/null
t1=$(date +%s.%N)
printf '%-48s %9.2f s  (file %d bytes)\n' "registry build ($NW works)" "$(echo "$t1 - $t0" | bc -l)" \
	"$(stat -c %s "$R")"
load() { # best of 3 load times (check --stats) and the peak RSS
	local b="" t
	for _ in 1 2 3; do
		t=$("$PL" --ledger "$L" --quiet check --stats --jobs 1 "$@" "$L/probe.txt" 2>&1 >/dev/null |
			sed -nE 's/.*loaded in ([0-9.]+) s.*/\1/p')
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b $(/usr/bin/time -f '%M' "$PL" --ledger "$L" --quiet check --jobs 1 "$@" "$L/probe.txt" 2>&1 >/dev/null | tail -n 1)"
}
read -r ls rs <<<"$(load)"
read -r lf rf <<<"$(load --registry-file "$R")"
printf '%-48s %9s s    peak RSS %8s KiB\n' "registry load from SQLite ($NW works)" "$ls" "$rs"
printf '%-48s %9s s    peak RSS %8s KiB  (%.1fx faster; shared file pages)\n' \
	"registry load, mapped registry file" "$lf" "$rf" "$(echo "$ls / $lf" | bc -l)"
tm() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
sz=$(stat -c %s "$J")
a=$(tm "$PL" --ledger "$L" --quiet check --jobs 1 "$J")
b=$(tm "$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$R" "$J")
printf '%-48s %9s MB/s (from SQLite) %9s MB/s (registry file)\n' \
	"check JSONL $CMB MiB, 1 core, $NW works" "$(mbs "$sz" "$a")" "$(mbs "$sz" "$b")"
rss1=$(/usr/bin/time -f '%M' "$PL" --ledger "$L" --quiet check --jobs 1 "$J" 2>&1 >/dev/null | tail -n 1)
rss2=$(/usr/bin/time -f '%M' "$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$R" "$J" 2>&1 >/dev/null | tail -n 1)
printf '%-48s %9s KiB (from SQLite) %9s KiB (registry file)\n' "peak RSS of check --jobs 1, $CMB MiB" "$rss1" "$rss2"
# a job array of 4 on this machine, one task after another, then the merge
split -n l/4 -d "$J" "$D/reg-shard-"
t0=$(date +%s.%N)
for i in 0 1 2 3; do
	"$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$R" --part $i/4 --out "$D/rp.$i.json" "$D"/reg-shard-0? >/dev/null 2>&1 || true
done
t1=$(date +%s.%N)
"$PL" merge "$D"/rp.?.json --out "$D/rp.report" >/dev/null 2>&1 || true
t2=$(date +%s.%N)
one=$(tm "$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$R" "$D"/reg-shard-0?)
printf '%-48s %9.2f s  (+ merge %.3f s) vs one check %.2f s\n' "4 parts one after another" \
	"$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$one"
rm -f "$D"/reg-shard-0? "$D"/rp.*
# the registry split over 4 nodes (--registry-part P/4): each part's file and
# the peak RSS of a check against it, beside the whole file; then the 4
# registry-part checks one after another plus the merge, beside one check
rs_whole=$(/usr/bin/time -f '%M' "$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$R" "$J" 2>&1 >/dev/null | tail -n 1)
t0=$(date +%s.%N)
for p in 0 1 2 3; do
	"$PL" --ledger "$L" --quiet registry build --registry-part $p/4 --out "$D/regpart.$p.tbl" >/dev/null
done
t1=$(date +%s.%N)
printf '%-48s %9.2f s  (part 0: %d bytes; whole file %d bytes)\n' "registry build --registry-part P/4, all 4" \
	"$(echo "$t1 - $t0" | bc -l)" "$(stat -c %s "$D/regpart.0.tbl")" "$(stat -c %s "$R")"
rs_part=$(/usr/bin/time -f '%M' "$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$D/regpart.0.tbl" --part 0/1 --out "$D/rq.x.json" "$J" 2>&1 >/dev/null | tail -n 1)
printf '%-48s %9s KiB vs %s KiB against the whole file (%.2fx)\n' "peak RSS of check against registry part 0/4" \
	"$rs_part" "$rs_whole" "$(echo "$rs_part / $rs_whole" | bc -l)"
t0=$(date +%s.%N)
for p in 0 1 2 3; do
	"$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$D/regpart.$p.tbl" --part 0/1 --out "$D/rq.$p.json" "$J" >/dev/null 2>&1 || true
done
t1=$(date +%s.%N)
"$PL" merge "$D"/rq.[0-3].json --out "$D/rq.report" >/dev/null 2>&1 || true
t2=$(date +%s.%N)
one=$(tm "$PL" --ledger "$L" --quiet check --jobs 1 --registry-file "$R" "$J")
printf '%-48s %9.2f s  (+ merge %.3f s) vs one check %.2f s\n' "4 registry parts one after another" \
	"$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$one"
rm -f "$D"/regpart.* "$D"/rq.*
