#!/bin/bash
# bench/lineage.sh [N] [DIR] - build a ledger of about N entries (default
# 100000) through the library (build/pl_fixture bulk: groups of a work, a
# check, a dataset and a model fine-tuned from the previous one, in chains of
# 25), then time `lineage` of the newest model and `verify --policy`.
# Not run by `make test`. A DIR that already holds a ledger is reused.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$here/build}
P=$B/provledger
N=${1:-100000}
D=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pl-lineage-bench.XXXXXX")}
[ -x "$P" ] && [ -x "$B/pl_fixture" ] || make -C "$here" >/dev/null
cd "$D"
if [ ! -d L ]; then
	"$P" --ledger L init >/dev/null
	"$P" key gen --name bench-lab --role lab --out lab >/dev/null
	"$P" --ledger L key register lab.pub --key lab.key >/dev/null
	start=$(date +%s)
	"$B/pl_fixture" L bulk lab.key "$N"
	echo "built $("$P" --ledger L log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))' 2>/dev/null || echo '?') entries in $(($(date +%s) - start)) s in $D/L"
fi
last=$(($(sqlite3 L/index.sqlite 'select count(*) from models') - 1))
m="model-$last@1"
"$P" --ledger L lineage "$m" >/dev/null # warm the page cache
best=
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	"$P" --ledger L lineage "$m" --json >/dev/null
	t=$((($(date +%s%N) - t0) / 1000000))
	[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
done
echo "lineage $m --json: best of 5 = ${best} ms (target <= 100 ms)"
t0=$(date +%s%N)
"$P" --ledger L lineage "$m" --format dot >/dev/null
echo "lineage $m --format dot: $((($(date +%s%N) - t0) / 1000000)) ms"
t0=$(date +%s%N)
"$P" --ledger L verify --policy >/dev/null 2>&1 || true
echo "verify --policy (whole ledger): $((($(date +%s%N) - t0) / 1000000)) ms"
