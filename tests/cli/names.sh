#!/bin/bash
# names.sh - how text output names things and what commands accept for them:
# log and show name datasets and models NAME@VERSION (never a shard or a
# weights file), works by id, keys key:NAME; show takes SEQ, NAME@VERSION or
# a work id; work ids as unique prefixes wherever one is taken (work show,
# query --work, export --work, attest claim --work); dataset list|show and
# model list|show, text and --json; every error.
EX=$(cd "$(dirname "$0")/../../examples" && pwd)
. "$(dirname "$0")/lib.sh"
FX=${PL_TOOLS:?set PL_TOOLS to the test tools directory}/pl_fixture
export PROVLEDGER_TIME=1790000000
L="--ledger L"
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
size() { "$PL" $L log --json | wc -c; }

pl $L init
for k in acme:lab aisi:authority press:rights-holder; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null
	"$PL" $L key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
grant L aisi authority
grant L acme lab
grant L press rights-holder
expect "setup: keys registered and granted" 0

cp "$EX/works/lantern-street.txt" novel.txt
pl $L --json work register novel.txt --title "Lantern Street" --holder "Harbour Press" --key press.key
expect "setup: a work" 0
ID=$(js 'd["work"]' "$OUT")
WSEQ=$(js 'd["entry"]["seq"]' "$OUT")
# two works whose ids share the prefix W0123 (the fixture picks the ids)
run "$FX" L work press.key W0123456789abcdef "Twin One" "Press" all-rights-reserved
check "setup: fixture work W0123456789abcdef" [ "$RC" -eq 0 ]
run "$FX" L work press.key W0123fedcba987654 "Twin Two" "Press" all-rights-reserved
check "setup: fixture work W0123fedcba987654" [ "$RC" -eq 0 ]

python3 - "$EX/works/lantern-street.txt" >web.jsonl <<'EOF'
import json, sys
print(json.dumps({"text": "an unrelated record about the weather in spring and rain"}))
print(json.dumps({"text": open(sys.argv[1]).read()}))
EOF
printf '{"text": "nothing registered here, only words about boats"}\n' >clean.jsonl
pl $L dataset register --name web --version 1 web.jsonl --key acme.key
expect "setup: dataset web@1 (it holds the work: exit 1)" 1
pl $L dataset recheck web@1 web.jsonl --key acme.key
expect "setup: a recheck of web@1" 1
pl $L dataset register --name clean --version 1 clean.jsonl --key acme.key
expect "setup: dataset clean@1" 0
printf 'weights' >w.bin
pl $L model register --name atlas --version 1 --dataset web@1 --training-flop 3.8e25 \
	--parameters 1.2e12 --key acme.key
expect "setup: model atlas@1" 0
pl $L model register --name atlas-chat --version 1 --dataset clean@1 --base atlas@1 \
	--training-flop 2e22 --parameters 7e9 --weights w.bin --key acme.key
expect "setup: model atlas-chat@1 with weights" 0
pl $L dataset register --name twin --version 1 clean.jsonl --key acme.key
expect "setup: dataset twin@1" 0
pl $L model register --name twin --version 1 --dataset twin@1 --training-flop 1e20 \
	--parameters 1e9 --key acme.key
expect "setup: model twin@1" 0
pl $L --json log
cp "$OUT" log.json
seq_of() { python3 -c 'import json,sys; print([e["seq"] for e in json.load(open("log.json"))["entries"] if e["type"]==sys.argv[1] and sys.argv[2] in e["name"]][0])' "$@"; }
DS_WEB=$(pl $L dataset show web@1 --json && js 'd["seq"]' "$OUT")
CHECK_WEB=$(js 'd["checks"][0]["seq"]' "$OUT")
M_CHAT=$(seq_of model atlas-chat@1)

# ---- log and show: names -------------------------------------------------
pl $L log
expect "log" 0
check "log: the dataset as web@1" grep -qE '^[0-9]+ +[0-9TZ:-]+ +dataset +web@1$' "$OUT"
check "log: the model with weights as atlas-chat@1" \
	grep -qE "^$M_CHAT +[0-9TZ:-]+ +model +atlas-chat@1$" "$OUT"
