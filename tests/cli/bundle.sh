# bundle.sh - `export` and `verify-bundle`: a model's and a work's bundle
# verify offline (after the ledger is deleted), with provledger and with the
# independent verifiers that docs/verifying-evidence.md shows; every forgery,
# malformed file and a gzip bomb is refused, naming the problem.
HERE=$(cd "$(dirname "$0")" && pwd)
DOCS=$HERE/../../docs
INTEROP=$HERE/../interop
. "$HERE/lib.sh"
FIXTURE=${PL_TOOLS:?set PL_TOOLS to the test tools directory}/bundle_fixture

if [ ! -x "$FIXTURE" ]; then
	bad "bundle tests" "$FIXTURE not built"
	finish
	exit
fi
run "$FIXTURE" L
expect "fixture ledger" 0
W1=$(sed -n 's/^W1 //p' "$OUT")
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' L/config >operator.pub

# ---- export -------------------------------------------------------------
pl --ledger L export big@1 --out big.bundle
expect "export model" 0
expect_out "export names what it wrote" "16 entries"
pl --ledger L export --work $W1 --out w1.bundle
expect "export work" 0
pl --ledger L export other@1 --out other.bundle
expect "export another model" 0
pl --ledger L --json export big@1 --out big2.bundle
expect "export --json" 0
expect_out "export --json names the seq" '"seq": 15'
check "export is reproducible" cmp -s big.bundle big2.bundle
check "the bundle is gzip" gzip -t big.bundle
pl --ledger L export nope@1 --out x.bundle
expect "export of an unknown model" 3 "nope@1"
pl --ledger L export --work W0000000000000000 --out x.bundle
expect "export of an unknown work" 3 "no work W0000000000000000"
pl --ledger L export big@1
expect "export without --out" 2 "--out FILE is required"
pl --ledger L export big@1 --work $W1 --out x.bundle
expect "export of a model and a work" 2 "either a model"
pl --ledger L export big --out x.bundle
expect "export of a bare name" 2 "not NAME@VERSION"
check "nothing written on failure" test ! -e x.bundle

# ---- verify-bundle, with no ledger --------------------------------------
mv L L.gone
pl verify-bundle big.bundle --trust operator.pub
expect "model bundle verifies without the ledger" 0
expect_out "the model, verified" "model big@1 (seq 15) [verified]"
expect_out "its base model" "base model    base@1 (seq 12)"
expect_out "its datasets with shards" "shard         a.jsonl"
expect_out "check results" "match         a.jsonl record 3: work $W1, exact"
expect_out "matched works with holder" "holder        Holder Press"
expect_out "and terms" "terms         all-rights-reserved"
expect_out "attestations" "attestation training-licence (seq 16) [verified]"
expect_out "keys" "key authority (seq 3) [verified]"
expect_out "the checkpoint" "[verified: signed by the trusted operator key]"
pl verify-bundle w1.bundle --trust operator.pub
expect "work bundle verifies" 0
expect_out "work bundle subject" "subject       work:$W1 (seq 8)"
pl verify-bundle big.bundle --trust L.gone/config
expect "--trust DIR/config" 0
pl --json verify-bundle big.bundle --trust operator.pub
expect "verify-bundle --json" 0
check "--json verified" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True and d["problems"] == []
assert d["checkpoint"]["size"] == 23 and d["checkpoint"]["origin"] == "example.org/bundle-test"
assert [e["seq"] for e in d["entries"]] == [0, 1, 2, 3, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 21, 22]
assert all(e["verified"] for e in d["entries"])
assert {"seq", "type", "name", "signer", "verified"} <= set(d["entries"][0])
' "$OUT"
pl verify-bundle big.bundle
expect "verify-bundle without --trust" 2 "--trust OPERATOR.pub is required"
pl verify-bundle --trust operator.pub
expect "verify-bundle without FILE" 2 "FILE is required"
pl verify-bundle big.bundle --trust operator.pub --max-size lots
expect "bad --max-size" 2 "--max-size takes bytes"
pl verify-bundle big.bundle --trust nowhere.pub
expect "missing trust file" 3 "nowhere.pub"
echo "not a key" >junk.pub
pl verify-bundle big.bundle --trust junk.pub
expect "trust file without a key" 3 "no Ed25519 public key"
"$PL" key gen --name stranger --role auditor --out stranger >/dev/null 2>&1
pl verify-bundle big.bundle --trust stranger.pub
expect "another operator's key" 1 "checkpoint: not signed by the trusted operator key"

