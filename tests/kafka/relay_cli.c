/* tests/kafka/relay_cli.c - `sluice relay --from A --to B` as an operator
 * runs it: the built binary in a child process against a real broker
 * (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one). Without a
 * broker the tests fail: they are never skipped.
 *
 * - keys_values_headers_in_order: records with keys (some null) and
 *   headers (none, several, a repeated name, a null value, binary bytes)
 *   produced before and after the relay starts all arrive once, with key,
 *   value and headers unchanged; every key in one output partition, in
 *   the order produced. SIGTERM ends the relay with status 0.
 * - keep_partition_mirrors_partitions: --keep-partition puts each record
 *   in its input partition's number although its key hashes elsewhere,
 *   in order per partition.
 * - sigterm_commits_the_last_epoch: with a trigger interval of an hour no
 *   epoch ends on its own, so the group's committed offsets and the
 *   checkpoint's can only come from the final epoch SIGTERM ends; a
 *   restart from the checkpoint relays only what is new.
 * - several_from_topics: --from A1,A2 reads both.
 * - available_now_copies_the_backlog_and_exits: --trigger availableNow
 *   relays what is there and ends with status 0.
 * - missing_output_topic_fails: status 1 and a message naming the topic.
 *
 * build/sluice is found through $SLUICE, else next to this binary's
 * directory (build/kafka-test/relay_cli -> build/sluice). Every wait has
 * its own generous deadline; no Criterion .timeout (tests/kafka/README.md). */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_seq.h"
#include "tests/support/tmpdir.h"

/* Generous bounds for things that take well under a second. */
#define START_MS 30000
#define ARRIVE_MS 60000
#define STOP_MS 30000

TestSuite(relay_cli, .init = sl_test_kafka_broker_setup);

/* ---- the child: sluice relay ------------------------------------------- */

/* A sluice relay and its temporary directory: the log, a checkpoint. */
typedef struct relay {
	sl_test_child ch;
	char dir[64];
} relay;

static void relay_init(relay *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/sl_relay_cli.XXXXXX");
	cr_assert_not_null(mkdtemp(c->dir));
}

static void relay_free(relay *c)
{
	if (c->ch.pid > 0) {
		kill(c->ch.pid, SIGKILL);
		waitpid(c->ch.pid, NULL, 0);
	}
	cr_assert_eq(sl_test_rmtree(c->dir), 0, "cannot remove %s", c->dir);
}

/* `sluice relay ARGS...` (NULL-terminated) with --bootstrap-servers set to
 * the broker; stdout and stderr appended to the log in c->dir. */
static void relay_start(relay *c, ...)
{
	const char *argv[64];
	char log[96];
	int n = 0;
	va_list ap;

	argv[n++] = sl_test_child_sluice_path();
	argv[n++] = "relay";
	argv[n++] = "--bootstrap-servers";
	argv[n++] = sl_test_kafka_broker;
	va_start(ap, c);
	for (const char *a; (a = va_arg(ap, const char *));) {
		cr_assert_lt(n, 62);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/log", c->dir);
	sl_test_child_spawn(&c->ch, argv, log);
}

/* The relay's log so far, NUL-terminated, in buf. */
static const char *log_text(relay *c, char *buf, size_t n)
{
	buf[0] = 0;
	FILE *f = fopen(c->ch.log, "r");
	if (!f)
		return buf;
	size_t k = fread(buf, 1, n - 1, f);
	buf[k] = 0;
	fclose(f);
	return buf;
}

/* Waits for the one-line start message: the query is running. */
static void relay_started(relay *c)
{
	char buf[4096];
	int64_t dl = sl_test_now_ms() + START_MS;
	while (!strstr(log_text(c, buf, sizeof(buf)),
		       "sluice relay: relaying")) {
		sl_test_child_check_alive(&c->ch);
		cr_assert_lt(sl_test_now_ms(), dl, "no start message; log:\n%s",
			     buf);
		sl_test_sleep_ms(20);
	}
}

/* SIGTERM: the relay must stop cleanly (status 0) and say why. */
static void relay_sigterm(relay *c)
{
	char buf[4096];
	kill(c->ch.pid, SIGTERM);
	int st = sl_test_child_wait(&c->ch, STOP_MS);
	log_text(c, buf, sizeof(buf));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "SIGTERM: status %#x, expected exit 0; log:\n%s", st, buf);
	cr_assert_not_null(strstr(buf, "SIGTERM: stopping"), "log:\n%s", buf);
}

