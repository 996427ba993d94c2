#!/bin/bash
# shard_limits.sh - hostile shards and shard lists: tar sizes that wrapped or
# overflowed (the review's heap overflow), members tar readers read
# differently, escaped member names, truncation, a UTF-8 BOM before JSONL,
# gzip/zstd bombs with the peak RSS measured, --max-record's cap; and the shard
# lists of hash, check and dataset register: PATH:FIELD, --files-from, '-'
# (stdin), hash going on past a bad shard (text and one whole JSON document);
# a differential test against Python's tarfile (and GNU tar's archives).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
prose() { "$PY" "$HERE/gen_corpus.py" prose "$@"; }
js() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
# runin FILE CMD...: run with FILE as stdin
runin() {
	local f=$1
	shift
	"$@" <"$f" >"$OUT" 2>"$ERR"
	RC=$?
}
field() { grep -E "^  $1 " "$OUT" | head -n 1 | awk '{print $2}'; }
one_line() { check "$1: one line on stderr" [ "$(wc -l <"$ERR")" -eq 1 ]; }
json_ok() { check "$1: stdout is one valid JSON document" "$PY" -m json.tool "$OUT" /dev/null; }

# ---- tar headers, written here byte by byte ----
cat >mktar.py <<'EOF'
import sys
def hdr(name, size=None, typ=b"0", raw_size=None):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[124:136] = raw_size if raw_size is not None else b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[156:157] = typ
    h[257:265] = b"ustar\x0000"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)
def data(b): return b + b"\0" * (-len(b) % 512)
def pax(kv):
    n = len(kv) + 3
    while len(b"%d %s\n" % (n, kv)) != n: n = len(b"%d %s\n" % (n, kv))
    rec = b"%d %s\n" % (n, kv)
    return hdr(b"PaxHeaders/x", len(rec), b"x") + data(rec)
B256_MAX = b"\x80\0\0\0" + b"\xff" * 8
tail = hdr(b"hidden.txt", 5) + data(b"hello") + hdr(b"vis.txt", 3) + data(b"abc") + b"\0" * 1024
out = {
    "huge.tar": hdr(b"evil.txt", raw_size=B256_MAX) + b"A" * 3072 + b"\0" * 1024,
    "hugedir.tar": hdr(b"dir/", raw_size=B256_MAX, typ=b"5") + tail,
    "hugesym.tar": hdr(b"sym", raw_size=B256_MAX, typ=b"2") + tail,
    "sym1024.tar": hdr(b"sym", 1024, b"2") + tail,
    "dir1024.tar": hdr(b"dir/", 1024, b"5") + tail,
    "neg.tar": hdr(b"neg.txt", raw_size=b"\xff" * 11 + b"\xfb") + tail,
    "octal.tar": hdr(b"o.txt", raw_size=b"777777777777") + tail,
    "paxhuge.tar": pax(b"size=9223372036854775808") + tail,
    "paxbig.tar": pax(b"size=300000000") + hdr(b"big.txt", 0) + b"\0" * 1024,
    "sparse.tar": hdr(b"sparse.txt", 5, b"S") + data(b"hello") + b"\0" * 1024,
    "names.tar": hdr(b"../../escape-\n\x1b[2Jx\xff.txt", 5) + data(b"ab\xffcd") + b"\0" * 1024,
    "ok.tar": hdr(b"../up/../a.txt", 5) + data(b"hello") + hdr(b"b.txt", 3) + data(b"abc")
              + b"\0" * 1024,
}
for k, v in out.items():
    open(k, "wb").write(v)
EOF
"$PY" mktar.py

# ---- the review's heap overflow: a base-256 size of 2^64-1 ----
pl hash --max-record 18446744073709551615 huge.tar
expect "--max-record 2^64-1 is a usage error" 2 \
	"provledger: hash: --max-record 18446744073709551615 is over the limit of 1073741824 bytes (1 GiB): a record is held in memory"
pl hash --max-record 1073741825 huge.tar
expect "--max-record 1 GiB + 1 is a usage error" 2 "is over the limit of 1073741824 bytes (1 GiB)"
pl hash --max-record 1073741824 huge.tar
expect "size 2^64-1 at the largest --max-record: refused, no overflow" 3 \
	"provledger: huge.tar: member evil.txt (tar header at byte 0): corrupt tar header: size 18446744073709551615 out of range (at most 9223372036854775807)"
