/* tests/unit/expr_func.c - the scalar functions (expr/func.c): strings,
 * coalesce, explode as a generator, and numbers (abs, round, hash). The shared
 * row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_func, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

/* ---- string functions ------------------------------------------------- */

Test(expr_func, lower_upper)
{
	EXPR_EQ("lower(s)", "hello world");
	EXPR_EQ("upper(s)", "HELLO WORLD");
	EXPR_EQ("UPPER('SparkSql')", "SPARKSQL");
	EXPR_EQ("lcase('ABC')", "abc");
	EXPR_EQ("upper(value)", "42");
	EXPR_EQ("upper('\xc3\xa9t\xc3\xa9')", "\xc3\x89T\xc3\x89");
	EXPR_EQ("lower('\xd0\x96')", "\xd0\xb6");
	EXPR_NULL("upper(ns)");
	EXPR_NULL("lower(NULL)");
}

Test(expr_func, length_counts_characters)
{
	EXPR_EQ("length(s)", "11");
	EXPR_EQ("length('Spark SQL ')", "10");
	EXPR_EQ("length('h\xc3\xa9llo')", "5");
	EXPR_EQ("length('')", "0");
	EXPR_EQ("length(bin)", "3");
	EXPR_EQ("char_length(value)", "2");
	EXPR_TYPE("length(s)", "int");
	EXPR_NULL("length(ns)");
}

Test(expr_func, concat)
{
	EXPR_EQ("concat('Spark', 'SQL')", "SparkSQL");
	EXPR_EQ("concat(s, '!', value)", "Hello World!42");
	EXPR_EQ("s || '?'", "Hello World?");
	EXPR_EQ("concat()", "");
	EXPR_NULL("concat(s, NULL)");
	EXPR_NULL("concat(ns, 'x')");
	EXPR_EQ("concat(bin, bin)", "[61 62 FF 61 62 FF]");
	EXPR_TYPE("concat(bin, bin)", "binary");
	EXPR_NAME("'a' || 'b'", "concat(a, b)");
}

Test(expr_func, substring_spark_positions)
{
	EXPR_EQ("substring('Spark SQL', 5)", "k SQL");
	EXPR_EQ("substring('Spark SQL', -3)", "SQL");
	EXPR_EQ("substring('Spark SQL', 5, 1)", "k");
	EXPR_EQ("substring('Spark SQL', 0, 2)", "Sp"); /* 0 is 1 */
	EXPR_EQ("substring('Spark SQL', 1, 100)", "Spark SQL");
	EXPR_EQ("substring('Spark SQL', 20)", "");
	EXPR_EQ("substring('Spark SQL', 2, -1)", "");
	EXPR_EQ("substring('Spark SQL', -20, 3)", "");
	EXPR_EQ("substring('Spark SQL', -20, 18)", "Spark S");
	EXPR_EQ("substr(s, 7)", "World");
	EXPR_EQ("substring('h\xc3\xa9llo', 2, 2)", "\xc3\xa9l");
	EXPR_EQ("substring(bin, 2)", "[62 FF]");
	EXPR_NULL("substring(ns, 1)");
	EXPR_NULL("substring(s, CAST(NULL AS INT))");
	EXPR_NULL("substring(s, 1, CAST(NULL AS INT))");
}

Test(expr_func, trim_removes_spaces_only)
{
	EXPR_EQ("trim('    SparkSQL   ')", "SparkSQL");
	EXPR_EQ("ltrim('  a  ')", "a  ");
	EXPR_EQ("rtrim('  a  ')", "  a");
	EXPR_EQ("trim('\ta\t')", "\ta\t");
	EXPR_EQ("trim('   ')", "");
	EXPR_NULL("trim(ns)");
}

