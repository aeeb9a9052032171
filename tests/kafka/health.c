/* tests/kafka/health.c - consumer lag in the metrics endpoint and the
 * progress JSON, and the /health and /ready probes (engine/metrics.c,
 * docs/METRICS.md), against a real broker (SLUICE_KAFKA_BOOTSTRAP;
 * tests/kafka/run.sh starts one); without one the tests fail, they are
 * never skipped.
 *
 * A Kafka source (2 partitions) feeds a sink plugin of the test's whose
 * write blocks while the test says so: with it stalled, the partition
 * threads fill their rings and stop, and the consumer lag the endpoint
 * shows must rise to what was produced since, less what the rings hold;
 * released, every record reaches the sink and the lag falls to 0, in the
 * endpoint and in the progress JSON's offsetsBehindLatest. /ready is 503
 * with no query, 503 until a consumer group's member holds a partition,
 * then 200; /health turns 503 when a query fails. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"

#include "sluice.h"
#include "sluice_plugin.h"

TestSuite(health, .init = sl_test_kafka_broker_setup);

/* ---- the stalling sink ---------------------------------------------------- */

static atomic_bool stalled, fail_next;
static atomic_long sunk;

static int stall_open(void *ud, const char *const *values, const char *schema,
		      void **state, char *err, size_t errlen)
{
	*state = ud;
	return 0;
}

static int stall_write(void *state, const sl_rows *rows, int64_t epoch,
		       char *err, size_t errlen)
{
	while (atomic_load(&stalled))
		sl_test_sleep_ms(5);
	if (atomic_load(&fail_next)) {
		snprintf(err, errlen, "the test's sink refuses");
		return -1;
	}
	atomic_fetch_add(&sunk, (long)sl_rows_count(rows));
	return 0;
}

static int stall_commit(void *state, int64_t epoch, char *err, size_t errlen)
{
	return 0;
}

static const sl_sink_plugin stall_sink = {
	.size = sizeof(sl_sink_plugin),
	.name = "stall",
	.description = "blocks while the test stalls it",
	.open = stall_open,
	.write = stall_write,
	.commit = stall_commit,
};

/* ---- HTTP ------------------------------------------------------------------ */

typedef struct reply {
	int status;
	char *head, *body;
} reply;

static reply http_get(int port, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	char req[256];
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	reply r = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect: %s", strerror(errno));
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t k = read(fd, buf + n, cap - n - 1);
		cr_assert_geq(k, 0, "read: %s", strerror(errno));
		if (!k)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = 0;
	char *sep = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(sep, "no end of headers in: %s", buf);
	*sep = 0;
	r.head = buf;
	r.body = sep + 4;
	cr_assert_eq(sscanf(buf, "HTTP/1.%*d %d", &r.status), 1, "%s", buf);
	return r;
}

/* The sum of sluice_kafka_consumer_lag over query q's partitions, or -1
 * when it shows none. */
