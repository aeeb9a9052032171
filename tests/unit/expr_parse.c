/* tests/unit/expr_parse.c - the expression parser (expr/lex.c, expr/parse.c):
 * literals and column references, output names and aliases, `*`, and parse
 * errors with their positions.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_parse, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

/* ---- literals and references ------------------------------------------ */

Test(expr_parse, integer_literals_take_int_or_bigint_by_size)
{
	EXPR_TYPE("1", "int");
	EXPR_TYPE("2147483647", "int");
	EXPR_TYPE("2147483648", "bigint");
	EXPR_TYPE("-2147483648", "int");
	EXPR_TYPE("-2147483649", "bigint");
	EXPR_TYPE("10L", "bigint");
	EXPR_EQ("9223372036854775807", "9223372036854775807");
	EXPR_EQ("-9223372036854775808", "-9223372036854775808");
	/* beyond BIGINT Spark makes a DECIMAL(19,0): expr_literals.c */
}

Test(expr_parse, decimal_and_exponent_literals)
{
	/* 1.5 is DECIMAL(2,1) in Spark; with an exponent a DOUBLE */
	EXPR_TYPE("1.5", "decimal(2,1)");
	EXPR_EQ("1.5", "1.5");
	EXPR_EQ(".5", "0.5");
	EXPR_TYPE(".5", "decimal(1,1)");
	EXPR_TYPE("1.", "decimal(1,0)");
	EXPR_NAME("1.50", "1.50");
	EXPR_TYPE("1e3", "double");
	EXPR_EQ("1e3", "1000.0");
	EXPR_EQ("2.5E-3", "0.0025");
	EXPR_EQ("1.0E10", "1.0E10");
	EXPR_TYPE("3D", "double");
}

Test(expr_parse, string_literals_and_escapes)
{
	EXPR_EQ("'abc'", "abc");
	EXPR_EQ("\"dq\"", "dq");
	EXPR_EQ("'a\\tb'", "a\tb");
	EXPR_EQ("'l1\\nl2'", "l1\nl2");
	EXPR_EQ("'back\\\\slash'", "back\\slash");
	EXPR_EQ("'it\\'s'", "it's");
	EXPR_EQ("'\\u0041\\u00e9'", "A\xc3\xa9");
	EXPR_EQ("'\\101'", "A");
	/* Spark keeps \% and \_ escaped for LIKE */
	EXPR_EQ("'100\\%'", "100\\%");
	/* other escaped characters are themselves */
	EXPR_EQ("'\\s'", "s");
	/* adjacent literals concatenate */
	EXPR_EQ("'It' 's'", "Its");
	EXPR_TYPE("'x'", "string");
}

Test(expr_parse, boolean_and_null_literals)
{
	EXPR_EQ("TRUE", "true");
	EXPR_EQ("false", "false");
	EXPR_NULL("NULL");
	EXPR_TYPE("TRUE", "boolean");
}

Test(expr_parse, typed_date_and_timestamp_literals)
{
	EXPR_EQ("DATE '2024-02-29'", "2024-02-29");
	EXPR_TYPE("DATE '2024-02-29'", "date");
	EXPR_EQ("TIMESTAMP '2024-01-02 03:04:05.5'", "2024-01-02 03:04:05.5");
	sl_err err = sl_test_expr_parse_error("DATE '2024-02-30'");
	cr_assert(strstr(err.msg, "DATE"), "%s", err.msg);
}

Test(expr_parse, column_references)
{
	EXPR_EQ("value", "42");
	EXPR_EQ("VALUE", "42");
	EXPR_EQ("`value`", "42");
	EXPR_EQ("t.value", "42");
	EXPR_EQ("s", "Hello World");
	EXPR_TYPE("value", "bigint");
	EXPR_TYPE("ts", "timestamp");
	EXPR_NULL("n");
}

