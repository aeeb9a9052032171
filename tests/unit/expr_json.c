/* tests/unit/expr_json.c - struct(), array() and JSON (expr/json.c): to_json,
 * from_json and its schema errors.
 * The shared row and helpers are tests/support/expr_fixture.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_json, .init = sl_test_expr_setup, .fini = sl_test_expr_teardown);

/* ---- struct, array, JSON ---------------------------------------------- */

Test(expr_json, struct_names_its_fields)
{
	EXPR_TYPE("struct(value, s)", "struct<value:bigint,s:string>");
	EXPR_EQ("struct(value, s)", "{42, Hello World}");
	EXPR_TYPE("struct(value * 2, upper(s))",
		  "struct<col1:bigint,col2:string>");
	EXPR_TYPE("struct(value AS v, s w)", "struct<v:bigint,w:string>");
	EXPR_TYPE("struct(st.a)", "struct<a:int>");
	EXPR_TYPE("struct(*)",
		  "struct<value:bigint,s:string,d:double,i:int,b:boolean,"
		  "ts:timestamp,n:bigint,arr:array<string>,"
		  "st:struct<a:int,b:string>,ns:string,nd:double,nb:boolean,"
		  "dt:date,bin:binary>");
	EXPR_EQ("struct(value, n)", "{42, null}");
	EXPR_TYPE("named_struct('a', 1, 'b', s)", "struct<a:int,b:string>");
	EXPR_EQ("named_struct('a', 1, 'b', s)", "{1, Hello World}");
	sl_test_expr_bind_error("named_struct(s, 1)");
	sl_test_expr_bind_error("named_struct('a')");
	sl_test_expr_bind_error("upper(*)");
}

Test(expr_json, array_constructor)
{
	EXPR_EQ("array(1, 2, 3)", "[1, 2, 3]");
	EXPR_TYPE("array(1, 2L)", "array<bigint>");
	EXPR_EQ("array(1, NULL)", "[1, null]");
	/* with ANSI on a string meets a bigint as a bigint, as in Spark 4;
	 * the legacy mode makes both strings */
	EXPR_TYPE("array(s, value)", "array<bigint>");
	sl_test_expr_opts.ansi = false;
	EXPR_TYPE("array(s, value)", "array<string>");
}

Test(expr_json, to_json)
{
	EXPR_EQ("to_json(named_struct('a', 1, 'b', 2))", "{\"a\":1,\"b\":2}");
	EXPR_EQ("to_json(struct(value, s, n))",
		"{\"value\":42,\"s\":\"Hello World\"}");
	EXPR_EQ("to_json(struct(ts))", "{\"ts\":\"2024-01-02T03:04:05.123Z\"}");
	EXPR_EQ("to_json(struct(dt, d, b))",
		"{\"dt\":\"2024-01-02\",\"d\":2.5,\"b\":true}");
	EXPR_EQ("to_json(struct(1.0 AS x, 1e10 AS y))",
		"{\"x\":1.0,\"y\":1.0E10}");
	EXPR_EQ("to_json(struct(arr, st))",
		"{\"arr\":[\"x\",null,\"z\"],\"st\":{\"a\":7,\"b\":\"q\"}}");
	EXPR_EQ("to_json(struct('a\"b\\\\c\\n' AS q))",
		"{\"q\":\"a\\\"b\\\\c\\n\"}");
	EXPR_EQ("to_json(struct(bin))", "{\"bin\":\"YWL/\"}");
	EXPR_EQ("to_json(array(1, 2))", "[1,2]");
	EXPR_EQ("to_json(struct(n))", "{}");
	EXPR_NULL("to_json(CAST(NULL AS STRUCT<a: INT>))");
	sl_err err = sl_test_expr_bind_error("to_json(value)");
	cr_assert(strstr(err.msg, "struct"), "%s", err.msg);
}

Test(expr_json, from_json)
{
	EXPR_EQ("from_json('{\"a\":1, \"b\":0.8}', 'a INT, b DOUBLE')",
		"{1, 0.8}");
	EXPR_TYPE("from_json('{}', 'a INT, b STRING')",
		  "struct<a:int,b:string>");
	EXPR_EQ("from_json('{\"b\":\"x\"}', 'a INT, b STRING')", "{null, x}");
	/* a field of the wrong JSON type is null */
	EXPR_EQ("from_json('{\"a\":\"x\",\"b\":\"y\"}', 'a INT, b STRING')",
		"{null, y}");
	/* a STRING field keeps other JSON as its text */
	EXPR_EQ("from_json('{\"a\":{\"k\":[1,2]}}', 'a STRING')",
		"{{\"k\":[1,2]}}");
	EXPR_EQ("from_json('{\"a\":[1,2],\"s\":{\"x\":true}}', "
		"'a ARRAY<INT>, s STRUCT<x: BOOLEAN>')",
		"{[1, 2], {true}}");
	EXPR_EQ("from_json('{\"t\":\"2024-01-02T03:04:05.000Z\"}', 't "
		"TIMESTAMP')",
		"{2024-01-02 03:04:05}");
	EXPR_EQ("from_json('{\"a\":1}', 'a INT').a", "1");
	EXPR_EQ("from_json(to_json(struct(value, s)), 'value BIGINT, s "
		"STRING')",
		"{42, Hello World}");
	EXPR_NULL("from_json(ns, 'a INT')");
	EXPR_NULL("from_json('null', 'a INT')");
}

Test(expr_json, from_json_malformed_is_a_row_of_nulls_as_spark_3)
{
	EXPR_EQ("from_json('{\"a\" 1}', 'a INT')", "{null}");
	EXPR_EQ("from_json('not json', 'a INT, b STRING')", "{null, null}");
	EXPR_EQ("from_json('[1,2]', 'a INT')", "{null}");
	EXPR_NULL("from_json('{bad', 'a INT').a");
}

Test(expr_json, from_json_schema_errors)
{
	sl_err err = sl_test_expr_bind_error("from_json(s, 'a FOO')");
	cr_assert(strstr(err.msg, "FOO"), "%s", err.msg);
	sl_test_expr_bind_error("from_json(s, s)");
}
