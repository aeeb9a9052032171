/* tests/kafka/eos_relay.c - deliveryGuarantee 'exactly-once' against a real
 * broker (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one). Without
 * a broker the tests fail: they are never skipped.
 *
 * `sluice run FILE` relays a 4-partition input topic to a 4-partition
 * output topic (continuous 100 ms, `SELECT key, value, partition`: each
 * record keeps its partition, so each output partition must hold its
 * input partition's sequence numbers in increasing order) in a child
 * process. The input is numbered records (tests/support/kafka_seq.h:
 * sequence s in partition s % 4, key k<s % 1000>). A reader of this file,
 * a plain librdkafka consumer with isolation.level=read_committed, reads
 * the output and counts each number's copies and every reordering.
 *
 * - kill_exactly_once: 1,000,000 records; the relay is killed with SIGKILL
 *   at a random moment of each run, ten times, and started again; then a
 *   last run until every record is out and a planned stop. Every record
 *   is in the output exactly once and in order.
 * - kill_at_least_once_repeats: the same relay without the option, killed
 *   three times: duplicates appear, so the first test tells the modes
 *   apart.
 * - chain_exactly_once: relays A -> B -> C, both exactly once, B killed
 *   five times, each time within a second of its output growing: C's
 *   output has every record once, in order.
 * - kill_exactly_once_micro_batch: the same with processingTime 100 ms.
 * - stateful_kill_exactly_once: a count by key (update mode) killed five
 *   times: each key's counts only grow, and end right.
 * - replayed_batch_dropped: the same count stopped, its last commits/N
 *   removed (a death between the transaction's commit and the
 *   checkpoint's, made certain): the re-run batch's output is dropped;
 *   at-least-once (replayed_batch_repeated_at_least_once) writes it
 *   again.
 * - zombie_fenced: a second relay with the same consumer group (so the
 *   same transactional.id) starts while the first runs: the first stops
 *   with the fencing error, the second relays the rest, nothing repeats.
 * - open_transaction_aborted: a producer of this test holds a transaction
 *   open on the relay's transactional.id with a record in it, as a
 *   crashed relay would leave it: the relay's start aborts it (the record
 *   never shows and the producer is fenced), and the relay's output is
 *   visible at once, not after transaction.timeout.ms. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_seq.h"
#include "tests/support/tmpdir.h"

#define NPART 4

TestSuite(eos_relay, .init = sl_test_kafka_broker_setup);

/* ---- the read_committed reader ------------------------------------------ */

typedef struct eos_reader {
	char topic[96];
	uint32_t n;
	uint8_t *count;
	int64_t last[NPART]; /* the last sequence number per partition */
	_Atomic uint32_t unique;
	_Atomic uint64_t total, reordered, foreign;
	_Atomic bool stop;
	pthread_t th;
} eos_reader;

/* A plain consumer of topic's partitions from the beginning that sees
 * only committed records, as a user of the output would set it up. */
static rd_kafka_t *committed_reader(const char *topic)
{
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	char gid[160];

	snprintf(gid, sizeof(gid), "%s-eos-reader", topic);
	sl_test_kafka_set(c, "group.id", gid);
	sl_test_kafka_set(c, "enable.auto.commit", "false");
	sl_test_kafka_set(c, "isolation.level", "read_committed");
	sl_test_kafka_set(c, "fetch.wait.max.ms", "20");
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(NPART);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	return rk;
}

