#!/usr/bin/env bash
# tests/pipeline/bench.sh - CLI tests of `sluice demo` and `sluice bench`
# (cli/bench.c): the demo on the embedded cluster, bench in topic mode with
# --json, its errors (unreachable cluster, unknown property, bad command
# line), and bench against a REAL Apache Kafka broker.
#
# The real broker is $SLUICE_KAFKA_BOOTSTRAP when set (tests/kafka/run.sh
# sets it); otherwise this script starts its own with tests/kafka/broker.sh
# (fetched from Maven Central on first use, cached) and stops it at the
# end. If no broker can be had, those tests FAIL: they are never skipped.
#
# Usage: SLUICE=build/sluice tests/pipeline/bench.sh
# Every run is wrapped in `timeout`. Only pass/fail, never timings, decide
# the verdict (the limits are hang guards). Last line: "N passed, M failed";
# exit status non-zero if any failed.
set -u

. "$(dirname "$0")/lib.sh"
kdir=
cleanup() {
	if [ -n "$kdir" ]; then
		"$root/tests/kafka/broker.sh" stop "$kdir" >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

within() {
	[ "$secs" -le "$1" ] && return 0
	why="took ${secs}s, more than $1 s"
	return 1
}
# json_check EXPR: stdout is one JSON object d and the Python expression
# EXPR holds for it. Without python3 the check fails, saying so.
json_check() {
	local msg
	if ! command -v python3 >/dev/null; then
		why="python3 is required (json_check)"
		return 1
	fi
	if msg=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict), "not a JSON object"
assert eval(sys.argv[2]), "false: " + sys.argv[2] + " (sent %s received %s lost %s duplicates %s)" % (d.get("sent"), d.get("received"), d.get("lost"), d.get("duplicates"))
' "$tmp/out" "$1" 2>&1); then
		return 0
	fi
	why="JSON check: $(echo "$msg" | tail -n 1)"
	return 1
}

# The end of a bench report says more than its start.
show_output() {
	sed -n '1,8s/^/     stderr: /p' "$tmp/err"
	tail -n 12 "$tmp/out" | sed 's/^/     stdout: /'
}

# ---- the demo and bench on the embedded cluster -----------------------------

demo_runs() {
	local lines
	run_limit 30 demo
	rc_is 0 && within 20 || return 1
	out_has "entrada" && out_has "salida" && out_has "p99.9 ms" &&
		out_has "lost 0, duplicates 0" &&
		out_has "result: OK" || return 1
	# A line per second: "  <time> <recv/s> <p50> <p99> <p99.9> <max>".
	lines=$(grep -cE '^ +[0-9]+\.[0-9] +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+' \
		"$tmp/out")
	[ "$lines" -ge 8 ] && return 0
	why="$lines per-second latency lines, expected at least 8"
	return 1
}
topic_json() {
	run_limit 30 bench --mode topic --duration 2 --json
	rc_is 0 && within 20 &&
		json_check 'd["sent"] == d["received"] > 0 and d["lost"] == 0 and d["duplicates"] == 0 and d["mode"] == "topic" and d["embedded"] and d["latency_ms"]["count"] > 0 and d["ok"]'
}
relay_embedded_partitions() {
	run_limit 30 bench --partitions 3 --rate 600 --duration 2 --warmup 0.5 \
		--from bin3 --to bout3 --json
	rc_is 0 &&
		json_check 'd["sent"] == d["received"] > 0 and d["lost"] == 0 and d["partitions"] == 3 and d["mode"] == "relay"'
}
wrong_address() {
	run_limit 15 bench --bootstrap-servers 127.0.0.1:1 --duration 2
	rc_is 1 && within 14 &&
		err_has "cannot reach Kafka at '127.0.0.1:1'"
}
unknown_property() {
	run_limit 15 bench --mode topic --duration 1 --kafka no.such.property=1
	rc_is 1 && err_has "kafka.no.such.property" &&
		err_has "No such configuration property"
}
usage_errors() {
	run_limit 5 bench --rate fast
	rc_is 2 && err_has "--rate 'fast'" || return 1
	run_limit 5 bench --mode sideways
	rc_is 2 && err_has "--mode 'sideways'" || return 1
	run_limit 5 bench --from same --to same
	rc_is 2 && err_has "would loop" || return 1
	run_limit 5 bench --help
	rc_is 0 && out_has "usage: sluice bench" && out_has "--bootstrap-servers"
}

