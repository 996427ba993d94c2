#!/bin/bash
# remote.sh - clients of a served log (`--remote URL --trust KEY`): a whole
# scenario appended over HTTP (keys, grants, a work, a dataset with its check
# and attachments, a model, attestations), every read command giving the same
# answer remotely as on the directory, verify --remote, an evidence bundle
# exported from the remote log verifying offline; the state kept per log
# (~/.config/provledger/logs/<origin>), split views (a rolled-back log, a
# forked log of the same origin and key) refused with both checkpoints named;
# tampered answers (an entry bundle, a hash tile, an /add answer through a
# proxy) refused with nothing reported as appended; a static `tiles export`
# read through file://.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
unset PROVLEDGER_TIME PROVLEDGER_URL PROVLEDGER_TRUST
export XDG_CONFIG_HOME=$T/cfg XDG_STATE_HOME=$T/state
STATE=$T/cfg/provledger/logs/example.org%2Fremote

SPID=
# start DIR: serve DIR on a free port; sets URL and SPID.
start() {
	rm -f port
	"$PL" --ledger "$1" serve --listen 127.0.0.1:0 --port-file port --log srv.log >srv.out 2>&1 &
	SPID=$!
	for _ in $(seq 100); do
		[ -s port ] && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat port 2>/dev/null)
}
stop() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	SPID=
}
PPID_=
trap 'stop; [ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null; rm -rf "$T"' EXIT

pl --ledger L init --origin example.org/remote
expect "init (the operator, locally)" 0
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' L/config >op.pub
start L
check "serve is up" test -s port
R="--remote $URL --trust op.pub"
n_git() { git -C L/repo.git ls-tree -r main entries/ | wc -l; }

# ---- a scenario appended over HTTP ------------------------------------------------
for k in lab:lab holder:rights-holder authority:authority; do
	"$PL" key gen --name "${k%%:*}" --role "${k#*:}" --out "${k%%:*}" >/dev/null 2>&1
	pl $R key register "${k%%:*}.pub" --key "${k%%:*}.key"
	expect "remote: key register ${k%%:*}" 0 && expect_out "remote: key register ${k%%:*} names its seq" "as entry"
done
check "remote: the keys are in the server's git" test "$(n_git)" = 4
check "remote: the checkpoint seen is kept" test -s "$STATE"
check "remote: the state is the log's checkpoint" test "$(head -2 "$STATE" | tail -1)" = 4
pl --ledger L key grant authority --role authority --key L/keys/operator.key --remote "$URL" --trust op.pub
expect "remote: the operator grants authority (signed locally, posted)" 0
pl $R key grant lab --role lab --key authority.key
expect "remote: the authority grants lab" 0
"$PY" -c '
import random, json
r = random.Random(7)
words = ["w%d" % r.randrange(100000) for _ in range(400)]
open("book.txt", "w").write(" ".join(words) + "\n")
with open("web.jsonl", "w") as f:
    f.write(json.dumps({"text": "an unrelated page about the weather " * 10}) + "\n")
    f.write(json.dumps({"text": " ".join(words[50:300])}) + "\n")
'
pl $R --json work register book.txt --title Book --holder "Holder Press" --key holder.key
expect "remote: work register (fingerprint attachment put first)" 0
WR=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["work"])' "$OUT" 2>/dev/null)
pl $R dataset register --name web --version 1 web.jsonl --key lab.key
check "remote: dataset register (exit 1: it matches the work)" test "$RC" = 1
pl $R model register --name m --version 1 --dataset web@1 --training-flop 1e24 \
	--parameters 7e9 --key lab.key
expect "remote: model register" 0
pl $R attest training-licence --subject m@1 --max-training-flop 1e25 --conditions none \
	--key authority.key
