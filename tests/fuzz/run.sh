#!/bin/bash
# run.sh NAME... - run each libFuzzer harness $FUZZ_DIR/bin/NAME for
# $FUZZ_SECONDS seconds, $FUZZ_JOBS (2) at a time, seeded from tests/fuzz/corpus/NAME/
# (read only; what the fuzzer adds goes to $FUZZ_DIR/corpus/NAME/), with
# tests/fuzz/NAME.dict when there is one. A crash goes to
# $FUZZ_DIR/crashes/NAME/. Prints one line per harness (executions, exec/s,
# cov, ft); exits 1 when any harness crashed.
set -u
cd "$(dirname "$0")/../.." || exit 2
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_BIN=${FUZZ_BIN:-$FUZZ_DIR/bin}

# The longest input tried, per harness: a few records, headers or lines.
max_len() {
	case "$1" in
	shard_tar | shard_compressed | bundle | shard_parquet) echo 65536 ;;
	shard_jsonl | json_canonical | dsse | attachments | check_part | regfile) echo 16384 ;;
	text_tokenize | key) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

one() {
	local name=$1 log=$FUZZ_DIR/logs/$1.log dict=()
	mkdir -p "$FUZZ_DIR/corpus/$name" "$FUZZ_DIR/crashes/$name" "$FUZZ_DIR/logs"
	[ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
	"$FUZZ_BIN/$name" -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$name")" \
		-timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$FUZZ_DIR/crashes/$name/" "${dict[@]}" \
		"$FUZZ_DIR/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	local rc=$? execs eps cov ft status=ok
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ "$rc" -ne 0 ]; then
		status="FAILED (exit $rc; see $log and $FUZZ_DIR/crashes/$name/)"
	fi
	printf 'fuzz %-17s %10s execs %7s exec/s  cov: %-6s ft: %-7s %s\n' "$name" \
		"${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$status"
	[ "$rc" -eq 0 ]
}
export -f one max_len
export FUZZ_DIR FUZZ_SECONDS FUZZ_BIN

echo "fuzz: ${#@} harnesses, $FUZZ_SECONDS s each, $FUZZ_JOBS at a time"
printf '%s\n' "$@" | xargs -P "$FUZZ_JOBS" -I{} bash -c 'one "$@"' _ {}
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "fuzz: a harness crashed: add its input to tests/fuzz/regress/NAME/ and fix it"
	exit 1
fi
echo "fuzz: no crash"
