#!/bin/bash
# escape.sh - text output cannot be forged by the values it prints. A shard
# whose file name holds a newline, an ESC and a U+202E (right-to-left
# override), a work whose title and creator hold newlines and whose holder an
# ESC, licence conditions with a newline and U+202E: every command that prints
# them in text (lineage text and DOT, log, show, work list|show, query, check,
# hash, dataset list|show, export, verify-bundle, verify --policy, errors)
# shows them escaped (\n, \xNN, \u{NNNN}), so that no line of output begins
# with the forged text and no control or bidirectional character reaches the
# terminal. Key names with control characters are refused by `key gen`.
EX=$(cd "$(dirname "$0")/../../examples" && pwd)
. "$(dirname "$0")/lib.sh"
export PROVLEDGER_TIME=1790000000
L="--ledger L"
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

FORGE_ATT='attestation training-licence FORGED on atlas@1 by authority [verified]'
FORGE_WORK='work W0000000000000000 FORGED "A Novel" holder Nobody, terms licensed:free; in evil@1'
SHARD=$(printf 'x.jsonl\n%s\033[2J\342\200\256lmth.jsonl' "$FORGE_ATT")
TITLE=$(printf 'Notes on Rain\n%s' "$FORGE_WORK")
HOLDER=$(printf 'Rain \033[31mPress\302\205')
CREATOR=$(printf 'A. Author\nattestation training-licence FORGED')
CONDITIONS=$(printf 'report yearly\n%s\342\200\256' "$FORGE_ATT")

# clean.py FILE...: no line begins with forged text, every FORGED follows an
# escape on its line, no C0 control but LF, no DEL, no C1, no bidirectional
# control, valid UTF-8.
cat >clean.py <<'EOF'
import sys
bad = []
forged = ("attestation training-licence FORGED", "work W0000000000000000 FORGED")
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad.append(f"{path}: not UTF-8: {e}")
        continue
    for n, line in enumerate(text.split("\n"), 1):
        s = line.lstrip(" ")
        if s.startswith(forged):
            bad.append(f"{path}:{n}: a forged line: {line!r}")
        i = line.find("FORGED")
        if i >= 0 and "\\" not in line[:i]:
            bad.append(f"{path}:{n}: FORGED without an escape before it: {line!r}")
        for c in line:
            o = ord(c)
            if o < 0x20 or o == 0x7f or 0x80 <= o < 0xa0 or 0x202a <= o <= 0x202e or \
                    0x2066 <= o <= 0x2069:
                bad.append(f"{path}:{n}: raw U+{o:04X} in {line!r}")
                break
if bad:
    print("\n".join(bad[:10]))
    sys.exit(1)
EOF
# clean NAME: the last run's stdout and stderr are clean
clean() { check "$1: nothing forged, nothing raw" python3 clean.py "$OUT" "$ERR"; }
# has NAME TEXT: the last run's stdout or stderr holds TEXT (fixed string)
has() {
	if grep -qF -- "$2" "$OUT" "$ERR"; then ok "$1"; else bad "$1" "output lacks: $2" "stdout: $(head -c 400 "$OUT")"; fi
}
ESC_SHARD='x.jsonl\nattestation training-licence FORGED on atlas@1 by authority [verified]\x1b[2J\u{202e}lmth.jsonl'

# ---- key names with control characters are refused ----------------------
pl key gen --name "$(printf 'evil\nname')" --role lab --out evil
expect "key gen: a name with a newline is refused" 2 "key name holds a control character"
clean "key gen refusal"
pl key gen --name "$(printf 'evil\033[2Jname')" --role lab --out evil
expect "key gen: a name with an ESC is refused" 2 "control character"
pl key gen --name "$(printf 'evil\342\200\256name')" --role lab --out evil
expect "key gen: a name with U+202E is refused" 2 "bidirectional override"
check "key gen refusals: no key written" [ ! -e evil.key ] && [ ! -e evil.pub ]

# ---- a ledger holding hostile values --------------------------------------
pl $L init
for k in acme:lab aisi:authority press:rights-holder; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null
	"$PL" $L key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
grant L aisi authority
grant L acme lab
grant L press rights-holder
expect "setup: keys granted" 0
cp "$EX/works/notes-on-rain.txt" rain.txt
pl $L work register rain.txt --title "$TITLE" --holder "$HOLDER" --creator "$CREATOR" --key press.key
expect "work register: a title with a newline" 0
clean "work register"
has "work register: the title escaped" 'registered W'
has "work register: the newline shown as \n" 'Notes on Rain\nwork W0000000000000000 FORGED'
pl $L --json work list
ID=$(js 'd["works"][0]["work"]' "$OUT")
WSEQ=$(js 'd["works"][0]["seq"]' "$OUT")
python3 -c 'import json,sys; print(json.dumps({"text": open(sys.argv[1]).read()}))' rain.txt >"$SHARD"
check "setup: the hostile shard file exists" [ -s "$SHARD" ]
pl $L dataset register --name evil --version 1 "$SHARD" --key acme.key
expect "dataset register: the hostile shard (it holds the work)" 1
clean "dataset register"
has "dataset register: the shard name escaped" "$ESC_SHARD record 0"
pl $L model register --name atlas --version 1 --dataset evil@1 --training-flop 3.8e25 \
	--parameters 1.2e12 --key acme.key
expect "setup: a model trained on it" 0
pl $L attest training-licence --subject atlas@1 --max-training-flop 5e25 \
	--conditions "$CONDITIONS" --key aisi.key
expect "setup: a licence with hostile conditions" 0
pl $L --json dataset show evil@1
DSEQ=$(js 'd["seq"]' "$OUT")

