#!/bin/bash
# demo.sh - the provledger story end to end, in a temporary directory.
#
# A ledger operator, two rights holders, an AI lab, a licensing authority, an
# evaluator and a court, each doing their part with the real commands on the
# small inputs in examples/ (works/ and shards/; see examples/README.md).
#
#   PROVLEDGER=build/provledger examples/demo.sh     (make demo does this)
#
# Environment:
#   PROVLEDGER  the binary (default: provledger on PATH)
#   DEMO_OUT    where to write lineage.svg (default ./demo-out); everything
#               else lives in a mktemp -d directory removed at exit
#   NO_COLOR    set to print no bold headings
#
# Exit 0 when every step behaved as expected; otherwise 1, naming the step.
set -u
PL=${PROVLEDGER:-provledger}
case "$PL" in /*) ;; */*) PL=$PWD/$PL ;; esac # we cd to a temporary directory
if ! command -v "$PL" >/dev/null 2>&1; then
	echo "demo: no provledger binary at '$PL' (set PROVLEDGER)" >&2
	exit 1
fi
EX=$(cd "$(dirname "$0")" && pwd)
OUTSHOW=${DEMO_OUT:-demo-out} # as the user gave it, for the messages
case "$OUTSHOW" in /*) OUTDIR=$OUTSHOW ;; *) OUTDIR=$PWD/$OUTSHOW ;; esac
unset PROVLEDGER_DIR # the ledger is ./.provledger in the work directory

WORK=$(mktemp -d "${TMPDIR:-/tmp}/provledger-demo.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
cp -R "$EX/works" "$EX/shards" .
mkdir keys evidence
OUT=$WORK/.out # the last command's stdout and stderr
STEP=""

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' N=$'\033[0m'; else B="" N=""; fi
# The story's clock: every entry's timestamp is pinned (PROVLEDGER_TIME), so
# that the output is the same on every run except for keys and signatures.
day() { PROVLEDGER_TIME=$(date -u -d "$1" +%s) && export PROVLEDGER_TIME; }

step() {
	STEP=$1
	printf '\n%s== %s%s\n' "$B" "$*" "$N"
}
why() { printf '   why this matters: %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() {
	printf '\ndemo: FAILED at step "%s": %s\n' "$STEP" "$*" >&2
	exit 1
}
# quote ARGS...: the command line as one would type it
quote() {
	local a s=""
	for a in "$@"; do
		case "$a" in
		*[!A-Za-z0-9_./:@=+,-]* | "") s+=" '${a//\'/\'\\\'\'}'" ;;
		*) s+=" $a" ;;
		esac
	done
	printf '%s' "${s# }"
}
# pl CODE ARGS...: show and run 'provledger ARGS', output to $OUT; its exit
# code must be CODE (0, or 1 for a finding the story expects).
pl() {
	local want=$1 rc
	shift
	printf '\n   $ provledger %s\n' "$(quote "$@")"
	"$PL" "$@" >"$OUT" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		show
		die "'provledger $*' exited $rc, expected $want"
	fi
	[ "$want" -eq 0 ] || say "(exit $rc, as expected: $( ((rc == 1)) && echo "a finding" || echo "an error"))"
}
# show [SED-SCRIPT]: print the last output, indented, through an optional
# sed filter that trims it to the informative lines.
show() { sed -e "${1:-}" "$OUT" | sed 's/^/      /'; }
# expect TEXT: the last output must mention TEXT
expect() { grep -qF -- "$1" "$OUT" || die "the output does not mention '$1'"; }
# value REGEX: the first match of an extended regex in the last output
value() { grep -oE -- "$1" "$OUT" | head -n 1; }

cat <<EOF
${B}provledger: a liability and copyright provenance ledger for AI training data${N}

Labs hash and check their training shards against a registry of copyrighted
works, and sign what each model was trained on. Rights holders register works
(fingerprints only, never the text) and ask which models contain them.
Authorities and evaluators attach licences and results. Courts verify signed
evidence bundles offline. Everything is an entry in one append-only log (git +
an RFC 6962 Merkle tree), signed by whoever made the claim.

Cast: the ledger operator; Harbour Press and Ada Quill (rights holders); Acme
Lab (trains the models); AISI (a licensing authority); RedTeam (an evaluator);
a court. Everything happens in a temporary directory, removed at the end.
EOF

# ---------------------------------------------------------------------------
day 2026-01-05T09:00:00Z
step "1. The operator initialises a ledger"
why "one append-only, signed log that labs, rights holders and courts all read and audit."
pl 0 init --origin ledger.demo.example
show
expect "entry 0:"

step "2. Every party makes a key pair and registers its public key"
why "each entry is signed; the ledger knows who claimed what, in which role."
say "(each party runs 'provledger key gen' on its own machine; the private key never leaves it)"
for party in harbour-press:rights-holder ada-quill:rights-holder acme-lab:lab aisi:authority \
	redteam:evaluator chipworks:vendor; do
	name=${party%%:*} role=${party#*:}
	pl 0 key gen --name "$name" --role "$role" --out "keys/$name"
	show
	pl 0 key register "keys/$name.pub" --key "keys/$name.key"
	show
done

step "3. Roles are granted, not claimed"
why "a key only declares a role: a lab cannot make itself an authority and license its own model."
say "The operator grants AISI the authority role; AISI grants Acme Lab the lab"
say "role, RedTeam the evaluator role and Chipworks, an accelerator maker, the"
say "vendor role, and vouches for Harbour Press. Ada Quill registers works"
say "unvouched: they count, marked as such."
pl 0 key grant aisi --role authority --key .provledger/keys/operator.key
show
pl 0 key grant acme-lab --role lab --key keys/aisi.key
show
pl 0 key grant redteam --role evaluator --key keys/aisi.key
show
pl 0 key grant chipworks --role vendor --key keys/aisi.key
show
pl 0 key grant harbour-press --role rights-holder --key keys/aisi.key
show
pl 0 key list
show
say "A grant by a key without the granting role is refused (exit 3):"
pl 3 key grant ada-quill --role rights-holder --key keys/acme-lab.key
show
expect "needs an authority key"
say "'provledger help roles' prints the whole table."

# ---------------------------------------------------------------------------
day 2026-01-06T10:00:00Z
step "4. Rights holders register their works, each with its terms"
why "only digests and fingerprints enter the ledger, never the text, yet copies can be found."
pl 0 work register works/the-salt-road.txt --title "The Salt Road" --creator "Mara Ellison" \
	--holder "Harbour Press" --terms all-rights-reserved --key keys/harbour-press.key
show
SALT=$(value 'W[0-9a-f]{16}')
[ -n "$SALT" ] || die "no work id in the output"
pl 0 work register works/notes-on-rain.txt --title "Notes on Rain" --creator "Ada Quill" \
	--holder "Ada Quill" --terms licensed:https://creativecommons.org/licenses/by/4.0/ \
	--key keys/ada-quill.key
show
pl 0 work list
show

# ---------------------------------------------------------------------------
day 2026-01-08T16:00:00Z
step "4b. Chipworks registers the accelerators it delivered to Acme Lab"
why "training compute is physical: a registered chip supply makes declared FLOP checkable."
say "The batch entry holds the chips' model, count, peak FLOP/s and first owner;"
say "serial numbers enter only as SHA-256 digests (an attachment) and their Merkle"
say "root, so a chip can later be proven part of the batch."
seq -f "CW-H100-%05g" 1 16384 >serials.txt
pl 0 hardware register --name cw-2025-q4 --model H100-SXM --serials serials.txt \
	--peak-flops 989e12 --owner acme-lab --jurisdiction US --key keys/chipworks.key
show
pl 0 hardware show cw-2025-q4
show
expect "0..16383 (16384)  acme-lab  in US"

# ---------------------------------------------------------------------------
day 2026-01-10T08:00:00Z
step "5. Acme Lab checks its web crawl before training on it"
why "the lab learns what its data holds before it trains, not in court afterwards."
say "Dataset one, web-2026, is two JSONL shards: one gzip, one zstd (compression is"
say "detected from the bytes). Record 3 of the gzip shard is a book blog quoting"
say "about 110 words of \"The Salt Road\" with curly quotes and apostrophes:"
python3 - shards/web-000.jsonl.gz <<'PY' 2>/dev/null | sed 's/^/      /' || say "(python3 not found: not shown)"
import gzip, json, sys
text = json.loads(gzip.open(sys.argv[1], "rt", encoding="utf-8").readlines()[3])["text"]
i = text.index("\u201cShe walked")
print("... " + text[i - 40:i + 70].replace("\n", " ") + " ...")
PY
say "The registered text has straight quotes; the text is normalized (NFKC, case"
say "folding, punctuation dropped) before fingerprinting, so the copy still matches."
pl 1 check shards/web-000.jsonl.gz shards/web-001.jsonl.zst
show
expect "shards/web-000.jsonl.gz record 3"
expect "$SALT \"The Salt Road\""
say "'check' appends nothing. Exit 1 means it found something: the lab decides"
say "what to do. Here it trains anyway, and the ledger will remember."

step "6. Acme Lab registers its two datasets"
why "the manifest pins every shard's digest, and the check report is signed with it."
pl 1 dataset register --name web-2026 --version 1 shards/web-000.jsonl.gz \
	shards/web-001.jsonl.zst --source https://crawl.example/2026-01 --key keys/acme-lab.key
show
expect "registered dataset web-2026@1"
expect "1 match"
say "(exit 1: registered, and its check found a match; the check and the manifest"
say " are appended together, as one commit)"
say "Dataset two, instruct-2026, is a WebDataset tar (NNNNNN.txt + .json members)"
say "and a plain text file, written by the lab's annotators:"
pl 0 dataset register --name instruct-2026 --version 1 shards/instruct-000.tar \
	shards/safety-refusals.txt --source acme-annotators --licence proprietary \
	--key keys/acme-lab.key
show
expect "no registered work found"
say "Each manifest also carries a Bloom sketch of the data's fingerprints, so that"
say "works registered later can still be looked for (step 12)."

# ---------------------------------------------------------------------------
day 2026-03-21T12:00:00Z
step "7. Acme Lab registers a frontier base model and a fine-tune of it"
why "the model entry ties weights to data: the link a rights holder or regulator follows."
pl 0 model register --name atlas --version 1 --dataset web-2026@1 --training-flop 3.8e25 \
	--parameters 1.2e12 --hardware H100:16384 --hardware-batch cw-2025-q4 \
	--jurisdiction US --started 2026-01-12T00:00:00Z --finished 2026-03-20T00:00:00Z \
	--key keys/acme-lab.key
show
expect "frontier"
ATLAS=$(value 'entry [0-9]+' | cut -d' ' -f2)
day 2026-04-02T12:00:00Z
pl 0 model register --name atlas-chat --version 1 --base atlas@1 --dataset instruct-2026@1 \
	--training-flop 2e22 --parameters 1.2e12 --key keys/acme-lab.key
show
expect "registered model atlas-chat@1"

step "8. AISI, the authority, licenses the frontier training run"
why "a frontier model (>= 1e25 FLOP or >= 1e12 parameters) needs a licence on record."
pl 0 attest training-licence --subject atlas@1 --max-training-flop 5e25 \
	--conditions "quarterly compute reports; incidents disclosed within 72 hours" \
	--key keys/aisi.key
show
say "A key that only claims to be an authority cannot license anything: Acme Lab"
say "registers a second key declaring the authority role, and tries:"
pl 0 key gen --name acme-licensing --role authority --out keys/acme-licensing
pl 0 key register keys/acme-licensing.pub --key keys/acme-licensing.key
show
pl 3 attest training-licence --subject atlas-chat@1 --max-training-flop 1e26 \
	--conditions none --key keys/acme-licensing.key
show
expect "declares authority but no operator has granted it"

step "9. RedTeam, the evaluator, records its results for the fine-tune"
why "deployment decisions rely on evaluations that anyone can check were signed by an evaluator."
pl 0 attest evaluation --subject atlas-chat@1 --suite frontier-safety-2026 --result bio=pass \
	--result cyber=pass --result autonomy=pass --key keys/redteam.key
show

# ---------------------------------------------------------------------------
step "10. Anyone prints the fine-tune's lineage"
why "one command answers: what was this model built from, who vouched for it, what is wrong."
pl 0 lineage atlas-chat@1
show
expect "fine-tuned from: atlas@1"
expect "work $SALT \"The Salt Road\""
expect "model-reserved-works: model atlas-chat@1"
say "The findings are computed, never stored. Two kinds here: the reserved work in"
say "web-2026 taints every model trained on it, directly or through a base model;"
say "and atlas-chat@1, at 1.2e12 parameters, is a frontier model too, but AISI's"
say "licence covers the atlas@1 run only: each run needs its own."
if command -v dot >/dev/null 2>&1; then
	mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
	printf '\n   $ provledger lineage atlas-chat@1 --format dot | dot -Tsvg > %s\n' \
		"$OUTSHOW/lineage.svg"
	"$PL" lineage atlas-chat@1 --format dot >"$OUT" 2>&1 || { show && die "lineage --format dot failed"; }
	dot -Tsvg "$OUT" >"$OUTDIR/lineage.svg" || die "dot could not draw the lineage"
	say "The lineage drawn as a graph (models blue, datasets green, works yellow,"
	say "attestations grey, findings red) is in $OUTSHOW/lineage.svg"
else
	say "(graphviz 'dot' is not installed: 'provledger lineage atlas-chat@1 --format dot'"
	say " prints the graph; 'apt-get install graphviz' draws it)"
fi

# ---------------------------------------------------------------------------
day 2026-05-04T09:30:00Z
step "11. Harbour Press asks which models contain \"The Salt Road\""
why "the rights holder finds the fine-tune it never saw, through the base model's data."
pl 0 query --work "$SALT"
show
expect "atlas-chat@1"
expect "web-2026@1 -> atlas@1 -> atlas-chat@1"

step "12. A work registered after the data was checked is still found"
why "rights holders register late; the sketch keeps the data searchable without the data."
pl 0 work register works/lantern-street.txt --title "Lantern Street" --creator "Tomas Reyes" \
	--holder "Harbour Press" --terms opt-out --key keys/harbour-press.key
show
LANTERN=$(value 'W[0-9a-f]{16}')
[ -n "$LANTERN" ] || die "no work id in the output"
pl 0 query --work "$LANTERN"
show
expect "evidence: 0 check reports"
expect "lead"
say "No check report holds it (it was not registered when web-2026 was checked),"
say "but web-2026's Bloom sketch holds a long run of its fingerprints: a lead, not"
say "proof. The lineage now flags the dataset as stale:"
pl 0 lineage atlas@1
show '/^findings:/,$!d'
expect "dataset-sketch-stale"
day 2026-05-06T15:00:00Z
say "Acme Lab rechecks the same shards (their digests must equal the manifest's):"
pl 1 dataset recheck web-2026@1 shards/web-000.jsonl.gz shards/web-001.jsonl.zst \
	--key keys/acme-lab.key
show
expect "shards/web-001.jsonl.zst record 1"
expect "$LANTERN \"Lantern Street\""
pl 0 query --work "$LANTERN"
show
expect "evidence: 1 check report"
expect "atlas-chat@1"

# ---------------------------------------------------------------------------
step "12b. AISI pauses training above 1e26 FLOP; a run during the pause is flagged"
why "a moratorium binds every lab at once; a licence must say it lifts it, or the run is an error."
pl 0 attest moratorium --threshold-flop 1e26 --from 2026-04-15T00:00:00Z \
	--jurisdiction global --statement "pause pending the international review" \
	--key keys/aisi.key
show
MORATORIUM=$(value 'entry [0-9]+' | cut -d' ' -f2)
pl 0 model register --name atlas --version 2 --dataset web-2026@1 --training-flop 1.5e26 \
	--parameters 2e12 --hardware-batch cw-2025-q4 --jurisdiction US \
	--started 2026-04-20T00:00:00Z --finished 2026-05-05T00:00:00Z --key keys/acme-lab.key
show
pl 0 attest training-licence --subject atlas@2 --max-training-flop 2e26 \
	--conditions "monthly reports" --key keys/aisi.key
show
pl 0 lineage atlas@2
show '/^findings:/,$!d'
expect "moratorium-violated: model atlas@2"
expect "licence-after-start: frontier model atlas@2"
say "Two errors: the licence came after the run started, and it does not name the"
say "moratorium. (The 16384 registered chips could do about 4.2e24 FLOP in those 15"
say "days at 20% use, below 1e25: no compute-possibly-underreported finding.)"
say "AISI lifts the pause for this run; the late licence stays on the record:"
pl 0 attest training-licence --subject atlas@2 --max-training-flop 2e26 \
	--conditions "monthly reports; lifts the April pause for this run" \
	--lifts "$MORATORIUM" --key keys/aisi.key
show
pl 0 lineage atlas@2
show '/^findings:/,$!d'
expect "licence-after-start: frontier model atlas@2"
grep -q moratorium-violated "$OUT" && die "the lifting licence did not clear the moratorium"

# ---------------------------------------------------------------------------
step "13. An auditor verifies the whole ledger, then its policy"
why "nobody has to trust the operator: signatures, history and Merkle root are all checked."
pl 0 verify
show
expect "verified"
pl 1 verify --policy
show '/^policy:/!d'
expect "unlicensed-frontier-model"
expect "dataset-reserved-works"

step "14. The evidence bundle for atlas-chat@1 goes to court"
why "a court verifies the facts offline, trusting only the operator's public key."
pl 0 export atlas-chat@1 --out evidence/atlas-chat-1.bundle
show
expect "wrote evidence/atlas-chat-1.bundle"
say "The operator publishes its public key; the court keeps a copy:"
printf '\n   $ provledger key allowed-signers | grep "^operator " > evidence/operator.pub\n'
"$PL" key allowed-signers 2>&1 | grep '^operator ' >evidence/operator.pub ||
	die "key allowed-signers does not list the operator's key"
sed 's/^/      /' evidence/operator.pub
say "To show that the court needs no ledger, the ledger is deleted first:"
printf '\n   $ rm -rf .provledger\n'
rm -rf .provledger
pl 0 verify-bundle evidence/atlas-chat-1.bundle --trust evidence/operator.pub
show '/^checkpoint/p;/^model /,/^$/p;/^work /,/^$/p;/^verified:/p;d'
say "   ... (trimmed: datasets, check reports, attestations, keys)"
expect "[verified: signed by the trusted operator key]"
expect "verified: every entry is in the log at size"

step "15. A tampered copy of the bundle is refused"
why "an edited fact breaks its signature and its Merkle proof: forgery is visible."
say "Someone edits the copy so that atlas@1 seems to have used 100 times less compute"
say "(3.8e25 -> 3.8e23 FLOP, below the frontier threshold), and re-compresses it:"
python3 - evidence/atlas-chat-1.bundle evidence/tampered.bundle <<'PY' || die "python3 could not tamper with the bundle"
import base64, gzip, json, sys
bundle = json.load(gzip.open(sys.argv[1], "rt", encoding="utf-8"))
for entry in bundle["entries"]:
    env = json.loads(entry["envelope"])
    stmt = base64.b64decode(env["payload"])
    if b'"name":"atlas"' in stmt and b'"3.8e25"' in stmt:
        env["payload"] = base64.b64encode(stmt.replace(b'"3.8e25"', b'"3.8e23"')).decode()
        entry["envelope"] = json.dumps(env, separators=(",", ":"))
        break
else:
    sys.exit("no model entry for atlas@1 in the bundle")
with gzip.open(sys.argv[2], "wt", encoding="utf-8") as f:
    json.dump(bundle, f, separators=(",", ":"))
PY
pl 1 verify-bundle evidence/tampered.bundle --trust evidence/operator.pub
show "/^provledger: seq \($ATLAS\|$((ATLAS + 1))\) (model/p;/cannot be reached/p;/verification FAILED/p;/^model atlas@1 .*NOT VERIFIED/p;d"
expect "seq $ATLAS (model atlas@1): inclusion proof does not lead"
expect "model atlas@1 (seq $ATLAS) [NOT VERIFIED]"

# ---------------------------------------------------------------------------
step "Summary"
cat <<EOF
   - The operator ran a signed, append-only ledger; seven parties registered keys,
     and their roles were granted (operator -> AISI -> Acme Lab, RedTeam,
     Chipworks, Harbour Press); a key that only claimed to be an authority could not
     license anything.
   - Rights holders registered 3 works under 3 kinds of terms; only fingerprints
     entered the ledger.
   - 'check' found a 110-word quotation of an all-rights-reserved work inside a
     blog post in a gzip JSONL shard, curly quotes and all.
   - Chipworks registered the 16384 accelerators it delivered (serials as
     digests and a Merkle root); the lab registered two datasets (gzip and zstd
     JSONL; WebDataset tar and text), a frontier base model trained on those
     chips and a fine-tune; AISI licensed the base run; RedTeam recorded its
     evaluation.
   - AISI declared a moratorium above 1e26 FLOP; a run during it was an error
     finding until a licence lifted it, and its late licence stayed one.
   - 'lineage' showed the fine-tune's full ancestry and the policy findings: the
     reserved work reached atlas-chat@1 through its base model, and the
     fine-tune's own frontier run had no licence.
   - Harbour Press's 'query' found atlas-chat@1 via atlas@1; a work registered
     later was found first as a sketch lead, then as evidence after a recheck.
   - 'verify' audited the ledger; 'verify --policy' failed on the findings.
   - The evidence bundle verified offline with the ledger deleted; a copy with
     one edited figure was refused.
EOF
[ -f "$OUTDIR/lineage.svg" ] && say "The lineage graph: $OUTSHOW/lineage.svg"
printf '\n%sdemo: every step behaved as expected%s\n' "$B" "$N"
