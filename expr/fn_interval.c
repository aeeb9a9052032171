/* expr/fn_interval.c - the constructors of timestamps and ANSI intervals:
 * make_timestamp_ntz and to_timestamp_ntz too,
 * make_timestamp(year, month, day, hour, min, sec) with sec a
 * DECIMAL(16,6), make_dt_interval(days, hours, mins, secs) and
 * make_ym_interval(years, months), their omitted arguments spelled out
 * in the name as Spark does, and Spark's errors for fields out of range
 * (null with ANSI off) and for overflow. */
#include <stdio.h>
#include <string.h>

#include "core/interval.h"
#include "expr/fn.h"

static int ov(sl_err *err, const char *what)
{
	return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
				"%s overflow. SQLSTATE: 22003", what);
}

static int iv_ov(sl_err *err)
{
	return sl_runtime_error(err, "INTERVAL_ARITHMETIC_OVERFLOW",
				"Integer overflow while operating with "
				"intervals. SQLSTATE: 22015");
}

/* The first n arguments into v: 0, an error's code, or 1 with *out
 * null when one is null. */
static int eval_args(const sl_expr *e, const sl_value *row, sl_arena *a,
		     sl_value *v, int n, sl_value *out, sl_err *err)
{
	for (int i = 0; i < n; i++) {
		int rc = sl_eval_child(e->args[i], row, a, &v[i], err);
		if (rc)
			return rc;
		if (v[i].type == SL_NULL) {
			*out = sl_v_null();
			return 1;
		}
	}
	return 0;
}

/* Argument i (a number) to DECIMAL(p,6): exact numbers and strings. */
static int dec_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, int p,
		   sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (!sl_is_numeric(t) && t->id != SL_STRING && t->id != SL_NULL)
		return sl_fn_arg_type_error(e, i, "\"DECIMAL\"", err);
	return sl_coerce(cx, &e->args[i], sl_dtype_decimal(p, 6), err);
}

/* ---- make_timestamp --------------------------------------------------- */

static int field_error(const sl_expr *e, sl_value *out, sl_err *err,
		       const char *field, int64_t v)
{
	if (!(e->flags & EXF_ANSI)) {
		*out = sl_v_null();
		return 0;
	}
	return sl_runtime_error(err, "DATETIME_FIELD_OUT_OF_BOUNDS",
				"Invalid value for %s: %lld. If necessary set "
				"\"spark.sql.ansi.enabled\" to \"false\" to "
				"bypass this error. SQLSTATE: 22023",
				field, (long long)v);
}

static int ev_make_ts(FN_EV_ARGS)
{
	sl_value v[6];
	int rc = eval_args(e, row, a, v, 6, out, err);
	if (rc)
		return rc > 0 ? 0 : rc;
	int64_t y = v[0].v.i32, mo = v[1].v.i32, d = v[2].v.i32;
	int64_t h = v[3].v.i32, mi = v[4].v.i32;
	sl_dec_u s = sl_v_dec_get(&v[5]);
	if (y < -290307 || y > 294247)
		return field_error(e, out, err, "YearOfEra", y);
	if (mo < 1 || mo > 12)
		return field_error(e, out, err, "MonthOfYear", mo);
	if (d < 1 || d > sl_days_in_month(y, (int)mo))
		return field_error(e, out, err, "DayOfMonth", d);
	if (h < 0 || h > 23)
		return field_error(e, out, err, "HourOfDay", h);
	if (mi < 0 || mi > 59)
		return field_error(e, out, err, "MinuteOfHour", mi);
	/* 60 seconds is the next minute, but only whole */
	if (s < 0 || s > 60000000 || (s >= 60000000 && s % 1000000))
		return field_error(e, out, err, "SecondOfMinute",
				   (int64_t)(s / 1000000));
	int64_t us;
	if (!sl_ts_compose(sl_days_from_civil(y, (int)mo, (int)d),
			   h * 3600 + mi * 60, (int64_t)s, &us))
		return ov(err, "long");
	*out = sl_v_ts(us);
	out->type = (uint8_t)e->type->id;
	return 0;
}

static int bind_make_ts(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < 5; i++) {
		int rc = sl_fn_int_arg(cx, e, i, &sl_dtype_int, err);
		if (rc)
			return rc;
	}
	int rc = dec_arg(cx, e, 5, 16, err);
	if (rc)
		return rc;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = strcmp(e->fn->name, "make_timestamp_ntz")
			  ? &sl_dtype_timestamp
			  : &sl_dtype_timestamp_ntz;
	e->eval = ev_make_ts;
	return 0;
}

/* ---- make_dt_interval, make_ym_interval -------------------------------- */

/* Appends the omitted arguments (literals of the texts in defs, each of
 * type types[i]) and names the call with them. */
