/* tests/unit/expr_vec.c - the vectorised evaluator (expr/vec.c)
 * against the per-row one (sl_expr_eval): for every node type it handles,
 * on random record vectors with nulls and edge values (0, -1, the
 * extremes, NaN, -0.0, infinities), with and without a selection, the two
 * must give the same value for every row and keep the same rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "sluice.h"

#define NROWS 700 /* spans several of the evaluator's chunks */
#define NCOLS 12

static sl_arena A;
static sl_schema *S;
static sl_value *ROWS;
static uint32_t SEL[NROWS], NSEL;

static const char *const SCHEMA =
	"i INT, l BIGINT, d DOUBLE, b BOOLEAN, dt DATE, ts TIMESTAMP, "
	"s STRING, i2 INT, l2 BIGINT, d2 DOUBLE, b2 BOOLEAN, dt2 DATE";

/* xorshift: the same vectors on every run */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	uint64_t x = rnd_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rnd_state = x;
}

static int64_t pick_long(void)
{
	static const int64_t edge[] = { 0, 1, -1, 2, -2, 3, 7, -8, 16, 1000,
					INT64_MAX, INT64_MIN, INT32_MAX,
					INT32_MIN };
	if (rnd() % 2)
		return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	return (int64_t)(rnd() % 2001) - 1000;
}

static int32_t pick_int(void)
{
	static const int32_t edge[] = { 0, 1, -1, 2, -2, 3, 7, -8, 16,
					INT32_MAX, INT32_MIN };
	if (rnd() % 2)
		return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	return (int32_t)(rnd() % 201) - 100;
}

static double pick_double(void)
{
	static const double edge[] = { 0.0, -0.0, 1.0, -1.0, 2.5, 0.5,
					1e300, -1e300, 3e9, -3e18, 1e19 };
	switch (rnd() % 4) {
	case 0: return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd() % 3 == 0 ? NAN
		       : rnd() % 2    ? INFINITY
				      : -INFINITY;
	default: return ((double)(rnd() % 20001) - 10000) / 100.0;
	}
}

static sl_value pick(sl_type t)
{
	if (rnd() % 5 == 0)
		return sl_v_null();
	switch (t) {
	case SL_INT: return sl_v_int(pick_int());
	case SL_LONG: return sl_v_long(pick_long());
	case SL_DOUBLE: return sl_v_double(pick_double());
	case SL_BOOL: return sl_v_bool(rnd() % 2);
	case SL_DATE: return sl_v_date((int32_t)(rnd() % 5) + 19000);
	case SL_TIMESTAMP: return sl_v_ts((int64_t)(rnd() % 5) * 1000000);
	default: return rnd() % 2 ? sl_v_str("x", 1) : sl_v_str("yz", 2);
	}
}

static void setup(void)
{
	sl_err err = { 0 };

	sl_arena_init(&A);
	S = sl_schema_parse(SCHEMA, &A, &err);
	cr_assert_not_null(S, "%s", err.msg);
	cr_assert_eq(S->n, NCOLS);
	ROWS = sl_arena_alloc(&A, sizeof(sl_value) * NROWS * NCOLS);
	for (uint32_t r = 0; r < NROWS; r++)
		for (uint32_t c = 0; c < NCOLS; c++)
			ROWS[r * NCOLS + c] = pick(S->fields[c].type->id);
	/* A few all-null stretches, longer than a chunk, and a selection of
	 * about a third of the rows. */
	for (uint32_t r = 300; r < 600; r++)
		ROWS[r * NCOLS + 1] = sl_v_null();
	NSEL = 0;
	for (uint32_t r = 0; r < NROWS; r++)
		if (rnd() % 3 == 0)
			SEL[NSEL++] = r;
}

static void teardown(void)
{
	sl_arena_free(&A);
}

TestSuite(expr_vec, .init = setup, .fini = teardown);

/* The vectorised evaluator is checked against the per-row one in the
 * legacy mode (ANSI off), where integer arithmetic wraps and never fails;
 * the ansi_* tests below cover ANSI's checked operators. */
static const sl_expr_options legacy = { .ansi = false };

static sl_expr *must(const char *text)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse(text, true, &A, &err);
	cr_assert_not_null(e, "'%s': %s", text, err.msg);
	cr_assert_eq(sl_expr_bind_with(e, S, &legacy, &A, &err), 0,
		     "'%s': %s", text, err.msg);
	return e;
}

/* Same SQL value: same tag and payload; NaNs are equal whatever their
 * bits (Spark does not tell them apart). */