/* ---- records ------------------------------------------------------------- */

/* The key of record seq: null for every 11th, else one of 40. */
static int want_key(uint32_t seq, char *buf, size_t n)
{
	if (seq % 11 == 0)
		return -1;
	return snprintf(buf, n, "k%u", seq % 40);
}

/* The headers of record seq: none for every 5th; else trace, bin (bytes
 * that are not text), a null-valued one for every 7th and a name given
 * twice for every 3rd (their order must survive). */
static rd_kafka_headers_t *want_headers(uint32_t seq)
{
	if (seq % 5 == 0)
		return NULL;
	rd_kafka_headers_t *h = rd_kafka_headers_new(5);
	char trace[24];
	unsigned char bin[3] = { 0x00, 0xff, (unsigned char)seq };
	snprintf(trace, sizeof(trace), "t%u", seq);
	rd_kafka_header_add(h, "trace", -1, trace, -1);
	rd_kafka_header_add(h, "bin", -1, bin, sizeof(bin));
	if (seq % 7 == 0)
		rd_kafka_header_add(h, "nullv", -1, NULL, 0);
	if (seq % 3 == 0) {
		rd_kafka_header_add(h, "dup", -1, "a", 1);
		rd_kafka_header_add(h, "dup", -1, "b", 1);
	}
	return h;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	cr_assert_eq(m->err, 0, "producing: %s", rd_kafka_err2str(m->err));
}

/* Produces records first..first+n-1 of the keyed, headed kind into topic
 * (partition -1: by key) or into partition seq % nparts; waits for every
 * delivery. Idempotent, so the input's order is exactly seq order. */
static void produce(const char *topic, uint32_t first, uint32_t n, int nparts,
		    bool by_key)
{
	rd_kafka_t *rk = sl_test_seq_producer_new(NULL, dr_cb);
	for (uint32_t seq = first; seq < first + n; seq++) {
		char key[16], val[16];
		int kl = want_key(seq, key, sizeof(key));
		int vl = snprintf(val, sizeof(val), "%u", seq);
		const void *kp = kl < 0 ? NULL : key;
		size_t klen = kl < 0 ? 0 : (size_t)kl;
		rd_kafka_headers_t *h = want_headers(seq);
		rd_kafka_resp_err_t e = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_PARTITION(by_key ? RD_KAFKA_PARTITION_UA
						    : (int32_t)(seq % nparts)),
			RD_KAFKA_V_KEY(kp, klen),
			RD_KAFKA_V_VALUE(val, (size_t)vl),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
		cr_assert_eq(e, 0, "produce: %s", rd_kafka_err2str(e));
		rd_kafka_poll(rk, 0);
	}
	cr_assert_eq(rd_kafka_flush(rk, 30000), 0, "flush");
	rd_kafka_destroy(rk);
}

/* Fails the test unless m carries exactly the headers of record seq. */
static void check_headers(const rd_kafka_message_t *m, uint32_t seq)
{
	rd_kafka_headers_t *want = want_headers(seq), *got = NULL;
	size_t nwant = want ? rd_kafka_header_cnt(want) : 0;
	size_t ngot = 0;
	if (!rd_kafka_message_headers(m, &got))
		ngot = rd_kafka_header_cnt(got);
	cr_assert_eq(ngot, nwant, "record %u: %zu headers, expected %zu", seq,
		     ngot, nwant);
	for (size_t i = 0; i < nwant; i++) {
		const char *wn, *gn;
		const void *wv, *gv;
		size_t ws, gs;
		cr_assert_eq(rd_kafka_header_get_all(want, i, &wn, &wv, &ws),
			     0);
		cr_assert_eq(rd_kafka_header_get_all(got, i, &gn, &gv, &gs), 0);
		cr_assert_str_eq(gn, wn, "record %u header %zu", seq, i);
		cr_assert_eq(gv == NULL, wv == NULL,
			     "record %u header %s: null is %d, expected %d",
			     seq, wn, gv == NULL, wv == NULL);
		cr_assert(gs == ws && (!ws || !memcmp(gv, wv, ws)),
			  "record %u header %s: value differs", seq, wn);
	}
	if (want)
		rd_kafka_headers_destroy(want);
}

