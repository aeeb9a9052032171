/* tests/kafka/kafka_plugins.c - the Kafka source and sink driven through
 * their sl_source_ops / sl_sink_ops, as the partition and sink threads
 * drive them, against librdkafka's mock cluster (a real Kafka protocol
 * server in the test process): partitions from metadata, records back with
 * their columns, startingOffsets, option errors, unreachable clusters,
 * missing topics, sink delivery and delivery failures; and, when
 * SLUICE_KAFKA_BOOTSTRAP names one, a real broker.
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

#include "tests/kafka/kafka_test_util.h"

#include "core/plugin.h"
#include "io/kafka_embedded.h"

extern const sl_source_ops sl_source_kafka;
extern const sl_sink_ops sl_sink_kafka;

/* Produce ApiKey in the Kafka protocol. */
#define API_PRODUCE 0

/* ---- a mock cluster per test ------------------------------------------- */

static rd_kafka_t *host_rk;
static rd_kafka_mock_cluster_t *mc;
static const char *bootstrap;

static void cluster_up(void)
{
	mc = mock_cluster_up(1, &host_rk);
	bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
}

static void cluster_down(void)
{
	mock_cluster_down(&mc, &host_rk);
	sl_kafka_embedded_shutdown();
}

static void topic(const char *name, int parts)
{
	cr_assert_eq(rd_kafka_mock_topic_create(mc, name, parts, 1), 0);
}

/* ---- a plain producer and consumer, to check the plugins against ------- */

static rd_kafka_t *client(rd_kafka_type_t type, const char *bs)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "fetch.wait.max.ms", "1", errstr,
			  sizeof(errstr));
	if (type == RD_KAFKA_CONSUMER)
		rd_kafka_conf_set(conf, "group.id", "test", errstr,
				  sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	return rk;
}

