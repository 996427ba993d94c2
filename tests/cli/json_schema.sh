#!/bin/bash
# json_schema.sh - every command's --json output, on a ledger holding every
# kind of entry, validated against the schemas of docs/json.md (by
# json_schema.py); errors and warnings on stderr against theirs; and every
# command that 'provledger help' lists has its output checked here.
HERE=$(cd "$(dirname "$0")" && pwd)
EX=$(cd "$HERE/../../examples" && pwd)
DOC="$HERE/../../docs/json.md"
. "$HERE/lib.sh"
export PROVLEDGER_TIME=1790000000
L="--ledger L"
MAN="$T/manifest"
: >"$MAN"
n=0
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

# j NAME SCHEMA RC ARGS...: run provledger --json ARGS, expect exit RC, and
# queue stdout (or, for the error and warning schemas, stderr) for SCHEMA.
j() {
	local name=$1 schema=$2 rc=$3
	shift 3
	n=$((n + 1))
	"$PL" --json "$@" >"$T/out.$n" 2>"$T/err.$n" </dev/null
	RC=$?
	cp "$T/out.$n" "$OUT"
	cp "$T/err.$n" "$ERR"
	expect "$name: exit $rc" "$rc" || true
	case $schema in
	error | warning) printf '%s\tprovledger:%s\t%s\n' "$name" "$schema" "$T/err.$n" >>"$MAN" ;;
	*) printf '%s\tprovledger:%s\t%s\n' "$name" "$schema" "$T/out.$n" >>"$MAN" ;;
	esac
}

j "init" init 0 $L init
j "key gen" "key gen" 0 key gen --name aisi --role authority --out aisi
for k in acme:lab press:rights-holder redteam:evaluator ev2:evaluator lab2:lab nv:vendor; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null
done
j "key gen --from" "key gen" 0 key gen --name acme2 --role lab --out acme2 --from acme.key
j "key register" "key register" 0 $L key register aisi.pub --key aisi.key
for k in acme press redteam ev2 nv; do
	"$PL" $L key register $k.pub --key $k.key >/dev/null 2>&1
done
j "key register: a role not yet in force" "key register" 0 $L key register lab2.pub --key lab2.key
j "key grant" "key grant" 0 $L key grant aisi --role authority --key L/keys/operator.key
for k in acme:lab redteam:evaluator ev2:evaluator press:rights-holder nv:vendor; do
	"$PL" $L key grant "${k%%:*}" --role "${k#*:}" --key aisi.key >/dev/null
done
j "key revoke-grant" "key grant" 0 $L key revoke-grant ev2 --role evaluator --key aisi.key
j "key list" "key list" 0 $L key list
j "key allowed-signers" "key allowed-signers" 0 $L key allowed-signers

cp "$EX/works/lantern-street.txt" novel.txt
j "work register" "work register" 0 $L work register novel.txt --title "Lantern Street" \
	--holder "Harbour Press" --creator "Ada Quill" --key press.key
W=$(js 'd["work"]' "$OUT")
printf 'A short poem of few words.\n' >poem.txt
j "work register: a short work (a warning)" warning 0 $L work register poem.txt --title Poem \
	--holder "Harbour Press" --key press.key
printf '{"text": "another text, of words enough to be a work of its own for the import here", "title": "T2", "holder": "Harbour Press", "terms": "opt-out"}\n' >imp.jsonl
j "work import" "work import" 0 $L work import imp.jsonl --key press.key
j "work list" "work list" 0 $L work list
j "work show" "work show" 0 $L work show "${W:0:8}"
j "work register --dry-run" dry-run 0 $L --dry-run work register "$EX/works/the-salt-road.txt" \
	--title X --holder Y --key press.key

python3 - "$EX/works/lantern-street.txt" >web.jsonl <<'EOF'
import json, sys
print(json.dumps({"text": "an unrelated record about the weather in spring and rain"}))
print(json.dumps({"text": open(sys.argv[1]).read()}))
EOF
printf '{"text": "nothing registered here, only words about boats"}\n' >clean.jsonl
printf '{"text": "ok"}\n{"text": "unterminated\n' >bad.jsonl
j "hash" hash 0 hash web.jsonl clean.jsonl
j "hash --records" hash 0 hash --records web.jsonl
j "hash --format webdataset" hash 0 hash --format webdataset --records "$EX/shards/instruct-000.tar"
j "hash --records: Parquet (row_group, row)" hash 0 hash --records "$FIX/parquet/pj_plain.parquet" \
	"$FIX/parquet/aw_dict_zstd.parquet"
