# lib.sh - helpers for CLI tests: run the real binary in a temp dir and assert.
# Source it; call `finish` at the end to print "N passed, N failed, N skipped".
set -u
PL=${PROVLEDGER:?set PROVLEDGER to the provledger binary}
FIX=${PL_FIXTURES:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/plcli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
# what clients keep (checkpoints seen, tile cache, monitor positions) stays in $T
export XDG_CONFIG_HOME="$T/.xdg-config" XDG_CACHE_HOME="$T/.xdg-cache" XDG_STATE_HOME="$T/.xdg-state"
_pass=0 _fail=0 _skip=0
OUT="$T/.out" ERR="$T/.err"

ok() { _pass=$((_pass + 1)); echo "ok   $1"; }
bad() {
	_fail=$((_fail + 1))
	echo "FAIL $1"
	shift
	for m in "$@"; do echo "    $m"; done
	if [ -s "$ERR" ]; then echo "    stderr: $(head -c 600 "$ERR")"; fi
}
skip() { _skip=$((_skip + 1)); echo "skip $1${2:+ ($2)}"; }

# run CMD...: runs, capturing stdout in $OUT, stderr in $ERR, exit code in $RC.
run() {
	"$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
# pl ARGS...: run provledger
pl() { run "$PL" "$@"; }

# expect NAME CODE [STDERR_SUBSTRING]: assert the last run's exit code (and message).
expect() {
	local name=$1 code=$2 msg=${3:-}
	if [ "$RC" -ne "$code" ]; then
		bad "$name" "exit $RC, expected $code"
		return 1
	fi
	if [ -n "$msg" ] && ! grep -qF -- "$msg" "$ERR"; then
		bad "$name" "stderr lacks: $msg"
		return 1
	fi
	ok "$name"
}
# expect_out NAME SUBSTRING: stdout of the last run holds SUBSTRING.
expect_out() {
	if grep -qF -- "$2" "$OUT"; then ok "$1"; else bad "$1" "stdout lacks: $2" "stdout: $(head -c 600 "$OUT")"; fi
}
# check NAME COMMAND...: a shell condition
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "condition failed: $*"; fi
}
finish() {
	echo "$_pass passed, $_fail failed, $_skip skipped"
	[ "$_fail" -eq 0 ]
}

# grant LEDGER NAME ROLE: put the role NAME's key declares in force. The
# operator grants authority; any other role is granted by a test authority
# ("lib-authority", registered and granted on first use, keys LEDGER.auth.*).
grant() {
	local l=$1 name=$2 role=$3
	if [ "$role" = authority ]; then
		run "$PL" --ledger "$l" key grant "$name" --role authority --key "$l/keys/operator.key"
		return
	fi
	if [ ! -e "$l.auth.key" ]; then
		"$PL" key gen --name lib-authority --role authority --out "$l.auth" >/dev/null 2>&1
		"$PL" --ledger "$l" key register "$l.auth.pub" --key "$l.auth.key" >/dev/null 2>&1
		"$PL" --ledger "$l" key grant lib-authority --role authority \
			--key "$l/keys/operator.key" >/dev/null 2>&1
	fi
	run "$PL" --ledger "$l" key grant "$name" --role "$role" --key "$l.auth.key"
}
