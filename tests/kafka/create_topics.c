/* tests/kafka/create_topics.c - the Kafka sink's createTopics: the topics a
 * relay writes are made, when missing, with the partition counts of the
 * source's topics (the mirror case), before the query starts. Against the
 * real broker (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one).
 *
 * - mirror: topics A (3 partitions) and B (2) relayed to mirror-A and
 *   mirror-B (createTopics 'mirror-${topic}', partitions kept): both are
 *   made with their source's counts and every record lands in its own
 *   partition;
 * - one name: createTopics = topic = C, made with the most partitions of
 *   any source topic (3); a topic that exists keeps its partitions;
 * - a source that is not Kafka is refused, naming the option;
 * - `sluice relay --to 'mirror2-${topic}' --create-topics` makes them. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/sluice_child.h"

#include "sluice.h"

#define PER 10 /* records per source partition */

TestSuite(create_topics, .init = sl_test_kafka_broker_setup, .timeout = 120);

/* The partition count of topic on the broker, 0 if it does not exist. */
static int partitions_of(const char *topic)
{
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	const struct rd_kafka_metadata *md = NULL;
	int n = 0;

	cr_assert_eq(rd_kafka_metadata(rk, 1, NULL, &md, 10000), 0);
	for (int i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
			n = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return n;
}

/* PER records into every partition of topic. */
static void fill(const char *topic, int nparts)
{
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());

	sl_test_kafka_fill(rk, topic, nparts, PER);
	rd_kafka_destroy(rk);
}

/* Waits until every partition of topic holds PER records. */
static void wait_filled(const char *topic, int nparts, sl_query *q)
{
	int64_t hi[8], dl = sl_test_now_ms() + 30000;

	for (;;) {
		bool all = true;

		sl_test_kafka_topic_ends(topic, nparts, hi);
		for (int p = 0; p < nparts; p++)
			all &= hi[p] == PER;
		if (all)
			return;
		cr_assert_null(sl_query_exception(q), "%s",
			       sl_query_exception(q));
		cr_assert_lt(sl_test_now_ms(), dl, "%s: %lld %lld %lld", topic,
			     (long long)hi[0], (long long)hi[1],
			     (long long)hi[2]);
		sl_test_sleep_ms(100);
	}
}

/* A relay of `topics` (comma-separated) with sink options sink_opts
 * (NULL-terminated, after the bootstrap and trigger). */
static sl_query *relay(sl_session *s, const char *topics,
		       const char *const *sink_opts)
{
	const char *src[] = { "kafka.bootstrap.servers", sl_test_kafka_broker,
			      "subscribe", topics, "startingOffsets",
			      "earliest", NULL };
	const char *o[16] = { "kafka.bootstrap.servers", sl_test_kafka_broker,
			      "trigger", "continuous 100 ms" };
	int n = 4;

	for (; sink_opts[n - 4] && n < 15; n++)
		o[n] = sink_opts[n - 4];
	o[n] = NULL;
	sl_frame *f = sl_session_read_stream(s, "kafka", src);
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){
		"key", "value", "partition",
		"concat('mirror-', topic) AS topic", NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	return sl_frame_start(f, "kafka", o, NULL);
}

Test(create_topics, mirror_topics_get_the_source_partition_counts)
{
	char a[128], b[128], both[300], pat[160], ma[160], mb[160];

	sl_test_kafka_make_ready_topic(a, sizeof(a), "ct-a", 3);
	sl_test_kafka_make_ready_topic(b, sizeof(b), "ct-b", 2);
	fill(a, 3);
	fill(b, 2);
	snprintf(both, sizeof(both), "%s,%s", a, b);
	snprintf(pat, sizeof(pat), "mirror-${topic}");
	snprintf(ma, sizeof(ma), "mirror-%s", a);
	snprintf(mb, sizeof(mb), "mirror-%s", b);
	cr_assert_eq(partitions_of(ma), 0);

	sl_session *s = sl_session_new();
	sl_query *q = relay(s, both,
			    (const char *[]){ "createTopics", pat, NULL });
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(partitions_of(ma), 3);
	cr_assert_eq(partitions_of(mb), 2);
	wait_filled(ma, 3, q);
	wait_filled(mb, 2, q);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
}

Test(create_topics, one_name_gets_the_most_partitions)
{
	char a[128], b[128], both[300], c[160], d[128];

	sl_test_kafka_make_ready_topic(a, sizeof(a), "ct1-a", 3);
	sl_test_kafka_make_ready_topic(b, sizeof(b), "ct1-b", 1);
	snprintf(both, sizeof(both), "%s,%s", a, b);
	snprintf(c, sizeof(c), "copy-%s", a);

	sl_session *s = sl_session_new();
	sl_query *q = relay(s, both,
			    (const char *[]){ "createTopics", c, "topic", c,
					      NULL });
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(partitions_of(c), 3);
	cr_assert_eq(sl_query_stop(q), 0);

	/* An existing topic keeps its one partition. */
	sl_test_kafka_make_ready_topic(d, sizeof(d), "ct1-d", 1);
	q = relay(s, both, (const char *[]){ "createTopics", d, "topic", d,
					     NULL });
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(partitions_of(d), 1);
	cr_assert_eq(sl_query_stop(q), 0);

	/* Not a Kafka source: refused. */
	sl_frame *r = sl_session_read_stream(
		s, "rate", (const char *[]){ "rowsPerSecond", "1", NULL });
	cr_assert_not_null(r);
	r = sl_frame_select(r, (const char *[]){
		"CAST(value AS STRING) AS value", NULL });
	cr_assert_not_null(r, "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_start(
		r, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "topic", d,
				  "createTopics", d, NULL },
		NULL));
	cr_assert(strstr(sl_session_errmsg(s), "createTopics") &&
			  strstr(sl_session_errmsg(s), "'rate'"),
		  "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}

Test(create_topics, relay_create_topics)
{
	char a[128], cmd[800], ma[160], out[4096];

	sl_test_kafka_make_ready_topic(a, sizeof(a), "ct2-a", 3);
	fill(a, 3);
	snprintf(ma, sizeof(ma), "mirror2-%s", a);
	snprintf(cmd, sizeof(cmd),
		 "%s relay --from %s --to 'mirror2-${topic}' --create-topics "
		 "--keep-partition --bootstrap-servers %s "
		 "--starting-offsets earliest --timeout 3 2>&1",
		 sl_test_child_sluice_path(), a, sl_test_kafka_broker);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_assert_eq(partitions_of(ma), 3, "%s", out);
	int64_t hi[3];
	sl_test_kafka_topic_ends(ma, 3, hi);
	for (int k = 0; k < 3; k++)
		cr_assert_eq(hi[k], PER, "partition %d: %lld (%s)", k,
			     (long long)hi[k], out);
}
