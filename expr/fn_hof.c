/* expr/fn_hof.c - Spark's higher-order functions over arrays: transform,
 * filter, exists, forall, aggregate (and its name reduce), zip_with and
 * array_sort with a comparator. Their lambdas (expr/lambda.h) evaluate on
 * a frame set up once per call, its variables overwritten per element,
 * so an element costs its body's evaluation and nothing allocated but
 * the result array. The table entries are the collection group's
 * (expr/fn_collection.c). */
#include <stdio.h>

#include "expr/fn_hof.h"
#include "expr/fn_map.h"

#define DEFAULT_FINISH                                                         \
	", lambdafunction(namedlambdavariable(), namedlambdavariable())"

/* Spark's UNEXPECTED_INPUT_TYPE: the nth parameter (argument i) is not
 * of the type want. */
static int wrong_type(sl_expr *e, uint32_t i, const char *nth,
		      const char *want, sl_err *err)
{
	char tb[64];
	sl_type_sql(e->args[i]->type, tb, sizeof(tb));
	return sl_type_mismatch_cls(err, e,
				    "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
				    "The %s parameter requires the \"%s\" type, "
				    "however \"%s\" has the type \"%s\"",
				    nth, want, e->args[i]->sql, tb);
}

static int need_array(sl_expr *e, uint32_t i, const char *nth, sl_err *err)
{
	return e->args[i]->type->id == SL_ARRAY
		       ? 0
		       : wrong_type(e, i, nth, "ARRAY", err);
}

/* The body of lambda argument i gives a boolean (a null counts). */
static int need_bool_body(sl_expr *e, uint32_t i, sl_err *err)
{
	int id = e->args[i]->type->id;
	return id == SL_BOOL || id == SL_NULL
		       ? 0
		       : wrong_type(e, i, "second", "BOOLEAN", err);
}

/* Binds the call's plain arguments, names it for errors, and checks
 * argument 0 is an array. */
static int bind_start(sl_bind_ctx *cx, sl_expr *e, const char *lambdas,
		      sl_err *err)
{
	e->sql = e->fn->name;
	int rc = sl_lambda_bind_args(cx, e, lambdas, err);
	return rc ? rc : need_array(e, 0, "first", err);
}

/* ---- transform, filter ------------------------------------------------ */

/* transform (op 0): each element's body; filter (op 1): the elements
 * whose body is true. */
static int ev_elementwise(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, arr);
	const sl_expr *lam = e->args[1];
	sl_lambda_frame f;
	sl_lambda_frame_init(&f, lam, row, a);
	sl_value *o = sl_arena_alloc(a, (arr.len ? arr.len : 1) * sizeof(*o));
	bool idx = lam->nparts > 1, keep = e->op;
	uint32_t n = 0;
	for (uint32_t i = 0; i < arr.len; i++) {
		sl_value r;
		f.var[0] = arr.v.arr[i];
		if (idx)
			f.var[1] = sl_v_int((int32_t)i);
		int rc = sl_lambda_eval(lam, &f, a, &r, err);
		if (rc)
			return rc;
		if (!keep)
			o[n++] = r;
		else if (sl_value_truthy(&r))
			o[n++] = arr.v.arr[i];
	}
	*out = arr;
	out->v.arr = o;
	out->len = n;
	return 0;
}

static int bind_elementwise(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_start(cx, e, "01", err);
	if (rc)
		return rc;
	const sl_dtype *vt[2] = { e->args[0]->type->elem, &sl_dtype_int };
	if ((rc = sl_lambda_bind(cx, e, 1, vt, 1, 2, err)))
		return rc;
	sl_lambda_call_sql(cx, e);
	e->eval = ev_elementwise;
	if (e->fn->name[0] == 't') {
		e->type = sl_fn_array_of(cx, e->args[1]->type);
		return 0;
	}
	e->op = 1;
	e->type = e->args[0]->type;
	return need_bool_body(e, 1, err);
}

/* ---- exists, forall ---------------------------------------------------- */

/* exists: true if the body is true for an element, else null if it was
 * null for one, else false; forall (op 1) the same with false and true
 * swapped: Spark's three-valued logic. */
