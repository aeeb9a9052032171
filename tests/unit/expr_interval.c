/* tests/unit/expr_interval.c - intervals and TIMESTAMP_NTZ in expressions
 * (expr/interval.c, expr/parse_interval.c, expr/fn_extract.c,
 * expr/fn_interval.c): literals, arithmetic with its types and names,
 * casts and their errors. Every result here is what PySpark gives (the
 * same expressions run in tests/spark/cases/sql_part1.txt). The row is
 * tests/support/expr_fixture.h's: ts 2024-01-02 03:04:05.123, dt
 * 2024-01-02, i -3, n null. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_interval, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_interval, literals)
{
	EXPR_EQ("INTERVAL 1 DAY 2 HOURS", "INTERVAL '1 02' DAY TO HOUR");
	EXPR_TYPE("INTERVAL 1 DAY 2 HOURS", "interval day to hour");
	EXPR_EQ("INTERVAL -'1-2' YEAR TO MONTH", "INTERVAL '-1-2' YEAR TO MONTH");
	EXPR_EQ("INTERVAL 100 MILLISECONDS", "INTERVAL '00.1' SECOND");
	EXPR_NAME("INTERVAL 2 HOURS", "INTERVAL '02' HOUR");
	EXPR_EQ("TIMESTAMP_NTZ '2024-01-01T10:00:00+05:00'", "2024-01-01 10:00:00");
	EXPR_TYPE("TIMESTAMP_NTZ '2024-01-01 10:00:00'", "timestamp_ntz");
	sl_test_expr_parse_error("INTERVAL 1 YEAR 2 DAYS");
	sl_test_expr_parse_error("INTERVAL 1 DAY TO SECOND");
	sl_test_expr_parse_error("INTERVAL '1' FORTNIGHT TO DAY");
	sl_test_expr_parse_error("TIMESTAMP_NTZ 'abc'");
	/* a column named interval stays one */
	sl_test_expr_bind_error("interval - 1");
}

Test(expr_interval, datetime_arithmetic)
{
	EXPR_EQ("ts + INTERVAL 1 MONTH", "2024-02-02 03:04:05.123");
	EXPR_NAME("ts + INTERVAL 1 MONTH", "ts + INTERVAL '1' MONTH");
	EXPR_EQ("DATE '2024-01-31' + INTERVAL 1 MONTH", "2024-02-29");
	EXPR_EQ("dt - INTERVAL 1 DAY", "2024-01-01");
	EXPR_NAME("dt - INTERVAL 1 DAY",
		  "date_add(dt, (- extractansiintervaldays(INTERVAL '1' DAY)))");
	EXPR_TYPE("dt + INTERVAL 2 HOURS", "timestamp");
	EXPR_NAME("INTERVAL 1 DAY + ts", "ts + INTERVAL '1' DAY");
	EXPR_EQ("ts - TIMESTAMP '2024-01-01 00:00:00'",
		"INTERVAL '1 03:04:05.123' DAY TO SECOND");
	EXPR_EQ("DATE '2024-01-01' - dt", "INTERVAL '-1' DAY");
	EXPR_EQ("TIMESTAMP_NTZ '2024-01-01 10:00:00' + INTERVAL '1-1' YEAR TO MONTH",
		"2025-02-01 10:00:00");
	sl_test_expr_bind_error("INTERVAL 1 DAY - ts");
	cr_assert(strstr(sl_test_expr_eval_error(
				 "TIMESTAMP '2024-01-01 00:00:00' + "
				 "INTERVAL '106751990' DAY * 1"),
			 "ARITHMETIC_OVERFLOW"));
}

