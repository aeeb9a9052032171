/* tests/support/expr_fixture.c - the expression tests' shared row and
 * helpers (tests/support/expr_fixture.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

sl_arena sl_test_expr_arena;
sl_schema *sl_test_expr_schema;
sl_value sl_test_expr_row[SL_TEST_EXPR_NCOLS];

static sl_value array_elements[3], struct_fields[2];
static const uint8_t binary_bytes[] = { 0x61, 0x62, 0xff };

sl_expr_options sl_test_expr_opts;

void sl_test_expr_setup(void)
{
	sl_test_expr_opts = sl_expr_defaults;
	sl_arena *arena = &sl_test_expr_arena;
	sl_value *row = sl_test_expr_row;
	sl_arena_init(arena);
	sl_err err = { 0 };
	sl_test_expr_schema = sl_schema_parse(
		"value BIGINT, s STRING, d DOUBLE, i INT, "
		"b BOOLEAN, ts TIMESTAMP, n BIGINT, "
		"arr ARRAY<STRING>, st STRUCT<a: INT, b: STRING>, "
		"ns STRING, nd DOUBLE, nb BOOLEAN, dt DATE, "
		"bin BINARY",
		arena, &err);
	cr_assert_not_null(sl_test_expr_schema, "%s", err.msg);
	array_elements[0] = sl_v_str("x", 1);
	array_elements[1] = sl_v_null();
	array_elements[2] = sl_v_str("z", 1);
	struct_fields[0] = sl_v_int(7);
	struct_fields[1] = sl_v_str("q", 1);
	row[0] = sl_v_long(42);
	row[1] = sl_v_str("Hello World", 11);
	row[2] = sl_v_double(2.5);
	row[3] = sl_v_int(-3);
	row[4] = sl_v_bool(true);
	row[5] = sl_v_ts(SL_TEST_EXPR_TS_US);
	row[6] = sl_v_null();
	row[7] = (sl_value){ .type = SL_ARRAY,
			     .len = 3,
			     .v.arr = array_elements };
	row[8] = (sl_value){ .type = SL_STRUCT,
			     .len = 2,
			     .v.fields = struct_fields };
	row[9] = sl_v_null();
	row[10] = sl_v_null();
	row[11] = sl_v_null();
	row[12] = sl_v_date(19724); /* 2024-01-02 */
	row[13] = sl_v_bin(binary_bytes, 3);
}

void sl_test_expr_teardown(void)
{
	sl_arena_free(&sl_test_expr_arena);
}

sl_expr *sl_test_expr_compile(const char *text, sl_err *err)
{
	sl_expr *e = sl_expr_parse(text, true, &sl_test_expr_arena, err);
	if (!e)
		return NULL;
	if (sl_expr_bind_with(e, sl_test_expr_schema, &sl_test_expr_opts,
			      &sl_test_expr_arena, err))
		return NULL;
	return e;
}

sl_expr *sl_test_expr_must(const char *text)
{
	sl_err err = { 0 };
	sl_expr *e = sl_test_expr_compile(text, &err);
	cr_assert_not_null(e, "'%s': %s", text, err.msg);
	return e;
}

sl_value sl_test_expr_value(const char *text)
{
	sl_err err = { 0 };
	sl_value v;
	sl_expr *e = sl_test_expr_must(text);
	int rc = sl_expr_eval(e, sl_test_expr_row, &sl_test_expr_arena, &v,
			      &err);
	cr_assert_eq(rc, 0, "'%s': eval failed: %s", text, err.msg);
	return v;
}

const char *sl_test_expr_text(const char *text)
{
	sl_value v = sl_test_expr_value(text);
	if (v.type == SL_NULL)
		return "<null>";
	size_t n = sl_value_render(&v, NULL, 0);
	char *buf = sl_arena_alloc(&sl_test_expr_arena, n + 1);
	sl_value_render(&v, buf, n + 1);
	return buf;
}

const char *sl_test_expr_type_name(const char *text)
{
	char *buf = sl_arena_alloc(&sl_test_expr_arena, 256);
	sl_dtype_name(sl_expr_type(sl_test_expr_must(text)), buf, 256);
	return buf;
}

const char *sl_test_expr_name(const char *text)
{
	return sl_expr_name(sl_test_expr_must(text));
}

sl_err sl_test_expr_parse_error(const char *text)
{
	sl_err err = { 0 };
	cr_assert_null(sl_expr_parse(text, true, &sl_test_expr_arena, &err),
		       "'%s' parsed but should not", text);
	cr_assert_eq(err.code, SL_ESYNTAX, "'%s': %s", text, err.msg);
	return err;
}

sl_err sl_test_expr_bind_error(const char *text)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse(text, true, &sl_test_expr_arena, &err);
	cr_assert_not_null(e, "'%s': %s", text, err.msg);
	cr_assert_neq(
		sl_expr_bind_with(e, sl_test_expr_schema, &sl_test_expr_opts,
				  &sl_test_expr_arena, &err),
		0, "'%s' bound but should not", text);
	cr_assert_eq(err.code, SL_EANALYSIS, "'%s': %s", text, err.msg);
	return err;
}

const char *sl_test_expr_eval_error(const char *text)
{
	static sl_err err;
	memset(&err, 0, sizeof(err));
	sl_expr *e = sl_test_expr_must(text);
	sl_value v;
	cr_assert_lt(sl_expr_eval(e, sl_test_expr_row, &sl_test_expr_arena, &v,
				  &err),
		     0, "'%s' should fail", text);
	cr_assert_eq(err.code, SL_EINVAL);
	return err.msg;
}
