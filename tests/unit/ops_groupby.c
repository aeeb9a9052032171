/* tests/unit/ops_groupby.c - the stateful aggregation operator
 * (ops/groupby.c) across batches.
 *
 * Each output mode over several batches (word count in complete mode,
 * update mode emitting only changed groups, append with a watermark
 * emitting closed windows once), Spark's late-data example (10-minute
 * windows sliding by 5 with a 10-minute watermark: a late row inside the
 * watermark updates its old window, one beyond is dropped and counted),
 * session windows merging, the output-mode rules, state memory staying
 * flat over millions of rows, and state store round trips (snapshots,
 * delta chains, after eviction). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/groupby.h"
#include "sluice.h"

#define SEC 1000000LL
#define MIN (60 * SEC)
#define DAY0 ((int64_t)19700 * 86400 * SEC)

static int64_t at(int hh, int mm)
{
	return DAY0 + (hh * 60 + mm) * MIN;
}

/* ---- fixtures ------------------------------------------------------------ */

static sl_arena plan;

static void setup(void)
{
	sl_arena_init(&plan);
}

static void teardown(void)
{
	sl_arena_free(&plan);
}

TestSuite(groupby, .init = setup, .fini = teardown);

static const sl_schema *schema(const char *ddl)
{
	sl_err err = { 0 };
	sl_schema *s = sl_schema_parse(ddl, &plan, &err);
	cr_assert_not_null(s, "%s", err.msg);
	return s;
}

static sl_groupby *make(sl_groupby_spec *sp)
{
	sl_err err = { 0 };
	sl_groupby *op = sl_groupby_new(sp, &plan, &err);
	cr_assert_not_null(op, "%s", err.msg);
	return op;
}

static sl_value str(sl_batch *b, const char *s)
{
	size_t n = strlen(s);
	char *p = sl_arena_alloc(&b->arena, n ? n : 1);
	memcpy(p, s, n);
	return sl_v_str(p, (uint32_t)n);
}

