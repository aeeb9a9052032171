/* tests/kafka/kafka_test_util.h - small librdkafka helpers shared by the
 * Kafka tests against the real broker: the broker's address (broker_setup,
 * a suite's .init, sets `broker` before anything here is used), clients,
 * topics of a test's own, the child process helpers that run the sluice
 * command (`sluice run FILE` for ckpt_relay.c, stateful_kill.c and
 * scale_out.c, `sluice relay` for relay_cli.c), and numbered records
 * relayed from an input topic to an output topic, produced and read back
 * here (seq_io); and librdkafka's mock cluster in the test's process
 * (mock_cluster_up). Tests on a mock cluster set `broker` to its address
 * before they use the clients here. */
#ifndef SL_TEST_KAFKA_UTIL_H
#define SL_TEST_KAFKA_UTIL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *broker;

/* A suite's .init: the real broker tests/kafka/run.sh started. Without
 * one the tests fail; they are never skipped. */
static inline void broker_setup(void)
{
	broker = getenv("SLUICE_KAFKA_BOOTSTRAP");
	if (broker && *broker)
		return;
	cr_assert_fail("SLUICE_KAFKA_BOOTSTRAP is not set: run the Kafka tests "
		       "with tests/kafka/run.sh, which starts a real broker");
}

static inline int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
		      const char *buf)
{
}

static inline rd_kafka_conf_t *conf_new(void)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "bootstrap.servers", broker, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	return conf;
}

static inline void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char errstr[256];
	cr_assert_eq(rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)),
		     RD_KAFKA_CONF_OK, "%s=%s: %s", k, v, errstr);
}

static inline rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char errstr[256];
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	return rk;
}

/* A topic with a name of its own, base-<pid>-<n>-<ms> (runs and the tests
 * of one process share a broker), made with the admin API. */
static inline void make_topic(char *name, size_t n, const char *base,
			      int nparts)
{
	static atomic_int seq;
	char errstr[256];
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf_new());
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	size_t cnt;

	snprintf(name, n, "%s-%d-%d-%lld", base, (int)getpid(),
		 atomic_fetch_add(&seq, 1), (long long)(now_ms() % 100000000));
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(name, nparts, 1, errstr, sizeof(errstr));
	cr_assert_not_null(nt, "%s", errstr);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	cr_assert_not_null(ev, "CreateTopics %s: no answer", name);
	cr_assert_eq(rd_kafka_event_error(ev), 0, "%s",
		     rd_kafka_event_error_string(ev));
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(
			rd_kafka_event_CreateTopics_result(ev), &cnt);
	cr_assert_eq(cnt, 1);
	cr_assert_eq(rd_kafka_topic_result_error(res[0]), 0, "%s",
		     rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

/* make_topic, then waits until every partition answers ListOffsets:
 * metadata names a leader a little before the leader serves (Not leader
 * for partition), and most tests are not about that race. */
static inline void make_ready_topic(char *name, size_t n, const char *base,
				    int nparts)
{
	make_topic(name, n, base, nparts);
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf_new());
	int64_t deadline = now_ms() + 15000;
	for (int p = 0; p < nparts; p++) {
		int64_t lo, hi;
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_query_watermark_offsets(rk, name, p, &lo,
							     &hi, 5000)) &&
		       now_ms() < deadline)
			sleep_ms(20);
		cr_assert_eq(e, 0, "%s-%d not ready: %s", name, p,
			     rd_kafka_err2str(e));
	}
	rd_kafka_destroy(rk);
}

/* The end offsets of partitions 0..nparts-1 of topic now, in hi. */
static inline void topic_ends(const char *topic, int nparts, int64_t *hi)
{
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf_new());
	for (int p = 0; p < nparts; p++) {
		int64_t lo;
		cr_assert_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo,
							      &hi[p], 10000),
			     0);
	}
	rd_kafka_destroy(rk);
}

/* librdkafka's mock cluster of nbrokers brokers, in this process. It lives
 * in a client of its own, returned in *host; mock_cluster_down frees both.
 * rd_kafka_mock_cluster_bootstraps gives its address. */
