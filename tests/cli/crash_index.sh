#!/bin/bash
# crash_index.sh - kill -9 at random moments during `work import` of 1,000
# works, during `reindex`, and during `dataset register` (issue 11). After
# each kill: `verify` passes; the entries git holds are counted before and
# after and each one is in the index exactly once (the index, caught up on
# open, equals one rebuilt from git); work import loses or keeps whole
# commits of 64 works; no work, check or dataset is there twice. Bounded:
# 4, 3 and 4 rounds, about 40 s in all (2 each under SAN=1).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export PROVLEDGER_TIME=1767225600
ROUNDS=4 RROUNDS=3
if [ -n "${SAN:-}" ] || [[ "$PL" == */san/* ]]; then ROUNDS=2 RROUNDS=2; fi
if ! command -v setsid >/dev/null; then
	skip "crash rounds" "no setsid"
	finish
	exit
fi

# git_n DIR: entries in git; idx_n DIR: entries the index lists (log --json);
# dup DIR: names the index lists more than once.
git_n() { git -C "$1/repo.git" ls-tree -r main entries/ | wc -l; }
idx_n() { "$PL" --ledger "$1" --json log | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'; }
dup() { "$PL" --ledger "$1" --json log | "$PY" -c '
import collections, json, sys
c = collections.Counter(e.get("name") for e in json.load(sys.stdin)["entries"])
print(sum(1 for k, v in c.items() if v > 1 and k))'; }
works_n() { "$PL" --ledger "$1" --json work list | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["works"]))'; }
# killed SECONDS CMD...: start CMD in its own session, kill -9 it after SECONDS.
killed() {
	local s=$1 pid
	shift
	setsid "$@" >/dev/null 2>>crash.err </dev/null &
	pid=$!
	sleep "$s"
	kill -9 -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# settled NAME DIR: verify passes; git and index agree, with no duplicate name.
settled() {
	local g i d
	pl --ledger "$2" verify
	[ "$RC" = 0 ] || { bad "$1: verify" "$(head -3 "$OUT" "$ERR")"; return 1; }
	g=$(git_n "$2") i=$(idx_n "$2") d=$(dup "$2")
	[ "$g" = "$i" ] && [ "$d" = 0 ] || { bad "$1: git $g entries, index $i, $d names twice"; return 1; }
	echo "$g"
}

"$PL" --ledger L init >/dev/null
"$PL" key gen --name rh --role rights-holder --out rh >/dev/null 2>&1
"$PL" key gen --name auth --role authority --out auth >/dev/null 2>&1
"$PL" key gen --name lab --role lab --out lab >/dev/null 2>&1
for k in rh auth lab; do "$PL" --ledger L key register $k.pub --key $k.key >/dev/null 2>&1; done
"$PL" --ledger L key grant auth --role authority --key L/keys/operator.key >/dev/null
"$PL" --ledger L key grant rh --role rights-holder --key auth.key >/dev/null
pl --ledger L key grant lab --role lab --key auth.key
expect "setup: keys granted" 0
"$PY" - "$ROUNDS" <<'PYEOF'
import json, random, sys
r = random.Random(11)
words = ["w%d" % i for i in range(5000)]
for k in range(int(sys.argv[1]) + 1):
    with open("works%d.jsonl" % k, "w") as f:
        for i in range(1000):
            text = " ".join(r.choice(words) for _ in range(120))
            f.write(json.dumps({"text": text, "title": "work %d.%d" % (k, i), "holder": "h"}) + "\n")
with open("shard.jsonl", "w") as f:
    for i in range(2000):
        f.write(json.dumps({"text": " ".join(r.choice(words) for _ in range(60))}) + "\n")
PYEOF

# ---- work import of 1,000 works -------------------------------------------------
t0=$SECONDS
bad_rounds=0 partial=0
n=$(git_n L)
for r in $(seq 1 "$ROUNDS"); do
	w0=$(works_n L)
	killed "$((RANDOM % 3)).$(printf %03d $((RANDOM % 1000)))" "$PL" --ledger L work import works$r.jsonl --key rh.key
	n1=$(settled "work import round $r" L) || { bad_rounds=$((bad_rounds + 1)); continue; }
	w1=$(works_n L)
	add=$((w1 - w0))
	echo "    round $r: $add works kept of 1000 ($n -> $n1 entries)"
	if [ $((n1 - n)) != "$add" ] || { [ $((add % 64)) != 0 ] && [ "$add" != 1000 ]; }; then
		bad_rounds=$((bad_rounds + 1))
		echo "    round $r: $add works is not whole commits of 64, or $((n1 - n)) entries"
	fi
	[ "$add" != 0 ] && [ "$add" != 1000 ] && partial=$((partial + 1))
	n=$n1
done
check "work import: $ROUNDS kills, each leaving whole commits and a ledger that verifies ($partial cut midway)" [ "$bad_rounds" = 0 ]
pl --ledger L work import works0.jsonl --key rh.key
expect "work import: importing after the kills works" 0
check "work import: ... all 1000 added" [ "$(git_n L)" = $((n + 1000)) ]
n=$(git_n L)

echo "    (work import rounds: $((SECONDS - t0)) s)"
# ---- reindex ---------------------------------------------------------------------
t0=$SECONDS
pl --ledger L log
cp "$OUT" log0.txt
w0=$(works_n L)
bad_rounds=0
for r in $(seq 1 "$RROUNDS"); do
	killed "0.$(printf %03d $((RANDOM % 900 + 20)))" "$PL" --ledger L reindex
	n1=$(settled "reindex round $r" L) || { bad_rounds=$((bad_rounds + 1)); continue; }
	pl --ledger L log
	if [ "$n1" != "$n" ] || [ "$(works_n L)" != "$w0" ] || ! cmp -s "$OUT" log0.txt; then
		bad_rounds=$((bad_rounds + 1))
		echo "    reindex round $r: $n1 entries (was $n), $(works_n L) works (was $w0), log differs"
	fi
done
check "reindex: $RROUNDS kills, each leaving the same $n entries and $w0 works" [ "$bad_rounds" = 0 ]
pl --ledger L reindex
expect_out "reindex: after the kills it rebuilds all $n" "rebuilt the index from git: $n entries"

echo "    (reindex rounds: $((SECONDS - t0)) s)"
# ---- dataset register -------------------------------------------------------------
t0=$SECONDS
bad_rounds=0 kept=0
for r in $(seq 1 "$ROUNDS"); do
	killed "0.$(printf %03d $((RANDOM % 150)))" "$PL" --ledger L dataset register --name d$r --version 1 shard.jsonl --key lab.key
	n1=$(settled "dataset register round $r" L) || { bad_rounds=$((bad_rounds + 1)); continue; }
	case $((n1 - n)) in
	0) ;;
	2) kept=$((kept + 1)) ;;
	*)
		bad_rounds=$((bad_rounds + 1))
		echo "    dataset round $r: $((n1 - n)) entries added (a check without its dataset?)"
		;;
	esac
	n=$n1
done
check "dataset register: $ROUNDS kills, each adding a check and its dataset or nothing ($kept kept)" [ "$bad_rounds" = 0 ]
pl --ledger L dataset register --name d0 --version 1 shard.jsonl --key lab.key
check "dataset register: after the kills it works (exit 0 or 1 on a match)" [ "$RC" -le 1 ]
check "dataset register: ... two entries" [ "$(git_n L)" = $((n + 2)) ]
echo "    (dataset register rounds: $((SECONDS - t0)) s)"
check "no kill left a stale lock or a failed append" [ ! -s crash.err ] || head -3 crash.err
finish
