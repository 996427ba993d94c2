#!/bin/bash
# witness.sh - witnesses (c2sp.org/tlog-witness, tlog-cosignature/v1): two
# `witness serve` on 127.0.0.1 (free ports, started and stopped here), the
# operator's `witness request`, cosignatures checked by an independent
# Ed25519 implementation over the exact C2SP message (tests/interop/
# cosigcheck.py, Python cryptography) and one made by it accepted;
# `verify-bundle --witness --quorum` refusing a bundle with 1 of 2 required
# cosignatures; a forked ledger of the same origin and key refused by the
# witness (served and offline); every protocol error with its status code.
HERE=$(cd "$(dirname "$0")" && pwd)
INTEROP=$(cd "$HERE/../interop" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
unset PROVLEDGER_TIME PROVLEDGER_URL PROVLEDGER_TRUST
if ! "$PY" -c 'import cryptography' 2>/dev/null; then
	skip "witness" "python3-cryptography missing"
	finish
	exit
fi
CC="$PY $INTEROP/cosigcheck.py"

PIDS=()
# wstart N KEY NAME STATE: a witness of example.org/wl; sets W<N> to its URL
wstart() {
	rm -f "port$1"
	"$PL" witness serve --key "$2" --name "$3" --state "$4" --log "example.org/wl=op.pub" \
		--listen 127.0.0.1:0 --port-file "port$1" --log-file "w$1.log" >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		[ -s "port$1" ] && break
		sleep 0.05
	done
	eval "W$1=http://127.0.0.1:$(cat "port$1" 2>/dev/null)"
}
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

pl --ledger L init --origin example.org/wl
expect "init" 0
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' L/config >op.pub
for w in w1 w2; do "$PL" key gen --name "$w" --role lab --out "$w" >/dev/null 2>&1; done
pl witness key --key w1.key --name witness.example/w1
expect "witness key" 0
cp "$OUT" v1
"$PL" witness key --key w2.key --name witness.example/w2 >v2
check "witness key: NAME+HEX8+BASE64 of type 0x04" grep -qE '^witness\.example/w1\+[0-9a-f]{8}\+B' v1
check "witness key: the key ID Python computes from the PEM key" "$PY" -c '
import base64, hashlib, sys
from cryptography.hazmat.primitives import serialization
k = serialization.load_pem_private_key(open("w1.key", "rb").read(), None)
pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
name = "witness.example/w1"
kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4].hex()
want = "%s+%s+%s" % (name, kid, base64.b64encode(b"\x04" + pub).decode())
sys.exit(open("v1").read().strip() != want)'
pl witness key --key w1.key
expect "witness key without --name" 2 "--name NAME is required"

wstart 1 w1.key witness.example/w1 S1
wstart 2 w2.key witness.example/w2 S2
check "two witnesses are up" test -s port1 -a -s port2

# ---- the operator asks them ---------------------------------------------------------------
pl --ledger L witness request "$W1=$(cat v1)" "$W2=$(cat v2)"
expect "witness request: both cosign size 1" 0
expect_out "witness request names the witness" "cosigned by witness.example/w1: size 1"
check "the cosigned checkpoint is kept" test -s L/cosigned/1
check "it carries both cosignatures" test "$(grep -c '^— witness.example' L/cosigned/1)" = 2
run $CC verify v1 L/cosigned/1
check "cosigcheck.py (Python cryptography) verifies w1's cosignature" test "$RC" = 0
run $CC verify v2 L/cosigned/1
check "cosigcheck.py verifies w2's cosignature" test "$RC" = 0
check "the witness state holds the checkpoint" grep -q '^example.org/wl$' S1/example.org%2Fwl
for k in holder:rights-holder a:lab b:lab; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null 2>&1
	"$PL" --ledger L key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
"$PY" -c '
import random
r = random.Random(3)
open("book.txt", "w").write(" ".join("w%d" % r.randrange(100000) for _ in range(300)) + "\n")'
pl --ledger L --json work register book.txt --title Book --holder "Holder Press" --key holder.key
expect "work register" 0
WR=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["work"])' "$OUT" 2>/dev/null)
SIZE=$("$PL" --ledger L checkpoint | sed -n 2p)
pl --ledger L --json witness request "$W1=$(cat v1)"
expect "witness request after appends: a consistency proof from size 1 (learnt from 409)" 0
check "witness request --json: cosigned, quorum" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cosigned"] == ["witness.example/w1"] and d["quorum"] and d["size"] == int(sys.argv[2]), d' "$OUT" "$SIZE"
check "w1 logged a 409 then a 200" sh -c "grep -q ': 409' w1.log && grep -q ': 200' w1.log"

