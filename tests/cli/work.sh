#!/bin/bash
# work.sh - provledger work register|import|list|show: registration, every
# refusal (exit 3, nothing appended), short works, import atomicity, listing.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
prose() { "$PY" "$HERE/gen_corpus.py" prose "$@"; }
js() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
# the ledger's entry count, from log --json
entries() {
	"$PL" --ledger L log --json 2>/dev/null >log.json
	"$PY" -c 'import json; d=json.load(open("log.json")); print(len(d["entries"]) if isinstance(d, dict) else len(d))'
}

pl --ledger L init
pl key gen --name rh --role rights-holder --out rh
pl --ledger L key register rh.pub --key rh.key
pl key gen --name lab --role lab --out lab
pl --ledger L key register lab.pub --key lab.key
pl key gen --name stranger --role rights-holder --out stranger
expect "setup: keys" 0

prose 1500 21 >book.txt
n0=$(entries)
check "log --json counts entries" [ "$n0" -ge 3 ]
pl --ledger L --json work register book.txt --title "The Book" --holder "Acme Press" \
	--creator "A. Author" --creator "B. Writer" --terms "licensed:https://example.org/l" --key rh.key
expect "register: exit 0" 0
ID=$(js 'd["work"]' "$OUT")
check "register --json: a work id W+16 hex" grep -qE '^W[0-9a-f]{16}$' <<<"$ID"
check "register --json: not short" [ "$(js 'd["short"]' "$OUT")" = False ]
check "register: one entry appended" [ "$(entries)" = $((n0 + 1)) ]
# The id is W + 16 hex of the SHA-256 of the normalized text (tokens joined by spaces).
NORM=$("$PY" -c '
import re, sys, hashlib
t = open("book.txt").read()
ws = [m.group().lower() for m in re.finditer(r"[A-Za-z0-9\u00e9\u00c9]+", t)]
print(hashlib.sha256(" ".join(ws).encode()).hexdigest())')
check "work id = W + normalized SHA-256 prefix" [ "$ID" = "W${NORM:0:16}" ]

pl --ledger L work list --json
expect "work list --json" 0
check "work list: one work" [ "$(js 'len(d["works"])' "$OUT")" = 1 ]
check "work list: fields" [ "$(js '[d["works"][0][k] for k in ("work","title","holder","terms","creators","normalized_sha256")]' "$OUT")" = "['$ID', 'The Book', 'Acme Press', 'licensed:https://example.org/l', ['A. Author', 'B. Writer'], '$NORM']" ]
check "work list: tokens and fingerprints" [ "$(js 'd["works"][0]["tokens"] > 1400 and d["works"][0]["fingerprints"] > 0 and d["works"][0]["robust_fingerprints"] > d["works"][0]["fingerprints"]' "$OUT")" = True ]
pl --ledger L work list
expect_out "work list: text" "$ID"
pl --ledger L work show "$ID" --json
expect "work show --json" 0
check "work show --json: the work" [ "$(js 'd["work"]' "$OUT")" = "$ID" ]
pl --ledger L work show "$ID"
expect_out "work show: text" "The Book"
pl --ledger L work show W0000000000000000
expect "work show unknown id: exit 3" 3 "W0000000000000000"
pl --ledger L work show
expect "work show without id: exit 2" 2

# The fingerprint attachment: 12-byte records, sorted by position (SPEC 6.2).
pl --ledger L show "$(js 'd["works"][0]["seq"]' <("$PL" --ledger L work list --json))" --json
check "work entry shown" [ "$RC" = 0 ]

# ---- refusals: exit 3, a message, nothing appended
n1=$(entries)
refuse() { # NAME "stderr substring" ARGS...
	local name=$1 msg=$2
	shift 2
	pl --ledger L work register "$@"
	expect "$name: exit 3" 3 "$msg"
	check "$name: nothing appended" [ "$(entries)" = "$n1" ]
}
refuse "same text again" "book.txt: this text is already registered as $ID" book.txt --title Again --holder H --key rh.key
tr 'a-z' 'A-Z' <book.txt | tr '\n' ' ' | sed 's/  */   /g' >shouted.txt
refuse "re-cased, reflowed copy" "shouted.txt: this text is already registered as $ID" shouted.txt --title Again --holder H --key rh.key
"$PY" -c '
t = open("book.txt").read().replace("\x27", "\u2019").replace(" ", "\u00a0", 30)
open("curly.txt", "w").write(t.replace("fi", "\ufb01"))'
refuse "curly-quoted, ligatured copy" "$ID" curly.txt --title Again --holder H --key rh.key
: >empty.txt
refuse "empty file" "empty" empty.txt --title E --holder H --key rh.key
printf ' \n\t -- ... !!!\n' >punct.txt
refuse "punctuation only" "empty" punct.txt --title E --holder H --key rh.key
printf 'Some words here\0\0binary' >nul.txt
refuse "NUL bytes" "nul.txt: byte 15: NUL byte in text" nul.txt --title B --holder H --key rh.key
printf 'Some words, caf\xe9 latin-1' >latin1.txt
refuse "invalid UTF-8" "latin1.txt: byte 15: invalid UTF-8" latin1.txt --title B --holder H --key rh.key
head -c 4000 /dev/urandom >random.bin 2>/dev/null || dd if=/dev/urandom of=random.bin bs=4000 count=1 2>/dev/null
refuse "random bytes" "random.bin" random.bin --title B --holder H --key rh.key
prose 300 22 >ok.txt
refuse "a lab key" "rights-holder" ok.txt --title T --holder H --key lab.key
refuse "an unregistered key" "is not a registered key" ok.txt --title T --holder H --key stranger.key
for t in free "licensed:" "opt_out" "ALL-RIGHTS-RESERVED" ""; do
	refuse "--terms '$t'" "terms" ok.txt --title T --holder H --terms "$t" --key rh.key
done
refuse "empty title" "title" ok.txt --title "" --holder H --key rh.key
pl --ledger L work register missing.txt --title T --holder H --key rh.key
expect "missing file: exit 3" 3 "missing.txt"
pl --ledger L work register ok.txt --holder H --key rh.key
expect "no --title: exit 2" 2
pl --ledger L work register ok.txt --title T --holder H
expect "no --key: exit 2" 2
pl --ledger L work register --title T --holder H --key rh.key
expect "no FILE: exit 2" 2
pl --ledger L work register ok.txt --title T --holder H --key rh.key --bogus
expect "unknown flag: exit 2" 2
check "refusals appended nothing" [ "$(entries)" = "$n1" ]

for t in all-rights-reserved opt-out "licensed:CC BY-SA 4.0"; do
	prose 200 $((30 + ${#t})) >terms.txt
	pl --ledger L work register terms.txt --title "T $t" --holder H --terms "$t" --key rh.key
	expect "--terms '$t' accepted" 0
done

# ---- a short work (< 50 tokens): registered with a warning; only exact copies found
printf 'Tiny poem: the owl and the pussycat went to sea\nin a beautiful pea-green boat.\n' >short.txt
pl --ledger L --json work register short.txt --title Short --holder H --key rh.key
expect "short work: registered" 0 "warning"
check "short work: --json says short" [ "$(js 'd["short"]' "$OUT")" = True ]
SID=$(js 'd["work"]' "$OUT")
printf 'TINY  POEM — THE OWL AND THE PUSSYCAT\tWENT TO SEA IN A BEAUTIFUL PEA GREEN BOAT!!\n' >short-copy.txt
pl --ledger L check short-copy.txt --json
expect "short work: an exact (re-cased) copy is found" 1
check "short work: class exact" [ "$(js '[(m["work"], m["class"]) for m in d["matches"]]' "$OUT")" = "[('$SID', 'exact')]" ]
{ prose 100 40; cat short.txt; prose 100 41; } >short-in.txt
pl --ledger L check short-in.txt --json
expect "short work inside other text: not found (exit 0)" 0

# ---- work import: all or nothing
prose 400 50 >i1.txt
prose 400 51 >i2.txt
"$PY" - >import.jsonl <<'PYEOF'
import json, subprocess, sys
print(json.dumps({"path": "i1.txt", "title": "I1", "holder": "H", "creators": ["X"]}))
print(json.dumps({"path": "i2.txt", "title": "I2", "holder": "H", "terms": "opt-out"}))
print(json.dumps({"text": open("i1.txt").read()[:200] + " inline text work", "title": "I3", "holder": "H"}))
PYEOF
bad_import() { # NAME "stderr substring" LINE: import.jsonl with LINE appended
	local name=$1 msg=$2 line=$3
	{
		cat import.jsonl
		printf '%s\n' "$line"
	} >bad-import.jsonl
	local before
	before=$(entries)
	pl --ledger L work import bad-import.jsonl --key rh.key
	expect "import with $name: exit 3" 3 "$msg"
	check "import with $name: the file and line named once" \
		[ "$(grep -o 'bad-import.jsonl: line' "$ERR" | wc -l)" = 1 ]
	check "import with $name: appends nothing" [ "$(entries)" = "$before" ]
}
bad_import "invalid JSON on line 4" "line 4" '{"path": "i1.txt", "title": '
bad_import "no title" "line 4" '{"path": "ok.txt", "holder": "H"}'
bad_import "path and text" "line 4" '{"path": "ok.txt", "text": "x y z", "title": "T", "holder": "H"}'
bad_import "a missing file" "nope.txt" '{"path": "nope.txt", "title": "T", "holder": "H"}'
bad_import "an already registered text" "$ID" '{"path": "book.txt", "title": "T", "holder": "H"}'
bad_import "a repeated line" "line 4" '{"path": "i2.txt", "title": "again", "holder": "H"}'
bad_import "bad terms" "terms" '{"path": "ok.txt", "title": "T", "holder": "H", "terms": "free"}'
bad_import "creators not strings" "line 4" '{"path": "ok.txt", "title": "T", "holder": "H", "creators": [1]}'
bad_import "an empty text" "line 4" '{"text": "  ...  ", "title": "T", "holder": "H"}'
pl --ledger L work import import.jsonl --key lab.key
expect "import with a lab key: exit 3" 3 "rights-holder"
before=$(entries)
pl --ledger L --json work import import.jsonl --key rh.key
expect "import: exit 0" 0
check "import: three entries" [ "$(entries)" = $((before + 3)) ]
check "import --json: three works" [ "$(js 'len(d["works"])' "$OUT")" = 3 ]
pl --ledger L work list --json
check "import: creators kept" [ "$(js '[w["creators"] for w in d["works"] if w["title"] == "I1"]' "$OUT")" = "[['X']]" ]
check "import: terms kept" [ "$(js '[w["terms"] for w in d["works"] if w["title"] == "I2"]' "$OUT")" = "['opt-out']" ]

# More lines than the first allocation (16): each work keeps its own creators.
for i in $(seq 1 40); do
	prose 120 $((100 + i)) >"m$i.txt"
	printf '{"path": "m%d.txt", "title": "M%d", "holder": "H", "creators": ["C%d", "D%d"]}\n' "$i" "$i" "$i" "$i"
done >many.jsonl
pl --ledger L work import many.jsonl --key rh.key
expect "import of 40 lines" 0
pl --ledger L work list --json
check "import of 40 lines: every work's creators right" [ "$(js 'all(w["creators"] == ["C" + w["title"][1:], "D" + w["title"][1:]] for w in d["works"] if w["title"].startswith("M"))' "$OUT")" = True ]
check "import of 40 lines: 40 works" [ "$(js 'sum(w["title"].startswith("M") for w in d["works"])' "$OUT")" = 40 ]

finish
