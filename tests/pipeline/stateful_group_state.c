/* tests/pipeline/stateful_group_state.c - per-group state for C users
 * (sl_frame_group_state: mapGroupsWithState and flatMapGroupsWithState,
 * ops/group_state.c run by the stateful sink): a running count per key;
 * sessions closed by a processing-time timeout and by an event-time
 * timeout under a watermark; state removal; every row of Spark's
 * compatibility table for these operators; misuse of the handle failing
 * the query with a message naming the group; and a restart from the
 * checkpoint resuming the counts.
 *
 * Input is rate-micro-batch (batch N holds values N*R .. (N+1)*R-1, all
 * stamped startTimestamp + N seconds), so the expected output of every
 * batch is known in closed form. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/line_server.h"
#include "tests/support/rate_batches.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* Rows equal to text (any batch); the batch of the last one in *batch. */
static uint32_t count_row(sl_test_collect *c, const char *text, int64_t *batch)
{
	uint32_t n = 0;
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].text, text)) {
			n++;
			if (batch)
				*batch = c->rows[i].batch;
		}
	pthread_mutex_unlock(&c->lock);
	return n;
}

#define R 30 /* rows a batch */

/* Batch N stamped T0 + N s (tests/support/rate_batches.h). */
#define T0_MS RATE_T0_MS

/* ---- the functions
 * ------------------------------------------------------------ */

/* The functions run on the query's sink thread, where a Criterion
 * assertion cannot stop the test: a failed check returns 1000 + its line
 * instead, which stops the query with "the group state function returned
 * <1000 + line>", and the test's check of sl_query_stop shows it. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			return 1000 + __LINE__;                                \
	} while (0)

typedef struct counter {
	int64_t count;
	int64_t min; /* the smallest value seen, -1 none */
} counter;

/* The group's counter into *c; 0, or a CHECK failure. */
static int state_of(sl_group_state *st, counter *c)
{
	c->count = 0;
	c->min = -1;
	size_t len = 0;
	const void *p = sl_group_state_get(st, &len);
	CHECK((p != NULL) == sl_group_state_exists(st));
	if (p) {
		CHECK(len == sizeof(*c));
		memcpy(c, p, sizeof(*c));
	}
	return 0;
}

/* state_of into *c, returning its CHECK failure from the function. */
#define STATE_OF(st, c)                                                        \
	do {                                                                   \
		int state_rc = state_of(st, c);                                \
		if (state_rc)                                                  \
			return state_rc;                                       \
	} while (0)

/* Emits the row (key, count), the key a long, and leaves the later
 * columns to the caller. */
static void emit_count(sl_group_state *st, const sl_rows *key, int64_t count)
{
	sl_group_state_emit(st);
	sl_group_state_out_long(st, 0, sl_rows_long(key, 0, 0));
	sl_group_state_out_long(st, 1, count);
}

/* map: the running count of the key; one row (k, count). */
static int running_count(void *ud, const sl_rows *key, const sl_rows *rows,
			 sl_group_state *st)
{
	counter c;
	STATE_OF(st, &c);
	c.count += sl_rows_count(rows);
	sl_group_state_update(st, &c, sizeof(c));
	emit_count(st, key, c.count);
	return 0;
}

/* map: as running_count, but the state goes once it reaches `limit`
 * (ud), and the row says so. */
static int count_to_limit(void *ud, const sl_rows *key, const sl_rows *rows,
			  sl_group_state *st)
{
	int64_t limit = *(const int64_t *)ud;
	counter c;
	STATE_OF(st, &c);
	c.count += sl_rows_count(rows);
	if (c.count >= limit)
		sl_group_state_remove(st);
	else
		sl_group_state_update(st, &c, sizeof(c));
	CHECK(sl_group_state_exists(st) == (c.count < limit));
	emit_count(st, key, c.count);
	sl_group_state_out_string(st, 2, c.count >= limit ? "removed" : "kept",
			    c.count >= limit ? 7 : 4);
	return 0;
}