Test(expr_func, coalesce)
{
	EXPR_EQ("coalesce(NULL, 1, NULL)", "1");
	EXPR_EQ("coalesce(n, value)", "42");
	EXPR_EQ("coalesce(n, 5)", "5");
	EXPR_NULL("coalesce(n, NULL)");
	EXPR_TYPE("coalesce(i, 2.5)", "decimal(11,1)");
	EXPR_EQ("coalesce(i, 2.5)", "-3.0");
	EXPR_TYPE("coalesce(i, 2.5D)", "double");
	EXPR_EQ("coalesce(ns, 'dflt')", "dflt");
	EXPR_TYPE("coalesce(n, value)", "bigint");
}

/* ---- explode ---------------------------------------------------------- */

Test(expr_func, explode_is_a_generator)
{
	sl_expr *e = sl_test_expr_must("explode(split(s, ' '))");
	cr_assert(sl_expr_is_generator(e));
	cr_assert_str_eq(sl_expr_name(e), "col");
	cr_assert_str_eq(sl_test_expr_type_name("explode(split(s, ' '))"),
			 "string");
	sl_value v;
	sl_err err = { 0 };
	cr_assert_eq(sl_expr_eval_generator(e, sl_test_expr_row,
					    &sl_test_expr_arena, &v, &err),
		     0);
	cr_assert_eq(v.type, SL_ARRAY);
	cr_assert_eq(v.len, 2);
	cr_assert_eq(v.v.arr[1].len, 5);
	cr_assert_eq(memcmp(v.v.arr[1].v.str, "World", 5), 0);
	cr_assert_not(sl_expr_is_generator(sl_test_expr_must("split(s, ' ')")));
}

Test(expr_func, explode_null_and_alias)
{
	sl_expr *e = sl_test_expr_must("explode(split(ns, ' ')) AS word");
	cr_assert_str_eq(sl_expr_name(e), "word");
	sl_value v;
	sl_err err = { 0 };
	cr_assert_eq(sl_expr_eval_generator(e, sl_test_expr_row,
					    &sl_test_expr_arena, &v, &err),
		     0);
	cr_assert_eq(v.type, SL_NULL); /* zero rows */
	e = sl_test_expr_must("explode(arr)");
	cr_assert_eq(sl_expr_eval_generator(e, sl_test_expr_row,
					    &sl_test_expr_arena, &v, &err),
		     0);
	cr_assert_eq(v.len, 3);
	cr_assert_eq(v.v.arr[1].type, SL_NULL);
}

Test(expr_func, explode_must_be_at_the_root)
{
	sl_err err = sl_test_expr_bind_error("upper(explode(arr))");
	cr_assert(strstr(err.msg, "generators are not supported"), "%s",
		  err.msg);
	sl_test_expr_bind_error("explode(arr) = 'x'");
	err = sl_test_expr_bind_error("explode(s)");
	cr_assert(strstr(err.msg, "array"), "%s", err.msg);
	err = (sl_err){ 0 };
	cr_assert_neq(sl_expr_eval_generator(
			      sl_test_expr_must("upper(s)"), sl_test_expr_row,
			      &sl_test_expr_arena, &(sl_value){ 0 }, &err),
		      0);
}

/* ---- numbers ---------------------------------------------------------- */

Test(expr_func, abs)
{
	/* the legacy mode's wraparound; expr_ansi.c has ANSI's error */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("abs(-1)", "1");
	EXPR_EQ("abs(i)", "3");
	EXPR_EQ("abs(-2.5)", "2.5");
	EXPR_EQ("abs(-2147483648)", "-2147483648"); /* Java's Math.abs */
	EXPR_TYPE("abs(value)", "bigint");
	EXPR_NULL("abs(n)");
	sl_test_expr_bind_error("abs(b)");
}

