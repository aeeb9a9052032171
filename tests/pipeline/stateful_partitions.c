/* tests/pipeline/stateful_partitions.c - aggregations on several stateful
 * partitions (writer option statefulPartitions; engine/stateful_part.c):
 * the rows are shuffled by key hash to worker threads, each holding its
 * groups. The results must be the single partition's: counts per batch
 * in closed form (update and complete modes), windows in append mode
 * with a watermark equal to a one-partition run's, a restart resuming
 * the counts (and refused with another partitioning), the progress
 * reporting the partitions, and the operators that run on one partition
 * refusing more. Runs under TSan in CI: the ring and round protocol.
 *
 * Input is rate-micro-batch: batch N holds values N*R .. (N+1)*R-1, all
 * stamped N seconds. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/rate_batches.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

#define R 70 /* rows a batch: 10 of each of 7 keys */

enum { COUNTS, GLOBAL, WINDOWS };

/* The query of each kind over rate-micro-batch. */
static sl_frame *query(sl_session *s, int kind)
{
	sl_frame *in = sl_test_rate_batches(s, R);
	sl_frame *g;
	if (kind == WINDOWS) {
		sl_frame *w =
			sl_frame_with_watermark(in, "timestamp", "0 seconds");
		sl_frame *k = sl_frame_select(
			w, OPTS("value % 7 AS k", "value", "timestamp"));
		g = sl_frame_aggregate(
			k, OPTS("k", "window(timestamp, '3 seconds')"),
			OPTS("k", "CAST(window.start AS LONG) AS start",
			     "count(*) AS n", "min(value) AS lo"),
			NULL);
	} else {
		sl_frame *k = sl_frame_select(in, OPTS("value % 7 AS k"));
		g = sl_frame_group_by(k, kind == GLOBAL ? NULL : OPTS("k"),
				      OPTS("count(*) AS n"));
	}
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	return g;
}

/* Runs one query until `batches` batches were delivered (a hang bound
 * of 10 s), then stops it; the last progress record into *progress. */
static void run(int kind, const char *parts, const char *mode, const char *ckpt,
		sl_test_collect *c, uint32_t batches, char **progress)
{
	sl_session *s = sl_session_new();
	sl_frame *g = query(s, kind);
	sl_query *q = sl_test_run_until(
		s, g,
		ckpt ? OPTS("outputMode", mode, "statefulPartitions", parts,
			    "checkpointLocation", ckpt)
		     : OPTS("outputMode", mode, "statefulPartitions", parts),
		c, sl_test_has_batches, batches);
	if (progress)
		*progress = sl_query_last_progress(q);
	sl_session_destroy(s);
}

/* Each batch's rows: every key once, counted from the start. */
static void assert_counts(const sl_test_collect *c, uint32_t keys)
{
	int64_t max = -1;
	for (uint32_t i = 0; i < c->nrows; i++) {
		long long k = 0, n = 0;
		int got = keys > 1
				  ? sscanf(c->rows[i].text, "%lld|%lld", &k, &n)
				  : sscanf(c->rows[i].text, "%lld", &n) + 1;
		cr_assert_eq(got, 2, "%s", c->rows[i].text);
		cr_assert_eq(n, (c->rows[i].batch + 1) * R / keys,
			     "%s in batch %lld", c->rows[i].text,
			     (long long)c->rows[i].batch);
		if (c->rows[i].batch > max)
			max = c->rows[i].batch;
	}
	/* one row per key and batch (a batch run again after a restart
	 * delivers the same rows) */
	cr_assert_eq(sl_test_distinct_rows(c), (uint32_t)(max + 1) * keys);
}

static bool has(const char *json, const char *key, long long v)
{
	char a[96], b[96];
	snprintf(a, sizeof(a), "\"%s\": %lld", key, v);
	snprintf(b, sizeof(b), "\"%s\":%lld", key, v);
	return strstr(json, a) || strstr(json, b);
}

/* Runs kind in update mode on `parts` partitions for `batches` batches:
 * each batch's counts of `keys` keys, and the progress reporting
 * `shuffle` partitions. Returns that progress (the caller frees it). */
