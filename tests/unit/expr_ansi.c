/* tests/unit/expr_ansi.c - ANSI mode (sl_expr_options.ansi, on by default
 * as in Spark 4; expr/eval.c, expr/cast.c, expr/try.c): integer overflow,
 * division and remainder by zero, malformed and overflowing casts and
 * array indexes out of bounds raise Spark's errors with its messages;
 * try_cast and the try_ functions give null in both modes; `x::type` is a
 * cast. Every expected message, value and name was checked against
 * PySpark 4 (selectExpr on a one-row DataFrame, UTC).
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_ansi, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

#define EVAL_ERR(text, want)                                                   \
	cr_assert(strstr(sl_test_expr_eval_error(text), want) ==               \
			  sl_test_expr_eval_error(text),                       \
		  "%s: %s", text, sl_test_expr_eval_error(text))

#define SQL_BYPASS                                                             \
	"If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass "  \
	"this error."

Test(expr_ansi, integer_overflow_is_an_error)
{
	cr_assert_str_eq(
		sl_test_expr_eval_error("2147483647 + 1"),
		"[ARITHMETIC_OVERFLOW] overflow. Use 'try_add' to "
		"tolerate overflow and return NULL instead. " SQL_BYPASS
		" SQLSTATE: 22003");
	EVAL_ERR("-2147483648 - 1", "[ARITHMETIC_OVERFLOW] overflow. Use "
				    "'try_subtract'");
	EVAL_ERR("65536 * 65536", "[ARITHMETIC_OVERFLOW] overflow. Use "
				  "'try_multiply'");
	EVAL_ERR("9223372036854775807L + 1L", "[ARITHMETIC_OVERFLOW]");
	EVAL_ERR("value * 9223372036854775807", "[ARITHMETIC_OVERFLOW]");
	cr_assert_str_eq(sl_test_expr_eval_error("- (-2147483648)"),
			 "[ARITHMETIC_OVERFLOW] overflow. " SQL_BYPASS
			 " SQLSTATE: 22003");
	EXPR_EQ("i + 2147483647", "2147483644");
}

Test(expr_ansi, division_and_remainder_by_zero_are_errors)
{
	cr_assert_str_eq(sl_test_expr_eval_error("value / 0"),
			 "[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` "
			 "to tolerate divisor being 0 and return NULL "
			 "instead. " SQL_BYPASS " SQLSTATE: 22012");
	EVAL_ERR("1.5D / 0", "[DIVIDE_BY_ZERO] Division by zero.");
	cr_assert_str_eq(sl_test_expr_eval_error("value % 0"),
			 "[REMAINDER_BY_ZERO] Remainder by zero. Use `try_mod` "
			 "to tolerate divisor being 0 and return NULL "
			 "instead. " SQL_BYPASS " SQLSTATE: 22012");
	EVAL_ERR("d % 0", "[REMAINDER_BY_ZERO]");
}

Test(expr_ansi, malformed_casts_are_errors)
{
	cr_assert_str_eq(
		sl_test_expr_eval_error("CAST('abc' AS INT)"),
		"[CAST_INVALID_INPUT] The value 'abc' of the type \"STRING\" "
		"cannot be cast to \"INT\" because it is malformed. Correct "
		"the value as per the syntax, or change its target type. Use "
		"`try_cast` to tolerate malformed input and return NULL "
		"instead. SQLSTATE: 22018");
	EVAL_ERR("CAST('abc' AS BIGINT)", "[CAST_INVALID_INPUT] The value "
					  "'abc' of the type \"STRING\" cannot "
					  "be cast to \"BIGINT\"");
	EVAL_ERR("CAST(s AS DOUBLE)", "[CAST_INVALID_INPUT] The value 'Hello "
				      "World' of the type \"STRING\" cannot "
				      "be cast to \"DOUBLE\"");
	EVAL_ERR("CAST('1.5' AS INT)", "[CAST_INVALID_INPUT] The value '1.5'");
	EVAL_ERR("CAST('1e3' AS INT)", "[CAST_INVALID_INPUT]");
	EVAL_ERR("CAST('abc' AS DATE)", "[CAST_INVALID_INPUT] The value 'abc' "
					"of the type \"STRING\" cannot be "
					"cast to \"DATE\"");
	EVAL_ERR("CAST('1999 Jan 08' AS DATE)", "[CAST_INVALID_INPUT]");
	EVAL_ERR("CAST('abc' AS TIMESTAMP)", "[CAST_INVALID_INPUT]");
	EVAL_ERR("CAST('abc' AS BOOLEAN)", "[CAST_INVALID_INPUT]");
	EVAL_ERR("to_timestamp('x')", "[CAST_INVALID_INPUT] The value 'x' of "
				      "the type \"STRING\" cannot be cast to "
				      "\"TIMESTAMP\"");
	EXPR_EQ("CAST(' 12 ' AS INT)", "12");
}

Test(expr_ansi, casts_out_of_range_are_errors)
{
	cr_assert_str_eq(sl_test_expr_eval_error("CAST(1e10D AS INT)"),
			 "[CAST_OVERFLOW] The value 1.0E10D of the type "
			 "\"DOUBLE\" cannot be cast to \"INT\" due to an "
			 "overflow. Use `try_cast` to tolerate overflow and "
			 "return NULL instead. SQLSTATE: 22003");
	EVAL_ERR("CAST(3000000000L AS INT)",
		 "[CAST_OVERFLOW] The value 3000000000L of the type "
		 "\"BIGINT\" cannot be cast to \"INT\"");
	EVAL_ERR("CAST(1e20D AS BIGINT)", "[CAST_OVERFLOW] The value 1.0E20D");
	EVAL_ERR("CAST(CAST('NaN' AS DOUBLE) AS INT)",
		 "[CAST_OVERFLOW] The value NaN of the type \"DOUBLE\"");
	EVAL_ERR("CAST(value * 100000000000 AS INT)",
		 "[CAST_OVERFLOW] The value 4200000000000L");
}

Test(expr_ansi, strings_meet_integers_as_bigints)
{
	EXPR_EQ("'5' + 1", "6");
	EXPR_TYPE("'5' + 1", "bigint");
	EXPR_EQ("'5' = 5", "true");
	EXPR_EQ("'1.5' + 1.5D", "3.0");
	EVAL_ERR("s + 1", "[CAST_INVALID_INPUT] The value 'Hello World' of "
			  "the type \"STRING\" cannot be cast to \"BIGINT\"");
	EVAL_ERR("s = 1", "[CAST_INVALID_INPUT] The value 'Hello World' of "
			  "the type \"STRING\" cannot be cast to \"BIGINT\"");
}

Test(expr_ansi, array_index_out_of_bounds_is_an_error)
{
	cr_assert_str_eq(sl_test_expr_eval_error("array(1,2,3)[5]"),
			 "[INVALID_ARRAY_INDEX] The index 5 is out of bounds. "
			 "The array has 3 elements. Use the SQL function "
			 "`get()` to tolerate accessing element at invalid "
			 "index and return NULL instead. SQLSTATE: 22003");
	EVAL_ERR("array(1,2,3)[-1]", "[INVALID_ARRAY_INDEX] The index -1 is "
				     "out of bounds. The array has 3 "
				     "elements.");
	EXPR_EQ("array(1,2,3)[0]", "1");
}

Test(expr_ansi, try_functions_give_null_in_both_modes)
{
	for (int mode = 0; mode < 2; mode++) {
		sl_test_expr_opts.ansi = mode == 0;
		EXPR_NULL("try_cast('abc' AS INT)");
		EXPR_EQ("try_cast('12' AS INT)", "12");
		EXPR_NULL("try_add(2147483647, 1)");
		EXPR_NULL("try_subtract(-2147483648, 1)");
		EXPR_NULL("try_multiply(65536, 65536)");
		EXPR_NULL("try_multiply(value, 9223372036854775807)");
		EXPR_NULL("try_divide(1, 0)");
		EXPR_NULL("try_divide(value, 0)");
		EXPR_NULL("try_mod(i, 0)");
		EXPR_EQ("try_add(value, 1)", "43");
		EXPR_TYPE("try_add(value, 1)", "bigint");
		EXPR_EQ("try_divide(i, 2)", "-1.5");
		EXPR_TYPE("try_divide(1, 2)", "double");
	}
	sl_test_expr_opts.ansi = true;
	EXPR_NAME("try_cast('abc' AS INT)", "TRY_CAST(abc AS INT)");
	EXPR_NAME("try_cast(s AS INT)", "s");
	EXPR_NAME("try_add(2147483647, 1)", "try_add(2147483647, 1)");
	EXPR_NAME("try_divide(value, 0)", "try_divide(value, 0)");
	/* the operands' own errors still raise */
	EVAL_ERR("try_add(CAST('abc' AS INT), 1)", "[CAST_INVALID_INPUT]");
}

