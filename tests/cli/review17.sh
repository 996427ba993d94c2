#!/bin/bash
# review17.sh - regression tests of the adversarial review's 17 defects, one
# section per defect (labelled "dN:"), with the real binary: each attack is
# replayed and the refusal asserted (the message, the exit code, and that
# nothing was appended or written). The library-level cases (entries forced
# in by a malicious operator, pre-signed envelopes) are in
# tests/unit/review17.c; defects already covered elsewhere are named below
# and their tests checked to still be there. Then the issue's "Done when".
HERE=$(cd "$(dirname "$0")" && pwd)
DOCS=$HERE/../../docs
. "$HERE/lib.sh"

export PROVLEDGER_TIME=1790000000
export GIT_AUTHOR_NAME=mallory GIT_AUTHOR_EMAIL=m@example.org
export GIT_COMMITTER_NAME=mallory GIT_COMMITTER_EMAIL=m@example.org
g() { git -C "$1/repo.git" "${@:2}"; }
short() { echo "${1:0:7}"; }
fresh() { rm -rf "$2" && cp -a "$1" "$2"; }
# nentries DIR: the entries git holds (commit messages name each seq), no index
nentries() { g "$1" log --format=%B main | grep -c '^seq: '; }
# sql DB STATEMENT: the sqlite3 CLI, or python3's sqlite3 module (also with R17_NO_SQLITE3=1)
sql() {
	if [ -z "${R17_NO_SQLITE3:-}" ] && command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 "$1" "$2"
	else
		python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
if sys.argv[2].lstrip().upper().startswith("SELECT"):
    for r in c.execute(sys.argv[2]):
        print("|".join(map(str, r)))
else:
    c.executescript(sys.argv[2])
c.commit()' "$1" "$2"
	fi
}
# types DIR: "type=count ..." of the entries, from log --json
types() {
	"$PL" --ledger "$1" --json log | python3 -c 'import collections, json, sys
c = collections.Counter(e["type"] for e in json.load(sys.stdin)["entries"])
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
# ntype DIR TYPE
ntype() { types "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | grep . || echo 0; }
# refused NAME DIR CODE MSG ARGS...: exit CODE, MSG on stderr, git unchanged
refused() {
	local name=$1 dir=$2 code=$3 msg=$4 before head
	shift 4
	before=$(nentries "$dir")
	head=$(g "$dir" rev-parse main)
	pl --ledger "$dir" "$@"
	expect "$name" "$code" "$msg" &&
		check "$name: nothing appended" [ "$(nentries "$dir")" = "$before" ] &&
		check "$name: the head did not move" [ "$(g "$dir" rev-parse main)" = "$head" ]
}
# covered NAME FILE STRING: a defect covered by another script, still there
covered() {
	if grep -qF -- "$3" "$HERE/$2"; then ok "$1 (covered by tests/cli/$2)"; else bad "$1" "tests/cli/$2 lacks: $3"; fi
}

# ---- the base ledger B ------------------------------------------------------
#  0 key operator   3 key holder (rights-holder)   6 work Book      9 model atlas@1
#  1 key lab        4 grant authority to auth       7 check web@1
#  2 key auth       5 grant lab to lab              8 dataset web@1 (one commit with 7)
pl --ledger B --quiet init --origin example.org/review17
expect "setup: init" 0
for k in lab:lab auth:authority holder:rights-holder; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null 2>&1
	"$PL" --ledger B --quiet key register "${k%%:*}.pub" --key "${k%%:*}.key" >/dev/null 2>&1
done
pl --ledger B key grant auth --role authority --key B/keys/operator.key
expect "setup: the operator grants authority" 0
pl --ledger B key grant lab --role lab --key auth.key
expect "setup: the authority grants lab" 0
python3 - <<'EOF'
import json, random
r = random.Random(17)
def words(n):
    return ["w%d" % r.randrange(100000) for _ in range(n)]
book = words(400)
open("book.txt", "w").write(" ".join(book) + "\n")
open("other.txt", "w").write(" ".join(words(300)) + "\n")
open("third.txt", "w").write(" ".join(words(300)) + "\n")
with open("web.jsonl", "w") as f:
    f.write(json.dumps({"text": "an unrelated page about the weather " * 10}) + "\n")
    f.write(json.dumps({"text": " ".join(book[50:300])}) + "\n")
with open("clean.jsonl", "w") as f:
    for i in range(20):
        f.write(json.dumps({"text": " ".join(words(60))}) + "\n")
EOF
pl --ledger B --json work register book.txt --title Book --holder "Holder Press" --key holder.key
expect "setup: work register" 0
W=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["work"])' "$OUT" 2>/dev/null)
pl --ledger B --quiet dataset register --name web --version 1 web.jsonl --key lab.key
check "setup: dataset web@1 matched the book (exit 1)" [ "$RC" -eq 1 ]
pl --ledger B model register --name atlas --version 1 --dataset web@1 --training-flop 3.8e25 \
	--parameters 1.2e12 --key lab.key
expect "setup: model atlas@1" 0
expect_out "setup: atlas@1 is entry 9" "as entry 9"
check "setup: 10 entries" [ "$(nentries B)" = 10 ]
LAB=$("$PL" key gen --from lab.key --name lab --role lab --out lab.same 2>/dev/null | sed -n 's/^keyid *//p')
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' B/config >op.pub

# ---- d1: an unsigned commit is not countersigned by the next append ---------
# Someone with write access to repo.git but no operator key adds a commit
# holding an entry signed by a registered key (the holder's work, appended on a
# copy, so that even the checkpoint in its tree is validly signed); the commit
# itself is made by git commit-tree, unsigned (U) or SSH-signed by another
# key (S). Reads refuse (exit 1 or 3 accepted); appends must exit 3. See also
# test_review17__d1_unsigned_commit_not_countersigned.
fresh B U2
pl --ledger U2 --quiet work register other.txt --title Other --holder "Holder Press" --key holder.key
expect "d1: setup: the entry, on a copy" 0
ssh-keygen -q -t ed25519 -N '' -C mallory -f mallory
forge() { # forge DIR [sign]: DIR's main += a commit of U2's head tree, by git commit-tree
	local dir=$1 h msg n
	cp -rn U2/repo.git/objects/. "$dir/repo.git/objects/"
	h=$(g U2 rev-parse main)
	msg=$(g U2 log -1 --format=%B "$h")
	if [ -n "${2:-}" ]; then
		n=$(printf '%s\n' "$msg" | git -C "$dir/repo.git" -c gpg.format=ssh \
			-c user.signingkey="$T/mallory" commit-tree -S "$h^{tree}" -p main)
	else
		n=$(printf '%s\n' "$msg" | git -C "$dir/repo.git" commit-tree "$h^{tree}" -p main)
	fi
	g "$dir" update-ref refs/heads/main "$n"
	echo "$n"
}
# refuses NAME MSG: the last command failed (1 or 3) with MSG on stderr
refuses() {
	if [ "$RC" -ne 1 ] && [ "$RC" -ne 3 ]; then
		bad "$1" "exit $RC, expected 1 or 3"
	elif ! grep -qF -- "$2" "$ERR"; then
		bad "$1" "stderr lacks: $2"
	else
		ok "$1 (exit $RC)"
	fi
}
fresh B U
cu=$(forge U)
fresh B S
cs=$(forge S sign)
check "d1: setup: U's commit is unsigned" sh -c "! git -C U/repo.git cat-file commit $cu | grep -q '^gpgsig '"
check "d1: setup: S's commit carries another key's SSH signature" sh -c "git -C S/repo.git cat-file commit $cs | grep -q '^gpgsig '"
for d in U S; do
	if [ $d = U ]; then
		c=$(short "$cu") why="commit $(short "$cu") is not signed by the operator"
	else
		c=$(short "$cs") why="commit $(short "$cs"): its signature does not verify under the operator key"
	fi
	for cmd in log "show 1" "lineage atlas@1" "key list" "checkpoint" "prove 1"; do
		pl --ledger "$d" $cmd
		refuses "d1 ($d): '$cmd' refuses, naming commit $c" "$why"
	done
	pl --ledger "$d" export atlas@1 --out "$d.bundle"
	refuses "d1 ($d): export refuses" "$why"
	check "d1 ($d): export wrote nothing" [ ! -e "$d.bundle" ]
	refused "d1 ($d): work register refused (exit 3)" "$d" 3 "$why" \
		work register third.txt --title Third --holder "Holder Press" --key holder.key
	refused "d1 ($d): model register refused (exit 3)" "$d" 3 "$why" \
		model register --name m1 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key lab.key
	refused "d1 ($d): dataset register refused (exit 3)" "$d" 3 "$why" \
		dataset register --name clean --version 1 clean.jsonl --key lab.key
	refused "d1 ($d): key grant refused (exit 3)" "$d" 3 "$why" \
		key grant holder --role rights-holder --key auth.key
	refused "d1 ($d): attest refused (exit 3)" "$d" 3 "$why" \
		attest training-licence --subject atlas@1 --max-training-flop 5e25 --conditions c --key auth.key
	pl --ledger "$d" verify
	expect "d1 ($d): verify fails" 1
done
expect_out "d1 (S): verify names the commit" "seq 10 (commit $(short "$cs")): "
pl --ledger U verify
expect_out "d1 (U): verify: commit is not signed" "seq 10 (commit $(short "$cu")): commit is not signed"
check "d1 (U): git still ends at the forged commit (not countersigned)" [ "$(g U rev-parse main)" = "$cu" ]
rm -f U/index.sqlite*
pl --ledger U log
refuses "d1 (U): a rebuilt index refuses too" "commit $(short "$cu") is not signed by the operator"

# ---- d2: the index (index.sqlite) is not trusted ---------------------------------
fresh B I
for n in r1 r2; do "$PL" key gen --name "$n" --role lab --out "$n" >/dev/null 2>&1; done
"$PL" --ledger I --quiet key register r1.pub --key r1.key >/dev/null 2>&1
"$PL" --ledger I --quiet key grant r1 --role lab --key auth.key >/dev/null 2>&1
pl --ledger I --quiet key register r2.pub --key r1.key --revokes r1
expect "d2: setup: r1 rotated to r2 (r1 revoked)" 0
R1=$("$PL" key gen --from r1.key --name r1 --role lab --out r1.same 2>/dev/null | sed -n 's/^keyid *//p')
cp -a I I.clean
sql I/index.sqlite "UPDATE keys SET revoked_seq=-1"
refused "d2: keys.revoked_seq=-1: the revoked key still cannot append" I 3 "was revoked at seq" \
	model register --name m2 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key r1.key
fresh I.clean I
sql I/index.sqlite "UPDATE keys SET role='authority' WHERE name='lab'"
refused "d2: keys.role=authority: the lab still cannot license" I 3 "needs an authority key" \
	attest training-licence --subject atlas@1 --max-training-flop 5e25 --conditions c --key lab.key
pl --ledger I export atlas@1 --out i.bundle
expect "d2: export after the edit" 0
pl --json verify-bundle i.bundle --trust op.pub
expect "d2: the bundle verifies" 0
check "d2: the bundle shows the lab as lab, never authority" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
lab = [e for e in d["entries"] if e["signer"]["name"] == "lab" and e["seq"] != 1]
assert lab and all(e["role"] == "lab" for e in lab), lab
assert all(e["role"] != "authority" or e["signer"]["name"] == "auth" for e in d["entries"])
' "$OUT"
pl verify-bundle i.bundle --trust op.pub
check "d2: text: the lab's key declares lab" sh -c "grep -A1 -F 'key lab (seq 1)' '$OUT' | grep -q 'declares      lab'"
fresh I.clean I
sql I/index.sqlite "UPDATE entries SET role='authority' WHERE keyid='$LAB'"
refused "d2: entries.role=authority: the lab still cannot license" I 3 "needs an authority key" \
	attest training-licence --subject atlas@1 --max-training-flop 5e25 --conditions c --key lab.key
# a statement edited in the index: atlas@1 made small and not frontier. What
# is printed must be git's statement (or the command must refuse): lineage
# and verify --policy must not lose the unlicensed-frontier-model finding.
fresh I.clean I
sql I/index.sqlite "UPDATE entries SET statement=replace(replace(replace(statement, '3.8e25', '1e20'), '1.2e12', '1e9'), '\"frontier\":true', '\"frontier\":false') WHERE seq=9"
stmt=$(sql I/index.sqlite "SELECT statement FROM entries WHERE seq=9")
check "d2: setup: the model's statement was edited" [ "${stmt/\"training_flop\":\"1e20\"/}" != "$stmt" ]
notdeceived() { # notdeceived NAME: the finding is reported, or the command refuses, naming the index
	if [ "$RC" -eq 3 ] && grep -q "reindex" "$ERR"; then
		ok "$1 (refused: $(head -c 100 "$ERR"))"
	elif grep -q "unlicensed-frontier-model" "$OUT" && grep -q "3.8e25" "$OUT"; then
		ok "$1"
	else
		bad "$1" "exit $RC; the edited statement was believed" "stdout: $(head -c 400 "$OUT")"
	fi
}
pl --ledger I lineage atlas@1
notdeceived "d2: statement edited: lineage still shows git's atlas@1 and its finding"
pl --ledger I verify --policy
notdeceived "d2: statement edited: verify --policy still reports unlicensed-frontier-model"
pl --ledger I show 9
expect_out "d2: statement edited: show prints git's statement" '"training_flop": "3.8e25"'
# the signed subject index: the revocation of r1 removed from its refs text
fresh I.clean I
before=$(sql I/index.sqlite "SELECT refs FROM subjects WHERE subject='key:$R1'")
sql I/index.sqlite "UPDATE subjects SET refs=replace(refs, ' key.revokes', ' key') WHERE subject='key:$R1'; UPDATE keys SET revoked_seq=-1"
check "d2: setup: the subjects row was edited" [ "$(sql I/index.sqlite "SELECT refs FROM subjects WHERE subject='key:$R1'")" != "$before" ]
SUBJ_MSG="the index does not match the signed subject index in git (index.sqlite was edited or is corrupt); run 'provledger reindex'"
refused "d2: subjects edited: the revoked key's append refused" I 3 "$SUBJ_MSG" \
	model register --name m2 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key r1.key
pl --ledger I key list
expect "d2: subjects edited: key list refuses to show the edited state" 3 "$SUBJ_MSG"
# an append that reads no edited row may go on (rows are checked as they are
# read), but the signed subject index it adds to git must stay right
pl --ledger I --quiet work register third.txt --title Third --holder "Holder Press" --key holder.key
if [ "$RC" -eq 3 ] && grep -qF "$SUBJ_MSG" "$ERR"; then
	ok "d2: subjects edited: an append not reading the edited row: refused"
elif [ "$RC" -eq 0 ]; then
	pl --ledger I verify
	expect "d2: subjects edited: an append not reading the edited row: git's subject index stays right" 0
else
	bad "d2: subjects edited: an append not reading the edited row" "exit $RC"
fi
refused "d2: subjects edited: the revoked key's append still refused" I 3 "$SUBJ_MSG" \
	model register --name m2 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key r1.key
# the model's referrer dropped from a dataset's refs: the closure would miss it
fresh I.clean I
sql I/index.sqlite "UPDATE subjects SET refs='seq:8' || char(10) WHERE subject='seq:8'"
pl --ledger I export atlas@1 --out i3.bundle
expect "d2: a referrer dropped from subjects: export refused" 3 "$SUBJ_MSG"
check "d2: a referrer dropped from subjects: export wrote nothing" [ ! -e i3.bundle ]
pl --ledger I reindex
expect "d2: reindex repairs the index" 0
refused "d2: after reindex the revoked key is still refused" I 3 "was revoked at seq" \
	model register --name m2 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key r1.key
pl --ledger I export atlas@1 --out i3.bundle
expect "d2: after reindex export works" 0

# ---- d3: verify and verify-bundle re-check meaning ---------------------------
# Forced entries need the library: test_review17__d3a_licence_by_lab_claiming_authority,
# __d3a_verify_bundle_refuses_forged_licence, __d3b_reference_name_mismatch,
# __d3c_reference_to_wrong_type in tests/unit/review17.c. Here the malicious
# operator is build/tools/forge_entry (the fixture ledger of bundle_fixture.h
# plus one forced licence on big@1, and the bundle of big@1 written then); the
# same for "Done when" (i), a self-made authority's licence forced in.
FORGE=${PL_TOOLS:?set PL_TOOLS to the test tools directory}/forge_entry
for v in "licence-by-lab|attest training-licence needs an authority key; lab (" \
	"self-authority|declares authority but no operator has granted it"; do
	mode=${v%%|*} why=${v#*|}
	run "$FORGE" "F-$mode" "$mode" "F-$mode.bundle"
	expect "d3 ($mode): setup: the operator forces the licence in" 0
	fseq=$(cut -d' ' -f1 "$OUT") fc=$(cut -c1-7 <<<"$(cut -d' ' -f2 "$OUT")")
	grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' "F-$mode/config" >"F-$mode.pub"
	pl --ledger "F-$mode" verify
	expect "d3 ($mode): verify fails" 1
	expect_out "d3 ($mode): verify names seq and commit" "seq $fseq (commit $fc): "
	expect_out "d3 ($mode): verify says why" "$why"
	if [ -e "F-$mode.bundle" ]; then
		pl verify-bundle "F-$mode.bundle" --trust "F-$mode.pub"
		expect "d3 ($mode): verify-bundle fails" 1 "seq $fseq (attestation "
		check "d3 ($mode): verify-bundle says why" grep -qF -- "$why" "$ERR"
		run python3 "$DOCS/verify_bundle.py" "F-$mode.bundle" "F-$mode.pub"
		expect "d3 ($mode): docs/verify_bundle.py refuses the bundle too" 1
		expect_out "d3 ($mode): ... naming the licence" "seq $fseq: its signer"
		expect_out "d3 ($mode): docs/verify_bundle.py says why" "holds no authority role in force"
	else
		ok "d3 ($mode): export refused the forged lineage ($(head -c 200 "$ERR"))"
	fi
	rm -f "F-$mode"/index.sqlite*
	pl --ledger "F-$mode" log
	refuses "d3 ($mode): the index rebuilt from git refuses the commit" "commit $fc"
	check "d3 ($mode): ... saying why" grep -qF -- "$why" "$ERR"
done

# ---- d4: roles are granted, not claimed ---------------------------------------
fresh B A
"$PL" key gen --name fake --role authority --out fake >/dev/null 2>&1
pl --ledger A key register fake.pub --key fake.key
expect "d4: a key declaring authority registers" 0 "not in force until a key of role operator grants it"
refused "d4: ... but cannot license (exit 3)" A 3 \
	"attest training-licence needs an authority key whose role is in force; fake (" \
	attest training-licence --subject atlas@1 --max-training-flop 5e25 --conditions c --key fake.key
check "d4: the refusal says why" grep -qF "declares authority but no operator has granted it" "$ERR"
"$PL" key gen --name selflab --role lab --out selflab >/dev/null 2>&1
"$PL" --ledger A --quiet key register selflab.pub --key selflab.key >/dev/null 2>&1
refused "d4: the self-made authority cannot grant lab" A 3 \
	"granting lab needs an authority key whose role is in force; fake (" \
	key grant selflab --role lab --key fake.key
refused "d4: a self-declared lab cannot register a model" A 3 \
	"declares lab but no authority has granted it" \
	model register --name m4 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key selflab.key
pl --ledger A --json verify --policy
expect "d4: verify --policy exits 1 (a finding)" 1
check "d4: verify --policy still reports atlas@1 unlicensed" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True, d["problems"]
assert ("unlicensed-frontier-model", "atlas@1") in [(f["code"], f["subject"]) for f in d["findings"]]
' "$OUT"
"$PL" key gen --name fake --role lab --out fake2 >/dev/null 2>&1
refused "d4: a second key named 'fake'" A 3 "key name 'fake': a key named this is already registered" \
	key register fake2.pub --key fake2.key
refused "d4: a key named like the lab" A 3 "a key named this is already registered" \
	key register fake2.pub --key fake2.key --name lab

# ---- d5: registration races -------------------------------------------------
fresh B P
race() { # race NAME ARGS...: 4 parallel appends; exactly one succeeds
	local name=$1 i n0=0 n3=0 other=0
	shift
	for i in 1 2 3 4; do
		("$PL" --ledger P --quiet "$@" >"race$i.out" 2>"race$i.err" </dev/null; echo $? >"race$i.rc") &
	done
	wait
	for i in 1 2 3 4; do
		case $(cat "race$i.rc") in
		0) n0=$((n0 + 1)) ;;
		3) n3=$((n3 + 1)); grep -q "already registered" "race$i.err" || other=$((other + 1)) ;;
		*) other=$((other + 1)) ;;
		esac
	done
	check "d5: $name: exactly one of 4 succeeds, 3 exit 3 'already registered' ($n0/$n3/$other)" \
		[ "$n0" = 1 ] && [ "$n3" = 3 ] && [ "$other" = 0 ]
}
race "model dup@1" model register --name dup --version 1 --dataset web@1 --training-flop 1e20 \
	--parameters 1e9 --key lab.key
