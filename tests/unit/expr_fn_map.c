/* tests/unit/expr_fn_map.c - MAP values beyond what the Spark differential
 * cases reach: type names and parsing, the duplicate-key check of large
 * maps, the canonical encoding (checkpointed state) and grouping by a
 * map whatever its entries' order. Spark's results for the functions
 * themselves are checked against PySpark (tests/spark/cases, map_*). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "ops/keyhash.h"
#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_map, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_map, type_names_and_parsing)
{
	char name[128];
	const sl_dtype *t = sl_dtype_parse("MAP<STRING, ARRAY<INT>>", 23,
					   &sl_test_expr_arena);
	cr_assert_not_null(t);
	cr_assert_eq(t->id, SL_MAP);
	sl_dtype_name(t, name, sizeof(name));
	cr_assert_str_eq(name, "map<string,array<int>>");
	cr_assert(sl_dtype_equal(t, sl_dtype_parse("map<string,array<int>>",
						   22, &sl_test_expr_arena)));
	cr_assert_not(sl_dtype_equal(
		t, sl_dtype_parse("map<int,array<int>>", 19,
				  &sl_test_expr_arena)));
	cr_assert_null(sl_dtype_parse("MAP<STRING>", 11, &sl_test_expr_arena));
	sl_err err = { 0 };
	sl_schema *s = sl_schema_parse("m MAP<STRING, INT>, n INT",
				       &sl_test_expr_arena, &err);
	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(s->n, 2);
	cr_assert(sl_dtype_has_map(s->fields[0].type));
	EXPR_TYPE("map('a', 1)", "map<string,int>");
	EXPR_TYPE("array(map(1, 'x'))", "array<map<int,string>>");
	EXPR_EQ("map('a', 1, 'b', NULL)", "{a -> 1, b -> null}");
	EXPR_EQ("map_entries(map('a', 1))", "[{a, 1}]");
}

/* map_from_arrays over n distinct keys, plus a duplicate of key dup
 * (when dup >= 0) at the end */
static const char *big_map(int n, int dup)
{
	static char text[256];
	if (dup < 0)
		snprintf(text, sizeof(text),
			 "size(map_from_arrays(sequence(1, %d), "
			 "sequence(1, %d)))",
			 n, n);
	else
		snprintf(text, sizeof(text),
			 "size(map_from_arrays(array_append(sequence(1, %d), "
			 "%d), sequence(1, %d)))",
			 n, dup, n + 1);
	return text;
}

Test(expr_fn_map, duplicate_keys_of_large_maps)
{
	/* more than 16 entries take the sorted check */
	EXPR_EQ(big_map(1000, -1), "1000");
	const char *msg = sl_test_expr_eval_error(big_map(1000, 7));
	cr_assert(strstr(msg, "[DUPLICATED_MAP_KEY] Duplicate map key 7 "),
		  "%s", msg);
	msg = sl_test_expr_eval_error("map('k', 1, 'j', 2, 'k', 3)");
	cr_assert(strstr(msg, "Duplicate map key k "), "%s", msg);
	msg = sl_test_expr_eval_error("map(s, 1, NULL, 2)");
	cr_assert(strstr(msg, "[NULL_MAP_KEY]"), "%s", msg);
}

Test(expr_fn_map, str_to_map_many_pairs)
{
	char text[4096] = "size(str_to_map('";
	size_t k = strlen(text);
	for (int i = 0; i < 300; i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%sk%d:%d",
				      i ? "," : "", i, i);
	snprintf(text + k, sizeof(text) - k, "'))");
	EXPR_EQ(text, "300");
	EXPR_EQ("str_to_map('a:1,b', ',', ':')", "{a -> 1, b -> null}");
	/* a regex delimiter is refused, not read as plain text */
	sl_err err = sl_test_expr_bind_error("str_to_map('a.1', ',', '.')");
	cr_assert(strstr(err.msg, "regular expression"), "%s", err.msg);
}

Test(expr_fn_map, encoding_round_trip)
{
	sl_value m = sl_test_expr_value(
		"map('a', array(1, NULL), 'b', CAST(NULL AS ARRAY<INT>))");
	sl_buf b;
	sl_buf_init(&b, NULL, 0);
	sl_value_encode(&b, &m);
	sl_rbuf r = sl_rbuf_make(b.s, b.len);
	sl_value back;
	cr_assert_eq(sl_value_decode(&r, &sl_test_expr_arena, &back), 0);
	cr_assert_eq(r.off, b.len);
	char t1[128], t2[128];
	sl_value_render(&m, t1, sizeof(t1));
	sl_value_render(&back, t2, sizeof(t2));
	cr_assert_str_eq(t1, t2);
	cr_assert_str_eq(t2, "{a -> [1, null], b -> null}");
	/* a truncated encoding fails cleanly */
	for (size_t n = 0; n < b.len; n++) {
		sl_rbuf s = sl_rbuf_make(b.s, n);
		cr_assert_neq(sl_value_decode(&s, &sl_test_expr_arena, &back),
			      0, "%zu bytes", n);
	}
	void *blk;
	sl_value c = sl_value_dup_heap(&m, &blk);
	sl_value_render(&c, t2, sizeof(t2));
	cr_assert_str_eq(t1, t2);
	free(blk);
	sl_buf_free(&b);
}

