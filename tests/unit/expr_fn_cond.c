/* tests/unit/expr_fn_cond.c - the conditional group (expr/fn_cond.c):
 * lazy branches, null rules, types and names as PySpark 4 gives them.
 * The row is tests/support/expr_fixture.h's (i = -3, s = 'Hello World',
 * ns and nd null). */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_cond, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_cond, if_takes_one_branch)
{
	EXPR_EQ("if(i < 0, 'neg', 'pos')", "neg");
	EXPR_EQ("if(NULL, 1, 2)", "2");
	EXPR_EQ("if(i > 0, 1, value)", "42");
	EXPR_TYPE("if(i > 0, 1, value)", "bigint");
	/* the error's branch is not evaluated */
	EXPR_EQ("if(i < 0, 1, raise_error('no'))", "1");
	EXPR_NAME("if(1 > 0, 'y', 'n')", "(IF((1 > 0), y, n))");
	sl_err e = sl_test_expr_bind_error("if(s, 1, 2)");
	cr_assert_not_null(strstr(e.msg, "BOOLEAN"), "%s", e.msg);
}

Test(expr_fn_cond, null_functions)
{
	EXPR_EQ("ifnull(ns, 'x')", "x");
	EXPR_EQ("nvl(s, 'x')", "Hello World");
	EXPR_EQ("nvl2(ns, 1, 2)", "2");
	EXPR_EQ("nvl2(s, 1, 2)", "1");
	EXPR_NULL("nullif(i, -3)");
	EXPR_EQ("nullif(i, 3)", "-3");
	EXPR_TYPE("nullif(i, value)", "int");
	EXPR_EQ("equal_null(ns, NULL)", "true");
	EXPR_EQ("equal_null(i, NULL)", "false");
	EXPR_EQ("nanvl(CAST('NaN' AS DOUBLE), 1)", "1.0");
	EXPR_EQ("nanvl(d, 1)", "2.5");
	EXPR_NULL("nanvl(nd, 1)");
	EXPR_EQ("zeroifnull(CAST(NULL AS INT))", "0");
	EXPR_NULL("nullifzero(0)");
	EXPR_EQ("nullifzero(i)", "-3");
}

Test(expr_fn_cond, assert_and_raise)
{
	EXPR_NULL("assert_true(i < 0)");
	EXPR_TYPE("assert_true(i < 0)", "void");
	const char *m = sl_test_expr_eval_error("assert_true(i > 0)");
	cr_assert_not_null(strstr(m, "USER_RAISED_EXCEPTION"), "%s", m);
	cr_assert_not_null(strstr(m, "'(i > 0)' is not true!"), "%s", m);
	m = sl_test_expr_eval_error("assert_true(i > 0, 'bad i')");
	cr_assert_not_null(strstr(m, "bad i"), "%s", m);
	m = sl_test_expr_eval_error("raise_error(concat('x', s))");
	cr_assert_not_null(strstr(m, "xHello World"), "%s", m);
	EXPR_NAME("raise_error('a')",
		  "raise_error(USER_RAISED_EXCEPTION, map(errorMessage, a))");
}
