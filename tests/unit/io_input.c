/* tests/unit/io_input.c - the in-process input (sl_session_input,
 * io/input.c, io/source_input.c, engine/input.c): rows pushed from host
 * threads reach a query's foreach sink exactly once and in order per
 * partition; each backpressure mode; close ends the query; a restart
 * from a checkpoint reports the committed offsets and continues them;
 * JSON rows and the row builder's checks. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice.h"
#include "tests/support/tmpdir.h"

#define NPARTS 4

/* What the foreach sink saw, per partition (value of column p). Written
 * on the query's sink thread, read after the query ended. */
typedef struct seen {
	int64_t *seq[NPARTS];
	uint32_t n[NPARTS], cap[NPARTS];
	int bad; /* rows whose tag was not T<seq> */
	int out_of_range;
} seen;

static int cb_process(void *ud, const sl_rows *rows, uint32_t i)
{
	seen *s = ud;
	int64_t p = sl_rows_long(rows, i, 0);
	int64_t q = sl_rows_long(rows, i, 1);
	char tag[64], want[64];

	if (p < 0 || p >= NPARTS) {
		s->out_of_range++;
		return 0;
	}
	if (s->n[p] == s->cap[p]) {
		s->cap[p] = s->cap[p] ? 2 * s->cap[p] : 1024;
		s->seq[p] = realloc(s->seq[p], s->cap[p] * sizeof(int64_t));
	}
	s->seq[p][s->n[p]++] = q;
	if (sl_rows_ncols(rows) > 2) {
		sl_rows_string(rows, i, 2, tag, sizeof(tag));
		snprintf(want, sizeof(want), "T%lld", (long long)q);
		if (strcmp(tag, want))
			s->bad++;
	}
	return 0;
}

static void seen_free(seen *s)
{
	for (int p = 0; p < NPARTS; p++)
		free(s->seq[p]);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A continuous query (epochs of 100 ms) writing f to foreach with cb,
 * checkpointed at ckpt unless it is NULL. */
static sl_query *start_foreach(sl_session *s, sl_frame *f,
			       sl_sink_callbacks *cb, const char *ckpt)
{
	sl_query *q = sl_frame_start(
		f, "foreach",
		(const char *[]){"trigger", "continuous 100 milliseconds",
				 ckpt ? "checkpointLocation" : NULL, ckpt,
				 NULL},
		cb);
	cr_assert(q, "%s", sl_session_errmsg(s));
	return q;
}

static sl_frame *read_input(sl_session *s, const char *name)
{
	sl_frame *f = sl_session_read_stream(s, "input",
				     (const char *[]){"name", name, NULL});
	cr_assert(f, "%s", sl_session_errmsg(s));
	return f;
}

/* ---- four host threads, four partitions -------------------------------- */

#define PER_PART 20000

struct producer {
	sl_input *in;
	uint32_t part;
	int failures;
};

static void *produce(void *arg)
{
	struct producer *pr = arg;
	sl_input_row *r = sl_input_row_new(pr->in);
	sl_input_row *batch[16];
	char tag[32];
	int64_t seq = 0;

	for (int i = 0; i < 16; i++)
		batch[i] = sl_input_row_new(pr->in);
	/* Half the rows one at a time, half in batches of 16. */
	for (; seq < PER_PART / 2; seq++) {
		int n = snprintf(tag, sizeof(tag), "t%lld", (long long)seq);
		sl_input_row_long(r, 0, pr->part);
		sl_input_row_long(r, 1, seq);
		sl_input_row_string(r, 2, tag, (size_t)n);
		if (sl_input_push(pr->in, pr->part, r) != 0)
			pr->failures++;
	}
	while (seq < PER_PART) {
		char tags[16][32];
		for (int i = 0; i < 16; i++, seq++) {
			int n = snprintf(tags[i], sizeof(tags[i]), "t%lld",
					 (long long)seq);
			sl_input_row_long(batch[i], 0, pr->part);
			sl_input_row_long(batch[i], 1, seq);
			sl_input_row_string(batch[i], 2, tags[i], (size_t)n);
		}
		if (sl_input_push_batch(pr->in, pr->part,
					(const sl_input_row *const *)batch,
					16) != 16)
			pr->failures++;
	}
	for (int i = 0; i < 16; i++)
		sl_input_row_free(batch[i]);
	sl_input_row_free(r);
	return NULL;
}

Test(io_input, four_threads_exactly_once_in_order)
{
	sl_session *s = sl_session_new();
	sl_input_opts o = {.size = sizeof(o), .capacity = 1024};
	sl_input *in = sl_session_input(s, "events",
					"p INT, seq BIGINT, tag STRING",
					NPARTS, &o);
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_frame *f = read_input(s, "events");
	cr_assert(f, "%s", sl_session_errmsg(s));
	f = sl_frame_where(f, "seq % 3 <> 1");
	f = sl_frame_select(f, (const char *[]){"p", "seq", "upper(tag) AS tag",
						 NULL});
	cr_assert(f, "%s", sl_session_errmsg(s));
	seen sn = {0};
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = &sn, .process = cb_process};
	sl_query *q = start_foreach(s, f, &cb, NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));

	pthread_t th[NPARTS];
	struct producer pr[NPARTS];
	for (uint32_t p = 0; p < NPARTS; p++) {
		pr[p] = (struct producer){.in = in, .part = p};
		pthread_create(&th[p], NULL, produce, &pr[p]);
	}
	for (uint32_t p = 0; p < NPARTS; p++)
		pthread_join(th[p], NULL);
	cr_assert_eq(sl_input_close(in), 0);
	cr_assert_eq(sl_query_await(q, 60000), 1, "the query did not end "
		     "after the input closed");
	cr_assert_null(sl_query_exception(q), "%s", sl_query_exception(q));

	cr_assert_eq(sn.out_of_range, 0);
	cr_assert_eq(sn.bad, 0, "%d rows with a wrong tag", sn.bad);
	for (uint32_t p = 0; p < NPARTS; p++) {
		cr_assert_eq(pr[p].failures, 0, "partition %u: %d pushes "
			     "failed", p, pr[p].failures);
		uint32_t k = 0;
		for (int64_t v = 0; v < PER_PART; v++) {
			if (v % 3 == 1)
				continue;
			cr_assert_lt(k, sn.n[p], "partition %u: row %lld "
				     "missing (%u rows arrived)", p,
				     (long long)v, sn.n[p]);
			cr_assert_eq(sn.seq[p][k], v, "partition %u: row %u is "
				     "%lld, not %lld", p, k,
				     (long long)sn.seq[p][k], (long long)v);
			k++;
		}
		cr_assert_eq(k, sn.n[p], "partition %u: %u rows, not %u", p,
			     sn.n[p], k);
		cr_assert_eq(sl_input_dropped(in, p), 0);
	}
	sl_session_destroy(s);
	seen_free(&sn);
}

