/* tests/unit/expr_fn_string.c - the string group (expr/fn_string.c,
 * expr/fn_text.c): positions in characters, Spark's edge cases for empty
 * and negative arguments, nulls, and the names Spark gives the calls. The
 * expected values are PySpark 4's. The row is tests/support/expr_fixture.h's
 * (s = 'Hello World', ns = null, i = -3). */
#include <criterion/criterion.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_string, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_string, concat_ws_skips_nulls)
{
	EXPR_EQ("concat_ws('-', 'a', NULL, 'b')", "a-b");
	EXPR_EQ("concat_ws('/', arr, 'y')", "x/z/y");
	EXPR_EQ("concat_ws(',')", "");
	EXPR_EQ("concat_ws('', 1, 2)", "12");
	EXPR_NULL("concat_ws(NULL, 'a')");
	EXPR_TYPE("concat_ws('-', 'a')", "string");
}

Test(expr_fn_string, pad_cuts_and_fills)
{
	EXPR_EQ("lpad('hi', 5, 'ab')", "abahi");
	EXPR_EQ("rpad('hi', 5, 'ab')", "hiaba");
	EXPR_EQ("lpad('hello', 3, 'x')", "hel");
	EXPR_EQ("lpad('h\xc3\xa9', 4)", "  h\xc3\xa9");
	EXPR_EQ("rpad('hi', 4, '')", "hi");
	EXPR_EQ("rpad('hi', -1, 'a')", "");
	EXPR_NULL("lpad(ns, 3, 'x')");
	EXPR_NAME("lpad('7', 3)", "lpad(7, 3,  )");
}

Test(expr_fn_string, positions)
{
	EXPR_EQ("instr('hello', 'l')", "3");
	EXPR_EQ("instr('h\xc3\xa9llo', 'l')", "3");
	EXPR_EQ("instr('hello', 'z')", "0");
	EXPR_EQ("locate('l', 'hello', 4)", "4");
	EXPR_EQ("locate('l', 'hello', 0)", "0");
	EXPR_EQ("locate('', 'hello', 9)", "1");
	EXPR_EQ("locate('l', 'hello', CAST(NULL AS INT))", "0");
	EXPR_NULL("locate(NULL, 'hello')");
	EXPR_NAME("locate('l', 'hello')", "locate(l, hello, 1)");
	EXPR_EQ("position('o', s)", "5");
}

Test(expr_fn_string, replace_translate)
{
	EXPR_EQ("replace('a-b-c', '-', '+')", "a+b+c");
	EXPR_EQ("replace('a-b-c', '-')", "abc");
	EXPR_EQ("replace('abc', '', 'x')", "abc");
	EXPR_EQ("translate('hello', 'lo', 'L')", "heLL");
	EXPR_EQ("translate('w\xc3\xb6rld', '\xc3\xb6l', 'OLZ')", "wOrLd");
	EXPR_NULL("replace(ns, 'a', 'b')");
}

Test(expr_fn_string, repeat_reverse_space)
{
	EXPR_EQ("repeat('ab', 3)", "ababab");
	EXPR_EQ("repeat('ab', -1)", "");
	EXPR_EQ("reverse('h\xc3\xa9llo')", "oll\xc3\xa9h");
	EXPR_EQ("reverse(arr)", "[z, null, x]");
	EXPR_EQ("concat(space(2), 'x')", "  x");
	cr_assert_not_null(strstr(sl_test_expr_eval_error("repeat(s, 2147483647)"),
				  "the most one function call may build"));
}

Test(expr_fn_string, left_right_split_part)
{
	EXPR_EQ("left(s, 2)", "He");
	EXPR_EQ("right(s, 2)", "ld");
	EXPR_EQ("left(s, i)", "");
	EXPR_EQ("right(s, 100)", "Hello World");
	EXPR_EQ("split_part('a,b,,c', ',', 3)", "");
	EXPR_EQ("split_part('a,b,,c', ',', -1)", "c");
	EXPR_EQ("split_part('a,b,,c', ',', 9)", "");
	EXPR_EQ("split_part('abc', '', 1)", "abc");
	cr_assert_not_null(strstr(sl_test_expr_eval_error("split_part(s, ' ', 0)"),
				  "INVALID_INDEX_OF_ZERO"));
}