static bool same(const sl_value *x, const sl_value *y)
{
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case SL_NULL: return true;
	case SL_BOOL: return x->v.b == y->v.b;
	case SL_INT:
	case SL_DATE: return x->v.i32 == y->v.i32;
	case SL_DOUBLE:
		if (isnan(x->v.f64) || isnan(y->v.f64))
			return isnan(x->v.f64) && isnan(y->v.f64);
		return !memcmp(&x->v.f64, &y->v.f64, sizeof(double));
	default: return x->v.i64 == y->v.i64;
	}
}

static void render(const sl_value *v, char *buf, size_t n)
{
	sl_value_render(v, buf, n);
}

/* sl_expr_vec_project against sl_expr_eval on the rows of sel (NULL: all) */
static void check_project(const char *text, const sl_expr *e,
			  const uint32_t *sel, uint32_t n)
{
	sl_value *out = sl_arena_alloc(&A, sizeof(sl_value) * 2 * n + 16);
	sl_vec_in in = { .rows = ROWS, .ncols = NCOLS, .sel = sel, .n = n };

	/* stride 2: writes must land on every other value only */
	for (uint32_t i = 0; i < 2 * n; i++)
		out[i] = sl_v_str("untouched", 9);
	sl_err verr = { 0 };
	cr_assert_eq(sl_expr_vec_project(e, &in, out, 2, &A, &verr), 0, "%s",
		     verr.msg);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = sel ? sel[i] : i;
		sl_value want;
		sl_err err = { 0 };
		cr_assert_eq(sl_expr_eval(e, &ROWS[r * NCOLS], &A, &want, &err),
			     0, "%s", err.msg);
		if (!same(&out[2 * i], &want)) {
			char a[64], b[64];
			render(&out[2 * i], a, sizeof(a));
			render(&want, b, sizeof(b));
			cr_assert_fail("'%s' row %u: vectorised %s (type %d), "
				       "per row %s (type %d)",
				       text, r, a, out[2 * i].type, b,
				       want.type);
		}
		cr_assert_eq(out[2 * i + 1].type, SL_STRING,
			     "'%s': stride not respected", text);
	}
}

static void check_filter(const char *text, const sl_expr *e,
			 const uint32_t *sel, uint32_t n, bool in_place)
{
	uint32_t keep[NROWS], want[NROWS], nwant = 0, copy[NROWS];
	sl_vec_in in = { .rows = ROWS, .ncols = NCOLS, .sel = sel, .n = n };

	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = sel ? sel[i] : i;
		sl_value v;
		cr_assert_eq(sl_expr_eval(e, &ROWS[r * NCOLS], &A, &v, NULL),
			     0);
		if (sl_value_truthy(&v))
			want[nwant++] = r;
	}
	uint32_t *dst = keep;
	if (in_place && sel) {
		memcpy(copy, sel, n * sizeof(uint32_t));
		in.sel = copy;
		dst = copy;
	}
	sl_err verr = { 0 };
	int64_t kept = sl_expr_vec_filter(e, &in, dst, &A, &verr);
	cr_assert_geq(kept, 0, "'%s': %s", text, verr.msg);
	uint32_t got = (uint32_t)kept;
	cr_assert_eq(got, nwant, "'%s': %u rows kept, per row %u", text, got,
		     nwant);
	for (uint32_t i = 0; i < got; i++)
		cr_assert_eq(dst[i], want[i], "'%s': kept row %u is %u, not %u",
			     text, i, dst[i], want[i]);
}

static void check(const char *text)
{
	sl_expr *e = must(text);
	cr_assert(sl_expr_vec_ok(e), "'%s' should be vectorised", text);
	check_project(text, e, NULL, NROWS);
	check_project(text, e, SEL, NSEL);
	check_project(text, e, NULL, 1);
	check_project(text, e, SEL + 3, 0);
	if (sl_expr_type(e)->id == SL_BOOL) {
		check_filter(text, e, NULL, NROWS, false);
		check_filter(text, e, SEL, NSEL, false);
		check_filter(text, e, SEL, NSEL, true);
	}
}

static void check_all(const char *const *texts)
{
	for (const char *const *t = texts; *t; t++)
		check(*t);
}

Test(expr_vec, leaves)
{
	check_all((const char *const[]){
		"i", "l", "d", "b", "dt", "ts", "b2", "42", "-7", "2.5D",
		"true", "false", "NULL", "CAST(NULL AS BIGINT)", NULL });
}

Test(expr_vec, integer_arithmetic_wraps_like_java)
{
	check_all((const char *const[]){
		"i + i2", "i - i2", "i * i2", "i + 2147483647", "i * 65536",
		"l + l2", "l - l2", "l * l2", "l * 10", "l + 9223372036854775807",
		"i + l", "10 - l", "2 * i", "1 + 2", "NULL + i", "l - NULL",
		"-i", "-l", "- (i * i2)", "-(-l)", NULL });
}

