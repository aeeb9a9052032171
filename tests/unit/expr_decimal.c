/* tests/unit/expr_decimal.c - DECIMAL(p,s) and FLOAT in expressions
 * (expr/decimal.c, expr/cast.c, expr/bind.c over core/decimal.c):
 * literals, Spark's result types of + - * / %, mixing with integers and
 * doubles, casts both ways with ANSI's errors and the legacy nulls,
 * round/abs, comparisons and hashing, and what GROUP BY does with them
 * (sum/avg in ops/agg.c, group keys in ops/keyhash.c). Every expected value, type, name
 * and error class was checked against PySpark 4.3.0.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "io/csv.h"
#include "ops/agg.h"
#include "ops/keyhash.h"
#include "tests/support/expr_fixture.h"

TestSuite(expr_decimal, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

#define EVAL_ERR(text, prefix)                                                 \
	do {                                                                   \
		const char *m_ = sl_test_expr_eval_error(text);                \
		cr_assert(!strncmp(m_, prefix, strlen(prefix)),               \
			  "%s: '%s' does not start with '%s'", text, m_,       \
			  prefix);                                             \
	} while (0)

Test(expr_decimal, arithmetic_types_and_values)
{
	EXPR_EQ("10.3 * 3.0", "30.90");
	EXPR_TYPE("10.3 * 3.0", "decimal(6,2)");
	EXPR_EQ("0.1 + 0.2", "0.3");
	EXPR_TYPE("0.1 + 0.2", "decimal(2,1)");
	EXPR_EQ("0.1 + 0.2 = 0.3", "true");
	EXPR_EQ("1.0 / 3", "0.333333");
	EXPR_TYPE("1.0 / 3", "decimal(7,6)");
	EXPR_EQ("10.5 % 3", "1.5");
	EXPR_TYPE("10.5 % 3", "decimal(2,1)");
	EXPR_TYPE("1 + 1.5", "decimal(3,1)");
	/* an int column is DECIMAL(10,0), a literal by its digits */
	EXPR_TYPE("i + 1.5", "decimal(12,1)");
	EXPR_EQ("i + 1.5", "-1.5");
	EXPR_TYPE("1.5 + 1L", "decimal(3,1)");
	EXPR_EQ("CAST(1 AS DECIMAL(5,2)) + CAST(1 AS TINYINT)", "2.00");
	EXPR_TYPE("CAST(1 AS DECIMAL(5,2)) + CAST(1 AS TINYINT)",
		  "decimal(6,2)");
	EXPR_EQ("-(1.50)", "-1.50");
	EXPR_NAME("-(1.50)", "(- 1.50)");
	EXPR_TYPE("NULL + 1.5", "decimal(3,1)");
	/* beyond 64 bits */
	EXPR_EQ("12345678901234567890 * 10", "123456789012345678900");
	EXPR_TYPE("12345678901234567890 * 10", "decimal(23,0)");
	EXPR_EQ("-12345678901234567890 - 1", "-12345678901234567891");
	EXPR_EQ("CAST(1.5 AS DECIMAL(38,37)) * CAST(1.5 AS DECIMAL(38,37))",
		"2.25000000000000000000000000000000000");
	EXPR_TYPE("CAST(1.5 AS DECIMAL(38,37)) * CAST(1.5 AS DECIMAL(38,37))",
		  "decimal(38,35)");
	EXPR_EQ("CAST(1 AS DECIMAL(38,10)) / 3", "0.3333333333");
}

Test(expr_decimal, mixing_with_doubles_and_strings)
{
	EXPR_TYPE("1.5 * 2D", "double");
	EXPR_EQ("1.5 * 2D", "3.0");
	EXPR_NAME("1.5 * 2D", "(1.5 * 2.0)");
	/* a string beside a decimal is a double, in both modes */
	EXPR_TYPE("'1.5' + 1.5", "double");
	EXPR_EQ("'1.5' + 1.5", "3.0");
	sl_test_expr_opts.ansi = false;
	EXPR_TYPE("'1.5' + 1.5", "double");
}

