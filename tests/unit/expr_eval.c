/* tests/unit/expr_eval.c - evaluating operators (expr/eval.c): arithmetic,
 * comparison, three-valued logic, IN, LIKE, BETWEEN and CASE with Spark's
 * null rules, and the evaluation contract (empty values, WHERE truth,
 * arena independence, binding twice).
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_eval, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

/* ---- arithmetic ------------------------------------------------------- */

Test(expr_eval, arithmetic_types_and_values)
{
	EXPR_EQ("value + 1", "43");
	EXPR_TYPE("value + 1", "bigint");
	EXPR_TYPE("i + 1", "int");
	EXPR_TYPE("i + value", "bigint");
	EXPR_TYPE("i + d", "double");
	EXPR_EQ("value - 50", "-8");
	EXPR_EQ("value * 10", "420");
	EXPR_EQ("d * 2", "5.0");
	EXPR_EQ("i * i", "9");
}

Test(expr_eval, division_is_always_double)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("7 / 2", "3.5");
	EXPR_TYPE("7 / 2", "double");
	EXPR_TYPE("value / value", "double");
	EXPR_EQ("value / 4", "10.5");
	EXPR_NULL("1 / 0");
	EXPR_NULL("1.5 / 0");
	EXPR_NULL("d / 0.0");
}

Test(expr_eval, remainder_follows_java)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("7 % 3", "1");
	EXPR_EQ("-7 % 3", "-1");
	EXPR_EQ("7 % -3", "1");
	EXPR_EQ("value % 5", "2");
	EXPR_TYPE("value % 5", "bigint");
	EXPR_EQ("5.5 % 2", "1.5");
	EXPR_NULL("7 % 0");
	EXPR_NULL("d % 0");
	EXPR_EQ("-2147483648 % -1", "0");
}

Test(expr_eval, integer_overflow_wraps_as_spark_without_ansi)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("2147483647 + 1", "-2147483648");
	EXPR_EQ("9223372036854775807L + 1", "-9223372036854775808");
	EXPR_EQ("-(-2147483648)", "-2147483648");
	EXPR_EQ("65536 * 65536", "0");
}

Test(expr_eval, unary_minus)
{
	EXPR_EQ("-value", "-42");
	EXPR_EQ("-d", "-2.5");
	EXPR_EQ("-i", "3");
	EXPR_EQ("- (1 + 2)", "-3");
	EXPR_NULL("-n");
}

Test(expr_eval, strings_in_arithmetic_become_doubles)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("'1' + 1", "2.0");
	EXPR_TYPE("'1' + 1", "double");
	EXPR_NULL("'x' + 1");
	EXPR_TYPE("value + '2'", "double");
	EXPR_EQ("value + '2'", "44.0");
}

Test(expr_eval, arithmetic_null_rules)
{
	EXPR_NULL("n + 1");
	EXPR_NULL("1 - n");
	EXPR_NULL("n * 2");
	EXPR_NULL("n / 2");
	EXPR_NULL("2 % n");
	EXPR_NULL("NULL + 1");
	EXPR_TYPE("NULL + 1", "int");
}

Test(expr_eval, date_plus_days)
{
	EXPR_EQ("dt + 1", "2024-01-03");
	EXPR_EQ("dt - 2", "2023-12-31");
	EXPR_EQ("30 + dt", "2024-02-01");
	EXPR_TYPE("dt + 1", "date");
	/* a date minus a date is Spark's INTERVAL DAY */
	EXPR_TYPE("dt - dt", "interval day");
	EXPR_EQ("dt - dt", "INTERVAL '0' DAY");
	sl_err err = sl_test_expr_bind_error("dt + dt");
	cr_assert(strstr(err.msg, "whole number of days"), "%s", err.msg);
	sl_test_expr_bind_error("dt + 1.5");
}

/* ---- comparison ------------------------------------------------------- */

Test(expr_eval, comparison_operators)
{
	EXPR_EQ("value = 42", "true");
	EXPR_EQ("value == 42", "true");
	EXPR_EQ("value != 42", "false");
	EXPR_EQ("value <> 41", "true");
	EXPR_EQ("value < 43", "true");
	EXPR_EQ("value <= 42", "true");
	EXPR_EQ("value > 42", "false");
	EXPR_EQ("value >= 43", "false");
	EXPR_EQ("i < d", "true");
	EXPR_EQ("s = 'Hello World'", "true");
	EXPR_EQ("s < 'Hello'", "false");
	EXPR_EQ("'a' < 'b'", "true");
	EXPR_EQ("'ab' < 'abc'", "true");
	EXPR_EQ("b = true", "true");
	EXPR_EQ("ts > TIMESTAMP '2024-01-01 00:00:00'", "true");
	EXPR_EQ("dt = DATE '2024-01-02'", "true");
	EXPR_EQ("st = named_struct('a', 7, 'b', 'q')", "true");
	EXPR_EQ("st = named_struct('a', 7, 'b', 'r')", "false");
}

