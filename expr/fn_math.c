/* expr/fn_math.c - Spark's math functions beyond expr/func.c's abs and
 * round: the double functions (sqrt, exp, the logarithms, trigonometric
 * and hyperbolic functions, pow, atan2, hypot), floor/ceil, sign, pmod,
 * mod, greatest/least, width_bucket, bround, factorial, the shifts and
 * bit functions. conv, bin and the number bases are expr/fn_base.c's.
 *
 * The double functions take their arguments as doubles (ints, strings
 * and nulls cast) and give doubles; Spark's logarithms give null for an
 * argument at or below their asymptote rather than NaN or -Infinity. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/decimal.h"
#include "expr/fn.h"

/* ---- the double functions --------------------------------------------- */

typedef double (*d1_fn)(double);

/* The cube root nearest the exact one (Java's gives 3.0 for 27, glibc's
 * cbrt 3.0000000000000004): cbrt's result or a neighbour, whichever
 * cube, in long double, is closest to x. */
static double d_cbrt(double x)
{
	double r = cbrt(x);
	if (!isfinite(r) || r == 0)
		return r;
	double best = r;
	long double err = fabsl((long double)r * r * r - x);
	double c[2] = { nextafter(r, -INFINITY), nextafter(r, INFINITY) };
	for (int i = 0; i < 2; i++) {
		long double d = fabsl((long double)c[i] * c[i] * c[i] - x);
		if (d < err) {
			err = d;
			best = c[i];
		}
	}
	return best;
}

static double d_cot(double x)
{
	return 1 / tan(x);
}

static double d_sec(double x)
{
	return 1 / cos(x);
}

static double d_csc(double x)
{
	return 1 / sin(x);
}

static double d_degrees(double x)
{
	return x * (180.0 / M_PI);
}

static double d_radians(double x)
{
	return x / 180.0 * M_PI;
}

static double d_signum(double x)
{
	return isnan(x) ? x : (x > 0) - (x < 0);
}

/* Java's Math.rint: round half even */
static double d_rint(double x)
{
	return nearbyint(x);
}

static double d_asinh(double x)
{
	/* Spark's formula, not C's asinh: they differ in the last bit */
	return isinf(x) ? x
	       : x < 0	? -log(-x + sqrt(x * x + 1.0))
			: log(x + sqrt(x * x + 1.0));
}

static double d_acosh(double x)
{
	return log(x + sqrt(x * x - 1.0));
}

static double d_atanh(double x)
{
	return 0.5 * (log1p(x) - log1p(-x));
}

static const struct d1 {
	const char *name;
	d1_fn f;
	bool has_floor; /* null at or below floor (the logarithms) */
	double floor;
} d1s[] = {
	/* Spark names these in capitals (SQRT(x)) but for ln, rint and
	 * sign (d1_lower) */
	{ "acos", acos, false, 0 },	  { "acosh", d_acosh, false, 0 },
	{ "asin", asin, false, 0 },	  { "asinh", d_asinh, false, 0 },
	{ "atan", atan, false, 0 },	  { "atanh", d_atanh, false, 0 },
	{ "cbrt", d_cbrt, false, 0 },	  { "cos", cos, false, 0 },
	{ "cosh", cosh, false, 0 },	  { "cot", d_cot, false, 0 },
	{ "csc", d_csc, false, 0 },	  { "degrees", d_degrees, false, 0 },
	{ "exp", exp, false, 0 },	  { "expm1", expm1, false, 0 },
	{ "ln", log, true, 0 },		  { "log10", log10, true, 0 },
	{ "log1p", log1p, true, -1 },	  { "log2", log2, true, 0 },
	{ "radians", d_radians, false, 0 }, { "rint", d_rint, false, 0 },
	{ "sec", d_sec, false, 0 },	  { "sign", d_signum, false, 0 },
	{ "signum", d_signum, false, 0 }, { "sin", sin, false, 0 },
	{ "sinh", sinh, false, 0 },	  { "sqrt", sqrt, false, 0 },
	{ "tan", tan, false, 0 },	  { "tanh", tanh, false, 0 },
};

static int ev_d1(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const struct d1 *f = e->aux;
	if (f->has_floor && x.v.f64 <= f->floor) {
		*out = sl_v_null();
		return 0;
	}
	*out = sl_v_double(f->f(x.v.f64));
	return 0;
}