# A workload file: zipf keys over 3 partitions, two producer threads, the
# per-second CSV, the HdrHistogram log, which HdrHistogram's own reader
# (tests/pipeline/bench_hdr.py, the hdrhistogram package) must read as the
# summary says, and the plot (tests/pipeline/bench_png.py reads the PNG).
workload_files() {
	local msg rows
	cat > "$tmp/w.json" <<EOW
{"mode": "topic", "rate": 1500, "duration": 2, "warmup": 0,
 "partitions": 3, "keys": "zipf:50:1.2", "producers": 2, "consumers": 2,
 "from": "bwork", "hdr-log": "$tmp/w.hlog", "csv": "$tmp/w.csv",
 "plot": "$tmp/w.png",
 "kafka": {"acks": "all"}}
EOW
	run_limit 40 bench --workload "$tmp/w.json" --json
	rc_is 0 &&
		json_check 'd["ok"] and d["keys"] == "zipf" and d["nkeys"] == 50 and d["producers"] == 2 and d["consumers"] == 2 and d["partitions"] == 3 and d["reordered"] == 0 and d["lost"] == 0 and d["publish_latency_ms"]["count"] == d["sent"] and d["publish_delay_ms"]["count"] == d["sent"] and d["latency_ms"]["p75"] <= d["latency_ms"]["p99.99"] <= d["latency_ms"]["max"]' ||
		return 1
	rows=$(grep -cE '^[0-9.]+(,[0-9.]+){8},[01]$' "$tmp/w.csv")
	[ "$rows" -ge 2 ] || { why="$rows CSV rows in $tmp/w.csv"; return 1; }
	"$root/tests/spark/setup.sh" > /dev/null 2>&1 ||
		{ why="tests/spark/setup.sh failed (the hdrhistogram reader)"; return 1; }
	if ! msg=$("${SPARK_VENV:-$root/build/spark-venv}/bin/python" \
		"$here/bench_hdr.py" "$tmp/w.hlog" "$tmp/out" 2>&1); then
		why="$(echo "$msg" | tail -n 1)"
		return 1
	fi
	echo "     $msg"
	out_has "plot: $tmp/w.png" || err_has "plot: $tmp/w.png" ||
		{ why="the summary does not name the plot"; return 1; }
	msg=$(python3 "$here/bench_png.py" "$tmp/w.png" 2>&1) ||
		{ why="$(echo "$msg" | tail -n 1)"; return 1; }
	echo "     $msg"
}
# The rate finder: a bound every rate meets stops at --rate-max; one no
# rate can meet gives up after a few steps down, with status 1.
find_max_rate() {
	run_limit 60 bench --mode topic --find-max-rate --p99-bound 5000 \
		--rate 500 --rate-max 2000 --duration 0.5 --warmup 0 --from bfind
	rc_is 0 && out_has "highest rate within the bound: 2000 records/s" ||
		return 1
	[ "$(grep -c '^=== step' "$tmp/out")" = 3 ] ||
		{ why="expected 3 steps (500, 1000, 2000)"; return 1; }
	run_limit 60 bench --mode topic --find-max-rate --p99-bound 0.001 \
		--rate 400 --duration 0.5 --warmup 0 --from bfind2
	rc_is 1 && out_has "no rate tried stayed within the bound" || return 1
	local steps
	steps=$(grep -c '^=== step' "$tmp/out")
	[ "$steps" -ge 2 ] && [ "$steps" -le 5 ] ||
		{ why="$steps steps for an impossible bound"; return 1; }
}
# Sizes uniform over 50..500 bytes, the payload from a file: the bytes
# read back average the range's middle.
sizes_and_payload() {
	head -c 5000 "$root/README.md" > "$tmp/payload"
	run_limit 30 bench --mode topic --duration 1.5 --warmup 0 --rate 2000 \
		--size 50-500 --payload-file "$tmp/payload" --from bsize --json
	rc_is 0 &&
		json_check 'd["ok"] and d["size_min"] == 50 and d["size"] == 500 and 230 <= d["received_bytes"] / d["received"] <= 320'
}
bench_option_errors() {
	run_limit 5 bench --keys zipf
	rc_is 2 && err_has "--keys 'zipf'" || return 1
	run_limit 5 bench --keys uniform:0
	rc_is 2 && err_has "--keys '0'" || return 1
	run_limit 5 bench --find-max-rate
	rc_is 2 && err_has "needs --p99-bound" || return 1
	echo '{"rate": "fast"}' > "$tmp/bad.json"
	run_limit 5 bench --workload "$tmp/bad.json"
	rc_is 2 && err_has "--rate 'fast'" && err_has "in the workload file" || return 1
	echo '{"rate": ' > "$tmp/bad2.json"
	run_limit 5 bench --workload "$tmp/bad2.json"
	rc_is 2 && err_has "bad2.json': line" || return 1
	run_limit 5 bench --mode external --from x --to x
	rc_is 2 && err_has "would loop" || return 1
	run_limit 5 bench --size 500-50
	rc_is 2 && err_has "--size '50'" || return 1
	run_limit 10 bench --mode topic --duration 0.5 --payload-file "$tmp/none"
	rc_is 1 && err_has "--payload-file '$tmp/none'"
}