/* n records "k<i>" / "v<i>" (i from first) to one partition. */
static void produce(const char *bs, const char *t, int32_t part, int first,
		    int n)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bs);

	for (int i = first; i < first + n; i++) {
		char k[32], v[32];

		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		cr_assert_eq(rd_kafka_producev(
				     rk, RD_KAFKA_V_TOPIC(t),
				     RD_KAFKA_V_PARTITION(part),
				     RD_KAFKA_V_KEY(k, strlen(k)),
				     RD_KAFKA_V_VALUE(v, strlen(v)),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
	}
	cr_assert_eq(rd_kafka_flush(rk, 10000), 0);
	rd_kafka_destroy(rk);
}

/* ---- driving the source ---------------------------------------------------
 */

typedef struct tsrc {
	sl_arena arena;
	sl_kvs given;
	sl_source src;
	sl_source_part *parts;
	sl_err err;
	int rc;
} tsrc;

/* Makes a Kafka source from NULL-terminated key, value pairs, as
 * sl_read_stream does: options applied, then init. */
static tsrc *source_new(const char *first, ...)
{
	tsrc *t = calloc(1, sizeof(*t));
	va_list ap;

	sl_arena_init(&t->arena);
	va_start(ap, first);
	for (const char *k = first; k; k = va_arg(ap, const char *))
		sl_kvs_add(&t->given, &t->arena, k, va_arg(ap, const char *));
	va_end(ap);
	t->src.ops = &sl_source_kafka;
	t->src.arena = &t->arena;
	t->src.given = &t->given;
	t->src.conf = sl_arena_calloc(&t->arena, sl_source_kafka.conf_size);
	t->rc = sl_options_apply(sl_source_kafka.options, t->src.conf,
				 &t->given, NULL, "source 'kafka'", &t->arena,
				 &t->err);
	if (!t->rc)
		t->rc = sl_source_kafka.init(&t->src, &t->err);
	return t;
}

static void source_open_all(tsrc *t)
{
	t->parts = calloc(t->src.nparts, sizeof(*t->parts));
	for (uint32_t i = 0; i < t->src.nparts; i++) {
		t->parts[i].src = &t->src;
		t->parts[i].index = i;
		cr_assert_eq(sl_source_kafka.open(&t->parts[i]), 0, "%s",
			     t->parts[i].err.msg);
	}
}

static void source_free(tsrc *t)
{
	for (uint32_t i = 0; t->parts && i < t->src.nparts; i++)
		sl_source_kafka.close(&t->parts[i]);
	if (!t->rc)
		sl_source_kafka.destroy(&t->src);
	free(t->parts);
	sl_arena_free(&t->arena);
	free(t);
}

/* One row as the test keeps it (copied out of the vector). */
typedef struct trow {
	char key[32], value[32], topic[64];
	int32_t partition;
	int64_t offset;
	bool has_ts;
	int32_t ts_type;
} trow;

static void copy_bytes(char *dst, size_t n, const sl_value *v)
{
	if (sl_v_is_null(v)) {
		snprintf(dst, n, "(null)");
		return;
	}
	snprintf(dst, n, "%.*s", (int)v->len, (const char *)v->v.bin);
}

/* Polls partition p until `want` rows came (or 10 s passed), rows below
 * end only. Returns the count; rows copied into out. */
static int poll_rows(tsrc *t, uint32_t p, int64_t end, int want, trow *out)
{
	int got = 0;
	int64_t deadline = sl_now_ns() + 10000000000LL;

	while (got < want && sl_now_ns() < deadline) {
		sl_batch *b = NULL;
		int n = sl_source_kafka.poll(&t->parts[p], end, 20000000, &b);

		cr_assert_geq(n, 0, "poll: %s", t->parts[p].err.msg);
		if (!b)
			continue;
		cr_assert_eq((int)b->nrows, n);
		cr_assert_eq(b->partition, p);
		cr_assert_eq(b->end_offset, t->parts[p].offset);
		for (uint32_t r = 0; r < b->nrows; r++, got++) {
			const sl_value *row = sl_batch_row(b, r);
			trow *o = &out[got];

			cr_assert_lt(got, want, "more rows than produced");
			cr_assert_eq(row[0].type == SL_NULL ||
					     row[0].type == SL_BINARY,
				     1);
			cr_assert_eq(row[1].type, SL_BINARY);
			cr_assert_eq(row[2].type, SL_STRING);
			copy_bytes(o->key, sizeof(o->key), &row[0]);
			copy_bytes(o->value, sizeof(o->value), &row[1]);
			snprintf(o->topic, sizeof(o->topic), "%.*s",
				 (int)row[2].len, row[2].v.str);
			o->partition = row[3].v.i32;
			o->offset = row[4].v.i64;
			o->has_ts = row[5].type == SL_TIMESTAMP;
			o->ts_type = row[6].v.i32;
		}
		/* Frees the held librdkafka messages: ASan checks both that
		 * the rows pointed into live memory and that nothing leaks. */
		sl_batch_free(b);
	}
	return got;
}

/* ---- source tests -----------------------------------------------------------
 */

TestSuite(kafka_source, .init = cluster_up, .fini = cluster_down);

Test(kafka_source, init_finds_partitions_and_schema)
{
	topic("events", 3);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "events", NULL);

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
	source_free(t);
}

Test(kafka_source, polls_records_back_with_their_columns)
{
	trow rows[64];

	topic("events", 2);
	produce(bootstrap, "events", 0, 0, 40);
	produce(bootstrap, "events", 1, 100, 20);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "events", "startingOffsets", "earliest", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 0);

	cr_assert_eq(poll_rows(t, 0, INT64_MAX, 40, rows), 40);
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

	cr_assert_eq(poll_rows(t, 1, INT64_MAX, 20, rows), 20);
	cr_assert_str_eq(rows[0].key, "k100");
	cr_assert_eq(rows[19].offset, 19);
	cr_assert_eq(rows[19].partition, 1);
	cr_assert_eq(t->parts[1].offset, 20);
	source_free(t);
}

