/* tests/kafka/kafka_plugins.c - the Kafka source driven through its
 * sl_source_ops, as the partition threads drive it, against librdkafka's
 * mock cluster (a real Kafka protocol server in the test process):
 * partitions from metadata, records back with their columns,
 * startingOffsets, option errors, unreachable clusters, missing topics,
 * partition threads beside the coordinator. The sink, the embedded
 * cluster and the real broker: tests/kafka/kafka_sink_plugin.c; the
 * shared helpers: tests/support/kafka_plugin.h.
 *
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

/* ---- source tests -----------------------------------------------------------
 */

TestSuite(kafka_source, .init = sl_kplugin_cluster_up,
	  .fini = sl_kplugin_cluster_down);

Test(kafka_source, init_finds_partitions_and_schema)
{
	sl_kplugin_topic("events", 3);
	/* Spare partitions for discovery while a query runs (8 by
	 * default) follow the 3 found; without discovery, none. */
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"events", NULL);

	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 3 + 8);
	sl_kplugin_source_free(t);
	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "events",
				  "partitionDiscoveryInterval", "0", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 3);
	cr_assert_eq(t->src.schema->n, 7);
	const char *names[] = { "key",		"value",  "topic",
				"partition",	"offset", "timestamp",
				"timestampType" };
	const sl_type types[] = { SL_BINARY, SL_BINARY,	   SL_STRING, SL_INT,
				  SL_LONG,   SL_TIMESTAMP, SL_INT };
	for (int i = 0; i < 7; i++) {
		cr_assert_str_eq(t->src.schema->fields[i].name, names[i]);
		cr_assert_eq(t->src.schema->fields[i].type->id, types[i]);
	}
	sl_kplugin_source_free(t);
}

Test(kafka_source, polls_records_back_with_their_columns)
{
	sl_kplugin_row rows[64];

	sl_kplugin_topic("events", 2);
	sl_kplugin_produce(sl_kplugin_bootstrap, "events", 0, 0, 40);
	sl_kplugin_produce(sl_kplugin_bootstrap, "events", 1, 100, 20);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"events", "startingOffsets", "earliest", NULL);
	sl_kplugin_source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 0);

	cr_assert_eq(sl_kplugin_poll_rows(t, 0, INT64_MAX, 40, rows), 40);
	for (int i = 0; i < 40; i++) {
		char k[32], v[32];

		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		cr_assert_str_eq(rows[i].key, k);
		cr_assert_str_eq(rows[i].value, v);
		cr_assert_str_eq(rows[i].topic, "events");
		cr_assert_eq(rows[i].partition, 0);
		cr_assert_eq(rows[i].offset, i);
		cr_assert(rows[i].has_ts);
		cr_assert_eq(rows[i].ts_type, 0, "CreateTime is 0");
	}
	cr_assert_eq(t->parts[0].offset, 40);

	cr_assert_eq(sl_kplugin_poll_rows(t, 1, INT64_MAX, 20, rows), 20);
	cr_assert_str_eq(rows[0].key, "k100");
	cr_assert_eq(rows[19].offset, 19);
	cr_assert_eq(rows[19].partition, 1);
	cr_assert_eq(t->parts[1].offset, 20);
	sl_kplugin_source_free(t);
}

Test(kafka_source, poll_stops_at_end_and_latest_is_the_high_watermark)
{
	sl_kplugin_row rows[16];

	sl_kplugin_topic("t", 1);
	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 0, 0, 10);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", "startingOffsets", "earliest", NULL);
	sl_kplugin_source_open_all(t);
	cr_assert_eq(sl_source_kafka.latest(&t->parts[0], 0), 10);

	/* A micro-batch planned to end at 4 gets offsets 0..3 only... */
	cr_assert_eq(sl_kplugin_poll_rows(t, 0, 4, 4, rows), 4);
	cr_assert_eq(rows[3].offset, 3);
	cr_assert_eq(t->parts[0].offset, 4);
	sl_batch *b = NULL;
	cr_assert_eq(sl_source_kafka.poll(&t->parts[0], 4, 1000000, &b), 0);
	cr_assert_null(b);
	/* ...and the next one goes on from 4 without losing a record. */
	cr_assert_eq(sl_kplugin_poll_rows(t, 0, INT64_MAX, 6, rows), 6);
	cr_assert_eq(rows[0].offset, 4);
	cr_assert_str_eq(rows[0].value, "v4");
	cr_assert_eq(rows[5].offset, 9);
	sl_kplugin_source_free(t);
}

