#!/bin/bash
# demo.sh - examples/demo.sh, the end-to-end scenario of `make demo`, runs to
# the end (exit 0) and tells its story: so that CI keeps the demo working.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

run env PROVLEDGER="$PL" DEMO_OUT="$T/demo-out" NO_COLOR=1 bash "$HERE/../../examples/demo.sh"
expect "examples/demo.sh exits 0" 0
expect_out "it ends saying so" "demo: every step behaved as expected"
expect_out "check finds the excerpt in the gzip shard" "shards/web-000.jsonl.gz record 3"
expect_out "check exits 1, as the story expects" "(exit 1, as expected: a finding)"
expect_out "the fine-tune is registered on its base" "registered model atlas-chat@1"
expect_out "lineage follows the base model" "fine-tuned from: atlas@1"
expect_out "the rights holder's query finds the fine-tune via the base" \
	"web-2026@1 -> atlas@1 -> atlas-chat@1"
expect_out "a work registered later is a sketch lead" "leads (not proof)"
expect_out "the recheck finds it in the zstd shard" "shards/web-001.jsonl.zst record 1"
expect_out "verify --policy reports the reserved works" "policy: warning dataset-reserved-works"
expect_out "the bundle verifies without the ledger" "verified: every entry is in the log at size"
expect_out "roles are granted" "granted lab to \"acme-lab\""
expect_out "a self-made authority cannot license" "declares authority but no operator has granted it"
expect_out "the tampered bundle fails" "verification FAILED"
if command -v dot >/dev/null 2>&1; then
	check "lineage.svg drawn into DEMO_OUT" grep -q '<svg' "$T/demo-out/lineage.svg"
else
	skip "lineage.svg" "graphviz not installed"
fi
check "the demo leaves no temporary directory behind" \
	[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'provledger-demo.*' -newer "$T" 2>/dev/null)" ]
finish
