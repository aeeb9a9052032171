/* tests/support/kafka.c - librdkafka helpers for the Kafka tests: the
 * broker's address, clients, topics, a quiet log callback and librdkafka's
 * mock cluster (tests/support/kafka.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/support/clock.h"

#include "tests/support/kafka.h"

void sl_test_kafka_quiet_log(const rd_kafka_t *rk, int level, const char *fac,
			     const char *buf)
{
}

rd_kafka_mock_cluster_t *sl_test_kafka_mock_up(int nbrokers, rd_kafka_t **host)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set_log_cb(conf, sl_test_kafka_quiet_log);
	*host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(*host, "%s", errstr);
	rd_kafka_mock_cluster_t *mc =
		rd_kafka_mock_cluster_new(*host, nbrokers);
	cr_assert_not_null(mc);
	return mc;
}

void sl_test_kafka_mock_down(rd_kafka_mock_cluster_t **mc, rd_kafka_t **host)
{
	if (*mc)
		rd_kafka_mock_cluster_destroy(*mc);
	if (*host)
		rd_kafka_destroy(*host);
	*mc = NULL;
	*host = NULL;
}

const char *sl_test_kafka_broker;

void sl_test_kafka_broker_setup(void)
{
	sl_test_kafka_broker = getenv("SLUICE_KAFKA_BOOTSTRAP");
	if (sl_test_kafka_broker && *sl_test_kafka_broker)
		return;
	cr_assert_fail("SLUICE_KAFKA_BOOTSTRAP is not set: run the Kafka tests "
		       "with tests/kafka/run.sh, which starts a real broker");
}

rd_kafka_conf_t *sl_test_kafka_conf_new(void)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "bootstrap.servers", sl_test_kafka_broker,
			  errstr, sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, sl_test_kafka_quiet_log);
	return conf;
}

void sl_test_kafka_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char errstr[256];
	cr_assert_eq(rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)),
		     RD_KAFKA_CONF_OK, "%s=%s: %s", k, v, errstr);
}

rd_kafka_t *sl_test_kafka_client_new(rd_kafka_type_t type,
				     rd_kafka_conf_t *conf)
{
	char errstr[256];
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	return rk;
}

void sl_test_kafka_make_topic(char *name, size_t n, const char *base,
			      int nparts)
{
	static atomic_int seq;
	char errstr[256];
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	size_t cnt;

	snprintf(name, n, "%s-%d-%d-%lld", base, (int)getpid(),
		 atomic_fetch_add(&seq, 1),
		 (long long)(sl_test_now_ms() % 100000000));
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(name, nparts, 1, errstr, sizeof(errstr));
	cr_assert_not_null(nt, "%s", errstr);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	cr_assert_not_null(ev, "CreateTopics %s: no answer", name);
	cr_assert_eq(rd_kafka_event_error(ev), 0, "%s",
		     rd_kafka_event_error_string(ev));
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

void sl_test_kafka_make_ready_topic(char *name, size_t n, const char *base,
				    int nparts)
{
	sl_test_kafka_make_topic(name, n, base, nparts);
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	int64_t deadline = sl_test_now_ms() + 15000;
	for (int p = 0; p < nparts; p++) {
		int64_t lo, hi;
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_query_watermark_offsets(rk, name, p, &lo,
							     &hi, 5000)) &&
		       sl_test_now_ms() < deadline)
			sl_test_sleep_ms(20);
		cr_assert_eq(e, 0, "%s-%d not ready: %s", name, p,
			     rd_kafka_err2str(e));
	}
	rd_kafka_destroy(rk);
}

void sl_test_kafka_topic_ends(const char *topic, int nparts, int64_t *hi)
{
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	for (int p = 0; p < nparts; p++) {
		int64_t lo;
		cr_assert_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo,
							      &hi[p], 10000),
			     0);
	}
	rd_kafka_destroy(rk);
}

void sl_test_kafka_take_turns(const char *path)
{
	int fd = open(path, O_CREAT | O_RDWR, 0666);
	cr_assert_geq(fd, 0);
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
}

void sl_test_kafka_fill(rd_kafka_t *rk, const char *topic, int nparts,
			int per)
{
	for (int p = 0; p < nparts; p++)
		for (int i = 0; i < per; i++)
			cr_assert_eq(rd_kafka_producev(
					     rk, RD_KAFKA_V_TOPIC(topic),
					     RD_KAFKA_V_PARTITION(p),
					     RD_KAFKA_V_VALUE("v", 1),
					     RD_KAFKA_V_MSGFLAGS(
						     RD_KAFKA_MSG_F_COPY),
					     RD_KAFKA_V_END),
				     0, "produce %s-%d", topic, p);
	cr_assert_eq(rd_kafka_flush(rk, 10000), 0, "flush %s", topic);
}