/* flat, append: a session per user that closes when its timeout fires:
 * one row (user, events, smallest value) then. The processing-time gap is
 * *ud microseconds; with an event-time timeout the session ends 1 s
 * after its last event. */
static int sessions(void *ud, const sl_rows *key, const sl_rows *rows,
		    sl_group_state *st)
{
	counter c;
	STATE_OF(st, &c);
	if (sl_group_state_has_timed_out(st)) {
		CHECK(sl_rows_count(rows) == 0);
		CHECK(sl_group_state_exists(st));
		emit_count(st, key, c.count);
		sl_group_state_out_long(st, 2, c.min);
		sl_group_state_remove(st);
		return 0;
	}
	CHECK(sl_rows_count(rows) > 0);
	int vcol = sl_rows_colindex(rows, "value");
	int tcol = sl_rows_colindex(rows, "timestamp");
	CHECK(vcol >= 0 && tcol >= 0);
	int64_t last = 0;
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t v = sl_rows_long(rows, i, (uint32_t)vcol);
		int64_t t = sl_rows_long(rows, i, (uint32_t)tcol);
		if (c.min < 0 || v < c.min)
			c.min = v;
		if (t > last)
			last = t;
	}
	c.count += sl_rows_count(rows);
	sl_group_state_update(st, &c, sizeof(c));
	if (ud) {
		CHECK(sl_group_state_processing_time(st) > 0);
		CHECK(sl_group_state_set_timeout_duration(
			      st, *(const int64_t *)ud) == 0);
	} else {
		CHECK(last >= sl_group_state_watermark(st));
		CHECK(sl_group_state_set_timeout_timestamp(
			      st, last + 1000000) == 0);
	}
	return 0;
}

/* Users: value % 4; users 1..3 only in the first four batches (values
 * below 4 * R), user 0 in every batch. */
static sl_frame *users(sl_session *s, bool watermark)
{
	sl_frame *in = sl_test_rate_batches(s, R);
	if (watermark) {
		in = sl_frame_with_watermark(in, "timestamp", "2 seconds");
		cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	}
	sl_frame *u = sl_frame_select(
		in, OPTS("value % 4 AS user", "value", "timestamp"));
	cr_assert_not_null(u, "%s", sl_session_errmsg(s));
	char cond[64];
	snprintf(cond, sizeof(cond), "value < %d OR user = 0", 4 * R);
	u = sl_frame_where(u, cond);
	cr_assert_not_null(u, "%s", sl_session_errmsg(s));
	return u;
}

