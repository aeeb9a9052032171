/* tests/unit/expr_regex.c - regular expressions (expr/regex.c): rlike and
 * split, on characters, classes, regexes, empty and per-row patterns, from many
 * threads at once.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_regex, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_regex, rlike_finds_anywhere)
{
	EXPR_EQ("s RLIKE 'World'", "true");
	EXPR_EQ("s RLIKE '^World'", "false");
	EXPR_EQ("s RLIKE '^H.*d$'", "true");
	EXPR_EQ("s RLIKE '\\\\s'", "true");
	EXPR_EQ("'abc123' RLIKE '\\\\d+$'", "true");
	EXPR_EQ("s NOT RLIKE 'x'", "true");
	EXPR_EQ("s REGEXP 'o W'", "true");
	EXPR_NULL("ns RLIKE 'a'");
	sl_err err = sl_test_expr_bind_error("s RLIKE '(?<=a)b'");
	cr_assert(strstr(err.msg, "not supported"), "%s", err.msg);
}

/* ---- split ------------------------------------------------------------ */

Test(expr_regex, split_on_a_character)
{
	/* the legacy mode's nulls and wraparound; expr_ansi.c has ANSI's
	 * errors */
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("split(s, ' ')", "[Hello, World]");
	EXPR_EQ("split('a,b,,c,,', ',')", "[a, b, , c, , ]");
	EXPR_EQ("split(',a', ',')", "[, a]");
	EXPR_EQ("split('abc', ',')", "[abc]");
	/* Java: "".split(",") is one empty string */
	EXPR_EQ("split('', ',')[0]", "");
	EXPR_NULL("split('', ',')[1]");
	EXPR_EQ("split('a.b', '\\\\.')", "[a, b]");
	EXPR_EQ("split('a|b', '\\\\|')", "[a, b]");
	EXPR_TYPE("split(s, ' ')", "array<string>");
	EXPR_NULL("split(ns, ' ')");
	EXPR_NULL("split(s, ns)");
}

Test(expr_regex, split_on_a_regex)
{
	EXPR_EQ("split('oneAtwoBthreeC', '[ABC]')", "[one, two, three, ]");
	EXPR_EQ("split('oneAtwoBthreeC', '[ABC]', 2)", "[one, twoBthreeC]");
	EXPR_EQ("split('oneAtwoBthreeC', '[ABC]', -1)", "[one, two, three, ]");
	EXPR_EQ("split('a  b\tc', '\\\\s+')", "[a, b, c]");
	EXPR_EQ("split('a1b22c', '\\\\d+')", "[a, b, c]");
	EXPR_EQ("split('a::b', '::')", "[a, b]");
	EXPR_EQ("split('a-b_c', '[-_]')", "[a, b, c]");
	EXPR_EQ("split('x1y', '[^0-9]')", "[, 1, ]");
	/* a zero-width match at the start makes no leading empty piece */
	EXPR_EQ("split('abc', 'x*')", "[a, b, c, ]");
	EXPR_EQ("split('a,b,c', ',', 1)", "[a,b,c]");
	sl_err err = sl_test_expr_bind_error("split(s, 'a(?=b)')");
	cr_assert(strstr(err.msg, "split"), "%s", err.msg);
}

Test(expr_regex, split_on_one_character_class)
{
	/* these take the byte-class path; results must equal Java's */
	EXPR_EQ("split('a;b,c', '[;,]')", "[a, b, c]");
	EXPR_EQ("split('a;;b', '[;,]')", "[a, , b]");
	EXPR_EQ("split('a  b   c', ' +')", "[a, b, c]");
	EXPR_EQ("split('a, b!c', '\\\\W+')", "[a, b, c]");
	EXPR_EQ("split(' a b ', '\\\\s+')", "[, a, b, ]");
	EXPR_EQ("split('a1b2', '[0-9]')", "[a, b, ]");
	EXPR_EQ("split('h\xc3\xa9llo w\xc3\xb6rld', '[^a-z]+')",
		"[h, llo, w, rld]");
	EXPR_EQ("split('a+b', '\\\\+')", "[a, b]");
	EXPR_EQ("split('a\\\\b', '\\\\\\\\+')", "[a, b]");
	/* one byte of a multi-byte character never matches alone */
	EXPR_EQ("split('x\xc3\xa9y', '[^a-z]')", "[x, y]");
}

Test(expr_regex, split_on_empty_pattern_and_row_patterns)
{
	EXPR_EQ("split('abc', '')", "[a, b, c]");
	EXPR_EQ("split('abc', '', 2)", "[a, bc]");
	EXPR_EQ("split('h\xc3\xa9', '')", "[h, \xc3\xa9]");
	/* a pattern that is not a literal is compiled per row */
	EXPR_EQ("split(s, substring(s, 6, 1))", "[Hello, World]");
	EXPR_EQ("split('a1b', concat('[0-9]', ''))", "[a, b]");
}

static void *split_thread(void *arg)
{
	sl_expr *e = arg;
	sl_arena a;
	sl_arena_init(&a);
	sl_value row[14], v;
	memcpy(row, sl_test_expr_row, sizeof(row));
	row[1] = sl_v_str("a  b c", 6);
	intptr_t bad = 0;
	for (int k = 0; k < 2000; k++) {
		sl_err err = { 0 };
		if (sl_expr_eval(e, row, &a, &v, &err) || v.len != 3 ||
		    v.v.arr[2].len != 1 || v.v.arr[2].v.str[0] != 'c')
			bad++;
		if (k % 100 == 0)
			sl_arena_reset(&a);
	}
	sl_arena_free(&a);
	return (void *)bad;
}

Test(expr_regex, split_regex_is_thread_safe)
{
	sl_expr *e = sl_test_expr_must("split(s, '\\\\s+')");
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, split_thread, e);
	for (int i = 0; i < 4; i++) {
		void *bad;
		pthread_join(th[i], &bad);
		cr_assert_eq((intptr_t)bad, 0);
	}
}