Test(expr_decimal, comparisons_and_common_types)
{
	EXPR_EQ("CAST(3000000000 AS DECIMAL(10,0)) > 2147483647", "true");
	EXPR_EQ("1.5 IN (1, 2, 1.5)", "true");
	EXPR_EQ("coalesce(NULL, 1.5, 2)", "1.5");
	EXPR_TYPE("coalesce(NULL, 1.5, 2)", "decimal(11,1)");
	EXPR_EQ("CAST(1.5 AS DECIMAL(4,1)) = CAST(1.50 AS DECIMAL(5,2))",
		"true");
	/* a string meets a decimal as a double */
	EXPR_EQ("'1.50' = 1.5", "true");
	EXPR_TYPE("coalesce('1.5', 1.5)", "double");
	sl_test_expr_opts.ansi = false;
	EXPR_TYPE("coalesce('1.5', 1.5)", "string");
}

Test(expr_decimal, casts)
{
	EXPR_EQ("CAST('1.23' AS DECIMAL(10,2))", "1.23");
	EXPR_EQ("CAST(7 AS DECIMAL(5,2))", "7.00");
	EXPR_EQ("CAST(1.235 AS DECIMAL(4,2))", "1.24");
	EXPR_EQ("CAST(1.99 AS INT)", "1");
	EXPR_EQ("CAST(-1.99 AS BIGINT)", "-1");
	EXPR_EQ("CAST(true AS DECIMAL(3,1))", "1.0");
	EXPR_EQ("CAST(1.5 AS BOOLEAN)", "true");
	EXPR_EQ("CAST(0.0 AS BOOLEAN)", "false");
	EXPR_EQ("CAST(CAST(1.5 AS DECIMAL(5,2)) AS STRING)", "1.50");
	EXPR_TYPE("CAST(1 AS NUMERIC(5))", "decimal(5,0)");
	EXPR_TYPE("CAST(1 AS DEC)", "decimal(10,0)");
	/* ANSI mode: the plain text; its name keeps Java's 1E-7 */
	EXPR_EQ("CAST(CAST(0.0000001 AS DECIMAL(10,8)) AS STRING)",
		"0.00000010");
	EXPR_NAME("CAST(CAST(0.0000001 AS DECIMAL(10,8)) AS STRING)",
		  "CAST(CAST(1E-7 AS DECIMAL(10,8)) AS STRING)");
	EVAL_ERR("CAST(12345.6 AS DECIMAL(3,1))",
		 "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION] 12345.6 cannot "
		 "be represented as Decimal(3, 1)");
	EVAL_ERR("CAST('abc' AS DECIMAL(5,2))",
		 "[CAST_INVALID_INPUT] The value 'abc' of the type \"STRING\" "
		 "cannot be cast to \"DECIMAL(5,2)\" because it is malformed");
	EVAL_ERR("CAST('1e50' AS DECIMAL(5,2))",
		 "[NUMERIC_OUT_OF_SUPPORTED_RANGE]");
	EVAL_ERR("CAST(CAST(300 AS DECIMAL(5,0)) AS TINYINT)",
		 "[CAST_OVERFLOW] The value 300BD of the type \"DECIMAL(5,0)\" "
		 "cannot be cast to \"TINYINT\" due to an overflow");
}

Test(expr_decimal, legacy_mode_nulls_and_wraps)
{
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("CAST(12345.6 AS DECIMAL(3,1))");
	EXPR_NULL("CAST('abc' AS DECIMAL(5,2))");
	EXPR_NULL("1.5 / 0");
	EXPR_TYPE("1.5 / 0", "decimal(7,6)");
	EXPR_NULL("CAST(99999999999999999999999999999999999999 AS "
		  "DECIMAL(38,0)) + 1");
	EXPR_EQ("CAST(CAST(300 AS DECIMAL(5,0)) AS TINYINT)", "44");
	/* Java's BigDecimal text outside ANSI mode */
	EXPR_EQ("CAST(CAST(0.0000001 AS DECIMAL(10,8)) AS STRING)", "1.0E-7");
}

Test(expr_decimal, ansi_errors)
{
	EVAL_ERR("1.5 / 0", "[DIVIDE_BY_ZERO]");
	EVAL_ERR("1.5 % 0", "[REMAINDER_BY_ZERO]");
	EVAL_ERR("CAST(99999999999999999999999999999999999999 AS DECIMAL(38,0)) "
		 "+ 1",
		 "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION]");
}

Test(expr_decimal, round_abs_hash)
{
	EXPR_EQ("round(-2.5)", "-3");
	EXPR_TYPE("round(-2.5)", "decimal(2,0)");
	EXPR_EQ("abs(-1.50)", "1.50");
	EXPR_TYPE("abs(-1.50)", "decimal(3,2)");
	/* Murmur3 of the unscaled long up to precision 18, of the
	 * unscaled value's bytes beyond */
	EXPR_EQ("hash(CAST(10.25 AS DECIMAL(10,2)))", "-1230602176");
	EXPR_EQ("hash(CAST(10.25 AS DECIMAL(20,2)))", "-1876205787");
	EXPR_EQ("hash(CAST(-1 AS DECIMAL(20,0)))", "1398487324");
	EXPR_EQ("hash(CAST(128 AS DECIMAL(20,0)))", "-544401882");
}

