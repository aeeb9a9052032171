/* expr/fn_collection.c - Spark's array functions beyond expr/func.c's
 * array() and explode and expr/element.c's element_at: size, membership
 * (array_contains, array_position, arrays_overlap), the set operations
 * (array_distinct, array_union, array_intersect, array_except), array_join,
 * array_max/min, array_remove, array_repeat, array_append/prepend/
 * compact/insert, flatten, sequence, slice, sort_array and array_sort.
 *
 * Elements compare as Spark's do: equal values of one type (NaN equals
 * NaN), nulls ordered first ascending (sort_array) or last (array_sort).
 * Arrays built here are limited to SL_FN_MAX_OUT elements. Maps and the
 * lambda functions (transform, filter, ...) are not here: sluice has no
 * MAP type and its parser no lambdas. */
#include <stdio.h>

#include "expr/fn_hof.h"

static sl_value arr_val(const sl_value *v, uint32_t n)
{
	sl_value r = { 0 };
	r.type = SL_ARRAY;
	r.len = n;
	r.v.arr = v;
	return r;
}

static bool is_array(const sl_expr *x)
{
	return x->type->id == SL_ARRAY;
}

static int need_array(sl_expr *e, uint32_t i, sl_err *err)
{
	if (is_array(e->args[i]))
		return 0;
	return sl_fn_arg_type_error(e, i, "\"ARRAY\"", err);
}

/* Elements equal as Spark compares them (both non-null) */
static bool elem_eq(const sl_value *x, const sl_value *y)
{
	return x->type != SL_NULL && y->type != SL_NULL && sl_value_eq(x, y);
}

/* The array argument 0 and a value argument 1 brought to one element
 * type: the value is cast to the element type, or the array to an array
 * of the wider type. */
static int array_and_elem(sl_bind_ctx *cx, sl_expr *e, uint32_t vi,
			  sl_err *err)
{
	int rc = need_array(e, 0, err);
	if (rc)
		return rc;
	const sl_dtype *el = e->args[0]->type->elem;
	const sl_dtype *c = sl_common_type(cx, el, e->args[vi]->type);
	if (!c)
		return sl_type_mismatch(
			err, e,
			"DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES: input "
			"to %s should have been an array followed by a value "
			"of the same element type",
			e->fn->name);
	if (c != el && !sl_dtype_equal(c, el) &&
	    (rc = sl_coerce(cx, &e->args[0], sl_fn_array_of(cx, c), err)))
		return rc;
	return sl_coerce(cx, &e->args[vi], c, err);
}

/* ---- size ------------------------------------------------------------- */

static int ev_size(FN_EV_ARGS)
{
	sl_value x;
	int rc = sl_fn_arg(e, 0, row, a, &x, err);
	if (rc)
		return rc;
	if (x.type == SL_NULL)
		/* spark.sql.legacy.sizeOfNull: -1 unless ANSI is on */
		*out = e->flags & EXF_ANSI ? sl_v_null() : sl_v_int(-1);
	else
		*out = sl_v_int((int32_t)x.len);
	return 0;
}

static int bind_size(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (e->args[0]->type->id == SL_NULL) {
		int rc = sl_coerce(cx, &e->args[0],
				   sl_fn_array_of(cx, &sl_dtype_null), err);
		if (rc)
			return rc;
	}
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = &sl_dtype_int;
	e->eval = ev_size;
	return need_array(e, 0, err);
}

/* ---- array_contains, array_position, arrays_overlap ------------------- */

static int ev_array_contains(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, v);
	bool null_seen = false;
	for (uint32_t i = 0; i < x.len; i++) {
		if (elem_eq(&x.v.arr[i], &v)) {
			*out = sl_v_bool(true);
			return 0;
		}
		null_seen |= x.v.arr[i].type == SL_NULL;
	}
	*out = null_seen ? sl_v_null() : sl_v_bool(false);
	return 0;
}

static int bind_array_contains(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_bool;
	e->eval = ev_array_contains;
	return array_and_elem(cx, e, 1, err);
}

static int ev_array_position(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, v);
	*out = sl_v_long(0);
	for (uint32_t i = 0; i < x.len; i++)
		if (elem_eq(&x.v.arr[i], &v)) {
			*out = sl_v_long((int64_t)i + 1);
			break;
		}
	return 0;
}

