/* tests/kafka/scale_out.c - two sluice processes in one consumer group
 * split a topic's partitions and together relay everything; when one
 * stops, the other takes its partitions over and nothing is lost. Against
 * a real broker (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one);
 * without one the test fails, it is never skipped.
 *
 * Two `sluice run FILE` children relay a 4-partition input topic to an
 * output topic (continuous, 100 ms epochs, partitionAssignment 'group',
 * the same kafka.group.id, their own kafka.client.id and checkpoint).
 * The input is 120,000 numbered records, paced at 10,000 a second after
 * the first 20,000 and held back between the steps below, so that each
 * step has records of its own. The group's membership is read with the
 * admin API (DescribeConsumerGroups), by client id:
 *
 * 1. relay A alone: it holds all four partitions and relays the first
 *    20,000 records;
 * 2. relay B joins: the group moves partitions from A's running threads
 *    to B (A ends their threads, commits what it relayed and gives them
 *    up), each holds some, together all four, none twice; 30,000 more
 *    records all come out while that split holds (so both relayed);
 * 3. 40,000 more; once 10,000 of them are out, A gets SIGTERM while the
 *    rest still come (checked) and exits cleanly; the group then has B
 *    alone, holding all four;
 * 4. the last 30,000; the output holds every sequence number (none
 *    lost). Duplicates are allowed (at-least-once), counted and
 *    reported; the output's size is the input's plus them.
 *
 * The suite scale_out_mock does the same in one process against
 * librdkafka's mock cluster (two queries, each with its own source, in one
 * group, into memory tables; an eager assignor, range, where the broker
 * test uses the default cooperative-sticky), and checks the option errors
 * of partitionAssignment 'group'.
 *
 * No timing is asserted: each wait has a generous bound that only turns
 * a hang into a failure. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_group.h"
#include "tests/support/kafka_seq.h"
#include "tests/support/tmpdir.h"

#include "sluice.h"

#define NPART 4
#define N 120000
#define PREFILL 20000 /* step 1 */
#define STEP2 30000
#define STEP3 40000
#define RATE 10000

TestSuite(scale_out, .init = sl_test_kafka_broker_setup, .timeout = 300);

/* One relay process of the group. */
typedef struct member {
	char client_id[128];
	char file[128], ckpt[128], log[128];
	sl_test_child ch;
} member;

/* Who holds what (tests/support/kafka_group.h), by the members' client
 * ids. */
static int group_assignment(const char *group, const char *topic,
			    member *const *m, int nm, int *owner)
{
	const char *ids[8];

	for (int k = 0; k < nm; k++)
		ids[k] = m[k]->client_id;
	return sl_test_kafka_group_owners(group, topic, NPART, ids, nm,
					  owner);
}

/* Waits until the group is stable with `want` members, each holding at
 * least one partition, the partitions all held; the children stay alive
 * meanwhile. owner[p] is the member index holding partition p. */
static void wait_split(const char *group, const char *topic, member **m,
		       int nm, int want, int *owner)
{
	int64_t dl = sl_test_now_ms() + 60000;
	for (;;) {
		for (int k = 0; k < nm; k++)
			if (m[k]->ch.pid)
				sl_test_child_check_alive(&m[k]->ch);
		int n = group_assignment(group, topic, m, nm, owner);
		bool ok = n == want;
		int held[8] = { 0 };
		for (int p = 0; ok && p < NPART; p++) {
			if (owner[p] < 0)
				ok = false;
			else
				held[owner[p]]++;
		}
		for (int k = 0; ok && k < nm; k++)
			if (m[k]->ch.pid && !held[k])
				ok = false;
		if (ok)
			return;
		if (sl_test_now_ms() > dl) {
			for (int k = 0; k < nm; k++)
				sl_test_child_print_log(&m[k]->ch);
			cr_assert_fail("the group never settled on %d members "
				       "holding all %d partitions (last: %d "
				       "members; owners %d %d %d %d)",
				       want, NPART, n, owner[0], owner[1],
				       owner[2], owner[3]);
		}
		sl_test_sleep_ms(200);
	}
}

