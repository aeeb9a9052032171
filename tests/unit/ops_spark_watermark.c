/* tests/unit/ops_spark_watermark.c - the aggregation (ops/groupby.c) and
 * the deduplication (ops/dedup.c) driven batch by batch as Spark drives
 * them, each batch's output and state equal to PySpark 4.3's.
 *
 * The expected data was printed by tests/spark/stateful/watermark_batches.py
 * (the sections named in each case). Spark runs a batch without data after
 * a batch that moved the watermark only when no input is waiting: in its
 * "step" runs (input written batch by batch) after every such batch, in
 * its "backlog" runs (every input there from the start, one file a batch)
 * only after the last. The operators are driven the same way here, batch
 * ids included, so both ways check the rule that late rows are judged by
 * the previous batch's watermark and state evicted by the current one
 * (Spark 3.4+): in a backlog a row between the two enters a window that
 * is emitted and evicted in the same batch. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/dedup.h"
#include "ops/groupby.h"
#include "sluice.h"

#define SEC 1000000LL
#define MIN (60 * SEC)
#define DAY ((int64_t)19723 * 86400 * SEC) /* 2024-01-01 */
#define NBATCH 12

/* A sequence of input batches ("12:07 dog, 12:08 owl"), and per Spark
 * batch (the ones without data included) its rows, sorted and joined by
 * "; ", the rows dropped by the watermark and the state rows held. */
struct spark_run {
	bool step;
	const char *input[NBATCH];
	const char *out[NBATCH];
	uint64_t dropped[NBATCH];
	uint64_t total[NBATCH];
};

static sl_arena plan;
static const sl_schema *in_schema;

static void setup(void)
{
	sl_arena_init(&plan);
	sl_err err = { 0 };
	in_schema = sl_schema_parse("ts timestamp, word string", &plan, &err);
	cr_assert_not_null(in_schema, "%s", err.msg);
}

static void teardown(void)
{
	sl_arena_free(&plan);
}

TestSuite(spark_watermark, .init = setup, .fini = teardown);

/* "12:07 dog, 12:08 owl" as rows (ts, word). */
static sl_batch *parse_input(const char *text)
{
	sl_batch *b = sl_batch_new(in_schema, 4);
	for (const char *p = text; p && *p;) {
		int hh, mm, used = 0;
		char word[32];
		cr_assert_eq(sscanf(p, " %d:%d %31[a-z]%n", &hh, &mm, word,
				    &used), 3, "input '%s'", p);
		sl_value *r = sl_batch_add_row(b);
		r[0] = sl_v_ts(DAY + (hh * 60 + mm) * MIN);
		size_t n = strlen(word);
		char *w = sl_arena_alloc(&b->arena, n);
		memcpy(w, word, n);
		r[1] = sl_v_str(w, (uint32_t)n);
		p += used;
		p += strspn(p, ", ");
	}
	return b;
}

