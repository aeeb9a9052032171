/* expr/interval.c - the ANSI interval types and TIMESTAMP_NTZ in
 * expressions: their casts (to and from strings, exact numbers and each
 * other), and the arithmetic Spark defines on them: a timestamp or date
 * plus or minus an interval (months clamped to the month's end), the
 * difference of two timestamps or dates, intervals added, negated,
 * multiplied and divided by numbers, with Spark's result types, names
 * and overflow errors. The text and month arithmetic are
 * core/interval.c's. */
#include <math.h>
#include <stdio.h>

#include "core/decimal.h"
#include "core/interval.h"
#include "expr/internal.h"

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

static bool is_ts(const sl_dtype *t)
{
	return t->id == SL_TIMESTAMP || t->id == SL_TIMESTAMP_NTZ;
}

static bool is_exact(sl_type t)
{
	return t == SL_INT || t == SL_LONG || t == SL_BYTE || t == SL_SHORT ||
	       t == SL_DECIMAL;
}

/* Spark raises a bare java.lang.ArithmeticException here; its text is
 * kept after the class */
static int overflow(sl_err *err, const char *what)
{
	return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
				"ArithmeticException: %s overflow. "
				"SQLSTATE: 22003",
				what);
}

/* ---- casts ------------------------------------------------------------ */

bool sl_interval_can_cast(const sl_dtype *from, const sl_dtype *to)
{
	sl_type f = from->id, t = to->id;
	if (sl_is_interval(to))
		return f == SL_STRING || f == t || is_exact(f);
	return t == SL_STRING || is_exact(t);
}

/* microseconds (or months) per unit of a type's end field */
static int64_t end_unit(const sl_dtype *t)
{
	static const int64_t dt[] = { SL_US_PER_DAY, SL_US_PER_HOUR,
				      SL_US_PER_MINUTE, SL_US_PER_SECOND };
	return t->id == SL_INTERVAL_YM ? (t->scale == SL_IV_YEAR ? 12 : 1)
				       : dt[t->scale];
}

static int cast_overflow(sl_err *err, const sl_value *in, const sl_dtype *from,
			 const sl_dtype *to)
{
	return sl_cast_error(err, "CAST_OVERFLOW", "due to an overflow",
			     "Use `try_cast` to tolerate overflow and return "
			     "NULL instead. SQLSTATE: 22003",
			     in, from, to);
}

static sl_value make_iv(__int128 v, const sl_dtype *t, bool *ok)
{
	if (t->id == SL_INTERVAL_YM) {
		*ok = v >= INT32_MIN && v <= INT32_MAX;
		return sl_v_interval_ym((int32_t)v, t);
	}
	*ok = v >= INT64_MIN && v <= INT64_MAX;
	return sl_v_interval_dt((int64_t)v, t);
}

