/* tests/kafka/ckpt_relay.c - at-least-once across kill -9, against a real
 * broker (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one). Without
 * a broker the tests fail: they are never skipped.
 *
 * `sluice run FILE` relays a 4-partition input topic to an output topic
 * (continuous, 100 ms epochs, checkpointLocation) in a child process:
 *
 * - kill_relay: 1,000,000 records with unique sequence numbers. The child
 *   is killed with SIGKILL at a random moment of each run, ten times, and
 *   started again from its checkpoint; then it runs until the output has
 *   caught up and gets SIGTERM. Every sequence number must be in the
 *   output (none lost). Duplicates are counted, and each extra copy must
 *   be explained by a kill: a record may repeat only as often as there
 *   were kills at which its input offset was at or after the offsets the
 *   checkpoint had committed (read from the checkpoint right after the
 *   kill, with the store's own recovery) and below the input's end then.
 *   That is "the duplicates fall within the epochs not yet committed at
 *   each kill", record by record. The consumer group's committed offsets
 *   must reach the input's end (lag tools see the progress).
 * - planned_restart: a fresh relay stopped with SIGTERM twice and started
 *   again: not a single duplicate.
 *
 * The input is produced by a librdkafka producer in this process: a part
 * before the first run, the rest paced over the kill phase (40,000 a
 * second), so that every kill lands while records flow however fast the
 * relay is; a relay of records produced all at once could finish before
 * the third kill. The producer's delivery reports give each sequence
 * number's input partition and offset.
 *
 * build/sluice is found through $SLUICE, else next to this binary's
 * directory (build/kafka-test/ckpt_relay -> build/sluice). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_seq.h"
#include "tests/support/tmpdir.h"

#include "engine/checkpoint.h"

#define NPART 4
#define MAXKILLS 16

TestSuite(ckpt_relay, .init = sl_test_kafka_broker_setup);

/* ---- one relay: topics, input producer, output reader ------------------ */

typedef struct relay {
	sl_test_seq_io s; /* topics, input producer, output reader */
	char group[128];
	char dir[64];	/* temp dir: pipeline file, checkpoint, logs */
	char ckpt[128]; /* checkpoint location */
	char file[128]; /* pipeline file */
	sl_test_child ch; /* `sluice run file` */
	char log[128];	/* its output */
} relay;

static void relay_init(relay *r, const char *name, uint32_t n,
		       uint32_t prefill, uint32_t rate)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/sl_relay.XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	snprintf(r->ckpt, sizeof(r->ckpt), "%s/ckpt", r->dir);
	snprintf(r->file, sizeof(r->file), "%s/relay.sql", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/log", r->dir);
	sl_test_kafka_make_topic(r->s.in, sizeof(r->s.in), name, NPART);
	char base[64];
	snprintf(base, sizeof(base), "%s-out", name);
	sl_test_kafka_make_topic(r->s.out, sizeof(r->s.out), base, NPART);
	snprintf(r->group, sizeof(r->group), "%s-relay", r->s.in);
	FILE *f = fopen(r->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = "
		"'%s',\n"
		"  startingOffsets = 'earliest',\n"
		"  kafka.bootstrap.servers = '%s', kafka.group.id = '%s');\n"
		"CREATE SINK output WITH (format = 'kafka', topic = '%s',\n"
		"  kafka.bootstrap.servers = '%s',\n"
		"  checkpointLocation = '%s',\n"
		"  trigger = 'continuous 100 ms');\n"
		"INSERT INTO output SELECT key, value FROM input;\n",
		r->s.in, sl_test_kafka_broker, r->group, r->s.out,
		sl_test_kafka_broker, r->ckpt);
	fclose(f);
	sl_test_seq_start(&r->s, "ckpt_relay", NPART, n, prefill, rate);
}

static void relay_free(relay *r)
{
	sl_test_seq_free(&r->s);
	cr_assert_eq(sl_test_rmtree(r->dir), 0, "cannot remove %s", r->dir);
}

/* The last run: started, every record produced and out within wait_ms,
 * then a planned stop and the reader drained. */
static void relay_last_run(relay *r, int64_t wait_ms)
{
	sl_test_child_start(&r->ch, r->file, r->log);
	sl_test_seq_produced(&r->s);
	sl_test_child *kid = &r->ch;
	sl_test_seq_wait_all(&r->s, wait_ms, &kid, 1);
	sl_test_sleep_ms(300);
	sl_test_child_stop(&r->ch, 30000);
	sl_test_seq_drain(&r->s);
}

