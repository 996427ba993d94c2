#!/bin/bash
# fuzz_regress.sh - replay every input that once crashed a fuzz harness
# (tests/fuzz/regress/NAME/) and every seed (tests/fuzz/corpus/NAME/)
# through the harness built with gcc, without libFuzzer ($PL_FUZZ_REPLAY/NAME,
# see tests/fuzz/replay.c): each must run to the end, under the sanitizers
# with make test SAN=1.
. "$(dirname "$0")/lib.sh"
R=${PL_FUZZ_REPLAY:?set PL_FUZZ_REPLAY to the directory of the replay binaries}
SRC=$(cd "$FIX/../fuzz" && pwd)

for h in "$SRC"/*.c; do
	name=$(basename "$h" .c)
	[ "$name" = replay ] && continue
	if [ ! -x "$R/$name" ]; then
		bad "fuzz $name: replay binary" "no $R/$name"
		continue
	fi
	for kind in regress corpus; do
		d=$SRC/$kind/$name
		[ -d "$d" ] || continue
		n=$(find "$d" -type f | wc -l)
		run "$R/$name" "$d"
		if [ "$RC" -eq 0 ] && grep -q "^replayed $n inputs" "$OUT"; then
			ok "fuzz $name: $kind ($n inputs)"
		else
			bad "fuzz $name: $kind" "exit $RC; last input: $(grep '^input ' "$OUT" | tail -n 1)"
		fi
	done
done
finish