static void hhmm(int64_t t, char *out)
{
	int64_t m = (t - DAY) / MIN;
	sprintf(out, "%02d:%02d", (int)(m / 60), (int)(m % 60));
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of b as "12:00-12:10 dog 1" (a window, a word, a count),
 * "12:00 a 1" (a time, a word, a count) or "12:00 a" (a time, a word),
 * sorted and joined by "; " (malloc'd). */
static char *render(const sl_batch *b)
{
	char **rows = calloc(b->nrows + 1, sizeof(*rows));
	size_t len = 1;
	for (uint32_t r = 0; r < b->nrows; r++) {
		const sl_value *v = sl_batch_row(b, r);
		char text[96], s[8], e[8];
		int64_t start, end;
		if (sl_window_get(&v[0], &start, &end)) {
			hhmm(start, s);
			hhmm(end, e);
			snprintf(text, sizeof(text), "%s-%s %.*s %lld", s, e,
				 (int)v[1].len, v[1].v.str,
				 (long long)v[2].v.i64);
		} else if (b->ncols == 3) { /* a timestamp key's count */
			hhmm(v[0].v.i64, s);
			snprintf(text, sizeof(text), "%s %.*s %lld", s,
				 (int)v[1].len, v[1].v.str,
				 (long long)v[2].v.i64);
		} else {
			hhmm(v[0].v.i64, s);
			snprintf(text, sizeof(text), "%s %.*s", s,
				 (int)v[1].len, v[1].v.str);
		}
		rows[r] = strdup(text);
		len += strlen(text) + 2;
	}
	qsort(rows, b->nrows, sizeof(*rows), cmp_text);
	char *out = malloc(len), *w = out;
	*w = 0;
	for (uint32_t r = 0; r < b->nrows; r++) {
		w += sprintf(w, "%s%s", r ? "; " : "", rows[r]);
		free(rows[r]);
	}
	free(rows);
	return out;
}

static void check_batch(const struct spark_run *k, int64_t id,
			const sl_batch *out, uint64_t dropped, uint64_t total)
{
	cr_assert_lt(id, NBATCH);
	cr_assert_not_null(k->out[id], "Spark has no batch %lld", (long long)id);
	char *got = render(out);
	cr_assert_str_eq(got, k->out[id], "batch %lld", (long long)id);
	free(got);
	cr_assert_eq(dropped, k->dropped[id], "batch %lld: dropped %llu",
		     (long long)id, (unsigned long long)dropped);
	cr_assert_eq(total, k->total[id], "batch %lld: state %llu",
		     (long long)id, (unsigned long long)total);
}

/* Is a batch without data due after data batch i that moved the
 * watermark? */
static bool runs_empty_batch(const struct spark_run *k, int i)
{
	return k->step || !k->input[i + 1];
}

/* ---- windowed counts ------------------------------------------------------ */

static const sl_groupby_agg count_star[] = {
	{ &sl_agg_count_star, -1, "count" }
};

enum key_kind { SLIDING, SESSION, PLAIN };

/* groupBy(window(ts, '10 minutes', '5 minutes'), word).count(), or by
 * session_window(ts, '5 minutes'), or by (ts, word), with
 * withWatermark(ts, '10 minutes') */
static void run_counts(const struct spark_run *k, sl_output_mode mode,
		       enum key_kind key)
{
	sl_groupby_spec sp = { .in = in_schema, .nkeys = 2, .naggs = 1,
			       .aggs = count_star,
			       .time_key = key == PLAIN ? -1 : 0,
			       .wm_col = 0, .wm_delay_us = 10 * MIN,
			       .mode = mode };
	if (key == SLIDING)
		cr_assert_eq(sl_window_time(&sp.window, 10 * MIN, 5 * MIN, 0,
					    NULL), 0);
	if (key == SESSION)
		cr_assert_eq(sl_window_session(&sp.window, 5 * MIN, NULL), 0);
	sl_err err = { 0 };
	sl_groupby *op = sl_groupby_new(&sp, &plan, &err);
	cr_assert_not_null(op, "%s", err.msg);
	int64_t id = 0;
	for (int i = 0; k->input[i]; i++) {
		sl_batch *b = parse_input(k->input[i]);
		cr_assert_eq(sl_groupby_update(op, b, &err), 0, "%s", err.msg);
		sl_batch_free(b);
		for (bool data = true;; data = false) {
			sl_batch *out = NULL;
			sl_groupby_emit(op, id, &out);
			sl_groupby_stats st;
			sl_groupby_stats_get(op, &st);
			check_batch(k, id++, out, st.num_rows_dropped_by_watermark,
				    st.num_rows_total);
			sl_batch_free(out);
			/* complete mode: Spark runs no batch without data */
			bool moved = sl_groupby_advance_watermark(op) &&
				     mode != SL_MODE_COMPLETE;
			if (!data || !moved || !runs_empty_batch(k, i))
				break;
		}
	}
	cr_assert_null(id < NBATCH ? k->out[id] : NULL,
		       "Spark has batch %lld", (long long)id);
	sl_groupby_free(op);
}

#define LATE_INPUT                                                         \
	{ "12:07 dog, 12:08 owl", "12:14 dog, 12:09 cat",                  \
	  "12:15 cat, 12:08 dog, 12:13 owl, 12:21 owl",                    \
	  "12:04 donkey, 12:17 owl" }
#define LATE_B2 "12:00-12:10 cat 1; 12:05-12:15 cat 1; 12:05-12:15 dog 2; " \
		"12:10-12:20 dog 1"
#define LATE_B4 "12:00-12:10 dog 2; 12:05-12:15 dog 3; 12:05-12:15 owl 2; " \
		"12:10-12:20 cat 1; 12:10-12:20 owl 1; 12:15-12:25 cat 1; " \
		"12:15-12:25 owl 1; 12:20-12:30 owl 1"

/* "late (step, update)" */
Test(spark_watermark, late_data_update_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = LATE_INPUT,
		.out = { "12:00-12:10 dog 1; 12:00-12:10 owl 1; "
			 "12:05-12:15 dog 1; 12:05-12:15 owl 1",
			 "", LATE_B2, "", LATE_B4, "",
			 "12:10-12:20 owl 2; 12:15-12:25 owl 2" },
		.dropped = { 0, 0, 0, 0, 0, 0, 2 },
		.total = { 4, 4, 7, 7, 12, 9, 9 },
	};
	run_counts(&k, SL_MODE_UPDATE, SLIDING);
}

/* "late (step, append)" */
Test(spark_watermark, late_data_append_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = LATE_INPUT,
		.out = { "", "", "", "", "",
			 "12:00-12:10 cat 1; 12:00-12:10 dog 2; "
			 "12:00-12:10 owl 1",
			 "" },
		.dropped = { 0, 0, 0, 0, 0, 0, 2 },
		.total = { 4, 4, 7, 7, 12, 9, 9 },
	};
	run_counts(&k, SL_MODE_APPEND, SLIDING);
}

