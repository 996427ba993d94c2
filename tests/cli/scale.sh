#!/bin/bash
# scale.sh - check split over a job array: check --part I/N writes parts,
# merge combines them into the report one check prints (byte for byte, for
# any N, any order of the parts); every refusal of merge with its message and
# nothing written; dataset register --from-reports appends what a register
# over the shards appends.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export PROVLEDGER_TIME=1790000000
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
prose() { "$PY" "$HERE/gen_corpus.py" prose "$@"; }
L="--ledger L"

pl $L init
for k in rh:rights-holder acme:lab; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null 2>&1
	"$PL" $L key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
grant L acme lab
expect "setup: a lab key in force" 0
prose 3000 11 >book.txt
prose 900 12 >other.txt
pl $L work register book.txt --title Book --holder H --key rh.key
pl $L work register other.txt --title Other --holder H --key rh.key
expect "setup: two works" 0

# five shards: matches in three of them (one gzip-compressed), listed out of
# name order so the sort is exercised
jl() { "$PY" -c 'import json,sys
for a in sys.argv[1:]:
    t = open(a).read() if a.endswith(".txt") else a
    print(json.dumps({"text": t}))' "$@"; }
prose 400 21 >r1.txt
prose 400 22 >r2.txt
jl r1.txt "a short record" book.txt >d.jsonl
jl r2.txt >a.jsonl
head -c 4000 other.txt >part-other.txt
jl "nothing here" part-other.txt r1.txt >c.jsonl
jl r2.txt "also nothing" >e.jsonl
jl r1.txt book.txt | gzip -n >b.jsonl.gz
SHARDS="d.jsonl a.jsonl e.jsonl b.jsonl.gz c.jsonl"
printf '%s\n' $SHARDS >list.txt

pl $L --json check $SHARDS
expect "single check: matches" 1
cp "$OUT" single.json
check "single check: matches in three shards" \
	[ "$(grep -o '"shard": "[a-z.]*"' single.json | sort -u | wc -l)" -eq 3 ]

# ---- N = 1, 2, 3, and more parts than shards; parts merged in reverse order
for N in 1 2 3 7; do
	rm -f p.*
	okp=1
	for ((i = 0; i < N; i++)); do
		pl $L check --part $i/$N --out p.$i.json $SHARDS
		[ "$RC" -eq 0 ] || okp=0
	done
	check "N=$N: every part written, exit 0" [ $okp -eq 1 ]
	args=$(for ((i = N - 1; i >= 0; i--)); do printf 'p.%d.json ' $i; done)
	pl --json merge $args --out merged.$N.json
	expect "N=$N: merge exits 1 (matches)" 1
	check "N=$N: merge --json is the single check's output, byte for byte" cmp -s "$OUT" single.json
	check "N=$N: the report written is too" cmp -s merged.$N.json single.json
done
check "N=7: a part of no shard" grep -q '"shards":\[\]' p.6.json
check "a marker holds the part's SHA-256" \
	[ "$(cat p.0.json.done)" = "$(sha256sum p.0.json | cut -d' ' -f1)" ]

# --shard-list, --task-index/--task-count, and the scheduler's environment
rm -f q.*
pl $L check --shard-list list.txt --task-index 0 --task-count 2 --out q.0.json
expect "--shard-list --task-index --task-count" 0
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=2 \
	"$PL" $L check --shard-list list.txt --part env --out q.1.json >"$OUT" 2>"$ERR"
RC=$?
expect "--part env: Slurm's array task id, less its minimum" 0
pl --json merge q.0.json q.1.json
check "--shard-list parts merge to the same report" cmp -s "$OUT" single.json
JOB_COMPLETION_INDEX=1 "$PL" $L check --shard-list list.txt --task-index env --task-count 2 \
	--out k.1.json >"$OUT" 2>"$ERR"
RC=$?
expect "--task-index env: Kubernetes' JOB_COMPLETION_INDEX" 0
check "the Kubernetes part is the Slurm part's slice" \
	cmp -s <(grep -o '"position":[0-9]*' k.1.json) <(grep -o '"position":[0-9]*' q.1.json)
pl merge q.0.json q.1.json
expect "merge: text output" 1
expect_out "merge: text summary" "merged 2 parts: 5 shards"
expect_out "merge: the matches listed" "exact: W"

# ---- usage errors
env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX "$PL" $L check --part env $SHARDS \
	>"$OUT" 2>"$ERR"
RC=$?
expect "--part env without a scheduler" 2 \
	"--task-index env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set"
pl $L check --part 3/3 $SHARDS
expect "--part 3/3" 2 "task index 3 is not below the task count 3"
pl $L check --part 1 $SHARDS
expect "--part without /N" 2 "--part needs I/N (or env): 1"
pl $L check --part 0/0 $SHARDS
expect "--part 0/0" 2 "task count out of range: 0"
pl $L check --out x.json $SHARDS
expect "--out without --part" 2 "--out and --for-dataset go with --part or --task-index"
pl $L check --part 0/2 --excerpts 10 $SHARDS
expect "--part --excerpts" 2 "--excerpts and --stats do not go with --part"
pl $L check --part 0/2 - a.jsonl
expect "--part with stdin" 2 "with --part, '-' (stdin) cannot be a shard"
pl merge
expect "merge without parts" 2 "no part given"

# ---- a failing task leaves nothing
printf '{"text": "ok"}\n{"text": "unterminated\n' >bad.jsonl
pl $L check --part 0/1 --for-dataset --out f.json a.jsonl bad.jsonl
expect "a bad shard fails the part" 3 "bad.jsonl: line 2"
check "a failed part leaves no file" [ -z "$(ls f.json* 2>/dev/null)" ]

# ---- merge refusals: exit 3, the exact message, nothing written
rm -f p.*
for i in 0 1 2; do "$PL" $L check --part $i/3 --out p.$i.json $SHARDS >/dev/null; done
refused() {
	local name=$1 msg=$2
	shift 2
	rm -f out.json
	pl merge --out out.json "$@"
	expect "merge refuses: $name" 3 "$msg"
	check "merge refuses: $name: nothing written" [ ! -e out.json ]
}
refused "a missing part" "part 1/3 is missing (2 of 3 parts given)" p.0.json p.2.json
refused "a part given twice" "part 2/3 is given twice: p.2.json and p.2.json" \
	p.0.json p.1.json p.2.json p.2.json
cp p.1.json p1copy.json
cp p.1.json.done p1copy.json.done
refused "a copy of a part" "part 1/3 is given twice: p.1.json and p1copy.json" \
	p.0.json p.1.json p1copy.json p.2.json
"$PL" $L check --part 1/2 --out two.1.json $SHARDS >/dev/null
refused "parts of different counts" "p.0.json is part 0/3 but two.1.json is part 1/2" \
	p.0.json two.1.json
"$PL" $L check --part 1/3 --out other.1.json a.jsonl d.jsonl >/dev/null
refused "another shard list" "p.0.json and other.1.json come from different shard lists" \
	p.0.json other.1.json p.2.json
"$PL" $L check --part 1/3 --out mt.1.json --min-tokens 60 $SHARDS >/dev/null
refused "other check options" \
	"p.0.json and mt.1.json come from different check options (k, w, --min-tokens, --max-df, --robust)" \
	p.0.json mt.1.json p.2.json
"$PL" $L check --part 1/3 --out lossy.1.json --lossy $SHARDS >/dev/null
refused "other shard options" "p.0.json and lossy.1.json come from different shard options" \
	p.0.json lossy.1.json p.2.json
cp -a L L2
prose 500 31 >late.txt
"$PL" --ledger L2 work register late.txt --title Late --holder H --key rh.key >/dev/null 2>&1
"$PL" --ledger L2 check --part 1/3 --out reg.1.json $SHARDS >/dev/null
refused "another registry state" \
	"p.0.json and reg.1.json come from different registry states (ledger size and root)" \
	p.0.json reg.1.json p.2.json
head -c 300 p.1.json >trunc.1.json
sha256sum trunc.1.json | cut -d' ' -f1 >trunc.1.json.done
refused "a truncated part" "trunc.1.json: not a whole check part (truncated or corrupt):" \
	p.0.json trunc.1.json p.2.json
sed 's/"tokens":\([0-9]\)/"tokens":1\1/' p.1.json >alt.1.json
sha256sum alt.1.json | cut -d' ' -f1 >alt.1.json.done
check "the altered part differs" test "$(sha256sum <alt.1.json)" != "$(sha256sum <p.1.json)"
refused "an altered part" \
	"alt.1.json: its digest does not match its content (the part was altered or damaged)" \
	p.0.json alt.1.json p.2.json
printf '[1, 2]\n' >notpart.json
sha256sum notpart.json | cut -d' ' -f1 >notpart.json.done
refused "a JSON file that is no part" \
	"notpart.json: not a check part (no \"format\": \"provledger-check-part/v1\")" \
	p.0.json notpart.json p.2.json
cp p.1.json nomark.1.json
refused "a part without its marker" \
	"nomark.1.json: no completion marker nomark.1.json.done (the task did not finish)" \
	p.0.json nomark.1.json p.2.json
cp p.0.json.done nomark.1.json.done
refused "a stale marker" "nomark.1.json: the completion marker nomark.1.json.done is not this part's" \
	p.0.json nomark.1.json p.2.json
refused "a missing file" "nothere.json" p.0.json nothere.json p.2.json
# a part that holds another part's shard: the digest is made again, by hand
"$PY" - p.1.json p.2.json <<'EOF'
import hashlib, json, sys
def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a["shards"] += b["shards"]
del a["digest"]
a["digest"] = hashlib.sha256(canon(a)).hexdigest()
d = json.dumps(a, separators=(",", ":")) + "\n"
open("swap.1.json", "w").write(d)
open("swap.1.json.done", "w").write(hashlib.sha256(d.encode()).hexdigest() + "\n")
EOF
refused "two parts holding one shard" "p.2.json and swap.1.json both hold shard position" \
	p.0.json p.2.json swap.1.json

# ---- dataset register --from-reports: the same entries as over the shards
rm -rf LA LB
cp -a L LA
cp -a L LB
pl --ledger LA --json dataset register --name web --version 1 --key acme.key $SHARDS
expect "dataset register over the shards" 1
DSEQ=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["seq"])' "$OUT")
for i in 0 1 2; do
	"$PL" --ledger LB check --part $i/3 --for-dataset --out ds.$i.json $SHARDS >/dev/null
