/* tests/kafka/faults.c - a Kafka-to-Kafka relay (the public API: kafka
 * source -> SELECT key, value -> kafka sink, trigger continuous 1 second)
 * under faults, and the errors a user gets for a wrong setup.
 *
 * Faults come from librdkafka's mock cluster (rd_kafka_mock_*), one per
 * test, in the test's process: two brokers, the input topic led by broker
 * 1 and the output topic by broker 2, so an error injected on one broker
 * hits only the source's fetches or only the sink's produce requests.
 *
 *   - every broker down, then up again, while records flow
 *   - retriable Produce errors on the output topic: retried
 *   - a non-retriable Produce error: the query stops, naming topic and error
 *   - Fetch errors on the input topic: the query keeps running
 *   - a wrong broker address (127.0.0.1:1), for the source and the sink
 *   - a missing topic (on the real broker), for the source and the sink
 *   - an unknown kafka.* property, for the source and the sink
 *
 * "Nothing acknowledged is lost": every record the test's producer had
 * acknowledged (delivery report without error) before, during and after a
 * fault is in the output at least once. Duplicates are allowed under
 * faults (the sink is at-least-once) and reported in the log.
 *
 * The missing-topic tests need the real broker of SLUICE_KAFKA_BOOTSTRAP
 * (tests/kafka/run.sh); without it they fail, never skip. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"

#include "sluice.h"

/* Kafka protocol ApiKeys. */
#define API_PRODUCE 0
#define API_FETCH 1

#define IN "in"
#define OUT "out"
#define IN_LEADER 1
#define OUT_LEADER 2
#define MAXREC 4000

/* ---- the mock cluster ---------------------------------------------------- */

static rd_kafka_t *host_rk;
static rd_kafka_mock_cluster_t *mc;
static const char *bs; /* the bootstrap servers the test uses */

static void cluster_up(void)
{
	mc = sl_test_kafka_mock_up(2, &host_rk);
	bs = rd_kafka_mock_cluster_bootstraps(mc);
	cr_assert_eq(rd_kafka_mock_topic_create(mc, IN, 1, 1), 0);
	cr_assert_eq(rd_kafka_mock_topic_create(mc, OUT, 1, 1), 0);
	cr_assert_eq(rd_kafka_mock_partition_set_leader(mc, IN, 0, IN_LEADER),
		     0);
	cr_assert_eq(rd_kafka_mock_partition_set_leader(mc, OUT, 0,
							OUT_LEADER),
		     0);
}

static void cluster_down(void)
{
	sl_test_kafka_mock_down(&mc, &host_rk);
}

/* ---- the test's producer and checker ------------------------------------- */

static rd_kafka_t *client(rd_kafka_type_t type, const char *servers)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "fetch.wait.max.ms", "5", errstr,
			  sizeof(errstr));
	if (type == RD_KAFKA_CONSUMER) {
		rd_kafka_conf_set(conf, "group.id", "faults-checker", errstr,
				  sizeof(errstr));
	} else {
		rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
				  sizeof(errstr));
		/* Long enough to outlive any outage in these tests. */
		rd_kafka_conf_set(conf, "message.timeout.ms", "60000", errstr,
				  sizeof(errstr));
	}
	rd_kafka_conf_set_log_cb(conf, sl_test_kafka_quiet_log);
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	return rk;
}

/* Records "r<i>" (key "k<i % 7>") for i in [first, first + n) into IN.
 * Returns once each is acknowledged (asserted). */