/* "late (backlog, append)": donkey 12:04 is judged by 12:04, the
 * watermark of batch 2, and enters the windows batch 3's 12:11 closes */
Test(spark_watermark, late_data_append_backlog)
{
	static const struct spark_run k = {
		.input = LATE_INPUT,
		.out = { "", "", "",
			 "11:55-12:05 donkey 1; 12:00-12:10 cat 1; "
			 "12:00-12:10 dog 2; 12:00-12:10 donkey 1; "
			 "12:00-12:10 owl 1" },
		.total = { 4, 7, 12, 9 },
	};
	run_counts(&k, SL_MODE_APPEND, SLIDING);
}

/* b 12:03's windows end at 12:05 and 12:10, by the watermark 12:10 that
 * 12:20 brings; the one before was 11:50 */
#define EDGE_INPUT { "12:00 a", "12:20 a", "12:03 b, 12:10 c", "12:40 z" }

/* "edge (step, update)" */
Test(spark_watermark, rows_between_two_watermarks_update_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = EDGE_INPUT,
		.out = { "11:55-12:05 a 1; 12:00-12:10 a 1", "",
			 "12:15-12:25 a 1; 12:20-12:30 a 1", "",
			 "12:05-12:15 c 1; 12:10-12:20 c 1",
			 "12:35-12:45 z 1; 12:40-12:50 z 1", "" },
		.dropped = { 0, 0, 0, 0, 2, 0, 0 },
		.total = { 2, 2, 4, 2, 4, 6, 2 },
	};
	run_counts(&k, SL_MODE_UPDATE, SLIDING);
}

