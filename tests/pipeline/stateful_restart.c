/* tests/pipeline/stateful_restart.c - the state store: a stateful query
 * stopped and started again on the same checkpointLocation resumes with
 * the state of its last committed batch (engine/state_store.c writes
 * state/0/0/<N>.delta every batch and <N>.snapshot every 10).
 *
 * Input is rate-micro-batch (deterministic: batch N holds values
 * N*R .. (N+1)*R-1 stamped startTimestamp + N seconds), so what an
 * uninterrupted run would produce is known in closed form:
 *
 * - a word count (value % 3) in update mode: after batch N every word's
 *   count is (N+1)*R/3, across three runs;
 * - 5-second windows with a watermark in append mode: every window is
 *   emitted exactly once, with 5*R rows, across restarts (a lost state
 *   would emit a short window, a doubled one a second copy);
 * - a batch that failed in the sink after its state file was written runs
 *   again from the previous version (its counts are not applied twice);
 * - a torn snapshot falls back to the deltas; a torn delta that every
 *   chain needs fails the query, naming the file;
 * - the progress reports the state store's commit time. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* ---- the queries ----------------------------------------------------------- */

enum { WORDS, WINDOWS };

typedef struct run {
	int kind;
	const char *ckpt;
	int64_t run_ms;  /* stop after this long */
	uint32_t want_rows; /* or once this many rows came out (10 s) */
	int fail_at;
	/* results */
	int stop_rc;
	char *progress;  /* the last progress record, malloc'd */
	char exc[1024];  /* the query's exception, "" none */
} run;

#define R 30 /* rows a batch */