static void produce(int first, int n)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bs);

	for (int i = first; i < first + n; i++) {
		char k[16], v[16];

		snprintf(k, sizeof(k), "k%d", i % 7);
		snprintf(v, sizeof(v), "r%d", i);
		cr_assert_eq(rd_kafka_producev(
				     rk, RD_KAFKA_V_TOPIC(IN),
				     RD_KAFKA_V_KEY(k, strlen(k)),
				     RD_KAFKA_V_VALUE(v, strlen(v)),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
	}
	cr_assert_eq(rd_kafka_flush(rk, 60000), 0,
		     "records %d..%d not acknowledged", first, first + n - 1);
	rd_kafka_destroy(rk);
}

/* Reads OUT from the start; counts how often each "r<i>" came. */
struct checker {
	rd_kafka_t *rk;
	int seen[MAXREC];
	int got, dups, bad;
};

static void checker_start(struct checker *c)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);

	memset(c, 0, sizeof(*c));
	c->rk = client(RD_KAFKA_CONSUMER, bs);
	rd_kafka_topic_partition_list_add(l, OUT, 0)->offset =
		RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(c->rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
}

/* Until records [0, upto) all came once or more, ms passed, or the
 * query q (if given) stopped. */
static bool checker_wait(struct checker *c, int upto, int64_t ms,
			 sl_query *q)
{
	int64_t deadline = sl_test_now_ms() + ms;

	for (;;) {
		bool all = true;

		for (int i = 0; i < upto && all; i++)
			all = c->seen[i] > 0;
		if (all)
			return true;
		if (sl_test_now_ms() > deadline ||
		    (q && !sl_query_is_active(q)))
			return false;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
		if (!m)
			continue;
		if (!m->err) {
			char v[16];
			int i;

			snprintf(v, sizeof(v), "%.*s", (int)m->len,
				 (const char *)m->payload);
			if (sscanf(v, "r%d", &i) == 1 && i >= 0 &&
			    i < MAXREC) {
				c->dups += c->seen[i]++ > 0;
				c->got++;
			} else {
				c->bad++;
			}
		}
		rd_kafka_message_destroy(m);
	}
}

static int checker_first_missing(const struct checker *c, int upto)
{
	for (int i = 0; i < upto; i++)
		if (!c->seen[i])
			return i;
	return -1;
}

static void checker_stop(struct checker *c)
{
	rd_kafka_consumer_close(c->rk);
	rd_kafka_destroy(c->rk);
}

/* ---- the relay ------------------------------------------------------------- */

