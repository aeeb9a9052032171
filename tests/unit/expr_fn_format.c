/* tests/unit/expr_fn_format.c - format_string/printf and format_number
 * (expr/fn_format.c): Java's Formatter flags and rounding, null
 * arguments, and DecimalFormat's HALF_EVEN on the binary value; values
 * from PySpark 4. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_format, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_format, format_string)
{
	EXPR_EQ("format_string('%d-%s', 1, 'x')", "1-x");
	EXPR_EQ("printf('[%5d|%-5d|%05d|%+d]', 7, 7, 7, 7)",
		"[    7|7    |00007|+7]");
	EXPR_EQ("format_string('%,d', -1234567)", "-1,234,567");
	EXPR_EQ("format_string('%x %X', -42, CAST(-1234567 AS BIGINT))",
		"ffffffd6 FFFFFFFFFFED2979");
	EXPR_EQ("format_string('%.2f|%10.3f|%f', 2.675e0, 2.675e0, 2.675e0)",
		"2.68|     2.675|2.675000");
	EXPR_EQ("format_string('%S', 'h\xc3\xa9llo')", "H\xc3\x89LLO");
	EXPR_EQ("format_string('%2$s %1$s', 'a', 'b')", "b a");
	EXPR_EQ("format_string('%05d|%X|%.2s', i, CAST(NULL AS INT), ns)",
		"-0003|NULL|nu");
	EXPR_EQ("format_string('%.2s', 'h\xc3\xa9llo')", "h\xc3\xa9");
	const char *m = sl_test_expr_eval_error("format_string('%d', d)");
	cr_assert_not_null(strstr(m, "d != java.lang.Double"), "%s", m);
	m = sl_test_expr_eval_error("format_string('%s %s', 'a')");
	cr_assert_not_null(strstr(m, "MissingFormatArgument"), "%s", m);
}

Test(expr_fn_format, format_number)
{
	EXPR_EQ("format_number(12332.123456e0, 4)", "12,332.1235");
	EXPR_EQ("format_number(2.675e0, 2)", "2.67"); /* 2.67499... */
	EXPR_EQ("format_number(-0.004e0, 2)", "-0.00");
	EXPR_EQ("format_number(CAST(-1234567 AS BIGINT), 3)",
		"-1,234,567.000");
	EXPR_EQ("format_number(value, 0)", "42");
	EXPR_NULL("format_number(d, -1)");
}
