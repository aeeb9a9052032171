# bench/common.sh - sourced by bench/run.sh and bench/cachegrind.sh: the
# real Kafka broker the relay benchmarks run on (tests/kafka/broker.sh),
# started on demand and stopped when the script ends, and the instruction
# count valgrind gives for one run of the engine benchmark. Needs $ROOT
# (the tree) and $B (the build directory) set.

KDIR=
# Stops the broker broker_start started, if any.
stop_broker() {
	if [ -n "$KDIR" ]; then
		"$ROOT/tests/kafka/broker.sh" stop "$KDIR" >/dev/null 2>&1
		rm -rf "$KDIR"
		KDIR=
	fi
}
trap stop_broker EXIT
trap 'stop_broker; exit 130' INT TERM

# Starts a broker and sets BS to its bootstrap address (empty when its
# jars cannot be fetched or it does not start). Not in a subshell: KDIR
# must reach stop_broker.
broker_start() {
	BS=
	if "$ROOT/tests/kafka/broker.sh" fetch >/dev/null; then
		KDIR=$(mktemp -d /tmp/sluice-bench-kafka.XXXXXX)
		BS=$("$ROOT/tests/kafka/broker.sh" start "$KDIR") || BS=
	fi
}

# Instructions valgrind counts for `engine --count N --impl IMPL`.
irefs() {
	valgrind --tool=cachegrind --cache-sim=no \
		--cachegrind-out-file=/dev/null "$B/bench/engine" \
		--count "$1" --impl "$2" 2>&1 |
		sed -n 's/.*I *refs: *//p' | tr -d ','
}
