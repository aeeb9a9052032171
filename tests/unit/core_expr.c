/* tests/unit/core_expr.c - the Spark SQL expression engine (core/expr*.c):
 * parsing and its errors, binding and its errors, Spark's null rules,
 * every operator and function, casts, output names, generators. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/expr.h"
#include "sluice.h"

static sl_arena A;
static sl_schema *S;
static sl_value ROW[14];
static sl_value ARR[3], ST[2];
static const uint8_t BIN[] = { 0x61, 0x62, 0xff };

/* 2024-01-02 03:04:05.123 UTC */
#define TS_US 1704164645123000LL

static void setup(void)
{
	sl_arena_init(&A);
	sl_err err = { 0 };
	S = sl_schema_parse("value BIGINT, s STRING, d DOUBLE, i INT, "
			    "b BOOLEAN, ts TIMESTAMP, n BIGINT, "
			    "arr ARRAY<STRING>, st STRUCT<a: INT, b: STRING>, "
			    "ns STRING, nd DOUBLE, nb BOOLEAN, dt DATE, "
			    "bin BINARY",
			    &A, &err);
	cr_assert_not_null(S, "%s", err.msg);
	ARR[0] = sl_v_str("x", 1);
	ARR[1] = sl_v_null();
	ARR[2] = sl_v_str("z", 1);
	ST[0] = sl_v_int(7);
	ST[1] = sl_v_str("q", 1);
	ROW[0] = sl_v_long(42);
	ROW[1] = sl_v_str("Hello World", 11);
	ROW[2] = sl_v_double(2.5);
	ROW[3] = sl_v_int(-3);
	ROW[4] = sl_v_bool(true);
	ROW[5] = sl_v_ts(TS_US);
	ROW[6] = sl_v_null();
	ROW[7] = (sl_value){ .type = SL_ARRAY, .len = 3, .v.arr = ARR };
	ROW[8] = (sl_value){ .type = SL_STRUCT, .len = 2, .v.fields = ST };
	ROW[9] = sl_v_null();
	ROW[10] = sl_v_null();
	ROW[11] = sl_v_null();
	ROW[12] = sl_v_date(19724); /* 2024-01-02 */
	ROW[13] = sl_v_bin(BIN, 3);
}

static void teardown(void)
{
	sl_arena_free(&A);
}

TestSuite(expr, .init = setup, .fini = teardown);

/* Parses and binds; NULL with err filled on failure. */
static sl_expr *compile(const char *text, sl_err *err)
{
	sl_expr *e = sl_expr_parse(text, true, &A, err);
	if (!e)
		return NULL;
	if (sl_expr_bind(e, S, &A, err))
		return NULL;
	return e;
}

static sl_expr *must(const char *text)
{
	sl_err err = { 0 };
	sl_expr *e = compile(text, &err);
	cr_assert_not_null(e, "'%s': %s", text, err.msg);
	return e;
}

static sl_value val(const char *text)
{
	sl_err err = { 0 };
	sl_value v;
	sl_expr *e = must(text);
	int rc = sl_expr_eval(e, ROW, &A, &v, &err);
	cr_assert_eq(rc, 0, "'%s': eval failed: %s", text, err.msg);
	return v;
}

/* The result rendered as Spark prints it; "<null>" for a null result. */
static const char *run(const char *text)
{
	sl_value v = val(text);
	if (v.type == SL_NULL)
		return "<null>";
	size_t n = sl_value_render(&v, NULL, 0);
	char *buf = sl_arena_alloc(&A, n + 1);
	sl_value_render(&v, buf, n + 1);
	return buf;
}

static const char *type_of(const char *text)
{
	char *buf = sl_arena_alloc(&A, 256);
	sl_dtype_name(sl_expr_type(must(text)), buf, 256);
	return buf;
}

static const char *name_of(const char *text)
{
	return sl_expr_name(must(text));
}

static sl_err parse_error(const char *text)
{
	sl_err err = { 0 };
	cr_assert_null(sl_expr_parse(text, true, &A, &err),
		       "'%s' parsed but should not", text);
	cr_assert_eq(err.code, SL_ESYNTAX, "'%s': %s", text, err.msg);
	return err;
}

static sl_err bind_error(const char *text)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse(text, true, &A, &err);
	cr_assert_not_null(e, "'%s': %s", text, err.msg);
	cr_assert_neq(sl_expr_bind(e, S, &A, &err), 0,
		      "'%s' bound but should not", text);
	cr_assert_eq(err.code, SL_EANALYSIS, "'%s': %s", text, err.msg);
	return err;
}

#define EQ(text, want) cr_assert_str_eq(run(text), want, "%s", text)
#define NUL(text) cr_assert_str_eq(run(text), "<null>", "%s", text)
#define TYPE(text, want) cr_assert_str_eq(type_of(text), want, "%s", text)
#define NAME(text, want) cr_assert_str_eq(name_of(text), want, "%s", text)

/* ---- literals and references ------------------------------------------ */

Test(expr, integer_literals_take_int_or_bigint_by_size)
{
	TYPE("1", "int");
	TYPE("2147483647", "int");
	TYPE("2147483648", "bigint");
	TYPE("-2147483648", "int");
	TYPE("-2147483649", "bigint");
	TYPE("10L", "bigint");
	EQ("9223372036854775807", "9223372036854775807");
	EQ("-9223372036854775808", "-9223372036854775808");
	TYPE("92233720368547758070", "double");
}

Test(expr, decimal_literals_are_doubles)
{
	TYPE("1.5", "double");
	EQ("1.5", "1.5");
	EQ(".5", "0.5");
	EQ("1e3", "1000.0");
	EQ("2.5E-3", "0.0025");
	EQ("1.0E10", "1.0E10");
	TYPE("3D", "double");
}

Test(expr, string_literals_and_escapes)
{
	EQ("'abc'", "abc");
	EQ("\"dq\"", "dq");
	EQ("'a\\tb'", "a\tb");
	EQ("'l1\\nl2'", "l1\nl2");
	EQ("'back\\\\slash'", "back\\slash");
	EQ("'it\\'s'", "it's");
	EQ("'\\u0041\\u00e9'", "A\xc3\xa9");
	EQ("'\\101'", "A");
	/* Spark keeps \% and \_ escaped for LIKE */
	EQ("'100\\%'", "100\\%");
	/* other escaped characters are themselves */
	EQ("'\\s'", "s");
	/* adjacent literals concatenate */
	EQ("'It' 's'", "Its");
	TYPE("'x'", "string");
}

Test(expr, boolean_and_null_literals)
{
	EQ("TRUE", "true");
	EQ("false", "false");
	NUL("NULL");
	TYPE("TRUE", "boolean");
}

Test(expr, typed_date_and_timestamp_literals)
{
	EQ("DATE '2024-02-29'", "2024-02-29");
	TYPE("DATE '2024-02-29'", "date");
	EQ("TIMESTAMP '2024-01-02 03:04:05.5'", "2024-01-02 03:04:05.5");
	sl_err err = parse_error("DATE '2024-02-30'");
	cr_assert(strstr(err.msg, "DATE"), "%s", err.msg);
}

Test(expr, column_references)
{
	EQ("value", "42");
	EQ("VALUE", "42");
	EQ("`value`", "42");
	EQ("t.value", "42");
	EQ("s", "Hello World");
	TYPE("value", "bigint");
	TYPE("ts", "timestamp");
	NUL("n");
}

Test(expr, struct_fields_and_array_index)
{
	EQ("st.a", "7");
	EQ("st.B", "q");
	EQ("t.st.a", "7");
	TYPE("st.a", "int");
	EQ("arr[0]", "x");
	NUL("arr[1]");
	NUL("arr[3]");
	NUL("arr[-1]");
	EQ("struct(value, s).s", "Hello World");
	EQ("split(s, ' ')[1]", "World");
}

