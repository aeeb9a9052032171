/* tests/kafka/bench_external.c - `sluice bench --mode external` measuring
 * a relay it does not run: a plain librdkafka consume-and-produce loop in
 * this test copies topic A to topic B on the real broker
 * (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one) while the sluice
 * command, in a child process, produces to A and checks B.
 *
 * - a faithful relay: every record once, in order: status 0, nothing lost,
 *   duplicated or reordered;
 * - a relay that drops one record, sends another twice and swaps two
 *   neighbours: status 1, and the summary counts exactly 1 lost, 1
 *   duplicate and 1 reordered.
 *
 * The summary is read from --json-file. No Criterion .timeout: every wait
 * has its own deadline (tests/kafka/README.md). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/kafka.h"
#include "tests/support/sluice_child.h"

TestSuite(bench_external, .init = sl_test_kafka_broker_setup);

/* The payload's sequence number (cli/bench.h: bytes 16..24, LE). */
static int64_t seq_of(const rd_kafka_message_t *m)
{
	const uint8_t *p = m->payload;
	uint64_t v = 0;

	if (m->len < 24)
		return -1;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[16 + i] << (8 * i);
	return (int64_t)v;
}

typedef struct relay {
	const char *from, *to;
	int64_t drop, dup, swap; /* sequence numbers to misbehave on; -1 */
	_Atomic bool stop;
	_Atomic uint64_t copied;
	pthread_t th;
} relay;

static void produce(rd_kafka_t *p, rd_kafka_topic_t *t,
		    const rd_kafka_message_t *m)
{
	cr_assert_eq(rd_kafka_produce(t, 0, RD_KAFKA_MSG_F_COPY, m->payload,
				      m->len, m->key, m->key_len, NULL),
		     0, "%s", rd_kafka_err2str(rd_kafka_last_error()));
	rd_kafka_poll(p, 0);
}

static void *relay_main(void *arg)
{
	relay *r = arg;
	rd_kafka_conf_t *cc = sl_test_kafka_conf_new();
	sl_test_kafka_set(cc, "group.id", "bench-external-relay");
	sl_test_kafka_set(cc, "fetch.wait.max.ms", "5");
	rd_kafka_t *c = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, cc);
	rd_kafka_conf_t *pc = sl_test_kafka_conf_new();
	sl_test_kafka_set(pc, "linger.ms", "0");
	rd_kafka_t *p = sl_test_kafka_client_new(RD_KAFKA_PRODUCER, pc);
	rd_kafka_topic_t *t = rd_kafka_topic_new(p, r->to, NULL);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_message_t *held = NULL;

	rd_kafka_poll_set_consumer(c);
	rd_kafka_topic_partition_list_add(l, r->from, 0)->offset =
		RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(c, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (!atomic_load(&r->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 50);
		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		int64_t s = seq_of(m);
		if (s == r->drop) {
			rd_kafka_message_destroy(m);
			continue;
		}
		if (s == r->swap && !held) { /* sent after the next one */
			held = m;
			continue;
		}
		produce(p, t, m);
		if (s == r->dup)
			produce(p, t, m);
		if (held) {
			produce(p, t, held);
			rd_kafka_message_destroy(held);
			held = NULL;
		}
		atomic_fetch_add(&r->copied, 1);
		rd_kafka_message_destroy(m);
	}
	if (held)
		rd_kafka_message_destroy(held);
	rd_kafka_flush(p, 10000);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(p);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	return NULL;
}

/* Runs the bench against the relay r; returns its summary (JSON) and its
 * exit status in *status. */
static json_t *bench_external(relay *r, int *status, int want)
{
	char dir[] = "/tmp/sl_bench_ext.XXXXXX";
	char json[128], log[128];
	sl_test_child ch = { 0 };

	cr_assert_not_null(mkdtemp(dir));
	snprintf(json, sizeof(json), "%s/summary.json", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	cr_assert_eq(pthread_create(&r->th, NULL, relay_main, r), 0);
	const char *argv[] = {
		sl_test_child_sluice_path(), "bench", "--mode", "external",
		"--bootstrap-servers", sl_test_kafka_broker, "--from", r->from,
		"--to", r->to, "--no-create", "--rate", "200", "--duration",
		"2", "--warmup", "0.5", "--kafka", "fetch.wait.max.ms=5",
		"--json-file", json, NULL,
	};
	sl_test_child_spawn(&ch, argv, log);
	int ws = sl_test_child_wait(&ch, 120000);
	atomic_store(&r->stop, true);
	pthread_join(r->th, NULL);
	cr_assert(WIFEXITED(ws), "bench did not exit");
	*status = WEXITSTATUS(ws);
	if (*status != want)
		sl_test_child_print_log(&ch);
	json_error_t je;
	json_t *j = json_load_file(json, 0, &je);
	if (!j)
		sl_test_child_print_log(&ch);
	cr_assert_not_null(j, "%s: %s", json, je.text);
	unlink(json);
	unlink(log);
	rmdir(dir);
	return j;
}

static uint64_t num(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);

	cr_assert(json_is_integer(v), "summary has no integer '%s'", k);
	return (uint64_t)json_integer_value(v);
}

static void topics(char *a, char *b, size_t n)
{
	sl_test_kafka_make_ready_topic(a, n, "bench-ext-in", 1);
	sl_test_kafka_make_ready_topic(b, n, "bench-ext-out", 1);
}

Test(bench_external, a_faithful_relay_passes)
{
	char a[128], b[128];
	int status;

	sl_test_kafka_take_turns("/tmp/sluice-bench-external.lock");
	topics(a, b, sizeof(a));
	relay r = { .from = a, .to = b, .drop = -1, .dup = -1, .swap = -1 };
	json_t *j = bench_external(&r, &status, 0);
	cr_assert_eq(status, 0);
	cr_assert_str_eq(json_string_value(json_object_get(j, "mode")),
			 "external");
	cr_assert_eq(num(j, "sent"), 500);
	cr_assert_eq(num(j, "received"), 500);
	cr_assert_eq(num(j, "lost"), 0);
	cr_assert_eq(num(j, "duplicates"), 0);
	cr_assert_eq(num(j, "reordered"), 0);
	cr_assert(json_is_true(json_object_get(j, "ok")));
	json_t *pub = json_object_get(j, "publish_latency_ms");
	cr_assert_eq(json_integer_value(json_object_get(pub, "count")), 400);
	json_decref(j);
}

Test(bench_external, loss_duplicates_and_reordering_are_counted)
{
	char a[128], b[128];
	int status;

	sl_test_kafka_take_turns("/tmp/sluice-bench-external.lock");
	topics(a, b, sizeof(a));
	relay r = { .from = a, .to = b, .drop = 50, .dup = 120, .swap = 300 };
	json_t *j = bench_external(&r, &status, 1);
	cr_assert_eq(status, 1, "a lost record must fail the run");
	cr_assert_eq(num(j, "sent"), 500);
	cr_assert_eq(num(j, "received"), 499);
	cr_assert_eq(num(j, "lost"), 1);
	cr_assert_eq(num(j, "duplicates"), 1);
	cr_assert_eq(num(j, "reordered"), 1);
	cr_assert(json_is_false(json_object_get(j, "ok")));
	json_decref(j);
}