# ---- bundles: a quorum of cosignatures -------------------------------------------------------
pl --ledger L export --work "$WR" --out one.bundle
expect "export with one cosignature kept" 0
pl verify-bundle one.bundle --trust op.pub --witness v1
expect "verify-bundle --witness w1: cosigned" 0
expect_out "verify-bundle says how many cosigned" "witnesses     1 of the 1 required"
pl verify-bundle one.bundle --trust op.pub --witness v1 --witness v2
expect "verify-bundle: 1 of 2 required cosignatures fails" 1 "carries 1 valid cosignature of the 2 required"
check "... naming the witness without one" grep -q "witness.example/w2" "$ERR"
pl verify-bundle one.bundle --trust op.pub --witness v1 --witness v2 --quorum 1
expect "verify-bundle --quorum 1 of 2" 0
printf 'witness witness.example/w1 %s\nwitness %s\nquorum 2\n' "$(cat v1)" "$(cat v2)" >policy
pl verify-bundle one.bundle --trust op.pub --witness-policy policy
expect "a Sigsum-style policy file, quorum 2: fails" 1 "of the 2 required"
printf 'witness witness.example/w2 %s\n' "$(cat v1)" >badpolicy
pl verify-bundle one.bundle --trust op.pub --witness-policy badpolicy
expect "a policy line naming another witness's key" 3 "not witness.example/w2's"
pl verify-bundle one.bundle --trust op.pub --witness v1 --quorum 2
expect "--quorum above the witnesses given" 2 "--quorum takes a count from 1 to the 1"
pl verify-bundle one.bundle --trust op.pub --witness op.pub
expect "--witness with a log key, not a cosignature key" 3 "witness"
pl --ledger L witness request "$W2=$(cat v2)"
expect "w2 cosigns the same size" 0
pl --ledger L export --work "$WR" --out two.bundle
pl verify-bundle two.bundle --trust op.pub --witness v1 --witness v2
expect "verify-bundle: 2 of 2 cosigned" 0
# a cosignature made by Python (another implementation) is accepted, a flipped one is not
SEED=4242424242424242424242424242424242424242424242424242424242424242
$CC vkey $SEED py.example/w3 >v3
$CC sign $SEED py.example/w3 1790000000 "L/cosigned/$SIZE" >py.note
cp py.note "L/cosigned/$SIZE"
pl --ledger L export --work "$WR" --out py.bundle
pl verify-bundle py.bundle --trust op.pub --witness v3 --witness v1 --witness v2
expect "a cosignature made by Python cryptography verifies" 0
"$PY" - "L/cosigned/$SIZE" <<'EOF'
import base64, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("\u2014 py.example/w3 "):
        b = bytearray(base64.b64decode(l.split(" ")[2])); b[20] ^= 1
        lines[i] = "\u2014 py.example/w3 " + base64.b64encode(bytes(b)).decode()
open(p, "w").write("\n".join(lines))
EOF
pl --ledger L export --work "$WR" --out bad.bundle
pl verify-bundle bad.bundle --trust op.pub --witness v3
expect "a tampered cosignature fails" 1 "py.example/w3 (an invalid cosignature)"
pl verify-bundle bad.bundle --trust op.pub
expect "without --witness, cosignatures are not required" 0

# ---- clients of the served log require the cosignatures too --------------------------------
export XDG_CONFIG_HOME=$T/cfg
rm -f sport
"$PL" --ledger L serve --listen 127.0.0.1:0 --port-file sport >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s sport ] && break; sleep 0.05; done
U=http://127.0.0.1:$(cat sport)
check "serve answers /checkpoint with the cosignatures kept" sh -c "$PY -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' $U/checkpoint | grep -q '^— witness.example/w2 '"
PROVLEDGER_WITNESS_POLICY=policy run "$PL" --remote "$U" --trust op.pub log
expect "a client with a witness policy (quorum 2) reads the cosigned log" 0
printf 'witness %s\n' "$(cat v3)" >p3
PROVLEDGER_WITNESS_POLICY=p3 run "$PL" --remote "$U" --trust op.pub log
expect "a client whose policy is not met refuses the log" 3 "py.example/w3 (an invalid cosignature)"
PROVLEDGER_WITNESS_POLICY=nope run "$PL" --remote "$U" --trust op.pub log
expect "a missing policy file" 3 "PROVLEDGER_WITNESS_POLICY"

