/* ops/window.c - window assignment, interval parsing and the watermark
 * (see ops/window.h for the semantics and where they come from). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops/window.h"
#include "sluice.h"

/* ---- intervals ----------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t us;
} units[] = {
	{ "microsecond", 1 },        { "microseconds", 1 },
	{ "us", 1 },                 { "millisecond", 1000 },
	{ "milliseconds", 1000 },    { "ms", 1000 },
	{ "second", 1000000 },       { "seconds", 1000000 },
	{ "sec", 1000000 },          { "secs", 1000000 },
	{ "s", 1000000 },            { "minute", 60000000 },
	{ "minutes", 60000000 },     { "min", 60000000 },
	{ "mins", 60000000 },        { "m", 60000000 },
	{ "hour", 3600000000LL },    { "hours", 3600000000LL },
	{ "h", 3600000000LL },       { "day", 86400000000LL },
	{ "days", 86400000000LL },   { "d", 86400000000LL },
	{ "week", 604800000000LL },  { "weeks", 604800000000LL },
};

int sl_interval_parse(const char *text, int64_t *us, sl_err *err)
{
	const char *p = text;
	int64_t total = 0;
	int parts = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (!strncasecmp(p, "interval", 8) &&
	    (isspace((unsigned char)p[8]) || !p[8]))
		p += 8;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		char *end;
		errno = 0;
		long long n = strtoll(p, &end, 10);
		if (end == p || errno)
			return sl_err_set(err, SL_EINVAL,
					  "invalid interval '%s': expected a "
					  "number at '%s'", text, p);
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		const char *u = p;
		while (isalpha((unsigned char)*p))
			p++;
		size_t ulen = (size_t)(p - u);
		int64_t mult = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen &&
			    !strncasecmp(units[i].name, u, ulen))
				mult = units[i].us;
		if (!mult) {
			if (ulen && (!strncasecmp(u, "month", 5) ||
				     !strncasecmp(u, "year", 4)))
				return sl_err_set(err, SL_EINVAL,
						  "invalid interval '%s': "
						  "months and years have no "
						  "fixed length; use days",
						  text);
			return sl_err_set(err, SL_EINVAL,
					  "invalid interval '%s': unknown unit "
					  "'%.*s' (use microseconds, "
					  "milliseconds, seconds, minutes, "
					  "hours, days or weeks)",
					  text, (int)ulen, u);
		}
		int64_t part;
		if (__builtin_mul_overflow((int64_t)n, mult, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return sl_err_set(err, SL_EINVAL,
					  "invalid interval '%s': too large",
					  text);
		parts++;
	}
	if (!parts)
		return sl_err_set(err, SL_EINVAL,
				  "invalid interval '%s': empty", text);
	*us = total;
	return 0;
}

/* ---- windows ------------------------------------------------------------- */

int sl_window_time(sl_window_spec *w, int64_t duration_us, int64_t slide_us,
		   int64_t start_us, sl_err *err)
{
	if (!slide_us)
		slide_us = duration_us;
	if (duration_us <= 0)
		return sl_err_set(err, SL_EINVAL,
				  "window duration must be positive");
	if (slide_us <= 0)
		return sl_err_set(err, SL_EINVAL,
				  "window slide duration must be positive");
	if (slide_us > duration_us)
		return sl_err_set(err, SL_EINVAL,
				  "window slide duration must be less than or "
				  "equal to the window duration");
	/* Not Spark's rule but a guard: a row expands into this many
	 * windows, and a slide of a microsecond over a day would make
	 * billions. */
	if ((duration_us + slide_us - 1) / slide_us > SL_WINDOW_MAX_OVERLAP)
		return sl_err_set(err, SL_EINVAL,
				  "window duration / slide duration is more "
				  "than %d: every row would fall in that many "
				  "windows", SL_WINDOW_MAX_OVERLAP);
	if (start_us >= slide_us || start_us <= -slide_us)
		return sl_err_set(err, SL_EINVAL,
				  "window start time must be less than the "
				  "slide duration in absolute value");
	memset(w, 0, sizeof(*w));
	w->kind = SL_WINDOW_TIME;
	w->duration_us = duration_us;
	w->slide_us = slide_us;
	w->start_us = start_us;
	return 0;
}

