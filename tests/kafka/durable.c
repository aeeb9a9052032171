/* tests/kafka/durable.c - the Kafka sink's asynchronous durability in
 * continuous mode (sl_sink_ops.durable, docs/CHECKPOINTS.md): an epoch
 * boundary does not wait for Kafka, and a checkpoint never names a row
 * Kafka has not acknowledged.
 *
 * A `rate` source (one partition: its offset K means rows 0..K-1) ->
 * CAST(value AS STRING) -> the Kafka sink on the embedded cluster
 * (librdkafka's mock cluster, io/kafka_embedded.h),
 * trigger continuous 100 ms, with a checkpointLocation. The source is not
 * Kafka, so the faults injected on the mock broker slow or fail only the
 * sink's produce requests.
 *
 *   - slow_deliveries: every response of the broker takes 400 ms. Epochs
 *     go on committing in the sink (progress batchId) while older ones
 *     are not durable yet (progress checkpoint.durableEpoch), and every
 *     time the checkpoint's newest committed offsets are read, the output
 *     topic already holds that many rows. A graceful stop checkpoints the
 *     final epoch: the output then holds exactly rows 0..K-1 of the
 *     checkpoint's last offsets, each once.
 *   - failed_delivery: a Produce refused for good, answered 500 ms late,
 *     so that epochs commit in the sink before the failure is known. The
 *     query fails naming the topic and the reason, and every row the
 *     checkpoint covers is in the output topic: the failed epoch is not
 *     in it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/tmpdir.h"

#include "io/kafka_embedded.h"
#include "sluice.h"

#define OUT "durable-out"
#define API_PRODUCE 0
#define MAXROWS 20000

/* ---- the mock cluster and the query -------------------------------------- */

/* The embedded cluster (one mock broker, id 1), one per test process. */
static rd_kafka_mock_cluster_t *mc;
static const char *bs;
static char ckdir[64];

static void cluster_up(void)
{
	sl_err err = { 0 };

	cr_assert_eq(sl_kafka_embedded_topic_create(OUT, 1, &err), 0, "%s",
		     err.msg);
	bs = sl_kafka_embedded_bootstrap(&err);
	mc = sl_kafka_embedded_cluster();
	cr_assert(bs && mc, "%s", err.msg);
	sl_test_kafka_broker = bs; /* for tests/support/kafka.h's clients */
	cr_assert_not_null(mkdtemp(strcpy(ckdir, "/tmp/sl-durable.XXXXXX")));
}

static void cluster_down(void)
{
	sl_kafka_embedded_shutdown();
	if (ckdir[0] && sl_test_rmtree(ckdir))
		cr_log_warn("cannot remove %s", ckdir);
}

TestSuite(durable, .init = cluster_up, .fini = cluster_down, .timeout = 120);

