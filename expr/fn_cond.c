/* expr/fn_cond.c - Spark's conditional and null functions: if, ifnull,
 * nvl, nvl2, nullif, equal_null, nanvl, zeroifnull, nullifzero,
 * assert_true and raise_error (coalesce is expr/func.c's).
 *
 * Branches are evaluated lazily, as in Spark: if(c, x, raise_error(...))
 * raises only for the rows that take the error's branch. */
#include <math.h>
#include <stdio.h>

#include "expr/fn.h"

/* ---- if --------------------------------------------------------------- */

static int ev_if(FN_EV_ARGS)
{
	sl_value c;
	int rc = sl_fn_arg(e, 0, row, a, &c, err);
	if (rc)
		return rc;
	return sl_fn_arg(e, c.type == SL_BOOL && c.v.b ? 1 : 2, row, a, out,
			 err);
}

static int bind_if(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_bool_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_common_args(cx, e, 1, &e->type, err)))
		return rc;
	/* Spark's If names itself (IF(c, x, y)) */
	sl_fn_rename(cx, e, "(IF(", ")");
	e->eval = ev_if;
	return 0;
}

/* ---- ifnull, nvl, nvl2 ------------------------------------------------ */

static int ev_ifnull(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (rc || out->type != SL_NULL)
		return rc;
	return sl_fn_arg(e, 1, row, a, out, err);
}

static int bind_ifnull(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_ifnull;
	return sl_fn_common_args(cx, e, 0, &e->type, err);
}

static int ev_nvl2(FN_EV_ARGS)
{
	sl_value x;
	int rc = sl_fn_arg(e, 0, row, a, &x, err);
	if (rc)
		return rc;
	return sl_fn_arg(e, x.type != SL_NULL ? 1 : 2, row, a, out, err);
}

static int bind_nvl2(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_nvl2;
	return sl_fn_common_args(cx, e, 1, &e->type, err);
}

/* ---- nullif, equal_null: through a comparison node -------------------- */

/* A comparison of e's first two arguments, bound as `a = b` would be,
 * kept in e->aux. */
static int bind_hidden_cmp(sl_bind_ctx *cx, sl_expr *e, int op, sl_err *err)
{
	e->aux = sl_fn_hidden_op(cx, e, EX_CMP, op, err);
	return e->aux ? 0 : (err->code ? err->code : SL_EANALYSIS);
}

/* nullif(a, b): null when a = b, else a (of a's own type). */
static int ev_nullif(FN_EV_ARGS)
{
	const sl_expr *cmp = e->aux;
	sl_value eq;
	int rc = sl_eval_child(cmp, row, a, &eq, err);
	if (rc)
		return rc;
	if (eq.type == SL_BOOL && eq.v.b) {
		*out = sl_v_null();
		return 0;
	}
	return sl_fn_arg(e, 0, row, a, out, err);
}

static int bind_nullif(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = e->args[0]->type;
	e->eval = ev_nullif;
	return bind_hidden_cmp(cx, e, CMP_EQ, err);
}

static int ev_equal_null(FN_EV_ARGS)
{
	return sl_eval_child(e->aux, row, a, out, err);
}

static int bind_equal_null(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_bool;
	e->eval = ev_equal_null;
	return bind_hidden_cmp(cx, e, CMP_NSEQ, err);
}

/* ---- nanvl, zeroifnull, nullifzero ------------------------------------ */

static int ev_nanvl(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (rc || out->type == SL_NULL || !isnan(out->v.f64))
		return rc;
	return sl_fn_arg(e, 1, row, a, out, err);
}

static int bind_nanvl(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_double_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_double_arg(cx, e, 1, err)))
		return rc;
	e->type = &sl_dtype_double;
	e->eval = ev_nanvl;
	return 0;
}

static sl_value zero_of(const sl_dtype *t)
{
	if (t->id == SL_DOUBLE)
		return sl_v_double(0);
	if (t->id == SL_LONG)
		return sl_v_long(0);
	return sl_v_int(0);
}

static bool is_zero(const sl_value *v)
{
	switch (v->type) {
	case SL_DOUBLE: return v->v.f64 == 0;
	case SL_LONG: return v->v.i64 == 0;
	case SL_INT: return v->v.i32 == 0;
	default: return false;
	}
}

static int ev_zeroifnull(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (!rc && out->type == SL_NULL)
		*out = zero_of(e->type);
	return rc;
}

static int ev_nullifzero(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (!rc && is_zero(out))
		*out = sl_v_null();
	return rc;
}

static int bind_zero(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id == SL_NULL)
		t = &sl_dtype_int;
	if (!sl_is_numeric(t))
		return sl_fn_arg_type_error(e, 0, "\"NUMERIC\"", err);
	e->type = t;
	e->eval = e->fn->name[0] == 'z' ? ev_zeroifnull : ev_nullifzero;
	return sl_coerce(cx, &e->args[0], t, err);
}