static char *update_counts(int kind, const char *parts, uint32_t batches,
			   uint32_t keys, long long shuffle)
{
	sl_test_collect *c = sl_test_collect_new();
	char *p = NULL;
	run(kind, parts, "update", NULL, c, batches, &p);
	assert_counts(c, keys);
	cr_assert(has(p, "numShufflePartitions", shuffle), "%s", p);
	sl_test_collect_free(c);
	return p;
}

Test(stateful_part, update_counts_on_three_partitions)
{
	char *p = update_counts(COUNTS, "3", 12, 7, 3);
	cr_assert(has(p, "numRowsTotal", 7), "%s", p);
	free(p);
}

Test(stateful_part, complete_mode_emits_every_group_every_batch)
{
	sl_test_collect *c = sl_test_collect_new();
	run(COUNTS, "2", "complete", NULL, c, 8, NULL);
	assert_counts(c, 7);
	sl_test_collect_free(c);
}

Test(stateful_part, global_aggregation_runs_on_one_partition)
{
	free(update_counts(GLOBAL, "4", 6, 1, 1));
}

static int cmp_row(const void *a, const void *b)
{
	const sl_test_row *x = a, *y = b;
	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	return strcmp(x->text, y->text);
}

Test(stateful_part, windows_in_append_mode_match_one_partition)
{
	/* 3-second windows per key, watermark 0 s: each (key, window)
	 * comes out once, whole, in the batch that closes it; two
	 * partitions give the same rows in the same batches */
	sl_test_collect *one = sl_test_collect_new(),
			*two = sl_test_collect_new();
	run(WINDOWS, "1", "append", NULL, one, 12, NULL);
	run(WINDOWS, "2", "append", NULL, two, 12, NULL);
	/* compare the batches both runs delivered whole */
	int64_t upto = 10;
	qsort(one->rows, one->nrows, sizeof(sl_test_row), cmp_row);
	qsort(two->rows, two->nrows, sizeof(sl_test_row), cmp_row);
	uint32_t n1 = 0, n2 = 0;
	while (n1 < one->nrows && one->rows[n1].batch <= upto)
		n1++;
	while (n2 < two->nrows && two->rows[n2].batch <= upto)
		n2++;
	cr_assert_gt(n1, 7, "windows closed by batch %lld", (long long)upto);
	cr_assert_eq(n1, n2);
	for (uint32_t i = 0; i < n1; i++) {
		cr_assert_eq(one->rows[i].batch, two->rows[i].batch);
		cr_assert_str_eq(one->rows[i].text, two->rows[i].text);
		long long k, start, cnt, lo;
		cr_assert_eq(sscanf(one->rows[i].text, "%lld|%lld|%lld|%lld",
				    &k, &start, &cnt, &lo),
			     4);
		/* a whole window: 3 batches of 10 rows of the key, unless
		 * it began before batch 0 */
		cr_assert(cnt == 30 || start < RATE_T0_MS / 1000, "%s",
			  one->rows[i].text);
	}
	sl_test_collect_free(one);
	sl_test_collect_free(two);
}

Test(stateful_part, restart_keeps_the_partitioning)
{
	char *dir = sl_test_tmpdir("sl_spart_ckpt");
	sl_test_collect *c = sl_test_collect_new();
	run(COUNTS, "2", "update", dir, c, 4, NULL);
	run(COUNTS, "2", "update", dir, c, c->nbatches + 13, NULL);
	assert_counts(c, 7);
	cr_assert(sl_test_exists(dir, "state/0/1/10.snapshot") &&
			  sl_test_exists(dir, "state/0/0/10.snapshot"),
		  "no snapshot of both partitions");

	/* another partitioning cannot read that state */
	sl_session *s = sl_session_new();
	sl_frame *g = query(s, COUNTS);
	sl_query *q = sl_test_start(
		s, g, OPTS("outputMode", "update", "checkpointLocation", dir),
		c);
	cr_assert_eq(sl_query_await(q, 10000), SL_ESTOPPED);
	cr_assert(strstr(sl_query_exception(q), "written by 2 stateful "
						"partitions; start the query "
						"with statefulPartitions 2"),
		  "%s", sl_query_exception(q));
	sl_session_destroy(s);
	sl_test_tmpdir_free(dir);
	sl_test_collect_free(c);
}