Test(expr_eval, comparison_null_rules)
{
	EXPR_NULL("n = 1");
	EXPR_NULL("1 = n");
	EXPR_NULL("n <> 1");
	EXPR_NULL("n < 1");
	EXPR_NULL("NULL = NULL");
	EXPR_NULL("ns = 'a'");
}

Test(expr_eval, null_safe_equality)
{
	EXPR_EQ("n <=> NULL", "true");
	EXPR_EQ("value <=> NULL", "false");
	EXPR_EQ("NULL <=> NULL", "true");
	EXPR_EQ("value <=> 42", "true");
	EXPR_EQ("n <=> 1", "false");
}

Test(expr_eval, nan_equals_itself_and_is_largest)
{
	EXPR_EQ("CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", "true");
	EXPR_EQ("CAST('NaN' AS DOUBLE) > 1e308", "true");
	EXPR_EQ("0.0 = -0.0", "true");
}

Test(expr_eval, comparison_coerces_strings_to_the_other_side)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("value = '42'", "true");
	EXPR_EQ("value > '5'", "true"); /* numeric, not string, order */
	/* Spark casts '42.9' to the bigint 42 */
	EXPR_EQ("value = '42.9'", "true");
	EXPR_NULL("value = 'abc'");
	EXPR_EQ("dt = '2024-01-02'", "true");
	EXPR_EQ("ts < '2025-01-01'", "true");
}

Test(expr_eval, comparison_type_mismatch_is_an_analysis_error)
{
	sl_err err = sl_test_expr_bind_error("b = 1");
	cr_assert(strstr(err.msg, "data type mismatch"), "%s", err.msg);
	sl_test_expr_bind_error("arr = 1");
	sl_test_expr_bind_error("st = struct(7, 'q')"); /* field names differ */
}

/* ---- logic ------------------------------------------------------------ */

Test(expr_eval, three_valued_and)
{
	EXPR_EQ("TRUE AND TRUE", "true");
	EXPR_EQ("TRUE AND FALSE", "false");
	EXPR_NULL("TRUE AND NULL");
	EXPR_NULL("NULL AND TRUE");
	EXPR_EQ("FALSE AND NULL", "false");
	EXPR_EQ("NULL AND FALSE", "false");
	EXPR_NULL("NULL AND NULL");
	EXPR_NULL("b AND n > 1");
}

Test(expr_eval, three_valued_or)
{
	EXPR_EQ("FALSE OR FALSE", "false");
	EXPR_EQ("FALSE OR TRUE", "true");
	EXPR_EQ("TRUE OR NULL", "true");
	EXPR_EQ("NULL OR TRUE", "true");
	EXPR_NULL("FALSE OR NULL");
	EXPR_NULL("NULL OR FALSE");
	EXPR_NULL("NULL OR NULL");
}

Test(expr_eval, not_and_precedence)
{
	EXPR_EQ("NOT TRUE", "false");
	EXPR_EQ("NOT FALSE", "true");
	EXPR_NULL("NOT NULL");
	EXPR_NULL("NOT nb");
	/* NOT binds looser than comparison, AND tighter than OR */
	EXPR_EQ("NOT value = 1", "true");
	EXPR_EQ("TRUE OR TRUE AND FALSE", "true");
	EXPR_EQ("(TRUE OR TRUE) AND FALSE", "false");
	EXPR_EQ("1 + 2 * 3 = 7", "true");
}

Test(expr_eval, logic_needs_booleans)
{
	sl_err err = sl_test_expr_bind_error("value AND TRUE");
	cr_assert(strstr(err.msg, "boolean"), "%s", err.msg);
	sl_test_expr_bind_error("NOT s");
}

Test(expr_eval, is_null)
{
	EXPR_EQ("n IS NULL", "true");
	EXPR_EQ("value IS NULL", "false");
	EXPR_EQ("n IS NOT NULL", "false");
	EXPR_EQ("value IS NOT NULL", "true");
	EXPR_EQ("(n + 1) IS NULL", "true");
	EXPR_EQ("NULL IS NULL", "true");
}

/* ---- IN, LIKE, BETWEEN ------------------------------------------------ */

