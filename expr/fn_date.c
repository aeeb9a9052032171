/* expr/fn_date.c - Spark's date and time functions beyond expr/time.c's
 * (to_timestamp, to_date, date_format, current_*): date arithmetic
 * (date_add, date_sub, datediff, add_months, months_between, last_day,
 * next_day), truncation (trunc, date_trunc), the fields (year ... second,
 * dayofweek, weekofyear, date_part), make_date, and the epoch
 * conversions (timestamp_seconds/millis/micros, unix_seconds/millis/
 * micros, unix_date, date_from_unix_date, unix_timestamp,
 * from_unixtime).
 *
 * The session time zone is UTC (as expr/time.c's): a timestamp's date is
 * its UTC date. Date arguments take dates, timestamps and strings (cast);
 * timestamp arguments take timestamps, dates and strings. */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "expr/fn.h"

#define US_PER_DAY 86400000000LL
#define US_PER_S 1000000LL

static int date_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	int id = (int)e->args[i]->type->id;
	if (id != SL_DATE && id != SL_TIMESTAMP && id != SL_STRING &&
	    id != SL_NULL && id != SL_TIMESTAMP_NTZ)
		return sl_fn_arg_type_error(e, i, "\"DATE\"", err);
	return sl_coerce(cx, &e->args[i], &sl_dtype_date, err);
}

static int ts_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	int id = (int)e->args[i]->type->id;
	if (id != SL_DATE && id != SL_TIMESTAMP && id != SL_STRING &&
	    id != SL_NULL && id != SL_TIMESTAMP_NTZ)
		return sl_fn_arg_type_error(e, i, "\"TIMESTAMP\"", err);
	return sl_coerce(cx, &e->args[i], &sl_dtype_timestamp, err);
}

static int32_t ts_days(int64_t us)
{
	return (int32_t)sl_floor_div(us, US_PER_DAY);
}

/* ---- date_add, date_sub, datediff ------------------------------------- */

static int ev_date_add(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, d);
	FN_ARG_OR_NULL(1, n);
	int64_t r = e->fn->name[5] == 's' ? (int64_t)d.v.i32 - n.v.i32
					  : (int64_t)d.v.i32 + n.v.i32;
	*out = sl_v_date((int32_t)r);
	return 0;
}

static int bind_date_add(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = date_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)))
		return rc;
	e->type = &sl_dtype_date;
	e->eval = ev_date_add;
	return 0;
}

static int ev_datediff(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	*out = sl_v_int((int32_t)((int64_t)x.v.i32 - y.v.i32));
	return 0;
}

static int bind_datediff(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = date_arg(cx, e, 0, err)) || (rc = date_arg(cx, e, 1, err)))
		return rc;
	e->type = &sl_dtype_int;
	e->eval = ev_datediff;
	return 0;
}

/* ---- add_months, months_between, last_day, next_day ------------------- */

static int32_t add_months(int32_t days, int64_t n)
{
	int64_t y;
	int m, d;
	sl_civil_from_days(days, &y, &m, &d);
	int64_t mm = y * 12 + (m - 1) + n;
	y = sl_floor_div(mm, 12);
	m = (int)(mm - y * 12) + 1;
	int dim = sl_days_in_month(y, m);
	return (int32_t)sl_days_from_civil(y, m, d < dim ? d : dim);
}

static int ev_add_months(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, d);
	FN_ARG_OR_NULL(1, n);
	*out = sl_v_date(add_months(d.v.i32, n.v.i32));
	return 0;
}

static int bind_add_months(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_date;
	e->eval = ev_add_months;
	int rc = date_arg(cx, e, 0, err);
	return rc ? rc : sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err);
}

/* Spark's DateTimeUtils.monthsBetween: whole months when the days of
 * month match or both are month ends, else the difference in seconds
 * over 31-day months, rounded to 8 digits unless roundOff is false. */