/* ---- arithmetic ------------------------------------------------------- */

Test(expr, arithmetic_types_and_values)
{
	EQ("value + 1", "43");
	TYPE("value + 1", "bigint");
	TYPE("i + 1", "int");
	TYPE("i + value", "bigint");
	TYPE("i + d", "double");
	EQ("value - 50", "-8");
	EQ("value * 10", "420");
	EQ("d * 2", "5.0");
	EQ("i * i", "9");
}

Test(expr, division_is_always_double)
{
	EQ("7 / 2", "3.5");
	TYPE("7 / 2", "double");
	TYPE("value / value", "double");
	EQ("value / 4", "10.5");
	NUL("1 / 0");
	NUL("1.5 / 0");
	NUL("d / 0.0");
}

Test(expr, remainder_follows_java)
{
	EQ("7 % 3", "1");
	EQ("-7 % 3", "-1");
	EQ("7 % -3", "1");
	EQ("value % 5", "2");
	TYPE("value % 5", "bigint");
	EQ("5.5 % 2", "1.5");
	NUL("7 % 0");
	NUL("d % 0");
	EQ("-2147483648 % -1", "0");
}

Test(expr, integer_overflow_wraps_as_spark_without_ansi)
{
	EQ("2147483647 + 1", "-2147483648");
	EQ("9223372036854775807L + 1", "-9223372036854775808");
	EQ("-(-2147483648)", "-2147483648");
	EQ("65536 * 65536", "0");
}

Test(expr, unary_minus)
{
	EQ("-value", "-42");
	EQ("-d", "-2.5");
	EQ("-i", "3");
	EQ("- (1 + 2)", "-3");
	NUL("-n");
}

Test(expr, strings_in_arithmetic_become_doubles)
{
	EQ("'1' + 1", "2.0");
	TYPE("'1' + 1", "double");
	NUL("'x' + 1");
	TYPE("value + '2'", "double");
	EQ("value + '2'", "44.0");
}

Test(expr, arithmetic_null_rules)
{
	NUL("n + 1");
	NUL("1 - n");
	NUL("n * 2");
	NUL("n / 2");
	NUL("2 % n");
	NUL("NULL + 1");
	TYPE("NULL + 1", "int");
}

Test(expr, date_plus_days)
{
	EQ("dt + 1", "2024-01-03");
	EQ("dt - 2", "2023-12-31");
	EQ("30 + dt", "2024-02-01");
	TYPE("dt + 1", "date");
	sl_err err = bind_error("dt - dt");
	cr_assert(strstr(err.msg, "whole number of days"), "%s", err.msg);
	bind_error("dt + 1.5");
}

/* ---- comparison ------------------------------------------------------- */

Test(expr, comparison_operators)
{
	EQ("value = 42", "true");
	EQ("value == 42", "true");
	EQ("value != 42", "false");
	EQ("value <> 41", "true");
	EQ("value < 43", "true");
	EQ("value <= 42", "true");
	EQ("value > 42", "false");
	EQ("value >= 43", "false");
	EQ("i < d", "true");
	EQ("s = 'Hello World'", "true");
	EQ("s < 'Hello'", "false");
	EQ("'a' < 'b'", "true");
	EQ("'ab' < 'abc'", "true");
	EQ("b = true", "true");
	EQ("ts > TIMESTAMP '2024-01-01 00:00:00'", "true");
	EQ("dt = DATE '2024-01-02'", "true");
	EQ("st = named_struct('a', 7, 'b', 'q')", "true");
	EQ("st = named_struct('a', 7, 'b', 'r')", "false");
}

Test(expr, comparison_null_rules)
{
	NUL("n = 1");
	NUL("1 = n");
	NUL("n <> 1");
	NUL("n < 1");
	NUL("NULL = NULL");
	NUL("ns = 'a'");
}

Test(expr, null_safe_equality)
{
	EQ("n <=> NULL", "true");
	EQ("value <=> NULL", "false");
	EQ("NULL <=> NULL", "true");
	EQ("value <=> 42", "true");
	EQ("n <=> 1", "false");
}

Test(expr, nan_equals_itself_and_is_largest)
{
	EQ("CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", "true");
	EQ("CAST('NaN' AS DOUBLE) > 1e308", "true");
	EQ("0.0 = -0.0", "true");
}

Test(expr, comparison_coerces_strings_to_the_other_side)
{
	EQ("value = '42'", "true");
	EQ("value > '5'", "true"); /* numeric, not string, order */
	/* Spark casts '42.9' to the bigint 42 */
	EQ("value = '42.9'", "true");
	NUL("value = 'abc'");
	EQ("dt = '2024-01-02'", "true");
	EQ("ts < '2025-01-01'", "true");
}

Test(expr, comparison_type_mismatch_is_an_analysis_error)
{
	sl_err err = bind_error("b = 1");
	cr_assert(strstr(err.msg, "data type mismatch"), "%s", err.msg);
	bind_error("arr = 1");
	bind_error("st = struct(7, 'q')"); /* field names differ */
}

/* ---- logic ------------------------------------------------------------ */

Test(expr, three_valued_and)
{
	EQ("TRUE AND TRUE", "true");
	EQ("TRUE AND FALSE", "false");
	NUL("TRUE AND NULL");
	NUL("NULL AND TRUE");
	EQ("FALSE AND NULL", "false");
	EQ("NULL AND FALSE", "false");
	NUL("NULL AND NULL");
	NUL("b AND n > 1");
}

Test(expr, three_valued_or)
{
	EQ("FALSE OR FALSE", "false");
	EQ("FALSE OR TRUE", "true");
	EQ("TRUE OR NULL", "true");
	EQ("NULL OR TRUE", "true");
	NUL("FALSE OR NULL");
	NUL("NULL OR FALSE");
	NUL("NULL OR NULL");
}

Test(expr, not_and_precedence)
{
	EQ("NOT TRUE", "false");
	EQ("NOT FALSE", "true");
	NUL("NOT NULL");
	NUL("NOT nb");
	/* NOT binds looser than comparison, AND tighter than OR */
	EQ("NOT value = 1", "true");
	EQ("TRUE OR TRUE AND FALSE", "true");
	EQ("(TRUE OR TRUE) AND FALSE", "false");
	EQ("1 + 2 * 3 = 7", "true");
}

Test(expr, logic_needs_booleans)
{
	sl_err err = bind_error("value AND TRUE");
	cr_assert(strstr(err.msg, "boolean"), "%s", err.msg);
	bind_error("NOT s");
}

Test(expr, is_null)
{
	EQ("n IS NULL", "true");
	EQ("value IS NULL", "false");
	EQ("n IS NOT NULL", "false");
	EQ("value IS NOT NULL", "true");
	EQ("(n + 1) IS NULL", "true");
	EQ("NULL IS NULL", "true");
}

/* ---- IN, LIKE, RLIKE, BETWEEN ----------------------------------------- */

Test(expr, in_list_with_nulls)
{
	EQ("value IN (1, 42)", "true");
	EQ("value IN (1, 2)", "false");
	/* no match and a null in the list: unknown */
	NUL("value IN (1, NULL)");
	/* a match wins over a null */
	EQ("value IN (NULL, 42)", "true");
	NUL("n IN (1, 2)");
	EQ("value NOT IN (1, 2)", "true");
	EQ("value NOT IN (1, 42)", "false");
	NUL("value NOT IN (1, NULL)");
	EQ("s IN ('a', 'Hello World')", "true");
	EQ("i IN (-3.0)", "true");
	EQ("value IN ('42')", "true");
}

