/* tests/pipeline/stateful_aggregation.c - stateful queries end to end
 * through the public API: GROUP BY with aggregates (sl_frame_group_by,
 * sl_frame_aggregate), windows, the watermark, the output modes and the
 * compatibility table (Spark's), the flight data counted by destination, and
 * state memory under a watermark over millions of rows. Input comes from
 * a socket source fed by a test TCP server on a free 127.0.0.1 port (one
 * line group per micro-batch: the test waits for each batch), from the
 * csv file source, and from rate-micro-batch. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/batch_rows.h"
#include "tests/support/line_server.h"
#include "tests/support/socket_events.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* ---- a line server: tests/support/line_server.h ----------------------- */

/* ---- foreachBatch output: tests/support/batch_rows.h --------------------- */

static void dump(sl_test_collect *c, uint32_t b)
{
	char text[128];
	for (uint32_t i = 0; sl_test_call_row(c, b, i, text, sizeof(text)); i++)
		fprintf(stderr, "  batch %u row %u: %s\n", b, i, text);
}

#define HAS(c, b, row)                                                    \
	do {                                                              \
		if (!sl_test_call_has(c, b, row))                         \
			dump(c, b);                                       \
		cr_assert(sl_test_call_has(c, b, row), "batch %u lacks %s", \
			  b, row);                                        \
	} while (0)

/* ---- memory tables -------------------------------------------------------- */

/* The value of column `col` in the row whose first column is key, as a
 * long; -1 if no such row. */
static int64_t table_get(sl_session *s, const char *table, const char *key,
			 const char *col)
{
	sl_rows *r = sl_session_table(s, table);
	if (!r)
		return -1;
	int c = sl_rows_colindex(r, col);
	int64_t v = -1;
	for (uint32_t i = 0; c >= 0 && i < sl_rows_count(r); i++) {
		char k[128];
		sl_rows_string(r, i, 0, k, sizeof(k));
		if (!strcmp(k, key))
			v = sl_rows_long(r, i, (uint32_t)c);
	}
	sl_rows_free(r);
	return v;
}

/* Waits until table_get(...) == want (10 s at most). */
static bool table_wait(sl_session *s, const char *table, const char *key,
		       const char *col, int64_t want)
{
	for (int i = 0; i < 2000; i++) {
		if (table_get(s, table, key, col) == want)
			return true;
		usleep(5000);
	}
	return false;
}

/* ---- word count ------------------------------------------------------------ */

static sl_frame *socket_words(sl_session *s, struct server *srv)
{
	sl_frame *in = sl_session_read_stream(
		s, "socket", OPTS("host", "127.0.0.1", "port", srv->port));
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_frame *w = sl_frame_select(
		in, OPTS("explode(split(value, ' ')) AS word"));
	cr_assert(w, "%s", sl_session_errmsg(s));
	return w;
}

