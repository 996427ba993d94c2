#!/bin/bash
# mirror.sh - replicas through git: mirror init (every commit verified, a
# wrong key refused with nothing left), pull accepting appends and refusing a
# force-pushed rewrite with both checkpoints named and nothing changed, a
# mirror refusing local appends; push to a plain bare repository whose
# pre-receive hook (provledger hook pre-receive) refuses rewrites, deletions,
# other refs and unsigned commits, checked with git itself.
. "$(dirname "$0")/lib.sh"
unset PROVLEDGER_TIME PROVLEDGER_URL PROVLEDGER_TRUST

pl --ledger U init --origin example.org/mirror
expect "init upstream" 0
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' U/config >op.pub
for k in a b c d e; do "$PL" key gen --name "$k" --role lab --out "$k" >/dev/null 2>&1; done
"$PL" --ledger U key register a.pub --key a.key >/dev/null 2>&1
"$PL" key gen --name other --role lab --out other >/dev/null 2>&1

pl --ledger X mirror init U --trust other.pub
expect "mirror init under the wrong key is refused" 3 "no signature by example.org/mirror"
check "... and leaves nothing" test ! -e X
pl --ledger M mirror init U --trust op.pub
expect "mirror init" 0
expect_out "mirror init says it verified" "2 entries, every commit verified"
pl --ledger M --json log
check "the mirror holds the upstream's entries" test "$(grep -c '"seq"' "$OUT")" = 2
pl --ledger M key register b.pub --key b.key
expect "a mirror refuses local appends" 3 "is a mirror of U"
pl --ledger M mirror init U --trust op.pub
expect "mirror init into an existing ledger is refused" 3

"$PL" --ledger U key register b.pub --key b.key >/dev/null 2>&1
"$PL" --ledger U key register c.pub --key c.key >/dev/null 2>&1
pl --ledger M --json pull
expect "pull: an append" 0
check "pull --json: 2 -> 4" grep -q '"new_size": 4' "$OUT"
pl --ledger M pull
expect "pull again: up to date" 0
expect_out "up to date" "up to date (size 4)"
pl --ledger M verify
expect "the mirror verifies" 0
check "the mirror's git passes git fsck" git -C M/repo.git fsck --no-dangling

# a force-pushed rewrite upstream: main moved back and another history appended
HEAD_BEFORE=$(git -C M/repo.git rev-parse main)
git -C U/repo.git update-ref refs/heads/main "$(git -C U/repo.git rev-parse 'main~1')"
rm -f U/index.sqlite*
"$PL" --ledger U key register d.pub --key d.key >/dev/null 2>&1
pl --ledger M pull
expect "pull refuses a rewrite" 1 "does not extend this mirror's"
check "the refusal names both checkpoints" grep -q "(checkpoint size 4 root .*(checkpoint size 4 root" "$ERR"
check "nothing changed in the mirror" test "$(git -C M/repo.git rev-parse main)" = "$HEAD_BEFORE"
pl --ledger M verify
expect "the mirror still verifies" 0
pl --ledger U2 init --origin example.org/mirror
"$PL" --ledger M2 mirror init U --trust op.pub >/dev/null 2>&1
# an upstream whose config now points at a log of another key
sed -i 's#"upstream": "U"#"upstream": "U2"#' M2/config
pl --ledger M2 pull
expect "pull from a log signed by another key is refused (a finding)" 1 "no signature by"
pl --ledger U pull
expect "pull on a ledger that is not a mirror" 2 "not a mirror"

# ---- push to a plain git remote guarded by the pre-receive hook ---------------------------------
git init -q --bare R.git
cat >R.git/hooks/pre-receive <<EOF
#!/bin/sh
exec "$PL" hook pre-receive --trust "$T/op.pub"
EOF
chmod +x R.git/hooks/pre-receive
pl --ledger U --json push R.git
expect "push to a bare repository with the hook" 0
check "the remote holds the ledger's main" test "$(git -C R.git rev-parse main)" = "$(git -C U/repo.git rev-parse main)"
"$PL" --ledger U key register e.pub --key e.key >/dev/null 2>&1
pl --ledger U push R.git
expect "push an append" 0
# git itself: a force-push of a rewrite, a deletion, another ref, an unsigned commit
git clone -q --bare R.git W.git
git -C W.git update-ref refs/heads/main "$(git -C W.git rev-parse 'main~2')"
run git -C W.git push --force -q "$T/R.git" main:main
check "git push --force of a rewrite is refused by the hook" test "$RC" != 0
check "... saying why" grep -q "a rewrite of an append-only log is refused" "$ERR"
run git -C W.git push -q "$T/R.git" :main
check "deleting main is refused" test "$RC" != 0
check "... saying why" grep -q "may not be deleted" "$ERR"
run git -C W.git push -q "$T/R.git" main:refs/heads/other
check "another ref is refused" test "$RC" != 0
check "... saying why" grep -q "refs/heads/main only" "$ERR"
git -C U/repo.git cat-file commit main | sed '/^gpgsig/,/^ -----END SSH SIGNATURE-----/d' >unsigned.txt
NEW=$(git -C W.git hash-object -t commit -w --stdin <unsigned.txt)
git -C W.git update-ref refs/heads/main "$NEW"
run git -C W.git push --force -q "$T/R.git" main:main
check "an unsigned commit is refused" test "$RC" != 0
check "the remote's main did not move" test "$(git -C R.git rev-parse main)" = "$(git -C U/repo.git rev-parse main)"
pl --ledger R2 mirror init R.git --trust op.pub
expect "a mirror of the guarded remote" 0
printf '0000000000000000000000000000000000000000 %s refs/heads/main\n' "$(git -C U/repo.git rev-parse main)" >in.txt
GIT_DIR=R.git run "$PL" --json hook pre-receive --trust op.pub <in.txt
GIT_DIR=R.git "$PL" --json hook pre-receive --trust op.pub <in.txt >"$OUT" 2>"$ERR"
RC=$?
expect "hook pre-receive by hand: a new main signed by the operator" 0
printf 'garbage\n' | GIT_DIR=R.git "$PL" hook pre-receive --trust op.pub >"$OUT" 2>"$ERR"
RC=$?
expect "hook pre-receive: a malformed line" 3 "malformed line"

finish
