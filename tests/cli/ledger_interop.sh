#!/bin/bash
# ledger_interop.sh - the ledger checked with tools nobody here wrote:
# git fsck --strict, git verify-commit, ssh-keygen -Y verify, openssl pkey,
# Go's sumdb/note and sumdb/tlog (tests/interop/tlogcheck.go), and Python's
# cryptography on every DSSE envelope (tests/interop/dssecheck.py). A case
# whose tool is absent is skipped.
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
. "$(dirname "$0")/lib.sh"

export PROVLEDGER_TIME=1767225600
have() { command -v "$1" >/dev/null 2>&1; }
# run_in FILE CMD...: run with stdin from FILE (run reads /dev/null)
run_in() {
	local in=$1
	shift
	"$@" <"$in" >"$OUT" 2>"$ERR"
	RC=$?
}

pl --ledger L --quiet init --origin example.org/interop
expect "init" 0
pl --json key gen --name a --role lab --out a
aid=$(sed -n 's/.*"keyid": "\(.*\)".*/\1/p' "$OUT")
for n in a b c d e f; do
	[ "$n" = a ] || pl key gen --name "$n" --role lab --out "$n"
	pl --ledger L --quiet key register "$n.pub" --key "$n.key"
done
# a revocation: a rotates to a2, signed by a
pl key gen --name a2 --role lab --out a2
pl --ledger L --quiet key register a2.pub --key a.key --revokes "$aid"
expect "revocation appended" 0
pl key gen --name g --role auditor --out g
pl --ledger L --quiet key register g.pub --key g.key
N=$(git -C L/repo.git rev-list --count main)
check "setup: 9 entries" [ "$N" = 9 ]
pl --ledger L verify
expect "verify" 0

REPO=L/repo.git
commits=$(git -C "$REPO" rev-list --reverse main)

# git fsck
if have git; then
	run git -C "$REPO" fsck --strict --no-dangling
	expect "git fsck --strict" 0
	if grep -qiE 'error|warning|bad' "$ERR" "$OUT"; then bad "git fsck --strict: quiet" "$(cat "$OUT" "$ERR")"; else ok "git fsck --strict: quiet"; fi
else
	skip "git fsck --strict" "no git"
fi

# git verify-commit on every commit
pl --ledger L key allowed-signers
cp "$OUT" allowed
if have git && have ssh-keygen; then
	good=0
	for c in $commits; do
		run git -c gpg.ssh.allowedSignersFile="$T/allowed" -C "$REPO" verify-commit "$c"
		if [ "$RC" -eq 0 ] && grep -qF 'Good "git" signature' "$ERR" "$OUT"; then
			good=$((good + 1))
		else
			bad "git verify-commit $c" "exit $RC"
		fi
	done
	check "git verify-commit: Good \"git\" signature on all $N commits" [ "$good" = "$N" ]
	# and a tampered commit does not verify
	c=$(git -C "$REPO" rev-parse main)
	git -C "$REPO" cat-file commit "$c" | sed 's/^\(seq: .*\)$/\1 /' >tampered
	tc=$(git -C "$REPO" hash-object -t commit -w --stdin <tampered)
	check "git verify-commit: the tampered commit exists" [ -n "$tc" ]
	run git -c gpg.ssh.allowedSignersFile="$T/allowed" -C "$REPO" verify-commit "$tc"
	check "git verify-commit: a tampered commit fails" [ "$RC" -ne 0 ]
else
	skip "git verify-commit" "no git or ssh-keygen"
fi

