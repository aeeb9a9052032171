/* tests/kafka/kafka_sink_plugin.c - the Kafka sink driven through its
 * sl_sink_ops, as the sink thread drives it, against librdkafka's mock
 * cluster: delivery, routing by the topic and partition columns, delivery
 * failures, option and column errors; the embedded cluster (sink to
 * source, no address given); and the real broker SLUICE_KAFKA_BOOTSTRAP
 * names (tests/kafka/run.sh). The source's own tests:
 * tests/kafka/kafka_plugins.c; the shared helpers:
 * tests/support/kafka_plugin.h. *
 * Every wait in these tests has its own deadline. The suites set no
 * Criterion .timeout: with --jobs > 1 Criterion's timeout watchdog leaks
 * in the runner, which LeakSanitizer turns into a failed run; CI wraps the
 * binary in timeout(1) instead. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/kafka_embedded.h"
#include "io/plugin.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_plugin.h"

/* Produce ApiKey in the Kafka protocol. */
#define API_PRODUCE 0

/* ---- driving the sink
 * -------------------------------------------------------- */

typedef struct tsink {
	sl_arena arena;
	sl_kvs given;
	sl_sink sk;
	int rc;
	sl_err err;
} tsink;

static tsink *sink_new(const sl_schema *schema, const char *first, ...)
{
	tsink *t = calloc(1, sizeof(*t));
	va_list ap;

	va_start(ap, first);
	sl_kplugin_options(&t->given, &t->arena, first, ap);
	va_end(ap);
	t->sk.ops = &sl_sink_kafka;
	t->sk.schema = schema;
	t->sk.arena = &t->arena;
	t->sk.conf = sl_arena_calloc(&t->arena, sl_sink_kafka.conf_size);
	t->rc = sl_options_apply(sl_sink_kafka.options, t->sk.conf, &t->given,
				 NULL, "sink 'kafka'", &t->arena, &t->err);
	if (!t->rc)
		t->rc = sl_options_finalize(sl_sink_kafka.finalize, t->sk.conf,
					    "sink 'kafka'", &t->err);
	if (!t->rc)
		t->rc = sl_sink_kafka.init(&t->sk, &t->err);
	return t;
}

static void sink_free(tsink *t)
{
	if (!t->rc)
		sl_sink_kafka.destroy(&t->sk);
	sl_arena_free(&t->arena);
	free(t);
}

static sl_field f_kv[] = {
	{ "key", &sl_dtype_string, true },
	{ "value", &sl_dtype_binary, true },
};
static const sl_schema s_kv = { 2, f_kv };

static sl_field f_routed[] = {
	{ "value", &sl_dtype_string, true },
	{ "topic", &sl_dtype_string, true },
	{ "partition", &sl_dtype_int, true },
};
static const sl_schema s_routed = { 3, f_routed };

static int freed;
static void count_free(void *p)
{
	freed++;
}

static sl_value arena_bytes(sl_batch *b, sl_type type, const char *s)
{
	size_t n = strlen(s);
	sl_value v = { 0 };

	v.type = (uint8_t)type;
	v.len = (uint32_t)n;
	v.v.str = sl_arena_strndup(&b->arena, s, n);
	return v;
}

/* Rows key "k<i>", value "v<i>" for i in [first, first + n). */
static sl_batch *kv_batch(int first, int n)
{
	sl_batch *b = sl_batch_new(&s_kv, (uint32_t)n);

	for (int i = first; i < first + n; i++) {
		char k[32], v[32];
		sl_value *row = sl_batch_add_row(b);

		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		row[0] = arena_bytes(b, SL_STRING, k);
		row[1] = arena_bytes(b, SL_BINARY, v);
	}
	sl_batch_hold(b, count_free, NULL);
	return b;
}

