#!/usr/bin/env bash
# tests/pipeline/run.sh - end-to-end tests of the `sluice` command: whole
# pipeline files run by the built binary, their console output checked, and
# every kind of bad pipeline refused with its FILE:LINE:COL.
#
# Usage: SLUICE=build/sluice B=build tests/pipeline/run.sh
# (`make pipeline-test` sets both). Every run is wrapped in `timeout 20`, so
# a hang fails its test instead of blocking. Exits non-zero if any test
# fails; the last line is "N passed, M failed".
set -u

. "$(dirname "$0")/lib.sh"
version=$(sed -n 's/^#define SLUICE_VERSION "\(.*\)"/\1/p' \
	"$root/include/sluice.h")

# The files are named relative to here, as messages will name them.
cd "$here" || exit 1

# run ARGS...: runs sluice with a 20 s limit; sets rc and ms (elapsed).
run() {
	run_limit 20 "$@"
}

# The first line of stderr starts with $1.
err_starts() {
	local first
	first=$(head -n 1 "$tmp/err")
	[ "${first#"$1"}" != "$first" ] && return 0
	why="stderr starts: $first
     expected:      $1..."
	return 1
}

# ---- the command line ------------------------------------------------------

help_works() {
	run --help && rc_is 0 && out_has "usage: sluice" &&
		out_has "validate FILE" && out_has "run FILE"
}
version_works() {
	run --version && rc_is 0 && out_has "sluice $version"
}
unknown_command() {
	run frobnicate
	rc_is 2 && err_has "unknown command 'frobnicate'" && err_has "usage:"
}
unknown_flag() {
	run run evens.sql --bogus
	rc_is 2 && err_has "unknown option '--bogus'" && err_has "usage:"
}
no_command() {
	run
	rc_is 2 && err_has "usage:"
}
bad_timeout() {
	run run evens.sql --timeout soon
	rc_is 2 && err_has "--timeout 'soon'"
}
bad_grace() {
	run run evens.sql --grace=-1
	rc_is 2 && err_has "--grace '-1'"
}
missing_file() {
	run run no-such-file.sql
	rc_is 1 && err_has "cannot read no-such-file.sql"
}
options_reference() {
	run options
	rc_is 0 && out_has "rowsPerSecond" && out_has "numRows" &&
		out_has "outputMode"
}

t "--help prints the usage" help_works
t "--version prints SLUICE_VERSION" version_works
t "an unknown command is a usage error" unknown_command
t "an unknown flag is a usage error" unknown_flag
t "no command is a usage error" no_command
t "a bad --timeout is a usage error" bad_timeout
t "a bad --grace is a usage error" bad_grace
t "a missing file fails" missing_file
t "options prints the reference" options_reference

# ---- running pipelines -----------------------------------------------------

# Console output of a run whose rows are one bigint column v: the values,
# one a line, in order.
values_of() {
	grep -E '^\| *-?[0-9]+\|$' "$tmp/out" | tr -d '| '
}

# Spark's console format, and only multiples of 20, every one of them from
# 0 up (nothing lost, nothing twice).
evens_output_ok() {
	out_has "-------------------------------------------" &&
		out_has "Batch: 0" && out_has "+---+" && out_has "|  v|" ||
		return 1
	if grep -vqE '^(-+|Batch: [0-9]+|\+-+\+|\|  v\||\| *-?[0-9]+\||)$' \
		"$tmp/out"; then
		why="unexpected line: $(grep -vE \
			'^(-+|Batch: [0-9]+|\+-+\+|\|  v\||\| *-?[0-9]+\||)$' \
			"$tmp/out" | head -n 1)"
		return 1
	fi
	local vals n want
	vals=$(values_of | sort -n)
	n=$(printf '%s\n' "$vals" | grep -c .)
	if [ "$n" -lt 5 ]; then
		why="only $n rows printed in 3 s at 10 rows/s"
		return 1
	fi
	want=$(seq 0 20 $(((n - 1) * 20)))
	if [ "$vals" != "$want" ]; then
		why="values are not 0, 20, 40, ... without gaps: $(echo $vals)"
		return 1
	fi
	# batches are numbered 0, 1, 2, ... in order
	local batches
	batches=$(sed -n 's/^Batch: //p' "$tmp/out")
	local last=$(($(echo "$batches" | wc -l) - 1))
	if [ "$batches" != "$(seq 0 "$last")" ]; then
		why="batch numbers out of order: $(echo $batches)"
		return 1
	fi
}