t "sluice demo: relay entrada -> salida, per-second latency, summary, 0 lost" demo_runs
t "bench --mode topic --json: valid JSON, sent == received" topic_json
t "bench relay on 3 partitions (embedded): nothing lost" relay_embedded_partitions
t "bench against 127.0.0.1:1 fails clearly, exit 1, no hang" wrong_address
t "bench with an unknown kafka property fails naming it" unknown_property
t "bench command-line errors exit 2; --help" usage_errors
t "bench --workload: zipf keys, 2 producers, 2 consumers, CSV, an HdrHistogram log read by hdrhistogram, a plot" workload_files
t "bench --find-max-rate stops at --rate-max, and gives up on an impossible bound" find_max_rate
t "bench --size MIN-MAX and --payload-file: the sizes read back average the range" sizes_and_payload
t "bench --keys, --size, --payload-file, --find-max-rate and --workload errors" bench_option_errors

# ---- a real broker ------------------------------------------------------------

bootstrap=${SLUICE_KAFKA_BOOTSTRAP:-}
broker_why=
if [ -z "$bootstrap" ]; then
	echo "bench.sh: SLUICE_KAFKA_BOOTSTRAP not set; starting a broker (tests/kafka/broker.sh)"
	kdir="$tmp/kafka"
	if ! bootstrap=$("$root/tests/kafka/broker.sh" start "$kdir" 2>"$tmp/broker.err"); then
		broker_why="no real broker: tests/kafka/broker.sh start failed: $(tail -n 3 "$tmp/broker.err" | tr '\n' ' ')"
		bootstrap=
	fi
fi
# Topic names of this run: the broker may be shared with other tests.
sfx="$$-$RANDOM"

need_broker() {
	[ -n "$bootstrap" ] && return 0
	why=${broker_why:-no real broker}
	return 1
}
real_relay() {
	need_broker || return 1
	run_limit 60 bench --bootstrap-servers "$bootstrap" --mode relay --rate 5000 \
		--duration 3 --json --from "bench-in-$sfx" --to "bench-out-$sfx"
	rc_is 0 &&
		json_check 'd["sent"] == d["received"] == 20000 and d["lost"] == 0 and d["duplicates"] == 0 and not d["embedded"]' &&
		err_has "created topics bench-in-$sfx and bench-out-$sfx"
}
real_topic_partitions() {
	need_broker || return 1
	run_limit 60 bench --bootstrap-servers "$bootstrap" --mode topic --rate 2000 \
		--duration 2 --partitions 3 --json --from "bench-t3-$sfx"
	rc_is 0 &&
		json_check 'd["sent"] == d["received"] > 0 and d["lost"] == 0 and d["partitions"] == 3'
}
real_missing_topic() {
	need_broker || return 1
	run_limit 20 bench --bootstrap-servers "$bootstrap" --mode topic --duration 1 \
		--no-create --from "bench-missing-$sfx"
	rc_is 1 && within 15 &&
		err_has "topic 'bench-missing-$sfx' does not exist at '$bootstrap'"
}

t "real broker: bench relay at 5000/s for 3 s, 0 lost" real_relay
t "real broker: bench topic on 3 partitions, 0 lost" real_topic_partitions
t "real broker: a missing topic with --no-create fails clearly" real_missing_topic

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
