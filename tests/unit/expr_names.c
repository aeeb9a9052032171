/* tests/unit/expr_names.c - the output names Spark 4 gives unnamed
 * expressions (expr/sql_text.c, expr/parse.c), each checked against
 * PySpark 4's df.columns.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_names, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_names, unary_plus_is_named_and_keeps_the_value)
{
	EXPR_NAME("+i", "(+ i)");
	EXPR_EQ("+i", "-3");
	EXPR_NAME("+1", "(+ 1)");
	EXPR_TYPE("+1", "int");
	EXPR_NAME("-1", "-1");
}

Test(expr_names, between_rlike_and_like)
{
	EXPR_NAME("value BETWEEN 1 AND 2", "between(value, 1, 2)");
	EXPR_EQ("value BETWEEN 1 AND 2", "false");
	EXPR_NAME("value NOT BETWEEN 1 AND 2", "(NOT between(value, 1, 2))");
	EXPR_EQ("value NOT BETWEEN 1 AND 2", "true");
	EXPR_NAME("s RLIKE '^H'", "RLIKE(s, ^H)");
	EXPR_NAME("s REGEXP '^H'", "RLIKE(s, ^H)");
	EXPR_EQ("s RLIKE '^H'", "true");
	EXPR_NAME("s LIKE 'H%'", "s LIKE H%");
}

Test(expr_names, typeof_names_the_type)
{
	EXPR_EQ("typeof(1Y + 1)", "int");
	EXPR_NAME("typeof(1Y + 1)", "typeof((1 + 1))");
	EXPR_EQ("typeof(arr)", "array<string>");
	EXPR_NAME("typeof(arr)", "typeof(arr)");
}

Test(expr_names, like_with_an_escape_character)
{
	EXPR_EQ("s LIKE 'H%' ESCAPE '!'", "true");
	EXPR_NAME("s LIKE 'H%' ESCAPE '!'", "s LIKE H% ESCAPE '!'");
	EXPR_EQ("'a%b' LIKE 'a!%b' ESCAPE '!'", "true");
	EXPR_EQ("'axb' LIKE 'a!%b' ESCAPE '!'", "false");
	EXPR_EQ("'a_b' NOT LIKE 'a!_b' ESCAPE '!'", "false");
	EXPR_NAME("'a_b' NOT LIKE 'a!_b' ESCAPE '!'",
		  "(NOT a_b LIKE a!_b ESCAPE '!')");
	EXPR_EQ("'a\\\\b' LIKE 'a\\\\b' ESCAPE '!'", "true");
	sl_err e = sl_test_expr_parse_error("s LIKE 'H%' ESCAPE '!!'");
	cr_assert(strstr(e.msg, "[INVALID_ESC] Found an invalid escape "
				"string: '!!'. The escape string must contain "
				"only one character"),
		  "%s", e.msg);
}

Test(expr_names, a_column_keeps_the_spelling_of_the_query)
{
	EXPR_NAME("VALUE", "VALUE");
	EXPR_NAME("Value", "Value");
	EXPR_NAME("`VALUE`", "VALUE");
	EXPR_NAME("`value`", "value");
	EXPR_NAME("t.VALUE", "VALUE");
	EXPR_EQ("VALUE", "42");
	/* the type's field names follow the arguments' names */
	EXPR_NAME("struct(I, S)", "struct(I, S)");
	EXPR_TYPE("struct(I, S)", "struct<I:int,S:string>");
}

Test(expr_names, a_struct_field_keeps_the_spelling_of_the_query)
{
	EXPR_NAME("ST.A", "A");
	EXPR_NAME("st.`A`", "A");
	EXPR_NAME("t.st.A", "A");
	EXPR_EQ("ST.A", "7");
	EXPR_NAME("ST.A + 1", "(ST.A + 1)");
	EXPR_NAME("struct(st.A)", "struct(st.A)");
	EXPR_TYPE("struct(st.A)", "struct<A:int>");
}