Test(kafka_source, poll_stops_at_end_and_latest_is_the_high_watermark)
{
	trow rows[16];

	topic("t", 1);
	produce(bootstrap, "t", 0, 0, 10);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "t", "startingOffsets", "earliest", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	cr_assert_eq(sl_source_kafka.latest(&t->parts[0], 0), 10);

	/* A micro-batch planned to end at 4 gets offsets 0..3 only... */
	cr_assert_eq(poll_rows(t, 0, 4, 4, rows), 4);
	cr_assert_eq(rows[3].offset, 3);
	cr_assert_eq(t->parts[0].offset, 4);
	sl_batch *b = NULL;
	cr_assert_eq(sl_source_kafka.poll(&t->parts[0], 4, 1000000, &b), 0);
	cr_assert_null(b);
	/* ...and the next one goes on from 4 without losing a record. */
	cr_assert_eq(poll_rows(t, 0, INT64_MAX, 6, rows), 6);
	cr_assert_eq(rows[0].offset, 4);
	cr_assert_str_eq(rows[0].value, "v4");
	cr_assert_eq(rows[5].offset, 9);
	source_free(t);
}

Test(kafka_source, starting_offsets_latest_skips_what_was_there)
{
	trow rows[16];

	topic("t", 1);
	produce(bootstrap, "t", 0, 0, 10);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "t", NULL); /* latest is the default */
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 10);
	produce(bootstrap, "t", 0, 10, 5);
	cr_assert_eq(poll_rows(t, 0, INT64_MAX, 5, rows), 5);
	cr_assert_eq(rows[0].offset, 10);
	cr_assert_str_eq(rows[0].key, "k10");
	cr_assert_eq(rows[4].offset, 14);
	source_free(t);
}

Test(kafka_source, starting_offsets_json_per_partition)
{
	trow rows[16];

	topic("t", 2);
	produce(bootstrap, "t", 0, 0, 10);
	produce(bootstrap, "t", 1, 0, 10);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "t", "startingOffsets",
			     "{\"t\":{\"0\":3,\"1\":-2}}", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 3);
	cr_assert_eq(t->parts[1].offset, 0);
	cr_assert_eq(poll_rows(t, 0, INT64_MAX, 7, rows), 7);
	cr_assert_eq(rows[0].offset, 3);
	cr_assert_str_eq(rows[0].value, "v3");
	cr_assert_eq(poll_rows(t, 1, INT64_MAX, 10, rows), 10);
	cr_assert_eq(rows[0].offset, 0);
	source_free(t);

	/* -1: latest. */
	t = source_new("kafka.bootstrap.servers", bootstrap, "assign",
		       "{\"t\":[1]}", "startingOffsets", "{\"t\":{\"1\":-1}}",
		       NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 1);
	source_open_all(t);
	cr_assert_eq(t->parts[0].offset, 10);
	source_free(t);
}

Test(kafka_source, starting_offsets_json_errors)
{
	topic("t", 2);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "t", "startingOffsets", "{\"t\":{\"0\":3}}", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "t-1 is missing"), "%s", t->err.msg);
	source_free(t);

	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe", "t",
		       "startingOffsets", "{\"t\":{\"0\":3,\"1\":0,\"7\":1}}",
		       NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "t-7"), "%s", t->err.msg);
	source_free(t);

	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe", "t",
		       "startingOffsets", "soonest", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "'startingOffsets' = 'soonest'"), "%s",
		  t->err.msg);
	source_free(t);
}

/* Offsets that are not in the log: an error that says what to do
 * (failOnDataLoss, Spark's default true), or, with failOnDataLoss=false,
 * reading goes on from the earliest offset left. */
