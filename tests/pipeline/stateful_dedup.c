/* tests/pipeline/stateful_dedup.c - deduplication
 * (sl_frame_drop_duplicates, SQL's SELECT DISTINCT; ops/dedup.c run by
 * the stateful sink): first rows of each key once, across batches; every column when none are named; the
 * watermark dropping late rows and, on a key column, evicting old keys
 * (state bounded over many batches); the keys surviving a restart on a
 * checkpoint; SELECT DISTINCT in a pipeline file; and the refusals
 * (unknown column, complete mode, a second stateful operator). Input from
 * rate-micro-batch (deterministic) and a socket source fed by a test TCP
 * server (one line group per micro-batch). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sql/pipeline.h"
#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/line_server.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* ---- a line server: tests/support/line_server.h ----------------------- */

static sl_frame *rate(sl_session *s, const char *rows)
{
	sl_frame *in = sl_session_read_stream(
		s, "rate-micro-batch",
		OPTS("rowsPerBatch", rows, "numPartitions", "2",
		     "startTimestamp", "1700000000000",
		     "advanceMillisPerBatch", "1000"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	return in;
}

/* ---- tests ----------------------------------------------------------------- */

Test(dedup, drop_duplicates_on_a_column_keeps_each_key_once)
{
	/* value % 7 over 20 batches of 10: each k first seen once; the
	 * other column (v) is the first value of k */
	sl_session *s = sl_session_new();
	sl_frame *f = sl_frame_select(rate(s, "10"),
				      OPTS("value % 7 AS k", "value AS v"));
	sl_frame *d = sl_frame_drop_duplicates(f, OPTS("k"));
	cr_assert_not_null(d, "%s", sl_session_errmsg(s));
	char sc[128];
	sl_frame_schema(d, sc, sizeof(sc));
	cr_assert_str_eq(sc, "k: bigint, v: bigint");
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, d, OPTS("outputMode", "append"), c);
	sl_test_wait_batches(c, 20);
	cr_assert_eq(sl_query_stop(q), 0);
	cr_assert_eq(c->nrows, 7);
	/* which row of a key comes first depends on which partition's
	 * vector the sink thread takes first: any of them, once */
	for (int k = 0; k < 7; k++) {
		uint32_t n = 0;
		for (uint32_t i = 0; i < c->nrows; i++) {
			long long kk, v;
			cr_assert_eq(sscanf(c->rows[i].text, "%lld|%lld", &kk, &v),
				     2);
			if (kk == k) {
				n++;
				cr_assert_eq(v % 7, k);
			}
		}
		cr_assert_eq(n, 1, "key %d", k);
	}
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.num_rows_total, 7);
	char *p = sl_query_last_progress(q);
	cr_assert(strstr(p, "\"operatorName\": \"dedupe\"") ||
		  strstr(p, "\"operatorName\":\"dedupe\""), "%s", p);
	free(p);
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

Test(dedup, no_columns_means_every_column)
{
	sl_session *s = sl_session_new();
	sl_frame *f = sl_frame_select(rate(s, "12"),
				      OPTS("value % 5 AS a", "value % 2 AS b"));
	sl_frame *d = sl_frame_drop_duplicates(f, NULL);
	cr_assert_not_null(d, "%s", sl_session_errmsg(s));
	/* a select above the deduplication runs on what it keeps */
	sl_frame *o = sl_frame_select(d, OPTS("a * 10 + b AS ab"));
	cr_assert_not_null(o, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, o, OPTS("outputMode", "update"), c);
	sl_test_wait_batches(c, 10);
	cr_assert_eq(sl_query_stop(q), 0);
	cr_assert_eq(c->nrows, 10);
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 2; b++) {
			char row[16];
			snprintf(row, sizeof(row), "%d", a * 10 + b);
			cr_assert_eq(sl_test_count_row(c, row), 1, "%s", row);
		}
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

#define D "2024-01-01 "

/* Spark's dropDuplicates with a watermark on an event-time key: a
 * duplicate within the watermark is dropped as a duplicate, a row behind
 * it as late (counted), and the keys behind it are evicted. */
Test(dedup, watermark_drops_late_rows_and_evicts_keys)
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(
		s, "socket", OPTS("host", "127.0.0.1", "port", srv.port));
	cr_assert_not_null(in);
	sl_frame *e = sl_frame_select(
		in, OPTS("CAST(split(value, ',')[0] AS TIMESTAMP) AS ts",
			 "split(value, ',')[1] AS id"));
	sl_frame *w = sl_frame_with_watermark(e, "ts", "10 minutes");
	cr_assert_not_null(w, "%s", sl_session_errmsg(s));
	sl_frame *d = sl_frame_drop_duplicates(w, OPTS("id", "ts"));
	cr_assert_not_null(d, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(d, OPTS("id"));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, o, OPTS("outputMode", "append"), c);
	server_accept(&srv);

	server_send(&srv, D "12:00:00,a\n" D "12:00:00,a\n" D "12:05:00,b\n");
	sl_test_wait_batches(c, 1);
	cr_assert_eq(sl_test_nrows(c), 2);
	sl_state_stats st = { .size = sizeof(st) };
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.num_rows_total, 2);
	/* 12:05 - 10 minutes */
	cr_assert_eq(st.watermark_us, 1704110100000000LL);

	/* a again (duplicate, inside the watermark); 12:30 moves it to
	 * 12:20, which evicts a and b */
	server_send(&srv, D "12:00:00,a\n" D "12:30:00,c\n");
	sl_test_wait_batches(c, 2);
	cr_assert_eq(sl_test_count_row(c, "a"), 1);
	cr_assert_eq(sl_test_count_row(c, "c"), 1);
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.num_rows_removed, 2, "a and b evicted");
	cr_assert_eq(st.num_rows_total, 1);

	/* a at 12:00 is now behind the watermark: late, not a new key */
	server_send(&srv, D "12:00:00,a\n" D "12:25:00,d\n");
	sl_test_wait_batches(c, 3);
	cr_assert_eq(sl_test_count_row(c, "a"), 1);
	cr_assert_eq(sl_test_count_row(c, "d"), 1);
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 1);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