check "log: the work by its id" grep -qE "^$WSEQ +[0-9TZ:-]+ +work +$ID$" "$OUT"
check "log: keys as key:NAME" grep -qE '^[0-9]+ +[0-9TZ:-]+ +key +key:acme$' "$OUT"
check "log: no shard or weights file names an entry" \
	[ "$(grep -cE ' (web|clean)\.jsonl$| w\.bin$' "$OUT")" = 0 ]
pl $L log --type dataset
check "log --type dataset: three datasets, each by NAME@VERSION" \
	[ "$(grep -cE ' dataset +(web|clean|twin)@1$' "$OUT")" = 3 ]
pl $L log --json
check "log --json names the dataset as text does" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [e["name"] for e in d["entries"] if e["type"]=="dataset" and "web" in e["name"]]==["web@1"]' "$OUT"

pl $L show "$DS_WEB"
expect "show SEQ of a dataset" 0
expect_out "show: the dataset's header" "entry $DS_WEB: dataset web@1"
expect_out "show: the signer by name and keyid" "signer:  acme SHA256:"
pl $L show web@1
expect "show NAME@VERSION (a dataset)" 0
expect_out "show web@1: the dataset's entry" "entry $DS_WEB: dataset web@1"
pl $L show atlas-chat@1
expect "show NAME@VERSION (a model)" 0
expect_out "show atlas-chat@1: named by NAME@VERSION, not its weights file" \
	"entry $M_CHAT: model atlas-chat@1"
pl $L show "$WSEQ"
expect_out "show SEQ of a work: its id" "entry $WSEQ: work $ID"
pl $L show "$ID"
expect "show WORK-ID" 0
expect_out "show WORK-ID: the work's entry" "entry $WSEQ: work $ID"
pl $L show "${ID:0:6}"
expect "show a work id prefix" 0
expect_out "show a work id prefix: the work's entry" "entry $WSEQ: work $ID"
pl $L show 0
expect_out "show: a key as key:NAME" "entry 0: key key:operator"
pl $L --json show web@1
expect "show --json NAME@VERSION" 0
check "show --json: the dataset's seq and statement" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["seq"]==int(sys.argv[2]) and d["statement"]["predicate"]["name"]=="web"' "$OUT" "$DS_WEB"
TW_D=$(seq_of dataset twin@1)
TW_M=$(seq_of model twin@1)
pl $L show twin@1
expect "show NAME@VERSION naming a dataset and a model: refused" 3 "twin@1 is ambiguous"
check "show twin@1: both seqs named" grep -q "dataset twin@1 (seq $TW_D) and model twin@1 (seq $TW_M)" "$ERR"
pl $L show nope@1
expect "show unknown NAME@VERSION" 3 "no dataset or model named nope@1"
pl $L show a@b@c
expect "show malformed NAME@VERSION" 3
pl $L show W0123
expect "show ambiguous work prefix" 3 "work id prefix W0123 is ambiguous"
pl $L show Wffffff
expect "show unknown work prefix" 3 "no registered work's id begins with Wffffff"
pl $L show W0000000000000000
expect "show unknown work id" 3 "W0000000000000000"
pl $L show 999
expect "show unknown seq" 3
pl $L show foo
expect "show something else: usage" 2 "'foo' is not a SEQ, a NAME@VERSION or a work id"
pl $L show 12x
expect "show a bad seq: usage" 2
pl $L show
expect "show without argument: usage" 2 "expected one SEQ, NAME@VERSION or work id"
pl $L show 1 2
expect "show with two arguments: usage" 2

# ---- work id prefixes ----------------------------------------------------
pl $L work show "${ID:0:5}"
expect "work show: a 5-character prefix" 0
expect_out "work show: the whole id" "work $ID"
pl $L work show "W${ID:1:8}" --json
expect "work show --json: a prefix" 0
check "work show --json: the work" [ "$(js 'd["work"]' "$OUT")" = "$ID" ]
pl $L work show "W$(tr a-f A-F <<<"${ID:1:6}")"
expect "work show: a prefix in upper case" 0
pl $L work show W0123
expect "work show: an ambiguous prefix" 3 "work id prefix W0123 is ambiguous: 2 works:"
check "work show: the candidates named" \
	grep -q "W0123456789abcdef (seq [0-9]*), W0123fedcba987654 (seq [0-9]*)" "$ERR"