Test(expr_interval, interval_arithmetic)
{
	EXPR_EQ("INTERVAL '1' DAY - INTERVAL '2' HOUR", "INTERVAL '0 22' DAY TO HOUR");
	EXPR_EQ("INTERVAL '1' MONTH * -1.5", "INTERVAL '-0-2' YEAR TO MONTH");
	EXPR_EQ("i * INTERVAL '1' HOUR", "INTERVAL '-0 03:00:00' DAY TO SECOND");
	EXPR_NAME("i * INTERVAL '1' HOUR", "(INTERVAL '01' HOUR * i)");
	EXPR_EQ("INTERVAL '1' SECOND / 3", "INTERVAL '0 00:00:00.333333' DAY TO SECOND");
	EXPR_NULL("INTERVAL '1' DAY * n");
	EXPR_EQ("-INTERVAL '1-2' YEAR TO MONTH", "INTERVAL '-1-2' YEAR TO MONTH");
	EXPR_EQ("INTERVAL '1' DAY = INTERVAL '24' HOUR", "true");
	EXPR_EQ("INTERVAL '12' MONTH > INTERVAL '11' MONTH", "true");
	sl_test_expr_bind_error("INTERVAL '1' DAY < INTERVAL '1' MONTH");
	sl_test_expr_bind_error("INTERVAL '1' YEAR + INTERVAL '2' DAY");
	sl_test_expr_bind_error("INTERVAL '1' DAY + 1");
	cr_assert(strstr(sl_test_expr_eval_error("INTERVAL '1' DAY / 0"),
			 "INTERVAL_DIVIDED_BY_ZERO"));
	cr_assert(strstr(sl_test_expr_eval_error("-(INTERVAL '-178956970' YEAR "
						 "- INTERVAL '8' MONTH)"),
			 "INTERVAL_ARITHMETIC_OVERFLOW"));
	cr_assert(strstr(sl_test_expr_eval_error("INTERVAL '106751991' DAY + "
						 "INTERVAL '106751991' DAY"),
			 "try_add"));
}

Test(expr_interval, casts)
{
	EXPR_EQ("CAST('1 2:3:4' AS INTERVAL DAY TO SECOND)",
		"INTERVAL '1 02:03:04' DAY TO SECOND");
	EXPR_EQ("CAST(INTERVAL '90' MINUTE AS INTERVAL HOUR)", "INTERVAL '01' HOUR");
	EXPR_EQ("CAST(INTERVAL '1-2' YEAR TO MONTH AS INT)", "14");
	EXPR_EQ("CAST(14 AS INTERVAL YEAR TO MONTH)", "INTERVAL '1-2' YEAR TO MONTH");
	EXPR_EQ("CAST(INTERVAL '01.5' SECOND AS DECIMAL(10,3))", "1.500");
	EXPR_NULL("TRY_CAST('abc' AS INTERVAL DAY)");
	EXPR_EQ("CAST(ts AS TIMESTAMP_NTZ)", "2024-01-02 03:04:05.123");
	EXPR_EQ("CAST(CAST(ts AS TIMESTAMP_NTZ) AS DATE)", "2024-01-02");
	sl_test_expr_bind_error("CAST(INTERVAL '1' DAY AS DOUBLE)");
	sl_test_expr_bind_error("CAST(INTERVAL '1' YEAR AS INTERVAL DAY)");
	sl_test_expr_bind_error("CAST(TIMESTAMP_NTZ '2024-01-01 00:00:00' AS BIGINT)");
	cr_assert(strstr(sl_test_expr_eval_error("CAST('abc' AS INTERVAL DAY)"),
			 "INVALID_INTERVAL_FORMAT"));
	cr_assert(strstr(sl_test_expr_eval_error("CAST(10000000000 AS INTERVAL DAY)"),
			 "CAST_OVERFLOW"));
}

Test(expr_interval, fields_and_constructors)
{
	EXPR_EQ("extract(SECOND FROM ts)", "5.123000");
	EXPR_TYPE("extract(MINUTE FROM INTERVAL '1 02:03:04' DAY TO SECOND)", "tinyint");
	EXPR_EQ("extract(MONTH FROM INTERVAL '-1-2' YEAR TO MONTH)", "-2");
	EXPR_NAME("extract(YEAR FROM dt)", "extract(YEAR FROM dt)");
	EXPR_EQ("make_dt_interval(1, 2, 3, 4.5)", "INTERVAL '1 02:03:04.5' DAY TO SECOND");
	EXPR_NAME("make_ym_interval(1)", "make_ym_interval(1, 0)");
	EXPR_EQ("make_timestamp(2024, 1, 1, 12, 59, 60)", "2024-01-01 13:00:00");
	sl_test_expr_bind_error("extract(YEAR FROM INTERVAL '1' DAY)");
}