Test(expr_ansi, double_colon_is_a_cast)
{
	EXPR_EQ("'12'::INT", "12");
	EXPR_NAME("'12'::INT", "CAST(12 AS INT)");
	EXPR_EQ("'12'::INT + 1", "13");
	EXPR_NAME("'12'::INT + 1", "(CAST(12 AS INT) + 1)");
	EXPR_EQ("value::STRING", "42");
	EXPR_NAME("value::STRING", "value");
	EXPR_TYPE("value::STRING", "string");
	EVAL_ERR("s::INT", "[CAST_INVALID_INPUT] The value 'Hello World'");
}

Test(expr_ansi, the_legacy_mode_gives_nulls_and_wraps)
{
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("2147483647 + 1", "-2147483648");
	EXPR_NULL("value / 0");
	EXPR_NULL("i % 0");
	EXPR_NULL("CAST('abc' AS INT)");
	EXPR_NULL("array(1,2,3)[5]");
	EXPR_EQ("CAST(1e10D AS INT)", "2147483647");
	EXPR_NULL("s + 1");
	EXPR_TYPE("'5' + 1", "double");
}

Test(expr_ansi, abs_of_the_smallest_int_and_strings_as_booleans)
{
	cr_assert_str_eq(sl_test_expr_eval_error("abs(-2147483648)"),
			 "[ARITHMETIC_OVERFLOW] overflow. " SQL_BYPASS
			 " SQLSTATE: 22003");
	EXPR_EQ("abs(-2147483648L)", "2147483648");
	EXPR_EQ("abs(i)", "3");
	EXPR_EQ("b = 'true'", "true");
	EXPR_NAME("b = 'true'", "(b = true)");
	EVAL_ERR("b = 'maybe'", "[CAST_INVALID_INPUT] The value 'maybe' of "
				"the type \"STRING\" cannot be cast to "
				"\"BOOLEAN\"");
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("abs(-2147483648)", "-2147483648");
	EXPR_NULL("b = 'maybe'");
}

