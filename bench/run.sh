#!/bin/sh
# bench/run.sh - runs the benchmark suite, one benchmark after another, and
# gathers the figures into a table, $B/bench/summary.json and PNG plots.
#
# Called by `make bench` with B set to the build directory (every
# bench/NAME.c is built as $B/bench/NAME). Each benchmark prints its own
# table with its baseline measured in the same run and writes its figures
# to $B/bench/*.json; bench/plot.py then prints the whole table, the aims
# and writes summary.json and the plots. Benchmarks run one at a time: the
# machines have two cores (docs/BENCHMARKS.md, "The machine"), so two at once would measure
# each other.
#
#   ring_hop   one ring hop between threads (p50/p99/p99.9), vs ck_ring
#   engine     rate -> WHERE -> SELECT -> noop, rows/s at 1 and 2
#              partitions, vs a plain C loop; instructions per row under
#              valgrind (cachegrind), vs the loop
#   relay      Kafka -> sluice -> Kafka vs a librdkafka consume-produce
#              loop: latency at fixed rates, max throughput, instructions
#              per record, memory; on a real broker (started here with
#              tests/kafka/broker.sh, stopped at the end) and on the
#              embedded cluster; on the broker also the cost of
#              checkpoints (--ckpt-rate: the relay with trigger
#              'continuous 100 ms' with and without checkpointLocation)
#   input      in-process input: push -> WHERE/SELECT -> foreach latency
#              at 10k, 100k, 1M rows/s vs one sl_chan hop; peak rows/s
#              pushed in batches
#   stateful   micro-batch latency, default trigger: rate 1,000 rows/s ->
#              GROUP BY value % 10 -> foreachBatch, from each row's
#              timestamp to the update, vs the same without the GROUP BY
#   parquet    (bench/parquet.py) 10M rows x 6 columns written and read as
#              snappy Parquet by sluice and by pyarrow: rows per CPU
#              second, rows/s, file size
#   spark      (bench/spark/run.sh, on the broker) the same Kafka relay in
#              Spark Structured Streaming (micro-batch and continuous
#              triggers, real-time where Spark has it) beside `sluice
#              relay`, measured by `sluice bench --mode external`: latency
#              at 1k and 10k records/s, max rate, latency under CPU load,
#              CPU per record, peak RSS
#
# BENCH_QUICK=1: shorter runs and fewer cases (under a minute), for a
# smoke test; the figures are rougher. The tools it needs (valgrind,
# python3, matplotlib, the broker's Java/Maven/kcat) are installed on first
# use; without matplotlib the table and summary.json are still written.
set -u

B=${B:-build}
QUICK=${BENCH_QUICK:-0}
OUT=$B/bench
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
status=0
# shellcheck source=bench/common.sh
. "$HERE/common.sh"

log() {
	echo "bench/run.sh: $*" >&2
}

# ---- tools (idempotent: nothing happens when they are there) --------------

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
APT_UPDATED=0

apt_install() {
	if [ "$APT_UPDATED" = 0 ]; then
		$SUDO apt-get update -qq >/dev/null 2>&1
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" \
		>/dev/null 2>&1
}

need() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2 (apt-get)"
	apt_install "$2"
	command -v "$1" >/dev/null 2>&1
}

need python3 python3 || log "no python3: no table, summary.json or plots"
HAVE_VG=1
need valgrind valgrind || {
	HAVE_VG=0
	log "no valgrind: instructions per record are not measured"
}
if command -v python3 >/dev/null 2>&1 &&
	! python3 -c 'import matplotlib' >/dev/null 2>&1; then
	log "installing matplotlib for the plots (pip, else apt-get)"
	python3 -m pip install -q matplotlib >/dev/null 2>&1 ||
		apt_install python3-matplotlib ||
		log "matplotlib unavailable: the plots will be skipped"
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.png
# Other work on the machine shows in every figure: record how busy it was.
cut -d' ' -f1-3 /proc/loadavg >"$OUT/loadavg_start" 2>/dev/null

run() { # name, args...: runs $B/bench/name if it was built
	name=$1
	shift
	bin="$B/bench/$name"
	if [ ! -x "$bin" ]; then
		log "$bin not built: skipped"
		status=1
		return 1
	fi
	echo "== $name $*"
	if ! "$bin" "$@"; then
		log "$name failed"
		status=1
		return 1
	fi
}

# ---- hop latency ------------------------------------------------------------

if [ "$QUICK" = 1 ]; then
	run ring_hop -n 20000 --entries 1000000 --reps 1 --json "$OUT/ring_hop.json"
else
	run ring_hop --json "$OUT/ring_hop.json"
fi

# ---- engine throughput and instructions per row ---------------------------

if [ "$QUICK" = 1 ]; then
	run engine --seconds 0.5 --reps 1 --json "$OUT/engine.json"
	N1=200000 N2=1000000
else
	run engine --seconds 2 --reps 3 --json "$OUT/engine.json"
	N1=1000000 N2=5000000
fi

