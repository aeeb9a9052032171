/* tests/kafka/stateful_kill.c - a stateful query killed with SIGKILL and
 * restarted resumes with the state of its last committed batch, against a
 * real broker (SLUICE_KAFKA_BOOTSTRAP; tests/kafka/run.sh starts one).
 * Without a broker the test fails: it is never skipped.
 *
 * `sluice run FILE` counts words of a 2-partition input topic (GROUP BY
 * word, update mode, checkpointLocation) and writes each changed count
 * to an output topic keyed by the word. The child is SIGKILLed at random
 * moments five times while input still flows, and started again from its
 * checkpoint each time; then it runs until the output has caught up, and
 * gets SIGTERM.
 *
 * The check: folding the output (the last value per key, in partition
 * order: a key always goes to the same partition) gives exactly the
 * counts of an uninterrupted computation over the same input, computed
 * here from what was produced. And no count ever exceeds its final value:
 * a batch that ran again after a kill may repeat its output (the sink is
 * at-least-once), but a state applied twice would overshoot.
 *
 * build/sluice is found through $SLUICE, else next to this binary's
 * directory (build/kafka-test/stateful_kill -> build/sluice). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/kafka/kafka_test_util.h"

#define NPART 2
#define NWORDS 97
#define NLINES 60000
#define PREFILL 8000
#define RATE 8000 /* lines a second after the prefill */
#define KILLS 5


static void broker_setup(void)
{
	broker = getenv("SLUICE_KAFKA_BOOTSTRAP");
	if (broker && *broker)
		return;
	cr_assert_fail("SLUICE_KAFKA_BOOTSTRAP is not set: run the Kafka tests "
		       "with tests/kafka/run.sh, which starts a real broker");
}

TestSuite(stateful_kill, .init = broker_setup, .timeout = 120);


/* ---- the input, the expected counts, the output ------------------------- */

/* Line i holds two words; their counts are what an uninterrupted word
 * count over every line gives. */
static void line_words(uint32_t i, uint32_t *a, uint32_t *b)
{
	*a = i % NWORDS;
	*b = (i * 7u + i / 13u) % 31u;
}

typedef struct wc {
	char in[96], out[96];
	char dir[64], ckpt[128], file[128];
	int64_t expect[NWORDS];
	/* producer */
	pthread_t prod_th;
	_Atomic uint32_t produced;
	_Atomic bool prod_failed;
	/* reader: the last and the largest count seen per word */
	pthread_t read_th;
	_Atomic bool read_stop;
	pthread_mutex_t lock;
	int64_t last[NWORDS], max[NWORDS];
	uint64_t records, bad;
	/* the child */
	pid_t pid;
	int runs;
} wc;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	wc *w = opaque;
	if (m->err)
		atomic_store(&w->prod_failed, true);
	else
		atomic_fetch_add(&w->produced, 1);
}

static void *producer_main(void *arg)
{
	wc *w = arg;
	rd_kafka_conf_t *c = conf_new();
	set(c, "enable.idempotence", "true");
	set(c, "linger.ms", "5");
	rd_kafka_conf_set_opaque(c, w);
	rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, c);
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, w->in, NULL);
	int64_t t0 = now_ms();
	for (uint32_t i = 0; i < NLINES; i++) {
		if (i >= PREFILL) {
			int64_t due = t0 + (int64_t)(i - PREFILL) * 1000 / RATE;
			int64_t now = now_ms();
			if (due > now) {
				rd_kafka_poll(rk, 0);
				sleep_ms(due - now);
			}
		}
		uint32_t a, b;
		char val[32];
		line_words(i, &a, &b);
		int vl = snprintf(val, sizeof(val), "w%u w%u", a, b);
		while (rd_kafka_produce(t, (int32_t)(i % NPART),
					RD_KAFKA_MSG_F_COPY, val, (size_t)vl,
					NULL, 0, NULL))
			rd_kafka_poll(rk, 10); /* queue full */
		if (i % 1000 == 0)
			rd_kafka_poll(rk, 0);
		if (i + 1 == PREFILL)
			t0 = now_ms();
	}
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_flush(rk, 1000);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
	return NULL;
}

