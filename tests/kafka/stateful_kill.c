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

#define NPART 2
#define NWORDS 97
#define NLINES 60000
#define PREFILL 8000
#define RATE 8000 /* lines a second after the prefill */
#define KILLS 5

TestSuite(stateful_kill, .init = sl_test_kafka_broker_setup, .timeout = 120);

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
	sl_test_child ch; /* `sluice run file` */
	char log[128];	/* its output */
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
	rd_kafka_t *rk = sl_test_seq_producer_new(w, dr_cb);
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, w->in, NULL);
	int64_t t0 = sl_test_now_ms();
	for (uint32_t i = 0; i < NLINES; i++) {
		sl_test_seq_pace_wait(rk, t0, i, PREFILL, RATE);
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
			t0 = sl_test_now_ms();
	}
	sl_test_seq_producer_done(rk, t);
	return NULL;
}

/* Reads the output from the beginning and folds it. */
static void *reader_main(void *arg)
{
	wc *w = arg;
	rd_kafka_t *rk = sl_test_seq_reader_new(w->out, NPART);
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
	snprintf(w->log, sizeof(w->log), "%s/log", w->dir);
	sl_test_kafka_make_topic(w->in, sizeof(w->in), "stkill", NPART);
	sl_test_kafka_make_topic(w->out, sizeof(w->out), "stkill-out", NPART);
	FILE *f = fopen(w->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = "
		"'%s',\n"
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
		w->in, sl_test_kafka_broker, w->out, sl_test_kafka_broker,
		w->ckpt);
	fclose(f);
	pthread_create(&w->read_th, NULL, reader_main, w);
	pthread_create(&w->prod_th, NULL, producer_main, w);
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
		sl_test_child_start(&w.ch, w.file, w.log);
		/* 0.4-1.2 s: past the start, inside batches that commit */
		sl_test_sleep_ms(400 + rand() % 800);
		sl_test_child_check_alive(&w.ch);
		kill(w.ch.pid, SIGKILL);
		sl_test_child_wait(&w.ch, 10000);
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
	sl_test_child_start(&w.ch, w.file, w.log);
	int64_t dl = sl_test_now_ms() + 40000;
	while (behind(&w) && sl_test_now_ms() < dl) {
		sl_test_child_check_alive(&w.ch);
		sl_test_sleep_ms(50);
	}
	kill(w.ch.pid, SIGTERM);
	sl_test_child_wait(&w.ch, 30000);
	sl_test_sleep_ms(300); /* anything the stop flushed */
	atomic_store(&w.read_stop, true);
	pthread_join(w.read_th, NULL);

	pthread_mutex_lock(&w.lock);
	cr_assert_eq(w.bad, 0, "malformed output records");
	for (int i = 0; i < NWORDS; i++) {
		if (w.last[i] != w.expect[i] || w.max[i] != w.expect[i])
			sl_test_child_print_log(&w.ch);
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
		w.ch.runs, KILLS, (unsigned long long)w.records, NWORDS);
	pthread_mutex_unlock(&w.lock);
	cr_assert_eq(sl_test_rmtree(w.dir), 0, "cannot remove %s", w.dir);
}
