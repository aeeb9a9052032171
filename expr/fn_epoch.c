/* expr/fn_epoch.c - unix_timestamp, to_unix_timestamp, from_unixtime and
 * try_to_timestamp: the pattern-taking conversions between seconds and
 * time. Each binds, under its call node, the expr/time.c function it
 * stands for (to_timestamp(s, fmt), date_format(ts, fmt),
 * current_timestamp()) with the pattern defaulting to Spark's
 * 'yyyy-MM-dd HH:mm:ss', and converts the result. */
#include "expr/fn.h"

#define DEFAULT_FMT "yyyy-MM-dd HH:mm:ss"

static sl_expr *new_node(sl_bind_ctx *cx, const sl_expr *e, int kind)
{
	sl_expr *x = sl_arena_calloc(cx->a, sizeof(*x));
	x->kind = (uint8_t)kind;
	x->col = -1;
	x->pos = e->pos;
	return x;
}

static sl_expr *str_lit(sl_bind_ctx *cx, const sl_expr *e, const char *s,
			sl_err *err)
{
	sl_expr *x = new_node(cx, e, EX_LIT);
	x->lit = sl_v_str(s, (uint32_t)strlen(s));
	x->type = &sl_dtype_string;
	return sl_bind_node(cx, &x, err) ? NULL : x;
}

/* The function name bound over args, as bind_func would: the arguments
 * are bound already. */
static sl_expr *hidden_call(sl_bind_ctx *cx, const sl_expr *e,
			    const char *name, sl_expr **args, uint32_t n,
			    sl_err *err)
{
	sl_expr *x = new_node(cx, e, EX_FUNC);
	x->ident = name;
	x->fn = sl_func_find(name);
	x->nargs = n;
	x->args = sl_arena_alloc(cx->a, (n ? n : 1) * sizeof(*x->args));
	for (uint32_t i = 0; i < n; i++)
		x->args[i] = args[i];
	x->sql = e->sql;
	if (!x->fn || x->fn->bind(cx, x, err))
		return NULL;
	x->flags |= EXF_BOUND;
	return x;
}

/* e's pattern argument i, or the default (named in e's text) */
static sl_expr *pattern_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
			    sl_err *err)
{
	if (e->nargs > i)
		return sl_fn_string_arg(cx, e, i, err) ? NULL : e->args[i];
	e->sql = sl_fn_append_sql(cx, e->sql, ", " DEFAULT_FMT);
	return str_lit(cx, e, DEFAULT_FMT, err);
}

/* ---- unix_timestamp, to_unix_timestamp -------------------------------- */

/* Spark divides the microseconds by 10^6 as Java does, toward zero */
static int ev_unix_timestamp(FN_EV_ARGS)
{
	const sl_expr *h = e->aux;
	sl_value t;
	int rc = sl_eval_child(h, row, a, &t, err);
	if (rc)
		return rc;
	if (t.type != SL_NULL) {
		*out = sl_v_long(t.v.i64 / 1000000);
		return 0;
	}
	*out = t;
	/* with ANSI on, text its pattern does not read is an error */
	if (!(e->flags & EXF_ANSI) || h->kind != EX_FUNC || h->nargs != 2)
		return 0;
	sl_value x, p;
	if ((rc = sl_eval_child(h->args[0], row, a, &x, err)) ||
	    (rc = sl_eval_child(h->args[1], row, a, &p, err)))
		return rc;
	if (x.type != SL_STRING || p.type == SL_NULL)
		return 0;
	return sl_runtime_error(
		err, "CANNOT_PARSE_TIMESTAMP",
		"Text '%.*s' could not be parsed with the pattern '%.*s'. Use "
		"`try_to_timestamp` to tolerate invalid input string and "
		"return NULL instead. SQLSTATE: 22007",
		(int)x.len, x.v.str, (int)p.len, p.v.str);
}

