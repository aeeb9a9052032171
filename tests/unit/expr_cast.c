/* tests/unit/expr_cast.c - CAST (expr/cast.c): strings to numbers, booleans,
 * timestamps and dates and back, binary and complex types, and the casts
 * analysis refuses.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_cast, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

/* ---- CAST ------------------------------------------------------------- */

Test(expr_cast, cast_string_to_numbers)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("CAST('10' AS INT)", "10");
	EXPR_EQ("CAST(' 12 ' AS INT)", "12");
	EXPR_EQ("CAST('+7' AS INTEGER)", "7");
	EXPR_EQ("CAST('1.9' AS INT)", "1"); /* Spark truncates a fraction */
	EXPR_EQ("CAST('-1.9' AS BIGINT)", "-1");
	EXPR_NULL("CAST('abc' AS INT)");
	EXPR_NULL("CAST('1e3' AS INT)");
	EXPR_NULL("CAST('' AS INT)");
	EXPR_NULL("CAST('2147483648' AS INT)");
	EXPR_EQ("CAST('2147483648' AS BIGINT)", "2147483648");
	EXPR_NULL("CAST('9223372036854775808' AS LONG)");
	EXPR_EQ("CAST('-9223372036854775808' AS LONG)", "-9223372036854775808");
	EXPR_EQ("CAST('1.5' AS DOUBLE)", "1.5");
	EXPR_EQ("CAST(' 1e3 ' AS DOUBLE)", "1000.0");
	EXPR_EQ("CAST('2.5d' AS DOUBLE)", "2.5");
	EXPR_EQ("CAST('inf' AS DOUBLE)", "Infinity");
	EXPR_EQ("CAST('-Infinity' AS DOUBLE)", "-Infinity");
	EXPR_EQ("CAST('NaN' AS DOUBLE)", "NaN");
	EXPR_NULL("CAST('1.5x' AS DOUBLE)");
	EXPR_NULL("CAST('0x10' AS DOUBLE)");
}

Test(expr_cast, cast_numbers)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("CAST(3.9 AS INT)", "3");
	EXPR_EQ("CAST(-3.9 AS INT)", "-3");
	EXPR_EQ("CAST(1e20 AS INT)", "2147483647"); /* saturates as Java */
	EXPR_EQ("CAST(CAST('NaN' AS DOUBLE) AS BIGINT)", "0");
	EXPR_EQ("CAST(2147483648 AS INT)", "-2147483648"); /* wraps as Java */
	EXPR_EQ("CAST(value AS DOUBLE)", "42.0");
	EXPR_EQ("CAST(i AS BIGINT)", "-3");
	EXPR_TYPE("CAST(i AS BIGINT)", "bigint");
	EXPR_EQ("CAST(TRUE AS INT)", "1");
	EXPR_EQ("CAST(0 AS BOOLEAN)", "false");
	EXPR_EQ("CAST(d AS BOOLEAN)", "true");
}

Test(expr_cast, cast_to_string)
{
	EXPR_EQ("CAST(value AS STRING)", "42");
	EXPR_EQ("CAST(d AS STRING)", "2.5");
	EXPR_EQ("CAST(1e10 AS STRING)", "1.0E10");
	EXPR_EQ("CAST(b AS STRING)", "true");
	EXPR_EQ("CAST(ts AS STRING)", "2024-01-02 03:04:05.123");
	EXPR_EQ("CAST(dt AS STRING)", "2024-01-02");
	EXPR_EQ("CAST(arr AS STRING)", "[x, null, z]");
	EXPR_EQ("CAST(st AS STRING)", "{7, q}");
	EXPR_EQ("CAST(bin AS STRING)", "ab\xff");
	EXPR_NULL("CAST(n AS STRING)");
}

Test(expr_cast, cast_string_to_boolean)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("CAST('true' AS BOOLEAN)", "true");
	EXPR_EQ("CAST('T' AS BOOLEAN)", "true");
	EXPR_EQ("CAST(' yes ' AS BOOLEAN)", "true");
	EXPR_EQ("CAST('1' AS BOOLEAN)", "true");
	EXPR_EQ("CAST('FALSE' AS BOOLEAN)", "false");
	EXPR_EQ("CAST('n' AS BOOLEAN)", "false");
	EXPR_EQ("CAST('0' AS BOOLEAN)", "false");
	EXPR_NULL("CAST('maybe' AS BOOLEAN)");
}

