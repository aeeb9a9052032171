/* tests/unit/engine_stateful_plan.c - planning stateful operators
 * (engine/stateful_plan.c) through the public API, no query run: the
 * analysis errors of aggregations and watermarks (Spark's messages), and
 * the statefulPartitions rules of the operators that run on one stateful
 * partition. The queries that run are under tests/pipeline/stateful_*.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "sluice.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* ---- analysis errors
 * --------------------------------------------------------- */

/* The session the frames below belong to: each keeps its own error. */
static sl_session *plan_session;

static void refused(sl_frame *f, int code, const char *part)
{
	cr_assert_null(f);
	cr_assert_eq(sl_session_errcode(plan_session), code, "%s",
		     sl_session_errmsg(plan_session));
	cr_assert(strstr(sl_session_errmsg(plan_session), part), "%s",
		  sl_session_errmsg(plan_session));
}

Test(stateful_plan, analysis_errors)
{
	sl_session *s = sl_session_new();
	plan_session = s;
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	refused(sl_frame_aggregate(in, OPTS("value % 2"),
				   OPTS("timestamp", "count(*)"), NULL),
		SL_EANALYSIS,
		"expression 'timestamp' is neither present in the group by, "
		"nor is it an aggregate function");
	refused(sl_frame_group_by(in, OPTS("value"),
				  OPTS("count(DISTINCT timestamp)")),
		SL_EANALYSIS, "distinct aggregations are not supported");
	refused(sl_frame_group_by(in, OPTS("value"), OPTS("sum(max(value))")),
		SL_EANALYSIS, "aggregate function in the argument of another");
	refused(sl_frame_group_by(in, OPTS("value"), OPTS("value + 1")),
		SL_EANALYSIS, "is not an aggregate expression");
	refused(sl_frame_group_by(in, OPTS("count(*)"), OPTS("count(*)")),
		SL_EANALYSIS, "not allowed in GROUP BY");
	refused(sl_frame_group_by(in, OPTS("window(value, '1 minute')"),
				  OPTS("count(*)")),
		SL_EANALYSIS, "must be a timestamp");
	refused(sl_frame_group_by(in, OPTS("window(timestamp, '1 month')"),
				  OPTS("count(*)")),
		SL_EANALYSIS, "window()");
	refused(sl_frame_group_by(in, OPTS("value"),
				  OPTS("collect_set(value)")),
		SL_EANALYSIS, "collect_set() is not supported");
	refused(sl_frame_group_by(in, OPTS("value"), OPTS("sum(nope)")),
		SL_EANALYSIS, "cannot resolve 'nope'");
	refused(sl_frame_with_watermark(in, "value", "10 minutes"),
		SL_EANALYSIS,
		"Event time must be defined on a window or a "
		"timestamp");
	refused(sl_frame_with_watermark(in, "timestamp", "soon"), SL_EINVAL,
		"delay 'soon'");
	sl_frame *g = sl_frame_group_by(in, OPTS("value"), OPTS("count(*)"));
	cr_assert(g);
	char sc[256];
	sl_frame_schema(g, sc, sizeof(sc));
	cr_assert_str_eq(sc, "value: bigint, count(1): bigint");
	refused(sl_frame_group_by(g, OPTS("value"), OPTS("count(*)")),
		SL_EANALYSIS,
		"Multiple streaming aggregations are not "
		"supported");
	refused(sl_frame_where(g, "count(*) > 1"), SL_EANALYSIS,
		"aggregate functions are not allowed in WHERE");
	cr_assert(sl_frame_where(g, "`count(1)` > 1"));
	sl_session_destroy(s);
}

/* ---- stateful partitions
 * ----------------------------------------------------- */

Test(stateful_plan, one_partition_operators_refuse_more)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "10"));
	sl_frame *d = sl_frame_drop_duplicates(in, OPTS("value"));
	cr_assert_not_null(d, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_frame_check_start(d, "noop",
					  OPTS("outputMode", "append",
					       "statefulPartitions", "2")),
		     SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s),
			 "statefulPartitions 2: only aggregations run on "
			 "several stateful partitions; "
			 "dropDuplicates/DISTINCT runs on one"),
		  "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_frame_check_start(d, "noop",
					  OPTS("outputMode", "append",
					       "statefulPartitions", "65")),
		     SL_EOPTION, "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}