Test(expr, like_wildcards_and_escapes)
{
	EQ("s LIKE 'Hello%'", "true");
	EQ("s LIKE '%World'", "true");
	EQ("s LIKE '%lo W%'", "true");
	EQ("s LIKE 'Hello_World'", "true");
	EQ("s LIKE 'Hello__World'", "false");
	EQ("s LIKE 'hello%'", "false");
	EQ("s LIKE '%'", "true");
	EQ("s LIKE 'Hello World'", "true");
	EQ("s LIKE 'Hello Worl'", "false");
	EQ("'' LIKE ''", "true");
	EQ("'a' LIKE ''", "false");
	EQ("'' LIKE '%a%'", "false");
	EQ("'ab' LIKE 'abc%'", "false");
	EQ("'ab' LIKE '%abc'", "false");
	EQ("'' LIKE '%'", "true");
	EQ("'' LIKE '_'", "false");
	EQ("'abc' LIKE 'a%c%'", "true");
	EQ("'aXbXc' LIKE '%X%X%'", "true");
	EQ("'aXb' LIKE '%X%X%'", "false");
	/* _ matches one character, not one byte */
	EQ("'h\xc3\xa9llo' LIKE 'h_llo'", "true");
	EQ("'100%' LIKE '100\\%'", "true");
	EQ("'1000' LIKE '100\\%'", "false");
	EQ("'a_b' LIKE 'a\\_b'", "true");
	EQ("'axb' LIKE 'a\\_b'", "false");
	EQ("s NOT LIKE 'H%'", "false");
	NUL("ns LIKE 'a%'");
	NUL("s LIKE ns");
	EQ("value LIKE '4%'", "true"); /* numbers are cast to strings */
}

Test(expr, like_bad_escape_is_an_error)
{
	sl_err err = bind_error("s LIKE 'a\\\\b'");
	cr_assert(strstr(err.msg, "escape"), "%s", err.msg);
	err = bind_error("s LIKE 'ab\\\\'");
	cr_assert(strstr(err.msg, "escape"), "%s", err.msg);
}

Test(expr, rlike_finds_anywhere)
{
	EQ("s RLIKE 'World'", "true");
	EQ("s RLIKE '^World'", "false");
	EQ("s RLIKE '^H.*d$'", "true");
	EQ("s RLIKE '\\\\s'", "true");
	EQ("'abc123' RLIKE '\\\\d+$'", "true");
	EQ("s NOT RLIKE 'x'", "true");
	EQ("s REGEXP 'o W'", "true");
	NUL("ns RLIKE 'a'");
	sl_err err = bind_error("s RLIKE '(?<=a)b'");
	cr_assert(strstr(err.msg, "not supported"), "%s", err.msg);
}

Test(expr, between_is_inclusive)
{
	EQ("value BETWEEN 40 AND 42", "true");
	EQ("value BETWEEN 43 AND 50", "false");
	EQ("value NOT BETWEEN 43 AND 50", "true");
	NUL("n BETWEEN 1 AND 2");
	NAME("value BETWEEN 1 AND 2", "((value >= 1) AND (value <= 2))");
}

/* ---- CASE ------------------------------------------------------------- */

Test(expr, case_when)
{
	EQ("CASE WHEN value > 40 THEN 'big' ELSE 'small' END", "big");
	EQ("CASE WHEN value > 50 THEN 'big' ELSE 'small' END", "small");
	EQ("CASE WHEN value > 50 THEN 'a' WHEN value > 40 THEN 'b' END", "b");
	NUL("CASE WHEN value > 50 THEN 'big' END");
	/* a null condition is not true */
	EQ("CASE WHEN n > 1 THEN 'x' ELSE 'y' END", "y");
	EQ("CASE WHEN TRUE THEN 1 ELSE 2.5 END", "1.0");
	TYPE("CASE WHEN TRUE THEN 1 ELSE 2.5 END", "double");
	TYPE("CASE WHEN TRUE THEN 1 ELSE 'x' END", "string");
	TYPE("CASE WHEN TRUE THEN NULL ELSE 1L END", "bigint");
}

Test(expr, simple_case)
{
	EQ("CASE i WHEN -3 THEN 'neg' WHEN 3 THEN 'pos' END", "neg");
	EQ("CASE value WHEN 1 THEN 'one' ELSE 'other' END", "other");
	/* a null operand matches nothing */
	EQ("CASE n WHEN NULL THEN 'null' ELSE 'else' END", "else");
	NAME("CASE i WHEN 1 THEN 'a' END", "CASE WHEN (i = 1) THEN a END");
}

Test(expr, case_errors)
{
	bind_error("CASE WHEN value THEN 1 END");
	bind_error("CASE WHEN TRUE THEN 1 ELSE arr END");
	parse_error("CASE value END");
	parse_error("CASE WHEN TRUE THEN 1");
}

/* ---- CAST ------------------------------------------------------------- */

Test(expr, cast_string_to_numbers)
{
	EQ("CAST('10' AS INT)", "10");
	EQ("CAST(' 12 ' AS INT)", "12");
	EQ("CAST('+7' AS INTEGER)", "7");
	EQ("CAST('1.9' AS INT)", "1"); /* Spark truncates a fraction */
	EQ("CAST('-1.9' AS BIGINT)", "-1");
	NUL("CAST('abc' AS INT)");
	NUL("CAST('1e3' AS INT)");
	NUL("CAST('' AS INT)");
	NUL("CAST('2147483648' AS INT)");
	EQ("CAST('2147483648' AS BIGINT)", "2147483648");
	NUL("CAST('9223372036854775808' AS LONG)");
	EQ("CAST('-9223372036854775808' AS LONG)", "-9223372036854775808");
	EQ("CAST('1.5' AS DOUBLE)", "1.5");
	EQ("CAST(' 1e3 ' AS DOUBLE)", "1000.0");
	EQ("CAST('2.5d' AS DOUBLE)", "2.5");
	EQ("CAST('inf' AS DOUBLE)", "Infinity");
	EQ("CAST('-Infinity' AS DOUBLE)", "-Infinity");
	EQ("CAST('NaN' AS DOUBLE)", "NaN");
	NUL("CAST('1.5x' AS DOUBLE)");
	NUL("CAST('0x10' AS DOUBLE)");
}

Test(expr, cast_numbers)
{
	EQ("CAST(3.9 AS INT)", "3");
	EQ("CAST(-3.9 AS INT)", "-3");
	EQ("CAST(1e20 AS INT)", "2147483647"); /* saturates as Java */
	EQ("CAST(CAST('NaN' AS DOUBLE) AS BIGINT)", "0");
	EQ("CAST(2147483648 AS INT)", "-2147483648"); /* wraps as Java */
	EQ("CAST(value AS DOUBLE)", "42.0");
	EQ("CAST(i AS BIGINT)", "-3");
	TYPE("CAST(i AS BIGINT)", "bigint");
	EQ("CAST(TRUE AS INT)", "1");
	EQ("CAST(0 AS BOOLEAN)", "false");
	EQ("CAST(d AS BOOLEAN)", "true");
}

Test(expr, cast_to_string)
{
	EQ("CAST(value AS STRING)", "42");
	EQ("CAST(d AS STRING)", "2.5");
	EQ("CAST(1e10 AS STRING)", "1.0E10");
	EQ("CAST(b AS STRING)", "true");
	EQ("CAST(ts AS STRING)", "2024-01-02 03:04:05.123");
	EQ("CAST(dt AS STRING)", "2024-01-02");
	EQ("CAST(arr AS STRING)", "[x, null, z]");
	EQ("CAST(st AS STRING)", "{7, q}");
	EQ("CAST(bin AS STRING)", "ab\xff");
	NUL("CAST(n AS STRING)");
}

