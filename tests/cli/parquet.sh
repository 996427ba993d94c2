#!/bin/bash
# parquet.sh - Parquet shards (issue 16): hash, check and dataset register on
# the fixtures of two independent writers (tests/fixtures/parquet, made by
# make.js with @dsnp/parquetjs and parquet-wasm) give the records, tokens,
# normalized hashes and matches of the same rows as JSONL; the digests are
# sha256sum's; --field and SHARD:FIELD pick another column; a wrong column,
# truncated, corrupted, compressed and piped files are refused with exit 3
# and a message naming the file; memory does not grow with the file.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PQ=$FIX/parquet
js() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
GOOD="pj_plain pj_v2_snappy pj_gzip aw_dict_zstd aw_dict_v2_snappy aw_plain_gzip"

# ---- hash: the same records as the JSONL rows
pl --json hash --records "$PQ/rows.jsonl"
expect "hash rows.jsonl" 0
js '"\n".join(r["normalized_sha256"] for r in d["shards"][0]["record_list"])' "$OUT" >want.txt
for f in $GOOD; do
	pl --json hash --records "$PQ/$f.parquet"
	expect "hash $f.parquet: exit 0" 0 || continue
	js '"\n".join(r["normalized_sha256"] for r in d["shards"][0]["record_list"])' "$OUT" >got.txt
	check "hash $f.parquet: the 30 records of rows.jsonl, hash for hash" cmp -s want.txt got.txt
	check "hash $f.parquet: format parquet, 927 tokens" \
		test "$(js 'd["shards"][0]["format"], d["shards"][0]["tokens"]' "$OUT")" = "parquet 927"
	check "hash $f.parquet: sha256 is sha256sum's" test "$(js 'd["shards"][0]["sha256"]' "$OUT")" \
		= "$(sha256sum <"$PQ/$f.parquet" | cut -d' ' -f1)"
	check "hash $f.parquet: records name row group and row, not line" \
		test "$(js 'all("row_group" in r and "row" in r and "line" not in r for r in d["shards"][0]["record_list"])' "$OUT")" = True
done
pl --json hash --records "$PQ/pj_plain.parquet"
check "pj_plain: 8 rows a row group" \
	test "$(js '[(r["row_group"], r["row"]) for r in d["shards"][0]["record_list"]][17]' "$OUT")" = "(2, 1)"
pl hash --records "$PQ/pj_plain.parquet"
expect_out "text --records names row group and row" "row_group 3 row 5"

# nulls: empty records (rows_nulls.jsonl has null where the file has a null)
"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); d["text"] = d["text"] or ""; print(json.dumps(d))' "$PQ/rows_nulls.jsonl" >nulls.jsonl
pl --json hash --records nulls.jsonl
js '"\n".join(r["normalized_sha256"] for r in d["shards"][0]["record_list"])' "$OUT" >want.txt
for f in pj_nulls aw_nulls_v2; do
	pl --json hash --records "$PQ/$f.parquet"
	expect "hash $f.parquet (nulls): exit 0" 0
	js '"\n".join(r["normalized_sha256"] for r in d["shards"][0]["record_list"])' "$OUT" >got.txt
	check "hash $f.parquet: a null row is an empty record" cmp -s want.txt got.txt
done

# --field, SHARD:FIELD, --format
pl --json hash "$PQ/pj_plain.parquet" --field lang
check "--field lang: another text column, 30 records" test "$(js 'd["shards"][0]["records"]' "$OUT")" = 30
pl --json hash "$PQ/aw_dict_zstd.parquet:lang"
check "SHARD:FIELD picks the column" test "$(js 'd["shards"][0]["tokens"]' "$OUT")" = 20
cp "$PQ/pj_plain.parquet" noext
pl --json hash noext
check "detected by PAR1 without the extension" test "$(js 'd["shards"][0]["format"]' "$OUT")" = parquet
pl hash --format parquet "$PQ/rows.jsonl"
expect "--format parquet on JSONL: exit 3" 3 "rows.jsonl: not a Parquet file: no PAR1 magic at byte 0"
pl hash --help
expect_out "--help lists --format parquet" "txt|jsonl|tar|webdataset|parquet|raw"

# ---- refused, exit 3, one line naming the file
pl hash "$PQ/pj_plain.parquet" --field body
expect "a missing column" 3 \
	"pj_plain.parquet: no column 'body' (the columns: 'id', 'text', 'lang', 'score')"
pl hash "$PQ/pj_plain.parquet" --field id
expect "a column that is not text" 3 "pj_plain.parquet: column 'id' is INT64, not a BYTE_ARRAY (text) column"
pl hash "$PQ/aw_delta.parquet"
expect "DELTA_BYTE_ARRAY refused" 3 \
	"aw_delta.parquet: column 'text': row group 0: page at byte 38: encoding DELTA_BYTE_ARRAY not supported"
pl hash "$PQ/aw_nested.parquet"
expect "a list column refused" 3 "aw_nested.parquet: column 'text': nested or repeated columns are not supported"
head -c -10 "$PQ/pj_plain.parquet" >trunc.parquet
pl hash trunc.parquet
expect "truncated: exit 3" 3 "trunc.parquet: truncated or not a Parquet file: no PAR1 magic at the end"
head -c 3000 "$PQ/pj_plain.parquet" >cut.parquet
pl hash cut.parquet
expect "cut in the data (detected by the name)" 3 "cut.parquet: truncated or not a Parquet file"
# the first data page header of pj_plain's text column is at byte 203: break it
cp "$PQ/pj_plain.parquet" corrupt.parquet
printf '\xff' | dd of=corrupt.parquet bs=1 seek=203 conv=notrunc 2>/dev/null
pl hash corrupt.parquet
expect "a corrupt page header" 3 \
	"corrupt.parquet: column 'text': row group 0: page at byte 203: corrupt page header (unknown field type)"