Test(kafka_source, starting_offsets_latest_skips_what_was_there)
{
	sl_kplugin_row rows[16];

	sl_kplugin_topic("t", 1);
	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 0, 0, 10);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", NULL); /* latest is the default */
	sl_kplugin_source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 10);
	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 0, 10, 5);
	cr_assert_eq(sl_kplugin_poll_rows(t, 0, INT64_MAX, 5, rows), 5);
	cr_assert_eq(rows[0].offset, 10);
	cr_assert_str_eq(rows[0].key, "k10");
	cr_assert_eq(rows[4].offset, 14);
	sl_kplugin_source_free(t);
}

Test(kafka_source, starting_offsets_json_per_partition)
{
	sl_kplugin_row rows[16];

	sl_kplugin_topic("t", 2);
	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 0, 0, 10);
	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 1, 0, 10);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", "startingOffsets", "{\"t\":{\"0\":3,\"1\":-2}}", NULL);
	sl_kplugin_source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 3);
	cr_assert_eq(t->parts[1].offset, 0);
	cr_assert_eq(sl_kplugin_poll_rows(t, 0, INT64_MAX, 7, rows), 7);
	cr_assert_eq(rows[0].offset, 3);
	cr_assert_str_eq(rows[0].value, "v3");
	cr_assert_eq(sl_kplugin_poll_rows(t, 1, INT64_MAX, 10, rows), 10);
	cr_assert_eq(rows[0].offset, 0);
	sl_kplugin_source_free(t);

	/* -1: latest. */
	t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "assign",
		"{\"t\":[1]}", "startingOffsets", "{\"t\":{\"1\":-1}}", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 1);
	sl_kplugin_source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 10);
	sl_kplugin_source_free(t);
}

Test(kafka_source, starting_offsets_json_errors)
{
	sl_kplugin_topic("t", 2);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", "startingOffsets", "{\"t\":{\"0\":3}}", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "t-1 is missing"), "%s", t->err.msg);
	sl_kplugin_source_free(t);

	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "t",
				  "startingOffsets",
				  "{\"t\":{\"0\":3,\"1\":0,\"7\":1}}", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "t-7"), "%s", t->err.msg);
	sl_kplugin_source_free(t);

	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "t",
				  "startingOffsets", "soonest", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "'startingOffsets' = 'soonest'"), "%s",
		  t->err.msg);
	sl_kplugin_source_free(t);
}

/* Offsets that are not in the log: an error that says what to do
 * (failOnDataLoss, Spark's default true), or, with failOnDataLoss=false,
 * reading goes on from the earliest offset left. */
Test(kafka_source, offsets_out_of_range_and_fail_on_data_loss)
{
	sl_kplugin_row rows[10];
	int rc = 0;

	sl_kplugin_topic("t", 1);
	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 0, 0, 10);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", "startingOffsets", "{\"t\":{\"0\":50}}", NULL);
	sl_kplugin_source_open_all(t);
	for (int i = 0; i < 250 && rc == 0; i++) {
		sl_batch *b = NULL;

		rc = sl_source_kafka.poll(&t->parts[0], INT64_MAX, 20000000,
					  &b);
		cr_assert_null(b);
	}
	cr_assert_eq(rc, SL_EKAFKA);
	cr_assert(strstr(t->parts[0].err.msg, "failOnDataLoss=false"), "%s",
		  t->parts[0].err.msg);
	sl_kplugin_source_free(t);

	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "t",
				  "startingOffsets", "{\"t\":{\"0\":50}}",
				  "failOnDataLoss", "false", NULL);
	sl_kplugin_source_open_all(t);
	cr_assert_eq(sl_kplugin_poll_rows(t, 0, INT64_MAX, 10, rows), 10);
	cr_assert_eq(rows[0].offset, 0);
	sl_kplugin_source_free(t);
}

Test(kafka_source, assign_and_subscribe_pattern)
{
	sl_kplugin_topic("logs-a", 2);
	sl_kplugin_topic("logs-b", 1);
	sl_kplugin_topic("other", 3);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap,
		"subscribePattern", "logs-.*", "maxAddedPartitions", "0", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 3);
	sl_kplugin_source_free(t);

	t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "assign",
		"{\"other\":[2,0]}", "startingOffsets", "earliest", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 2);
	sl_kplugin_source_free(t);

	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "assign",
				  "{\"other\":[5]}", NULL);
	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	cr_assert(strstr(t->err.msg, "no partition 5"), "%s", t->err.msg);
	sl_kplugin_source_free(t);

	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribePattern",
				  "nothing-.*", NULL);
	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	sl_kplugin_source_free(t);
}