Test(kafka_source, offsets_out_of_range_and_fail_on_data_loss)
{
	trow rows[10];
	int rc = 0;

	topic("t", 1);
	produce(bootstrap, "t", 0, 0, 10);
	tsrc *t =
		source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			   "t", "startingOffsets", "{\"t\":{\"0\":50}}", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	for (int i = 0; i < 250 && rc == 0; i++) {
		sl_batch *b = NULL;

		rc = sl_source_kafka.poll(&t->parts[0], INT64_MAX, 20000000,
					  &b);
		cr_assert_null(b);
	}
	cr_assert_eq(rc, SL_EKAFKA);
	cr_assert(strstr(t->parts[0].err.msg, "failOnDataLoss=false"), "%s",
		  t->parts[0].err.msg);
	source_free(t);

	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe", "t",
		       "startingOffsets", "{\"t\":{\"0\":50}}",
		       "failOnDataLoss", "false", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	cr_assert_eq(poll_rows(t, 0, INT64_MAX, 10, rows), 10);
	cr_assert_eq(rows[0].offset, 0);
	source_free(t);
}

Test(kafka_source, assign_and_subscribe_pattern)
{
	topic("logs-a", 2);
	topic("logs-b", 1);
	topic("other", 3);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap,
			     "subscribePattern", "logs-.*", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 3);
	source_free(t);

	t = source_new("kafka.bootstrap.servers", bootstrap, "assign",
		       "{\"other\":[2,0]}", "startingOffsets", "earliest",
		       NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 2);
	source_free(t);

	t = source_new("kafka.bootstrap.servers", bootstrap, "assign",
		       "{\"other\":[5]}", NULL);
	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	cr_assert(strstr(t->err.msg, "no partition 5"), "%s", t->err.msg);
	source_free(t);

	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribePattern",
		       "nothing-.*", NULL);
	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	source_free(t);
}

Test(kafka_source, exactly_one_of_subscribe_assign_pattern)
{
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, NULL);

	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "exactly one of"), "%s", t->err.msg);
	source_free(t);
	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe", "a",
		       "assign", "{\"a\":[0]}", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	source_free(t);
}

Test(kafka_source, unknown_kafka_property_is_named)
{
	topic("t", 1);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "t", "kafka.fetch.wait.max.mss", "5", NULL);

	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "kafka.fetch.wait.max.mss"), "%s",
		  t->err.msg);
	cr_assert(strstr(t->err.msg, "No such configuration property"), "%s",
		  t->err.msg);
	source_free(t);

	/* A bad value, quoted from librdkafka too. */
	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe", "t",
		       "kafka.fetch.wait.max.ms", "soon", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "kafka.fetch.wait.max.ms"), "%s",
		  t->err.msg);
	source_free(t);

	/* Managed by the source: refused with what to use instead. */
	t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe", "t",
		       "kafka.auto.offset.reset", "earliest", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "startingOffsets"), "%s", t->err.msg);
	source_free(t);
}

Test(kafka_source, unreachable_cluster_fails_fast)
{
	int64_t t0 = sl_now_ns();
	tsrc *t = source_new("kafka.bootstrap.servers", "127.0.0.1:1",
			     "subscribe", "t", NULL);
	int64_t ms = (sl_now_ns() - t0) / 1000000;

	cr_assert_eq(t->rc, SL_EKAFKA, "rc %d: %s", t->rc, t->err.msg);
	cr_assert(strstr(t->err.msg, "127.0.0.1:1"), "%s", t->err.msg);
	cr_assert_lt(ms, 5000, "took %lld ms", (long long)ms);
	source_free(t);

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
	t = source_new("kafka.bootstrap.servers", silent, "subscribe", "t",
		       "metadataTimeout", "1500ms", NULL);
	ms = (sl_now_ns() - t0) / 1000000;
	cr_assert_lt(t->rc, 0);
	cr_assert_lt(ms, 10000, "took %lld ms", (long long)ms);
	source_free(t);
	close(lfd);
}

Test(kafka_source, missing_topic_is_an_error)
{
	topic("present", 1);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "present,absent", "metadataTimeout", "2 seconds",
			     NULL);

	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	cr_assert(strstr(t->err.msg, "'absent' does not exist"), "%s",
		  t->err.msg);
	source_free(t);
}

