/* tests/pipeline/queries.c - whole queries through the public API: every
 * trigger, output-mode checks, backpressure with a slow sink, failures,
 * several queries in one session, status and progress. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "sluice.h"
#include "tests/support/collect_values.h"

#define OPTS(...) ((const char *[]){__VA_ARGS__, NULL})

Test(query, continuous_filter_project_delivers_only_matching_rows)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "2000",
						      "numPartitions", "2"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *w = sl_frame_where(in, "value % 2 = 0");
	cr_assert_not_null(w, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(w, OPTS("value * 10 AS v"));
	cr_assert_not_null(o, "%s", sl_session_errmsg(s));
	sl_test_values c;
	sl_test_values_init(&c);
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &c, .open = sl_test_values_open,
				.process = sl_test_values_process};
	sl_query *q = sl_frame_start(o, "foreach",
				     OPTS("trigger", "continuous 100 ms"), &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert(sl_query_is_active(q));
	cr_assert_eq(sl_query_await(q, 600), 0, "still running");
	cr_assert_eq(sl_query_stop(q), 0);
	cr_assert_not(sl_query_is_active(q));
	cr_assert_gt(c.nvals, 100, "rows arrived: %u", c.nvals);
	qsort(c.vals, c.nvals, sizeof(int64_t), sl_test_cmp_int64);
	for (uint32_t i = 0; i < c.nvals; i++) {
		cr_assert_eq(c.vals[i] % 20, 0, "value %ld", (long)c.vals[i]);
		/* every even value, none twice, none missing: the stop
		 * drained what was read */
		cr_assert_eq(c.vals[i], (int64_t)i * 20);
	}
	/* epochs are committed in order, each once */
	for (uint32_t i = 1; i < c.nbatches; i++)
		cr_assert_eq(c.batch_ids[i], c.batch_ids[i - 1] + 1);
	char *p = sl_query_last_progress(q);
	cr_assert_not_null(p);
	json_t *j = json_loads(p, 0, NULL);
	cr_assert_not_null(j);
	cr_assert(json_is_integer(json_object_get(j, "batchId")));
	cr_assert(json_is_string(json_object_get(j, "id")));
	cr_assert(json_is_array(json_object_get(j, "sources")));
	cr_assert(json_is_object(json_object_get(j, "durationMs")));
	json_decref(j);
	free(p);
	sl_session_destroy(s);
	sl_test_values_free(&c);
}

/* rate-micro-batch: batch N holds values N*rows .. (N+1)*rows-1. */
static void run_microbatch(const char *trigger, int64_t wait_ms,
			   sl_test_values *c, int *await_rc)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "10",
					   "numPartitions", "2"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(in, OPTS("value"));
	cr_assert_not_null(o, "%s", sl_session_errmsg(s));
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = c, .batch = sl_test_values_batch};
	sl_query *q = sl_frame_start(o, "foreachBatch",
				     trigger ? OPTS("trigger", trigger) : NULL,
				     &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	*await_rc = sl_query_await(q, wait_ms);
	sl_query_stop(q);
	sl_session_destroy(s);
}

Test(query, trigger_once_runs_one_batch_and_ends)
{
	sl_test_values c;
	sl_test_values_init(&c);
	int rc;
	run_microbatch("once", 5000, &c, &rc);
	cr_assert_eq(rc, 1, "ended by itself");
	cr_assert_eq(c.nbatches, 1);
	cr_assert_eq(c.batch_ids[0], 0);
	cr_assert_eq(c.nvals, 10);
	sl_test_values_free(&c);
}

Test(query, trigger_available_now_ends_by_itself)
{
	sl_test_values c;
	sl_test_values_init(&c);
	int rc;
	run_microbatch("availableNow", 5000, &c, &rc);
	cr_assert_eq(rc, 1, "ended by itself");
	cr_assert_geq(c.nbatches, 1);
	cr_assert_eq(c.nvals, 10 * c.nbatches);
	sl_test_values_free(&c);
}