static void *eos_reader_main(void *arg)
{
	eos_reader *r = arg;
	rd_kafka_t *rk = committed_reader(r->topic);
	while (!atomic_load(&r->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		if (!m)
			continue;
		if (!m->err && m->payload && m->partition < NPART) {
			char buf[16];
			size_t len = m->len < 15 ? m->len : 15;
			memcpy(buf, m->payload, len);
			buf[len] = 0;
			char *end;
			unsigned long s = strtoul(buf, &end, 10);
			if (*end || s >= r->n) {
				atomic_fetch_add(&r->foreign, 1);
			} else {
				if (r->count[s]++ == 0)
					atomic_fetch_add(&r->unique, 1);
				if ((int64_t)s <= r->last[m->partition])
					atomic_fetch_add(&r->reordered, 1);
				r->last[m->partition] = (int64_t)s;
			}
			atomic_fetch_add(&r->total, 1);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

static void eos_reader_start(eos_reader *r, const char *topic, uint32_t n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->topic, sizeof(r->topic), "%s", topic);
	r->n = n;
	r->count = calloc(n, 1);
	cr_assert_not_null(r->count);
	for (int p = 0; p < NPART; p++)
		r->last[p] = -1;
	pthread_create(&r->th, NULL, eos_reader_main, r);
}

/* Until every number is in, then 1.5 s more for strays (a duplicate
 * would come from the last run, which has committed by then). */
static void eos_reader_finish(eos_reader *r, int64_t timeout_ms,
			      sl_test_child **kids, int nkids)
{
	int64_t dl = sl_test_now_ms() + timeout_ms;
	while (atomic_load(&r->unique) < r->n) {
		for (int k = 0; k < nkids; k++)
			if (kids[k]->pid)
				sl_test_child_check_alive(kids[k]);
		if (sl_test_now_ms() > dl) {
			for (int k = 0; k < nkids; k++)
				sl_test_child_print_log(kids[k]);
			cr_assert_fail("read_committed output has %u of %u "
				       "records after %lld ms",
				       atomic_load(&r->unique), r->n,
				       (long long)timeout_ms);
		}
		sl_test_sleep_ms(50);
	}
	sl_test_sleep_ms(1500);
	atomic_store(&r->stop, true);
	pthread_join(r->th, NULL);
}

static uint64_t eos_reader_dups(const eos_reader *r)
{
	uint64_t d = 0;
	for (uint32_t s = 0; s < r->n; s++)
		if (r->count[s] > 1)
			d += r->count[s] - 1;
	return d;
}

/* ---- a relay ------------------------------------------------------------ */

typedef struct relay {
	char in[96], out[96], group[160];
	char dir[64], file[128], log[128];
	sl_test_child ch;
} relay;

static void relay_file_with(relay *r, const char *in, const char *out,
			    const char *group, bool eos, const char *tag,
			    const char *trigger, const char *select,
			    const char *extra)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->in, sizeof(r->in), "%s", in);
	snprintf(r->out, sizeof(r->out), "%s", out);
	snprintf(r->group, sizeof(r->group), "%s", group);
	snprintf(r->dir, sizeof(r->dir), "/tmp/sl_eos.XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	snprintf(r->file, sizeof(r->file), "%s/relay.sql", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/log-%s", r->dir, tag);
	FILE *f = fopen(r->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = "
		"'%s',\n"
		"  startingOffsets = 'earliest',\n"
		"  kafka.bootstrap.servers = '%s', kafka.group.id = '%s');\n"
		"CREATE SINK output WITH (format = 'kafka', topic = '%s',\n"
		"  kafka.bootstrap.servers = '%s',\n"
		"  deliveryGuarantee = '%s',\n"
		"  checkpointLocation = '%s/ckpt',%s\n"
		"  trigger = '%s');\n"
		"INSERT INTO output %s;\n",
		in, sl_test_kafka_broker, group, out, sl_test_kafka_broker,
		eos ? "exactly-once" : "at-least-once", r->dir, extra, trigger,
		select);
	fclose(f);
}

static void relay_file(relay *r, const char *in, const char *out,
		       const char *group, bool eos, const char *tag)
{
	relay_file_with(r, in, out, group, eos, tag, "continuous 100 ms",
			"SELECT key, value, partition FROM input", "");
}

static void relay_free(relay *r)
{
	cr_assert_eq(sl_test_rmtree(r->dir), 0, "cannot remove %s", r->dir);
}

/* Runs r kills times, each killed with SIGKILL 0.4 to 2.5 s into it; or,
 * with after_output, 0 to 1 s after its output first grows (so that each
 * run has committed something and is killed while records flow). */
static void relay_kill_runs(relay *r, int kills, const char *tag,
			    const eos_reader *rd, bool after_output)
{
	for (int i = 0; i < kills; i++) {
		uint32_t before = atomic_load(&rd->unique);
		int64_t t0 = sl_test_now_ms();
		sl_test_child_start(&r->ch, r->file, r->log);
		if (after_output)
			while (atomic_load(&rd->unique) == before &&
			       before < rd->n) {
				sl_test_child_check_alive(&r->ch);
				cr_assert_lt(sl_test_now_ms(), t0 + 30000,
					     "run %d writes nothing", i + 1);
				sl_test_sleep_ms(5);
			}
		int64_t life = after_output ? rand() % 1000
					    : 400 + rand() % 2100;
		int64_t t_end = sl_test_now_ms() + life;
		while (sl_test_now_ms() < t_end) {
			sl_test_child_check_alive(&r->ch);
			sl_test_sleep_ms(20);
		}
		kill(r->ch.pid, SIGKILL);
		int st = sl_test_child_wait(&r->ch, 10000);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		fprintf(stderr,
			"eos_relay %s: kill %d after %lld ms: output %u "
			"unique, %llu total\n",
			tag, i + 1, (long long)(sl_test_now_ms() - t0),
			atomic_load(&rd->unique),
			(unsigned long long)atomic_load(&rd->total));
	}
}

static void seed_random(const char *tag)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	fprintf(stderr, "eos_relay %s: seed %u\n", tag, seed);
}

