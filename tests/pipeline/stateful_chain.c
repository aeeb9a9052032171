/* tests/pipeline/stateful_chain.c - two stateful operators in one query:
 * an aggregation after flatMapGroupsWithState in append mode (Spark's
 * compatibility table allows it). Session summaries per key, counted and
 * summed by key in update and complete mode, batch by batch against
 * values this file computes from the input; the refusals around the
 * chain with Spark's messages; a restart from the checkpoint in the
 * middle of open sessions resuming both operators' state; and an
 * aggregation after dropDuplicates (Spark allows it too): counts across
 * restarts, and windows in append mode under the watermark.
 *
 * Input is rate-micro-batch: batch N holds the values N*R .. (N+1)*R-1,
 * so every batch's output is known. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/rate_batches.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

#define R 30	  /* rows a batch: 10 of each key */
#define NKEYS 3	  /* k = value % 3 */
#define MAXLEN 40 /* the where between the operators: events < 40 */

/* A session of key k closes once it holds this many rows: key 0 after
 * every 2 batches (20 rows), key 1 after 3 (30), key 2 after 4 (40, which
 * the where drops). */
static int64_t limit_of(int64_t k)
{
	return 10 * (k + 1) + 5;
}

/* flat, append: the open session of the key (rows, sum of values) as
 * the state; once it holds limit_of(k) rows, one summary row (k, events,
 * vsum) and the state goes. A failed check returns 1000 + its line (the
 * function runs on the sink thread), which stops the query with it. */
static int summaries(void *ud, const sl_rows *key, const sl_rows *rows,
		     sl_group_state *st)
{
	int64_t s[2] = { 0, 0 }; /* events, vsum */
	size_t len = 0;
	const void *p = sl_group_state_get(st, &len);
	if (p) {
		if (len != sizeof(s))
			return 1000 + __LINE__;
		memcpy(s, p, sizeof(s));
	}
	int vcol = sl_rows_colindex(rows, "value");
	if (vcol < 0 || !sl_rows_count(rows))
		return 1000 + __LINE__;
	for (uint32_t i = 0; i < sl_rows_count(rows); i++)
		s[1] += sl_rows_long(rows, i, (uint32_t)vcol);
	s[0] += sl_rows_count(rows);
	int64_t k = sl_rows_long(key, 0, 0);
	if (s[0] < limit_of(k)) {
		sl_group_state_update(st, s, sizeof(s));
		return 0;
	}
	sl_group_state_emit(st);
	sl_group_state_out_long(st, 0, k);
	sl_group_state_out_long(st, 1, s[0]);
	sl_group_state_out_long(st, 2, s[1]);
	sl_group_state_remove(st);
	return 0;
}

/* rate -> flatMapGroupsWithState(summaries, append) by k -> where
 * events < MAXLEN -> group by k: sessions, events, vsum. */