static sl_query *relay(sl_session *s, const char *extra_key,
		       const char *extra_value)
{
	const char *src_opts[] = {
		"kafka.bootstrap.servers", bs,
		"subscribe", IN,
		"startingOffsets", "earliest",
		/* The mock cluster answers a fetch only when its wait ends. */
		"kafka.fetch.wait.max.ms", "5",
		NULL,
	};
	const char *sink_opts[] = {
		"kafka.bootstrap.servers", bs,
		"topic", OUT,
		"trigger", "continuous 1 second",
		extra_key, extra_value,
		NULL,
	};
	sl_frame *f = sl_session_read_stream(s, "kafka", src_opts);

	cr_assert_not_null(f, "sl_session_read_stream: %s", sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){ "key", "value", NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(f, "kafka", sink_opts, NULL);
	cr_assert_not_null(q, "sl_frame_start: %s", sl_session_errmsg(s));
	return q;
}

static const char *exc(sl_query *q)
{
	const char *e = sl_query_exception(q);

	return e ? e : "(none)";
}

/* Why a query that must fail did: the session's message when it did not
 * start, else its exception once it stopped, within wait_ms (started at
 * t0); the test fails if it still runs then ("the query still runs after
 * N ms <doing>"). */
static const char *failure(sl_session *s, sl_query *q, int64_t t0,
			   int64_t wait_ms, const char *doing)
{
	if (!q)
		return sl_session_errmsg(s);
	int rc = sl_query_await(q, wait_ms);

	cr_assert_eq(rc, SL_ESTOPPED,
		     "the query still runs after %lld ms %s (status %d)",
		     (long long)(sl_test_now_ms() - t0), doing, rc);
	return exc(q);
}

/* The relay keeps running and everything in [0, upto) came out. */
static void expect_all(sl_query *q, struct checker *c, int upto,
		       int64_t ms, const char *when)
{
	bool ok = checker_wait(c, upto, ms, q);

	cr_assert(sl_query_is_active(q), "%s: the relay stopped: %s", when,
		  exc(q));
	cr_assert(ok, "%s: record r%d of %d never came out (%d read)", when,
		  checker_first_missing(c, upto), upto, c->got);
	cr_assert_eq(c->bad, 0);
}

TestSuite(faults, .init = cluster_up, .fini = cluster_down);

/* Every broker goes away for 3 s while records keep coming, then comes
 * back: the relay rides it out, and every record acknowledged before,
 * during and after is relayed. */
Test(faults, brokers_down_then_up)
{
	struct checker c;
	sl_session *s = sl_session_new();
	sl_query *q = relay(s, NULL, NULL);

	checker_start(&c);
	produce(0, 300);
	expect_all(q, &c, 300, 15000, "before the outage");

	rd_kafka_mock_broker_set_down(mc, IN_LEADER);
	rd_kafka_mock_broker_set_down(mc, OUT_LEADER);
	sleep(3);
	cr_assert(sl_query_is_active(q), "during the outage: %s", exc(q));
	rd_kafka_mock_broker_set_up(mc, IN_LEADER);
	rd_kafka_mock_broker_set_up(mc, OUT_LEADER);
	produce(300, 300);
	expect_all(q, &c, 600, 30000, "after the outage");

	/* A second outage of the output's broker only, records produced
	 * meanwhile: the sink must retry, not drop them. */
	rd_kafka_mock_broker_set_down(mc, OUT_LEADER);
	produce(600, 300);
	sleep(2);
	rd_kafka_mock_broker_set_up(mc, OUT_LEADER);
	expect_all(q, &c, 900, 30000, "after the output broker's outage");
	cr_log_info("brokers down/up: %d records read, %d duplicates", c.got,
		    c.dups);
	checker_stop(&c);
	cr_assert_eq(sl_query_stop(q), 0, "%s", exc(q));
	sl_session_destroy(s);
}

/* Retriable Produce errors on the output's broker: librdkafka retries
 * them, the relay neither stops nor loses a record. */
Test(faults, retriable_produce_errors_are_retried)
{
	struct checker c;
	size_t left = 99;
	sl_session *s = sl_session_new();
	sl_query *q = relay(s, NULL, NULL);

	checker_start(&c);
	produce(0, 100);
	expect_all(q, &c, 100, 15000, "warm-up");

	cr_assert_eq(rd_kafka_mock_broker_push_request_error_rtts(
			     mc, OUT_LEADER, API_PRODUCE, 6,
			     RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0,
			     RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0,
			     RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
			     RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, 0,
			     RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
			     0, RD_KAFKA_RESP_ERR__TRANSPORT, 0),
		     0);
	produce(100, 1000);
	expect_all(q, &c, 1100, 30000, "after retriable produce errors");
	/* The errors were met (not left on the stack unused). */
	cr_assert_eq(rd_kafka_mock_broker_error_stack_cnt(mc, OUT_LEADER,
							  API_PRODUCE, &left),
		     0);
	cr_assert_eq(left, 0, "%zu injected errors never hit a Produce", left);
	cr_log_info("retriable produce errors: %d records read, %d duplicates",
		    c.got, c.dups);
	checker_stop(&c);
	cr_assert_eq(sl_query_stop(q), 0, "%s", exc(q));
	sl_session_destroy(s);
}

/* A Produce refused for good: the query stops with an exception naming
 * the topic and the broker's reason. */
Test(faults, non_retriable_produce_error_stops_the_query)
{
	struct checker c;
	sl_session *s = sl_session_new();
	sl_query *q = relay(s, NULL, NULL);

	checker_start(&c);
	produce(0, 10);
	expect_all(q, &c, 10, 15000, "warm-up");
	checker_stop(&c);

	cr_assert_eq(rd_kafka_mock_broker_push_request_error_rtts(
			     mc, OUT_LEADER, API_PRODUCE, 1,
			     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0),
		     0);
	int64_t t0 = sl_test_now_ms();
	produce(10, 10);
	int rc = sl_query_await(q, 30000);
	int64_t ms = sl_test_now_ms() - t0;
	cr_assert_eq(rc, SL_ESTOPPED, "await: %d (%s) after %lld ms", rc,
		     exc(q), (long long)ms);
	cr_assert(strstr(exc(q), "'" OUT "'"), "the exception names no topic: %s",
		  exc(q));
	cr_assert(strstr(exc(q), "uthoriz"),
		  "the exception does not say why: %s", exc(q));
	cr_log_info("non-retriable produce error: stopped after %lld ms: %s",
		    (long long)ms, exc(q));
	cr_assert_neq(sl_query_stop(q), 0);
	sl_session_destroy(s);
}

/* Fetch errors on the input's broker: the consumer retries them, so the
 * relay must keep running and relay everything. */
static void fetch_errors(rd_kafka_resp_err_t e1, rd_kafka_resp_err_t e2,
			 rd_kafka_resp_err_t e3)
{
	struct checker c;
	sl_session *s = sl_session_new();
	sl_query *q = relay(s, NULL, NULL);
	char when[160];

	checker_start(&c);
	produce(0, 100);
	expect_all(q, &c, 100, 15000, "warm-up");

	cr_assert_eq(rd_kafka_mock_broker_push_request_error_rtts(
			     mc, IN_LEADER, API_FETCH, 4, e1, 0, e2, 0, e3, 0,
			     e1, 0),
		     0);
	produce(100, 500);
	snprintf(when, sizeof(when), "after Fetch errors (%s, %s, %s)",
		 rd_kafka_err2name(e1), rd_kafka_err2name(e2),
		 rd_kafka_err2name(e3));
	expect_all(q, &c, 600, 30000, when);
	cr_log_info("%s: %d records read, %d duplicates", when, c.got, c.dups);
	checker_stop(&c);
	cr_assert_eq(sl_query_stop(q), 0, "%s", exc(q));
	sl_session_destroy(s);
}

/* The leader moved or is being elected, or the connection dropped. */
Test(faults, fetch_errors_leader_moves_and_disconnects)
{
	fetch_errors(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
		     RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
		     RD_KAFKA_RESP_ERR__TRANSPORT);
}

/* The broker timed the fetch out (RequestTimedOut, retriable in the Kafka
 * protocol). librdkafka retries it and also hands the application an
 * informational consumer error; that error must not end the query. */
Test(faults, fetch_request_timed_out_keeps_the_query_running)
{
	fetch_errors(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
		     RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
		     RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
}

/* ---- setup errors: clear, and soon ---------------------------------------- */

/* Nothing listens at 127.0.0.1:1: making the source fails at once, naming
 * the address and why. */
Test(faults, wrong_address_source)
{
	sl_session *s = sl_session_new();
	int64_t t0 = sl_test_now_ms();
	sl_frame *f = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers", "127.0.0.1:1",
				  "subscribe", IN, NULL });
	int64_t ms = sl_test_now_ms() - t0;

	cr_assert_null(f);
	cr_assert(strstr(sl_session_errmsg(s), "127.0.0.1:1"), "%s",
		  sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), "refused"), "%s",
		  sl_session_errmsg(s));
	cr_assert_lt(ms, 10000, "took %lld ms", (long long)ms);
	cr_log_info("wrong address, source: %lld ms: %s", (long long)ms,
		    sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* The sink's cluster cannot be reached: starting the query fails, or the
 * query stops with an error naming the address, once it has a record to
 * write; within 30 s either way, not after librdkafka's 5 minute
 * message.timeout.ms. */
Test(faults, wrong_address_sink)
{
	sl_session *s = sl_session_new();
	sl_frame *f = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers", bs, "subscribe",
				  IN, "startingOffsets", "earliest",
				  "kafka.fetch.wait.max.ms", "5", NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	produce(0, 5);
	int64_t t0 = sl_test_now_ms();
	sl_query *q = sl_frame_start(
		f, "kafka",
		(const char *[]){ "kafka.bootstrap.servers", "127.0.0.1:1",
				  "topic", OUT, "trigger",
				  "continuous 1 second", NULL },
		NULL);
	const char *why = failure(s, q, t0, 30000,
				  "with a sink that cannot reach 127.0.0.1:1");
	int64_t ms = sl_test_now_ms() - t0;
	cr_log_info("wrong address, sink: %lld ms: %s", (long long)ms, why);
	cr_assert(strstr(why, "127.0.0.1:1") || strstr(why, "refused"),
		  "the error does not say which cluster or why: %s", why);
	sl_session_destroy(s);
}

/* An unknown kafka.* property is named, for the source and the sink,
 * before anything connects. */
Test(faults, unknown_kafka_property)
{
	sl_session *s = sl_session_new();
	sl_frame *f = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers", bs, "subscribe",
				  IN, "kafka.fetch.wait.max.mss", "5", NULL });

	cr_assert_null(f);
	cr_assert_eq(sl_session_errcode(s), SL_EOPTION, "%d",
		     sl_session_errcode(s));
	cr_assert(strstr(sl_session_errmsg(s), "kafka.fetch.wait.max.mss"),
		  "%s", sl_session_errmsg(s));

	f = sl_session_read_stream(s, "rate", (const char *[]){ NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){ "CAST(value AS STRING) AS "
						 "value",
						 NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		f, "kafka",
		(const char *[]){ "kafka.bootstrap.servers", bs, "topic", OUT,
				  "kafka.lingerms", "1", NULL },
		NULL);
	cr_assert_null(q);
	cr_assert_eq(sl_session_errcode(s), SL_EOPTION, "%d",
		     sl_session_errcode(s));
	cr_assert(strstr(sl_session_errmsg(s), "kafka.lingerms"), "%s",
		  sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* ---- a missing topic, on the real broker ---------------------------------- */

TestSuite(missing_topic, .init = sl_test_kafka_broker_setup);

/* The broker does not create topics (auto.create.topics.enable=false, as
 * most production clusters): reading one that is not there is an error
 * naming it, within metadataTimeout (default 10 s). */
Test(missing_topic, source)
{
	sl_session *s = sl_session_new();
	int64_t t0 = sl_test_now_ms();
	sl_frame *f = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "subscribe",
				  "sluice-faults-no-such-topic", NULL });
	int64_t ms = sl_test_now_ms() - t0;

	cr_assert_null(f);
	cr_assert_eq(sl_session_errcode(s), SL_ENOTFOUND, "%s",
		     sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s),
			 "'sluice-faults-no-such-topic' does not exist"),
		  "%s", sl_session_errmsg(s));
	cr_assert_lt(ms, 12000, "took %lld ms", (long long)ms);
	cr_log_info("missing topic, source: %lld ms: %s", (long long)ms,
		    sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* Writing to a topic that is not there: the start fails, or the query
 * stops once it has a record to write, naming the topic; within 45 s. */
Test(missing_topic, sink)
{
	sl_session *s = sl_session_new();
	sl_frame *f = sl_session_read_stream(
		s, "rate", (const char *[]){ "rowsPerSecond", "10", NULL });

	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){ "CAST(value AS STRING) AS "
						 "value",
						 NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	int64_t t0 = sl_test_now_ms();
	sl_query *q = sl_frame_start(
		f, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "topic",
				  "sluice-faults-no-such-topic", "trigger",
				  "continuous 1 second", NULL },
		NULL);
	const char *why =
		failure(s, q, t0, 45000, "writing to a missing topic");
	int64_t ms = sl_test_now_ms() - t0;
	cr_log_info("missing topic, sink: %lld ms: %s", (long long)ms, why);
	cr_assert(strstr(why, "sluice-faults-no-such-topic"),
		  "the error does not name the topic: %s", why);
	sl_session_destroy(s);
}