Test(kafka_source, include_headers)
{
	trow rows[2];
	rd_kafka_t *rk;

	topic("h", 1);
	rk = client(RD_KAFKA_PRODUCER, bootstrap);
	cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("h"),
				       RD_KAFKA_V_VALUE("x", 1),
				       RD_KAFKA_V_HEADER("trace", "abc", 3),
				       RD_KAFKA_V_HEADER("empty", NULL, 0),
				       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				       RD_KAFKA_V_END),
		     0);
	cr_assert_eq(rd_kafka_flush(rk, 5000), 0);
	rd_kafka_destroy(rk);

	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "h", "startingOffsets", "earliest",
			     "includeHeaders", "true", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.schema->n, 8);
	cr_assert_str_eq(t->src.schema->fields[7].name, "headers");
	cr_assert_eq(t->src.schema->fields[7].type->id, SL_ARRAY);
	source_open_all(t);

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
	source_free(t);
}

/* A record produced while the partition thread waits in poll comes back
 * in about fetch.wait.max.ms (1 ms on the mock cluster), not after the
 * whole wait: poll must not wait for a full batch. */
Test(kafka_source, poll_returns_as_soon_as_a_record_arrives)
{
	topic("t", 1);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "t", "kafka.fetch.wait.max.ms", "1", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	/* Let the consumer start fetching. */
	sl_batch *b = NULL;
	sl_source_kafka.poll(&t->parts[0], INT64_MAX, 200000000, &b);
	cr_assert_null(b);

	produce(bootstrap, "t", 0, 0, 1);
	int64_t t0 = sl_now_ns();
	int n = sl_source_kafka.poll(&t->parts[0], INT64_MAX, 2000000000LL, &b);
	int64_t ms = (sl_now_ns() - t0) / 1000000;
	cr_assert_eq(n, 1);
	/* poll returns with the one record, not after its 2 s wait for a
	 * fuller vector */
	cr_assert_lt(ms, 1500, "poll took %lld ms for one record",
		     (long long)ms);
	sl_batch_free(b);
	source_free(t);
}

/* As a query runs the source: one thread per partition polling, and a
 * coordinator thread asking for latest() meanwhile, while records arrive.
 * Every record comes back once, in order per partition. Run under TSan too
 * (tests/kafka/README.md). */
struct part_thread {
	tsrc *t;
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
	tsrc *t = arg;

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

	topic("busy", 3);
	tsrc *t = source_new("kafka.bootstrap.servers", bootstrap, "subscribe",
			     "busy", "startingOffsets", "earliest", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	coord_stop = false;
	pthread_create(&coord, NULL, coord_thread_main, t);
	for (uint32_t p = 0; p < 3; p++) {
		pt[p] = (struct part_thread){ .t = t, .p = p, .want = 300 };
		pthread_create(&th[p], NULL, part_thread_main, &pt[p]);
	}
	for (int round = 0; round < 3; round++)
		for (int p = 0; p < 3; p++)
			produce(bootstrap, "busy", p, round * 100, 100);
	for (int p = 0; p < 3; p++) {
		pthread_join(th[p], NULL);
		cr_assert_eq(pt[p].got, 300, "partition %d got %d", p,
			     pt[p].got);
		cr_assert(pt[p].ordered);
	}
	coord_stop = true;
	pthread_join(coord, NULL);
	source_free(t);
}

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

	sl_arena_init(&t->arena);
	va_start(ap, first);
	for (const char *k = first; k; k = va_arg(ap, const char *))
		sl_kvs_add(&t->given, &t->arena, k, va_arg(ap, const char *));
	va_end(ap);
	t->sk.ops = &sl_sink_kafka;
	t->sk.schema = schema;
	t->sk.arena = &t->arena;
	t->sk.conf = sl_arena_calloc(&t->arena, sl_sink_kafka.conf_size);
	t->rc = sl_options_apply(sl_sink_kafka.options, t->sk.conf, &t->given,
				 NULL, "sink 'kafka'", &t->arena, &t->err);
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
static int consume(const char *t, int32_t part, int n, trow *out)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bootstrap);
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