race "dataset d@1" dataset register --name d --version 1 clean.jsonl --key lab.key
for i in 1 2 3 4; do "$PL" key gen --name twin --role lab --out "twin$i" >/dev/null 2>&1; done
for i in 1 2 3 4; do
	("$PL" --ledger P --quiet key register "twin$i.pub" --key "twin$i.key" >"race$i.out" \
		2>"race$i.err" </dev/null; echo $? >"race$i.rc") &
done
wait
check "d5: key name 'twin': exactly one of 4 keys registers, 3 exit 3" \
	[ "$(cat race?.rc | sort | tr -d '\n')" = 0333 ] && [ "$(grep -l "a key named this is already registered" race?.err | wc -l)" = 3 ]
pl --ledger P verify
expect "d5: verify passes after the races" 0
pl --ledger P --json log
check "d5: one model dup@1, one dataset and one check of d@1" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
n = lambda t, name: sum(1 for x in e if x["type"] == t and x["name"] == name)
assert n("model", "dup@1") == 1, e
assert n("check", "check:d@1") == 1, e
assert sum(1 for x in e if x["type"] == "dataset") == 2, e
assert n("key", "key:twin") == 1, e
' "$OUT"

# ---- d6: the tar heap overflow (base-256 size 2^64-1, --max-record 2^64-1) -----
covered "d6: tar size 2^64-1 and --max-record 2^64-1" shard_limits.sh \
	"pl hash --max-record 18446744073709551615 huge.tar"