/* Renders a row: windows as [hh:mm-hh:mm], the rest as Spark prints. */
static void render_row(const sl_batch *b, uint32_t r, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = 0;
	for (uint32_t c = 0; c < b->ncols; c++) {
		const sl_value *v = &sl_batch_row(b, r)[c];
		int64_t s, e;
		char tmp[256];
		if (sl_window_get(v, &s, &e)) {
			s = (s - DAY0) / MIN;
			e = (e - DAY0) / MIN;
			snprintf(tmp, sizeof(tmp), "[%02d:%02d-%02d:%02d]",
				 (int)(s / 60), (int)(s % 60), (int)(e / 60),
				 (int)(e % 60));
		} else {
			sl_value_render(v, tmp, sizeof(tmp));
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
					c ? " " : "", tmp);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of b, rendered, sorted, joined with "; ". Frees b. */
static char *rows_of(sl_batch *b)
{
	char **lines = calloc(b->nrows + 1, sizeof(char *));
	size_t total = 1;
	for (uint32_t r = 0; r < b->nrows; r++) {
		lines[r] = malloc(512);
		render_row(b, r, lines[r], 512);
		total += strlen(lines[r]) + 2;
	}
	qsort(lines, b->nrows, sizeof(char *), cmp_str);
	char *s = malloc(total);
	s[0] = 0;
	for (uint32_t r = 0; r < b->nrows; r++) {
		if (r)
			strcat(s, "; ");
		strcat(s, lines[r]);
		free(lines[r]);
	}
	free(lines);
	sl_batch_free(b);
	return s;
}

static char *emit(sl_groupby *op, int64_t batch)
{
	sl_batch *b = NULL;
	int n = sl_groupby_emit(op, batch, &b);
	cr_assert_not_null(b);
	cr_assert_eq((uint32_t)n, b->nrows);
	cr_assert_eq(b->epoch, batch);
	return rows_of(b);
}

#define expect_emit(op, batch, want)                                      \
	do {                                                              \
		char *got_ = emit(op, batch);                             \
		cr_assert_str_eq(got_, want, "batch %d", (int)(batch));   \
		free(got_);                                               \
	} while (0)

static void update(sl_groupby *op, sl_batch *b)
{
	sl_err err = { 0 };
	cr_assert_eq(sl_groupby_update(op, b, &err), 0, "%s", err.msg);
	sl_batch_free(b);
}

/* ---- word count: complete and update ------------------------------------- */

static sl_batch *words(const sl_schema *s, const char *text)
{
	sl_batch *b = sl_batch_new(s, 4);
	char *dup = strdup(text), *save = NULL;
	for (char *w = strtok_r(dup, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		sl_batch_add_row(b)[0] = strcmp(w, "~") ? str(b, w)
							: sl_v_null();
	free(dup);
	return b;
}

static const sl_groupby_agg count_star[] = { { &sl_agg_count_star, -1,
					       "count" } };

Test(groupby, word_count_complete_mode)
{
	const sl_schema *in = schema("word string");
	sl_groupby_spec sp = { .in = in, .nkeys = 1, .naggs = 1,
			       .aggs = count_star, .time_key = -1,
			       .wm_col = -1, .mode = SL_MODE_COMPLETE };
	sl_groupby *op = make(&sp);
	const sl_schema *out = sl_groupby_schema(op);
	cr_assert_eq(out->n, 2);
	cr_assert_str_eq(out->fields[0].name, "word");
	cr_assert_str_eq(out->fields[1].name, "count");
	cr_assert_eq(out->fields[1].type->id, SL_LONG);

	update(op, words(in, "apache spark apache"));
	update(op, words(in, "~ flink"));
	expect_emit(op, 0, "apache 2; flink 1; null 1; spark 1");
	sl_groupby_advance_watermark(op);
	update(op, words(in, "spark spark ~"));
	expect_emit(op, 1, "apache 2; flink 1; null 2; spark 3");
	sl_groupby_advance_watermark(op);
	/* an empty batch still emits the whole table */
	expect_emit(op, 2, "apache 2; flink 1; null 2; spark 3");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_total, 4);
	cr_assert_eq(st.num_rows_updated, 0);
	cr_assert_eq(st.num_output_rows, 4);
	cr_assert_gt(st.memory_used_bytes, 0);
	sl_groupby_free(op);
}

Test(groupby, update_mode_emits_only_changed_groups)
{
	const sl_schema *in = schema("word string");
	sl_groupby_spec sp = { .in = in, .nkeys = 1, .naggs = 1,
			       .aggs = count_star, .time_key = -1,
			       .wm_col = -1, .mode = SL_MODE_UPDATE };
	sl_groupby *op = make(&sp);
	update(op, words(in, "a b a"));
	expect_emit(op, 0, "a 2; b 1");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_updated, 2);
	sl_groupby_advance_watermark(op);
	update(op, words(in, "b c"));
	expect_emit(op, 1, "b 2; c 1");
	sl_groupby_advance_watermark(op);
	expect_emit(op, 2, "");
	sl_groupby_advance_watermark(op);
	update(op, words(in, "a"));
	expect_emit(op, 3, "a 3");
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_total, 3);
	cr_assert_eq(st.num_rows_updated, 1);
	sl_groupby_free(op);
}

Test(groupby, many_aggregates_with_nulls_and_mixed_key_types)
{
	const sl_schema *in =
		schema("dept string, level int, pay bigint, name string, "
		       "score double");
	const sl_groupby_agg aggs[] = {
		{ &sl_agg_count_star, -1, NULL },
		{ &sl_agg_count, 2, NULL },
		{ &sl_agg_sum, 2, NULL },
		{ &sl_agg_avg, 4, NULL },
		{ &sl_agg_min, 3, NULL },
		{ &sl_agg_max, 3, NULL },
		{ &sl_agg_collect_list, 3, NULL },
		{ &sl_agg_first, 2, NULL },
		{ &sl_agg_last, 2, NULL },
		{ &sl_agg_approx_count_distinct, 3, NULL },
	};
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 10,
			       .aggs = aggs, .time_key = -1, .wm_col = -1,
			       .mode = SL_MODE_UPDATE };
	sl_groupby *op = make(&sp);
	const sl_schema *out = sl_groupby_schema(op);
	const char *names[] = { "dept", "level", "count(1)", "count(pay)",
				"sum(pay)", "avg(score)", "min(name)",
				"max(name)", "collect_list(name)",
				"first(pay)", "last(pay)",
				"approx_count_distinct(name)" };
	const sl_type types[] = { SL_STRING, SL_INT, SL_LONG, SL_LONG,
				  SL_LONG, SL_DOUBLE, SL_STRING, SL_STRING,
				  SL_ARRAY, SL_LONG, SL_LONG, SL_LONG };
	for (uint32_t c = 0; c < 12; c++) {
		cr_assert_str_eq(out->fields[c].name, names[c]);
		cr_assert_eq(out->fields[c].type->id, types[c], "col %u", c);
	}
	sl_batch *b = sl_batch_new(in, 8);
	struct {
		const char *dept;
		int level;
		int64_t pay;
		const char *name;
		double score;
	} rows[] = {
		{ "eng", 1, 100, "ann", 1.0 },
		{ "eng", 1, -1, "bob", 2.0 },   /* pay null */
		{ NULL, 1, 5, NULL, -1 },       /* dept null, name null */
		{ "eng", 1, 50, "al", 4.0 },
		{ NULL, 1, 7, "zed", 3.0 },
	};
	for (size_t i = 0; i < 5; i++) {
		sl_value *r = sl_batch_add_row(b);
		r[0] = rows[i].dept ? str(b, rows[i].dept) : sl_v_null();
		r[1] = sl_v_int(rows[i].level);
		r[2] = rows[i].pay >= 0 ? sl_v_long(rows[i].pay) : sl_v_null();
		r[3] = rows[i].name ? str(b, rows[i].name) : sl_v_null();
		r[4] = rows[i].score >= 0 ? sl_v_double(rows[i].score)
					  : sl_v_null();
	}
	update(op, b);
	expect_emit(op, 0,
		    "eng 1 3 2 150 2.3333333333333335 al bob [ann, bob, al] "
		    "100 50 3; "
		    "null 1 2 2 12 3.0 zed zed [zed] 5 7 1");
	sl_groupby_free(op);
}