/* The sequence number in a relayed record's value. */
static uint32_t value_seq(const rd_kafka_message_t *m, uint32_t limit)
{
	char buf[16];
	cr_assert(m->payload && m->len > 0 && m->len < sizeof(buf),
		  "a record without a sequence number (%zu bytes)", m->len);
	memcpy(buf, m->payload, m->len);
	buf[m->len] = 0;
	char *end;
	unsigned long seq = strtoul(buf, &end, 10);
	cr_assert(!*end && seq < limit, "a record '%s' not produced", buf);
	return (uint32_t)seq;
}

/* ---- reading the output ------------------------------------------------- */

typedef struct reader {
	rd_kafka_t *rk;
	uint32_t n;    /* records expected: sequence numbers 0..n-1 */
	uint8_t *seen; /* copies per sequence number */
	uint32_t unique;
} reader;

/* A consumer of every partition of topic from its beginning. */
static void reader_open(reader *r, const char *topic, int nparts, uint32_t n)
{
	r->rk = sl_test_seq_reader_new(topic, nparts);
	r->n = n;
	r->seen = calloc(n, 1);
	r->unique = 0;
	cr_assert_not_null(r->seen);
}

/* Reads until `until` distinct sequence numbers have been seen (the
 * deadline fails the test), then half a second more for strays; calls
 * check on every record. No sequence number may come twice. */