static int ev_months_between(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, t1);
	FN_ARG_OR_NULL(1, t2);
	bool round = true;
	if (e->nargs > 2) {
		FN_ARG_OR_NULL(2, r);
		round = r.v.b;
	}
	int32_t d1 = ts_days(t1.v.i64), d2 = ts_days(t2.v.i64);
	int64_t y1, y2;
	int m1, m2, dd1, dd2;
	sl_civil_from_days(d1, &y1, &m1, &dd1);
	sl_civil_from_days(d2, &y2, &m2, &dd2);
	double months = (double)((y1 - y2) * 12 + m1 - m2);
	bool last1 = dd1 == sl_days_in_month(y1, m1);
	bool last2 = dd2 == sl_days_in_month(y2, m2);
	if (dd1 == dd2 || (last1 && last2)) {
		*out = sl_v_double(months);
		return 0;
	}
	int64_t s1 = (t1.v.i64 - (int64_t)d1 * US_PER_DAY) / US_PER_S;
	int64_t s2 = (t2.v.i64 - (int64_t)d2 * US_PER_DAY) / US_PER_S;
	double secs = (double)((int64_t)(dd1 - dd2) * 86400 + s1 - s2);
	double diff = months + secs / (31.0 * 86400);
	if (round)
		diff = floor(diff * 1e8 + 0.5) / 1e8;
	*out = sl_v_double(diff);
	return 0;
}

static int bind_months_between(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = ts_arg(cx, e, 0, err)) || (rc = ts_arg(cx, e, 1, err)))
		return rc;
	if (e->nargs > 2 && (rc = sl_fn_bool_arg(cx, e, 2, err)))
		return rc;
	if (e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ", true");
	e->type = &sl_dtype_double;
	e->eval = ev_months_between;
	return 0;
}

static int ev_last_day(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, d);
	int64_t y;
	int m, dd;
	sl_civil_from_days(d.v.i32, &y, &m, &dd);
	*out = sl_v_date(
		(int32_t)sl_days_from_civil(y, m, sl_days_in_month(y, m)));
	return 0;
}

static int bind_date1(sl_bind_ctx *cx, sl_expr *e, sl_err *err,
		      sl_eval_fn ev, const sl_dtype *t)
{
	e->type = t;
	e->eval = ev;
	return date_arg(cx, e, 0, err);
}

static int bind_last_day(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	return bind_date1(cx, e, err, ev_last_day, &sl_dtype_date);
}

/* 0 = Monday .. 6 = Sunday */
static int weekday(int32_t days)
{
	return (int)(((int64_t)days % 7 + 7 + 3) % 7);
}

/* Spark's day-of-week names: two letters, three, or the whole name */
static int day_of_week_name(const sl_value *s)
{
	static const char *const full[] = { "MONDAY", "TUESDAY", "WEDNESDAY",
					     "THURSDAY", "FRIDAY", "SATURDAY",
					     "SUNDAY" };
	for (int k = 0; k < 7; k++) {
		size_t n = strlen(full[k]);
		if ((s->len == 2 || s->len == 3 || s->len == n) &&
		    !strncasecmp(s->v.str, full[k], s->len))
			return k;
	}
	return -1;
}

static int ev_next_day(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, d);
	FN_ARG_OR_NULL(1, name);
	int want = day_of_week_name(&name);
	if (want < 0) {
		if (e->flags & EXF_ANSI)
			return sl_runtime_error(
				err, "ILLEGAL_DAY_OF_WEEK",
				"Illegal input for day of week: %.*s. "
				"SQLSTATE: 22009",
				(int)name.len, name.v.str);
		*out = sl_v_null();
		return 0;
	}
	int have = weekday(d.v.i32);
	int step = (want - have + 7) % 7;
	*out = sl_v_date(d.v.i32 + (step ? step : 7));
	return 0;
}

static int bind_next_day(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = date_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_string_arg(cx, e, 1, err)))
		return rc;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = &sl_dtype_date;
	e->eval = ev_next_day;
	return 0;
}

/* ---- trunc, date_trunc ------------------------------------------------ */

enum {
	TR_YEAR,
	TR_QUARTER,
	TR_MONTH,
	TR_WEEK,
	TR_DAY,
	TR_HOUR,
	TR_MINUTE,
	TR_SECOND,
	TR_MILLI,
	TR_MICRO,
};