static sl_query *relay(sl_session *s)
{
	sl_frame *f = sl_session_read_stream(s, "rate",
				     (const char *[]){ "rowsPerSecond", "400",
						       "numPartitions", "1",
						       NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){
				       "CAST(value AS STRING) AS value", NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		f, "kafka",
		(const char *[]){ "topic", OUT, "kafka.bootstrap.servers", bs,
				  "trigger", "continuous 100 ms",
				  "checkpointLocation", ckdir, NULL },
		NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	return q;
}

static const char *exc(sl_query *q)
{
	const char *e = sl_query_exception(q);

	return e ? e : "(none)";
}

/* ---- what the checkpoint says --------------------------------------------- */

/* The body of a checkpoint file (its checksum line cut off), or NULL. */
static json_t *ckpt_file(const char *sub, long n)
{
	char path[160], buf[8192];
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s/%ld", ckdir, sub, n);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	char *hash = strstr(buf, "\n# xxh64 ");
	if (!hash)
		return NULL;
	*hash = 0;
	return json_loads(buf, 0, NULL);
}

/* The end offset of the rate partition in the newest committed epoch of
 * the checkpoint (its epoch in *epoch), or -1 (and *epoch -1) when
 * nothing is committed. Read from the files as a restart would use them,
 * while the query writes them (each file is replaced whole). */
static int64_t ckpt_committed_end(int64_t *epoch)
{
	for (int tries = 0; tries < 50; tries++) {
		char path[96];
		long top = -1;
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/commits", ckdir);
		d = opendir(path);
		cr_assert_not_null(d, "no %s", path);
		while ((de = readdir(d))) {
			char *end;
			long n = strtol(de->d_name, &end, 10);

			if (end != de->d_name && !*end && n > top)
				top = n;
		}
		closedir(d);
		*epoch = top;
		if (top < 0)
			return -1;
		json_t *j = ckpt_file("offsets", top);
		json_t *p = json_array_get(
			json_object_get(json_array_get(json_object_get(
							       j, "sources"),
						       0),
					"partitions"),
			0);
		json_t *e = json_object_get(p, "end");
		int64_t v = json_is_integer(e) ? json_integer_value(e) : -2;

		json_decref(j);
		if (v >= 0)
			return v;
		/* purged or replaced while we looked: again */
		sl_test_sleep_ms(10);
	}
	cr_assert_fail("the checkpoint's newest commit has no offsets file");
	return -1;
}

/* ---- what the output topic holds ------------------------------------------ */

static rd_kafka_t *consumer(void)
{
	rd_kafka_conf_t *conf = sl_test_kafka_conf_new();

	sl_test_kafka_set(conf, "group.id", "durable-checker");
	sl_test_kafka_set(conf, "fetch.wait.max.ms", "5");
	return sl_test_kafka_client_new(RD_KAFKA_CONSUMER, conf);
}

/* The output's high watermark: how many rows Kafka has acknowledged (one
 * partition, written by the sink alone). */
static int64_t out_high(rd_kafka_t *rk)
{
	int64_t lo, hi;
	rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
		rk, OUT, 0, &lo, &hi, 20000);

	cr_assert_eq(e, 0, "watermarks of %s: %s", OUT, rd_kafka_err2str(e));
	return hi;
}

/* Reads the whole output: seen[v] counts row v. Returns the rows read. */
static int64_t out_read(int *seen)
{
	rd_kafka_t *rk = consumer();
	int64_t hi = out_high(rk), got = 0, pos = 0;
	int64_t deadline = sl_test_now_ms() + 30000;
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);

	memset(seen, 0, MAXROWS * sizeof(int));
	rd_kafka_topic_partition_list_add(l, OUT, 0)->offset =
		RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (pos < hi) {
		cr_assert_lt(sl_test_now_ms(), deadline,
			     "output: %lld of %lld records read in 30 s",
			     (long long)pos, (long long)hi);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err) {
			char v[24];
			int i;

			snprintf(v, sizeof(v), "%.*s", (int)m->len,
				 (const char *)m->payload);
			cr_assert(sscanf(v, "%d", &i) == 1 && i >= 0 &&
					  i < MAXROWS,
				  "unexpected output record '%s'", v);
			seen[i]++;
			got++;
			pos = m->offset + 1;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return got;
}

/* ---- progress --------------------------------------------------------------- */

/* Over the query's progress records: the largest gap between the epoch
 * the sink committed (batchId) and the newest durable one
 * (checkpoint.durableEpoch, null: none), and the newest batchId. */
static void progress_gap(sl_query *q, int64_t *gap, int64_t *newest)
{
	char *js = sl_query_recent_progress(q);
	json_t *arr = js ? json_loads(js, 0, NULL) : NULL;

	cr_assert_not_null(arr, "progress: %s", js ? js : "(null)");
	*gap = *newest = -1;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i);
		json_t *ck = json_object_get(p, "checkpoint");
		json_t *d = json_object_get(ck, "durableEpoch");
		int64_t id = json_integer_value(json_object_get(p, "batchId"));

		cr_assert(d && (json_is_null(d) || json_is_integer(d)),
			  "progress without checkpoint.durableEpoch");
		int64_t de = json_is_integer(d) ? json_integer_value(d) : -1;
		cr_assert_leq(de, id, "durable epoch %lld past batch %lld",
			      (long long)de, (long long)id);
		if (id - de > *gap)
			*gap = id - de;
		if (id > *newest)
			*newest = id;
	}
	json_decref(arr);
	free(js);
}

/* ---- the tests -------------------------------------------------------------- */

/* Until an epoch with rows is checkpointed: the sink has found its topic,
 * and what the checkpoint covers is not empty. */
static void warm_up(sl_query *q)
{
	int64_t ep, deadline = sl_test_now_ms() + 20000;

	while (ckpt_committed_end(&ep) <= 0) {
		cr_assert(sl_query_is_active(q), "%s", exc(q));
		cr_assert_lt(sl_test_now_ms(), deadline,
			     "no checkpoint in 20 s");
		sl_test_sleep_ms(50);
	}
}

