/* tests/kafka/fault_kafka_sink.c - the fault matrix of the Kafka sink with
 * a checkpoint, against the real broker (SLUICE_KAFKA_BOOTSTRAP;
 * tests/kafka/run.sh starts one): a Kafka -> Kafka query with
 * deliveryGuarantee 'exactly-once' runs while records arrive, and its
 * checkpoint directory's file system fills up, or turns read-only. The
 * query must fail with a message naming the checkpoint and the reason;
 * once the fault is gone a restart from the same checkpoint goes on, and
 * the output, as a read_committed consumer sees it, holds every input
 * record exactly once: nothing the failed run committed is lost or
 * repeated. The checkpoint lives on a small tmpfs the test mounts (root
 * only: a test that cannot mount fails, it is never skipped). No Criterion
 * .timeout: every wait has its own deadline (tests/kafka/README.md). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/tmpdir.h"

#define N 6000	 /* input records */
#define RATE 2000 /* per second */

TestSuite(fault_kafka, .init = sl_test_kafka_broker_setup);

typedef struct fixture {
	char *dir;
	char mnt[512], ck[600];
	char in[128], out[128], group[200];
	/* the producer of the input: records "0" .. "N-1" at RATE/s */
	pthread_t prod;
	_Atomic uint32_t produced;
	/* the read_committed reader of the output */
	pthread_t rd;
	uint8_t count[N];
	_Atomic uint32_t unique;
	_Atomic uint64_t total, foreign;
	_Atomic bool stop;
} fixture;

static void *producer_main(void *arg)
{
	fixture *f = arg;
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	sl_test_kafka_set(c, "linger.ms", "5");
	rd_kafka_t *p = sl_test_kafka_client_new(RD_KAFKA_PRODUCER, c);
	rd_kafka_topic_t *t = rd_kafka_topic_new(p, f->in, NULL);
	int64_t t0 = sl_test_now_ms();
	char buf[16];

	for (uint32_t i = 0; i < N; i++) {
		int64_t due = t0 + (int64_t)i * 1000 / RATE;
		while (sl_test_now_ms() < due)
			sl_test_sleep_ms(1);
		int len = snprintf(buf, sizeof(buf), "%u", i);
		while (rd_kafka_produce(t, 0, RD_KAFKA_MSG_F_COPY, buf,
					(size_t)len, NULL, 0, NULL))
			rd_kafka_poll(p, 10);
		rd_kafka_poll(p, 0);
		atomic_store(&f->produced, i + 1);
	}
	cr_assert_eq(rd_kafka_flush(p, 30000), 0);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(p);
	return NULL;
}