static int ev_exists(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, arr);
	const sl_expr *lam = e->args[1];
	bool all = e->op;
	sl_lambda_frame f;
	sl_lambda_frame_init(&f, lam, row, a);
	bool saw_null = false;
	for (uint32_t i = 0; i < arr.len; i++) {
		sl_value r;
		f.var[0] = arr.v.arr[i];
		int rc = sl_lambda_eval(lam, &f, a, &r, err);
		if (rc)
			return rc;
		if (r.type == SL_NULL) {
			saw_null = true;
		} else if (r.v.b != all) {
			*out = sl_v_bool(!all);
			return 0;
		}
	}
	*out = saw_null ? sl_v_null() : sl_v_bool(all);
	return 0;
}

static int bind_exists(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_start(cx, e, "01", err);
	if (rc)
		return rc;
	const sl_dtype *vt[1] = { e->args[0]->type->elem };
	if ((rc = sl_lambda_bind(cx, e, 1, vt, 1, 1, err)))
		return rc;
	sl_lambda_call_sql(cx, e);
	if ((rc = need_bool_body(e, 1, err)))
		return rc;
	e->op = e->fn->name[0] == 'f';
	e->type = &sl_dtype_bool;
	e->eval = ev_exists;
	return 0;
}

/* ---- aggregate, reduce -------------------------------------------------- */

static int ev_aggregate(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, arr);
	sl_value acc;
	int rc = sl_fn_arg(e, 1, row, a, &acc, err);
	if (rc)
		return rc;
	const sl_expr *merge = e->args[2];
	sl_lambda_frame f;
	sl_lambda_frame_init(&f, merge, row, a);
	for (uint32_t i = 0; i < arr.len; i++) {
		f.var[0] = acc;
		f.var[1] = arr.v.arr[i];
		if ((rc = sl_lambda_eval(merge, &f, a, &acc, err)))
			return rc;
	}
	if (e->nargs < 4) {
		*out = acc;
		return 0;
	}
	const sl_expr *fin = e->args[3];
	sl_lambda_frame g;
	sl_lambda_frame_init(&g, fin, row, a);
	g.var[0] = acc;
	return sl_lambda_eval(fin, &g, a, out, err);
}

static int bind_aggregate(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_start(cx, e, "0011", err);
	if (rc)
		return rc;
	const sl_dtype *zt = e->args[1]->type;
	const sl_dtype *vt[2] = { zt, e->args[0]->type->elem };
	if ((rc = sl_lambda_bind(cx, e, 2, vt, 2, 2, err)))
		return rc;
	if (e->nargs > 3 && (rc = sl_lambda_bind(cx, e, 3, vt, 1, 1, err)))
		return rc;
	sl_lambda_call_sql(cx, e);
	if (e->nargs < 4)
		e->sql = sl_fn_append_sql(cx, e->sql, DEFAULT_FINISH);
	if (!sl_dtype_equal(e->args[2]->type, zt)) {
		char ta[64];
		sl_type_sql(zt, ta, sizeof(ta));
		return wrong_type(e, 2, "third", ta, err);
	}
	e->type = e->nargs > 3 ? e->args[3]->type : zt;
	e->eval = ev_aggregate;
	return 0;
}

/* ---- zip_with ----------------------------------------------------------- */

static int ev_zip_with(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	const sl_expr *lam = e->args[2];
	uint32_t n = x.len > y.len ? x.len : y.len;
	sl_lambda_frame f;
	sl_lambda_frame_init(&f, lam, row, a);
	sl_value *o = sl_arena_alloc(a, (n ? n : 1) * sizeof(*o));
	for (uint32_t i = 0; i < n; i++) {
		f.var[0] = i < x.len ? x.v.arr[i] : sl_v_null();
		f.var[1] = i < y.len ? y.v.arr[i] : sl_v_null();
		int rc = sl_lambda_eval(lam, &f, a, &o[i], err);
		if (rc)
			return rc;
	}
	*out = x;
	out->len = n;
	out->v.arr = o;
	return 0;
}