acceptance() {
	run run evens.sql --timeout 3
	rc_is 0 || return 1
	if [ "$ms" -gt 10000 ]; then
		why="--timeout 3 took $ms ms"
		return 1
	fi
	evens_output_ok
}

once_exact() {
	run run once.sql
	rc_is 0 || return 1
	if ! cmp -s "$tmp/out" once.out; then
		why="output differs from once.out:
$(diff once.out "$tmp/out" | head -n 20)"
		return 1
	fi
}

progress() {
	run run evens.sql --timeout 2.5 --progress
	rc_is 0 && err_has '"numInputRows"' && err_has '"evens"'
}

# SIG stops a run that has no timeout: clean stop, exit 0.
signal_stops() {
	local sig=$1 pid
	shift
	timeout 20 "$SLUICE" run evens.sql "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 2
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	rc_is 0 && out_has "Batch: 0" && err_has "$sig: stopping"
}

# A query that fails while running (the console cannot write) ends the run
# with its exception and exit 1.
query_failure() {
	local t0
	t0=$(date +%s%N)
	timeout 20 "$SLUICE" run evens.sql >/dev/full 2>"$tmp/err"
	rc=$?
	: >"$tmp/out"
	rc_is 1 &&
		err_starts "evens.sql:13:1: INSERT INTO out: query 'evens' failed:" &&
		err_has "No space left on device"
}

t "acceptance: rate -> WHERE -> SELECT -> console, --timeout 3" acceptance
t "trigger once: exact console output, ends by itself" once_exact
t "--progress prints progress JSON" progress
t "SIGINT stops the queries cleanly" signal_stops INT
t "SIGTERM stops the queries cleanly" signal_stops TERM
t "SIGTERM with --grace drains within the grace period" signal_stops TERM --grace 10
t "a failing query: its exception and exit 1" query_failure

# ---- stateful pipelines: aggregations -----------------------------------------

# serve FILE GROUP...: a line server on a free 127.0.0.1 port (python3)
# for FILE's socket source: FILE is copied to $tmp with its port 9999
# replaced; each GROUP (lines separated by '|') is one write, 0.4 s apart,
# so that each becomes a micro-batch. The connection stays open until
# sluice closes it. Sets sql to the copy. Without python3, or when the
# server does not start, it fails (sets why): the tests that need it fail
# rather than go unrun.
serve() {
	local file=$1 i
	shift
	: >"$tmp/out"
	: >"$tmp/err"
	if ! command -v python3 >/dev/null; then
		why="python3 is required (serve's line server)"
		return 1
	fi
	rm -f "$tmp/port"
	python3 - "$tmp/port" "$@" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
open(sys.argv[1] + '.tmp', 'w').write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
s.settimeout(15)
c, _ = s.accept()
time.sleep(0.3)
for g in sys.argv[2:]:
    c.sendall((g.replace('|', '\n') + '\n').encode())
    time.sleep(0.4)
c.settimeout(15)
try:
    c.recv(1)
except Exception:
    pass
c.close()
PY
	for i in $(seq 50); do
		[ -s "$tmp/port" ] && break
		sleep 0.1
	done
	if [ ! -s "$tmp/port" ]; then
		why="serve's line server (python3) did not start in 5 s"
		return 1
	fi
	sql=$tmp/$(basename "$file")
	sed "s/9999/$(cat "$tmp/port")/" "$file" >"$sql"
}

word_count() {
	serve word_count.sql "apache spark apache" "spark sluice" || return 1
	run run "$sql" --timeout 3
	wait
	rc_is 0 && out_has "|  word|count|" && out_has "|apache|    2|" &&
		out_has "| spark|    2|" && out_has "|sluice|    1|" &&
		out_has "Batch: 1"
}

