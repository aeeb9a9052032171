/* tests/unit/expr_fn_json.c - get_json_object, json_array_length and
 * json_object_keys (expr/fn_json.c): paths, Jackson's way of writing
 * values back, malformed documents and the nesting limit; values from
 * PySpark 4. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_json, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_json, get_json_object)
{
	EXPR_EQ("get_json_object('{\"a\": {\"b\": 1}}', '$.a.b')", "1");
	EXPR_EQ("get_json_object('{\"a\": [10, 2.50, {\"d\": \"x\"}]}', '$.a')",
		"[10,2.5,{\"d\":\"x\"}]");
	EXPR_EQ("get_json_object('{\"a\": [10, 2.50]}', '$.a[1]')", "2.5");
	EXPR_EQ("get_json_object('{\"h\": 1e2}', '$.h')", "100.0");
	EXPR_EQ("get_json_object('{\"e\": \"h\\\\u00e9\"}', '$.e')",
		"h\xc3\xa9");
	EXPR_EQ("get_json_object('[1, [2, 3]]', '$[1]')", "[2,3]");
	EXPR_EQ("get_json_object('{\"a\": 1}', '$[''a'']')", "1");
	EXPR_NULL("get_json_object('{\"f\": null}', '$.f')");
	EXPR_NULL("get_json_object('{\"a\": 1}', '$.b')");
	EXPR_NULL("get_json_object('{\"a\": 1, bad', '$.a')");
	EXPR_NULL("get_json_object('not json', '$')");
	EXPR_NULL("get_json_object(concat(repeat('[', 600), repeat(']', 600)), "
		  "'$')");
	EXPR_EQ("get_json_object('[[1, 2], [3]]', '$[*][0]')", "[1,3]");
	EXPR_EQ("get_json_object('[{\"a\": \"b\"}]', '$[*].a')", "\"b\"");
	EXPR_NULL("get_json_object('{\"a\": 1}', '$.*')");
	sl_err e = sl_test_expr_bind_error("get_json_object(s, '$.a[x]')");
	cr_assert_not_null(strstr(e.msg, "[n] or [*]"), "%s", e.msg);
}

Test(expr_fn_json, lengths_and_keys)
{
	EXPR_EQ("json_array_length('[1, [2, 3], {}]')", "3");
	EXPR_EQ("json_array_length('[]')", "0");
	EXPR_NULL("json_array_length('{}')");
	EXPR_NULL("json_array_length('[1,')");
	EXPR_EQ("json_object_keys('{\"f1\": 1, \"f2\": {\"f3\": 2}}')",
		"[f1, f2]");
	EXPR_EQ("json_object_keys('{}')", "[]");
	EXPR_NULL("json_object_keys('[1]')");
}