Test(stateful, word_count_complete_from_socket)
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *w = socket_words(s, &srv);
	sl_frame *g = sl_frame_group_by(w, OPTS("word"),
					OPTS("count(*) AS count"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	char sc[256];
	sl_frame_schema(g, sc, sizeof(sc));
	cr_assert_str_eq(sc, "word: string, count: bigint");
	sl_query *q = sl_frame_start(g, "memory",
				     OPTS("outputMode", "complete",
					  "queryName", "wc"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	server_accept(&srv);
	server_send(&srv, "apache spark apache\n");
	cr_assert(table_wait(s, "wc", "apache", "count", 2));
	cr_assert_eq(table_get(s, "wc", "spark", "count"), 1);
	server_send(&srv, "spark sluice\nspark\n");
	cr_assert(table_wait(s, "wc", "spark", "count", 3));
	cr_assert_eq(table_get(s, "wc", "apache", "count"), 2);
	cr_assert_eq(table_get(s, "wc", "sluice", "count"), 1);
	/* complete mode: the whole table every batch */
	sl_rows *r = sl_session_table(s, "wc");
	cr_assert_eq(sl_rows_count(r), 3);
	sl_rows_free(r);
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), 0);
	cr_assert_eq(st.num_rows_total, 3);
	cr_assert_gt(st.memory_used_bytes, 0);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
	server_close(&srv);
}

Test(stateful, word_count_from_rate_micro_batch)
{
	/* 30 rows a batch, value % 3 as the word: counts grow by 10 per
	 * word and batch. */
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "30"));
	sl_frame *w = sl_frame_select(
		in, OPTS("CAST(value % 3 AS STRING) AS word"));
	sl_frame *g = sl_frame_group_by(w, OPTS("word"),
					OPTS("count(*) AS count",
					     "sum(length(word)) AS chars"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(g, "memory",
				     OPTS("outputMode", "complete",
					  "queryName", "r", "trigger", "once"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), 1);
	cr_assert_eq(table_get(s, "r", "0", "count"), 10);
	cr_assert_eq(table_get(s, "r", "2", "chars"), 10);
	sl_session_destroy(s);
}

Test(stateful, update_mode_emits_changed_groups_only)
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *w = socket_words(s, &srv);
	sl_frame *g = sl_frame_group_by(w, OPTS("word"),
					OPTS("count(*) AS count"));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, g, OPTS("outputMode", "update"), c);
	server_accept(&srv);
	server_send(&srv, "a b a\n");
	sl_test_wait_batches(c, 1);
	cr_assert_eq(sl_test_call_nrows(c, 0), 2);
	HAS(c, 0, "a|2");
	HAS(c, 0, "b|1");
	server_send(&srv, "a c\n");
	sl_test_wait_batches(c, 2);
	cr_assert_eq(sl_test_call_nrows(c, 1), 2);
	HAS(c, 1, "a|3");
	HAS(c, 1, "c|1");
	cr_assert_eq(c->ids[1], 1);
	sl_state_stats st = { .size = sizeof(st) };
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.num_rows_updated, 2);
	cr_assert_eq(st.num_rows_total, 3);
	sl_query_stop(q);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

/* ---- event time ------------------------------------------------------------ */

#define D "2024-01-01 "

/* Spark's late-data example (its programming guide's): 10-minute windows sliding every 5
 * minutes, a 10-minute watermark, update mode. */
Test(stateful, late_data_example_update)
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *e = sl_test_socket_events(s, &srv);
	sl_frame *wm = sl_frame_with_watermark(e, "timestamp", "10 minutes");
	cr_assert(wm, "%s", sl_session_errmsg(s));
	sl_frame *g = sl_frame_group_by(
		wm,
		OPTS("window(timestamp, '10 minutes', '5 minutes')", "word"),
		OPTS("count(*) AS count"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(
		g, OPTS("window.start AS start", "window.end AS end", "word",
			"count"));
	cr_assert(o, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, o, OPTS("outputMode", "update"), c);
	server_accept(&srv);

	server_send(&srv, D "12:07:00,dog\n" D "12:08:00,owl\n");
	sl_test_wait_batches(c, 1);
	HAS(c, 0, D "12:00:00|" D "12:10:00|dog|1");
	HAS(c, 0, D "12:05:00|" D "12:15:00|owl|1");
	cr_assert_eq(sl_test_call_nrows(c, 0), 4);

	server_send(&srv, D "12:14:00,dog\n" D "12:09:00,cat\n");
	sl_test_wait_batches(c, 2);
	HAS(c, 1, D "12:10:00|" D "12:20:00|dog|1");
	HAS(c, 1, D "12:05:00|" D "12:15:00|dog|2");
	HAS(c, 1, D "12:00:00|" D "12:10:00|cat|1");
	sl_state_stats st = { .size = sizeof(st) };
	sl_query_state_stats(q, &st);
	/* max event time 12:14 - 10 minutes */
	cr_assert_eq(st.watermark_us, 1704110640000000LL);

	/* 12:08 is late but inside the watermark (12:04): it updates its
	 * old windows. 12:21 moves the watermark to 12:11. */
	server_send(&srv, D "12:15:00,cat\n" D "12:08:00,dog\n" D
		    "12:13:00,owl\n" D "12:21:00,owl\n");
	sl_test_wait_batches(c, 3);
	HAS(c, 2, D "12:00:00|" D "12:10:00|dog|2");
	HAS(c, 2, D "12:05:00|" D "12:15:00|dog|3");
	HAS(c, 2, D "12:05:00|" D "12:15:00|owl|2");
	HAS(c, 2, D "12:10:00|" D "12:20:00|owl|1");
	HAS(c, 2, D "12:20:00|" D "12:30:00|owl|1");
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.total_rows_dropped_by_watermark, 0);
	cr_assert_eq(st.watermark_us, 1704111060000000LL);

	/* 12:04 is beyond the watermark (12:11): both its windows ended, so
	 * it is dropped and counted (per window, as Spark's operator). */
	server_send(&srv, D "12:04:00,donkey\n" D "12:17:00,owl\n");
	sl_test_wait_batches(c, 4);
	char text[128];
	for (uint32_t i = 0; sl_test_call_row(c, 3, i, text, sizeof(text)); i++)
		cr_assert_null(strstr(text, "donkey"), "%s", text);
	HAS(c, 3, D "12:10:00|" D "12:20:00|owl|2");
	HAS(c, 3, D "12:15:00|" D "12:25:00|owl|2");
	cr_assert_eq(sl_test_call_nrows(c, 3), 2);
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.num_rows_dropped_by_watermark, 2);
	cr_assert_eq(st.total_rows_dropped_by_watermark, 2);
	sl_query_stop(q);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