Test(expr_vec, remainder_signs_and_zero_divisors)
{
	check_all((const char *const[]){
		"i % i2", "l % l2", "i % 2", "i % -2", "i % 8", "i % 3",
		"i % -1", "i % 0", "l % 2", "l % 16", "l % 1", "l % -1",
		"l % 0", "l % 3", "l % -4", "l % 1073741824", "7 % i",
		"l % NULL", "NULL % l", "i % l", "l % i2", NULL });
}

Test(expr_vec, double_arithmetic_and_division)
{
	check_all((const char *const[]){
		"d + d2", "d - d2", "d * d2", "d / d2", "d % d2", "d / 0",
		"d % 0", "d % 2.5", "d / -0.0", "i / i2", "l / 2", "i / 0",
		"i * d", "l + d2", "-d", "d / 3 + l * 2", "1 / 4", NULL });
}

Test(expr_vec, comparisons)
{
	static const char *const ops[] = { "=", "<>", "<", "<=", ">", ">=",
					   "<=>", NULL };
	static const char *const pairs[][2] = {
		{ "i", "i2" }, { "l", "l2" }, { "d", "d2" }, { "b", "b2" },
		{ "dt", "dt2" }, { "ts", "ts" }, { "i", "l" }, { "i", "d" },
		{ "l", "2" }, { "3", "i" }, { "d", "1.5" }, { "d", "d" },
		{ "i", "NULL" }, { "NULL", "l" }, { "b", "true" },
		{ "0", "1" }, { "l % 2", "0" }, { "d / d2", "d" },
	};
	char text[128];
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++)
		for (const char *const *op = ops; *op; op++) {
			snprintf(text, sizeof(text), "%s %s %s", pairs[p][0],
				 *op, pairs[p][1]);
			check(text);
		}
	check("NULL = NULL");
	/* NULL <=> NULL has no type to vectorise: row by row. */
	cr_assert_not(sl_expr_vec_ok(must("NULL <=> NULL")));
}

Test(expr_vec, three_valued_logic)
{
	check_all((const char *const[]){
		"b AND b2", "b OR b2", "NOT b", "NOT (b AND b2)",
		"b AND NULL", "NULL OR b", "NULL AND b2", "b OR NULL",
		"true AND b", "false OR b2", "false AND NULL", "true OR NULL",
		"NOT NULL", "b AND i > 0", "(l % 2 = 0) OR d > 0 AND NOT b2",
		"NOT (i = i2) OR (d <> d) AND b", NULL });
}

Test(expr_vec, null_tests)
{
	check_all((const char *const[]){
		"i IS NULL", "l IS NOT NULL", "s IS NULL", "s IS NOT NULL",
		"(i + 1) IS NULL", "d / 0 IS NULL", "(l % l2) IS NOT NULL",
		"NULL IS NULL", "1 IS NULL", "b IS NULL OR b", NULL });
}

Test(expr_vec, casts_between_numbers)
{
	check_all((const char *const[]){
		"CAST(i AS BIGINT)", "CAST(l AS INT)", "CAST(d AS INT)",
		"CAST(d AS BIGINT)", "CAST(i AS DOUBLE)", "CAST(l AS DOUBLE)",
		"CAST(b AS INT)", "CAST(b AS BIGINT)", "CAST(b AS DOUBLE)",
		"CAST(d AS BOOLEAN)", "CAST(l AS BOOLEAN)",
		"CAST(i AS BOOLEAN)", "CAST(l AS DOUBLE) / 3",
		"CAST(d * 1e10 AS INT) + 1", "CAST(l AS INT) % 2 = 0",
		"CAST(l AS INT) > 0", "CAST(l AS INT) = l",
		"CAST(d AS INT) <=> i", "CAST(CAST(b AS INT) AS BOOLEAN)",
		NULL });
}

Test(expr_vec, what_it_leaves_to_the_per_row_evaluator)
{
	static const char *const texts[] = {
		"upper(s)", "s = 'x'", "i IN (1, 2)",
		"CASE WHEN b THEN 1 ELSE 2 END", "dt + 1", "s || 'a'",
		"CAST(s AS INT)", "CAST(l AS STRING)", "l + length(s)",
		"s LIKE 'x%'", "CAST(ts AS BIGINT)", NULL
	};
	for (const char *const *t = texts; *t; t++)
		cr_assert_not(sl_expr_vec_ok(must(*t)), "'%s'", *t);
}

/* ANSI on: e is vectorised, and over the rows of sel (NULL: all) gives
 * what the per-row evaluator gives: the same values, or the error of the
 * first row whose evaluation fails. Returns whether an error was met. */