late_data() {
	local w="|2024-01-01 12" b got
	# Spark's rows for this input, batch by batch, each batch sorted
	# (tests/spark/stateful/watermark_batches.py, "late (step, update)":
	# its data batches 0, 2, 4, 6; the batches without data between emit
	# nothing in update mode, and sluice folds them into the batch before)
	local want=(
		"$w:00:00$w:10:00|dog|1|;$w:00:00$w:10:00|owl|1|;$w:05:00$w:15:00|dog|1|;$w:05:00$w:15:00|owl|1|;"
		"$w:00:00$w:10:00|cat|1|;$w:05:00$w:15:00|cat|1|;$w:05:00$w:15:00|dog|2|;$w:10:00$w:20:00|dog|1|;"
		"$w:00:00$w:10:00|dog|2|;$w:05:00$w:15:00|dog|3|;$w:05:00$w:15:00|owl|2|;$w:10:00$w:20:00|cat|1|;$w:10:00$w:20:00|owl|1|;$w:15:00$w:25:00|cat|1|;$w:15:00$w:25:00|owl|1|;$w:20:00$w:30:00|owl|1|;"
		"$w:10:00$w:20:00|owl|2|;$w:15:00$w:25:00|owl|2|;"
	)
	serve late_data.sql \
		"2024-01-01 12:07:00,dog|2024-01-01 12:08:00,owl" \
		"2024-01-01 12:14:00,dog|2024-01-01 12:09:00,cat" \
		"2024-01-01 12:15:00,cat|2024-01-01 12:08:00,dog|2024-01-01 12:13:00,owl|2024-01-01 12:21:00,owl" \
		"2024-01-01 12:04:00,donkey|2024-01-01 12:17:00,owl" || return 1
	run run "$sql" --timeout 3
	wait
	rc_is 0 && out_has "|start              |end                |word|count|" &&
		out_lacks donkey "the row behind the watermark was counted" &&
		out_lacks "Batch: 4" "more batches than inputs" || return 1
	for b in 0 1 2 3; do
		got=$(awk -v b="Batch: $b" '/^Batch: /{on = ($0 == b)} on && /^\|2024/' \
			"$tmp/out" | sed 's/ *|/|/g' | LC_ALL=C sort | tr '\n' ';')
		[ "$got" = "${want[b]}" ] && continue
		why="batch $b: $got
     Spark:   ${want[b]}"
		return 1
	done
}

flight_counts() {
	run run flight_counts.sql
	rc_is 0 && out_has "Batch: 5" &&
		out_has "|     United States|  736|2348280|" &&
		out_has "|            Canada|    6|  49052|" &&
		out_lacks "Batch: 6" "more batches than files"
}

validate_stateful() {
	run validate late_data.sql
	rc_is 0 && out_has "  watermark timestamp delay 10 minutes" &&
		out_has "  group by window(timestamp, '10 minutes', '5 minutes'), word" &&
		out_has "  schema   start: timestamp, end: timestamp, word: string, count: bigint" &&
		out_has "outputMode update"
}

t "word count from a socket, complete mode" word_count
t "late data: window 10/5 min, watermark 10 min" late_data
t "counts by DEST_COUNTRY_NAME, one file a batch" flight_counts
t "validate prints watermark and group by" validate_stateful

# ---- validate ----------------------------------------------------------------

validate_plan() {
	run validate evens.sql
	rc_is 0 &&
		out_has "pipeline evens.sql: 1 source, 0 views, 1 sink, 1 query" &&
		out_has "source rates (evens.sql:3:1)" &&
		out_has "  format   rate" &&
		out_has "  options  rowsPerSecond=10, numPartitions=2" &&
		out_has "  schema   timestamp: timestamp, value: bigint" &&
		out_has "query INSERT INTO out (evens.sql:13:1)" &&
		out_has "  where    value % 2 = 0" &&
		out_has "  select   value * 10 AS v" &&
		out_has "  schema   v: bigint" &&
		out_has "  write    out (console), outputMode append, trigger" &&
		out_has "trigger continuous"
}
validate_view() {
	run validate once.sql
	rc_is 0 && out_has "view thirds (once.sql:10:1)" &&
		out_has "  where    value % 3 = 0   [view thirds]" &&
		out_has "  read     numbers (rate-micro-batch)"
}
validate_stdin() {
	timeout 20 "$SLUICE" validate - <evens.sql >"$tmp/out" 2>"$tmp/err"
	rc=$?
	rc_is 0 && out_has "pipeline <stdin>:"
}

validate_example() {
	run validate "$root/examples/rate_demo.sql"
	rc_is 0 && out_has "view evens" && out_has "  name     rate_demo"
}