Test(kafka_source, exactly_one_of_subscribe_assign_pattern)
{
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, NULL);

	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "exactly one of"), "%s", t->err.msg);
	sl_kplugin_source_free(t);
	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "a",
				  "assign", "{\"a\":[0]}", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	sl_kplugin_source_free(t);
}

Test(kafka_source, unknown_kafka_property_is_named)
{
	sl_kplugin_topic("t", 1);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", "kafka.fetch.wait.max.mss", "5", NULL);

	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "kafka.fetch.wait.max.mss"), "%s",
		  t->err.msg);
	cr_assert(strstr(t->err.msg, "No such configuration property"), "%s",
		  t->err.msg);
	sl_kplugin_source_free(t);

	/* A bad value, quoted from librdkafka too. */
	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "t",
				  "kafka.fetch.wait.max.ms", "soon", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "kafka.fetch.wait.max.ms"), "%s",
		  t->err.msg);
	sl_kplugin_source_free(t);

	/* Managed by the source: refused with what to use instead. */
	t = sl_kplugin_source_new("kafka.bootstrap.servers",
				  sl_kplugin_bootstrap, "subscribe", "t",
				  "kafka.auto.offset.reset", "earliest", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "startingOffsets"), "%s", t->err.msg);
	sl_kplugin_source_free(t);
}

Test(kafka_source, unreachable_cluster_fails_fast)
{
	int64_t t0 = sl_now_ns();
	sl_kplugin_source *t =
		sl_kplugin_source_new("kafka.bootstrap.servers", "127.0.0.1:1",
				      "subscribe", "t", NULL);
	int64_t ms = (sl_now_ns() - t0) / 1000000;

	cr_assert_eq(t->rc, SL_EKAFKA, "rc %d: %s", t->rc, t->err.msg);
	cr_assert(strstr(t->err.msg, "127.0.0.1:1"), "%s", t->err.msg);
	cr_assert_lt(ms, 5000, "took %lld ms", (long long)ms);
	sl_kplugin_source_free(t);

	/* A listener on 127.0.0.1 that takes connections into its backlog
	 * and never answers: the wait is bounded by metadataTimeout (the
	 * bound below only catches a hang). */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 16), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
	char silent[64];
	snprintf(silent, sizeof(silent), "127.0.0.1:%d", ntohs(sa.sin_port));
	t0 = sl_now_ns();
	t = sl_kplugin_source_new("kafka.bootstrap.servers", silent,
				  "subscribe", "t", "metadataTimeout", "1500ms",
				  NULL);
	ms = (sl_now_ns() - t0) / 1000000;
	cr_assert_lt(t->rc, 0);
	cr_assert_lt(ms, 10000, "took %lld ms", (long long)ms);
	sl_kplugin_source_free(t);
	close(lfd);
}

Test(kafka_source, missing_topic_is_an_error)
{
	sl_kplugin_topic("present", 1);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"present,absent", "metadataTimeout", "2 seconds", NULL);

	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	cr_assert(strstr(t->err.msg, "'absent' does not exist"), "%s",
		  t->err.msg);
	sl_kplugin_source_free(t);
}

Test(kafka_source, include_headers)
{
	sl_kplugin_row rows[2];
	rd_kafka_t *rk;

	sl_kplugin_topic("h", 1);
	rk = sl_kplugin_client(RD_KAFKA_PRODUCER, sl_kplugin_bootstrap);
	cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("h"),
				       RD_KAFKA_V_VALUE("x", 1),
				       RD_KAFKA_V_HEADER("trace", "abc", 3),
				       RD_KAFKA_V_HEADER("empty", NULL, 0),
				       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				       RD_KAFKA_V_END),
		     0);
	cr_assert_eq(rd_kafka_flush(rk, 5000), 0);
	rd_kafka_destroy(rk);

	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"h", "startingOffsets", "earliest", "includeHeaders", "true",
		NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.schema->n, 8);
	cr_assert_str_eq(t->src.schema->fields[7].name, "headers");
	cr_assert_eq(t->src.schema->fields[7].type->id, SL_ARRAY);
	sl_kplugin_source_open_all(t);

	sl_batch *b = NULL;
	for (int i = 0; i < 500 && !b; i++)
		sl_source_kafka.poll(&t->parts[0], INT64_MAX, 20000000, &b);
	cr_assert_not_null(b);
	const sl_value *row = sl_batch_row(b, 0);
	cr_assert_eq(row[0].type, SL_NULL, "no key: null");
	const sl_value *h = &row[7];
	cr_assert_eq(h->type, SL_ARRAY);
	cr_assert_eq(h->len, 2);
	const sl_value *f0 = h->v.arr[0].v.fields, *f1 = h->v.arr[1].v.fields;
	cr_assert_eq(f0[0].len, 5);
	cr_assert_eq(memcmp(f0[0].v.str, "trace", 5), 0);
	cr_assert_eq(f0[1].len, 3);
	cr_assert_eq(memcmp(f0[1].v.bin, "abc", 3), 0);
	cr_assert_eq(memcmp(f1[0].v.str, "empty", 5), 0);
	cr_assert_eq(f1[1].type, SL_NULL);
	sl_batch_free(b);
	(void)rows;
	sl_kplugin_source_free(t);
}