# ssh-keygen -Y verify on signatures cut out of the commits
split_commit() { # split_commit COMMIT: payload (without gpgsig) > payload, armour > sig
	git -C "$REPO" cat-file commit "$1" | awk '
		BEGIN { s = 0; body = 0 }
		body { print > "payload"; next }
		/^$/ { body = 1; s = 0; print > "payload"; next }
		/^gpgsig / { s = 1; print substr($0, 8) > "sig"; next }
		s && /^ / { print substr($0, 2) > "sig"; next }
		{ s = 0; print > "payload" }'
}
if have ssh-keygen; then
	good=0
	for c in $commits; do
		rm -f payload sig
		split_commit "$c"
		run_in payload ssh-keygen -Y verify -f allowed -I operator -n git -s sig
		if [ "$RC" -eq 0 ] && grep -qF 'Good "git" signature for operator' "$OUT" "$ERR"; then
			good=$((good + 1))
		else
			bad "ssh-keygen -Y verify $c" "exit $RC"
		fi
	done
	check "ssh-keygen -Y verify: all $N commit signatures" [ "$good" = "$N" ]
	run_in payload ssh-keygen -Y verify -f allowed -I operator -n file -s sig
	check "ssh-keygen -Y verify: wrong namespace fails" [ "$RC" -ne 0 ]
	echo tampered >>payload
	run_in payload ssh-keygen -Y verify -f allowed -I operator -n git -s sig
	check "ssh-keygen -Y verify: tampered payload fails" [ "$RC" -ne 0 ]
	run ssh-keygen -lf a.pub
	expect "ssh-keygen reads a .pub from key gen" 0
else
	skip "ssh-keygen -Y verify" "no ssh-keygen"
fi

# openssl reads the PEM PKCS#8 keys; the public half is the .pub's
if have openssl; then
	run openssl pkey -in L/keys/operator.key -noout
	expect "openssl pkey: operator.key" 0
	run openssl pkey -in a.key -noout
	expect "openssl pkey: a.key" 0
	pub_ssl=$(openssl pkey -in a.key -pubout -outform DER 2>/dev/null | tail -c 32 | od -An -tx1 | tr -d ' \n')
	pub_ssh=$(awk '{print $2}' a.pub | base64 -d | tail -c 32 | od -An -tx1 | tr -d ' \n')
	check "openssl: a.key's public key is a.pub's" [ -n "$pub_ssl" ] && [ "$pub_ssl" = "$pub_ssh" ]
	printf 'hello' >msg
	openssl pkeyutl -sign -inkey a.key -rawin -in msg -out msg.sig 2>/dev/null
	openssl pkey -in a.key -pubout -out a.pem 2>/dev/null
	run openssl pkeyutl -verify -pubin -inkey a.pem -rawin -in msg -sigfile msg.sig
	expect "openssl pkeyutl: Ed25519 sign/verify with a.key" 0
else
	skip "openssl pkey" "no openssl"
fi

# Go: sumdb/note on the checkpoint, sumdb/tlog on proofs
entry_path() { printf 'entries/%03d/%03d/%03d.json' $(($1 / 1000000)) $(($1 / 1000 % 1000)) $(($1 % 1000)); }
for s in $(seq 0 $((N - 1))); do
	git -C "$REPO" cat-file blob "main:$(entry_path "$s")" >"entry$s"