static void member_init(member *m, const char *dir, const char *name,
			const sl_test_seq_io *s, const char *group)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->client_id, sizeof(m->client_id), "%s-%s", s->in, name);
	snprintf(m->file, sizeof(m->file), "%s/%s.sql", dir, name);
	snprintf(m->ckpt, sizeof(m->ckpt), "%s/ckpt-%s", dir, name);
	snprintf(m->log, sizeof(m->log), "%s/log-%s", dir, name);
	FILE *f = fopen(m->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = "
		"'%s',\n"
		"  startingOffsets = 'earliest',\n"
		"  partitionAssignment = 'group', kafka.group.id = '%s',\n"
		"  kafka.client.id = '%s',\n"
		"  kafka.bootstrap.servers = '%s');\n"
		"CREATE SINK output WITH (format = 'kafka', topic = '%s',\n"
		"  kafka.bootstrap.servers = '%s',\n"
		"  checkpointLocation = '%s',\n"
		"  trigger = 'continuous 100 ms');\n"
		"INSERT INTO output SELECT key, value FROM input;\n",
		s->in, group, m->client_id, sl_test_kafka_broker, s->out,
		sl_test_kafka_broker, m->ckpt);
	fclose(f);
}

/* Waits until `want` records are out, the relays that run alive. */
static void wait_out(sl_test_seq_io *s, uint32_t want, member **m, int nm)
{
	int64_t dl = sl_test_now_ms() + 90000;
	while (atomic_load(&s->unique) < want) {
		for (int k = 0; k < nm; k++)
			if (m[k]->ch.pid)
				sl_test_child_check_alive(&m[k]->ch);
		if (sl_test_now_ms() > dl) {
			for (int k = 0; k < nm; k++)
				sl_test_child_print_log(&m[k]->ch);
			cr_assert_fail("%u of %u records out",
				       atomic_load(&s->unique), want);
		}
		sl_test_sleep_ms(20);
	}
}