int sl_cast_interval(const sl_value *in, const sl_dtype *from,
		     const sl_dtype *to, sl_arena *a, sl_value *out,
		     sl_err *err)
{
	*out = sl_v_null();
	bool ok = true;
	if (in->type == SL_STRING && sl_is_interval(to)) {
		char why[300];
		if (!sl_interval_parse_fields(in->v.str, in->len, to, true, 1,
					      out, why, sizeof(why)))
			return 0;
		*out = sl_v_null();
		return sl_runtime_error(
			err, "INVALID_INTERVAL_FORMAT.UNMATCHED_FORMAT_STRING",
			"Error parsing '%.*s' to interval. %s",
			(int)(in->len > 100 ? 100 : in->len), in->v.str, why);
	}
	if (sl_is_interval(to) && in->type == to->id) {
		/* to the new end field, toward zero */
		int64_t u = end_unit(to);
		if (to->id == SL_INTERVAL_YM)
			*out = sl_v_interval_ym(in->v.i32 - in->v.i32 % (int32_t)u, to);
		else
			*out = sl_v_interval_dt(in->v.i64 - in->v.i64 % u, to);
		return 0;
	}
	if (sl_is_interval(to)) {
		/* an exact number counts the end field's units */
		__int128 v, u = end_unit(to);
		if (in->type == SL_DECIMAL) {
			int s = in->pad[1];
			__int128 x = sl_v_dec_get(in), p = sl_decimal_pow10(s);
			if (to->id == SL_INTERVAL_DT && to->scale == SL_IV_SECOND) {
				/* seconds keep their microseconds; past 2^100
				 * no interval holds it (and x * 10^6 stays in
				 * range below) */
				if (x > ((__int128)1 << 100) || -x > ((__int128)1 << 100))
					return cast_overflow(err, in, from, to);
				v = s <= 6 ? x * sl_decimal_pow10(6 - s)
					   : x / sl_decimal_pow10(s - 6);
			} else {
				v = x / p;
				if (v > INT64_MAX || v < INT64_MIN)
					return cast_overflow(err, in, from, to);
				v *= u;
			}
		} else {
			v = in->type == SL_LONG ? in->v.i64 : in->v.i32;
			v *= u;
		}
		*out = make_iv(v, to, &ok);
		if (!ok) {
			*out = sl_v_null();
			return cast_overflow(err, in, from, to);
		}
		return 0;
	}
	/* an interval to an exact number: whole units of its end field */
	int64_t u = end_unit(from);
	int64_t x = in->type == SL_INTERVAL_YM ? in->v.i32 : in->v.i64;
	if (to->id == SL_DECIMAL) {
		sl_decimal v;
		sl_decimal_type ft;
		if (from->id == SL_INTERVAL_DT && from->scale == SL_IV_SECOND) {
			v = x;
			ft = sl_decimal_type_make(19, 6);
		} else {
			v = x / u;
			ft = sl_decimal_type_make(19, 0);
		}
		sl_decimal r;
		if (sl_decimal_rescale(v, ft,
				       sl_decimal_type_make(to->precision,
							    to->scale),
				       SL_DECIMAL_HALF_UP, &r) ||
		    !sl_decimal_fits(r, sl_decimal_type_make(to->precision,
							     to->scale)))
			return cast_overflow(err, in, from, to);
		*out = sl_v_dec(r, to->precision, to->scale, a);
		return 0;
	}
	int64_t q = x / u;
	int64_t lo = to->id == SL_LONG	 ? INT64_MIN
		     : to->id == SL_INT	 ? INT32_MIN
		     : to->id == SL_SHORT ? INT16_MIN
					  : INT8_MIN;
	int64_t hi = to->id == SL_LONG	 ? INT64_MAX
		     : to->id == SL_INT	 ? INT32_MAX
		     : to->id == SL_SHORT ? INT16_MAX
					  : INT8_MAX;
	if (q < lo || q > hi)
		return cast_overflow(err, in, from, to);
	*out = to->id == SL_LONG ? sl_v_long(q) : sl_v_int((int32_t)q);
	return 0;
}

/* ---- names ------------------------------------------------------------ */

/* e's sql and spelled text from fmt (two %s: the operands' texts) */
static void name2(sl_bind_ctx *cx, sl_expr *e, const char *fmt, sl_expr *x,
		  sl_expr *y)
{
	sl_sql_of(cx, x);
	sl_sql_of(cx, y);
	sl_buf w;
	sl_buf_init(&w, cx->a, 64);
	sl_buf_printf(&w, fmt, x->sql, y->sql);
	e->sql = sl_buf_cstr(&w);
	sl_buf_init(&w, cx->a, 64);
	sl_buf_printf(&w, fmt, sl_spelled_sql(x), sl_spelled_sql(y));
	e->spelled = sl_buf_cstr(&w);
	e->spelled_of = e->sql;
}

/* ---- evaluators -------------------------------------------------------- */

static int ev_ts_dt(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	int64_t d = y->v.i64, r;
	if (e->op == '-' ? __builtin_sub_overflow(x->v.i64, d, &r)
			 : __builtin_add_overflow(x->v.i64, d, &r))
		return overflow(err, "long");
	*out = sl_v_ts(r);
	out->type = (uint8_t)e->type->id;
	return 0;
}