j "hash: a Parquet refusal" error 3 hash "$FIX/parquet/aw_delta.parquet"
j "hash: a bad shard among good ones" hash 3 hash web.jsonl bad.jsonl
j "hash: the bad shard's error" error 3 hash bad.jsonl
j "check: a match" check 1 $L check web.jsonl
j "check: no match" check 0 $L check clean.jsonl
j "check: Parquet" check 0 $L check "$FIX/parquet/pj_gzip.parquet"
j "check --part" "check --part" 0 $L check --part 0/2 --for-dataset --out p0.json web.jsonl clean.jsonl
"$PL" $L check --part 1/2 --out p1.json web.jsonl clean.jsonl >/dev/null
j "merge" merge 1 merge p1.json p0.json
j "merge: a missing part" error 3 merge p1.json
j "registry build" "registry build" 0 $L registry build --out reg.tbl
j "check --registry-file" check 1 $L check --registry-file reg.tbl web.jsonl
j "dataset register" "dataset register" 1 $L dataset register --name web --version 1 web.jsonl \
	--source https://example.org/crawl --key acme.key
CHECK=$(js 'd["check"]["seq"]' "$OUT")
j "dataset recheck" "dataset register" 1 $L dataset recheck web@1 web.jsonl --key acme.key
j "dataset register: clean" "dataset register" 0 $L dataset register --name clean --version 1 \
	clean.jsonl --key acme.key
j "dataset list" "dataset list" 0 $L dataset list
j "dataset show" "dataset show" 0 $L dataset show web@1

printf 'weights' >w.bin
j "model register" "model register" 0 $L model register --name atlas --version 1 --dataset web@1 \
	--training-flop 3.8e25 --parameters 1.2e12 --hardware H100:16384 \
	--started 2026-01-01T00:00:00Z --finished 2026-03-01T00:00:00Z --key acme.key
j "model register: a fine-tune with weights" "model register" 0 $L model register --name chat \
	--version 1 --dataset clean@1 --base atlas@1 --weights w.bin --training-flop 2e22 \
	--parameters 7e9 --key acme.key
printf 'SN-1\nSN-2\nSN-3\nSN-4\n' >serials.txt
j "hardware register" "hardware register" 0 $L hardware register --name b1 --model H100 \
	--serials serials.txt --peak-flops 989e12 --owner acme --jurisdiction US --key nv.key
j "hardware transfer" "hardware transfer" 0 $L hardware transfer --batch b1 --to press --count 1 \
	--jurisdiction EU --key acme.key
XFER=$(js 'd["entry"]["seq"]' "$OUT")
j "hardware accept" "hardware register" 0 $L hardware accept "$XFER" --key press.key
j "hardware transfer: pending" "hardware transfer" 0 $L hardware transfer --batch b1 --to press \
	--count 1 --jurisdiction EU --key acme.key
j "hardware list" "hardware list" 0 $L hardware list
j "hardware show" "hardware show" 0 $L hardware show b1
j "hardware transfer: refused" error 3 $L hardware transfer --batch b1 --to acme --count 1 \
	--jurisdiction US --key nv.key
j "model register: on registered hardware" "model register" 0 $L model register --name hw \
	--version 1 --dataset web@1 --training-flop 1e24 --parameters 1e10 --hardware-batch b1:2 \
	--jurisdiction US --started 2026-01-01T00:00:00Z --finished 2026-02-01T00:00:00Z --key acme.key
j "model show: hardware batches" "model show" 0 $L model show hw@1
j "attest moratorium" attest 0 $L attest moratorium --threshold-flop 1e23 \
	--from 2025-06-01T00:00:00Z --jurisdiction global --key aisi.key
j "attest export-restriction" attest 0 $L attest export-restriction --jurisdiction EU \
	--from 2025-01-01T00:00:00Z --hardware-model H100 --key aisi.key