Test(scale_out, two_relays_share_then_one_takes_over)
{
	sl_test_seq_io s;
	member a, b;
	member *m[2] = { &a, &b };
	sl_test_child *kids[2] = { &a.ch, &b.ch };
	char dir[64], group[160];
	int owner[NPART], split[NPART];

	/* the two tests take turns: two relays and a producer beside
	 * two more queries would starve each other */
	sl_test_kafka_take_turns("/tmp/sluice-scale-out.lock");
	memset(&s, 0, sizeof(s));
	snprintf(dir, sizeof(dir), "/tmp/sl_scale.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sl_test_kafka_make_topic(s.in, sizeof(s.in), "scale", NPART);
	sl_test_kafka_make_topic(s.out, sizeof(s.out), "scale-out", NPART);
	snprintf(group, sizeof(group), "%s-group", s.in);
	member_init(&a, dir, "a", &s, group);
	member_init(&b, dir, "b", &s, group);
	atomic_store(&s.limit, PREFILL);
	sl_test_seq_start(&s, "scale_out", NPART, N, PREFILL, RATE);
	int64_t t0 = sl_test_now_ms();

	/* 1. A alone. */
	sl_test_child_start(&a.ch, a.file, a.log);
	wait_split(group, s.in, m, 2, 1, owner);
	wait_out(&s, PREFILL, m, 2);
	fprintf(stderr, "scale_out: %.1f s: a alone relayed %u records\n",
		(sl_test_now_ms() - t0) / 1e3, atomic_load(&s.unique));

	/* 2. B joins; both relay. */
	sl_test_child_start(&b.ch, b.file, b.log);
	wait_split(group, s.in, m, 2, 2, split);
	fprintf(stderr,
		"scale_out: %.1f s: split: partitions 0-3 held by %c %c %c "
		"%c\n",
		(sl_test_now_ms() - t0) / 1e3, 'a' + split[0], 'a' + split[1],
		'a' + split[2], 'a' + split[3]);
	atomic_store(&s.limit, PREFILL + STEP2);
	wait_out(&s, PREFILL + STEP2, m, 2);
	/* Every record of step 2 is out, from all four partitions: if the
	 * split held meanwhile, each relay delivered its share. */
	wait_split(group, s.in, m, 2, 2, owner);
	for (int p = 0; p < NPART; p++)
		cr_assert_eq(owner[p], split[p],
			     "partition %d moved from %c to %c during step 2",
			     p, 'a' + split[p], 'a' + owner[p]);
	fprintf(stderr, "scale_out: %.1f s: %u records out\n",
		(sl_test_now_ms() - t0) / 1e3, atomic_load(&s.unique));

	/* 3. A stops while records flow; B takes everything over. */
	atomic_store(&s.limit, PREFILL + STEP2 + STEP3);
	wait_out(&s, PREFILL + STEP2 + STEP3 / 4, m, 2);
	uint32_t produced = atomic_load(&s.produced);
	cr_assert_lt(produced, PREFILL + STEP2 + STEP3,
		     "A stops while the input still flows (%u of %u produced)",
		     produced, PREFILL + STEP2 + STEP3);
	sl_test_child_stop(&a.ch, 30000);
	wait_split(group, s.in, m, 2, 1, owner);
	for (int p = 0; p < NPART; p++)
		cr_assert_eq(owner[p], 1, "partition %d: held by %c, not b", p,
			     'a' + owner[p]);
	fprintf(stderr,
		"scale_out: %.1f s: a stopped after %u records were "
		"produced; b holds all partitions\n",
		(sl_test_now_ms() - t0) / 1e3, produced);

	/* 4. Nothing lost. */
	atomic_store(&s.limit, N);
	sl_test_seq_produced(&s);
	sl_test_seq_wait_all(&s, 120000, kids, 2);
	sl_test_child_stop(&b.ch, 30000);
	sl_test_seq_drain(&s);
	uint64_t dups = 0;
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_gt(s.count[i], 0, "sequence %u is lost", i);
		dups += s.count[i] - 1;
	}
	fprintf(stderr,
		"scale_out: %u records, %llu duplicates (%.3f%%), %llu output "
		"records\n",
		N, (unsigned long long)dups, 100.0 * (double)dups / N,
		(unsigned long long)atomic_load(&s.total));
	cr_assert_eq(atomic_load(&s.total), (uint64_t)N + dups);
	sl_test_seq_free(&s);
	cr_assert_eq(sl_test_rmtree(dir), 0, "cannot remove %s", dir);
}

/* ---- the same in one process, on the mock cluster -------------------------- */

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mock;
static const char *mock_bs;

static void mock_up(void)
{
	mock = sl_test_kafka_mock_up(1, &mock_rk);
	mock_bs = rd_kafka_mock_cluster_bootstraps(mock);
	cr_assert_eq(rd_kafka_mock_topic_create(mock, "in", NPART, 1), 0);
}

static void mock_down(void)
{
	sl_test_kafka_mock_down(&mock, &mock_rk);
}

TestSuite(scale_out_mock, .init = mock_up, .fini = mock_down, .timeout = 300);

/* per records into each partition of "in": offsets from (round * per). */
static void mock_produce(int per)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char errstr[256];

	rd_kafka_conf_set(c, "bootstrap.servers", mock_bs, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set_log_cb(c, sl_test_kafka_quiet_log);
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER, c);
	sl_test_kafka_fill(rk, "in", NPART, per);
	rd_kafka_destroy(rk);
}