static int ev_ts_ym(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	int64_t m = e->op == '-' ? -(int64_t)y->v.i32 : y->v.i32, r;
	if (m > INT32_MAX || !sl_ts_add_months(x->v.i64, (int32_t)m, &r))
		return overflow(err, "long");
	*out = sl_v_ts(r);
	out->type = (uint8_t)e->type->id;
	return 0;
}

static int ev_date_ym(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	int64_t m = e->op == '-' ? -(int64_t)y->v.i32 : y->v.i32;
	int32_t r;
	if (m > INT32_MAX || !sl_date_add_months(x->v.i32, (int32_t)m, &r))
		return overflow(err, "integer");
	*out = sl_v_date(r);
	return 0;
}

static int ev_date_days(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	int64_t d = y->v.i64 / SL_US_PER_DAY;
	int64_t r = e->op == '-' ? (int64_t)x->v.i32 - d : (int64_t)x->v.i32 + d;
	if (r < INT32_MIN || r > INT32_MAX)
		return overflow(err, "integer");
	*out = sl_v_date((int32_t)r);
	return 0;
}

/* timestamps minus timestamps, dates minus dates (in days) */
static int ev_diff(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	int64_t r;
	if (x->type == SL_DATE
		    ? __builtin_mul_overflow((int64_t)x->v.i32 - y->v.i32,
					     SL_US_PER_DAY, &r)
		    : __builtin_sub_overflow(x->v.i64, y->v.i64, &r))
		return overflow(err, "long");
	*out = sl_v_interval_dt(r, e->type);
	return 0;
}

/* Spark's error of interval + - and unary minus overflowing */
static int iv_overflow(sl_err *err, const char *try_fn)
{
	if (!try_fn)
		return sl_runtime_error(err, "INTERVAL_ARITHMETIC_OVERFLOW",
					"Integer overflow while operating "
					"with intervals. SQLSTATE: 22015");
	return sl_runtime_error(err, "INTERVAL_ARITHMETIC_OVERFLOW",
				"Integer overflow while operating with "
				"intervals. Use `%s` to tolerate overflow and "
				"return NULL instead. SQLSTATE: 22015",
				try_fn);
}

static int ev_iv_add(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	const char *try_fn = e->op == '-' ? "try_subtract" : "try_add";
	if (e->type->id == SL_INTERVAL_YM) {
		int32_t r;
		if (e->op == '-' ? __builtin_sub_overflow(x->v.i32, y->v.i32, &r)
				 : __builtin_add_overflow(x->v.i32, y->v.i32, &r))
			return iv_overflow(err, try_fn);
		*out = sl_v_interval_ym(r, e->type);
	} else {
		int64_t r;
		if (e->op == '-' ? __builtin_sub_overflow(x->v.i64, y->v.i64, &r)
				 : __builtin_add_overflow(x->v.i64, y->v.i64, &r))
			return iv_overflow(err, try_fn);
		*out = sl_v_interval_dt(r, e->type);
	}
	return 0;
}

/* -v of an interval value in place; abs's overflow is ARITHMETIC_OVERFLOW,
 * the minus's INTERVAL_ARITHMETIC_OVERFLOW, as in Spark */
static int negate(sl_value *v, bool abs, sl_err *err)
{
	if (v->type == SL_INTERVAL_YM ? v->v.i32 == INT32_MIN
				      : v->v.i64 == INT64_MIN)
		return abs ? sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					      "overflow. SQLSTATE: 22003")
			   : iv_overflow(err, NULL);
	if (v->type == SL_INTERVAL_YM)
		v->v.i32 = -v->v.i32;
	else
		v->v.i64 = -v->v.i64;
	return 0;
}

static int ev_iv_neg(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	return negate(out, false, err);
}

static int ev_iv_plus(EV_ARGS)
{
	return sl_eval_child(e->args[0], row, a, out, err);
}