/* "edge (backlog, update)": b is counted, emitted and evicted at once */
Test(spark_watermark, rows_between_two_watermarks_update_backlog)
{
	static const struct spark_run k = {
		.input = EDGE_INPUT,
		.out = { "11:55-12:05 a 1; 12:00-12:10 a 1",
			 "12:15-12:25 a 1; 12:20-12:30 a 1",
			 "11:55-12:05 b 1; 12:00-12:10 b 1; "
			 "12:05-12:15 c 1; 12:10-12:20 c 1",
			 "12:35-12:45 z 1; 12:40-12:50 z 1", "" },
		.total = { 2, 4, 4, 6, 2 },
	};
	run_counts(&k, SL_MODE_UPDATE, SLIDING);
}

/* "edge (step, append)" */
Test(spark_watermark, rows_between_two_watermarks_append_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = EDGE_INPUT,
		.out = { "", "", "", "11:55-12:05 a 1; 12:00-12:10 a 1", "",
			 "",
			 "12:05-12:15 c 1; 12:10-12:20 c 1; "
			 "12:15-12:25 a 1; 12:20-12:30 a 1" },
		.dropped = { 0, 0, 0, 0, 2, 0, 0 },
		.total = { 2, 2, 4, 2, 4, 6, 2 },
	};
	run_counts(&k, SL_MODE_APPEND, SLIDING);
}

/* "edge (backlog, append)": the windows of 12:00 close with b in them */
Test(spark_watermark, rows_between_two_watermarks_append_backlog)
{
	static const struct spark_run k = {
		.input = EDGE_INPUT,
		.out = { "", "",
			 "11:55-12:05 a 1; 11:55-12:05 b 1; "
			 "12:00-12:10 a 1; 12:00-12:10 b 1",
			 "",
			 "12:05-12:15 c 1; 12:10-12:20 c 1; "
			 "12:15-12:25 a 1; 12:20-12:30 a 1" },
		.total = { 2, 4, 4, 6, 2 },
	};
	run_counts(&k, SL_MODE_APPEND, SLIDING);
}

/* "partial (step, update)": b 12:08 with the watermark 12:10 is late for
 * [12:00, 12:10) only: counted once, and it updates [12:05, 12:15) */
#define PARTIAL_INPUT { "12:00 a", "12:20 a", "12:08 b", "12:40 z" }

Test(spark_watermark, row_late_for_one_window_update_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = PARTIAL_INPUT,
		.out = { "11:55-12:05 a 1; 12:00-12:10 a 1", "",
			 "12:15-12:25 a 1; 12:20-12:30 a 1", "",
			 "12:05-12:15 b 1",
			 "12:35-12:45 z 1; 12:40-12:50 z 1", "" },
		.dropped = { 0, 0, 0, 0, 1, 0, 0 },
		.total = { 2, 2, 4, 2, 3, 5, 2 },
	};
	run_counts(&k, SL_MODE_UPDATE, SLIDING);
}

/* "partial (step, append)" */
Test(spark_watermark, row_late_for_one_window_append_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = PARTIAL_INPUT,
		.out = { "", "", "", "11:55-12:05 a 1; 12:00-12:10 a 1", "",
			 "",
			 "12:05-12:15 b 1; 12:15-12:25 a 1; "
			 "12:20-12:30 a 1" },
		.dropped = { 0, 0, 0, 0, 1, 0, 0 },
		.total = { 2, 2, 4, 2, 3, 5, 2 },
	};
	run_counts(&k, SL_MODE_APPEND, SLIDING);
}

/* "late (step, complete)": no late rows, no eviction, no batch without
 * data; donkey counted */
