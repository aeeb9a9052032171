/* tests/kafka/relay.c - the Kafka-to-Kafka relay through the public API
 * (include/sluice.h) against a real Apache Kafka broker (the relay's
 * acceptance test): 1,000,000 records across 4 partitions, none lost, none
 * duplicated, each partition's order kept, checked record by record.
 *
 *   source   sl_session_read_stream("kafka", subscribe IN, startingOffsets earliest)
 *   select   key, value, partition   (the mirroring case: the sink's
 *            partition column keeps each record in its input partition)
 *   sink     sl_frame_start("kafka", topic OUT, trigger continuous 1 second)
 *
 * A producer thread writes IN while the relay runs; the test thread reads
 * OUT with a plain librdkafka consumer and checks every record as it comes:
 * its partition, its key, and its partition-local sequence number, which
 * must be exactly the next one expected. Smaller tests relay by key (no
 * partition column): every key's records in one partition and in order,
 * and that partition is the one Kafka's default partitioner (murmur2)
 * picks; and start queries on topics created a moment before.
 *
 * The broker is the one SLUICE_KAFKA_BOOTSTRAP names (tests/kafka/run.sh
 * starts it). Without it the tests fail: they are never skipped. Every wait
 * has its own deadline; no Criterion .timeout (tests/kafka/README.md). */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"

#include "sluice.h"

#define NPART 4
#define NREC 1000000
/* Keys per partition: each key's records are spread through its
 * partition, so key order and partition order are both exercised. */
#define KEYS_PER_PART 64

/* A librdkafka client of the test's own, with the given extra properties
 * (NULL-terminated name, value pairs). */
static rd_kafka_t *client(rd_kafka_type_t type, const char *const *props)
{
	rd_kafka_conf_t *conf = sl_test_kafka_conf_new();

	for (int i = 0; props && props[i]; i += 2)
		sl_test_kafka_set(conf, props[i], props[i + 1]);
	return sl_test_kafka_client_new(type, conf);
}

/* ---- the producer: NREC records, fast ------------------------------------ */

/* Record j of partition p: key "k<p>-<j % KEYS_PER_PART>", value
 * "<p>:<j>" with j zero-padded (small, fixed size). */
static int rec_key(char *buf, size_t n, int p, int j)
{
	return snprintf(buf, n, "k%d-%d", p, j % KEYS_PER_PART);
}

static int rec_value(char *buf, size_t n, int p, int j)
{
	return snprintf(buf, n, "%d:%08d", p, j);
}

struct producer {
	const char *topic;
	int n;		  /* records in all */
	bool explicit_part; /* partition i % NPART; else by key */
	atomic_long delivered, failed;
	int64_t ms; /* how long producing took */
	char err[256];
};

static void prod_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *op)
{
	struct producer *pr = op;

	if (m->err) {
		if (!atomic_fetch_add(&pr->failed, 1))
			snprintf(pr->err, sizeof(pr->err), "%s",
				 rd_kafka_err2str(m->err));
	} else {
		atomic_fetch_add(&pr->delivered, 1);
	}
}

/* Big batches, a little linger, idempotence so retries can neither
 * reorder nor duplicate the input (the check relies on its order). */
static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	static const char *const props[] = {
		"linger.ms", "5",
		"batch.num.messages", "10000",
		"batch.size", "1000000",
		"queue.buffering.max.messages", "1000000",
		"queue.buffering.max.kbytes", "1048576",
		"enable.idempotence", "true",
		"compression.type", "lz4",
		NULL,
	};
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int64_t t0 = sl_test_now_ms();
	int seq[NPART] = { 0 };

	rd_kafka_conf_set(conf, "bootstrap.servers", sl_test_kafka_broker,
			  errstr, sizeof(errstr));
	for (int i = 0; props[i]; i += 2)
		rd_kafka_conf_set(conf, props[i], props[i + 1], errstr,
				  sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, sl_test_kafka_quiet_log);
	rd_kafka_conf_set_dr_msg_cb(conf, prod_dr);
	rd_kafka_conf_set_opaque(conf, pr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
				      sizeof(errstr));
	if (!rk) {
		snprintf(pr->err, sizeof(pr->err), "producer: %.200s", errstr);
		return NULL;
	}
	for (int i = 0; i < pr->n; i++) {
		int p = i % NPART, j = seq[p]++;
		char k[32], v[32];
		int kl = rec_key(k, sizeof(k), p, j);
		int vl = rec_value(v, sizeof(v), p, j);
		rd_kafka_resp_err_t e;

		for (;;) {
			e = rd_kafka_producev(
				rk, RD_KAFKA_V_TOPIC(pr->topic),
				RD_KAFKA_V_PARTITION(pr->explicit_part
							     ? p
							     : RD_KAFKA_PARTITION_UA),
				RD_KAFKA_V_KEY(k, (size_t)kl),
				RD_KAFKA_V_VALUE(v, (size_t)vl),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END);
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 5);
		}
		if (e) {
			snprintf(pr->err, sizeof(pr->err), "produce: %s",
				 rd_kafka_err2str(e));
			break;
		}
		if ((i & 1023) == 0)
			rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, 60000) && !pr->err[0])
		snprintf(pr->err, sizeof(pr->err),
			 "flush: records still undelivered after 60 s");
	pr->ms = sl_test_now_ms() - t0;
	rd_kafka_destroy(rk);
	return NULL;
}