expect "remote: attest" 0
SIZE=$(n_git)
check "remote: every entry is in the server's git ($SIZE)" test "$SIZE" = 11
pl --ledger L verify
expect "the served ledger verifies on its directory" 0
"$PL" --ledger L verify --policy >local.out 2>&1
LRC=$?
pl $R verify --policy
check "verify --remote --policy: the same exit as on the directory ($LRC)" test "$RC" = "$LRC"
expect_out "verify --remote says what it checked" "verified 11 entries of example.org/remote"
check "verify --remote --policy: the same findings" test "$(grep -c '^policy:' "$OUT")" = "$(grep -c '^policy:' local.out)"
pl $R --json verify
expect "verify --remote --json" 0
check "verify --remote --json: verified, size" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True and d["size"] == 11 and d["problems"] == [], d' "$OUT"

# ---- reads: the same answers remotely as on the directory ------------------------------
same() {
	local name=$1
	shift
	# a remote log's tiles carry no git commits: those fields are zeros
	"$PL" --ledger L "$@" 2>local.err | sed -E 's/("commit": "|commit: +)[0-9a-f]{40}/\1C/' >local.out
	local lrc=${PIPESTATUS[0]}
	"$PL" $R "$@" 2>remote.err | sed -E 's/("commit": "|commit: +)[0-9a-f]{40}/\1C/' >remote.out
	local rrc=${PIPESTATUS[0]}
	if [ "$lrc" = "$rrc" ] && cmp -s local.out remote.out; then
		ok "remote = local: $name"
	else
		bad "remote = local: $name" "exit $lrc vs $rrc" "$(diff local.out remote.out | head -5)" "$(head -c 300 remote.err)"
	fi
}
same "log" log
same "log --json" --json log
same "show 8" show 8
same "key list --json" --json key list
same "work list" work list
same "work show" --json work show "$WR"
same "query --work" --json query --work "$WR"
same "query --file" query --file book.txt
same "lineage" --json lineage m@1
same "lineage --format dot" lineage m@1 --format dot
same "checkpoint" checkpoint
same "prove 5" prove 5
same "prove --consistency 3" prove --consistency 3
same "check" --json check web.jsonl
same "dataset list" --json dataset list 2>/dev/null
pl $R tiles export tmirror
expect "a verified static mirror of the served log: --remote tiles export" 0
pl --remote "file://$T/tmirror" --trust op.pub --json log
expect "the static mirror reads as the log" 0
check "... with every entry" test "$(grep -c '"seq"' "$OUT")" = "$SIZE"
pl $R export m@1 --out m.bundle
expect "export from the remote log" 0
pl verify-bundle m.bundle --trust op.pub
expect "the bundle exported remotely verifies offline" 0
pl $R --dry-run model register --name m --version 2 --dataset web@1 --training-flop 1e24 \
	--parameters 7e9 --key lab.key
expect "remote --dry-run: validated" 0
check "remote --dry-run: nothing posted" test "$(n_git)" = "$SIZE"