/* ---- assert_true, raise_error ----------------------------------------- */

static int user_error(sl_err *err, const char *msg, size_t n)
{
	return sl_runtime_error(err, "USER_RAISED_EXCEPTION",
				"%.*s SQLSTATE: P0001", (int)n, msg);
}

static int ev_raise_error(FN_EV_ARGS)
{
	sl_value m;
	int rc = sl_fn_arg(e, 0, row, a, &m, err);
	if (rc)
		return rc;
	if (m.type == SL_NULL)
		return user_error(err, "null", 4);
	return user_error(err, m.v.str, m.len);
}

static int bind_raise_error(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_null;
	e->eval = ev_raise_error;
	/* Spark names it by the error it raises */
	sl_fn_rename(cx, e,
		     "raise_error(USER_RAISED_EXCEPTION, map(errorMessage, ",
		     ")");
	return sl_fn_string_arg(cx, e, 0, err);
}

static int ev_assert_true(FN_EV_ARGS)
{
	sl_value c;
	int rc = sl_fn_arg(e, 0, row, a, &c, err);
	if (rc)
		return rc;
	if (c.type == SL_BOOL && c.v.b) {
		*out = sl_v_null();
		return 0;
	}
	if (e->nargs > 1) {
		sl_value m;
		if ((rc = sl_fn_arg(e, 1, row, a, &m, err)))
			return rc;
		if (m.type == SL_NULL)
			return user_error(err, "null", 4);
		return user_error(err, m.v.str, m.len);
	}
	const char *msg = e->args[0]->sql;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "'%s' is not true!", msg);
	return user_error(err, buf, n < 0 ? 0 : (size_t)n < sizeof(buf)
						   ? (size_t)n
						   : sizeof(buf) - 1);
}

static int bind_assert_true(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_bool_arg(cx, e, 0, err)) ||
	    (e->nargs > 1 && (rc = sl_fn_string_arg(cx, e, 1, err))))
		return rc;
	if (e->nargs == 1) { /* Spark names it with its default message */
		sl_buf w;
		sl_buf_init(&w, cx->a, 64);
		sl_buf_printf(&w, ", '%s' is not true!", e->args[0]->sql);
		sl_fn_rename(cx, e, "assert_true(", sl_buf_cstr(&w));
	}
	e->type = &sl_dtype_null;
	e->eval = ev_assert_true;
	return 0;
}

/* ---- the group -------------------------------------------------------- */

const sl_func sl_funcs_cond[] = {
	{ "assert_true", 1, 2, 0, bind_assert_true, "assert_true(expr[, message])",
	  "Null when expr is true; otherwise raises USER_RAISED_EXCEPTION "
	  "(with message, if given).",
	  "assert_true(0 < 1)" },
	{ "equal_null", 2, 2, 0, bind_equal_null, "equal_null(expr1, expr2)",
	  "expr1 <=> expr2: equality where two nulls are equal and one null "
	  "is not.",
	  "equal_null(NULL, NULL)" },
	{ "if", 3, 3, 0, bind_if, "if(expr1, expr2, expr3)",
	  "expr2 when expr1 is true, else expr3 (only the branch taken is "
	  "evaluated).",
	  "if(1 < 2, 'a', 'b')" },
	{ "ifnull", 2, 2, 0, bind_ifnull, "ifnull(expr1, expr2)",
	  "expr2 when expr1 is null, else expr1.", "ifnull(NULL, array('2'))" },
	{ "nanvl", 2, 2, 0, bind_nanvl, "nanvl(expr1, expr2)",
	  "expr1 unless it is NaN, then expr2 (as doubles).",
	  "nanvl(cast('NaN' as double), 123)" },
	{ "nullif", 2, 2, 0, bind_nullif, "nullif(expr1, expr2)",
	  "Null when expr1 equals expr2, else expr1.", "nullif(2, 2)" },
	{ "nullifzero", 1, 1, 0, bind_zero, "nullifzero(expr)",
	  "Null when expr is 0, else expr.", "nullifzero(0)" },
	{ "nvl", 2, 2, 0, bind_ifnull, "nvl(expr1, expr2)",
	  "expr2 when expr1 is null, else expr1.", "nvl(NULL, array('2'))" },
	{ "nvl2", 3, 3, 0, bind_nvl2, "nvl2(expr1, expr2, expr3)",
	  "expr2 when expr1 is not null, else expr3.", "nvl2(NULL, 2, 1)" },
	{ "raise_error", 1, 1, 0, bind_raise_error, "raise_error(expr)",
	  "Raises USER_RAISED_EXCEPTION with expr as the message.",
	  "if(1 > 0, 1, raise_error('never'))" },
	{ "zeroifnull", 1, 1, 0, bind_zero, "zeroifnull(expr)",
	  "0 when expr is null, else expr.", "zeroifnull(NULL)" },
};
const size_t sl_funcs_cond_n = SL_NFUNCS(sl_funcs_cond);
