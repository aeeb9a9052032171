/* tests/pipeline/stateful_spark_watermark.c - differential tests of the
 * watermark against Spark: the same micro-batches through sluice (a socket
 * source, foreachBatch) and through PySpark 4.3, batch by batch. The
 * expected rows below are PySpark's, printed by
 * tests/spark/stateful/watermark_batches.py (its "step" runs: one input
 * file, then processAllAvailable, so Spark runs its batch without data
 * after each batch that moved the watermark, before the next input).
 * sluice folds that batch without data into the batch that moved the
 * watermark (docs/STATEFUL.md, section 7), so sluice's call k holds
 * Spark's data batch k and the batch without data after it: for the late
 * data, Spark's batches (0, 1), (2, 3), (4, 5), (6).
 *
 * Queries: windowed counts (10-minute windows sliding every 5 minutes, a
 * 10-minute watermark; Spark's late-data example, as late_data.sql plays
 * it, and a sequence with rows between two watermarks) in update and
 * append mode; dropDuplicates with a 10-minute watermark on the event
 * time, by (word, timestamp) and by word; and aggregations and
 * dropDuplicates over a stream-static join (inner and left, with a
 * table of each word's kind: tests/spark/stateful/join_aggregation.py
 * printed Spark's batches, from the same step runs). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/line_server.h"
#include "tests/support/socket_events.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define D "2024-01-01 "
#define MAX_BATCHES 8

/* One sequence: the lines of each batch ("event time,word\n"...), and per
 * sluice call the rows Spark emitted, sorted, each ending in '\n', and
 * the rows its operator dropped behind the watermark. */