pl hash --max-record 1000 "$PQ/pj_plain.parquet"
expect "a page over --max-record" 3 "over the --max-record limit of 1000 bytes"
gzip -c "$PQ/pj_plain.parquet" >x.parquet.gz
pl hash x.parquet.gz
expect "a gzipped Parquet file" 3 "x.parquet.gz: a gzip-compressed Parquet file is not supported"
"$PL" hash --format parquet - <"$PQ/pj_plain.parquet" >"$OUT" 2>"$ERR"
RC=$?
# stdin redirected from a file is a regular file: read it
expect "stdin from a regular file: read" 0
cat "$PQ/pj_plain.parquet" | "$PL" hash --format parquet - >"$OUT" 2>"$ERR"
RC=$?
expect "stdin from a pipe: exit 3" 3 "-: Parquet needs a regular file (its footer is at the end)"

# ---- check and dataset register
pl --ledger L init
pl key gen --name rh --role rights-holder --out rh
pl --ledger L key register rh.pub --key rh.key
pl --ledger L work register "$PQ/work.txt" --title Work --holder H --key rh.key
expect "register the work" 0
pl --ledger L --json check "$PQ/rows.jsonl"
expect "check rows.jsonl: a match, exit 1" 1
WANT=$(js '[(m["record"], m["offset"], m["length"], m["work_span"]) for m in d["matches"]]' "$OUT")
for f in $GOOD; do
	pl --ledger L --json check "$PQ/$f.parquet"
	expect "check $f.parquet: exit 1" 1
	check "check $f.parquet: the match of rows.jsonl (record, text span, work span)" \
		test "$(js '[(m["record"], m["offset"], m["length"], m["work_span"]) for m in d["matches"]]' "$OUT")" = "$WANT"
done
pl --ledger L --json check "$PQ/pj_plain.parquet"
check "check pj_plain: stream_offset/length are the matched bytes in the file" "$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))["matches"][0]
f = open(sys.argv[2], "rb").read()
rows = [json.loads(l)["text"] for l in open(sys.argv[3])]
t = rows[m["record"]].encode()
sys.exit(f[m["stream_offset"]:m["stream_offset"] + m["stream_length"]] != t[m["offset"]:m["offset"] + m["length"]])
' "$OUT" "$PQ/pj_plain.parquet" "$PQ/rows.jsonl"
pl --ledger L check "$PQ/pj_plain.parquet" --field lang
expect "check --field lang: no match" 0
pl --ledger L check "$PQ/pj_plain.parquet" --field nope
expect "check a missing column: exit 3" 3 "pj_plain.parquet: no column 'nope'"
cp "$PQ/pj_plain.parquet" utf8.parquet
printf '\xff' | dd of=utf8.parquet bs=1 seek=5030 conv=notrunc 2>/dev/null
pl --ledger L check utf8.parquet
expect "invalid UTF-8 in a value: the row group and row" 3 \
	"utf8.parquet: row group 0, row 7 (byte 5030): invalid UTF-8"
pl --ledger L --json check utf8.parquet
check "--json error: file and byte of a Parquet record" \
	test "$(js 'd["error"]["file"], d["error"]["byte"]' "$ERR")" = "utf8.parquet 5030"
pl --ledger L check cut.parquet
expect "check a truncated file: exit 3" 3 "cut.parquet: truncated or not a Parquet file"

pl key gen --name lab --role lab --out lab
pl --ledger L key register lab.pub --key lab.key
grant L lab lab
expect "setup: lab key" 0
pl --ledger L --json dataset register --name pq --version 1 "$PQ/pj_plain.parquet" \
	"$PQ/aw_dict_zstd.parquet" --key lab.key
check "dataset register of Parquet shards (exit 1: they hold the work)" test "$RC" = 1
pl --ledger L --json dataset show pq@1
if [ "$RC" = 0 ]; then
	check "the manifest lists the shards as parquet" grep -q '"parquet"' "$OUT"
fi

# ---- memory does not grow with the file: 10 MB and 61 MB (both past the
# 8 MiB of stored-byte buffers, which any shard over that size fills)
"$PY" "$HERE/parquet_gen.py" 12000 small.parquet
"$PY" "$HERE/parquet_gen.py" 70000 big.parquet big.jsonl
if [ -x /usr/bin/time ]; then
	rss() {
		/usr/bin/time -f "maxrss %M" "$PL" --ledger L check "$1" >/dev/null 2>"$ERR"
		sed -n 's/^maxrss //p' "$ERR"
	}
	small=$(rss small.parquet) big=$(rss big.parquet)
	echo "    check peak RSS: $(wc -c <small.parquet) bytes: ${small} KiB, $(wc -c <big.parquet) bytes: ${big} KiB"
	check "peak RSS does not grow with the file (${small} -> ${big} KiB)" \
		test "${big:-999999}" -lt $((${small:-0} + 8192))
else
	skip "peak RSS" "/usr/bin/time missing"
fi
pl --json hash big.parquet
P1=$(js 'd["shards"][0]["records"], d["shards"][0]["tokens"]' "$OUT")
pl --json hash big.jsonl
check "the large file: the records and tokens of its JSONL" \
	test "$P1" = "$(js 'd["shards"][0]["records"], d["shards"][0]["tokens"]' "$OUT")"
finish