Test(stateful, append_with_watermark_emits_closed_windows_once)
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *e = sl_test_socket_events(s, &srv);
	sl_frame *wm = sl_frame_with_watermark(e, "timestamp", "5 minutes");
	sl_frame *g = sl_frame_group_by(
		wm, OPTS("window(timestamp, '10 minutes')", "word"),
		OPTS("count(*) AS n", "max(timestamp) AS last"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(g, OPTS("window.start", "word", "n"));
	cr_assert(o, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, o, OPTS("outputMode", "append"), c);
	server_accept(&srv);

	server_send(&srv, D "12:01:00,a\n" D "12:02:00,a\n" D "12:03:00,b\n");
	sl_test_wait_batches(c, 1);
	cr_assert_eq(sl_test_call_nrows(c, 0), 0, "nothing closed yet");
	/* watermark 12:09: [12:00, 12:10) still open */
	server_send(&srv, D "12:14:00,a\n");
	sl_test_wait_batches(c, 2);
	cr_assert_eq(sl_test_call_nrows(c, 1), 0);
	/* watermark 12:15: [12:00, 12:10) closes, emitted now */
	server_send(&srv, D "12:20:00,a\n");
	sl_test_wait_batches(c, 3);
	cr_assert_eq(sl_test_call_nrows(c, 2), 2);
	HAS(c, 2, D "12:00:00|a|2");
	HAS(c, 2, D "12:00:00|b|1");
	/* a late row for the closed window is dropped; nothing again */
	server_send(&srv, D "12:05:00,a\n" D "12:16:00,c\n");
	sl_test_wait_batches(c, 4);
	cr_assert_eq(sl_test_call_nrows(c, 3), 0);
	/* watermark 12:25: [12:10, 12:20) closes */
	server_send(&srv, D "12:30:00,z\n");
	sl_test_wait_batches(c, 5);
	cr_assert_eq(sl_test_call_nrows(c, 4), 2);
	HAS(c, 4, D "12:10:00|a|1");
	HAS(c, 4, D "12:10:00|c|1");
	sl_state_stats st = { .size = sizeof(st) };
	sl_query_state_stats(q, &st);
	cr_assert_eq(st.total_rows_dropped_by_watermark, 1);
	sl_query_stop(q);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

Test(stateful, aggregate_items_and_having)
{
	struct server srv;
	server_listen(&srv);
	sl_session *s = sl_session_new();
	sl_frame *w = socket_words(s, &srv);
	sl_frame *g = sl_frame_aggregate(
		w, OPTS("upper(word)"),
		OPTS("upper(word) AS w", "count(*) * 10 AS tens",
		     "max(length(word)) AS len"),
		"count(*) > 1 AND w <> 'X'");
	cr_assert(g, "%s", sl_session_errmsg(s));
	char sc[256];
	sl_frame_schema(g, sc, sizeof(sc));
	cr_assert_str_eq(sc, "w: string, tens: bigint, len: int");
	sl_test_collect *c = sl_test_collect_new();
	sl_query *q = sl_test_start(s, g, OPTS("outputMode", "complete"), c);
	server_accept(&srv);
	server_send(&srv, "a A bb x x c\n");
	sl_test_wait_batches(c, 1);
	cr_assert_eq(sl_test_call_nrows(c, 0), 1);
	HAS(c, 0, "A|20|1");
	sl_query_stop(q);
	sl_session_destroy(s);
	server_close(&srv);
	sl_test_collect_free(c);
}

Test(stateful, global_aggregation)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "100"));
	sl_frame *g = sl_frame_group_by(in, NULL,
					OPTS("count(*) AS n", "sum(value) AS s",
					     "avg(value) AS a"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(g, "memory",
				     OPTS("outputMode", "complete",
					  "queryName", "g", "trigger", "once"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), 1);
	sl_rows *r = sl_session_table(s, "g");
	cr_assert_eq(sl_rows_count(r), 1);
	cr_assert_eq(sl_rows_long(r, 0, 0), 100);
	cr_assert_eq(sl_rows_long(r, 0, 1), 4950);
	cr_assert_float_eq(sl_rows_double(r, 0, 2), 49.5, 1e-9);
	sl_rows_free(r);
	sl_session_destroy(s);
}

/* ---- Spark's compatibility table ---------------------------------------- */

static int check(sl_frame *f, const char *sink, const char *mode)
{
	return sl_frame_check_start(f, sink,
				    OPTS("outputMode", mode, "queryName",
					 "t"));
}

Test(stateful, compatibility_table)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	sl_frame *wm = sl_frame_with_watermark(in, "timestamp", "10 seconds");
	/* aggregation with an event-time watermark: append, update,
	 * complete */
	sl_frame *ew = sl_frame_group_by(
		wm, OPTS("window(timestamp, '10 seconds')", "value % 3"),
		OPTS("count(*)"));
	cr_assert(ew, "%s", sl_session_errmsg(s));
	cr_assert_eq(check(ew, "console", "append"), 0);
	cr_assert_eq(check(ew, "console", "update"), 0);
	cr_assert_eq(check(ew, "console", "complete"), 0);
	/* other aggregations: complete, update */
	sl_frame *ag = sl_frame_group_by(in, OPTS("value % 3"),
					 OPTS("count(*)"));
	cr_assert_eq(check(ag, "console", "complete"), 0);
	cr_assert_eq(check(ag, "console", "update"), 0);
	cr_assert_eq(check(ag, "console", "append"), SL_EMODE);
	cr_assert(strstr(sl_session_errmsg(s),
			 "Append output mode not supported when there are "
			 "streaming aggregations on streaming "
			 "DataFrames/DataSets without watermark"),
		  "%s", sl_session_errmsg(s));
	/* a watermark that is not on a grouping key does not allow append */
	sl_frame *nk = sl_frame_group_by(wm, OPTS("value % 3"),
					 OPTS("count(*)"));
	cr_assert_eq(check(nk, "console", "append"), SL_EMODE);
	cr_assert(strstr(sl_session_errmsg(s), "not on a grouping key"));
	cr_assert_eq(check(nk, "console", "update"), 0);
	/* session windows: append (with watermark) and complete */
	sl_frame *sw = sl_frame_group_by(
		wm, OPTS("session_window(timestamp, '5 seconds')"),
		OPTS("count(*)"));
	cr_assert(sw, "%s", sl_session_errmsg(s));
	cr_assert_eq(check(sw, "console", "append"), 0);
	cr_assert_eq(check(sw, "console", "update"), SL_EMODE);
	/* other queries: append, update; complete refused */
	sl_frame *st = sl_frame_select(in, OPTS("value"));
	cr_assert_eq(check(st, "console", "append"), 0);
	cr_assert_eq(check(st, "console", "update"), 0);
	cr_assert_eq(check(st, "console", "complete"), SL_EMODE);
	cr_assert(strstr(sl_session_errmsg(s),
			 "Complete output mode not supported when there are "
			 "no streaming aggregations"));
	cr_assert_eq(check(wm, "console", "append"), 0);
	/* the sink's own modes: memory takes append and complete */
	cr_assert_eq(check(ag, "memory", "complete"), 0);
	cr_assert_eq(check(ag, "memory", "update"), SL_EMODE);
	cr_assert(strstr(sl_session_errmsg(s), "sink 'memory' does not "
					       "support output mode 'update'"));
	cr_assert_eq(check(ew, "memory", "append"), 0);
	/* (mapGroupsWithState, flatMapGroupsWithState and joins have no API
	 * yet: nothing to allow or refuse.) */

	/* Allowed combinations really run. */
	const char *modes[] = { "append", "update", "complete" };
	for (int m = 0; m < 3; m++) {
		sl_frame *i2 = sl_session_read_stream(s, "rate-micro-batch",
					      OPTS("rowsPerBatch", "10"));
		sl_frame *w2 = sl_frame_with_watermark(i2, "timestamp",
						       "0 seconds");
		sl_frame *g2 = sl_frame_group_by(
			w2, OPTS("window(timestamp, '1 second')"),
			OPTS("count(*) AS n"));
		sl_query *q = sl_frame_start(g2, "noop",
					     OPTS("outputMode", modes[m],
						  "trigger", "once"),
					     NULL);
		cr_assert(q, "%s: %s", modes[m], sl_session_errmsg(s));
		cr_assert_eq(sl_query_await(q, 10000), 1);
	}
	sl_frame *i3 = sl_session_read_stream(s, "rate", NULL);
	sl_frame *g3 = sl_frame_group_by(i3, OPTS("value % 2"),
					 OPTS("count(*)"));
	cr_assert_null(sl_frame_start(g3, "noop",
				      OPTS("outputMode", "append"), NULL));
	cr_assert_eq(sl_session_errcode(s), SL_EMODE);
	sl_session_destroy(s);
}