# ---- the server's read endpoints: the CLI's JSON, computed by the server ----------------
# http PATH: the status code on stdout, the body in body.out
http() {
	"$PY" - "$URL" "$1" <<'PYEOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1] + sys.argv[2], timeout=30)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open("body.out", "wb").write(body)
print(code)
PYEOF
}
jsame() {
	"$PY" -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def diff(x, y, path):
    if type(x) != type(y) or not isinstance(x, (dict, list)):
        return None if x == y else "%s: served %r, cli %r" % (path, x, y)
    if isinstance(x, dict):
        for k in sorted(set(x) | set(y)):
            d = diff(x.get(k), y.get(k), path + "." + k)
            if d: return d
        return None
    if len(x) != len(y): return "%s: %d vs %d items" % (path, len(x), len(y))
    for i, (p, q) in enumerate(zip(x, y)):
        d = diff(p, q, "%s[%d]" % (path, i))
        if d: return d
d = diff(a, b, "")
if d:
    print(d)
    sys.exit(1)' "$1" "$2"
}
"$PL" --ledger L --json lineage m@1 >lineage.cli
check "GET /lineage/m@1 answers 200" test "$(http /lineage/m@1)" = 200
check "GET /lineage/m@1 is the document of lineage --json" jsame body.out lineage.cli
"$PL" --ledger L --json query --work "$WR" >query.cli
check "GET /query/<work> answers 200" test "$(http "/query/$WR")" = 200
check "GET /query/<work> is the document of query --work --json" jsame body.out query.cli
check "GET /export/m@1 answers 200" test "$(http /export/m@1)" = 200
mv body.out served.bundle
pl verify-bundle served.bundle --trust op.pub
expect "the bundle served by GET /export verifies offline" 0
check "GET /export/<work> answers 200" test "$(http "/export/$WR")" = 200
mv body.out served-work.bundle
pl verify-bundle served-work.bundle --trust op.pub
expect "the work bundle served by GET /export verifies offline" 0
check "GET /lineage of an unknown model: 404" test "$(http /lineage/nope@1)" = 404
check "the 404 is a JSON error naming it" grep -q '"code":"not-found".*nope@1' body.out
check "GET /lineage/ with no name: 404" test "$(http /lineage/)" = 404
check "GET /lineage/ of a name without @: 4xx" test "$(http /lineage/m)" -ge 400
check "GET /query of a malformed work id: 4xx" test "$(http /query/Wxyz)" -ge 400
check "GET /export of an unknown work: 404" test "$(http /export/W0000000000000000)" = 404
check "reads appended nothing" test "$(n_git)" = "$SIZE"

# ---- monitor: what concerns the watched works, run after run -------------------------------
pl $R --json monitor --work "$WR"
expect "monitor (first run, from 0)" 0
check "monitor sees the check, the dataset and the model" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
kinds = sorted((e["type"], e.get("name")) for e in d["events"])
assert ("dataset", "web@1") in kinds and ("model", "m@1") in kinds and any(k[0] == "check" for k in kinds), kinds
assert d["from"] == 0' "$OUT"
pl $R monitor --work "$WR"
expect "monitor again: nothing new" 0
expect_out "monitor: nothing new" "nothing new about the 1 work"
pl $R model register --name m --version 3 --dataset web@1 --training-flop 1e23 --parameters 1e9 --key lab.key
expect "a model appended after the monitor's last run" 0
echo "$WR" >works.txt
pl $R monitor --works-from works.txt
expect "monitor --works-from" 0
expect_out "the monitor sees the model appended since" "model    m@3"
check "... and only it" test "$(grep -c '^seq' "$OUT")" = 1
pl $R monitor --work "$WR" --since 0 --state "$T/other.state"
check "monitor --since 0 lists everything again" test "$(grep -c '^seq' "$OUT")" -ge 4
pl $R monitor
expect "monitor without works" 2 "which works?"
# a running monitor (--follow) sees an entry appended after it started
"$PL" $R --json monitor --work "$WR" --follow 0.2 --state "$T/follow.state" >follow.out 2>follow.err &
MPID=$!
for _ in $(seq 100); do [ -s "$T/follow.state" ] && break; sleep 0.05; done
check "the following monitor made its first round" test -s "$T/follow.state"
pl $R model register --name m --version 4 --dataset web@1 --training-flop 1e23 --parameters 1e9 --key lab.key
expect "an append while the monitor follows" 0
for _ in $(seq 100); do grep -q '"m@4"' follow.out && break; sleep 0.1; done
kill "$MPID" 2>/dev/null
wait "$MPID"
MRC=$?
check "the following monitor printed the new model as one JSON line" grep -q '"type":"model".*"name":"m@4"' follow.out
check "... once (each round reports only what is new)" test "$(grep -c '"m@4"' follow.out)" = 1
check "it stops on SIGTERM with exit 0" test "$MRC" = 0
SIZE=$(n_git)

