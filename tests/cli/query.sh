#!/bin/bash
# query.sh - provledger query: every path from a dataset to each model (a
# model trained on the dataset directly and through a base model shows both),
# the match indexes a claim names, exact spans in the evidence, the models
# behind a sketch lead (marked as leads), --file, and the errors.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
prose() { "$PY" "$HERE/gen_corpus.py" prose "$@"; }
js() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
slice() { "$PY" - "$@" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
ms = list(re.finditer(r"[A-Za-z0-9\u00e9\u00c9]+", text))
a, b = int(sys.argv[2]), int(sys.argv[3])
sys.stdout.write(text[ms[a].start():ms[b - 1].end()])
PYEOF
}

pl --ledger L init
pl key gen --name press --role rights-holder --out press
pl --ledger L key register press.pub --key press.key
pl key gen --name acme --role lab --out acme
pl --ledger L key register acme.pub --key acme.key
grant L acme lab
expect "setup: a rights holder and a granted lab" 0

prose 2500 31 >book.txt
prose 2500 32 >late.txt
prose 3000 33 >filler.txt
pl --ledger L work register book.txt --title Book --holder Press --key press.key --json
expect "register the book" 0
BOOK=$(js 'd["work"]' "$OUT")
# two records quote the book (one of them twice), a third quotes a work that
# is registered only after the dataset
"$PY" - <<'PYEOF' >data.jsonl
import json, re, subprocess, sys
def sl(path, a, b):
    text = open(path).read()
    ms = list(re.finditer(r"[A-Za-z0-9\u00e9\u00c9]+", text))
    return text[ms[a].start():ms[b - 1].end()]
f = open("filler.txt").read()
print(json.dumps({"text": f[:900] + " zqxjv " + sl("book.txt", 100, 300) + " zqxjv " + f[900:1500]}))
print(json.dumps({"text": f[1500:2500]}))
print(json.dumps({"text": sl("book.txt", 1000, 1091) + " zqxjv " + f[2500:4000] + " zqxjv " +
                  sl("book.txt", 2000, 2120)}))
print(json.dumps({"text": f[4000:5000] + " zqxjv " + sl("late.txt", 500, 900) + " zqxjv"}))
PYEOF
pl --ledger L dataset register --name web --version 1 data.jsonl --key acme.key --json
expect "dataset register: exit 1 (matches)" 1
CHECK=$(js 'd["check"]["seq"]' "$OUT")
pl --ledger L model register --name base --version 1 --dataset web@1 --training-flop 1e24 \
	--parameters 7e9 --key acme.key
expect "model base@1 on web@1" 0
pl --ledger L model register --name chat --version 1 --base base@1 --dataset web@1 \
	--training-flop 1e22 --parameters 7e9 --key acme.key
expect "model chat@1 on base@1 and on web@1 directly" 0
"$PY" -c 'import json; print(json.dumps({"text": open("filler.txt").read()[6000:8000]}))' >extra.jsonl
pl --ledger L dataset register --name extra --version 1 extra.jsonl --key acme.key
expect "a second dataset, unrelated" 0
pl --ledger L model register --name tune --version 1 --base chat@1 --dataset extra@1 \
	--training-flop 1e21 --parameters 7e9 --key acme.key
expect "model tune@1 on chat@1 and extra@1" 0

pl --ledger L query --work "$BOOK" --json
expect "query --work: exit 0" 0
cp "$OUT" q.json
check "three matches of the book, with their indexes in the check entry" \
	[ "$(js '[m["match"] for e in d["evidence"] for m in e["matches"]]' q.json)" = "[0, 1, 2]" ]
check "the evidence states the spans exactly" \
	[ "$(js '[(m["work_span"], m["matched_tokens"], m["span"]) for e in d["evidence"] for m in e["matches"]]' q.json)" = "[([100, 300], 200, 'exact'), ([1000, 1091], 91, 'exact'), ([2000, 2120], 120, 'exact')]" ]