/* The offsets the checkpoint has committed, per input partition, through
 * the store's own recovery; -1 where there is none yet. */
static int64_t ckpt_committed(relay *r, int64_t *end)
{
	for (int p = 0; p < NPART; p++)
		end[p] = -1;
	char path[160];
	snprintf(path, sizeof(path), "%s/metadata", r->ckpt);
	if (access(path, F_OK))
		return -1; /* killed before the checkpoint was made */
	/* metadata's fingerprint, so the open accepts it */
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *hash = strstr(buf, "\n# xxh64 ");
	cr_assert_not_null(hash, "metadata has no checksum line");
	*hash = 0;
	json_t *j = json_loads(buf, 0, NULL);
	cr_assert_not_null(j, "metadata: %s", buf);
	char fp[SL_CKPT_FP_HEX];
	snprintf(fp, sizeof(fp), "%s",
		 json_string_value(json_object_get(j, "fingerprint")));
	json_decref(j);
	sl_ckpt *c;
	sl_err err = { 0 };
	cr_assert_eq(sl_ckpt_open(r->ckpt, NULL, fp, "", &c, &err), 0, "%s",
		     err.msg);
	sl_ckpt_recovery rec;
	cr_assert_eq(sl_ckpt_recover(c, &rec, &err), 0, "%s", err.msg);
	cr_assert_str_empty(rec.warning, "a kill tore nothing: %s",
			    rec.warning);
	int64_t epoch = rec.committed ? rec.epoch : -1;
	for (uint32_t s = 0; rec.committed && s < rec.offsets.nsources; s++)
		for (uint32_t k = 0; k < rec.offsets.sources[s].nparts; k++) {
			const sl_ckpt_part *cp = &rec.offsets.sources[s].parts[k];
			if (cp->partition >= 0 && cp->partition < NPART)
				end[cp->partition] = cp->end;
		}
	sl_ckpt_recovery_free(&rec);
	sl_ckpt_close(c);
	return epoch;
}

/* The newest epoch in the checkpoint's commits/, or -1. */
static int64_t newest_commit(relay *r)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/commits", r->ckpt);
	return sl_test_newest_number(path);
}

