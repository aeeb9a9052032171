/* expr/decimal.c - DECIMAL(p,s) and FLOAT in expressions: the decimal
 * type an operand is seen as, the result types of + - * / % (Spark's
 * DecimalPrecision rules, core/decimal.h), their evaluation with Spark's
 * errors or nulls, unary minus, FLOAT arithmetic, and every cast to and
 * from a decimal. expr/bind.c and expr/cast.c call in here; the exact
 * arithmetic itself is core/decimal.c's. */
#include <math.h>
#include <stdio.h>

#include "core/decimal.h"
#include "expr/internal.h"

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

static sl_decimal_type dtype_dec(const sl_dtype *t)
{
	return sl_decimal_type_make(t->precision, t->scale);
}

static sl_decimal_type value_dec(const sl_value *v)
{
	return sl_decimal_type_make(v->pad[0], v->pad[1]);
}

static const sl_dtype *dec_dtype(sl_decimal_type t)
{
	return sl_dtype_decimal(t.precision, t.scale);
}

static int int_bits(const sl_dtype *t)
{
	switch ((int)t->id) {
	case SL_BYTE: return 8;
	case SL_SHORT: return 16;
	case SL_INT: return 32;
	case SL_LONG: return 64;
	default: return 0;
	}
}

const sl_dtype *sl_dec_type_of(const sl_dtype *t)
{
	if (t->id == SL_DECIMAL)
		return t;
	int bits = int_bits(t);
	return bits ? dec_dtype(sl_decimal_type_of_int(bits)) : NULL;
}

/* An operand beside a decimal: an integer literal is typed by its digits
 * (DecimalType.fromLiteral), an integer column by its type. */
static const sl_dtype *operand_dec(const sl_expr *c)
{
	/* only a literal as written: a folded CAST(1 AS TINYINT) is typed
	 * by its type, as Spark sees a Cast there */
	if (c->kind != EX_LIT || c->op)
		return sl_dec_type_of(c->type);
	if (c->lit.type == SL_INT && int_bits(c->type))
		return dec_dtype(sl_decimal_type_of_literal(c->lit.v.i32));
	if (c->lit.type == SL_LONG)
		return dec_dtype(sl_decimal_type_of_literal(c->lit.v.i64));
	return sl_dec_type_of(c->type);
}

/* ---- errors ------------------------------------------------------------ */

static int out_of_range(sl_err *err, const char *what, sl_decimal_type t)
{
	return sl_runtime_error(
		err, "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION",
		"%s cannot be represented as Decimal(%d, %d). If necessary set "
		"\"spark.sql.ansi.enabled\" to \"false\" to bypass this error, "
		"and return NULL instead. SQLSTATE: 22003",
		what, t.precision, t.scale);
}

/* ---- arithmetic -------------------------------------------------------- */

static int ev_dec_arith(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	int rc;
	sl_decimal l = sl_v_dec_get(x), r = sl_v_dec_get(y), res = 0;
	sl_decimal_type tl = value_dec(x), tr = value_dec(y);
	sl_decimal_type to = dtype_dec(e->type);
	switch (e->op) {
	case '+': rc = sl_decimal_add(l, tl, r, tr, to, &res); break;
	case '-': rc = sl_decimal_sub(l, tl, r, tr, to, &res); break;
	case '*': rc = sl_decimal_mul(l, tl, r, tr, to, &res); break;
	case '/': rc = sl_decimal_div(l, tl, r, tr, to, &res); break;
	default: rc = sl_decimal_mod(l, tl, r, tr, to, &res); break;
	}
	if (!rc) {
		*out = sl_v_dec(res, to.precision, to.scale, a);
		return 0;
	}
	if (rc == SL_DECIMAL_EIMPOSSIBLE)
		return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					"Division impossible in '%s'", e->sql);
	if (!(e->flags & EXF_ANSI)) {
		*out = sl_v_null();
		return 0;
	}
	if (rc == SL_DECIMAL_EDIVZERO)
		return e->op == '%'
			       ? sl_runtime_error(
					 err, "REMAINDER_BY_ZERO",
					 "Remainder by zero. Use `try_mod` to "
					 "tolerate divisor being 0 and return "
					 "NULL instead. SQLSTATE: 22012")
			       : sl_runtime_error(
					 err, "DIVIDE_BY_ZERO",
					 "Division by zero. Use `try_divide` "
					 "to tolerate divisor being 0 and "
					 "return NULL instead. SQLSTATE: "
					 "22012");
	char what[600];
	snprintf(what, sizeof(what), "The result of %s", e->sql ? e->sql : "");
	return out_of_range(err, what, to);
}

