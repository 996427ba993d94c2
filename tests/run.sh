#!/bin/bash
# run.sh [FILTER] - every test: the unit binary, then each tests/cli/*.sh
# (several at a time).
# Sums their "N passed, N failed, N skipped" lines into one closing line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 2
export PL_FIXTURES="$here/fixtures"
filter=${1:-}
P=0 F=0 S=0
tally() { # reads a runner's output, echoes it, adds its summary line
	local line p f s
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "  (no summary line: counted as 1 failure)"
		F=$((F + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	P=$((P + p)) F=$((F + f)) S=$((S + ${s:-0}))
}
out=$(mktemp)
echo "== unit tests"
"$UNIT" $filter >"$out" 2>&1
rc=$?
cat "$out"
tally "$out"
[ $rc -ne 0 ] && ! grep -q FAIL "$out" && F=$((F + 1))
# The CLI tests, PL_TEST_JOBS (default: the number of CPUs, at most 4) at a
# time: each works in its own temporary directory and listens on ports of its
# own; their outputs are printed in order once all have run.
jobs=${PL_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -gt 4 ] && jobs=4
outs=$(mktemp -d)
list=()
for t in tests/cli/*.sh; do
	[ -e "$t" ] || continue
	case "$t" in */lib.sh) continue ;; esac
	[ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
	list+=("$t")
done
running=0
for i in "${!list[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	bash "${list[$i]}" >"$outs/$i" 2>&1 &
	running=$((running + 1))
done
wait
for i in "${!list[@]}"; do
	echo "== ${list[$i]}"
	cat "$outs/$i"
	tally "$outs/$i"
done
rm -rf "$outs" "$out"
echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