Test(ckpt_relay, kill_relay)
{
	relay r;
	const uint32_t n = 1000000;
	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	relay_init(&r, "kill", n, 100000, 40000);
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	fprintf(stderr, "ckpt_relay: seed %u\n", seed);

	struct {
		int64_t end[NPART]; /* committed at the kill */
		int64_t hi[NPART];  /* input end at the kill */
		int64_t epoch;
		uint64_t attributed;
	} k[MAXKILLS];
	int nk = 10;
	for (int i = 0; i < nk; i++) {
		sl_test_child_start(&r.ch, r.file, r.log);
		/* a random moment: 0.4 to 2.5 s into the run (start-up, then
		 * catching up with the backlog, then keeping up) */
		int64_t life = 400 + rand() % 2100;
		int64_t t_end = sl_test_now_ms() + life;
		while (sl_test_now_ms() < t_end) {
			sl_test_child_check_alive(&r.ch);
			sl_test_sleep_ms(20);
		}
		kill(r.ch.pid, SIGKILL);
		int st = sl_test_child_wait(&r.ch, 10000);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		sl_test_seq_topic_ends(&r.s, r.s.in, k[i].hi);
		k[i].epoch = ckpt_committed(&r, k[i].end);
		k[i].attributed = 0;
		fprintf(stderr,
			"ckpt_relay: kill %d after %lld ms: committed epoch "
			"%lld, offsets %lld/%lld/%lld/%lld of "
			"%lld/%lld/%lld/%lld; output %u unique, %llu total\n",
			i + 1, (long long)life, (long long)k[i].epoch,
			(long long)k[i].end[0], (long long)k[i].end[1],
			(long long)k[i].end[2], (long long)k[i].end[3],
			(long long)k[i].hi[0], (long long)k[i].hi[1],
			(long long)k[i].hi[2], (long long)k[i].hi[3],
			atomic_load(&r.s.unique),
			(unsigned long long)atomic_load(&r.s.total));
	}
	/* The last run: until every record is out, then a planned stop. */
	relay_last_run(&r, 90000);

	/* None lost. */
	uint64_t dups = 0, unexplained = 0;
	for (uint32_t s = 0; s < n; s++)
		cr_assert_gt(r.s.count[s], 0, "sequence %u is lost", s);
	/* Each extra copy within the epochs not committed at some kill. */
	for (uint32_t s = 0; s < n; s++) {
		if (r.s.count[s] < 2)
			continue;
		uint32_t extra = r.s.count[s] - 1, eligible = 0;
		int p = r.s.part[s];
		int64_t o = r.s.off[s];
		for (int i = 0; i < nk; i++)
			if (o >= k[i].end[p] && o < k[i].hi[p]) {
				eligible++;
				if (eligible <= extra)
					k[i].attributed++;
			}
		dups += extra;
		if (extra > eligible) {
			if (!unexplained)
				fprintf(stderr,
					"ckpt_relay: sequence %u (partition "
					"%d offset %lld) has %u copies\n",
					s, p, (long long)o, r.s.count[s]);
			unexplained += extra - eligible;
		}
	}
	fprintf(stderr,
		"ckpt_relay: %u records, %d kills, %llu duplicates (%.3f%%), "
		"%llu output records\n",
		n, nk, (unsigned long long)dups, 100.0 * (double)dups / n,
		(unsigned long long)atomic_load(&r.s.total));
	for (int i = 0; i < nk; i++) {
		int64_t uncommitted = 0;
		for (int p = 0; p < NPART; p++)
			uncommitted += k[i].hi[p] -
				       (k[i].end[p] < 0 ? 0 : k[i].end[p]);
		fprintf(stderr,
			"ckpt_relay:   kill %d: %llu duplicates of %lld "
			"records past the committed offsets\n",
			i + 1, (unsigned long long)k[i].attributed,
			(long long)uncommitted);
	}
	cr_assert_eq(unexplained, 0,
		     "%llu duplicates are not within the epochs uncommitted "
		     "at a kill",
		     (unsigned long long)unexplained);
	cr_assert_eq(atomic_load(&r.s.total), (uint64_t)n + dups);

	/* The consumer group saw the progress: committed up to the end. */
	int64_t hi[NPART];
	sl_test_seq_topic_ends(&r.s, r.s.in, hi);
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	sl_test_kafka_set(c, "group.id", r.group);
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(NPART);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, r.s.in, p);
	cr_assert_eq(rd_kafka_committed(rk, l, 10000), 0);
	for (int p = 0; p < NPART; p++)
		cr_assert_eq(l->elems[p].offset, hi[p],
			     "group offset of partition %d: %lld, end %lld", p,
			     (long long)l->elems[p].offset, (long long)hi[p]);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	relay_free(&r);
}

Test(ckpt_relay, planned_restart)
{
	relay r;
	const uint32_t n = 150000;
	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	relay_init(&r, "plan", n, 50000, 25000);
	for (int i = 0; i < 2; i++) {
		/* SIGTERM once the run is up (it has committed an epoch of
		 * its own): earlier, before sluice installs its handler, the
		 * signal's default action would end it. */
		int64_t before = newest_commit(&r);
		sl_test_child_start(&r.ch, r.file, r.log);
		int64_t dl = sl_test_now_ms() + 60000;
		while (newest_commit(&r) <= before) {
			sl_test_child_check_alive(&r.ch);
			cr_assert_lt(sl_test_now_ms(), dl,
				     "run %d never committed", i + 1);
			sl_test_sleep_ms(20);
		}
		int64_t t_end = sl_test_now_ms() + 1000 + 500 * i;
		while (sl_test_now_ms() < t_end) {
			sl_test_child_check_alive(&r.ch);
			sl_test_sleep_ms(20);
		}
		sl_test_child_stop(&r.ch, 30000);
		int64_t end[NPART];
		int64_t e = ckpt_committed(&r, end);
		fprintf(stderr,
			"ckpt_relay: planned stop %d: epoch %lld, output %u "
			"unique, %llu total\n",
			i + 1, (long long)e, atomic_load(&r.s.unique),
			(unsigned long long)atomic_load(&r.s.total));
	}
	relay_last_run(&r, 60000);
	uint64_t dups = 0;
	for (uint32_t s = 0; s < n; s++) {
		cr_assert_gt(r.s.count[s], 0, "sequence %u is lost", s);
		dups += r.s.count[s] - 1;
	}
	fprintf(stderr, "ckpt_relay: planned restarts: %u records, %llu "
			"duplicates\n",
		n, (unsigned long long)dups);
	cr_assert_eq(dups, 0, "a planned restart repeats nothing");
	relay_free(&r);
}
