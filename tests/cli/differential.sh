#!/bin/bash
# differential.sh - the normalizer and the JSON readers against code nobody
# here wrote: SPEC §8 step 1 re-implemented on Python's unicodedata
# (unicode_differential.py, 20,000 random records through `hash --records`),
# and the JSONL shard reader and the strict JSON parser against Python's json
# on random and mutated documents (json_differential.py through
# build/tools/json_read). Each script exits 1 and prints the first
# disagreements when the two sides differ.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TOOLS=${PL_TOOLS:?}

mkdir u j
"$PY" "$HERE/unicode_differential.py" "$PL" "$T/u" 20000 1 >u.out 2>&1
rc=$?
sed 's/^/    /' u.out | head -20
check "unicode: 20,000 random records normalize and tokenize as unicodedata does" [ $rc -eq 0 ]

"$PY" "$HERE/json_differential.py" "$TOOLS/json_read" "$T/j" 5000 1 >j.out 2>&1
rc=$?
sed 's/^/    /' j.out | head -20
check "json: 5,000 documents per reader accepted and refused as Python's json does" [ $rc -eq 0 ]

# The checker itself must be able to fail: a reference without casefolding.
rm -rf u && mkdir u
PL_DIFF_BROKEN=1 "$PY" "$HERE/unicode_differential.py" "$PL" "$T/u" 2000 1 >ub.out 2>&1
rc=$?
check "unicode: a reference without casefolding disagrees (exit 1)" [ $rc -eq 1 ]
check "unicode: and says how many records differ" grep -q ' [1-9][0-9]* differ' ub.out
finish