static int bind_array_position(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_long;
	e->eval = ev_array_position;
	return array_and_elem(cx, e, 1, err);
}

static int ev_arrays_overlap(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	bool null_seen = false;
	for (uint32_t i = 0; i < x.len; i++) {
		null_seen |= x.v.arr[i].type == SL_NULL;
		for (uint32_t k = 0; k < y.len; k++)
			if (elem_eq(&x.v.arr[i], &y.v.arr[k])) {
				*out = sl_v_bool(true);
				return 0;
			}
	}
	for (uint32_t k = 0; k < y.len; k++)
		null_seen |= y.v.arr[k].type == SL_NULL;
	*out = null_seen && x.len && y.len ? sl_v_null() : sl_v_bool(false);
	return 0;
}

/* Both arguments arrays of their common type */
static int two_arrays(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = need_array(e, 0, err)) || (rc = need_array(e, 1, err)))
		return rc;
	const sl_dtype *el = sl_common_type(cx, e->args[0]->type->elem,
					    e->args[1]->type->elem);
	const sl_dtype *c = el ? sl_fn_array_of(cx, el) : NULL;
	if (!c)
		return sl_type_mismatch(err, e,
					"DATATYPE_MISMATCH.BINARY_ARRAY_DIFF_"
					"TYPES: input to %s should have been "
					"two arrays with the same element type",
					e->fn->name);
	for (uint32_t i = 0; i < 2; i++)
		if ((rc = sl_coerce(cx, &e->args[i], c, err)))
			return rc;
	e->type = c;
	return 0;
}

static int bind_arrays_overlap(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = two_arrays(cx, e, err);
	e->type = &sl_dtype_bool;
	e->eval = ev_arrays_overlap;
	return rc;
}

/* ---- the set operations ----------------------------------------------- */

/* Whether v is among o[0..n) (nulls equal each other here) */
static bool among(const sl_value *o, uint32_t n, const sl_value *v)
{
	for (uint32_t i = 0; i < n; i++) {
		if (o[i].type == SL_NULL && v->type == SL_NULL)
			return true;
		if (elem_eq(&o[i], v))
			return true;
	}
	return false;
}

enum { SET_DISTINCT, SET_UNION, SET_INTERSECT, SET_EXCEPT };

static int ev_set(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	sl_value y = arr_val(NULL, 0);
	int op = (int)(intptr_t)e->aux;
	if (op != SET_DISTINCT) {
		int rc = sl_fn_arg(e, 1, row, a, &y, err);
		if (rc)
			return rc;
		if (y.type == SL_NULL) {
			*out = y;
			return 0;
		}
	}
	size_t cap = (size_t)x.len + (op == SET_UNION ? y.len : 0);
	sl_value *o = sl_arena_alloc(a, (cap ? cap : 1) * sizeof(*o));
	uint32_t n = 0;
	for (uint32_t i = 0; i < x.len; i++) {
		const sl_value *v = &x.v.arr[i];
		if (among(o, n, v))
			continue;
		if (op == SET_INTERSECT && !among(y.v.arr, y.len, v))
			continue;
		if (op == SET_EXCEPT && among(y.v.arr, y.len, v))
			continue;
		o[n++] = *v;
	}
	for (uint32_t i = 0; op == SET_UNION && i < y.len; i++)
		if (!among(o, n, &y.v.arr[i]))
			o[n++] = y.v.arr[i];
	*out = arr_val(o, n);
	return 0;
}

static int bind_set(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	static const char *const names[] = { "array_distinct", "array_union",
					     "array_intersect",
					     "array_except" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(names[i], e->fn->name))
			e->aux = (const void *)(intptr_t)i;
	e->eval = ev_set;
	if (e->nargs == 1) {
		e->type = e->args[0]->type;
		return need_array(e, 0, err);
	}
	return two_arrays(cx, e, err);
}

/* ---- array_join ------------------------------------------------------- */