/* The input: numbered records into a topic of the test's own. */
static void input_start(sl_test_seq_io *s, const char *base, uint32_t n,
			uint32_t prefill, uint32_t rate)
{
	memset(s, 0, sizeof(*s));
	sl_test_kafka_make_topic(s->in, sizeof(s->in), base, NPART);
	/* the seq reader's topic: the input itself (only the producer and
	 * its delivery reports are used) */
	snprintf(s->out, sizeof(s->out), "%s", s->in);
	sl_test_seq_start(s, base, NPART, n, prefill, rate);
}

static void input_done(sl_test_seq_io *s)
{
	sl_test_seq_produced(s);
	atomic_store(&s->read_stop, true);
	pthread_join(s->read_th, NULL);
	sl_test_seq_free(s);
}

static void kill_test(bool eos, uint32_t n, int kills, const char *tag,
		      const char *trigger)
{
	sl_test_seq_io in;
	char out[96], group[160];
	relay r;
	eos_reader rd;

	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	seed_random(tag);
	input_start(&in, tag, n, n / 10, 40000);
	sl_test_kafka_make_topic(out, sizeof(out), tag, NPART);
	snprintf(group, sizeof(group), "%s-relay", in.in);
	relay_file_with(&r, in.in, out, group, eos, "relay", trigger,
			"SELECT key, value, partition FROM input", "");
	eos_reader_start(&rd, out, n);

	relay_kill_runs(&r, kills, tag, &rd, false);
	sl_test_child_start(&r.ch, r.file, r.log);
	input_done(&in);
	sl_test_child *kid = &r.ch;
	eos_reader_finish(&rd, 120000, &kid, 1);
	sl_test_child_stop(&r.ch, 30000);

	uint64_t dups = eos_reader_dups(&rd);
	fprintf(stderr,
		"eos_relay %s: %u records, %d kills, %llu duplicates, %llu "
		"out of order, %llu output records\n",
		tag, n, kills, (unsigned long long)dups,
		(unsigned long long)atomic_load(&rd.reordered),
		(unsigned long long)atomic_load(&rd.total));
	cr_assert_eq(atomic_load(&rd.foreign), 0);
	if (eos) {
		cr_assert_eq(dups, 0,
			     "exactly-once: %llu records repeated after %d "
			     "kills",
			     (unsigned long long)dups, kills);
		cr_assert_eq(atomic_load(&rd.reordered), 0,
			     "exactly-once: records out of order");
		cr_assert_eq(atomic_load(&rd.total), (uint64_t)n);
	} else {
		cr_assert_gt(dups, 0,
			     "at-least-once repeats records after kills (or "
			     "the test cannot tell the modes apart)");
	}
	free(rd.count);
	relay_free(&r);
}

Test(eos_relay, kill_exactly_once)
{
	kill_test(true, 1000000, 10, "eos-kill", "continuous 100 ms");
}

Test(eos_relay, kill_at_least_once_repeats)
{
	kill_test(false, 300000, 3, "alo-kill", "continuous 100 ms");
}

/* Micro-batches: a restart re-runs the batch the checkpoint planned; if
 * the killed run had committed its transaction, its output is dropped. */
Test(eos_relay, kill_exactly_once_micro_batch)
{
	kill_test(true, 300000, 5, "eos-mb-kill", "processingTime 100 ms");
}

