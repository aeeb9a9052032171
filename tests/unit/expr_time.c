/* tests/unit/expr_time.c - the datetime functions (expr/time.c): date_format
 * patterns, to_timestamp, to_date and current_timestamp.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_time, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

/* ---- datetime --------------------------------------------------------- */

Test(expr_time, date_format_patterns)
{
	EXPR_EQ("date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS')",
		"2024-01-02 03:04:05.123");
	EXPR_EQ("date_format(ts, 'y')", "2024");
	EXPR_EQ("date_format(ts, 'yy/M/d H:m:s')", "24/1/2 3:4:5");
	EXPR_EQ("date_format(ts, 'EEE, d MMM yyyy h:mm a')",
		"Tue, 2 Jan 2024 3:04 AM");
	EXPR_EQ("date_format(ts, 'EEEE MMMM')", "Tuesday January");
	EXPR_EQ("date_format(ts, \"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\")",
		"2024-01-02T03:04:05.123Z");
	EXPR_EQ("date_format(ts, 'S SS SSSSSS')", "1 12 123000");
	EXPR_EQ("date_format(ts, \"hh a 'o''clock'\")", "03 AM o'clock");
	EXPR_EQ("date_format(ts, 'Z')", "+0000");
	EXPR_EQ("date_format('2016-04-08', 'y')", "2016");
	EXPR_EQ("date_format(dt, 'dd.MM.yyyy')", "02.01.2024");
	EXPR_EQ("date_format(TIMESTAMP '2024-01-02 15:00:00', 'h a')", "3 PM");
	EXPR_EQ("date_format(TIMESTAMP '2024-01-02 00:30:00', 'h:mm a')",
		"12:30 AM");
	EXPR_NULL("date_format(CAST(NULL AS TIMESTAMP), 'y')");
	sl_err err = sl_test_expr_bind_error("date_format(ts, 'yyyy-QQ')");
	cr_assert(strstr(err.msg, "pattern"), "%s", err.msg);
	sl_test_expr_bind_error("date_format(ts, 'ddd')");
	sl_test_expr_bind_error("date_format(ts, \"yyyy'\")");
}

Test(expr_time, to_timestamp_and_to_date)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("to_timestamp('2016-12-31 00:12:00')", "2016-12-31 00:12:00");
	EXPR_EQ("to_timestamp('2016-12-31', 'yyyy-MM-dd')",
		"2016-12-31 00:00:00");
	EXPR_EQ("to_timestamp('02/01/2024 13:14', 'dd/MM/yyyy HH:mm')",
		"2024-01-02 13:14:00");
	EXPR_EQ("to_timestamp('20240102', 'yyyyMMdd')", "2024-01-02 00:00:00");
	EXPR_EQ("to_timestamp('2024-01-02 03:04:05.250', "
		"'yyyy-MM-dd HH:mm:ss.SSS')",
		"2024-01-02 03:04:05.25");
	EXPR_EQ("to_timestamp('Jan 2 2024 3PM', 'MMM d yyyy ha')",
		"2024-01-02 15:00:00");
	EXPR_EQ("to_timestamp('2024-01-02T03:04:05+0100', "
		"\"yyyy-MM-dd'T'HH:mm:ssZ\")",
		"2024-01-02 02:04:05");
	EXPR_NULL("to_timestamp('2024-02-30', 'yyyy-MM-dd')");
	EXPR_NULL("to_timestamp('2024-01-02 junk', 'yyyy-MM-dd')");
	EXPR_NULL("to_timestamp('x')");
	EXPR_NULL("to_timestamp(ns, 'yyyy')");
	EXPR_TYPE("to_timestamp(s)", "timestamp");
	EXPR_EQ("to_timestamp(dt)", "2024-01-02 00:00:00");
	EXPR_EQ("to_date('2016-12-31')", "2016-12-31");
	EXPR_EQ("to_date('31.12.2016', 'dd.MM.yyyy')", "2016-12-31");
	EXPR_EQ("to_date(ts)", "2024-01-02");
	EXPR_TYPE("to_date(s)", "date");
	/* a pattern from the row is compiled per row */
	EXPR_EQ("to_timestamp('2024', substring('yyyyMM', 1, 4))",
		"2024-01-01 00:00:00");
}

Test(expr_time, current_timestamp_is_now)
{
	int64_t before = sl_wall_us();
	sl_value v = sl_test_expr_value("current_timestamp()");
	int64_t after = sl_wall_us();
	cr_assert_eq(v.type, SL_TIMESTAMP);
	cr_assert(v.v.i64 >= before && v.v.i64 <= after);
	EXPR_NAME("current_timestamp()", "current_timestamp()");
	EXPR_NAME("current_timestamp", "current_timestamp()");
	EXPR_TYPE("current_date()", "date");
	v = sl_test_expr_value("current_date()");
	cr_assert_eq(v.v.i32, (int32_t)(after / 86400000000LL));
	sl_test_expr_bind_error("current_timestamp(1)");
}