static int bind_d1(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	/* log(x) with one argument is ln(x) */
	const char *name = strcmp(e->fn->name, "log") ? e->fn->name : "ln";
	for (size_t i = 0; i < sizeof(d1s) / sizeof(d1s[0]); i++)
		if (!strcmp(d1s[i].name, name))
			e->aux = &d1s[i];
	e->type = &sl_dtype_double;
	e->eval = ev_d1;
	int rc = sl_fn_double_arg(cx, e, 0, err);
	if (rc)
		return rc;
	if (!strcmp(e->fn->name, "log"))
		sl_fn_rename(cx, e, "LOG(E(), ", NULL);
	else if (strcmp(name, "ln") && strcmp(name, "rint") &&
		 strcmp(name, "sign"))
		sl_fn_rename(cx, e, NULL, NULL);
	return 0;
}

/* pow, atan2, hypot, log(base, x) */
static int ev_d2(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	double p = x.v.f64, q = y.v.f64, r;
	switch (e->fn->name[1]) {
	case 'o':
		if (e->fn->name[2] == 'g') { /* log(base, x) */
			if (p <= 0 || q <= 0) {
				*out = sl_v_null();
				return 0;
			}
			r = log(q) / log(p);
		} else {
			r = pow(p, q);
		}
		break;
	case 't': r = atan2(p, q); break;
	default: r = hypot(p, q); break;
	}
	*out = sl_v_double(r);
	return 0;
}

static int bind_d2(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (!strcmp(e->fn->name, "log") && e->nargs == 1)
		return bind_d1(cx, e, err);
	int rc;
	if ((rc = sl_fn_double_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_double_arg(cx, e, 1, err)))
		return rc;
	if (strcmp(e->fn->name, "pow")) /* pow is POWER's alias */
		sl_fn_rename(cx, e, NULL, NULL);
	e->type = &sl_dtype_double;
	e->eval = ev_d2;
	return 0;
}

static int ev_const(FN_EV_ARGS)
{
	*out = sl_v_double(e->fn->name[0] == 'e' ? M_E : M_PI);
	return 0;
}

static int bind_const(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_fn_rename(cx, e, NULL, NULL);
	e->type = &sl_dtype_double;
	e->eval = ev_const;
	return 0;
}

/* ---- floor, ceil ------------------------------------------------------ */