Test(eos_relay, chain_exactly_once)
{
	sl_test_seq_io in;
	char mid[96], out[96], ga[160], gb[160];
	relay a, b;
	eos_reader rd;
	const uint32_t n = 300000;

	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	seed_random("chain");
	input_start(&in, "chain", n, n / 10, 12000);
	sl_test_kafka_make_topic(mid, sizeof(mid), "chain-mid", NPART);
	sl_test_kafka_make_topic(out, sizeof(out), "chain-out", NPART);
	snprintf(ga, sizeof(ga), "%s-a", in.in);
	snprintf(gb, sizeof(gb), "%s-b", in.in);
	relay_file(&a, in.in, mid, ga, true, "a");
	relay_file(&b, mid, out, gb, true, "b");
	eos_reader_start(&rd, out, n);
	sl_test_child_start(&a.ch, a.file, a.log);
	/* A runs throughout; B, reading A's committed output only, is
	 * killed. */
	relay_kill_runs(&b, 5, "chain", &rd, true);
	sl_test_child_start(&b.ch, b.file, b.log);
	input_done(&in);
	sl_test_child *kids[] = { &a.ch, &b.ch };
	eos_reader_finish(&rd, 120000, kids, 2);
	sl_test_child_stop(&b.ch, 30000);
	sl_test_child_stop(&a.ch, 30000);
	uint64_t dups = eos_reader_dups(&rd);
	fprintf(stderr, "eos_relay chain: %u records, %llu duplicates\n", n,
		(unsigned long long)dups);
	cr_assert_eq(dups, 0);
	cr_assert_eq(atomic_load(&rd.reordered), 0);
	cr_assert_eq(atomic_load(&rd.total), (uint64_t)n);
	free(rd.count);
	relay_free(&a);
	relay_free(&b);
}

/* Whether the child's log contains text. */
static bool log_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

Test(eos_relay, zombie_fenced)
{
	sl_test_seq_io in;
	char out[96], group[160];
	relay a, b;
	eos_reader rd;
	const uint32_t n = 200000;

	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	input_start(&in, "zombie", n, n / 10, 40000);
	sl_test_kafka_make_topic(out, sizeof(out), "zombie-out", NPART);
	snprintf(group, sizeof(group), "%s-relay", in.in);
	/* the same group, so the same transactional.id; their own
	 * checkpoints */
	relay_file(&a, in.in, out, group, true, "a");
	relay_file(&b, in.in, out, group, true, "b");
	eos_reader_start(&rd, out, n);
	sl_test_child_start(&a.ch, a.file, a.log);
	int64_t dl = sl_test_now_ms() + 60000;
	while (atomic_load(&rd.unique) < n / 5) {
		sl_test_child_check_alive(&a.ch);
		cr_assert_lt(sl_test_now_ms(), dl, "A relays nothing");
		sl_test_sleep_ms(20);
	}
	sl_test_child_start(&b.ch, b.file, b.log);
	int st = sl_test_child_wait(&a.ch, 60000);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0,
		  "the fenced relay must stop with a failure");
	cr_assert(log_has(a.log, "is fenced"),
		  "the first relay's error names the fencing");
	input_done(&in);
	sl_test_child *kid = &b.ch;
	eos_reader_finish(&rd, 120000, &kid, 1);
	sl_test_child_stop(&b.ch, 30000);
	uint64_t dups = eos_reader_dups(&rd);
	fprintf(stderr, "eos_relay zombie: %llu duplicates\n",
		(unsigned long long)dups);
	cr_assert_eq(dups, 0);
	cr_assert_eq(atomic_load(&rd.reordered), 0);
	cr_assert_eq(atomic_load(&rd.total), (uint64_t)n);
	free(rd.count);
	relay_free(&a);
	relay_free(&b);
}

