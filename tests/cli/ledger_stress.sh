#!/bin/bash
# ledger_stress.sh - concurrency and crashes.
#  1. 4 processes append 250 key registrations each at once: exactly 1,000 new
#     entries, each key once, every reported seq distinct, a clean verify.
#  2. kill -9 an appending process at random moments, 50 times: after each,
#     verify passes and every entry the CLI reported ("as entry N") is there
#     with the same seq; the index equals a rebuilt one.
# Under sanitizers (SAN set, or a build/san binary) the sizes shrink.
. "$(dirname "$0")/lib.sh"

PER=250 ROUNDS=50
if [ -n "${SAN:-}" ] || [[ "$PL" == */san/* ]]; then PER=50 ROUNDS=15; fi
W=4
export PROVLEDGER_DIR=$T/L
pl --quiet init --origin example.org/stress
expect "init" 0

# 1. Concurrent appends.
mkdir keys
start=$SECONDS
gen() { # gen W: the keys of worker W
	for j in $(seq 1 "$PER"); do
		"$PL" --quiet key gen --name "w$1k$j" --role lab --out "keys/w$1k$j" >/dev/null || echo "gen w$1k$j" >>genfail
	done
}
for w in $(seq 1 $W); do gen "$w" & done
wait
echo "    (keys generated in $((SECONDS - start)) s)"
check "generated $((W * PER)) keys" [ ! -e genfail ] && [ "$(ls keys/*.key | wc -l)" = $((W * PER)) ]
start=$SECONDS
for w in $(seq 1 $W); do
	(
		for j in $(seq 1 "$PER"); do
			"$PL" --quiet key register "keys/w${w}k$j.pub" --key "keys/w${w}k$j.key" \
				>>"out.$w" 2>>"err.$w" || echo "w${w}k$j exit $?" >>"fail.$w"
		done
	) &
done
wait
echo "    ($((W * PER)) concurrent appends in $((SECONDS - start)) s)"
if ls fail.* >/dev/null 2>&1; then
	bad "concurrent: every append succeeds" "$(cat fail.* | head -5)" "$(cat err.* | head -5)"
else
	ok "concurrent: every append succeeds"
fi
total=$((W * PER + 1))
check "concurrent: exactly $total commits" [ "$(git -C L/repo.git rev-list --count main)" = "$total" ]
cat out.* | sed -n 's/.* as entry \([0-9]*\)$/\1/p' | sort -n >seqs
check "concurrent: every append reported a distinct seq" [ "$(sort -nu seqs | wc -l)" = $((W * PER)) ]
check "concurrent: the seqs are 1..$((W * PER))" [ "$(head -1 seqs)" = 1 ] && [ "$(tail -1 seqs)" = $((W * PER)) ]
pl --json key list
check "concurrent: $total keys listed" [ "$(grep -c '"keyid"' "$OUT")" = "$total" ]
pl verify
expect "concurrent: verify" 0
expect_out "concurrent: verify counts $total" "verified $total entries"

# 2. Crashes: kill -9 an appending loop (and its provledger) at random moments.
have_setsid=1
command -v setsid >/dev/null || have_setsid=0
if [ "$have_setsid" = 0 ]; then
	skip "crash rounds" "no setsid"
else
	# a ledger of its own, so that verify after each kill stays quick
	export PROVLEDGER_DIR=$T/C
	pl --quiet init --origin example.org/crash
	lost=0 dup=0 verify_fail=0 errors=0
	start=$SECONDS
	for r in $(seq 1 "$ROUNDS"); do
		setsid bash -c '
			for j in $(seq 1 1000); do
				"$0" --quiet key gen --name "r$1k$j" --role lab --out "keys/r$1k$j" >/dev/null || exit
				"$0" --quiet key register "keys/r$1k$j.pub" --key "keys/r$1k$j.key" >>reported 2>>"crash.err"
			done' "$PL" "$r" &
		pid=$!
		sleep "0.$(printf '%03d' $((RANDOM % 191 + 10)))"
		kill -9 -- "-$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		"$PL" --quiet verify >vout 2>verr || {
			verify_fail=$((verify_fail + 1))
			echo "    round $r: verify failed: $(head -3 vout verr)"
		}
	done
	[ -s crash.err ] && errors=$(grep -c . crash.err)
	echo "    ($ROUNDS crash rounds in $((SECONDS - start)) s)"
	check "crash: verify passed after each of $ROUNDS kills" [ "$verify_fail" = 0 ]
	check "crash: no append failed (no stale lock, no conflict)" [ "$errors" = 0 ] ||
		head -3 crash.err
	pl log
	cp "$OUT" log.txt
	# every reported append is in the log with its seq and key
	sed -n 's/^registered lab key \([^ ]*\) .* as entry \([0-9]*\)$/\2 key:\1/p' reported | sort >want
	awk '$1 ~ /^[0-9]+$/ {print $1, $4}' log.txt | sort >have
	lost=$(comm -23 want have | wc -l)
	check "crash: $(wc -l <want) reported appends all present with their seq" [ "$lost" = 0 ] && [ -s want ]
	dup=$(awk '{print $2}' have | sort | uniq -d | wc -l)
	check "crash: no key registered twice" [ "$dup" = 0 ]
	n=$(git -C C/repo.git rev-list --count main)
	check "crash: the log lists every commit" [ "$(wc -l <have)" = "$n" ]
	# the index caught up after each crash equals one rebuilt from git
	pl reindex
	expect "crash: reindex" 0
	pl log
	check "crash: the index equals a rebuilt one" cmp -s "$OUT" log.txt
	pl key gen --name after --role lab --out keys/after
	pl key register keys/after.pub --key keys/after.key
	expect "crash: appending still works" 0
	expect_out "crash: next seq" "as entry $n"
	pl verify
	expect "crash: final verify" 0
fi

finish