int sl_bind_dec_arith(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *dl = operand_dec(e->args[0]);
	const sl_dtype *dr = operand_dec(e->args[1]);
	if (e->args[0]->type->id == SL_STRING || e->args[0]->type->id == SL_NULL)
		dl = NULL;
	if (e->args[1]->type->id == SL_STRING || e->args[1]->type->id == SL_NULL)
		dr = NULL;
	/* NULL and strings take the other side's type (a string as
	 * DECIMAL(20,0) when the other side is one too). */
	if (!dl)
		dl = dr ? dr : dec_dtype(sl_decimal_type_of_int(64));
	if (!dr)
		dr = dl;
	int rc = sl_coerce(cx, &e->args[0], dl, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], dr, err);
	if (rc)
		return rc;
	sl_decimal_type l = dtype_dec(dl), r = dtype_dec(dr), t;
	switch (e->op) {
	case '+':
	case '-': t = sl_decimal_type_add(l, r); break;
	case '*': t = sl_decimal_type_mul(l, r); break;
	case '/': t = sl_decimal_type_div(l, r); break;
	default: t = sl_decimal_type_mod(l, r); break;
	}
	e->type = dec_dtype(t);
	e->eval = ev_dec_arith;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	return 0;
}

static int ev_dec_neg(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	sl_decimal_type t = value_dec(out);
	*out = sl_v_dec(sl_decimal_neg(sl_v_dec_get(out)), t.precision,
			t.scale, a);
	return 0;
}

/* FLOAT: Java's float arithmetic (a / b is a double in Spark) */
static int ev_float_arith(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	float l = x->v.f32, r = y->v.f32;
	switch (e->op) {
	case '+': *out = sl_v_float(l + r); break;
	case '-': *out = sl_v_float(l - r); break;
	case '*': *out = sl_v_float(l * r); break;
	default:
		if (r == 0) {
			if (e->flags & EXF_ANSI)
				return sl_runtime_error(
					err, "REMAINDER_BY_ZERO",
					"Remainder by zero. Use `try_mod` to "
					"tolerate divisor being 0 and return "
					"NULL instead. SQLSTATE: 22012");
			*out = sl_v_null();
		} else {
			*out = sl_v_float(fmodf(l, r));
		}
	}
	return 0;
}

static int ev_float_neg(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	out->v.f32 = -out->v.f32;
	return 0;
}

sl_eval_fn sl_dec_arith_fn(const sl_dtype *t)
{
	if (t->id == SL_DECIMAL)
		return ev_dec_arith;
	return t->id == SL_FLOAT ? ev_float_arith : NULL;
}

sl_eval_fn sl_dec_neg_fn(const sl_dtype *t)
{
	if (t->id == SL_DECIMAL)
		return ev_dec_neg;
	return t->id == SL_FLOAT ? ev_float_neg : NULL;
}

/* ---- casts --------------------------------------------------------------- */

/* A number or boolean as a double (FLOAT widened exactly). */
static bool as_double(const sl_value *in, double *d)
{
	switch (in->type) {
	case SL_DOUBLE: *d = in->v.f64; return true;
	case SL_FLOAT: *d = in->v.f32; return true;
	case SL_INT: *d = in->v.i32; return true;
	case SL_LONG: *d = (double)in->v.i64; return true;
	case SL_BOOL: *d = in->v.b; return true;
	case SL_DECIMAL:
		*d = sl_decimal_to_double(sl_v_dec_get(in), value_dec(in));
		return true;
	case SL_TIMESTAMP: *d = (double)in->v.i64 / 1e6; return true;
	default: return false;
	}
}

