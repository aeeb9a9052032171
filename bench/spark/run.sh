#!/usr/bin/env bash
# bench/spark/run.sh BOOTSTRAP OUTDIR - Spark Structured Streaming beside
# sluice on one broker in one run: the same Kafka -> Kafka relay (key and
# value, 100-byte records) in `sluice relay` (continuous trigger) and in
# PySpark local mode with its default micro-batch trigger, its continuous
# trigger and, where the Spark release has it, its real-time trigger; each
# measured by `sluice bench --mode external` at 1k and 10k records/s (10 s
# each after a warm-up), its highest rate with p99 under 5 s and nothing
# lost (--find-max-rate), and at 1k records/s again with a CPU-bound
# process on every core. For each relay also its CPU seconds per million
# records and its peak RSS (the process tree's, from /proc).
#
# Called by bench/run.sh (`make bench`) with the broker it started.
# Writes OUTDIR/spark_relay.json (one object per relay) and prints a
# Markdown table; docs/BENCHMARKS.md ("Spark beside sluice") has the
# figures of a run. Spark comes from PyPI (pyspark, pinned to the Kafka
# connector's version: the connector uses Spark internals, so its version
# must be Spark's) into build/spark-bench-venv; the connector's jars from
# Maven Central (bench/spark/pom.xml) into ${SLUICE_CACHE:-~/.cache/sluice}.
# When the jars or Spark cannot be had, it says so and exits 1: the Spark
# columns are then missing, never invented.
#
# BENCH_QUICK=1: 3 s per rate, no rate finder, no loaded run.
set -u
BS=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
B=${B:-build}
SLUICE=${SLUICE:-$ROOT/$B/sluice}
QUICK=${BENCH_QUICK:-0}
SPARK_VERSION=${SPARK_BENCH_VERSION:-4.0.0}
VENV=${SPARK_BENCH_VENV:-$ROOT/build/spark-bench-venv}
CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
JARS_DIR=$CACHE/spark-kafka-$SPARK_VERSION
SECS=10
[ "$QUICK" = 1 ] && SECS=3
RUN=$(mktemp -d /tmp/sluice-spark-bench.XXXXXX)
pids=()
busy=()

log() { echo "bench/spark/run.sh: $*" >&2; }

cleanup() {
	for p in "${busy[@]}" "${pids[@]}"; do
		kill_tree "$p"
	done
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The pids of p and its descendants.
tree() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		tree "$c"
	done
}

kill_tree() {
	local all
	all=$(tree "$1")
	# shellcheck disable=SC2086
	kill $all 2>/dev/null
	sleep 1
	# shellcheck disable=SC2086
	kill -9 $all 2>/dev/null
}

# CPU seconds (user + system) of the tree of p.
tree_cpu() {
	local t=0 p ticks
	ticks=$(getconf CLK_TCK)
	for p in $(tree "$1"); do
		t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0)))
	done
	awk -v t="$t" -v k="$ticks" 'BEGIN {printf "%.2f", t / k}'
}

# Peak RSS (VmHWM, summed over the tree of p) in MB.
tree_rss_mb() {
	local kb=0 p v
	for p in $(tree "$1"); do
		v=$(awk '/^VmHWM:/ {print $2}' /proc/"$p"/status 2>/dev/null)
		kb=$((kb + ${v:-0}))
	done
	awk -v k="$kb" 'BEGIN {printf "%.0f", k / 1024}'
}

# ---- Spark and its Kafka connector -------------------------------------------

setup_spark() {
	command -v java >/dev/null || { log "no java: Spark is not measured"; return 1; }
	command -v mvn >/dev/null || { log "no mvn: the Kafka connector cannot be fetched"; return 1; }
	if [ ! -f "$JARS_DIR/.done" ]; then
		log "fetching spark-sql-kafka-0-10_2.13 $SPARK_VERSION (Maven Central) into $JARS_DIR"
		mkdir -p "$JARS_DIR"
		mvn -q -f "$HERE/pom.xml" -Dspark.version="$SPARK_VERSION" \
			dependency:copy-dependencies -DincludeScope=runtime \
			-DoutputDirectory="$JARS_DIR" >"$RUN/mvn.log" 2>&1 || {
			log "the Kafka connector's jars cannot be fetched: $(tail -n 3 "$RUN/mvn.log" | tr '\n' ' ')"
			return 1
		}
		touch "$JARS_DIR/.done"
	fi
	if ! "$VENV/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$SPARK_VERSION')" 2>/dev/null; then
		log "installing pyspark $SPARK_VERSION into $VENV"
		rm -rf "$VENV"
		python3 -m venv "$VENV" && "$VENV/bin/pip" install -q \
			--disable-pip-version-check "pyspark==$SPARK_VERSION" || {
			log "pyspark $SPARK_VERSION cannot be installed"
			return 1
		}
	fi
	# Spark's own jars already hold Scala, Hadoop, lz4, snappy and slf4j.
	JARS=$(ls "$JARS_DIR"/{spark-sql-kafka,spark-token-provider,kafka-clients,commons-pool2}*.jar 2>/dev/null | paste -sd, -)
	[ -n "$JARS" ] || { log "no connector jars in $JARS_DIR"; return 1; }
}

# ---- one relay ---------------------------------------------------------------