static long long lag_sum(int port, const char *q)
{
	reply r = http_get(port, "/metrics");
	char pre[128];
	long long sum = -1;

	cr_assert_eq(r.status, 200);
	snprintf(pre, sizeof(pre), "sluice_kafka_consumer_lag{query=\"%s\",",
		 q);
	for (const char *p = r.body; p && *p;) {
		if (!strncmp(p, pre, strlen(pre))) {
			const char *v = strchr(p, ' ');
			sum = (sum < 0 ? 0 : sum) + strtoll(v + 1, NULL, 10);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	free(r.head);
	return sum;
}

static void produce(const char *topic, int nparts, int n)
{
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	sl_test_kafka_set(c, "linger.ms", "5");
	rd_kafka_t *p = sl_test_kafka_client_new(RD_KAFKA_PRODUCER, c);

	for (int i = 0; i < n; i++) {
		char v[32];
		int len = snprintf(v, sizeof(v), "v%d", i);
		rd_kafka_resp_err_t e;

		while ((e = rd_kafka_producev(
				p, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_PARTITION(i % nparts),
				RD_KAFKA_V_VALUE(v, (size_t)len),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(p, 10);
		cr_assert_eq(e, 0, "%s", rd_kafka_err2str(e));
	}
	cr_assert_eq(rd_kafka_flush(p, 30000), 0);
	rd_kafka_destroy(p);
}

/* sources[0].offsetsBehindLatest summed, from the last progress, or -1;
 * *max the Spark metric maxOffsetsBehindLatest (-1 when absent). */
static long long progress_lag(sl_query *q, long long *max)
{
	char *text = sl_query_last_progress(q);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	json_t *src = json_array_get(json_object_get(j, "sources"), 0);
	json_t *per = json_object_get(src, "offsetsBehindLatest");
	json_t *m = json_object_get(json_object_get(src, "metrics"),
				    "maxOffsetsBehindLatest");
	long long sum = per ? 0 : -1;
	const char *k;
	json_t *v;

	json_object_foreach (per, k, v)
		sum += json_integer_value(v);
	*max = json_is_string(m) ? strtoll(json_string_value(m), NULL, 10)
				 : -1;
	json_decref(j);
	free(text);
	return sum;
}

static sl_query *start(sl_session *s, const char *topic, const char *group,
		       const char *name)
{
	const char *src_opts[] = { "kafka.bootstrap.servers",
				   sl_test_kafka_broker,
				   "subscribe",
				   topic,
				   "startingOffsets",
				   "earliest",
				   group ? "partitionAssignment" : NULL,
				   "group",
				   "kafka.group.id",
				   group,
				   NULL };
	const char *sink_opts[] = { "trigger", "continuous 100 ms",
				    "queryName", name, NULL };
	sl_frame *f = sl_session_read_stream(s, "kafka", src_opts);
	cr_assert_not_null(f, "read_stream: %s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(f, "stall", sink_opts, NULL);
	cr_assert_not_null(q, "start: %s", sl_session_errmsg(s));
	return q;
}

Test(health, lag_rises_while_the_sink_stalls_and_falls_to_zero)
{
	char topic[128];
	sl_test_kafka_make_ready_topic(topic, sizeof(topic), "lag", 2);
	atomic_store(&stalled, false);
	atomic_store(&fail_next, false);
	atomic_store(&sunk, 0);

	sl_session *s = sl_session_new();
	cr_assert_eq(sl_session_add_sink(s, &stall_sink), 0, "%s",
		     sl_session_errmsg(s));
	int port = sl_session_metrics_start(s, 0);
	cr_assert_gt(port, 0);
	sl_query *q = start(s, topic, NULL, "lagq");

	produce(topic, 2, 1000);
	int64_t deadline = sl_test_now_ms() + 30000;
	long long lag = -1;
	while ((atomic_load(&sunk) < 1000 || (lag = lag_sum(port, "lagq"))) &&
	       sl_test_now_ms() < deadline)
		sl_test_sleep_ms(50);
	cr_assert_eq(atomic_load(&sunk), 1000);
	cr_assert_eq(lag, 0, "lag before the stall: %lld", lag);

	/* Stalled: the rings (32 vectors of up to 1,024 records per
	 * partition) and librdkafka's queue take some; the rest is lag. */
	atomic_store(&stalled, true);
	const int more = 300000;
	produce(topic, 2, more);
	long long peak = 0;
	deadline = sl_test_now_ms() + 30000;
	while (peak < more / 4 && sl_test_now_ms() < deadline) {
		lag = lag_sum(port, "lagq");
		peak = lag > peak ? lag : peak;
		sl_test_sleep_ms(100);
	}
	long long sunk_stalled = atomic_load(&sunk);
	fprintf(stderr, "health: lag %lld with the sink stalled (%d produced, "
			"%lld sunk)\n",
		peak, more, sunk_stalled);
	cr_assert_geq(peak, more / 4, "lag while stalled only %lld", peak);
	cr_assert_leq(peak, more);

	int64_t t0 = sl_test_now_ms();
	atomic_store(&stalled, false);
	deadline = sl_test_now_ms() + 60000;
	while ((atomic_load(&sunk) < 1000 + more ||
		(lag = lag_sum(port, "lagq"))) &&
	       sl_test_now_ms() < deadline)
		sl_test_sleep_ms(50);
	cr_assert_eq(atomic_load(&sunk), 1000 + more, "sunk %ld",
		     atomic_load(&sunk));
	cr_assert_eq(lag, 0, "lag after the stall: %lld", lag);
	fprintf(stderr, "health: lag back to 0 %lld ms after the release\n",
		(long long)(sl_test_now_ms() - t0));

	/* The progress JSON says the same once an epoch has committed
	 * after it. */
	long long max = -1, plag = -1;
	deadline = sl_test_now_ms() + 10000;
	while (((plag = progress_lag(q, &max)) != 0 || max != 0) &&
	       sl_test_now_ms() < deadline)
		sl_test_sleep_ms(100);
	cr_assert_eq(plag, 0, "progress offsetsBehindLatest: %lld", plag);
	cr_assert_eq(max, 0, "progress maxOffsetsBehindLatest: %lld", max);

	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
}

Test(health, ready_flips_as_partitions_are_assigned)
{
	char topic[128], group[160];
	sl_test_kafka_make_ready_topic(topic, sizeof(topic), "ready", 2);
	snprintf(group, sizeof(group), "g-%s", topic);
	atomic_store(&stalled, false);
	atomic_store(&fail_next, false);

	sl_session *s = sl_session_new();
	cr_assert_eq(sl_session_add_sink(s, &stall_sink), 0, "%s",
		     sl_session_errmsg(s));
	int port = sl_session_metrics_start(s, 0);
	cr_assert_gt(port, 0);

	reply r = http_get(port, "/ready");
	cr_assert_eq(r.status, 503, "/ready with no query: %d %s", r.status,
		     r.body);
	cr_assert(strstr(r.body, "no query is running"), "%s", r.body);
	free(r.head);
	r = http_get(port, "/health");
	cr_assert_eq(r.status, 200, "/health: %d %s", r.status, r.body);
	free(r.head);

	int64_t t0 = sl_test_now_ms();
	sl_query *q = start(s, topic, group, "readyq");
	int not_ready = 0;
	int64_t deadline = sl_test_now_ms() + 30000;
	for (;;) {
		r = http_get(port, "/ready");
		if (r.status == 200)
			break;
		cr_assert_eq(r.status, 503);
		cr_assert(strstr(r.body, "readyq"), "%s", r.body);
		not_ready++;
		free(r.head);
		cr_assert_lt(sl_test_now_ms(), deadline, "never ready");
		sl_test_sleep_ms(20);
	}
	cr_assert(strstr(r.body, "ok: 1 queries running, "), "%s", r.body);
	free(r.head);
	/* Ready once it holds a partition; the rebalance starts the
	 * assigned partitions one after the other, so the second follows. */
	for (;;) {
		r = http_get(port, "/ready");
		cr_assert_eq(r.status, 200, "%s", r.body);
		bool both = strstr(r.body, "2 partitions reading");
		free(r.head);
		if (both)
			break;
		cr_assert_lt(sl_test_now_ms(), deadline,
			     "never 2 partitions reading");
		sl_test_sleep_ms(20);
	}
	fprintf(stderr, "health: /ready 200 %lld ms after the start, %d "
			"answers 503 before\n",
		(long long)(sl_test_now_ms() - t0), not_ready);
	cr_assert_gt(not_ready, 0, "/ready was never 503 while the group "
				   "assigned");

	/* A failed query: /health 503 naming it; /ready too. */
	atomic_store(&fail_next, true);
	produce(topic, 2, 10);
	deadline = sl_test_now_ms() + 30000;
	while (sl_query_is_active(q) && sl_test_now_ms() < deadline)
		sl_test_sleep_ms(20);
	cr_assert(!sl_query_is_active(q));
	r = http_get(port, "/health");
	cr_assert_eq(r.status, 503, "/health: %d %s", r.status, r.body);
	cr_assert(strstr(r.body, "readyq") &&
			  strstr(r.body, "the test's sink refuses"),
		  "%s", r.body);
	free(r.head);
	r = http_get(port, "/ready");
	cr_assert_eq(r.status, 503);
	free(r.head);
	sl_query_stop(q);
	sl_session_destroy(s);
}
