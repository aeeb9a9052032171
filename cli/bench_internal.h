/* cli/bench_internal.h - what the files of `sluice bench` share and nobody
 * else needs: the run's limits, its state (struct bench), the payload's
 * header codec, and the functions one file calls in the other.
 *
 * cli/bench.c runs a benchmark (the relay query, the checker's loop) and
 * the rate steps; cli/bench_report.c prints and writes what a run
 * measured (per-second lines, the summary, JSON, CSV, the HdrHistogram
 * log); cli/bench_args.c reads the command line and workload files;
 * cli/bench_cluster.c is the Kafka side: topics (found, created, waited
 * for), the producer threads, the checker consumer's assignment. */
#ifndef SL_CLI_BENCH_INTERNAL_H
#define SL_CLI_BENCH_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/bench.h"
#include "core/histogram.h"
#include "io/kafka_common.h"
#include "sluice.h"

#define BENCH "sluice bench"
#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

/* How long setup steps (metadata, topic creation) may take. */
#define SETUP_TIMEOUT_MS 10000
/* After the last send: give up waiting for records that do not come once
 * none has arrived for this long ... */
#define DRAIN_IDLE_NS (5 * NS_PER_S)
/* ... or this long after the producer is done, whatever happens. */
#define DRAIN_MAX_NS (30 * NS_PER_S)
/* The producer stops when it is this far behind the end of its schedule
 * (the cluster cannot take the rate); what it sent is still checked. */
#define BEHIND_MAX_NS (2 * NS_PER_S)
/* Between setting up and the first send: connections settle. */
#define START_DELAY_NS (300 * NS_PER_MS)

/* ---- the run's state ----------------------------------------------------- */

struct bench;
/* What one producer thread is given. */
struct bench_producer {
	struct bench *b;
	int index;
};

struct bench {
	const sl_bench_opts *opts;
	const char *bootstrap; /* what clients connect to */
	bool embedded;
	sl_kvs props; /* --kafka KEY=VALUE */
	sl_kv kv[SL_BENCH_MAX_PROPS];
	FILE *out; /* human output: stdout, or stderr under --json */

	uint64_t run_id;
	int from_parts, to_parts;
	const char *check_topic;
	int check_parts;

	/* producers: one client, o->producers threads; thread k sends the
	 * records whose order class (sl_bench_class) is k modulo their
	 * number, so the records of one key (or of one partition, without
	 * keys) leave in sequence order */
	sl_kafka_events producer_events;
	rd_kafka_t *producer;
	rd_kafka_topic_t *producer_topic;
	pthread_t producer_thread[SL_BENCH_MAX_PRODUCERS];
	struct bench_producer pargs[SL_BENCH_MAX_PRODUCERS];
	int producers_started;
	_Atomic int producers_running;
	double *zipf_cdf; /* ZIPF: P(key <= n), nkeys entries */
	uint8_t *payload; /* --payload-file's bytes, payload_len of them */
	size_t payload_len;
	uint32_t nclasses; /* order classes: keys, or from_parts */
	int64_t t0;		    /* scheduled time of record 0 */
	double interval_ns;	    /* between scheduled sends */
	uint64_t scheduled;	    /* records the schedule holds */
	uint64_t warm_n;	    /* the first warm_n records are warmup */
	_Atomic uint64_t sent;	    /* handed to the producer */
	/* publish figures, under hlock: acknowledgement latency (from the
	 * send to its delivery report) and delay (from the scheduled time
	 * to the send), this second's and the run's measured ones */
	pthread_mutex_t hlock;
	sl_histogram pub_sec, pub_all, delay_sec, delay_all;
	_Atomic uint64_t acked;	    /* delivery reported ok */
	_Atomic uint64_t delivery_failed; /* delivery reported failed */
	_Atomic bool producer_done;
	_Atomic bool producer_stop;
	_Atomic int64_t send_end_ns; /* when the last send happened */
	pthread_mutex_t lock;	     /* the messages below */
	char producer_error[512];    /* first send or delivery failure */
	_Atomic bool behind;	     /* stopped: could not keep the rate */

	/* checkers: nconsumers consumers, consumer k assigned the
	 * partitions p with p % nconsumers == k; the first is polled on the
	 * main thread, the others on threads of their own */
	int nconsumers;
	sl_kafka_events checker_events[SL_BENCH_MAX_CONSUMERS];
	rd_kafka_t *checker[SL_BENCH_MAX_CONSUMERS];
	pthread_t checker_thread[SL_BENCH_MAX_CONSUMERS];
	int checkers_started; /* threads, for consumers 1.. */
	_Atomic bool checkers_stop;