Test(query, default_trigger_runs_consecutive_batches)
{
	sl_test_values c;
	sl_test_values_init(&c);
	int rc;
	run_microbatch(NULL, 300, &c, &rc);
	cr_assert_eq(rc, 0, "a default trigger runs until stopped");
	cr_assert_gt(c.nbatches, 3);
	for (uint32_t i = 0; i < c.nbatches && i < 4096; i++)
		cr_assert_eq(c.batch_ids[i], (int64_t)i);
	qsort(c.vals, c.nvals, sizeof(int64_t), sl_test_cmp_int64);
	cr_assert_eq(c.nvals, 10 * c.nbatches, "%u rows in %u batches",
		     c.nvals, c.nbatches);
	for (uint32_t i = 0; i < c.nvals; i++)
		cr_assert_eq(c.vals[i], (int64_t)i);
	sl_test_values_free(&c);
}

Test(query, processing_time_paces_batches)
{
	sl_test_values c;
	sl_test_values_init(&c);
	int rc;
	/* 1 s at one batch per 250 ms: the first at once, then every
	 * interval; never the hundreds a default trigger would run. */
	run_microbatch("processingTime 250 milliseconds", 1000, &c, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_geq(c.nbatches, 2, "batches: %u", c.nbatches);
	cr_assert_leq(c.nbatches, 6, "batches: %u", c.nbatches);
	sl_test_values_free(&c);
}

Test(query, continuous_refused_for_foreach_batch)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	sl_sink_callbacks cb = { .size = sizeof(cb), .batch = sl_test_values_batch};
	cr_assert_null(sl_frame_start(in, "foreachBatch",
				      OPTS("trigger", "continuous 1 second"),
				      &cb));
	cr_assert(strstr(sl_session_errmsg(s), "foreachBatch"));
	sl_session_destroy(s);
}

Test(query, complete_mode_refused_without_aggregation)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "1"));
	cr_assert_not_null(in);
	sl_query *q = sl_frame_start(in, "console",
				     OPTS("outputMode", "complete"), NULL);
	cr_assert_null(q);
	cr_assert(strstr(sl_session_errmsg(s), "Complete output mode not "
					       "supported"),
		  "%s", sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), "append"));
	sl_session_destroy(s);
}

Test(query, continuous_refused_for_micro_batch_source)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "5"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(in, "noop",
				     OPTS("trigger", "continuous 1 second"),
				     NULL);
	cr_assert_null(q);
	cr_assert(strstr(sl_session_errmsg(s), "rate-micro-batch"), "%s",
		  sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), "continuous"));
	sl_session_destroy(s);
}

Test(query, unknown_formats_and_options_are_named)
{
	sl_session *s = sl_session_new();
	cr_assert_null(sl_session_read_stream(s, "ratez", NULL));
	cr_assert(strstr(sl_session_errmsg(s), "ratez"));
	cr_assert_null(sl_session_read_stream(s, "rate", OPTS("rowsPerSecnd", "5")));
	cr_assert(strstr(sl_session_errmsg(s), "rowsPerSecnd"));
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	cr_assert_not_null(in);
	cr_assert_null(sl_frame_start(in, "consolez", NULL, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "consolez"));
	cr_assert_null(sl_frame_start(in, "console", OPTS("trigger", "sometimes"),
				      NULL));
	cr_assert(strstr(sl_session_errmsg(s), "sometimes"), "%s",
		  sl_session_errmsg(s));
	cr_assert_null(sl_frame_where(in, "valu > 3"));
	cr_assert(strstr(sl_session_errmsg(s), "valu"));
	sl_session_destroy(s);
}

/* A sink far slower than its source: the source blocks on the full ring
 * instead of reading ahead, so what is in flight stays bounded. */
