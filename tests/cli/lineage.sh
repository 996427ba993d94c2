#!/bin/bash
# lineage.sh - model register, attest, lineage and verify --policy, end to end:
# two labs, an authority, an evaluator, a rights holder; a frontier base model
# without a licence and a chain of three fine-tunes; a dataset whose check
# matched an all-rights-reserved work. Works, checks and datasets come from
# build/pl_fixture (the library), since no command writes them yet.
. "$(dirname "$0")/lib.sh"
FX=${PL_TOOLS:?set PL_TOOLS to the test tools directory}/pl_fixture
export PROVLEDGER_TIME=1790000000
L="--ledger L"

pl $L init
expect "init" 0
for k in acme:lab beta:lab aisi:authority redteam:evaluator press:rights-holder; do
	pl key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}"
	pl $L key register "${k%%:*}.pub" --key "${k%%:*}.key"
done
expect "five keys registered" 0
# roles are granted, not claimed: the operator grants the authority, which
# grants the labs and the evaluator (entries 6 to 9)
pl $L key grant aisi --role authority --key L/keys/operator.key
expect "the operator grants authority" 0
for k in acme:lab beta:lab redteam:evaluator; do
	pl $L key grant "${k%%:*}" --role "${k#*:}" --key aisi.key
done
expect "the authority grants lab and evaluator" 0
pl $L verify --policy
expect "verify --policy: nothing to find" 0
expect_out "verify --policy prints no findings" "policy: no findings"

W1=W0123456789abcdef W2=Wfedcba9876543210
run "$FX" L work press.key $W1 "A Novel" "Press Ltd" all-rights-reserved
check "fixture: reserved work" [ "$RC" -eq 0 ]
run "$FX" L work press.key $W2 "Open Essays" "Commons" "licensed:CC-BY-4.0"
check "fixture: licensed work" [ "$RC" -eq 0 ]
run "$FX" L dataset acme.key web 1 "web-000.jsonl:1000:250000,web-001.jsonl:500:125000" $W1 $W2 $W1
check "fixture: dataset web@1 and its check" [ "$RC" -eq 0 ] && [ "$(cat "$OUT")" = "12 13" ]
run "$FX" L dataset beta.key chat 1 "chat.jsonl:200:40000"
check "fixture: clean dataset chat@1" [ "$RC" -eq 0 ] && [ "$(cat "$OUT")" = "14 15" ]

size() { "$PL" $L log --json | wc -c; }
# refused NAME STDERR ARGS...: exit 3, the message, and nothing appended
refused() {
	local name=$1 msg=$2 before
	shift 2
	before=$(size)
	pl $L "$@"
	expect "$name" 3 "$msg" && check "$name: nothing appended" [ "$(size)" = "$before" ]
}

pl $L model register --name atlas --version 1 --dataset web@1 --training-flop 3.8e25 \
	--parameters 1200000000000 --hardware H100:16384 --started 2026-01-01T00:00:00Z \
	--finished 2026-03-01T00:00:00Z --key acme.key
expect "register frontier base model" 0
expect_out "register prints the canonical figures" \
	"registered model atlas@1 as entry 16 (training_flop 3.8e25, parameters 1.2e12, frontier)"
printf 'weights' >w1.bin
pl $L model register --name atlas-chat --version 1 --dataset chat@1 --base atlas@1 \
	--training-flop 2E+22 --parameters 1.2e12 --weights w1.bin --key beta.key
expect "fine-tune 1 (with weights)" 0
pl $L model register --name atlas-chat --version 2 --dataset chat@1 --base atlas-chat@1 \
	--training-flop 3000000000000000000000 --parameters 1.2e12 --key beta.key
expect "fine-tune 2" 0
pl $L --json model register --name atlas-chat --version 3 --dataset chat@1 \
	--base atlas-chat@2 --training-flop 1e21 --parameters 7e9 --key beta.key
expect "fine-tune 3" 0
check "fine-tune 3 JSON: canonical figures, not frontier, entry 19" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["frontier"] is False and d["training_flop"]=="1e21" and d["parameters"]=="7e9" and d["entry"]["seq"]==19' "$OUT"