static int trunc_level(const sl_value *f)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{ "YEAR", TR_YEAR },	     { "YYYY", TR_YEAR },
		{ "YY", TR_YEAR },	     { "QUARTER", TR_QUARTER },
		{ "MONTH", TR_MONTH },	     { "MM", TR_MONTH },
		{ "MON", TR_MONTH },	     { "WEEK", TR_WEEK },
		{ "DAY", TR_DAY },	     { "DD", TR_DAY },
		{ "HOUR", TR_HOUR },	     { "MINUTE", TR_MINUTE },
		{ "SECOND", TR_SECOND },     { "MILLISECOND", TR_MILLI },
		{ "MICROSECOND", TR_MICRO },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == f->len &&
		    !strncasecmp(names[i].name, f->v.str, f->len))
			return names[i].level;
	return -1;
}

static int32_t trunc_days(int32_t days, int level)
{
	int64_t y;
	int m, d;
	sl_civil_from_days(days, &y, &m, &d);
	switch (level) {
	case TR_YEAR: return (int32_t)sl_days_from_civil(y, 1, 1);
	case TR_QUARTER:
		return (int32_t)sl_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
	case TR_MONTH: return (int32_t)sl_days_from_civil(y, m, 1);
	case TR_WEEK: return days - weekday(days);
	default: return days;
	}
}

static int ev_trunc(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, d);
	FN_ARG_OR_NULL(1, f);
	int level = trunc_level(&f);
	if (level < 0 || level > TR_WEEK) {
		*out = sl_v_null();
		return 0;
	}
	*out = sl_v_date(trunc_days(d.v.i32, level));
	return 0;
}

static int bind_trunc(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = date_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_string_arg(cx, e, 1, err)))
		return rc;
	e->type = &sl_dtype_date;
	e->eval = ev_trunc;
	return 0;
}

static int ev_date_trunc(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, f);
	FN_ARG_OR_NULL(1, t);
	int level = trunc_level(&f);
	int64_t us = t.v.i64;
	static const int64_t unit[] = { [TR_HOUR] = 3600 * US_PER_S,
					[TR_MINUTE] = 60 * US_PER_S,
					[TR_SECOND] = US_PER_S,
					[TR_MILLI] = 1000,
					[TR_MICRO] = 1 };
	if (level < 0) {
		*out = sl_v_null();
		return 0;
	}
	if (level <= TR_DAY) {
		int32_t d = trunc_days(ts_days(us), level);
		*out = sl_v_ts((int64_t)d * US_PER_DAY);
		return 0;
	}
	int64_t u = unit[level];
	*out = sl_v_ts(sl_floor_div(us, u) * u);
	return 0;
}

static int bind_date_trunc(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_string_arg(cx, e, 0, err)) ||
	    (rc = ts_arg(cx, e, 1, err)))
		return rc;
	e->type = &sl_dtype_timestamp;
	e->eval = ev_date_trunc;
	return 0;
}

/* ---- the fields ------------------------------------------------------- */

enum {
	F_YEAR,
	F_QUARTER,
	F_MONTH,
	F_DAY,
	F_DOW,
	F_WEEKDAY,
	F_DOY,
	F_WEEK,
	F_HOUR,
	F_MINUTE,
	F_SECOND,
};

/* ISO 8601 week of the year (weeks start on Monday; week 1 holds the
 * year's first Thursday). */
static int iso_week(int32_t days)
{
	int32_t thursday = days - weekday(days) + 3;
	int64_t y;
	int m, d;
	sl_civil_from_days(thursday, &y, &m, &d);
	int32_t jan1 = (int32_t)sl_days_from_civil(y, 1, 1);
	return (thursday - jan1) / 7 + 1;
}