one_line "size 2^64-1"
check "size 2^64-1: no sanitizer report" sh -c "! grep -q 'Sanitizer' '$ERR'"
if tar tf huge.tar >/dev/null 2>&1; then bad "GNU tar refuses huge.tar too"; else ok "GNU tar refuses huge.tar too"; fi
pl hash huge.tar
expect "size 2^64-1 at the default limit" 3 "member evil.txt (tar header at byte 0): corrupt tar header: size 18446744073709551615 out of range"
for c in check "dataset register --name d --version 1 --key k.key"; do
	pl --ledger nowhere $c --max-record 18446744073709551615 huge.tar
	expect "$c: --max-record 2^64-1 is a usage error" 2 "--max-record 18446744073709551615 is over the limit of 1073741824 bytes"
done

# ---- non-regular members with sizes; size fields ----
pl hash hugedir.tar
expect "a directory of size 2^64-1: refused (its padding wrapped to 0)" 3 \
	"provledger: hugedir.tar: member dir/ (tar header at byte 0): corrupt tar header: size 18446744073709551615 out of range (at most 9223372036854775807)"
if tar tf hugedir.tar >/dev/null 2>&1; then bad "GNU tar refuses hugedir.tar too"; else ok "GNU tar refuses hugedir.tar too"; fi
pl hash hugesym.tar
expect "a symlink of size 2^64-1: refused" 3 "provledger: hugesym.tar: member sym (tar header at byte 0): corrupt tar header: size 18446744073709551615 out of range"
pl hash sym1024.tar
expect "a symlink with 1024 bytes of 'data': refused" 3 \
	"provledger: sym1024.tar: member sym (tar header at byte 0): a symbolic link with a size of 1024 bytes (tar readers disagree on whether data follows)"
# Why: GNU tar skips the 1024 bytes, Python's tarfile (WebDataset) reads them as a member.
gnu_n=$(tar tf sym1024.tar 2>/dev/null | wc -l)
py_n=$("$PY" -c 'import tarfile; print(len(tarfile.open("sym1024.tar").getmembers()))')
check "sym1024.tar: GNU tar ($gnu_n members) and tarfile ($py_n) disagree" [ "$gnu_n" != "$py_n" ]
pl hash dir1024.tar
expect "a directory with a size: refused" 3 "member dir/ (tar header at byte 0): a directory with a size of 1024 bytes (tar readers disagree on whether data follows)"
pl hash neg.tar
expect "negative base-256 size" 3 "provledger: neg.tar: member neg.txt (tar header at byte 0): corrupt tar header: negative size (base-256)"
pl hash octal.tar
expect "12-digit octal size (64 GiB) over --max-record" 3 \
	"provledger: octal.tar: member o.txt (byte 512): record longer than the --max-record limit of 67108864 bytes (raise it with --max-record BYTES)"
pl hash paxhuge.tar
expect "pax size past off_t" 3 "provledger: paxhuge.tar: tar header at byte 0: pax size 9223372036854775808 out of range (at most 9223372036854775807)"
pl hash paxbig.tar
expect "pax size of 300 MB: refused before buffering" 3 "provledger: paxbig.tar: member big.txt (byte 1536): record longer than the --max-record limit"
pl hash sparse.tar
expect "GNU sparse member" 3 "provledger: sparse.tar: member sparse.txt (tar header at byte 0): GNU sparse files are not supported"

# ---- member names: never paths; escaped in messages and text output ----
mkdir -p sub && cd sub || exit 2
pl hash ../names.tar
expect "a hostile member name: escaped in the message" 3 \
	'provledger: ../names.tar: member ../../escape-\x0a\x1b[2Jx\xff.txt (byte 514): invalid UTF-8'
one_line "hostile name"
pl hash --records ../ok.tar
expect "../ in member names is fine" 0
expect_out "../ names are listed as names" "member ../up/../a.txt"
cd .. || exit 2
check "nothing was written for ../ names" [ ! -e up ] && check "nor above the test dir" [ ! -e ../up ]
check "nothing named escape-* exists" sh -c '! ls ../escape-* ../../escape-* 2>/dev/null | grep -q .'
"$PY" - <<'EOF'
exec(open("mktar.py").read().split("out = {")[0])
open("nl.tar", "wb").write(hdr(b"a\nrecord 9 offset 0 length 0 tokens 0 sha256 x", 5) + data(b"hello") + b"\0" * 1024)
EOF
pl hash --records nl.tar
check "a newline in a name cannot forge a record line" [ "$(grep -c '^  record [0-9]' "$OUT")" -eq 1 ]
expect_out "it is shown escaped" 'member a\x0arecord 9 offset'
pl --json hash --records nl.tar
check "JSON keeps the name exact" [ "$(js 'd["shards"][0]["record_list"][0]["member"]' "$OUT")" = "$(printf 'a\nrecord 9 offset 0 length 0 tokens 0 sha256 x')" ]

