# index_repair.sh - a corrupt or missing index is detected and `reindex`
# rebuilds it from git with the same registry and the same check report.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export PROVLEDGER_TIME=1790000000

pl --ledger L init --origin example.org/repair
expect "init" 0
pl key gen --name press --role rights-holder --out press
pl --ledger L key register press.pub --key press.key
expect "register a rights holder" 0
python3 -c '
import json, random
r = random.Random(3)
words = ["w%d" % r.randrange(50000) for _ in range(600)]
open("book.txt", "w").write(" ".join(words) + "\n")
with open("shard.jsonl", "w") as f:
    f.write(json.dumps({"text": "filler " * 40 + " ".join(words[100:220])}) + "\n")
'
pl --ledger L work register book.txt --title Book --holder Press --key press.key
expect "register a work" 0
pl --ledger L --json check shard.jsonl
expect "check finds the excerpt" 1
cp "$OUT" before.json

printf 'not a database at all' >L/index.sqlite
rm -f L/index.sqlite-wal L/index.sqlite-shm
pl --ledger L work list
expect "corrupt index: refused, with the remedy" 3 "index.sqlite is corrupt"
pl --ledger L reindex
expect "reindex repairs it" 0
expect_out "reindex reports the entries" "3 entries"
pl --ledger L work list
expect_out "the registry is back" "Book"
pl --ledger L --json check shard.jsonl
expect "check after reindex" 1
check "same check report after reindex" cmp -s before.json "$OUT"

rm -f L/index.sqlite L/index.sqlite-wal L/index.sqlite-shm
pl --ledger L --json check shard.jsonl
expect "missing index: rebuilt from git on open" 1
check "same check report from a rebuilt index" cmp -s before.json "$OUT"
pl --ledger L verify
expect "verify after all that" 0
finish
