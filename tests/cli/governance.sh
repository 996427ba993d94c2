#!/bin/bash
# governance.sh - compute governance end to end: a vendor registers a batch of
# accelerators (serial digests and their RFC 6962 root checked here by an
# independent Python computation), chips move between labs by transfer and
# acceptance (conserved, never owned twice), models name the batches they
# trained on, and an authority records a moratorium, an export restriction
# and capability vocabulary. Each new finding is raised and then cleared (or
# shown absent in the case that must not raise it), and a bundle's findings
# equal lineage's.
. "$(dirname "$0")/lib.sh"
FX=${PL_TOOLS:?set PL_TOOLS to the test tools directory}/pl_fixture
export PROVLEDGER_TIME=1790000000 # 2026-09-21T14:13:20Z
L="--ledger L"
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
size() { "$PL" $L log --json | wc -c; }
# refused NAME STDERR ARGS...: exit 3, the message, and nothing appended
refused() {
	local name=$1 msg=$2 before
	shift 2
	before=$(size)
	pl $L "$@"
	expect "$name" 3 "$msg" && check "$name: nothing appended" [ "$(size)" = "$before" ]
}
codes() { "$PL" $L --json lineage "$1" | python3 -c 'import json,sys; print(" ".join(sorted(set(f["code"] for f in json.load(sys.stdin)["findings"]))))'; }

pl $L init
expect "init" 0
for k in acme:lab beta:lab aisi:authority nv:vendor redteam:evaluator fake:vendor; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null 2>&1
	"$PL" $L key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
pl $L key grant aisi --role authority --key L/keys/operator.key
expect "the operator grants the authority" 0
for k in acme:lab beta:lab nv:vendor redteam:evaluator; do
	"$PL" $L key grant "${k%%:*}" --role "${k#*:}" --key aisi.key >/dev/null 2>&1
done
pl help roles
expect_out "help roles lists the vendor role" "vendor"

# ---- a batch -------------------------------------------------------------------
seq -f "GPU-%05g" 1 1000 >serials.txt
printf '  \n' >>serials.txt
refused "a vendor key not granted cannot register" "needs a vendor key whose role is in force" \
	hardware register --name b1 --model H100 --serials serials.txt --peak-flops 989e12 \
	--owner acme --jurisdiction US --key fake.key
refused "a lab cannot register hardware" "needs a vendor key" hardware register --name b1 \
	--model H100 --serials serials.txt --peak-flops 989e12 --owner acme --jurisdiction US \
	--key acme.key
printf 'A\nB\nA\n' >dup.txt
refused "a serial twice" "serial list line 3: serial 'A' again" hardware register --name b0 \
	--model H100 --serials dup.txt --peak-flops 1e15 --owner acme --jurisdiction US --key nv.key
printf '\n \n' >empty.txt
refused "no serial" "the serial list holds no serial number" hardware register --name b0 \
	--model H100 --serials empty.txt --peak-flops 1e15 --owner acme --jurisdiction US --key nv.key
refused "a bad peak" "--peak-flops" hardware register --name b0 --model H100 \
	--serials serials.txt --peak-flops 1.5 --owner acme --jurisdiction US --key nv.key
refused "an unknown owner" "no key named 'nobody'" hardware register --name b0 --model H100 \
	--serials serials.txt --peak-flops 1e15 --owner nobody --jurisdiction US --key nv.key
pl $L hardware register --name b1 --model H100 --serials serials.txt --peak-flops 989e12 \
	--owner acme --jurisdiction US --key nv.key