/* A query of its own source in group "g", into memory table `name`. */
static sl_query *mock_relay(sl_session *s, const char *name)
{
	const char *src[] = { "kafka.bootstrap.servers", mock_bs,
			      "subscribe", "in",
			      "startingOffsets", "earliest",
			      "partitionAssignment", "group",
			      "kafka.group.id", "g",
			      "kafka.client.id", name,
			      /* eager: the mock cluster of librdkafka
			       * 2.0.2 never hands a cooperative group's
			       * revoked partitions on to the new member
			       * (the real broker test runs cooperative) */
			      "kafka.partition.assignment.strategy", "range",
			      /* The mock's group coordinator (librdkafka
			       * 2.0.2) stays in its Joining state for a whole
			       * session timeout after every membership change,
			       * even once every member has rejoined: with the
			       * default 45 s, the split and the takeover took
			       * 45-90 s each, and on a loaded machine a wait
			       * ran out. 10 s keeps each rebalance short and
			       * heartbeats (every 1 s, librdkafka's thread)
			       * well inside it. */
			      "kafka.session.timeout.ms", "10000",
			      "kafka.heartbeat.interval.ms", "1000",
			      NULL };
	const char *sink[] = { "queryName", name, "trigger",
			       "continuous 100 ms", NULL };
	sl_frame *in = sl_session_read_stream(s, "kafka", src);
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	const char *cols[] = { "partition", "offset", NULL };
	sl_frame *f = sl_frame_select(in, cols);
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(f, "memory", sink, NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	return q;
}

/* seen[p][o]: how many times table `name` holds partition p, offset o
 * (o < max); returns the table's rows. */
static uint32_t mock_seen(sl_session *s, const char *name, int max,
			  uint8_t (*seen)[1024])
{
	sl_rows *r = sl_session_table(s, name);
	if (!r)
		return 0;
	uint32_t n = sl_rows_count(r);
	for (uint32_t i = 0; i < n; i++) {
		int64_t p = sl_rows_long(r, i, 0), o = sl_rows_long(r, i, 1);
		cr_assert(p >= 0 && p < NPART && o >= 0 && o < max,
			  "%s: partition %lld offset %lld", name, (long long)p,
			  (long long)o);
		seen[p][o]++;
	}
	sl_rows_free(r);
	return n;
}

/* Waits until tables a and b together hold offsets [0, upto) of every
 * partition; returns per table which partitions it holds offsets in
 * [from, upto) of (bit p). */
static void mock_wait(sl_session *s, sl_query *qa, sl_query *qb, int from,
		      int upto, unsigned *in_a, unsigned *in_b)
{
	static uint8_t sa[NPART][1024], sb[NPART][1024];
	int64_t dl = sl_test_now_ms() + 120000;
	for (;;) {
		memset(sa, 0, sizeof(sa));
		memset(sb, 0, sizeof(sb));
		mock_seen(s, "qa", 1024, sa);
		mock_seen(s, "qb", 1024, sb);
		bool all = true;
		*in_a = *in_b = 0;
		for (int p = 0; p < NPART; p++)
			for (int o = 0; o < upto; o++) {
				all &= sa[p][o] || sb[p][o];
				if (o >= from && sa[p][o])
					*in_a |= 1u << p;
				if (o >= from && sb[p][o])
					*in_b |= 1u << p;
			}
		if (all)
			return;
		cr_assert_null(sl_query_exception(qa), "qa: %s",
			       sl_query_exception(qa));
		if (qb)
			cr_assert_null(sl_query_exception(qb), "qb: %s",
				       sl_query_exception(qb));
		if (sl_test_now_ms() > dl) {
			for (int p = 0; p < NPART; p++)
				for (int o = 0; o < upto; o++)
					if (!sa[p][o] && !sb[p][o])
						cr_assert_fail(
							"offsets below %d of "
							"every partition never "
							"all arrived: none of "
							"partition %d from %d "
							"(qa %#x, qb %#x)",
							upto, p, o, *in_a,
							*in_b);
		}
		sl_test_sleep_ms(50);
	}
}

Test(scale_out_mock, two_queries_share_then_one_takes_over)
{
	sl_test_kafka_take_turns("/tmp/sluice-scale-out.lock"); /* see above */
	sl_session *s = sl_session_new();
	unsigned a, b;

	mock_produce(100);
	sl_query *qa = mock_relay(s, "qa");
	mock_wait(s, qa, NULL, 0, 100, &a, &b);
	cr_assert_eq(a, 0xf, "qa alone reads every partition (%#x)", a);

	/* qb joins: the group splits the partitions. Records go on
	 * arriving, 10 a partition at a time, until each query has read
	 * some of the new ones and no partition's new ones were read by
	 * both. */
	int per = 100; /* records in each partition */
	sl_query *qb = mock_relay(s, "qb");
	int64_t dl = sl_test_now_ms() + 60000;
	for (;;) {
		mock_produce(10);
		per += 10;
		mock_wait(s, qa, qb, per - 10, per, &a, &b);
		if (a && b && !(a & b) && (a | b) == 0xf)
			break;
		cr_assert_lt(sl_test_now_ms(), dl,
			     "the partitions were never split (qa %#x, qb "
			     "%#x)",
			     a, b);
		cr_assert_lt(per, 900);
		sl_test_sleep_ms(200);
	}
	fprintf(stderr, "scale_out_mock: split after %d records a partition: "
			"qa %#x, qb %#x\n",
		per, a, b);

	/* qa stops: qb reads every partition's new records; none lost. */
	cr_assert_eq(sl_query_stop(qa), 0, "%s", sl_session_errmsg(s));
	mock_produce(100);
	per += 100;
	mock_wait(s, qa, qb, per - 100, per, &a, &b);
	cr_assert_eq(b, 0xf, "qb took every partition over (%#x)", b);
	sl_session_destroy(s);
}

/* sl_session_read_stream(kafka, the mock cluster, opts...) fails with a message
 * holding `what`. opts: up to 8 key, value pairs, NULL-terminated. */
static void refused(sl_session *s, const char *what, const char *const *opts)
{
	const char *o[20] = { "kafka.bootstrap.servers", mock_bs };
	int n = 2;
	for (; opts[n - 2] && n < 18; n++)
		o[n] = opts[n - 2];
	cr_assert_null(sl_session_read_stream(s, "kafka", o), "made despite %s",
		       what);
	cr_assert(strstr(sl_session_errmsg(s), what), "%s",
		  sl_session_errmsg(s));
}

Test(scale_out_mock, group_option_errors)
{
	sl_session *s = sl_session_new();
	refused(s, "needs kafka.group.id",
		(const char *[]){ "subscribe", "in", "partitionAssignment",
				  "group", NULL });
	refused(s, "option 'assign'",
		(const char *[]){ "assign", "{\"in\":[0]}", "kafka.group.id",
				  "g", "partitionAssignment", "group", NULL });
	refused(s, "partitionAssignment",
		(const char *[]){ "subscribe", "in", "partitionAssignment",
				  "groups", NULL });

	/* Micro-batches plan fixed partitions: refused, naming the trigger. */
	const char *ok[] = { "kafka.bootstrap.servers", mock_bs,
			     "subscribe", "in",
			     "partitionAssignment", "group",
			     "kafka.group.id", "g-errors", NULL };
	sl_frame *in = sl_session_read_stream(s, "kafka", ok);
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	const char *sink[] = { "queryName", "mb", "trigger",
			       "processingTime 1 second", NULL };
	cr_assert_null(sl_frame_start(in, "memory", sink, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "continuous"), "%s",
		  sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), "processingTime"), "%s",
		  sl_session_errmsg(s));

	/* A union needs fixed partitions on both sides. */
	const char *rate[] = { "rowsPerSecond", "10", NULL };
	sl_frame *r = sl_session_read_stream(s, "rate", rate);
	cr_assert_not_null(r, "%s", sl_session_errmsg(s));
	sl_frame *v = sl_frame_select(r, (const char *[]){
		"CAST(value AS BINARY) AS value", NULL });
	sl_frame *k = sl_frame_select(in, (const char *[]){ "value", NULL });
	cr_assert_not_null(v, "%s", sl_session_errmsg(s));
	cr_assert_not_null(k, "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_union(v, k));
	cr_assert(strstr(sl_session_errmsg(s),
			 "the right side reads 'kafka' with "
			 "partitionAssignment 'group'"),
		  "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}