static inline rd_kafka_mock_cluster_t *mock_cluster_up(int nbrokers,
						       rd_kafka_t **host)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set_log_cb(conf, quiet_log);
	*host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(*host, "%s", errstr);
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(*host,
								 nbrokers);
	cr_assert_not_null(mc);
	return mc;
}

/* Destroys what mock_cluster_up made (NULLs are skipped: a suite's .fini
 * may run after a failed .init) and clears both pointers. */
static inline void mock_cluster_down(rd_kafka_mock_cluster_t **mc,
				     rd_kafka_t **host)
{
	if (*mc)
		rd_kafka_mock_cluster_destroy(*mc);
	if (*host)
		rd_kafka_destroy(*host);
	*mc = NULL;
	*host = NULL;
}

/* Takes turns with the other tests that lock `path` (run.sh runs a
 * binary's tests two at a time; relays, producers and the broker on two
 * cores would starve each other). Held until the test's process ends. */
static inline void take_turns(const char *path)
{
	int fd = open(path, O_CREAT | O_RDWR, 0666);
	cr_assert_geq(fd, 0);
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
}

/* ---- `sluice run FILE` in a child process ------------------------------ */

/* build/sluice: $SLUICE, else next to this binary's directory
 * (build/kafka-test/NAME -> build/sluice). */
static inline const char *sluice_path(void)
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

typedef struct child {
	pid_t pid;	/* 0: not running */
	int runs;	/* times started */
	char log[160];	/* stdout and stderr, appended across runs */
} child;

/* Starts argv[0] with argv (NULL-terminated) in a child process, its
 * stdout and stderr appended to log. The child gets SIGKILL when the
 * test's process ends: a failed assertion ends it without any cleanup,
 * and a sluice left running would hold the broker's cores. */
static inline void child_spawn(child *c, const char *const *argv,
			       const char *log)
{
	snprintf(c->log, sizeof(c->log), "%s", log);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	c->pid = pid;
	c->runs++;
}

/* Starts `sluice run FILE`, its output appended to log. */
static inline void child_start(child *c, const char *file, const char *log)
{
	const char *argv[] = { sluice_path(), "run", file, NULL };
	child_spawn(c, argv, log);
}

static inline void child_print_log(const child *c)
{
	char cmd[220];
	snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' >&2", c->log);
	if (system(cmd))
		return;
}

/* Fails the test if the child died by itself (a crash, a failed query). */
static inline void child_check_alive(child *c)
{
	int st;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->pid = 0;
		child_print_log(c);
		cr_assert_fail("sluice ended by itself (status %#x) in run %d",
			       st, c->runs);
	}
}

/* Waits for the child; returns its wait status. Fails the test if it
 * is not gone within timeout_ms (then kills it). */
static inline int child_wait(child *c, int64_t timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(c->pid, &st, WNOHANG);
		if (w == c->pid)
			break;
		if (now_ms() > dl) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			c->pid = 0;
			child_print_log(c);
			cr_assert_fail("sluice did not end within %lld ms",
				       (long long)timeout_ms);
		}
		sleep_ms(10);
	}
	c->pid = 0;
	return st;
}

/* A planned stop: SIGTERM, then a clean exit within timeout_ms. */
static inline void child_stop(child *c, int64_t timeout_ms)
{
	kill(c->pid, SIGTERM);
	int st = child_wait(c, timeout_ms);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		child_print_log(c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "SIGTERM: a clean exit (status %#x)", st);
}

/* ---- numbered records through a relay ------------------------------------ */

#define SEQ_MAXPART 8

/* A producer writes values "0" .. "n-1" (sequence numbers) into `in`,
 * sequence s into partition s % nparts: prefill at once, then `rate` a
 * second (0: all at once). A reader reads `out` from the beginning and
 * counts the copies of each sequence number. Delivery reports give each
 * sequence number's input partition and offset. */