TestSuite(kafka_sink, .init = cluster_up, .fini = cluster_down);

Test(kafka_sink, writes_rows_that_a_consumer_reads_back_in_order)
{
	static trow rows[300];

	topic("out", 1);
	tsink *t = sink_new(&s_kv, "kafka.bootstrap.servers", bootstrap,
			    "topic", "out", NULL);
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
	trow rows[4];

	topic("a", 2);
	topic("b", 1);
	tsink *t =
		sink_new(&s_routed, "kafka.bootstrap.servers", bootstrap, NULL);
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

Test(kafka_sink, delivery_failure_fails_the_commit)
{
	topic("out", 1);
	tsink *t =
		sink_new(&s_kv, "kafka.bootstrap.servers", bootstrap, "topic",
			 "out", "kafka.message.timeout.ms", "5000", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	/* Warm up (connection, producer id) so the error hits a Produce. */
	cr_assert_eq(sl_sink_kafka.write(&t->sk, kv_batch(0, 1)), 1);
	cr_assert_eq(sl_sink_kafka.commit(&t->sk, 0), 0, "%s", t->sk.err.msg);

	/* Not retriable: the broker refuses the record. */
	rd_kafka_mock_push_request_errors(
		mc, API_PRODUCE, 1,
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	freed = 0;
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
	topic("out", 1);
	tsink *t =
		sink_new(&s_kv, "kafka.bootstrap.servers", bootstrap, "topic",
			 "out", "kafka.message.timeout.ms", "5000", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(sl_sink_kafka.write(&t->sk, kv_batch(0, 1)), 1);
	cr_assert_eq(sl_sink_kafka.commit(&t->sk, 0), 0, "%s", t->sk.err.msg);
	rd_kafka_mock_push_request_errors(
		mc, API_PRODUCE, 1,
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	freed = 0;
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
	topic("a", 1);
	tsink *t =
		sink_new(&s_routed, "kafka.bootstrap.servers", bootstrap, NULL);
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
	tsink *t = sink_new(&s_kv, "kafka.bootstrap.servers", bootstrap, NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "no topic"), "%s", t->err.msg);
	sink_free(t);

	t = sink_new(&s_kv, "kafka.bootstrap.servers", bootstrap, "topic", "x",
		     "kafka.lingerms", "1", NULL);
	cr_assert_eq(t->rc, SL_EOPTION);
	cr_assert(strstr(t->err.msg, "kafka.lingerms"), "%s", t->err.msg);
	sink_free(t);

	static sl_field f_nov[] = { { "key", &sl_dtype_string, true } };
	static const sl_schema s_nov = { 1, f_nov };
	t = sink_new(&s_nov, "kafka.bootstrap.servers", bootstrap, "topic", "x",
		     NULL);
	cr_assert_eq(t->rc, SL_EANALYSIS);
	cr_assert(strstr(t->err.msg, "'value' column"), "%s", t->err.msg);
	sink_free(t);

	static sl_field f_badv[] = { { "value", &sl_dtype_long, true } };
	static const sl_schema s_badv = { 1, f_badv };
	t = sink_new(&s_badv, "kafka.bootstrap.servers", bootstrap, "topic",
		     "x", NULL);
	cr_assert_eq(t->rc, SL_EANALYSIS);
	cr_assert(strstr(t->err.msg, "STRING or BINARY"), "%s", t->err.msg);
	sink_free(t);
}

Test(kafka_sink, null_topic_row_is_refused_before_producing)
{
	topic("a", 1);
	tsink *t =
		sink_new(&s_routed, "kafka.bootstrap.servers", bootstrap, NULL);
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

TestSuite(kafka_embedded, .fini = cluster_down);

Test(kafka_embedded, sink_then_source_without_bootstrap)
{
	trow rows[50];

	cr_assert_eq(sl_kafka_embedded_topic_create("demo", 2, NULL), 0);
	tsink *k = sink_new(&s_kv, "topic", "demo", NULL);
	cr_assert_eq(k->rc, 0, "%s", k->err.msg);
	cr_assert_eq(sl_sink_kafka.write(&k->sk, kv_batch(0, 50)), 1);
	cr_assert_eq(sl_sink_kafka.commit(&k->sk, 0), 0, "%s", k->sk.err.msg);
	sink_free(k);

	tsrc *t = source_new("kafka.bootstrap.servers", "embedded", "subscribe",
			     "demo", "startingOffsets", "earliest", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 2);
	source_open_all(t);
	int64_t n0 = sl_source_kafka.latest(&t->parts[0], 0);
	int64_t n1 = sl_source_kafka.latest(&t->parts[1], 0);
	cr_assert_eq(n0 + n1, 50);
	int got = poll_rows(t, 0, INT64_MAX, (int)n0, rows);
	got += poll_rows(t, 1, INT64_MAX, (int)n1, rows + got);
	cr_assert_eq(got, 50);
	source_free(t);

	/* A topic the embedded cluster does not have is made for the demo. */
	t = source_new("subscribe", "fresh", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 1);
	source_free(t);
}

/* ---- a real broker ----------------------------------------------------------
 * Runs against the broker SLUICE_KAFKA_BOOTSTRAP names (tests/kafka/run.sh
 * starts one and sets it). Without it these tests fail: a broker test is
 * never skipped or counted as passing without a broker. */

TestSuite(kafka_broker, .init = broker_setup);

/* 1000 rows through the sink into 3 partitions, read back by the source:
 * every row once, each partition in order. */
Test(kafka_broker, sink_to_source_round_trip)
{
	static trow rows[1000];
	char name[128];
	int got = 0;

	make_topic(name, sizeof(name), "roundtrip", 3);
	tsink *k = sink_new(&s_kv, "kafka.bootstrap.servers", broker, "topic",
			    name, NULL);
	cr_assert_eq(k->rc, 0, "%s", k->err.msg);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(
			sl_sink_kafka.write(&k->sk, kv_batch(i * 100, 100)), 1,
			"%s", k->sk.err.msg);
	cr_assert_eq(sl_sink_kafka.commit(&k->sk, 0), 0, "%s", k->sk.err.msg);
	sink_free(k);

	tsrc *t = source_new("kafka.bootstrap.servers", broker, "subscribe",
			     name, "startingOffsets", "earliest", NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	cr_assert_eq(t->src.nparts, 3);
	source_open_all(t);
	for (uint32_t p = 0; p < 3; p++) {
		int64_t n = sl_source_kafka.latest(&t->parts[p], 0);
		int m = poll_rows(t, p, INT64_MAX, (int)n, rows + got);

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
	source_free(t);
}

/* On a real broker a fetch is answered as soon as data arrives, so the
 * source's default fetch.wait.max.ms (100) costs no latency. */
Test(kafka_broker, record_arrives_without_waiting_for_the_fetch_timeout)
{
	char name[128];
	int64_t worst = 0;

	make_topic(name, sizeof(name), "latency", 1);
	tsrc *t = source_new("kafka.bootstrap.servers", broker, "subscribe",
			     name, NULL);
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	source_open_all(t);
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, broker);
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
	source_free(t);
}

Test(kafka_broker, missing_topic_is_an_error)
{
	tsrc *t = source_new("kafka.bootstrap.servers", broker, "subscribe",
			     "sluice-no-such-topic", "metadataTimeout",
			     "2 seconds", NULL);

	cr_assert_eq(t->rc, SL_ENOTFOUND, "%s", t->err.msg);
	cr_assert(strstr(t->err.msg, "does not exist"), "%s", t->err.msg);
	source_free(t);
}