static int32_t field_of(int f, int64_t us, bool is_date)
{
	int32_t days = is_date ? (int32_t)us : ts_days(us);
	int64_t y;
	int m, d;
	sl_civil_from_days(days, &y, &m, &d);
	int64_t in_day = is_date ? 0 : us - (int64_t)days * US_PER_DAY;
	switch (f) {
	case F_YEAR: return (int32_t)y;
	case F_QUARTER: return (m - 1) / 3 + 1;
	case F_MONTH: return m;
	case F_DAY: return d;
	case F_DOW: return (weekday(days) + 1) % 7 + 1;
	case F_WEEKDAY: return weekday(days);
	case F_DOY:
		return days - (int32_t)sl_days_from_civil(y, 1, 1) + 1;
	case F_WEEK: return iso_week(days);
	case F_HOUR: return (int32_t)(in_day / (3600 * US_PER_S));
	case F_MINUTE: return (int32_t)(in_day / (60 * US_PER_S) % 60);
	default: return (int32_t)(in_day / US_PER_S % 60);
	}
}

static const struct field_name {
	const char *name;
	int field;
	bool time; /* takes a timestamp (else a date) */
} fields[] = {
	{ "year", F_YEAR, false },	  { "quarter", F_QUARTER, false },
	{ "month", F_MONTH, false },	  { "day", F_DAY, false },
	{ "dayofmonth", F_DAY, false },	  { "dayofweek", F_DOW, false },
	{ "weekday", F_WEEKDAY, false },  { "dayofyear", F_DOY, false },
	{ "weekofyear", F_WEEK, false },  { "hour", F_HOUR, true },
	{ "minute", F_MINUTE, true },	  { "second", F_SECOND, true },
};

static int ev_field(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const struct field_name *f = e->aux;
	*out = sl_v_int(field_of(f->field,
				 x.type == SL_DATE ? x.v.i32 : x.v.i64,
				 x.type == SL_DATE));
	return 0;
}

static int bind_field(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].name, e->fn->name))
			e->aux = &fields[i];
	const struct field_name *f = e->aux;
	e->type = &sl_dtype_int;
	e->eval = ev_field;
	return f->time ? ts_arg(cx, e, 0, err) : date_arg(cx, e, 0, err);
}

/* date_part(field, source) and its synonyms, with the field a literal */
static int bind_date_part(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	static const struct {
		const char *name;
		const char *fn;
	} syn[] = {
		{ "YEAR", "year" },	   { "Y", "year" },
		{ "YEARS", "year" },	   { "YR", "year" },
		{ "YRS", "year" },	   { "QUARTER", "quarter" },
		{ "QTR", "quarter" },	   { "MONTH", "month" },
		{ "MON", "month" },	   { "MONS", "month" },
		{ "MONTHS", "month" },	   { "WEEK", "weekofyear" },
		{ "W", "weekofyear" },	   { "WEEKS", "weekofyear" },
		{ "DAY", "day" },	   { "D", "day" },
		{ "DAYS", "day" },	   { "DAYOFWEEK", "dayofweek" },
		{ "DOW", "dayofweek" },	   { "DAYOFWEEK_ISO", NULL },
		{ "DOY", "dayofyear" },	   { "HOUR", "hour" },
		{ "H", "hour" },	   { "HOURS", "hour" },
		{ "HR", "hour" },	   { "HRS", "hour" },
		{ "MINUTE", "minute" },	   { "M", "minute" },
		{ "MIN", "minute" },	   { "MINS", "minute" },
		{ "MINUTES", "minute" },
	};
	const sl_expr *f = e->args[0];
	if (f->kind != EX_LIT || f->lit.type != SL_STRING)
		return sl_type_mismatch(err, e,
					"the field of date_part must be a "
					"string literal, not %s",
					f->sql);
	bool done;
	int rc = sl_bind_extract(cx, e, &done, err);
	if (done)
		return rc;
	for (size_t i = 0; i < sizeof(syn) / sizeof(syn[0]); i++) {
		if (strlen(syn[i].name) != f->lit.len ||
		    strncasecmp(syn[i].name, f->lit.v.str, f->lit.len) ||
		    !syn[i].fn)
			continue;
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (!strcmp(fields[k].name, syn[i].fn))
				e->aux = &fields[k];
	}
	if (!e->aux)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "INVALID_EXTRACT_FIELD: cannot extract "
				    "%.*s from %s (sluice has the year to "
				    "minute fields; SECOND with its fraction "
				    "needs DECIMAL)",
				    (int)f->lit.len, f->lit.v.str,
				    e->args[1]->sql);
	const struct field_name *fn = e->aux;
	e->args[0] = e->args[1];
	e->nargs = 1;
	e->type = &sl_dtype_int;
	e->eval = ev_field;
	return fn->time ? ts_arg(cx, e, 0, err) : date_arg(cx, e, 0, err);
}

