/* io/sink_kafka_internal.h - private to the Kafka sink: its option struct
 * and state, shared by io/sink_kafka.c (options, init, write, commit) and
 * io/sink_kafka_topic.c (the topics it writes: found, made when asked). */
#ifndef SL_IO_SINK_KAFKA_INTERNAL_H
#define SL_IO_SINK_KAFKA_INTERNAL_H

#include "io/kafka_common.h"
#include "io/sink_kafka_txn.h"

#define KSINK "sink 'kafka'"

enum { KSINK_AT_LEAST_ONCE, KSINK_EXACTLY_ONCE };

/* The longest one transactional call (init, offsets, commit) may take,
 * retries included. */
#define KSINK_TXN_OP_MS 30000

struct ksink_conf {
	const char *topic;
	int guarantee; /* KSINK_* */
	int64_t metadata_timeout_ms;
	bool write_timestamp;
	const char *create_topics; /* createTopics: a name, maybe with
				      ${topic} */
	int64_t create_rf;	   /* createTopicsReplicationFactor */
	sl_kvs kafka; /* kafka.* with the prefix removed */
};

/* A vector whose messages are in flight. The live list keeps them in
 * write order, so epochs never decrease along it: the first track's epoch
 * is the oldest with messages in flight. */
struct ksink_track {
	sl_batch *b;
	int64_t epoch;	      /* the vector's epoch (b->epoch at write) */
	int64_t since_ns;     /* when write() produced it */
	uint32_t outstanding; /* messages not yet reported */
	bool sealed;	      /* write() has produced all it will */
	struct ksink_track *prev, *next;
};

struct ksink_topic {
	char *name;
	uint32_t len;
	rd_kafka_topic_t *rkt;
};

struct ksink {
	sl_kafka_events ev; /* the producer's opaque */
	rd_kafka_t *rk;
	const char *bootstrap;
	bool embedded;
	/* metadataTimeout: the longest a look for a topic waits */
	int timeout_ms;
	int key, value, topic, partition, headers; /* columns, -1: none */
	int timestamp; /* writeTimestamp: the column, else -1 */
	rd_kafka_topic_t *fixed;    /* the option topic, if given */
	struct ksink_topic *topics; /* handles for the topic column */
	uint32_t ntopics, captopics, last;
	uint64_t outstanding;	 /* messages produced, not yet reported */
	struct ksink_track live; /* list of tracks in flight (sentinel) */
	int64_t max_wait_ms;	 /* longest a write or commit waits */
	int64_t closed;		 /* continuous: newest epoch commit() closed,
				    -1 none */
	rd_kafka_queue_t *mainq; /* continuous: where delivery reports
				    queue; wakes the sink thread */
	bool failed;
	sl_err fail; /* why, once failed */
	/* metrics (sl_sink_ops.stats): failed delivery reports, and the
	 * producer's retries summed over its brokers in librdkafka's last
	 * statistics; the sink thread's, like the callbacks that set them */
	uint64_t delivery_errors, retries;
	bool eos;    /* deliveryGuarantee 'exactly-once' */
	sl_ktxn txn;
	/* exactly-once, continuous: the newest epoch commit() closed whose
	 * transaction is not committed yet (-1: none), its source ends, and
	 * whether rows of a later epoch have joined the transaction since
	 * (then only the next commit() may commit it). */
	int64_t pend_epoch;
	int64_t *pend_end;
	bool wrote_since;
	int64_t txn_end_ns;  /* when the last transaction commit ended */
	int64_t txn_cost_ns; /* how long it took, deliveries included */
};

/* ---- sink_kafka_topic.c ----------------------------------------------- */

/* Waits, at most metadataTimeout, until the cluster shows rkt's topic;
 * SL_ENOTFOUND (or SL_EKAFKA) with err set naming it otherwise. */
int sl_ksink_check_topic(struct ksink *ks, rd_kafka_topic_t *rkt,
			 sl_err *err);
/* createTopics: makes the topics it names that do not exist yet, with
 * the Kafka source's partition counts; at init, before the topic is
 * looked for. Returns 0 or < 0 with err set. */
int sl_ksink_create_topics(sl_sink *sk, struct ksink *ks, sl_err *err);
/* The handle of the topic a row's topic column names; NULL with err set. */
rd_kafka_topic_t *sl_ksink_topic(struct ksink *ks, const sl_value *v,
				 sl_err *err);

#endif