# ---- refused appends: the server's rules, nothing appended -------------------------------
"$PL" key gen --name stranger --role lab --out stranger >/dev/null 2>&1
pl $R model register --name x --version 1 --dataset web@1 --training-flop 1e20 \
	--parameters 1e6 --key stranger.key
expect "remote: an unregistered signer is refused" 3 "is not a registered key"
pl $R model register --name m --version 1 --dataset web@1 --training-flop 1e24 \
	--parameters 7e9 --key lab.key
expect "remote: a duplicate name is refused" 3 "m@1"
check "remote: nothing appended by refused commands" test "$(n_git)" = "$SIZE"

# ---- usage and bad remotes ------------------------------------------------------------
pl --remote "$URL" log
expect "--remote without --trust" 2 "needs the operator's key"
pl --remote "ftp://x" --trust op.pub log
expect "--remote with a URL that is not http(s) or file" 2 "not an http://"
pl $R init
expect "--remote does not apply to init" 2 "does not apply"
pl $R serve
expect "--remote does not apply to serve" 2 "does not apply"
"$PL" key gen --name other --role lab --out other >/dev/null 2>&1
pl --remote "$URL" --trust other.pub log
expect "--trust with another key: the checkpoint does not verify" 3 "checkpoint"
pl --remote "http://127.0.0.1:1" --trust op.pub log
expect "--remote to nothing listening" 3 "127.0.0.1:1"
PROVLEDGER_URL=$URL PROVLEDGER_TRUST=op.pub run "$PL" log
expect "PROVLEDGER_URL and PROVLEDGER_TRUST" 0
expect_out "PROVLEDGER_URL reads the remote log" "key:lab"
PROVLEDGER_URL=$URL run "$PL" verify-bundle m.bundle --trust op.pub
expect "PROVLEDGER_URL: verify-bundle keeps its own --trust" 0
PROVLEDGER_URL=$URL run "$PL" --ledger E init --origin example.org/e
expect "PROVLEDGER_URL: init works on its directory" 0
pl $R verify-bundle m.bundle
expect "--remote does not apply to verify-bundle" 2 "does not apply"

# ---- the state of what was seen: rollbacks and forks ------------------------------------
cp "$STATE" state.saved
stop
cp -a L Lold
# a fork: the same origin and operator key, another history
pl --ledger F init --origin example.org/remote --operator-key L/keys/operator.key
for k in a b c d e f g h i j k l; do
	"$PL" key gen --name "f$k" --role lab --out "f$k" >/dev/null 2>&1
	"$PL" --ledger F key register "f$k.pub" --key "f$k.key" >/dev/null 2>&1
done
start F
R="--remote $URL --trust op.pub"
pl $R log
expect "a forked log (larger, same origin and key) is a split view" 3 "split view of example.org/remote"
check "the split view names both sizes" grep -q "size 13 .* size $SIZE" "$ERR"
check "the other checkpoint is kept as evidence" test -s "$STATE.split-13"
check "the state is unchanged by a split view" cmp -s "$STATE" state.saved
pl $R verify
expect "verify --remote: a split view is a finding" 1 "split view"
pl $R monitor --work "$WR"
expect "monitor reports a split view" 1
expect_out "monitor prints it" "SPLIT VIEW: split view of example.org/remote"
stop
# a rollback: the log answers an older checkpoint
git -C Lold/repo.git update-ref refs/heads/main "$(git -C Lold/repo.git rev-parse 'main~3')"
rm -f Lold/index.sqlite*
start Lold
R="--remote $URL --trust op.pub"
pl $R log
expect "a rolled-back log is a split view" 3 "older than the checkpoint size $SIZE"
stop
# the state file: tampered, or not the operator's
start L
R="--remote $URL --trust op.pub"
sed -i '2s/.*/7/' "$STATE"
pl $R log
expect "a tampered state file is refused" 3 "the checkpoint seen before"
cp state.saved "$STATE"
pl $R log
expect "the log reads again with the state restored" 0