Test(expr, cast_string_to_boolean)
{
	EQ("CAST('true' AS BOOLEAN)", "true");
	EQ("CAST('T' AS BOOLEAN)", "true");
	EQ("CAST(' yes ' AS BOOLEAN)", "true");
	EQ("CAST('1' AS BOOLEAN)", "true");
	EQ("CAST('FALSE' AS BOOLEAN)", "false");
	EQ("CAST('n' AS BOOLEAN)", "false");
	EQ("CAST('0' AS BOOLEAN)", "false");
	NUL("CAST('maybe' AS BOOLEAN)");
}

Test(expr, cast_string_to_timestamp_and_date)
{
	EQ("CAST('2024-01-02' AS TIMESTAMP)", "2024-01-02 00:00:00");
	EQ("CAST('2024-01-02 03:04:05' AS TIMESTAMP)", "2024-01-02 03:04:05");
	EQ("CAST('2024-01-02T03:04:05.5Z' AS TIMESTAMP)",
	   "2024-01-02 03:04:05.5");
	EQ("CAST('2024-1-2 3:4:5.123456789' AS TIMESTAMP)",
	   "2024-01-02 03:04:05.123456");
	EQ("CAST('2024-01-02 03:04:05+01:00' AS TIMESTAMP)",
	   "2024-01-02 02:04:05");
	EQ("CAST('2024-01-02 03:04:05 UTC' AS TIMESTAMP)",
	   "2024-01-02 03:04:05");
	EQ("CAST('2024-01' AS TIMESTAMP)", "2024-01-01 00:00:00");
	NUL("CAST('2024-13-01' AS TIMESTAMP)");
	NUL("CAST('2024-01-02 25:00:00' AS TIMESTAMP)");
	NUL("CAST('yesterday' AS TIMESTAMP)");
	EQ("CAST('2024-02-29' AS DATE)", "2024-02-29");
	EQ("CAST('2024-02-29T10:00' AS DATE)", "2024-02-29");
	EQ("CAST(' 2024-3-1 ' AS DATE)", "2024-03-01");
	NUL("CAST('2023-02-29' AS DATE)");
	NUL("CAST('24-01-01' AS DATE)");
}

Test(expr, cast_timestamps_dates_and_numbers)
{
	EQ("CAST(ts AS DATE)", "2024-01-02");
	EQ("CAST(dt AS TIMESTAMP)", "2024-01-02 00:00:00");
	EQ("CAST(ts AS BIGINT)", "1704164645");
	EQ("CAST(ts AS DOUBLE)", "1.704164645123E9");
	EQ("CAST(1704164645 AS TIMESTAMP)", "2024-01-02 03:04:05");
	EQ("CAST(1.5 AS TIMESTAMP)", "1970-01-01 00:00:01.5");
	EQ("CAST(-1 AS TIMESTAMP)", "1969-12-31 23:59:59");
	NUL("CAST(dt AS INT)");
}

Test(expr, cast_binary)
{
	EQ("CAST('ab' AS BINARY)", "[61 62]");
	EQ("CAST(CAST('ab' AS BINARY) AS STRING)", "ab");
	EQ("CAST(258 AS BINARY)", "[00 00 01 02]");
	EQ("CAST(1L AS BINARY)", "[00 00 00 00 00 00 00 01]");
	TYPE("CAST(s AS BINARY)", "binary");
}

Test(expr, cast_complex)
{
	EQ("CAST(array(1, 2) AS ARRAY<STRING>)", "[1, 2]");
	TYPE("CAST(array(1, 2) AS ARRAY<STRING>)", "array<string>");
	EQ("CAST(st AS STRUCT<x: STRING, y: STRING>)", "{7, q}");
	TYPE("CAST(st AS STRUCT<x: STRING, y: STRING>)",
	     "struct<x:string,y:string>");
}

Test(expr, impossible_casts_are_analysis_errors)
{
	sl_err err = bind_error("CAST(value AS DATE)");
	cr_assert(strstr(err.msg, "cannot cast bigint to date"), "%s", err.msg);
	bind_error("CAST(arr AS INT)");
	bind_error("CAST(b AS TIMESTAMP)");
	err = parse_error("CAST(value AS FOO)");
	cr_assert_eq(err.pos, 15, "%s", err.msg);
}

/* ---- string functions ------------------------------------------------- */

Test(expr, lower_upper)
{
	EQ("lower(s)", "hello world");
	EQ("upper(s)", "HELLO WORLD");
	EQ("UPPER('SparkSql')", "SPARKSQL");
	EQ("lcase('ABC')", "abc");
	EQ("upper(value)", "42");
	EQ("upper('\xc3\xa9t\xc3\xa9')", "\xc3\x89T\xc3\x89");
	EQ("lower('\xd0\x96')", "\xd0\xb6");
	NUL("upper(ns)");
	NUL("lower(NULL)");
}

Test(expr, length_counts_characters)
{
	EQ("length(s)", "11");
	EQ("length('Spark SQL ')", "10");
	EQ("length('h\xc3\xa9llo')", "5");
	EQ("length('')", "0");
	EQ("length(bin)", "3");
	EQ("char_length(value)", "2");
	TYPE("length(s)", "int");
	NUL("length(ns)");
}

Test(expr, concat)
{
	EQ("concat('Spark', 'SQL')", "SparkSQL");
	EQ("concat(s, '!', value)", "Hello World!42");
	EQ("s || '?'", "Hello World?");
	EQ("concat()", "");
	NUL("concat(s, NULL)");
	NUL("concat(ns, 'x')");
	EQ("concat(bin, bin)", "[61 62 FF 61 62 FF]");
	TYPE("concat(bin, bin)", "binary");
	NAME("'a' || 'b'", "concat(a, b)");
}

Test(expr, substring_spark_positions)
{
	EQ("substring('Spark SQL', 5)", "k SQL");
	EQ("substring('Spark SQL', -3)", "SQL");
	EQ("substring('Spark SQL', 5, 1)", "k");
	EQ("substring('Spark SQL', 0, 2)", "Sp"); /* 0 is 1 */
	EQ("substring('Spark SQL', 1, 100)", "Spark SQL");
	EQ("substring('Spark SQL', 20)", "");
	EQ("substring('Spark SQL', 2, -1)", "");
	EQ("substring('Spark SQL', -20, 3)", "");
	EQ("substring('Spark SQL', -20, 18)", "Spark S");
	EQ("substr(s, 7)", "World");
	EQ("substring('h\xc3\xa9llo', 2, 2)", "\xc3\xa9l");
	EQ("substring(bin, 2)", "[62 FF]");
	NUL("substring(ns, 1)");
	NUL("substring(s, CAST(NULL AS INT))");
	NUL("substring(s, 1, CAST(NULL AS INT))");
}

Test(expr, trim_removes_spaces_only)
{
	EQ("trim('    SparkSQL   ')", "SparkSQL");
	EQ("ltrim('  a  ')", "a  ");
	EQ("rtrim('  a  ')", "  a");
	EQ("trim('\ta\t')", "\ta\t");
	EQ("trim('   ')", "");
	NUL("trim(ns)");
}

Test(expr, coalesce)
{
	EQ("coalesce(NULL, 1, NULL)", "1");
	EQ("coalesce(n, value)", "42");
	EQ("coalesce(n, 5)", "5");
	NUL("coalesce(n, NULL)");
	TYPE("coalesce(i, 2.5)", "double");
	EQ("coalesce(i, 2.5)", "-3.0");
	EQ("coalesce(ns, 'dflt')", "dflt");
	TYPE("coalesce(n, value)", "bigint");
}

/* ---- split and explode ------------------------------------------------ */

Test(expr, split_on_a_character)
{
	EQ("split(s, ' ')", "[Hello, World]");
	EQ("split('a,b,,c,,', ',')", "[a, b, , c, , ]");
	EQ("split(',a', ',')", "[, a]");
	EQ("split('abc', ',')", "[abc]");
	/* Java: "".split(",") is one empty string */
	EQ("split('', ',')[0]", "");
	NUL("split('', ',')[1]");
	EQ("split('a.b', '\\\\.')", "[a, b]");
	EQ("split('a|b', '\\\\|')", "[a, b]");
	TYPE("split(s, ' ')", "array<string>");
	NUL("split(ns, ' ')");
	NUL("split(s, ns)");
}