static int ev_array_join(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, sep);
	sl_value nr = sl_v_null();
	if (e->nargs > 2) {
		int rc = sl_fn_arg(e, 2, row, a, &nr, err);
		if (rc)
			return rc;
		if (nr.type == SL_NULL) {
			*out = nr;
			return 0;
		}
	}
	sl_buf b;
	sl_buf_init(&b, a, 32);
	bool first = true;
	for (uint32_t i = 0; i < x.len; i++) {
		const sl_value *v = &x.v.arr[i];
		if (v->type == SL_NULL && nr.type == SL_NULL)
			continue;
		if (!first)
			sl_buf_put(&b, sep.v.str, sep.len);
		first = false;
		if (v->type == SL_NULL)
			sl_buf_put(&b, nr.v.str, nr.len);
		else
			sl_buf_put(&b, v->v.str, v->len);
		if (b.len > SL_FN_MAX_OUT)
			return sl_fn_too_big(err, e);
	}
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int bind_array_join(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = need_array(e, 0, err);
	if (rc)
		return rc;
	if (e->args[0]->type->elem->id != SL_STRING &&
	    (rc = sl_coerce(cx, &e->args[0],
			    sl_fn_array_of(cx, &sl_dtype_string), err)))
		return rc;
	for (uint32_t i = 1; i < e->nargs; i++)
		if ((rc = sl_fn_string_arg(cx, e, i, err)))
			return rc;
	e->type = &sl_dtype_string;
	e->eval = ev_array_join;
	return 0;
}

/* ---- array_max, array_min --------------------------------------------- */

static int ev_array_extreme(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	int want = e->fn->name[7] == 'a' ? 1 : -1; /* array_max */
	*out = sl_v_null();
	for (uint32_t i = 0; i < x.len; i++) {
		const sl_value *v = &x.v.arr[i];
		if (v->type == SL_NULL)
			continue;
		if (out->type == SL_NULL || sl_value_cmp(v, out) * want > 0)
			*out = *v;
	}
	return 0;
}

static int bind_array_extreme(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = need_array(e, 0, err);
	if (rc)
		return rc;
	e->type = e->args[0]->type->elem;
	e->eval = ev_array_extreme;
	return 0;
}

/* ---- array_remove, array_compact -------------------------------------- */

static int ev_array_remove(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	sl_value v = sl_v_null();
	if (e->nargs > 1) {
		int rc = sl_fn_arg(e, 1, row, a, &v, err);
		if (rc)
			return rc;
		if (v.type == SL_NULL) {
			*out = v;
			return 0;
		}
	}
	sl_value *o = sl_arena_alloc(a, (x.len ? x.len : 1) * sizeof(*o));
	uint32_t n = 0;
	for (uint32_t i = 0; i < x.len; i++) {
		const sl_value *el = &x.v.arr[i];
		bool drop = e->nargs > 1 ? elem_eq(el, &v)
					 : el->type == SL_NULL;
		if (!drop)
			o[n++] = *el;
	}
	*out = arr_val(o, n);
	return 0;
}

static int bind_array_remove(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_array_remove;
	int rc = e->nargs > 1 ? array_and_elem(cx, e, 1, err)
			      : need_array(e, 0, err);
	e->type = e->args[0]->type;
	return rc;
}

/* ---- array_repeat ----------------------------------------------------- */

static int ev_array_repeat(FN_EV_ARGS)
{
	sl_value v;
	int rc = sl_fn_arg(e, 0, row, a, &v, err);
	if (rc)
		return rc;
	FN_ARG_OR_NULL(1, n);
	int32_t k = n.v.i32 > 0 ? n.v.i32 : 0;
	if ((size_t)k > SL_FN_MAX_OUT / sizeof(sl_value))
		return sl_fn_too_big(err, e);
	sl_value *o = sl_arena_alloc(a, ((size_t)k + 1) * sizeof(*o));
	for (int32_t i = 0; i < k; i++)
		o[i] = v;
	*out = arr_val(o, (uint32_t)k);
	return 0;
}

static int bind_array_repeat(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = sl_fn_array_of(cx, e->args[0]->type);
	e->eval = ev_array_repeat;
	return sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err);
}

/* ---- array_append, array_prepend, array_insert ------------------------ */

static int ev_append(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	sl_value v;
	int rc = sl_fn_arg(e, 1, row, a, &v, err);
	if (rc)
		return rc;
	bool pre = e->fn->name[6] == 'p';
	sl_value *o = sl_arena_alloc(a, ((size_t)x.len + 1) * sizeof(*o));
	if (x.len)
		memcpy(o + pre, x.v.arr, x.len * sizeof(*o));
	o[pre ? 0 : x.len] = v;
	*out = arr_val(o, x.len + 1);
	return 0;
}

