/* tests/unit/expr_small_ints.c - TINYINT and SMALLINT (core/value.h's
 * SL_BYTE and SL_SHORT: int-tagged values of narrow types; expr/cast.c,
 * expr/eval.c, expr/bind.c): literals, CAST and its names, widening,
 * arithmetic that stays narrow with ANSI's overflow errors or Java's
 * wraparound, comparisons and hashing as ints. Every expected value,
 * type, name and message was checked against PySpark 4.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_small_ints, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_small_ints, literals_and_casts)
{
	EXPR_TYPE("1Y", "tinyint");
	EXPR_TYPE("-128Y", "tinyint");
	EXPR_TYPE("1S", "smallint");
	EXPR_EQ("CAST(1 AS TINYINT)", "1");
	EXPR_TYPE("CAST(1 AS BYTE)", "tinyint");
	EXPR_NAME("CAST(1 AS BYTE)", "CAST(1 AS TINYINT)");
	EXPR_TYPE("CAST(1 AS SHORT)", "smallint");
	EXPR_NAME("CAST(1 AS SHORT)", "CAST(1 AS SMALLINT)");
	EXPR_EQ("CAST('12' AS TINYINT)", "12");
	EXPR_EQ("CAST(1.9D AS TINYINT)", "1");
	EXPR_EQ("CAST(CAST(1 AS TINYINT) AS STRING)", "1");
	EXPR_EQ("CAST(1Y AS BOOLEAN)", "true");
	EXPR_EQ("CAST(true AS TINYINT)", "1");
	EXPR_NAME("CAST(true AS TINYINT)", "CAST(true AS TINYINT)");
}

Test(expr_small_ints, widening)
{
	EXPR_TYPE("1Y + 1", "int");
	EXPR_TYPE("1Y + 1S", "smallint");
	EXPR_TYPE("1Y + 1L", "bigint");
	EXPR_TYPE("1Y + 1D", "double");
	EXPR_TYPE("1Y / 2Y", "double");
	EXPR_EQ("1Y / 2Y", "0.5");
	EXPR_EQ("7Y % 2Y", "1");
	EXPR_TYPE("7Y % 2Y", "tinyint");
	EXPR_TYPE("coalesce(1Y, 1S)", "smallint");
	EXPR_TYPE("CASE WHEN b THEN 1Y ELSE 2 END", "int");
	EXPR_EQ("'1' + 1Y", "2");
	EXPR_TYPE("'1' + 1Y", "bigint");
	EXPR_EQ("i + 1Y", "-2");
	EXPR_TYPE("i + 1Y", "int");
	EXPR_EQ("1Y = 1", "true");
	EXPR_EQ("1Y < 2S", "true");
	EXPR_EQ("hash(1Y)", "-559580957");
	EXPR_EQ("hash(1S)", "-559580957");
	EXPR_EQ("hash(1)", "-559580957");
}

Test(expr_small_ints, ansi_overflow_errors)
{
	cr_assert_str_eq(sl_test_expr_eval_error("100Y + 100Y"),
			 "[BINARY_ARITHMETIC_OVERFLOW] 100S + 100S caused "
			 "overflow. Use `try_add` to ignore overflow problem "
			 "and return NULL. SQLSTATE: 22003");
	cr_assert_str_eq(sl_test_expr_eval_error("100Y * 2Y"),
			 "[BINARY_ARITHMETIC_OVERFLOW] 100S * 2S caused "
			 "overflow. Use `try_multiply` to ignore overflow "
			 "problem and return NULL. SQLSTATE: 22003");
	cr_assert(strstr(sl_test_expr_eval_error("-(-128Y)"),
			 "[ARITHMETIC_OVERFLOW] "
			 "overflow. If necessary"));
	cr_assert_str_eq(sl_test_expr_eval_error("CAST(300 AS TINYINT)"),
			 "[CAST_OVERFLOW] The value 300 of the type \"INT\" "
			 "cannot be cast to \"TINYINT\" due to an overflow. "
			 "Use `try_cast` to tolerate overflow and return NULL "
			 "instead. SQLSTATE: 22003");
	cr_assert(strstr(sl_test_expr_eval_error("CAST(40000 AS SMALLINT)"),
			 "[CAST_OVERFLOW] The value 40000 of the type \"INT\" "
			 "cannot be cast to \"SMALLINT\""));
	cr_assert(strstr(sl_test_expr_eval_error("CAST(200.0D AS TINYINT)"),
			 "[CAST_OVERFLOW] The value 200.0D of the type "
			 "\"DOUBLE\" cannot be cast to \"TINYINT\""));
	cr_assert(strstr(sl_test_expr_eval_error("CAST('300' AS TINYINT)"),
			 "[CAST_INVALID_INPUT] The value '300' of the type "
			 "\"STRING\" cannot be cast to \"TINYINT\" because it "
			 "is malformed."));
	EXPR_NULL("try_add(100Y, 100Y)");
}

Test(expr_small_ints, the_legacy_mode_wraps)
{
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("CAST(300 AS TINYINT)", "44");
	EXPR_EQ("CAST(40000 AS SMALLINT)", "-25536");
	EXPR_EQ("100Y + 100Y", "-56");
	EXPR_TYPE("100Y + 100Y", "tinyint");
	EXPR_EQ("-(-128Y)", "-128");
	EXPR_EQ("CAST(200.0D AS TINYINT)", "-56");
	EXPR_NULL("CAST('300' AS TINYINT)");
	EXPR_EQ("CAST(1e10D AS SMALLINT)", "-1");
	EXPR_TYPE("'1' + 1Y", "double");
}

Test(expr_small_ints, schemas_take_them)
{
	sl_arena a;
	sl_arena_init(&a);
	cr_assert_eq(sl_dtype_parse("TINYINT", 7, &a), &sl_dtype_byte);
	cr_assert_eq(sl_dtype_parse("smallint", 8, &a), &sl_dtype_short);
	sl_err err = { 0 };
	sl_schema *s = sl_schema_parse("a TINYINT, b SMALLINT, c FLOAT", &a,
				       &err);
	cr_assert_not_null(s, "%s", err.msg);
	char buf[64];
	sl_dtype_name(s->fields[2].type, buf, sizeof(buf));
	cr_assert_str_eq(buf, "float");
	sl_arena_free(&a);
}