Test(groupby, global_aggregation_emits_its_row_every_batch)
{
	const sl_schema *in = schema("word string");
	const sl_groupby_agg aggs[] = { { &sl_agg_count_star, -1, NULL },
					{ &sl_agg_max, 0, NULL } };
	sl_groupby_spec sp = { .in = in, .nkeys = 0, .naggs = 2,
			       .aggs = aggs, .time_key = -1, .wm_col = -1,
			       .mode = SL_MODE_UPDATE };
	sl_groupby *op = make(&sp);
	expect_emit(op, 0, "0 null");
	sl_groupby_advance_watermark(op);
	update(op, words(in, "b a"));
	expect_emit(op, 1, "2 b");
	sl_groupby_advance_watermark(op);
	expect_emit(op, 2, "2 b");
	sl_groupby_free(op);
}

Test(groupby, shuffle_partition_ignores_the_event_time)
{
	const sl_schema *in = schema("word string, ts timestamp");
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 1,
			       .aggs = count_star, .time_key = 1,
			       .wm_col = -1, .mode = SL_MODE_COMPLETE };
	sl_window_time(&sp.window, MIN, 0, 0, NULL);
	uint32_t hits[4] = { 0 };
	for (int w = 0; w < 400; w++) {
		char s[16];
		int n = snprintf(s, sizeof(s), "w%d", w);
		sl_value k = sl_v_str(s, (uint32_t)n);
		sl_value r1[2] = { k, sl_v_ts(at(1, 0)) };
		sl_value r2[2] = { k, sl_v_ts(at(9, 7)) };
		uint32_t p = sl_groupby_partition(&sp, r1, 4);
		cr_assert_lt(p, 4);
		cr_assert_eq(p, sl_groupby_partition(&sp, r2, 4));
		hits[p]++;
	}
	for (int p = 0; p < 4; p++)
		cr_assert_gt(hits[p], 50, "partition %d: %u", p, hits[p]);
	sp.nkeys = 0;
	cr_assert_eq(sl_groupby_partition(&sp, NULL, 4), 0);
}

/* ---- the rules ----------------------------------------------------------- */

Test(groupby, output_mode_rules_and_analysis_errors)
{
	const sl_schema *in = schema("ts timestamp, word string, ok boolean");
	sl_err err = { 0 };
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 1,
			       .aggs = count_star, .time_key = -1,
			       .wm_col = -1, .mode = SL_MODE_APPEND };
	cr_assert_null(sl_groupby_new(&sp, &plan, &err));
	cr_assert_eq(err.code, SL_EMODE);
	cr_assert(strstr(err.msg, "append output mode"), "%s", err.msg);
	cr_assert(strstr(err.msg, "update or complete"), "%s", err.msg);

	/* a watermark on a column that is not a key does not allow append */
	const sl_schema *in2 = schema("word string, ts timestamp");
	sl_groupby_spec sp2 = { .in = in2, .nkeys = 1, .naggs = 1,
				.aggs = count_star, .time_key = -1,
				.wm_col = 1, .wm_delay_us = MIN,
				.mode = SL_MODE_APPEND };
	cr_assert_null(sl_groupby_new(&sp2, &plan, &err));
	cr_assert_eq(err.code, SL_EMODE);

	/* sessions: no update mode */
	sp.time_key = 0;
	sp.wm_col = 0;
	sl_window_session(&sp.window, 5 * MIN, NULL);
	sp.mode = SL_MODE_UPDATE;
	cr_assert_null(sl_groupby_new(&sp, &plan, &err));
	cr_assert_eq(err.code, SL_EMODE);
	cr_assert(strstr(err.msg, "session"), "%s", err.msg);
	sp.mode = SL_MODE_APPEND;
	sl_groupby *op = sl_groupby_new(&sp, &plan, &err);
	cr_assert_not_null(op, "%s", err.msg);
	sl_groupby_free(op);

	/* sum of a boolean */
	const sl_groupby_agg bad[] = { { &sl_agg_sum, 2, NULL } };
	sl_groupby_spec sp3 = { .in = in, .nkeys = 1, .naggs = 1,
				.aggs = bad, .time_key = -1, .wm_col = -1,
				.mode = SL_MODE_COMPLETE };
	cr_assert_null(sl_groupby_new(&sp3, &plan, &err));
	cr_assert_eq(err.code, SL_EANALYSIS);
	cr_assert(strstr(err.msg, "sum(ok)"), "%s", err.msg);
	cr_assert(strstr(err.msg, "boolean"), "%s", err.msg);

	/* a window over a string */
	sl_groupby_spec sp4 = { .in = in, .nkeys = 2, .naggs = 1,
				.aggs = count_star, .time_key = 1,
				.wm_col = -1, .mode = SL_MODE_COMPLETE };
	sl_window_time(&sp4.window, MIN, 0, 0, NULL);
	cr_assert_null(sl_groupby_new(&sp4, &plan, &err));
	cr_assert(strstr(err.msg, "'word' must be a timestamp"), "%s",
		  err.msg);

	/* a record vector of the wrong shape */
	sp3.aggs = count_star;
	op = make(&sp3);
	const sl_schema *narrow = schema("x string");
	sl_batch *b = sl_batch_new(narrow, 1);
	cr_assert_eq(sl_groupby_update(op, b, &err), SL_EINVAL);
	sl_batch_free(b);
	sl_groupby_free(op);
}

