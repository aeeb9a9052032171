/* tests/unit/engine_oom.c - an allocation that fails is an error, never an
 * abort (core/alloc.h, docs/api/aborts.md): with the Nth allocation made
 * to fail, for every N over a small query's setup and its first
 * micro-batches (a CSV file source, a select, an aggregation, the memory
 * sink), each call either succeeds or returns SL_ENOMEM with a message,
 * and a query whose thread hit the failure stops with SL_ENOMEM, visible
 * through sl_query_await, sl_query_status and sl_query_stop. Under
 * AddressSanitizer (make SAN=asan) the leak check at exit covers every
 * run. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/sink_file.h"
#include "sluice.h"
#include "tests/support/files.h"
#include "tests/support/sanitizer.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* The source's two files. */
#define A_CSV "apple,1\npear,2\n"
#define B_CSV "apple,3\npear,4\npear,5\n"

typedef enum {
	RUN_OK,         /* no allocation failed: the right result */
	RUN_CALL_FAILED,/* a setup call returned SL_ENOMEM */
	RUN_QUERY_FAILED, /* the query stopped with SL_ENOMEM */
} run_result;

/* The aggregation's stateful partitions: 1 runs it on the sink thread,
 * 2 on two worker threads (engine/stateful_part.c). */
static const char *stateful_parts = "1";
/* With a checkpoint (NULL: none): after a run that failed, the same
 * query restarted from it must give the right table. */
static const char *checkpoint;
/* 1 once c.csv (apple,10) is in the source directory */
static int third_file;

/* Log lines that say a deferred release was left behind
 * (core/util.c): there must be none. */
static _Atomic int unbalanced;

static void count_unbalanced(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	if (strstr(msg, "without sl_oom_undefer"))
		unbalanced++;
}

static bool is_oom_message(const char *m)
{
	return m && strstr(m, "out of memory");
}

/* Setup, two batches, the result table: with the nth allocation failing
 * (0: none); *count (if not NULL): the allocations counted. */
static run_result run_query(const char *dir, uint64_t n, uint64_t *count)
{
	run_result res = RUN_OK;
	sl_alloc_fail_nth(n);
	sl_session *s = sl_session_new();
	if (s)
		sl_session_set_log_cb(s, count_unbalanced, NULL);
	if (!s) {
		/* "NULL only when out of memory" */
		cr_assert(sl_alloc_failed());
		sl_alloc_fail_nth(0);
		return RUN_CALL_FAILED;
	}
	sl_frame *in = sl_session_read_stream(
		s, "csv",
		OPTS("path", dir, "maxFilesPerTrigger", "1", "schema",
		     "word STRING, n INT"));
	/* RLIKE: the regex cache's allocations are walked too */
	sl_frame *wh = in ? sl_frame_where(in, "word RLIKE '.*'") : NULL;
	sl_frame *sel = wh ? sl_frame_select(wh, OPTS("upper(word) AS w",
						      "n * 2 AS n2"))
			   : NULL;
	sl_frame *g = sel ? sl_frame_group_by(sel, OPTS("w"),
					      OPTS("count(*) AS c",
						   "sum(n2) AS s"))
			  : NULL;
	sl_query *q = g ? sl_frame_start(g, "memory",
					 OPTS("outputMode", "complete",
					      "queryName", "words",
					      "trigger", "availableNow",
					      "statefulPartitions",
					      stateful_parts,
					      checkpoint ? "checkpointLocation"
							 : NULL,
					      checkpoint),
					 NULL)
			: NULL;
	if (!q) {
		cr_assert_eq(sl_session_errcode(s), SL_ENOMEM,
			     "n=%llu: %s (%d)", (unsigned long long)n,
			     sl_session_errmsg(s), sl_session_errcode(s));
		cr_assert(is_oom_message(sl_session_errmsg(s)), "%s",
			  sl_session_errmsg(s));
		res = RUN_CALL_FAILED;
		goto out;
	}
	int rc = sl_query_await(q, 30000);
	cr_assert_neq(rc, 0, "n=%llu: the query did not end",
		      (unsigned long long)n);
	const char *exc = sl_query_exception(q);
	if (rc == SL_ESTOPPED) {
		cr_assert(is_oom_message(exc), "n=%llu: %s",
			  (unsigned long long)n, exc ? exc : "(none)");
		sl_status st = { .size = sizeof(st) };
		sl_query_status(q, &st);
		cr_assert_eq(st.error, SL_ENOMEM);
		cr_assert_str_eq(st.message, "Stopped");
		cr_assert_eq(sl_query_stop(q), SL_ENOMEM);
		res = RUN_QUERY_FAILED;
		goto out;
	}
	cr_assert_eq(rc, 1, "n=%llu: %d %s", (unsigned long long)n, rc,
		     exc ? exc : "");
	cr_assert_null(exc, "n=%llu: %s", (unsigned long long)n, exc);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_rows *r = sl_session_table(s, "words");
	if (!r) {
		cr_assert_eq(sl_session_errcode(s), SL_ENOMEM, "%s",
			     sl_session_errmsg(s));
		res = RUN_CALL_FAILED;
		goto out;
	}
	/* APPLE: 1 + 3, PEAR: 2 + 4 + 5, over the two files; with the
	 * third (after a restart): APPLE + 10 */
	cr_assert_eq(sl_rows_count(r), 2, "n=%llu",
		     (unsigned long long)n);
	for (uint32_t i = 0; i < sl_rows_count(r); i++) {
		char w[16];
		sl_rows_string(r, i, 0, w, sizeof(w));
		bool apple = !strcmp(w, "APPLE");
		cr_assert(apple || !strcmp(w, "PEAR"), "%s", w);
		cr_assert_eq(sl_rows_long(r, i, 1),
			     apple ? 2 + third_file : 3);
		cr_assert_eq(sl_rows_long(r, i, 2),
			     apple ? 8 + 20 * third_file : 22);
	}
	sl_rows_free(r);
out:
	sl_session_destroy(s);
	bool failed = sl_alloc_failed();
	if (count)
		*count = sl_alloc_count();
	sl_alloc_fail_nth(0);
	cr_assert_eq(unbalanced, 0, "n=%llu: a deferred release left behind",
		     (unsigned long long)n);
	if (res == RUN_OK)
		/* a failure nobody saw would be one swallowed */
		cr_assert_not(failed, "n=%llu: an allocation failed but "
			      "every call succeeded",
			      (unsigned long long)n);
	return res;
}

