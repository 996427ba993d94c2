#!/bin/bash
# seeds.sh - (re)make the seed corpora tests/fuzz/corpus/NAME/ from the
# fixtures, the examples and the outputs of the real binary. Run from the
# repository after `make`: PROVLEDGER=build/provledger tests/fuzz/seeds.sh
# The corpora are committed; rerun this only to change them.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
PL=$(realpath "${PROVLEDGER:-$ROOT/build/provledger}")
C=$ROOT/tests/fuzz/corpus
FIX=$ROOT/tests/fixtures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for n in shard_jsonl shard_tar shard_compressed text_tokenize json_canonical dsse note \
	tlog_proof consistency bundle key attachments subjects commit_message; do
	rm -rf "${C:?}/$n"
	mkdir -p "$C/$n"
done

# ---- a ledger signed by the fixture key, as the demo builds it ----
cd "$T"
export PROVLEDGER_TIME=1767603600
install -m 600 "$FIX/key/test.key" op.key
L=$T/L
"$PL" --ledger "$L" init --origin example.org/provledger-test --operator-key op.key >/dev/null
mkdir keys
for party in press:rights-holder lab:lab aisi:authority; do
	name=${party%%:*} role=${party#*:}
	"$PL" key gen --name "$name" --role "$role" --out "keys/$name" >/dev/null 2>&1
	"$PL" --ledger "$L" key register "keys/$name.pub" --key "keys/$name.key" >/dev/null 2>&1
done
"$PL" --ledger "$L" key grant aisi --role authority --key op.key >/dev/null
"$PL" --ledger "$L" key grant lab --role lab --key keys/aisi.key >/dev/null
"$PL" --ledger "$L" key grant press --role rights-holder --key keys/aisi.key >/dev/null
"$PL" --ledger "$L" work register "$ROOT/examples/works/the-salt-road.txt" --title "The Salt Road" \
	--holder "Harbour Press" --key keys/press.key >/dev/null
"$PL" --ledger "$L" dataset register --name web --version 1 \
	"$ROOT/examples/shards/web-000.jsonl.gz" --key keys/lab.key >/dev/null || true
"$PL" --ledger "$L" model register --name atlas --version 1 --dataset web@1 \
	--training-flop 3.8e25 --parameters 1.2e12 --key keys/lab.key >/dev/null
"$PL" --ledger "$L" attest training-licence --subject atlas@1 --max-training-flop 5e25 \
	--conditions "reports" --key keys/aisi.key >/dev/null
"$PL" --ledger "$L" export atlas@1 --out atlas.bundle >/dev/null
W=$("$PL" --ledger "$L" work list | grep -oE 'W[0-9a-f]{16}' | head -n 1)
"$PL" --ledger "$L" export --work "$W" --out work.bundle >/dev/null 2>&1 || true
# compute governance: a vendor's batch, a transfer and its acceptance, a model
# on the chips, a moratorium and an export restriction about the whole ledger
for party in chips:vendor lab2:lab; do
	name=${party%%:*} role=${party#*:}
	"$PL" key gen --name "$name" --role "$role" --out "keys/$name" >/dev/null 2>&1
	"$PL" --ledger "$L" key register "keys/$name.pub" --key "keys/$name.key" >/dev/null 2>&1
	"$PL" --ledger "$L" key grant "$name" --role "$role" --key keys/aisi.key >/dev/null
done
seq -f "SN-%03g" 1 16 >serials.txt
"$PL" --ledger "$L" hardware register --name b1 --model H100 --serials serials.txt \
	--peak-flops 989e12 --owner lab --jurisdiction US --key keys/chips.key >/dev/null
XF=$("$PL" --ledger "$L" --json hardware transfer --batch b1 --to lab2 --count 4 \
	--jurisdiction EU --key keys/lab.key | python3 -c 'import json,sys; print(json.load(sys.stdin)["entry"]["seq"])')
"$PL" --ledger "$L" hardware accept "$XF" --key keys/lab2.key >/dev/null
"$PL" --ledger "$L" attest moratorium --threshold-flop 1e26 --from 2026-01-01T00:00:00Z \
	--jurisdiction global --key keys/aisi.key >/dev/null
"$PL" --ledger "$L" attest export-restriction --jurisdiction EU --from 2026-01-01T00:00:00Z \
	--key keys/aisi.key >/dev/null
"$PL" --ledger "$L" model register --name atlas --version 2 --dataset web@1 --base atlas@1 \
	--training-flop 2e26 --parameters 1.2e12 --hardware-batch b1:12 --jurisdiction US \
	--started 2026-01-02T00:00:00Z --finished 2026-01-03T00:00:00Z --key keys/lab.key >/dev/null
"$PL" --ledger "$L" export atlas@2 --out governed.bundle >/dev/null
G=$L/repo.git

# ---- 1-3: shards ----
cp "$ROOT/examples/shards/instruct-000.tar" "$C/shard_tar/demo.tar"
cp "$ROOT/examples/shards/web-000.jsonl.gz" "$ROOT/examples/shards/web-001.jsonl.zst" \
	"$C/shard_compressed/"
gunzip -c "$ROOT/examples/shards/web-000.jsonl.gz" | head -c 3000 >"$C/shard_jsonl/web-000.jsonl"
python3 - "$C/shard_jsonl" <<'PY'
import json, sys, os
d = sys.argv[1]
def w(name, data):
    open(os.path.join(d, name), "wb").write(data)
w("escapes.jsonl", b'{"text":"a\\nb\\t\\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\/"}\n{"id":1,"text":"x"}\n')
w("bom-crlf.jsonl", b'\xef\xbb\xbf{"text":"one"}\r\n{"text":"two"}\r\n')
w("nested.jsonl", b'{"meta":{"text":"no"},"text":"yes","n":[1,2,{"a":null}]}\n')
w("other-field.jsonl", b'{"content":"c","text":5}\n{"text":true}\n')
w("blank-lines.jsonl", b'{"text":"a"}\n\n  \n{"text":"b"}')
w("unicode.jsonl", json.dumps({"text": "Caf\u00e9 \u6771\u4eac \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \ufb01 \u00ad"}, ensure_ascii=False).encode() + b"\n")
w("bad.jsonl", b'{"text":"unterminated\n{"text":"\\ud800"}\n')
w("dup.jsonl", b'{"text":"a","text":"b"}\n')
PY
mk_tar() { # NAME FORMAT FILES...
	local name=$1 fmt=$2
	shift 2
	tar --format="$fmt" -cf "$C/shard_tar/$name" -C "$T/tarsrc" "$@"
}
mkdir -p tarsrc/dir
printf 'hello tar\n' >tarsrc/a.txt
printf 'second member\n' >tarsrc/dir/b.txt
long=$(printf 'n%.0s' $(seq 1 120))
printf 'long name\n' >"tarsrc/$long.txt"
printf 'caf\xc3\xa9\n' >"tarsrc/caf$(printf '\xc3\xa9').txt"
ln -sf a.txt tarsrc/link
mk_tar ustar.tar ustar a.txt dir/b.txt
mk_tar gnu.tar gnu a.txt "$long.txt" link
mk_tar pax.tar pax "$long.txt" "caf$(printf '\xc3\xa9').txt"
mk_tar v7.tar v7 a.txt
for f in ustar gnu pax; do gzip -9nc "$C/shard_tar/$f.tar" >"$C/shard_compressed/$f.tar.gz"; done
zstd -q -19 -c "$C/shard_tar/pax.tar" >"$C/shard_compressed/pax.tar.zst"
gzip -9nc "$C/shard_jsonl/escapes.jsonl" >"$C/shard_compressed/escapes.jsonl.gz"
{ gzip -nc "$C/shard_jsonl/escapes.jsonl"; gzip -nc "$C/shard_jsonl/nested.jsonl"; } \
	>"$C/shard_compressed/two-members.jsonl.gz"
{ zstd -qc "$C/shard_jsonl/escapes.jsonl"; zstd -qc "$C/shard_jsonl/nested.jsonl"; } \
	>"$C/shard_compressed/two-frames.jsonl.zst"
zstd -qc "$ROOT/examples/shards/safety-refusals.txt" >"$C/shard_compressed/refusals.txt.zst"
gzip -nc "$ROOT/examples/shards/safety-refusals.txt" | head -c 200 >"$C/shard_compressed/truncated.gz"

# ---- 4: text ----
cp "$ROOT/examples/shards/safety-refusals.txt" "$C/text_tokenize/refusals.txt"
head -c 1500 "$ROOT/examples/works/notes-on-rain.txt" >"$C/text_tokenize/notes-on-rain.txt"
python3 - "$C/text_tokenize" <<'PY'
import sys, os
d = sys.argv[1]
def w(name, data):
    open(os.path.join(d, name), "wb").write(data)
w("scripts.txt", "Stra\u00dfe \u0130stanbul \u03a3\u03bf\u03c6\u03af\u03b1 \u6771\u4eac\u90fd \u3072\u3089\u304c\u306a \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u1780\u17d2\u1798\u17c2\u179a \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea".encode())
w("compat.txt", "\ufb01ne \u2460 \u00bd \u33ff \uff21\uff22 \u2126 e\u0301 \u0301 soft\u00adhyphen zw\u200bsp zwj\u200d x\u2028y\u0085z".encode())
w("controls.txt", b"tab\there\nline\x0bvt\x0cff\rcr\x7fdel\x01ctl")
w("invalid.txt", b"ok \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf \xe2\x82")
w("nul.txt", b"a\x00b")
w("digits.txt", "12 \u0663\u0664 \u00b2 \u2155 x1y2".encode())
PY

# ---- 5-6: JSON and DSSE ----
cp "$FIX/dsse/statement.json" "$FIX/dsse/envelope.json" "$C/json_canonical/"
cp "$FIX/tlog/entry-0.json" "$C/json_canonical/"
printf '{"a":[1,-2,3.5e2,true,false,null],"b":{"\\u00e9":"\\ud83d\\ude00"},"":""}' \
	>"$C/json_canonical/mixed.json"
printf '[9007199254740991,-9007199254740991,9007199254740992,0.5,"\\u0000"]' \
	>"$C/json_canonical/numbers.json"
printf '{"a":1,"a":2}' >"$C/json_canonical/dup.json"
cp "$FIX/dsse/envelope.json" "$C/dsse/fixture.json"
i=0
for p in $(git --git-dir="$G" ls-tree -r --name-only main | grep '^entries/'); do
	git --git-dir="$G" show "main:$p" >"$C/dsse/entry-$i.json"
	[ $i -lt 4 ] && cp "$C/dsse/entry-$i.json" "$C/json_canonical/ledger-entry-$i.json"
	i=$((i + 1))
done

# ---- 7-9: notes, checkpoints, proofs ----
cp "$FIX/tlog/checkpoint-3.txt" "$FIX/tlog/checkpoint-5.txt" "$FIX/tlog/vkey.txt" "$C/note/"
git --git-dir="$G" show main:checkpoint >"$C/note/ledger-checkpoint.txt"
git --git-dir="$G" show main:subjects >"$C/note/ledger-subjects.txt"
"$PL" --ledger "$L" checkpoint --json | python3 -c \
	'import json,sys; d=json.load(sys.stdin); print(d.get("verifier_key",""))' \
	>"$C/note/ledger-vkey.txt" || true
printf 'example.org/provledger-test\n5\ni9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=\next\n' \
	>"$C/note/body-ext.txt"
cp "$FIX/tlog/proof-index-2.txt" "$C/tlog_proof/fixture-2.txt"
"$PL" --ledger "$L" prove 3 >"$C/tlog_proof/ledger-3.txt"
python3 - "$C/tlog_proof" "$C/consistency" "$FIX/tlog/consistency-3-5.txt" <<'PY'
import os, sys, struct
inc, con, fix = sys.argv[1:4]
def w(d, name, data):
    open(os.path.join(d, name), "wb").write(data)
for s, i in ((1, 0), (7, 3), (64, 63), (255, 100)):
    w(inc, "prop-%d-%d" % (s, i), b"\x01" + struct.pack("<HHH", s, i, 5))
    w(inc, "raw-%d-%d" % (s, i), b"\x00" + struct.pack("<QQ", i, s) + bytes(64) + bytes(32 * 3))
    w(con, "prop-%d-%d" % (s, i), b"\x01" + struct.pack("<HHH", s, i, 9))
    w(con, "raw-%d-%d" % (i, s), b"\x00" + struct.pack("<QQ", i, s) + bytes(64) + bytes(32 * 3))
w(con, "fixture-3-5", b"\x02" + open(fix, "rb").read())
PY

# ---- 10: bundles ----
cp atlas.bundle "$C/bundle/atlas.bundle"
cp governed.bundle "$C/bundle/governed.bundle"
[ -f work.bundle ] && cp work.bundle "$C/bundle/work.bundle"
gunzip -c atlas.bundle >"$C/bundle/atlas.json"
printf '{"format":"provledger-bundle/v1","attachments":{"00":"AAAA","01":"not base64"}}' \
	>"$C/bundle/small.json"

# ---- 11: keys ----
for f in test.key test.openssh test-ctr.openssh test-gcm.openssh test-chacha.openssh \
	ecdsa.openssh test.pub; do
	cp "$FIX/key/$f" "$C/key/$f"
done
cp "$FIX/tlog/vkey.txt" "$C/key/vkey.txt"
# protected with 1 bcrypt round, so that the harness decrypts them (key.c)
for z in aes256-ctr aes256-gcm@openssh.com chacha20-poly1305@openssh.com; do
	install -m 600 "$FIX/key/test.openssh" "k-$z"
	ssh-keygen -q -p -a 1 -N 'test passphrase' -Z "$z" -f "k-$z" >/dev/null
	cp "k-$z" "$C/key/rounds1-${z%%@*}.openssh"
done
grep operator_public_key "$L/config" >"$C/key/config-line.txt" || true
"$PL" --ledger "$L" key allowed-signers >"$C/key/allowed-signers.txt"

# ---- 12: attachments ----
FUZZ_DUMP_SEEDS=$C/attachments "$ROOT/build/fuzz-replay/attachments" /dev/null >/dev/null
for b in $(git --git-dir="$G" ls-tree -r --name-only main | grep '^blobs/' | head -n 4); do
	{ printf '\000\310\000\000\000'; git --git-dir="$G" show "main:$b"; } \
		>"$C/attachments/ledger-$(basename "$b" | head -c 8)"
done

# ---- 13: subject index ----
git --git-dir="$G" show main:subjects | sed '/^$/,$d' | sed 's/$//' >"$T/subj-body"
{ printf '\001'; cat "$T/subj-body"; } >"$C/subjects/note"
printf '\000model:atlas@1\n0 key\n5 model\n6 training-licence\n' >"$C/subjects/refs"
printf '\000work:W0123456789abcdef\n3 work\n' >"$C/subjects/refs-work"
python3 - "$C/subjects" <<'PY'
import os, sys, struct
d = sys.argv[1]
s = b"model:atlas@1"
refs = b"model:atlas@1\n5 model\n"
for name, r, n in (("proof-none", None, 0), ("proof-refs", refs, 1), ("proof-two", refs, 2)):
    body = b"\x02" + bytes([len(s)]) + s
    body += struct.pack("<H", 0xffff if r is None else len(r)) + (r or b"")
    body += bytes(64 * n) + bytes(16 * 32)
    open(os.path.join(d, name), "wb").write(body)
PY

# ---- 14: commit messages ----
i=0
for c in $(git --git-dir="$G" rev-list main | head -n 8); do
	git --git-dir="$G" log -1 --format=%B "$c" >"$C/commit_message/commit-$i"
	i=$((i + 1))
done
echo "seeds: $(find "$C" -type f | wc -l) files in $C"