Test(expr, split_on_a_regex)
{
	EQ("split('oneAtwoBthreeC', '[ABC]')", "[one, two, three, ]");
	EQ("split('oneAtwoBthreeC', '[ABC]', 2)", "[one, twoBthreeC]");
	EQ("split('oneAtwoBthreeC', '[ABC]', -1)", "[one, two, three, ]");
	EQ("split('a  b\tc', '\\\\s+')", "[a, b, c]");
	EQ("split('a1b22c', '\\\\d+')", "[a, b, c]");
	EQ("split('a::b', '::')", "[a, b]");
	EQ("split('a-b_c', '[-_]')", "[a, b, c]");
	EQ("split('x1y', '[^0-9]')", "[, 1, ]");
	/* a zero-width match at the start makes no leading empty piece */
	EQ("split('abc', 'x*')", "[a, b, c, ]");
	EQ("split('a,b,c', ',', 1)", "[a,b,c]");
	sl_err err = bind_error("split(s, 'a(?=b)')");
	cr_assert(strstr(err.msg, "split"), "%s", err.msg);
}

Test(expr, split_on_one_character_class)
{
	/* these take the byte-class path; results must equal Java's */
	EQ("split('a;b,c', '[;,]')", "[a, b, c]");
	EQ("split('a;;b', '[;,]')", "[a, , b]");
	EQ("split('a  b   c', ' +')", "[a, b, c]");
	EQ("split('a, b!c', '\\\\W+')", "[a, b, c]");
	EQ("split(' a b ', '\\\\s+')", "[, a, b, ]");
	EQ("split('a1b2', '[0-9]')", "[a, b, ]");
	EQ("split('h\xc3\xa9llo w\xc3\xb6rld', '[^a-z]+')", "[h, llo, w, rld]");
	EQ("split('a+b', '\\\\+')", "[a, b]");
	EQ("split('a\\\\b', '\\\\\\\\+')", "[a, b]");
	/* one byte of a multi-byte character never matches alone */
	EQ("split('x\xc3\xa9y', '[^a-z]')", "[x, y]");
}

Test(expr, split_on_empty_pattern_and_row_patterns)
{
	EQ("split('abc', '')", "[a, b, c]");
	EQ("split('abc', '', 2)", "[a, bc]");
	EQ("split('h\xc3\xa9', '')", "[h, \xc3\xa9]");
	/* a pattern that is not a literal is compiled per row */
	EQ("split(s, substring(s, 6, 1))", "[Hello, World]");
	EQ("split('a1b', concat('[0-9]', ''))", "[a, b]");
}

static void *split_thread(void *arg)
{
	sl_expr *e = arg;
	sl_arena a;
	sl_arena_init(&a);
	sl_value row[14], v;
	memcpy(row, ROW, sizeof(row));
	row[1] = sl_v_str("a  b c", 6);
	intptr_t bad = 0;
	for (int k = 0; k < 2000; k++) {
		sl_err err = { 0 };
		if (sl_expr_eval(e, row, &a, &v, &err) || v.len != 3 ||
		    v.v.arr[2].len != 1 || v.v.arr[2].v.str[0] != 'c')
			bad++;
		if (k % 100 == 0)
			sl_arena_reset(&a);
	}
	sl_arena_free(&a);
	return (void *)bad;
}

Test(expr, split_regex_is_thread_safe)
{
	sl_expr *e = must("split(s, '\\\\s+')");
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, split_thread, e);
	for (int i = 0; i < 4; i++) {
		void *bad;
		pthread_join(th[i], &bad);
		cr_assert_eq((intptr_t)bad, 0);
	}
}

Test(expr, explode_is_a_generator)
{
	sl_expr *e = must("explode(split(s, ' '))");
	cr_assert(sl_expr_is_generator(e));
	cr_assert_str_eq(sl_expr_name(e), "col");
	cr_assert_str_eq(type_of("explode(split(s, ' '))"), "string");
	sl_value v;
	sl_err err = { 0 };
	cr_assert_eq(sl_expr_eval_generator(e, ROW, &A, &v, &err), 0);
	cr_assert_eq(v.type, SL_ARRAY);
	cr_assert_eq(v.len, 2);
	cr_assert_eq(v.v.arr[1].len, 5);
	cr_assert_eq(memcmp(v.v.arr[1].v.str, "World", 5), 0);
	cr_assert_not(sl_expr_is_generator(must("split(s, ' ')")));
}

Test(expr, explode_null_and_alias)
{
	sl_expr *e = must("explode(split(ns, ' ')) AS word");
	cr_assert_str_eq(sl_expr_name(e), "word");
	sl_value v;
	sl_err err = { 0 };
	cr_assert_eq(sl_expr_eval_generator(e, ROW, &A, &v, &err), 0);
	cr_assert_eq(v.type, SL_NULL); /* zero rows */
	e = must("explode(arr)");
	cr_assert_eq(sl_expr_eval_generator(e, ROW, &A, &v, &err), 0);
	cr_assert_eq(v.len, 3);
	cr_assert_eq(v.v.arr[1].type, SL_NULL);
}

Test(expr, explode_must_be_at_the_root)
{
	sl_err err = bind_error("upper(explode(arr))");
	cr_assert(strstr(err.msg, "generators are not supported"), "%s",
		  err.msg);
	bind_error("explode(arr) = 'x'");
	err = bind_error("explode(s)");
	cr_assert(strstr(err.msg, "array"), "%s", err.msg);
	err = (sl_err){ 0 };
	cr_assert_neq(sl_expr_eval_generator(must("upper(s)"), ROW, &A,
					     &(sl_value){ 0 }, &err),
		      0);
}

/* ---- struct, array, JSON ---------------------------------------------- */

Test(expr, struct_names_its_fields)
{
	TYPE("struct(value, s)", "struct<value:bigint,s:string>");
	EQ("struct(value, s)", "{42, Hello World}");
	TYPE("struct(value * 2, upper(s))", "struct<col1:bigint,col2:string>");
	TYPE("struct(value AS v, s w)", "struct<v:bigint,w:string>");
	TYPE("struct(st.a)", "struct<a:int>");
	TYPE("struct(*)",
	     "struct<value:bigint,s:string,d:double,i:int,b:boolean,"
	     "ts:timestamp,n:bigint,arr:array<string>,"
	     "st:struct<a:int,b:string>,ns:string,nd:double,nb:boolean,"
	     "dt:date,bin:binary>");
	EQ("struct(value, n)", "{42, null}");
	TYPE("named_struct('a', 1, 'b', s)", "struct<a:int,b:string>");
	EQ("named_struct('a', 1, 'b', s)", "{1, Hello World}");
	bind_error("named_struct(s, 1)");
	bind_error("named_struct('a')");
	bind_error("upper(*)");
}

Test(expr, array_constructor)
{
	EQ("array(1, 2, 3)", "[1, 2, 3]");
	TYPE("array(1, 2L)", "array<bigint>");
	EQ("array(1, NULL)", "[1, null]");
	TYPE("array(s, value)", "array<string>");
}