static void reader_read(reader *r, relay *c, uint32_t until,
			void (*check)(const rd_kafka_message_t *, uint32_t,
				      void *),
			void *arg)
{
	int64_t dl = sl_test_now_ms() + ARRIVE_MS, stray_end = -1;
	for (;;) {
		int64_t now = sl_test_now_ms();
		if (r->unique >= until && stray_end < 0)
			stray_end = now + 500;
		if (stray_end >= 0 && now >= stray_end)
			break;
		cr_assert_lt(now, dl, "%u of %u records arrived", r->unique,
			     until);
		if (c && c->ch.pid > 0)
			sl_test_child_check_alive(&c->ch);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 50);
		if (!m)
			continue;
		if (m->err) {
			cr_assert_eq(m->err, RD_KAFKA_RESP_ERR__PARTITION_EOF,
				     "reading: %s", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		uint32_t seq = value_seq(m, r->n);
		cr_assert_eq(r->seen[seq], 0,
			     "record %u arrived twice (partition %d offset "
			     "%lld)",
			     seq, (int)m->partition, (long long)m->offset);
		r->seen[seq] = 1;
		r->unique++;
		if (check)
			check(m, seq, arg);
		rd_kafka_message_destroy(m);
	}
}

static void reader_close(reader *r)
{
	rd_kafka_consumer_close(r->rk);
	rd_kafka_destroy(r->rk);
	free(r->seen);
}

/* ---- the tests ---------------------------------------------------------- */

#define KEYS 40

typedef struct by_key {
	int32_t part[KEYS]; /* output partition of each key, -1: none yet */
	int64_t last[KEYS]; /* last sequence number of each key */
} by_key;

/* Key, value and headers unchanged; each key in one partition, in order. */
static void check_keyed(const rd_kafka_message_t *m, uint32_t seq, void *arg)
{
	by_key *k = arg;
	char key[16];
	int kl = want_key(seq, key, sizeof(key));
	if (kl < 0) {
		cr_assert_null(m->key, "record %u: a key, expected null", seq);
	} else {
		cr_assert(m->key && m->key_len == (size_t)kl &&
				  !memcmp(m->key, key, (size_t)kl),
			  "record %u: wrong key", seq);
		uint32_t i = seq % KEYS;
		if (k->part[i] < 0)
			k->part[i] = m->partition;
		cr_assert_eq(m->partition, k->part[i],
			     "key %s in partitions %d and %d", key,
			     (int)k->part[i], (int)m->partition);
		cr_assert_gt((int64_t)seq, k->last[i],
			     "key %s: record %u after %lld", key, seq,
			     (long long)k->last[i]);
		k->last[i] = seq;
	}
	check_headers(m, seq);
}

Test(relay_cli, keys_values_headers_in_order)
{
	char in[96], out[96];
	relay c;
	reader r;
	by_key k;
	const uint32_t before = 3000, after = 3000;

	sl_test_kafka_make_topic(in, sizeof(in), "rcli-in", 3);
	sl_test_kafka_make_topic(out, sizeof(out), "rcli-out", 3);
	relay_init(&c);
	for (int i = 0; i < KEYS; i++) {
		k.part[i] = -1;
		k.last[i] = -1;
	}
	produce(in, 0, before, 3, true);
	relay_start(&c, "--from", in, "--to", out, "--starting-offsets",
		    "earliest", "--option", "kafka.acks=all", "--option",
		    "sink.kafka.linger.ms=0", NULL);
	relay_started(&c);
	/* and more while it runs: the relay keeps reading */
	produce(in, before, after, 3, true);
	reader_open(&r, out, 3, before + after);
	reader_read(&r, &c, before + after, check_keyed, &k);
	relay_sigterm(&c);
	reader_close(&r);
	/* null keys went somewhere, keyed records to one partition each */
	int used[3] = { 0 };
	for (int i = 0; i < KEYS; i++)
		if (k.part[i] >= 0)
			used[k.part[i]] = 1;
	cr_assert(used[0] + used[1] + used[2] >= 2,
		  "40 keys all in one partition: not partitioned by key");
	relay_free(&c);
}

/* Output partition = input partition = seq % 4, in order within it. */
static void check_mirrored(const rd_kafka_message_t *m, uint32_t seq, void *arg)
{
	int64_t *last = arg;
	cr_assert_eq(m->partition, (int32_t)(seq % 4),
		     "record %u in partition %d, produced to %u", seq,
		     (int)m->partition, seq % 4);
	cr_assert_gt((int64_t)seq, last[m->partition],
		     "partition %d: record %u after %lld", (int)m->partition,
		     seq, (long long)last[m->partition]);
	last[m->partition] = seq;
	check_headers(m, seq);
}

Test(relay_cli, keep_partition_mirrors_partitions)
{
	char in[96], out[96];
	relay c;
	reader r;
	int64_t last[4] = { -1, -1, -1, -1 };
	const uint32_t n = 4000;

	sl_test_kafka_make_topic(in, sizeof(in), "rcli-kp-in", 4);
	sl_test_kafka_make_topic(out, sizeof(out), "rcli-kp-out", 4);
	relay_init(&c);
	/* by partition number, not by key: 40 keys over 4 partitions,
	 * so hashing the key would move most records */
	produce(in, 0, n, 4, false);
	relay_start(&c, "--from", in, "--to", out, "--keep-partition",
		    "--starting-offsets", "earliest", NULL);
	relay_started(&c);
	reader_open(&r, out, 4, n);
	reader_read(&r, &c, n, check_mirrored, last);
	relay_sigterm(&c);
	reader_close(&r);
	relay_free(&c);
}

/* The group's committed offset of each partition of topic. */
static void committed(const char *group, const char *topic, int nparts,
		      int64_t *off)
{
	rd_kafka_conf_t *conf = sl_test_kafka_conf_new();
	sl_test_kafka_set(conf, "group.id", group);
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, conf);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(nparts);
	for (int p = 0; p < nparts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p);
	cr_assert_eq(rd_kafka_committed(rk, l, 10000), 0);
	for (int p = 0; p < nparts; p++)
		off[p] = l->elems[p].offset;
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
}