/* ---- the relay ----------------------------------------------------------- */

/* Topic in as a stream, from its earliest records. */
static sl_frame *read_topic(sl_session *s, const char *in)
{
	const char *src_opts[] = {
		"kafka.bootstrap.servers",
		sl_test_kafka_broker,
		"subscribe",
		in,
		"startingOffsets",
		"earliest",
		NULL,
	};

	return sl_session_read_stream(s, "kafka", src_opts);
}

/* f written to topic out by a continuous query, named query_name unless
 * that is NULL. */
static sl_query *write_topic(sl_frame *f, const char *out,
			     const char *query_name)
{
	const char *sink_opts[] = {
		"kafka.bootstrap.servers",
		sl_test_kafka_broker,
		"topic",
		out,
		"trigger",
		"continuous 1 second",
		query_name ? "queryName" : NULL,
		query_name,
		NULL,
	};

	return sl_frame_start(f, "kafka", sink_opts, NULL);
}

static sl_query *start_relay(sl_session *s, const char *in, const char *out,
			     bool mirror)
{
	static const char *const sel_mirror[] = { "key", "value", "partition",
						  NULL };
	static const char *const sel_keyed[] = { "key", "value", NULL };
	sl_frame *f = read_topic(s, in);

	cr_assert_not_null(f, "sl_session_read_stream: %s", sl_session_errmsg(s));
	f = sl_frame_select(f, mirror ? sel_mirror : sel_keyed);
	cr_assert_not_null(f, "sl_frame_select: %s", sl_session_errmsg(s));
	sl_query *q = write_topic(f, out, "relay");
	cr_assert_not_null(q, "sl_frame_start: %s", sl_session_errmsg(s));
	return q;
}

/* ---- the checker ---------------------------------------------------------- */

struct check {
	int want;	  /* records in all */
	int got;	  /* records read */
	int dups;	  /* a sequence number seen again */
	int next[NPART];  /* mirror: next sequence number per partition */
	int *key_next;	  /* keyed: next sequence number per key */
	int *key_part;	  /* keyed: the output partition of each key */
	char first_err[256];
};

static void check_fail(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->first_err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->first_err, sizeof(c->first_err), fmt, ap);
	va_end(ap);
}

/* Parses "<p>:<j>". */
static bool parse_value(const rd_kafka_message_t *m, int *p, int *j)
{
	char v[32];

	if (!m->payload || m->len >= sizeof(v))
		return false;
	memcpy(v, m->payload, m->len);
	v[m->len] = 0;
	return sscanf(v, "%d:%d", p, j) == 2 && *p >= 0 && *p < NPART &&
	       *j >= 0;
}

/* One record of OUT. Mirror: it is in its input partition, and its
 * sequence number is exactly the next of that partition. Keyed: every
 * record of a key is in one partition and the key's sequence numbers come
 * in order (record j of partition p belongs to key j % KEYS_PER_PART, so a
 * key's next number grows by KEYS_PER_PART). */
