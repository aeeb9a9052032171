/* tests/kafka/grow.c - partitions added to a topic while a relay reads it
 * (the Kafka source's partitionDiscoveryInterval, docs/KAFKA.md). Against
 * a real broker (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one);
 * without one the test fails, it is never skipped.
 *
 * A continuous relay (100 ms epochs, a checkpoint) mirrors a 2-partition
 * topic IN to a 4-partition topic OUT, keeping each record's partition
 * (SELECT key, value, partition). Once the first 2,000 records are out,
 * IN grows to 4 partitions (the admin API's CreatePartitions) and 500
 * records go at once into each new partition, before the relay can have
 * seen it, then 500 more into every partition. Every record (value
 * "<partition>:<seq>") must come out in its own partition, once; the
 * first record of a new partition must be out within the discovery
 * interval (1 s here) plus a bound; and the checkpoint's committed
 * offsets (progress JSON) must then cover the new partitions. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_seq.h"
#include "tests/support/tmpdir.h"

#include "engine/checkpoint.h"
#include "sluice.h"

#define PER 1000   /* records per old partition before the growth */
#define NEWP 500   /* records per new partition right after it */
#define AFTER 500  /* then into every partition */
#define NPART 4
#define MAXSEQ (PER + AFTER)

TestSuite(grow, .init = sl_test_kafka_broker_setup);

static void produce(rd_kafka_t *p, const char *topic, int part, int from,
		    int n)
{
	for (int i = from; i < from + n; i++) {
		char v[32], k[32];
		int len = snprintf(v, sizeof(v), "%d:%d", part, i);

		snprintf(k, sizeof(k), "k%d", i % 17);
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_producev(
				p, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_PARTITION(part),
				RD_KAFKA_V_VALUE(v, (size_t)len),
				RD_KAFKA_V_KEY(k, strlen(k)),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(p, 10);
		cr_assert_eq(e, 0, "produce %s-%d: %s", topic, part,
			     rd_kafka_err2str(e));
	}
	cr_assert_eq(rd_kafka_flush(p, 30000), 0, "flush %s", topic);
}

/* What came out: seen[p][seq] counts, and when partition p's first
 * record came. */
typedef struct out_state {
	unsigned char seen[NPART][MAXSEQ];
	int64_t first_ms[NPART];
	long total, dups;
} out_state;

static void drain(rd_kafka_t *c, out_state *o, long want, int64_t until_ms)
{
	while (o->total < want && sl_test_now_ms() < until_ms) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
		int p, seq;
		char v[32];

		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		snprintf(v, sizeof(v), "%.*s", (int)m->len,
			 (const char *)m->payload);
		cr_assert_eq(sscanf(v, "%d:%d", &p, &seq), 2, "value '%s'", v);
		cr_assert(p >= 0 && p < NPART && seq >= 0 && seq < MAXSEQ,
			  "value '%s' out of range", v);
		cr_assert_eq(m->partition, p,
			     "'%s' came out in partition %d, not its own", v,
			     (int)m->partition);
		if (!o->first_ms[p])
			o->first_ms[p] = sl_test_now_ms();
		if (o->seen[p][seq]++)
			o->dups++;
		else
			o->total++;
		rd_kafka_message_destroy(m);
	}
}

