#!/bin/bash
# input_limits.sh - issue 11's resource limits not covered by shard_limits.sh
# and bundle_limits.sh: 10^6-deep JSON nesting (JSONL shards, work import,
# bundles), lone surrogates and overlong UTF-8, a 2 GiB line (a file and a
# pipe), a bundle of 10^6 entries (--max-entries), symlinked key files, and a
# ledger directory that is a file or read-only: each refused with its message,
# in bounded time and memory, and nothing written.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export PROVLEDGER_TIME=1767225600

# rss CMD...: run like `run`, and set RSS to the peak resident KiB.
rss() {
	/usr/bin/time -f '%M' -o rss.txt "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	RSS=$(tail -1 rss.txt)
}
# under NAME KIB: the last peak RSS is below KIB (skipped under SAN=1, whose
# shadow memory is not ours).
under() {
	if [ "${SAN:-}" = 1 ]; then
		skip "$1" "measured without SAN=1; here ${RSS} KiB"
	else
		check "$1" [ "$RSS" -lt "$2" ]
	fi
}
# count DIR: the number of entries of the ledger in DIR.
count() { "$PL" --ledger "$1" --json log | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'; }
# snap DIR: every path, size and mtime under DIR.
snap() { find "$1" -printf '%p %s %T@\n' | sort; }

# ---- 10^6-deep nesting ------------------------------------------------------
"$PY" - <<'PYEOF'
d = 10**6
open("deep.jsonl", "w").write('{"text":"a","x":' + "[" * d + "]" * d + "}\n")
open("deepobj.jsonl", "w").write('{"text":"a","x":' + '{"a":' * d + "1" + "}" * d + "}\n")
open("wdeep.jsonl", "w").write('{"text":"a b c","title":"t","holder":"h","x":' + "[" * d + "]" * d + "}\n")
open("wsur.jsonl", "w").write('{"text":"a b c","title":"t\\ud800","holder":"h"}\n')
open("wover.jsonl", "wb").write(b'{"text":"a b c","title":"t\xc0\xaf","holder":"h"}\n')
PYEOF
if [ -x /usr/bin/time ]; then
	rss "$PL" hash deep.jsonl
	expect "JSONL: 10^6 nested arrays refused" 3 "deep.jsonl: line 1 (byte 527): invalid JSON: nesting too deep"
	under "JSONL: ... at depth 512, in ${RSS} KiB < 50 MB" 51200
else
	skip "JSONL: peak RSS of the deep record" "/usr/bin/time missing"
fi
pl hash deepobj.jsonl
expect "JSONL: 10^6 nested objects refused" 3 "deepobj.jsonl: line 1 (byte 2571): invalid JSON: nesting too deep"

# ---- UTF-8: overlong forms, encoded surrogates, lone \u surrogates ----------
printf 'ab \xc0\xaf cd\n' >over2.txt
printf 'ab \xe0\x80\xaf cd\n' >over3.txt
printf 'ab \xf0\x80\x80\xaf cd\n' >over4.txt
printf 'ab \xed\xa0\x80 cd\n' >surr.txt
printf 'ab \xf4\x90\x80\x80 cd\n' >big.txt
for f in over2 over3 over4 surr big; do
	pl hash $f.txt
	expect "txt: $f refused" 3 "$f.txt: line 1 (byte 3): invalid UTF-8"
done
printf '{"text":"ab \xc0\xaf"}\n' >over.jsonl
pl hash over.jsonl
expect "JSONL: an overlong '/' in text refused" 3 "over.jsonl: line 1 (byte 12): invalid UTF-8"
printf '{"text":"a\\udc00b"}\n' >lone.jsonl
pl hash lone.jsonl
expect "JSONL: a lone low surrogate refused" 3 "invalid JSON: lone surrogate \\udc00"
pl hash --lossy over2.txt
expect "txt: --lossy takes the overlong form as U+FFFD" 0
expect_out "txt: --lossy: 2 tokens" "tokens       2"

# ---- work import: the same inputs append nothing -------------------------------
"$PL" --ledger W init >/dev/null
"$PL" key gen --name rh --role rights-holder --out rh >/dev/null
"$PL" --ledger W key register rh.pub --key rh.key >/dev/null
"$PL" key gen --name auth --role authority --out auth >/dev/null
"$PL" --ledger W key register auth.pub --key auth.key >/dev/null 2>&1
"$PL" --ledger W key grant auth --role authority --key W/keys/operator.key >/dev/null
pl --ledger W key grant rh --role rights-holder --key auth.key
expect "setup: a rights holder" 0
n0=$(count W)
pl --ledger W work import wdeep.jsonl --key rh.key
expect "work import: 10^6-deep nesting refused" 3 "wdeep.jsonl: line 1: invalid JSON at line 1 column 2093: maximum parsing depth reached"
pl --ledger W work import wsur.jsonl --key rh.key
expect "work import: a lone surrogate refused" 3 "wsur.jsonl: line 1: invalid JSON at line 1 column 33: invalid Unicode '\\uD800'"
pl --ledger W work import wover.jsonl --key rh.key
expect "work import: overlong UTF-8 refused" 3 "wover.jsonl: line 1: invalid JSON at line 1 column 26: unable to decode byte 0xc0"
check "work import: nothing appended ($n0 entries)" [ "$(count W)" = "$n0" ]

# ---- a 2 GiB line -------------------------------------------------------------
truncate -s 2G line.txt
start=$(date +%s)
if [ -x /usr/bin/time ]; then
	rss "$PL" hash line.txt
	expect "a 2 GiB line refused at --max-record" 3 "line.txt: line 1 (byte 0): record longer than the --max-record limit of 67108864 bytes"
	under "... in ${RSS} KiB < 150 MB (the 64 MiB cap, not the line)" 153600
	head -c $((2 << 30)) /dev/zero | tr '\0' a | /usr/bin/time -f '%M' -o rss.txt "$PL" hash - >"$OUT" 2>"$ERR"
	RC=$?
	RSS=$(tail -1 rss.txt)
	expect "a 2 GiB line through a pipe refused" 3 "-: line 1 (byte 0): record longer than the --max-record limit of 67108864 bytes"
	under "... in ${RSS} KiB < 150 MB" 153600
fi
pl hash --max-record 1048576 line.txt
expect "--max-record 1 MiB: refused at 1 MiB" 3 "record longer than the --max-record limit of 1048576 bytes"
check "2 GiB lines are refused without reading them (under 60 s)" [ $(($(date +%s) - start)) -lt 60 ]
rm -f line.txt

# ---- a bundle of 10^6 entries -----------------------------------------------------
"$PL_TOOLS/bundle_fixture" BF >/dev/null
run env -u PROVLEDGER_TIME "$PL" --ledger BF export big@1 --out b.bundle
expect "setup: a bundle of 16 entries" 0
"$PY" - <<'PYEOF'
import gzip, json
d = json.load(gzip.open("b.bundle"))
d["entries"] = [{"seq": i} for i in range(10**6)]
with gzip.open("many.bundle", "wt") as f:
    json.dump(d, f)
d["entries"] = [[[]]] * 3
d["subject"] = "[" * 10**6 + "]" * 10**6
with gzip.open("deep.bundle", "wt") as f:
    f.write(json.dumps(d).replace('"' + d["subject"] + '"', d["subject"]))
PYEOF
if [ -x /usr/bin/time ]; then
	rss "$PL" verify-bundle many.bundle --trust BF/operator.pub
	expect "10^6 entries: refused at --max-entries" 3 "many.bundle: more than 100000 entries (the --max-entries cap); refused"
	under "... before parsing them (${RSS} KiB < 30 MB)" 30720
fi
pl verify-bundle many.bundle --trust BF/operator.pub --max-entries 1000000
expect "10^6 entries with --max-entries 10^6: read, then refused as no bundle" 3 "many.bundle: not a provledger bundle: entries[0] lacks seq or envelope"
pl verify-bundle b.bundle --trust BF/operator.pub --max-entries 16
expect "--max-entries 16: the bundle of 16 verifies" 0
pl verify-bundle b.bundle --trust BF/operator.pub --max-entries 15
expect "--max-entries 15: refused" 3 "b.bundle: more than 15 entries (the --max-entries cap); refused"
pl verify-bundle b.bundle --trust BF/operator.pub --max-entries 0
expect "--max-entries 0: usage" 2 "--max-entries takes a count from 1 to 100000000, not '0'"
pl verify-bundle b.bundle --trust BF/operator.pub --max-entries 1e6
expect "--max-entries 1e6: usage" 2 "not '1e6'"
pl verify-bundle deep.bundle --trust BF/operator.pub
expect "a member nested 10^6 deep: refused" 3 "nested deeper than"

# ---- symlinked key files ---------------------------------------------------------
ln -s rh.key rh.link
pl --ledger W work import wsur.jsonl --key rh.link
expect "--key through a symlink refused" 3 "rh.link: is a symbolic link; refusing to read a private key through it"
ln -s "$T/auth.key" auth.link
pl --ledger NEW init --operator-key auth.link
expect "init --operator-key through a symlink refused" 3 "auth.link: is a symbolic link; refusing to read a private key through it"
check "... and no ledger created" [ ! -e NEW ]
cp -a W WL
mv WL/keys/operator.key WL/keys/real.key
ln -s real.key WL/keys/operator.key
printf 'some words of a work that a holder registers here\n' >wk.txt
n0=$(count WL)
pl --ledger WL work register wk.txt --title T --holder H --key rh.key
expect "the ledger's operator key through a symlink refused" 3 "WL/keys/operator.key: is a symbolic link; refusing to read a private key through it"
check "... and nothing appended" [ "$(count WL)" = "$n0" ]

# ---- a ledger directory that is a file, or read-only --------------------------------
printf 'not a ledger\n' >afile
pl --ledger afile init
expect "init on a file" 3 "afile exists and is not a directory"
pl --ledger afile log
expect "log on a file" 3 "no ledger at afile (it is not a directory)"
pl --ledger afile work register wk.txt --title T --holder H --key rh.key
expect "work register on a file" 3 "no ledger at afile (it is not a directory)"
check "the file is unchanged" [ "$(cat afile)" = "not a ledger" ]
nobody_uid=$(id -u nobody 2>/dev/null) nobody_gid=$(id -g nobody 2>/dev/null)
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1 || [ -z "$nobody_uid" ]; then
	skip "read-only ledger" "needs root, setpriv and user nobody"
elif ! setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups "$PL" --version >/dev/null 2>&1; then
	skip "read-only ledger" "nobody cannot run $PL"
else
	asnobody() { run setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups "$@"; }
	chmod o+x "$T"
	cp -a W RO
	cp rh.key rhn.key && chown "$nobody_uid" rhn.key
	chmod a+r wk.txt
	chmod -R a+rX,a-w RO
	s0=$(snap RO)
	asnobody "$PL" --ledger RO work register wk.txt --title T --holder H --key rhn.key
	expect "read-only: work register" 3 "RO is read-only here: nothing can be appended"
	asnobody "$PL" --ledger RO reindex
	expect "read-only: reindex" 3 "RO is read-only here: it cannot be changed (RO/lock: Permission denied)"
	asnobody "$PL" --ledger RO verify
	expect "read-only: verify still works" 0
	check "read-only: nothing was written" [ "$(snap RO)" = "$s0" ]
	chmod -R u+w RO
	chmod o-x "$T"
fi
finish