Test(stateful, continuous_trigger_falls_back_to_micro_batches)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "5"));
	sl_frame *g = sl_frame_group_by(in, OPTS("value % 2 AS k"),
					OPTS("count(*) AS n"));
	/* the noop sink does not take continuous: a stateful query does not
	 * need it to */
	sl_query *q = sl_frame_start(g, "memory",
				     OPTS("outputMode", "complete",
					  "queryName", "c",
					  "trigger", "continuous 100 ms"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	sl_status st = { .size = sizeof(st) };
	sl_query_status(q, &st);
	cr_assert(strstr(st.message, "continuous trigger on a stateful "
				     "query: micro-batches every 100 ms"),
		  "%s", st.message);
	cr_assert(table_wait(s, "c", "0", "n", 5) ||
		  table_get(s, "c", "0", "n") > 5);
	sl_query_stop(q);
	sl_session_destroy(s);
}

/* ---- the flight data --------------------------------------------------------- */

static const char *data_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("SLUICE_TEST_DATA");
	if (env)
		return env;
	snprintf(buf, sizeof(buf), "%s", __FILE__);
	char *slash = strrchr(buf, '/');
	if (slash)
		snprintf(slash, sizeof(buf) - (size_t)(slash - buf),
			 "/../data");
	return buf;
}