Test(expr_func, round_half_up)
{
	/* decimals: Spark's round type, HALF_UP */
	EXPR_EQ("round(2.5)", "3");
	EXPR_TYPE("round(2.5)", "decimal(2,0)");
	EXPR_NAME("round(2.5)", "round(2.5, 0)");
	EXPR_EQ("round(-2.5)", "-3");
	EXPR_EQ("round(1.25, 1)", "1.3");
	EXPR_TYPE("round(1.25, 1)", "decimal(3,1)");
	EXPR_EQ("round(123.456, -1)", "120");
	EXPR_TYPE("round(123.456, -1)", "decimal(4,0)");
	/* doubles: on the shortest decimal text */
	EXPR_EQ("round(2.5D, 0)", "3.0");
	EXPR_EQ("round(2.5D)", "3.0");
	EXPR_EQ("round(-2.5D)", "-3.0");
	EXPR_EQ("round(0.5D)", "1.0");
	EXPR_EQ("round(1.45D, 1)", "1.5");
	/* on the decimal text, as Spark's BigDecimal: not 2.67 */
	EXPR_EQ("round(2.675D, 2)", "2.68");
	EXPR_EQ("round(9.99D, 1)", "10.0");
	EXPR_EQ("round(123.456D, -1)", "120.0");
	EXPR_EQ("round(0.001D, 1)", "0.0");
	EXPR_EQ("round(125, -1)", "130");
	EXPR_EQ("round(-125, -1)", "-130");
	EXPR_EQ("round(124, -1)", "120");
	EXPR_EQ("round(value, 2)", "42");
	EXPR_TYPE("round(value, -1)", "bigint");
	EXPR_TYPE("round(i)", "int");
	EXPR_NULL("round(n)");
	EXPR_NULL("round(nd, 1)");
	sl_test_expr_bind_error("round(d, i)");
}

Test(expr_func, hash_matches_spark)
{
	/* Spark's documented example */
	EXPR_EQ("hash('Spark', array(123), 2)", "-1321691492");
	/* and the ones it derives from: the string alone, an int */
	EXPR_EQ("hash('Spark')", "228093765");
	EXPR_EQ("hash(1)", "-559580957");
	/* no bytes: Murmur3's finalizer of seed value 42 alone */
	EXPR_EQ("hash('')", "142593372");
	EXPR_TYPE("hash(s)", "int");
}

Test(expr_func, hash_properties)
{
	/* the hash seed is chained: hash(a, b) is hash(b) seeded by hash(a);
	 * a null leaves it unchanged, so hash(null) is 42 */
	EXPR_EQ("hash(NULL)", "42");
	EXPR_EQ("hash(n)", "42");
	cr_assert_str_eq(sl_test_expr_text("hash(1, n)"),
			 sl_test_expr_text("hash(1)"));
	cr_assert_str_eq(sl_test_expr_text("hash(n, 1)"),
			 sl_test_expr_text("hash(1)"));
	cr_assert_str_neq(sl_test_expr_text("hash(1, 2)"),
			  sl_test_expr_text("hash(2, 1)"));
	/* ints hash as 4 bytes, longs as 8 */
	cr_assert_str_neq(sl_test_expr_text("hash(1)"),
			  sl_test_expr_text("hash(1L)"));
	cr_assert_str_eq(sl_test_expr_text("hash(i)"),
			 sl_test_expr_text("hash(-3)"));
	cr_assert_str_eq(sl_test_expr_text("hash(CAST(-3 AS BIGINT))"),
			 sl_test_expr_text("hash(CAST(i AS BIGINT))"));
	/* strings and binaries hash their bytes */
	cr_assert_str_eq(sl_test_expr_text("hash('ab\xff')"),
			 sl_test_expr_text("hash(bin)"));
	/* arrays hash their elements in turn */
	cr_assert_str_eq(sl_test_expr_text("hash(array(1, 2))"),
			 sl_test_expr_text("hash(1, 2)"));
	cr_assert_str_eq(sl_test_expr_text("hash('Spark', array(123), 2)"),
			 sl_test_expr_text("hash('Spark', 123, 2)"));
	/* -0.0 hashes as 0.0 */
	cr_assert_str_eq(sl_test_expr_text("hash(-0.0)"),
			 sl_test_expr_text("hash(0.0)"));
	cr_assert_str_neq(sl_test_expr_text("hash('a')"),
			  sl_test_expr_text("hash('b')"));
}