j "attest capability-vocabulary" attest 0 $L attest capability-vocabulary --capability wmd-x \
	--key aisi.key
j "lineage: hardware findings" lineage 0 $L lineage hw@1
j "model list" "model list" 0 $L model list
j "model show" "model show" 0 $L model show chat@1
j "model show: with hardware" "model show" 0 $L model show atlas@1

j "attest training-licence" attest 0 $L attest training-licence --subject atlas@1 \
	--max-training-flop 1e26 --conditions "quarterly reports" --key aisi.key
LIC=$(js 'd["entry"]["seq"]' "$OUT")
j "attest evaluation" attest 0 $L attest evaluation --subject chat@1 --suite s1 \
	--result cyber=pass --result bio=fail --dangerous bio --key redteam.key
EV=$(js 'd["entry"]["seq"]' "$OUT")
j "attest deployment-approval" attest 0 $L attest deployment-approval --subject chat@1 \
	--evaluation "$EV" --key aisi.key
j "attest claim" attest 0 $L attest claim --subject chat@1 --work "$W" --check "$CHECK" \
	--match 0 --statement "copied" --key press.key
j "attest revocation" attest 0 $L attest revocation --revokes "$LIC" --key aisi.key
j "attest: a refused append" error 3 $L attest training-licence --subject atlas@1 \
	--max-training-flop 1e26 --conditions x --key acme.key
j "attest --dry-run" dry-run 0 $L --dry-run attest training-licence --subject chat@1 \
	--max-training-flop 1e26 --conditions x --key aisi.key

j "lineage" lineage 0 $L lineage chat@1
j "lineage --format json" lineage 0 $L lineage atlas@1 --format json
j "query --work" "query --work" 0 $L query --work "${W:0:7}"
j "query --file" "query --file" 0 $L query --file novel.txt
j "query --file: no match" "query --file" 0 $L query --file clean.jsonl
j "log" log 0 $L log
j "log --type model" log 0 $L log --type model
for s in 0 "$CHECK" web@1 chat@1 "$W" "$EV"; do
	j "show $s" show 0 $L show "$s"
done
j "checkpoint" checkpoint 0 $L checkpoint
j "prove" prove 0 $L prove 3
j "prove --size" prove 0 $L prove 3 --size 8
j "prove --consistency" "prove --consistency" 0 $L prove --consistency 3
j "prove --consistency 0" "prove --consistency" 0 $L prove --consistency 0
j "prove: a size inside one commit has no checkpoint" error 3 $L prove 3 --size $((CHECK + 1))
check "prove: the unsigned size explained" grep -q "no signed checkpoint of size $((CHECK + 1))" "$ERR"
j "verify" verify 0 $L verify
j "verify --policy" verify 1 $L verify --policy
j "export" export 0 $L export chat@1 --out m.bundle
j "export --work" export 0 $L export --work "$W" --out w.bundle
j "verify-bundle" verify-bundle 0 verify-bundle m.bundle --trust L/operator.pub
j "verify-bundle --work" verify-bundle 0 verify-bundle w.bundle --trust L/operator.pub
j "verify-bundle: the wrong key" verify-bundle 1 verify-bundle m.bundle --trust aisi.pub
j "reindex" reindex 0 $L reindex
j "tiles export" "tiles export" 0 $L tiles export tiles
# serve: its line once listening, then SIGTERM
n=$((n + 1))
"$PL" --json $L serve --listen 127.0.0.1:0 --port-file port >"$T/out.$n" 2>"$T/err.$n" </dev/null &
spid=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
kill "$spid" && wait "$spid"
RC=$?
cp "$T/err.$n" "$ERR"
expect "serve: exit 0 on SIGTERM" 0
printf '%s\tprovledger:%s\t%s\n' "serve" "serve" "$T/out.$n" >>"$MAN"

# witnesses: key, cosign (offline), serve (its line), request (to that witness)
"$PL" key gen --name wit --role lab --out wit >/dev/null 2>&1
j "witness key" "witness key" 0 witness key --key wit.key --name witness.example/w1
"$PL" $L checkpoint >cp.txt
j "witness cosign" "witness cosign" 0 witness cosign cp.txt --key wit.key \
	--name witness.example/w1 --log "$(python3 -c 'import json;c=json.load(open("L/config"));print(c["origin"])')=L/config" --state wst
