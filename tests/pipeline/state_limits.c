/* tests/pipeline/state_limits.c - the state bounds of stateful queries
 * (maxStateRows, maxStateBytes; engine/stateful.c): a GROUP BY whose
 * groups grow past the limit fails at the end of the batch that crossed
 * it, naming the operator, the size and the option; under the limit it
 * runs as before; and a deduplication is bounded the same way. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sluice.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* 100 rows a batch of rate-micro-batch, `trigger` batches: every value its
 * own group. Returns the query, ended or failed. */
static sl_query *distinct_values(sl_session *s, bool dedup,
				 const char *const *opts)
{
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "100"));
	sl_frame *f = dedup ? sl_frame_drop_duplicates(in, OPTS("value"))
			    : sl_frame_group_by(in, OPTS("value"),
						OPTS("count(*) AS n"));
	cr_assert(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(f, "memory", opts, NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	return q;
}

Test(state_limits, rows_past_max_state_rows_fail_the_query, .timeout = 60)
{
	sl_session *s = sl_session_new();
	sl_query *q = distinct_values(
		s, false,
		OPTS("outputMode", "complete", "queryName", "g", "maxStateRows",
		     "250"));

	cr_assert_eq(sl_query_await(q, 20000), SL_ESTOPPED);
	const char *e = sl_query_exception(q);
	cr_assert_not_null(e);
	/* batches 0 and 1 hold 100 and 200 groups; batch 2, 300 */
	cr_assert(strstr(e, "holds 300 rows of state after batch 2, more "
			    "than maxStateRows (250)"),
		  "%s", e);
	sl_session_destroy(s);
}

Test(state_limits, bytes_past_max_state_bytes_fail_the_query, .timeout = 60)
{
	sl_session *s = sl_session_new();
	sl_query *q = distinct_values(
		s, true,
		OPTS("queryName", "d", "maxStateBytes", "20000"));

	cr_assert_eq(sl_query_await(q, 20000), SL_ESTOPPED);
	const char *e = sl_query_exception(q);
	cr_assert_not_null(e);
	cr_assert(strstr(e, "bytes of state after batch"), "%s", e);
	cr_assert(strstr(e, "more than maxStateBytes (20000)"), "%s", e);
	cr_assert(strstr(e, "stateful operator '"), "%s", e);
	sl_session_destroy(s);
}

Test(state_limits, under_the_limits_the_query_runs, .timeout = 60)
{
	sl_session *s = sl_session_new();
	sl_query *q = distinct_values(
		s, false,
		OPTS("outputMode", "complete", "queryName", "ok", "trigger",
		     "once", "maxStateRows", "100", "maxStateBytes",
		     "100000000"));

	cr_assert_eq(sl_query_await(q, 20000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_rows *r = sl_session_table(s, "ok");
	cr_assert_not_null(r);
	cr_assert_eq(sl_rows_count(r), 100);
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(state_limits, bad_values_are_refused)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "1"));
	sl_frame *g = sl_frame_group_by(in, OPTS("value"),
					OPTS("count(*) AS n"));

	cr_assert(g, "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_start(g, "memory",
				      OPTS("outputMode", "complete",
					   "maxStateRows", "-1"),
				      NULL));
	cr_assert(strstr(sl_session_errmsg(s), "maxStateRows"), "%s",
		  sl_session_errmsg(s));
	sl_session_destroy(s);
}