# ---- serve --witness: each new checkpoint cosigned in the background ---------------------
kill "${PIDS[-1]}" 2>/dev/null
wait "${PIDS[-1]}" 2>/dev/null
rm -f sport
"$PL" --ledger L serve --listen 127.0.0.1:0 --port-file sport --log serve.log \
	--witness "$W1=$(cat v1)" --witness "$W2=$(cat v2)" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s sport ] && break; sleep 0.05; done
U=http://127.0.0.1:$(cat sport)
"$PL" key gen --name c --role lab --out c >/dev/null 2>&1
pl --remote "$U" --trust op.pub key register c.pub --key c.key
expect "an append to a server with witnesses" 0
NEW=$((SIZE + 1))
for _ in $(seq 100); do
	[ "$(grep -c '^— witness.example' "L/cosigned/$NEW" 2>/dev/null)" = 2 ] && break
	sleep 0.1
done
check "the new checkpoint is cosigned by both witnesses in the background" test "$(grep -c '^— witness.example' "L/cosigned/$NEW" 2>/dev/null)" = 2
check "serve logged the cosignatures" grep -q "witness witness.example/w2 cosigned size $NEW" serve.log
PROVLEDGER_WITNESS_POLICY=policy run "$PL" --remote "$U" --trust op.pub log
expect "the client's policy holds at the new size" 0
kill "${PIDS[-1]}" 2>/dev/null
wait "${PIDS[-1]}" 2>/dev/null
SIZE=$NEW

# ---- init --witness: the witnesses in the config, used by witness request and serve -----------
"$PL" key gen --name op3 --role lab --out op3 >/dev/null 2>&1
rm -f port3
"$PL" witness serve --key w1.key --name witness.example/w1 --state S3 --log example.org/wl3=op3.pub \
	--listen 127.0.0.1:0 --port-file port3 >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s port3 ] && break; sleep 0.05; done
W3=http://127.0.0.1:$(cat port3)
pl --ledger L3 init --origin example.org/wl3 --operator-key op3.key --witness "nothing"
expect "init --witness that is not URL=VKEY" 2 "not URL=VKEY"
check "... and no ledger made" test ! -e L3
pl --ledger L3 init --origin example.org/wl3 --operator-key op3.key --witness "$W3=$(cat v1)" --witness-quorum 1
expect "init --witness URL=VKEY --witness-quorum 1" 0
check "the config keeps the witness" grep -q "witness.example/w1" L3/config
pl --ledger L3 witness request
expect "witness request with the config's witnesses" 0
check "size 1 cosigned" test "$(grep -c '^— witness.example/w1 ' L3/cosigned/1)" = 1
rm -f sport3
"$PL" --ledger L3 serve --listen 127.0.0.1:0 --port-file sport3 >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s sport3 ] && break; sleep 0.05; done
pl --remote "http://127.0.0.1:$(cat sport3)" --trust op3.pub key register a.pub --key a.key
expect "an append to a server whose config names a witness" 0
for _ in $(seq 100); do [ -s L3/cosigned/2 ] && break; sleep 0.1; done
check "serve asked the config's witness: size 2 cosigned" grep -q '^— witness.example/w1 ' L3/cosigned/2
kill "${PIDS[-1]}" 2>/dev/null
wait "${PIDS[-1]}" 2>/dev/null

# ---- a fork: the same origin and key, another history ------------------------------------------
pl --ledger F init --origin example.org/wl --operator-key L/keys/operator.key
for k in f1 f2 f3 f4 f5 f6 f7 f8 f9; do
	"$PL" key gen --name "$k" --role lab --out "$k" >/dev/null 2>&1
	"$PL" --ledger F key register "$k.pub" --key "$k.key" >/dev/null 2>&1