static void check_record(struct check *c, const rd_kafka_message_t *m,
			 bool mirror)
{
	char k[32];
	int p, j, kl;

	if (!parse_value(m, &p, &j)) {
		check_fail(c, "partition %d offset %lld: bad value '%.*s'",
			   (int)m->partition, (long long)m->offset,
			   (int)m->len, (const char *)m->payload);
		return;
	}
	kl = rec_key(k, sizeof(k), p, j);
	if (!m->key || (int)m->key_len != kl || memcmp(m->key, k, (size_t)kl))
		check_fail(c, "record %d:%d came with key '%.*s', not '%s'", p,
			   j, (int)m->key_len, (const char *)m->key, k);
	if (mirror) {
		if (m->partition != p)
			check_fail(c,
				   "record %d:%d came out in partition %d, "
				   "not %d",
				   p, j, (int)m->partition, p);
		if (j < c->next[p]) {
			c->dups++;
			check_fail(c, "record %d:%d came twice", p, j);
		} else if (j > c->next[p]) {
			check_fail(c,
				   "partition %d: record %d came where %d was "
				   "due (lost or out of order)",
				   p, j, c->next[p]);
			c->next[p] = j + 1;
		} else {
			c->next[p]++;
		}
	} else {
		int key = p * KEYS_PER_PART + j % KEYS_PER_PART;

		if (c->key_part[key] < 0)
			c->key_part[key] = m->partition;
		else if (c->key_part[key] != m->partition)
			check_fail(c, "key %s is in partitions %d and %d", k,
				   c->key_part[key], (int)m->partition);
		if (j < c->key_next[key]) {
			c->dups++;
			check_fail(c, "record %d:%d came twice", p, j);
		} else if (j > c->key_next[key]) {
			check_fail(c,
				   "key %s: record %d:%d came where %d:%d was "
				   "due (lost or out of order)",
				   k, p, j, p, c->key_next[key]);
			c->key_next[key] = j + KEYS_PER_PART;
		} else {
			c->key_next[key] += KEYS_PER_PART;
		}
	}
	c->got++;
}

/* Reads OUT from the beginning until c->want records came or the deadline
 * passed, checking each. Afterwards it reads on for linger_ms more, so a
 * duplicate or a stray record after the last one is seen too. */
static void read_output(struct check *c, const char *out, bool mirror,
			int64_t deadline, int64_t linger_ms)
{
	static const char *const props[] = {
		"group.id", "relay-checker",
		"enable.auto.commit", "false",
		"fetch.wait.max.ms", "50",
		"queued.min.messages", "200000",
		NULL,
	};
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, props);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(NPART);
	int64_t stop_at = deadline;

	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, out, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (sl_test_now_ms() < stop_at) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (m) {
			if (m->err)
				check_fail(c, "consumer: %s",
					   rd_kafka_message_errstr(m));
			else
				check_record(c, m, mirror);
			rd_kafka_message_destroy(m);
		}
		if (c->got >= c->want && stop_at == deadline)
			stop_at = sl_test_now_ms() + linger_ms;
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

TestSuite(relay, .init = sl_test_kafka_broker_setup);

/* The acceptance test: 1,000,000 records through sluice, each partition
 * mirrored, every record exactly once and in order. */
Test(relay, million_records_four_partitions_mirrored_in_order)
{
	char in[128], out[128];
	struct producer pr = { .n = NREC, .explicit_part = true };
	struct check c = { .want = NREC };
	pthread_t th;
	int64_t t0;

	sl_test_kafka_make_ready_topic(in, sizeof(in), "relay-in", NPART);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "relay-out", NPART);
	pr.topic = in;

	sl_session *s = sl_session_new();
	t0 = sl_test_now_ms();
	sl_query *q = start_relay(s, in, out, true);
	int64_t started = sl_test_now_ms() - t0;

	pthread_create(&th, NULL, producer_main, &pr);
	read_output(&c, out, true, t0 + 55000, 1500);
	int64_t relayed = sl_test_now_ms() - t0;
	pthread_join(th, NULL);

	cr_assert_eq(pr.err[0], 0, "the test's producer: %s", pr.err);
	cr_assert_eq(atomic_load(&pr.delivered), NREC);
	cr_assert(sl_query_is_active(q), "the relay stopped: %s",
		  sl_query_exception(q) ? sl_query_exception(q) : "(no error)");
	cr_log_info("relay: started in %lld ms; producer %d records in %lld "
		    "ms; %d records out after %lld ms (incl. 1.5 s watching "
		    "for strays)",
		    (long long)started, NREC, (long long)pr.ms, c.got,
		    (long long)relayed);
	cr_assert_eq(sl_query_stop(q), 0, "stop: %s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_session_destroy(s);

	cr_assert_eq(c.first_err[0], 0, "%s (%d records read, %d duplicates)",
		     c.first_err, c.got, c.dups);
	cr_assert_eq(c.dups, 0);
	cr_assert_eq(c.got, NREC, "%d of %d records came out", c.got, NREC);
	for (int p = 0; p < NPART; p++)
		cr_assert_eq(c.next[p], NREC / NPART, "partition %d: %d", p,
			     c.next[p]);
}

/* Relays n records by key (SELECT key, value: no partition column) and
 * checks them: all of a key's records in one partition, in order, each
 * once. c->key_part then holds each key's output partition. */