int sl_cast_dec(const sl_value *in, const sl_dtype *to, sl_arena *a,
		sl_value *out)
{
	*out = sl_v_null();
	int rc = 0;
	if (to->id == SL_DECIMAL) {
		sl_decimal_type t = dtype_dec(to);
		sl_decimal u = 0;
		switch (in->type) {
		case SL_DECIMAL:
			rc = sl_decimal_rescale(sl_v_dec_get(in), value_dec(in),
						t, SL_DECIMAL_HALF_UP, &u);
			break;
		case SL_INT: rc = sl_decimal_from_int64(in->v.i32, t, &u); break;
		case SL_LONG: rc = sl_decimal_from_int64(in->v.i64, t, &u); break;
		case SL_BOOL: rc = sl_decimal_from_bool(in->v.b, t, &u); break;
		case SL_STRING:
			rc = sl_decimal_parse(in->v.str, in->len, t, &u);
			break;
		case SL_DOUBLE:
			rc = sl_decimal_from_double(in->v.f64, t, &u);
			break;
		case SL_FLOAT:
			rc = sl_decimal_from_double(in->v.f32, t, &u);
			break;
		case SL_TIMESTAMP: {
			/* seconds, exactly: microseconds at scale 6 */
			sl_decimal_type us = sl_decimal_type_make(38, 6);
			rc = sl_decimal_rescale(in->v.i64, us, t,
						SL_DECIMAL_HALF_UP, &u);
			break;
		}
		default: return SL_DECIMAL_ESYNTAX;
		}
		if (!rc)
			*out = sl_v_dec(u, t.precision, t.scale, a);
		return rc;
	}
	/* from a decimal */
	sl_decimal u = sl_v_dec_get(in);
	sl_decimal_type t = value_dec(in);
	int64_t l;
	double d;
	switch ((int)to->id) {
	case SL_BYTE:
	case SL_SHORT:
	case SL_INT:
	case SL_LONG: {
		int bits = int_bits(to);
		rc = sl_decimal_to_int(u, t, bits, &l);
		*out = bits == 64 ? sl_v_long(l) : sl_v_int((int32_t)l);
		return rc;
	}
	case SL_BOOL: *out = sl_v_bool(sl_decimal_to_bool(u)); return 0;
	case SL_DOUBLE:
		*out = sl_v_double(sl_decimal_to_double(u, t));
		return 0;
	case SL_FLOAT:
		*out = sl_v_float((float)sl_decimal_to_double(u, t));
		return 0;
	case SL_TIMESTAMP: {
		sl_decimal us;
		rc = sl_decimal_rescale(u, t, sl_decimal_type_make(38, 6),
					SL_DECIMAL_DOWN, &us);
		if (rc || us > INT64_MAX || us < INT64_MIN)
			return SL_DECIMAL_EOVERFLOW;
		*out = sl_v_ts((int64_t)us);
		return 0;
	}
	default: (void)d; return SL_DECIMAL_ESYNTAX;
	}
}

void sl_cast_float(const sl_value *in, sl_value *out)
{
	double d;
	*out = sl_v_null();
	if (in->type == SL_STRING) {
		if (sl_str_to_double(in->v.str, in->len, &d))
			*out = sl_v_float((float)d);
	} else if (as_double(in, &d)) {
		*out = sl_v_float((float)d);
	}
}