Test(dedup, state_stays_bounded_with_a_watermark_on_a_key)
{
	/* rate-micro-batch: batch N is stamped N seconds; keys (value % 3,
	 * ts): 3 new keys a batch, forever; a 2-second watermark keeps a
	 * few batches of them */
	sl_session *s = sl_session_new();
	sl_frame *f = sl_frame_select(
		rate(s, "30"), OPTS("value % 3 AS k", "timestamp AS ts"));
	sl_frame *w = sl_frame_with_watermark(f, "ts", "2 seconds");
	sl_frame *d = sl_frame_drop_duplicates(w, OPTS("k", "ts"));
	cr_assert_not_null(d, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, d, OPTS("outputMode", "append"), c);
	sl_test_wait_batches(c, 60);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_state_stats st = { .size = sizeof(st) };
	sl_query_state_stats(q, &st);
	cr_assert_leq(st.num_rows_total, 9, "held %lu keys",
		      (unsigned long)st.num_rows_total);
	cr_assert_eq(c->nrows, 3 * c->nbatches);
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

Test(dedup, keys_survive_a_restart)
{
	/* value % 50, 10 rows a batch: the 50 keys come in batches 0-4,
	 * then every row is a duplicate. Runs stopped and started again
	 * must emit each key exactly once in all. */
	char *dir = sl_test_tmpdir("sl_dedup");
	sl_test_collect *c = sl_test_collect_new();
	for (int run = 0; run < 4; run++) {
		sl_session *s = sl_session_new();
		sl_frame *f = sl_frame_select(rate(s, "10"),
					      OPTS("value % 50 AS k"));
		sl_frame *d = sl_frame_drop_duplicates(f, OPTS("k"));
		sl_sink_callbacks cb = c->cb;
		sl_query *q = sl_frame_start(
			d, "foreachBatch",
			OPTS("outputMode", "append", "checkpointLocation",
			     dir, "trigger", "processingTime 40 milliseconds"),
			&cb);
		cr_assert_not_null(q, "%s", sl_session_errmsg(s));
		sl_query_await(q, 120);
		cr_assert_eq(sl_query_stop(q), 0, "%s",
			     sl_query_exception(q) ? sl_query_exception(q)
						   : "");
		sl_session_destroy(s);
	}
	cr_assert_gt(c->nbatches, 5);
	for (int k = 0; k < 50; k++) {
		char row[16];
		snprintf(row, sizeof(row), "%d", k);
		cr_assert_eq(sl_test_count_row(c, row), 1, "key %s", row);
	}
	sl_test_tmpdir_free(dir);
	sl_test_collect_free(c);
}

Test(dedup, select_distinct_in_a_pipeline_file)
{
	static const char text[] =
		"CREATE SOURCE r WITH (format = 'rate-micro-batch',\n"
		"  rowsPerBatch = 10);\n"
		"CREATE SINK m WITH (format = 'memory', queryName = 'd',\n"
		"  outputMode = 'append');\n"
		"INSERT INTO m SELECT DISTINCT value % 4 AS k FROM r;\n";
	sl_session *s = sl_session_new();
	sl_pipeline *p;
	sl_err err = { 0 };
	cr_assert_eq(sl_pipeline_load(s, text, strlen(text), "d.sql", &p,
				      &err),
		     0, "%s", err.msg);
	char plan[2048];
	sl_pipeline_describe(p, plan, sizeof(plan));
	cr_assert(strstr(plan, "distinct"), "%s", plan);
	cr_assert_eq(sl_pipeline_start(p, &err), 0, "%s", err.msg);
	sl_rows *r = NULL;
	for (int i = 0; i < 400; i++) {
		sl_rows_free(r);
		r = sl_session_table(s, "d");
		if (r && sl_rows_count(r) >= 4)
			break;
		usleep(5000);
	}
	usleep(50000); /* more batches: still 4 rows */
	sl_rows_free(r);
	r = sl_session_table(s, "d");
	cr_assert_not_null(r);
	cr_assert_eq(sl_rows_count(r), 4);
	sl_rows_free(r);
	sl_pipeline_free(p);
	sl_session_destroy(s);

	/* DISTINCT with GROUP BY: two stateful operators */
	static const char agg[] =
		"CREATE SOURCE r WITH (format = 'rate-micro-batch',\n"
		"  rowsPerBatch = 10);\n"
		"CREATE SINK m WITH (format = 'memory', queryName = 'd',\n"
		"  outputMode = 'update');\n"
		"INSERT INTO m SELECT DISTINCT value % 4 AS k, count(*) AS n\n"
		"  FROM r GROUP BY value % 4;\n";
	s = sl_session_new();
	memset(&err, 0, sizeof(err));
	cr_assert_lt(sl_pipeline_load(s, agg, strlen(agg), "a.sql", &p, &err),
		     0);
	cr_assert(strstr(err.msg, "a.sql:5:15:") &&
			  strstr(err.msg, "over an aggregation"),
		  "%s", err.msg);
	sl_session_destroy(s);
}

Test(dedup, refusals)
{
	sl_session *s = sl_session_new();
	sl_frame *f = sl_frame_select(rate(s, "10"), OPTS("value % 3 AS k"));
	cr_assert_null(sl_frame_drop_duplicates(f, OPTS("nope")));
	cr_assert(strstr(sl_session_errmsg(s), "cannot resolve 'nope'"), "%s",
		  sl_session_errmsg(s));
	sl_frame *d = sl_frame_drop_duplicates(f, NULL);
	cr_assert_not_null(d);
	/* complete mode needs an aggregation */
	cr_assert_null(sl_frame_start(d, "memory",
				      OPTS("outputMode", "complete",
					   "queryName", "x"),
				      NULL));
	cr_assert(strstr(sl_session_errmsg(s), "Complete output mode"), "%s",
		  sl_session_errmsg(s));
	/* an aggregation over it is allowed (Spark's too;
	 * tests/unit/core_stateful_chain.c runs one), not the reverse */
	cr_assert_not_null(sl_frame_group_by(d, OPTS("k"), OPTS("count(*)")),
			   "%s", sl_session_errmsg(s));
	sl_frame *g = sl_frame_group_by(f, OPTS("k"), OPTS("count(*) AS n"));
	cr_assert_not_null(g);
	cr_assert_null(sl_frame_drop_duplicates(g, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "over an aggregation"), "%s",
		  sl_session_errmsg(s));
	sl_session_destroy(s);
}
