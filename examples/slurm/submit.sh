#!/bin/bash
# submit.sh - submit a check of SHARD_LIST as a job array of TASKS tasks, then
# the merge as a job that depends on the whole array (afterok). Prints the two
# job ids. Environment: as check-array.sbatch, plus TASKS (default 3) and
# REPORT (default $PARTS_DIR/report.json); extra arguments go to both sbatch
# calls (e.g. --partition=batch).
#
#   LEDGER=/shared/ledger SHARD_LIST=shards.txt PARTS_DIR=/shared/parts TASKS=100 \
#       examples/slurm/submit.sh --partition=cpu
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
: "${LEDGER:?}" "${SHARD_LIST:?}" "${PARTS_DIR:?}"
export TASKS=${TASKS:-3} REPORT=${REPORT:-$PARTS_DIR/report.json}
mkdir -p "$PARTS_DIR"
array=$(sbatch --parsable "$@" --array=0-$((TASKS - 1)) --export=ALL \
	--output="$PARTS_DIR/check-%a.log" "$HERE/check-array.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable "$@" --dependency=afterok:"$array" --export=ALL \
	--output="$PARTS_DIR/merge.log" "$HERE/merge.sbatch")
echo "${merge%%;*}" >"$PARTS_DIR/merge.jobid"
echo "check array: job $array ($TASKS tasks); merge: job ${merge%%;*} (after every task succeeds)"