struct country {
	char name[96];
	int64_t rows, flights;
};

/* Splits one CSV line into up to 3 fields, with "quoted, fields". */
static int csv3(const char *line, char f[3][96])
{
	int k = 0;
	size_t n = 0;
	bool q = false;
	memset(f, 0, 3 * 96);
	for (const char *p = line; *p && *p != '\n' && *p != '\r'; p++) {
		if (*p == '"') {
			q = !q;
		} else if (*p == ',' && !q) {
			if (++k == 3)
				return -1;
			n = 0;
		} else if (n < 95) {
			f[k][n++] = *p;
		}
	}
	return k + 1;
}

Test(stateful, flight_data_counts_by_destination)
{
	/* The expected figures, from the files themselves. */
	static struct country cs[512];
	uint32_t nc = 0;
	int64_t total_rows = 0;
	for (int y = 2010; y <= 2015; y++) {
		char path[PATH_MAX + 64], line[512];
		snprintf(path, sizeof(path), "%s/flight-data/csv/%d-summary.csv",
			 data_dir(), y);
		FILE *fp = fopen(path, "r");
		cr_assert(fp, "%s", path);
		bool header = true;
		while (fgets(line, sizeof(line), fp)) {
			char f[3][96];
			if (header) {
				header = false;
				continue;
			}
			cr_assert_eq(csv3(line, f), 3, "%s", line);
			uint32_t i = 0;
			while (i < nc && strcmp(cs[i].name, f[0]))
				i++;
			if (i == nc)
				snprintf(cs[nc++].name, 96, "%s", f[0]);
			cs[i].rows++;
			cs[i].flights += atoll(f[2]);
			total_rows++;
		}
		fclose(fp);
	}
	cr_assert_eq(total_rows, 1502);

	sl_session *s = sl_session_new();
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/flight-data/csv", data_dir());
	sl_frame *in = sl_session_read_stream(
		s, "csv",
		OPTS("path", dir, "header", "true", "maxFilesPerTrigger", "1",
		     "schema",
		     "DEST_COUNTRY_NAME STRING, ORIGIN_COUNTRY_NAME STRING, "
		     "count INT"));
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_frame *g = sl_frame_group_by(in, OPTS("DEST_COUNTRY_NAME"),
					OPTS("count(*) AS count",
					     "sum(count) AS flights"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	sl_test_collect *c = sl_test_collect_new();
	sl_sink_callbacks cb = c->cb;
	sl_query *q = sl_frame_start(g, "memory",
				     OPTS("outputMode", "complete",
					  "queryName", "flights",
					  "trigger", "availableNow"),
				     &cb);
	cr_assert(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 20000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_rows *r = sl_session_table(s, "flights");
	cr_assert_eq(sl_rows_count(r), nc);
	for (uint32_t i = 0; i < sl_rows_count(r); i++) {
		char k[128];
		sl_rows_string(r, i, 0, k, sizeof(k));
		uint32_t j = 0;
		while (j < nc && strcmp(cs[j].name, k))
			j++;
		cr_assert_lt(j, nc, "unexpected country %s", k);
		cr_assert_eq(sl_rows_long(r, i, 1), cs[j].rows, "%s", k);
		cr_assert_eq(sl_rows_long(r, i, 2), cs[j].flights, "%s", k);
	}
	sl_rows_free(r);
	/* one file a batch */
	char *prog = sl_query_recent_progress(q);
	cr_assert(prog);
	cr_assert(strstr(prog, "\"batchId\": 5"), "%s", prog);
	cr_assert_null(strstr(prog, "\"batchId\": 6"));
	free(prog);
	cr_assert_eq(table_get(s, "flights", "Egypt", "flights"), 89);
	cr_assert_eq(table_get(s, "flights", "United States", "flights"),
		     2348280);
	sl_session_destroy(s);
	sl_test_collect_free(c);
}

/* ---- memory under a watermark ------------------------------------------------- */

Test(stateful, state_memory_flat_with_watermark, .timeout = 120)
{
	/* 3M rows in 100 batches of 30,000; each batch 10 s of event time
	 * later; 500 keys in 1-minute windows behind a 2-minute watermark:
	 * about 500 x 3 open windows at any time. */
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "30000",
					   "advanceMillisPerBatch", "10000"));
	sl_frame *wm = sl_frame_with_watermark(in, "timestamp", "2 minutes");
	sl_frame *g = sl_frame_group_by(
		wm, OPTS("window(timestamp, '1 minute')", "value % 500 AS k"),
		OPTS("count(*) AS n", "sum(value) AS s"));
	cr_assert(g, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(g, "noop",
				     OPTS("outputMode", "update"), NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	uint64_t mem_early = 0, mem_max_late = 0, groups_max = 0;
	sl_state_stats st = { .size = sizeof(st), .batch_id = -1 };
	for (int i = 0; i < 20000 && st.batch_id < 99; i++) {
		usleep(2000);
		sl_query_state_stats(q, &st);
		if (st.batch_id >= 20 && st.batch_id < 30 &&
		    st.memory_used_bytes > mem_early)
			mem_early = st.memory_used_bytes;
		if (st.batch_id >= 60 &&
		    st.memory_used_bytes > mem_max_late)
			mem_max_late = st.memory_used_bytes;
		if (st.num_rows_total > groups_max)
			groups_max = st.num_rows_total;
	}
	cr_assert_geq(st.batch_id, 99, "only %lld batches",
		      (long long)st.batch_id);
	sl_query_stop(q);
	cr_assert_leq(groups_max, 3000, "%llu groups",
		      (unsigned long long)groups_max);
	cr_assert_gt(mem_early, 0);
	cr_assert_leq(mem_max_late, mem_early * 2, "%llu then %llu bytes",
		      (unsigned long long)mem_early,
		      (unsigned long long)mem_max_late);
	cr_assert_leq(mem_max_late, 4u << 20);
	sl_session_destroy(s);
}
