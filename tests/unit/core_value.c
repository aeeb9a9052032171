/* tests/unit/core_value.c - data types, schemas, value copy, comparison and
 * Spark's string rendering (core/value.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/value.h"
#include "sluice.h"

static sl_arena A;

static void setup(void)
{
	sl_arena_init(&A);
}

static void teardown(void)
{
	sl_arena_free(&A);
}

TestSuite(value, .init = setup, .fini = teardown);

static const char *tname(const sl_dtype *t)
{
	static char buf[256];
	sl_dtype_name(t, buf, sizeof(buf));
	return buf;
}

static const char *parse_name(const char *text)
{
	const sl_dtype *t = sl_dtype_parse(text, strlen(text), &A);
	return t ? tname(t) : "(null)";
}

static const char *render(sl_value v)
{
	static char buf[512];
	size_t n = sl_value_render(&v, buf, sizeof(buf));
	cr_assert_eq(n, strlen(buf));
	return buf;
}

/* ---- types ------------------------------------------------------------ */

Test(value, primitive_names_are_sparks)
{
	cr_assert_str_eq(tname(&sl_dtype_string), "string");
	cr_assert_str_eq(tname(&sl_dtype_int), "int");
	cr_assert_str_eq(tname(&sl_dtype_long), "bigint");
	cr_assert_str_eq(tname(&sl_dtype_double), "double");
	cr_assert_str_eq(tname(&sl_dtype_bool), "boolean");
	cr_assert_str_eq(tname(&sl_dtype_timestamp), "timestamp");
	cr_assert_str_eq(tname(&sl_dtype_date), "date");
	cr_assert_str_eq(tname(&sl_dtype_binary), "binary");
}

Test(value, prim_lookup)
{
	cr_assert_eq(sl_dtype_prim(SL_LONG), &sl_dtype_long);
	cr_assert_eq(sl_dtype_prim(SL_DATE), &sl_dtype_date);
	cr_assert_null(sl_dtype_prim(SL_ARRAY));
	cr_assert_null(sl_dtype_prim(SL_STRUCT));
}

Test(value, parse_primitive_synonyms_case_insensitive)
{
	cr_assert_str_eq(parse_name("STRING"), "string");
	cr_assert_str_eq(parse_name("int"), "int");
	cr_assert_str_eq(parse_name("Integer"), "int");
	cr_assert_str_eq(parse_name("BIGINT"), "bigint");
	cr_assert_str_eq(parse_name("long"), "bigint");
	cr_assert_str_eq(parse_name("DOUBLE"), "double");
	cr_assert_str_eq(parse_name("float"), "float");
	cr_assert_str_eq(parse_name("REAL"), "float");
	cr_assert_str_eq(parse_name("tinyint"), "tinyint");
	cr_assert_str_eq(parse_name("SMALLINT"), "smallint");
	cr_assert_str_eq(parse_name("decimal"), "decimal(10,0)");
	cr_assert_str_eq(parse_name("DECIMAL(10, 2)"), "decimal(10,2)");
	cr_assert_str_eq(parse_name("numeric(5)"), "decimal(5,0)");
	cr_assert_str_eq(parse_name("Dec(38,38)"), "decimal(38,38)");
	cr_assert_str_eq(parse_name("BOOLEAN"), "boolean");
	cr_assert_str_eq(parse_name("Timestamp"), "timestamp");
	cr_assert_str_eq(parse_name("date"), "date");
	cr_assert_str_eq(parse_name("BINARY"), "binary");
	cr_assert_str_eq(parse_name("  int  "), "int");
}

Test(value, parse_complex_types)
{
	cr_assert_str_eq(parse_name("ARRAY<STRING>"), "array<string>");
	cr_assert_str_eq(parse_name("array< int >"), "array<int>");
	cr_assert_str_eq(parse_name("STRUCT<a: INT, b: STRING>"),
			 "struct<a:int,b:string>");
	cr_assert_str_eq(parse_name("struct<a:int,b string>"),
			 "struct<a:int,b:string>");
	cr_assert_str_eq(parse_name("ARRAY<STRUCT<x: ARRAY<BIGINT>>>"),
			 "array<struct<x:array<bigint>>>");
	cr_assert_str_eq(parse_name("STRUCT<`a b`: INT>"), "struct<a b:int>");
}

Test(value, parse_rejects_unknown_and_trailing)
{
	cr_assert_str_eq(parse_name("VARCHAR2"), "(null)");
	cr_assert_str_eq(parse_name("INT INT"), "(null)");
	cr_assert_str_eq(parse_name("ARRAY<INT"), "(null)");
	cr_assert_str_eq(parse_name("ARRAY INT"), "(null)");
	cr_assert_str_eq(parse_name(""), "(null)");
}