# ---- d7: control characters in printed values ---------------------------------
fresh B C
FORGED='attestation training-licence (seq 99) [verified]'
NL=$'x.jsonl\n'"$FORGED"
cp clean.jsonl "$NL"
pl --ledger C --quiet dataset register --name evil --version 1 "$NL" --key lab.key
check "d7: setup: a shard named with a newline and a fake line" [ "$RC" -le 1 ]
pl --ledger C --quiet model register --name em --version 1 --dataset evil@1 --training-flop 1e20 \
	--parameters 1e9 --key lab.key
noforge() { # noforge NAME: no output line starts with the forged text; \n shown escaped
	if cat "$OUT" "$ERR" | awk -v s="$FORGED" 'index($0, s) == 1 { f = 1 } END { exit !f }'; then
		bad "$1: no line starts with the forged text" "$(grep -nF "$FORGED" "$OUT" "$ERR" | head -3)"
	else
		ok "$1: no line starts with the forged text"
	fi
	[ "${2:-}" = names-only ] && return
	if grep -qF 'x.jsonl\n' "$OUT" || grep -qF 'x.jsonl\x0a' "$OUT" || grep -qF 'x.jsonl\u000a' "$OUT"; then
		ok "$1: the newline is shown escaped"
	else
		bad "$1: the newline is shown escaped" "stdout: $(grep -F -A1 'x.jsonl' "$OUT" | head -c 300)"
	fi
}
pl --ledger C lineage em@1
expect "d7: lineage" 0
noforge "d7: lineage"
pl --ledger C log
noforge "d7: log" names-only # log names the dataset evil@1, never its shard
check "d7: log: the dataset by NAME@VERSION" grep -qE ' dataset +evil@1$' "$OUT"
pl --ledger C show 11
noforge "d7: show (the dataset)"
pl --ledger C export em@1 --out em.bundle
expect "d7: export" 0
pl verify-bundle em.bundle --trust op.pub
expect "d7: verify-bundle" 0
noforge "d7: verify-bundle"