Test(expr_eval, in_list_with_nulls)
{
	EXPR_EQ("value IN (1, 42)", "true");
	EXPR_EQ("value IN (1, 2)", "false");
	/* no match and a null in the list: unknown */
	EXPR_NULL("value IN (1, NULL)");
	/* a match wins over a null */
	EXPR_EQ("value IN (NULL, 42)", "true");
	EXPR_NULL("n IN (1, 2)");
	EXPR_EQ("value NOT IN (1, 2)", "true");
	EXPR_EQ("value NOT IN (1, 42)", "false");
	EXPR_NULL("value NOT IN (1, NULL)");
	EXPR_EQ("s IN ('a', 'Hello World')", "true");
	EXPR_EQ("i IN (-3.0)", "true");
	EXPR_EQ("value IN ('42')", "true");
}

Test(expr_eval, like_wildcards_and_escapes)
{
	EXPR_EQ("s LIKE 'Hello%'", "true");
	EXPR_EQ("s LIKE '%World'", "true");
	EXPR_EQ("s LIKE '%lo W%'", "true");
	EXPR_EQ("s LIKE 'Hello_World'", "true");
	EXPR_EQ("s LIKE 'Hello__World'", "false");
	EXPR_EQ("s LIKE 'hello%'", "false");
	EXPR_EQ("s LIKE '%'", "true");
	EXPR_EQ("s LIKE 'Hello World'", "true");
	EXPR_EQ("s LIKE 'Hello Worl'", "false");
	EXPR_EQ("'' LIKE ''", "true");
	EXPR_EQ("'a' LIKE ''", "false");
	EXPR_EQ("'' LIKE '%a%'", "false");
	EXPR_EQ("'ab' LIKE 'abc%'", "false");
	EXPR_EQ("'ab' LIKE '%abc'", "false");
	EXPR_EQ("'' LIKE '%'", "true");
	EXPR_EQ("'' LIKE '_'", "false");
	EXPR_EQ("'abc' LIKE 'a%c%'", "true");
	EXPR_EQ("'aXbXc' LIKE '%X%X%'", "true");
	EXPR_EQ("'aXb' LIKE '%X%X%'", "false");
	/* _ matches one character, not one byte */
	EXPR_EQ("'h\xc3\xa9llo' LIKE 'h_llo'", "true");
	EXPR_EQ("'100%' LIKE '100\\%'", "true");
	EXPR_EQ("'1000' LIKE '100\\%'", "false");
	EXPR_EQ("'a_b' LIKE 'a\\_b'", "true");
	EXPR_EQ("'axb' LIKE 'a\\_b'", "false");
	EXPR_EQ("s NOT LIKE 'H%'", "false");
	EXPR_NULL("ns LIKE 'a%'");
	EXPR_NULL("s LIKE ns");
	EXPR_EQ("value LIKE '4%'", "true"); /* numbers are cast to strings */
}

Test(expr_eval, like_bad_escape_is_an_error)
{
	sl_err err = sl_test_expr_bind_error("s LIKE 'a\\\\b'");
	cr_assert(strstr(err.msg, "escape"), "%s", err.msg);
	err = sl_test_expr_bind_error("s LIKE 'ab\\\\'");
	cr_assert(strstr(err.msg, "escape"), "%s", err.msg);
}

Test(expr_eval, between_is_inclusive)
{
	EXPR_EQ("value BETWEEN 40 AND 42", "true");
	EXPR_EQ("value BETWEEN 43 AND 50", "false");
	EXPR_EQ("value NOT BETWEEN 43 AND 50", "true");
	EXPR_NULL("n BETWEEN 1 AND 2");
	/* Spark 4's name (Spark 3 named the rewritten AND) */
	EXPR_NAME("value BETWEEN 1 AND 2", "between(value, 1, 2)");
}

/* ---- CASE ------------------------------------------------------------- */

Test(expr_eval, case_when)
{
	EXPR_EQ("CASE WHEN value > 40 THEN 'big' ELSE 'small' END", "big");
	EXPR_EQ("CASE WHEN value > 50 THEN 'big' ELSE 'small' END", "small");
	EXPR_EQ("CASE WHEN value > 50 THEN 'a' WHEN value > 40 THEN 'b' END",
		"b");
	EXPR_NULL("CASE WHEN value > 50 THEN 'big' END");
	/* a null condition is not true */
	EXPR_EQ("CASE WHEN n > 1 THEN 'x' ELSE 'y' END", "y");
	EXPR_EQ("CASE WHEN TRUE THEN 1 ELSE 2.5 END", "1.0");
	EXPR_TYPE("CASE WHEN TRUE THEN 1 ELSE 2.5 END", "decimal(11,1)");
	EXPR_TYPE("CASE WHEN TRUE THEN 1 ELSE 2.5D END", "double");
	/* Spark 4 with ANSI on: a string meets an int as a bigint */
	EXPR_TYPE("CASE WHEN TRUE THEN 1 ELSE 'x' END", "bigint");
	EXPR_TYPE("CASE WHEN TRUE THEN NULL ELSE 1L END", "bigint");
}