static void *reader_main(void *arg)
{
	fixture *f = arg;
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	char gid[256];

	snprintf(gid, sizeof(gid), "%s-reader", f->out);
	sl_test_kafka_set(c, "group.id", gid);
	sl_test_kafka_set(c, "isolation.level", "read_committed");
	sl_test_kafka_set(c, "fetch.wait.max.ms", "20");
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, f->out, 0)->offset =
		RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (!atomic_load(&f->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		if (!m)
			continue;
		if (!m->err && m->payload) {
			char buf[16];
			size_t len = m->len < 15 ? m->len : 15;
			memcpy(buf, m->payload, len);
			buf[len] = 0;
			char *end;
			unsigned long s = strtoul(buf, &end, 10);
			if (*end || s >= N)
				atomic_fetch_add(&f->foreign, 1);
			else if (f->count[s]++ == 0)
				atomic_fetch_add(&f->unique, 1);
			atomic_fetch_add(&f->total, 1);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

static void fixture_up(fixture *f, const char *tag)
{
	memset(f, 0, sizeof(*f));
	sl_test_kafka_take_turns("/tmp/sluice-ckpt-relay.lock");
	f->dir = sl_test_tmpdir("sl_fault_kafka");
	snprintf(f->mnt, sizeof(f->mnt), "%s/mnt", f->dir);
	snprintf(f->ck, sizeof(f->ck), "%s/ck", f->mnt);
	cr_assert_eq(mkdir(f->mnt, 0755), 0);
	cr_assert_eq(mount("tmpfs", f->mnt, "tmpfs", 0, "size=2m"), 0,
		     "cannot mount a tmpfs on %s (%s): the fault tests need "
		     "root",
		     f->mnt, strerror(errno));
	sl_test_kafka_make_ready_topic(f->in, sizeof(f->in), tag, 1);
	sl_test_kafka_make_ready_topic(f->out, sizeof(f->out), tag, 1);
	snprintf(f->group, sizeof(f->group), "%s-relay", f->in);
	cr_assert_eq(pthread_create(&f->rd, NULL, reader_main, f), 0);
	cr_assert_eq(pthread_create(&f->prod, NULL, producer_main, f), 0);
}

static void fixture_down(fixture *f)
{
	umount2(f->mnt, MNT_DETACH);
	sl_test_tmpdir_free(f->dir);
}

static sl_query *start(sl_session *s, fixture *f)
{
	sl_frame *in = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "subscribe", f->in,
				  "startingOffsets", "earliest",
				  "kafka.group.id", f->group, NULL });
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_frame *sel = sl_frame_select(in, (const char *[]){ "value", NULL });
	cr_assert(sel, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		sel, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "topic", f->out,
				  "deliveryGuarantee", "exactly-once",
				  "checkpointLocation", f->ck, "trigger",
				  "continuous 100 ms", NULL },
		NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	return q;
}

static void wait_output(fixture *f, uint32_t n, int64_t ms)
{
	int64_t dl = sl_test_now_ms() + ms;
	while (atomic_load(&f->unique) < n) {
		cr_assert_lt(sl_test_now_ms(), dl,
			     "the output has %u of %u records",
			     atomic_load(&f->unique), n);
		sl_test_sleep_ms(20);
	}
}

static void fails_naming(fixture *f, sl_query *q, const char *why)
{
	cr_assert_eq(sl_query_await(q, 20000), SL_ESTOPPED,
		     "the query did not fail");
	const char *e = sl_query_exception(q);
	cr_assert_not_null(e);
	cr_assert(strstr(e, f->ck), "'%s' does not name %s", e, f->ck);
	cr_assert(strstr(e, why), "'%s' does not say '%s'", e, why);
}

/* The restart after the fault: runs until every record is out, then the
 * output must hold each once. */
static void restart_and_check(fixture *f)
{
	sl_session *s = sl_session_new();
	sl_query *q = start(s, f);

	pthread_join(f->prod, NULL);
	wait_output(f, N, 120000);
	sl_test_sleep_ms(1500); /* strays: a repeat would come now */
	cr_assert_eq(sl_query_stop(q), 0, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_session_destroy(s);
	atomic_store(&f->stop, true);
	pthread_join(f->rd, NULL);
	cr_assert_eq(atomic_load(&f->foreign), 0);
	cr_assert_eq(atomic_load(&f->total), (uint64_t)N,
		     "%llu records in the committed output for %d input "
		     "records",
		     (unsigned long long)atomic_load(&f->total), N);
}

Test(fault_kafka, checkpoint_disk_full)
{
	fixture *f = calloc(1, sizeof(*f));
	fixture_up(f, "fault-full");
	sl_session *s = sl_session_new();
	sl_query *q = start(s, f);
	char fill[700];

	wait_output(f, 500, 60000);
	snprintf(fill, sizeof(fill), "%s/filler", f->mnt);
	int fd = open(fill, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	{
		static char block[4096];
		while (write(fd, block, sizeof(block)) > 0)
			;
	}
	close(fd);
	fails_naming(f, q, "No space left on device");
	sl_session_destroy(s);
	cr_assert_eq(unlink(fill), 0);
	restart_and_check(f);
	fixture_down(f);
	free(f);
}

Test(fault_kafka, checkpoint_read_only)
{
	fixture *f = calloc(1, sizeof(*f));
	fixture_up(f, "fault-ro");
	sl_session *s = sl_session_new();
	sl_query *q = start(s, f);

	wait_output(f, 500, 60000);
	cr_assert_eq(mount(NULL, f->mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL),
		     0, "remount read-only: %s", strerror(errno));
	fails_naming(f, q, "Read-only file system");
	sl_session_destroy(s);
	cr_assert_eq(mount(NULL, f->mnt, NULL, MS_REMOUNT, NULL), 0,
		     "remount read-write: %s", strerror(errno));
	restart_and_check(f);
	fixture_down(f);
	free(f);
}
