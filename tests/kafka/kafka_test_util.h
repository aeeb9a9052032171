/* tests/kafka/kafka_test_util.h - small librdkafka helpers shared by the
 * Kafka tests that drive the sluice command against the real broker
 * (ckpt_relay.c, stateful_kill.c). The including test sets `broker` (the
 * bootstrap address) before using them. */
#ifndef SL_TEST_KAFKA_UTIL_H
#define SL_TEST_KAFKA_UTIL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *broker;

static inline int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
		      const char *buf)
{
}

static inline rd_kafka_conf_t *conf_new(void)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "bootstrap.servers", broker, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	return conf;
}

static inline void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char errstr[256];
	cr_assert_eq(rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)),
		     RD_KAFKA_CONF_OK, "%s=%s: %s", k, v, errstr);
}

static inline rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char errstr[256];
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	return rk;
}

/* A topic with a name of its own (runs share a broker). */
static inline void make_topic(char *name, size_t n, const char *base, int nparts)
{
	char errstr[256];
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf_new());
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	size_t cnt;

	snprintf(name, n, "%s-%d-%lld", base, (int)getpid(),
		 (long long)(now_ms() % 100000000));
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(name, nparts, 1, errstr, sizeof(errstr));
	cr_assert_not_null(nt, "%s", errstr);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	cr_assert_not_null(ev, "CreateTopics: no answer");
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(
			rd_kafka_event_CreateTopics_result(ev), &cnt);
	cr_assert_eq(cnt, 1);
	cr_assert_eq(rd_kafka_topic_result_error(res[0]), 0, "%s",
		     rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

#endif