Test(expr_eval, simple_case)
{
	EXPR_EQ("CASE i WHEN -3 THEN 'neg' WHEN 3 THEN 'pos' END", "neg");
	EXPR_EQ("CASE value WHEN 1 THEN 'one' ELSE 'other' END", "other");
	/* a null operand matches nothing */
	EXPR_EQ("CASE n WHEN NULL THEN 'null' ELSE 'else' END", "else");
	EXPR_NAME("CASE i WHEN 1 THEN 'a' END", "CASE WHEN (i = 1) THEN a END");
}

Test(expr_eval, case_errors)
{
	sl_test_expr_bind_error("CASE WHEN value THEN 1 END");
	sl_test_expr_bind_error("CASE WHEN TRUE THEN 1 ELSE arr END");
	sl_test_expr_parse_error("CASE value END");
	sl_test_expr_parse_error("CASE WHEN TRUE THEN 1");
}

/* ---- evaluation contract ---------------------------------------------- */

Test(expr_eval, empty_strings_without_a_pointer)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	/* a source may give an empty string as (NULL, 0) */
	sl_test_expr_row[1] = sl_v_str(NULL, 0);
	sl_test_expr_row[13] = sl_v_bin(NULL, 0);
	EXPR_EQ("length(s)", "0");
	EXPR_EQ("upper(s)", "");
	EXPR_EQ("concat(s, s, 'x')", "x");
	EXPR_EQ("s = ''", "true");
	EXPR_EQ("s < 'a'", "true");
	EXPR_EQ("s LIKE ''", "true");
	EXPR_EQ("s LIKE '%a%'", "false");
	EXPR_EQ("s LIKE '_%'", "false");
	EXPR_EQ("s RLIKE 'a'", "false");
	EXPR_EQ("split(s, ',')[0]", "");
	EXPR_EQ("split(s, '\\\\s+')[0]", "");
	EXPR_EQ("split(s, '[0-9]*')[0]", "");
	EXPR_EQ("substring(s, 2)", "");
	EXPR_EQ("trim(s)", "");
	EXPR_EQ("hash(s)", "142593372");
	EXPR_EQ("to_json(struct(s))", "{\"s\":\"\"}");
	EXPR_EQ("CAST(s AS INT) IS NULL", "true");
	EXPR_EQ("length(bin)", "0");
	EXPR_EQ("CAST(bin AS STRING)", "");
	EXPR_EQ("s IN ('', 'a')", "true");
	EXPR_EQ("coalesce(s, 'x')", "");
}

Test(expr_eval, where_truthiness)
{
	sl_value t = sl_test_expr_value("value > 1"),
		 f = sl_test_expr_value("value < 1"),
		 u = sl_test_expr_value("n > 1");
	cr_assert(sl_value_truthy(&t));
	cr_assert_not(sl_value_truthy(&f));
	cr_assert_not(sl_value_truthy(&u));
}

Test(expr_eval, results_do_not_depend_on_arena_state)
{
	/* the same bound tree evaluates the same on different rows */
	sl_expr *e = sl_test_expr_must(
		"concat(upper(s), '-', CAST(value * 2 AS STRING))");
	sl_value row2[14];
	memcpy(row2, sl_test_expr_row, sizeof(row2));
	row2[0] = sl_v_long(7);
	row2[1] = sl_v_str("ab", 2);
	sl_value v1, v2;
	sl_err err = { 0 };
	cr_assert_eq(sl_expr_eval(e, sl_test_expr_row, &sl_test_expr_arena, &v1,
				  &err),
		     0);
	cr_assert_eq(sl_expr_eval(e, row2, &sl_test_expr_arena, &v2, &err), 0);
	cr_assert_eq(v1.len, 14);
	cr_assert_eq(memcmp(v1.v.str, "HELLO WORLD-84", 14), 0);
	cr_assert_eq(v2.len, 5);
	cr_assert_eq(memcmp(v2.v.str, "AB-14", 5), 0);
}

Test(expr_eval, bind_twice_is_harmless)
{
	sl_err err = { 0 };
	sl_expr *e =
		sl_expr_parse("value + 1", false, &sl_test_expr_arena, &err);
	cr_assert_eq(
		sl_expr_bind(e, sl_test_expr_schema, &sl_test_expr_arena, &err),
		0);
	cr_assert_eq(
		sl_expr_bind(e, sl_test_expr_schema, &sl_test_expr_arena, &err),
		0);
	sl_value v;
	cr_assert_eq(sl_expr_eval(e, sl_test_expr_row, &sl_test_expr_arena, &v,
				  &err),
		     0);
	cr_assert_eq(v.v.i64, 43);
}