static void run_keyed(int n, struct check *c)
{
	char in[128], out[128];
	struct producer pr = { .n = n, .explicit_part = true };
	pthread_t th;

	memset(c, 0, sizeof(*c));
	c->want = n;
	c->key_next = calloc(NPART * KEYS_PER_PART, sizeof(int));
	c->key_part = malloc(NPART * KEYS_PER_PART * sizeof(int));
	for (int i = 0; i < NPART * KEYS_PER_PART; i++) {
		c->key_next[i] = i % KEYS_PER_PART;
		c->key_part[i] = -1;
	}
	sl_test_kafka_make_ready_topic(in, sizeof(in), "keyed-in", NPART);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "keyed-out", NPART);
	pr.topic = in;

	sl_session *s = sl_session_new();
	sl_query *q = start_relay(s, in, out, false);

	pthread_create(&th, NULL, producer_main, &pr);
	read_output(c, out, false, sl_test_now_ms() + 30000, 1000);
	pthread_join(th, NULL);
	cr_assert_eq(pr.err[0], 0, "the test's producer: %s", pr.err);
	cr_assert(sl_query_is_active(q), "the relay stopped: %s",
		  sl_query_exception(q) ? sl_query_exception(q) : "(no error)");
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);

	cr_assert_eq(c->first_err[0], 0, "%s (%d records read, %d duplicates)",
		     c->first_err, c->got, c->dups);
	cr_assert_eq(c->got, n, "%d of %d records came out", c->got, n);
	for (int i = 0; i < NPART * KEYS_PER_PART; i++)
		cr_assert_geq(c->key_part[i], 0);
}

static void free_check(struct check *c)
{
	free(c->key_next);
	free(c->key_part);
}

/* Without a partition column the sink's partitioner places each record by
 * its key: all of a key's records land in one partition, in order. */
Test(relay, keyed_records_keep_their_order_per_key)
{
	struct check c;
	int used[NPART] = { 0 };

	run_keyed(200000, &c);
	for (int i = 0; i < NPART * KEYS_PER_PART; i++)
		used[c.key_part[i]]++;
	cr_log_info("keyed: keys per output partition %d %d %d %d", used[0],
		    used[1], used[2], used[3]);
	free_check(&c);
}

/* The output partition follows the key as Kafka's default partitioner
 * does. Kafka's (the Java producer's, so Spark's) default
 * partitioner is murmur2 of the key modulo the partition count; a key must
 * land where Spark would put it. librdkafka's own default is
 * consistent_random (CRC32), which differs for most keys. */
Test(relay, keyed_partition_is_kafkas_default_partitioner)
{
	struct check c;
	int java = 0, crc = 0, total = NPART * KEYS_PER_PART;
	char first[128] = "";

	run_keyed(20000, &c);
	for (int i = 0; i < total; i++) {
		char k[32];
		int kl = rec_key(k, sizeof(k), i / KEYS_PER_PART,
				 i % KEYS_PER_PART);
		int32_t want = rd_kafka_msg_partitioner_murmur2(
			NULL, k, (size_t)kl, NPART, NULL, NULL);

		if (c.key_part[i] == want)
			java++;
		else if (!first[0])
			snprintf(first, sizeof(first),
				 "key '%s' went to partition %d; Kafka's "
				 "default partitioner (murmur2) puts it in %d",
				 k, c.key_part[i], (int)want);
		crc += c.key_part[i] ==
		       rd_kafka_msg_partitioner_consistent(
			       NULL, k, (size_t)kl, NPART, NULL, NULL);
	}
	free_check(&c);
	cr_assert_eq(java, total,
		     "%d of %d keys are where Kafka's default partitioner puts "
		     "them (%d where librdkafka's CRC32 one does); first: %s",
		     java, total, crc, first);
}

/* A query started the moment its input topic was created: metadata
 * already names the partitions' leader, but the leader may answer
 * ListOffsets with "Not leader for partition" for a little while. That is
 * retriable: the start must wait it out, not fail. */
Test(relay, fresh_topic_starts_at_once)
{
	int failed = 0;
	char why[512] = "";

	for (int i = 0; i < 10; i++) {
		char in[128], out[128];

		sl_test_kafka_make_topic(in, sizeof(in), "fresh-in", NPART);
		sl_test_kafka_make_topic(out, sizeof(out), "fresh-out", NPART);
		sl_session *s = sl_session_new();
		sl_frame *f = read_topic(s, in);
		sl_query *q = NULL;

		if (f)
			q = write_topic(f, out, NULL);
		if (!q) {
			failed++;
			snprintf(why, sizeof(why), "%s", sl_session_errmsg(s));
		}
		sl_session_destroy(s);
	}
	cr_assert_eq(failed, 0, "%d of 10 starts on a fresh topic failed: %s",
		     failed, why);
}