static void run_query(run *r, sl_test_collect *c)
{
	sl_session *s = sl_session_new();
	char rows[16];
	snprintf(rows, sizeof(rows), "%d", R);
	sl_frame *in = sl_session_read_stream(
		s, "rate-micro-batch",
		OPTS("rowsPerBatch", rows, "numPartitions", "2",
		     "startTimestamp", "0", "advanceMillisPerBatch", "1000"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *g;
	const char *mode;
	if (r->kind == WORDS) {
		sl_frame *w = sl_frame_select(
			in, OPTS("CAST(value % 3 AS STRING) AS word"));
		cr_assert_not_null(w, "%s", sl_session_errmsg(s));
		g = sl_frame_group_by(w, OPTS("word"),
				      OPTS("count(*) AS count"));
		mode = "update";
	} else {
		sl_frame *w = sl_frame_with_watermark(in, "timestamp",
						      "0 seconds");
		cr_assert_not_null(w, "%s", sl_session_errmsg(s));
		g = sl_frame_aggregate(
			w, OPTS("window(timestamp, '5 seconds')"),
			OPTS("CAST(window.start AS LONG) AS start",
			     "count(*) AS n", "min(value) AS lo"),
			NULL);
		mode = "append";
	}
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	c->fail_call = r->fail_at;
	sl_query *q = sl_test_start(
		s, g, OPTS("checkpointLocation", r->ckpt, "outputMode", mode),
		c);
	if (r->want_rows) {
		sl_test_wait_for(c, q, sl_test_has_rows, r->want_rows);
	} else {
		sl_query_await(q, r->run_ms);
	}
	r->stop_rc = sl_query_stop(q);
	const char *e = sl_query_exception(q);
	snprintf(r->exc, sizeof(r->exc), "%s", e ? e : "");
	r->progress = sl_query_last_progress(q);
	sl_session_destroy(s);
}

/* The count of word w in the output of batch b, or -1. */
static int64_t count_in(const sl_test_collect *c, int64_t b, const char *w)
{
	char want[16];
	int64_t v = -1;
	snprintf(want, sizeof(want), "%s|", w);
	for (uint32_t i = 0; i < c->nrows; i++)
		if (c->rows[i].batch == b &&
		    !strncmp(c->rows[i].text, want, strlen(want)))
			v = strtoll(c->rows[i].text + strlen(want), NULL, 10);
	return v;
}

/* Update mode over rate-micro-batch: every batch updates every word, so
 * each batch's output must hold the uninterrupted run's counts. */
static void assert_word_counts(const sl_test_collect *c, uint32_t from)
{
	for (uint32_t b = from; b < c->nbatches; b++) {
		int64_t id = c->ids[b];
		for (int w = 0; w < 3; w++) {
			char word[16];
			snprintf(word, sizeof(word), "%d", w);
			cr_assert_eq(count_in(c, id, word), (id + 1) * R / 3,
				     "batch %ld: count(%s) = %ld, expected %ld",
				     (long)id, word,
				     (long)count_in(c, id, word),
				     (long)((id + 1) * R / 3));
		}
	}
}

/* Cuts a file short (a torn write the checksum line must catch). */
static void tear(const char *dir, const char *file)
{
	char p[1100];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	cr_assert_eq(stat(p, &st), 0, "%s", p);
	cr_assert_eq(truncate(p, st.st_size / 2), 0);
}

/* ---- tests ----------------------------------------------------------------- */

Test(state_ckpt, word_count_continues_across_restarts)
{
	char *dir = sl_test_tmpdir("sl_state_ckpt");
	sl_test_collect *c = sl_test_collect_new();
	for (int i = 0; i < 3; i++) {
		uint32_t before = c->nbatches;
		run r = { .kind = WORDS, .ckpt = dir, .run_ms = 300 };
		run_query(&r, c);
		cr_assert_eq(r.stop_rc, 0, "%s", r.exc);
		cr_assert_gt(c->nbatches, before + 1, "run %d made progress",
			     i);
		/* batch ids go on where the last run committed */
		cr_assert_eq(c->ids[before], (int64_t)before);
		if (i == 2) {
			/* Spark's stateOperators, with the store's commit
			 * time */
			json_t *j = json_loads(r.progress, 0, NULL);
			cr_assert_not_null(j, "%s", r.progress);
			json_t *op = json_array_get(
				json_object_get(j, "stateOperators"), 0);
			cr_assert(json_is_integer(
					  json_object_get(op, "commitTimeMs")),
				  "%s", r.progress);
			cr_assert_eq(json_integer_value(json_object_get(
					     op, "numRowsTotal")),
				     3);
			json_decref(j);
		}
		free(r.progress);
	}
	for (uint32_t b = 0; b < c->nbatches; b++)
		cr_assert_eq(c->ids[b], (int64_t)b);
	assert_word_counts(c, 0);
	char sd[512];
	snprintf(sd, sizeof(sd), "%s/state/0/0", dir);
	char name[64];
	snprintf(name, sizeof(name), "%u.delta", c->nbatches - 1);
	cr_assert(sl_test_exists(sd, name));
	/* purged with minBatchesToRetain (100): a restart needs at most
	 * the last 100 versions and the snapshot before them */
	if (c->nbatches > 121)
		cr_assert(!sl_test_exists(sd, "0.delta") &&
				  !sl_test_exists(sd, "10.snapshot"),
			  "old state files are purged (%u batches)",
			  c->nbatches);
	else if (c->nbatches <= 110)
		cr_assert(sl_test_exists(sd, "0.delta"));
	sl_test_collect_free(c);
	sl_test_tmpdir_free(dir);
}

/* The start of the window of every emitted row, each once, 5*R rows. */
static void assert_windows(const sl_test_collect *c, int64_t *nwin)
{
	int64_t n = 0;
	for (uint32_t i = 0; i < c->nrows; i++) {
		long long start, cnt, lo;
		cr_assert_eq(sscanf(c->rows[i].text, "%lld|%lld|%lld", &start,
				    &cnt, &lo),
			     3, "%s", c->rows[i].text);
		/* windows come out in order, each once and whole */
		cr_assert_eq(start, n * 5, "row %u: %s (expected window %ld)",
			     i, c->rows[i].text, (long)(n * 5));
		cr_assert_eq(cnt, 5 * R, "window %lld has %lld rows", start,
			     cnt);
		cr_assert_eq(lo, n * 5 * R);
		n++;
	}
	*nwin = n;
}

Test(state_ckpt, windows_in_append_mode_emitted_once_across_restarts)
{
	/* uninterrupted, as the reference */
	char *d0 = sl_test_tmpdir("sl_state_ckpt");
	sl_test_collect *ref = sl_test_collect_new();
	run r0 = { .kind = WINDOWS, .ckpt = d0, .want_rows = 8 };
	run_query(&r0, ref);
	cr_assert_eq(r0.stop_rc, 0, "%s", r0.exc);
	free(r0.progress);
	int64_t nref;
	assert_windows(ref, &nref);
	cr_assert_gt(nref, 3);

	char *dir = sl_test_tmpdir("sl_state_ckpt");
	sl_test_collect *c = sl_test_collect_new();
	for (int i = 0; i < 4 || (c->nrows < 6 && i < 40); i++) {
		run r = { .kind = WINDOWS, .ckpt = dir, .run_ms = 150 };
		run_query(&r, c);
		cr_assert_eq(r.stop_rc, 0, "%s", r.exc);
		free(r.progress);
	}
	int64_t n;
	assert_windows(c, &n);
	cr_assert_gt(n, 3);
	/* the same rows as the uninterrupted run, as far as both got */
	for (uint32_t i = 0; i < c->nrows && i < ref->nrows; i++)
		cr_assert_str_eq(c->rows[i].text, ref->rows[i].text);
	sl_test_collect_free(ref);
	sl_test_collect_free(c);
	sl_test_tmpdir_free(d0);
	sl_test_tmpdir_free(dir);
}

Test(state_ckpt, in_flight_batch_is_not_applied_twice)
{
	char *dir = sl_test_tmpdir("sl_state_ckpt");
	sl_test_collect *c = sl_test_collect_new();
	/* The 4th batch (id 3) fails in foreachBatch: its state file is
	 * written, commits/3 is not. */
	run r1 = { .kind = WORDS, .ckpt = dir, .run_ms = 5000, .fail_at = 4 };
	run_query(&r1, c);
	free(r1.progress);
	cr_assert_lt(r1.stop_rc, 0, "the query failed");
	cr_assert_eq(c->nbatches, 4);
	char sd[512];
	snprintf(sd, sizeof(sd), "%s/state/0/0", dir);
	cr_assert(sl_test_exists(sd, "3.delta"), "the failed batch's state is on disk");
	cr_assert(!sl_test_exists(dir, "commits/3"));

	uint32_t before = c->nbatches;
	run r2 = { .kind = WORDS, .ckpt = dir, .run_ms = 200 };
	run_query(&r2, c);
	free(r2.progress);
	cr_assert_eq(r2.stop_rc, 0, "%s", r2.exc);
	cr_assert_gt(c->nbatches, before + 1);
	/* batch 3 again, from version 2's state: 4 batches' worth, not 5 */
	cr_assert_eq(c->ids[before], 3);
	cr_assert_eq(count_in(c, 3, "0"), 4 * R / 3);
	assert_word_counts(c, before);
	sl_test_collect_free(c);
	sl_test_tmpdir_free(dir);
}

Test(state_ckpt, torn_snapshot_falls_back_and_torn_delta_fails_clearly)
{
	char *dir = sl_test_tmpdir("sl_state_ckpt");
	char sd[512];
	snprintf(sd, sizeof(sd), "%s/state/0/0", dir);
	sl_test_collect *c = sl_test_collect_new();
	/* until a snapshot exists (batch 10) and a few batches after it */
	for (int i = 0; i < 40 && c->nbatches < 14; i++) {
		run r = { .kind = WORDS, .ckpt = dir, .run_ms = 100 };
		run_query(&r, c);
		cr_assert_eq(r.stop_rc, 0, "%s", r.exc);
		free(r.progress);
	}
	cr_assert_geq(c->nbatches, 14);
	cr_assert(sl_test_exists(sd, "10.snapshot"));

	/* a torn snapshot: restored from the deltas instead */
	tear(sd, "10.snapshot");
	uint32_t before = c->nbatches;
	run r1 = { .kind = WORDS, .ckpt = dir, .run_ms = 150 };
	run_query(&r1, c);
	free(r1.progress);
	cr_assert_eq(r1.stop_rc, 0, "%s", r1.exc);
	cr_assert_gt(c->nbatches, before);
	assert_word_counts(c, 0);

	/* a torn delta of the last committed batch: no chain is whole */
	int64_t last = c->ids[c->nbatches - 1];
	char name[64];
	snprintf(name, sizeof(name), "%ld.delta", (long)last);
	tear(sd, name);
	if (last % 10 == 0) {
		/* the snapshot of the same version would do without it; the
		 * loader tries the snapshot first, so the error names that */
		snprintf(name, sizeof(name), "%ld.snapshot", (long)last);
		tear(sd, name);
	}
	before = c->nbatches;
	run r2 = { .kind = WORDS, .ckpt = dir, .run_ms = 2000 };
	run_query(&r2, c);
	free(r2.progress);
	cr_assert_lt(r2.stop_rc, 0, "exc: %s", r2.exc);
	cr_assert_eq(c->nbatches, before, "nothing ran on a broken state");
	cr_assert(strstr(r2.exc, name), "the error names the file: %s",
		  r2.exc);
	cr_assert(strstr(r2.exc, "torn"), "%s", r2.exc);
	sl_test_collect_free(c);
	sl_test_tmpdir_free(dir);
}