static sl_frame *keyed(sl_session *s, int mod)
{
	char e[32];
	snprintf(e, sizeof(e), "value %% %d AS k", mod);
	sl_frame *f =
		sl_frame_select(sl_test_rate_batches(s, R), OPTS(e, "value"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	return f;
}

static const sl_group_state_spec count_spec = {
	.size = sizeof(count_spec),
	.fn = running_count,
	.output_schema = "k BIGINT, count BIGINT",
};

/* Every row of c is "k|count" of count_spec over keyed(s, 3): the count
 * of k up to its batch. Returns the last batch. */
static int64_t assert_running_counts(const sl_test_collect *c)
{
	int64_t last = -1;
	for (uint32_t i = 0; i < c->nrows; i++) {
		long long k, n;
		cr_assert_eq(sscanf(c->rows[i].text, "%lld|%lld", &k, &n), 2);
		cr_assert_eq(n, (c->rows[i].batch + 1) * R / 3, "%s in %lld",
			     c->rows[i].text, (long long)c->rows[i].batch);
		if (c->rows[i].batch > last)
			last = c->rows[i].batch;
	}
	return last;
}

/* ---- tests -----------------------------------------------------------------
 */

Test(group_state, running_count_per_key)
{
	sl_session *s = sl_session_new();
	sl_frame *g = sl_frame_group_state(keyed(s, 3), OPTS("k"), &count_spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	char sc[128];
	sl_frame_schema(g, sc, sizeof(sc));
	cr_assert_str_eq(sc, "k: bigint, count: bigint");
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_run_until(s, g, OPTS("outputMode", "update"), c,
					sl_test_has_batches, 6);
	/* every batch: each key once, with the count so far */
	int64_t last = assert_running_counts(c);
	cr_assert_eq(c->nrows, (uint32_t)(last + 1) * 3);
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.num_rows_total, 3);
	cr_assert_eq(st.num_rows_updated, 3);
	cr_assert_eq(st.num_output_rows, 3);
	char *p = sl_query_last_progress(q);
	cr_assert(strstr(p, "\"operatorName\": \"flatMapGroupsWithState\"") ||
			  strstr(p,
				 "\"operatorName\":\"flatMapGroupsWithState\""),
		  "%s", p);
	free(p);
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

Test(group_state, removed_state_is_gone)
{
	/* k = value % 2: 15 rows a key a batch; the state is removed at 45,
	 * so every third batch starts over */
	static const int64_t limit = 3 * R / 2;
	sl_session *s = sl_session_new();
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = count_to_limit,
		.ud = (void *)&limit,
		.output_schema = "k BIGINT, count BIGINT, fate STRING",
		.output_mode = "update",
	};
	sl_frame *g = sl_frame_group_state(keyed(s, 2), OPTS("k"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_run_until(s, g, OPTS("outputMode", "update"), c,
					sl_test_has_batches, 7);
	for (uint32_t i = 0; i < c->nrows; i++) {
		long long k, n;
		char fate[16];
		cr_assert_eq(
			sscanf(c->rows[i].text, "%lld|%lld|%15s", &k, &n, fate),
			3);
		int64_t want = (c->rows[i].batch % 3 + 1) * R / 2;
		cr_assert_eq(n, want, "%s in batch %lld", c->rows[i].text,
			     (long long)c->rows[i].batch);
		cr_assert_str_eq(fate, want == limit ? "removed" : "kept");
	}
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	bool removed_batch = st.batch_id % 3 == 2;
	cr_assert_eq(st.num_rows_total, removed_batch ? 0 : 2);
	cr_assert_eq(st.num_rows_removed, removed_batch ? 2 : 0);
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

Test(group_state, sessions_close_on_processing_time_timeout)
{
	/* users 1..3 stop after batch 3: each session times out 300 ms of
	 * processing time later and is emitted once, whole; user 0 keeps
	 * getting rows, so its timeout keeps moving and it never closes */
	static const int64_t gap_us = 300000;
	sl_session *s = sl_session_new();
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = sessions,
		.ud = (void *)&gap_us,
		.output_schema = "user BIGINT, events BIGINT, first BIGINT",
		.flat = true,
		.output_mode = "append",
		.timeout = SL_GROUP_TIMEOUT_PROCESSING,
	};
	sl_frame *g =
		sl_frame_group_state(users(s, false), OPTS("user"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_run_until(s, g,
					OPTS("outputMode", "append", "trigger",
					     "processingTime 20 milliseconds"),
					c, sl_test_has_rows, 3);
	/* 4 * R values below 4R, R of each user; first value = the user */
	for (int u = 1; u <= 3; u++) {
		char want[64];
		snprintf(want, sizeof(want), "%d|%d|%d", u, R, u);
		cr_assert_eq(count_row(c, want, NULL), 1, "%s", want);
	}
	cr_assert_eq(c->nrows, 3, "user 0 closed: %s", c->rows[0].text);
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.num_rows_total, 1);
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

/* A timed-out session of a string key: (key, count), and the state
 * goes. */
static void close_session(const sl_rows *key, sl_group_state *st,
			  const counter *c)
{
	char w[32];
	sl_rows_string(key, 0, 0, w, sizeof(w));
	sl_group_state_emit(st);
	sl_group_state_out_string(st, 0, w, strlen(w));
	sl_group_state_out_long(st, 1, c->count);
	sl_group_state_remove(st);
}

/* flat, append: sessions of a string key (the socket's lines), (key,
 * rows) when they close. ud NULL: a processing-time timeout 200 ms after
 * the key's last row; else an event-time one, 1 s after its last event
 * (the first column), and no row may be late. */
static int string_sessions(void *ud, const sl_rows *key, const sl_rows *rows,
			   sl_group_state *st)
{
	counter c;
	STATE_OF(st, &c);
	if (sl_group_state_has_timed_out(st)) {
		close_session(key, st, &c);
		return 0;
	}
	c.count += sl_rows_count(rows);
	if (!ud) {
		sl_group_state_update(st, &c, sizeof(c));
		return sl_group_state_set_timeout_duration(st, 200000);
	}
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t t = sl_rows_long(rows, i, 0);
		/* a late row never reaches the function */
		CHECK(t > sl_group_state_watermark(st));
		c.min = t > c.min ? t : c.min; /* the last event time */
	}
	sl_group_state_update(st, &c, sizeof(c));
	return sl_group_state_set_timeout_timestamp(st, c.min + 1000000);
}

/* A socket source on a new line server (accepted after the query
 * starts). */
static sl_frame *socket_in(sl_session *s, struct server *srv)
{
	server_listen(srv);
	sl_frame *in = sl_session_read_stream(
		s, "socket", OPTS("host", "127.0.0.1", "port", srv->port));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	return in;
}

/* string_sessions over f grouped by key (flat, append) into c, with
 * the timeout kind given; the socket's connection accepted. */
static sl_query *start_string_sessions(sl_session *s, sl_frame *f,
				       const char *key,
				       sl_group_timeout timeout,
				       struct server *srv, sl_test_collect *c)
{
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = string_sessions,
		.ud = timeout == SL_GROUP_TIMEOUT_EVENT ? (void *)"event"
							: NULL,
		.output_schema = "key STRING, n BIGINT",
		.flat = true,
		.output_mode = "append",
		.timeout = timeout,
	};
	sl_frame *g = sl_frame_group_state(f, OPTS(key), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_query *q = sl_test_start(s, g, OPTS("outputMode", "append"), c);
	server_accept(srv);
	return q;
}

/* Waits until c holds two rows and stops q: the sessions a ("a|<n>")
 * and "b|1" closed, once each, and nothing else. */
static void assert_a_and_b_closed(sl_test_collect *c, sl_query *q,
				  const char *a)
{
	cr_assert(sl_test_wait_for(c, q, sl_test_has_rows, 2), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "hang");
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	cr_assert_eq(count_row(c, a, NULL), 1);
	cr_assert_eq(count_row(c, "b|1", NULL), 1);
	cr_assert_eq(c->nrows, 2);
}

Test(group_state, processing_time_timeout_fires_on_an_idle_source)
{
	/* the socket sends a few lines and then nothing: no batch has
	 * data, yet the sessions close (Spark runs a batch without data
	 * for a processing-time timeout; sluice does when one is due) */
	struct server srv;
	sl_session *s = sl_session_new();
	sl_frame *in = socket_in(s, &srv);
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = start_string_sessions(
		s, in, "value", SL_GROUP_TIMEOUT_PROCESSING, &srv, c);
	server_send(&srv, "a\nb\na\n");
	assert_a_and_b_closed(c, q, "a|2");
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.num_rows_total, 0);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

#define D "2024-01-01 "

Test(group_state, event_time_timeout_drops_late_rows)
{
	struct server srv;
	sl_session *s = sl_session_new();
	sl_frame *in = socket_in(s, &srv);
	sl_frame *e = sl_frame_select(
		in, OPTS("CAST(split(value, ',')[0] AS TIMESTAMP) AS ts",
			 "split(value, ',')[1] AS user"));
	sl_frame *w = sl_frame_with_watermark(e, "ts", "0 seconds");
	cr_assert_not_null(w, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = start_string_sessions(s, w, "user",
					    SL_GROUP_TIMEOUT_EVENT, &srv, c);
	sl_state_stats st = { .size = sizeof(st) };

	/* the watermark becomes 12:00:10 */
	server_send(&srv, D "12:00:10,a\n");
	cr_assert(sl_test_wait_for(c, q, sl_test_has_batches, 1));
	/* a at 12:00:05 is behind it: dropped and counted, so a's
	 * session keeps one row; b at 12:00:20 moves the watermark past a's
	 * timeout (12:00:11), which fires in the same batch */
	server_send(&srv, D "12:00:05,a\n" D "12:00:20,b\n");
	cr_assert(sl_test_wait_for(c, q, sl_test_has_rows, 1), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "hang");
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.total_rows_dropped_by_watermark, 1);
	cr_assert_eq(count_row(c, "a|1", NULL), 1);
	/* 12:01:00 moves it past b's */
	server_send(&srv, D "12:01:00,c\n");
	assert_a_and_b_closed(c, q, "a|1");
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

/* Event-time sessions until `batches` batches were delivered in all,
 * on checkpoint ckpt (or none); or, with c->fail_at set, until the query
 * fails there. */
static void run_event_sessions(const char *ckpt, sl_test_collect *c,
			       uint32_t batches, sl_state_stats *st)
{
	sl_session *s = sl_session_new();
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = sessions,
		.output_schema = "user BIGINT, events BIGINT, first BIGINT",
		.flat = true,
		.output_mode = "append",
		.timeout = SL_GROUP_TIMEOUT_EVENT,
	};
	sl_frame *g = sl_frame_group_state(users(s, true), OPTS("user"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	const char *const *opts =
		ckpt ? OPTS("outputMode", "append", "checkpointLocation", ckpt)
		     : OPTS("outputMode", "append");
	sl_query *q;
	if (c->fail_at >= 0) {
		q = sl_frame_start(g, "foreachBatch", opts, &c->cb);
		cr_assert_not_null(q, "%s", sl_session_errmsg(s));
		cr_assert_eq(sl_query_await(q, 10000), SL_ESTOPPED);
	} else {
		q = sl_test_run_until(s, g, opts, c, sl_test_has_batches,
				      batches);
	}
	cr_assert_eq(sl_query_state_stats(q, st), 0);
	sl_session_destroy(s);
}

/* Batch N is stamped T0 + N s; the watermark after batch N is T0 + N - 2
 * s. Users 1..3 last have rows in batch 3, so their timeout is T0 + 4 s;
 * it fires once the watermark is past it: T0 + 5 s, set when batch 7
 * ends, whose batch without data (folded in) fires it. Each session
 * comes out once, whole. */
static void assert_event_sessions(sl_test_collect *c, const sl_state_stats *st)
{
	for (int u = 1; u <= 3; u++) {
		char want[64];
		int64_t batch = -1;
		snprintf(want, sizeof(want), "%d|%d|%d", u, R, u);
		cr_assert_eq(count_row(c, want, &batch), 1, "%s", want);
		cr_assert_eq(batch, 7, "%s in batch %lld", want,
			     (long long)batch);
	}
	cr_assert_eq(c->nrows, 3);
	cr_assert_eq(st->num_rows_total, 1);
	cr_assert_eq(st->watermark_us,
		     (T0_MS + (st->batch_id - 2) * 1000) * 1000);
}

Test(group_state, sessions_close_on_event_time_timeout)
{
	sl_test_collect *c = sl_test_collect_new();
	sl_state_stats st = { .size = sizeof(st) };
	run_event_sessions(NULL, c, 10, &st);
	assert_event_sessions(c, &st);
	sl_test_collect_free(c);
}

Test(group_state, restart_resumes_states_timeouts_and_watermark)
{
	/* the first run fails in batch 5 (after its state was written, so
	 * that batch runs again), with users 1..3 open and waiting for
	 * their timeouts: the restarted query closes them in batch 7 with
	 * every event counted */
	char *dir = sl_test_tmpdir("sl_group_state_ev");
	sl_test_collect *c = sl_test_collect_new();
	sl_state_stats st = { .size = sizeof(st) };
	c->fail_at = 5;
	run_event_sessions(dir, c, 0, &st);
	cr_assert_eq(c->nbatches, 5);
	cr_assert_eq(c->nrows, 0);
	c->fail_at = -1;
	run_event_sessions(dir, c, c->nbatches + 6, &st);
	assert_event_sessions(c, &st);
	sl_test_tmpdir_free(dir);
	sl_test_collect_free(c);
}

/* ---- Spark's compatibility table ----------------------------------------
 */

static int check(sl_frame *f, const char *mode)
{
	return sl_frame_check_start(f, "foreachBatch",
				    OPTS("outputMode", mode));
}

static void assert_refused(sl_session *s, int rc, int code, const char *msg)
{
	cr_assert_eq(rc, code, "rc %d: %s", rc, sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), msg), "got: %s",
		  sl_session_errmsg(s));
}

static void assert_refused_frame(sl_session *s, sl_frame *f, const char *msg)
{
	cr_assert_null(f);
	cr_assert(strstr(sl_session_errmsg(s), msg), "got: %s",
		  sl_session_errmsg(s));
}

static sl_frame *group(sl_session *s, bool flat, const char *mode)
{
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = flat ? sessions : running_count,
		.output_schema = flat ? "user BIGINT, events BIGINT, "
					"first BIGINT"
				      : "k BIGINT, count BIGINT",
		.flat = flat,
		.output_mode = mode,
	};
	sl_frame *g =
		sl_frame_group_state(users(s, false), OPTS("user"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	return g;
}

Test(group_state, compatibility_table)
{
	sl_session *s = sl_session_new();
	/* each operator against each output mode: the mode it takes
	 * passes, the others are refused naming the one that works */
	static const struct {
		bool flat;
		const char *fmode, *mode, *refusal;
	} table[] = {
		{ false, NULL, "update", NULL },
		{ false, NULL, "append",
		  "mapGroupsWithState is not supported with Append output "
		  "mode on a streaming DataFrame/Dataset: use outputMode "
		  "'update'" },
		{ false, NULL, "complete",
		  "mapGroupsWithState is not supported with Complete output "
		  "mode" },
		{ true, "append", "append", NULL },
		{ true, "append", "update",
		  "flatMapGroupsWithState in append mode is not supported "
		  "with Update output mode on a streaming DataFrame/Dataset: "
		  "use outputMode 'append'" },
		{ true, "append", "complete",
		  "flatMapGroupsWithState in append mode is not supported "
		  "with Complete output mode" },
		{ true, "update", "update", NULL },
		{ true, "update", "append",
		  "flatMapGroupsWithState in update mode is not supported "
		  "with Append output mode on a streaming DataFrame/Dataset: "
		  "use outputMode 'update'" },
		{ true, "update", "complete",
		  "flatMapGroupsWithState in update mode is not supported "
		  "with Complete output mode" },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		sl_frame *g = group(s, table[i].flat, table[i].fmode);
		int rc = check(g, table[i].mode);
		if (!table[i].refusal)
			cr_assert_eq(rc, 0, "row %zu: %s", i,
				     sl_session_errmsg(s));
		else
			assert_refused(s, rc, SL_EMODE, table[i].refusal);
	}
	sl_frame *m = group(s, false, NULL);
	sl_frame *fa = group(s, true, "append");
	sl_frame *fu = group(s, true, "update");
	/* a continuous trigger falls back to micro-batches, as for an
	 * aggregation (rate-micro-batch cannot run continuously) */
	cr_assert_eq(
		sl_frame_check_start(m, "foreachBatch",
				     OPTS("outputMode", "update", "trigger",
					  "continuous 1 second")),
		0, "%s", sl_session_errmsg(s));
	/* and a select after them runs on the sink thread like HAVING */
	sl_frame *sel = sl_frame_where(m, "count > 0");
	cr_assert_not_null(sel, "%s", sl_session_errmsg(s));
	cr_assert_eq(check(sel, "update"), 0, "%s", sl_session_errmsg(s));

	/* aggregations: none after map or flat update (the table); after
	 * flat append one is allowed, and the query's mode is then the
	 * aggregation's (tests/unit/core_stateful_chain.c runs it) */
	assert_refused_frame(
		s, sl_frame_group_by(m, OPTS("k"), OPTS("count(*) AS n")),
		"mapGroupsWithState is not supported with "
		"aggregation");
	assert_refused_frame(
		s, sl_frame_group_by(fu, OPTS("user"), OPTS("count(*) AS n")),
		"flatMapGroupsWithState in update mode is not "
		"supported with aggregation");
	sl_frame *fagg =
		sl_frame_group_by(fa, OPTS("user"), OPTS("count(*) AS n"));
	cr_assert_not_null(fagg, "%s", sl_session_errmsg(s));
	cr_assert_eq(check(fagg, "update"), 0, "%s", sl_session_errmsg(s));
	cr_assert_eq(check(fagg, "complete"), 0, "%s", sl_session_errmsg(s));
	assert_refused(s, check(fagg, "append"), SL_EMODE,
		       "Append output mode not supported when there are "
		       "streaming aggregations on streaming "
		       "DataFrames/DataSets without watermark");
	/* nor a group state after an aggregation or another group state */
	sl_frame *agg = sl_frame_group_by(users(s, false), OPTS("user"),
					  OPTS("count(*) AS n"));
	cr_assert_not_null(agg, "%s", sl_session_errmsg(s));
	assert_refused_frame(
		s, sl_frame_group_state(agg, OPTS("user"), &count_spec),
		"not supported after aggregation");
	assert_refused_frame(s, sl_frame_group_state(m, OPTS("k"), &count_spec),
			     "Multiple mapGroupsWithStates are not supported");
	assert_refused_frame(s, sl_frame_drop_duplicates(m, NULL),
			     "a query has one stateful operator");
	sl_session_destroy(s);
}

Test(group_state, the_allowed_rows_run)
{
	/* flat update in update mode, and map behind a where, both run */
	sl_session *s = sl_session_new();
	sl_group_state_spec spec = count_spec;
	spec.flat = true;
	spec.output_mode = "update";
	sl_frame *g = sl_frame_group_state(keyed(s, 3), OPTS("k"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	g = sl_frame_where(g, "k = 1");
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_test_run_until(s, g, OPTS("outputMode", "update"), c,
			  sl_test_has_batches, 3);
	cr_assert_geq(c->nrows, 3);
	for (uint32_t i = 0; i < c->nrows; i++) {
		char want[64];
		snprintf(want, sizeof(want), "1|%lld",
			 (long long)(c->rows[i].batch + 1) * R / 3);
		cr_assert_str_eq(c->rows[i].text, want);
	}
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

Test(group_state, spec_errors)
{
	static const struct {
		sl_group_state_spec spec;
		const char *key, *msg;
	} bad[] = {
		{ { .size = sizeof(sl_group_state_spec), .fn = running_count,
		    .output_schema = "k BIGINT",
		    .timeout = SL_GROUP_TIMEOUT_EVENT },
		  "k",
		  "Watermark must be specified in the query" },
		{ { .size = sizeof(sl_group_state_spec), .fn = running_count, .output_schema = "k BIGINT" },
		  "nope",
		  "group state key: cannot resolve 'nope' given input columns: "
		  "[k, value]" },
		{ { .size = sizeof(sl_group_state_spec), .fn = running_count,
		    .output_schema = "k BIGINT, n WIDGET" },
		  "k",
		  "output_schema 'k BIGINT, n WIDGET'" },
		{ { .size = sizeof(sl_group_state_spec), .fn = running_count,
		    .output_schema = "k BIGINT",
		    .output_mode = "append" },
		  "k",
		  "map functions run in update mode" },
		{ { .size = sizeof(sl_group_state_spec), .fn = running_count,
		    .output_schema = "k BIGINT",
		    .flat = true,
		    .output_mode = "complete" },
		  "k",
		  "output_mode must be 'append' or 'update'" },
		{ { .size = sizeof(sl_group_state_spec), .output_schema = "k BIGINT" }, "k", "needs a function" },
	};
	sl_session *s = sl_session_new();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused_frame(s,
				     sl_frame_group_state(keyed(s, 3),
							  OPTS(bad[i].key),
							  &bad[i].spec),
				     bad[i].msg);
	sl_session_destroy(s);
}

/* ---- misuse fails the query, naming the group -------------------------------
 */

enum { EMIT_TWO, WRONG_TYPE, RETURN_ERROR, BAD_TIMEOUT };

static int misbehave(void *ud, const sl_rows *key, const sl_rows *rows,
		     sl_group_state *st)
{
	switch (*(const int *)ud) {
	case EMIT_TWO:
		sl_group_state_emit(st);
		sl_group_state_emit(st);
		return 0;
	case WRONG_TYPE:
		sl_group_state_emit(st);
		CHECK(sl_group_state_out_string(st, 1, "x", 1) == SL_EINVAL);
		return 0;
	case RETURN_ERROR: sl_group_state_emit(st); return 7;
	default:
		sl_group_state_emit(st);
		CHECK(sl_group_state_set_timeout_duration(st, 1000) ==
		      SL_ESTATE);
		return 0;
	}
}

static void misuse_case(int kind, const char *msg)
{
	sl_session *s = sl_session_new();
	sl_group_state_spec spec = count_spec;
	spec.fn = misbehave;
	spec.ud = &kind;
	sl_frame *g = sl_frame_group_state(keyed(s, 3), OPTS("k"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_query *q =
		sl_frame_start(g, "noop", OPTS("outputMode", "update"), NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), SL_ESTOPPED);
	const char *e = sl_query_exception(q);
	cr_assert_not_null(e);
	cr_assert(strstr(e, msg), "got: %s", e);
	cr_assert(strstr(e, "group ["), "no group named: %s", e);
	sl_session_destroy(s);
}

Test(group_state, misuse_fails_the_query)
{
	misuse_case(EMIT_TWO, "must emit exactly one row per call "
			      "(sl_group_state_emit), it emitted 2");
	misuse_case(WRONG_TYPE, "sl_group_state_out_string: output column 1 "
				"'count' is of type bigint");
	misuse_case(RETURN_ERROR, "the group state function returned 7");
	misuse_case(BAD_TIMEOUT, "needs a processing-time timeout");
}

/* ---- restart
 * ------------------------------------------------------------------ */

static void run_counts(const char *ckpt, sl_test_collect *c, uint32_t batches)
{
	sl_session *s = sl_session_new();
	sl_frame *g = sl_frame_group_state(keyed(s, 3), OPTS("k"), &count_spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_test_run_until(
		s, g, OPTS("outputMode", "update", "checkpointLocation", ckpt),
		c, sl_test_has_batches, batches);
	sl_session_destroy(s);
}

Test(group_state, restart_resumes_the_state)
{
	/* three runs on one checkpoint, the second past a snapshot (every
	 * 10 batches): each batch's counts are the uninterrupted run's */
	char *dir = sl_test_tmpdir("sl_group_state_ckpt");
	sl_test_collect *c = sl_test_collect_new();
	run_counts(dir, c, 4);
	uint32_t first = c->nrows;
	run_counts(dir, c, c->nbatches + 12);
	run_counts(dir, c, c->nbatches + 3);
	int64_t max = assert_running_counts(c);
	/* batches numbered on across the runs: every batch's three rows,
	 * one copy each (a batch in flight at a stop may run again after
	 * the restart, with the same rows) */
	cr_assert_eq(sl_test_distinct_rows(c), (uint32_t)(max + 1) * 3);
	cr_assert_gt(c->nrows, first);
	cr_assert(sl_test_exists(dir, "state/0/0/10.snapshot"),
		  "no snapshot at 10");
	sl_test_tmpdir_free(dir);
	sl_test_collect_free(c);
}