Test(spark_watermark, late_data_complete)
{
	static const struct spark_run k = {
		.step = true,
		.input = LATE_INPUT,
		.out = { "12:00-12:10 dog 1; 12:00-12:10 owl 1; "
			 "12:05-12:15 dog 1; 12:05-12:15 owl 1",
			 "12:00-12:10 cat 1; 12:00-12:10 dog 1; "
			 "12:00-12:10 owl 1; 12:05-12:15 cat 1; "
			 "12:05-12:15 dog 2; 12:05-12:15 owl 1; "
			 "12:10-12:20 dog 1",
			 "12:00-12:10 cat 1; 12:00-12:10 dog 2; "
			 "12:00-12:10 owl 1; 12:05-12:15 cat 1; "
			 "12:05-12:15 dog 3; 12:05-12:15 owl 2; "
			 "12:10-12:20 cat 1; 12:10-12:20 dog 1; "
			 "12:10-12:20 owl 1; 12:15-12:25 cat 1; "
			 "12:15-12:25 owl 1; 12:20-12:30 owl 1",
			 "11:55-12:05 donkey 1; 12:00-12:10 cat 1; "
			 "12:00-12:10 dog 2; 12:00-12:10 donkey 1; "
			 "12:00-12:10 owl 1; 12:05-12:15 cat 1; "
			 "12:05-12:15 dog 3; 12:05-12:15 owl 2; "
			 "12:10-12:20 cat 1; 12:10-12:20 dog 1; "
			 "12:10-12:20 owl 2; 12:15-12:25 cat 1; "
			 "12:15-12:25 owl 2; 12:20-12:30 owl 1" },
		.total = { 4, 7, 12, 14 },
	};
	run_counts(&k, SL_MODE_COMPLETE, SLIDING);
}

/* "sessions (step, append)": no session closes by 12:11; donkey's
 * [12:04, 12:09) is late */
Test(spark_watermark, session_windows_append_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = LATE_INPUT,
		.out = { "", "", "", "", "", "", "" },
		.dropped = { 0, 0, 0, 0, 0, 0, 1 },
		.total = { 2, 2, 4, 4, 6, 6, 5 },
	};
	run_counts(&k, SL_MODE_APPEND, SESSION);
}

/* "sessions (backlog, append)": donkey's session, judged by 12:04,
 * closes in its own batch */
Test(spark_watermark, session_windows_append_backlog)
{
	static const struct spark_run k = {
		.input = LATE_INPUT,
		.out = { "", "", "", "12:04-12:09 donkey 1" },
		.total = { 2, 4, 6, 5 },
	};
	run_counts(&k, SL_MODE_APPEND, SESSION);
}

/* "plain key (step, append)": groupBy(ts, word); ts <= the watermark
 * is late (c 12:10 with the watermark 12:10) */
Test(spark_watermark, timestamp_key_append_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = EDGE_INPUT,
		.out = { "", "", "", "12:00 a 1", "", "", "12:20 a 1" },
		.dropped = { 0, 0, 0, 0, 2, 0, 0 },
		.total = { 1, 1, 2, 1, 1, 2, 1 },
	};
	run_counts(&k, SL_MODE_APPEND, PLAIN);
}

/* "plain key (backlog, append)" */
Test(spark_watermark, timestamp_key_append_backlog)
{
	static const struct spark_run k = {
		.input = EDGE_INPUT,
		.out = { "", "", "12:00 a 1; 12:03 b 1; 12:10 c 1", "",
			 "12:20 a 1" },
		.total = { 1, 2, 1, 2, 1 },
	};
	run_counts(&k, SL_MODE_APPEND, PLAIN);
}

/* ---- dropDuplicates -------------------------------------------------------- */

/* withWatermark(ts, '10 minutes').dropDuplicates(keys): keys are input
 * columns (0 ts, 1 word) */
