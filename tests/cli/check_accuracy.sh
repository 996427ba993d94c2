#!/bin/bash
# check_accuracy.sh - recall, precision and exact spans of `check` on a seeded,
# synthetic corpus (tests/cli/gen_corpus.py): exact and re-glyphed copies;
# verbatim excerpts of 50/60/120/400 tokens in unrelated text, at random
# positions and at the start and end of the work and of the record, each
# stated exactly (work tokens, record bytes, stream bytes, the texts differing
# one token beyond each end); excerpts with 2% and 5% of the words edited, each
# verbatim piece checked and >= 95% of the planted spans overlapping the
# reported span by >= 90% both ways; negatives (unrelated text, common short
# phrases, shuffled works, shared runs under 50 tokens), in JSONL (raw, .gz,
# .zst, escaped) and tar shards. Prints the recall / precision table of both
# schemes. SAN=1 scales it down (the edited excerpts stay 60 of each).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
GEN="$HERE/gen_corpus.py"
SCALE=${PL_ACCURACY_SCALE:-1}
[ "${SAN:-0}" = 1 ] && SCALE=${PL_ACCURACY_SCALE:-0.3}
SEED=${PL_ACCURACY_SEED:-1}

t0=$(date +%s)
mkdir c && cd c || exit 2
run "$PY" "$GEN" gen . --seed "$SEED" --scale "$SCALE"
expect "corpus generated (seed $SEED, scale $SCALE): $(cat "$OUT")" 0
pl --ledger L init
pl key gen --name rh --role rights-holder --out rh
pl --ledger L key register rh.pub --key rh.key
expect "rights-holder key registered" 0
pl --ledger L work import works.jsonl --key rh.key
expect "works imported" 0
check "every work registered" [ "$(grep -c '^registered W' "$OUT")" = "$(wc -l <works.jsonl)" ]

score() { # NAME REPORT [--robust]: run the evaluator, turn its lines into results
	local name=$1
	shift
	"$PY" "$GEN" eval . "$@" >score.txt 2>&1 || echo "FAIL evaluator crashed" >>score.txt
	grep -vE '^(PASS|FAIL|PROBE|KNOWN) ' score.txt
	while IFS= read -r line; do
		case "$line" in
		PASS*) ok "$name: ${line#PASS }" ;;
		FAIL*) bad "$name: ${line#FAIL }" ;;
		KNOWN*) skip "$name: ${line#KNOWN }" "KNOWN matcher bug, minimal case in check.sh" ;;
		PROBE*) echo "note $name: ${line#PROBE }" ;;
		esac
	done < <(grep -E '^(PASS|FAIL|PROBE|KNOWN) ' score.txt)
}

SHARDS="shard-a.jsonl shard-b.jsonl.gz shard-c.jsonl.zst shard-d.tar"
# shellcheck disable=SC2086
pl --ledger L check $SHARDS --json --jobs 4
expect "check (default scheme) finds matches: exit 1" 1
cp "$OUT" report.json
score default report.json

# shellcheck disable=SC2086
pl --ledger L check $SHARDS --json --robust
expect "check --robust finds matches: exit 1" 1
cp "$OUT" report-robust.json
score robust report-robust.json --robust

# The report does not depend on the number of worker threads.
# shellcheck disable=SC2086
pl --ledger L check $SHARDS --json --jobs 1
check "--jobs 1 and --jobs 4 give byte-identical reports" cmp -s "$OUT" report.json
check "(and the report holds matches)" grep -q '"class": "partial"' report.json

echo "accuracy test: $(($(date +%s) - t0)) s"
finish
