/* tests/unit/expr_lambda.c - lambdas (expr/lambda.c) over rows wider than
 * a frame on the stack holds: the frame is then in the arena, and the
 * body still reads the row's columns and its variables; nested lambdas
 * read the variables of the lambdas around them. Spark's values for
 * the same calls are the differential test's (tests/spark/cases/
 * lambda.txt). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/value_text.h"
#include "expr/expr.h"

#define NCOLS 40

static sl_arena arena;
static sl_schema *schema;
static sl_value row[NCOLS];
static const sl_value elems[3] = {
	{ .type = SL_INT, .v.i32 = 1 },
	{ .type = SL_INT, .v.i32 = 2 },
	{ .type = SL_NULL },
};

static void setup(void)
{
	sl_arena_init(&arena);
	schema = sl_schema_new(&arena, NCOLS);
	for (uint32_t i = 0; i < NCOLS; i++) {
		char *nm = sl_arena_alloc(&arena, 8);
		snprintf(nm, 8, "c%u", i);
		schema->fields[i].name = nm;
		schema->fields[i].type = &sl_dtype_int;
		schema->fields[i].nullable = true;
		row[i] = sl_v_int((int32_t)i * 100);
	}
	schema->fields[0].name = "arr";
	schema->fields[0].type = sl_dtype_parse("ARRAY<INT>", 10, &arena);
	row[0].type = SL_ARRAY;
	row[0].len = 3;
	row[0].v.arr = elems;
}

static void teardown(void)
{
	sl_arena_free(&arena);
}

TestSuite(expr_lambda, .init = setup, .fini = teardown);

static const char *eval(const char *text)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse(text, false, &arena, &err);
	cr_assert_not_null(e, "%s: %s", text, err.msg);
	cr_assert_eq(sl_expr_bind(e, schema, &arena, &err), 0, "%s: %s",
		     text, err.msg);
	sl_value v;
	cr_assert_eq(sl_expr_eval(e, row, &arena, &v, &err), 0, "%s: %s",
		     text, err.msg);
	sl_buf w;
	sl_buf_init(&w, &arena, 64);
	sl_value_render_buf(&w, &v);
	return sl_buf_cstr(&w);
}

Test(expr_lambda, wide_row_frame_reads_columns_and_variables)
{
	cr_assert_str_eq(eval("transform(arr, x -> x + c39)"),
			 "[3901, 3902, null]");
	cr_assert_str_eq(eval("transform(arr, (x, i) -> i * c1)"),
			 "[0, 100, 200]");
	cr_assert_str_eq(eval("filter(arr, x -> x > 1 OR c2 = 0)"), "[2]");
	cr_assert_str_eq(eval("aggregate(arr, c3, (acc, x) -> acc + "
			      "coalesce(x, c4), acc -> acc * 2)"),
			 "1406");
}

Test(expr_lambda, nested_lambdas_see_outer_variables)
{
	cr_assert_str_eq(
		eval("transform(arr, x -> transform(arr, y -> x * 10 + y))"),
		"[[11, 12, null], [21, 22, null], [null, null, null]]");
	cr_assert_str_eq(eval("transform(arr, x -> aggregate(arr, 0, (a, y) -> "
			      "a + coalesce(y, c5) + coalesce(x, 0)))"),
			 "[506, 509, 503]");
	/* a variable hides the column of its name */
	cr_assert_str_eq(eval("transform(arr, c39 -> c39)"), "[1, 2, null]");
}