# ---- truncated archives: a GNU tar pax archive cut inside and at the edges of
# every block (the unit tests cut at every offset), and its .gz at every offset ----
mkdir -p tt/d && printf 'first member\n' >tt/d/a.txt && printf 'second\n' >tt/b.txt
tar -b 1 --format=posix -cf trunc-src.tar tt 2>/dev/null
size=$(stat -c %s trunc-src.tar)
bad_cut=0 clean=0 cuts=0
for ((k = 1; k < size; k++)); do
	case $((k % 512)) in 0 | 1 | 100 | 257 | 511) ;; *) continue ;; esac
	cuts=$((cuts + 1))
	head -c "$k" trunc-src.tar >cut.tar
	"$PL" hash --format tar cut.tar >"$OUT" 2>"$ERR"
	rc=$?
	if [ $rc -eq 0 ]; then
		clean=$((clean + 1))
	elif [ $rc -ne 3 ] || ! grep -q '^provledger: cut.tar: .*truncated tar' "$ERR" || [ "$(wc -l <"$ERR")" -ne 1 ]; then
		bad_cut=$((bad_cut + 1))
		[ $bad_cut -le 3 ] && echo "    cut at $k: exit $rc: $(head -c 300 "$ERR")"
	fi
done
check "truncated at $cuts offsets: 'truncated tar' (exit 3) or a clean member boundary ($clean)" [ $bad_cut -eq 0 ]
gzip -c trunc-src.tar >trunc-src.tar.gz
gsize=$(stat -c %s trunc-src.tar.gz)
bad_cut=0
for ((k = 2; k < gsize; k++)); do
	head -c "$k" trunc-src.tar.gz >cut.tar.gz
	"$PL" hash cut.tar.gz >"$OUT" 2>"$ERR"
	rc=$?
	if [ $rc -ne 3 ] || [ "$(wc -l <"$ERR")" -ne 1 ]; then
		bad_cut=$((bad_cut + 1))
		[ $bad_cut -le 3 ] && echo "    gz cut at $k: exit $rc: $(head -c 300 "$ERR")"
	fi
done
check "the .gz truncated at each of $gsize offsets from 2 (the magic): exit 3, one line" [ $bad_cut -eq 0 ]

# ---- a UTF-8 BOM before JSONL ----
printf '\xef\xbb\xbf{"text": "The first record."}\n{"text": "The second."}\n' >bom.jsonl
pl hash bom.jsonl
expect "BOM: exit 0" 0
check "BOM: detected as jsonl, not txt" [ "$(field format)" = jsonl ]
check "BOM: 2 records" [ "$(field records)" = 2 ]
gzip -c bom.jsonl >bom.jsonl.gz
pl --json hash --records bom.jsonl bom.jsonl.gz
expect "BOM --records --json" 0
check "BOM: the first record starts after the BOM (offset 3)" [ "$(js 'd["shards"][0]["record_list"][0]["offset"]' "$OUT")" = 3 ]
check "BOM: offsets count the BOM and point at valid JSON" "$PY" -c '
import gzip, json, sys
d = json.load(open(sys.argv[1]))
for sh in d["shards"]:
    raw = open(sh["path"], "rb").read()
    if sh["path"].endswith(".gz"): raw = gzip.decompress(raw)
    for r in sh["record_list"]:
        json.loads(raw[r["offset"]:r["offset"] + r["length"]])
    assert sh["format"] == "jsonl" and sh["stream_bytes"] == len(raw)
' "$OUT"
printf '\xef\xbb\xbf{"text": "abc}\n' >bombad.jsonl
pl hash bombad.jsonl
expect "BOM: error offsets count the BOM" 3 "provledger: bombad.jsonl: line 1 (byte 12): invalid JSON: unterminated string"