Test(expr_cast, cast_string_to_timestamp_and_date)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("CAST('2024-01-02' AS TIMESTAMP)", "2024-01-02 00:00:00");
	EXPR_EQ("CAST('2024-01-02 03:04:05' AS TIMESTAMP)",
		"2024-01-02 03:04:05");
	EXPR_EQ("CAST('2024-01-02T03:04:05.5Z' AS TIMESTAMP)",
		"2024-01-02 03:04:05.5");
	EXPR_EQ("CAST('2024-1-2 3:4:5.123456789' AS TIMESTAMP)",
		"2024-01-02 03:04:05.123456");
	EXPR_EQ("CAST('2024-01-02 03:04:05+01:00' AS TIMESTAMP)",
		"2024-01-02 02:04:05");
	EXPR_EQ("CAST('2024-01-02 03:04:05 UTC' AS TIMESTAMP)",
		"2024-01-02 03:04:05");
	EXPR_EQ("CAST('2024-01' AS TIMESTAMP)", "2024-01-01 00:00:00");
	EXPR_NULL("CAST('2024-13-01' AS TIMESTAMP)");
	EXPR_NULL("CAST('2024-01-02 25:00:00' AS TIMESTAMP)");
	EXPR_NULL("CAST('yesterday' AS TIMESTAMP)");
	EXPR_EQ("CAST('2024-02-29' AS DATE)", "2024-02-29");
	EXPR_EQ("CAST('2024-02-29T10:00' AS DATE)", "2024-02-29");
	EXPR_EQ("CAST(' 2024-3-1 ' AS DATE)", "2024-03-01");
	EXPR_NULL("CAST('2023-02-29' AS DATE)");
	EXPR_NULL("CAST('24-01-01' AS DATE)");
}

Test(expr_cast, cast_timestamps_dates_and_numbers)
{
	EXPR_EQ("CAST(ts AS DATE)", "2024-01-02");
	EXPR_EQ("CAST(dt AS TIMESTAMP)", "2024-01-02 00:00:00");
	EXPR_EQ("CAST(ts AS BIGINT)", "1704164645");
	EXPR_EQ("CAST(ts AS DOUBLE)", "1.704164645123E9");
	EXPR_EQ("CAST(1704164645 AS TIMESTAMP)", "2024-01-02 03:04:05");
	EXPR_EQ("CAST(1.5 AS TIMESTAMP)", "1970-01-01 00:00:01.5");
	EXPR_EQ("CAST(-1 AS TIMESTAMP)", "1969-12-31 23:59:59");
	EXPR_NULL("CAST(dt AS INT)");
}

Test(expr_cast, cast_binary)
{
	EXPR_EQ("CAST('ab' AS BINARY)", "[61 62]");
	EXPR_EQ("CAST(CAST('ab' AS BINARY) AS STRING)", "ab");
	EXPR_EQ("CAST(258 AS BINARY)", "[00 00 01 02]");
	EXPR_EQ("CAST(1L AS BINARY)", "[00 00 00 00 00 00 00 01]");
	EXPR_TYPE("CAST(s AS BINARY)", "binary");
}

Test(expr_cast, cast_complex)
{
	EXPR_EQ("CAST(array(1, 2) AS ARRAY<STRING>)", "[1, 2]");
	EXPR_TYPE("CAST(array(1, 2) AS ARRAY<STRING>)", "array<string>");
	EXPR_EQ("CAST(st AS STRUCT<x: STRING, y: STRING>)", "{7, q}");
	EXPR_TYPE("CAST(st AS STRUCT<x: STRING, y: STRING>)",
		  "struct<x:string,y:string>");
}

Test(expr_cast, impossible_casts_are_analysis_errors)
{
	sl_err err = sl_test_expr_bind_error("CAST(value AS DATE)");
	cr_assert(strstr(err.msg, "cannot cast bigint to date"), "%s", err.msg);
	sl_test_expr_bind_error("CAST(arr AS INT)");
	sl_test_expr_bind_error("CAST(b AS TIMESTAMP)");
	err = sl_test_expr_parse_error("CAST(value AS FOO)");
	cr_assert_eq(err.pos, 15, "%s", err.msg);
}
