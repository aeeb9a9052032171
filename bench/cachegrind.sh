#!/bin/sh
# bench/cachegrind.sh - the two instruction counts of the record path, for
# one build directory: the engine's instructions per row and the Kafka
# relay's instructions per relayed record, measured exactly as `make bench`
# measures them (docs/BENCHMARKS.md, bench/run.sh), without the timings.
# Counts do not depend on the machine's load, so two trees (before and
# after a change) compare on the same machine, even a busy one.
#
#   B=build bench/cachegrind.sh        needs $B/bench/engine, $B/bench/relay
#
#   engine  `engine --count N --impl engine|baseline` under cachegrind at
#           N = 1M and 5M: (I(5M) - I(1M)) / 4M, so start-up and threads
#           cancel.
#   relay   `relay --ipr-counts 20000,100000` on a real broker (started
#           here with tests/kafka/broker.sh and stopped at the end): the
#           relay alone in a child under cachegrind moving 20,000 then
#           100,000 pre-produced 100 B records, difference / 80,000.
#           Without a broker (SLUICE_NO_BROKER=1, or its jars cannot be
#           fetched) only the engine figure is printed.
set -u

B=${B:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
N1=${N1:-1000000}
N2=${N2:-5000000}
status=0
# shellcheck source=bench/common.sh
. "$HERE/common.sh"

log() {
	echo "bench/cachegrind.sh: $*" >&2
}

command -v valgrind >/dev/null 2>&1 || {
	log "valgrind is not installed"
	exit 1
}

if [ -x "$B/bench/engine" ]; then
	E1=$(irefs "$N1" engine) E2=$(irefs "$N2" engine)
	L1=$(irefs "$N1" baseline) L2=$(irefs "$N2" baseline)
	if [ -n "$E1" ] && [ -n "$E2" ] && [ -n "$L1" ] && [ -n "$L2" ]; then
		awk -v e1="$E1" -v e2="$E2" -v l1="$L1" -v l2="$L2" \
			-v n1="$N1" -v n2="$N2" 'BEGIN {
			e = (e2 - e1) / (n2 - n1); l = (l2 - l1) / (n2 - n1)
			printf "engine instructions per row: sluice %.1f, plain C loop %.1f (I: %s, %s; loop %s, %s at N=%d, %d)\n", e, l, e1, e2, l1, l2, n1, n2
		}'
	else
		log "valgrind run of $B/bench/engine failed"
		status=1
	fi
else
	log "$B/bench/engine not built"
	status=1
fi

if [ "${SLUICE_NO_BROKER:-0}" = 1 ]; then
	log "SLUICE_NO_BROKER=1: relay instructions per record not measured"
elif [ ! -x "$B/bench/relay" ]; then
	log "$B/bench/relay not built"
	status=1
else
	broker_start
	if [ -z "$BS" ]; then
		log "no Kafka broker: relay instructions per record not measured"
		status=1
	else
		# No latency sizes and no throughput records: the instruction
		# counts only.
		"$B/bench/relay" --bootstrap "$BS" --sizes "" --tput-records 0 \
			--ipr-counts 20000,100000 |
			sed -n '/^instructions per record/,$p' || status=1
	fi
	stop_broker
fi
exit $status