static int bind_append(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_append;
	int rc = array_and_elem(cx, e, 1, err);
	e->type = e->args[0]->type;
	return rc;
}

/* array_insert(arr, pos, v): 1-based pos, negative from the end (-1:
 * after the last); past the end the gap fills with nulls. */
static int ev_array_insert(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, p);
	sl_value v;
	int rc = sl_fn_arg(e, 2, row, a, &v, err);
	if (rc)
		return rc;
	int64_t pos = p.v.i32, n = x.len, at;
	if (pos == 0)
		return sl_runtime_error(
			err, "INVALID_INDEX_OF_ZERO",
			"The index 0 is invalid. An index shall be either < 0 "
			"or > 0 (the first element has index 1). SQLSTATE: "
			"22003");
	if (pos > 0) {
		at = pos - 1;
	} else {
		at = n + pos + 1;
		if (at < 0) { /* before the start: nulls in between */
			int64_t total = n - at + 1;
			if ((size_t)total > SL_FN_MAX_OUT / sizeof(sl_value))
				return sl_fn_too_big(err, e);
			sl_value *o = sl_arena_calloc(
				a, (size_t)total * sizeof(*o));
			o[0] = v;
			if (n)
				memcpy(o + (total - n), x.v.arr,
				       (size_t)n * sizeof(*o));
			*out = arr_val(o, (uint32_t)total);
			return 0;
		}
	}
	int64_t total = at > n ? at + 1 : n + 1;
	if ((size_t)total > SL_FN_MAX_OUT / sizeof(sl_value))
		return sl_fn_too_big(err, e);
	sl_value *o = sl_arena_calloc(a, (size_t)total * sizeof(*o));
	int64_t before = at < n ? at : n;
	if (before)
		memcpy(o, x.v.arr, (size_t)before * sizeof(*o));
	o[at] = v;
	if (at < n)
		memcpy(o + at + 1, x.v.arr + at, (size_t)(n - at) * sizeof(*o));
	*out = arr_val(o, (uint32_t)total);
	return 0;
}

static int bind_array_insert(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_array_insert;
	int rc = array_and_elem(cx, e, 2, err);
	if (rc || (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)))
		return rc;
	e->type = e->args[0]->type;
	return 0;
}

/* ---- flatten ---------------------------------------------------------- */

static int ev_flatten(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	size_t total = 0;
	for (uint32_t i = 0; i < x.len; i++) {
		if (x.v.arr[i].type == SL_NULL) {
			*out = sl_v_null();
			return 0;
		}
		total += x.v.arr[i].len;
	}
	if (total > SL_FN_MAX_OUT / sizeof(sl_value))
		return sl_fn_too_big(err, e);
	sl_value *o = sl_arena_alloc(a, (total ? total : 1) * sizeof(*o));
	size_t k = 0;
	for (uint32_t i = 0; i < x.len; i++) {
		if (x.v.arr[i].len)
			memcpy(o + k, x.v.arr[i].v.arr,
			       x.v.arr[i].len * sizeof(*o));
		k += x.v.arr[i].len;
	}
	*out = arr_val(o, (uint32_t)total);
	return 0;
}

static int bind_flatten(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id != SL_ARRAY || t->elem->id != SL_ARRAY)
		return sl_fn_arg_type_error(e, 0, "\"ARRAY<ARRAY>\"", err);
	e->type = t->elem;
	e->eval = ev_flatten;
	return 0;
}

/* ---- sequence --------------------------------------------------------- */