static sl_frame *chain(sl_session *s, const char *fmode, bool flat)
{
	sl_frame *in = sl_test_rate_batches(s, R);
	sl_frame *f = sl_frame_select(in, OPTS("value % 3 AS k", "value"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = summaries,
		.output_schema = "k BIGINT, events BIGINT, vsum BIGINT",
		.flat = flat,
		.output_mode = fmode,
	};
	sl_frame *g = sl_frame_group_state(f, OPTS("k"), &spec);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	char cond[32];
	snprintf(cond, sizeof(cond), "events < %d", MAXLEN);
	g = sl_frame_where(g, cond);
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	return g;
}

static sl_frame *counted(sl_frame *g)
{
	return sl_frame_group_by(g, OPTS("k"),
				 OPTS("count(*) AS sessions",
				      "sum(events) AS events",
				      "sum(vsum) AS vsum"));
}

/* The rows batch b must deliver, "k|sessions|events|vsum", computed from
 * the input by replaying both operators: update mode, the keys a session
 * of which closed in b; complete, every key so far. Returns how many. */
static uint32_t expected(int64_t b, bool complete, char want[][96])
{
	int64_t open[NKEYS][2] = { { 0 } }, agg[NKEYS][3] = { { 0 } };
	bool touched[NKEYS] = { false };
	for (int64_t n = 0; n <= b; n++) {
		memset(touched, 0, sizeof(touched));
		for (int64_t v = n * R; v < (n + 1) * R; v++) {
			open[v % NKEYS][0]++;
			open[v % NKEYS][1] += v;
		}
		for (int k = 0; k < NKEYS; k++) {
			if (open[k][0] < limit_of(k))
				continue;
			if (open[k][0] < MAXLEN) {
				agg[k][0]++;
				agg[k][1] += open[k][0];
				agg[k][2] += open[k][1];
				touched[k] = true;
			}
			open[k][0] = open[k][1] = 0;
		}
	}
	uint32_t n = 0;
	for (int k = 0; k < NKEYS; k++)
		if (complete ? agg[k][0] > 0 : touched[k])
			snprintf(want[n++], 96, "%d|%lld|%lld|%lld", k,
				 (long long)agg[k][0], (long long)agg[k][1],
				 (long long)agg[k][2]);
	return n;
}

/* The rows batch b must deliver into want; how many. */
typedef uint32_t (*expect_fn)(int64_t b, bool complete, char want[][96]);

/* Every batch c delivered holds exactly its expected rows (a batch that
 * ran again after a restart delivers the same rows twice); returns the
 * last batch id. */
static int64_t assert_batches(sl_test_collect *c, expect_fn want_of,
			      bool complete)
{
	int64_t max = -1;
	for (uint32_t i = 0; i < c->nrows; i++)
		if (c->rows[i].batch > max)
			max = c->rows[i].batch;
	cr_assert_geq(max, 0, "no rows at all");
	for (int64_t b = 0; b <= max; b++) {
		char want[NKEYS][96];
		uint32_t n = want_of(b, complete, want);
		uint32_t got = 0;
		for (uint32_t i = 0; i < c->nrows; i++) {
			if (c->rows[i].batch != b)
				continue;
			bool ok = false;
			for (uint32_t j = 0; j < n && !ok; j++)
				ok = !strcmp(c->rows[i].text, want[j]);
			cr_assert(ok, "batch %lld: unexpected row %s",
				  (long long)b, c->rows[i].text);
			got++;
		}
		for (uint32_t j = 0; j < n; j++) {
			bool ok = false;
			for (uint32_t i = 0; i < c->nrows && !ok; i++)
				ok = c->rows[i].batch == b &&
				     !strcmp(c->rows[i].text, want[j]);
			cr_assert(ok, "batch %lld: missing row %s",
				  (long long)b, want[j]);
		}
		cr_assert_geq(got, n);
	}
	return max;
}

/* The progress lists the aggregation, then the lower operator: Spark's
 * order, from the sink down. */
static void assert_progress(sl_query *q, const char *lower)
{
	char *p = sl_query_last_progress(q);
	cr_assert_not_null(p);
	const char *agg = strstr(p, "stateStoreSave");
	const char *low = strstr(p, lower);
	cr_assert(agg && low && agg < low, "%s", p);
	free(p);
}

static void run_mode(const char *mode)
{
	bool complete = !strcmp(mode, "complete");
	sl_session *s = sl_session_new();
	sl_frame *a = counted(chain(s, "append", true));
	cr_assert_not_null(a, "%s", sl_session_errmsg(s));
	char sc[128];
	sl_frame_schema(a, sc, sizeof(sc));
	cr_assert_str_eq(sc, "k: bigint, sessions: bigint, events: bigint, "
			     "vsum: bigint");
	sl_test_collect *c = sl_test_collect_new();
	/* 9 batches: key 0 closes 4 sessions, key 1 three, key 2 two */
	sl_query *q = sl_test_run_until(s, a, OPTS("outputMode", mode), c,
					sl_test_has_batches, 9);
	int64_t last = assert_batches(c, expected, complete);
	cr_assert_geq(last, 7);

	/* the aggregation's stats, and both operators in the progress */
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.num_rows_total, 2, "keys 0 and 1");
	assert_progress(q, "flatMapGroupsWithState");
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

Test(stateful_chain, aggregation_after_flat_map_update)
{
	run_mode("update");
}

Test(stateful_chain, aggregation_after_flat_map_complete)
{
	run_mode("complete");
}

/* ---- refusals ------------------------------------------------------------ */

static void assert_refused_frame(sl_session *s, sl_frame *f, const char *msg)
{
	cr_assert_null(f);
	cr_assert(strstr(sl_session_errmsg(s), msg), "got: %s",
		  sl_session_errmsg(s));
}

static void assert_refused_start(sl_session *s, sl_frame *f,
				 const char *const *opts, int code,
				 const char *msg)
{
	int rc = sl_frame_check_start(f, "foreachBatch", opts);
	cr_assert_eq(rc, code, "rc %d: %s", rc, sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), msg), "got: %s",
		  sl_session_errmsg(s));
}