# ---- d8: a corrupt nodes table never gives a wrong proof -------------------------
fresh B N
pl --ledger N prove 3
cp "$OUT" good.proof
sql N/index.sqlite "UPDATE nodes SET hash=zeroblob(32) WHERE level=1 AND idx=0"
pl --ledger N prove 3
expect "d8: prove refuses (exit 3)" 3 "reindex"
check "d8: prove: the message says the index is corrupt" grep -q "corrupt" "$ERR"
check "d8: prove printed no proof" sh -c "! grep -q 'tlog-proof' '$OUT'"
pl --ledger N prove --consistency 3
expect "d8: prove --consistency refuses (exit 3)" 3 "reindex"
pl --ledger N export atlas@1 --out n.bundle
expect "d8: export refuses (exit 3)" 3 "reindex"
check "d8: export wrote nothing" [ ! -e n.bundle ]
pl --ledger N reindex
expect "d8: reindex" 0
pl --ledger N prove 3
check "d8: after reindex the proof is right again" cmp -s "$OUT" good.proof
# a node on the tree's right edge (leaves 8 and 9): the next append would sign
# a checkpoint whose root is not the entries' (for ever failing verify)
sql N/index.sqlite "UPDATE nodes SET hash=zeroblob(32) WHERE level=1 AND idx=4"
"$PL" key gen --name n8 --role lab --out n8 >/dev/null 2>&1
refused "d8: an append over a corrupt right edge: refused" N 3 "reindex" \
	key register n8.pub --key n8.key