/* ---- windows and the watermark ------------------------------------------- */

static sl_batch *events(const sl_schema *s, int n, ...)
{
	va_list ap;
	sl_batch *b = sl_batch_new(s, 4);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *w = va_arg(ap, const char *);
		int hh = va_arg(ap, int), mm = va_arg(ap, int);
		sl_value *r = sl_batch_add_row(b);
		r[0] = sl_v_ts(at(hh, mm));
		r[1] = str(b, w);
	}
	va_end(ap);
	return b;
}

/* groupBy(window(ts, '10 minutes', '5 minutes'), word).count() with
 * withWatermark(ts, '10 minutes') */
static sl_groupby *seed_query(const sl_schema *in, sl_output_mode mode)
{
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 1,
			       .aggs = count_star, .time_key = 0,
			       .wm_col = 0, .wm_delay_us = 10 * MIN,
			       .mode = mode };
	cr_assert_eq(sl_window_time(&sp.window, 10 * MIN, 5 * MIN, 0, NULL),
		     0);
	return make(&sp);
}

Test(groupby, seed_late_data_update_mode_back_to_back)
{
	const sl_schema *in = schema("ts timestamp, word string");
	sl_groupby *op = seed_query(in, SL_MODE_UPDATE);
	const sl_schema *out = sl_groupby_schema(op);
	cr_assert_str_eq(out->fields[0].name, "window");
	cr_assert(sl_dtype_equal(out->fields[0].type, &sl_dtype_window));
	sl_groupby_stats st;

	/* trigger at 12:10 */
	update(op, events(in, 2, "dog", 12, 7, "owl", 12, 8));
	expect_emit(op, 0,
		    "[12:00-12:10] dog 1; [12:00-12:10] owl 1; "
		    "[12:05-12:15] dog 1; [12:05-12:15] owl 1");
	sl_groupby_advance_watermark(op);
	cr_assert_eq(sl_groupby_watermark(op), at(11, 58));

	/* trigger at 12:15: cat 12:09 is out of order but ahead of 11:58 */
	update(op, events(in, 2, "dog", 12, 14, "cat", 12, 9));
	expect_emit(op, 1,
		    "[12:00-12:10] cat 1; [12:05-12:15] cat 1; "
		    "[12:05-12:15] dog 2; [12:10-12:20] dog 1");
	sl_groupby_advance_watermark(op);
	cr_assert_eq(sl_groupby_watermark(op), at(12, 4));

	/* trigger at 12:20: dog 12:08 is late but inside the watermark
	 * (12:04): it updates its old windows 12:00-12:10 and 12:05-12:15 */
	update(op, events(in, 4, "cat", 12, 15, "dog", 12, 8, "owl", 12, 13,
			  "owl", 12, 21));
	expect_emit(op, 2,
		    "[12:00-12:10] dog 2; [12:05-12:15] dog 3; "
		    "[12:05-12:15] owl 2; [12:10-12:20] cat 1; "
		    "[12:10-12:20] owl 1; [12:15-12:25] cat 1; "
		    "[12:15-12:25] owl 1; [12:20-12:30] owl 1");
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 0);
	cr_assert_eq(st.num_rows_removed, 0, "nothing ends by 12:04");
	sl_groupby_advance_watermark(op);
	cr_assert_eq(sl_groupby_watermark(op), at(12, 11));

	/* trigger at 12:25, with no batch without data since the last one
	 * (Spark's when input is waiting): the watermark is 12:11, but late
	 * rows are judged by the previous batch's, 12:04 (Spark 3.4+).
	 * Donkey 12:04's windows end at 12:05 and 12:10: it is counted into
	 * them, and they are emitted and evicted in the same batch, with the
	 * 12:00-12:10 groups. PySpark 4.3 gives these rows
	 * (tests/spark/stateful/watermark_batches.py, "late (backlog,
	 * update)"); section 4 of docs/STATEFUL.md has the case where the
	 * batch without data ran first. */
	update(op, events(in, 2, "owl", 12, 17, "donkey", 12, 4));
	expect_emit(op, 3,
		    "[11:55-12:05] donkey 1; [12:00-12:10] donkey 1; "
		    "[12:10-12:20] owl 2; [12:15-12:25] owl 2");
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 0);
	cr_assert_eq(st.num_late_input_rows, 0);
	cr_assert_eq(st.num_rows_removed, 5,
		     "cat, dog and owl of 12:00 and donkey's two");
	cr_assert_eq(st.num_rows_updated, 4);
	cr_assert_eq(st.watermark_us, at(12, 11));
	cr_assert_eq(st.num_rows_total, 9, "14 made, 5 evicted (Spark: 9)");
	sl_groupby_free(op);
}

