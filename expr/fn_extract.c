/* expr/fn_extract.c - extract(FIELD FROM source) and date_part('FIELD',
 * source) where expr/fn_date.c's date fields do not reach: the fields of
 * intervals (YEAR and MONTH of a year-month interval; DAY, HOUR, MINUTE
 * and SECOND of a day-time one) and SECOND with its fraction, a
 * DECIMAL(8,6), as Spark types them; and extract's name, which Spark
 * writes as the syntax: extract(YEAR FROM dt). */
#include <strings.h>

#include "core/interval.h"
#include "expr/fn.h"

enum { X_YEAR, X_MONTH, X_DAY, X_HOUR, X_MINUTE, X_SECOND };

static const struct {
	const char *name;
	int field;
} names[] = {
	{ "YEAR", X_YEAR },	  { "Y", X_YEAR },	    { "YEARS", X_YEAR },
	{ "YR", X_YEAR },	  { "YRS", X_YEAR },	    { "MONTH", X_MONTH },
	{ "MON", X_MONTH },	  { "MONS", X_MONTH },	    { "MONTHS", X_MONTH },
	{ "DAY", X_DAY },	  { "D", X_DAY },	    { "DAYS", X_DAY },
	{ "HOUR", X_HOUR },	  { "H", X_HOUR },	    { "HOURS", X_HOUR },
	{ "HR", X_HOUR },	  { "HRS", X_HOUR },	    { "MINUTE", X_MINUTE },
	{ "M", X_MINUTE },	  { "MIN", X_MINUTE },	    { "MINS", X_MINUTE },
	{ "MINUTES", X_MINUTE },  { "SECOND", X_SECOND },   { "S", X_SECOND },
	{ "SEC", X_SECOND },	  { "SECONDS", X_SECOND },  { "SECS", X_SECOND },
};

static int field_of(const sl_value *f)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == f->len &&
		    !strncasecmp(names[i].name, f->v.str, f->len))
			return names[i].field;
	return -1;
}

static int ev_extract(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(1, x);
	int f = e->col;
	if (x.type == SL_INTERVAL_YM) {
		*out = sl_v_int(f == X_YEAR ? x.v.i32 / 12 : x.v.i32 % 12);
		return 0;
	}
	int64_t us = x.v.i64;
	if (x.type == SL_INTERVAL_DT) {
		switch (f) {
		case X_DAY: *out = sl_v_int((int32_t)(us / SL_US_PER_DAY)); return 0;
		case X_HOUR: *out = sl_v_int((int32_t)(us / SL_US_PER_HOUR % 24)); return 0;
		case X_MINUTE: *out = sl_v_int((int32_t)(us / SL_US_PER_MINUTE % 60)); return 0;
		default: break;
		}
		*out = sl_v_dec(us % SL_US_PER_MINUTE, 8, 6, a);
		return 0;
	}
	/* a timestamp's seconds and microseconds */
	*out = sl_v_dec(us - sl_floor_div(us, SL_US_PER_MINUTE) * SL_US_PER_MINUTE,
			8, 6, a);
	return 0;
}

static void extract_name(sl_bind_ctx *cx, sl_expr *e)
{
	const sl_expr *f = e->args[0], *src = e->args[1];
	sl_buf w;
	sl_buf_init(&w, cx->a, 48);
	sl_buf_printf(&w, "extract(%.*s FROM %s)", (int)f->lit.len,
		      f->lit.v.str, src->sql);
	e->sql = sl_buf_cstr(&w);
	sl_buf_init(&w, cx->a, 48);
	sl_buf_printf(&w, "extract(%.*s FROM %s)", (int)f->lit.len,
		      f->lit.v.str, sl_spelled_sql(src));
	e->spelled = sl_buf_cstr(&w);
	e->spelled_of = e->sql;
}

int sl_bind_extract(sl_bind_ctx *cx, sl_expr *e, bool *handled, sl_err *err)
{
	if (!strcmp(e->fn->name, "extract"))
		extract_name(cx, e);
	const sl_value *fv = &e->args[0]->lit;
	const sl_dtype *t = e->args[1]->type;
	int f = field_of(fv);
	*handled = true;
	if (t->id == SL_INTERVAL_YM || t->id == SL_INTERVAL_DT) {
		bool ok = t->id == SL_INTERVAL_YM ? f == X_YEAR || f == X_MONTH
						  : f >= X_DAY;
		if (!ok)
			return sl_bind_fail(err, e, SL_EANALYSIS,
					    "[INVALID_EXTRACT_FIELD] Cannot "
					    "extract %.*s from %s.",
					    (int)fv->len, fv->v.str,
					    e->args[1]->sql);
		/* Spark's types: MONTH, HOUR and MINUTE are tinyints */
		e->type = f == X_SECOND ? sl_dtype_decimal(8, 6)
			  : f == X_MONTH || f == X_HOUR || f == X_MINUTE
				  ? &sl_dtype_byte
				  : &sl_dtype_int;
		e->col = f;
		e->eval = ev_extract;
		return 0;
	}
	if (f != X_SECOND) {
		*handled = false;
		return 0;
	}
	int id = (int)t->id;
	if (id != SL_DATE && id != SL_TIMESTAMP && id != SL_TIMESTAMP_NTZ &&
	    id != SL_STRING && id != SL_NULL)
		return sl_fn_arg_type_error(e, 1, "\"TIMESTAMP\"", err);
	int rc = id == SL_TIMESTAMP_NTZ
			 ? 0
			 : sl_coerce(cx, &e->args[1], &sl_dtype_timestamp, err);
	e->type = sl_dtype_decimal(8, 6);
	e->col = f;
	e->eval = ev_extract;
	return rc;
}
