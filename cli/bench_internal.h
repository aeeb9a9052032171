/* cli/bench_internal.h - what the files of `sluice bench` share and nobody
 * else needs: the run's limits, its state (struct bench), the payload's
 * header codec, and the functions one file calls in the other.
 *
 * cli/bench.c runs a benchmark (the relay query, the checker's loop, the
 * figures and the summary) and reads the command line;
 * cli/bench_cluster.c is the Kafka side: topics (found, created, waited
 * for), the producer thread, the checker consumer's assignment. */
#ifndef SL_CLI_BENCH_INTERNAL_H
#define SL_CLI_BENCH_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/bench.h"
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

	/* producer */
	sl_kafka_events producer_events;
	rd_kafka_t *producer;
	rd_kafka_topic_t *producer_topic;
	pthread_t producer_thread;
	bool producer_started;
	int64_t t0;		    /* scheduled time of record 0 */
	double interval_ns;	    /* between scheduled sends */
	uint64_t scheduled;	    /* records the schedule holds */
	uint64_t warm_n;	    /* the first warm_n records are warmup */
	_Atomic uint64_t sent;	    /* handed to the producer */
	_Atomic uint64_t acked;	    /* delivery reported ok */
	_Atomic uint64_t delivery_failed; /* delivery reported failed */
	_Atomic bool producer_done;
	_Atomic bool producer_stop;
	_Atomic int64_t send_end_ns; /* when the last send happened */
	pthread_mutex_t lock;	     /* the messages below */
	char producer_error[512];    /* first send or delivery failure */
	bool behind;		     /* stopped: could not keep the rate */

	/* checker */
	sl_kafka_events checker_events;
	rd_kafka_t *checker;

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

/* The producer's delivery reports, and its thread (arg: the bench). */
void sl_bench_producer_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
				   void *opaque);
void *sl_bench_producer_main(void *arg);

/* Assigns every partition of the checked topic at its high watermark.
 * Returns 0, or -1 after printing why. */
int sl_bench_checker_setup(struct bench *b);

#endif