Test(expr_fn_string, substring_index_overlay)
{
	EXPR_EQ("substring_index('www.apache.org', '.', 2)", "www.apache");
	EXPR_EQ("substring_index('www.apache.org', '.', -2)", "apache.org");
	EXPR_EQ("substring_index('www.apache.org', '.', 0)", "");
	EXPR_EQ("substring_index('www.apache.org', '.', 9)", "www.apache.org");
	EXPR_EQ("overlay('hello', 'XY', 2)", "hXYlo");
	EXPR_EQ("overlay('hello', 'XY', 2, 0)", "hXYello");
	EXPR_EQ("overlay('h\xc3\xa9llo w\xc3\xb6rld', 'XY', -3)", "XYd");
	EXPR_NAME("overlay('a', 'b', 1)", "overlay(a, b, 1, -1)");
}

Test(expr_fn_string, ascii_chr_affixes_btrim)
{
	EXPR_EQ("ascii('A')", "65");
	EXPR_EQ("ascii('\xc3\xa9')", "233");
	EXPR_EQ("ascii('')", "0");
	EXPR_EQ("chr(321)", "A");
	EXPR_EQ("chr(-1)", "");
	EXPR_EQ("char(233)", "\xc3\xa9");
	EXPR_EQ("startswith(s, 'He')", "true");
	EXPR_EQ("endswith(s, 'x')", "false");
	EXPR_EQ("contains(s, '')", "true");
	EXPR_EQ("btrim('  a b  ')", "a b");
	EXPR_EQ("btrim('xyaxy', 'yx')", "a");
	EXPR_NULL("btrim('a', NULL)");
}

Test(expr_fn_string, distances_and_lists)
{
	EXPR_EQ("levenshtein('kitten', 'sitting')", "3");
	EXPR_EQ("levenshtein('kitten', 'sitting', 2)", "-1");
	EXPR_EQ("soundex('Ashcraft')", "A261");
	EXPR_EQ("soundex('Tymczak')", "T522");
	EXPR_EQ("soundex('1abc')", "1abc");
	EXPR_EQ("len('h\xc3\xa9')", "2");
	EXPR_EQ("octet_length('h\xc3\xa9')", "3");
	EXPR_EQ("bit_length('abc')", "24");
	EXPR_EQ("elt(2, 'a', 'b')", "b");
	cr_assert_not_null(strstr(sl_test_expr_eval_error("elt(3, 'a', 'b')"),
				  "INVALID_ARRAY_INDEX"));
	sl_test_expr_opts.ansi = false;
	EXPR_NULL("elt(3, 'a', 'b')");
	EXPR_EQ("find_in_set('ab', 'abc,b,ab,c')", "3");
	EXPR_EQ("find_in_set('a,b', 'a,b')", "0");
}

Test(expr_fn_string, mask_and_luhn)
{
	EXPR_EQ("mask('AbCD123-@$#')", "XxXXnnn-@$#");
	EXPR_EQ("mask('AbCD123-@$#', 'Q', 'q', 'd', 'o')", "QqQQdddoooo");
	EXPR_EQ("mask('h\xc3\xa9llo W\xc3\xb6rld', NULL, 'q')",
		"qqqqq Wqqqq");
	EXPR_NAME("mask(s)", "mask(s, X, x, n, NULL)");
	sl_err e = sl_test_expr_bind_error("mask(s, 'AB')");
	cr_assert_not_null(strstr(e.msg, "INPUT_SIZE_NOT_ONE"), "%s", e.msg);
	EXPR_EQ("luhn_check('79927398713')", "true");
	EXPR_EQ("luhn_check('79927398710')", "false");
	EXPR_EQ("luhn_check('1 2')", "false");
	EXPR_NULL("luhn_check(ns)");
}

Test(expr_fn_string, refuses_complex_arguments)
{
	sl_err e = sl_test_expr_bind_error("lpad(arr, 3, 'x')");
	cr_assert_not_null(strstr(e.msg, "requires the \"STRING\" type"), "%s",
			   e.msg);
}
