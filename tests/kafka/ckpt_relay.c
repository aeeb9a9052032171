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
#include <libgen.h>
#include <limits.h>
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

#include "tests/kafka/kafka_test_util.h"

#include "core/checkpoint.h"

#define NPART 4
#define MAXKILLS 16


static void broker_setup(void)
{
	broker = getenv("SLUICE_KAFKA_BOOTSTRAP");
	if (broker && *broker)
		return;
	cr_assert_fail("SLUICE_KAFKA_BOOTSTRAP is not set: run the Kafka tests "
		       "with tests/kafka/run.sh, which starts a real broker");
}

TestSuite(ckpt_relay, .init = broker_setup);

/* The tests take turns (run.sh runs binaries with --jobs=2): two relays,
 * two producers and the broker on two cores would starve each other. */
static int serial_fd = -1;

static void serialise(void)
{
	serial_fd = open("/tmp/sluice-ckpt-relay.lock", O_CREAT | O_RDWR,
			 0666);
	cr_assert_geq(serial_fd, 0);
	while (flock(serial_fd, LOCK_EX) && errno == EINTR)
		;
}


/* ---- one relay: topics, input producer, output reader ------------------ */

typedef struct relay {
	char in[96], out[96], group[128];
	char dir[64];	/* temp dir: pipeline file, checkpoint, logs */
	char ckpt[128]; /* checkpoint location */
	char file[128]; /* pipeline file */
	uint32_t n;	/* records */
	/* producer */
	pthread_t prod_th;
	uint32_t prefill;   /* produced at once before the runs */
	uint32_t rate;	    /* then this many a second */
	_Atomic uint32_t produced; /* delivered */
	int32_t *part;	    /* sequence -> input partition (delivery) */
	int64_t *off;	    /* sequence -> input offset */
	_Atomic bool prod_failed;
	/* reader */
	pthread_t read_th;
	_Atomic bool read_stop;
	uint8_t *count;		/* copies seen per sequence */
	_Atomic uint32_t unique;
	_Atomic uint64_t total;
	_Atomic int64_t read_pos[NPART]; /* next output offset per partition */
	/* the child */
	pid_t pid;
	int runs;
} relay;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	relay *r = opaque;
	uint32_t seq = (uint32_t)(uintptr_t)m->_private;
	if (m->err) {
		atomic_store(&r->prod_failed, true);
		return;
	}
	r->part[seq] = m->partition;
	r->off[seq] = m->offset;
	atomic_fetch_add(&r->produced, 1);
}

/* Sequence numbers in order; partition seq % 4; idempotent, so neither
 * the input's order nor its count depends on retries. */
static void *producer_main(void *arg)
{
	relay *r = arg;
	rd_kafka_conf_t *c = conf_new();
	set(c, "enable.idempotence", "true");
	set(c, "linger.ms", "5");
	set(c, "batch.num.messages", "10000");
	set(c, "queue.buffering.max.messages", "1000000");
	rd_kafka_conf_set_opaque(c, r);
	rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, c);
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, r->in, NULL);
	int64_t t0 = now_ms();
	for (uint32_t seq = 0; seq < r->n; seq++) {
		if (seq >= r->prefill && r->rate) {
			/* paced: seq is due prefill + rate * elapsed */
			int64_t due = t0 + (int64_t)(seq - r->prefill) * 1000 /
						   r->rate;
			int64_t now = now_ms();
			if (due > now) {
				rd_kafka_poll(rk, 0);
				sleep_ms(due - now);
			}
		}
		char key[16], val[16];
		int kl = snprintf(key, sizeof(key), "k%u", seq % 1000);
		int vl = snprintf(val, sizeof(val), "%u", seq);
		for (;;) {
			int rc = rd_kafka_produce(
				t, (int32_t)(seq % NPART), RD_KAFKA_MSG_F_COPY,
				val, (size_t)vl, key, (size_t)kl,
				(void *)(uintptr_t)seq);
			if (!rc)
				break;
			rd_kafka_poll(rk, 10); /* queue full */
		}
		if (seq % 1000 == 0)
			rd_kafka_poll(rk, 0);
		if (seq + 1 == r->prefill)
			t0 = now_ms();
	}
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_flush(rk, 1000);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
	return NULL;
}

/* Reads the output from the beginning, counting copies of each sequence
 * number, until told to stop. */