static int64_t d_to_long(double d)
{
	/* Java's (long) cast: saturating, NaN 0 */
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

static int ev_floor_ceil(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	if (x.type == SL_DOUBLE) {
		double d = e->fn->name[0] == 'f' ? floor(x.v.f64)
						 : ceil(x.v.f64);
		*out = sl_v_long(d_to_long(d));
	} else {
		*out = sl_v_long(x.type == SL_LONG ? x.v.i64 : x.v.i32);
	}
	return 0;
}

static int bind_floor_ceil(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	int rc;
	if (t->id == SL_STRING || t->id == SL_NULL)
		t = &sl_dtype_double;
	if (!sl_is_numeric(t))
		return sl_fn_arg_type_error(e, 0, "\"NUMERIC\"", err);
	if ((int)t->id == SL_BYTE || (int)t->id == SL_SHORT)
		t = &sl_dtype_long;
	if ((rc = sl_coerce(cx, &e->args[0], t, err)))
		return rc;
	/* FLOOR(x), CEIL(x); the alias ceiling keeps its name */
	if (strcmp(e->fn->name, "ceiling"))
		sl_fn_rename(cx, e, NULL, NULL);
	/* a decimal stays one: DECIMAL(p - s + 1, 0), or its own type at
	 * scale 0 */
	if (t->id == SL_DECIMAL) {
		e->type = t;
		rc = sl_dec_bind_round_mode(cx, e, 0,
					    e->fn->name[0] == 'f'
						    ? SL_DECIMAL_FLOOR
						    : SL_DECIMAL_CEILING);
		if (!t->scale)
			e->type = t; /* already whole: its own type */
		return rc;
	}
	e->type = &sl_dtype_long;
	e->eval = ev_floor_ceil;
	return 0;
}

/* ---- mod, pmod -------------------------------------------------------- */

static int ev_hidden(FN_EV_ARGS)
{
	return sl_eval_child(e->aux, row, a, out, err);
}

/* mod(a, b) is a % b, bound as the operator would be */
static int bind_mod(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_expr *op = sl_fn_hidden_op(cx, e, EX_ARITH, '%', err);
	if (!op)
		return err->code ? err->code : SL_EANALYSIS;
	e->aux = op;
	e->type = op->type;
	e->eval = ev_hidden;
	return 0;
}

static int divide_by_zero(sl_err *err)
{
	return sl_runtime_error(
		err, "REMAINDER_BY_ZERO",
		"Remainder by zero. Use `try_mod` to tolerate divisor being "
		"0 and return NULL instead. If necessary set "
		"\"spark.sql.ansi.enabled\" to \"false\" to bypass this "
		"error. SQLSTATE: 22012");
}

/* pmod(a, b): the remainder made positive; 0 divisor: null, or ANSI's
 * error. */
static int ev_pmod(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	bool ansi = e->flags & EXF_ANSI;
	*out = x;
	if (x.type == SL_DOUBLE) {
		double r;
		if (y.v.f64 == 0) {
			if (ansi)
				return divide_by_zero(err);
			*out = sl_v_null();
			return 0;
		}
		r = fmod(x.v.f64, y.v.f64);
		if (r < 0)
			r = fmod(r + y.v.f64, y.v.f64);
		out->v.f64 = r;
		return 0;
	}
	int64_t p = x.type == SL_LONG ? x.v.i64 : x.v.i32;
	int64_t q = y.type == SL_LONG ? y.v.i64 : y.v.i32;
	if (q == 0) {
		if (ansi)
			return divide_by_zero(err);
		*out = sl_v_null();
		return 0;
	}
	int64_t r = q == -1 ? 0 : p % q;
	if (r < 0)
		r = q == -1 ? 0 : (r + q) % q;
	if (x.type == SL_LONG)
		out->v.i64 = r;
	else
		out->v.i32 = (int32_t)r;
	return 0;
}

static int bind_pmod(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t;
	int rc = sl_fn_common_args(cx, e, 0, &t, err);
	if (rc)
		return rc;
	if (t->id == SL_STRING || t->id == SL_NULL)
		t = &sl_dtype_double;
	if (!sl_is_numeric(t))
		return sl_fn_arg_type_error(e, 0, "\"NUMERIC\"", err);
	for (uint32_t i = 0; i < 2; i++)
		if ((rc = sl_coerce(cx, &e->args[i], t, err)))
			return rc;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = t;
	e->eval = ev_pmod;
	return 0;
}

/* ---- greatest, least -------------------------------------------------- */

static int ev_extreme(FN_EV_ARGS)
{
	int want = e->fn->name[0] == 'g' ? 1 : -1;
	*out = sl_v_null();
	for (uint32_t i = 0; i < e->nargs; i++) {
		sl_value v;
		int rc = sl_fn_arg(e, i, row, a, &v, err);
		if (rc)
			return rc;
		if (v.type == SL_NULL)
			continue;
		if (out->type == SL_NULL || sl_value_cmp(&v, out) * want > 0)
			*out = v;
	}
	return 0;
}

static int bind_extreme(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_extreme;
	return sl_fn_common_args(cx, e, 0, &e->type, err);
}

/* ---- width_bucket ----------------------------------------------------- */

static int ev_width_bucket(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, v);
	FN_ARG_OR_NULL(1, lo);
	FN_ARG_OR_NULL(2, hi);
	FN_ARG_OR_NULL(3, nb);
	double x = v.v.f64, mn = lo.v.f64, mx = hi.v.f64;
	int64_t n = nb.v.i64;
	*out = sl_v_null();
	if (n <= 0 || n == INT64_MAX || isnan(x) || mn == mx || isnan(mn) ||
	    isinf(mn) || isnan(mx) || isinf(mx))
		return 0;
	double lower = fmin(mn, mx), upper = fmax(mn, mx);
	int64_t r;
	if (mn < mx)
		r = x < lower	 ? 0
		    : x >= upper ? n + 1
				 : d_to_long((double)n * (x - lower) /
					     (upper - lower)) +
					   1;
	else
		r = x > upper	 ? 0
		    : x <= lower ? n + 1
				 : d_to_long((double)n * (upper - x) /
					     (upper - lower)) +
					   1;
	*out = sl_v_long(r);
	return 0;
}