Test(value, dtype_equal)
{
	const sl_dtype *a = sl_dtype_parse("ARRAY<INT>", 10, &A);
	const sl_dtype *b = sl_dtype_parse("array<int>", 10, &A);
	const sl_dtype *c = sl_dtype_parse("array<bigint>", 13, &A);
	cr_assert(sl_dtype_equal(a, b));
	cr_assert_not(sl_dtype_equal(a, c));
	cr_assert_not(sl_dtype_equal(&sl_dtype_int, &sl_dtype_long));
	const sl_dtype *s1 = sl_dtype_parse("struct<a:int>", 13, &A);
	const sl_dtype *s2 = sl_dtype_parse("struct<b:int>", 13, &A);
	cr_assert_not(sl_dtype_equal(s1, s2));
	cr_assert(sl_dtype_equal(s1, sl_dtype_parse("STRUCT<a: INT>", 14, &A)));
}

Test(value, dtype_name_truncates_but_reports_length)
{
	char small[8];
	const sl_dtype *t =
		sl_dtype_parse("struct<abc:int,def:string>", 26, &A);
	size_t n = sl_dtype_name(t, small, sizeof(small));
	cr_assert_eq(n, strlen("struct<abc:int,def:string>"));
	cr_assert_str_eq(small, "struct<");
}

/* ---- schemas ---------------------------------------------------------- */

Test(value, schema_parse_spark_ddl)
{
	sl_err err = { 0 };
	sl_schema *s = sl_schema_parse(
		"DEST_COUNTRY_NAME STRING, ORIGIN_COUNTRY_NAME STRING, "
		"count INT",
		&A, &err);
	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(s->n, 3);
	cr_assert_str_eq(s->fields[0].name, "DEST_COUNTRY_NAME");
	cr_assert_eq(s->fields[1].type, &sl_dtype_string);
	cr_assert_str_eq(s->fields[2].name, "count");
	cr_assert_eq(s->fields[2].type, &sl_dtype_int);
	cr_assert(s->fields[2].nullable);
}

Test(value, schema_parse_colon_backticks_not_null_comment)
{
	sl_err err = { 0 };
	sl_schema *s = sl_schema_parse(
		"a: int, `b c` STRING NOT NULL, d ARRAY<STRING> COMMENT 'x, y'",
		&A, &err);
	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(s->n, 3);
	cr_assert_str_eq(s->fields[1].name, "b c");
	cr_assert_not(s->fields[1].nullable);
	cr_assert_str_eq(tname(s->fields[2].type), "array<string>");
}

Test(value, schema_parse_struct_form)
{
	sl_err err = { 0 };
	sl_schema *s = sl_schema_parse("struct<a:int,b:string>", &A, &err);
	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(s->n, 2);
	cr_assert_str_eq(s->fields[1].name, "b");
}

Test(value, schema_parse_error_names_position)
{
	sl_err err = { 0 };
	cr_assert_null(sl_schema_parse("a INT, b FOO", &A, &err));
	cr_assert_eq(err.code, SL_ESYNTAX);
	cr_assert_eq(err.pos, 10);
	cr_assert(strstr(err.msg, "position 10"), "%s", err.msg);
	cr_assert(strstr(err.msg, "'FOO'"), "%s", err.msg);

	memset(&err, 0, sizeof(err));
	cr_assert_null(sl_schema_parse("a INT b STRING", &A, &err));
	cr_assert_eq(err.pos, 7, "%d: %s", err.pos, err.msg);
	cr_assert(strstr(err.msg, "expected ','"), "%s", err.msg);

	memset(&err, 0, sizeof(err));
	cr_assert_null(sl_schema_parse("a", &A, &err));
	cr_assert(strstr(err.msg, "end of input"), "%s", err.msg);

	memset(&err, 0, sizeof(err));
	cr_assert_null(sl_schema_parse("  ", &A, &err));
	cr_assert(strstr(err.msg, "empty schema"), "%s", err.msg);
}

Test(value, schema_find_is_case_insensitive)
{
	sl_err err = { 0 };
	sl_schema *s =
		sl_schema_parse("timestamp TIMESTAMP, Value BIGINT", &A, &err);
	cr_assert_eq(sl_schema_find(s, "value", 5), 1);
	cr_assert_eq(sl_schema_find(s, "VALUE", 5), 1);
	cr_assert_eq(sl_schema_find(s, "TimeStamp", 9), 0);
	cr_assert_eq(sl_schema_find(s, "val", 3), -1);
	cr_assert_eq(sl_schema_find(s, "values", 6), -1);
	/* len bounds the name: "valuex" with len 5 is "value" */
	cr_assert_eq(sl_schema_find(s, "valuex", 5), 1);
}

