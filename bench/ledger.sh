#!/bin/bash
# ledger.sh - ledger figures for make bench, each beside a reference measured in
# the same run: appends/s vs a `git commit` loop, verify vs `git fsck`, prove latency.
#   BENCH_APPEND_N   entries appended through the library (default 2000)
#   BENCH_VERIFY_N   size of the ledger verify runs on (default: BENCH_APPEND_N)
#   BENCH_PROVE_N    leaves in the prove benchmark's index (default 1000000)
#   BENCH_LEDGER_DIR where the ledgers go (default a temp dir; /dev/shm is faster)
#   BENCH_WORK_EVERY W > 0: every W-th entry is a work with two attachments (the
#                    flat blobs/ tree grows: the works-heavy case); default 0
set -eu
PL=${PROVLEDGER:?set PROVLEDGER to the provledger binary}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${BENCH_APPEND_N:-2000}
VN=${BENCH_VERIFY_N:-$N}
PN=${BENCH_PROVE_N:-1000000}
W=${BENCH_WORK_EVERY:-0}
D=$(mktemp -d "${BENCH_LEDGER_DIR:-${TMPDIR:-/tmp}}/plledger.XXXXXX")
trap 'rm -rf "$D"' EXIT
lib=$(dirname "$PL")/libprovledger.a
inc=$(for d in "$top/hashing" "$top/ledger" "$top"/ledger/*/; do printf -- '-I%s ' "${d%/}"; done)
# shellcheck disable=SC2086
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 $inc \
	$(pkg-config --cflags libgit2 jansson) -o "$D/ledger_bench" "$here/ledger_bench.c" "$lib" \
	$(pkg-config --libs libgit2 openssl sqlite3 zlib libzstd libxxhash libutf8proc jansson) \
	-lm -pthread
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

echo
echo "ledger (in $D)"
read -r n t rate < <("$D/ledger_bench" append "$D/a" "$N" "$W")
git init -q "$D/g"
gt=$(secs bash -c "cd '$D/g' && for i in \$(seq $((N / 10))); do echo \$i > f; git add f; git -c user.name=b -c user.email=b@b commit -qm m; done")
grate=$(echo "scale=1; $((N / 10)) / $gt" | bc -l)
printf '%-44s %9.1f /s        %-26s %9.1f /s   %6.1fx\n' "append (signed entry+commit+checkpoint)" \
	"$rate" "git commit loop (git CLI)" "$grate" "$(echo "$rate / $grate" | bc -l)"
echo "  (target: >= 1000 appends/s)"
if [ "$VN" -gt "$N" ]; then "$D/ledger_bench" append "$D/v" "$VN" "$W" >/dev/null; V=$D/v; else V=$D/a; fi
vt=$(secs "$PL" --ledger "$V" verify)
/usr/bin/time -o "$D/vcpu" -f '%U %S' "$PL" --ledger "$V" verify >/dev/null 2>&1 || true
vcpu=$(tail -1 "$D/vcpu")
ft=$(secs git -C "$V/repo.git" fsck)
printf '%-44s %9.2f s         %-26s %9.2f s    %6.2fx\n' "verify ($VN entries)" "$vt" \
	"git fsck (same repository)" "$ft" "$(echo "$ft / $vt" | bc -l)"
printf '  (target: 100,000 entries <= 30 s; at this rate: %.0f s; CPU user+sys of a second run: %s s)\n' \
	"$(echo "$vt * 100000 / $VN" | bc -l)" "$(echo "$vcpu" | awk '{print $1 + $2}')"
read -r pn incl cons < <("$D/ledger_bench" prove "$D/p" "$PN" 2000)
printf '%-44s %9.3f ms\n' "prove SEQ on a $pn-entry tree (mean)" "$incl"
printf '%-44s %9.3f ms\n' "prove --consistency on it (mean)" "$cons"
echo "  (target: <= 10 ms)"