pl --ledger N verify
expect "d8: ... and no checkpoint with a wrong root was signed" 0
pl --ledger N checkpoint
check "d8: checkpoint still refers to 10 entries" sh -c "sed -n 2p '$OUT' | grep -qx 10"

# ---- d9: verify-bundle's memory with a huge attachment ------------------------
covered "d9: a 1 GB attachment in a 1.3 MB bundle" bundle_limits.sh "--max-attachment"

# ---- d10: verify needs no index --------------------------------------------------
fresh B V
rm -f V/index.sqlite*
pl --ledger V verify
expect "d10: verify with index.sqlite deleted" 0
expect_out "d10: ... verifies every entry" "verified 10 entries"
check "d10: ... and creates no index" [ ! -e V/index.sqlite ]
fresh B V
rm -f V/index.sqlite*
echo "this is not a database" >V/index.sqlite
pl --ledger V verify
expect "d10: verify with a garbage index.sqlite" 0
expect_out "d10: ... verifies every entry" "verified 10 entries"
nobody_uid=$(id -u nobody 2>/dev/null) nobody_gid=$(id -g nobody 2>/dev/null)
if ! command -v setpriv >/dev/null 2>&1 || [ -z "$nobody_uid" ]; then
	skip "d10: read-only copies" "setpriv (util-linux) or user nobody missing"
elif ! setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups "$PL" --version >/dev/null 2>&1; then
	skip "d10: read-only copies" "nobody cannot run $PL"