# attestations: a licence for atlas-chat@1, revoked; an evaluation that found
# a dangerous capability and a deployment approval relying on it
pl $L attest training-licence --subject atlas-chat@1 --max-training-flop 1e23 \
	--conditions "quarterly reports" --key aisi.key
expect "licence for atlas-chat@1" 0
expect_out "attest prints the seq" "appended training-licence attestation as entry 20"
pl $L attest revocation --revokes 20 --key aisi.key
expect "authority revokes its licence" 0
pl $L attest training-licence --subject atlas-chat@2 --max-training-flop 1e21 \
	--conditions "none" --key aisi.key
expect "licence below the model's compute" 0
pl $L attest evaluation --subject atlas-chat@3 --suite wmdp-2026 --result bio=pass \
	--result cyber=fail --dangerous cyber --key redteam.key
expect "evaluation with a dangerous capability" 0
pl $L attest deployment-approval --subject atlas-chat@3 --evaluation 23 --key aisi.key
expect "deployment approval" 0
pl $L attest claim --subject atlas@1 --work $W1 --check 12 --match 0 \
	--statement "chapter 3 copied verbatim" --key press.key
expect "claim through a check match" 0

# bad input: exit 3, a clear message, nothing appended
refused "unknown dataset" "no dataset named nope@1" model register --name x --version 1 \
	--dataset nope@1 --training-flop 1 --parameters 1 --key acme.key
refused "unknown base model" "no model named nope@2" model register --name x --version 1 \
	--dataset web@1 --base nope@2 --training-flop 1 --parameters 1 --key acme.key
refused "model names itself as base" "a model cannot be its own base (x@1)" model register \
	--name x --version 1 --dataset web@1 --base x@1 --training-flop 1 --parameters 1 --key acme.key
refused "duplicate registration" "model atlas@1 is already registered (seq 16)" model register \
	--name atlas --version 1 --dataset web@1 --training-flop 1 --parameters 1 --key acme.key
refused "model signed by an authority" "model register needs a lab key; aisi (SHA256:" model register \
	--name x --version 1 --dataset web@1 --training-flop 1 --parameters 1 --key aisi.key
refused "evaluation signed by a lab" "attest evaluation needs an evaluator key;" attest \
	evaluation --subject atlas@1 --suite s --result bio=pass --key acme.key
refused "licence signed by an evaluator" "needs an authority key; " attest training-licence \
	--subject atlas@1 --max-training-flop 1e26 --conditions c --key redteam.key
refused "claim signed by a lab" "attest claim needs a rights-holder key" attest claim \
	--subject web@1 --work $W1 --dataset web@1 --statement s --key acme.key
refused "licence for an unknown model" "no model named ghost@1" attest training-licence \
	--subject ghost@1 --max-training-flop 1e26 --conditions c --key aisi.key
refused "approval relying on another model's evaluation" "is not an evaluation of atlas@1" \
	attest deployment-approval --subject atlas@1 --evaluation 23 --key aisi.key
refused "revoking someone else's attestation" "only its signer can revoke it" attest \
	revocation --revokes 23 --key aisi.key
refused "revoking twice" "was already revoked by entry 21" attest revocation --revokes 20 \
	--key aisi.key
refused "claim on a work the check did not match" "check 14 has no match of $W1" \
	attest claim --subject chat@1 --work $W1 --check 14 --statement s --key press.key
refused "claim on an unregistered work" "no work W00000000000000aa is registered" \
	attest claim --subject web@1 --work W00000000000000aa --check 12 --statement s --key press.key
refused "claim through a check outside the subject's lineage" \
	"--check 12 is not a check of a dataset in the lineage of chat@1" \
	attest claim --subject chat@1 --work $W1 --check 12 --statement s --key press.key
pl key gen --name stranger --role lab --out stranger
refused "unregistered signer" "is not a registered key" model register --name x --version 1 \
	--dataset web@1 --training-flop 1 --parameters 1 --key stranger.key