static bool check_ansi(const char *text, const uint32_t *sel, uint32_t n)
{
	sl_err err = { 0 };
	sl_expr *e = sl_expr_parse(text, true, &A, &err);
	cr_assert_not_null(e, "'%s': %s", text, err.msg);
	cr_assert_eq(sl_expr_bind(e, S, &A, &err), 0, "'%s': %s", text,
		     err.msg);
	cr_assert(sl_expr_vec_ok(e), "'%s' should be vectorised", text);

	sl_value *want = sl_arena_alloc(&A, sizeof(sl_value) * (n + 1));
	sl_err werr = { 0 };
	bool failed = false;
	for (uint32_t i = 0; i < n && !failed; i++) {
		uint32_t r = sel ? sel[i] : i;
		failed = sl_expr_eval(e, &ROWS[r * NCOLS], &A, &want[i],
				      &werr) < 0;
	}
	sl_value *out = sl_arena_alloc(&A, sizeof(sl_value) * (n + 1));
	sl_vec_in in = { .rows = ROWS, .ncols = NCOLS, .sel = sel, .n = n };
	sl_err verr = { 0 };
	int rc = sl_expr_vec_project(e, &in, out, 1, &A, &verr);
	if (failed) {
		cr_assert_lt(rc, 0, "'%s': the per-row evaluator fails (%s), "
			     "the vectorised one does not", text, werr.msg);
		cr_assert_str_eq(verr.msg, werr.msg, "'%s'", text);
	} else {
		cr_assert_eq(rc, 0, "'%s': %s", text, verr.msg);
		for (uint32_t i = 0; i < n; i++)
			cr_assert(same(&out[i], &want[i]), "'%s' row %u", text,
				  sel ? sel[i] : i);
	}
	if (sl_expr_type(e)->id == SL_BOOL) {
		uint32_t keep[NROWS];
		int64_t kept = sl_expr_vec_filter(e, &in, keep, &A, &verr);
		cr_assert_eq(kept < 0, failed, "'%s': filter", text);
	}
	return failed;
}

Test(expr_vec, ansi_checked_arithmetic_is_vectorised_and_raises_per_row)
{
	/* whatever the random rows hold, vectorised and per row agree */
	static const char *const any[] = { "i * i2", "l * l2", "l - l2",
					   "i - i2", "d / d2", "d % d2",
					   "l % l2", "-i", "-l", "l * 10",
					   "i + 1 > 0", NULL };
	/* rows with these values exist, so these raise */
	static const char *const fails[] = { "i % 0", "d / 0", "l % 0",
					     "l + 9223372036854775807",
					     "i + 2147483647", NULL };
	/* and these cannot */
	static const char *const passes[] = { "l % 2 = 0", "l % 16", "-d",
					      "d + d2 > 1", "i < i2 AND b2",
					      "CAST(i AS DOUBLE) * d",
					      "i2 * 0 + 1", NULL };
	for (int k = 0; any[k]; k++) {
		check_ansi(any[k], NULL, NROWS);
		check_ansi(any[k], SEL, NSEL);
	}
	for (int k = 0; fails[k]; k++)
		cr_assert(check_ansi(fails[k], NULL, NROWS), "'%s' raises",
			  fails[k]);
	for (int k = 0; passes[k]; k++) {
		cr_assert_not(check_ansi(passes[k], NULL, NROWS), "'%s'",
			      passes[k]);
		check_ansi(passes[k], SEL, NSEL);
	}
}

Test(expr_vec, ansi_error_on_a_null_row_is_no_error)
{
	/* l is null on rows 300..599, whose slots hold whatever the rows
	 * hold: a null operand or divisor raises nothing */
	static uint32_t nulls[300];
	for (uint32_t i = 0; i < 300; i++)
		nulls[i] = 300 + i;
	cr_assert_not(check_ansi("i % l", nulls, 300));
	cr_assert_not(check_ansi("l % 0", nulls, 300));
	cr_assert_not(check_ansi("d / (l * 0)", nulls, 300));
	cr_assert_not(check_ansi("l + 9223372036854775807", nulls, 300));
	cr_assert(check_ansi("l % 0", NULL, NROWS), "the other rows raise");
}

Test(expr_vec, ansi_casts_that_can_fail_stay_row_by_row)
{
	static const char *const rowwise[] = { "CAST(l AS INT)",
					       "CAST(d AS INT)", NULL };
	for (int k = 0; rowwise[k]; k++) {
		sl_err err = { 0 };
		sl_expr *e = sl_expr_parse(rowwise[k], true, &A, &err);
		cr_assert_eq(sl_expr_bind(e, S, &A, &err), 0, "%s", err.msg);
		cr_assert(!sl_expr_vec_ok(e), "'%s'", rowwise[k]);
	}
}
