/* tests/support/kafka.h - librdkafka helpers shared by the Kafka tests
 * (tests/kafka/) and compiled once into build/libsltest.a: the real
 * broker's address (sl_test_kafka_broker_setup, a suite's .init, sets
 * sl_test_kafka_broker before anything here is used), clients, topics of a
 * test's own, a log callback that keeps librdkafka quiet, and librdkafka's
 * mock cluster in the test's process (a real Kafka protocol server, no
 * broker needed). Tests on a mock cluster set sl_test_kafka_broker to its
 * address before they use the clients here. */
#ifndef SL_TEST_KAFKA_H
#define SL_TEST_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>
#include <stdint.h>

/* A log callback (rd_kafka_conf_set_log_cb) that drops every line: the
 * tests provoke errors on purpose and check them themselves. */
void sl_test_kafka_quiet_log(const rd_kafka_t *rk, int level, const char *fac,
			     const char *buf);

/* librdkafka's mock cluster of nbrokers brokers, in this process. It lives
 * in a client of its own, returned in *host; sl_test_kafka_mock_down
 * frees both. rd_kafka_mock_cluster_bootstraps gives its address. */
rd_kafka_mock_cluster_t *sl_test_kafka_mock_up(int nbrokers, rd_kafka_t **host);
/* Destroys what sl_test_kafka_mock_up made (NULLs are skipped: a suite's
 * .fini may run after a failed .init) and clears both pointers. */
void sl_test_kafka_mock_down(rd_kafka_mock_cluster_t **mc, rd_kafka_t **host);

/* The real broker's address (tests/kafka/run.sh), set by
 * sl_test_kafka_broker_setup; a test on a mock cluster sets it to the
 * cluster's address before it uses the clients here. */
extern const char *sl_test_kafka_broker;

/* A suite's .init: the real broker tests/kafka/run.sh started. Without
 * one the tests fail; they are never skipped. */
void sl_test_kafka_broker_setup(void);

/* A client configuration for sl_test_kafka_broker, logging nothing. */
rd_kafka_conf_t *sl_test_kafka_conf_new(void);
/* Sets k=v on c; the test fails if librdkafka refuses it. */
void sl_test_kafka_set(rd_kafka_conf_t *c, const char *k, const char *v);
/* A client of conf (which it takes); the test fails if none is made. */
rd_kafka_t *sl_test_kafka_client_new(rd_kafka_type_t type,
				     rd_kafka_conf_t *conf);

/* A topic with a name of its own, base-<pid>-<n>-<ms> (runs and the tests
 * of one process share a broker), made with the admin API. */
void sl_test_kafka_make_topic(char *name, size_t n, const char *base,
			      int nparts);

/* sl_test_kafka_make_topic, then waits until every partition answers
 * ListOffsets: metadata names a leader a little before the leader serves
 * (Not leader for partition), and most tests are not about that race. */
void sl_test_kafka_make_ready_topic(char *name, size_t n, const char *base,
				    int nparts);

/* per records of value "v" into each partition 0..nparts-1 of topic
 * through the producer rk, flushed. */
void sl_test_kafka_fill(rd_kafka_t *rk, const char *topic, int nparts,
			int per);

/* The end offsets of partitions 0..nparts-1 of topic now, in hi. */
void sl_test_kafka_topic_ends(const char *topic, int nparts, int64_t *hi);

/* Takes turns with the other tests that lock `path` (run.sh runs a
 * binary's tests two at a time; relays, producers and the broker on two
 * cores would starve each other). Held until the test's process ends. */
void sl_test_kafka_take_turns(const char *path);

#endif