check "each model once, by its shortest path" \
	[ "$(js '[(m["name"], m["via"]) for m in d["models"]]' q.json)" = "[('base@1', ['web@1', 'base@1']), ('chat@1', ['web@1', 'chat@1']), ('tune@1', ['web@1', 'chat@1', 'tune@1'])]" ]
check "chat@1: directly and through its base model" \
	[ "$(js '[m["paths"] for m in d["models"] if m["name"] == "chat@1"]' q.json)" = "[[['web@1', 'chat@1'], ['web@1', 'base@1', 'chat@1']]]" ]
check "tune@1: both paths through chat@1" \
	[ "$(js '[m["paths"] for m in d["models"] if m["name"] == "tune@1"]' q.json)" = "[[['web@1', 'chat@1', 'tune@1'], ['web@1', 'base@1', 'chat@1', 'tune@1']]]" ]
check "no model is a lead" [ "$(js '[m.get("lead") for m in d["models"]]' q.json)" = "[None, None, None]" ]
pl --ledger L query --work "$BOOK"
expect_out "text: the claim's flags for each match" "match 2 (claim: --check $CHECK --match 2)"
expect_out "text: the span" "tokens 1000-1091 of the work, 91 matched (span exact)"
expect_out "text: a second path on its own line" "      web@1 -> base@1 -> chat@1"
M=$(js '[m["match"] for e in d["evidence"] for m in e["matches"] if m["work_span"][0] == 2000][0]' q.json)
pl --ledger L attest claim --subject tune@1 --work "$BOOK" --check "$CHECK" --match "$M" \
	--statement "chapter 9 copied" --key press.key
expect "a claim naming the match index query printed" 0
pl --ledger L attest claim --subject tune@1 --work "$BOOK" --check "$CHECK" --match 3 \
	--statement "no such match" --key press.key
expect "a claim naming a match the check does not have: refused" 3 "check $CHECK has 3 matches"

# a work registered after the dataset: a sketch lead, with the models behind it
pl --ledger L work register late.txt --title Late --holder Press --key press.key --json
LATE=$(js 'd["work"]' "$OUT")
pl --ledger L query --work "$LATE" --json
expect "query a work registered after the check: exit 0" 0
cp "$OUT" late.json
check "no evidence, one lead" [ "$(js '(len(d["evidence"]), len(d["leads"]))' late.json)" = "(0, 1)" ]
check "the lead lists the models trained on its dataset, marked as leads" \
	[ "$(js '[(m["name"], m["lead"], len(m["paths"])) for m in d["leads"][0]["models"]]' late.json)" = "[('base@1', True, 1), ('chat@1', True, 2), ('tune@1', True, 2)]" ]
check "the lead's models are not evidence" [ "$(js 'd["models"]' late.json)" = "[]" ]
pl --ledger L query --work "$LATE"
expect_out "text: the lead's models" "models trained on it (leads, not proof): 3"
expect_out "text: marked as leads" "tune@1 (entry"
grep -q "\[lead\]" "$OUT" && ok "text: [lead] marks" || bad "text: [lead] marks"

# --file: a local file matching a registered work
{
	head -c 500 filler.txt
	echo " zqxjv"
	slice book.txt 400 460
	echo " zqxjv"
} >mine.txt
pl --ledger L query --file mine.txt --json
expect "query --file: exit 0" 0
check "--file: the book, its span exactly" \
	[ "$(js '[(w["work"], w["match"]["work_span"], w["match"]["matched_tokens"], w["match"]["span"]) for w in d["works"]]' "$OUT")" = "[('$BOOK', [400, 460], 60, 'exact')]" ]

# errors
pl --ledger L query
expect "no --work nor --file: exit 2" 2
pl --ledger L query --work W0000000000000000
expect "an unknown work: exit 3" 3
pl --ledger L query --file missing.txt
expect "a missing file: exit 3" 3
finish
