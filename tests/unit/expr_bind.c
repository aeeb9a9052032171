/* tests/unit/expr_bind.c - binding (expr/bind.c): unknown columns and
 * functions, argument counts, field and type errors, ambiguous references, and
 * the aggregates and windows bind refuses outside GROUP BY.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_bind, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

/* ---- aggregates and windows ------------------------------------------- */

Test(expr_bind, aggregates_are_recognised_and_refused)
{
	sl_err err = { 0 };
	const char *aggs[] = { "count(*)",
			       "count(value)",
			       "sum(value)",
			       "avg(d)",
			       "min(s)",
			       "max(s)",
			       "approx_count_distinct(s)",
			       "collect_list(s)",
			       "first(s)",
			       "last(s)",
			       "1 + sum(value)",
			       "count(DISTINCT s)",
			       NULL };
	for (int k = 0; aggs[k]; k++) {
		sl_expr *e =
			sl_expr_parse(aggs[k], true, &sl_test_expr_arena, &err);
		cr_assert_not_null(e, "%s: %s", aggs[k], err.msg);
		cr_assert(sl_expr_has_aggregate(e), "%s", aggs[k]);
		cr_assert_eq(sl_expr_bind(e, sl_test_expr_schema,
					  &sl_test_expr_arena, &err),
			     SL_EANALYSIS);
		cr_assert(strstr(err.msg, "needs GROUP BY"), "%s", err.msg);
		cr_assert(strstr(err.msg, "grouped query"), "%s", err.msg);
	}
	err = sl_test_expr_bind_error("count(value)");
	cr_assert_str_eq(err.msg,
			 "aggregate function count() needs GROUP BY: "
			 "aggregates belong in the select list of a grouped "
			 "query (GROUP BY, sl_frame_group_by)");
	cr_assert_not(sl_expr_has_aggregate(sl_expr_parse(
		"upper(s) || counter", true, &sl_test_expr_arena, &err)));
}

Test(expr_bind, window_is_refused_with_a_message)
{
	sl_err err = sl_test_expr_bind_error("window(ts, '10 seconds')");
	cr_assert(strstr(err.msg, "window()"), "%s", err.msg);
	cr_assert(strstr(err.msg, "GROUP BY"), "%s", err.msg);
	err = sl_test_expr_bind_error("session_window(ts, '5 minutes')");
	cr_assert(strstr(err.msg, "session_window()"), "%s", err.msg);
}

/* ---- bind errors ------------------------------------------------------ */

Test(expr_bind, unknown_column)
{
	sl_err err = { 0 };
	sl_schema *two = sl_schema_parse("timestamp TIMESTAMP, value BIGINT",
					 &sl_test_expr_arena, &err);
	sl_expr *e =
		sl_expr_parse("sgnal > 10", false, &sl_test_expr_arena, &err);
	cr_assert_eq(sl_expr_bind(e, two, &sl_test_expr_arena, &err),
		     SL_EANALYSIS);
	cr_assert_str_eq(err.msg, "cannot resolve 'sgnal' given input "
				  "columns: [timestamp, value]");
	cr_assert_eq(err.pos, 1);
	e = sl_expr_parse("value + x.y", false, &sl_test_expr_arena, &err);
	cr_assert_eq(sl_expr_bind(e, two, &sl_test_expr_arena, &err),
		     SL_EANALYSIS);
	cr_assert(strstr(err.msg, "'x.y'"), "%s", err.msg);
	cr_assert_eq(err.pos, 9);
}

Test(expr_bind, unknown_function_and_argument_counts)
{
	sl_err err = sl_test_expr_bind_error("foo(value)");
	cr_assert_str_eq(err.msg, "undefined function: 'foo'");
	err = sl_test_expr_bind_error("upper(s, 1)");
	cr_assert_str_eq(err.msg, "invalid number of arguments for function "
				  "upper: expected 1, found 2");
	err = sl_test_expr_bind_error("split(s)");
	cr_assert(strstr(err.msg, "split: expected 2 or 3, found 1"), "%s",
		  err.msg);
	err = sl_test_expr_bind_error("coalesce()");
	cr_assert(strstr(err.msg, "expected at least 1, found 0"), "%s",
		  err.msg);
}

Test(expr_bind, field_and_type_errors)
{
	sl_err err = sl_test_expr_bind_error("st.c");
	cr_assert(strstr(err.msg, "no such struct field 'c'"), "%s", err.msg);
	err = sl_test_expr_bind_error("s.x");
	cr_assert(strstr(err.msg, "not a struct"), "%s", err.msg);
	sl_test_expr_bind_error("b + 1");
	sl_test_expr_bind_error("arr[0] + arr");
	sl_test_expr_bind_error("-b");
	sl_test_expr_bind_error("s[0]");
}

Test(expr_bind, ambiguous_reference)
{
	sl_err err = { 0 };
	sl_schema *dup =
		sl_schema_parse("a INT, A INT", &sl_test_expr_arena, &err);
	sl_expr *e = sl_expr_parse("a + 1", false, &sl_test_expr_arena, &err);
	cr_assert_eq(sl_expr_bind(e, dup, &sl_test_expr_arena, &err),
		     SL_EANALYSIS);
	cr_assert(strstr(err.msg, "ambiguous"), "%s", err.msg);
}
