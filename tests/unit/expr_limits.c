/* tests/unit/expr_limits.c - the expression parser and binder on extreme
 * texts (expr/parse.c, expr/bind.c, expr/sql_text.c): nesting past the
 * depth limit is a syntax error at the position where it happens, never a
 * stack overflow, and long flat chains (`v + v + ... + v`) parse, bind and
 * evaluate in linear time and memory with the same names as short ones.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_limits, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

/* prefix repeated n times, then middle, then suffix n times (malloc'd) */
static char *repeat(const char *prefix, size_t n, const char *middle,
		    const char *suffix)
{
	size_t lp = strlen(prefix), lm = strlen(middle), ls = strlen(suffix);
	char *s = malloc(n * (lp + ls) + lm + 1), *w = s;
	for (size_t i = 0; i < n; i++, w += lp)
		memcpy(w, prefix, lp);
	memcpy(w, middle, lm);
	w += lm;
	for (size_t i = 0; i < n; i++, w += ls)
		memcpy(w, suffix, ls);
	*w = 0;
	return s;
}

Test(expr_limits, deep_parentheses_are_a_syntax_error_at_the_limit)
{
	char *text = repeat("(", 100000, "value", ")");
	sl_err err = sl_test_expr_parse_error(text);
	/* the 1001st '(' is the one too many */
	cr_assert_eq(err.pos, 1001, "%d", err.pos);
	cr_assert_str_eq(err.msg,
			 "syntax error at position 1001 near '(': "
			 "the expression nests deeper than 1000 levels");
	free(text);
}

Test(expr_limits, deep_unary_minus_and_not_are_syntax_errors)
{
	char *text = repeat("- ", 100000, "value", "");
	sl_err err = sl_test_expr_parse_error(text);
	cr_assert(strstr(err.msg, "nests deeper than 1000 levels"), "%s",
		  err.msg);
	cr_assert_gt(err.pos, 1000);
	free(text);
	text = repeat("NOT ", 100000, "b", "");
	err = sl_test_expr_parse_error(text);
	cr_assert(strstr(err.msg, "nests deeper than 1000 levels"), "%s",
		  err.msg);
	free(text);
	text = repeat("upper(", 100000, "s", ")");
	err = sl_test_expr_parse_error(text);
	cr_assert(strstr(err.msg, "nests deeper than 1000 levels"), "%s",
		  err.msg);
	free(text);
}

Test(expr_limits, nesting_within_the_limit_still_works)
{
	char *text = repeat("(", 900, "value", ")");
	EXPR_EQ(text, "42");
	free(text);
	text = repeat("- ", 900, "value", "");
	EXPR_EQ(text, "42");
	free(text);
}

Test(expr_limits, a_flat_chain_of_100000_terms_parses_binds_and_evaluates)
{
	char *text = repeat("value + ", 99999, "value", "");
	sl_value v = sl_test_expr_value(text);
	cr_assert_eq(v.type, SL_LONG);
	cr_assert_eq(v.v.i64, 42LL * 100000);
	free(text);
	text = repeat("b AND ", 99999, "b", "");
	EXPR_EQ(text, "true");
	free(text);
}

Test(expr_limits, chains_keep_spark_names)
{
	EXPR_NAME("value + 1 + 2 + 3", "(((value + 1) + 2) + 3)");
	EXPR_NAME("i != 1 AND b OR b AND b",
		  "(((NOT (i = 1)) AND b) OR (b AND b))");
	EXPR_NAME("dt + 1 + 1", "date_add(date_add(dt, 1), 1)");
	EXPR_NAME("value + i + d", "((value + i) + d)");
	sl_err err = sl_test_expr_bind_error("value + 1 + s + b");
	cr_assert(strstr(err.msg, "'(((value + 1) + s) + b)'"), "%s", err.msg);
}

/* Values at the ends of the range give Spark's answers, never a wrapped
 * year (UBSan checks the arithmetic too): a DATE whose microseconds pass a
 * long fails its CAST to TIMESTAMP in both modes, as Spark's "long
 * overflow"; a timestamp text past the range is no timestamp; formatting
 * the smallest timestamp does not overflow. */
Test(expr_limits, ends_of_the_date_and_time_range)
{
	const char *e = sl_test_expr_eval_error(
		"CAST(CAST('-5877641-06-23' AS DATE) AS TIMESTAMP)");
	cr_assert(e && strstr(e, "ARITHMETIC_OVERFLOW") &&
			  strstr(e, "long overflow"),
		  "%s", e ? e : "(no error)");
	e = sl_test_expr_eval_error(
		"CAST(CAST('5881580-07-11' AS DATE) AS TIMESTAMP)");
	cr_assert(e && strstr(e, "long overflow"), "%s", e ? e : "(none)");
	cr_assert_str_eq(sl_test_expr_text(
				 "CAST(CAST('294247-01-10' AS DATE) AS TIMESTAMP)"),
			 "+294247-01-10 00:00:00");
	EXPR_NULL("try_cast('376669' AS TIMESTAMP)");
	EXPR_NULL("try_cast('294247-01-10 04:00:54.775808' AS TIMESTAMP)");
	cr_assert_str_eq(sl_test_expr_text("CAST(CAST('294247-01-10 "
					   "04:00:54.775807' AS TIMESTAMP) AS "
					   "STRING)"),
			 "+294247-01-10 04:00:54.775807");
}
