#!/bin/bash
# ledger_adversarial.sh - `verify` against a ledger tampered with through git
# plumbing: an entry rewritten by filter-branch, reordered and removed commits,
# a merge, an attachment whose bytes changed, a forged checkpoint, history
# rewritten by the operator (with the key) and caught by --since, a --since
# checkpoint from a forked ledger. Each must exit 1 and name seq and commit.
. "$(dirname "$0")/lib.sh"

export PROVLEDGER_TIME=1767225600
export GIT_AUTHOR_NAME=mallory GIT_AUTHOR_EMAIL=m@example.org
export GIT_COMMITTER_NAME=mallory GIT_COMMITTER_EMAIL=m@example.org
export FILTER_BRANCH_SQUELCH_WARNING=1
g() { git -C "$1/repo.git" "${@:2}"; }
# nth DIR N: the commit that appended seq N
nth() { g "$1" rev-list --reverse main | sed -n "$(($2 + 1))p"; }
short() { echo "${1:0:7}"; }

# A ledger L of 6 entries: the operator, then keys k1..k5.
pl --ledger L --quiet init --origin example.org/adv
for i in 1 2 3 4 5; do
	pl key gen --name "k$i" --role lab --out "k$i"
	pl --ledger L --quiet key register "k$i.pub" --key "k$i.key"
done
check "setup: 6 entries" [ "$(g L rev-list --count main)" = 6 ]
pl --ledger L checkpoint
cp "$OUT" cp4.tmp
pl --ledger L verify
expect "clean ledger verifies" 0
expect_out "clean ledger: verified 6 entries" "verified 6 entries"
pl --ledger L --json verify
expect_out "clean ledger: --json verified" '"verified": true'

fresh() { rm -rf "$1" && cp -a L "$1"; }

# 1. An old entry rewritten: a clone, filter-branch, push -f.
fresh F
git clone -q F/repo.git work 2>/dev/null
(cd work && git filter-branch -f --tree-filter \
	'[ -f entries/000/000/002.json ] && sed -i "s/\"payload\":\"/\"payload\":\"X/" entries/000/000/002.json || true' \
	HEAD >/dev/null 2>&1 && git push -q -f origin HEAD:main 2>/dev/null)
c2=$(nth F 2)
check "filter-branch changed the history" [ "$c2" != "$(nth L 2)" ]
pl --ledger F verify
expect "rewritten entry: verify fails" 1 "verification FAILED"
expect_out "rewritten entry: named with seq and commit" "seq 2 (commit $(short "$c2")): "
expect_out "rewritten entry: commits lose their signatures" "seq 2 (commit $(short "$c2")): commit is not signed"
expect_out "rewritten entry: leaf changed" "seq 2 (commit $(short "$c2")): the entry's leaf hash is not the one the commit message names"
rm -rf work

# 2. Reordered commits: the same trees and messages, chained 0 2 1 3 4 5.
rechain() { # rechain DIR SEQ... : rebuild main from the commits of these seqs
	local dir=$1 parent="" c n
	shift
	for s in "$@"; do
		c=$(nth "$dir" "$s")
		if [ -z "$parent" ]; then
			n=$(g "$dir" log -1 --format=%B "$c" | g "$dir" commit-tree "$c^{tree}")
		else
			n=$(g "$dir" log -1 --format=%B "$c" | g "$dir" commit-tree "$c^{tree}" -p "$parent")
		fi
		parent=$n
	done
	echo "$parent"
}
fresh R
orig=()
for s in 0 1 2 3 4 5; do orig+=("$(nth R "$s")"); done
new=$(rechain R 0 2 1 3 4 5)
g R update-ref refs/heads/main "$new"
r1=$(nth R 1)
pl --ledger R verify
expect "reordered: verify fails" 1
expect_out "reordered: seq 1 holds seq 2" "seq 1 (commit $(short "$r1")): commit says seq 2: entries are missing, extra or reordered"

# 3. A commit removed from the middle (seq 2).
fresh M
new=$(rechain M 0 1 3 4 5)
g M update-ref refs/heads/main "$new"
m2=$(nth M 2)
pl --ledger M verify
expect "commit removed: verify fails" 1
expect_out "commit removed: seq 2 holds seq 3" "seq 2 (commit $(short "$m2")): commit says seq 3"

