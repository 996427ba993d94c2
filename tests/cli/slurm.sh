#!/bin/bash
# slurm.sh - examples/slurm/ end to end on a real single-node Slurm that this
# test starts and stops itself (slurmctld + slurmd from Debian's slurm-wlm,
# AuthType=auth/none, everything in the test's temp dir, ports of its own): a
# job array of 3 tasks over 5 shards, then the dependent merge job; the merged
# report must be the one a single-process check prints. Skipped, saying why,
# only where Slurm cannot start. Then examples/k8s/'s commands, run here with
# JOB_COMPLETION_INDEX set as an Indexed Job sets it.
HERE=$(cd "$(dirname "$0")" && pwd)
EX=$(cd "$HERE/../../examples" && pwd)
. "$HERE/lib.sh"
export PROVLEDGER_TIME=1790000000
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
prose() { "$PY" "$HERE/gen_corpus.py" prose "$@"; }
jl() { "$PY" -c 'import json,sys
for a in sys.argv[1:]:
    t = open(a).read() if a.endswith(".txt") else a
    print(json.dumps({"text": t}))' "$@"; }

# ---- a ledger with two works, five shards (matches in three)
pl --ledger "$T/L" init
"$PL" key gen --name rh --role rights-holder --out rh >/dev/null 2>&1
"$PL" --ledger "$T/L" key register rh.pub --key rh.key >/dev/null 2>&1
prose 3000 11 >book.txt
prose 900 12 >other.txt
"$PL" --ledger "$T/L" work register book.txt --title Book --holder H --key rh.key >/dev/null 2>&1
"$PL" --ledger "$T/L" work register other.txt --title Other --holder H --key rh.key >/dev/null 2>&1
prose 400 21 >r1.txt
prose 400 22 >r2.txt
head -c 4000 other.txt >part-other.txt
mkdir -p data
jl r1.txt "a short record" book.txt >data/d.jsonl
jl r2.txt >data/a.jsonl
jl "nothing here" part-other.txt r1.txt >data/c.jsonl
jl r2.txt "also nothing" >data/e.jsonl
jl r1.txt book.txt | gzip -n >data/b.jsonl.gz
for s in d a e b c; do ls "$T"/data/$s.jsonl*; done >shards.txt
pl --ledger "$T/L" --json check --files-from shards.txt
expect "setup: the single-process check finds matches" 1
cp "$OUT" single.json
pl --ledger "$T/L" registry build --out "$T/registry.tbl"
expect "setup: registry build" 0

# ---- a single-node Slurm of our own
CTLD_PID= SLURMD_PID=
cleanup() {
	# only the daemons this test started, by their ids
	[ -n "$SLURMD_PID" ] && kill "$SLURMD_PID" 2>/dev/null
	[ -n "$CTLD_PID" ] && kill "$CTLD_PID" 2>/dev/null
	for p in $SLURMD_PID $CTLD_PID; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

slurm_skip() {
	skip "slurm" "slurm: skipped: $1"
	echo "slurm: skipped: $1"
}

start_slurm() {
	local S=$T/slurm u h p1 i
	u=$(id -un)
	h=$(hostname -s)
	mkdir -p "$S/state" "$S/spool" "$S/log"
	p1=$((20000 + (RANDOM % 20000) * 2))
	cat >"$S/slurm.conf" <<EOF
ClusterName=pltest$$
SlurmctldHost=$h(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$((p1 + 1))
AuthType=auth/none
CredType=cred/none
SlurmUser=$u
SlurmdUser=$u
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_min_interval=100000
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$h NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=10 State=UP
EOF
	export SLURM_CONF=$S/slurm.conf
	slurmctld -D -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
	CTLD_PID=$!
	for i in $(seq 40); do
		scontrol ping 2>/dev/null | grep -q UP && break
		kill -0 "$CTLD_PID" 2>/dev/null || break
		sleep 0.25
	done
	if ! scontrol ping 2>/dev/null | grep -q UP; then
		START_ERR="slurmctld could not start: $(tail -n 1 "$S/slurmctld.out" "$S/log/slurmctld.log" 2>/dev/null | grep -v '^==' | grep . | tail -n 1)"
		return 1
	fi
	slurmd -D -f "$SLURM_CONF" >"$S/slurmd.out" 2>&1 &
	SLURMD_PID=$!
	for i in $(seq 60); do
		sinfo -h -o %T 2>/dev/null | grep -qx idle && return 0
		kill -0 "$SLURMD_PID" 2>/dev/null || break
		sleep 0.25
	done
	START_ERR="slurmd could not start: $(grep -h error "$S/slurmd.out" "$S/log/slurmd.log" 2>/dev/null | grep -v pmix | tail -n 1)"
	return 1
}

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null; then
	slurm_skip "slurmctld could not start: slurm-wlm is not installed (make deps installs it)"
elif ! start_slurm; then
	slurm_skip "$START_ERR"
else
	ok "slurm: slurmctld and slurmd up ($(slurmctld -V))"
	run env PROVLEDGER="$PL" LEDGER="$T/L" SHARD_LIST="$T/shards.txt" PARTS_DIR="$T/parts" \
		REGISTRY_FILE="$T/registry.tbl" TASKS=3 "$EX/slurm/submit.sh" --time=5
	expect "slurm: submit.sh submits the array and the merge" 0
	MJ=$(cat "$T/parts/merge.jobid" 2>/dev/null)
	state=
	for i in $(seq 240); do # 60 s at most
		state=$(scontrol show job "$MJ" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		case $state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL) break ;; esac
		sleep 0.25
	done
	# exit 1: the report holds matches (a finding), as check's exit
	check "slurm: the merge job ran after the array and exited 1 (matches): $state" \
		grep -q 'ExitCode=1:0' <(scontrol show job "$MJ" 2>/dev/null)
	check "slurm: each of the 3 tasks wrote its part and marker" \
		[ "$(ls "$T"/parts/part-?.json.done 2>/dev/null | wc -l)" -eq 3 ]
	check "slurm: the merged report is the single-process check's, byte for byte" \
		cmp -s "$T/parts/report.json" single.json
	[ -s "$T/parts/report.json" ] || cat "$T"/parts/*.log 2>/dev/null | head -20
	# a failed task: the merge never runs (afterok), nothing is merged
	printf 'not a shard list entry\n' >badlist.txt
	run env PROVLEDGER="$PL" LEDGER="$T/L" SHARD_LIST="$T/badlist.txt" PARTS_DIR="$T/parts2" \
		TASKS=2 "$EX/slurm/submit.sh" --time=5
	MJ2=$(cat "$T/parts2/merge.jobid" 2>/dev/null)
	for i in $(seq 120); do
		r=$(scontrol show job "$MJ2" 2>/dev/null | sed -n 's/.*Reason=\([A-Za-z_]*\).*/\1/p')
		[ "$r" = DependencyNeverSatisfied ] && break
		state=$(scontrol show job "$MJ2" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		case $state in COMPLETED | FAILED | CANCELLED) break ;; esac
		sleep 0.25
	done
	check "slurm: a failed task holds the merge back (afterok)" test "$r" = DependencyNeverSatisfied
	check "slurm: no report from a failed array" test ! -e "$T/parts2/report.json"
	scancel "$MJ2" 2>/dev/null
fi

# ---- examples/k8s: the Indexed Job's command, with JOB_COMPLETION_INDEX as it sets it
cmdline() { "$PY" -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
print(d["spec"]["template"]["spec"]["containers"][0]["args"][0])' "$1"; }
if "$PY" -c 'import yaml' 2>/dev/null; then
	mkdir -p k8s/data
	cp -a L k8s/data/ledger
	sed "s|^$T/data/|$T/k8s/data/shards/|" shards.txt >k8s/data/shards.txt
	cp -a data k8s/data/shards
	cp registry.tbl k8s/data/registry.tbl
	C=$(cmdline "$EX/k8s/check-job.yaml" | sed "s|/data/|$T/k8s/data/|g; s|provledger |\"\$PL\" |")
	M=$(cmdline "$EX/k8s/merge-job.yaml" | sed "s|/data/|$T/k8s/data/|g; s|provledger |\"\$PL\" |")
	okk=1
	for i in 2 0 1; do PL=$PL JOB_COMPLETION_INDEX=$i sh -c "$C" >/dev/null || okk=0; done
	check "k8s: the three indexed pods' commands write their parts" [ $okk -eq 1 ]
	PL=$PL sh -c "$M" >/dev/null 2>&1
	sed "s|$T/k8s/data/shards/|$T/data/|g" k8s/data/parts/report.json >k8s.report.json
	check "k8s: the merge job's report is the single-process check's (paths aside)" \
		cmp -s k8s.report.json single.json
else
	skip "k8s" "python3-yaml is not installed"
fi

finish