Test(value, schema_new_is_zeroed)
{
	sl_schema *s = sl_schema_new(&A, 4);
	cr_assert_eq(s->n, 4);
	for (int i = 0; i < 4; i++) {
		cr_assert_null(s->fields[i].name);
		cr_assert_null(s->fields[i].type);
	}
}

/* ---- rendering -------------------------------------------------------- */

Test(value, render_scalars)
{
	cr_assert_str_eq(render(sl_v_null()), "null");
	cr_assert_str_eq(render(sl_v_bool(true)), "true");
	cr_assert_str_eq(render(sl_v_bool(false)), "false");
	cr_assert_str_eq(render(sl_v_int(-42)), "-42");
	cr_assert_str_eq(render(sl_v_long(INT64_MIN)), "-9223372036854775808");
	cr_assert_str_eq(render(sl_v_str("héllo", 6)), "héllo");
}

Test(value, render_doubles_as_java)
{
	cr_assert_str_eq(render(sl_v_double(1.0)), "1.0");
	cr_assert_str_eq(render(sl_v_double(0.1)), "0.1");
	cr_assert_str_eq(render(sl_v_double(1e10)), "1.0E10");
	cr_assert_str_eq(render(sl_v_double(1e-5)), "1.0E-5");
	cr_assert_str_eq(render(sl_v_double(NAN)), "NaN");
	cr_assert_str_eq(render(sl_v_double(INFINITY)), "Infinity");
	cr_assert_str_eq(render(sl_v_double(-INFINITY)), "-Infinity");
	cr_assert_str_eq(render(sl_v_double(-0.0)), "-0.0");
	cr_assert_str_eq(render(sl_v_double(0.0)), "0.0");
	cr_assert_str_eq(render(sl_v_double(100.0)), "100.0");
	cr_assert_str_eq(render(sl_v_double(123.456)), "123.456");
	cr_assert_str_eq(render(sl_v_double(-2.5)), "-2.5");
	/* the plain/scientific boundaries: [1e-3, 1e7) is plain */
	cr_assert_str_eq(render(sl_v_double(1234567.0)), "1234567.0");
	cr_assert_str_eq(render(sl_v_double(1e7)), "1.0E7");
	cr_assert_str_eq(render(sl_v_double(12345678.9)), "1.23456789E7");
	cr_assert_str_eq(render(sl_v_double(0.001)), "0.001");
	cr_assert_str_eq(render(sl_v_double(0.0001)), "1.0E-4");
	cr_assert_str_eq(render(sl_v_double(0.1 + 0.2)), "0.30000000000000004");
	cr_assert_str_eq(render(sl_v_double(1.7976931348623157e308)),
			 "1.7976931348623157E308");
	cr_assert_str_eq(render(sl_v_double(4.9e-324)), "4.9E-324");
}

Test(value, render_timestamps_utc_trailing_zeros_dropped)
{
	/* 2024-01-02 03:04:05 UTC = 1704164645 s */
	int64_t base = 1704164645LL * 1000000;
	cr_assert_str_eq(render(sl_v_ts(base)), "2024-01-02 03:04:05");
	cr_assert_str_eq(render(sl_v_ts(base + 123000)),
			 "2024-01-02 03:04:05.123");
	cr_assert_str_eq(render(sl_v_ts(base + 100000)),
			 "2024-01-02 03:04:05.1");
	cr_assert_str_eq(render(sl_v_ts(base + 1)),
			 "2024-01-02 03:04:05.000001");
	cr_assert_str_eq(render(sl_v_ts(0)), "1970-01-01 00:00:00");
	/* before the epoch: floor, not truncation */
	cr_assert_str_eq(render(sl_v_ts(-1)), "1969-12-31 23:59:59.999999");
	cr_assert_str_eq(render(sl_v_ts(-86400LL * 1000000)),
			 "1969-12-31 00:00:00");
}

Test(value, render_dates)
{
	cr_assert_str_eq(render(sl_v_date(0)), "1970-01-01");
	cr_assert_str_eq(render(sl_v_date(-1)), "1969-12-31");
	cr_assert_str_eq(render(sl_v_date(19782)), "2024-02-29");
	cr_assert_str_eq(render(sl_v_date(19783)), "2024-03-01");
	cr_assert_str_eq(render(sl_v_date(11016)), "2000-02-29");
	cr_assert_str_eq(render(sl_v_date(-141427)), "1582-10-15");
}

Test(value, render_binary_hex)
{
	uint8_t b[] = { 0x01, 0x02, 0xff };
	cr_assert_str_eq(render(sl_v_bin(b, 3)), "[01 02 FF]");
	cr_assert_str_eq(render(sl_v_bin(b, 0)), "[]");
}