Test(expr_parse, struct_fields_and_array_index)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("st.a", "7");
	EXPR_EQ("st.B", "q");
	EXPR_EQ("t.st.a", "7");
	EXPR_TYPE("st.a", "int");
	EXPR_EQ("arr[0]", "x");
	EXPR_NULL("arr[1]");
	EXPR_NULL("arr[3]");
	EXPR_NULL("arr[-1]");
	EXPR_EQ("struct(value, s).s", "Hello World");
	EXPR_EQ("split(s, ' ')[1]", "World");
}

/* ---- names and aliases ------------------------------------------------ */

Test(expr_parse, default_output_names_are_sparks)
{
	EXPR_NAME("value", "value");
	EXPR_NAME("VALUE", "VALUE"); /* as the query spells it (Spark) */
	EXPR_NAME("t.value", "value");
	EXPR_NAME("st.a", "a");
	EXPR_NAME("value * 10", "(value * 10)");
	EXPR_NAME("value + 1 - 2", "((value + 1) - 2)");
	EXPR_NAME("upper(value)", "upper(value)");
	EXPR_NAME("UPPER(s)", "upper(s)");
	/* Spark names CAST(column AS t) after the column */
	EXPR_NAME("CAST(value AS STRING)", "value");
	EXPR_NAME("CAST(value + 1 AS STRING)", "CAST((value + 1) AS STRING)");
	EXPR_NAME("CAST(arr AS ARRAY<INT>)", "arr");
	EXPR_NAME("CAST(1 AS BIGINT)", "CAST(1 AS BIGINT)");
	EXPR_NAME("explode(split(s, ' '))", "col");
	EXPR_NAME("split(s, ' ')", "split(s,  , -1)");
	EXPR_NAME("-value", "(- value)");
	EXPR_NAME("-5", "-5");
	EXPR_NAME("'abc'", "abc");
	EXPR_NAME("NULL", "NULL");
	EXPR_NAME("TRUE", "true");
	EXPR_NAME("value > 1 AND NOT b", "((value > 1) AND (NOT b))");
	EXPR_NAME("value != 1", "(NOT (value = 1))");
	EXPR_NAME("value <=> 1", "(value <=> 1)");
	EXPR_NAME("n IS NOT NULL", "(n IS NOT NULL)");
	EXPR_NAME("value IN (1, 2)", "(value IN (1, 2))");
	EXPR_NAME("value NOT IN (1, 2)", "(NOT (value IN (1, 2)))");
	EXPR_NAME("s LIKE 'a%'", "s LIKE a%");
	EXPR_NAME("CASE WHEN b THEN 1 ELSE 0 END",
		  "CASE WHEN b THEN 1 ELSE 0 END");
	EXPR_NAME("substring(s, 2)", "substring(s, 2, 2147483647)");
	EXPR_NAME("round(d)", "round(d, 0)");
	EXPR_NAME("coalesce(n, 1)", "coalesce(n, 1)");
	EXPR_NAME("struct(value, s)", "struct(value, s)");
	EXPR_NAME("arr[0]", "arr[0]");
	/* implicit casts do not show */
	EXPR_NAME("value + 1.5", "(value + 1.5)");
	EXPR_NAME("value = '1'", "(value = 1)");
	EXPR_NAME("from_json(s, 'a INT')", "from_json(s)");
	EXPR_NAME("dt + 1", "date_add(dt, 1)");
}

Test(expr_parse, aliases)
{
	EXPR_NAME("value * 10 AS v", "v");
	EXPR_NAME("value * 10 v", "v");
	EXPR_NAME("value AS `my col`", "my col");
	EXPR_NAME("value `x`", "x");
	EXPR_NAME("upper(s) AS Up", "Up");
	EXPR_NAME("st.a AS z", "z");
	EXPR_NAME("CAST(value AS STRING) AS str", "str");
	EXPR_EQ("value * 10 AS v", "420");
	/* AS (a, b) names a generator's columns only */
	sl_err err = sl_test_expr_parse_error("value AS (a, b)");
	cr_assert(strstr(err.msg, "of a generator"), "%s", err.msg);
	sl_test_expr_parse_error("posexplode(arr) AS (a, b) extra");
	sl_test_expr_parse_error("posexplode(arr) AS (a, 1)");
	sl_test_expr_parse_error("value AS");
	sl_test_expr_parse_error("value AS v extra");
	/* where aliases are not allowed */
	err = (sl_err){ 0 };
	cr_assert_null(
		sl_expr_parse("value AS v", false, &sl_test_expr_arena, &err));
	cr_assert_eq(err.code, SL_ESYNTAX);
	cr_assert_eq(err.pos, 7);
}

