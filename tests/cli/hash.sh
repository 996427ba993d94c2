#!/bin/bash
# hash.sh - provledger hash: formats x compressions, digests against sha256sum
# and an independent RFC 6962 implementation, record offsets, JSON output,
# and every documented bad input.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# ---- fixtures, made here so nothing big is committed ----
cat >doc.jsonl <<'EOF'
{"id": 1, "text": "It was the best of times, it was the worst of times.", "meta": {"src": ["dickens", null], "n": -1.5e3}}

{"id": 2, "text": "Caf\u00e9 society \ud83d\ude00 and a \"quoted\" line\nwith a newline.", "ok": true}
{"text": "Call me Ishmael.", "flag": false}
EOF
printf '{"id": 3, "text": "CRLF line"}\r\n{"text": "no final newline"}' >>doc.jsonl
cp doc.jsonl doc.ndjson
printf 'The first paragraph\nruns over two lines.\n\n\nThe second one.\n' >book.txt
mkdir -p wds && printf 'Sing, O goddess, the anger of Achilles.' >wds/000001.txt &&
	printf '{"caption": "a cat"}' >wds/000001.json && mkdir -p wds/sub
tar cf ws.tar wds
for f in doc.jsonl book.txt ws.tar; do
	gzip -c "$f" >"$f.gz"
	zstd -q -c "$f" >"$f.zst"
done

# sha256 and RFC 6962 root (1 MiB leaves), independently of provledger.
cat >merkle.py <<'EOF'
import hashlib, sys
def mth(leaves):
    if not leaves: return hashlib.sha256(b"").hexdigest()
    def h(ls):
        if len(ls) == 1: return hashlib.sha256(b"\x00" + ls[0]).digest()
        k = 1
        while k * 2 < len(ls): k *= 2
        return hashlib.sha256(b"\x01" + h(ls[:k]) + h(ls[k:])).digest()
    return h(leaves).hex()
data = open(sys.argv[1], "rb").read()
print(mth([data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)]))
EOF
field() { grep -E "^  $1 " "$OUT" | head -n 1 | awk '{print $2}'; }

# ---- every format x compression ----
for base in doc.jsonl book.txt ws.tar; do
	fmt=${base##*.}
	for f in "$base" "$base.gz" "$base.zst"; do
		case "$f" in *.gz) comp=gzip ;; *.zst) comp=zstd ;; *) comp=none ;; esac
		pl hash "$f"
		expect "hash $f exits 0" 0
		check "hash $f: format $fmt" [ "$(field format)" = "$fmt" ]
		check "hash $f: compression $comp" [ "$(field compression)" = "$comp" ]
		check "hash $f: sha256 = sha256sum" [ "$(field sha256)" = "$(sha256sum "$f" | cut -d' ' -f1)" ]
		check "hash $f: bytes" [ "$(field bytes)" = "$(stat -c %s "$f")" ]
		check "hash $f: merkle" [ "$(field merkle)" = "$($PY merkle.py "$f")" ]
	done
done
pl hash doc.jsonl.gz
check "jsonl: 5 records" [ "$(field records)" = 5 ]
pl hash ws.tar.zst
check "tar: 2 records (directory skipped)" [ "$(field records)" = 2 ]
pl hash book.txt
check "txt: 1 record" [ "$(field records)" = 1 ]
pl hash --split blank-line book.txt
check "txt --split blank-line: 2 records" [ "$(field records)" = 2 ]
pl hash doc.ndjson
check "ndjson detected as jsonl" [ "$(field format)" = jsonl ]
pl hash --format txt doc.jsonl
check "--format txt overrides detection" [ "$(field format)" = txt ]

# ---- Merkle roots of 0, 1, 1 MiB and 2.5 MiB ----
: >m0
printf 'x' >m1
head -c 1048576 /dev/urandom >m1m
head -c 2621440 /dev/urandom >m25
head -c 9437189 /dev/urandom >m9 # past the 4 MiB read/mmap windows
for f in m0 m1 m1m m25 m9; do
	pl hash --format raw "$f"
	check "merkle of $f" [ "$(field merkle)" = "$($PY merkle.py "$f")" ]
	check "sha256 of $f" [ "$(field sha256)" = "$(sha256sum "$f" | cut -d' ' -f1)" ]