if [ "$HAVE_VG" = 1 ] && [ -x "$B/bench/engine" ]; then
	echo "== engine instructions per row (cachegrind, N=$N1 and N=$N2)"
	E1=$(irefs $N1 engine) E2=$(irefs $N2 engine)
	L1=$(irefs $N1 baseline) L2=$(irefs $N2 baseline)
	if [ -n "$E1" ] && [ -n "$E2" ] && [ -n "$L1" ] && [ -n "$L2" ]; then
		# The fixed costs (start-up, threads) cancel in the difference.
		awk -v e1="$E1" -v e2="$E2" -v l1="$L1" -v l2="$L2" \
			-v n1="$N1" -v n2="$N2" 'BEGIN {
			e = (e2 - e1) / (n2 - n1); l = (l2 - l1) / (n2 - n1)
			printf "engine %.1f, plain C loop %.1f instructions per row, ratio %.1f\n", e, l, e / l
			printf "{\"bench\": \"ipr_engine\", \"counts\": [%d, %d], \"engine_irefs\": [%s, %s], \"baseline_irefs\": [%s, %s], \"engine\": %.2f, \"baseline\": %.2f}\n", n1, n2, e1, e2, l1, l2, e, l > "/dev/stderr"
		}' 2>"$OUT/ipr_engine.json"
	else
		log "valgrind run of engine failed"
		status=1
	fi
fi

# ---- in-process input ------------------------------------------------------

if [ "$QUICK" = 1 ]; then
	run input --seconds 0.5 --warmup 100 --rows 1000000
else
	run input --seconds 2 --warmup 300 --rows 5000000
fi

# ---- stateful micro-batch latency ------------------------------------------

if [ "$QUICK" = 1 ]; then
	run stateful --seconds 3 --warmup 1 --reps 1 --json "$OUT/stateful.json"
else
	run stateful --seconds 8 --warmup 1 --reps 3 --json "$OUT/stateful.json"
fi

# ---- Kafka relay: a real broker -------------------------------------------

# ---- Parquet: sluice beside pyarrow (bench/parquet.py) ----------------------

echo "== parquet (bench/parquet.py, beside pyarrow)"
if SPARK_VENV=${SPARK_VENV:-$B/spark-venv} "$ROOT/tests/spark/setup.sh" \
	>/dev/null 2>&1; then
	PQ_ROWS=10000000 PQ_REPEAT=3
	[ "$QUICK" = 1 ] && PQ_ROWS=200000 PQ_REPEAT=1
	B=$B SLUICE=$B/sluice BENCH_ROWS=$PQ_ROWS BENCH_REPEAT=$PQ_REPEAT \
		"${SPARK_VENV:-$B/spark-venv}/bin/python" "$HERE/parquet.py" || {
		log "bench/parquet.py failed"
		status=1
	}
else
	log "no Python venv with pyarrow (tests/spark/setup.sh failed): Parquet not measured"
	status=1
fi

if [ -x "$B/bench/relay" ]; then
	broker_start
	if [ -z "$BS" ]; then
		log "no Kafka broker: the relay is not measured on a broker"
		status=1
	elif [ "$QUICK" = 1 ]; then
		run relay --bootstrap "$BS" --rates 1000,10000 --sizes 100 \
			--seconds 1 --reps 1 --tput-records 50000 \
			--ckpt-rate 10000 --json "$OUT/relay_broker.json"
	else
		IPR=
		[ "$HAVE_VG" = 1 ] && IPR="--ipr-counts 20000,100000"
		# shellcheck disable=SC2086
		run relay --bootstrap "$BS" --rates 1000,10000,100000 \
			--sizes 100,1024 --seconds 4 --reps 3 \
			--tput-records 300000 --rss --rss-seconds 8 $IPR \
			--ckpt-rate 10000 --json "$OUT/relay_broker.json"
	fi
	if [ -n "$BS" ]; then
		echo "== spark beside sluice (bench/spark/run.sh)"
		B=$B SLUICE=$B/sluice BENCH_QUICK=$QUICK \
			"$HERE/spark/run.sh" "$BS" "$OUT" || {
			log "bench/spark/run.sh failed (the reason is above)"
			status=1
		}
	fi
	stop_broker

	# ---- Kafka relay: the embedded cluster (slow: function, not speed) --
	if [ "$QUICK" = 1 ]; then
		run relay --bootstrap embedded --rates 1000 --sizes 100 \
			--seconds 1 --reps 1 --tput-records 5000 \
			--json "$OUT/relay_embedded.json"
	else
		run relay --bootstrap embedded --rates 1000,5000 \
			--sizes 100,1024 --seconds 3 --reps 1 \
			--tput-records 20000 --json "$OUT/relay_embedded.json"
	fi
else
	log "$B/bench/relay not built: skipped"
	status=1
fi

# ---- the table, summary.json, plots -----------------------------------------

if command -v python3 >/dev/null 2>&1; then
	echo "== summary"
	BENCH_QUICK=$QUICK python3 "$HERE/plot.py" "$OUT" || status=1
fi
exit $status