Test(groupby, seed_late_data_complete_mode_keeps_everything)
{
	/* Spark neither drops late rows nor evicts in complete mode */
	const sl_schema *in = schema("ts timestamp, word string");
	sl_groupby *op = seed_query(in, SL_MODE_COMPLETE);
	update(op, events(in, 1, "dog", 12, 7));
	free(emit(op, 0));
	sl_groupby_advance_watermark(op);
	update(op, events(in, 1, "dog", 12, 40));
	free(emit(op, 1));
	sl_groupby_advance_watermark(op);
	cr_assert_eq(sl_groupby_watermark(op), at(12, 30));
	update(op, events(in, 1, "dog", 12, 8));
	expect_emit(op, 2,
		    "[12:00-12:10] dog 2; [12:05-12:15] dog 2; "
		    "[12:35-12:45] dog 1; [12:40-12:50] dog 1");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 0);
	sl_groupby_free(op);
}

Test(groupby, append_mode_emits_closed_windows_once)
{
	const sl_schema *in = schema("ts timestamp, word string");
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 1,
			       .aggs = count_star, .time_key = 0,
			       .wm_col = 0, .wm_delay_us = 5 * MIN,
			       .mode = SL_MODE_APPEND };
	sl_window_time(&sp.window, 10 * MIN, 0, 0, NULL);
	sl_groupby *op = make(&sp);

	update(op, events(in, 3, "a", 12, 1, "a", 12, 3, "b", 12, 8));
	expect_emit(op, 0, "");
	cr_assert(sl_groupby_advance_watermark(op), "moved: run another");
	cr_assert_eq(sl_groupby_watermark(op), at(12, 3));

	update(op, events(in, 1, "a", 12, 12));
	expect_emit(op, 1, "");
	sl_groupby_advance_watermark(op);
	cr_assert_eq(sl_groupby_watermark(op), at(12, 7));

	/* b 12:09 is late but its window is still open */
	update(op, events(in, 2, "b", 12, 9, "a", 12, 21));
	expect_emit(op, 2, "");
	cr_assert(sl_groupby_advance_watermark(op));
	cr_assert_eq(sl_groupby_watermark(op), at(12, 16));

	/* the batch without data Spark runs when the watermark moved */
	expect_emit(op, 3, "[12:00-12:10] a 2; [12:00-12:10] b 2");
	cr_assert(!sl_groupby_advance_watermark(op), "no data: no move");
	expect_emit(op, 4, "");
	sl_groupby_advance_watermark(op);

	/* a row for the emitted window is dropped, never re-emitted */
	update(op, events(in, 2, "a", 12, 5, "a", 12, 35));
	expect_emit(op, 5, "");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 1);
	sl_groupby_advance_watermark(op);
	expect_emit(op, 6, "[12:10-12:20] a 1; [12:20-12:30] a 1");
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_total, 1, "only 12:30-12:40 is open");
	sl_groupby_free(op);
}

Test(groupby, watermark_on_a_plain_timestamp_key)
{
	/* groupBy(ts, word) with a watermark on ts: rows with ts <= the
	 * watermark are late, groups evict at their own ts */
	const sl_schema *in = schema("ts timestamp, word string");
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 1,
			       .aggs = count_star, .time_key = -1,
			       .wm_col = 0, .wm_delay_us = 0,
			       .mode = SL_MODE_APPEND };
	sl_groupby *op = make(&sp);
	update(op, events(in, 2, "x", 12, 0, "x", 12, 5));
	expect_emit(op, 0, "");
	cr_assert(sl_groupby_advance_watermark(op));
	cr_assert_eq(sl_groupby_watermark(op), at(12, 5));
	/* the batch without data the watermark's move brings: it evicts by
	 * 12:05, and the next batch judges late rows by 12:05 too */
	expect_emit(op, 1,
		    "2023-12-09 12:00:00 x 1; 2023-12-09 12:05:00 x 1");
	cr_assert(!sl_groupby_advance_watermark(op));
	/* 12:05 itself is late (ts <= watermark), 12:06 is not */
	update(op, events(in, 3, "x", 12, 6, "y", 12, 4, "x", 12, 5));
	expect_emit(op, 2, "");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 2);
	cr_assert_eq(st.num_rows_total, 1);
	sl_groupby_advance_watermark(op);
	expect_emit(op, 3, "2023-12-09 12:06:00 x 1");
	sl_groupby_free(op);
}

/* ---- session windows ----------------------------------------------------- */

