#!/bin/sh
# bench/run.sh - runs every benchmark that has been built, one after another.
#
# Called by `make bench` with B set to the build directory. Each benchmark
# prints its own table, with its baseline measured in the same run, and
# writes its figures to $B/bench/<name>.json. Benchmarks run one at a time:
# the machines have two cores (NOTES.md), so two at once would measure each
# other. To add a benchmark, add its name to BENCHES.
set -u

B=${B:-build}
BENCHES="ring_hop"

status=0
ran=0
for name in $BENCHES; do
	bin="$B/bench/$name"
	[ -x "$bin" ] || continue
	echo "== $name"
	if ! "$bin" --json "$B/bench/$name.json"; then
		echo "$name: failed" >&2
		status=1
	fi
	ran=$((ran + 1))
done
if [ "$ran" -eq 0 ]; then
	echo "bench/run.sh: no benchmarks built in $B/bench" >&2
	exit 1
fi
exit $status
