#!/bin/bash
# layers.sh - the rooms keep the one-way flow (scripts/layers.py): every
# include and every call of the built objects; and the check fails when a
# room reaches up or into another room's private header.
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
BUILDDIR=$(dirname "$PL")

run python3 "$ROOT/scripts/layers.py" "$BUILDDIR"
expect "layers: includes and calls of the built library" 0
expect_out "layers: the summary" "layers: ok"

# a copy of the tree, broken on purpose, must be refused
mkdir t
cp -r "$ROOT/hashing" "$ROOT/ledger" "$ROOT/net" "$ROOT/cli" "$ROOT/scripts" t/
run python3 t/scripts/layers.py
expect "layers: the unbroken copy passes" 0
printf '#include "lineage_internal.h"\n' >>t/ledger/log/grants.c
run python3 t/scripts/layers.py
expect "layers: a log file including lineage's private header is refused" 1
expect_out "layers: names the file and the header" "ledger/log/grants.c:"
expect_out "layers: says why" "a room above ledger/log"
cp "$ROOT/ledger/log/grants.c" t/ledger/log/grants.c
printf '#include "match_internal.h"\n' >>t/ledger/lineage/query.c
run python3 t/scripts/layers.py
expect "layers: a private header of a room below is refused" 1
expect_out "layers: private" "a private header of ledger/registry"

finish
