/* tests/unit/expr_literals.c - literals as Spark 4's lexer and parser read
 * them (expr/lex.c, expr/parse.c): quotes doubled inside strings, adjacent
 * strings, number suffixes and their ranges, typed literals validated, and
 * syntax errors at the token at fault. Every expected value and name was
 * checked against PySpark 4 (selectExpr on a one-row DataFrame, UTC).
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_literals, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

#define PARSE_ERR(text, want)                                                  \
	do {                                                                   \
		sl_err e_ = sl_test_expr_parse_error(text);                    \
		cr_assert(strstr(e_.msg, want), "%s: %s", text, e_.msg);       \
	} while (0)

Test(expr_literals, a_doubled_quote_is_one_quote_inside_the_string)
{
	EXPR_EQ("'S''par''k'", "S'par'k");
	EXPR_EQ("\"S\"\"par\"\"k\"", "S\"par\"k");
	EXPR_NAME("'S''par''k'", "S'par'k");
	EXPR_EQ("'a\\'b'", "a'b");
	EXPR_EQ("''''", "'");
	EXPR_EQ("''", "");
}

Test(expr_literals, adjacent_strings_concatenate)
{
	EXPR_EQ("'a' 'b'", "ab");
	EXPR_EQ("'a' \"b\" 'c'", "abc");
	EXPR_EQ("'it''s' 'x'", "it'sx");
	EXPR_NAME("'a' 'b'", "ab");
}

Test(expr_literals, suffixes_and_their_ranges)
{
	EXPR_EQ("1Y", "1");
	EXPR_EQ("-128Y", "-128");
	EXPR_EQ("1S", "1");
	EXPR_EQ("10L", "10");
	EXPR_TYPE("10L", "bigint");
	EXPR_EQ("1D", "1.0");
	EXPR_TYPE("1D", "double");
	PARSE_ERR("128Y", "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal 128 "
			  "is outside the valid range for tinyint with minimum "
			  "value of -128 and maximum value of 127");
	PARSE_ERR("32768S", "Numeric literal 32768 is outside the valid range "
			    "for smallint with minimum value of -32768 and "
			    "maximum value of 32767");
	PARSE_ERR("9223372036854775808L", "for bigint");
}

Test(expr_literals, doubles_out_of_range_are_errors)
{
	PARSE_ERR("1E309",
		  "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal 1E309 is "
		  "outside the valid range for double with minimum value of "
		  "-1.7976931348623157E+308 and maximum value of "
		  "1.7976931348623157E+308");
	PARSE_ERR("-1E309", "Numeric literal -1E309 is outside");
	PARSE_ERR("1E400D", "Numeric literal 1E400 is outside");
	PARSE_ERR("1.7976931348623159E308", "is outside the valid range");
	EXPR_EQ("1e308", "1.0E308");
	EXPR_EQ("1E-400", "0.0");
}

Test(expr_literals, decimals_as_spark_types_them)
{
	EXPR_TYPE("1.5BD", "decimal(2,1)");
	EXPR_TYPE("1BD", "decimal(1,0)");
	EXPR_TYPE("1E2BD", "decimal(3,0)");
	EXPR_EQ("1E2BD", "100");
	EXPR_TYPE("3bd", "decimal(1,0)");
	EXPR_TYPE("9223372036854775808", "decimal(19,0)");
	EXPR_EQ("9223372036854775808", "9223372036854775808");
	EXPR_TYPE("-9223372036854775809", "decimal(19,0)");
	EXPR_EQ("-9223372036854775809", "-9223372036854775809");
	EXPR_TYPE("12345678901234567890", "decimal(20,0)");
	EXPR_EQ("-9223372036854775808", "-9223372036854775808");
	EXPR_TYPE("-9223372036854775808", "bigint");
	EXPR_TYPE("1.0E0BD", "decimal(2,1)");
	EXPR_NAME("1.0E0BD", "1.0");
	EXPR_TYPE("-0.0", "decimal(1,1)");
	EXPR_NAME("-0.0", "0.0");
	PARSE_ERR("123456789012345678901234567890123456789", "DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION");
}

Test(expr_literals, float_and_double_suffixes)
{
	EXPR_TYPE("1.5F", "float");
	EXPR_TYPE("1F", "float");
	EXPR_TYPE("2.5f", "float");
	EXPR_EQ("1.1F", "1.1");
	EXPR_TYPE("1.5D", "double");
	EXPR_TYPE("1.5E0", "double");
	EXPR_TYPE("1.5d", "double");
	EXPR_TYPE("1l", "bigint");
	EXPR_TYPE("2y", "tinyint");
	EXPR_TYPE("3s", "smallint");
	PARSE_ERR("1E39F", "outside the valid range for float");
}

Test(expr_literals, date_literals_are_validated)
{
	sl_err e = sl_test_expr_parse_error("DATE '1999 Jan 08'");
	cr_assert_str_eq(
		e.msg, "syntax error at position 1 near 'DATE '1999 Jan 08'': "
		       "[INVALID_TYPED_LITERAL] The value of the typed "
		       "literal \"DATE\" is invalid: '1999 Jan 08'");
	PARSE_ERR("DATE '1999-13-01'", "literal \"DATE\" is invalid");
	EXPR_EQ("DATE '1999-1-8'", "1999-01-08");
	EXPR_EQ("DATE '1999'", "1999-01-01");
	EXPR_EQ("DATE '1999 '", "1999-01-01");
	EXPR_EQ("DATE '1999-01'", "1999-01-01");
	EXPR_EQ("DATE '1999-01-08 12:00'", "1999-01-08");
	EXPR_EQ("DATE '1999-01-08T'", "1999-01-08");
	EXPR_EQ("DATE ' 1999-01-08'", "1999-01-08");
	EXPR_NAME("DATE '1999-1-8'", "DATE '1999-01-08'");
	/* the cast reads dates the same way (null with ANSI off) */
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("CAST('1999 Jan 08' AS DATE)");
}