# Starts relay NAME reading $1 and writing $2; sets RPID once it runs.
start_relay() {
	local name=$1 from=$2 to=$3 i
	case $name in
	sluice)
		"$SLUICE" relay --bootstrap-servers "$BS" --from "$from" \
			--to "$to" >"$RUN/$name.log" 2>&1 &
		RPID=$!
		;;
	spark-*)
		# in $RUN: Spark writes an artifacts/ directory where it runs
		(cd "$RUN" && exec "$VENV/bin/python" "$HERE/relay.py" "$BS" \
			"$from" "$to" "${name#spark-}" "$RUN/ckpt-$name" \
			"$JARS") >"$RUN/$name.log" 2>&1 &
		RPID=$!
		for i in $(seq 1 120); do
			grep -q '^READY' "$RUN/$name.log" && break
			kill -0 "$RPID" 2>/dev/null || break
			sleep 1
		done
		;;
	esac
	pids+=("$RPID")
	disown "$RPID" 2>/dev/null # no "Killed" line when it is stopped
	sleep 2
	kill -0 "$RPID" 2>/dev/null || {
		log "$name did not start: $(grep -v '^\s*at ' "$RUN/$name.log" | tail -n 4 | tr '\n' ' ')"
		return 1
	}
}

# `sluice bench --mode external` at rate $3 for $4 s; its summary in $5.
ext_bench() {
	"$SLUICE" bench --bootstrap-servers "$BS" --mode external --from "$1" \
		--to "$2" --no-create --rate "$3" --duration "$4" --warmup 2 \
		--json-file "$5" >"$5.log" 2>&1
}

field() { # FILE EXPR: a value of the summary JSON (null if there is none)
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$1" "$2" 2>/dev/null || echo null
}

measure() {
	local name=$1 sfx=$$-$RANDOM from to r f cpu0 cpu1 n max=null loaded=null
	from=sbin-$name-$sfx
	to=sbout-$name-$sfx
	# topics: created by a short topic-mode run, which makes missing ones
	"$SLUICE" bench --bootstrap-servers "$BS" --mode topic --from "$from" \
		--rate 10 --duration 0.2 --warmup 0 >/dev/null 2>&1
	"$SLUICE" bench --bootstrap-servers "$BS" --mode topic --from "$to" \
		--rate 10 --duration 0.2 --warmup 0 >/dev/null 2>&1
	start_relay "$name" "$from" "$to" || { echo "{\"relay\": \"$name\", \"error\": \"did not start\"}" >>"$OUT/spark_relay.json"; return 1; }
	# warm-up: until records come through (Spark's first batches are slow)
	ext_bench "$from" "$to" 100 5 "$RUN/warm.json" || true
	local rates_json=""
	for r in 1000 10000; do
		f=$RUN/$name-$r.json
		cpu0=$(tree_cpu "$RPID")
		ext_bench "$from" "$to" "$r" "$SECS" "$f"
		cpu1=$(tree_cpu "$RPID")
		n=$(field "$f" 'd["received"]')
		rates_json="$rates_json${rates_json:+, }{\"rate\": $r, \"p50_ms\": $(field "$f" 'd["latency_ms"]["p50"]'), \"p99_ms\": $(field "$f" 'd["latency_ms"]["p99"]'), \"p99.9_ms\": $(field "$f" 'd["latency_ms"]["p99.9"]'), \"max_ms\": $(field "$f" 'd["latency_ms"]["max"]'), \"lost\": $(field "$f" 'd["lost"]'), \"cpu_s_per_M\": $(awk -v a="$cpu0" -v b="$cpu1" -v n="${n:-0}" 'BEGIN {printf "%.1f", (n > 0 ? (b - a) / n * 1e6 : -1)}')}"
	done
	if [ "$QUICK" != 1 ]; then
		"$SLUICE" bench --bootstrap-servers "$BS" --mode external \
			--from "$from" --to "$to" --no-create --find-max-rate \
			--p99-bound 5000 --rate 20000 --rate-max 640000 \
			--duration 3 --warmup 1 >"$RUN/$name-max.log" 2>&1
		max=$(sed -n 's/^highest rate within the bound: \([0-9]*\) records.*/\1/p' "$RUN/$name-max.log")
		max=${max:-null}
		# a CPU-bound process on each core
		for _ in $(seq "$(nproc)"); do
			sh -c 'while :; do :; done' &
			busy+=($!)
		done
		f=$RUN/$name-loaded.json
		ext_bench "$from" "$to" 1000 "$SECS" "$f"
		for p in "${busy[@]}"; do kill "$p" 2>/dev/null; done
		busy=()
		loaded="{\"rate\": 1000, \"p50_ms\": $(field "$f" 'd["latency_ms"]["p50"]'), \"p99_ms\": $(field "$f" 'd["latency_ms"]["p99"]'), \"max_ms\": $(field "$f" 'd["latency_ms"]["max"]'), \"lost\": $(field "$f" 'd["lost"]')}"
	fi
	local rss
	rss=$(tree_rss_mb "$RPID")
	kill_tree "$RPID"
	echo "{\"relay\": \"$name\", \"rates\": [$rates_json], \"max_rate\": $max, \"loaded\": $loaded, \"peak_rss_mb\": $rss}" >>"$OUT/spark_relay.json"
}

# ---- the run -----------------------------------------------------------------

mkdir -p "$OUT"
: >"$OUT/spark_relay.json"
status=0
relays="sluice"
if setup_spark; then
	relays="$relays spark-microbatch spark-continuous"
	if "$VENV/bin/python" -c 'from pyspark.sql.streaming import DataStreamWriter as W; import inspect, sys; sys.exit(0 if "realTime" in inspect.signature(W.trigger).parameters else 1)' 2>/dev/null; then
		relays="$relays spark-realtime"
	else
		log "Spark $SPARK_VERSION has no real-time trigger: not measured"
	fi
else
	status=1
fi
for r in $relays; do
	log "measuring $r"
	measure "$r" || status=1
done
python3 "$HERE/table.py" "$OUT/spark_relay.json" || status=1
exit $status