static void run_dedup(const struct spark_run *k, uint32_t nkeys,
		      const uint32_t *keys)
{
	sl_dedup_spec sp = { .in = in_schema, .nkeys = nkeys, .keys = keys,
			     .wm_col = 0, .wm_delay_us = 10 * MIN };
	sl_err err = { 0 };
	sl_dedup *d = sl_dedup_new(&sp, &err);
	cr_assert_not_null(d, "%s", err.msg);
	int64_t id = 0;
	for (int i = 0; k->input[i]; i++) {
		sl_batch *b = parse_input(k->input[i]);
		for (bool data = true;; data = false) {
			if (!data)
				b->nrows = 0;
			cr_assert_geq(sl_dedup_process(d, b, &err), 0, "%s",
				      err.msg);
			bool moved = sl_dedup_finish(d);
			sl_dedup_stats st;
			sl_dedup_stats_get(d, &st);
			check_batch(k, id++, b, st.num_rows_dropped_by_watermark,
				    st.num_rows_total);
			sl_dedup_end_batch(d);
			if (!data || !moved || !runs_empty_batch(k, i))
				break;
		}
		sl_batch_free(b);
	}
	cr_assert_null(id < NBATCH ? k->out[id] : NULL,
		       "Spark has batch %lld", (long long)id);
	sl_dedup_free(d);
}

/* duplicates within and across batches, rows behind the watermark and on
 * it (12:10 with the watermark 12:10: late) */
#define DEDUP_INPUT                                                        \
	{ "12:00 a, 12:00 a, 12:05 b", "12:20 c, 12:05 b, 12:00 a",        \
	  "12:10 d, 12:09 e, 12:20 c, 12:15 f", "12:10 d, 12:30 g, 12:15 f", \
	  "12:20 c, 12:21 h" }
#define DEDUP_STEP_OUT                                                     \
	{ "12:00 a; 12:05 b", "", "12:20 c", "", "12:15 f", "12:30 g", "",  \
	  "12:21 h" }
#define DEDUP_BACKLOG_OUT                                                  \
	{ "12:00 a; 12:05 b", "12:20 c", "12:09 e; 12:10 d; 12:15 f",       \
	  "12:30 g", "12:21 h" }

static const uint32_t word_and_time[] = { 1, 0 }, word_only[] = { 1 };

/* "dedup keyed (step, append)": keys behind the watermark are evicted */
Test(spark_watermark, drop_duplicates_by_word_and_time_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = DEDUP_INPUT,
		.out = DEDUP_STEP_OUT,
		.dropped = { 0, 0, 0, 0, 2, 1, 0, 1 },
		.total = { 2, 2, 3, 1, 2, 3, 1, 2 },
	};
	run_dedup(&k, 2, word_and_time);
}

/* "dedup keyed (backlog, append)": d 12:10 and e 12:09 are judged by
 * 11:55, the watermark of batch 1, and pass; c 12:20 in batch 4 is still
 * a duplicate (the state is evicted after the rows are checked) */
Test(spark_watermark, drop_duplicates_by_word_and_time_backlog)
{
	static const struct spark_run k = {
		.input = DEDUP_INPUT,
		.out = DEDUP_BACKLOG_OUT,
		.dropped = { 0, 0, 0, 1, 0 },
		.total = { 2, 3, 2, 3, 2 },
	};
	run_dedup(&k, 2, word_and_time);
}

/* "dedup unkeyed (step, append)": late rows dropped, no key evicted */
Test(spark_watermark, drop_duplicates_by_word_step)
{
	static const struct spark_run k = {
		.step = true,
		.input = DEDUP_INPUT,
		.out = DEDUP_STEP_OUT,
		.dropped = { 0, 0, 0, 0, 2, 1, 0, 1 },
		.total = { 2, 2, 3, 3, 4, 5, 5, 6 },
	};
	run_dedup(&k, 1, word_only);
}

/* "dedup unkeyed (backlog, append)" */
Test(spark_watermark, drop_duplicates_by_word_backlog)
{
	static const struct spark_run k = {
		.input = DEDUP_INPUT,
		.out = DEDUP_BACKLOG_OUT,
		.dropped = { 0, 0, 0, 1, 0 },
		.total = { 2, 3, 6, 7, 8 },
	};
	run_dedup(&k, 1, word_only);
}