static void grow_topic(const char *topic, int to)
{
	char errstr[256];
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_NewPartitions_t *np =
		rd_kafka_NewPartitions_new(topic, (size_t)to, errstr,
					   sizeof(errstr));
	size_t cnt;

	cr_assert_not_null(np, "%s", errstr);
	rd_kafka_CreatePartitions(rk, &np, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	cr_assert_not_null(ev, "CreatePartitions %s: no answer", topic);
	cr_assert_eq(rd_kafka_event_error(ev), 0, "%s",
		     rd_kafka_event_error_string(ev));
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreatePartitions_result_topics(
			rd_kafka_event_CreatePartitions_result(ev), &cnt);
	cr_assert_eq(cnt, 1);
	cr_assert_eq(rd_kafka_topic_result_error(res[0]), 0, "%s",
		     rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewPartitions_destroy(np);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

/* A producer that knows topic has `parts` partitions. */
static rd_kafka_t *producer_for(const char *topic, int parts)
{
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();

	sl_test_kafka_set(c, "linger.ms", "5");
	sl_test_kafka_set(c, "enable.idempotence", "true");
	rd_kafka_t *p = sl_test_kafka_client_new(RD_KAFKA_PRODUCER, c);
	rd_kafka_topic_t *t = rd_kafka_topic_new(p, topic, NULL);
	int64_t deadline = sl_test_now_ms() + 15000;
	int n = 0;

	while (sl_test_now_ms() < deadline) {
		const struct rd_kafka_metadata *md = NULL;

		if (!rd_kafka_metadata(p, 0, t, &md, 5000)) {
			n = md->topic_cnt ? md->topics[0].partition_cnt : 0;
			rd_kafka_metadata_destroy(md);
		}
		if (n >= parts)
			break;
		sl_test_sleep_ms(50);
	}
	rd_kafka_topic_destroy(t);
	cr_assert_geq(n, parts, "%s: %d partitions in metadata, not %d",
		      topic, n, parts);
	return p;
}

/* The smallest of the checkpoint's committed offsets of slots [2, 4) in
 * the progress JSON, or -1. */
static long long ckpt_new_min(sl_query *q)
{
	char *text = sl_query_last_progress(q);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	json_t *o = json_object_get(json_object_get(j, "checkpoint"),
				    "committedOffsets");
	long long lo = -1;

	for (int s = 2; o && s < NPART; s++) {
		char k[16];

		snprintf(k, sizeof(k), "%d", s);
		long long v = json_integer_value(json_object_get(o, k));
		if (!json_is_integer(json_object_get(o, k)) || v < 0) {
			lo = -1;
			break;
		}
		lo = lo < 0 || v < lo ? v : lo;
	}
	json_decref(j);
	free(text);
	return lo;
}

/* The smallest committed end offset of slots [2, 4) in the checkpoint at
 * dir (the query stopped), or -1. */
static long long ckpt_dir_new_min(const char *dir)
{
	char path[400], buf[8192], fp[SL_CKPT_FP_HEX];
	snprintf(path, sizeof(path), "%s/metadata", dir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *hash = strstr(buf, "\n# xxh64 ");
	cr_assert_not_null(hash, "metadata has no checksum line");
	*hash = 0;
	json_t *j = json_loads(buf, 0, NULL);
	cr_assert_not_null(j, "metadata: %s", buf);
	snprintf(fp, sizeof(fp), "%s",
		 json_string_value(json_object_get(j, "fingerprint")));
	json_decref(j);
	sl_ckpt *c;
	sl_err err = { 0 };
	cr_assert_eq(sl_ckpt_open(dir, NULL, fp, "", &c, &err), 0, "%s",
		     err.msg);
	sl_ckpt_recovery rec;
	cr_assert_eq(sl_ckpt_recover(c, &rec, &err), 0, "%s", err.msg);
	long long lo = -1;
	int seen = 0;
	for (uint32_t s = 0; rec.committed && s < rec.offsets.nsources; s++)
		for (uint32_t k = 0; k < rec.offsets.sources[s].nparts; k++) {
			const sl_ckpt_part *cp = &rec.offsets.sources[s].parts[k];
			if (cp->partition < 2 || cp->partition >= NPART)
				continue;
			seen++;
			lo = lo < 0 || cp->end < lo ? cp->end : lo;
		}
	sl_ckpt_recovery_free(&rec);
	sl_ckpt_close(c);
	return seen == 2 ? lo : -1;
}

/* A test's topics, base-in (2 partitions) and base-out, and its
 * temporary directory (returned), with dir its checkpoint's path (in,
 * out 128 bytes, dir 300). */
static char *grow_setup(char *in, char *out, char *dir, const char *base)
{
	char name[64], *tmp;

	snprintf(name, sizeof(name), "%s-in", base);
	sl_test_kafka_make_ready_topic(in, 128, name, 2);
	snprintf(name, sizeof(name), "%s-out", base);
	sl_test_kafka_make_ready_topic(out, 128, name, NPART);
	snprintf(name, sizeof(name), "sluice-%s", base);
	tmp = sl_test_tmpdir(name);
	snprintf(dir, 300, "%s/ckpt", tmp);
	return tmp;
}

/* What a test made: its session, checker, producers, directory, tally. */
static void grow_teardown(sl_session *s, rd_kafka_t *c, rd_kafka_t *p,
			  rd_kafka_t *p4, char *tmp, out_state *o)
{
	sl_session_destroy(s);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	rd_kafka_destroy(p);
	rd_kafka_destroy(p4);
	sl_test_tmpdir_free(tmp);
	free(o);
}

/* The relay of the Kafka source made of src_opts into topic out, keeping
 * each record's partition, checkpointed at dir; NULL with the session's
 * error when start refuses. */
static sl_query *relay_start(sl_session *s, const char *const *src_opts,
			     const char *out, const char *trigger,
			     const char *dir)
{
	const char *sel[] = { "key", "value", "partition", NULL };
	const char *sink_opts[] = { "kafka.bootstrap.servers",
				    sl_test_kafka_broker,
				    "topic",
				    out,
				    "trigger",
				    trigger,
				    "checkpointLocation",
				    dir,
				    NULL };
	sl_frame *f = sl_session_read_stream(s, "kafka", src_opts);
	cr_assert_not_null(f, "read_stream: %s", sl_session_errmsg(s));
	f = sl_frame_select(f, sel);
	cr_assert_not_null(f, "select: %s", sl_session_errmsg(s));
	return sl_frame_start(f, "kafka", sink_opts, NULL);
}

/* group: the source reads with partitionAssignment 'group' (one member):
 * the group's rebalance, not the source's own discovery, hands it the
 * new partitions. */
static void grow_relay(const char *trigger, bool group)
{
	char in[128], out[128], dir[300];
	out_state *o = calloc(1, sizeof(*o));

	cr_assert_not_null(o);
	char *tmp = grow_setup(in, out, dir, "grow");

	rd_kafka_t *p = producer_for(in, 2);
	for (int k = 0; k < 2; k++)
		produce(p, in, k, 0, PER);

	rd_kafka_t *c = sl_test_seq_reader_new(out, NPART);

	char rgid[160];
	snprintf(rgid, sizeof(rgid), "grow-relay-%s", in);
	sl_session *s = sl_session_new();
	const char *src_opts[] = { "kafka.bootstrap.servers",
				   sl_test_kafka_broker,
				   "subscribe",
				   in,
				   "startingOffsets",
				   "earliest",
				   "partitionDiscoveryInterval",
				   "1 second",
				   group ? "partitionAssignment" : NULL,
				   "group",
				   "kafka.group.id",
				   rgid,
				   NULL };
	sl_query *q = relay_start(s, src_opts, out, trigger, dir);
	cr_assert_not_null(q, "start: %s", sl_session_errmsg(s));

	drain(c, o, 2 * PER, sl_test_now_ms() + 30000);
	cr_assert_eq(o->total, 2 * PER, "before the growth: %ld of %d out",
		     o->total, 2 * PER);

	grow_topic(in, NPART);
	int64_t grown = sl_test_now_ms();
	rd_kafka_t *p4 = producer_for(in, NPART);
	for (int k = 2; k < NPART; k++)
		produce(p4, in, k, 0, NEWP);
	for (int k = 0; k < NPART; k++)
		produce(p4, in, k, k < 2 ? PER : NEWP, AFTER);

	long want = 2L * (PER + AFTER) + 2L * (NEWP + AFTER);
	drain(c, o, want, sl_test_now_ms() + 60000);
	cr_assert(sl_query_is_active(q), "the relay stopped: %s",
		  sl_query_exception(q) ? sl_query_exception(q) : "");
	for (int k = 0; k < NPART; k++) {
		int n = k < 2 ? PER + AFTER : NEWP + AFTER;

		for (int i = 0; i < n; i++)
			cr_assert(o->seen[k][i], "record %d:%d never came out "
						 "(%ld of %ld out)",
				  k, i, o->total, want);
	}
	int64_t pick = (o->first_ms[2] > o->first_ms[3] ? o->first_ms[2]
							 : o->first_ms[3]) -
		       grown;
	fprintf(stderr,
		"grow (%s%s): new partitions' first records out %lld ms "
		"after CreatePartitions; %ld records, %ld duplicates\n",
		trigger, group ? ", group" : "", (long long)pick, o->total,
		o->dups);
	/* 1 s interval; the bound only turns a hang into a failure on a
	 * loaded machine */
	cr_assert_lt(pick, 10000, "new partitions read %lld ms after growth",
		     (long long)pick);

	/* Continuous: the next epochs' checkpoints have the new
	 * partitions while the query runs (progress JSON's committed
	 * offsets of slots 2 and 3 reach all their records). A
	 * micro-batch's progress reports the batch before's, so it is
	 * checked in the checkpoint below only. */
	if (!strncmp(trigger, "continuous", 10)) {
		int64_t deadline = sl_test_now_ms() + 10000;
		long long lo;
		while ((lo = ckpt_new_min(q)) < NEWP + AFTER &&
		       sl_test_now_ms() < deadline)
			sl_test_sleep_ms(100);
		cr_assert_geq(lo, NEWP + AFTER,
			      "progress: committed offsets of the new "
			      "partitions: %lld",
			      lo);
	}

	cr_assert_eq(sl_query_stop(q), 0, "stop: %s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	long long clo = ckpt_dir_new_min(dir);
	cr_assert_eq(clo, NEWP + AFTER,
		     "checkpoint's end offsets of the new partitions: %lld",
		     clo);
	grow_teardown(s, c, p, p4, tmp, o);
}

Test(grow, two_to_four_partitions_mid_relay)
{
	grow_relay("continuous 100 ms", false);
}

/* The same read by a consumer group: the group's leader sees the topic
 * grow in the metadata it refreshes (every partitionDiscoveryInterval),
 * rebalances, and the new partitions take spare slots. */
Test(grow, two_to_four_partitions_mid_relay_group)
{
	grow_relay("continuous 100 ms", true);
}

/* The same with micro-batches: a spare takes its partition when a batch
 * plans it (its latest() is 0 once discovery found one for it). */
Test(grow, two_to_four_partitions_mid_relay_micro_batch)
{
	grow_relay("processingTime 200 ms", false);
}

/* More new partitions than maxAddedPartitions: the query fails, naming
 * the option, rather than leave them unread. */
Test(grow, more_partitions_than_room_fails_the_query)
{
	char in[128], out[128];
	sl_test_kafka_make_ready_topic(in, sizeof(in), "grow-in", 1);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "grow-out", 1);
	sl_session *s = sl_session_new();
	const char *src_opts[] = { "kafka.bootstrap.servers",
				   sl_test_kafka_broker,
				   "subscribe",
				   in,
				   "startingOffsets",
				   "earliest",
				   "partitionDiscoveryInterval",
				   "200 ms",
				   "maxAddedPartitions",
				   "1",
				   NULL };
	const char *sink_opts[] = { "kafka.bootstrap.servers",
				    sl_test_kafka_broker, "topic", out,
				    "trigger", "continuous 100 ms", NULL };
	sl_frame *f = sl_session_read_stream(s, "kafka", src_opts);
	cr_assert_not_null(f, "read_stream: %s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(f, "kafka", sink_opts, NULL);
	cr_assert_not_null(q, "start: %s", sl_session_errmsg(s));
	grow_topic(in, 3);
	int64_t deadline = sl_test_now_ms() + 20000;
	while (sl_query_is_active(q) && sl_test_now_ms() < deadline)
		sl_test_sleep_ms(50);
	cr_assert(!sl_query_is_active(q), "the query still runs");
	const char *ex = sl_query_exception(q);
	cr_assert(ex && strstr(ex, "maxAddedPartitions") && strstr(ex, in),
		  "exception: %s", ex ? ex : "(none)");
	sl_query_stop(q);
	sl_session_destroy(s);
}

/* A relay of `in` into `out` keeping partitions, with checkpoint dir;
 * NULL with the session's error when start refuses. */
static sl_query *ckpt_relay(sl_session *s, const char *in, const char *out,
			    const char *dir)
{
	const char *src_opts[] = { "kafka.bootstrap.servers",
				   sl_test_kafka_broker,
				   "subscribe",
				   in,
				   "startingOffsets",
				   "latest",
				   NULL };

	return relay_start(s, src_opts, out, "continuous 100 ms", dir);
}

/* A checkpoint made when the topic had 2 partitions resumes after it grew
 * to 4: the old partitions go on from the checkpoint (nothing read again),
 * the new ones start from the earliest offset (startingOffsets 'latest'
 * notwithstanding: all of them is new since the checkpoint). */
Test(grow, restart_after_the_topic_grew)
{
	char in[128], out[128], dir[300];
	out_state *o = calloc(1, sizeof(*o));

	cr_assert_not_null(o);
	char *tmp = grow_setup(in, out, dir, "regrow");
	rd_kafka_t *c = sl_test_seq_reader_new(out, NPART);

	/* First run: 2 partitions. */
	sl_session *s = sl_session_new();
	sl_query *q = ckpt_relay(s, in, out, dir);
	cr_assert_not_null(q, "start: %s", sl_session_errmsg(s));
	/* started at latest: wait until both partitions are read */
	sl_test_sleep_ms(1500);
	rd_kafka_t *p = producer_for(in, 2);
	for (int k = 0; k < 2; k++)
		produce(p, in, k, 0, PER);
	drain(c, o, 2 * PER, sl_test_now_ms() + 30000);
	cr_assert_eq(o->total, 2 * PER, "first run: %ld of %d out", o->total,
		     2 * PER);
	cr_assert_eq(sl_query_stop(q), 0, "stop: %s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_session_destroy(s);

	/* Stopped: the topic grows, records go into every partition. */
	grow_topic(in, NPART);
	rd_kafka_t *p4 = producer_for(in, NPART);
	for (int k = 0; k < NPART; k++)
		produce(p4, in, k, k < 2 ? PER : 0, k < 2 ? AFTER : NEWP);

	/* Second run, the same checkpoint. */
	s = sl_session_new();
	q = ckpt_relay(s, in, out, dir);
	cr_assert_not_null(q, "restart after the growth: %s",
			   sl_session_errmsg(s));
	long want = 2L * (PER + AFTER) + 2L * NEWP;
	drain(c, o, want, sl_test_now_ms() + 30000);
	for (int k = 0; k < NPART; k++) {
		int n = k < 2 ? PER + AFTER : NEWP;

		for (int i = 0; i < n; i++)
			cr_assert(o->seen[k][i], "record %d:%d never came out "
						 "(%ld of %ld out)",
				  k, i, o->total, want);
	}
	/* what was there is not read again */
	drain(c, o, want + 1, sl_test_now_ms() + 1000);
	cr_assert_eq(o->dups, 0, "%ld records came out twice", o->dups);
	fprintf(stderr,
		"grow: restarted after 2 -> 4 partitions: %ld records, %ld "
		"duplicates\n",
		o->total, o->dups);
	cr_assert_eq(sl_query_stop(q), 0, "stop: %s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	grow_teardown(s, c, p, p4, tmp, o);
}

/* Two topics: their partitions interleave in the source's order, so a
 * grown one would move the other's; the restart is refused, naming the
 * partition count. */
Test(grow, restart_after_growth_of_two_topics_is_refused)
{
	char a[128], b[128], out[128], both[300], dir[300];

	sl_test_kafka_make_ready_topic(a, sizeof(a), "regrow-a", 1);
	sl_test_kafka_make_ready_topic(b, sizeof(b), "regrow-b", 1);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "regrow-ab", 1);
	snprintf(both, sizeof(both), "%s,%s", a, b);
	char *tmp = sl_test_tmpdir("sluice-regrow2");
	snprintf(dir, sizeof(dir), "%s/ckpt", tmp);
	sl_session *s = sl_session_new();
	sl_query *q = ckpt_relay(s, both, out, dir);
	cr_assert_not_null(q, "start: %s", sl_session_errmsg(s));
	sl_test_sleep_ms(500);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
	grow_topic(a, 2);
	rd_kafka_destroy(producer_for(a, 2));
	s = sl_session_new();
	cr_assert_null(ckpt_relay(s, both, out, dir), "restarted");
	cr_assert(strstr(sl_session_errmsg(s), "source partitions"), "%s",
		  sl_session_errmsg(s));
	sl_session_destroy(s);
	sl_test_tmpdir_free(tmp);
}