static int bind_unix_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_expr *ts;
	e->type = &sl_dtype_long;
	e->eval = ev_unix_timestamp;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	if (e->nargs == 0) {
		ts = hidden_call(cx, e, "current_timestamp", NULL, 0, err);
		e->sql = "unix_timestamp(current_timestamp(), " DEFAULT_FMT ")";
		e->spelled = NULL;
		e->aux = ts;
		return ts ? 0 : SL_EANALYSIS;
	}
	int id = (int)e->args[0]->type->id;
	sl_expr *fmt = pattern_arg(cx, e, 1, err);
	if (!fmt)
		return err->code ? err->code : SL_EANALYSIS;
	if (id == SL_TIMESTAMP || id == SL_DATE) {
		int rc = sl_coerce(cx, &e->args[0], &sl_dtype_timestamp, err);
		e->aux = e->args[0];
		return rc;
	}
	sl_expr *args[2] = { e->args[0], fmt };
	ts = hidden_call(cx, e, "to_timestamp", args, 2, err);
	e->aux = ts;
	return ts ? 0 : (err->code ? err->code : SL_EANALYSIS);
}

/* ---- from_unixtime ---------------------------------------------------- */

static int ev_secs_to_ts(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	int64_t us;
	*out = __builtin_mul_overflow(s.v.i64, 1000000, &us) ? sl_v_null()
							     : sl_v_ts(us);
	return 0;
}

static int ev_from_unixtime(FN_EV_ARGS)
{
	return sl_eval_child(e->aux, row, a, out, err);
}

static int bind_from_unixtime(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_int_arg(cx, e, 0, &sl_dtype_long, err);
	if (rc)
		return rc;
	sl_expr *fmt = pattern_arg(cx, e, 1, err);
	if (!fmt)
		return err->code ? err->code : SL_EANALYSIS;
	sl_expr *ts = new_node(cx, e, EX_FUNC);
	ts->nargs = 1;
	ts->args = sl_arena_alloc(cx->a, sizeof(*ts->args));
	ts->args[0] = e->args[0];
	ts->type = &sl_dtype_timestamp;
	ts->eval = ev_secs_to_ts;
	ts->sql = e->args[0]->sql;
	ts->flags |= EXF_BOUND;
	sl_expr *args[2] = { ts, fmt };
	sl_expr *df = hidden_call(cx, e, "date_format", args, 2, err);
	if (!df)
		return err->code ? err->code : SL_EANALYSIS;
	e->aux = df;
	e->type = &sl_dtype_string;
	e->eval = ev_from_unixtime;
	return 0;
}

/* ---- try_to_timestamp ------------------------------------------------- */

/* to_timestamp bound with ANSI off: null for text it does not read (its
 * pattern form gives null in either mode; its one-argument form is a
 * cast, which ANSI off makes null too) */
static int bind_try_to_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_bind_ctx lenient = *cx;
	lenient.ansi = false;
	return sl_bind_to_timestamp(&lenient, e, err);
}

const sl_func sl_funcs_epoch[] = {
	{ "from_unixtime", 1, 2, 0, bind_from_unixtime,
	  "from_unixtime(unix_time[, fmt])",
	  "The seconds since the epoch as text in the datetime pattern fmt "
	  "(default yyyy-MM-dd HH:mm:ss).",
	  "from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')" },
	{ "to_unix_timestamp", 1, 2, 0, bind_unix_timestamp,
	  "to_unix_timestamp(timeExp[, fmt])",
	  "The seconds since the epoch of a timestamp, date, or text read "
	  "with fmt (default yyyy-MM-dd HH:mm:ss); null when it does not "
	  "read.",
	  "to_unix_timestamp('2016-04-08', 'yyyy-MM-dd')" },
	{ "try_to_timestamp", 1, 2, 0, bind_try_to_timestamp,
	  "try_to_timestamp(timestamp_str[, fmt])",
	  "timestamp_str read as a timestamp with the pattern fmt; null when "
	  "it does not read.",
	  "try_to_timestamp('2016-12-31', 'yyyy-MM-dd')" },
	{ "unix_timestamp", 0, 2, 0, bind_unix_timestamp,
	  "unix_timestamp([timeExp[, fmt]])",
	  "The seconds since the epoch of timeExp (a timestamp, date, or text "
	  "read with fmt) or of the query's start.",
	  "unix_timestamp('2016-04-08', 'yyyy-MM-dd')" },
};
const size_t sl_funcs_epoch_n = SL_NFUNCS(sl_funcs_epoch);