/* A record produced while the partition thread waits in poll comes back
 * in about fetch.wait.max.ms (1 ms on the mock cluster), not after the
 * whole wait: poll must not wait for a full batch. */
Test(kafka_source, poll_returns_as_soon_as_a_record_arrives)
{
	sl_kplugin_topic("t", 1);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"t", "kafka.fetch.wait.max.ms", "1", NULL);
	sl_kplugin_source_open_all(t);
	/* Let the consumer start fetching. */
	sl_batch *b = NULL;
	sl_source_kafka.poll(&t->parts[0], INT64_MAX, 200000000, &b);
	cr_assert_null(b);

	sl_kplugin_produce(sl_kplugin_bootstrap, "t", 0, 0, 1);
	int64_t t0 = sl_now_ns();
	int n = sl_source_kafka.poll(&t->parts[0], INT64_MAX, 2000000000LL, &b);
	int64_t ms = (sl_now_ns() - t0) / 1000000;
	cr_assert_eq(n, 1);
	/* poll returns with the one record, not after its 2 s wait for a
	 * fuller vector */
	cr_assert_lt(ms, 1500, "poll took %lld ms for one record",
		     (long long)ms);
	sl_batch_free(b);
	sl_kplugin_source_free(t);
}

/* As a query runs the source: one thread per partition polling, and a
 * coordinator thread asking for latest() meanwhile, while records arrive.
 * Every record comes back once, in order per partition. Run under TSan too
 * (tests/kafka/README.md). */
struct part_thread {
	sl_kplugin_source *t;
	uint32_t p;
	int want, got;
	bool ordered;
};

static void *part_thread_main(void *arg)
{
	struct part_thread *pt = arg;
	int64_t deadline = sl_now_ns() + 20000000000LL, last = -1;

	pt->ordered = true;
	while (pt->got < pt->want && sl_now_ns() < deadline) {
		sl_batch *b = NULL;
		int n = sl_source_kafka.poll(&pt->t->parts[pt->p], INT64_MAX,
					     5000000, &b);

		if (n < 0)
			break;
		for (uint32_t r = 0; b && r < b->nrows; r++) {
			int64_t off = sl_batch_row(b, r)[4].v.i64;

			pt->ordered &= off == last + 1;
			last = off;
			pt->got++;
		}
		sl_batch_free(b);
	}
	return NULL;
}

static _Atomic bool coord_stop;

static void *coord_thread_main(void *arg)
{
	sl_kplugin_source *t = arg;

	while (!coord_stop)
		for (uint32_t p = 0; p < t->src.nparts; p++)
			cr_assert_geq(sl_source_kafka.latest(&t->parts[p], 0),
				      0);
	return NULL;
}

Test(kafka_source, partition_threads_and_coordinator_concurrently)
{
	struct part_thread pt[3];
	pthread_t th[3], coord;

	sl_kplugin_topic("busy", 3);
	sl_kplugin_source *t = sl_kplugin_source_new(
		"kafka.bootstrap.servers", sl_kplugin_bootstrap, "subscribe",
		"busy", "startingOffsets", "earliest",
		"partitionDiscoveryInterval", "0", NULL);
	sl_kplugin_source_open_all(t);
	coord_stop = false;
	pthread_create(&coord, NULL, coord_thread_main, t);
	for (uint32_t p = 0; p < 3; p++) {
		pt[p] = (struct part_thread){ .t = t, .p = p, .want = 300 };
		pthread_create(&th[p], NULL, part_thread_main, &pt[p]);
	}
	for (int round = 0; round < 3; round++)
		for (int p = 0; p < 3; p++)
			sl_kplugin_produce(sl_kplugin_bootstrap, "busy", p,
					   round * 100, 100);
	for (int p = 0; p < 3; p++) {
		pthread_join(th[p], NULL);
		cr_assert_eq(pt[p].got, 300, "partition %d got %d", p,
			     pt[p].got);
		cr_assert(pt[p].ordered);
	}
	coord_stop = true;
	pthread_join(coord, NULL);
	sl_kplugin_source_free(t);
}
