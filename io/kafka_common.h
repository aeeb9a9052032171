/* io/kafka_common.h - what the Kafka source and sink share: the librdkafka
 * configuration they build (sluice's latency-first defaults under the
 * user's `kafka.*` options), the bootstrap address (a named cluster or the
 * embedded one), and the client events (errors, logs) librdkafka reports
 * through callbacks.
 *
 * Data flow: source_kafka.c (consumer, one queue per partition thread) and
 * sink_kafka.c (producer, on the sink thread) each own one rd_kafka_t made
 * from sl_kafka_conf_new(). Nothing here runs on the data path. */
#ifndef SL_IO_KAFKA_COMMON_H
#define SL_IO_KAFKA_COMMON_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdbool.h>

#include "io/plugin.h"

typedef enum sl_kafka_role {
	SL_KAFKA_CONSUMER,
	SL_KAFKA_PRODUCER,
} sl_kafka_role;

/* What librdkafka reported through its error and log callbacks, kept for
 * error messages: librdkafka never prints (sluice prints nothing unless
 * asked), and a failure can then say why ("Connect to ipv4#127.0.0.1:1
 * failed: Connection refused"). Set as the conf's opaque; the callbacks
 * run on whichever thread serves the client's main queue, so the fields
 * are behind a mutex. */
typedef struct sl_kafka_events {
	pthread_mutex_t lock;
	bool all_brokers_down; /* RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN seen */
	bool auth_failed;      /* the cluster refused the credentials
				  (SASL) or the certificate (TLS) */
	bool fatal;	       /* a fatal error: the client cannot go on */
	int last_err;	       /* rd_kafka_resp_err_t of the last error */
	char last_msg[256];    /* its text, or the last warning logged */
	char bootstrap[256];   /* the servers the client was given */
	/* The session's logger, taken at init (core/log.h): the client's
	 * log lines go there at SL_LOG_DEBUG. */
	const struct sl_logger *log;
} sl_kafka_events;

void sl_kafka_events_init(sl_kafka_events *ev);
void sl_kafka_events_destroy(sl_kafka_events *ev);
/* Copies the last error text into buf ("" if none). */
void sl_kafka_events_last(sl_kafka_events *ev, char *buf, size_t n);
/* Records an error the client gets past by itself (a consumer error
 * librdkafka retries, such as a fetch timed out by the broker) as the last
 * one, so status and a later failure can tell what happened. */