# ---- tampered answers -------------------------------------------------------------------
pl --ledger L tiles export static
expect "tiles export for a static copy" 0
pl --remote "file://$T/static" --trust op.pub --json log
expect "file:// reads a static export" 0
echo "a second text of a work, not the first one, for a static copy to refuse" >w2.txt
pl --remote "file://$T/static" --trust op.pub work register w2.txt --title B2 --holder H --key holder.key
expect "file:// cannot take appends" 2 "static copy"
cp -a static bad1
"$PY" - "bad1/tile/entries/000.p/$SIZE" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b'"payload"') + 20
b[i] ^= 1
open(p, "wb").write(bytes(b))
EOF
pl --remote "file://$T/bad1" --trust op.pub log
expect "a tampered entry bundle is refused" 3 "entry"
cp -a static bad2
printf 'junk' >>"bad2/tile/entries/000.p/$SIZE"
pl --remote "file://$T/bad2" --trust op.pub log
expect "an entry bundle with trailing bytes is refused" 3 "bytes after its $SIZE entries"
# a hash tile that lies: the consistency proof from the state's size fails
pl --ledger L key register stranger.pub --key stranger.key
pl --ledger L tiles export static2
expect "tiles export after one more entry" 0
cp -a static2 bad3
"$PY" -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read()); b[5] ^= 1
open(p, "wb").write(bytes(b))' "bad3/tile/0/000.p/$((SIZE + 1))"
cp "$STATE" state.before
pl --remote "file://$T/bad3" --trust op.pub log
expect "a lying hash tile: no consistency with the state" 3 "split view"
check "the state did not move" cmp -s "$STATE" state.before
pl --remote "file://$T/static2" --trust op.pub log
expect "the honest tiles prove the newer checkpoint consistent" 0
check "the state moved to size $((SIZE + 1))" test "$(head -2 "$STATE" | tail -1)" = "$((SIZE + 1))"
stop

# an /add answer altered by a proxy between the client and the server
start L
cat >proxy.py <<'EOF'
import http.server, json, sys, urllib.request, urllib.error, base64
up, mode = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def go(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        req = urllib.request.Request(up + self.path, data=body, method=method)
        if body is not None: req.add_header("Content-Type", self.headers.get("Content-Type", ""))
        try:
            r = urllib.request.urlopen(req, timeout=30); code, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, data = e.code, e.read()
        if self.path == "/add" and code == 200:
            d = json.loads(data)
            if mode == "proof" and d["proof"]:
                h = bytearray(base64.b64decode(d["proof"][0])); h[0] ^= 1
                d["proof"][0] = base64.b64encode(bytes(h)).decode()
            elif mode == "leaf":
                d["leaf"] = "00" * 32
            elif mode == "checkpoint":
                d["checkpoint"] = d["checkpoint"].replace("\n\n", "\n\n", 1).replace(d["checkpoint"].split("\n")[2], "A" * 43 + "=", 1)
            data = json.dumps(d).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self): self.go("GET")
    def do_POST(self): self.go("POST")
    def do_PUT(self): self.go("PUT")
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open("pport", "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
n=0
for mode in proof leaf checkpoint; do
	n=$((n + 1))
	rm -f pport
	"$PY" proxy.py "$URL" "$mode" &
	PPID_=$!
	for _ in $(seq 100); do [ -s pport ] && break; sleep 0.05; done
	"$PL" key gen --name "p$n" --role lab --out "p$n" >/dev/null 2>&1
	before=$(n_git)
	pl --remote "http://127.0.0.1:$(cat pport)" --trust op.pub key register "p$n.pub" --key "p$n.key"
	expect "a tampered /add answer ($mode) is refused" 3
	check "a tampered /add answer ($mode) is not reported as appended" sh -c "! grep -q 'as entry' $OUT"
	kill "$PPID_" 2>/dev/null
	wait "$PPID_" 2>/dev/null
	PPID_=
done
stop

finish