done
base64 -w 76 m9 | head -c 9437189 >m9.txt
pl hash --split blank-line m9.txt
check "merkle of m9.txt read through the parser" [ "$(field merkle)" = "$($PY merkle.py m9.txt)" ]
pl hash m0
check "empty file: 0 records" [ "$(field records)" = 0 ]
expect_out "empty file: empty-tree root" "merkle       e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# ---- --records offsets point at the record in the decompressed stream ----
cat >offsets.py <<'EOF'
import gzip, json, sys
doc = json.load(open(sys.argv[1]))
for sh in doc["shards"]:
    path = sh["path"]
    raw = open(path, "rb").read()
    if path.endswith(".gz"): raw = gzip.decompress(raw)
    elif path.endswith(".zst"):
        import subprocess
        raw = subprocess.run(["zstd", "-dc", path], capture_output=True).stdout
    recs = sh["record_list"]
    assert len(recs) == sh["records"], (len(recs), sh["records"])
    for r in recs:
        b = raw[r["offset"]:r["offset"] + r["length"]]
        if sh["format"] == "jsonl":
            assert json.loads(b)["text"] is not None and not b.endswith(b"\n") and not b.endswith(b"\r"), b
        elif sh["format"] == "tar":
            import tarfile, io
            t = tarfile.open(fileobj=io.BytesIO(raw))
            assert t.extractfile(r["member"]).read() == b, r
        assert len(r["normalized_sha256"]) == 64
print("ok")
EOF
for f in doc.jsonl doc.jsonl.gz doc.jsonl.zst ws.tar ws.tar.gz book.txt; do
	pl --json hash --records "$f"
	expect "hash --records --json $f" 0
	check "$f: record offsets and lengths" $PY offsets.py "$OUT"
done
pl hash --records --split blank-line book.txt
expect_out "paragraph 2 offset" "record 1 offset 43 length 15"
check "paragraph bytes via dd" [ "$(dd if=book.txt bs=1 skip=43 count=15 2>/dev/null)" = "The second one." ]
pl hash --records doc.jsonl
# The normalized text of "Call me Ishmael." is "call me ishmael".
expect_out "normalized sha256" "sha256 $(printf 'call me ishmael' | sha256sum | cut -d' ' -f1)"
pl hash --json doc.jsonl book.txt ws.tar.gz
expect "--json exits 0" 0
check "--json parses" sh -c "$PY -m json.tool '$OUT' >/dev/null"
expect_out "--json shard fields" '"compression": "gzip"'
pl hash doc.jsonl --json
check "--json after the shard" sh -c "$PY -m json.tool '$OUT' >/dev/null"
pl hash --field caption --format jsonl wds/000001.json
check "--field" [ "$(field tokens)" = 2 ]

# ---- bad input: exit 3 with one line naming file, record, offset ----
badj() { # NAME CONTENT MESSAGE [OPTIONS...]
	local name=$1 content=$2 msg=$3
	shift 3
	printf '%b' "$content" >bad.jsonl
	pl hash "$@" bad.jsonl
	expect "$name" 3 "$msg"
	check "$name: one line" [ "$(wc -l <"$ERR")" -eq 1 ]
}
badj "unterminated string" '{"text":"ok"}\n{"text":"abc}\n' \
	'provledger: bad.jsonl: line 2 (byte 22): invalid JSON: unterminated string'
badj "trailing garbage" '{"text":"a"} x\n' 'bad.jsonl: line 1 (byte 13): invalid JSON: trailing garbage'
badj "invalid escape" '{"text":"a\\x"}\n' 'bad.jsonl: line 1 (byte 10): invalid JSON: invalid escape \x'
badj "lone surrogate" '{"text":"a\\ud800"}\n' 'line 1 (byte 10): invalid JSON: lone surrogate \ud800'
badj "not an object" '{"text":"a"}\n[1,2]\n' 'bad.jsonl: line 2 (byte 13): not a JSON object'
badj "missing field" '{"body":"a"}\n' 'bad.jsonl: line 1 (byte 0): no field "text"'
badj "non-string field" '{"text":42}\n' 'bad.jsonl: line 1 (byte 8): field "text" is not a string'
badj "duplicate field" '{"text":"a","text":"b"}\n' 'invalid JSON: duplicate field "text"'
badj "invalid UTF-8" '{"text":"ok"}\n{"text":"caf\xc3"}\n' 'bad.jsonl: line 2 (byte 26): invalid UTF-8'
badj "escaped NUL" '{"text":"a\\u0000b"}\n' 'bad.jsonl: line 1 (byte 10): NUL byte in text'
badj "raw NUL in a JSON string" '{"text":"a\0b"}\n' 'line 1 (byte 10): invalid JSON: control character in string'
printf '{"text":"caf\xc3"}\n' >lossy.jsonl
pl hash --lossy lossy.jsonl
expect "--lossy accepts invalid UTF-8" 0
printf 'ab\0c' >nul.txt
pl hash nul.txt
expect "raw NUL in txt" 3 "provledger: nul.txt: line 1 (byte 2): NUL byte in text"
printf 'one\ntwo \xff\n' >bad.txt
pl hash bad.txt
expect "invalid UTF-8 in txt" 3 "provledger: bad.txt: line 2 (byte 8): invalid UTF-8"