Test(expr_fn_map, grouping_ignores_entry_order)
{
	sl_value x = sl_test_expr_value("map('a', 1, 'b', 2)");
	sl_value y = sl_test_expr_value("map('b', 2, 'a', 1)");
	sl_value z = sl_test_expr_value("map('a', 2, 'b', 1)");
	sl_value w = sl_test_expr_value("map('a', 1)");
	cr_assert(sl_key_equal(&x, &y, 1));
	cr_assert_eq(sl_key_hash(&x, 1), sl_key_hash(&y, 1));
	cr_assert_not(sl_key_equal(&x, &z, 1));
	cr_assert_not(sl_key_equal(&x, &w, 1));
	cr_assert_neq(sl_key_hash(&x, 1), sl_key_hash(&z, 1));
}

Test(expr_fn_map, refusals_name_the_expression_and_type)
{
	sl_err err = sl_test_expr_bind_error("map('a', 1) = map('a', 1)");
	cr_assert(strstr(err.msg, "INVALID_ORDERING_TYPE"), "%s", err.msg);
	cr_assert(strstr(err.msg, "(map(a, 1) = map(a, 1))"), "%s", err.msg);
	cr_assert(strstr(err.msg, "MAP<STRING, INT>"), "%s", err.msg);
	err = sl_test_expr_bind_error("hash(array(map(1, 2)))");
	cr_assert(strstr(err.msg, "HASH_MAP_TYPE"), "%s", err.msg);
	err = sl_test_expr_bind_error("map(map(1, 2), 3)");
	cr_assert(strstr(err.msg, "INVALID_MAP_KEY_TYPE"), "%s", err.msg);
}

Test(expr_fn_map, last_win_dedup_policy)
{
	sl_test_expr_opts.map_last_win = true;
	/* the key keeps its first place and takes the last value */
	EXPR_EQ("map('a', 1, 'b', 2, 'a', 3)", "{a -> 3, b -> 2}");
	EXPR_EQ("map_concat(map('a', 1), map('b', 2, 'a', 9))",
		"{a -> 9, b -> 2}");
	EXPR_EQ("str_to_map('x:1,y:2,x:3')", "{x -> 3, y -> 2}");
	EXPR_EQ(big_map(1000, 7), "1000");
	EXPR_EQ("map_from_arrays(array_append(sequence(1, 20), 3), "
		"sequence(1, 21))[3]",
		"21");
	EXPR_EQ("map_keys(map_from_arrays(array_append(sequence(1, 20), 3), "
		"sequence(1, 21)))[2]",
		"3");
	sl_test_expr_opts.map_last_win = false;

	sl_session *s = sl_session_new();
	const char *k = "spark.sql.mapKeyDedupPolicy";
	cr_assert_str_eq(sl_session_conf_get(s, k), "EXCEPTION");
	cr_assert_eq(sl_session_conf_set(s, k, "last_win"), 0);
	cr_assert_neq(sl_session_conf_set(s, k, "FIRST_WIN"), 0);
	cr_assert(strstr(sl_session_errmsg(s), "INVALID_CONF_VALUE"),
		  "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* a union's column of two map types (engine/union.c) */
Test(expr_fn_map, wider_map_types)
{
	sl_arena *a = &sl_test_expr_arena;
	char name[128];
	const sl_dtype *x = sl_dtype_parse("map<string,int>", 15, a);
	const sl_dtype *y = sl_dtype_parse("map<string,bigint>", 18, a);
	const sl_dtype *z = sl_dtype_parse("map<int,map<int,int>>", 21, a);
	const sl_dtype *w = sl_dtype_parse("map<int,map<bigint,double>>", 27, a);
	sl_dtype_name(sl_map_wider_type(x, y, true, a), name, sizeof(name));
	cr_assert_str_eq(name, "map<string,bigint>");
	sl_dtype_name(sl_map_wider_type(z, w, true, a), name, sizeof(name));
	cr_assert_str_eq(name, "map<int,map<bigint,double>>");
	cr_assert_null(sl_map_wider_type(x, z, false, a));
	cr_assert_null(sl_map_wider_type(x, &sl_dtype_int, true, a));
	/* the legacy cast walks maps too (a union's widening) */
	sl_value m = sl_test_expr_value("map('a', 1)"), out;
	sl_cast_value(&m, x, y, a, &out);
	sl_value_render(&out, name, sizeof(name));
	cr_assert_str_eq(name, "{a -> 1}");
	cr_assert_eq(out.v.arr[1].type, SL_LONG);
}
