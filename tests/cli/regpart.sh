#!/bin/bash
# regpart.sh - a registry split over nodes: check --part I/N --registry-part
# P/Q (and registry files built with registry build --registry-part) write
# N x Q parts that merge into the report one check against the whole
# registry prints, byte for byte, for any N and Q and with the boilerplate
# rule (--max-df) counting the whole registry; every refusal with its
# message; dataset register --from-reports over registry parts appends what
# a register over the shards appends.
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
# seven works; a licence text shared by three of them and a preface by two,
# so that fingerprints have document frequencies of 1, 2 and 3
prose 300 90 >licence.txt
prose 250 91 >preface.txt
okw=1
for w in 0 1 2 3 4 5 6; do
	prose $((600 + 100 * w)) $((40 + w)) >w$w.txt
	case $w in
	0 | 1 | 2) cat licence.txt >>w$w.txt ;;
	esac
	case $w in
	3 | 4) cat preface.txt w$w.txt >w$w.tmp && mv w$w.tmp w$w.txt ;;
	esac
	"$PL" $L work register w$w.txt --title "Work $w" --holder H --key rh.key >/dev/null 2>"$ERR" || okw=0
done
check "setup: seven works" [ $okw -eq 1 ]

jl() { "$PY" -c 'import json,sys
for a in sys.argv[1:]:
    if a.endswith(".txt"):
        t = open(a).read()
    elif ":" in a:
        f, n = a.split(":")
        t = " ".join(open(f).read().split()[:int(n)])
    else:
        t = a
    print(json.dumps({"text": t}))' "$@"; }
prose 300 70 >r1.txt
prose 300 71 >r2.txt
jl w0.txt r1.txt "no work here" w3.txt:400 >s1.jsonl
jl licence.txt w5.txt:300 r2.txt w1.txt >s2.jsonl
jl w6.txt w4.txt:500 w2.txt:350 | gzip -n >s3.jsonl.gz
jl r1.txt preface.txt >s4.jsonl
jl w5.txt r2.txt w0.txt:200 >s5.jsonl
SHARDS="s4.jsonl s1.jsonl s5.jsonl s3.jsonl.gz s2.jsonl"

# the whole registry's reports: default --max-df, and 1 and 2 (the shared
# texts are boilerplate)
for d in 50 2 1; do
	pl $L --json check --max-df $d $SHARDS
	expect "single check --max-df $d: matches" 1
	cp "$OUT" single.$d.json
done
ign() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ignored_fingerprints"])' "$1"; }
nwork() { "$PY" -c 'import json,sys; print(len({m["work"] for m in json.load(open(sys.argv[1]))["matches"]}))' "$1"; }
check "--max-df 50: nothing ignored" [ "$(ign single.50.json)" -eq 0 ]
check "--max-df 2: the licence (in three works) ignored" [ "$(ign single.2.json)" -gt 0 ]
check "--max-df 1: more ignored (the preface too)" [ "$(ign single.1.json)" -gt "$(ign single.2.json)" ]
check "the reports match all seven works" [ "$(nwork single.50.json)" -eq 7 ]

# ---- N x Q parts with --registry-part, merged in a shuffled order
for d in 50 1; do
	for Q in 2 3; do
		for N in 1 2; do
			rm -f x.*
			okp=1 args=""
			for ((i = 0; i < N; i++)); do
				for ((p = 0; p < Q; p++)); do
					pl $L check --max-df $d --part $i/$N --registry-part $p/$Q \
						--out x.$i.$p.json $SHARDS
					[ "$RC" -eq 0 ] || okp=0
					args="x.$i.$p.json $args"
				done
			done
			check "max-df $d, N=$N Q=$Q: every part written, exit 0" [ $okp -eq 1 ]
			pl --json merge $args
			expect "max-df $d, N=$N Q=$Q: merge exits 1 (matches)" 1
			check "max-df $d, N=$N Q=$Q: merge is the whole registry's report, byte for byte" \
				cmp -s "$OUT" single.$d.json
		done
	done
done
check "a registry part's matches carry their order" grep -q '"order":\[' x.0.1.json
check "a registry part names itself" grep -q '"registry_part":{"count":3,"index":1,"works":7}\|"registry_part":{"index":1,"count":3,"works":7}' x.0.1.json
check "the merged report has no order" [ -z "$(grep -o '"order"' "$OUT")" ]
"$PL" $L check --part 0/1 --registry-part 1/2 $SHARDS >/dev/null 2>&1
check "default part name with a registry part" [ -e check-part-0-of-1-registry-1-of-2.json ] \
	&& [ -e check-part-0-of-1-registry-1-of-2.json.done ]

# ---- registry files of registry parts
for Q in 2 3; do
	okb=1
	for ((p = 0; p < Q; p++)); do
		pl $L registry build --registry-part $p/$Q --out reg.$p.$Q.tbl
		[ "$RC" -eq 0 ] || okb=0
	done
	check "Q=$Q: registry build --registry-part, every part" [ $okb -eq 1 ]
	rm -f y.*
	args=""
	for ((i = 0; i < 2; i++)); do
		for ((p = 0; p < Q; p++)); do
			"$PL" $L check --max-df 1 --part $i/2 --registry-file reg.$p.$Q.tbl \
				--out y.$i.$p.json $SHARDS >/dev/null 2>&1
			args="$args y.$i.$p.json"
		done
	done
	pl --json merge $args
	check "Q=$Q: parts checked with registry part files merge to the whole report" \
		cmp -s "$OUT" single.1.json
done
# part 2 of 3 holds neither work 3 nor 4: the preface's fingerprints it owns
# are ghost entries there (header offset 224), counted as boilerplate by it
check "registry part 2/3 has ghost entries (this test exercises them)" \
	"$PY" -c 'import struct,sys; sys.exit(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(), 224)[0] == 0)' reg.2.3.tbl
pl $L registry build --registry-part 1/3 --out reg.txt.tbl
expect_out "registry build --registry-part: what it wrote" \
	"wrote reg.txt.tbl: 2 works (registry part 1/3 of 7 works)"
pl $L --json registry build --registry-part 2/3 --out reg.j.tbl
check "registry build --registry-part --json: the part" \
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["registry_part"] != {"index": 2, "count": 3, "works": 7} or d["works"] != 2)' "$OUT"
pl $L registry build --out whole.tbl
check "a part's file is smaller than the whole's" \
	[ "$(stat -c %s reg.0.3.tbl)" -lt "$(stat -c %s whole.tbl)" ]