done
pl --ledger LB dataset register --name web --version 1 --key acme.key --from-reports \
	ds.2.json ds.0.json ds.1.json
expect "dataset register --from-reports" 1
check "--from-reports: the same ledger, commit for commit" \
	[ "$(git --git-dir LA/repo.git rev-parse main)" = "$(git --git-dir LB/repo.git rev-parse main)" ]
"$PL" --ledger LA --json show "$DSEQ" >a.show 2>/dev/null
"$PL" --ledger LB --json show "$DSEQ" >b.show 2>/dev/null
check "--from-reports: the dataset entry is the same" cmp -s a.show b.show
check "--from-reports: it is the dataset" grep -q '"bloom-winnow-v1"' b.show
rm -rf LC
cp -a L LC
pl --ledger LC dataset register --name web --version 1 --key acme.key --from-reports \
	p.0.json p.1.json p.2.json
expect "--from-reports: parts without fingerprints" 3 \
	"part 0/3 has no fingerprints: check it with --for-dataset"
pl --ledger LA dataset register --name web2 --version 1 --key acme.key --from-reports \
	ds.0.json ds.1.json ds.2.json
expect "--from-reports: a ledger grown since the parts" 3 \
	"the parts were checked against ledger size 8; the ledger is now at size 10: check the shards again"