Test(expr, to_json)
{
	EQ("to_json(named_struct('a', 1, 'b', 2))", "{\"a\":1,\"b\":2}");
	EQ("to_json(struct(value, s, n))",
	   "{\"value\":42,\"s\":\"Hello World\"}");
	EQ("to_json(struct(ts))", "{\"ts\":\"2024-01-02T03:04:05.123Z\"}");
	EQ("to_json(struct(dt, d, b))",
	   "{\"dt\":\"2024-01-02\",\"d\":2.5,\"b\":true}");
	EQ("to_json(struct(1.0 AS x, 1e10 AS y))", "{\"x\":1.0,\"y\":1.0E10}");
	EQ("to_json(struct(arr, st))",
	   "{\"arr\":[\"x\",null,\"z\"],\"st\":{\"a\":7,\"b\":\"q\"}}");
	EQ("to_json(struct('a\"b\\\\c\\n' AS q))",
	   "{\"q\":\"a\\\"b\\\\c\\n\"}");
	EQ("to_json(struct(bin))", "{\"bin\":\"YWL/\"}");
	EQ("to_json(array(1, 2))", "[1,2]");
	EQ("to_json(struct(n))", "{}");
	NUL("to_json(CAST(NULL AS STRUCT<a: INT>))");
	sl_err err = bind_error("to_json(value)");
	cr_assert(strstr(err.msg, "struct"), "%s", err.msg);
}

Test(expr, from_json)
{
	EQ("from_json('{\"a\":1, \"b\":0.8}', 'a INT, b DOUBLE')", "{1, 0.8}");
	TYPE("from_json('{}', 'a INT, b STRING')", "struct<a:int,b:string>");
	EQ("from_json('{\"b\":\"x\"}', 'a INT, b STRING')", "{null, x}");
	/* a field of the wrong JSON type is null */
	EQ("from_json('{\"a\":\"x\",\"b\":\"y\"}', 'a INT, b STRING')",
	   "{null, y}");
	/* a STRING field keeps other JSON as its text */
	EQ("from_json('{\"a\":{\"k\":[1,2]}}', 'a STRING')", "{{\"k\":[1,2]}}");
	EQ("from_json('{\"a\":[1,2],\"s\":{\"x\":true}}', "
	   "'a ARRAY<INT>, s STRUCT<x: BOOLEAN>')",
	   "{[1, 2], {true}}");
	EQ("from_json('{\"t\":\"2024-01-02T03:04:05.000Z\"}', 't TIMESTAMP')",
	   "{2024-01-02 03:04:05}");
	EQ("from_json('{\"a\":1}', 'a INT').a", "1");
	EQ("from_json(to_json(struct(value, s)), 'value BIGINT, s STRING')",
	   "{42, Hello World}");
	NUL("from_json(ns, 'a INT')");
	NUL("from_json('null', 'a INT')");
}

Test(expr, from_json_malformed_is_a_row_of_nulls_as_spark_3)
{
	EQ("from_json('{\"a\" 1}', 'a INT')", "{null}");
	EQ("from_json('not json', 'a INT, b STRING')", "{null, null}");
	EQ("from_json('[1,2]', 'a INT')", "{null}");
	NUL("from_json('{bad', 'a INT').a");
}

Test(expr, from_json_schema_errors)
{
	sl_err err = bind_error("from_json(s, 'a FOO')");
	cr_assert(strstr(err.msg, "FOO"), "%s", err.msg);
	bind_error("from_json(s, s)");
}

/* ---- numbers ---------------------------------------------------------- */

Test(expr, abs)
{
	EQ("abs(-1)", "1");
	EQ("abs(i)", "3");
	EQ("abs(-2.5)", "2.5");
	EQ("abs(-2147483648)", "-2147483648"); /* Java's Math.abs */
	TYPE("abs(value)", "bigint");
	NUL("abs(n)");
	bind_error("abs(b)");
}

Test(expr, round_half_up)
{
	EQ("round(2.5, 0)", "3.0");
	EQ("round(2.5)", "3.0");
	EQ("round(-2.5)", "-3.0");
	EQ("round(0.5)", "1.0");
	EQ("round(1.45, 1)", "1.5");
	/* on the decimal text, as Spark's BigDecimal: not 2.67 */
	EQ("round(2.675, 2)", "2.68");
	EQ("round(9.99, 1)", "10.0");
	EQ("round(123.456, -1)", "120.0");
	EQ("round(0.001, 1)", "0.0");
	EQ("round(125, -1)", "130");
	EQ("round(-125, -1)", "-130");
	EQ("round(124, -1)", "120");
	EQ("round(value, 2)", "42");
	TYPE("round(value, -1)", "bigint");
	TYPE("round(i)", "int");
	NUL("round(n)");
	NUL("round(nd, 1)");
	bind_error("round(d, i)");
}

Test(expr, hash_matches_spark)
{
	/* Spark's documented example */
	EQ("hash('Spark', array(123), 2)", "-1321691492");
	/* and the ones it derives from: the string alone, an int */
	EQ("hash('Spark')", "228093765");
	EQ("hash(1)", "-559580957");
	/* no bytes: Murmur3's finalizer of the seed 42 alone */
	EQ("hash('')", "142593372");
	TYPE("hash(s)", "int");
}

Test(expr, hash_properties)
{
	/* the seed is chained: hash(a, b) is hash(b) seeded by hash(a);
	 * a null leaves the seed, so hash(null) is the seed 42 */
	EQ("hash(NULL)", "42");
	EQ("hash(n)", "42");
	cr_assert_str_eq(run("hash(1, n)"), run("hash(1)"));
	cr_assert_str_eq(run("hash(n, 1)"), run("hash(1)"));
	cr_assert_str_neq(run("hash(1, 2)"), run("hash(2, 1)"));
	/* ints hash as 4 bytes, longs as 8 */
	cr_assert_str_neq(run("hash(1)"), run("hash(1L)"));
	cr_assert_str_eq(run("hash(i)"), run("hash(-3)"));
	cr_assert_str_eq(run("hash(CAST(-3 AS BIGINT))"),
			 run("hash(CAST(i AS BIGINT))"));
	/* strings and binaries hash their bytes */
	cr_assert_str_eq(run("hash('ab\xff')"), run("hash(bin)"));
	/* arrays hash their elements in turn */
	cr_assert_str_eq(run("hash(array(1, 2))"), run("hash(1, 2)"));
	cr_assert_str_eq(run("hash('Spark', array(123), 2)"),
			 run("hash('Spark', 123, 2)"));
	/* -0.0 hashes as 0.0 */
	cr_assert_str_eq(run("hash(-0.0)"), run("hash(0.0)"));
	cr_assert_str_neq(run("hash('a')"), run("hash('b')"));
}

/* ---- datetime --------------------------------------------------------- */

Test(expr, date_format_patterns)
{
	EQ("date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS')",
	   "2024-01-02 03:04:05.123");
	EQ("date_format(ts, 'y')", "2024");
	EQ("date_format(ts, 'yy/M/d H:m:s')", "24/1/2 3:4:5");
	EQ("date_format(ts, 'EEE, d MMM yyyy h:mm a')",
	   "Tue, 2 Jan 2024 3:04 AM");
	EQ("date_format(ts, 'EEEE MMMM')", "Tuesday January");
	EQ("date_format(ts, \"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\")",
	   "2024-01-02T03:04:05.123Z");
	EQ("date_format(ts, 'S SS SSSSSS')", "1 12 123000");
	EQ("date_format(ts, \"hh a 'o''clock'\")", "03 AM o'clock");
	EQ("date_format(ts, 'Z')", "+0000");
	EQ("date_format('2016-04-08', 'y')", "2016");
	EQ("date_format(dt, 'dd.MM.yyyy')", "02.01.2024");
	EQ("date_format(TIMESTAMP '2024-01-02 15:00:00', 'h a')", "3 PM");
	EQ("date_format(TIMESTAMP '2024-01-02 00:30:00', 'h:mm a')",
	   "12:30 AM");
	NUL("date_format(CAST(NULL AS TIMESTAMP), 'y')");
	sl_err err = bind_error("date_format(ts, 'yyyy-QQ')");
	cr_assert(strstr(err.msg, "pattern"), "%s", err.msg);
	bind_error("date_format(ts, 'ddd')");
	bind_error("date_format(ts, \"yyyy'\")");
}