# ---- gzip and zstd bombs: --max-record honoured while streaming, memory bounded ----
{
	printf '{"text": "'
	head -c 200000000 /dev/zero | tr '\0' a
	printf '"}\n'
} | gzip -1 >bomb.jsonl.gz
gzip -dc bomb.jsonl.gz | zstd -q -c >bomb.jsonl.zst
check "the gzip bomb is small ($(stat -c %s bomb.jsonl.gz) bytes for 200 MB)" [ "$(stat -c %s bomb.jsonl.gz)" -lt 2000000 ]
# The bound with a 1 MiB record cap (about 17 MB measured without SAN=1);
# ASan's shadow memory and quarantine add their own, so twice that there.
small=30000
[ "${SAN:-}" = 1 ] && small=60000
for b in bomb.jsonl.gz bomb.jsonl.zst; do
	if [ -x /usr/bin/time ]; then
		run /usr/bin/time -f 'peak-rss-kib %M' "$PL" hash "$b"
		rss=$(sed -n 's/^peak-rss-kib //p' "$ERR")
		expect "$b: refused at --max-record" 3 \
			"provledger: $b: line 1 (byte 0): record longer than the --max-record limit of 67108864 bytes (raise it with --max-record BYTES)"
		echo "    $b: peak RSS ${rss} KiB (/usr/bin/time -f %M $PL hash $b)"
		if [ "${SAN:-}" = 1 ]; then
			# ASan's shadow memory and quarantine (freed blocks kept) triple it.
			skip "$b: peak RSS < 100 MB" "measured without SAN=1; here ${rss} KiB"
		else
			check "$b: peak RSS ${rss} KiB < 100 MB" [ "${rss:-999999999}" -lt 100000 ]
		fi
		run /usr/bin/time -f 'peak-rss-kib %M' "$PL" hash --max-record 1048576 "$b"
		rss=$(sed -n 's/^peak-rss-kib //p' "$ERR")
		expect "$b with --max-record 1 MiB" 3 "record longer than the --max-record limit of 1048576 bytes"
		check "$b with --max-record 1 MiB: peak RSS ${rss} KiB < $((small / 1000)) MB" [ "${rss:-999999999}" -lt "$small" ]
	else
		skip "$b: peak RSS" "/usr/bin/time not installed (package time)"
		pl hash "$b"
		expect "$b: refused at --max-record" 3 "record longer than the --max-record limit of 67108864 bytes"
	fi
done
# A tar member that claims 200 MB: refused from its header, nothing inflated.
"$PY" - <<'EOF'
import gzip
exec(open("mktar.py").read().split("out = {")[0])
open("tarbomb.tar.gz", "wb").write(gzip.compress(hdr(b"big.txt", 200000000) + b"a" * 200000000, 1))
EOF
if [ -x /usr/bin/time ]; then
	run /usr/bin/time -f 'peak-rss-kib %M' "$PL" hash tarbomb.tar.gz
	rss=$(sed -n 's/^peak-rss-kib //p' "$ERR")
	check "tar bomb: peak RSS ${rss:-?} KiB < $((small / 1000)) MB" [ "${rss:-999999999}" -lt "$small" ]
else
	pl hash tarbomb.tar.gz
fi
expect "a tar member of 200 MB in a .gz" 3 "provledger: tarbomb.tar.gz: member big.txt (byte 512): record longer than the --max-record limit"