# ---- the independent verification of docs/verifying-evidence.md --------
run python3 "$DOCS/verify_bundle.py" big.bundle operator.pub
expect "docs/verify_bundle.py accepts the model bundle" 0
expect_out "docs/verify_bundle.py says VERIFIED" "VERIFIED"
run python3 "$DOCS/verify_bundle.py" w1.bundle operator.pub
expect "docs/verify_bundle.py accepts the work bundle" 0
# step 5 by hand: each attachment through sha256sum
check "attachments through sha256sum" python3 -c '
import base64, gzip, json, subprocess, sys
b = json.loads(gzip.open(sys.argv[1]).read())
for name, data in b["attachments"].items():
    out = subprocess.run(["sha256sum"], input=base64.b64decode(data), capture_output=True).stdout
    assert out.split()[0].decode() == name, name
' big.bundle
if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
	export GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" GOFLAGS=
	run go run "$INTEROP/bundlecheck.go" big.bundle operator.pub
	expect "Go sumdb/note + sumdb/tlog accept the bundle" 0
	expect_out "Go checked every proof" "VERIFIED"
else
	skip "Go sumdb/tlog interop" "go or golang-golang-x-mod-dev missing"
fi

# ---- forgeries: exit 1, naming the entry and the problem ----------------
cat >tamper.py <<'EOF'
import base64, gzip, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
mode, src, dst = sys.argv[1:4]
b = json.loads(gzip.open(src).read())
E = {e["seq"]: e for e in b["entries"]}
if mode == "envelope":      # one changed byte inside an envelope
    s = E[14]["envelope"]
    E[14]["envelope"] = s[:40] + ("A" if s[40] != "A" else "B") + s[41:]
elif mode == "proof":       # two entries' proofs swapped
    E[14]["proof"], E[15]["proof"] = E[15]["proof"], E[14]["proof"]
elif mode == "checkpoint":  # the checkpoint re-signed by another key
    k = Ed25519PrivateKey.generate()
    pub = k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    text = b["checkpoint"].split("\n\n")[0] + "\n"
    kid = hashlib.sha256(b["origin"].encode() + b"\n\x01" + pub).digest()[:4]
    sig = base64.b64encode(kid + k.sign(text.encode())).decode()
    b["checkpoint"] = text + "\n\u2014 " + b["origin"] + " " + sig + "\n"
elif mode == "missing":     # the dataset big@1 was trained on, removed
    b["entries"] = [e for e in b["entries"] if e["seq"] != 14]
elif mode == "claim":       # the claim on base@1, left out
    b["entries"] = [e for e in b["entries"] if e["seq"] != 21]
elif mode == "grant":       # the lab's grant, left out
    b["entries"] = [e for e in b["entries"] if e["seq"] != 6]
elif mode == "extra":       # an unrelated entry, validly proven and signed
    o = json.loads(gzip.open(sys.argv[4]).read())
    b["entries"] = sorted(b["entries"] + [e for e in o["entries"] if e["seq"] == 19],
                          key=lambda e: e["seq"])
elif mode == "attachment":  # an attachment's bytes changed
    for k in b["attachments"]:
        b["attachments"][k] = base64.b64encode(b"other bytes").decode()