/* ---- make_date -------------------------------------------------------- */

static int ev_make_date(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, y);
	FN_ARG_OR_NULL(1, m);
	FN_ARG_OR_NULL(2, d);
	const char *bad = NULL;
	int32_t v = 0;
	if (y.v.i32 < -290307 || y.v.i32 > 294247) {
		bad = "YearOfEra";
		v = y.v.i32;
	} else if (m.v.i32 < 1 || m.v.i32 > 12) {
		bad = "MonthOfYear";
		v = m.v.i32;
	} else if (d.v.i32 < 1 ||
		   d.v.i32 > sl_days_in_month(y.v.i32, m.v.i32)) {
		bad = "DayOfMonth";
		v = d.v.i32;
	}
	if (bad) {
		if (!(e->flags & EXF_ANSI)) {
			*out = sl_v_null();
			return 0;
		}
		if (!strcmp(bad, "DayOfMonth") && d.v.i32 >= 1 && d.v.i32 <= 31)
			return sl_runtime_error(
				err, "DATETIME_FIELD_OUT_OF_BOUNDS",
				"Invalid date '%s %d'. If necessary set "
				"\"spark.sql.ansi.enabled\" to \"false\" to "
				"bypass this error. SQLSTATE: 22023",
				"day", v);
		return sl_runtime_error(
			err, "DATETIME_FIELD_OUT_OF_BOUNDS",
			"Invalid value for %s (valid values are given by "
			"Spark's ChronoField): %d. If necessary set "
			"\"spark.sql.ansi.enabled\" to \"false\" to bypass "
			"this error. SQLSTATE: 22023",
			bad, v);
	}
	*out = sl_v_date(
		(int32_t)sl_days_from_civil(y.v.i32, m.v.i32, d.v.i32));
	return 0;
}

static int bind_make_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < 3; i++) {
		int rc = sl_fn_int_arg(cx, e, i, &sl_dtype_int, err);
		if (rc)
			return rc;
	}
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = &sl_dtype_date;
	e->eval = ev_make_date;
	return 0;
}

/* ---- the epoch -------------------------------------------------------- */

static int overflow(sl_err *err)
{
	return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
				"long overflow. SQLSTATE: 22003");
}

/* timestamp_seconds (a double or an integer), _millis, _micros */
static int ev_ts_from(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const char *f = e->fn->name; /* timestamp_seconds, _millis, _micros */
	int64_t mul = f[10] == 's' ? US_PER_S : f[12] == 'l' ? 1000 : 1;
	if (x.type == SL_DOUBLE) {
		double v = x.v.f64 * (double)mul;
		if (isnan(v) || isinf(v)) {
			*out = sl_v_null();
			return 0;
		}
		if (v >= 9.2233720368547758e18 || v < -9.2233720368547758e18)
			return overflow(err);
		*out = sl_v_ts((int64_t)v);
		return 0;
	}
	int64_t r;
	if (__builtin_mul_overflow(x.v.i64, mul, &r))
		return overflow(err);
	*out = sl_v_ts(r);
	return 0;
}

static int bind_ts_from(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_timestamp;
	e->eval = ev_ts_from;
	if (!strcmp(e->fn->name, "timestamp_seconds") &&
	    e->args[0]->type->id == SL_DOUBLE)
		return 0;
	return sl_fn_int_arg(cx, e, 0, &sl_dtype_long, err);
}

static int ev_unix_of(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, t);
	const char *f = e->fn->name;
	int64_t div = f[5] == 's' ? US_PER_S : f[7] == 'l' ? 1000 : 1;
	*out = sl_v_long(sl_floor_div(t.v.i64, div));
	return 0;
}