static int bind_width_bucket(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = 0;
	for (uint32_t i = 0; i < 3 && !rc; i++)
		rc = sl_fn_double_arg(cx, e, i, err);
	if (rc || (rc = sl_fn_int_arg(cx, e, 3, &sl_dtype_long, err)))
		return rc;
	e->type = &sl_dtype_long;
	e->eval = ev_width_bucket;
	return 0;
}

/* ---- bround ----------------------------------------------------------- */

double sl_round_double(double x, int d, bool half_even)
{
	if (!isfinite(x))
		return x;
	if (x == 0)
		return half_even ? 0.0 : x; /* bround(-0.0) is 0.0 */
	char dig[24], buf[64];
	int ex, n = sl_double_digits(x, dig, &ex);
	int keep = ex + d;
	if (keep >= n)
		return x;
	if (keep < 0)
		return 0.0;
	bool up;
	if (!half_even || dig[keep] != '5') {
		up = dig[keep] >= '5';
	} else {
		bool rest = false;
		for (int k = keep + 1; k < n; k++)
			rest |= dig[k] != '0';
		up = rest || (keep > 0 && (dig[keep - 1] - '0') % 2 == 1);
	}
	if (up) {
		int k = keep - 1;
		while (k >= 0 && dig[k] == '9')
			dig[k--] = '0';
		if (k >= 0) {
			dig[k]++;
		} else {
			/* 9.99 -> 10.0: one more digit in front */
			memmove(dig + 1, dig, (size_t)keep);
			dig[0] = '1';
			keep++;
			ex++;
		}
	}
	if (keep == 0)
		return 0.0;
	snprintf(buf, sizeof(buf), "%s0.%.*se%d", x < 0 ? "-" : "", keep, dig,
		 ex);
	return strtod(buf, NULL);
}

static int64_t bround_int(int64_t v, int d)
{
	if (d >= 0)
		return v;
	if (d < -18)
		return 0;
	int64_t f = 1;
	for (int i = 0; i < -d; i++)
		f *= 10;
	int64_t r = v % f, base = v - r;
	int64_t twice = r < 0 ? -r * 2 : r * 2;
	bool odd = (base / f) % 2 != 0;
	if (twice > f || (twice == f && odd))
		base += r >= 0 ? f : -f;
	return base;
}

static int ev_bround(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	int d = (int)(intptr_t)e->aux;
	*out = x;
	if (x.type == SL_DOUBLE)
		out->v.f64 = sl_round_double(x.v.f64, d, true);
	else if (x.type == SL_LONG)
		out->v.i64 = bround_int(x.v.i64, d);
	else
		out->v.i32 = (int32_t)bround_int(x.v.i32, d);
	return 0;
}

static int bind_bround(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id == SL_STRING || t->id == SL_NULL)
		t = &sl_dtype_double;
	if (!sl_is_numeric(t))
		return sl_fn_arg_type_error(e, 0, "\"NUMERIC\"", err);
	int rc = sl_coerce(cx, &e->args[0], t, err);
	if (rc)
		return rc;
	int64_t d = 0;
	if (e->nargs > 1) {
		const sl_expr *s = e->args[1];
		if (s->kind != EX_LIT ||
		    (s->lit.type != SL_INT && s->lit.type != SL_LONG))
			return sl_type_mismatch(err, e,
						"the scale of bround must be a "
						"constant integer, not %s",
						s->sql);
		d = s->lit.type == SL_INT ? s->lit.v.i32 : s->lit.v.i64;
		if (d < -400 || d > 400)
			d = d < 0 ? -400 : 400;
	} else {
		e->sql = sl_fn_append_sql(cx, e->sql, ", 0");
	}
	e->aux = (const void *)(intptr_t)d;
	e->type = t;
	e->eval = ev_bround;
	if (t->id == SL_DECIMAL)
		return sl_dec_bind_round_mode(cx, e, (int)d,
					      SL_DECIMAL_HALF_EVEN);
	return 0;
}

/* ---- factorial -------------------------------------------------------- */

static int ev_factorial(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	if (x.v.i32 < 0 || x.v.i32 > 20) {
		*out = sl_v_null();
		return 0;
	}
	int64_t f = 1;
	for (int32_t k = 2; k <= x.v.i32; k++)
		f *= k;
	*out = sl_v_long(f);
	return 0;
}