done
GO=$(command -v go)
if [ -n "$GO" ] && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
	export GOCACHE="$T/gocache" GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=
	if "$GO" build -o tlogcheck "$INTEROP/tlogcheck.go" 2>goerr; then
		pl --ledger L --json checkpoint
		vkey=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])' <"$OUT" 2>/dev/null)
		[ -n "$vkey" ] || vkey=$(sed -n 's/.*"verifier_key": "\(.*\)".*/\1/p' "$OUT")
		check "checkpoint --json has verifier_key" [ -n "$vkey" ]
		pl --ledger L checkpoint
		cp "$OUT" cp
		run ./tlogcheck note "$vkey" cp
		expect "go sumdb/note: checkpoint verifies" 0
		expect_out "go sumdb/note: size $N" "$N "
		sed 's/^\(— [^ ]* \)\(..\)/\1AA/' cp >cp.bad
		run ./tlogcheck note "$vkey" cp.bad
		check "go sumdb/note: a forged checkpoint fails" [ "$RC" -ne 0 ]
		fails=0 n=0
		for size in 1 2 3 5 8 9; do
			for s in $(seq 0 $((size - 1))); do
				"$PL" --ledger L prove "$s" --size "$size" >"p.$s.$size"
				n=$((n + 1))
				./tlogcheck inclusion "$vkey" "entry$s" "p.$s.$size" >/dev/null 2>>gofail || fails=$((fails + 1))
			done
		done
		check "go sumdb/tlog CheckRecord: $n inclusion proofs" [ "$fails" = 0 ]
		run ./tlogcheck inclusion "$vkey" entry1 p.2.9
		check "go sumdb/tlog CheckRecord: another entry's proof fails" [ "$RC" -ne 0 ]
		fails=0 n=0
		for old in 1 2 3 4 5 6 7 8 9; do
			for size in $(seq "$old" 9); do
				"$PL" --ledger L prove 0 --size "$old" >"o.$old"
				"$PL" --ledger L prove 0 --size "$size" >"n.$size"
				"$PL" --ledger L prove --consistency "$old" --size "$size" >"c.$old.$size"
				n=$((n + 1))
				./tlogcheck consistency "$vkey" "o.$old" "n.$size" "c.$old.$size" >/dev/null 2>>gofail || fails=$((fails + 1))
			done
		done
		check "go sumdb/tlog CheckTree: $n consistency proofs" [ "$fails" = 0 ]
		run ./tlogcheck consistency "$vkey" o.3 n.9 c.4.9
		check "go sumdb/tlog CheckTree: a proof for other sizes fails" [ "$RC" -ne 0 ]
		# a bigger tree, one entry per commit: 60 more keys (sizes to 69), then
		# 60 random (seq, size) and 60 random (old, size) pairs
		for i in $(seq 1 60); do
			"$PL" --quiet key gen --name "x$i" --role lab --out "x$i" >/dev/null &&
				"$PL" --ledger L --quiet key register "x$i.pub" --key "x$i.key" >/dev/null
		done
		M=$(git -C "$REPO" rev-list --count main)
		check "setup: $M entries, one per commit" [ "$M" = $((N + 60)) ]
		fails=0
		for i in $(seq 1 60); do
			size=$((RANDOM % M + 1)) && s=$((RANDOM % size))
			git -C "$REPO" cat-file blob "main:$(entry_path "$s")" >"e$s"
			"$PL" --ledger L prove "$s" --size "$size" >"rp.$s.$size"
			./tlogcheck inclusion "$vkey" "e$s" "rp.$s.$size" >/dev/null 2>>gofail ||
				{ fails=$((fails + 1)) && echo "    inclusion $s in $size fails"; }
			size=$((RANDOM % M + 1)) && old=$((RANDOM % size + 1))
			"$PL" --ledger L prove 0 --size "$old" >"ro.$old"
			"$PL" --ledger L prove 0 --size "$size" >"rn.$size"
			"$PL" --ledger L prove --consistency "$old" --size "$size" >"rc.$old.$size"
			./tlogcheck consistency "$vkey" "ro.$old" "rn.$size" "rc.$old.$size" >/dev/null 2>>gofail ||
				{ fails=$((fails + 1)) && echo "    consistency $old -> $size fails"; }
		done
		check "go sumdb/tlog: 60 random inclusion and 60 random consistency proofs in trees to $M" [ "$fails" = 0 ]
		[ -s gofail ] && head -5 gofail
	else
		bad "go build tests/interop/tlogcheck.go" "$(head -c 600 goerr)"
	fi
else
	skip "go sumdb/note and sumdb/tlog" "no go or golang-golang-x-mod-dev"
fi

# Python cryptography: every DSSE signature, from the raw envelope bytes
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
	files=""
	for s in $(seq 0 $((N - 1))); do files="$files entry$s"; done
	run /usr/bin/python3 "$INTEROP/dssecheck.py" $files
	expect "python cryptography: every DSSE signature verifies" 0
	check "python cryptography: $N good signatures" [ "$(grep -c 'good signature' "$OUT")" = "$N" ]
	sed 's/"sig":"A/"sig":"B/; t; s/"sig":"\(.\)/"sig":"A/' entry3 >entry3.bad
	run /usr/bin/python3 "$INTEROP/dssecheck.py" entry0 entry1 entry2 entry3.bad
	check "python cryptography: a forged signature fails" [ "$RC" -eq 1 ]
else
	skip "python cryptography DSSE" "no python3-cryptography"
fi

finish