# ---- shard lists: PATH:FIELD ----
printf '{"content": "alpha beta gamma", "text": "one"}\n' >c.jsonl
printf '{"body": "delta epsilon", "text": "two words"}\n' >b.jsonl
pl hash c.jsonl:content b.jsonl
expect "PATH:FIELD: exit 0" 0
check "PATH:FIELD: the path printed without :FIELD" [ "$(grep -c '^c.jsonl$' "$OUT")" -eq 1 ]
check "PATH:FIELD: c.jsonl's own field (3 tokens)" [ "$(grep -A7 '^c.jsonl$' "$OUT" | field tokens)" = 3 ]
check "PATH:FIELD: b.jsonl keeps --field's default (2 tokens)" [ "$(grep -A7 '^b.jsonl$' "$OUT" | awk '/tokens/{print $2}')" = 2 ]
pl hash --field body c.jsonl:content b.jsonl
expect "PATH:FIELD with --field for the others" 0
check "--field body applies to b.jsonl" [ "$(grep -A7 '^b.jsonl$' "$OUT" | awk '/tokens/{print $2}')" = 2 ]
cp c.jsonl 'odd:name.jsonl'
pl hash 'odd:name.jsonl'
expect "a path that really holds ':' keeps working" 0
expect_out "its path printed whole" "odd:name.jsonl"
cp c.jsonl 'two:content'
pl hash 'two:content'
expect "PATH:FIELD is not taken when the whole argument exists" 0
check "  (read with the default field: 1 token)" [ "$(field tokens)" = 1 ]
pl hash c.jsonl:nosuch
expect "PATH:FIELD with a field the records lack" 3 'provledger: c.jsonl: line 1 (byte 0): no field "nosuch"'
pl hash missing.jsonl:content
expect "PATH:FIELD where neither exists: named whole" 3 "provledger: missing.jsonl:content: no such file"
pl hash c.jsonl:
expect "a trailing ':' is not an empty field" 3 "provledger: c.jsonl:: no such file"

# ---- shard lists: --files-from ----
printf 'c.jsonl:content\n\n   \nb.jsonl\r\nodd:name.jsonl\n' >list.txt
pl hash --files-from list.txt
expect "--files-from: exit 0" 0
check "--files-from: three shards" [ "$(grep -c '^  records' "$OUT")" -eq 3 ]
check "--files-from: PATH:FIELD applies" [ "$(grep -A7 '^c.jsonl$' "$OUT" | awk '/tokens/{print $2}')" = 3 ]
pl hash bom.jsonl --files-from list.txt
check "--files-from after the command line's shards" [ "$(head -n 1 "$OUT")" = bom.jsonl ]
runin list.txt "$PL" hash --files-from -
expect "--files-from - reads the list from stdin" 0
check "--files-from -: three shards" [ "$(grep -c '^  records' "$OUT")" -eq 3 ]
pl hash --files-from nolist.txt
expect "--files-from a missing file" 3 "provledger: nolist.txt: no such file"
printf 'c.jsonl\nmissing.jsonl\n' >list2.txt
pl hash --files-from list2.txt
expect "--files-from naming a missing shard" 3 "provledger: missing.jsonl: no such file"
runin c.jsonl "$PL" hash --files-from - -
expect "stdin as both the list and a shard" 2 "provledger: hash: stdin cannot be both the shard list (--files-from -) and a shard (-)"
printf -- '-\n' >list3.txt
runin c.jsonl "$PL" hash --files-from - --files-from list3.txt
expect "stdin as the list and, in another list, a shard" 2 "stdin cannot be both the shard list (--files-from -) and a shard (-)"
pl hash - -
expect "'-' twice" 2 "provledger: hash: '-' (stdin) can be given only once"
: >empty.txt
pl hash --files-from empty.txt
expect "an empty list and no shard" 2 "provledger: hash: no shard given"

# ---- '-': the shard from stdin ----
cat c.jsonl b.jsonl >cb.jsonl
pl hash cb.jsonl
want_sha=$(field sha256) want_merkle=$(field merkle)
for f in cb.jsonl cb.jsonl.gz cb.jsonl.zst; do
	case $f in *.gz) gzip -c cb.jsonl >"$f" ;; *.zst) zstd -q -c cb.jsonl >"$f" ;; esac
	pl hash "$f"
	fsha=$(field sha256) fmerkle=$(field merkle) frec=$(field records)
	runin "$f" "$PL" hash -
	expect "stdin ($f): exit 0" 0
	check "stdin ($f): path '-'" [ "$(head -n 1 "$OUT")" = - ]
	check "stdin ($f): sha256 as for the file" [ "$(field sha256)" = "$fsha" ]
	check "stdin ($f): merkle as for the file" [ "$(field merkle)" = "$fmerkle" ]
	check "stdin ($f): records as for the file" [ "$(field records)" = "$frec" ]
	cat "$f" | "$PL" hash - >"$OUT" 2>"$ERR"
	check "stdin ($f) through a pipe: sha256 as for the file" [ "$(field sha256)" = "$fsha" ]
done
check "stdin (cb.jsonl): the sha256 of the plain file" [ "$want_sha" = "$(sha256sum cb.jsonl | cut -d' ' -f1)" ]
gzip -c c.jsonl | "$PL" --json hash --records -- -:content >"$OUT" 2>"$ERR"
check "stdin with its own field (-- -:content): first record from content" \
	[ "$(js 'd["shards"][0]["record_list"][0]["tokens"]' "$OUT")" = 3 ]