for i in 0 1; do
	"$PL" --ledger LC check --part $i/2 --robust --for-dataset --out rb.$i.json $SHARDS >/dev/null
done
pl --ledger LC dataset register --name web --version 1 --key acme.key --from-reports \
	rb.0.json rb.1.json
expect "--from-reports: robust parts" 3 "the parts were checked with robust (k=8, w=17)"
for i in 0 1; do
	"$PL" --ledger LC check --part $i/2 --max-df 9 --for-dataset --out df.$i.json $SHARDS >/dev/null
done
pl --ledger LC dataset register --name web --version 1 --key acme.key --from-reports \
	df.0.json df.1.json
expect "--from-reports: parts with another --max-df" 3 \
	"the parts were checked with --max-df other than 50: a dataset's check uses the default"
cp ds.1.json.fps keep.fps
printf 'x' >>ds.1.json.fps
pl --ledger LC dataset register --name web --version 1 --key acme.key --from-reports \
	ds.0.json ds.1.json ds.2.json
expect "--from-reports: damaged fingerprints" 3 \
	"ds.1.json.fps: the fingerprints of part 1/3 do not match the part"
pl --ledger LC dataset register --name web --version 1 --key acme.key --from-reports \
	ds.0.json ds.2.json
expect "--from-reports: a missing part" 3 "part 1/3 is missing (2 of 3 parts given)"
check "--from-reports refusals appended nothing" \
	[ "$(git --git-dir LC/repo.git rev-parse main)" = "$(git --git-dir L/repo.git rev-parse main)" ]