struct spark_case {
	const char *mode;
	const char *input[MAX_BATCHES];
	const char *rows[MAX_BATCHES];
	uint64_t dropped[MAX_BATCHES];
};

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of call k, sorted, each followed by '\n' (malloc'd). */
static char *call_rows(sl_test_collect *c, uint32_t call)
{
	uint32_t n = sl_test_call_nrows(c, call);
	char **rows = calloc(n ? n : 1, sizeof(*rows));
	size_t len = 1;
	for (uint32_t i = 0; i < n; i++) {
		char text[128];
		cr_assert(sl_test_call_row(c, call, i, text, sizeof(text)));
		rows[i] = strdup(text);
		len += strlen(text) + 1;
	}
	qsort(rows, n, sizeof(*rows), cmp_text);
	char *s = malloc(len), *w = s;
	*w = 0;
	for (uint32_t i = 0; i < n; i++) {
		w += sprintf(w, "%s\n", rows[i]);
		free(rows[i]);
	}
	free(rows);
	return s;
}

/* Lines "2024-01-01 12:07:00,dog" as (timestamp, word), watermarked. */
static sl_frame *events(sl_session *s, struct server *srv)
{
	sl_frame *e = sl_test_socket_events(s, srv);
	sl_frame *wm = sl_frame_with_watermark(e, "timestamp", "10 minutes");
	cr_assert(wm, "%s", sl_session_errmsg(s));
	return wm;
}

static sl_frame *windowed_counts(sl_session *s, sl_frame *wm)
{
	sl_frame *g = sl_frame_group_by(
		wm,
		OPTS("window(timestamp, '10 minutes', '5 minutes')", "word"),
		OPTS("count(*) AS count"));
	cr_assert(g);
	sl_frame *o = sl_frame_select(g, OPTS("window.start AS start",
					      "window.end AS end", "word",
					      "count"));
	cr_assert(o);
	return o;
}

static sl_frame *dedup_by_word_and_time(sl_session *s, sl_frame *wm)
{
	return sl_frame_drop_duplicates(wm, OPTS("word", "timestamp"));
}

static sl_frame *dedup_by_word(sl_session *s, sl_frame *wm)
{
	return sl_frame_drop_duplicates(wm, OPTS("word"));
}

/* Plays the case through the query build(events) makes and compares
 * every call with Spark's batches. */
static void play(const struct spark_case *k,
		 sl_frame *(*build)(sl_session *, sl_frame *))
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *q_frame = build(s, events(s, &srv));
	cr_assert(q_frame, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, q_frame, OPTS("outputMode", k->mode),
				    c);
	server_accept(&srv);
	for (uint32_t b = 0; b < MAX_BATCHES && k->input[b]; b++) {
		server_send(&srv, k->input[b]);
		sl_test_wait_batches(c, b + 1);
		char *got = call_rows(c, b);
		cr_assert_str_eq(got, k->rows[b], "batch %u (%s)", b, k->mode);
		free(got);
		sl_state_stats st = { .size = sizeof(st) };
		cr_assert_eq(sl_query_state_stats(q, &st), 0);
		cr_assert_eq(st.num_rows_dropped_by_watermark, k->dropped[b],
			     "batch %u dropped %llu", b,
			     (unsigned long long)st.num_rows_dropped_by_watermark);
	}
	sl_query_stop(q);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

#define LATE_INPUT                                                         \
	{ D "12:07:00,dog\n" D "12:08:00,owl\n",                           \
	  D "12:14:00,dog\n" D "12:09:00,cat\n",                           \
	  D "12:15:00,cat\n" D "12:08:00,dog\n" D "12:13:00,owl\n" D       \
	    "12:21:00,owl\n",                                              \
	  D "12:04:00,donkey\n" D "12:17:00,owl\n" }

/* Two windows of b 12:03 end by the watermark 12:10 the batch before
 * moved to; the one before that was 11:50. */
#define EDGE_INPUT                                                         \
	{ D "12:00:00,a\n", D "12:20:00,a\n",                              \
	  D "12:03:00,b\n" D "12:10:00,c\n", D "12:40:00,z\n" }

#define W(start, end) D start "|" D end "|"

Test(spark_watermark, late_data_update)
{
	static const struct spark_case k = {
		.mode = "update",
		.input = LATE_INPUT,
		.rows = {
			W("12:00:00", "12:10:00") "dog|1\n"
			W("12:00:00", "12:10:00") "owl|1\n"
			W("12:05:00", "12:15:00") "dog|1\n"
			W("12:05:00", "12:15:00") "owl|1\n",
			W("12:00:00", "12:10:00") "cat|1\n"
			W("12:05:00", "12:15:00") "cat|1\n"
			W("12:05:00", "12:15:00") "dog|2\n"
			W("12:10:00", "12:20:00") "dog|1\n",
			W("12:00:00", "12:10:00") "dog|2\n"
			W("12:05:00", "12:15:00") "dog|3\n"
			W("12:05:00", "12:15:00") "owl|2\n"
			W("12:10:00", "12:20:00") "cat|1\n"
			W("12:10:00", "12:20:00") "owl|1\n"
			W("12:15:00", "12:25:00") "cat|1\n"
			W("12:15:00", "12:25:00") "owl|1\n"
			W("12:20:00", "12:30:00") "owl|1\n",
			W("12:10:00", "12:20:00") "owl|2\n"
			W("12:15:00", "12:25:00") "owl|2\n",
		},
		.dropped = { 0, 0, 0, 2 },
	};
	play(&k, windowed_counts);
}

Test(spark_watermark, late_data_append)
{
	static const struct spark_case k = {
		.mode = "append",
		.input = LATE_INPUT,
		.rows = { "", "",
			  W("12:00:00", "12:10:00") "cat|1\n"
			  W("12:00:00", "12:10:00") "dog|2\n"
			  W("12:00:00", "12:10:00") "owl|1\n",
			  "" },
		.dropped = { 0, 0, 0, 2 },
	};
	play(&k, windowed_counts);
}

Test(spark_watermark, rows_between_two_watermarks_update)
{
	static const struct spark_case k = {
		.mode = "update",
		.input = EDGE_INPUT,
		.rows = {
			W("11:55:00", "12:05:00") "a|1\n"
			W("12:00:00", "12:10:00") "a|1\n",
			W("12:15:00", "12:25:00") "a|1\n"
			W("12:20:00", "12:30:00") "a|1\n",
			W("12:05:00", "12:15:00") "c|1\n"
			W("12:10:00", "12:20:00") "c|1\n",
			W("12:35:00", "12:45:00") "z|1\n"
			W("12:40:00", "12:50:00") "z|1\n",
		},
		.dropped = { 0, 0, 2, 0 },
	};
	play(&k, windowed_counts);
}

Test(spark_watermark, rows_between_two_watermarks_append)
{
	static const struct spark_case k = {
		.mode = "append",
		.input = EDGE_INPUT,
		.rows = { "",
			  W("11:55:00", "12:05:00") "a|1\n"
			  W("12:00:00", "12:10:00") "a|1\n",
			  "",
			  W("12:05:00", "12:15:00") "c|1\n"
			  W("12:10:00", "12:20:00") "c|1\n"
			  W("12:15:00", "12:25:00") "a|1\n"
			  W("12:20:00", "12:30:00") "a|1\n" },
		.dropped = { 0, 0, 2, 0 },
	};
	play(&k, windowed_counts);
}

/* Duplicates within and across batches, rows behind the watermark and
 * exactly on it (12:10 with the watermark 12:10: late). By (word,
 * timestamp) the keys are evicted behind the watermark; by word they are
 * kept, and late rows are dropped all the same: the same rows come out. */
#define DEDUP_INPUT                                                        \
	{ D "12:00:00,a\n" D "12:00:00,a\n" D "12:05:00,b\n",              \
	  D "12:20:00,c\n" D "12:05:00,b\n" D "12:00:00,a\n",              \
	  D "12:10:00,d\n" D "12:09:00,e\n" D "12:20:00,c\n" D             \
	    "12:15:00,f\n",                                                 \
	  D "12:10:00,d\n" D "12:30:00,g\n" D "12:15:00,f\n",              \
	  D "12:20:00,c\n" D "12:21:00,h\n" }
static const struct spark_case dedup_case = {
	.mode = "append",
	.input = DEDUP_INPUT,
	.rows = { D "12:00:00|a\n" D "12:05:00|b\n", D "12:20:00|c\n",
		  D "12:15:00|f\n", D "12:30:00|g\n", D "12:21:00|h\n" },
	.dropped = { 0, 0, 2, 1, 1 },
};

Test(spark_watermark, drop_duplicates_by_word_and_time)
{
	play(&dedup_case, dedup_by_word_and_time);
}

Test(spark_watermark, drop_duplicates_by_word)
{
	play(&dedup_case, dedup_by_word);
}

/* Two stateful operators: dropDuplicates by (word, timestamp), then
 * 10-minute windows counted ("dedup then count (step, ...)"). */
static sl_frame *dedup_then_count(sl_session *s, sl_frame *wm)
{
	sl_frame *g = sl_frame_group_by(
		dedup_by_word_and_time(s, wm),
		OPTS("window(timestamp, '10 minutes')", "word"),
		OPTS("count(*) AS count"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	return sl_frame_select(g, OPTS("window.start AS start",
				       "window.end AS end", "word", "count"));
}

Test(spark_watermark, drop_duplicates_then_count_append)
{
	static const struct spark_case k = {
		.mode = "append",
		.input = DEDUP_INPUT,
		.rows = { "",
			  W("12:00:00", "12:10:00") "a|1\n"
			  W("12:00:00", "12:10:00") "b|1\n",
			  "", W("12:10:00", "12:20:00") "f|1\n", "" },
	};
	play(&k, dedup_then_count);
}

Test(spark_watermark, drop_duplicates_then_count_update)
{
	static const struct spark_case k = {
		.mode = "update",
		.input = DEDUP_INPUT,
		.rows = { W("12:00:00", "12:10:00") "a|1\n"
			  W("12:00:00", "12:10:00") "b|1\n",
			  W("12:20:00", "12:30:00") "c|1\n",
			  W("12:10:00", "12:20:00") "f|1\n",
			  W("12:30:00", "12:40:00") "g|1\n",
			  W("12:20:00", "12:30:00") "h|1\n" },
	};
	play(&k, dedup_then_count);
}

/* ---- over a stream-static join ------------------------------------------- */

/* The table of each word's kind; donkey has no row. */
static char *table_dir;
static sl_frame *kinds(sl_session *s)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/kinds.csv", table_dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("dog,pet\ncat,pet\nowl,bird\n", f);
	fclose(f);
	sl_frame *t = sl_session_read_static(
		s, "csv", OPTS("path", path, "schema", "word STRING, kind STRING"));
	cr_assert(t, "%s", sl_session_errmsg(s));
	return t;
}

static void table_setup(void)
{
	table_dir = sl_test_tmpdir("spark_join");
}

static void table_teardown(void)
{
	sl_test_tmpdir_free(table_dir);
}

static sl_frame *joined(sl_session *s, sl_frame *wm, const char *how)
{
	sl_frame *j = sl_frame_join(wm, kinds(s),
				    OPTS("word"), NULL, how);
	cr_assert(j);
	return j;
}

/* 10-minute windows by kind */
static sl_frame *kind_windows(sl_frame *j)
{
	sl_frame *g = sl_frame_group_by(
		j, OPTS("window(timestamp, '10 minutes')", "kind"),
		OPTS("count(*) AS n"));
	cr_assert(g);
	sl_frame *o = sl_frame_select(g, OPTS("window.start AS start",
					      "window.end AS end", "kind",
					      "n"));
	cr_assert(o);
	return o;
}

static sl_frame *inner_kind_windows(sl_session *s, sl_frame *wm)
{
	return kind_windows(joined(s, wm, "inner"));
}

static sl_frame *left_kind_windows(sl_session *s, sl_frame *wm)
{
	return kind_windows(joined(s, wm, "left"));
}

static sl_frame *inner_kind_counts(sl_session *s, sl_frame *wm)
{
	return sl_frame_group_by(joined(s, wm, "inner"), OPTS("kind"),
				 OPTS("count(*) AS count"));
}

static sl_frame *left_dedup(sl_session *s, sl_frame *wm)
{
	return sl_frame_drop_duplicates(joined(s, wm, "left"),
					OPTS("kind", "timestamp"));
}

/* The late data, then a donkey and a dog inside the watermark. */
#define JOIN_INPUT                                                         \
	{ D "12:07:00,dog\n" D "12:08:00,owl\n",                           \
	  D "12:14:00,dog\n" D "12:09:00,cat\n",                           \
	  D "12:15:00,cat\n" D "12:08:00,dog\n" D "12:13:00,owl\n" D       \
	    "12:21:00,owl\n",                                              \
	  D "12:04:00,donkey\n" D "12:17:00,owl\n",                        \
	  D "12:30:00,donkey\n" D "12:31:00,dog\n" }

TestSuite(spark_join, .init = table_setup, .fini = table_teardown);

Test(spark_join, inner_join_windowed_count_append)
{
	static const struct spark_case k = {
		.mode = "append",
		.input = JOIN_INPUT,
		.rows = { "", "",
			  W("12:00:00", "12:10:00") "bird|1\n"
			  W("12:00:00", "12:10:00") "pet|3\n",
			  "",
			  W("12:10:00", "12:20:00") "bird|2\n"
			  W("12:10:00", "12:20:00") "pet|2\n" },
		.dropped = { 0, 0, 0, 0, 0 },
	};
	play(&k, inner_kind_windows);
}

#define KIND_UPDATES(donkey)                                               \
	{ W("12:00:00", "12:10:00") "bird|1\n"                             \
	  W("12:00:00", "12:10:00") "pet|1\n",                             \
	  W("12:00:00", "12:10:00") "pet|2\n"                              \
	  W("12:10:00", "12:20:00") "pet|1\n",                             \
	  W("12:00:00", "12:10:00") "pet|3\n"                              \
	  W("12:10:00", "12:20:00") "bird|1\n"                             \
	  W("12:10:00", "12:20:00") "pet|2\n"                              \
	  W("12:20:00", "12:30:00") "bird|1\n",                            \
	  W("12:10:00", "12:20:00") "bird|2\n",                            \
	  donkey W("12:30:00", "12:40:00") "pet|1\n" }

Test(spark_join, inner_join_windowed_count_update)
{
	static const struct spark_case k = {
		.mode = "update",
		.input = JOIN_INPUT,
		.rows = KIND_UPDATES(""),
		.dropped = { 0, 0, 0, 0, 0 },
	};
	play(&k, inner_kind_windows);
}

/* The left join keeps donkey with a null kind: the one of 12:04 is late
 * (its window ended by 12:11), the one of 12:30 counts. */
Test(spark_join, left_join_windowed_count_update)
{
	static const struct spark_case k = {
		.mode = "update",
		.input = JOIN_INPUT,
		.rows = KIND_UPDATES(W("12:30:00", "12:40:00") "null|1\n"),
		.dropped = { 0, 0, 0, 1, 0 },
	};
	play(&k, left_kind_windows);
}

Test(spark_join, inner_join_count_by_kind_complete)
{
	static const struct spark_case k = {
		.mode = "complete",
		.input = JOIN_INPUT,
		.rows = { "bird|1\npet|1\n", "bird|1\npet|3\n",
			  "bird|3\npet|5\n", "bird|4\npet|5\n",
			  "bird|4\npet|6\n" },
	};
	play(&k, inner_kind_counts);
}

Test(spark_join, left_join_drop_duplicates)
{
	static const struct spark_case k = {
		.mode = "append",
		.input = JOIN_INPUT,
		.rows = { D "12:07:00|dog|pet\n" D "12:08:00|owl|bird\n",
			  D "12:09:00|cat|pet\n" D "12:14:00|dog|pet\n",
			  D "12:08:00|dog|pet\n" D "12:13:00|owl|bird\n" D
			  "12:15:00|cat|pet\n" D "12:21:00|owl|bird\n",
			  D "12:17:00|owl|bird\n",
			  D "12:30:00|donkey|null\n" D "12:31:00|dog|pet\n" },
		.dropped = { 0, 0, 0, 1, 0 },
	};
	play(&k, left_dedup);
}