Test(expr_decimal, floats)
{
	EXPR_TYPE("CAST(1.1 AS FLOAT)", "float");
	EXPR_EQ("CAST(1.1 AS FLOAT)", "1.1");
	EXPR_EQ("CAST(0.1 AS FLOAT)", "0.1");
	EXPR_EQ("CAST(1e10 AS FLOAT)", "1.0E10");
	EXPR_EQ("CAST(1.0E-5 AS FLOAT)", "1.0E-5");
	EXPR_EQ("CAST(123456789 AS FLOAT)", "1.23456792E8");
	EXPR_EQ("CAST(CAST(1.1 AS FLOAT) AS DOUBLE)", "1.100000023841858");
	EXPR_NAME("CAST(1 AS REAL)", "CAST(1 AS FLOAT)");
	/* with ANSI on a float meets an integer as a double */
	EXPR_TYPE("CAST(1.1 AS FLOAT) * 2", "double");
	EXPR_EQ("CAST(1.1 AS FLOAT) * 2", "2.200000047683716");
	EXPR_TYPE("1.5F + 1S", "double");
	EXPR_EQ("CAST(1.5 AS FLOAT) = 1.5", "true");
	EXPR_EQ("round(CAST(1.25 AS FLOAT), 1)", "1.3");
	EXPR_TYPE("round(CAST(1.25 AS FLOAT), 1)", "float");
	EXPR_EQ("abs(CAST(-1.5 AS FLOAT))", "1.5");
	EXPR_EQ("-CAST(1.5 AS FLOAT)", "-1.5");
	EXPR_EQ("hash(CAST(1.1 AS FLOAT))", "-1622364914");
	EXPR_EQ("hash(CAST(-0.0 AS FLOAT))", "933211791");
	sl_test_expr_opts.ansi = false;
	EXPR_TYPE("CAST(1.1 AS FLOAT) * 2", "float");
	EXPR_EQ("CAST(1.1 AS FLOAT) * 2", "2.2");
}

Test(expr_decimal, wide_values_copy_into_their_arena)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_decimal big = (sl_decimal)1 << 100;
	sl_value v = sl_v_dec(big, 38, 2, &a);
	cr_assert(v.pad[2] & SL_DEC_WIDE);
	sl_value small = sl_v_dec(-5, 38, 2, &a);
	cr_assert_eq(small.pad[2], 0, "a value that fits 64 bits stays inline");
	sl_arena b;
	sl_arena_init(&b);
	sl_value c = sl_value_copy(&v, &b);
	sl_arena_free(&a);
	cr_assert(sl_v_dec_get(&c) == big);
	char buf[64];
	sl_value_render(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "12676506002282294014967032053.76");
	sl_arena_free(&b);
}

/* sum and avg of DECIMAL(10,2) (ops/agg.c): Spark's DECIMAL(20,2) and
 * DECIMAL(14,6), exact; a sum past its type is null (ANSI off) */