Test(stateful_chain, refusals)
{
	sl_session *s = sl_session_new();
	/* Spark's UnsupportedOperationChecker: with an aggregation, the
	 * function must be flat and in append mode */
	assert_refused_frame(s, counted(chain(s, "update", true)),
			     "flatMapGroupsWithState in update mode is not "
			     "supported with aggregation on a streaming "
			     "DataFrame/Dataset");
	assert_refused_frame(s, counted(chain(s, NULL, false)),
			     "mapGroupsWithState is not supported with "
			     "aggregation on a streaming DataFrame/Dataset");
	/* and it must not come after an aggregation */
	sl_frame *agg = counted(chain(s, "append", true));
	cr_assert_not_null(agg, "%s", sl_session_errmsg(s));
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = summaries,
		.output_schema = "k BIGINT, events BIGINT, vsum BIGINT",
		.flat = true,
		.output_mode = "append",
	};
	assert_refused_frame(s, sl_frame_group_state(agg, OPTS("k"), &spec),
			     "flatMapGroupsWithState in append mode is not "
			     "supported after aggregation on a streaming "
			     "DataFrame/Dataset");
	/* nor a third operator, nor a watermark between the two */
	assert_refused_frame(
		s,
		sl_frame_group_by(agg, OPTS("sessions"), OPTS("count(*) AS n")),
		"Multiple streaming aggregations are not "
		"supported");
	assert_refused_frame(s, sl_frame_drop_duplicates(agg, NULL),
			     "a query has one stateful operator");
	sl_frame *ts = sl_frame_select(
		chain(s, "append", true),
		OPTS("k", "events", "CAST(vsum AS TIMESTAMP) AS t"));
	cr_assert_not_null(ts, "%s", sl_session_errmsg(s));
	assert_refused_frame(s, sl_frame_with_watermark(ts, "t", "1 second"),
			     "withWatermark after an aggregation is not "
			     "supported");

	/* the query's mode follows the aggregation's rules: update and
	 * complete; append needs a watermark, which the group state's
	 * output does not carry */
	cr_assert_eq(sl_frame_check_start(agg, "foreachBatch",
					  OPTS("outputMode", "update")),
		     0, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_frame_check_start(agg, "foreachBatch",
					  OPTS("outputMode", "complete")),
		     0, "%s", sl_session_errmsg(s));
	assert_refused_start(s, agg, OPTS("outputMode", "append"), SL_EMODE,
			     "Append output mode not supported when there "
			     "are streaming aggregations on streaming "
			     "DataFrames/DataSets without watermark");
	/* both operators run on one stateful partition */
	assert_refused_start(
		s, agg, OPTS("outputMode", "update", "statefulPartitions", "2"),
		SL_EINVAL,
		"statefulPartitions 2: an aggregation after "
		"flatMapGroupsWithState runs both operators on "
		"one stateful partition");
	sl_session_destroy(s);
}

/* ---- restart ------------------------------------------------------------- */

static void run_ckpt(const char *ckpt, sl_test_collect *c, uint32_t batches)
{
	sl_session *s = sl_session_new();
	sl_frame *a = counted(chain(s, "append", true));
	cr_assert_not_null(a, "%s", sl_session_errmsg(s));
	sl_test_run_until(
		s, a, OPTS("outputMode", "update", "checkpointLocation", ckpt),
		c, sl_test_has_batches, batches);
	sl_session_destroy(s);
}

Test(stateful_chain, restart_resumes_both_operators)
{
	/* three runs on one checkpoint, stopping with sessions open (key 1
	 * closes every third batch, key 0 every second), the second past a
	 * snapshot: every batch's rows are the uninterrupted run's, so
	 * neither the open sessions nor the counts were lost or applied
	 * twice */
	char *dir = sl_test_tmpdir("sl_chain_ckpt");
	sl_test_collect *c = sl_test_collect_new();
	run_ckpt(dir, c, 4);
	uint32_t first = c->nbatches;
	run_ckpt(dir, c, c->nbatches + 9);
	run_ckpt(dir, c, c->nbatches + 4);
	cr_assert_gt(c->nbatches, first);
	int64_t last = assert_batches(c, expected, false);
	cr_assert_geq(last, 12);
	/* operator 0 (the aggregation) and 1 (the group state) */
	cr_assert(sl_test_exists(dir, "state/0/0/10.snapshot"),
		  "no snapshot of 0");
	cr_assert(sl_test_exists(dir, "state/1/0/10.snapshot"),
		  "no snapshot of 1");
	cr_assert(sl_test_exists(dir, "state/1/0/0.delta"));
	cr_assert(!sl_test_exists(dir, "state/0/1"), "one partition");
	sl_test_tmpdir_free(dir);
	sl_test_collect_free(c);
}

/* ---- dropDuplicates, then an aggregation --------------------------------- */

#define BUCKET                                                                 \
	110 /* b = value / BUCKET: a pair (k, b) recurs across batches         \
	     */

/* rate -> select k, b -> dropDuplicates(k, b) -> group by k: the pairs
 * kept and the sum of their b. */
