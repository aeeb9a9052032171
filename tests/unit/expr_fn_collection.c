/* tests/unit/expr_fn_collection.c - the collection group
 * (expr/fn_collection.c): Spark's null rules for membership, the set
 * operations' order, sorting with nulls, and the limits, with PySpark 4's
 * values. The row's arr is [x, null, z]. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_collection, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_collection, size_and_membership)
{
	EXPR_EQ("size(arr)", "3");
	EXPR_EQ("cardinality(array())", "0");
	EXPR_NULL("size(NULL)");
	EXPR_EQ("array_contains(arr, 'z')", "true");
	EXPR_NULL("array_contains(arr, 'q')"); /* not found, but a null */
	EXPR_EQ("array_contains(array(1, 2), 3)", "false");
	EXPR_EQ("array_contains(array(1, 2), value)", "false");
	EXPR_EQ("array_position(arr, 'z')", "3");
	EXPR_EQ("array_position(arr, 'q')", "0");
	EXPR_TYPE("array_position(arr, 'z')", "bigint");
	EXPR_EQ("arrays_overlap(array(1, 2), array(2, 3))", "true");
	EXPR_NULL("arrays_overlap(arr, array('q'))");
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("size(NULL)", "-1");
}

Test(expr_fn_collection, set_operations_keep_first_order)
{
	EXPR_EQ("array_distinct(array(3, 1, 3, NULL, 1, NULL))",
		"[3, 1, null]");
	EXPR_EQ("array_union(array(3, 1), array(1, 9))", "[3, 1, 9]");
	EXPR_EQ("array_intersect(array(3, 1, 2, 1), array(1, 3))", "[3, 1]");
	EXPR_EQ("array_except(array(3, 1, 2, 1), array(1))", "[3, 2]");
	EXPR_EQ("array_except(arr, array('x'))", "[null, z]");
	EXPR_TYPE("array_union(array(1), array(value))", "array<bigint>");
}

Test(expr_fn_collection, join_extremes_remove)
{
	EXPR_EQ("array_join(arr, ',')", "x,z");
	EXPR_EQ("array_join(arr, ',', '?')", "x,?,z");
	EXPR_EQ("array_join(array(1, 2), '+')", "1+2");
	EXPR_EQ("array_max(arr)", "z");
	EXPR_EQ("array_min(array(3, NULL, 1))", "1");
	EXPR_NULL("array_max(array())");
	EXPR_EQ("array_remove(array(1, 2, 1), 1)", "[2]");
	EXPR_EQ("array_compact(arr)", "[x, z]");
	EXPR_EQ("array_repeat('ab', 2)", "[ab, ab]");
	EXPR_EQ("array_repeat(1, -1)", "[]");
	const char *m = sl_test_expr_eval_error("array_repeat(1, 2147483647)");
	cr_assert_not_null(strstr(m, "the most one function call"), "%s", m);
}

Test(expr_fn_collection, building)
{
	EXPR_EQ("array_append(array(1, 2), 3)", "[1, 2, 3]");
	EXPR_EQ("array_prepend(arr, 'a')", "[a, x, null, z]");
	EXPR_EQ("array_insert(array(1, 2), 2, 9)", "[1, 9, 2]");
	EXPR_EQ("array_insert(array(1, 2), -1, 9)", "[1, 2, 9]");
	EXPR_EQ("array_insert(array(1, 2), 4, 9)", "[1, 2, null, 9]");
	EXPR_EQ("array_insert(array(1, 2), -4, 9)", "[9, null, 1, 2]");
	EXPR_EQ("flatten(array(array(1, 2), array(3)))", "[1, 2, 3]");
	EXPR_NULL("flatten(array(array(1), NULL))");
	EXPR_EQ("sequence(1, 9, 3)", "[1, 4, 7]");
	EXPR_EQ("sequence(3, 1)", "[3, 2, 1]");
	EXPR_TYPE("sequence(1, value)", "array<bigint>");
	const char *m = sl_test_expr_eval_error("sequence(1, 5, -1)");
	cr_assert_not_null(strstr(m, "Illegal sequence boundaries"), "%s", m);
	m = sl_test_expr_eval_error("sequence(0, 2147483647)");
	cr_assert_not_null(strstr(m, "COLLECTION_SIZE_LIMIT_EXCEEDED"), "%s",
			   m);
}

Test(expr_fn_collection, slice_and_sort)
{
	EXPR_EQ("slice(array(1, 2, 3, 4), 2, 2)", "[2, 3]");
	EXPR_EQ("slice(array(1, 2, 3, 4), -2, 5)", "[3, 4]");
	EXPR_EQ("slice(array(1, 2), 5, 1)", "[]");
	const char *m = sl_test_expr_eval_error("slice(arr, 0, 1)");
	cr_assert_not_null(strstr(m, "INVALID_PARAMETER_VALUE.START"), "%s", m);
	EXPR_EQ("sort_array(arr)", "[null, x, z]");
	EXPR_EQ("sort_array(arr, false)", "[z, x, null]");
	EXPR_EQ("array_sort(arr)", "[x, z, null]");
	EXPR_EQ("sort_array(array(2.0e0, CAST('NaN' AS DOUBLE), -1.0e0))",
		"[-1.0, 2.0, NaN]");
	EXPR_NAME("sort_array(arr)", "sort_array(arr, true)");
	EXPR_EQ("reverse(array(1, 2, 3))", "[3, 2, 1]");
}