pl $L work show W0123f
expect "work show: a longer prefix resolves" 0
expect_out "work show W0123f: the second twin" "W0123fedcba987654"
pl $L work show W012
expect "work show: a 4-character prefix is too short" 3 "too short: give W and at least 4 hex digits"
pl $L work show Wabcdef
expect "work show: an unknown prefix" 3 "no registered work's id begins with Wabcdef"
pl $L work show Xyz12345
expect "work show: not a work id" 3 "'Xyz12345' is not a work id"
pl $L work show W12g45
expect "work show: not hex" 3 "is not a work id"

pl $L query --work "${ID:0:7}"
expect "query --work: a prefix" 0
expect_out "query --work: the whole id" "work $ID"
expect_out "query --work: the dataset holding it" "of dataset web@1"
pl $L --json query --work "${ID:0:7}"
check "query --work --json: the whole id" [ "$(js 'd["work"]' "$OUT")" = "$ID" ]
pl $L query --work W0123
expect "query --work: ambiguous" 3 "is ambiguous"
pl $L query --work W01
expect "query --work: too short" 3 "too short"

pl $L export --work "${ID:0:8}" --out w.bundle
expect "export --work: a prefix" 0
expect_out "export --work: the whole id" "work $ID"
check "export --work: the bundle is written" [ -s w.bundle ]
pl verify-bundle w.bundle --trust L/operator.pub
expect "export --work: the bundle verifies" 0
pl $L export --work W0123 --out x.bundle
expect "export --work: ambiguous" 3 "is ambiguous"
check "export --work ambiguous: nothing written" [ ! -e x.bundle ]

before=$(size)
pl $L attest claim --subject atlas@1 --work W0123 --check "$CHECK_WEB" --match 0 \
	--statement s --key press.key
expect "attest claim --work: ambiguous" 3 "is ambiguous"
check "attest claim ambiguous: nothing appended" [ "$(size)" = "$before" ]
pl $L attest claim --subject atlas@1 --work "${ID:0:9}" --check "$CHECK_WEB" --match 0 \
	--statement "copied" --key press.key
expect "attest claim --work: a prefix" 0
pl $L --json lineage atlas@1
check "attest claim: the claim names the whole id" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [a["work"] for a in d["attestations"] if a["kind"]=="claim"]==[sys.argv[2]]' "$OUT" "$ID"

# ---- dataset list|show ---------------------------------------------------
pl $L dataset list
expect "dataset list" 0
check "dataset list: the header" grep -qE '^SEQ +NAME@VERSION +SHARDS +RECORDS +MATCHES +LAB$' "$OUT"
check "dataset list: web@1, 1 shard, 2 records, 2 matches (check and recheck), lab acme" \
	grep -qE "^$DS_WEB +web@1 +1 +2 +2 +acme$" "$OUT"
check "dataset list: clean@1 without matches" grep -qE '^[0-9]+ +clean@1 +1 +1 +0 +acme$' "$OUT"
check "dataset list: three datasets" [ "$(grep -cE '^[0-9]' "$OUT")" = 3 ]
pl $L --json dataset list
expect "dataset list --json" 0
check "dataset list --json: the fields" python3 - "$OUT" "$DS_WEB" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))["datasets"]
assert [x["name"] for x in d] == ["web@1", "clean@1", "twin@1"], d
w = d[0]
assert w["seq"] == int(sys.argv[2]) and w["shards"] == 1 and w["records"] == 2, w
assert w["matches"] == 2 and w["lab"]["name"] == "acme" and len(w["leaf"]) == 64, w
assert re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", w["lab"]["keyid"]), w
EOF
pl $L dataset show web@1
expect "dataset show" 0
expect_out "dataset show: header" "dataset web@1 (seq $DS_WEB)"
expect_out "dataset show: lab by name" "lab       acme (SHA256:"
expect_out "dataset show: the shard" "shard     web.jsonl: "
expect_out "dataset show: its sha256 (sha256sum's)" "sha256 $(sha256sum web.jsonl | cut -c1-64)"
expect_out "dataset show: the first check" "check     seq $CHECK_WEB ("
expect_out "dataset show: the recheck" "recheck   seq "
expect_out "dataset show: the work matched" "works     $ID (2 matches)"
expect_out "dataset show: the model trained on it" "models    atlas@1 (seq "
pl $L --json dataset show web@1
expect "dataset show --json" 0
check "dataset show --json: the fields" python3 - "$OUT" "$ID" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "web@1" and d["lab"]["name"] == "acme", d
assert [c["recheck"] for c in d["checks"]] == [False, True] and d["matches"] == 2, d
assert d["works"] == [{"work": sys.argv[2], "matches": 2}], d["works"]
assert [m["name"] for m in d["models"]] == ["atlas@1"], d["models"]
assert d["shards"][0]["path"] == "web.jsonl" and len(d["shards"][0]["sha256"]) == 64, d
assert d["totals"]["records"] == 2 and d["sources"] == [] and len(d["leaf"]) == 64, d
EOF
pl $L dataset show nope@1
expect "dataset show: unknown" 3 "no dataset named nope@1"
pl $L dataset show atlas@1
expect "dataset show: a model's name" 3 "no dataset named atlas@1"
pl $L dataset show nope
expect "dataset show: not NAME@VERSION" 3 "'nope' is not NAME@VERSION"
pl $L dataset show
expect "dataset show: no argument" 2 "expected one dataset NAME@VERSION"
pl $L dataset show web@1 clean@1
expect "dataset show: two arguments" 2
pl $L dataset list extra
expect "dataset list: an argument" 2 "unexpected argument 'extra'"

