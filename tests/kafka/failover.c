/* tests/kafka/failover.c - a consumer group of three relays, one killed
 * with SIGKILL: its partitions move to the two survivors within a bound
 * that kafka.session.timeout.ms sets, and no record is lost across the
 * move. Against the real broker (SLUICE_KAFKA_BOOTSTRAP;
 * tests/kafka/run.sh starts one); without one the test fails.
 *
 * Three `sluice run FILE` children relay a 6-partition topic to another
 * (continuous 100 ms, partitionAssignment 'group', cooperative-sticky,
 * kafka.session.timeout.ms 6000, kafka.heartbeat.interval.ms 500), each
 * with its own kafka.client.id; `static_members` also gives each a
 * kafka.group.instance.id (static membership). Numbered records flow at
 * RATE a second; once the three hold two partitions each and records are
 * out, one relay is SIGKILLed. Measured from the kill:
 *
 * - assigned: the broker's group (DescribeConsumerGroups, looked at every
 *   50 ms) is Stable with the two survivors holding all six partitions;
 * - flowing: the first record produced after the kill into one of the
 *   killed relay's partitions is in the output.
 *
 * Both must come within BOUND_MS (the session timeout plus the slack of a
 * loaded 2-core machine); the figures are printed. Then the rest of the
 * input: every sequence number is in the output (none lost); the
 * duplicates (what the killed relay read after its last committed epoch)
 * are counted and printed, not asserted. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_group.h"
#include "tests/support/kafka_seq.h"
#include "tests/support/tmpdir.h"

#define NPART 6
#define NREL 3
#define N 60000
#define PREFILL 4000
#define RATE 4000
#define SESSION_MS 6000
/* The session timeout, then a heartbeat, a JoinGroup/SyncGroup round and
 * the new owners' committed-offset lookups, on a machine whose two cores
 * several builds share. */
#define BOUND_MS (SESSION_MS + 9000)

TestSuite(failover, .init = sl_test_kafka_broker_setup, .timeout = 240);

typedef struct relay {
	char id[160];
	char file[160], log[160];
	sl_test_child ch;
} relay;

static void relay_write(relay *r, const char *dir, int k,
			const sl_test_seq_io *s, const char *group,
			bool static_member)
{
	char inst[400] = "";

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s-r%d", s->in, k);
	snprintf(r->file, sizeof(r->file), "%s/r%d.sql", dir, k);
	snprintf(r->log, sizeof(r->log), "%s/r%d.log", dir, k);
	if (static_member)
		snprintf(inst, sizeof(inst),
			 "  kafka.group.instance.id = '%.150s',\n", r->id);
	FILE *f = fopen(r->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka',\n"
		"  subscribe = '%s', startingOffsets = 'earliest',\n"
		"  partitionAssignment = 'group', kafka.group.id = '%s',\n"
		"  kafka.client.id = '%s',\n%s"
		"  kafka.session.timeout.ms = '%d',\n"
		"  kafka.heartbeat.interval.ms = '500',\n"
		"  kafka.bootstrap.servers = '%s');\n"
		"CREATE SINK output WITH (format = 'kafka', topic = '%s',\n"
		"  kafka.bootstrap.servers = '%s',\n"
		"  checkpointLocation = '%s/ckpt-r%d',\n"
		"  trigger = 'continuous 100 ms');\n"
		"INSERT INTO output SELECT key, value FROM input;\n",
		s->in, group, r->id, inst, SESSION_MS, sl_test_kafka_broker,
		s->out, sl_test_kafka_broker, dir, k);
	fclose(f);
}

static void relays_alive(relay *r)
{
	for (int k = 0; k < NREL; k++)
		if (r[k].ch.pid)
			sl_test_child_check_alive(&r[k].ch);
}

static void relays_log(const relay *r)
{
	for (int k = 0; k < NREL; k++)
		sl_test_child_print_log(&r[k].ch);
}

/* The group's members and owners now (-1: rebalancing). */
static int owners(const char *group, const char *topic, const relay *r,
		  int *owner)
{
	const char *ids[NREL];

	for (int k = 0; k < NREL; k++)
		ids[k] = r[k].id;
	return sl_test_kafka_group_owners(group, topic, NPART, ids, NREL,
					  owner);
}

/* Whether owner[] has `want` members, the running relays each holding
 * a partition, every partition held. */
static bool settled(const relay *r, int n, int want, const int *owner)
{
	int held[NREL] = { 0 };

	if (n != want)
		return false;
	for (int p = 0; p < NPART; p++) {
		if (owner[p] < 0)
			return false;
		held[owner[p]]++;
	}
	for (int k = 0; k < NREL; k++)
		if (r[k].ch.pid && !held[k])
			return false;
	return true;
}

/* Whether a record produced at or after sequence `from` into a partition
 * of mask is in the output. The counts are the reader thread's; a stale
 * look is only a later one. */
static bool moved_flowing(const sl_test_seq_io *s, uint32_t from,
			  unsigned mask)
{
	uint32_t to = atomic_load(&s->produced);

	for (uint32_t i = from; i < to && i < s->n; i++)
		if ((mask >> (i % NPART) & 1) &&
		    ((volatile const uint8_t *)s->count)[i])
			return true;
	return false;
}