/* n / d rounded half away from zero (Guava's HALF_UP) */
static __int128 div_half_up(__int128 n, __int128 d)
{
	__int128 q = n / d, r = n % d;
	__int128 ar = r < 0 ? -r : r, ad = d < 0 ? -d : d;
	if (2 * ar >= ad)
		q += (n < 0) == (d < 0) ? 1 : -1;
	return q;
}

static double round_half_up(double v)
{
	return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
}

/* interval (args[0]) times or divided by a number (args[1]) */
static int ev_iv_scale(EV_ARGS)
{
	SL_EVAL_OPERANDS();
	bool ym = x->type == SL_INTERVAL_YM, div = e->op == '/';
	__int128 iv = ym ? x->v.i32 : x->v.i64, r;
	double dr = 0;
	bool use_d = false;
	if (y->type == SL_DOUBLE || y->type == SL_FLOAT) {
		double n = y->type == SL_DOUBLE ? y->v.f64 : y->v.f32;
		if (div && n == 0)
			goto zero;
		dr = round_half_up(div ? (double)iv / n : (double)iv * n);
		use_d = true;
	} else if (y->type == SL_DECIMAL) {
		__int128 u = sl_v_dec_get(y);
		int s = y->pad[1];
		if (div && u == 0)
			goto zero;
		if (s > 18) {
			double n = sl_decimal_to_double(u, sl_decimal_type_make(
								   y->pad[0], s));
			dr = round_half_up(div ? (double)iv / n : (double)iv * n);
			use_d = true;
		} else if (div) {
			r = div_half_up(iv * sl_decimal_pow10(s), u);
		} else {
			__int128 m;
			if (__builtin_mul_overflow(iv, u, &m))
				goto ovf;
			r = div_half_up(m, sl_decimal_pow10(s));
		}
	} else {
		int64_t n = y->type == SL_LONG ? y->v.i64 : y->v.i32;
		if (div && n == 0)
			goto zero;
		r = div ? div_half_up(iv, n) : iv * n;
	}
	if (use_d) {
		if (!(dr >= -9.3e18 && dr <= 9.3e18))
			goto ovf;
		r = (__int128)dr;
	}
	bool ok;
	*out = make_iv(r, e->type, &ok);
	if (ok)
		return 0;
ovf:
	return overflow(err, ym ? "integer" : "long");
zero:
	return sl_runtime_error(err, "INTERVAL_DIVIDED_BY_ZERO",
				"Division by zero. Use `try_divide` to "
				"tolerate divisor being 0 and return NULL "
				"instead. SQLSTATE: 22012");
}

/* ---- binding ----------------------------------------------------------- */

static int refuse(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	char ta[64], tb[64];
	sl_dtype_name(e->args[0]->type, ta, sizeof(ta));
	sl_dtype_name(e->args[1]->type, tb, sizeof(tb));
	return sl_type_mismatch_cls(
		err, e, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
		"'%s' cannot combine %s and %s", sl_sql_of(cx, e), ta, tb);
}

static void swap_args(sl_expr *e)
{
	sl_expr *t = e->args[0];
	e->args[0] = e->args[1];
	e->args[1] = t;
}

static int ev_iv_abs(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	bool neg = out->type == SL_INTERVAL_YM ? out->v.i32 < 0 : out->v.i64 < 0;
	return neg ? negate(out, true, err) : 0;
}

int sl_bind_interval_abs(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = e->args[0]->type;
	e->eval = ev_iv_abs;
	return 0;
}

int sl_bind_interval_neg(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = e->args[0]->type;
	e->eval = e->op ? ev_iv_plus : ev_iv_neg;
	return 0;
}