typedef struct seq_io {
	char in[96], out[96];
	int nparts;
	uint32_t n, prefill, rate;
	_Atomic uint32_t limit; /* the producer waits before this one (seq_start:
				   n; a test may hold it back and raise it) */
	const char *tag; /* in messages */
	/* producer */
	pthread_t prod_th;
	_Atomic uint32_t produced; /* delivered */
	int32_t *part;		   /* sequence -> input partition */
	int64_t *off;		   /* sequence -> input offset */
	_Atomic bool prod_failed;
	/* reader */
	pthread_t read_th;
	_Atomic bool read_stop;
	uint8_t *count; /* copies seen per sequence */
	_Atomic uint32_t unique;
	_Atomic uint64_t total;
	_Atomic int64_t read_pos[SEQ_MAXPART]; /* next output offset */
} seq_io;

static inline void seq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
			     void *opaque)
{
	seq_io *s = opaque;
	uint32_t seq = (uint32_t)(uintptr_t)m->_private;
	if (m->err) {
		atomic_store(&s->prod_failed, true);
		return;
	}
	s->part[seq] = m->partition;
	s->off[seq] = m->offset;
	atomic_fetch_add(&s->produced, 1);
}

/* An input producer, idempotent, so neither the input's order nor its
 * count depends on retries; delivery reports go to dr with opaque. */
static inline rd_kafka_t *
producer_new(void *opaque, void (*dr)(rd_kafka_t *rk,
				      const rd_kafka_message_t *m, void *op))
{
	rd_kafka_conf_t *c = conf_new();
	set(c, "enable.idempotence", "true");
	set(c, "linger.ms", "5");
	set(c, "batch.num.messages", "10000");
	set(c, "queue.buffering.max.messages", "1000000");
	rd_kafka_conf_set_opaque(c, opaque);
	rd_kafka_conf_set_dr_msg_cb(c, dr);
	return client_new(RD_KAFKA_PRODUCER, c);
}

/* Paced input: record i (from prefill on) is due at t0 + (i - prefill) /
 * rate seconds; waits for it, serving rk meanwhile. */
static inline void pace_wait(rd_kafka_t *rk, int64_t t0, uint32_t i,
			     uint32_t prefill, uint32_t rate)
{
	if (i < prefill || !rate)
		return;
	int64_t due = t0 + (int64_t)(i - prefill) * 1000 / rate;
	int64_t now = now_ms();
	if (due > now) {
		rd_kafka_poll(rk, 0);
		sleep_ms(due - now);
	}
}

/* Waits for every delivery report, then destroys t and rk. */
static inline void producer_done(rd_kafka_t *rk, rd_kafka_topic_t *t)
{
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_flush(rk, 1000);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
}

static inline void *seq_producer_main(void *arg)
{
	seq_io *s = arg;
	rd_kafka_t *rk = producer_new(s, seq_dr_cb);
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, s->in, NULL);
	int64_t t0 = now_ms();
	for (uint32_t seq = 0; seq < s->n; seq++) {
		while (seq >= atomic_load(&s->limit)) {
			rd_kafka_poll(rk, 0);
			sleep_ms(10);
			/* held back: the pace resumes from here, no burst */
			if (seq >= s->prefill && s->rate)
				t0 = now_ms() - (int64_t)(seq - s->prefill) *
							1000 / s->rate;
		}
		pace_wait(rk, t0, seq, s->prefill, s->rate);
		char key[16], val[16];
		int kl = snprintf(key, sizeof(key), "k%u", seq % 1000);
		int vl = snprintf(val, sizeof(val), "%u", seq);
		while (rd_kafka_produce(t, (int32_t)(seq % (uint32_t)s->nparts),
					RD_KAFKA_MSG_F_COPY, val, (size_t)vl,
					key, (size_t)kl,
					(void *)(uintptr_t)seq))
			rd_kafka_poll(rk, 10); /* queue full */
		if (seq % 1000 == 0)
			rd_kafka_poll(rk, 0);
		if (seq + 1 == s->prefill)
			t0 = now_ms();
	}
	producer_done(rk, t);
	return NULL;
}