int sl_window_session(sl_window_spec *w, int64_t gap_us, sl_err *err)
{
	if (gap_us <= 0)
		return sl_err_set(err, SL_EINVAL,
				  "session window gap duration must be "
				  "positive");
	memset(w, 0, sizeof(*w));
	w->kind = SL_WINDOW_SESSION;
	w->gap_us = gap_us;
	return 0;
}

uint32_t sl_window_max(const sl_window_spec *w)
{
	if (w->kind != SL_WINDOW_TIME)
		return 1;
	return (uint32_t)((w->duration_us + w->slide_us - 1) / w->slide_us);
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t m = a % b;
	return m < 0 ? m + b : m;
}

uint32_t sl_window_assign(const sl_window_spec *w, int64_t t,
			  int64_t *starts)
{
	if (w->kind == SL_WINDOW_SESSION) {
		starts[0] = t;
		return 1;
	}
	/* The latest window start at or before t. Spark computes it with
	 * Java's %, which goes wrong before the epoch; a floor modulo gives
	 * the same windows for every t >= 0 and the right ones below. */
	int64_t last = t - floor_mod(t - w->start_us, w->slide_us);
	uint32_t n = 0;
	for (int64_t s = last; s + w->duration_us > t; s -= w->slide_us)
		starts[n++] = s;
	return n;
}

static sl_field window_fields[2] = {
	{ .name = "start", .type = &sl_dtype_timestamp, .nullable = true },
	{ .name = "end", .type = &sl_dtype_timestamp, .nullable = true },
};
static const sl_schema window_schema = { .n = 2, .fields = window_fields };
const sl_dtype sl_dtype_window = { .id = SL_STRUCT, .fields = &window_schema };

sl_value sl_window_value(int64_t start, int64_t end, sl_arena *a)
{
	sl_value *f = sl_arena_alloc(a, 2 * sizeof(*f));
	f[0] = sl_v_ts(start);
	f[1] = sl_v_ts(end);
	sl_value v = { .type = SL_STRUCT, .len = 2 };
	v.v.fields = f;
	return v;
}

bool sl_window_get(const sl_value *v, int64_t *start, int64_t *end)
{
	if (v->type != SL_STRUCT || v->len != 2 ||
	    v->v.fields[0].type != SL_TIMESTAMP ||
	    v->v.fields[1].type != SL_TIMESTAMP)
		return false;
	*start = v->v.fields[0].v.i64;
	*end = v->v.fields[1].v.i64;
	return true;
}

/* ---- the watermark ------------------------------------------------------- */

void sl_watermark_init(sl_watermark *w, int64_t delay_us)
{
	memset(w, 0, sizeof(*w));
	w->delay_us = delay_us;
}

void sl_watermark_merge(sl_watermark *w, const sl_watermark *other)
{
	if (other->seen)
		sl_watermark_observe(w, other->max_event_us);
}

int64_t sl_watermark_next(const sl_watermark *w)
{
	if (!w->seen)
		return w->current_us;
	/* Spark's EventTimeWatermarkExec collects event times in ms (Java
	 * division, truncating) and subtracts the delay in ms. */
	int64_t ms = w->max_event_us / 1000 - w->delay_us / 1000;
	int64_t next = ms * 1000;
	return next > w->current_us ? next : w->current_us;
}

bool sl_watermark_advance(sl_watermark *w)
{
	int64_t next = sl_watermark_next(w);
	bool moved = next != w->current_us;
	w->late_us = w->current_us;
	w->current_us = next;
	w->seen = false;
	w->max_event_us = 0;
	return moved;
}
