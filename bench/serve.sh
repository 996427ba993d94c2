#!/bin/bash
# serve.sh - `provledger serve` figures for make bench: submissions/s over HTTP
# from 16 concurrent clients (keep-alive, libcurl) with p50/p99 latency, beside
# the local-append rate of the same kind of envelopes (one commit each, durable
# writes like the server's) measured in the same run.
#   BENCH_SERVE_N     envelopes per side (default 3200)
#   BENCH_SERVE_CLIENTS  concurrent clients (default 16)
set -eu
PL=${PROVLEDGER:?set PROVLEDGER to the provledger binary}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${BENCH_SERVE_N:-3200}
C=${BENCH_SERVE_CLIENTS:-16}
D=$(mktemp -d "${TMPDIR:-/tmp}/plserve.XXXXXX")
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$D"' EXIT
lib=$(dirname "$PL")/libprovledger.a
inc=$(for d in "$top/hashing" "$top/ledger" "$top"/ledger/*/ "$top/net"; do printf -- '-I%s ' "${d%/}"; done)
# shellcheck disable=SC2086
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 $inc $(pkg-config --cflags libgit2 jansson libcurl) \
	-o "$D/serve_load" "$here/serve_load.c" "$lib" \
	$(pkg-config --libs libgit2 openssl sqlite3 zlib libzstd libxxhash libutf8proc jansson \
		libmicrohttpd libcurl) -lm -pthread
echo
echo "serve (in $D)"
"$PL" --ledger "$D/s" --quiet init >/dev/null
"$PL" --ledger "$D/l" --quiet init >/dev/null
"$D/serve_load" envelopes "$D/http.txt" "$N"
sleep 1 # another second: the two files' names differ
"$D/serve_load" envelopes "$D/local.txt" "$N"
"$PL" --ledger "$D/s" serve --listen 127.0.0.1:0 --port-file "$D/port" >/dev/null 2>&1 &
spid=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
read -r ok _ bad _ rate _ _ p50 _ _ p99 _ < <("$D/serve_load" http "http://127.0.0.1:$(cat "$D/port")" "$D/http.txt" "$C")
kill "$spid" && wait "$spid" 2>/dev/null || true
spid=
read -r lrate _ < <("$D/serve_load" local "$D/l" "$D/local.txt")
batches=$(git -C "$D/s/repo.git" rev-list --count main)
printf '%-44s %9.1f /s        %-26s %9.1f /s   %6.1fx\n' "POST /add, $C clients ($ok ok, $bad refused)" \
	"$rate" "local append, one by one" "$lrate" "$(echo "$rate / $lrate" | bc -l)"
printf '  (latency p50 %s ms, p99 %s ms; %s commits for %s entries; target: >= 2000 /s)\n' \
	"$p50" "$p99" "$((batches - 1))" "$N"