out = json.dumps(b, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
gzip.open(dst, "wb").write(out.encode())
EOF
forged() { # forged NAME MODE EXPECTED_STDERR
	python3 tamper.py "$2" big.bundle "$2.bundle" other.bundle
	pl verify-bundle "$2.bundle" --trust operator.pub
	expect "$1" 1 "$3"
	run python3 "$DOCS/verify_bundle.py" "$2.bundle" operator.pub
	expect "$1: docs/verify_bundle.py refuses it too" 1
}
forged "a changed byte in an envelope" envelope "seq 14"
forged "a swapped proof" proof "seq 15 (model big@1): inclusion proof does not lead"
forged "a checkpoint signed by another key" checkpoint "checkpoint: not signed by the trusted operator key"
forged "a missing entry the lineage needs" missing "seq 15 (model big@1): its dataset (seq 14) is missing"
forged "a claim that existed at the checkpoint, left out" claim "seq 12 (model base@1): its attestation.subject referrer (seq 21) is missing"
forged "a grant that existed at the checkpoint, left out" grant "its grant.key referrer (seq 6) is missing"
forged "an altered attachment" attachment "its bytes hash to"
python3 tamper.py extra big.bundle extra.bundle other.bundle
pl verify-bundle extra.bundle --trust operator.pub
expect "an extra unrelated entry" 1 "seq 19 (model other@1): not part of the lineage of model:big@1"
pl --json verify-bundle extra.bundle --trust operator.pub
expect "forgery --json exits 1" 1
check "forgery --json lists the problem" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is False and any("not part of the lineage" in p for p in d["problems"])
assert [e["verified"] for e in d["entries"] if e["seq"] == 19] == [False]
' "$OUT"

# ---- malformed input: exit 3 --------------------------------------------
head -c 3000 big.bundle >trunc.bundle
pl verify-bundle trunc.bundle --trust operator.pub
expect "truncated gzip" 3 "truncated gzip stream"
gzip -dc big.bundle >plain.json
pl verify-bundle plain.json --trust operator.pub
expect "not gzip" 3 "not a gzip file"
echo "this is not JSON" | gzip >notjson.bundle
pl verify-bundle notjson.bundle --trust operator.pub
expect "gzip of not-JSON" 3 "invalid JSON"
echo '{"format":"provledger-bundle/v0"}' | gzip >fmt.bundle
pl verify-bundle fmt.bundle --trust operator.pub
expect "another format" 3 '"format" is not "provledger-bundle/v1"'
pl verify-bundle absent.bundle --trust operator.pub
expect "missing bundle" 3 "absent.bundle"

# A gzip bomb: 2 GiB of zeros in ~2 MB. Built from one deflate chunk of 16 MiB
# repeated after full flushes (byte for byte what `head -c 2G /dev/zero | gzip`
# decompresses to, in seconds instead of a minute); a valid gzip file.
python3 -c '
import struct, sys, zlib
z = bytes(1 << 24)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
chunk = c.compress(z) + c.flush(zlib.Z_FULL_FLUSH)
end = c.flush()
crc = 0
for _ in range(128):
    crc = zlib.crc32(z, crc)
with open(sys.argv[1], "wb") as f:
    f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
    f.write(chunk * 128)
    f.write(end + struct.pack("<II", crc, (128 << 24) & 0xFFFFFFFF))
' bomb.gz
check "the bomb is small" test "$(stat -c %s bomb.gz)" -lt 4000000
start=$(date +%s)
if [ -x /usr/bin/time ]; then
	run /usr/bin/time -f "maxrss %M" "$PL" verify-bundle bomb.gz --trust operator.pub
	expect "gzip bomb refused at the default 1 GiB cap" 3 "decompresses to more than 1073741824 bytes"
	rss=$(sed -n 's/^maxrss //p' "$ERR")
	# bounded: a fixed 64 KiB scratch buffer; generous for sanitizer builds
	check "gzip bomb: peak memory stays bounded (${rss} KiB)" test "${rss:-999999}" -lt 262144
else
	pl verify-bundle bomb.gz --trust operator.pub
	expect "gzip bomb refused at the default 1 GiB cap" 3 "decompresses to more than"
	skip "gzip bomb peak memory" "/usr/bin/time missing"
fi
check "gzip bomb refused quickly" test $(($(date +%s) - start)) -lt 60
pl verify-bundle bomb.gz --trust operator.pub --max-size 1M
expect "--max-size 1M" 3 "decompresses to more than 1048576 bytes"
pl verify-bundle big.bundle --trust operator.pub --max-size 1K
expect "--max-size below a real bundle" 3 "the --max-size cap"

# ---- a lineage made with the real commands ------------------------------
mkdir real && cd real || exit 2
pl --ledger R init --origin example.org/real
expect "real: init" 0
for k in lab:lab holder:rights-holder authority:authority; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null 2>&1
	"$PL" --ledger R key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
pl --ledger R key grant authority --role authority --key R/keys/operator.key
expect "real: the operator grants authority" 0
pl --ledger R key grant lab --role lab --key authority.key
expect "real: the authority grants lab" 0
python3 -c '
import random
r = random.Random(7)
words = ["w%d" % r.randrange(100000) for _ in range(400)]
open("book.txt", "w").write(" ".join(words) + "\n")
import json
with open("web.jsonl", "w") as f:
    f.write(json.dumps({"text": "an unrelated page about the weather " * 10}) + "\n")
    f.write(json.dumps({"text": " ".join(words[50:300])}) + "\n")
'
pl --ledger R --json work register book.txt --title Book --holder "Holder Press" --key holder.key
expect "real: work register" 0
WR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["work"])' "$OUT" 2>/dev/null)
pl --ledger R dataset register --name web --version 1 web.jsonl --key lab.key
check "real: dataset register (exit 0 or 1 when it matches)" test "$RC" -le 1
pl --ledger R model register --name m --version 1 --dataset web@1 --training-flop 1e24 \
	--parameters 7e9 --key lab.key