/* an interval times or divided by a number */
static int bind_scale(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (!sl_is_interval(e->args[0]->type))
		swap_args(e); /* Spark names it interval first */
	const sl_dtype *n = e->args[1]->type;
	const sl_dtype *t = n->id == SL_DECIMAL ? n
			    : n->id == SL_INT || n->id == SL_LONG ||
				      n->id == SL_BYTE || n->id == SL_SHORT
				    ? &sl_dtype_long
				    : &sl_dtype_double;
	if (n->id != SL_NULL && n->id != SL_STRING && !sl_is_numeric(n))
		return refuse(cx, e, err);
	int rc = sl_coerce(cx, &e->args[1], t, err);
	if (rc)
		return rc;
	e->type = e->args[0]->type->id == SL_INTERVAL_YM
			  ? sl_dtype_interval_ym()
			  : sl_dtype_interval_dt();
	e->eval = ev_iv_scale;
	name2(cx, e, e->op == '*' ? "(%s * %s)" : "(%s / %s)", e->args[0],
	      e->args[1]);
	return 0;
}

int sl_bind_interval_arith(sl_bind_ctx *cx, sl_expr *e, bool *handled,
			   sl_err *err)
{
	const sl_dtype *l = e->args[0]->type, *r = e->args[1]->type;
	bool li = sl_is_interval(l), ri = sl_is_interval(r);
	bool ldt = is_ts(l) || l->id == SL_DATE, rdt = is_ts(r) || r->id == SL_DATE;
	int rc;
	*handled = true;
	if ((e->op == '*' && (li || ri)) || (e->op == '/' && li))
		return li && ri ? refuse(cx, e, err) : bind_scale(cx, e, err);
	if (e->op != '+' && e->op != '-') {
		*handled = false;
		return 0;
	}
	if (li && ri) {
		const sl_dtype *t = sl_interval_wider(l, r);
		if (!t)
			return refuse(cx, e, err);
		if ((rc = sl_coerce(cx, &e->args[0], t, err)) ||
		    (rc = sl_coerce(cx, &e->args[1], t, err)))
			return rc;
		e->type = t;
		e->eval = ev_iv_add;
		return 0;
	}
	if (ldt && rdt && e->op == '-') {
		if (l->id == SL_DATE && r->id == SL_DATE) {
			e->type = sl_dtype_interval(SL_INTERVAL_DT, SL_IV_DAY,
						    SL_IV_DAY);
		} else {
			const sl_dtype *t =
				l->id == SL_TIMESTAMP || r->id == SL_TIMESTAMP
					? &sl_dtype_timestamp
					: &sl_dtype_timestamp_ntz;
			if ((rc = sl_coerce(cx, &e->args[0], t, err)) ||
			    (rc = sl_coerce(cx, &e->args[1], t, err)))
				return rc;
			e->type = sl_dtype_interval_dt();
		}
		e->eval = ev_diff;
		return 0;
	}
	if (!(li && rdt) && !(ldt && ri)) {
		*handled = false;
		return 0;
	}
	if (li) {
		if (e->op == '-')
			return refuse(cx, e, err);
		swap_args(e); /* Spark names it datetime first */
	}
	sl_expr *d = e->args[0], *iv = e->args[1];
	const char *fmt = e->op == '-' ? "%s - %s" : "%s + %s";
	if (d->type->id == SL_DATE && iv->type->id == SL_INTERVAL_YM) {
		e->type = &sl_dtype_date;
		e->eval = ev_date_ym;
	} else if (d->type->id == SL_DATE && iv->type->precision == SL_IV_DAY &&
		   iv->type->scale == SL_IV_DAY) {
		e->type = &sl_dtype_date;
		e->eval = ev_date_days;
		fmt = e->op == '-'
			      ? "date_add(%s, (- extractansiintervaldays(%s)))"
			      : "date_add(%s, extractansiintervaldays(%s))";
	} else {
		if (d->type->id == SL_DATE &&
		    (rc = sl_coerce(cx, &e->args[0], &sl_dtype_timestamp, err)))
			return rc;
		e->type = e->args[0]->type;
		e->eval = iv->type->id == SL_INTERVAL_YM ? ev_ts_ym : ev_ts_dt;
	}
	name2(cx, e, fmt, e->args[0], e->args[1]);
	return 0;
}