check "stdin with its own field: path '-'" [ "$(js 'd["shards"][0]["path"]' "$OUT")" = - ]
cat ok.tar | "$PL" hash --records - >"$OUT" 2>"$ERR"
check "a tar on stdin" [ "$(field format)" = tar ] && check "a tar on stdin: 2 records" [ "$(field records)" = 2 ]
cat cb.jsonl | "$PL" hash --format raw - >"$OUT" 2>"$ERR"
check "--format raw on stdin: sha256" [ "$(field sha256)" = "$want_sha" ]
check "--format raw on stdin: merkle" [ "$(field merkle)" = "$want_merkle" ]
printf '{"text":"ok"}\n{"text":"abc}\n' | "$PL" hash - >"$OUT" 2>"$ERR"
check "a bad shard on stdin is named '-'" grep -qxF 'provledger: -: line 2 (byte 22): invalid JSON: unterminated string' "$ERR"

# ---- hash goes on past a bad shard ----
printf '{"text":"ok"}\n{"text":"abc}\n' >bad.jsonl
pl hash c.jsonl bad.jsonl missing.jsonl b.jsonl
expect "bad shards: exit 3" 3
check "bad shards: both errors on stderr, one line each" [ "$(wc -l <"$ERR")" -eq 2 ]
check "bad shards: the JSONL error" grep -qxF 'provledger: bad.jsonl: line 2 (byte 22): invalid JSON: unterminated string' "$ERR"
check "bad shards: the missing file" grep -qxF 'provledger: missing.jsonl: no such file' "$ERR"
check "bad shards: the good ones are still hashed" [ "$(grep -c '^  sha256' "$OUT")" -eq 2 ]
check "bad shards: b.jsonl after them" grep -qx 'b.jsonl' "$OUT"
pl --json hash --records c.jsonl bad.jsonl huge.tar missing.jsonl b.jsonl
expect "bad shards --json: exit 3" 3
json_ok "bad shards --json"
check "bad shards --json: five shards, three with errors" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["shards"]
assert [x["path"] for x in s] == ["c.jsonl", "bad.jsonl", "huge.tar", "missing.jsonl", "b.jsonl"], s
assert [("error" in x) for x in s] == [False, True, True, True, False]
assert s[1]["error"] == {"code": "invalid", "message": "bad.jsonl: line 2 (byte 22): invalid JSON: unterminated string"}, s[1]
assert s[2]["error"]["code"] == "invalid" and "member evil.txt" in s[2]["error"]["message"]
assert s[3]["error"] == {"code": "not-found", "message": "missing.jsonl: no such file"}
assert "sha256" not in s[1] and "record_list" not in s[1]
assert len(s[0]["record_list"]) == 1 and len(s[4]["record_list"]) == 1
' "$OUT"
pl --json hash c.jsonl bomb.jsonl.gz
expect "a limit error --json: exit 3" 3
json_ok "a limit error --json"
check "a limit error has code limit" [ "$(js 'd["shards"][1]["error"]["code"]' "$OUT")" = limit ]
pl --json hash c.jsonl b.jsonl
expect "good shards --json: exit 0" 0
json_ok "good shards --json"

# ---- check and dataset register: the same shard lists ----
pl --ledger L init
for k in lab:lab rh:rights-holder; do
	pl key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}"
	pl --ledger L key register "${k%%:*}.pub" --key "${k%%:*}.key"
done
expect "setup: keys" 0
grant L lab lab
expect "setup: the lab role granted" 0
prose 1500 21 >work.txt
pl --ledger L work register work.txt --title Work --holder H --key rh.key
expect "setup: a work" 0
"$PY" -c '
import json
w = open("work.txt").read().split()
with open("fields.jsonl", "w") as f:
    f.write(json.dumps({"text": "nothing to see here", "content": " ".join(w[200:600])}) + "\n")
with open("fields2.jsonl", "w") as f:
    f.write(json.dumps({"text": "another page", "content": "nor here"}) + "\n")