static void *reader_main(void *arg)
{
	relay *r = arg;
	rd_kafka_conf_t *c = conf_new();
	char gid[128];
	snprintf(gid, sizeof(gid), "%s-reader", r->out);
	set(c, "group.id", gid);
	set(c, "enable.auto.commit", "false");
	set(c, "fetch.wait.max.ms", "20");
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(NPART);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, r->out, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (!atomic_load(&r->read_stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		if (!m)
			continue;
		if (!m->err && m->payload) {
			char buf[16];
			size_t n = m->len < 15 ? m->len : 15;
			memcpy(buf, m->payload, n);
			buf[n] = 0;
			char *end;
			unsigned long seq = strtoul(buf, &end, 10);
			if (*end || seq >= r->n) {
				fprintf(stderr, "ckpt_relay: bad output "
						"record '%s'\n",
					buf);
			} else {
				if (r->count[seq]++ == 0)
					atomic_fetch_add(&r->unique, 1);
				atomic_fetch_add(&r->total, 1);
			}
			atomic_store(&r->read_pos[m->partition],
				     m->offset + 1);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

static void input_ends(relay *r, const char *topic, int64_t *hi)
{
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf_new());
	for (int p = 0; p < NPART; p++) {
		int64_t lo;
		cr_assert_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo,
							      &hi[p], 10000),
			     0);
	}
	rd_kafka_destroy(rk);
}

static const char *sluice_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("SLUICE");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = 0;
	/* build/kafka-test/ckpt_relay -> build/sluice */
	snprintf(path, sizeof(path), "%s/../sluice", dirname(exe));
	return path;
}

static void relay_init(relay *r, const char *name, uint32_t n,
		       uint32_t prefill, uint32_t rate)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->prefill = prefill;
	r->rate = rate;
	r->part = calloc(n, sizeof(*r->part));
	r->off = calloc(n, sizeof(*r->off));
	r->count = calloc(n, 1);
	cr_assert(r->part && r->off && r->count);
	snprintf(r->dir, sizeof(r->dir), "/tmp/sl_relay.XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	snprintf(r->ckpt, sizeof(r->ckpt), "%s/ckpt", r->dir);
	snprintf(r->file, sizeof(r->file), "%s/relay.sql", r->dir);
	make_topic(r->in, sizeof(r->in), name, NPART);
	char base[64];
	snprintf(base, sizeof(base), "%s-out", name);
	make_topic(r->out, sizeof(r->out), base, NPART);
	snprintf(r->group, sizeof(r->group), "%s-relay", r->in);
	FILE *f = fopen(r->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = '%s',\n"
		"  startingOffsets = 'earliest',\n"
		"  kafka.bootstrap.servers = '%s', kafka.group.id = '%s');\n"
		"CREATE SINK output WITH (format = 'kafka', topic = '%s',\n"
		"  kafka.bootstrap.servers = '%s',\n"
		"  checkpointLocation = '%s',\n"
		"  trigger = 'continuous 100 ms');\n"
		"INSERT INTO output SELECT key, value FROM input;\n",
		r->in, broker, r->group, r->out, broker, r->ckpt);
	fclose(f);
	pthread_create(&r->read_th, NULL, reader_main, r);
	pthread_create(&r->prod_th, NULL, producer_main, r);
}

static void relay_free(relay *r)
{
	free(r->part);
	free(r->off);
	free(r->count);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	cr_assert_eq(system(cmd), 0);
}

/* Starts `sluice run FILE`, its output appended to DIR/log. */
static void start_child(relay *r)
{
	char log[128];
	snprintf(log, sizeof(log), "%s/log", r->dir);
	const char *bin = sluice_path();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, "run", r->file, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	r->pid = pid;
	r->runs++;
}

static void print_log(relay *r)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "tail -n 30 '%s/log' >&2", r->dir);
	if (system(cmd))
		return;
}

/* Waits for the child; returns its wait status. Fails the test if it
 * is not gone within timeout_ms (then kills it). */
static int wait_child(relay *r, int64_t timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(r->pid, &st, WNOHANG);
		if (w == r->pid)
			break;
		if (now_ms() > dl) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &st, 0);
			print_log(r);
			cr_assert_fail("sluice did not end within %lld ms",
				       (long long)timeout_ms);
		}
		sleep_ms(10);
	}
	r->pid = 0;
	return st;
}

/* Fails the test if the child died by itself (a crash, a failed query). */
static void check_alive(relay *r)
{
	int st;
	if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
		print_log(r);
		cr_assert_fail("sluice ended by itself (status %#x) in run %d",
			       st, r->runs);
	}
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
	DIR *d = opendir(path);
	int64_t best = -1;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long long v = strtoll(e->d_name, &end, 10);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && !*end &&
		    v > best)
			best = v;
	}
	if (d)
		closedir(d);
	return best;
}

/* Waits until every sequence number is in the output. */
static void wait_caught_up(relay *r, int64_t timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	while (atomic_load(&r->unique) < r->n) {
		if (r->pid)
			check_alive(r);
		if (now_ms() > dl) {
			print_log(r);
			cr_assert_fail("output has %u of %u records after %lld "
				       "ms",
				       atomic_load(&r->unique), r->n,
				       (long long)timeout_ms);
		}
		sleep_ms(50);
	}
}

