/* tests/unit/expr_fn_date.c - the datetime group (expr/fn_date.c): month
 * ends, weeks, truncation, the fields and the epoch conversions, with
 * PySpark 4's values (UTC session). The row's ts is 2024-01-02
 * 03:04:05.123 and dt 2024-01-02, a Tuesday. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_date, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_date, arithmetic)
{
	EXPR_EQ("date_add(dt, 30)", "2024-02-01");
	EXPR_EQ("date_sub(dt, 2)", "2023-12-31");
	EXPR_EQ("date_add(ts, 1)", "2024-01-03");
	EXPR_EQ("date_add('2024-02-28', 2)", "2024-03-01");
	EXPR_EQ("datediff(dt, '2023-01-02')", "365");
	EXPR_EQ("date_diff('2024-03-01', dt)", "59");
	EXPR_EQ("add_months('2024-01-31', 1)", "2024-02-29");
	EXPR_EQ("add_months('2024-03-31', -13)", "2023-02-28");
	EXPR_EQ("last_day('2024-02-10')", "2024-02-29");
	EXPR_EQ("next_day(dt, 'TU')", "2024-01-09");
	EXPR_EQ("next_day(dt, 'wednesday')", "2024-01-03");
	EXPR_NULL("date_add(CAST(NULL AS DATE), 1)");
	EXPR_TYPE("datediff(dt, dt)", "int");
	const char *m = sl_test_expr_eval_error("next_day(dt, 'xx')");
	cr_assert_not_null(strstr(m, "ILLEGAL_DAY_OF_WEEK"), "%s", m);
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("next_day(dt, 'xx')");
}

Test(expr_fn_date, months_between)
{
	EXPR_EQ("months_between('1997-02-28 10:30:00', '1996-10-30')",
		"3.94959677");
	EXPR_EQ("months_between('1997-02-28 10:30:00', '1996-10-30', false)",
		"3.9495967741935485");
	EXPR_EQ("months_between('2024-03-31', '2024-02-29')", "1.0");
	EXPR_EQ("months_between(dt, '2023-12-02')", "1.0");
	EXPR_NAME("months_between(ts, ts)", "months_between(ts, ts, true)");
}

Test(expr_fn_date, truncation)
{
	EXPR_EQ("trunc('2019-08-04', 'week')", "2019-07-29");
	EXPR_EQ("trunc('2019-08-04', 'QUARTER')", "2019-07-01");
	EXPR_EQ("trunc(dt, 'yy')", "2024-01-01");
	EXPR_NULL("trunc(dt, 'day')");
	EXPR_EQ("date_trunc('HOUR', '2015-03-05T09:32:05.359')",
		"2015-03-05 09:00:00");
	EXPR_EQ("date_trunc('MILLISECOND', ts)", "2024-01-02 03:04:05.123");
	EXPR_EQ("date_trunc('week', ts)", "2024-01-01 00:00:00");
	EXPR_EQ("date_trunc('SECOND', '1969-12-31 23:59:59.5')",
		"1969-12-31 23:59:59");
	EXPR_NULL("date_trunc('x', ts)");
}

Test(expr_fn_date, fields)
{
	EXPR_EQ("year(dt)", "2024");
	EXPR_EQ("quarter('2016-08-31')", "3");
	EXPR_EQ("month(ts)", "1");
	EXPR_EQ("day(ts)", "2");
	EXPR_EQ("dayofweek(dt)", "3");
	EXPR_EQ("weekday(dt)", "1");
	EXPR_EQ("dayofyear('2016-04-09')", "100");
	EXPR_EQ("weekofyear('2021-01-03')", "53");
	EXPR_EQ("weekofyear('2008-02-20')", "8");
	EXPR_EQ("hour(ts)", "3");
	EXPR_EQ("minute(ts)", "4");
	EXPR_EQ("second(ts)", "5");
	EXPR_EQ("hour('1969-12-31 23:59:59.999999')", "23");
	EXPR_EQ("date_part('YEAR', ts)", "2024");
	EXPR_EQ("date_part('doy', dt)", "2");
	EXPR_EQ("date_part('mins', ts)", "4");
	sl_err e = sl_test_expr_bind_error("date_part('Q', dt)");
	cr_assert_not_null(strstr(e.msg, "INVALID_EXTRACT_FIELD"), "%s", e.msg);
}

Test(expr_fn_date, make_date_and_the_epoch)
{
	EXPR_EQ("make_date(2024, 2, 29)", "2024-02-29");
	const char *m = sl_test_expr_eval_error("make_date(2023, 2, 29)");
	cr_assert_not_null(strstr(m, "DATETIME_FIELD_OUT_OF_BOUNDS"), "%s", m);
	EXPR_EQ("unix_seconds(ts)", "1704164645");
	EXPR_EQ("unix_millis(ts)", "1704164645123");
	EXPR_EQ("unix_micros(ts)", "1704164645123000");
	EXPR_EQ("unix_seconds(TIMESTAMP '1969-12-31 23:59:59.5')", "-1");
	EXPR_EQ("unix_date(dt)", "19724");
	EXPR_EQ("date_from_unix_date(1)", "1970-01-02");
	EXPR_EQ("timestamp_seconds(1230219000)", "2008-12-25 15:30:00");
	EXPR_EQ("timestamp_seconds(1.5e0)", "1970-01-01 00:00:01.5");
	EXPR_EQ("timestamp_millis(1230219000123)", "2008-12-25 15:30:00.123");
	EXPR_EQ("timestamp_micros(-1)", "1969-12-31 23:59:59.999999");
	m = sl_test_expr_eval_error("timestamp_seconds(9223372036854775)");
	cr_assert_not_null(strstr(m, "ARITHMETIC_OVERFLOW"), "%s", m);
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("make_date(2023, 13, 1)");
}