expect "the vendor registers 1000 chips" 0
expect_out "register prints the seq" "registered hardware batch b1 as entry"
B1=$("$PL" $L --json hardware show b1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
refused "a batch name twice" "hardware batch b1 is already registered" hardware register \
	--name b1 --model H100 --serials serials.txt --peak-flops 989e12 --owner acme \
	--jurisdiction US --key nv.key
pl $L --json show "$B1"
check "the entry holds the serial digests' sha256 and RFC 6962 root (independent check)" \
	python3 - "$OUT" serials.txt L <<'PY'
import hashlib, json, sys, os
d = json.load(open(sys.argv[1]))
pred = d["statement"]["predicate"] if "statement" in d else d["entry"]["statement"]["predicate"]
lines = [l.strip() for l in open(sys.argv[2]) if l.strip()]
digests = [hashlib.sha256(l.encode()).digest() for l in lines]
att = "".join(x.hex() + "\n" for x in digests).encode()
def root(leaves):
    if len(leaves) == 1:
        return hashlib.sha256(b"\0" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\1" + root(leaves[:k]) + root(leaves[k:])).digest()
assert pred["count"] == 1000, pred
assert pred["serials"]["sha256"] == hashlib.sha256(att).hexdigest()
assert pred["serials"]["merkle"] == root(digests).hex()
blob = os.path.join(sys.argv[3], "blobs", pred["serials"]["sha256"])
assert not os.path.exists(blob) or open(blob, "rb").read() == att
PY

# ---- transfers: conserved, never owned twice ----------------------------------------
refused "a transfer of chips the signer does not hold" "holds no chip of batch b1" \
	hardware transfer --batch b1 --to beta --count 10 --jurisdiction US --key beta.key
refused "a transfer to an unknown key" "no key named 'nobody'" hardware transfer --batch b1 \
	--to nobody --count 10 --jurisdiction US --key acme.key
pl $L hardware transfer --batch b1 --to beta --count 300 --jurisdiction CN --key acme.key
expect "acme transfers 300 chips to beta" 0
expect_out "the transfer names the chips" "transfer of chips 0..299 of batch b1 to beta"
T1=$("$PL" $L --json log --type hardware --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["seq"])')
pl $L --json hardware list
check "pending: acme still holds 1000, 300 of them pending" \
	[ "$(js '[(h["chips"],h["pending"]) for h in d["batches"][0]["holders"]]' "$OUT")" = "[(1000, 300)]" ]
refused "acme cannot move the pending chips again" "no run of 800 free chips" hardware transfer \
	--batch b1 --to beta --count 800 --jurisdiction CN --key acme.key
refused "only the recipient accepts" "only that key accepts it" hardware accept "$T1" --key acme.key
refused "accept of an entry that is not a transfer" "is not a hardware transfer" \
	hardware accept "$B1" --key beta.key
pl $L hardware accept "$T1" --key beta.key
expect "beta accepts" 0
refused "accepted twice" "was already accepted by entry" hardware accept "$T1" --key beta.key
pl $L hardware transfer --batch b1 --to acme --count 100 --jurisdiction US --key beta.key
expect "beta sends 100 back" 0
T2=$("$PL" $L --json log --type hardware --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["seq"])')
pl $L hardware accept "$T2" --key acme.key
expect "acme accepts them" 0
pl $L --json hardware show b1
check "chips conserved: every chip has exactly one owner, runs cover 0..999 in order" python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = d["chips"]
assert runs[0]["from"] == 0 and runs[-1]["to"] == 999, runs
for a, b in zip(runs, runs[1:]):
    assert a["to"] + 1 == b["from"], runs
tot = {}
for r in runs:
    assert r["count"] == r["to"] - r["from"] + 1
    tot[r["owner_name"]] = tot.get(r["owner_name"], 0) + r["count"]
assert tot == {"acme": 800, "beta": 200}, tot
assert sum(h["chips"] for h in d["holders"]) == 1000
assert [t["accepted_by"] is not None for t in d["transfers"]] == [True, True]
PY
pl $L hardware show b1
expect_out "show: who holds which chip" "100..299 (200)  beta  in CN"
pl $L hardware list
expect_out "list: the holders" "acme 800, beta 200"
pl $L verify
expect "verify re-applies the hardware rules from git" 0

# ---- models on registered hardware ----------------------------------------------
run "$FX" L dataset acme.key web 1 "web-000.jsonl:1000:250000"
check "fixture: dataset web@1" [ "$RC" -eq 0 ]
run "$FX" L dataset beta.key chat 1 "chat-000.jsonl:100:25000"
check "fixture: dataset chat@1" [ "$RC" -eq 0 ]
export PROVLEDGER_TIME=1790001000
refused "a model on more chips than the batch has" "batch b1 has 1000 chips" model register \
	--name x --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 \
	--hardware-batch b1:1001 --key acme.key
refused "a model on an unknown batch" "no hardware batch nope" model register --name x \
	--version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --hardware-batch nope \
	--key acme.key
# held: 800 chips from 2026-09-22 to 2026-12-01 at 989 TFLOP/s: 800*989e12*0.2*6048000 = 9.6e23
pl $L model register --name held --version 1 --dataset web@1 --training-flop 1e24 \
	--parameters 1e10 --hardware-batch b1:800 --started 2026-09-22T00:00:00Z \
	--finished 2026-12-01T00:00:00Z --key acme.key
expect "a model on 800 chips its lab holds" 0
check "hardware-not-held: absent when the lab holds them" [ -z "$(codes held@1)" ]
pl $L model register --name over --version 1 --dataset web@1 --training-flop 1e24 \
	--parameters 1e10 --hardware-batch b1 --started 2026-09-22T00:00:00Z \
	--finished 2026-12-01T00:00:00Z --key acme.key
expect "a model on all 1000 chips" 0
pl $L --json lineage over@1
check "hardware-not-held: raised, naming held count" \
	python3 -c 'import json,sys; f=[x for x in json.load(open(sys.argv[1]))["findings"] if x["code"]=="hardware-not-held"]; assert len(f)==1 and "held 800 of them" in f[0]["message"] and f[0]["severity"]=="error", f' "$OUT"
pl $L model register --name early --version 1 --dataset chat@1 --training-flop 1e20 \
	--parameters 1e9 --hardware-batch b1:100 --started 2026-09-01T00:00:00Z --key beta.key
expect "beta's run started before its chips arrived" 0
check "hardware-not-held: a run started before the transfer" [ "$(codes early@1)" = "hardware-not-held" ]

refused "a batch named twice on one model" "batch b1 is named twice" model register \
	--name twice --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 \
	--hardware-batch b1:500 --hardware-batch b1:500 --key acme.key
pl $L model register --name ancient --version 1 --dataset web@1 --training-flop 1e20 \
	--parameters 1e9 --hardware-batch b1:10 --started 2024-01-01T00:00:00Z \
	--finished 2024-02-01T00:00:00Z --key acme.key
expect "a run dated before the batch was registered" 0
check "hardware-not-held: nobody held the chips before the batch existed" \
	[ "$(codes ancient@1)" = "hardware-not-held" ]

# compute: a big batch that could do far more than declared
seq -f "TPU-%06g" 1 20000 >big.txt
pl $L hardware register --name b2 --model TPUv9 --serials big.txt --peak-flops 2e15 \
	--owner acme --jurisdiction US --key nv.key
expect "a batch of 20000 chips" 0
export PROVLEDGER_TIME=1790002000
# 20000 * 2e15 * 0.2 * 60 days (5184000 s) = 4.147e25
pl $L model register --name small --version 1 --dataset web@1 --training-flop 2e24 \
	--parameters 1e11 --hardware-batch b2 --started 2026-10-01T00:00:00Z \
	--finished 2026-11-30T00:00:00Z --key acme.key
expect "a run declaring 2e24 on 20000 chips for 60 days" 0
pl $L --json lineage small@1
check "compute-possibly-underreported: raised with the capacity" \
	python3 -c 'import json,sys; f=[x for x in json.load(open(sys.argv[1]))["findings"] if x["code"]=="compute-possibly-underreported"]; assert len(f)==1 and "4.147e+25 FLOP" in f[0]["message"] and f[0]["severity"]=="warning", f' "$OUT"
pl $L model register --name honest --version 1 --dataset web@1 --training-flop 5e28 \
	--parameters 1e11 --hardware-batch b2 --started 2026-10-01T00:00:00Z \
	--finished 2026-11-30T00:00:00Z --key acme.key
expect "a run declaring 5e28" 0
check "compute-possibly-underreported: absent when the declared compute covers it" \
	bash -c "! grep -q compute-possibly <<<'$(codes honest@1)'"
check "held@1 (capacity 9.6e23 < 1e25): no compute finding" [ -z "$(codes held@1)" ]
pl $L model register --name open --version 1 --dataset web@1 --training-flop 2e24 \
	--parameters 1e11 --hardware-batch b2 --started 2026-08-01T00:00:00Z --key acme.key
expect "a run still going (no --finished) since 2026-08-01" 0
check "compute-possibly-underreported: a running run is judged up to the newest entry" \
	bash -c "grep -q compute-possibly <<<'$(codes open@1)'"

# ---- a moratorium ------------------------------------------------------------------
refused "a moratorium by a lab" "needs an authority key" attest moratorium \
	--threshold-flop 1e26 --from 2026-10-15T00:00:00Z --jurisdiction global --key acme.key
refused "a moratorium without a threshold" "needs --threshold-flop" attest moratorium \
	--from 2026-10-15T00:00:00Z --jurisdiction global --key aisi.key
refused "a moratorium ending before it starts" "is not after --from" attest moratorium \
	--threshold-flop 1e26 --from 2026-10-15T00:00:00Z --until 2026-10-01T00:00:00Z \
	--jurisdiction global --key aisi.key
pl $L --json attest moratorium --threshold-flop 1e26 --from 2026-10-15T00:00:00Z \
	--until 2027-01-01T00:00:00Z --jurisdiction US --statement "pause above 1e26" --key aisi.key
expect "the authority declares a moratorium in the US" 0
MOR=$(js 'd["entry"]["seq"]' "$OUT")
check "attest --json: a moratorium has no subject name" [ "$(js 'd["subject"]' "$OUT")" = None ]
check "moratorium-violated: honest@1 (5e28, US chips, overlapping)" \
	bash -c "grep -q moratorium-violated <<<'$(codes honest@1)'"
check "not for small@1 (below the threshold)" bash -c "! grep -q moratorium <<<'$(codes small@1)'"
pl $L model register --name eu --version 1 --dataset web@1 --training-flop 2e26 \
	--parameters 1e11 --jurisdiction EU --started 2026-11-01T00:00:00Z \
	--finished 2026-11-20T00:00:00Z --key acme.key
expect "a big run in the EU" 0
check "not in another jurisdiction" bash -c "! grep -q moratorium <<<'$(codes eu@1)'"
pl $L model register --name before --version 1 --dataset web@1 --training-flop 2e26 \
	--parameters 1e11 --jurisdiction US --started 2026-09-01T00:00:00Z \
	--finished 2026-10-01T00:00:00Z --key acme.key
expect "a big US run that ended before it" 0
check "not before its window" bash -c "! grep -q moratorium <<<'$(codes before@1)'"
refused "--lifts names a non-moratorium" "entry $B1 is not an attestation" attest \
	training-licence --subject honest@1 --max-training-flop 1e29 --conditions c \
	--lifts "$B1" --key aisi.key
pl $L attest training-licence --subject honest@1 --max-training-flop 1e29 --conditions "lifted" \
	--lifts "$MOR" --key aisi.key
expect "a licence lifting the moratorium for honest@1" 0
check "moratorium-violated: cleared by the licence" bash -c "! grep -q moratorium <<<'$(codes honest@1)'"
pl $L verify --policy
check "verify --policy: moratorium findings gone, hardware ones stay" \
	bash -c "! grep -q moratorium-violated '$OUT' && grep -q hardware-not-held '$OUT'"

# ---- an export restriction --------------------------------------------------------
pl $L --json attest export-restriction --jurisdiction CN --from 2026-01-01T00:00:00Z \
	--hardware-model H100 --key aisi.key
expect "an export restriction on H100 into CN" 0
EXR=$(js 'd["entry"]["seq"]' "$OUT")
pl $L --json verify --policy
check "export-restricted-transfer: the transfer of 300 H100 into CN" \
	python3 -c 'import json,sys; f=[x for x in json.load(open(sys.argv[1]))["findings"] if x["code"]=="export-restricted-transfer"]; assert len(f)==1 and f[0]["subject_type"]=="hardware" and "moved 300 H100 chips into CN" in f[0]["message"], f' "$OUT"
pl $L attest export-restriction --jurisdiction CN --from 2026-01-01T00:00:00Z \
	--hardware-model TPUv9 --key aisi.key
expect "a restriction on another model" 0
pl $L attest revocation --revokes "$EXR" --key aisi.key
expect "the authority revokes the H100 restriction" 0
pl $L --json verify --policy
check "export-restricted-transfer: cleared by the revocation" \
	bash -c "! grep -q export-restricted '$OUT'"
pl $L attest export-restriction --jurisdiction global --from 2026-01-01T00:00:00Z \
	--hardware-model TPUv9 --key aisi.key
expect "a global restriction on TPUv9" 0
pl $L --json verify --policy
check "export-restricted-transfer: a global restriction covers b2's delivery into the US" \
	python3 -c 'import json,sys; f=[x for x in json.load(open(sys.argv[1]))["findings"] if x["code"]=="export-restricted-transfer"]; assert len(f)==1 and "b2: its delivery moved 20000 TPUv9 chips into US" in f[0]["message"], f' "$OUT"
GX=$("$PL" $L --json log --type attestation --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["seq"])')
pl $L attest revocation --revokes "$GX" --key aisi.key
expect "revoked again" 0
refused "a moratorium takes no subject" "a moratorium is about the whole ledger: it takes no --subject" \
	attest moratorium --subject held@1 --threshold-flop 1e26 --from 2026-10-15T00:00:00Z \
	--jurisdiction US --key aisi.key

# ---- the capability vocabulary ------------------------------------------------------
refused "an evaluation naming an unknown capability" "capability 'wmd-x' is not in the vocabulary" \
	attest evaluation --subject held@1 --suite s --result wmd-x=pass --key redteam.key
refused "a vocabulary entry by an evaluator" "needs an authority key" attest \
	capability-vocabulary --capability wmd-x --key redteam.key
refused "a malformed capability name" "capabilities[0] is not a name" attest \
	capability-vocabulary --capability "Bad Name" --key aisi.key
pl $L attest capability-vocabulary --capability wmd-x --key aisi.key
expect "the authority extends the vocabulary" 0
pl $L attest evaluation --subject held@1 --suite s --result wmd-x=fail --dangerous wmd-x \
	--key redteam.key
expect "now an evaluation may name it" 0
check "dangerous-capability with the new name" bash -c "grep -q dangerous-capability <<<'$(codes held@1)'"

# a mitigated descendant's evaluation clears the base's dangerous capability
refused "only the base's lab declares a mitigated version" "only the lab of model seq" \
	model register --name notmine --version 1 --base held@1 --dataset chat@1 \
	--training-flop 1e20 --parameters 1e10 --mitigates held@1 --key beta.key
refused "--mitigates must name a base" "--mitigates held@1 is not one of its --base models" \
	model register --name safe --version 1 --dataset web@1 --training-flop 1e20 \
	--parameters 1e10 --mitigates held@1 --key acme.key
pl $L model register --name safe --version 1 --base held@1 --relation finetune --dataset web@1 \
	--training-flop 1e20 --parameters 1e10 --mitigates held@1 --key acme.key
expect "a fine-tune declared as held@1's mitigated version" 0
check "still a finding before the descendant is evaluated" \
	bash -c "grep -q dangerous-capability <<<'$(codes held@1)'"
pl $L attest evaluation --subject safe@1 --suite s --result wmd-x=pass --key redteam.key
expect "the mitigated model is evaluated clean" 0
check "dangerous-capability: cleared through the mitigated descendant" \
	bash -c "! grep -q dangerous-capability <<<'$(codes held@1)'"

# ---- bundles: the same findings offline --------------------------------------------
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' L/config >operator.pub
for m in over@1 early@1 small@1 honest@1 held@1; do
	pl $L export "$m" --out "$m.bundle"
	pl --json verify-bundle "$m.bundle" --trust operator.pub
	check "bundle of $m: subject index verified, only the fixture's sketch missing" \
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["subject_index_verified"] and all("sketch attachment" in p for p in d["problems"]), d["problems"]' "$OUT"
	check "bundle of $m: findings equal lineage's" [ "$(js '" ".join(sorted(set(f["code"] for f in d["findings"])))' "$OUT")" = "$(codes "$m")" ]
done
pl verify-bundle over@1.bundle --trust operator.pub
expect_out "verify-bundle prints the batch" "hardware batch b1 (seq $B1) [verified]: 1000 H100 chips"
expect_out "verify-bundle prints the transfers" "hardware transfer (seq $T1) [verified]: chips 0..299"
zcat over@1.bundle 2>/dev/null >over.json || cp over@1.bundle over.json
check "the bundle carries the batch, both transfers and both acceptances" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s={e["seq"] for e in d["entries"]}; assert {int(x) for x in sys.argv[2:]} <= s, s' over.json "$B1" "$T1" "$T2"
# a remote reader (a static tlog-tiles mirror) sees the same registry and findings
pl $L tiles export tiles
expect "tiles export" 0
"$PL" $L hardware show b1 >local.txt
pl --remote "file://$T/tiles" --trust operator.pub hardware show b1
check "--remote hardware show equals the local one" cmp -s "$OUT" local.txt
"$PL" $L --json verify --policy | python3 -c 'import json,sys; print(sorted(f["code"] for f in json.load(sys.stdin)["findings"]))' >local.txt
pl --remote "file://$T/tiles" --trust operator.pub --json verify --policy
check "--remote verify --policy: the same findings" \
	[ "$(python3 -c 'import json,sys; print(sorted(f["code"] for f in json.load(open(sys.argv[1]))["findings"]))' "$OUT")" = "$(cat local.txt)" ]
pl $L verify --policy
expect "verify --policy exits 1 on the findings" 1
pl $L verify
expect "verify: clean" 0
finish