Test(expr_ansi, strings_meet_numbers_as_bigints_in_case_coalesce_and_arrays)
{
	EXPR_EQ("CASE WHEN true THEN 1 ELSE 'x' END", "1");
	EXPR_TYPE("CASE WHEN true THEN 1 ELSE 'x' END", "bigint");
	EXPR_NAME("CASE WHEN true THEN 1 ELSE 'x' END",
		  "CASE WHEN true THEN 1 ELSE x END");
	EXPR_EQ("coalesce(i, 'x')", "-3");
	EXPR_TYPE("coalesce(i, 'x')", "bigint");
	EXPR_TYPE("coalesce(value, 'x')", "bigint");
	EXPR_TYPE("coalesce(d, '1')", "double");
	EXPR_EQ("coalesce(d, '1')", "2.5");
	EXPR_EQ("1 IN ('1', 2)", "true");
	EVAL_ERR("array(1, 'a')", "[CAST_INVALID_INPUT] The value 'a' of the "
				  "type \"STRING\" cannot be cast to "
				  "\"BIGINT\"");
	sl_test_expr_opts.ansi = false;
	EXPR_TYPE("coalesce(i, 'x')", "string");
	EXPR_EQ("array(1, 'a')", "[1, a]");
}

Test(expr_ansi, element_at_try_element_at_and_get)
{
	EXPR_EQ("element_at(array(1, 2, 3), 1)", "1");
	EXPR_EQ("element_at(array(1, 2, 3), -1)", "3");
	EXPR_NAME("element_at(array(1, 2, 3), -1)",
		  "element_at(array(1, 2, 3), -1)");
	cr_assert_str_eq(
		sl_test_expr_eval_error("element_at(array(1, 2, 3), 5)"),
		"[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index 5 is out of "
		"bounds. The array has 3 elements. Use `try_element_at` to "
		"tolerate accessing element at invalid index and return NULL "
		"instead. SQLSTATE: 22003");
	cr_assert_str_eq(
		sl_test_expr_eval_error("element_at(array(1, 2, 3), 0)"),
		"[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index "
		"shall be either < 0 or > 0 (the first element has index 1). "
		"SQLSTATE: 22003");
	EXPR_NULL("try_element_at(array(1, 2, 3), 5)");
	EVAL_ERR("try_element_at(array(1, 2, 3), 0)",
		 "[INVALID_INDEX_OF_ZERO]");
	EXPR_NULL("get(array(1, 2, 3), 5)");
	EXPR_EQ("get(array(1, 2, 3), 0)", "1");
	EXPR_NULL("get(array(1, 2, 3), -1)");
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("element_at(array(1, 2, 3), 5)");
	EVAL_ERR("element_at(array(1, 2, 3), 0)", "[INVALID_INDEX_OF_ZERO]");
}
