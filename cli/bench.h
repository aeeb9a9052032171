/* cli/bench.h - `sluice bench` (a fixed-rate Kafka latency benchmark) and
 * `sluice demo` (the same benchmark, relay mode, on the embedded cluster).
 *
 * One implementation (cli/bench.c) serves both: a producer thread sends
 * timestamped records at a fixed rate into a topic; either a checker
 * consumer reads that topic back (mode topic: the cluster itself), or a
 * sluice query relays it to a second topic that the checker reads (mode
 * relay). The checker measures each record's end-to-end latency from its
 * scheduled send time, prints a line every second and a summary at the
 * end. docs/BENCH-TOOL.md is the user's guide. */
#ifndef SL_CLI_BENCH_H
#define SL_CLI_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* relay: producer -> from -> sluice query -> to -> checker.
 * topic: producer -> from -> checker (the cluster alone). */
typedef enum sl_bench_mode {
	SL_BENCH_RELAY = 0,
	SL_BENCH_TOPIC = 1,
} sl_bench_mode;

#define SL_BENCH_MAX_PROPS 64

typedef struct sl_bench_opts {
	const char *bootstrap; /* NULL or "embedded": the embedded cluster */
	sl_bench_mode mode;
	double rate;	       /* records per second, > 0 */
	uint32_t size;	       /* payload bytes, >= SL_BENCH_HEADER */
	double duration_s;     /* measured seconds, after the warmup */
	double warmup_s;       /* seconds sent first, left out of the figures */
	int partitions;	       /* partitions of topics bench creates */
	const char *from, *to; /* topics (topic mode: from only) */
	bool json;	       /* the summary as JSON on stdout */
	bool create;	       /* create missing topics (real cluster) */
	const char *title;     /* the first line printed (demo), or NULL */
	uint32_t nprops;       /* --kafka KEY=VALUE, split */
	const char *prop_key[SL_BENCH_MAX_PROPS];
	const char *prop_value[SL_BENCH_MAX_PROPS];
} sl_bench_opts;

/* Bytes every payload starts with: scheduled send time (CLOCK_MONOTONIC
 * ns), the run's id, the record's sequence number; each 8 bytes, little
 * endian. */
#define SL_BENCH_HEADER 24

/* Sets the defaults of `sluice bench`. */
void sl_bench_defaults(sl_bench_opts *o);
/* Runs one benchmark. Returns the exit status: 0 when every record sent
 * was read back exactly once, 1 on loss, a failed delivery or an error
 * (printed to stderr). */
int sl_bench_run(const sl_bench_opts *o);

int sl_cli_bench(int argc, char **argv); /* sluice bench ... */
void sl_bench_usage(FILE *to);

#endif
