#!/bin/bash
# serve.sh - `provledger serve` on 127.0.0.1 (a free port), started and
# stopped here: an independent client (tests/interop/tlogclient.py: Python
# cryptography, RFC 6962 from the RFC) appending 16 x 200 key entries at once
# and verifying every answer; Go's sumdb/tlog reading the served tiles
# (tests/interop/tilescheck.go); bad requests (malformed HTTP, oversized,
# slowloris, invalid and tampered envelopes, replays, wrong methods and
# paths) each a 4xx with nothing appended; kill -9 of the server under load;
# tiles export; PUT and GET /blob.
HERE=$(cd "$(dirname "$0")" && pwd)
INTEROP=$(cd "$HERE/../interop" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
unset PROVLEDGER_TIME
CLIENTS=16 PER=200 KILLS=20
if [ -n "${SAN:-}" ] || [[ "$PL" == */san/* ]]; then CLIENTS=8 PER=50 KILLS=6; fi
if ! "$PY" -c 'import cryptography' 2>/dev/null; then
	skip "serve" "python3-cryptography missing"
	finish
	exit
fi

SPID=
# start: serve L on a free port; sets URL and SPID.
start() {
	rm -f port
	"$PL" --ledger L serve --listen 127.0.0.1:0 --port-file port --timeout "${TIMEOUT:-15}" \
		--log srv.log "$@" >srv.out 2>&1 &
	SPID=$!
	for _ in $(seq 100); do
		[ -s port ] && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat port 2>/dev/null)
}
# stop: SIGTERM, and SRC gets its exit status (0: a clean stop, no leak under SAN=1)
stop() {
	SRC=
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	SRC=$?
	SPID=
}
trap 'stop; rm -rf "$T"' EXIT
git_n() { git -C L/repo.git ls-tree -r main entries/ | wc -l; }
# http METHOD PATH [BODYFILE]: the status code on stdout, the body in body.out
http() {
	"$PY" - "$URL" "$@" <<'PYEOF'
import sys, urllib.request, urllib.error
url, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 else None
try:
    r = urllib.request.urlopen(urllib.request.Request(url + path, data=data, method=method), timeout=30)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open("body.out", "wb").write(body)
print(code)
PYEOF
}

pl --ledger L --quiet init --origin example.org/serve
expect "init" 0
start
check "serve: listening on a free port ($URL)" [ -s port ]
pl --ledger L --json checkpoint
vkey=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])' <"$OUT")

# ---- reads ------------------------------------------------------------------
check "GET /checkpoint is the ledger's" [ "$(http GET /checkpoint)" = 200 ] &&
	"$PL" --ledger L checkpoint | cmp -s - body.out
check "GET /tile/entries/000.p/1: the operator's key entry, length-prefixed" \
	[ "$(http GET /tile/entries/000.p/1)" = 200 ] && [ "$(head -c 2 body.out | od -An -tu1 | tr -s ' ')" != "" ]
check "... the envelope bytes of entry 0" "$PY" -c '
import subprocess, sys
b = open("body.out", "rb").read()
n = int.from_bytes(b[:2], "big")
e = subprocess.run(["git", "-C", "L/repo.git", "cat-file", "blob", "main:entries/000/000/000.json"], capture_output=True).stdout
sys.exit(0 if b[2:] == e and len(b) == n + 2 else 1)'
for p in /tile/0/000 /tile/0/000.p/2 /tile/entries/000 /tile/8/000 /tile/0/x000/001 /tile/0/0001 /tile/0/000.p/256 /tile/0/000.p/0 /nothing; do
	check "GET $p: 404" [ "$(http GET $p)" = 404 ] && grep -q '"error":{"code":"not-found"' body.out
done

# ---- 16 clients x 200 submissions -----------------------------------------------
n0=$(git_n)
start_t=$SECONDS
"$PY" "$INTEROP/tlogclient.py" "$URL" L/operator.pub $CLIENTS $PER ans.txt >client.out 2>&1
rc=$?
secs=$((SECONDS - start_t))
sed 's/^/    /' client.out | tail -5
check "$CLIENTS x $PER submissions: every answer verified (inclusion proof, signed checkpoint) ($secs s)" [ $rc -eq 0 ]
check "... exactly $((CLIENTS * PER)) entries appended" [ "$(git_n)" = $((n0 + CLIENTS * PER)) ]
check "... every seq answered once" [ "$(awk '{print $1}' ans.txt | sort -n | uniq | wc -l)" = $((CLIENTS * PER)) ]
check "... in batches: fewer commits than entries" [ "$(git -C L/repo.git rev-list --count main)" -lt "$(git_n)" ]
"$PY" - "$URL" <<'PYEOF' >leaves.txt
import hashlib, sys, urllib.request
url = sys.argv[1]
size = int(urllib.request.urlopen(url + "/checkpoint").read().decode().split("\n")[1])
seq = 0
for n in range((size + 255) // 256):
    w = min(256, size - n * 256)
    p = "/tile/entries/%03d" % n if n < 1000 else None
    b = urllib.request.urlopen(url + p + ("" if w == 256 else ".p/%d" % w)).read()
    off = 0
    while off < len(b):
        l = int.from_bytes(b[off:off + 2], "big")
        print(seq, hashlib.sha256(b"\x00" + b[off + 2:off + 2 + l]).hexdigest())
        seq += 1
        off += 2 + l
PYEOF
check "... each answered (seq, leaf) is that entry of the served log" \
	[ "$(awk '{print $1, $2}' ans.txt | sort | comm -23 - <(sort leaves.txt) | wc -l)" = 0 ]
pl --ledger L verify
expect "... verify passes" 0

# ---- Go's sumdb/tlog reads the tiles ------------------------------------------------
GO=$(command -v go)
if [ -n "$GO" ] && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
	export GOCACHE="$T/gocache" GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=
	if "$GO" build -o tilescheck "$INTEROP/tilescheck.go" 2>goerr; then
		run ./tilescheck "$URL" "$vkey" 60
		expect "go sumdb/tlog: TreeHash from the served tiles is the checkpoint's root; 60 entries' proofs check" 0
	else
		bad "go build tests/interop/tilescheck.go" "$(head -c 600 goerr)"
	fi
else
	skip "go sumdb/tlog tiles" "no go or golang-golang-x-mod-dev"
fi

# ---- bad requests: each a 4xx, nothing appended ------------------------------------
stop
TIMEOUT=2 start
n0=$(git_n)
head -c 1 /dev/null >empty
printf '{"payload":' >trunc.json
printf 'not json' >garbage
head -c 70000 /dev/zero | tr '\0' 'a' >big.json
"$PY" - "$INTEROP" <<'PYEOF'
import base64, json, subprocess, sys
sys.path.insert(0, sys.argv[1])
from tlogclient import envelope
fresh = envelope("fresh")
e = json.loads(fresh)
sig = bytearray(base64.b64decode(e["signatures"][0]["sig"]))
sig[0] ^= 1
e["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
open("tampered.json", "w").write(json.dumps(e, sort_keys=True, separators=(",", ":")))
open("taken.json", "wb").write(envelope("c0k0"))
e = json.loads(fresh)
e["signatures"][0]["keyid"] = "SHA256:" + "A" * 43
open("unknown.json", "w").write(json.dumps(e, sort_keys=True, separators=(",", ":")))
env = subprocess.run(["git", "-C", "L/repo.git", "cat-file", "blob", "main:entries/000/000/005.json"], capture_output=True).stdout
open("replay.json", "wb").write(env)
e = json.loads(env)
open("noncanon.json", "w").write(json.dumps(e, indent=1))
PYEOF
check "POST /add empty: 400" [ "$(http POST /add empty)" = 400 ]
check "POST /add truncated JSON: 422" [ "$(http POST /add trunc.json)" = 422 ] && grep -q '"code":"invalid"' body.out
check "POST /add garbage: 422" [ "$(http POST /add garbage)" = 422 ]
check "POST /add 70,000 bytes: 413" [ "$(http POST /add big.json)" = 413 ] && grep -q 'over the cap of 65535' body.out
check "POST /add a tampered signature: 422" [ "$(http POST /add tampered.json)" = 422 ] && grep -q 'does not verify' body.out
check "POST /add a key id that is not the signer's: 422" [ "$(http POST /add unknown.json)" = 422 ]
check "POST /add a new key under a name already taken: 409" [ "$(http POST /add taken.json)" = 409 ] && grep -q '"code":"conflict"' body.out
check "POST /add a non-canonical envelope: 422" [ "$(http POST /add noncanon.json)" = 422 ]
check "POST /add a replayed envelope: 200, its first seq (5), duplicate" [ "$(http POST /add replay.json)" = 200 ] &&
	"$PY" -c 'import json; d = json.load(open("body.out")); exit(0 if d["seq"] == 5 and d["duplicate"] else 1)'
"$PY" - "$URL" "$INTEROP" <<'PYEOF' >same.out
import json, sys, threading, urllib.request
sys.path.insert(0, sys.argv[2])
from tlogclient import envelope
env = envelope("same-envelope")
seqs = []
def post():
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/add", data=env, method="POST"))
    seqs.append(json.loads(r.read())["seq"])
ts = [threading.Thread(target=post) for _ in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print(len(seqs), len(set(seqs)))
PYEOF
check "one envelope POSTed 8 times at once: 8 answers, one seq" [ "$(cat same.out)" = "8 1" ]
check "... one entry appended" [ "$(git_n)" = $((n0 + 1)) ]
n0=$(git_n)
check "GET /add: 405" [ "$(http GET /add)" = 405 ]
check "DELETE /checkpoint: 405" [ "$(http DELETE /checkpoint)" = 405 ]
"$PY" - "$(cat port)" <<'PYEOF' >raw.out
import socket, sys, time
port = int(sys.argv[1])
def ask(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    try:
        r = s.recv(200)
    except socket.timeout:
        r = b"(timeout)"
    s.close()
    return r.split(b"\r\n")[0].decode(errors="replace")
print("garbage", ask(b"\x16\x03\x01\x00\xa5 not http at all\r\n\r\n"))
print("badline", ask(b"GET\r\n\r\n"))
print("lying-length", ask(b"POST /add HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"))
# slowloris: headers a byte at a time, never finished; the server drops it
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ")
t0 = time.time()
dropped = False
try:
    while time.time() - t0 < 8:
        s.sendall(b"a") if False else None
        r = s.recv(100)
        if r == b"":
            dropped = True
            break
except (socket.timeout, ConnectionError):
    dropped = True
print("slowloris", "dropped" if dropped else "held", int(time.time() - t0))
PYEOF
sed 's/^/    /' raw.out
check "malformed HTTP: 400" grep -q '^garbage HTTP/1.1 400' raw.out
check "a request line without a path: 400 or the connection closed" grep -qE '^badline ?(HTTP/1.1 400.*)?$' raw.out
check "a Content-Length past 2^64: 413" grep -q '^lying-length HTTP/1.1 413' raw.out
check "an unfinished request is dropped after --timeout (2 s)" grep -q '^slowloris dropped' raw.out
check "still serving after all that" [ "$(http GET /checkpoint)" = 200 ]
check "nothing appended by the bad requests" [ "$(git_n)" = "$n0" ]
stop

# ---- --rate ---------------------------------------------------------------------------
start --rate 5
"$PY" "$INTEROP/tlogclient.py" "$URL" L/operator.pub 1 12 rate.txt r >rate.out 2>&1
check "--rate 5: a burst of 12 from one address gets 429s" grep -q 'HTTP 429' rate.out
check "... with the JSON error" grep -q '"code":"limit"' rate.out
stop

# ---- PUT /blob -------------------------------------------------------------------------
start --max-blob 1000
printf 'some attachment bytes' >blob
h=$(sha256sum blob | cut -c1-64)
check "PUT /blob/<its sha256>: 201" [ "$(http PUT /blob/$h blob)" = 201 ]
check "PUT /blob/<another sha256>: 422, nothing stored" [ "$(http PUT /blob/$(printf x | sha256sum | cut -c1-64) blob)" = 422 ] &&
	[ ! -e "L/uploads/$(printf x | sha256sum | cut -c1-64)" ]
head -c 2000 /dev/zero >big.blob
check "PUT /blob over --max-blob: 413" [ "$(http PUT /blob/$(sha256sum big.blob | cut -c1-64) big.blob)" = 413 ]
check "PUT /blob/not-hex: 404" [ "$(http PUT /blob/xyz blob)" = 404 ]
check "GET /blob of an attachment the ledger lacks: 404" [ "$(http GET /blob/$h)" = 404 ]
stop
check "SIGTERM: the server stops cleanly (exit 0)" [ "$SRC" = 0 ] || head -c 600 srv.out
check "... and logs its totals" grep -q '^stopped: ' srv.log

# ---- HTTPS -------------------------------------------------------------------------------
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout tls.key \
	-out tls.crt -days 1 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null; then
	start --tls-cert tls.crt --tls-key tls.key
	"$PY" - "$(cat port)" >"$OUT" 2>"$ERR" <<'PYEOF'
import ssl, sys, urllib.request
port = sys.argv[1]
ctx = ssl.create_default_context(cafile="tls.crt")
print(urllib.request.urlopen("https://127.0.0.1:%s/checkpoint" % port, context=ctx, timeout=10).read().decode().split("\n")[0])
try:
    urllib.request.urlopen("https://127.0.0.1:%s/checkpoint" % port, context=ssl.create_default_context(), timeout=10)
    print("an untrusted certificate was accepted")
except urllib.error.URLError:
    print("untrusted refused")
PYEOF
	check "--tls-cert: GET /checkpoint over HTTPS" grep -qx 'example.org/serve' "$OUT"
	check "... a client that does not trust the certificate refuses it" grep -qx 'untrusted refused' "$OUT"
	stop
else
	skip "HTTPS" "openssl cannot make a test certificate"
fi
start --tls-cert missing.crt --tls-key tls.key
sleep 0.3
wait "$SPID" 2>/dev/null
SRC=$?
SPID=
check "--tls-cert of a missing file: exit 3, named" [ "$SRC" = 3 ] && grep -q 'missing.crt' srv.out

# ---- kill -9 under load ----------------------------------------------------------------
lost=0 rounds=0
for r in $(seq 1 $KILLS); do
	TIMEOUT=15 start
	"$PY" "$INTEROP/tlogclient.py" "$URL" L/operator.pub 8 100 kill$r.txt "k${r}x" >/dev/null 2>&1 &
	cpid=$!
	sleep "0.$(printf %03d $((RANDOM % 800 + 100)))"
	kill -9 "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
	wait "$cpid"
	[ -f kill$r.txt ] || : >kill$r.txt # killed before the client read /checkpoint
	rounds=$((rounds + 1))
	pl --ledger L verify
	if [ "$RC" != 0 ]; then
		lost=$((lost + 1))
		echo "    round $r: verify failed: $(head -c 300 "$ERR")"
	fi
	TIMEOUT=15 start
	"$PY" - "$URL" kill$r.txt <<'PYEOF' || lost=$((lost + 1))
import hashlib, subprocess, sys
url, ans = sys.argv[1], sys.argv[2]
for line in open(ans):
    seq, leaf, name = line.split()
    seq = int(seq)
    p = "main:entries/%03d/%03d/%03d.json" % (seq // 1000000, seq // 1000 % 1000, seq % 1000)
    e = subprocess.run(["git", "-C", "L/repo.git", "cat-file", "blob", p], capture_output=True).stdout
    if hashlib.sha256(b"\x00" + e).hexdigest() != leaf:
        print("    answered seq %d (%s) is not in the log after the kill" % (seq, name))
        sys.exit(1)
PYEOF
	stop
done
answered=$(cat kill*.txt | wc -l)
check "kill -9 x$rounds under load: $answered answered submissions all in the log, verify clean" [ "$lost" = 0 ] && [ "$answered" -gt 0 ]
check "... no entry twice (names unique)" [ "$("$PL" --ledger L --json log | "$PY" -c '
import collections, json, sys
c = collections.Counter(e["name"] for e in json.load(sys.stdin)["entries"])
print(sum(1 for v in c.values() if v > 1))')" = 0 ]

# ---- tiles export -----------------------------------------------------------------------
pl --ledger L tiles export static
expect "tiles export" 0
check "the export's checkpoint is the ledger's" "$PL" --ledger L checkpoint | cmp -s - static/checkpoint
start
check "the exported entry tile 000 is the served one" [ "$(http GET /tile/entries/000)" = 200 ] && cmp -s body.out static/tile/entries/000
check "the exported hash tile 0/000 is the served one" [ "$(http GET /tile/0/000)" = 200 ] && cmp -s body.out static/tile/0/000
stop
pl --ledger L --json tiles export static
check "tiles export again: full tiles kept, nothing rewritten" "$PY" -c '
import json, sys; d = json.load(open(sys.argv[1])); exit(0 if d["tiles_written"] == 0 else 1)' "$OUT"
pl --ledger L tiles export
expect "tiles export without DIR: usage" 2 "which directory?"
# ---- a remote client of the big log: full entry bundles cached, re-verified -----------------
start
grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' L/config >op.pub
pl --remote "$URL" --trust op.pub --json log --limit 1
expect "a remote read of the whole log" 0
NB=$(find "$XDG_CACHE_HOME/provledger/tiles" -type f | wc -l)
SZ=$("$PL" --ledger L checkpoint | sed -n 2p)
check "its full entry bundles are cached ($NB of a log of $SZ)" test "$NB" -ge 1 -a "$NB" = "$((SZ / 256))"
pl --remote "$URL" --trust op.pub verify
expect "a second read, from the cache, verifies" 0
F=$(find "$XDG_CACHE_HOME/provledger/tiles" -type f | sort | head -1)
"$PY" -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read()); b[40] ^= 1
open(p, "wb").write(bytes(b))' "$F"
pl --remote "$URL" --trust op.pub verify
expect "a corrupted cached bundle: read afresh, still verified" 0
pl --remote "$URL" --trust op.pub verify
expect "... and the cache repaired" 0
stop
finish