static sl_groupby *session_query(const sl_schema *in, sl_output_mode mode,
				 int32_t wm)
{
	static const sl_groupby_agg aggs[] = {
		{ &sl_agg_count_star, -1, "n" },
		{ &sl_agg_collect_list, 2, "ids" },
	};
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 2,
			       .aggs = aggs, .time_key = 1, .wm_col = wm,
			       .wm_delay_us = 0, .mode = mode };
	sl_window_session(&sp.window, 5 * MIN, NULL);
	return make(&sp);
}

static sl_batch *clicks(const sl_schema *s, int n, ...)
{
	va_list ap;
	sl_batch *b = sl_batch_new(s, 4);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *u = va_arg(ap, const char *);
		int hh = va_arg(ap, int), mm = va_arg(ap, int);
		sl_value *r = sl_batch_add_row(b);
		r[0] = str(b, u);
		r[1] = sl_v_ts(at(hh, mm));
		r[2] = sl_v_int(hh * 100 + mm);
	}
	va_end(ap);
	return b;
}

Test(groupby, session_windows_merge_on_insert)
{
	const sl_schema *in = schema("user string, ts timestamp, id int");
	sl_groupby *op = session_query(in, SL_MODE_COMPLETE, -1);
	cr_assert_str_eq(sl_groupby_schema(op)->fields[1].name,
			 "session_window");
	update(op, clicks(in, 4, "u1", 12, 0, "u1", 12, 3, "u1", 12, 12,
			  "u2", 12, 1));
	expect_emit(op, 0,
		    "u1 [12:00-12:08] 2 [1200, 1203]; "
		    "u1 [12:12-12:17] 1 [1212]; "
		    "u2 [12:01-12:06] 1 [1201]");
	sl_groupby_advance_watermark(op);
	/* 12:08 touches the first session's end (Spark merges start <= end)
	 * and overlaps the second: all three become one */
	update(op, clicks(in, 1, "u1", 12, 8));
	expect_emit(op, 1,
		    "u1 [12:00-12:17] 4 [1200, 1203, 1212, 1208]; "
		    "u2 [12:01-12:06] 1 [1201]");
	sl_groupby_advance_watermark(op);
	/* an event before a session extends its start */
	update(op, clicks(in, 1, "u2", 11, 57));
	expect_emit(op, 2,
		    "u1 [12:00-12:17] 4 [1200, 1203, 1212, 1208]; "
		    "u2 [11:57-12:06] 2 [1201, 1157]");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_total, 2);
	sl_groupby_free(op);
}

Test(groupby, session_windows_append_with_watermark)
{
	const sl_schema *in = schema("user string, ts timestamp, id int");
	sl_groupby *op = session_query(in, SL_MODE_APPEND, 1);
	update(op, clicks(in, 3, "u1", 12, 0, "u1", 12, 2, "u2", 12, 10));
	expect_emit(op, 0, "");
	sl_groupby_advance_watermark(op); /* 12:10 */
	cr_assert_eq(sl_groupby_watermark(op), at(12, 10));
	/* the batch without data: u1's session ended at 12:07: closed,
	 * emitted once */
	expect_emit(op, 1, "u1 [12:00-12:07] 2 [1200, 1202]");
	sl_groupby_advance_watermark(op);
	/* a row at 12:04 (session end 12:09 <= 12:10) is late */
	update(op, clicks(in, 2, "u1", 12, 4, "u2", 12, 13));
	expect_emit(op, 2, "");
	sl_groupby_stats st;
	sl_groupby_stats_get(op, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 1);
	cr_assert_eq(st.num_rows_total, 1);
	sl_groupby_advance_watermark(op); /* 12:13 */
	update(op, clicks(in, 1, "u3", 12, 30));
	expect_emit(op, 3, "");
	sl_groupby_advance_watermark(op); /* 12:30 */
	expect_emit(op, 4, "u2 [12:10-12:18] 2 [1210, 1213]");
	sl_groupby_free(op);
}

/* ---- memory stays flat --------------------------------------------------- */