Test(value, render_arrays_and_structs)
{
	sl_value el[3] = { sl_v_str("a", 1), sl_v_null(), sl_v_str("b", 1) };
	sl_value arr = { .type = SL_ARRAY, .len = 3, .v.arr = el };
	cr_assert_str_eq(render(arr), "[a, null, b]");
	arr.len = 0;
	cr_assert_str_eq(render(arr), "[]");
	sl_value inner[2] = { sl_v_int(1), sl_v_double(2.0) };
	sl_value fs[3] = { sl_v_str("a", 1),
			   { .type = SL_ARRAY, .len = 2, .v.arr = inner },
			   sl_v_null() };
	sl_value st = { .type = SL_STRUCT, .len = 3, .v.fields = fs };
	cr_assert_str_eq(render(st), "{a, [1, 2.0], null}");
}

Test(value, render_truncates_like_snprintf)
{
	char buf[6];
	sl_value v = sl_v_str("abcdefghij", 10);
	cr_assert_eq(sl_value_render(&v, buf, sizeof(buf)), 10);
	cr_assert_str_eq(buf, "abcde");
	cr_assert_eq(sl_value_render(&v, NULL, 0), 10);
	sl_value d = sl_v_double(1e10);
	char b2[4];
	cr_assert_eq(sl_value_render(&d, b2, sizeof(b2)), 6);
	cr_assert_str_eq(b2, "1.0");
}

/* ---- copy and compare ------------------------------------------------- */

Test(value, copy_is_deep)
{
	char s[] = "hello";
	sl_value el[2] = { sl_v_str(s, 5), sl_v_int(3) };
	sl_value fs[2] = { { .type = SL_ARRAY, .len = 2, .v.arr = el },
			   sl_v_str(s + 1, 3) };
	sl_value st = { .type = SL_STRUCT, .len = 2, .v.fields = fs };
	sl_value c = sl_value_copy(&st, &A);
	s[0] = 'J';
	s[1] = 'E';
	el[1] = sl_v_int(99);
	cr_assert_str_eq(render(c), "{[hello, 3], ell}");
	cr_assert_neq(c.v.fields, fs);
	sl_value n = sl_value_copy(&(sl_value){ 0 }, &A);
	cr_assert(sl_v_is_null(&n));
	sl_value l = sl_v_long(7);
	cr_assert_eq(sl_value_copy(&l, &A).v.i64, 7);
}

Test(value, cmp_numbers_across_types)
{
	sl_value i = sl_v_int(3), l = sl_v_long(3), d = sl_v_double(3.5);
	cr_assert_eq(sl_value_cmp(&i, &l), 0);
	cr_assert_lt(sl_value_cmp(&l, &d), 0);
	cr_assert_gt(sl_value_cmp(&d, &i), 0);
	sl_value big = sl_v_long(INT64_MAX), neg = sl_v_long(INT64_MIN);
	cr_assert_gt(sl_value_cmp(&big, &neg), 0);
	sl_value nan = sl_v_double(NAN), inf = sl_v_double(INFINITY);
	/* Spark: NaN is greater than any other value, and equals itself */
	cr_assert_gt(sl_value_cmp(&nan, &inf), 0);
	cr_assert_eq(sl_value_cmp(&nan, &nan), 0);
	sl_value z = sl_v_double(0.0), nz = sl_v_double(-0.0);
	cr_assert_eq(sl_value_cmp(&z, &nz), 0);
}

Test(value, cmp_strings_bools_dates_and_nested)
{
	sl_value a = sl_v_str("abc", 3), ab = sl_v_str("ab", 2);
	sl_value b = sl_v_str("b", 1), hi = sl_v_str("\xc3\xa9", 2);
	cr_assert_gt(sl_value_cmp(&a, &ab), 0);
	cr_assert_lt(sl_value_cmp(&a, &b), 0);
	cr_assert_gt(sl_value_cmp(&hi, &b), 0); /* bytes compare unsigned */
	sl_value t = sl_v_bool(true), f = sl_v_bool(false);
	cr_assert_gt(sl_value_cmp(&t, &f), 0);
	sl_value d1 = sl_v_date(1), d2 = sl_v_date(2);
	cr_assert_lt(sl_value_cmp(&d1, &d2), 0);
	sl_value e1[2] = { sl_v_int(1), sl_v_int(2) };
	sl_value e2[2] = { sl_v_int(1), sl_v_null() };
	sl_value x = { .type = SL_ARRAY, .len = 2, .v.arr = e1 };
	sl_value y = { .type = SL_ARRAY, .len = 2, .v.arr = e2 };
	sl_value z = { .type = SL_ARRAY, .len = 1, .v.arr = e1 };
	cr_assert_gt(sl_value_cmp(&x, &y), 0); /* null sorts first */
	cr_assert_gt(sl_value_cmp(&x, &z), 0); /* longer after prefix */
}
