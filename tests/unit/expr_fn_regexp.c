/* tests/unit/expr_fn_regexp.c - the regexp group (expr/fn_regexp.c):
 * Java's replacement syntax, empty matches as Matcher.find steps past
 * them, group indexes, UTF-8 positions and patterns that are not
 * literals; values from PySpark 4. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_regexp, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_regexp, replace)
{
	EXPR_EQ("regexp_replace('a1b22c333', '[0-9]+', '#')", "a#b#c#");
	EXPR_EQ("regexp_replace('a1b22', '([a-z])([0-9])', '$2$1')", "1a2b2");
	EXPR_EQ("regexp_replace('ab', 'x*', '-')", "-a-b-");
	EXPR_EQ("regexp_replace('', 'x*', '-')", "-");
	EXPR_EQ("regexp_replace('a1b22c333', '[0-9]', 'N', 4)", "a1bNNcNNN");
	EXPR_EQ("regexp_replace('hello', 'l', '\\\\$')", "he$$o");
	EXPR_EQ("regexp_replace(s, concat('o', ''), '0')", "Hell0 W0rld");
	EXPR_NULL("regexp_replace(ns, 'a', 'b')");
	EXPR_NAME("regexp_replace('a', 'b', 'c')", "regexp_replace(a, b, c, 1)");
	sl_err e = sl_test_expr_bind_error("regexp_replace(s, '(?<=a)b', '')");
	cr_assert_not_null(strstr(e.msg, "invalid regular expression"), "%s",
			   e.msg);
}

Test(expr_fn_regexp, extract)
{
	EXPR_EQ("regexp_extract('id=42;', 'id=([0-9]+)', 1)", "42");
	EXPR_EQ("regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 2)", "200");
	EXPR_EQ("regexp_extract('abc', 'q(x)?', 1)", "");
	EXPR_EQ("regexp_extract('abc', 'b(x)?', 1)", "");
	EXPR_EQ("regexp_extract_all('id=42;id=7', 'id=([0-9]+)', 1)",
		"[42, 7]");
	EXPR_EQ("regexp_extract_all('ab', 'x*', 0)", "[, , ]");
	const char *m = sl_test_expr_eval_error("regexp_extract(s, 'o', 1)");
	cr_assert_not_null(strstr(m, "REGEX_GROUP_INDEX"), "%s", m);
}

Test(expr_fn_regexp, scans)
{
	EXPR_EQ("regexp_count(s, 'o')", "2");
	EXPR_EQ("regexp_count('ab', 'x*')", "3");
	EXPR_EQ("regexp_substr(s, 'W[a-z]+')", "World");
	EXPR_NULL("regexp_substr(s, 'q')");
	EXPR_EQ("regexp_instr('h\xc3\xa9llo w\xc3\xb6rld', '\xc3\xb6')", "8");
	EXPR_EQ("regexp_instr(s, 'q')", "0");
	EXPR_EQ("regexp_like(s, '^H.*d$')", "true");
	EXPR_NAME("regexp_like(s, 'a')", "REGEXP_LIKE(s, a)");
}