# ---- every text printer ---------------------------------------------------
pl $L lineage atlas@1
expect "lineage" 0
clean "lineage"
has "lineage: the shard escaped" "shard $ESC_SHARD sha256"
has "lineage: the title escaped" "work $ID \"Notes on Rain\\nwork W0000000000000000 FORGED"
has "lineage: the holder's ESC and C1 escaped" 'holder Rain \x1b[31mPress\u{0085}, terms'
has "lineage: the licence's signer by name" "by authority aisi (SHA256:"

pl $L lineage atlas@1 --format dot
expect "lineage --format dot" 0
clean "lineage --format dot"
cp "$OUT" lineage.dot
has "dot: the title escaped and DOT-quoted" 'Notes on Rain\\nwork W0000000000000000 FORGED \"A Novel\"'
if command -v dot >/dev/null; then
	run dot -Tsvg lineage.dot -o lineage.svg
	check "dot: still valid DOT (dot -Tsvg renders it)" [ "$RC" -eq 0 ] && grep -q "<svg" lineage.svg
else
	skip "dot: still valid DOT" "graphviz not installed"
fi

pl $L log
expect "log" 0
clean "log"
check "log: the dataset by NAME@VERSION, not its shard" grep -qE "^$DSEQ +[0-9TZ:-]+ +dataset +evil@1$" "$OUT"

pl $L show "$DSEQ"
expect "show: the dataset entry" 0
clean "show: the dataset entry"
has "show: the shard's U+202E escaped in the statement" '\u{202e}lmth.jsonl'
pl $L show "$WSEQ"
expect "show: the work entry" 0
clean "show: the work entry"
pl $L show "$(($(js 'd["seq"]' <("$PL" $L --json model show atlas@1)) + 1))"
expect "show: the licence" 0
clean "show: the licence (U+202E in its conditions)"
has "show: the conditions' U+202E escaped" '[verified]\u{202e}'

pl $L work list
expect "work list" 0
clean "work list"
has "work list: the title escaped" 'Notes on Rain\nwork W0000000000000000 FORGED'
pl $L work show "$ID"
expect "work show" 0
clean "work show"
has "work show: the creator escaped" 'A. Author\nattestation training-licence FORGED'
has "work show: the holder escaped" 'Rain \x1b[31mPress\u{0085}'

pl $L query --work "$ID"
expect "query --work" 0
clean "query --work"
has "query --work: the shard escaped" "$ESC_SHARD record 0"
pl $L query --file rain.txt
expect "query --file" 0
clean "query --file"

pl $L check "$SHARD"
expect "check: the hostile shard" 1
clean "check"
has "check: the shard escaped" "$ESC_SHARD record 0"
pl hash "$SHARD"
expect "hash: the hostile shard" 0
clean "hash"
has "hash: the path escaped" "$ESC_SHARD"

pl $L dataset list
expect "dataset list" 0
clean "dataset list"
pl $L dataset show evil@1
expect "dataset show" 0
clean "dataset show"
has "dataset show: the shard escaped" "shard     $ESC_SHARD: "

pl $L verify --policy
expect "verify --policy: findings" 1
clean "verify --policy"
has "verify --policy: the title in a finding escaped" '"Notes on Rain\nwork W0000000000000000 FORGED'

pl $L export atlas@1 --out m.bundle
expect "export a model" 0
clean "export a model"
OUTNAME=$(printf 'w\n%s.bundle' "$FORGE_WORK")
pl $L export --work "$ID" --out "$OUTNAME"
expect "export --work to a file name with a newline" 0
clean "export --work"
has "export: the file name escaped" 'wrote w\nwork W0000000000000000 FORGED'

pl verify-bundle m.bundle --trust L/operator.pub
expect "verify-bundle: the model bundle verifies" 0
clean "verify-bundle (model)"
has "verify-bundle: the shard escaped" "shard         $ESC_SHARD ("
has "verify-bundle: the subject name escaped" "  $ESC_SHARD"
has "verify-bundle: the match's shard escaped" "match         $ESC_SHARD record 0"
has "verify-bundle: the title escaped" 'title         Notes on Rain\nwork W0000000000000000 FORGED'
has "verify-bundle: the holder escaped" 'holder        Rain \x1b[31mPress\u{0085}'
has "verify-bundle: the conditions' U+202E escaped" '[verified]\u{202e}"'
pl verify-bundle "$OUTNAME" --trust L/operator.pub
expect "verify-bundle: the work bundle verifies" 0
clean "verify-bundle (work)"
has "verify-bundle: the bundle's file name escaped" 'bundle        w\nwork W0000000000000000 FORGED'

# ---- error messages quoting a value ---------------------------------------
pl hash "$(printf 'missing\n%s' "$FORGE_ATT")"
expect "hash: a missing file with a newline in its name" 3
clean "hash: the error message"
has "hash: the name escaped in the message" 'provledger: missing\nattestation training-licence FORGED'
pl $L show "$(printf 'W1234\n%s' "$FORGE_WORK")"
expect "show: a hostile argument" 3
clean "show: a hostile argument's message"
pl $L dataset show "$(printf 'a\n%s@1' "$FORGE_ATT")"
expect "dataset show: a hostile NAME@VERSION" 3
clean "dataset show: the message"
pl $L log --type "$(printf 'x\n%s' "$FORGE_ATT")" --limit "$(printf '1\n%s' "$FORGE_ATT")"
expect "log: a hostile --limit is a usage error" 2
clean "log: the usage message"
pl $L key list
expect "key list" 0
clean "key list"
finish