Test(expr, to_timestamp_and_to_date)
{
	EQ("to_timestamp('2016-12-31 00:12:00')", "2016-12-31 00:12:00");
	EQ("to_timestamp('2016-12-31', 'yyyy-MM-dd')", "2016-12-31 00:00:00");
	EQ("to_timestamp('02/01/2024 13:14', 'dd/MM/yyyy HH:mm')",
	   "2024-01-02 13:14:00");
	EQ("to_timestamp('20240102', 'yyyyMMdd')", "2024-01-02 00:00:00");
	EQ("to_timestamp('2024-01-02 03:04:05.250', "
	   "'yyyy-MM-dd HH:mm:ss.SSS')",
	   "2024-01-02 03:04:05.25");
	EQ("to_timestamp('Jan 2 2024 3PM', 'MMM d yyyy ha')",
	   "2024-01-02 15:00:00");
	EQ("to_timestamp('2024-01-02T03:04:05+0100', "
	   "\"yyyy-MM-dd'T'HH:mm:ssZ\")",
	   "2024-01-02 02:04:05");
	NUL("to_timestamp('2024-02-30', 'yyyy-MM-dd')");
	NUL("to_timestamp('2024-01-02 junk', 'yyyy-MM-dd')");
	NUL("to_timestamp('x')");
	NUL("to_timestamp(ns, 'yyyy')");
	TYPE("to_timestamp(s)", "timestamp");
	EQ("to_timestamp(dt)", "2024-01-02 00:00:00");
	EQ("to_date('2016-12-31')", "2016-12-31");
	EQ("to_date('31.12.2016', 'dd.MM.yyyy')", "2016-12-31");
	EQ("to_date(ts)", "2024-01-02");
	TYPE("to_date(s)", "date");
	/* a pattern from the row is compiled per row */
	EQ("to_timestamp('2024', substring('yyyyMM', 1, 4))",
	   "2024-01-01 00:00:00");
}

Test(expr, current_timestamp_is_now)
{
	int64_t before = sl_wall_us();
	sl_value v = val("current_timestamp()");
	int64_t after = sl_wall_us();
	cr_assert_eq(v.type, SL_TIMESTAMP);
	cr_assert(v.v.i64 >= before && v.v.i64 <= after);
	NAME("current_timestamp()", "current_timestamp()");
	NAME("current_timestamp", "current_timestamp()");
	TYPE("current_date()", "date");
	v = val("current_date()");
	cr_assert_eq(v.v.i32, (int32_t)(after / 86400000000LL));
	bind_error("current_timestamp(1)");
}

/* ---- aggregates and windows ------------------------------------------- */

Test(expr, aggregates_are_recognised_and_refused)
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
		sl_expr *e = sl_expr_parse(aggs[k], true, &A, &err);
		cr_assert_not_null(e, "%s: %s", aggs[k], err.msg);
		cr_assert(sl_expr_has_aggregate(e), "%s", aggs[k]);
		cr_assert_eq(sl_expr_bind(e, S, &A, &err), SL_EANALYSIS);
		cr_assert(strstr(err.msg, "needs GROUP BY"), "%s", err.msg);
		cr_assert(strstr(err.msg, "grouped query"), "%s", err.msg);
	}
	err = bind_error("count(value)");
	cr_assert_str_eq(err.msg,
			 "aggregate function count() needs GROUP BY: "
			 "aggregates belong in the select list of a grouped "
			 "query (GROUP BY, sl_frame_group_by)");
	cr_assert_not(sl_expr_has_aggregate(
		sl_expr_parse("upper(s) || counter", true, &A, &err)));
}

Test(expr, window_is_refused_with_a_message)
{
	sl_err err = bind_error("window(ts, '10 seconds')");
	cr_assert(strstr(err.msg, "window()"), "%s", err.msg);
	cr_assert(strstr(err.msg, "GROUP BY"), "%s", err.msg);
	err = bind_error("session_window(ts, '5 minutes')");
	cr_assert(strstr(err.msg, "session_window()"), "%s", err.msg);
}

/* ---- names and aliases ------------------------------------------------ */

Test(expr, default_output_names_are_sparks)
{
	NAME("value", "value");
	NAME("VALUE", "value"); /* the column's own spelling */
	NAME("t.value", "value");
	NAME("st.a", "a");
	NAME("value * 10", "(value * 10)");
	NAME("value + 1 - 2", "((value + 1) - 2)");
	NAME("upper(value)", "upper(value)");
	NAME("UPPER(s)", "upper(s)");
	/* Spark names CAST(column AS t) after the column */
	NAME("CAST(value AS STRING)", "value");
	NAME("CAST(value + 1 AS STRING)", "CAST((value + 1) AS STRING)");
	NAME("CAST(arr AS ARRAY<INT>)", "arr");
	NAME("CAST(1 AS BIGINT)", "CAST(1 AS BIGINT)");
	NAME("explode(split(s, ' '))", "col");
	NAME("split(s, ' ')", "split(s,  , -1)");
	NAME("-value", "(- value)");
	NAME("-5", "-5");
	NAME("'abc'", "abc");
	NAME("NULL", "NULL");
	NAME("TRUE", "true");
	NAME("value > 1 AND NOT b", "((value > 1) AND (NOT b))");
	NAME("value != 1", "(NOT (value = 1))");
	NAME("value <=> 1", "(value <=> 1)");
	NAME("n IS NOT NULL", "(n IS NOT NULL)");
	NAME("value IN (1, 2)", "(value IN (1, 2))");
	NAME("value NOT IN (1, 2)", "(NOT (value IN (1, 2)))");
	NAME("s LIKE 'a%'", "s LIKE a%");
	NAME("CASE WHEN b THEN 1 ELSE 0 END", "CASE WHEN b THEN 1 ELSE 0 END");
	NAME("substring(s, 2)", "substring(s, 2, 2147483647)");
	NAME("round(d)", "round(d, 0)");
	NAME("coalesce(n, 1)", "coalesce(n, 1)");
	NAME("struct(value, s)", "struct(value, s)");
	NAME("arr[0]", "arr[0]");
	/* implicit casts do not show */
	NAME("value + 1.5", "(value + 1.5)");
	NAME("value = '1'", "(value = 1)");
	NAME("from_json(s, 'a INT')", "from_json(s)");
	NAME("dt + 1", "date_add(dt, 1)");
}

Test(expr, aliases)
{
	NAME("value * 10 AS v", "v");
	NAME("value * 10 v", "v");
	NAME("value AS `my col`", "my col");
	NAME("value `x`", "x");
	NAME("upper(s) AS Up", "Up");
	NAME("st.a AS z", "z");
	NAME("CAST(value AS STRING) AS str", "str");
	EQ("value * 10 AS v", "420");
	sl_err err = parse_error("value AS (a, b)");
	cr_assert(strstr(err.msg, "not supported"), "%s", err.msg);
	parse_error("value AS");
	parse_error("value AS v extra");
	/* where aliases are not allowed */
	err = (sl_err){ 0 };
	cr_assert_null(sl_expr_parse("value AS v", false, &A, &err));
	cr_assert_eq(err.code, SL_ESYNTAX);
	cr_assert_eq(err.pos, 7);
}

Test(expr, star)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse("*", true, &A, &err);
	cr_assert_not_null(e);
	cr_assert(sl_expr_is_star(e));
	e = sl_expr_parse("t.*", true, &A, &err);
	cr_assert(sl_expr_is_star(e));
	cr_assert_not(sl_expr_is_star(sl_expr_parse("value", true, &A, &err)));
	bind_error("* + 1");
}