/* ---- backpressure: nobody reads, so the queue fills -------------------- */

static sl_input *full_input(sl_session *s, sl_input_backpressure mode,
			    int64_t timeout_ms, sl_input_row **r)
{
	sl_input_opts o = {.size = sizeof(o), .backpressure = mode,
			   .block_timeout_ms = timeout_ms, .capacity = 4};
	sl_input *in = sl_session_input(s, "q", "v BIGINT", 1, &o);
	cr_assert(in, "%s", sl_session_errmsg(s));
	*r = sl_input_row_new(in);
	for (int i = 0; i < 4; i++) {
		sl_input_row_long(*r, 0, i);
		cr_assert_eq(sl_input_push(in, 0, *r), 0, "row %d", i);
	}
	return in;
}

Test(io_input, block_times_out)
{
	sl_session *s = sl_session_new();
	sl_input_row *r;
	sl_input *in = full_input(s, SL_INPUT_BLOCK, 50, &r);
	int64_t t0 = now_ms();

	cr_assert_eq(sl_input_push(in, 0, r), SL_ETIMEOUT);
	cr_assert_geq(now_ms() - t0, 50, "returned before the timeout");
	cr_assert(strstr(sl_session_errmsg(s), "stayed full"), "%s",
		  sl_session_errmsg(s));
	cr_assert_eq(sl_input_dropped(in, 0), 0);
	sl_input_row_free(r);
	sl_session_destroy(s);
}

/* A blocked push goes on as soon as the query makes room. */
static int cb_count(void *ud, const sl_rows *rows, uint32_t i)
{
	(*(int *)ud)++;
	return 0;
}