pl hash missing.jsonl
expect "missing file" 3 "provledger: missing.jsonl: no such file"
pl hash wds
expect "a directory" 3 "provledger: wds: is a directory, not a shard"
if [ "$(id -u)" -ne 0 ]; then
	cp doc.jsonl noread.jsonl && chmod 000 noread.jsonl
	pl hash noread.jsonl
	expect "unreadable file" 3 "noread.jsonl: cannot open: Permission denied"
else
	skip "unreadable file" "running as root"
fi

head -c $(($(stat -c %s doc.jsonl.gz) - 12)) doc.jsonl.gz >trunc.jsonl.gz
pl hash trunc.jsonl.gz
expect "truncated gzip" 3 "truncated gzip stream"
check "truncated gzip names the line" grep -qE 'trunc.jsonl.gz: line [0-9]+ \(byte [0-9]+\): truncated gzip' "$ERR"
head -c $(($(stat -c %s doc.jsonl.zst) - 6)) doc.jsonl.zst >trunc.jsonl.zst
pl hash trunc.jsonl.zst
expect "truncated zstd" 3 "truncated zstd stream"
$PY - <<'EOF'
d = bytearray(open("doc.jsonl.gz", "rb").read()); d[len(d) // 2] ^= 0xff
open("corrupt.jsonl.gz", "wb").write(d)
d = bytearray(open("doc.jsonl.zst", "rb").read()); d[len(d) // 2] ^= 0xff
open("corrupt.jsonl.zst", "wb").write(d)
import tarfile
t = bytearray(open("ws.tar", "rb").read())
# flip a byte in the name field of the last regular member's header
offs = [m.offset for m in tarfile.open("ws.tar").getmembers() if m.isfile()]
t[offs[-1] + 5] ^= 0x01
open("badsum.tar", "wb").write(t)
open("trunc.tar", "wb").write(open("ws.tar", "rb").read()[:offs[-1] + 512 + 7])
EOF
pl hash corrupt.jsonl.gz
expect "corrupt gzip" 3 "corrupt.jsonl.gz: "
check "corrupt gzip message" grep -qE 'corrupt gzip data|invalid' "$ERR"
pl hash corrupt.jsonl.zst
expect "corrupt zstd" 3 "corrupt zstd data"
pl hash badsum.tar
expect "tar bad checksum" 3 "badsum.tar: tar header at byte"
check "tar bad checksum message" grep -q "corrupt tar header (bad checksum)" "$ERR"
pl hash trunc.tar
expect "truncated tar" 3 "trunc.tar: member wds/"
check "truncated tar message" grep -q "truncated tar: member data ends early" "$ERR"

# A single 200 MB line: refused by --max-record, accepted when raised, memory bounded.
$PY -c "
import sys
w = sys.stdout.buffer
w.write(b'{\"text\": \"')
chunk = b'lorem ipsum dolor sit amet ' * 40000
for _ in range(200): w.write(chunk[:1000000])
w.write(b'\"}\n')" >huge.jsonl
pl hash huge.jsonl
expect "200 MB line refused" 3 "huge.jsonl: line 1 (byte 0): record longer than the --max-record limit of 67108864 bytes (raise it with --max-record BYTES)"
if [ -x /usr/bin/time ]; then
	run /usr/bin/time -f '%M' "$PL" hash --max-record 300000000 huge.jsonl
	expect "200 MB line accepted with --max-record" 0
	rss=$(tail -n 1 "$ERR")
	# The line (256 MiB buffer) and the tokenizer's per-token arrays (16 bytes a
	# token) grow with the record, bounded by --max-record; not with the shard.
	check "memory bounded by the record (${rss} KiB)" [ "$rss" -lt 1200000 ]
	expect_out "200 MB line: 1 record" "records      1"
else
	pl hash --max-record 300000000 huge.jsonl
	expect "200 MB line accepted with --max-record" 0
fi
rm -f huge.jsonl

# ---- usage ----
pl hash --help
expect "--help" 0
expect_out "--help lists fields" "merkle"
pl help hash
expect "help hash" 0
pl hash --bogus doc.jsonl
expect "unknown flag" 2 "unknown option --bogus"
pl hash
expect "no shard" 2 "no shard given"
pl hash --format xml doc.jsonl
expect "bad --format" 2 "unknown format 'xml'"
pl hash --max-record 0 doc.jsonl
expect "bad --max-record" 2 "--max-record needs a positive byte count"
finish