	/* relay */
	sl_session *session;
	sl_query *q;
};

/* The payload header's fields: 8 bytes each, little endian. */
static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- what the checker counts (cli/bench.c), and reports ---------------- */

struct second {
	double t;   /* end of the second, since t0 */
	uint64_t n; /* records received in it */
	int64_t p50, p99, p999, max;
	int64_t pub_p99, delay_p99; /* publish latency and delay */
	uint64_t lag;               /* sent - received at the second's end */
};

struct tally {
	pthread_mutex_t lock; /* everything below: the checkers update it */
	sl_histogram sec;  /* this second's records */
	sl_histogram all;  /* every measured (post-warmup) record */
	uint8_t *seen;	   /* bitmap of sequence numbers */
	uint64_t *last;    /* per order class: the last sequence seen + 1 */
	uint64_t received; /* distinct records of this run */
	uint64_t bytes;    /* their payload bytes */
	uint64_t dups;
	uint64_t reordered; /* behind an earlier-sent one of its class */
	uint64_t foreign;  /* not this run's, or malformed */
	int64_t first_ns;  /* first measured record received */
	int64_t last_ns;   /* last measured record received */
	uint64_t measured; /* measured records received */
	struct second *secs;
	uint32_t nsecs, capsecs;
	char cons_err[256]; /* last consumer error */
	FILE *hdr;          /* --hdr-log, or NULL */
	FILE *csv;          /* --csv, or NULL */
};

/* The payload size of record i (--size MIN-MAX: uniform, a hash of i). */
uint32_t sl_bench_size(const struct bench *b, uint64_t i);
/* The mean payload size, for MB/s. */
double sl_bench_mean_size(const sl_bench_opts *o);

/* The key number of record i (SL_BENCH_KEYS_NONE: none, UINT32_MAX). */
uint32_t sl_bench_key(const struct bench *b, uint64_t i);
/* The order class of record i: its key, or without keys its partition. */
uint32_t sl_bench_class(const struct bench *b, uint64_t i);

/* ---- reports (cli/bench_report.c) ------------------------------------- */

/* Opens the --csv and --hdr-log files and writes their headers. -1 after
 * printing why. */
int sl_bench_report_open(struct bench *b, struct tally *t);
void sl_bench_report_close(struct tally *t);
void sl_bench_print_header(struct bench *b);
/* Ends a second (at `at` s since t0, `len` s long): its line, its CSV row
 * and HdrHistogram interval, then resets the second's histograms. */
void sl_bench_end_second(struct bench *b, struct tally *t, double at,
			 double len);
/* The summary (human, and JSON with --json / --json-file); fills res. */
void sl_bench_print_summary(struct bench *b, struct tally *t, bool failed,
			    sl_bench_result *res);
/* Writes h as one interval line of an HdrHistogram log (V2 compressed
 * encoding, base64): start and length in seconds, values in ns, the max
 * in ms. 0 or -1. */
int sl_bench_hdr_interval(FILE *f, const sl_histogram *h, double start_s,
			  double len_s);
/* Draws the run (latency per second, the percentile distributions) into
 * the PNG file path (cli/bench_plot.c). 0 or -1. */
int sl_bench_plot(struct bench *b, const struct tally *t, const char *path);
/* The HdrHistogram log's header lines; start_wall_s: the run's start,
 * seconds since the epoch. */
void sl_bench_hdr_header(FILE *f, double start_wall_s);

/* "sluice bench: <message>" on stderr. */
void sl_bench_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sleeps until t (CLOCK_MONOTONIC ns), whatever signals arrive. */
void sl_bench_sleep_until(int64_t t);

/* ---- the cluster side (cli/bench_cluster.c) ------------------------------ */

/* Makes sure the run's topics exist (embedded: creates them; a real
 * cluster: creates missing ones unless --no-create) and have leaders;
 * learns their partition counts (from_parts, to_parts). Returns 0, or -1
 * after printing why. */
int sl_bench_topics_setup(struct bench *b);

/* The producer's delivery reports, and its threads (arg: a struct
 * bench_producer). */
void sl_bench_producer_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
				   void *opaque);
void *sl_bench_producer_main(void *arg);
/* Prepares the key distribution (ZIPF's table) and reads --payload-file.
 * -1 after printing why. */
int sl_bench_keys_setup(struct bench *b);

/* Assigns every partition of the checked topic at its high watermark.
 * Returns 0, or -1 after printing why. */
int sl_bench_checker_setup(struct bench *b);

#endif