Test(io_input, block_waits_for_room)
{
	sl_session *s = sl_session_new();
	sl_input_row *r;
	sl_input *in = full_input(s, SL_INPUT_BLOCK, 0, &r);
	int n = 0;
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = &n, .process = cb_count};
	sl_frame *f = read_input(s, "q");
	sl_query *q = start_foreach(s, f, &cb, NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	for (int i = 4; i < 100; i++) {
		sl_input_row_long(r, 0, i);
		cr_assert_eq(sl_input_push(in, 0, r), 0, "row %d", i);
	}
	sl_input_close(in);
	cr_assert_eq(sl_query_await(q, 30000), 1);
	cr_assert_eq(n, 100);
	sl_input_row_free(r);
	sl_session_destroy(s);
}

Test(io_input, drop_newest_counts)
{
	sl_session *s = sl_session_new();
	sl_input_row *r;
	sl_input *in = full_input(s, SL_INPUT_DROP_NEWEST, 0, &r);
	const sl_input_row *two[2] = {r, r};

	cr_assert_eq(sl_input_push(in, 0, r), 1);
	cr_assert_eq(sl_input_push(in, 0, r), 1);
	cr_assert_eq(sl_input_push_batch(in, 0, two, 2), 0);
	cr_assert_eq(sl_input_dropped(in, 0), 4);
	sl_input_row_free(r);
	sl_session_destroy(s);
}

Test(io_input, fail_returns_full)
{
	sl_session *s = sl_session_new();
	sl_input_row *r;
	sl_input *in = full_input(s, SL_INPUT_FAIL, 0, &r);

	cr_assert_eq(sl_input_push(in, 0, r), SL_EFULL);
	cr_assert(strstr(sl_session_errmsg(s), "partition 0's queue is full"),
		  "%s", sl_session_errmsg(s));
	cr_assert_str_eq(sl_strerror(SL_EFULL), "queue full");
	cr_assert_eq(sl_input_push_json(in, 0, "{\"v\": 9}", 8), SL_EFULL);
	cr_assert_eq(sl_input_dropped(in, 0), 0);
	sl_input_row_free(r);
	sl_session_destroy(s);
}

/* A batch goes in whole or not at all, except when dropping. */
Test(io_input, batch_all_or_nothing)
{
	sl_session *s = sl_session_new();
	sl_input_opts o = {.size = sizeof(o), .backpressure = SL_INPUT_FAIL,
			   .capacity = 4};
	sl_input *in = sl_session_input(s, "b", "v BIGINT", 1, &o);
	sl_input_row *r = sl_input_row_new(in);
	const sl_input_row *rows[5] = {r, r, r, r, r};

	cr_assert_eq(sl_input_push_batch(in, 0, rows, 3), 3);
	cr_assert_eq(sl_input_push_batch(in, 0, rows, 2), SL_EFULL);
	cr_assert_eq(sl_input_push(in, 0, r), 0, "the failed batch took room");
	cr_assert_eq(sl_input_push(in, 0, r), SL_EFULL);
	cr_assert_eq(sl_input_push_batch(in, 0, rows, 5), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "more than the queue holds"),
		  "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_input_push(in, 3, r), SL_EINVAL);
	sl_input_row_free(r);
	sl_session_destroy(s);
}

/* ---- close --------------------------------------------------------------- */

Test(io_input, close_ends_the_query)
{
	sl_session *s = sl_session_new();
	sl_input *in = sl_session_input(s, "c", "v BIGINT", 2, NULL);
	int n = 0;
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = &n, .process = cb_count};
	sl_frame *f = read_input(s, "c");
	sl_query *q = start_foreach(s, f, &cb, NULL);
	sl_input_row *r = sl_input_row_new(in);

	cr_assert(q, "%s", sl_session_errmsg(s));
	sl_input_row_long(r, 0, 7);
	cr_assert_eq(sl_input_push(in, 1, r), 0);
	cr_assert_eq(sl_query_await(q, 300), 0, "ended before the close");
	cr_assert_eq(sl_input_close(in), 0);
	cr_assert_eq(sl_query_await(q, 10000), 1);
	cr_assert_eq(n, 1);
	cr_assert_eq(sl_input_push(in, 0, r), SL_ESTATE);
	cr_assert(strstr(sl_session_errmsg(s), "closed"));
	sl_input_row_free(r);
	sl_session_destroy(s);
}

/* ---- restart from a checkpoint ------------------------------------------ */

/* One run: a new session (a restarted host), the input, the query;
 * pushes rows [from, to) into each of 2 partitions after the query
 * started, closes. *committed gets what the input reported at start. */