Test(groupby, state_stays_bounded_over_millions_of_rows, .timeout = 120)
{
	/* 1-minute tumbling windows, a 2-minute watermark, 500 keys (with
	 * max() keeping a string per group): 3 million rows over 100 batches
	 * of 30 s of event time each. Groups open at any time: the keys of
	 * at most ~4 windows. */
	const sl_schema *in = schema("ts timestamp, word string, tag string");
	const sl_groupby_agg aggs[] = { { &sl_agg_count_star, -1, NULL },
					{ &sl_agg_max, 2, NULL } };
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 2,
			       .aggs = aggs, .time_key = 0, .wm_col = 0,
			       .wm_delay_us = 2 * MIN, .mode = SL_MODE_UPDATE };
	sl_window_time(&sp.window, MIN, 0, 0, NULL);
	sl_groupby *op = make(&sp);
	const int batches = 100, per = 30000, keys = 500;
	int64_t t = DAY0;
	uint64_t peak_first = 0, peak_second = 0, emitted = 0, evicted = 0;
	for (int n = 0; n < batches; n++) {
		sl_batch *b = sl_batch_new(in, per);
		for (int i = 0; i < per; i++) {
			sl_value *r = sl_batch_add_row(b);
			/* 1 ms apart, and every 10th row 90 s late */
			r[0] = sl_v_ts(t - (i % 10 == 0 ? 90 * SEC : 0));
			char w[32], g[48];
			snprintf(w, sizeof(w), "w%d", i % keys);
			snprintf(g, sizeof(g), "tag-%d-%d", n, i);
			r[1] = str(b, w);
			r[2] = str(b, g);
			t += 1000;
		}
		update(op, b);
		sl_batch *out;
		emitted += (uint64_t)sl_groupby_emit(op, n, &out);
		sl_batch_free(out);
		sl_groupby_stats st;
		sl_groupby_stats_get(op, &st);
		evicted += st.num_rows_removed;
		cr_assert_leq(st.num_rows_total, (uint64_t)keys * 5,
			      "batch %d holds %llu groups", n,
			      (unsigned long long)st.num_rows_total);
		if (getenv("SL_TEST_VERBOSE"))
			fprintf(stderr, "batch %d groups %llu mem %llu\n", n,
				(unsigned long long)st.num_rows_total,
				(unsigned long long)st.memory_used_bytes);
		/* Key bytes live in an arena compacted now and then, so
		 * memory is a sawtooth: it must not trend up. */
		if (n >= 10 && n < 55 && st.memory_used_bytes > peak_first)
			peak_first = st.memory_used_bytes;
		if (n >= 55 && st.memory_used_bytes > peak_second)
			peak_second = st.memory_used_bytes;
		cr_assert_lt(st.memory_used_bytes, (uint64_t)4 << 20,
			     "batch %d: %llu bytes", n,
			     (unsigned long long)st.memory_used_bytes);
		sl_groupby_advance_watermark(op);
	}
	cr_assert_gt(evicted, (uint64_t)keys * 40, "windows were evicted");
	cr_assert_gt(emitted, 0);
	cr_assert_leq(peak_second, peak_first + peak_first / 8,
		      "peak %llu bytes in batches 55-99, %llu in 10-54",
		      (unsigned long long)peak_second,
		      (unsigned long long)peak_first);
	sl_groupby_free(op);
}

/* ---- state store round trips --------------------------------------------- */

/* Every group in an encoded state, rendered and sorted: restores it into
 * a complete-mode operator of the same shape and emits. */
static char *dump_state(const sl_groupby_spec *shape, const sl_buf *enc)
{
	sl_groupby_spec sp = *shape;
	sp.mode = SL_MODE_COMPLETE;
	sl_groupby *op = make(&sp);
	sl_err err = { 0 };
	int64_t ver;
	cr_assert_eq(sl_groupby_restore(op, enc->p, enc->len, &ver, &err), 0,
		     "%s", err.msg);
	char *s = emit(op, 0);
	sl_groupby_free(op);
	return s;
}

Test(groupby, snapshot_and_delta_chain_round_trip_through_eviction)
{
	const sl_schema *in = schema("ts timestamp, word string");
	static const sl_groupby_agg aggs[] = {
		{ &sl_agg_count_star, -1, NULL },
		{ &sl_agg_max, 1, NULL },
		{ &sl_agg_collect_list, 1, NULL },
		{ &sl_agg_approx_count_distinct, 1, NULL },
	};
	sl_groupby_spec sp = { .in = in, .nkeys = 2, .naggs = 4, .aggs = aggs,
			       .time_key = 0, .wm_col = 0,
			       .wm_delay_us = 10 * MIN, .mode = SL_MODE_UPDATE };
	sl_window_time(&sp.window, 10 * MIN, 5 * MIN, 0, NULL);
	sl_groupby *op = make(&sp);
	sl_buf snaps[6] = { 0 }, deltas[6] = { 0 };
	sl_batch *in_batches[6] = {
		events(in, 2, "dog", 12, 7, "owl", 12, 8),
		events(in, 2, "dog", 12, 14, "cat", 12, 9),
		events(in, 4, "cat", 12, 15, "dog", 12, 8, "owl", 12, 13,
		       "owl", 12, 21),
		events(in, 2, "owl", 12, 17, "donkey", 12, 4),
		events(in, 1, "emu", 12, 50),
		events(in, 1, "emu", 12, 51),
	};
	uint64_t removed = 0;
	for (int n = 0; n < 6; n++) {
		update(op, in_batches[n]);
		sl_batch *out;
		sl_groupby_emit(op, n, &out);
		sl_batch_free(out);
		sl_groupby_stats st;
		sl_groupby_stats_get(op, &st);
		removed += st.num_rows_removed;
		sl_groupby_snapshot(op, n, &snaps[n]);
		sl_groupby_delta(op, n, &deltas[n]);
		sl_groupby_advance_watermark(op);
	}
	cr_assert_gt(removed, 3, "the chain crosses evictions");

	for (int n = 0; n < 6; n++) {
		char *want = dump_state(&sp, &snaps[n]);
		/* deltas 0..n from nothing */
		sl_groupby_spec cs = sp;
		cs.mode = SL_MODE_COMPLETE;
		sl_groupby *r = make(&cs);
		int64_t ver = -1;
		for (int k = 0; k <= n; k++)
			cr_assert_eq(sl_groupby_restore(r, deltas[k].p,
							deltas[k].len, &ver,
							NULL),
				     0);
		cr_assert_eq(ver, n);
		char *got = emit(r, 0);
		cr_assert_str_eq(got, want, "deltas 0..%d", n);
		free(got);
		sl_groupby_free(r);
		/* snapshot 1, then deltas 2..n */
		if (n >= 2) {
			r = make(&cs);
			sl_groupby_restore(r, snaps[1].p, snaps[1].len, NULL,
					   NULL);
			for (int k = 2; k <= n; k++)
				sl_groupby_restore(r, deltas[k].p,
						   deltas[k].len, NULL, NULL);
			got = emit(r, 0);
			cr_assert_str_eq(got, want, "snapshot 1 + deltas");
			free(got);
			sl_groupby_free(r);
		}
		free(want);
	}
	/* a snapshot carries the watermark for the batch after it */
	sl_groupby *r = make(&sp);
	int64_t ver;
	cr_assert_eq(sl_groupby_restore(r, snaps[2].p, snaps[2].len, &ver,
					NULL),
		     0);
	cr_assert_eq(ver, 2);
	cr_assert_eq(sl_groupby_watermark(r), at(12, 11));
	/* and the restored operator carries on like the original: donkey is
	 * dropped, 12:00-12:10 evicted */
	update(r, events(in, 2, "owl", 12, 17, "donkey", 12, 4));
	char *got = emit(r, 3);
	cr_assert(strstr(got, "[12:15-12:25] owl 2"), "%s", got);
	free(got);
	sl_groupby_stats st;
	sl_groupby_stats_get(r, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 2);
	cr_assert_eq(st.num_rows_removed, 3);
	sl_groupby_free(r);
	for (int n = 0; n < 6; n++) {
		sl_buf_free(&snaps[n]);
		sl_buf_free(&deltas[n]);
	}
	sl_groupby_free(op);
}

