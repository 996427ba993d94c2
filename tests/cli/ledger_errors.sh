#!/bin/bash
# ledger_errors.sh - the documented error paths of init, key, log, show,
# prove and verify: exit code and message for each.
. "$(dirname "$0")/lib.sh"

export PROVLEDGER_TIME=1767225600
pl --ledger L --quiet init --origin example.org/err
expect "init" 0
pl key gen --name acme --role lab --out acme
pl --ledger L key register acme.pub --key acme.key
expect "key register" 0
expect_out "key register: reports the entry" "as entry 1"

pl --ledger L show 99
expect "show 99: not found" 3 "no entry 99"
pl --ledger L prove 5 --size 3
expect "prove 5 --size 3" 3
pl --ledger L prove 0 --size 9
expect "prove beyond the ledger" 3 "beyond"
pl --ledger L prove abc
expect "prove abc: usage" 2 "not a non-negative integer"
pl --ledger L prove -- -1
expect "prove -1: usage" 2
pl --ledger L prove
expect "prove without SEQ: usage" 2 "expected one sequence number"
pl --ledger L prove --consistency 3
expect "prove --consistency beyond the ledger" 3
pl --ledger L log --bogus
expect "log --bogus: usage" 2 "unknown option --bogus"
pl --ledger L verify --bogus
expect "verify --bogus: usage" 2 "unknown option"
pl --ledger L prove 0 --size
expect "prove --size without value: usage" 2 "needs a value"
pl --ledger L frobnicate
expect "unknown command: usage" 2 "unknown command"
pl --ledger /nonexistent log
expect "--ledger /nonexistent log" 3 "no ledger at /nonexistent"
pl --ledger /nonexistent verify
expect "--ledger /nonexistent verify" 3 "no ledger at"
pl --ledger L init
expect "init twice" 3 "already exists"
pl --ledger L --quiet init --origin example.org/other
expect "init twice, another origin" 3 "already exists"
pl --ledger O --quiet init --origin "two words"
expect "init with a bad origin" 3 "origin"
for o in $'a\u202eb.example' $'a\tb' $'a\x1b[31mb' "a+b" "caf$(printf '\303\251')"; do
	pl --ledger O --quiet init --origin "$o"
	expect "init --origin with a control, bidi, non-ASCII or '+' character: refused" 3 "printable ASCII"
	check "init --origin refused: nothing created" [ ! -e O ]
done
pl --ledger O --quiet init --origin $'x\u202ey'
expect_out_err() { grep -qF -- "$1" "$ERR"; }
check "init --origin: the refused origin is printed escaped" expect_out_err 'x\u{202e}y'

# key files
pl key gen --name open --role lab --out open
chmod 0644 open.key
pl --ledger L key register open.pub --key open.key
expect "key mode 0644: too open" 3 "too open"
pl --ledger O2 --quiet init --operator-key open.key
expect "init --operator-key 0644: too open" 3 "too open"
check "init with a bad key leaves no ledger" [ ! -e O2/config ]
pl key gen --name acme --role lab --out acme
expect "key gen over an existing key" 3 "already exists"
pl key gen --name bob --role pirate --out bob
expect "key gen --role pirate: usage" 2 "unknown role"
pl key gen --name bob --role lab --out bob
pl --ledger L key register bob.pub --key acme.key
expect "register with another key's private half" 3 "must be signed by the key it registers"
pl --ledger L key register bob.pub --key missing.key
expect "register with a missing --key" 3 "missing.key"
pl --ledger L key register missing.pub --key bob.key
expect "register a missing .pub" 3 "missing.pub"
pl --ledger L key register bob.pub
expect "register without --key: usage" 2 "--key is required"
pl --ledger L key register acme.pub --key acme.key
expect "register twice" 3 "already registered"
echo "not a key" >junk.pub
pl --ledger L key register junk.pub --key bob.key
expect "register a malformed .pub" 3 "junk.pub"

# a lock file left by a crashed appender is stale after 2 s and removed
touch -d '-1 min' L/repo.git/refs/heads/main.lock
pl --ledger L key register bob.pub --key bob.key
expect "stale refs/heads/main.lock: removed, the append goes through" 0
expect_out "stale lock removed: entry 2" "as entry 2"
check "stale lock file is gone" test ! -e L/repo.git/refs/heads/main.lock

# a lock file that stays fresh (another git process at work) is refused, named
pl key gen --name carol --role lab --out carol
( for i in $(seq 40); do touch L/repo.git/refs/heads/main.lock; sleep 0.1; done ) &
toucher=$!
sleep 0.2
pl --ledger L key register carol.pub --key carol.key
expect "fresh refs/heads/main.lock: refused, named" 3 "refs/heads/main.lock exists"
wait $toucher
rm -f L/repo.git/refs/heads/main.lock

# verify --since
pl --ledger L verify --since missing-file
expect "verify --since missing-file" 3 "missing-file"
echo "garbage" >garbage.cp
pl --ledger L verify --since garbage.cp
expect "verify --since garbage: bad input, exit 3" 3 "not a signed checkpoint"
pl --ledger L verify
expect "verify after the errors: still clean" 0
pl --ledger L log
expect_out "log: no refused entries" "key:bob"
check "log: exactly 3 entries" [ "$(grep -c '^[0-9]' "$OUT")" = 3 ]

finish