for n in 1.5 -1 +5 0x10 inf nan "1 e5" .5e1 1e-3 1.25e1 01 1e05 "" 1e1000 3,8e25; do
	refused "malformed number '$n'" "is not a number" model register --name x --version 1 \
		--dataset web@1 --training-flop "$n" --parameters 1 --key acme.key
done
refused "malformed max_training_flop" "--max-training-flop: 'lots' is not a number" attest \
	training-licence --subject atlas@1 --max-training-flop lots --conditions c --key aisi.key
refused "malformed --hardware" "is not TYPE:COUNT" model register --name x --version 1 \
	--dataset web@1 --training-flop 1 --parameters 1 --hardware H100 --key acme.key
refused "malformed NAME@VERSION" "'web' is not NAME@VERSION" model register --name x \
	--version 1 --dataset web --training-flop 1 --parameters 1 --key acme.key
pl $L model register --name x --version 1 --dataset web@1 --key acme.key
expect "missing --training-flop is a usage error" 2 "are required"
pl $L attest --subject atlas@1 --key aisi.key
expect "missing KIND is a usage error" 2 "expected one KIND"
pl $L lineage ghost@1
expect "lineage of an unknown model" 3 "no model named ghost@1"
pl $L lineage atlas@1 --format svg
expect "lineage: unknown format" 2 "--format must be text, json or dot"