Test(expr_names, a_cast_of_a_column_is_named_by_the_column_as_spelled)
{
	EXPR_NAME("CAST(VALUE AS INT)", "VALUE");
	EXPR_NAME("I::STRING", "I");
	EXPR_NAME("try_cast(S AS INT)", "S");
	/* a struct field is not a column: the cast keeps its text */
	EXPR_NAME("CAST(st.a AS STRING)", "CAST(st.a AS STRING)");
	EXPR_NAME("CAST(ST.A AS STRING)", "CAST(ST.A AS STRING)");
	EXPR_NAME("TRY_CAST(ST.A AS STRING)", "TRY_CAST(ST.A AS STRING)");
}

Test(expr_names, expressions_over_columns_keep_their_spelling)
{
	EXPR_NAME("VALUE + 1", "(VALUE + 1)");
	EXPR_NAME("t.VALUE + 1", "(VALUE + 1)");
	EXPR_NAME("VALUE + 1 + 2 + 3", "(((VALUE + 1) + 2) + 3)");
	EXPR_NAME("I <> 1 AND B OR B", "(((NOT (I = 1)) AND B) OR B)");
	EXPR_NAME("-VALUE", "(- VALUE)");
	EXPR_NAME("+I", "(+ I)");
	EXPR_NAME("-(-I)", "(- (- I))");
	EXPR_NAME("NOT B", "(NOT B)");
	EXPR_NAME("B IS NULL", "(B IS NULL)");
	EXPR_NAME("S IN ('a', 'b')", "(S IN (a, b))");
	EXPR_NAME("VALUE BETWEEN 1 AND 2", "between(VALUE, 1, 2)");
	EXPR_NAME("S LIKE 'a%'", "S LIKE a%");
	EXPR_NAME("S RLIKE 'a'", "RLIKE(S, a)");
	EXPR_NAME("CASE WHEN I = 1 THEN S END",
		  "CASE WHEN (I = 1) THEN S END");
	EXPR_NAME("CASE I WHEN 1 THEN 'a' END",
		  "CASE WHEN (I = 1) THEN a END");
	EXPR_NAME("ARR[0]", "ARR[0]");
	EXPR_NAME("DT + 1", "date_add(DT, 1)");
}

Test(expr_names, function_names_are_lowercase_and_arguments_as_spelled)
{
	EXPR_NAME("UPPER(S)", "upper(S)");
	EXPR_NAME("upper(t.S)", "upper(S)");
	EXPR_NAME("COALESCE(NS, S)", "coalesce(NS, S)");
	EXPR_NAME("concat(S, s)", "concat(S, s)");
	EXPR_NAME("s || S", "concat(s, S)");
	EXPR_NAME("element_at(ARR, 1)", "element_at(ARR, 1)");
	EXPR_NAME("typeof(VALUE)", "typeof(VALUE)");
	EXPR_NAME("hash(VALUE, S)", "hash(VALUE, S)");
	EXPR_NAME("array(I, i)", "array(I, i)");
	EXPR_NAME("to_json(ST)", "to_json(ST)");
}

Test(expr_names, the_text_keeps_the_schema_spelling_for_matching)
{
	/* sl_expr_sql is what the planner matches GROUP BY keys with:
	 * upper(S) and upper(s) are the same expression */
	sl_expr *upper = sl_test_expr_must("upper(S)");
	sl_expr *lower = sl_test_expr_must("upper(s)");
	cr_assert_str_eq(sl_expr_sql(upper), sl_expr_sql(lower));
	cr_assert_str_eq(sl_expr_sql(upper), "upper(s)");
	cr_assert_str_eq(sl_expr_name(upper), "upper(S)");
}

Test(expr_names, a_struct_indexed_by_a_field_name_is_that_field)
{
	EXPR_EQ("st['a']", "7");
	EXPR_EQ("st['B']", "q");
	EXPR_TYPE("st['a']", "int");
	EXPR_NAME("st['a']", "st.a");
	EXPR_NAME("ST['A']", "ST.A");
	EXPR_NAME("st['B']", "st.B");
	EXPR_NAME("st['a'] + 1", "(st.a + 1)");
	sl_err e = sl_test_expr_bind_error("st['zz']");
	cr_assert(strstr(e.msg, "no such struct field 'zz'"), "%s", e.msg);
	e = sl_test_expr_bind_error("st[s]");
	cr_assert(strstr(e.msg, "[INVALID_EXTRACT_FIELD_TYPE] Field name "
				"should be a non-null string literal, but "
				"it's \"s\""),
		  "%s", e.msg);
}