/* Stops the reader once it has read the whole output topic. */
static void drain_reader(relay *r)
{
	int64_t hi[NPART];
	input_ends(r, r->out, hi);
	int64_t dl = now_ms() + 30000;
	for (int p = 0; p < NPART; p++)
		while (atomic_load(&r->read_pos[p]) < hi[p]) {
			cr_assert_lt(now_ms(), dl, "reader stuck");
			sleep_ms(20);
		}
	atomic_store(&r->read_stop, true);
	pthread_join(r->read_th, NULL);
}

Test(ckpt_relay, kill_relay)
{
	relay r;
	const uint32_t n = 1000000;
	serialise();
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
		start_child(&r);
		/* a random moment: 0.4 to 2.5 s into the run (start-up, then
		 * catching up with the backlog, then keeping up) */
		int64_t life = 400 + rand() % 2100;
		int64_t t_end = now_ms() + life;
		while (now_ms() < t_end) {
			check_alive(&r);
			sleep_ms(20);
		}
		kill(r.pid, SIGKILL);
		int st = wait_child(&r, 10000);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		input_ends(&r, r.in, k[i].hi);
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
			atomic_load(&r.unique),
			(unsigned long long)atomic_load(&r.total));
	}
	/* The last run: until every record is out, then a planned stop. */
	start_child(&r);
	pthread_join(r.prod_th, NULL);
	cr_assert_not(atomic_load(&r.prod_failed), "producing the input");
	cr_assert_eq(atomic_load(&r.produced), n);
	wait_caught_up(&r, 90000);
	sleep_ms(300);
	kill(r.pid, SIGTERM);
	int st = wait_child(&r, 30000);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		print_log(&r);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "SIGTERM: a clean exit (status %#x)", st);
	drain_reader(&r);

	/* None lost. */
	uint64_t dups = 0, unexplained = 0;
	for (uint32_t s = 0; s < n; s++)
		cr_assert_gt(r.count[s], 0, "sequence %u is lost", s);
	/* Each extra copy within the epochs not committed at some kill. */
	for (uint32_t s = 0; s < n; s++) {
		if (r.count[s] < 2)
			continue;
		uint32_t extra = r.count[s] - 1, eligible = 0;
		int p = r.part[s];
		int64_t o = r.off[s];
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
					s, p, (long long)o, r.count[s]);
			unexplained += extra - eligible;
		}
	}
	fprintf(stderr,
		"ckpt_relay: %u records, %d kills, %llu duplicates (%.3f%%), "
		"%llu output records\n",
		n, nk, (unsigned long long)dups, 100.0 * (double)dups / n,
		(unsigned long long)atomic_load(&r.total));
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
	cr_assert_eq(atomic_load(&r.total), (uint64_t)n + dups);

	/* The consumer group saw the progress: committed up to the end. */
	int64_t hi[NPART];
	input_ends(&r, r.in, hi);
	rd_kafka_conf_t *c = conf_new();
	set(c, "group.id", r.group);
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(NPART);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, r.in, p);
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
	serialise();
	relay_init(&r, "plan", n, 50000, 25000);
	for (int i = 0; i < 2; i++) {
		/* SIGTERM once the run is up (it has committed an epoch of
		 * its own): earlier, before sluice installs its handler, the
		 * signal's default action would end it. */
		int64_t before = newest_commit(&r);
		start_child(&r);
		int64_t dl = now_ms() + 60000;
		while (newest_commit(&r) <= before) {
			check_alive(&r);
			cr_assert_lt(now_ms(), dl, "run %d never committed",
				     i + 1);
			sleep_ms(20);
		}
		int64_t t_end = now_ms() + 1000 + 500 * i;
		while (now_ms() < t_end) {
			check_alive(&r);
			sleep_ms(20);
		}
		kill(r.pid, SIGTERM);
		int st = wait_child(&r, 30000);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "SIGTERM: a clean exit (status %#x)", st);
		int64_t end[NPART];
		int64_t e = ckpt_committed(&r, end);
		fprintf(stderr,
			"ckpt_relay: planned stop %d: epoch %lld, output %u "
			"unique, %llu total\n",
			i + 1, (long long)e, atomic_load(&r.unique),
			(unsigned long long)atomic_load(&r.total));
	}
	start_child(&r);
	pthread_join(r.prod_th, NULL);
	cr_assert_eq(atomic_load(&r.produced), n);
	wait_caught_up(&r, 60000);
	sleep_ms(300);
	kill(r.pid, SIGTERM);
	int st = wait_child(&r, 30000);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain_reader(&r);
	uint64_t dups = 0;
	for (uint32_t s = 0; s < n; s++) {
		cr_assert_gt(r.count[s], 0, "sequence %u is lost", s);
		dups += r.count[s] - 1;
	}
	fprintf(stderr, "ckpt_relay: planned restarts: %u records, %llu "
			"duplicates\n",
		n, (unsigned long long)dups);
	cr_assert_eq(dups, 0, "a planned restart repeats nothing");
	relay_free(&r);
}