static int ev_sequence(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, t);
	bool is_long = s.type == SL_LONG;
	int64_t from = is_long ? s.v.i64 : s.v.i32;
	int64_t to = is_long ? t.v.i64 : t.v.i32;
	int64_t step = from <= to ? 1 : -1;
	if (e->nargs > 2) {
		FN_ARG_OR_NULL(2, st);
		step = is_long ? st.v.i64 : st.v.i32;
	}
	if ((step > 0 && from > to) || (step < 0 && from < to) ||
	    (step == 0 && from != to))
		return sl_runtime_error(
			err, "IllegalArgumentException",
			"Illegal sequence boundaries: %lld to %lld by %lld",
			(long long)from, (long long)to, (long long)step);
	uint64_t span = from <= to ? (uint64_t)to - (uint64_t)from
				   : (uint64_t)from - (uint64_t)to;
	uint64_t mag = step ? (step > 0 ? (uint64_t)step : 0 - (uint64_t)step)
			    : 1;
	uint64_t n = span / mag + 1;
	if (n > SL_FN_MAX_OUT / sizeof(sl_value))
		return sl_runtime_error(
			err, "COLLECTION_SIZE_LIMIT_EXCEEDED",
			"sequence: %llu elements pass the limit of %zu",
			(unsigned long long)n,
			SL_FN_MAX_OUT / sizeof(sl_value));
	sl_value *o = sl_arena_alloc(a, (size_t)n * sizeof(*o));
	for (uint64_t i = 0; i < n; i++) {
		int64_t v = (int64_t)((uint64_t)from + i * (uint64_t)step);
		o[i] = is_long ? sl_v_long(v) : sl_v_int((int32_t)v);
	}
	*out = arr_val(o, (uint32_t)n);
	return 0;
}

static int bind_sequence(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t;
	int rc = sl_fn_common_args(cx, e, 0, &t, err);
	if (rc)
		return rc;
	if ((int)t->id == SL_BYTE || (int)t->id == SL_SHORT || t->id == SL_NULL)
		t = &sl_dtype_int;
	if (t->id != SL_INT && t->id != SL_LONG)
		return sl_type_mismatch(err, e,
					"sequence takes integers here (dates "
					"and timestamps need an interval step, "
					"which sluice has not)");
	for (uint32_t i = 0; i < e->nargs; i++)
		if ((rc = sl_coerce(cx, &e->args[i], t, err)))
			return rc;
	e->type = sl_fn_array_of(cx, t);
	e->eval = ev_sequence;
	return 0;
}

/* ---- slice ------------------------------------------------------------ */

static int ev_slice(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, s);
	FN_ARG_OR_NULL(2, l);
	int64_t start = s.v.i32, len = l.v.i32, n = x.len;
	if (start == 0)
		return sl_runtime_error(
			err, "INVALID_PARAMETER_VALUE.START",
			"The value of parameter(s) `start` in `slice` is "
			"invalid: Expects a positive or a negative value for "
			"`start`, but got 0. SQLSTATE: 22023");
	if (len < 0)
		return sl_runtime_error(
			err, "INVALID_PARAMETER_VALUE.LENGTH",
			"The value of parameter(s) `length` in `slice` is "
			"invalid: Expects `length` greater than or equal to 0, "
			"but got %lld. SQLSTATE: 22023",
			(long long)len);
	int64_t b = start > 0 ? start - 1 : n + start;
	if (b < 0 || b >= n) {
		*out = arr_val(x.v.arr, 0);
		return 0;
	}
	int64_t end = b + len < n ? b + len : n;
	*out = arr_val(x.v.arr + b, (uint32_t)(end - b));
	return 0;
}

static int bind_slice(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = need_array(e, 0, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 2, &sl_dtype_int, err)))
		return rc;
	e->type = e->args[0]->type;
	e->eval = ev_slice;
	return 0;
}

/* ---- sort_array, array_sort ------------------------------------------- */

/* A stable merge sort of v[0..n): ascending, nulls first or last, or
 * descending (nulls last). */
static int sort_cmp(const sl_value *x, const sl_value *y, bool asc,
		    bool nulls_first)
{
	bool xn = x->type == SL_NULL, yn = y->type == SL_NULL;
	if (xn || yn)
		return xn == yn ? 0 : (xn == nulls_first) ? -1 : 1;
	int c = sl_value_cmp(x, y);
	return asc ? c : -c;
}

