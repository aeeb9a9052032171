/* tests/unit/expr_fn_epoch.c - unix_timestamp, to_unix_timestamp,
 * from_unixtime and try_to_timestamp (expr/fn_epoch.c): default
 * patterns, Java's division toward zero, ANSI's parse error; values from
 * PySpark 4. The row's ts is 2024-01-02 03:04:05.123 UTC. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_epoch, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_epoch, unix_timestamp)
{
	EXPR_EQ("unix_timestamp(ts)", "1704164645");
	EXPR_EQ("unix_timestamp(dt)", "1704153600");
	EXPR_EQ("unix_timestamp(TIMESTAMP '1969-12-31 23:59:59.5')", "0");
	EXPR_EQ("unix_timestamp('2016-04-08', 'yyyy-MM-dd')", "1460073600");
	EXPR_EQ("to_unix_timestamp('2016-04-08 10:00:00')", "1460109600");
	EXPR_NULL("unix_timestamp(ns)");
	EXPR_TYPE("unix_timestamp()", "bigint");
	EXPR_NAME("unix_timestamp(ts)",
		  "unix_timestamp(ts, yyyy-MM-dd HH:mm:ss)");
	const char *m = sl_test_expr_eval_error(
		"unix_timestamp('mon', 'yyyy-MM-dd')");
	cr_assert_not_null(strstr(m, "CANNOT_PARSE_TIMESTAMP"), "%s", m);
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("unix_timestamp('mon', 'yyyy-MM-dd')");
}

Test(expr_fn_epoch, from_unixtime_and_try)
{
	EXPR_EQ("from_unixtime(0)", "1970-01-01 00:00:00");
	EXPR_EQ("from_unixtime(1704164645, 'yyyy/MM/dd HH')", "2024/01/02 03");
	EXPR_EQ("from_unixtime(-1)", "1969-12-31 23:59:59");
	EXPR_NULL("from_unixtime(n)");
	EXPR_NAME("from_unixtime(0)", "from_unixtime(0, yyyy-MM-dd HH:mm:ss)");
	EXPR_NULL("try_to_timestamp('x')");
	EXPR_EQ("try_to_timestamp('2016-12-31', 'yyyy-MM-dd')",
		"2016-12-31 00:00:00");
}
