/* tests/fuzz/fuzz_expr.c - libFuzzer target: an expression through the
 * parser, the binder and both evaluators (expr/). The input is the
 * expression's text, then optionally a NUL and the bytes the rows are made
 * from (the first of them: ANSI on when odd). The text is parsed and bound
 * against a fixed schema of every type; when it binds it is evaluated row
 * by row on rows of edge values, and, when the vectorised evaluator takes
 * it, a column at a time too: the two must agree on every value, on the
 * rows a WHERE keeps, and on whether evaluation fails. */
#include <math.h>

#include "expr/expr.h"
#include "tests/fuzz/fuzz.h"

#define NROWS 300 /* more than one of the vectorised evaluator's chunks */

static const char *const SCHEMA =
	"i INT, l BIGINT, d DOUBLE, b BOOLEAN, dt DATE, ts TIMESTAMP, "
	"s STRING, a ARRAY<INT>, st STRUCT<x: INT, y: STRING>, bin BINARY";

/* The bytes the rows are made from, cycled; zeros when there are none. */
typedef struct rowsrc {
	const uint8_t *p;
	size_t n, i;
} rowsrc;

static uint8_t next_byte(rowsrc *r)
{
	return r->n ? r->p[r->i++ % r->n] : 0;
}

static sl_value pick(rowsrc *r, const sl_dtype *t, sl_arena *a)
{
	static const int64_t longs[] = { 0,	    1,	       -1,
					 7,	    -8,	       1000,
					 INT64_MAX, INT64_MIN, INT32_MAX,
					 INT32_MIN, 86400000000LL };
	static const double dbls[] = { 0.0,  -0.0, 1.5,	     -2.5,
				       1e300, NAN,  INFINITY, -INFINITY };
	static const char *const strs[] = { "",	     "a",    "abc", "1",
					    "-2.5",  "true", "\xff\xfe",
					    "2024-01-02 03:04:05", "é", "%_" };
	uint8_t k = next_byte(r);

	if (k % 7 == 0)
		return sl_v_null();
	switch (t->id) {
	case SL_INT: return sl_v_int((int32_t)longs[k % 11]);
	case SL_LONG: return sl_v_long(longs[k % 11]);
	case SL_DOUBLE: return sl_v_double(dbls[k % 8]);
	case SL_BOOL: return sl_v_bool(k & 1);
	case SL_DATE: return sl_v_date((int32_t)(k % 3 ? 19000 + k : -k * 9999));
	/* Timestamps stop short of the int64 ends, where the date-time
	 * functions' day arithmetic is known to overflow (left to the
	 * expression code's own tests). */
	case SL_TIMESTAMP:
		return sl_v_ts(k % 3 ? (int64_t)k * 1000003
				     : longs[k % 11] / 4);
	case SL_STRING:
	case SL_BINARY: {
		/* Exact-size heap copies, made once: a read one byte past a
		 * string is ASan's to see (a literal's NUL would hide it). */
		static char *heap[10];
		const char *s = strs[k % 10];
		size_t n = strlen(s);

		if (!heap[k % 10]) {
			heap[k % 10] = malloc(n ? n : 1);
			memcpy(heap[k % 10], s, n);
		}
		return sl_v_str(heap[k % 10], n);
	}
	default: return sl_v_null(); /* nested columns stay null */
	}
}

/* Same SQL value for the types the vectorised evaluator gives. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	rowsrc rs = { nul ? nul + 1 : NULL, nul ? size - tlen - 1 : 0, 0 };
	sl_expr_options opts = { .ansi = rs.n && (rs.p[0] & 1) };
	static sl_value rows[NROWS * 10], per_row[NROWS], vec[NROWS];
	static uint32_t keep[NROWS];
	sl_arena a;
	sl_err err = { 0 };
	sl_schema *schema;
	sl_expr *e;
	char *text;
	int row_rc = 0;
	int64_t failed_at = -1;

	/* Long inputs only repeat what short ones find, slower. */
	if (tlen > 2000)
		return 0;
	sl_arena_init(&a);
	schema = sl_schema_parse(SCHEMA, &a, &err);
	FUZZ_CHECK(schema && schema->n == 10, "schema: %s", err.msg);
	text = sl_arena_alloc(&a, tlen + 1);
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	e = sl_expr_parse(text, true, &a, &err);
	if (!e) {
		FUZZ_CHECK(err.msg[0], "parse failed without a message");
		goto out;
	}
	if (sl_expr_bind_with(e, schema, &opts, &a, &err) < 0) {
		FUZZ_CHECK(err.msg[0], "bind failed without a message");
		goto out;
	}
	(void)sl_expr_sql(e);
	if (sl_expr_has_aggregate(e) || sl_expr_is_star(e))
		goto out;
	for (uint32_t r = 0; r < NROWS; r++)
		for (uint32_t c = 0; c < schema->n; c++)
			rows[r * schema->n + c] =
				pick(&rs, schema->fields[c].type, &a);
	for (uint32_t r = 0; r < NROWS; r++) {
		sl_err e2 = { 0 };

		if (sl_expr_is_generator(e))
			row_rc = sl_expr_eval_generator(e, &rows[r * schema->n],
							&a, &per_row[r], &e2);
		else
			row_rc = sl_expr_eval(e, &rows[r * schema->n], &a,
					      &per_row[r], &e2);
		if (row_rc < 0) {
			FUZZ_CHECK(e2.msg[0], "'%s': eval failed without a "
					      "message",
				   text);
			failed_at = r;
			break;
		}
		char buf[128];
		sl_value_render(&per_row[r], buf, sizeof(buf));
	}
	if (sl_expr_is_generator(e) || !sl_expr_vec_ok(e))
		goto out;
	sl_vec_in in = { .rows = rows, .ncols = schema->n, .n = NROWS };
	sl_err ve = { 0 };
	int vrc = sl_expr_vec_project(e, &in, vec, 1, &a, &ve);

	FUZZ_CHECK((vrc < 0) == (failed_at >= 0),
		   "'%s': row by row %s (row %lld), vectorised %s", text,
		   failed_at >= 0 ? "fails" : "succeeds", (long long)failed_at,
		   vrc < 0 ? ve.msg : "succeeds");
	if (vrc < 0)
		goto out;
	for (uint32_t r = 0; r < NROWS; r++) {
		char x[96], y[96];

		sl_value_render(&vec[r], x, sizeof(x));
		sl_value_render(&per_row[r], y, sizeof(y));
		FUZZ_CHECK(same(&vec[r], &per_row[r]),
			   "'%s' row %u: vectorised %s (type %d), row by row "
			   "%s (type %d)",
			   text, r, x, vec[r].type, y, per_row[r].type);
	}
	if (sl_expr_type(e)->id == SL_BOOL) {
		int64_t kept = sl_expr_vec_filter(e, &in, keep, &a, &ve);
		uint32_t want = 0;

		FUZZ_CHECK(kept >= 0, "'%s': filter fails: %s", text, ve.msg);
		for (uint32_t r = 0; r < NROWS; r++)
			if (sl_value_truthy(&per_row[r])) {
				FUZZ_CHECK(want < (uint64_t)kept &&
						   keep[want] == r,
					   "'%s': row %u kept by one evaluator "
					   "only",
					   text, r);
				want++;
			}
		FUZZ_CHECK(want == (uint64_t)kept, "'%s': %lld rows kept, "
						   "row by row %u",
			   text, (long long)kept, want);
	}
out:
	sl_arena_free(&a);
	return 0;
}