expect "real: model register" 0
pl --ledger R attest training-licence --subject m@1 --max-training-flop 1e25 \
	--conditions none --key authority.key
expect "real: attest" 0
# a claim and its revocation, both in the bundle; leaving the revocation out
# is detected by both verifiers
pl --ledger R attest claim --subject m@1 --work "$WR" --dataset web@1 --statement copied \
	--key holder.key
expect "real: claim" 0
CLAIM=$(sed -n 's/.* as entry //p' "$OUT")
pl --ledger R attest revocation --revokes "$CLAIM" --key holder.key
expect "real: revocation of the claim" 0
REV=$(sed -n 's/.* as entry //p' "$OUT")
pl --ledger R export m@1 --out m.bundle
expect "real: export m@1" 0
pl --ledger R export --work "$WR" --out wr.bundle
expect "real: export --work" 0
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' R/config >op.pub
rm -rf R
pl verify-bundle m.bundle --trust op.pub
expect "real: m@1 bundle verifies without the ledger" 0
expect_out "real: the model" "model m@1"
expect_out "real: the match" "work $WR"
expect_out "real: the licence" "attestation training-licence"
expect_out "real: the revoked claim is marked" "[verified, REVOKED at seq $REV]"
expect_out "real: the grant chain" "lab, granted by authority at seq"
expect_out "real: the findings" "policy:"
expect_out "real: what was checked" "every entry is in the log at size"
python3 - "$REV" <<'EOF2'
import gzip, json, sys
b = json.loads(gzip.open("m.bundle").read())
b["entries"] = [e for e in b["entries"] if e["seq"] != int(sys.argv[1])]
gzip.open("norev.bundle", "wb").write(json.dumps(b, sort_keys=True, separators=(",", ":")).encode())
EOF2
pl verify-bundle norev.bundle --trust op.pub
expect "real: a revocation left out is detected" 1 "its attestation.revokes referrer (seq $REV) is missing"
run python3 "$DOCS/verify_bundle.py" norev.bundle op.pub
expect "real: docs/verify_bundle.py detects it too" 1
expect_out "real: docs/verify_bundle.py names it" "entry $REV (attestation.revokes) refers to it"
pl verify-bundle wr.bundle --trust op.pub
expect "real: work bundle verifies" 0
expect_out "real: the work bundle holds the model" "model m@1"
run python3 "$DOCS/verify_bundle.py" m.bundle op.pub
expect "real: docs/verify_bundle.py accepts it" 0
cd .. || exit 2

finish