# ---- model list|show -----------------------------------------------------
pl $L model list
expect "model list" 0
check "model list: the header" \
	grep -qE '^SEQ +NAME@VERSION +FRONTIER +TRAINING_FLOP +PARAMETERS +LAB +BASES$' "$OUT"
check "model list: atlas@1, frontier, no base" grep -qE '^[0-9]+ +atlas@1 +yes +3\.8e25 +1\.2e12 +acme +-$' "$OUT"
check "model list: atlas-chat@1 and its base" \
	grep -qE "^$M_CHAT +atlas-chat@1 +no +2e22 +7e9 +acme +atlas@1$" "$OUT"
pl $L --json model list
expect "model list --json" 0
check "model list --json: the fields" python3 - "$OUT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["models"]
assert [m["name"] for m in d] == ["atlas@1", "atlas-chat@1", "twin@1"], d
assert d[0]["frontier"] is True and d[1]["frontier"] is False, d
assert [b["name"] for b in d[1]["base_models"]] == ["atlas@1"] and d[1]["lab"]["name"] == "acme", d
assert d[1]["training_flop"] == "2e22" and d[1]["parameters"] == "7e9", d
EOF
pl $L model show atlas-chat@1
expect "model show" 0
expect_out "model show: header" "model atlas-chat@1 (seq $M_CHAT)"
expect_out "model show: weights digest (sha256sum's)" "weights         w.bin sha256 $(sha256sum w.bin | cut -c1-64)"
expect_out "model show: its dataset" "trained on      clean@1"
expect_out "model show: its base" "fine-tuned from atlas@1"
pl $L model show atlas@1
expect_out "model show: frontier" "model atlas@1 (seq "
expect_out "model show: frontier mark" "[frontier]"
expect_out "model show: its fine-tunes" "fine-tunes      atlas-chat@1"
pl $L --json model show atlas-chat@1
expect "model show --json" 0
check "model show --json: the fields" python3 - "$OUT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "atlas-chat@1" and d["frontier"] is False and d["lab"]["name"] == "acme", d
assert [w["name"] for w in d["weights"]] == ["w.bin"], d
assert [x["name"] for x in d["datasets"]] == ["clean@1"], d
assert [x["name"] for x in d["base_models"]] == ["atlas@1"] and d["fine_tunes"] == [], d
EOF
pl $L model show web@1
expect "model show: a dataset's name" 3 "no model named web@1"
pl $L model show x
expect "model show: not NAME@VERSION" 3 "'x' is not NAME@VERSION"
pl $L model show
expect "model show: no argument" 2 "expected one model NAME@VERSION"
pl $L model list extra
expect "model list: an argument" 2 "unexpected argument 'extra'"
pl --ledger nowhere dataset list
expect "dataset list: no ledger" 3 "no ledger"

# ---- help ----------------------------------------------------------------
for c in "dataset list" "dataset show" "model list" "model show"; do
	pl $c --help
	expect "$c --help" 0
	expect_out "$c --help: the usage line" "usage: provledger $c"
	pl help $c
	expect "help $c" 0
done
pl --help
expect_out "the overview lists dataset show" "dataset show"
expect_out "the overview lists model list" "model list"
pl help show
expect_out "help show: what it takes" "SEQ | NAME@VERSION | WORK-ID"
finish