Test(relay_cli, sigterm_commits_the_last_epoch)
{
	char in[96], out[96], group[128], ckpt[128];
	relay c;
	reader r;
	int64_t off[2], hi[2];
	const uint32_t first = 500, more = 200;

	sl_test_kafka_make_topic(in, sizeof(in), "rcli-ep-in", 2);
	sl_test_kafka_make_topic(out, sizeof(out), "rcli-ep-out", 2);
	snprintf(group, sizeof(group), "%s-relay", in);
	relay_init(&c);
	snprintf(ckpt, sizeof(ckpt), "%s/ckpt", c.dir);
	produce(in, 0, first, 2, true);
	/* An hour between epochs: only the stop ends one. */
	relay_start(&c, "--from", in, "--to", out, "--starting-offsets",
		    "earliest", "--group-id", group, "--checkpoint", ckpt,
		    "--trigger", "continuous 1 hour", NULL);
	relay_started(&c);
	reader_open(&r, out, 2, first + more);
	reader_read(&r, &c, first, NULL, NULL);
	relay_sigterm(&c);
	sl_test_kafka_topic_ends(in, 2, hi);
	committed(group, in, 2, off);
	for (int p = 0; p < 2; p++)
		cr_assert_eq(off[p], hi[p],
			     "partition %d: the group committed %lld, the "
			     "input ends at %lld",
			     p, (long long)off[p], (long long)hi[p]);

	/* The same relay again: it resumes from its checkpoint, so only
	 * the new records come out (the reader fails on a second copy). */
	relay_start(&c, "--from", in, "--to", out, "--starting-offsets",
		    "earliest", "--group-id", group, "--checkpoint", ckpt,
		    "--trigger", "continuous 1 hour", NULL);
	relay_started(&c);
	produce(in, first, more, 2, true);
	reader_read(&r, &c, first + more, NULL, NULL);
	relay_sigterm(&c);
	reader_close(&r);
	relay_free(&c);
}

Test(relay_cli, several_from_topics)
{
	char in1[96], in2[96], out[96], from[200];
	relay c;
	reader r;

	sl_test_kafka_make_topic(in1, sizeof(in1), "rcli-a1", 1);
	sl_test_kafka_make_topic(in2, sizeof(in2), "rcli-a2", 1);
	sl_test_kafka_make_topic(out, sizeof(out), "rcli-a-out", 1);
	relay_init(&c);
	produce(in1, 0, 300, 1, true);
	produce(in2, 300, 300, 1, true);
	snprintf(from, sizeof(from), "%s,%s", in1, in2);
	relay_start(&c, "--from", from, "--to", out, "--starting-offsets",
		    "earliest", NULL);
	relay_started(&c);
	reader_open(&r, out, 1, 600);
	reader_read(&r, &c, 600, NULL, NULL);
	relay_sigterm(&c);
	reader_close(&r);
	relay_free(&c);
}

/* --trigger availableNow: what is in the input when it starts, then the
 * relay ends by itself (a one-off copy of a topic). */
Test(relay_cli, available_now_copies_the_backlog_and_exits)
{
	char in[96], out[96], buf[4096];
	relay c;
	reader r;

	sl_test_kafka_make_topic(in, sizeof(in), "rcli-now-in", 2);
	sl_test_kafka_make_topic(out, sizeof(out), "rcli-now-out", 2);
	relay_init(&c);
	produce(in, 0, 1000, 2, true);
	relay_start(&c, "--from", in, "--to", out, "--starting-offsets",
		    "earliest", "--trigger", "availableNow", NULL);
	int st = sl_test_child_wait(&c.ch, ARRIVE_MS);
	log_text(&c, buf, sizeof(buf));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "status %#x, expected exit 0; log:\n%s", st, buf);
	reader_open(&r, out, 2, 1000);
	reader_read(&r, NULL, 1000, NULL, NULL);
	reader_close(&r);
	relay_free(&c);
}

Test(relay_cli, missing_output_topic_fails)
{
	char in[96], out[128], buf[4096];
	relay c;

	sl_test_kafka_make_topic(in, sizeof(in), "rcli-miss-in", 1);
	snprintf(out, sizeof(out), "%s-nowhere", in);
	relay_init(&c);
	relay_start(&c, "--from", in, "--to", out, "--option",
		    "sink.metadataTimeout=2 seconds", NULL);
	int st = sl_test_child_wait(&c.ch, START_MS);
	log_text(&c, buf, sizeof(buf));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1,
		  "status %#x, expected exit 1; log:\n%s", st, buf);
	cr_assert_not_null(strstr(buf, out), "the topic is not named:\n%s",
			   buf);
	cr_assert_null(strstr(buf, "relaying"), "it claimed to run:\n%s", buf);
	relay_free(&c);
}