/* Every N from 1 to past the count of one whole run. */
static void fail_each_allocation(bool with_checkpoint)
{
	char *dir = sl_test_tmpdir("sluice-oom");
	sl_test_write_file_in(dir, "a.csv", A_CSV);
	sl_test_write_file_in(dir, "b.csv", B_CSV);

	/* How many counted allocations one whole run makes (n past the
	 * end: none fails). */
	uint64_t total = 0;
	char *ck0 = with_checkpoint ? sl_test_tmpdir("sluice-oom-ck") : NULL;
	checkpoint = ck0;
	cr_assert_eq(run_query(dir, UINT64_MAX, &total), RUN_OK);
	checkpoint = NULL;
	if (ck0)
		sl_test_tmpdir_free(ck0);
	cr_assert_gt(total, 50, "only %llu allocations counted",
		     (unsigned long long)total);

	unsigned calls = 0, queries = 0, oks = 0;
	/* The count varies a little between runs (threads, timing): go
	 * past it. */
	/* SL_OOM_FROM=N: start at N (to look at one failure). */
	const char *from = getenv("SL_OOM_FROM");
	for (uint64_t n = from ? strtoull(from, NULL, 10) : 1;
	     n <= total + 20; n++) {
		if (getenv("SL_OOM_VERBOSE"))
			fprintf(stderr, "n=%llu\n", (unsigned long long)n);
		char *ck = with_checkpoint ? sl_test_tmpdir("sluice-oom-ck")
					   : NULL;
		/* a directory of its own, which the restart adds to */
		char *in = ck ? sl_test_tmpdir("sluice-oom-in") : NULL;
		if (in) {
			sl_test_write_file_in(in, "a.csv", A_CSV);
			sl_test_write_file_in(in, "b.csv", B_CSV);
		}
		checkpoint = ck;
		run_result res = run_query(in ? in : dir, n, NULL);
		switch (res) {
		case RUN_OK: oks++; break;
		case RUN_CALL_FAILED: calls++; break;
		case RUN_QUERY_FAILED: queries++; break;
		}
		/* what the failed run left in the checkpoint is recovered:
		 * the restarted query's table is the whole result */
		if (ck && res != RUN_OK) {
			sl_test_write_file_in(in, "c.csv", "apple,10\n");
			third_file = 1;
			cr_assert_eq(run_query(in, 0, NULL), RUN_OK,
				     "n=%llu: the restart from the checkpoint",
				     (unsigned long long)n);
			third_file = 0;
		}
		checkpoint = NULL;
		if (ck) {
			sl_test_tmpdir_free(ck);
			sl_test_tmpdir_free(in);
		}
	}
	cr_log_info("%llu allocations: %u calls failed, %u queries failed, "
		    "%u runs succeeded",
		    (unsigned long long)total, calls, queries, oks);
	cr_assert_gt(calls, 0);
	cr_assert_gt(queries, 0);
	sl_test_tmpdir_free(dir);
}

