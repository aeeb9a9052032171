/* tests/unit/expr_fn_math.c - the math group (expr/fn_math.c): null and
 * NaN rules, integer semantics, rounding and the names Spark gives the
 * calls; expected values are PySpark 4's. The row is
 * tests/support/expr_fixture.h's (value = 42, i = -3, d = 2.5). */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_math, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_math, double_functions)
{
	EXPR_EQ("sqrt(16)", "4.0");
	EXPR_EQ("sqrt(-1)", "NaN");
	EXPR_EQ("cbrt(-27)", "-3.0");
	EXPR_EQ("pow(2, 10)", "1024.0");
	EXPR_EQ("exp(0)", "1.0");
	EXPR_EQ("log10(100)", "2.0");
	EXPR_EQ("log2(8)", "3.0");
	EXPR_EQ("log(2, 8)", "3.0");
	EXPR_NULL("ln(0)");
	EXPR_NULL("log10(i)");
	EXPR_NULL("log1p(-1)");
	EXPR_NULL("log(0, 8)");
	EXPR_EQ("degrees(pi())", "180.0");
	EXPR_EQ("sign(i)", "-1.0");
	EXPR_EQ("hypot(3, 4)", "5.0");
	EXPR_EQ("atan2(0, 1)", "0.0");
	EXPR_TYPE("sqrt(value)", "double");
	EXPR_NAME("sqrt(4)", "SQRT(4)");
	EXPR_NAME("ln(1)", "ln(1)");
	EXPR_NAME("log(value)", "LOG(E(), value)");
	EXPR_NAME("pow(2, 1)", "pow(2, 1)");
	EXPR_NAME("power(2, 1)", "POWER(2, 1)");
}

Test(expr_fn_math, floor_ceil_give_bigint)
{
	EXPR_EQ("floor(d)", "2");
	EXPR_EQ("ceil(d)", "3");
	EXPR_EQ("floor(-2.5e0)", "-3");
	EXPR_EQ("ceil(i)", "-3");
	EXPR_TYPE("floor(i)", "bigint");
	EXPR_NAME("floor(d)", "FLOOR(d)");
	EXPR_NAME("ceiling(d)", "ceiling(d)");
}

Test(expr_fn_math, pmod_mod)
{
	EXPR_EQ("pmod(-7, 3)", "2");
	EXPR_EQ("pmod(7, -3)", "1");
	EXPR_EQ("pmod(-7.5e0, 2e0)", "0.5");
	EXPR_EQ("mod(-7, 3)", "-1");
	EXPR_NAME("mod(7, 3)", "mod(7, 3)");
	const char *m = sl_test_expr_eval_error("pmod(i, 0)");
	cr_assert_not_null(strstr(m, "REMAINDER_BY_ZERO"), "%s", m);
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("pmod(i, 0)");
}

Test(expr_fn_math, greatest_least_skip_nulls)
{
	EXPR_EQ("greatest(1, 5, 3)", "5");
	EXPR_EQ("least(1, 5, 3)", "1");
	EXPR_EQ("greatest(i, NULL, value)", "42");
	EXPR_TYPE("greatest(i, value)", "bigint");
	EXPR_EQ("greatest(CAST('NaN' AS DOUBLE), d)", "NaN");
	EXPR_EQ("least('b', 'a', 'c')", "a");
	EXPR_NULL("greatest(nd, NULL)");
}

Test(expr_fn_math, buckets_rounding_factorial)
{
	EXPR_EQ("width_bucket(5.3e0, 0.2e0, 10.6e0, 5)", "3");
	EXPR_EQ("width_bucket(-1, 0, 10, 5)", "0");
	EXPR_EQ("width_bucket(10, 0, 10, 5)", "6");
	EXPR_EQ("width_bucket(2, 10, 0, 4)", "4");
	EXPR_NULL("width_bucket(2, 0, 0, 4)");
	EXPR_EQ("bround(2.5e0, 0)", "2.0");
	EXPR_EQ("bround(3.5e0)", "4.0");
	EXPR_EQ("bround(0.125e0, 2)", "0.12");
	EXPR_EQ("bround(-0.0e0)", "0.0");
	EXPR_EQ("bround(25, -1)", "20");
	EXPR_EQ("bround(35, -1)", "40");
	EXPR_EQ("factorial(5)", "120");
	EXPR_EQ("factorial(20)", "2432902008176640000");
	EXPR_NULL("factorial(21)");
	EXPR_NULL("factorial(i)");
}

Test(expr_fn_math, shifts_and_bits)
{
	EXPR_EQ("shiftleft(1, 4)", "16");
	EXPR_EQ("shiftleft(1, 33)", "2"); /* the count is taken mod 32 */
	EXPR_EQ("shiftright(-16, 2)", "-4");
	EXPR_EQ("shiftrightunsigned(-16, 28)", "15");
	EXPR_EQ("shiftright(value, 1)", "21");
	EXPR_TYPE("shiftleft(value, 1)", "bigint");
	EXPR_EQ("bit_count(i)", "63"); /* a negative INT counts as BIGINT */
	EXPR_EQ("bit_count(value)", "3");
	EXPR_EQ("bit_get(11, 2)", "0");
	EXPR_EQ("bit_get(11, 3)", "1");
	const char *m = sl_test_expr_eval_error("bit_get(1, 32)");
	cr_assert_not_null(strstr(m, "BIT_POSITION_RANGE"), "%s", m);
}

/* `>>` and `>>>` (PySpark 4 gives these at the top level of a SELECT; its
 * parser refuses them inside the subquery the differential test wraps
 * each case in). */
Test(expr_fn_math, shift_operators)
{
	EXPR_EQ("1 >> 1", "0");
	EXPR_EQ("-8 >> 1", "-4");
	EXPR_EQ("-8 >>> 1", "2147483644");
	EXPR_EQ("-8L >>> 1", "9223372036854775804");
	EXPR_EQ("1 << 33", "2");
	EXPR_EQ("16 >> 1 >>> 1", "4");
	EXPR_EQ("1 + 2 >> 1", "1");
	EXPR_NULL("CAST(NULL AS INT) >> 1");
	EXPR_TYPE("CAST(1 AS TINYINT) >> 1", "int");
	EXPR_TYPE("1L >>> 1", "bigint");
	EXPR_NAME("1 >> 1", "(1 >> 1)");
	EXPR_NAME("-8 >>> 1", "(-8 >>> 1)");
	EXPR_NAME("1 + 2 >> 1", "((1 + 2) >> 1)");
}