pl --ledger LC dataset register --name web --version 1 --key acme.key --from-reports \
	--min-tokens 10 ds.0.json
expect "--from-reports --min-tokens" 2 "--from-reports takes part files only"

# ---- registry build: the table in a file that check maps
pl $L registry build --out reg.tbl
expect "registry build" 0
expect_out "registry build: what it wrote" "wrote reg.tbl: 2 works"
pl $L --json check --registry-file reg.tbl $SHARDS
expect "check --registry-file: matches" 1
check "check --registry-file: the same report as from the index" cmp -s "$OUT" single.json
rm -f rp.*
for i in 0 1; do "$PL" $L check --registry-file reg.tbl --part $i/2 --out rp.$i.json $SHARDS >/dev/null; done
pl --json merge rp.1.json rp.0.json
check "parts checked with the registry file merge to the same report" cmp -s "$OUT" single.json
pl $L --json check --robust $SHARDS
cp "$OUT" robust.json
pl $L registry build --robust --out robust.tbl
pl $L --json check --robust --registry-file robust.tbl $SHARDS
check "registry build --robust: the same robust report" cmp -s "$OUT" robust.json
pl $L check --robust --registry-file reg.tbl $SHARDS
expect "registry file of the other scheme" 3 \
	"reg.tbl: a registry file for k=13 w=38; this check uses k=8 w=17 (build it with --robust)"
head -c 1000 reg.tbl >trunc.tbl
pl $L check --registry-file trunc.tbl $SHARDS
expect "truncated registry file" 3 "trunc.tbl: truncated registry file (1000 bytes; its header says"
head -c 100 reg.tbl >short.tbl
pl $L check --registry-file short.tbl $SHARDS
expect "registry file shorter than its header" 3 \
	"short.tbl: truncated registry file (100 bytes; the header alone is 256)"
cp reg.tbl corrupt.tbl
printf 'X' | dd of=corrupt.tbl bs=1 seek=700 conv=notrunc 2>/dev/null
pl $L check --registry-file corrupt.tbl $SHARDS
expect "corrupt registry file" 3 "corrupt.tbl: corrupt registry file: its digest does not match its content"
cp reg.tbl v3.tbl
printf '\003' | dd of=v3.tbl bs=1 seek=8 conv=notrunc 2>/dev/null
pl $L check --registry-file v3.tbl $SHARDS
expect "registry file of another version" 3 \
	"v3.tbl: registry file version 3; this provledger reads version 2"
pl $L check --registry-file single.json $SHARDS
expect "not a registry file" 3 "single.json: not a provledger registry file"
pl $L check --registry-file none.tbl $SHARDS
expect "no registry file" 3 "none.tbl: no such registry file"
pl --ledger L2 check --registry-file reg.tbl $SHARDS
expect "stale registry file" 3 \
	"reg.tbl: stale: built at ledger size 8, and 1 work has been registered since (run 'provledger registry build' again)"
pl --ledger L2 registry build --out l2.tbl
pl $L check --registry-file l2.tbl $SHARDS
expect "registry file of another ledger" 3 \
	"l2.tbl: built from another ledger (its state at size 9 is not this ledger's)"
pl $L registry build
expect "registry build without --out" 2 "--out is required"

# the unit tests of the part format and the merge
if [ -n "${UNIT:-}" ]; then
	run "$UNIT" check_part
	expect "unit tests: check_part" 0
	run "$UNIT" regfile
	expect "unit tests: regfile" 0
fi

finish