n=$((n + 1))
rm -f wport
"$PL" --json witness serve --key wit.key --name witness.example/w1 --state wst2 \
	--log "$(python3 -c 'import json;c=json.load(open("L/config"));print(c["origin"])')=L/config" \
	--listen 127.0.0.1:0 --port-file wport >"$T/out.$n" 2>"$T/err.$n" </dev/null &
wpid=$!
for _ in $(seq 100); do [ -s wport ] && break; sleep 0.05; done
printf '%s\tprovledger:%s\t%s\n' "witness serve" "witness serve" "$T/out.$n" >>"$MAN"
j "witness request" "witness request" 0 $L witness request \
	"http://127.0.0.1:$(cat wport)=$("$PL" witness key --key wit.key --name witness.example/w1)"
kill "$wpid" && wait "$wpid"
RC=$?
expect "witness serve: exit 0 on SIGTERM" 0

j "monitor" monitor 0 $L monitor --work "$W" --state monitor.state
# mirrors: mirror init, pull, push, the pre-receive hook
j "mirror init" "mirror init" 0 --ledger MIR mirror init L --trust L/config
j "pull" pull 0 --ledger MIR pull
git init -q --bare pushed.git
j "push" push 0 $L push pushed.git
printf '0000000000000000000000000000000000000000 %s refs/heads/main\n' "$(git -C L/repo.git rev-parse main)" >hook.in
n=$((n + 1))
GIT_DIR=pushed.git "$PL" --json hook pre-receive --trust L/config <hook.in >"$T/out.$n" 2>"$T/err.$n"
RC=$?
cp "$T/err.$n" "$ERR"
expect "hook pre-receive: exit 0" 0
printf '%s\tprovledger:%s\t%s\n' "hook pre-receive" "hook pre-receive" "$T/out.$n" >>"$MAN"

# errors of every kind, each one JSON object on stderr
j "error: usage" error 2 $L log --bogus
j "error: not found" error 3 $L show 999
j "error: a missing file" error 3 hash missing.jsonl
j "error: a conflict" error 3 $L work register novel.txt --title T --holder H --key press.key
j "error: no ledger" error 3 --ledger nowhere log
j "error: unknown command" error 2 frobnicate

check "stdout is empty on an error" [ ! -s "$OUT" ]

# the documents against the schemas
while IFS=$'\t' read -r st name why; do
	case $st in
	ok) ok "schema: $name" ;;
	*) bad "schema: $name" "$why" ;;
	esac
done < <(python3 "$HERE/json_schema.py" "$DOC" "$MAN")

# an error has file, line and byte when the message names them
j "error: a bad record" error 3 hash bad.jsonl
check "error: file, line and byte read off the message" python3 - "$ERR" <<'EOF'
import json, sys
e = json.loads(open(sys.argv[1]).read().splitlines()[0])["error"]
assert e["code"] == "invalid" and e["file"] == "bad.jsonl" and e["line"] == 2 and e["byte"] >= 15, e
EOF

# the schemas can fail: a document that breaks one is refused
printf '{"size": 1, "entries": [{"seq": -1}]}\n' >broken.json
printf 'broken\tprovledger:log\t%s\n' "$T/broken.json" >broken.man
check "the validator refuses a document that breaks its schema" \
	grep -q '^FAIL' <(python3 "$HERE/json_schema.py" "$DOC" broken.man)
printf '{"size": 1, "entries": [], "extra": 1}\n' >broken.json
check "the validator refuses an undocumented member" \
	grep -q "extra" <(python3 "$HERE/json_schema.py" "$DOC" broken.man)

# every command of 'provledger help' is covered
"$PL" help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z-]*\( [a-z-]*\)\?\)  .*/\1/p' |
	sed 's/ *$//' >commands
check "help lists the commands" [ "$(wc -l <commands)" -ge 30 ]
while read -r c; do
	if grep -qE "^($c)( |:|\$)" <(cut -f1 "$MAN"); then
		ok "covered: $c --json"
	else
		bad "covered: $c --json" "no output of '$c' is checked against docs/json.md"
	fi
done <commands

finish