static sl_frame *dedup_counted(sl_session *s)
{
	char b[48];
	snprintf(b, sizeof(b), "CAST(value / %d AS BIGINT) AS b", BUCKET);
	sl_frame *in = sl_test_rate_batches(s, R);
	sl_frame *f = sl_frame_select(in, OPTS("value % 3 AS k", b));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_drop_duplicates(f, OPTS("k", "b"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_group_by(f, OPTS("k"),
			      OPTS("count(*) AS n", "sum(b) AS bs"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	return f;
}

/* Update mode's rows of batch b, "k|n|bs": the keys with a new pair. */
static uint32_t dedup_expected(int64_t b, bool complete, char want[][96])
{
	int64_t n[NKEYS] = { 0 }, bs[NKEYS] = { 0 }, last[NKEYS];
	bool touched[NKEYS];
	for (int k = 0; k < NKEYS; k++)
		last[k] = -1;
	/* values grow, so a key's new pair is one with a larger bucket */
	for (int64_t m = 0; m <= b; m++) {
		memset(touched, 0, sizeof(touched));
		for (int64_t v = m * R; v < (m + 1) * R; v++) {
			int k = (int)(v % NKEYS);
			if (v / BUCKET == last[k])
				continue;
			last[k] = v / BUCKET;
			n[k]++;
			bs[k] += last[k];
			touched[k] = true;
		}
	}
	uint32_t cnt = 0;
	for (int k = 0; k < NKEYS; k++)
		if (touched[k])
			snprintf(want[cnt++], 96, "%d|%lld|%lld", k,
				 (long long)n[k], (long long)bs[k]);
	return cnt;
}

static void run_dedup(const char *ckpt, sl_test_collect *c, uint32_t batches)
{
	sl_session *s = sl_session_new();
	sl_frame *a = dedup_counted(s);
	sl_query *q = sl_test_run_until(
		s, a,
		ckpt ? OPTS("outputMode", "update", "checkpointLocation", ckpt)
		     : OPTS("outputMode", "update"),
		c, sl_test_has_batches, batches);
	assert_progress(q, "dedupe");
	sl_session_destroy(s);
}

Test(stateful_chain, aggregation_after_drop_duplicates)
{
	/* three runs on one checkpoint: the pairs seen before a restart
	 * stay duplicates after it, and the counts go on */
	char *dir = sl_test_tmpdir("sl_chain_dd");
	sl_test_collect *c = sl_test_collect_new();
	run_dedup(dir, c, 4);
	run_dedup(dir, c, c->nbatches + 5);
	run_dedup(dir, c, c->nbatches + 4);
	cr_assert_geq(assert_batches(c, dedup_expected, false), 10);
	cr_assert(sl_test_exists(dir, "state/1/0/0.delta"),
		  "no state of operator 1");
	sl_test_tmpdir_free(dir);
	sl_test_collect_free(c);
}

Test(stateful_chain, windows_after_drop_duplicates_in_append_mode)
{
	/* the watermark passes the deduplication: batch m (all stamped
	 * T0 + m s) has 3 distinct (k, timestamp) pairs, so its 1-second
	 * window counts 3, and comes out once, in batch m + 3, when the
	 * watermark (max - 2 s) has passed its end */
	sl_session *s = sl_session_new();
	sl_frame *in = sl_test_rate_batches(s, R);
	sl_frame *f = sl_frame_with_watermark(in, "timestamp", "2 seconds");
	f = sl_frame_select(f, OPTS("value % 3 AS k", "timestamp"));
	f = sl_frame_drop_duplicates(f, OPTS("k", "timestamp"));
	f = sl_frame_group_by(f, OPTS("window(timestamp, '1 second')"),
			      OPTS("count(*) AS n"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, OPTS("CAST(window.start AS BIGINT) AS s", "n"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_test_run_until(s, f, OPTS("outputMode", "append"), c,
			  sl_test_has_rows, 4);
	for (uint32_t i = 0; i < c->nrows; i++) {
		long long sec, n;
		cr_assert_eq(sscanf(c->rows[i].text, "%lld|%lld", &sec, &n), 2,
			     "%s", c->rows[i].text);
		long long m = sec - RATE_T0_MS / 1000;
		cr_assert_eq(n, 3, "%s", c->rows[i].text);
		cr_assert_eq(c->rows[i].batch, m + 3, "%s in batch %lld",
			     c->rows[i].text, (long long)c->rows[i].batch);
		for (uint32_t j = 0; j < i; j++)
			cr_assert_str_neq(c->rows[j].text, c->rows[i].text);
	}
	sl_session_destroy(s);
	sl_test_collect_free(c);
}
