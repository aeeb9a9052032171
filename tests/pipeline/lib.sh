# tests/pipeline/lib.sh - the harness the pipeline test scripts (run.sh,
# bench.sh) source: where the tree and the sluice binary are, a temporary
# directory, a time-limited run of sluice, the checks on its exit status and
# output, and the pass/fail counting.
#
# After `. lib.sh` a script has: here (this directory), root (the tree), B,
# SLUICE (absolute), tmp (removed at exit by the EXIT trap set here; a
# script that sets its own trap removes it itself), passed, failed and why.
# A check is a function that returns 0 when its expectation holds and sets
# why when it does not; `t NAME CHECK [ARGS...]` runs one and counts it.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=${B:-build}
SLUICE=${SLUICE:-$B/sluice}
case $SLUICE in /*) ;; *) SLUICE=$root/$SLUICE ;; esac
if [ ! -x "$SLUICE" ]; then
	echo "$(basename "$0"): no sluice binary at $SLUICE (run make first)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-$(basename "$0" .sh)-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
why=

# run_limit LIMIT ARGS...: runs sluice with a time limit of LIMIT seconds,
# stdout and stderr to $tmp/out and $tmp/err; sets rc, and the elapsed
# time as ms and secs. The limit only guards against a hang.
run_limit() {
	local t0
	limit=$1
	shift
	t0=$(date +%s%N)
	timeout "$limit" "$SLUICE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	secs=$((ms / 1000))
}

rc_is() {
	[ "$rc" -eq "$1" ] && return 0
	why="exit status $rc, expected $1"
	[ "$rc" -eq 124 ] && why="$why (timed out after $limit s)"
	return 1
}
out_has() {
	grep -qF -- "$1" "$tmp/out" && return 0
	why="stdout lacks: $1"
	return 1
}
err_has() {
	grep -qF -- "$1" "$tmp/err" && return 0
	why="stderr lacks: $1"
	return 1
}
# out_lacks TEXT [WHY]: stdout does not hold TEXT; WHY says what it would
# mean if it did.
out_lacks() {
	grep -qF -- "$1" "$tmp/out" || return 0
	why=${2:-"stdout has: $1"}
	return 1
}

# show_output: what a failed test shows of the last run's output; a script
# whose output matters at its end redefines it.
show_output() {
	sed -n '1,6s/^/     stderr: /p' "$tmp/err"
	sed -n '1,6s/^/     stdout: /p' "$tmp/out"
}

# t NAME COMMAND...: one test: COMMAND runs sluice and checks; its status
# is the verdict.
t() {
	local name=$1
	shift
	why=
	if "$@"; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: $why"
		show_output
	fi
}