else
	asnobody() { run setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups "$@"; }
	chmod o+x "$T"
	mkdir ro
	cp -a B ro/L
	cp -a B ro/N
	rm -rf ro/L/keys ro/N/keys ro/N/index.sqlite*
	chmod -R a+rX,a-w ro
	l0=$(find ro -printf '%p %s %T@\n' | sort)
	asnobody touch ro/L/probe
	check "d10: setup: nobody cannot write the copy" [ "$RC" -ne 0 ]
	for d in L N; do
		what=$([ $d = L ] && echo "with its index" || echo "without an index")
		asnobody "$PL" --ledger ro/$d verify
		expect "d10: verify as nobody on a read-only copy $what" 0
		expect_out "d10: ... verifies every entry ($d)" "verified 10 entries"
		asnobody "$PL" --ledger ro/$d lineage atlas@1
		expect "d10: lineage as nobody on a read-only copy $what" 0
		expect_out "d10: ... prints the model ($d)" "model atlas@1 (seq 9)"
	done
	check "d10: nothing was written into the copies" [ "$(find ro -printf '%p %s %T@\n' | sort)" = "$l0" ]
	chmod -R u+w ro
	chmod o-x "$T"
fi

# ---- d11: rollback ----------------------------------------------------------------
# (ledger_adversarial.sh #7 covers log, the kept checkpoint, verify --since
# and reindex's refusal; here: every command, appends, the evidence kept.)
fresh B RB
g RB update-ref refs/heads/main main~1
ROLL="the log was rolled back"
for cmd in "show 1" "lineage atlas@1" "key list" checkpoint "prove 1" "query --work $W"; do
	pl --ledger RB $cmd
	expect "d11: '$cmd' refuses" 3 "$ROLL"
done
pl --ledger RB export atlas@1 --out rb.bundle
expect "d11: export refuses" 3 "$ROLL"
check "d11: export wrote nothing" [ ! -e rb.bundle ]
refused "d11: work register refused" RB 3 "$ROLL" \
	work register third.txt --title Third --holder "Holder Press" --key holder.key
refused "d11: model register refused" RB 3 "$ROLL" \
	model register --name m11 --version 1 --dataset web@1 --training-flop 1e20 --parameters 1e9 --key lab.key
check "d11: RB/rollback-10.checkpoint kept" [ -s RB/rollback-10.checkpoint ]
check "d11: the message names it" grep -qF "RB/rollback-10.checkpoint" "$ERR"
pl --ledger B verify --since RB/rollback-10.checkpoint
expect "d11: the kept checkpoint is the operator's, of the original log" 0 ""
expect_out "d11: ... a prefix of the original" "is a prefix of this ledger"
pl --ledger RB verify --since RB/rollback-10.checkpoint
expect "d11: verify --since the kept checkpoint fails" 1
expect_out "d11: ... history was truncated" "history was truncated"
pl --ledger RB reindex
expect "d11: reindex refuses" 3 "--accept-rollback"
pl --ledger RB reindex --accept-rollback
expect "d11: reindex --accept-rollback" 0
check "d11: the kept checkpoint survives --accept-rollback" [ -s RB/rollback-10.checkpoint ]
# Beyond the review: rolled back, then longer again with other operator-signed
# commits (a fork): the index's signed checkpoint of size 10 is not a prefix of
# git's 11 entries; reindex must not throw that evidence away silently.
fresh B FK
fresh B FK2
g FK2 update-ref refs/heads/main main~1
"$PL" --ledger FK2 --quiet reindex --accept-rollback >/dev/null 2>&1
for v in 1 2; do
	"$PL" --ledger FK2 --quiet model register --name fork --version $v --dataset web@1 \
		--training-flop 1e20 --parameters 1e9 --key lab.key >/dev/null 2>&1
done
cp -rn FK2/repo.git/objects/. FK/repo.git/objects/
g FK update-ref refs/heads/main "$(g FK2 rev-parse main)"
pl --ledger FK log
expect "d11 (fork): the index refuses the rewritten history" 3 "the index does not match the git history"
pl --ledger FK reindex
expect "d11 (fork): reindex refuses without --accept-rollback" 3 "--accept-rollback"
check "d11 (fork): the index's checkpoint of size 10 is kept" sh -c 'ls FK/*10.checkpoint >/dev/null 2>&1'

# ---- d12: --trust and the C2SP key name ------------------------------------------
pl --ledger B export atlas@1 --out atlas.bundle
expect "d12: setup: export" 0
python3 - <<'EOF'
import base64, hashlib
pub = base64.b64decode(open("op.pub").read().split()[1])[-32:]
def vkey(name, kid=None):
    kid = kid or hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    return "%s+%s+%s" % (name, kid.hex(), base64.b64encode(b"\x01" + pub).decode())
open("other.vkey", "w").write(vkey("other.example") + "\n")
open("right.vkey", "w").write(vkey("example.org/review17") + "\n")
open("badid.vkey", "w").write(vkey("example.org/review17", b"\0\0\0\0") + "\n")
open("two.vkey", "w").write(vkey("other.example") + "\n" + vkey("example.org/review17") + "\n")
EOF
pl verify-bundle atlas.bundle --trust right.vkey
expect "d12: the right verifier key" 0
pl verify-bundle atlas.bundle --trust other.vkey
expect "d12: the right key bytes under another name: refused" 1 \
	"the trusted key is the key of log 'other.example', not of this bundle's log 'example.org/review17'"