# the lineage, exactly (keyids and leaf hashes are random: normalised)
pl $L lineage atlas-chat@3 --json
expect "lineage --json" 0
cp "$OUT" lineage.json
cat >expected.json <<'EOF'
{
  "model": {"seq": 19, "leaf": "<leaf>", "name": "atlas-chat@3", "created": "2026-09-21T14:13:20Z", "lab": {"keyid": "<keyid>", "name": "beta"}, "training_flop": "1e21", "parameters": "7e9", "frontier": false, "weights": [], "datasets": ["chat@1"], "base_models": ["atlas-chat@2"], "base_relation": "finetune"},
  "base_models": [
    {"seq": 18, "leaf": "<leaf>", "name": "atlas-chat@2", "created": "2026-09-21T14:13:20Z", "lab": {"keyid": "<keyid>", "name": "beta"}, "training_flop": "3e21", "parameters": "1.2e12", "frontier": true, "weights": [], "datasets": ["chat@1"], "base_models": ["atlas-chat@1"], "base_relation": "finetune"},
    {"seq": 17, "leaf": "<leaf>", "name": "atlas-chat@1", "created": "2026-09-21T14:13:20Z", "lab": {"keyid": "<keyid>", "name": "beta"}, "training_flop": "2e22", "parameters": "1.2e12", "frontier": true, "weights": [{"name": "w1.bin", "sha256": "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"}], "datasets": ["chat@1"], "base_models": ["atlas@1"], "base_relation": "finetune"},
    {"seq": 16, "leaf": "<leaf>", "name": "atlas@1", "created": "2026-09-21T14:13:20Z", "lab": {"keyid": "<keyid>", "name": "acme"}, "training_flop": "3.8e25", "parameters": "1.2e12", "frontier": true, "hardware": {"accelerator": "H100", "count": 16384}, "started": "2026-01-01T00:00:00Z", "finished": "2026-03-01T00:00:00Z", "weights": [], "datasets": ["web@1"], "base_models": []}
  ],
  "datasets": [
    {"seq": 15, "leaf": "<leaf>", "name": "chat@1", "created": "2026-09-21T14:13:20Z", "lab": {"keyid": "<keyid>", "name": "beta"}, "sources": ["https://example.org/crawl"], "licences": [], "totals": {"shards": 1, "bytes": 200000, "records": 200, "tokens": 40000}, "shards": [{"path": "chat.jsonl", "sha256": "<sha256>", "records": 200, "tokens": 40000, "bytes": 200000, "format": "jsonl", "compression": "none"}], "checks": [{"seq": 14, "leaf": "<leaf>", "created": "2026-09-21T14:13:20Z", "records": 200, "matches": 0}], "works": [], "reserved_works": []},
    {"seq": 13, "leaf": "<leaf>", "name": "web@1", "created": "2026-09-21T14:13:20Z", "lab": {"keyid": "<keyid>", "name": "acme"}, "sources": ["https://example.org/crawl"], "licences": [], "totals": {"shards": 2, "bytes": 1875000, "records": 1500, "tokens": 375000}, "shards": [{"path": "web-000.jsonl", "sha256": "<sha256>", "records": 1000, "tokens": 250000, "bytes": 1250000, "format": "jsonl", "compression": "none"}, {"path": "web-001.jsonl", "sha256": "<sha256>", "records": 500, "tokens": 125000, "bytes": 625000, "format": "jsonl", "compression": "none"}], "checks": [{"seq": 12, "leaf": "<leaf>", "created": "2026-09-21T14:13:20Z", "records": 1500, "matches": 3}], "works": [{"work": "W0123456789abcdef", "matches": 2}, {"work": "Wfedcba9876543210", "matches": 1}], "reserved_works": ["W0123456789abcdef"]}
  ],
  "works": [
    {"work": "W0123456789abcdef", "seq": 10, "leaf": "<leaf>", "title": "A Novel", "creators": ["Press Ltd"], "holder": "Press Ltd", "terms": "all-rights-reserved", "registered": true, "reserved": true, "datasets": ["web@1"]},
    {"work": "Wfedcba9876543210", "seq": 11, "leaf": "<leaf>", "title": "Open Essays", "creators": ["Commons"], "holder": "Commons", "terms": "licensed:CC-BY-4.0", "registered": true, "reserved": false, "datasets": ["web@1"]}
  ],
  "attestations": [
    {"seq": 23, "leaf": "<leaf>", "kind": "evaluation", "subject": {"seq": 19, "leaf": "<leaf>", "name": "atlas-chat@3"}, "signer": {"keyid": "<keyid>", "name": "redteam"}, "issuer_role": "evaluator", "created": "2026-09-21T14:13:20Z", "revoked": false, "revoked_by": null, "suite": "wmdp-2026", "results": {"bio": "pass", "cyber": "fail"}, "dangerous_capabilities": ["cyber"]},
    {"seq": 24, "leaf": "<leaf>", "kind": "deployment-approval", "subject": {"seq": 19, "leaf": "<leaf>", "name": "atlas-chat@3"}, "signer": {"keyid": "<keyid>", "name": "aisi"}, "issuer_role": "authority", "created": "2026-09-21T14:13:20Z", "revoked": false, "revoked_by": null, "evaluations": [{"seq": 23, "leaf": "<leaf>"}]},
    {"seq": 22, "leaf": "<leaf>", "kind": "training-licence", "subject": {"seq": 18, "leaf": "<leaf>", "name": "atlas-chat@2"}, "signer": {"keyid": "<keyid>", "name": "aisi"}, "issuer_role": "authority", "created": "2026-09-21T14:13:20Z", "revoked": false, "revoked_by": null, "max_training_flop": "1e21", "conditions": "none"},
    {"seq": 20, "leaf": "<leaf>", "kind": "training-licence", "subject": {"seq": 17, "leaf": "<leaf>", "name": "atlas-chat@1"}, "signer": {"keyid": "<keyid>", "name": "aisi"}, "issuer_role": "authority", "created": "2026-09-21T14:13:20Z", "revoked": true, "revoked_by": {"seq": 21, "leaf": "<leaf>"}, "max_training_flop": "1e23", "conditions": "quarterly reports"},
    {"seq": 25, "leaf": "<leaf>", "kind": "claim", "subject": {"seq": 16, "leaf": "<leaf>", "name": "atlas@1"}, "signer": {"keyid": "<keyid>", "name": "press"}, "issuer_role": "rights-holder", "created": "2026-09-21T14:13:20Z", "revoked": false, "revoked_by": null, "work": "W0123456789abcdef", "check": {"seq": 12, "leaf": "<leaf>"}, "match": 0, "statement": "chapter 3 copied verbatim"}
  ],
  "findings": [
    {"code": "deployment-without-safe-evaluation", "severity": "error", "subject": "atlas-chat@3", "subject_type": "model", "seq": 19, "message": "model atlas-chat@3 has a deployment-approval (seq 24) but no unrevoked evaluation by an evaluator key that found no dangerous capability"},
    {"code": "dangerous-capability", "severity": "error", "subject": "atlas-chat@3", "subject_type": "model", "seq": 19, "message": "model atlas-chat@3: evaluation seq 23 found the dangerous capability 'cyber', and no later evaluation cleared it"},
    {"code": "model-reserved-works", "severity": "warning", "subject": "atlas-chat@3", "subject_type": "model", "seq": 19, "message": "model atlas-chat@3: its lineage contains dataset web@1, whose check found works under all-rights-reserved or opt-out terms"},
    {"code": "licence-exceeded", "severity": "error", "subject": "atlas-chat@2", "subject_type": "model", "seq": 18, "message": "model atlas-chat@2: training_flop 3e21 exceeds the max_training_flop of every training-licence: 1e21 (seq 22)"},
    {"code": "model-reserved-works", "severity": "warning", "subject": "atlas-chat@2", "subject_type": "model", "seq": 18, "message": "model atlas-chat@2: its lineage contains dataset web@1, whose check found works under all-rights-reserved or opt-out terms"},
    {"code": "unlicensed-frontier-model", "severity": "error", "subject": "atlas-chat@1", "subject_type": "model", "seq": 17, "message": "frontier model atlas-chat@1 (training_flop 2e22, parameters 1.2e12) has no unrevoked training-licence from an authority key"},
    {"code": "model-reserved-works", "severity": "warning", "subject": "atlas-chat@1", "subject_type": "model", "seq": 17, "message": "model atlas-chat@1: its lineage contains dataset web@1, whose check found works under all-rights-reserved or opt-out terms"},
    {"code": "unlicensed-frontier-model", "severity": "error", "subject": "atlas@1", "subject_type": "model", "seq": 16, "message": "frontier model atlas@1 (training_flop 3.8e25, parameters 1.2e12) has no unrevoked training-licence from an authority key"},
    {"code": "model-reserved-works", "severity": "warning", "subject": "atlas@1", "subject_type": "model", "seq": 16, "message": "model atlas@1: its lineage contains dataset web@1, whose check found works under all-rights-reserved or opt-out terms"},
    {"code": "dataset-reserved-works", "severity": "warning", "subject": "web@1", "subject_type": "dataset", "seq": 13, "message": "dataset web@1: its check found works under all-rights-reserved or opt-out terms: W0123456789abcdef \"A Novel\" (Press Ltd, all-rights-reserved)"}
  ]
}
EOF
# normalise: keyids, leaf hashes and fixture shard digests vary or are placeholders
cat >norm.py <<'EOF'
import json, re, sys
def norm(v, key=None):
    if isinstance(v, dict):
        return {k: norm(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if key == "leaf":
        assert re.fullmatch(r"[0-9a-f]{64}", v), v
        return "<leaf>"
    if key == "keyid":
        assert re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", v), v
        return "<keyid>"
    if key == "sha256" and isinstance(v, str) and v != EXPECTED_W1:
        return "<sha256>"
    return v
EXPECTED_W1 = "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"
got, want = norm(json.load(open(sys.argv[1]))), json.load(open(sys.argv[2]))
if got != want:
    json.dump(got, open("got.json", "w"), indent=1)
    print("differs from expected.json; see got.json")
    sys.exit(1)
EOF
check "lineage --json is exactly the expected document" python3 norm.py lineage.json expected.json
check "weights digest is sha256sum's" \
	grep -q "$(sha256sum w1.bin | cut -c1-64)" lineage.json

pl $L lineage atlas-chat@3
expect "lineage text" 0
expect_out "text: the model" "model atlas-chat@3 (seq 19)"
expect_out "text: a base" "base model atlas@1 (seq 16) [frontier]"
expect_out "text: the work" 'work W0123456789abcdef "A Novel" holder Press Ltd, terms all-rights-reserved; in web@1'
expect_out "text: revoked licence" "seq 20 training-licence on atlas-chat@1 by authority"
expect_out "text: revoked mark, as verify-bundle prints it" "[verified, REVOKED at seq 21]"
expect_out "text: the signer by name and keyid" \
	"seq 23 evaluation on atlas-chat@3 by evaluator redteam (SHA256:"
expect_out "text: a finding" "error unlicensed-frontier-model: frontier model atlas@1"

pl $L lineage atlas-chat@3 --format dot
expect "lineage dot" 0
cp "$OUT" lineage.dot
expect_out "dot: a fine-tune edge labelled with its relation" 'm19 -> m18 [label="finetune"]'
expect_out "dot: training edge" 'm16 -> d13 [label="trained on"]'
expect_out "dot: contains edge" 'd13 -> "w_W0123456789abcdef" [label="contains"]'
expect_out "dot: the findings as one list node in red" "findings [shape=box, color=red"
expect_out "dot: the list names each finding" 'error dangerous-capability: atlas-chat@3'
expect_out "dot: an edge from the findings to each flagged model" "findings -> m19 [color=red"
expect_out "dot: a failed evaluation in red" 'fillcolor="#f8d7da", color=red'
expect_out "dot: a legend" "subgraph cluster_legend"
expect_out "dot: the signer by name" 'label="evaluation\nseq 23 by evaluator\nredteam"'
if command -v dot >/dev/null; then
	run dot -Tsvg lineage.dot -o lineage.svg
	check "dot -Tsvg renders the lineage" [ "$RC" -eq 0 ] && grep -q "<svg" lineage.svg
else
	skip "dot -Tsvg renders the lineage" "graphviz not installed"
fi

# verify --policy: the audit passes, the findings fail it
pl $L --json verify --policy
expect "verify --policy exits 1 on findings" 1
cat >policy.py <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True and d["problems"] == [], d
want = [("dataset-reserved-works", "web@1", 13),
        ("unlicensed-frontier-model", "atlas@1", 16), ("model-reserved-works", "atlas@1", 16),
        ("unlicensed-frontier-model", "atlas-chat@1", 17), ("model-reserved-works", "atlas-chat@1", 17),
        ("licence-exceeded", "atlas-chat@2", 18), ("model-reserved-works", "atlas-chat@2", 18),
        ("deployment-without-safe-evaluation", "atlas-chat@3", 19),
        ("dangerous-capability", "atlas-chat@3", 19),
        ("model-reserved-works", "atlas-chat@3", 19)]
got = [(f["code"], f["subject"], f["seq"]) for f in d["findings"]]
assert got == want, got
lin = json.load(open(sys.argv[2]))["findings"]
# the same finding objects as lineage reports, in seq order
assert sorted(map(json.dumps, lin)) == sorted(map(json.dumps, d["findings"]))
EOF
check "verify --policy --json: exactly the expected findings" python3 policy.py "$OUT" lineage.json
pl $L verify --policy
expect "verify --policy text" 1 "policy: 10 findings"
expect_out "verify --policy prints each finding" "policy: error licence-exceeded: model atlas-chat@2"

# the index tables come back identical from git
pl $L reindex
expect "reindex" 0
pl $L lineage atlas-chat@3 --json
check "lineage after reindex is unchanged" cmp -s "$OUT" lineage.json

# ---- model relations (Hugging Face base_model_relation) ------------------------------------
pl $L model register --name atlas-q --version 1 --base atlas@1 --relation quantized \
	--training-flop 0 --parameters 1.2e12 --key acme.key
expect "a quantized model needs no dataset" 0
pl $L model register --name atlas-x --version 1 --base atlas@1 --training-flop 1e20 \
	--parameters 1e9 --key acme.key
expect "a fine-tune without a dataset is refused" 3 "a model needs at least one dataset"
pl $L model register --name atlas-x --version 1 --base atlas@1 --relation distillation \
	--training-flop 1e20 --parameters 1e9 --key acme.key
expect "a distillation without a dataset is refused" 3 "a model needs at least one dataset when it is a distillation"
pl $L model register --name atlas-x --version 1 --base atlas@1 --relation bogus \
	--training-flop 1e20 --parameters 1e9 --dataset web@1 --key acme.key
expect "an unknown relation is refused" 3 "not finetune, adapter, quantized, merge or distillation"
pl $L model register --name atlas-x --version 1 --relation adapter --dataset web@1 \
	--training-flop 1e20 --parameters 1e9 --key acme.key
expect "a relation without --base is refused" 3 "--relation adapter needs --base"
pl $L model register --name atlas-m --version 1 --base atlas@1 --relation merge \
	--training-flop 0 --parameters 1.2e12 --key acme.key
expect "a merge of one base is refused" 3 "a merge has at least two --base"
pl $L model register --name atlas-m --version 1 --base atlas@1 --base atlas-q@1 --relation merge \
	--training-flop 0 --parameters 1.2e12 --key acme.key
expect "a merge of two bases, no dataset" 0
pl $L model register --name atlas-a --version 1 --base atlas-m@1 --relation adapter \
	--dataset chat@1 --training-flop 1e20 --parameters 1e9 --key acme.key
expect "an adapter on the merge, with its data" 0
pl $L --json lineage atlas-a@1
expect "lineage follows adapter, merge and quantized" 0
check "... through every relation to atlas@1's data" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = [m["name"] for m in d["base_models"]]
assert names[:1] == ["atlas-m@1"] and "atlas-q@1" in names and "atlas@1" in names, names
assert d["model"]["base_relation"] == "adapter"
rel = {m["name"]: m.get("base_relation") for m in d["base_models"]}
assert rel["atlas-m@1"] == "merge" and rel["atlas-q@1"] == "quantized" and "base_relation" not in [k for k, v in rel.items() if k == "atlas@1" and v], rel
assert sorted(x["name"] for x in d["datasets"]) == ["chat@1", "web@1"], d["datasets"]' "$OUT"
pl $L lineage atlas-a@1 --format dot
expect_out "dot: the adapter edge labelled" '[label="adapter"]'
expect_out "dot: the merge edges labelled" '[label="merge"]'
expect_out "dot: the quantized edge labelled" '[label="quantized"]'
pl $L lineage atlas-q@1
expect_out "text: quantized from" "quantized from: atlas@1"
pl $L --json query --work $W1
check "query: the reserved work reaches the quantized, merged and adapted models" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = {m["name"] for m in d["models"]}
assert {"atlas-q@1", "atlas-m@1", "atlas-a@1"} <= names, names' "$OUT"
pl $L verify
expect "verify re-applies the relation rules" 0
# ---- a licence is needed before the run starts --------------------------------------------
pl $L model register --name late --version 1 --dataset chat@1 --training-flop 2e25 \
	--parameters 1e11 --started 2026-01-01T00:00:00Z --key acme.key
pl $L model register --name early --version 1 --dataset chat@1 --training-flop 2e25 \
	--parameters 1e11 --started 2027-01-01T00:00:00Z --key acme.key
for m in late early; do
	pl $L attest training-licence --subject $m@1 --max-training-flop 1e26 --conditions none --key aisi.key
done
expect "licences issued now (2026-09-21, the pinned clock)" 0
pl $L --json lineage late@1
check "licence-after-start: a run started before its licence" python3 -c '
import json, sys
f = [x for x in json.load(open(sys.argv[1]))["findings"] if x["code"] == "licence-after-start"]
assert len(f) == 1 and f[0]["severity"] == "error" and "2026-01-01T00:00:00Z" in f[0]["message"], f' "$OUT"
pl $L --json lineage early@1
check "no licence-after-start for a run that starts after its licence" python3 -c '
import json, sys
assert not [x for x in json.load(open(sys.argv[1]))["findings"] if x["code"] == "licence-after-start"]' "$OUT"
# ---- a dangerous capability stays a finding until a later evaluation clears it -----------
pl $L attest evaluation --subject atlas-chat@3 --suite wmdp-2026 --result bio=pass --key redteam.key
expect "a later evaluation that does not test cyber" 0
pl $L --json lineage atlas-chat@3
check "... does not clear it" python3 -c '
import json, sys
assert [f for f in json.load(open(sys.argv[1]))["findings"] if f["code"] == "dangerous-capability"]' "$OUT"
pl $L attest evaluation --subject atlas-chat@3 --suite wmdp-2026 --result cyber=pass --key redteam.key
expect "a later evaluation that tests cyber again and passes" 0
pl $L --json lineage atlas-chat@3
check "... clears the dangerous-capability finding" python3 -c '
import json, sys
assert not [f for f in json.load(open(sys.argv[1]))["findings"] if f["code"] == "dangerous-capability"]' "$OUT"
# ---- supervision: training reports at the licence's interval, inspections ------------------
for v in 1 2; do
	pl $L model register --name sup --version $v --dataset chat@1 --training-flop 2e25 \
		--parameters 1e11 --started 2026-01-01T00:00:00Z --finished 2026-03-01T00:00:00Z --key acme.key
	pl $L attest training-licence --subject sup@$v --max-training-flop 1e26 --conditions reports \
		--report-interval 30 --key aisi.key
done
expect "licences with a 30-day report interval" 0
CK=$(printf 'checkpoint' | sha256sum | cut -c1-64)
pl $L attest training-report --subject sup@1 --flop-so-far 5e24 --date 2026-01-20T00:00:00Z \
	--checkpoint-digest "$CK" --key acme.key
expect "a training report by the model's lab" 0
pl $L attest training-report --subject sup@1 --flop-so-far 1.5e25 --date 2026-02-15T00:00:00Z --key acme.key
pl $L attest training-report --subject sup@2 --flop-so-far 5e24 --date 2026-01-20T00:00:00Z --key acme.key
expect "one report for sup@2" 0
pl $L attest training-report --subject sup@1 --flop-so-far 1e25 --date 2026-02-01T00:00:00Z --key beta.key
expect "a training report by another lab is refused" 3 "signed by the model's lab"
pl $L attest training-report --subject sup@1 --flop-so-far 1e25 --date 2026-02-01T00:00:00Z \
	--checkpoint-digest nothex --key acme.key
expect "a checkpoint digest that is not SHA-256 hex" 3 "not a SHA-256 in hex"
pl $L attest training-report --subject sup@1 --date 2026-02-01T00:00:00Z --key acme.key
expect "a training report without --flop-so-far" 3 "needs --flop-so-far and --date"
pl $L attest training-licence --subject sup@1 --max-training-flop 1e26 --conditions x \
	--report-interval 0 --key aisi.key
expect "--report-interval 0" 2 "--report-interval takes days"
pl $L attest inspection --subject sup@1 --summary "site visit: logs match the reports" --key aisi.key
expect "an inspection by an authority" 0
pl $L attest inspection --subject sup@1 --summary "x" --key redteam.key
expect "an inspection by an evaluator is refused" 3 "authority"
pl $L --json lineage sup@1
check "reports every 19-26 days: no training-report-missing" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert not [f for f in d["findings"] if f["code"] == "training-report-missing"], d["findings"]
kinds = sorted(a["kind"] for a in d["attestations"])
assert kinds.count("training-report") == 2 and "inspection" in kinds, kinds' "$OUT"
pl $L --json lineage sup@2
check "a 40-day gap before finished: training-report-missing" python3 -c '
import json, sys
f = [x for x in json.load(open(sys.argv[1]))["findings"] if x["code"] == "training-report-missing"]
assert len(f) == 1 and "2026-01-20T00:00:00Z to 2026-03-01T00:00:00Z" in f[0]["message"], f' "$OUT"
pl $L verify
expect "verify re-applies the supervision rules" 0
finish
