/* tests/support/kafka_seq.h - numbered records through a relay, for the
 * Kafka tests (tests/kafka/): sequence numbers produced into an input
 * topic and read back from the output topic, each one's copies counted,
 * so a test sees every record lost or repeated. Compiled once into
 * build/libsltest.a. */
#ifndef SL_TEST_KAFKA_SEQ_H
#define SL_TEST_KAFKA_SEQ_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tests/support/sluice_child.h"

#define SL_TEST_SEQ_MAXPART 8

/* A producer writes values "0" .. "n-1" (sequence numbers) into `in`,
 * sequence s into partition s % nparts: prefill at once, then `rate` a
 * second (0: all at once). A reader reads `out` from the beginning and
 * counts the copies of each sequence number. Delivery reports give each
 * sequence number's input partition and offset. */
typedef struct sl_test_seq_io {
	char in[96], out[96];
	int nparts;
	uint32_t n, prefill, rate;
	_Atomic uint32_t
		limit; /* the producer waits before this one (sl_test_seq_start:
			  n; a test may hold it back and raise it) */
	const char *tag; /* in messages */
	/* producer */
	pthread_t prod_th;
	_Atomic uint32_t produced; /* delivered */
	int32_t *part;		   /* sequence -> input partition */
	int64_t *off;		   /* sequence -> input offset */
	_Atomic bool prod_failed;
	/* reader */
	pthread_t read_th;
	_Atomic bool read_stop;
	uint8_t *count; /* copies seen per sequence */
	_Atomic uint32_t unique;
	_Atomic uint64_t total;
	_Atomic int64_t read_pos[SL_TEST_SEQ_MAXPART]; /* next output offset */
} sl_test_seq_io;

/* An input producer, idempotent, so neither the input's order nor its
 * count depends on retries; delivery reports go to dr with opaque. */
rd_kafka_t *sl_test_seq_producer_new(void *opaque,
				     void (*dr)(rd_kafka_t *rk,
						const rd_kafka_message_t *m,
						void *op));

/* Paced input: record i (from prefill on) is due at t0 + (i - prefill) /
 * rate seconds; waits for it, serving rk meanwhile. */
void sl_test_seq_pace_wait(rd_kafka_t *rk, int64_t t0, uint32_t i,
			   uint32_t prefill, uint32_t rate);

/* Waits for every delivery report, then destroys t and rk. */
void sl_test_seq_producer_done(rd_kafka_t *rk, rd_kafka_topic_t *t);

/* A consumer of partitions 0..nparts-1 of topic from the beginning. */
rd_kafka_t *sl_test_seq_reader_new(const char *topic, int nparts);

/* Starts the reader and the producer; the topics exist. A limit set
 * before (s->limit) holds the producer back until it is raised. */
void sl_test_seq_start(sl_test_seq_io *s, const char *tag, int nparts,
		       uint32_t n, uint32_t prefill, uint32_t rate);

/* Waits for the producer: every record delivered. */
void sl_test_seq_produced(sl_test_seq_io *s);

/* The end offsets of topic's partitions (the sl_test_seq_io's nparts) now. */
void sl_test_seq_topic_ends(const sl_test_seq_io *s, const char *topic,
			    int64_t *hi);

/* Waits until every sequence number is in the output, checking that the
 * children kids[0..nkids) (those running) stay alive. */
void sl_test_seq_wait_all(sl_test_seq_io *s, int64_t timeout_ms,
			  sl_test_child **kids, int nkids);

/* Stops the reader once it has read the whole output topic. */
void sl_test_seq_drain(sl_test_seq_io *s);

/* Frees what sl_test_seq_start allocated (the threads are done). */
void sl_test_seq_free(sl_test_seq_io *s);

#endif