static void run_once(const char *ckpt, int64_t from, int64_t to,
		     int64_t committed[2], seen *sn)
{
	sl_session *s = sl_session_new();
	sl_input *in = sl_session_input(s, "orders", "p INT, seq BIGINT", 2,
					NULL);
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = sn, .process = cb_process};
	sl_frame *f = read_input(s, "orders");
	sl_query *q = start_foreach(s, f, &cb, ckpt);
	sl_input_row *r = sl_input_row_new(in);

	cr_assert(q, "%s", sl_session_errmsg(s));
	for (uint32_t p = 0; p < 2; p++) {
		committed[p] = sl_input_committed(in, p);
		for (int64_t v = from; v < to; v++) {
			sl_input_row_long(r, 0, p);
			sl_input_row_long(r, 1, v);
			cr_assert_eq(sl_input_push(in, p, r), 0);
		}
	}
	sl_input_close(in);
	cr_assert_eq(sl_query_await(q, 30000), 1);
	cr_assert_null(sl_query_exception(q));
	for (uint32_t p = 0; p < 2; p++)
		cr_assert_eq(sl_input_committed(in, p), to, "partition %u "
			     "committed %lld after the end, not %lld", p,
			     (long long)sl_input_committed(in, p),
			     (long long)to);
	sl_input_row_free(r);
	sl_session_destroy(s);
}

Test(io_input, restart_reports_committed_offsets)
{
	char *dir = sl_test_tmpdir("io_input");
	char ckpt[512];
	int64_t c[2];
	seen a = {0}, b = {0};

	snprintf(ckpt, sizeof(ckpt), "%s/ckpt", dir);
	run_once(ckpt, 0, 300, c, &a);
	cr_assert_eq(c[0], 0);
	cr_assert_eq(c[1], 0);
	/* The host replays from the committed offsets: 300 each. */
	run_once(ckpt, 300, 450, c, &b);
	cr_assert_eq(c[0], 300);
	cr_assert_eq(c[1], 300);
	for (uint32_t p = 0; p < 2; p++) {
		cr_assert_eq(a.n[p], 300);
		cr_assert_eq(b.n[p], 150);
		cr_assert_eq(b.seq[p][0], 300);
		cr_assert_eq(b.seq[p][149], 449);
	}
	seen_free(&a);
	seen_free(&b);
	sl_test_tmpdir_free(dir);
}

/* ---- JSON rows and the builder's checks --------------------------------- */

Test(io_input, json_rows_and_errors)
{
	sl_session *s = sl_session_new();
	sl_input *in = sl_session_input(
		s, "j", "p INT, seq BIGINT, tag STRING, at TIMESTAMP", 1, NULL);
	cr_assert(in, "%s", sl_session_errmsg(s));
	seen sn = {0};
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = &sn, .process = cb_process};
	sl_frame *f = read_input(s, "j");
	f = sl_frame_select(f, (const char *[]){"p", "seq", "tag", NULL});
	sl_query *q = start_foreach(s, f, &cb, NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	const char *ok = "{\"p\": 0, \"SEQ\": 5, \"tag\": \"T5\", "
			 "\"at\": \"2024-01-01 00:00:00\", \"extra\": 1}";
	cr_assert_eq(sl_input_push_json(in, 0, ok, strlen(ok)), 0, "%s",
		     sl_session_errmsg(s));
	const char *bad = "{\"p\": 0, \"seq\": \"x\"}";
	cr_assert_eq(sl_input_push_json(in, 0, bad, strlen(bad)), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "field 'seq' is not of type "
				"bigint"), "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_input_push_json(in, 0, "[1]", 3), SL_EINVAL);
	cr_assert_eq(sl_input_push_json(in, 0, "{\"p\":", 5), SL_EINVAL);
	cr_assert_eq(sl_input_push_json(in, 1, ok, strlen(ok)), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "no partition 1"));

	sl_input_row *r = sl_input_row_new(in);
	cr_assert_eq(sl_input_row_double(r, 1, 1.5), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "column 'seq' is bigint"),
		  "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_input_row_long(r, 0, 1LL << 40), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "out of range"));
	cr_assert_eq(sl_input_row_long(r, 9, 1), SL_EINVAL);
	cr_assert_eq(sl_input_row_string(r, 0, "x", 1), SL_EINVAL);
	sl_input_row_free(r);

	sl_input_close(in);
	cr_assert_eq(sl_query_await(q, 10000), 1);
	cr_assert_eq(sn.n[0], 1);
	cr_assert_eq(sn.seq[0][0], 5);
	cr_assert_eq(sn.bad, 0);
	seen_free(&sn);
	sl_session_destroy(s);
}