/* A consumer of partitions 0..nparts-1 of topic from the beginning. */
static inline rd_kafka_t *reader_new(const char *topic, int nparts)
{
	rd_kafka_conf_t *c = conf_new();
	char gid[128];
	snprintf(gid, sizeof(gid), "%s-reader", topic);
	set(c, "group.id", gid);
	set(c, "enable.auto.commit", "false");
	set(c, "fetch.wait.max.ms", "20");
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(nparts);
	for (int p = 0; p < nparts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	return rk;
}

/* Reads the output from the beginning, counting copies of each sequence
 * number, until told to stop. */
static inline void *seq_reader_main(void *arg)
{
	seq_io *s = arg;
	rd_kafka_t *rk = reader_new(s->out, s->nparts);
	while (!atomic_load(&s->read_stop)) {
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
			if (*end || seq >= s->n) {
				fprintf(stderr, "%s: bad output record '%s'\n",
					s->tag, buf);
			} else {
				if (s->count[seq]++ == 0)
					atomic_fetch_add(&s->unique, 1);
				atomic_fetch_add(&s->total, 1);
			}
			atomic_store(&s->read_pos[m->partition],
				     m->offset + 1);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

/* Starts the reader and the producer; the topics exist. A limit set
 * before (s->limit) holds the producer back until it is raised. */
static inline void seq_start(seq_io *s, const char *tag, int nparts,
			     uint32_t n, uint32_t prefill, uint32_t rate)
{
	cr_assert_leq(nparts, SEQ_MAXPART);
	s->tag = tag;
	s->nparts = nparts;
	s->n = n;
	s->prefill = prefill;
	s->rate = rate;
	if (!atomic_load(&s->limit))
		atomic_store(&s->limit, n);
	s->part = calloc(n, sizeof(*s->part));
	s->off = calloc(n, sizeof(*s->off));
	s->count = calloc(n, 1);
	cr_assert(s->part && s->off && s->count);
	pthread_create(&s->read_th, NULL, seq_reader_main, s);
	pthread_create(&s->prod_th, NULL, seq_producer_main, s);
}

/* Waits for the producer: every record delivered. */
static inline void seq_produced(seq_io *s)
{
	pthread_join(s->prod_th, NULL);
	cr_assert_not(atomic_load(&s->prod_failed), "producing the input");
	cr_assert_eq(atomic_load(&s->produced), s->n);
}

/* The end offsets of topic's partitions (the seq_io's nparts) now. */
static inline void seq_topic_ends(const seq_io *s, const char *topic,
				  int64_t *hi)
{
	topic_ends(topic, s->nparts, hi);
}

/* Waits until every sequence number is in the output, checking that the
 * children kids[0..nkids) (those running) stay alive. */
static inline void seq_wait_all(seq_io *s, int64_t timeout_ms, child **kids,
				int nkids)
{
	int64_t dl = now_ms() + timeout_ms;
	while (atomic_load(&s->unique) < s->n) {
		for (int k = 0; k < nkids; k++)
			if (kids[k]->pid)
				child_check_alive(kids[k]);
		if (now_ms() > dl) {
			for (int k = 0; k < nkids; k++)
				child_print_log(kids[k]);
			cr_assert_fail("output has %u of %u records after %lld "
				       "ms",
				       atomic_load(&s->unique), s->n,
				       (long long)timeout_ms);
		}
		sleep_ms(50);
	}
}

/* Stops the reader once it has read the whole output topic. */
static inline void seq_drain(seq_io *s)
{
	int64_t hi[SEQ_MAXPART];
	seq_topic_ends(s, s->out, hi);
	int64_t dl = now_ms() + 30000;
	for (int p = 0; p < s->nparts; p++)
		while (atomic_load(&s->read_pos[p]) < hi[p]) {
			cr_assert_lt(now_ms(), dl, "reader stuck");
			sleep_ms(20);
		}
	atomic_store(&s->read_stop, true);
	pthread_join(s->read_th, NULL);
}

static inline void seq_free(seq_io *s)
{
	free(s->part);
	free(s->off);
	free(s->count);
}

#endif