int sl_cast_dec_ansi(const sl_value *in, const sl_dtype *from,
		     const sl_dtype *to, sl_arena *a, sl_value *out,
		     sl_err *err)
{
	int rc = sl_cast_dec(in, to, a, out);
	if (!rc)
		return 0;
	char ft[64], tt[64], val[200];
	sl_type_sql(from, ft, sizeof(ft));
	sl_type_sql(to, tt, sizeof(tt));
	sl_buf w;
	sl_buf_fixed(&w, val, sizeof(val));
	if (to->id == SL_DECIMAL && rc == SL_DECIMAL_EOVERFLOW) {
		sl_value_render_buf(&w, in);
		return out_of_range(err, sl_buf_cstr(&w), dtype_dec(to));
	}
	sl_value_sql_literal(&w, in);
	if (rc == SL_DECIMAL_ERANGE)
		return sl_runtime_error(
			err, "NUMERIC_OUT_OF_SUPPORTED_RANGE",
			"The value %s cannot be interpreted as a numeric since "
			"it has more than 38 digits. SQLSTATE: 22003",
			sl_buf_cstr(&w));
	if (rc == SL_DECIMAL_EOVERFLOW)
		return sl_runtime_error(
			err, "CAST_OVERFLOW",
			"The value %s of the type \"%s\" cannot be cast to "
			"\"%s\" due to an overflow. Use `try_cast` to tolerate "
			"overflow and return NULL instead. SQLSTATE: 22003",
			sl_buf_cstr(&w), ft, tt);
	if (in->type == SL_DOUBLE || in->type == SL_FLOAT) {
		/* NaN and the infinities: null, as Spark 4 gives them */
		*out = sl_v_null();
		return 0;
	}
	return sl_runtime_error(
		err, "CAST_INVALID_INPUT",
		"The value %s of the type \"%s\" cannot be cast to \"%s\" "
		"because it is malformed. Correct the value as per the "
		"syntax, or change its target type. Use `try_cast` to "
		"tolerate malformed input and return NULL instead. SQLSTATE: "
		"22018",
		sl_buf_cstr(&w), ft, tt);
}

/* ---- round ------------------------------------------------------------- */

static int ev_dec_round(EV_ARGS)
{
	sl_value x;
	int rc = sl_eval_child(e->args[0], row, a, &x, err);
	if (rc || x.type == SL_NULL) {
		*out = sl_v_null();
		return rc;
	}
	int scale = (int)(intptr_t)e->aux;
	sl_decimal_type tr = dtype_dec(e->type);
	sl_decimal u;
	/* col: the rounding mode (sl_dec_bind_round_mode) */
	if (sl_decimal_round(sl_v_dec_get(&x), value_dec(&x), scale,
			     (sl_decimal_round_mode)e->col, tr, &u))
		return out_of_range(err, "The rounded value", tr);
	*out = sl_v_dec(u, tr.precision, tr.scale, a);
	return 0;
}

/* Spark rounds a float through its decimal text, as a double does */
static int ev_float_round(EV_ARGS)
{
	sl_value x;
	int rc = sl_eval_child(e->args[0], row, a, &x, err);
	if (rc || x.type == SL_NULL) {
		*out = sl_v_null();
		return rc;
	}
	if (!isfinite(x.v.f32)) {
		*out = x;
		return 0;
	}
	char txt[40];
	size_t n = sl_fmt_float(x.v.f32, txt);
	sl_decimal_type big = sl_decimal_type_make(38, 18);
	sl_decimal u, r;
	int scale = (int)(intptr_t)e->aux;
	if (scale > 18 || sl_decimal_parse(txt, n, big, &u)) {
		*out = x;
		return 0;
	}
	sl_decimal_type tr = sl_decimal_type_round(big, scale);
	if (sl_decimal_round(u, big, scale, SL_DECIMAL_HALF_UP, tr, &r)) {
		*out = x;
		return 0;
	}
	*out = sl_v_float((float)sl_decimal_to_double(r, tr));
	return 0;
}

int sl_dec_bind_round(sl_bind_ctx *cx, sl_expr *e, int scale)
{
	return sl_dec_bind_round_mode(cx, e, scale, SL_DECIMAL_HALF_UP);
}

int sl_dec_bind_round_mode(sl_bind_ctx *cx, sl_expr *e, int scale,
			   int mode)
{
	e->col = mode;
	if (scale < -38)
		scale = -38;
	if (scale > 38)
		scale = 38;
	e->aux = (const void *)(intptr_t)scale;
	if (e->type->id == SL_FLOAT) {
		e->eval = ev_float_round;
		return 0;
	}
	e->type = dec_dtype(sl_decimal_type_round(dtype_dec(e->type), scale));
	e->eval = ev_dec_round;
	return 0;
}