pl verify-bundle atlas.bundle --trust "$(cat other.vkey)"
expect "d12: ... given inline too" 1 "the trusted key is the key of log 'other.example'"
pl verify-bundle atlas.bundle --trust badid.vkey
check "d12: a verifier key whose key ID is wrong: refused (exit $RC)" [ "$RC" -ne 0 ]
pl verify-bundle atlas.bundle --trust two.vkey
expect "d12: a --trust file of two keys: refused" 3 "holds 2 keys"
pl verify-bundle atlas.bundle --trust two.vkey --trust-key example.org/review17
expect "d12: ... unless --trust-key names one" 0
pl verify-bundle atlas.bundle --trust two.vkey --trust-key other.example
expect "d12: ... and the one it names must be the bundle's log" 1 "the trusted key is the key of log 'other.example'"
pl verify-bundle atlas.bundle --trust two.vkey --trust-key nope
expect "d12: ... a name it does not hold" 3 "holds no key named 'nope'"

# ---- d13: exit codes ------------------------------------------------------------
fresh B E
"$PL" key gen --name holder2 --role rights-holder --out holder2 >/dev/null 2>&1
pl --ledger E --quiet key register holder2.pub --key holder.key --revokes holder
expect "d13: setup: the holder's key rotated (revoked)" 0
refused "d13: work register with a revoked key: exit 3" E 3 "was revoked at seq 10" \
	work register third.txt --title Third --holder "Holder Press" --key holder.key
echo "junk" >junk.txt
pl --ledger E verify --since junk.txt
expect "d13: verify --since junk.txt: exit 3" 3 "junk.txt"
pl --ledger E verify --since absent.txt
expect "d13: verify --since a missing file: exit 3" 3 "absent.txt"
pl --ledger E prove 11
expect "d13: prove SEQ beyond the checkpoint: exit 3" 3 "entry 11 is not in a tree of size 11"
pl --ledger E prove 1 --size 12
expect "d13: prove --size beyond the ledger: exit 3" 3 "size 12 is beyond the ledger's 11 entries"
pl --ledger E prove 5 --size 5
expect "d13: prove SEQ not below --size: exit 3" 3 "entry 5 is not in a tree of size 5"
pl --ledger E prove --consistency 3 --size 12
expect "d13: prove --consistency --size beyond: exit 3" 3 "beyond the ledger"
pl --ledger E prove --consistency 12
expect "d13: prove --consistency OLD beyond: exit 3" 3 "old size 12 is larger than size 11"

# ---- d14: dataset register is one commit -----------------------------------------
fresh B D
pl --ledger D --quiet dataset register --name one --version 1 clean.jsonl --key lab.key
expect "d14: dataset register" 0
msg=$(g D log -1 --format=%B main)
check "d14: one commit names both seqs (check 10, dataset 11)" \
	[ "$(echo "$msg" | grep -c '^seq: ')" = 2 ] && echo "$msg" | grep -qx "seq: 10" && echo "$msg" | grep -qx "seq: 11"
check "d14: that commit adds both entries" \
	[ "$(g D diff-tree --no-commit-id --name-only -r main | grep -c '^entries/')" = 2 ]
c0=$(ntype D check) d0=$(ntype D dataset)
start=$(date +%s)
killed=0
for i in $(seq 1 20); do
	[ $(($(date +%s) - start)) -ge 30 ] && break
	"$PL" --ledger D --quiet dataset register --name k$i --version 1 clean.jsonl --key lab.key \
		>/dev/null 2>&1 </dev/null &
	p=$!
	sleep "0.$(printf %03d $((RANDOM % 80)))"
	kill -9 $p 2>/dev/null && killed=$((killed + 1))
	wait $p 2>/dev/null
done
c1=$(ntype D check) d1=$(ntype D dataset)
check "d14: kill -9 x$i ($killed killed): checks $c0->$c1, datasets $d0->$d1: never one without the other" \
	[ $((c1 - c0)) = $((d1 - d0)) ]
pl --ledger D verify
expect "d14: verify passes after the kills" 0
pl --ledger D --json log
check "d14: every check entry is followed by its dataset" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
seqs = {x["seq"]: x["type"] for x in e}
for x in e:
    if x["type"] == "check":
        assert seqs.get(x["seq"] + 1) == "dataset", x
' "$OUT"

# ---- d15: --key naming a FIFO returns at once ----------------------------------
covered "d15: --key FIFO (keys_openssh.sh)" keys_openssh.sh 'run timeout 10 "$PL" --ledger L key register k.pub --key fifo'
mkfifo key.fifo
run timeout 10 "$PL" --ledger B model register --name f --version 1 --dataset web@1 \
	--training-flop 1e20 --parameters 1e9 --key key.fifo
expect "d15: model register --key FIFO: exit 3 at once" 3 "key.fifo: not a regular file"
run timeout 10 "$PL" --ledger B key grant lab --role lab --key key.fifo
expect "d15: key grant --key FIFO: exit 3 at once" 3 "key.fifo: not a regular file"

# ---- d16: parser gaps ----------------------------------------------------------
covered "d16: a non-regular tar member with a huge size" shard_limits.sh "hugedir.tar"
covered "d16: JSONL after a UTF-8 BOM" shard_limits.sh "BOM: detected as jsonl, not txt"