Test(expr_parse, star)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse("*", true, &sl_test_expr_arena, &err);
	cr_assert_not_null(e);
	cr_assert(sl_expr_is_star(e));
	e = sl_expr_parse("t.*", true, &sl_test_expr_arena, &err);
	cr_assert(sl_expr_is_star(e));
	cr_assert_not(sl_expr_is_star(
		sl_expr_parse("value", true, &sl_test_expr_arena, &err)));
	sl_test_expr_bind_error("* + 1");
}

/* ---- parse errors ----------------------------------------------------- */

Test(expr_parse, parse_error_names_position_and_token)
{
	sl_err err = sl_test_expr_parse_error("upper(value FROM x)");
	cr_assert_eq(err.pos, 13);
	cr_assert_str_eq(err.msg, "syntax error at position 13 near 'FROM': "
				  "expected ',' or ')'");
	err = sl_test_expr_parse_error("value + FROM");
	cr_assert_eq(err.pos, 9);
	cr_assert_str_eq(err.msg, "syntax error at position 9 near 'FROM': "
				  "expected an expression");
	err = sl_test_expr_parse_error("(value + 1");
	cr_assert_eq(err.pos, 11);
	cr_assert_str_eq(err.msg, "syntax error at position 11 near end of "
				  "input: expected ')'");
	err = sl_test_expr_parse_error("value > 1 value2 value3");
	cr_assert_eq(err.pos, 18);
	cr_assert(strstr(err.msg, "'value3'"), "%s", err.msg);
}

Test(expr_parse, parse_error_positions_count_characters)
{
	/* é is two bytes but one character */
	sl_err err = sl_test_expr_parse_error("'\xc3\xa9' + )");
	cr_assert_eq(err.pos, 7, "%s", err.msg);
	cr_assert(strstr(err.msg, "position 7"), "%s", err.msg);
}

Test(expr_parse, lexical_errors)
{
	sl_err err = sl_test_expr_parse_error("s = 'abc");
	cr_assert_eq(err.pos, 5);
	cr_assert(strstr(err.msg, "unterminated string"), "%s", err.msg);
	err = sl_test_expr_parse_error("value # 2");
	cr_assert_eq(err.pos, 7);
	cr_assert(strstr(err.msg, "'#'"), "%s", err.msg);
	err = sl_test_expr_parse_error("`value");
	cr_assert(strstr(err.msg, "unterminated"), "%s", err.msg);
	err = sl_test_expr_parse_error("12abc");
	cr_assert(strstr(err.msg, "malformed number"), "%s", err.msg);
	err = sl_test_expr_parse_error("");
	cr_assert_eq(err.pos, 1);
	sl_test_expr_parse_error("   ");
	sl_test_expr_parse_error("value IN 1");
	sl_test_expr_parse_error("value NOT 1");
	sl_test_expr_parse_error("value IS 1");
	sl_test_expr_parse_error("f(1,)");
	sl_test_expr_parse_error("arr[0");
	sl_test_expr_parse_error("st.");
	sl_test_expr_parse_error("INTERVAL 1 FORTNIGHT");
	sl_test_expr_parse_error("INTERVAL 1.5 DAYS");
	sl_test_expr_parse_error("INTERVAL '1-13' YEAR TO MONTH");
	err = sl_test_expr_parse_error("2147483648S");
	cr_assert(strstr(err.msg, "smallint"), "%s", err.msg);
}

Test(expr_parse, comments_and_whitespace)
{
	EXPR_EQ("value /* c */ + -- rest\n 1", "43");
	EXPR_EQ("\n\tvalue\n", "42");
}