done
cp S1/example.org%2Fwl state.before
pl --ledger F witness request "$W1=$(cat v1)"
expect "a forked ledger: the witness refuses it (its proof does not lead from what it cosigned)" 1 "refused the checkpoint"
check "the witness answered 422" grep -q ': 422' w1.log
check "the witness state is unchanged" cmp -s S1/example.org%2Fwl state.before
check "no cosignature kept for the fork" test ! -e "F/cosigned/$("$PL" --ledger F checkpoint | sed -n 2p)"
# offline: witness cosign with a copy of w1's state
cp -a S1 S1off
"$PL" --ledger F checkpoint >fork.cp
"$PL" --ledger F prove --consistency "$SIZE" >fork.proof 2>/dev/null
pl witness cosign fork.cp --key w1.key --name witness.example/w1 --log example.org/wl=op.pub \
	--state S1off --proof fork.proof
expect "witness cosign (offline) refuses the fork" 1 "refused (422)"
pl witness cosign fork.cp --key w1.key --name witness.example/w1 --log example.org/wl=op.pub \
	--state S1off --old-size 2
expect "witness cosign: an old size that is not the state's" 1 "has size $SIZE, not 2"
"$PL" --ledger L checkpoint >same.cp
pl witness cosign same.cp --key w1.key --name witness.example/w1 --log example.org/wl=op.pub \
	--state S1off --json
expect "witness cosign of the size it holds: cosigned again" 0
check "witness cosign --json: the cosigned checkpoint verifies with cosigcheck.py" sh -c "
	$PY -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))[\"checkpoint\"])' $OUT >same.cosigned &&
	$CC verify v1 same.cosigned >/dev/null"

# ---- the protocol's refusals, each with its status ---------------------------------------------
# wpost BODYFILE [PATH] [METHOD]: the status on stdout, body in wbody, content type in wtype
wpost() {
	"$PY" - "$W1" "$1" "${2:-/add-checkpoint}" "${3:-POST}" <<'EOF'
import sys, urllib.request, urllib.error
url, f, path, method = sys.argv[1:5]
data = open(f, "rb").read() if f != "-" else None
try:
    r = urllib.request.urlopen(urllib.request.Request(url + path, data=data, method=method), timeout=30)
    code, body, ct = r.status, r.read(), r.headers.get("Content-Type")
except urllib.error.HTTPError as e:
    code, body, ct = e.code, e.read(), e.headers.get("Content-Type")
open("wbody", "wb").write(body); open("wtype", "w").write(ct or "")
print(code)
EOF
}
printf 'old 0\n\n' >b0 && cat same.cp >>b0
check "add-checkpoint with old 0 when it holds a size: 409" test "$(wpost b0)" = 409
check "... the body is that size" test "$(cat wbody)" = "$SIZE"
check "... as text/x.tlog.size" grep -q '^text/x.tlog.size' wtype
printf 'old %s\n\n' "$SIZE" >b1 && cat same.cp >>b1
check "add-checkpoint of the size it holds: 200" test "$(wpost b1)" = 200
check "... one cosignature line" grep -q '^— witness.example/w1 ' wbody
printf 'old %s\n\n' "$((SIZE + 5))" >b2 && cat same.cp >>b2
check "old size above the checkpoint's: 400" test "$(wpost b2)" = 400
printf 'olde 1\n\n' >b3 && cat same.cp >>b3
check "a malformed old line: 400" test "$(wpost b3)" = 400
printf 'old 01\n\n' >b3b && cat same.cp >>b3b
check "an old size with a leading zero: 400" test "$(wpost b3b)" = 400
sed 's#^example.org/wl$#example.org/other#' same.cp >other.cp
printf 'old 0\n\n' >b4 && cat other.cp >>b4
check "an origin it does not follow: 404" test "$(wpost b4)" = 404
"$PL" --ledger G init --origin example.org/wl >/dev/null 2>&1
printf 'old 0\n\n' >b5 && "$PL" --ledger G checkpoint >>b5
check "a checkpoint not signed by the log's key: 403" test "$(wpost b5)" = 403
printf 'old %s\nnot-base64!\n\n' "$SIZE" >b6 && cat same.cp >>b6
check "a proof line that is not base64: 400" test "$(wpost b6)" = 400
head -c 70000 /dev/zero | tr '\0' 'a' >b7
check "a body over 64 KiB: 413" test "$(wpost b7)" = 413
check "GET /add-checkpoint: 405" test "$(wpost - /add-checkpoint GET)" = 405
check "an unknown path: 404" test "$(wpost b1 /nothing)" = 404
check "the state is still the last cosigned checkpoint" cmp -s S1/example.org%2Fwl state.before

finish