static void kill_one_of_three(bool static_member)
{
	const char *tag = static_member ? "failover-static" : "failover";
	sl_test_seq_io s;
	relay r[NREL];
	char dir[64], group[160];
	int owner[NPART];

	/* the two tests take turns: six relays on two cores would make
	 * the timings the machine's */
	sl_test_kafka_take_turns("/tmp/sluice-failover.lock");
	memset(&s, 0, sizeof(s));
	snprintf(dir, sizeof(dir), "/tmp/sl_failover.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sl_test_kafka_make_topic(s.in, sizeof(s.in), tag, NPART);
	sl_test_kafka_make_topic(s.out, sizeof(s.out), "failover-out", NPART);
	snprintf(group, sizeof(group), "%s-group", s.in);
	for (int k = 0; k < NREL; k++)
		relay_write(&r[k], dir, k, &s, group, static_member);
	atomic_store(&s.limit, PREFILL);
	sl_test_seq_start(&s, tag, NPART, N, PREFILL, RATE);
	int64_t t0 = sl_test_now_ms();

	/* Three members, two partitions each. */
	for (int k = 0; k < NREL; k++)
		sl_test_child_start(&r[k].ch, r[k].file, r[k].log);
	int64_t dl = sl_test_now_ms() + 90000;
	for (;;) {
		relays_alive(r);
		if (settled(r, owners(group, s.in, r, owner), NREL, owner))
			break;
		if (sl_test_now_ms() > dl) {
			relays_log(r);
			cr_assert_fail("three relays never held the six "
				       "partitions between them");
		}
		sl_test_sleep_ms(200);
	}
	fprintf(stderr, "%s: %.1f s: owners %d %d %d %d %d %d\n", tag,
		(sl_test_now_ms() - t0) / 1e3, owner[0], owner[1], owner[2],
		owner[3], owner[4], owner[5]);
	atomic_store(&s.limit, N);
	while (atomic_load(&s.unique) < PREFILL + RATE) {
		relays_alive(r);
		cr_assert_lt(sl_test_now_ms(), dl + 60000, "%u records out",
			     atomic_load(&s.unique));
		sl_test_sleep_ms(20);
	}

	/* Kill relay 1, holding what the group says it holds now (the
	 * split may have moved since it first settled). */
	while (!settled(r, owners(group, s.in, r, owner), NREL, owner)) {
		relays_alive(r);
		cr_assert_lt(sl_test_now_ms(), dl + 90000, "never settled");
		sl_test_sleep_ms(50);
	}
	unsigned mask = 0;
	for (int p = 0; p < NPART; p++)
		if (owner[p] == 1)
			mask |= 1u << p;
	cr_assert_neq(mask, 0);
	int64_t tk = sl_test_now_ms();
	kill(r[1].ch.pid, SIGKILL);
	int st = sl_test_child_wait(&r[1].ch, 10000);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Delivered 200 ms after its death: the killed relay never read
	 * these (a record is readable a moment before its delivery report
	 * reaches the producer). */
	uint32_t from = atomic_load(&s.produced) + RATE / 5;
	cr_assert_lt(from, N, "the input still flows at the kill");

	int64_t assigned = -1, flowing = -1;
	while (assigned < 0 || flowing < 0) {
		relays_alive(r);
		int64_t now = sl_test_now_ms();
		if (assigned < 0 &&
		    settled(r, owners(group, s.in, r, owner), NREL - 1,
			    owner)) {
			assigned = now - tk;
			for (int p = 0; p < NPART; p++)
				cr_assert_neq(owner[p], 1);
		}
		if (flowing < 0 && moved_flowing(&s, from, mask))
			flowing = now - tk;
		if (now - tk > 60000) {
			relays_log(r);
			cr_assert_fail("60 s after the kill: assigned %lld ms, "
				       "flowing %lld ms",
				       (long long)assigned, (long long)flowing);
		}
		sl_test_sleep_ms(50);
	}
	fprintf(stderr,
		"%s: killed relay 1 (partitions %#x) with %u records "
		"produced: survivors hold all partitions %lld ms later, its "
		"partitions' new records out %lld ms later (session timeout "
		"%d ms)\n",
		tag, mask, from, (long long)assigned, (long long)flowing,
		SESSION_MS);
	cr_assert_lt(assigned, BOUND_MS, "reassigned after %lld ms",
		     (long long)assigned);
	cr_assert_lt(flowing, BOUND_MS, "flowing again after %lld ms",
		     (long long)flowing);

	/* Nothing lost. */
	sl_test_child *kids[NREL] = { &r[0].ch, &r[1].ch, &r[2].ch };
	sl_test_seq_produced(&s);
	for (int64_t end = sl_test_now_ms() + 60000;
	     atomic_load(&s.unique) < N && sl_test_now_ms() < end;)
		sl_test_sleep_ms(50);
	for (uint32_t i = 0, shown = 0; i < N && shown < 10; i++)
		if (!((volatile uint8_t *)s.count)[i]) {
			fprintf(stderr,
				"%s: sequence %u (partition %d offset %lld) "
				"is not out\n",
				tag, i, s.part[i], (long long)s.off[i]);
			shown++;
		}
	sl_test_seq_wait_all(&s, 1000, kids, NREL);
	sl_test_child_stop(&r[0].ch, 30000);
	sl_test_child_stop(&r[2].ch, 30000);
	sl_test_seq_drain(&s);
	uint64_t dups = 0;
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_gt(s.count[i], 0, "sequence %u is lost", i);
		dups += s.count[i] - 1;
	}
	fprintf(stderr, "%s: %u records, none lost, %llu duplicates; %.1f s\n",
		tag, N, (unsigned long long)dups,
		(sl_test_now_ms() - t0) / 1e3);
	cr_assert_eq(atomic_load(&s.total), (uint64_t)N + dups);
	sl_test_seq_free(&s);
	cr_assert_eq(sl_test_rmtree(dir), 0, "cannot remove %s", dir);
}

Test(failover, kill_one_of_three)
{
	kill_one_of_three(false);
}

Test(failover, static_members_kill_one_of_three)
{
	kill_one_of_three(true);
}