Test(eos_relay, open_transaction_aborted)
{
	sl_test_seq_io in;
	char out[96], group[160], txid[300];
	relay r;
	eos_reader rd;
	const uint32_t n = 50000;

	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	input_start(&in, "abort", n, n, 0);
	sl_test_kafka_make_topic(out, sizeof(out), "abort-out", NPART);
	snprintf(group, sizeof(group), "%s-relay", in.in);
	relay_file(&r, in.in, out, group, true, "relay");
	input_done(&in);

	/* What a relay killed in mid-epoch leaves: its transaction open,
	 * with a record in it, for transaction.timeout.ms (60 s). */
	snprintf(txid, sizeof(txid), "sluice-%s-%s", group, out);
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	sl_test_kafka_set(c, "transactional.id", txid);
	sl_test_kafka_set(c, "transaction.timeout.ms", "60000");
	rd_kafka_t *zombie = sl_test_kafka_client_new(RD_KAFKA_PRODUCER, c);
	rd_kafka_error_t *e = rd_kafka_init_transactions(zombie, 30000);
	cr_assert_null(e, "%s", e ? rd_kafka_error_string(e) : "");
	cr_assert_null(rd_kafka_begin_transaction(zombie));
	cr_assert_eq(rd_kafka_producev(zombie, RD_KAFKA_V_TOPIC(out),
				       RD_KAFKA_V_PARTITION(0),
				       RD_KAFKA_V_VALUE("zombie", 6),
				       RD_KAFKA_V_END),
		     0);
	cr_assert_eq(rd_kafka_flush(zombie, 10000), 0);

	eos_reader_start(&rd, out, n);
	int64_t t0 = sl_test_now_ms();
	sl_test_child_start(&r.ch, r.file, r.log);
	sl_test_child *kid = &r.ch;
	/* The open transaction would hold the output's stable offset back
	 * until it times out: everything out well before, or it was not
	 * aborted. */
	eos_reader_finish(&rd, 30000, &kid, 1);
	int64_t took = sl_test_now_ms() - t0;
	sl_test_child_stop(&r.ch, 30000);
	fprintf(stderr, "eos_relay abort: every record visible %lld ms "
			"after the start\n",
		(long long)took);
	cr_assert_eq(atomic_load(&rd.foreign), 0,
		     "the open transaction's record became visible");
	cr_assert_eq(atomic_load(&rd.total), (uint64_t)n);
	e = rd_kafka_commit_transaction(zombie, 10000);
	cr_assert_not_null(e, "the old producer is fenced");
	rd_kafka_error_destroy(e);
	rd_kafka_destroy(zombie);
	free(rd.count);
	relay_free(&r);
}

/* ---- a stateful query ------------------------------------------------------ */

#define NKEYS 1000

/* Reads the counts by key (key "k<i>", value the count) with
 * read_committed, and checks each key's counts only grow. */
typedef struct count_reader {
	char topic[96];
	int64_t last[NKEYS];
	_Atomic uint64_t total, repeated, bad;
	_Atomic bool stop;
	pthread_t th;
} count_reader;