Test(durable, slow_deliveries)
{
	static int seen[MAXROWS];
	sl_session *s = sl_session_new();
	sl_query *q = relay(s);
	rd_kafka_t *rk = consumer();
	int64_t ep, k, hi, checks = 0, last_k = -1;
	int64_t gap, newest;

	warm_up(q);
	/* Every Produce (and every other request) now takes 400 ms: four
	 * epochs. */
	cr_assert_eq(rd_kafka_mock_broker_set_rtt(mc, 1, 400), 0);
	/* At least 3 s, and until the checkpoint has moved 4 times (20 s
	 * at most: a hang bound). */
	int64_t t0 = sl_test_now_ms();
	while (sl_test_now_ms() < t0 + 3000 ||
	       (checks < 4 && sl_test_now_ms() < t0 + 20000)) {
		cr_assert(sl_query_is_active(q), "%s", exc(q));
		/* The checkpoint first, then what Kafka holds: rows the
		 * checkpoint covers must have been acknowledged before it
		 * was written, so they are there by now. */
		k = ckpt_committed_end(&ep);
		hi = out_high(rk);
		cr_assert_leq(k, hi,
			      "epoch %lld is checkpointed with %lld rows, the "
			      "output holds %lld",
			      (long long)ep, (long long)k, (long long)hi);
		checks += k > last_k;
		last_k = k;
		sl_test_sleep_ms(20);
	}
	progress_gap(q, &gap, &newest);
	cr_log_info("slow deliveries: %lld checkpoint advances checked, "
		    "newest batch %lld, largest commit-durable gap %lld "
		    "epochs",
		    (long long)checks, (long long)newest, (long long)gap);
	cr_assert_geq(checks, 4, "the checkpoint advanced %lld times in 20 s",
		      (long long)checks);
	/* Epoch N+1 committed in the sink while N was not durable. */
	cr_assert_geq(gap, 2,
		      "the sink never committed past an epoch in flight "
		      "(largest gap %lld)",
		      (long long)gap);

	cr_assert_eq(sl_query_stop(q), 0, "%s", exc(q));
	cr_assert_eq(rd_kafka_mock_broker_set_rtt(mc, 1, 0), 0);
	k = ckpt_committed_end(&ep);
	int64_t got = out_read(seen);
	cr_assert_gt(k, 0);
	cr_assert_lt(k, MAXROWS);
	/* A planned stop: the final epoch is durable and checkpointed, so
	 * a restart would repeat nothing and lose nothing. */
	cr_assert_eq(got, k, "output %lld records, checkpoint ends at %lld",
		     (long long)got, (long long)k);
	for (int64_t i = 0; i < k; i++)
		cr_assert_eq(seen[i], 1, "row %lld came %d times",
			     (long long)i, seen[i]);
	rd_kafka_destroy(rk);
	sl_session_destroy(s);
}

Test(durable, failed_delivery)
{
	static int seen[MAXROWS];
	sl_session *s = sl_session_new();
	sl_query *q = relay(s);
	int64_t ep, k, gap, newest, before;

	warm_up(q);
	/* The next Produce is refused for good, and the refusal takes
	 * 500 ms: epochs close meanwhile. */
	cr_assert_eq(rd_kafka_mock_broker_push_request_error_rtts(
			     mc, 1, API_PRODUCE, 1,
			     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
			     500),
		     0);
	ckpt_committed_end(&before);
	int rc = sl_query_await(q, 30000);
	cr_assert_eq(rc, SL_ESTOPPED, "await: %d (%s)", rc, exc(q));
	cr_assert(strstr(exc(q), "'" OUT "'"),
		  "the exception names no topic: %s", exc(q));
	cr_assert(strstr(exc(q), "uthoriz"),
		  "the exception does not say why: %s", exc(q));
	progress_gap(q, &gap, &newest);
	cr_assert_neq(sl_query_stop(q), 0);

	k = ckpt_committed_end(&ep);
	out_read(seen);
	cr_log_info("failed delivery: '%s'; sink committed up to epoch %lld, "
		    "checkpoint at epoch %lld (%lld rows)",
		    exc(q), (long long)newest, (long long)ep, (long long)k);
	/* Epochs after the checkpointed one were committed in the sink:
	 * the failure came after their commit. */
	cr_assert_gt(newest, ep,
		     "the sink committed no epoch past the checkpoint's %lld",
		     (long long)ep);
	cr_assert_geq(ep, before);
	/* Every row the checkpoint names is in Kafka. */
	cr_assert_lt(k, MAXROWS);
	for (int64_t i = 0; i < k; i++)
		cr_assert_geq(seen[i], 1,
			      "row %lld is checkpointed (epoch %lld, %lld "
			      "rows) but not in the output",
			      (long long)i, (long long)ep, (long long)k);
	sl_session_destroy(s);
}