Test(expr_decimal, sum_and_avg)
{
	sl_arena a;
	sl_arena_init(&a);
	const sl_dtype *in = sl_dtype_decimal(10, 2);
	char buf[64];
	sl_dtype_name(sl_agg_sum.result_type(in, &a), buf, sizeof(buf));
	cr_assert_str_eq(buf, "decimal(20,2)");
	sl_dtype_name(sl_agg_avg.result_type(in, &a), buf, sizeof(buf));
	cr_assert_str_eq(buf, "decimal(14,6)");
	/* and the narrow types: TINYINT sums as BIGINT, FLOAT as DOUBLE */
	cr_assert_eq(sl_agg_sum.result_type(&sl_dtype_byte, &a), &sl_dtype_long);
	cr_assert_eq(sl_agg_sum.result_type(&sl_dtype_short, &a), &sl_dtype_long);
	cr_assert_eq(sl_agg_sum.result_type(&sl_dtype_float, &a),
		     &sl_dtype_double);
	cr_assert_eq(sl_agg_avg.result_type(&sl_dtype_float, &a),
		     &sl_dtype_double);
	_Alignas(16) char sst[256], ast[256];
	cr_assert_leq(sl_agg_sum.state_size, sizeof(sst));
	cr_assert_leq(sl_agg_avg.state_size, sizeof(ast));
	sl_agg_sum.init(sst);
	sl_agg_avg.init(ast);
	const int64_t vals[] = { 1025, -1, 2 }; /* 10.25, -0.01, 0.02 */
	for (int i = 0; i < 3; i++) {
		sl_value v = sl_v_dec(vals[i], 10, 2, &a);
		sl_agg_sum.add(sst, &v);
		sl_agg_avg.add(ast, &v);
	}
	sl_value r = sl_agg_sum.result(sst, &a);
	sl_value_render(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.26");
	r = sl_agg_avg.result(ast, &a);
	sl_value_render(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "3.420000");
	/* the state survives a checkpoint's encoding */
	sl_buf b;
	sl_buf_init(&b, &a, 64);
	sl_agg_avg.encode(ast, &b);
	_Alignas(16) char ast2[256];
	sl_agg_avg.init(ast2);
	sl_rbuf rb = { .p = (const uint8_t *)b.s, .len = b.len };
	cr_assert_eq(sl_agg_avg.decode(ast2, &rb), 0);
	r = sl_agg_avg.result(ast2, &a);
	sl_value_render(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "3.420000");
	/* DECIMAL(38,0): the sum type is DECIMAL(38,0) too, so two of the
	 * largest values overflow it */
	sl_agg_sum.init(sst);
	sl_decimal nines = sl_decimal_pow10(38) - 1;
	sl_value big = sl_v_dec(nines, 38, 0, &a);
	sl_agg_sum.add(sst, &big);
	sl_agg_sum.add(sst, &big);
	r = sl_agg_sum.result(sst, &a);
	cr_assert(sl_v_is_null(&r));
	sl_arena_free(&a);
}

/* group keys (ops/keyhash.c): decimals encode with their type and
 * 128-bit value, and equal decimals hash alike */
Test(expr_decimal, group_keys)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_decimal wide = sl_decimal_pow10(30) + 7;
	sl_value k[2] = { sl_v_dec(wide, 38, 3, &a), sl_v_dec(-42, 5, 1, &a) };
	sl_buf b;
	sl_buf_init(&b, &a, 64);
	sl_value_encode(&b, &k[0]);
	sl_value_encode(&b, &k[1]);
	sl_rbuf rb = { .p = (const uint8_t *)b.s, .len = b.len };
	sl_value d[2];
	cr_assert_eq(sl_value_decode(&rb, &a, &d[0]), 0);
	cr_assert_eq(sl_value_decode(&rb, &a, &d[1]), 0);
	cr_assert(sl_key_equal(k, d, 2));
	cr_assert_eq(sl_key_hash(k, 2), sl_key_hash(d, 2));
	sl_value other = sl_v_dec(-43, 5, 1, &a);
	cr_assert(!sl_key_equal(&k[1], &other, 1));
	void *blk;
	sl_value c = sl_value_dup_heap(&k[0], &blk);
	cr_assert_not_null(blk);
	cr_assert(sl_v_dec_get(&c) == wide);
	free(blk);
	sl_arena_free(&a);
}

/* the csv source's text (io/csv.c): Java's BigDecimal syntax rounded
 * HALF_UP to the scale; too many digits or no number is no value */
Test(expr_decimal, csv_text)
{
	sl_arena a;
	sl_arena_init(&a);
	const sl_dtype *t = sl_dtype_decimal(10, 2);
	sl_value v;
	char buf[64];
	cr_assert_eq(sl_text_to_value("10.25", 5, t, &a, &v), 0);
	sl_value_render(&v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.25");
	cr_assert_eq(sl_text_to_value("1e2", 3, t, &a, &v), 0);
	sl_value_render(&v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "100.00");
	cr_assert_eq(sl_text_to_value("0.125", 5, t, &a, &v), 0);
	sl_value_render(&v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0.13");
	cr_assert_neq(sl_text_to_value("abc", 3, t, &a, &v), 0);
	cr_assert_neq(sl_text_to_value("123456789012", 12, t, &a, &v), 0);
	cr_assert_eq(sl_text_to_value("1.1", 3, &sl_dtype_float, &a, &v), 0);
	sl_value_render(&v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1.1");
	cr_assert_neq(sl_text_to_value("200", 3, &sl_dtype_byte, &a, &v), 0);
	sl_arena_free(&a);
}