# Every example pipeline in examples/ must stay valid; the ones that can
# run without a server are run elsewhere.
every_example_validates() {
	local f bad=""
	for f in "$root"/examples/*.sql; do
		# from the repository root: example paths are relative to it
		(cd "$root" && "$SLUICE" validate "$f") >/dev/null \
			2>"$tmp/err" ||
			bad="$bad $(basename "$f"): $(head -n 1 "$tmp/err")"
	done
	: >"$tmp/out"
	if [ -n "$bad" ]; then
		why="invalid examples:$bad"
		return 1
	fi
}

t "validate prints the plan" validate_plan
t "every examples/*.sql validates" every_example_validates
t "examples/rate_demo.sql is valid" validate_example
t "validate expands views" validate_view
t "validate reads standard input" validate_stdin

# ---- bad pipelines: run and validate both refuse, at the right place ---------

# bad FILE PREFIX [SUBSTRING...]: run and validate exit 1; stderr starts
# with PREFIX and holds every SUBSTRING; nothing ran.
bad() {
	local file=$1 prefix=$2 cmd s
	shift 2
	for cmd in run validate; do
		run $cmd "$file"
		rc_is 1 || { why="$cmd: $why"; return 1; }
		err_starts "$prefix" || { why="$cmd: $why"; return 1; }
		for s in "$@"; do
			err_has "$s" || { why="$cmd: $why"; return 1; }
		done
		if [ -s "$tmp/out" ]; then
			why="$cmd printed to stdout"
			return 1
		fi
	done
}

t "a misspelt option is named, with a suggestion" \
	bad err_option.sql "err_option.sql:3:27: " \
	"rowsPerSecnd" "rowsPerSecond"
t "an unknown format is named" \
	bad err_format.sql \
	"err_format.sql:2:36: unknown source format 'rat'" "rate"
t "an expression syntax error is located in the file" \
	bad err_expr.sql "err_expr.sql:7:17: " "syntax error"
t "an unknown column is named and located" \
	bad err_column.sql "err_column.sql:4:31: " "vlue"
t "a column neither grouped nor aggregated is refused" \
	bad err_group_by.sql "err_group_by.sql:5:10: expression 'value' is \
neither present in the group by, nor is it an aggregate function"
t "append mode without a watermark is refused" \
	bad err_agg_append.sql "err_agg_append.sql:3:56: Append output mode \
not supported when there are streaming aggregations on streaming \
DataFrames/DataSets without watermark"
t "a missing FROM is an error" \
	bad err_missing_from.sql "err_missing_from.sql:3:40: missing FROM: \
expected FROM <source or view> before 'WHERE'"
t "complete mode without aggregation is refused" \
	bad err_mode.sql "err_mode.sql:3:56: Complete output mode not supported"
t "a sink written twice is an error" \
	bad err_sink_twice.sql "err_sink_twice.sql:4:13: sink 'out' is already \
written by the INSERT INTO at line 3"
t "a file without INSERT INTO has nothing to run" \
	bad err_no_insert.sql "err_no_insert.sql: nothing to run"

t "sluice demo and sluice bench (tests/pipeline/bench.sh, real broker included)" env SLUICE="$SLUICE" B="$B" "$here/bench.sh"

# ---- sluice relay: the command line (the relay itself: tests/kafka/relay_cli.c)

relay_usage() {
	run relay --help
	rc_is 0 && out_has "usage: sluice relay --from" &&
		out_has "--keep-partition" && out_has "--starting-offsets" &&
		out_has "--option KEY=VALUE"
}

# relay_refused STATUS ARGS... -- SUBSTRING...: `sluice relay ARGS` exits
# with STATUS and its stderr holds every SUBSTRING; nothing on stdout.
relay_refused() {
	local status=$1 s
	local -a args=()
	shift
	while [ "$1" != "--" ]; do
		args+=("$1")
		shift
	done
	shift
	run relay "${args[@]}"
	rc_is "$status" || return 1
	for s in "$@"; do
		err_has "$s" || return 1
	done
	if [ -s "$tmp/out" ]; then
		why="printed to stdout"
		return 1
	fi
}

# On the embedded cluster (no --bootstrap-servers) the relay starts,
# says so on one line, and ends at --timeout with status 0.
relay_embedded_timeout() {
	run relay --from in --to out --timeout 1
	rc_is 0 &&
		err_starts "sluice relay: relaying in -> out on the embedded" &&
		err_has "trigger 'continuous 1 second'" &&
		err_has "starting at latest"
}

relay_progress() {
	run relay --from in --to out --timeout 2.5 --progress \
		--query-name in-to-out
	rc_is 0 && err_has '"numInputRows"' && err_has '"name": "in-to-out"'
}

# SIG stops a relay with no timeout: clean stop, exit 0.
relay_signal_stops() {
	local sig=$1 pid i
	timeout 20 "$SLUICE" relay --from in --to out >"$tmp/out" \
		2>"$tmp/err" </dev/null &
	pid=$!
	for i in $(seq 100); do
		grep -q "relaying" "$tmp/err" && break
		sleep 0.1
	done
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	rc_is 0 && err_has "sluice relay: relaying in -> out" &&
		err_has "$sig: stopping"
}

t "relay --help lists the flags" relay_usage
t "relay without --to is refused" \
	relay_refused 2 --from in -- "sluice relay: --to TOPIC is missing"
t "relay without --from is refused" \
	relay_refused 2 --to out -- "sluice relay: --from TOPIC is missing"
t "relay: a misspelt flag is named, with a suggestion" \
	relay_refused 2 --from in --to out --bootstrap-server x -- \
	"unknown option '--bootstrap-server'; did you mean" \
	"'--bootstrap-servers'?"
t "relay: a run option's misspelling is suggested too" \
	relay_refused 2 --from in --to out --timout 1 -- \
	"unknown option '--timout'; did you mean '--timeout'?"
t "relay: --to among the --from topics is refused" \
	relay_refused 2 --from a,out --to out -- "would read its own output"
t "relay: --option needs a side" \
	relay_refused 2 --from in --to out --option linger.ms=0 -- \
	"source.linger.ms or sink.linger.ms"
t "relay: --option may not redo a flag's work" \
	relay_refused 2 --from in --to out --option sink.topic=x -- \
	"the sink's 'topic' is set by --to; use --to"
t "relay: a bad --timeout is refused" \
	relay_refused 2 --from in --to out --timeout -1 -- \
	"--timeout '-1' is not a positive number of seconds"
t "relay: a wrong broker address fails at once, naming it" \
	relay_refused 1 --from in --to out --bootstrap-servers 127.0.0.1:1 -- \
	"sluice relay: cannot start:" "127.0.0.1:1"
t "relay: an unknown librdkafka property is named" \
	relay_refused 1 --from in --to out --option sink.kafka.lingerms=0 -- \
	"sink 'kafka': option 'kafka.lingerms'"
t "relay: a bad trigger is named" \
	relay_refused 1 --from in --to out --trigger 'continuous' -- \
	"trigger 'continuous' is not valid"
t "relay on the embedded cluster ends at --timeout" relay_embedded_timeout
t "relay --progress prints progress JSON under --query-name" relay_progress
t "SIGTERM stops a relay cleanly" relay_signal_stops TERM
t "SIGINT stops a relay cleanly" relay_signal_stops INT

# ---- UNION ALL ----------------------------------------------------------------

# union.sql: every row of both sides once (types widened: int and bigint
# give bigint), a GROUP BY over the union, and two SELECTs over one source.
union_all() {
	local rows want
	run run union.sql
	rc_is 0 || return 1
	rows=$(grep -E '^\| *(small|big)\| *[0-9]+\|$' "$tmp/out" |
		tr -d '| ' | sort)
	want=$(printf '%s\n' small0 small1 small2 small3 big100 big102 big104 |
		sort)
	if [ "$rows" != "$want" ]; then
		why="union rows: $(echo $rows)"
		return 1
	fi
	out_has "|  big|   3|  306|" && out_has "|small|   4|    6|" || return 1
	rows=$(grep -E '^\| *(odd|even) [0-9]+\|$' "$tmp/out" | tr -d '|' |
		sed 's/^ *//' | sort)
	want=$(printf '%s\n' "even 0" "odd 1" "even 2" "odd 3" "even 4" \
		"odd 5" | sort)
	if [ "$rows" != "$want" ]; then
		why="one source on both sides: $(echo $rows)"
		return 1
	fi
	run validate union.sql
	rc_is 0 && out_has "  union all   [view both]" &&
		out_has "  schema   side: string, n: bigint"
}
union_distinct_refused() {
	printf '%s\n' "CREATE SOURCE r WITH (format = 'rate');" \
		"CREATE SINK o WITH (format = 'console');" \
		"INSERT INTO o SELECT value FROM r" \
		"  UNION SELECT value FROM r;" |
		timeout 20 "$SLUICE" validate - >"$tmp/out" 2>"$tmp/err"
	rc=$?
	rc_is 1 && err_starts "<stdin>:4:3: UNION without ALL"
}

t "UNION ALL: both sides' rows, a GROUP BY over them, one source twice" \
	union_all
t "UNION ALL of different column counts is refused at the second SELECT" \
	bad err_union.sql "err_union.sql:6:13: union: the left side has 1 \
column (value) and the right side 2 (value, timestamp)"
t "UNION without ALL is refused by name" union_distinct_refused
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