static int bind_factorial(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_long;
	e->eval = ev_factorial;
	return sl_fn_int_arg(cx, e, 0, &sl_dtype_int, err);
}

/* ---- shifts, bit_count, bit_get --------------------------------------- */

static int ev_shift(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, n);
	bool left = e->op == 0, uns = e->op == 2;
	*out = x;
	if (x.type == SL_LONG) {
		unsigned s = (unsigned)n.v.i32 & 63;
		uint64_t u = (uint64_t)x.v.i64;
		out->v.i64 = left ? (int64_t)(u << s)
			     : uns ? (int64_t)(u >> s)
				   : x.v.i64 >> s;
	} else {
		unsigned s = (unsigned)n.v.i32 & 31;
		uint32_t u = (uint32_t)x.v.i32;
		out->v.i32 = left ? (int32_t)(u << s)
			     : uns ? (int32_t)(u >> s)
				   : x.v.i32 >> s;
	}
	return 0;
}

/* A fractional argument of a shift cast to INT, as Spark's implicit
 * casts do (1.5 << 1 is 2). */
static void fraction_to_int(sl_bind_ctx *cx, sl_expr *e, uint32_t i)
{
	sl_expr *x = e->args[i];
	int id = x->type->id;
	if (id != SL_DOUBLE && id != SL_FLOAT && id != SL_DECIMAL)
		return;
	sl_expr *c = sl_arena_calloc(cx->a, sizeof(*c));
	c->kind = EX_CAST;
	c->flags = EXF_BOUND | EXF_IMPLICIT | (cx->ansi ? EXF_ANSI : 0);
	c->pos = x->pos;
	c->col = -1;
	c->nargs = 1;
	c->args = sl_arena_alloc(cx->a, sizeof(*c->args));
	c->args[0] = x;
	c->type = &sl_dtype_int;
	c->sql = x->sql;
	c->spelled = x->spelled;
	c->spelled_of = x->spelled_of;
	c->name = x->name;
	c->eval = sl_eval_cast;
	e->args[i] = c;
}

int sl_fn_bind_shift(sl_bind_ctx *cx, sl_expr *e, int kind, sl_err *err)
{
	fraction_to_int(cx, e, 0);
	fraction_to_int(cx, e, 1);
	const sl_dtype *t =
		e->args[0]->type->id == SL_LONG ? &sl_dtype_long : &sl_dtype_int;
	int rc;
	if ((rc = sl_fn_int_arg(cx, e, 0, t, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)))
		return rc;
	e->op = (uint8_t)kind;
	e->type = t;
	e->eval = ev_shift;
	return 0;
}

/* shiftleft, shiftright, shiftrightunsigned */
static int bind_shift(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const char *f = e->fn->name;
	return sl_fn_bind_shift(cx, e, f[5] == 'l' ? 0 : strlen(f) > 10 ? 2 : 1,
				err);
}

static int ev_bit_count(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	uint64_t u = x.type == SL_LONG ? (uint64_t)x.v.i64
		     : x.type == SL_BOOL ? (uint64_t)x.v.b
					 : (uint64_t)(int64_t)x.v.i32;
	*out = sl_v_int(__builtin_popcountll(u));
	return 0;
}

static int bind_bit_count(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_bit_count;
	if (e->args[0]->type->id == SL_BOOL)
		return 0;
	const sl_dtype *t =
		e->args[0]->type->id == SL_LONG ? &sl_dtype_long : &sl_dtype_int;
	return sl_fn_int_arg(cx, e, 0, t, err);
}

static int ev_bit_get(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, p);
	int bits = x.type == SL_LONG ? 64 : 32;
	if (p.v.i32 < 0 || p.v.i32 >= bits)
		return sl_runtime_error(
			err, "INVALID_PARAMETER_VALUE.BIT_POSITION_RANGE",
			"The value of parameter(s) `pos` in `%s` is invalid: "
			"expects an integer value in [0, %d), but got %d. "
			"SQLSTATE: 22023",
			e->fn->name, bits, p.v.i32);
	uint64_t u = x.type == SL_LONG ? (uint64_t)x.v.i64
				       : (uint64_t)(uint32_t)x.v.i32;
	*out = sl_v_int((int32_t)(u >> p.v.i32 & 1));
	out->type = SL_INT;
	return 0;
}