static void msort(sl_value *v, sl_value *tmp, uint32_t n, bool asc,
		  bool nulls_first)
{
	if (n < 2)
		return;
	uint32_t h = n / 2;
	msort(v, tmp, h, asc, nulls_first);
	msort(v + h, tmp, n - h, asc, nulls_first);
	uint32_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = sort_cmp(&v[j], &v[i], asc, nulls_first) < 0
				   ? v[j++]
				   : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static int ev_sort(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	bool asc = true;
	if (e->nargs > 1) {
		FN_ARG_OR_NULL(1, d);
		asc = d.v.b;
	}
	/* sort_array: nulls first ascending, last descending; array_sort:
	 * nulls last */
	bool nulls_first = e->fn->name[0] == 's' && asc;
	size_t n = x.len ? x.len : 1;
	sl_value *o = sl_arena_alloc(a, 2 * n * sizeof(*o));
	if (x.len)
		memcpy(o, x.v.arr, x.len * sizeof(*o));
	msort(o, o + n, x.len, asc, nulls_first);
	*out = arr_val(o, x.len);
	return 0;
}

int sl_fn_bind_sort(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = need_array(e, 0, err);
	if (rc)
		return rc;
	if (e->nargs > 1) {
		if (e->args[1]->kind != EX_LIT ||
		    e->args[1]->type->id != SL_BOOL)
			return sl_type_mismatch(
				err, e,
				"DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE: the "
				"sort order of sort_array must be a boolean "
				"literal, not %s",
				e->args[1]->sql);
	} else if (e->fn->name[0] == 's') {
		e->sql = sl_fn_append_sql(cx, e->sql, ", true");
	} else {
		/* Spark names array_sort(a) by its default comparator */
		sl_fn_rename(
			cx, e, "array_sort(",
			", lambdafunction((IF(((namedlambdavariable() IS NULL) "
			"AND (namedlambdavariable() IS NULL)), 0, "
			"(IF((namedlambdavariable() IS NULL), 1, "
			"(IF((namedlambdavariable() IS NULL), -1, "
			"(IF((namedlambdavariable() < namedlambdavariable()), "
			"-1, (IF((namedlambdavariable() > "
			"namedlambdavariable()), 1, 0)))))))))), "
			"namedlambdavariable(), namedlambdavariable())");
	}
	e->type = e->args[0]->type;
	e->eval = ev_sort;
	return 0;
}

/* ---- arrays_zip ------------------------------------------------------ */

/* An array of structs, the i-th holding every array's i-th element (null
 * past an array's end); fields named after column arguments, else by
 * position. */
static int ev_arrays_zip(FN_EV_ARGS)
{
	uint32_t k = e->nargs, n = 0;
	sl_value *in = sl_arena_alloc(a, (k ? k : 1) * sizeof(*in));
	for (uint32_t j = 0; j < k; j++) {
		int rc = sl_fn_arg(e, j, row, a, &in[j], err);
		if (rc)
			return rc;
		if (in[j].type == SL_NULL) {
			*out = sl_v_null();
			return 0;
		}
		n = in[j].len > n ? in[j].len : n;
	}
	if ((size_t)n * (k + 1) > SL_FN_MAX_OUT / sizeof(sl_value))
		return sl_fn_too_big(err, e);
	sl_value *s = sl_arena_alloc(a, ((size_t)n * (k + 1) + 1) * sizeof(*s));
	sl_value *f = s + n;
	for (uint32_t i = 0; i < n; i++, f += k) {
		for (uint32_t j = 0; j < k; j++)
			f[j] = i < in[j].len ? in[j].v.arr[i] : sl_v_null();
		s[i].type = SL_STRUCT;
		s[i].len = k;
		s[i].v.fields = f;
	}
	out->type = SL_ARRAY;
	out->len = n;
	out->v.arr = s;
	return 0;
}

static int bind_arrays_zip(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_schema *sc = sl_schema_new(cx->a, e->nargs);
	for (uint32_t j = 0; j < e->nargs; j++) {
		int rc = need_array(e, j, err);
		if (rc)
			return rc;
		const sl_expr *x = e->args[j];
		char *nm = sl_arena_alloc(cx->a, 12);
		snprintf(nm, 12, "%u", j);
		sc->fields[j].name = x->kind == EX_COL ? x->sql : nm;
		sc->fields[j].type = x->type->elem;
		sc->fields[j].nullable = true;
	}
	sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
	st->id = SL_STRUCT;
	st->fields = sc;
	e->type = sl_fn_array_of(cx, st);
	e->eval = ev_arrays_zip;
	return 0;
}

/* ---- the group -------------------------------------------------------- */

const sl_func sl_funcs_collection[] = {
	{ "aggregate", 3, 4, FN_LAMBDA, sl_fn_bind_hof,
	  "aggregate(expr, start, merge[, finish])",
	  "Folds the array: merge(acc, x) from start over each element, then "
	  "finish(acc).",
	  "aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x, acc -> acc * 10)" },
	{ "array_append", 2, 2, 0, bind_append, "array_append(array, element)",
	  "The array with element added at its end.",
	  "array_append(array('b', 'd', 'c', 'a'), 'd')" },
	{ "array_compact", 1, 1, 0, bind_array_remove, "array_compact(array)",
	  "The array without its nulls.", "array_compact(array(1, 2, NULL))" },
	{ "array_contains", 2, 2, 0, bind_array_contains,
	  "array_contains(array, value)",
	  "Whether the array holds value (null when it does not but holds a "
	  "null).",
	  "array_contains(array(1, 2, 3), 2)" },
	{ "array_distinct", 1, 1, 0, bind_set, "array_distinct(array)",
	  "The array without duplicates, first occurrences kept in order.",
	  "array_distinct(array(1, 2, 3, NULL, 3))" },
	{ "array_except", 2, 2, 0, bind_set, "array_except(array1, array2)",
	  "The elements of array1 not in array2, without duplicates.",
	  "array_except(array(1, 2, 3), array(1, 3, 5))" },
	{ "array_insert", 3, 3, 0, bind_array_insert,
	  "array_insert(x, pos, val)",
	  "x with val inserted at the 1-based pos (negative: from the end; "
	  "past the end: nulls fill the gap).",
	  "array_insert(array(1, 2, 3, 4), 5, 5)" },
	{ "array_intersect", 2, 2, 0, bind_set,
	  "array_intersect(array1, array2)",
	  "The elements in both arrays, without duplicates.",
	  "array_intersect(array(1, 2, 3), array(1, 3, 5))" },
	{ "array_join", 2, 3, 0, bind_array_join,
	  "array_join(array, delimiter[, nullReplacement])",
	  "The elements joined by delimiter; nulls skipped or replaced by "
	  "nullReplacement.",
	  "array_join(array('hello', NULL, 'world'), ' ', ',')" },
	{ "array_max", 1, 1, 0, bind_array_extreme, "array_max(array)",
	  "The greatest non-null element (null for none).",
	  "array_max(array(1, 20, NULL, 3))" },
	{ "array_min", 1, 1, 0, bind_array_extreme, "array_min(array)",
	  "The least non-null element (null for none).",
	  "array_min(array(1, 20, NULL, 3))" },
	{ "array_position", 2, 2, 0, bind_array_position,
	  "array_position(array, element)",
	  "The 1-based position of element's first occurrence, 0 when "
	  "absent (a BIGINT).",
	  "array_position(array(312, 773, 708, 708), 708)" },
	{ "array_prepend", 2, 2, 0, bind_append,
	  "array_prepend(array, element)",
	  "The array with element added at its start.",
	  "array_prepend(array('b', 'd', 'c', 'a'), 'd')" },
	{ "array_remove", 2, 2, 0, bind_array_remove,
	  "array_remove(array, element)",
	  "The array without the elements equal to element.",
	  "array_remove(array(1, 2, 3, NULL, 3), 3)" },
	{ "array_repeat", 2, 2, 0, bind_array_repeat,
	  "array_repeat(element, count)", "An array of count elements.",
	  "array_repeat('123', 2)" },
	{ "array_sort", 1, 2, FN_LAMBDA, sl_fn_bind_array_sort,
	  "array_sort(expr[, func])",
	  "The array sorted ascending (nulls last), or by the comparator "
	  "func(left, right), which gives a negative, zero or positive INT.",
	  "array_sort(array(3, 1, 2), (l, r) -> r - l)" },
	{ "array_union", 2, 2, 0, bind_set, "array_union(array1, array2)",
	  "The elements of either array, without duplicates.",
	  "array_union(array(1, 2, 3), array(1, 3, 5))" },
	{ "arrays_overlap", 2, 2, 0, bind_arrays_overlap, "arrays_overlap(a1, a2)",
	  "Whether the arrays share a non-null element (null when not but "
	  "either holds a null).",
	  "arrays_overlap(array(1, 2, 3), array(3, 4, 5))" },
	{ "arrays_zip", 1, -1, 0, bind_arrays_zip, "arrays_zip(a1, a2, ...)",
	  "An array of structs whose i-th holds the i-th element of each "
	  "array (null past an array's end).",
	  "arrays_zip(array(1, 2), array('a', 'b', 'c'))" },
	{ "cardinality", 1, 1, 0, bind_size, "cardinality(expr)",
	  "The size of the array (null input: null with ANSI on, else -1).",
	  "cardinality(array('b', 'd', 'c', 'a'))" },
	{ "exists", 2, 2, FN_LAMBDA, sl_fn_bind_hof, "exists(expr, pred)",
	  "Whether pred holds for an element (null if it is null for one "
	  "and true for none).",
	  "exists(array(1, 2, 3), x -> x % 2 = 0)" },
	{ "explode_outer", 1, 1, FN_GEN, sl_fn_bind_generator,
	  "explode_outer(expr)",
	  "A row per element of the array, named col; a null or empty array "
	  "gives one row of null.",
	  "explode_outer(array(10, 20))" },
	{ "filter", 2, 2, FN_LAMBDA, sl_fn_bind_hof, "filter(expr, func)",
	  "The elements for which func(x) or func(x, index) is true.",
	  "filter(array(1, 2, 3), x -> x % 2 = 1)" },
	{ "flatten", 1, 1, 0, bind_flatten, "flatten(arrayOfArrays)",
	  "The arrays' elements in one array (null if any array is null).",
	  "flatten(array(array(1, 2), array(3, 4)))" },
	{ "forall", 2, 2, FN_LAMBDA, sl_fn_bind_hof, "forall(expr, pred)",
	  "Whether pred holds for every element (null if it is null for one "
	  "and false for none).",
	  "forall(array(1, 2, 3), x -> x % 2 = 0)" },
	{ "inline", 1, 1, FN_GEN, sl_fn_bind_generator, "inline(expr)",
	  "A row per struct of the array, its fields the columns.",
	  "inline(array(struct(1, 'a'), struct(2, 'b')))" },
	{ "inline_outer", 1, 1, FN_GEN, sl_fn_bind_generator,
	  "inline_outer(expr)",
	  "inline, with one row of nulls for a null or empty array.",
	  "inline_outer(array(struct(1, 'a'), struct(2, 'b')))" },
	{ "posexplode", 1, 1, FN_GEN, sl_fn_bind_generator, "posexplode(expr)",
	  "A row per element of the array: its position pos (from 0) and "
	  "the element col.",
	  "posexplode(array(10, 20))" },
	{ "posexplode_outer", 1, 1, FN_GEN, sl_fn_bind_generator,
	  "posexplode_outer(expr)",
	  "posexplode, with one row of nulls for a null or empty array.",
	  "posexplode_outer(array(10, 20))" },
	{ "reduce", 3, 4, FN_LAMBDA, sl_fn_bind_hof,
	  "reduce(expr, start, merge[, finish])", "aggregate's other name.",
	  "reduce(array(1, 2, 3), 0, (acc, x) -> acc + x)" },
	{ "sequence", 2, 3, 0, bind_sequence, "sequence(start, stop[, step])",
	  "The integers from start to stop (inclusive) by step (default 1 or "
	  "-1).",
	  "sequence(1, 5)" },
	{ "size", 1, 1, 0, bind_size, "size(expr)",
	  "The size of the array (null input: null with ANSI on, else -1).",
	  "size(array('b', 'd', 'c', 'a'))" },
	{ "slice", 3, 3, 0, bind_slice, "slice(x, start, length)",
	  "length elements of x from the 1-based start (negative: from the "
	  "end).",
	  "slice(array(1, 2, 3, 4), 2, 2)" },
	{ "sort_array", 1, 2, 0, sl_fn_bind_sort, "sort_array(array[, ascendingOrder])",
	  "The array sorted (default ascending): nulls first ascending, last "
	  "descending.",
	  "sort_array(array('b', 'd', NULL, 'c', 'a'), true)" },
	{ "transform", 2, 2, FN_LAMBDA, sl_fn_bind_hof, "transform(expr, func)",
	  "Each element x mapped by func(x) or func(x, index).",
	  "transform(array(1, 2, 3), x -> x + 1)" },
	{ "zip_with", 3, 3, FN_LAMBDA, sl_fn_bind_hof,
	  "zip_with(left, right, func)",
	  "func(x, y) of the elements of both arrays at each index, the "
	  "shorter padded with nulls.",
	  "zip_with(array(1, 2), array(3, 4), (x, y) -> x + y)" },
};
const size_t sl_funcs_collection_n = SL_NFUNCS(sl_funcs_collection);
