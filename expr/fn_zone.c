/* expr/fn_zone.c - from_utc_timestamp(ts, tz) and to_utc_timestamp(ts,
 * tz): a timestamp read as UTC shown on the zone's wall clock, and a
 * wall-clock time in the zone back to UTC (java.time's rules for gaps
 * and overlaps, core/timezone.h). Zones come from one cache for the
 * process, opened on first use: a plan holds only pointers into it. */
#include <pthread.h>

#include "core/timezone.h"
#include "expr/fn.h"

static sl_tz_cache *zones;
static pthread_once_t zones_once = PTHREAD_ONCE_INIT;

static void zones_init(void)
{
	zones = sl_tz_cache_new(NULL);
}

static const sl_tz *zone_of(const char *s, size_t n, sl_err *err)
{
	char name[128];
	if (n >= sizeof(name)) {
		sl_err_set(err, SL_EINVAL,
			   "[INVALID_TIMEZONE] The time zone name is longer "
			   "than %zu bytes",
			   sizeof(name) - 1);
		return NULL;
	}
	memcpy(name, s, n);
	name[n] = 0;
	pthread_once(&zones_once, zones_init);
	sl_err why = { 0 };
	const sl_tz *z = zones ? sl_tz_cache_get(zones, name, &why) : NULL;
	if (!z)
		sl_runtime_error(err, "INVALID_TIMEZONE",
				 "The timezone: %s is invalid. The timezone "
				 "must be either a region-based zone ID or a "
				 "zone offset. (%s) SQLSTATE: 22009",
				 name, why.msg);
	return z;
}

static int ev_zone(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, ts);
	const sl_tz *z = e->aux;
	if (!z) {
		FN_ARG_OR_NULL(1, tz);
		if (!(z = zone_of(tz.v.str, tz.len, err)))
			return SL_EINVAL;
	}
	int64_t r;
	int rc = e->op ? sl_tz_local_to_utc(z, ts.v.i64, &r, NULL)
		       : sl_tz_utc_to_local(z, ts.v.i64, &r);
	if (rc)
		return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					"long overflow. SQLSTATE: 22003");
	*out = sl_v_ts(r);
	return 0;
}

static int bind_zone(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int id = (int)e->args[0]->type->id;
	if (id != SL_TIMESTAMP && id != SL_DATE && id != SL_STRING &&
	    id != SL_NULL && id != SL_TIMESTAMP_NTZ)
		return sl_fn_arg_type_error(e, 0, "\"TIMESTAMP\"", err);
	int rc = sl_coerce(cx, &e->args[0], &sl_dtype_timestamp, err);
	if (!rc)
		rc = sl_fn_string_arg(cx, e, 1, err);
	if (rc)
		return rc;
	e->op = !strcmp(e->fn->name, "to_utc_timestamp");
	const sl_expr *tz = e->args[1];
	if (tz->kind == EX_LIT && tz->lit.type == SL_STRING) {
		/* a literal zone is looked up once, and a bad one is an
		 * error of the query, not of a row */
		sl_err why = { 0 };
		e->aux = zone_of(tz->lit.v.str, tz->lit.len, &why);
		if (!e->aux)
			return sl_bind_fail(err, e, SL_EANALYSIS, "%s", why.msg);
	}
	e->type = &sl_dtype_timestamp;
	e->eval = ev_zone;
	return 0;
}

const sl_func sl_funcs_zone[] = {
	{ "from_utc_timestamp", 2, 2, 0, bind_zone,
	  "from_utc_timestamp(timestamp, timezone)",
	  "The UTC timestamp shown on the wall clock of timezone.",
	  "from_utc_timestamp('2016-08-31', 'Asia/Seoul')" },
	{ "to_utc_timestamp", 2, 2, 0, bind_zone,
	  "to_utc_timestamp(timestamp, timezone)",
	  "The wall-clock time in timezone as a UTC timestamp.",
	  "to_utc_timestamp('2016-08-31', 'Asia/Seoul')" },
};
const size_t sl_funcs_zone_n = SL_NFUNCS(sl_funcs_zone);