static int bind_bit_get(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t =
		e->args[0]->type->id == SL_LONG ? &sl_dtype_long : &sl_dtype_int;
	int rc;
	if ((rc = sl_fn_int_arg(cx, e, 0, t, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)))
		return rc;
	e->type = &sl_dtype_byte;
	e->eval = ev_bit_get;
	return 0;
}

/* ---- the group -------------------------------------------------------- */

#define D1(n, desc, ex) { n, 1, 1, 0, bind_d1, n "(expr)", desc, ex }

const sl_func sl_funcs_math[] = {
	D1("acos", "The inverse cosine of expr (NaN outside [-1, 1]).",
	   "acos(1)"),
	D1("acosh", "The inverse hyperbolic cosine of expr.", "acosh(1)"),
	D1("asin", "The inverse sine of expr (NaN outside [-1, 1]).",
	   "asin(0)"),
	D1("asinh", "The inverse hyperbolic sine of expr.", "asinh(0)"),
	D1("atan", "The inverse tangent of expr.", "atan(0)"),
	{ "atan2", 2, 2, 0, bind_d2, "atan2(exprY, exprX)",
	  "The angle of the point (exprX, exprY) in radians.", "atan2(0, 0)" },
	D1("atanh", "The inverse hyperbolic tangent of expr.", "atanh(0)"),
	{ "bit_count", 1, 1, 0, bind_bit_count, "bit_count(expr)",
	  "The number of bits set in expr's two's complement (a negative INT "
	  "counts as a BIGINT).",
	  "bit_count(0)" },
	{ "bit_get", 2, 2, 0, bind_bit_get, "bit_get(expr, pos)",
	  "The bit (0 or 1) at position pos, counted from the right from 0.",
	  "bit_get(11, 0)" },
	{ "bround", 1, 2, 0, bind_bround, "bround(expr[, d])",
	  "expr rounded to d decimal places (default 0) with HALF_EVEN "
	  "rounding.",
	  "bround(2.5e0, 0)" },
	D1("cbrt", "The cube root of expr.", "cbrt(27.0)"),
	{ "ceil", 1, 1, 0, bind_floor_ceil, "ceil(expr)",
	  "The smallest integer not smaller than expr, as a BIGINT.",
	  "ceil(-0.1e0)" },
	{ "ceiling", 1, 1, 0, bind_floor_ceil, "ceiling(expr)",
	  "The smallest integer not smaller than expr, as a BIGINT.",
	  "ceiling(5)" },
	D1("cos", "The cosine of expr (radians).", "cos(0)"),
	D1("cosh", "The hyperbolic cosine of expr.", "cosh(0)"),
	D1("cot", "The cotangent of expr (radians).", "cot(1)"),
	D1("csc", "The cosecant of expr (radians).", "csc(1)"),
	D1("degrees", "Converts radians to degrees.", "degrees(3.141592653589793)"),
	{ "e", 0, 0, 0, bind_const, "e()", "Euler's number.", "e()" },
	D1("exp", "e to the power of expr.", "exp(0)"),
	D1("expm1", "exp(expr) - 1.", "expm1(0)"),
	{ "factorial", 1, 1, 0, bind_factorial, "factorial(expr)",
	  "The factorial of expr, null outside [0, 20].", "factorial(5)" },
	{ "floor", 1, 1, 0, bind_floor_ceil, "floor(expr)",
	  "The largest integer not greater than expr, as a BIGINT.",
	  "floor(-0.1e0)" },
	{ "greatest", 2, -1, 0, bind_extreme, "greatest(expr, ...)",
	  "The greatest argument, skipping nulls (null if all are).",
	  "greatest(10, 9, 2, 4, 3)" },
	{ "hypot", 2, 2, 0, bind_d2, "hypot(expr1, expr2)",
	  "sqrt(expr1^2 + expr2^2) without overflow.", "hypot(3, 4)" },
	{ "least", 2, -1, 0, bind_extreme, "least(expr, ...)",
	  "The least argument, skipping nulls (null if all are).",
	  "least(10, 9, 2, 4, 3)" },
	D1("ln", "The natural logarithm of expr (null for expr <= 0).",
	   "ln(1)"),
	{ "log", 1, 2, 0, bind_d2, "log([base, ]expr)",
	  "The logarithm of expr in base (default e); null for a base or "
	  "expr <= 0.",
	  "log(10, 100)" },
	D1("log10", "The base-10 logarithm of expr (null for expr <= 0).",
	   "log10(10)"),
	D1("log1p", "ln(1 + expr) (null for expr <= -1).", "log1p(0)"),
	D1("log2", "The base-2 logarithm of expr (null for expr <= 0).",
	   "log2(2)"),
	{ "mod", 2, 2, 0, bind_mod, "mod(expr1, expr2)",
	  "The remainder of expr1 / expr2, as expr1 % expr2.", "mod(2, 1.8e0)" },
	{ "pi", 0, 0, 0, bind_const, "pi()",
	  "Pi, the ratio of a circle's circumference to its diameter.", "pi()" },
	{ "pmod", 2, 2, 0, bind_pmod, "pmod(expr1, expr2)",
	  "The positive remainder of expr1 mod expr2; 0 divisor: null, or "
	  "REMAINDER_BY_ZERO with ANSI on.",
	  "pmod(-10, 3)" },
	{ "pow", 2, 2, 0, bind_d2, "pow(expr1, expr2)",
	  "expr1 to the power of expr2.", "pow(2, 3)" },
	{ "power", 2, 2, 0, bind_d2, "power(expr1, expr2)",
	  "expr1 to the power of expr2.", "power(2, 3)" },
	D1("radians", "Converts degrees to radians.", "radians(180)"),
	D1("rint", "The double nearest expr that is an integer (halves to "
		   "even).",
	   "rint(12.3456)"),
	D1("sec", "The secant of expr (radians).", "sec(0)"),
	{ "rand", 0, 1, 0, sl_fn_bind_rand, "rand([seed])",
	  "A uniform random double in [0, 1): Spark's sequence for a seed, "
	  "per partition.",
	  "rand(0) < 1" },
	{ "randn", 0, 1, 0, sl_fn_bind_rand, "randn([seed])",
	  "A standard normal random double: Spark's sequence for a seed, "
	  "per partition.",
	  "randn(0) < 10" },
	{ "random", 0, 1, 0, sl_fn_bind_rand, "random([seed])",
	  "rand's other name.", "random(0) < 1" },
	{ "shiftleft", 2, 2, 0, bind_shift, "shiftleft(base, expr)",
	  "Bitwise left shift (the shift taken mod the width).",
	  "shiftleft(2, 1)" },
	{ "shiftright", 2, 2, 0, bind_shift, "shiftright(base, expr)",
	  "Bitwise (signed) right shift.", "shiftright(4, 1)" },
	{ "shiftrightunsigned", 2, 2, 0, bind_shift,
	  "shiftrightunsigned(base, expr)", "Bitwise unsigned right shift.",
	  "shiftrightunsigned(-4, 1)" },
	D1("sign", "-1.0, 0.0 or 1.0 as expr is negative, zero or positive.",
	   "sign(40)"),
	D1("signum", "-1.0, 0.0 or 1.0 as expr is negative, zero or "
		     "positive.",
	   "signum(-40)"),
	D1("sin", "The sine of expr (radians).", "sin(0)"),
	D1("sinh", "The hyperbolic sine of expr.", "sinh(0)"),
	D1("sqrt", "The square root of expr (NaN for a negative expr).",
	   "sqrt(4)"),
	D1("tan", "The tangent of expr (radians).", "tan(0)"),
	D1("tanh", "The hyperbolic tangent of expr.", "tanh(0)"),
	{ "width_bucket", 4, 4, 0, bind_width_bucket,
	  "width_bucket(value, min_value, max_value, num_bucket)",
	  "The bucket value falls in among num_bucket equal-width buckets "
	  "between min and max (0 and num_bucket + 1 outside).",
	  "width_bucket(5.3, 0.2, 10.6, 5)" },
	{ "uuid", 0, 0, 0, sl_fn_bind_uuid, "uuid()",
	  "A random (version 4) UUID as 36 characters.", "length(uuid())" },
};
const size_t sl_funcs_math_n = SL_NFUNCS(sl_funcs_math);
