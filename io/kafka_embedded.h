/* io/kafka_embedded.h - the embedded Kafka cluster: librdkafka's mock
 * cluster (rdkafka_mock.h) running inside the process.
 *
 * The Kafka source and sink use it when kafka.bootstrap.servers is absent
 * or "embedded", so the demo and a first pipeline need nothing installed.
 * It speaks the Kafka protocol over loopback TCP (kcat can talk to it), but
 * it is slow and keeps everything in memory: it is for demos, function
 * tests and fault injection, not for benchmarks (docs/BENCHMARKS.md,
 * "The machine"). One
 * cluster per process, started on first use, living until
 * sl_kafka_embedded_shutdown() or the end of the process. Thread-safe. */
#ifndef SL_IO_KAFKA_EMBEDDED_H
#define SL_IO_KAFKA_EMBEDDED_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "core/value.h"

/* The cluster's bootstrap servers ("127.0.0.1:PORT"), starting it if
 * needed. The string lives as long as the cluster. Returns NULL with err
 * set if it cannot start. */
const char *sl_kafka_embedded_bootstrap(sl_err *err);

/* Creates a topic of `partitions` partitions (replication 1) on the
 * embedded cluster, starting it if needed. Creating one that exists is not
 * an error. Returns 0 or SL_EKAFKA with err set. */
int sl_kafka_embedded_topic_create(const char *topic, int partitions,
				   sl_err *err);

/* The cluster, for fault injection (rd_kafka_mock_*), or NULL if it is not
 * running. */
rd_kafka_mock_cluster_t *sl_kafka_embedded_cluster(void);

/* Stops the cluster (clients still connected to it see their broker go
 * away). The next use starts a new, empty one. */
void sl_kafka_embedded_shutdown(void);

#endif