static void *count_reader_main(void *arg)
{
	count_reader *r = arg;
	rd_kafka_t *rk = committed_reader(r->topic);
	while (!atomic_load(&r->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		if (!m)
			continue;
		if (!m->err) {
			char k[16] = "", v[24] = "";
			unsigned key;
			long long cnt;
			snprintf(k, sizeof(k), "%.*s", (int)m->key_len,
				 m->key ? (const char *)m->key : "");
			snprintf(v, sizeof(v), "%.*s", (int)m->len,
				 m->payload ? (const char *)m->payload : "");
			if (sscanf(k, "k%u", &key) != 1 || key >= NKEYS ||
			    sscanf(v, "%lld", &cnt) != 1) {
				atomic_fetch_add(&r->bad, 1);
			} else {
				if (cnt <= r->last[key])
					atomic_fetch_add(&r->repeated, 1);
				r->last[key] = cnt;
			}
			atomic_fetch_add(&r->total, 1);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

/* Whether every key's last count is want. */
static bool counts_final(count_reader *r, int64_t want)
{
	for (int k = 0; k < NKEYS; k++)
		if (r->last[k] != want)
			return false;
	return true;
}

/* The count by key of in (micro-batches of 200 ms, update mode) into a
 * topic of its own, and its reader started. */
static void count_start(relay *r, count_reader *cr, const sl_test_seq_io *in,
			bool eos, const char *tag)
{
	char out[96], group[160];

	sl_test_kafka_make_topic(out, sizeof(out), tag, NPART);
	snprintf(group, sizeof(group), "%s-count", in->in);
	relay_file_with(r, in->in, out, group, eos, "count",
			"processingTime 200 ms",
			"SELECT CAST(key AS STRING) AS key, CAST(count(*) AS "
			"STRING) AS value FROM input GROUP BY key",
			"\n  outputMode = 'update',");
	memset(cr, 0, sizeof(*cr));
	snprintf(cr->topic, sizeof(cr->topic), "%s", out);
	pthread_create(&cr->th, NULL, count_reader_main, cr);
}

static void stateful_kill(int kills, const char *tag)
{
	sl_test_seq_io in;
	relay r;
	count_reader cr;
	const uint32_t n = 100000; /* 100 records a key */

	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	seed_random(tag);
	input_start(&in, tag, n, n / 10, 20000);
	count_start(&r, &cr, &in, true, tag);
	relay_kill_runs(&r, kills, tag, &(eos_reader){ .n = 0 }, false);
	sl_test_child_start(&r.ch, r.file, r.log);
	input_done(&in);
	int64_t dl = sl_test_now_ms() + 120000;
	while (!counts_final(&cr, n / NKEYS)) {
		sl_test_child_check_alive(&r.ch);
		if (sl_test_now_ms() > dl) {
			sl_test_child_print_log(&r.ch);
			cr_assert_fail("the counts never reached %u a key",
				       n / NKEYS);
		}
		sl_test_sleep_ms(50);
	}
	sl_test_sleep_ms(1000);
	sl_test_child_stop(&r.ch, 30000);
	atomic_store(&cr.stop, true);
	pthread_join(cr.th, NULL);
	fprintf(stderr,
		"eos_relay %s: %d kills, %llu count updates, %llu repeated "
		"or going back\n",
		tag, kills, (unsigned long long)atomic_load(&cr.total),
		(unsigned long long)atomic_load(&cr.repeated));
	cr_assert_eq(atomic_load(&cr.bad), 0);
	cr_assert(counts_final(&cr, n / NKEYS), "a count moved after the end");
	cr_assert_eq(atomic_load(&cr.repeated), 0,
		     "exactly-once: a batch's updates were written twice");
	relay_free(&r);
}

/* A word count by key (update mode, micro-batches) killed five times:
 * each key's counts only grow and end at the number of its records. (The
 * window in which a kill makes at-least-once repeat a batch, between its
 * output's delivery and its commit file, is a few ms of each 200 ms
 * batch, too rare for a test to count on.) */
Test(eos_relay, stateful_kill_exactly_once)
{
	stateful_kill(5, "eos-count");
}

/* The process dies after the last batch's transaction committed and
 * before the checkpoint's commits/N: made certain by a planned stop, then
 * removing commits/N. The restart re-runs batch N on the state of N - 1.
 * Exactly-once drops the re-run's output (the group's offsets show N
 * committed); at-least-once writes N's updates again. */
static void replayed_batch(bool eos, const char *tag)
{
	sl_test_seq_io in;
	char commits[160], path[200];
	relay r;
	count_reader cr;
	const uint32_t n = 20000; /* 20 a key */

	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	input_start(&in, tag, n, n / 2, 20000);
	count_start(&r, &cr, &in, eos, tag);
	sl_test_child_start(&r.ch, r.file, r.log);
	input_done(&in);
	int64_t dl = sl_test_now_ms() + 60000;
	while (!counts_final(&cr, n / NKEYS)) {
		sl_test_child_check_alive(&r.ch);
		cr_assert_lt(sl_test_now_ms(), dl, "the counts never ended");
		sl_test_sleep_ms(50);
	}
	sl_test_child_stop(&r.ch, 30000);
	uint64_t before = atomic_load(&cr.total);
	snprintf(commits, sizeof(commits), "%s/ckpt/commits", r.dir);
	int64_t last = sl_test_newest_number(commits);
	cr_assert_geq(last, 0, "no batch committed");
	snprintf(path, sizeof(path), "%s/%lld", commits, (long long)last);
	cr_assert_eq(unlink(path), 0, "%s", path);

	sl_test_child_start(&r.ch, r.file, r.log);
	/* until the re-run batch is committed again */
	dl = sl_test_now_ms() + 60000;
	while (sl_test_newest_number(commits) < last) {
		sl_test_child_check_alive(&r.ch);
		cr_assert_lt(sl_test_now_ms(), dl, "batch %lld never re-ran",
			     (long long)last);
		sl_test_sleep_ms(50);
	}
	sl_test_sleep_ms(1500);
	sl_test_child_stop(&r.ch, 30000);
	atomic_store(&cr.stop, true);
	pthread_join(cr.th, NULL);
	fprintf(stderr,
		"eos_relay %s: batch %lld re-run: %llu updates before, %llu "
		"after; %llu repeated\n",
		tag, (long long)last, (unsigned long long)before,
		(unsigned long long)atomic_load(&cr.total),
		(unsigned long long)atomic_load(&cr.repeated));
	cr_assert(counts_final(&cr, n / NKEYS), "the counts end right");
	if (eos)
		cr_assert_eq(atomic_load(&cr.repeated), 0,
			     "exactly-once: the re-run batch's output was "
			     "written again");
	else
		cr_assert_gt(atomic_load(&cr.repeated), 0,
			     "at-least-once writes the re-run batch again");
	relay_free(&r);
}

Test(eos_relay, replayed_batch_dropped)
{
	replayed_batch(true, "eos-replay");
}

Test(eos_relay, replayed_batch_repeated_at_least_once)
{
	replayed_batch(false, "alo-replay");
}