# ---- usage errors: exit 2
pl $L check --registry-part 0/2 $SHARDS
expect "--registry-part without --part" 2 \
	"--registry-part 0/2 checks against part of the registry: a part of the report, so give --part I/N too"
pl $L check --registry-file reg.0.2.tbl $SHARDS
expect "a registry part's file without --part" 2 \
	"reg.0.2.tbl is registry part 0/2: a check against it is a part of the report, so give --part I/N too"
pl $L check --part 0/1 --registry-part 0/2 --registry-file whole.tbl $SHARDS
expect "--registry-part with --registry-file" 2 \
	"--registry-part and --registry-file do not go together"
for bad in 2/2 1/0 x 3 0/5000 -1/2 /2; do
	pl $L check --part 0/1 --registry-part "$bad" $SHARDS
	expect "--registry-part $bad" 2 "--registry-part"
done
pl $L registry build --registry-part 5/3 --out no.tbl
expect "registry build --registry-part 5/3" 2 "P must be below Q"
check "a refused build writes no file" [ ! -e no.tbl ]
pl $L check --part 0/1 --registry-part 0/1 --out one.json $SHARDS
expect "--registry-part 0/1 is the whole registry" 0
pl --json merge one.json
check "--registry-part 0/1: the whole report" cmp -s "$OUT" single.50.json

# ---- merge refusals: exit 3, the exact message, nothing written
rm -f z.*
for i in 0 1; do
	for p in 0 1; do
		"$PL" $L check --part $i/2 --registry-part $p/2 --out z.$i.$p.json $SHARDS >/dev/null 2>&1
	done
done
"$PL" $L check --part 1/2 --out whole.1.json $SHARDS >/dev/null 2>&1
"$PL" $L check --part 1/2 --registry-part 0/3 --out q3.1.0.json $SHARDS >/dev/null 2>&1
"$PL" $L check --part 1/2 --registry-part 1/2 --max-df 3 --out df3.1.1.json $SHARDS >/dev/null 2>&1
refused() {
	local name=$1 msg=$2
	shift 2
	rm -f out.json
	pl merge --out out.json "$@"
	expect "merge refuses: $name" 3 "$msg"
	check "merge refuses: $name: nothing written" [ ! -e out.json ]
}
refused "a missing registry part" \
	"registry part 1/2 of part 1/2 is missing (1 of 2 registry parts of it given)" \
	z.0.0.json z.0.1.json z.1.0.json