/* Reads n records of one partition from the start with a plain consumer. */
static int consume(const char *t, int32_t part, int n, sl_kplugin_row *out)
{
	rd_kafka_t *rk =
		sl_kplugin_client(RD_KAFKA_CONSUMER, sl_kplugin_bootstrap);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	int got = 0;
	int64_t deadline = sl_now_ns() + 10000000000LL;

	rd_kafka_topic_partition_list_add(l, t, part)->offset =
		RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (got < n && sl_now_ns() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (!m)
			continue;
		if (!m->err) {
			snprintf(out[got].key, sizeof(out[got].key), "%.*s",
				 (int)m->key_len, (const char *)m->key);
			snprintf(out[got].value, sizeof(out[got].value), "%.*s",
				 (int)m->len, (const char *)m->payload);
			out[got].offset = m->offset;
			out[got].partition = m->partition;
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return got;
}

TestSuite(kafka_sink, .init = sl_kplugin_cluster_up,
	  .fini = sl_kplugin_cluster_down);

Test(kafka_sink, writes_rows_that_a_consumer_reads_back_in_order)
{
	static sl_kplugin_row rows[300];

	sl_kplugin_topic("out", 1);
	tsink *t = sink_new(&s_kv, "kafka.bootstrap.servers",
			    sl_kplugin_bootstrap, "topic", "out", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	freed = 0;
	for (int i = 0; i < 3; i++) {
		sl_batch *b = kv_batch(i * 100, 100);
		int rc = sl_sink_kafka.write(&t->sk, b);

		cr_assert_geq(rc, 0, "%s", t->sk.err.msg);
		/* Not copied: the sink keeps the vector until delivered. */
		cr_assert_eq(rc, 1);
	}
	cr_assert_eq(sl_sink_kafka.commit(&t->sk, 0), 0, "%s", t->sk.err.msg);
	/* Every vector has been freed by the delivery reports. */
	cr_assert_eq(freed, 3);

	cr_assert_eq(consume("out", 0, 300, rows), 300);
	for (int i = 0; i < 300; i++) {
		char k[32], v[32];

		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		cr_assert_str_eq(rows[i].key, k);
		cr_assert_str_eq(rows[i].value, v);
		cr_assert_eq(rows[i].offset, i);
	}
	sink_free(t);
}

Test(kafka_sink, topic_and_partition_columns_route_rows)
{
	sl_kplugin_row rows[4];

	sl_kplugin_topic("a", 2);
	sl_kplugin_topic("b", 1);
	tsink *t = sink_new(&s_routed, "kafka.bootstrap.servers",
			    sl_kplugin_bootstrap, NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	sl_batch *b = sl_batch_new(&s_routed, 4);
	const char *spec[][2] = {
		{ "a", "1" }, { "b", "0" }, { "a", "1" }, { "a", "0" }
	};
	for (int i = 0; i < 4; i++) {
		sl_value *row = sl_batch_add_row(b);
		char v[16];

		snprintf(v, sizeof(v), "r%d", i);
		row[0] = arena_bytes(b, SL_STRING, v);
		row[1] = arena_bytes(b, SL_STRING, spec[i][0]);
		row[2] = sl_v_int(atoi(spec[i][1]));
	}
	cr_assert_eq(sl_sink_kafka.write(&t->sk, b), 1, "%s", t->sk.err.msg);
	cr_assert_eq(sl_sink_kafka.commit(&t->sk, 0), 0, "%s", t->sk.err.msg);
	cr_assert_eq(consume("a", 1, 2, rows), 2);
	cr_assert_str_eq(rows[0].value, "r0");
	cr_assert_str_eq(rows[1].value, "r2");
	cr_assert_eq(consume("b", 0, 1, rows), 1);
	cr_assert_str_eq(rows[0].value, "r1");
	cr_assert_eq(consume("a", 0, 1, rows), 1);
	cr_assert_str_eq(rows[0].value, "r3");
	sink_free(t);
}

/* A sink to topic "out", warmed up (connection, producer id) so that the
 * error hits a Produce, whose next Produce the broker refuses: not
 * retriable (no permission). freed is reset. */
static tsink *sink_to_refusing_topic(void)
{
	sl_kplugin_topic("out", 1);
	tsink *t = sink_new(&s_kv, "kafka.bootstrap.servers",
			    sl_kplugin_bootstrap, "topic", "out",
			    "kafka.message.timeout.ms", "5000", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(sl_sink_kafka.write(&t->sk, kv_batch(0, 1)), 1);
	cr_assert_eq(sl_sink_kafka.commit(&t->sk, 0), 0, "%s", t->sk.err.msg);
	rd_kafka_mock_push_request_errors(
		sl_kplugin_mc, API_PRODUCE, 1,
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	freed = 0;
	return t;
}

Test(kafka_sink, delivery_failure_fails_the_commit)
{
	tsink *t = sink_to_refusing_topic();
	cr_assert_eq(sl_sink_kafka.write(&t->sk, kv_batch(1, 1)), 1);
	int rc = sl_sink_kafka.commit(&t->sk, 1);
	cr_assert_eq(rc, SL_EKAFKA, "commit: %d %s", rc, t->sk.err.msg);
	cr_assert(strstr(t->sk.err.msg, "delivery to topic 'out' partition 0 "
					"failed"),
		  "%s", t->sk.err.msg);
	cr_assert(strstr(t->sk.err.msg, "uthoriz"), "%s", t->sk.err.msg);
	/* The failed vector is freed too, and the sink stays failed. */
	cr_assert_eq(freed, 1);
	sl_batch *b = kv_batch(6, 1);
	cr_assert_lt(sl_sink_kafka.write(&t->sk, b), 0);
	cr_assert(strstr(t->sk.err.msg, "uthoriz"), "%s", t->sk.err.msg);
	sl_batch_free(b); /* write failed: the caller frees */
	sink_free(t);
}

/* The same failure in the middle of a vector: librdkafka may refuse the
 * rest of it at once (the topic is marked unauthorised), so write fails,
 * or the reports do, so commit fails. Either way the error names the topic
 * and no message is left pointing into the vector the caller frees. */
Test(kafka_sink, delivery_failure_mid_vector)
{
	tsink *t = sink_to_refusing_topic();
	for (int i = 0; i < 50; i++) {
		sl_batch *b = kv_batch(i * 100, 100);
		int rc = sl_sink_kafka.write(&t->sk, b);

		if (rc < 0) {
			sl_batch_free(b);
			break;
		}
	}
	if (!strstr(t->sk.err.msg, "uthoriz"))
		cr_assert_eq(sl_sink_kafka.commit(&t->sk, 1), SL_EKAFKA);
	cr_assert(strstr(t->sk.err.msg, "topic 'out'"), "%s", t->sk.err.msg);
	cr_assert(strstr(t->sk.err.msg, "uthoriz"), "%s", t->sk.err.msg);
	sink_free(t);
}

/* A row refused by librdkafka itself (a partition the topic does not
 * have) after earlier rows of the same vector were queued: write fails, and
 * the queued rows are recalled first, so the caller may free the vector
 * (ASan sees any message left pointing into it). */
Test(kafka_sink, refused_row_mid_vector_recalls_the_rest)
{
	sl_kplugin_topic("a", 1);
	tsink *t = sink_new(&s_routed, "kafka.bootstrap.servers",
			    sl_kplugin_bootstrap, NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	for (int round = 0; round < 2; round++) {
		sl_batch *b = sl_batch_new(&s_routed, 3);

		for (int i = 0; i < 3; i++) {
			sl_value *row = sl_batch_add_row(b);

			row[0] = arena_bytes(b, SL_STRING, "x");
			row[1] = arena_bytes(b, SL_STRING, "a");
			/* Round 0 warms up (topic metadata known); round
			 * 1's last row names partition 7. */
			row[2] = sl_v_int(round && i == 2 ? 7 : 0);
		}
		int rc = sl_sink_kafka.write(&t->sk, b);
		if (!round) {
			cr_assert_eq(rc, 1, "%s", t->sk.err.msg);
			cr_assert_eq(sl_sink_kafka.commit(&t->sk, 0), 0);
			continue;
		}
		cr_assert_eq(rc, SL_EKAFKA, "%d %s", rc, t->sk.err.msg);
		cr_assert(strstr(t->sk.err.msg, "topic 'a' partition 7"), "%s",
			  t->sk.err.msg);
		sl_batch_free(b);
	}
	sink_free(t);
}

Test(kafka_sink, option_and_column_errors)
{
	tsink *t = sink_new(&s_kv, "kafka.bootstrap.servers",
			    sl_kplugin_bootstrap, NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "no topic"), "%s", t->err.msg);
	sink_free(t);

	t = sink_new(&s_kv, "kafka.bootstrap.servers", sl_kplugin_bootstrap,
		     "topic", "x", "kafka.lingerms", "1", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "kafka.lingerms"), "%s", t->err.msg);
	sink_free(t);

	static sl_field f_nov[] = { { "key", &sl_dtype_string, true } };
	static const sl_schema s_nov = { 1, f_nov };
	t = sink_new(&s_nov, "kafka.bootstrap.servers", sl_kplugin_bootstrap,
		     "topic", "x", NULL);
	cr_assert_eq(t->rc, SL_EANALYSIS);
	cr_assert(strstr(t->err.msg, "'value' column"), "%s", t->err.msg);
	sink_free(t);

	static sl_field f_badv[] = { { "value", &sl_dtype_long, true } };
	static const sl_schema s_badv = { 1, f_badv };
	t = sink_new(&s_badv, "kafka.bootstrap.servers", sl_kplugin_bootstrap,
		     "topic", "x", NULL);
	cr_assert_eq(t->rc, SL_EANALYSIS);
	cr_assert(strstr(t->err.msg, "STRING or BINARY"), "%s", t->err.msg);
	sink_free(t);
}

Test(kafka_sink, null_topic_row_is_refused_before_producing)
{
	sl_kplugin_topic("a", 1);
	tsink *t = sink_new(&s_routed, "kafka.bootstrap.servers",
			    sl_kplugin_bootstrap, NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	sl_batch *b = sl_batch_new(&s_routed, 2);
	sl_value *row = sl_batch_add_row(b);
	row[0] = arena_bytes(b, SL_STRING, "x");
	row[1] = arena_bytes(b, SL_STRING, "a");
	row = sl_batch_add_row(b);
	row[0] = arena_bytes(b, SL_STRING, "y");
	cr_assert_lt(sl_sink_kafka.write(&t->sk, b), 0);
	cr_assert(strstr(t->sk.err.msg, "null topic"), "%s", t->sk.err.msg);
	sl_batch_free(b); /* write failed: the caller frees */
	sink_free(t);
}

/* ---- the embedded cluster: sink to source, no address given ------------ */

TestSuite(kafka_embedded, .fini = sl_kplugin_cluster_down);

Test(kafka_embedded, sink_then_source_without_bootstrap)
{
	sl_kplugin_row rows[50];

	cr_assert_eq(sl_kafka_embedded_topic_create("demo", 2, NULL), 0);
	tsink *k = sink_new(&s_kv, "topic", "demo", NULL);
	cr_assert_eq(k->rc, 0, "%s", k->err.msg);
	cr_assert_eq(sl_sink_kafka.write(&k->sk, kv_batch(0, 50)), 1);
	cr_assert_eq(sl_sink_kafka.commit(&k->sk, 0), 0, "%s", k->sk.err.msg);
	sink_free(k);

	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", "embedded", "subscribe", "demo",
		"startingOffsets", "earliest", "partitionDiscoveryInterval",
		"0", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 2);
	sl_kplugin_source_open_all(t);
	int64_t n0 = sl_source_kafka.latest(&t->parts[0], 0);
	int64_t n1 = sl_source_kafka.latest(&t->parts[1], 0);
	cr_assert_eq(n0 + n1, 50);
	int got = sl_kplugin_poll_rows(t, 0, INT64_MAX, (int)n0, rows);
	got += sl_kplugin_poll_rows(t, 1, INT64_MAX, (int)n1, rows + got);
	cr_assert_eq(got, 50);
	sl_kplugin_source_free(t);

	/* A topic the embedded cluster does not have is made for the demo. */
	t = sl_kplugin_source_new("subscribe", "fresh", "maxAddedPartitions",
				  "0", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 1);
	sl_kplugin_source_free(t);
}

/* ---- a real broker ----------------------------------------------------------
 * Runs against the broker SLUICE_KAFKA_BOOTSTRAP names (tests/kafka/run.sh
 * starts one and sets it). Without it these tests fail: a broker test is
 * never skipped or counted as passing without a broker. */

TestSuite(kafka_broker, .init = sl_test_kafka_broker_setup);

/* 1000 rows through the sink into 3 partitions, read back by the source:
 * every row once, each partition in order. */
Test(kafka_broker, sink_to_source_round_trip)
{
	static sl_kplugin_row rows[1000];
	char name[128];
	int got = 0;

	sl_test_kafka_make_topic(name, sizeof(name), "roundtrip", 3);
	tsink *k = sink_new(&s_kv, "kafka.bootstrap.servers",
			    sl_test_kafka_broker, "topic", name, NULL);
	cr_assert_eq(k->rc, 0, "%s", k->err.msg);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(
			sl_sink_kafka.write(&k->sk, kv_batch(i * 100, 100)), 1,
			"%s", k->sk.err.msg);
	cr_assert_eq(sl_sink_kafka.commit(&k->sk, 0), 0, "%s", k->sk.err.msg);
	sink_free(k);

	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_test_kafka_broker, "subscribe",
		name, "startingOffsets", "earliest",
		"partitionDiscoveryInterval", "0", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 3);
	sl_kplugin_source_open_all(t);
	for (uint32_t p = 0; p < 3; p++) {
		int64_t n = sl_source_kafka.latest(&t->parts[p], 0);
		int m = sl_kplugin_poll_rows(t, p, INT64_MAX, (int)n,
					     rows + got);

		cr_assert_eq(m, n);
		for (int i = 1; i < m; i++) {
			/* Keyed rows of one partition keep their order. */
			cr_assert_eq(rows[got + i].offset, i);
			cr_assert_lt(atoi(rows[got + i - 1].key + 1),
				     atoi(rows[got + i].key + 1));
		}
		got += m;
	}
	cr_assert_eq(got, 1000);
	bool seen[1000] = { false };
	for (int i = 0; i < 1000; i++) {
		int v = atoi(rows[i].value + 1);

		cr_assert(!seen[v], "v%d twice", v);
		seen[v] = true;
	}
	sl_kplugin_source_free(t);
}

/* On a real broker a fetch is answered as soon as data arrives, so the
 * source's default fetch.wait.max.ms (100) costs no latency. */
Test(kafka_broker, record_arrives_without_waiting_for_the_fetch_timeout)
{
	char name[128];
	int64_t worst = 0;

	sl_test_kafka_make_topic(name, sizeof(name), "latency", 1);
	sl_kplugin_source *t = sl_kplugin_source_new("kafka.bootstrap.servers",
						     sl_test_kafka_broker,
						     "subscribe", name, NULL);
	sl_kplugin_source_open_all(t);
	rd_kafka_t *rk =
		sl_kplugin_client(RD_KAFKA_PRODUCER, sl_test_kafka_broker);
	sl_batch *b = NULL;
	/* Warm up: the producer connects and learns the topic's leader, the
	 * consumer starts fetching. */
	cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(name),
				       RD_KAFKA_V_VALUE("w", 1),
				       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				       RD_KAFKA_V_END),
		     0);
	cr_assert_eq(rd_kafka_flush(rk, 10000), 0);
	for (int i = 0; i < 200 && !b; i++)
		sl_source_kafka.poll(&t->parts[0], INT64_MAX, 20000000, &b);
	cr_assert_not_null(b);
	sl_batch_free(b);
	b = NULL;
	for (int i = 0; i < 20; i++) {
		int64_t t0 = sl_now_ns();

		cr_assert_eq(rd_kafka_producev(
				     rk, RD_KAFKA_V_TOPIC(name),
				     RD_KAFKA_V_VALUE("x", 1),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
		rd_kafka_poll(rk, 0);
		int n = sl_source_kafka.poll(&t->parts[0], INT64_MAX,
					     2000000000LL, &b);
		int64_t us = (sl_now_ns() - t0) / 1000;
		cr_assert_eq(n, 1, "%s", t->parts[0].err.msg);
		sl_batch_free(b);
		b = NULL;
		if (us > worst)
			worst = us;
		cr_log_info("produce to poll: %lld us", (long long)us);
	}
	/* A figure for the log, not an assertion: timings belong to bench/. */
	cr_log_info("produce to poll, worst of 20: %lld us", (long long)worst);
	rd_kafka_flush(rk, 5000);
	rd_kafka_destroy(rk);
	sl_kplugin_source_free(t);
}

Test(kafka_broker, missing_topic_is_an_error)
{
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_test_kafka_broker, "subscribe",
		"sluice-no-such-topic", "metadataTimeout", "2 seconds", NULL);

	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	cr_assert(strstr(t->err.msg, "does not exist"), "%s", t->err.msg);
	sl_kplugin_source_free(t);
}