void sl_kafka_events_note(sl_kafka_events *ev, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The bootstrap servers to use: kafka.bootstrap.servers (or
 * kafka.metadata.broker.list) as given, or, when it is absent, empty or
 * "embedded", the process's embedded cluster (io/kafka_embedded.h), started
 * on first use. *embedded tells which. Returns NULL with err set if the
 * embedded cluster cannot start. */
const char *sl_kafka_bootstrap(const sl_kvs *kafka, bool *embedded,
			       sl_err *err);

/* A librdkafka configuration for role: sluice's defaults (latency first,
 * see kafka_common.c), then every `kafka.<property>` the user gave
 * (`kafka` holds them with the prefix removed), then bootstrap. Properties
 * sluice manages itself are refused with the option to use instead. An
 * unknown or invalid property is an error naming the option and quoting
 * librdkafka. `ev` becomes the conf's opaque and receives error and log
 * callbacks. comp names the component in messages ("source 'kafka'").
 * Returns NULL with err set (code SL_EOPTION). */
rd_kafka_conf_t *sl_kafka_conf_new(sl_kafka_role role, const sl_kvs *kafka,
				   const char *bootstrap, bool embedded,
				   sl_kafka_events *ev, const char *comp,
				   sl_err *err);

/* Creates the client from conf (takes ownership of conf, also on
 * failure). Returns NULL with err set. */
rd_kafka_t *sl_kafka_client_new(sl_kafka_role role, rd_kafka_conf_t *conf,
				const char *comp, sl_err *err);

/* Metadata of every topic of the cluster, waiting at most timeout_ms.
 * Gives up early, with librdkafka's reason, when every broker is down (a
 * wrong address fails in about a second, not after the whole timeout).
 * Returns 0 and *md (free with rd_kafka_metadata_destroy), or SL_EKAFKA /
 * SL_ETIMEOUT with err set. */
int sl_kafka_metadata(rd_kafka_t *rk, sl_kafka_events *ev, int timeout_ms,
		      const rd_kafka_metadata_t **md, const char *comp,
		      sl_err *err);

/* The same for the one topic of rkt. The request is the one producing to
 * the topic would make, so a cluster that creates topics on first use
 * (auto.create.topics.enable) creates it here, as it would on the first
 * record. A topic that does not exist comes back with its error
 * (UNKNOWN_TOPIC_OR_PART), not as a failure. */
int sl_kafka_topic_metadata(rd_kafka_t *rk, sl_kafka_events *ev,
			    rd_kafka_topic_t *rkt, int timeout_ms,
			    const rd_kafka_metadata_t **md, const char *comp,
			    sl_err *err);

/* The entry of topic name in md (from sl_kafka_metadata or
 * sl_kafka_topic_metadata), or NULL when md does not list it. The entry
 * lives as long as md. */
const rd_kafka_metadata_topic_t *sl_kafka_md_find(const rd_kafka_metadata_t *md,
						  const char *name);

/* Whether t (an entry of sl_kafka_md_find, may be NULL) is a topic that
 * exists and whose partitions all have a leader: a topic created a moment
 * ago is listed before its partitions have one, and reading or producing
 * then fails. */
bool sl_kafka_md_ready(const rd_kafka_metadata_topic_t *t);

/* The topics the Kafka source src reads and their partition counts (the
 * highest partition it knows plus one), at most max of them, into
 * names[] (living as long as src) and nparts[]. Returns how many, or -1
 * when src is not the Kafka source (io/source_kafka_offsets.c). */
int sl_kafka_source_topics(const sl_source *src, const char **names,
			   int32_t *nparts, int max);

/* ---- exactly-once (io/source_kafka_offsets.c) ----------------------------
 *
 * A Kafka sink with deliveryGuarantee 'exactly-once' commits each epoch's
 * output and the source's offsets in one Kafka transaction, so the
 * consumer group's committed offsets are where the last committed
 * transaction ended (docs/KAFKA.md, "Exactly once"). */

/* The sink's init, before any partition opens: src must be the Kafka
 * source (manual assignment, kafka.group.id given, read_committed). From
 * now on a partition opens at the group's committed offset (the
 * checkpoint's, or startingOffsets, only where the group has none), and
 * the source commits nothing to the group itself. keep_resume
 * (micro-batch): a partition the checkpoint resumes starts at the
 * checkpoint's offset instead, since the engine re-runs the batch it
 * planned. Returns 0 and the group id in *group (lives as long as src),
 * or SL_EOPTION with err set naming what is missing. comp names the
 * caller in messages. */
int sl_kafka_source_exactly_once(sl_source *src, bool keep_resume,
				 const char **group, const char *comp,
				 sl_err *err);

/* The group's committed offsets of the source's partitions 0..n-1 in
 * out (-1 where it has none), waiting at most timeout_ms. Returns 0 or
 * SL_EKAFKA with err set. */
int sl_kafka_source_group_offsets(const sl_source *src, int64_t *out,
				  uint32_t n, int timeout_ms, sl_err *err);

/* The offsets to commit for an epoch whose source partitions end at
 * ends[0..n) (-1: not read, left out), as Kafka's topic-partitions. NULL
 * when out of memory. Free with rd_kafka_topic_partition_list_destroy. */
rd_kafka_topic_partition_list_t *
sl_kafka_source_offsets(const sl_source *src, const int64_t *ends, uint32_t n);

#endif
