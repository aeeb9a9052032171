/* tests/kafka/xcluster.c - `sluice relay` between two clusters: the
 * broker tests/kafka/run.sh started (SLUICE_KAFKA_BOOTSTRAP) and a second
 * one this test starts with tests/kafka/broker.sh (run from the
 * repository root, as run.sh is). Without the first the test fails; it
 * is never skipped.
 *
 * 2,000 records go into a 2-partition topic IN on cluster A, each with a
 * key, a CreateTime set by the producer (not the time of the write),
 * headers (one with a value of bytes that are not text, one with a null
 * value, a repeated name); `sluice relay --from IN --to 'mirror.${topic}'
 * --to-bootstrap-servers B --keep-partition` copies them to mirror.IN on
 * cluster B, and every record there is compared with what was written:
 * partition, order in it, key, value, timestamp and its type
 * (CreateTime), headers in order. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/sluice_child.h"
#include "tests/support/tmpdir.h"

#define N 2000
#define TS0 1600000000000LL /* CreateTime of record 0, ms */

/* Broker B's directory while it runs: stopped after the test, failed
 * or not (its own watchdog is the last resort). */
static char *bdir;

static void broker_b_stop(void)
{
	char cmd[600];

	if (!bdir)
		return;
	snprintf(cmd, sizeof(cmd), "tests/kafka/broker.sh stop %s >/dev/null",
		 bdir);
	if (system(cmd))
		fprintf(stderr, "xcluster: stopping broker B failed\n");
	sl_test_rmtree(bdir);
	free(bdir);
	bdir = NULL;
}

TestSuite(xcluster, .init = sl_test_kafka_broker_setup,
	  .fini = broker_b_stop);