Test(expr_literals, timestamp_literals_are_validated)
{
	PARSE_ERR("TIMESTAMP '1999 Jan'",
		  "[INVALID_TYPED_LITERAL] The value of the typed literal "
		  "\"TIMESTAMP\" is invalid: '1999 Jan'");
	PARSE_ERR("TIMESTAMP '2024-13-02'", "\"TIMESTAMP\" is invalid");
	EXPR_EQ("TIMESTAMP '2024-01-02 03:04'", "2024-01-02 03:04:00");
	EXPR_NAME("TIMESTAMP '2024-01-02T03:04:05Z'",
		  "TIMESTAMP '2024-01-02 03:04:05'");
}

Test(expr_literals, binary_literals)
{
	EXPR_TYPE("X'0A1B'", "binary");
	EXPR_EQ("X'0A1B'", "[0A 1B]");
	EXPR_NAME("X'0A1B'", "X'0A1B'");
	EXPR_EQ("X'0A1'", "[00 A1]");
	EXPR_NAME("X'0A1'", "X'00A1'");
	EXPR_EQ("X''", "[]");
	PARSE_ERR("X'zz'", "[INVALID_TYPED_LITERAL] The value of the typed "
			   "literal \"X\" is invalid: 'zz'");
}

Test(expr_literals, a_syntax_error_names_the_token_at_fault)
{
	sl_err e = sl_test_expr_parse_error("value +* 2");
	cr_assert_eq(e.pos, 8);
	cr_assert_str_eq(e.msg, "syntax error at position 8 near '*': "
				"expected an expression");
	/* a star stays valid as a whole item and as an argument */
	sl_err err = { 0 };
	cr_assert(sl_expr_parse("count(*)", false, &sl_test_expr_arena, &err));
	cr_assert(sl_expr_parse("*", false, &sl_test_expr_arena, &err));
	cr_assert(sl_expr_parse("f(a, *)", false, &sl_test_expr_arena, &err));
}

Test(expr_literals, raw_strings_and_long_unicode_escapes)
{
	EXPR_EQ("r'raw\\nstring'", "raw\\nstring");
	EXPR_NAME("r'raw\\nstring'", "raw\\nstring");
	EXPR_EQ("R'C:\\dir'", "C:\\dir");
	EXPR_EQ("r\"a'b\"", "a'b");
	EXPR_EQ("'\\U0001F600'", "\xF0\x9F\x98\x80");
	EXPR_NAME("'\\U0001F600'", "\xF0\x9F\x98\x80");
}
