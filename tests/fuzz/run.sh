#!/usr/bin/env bash
# tests/fuzz/run.sh - runs each libFuzzer target for a while from its
# corpus in tests/fuzz/corpus/<target>/ (read only: what a run adds goes to
# a scratch corpus under $FZ/corpus-new/<target>/), then prints one line
# per target: executions, coverage (edges), new inputs, and whether it
# crashed. A crash leaves its input in $FZ/artifacts/ and fails the run.
#
# Usage: tests/fuzz/run.sh FZ SECONDS TARGET... (make fuzz FUZZ_S=N).
# FUZZ_SEED=N fixes libFuzzer's seed (CI: the same inputs every run, so a
# failure there is a regression, not a new find); unset, each run differs.
# Each target runs in its own scratch working directory, so the relative
# paths a pipeline file names stay out of the tree.
set -u
fz=$1 secs=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
fz=$(cd "$fz" && pwd)
mkdir -p "$fz/artifacts" "$fz/logs"
fail=0
for bin in "$@"; do
	t=$(basename "$bin")
	seeds="$root/tests/fuzz/corpus/$t"
	work="$fz/corpus-new/$t"
	log="$fz/logs/$t.log"
	mkdir -p "$work" "$seeds"
	cwd=$(mktemp -d "${TMPDIR:-/tmp}/sl_fuzz_cwd.XXXXXX")
	dict=()
	[ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
	(cd "$cwd" && "$fz/$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-seed="${FUZZ_SEED:-0}" \
		-artifact_prefix="$fz/artifacts/$t-" "${dict[@]}" \
		"$work" "$seeds") > "$log" 2>&1
	rc=$?
	rm -rf "$cwd"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	new=$(find "$work" -type f | wc -l)
	if [ $rc -ne 0 ]; then
		fail=1
		echo "FAIL $t: exit $rc after ${execs:-?} executions (log $log):"
		grep -E 'ERROR|runtime error|fuzz check failed|SUMMARY' "$log" | head -n 5
		ls "$fz/artifacts/$t-"* 2> /dev/null | sed 's/^/  input: /'
	else
		echo "ok   $t: ${execs:-0} executions in ${secs}s, coverage ${cov:-0} edges, $new new inputs"
	fi
done
exit $fail
