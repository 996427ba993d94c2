#!/bin/bash
# webdataset.sh - --format webdataset: a tar read as WebDataset samples
# (members grouped by key, the text member chosen by extension, images and
# .json sidecars skipped), against tars written by Python's tarfile (the
# module WebDataset itself reads with). Offsets point at the text member's
# data; a match's record is the sample's index.
. "$(dirname "$0")/lib.sh"
export PROVLEDGER_TIME=1790000000
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
cp "$FIX/../../examples/works/the-salt-road.txt" work.txt 2>/dev/null || cp "$(dirname "$0")/../../examples/works/the-salt-road.txt" work.txt
python3 - work.txt <<'PY'
import io, json, sys, tarfile
work = open(sys.argv[1], encoding="utf-8").read()
excerpt = " ".join(work.split()[100:260])
def add(t, name, data):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
with tarfile.open("wds.tar", "w", format=tarfile.USTAR_FORMAT) as t:
    add(t, "shard/000000.jpg", bytes(range(256)) * 4)          # not UTF-8
    add(t, "shard/000000.json", json.dumps({"caption": "a cat"}).encode())
    add(t, "shard/000000.txt", b"A plain caption about a cat on a mat.")
    add(t, "shard/000001.json", json.dumps({"caption": "quoted"}).encode())
    add(t, "shard/000001.txt", ("Blog post. " + excerpt + " The end.").encode())
    add(t, "shard/000002.jpg", b"\xff\xd8\xff\xe0 no text member in this sample")
    add(t, "shard/000003.seg.json", b'{"x": 1}')
    add(t, "shard/000003.text", "Ünïcode text, second form of the text extension.".encode())
with tarfile.open("ambiguous.tar", "w", format=tarfile.USTAR_FORMAT) as t:
    add(t, "a/1.txt", b"one"); add(t, "a/1.text", b"two")
PY
check "fixture tars written" [ -s wds.tar ] && [ -s ambiguous.tar ]

pl hash wds.tar
expect "member by member, the image is not UTF-8: an error" 3 "member shard/000000.jpg"
pl --json hash --format webdataset --records wds.tar
expect "--format webdataset reads the samples" 0
check "four samples, four records" [ "$(js 'd["shards"][0]["records"]' "$OUT")" = 4 ]
check "the format is recorded as webdataset" [ "$(js 'd["shards"][0]["format"]' "$OUT")" = webdataset ]
check "records are named by sample key" \
	[ "$(js '",".join(r["member"] for r in d["shards"][0]["record_list"])' "$OUT")" = "shard/000000,shard/000001,shard/000002,shard/000003" ]
check "a sample without a text member has no tokens" \
	[ "$(js 'd["shards"][0]["record_list"][2]["tokens"]' "$OUT")" = 0 ]
check "offset and length point at the text member's data (independent read)" python3 - "$OUT" <<'PY'
import json, sys, tarfile
d = json.load(open(sys.argv[1]))["shards"][0]["record_list"]
t = tarfile.open("wds.tar")
m = {x.name: x for x in t.getmembers()}
for rec, name in ((0, "shard/000000.txt"), (1, "shard/000001.txt"), (3, "shard/000003.text")):
    assert d[rec]["offset"] == m[name].offset_data and d[rec]["length"] == m[name].size, (rec, d[rec])
raw = open("wds.tar", "rb").read()
assert raw[d[0]["offset"]:d[0]["offset"] + d[0]["length"]] == b"A plain caption about a cat on a mat."
PY
pl hash --format webdataset --field json --records wds.tar
expect "--field json takes the sidecars instead" 0
expect_out "sample 000000's json" "member shard/000000"
pl --json hash --format webdataset --field json wds.tar
check "--field json: 3 tokens in the first sample's sidecar and none where there is none" \
	[ "$(js 'd["shards"][0]["tokens"]' "$OUT")" -gt 0 ]
pl hash --format webdataset ambiguous.tar
expect "two text members in one sample are refused" 3 "sample a/1 already has a text member (a/1.txt)"
pl hash --format bogus wds.tar
expect "an unknown format names webdataset among the choices" 2 "webdataset"

# check: the excerpt is found in sample 000001
pl --ledger L init
pl key gen --name press --role rights-holder --out press
pl --ledger L key register press.pub --key press.key
pl --ledger L work register work.txt --title "The Salt Road" --holder "Harbour Press" \
	--terms all-rights-reserved --key press.key
expect "the work is registered" 0
pl --ledger L --json check --format webdataset wds.tar
expect "check finds the excerpt (exit 1)" 1
check "the match is record 1 (sample shard/000001)" \
	[ "$(js '[m["record"] for m in d["matches"]]' "$OUT")" = "[1]" ]
check "its stream offset lies in the text member's data" python3 - "$OUT" <<'PY'
import json, sys, tarfile
m = json.load(open(sys.argv[1]))["matches"][0]
x = tarfile.open("wds.tar").getmember("shard/000001.txt")
assert x.offset_data <= m["stream_offset"] and m["stream_offset"] + m["stream_length"] <= x.offset_data + x.size, m
PY
finish