static void create_topic(const char *name, int nparts)
{
	char errstr[256];
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(name, nparts, 1, errstr, sizeof(errstr));
	cr_assert_not_null(nt, "%s", errstr);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	cr_assert_not_null(ev, "CreateTopics %s: no answer", name);
	cr_assert_eq(rd_kafka_event_error(ev), 0, "%s",
		     rd_kafka_event_error_string(ev));
	size_t cnt;
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(
			rd_kafka_event_CreateTopics_result(ev), &cnt);
	cr_assert_eq(rd_kafka_topic_result_error(res[0]), 0, "%s",
		     rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	/* until every partition answers */
	int64_t deadline = sl_test_now_ms() + 15000;
	for (int p = 0; p < nparts; p++) {
		int64_t lo, hi;
		while (rd_kafka_query_watermark_offsets(rk, name, p, &lo, &hi,
							5000) &&
		       sl_test_now_ms() < deadline)
			sl_test_sleep_ms(50);
	}
	rd_kafka_destroy(rk);
}

static const unsigned char bin[4] = { 0xff, 0x00, 0xfe, 0x80 };

Test(xcluster, mirror_keeps_keys_headers_timestamps_partitions)
{
	const char *a = sl_test_kafka_broker;
	bdir = sl_test_tmpdir("sluice-broker-b");
	char cmd[600], b[256] = { 0 }, in[128], out[160];

	/* The second cluster. */
	snprintf(cmd, sizeof(cmd), "tests/kafka/broker.sh start %s", bdir);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(b, sizeof(b), f), "broker B did not start");
	int st = pclose(f);
	b[strcspn(b, "\n")] = 0;
	cr_assert(st == 0 && b[0], "broker B: status %d, '%s'", st, b);

	snprintf(in, sizeof(in), "xc-in-%d-%lld", (int)getpid(),
		 (long long)(sl_test_now_ms() % 100000000));
	snprintf(out, sizeof(out), "mirror.%s", in);
	create_topic(in, 2); /* on A */
	sl_test_kafka_broker = b;
	create_topic(out, 2); /* on B */
	sl_test_kafka_broker = a;

	rd_kafka_t *p = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						 sl_test_kafka_conf_new());
	for (int i = 0; i < N; i++) {
		char k[16], v[16], hv[16];
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		snprintf(hv, sizeof(hv), "%d", i);
		rd_kafka_headers_t *h = rd_kafka_headers_new(3);
		rd_kafka_header_add(h, "seq", -1, hv, -1);
		rd_kafka_header_add(h, "bin", -1, bin, sizeof(bin));
		rd_kafka_header_add(h, "seq", -1, NULL, 0);
		cr_assert_eq(rd_kafka_producev(
				     p, RD_KAFKA_V_TOPIC(in),
				     RD_KAFKA_V_PARTITION(i % 2),
				     RD_KAFKA_V_KEY(k, strlen(k)),
				     RD_KAFKA_V_VALUE(v, strlen(v)),
				     RD_KAFKA_V_TIMESTAMP(TS0 + i),
				     RD_KAFKA_V_HEADERS(h),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
	}
	cr_assert_eq(rd_kafka_flush(p, 30000), 0);
	rd_kafka_destroy(p);

	char to[200], log[300];
	snprintf(to, sizeof(to), "mirror.${topic}");
	snprintf(log, sizeof(log), "%s/relay.log", bdir);
	const char *argv[] = { sl_test_child_sluice_path(),
			       "relay",
			       "--from",
			       in,
			       "--bootstrap-servers",
			       a,
			       "--to",
			       to,
			       "--to-bootstrap-servers",
			       b,
			       "--keep-partition",
			       "--starting-offsets",
			       "earliest",
			       "--trigger",
			       "continuous 100 ms",
			       NULL };
	sl_test_child ch = { 0 };
	sl_test_child_spawn(&ch, argv, log);

	sl_test_kafka_broker = b;
	rd_kafka_conf_t *cc = sl_test_kafka_conf_new();
	sl_test_kafka_set(cc, "group.id", out);
	sl_test_kafka_set(cc, "enable.auto.commit", "false");
	rd_kafka_t *c = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, cc);
	sl_test_kafka_broker = a;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
	for (int k = 0; k < 2; k++)
		rd_kafka_topic_partition_list_add(l, out, k)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(c, l), 0);
	rd_kafka_topic_partition_list_destroy(l);

	int next[2] = { 0, 1 }, got = 0;
	int64_t deadline = sl_test_now_ms() + 60000;
	while (got < N && sl_test_now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		int part = m->partition, i = next[part];
		char want[16];
		rd_kafka_timestamp_type_t tt;
		int64_t ts = rd_kafka_message_timestamp(m, &tt);
		snprintf(want, sizeof(want), "v%d", i);
		cr_assert(m->len == strlen(want) &&
				  !memcmp(m->payload, want, m->len),
			  "partition %d: '%.*s', want '%s' (lost or out of "
			  "order)",
			  part, (int)m->len, (char *)m->payload, want);
		snprintf(want, sizeof(want), "k%d", i);
		cr_assert(m->key_len == strlen(want) &&
				  !memcmp(m->key, want, m->key_len),
			  "record %d: key", i);
		cr_assert_eq(tt, RD_KAFKA_TIMESTAMP_CREATE_TIME, "record %d", i);
		cr_assert_eq(ts, TS0 + i, "record %d: timestamp %lld", i,
			     (long long)ts);
		rd_kafka_headers_t *h = NULL;
		cr_assert_eq(rd_kafka_message_headers(m, &h), 0,
			     "record %d: no headers", i);
		cr_assert_eq(rd_kafka_header_cnt(h), 3, "record %d", i);
		const char *name;
		const void *val;
		size_t sz;
		snprintf(want, sizeof(want), "%d", i);
		cr_assert_eq(rd_kafka_header_get_all(h, 0, &name, &val, &sz), 0);
		cr_assert(!strcmp(name, "seq") && sz == strlen(want) &&
				  !memcmp(val, want, sz),
			  "record %d: header 0", i);
		cr_assert_eq(rd_kafka_header_get_all(h, 1, &name, &val, &sz), 0);
		cr_assert(!strcmp(name, "bin") && sz == sizeof(bin) &&
				  !memcmp(val, bin, sz),
			  "record %d: header 1", i);
		cr_assert_eq(rd_kafka_header_get_all(h, 2, &name, &val, &sz), 0);
		cr_assert(!strcmp(name, "seq") && !val,
			  "record %d: header 2 (null value)", i);
		next[part] += 2;
		got++;
		rd_kafka_message_destroy(m);
	}
	if (got < N)
		sl_test_child_print_log(&ch);
	cr_assert_eq(got, N, "%d of %d records on cluster B", got, N);
	sl_test_child_stop(&ch, 20000);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
}