static int bind_unix_of(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_long;
	e->eval = ev_unix_of;
	if (e->args[0]->type->id != SL_TIMESTAMP &&
	    e->args[0]->type->id != SL_NULL)
		return sl_fn_arg_type_error(e, 0, "\"TIMESTAMP\"", err);
	return sl_coerce(cx, &e->args[0], &sl_dtype_timestamp, err);
}

static int ev_unix_date(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, d);
	*out = sl_v_int(d.v.i32);
	return 0;
}

static int bind_unix_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_unix_date;
	if (e->args[0]->type->id != SL_DATE && e->args[0]->type->id != SL_NULL)
		return sl_fn_arg_type_error(e, 0, "\"DATE\"", err);
	return sl_coerce(cx, &e->args[0], &sl_dtype_date, err);
}

static int ev_date_from_unix(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, n);
	*out = sl_v_date(n.v.i32);
	return 0;
}

static int bind_date_from_unix(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_date;
	e->eval = ev_date_from_unix;
	return sl_fn_int_arg(cx, e, 0, &sl_dtype_int, err);
}

/* ---- the group -------------------------------------------------------- */

#define FIELD(n, desc, ex) { n, 1, 1, 0, bind_field, n "(date)", desc, ex }

const sl_func sl_funcs_date[] = {
	{ "add_months", 2, 2, 0, bind_add_months,
	  "add_months(start_date, num_months)",
	  "The date num_months after start_date (the day clamped to the "
	  "month's end).",
	  "add_months('2016-08-31', 1)" },
	{ "date_add", 2, 2, 0, bind_date_add, "date_add(start_date, num_days)",
	  "The date num_days after start_date.", "date_add('2016-07-30', 1)" },
	{ "date_diff", 2, 2, 0, bind_datediff, "date_diff(endDate, startDate)",
	  "The days from startDate to endDate.",
	  "date_diff('2009-07-31', '2009-07-30')" },
	{ "date_from_unix_date", 1, 1, 0, bind_date_from_unix,
	  "date_from_unix_date(days)", "The date days after 1970-01-01.",
	  "date_from_unix_date(1)" },
	{ "extract", 2, 2, FN_SYNTAX, bind_date_part, "extract(field FROM source)",
	  "The field (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, DOW, ...) of a "
	  "date, timestamp or interval; date_part's other spelling",
	  "extract(HOUR FROM INTERVAL '1 02:03:04' DAY TO SECOND)" },
	{ "date_part", 2, 2, 0, bind_date_part, "date_part(field, source)",
	  "A field of a date or timestamp: YEAR, QUARTER, MONTH, WEEK, DAY, "
	  "DAYOFWEEK, DOY, HOUR, MINUTE (and their synonyms).",
	  "date_part('YEAR', TIMESTAMP '2019-08-12 01:00:00.123456')" },
	{ "date_sub", 2, 2, 0, bind_date_add, "date_sub(start_date, num_days)",
	  "The date num_days before start_date.", "date_sub('2016-07-30', 1)" },
	{ "date_trunc", 2, 2, 0, bind_date_trunc, "date_trunc(fmt, ts)",
	  "ts truncated to the unit fmt (YEAR, QUARTER, MONTH, WEEK, DAY, "
	  "HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND); null for another.",
	  "date_trunc('HOUR', '2015-03-05T09:32:05.359')" },
	{ "datediff", 2, 2, 0, bind_datediff, "datediff(endDate, startDate)",
	  "The days from startDate to endDate.",
	  "datediff('2009-07-31', '2009-07-30')" },
	FIELD("day", "The day of the month.", "day('2009-07-30')"),
	FIELD("dayofmonth", "The day of the month.", "dayofmonth('2009-07-30')"),
	FIELD("dayofweek", "The day of the week, 1 = Sunday to 7 = Saturday.",
	      "dayofweek('2009-07-30')"),
	FIELD("dayofyear", "The day of the year.", "dayofyear('2016-04-09')"),
	{ "hour", 1, 1, 0, bind_field, "hour(timestamp)",
	  "The hour of the timestamp.", "hour('2009-07-30 12:58:59')" },
	{ "last_day", 1, 1, 0, bind_last_day, "last_day(date)",
	  "The last day of date's month.", "last_day('2009-01-12')" },
	{ "make_date", 3, 3, 0, bind_make_date, "make_date(year, month, day)",
	  "The date of the fields; invalid: an error with ANSI on, else "
	  "null.",
	  "make_date(2013, 7, 15)" },
	{ "minute", 1, 1, 0, bind_field, "minute(timestamp)",
	  "The minute of the timestamp.", "minute('2009-07-30 12:58:59')" },
	FIELD("month", "The month of the year.", "month('2016-07-30')"),
	{ "months_between", 2, 3, 0, bind_months_between,
	  "months_between(timestamp1, timestamp2[, roundOff])",
	  "The months from timestamp2 to timestamp1, fractions over 31-day "
	  "months, rounded to 8 digits unless roundOff is false.",
	  "months_between('1997-02-28 10:30:00', '1996-10-30')" },
	{ "next_day", 2, 2, 0, bind_next_day, "next_day(start_date, day_of_week)",
	  "The first date after start_date that is day_of_week (MO, MON, "
	  "MONDAY, ...).",
	  "next_day('2015-01-14', 'TU')" },
	FIELD("quarter", "The quarter of the year, 1 to 4.",
	      "quarter('2016-08-31')"),
	{ "second", 1, 1, 0, bind_field, "second(timestamp)",
	  "The second of the minute of the timestamp.",
	  "second('2009-07-30 12:58:59')" },
	{ "timestamp_micros", 1, 1, 0, bind_ts_from, "timestamp_micros(micros)",
	  "The timestamp micros microseconds after the epoch.",
	  "timestamp_micros(1230219000123123)" },
	{ "timestamp_millis", 1, 1, 0, bind_ts_from, "timestamp_millis(millis)",
	  "The timestamp millis milliseconds after the epoch.",
	  "timestamp_millis(1230219000123)" },
	{ "timestamp_seconds", 1, 1, 0, bind_ts_from,
	  "timestamp_seconds(seconds)",
	  "The timestamp seconds (an integer or a double) after the epoch.",
	  "timestamp_seconds(1230219000)" },
	{ "trunc", 2, 2, 0, bind_trunc, "trunc(date, fmt)",
	  "date truncated to the unit fmt (YEAR, YYYY, YY, QUARTER, MONTH, "
	  "MM, MON, WEEK); null for another.",
	  "trunc('2019-08-04', 'week')" },
	{ "unix_date", 1, 1, 0, bind_unix_date, "unix_date(date)",
	  "The days from 1970-01-01 to date.", "unix_date(DATE '1970-01-02')" },
	{ "unix_micros", 1, 1, 0, bind_unix_of, "unix_micros(timestamp)",
	  "The microseconds from the epoch to timestamp.",
	  "unix_micros(TIMESTAMP '1970-01-01 00:00:01Z')" },
	{ "unix_millis", 1, 1, 0, bind_unix_of, "unix_millis(timestamp)",
	  "The milliseconds from the epoch to timestamp (rounded down).",
	  "unix_millis(TIMESTAMP '1970-01-01 00:00:01Z')" },
	{ "unix_seconds", 1, 1, 0, bind_unix_of, "unix_seconds(timestamp)",
	  "The seconds from the epoch to timestamp (rounded down).",
	  "unix_seconds(TIMESTAMP '1970-01-01 00:00:01Z')" },
	FIELD("weekday", "The day of the week, 0 = Monday to 6 = Sunday.",
	      "weekday('2009-07-30')"),
	FIELD("weekofyear", "The ISO 8601 week of the year (weeks start on "
			    "Monday).",
	      "weekofyear('2008-02-20')"),
	FIELD("year", "The year of the date (or timestamp).", "year('2016-07-30')"),
};
const size_t sl_funcs_date_n = SL_NFUNCS(sl_funcs_date);