Test(query, backpressure_bounds_rows_in_flight)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate",
				      OPTS("rowsPerSecond", "2000000"));
	cr_assert_not_null(in);
	sl_test_values c;
	sl_test_values_init(&c);
	c.sleep_ms = 20;
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &c, .process = sl_test_values_process};
	sl_query *q = sl_frame_start(in, "foreach",
				     OPTS("trigger", "continuous 10 ms"), &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	for (int i = 0; i < 20; i++) {
		usleep(50000);
		cr_assert_leq(sl_chan_size(q->parts[0].ch),
			      sl_chan_capacity(q->parts[0].ch));
	}
	pthread_mutex_lock(&c.lock);
	uint64_t delivered = c.nvals;
	pthread_mutex_unlock(&c.lock);
	sl_query_stop(q);
	/* The threads are joined: the partition's state is ours to read.
	 * Without backpressure the source (2M rows/s) would have read about
	 * two million rows by now, the sink (one 20 ms sleep per vector)
	 * taken tens of thousands: what was read beyond what was delivered
	 * fits in the ring (entries x rows per vector) plus slack for the
	 * moments between the two readings. */
	uint64_t read = (uint64_t)q->parts[0].sp.offset;
	uint64_t bound = (uint64_t)sl_chan_capacity(q->parts[0].ch) * 1024 +
			 100000;
	cr_assert_lt(read - delivered, bound, "read %lu delivered %lu",
		     (unsigned long)read, (unsigned long)delivered);
	cr_assert_gt(sl_chan_blocked_ns(q->parts[0].ch), 0,
		     "the producer never waited on a full ring");
	/* and what was read was delivered, not dropped */
	cr_assert_eq((uint64_t)c.nvals, read);
	sl_session_destroy(s);
	sl_test_values_free(&c);
}

Test(query, failing_sink_callback_stops_query_with_exception)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "3"));
	cr_assert_not_null(in);
	sl_test_values c;
	sl_test_values_init(&c);
	c.fail_at = 2;
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &c, .batch = sl_test_values_batch};
	sl_query *q = sl_frame_start(in, "foreachBatch", NULL, &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 5000), SL_ESTOPPED);
	cr_assert_not_null(sl_query_exception(q));
	cr_assert(strstr(sl_query_exception(q), "foreachBatch"), "%s",
		  sl_query_exception(q));
	cr_assert_not(sl_query_is_active(q));
	cr_assert_eq(c.nbatches, 2);
	sl_session_destroy(s);
	sl_test_values_free(&c);
}

Test(query, several_queries_and_a_memory_table)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "500"));
	cr_assert_not_null(in);
	sl_frame *sel = sl_frame_select(in, OPTS("value", "value * 2 AS d"));
	cr_assert_not_null(sel, "%s", sl_session_errmsg(s));
	sl_query *q1 = sl_frame_start(sel, "memory",
				      OPTS("queryName", "t1", "trigger",
					   "processingTime 50 ms"),
				      NULL);
	cr_assert_not_null(q1, "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_start(sel, "memory", OPTS("queryName", "t1"),
				      NULL),
		       "a second active query named t1");
	cr_assert(strstr(sl_session_errmsg(s), "t1"));
	sl_query *q2 = sl_frame_start(in, "noop", NULL, NULL);
	cr_assert_not_null(q2, "%s", sl_session_errmsg(s));
	usleep(400000);
	sl_rows *t = sl_session_table(s, "t1");
	cr_assert_not_null(t, "%s", sl_session_errmsg(s));
	cr_assert_gt(sl_rows_count(t), 0);
	cr_assert_eq(sl_rows_ncols(t), 2);
	cr_assert_str_eq(sl_rows_colname(t, 1), "d");
	for (uint32_t i = 0; i < sl_rows_count(t); i++)
		cr_assert_eq(sl_rows_long(t, i, 1), 2 * sl_rows_long(t, i, 0));
	sl_rows_free(t);
	cr_assert(sl_query_is_active(q1));
	cr_assert(sl_query_is_active(q2));
	sl_status st = { .size = sizeof(st) };
	sl_query_status(q1, &st);
	cr_assert(st.message[0]);
	char *sj = sl_query_status_json(q1);
	cr_assert(strstr(sj, "\"isDataAvailable\""));
	free(sj);
	cr_assert_eq(sl_query_stop(q1), 0);
	cr_assert_not(sl_query_is_active(q1));
	cr_assert(sl_query_is_active(q2));
	sl_query_status(q1, &st);
	cr_assert_str_eq(st.message, "Stopped");
	sl_session_destroy(s); /* stops q2 */
}

Test(query, stop_is_idempotent_and_await_after_stop_returns)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "10"));
	sl_query *q = sl_frame_start(in, "noop", NULL, NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_stop(q), 0);
	cr_assert_eq(sl_query_stop(q), 0);
	cr_assert_eq(sl_query_await(q, 1000), 1);
	sl_session_destroy(s);
}