static int bind_zip_with(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_start(cx, e, "001", err);
	if (!rc)
		rc = need_array(e, 1, "second", err);
	if (rc)
		return rc;
	const sl_dtype *vt[2] = { e->args[0]->type->elem,
				  e->args[1]->type->elem };
	if ((rc = sl_lambda_bind(cx, e, 2, vt, 2, 2, err)))
		return rc;
	sl_lambda_call_sql(cx, e);
	e->type = sl_fn_array_of(cx, e->args[2]->type);
	e->eval = ev_zip_with;
	return 0;
}

/* ---- array_sort with a comparator --------------------------------------- */

typedef struct sorter {
	const sl_expr *lam;
	sl_lambda_frame f;
	sl_arena *a;
	sl_err *err;
} sorter;

/* The comparator on (l, r): < 0, 0, > 0; a null is Spark's error. */
static int compare(sorter *s, const sl_value *l, const sl_value *r, int *res)
{
	sl_value c;
	s->f.var[0] = *l;
	s->f.var[1] = *r;
	int rc = sl_lambda_eval(s->lam, &s->f, s->a, &c, s->err);
	if (rc)
		return rc;
	if (c.type == SL_NULL) {
		sl_buf w;
		sl_buf_init(&w, s->a, 64);
		sl_value_sql_literal(&w, l);
		sl_buf_puts(&w, " and ");
		sl_value_sql_literal(&w, r);
		return sl_runtime_error(
			s->err, "COMPARATOR_RETURNS_NULL",
			"The comparator has returned a NULL for a comparison "
			"between %s. It should return a positive integer for "
			"\"greater than\", 0 for \"equal\" and a negative "
			"integer for \"less than\".",
			sl_buf_cstr(&w));
	}
	*res = c.v.i32;
	return 0;
}

/* A stable merge sort of v[0..n) (tmp as large), bottom up: Spark's sort
 * with a comparator is stable too, so both give the same order. */
static int merge_sort(sorter *s, sl_value *v, sl_value *tmp, uint32_t n)
{
	for (uint32_t w = 1; w < n; w *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * w) {
			uint32_t mid = lo + w < n ? lo + w : n;
			uint32_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			uint32_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi) {
				int c = 0, rc = compare(s, &v[j], &v[i], &c);
				if (rc)
					return rc;
				tmp[k++] = c < 0 ? v[j++] : v[i++];
			}
			while (i < mid)
				tmp[k++] = v[i++];
			while (j < hi)
				tmp[k++] = v[j++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
	return 0;
}

static int ev_sort_by(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, arr);
	sorter s = { .lam = e->args[1], .a = a, .err = err };
	sl_lambda_frame_init(&s.f, s.lam, row, a);
	uint32_t n = arr.len;
	sl_value *v = sl_arena_alloc(a, (n ? 2 * n : 1) * sizeof(*v));
	if (n)
		memcpy(v, arr.v.arr, n * sizeof(*v));
	int rc = merge_sort(&s, v, v + n, n);
	if (rc)
		return rc;
	*out = arr;
	out->v.arr = v;
	return 0;
}

int sl_fn_bind_array_sort(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (e->nargs == 1) {
		int rc = sl_lambda_bind_args(cx, e, "0", err);
		if (rc)
			return rc;
		e->sql = sl_node_sql(cx, e);
		/* maps have no order: refused as Spark does */
		if (sl_map_bind_call(cx, e, &rc, err))
			return rc;
		return sl_fn_bind_sort(cx, e, err);
	}
	int rc = bind_start(cx, e, "01", err);
	if (rc)
		return rc;
	const sl_dtype *el = e->args[0]->type->elem;
	const sl_dtype *vt[2] = { el, el };
	if ((rc = sl_lambda_bind(cx, e, 1, vt, 2, 2, err)))
		return rc;
	sl_lambda_call_sql(cx, e);
	if (e->args[1]->type->id != SL_INT)
		return wrong_type(e, 1, "second", "INT", err);
	e->type = e->args[0]->type;
	e->eval = ev_sort_by;
	return 0;
}

int sl_fn_bind_hof(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	switch (e->fn->name[0]) {
	case 't':
	case 'f':
		if (!strcmp(e->fn->name, "forall"))
			return bind_exists(cx, e, err);
		return bind_elementwise(cx, e, err);
	case 'e': return bind_exists(cx, e, err);
	case 'z': return bind_zip_with(cx, e, err);
	default: return bind_aggregate(cx, e, err);
	}
}