/* ---- parse errors ----------------------------------------------------- */

Test(expr, parse_error_names_position_and_token)
{
	sl_err err = parse_error("upper(value FROM x)");
	cr_assert_eq(err.pos, 13);
	cr_assert_str_eq(err.msg, "syntax error at position 13 near 'FROM': "
				  "expected ',' or ')'");
	err = parse_error("value + FROM");
	cr_assert_eq(err.pos, 9);
	cr_assert_str_eq(err.msg, "syntax error at position 9 near 'FROM': "
				  "expected an expression");
	err = parse_error("(value + 1");
	cr_assert_eq(err.pos, 11);
	cr_assert_str_eq(err.msg, "syntax error at position 11 near end of "
				  "input: expected ')'");
	err = parse_error("value > 1 value2 value3");
	cr_assert_eq(err.pos, 18);
	cr_assert(strstr(err.msg, "'value3'"), "%s", err.msg);
}

Test(expr, parse_error_positions_count_characters)
{
	/* é is two bytes but one character */
	sl_err err = parse_error("'\xc3\xa9' + )");
	cr_assert_eq(err.pos, 7, "%s", err.msg);
	cr_assert(strstr(err.msg, "position 7"), "%s", err.msg);
}

Test(expr, lexical_errors)
{
	sl_err err = parse_error("s = 'abc");
	cr_assert_eq(err.pos, 5);
	cr_assert(strstr(err.msg, "unterminated string"), "%s", err.msg);
	err = parse_error("value # 2");
	cr_assert_eq(err.pos, 7);
	cr_assert(strstr(err.msg, "'#'"), "%s", err.msg);
	err = parse_error("`value");
	cr_assert(strstr(err.msg, "unterminated"), "%s", err.msg);
	err = parse_error("12abc");
	cr_assert(strstr(err.msg, "malformed number"), "%s", err.msg);
	err = parse_error("");
	cr_assert_eq(err.pos, 1);
	parse_error("   ");
	parse_error("value IN 1");
	parse_error("value NOT 1");
	parse_error("value IS 1");
	parse_error("f(1,)");
	parse_error("arr[0");
	parse_error("st.");
	parse_error("INTERVAL 1 DAY");
	err = parse_error("2147483648S");
	cr_assert(strstr(err.msg, "smallint"), "%s", err.msg);
}

Test(expr, comments_and_whitespace)
{
	EQ("value /* c */ + -- rest\n 1", "43");
	EQ("\n\tvalue\n", "42");
}

/* ---- bind errors ------------------------------------------------------ */

Test(expr, unknown_column)
{
	sl_err err = { 0 };
	sl_schema *two =
		sl_schema_parse("timestamp TIMESTAMP, value BIGINT", &A, &err);
	sl_expr *e = sl_expr_parse("sgnal > 10", false, &A, &err);
	cr_assert_eq(sl_expr_bind(e, two, &A, &err), SL_EANALYSIS);
	cr_assert_str_eq(err.msg, "cannot resolve 'sgnal' given input "
				  "columns: [timestamp, value]");
	cr_assert_eq(err.pos, 1);
	e = sl_expr_parse("value + x.y", false, &A, &err);
	cr_assert_eq(sl_expr_bind(e, two, &A, &err), SL_EANALYSIS);
	cr_assert(strstr(err.msg, "'x.y'"), "%s", err.msg);
	cr_assert_eq(err.pos, 9);
}

Test(expr, unknown_function_and_argument_counts)
{
	sl_err err = bind_error("foo(value)");
	cr_assert_str_eq(err.msg, "undefined function: 'foo'");
	err = bind_error("upper(s, 1)");
	cr_assert_str_eq(err.msg, "invalid number of arguments for function "
				  "upper: expected 1, found 2");
	err = bind_error("split(s)");
	cr_assert(strstr(err.msg, "split: expected 2 or 3, found 1"), "%s",
		  err.msg);
	err = bind_error("coalesce()");
	cr_assert(strstr(err.msg, "expected at least 1, found 0"), "%s",
		  err.msg);
}

Test(expr, field_and_type_errors)
{
	sl_err err = bind_error("st.c");
	cr_assert(strstr(err.msg, "no such struct field 'c'"), "%s", err.msg);
	err = bind_error("s.x");
	cr_assert(strstr(err.msg, "not a struct"), "%s", err.msg);
	bind_error("b + 1");
	bind_error("arr[0] + arr");
	bind_error("-b");
	bind_error("s[0]");
}

Test(expr, ambiguous_reference)
{
	sl_err err = { 0 };
	sl_schema *dup = sl_schema_parse("a INT, A INT", &A, &err);
	sl_expr *e = sl_expr_parse("a + 1", false, &A, &err);
	cr_assert_eq(sl_expr_bind(e, dup, &A, &err), SL_EANALYSIS);
	cr_assert(strstr(err.msg, "ambiguous"), "%s", err.msg);
}

/* ---- evaluation contract ---------------------------------------------- */

Test(expr, empty_strings_without_a_pointer)
{
	/* a source may give an empty string as (NULL, 0) */
	ROW[1] = sl_v_str(NULL, 0);
	ROW[13] = sl_v_bin(NULL, 0);
	EQ("length(s)", "0");
	EQ("upper(s)", "");
	EQ("concat(s, s, 'x')", "x");
	EQ("s = ''", "true");
	EQ("s < 'a'", "true");
	EQ("s LIKE ''", "true");
	EQ("s LIKE '%a%'", "false");
	EQ("s LIKE '_%'", "false");
	EQ("s RLIKE 'a'", "false");
	EQ("split(s, ',')[0]", "");
	EQ("split(s, '\\\\s+')[0]", "");
	EQ("split(s, '[0-9]*')[0]", "");
	EQ("substring(s, 2)", "");
	EQ("trim(s)", "");
	EQ("hash(s)", "142593372");
	EQ("to_json(struct(s))", "{\"s\":\"\"}");
	EQ("CAST(s AS INT) IS NULL", "true");
	EQ("length(bin)", "0");
	EQ("CAST(bin AS STRING)", "");
	EQ("s IN ('', 'a')", "true");
	EQ("coalesce(s, 'x')", "");
}

Test(expr, where_truthiness)
{
	sl_value t = val("value > 1"), f = val("value < 1"), u = val("n > 1");
	cr_assert(sl_value_truthy(&t));
	cr_assert_not(sl_value_truthy(&f));
	cr_assert_not(sl_value_truthy(&u));
}

Test(expr, results_do_not_depend_on_arena_state)
{
	/* the same bound tree evaluates the same on different rows */
	sl_expr *e = must("concat(upper(s), '-', CAST(value * 2 AS STRING))");
	sl_value row2[14];
	memcpy(row2, ROW, sizeof(row2));
	row2[0] = sl_v_long(7);
	row2[1] = sl_v_str("ab", 2);
	sl_value v1, v2;
	sl_err err = { 0 };
	cr_assert_eq(sl_expr_eval(e, ROW, &A, &v1, &err), 0);
	cr_assert_eq(sl_expr_eval(e, row2, &A, &v2, &err), 0);
	cr_assert_eq(v1.len, 14);
	cr_assert_eq(memcmp(v1.v.str, "HELLO WORLD-84", 14), 0);
	cr_assert_eq(v2.len, 5);
	cr_assert_eq(memcmp(v2.v.str, "AB-14", 5), 0);
}

Test(expr, bind_twice_is_harmless)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse("value + 1", false, &A, &err);
	cr_assert_eq(sl_expr_bind(e, S, &A, &err), 0);
	cr_assert_eq(sl_expr_bind(e, S, &A, &err), 0);
	sl_value v;
	cr_assert_eq(sl_expr_eval(e, ROW, &A, &v, &err), 0);
	cr_assert_eq(v.v.i64, 43);
}
