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
 * topic: producer -> from -> checker (the cluster alone).
 * external: producer -> from -> a relay bench does not run -> to ->
 * checker (Spark, MirrorMaker, another sluice: whatever copies from). */
typedef enum sl_bench_mode {
	SL_BENCH_RELAY = 0,
	SL_BENCH_TOPIC = 1,
	SL_BENCH_EXTERNAL = 2,
} sl_bench_mode;

/* Which key record i carries. NONE: no key, record i goes to partition
 * i % partitions; the others name key "k<n>" and let the producer's
 * partitioner place it. */
typedef enum sl_bench_keys {
	SL_BENCH_KEYS_NONE = 0,
	SL_BENCH_KEYS_ROUND_ROBIN, /* n = i % nkeys */
	SL_BENCH_KEYS_UNIFORM,     /* n uniform over nkeys (a hash of i) */
	SL_BENCH_KEYS_ZIPF,        /* n zipf-distributed over nkeys, s = zipf_s */
} sl_bench_keys;

#define SL_BENCH_MAX_PROPS 64
#define SL_BENCH_MAX_KEYS 1000000
#define SL_BENCH_MAX_PRODUCERS 64
#define SL_BENCH_MAX_CONSUMERS 64
#define SL_BENCH_MAX_STEPS 32

typedef struct sl_bench_opts {
	const char *bootstrap; /* NULL or "embedded": the embedded cluster */
	sl_bench_mode mode;
	double rate;	       /* records per second, > 0 */
	uint32_t size;	       /* payload bytes, >= SL_BENCH_HEADER; with
	                          size_min: the largest */
	uint32_t size_min;     /* 0, or sizes uniform in [size_min, size] */
	const char *payload_file; /* the bytes after the header, or NULL */
	double duration_s;     /* measured seconds, after the warmup */
	double warmup_s;       /* seconds sent first, left out of the figures */
	int partitions;	       /* partitions of topics bench creates */
	const char *from, *to; /* topics (topic mode: from only) */
	bool json;	       /* the summary as JSON on stdout */
	bool create;	       /* create missing topics (real cluster) */
	const char *title;     /* the first line printed (demo), or NULL */
	sl_bench_keys keys;    /* key distribution */
	uint32_t nkeys;        /* keys of ROUND_ROBIN/UNIFORM/ZIPF */
	double zipf_s;         /* ZIPF's exponent (default 1) */
	int producers;         /* producer threads (default 1) */
	int consumers;         /* checker consumers, each its own thread
	                          (default 1) */
	const char *json_file; /* the summary JSON also written here */
	const char *csv_file;  /* the per-second figures as CSV */
	const char *hdr_log;   /* end-to-end latency as an HdrHistogram log */
	const char *plot;      /* a PNG of the run */
	/* --rate-steps / --find-max-rate: several runs at rising rates */
	uint32_t nsteps;
	double steps[SL_BENCH_MAX_STEPS];
	bool find_max;
	double p_bound_ms;     /* find-max: the bound on percentile p_pct */
	double p_pct;          /* default 99 */
	double rate_max;       /* find-max: the highest rate tried */
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
/* What one run measured, for the rate finder. */
typedef struct sl_bench_result {
	bool ok;          /* every record received exactly once, no error */
	uint64_t sent, received, lost, duplicates, reordered;
	double throughput; /* records/s received */
	double pct_ms;     /* end-to-end latency at the asked percentile */
	double p99_ms, max_ms;
} sl_bench_result;

/* Runs one benchmark. Returns the exit status: 0 when every record sent
 * was read back exactly once, 1 on loss, a failed delivery or an error
 * (printed to stderr). res (may be NULL) gets the figures. */
int sl_bench_run(const sl_bench_opts *o, sl_bench_result *res);
/* Runs o->steps (or, with o->find_max, rates found by doubling then
 * bisecting) one after the other and prints a table of them and the
 * highest rate whose percentile stayed under the bound with nothing
 * lost. Exit status 0 when one was found (find-max) or every step was
 * ok. */
int sl_bench_steps(const sl_bench_opts *o);

int sl_cli_bench(int argc, char **argv); /* sluice bench ... */
void sl_bench_usage(FILE *to);

#endif