static void fill_defaults(sl_bind_ctx *cx, sl_expr *e, uint32_t n,
			  const sl_value *defs, const sl_dtype *const *types)
{
	if (e->nargs >= n)
		return;
	sl_expr **args = sl_arena_alloc(cx->a, n * sizeof(*args));
	if (e->nargs) /* make_dt_interval() has no arguments at all */
		memcpy(args, e->args, e->nargs * sizeof(*args));
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	for (uint32_t i = e->nargs; i < n; i++) {
		sl_expr *l = sl_bind_new_node(cx, EX_LIT, e->pos);
		l->lit = defs[i];
		l->type = types[i];
		int rc = sl_bind_node(cx, &l, NULL);
		(void)rc;
		args[i] = l;
		sl_buf_printf(&w, "%s%s", i ? ", " : "", l->sql);
	}
	e->sql = sl_fn_append_sql(cx, e->sql, sl_buf_cstr(&w));
	e->spelled = NULL;
	e->spelled_of = e->sql;
	e->args = args;
	e->nargs = n;
}

static int ev_make_dt(FN_EV_ARGS)
{
	sl_value v[4];
	int rc = eval_args(e, row, a, v, 4, out, err);
	if (rc)
		return rc > 0 ? 0 : rc;
	__int128 us = (__int128)v[0].v.i32 * SL_US_PER_DAY +
		      (__int128)v[1].v.i32 * SL_US_PER_HOUR +
		      (__int128)v[2].v.i64 * SL_US_PER_MINUTE +
		      sl_v_dec_get(&v[3]);
	if (us > INT64_MAX || us < INT64_MIN)
		return iv_ov(err);
	*out = sl_v_interval_dt((int64_t)us, e->type);
	return 0;
}

static int bind_make_dt(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	static const sl_value defs[4] = {
		{ .type = SL_INT }, { .type = SL_INT }, { .type = SL_INT },
		{ .type = SL_DECIMAL, .pad = { 18, 6 } },
	};
	const sl_dtype *types[4] = { &sl_dtype_int, &sl_dtype_int,
				     &sl_dtype_int, sl_dtype_decimal(18, 6) };
	fill_defaults(cx, e, 4, defs, types);
	int rc = 0;
	for (uint32_t i = 0; i < 2 && !rc; i++)
		rc = sl_fn_int_arg(cx, e, i, &sl_dtype_int, err);
	if (!rc)
		rc = sl_fn_int_arg(cx, e, 2, &sl_dtype_long, err);
	if (!rc)
		rc = dec_arg(cx, e, 3, 18, err);
	e->type = sl_dtype_interval_dt();
	e->eval = ev_make_dt;
	return rc;
}

static int ev_make_ym(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, y);
	FN_ARG_OR_NULL(1, m);
	int64_t r = (int64_t)y.v.i32 * 12 + m.v.i32;
	if (r > INT32_MAX || r < INT32_MIN)
		return iv_ov(err);
	*out = sl_v_interval_ym((int32_t)r, e->type);
	return 0;
}

static int bind_make_ym(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	static const sl_value defs[2] = { { .type = SL_INT },
					  { .type = SL_INT } };
	const sl_dtype *types[2] = { &sl_dtype_int, &sl_dtype_int };
	fill_defaults(cx, e, 2, defs, types);
	int rc = sl_fn_int_arg(cx, e, 0, &sl_dtype_int, err);
	if (!rc)
		rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err);
	e->type = sl_dtype_interval_ym();
	e->eval = ev_make_ym;
	return rc;
}

const sl_func sl_funcs_interval[] = {
	{ "localtimestamp", 0, 0, 0, sl_bind_localtimestamp,
	  "localtimestamp()",
	  "The current time as a TIMESTAMP_NTZ on the session's (UTC) wall "
	  "clock.",
	  "localtimestamp() > TIMESTAMP_NTZ '2024-01-01 00:00:00'" },
	{ "make_dt_interval", 0, 4, 0, bind_make_dt,
	  "make_dt_interval([days[, hours[, mins[, secs]]]])",
	  "An INTERVAL DAY TO SECOND of the given days, hours, minutes and "
	  "seconds (with microseconds).",
	  "make_dt_interval(1, 12, 30, 01.001001)" },
	{ "make_timestamp", 6, 6, 0, bind_make_ts,
	  "make_timestamp(year, month, day, hour, min, sec)",
	  "The timestamp of those fields (sec with its fraction; 60 is the "
	  "next minute).",
	  "make_timestamp(2014, 12, 28, 6, 30, 45.887)" },
	{ "make_timestamp_ntz", 6, 6, 0, bind_make_ts,
	  "make_timestamp_ntz(year, month, day, hour, min, sec)",
	  "The TIMESTAMP_NTZ of those fields, as make_timestamp's.",
	  "make_timestamp_ntz(2014, 12, 28, 6, 30, 45.887)" },
	{ "to_timestamp_ntz", 1, 2, 0, sl_bind_to_timestamp_ntz,
	  "to_timestamp_ntz(timestamp_str[, fmt])",
	  "The text as a TIMESTAMP_NTZ, read with the datetime pattern fmt "
	  "if given (as to_timestamp).",
	  "to_timestamp_ntz('2016-12-31 00:12:00')" },
	{ "make_ym_interval", 0, 2, 0, bind_make_ym,
	  "make_ym_interval([years[, months]])",
	  "An INTERVAL YEAR TO MONTH of the given years and months.",
	  "make_ym_interval(1, 2)" },
};
const size_t sl_funcs_interval_n = SL_NFUNCS(sl_funcs_interval);
