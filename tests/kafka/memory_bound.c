/* tests/kafka/memory_bound.c - a sink slower than its source keeps the
 * query's memory bounded in bytes, against a real Apache Kafka broker.
 *
 * 200,000 records of 1 KiB (about 200 MiB) are produced to a fresh topic
 * first, so the Kafka source can always read faster than the sink; then
 * kafka (startingOffsets earliest) -> foreach, whose process() sleeps
 * 200 us per row (under 5,000 rows/s), runs for 10 s. Before vectors
 * were capped in bytes (io/source_kafka.c: KSRC_MAX_BATCH_BYTES), the ring
 * shortened (engine/exec.c: SL_RING_ENTRIES) and the prefetch bounded
 * (io/kafka_common.c: queued.max.messages.kbytes), the partition ring
 * filled with 256 vectors of 1024 records, over 256 MiB, plus librdkafka's
 * 64 MiB prefetch (docs/BENCHMARKS.md, "Memory with a slow sink"). The check is a count, not a timing: the process's VmRSS,
 * sampled throughout (Criterion runs each test in its own process), may
 * not grow by more than 128 MiB over what it was before the query
 * started, while the sink has processed rows.
 *
 * The broker is the one SLUICE_KAFKA_BOOTSTRAP names (tests/kafka/run.sh
 * starts it). Without it the test fails: it is never skipped. Every wait
 * has its own deadline; no Criterion .timeout (tests/kafka/README.md). */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"

#include "sluice.h"

#define NREC 200000
#define RECSIZE 1024
#define SLOW_US 200
#define RUN_MS 10000
/* The bound: a ring of 32 vectors of at most 1 MiB and librdkafka's
 * 8 MiB prefetch make about 40 MiB; 128 MiB leaves room for allocator
 * slack and still fails a ring of 256 such vectors by half. */
#define BOUND_KIB (128 * 1024)

static long vmrss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static atomic_long delivered;

static void prod_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *op)
{
	if (!m->err)
		atomic_fetch_add(&delivered, 1);
}

/* NREC records of RECSIZE bytes, all delivered before the query starts. */
static void produce_backlog(const char *topic)
{
	static const char *const props[] = {
		"linger.ms", "5",
		"batch.size", "1000000",
		"queue.buffering.max.messages", "1000000",
		"queue.buffering.max.kbytes", "1048576",
		NULL,
	};
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char *buf = malloc(RECSIZE);
	rd_kafka_t *rk;

	cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers",
				       sl_test_kafka_broker, errstr,
				       sizeof(errstr)),
		     RD_KAFKA_CONF_OK, "%s", errstr);
	for (int i = 0; props[i]; i += 2)
		rd_kafka_conf_set(conf, props[i], props[i + 1], errstr,
				  sizeof(errstr));
	rd_kafka_conf_set_dr_msg_cb(conf, prod_dr);
	rd_kafka_conf_set_log_cb(conf, sl_test_kafka_quiet_log);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	for (int i = 0; i < RECSIZE; i++)
		buf[i] = (char)('a' + i % 26);
	for (int i = 0; i < NREC; i++) {
		int k = snprintf(buf, 16, "%012d", i);

		buf[k] = ' ';
		while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
					 RD_KAFKA_V_PARTITION(0),
					 RD_KAFKA_V_VALUE(buf, RECSIZE),
					 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					 RD_KAFKA_V_END) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 120000);
	rd_kafka_destroy(rk);
	free(buf);
	cr_assert_eq(atomic_load(&delivered), NREC,
		     "the backlog was not delivered (%ld of %d)",
		     atomic_load(&delivered), NREC);
}

struct slow {
	atomic_long rows;
	atomic_bool fast; /* measured: drain at once so stop is quick */
};

static int slow_process(void *ud, const sl_rows *rows, uint32_t i)
{
	struct slow *s = ud;

	if (!atomic_load_explicit(&s->fast, memory_order_relaxed))
		usleep(SLOW_US);
	atomic_fetch_add_explicit(&s->rows, 1, memory_order_relaxed);
	return 0;
}

TestSuite(memory, .init = sl_test_kafka_broker_setup);

Test(memory, slow_sink_keeps_bytes_in_flight_bounded)
{
	char topic[128];
	static struct slow s;
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &s, .process = slow_process };
	sl_session *ss;
	sl_frame *f;
	sl_query *q;
	long base, peak = 0;
	int64_t end;

	sl_test_kafka_make_ready_topic(topic, sizeof(topic), "membound", 1);
	produce_backlog(topic);

	ss = sl_session_new();
	f = sl_session_read_stream(ss, "kafka",
			   (const char *[]){ "subscribe", topic,
					     "startingOffsets", "earliest",
					     "kafka.bootstrap.servers",
					     sl_test_kafka_broker, NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(ss));
	base = vmrss_kib();
	q = sl_frame_start(f, "foreach",
			   (const char *[]){ "trigger", "continuous 1 second",
					     NULL },
			   &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(ss));
	end = sl_test_now_ms() + RUN_MS;
	while (sl_test_now_ms() < end) {
		long kib = vmrss_kib();

		if (kib > peak)
			peak = kib;
		usleep(100000);
	}
	atomic_store(&s.fast, true);
	sl_query_stop(q);
	cr_log_info("VmRSS %ld KiB before the query, highest %ld KiB while "
		    "it ran; %ld rows processed",
		    base, peak, atomic_load(&s.rows));
	/* The sink ran behind (it cannot do NREC rows in RUN_MS) ... */
	cr_expect_gt(atomic_load(&s.rows), 0);
	cr_expect_lt(atomic_load(&s.rows), NREC);
	/* ... and what the source read ahead stayed bounded. */
	cr_expect_lt(peak - base, BOUND_KIB,
		     "VmRSS grew by %ld KiB (bound %d KiB) with a slow sink",
		     peak - base, BOUND_KIB);
	sl_session_destroy(ss);
}