Test(groupby, session_state_round_trip)
{
	const sl_schema *in = schema("user string, ts timestamp, id int");
	sl_groupby *op = session_query(in, SL_MODE_COMPLETE, -1);
	update(op, clicks(in, 4, "u1", 12, 0, "u1", 12, 3, "u1", 12, 12,
			  "u2", 12, 1));
	sl_buf snap = { 0 };
	sl_groupby_snapshot(op, 0, &snap);
	char *want = emit(op, 0);
	sl_groupby *r = session_query(in, SL_MODE_COMPLETE, -1);
	cr_assert_eq(sl_groupby_restore(r, snap.p, snap.len, NULL, NULL), 0);
	char *got = emit(r, 0);
	cr_assert_str_eq(got, want);
	free(got);
	/* both merge the same way afterwards */
	sl_groupby_advance_watermark(op);
	sl_groupby_advance_watermark(r);
	update(op, clicks(in, 1, "u1", 12, 8));
	update(r, clicks(in, 1, "u1", 12, 8));
	char *a = emit(op, 1), *b = emit(r, 1);
	cr_assert_str_eq(a, b);
	cr_assert(strstr(a, "[12:00-12:17] 4"), "%s", a);
	free(a);
	free(b);
	free(want);
	sl_buf_free(&snap);
	sl_groupby_free(op);
	sl_groupby_free(r);
}

Test(groupby, restore_refuses_other_shapes_and_corrupt_bytes)
{
	const sl_schema *in = schema("word string");
	sl_groupby_spec sp = { .in = in, .nkeys = 1, .naggs = 1,
			       .aggs = count_star, .time_key = -1,
			       .wm_col = -1, .mode = SL_MODE_COMPLETE };
	sl_groupby *op = make(&sp);
	update(op, words(in, "a b c a"));
	sl_buf snap = { 0 };
	sl_groupby_snapshot(op, 7, &snap);

	const sl_groupby_agg other[] = { { &sl_agg_count, 0, NULL } };
	sl_groupby_spec sp2 = sp;
	sp2.aggs = other;
	sl_groupby *r = make(&sp2);
	sl_err err = { 0 };
	cr_assert_eq(sl_groupby_restore(r, snap.p, snap.len, NULL, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "other"), "%s", err.msg);
	sl_groupby_free(r);

	r = make(&sp);
	for (size_t cut = 0; cut < snap.len; cut += 3)
		cr_assert_eq(sl_groupby_restore(r, snap.p, cut, NULL, &err),
			     SL_EINVAL, "cut at %zu", cut);
	/* and after all that, the whole encoding restores */
	int64_t ver;
	cr_assert_eq(sl_groupby_restore(r, snap.p, snap.len, &ver, &err), 0);
	cr_assert_eq(ver, 7);
	expect_emit(r, 0, "a 2; b 1; c 1");
	sl_groupby_free(r);
	sl_buf_free(&snap);
	sl_groupby_free(op);
}
