/* expr/element.c - element_at, try_element_at and get: an array's element
 * by index, with Spark 4's rules. element_at counts from 1 (negative
 * indexes from the end) and, with ANSI on, raises
 * INVALID_ARRAY_INDEX_IN_ELEMENT_AT out of bounds (null without ANSI);
 * try_element_at gives null there; both raise INVALID_INDEX_OF_ZERO for 0
 * in either mode. get counts from 0 and gives null out of bounds. arr[i]
 * is expr/bind.c's EX_INDEX. */
#include "expr/internal.h"

enum { ELEMENT_AT, TRY_ELEMENT_AT, GET };

static int ev_element(const sl_expr *e, const sl_value *row, sl_arena *a,
		      sl_value *out, sl_err *err)
{
	sl_value arr, idx;
	int rc;
	if ((rc = sl_eval_child(e->args[0], row, a, &arr, err)) ||
	    (rc = sl_eval_child(e->args[1], row, a, &idx, err)))
		return rc;
	*out = sl_v_null();
	if (arr.type != SL_ARRAY || idx.type != SL_INT)
		return 0;
	int64_t i = idx.v.i32;
	if (e->op == GET) {
		if (i >= 0 && i < arr.len)
			*out = arr.v.arr[i];
		return 0;
	}
	if (i == 0)
		return sl_runtime_error(
			err, "INVALID_INDEX_OF_ZERO",
			"The index 0 is invalid. An index "
			"shall be either < 0 or > 0 (the first "
			"element has index 1). SQLSTATE: 22003");
	int64_t k = i > 0 ? i - 1 : (int64_t)arr.len + i;
	if (k >= 0 && k < arr.len) {
		*out = arr.v.arr[k];
		return 0;
	}
	if (e->op == ELEMENT_AT && (e->flags & EXF_ANSI))
		return sl_runtime_error(
			err, "INVALID_ARRAY_INDEX_IN_ELEMENT_AT",
			"The index %lld is out of bounds. The array has %u "
			"elements. Use `try_element_at` to tolerate accessing "
			"element at invalid index and return NULL instead. "
			"SQLSTATE: 22003",
			(long long)i, arr.len);
	return 0;
}

int sl_bind_element_at(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id != SL_ARRAY) {
		char tb[128];
		sl_dtype_name(t, tb, sizeof(tb));
		return sl_type_mismatch(err, e,
					"argument 1 requires array type, "
					"however, '%s' is of %s type",
					e->args[0]->sql, tb);
	}
	int rc = sl_coerce(cx, &e->args[1], &sl_dtype_int, err);
	if (rc)
		return rc;
	e->op = !strcmp(e->fn->name, "get")		 ? GET
		: !strcmp(e->fn->name, "try_element_at") ? TRY_ELEMENT_AT
							 : ELEMENT_AT;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = t->elem;
	e->eval = ev_element;
	return 0;
}