'
pl --ledger L check fields.jsonl
expect "check: the default field holds no copy" 0
pl --ledger L check fields.jsonl:content
expect "check PATH:FIELD: the copy in content is found" 1
expect_out "check PATH:FIELD: names the shard by its path" "fields.jsonl record 0"
printf 'fields.jsonl:content\n' >clist.txt
pl --ledger L --json check --files-from clist.txt
expect "check --files-from with PATH:FIELD" 1
check "check --files-from: report shard path" [ "$(js 'd["matches"][0]["shard"]' "$OUT")" = fields.jsonl ]
runin fields.jsonl "$PL" --ledger L --json check --field content -
expect "check - (stdin): the copy is found" 1
check "check -: the shard is '-' in the report" [ "$(js 'd["matches"][0]["shard"]' "$OUT")" = - ]
check "check -: and in the shard list" [ "$(js 'd["shards"][0]["path"]' "$OUT")" = - ]
check "check -: the stream span was mapped (second pass over the copy)" \
	[ "$(js 'd["matches"][0]["stream_offset"] > 0' "$OUT")" = True ]
check "check -: its sha256 is the data's" [ "$(js 'd["shards"][0]["sha256"]' "$OUT")" = "$(sha256sum fields.jsonl | cut -d' ' -f1)" ]
check "check -: the stdin copy is removed" sh -c '! ls "${TMPDIR:-/tmp}"/provledger-stdin.* 2>/dev/null | grep -q .'
printf '{"text":"abc}\n' >cbad.jsonl
runin cbad.jsonl "$PL" --ledger L check -
expect "check - with a bad shard: named '-'" 3 "provledger: -: line 1 (byte 8): invalid JSON: unterminated string"
pl --ledger L check - -
expect "check: '-' twice" 2 "provledger: check: '-' (stdin) can be given only once"
pl --ledger L check
expect "check: no shard" 2 "provledger: check: no shard given"
pl --ledger L dataset register --name ds --version 1 --key lab.key -
expect "dataset register -: refused" 2 \
	"provledger: dataset register: '-' (stdin) cannot be a dataset shard: the manifest names each shard by a path that recheck and auditors read again; save the data to a file and give its path"
printf -- '-\n' >dlist.txt
pl --ledger L dataset register --name ds --version 1 --key lab.key --files-from dlist.txt
expect "dataset register: '-' in --files-from refused too" 2 "'-' (stdin) cannot be a dataset shard"
pl --ledger L dataset register --name ds --version 1 --key lab.key --max-record 18446744073709551615 fields.jsonl
expect "dataset register: --max-record capped" 2 "--max-record 18446744073709551615 is over the limit"
printf 'fields2.jsonl\n' >dlist2.txt
pl --ledger L --json dataset register --name ds --version 1 --key lab.key fields.jsonl:content --files-from dlist2.txt
check "dataset register PATH:FIELD and --files-from (exit 1: a match recorded)" [ "$RC" -le 1 ]
check "dataset register: two shards, the match in fields.jsonl's content" \
	[ "$(js '(len(d["report"]["shards"]), d["report"]["matches"][0]["shard"])' "$OUT")" = "(2, 'fields.jsonl')" ]
pl --ledger L dataset recheck ds@1 --key lab.key fields.jsonl:content fields2.jsonl
expect "dataset recheck with PATH:FIELD" 1
pl --ledger L dataset recheck ds@1 --key lab.key --files-from dlist2.txt fields.jsonl
expect "dataset recheck --files-from" 0

# ---- differential: tar archives from Python's tarfile and GNU tar ----
mkdir -p dt/"$(
	IFS=/
	seq -f 'seg%02g' 0 11 | paste -sd/
)"
printf 'hello world\n' >dt/a.txt
printf 'deep text\n' >"dt/$(seq -f 'seg%02g' 0 11 | paste -sd/)/$(printf 'f%.0s' {1..90}).txt"
printf 'caf\xc3\xa9\n' >"dt/caf$(printf '\xc3\xa9').txt"
ln -s a.txt dt/lnk
gnu=()
for f in gnu oldgnu posix ustar; do
	tar --format=$f -cf "gnu-$f.tar" dt 2>/dev/null && gnu+=("gnu-$f.tar")
done
"$PY" "$HERE/tar_differential.py" "$PL" "$T" "${gnu[@]}" >diff.out 2>&1
rc=$?
sed 's/^/    /' diff.out
check "differential: ${#gnu[@]} GNU tar and 6 tarfile archives read as Python's tarfile reads them" [ $rc -eq 0 ]

finish
