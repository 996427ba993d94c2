# bundle_limits.sh - verify-bundle on a bundle that is small on disk and huge
# inside: ~1.3 MB of gzip holding one 1 GB attachment (1.33 GB of base64).
# Refused by default (--max-attachment, 256 MiB); with the caps raised it is
# decoded and hashed streaming, in bounded memory (the peak RSS and the time
# are printed), its digest right; --max-attachments-total and bad values.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# decoded bytes of the attachment (all zero); PL_BUNDLE_BIG_BYTES overrides
BIG=${PL_BUNDLE_BIG_BYTES:-1000000000}
mkdir spool
export TMPDIR="$T/spool"

# The bundle, streamed: one deflate chunk of 16 MiB of 'A' compressed once and
# repeated after full flushes (a valid gzip stream, byte for byte what gzip -9
# of the document would decompress to), so it takes a second, not a minute.
# Prints the attachment's name: the SHA-256 of its bytes.
cat >genbig.py <<'EOF'
import hashlib, struct, sys, zlib
n = int(sys.argv[2])
full, rest = divmod(n, 3)
tail = {0: "", 1: "AA==", 2: "AAA="}[rest]
h = hashlib.sha256()
z = bytes(1 << 24)
for _ in range(n >> 24):
    h.update(z)
h.update(bytes(n & ((1 << 24) - 1)))
pre = ('{"attachments":{"%s":"' % h.hexdigest()).encode()
post = (tail + '"},"checkpoint":"x","entries":[],"format":"provledger-bundle/v1",'
        '"operator_key":"x","origin":"example.org/big",'
        '"subject":{"name":"model:m@1","seq":0,"type":"model"}}').encode()
run = b"A" * (1 << 24)
k, r = divmod(4 * full, len(run))
c = zlib.compressobj(9, zlib.DEFLATED, -15)
head = c.compress(pre) + c.flush(zlib.Z_FULL_FLUSH)
chunk = c.compress(run) + c.flush(zlib.Z_FULL_FLUSH)
end = c.compress(b"A" * r + post) + c.flush()
crc = zlib.crc32(pre)
for _ in range(k):
    crc = zlib.crc32(run, crc)
crc = zlib.crc32(b"A" * r + post, crc)
size = len(pre) + 4 * full + len(post)
with open(sys.argv[1], "wb") as f:
    f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head)
    for _ in range(k):
        f.write(chunk)
    f.write(end + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
print(h.hexdigest())
EOF
NAME=$(python3 genbig.py big.bundle "$BIG")
check "the bundle is built ($BIG bytes of attachment)" test -n "$NAME"
check "the bundle is small on disk ($(stat -c %s big.bundle) bytes)" \
	test "$(stat -c %s big.bundle)" -lt 4000000
check "the bundle is valid gzip" gzip -t big.bundle
"$PL" key gen --name op --role auditor --out op >/dev/null 2>&1
check "a trust key" test -s op.pub

# timed RUN...: like run, with /usr/bin/time -v; sets RSS (KiB) and SECS
timed() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v -o "$T/.time" "$@" >"$OUT" 2>"$ERR" </dev/null
		RC=$?
		RSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/.time")
		SECS=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/.time")
	else
		run "$@"
		RSS= SECS=
	fi
}

# ---- the default caps ---------------------------------------------------
timed "$PL" verify-bundle big.bundle --trust op.pub
expect "refused at the default --max-attachment (256 MiB)" 3 \
	"big.bundle: attachment $NAME decodes to more than 268435456 bytes (the --max-attachment cap); refused"
echo "    default caps: exit $RC, peak RSS ${RSS:-?} KiB, wall time ${SECS:-?} (m:ss)"

# ---- the caps raised: decoded and hashed streaming ----------------------
timed "$PL" verify-bundle big.bundle --trust op.pub --max-attachment 2G --max-size 3G
expect "with the caps raised: read to the end (the entry-less bundle fails to verify)" 1 \
	"attachment $NAME is named by no entry in the bundle"
echo "    caps raised: exit $RC, peak RSS ${RSS:-?} KiB, wall time ${SECS:-?} (m:ss)"
check "the streamed digest is right (no 'its bytes hash to')" \
	sh -c "! grep -q 'its bytes hash to' '$ERR'"
check "the other problems are the document's" grep -q "the subject (seq 0) is not in the bundle" "$ERR"
if [ -n "$RSS" ]; then
	# independent of the attachment's size (~17 MB even under ASan)
	check "peak RSS ${RSS} KiB < 100 MB" test "$RSS" -lt 102400
else
	skip "peak RSS" "/usr/bin/time missing"
fi
check "nothing is left in \$TMPDIR" test -z "$(ls -A spool)"
pl --json verify-bundle big.bundle --trust op.pub --max-attachment 2G --max-size 3G
expect "--json: exit 1" 1
check "--json counts the attachment" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["attachments"] == 1 and d["verified"] is False, d
' "$OUT"

# ---- the total cap and --max-size ---------------------------------------
pl verify-bundle big.bundle --trust op.pub --max-attachment 2G --max-size 3G \
	--max-attachments-total 512M
expect "--max-attachments-total" 3 \
	"the attachments decode to more than 536870912 bytes in all (the --max-attachments-total cap), passed at attachment $NAME; refused"
pl verify-bundle big.bundle --trust op.pub --max-attachment 2G
expect "--max-size still caps the whole stream" 3 "(the --max-size cap); refused"

# ---- bad values, and the spool directory --------------------------------
pl verify-bundle big.bundle --trust op.pub --max-attachment lots
expect "bad --max-attachment" 2 "--max-attachment takes bytes (or NK, NM, NG), not 'lots'"
pl verify-bundle big.bundle --trust op.pub --max-attachments-total 0
expect "bad --max-attachments-total" 2 "--max-attachments-total takes bytes"
TMPDIR="$T/nowhere" run "$PL" verify-bundle big.bundle --trust op.pub
expect "an unusable \$TMPDIR is named" 3 "cannot create a spool file for attachments in $T/nowhere"
run "$PL" help verify-bundle
expect_out "help names --max-attachment" "--max-attachment BYTES"
expect_out "help names --max-attachments-total" "--max-attachments-total BYTES"

finish