# 4. A merge commit at the head.
fresh G
side=$(g G log -1 --format=%B "$(nth G 5)" | g G commit-tree "$(nth G 5)^{tree}" -p "$(nth G 4)")
merge=$(g G log -1 --format=%B "$(nth G 5)" | g G commit-tree "$(nth G 5)^{tree}" -p "$(nth G 5)" -p "$side")
g G update-ref refs/heads/main "$merge"
pl --ledger G verify
expect "merge: verify fails" 1
expect_out "merge: not linear" "commit $(short "$merge"): merge commit: the history is not linear"

# 5. An attachment whose bytes do not hash to its name, added by amending the head.
fresh A
git clone -q A/repo.git work 2>/dev/null
h=$(printf 'original bytes' | sha256sum | cut -d' ' -f1)
(cd work && mkdir -p blobs && printf 'changed bytes' >"blobs/$h" && git add blobs &&
	git commit -q --amend --no-edit && git push -q -f origin HEAD:main 2>/dev/null)
a5=$(nth A 5)
pl --ledger A verify
expect "attachment changed: verify fails" 1
expect_out "attachment changed: named" "seq 5 (commit $(short "$a5")): attachment blobs/$h: its bytes hash to"
rm -rf work

# 6. A forged checkpoint in the head commit, and as --since.
fresh C
git clone -q C/repo.git work 2>/dev/null
(cd work && sed -i 's/^\(— [^ ]* \)\(.\)/\1\2\2/' checkpoint && git commit -q -a --amend --no-edit &&
	git push -q -f origin HEAD:main 2>/dev/null)
c5=$(nth C 5)
pl --ledger C verify
expect "forged checkpoint: verify fails" 1
expect_out "forged checkpoint: named" "seq 5 (commit $(short "$c5")): checkpoint: "
rm -rf work
sed 's/^\(— [^ ]* \)\(...\)\(.\)/\1\2A\3/' cp4.tmp >forged.cp
if cmp -s forged.cp cp4.tmp; then sed -i 's/^\(— [^ ]* \)\(...\)\(.\)/\1\2B\3/' forged.cp; fi
pl --ledger L verify --since forged.cp
expect "--since forged checkpoint: verify fails" 1
expect_out "--since forged checkpoint: named" "--since checkpoint: "

# 7. The operator, with the key, rewrites history: reset, reindex, append.
fresh H
pl --ledger H checkpoint
cp "$OUT" old.cp
pl --ledger H checkpoint --json
g H update-ref refs/heads/main "$(nth H 3)"
pl --ledger H log
expect "reset branch: the stale index refuses" 3 "the log was rolled back"
check "reset branch: the signed checkpoint of size 6 is kept" [ -s H/rollback-6.checkpoint ]
pl --ledger H verify --since H/rollback-6.checkpoint
expect "reset branch: the kept checkpoint shows the truncation" 1 "verification FAILED"
pl --ledger H reindex
expect "reset branch: reindex refuses to lose the evidence" 3 "--accept-rollback"
pl --ledger H reindex --accept-rollback
expect "reset branch: reindex --accept-rollback" 0
expect_out "reset branch: 4 entries" "4 entries"
for i in 6 7 8; do
	pl key gen --name "k$i" --role lab --out "k$i"
	pl --ledger H --quiet key register "k$i.pub" --key "k$i.key"
done
pl --ledger H verify
expect "rewritten with the key: plain verify passes" 0
pl --ledger H verify --since old.cp
expect "rewritten with the key: --since fails" 1
expect_out "rewritten with the key: not a prefix" "--since checkpoint (size 6) is not a prefix of this ledger"
g H update-ref refs/heads/main "$(nth H 3)"
pl --ledger H reindex --accept-rollback
pl --ledger H --quiet key register k6.pub --key k6.key
pl --ledger H verify --since old.cp
expect "truncated with the key: --since fails" 1
expect_out "truncated with the key: truncated" "history was truncated"

# 8. --since with a checkpoint of a fork: same operator key and origin.
pl --ledger FORK --quiet init --origin example.org/adv --operator-key L/keys/operator.key
pl --ledger FORK --quiet key register k5.pub --key k5.key
pl --ledger FORK --quiet key register k4.pub --key k4.key
pl --ledger FORK checkpoint
cp "$OUT" fork.cp
pl --ledger FORK verify --since fork.cp
expect "fork: verifies against its own checkpoint" 0
pl --ledger L verify --since fork.cp
expect "fork: --since fails" 1
expect_out "fork: not a prefix" "--since checkpoint (size 3) is not a prefix of this ledger"

# 9. --since with an honest older checkpoint.
pl --ledger L verify --since cp4.tmp
expect "honest --since: verifies" 0
expect_out "honest --since: prefix" "is a prefix of this ledger"

finish