refused "a registry part given twice" \
	"registry part 0/2 of part 0/2 is given twice: z.0.0.json and z.0.0.json" \
	z.0.0.json z.0.0.json z.0.1.json z.1.0.json z.1.1.json
refused "a whole part among registry parts" \
	"z.0.0.json is part 0/2 of registry part 0/2 but whole.1.json is part 1/2 (the whole registry)" \
	z.0.0.json z.0.1.json whole.1.json
refused "registry parts of different counts" \
	"z.0.0.json is part 0/2 of registry part 0/2 but q3.1.0.json is part 1/2 of registry part 0/3" \
	z.0.0.json z.0.1.json q3.1.0.json
refused "registry parts with other check options" \
	"z.1.0.json and df3.1.1.json come from different check options" \
	z.0.0.json z.0.1.json z.1.0.json df3.1.1.json
refused "a missing shard part" "part 1/2 is missing (1 of 2 parts given)" z.0.0.json z.0.1.json
# parts altered by hand, their digests made again: a match moved to another
# registry part's work, a match without its order, a registry part of the
# other shards
"$PY" - z.0.1.json z.1.1.json <<'EOF'
import hashlib, json, sys
def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
def write(name, a):
    a.pop("digest", None)
    a["digest"] = hashlib.sha256(canon(a)).hexdigest()
    d = json.dumps(a, separators=(",", ":")) + "\n"
    open(name, "w").write(d)
    open(name + ".done", "w").write(hashlib.sha256(d.encode()).hexdigest() + "\n")
def first_match(a):
    for s in a["shards"]:
        if s["matches"]:
            return s["matches"][0]
a = json.load(open(sys.argv[1]))
first_match(a)["order"][1] -= 1
write("moved.0.1.json", a)
a = json.load(open(sys.argv[1]))
del first_match(a)["order"]
write("noorder.0.1.json", a)
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
a["shards"] = b["shards"]
write("swapped.0.1.json", a)
a = json.load(open(sys.argv[1]))
a["registry_part"]["index"] = 2
write("badidx.0.1.json", a)
EOF
refused "a match of another registry part's work" \
	"moved.0.1.json: not a valid check part: a match names a work of another registry part" \
	z.0.0.json moved.0.1.json z.1.0.json z.1.1.json
refused "a registry part's match without its order" \
	"noorder.0.1.json: not a valid check part: a match of a registry part lacks its \"order\"" \
	z.0.0.json noorder.0.1.json z.1.0.json z.1.1.json
refused "registry parts of one shard part that checked other shards" \
	"z.0.0.json and swapped.0.1.json did not check the same shards" \
	z.0.0.json swapped.0.1.json z.1.0.json z.1.1.json
refused "a registry part index beyond its count" \
	"badidx.0.1.json: not a valid check part: \"registry_part\" is not an index below a count" \
	z.0.0.json badidx.0.1.json z.1.0.json z.1.1.json

# ---- dataset register --from-reports over registry parts
rm -rf LA LB
cp -a L LA
cp -a L LB
pl --ledger LA --json dataset register --name web --version 1 --key acme.key $SHARDS
expect "dataset register over the shards" 1
for i in 0 1 2; do
	for p in 0 1; do
		"$PL" --ledger LB check --part $i/3 --registry-part $p/2 --for-dataset \
			--out ds.$i.$p.json $SHARDS >/dev/null 2>&1
	done
done
check "registry part 1 writes no fingerprint sidecar" [ ! -e ds.0.1.json.fps ] && [ -e ds.0.0.json.fps ]
check "its part says so" grep -q '"fingerprints":null' ds.0.1.json
pl --ledger LB dataset register --name web --version 1 --key acme.key --from-reports \
	ds.2.1.json ds.0.0.json ds.1.1.json ds.2.0.json ds.1.0.json ds.0.1.json
expect "dataset register --from-reports over registry parts" 1
check "--from-reports over registry parts: the same ledger, commit for commit" \
	[ "$(git --git-dir LA/repo.git rev-parse main)" = "$(git --git-dir LB/repo.git rev-parse main)" ]

finish