Test(io_input, declaring_errors)
{
	sl_session *s = sl_session_new();

	cr_assert_null(sl_session_input(s, "x", "a ARRAY<INT>", 1, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "column 'a' is array<int>"),
		  "%s", sl_session_errmsg(s));
	cr_assert_null(sl_session_input(s, "x", "a INT", 0, NULL));
	cr_assert_null(sl_session_input(s, "x", "a INT b", 1, NULL));
	cr_assert(sl_session_input(s, "x", "a INT", 1, NULL));
	cr_assert_null(sl_session_input(s, "x", "a INT", 1, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "already declared"));
	cr_assert_null(sl_session_read_stream(s, "input",
				      (const char *[]){"name", "nope", NULL}));
	cr_assert(strstr(sl_session_errmsg(s), "no input named 'nope'"),
		  "%s", sl_session_errmsg(s));
	/* One query at a time reads an input. */
	sl_frame *f = read_input(s, "x");
	sl_frame *g = read_input(s, "x");
	sl_query *q1 = sl_frame_start(f, "noop", NULL, NULL);
	cr_assert(q1, "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_start(g, "noop", NULL, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "read by another running "
				"query"), "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* Inputs belong to their session: another session may declare the same
 * name, cannot read the first one's, and a push failure is recorded on
 * the input's own session. */
Test(io_input, inputs_are_per_session)
{
	sl_session *a = sl_session_new(), *b = sl_session_new();

	sl_input *ia = sl_session_input(a, "orders", "n BIGINT", 1, NULL);
	cr_assert(ia, "%s", sl_session_errmsg(a));
	cr_assert_null(sl_session_read_stream(b, "input",
				      (const char *[]){"name", "orders", NULL}));
	cr_assert(strstr(sl_session_errmsg(b), "no input named 'orders'"),
		  "%s", sl_session_errmsg(b));
	sl_input *ib = sl_session_input(b, "orders", "n BIGINT", 1, NULL);
	cr_assert(ib, "%s", sl_session_errmsg(b));
	cr_assert(ib != ia);
	sl_session_clear_error(b);
	cr_assert_eq(sl_input_committed(ia, 7), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(a), "no partition 7"), "%s",
		  sl_session_errmsg(a));
	cr_assert_str_eq(sl_session_errmsg(b), "");
	sl_session_destroy(a);
	sl_session_destroy(b);
}

/* A micro-batch query plans what is queued (the source's latest) and
 * reads it; empty strings come through as empty. */
static int cb_empty_tags(void *ud, const sl_rows *rows, uint32_t i)
{
	char tag[8];

	sl_rows_string(rows, i, 1, tag, sizeof(tag));
	if (!strcmp(tag, ""))
		atomic_fetch_add((_Atomic int *)ud, 1);
	return 0;
}

Test(io_input, micro_batch_reads_what_is_queued)
{
	sl_session *s = sl_session_new();
	sl_input *in = sl_session_input(s, "mb", "v BIGINT, tag STRING", 1,
					NULL);
	sl_input_row *r = sl_input_row_new(in);
	_Atomic int n = 0;
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = &n, .process = cb_empty_tags};

	for (int i = 0; i < 50; i++) {
		sl_input_row_long(r, 0, i);
		sl_input_row_string(r, 1, "", 0);
		cr_assert_eq(sl_input_push(in, 0, r), 0);
	}
	sl_frame *f = read_input(s, "mb");
	sl_query *q = sl_frame_start(f, "foreach", NULL, &cb);
	cr_assert(q, "%s", sl_session_errmsg(s));
	for (int tries = 0; tries < 1000 && atomic_load(&n) < 50; tries++) {
		struct timespec ts = {.tv_nsec = 10000000};
		nanosleep(&ts, NULL);
	}
	cr_assert_eq(sl_query_stop(q), 0);
	cr_assert_eq(atomic_load(&n), 50, "%d rows with an empty tag, not 50",
		     atomic_load(&n));
	sl_input_row_free(r);
	sl_session_destroy(s);
}