/* Reads the output from the beginning and folds it. */
static void *reader_main(void *arg)
{
	wc *w = arg;
	rd_kafka_conf_t *c = conf_new();
	char gid[128];
	snprintf(gid, sizeof(gid), "%s-reader", w->out);
	set(c, "group.id", gid);
	set(c, "enable.auto.commit", "false");
	set(c, "fetch.wait.max.ms", "20");
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(NPART);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, w->out, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (!atomic_load(&w->read_stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		if (!m)
			continue;
		if (!m->err) {
			char k[16] = "", v[24] = "";
			unsigned word;
			char *end;
			if (m->key_len < sizeof(k))
				memcpy(k, m->key, m->key_len);
			if (m->len < sizeof(v))
				memcpy(v, m->payload, m->len);
			long long n = strtoll(v, &end, 10);
			pthread_mutex_lock(&w->lock);
			w->records++;
			if (sscanf(k, "w%u", &word) != 1 || word >= NWORDS ||
			    !v[0] || *end) {
				w->bad++;
			} else {
				w->last[word] = n;
				if (n > w->max[word])
					w->max[word] = n;
			}
			pthread_mutex_unlock(&w->lock);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
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
	snprintf(path, sizeof(path), "%s/../sluice", dirname(exe));
	return path;
}

static void wc_init(wc *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	for (uint32_t i = 0; i < NLINES; i++) {
		uint32_t a, b;
		line_words(i, &a, &b);
		w->expect[a]++;
		w->expect[b]++;
	}
	snprintf(w->dir, sizeof(w->dir), "/tmp/sl_stkill.XXXXXX");
	cr_assert_not_null(mkdtemp(w->dir));
	snprintf(w->ckpt, sizeof(w->ckpt), "%s/ckpt", w->dir);
	snprintf(w->file, sizeof(w->file), "%s/wc.sql", w->dir);
	make_topic(w->in, sizeof(w->in), "stkill", NPART);
	make_topic(w->out, sizeof(w->out), "stkill-out", NPART);
	FILE *f = fopen(w->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = '%s',\n"
		"  startingOffsets = 'earliest',\n"
		"  kafka.bootstrap.servers = '%s');\n"
		"CREATE VIEW words AS\n"
		"  SELECT explode(split(CAST(value AS STRING), ' ')) AS word\n"
		"  FROM input;\n"
		"CREATE SINK output WITH (format = 'kafka', topic = '%s',\n"
		"  kafka.bootstrap.servers = '%s', outputMode = 'update',\n"
		"  checkpointLocation = '%s');\n"
		"INSERT INTO output\n"
		"  SELECT word AS key, CAST(count(*) AS STRING) AS value\n"
		"  FROM words GROUP BY word;\n",
		w->in, broker, w->out, broker, w->ckpt);
	fclose(f);
	pthread_create(&w->read_th, NULL, reader_main, w);
	pthread_create(&w->prod_th, NULL, producer_main, w);
}

static void start_child(wc *w)
{
	char log[128];
	snprintf(log, sizeof(log), "%s/log", w->dir);
	const char *bin = sluice_path();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, "run", w->file, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	w->pid = pid;
	w->runs++;
}

static void print_log(wc *w)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "tail -n 30 '%s/log' >&2", w->dir);
	if (system(cmd))
		return;
}

static void check_alive(wc *w)
{
	int st;
	if (waitpid(w->pid, &st, WNOHANG) == w->pid) {
		print_log(w);
		cr_assert_fail("sluice ended by itself (status %#x) in run %d",
			       st, w->runs);
	}
}

/* Words whose folded count is not the expected one yet. */
static int behind(wc *w)
{
	int n = 0;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < NWORDS; i++)
		n += w->last[i] != w->expect[i];
	pthread_mutex_unlock(&w->lock);
	return n;
}

Test(stateful_kill, word_count_survives_kill_9)
{
	wc w;
	wc_init(&w);
	srand((unsigned)getpid());
	for (int k = 0; k < KILLS; k++) {
		start_child(&w);
		/* 0.4-1.2 s: past the start, inside batches that commit */
		sleep_ms(400 + rand() % 800);
		check_alive(&w);
		kill(w.pid, SIGKILL);
		waitpid(w.pid, NULL, 0);
		if (k == KILLS / 2)
			cr_assert(atomic_load(&w.produced) < NLINES,
				  "the kills happen while input still flows "
				  "(%u of %u produced)",
				  atomic_load(&w.produced), NLINES);
	}
	pthread_join(w.prod_th, NULL);
	cr_assert(!atomic_load(&w.prod_failed), "the producer failed");
	cr_assert_eq(atomic_load(&w.produced), NLINES);

	/* the last run, until the output has caught up */
	start_child(&w);
	int64_t dl = now_ms() + 40000;
	while (behind(&w) && now_ms() < dl) {
		check_alive(&w);
		sleep_ms(50);
	}
	kill(w.pid, SIGTERM);
	int st;
	waitpid(w.pid, &st, 0);
	sleep_ms(300); /* anything the stop flushed */
	atomic_store(&w.read_stop, true);
	pthread_join(w.read_th, NULL);

	pthread_mutex_lock(&w.lock);
	cr_assert_eq(w.bad, 0, "malformed output records");
	for (int i = 0; i < NWORDS; i++) {
		if (w.last[i] != w.expect[i] || w.max[i] != w.expect[i])
			print_log(&w);
		cr_assert_eq(w.last[i], w.expect[i],
			     "w%d: final count %lld, uninterrupted %lld", i,
			     (long long)w.last[i], (long long)w.expect[i]);
		cr_assert_eq(w.max[i], w.expect[i],
			     "w%d: a count of %lld was written, above the "
			     "final %lld (state applied twice)",
			     i, (long long)w.max[i], (long long)w.expect[i]);
	}
	fprintf(stderr,
		"stateful_kill: %d runs (%d SIGKILLs), %llu output records "
		"for %d words\n",
		w.runs, KILLS, (unsigned long long)w.records, NWORDS);
	pthread_mutex_unlock(&w.lock);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w.dir);
	cr_assert_eq(system(cmd), 0);
}