# ---- d17: init never writes into what it does not own -----------------------------
listing() { (cd "$1" && find . -printf '%p %s %m\n' | sort | sha256sum); }
mkdir NE
echo "keep me" >NE/only.txt
l0=$(listing NE)
pl --ledger NE init
expect "d17: init into a directory holding one file: refused" 3 "is not empty"
check "d17: ... the directory is unchanged" [ "$(listing NE)" = "$l0" ]
check "d17: ... no temporary sibling left" sh -c '! ls -d NE.init-* 2>/dev/null | grep -q .'
mkdir FR
git init -q --bare FR/repo.git
l0=$(listing FR)
pl --ledger FR init
expect "d17: init over a foreign repo.git: refused" 3 "is not empty"
check "d17: ... the directory is unchanged" [ "$(listing FR)" = "$l0" ]
check "d17: ... no temporary sibling left" sh -c '! ls -d FR.init-* 2>/dev/null | grep -q .'
pl --ledger NK init --operator-key absent.key
expect "d17: init with a missing --operator-key: refused" 3 "absent.key"
check "d17: ... nothing at NK" [ ! -e NK ]
check "d17: ... no temporary sibling left" sh -c '! ls -d NK.init-* 2>/dev/null | grep -q .'
echo "a file" >AFILE
pl --ledger AFILE init
check "d17: init over a regular file: refused (exit $RC)" [ "$RC" -eq 3 ] && [ "$(cat AFILE)" = "a file" ]
pl --ledger B init
expect "d17: init over a ledger: refused" 3 "a ledger already exists"
mkdir EMPTY
pl --ledger EMPTY --quiet init
expect "d17: init into an empty directory works" 0
# interrupted: DIR is either absent or a whole ledger
partial=0
for i in $(seq 1 8); do
	rm -rf KI
	"$PL" --ledger KI --quiet init >/dev/null 2>&1 </dev/null &
	p=$!
	sleep "0.$(printf %03d $((RANDOM % 40)))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	if [ -e KI ] && ! "$PL" --ledger KI verify >/dev/null 2>&1; then partial=$((partial + 1)); fi
done
check "d17: init killed at random moments: KI absent or a whole ledger ($partial partial)" [ "$partial" = 0 ]
rm -rf KI KI.init-*

# ---- "Done when" -------------------------------------------------------------------
# (i) a self-made authority cannot license: d4 above (the append refused);
# forced into the log, verify reports it: test_review17__done_i_self_made_authority_forced.
# (ii) a work bundle missing a claim or a revocation that existed at its checkpoint
fresh B WB
pl --ledger WB attest claim --subject atlas@1 --work "$W" --check 7 --match 0 \
	--statement "chapter 2 copied" --key holder.key
expect "done (ii): setup: a claim" 0
CLAIM=$(sed -n 's/.* as entry //p' "$OUT")
pl --ledger WB export --work "$W" --out wc.bundle
expect "done (ii): export --work with the claim" 0
pl --ledger WB attest revocation --revokes "$CLAIM" --key holder.key
expect "done (ii): setup: its revocation" 0
REV=$(sed -n 's/.* as entry //p' "$OUT")
pl --ledger WB export --work "$W" --out wr.bundle
expect "done (ii): export --work with the revocation" 0
drop() { # drop SRC SEQ DST
	python3 - "$@" <<'EOF'
import gzip, json, sys
src, seq, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = json.loads(gzip.open(src).read())
b["entries"] = [e for e in b["entries"] if e["seq"] != seq]
gzip.open(dst, "wb").write(json.dumps(b, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
EOF
}
for b in wc wr; do
	pl verify-bundle $b.bundle --trust op.pub
	expect "done (ii): $b.bundle verifies" 0
	run python3 "$DOCS/verify_bundle.py" $b.bundle op.pub
	expect "done (ii): docs/verify_bundle.py accepts $b.bundle" 0
done
drop wc.bundle "$CLAIM" noclaim.bundle
pl verify-bundle noclaim.bundle --trust op.pub
expect "done (ii): a work bundle without its claim fails" 1 "referrer (seq $CLAIM) is missing"
run python3 "$DOCS/verify_bundle.py" noclaim.bundle op.pub
expect "done (ii): docs/verify_bundle.py detects the missing claim" 1
expect_out "done (ii): ... and names it" "entry $CLAIM"
drop wr.bundle "$REV" norev.bundle
pl verify-bundle norev.bundle --trust op.pub
expect "done (ii): a work bundle without the revocation fails" 1 "referrer (seq $REV) is missing"
run python3 "$DOCS/verify_bundle.py" norev.bundle op.pub
expect "done (ii): docs/verify_bundle.py detects the missing revocation" 1
expect_out "done (ii): ... and names it" "entry $REV"
# (iii) time never goes back: a pinned clock only on a ledger made with one
env -u PROVLEDGER_TIME "$PL" --ledger NT --quiet init >/dev/null 2>&1
refused "done (iii): PROVLEDGER_TIME on a ledger not created with it" NT 2 \
	"was not created with a test clock; a pinned time (PROVLEDGER_TIME) is refused" \
	key register lab.pub --key lab.key
fresh B TC
"$PL" key gen --name late --role lab --out late >/dev/null 2>&1
"$PL" key gen --name early --role lab --out early >/dev/null 2>&1
PROVLEDGER_TIME=1790000600 pl --ledger TC --quiet --json key register late.pub --key late.key
expect "done (iii): the pinned clock moved forward" 0
PROVLEDGER_TIME=1700000000 pl --ledger TC --quiet --json key register early.pub --key early.key
expect "done (iii): the pinned clock set back: still appends" 0
pl --ledger TC --json log --limit 2
check "done (iii): ... but created never goes back (both 14:23:20Z)" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
assert [x["created"] for x in e] == ["2026-09-21T14:23:20Z"] * 2, e
' "$OUT"
pl --ledger TC verify
expect "done (iii): verify passes" 0
# a pre-signed envelope with an earlier created: test_review17__done_iii_presigned_earlier_created

finish