Test(oom, every_allocation_of_setup_and_first_batches_may_fail,
     .timeout = 600)
{
	fail_each_allocation(false);
}

Test(oom, so_may_those_of_stateful_partition_threads, .timeout = 600)
{
	stateful_parts = "2";
	fail_each_allocation(false);
}

Test(oom, and_those_of_checkpoints_which_a_restart_recovers,
     .timeout = 600)
{
	fail_each_allocation(true);
}

/* ---- a file sink: exactly once after any failure ------------------------ */

/* The select of the two files into a file sink of format fmt at out,
 * with a checkpoint at ck, the nth allocation failing. */
static run_result run_to_files(const char *in, const char *out,
			       const char *ck, const char *fmt, uint64_t n)
{
	run_result res = RUN_OK;
	sl_alloc_fail_nth(n);
	sl_session *s = sl_session_new();
	cr_assert(s);
	sl_session_set_log_cb(s, count_unbalanced, NULL);
	sl_frame *f = sl_session_read_stream(
		s, "csv",
		OPTS("path", in, "maxFilesPerTrigger", "1", "schema",
		     "word STRING, n INT"));
	f = f ? sl_frame_select(f, OPTS("upper(word) AS w", "n * 2 AS n2"))
	      : NULL;
	sl_query *q = f ? sl_frame_start(f, fmt,
					 OPTS("path", out, "checkpointLocation",
					      ck, "trigger", "availableNow"),
					 NULL)
			: NULL;
	if (!q) {
		cr_assert_eq(sl_session_errcode(s), SL_ENOMEM, "n=%llu: %s",
			     (unsigned long long)n, sl_session_errmsg(s));
		res = RUN_CALL_FAILED;
	} else {
		int rc = sl_query_await(q, 30000);
		if (rc == SL_ESTOPPED) {
			cr_assert_eq(sl_query_stop(q), SL_ENOMEM, "n=%llu: %s",
				     (unsigned long long)n,
				     sl_query_exception(q));
			res = RUN_QUERY_FAILED;
		} else {
			cr_assert_eq(rc, 1, "n=%llu: %s", (unsigned long long)n,
				     sl_query_exception(q)
					     ? sl_query_exception(q)
					     : "");
		}
	}
	sl_session_destroy(s);
	bool failed = sl_alloc_failed();
	sl_alloc_fail_nth(0);
	cr_assert_eq(unbalanced, 0, "n=%llu: a deferred release left behind",
		     (unsigned long long)n);
	if (res == RUN_OK)
		cr_assert_not(failed, "n=%llu: a failure nobody saw",
			      (unsigned long long)n);
	return res;
}

/* The lines of the files the sink at out committed. */
static size_t committed_lines(const char *out)
{
	char **files = NULL;
	size_t nf = 0, lines = 0;
	sl_err err = { 0 };
	if (sl_file_sink_list(out, &files, &nf, &err) == SL_ENOTFOUND)
		return 0;
	for (size_t i = 0; i < nf; i++) {
		char *t = sl_test_read_file(files[i]);
		for (char *c = t; *c; c++)
			lines += *c == '\n';
		free(t);
	}
	sl_file_sink_list_free(files, nf);
	return lines;
}

static void fail_each_allocation_of_a_file_sink(const char *fmt)
{
	char *in = sl_test_tmpdir("sluice-oom-in");
	sl_test_write_file_in(in, "a.csv", A_CSV);
	sl_test_write_file_in(in, "b.csv", B_CSV);
	char *out, *ck;
	unsigned failures = 0;
	for (uint64_t n = 1; n <= 200; n++) {
		out = sl_test_tmpdir("sluice-oom-out");
		ck = sl_test_tmpdir("sluice-oom-ck");
		run_result res = run_to_files(in, out, ck, fmt, n);
		if (res != RUN_OK) {
			failures++;
			/* restarted, the output holds each row once (header
			 * lines: none, the sinks write none by default) */
			cr_assert_eq(run_to_files(in, out, ck, fmt, 0), RUN_OK);
		}
		cr_assert_eq(committed_lines(out), 5, "n=%llu",
			     (unsigned long long)n);
		sl_test_tmpdir_free(out);
		sl_test_tmpdir_free(ck);
		if (res == RUN_OK)
			break; /* n is past the run's last allocation */
	}
	cr_log_info("%s sink: %u runs failed, each restarted", fmt, failures);
	cr_assert_gt(failures, 20);
	sl_test_tmpdir_free(in);
}

Test(oom, a_file_sink_restarted_after_any_failure_writes_each_row_once,
     .timeout = 600)
{
	fail_each_allocation_of_a_file_sink("json");
	fail_each_allocation_of_a_file_sink("csv");
}
