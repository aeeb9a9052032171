/* expr/cast.c - CAST, explicit and implicit, with Spark's (ANSI off)
 * conversion rules.
 *
 * Every conversion Spark would reject at run time gives null here, as
 * Spark does with spark.sql.ansi.enabled=false: CAST('abc' AS INT) is null,
 * CAST('2024-13-01' AS DATE) is null. The string parsers follow Spark's
 * (UTF8String.toLong, DateTimeUtils.stringToTimestamp) rather than C's, so
 * ' 12 ' is 12 and '1.9' as an int is 1. The session time zone is UTC. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "core/decimal.h"
#include "expr/fn_map.h"
#include "expr/internal.h"

/* ---- which casts exist ------------------------------------------------ */

static bool is_num(sl_type t)
{
	return t == SL_INT || t == SL_LONG || t == SL_DOUBLE || t == SL_BYTE ||
	       t == SL_SHORT || t == SL_FLOAT || t == SL_DECIMAL;
}

bool sl_can_cast(const sl_dtype *from, const sl_dtype *to)
{
	sl_type f = from->id, t = to->id;
	if (sl_dtype_equal(from, to) || f == SL_NULL || t == SL_STRING)
		return true;
	if (sl_is_interval(from) || sl_is_interval(to))
		return sl_interval_can_cast(from, to);
	if (f == SL_TIMESTAMP_NTZ || t == SL_TIMESTAMP_NTZ) {
		sl_type o = t == SL_TIMESTAMP_NTZ ? f : t;
		return o == SL_STRING || o == SL_DATE || o == SL_TIMESTAMP ||
		       o == SL_TIMESTAMP_NTZ;
	}
	switch ((int)t) {
	case SL_BYTE:
	case SL_SHORT:
	case SL_INT:
	case SL_LONG:
	case SL_DOUBLE:
	case SL_FLOAT:
	case SL_DECIMAL:
	case SL_BOOL:
		return is_num(f) || f == SL_BOOL || f == SL_STRING ||
		       f == SL_TIMESTAMP || f == SL_DATE;
	case SL_TIMESTAMP: return is_num(f) || f == SL_STRING || f == SL_DATE;
	case SL_DATE: return f == SL_STRING || f == SL_TIMESTAMP;
	case SL_BINARY: return f == SL_STRING || f == SL_INT || f == SL_LONG;
	case SL_ARRAY:
		return f == SL_ARRAY && sl_can_cast(from->elem, to->elem);
	case SL_MAP: return sl_map_can_cast(from, to, false);
	case SL_STRUCT:
		if (f != SL_STRUCT || from->fields->n != to->fields->n)
			return false;
		for (uint32_t i = 0; i < to->fields->n; i++)
			if (!sl_can_cast(from->fields->fields[i].type,
					 to->fields->fields[i].type))
				return false;
		return true;
	default: return false;
	}
}

/* Spark's ImplicitTypeCasts: numbers widen and narrow among themselves,
 * strings become numbers, dates, timestamps and binary, any atomic value
 * becomes a string, and dates and timestamps convert into each other. */
bool sl_can_cast_implicit(const sl_dtype *from, const sl_dtype *to)
{
	sl_type f = from->id, t = to->id;
	if (sl_dtype_equal(from, to) || f == SL_NULL)
		return true;
	if (is_num(f) && is_num(t))
		return true;
	if (f == SL_STRING)
		return is_num(t) || t == SL_DATE || t == SL_TIMESTAMP ||
		       t == SL_TIMESTAMP_NTZ ||
		       t == SL_BINARY || t == SL_BOOL;
	if (t == SL_STRING)
		return f != SL_ARRAY && f != SL_STRUCT && f != SL_MAP;
	if (t == SL_MAP)
		return sl_map_can_cast(from, to, true);
	if ((f == SL_DATE && t == SL_TIMESTAMP) ||
	    (f == SL_TIMESTAMP && t == SL_DATE))
		return true;
	/* TIMESTAMP_NTZ meets dates and timestamps; an interval widens to
	 * more fields of its kind */
	if ((f == SL_TIMESTAMP_NTZ &&
	     (t == SL_TIMESTAMP || t == SL_DATE)) ||
	    (t == SL_TIMESTAMP_NTZ && (f == SL_DATE || f == SL_STRING)))
		return true;
	if (sl_is_interval(from) && f == t)
		return true;
	if (f == SL_ARRAY && t == SL_ARRAY)
		return sl_can_cast_implicit(from->elem, to->elem);
	return false;
}

/* ---- string parsing --------------------------------------------------- */

/* Spark 3 trims whitespace and control characters (<= ' ') first. */
static void trim_ctl(const char **s, size_t *n)
{
	while (*n && (unsigned char)(*s)[0] <= ' ') {
		(*s)++;
		(*n)--;
	}
	while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
		(*n)--;
}

bool sl_str_to_long(const char *s, size_t n, int64_t *out)
{
	trim_ctl(&s, &n);
	if (!n)
		return false;
	size_t i = 0;
	bool neg = s[0] == '-';
	if (neg || s[0] == '+') {
		if (n == 1)
			return false;
		i++;
	}
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	for (; i < n && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	/* a fraction is allowed and truncated, but must be digits */
	for (i++; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	*out = neg ? (v ? -(int64_t)(v - 1) - 1 : 0) : (int64_t)v;
	return true;
}

bool sl_str_to_int(const char *s, size_t n, int32_t *out)
{
	int64_t v;
	if (!sl_str_to_long(s, n, &v) || v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

bool sl_str_to_double(const char *s, size_t n, double *out)
{
	trim_ctl(&s, &n);
	if (!n || n > 400)
		return false;
	char buf[408];
	memcpy(buf, s, n);
	buf[n] = 0;
	const char *b = buf;
	bool neg = false;
	if (*b == '+' || *b == '-')
		neg = *b++ == '-';
	/* Java's NaN/Infinity and Spark's inf/infinity/nan, any case */
	if (!strcasecmp(b, "nan")) {
		*out = NAN;
		return true;
	}
	if (!strcasecmp(b, "inf") || !strcasecmp(b, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	/* Java accepts a trailing type letter: 1.5d, 2f */
	if (n > 1 && strchr("dDfF", buf[n - 1]))
		buf[--n] = 0;
	bool digit = false;
	size_t i = (size_t)(b - buf);
	while (i < n && isdigit((unsigned char)buf[i])) {
		i++;
		digit = true;
	}
	if (i < n && buf[i] == '.') {
		i++;
		while (i < n && isdigit((unsigned char)buf[i])) {
			i++;
			digit = true;
		}
	}
	if (!digit)
		return false;
	if (i < n && (buf[i] == 'e' || buf[i] == 'E')) {
		i++;
		if (i < n && (buf[i] == '+' || buf[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)buf[i]))
			return false;
		while (i < n && isdigit((unsigned char)buf[i]))
			i++;
	}
	if (i != n)
		return false;
	*out = strtod(buf, NULL);
	return true;
}

bool sl_str_to_bool(const char *s, size_t n, bool *out)
{
	static const char *const yes[] = { "t", "true", "y", "yes", "1" };
	static const char *const no[] = { "f", "false", "n", "no", "0" };
	trim_ctl(&s, &n);
	for (int i = 0; i < 5; i++) {
		if (strlen(yes[i]) == n && !strncasecmp(s, yes[i], n)) {
			*out = true;
			return true;
		}
		if (strlen(no[i]) == n && !strncasecmp(s, no[i], n)) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Reads min..max digits at s[*i]. */
static bool rd_digits(const char *s, size_t n, size_t *i, int min, int max,
		      int64_t *v)
{
	int k = 0;
	*v = 0;
	while (*i < n && k < max && isdigit((unsigned char)s[*i])) {
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	return k >= min && !(*i < n && isdigit((unsigned char)s[*i]));
}

/* [+-]yyyy[-m[m][-d[d]]]: the date part Spark's parsers share. */
static bool rd_date(const char *s, size_t n, size_t *i, int64_t *days)
{
	int64_t y, m = 1, d = 1;
	bool neg = false;
	if (*i < n && (s[*i] == '-' || s[*i] == '+'))
		neg = s[(*i)++] == '-';
	if (!rd_digits(s, n, i, 4, 7, &y))
		return false;
	if (neg)
		y = -y;
	if (*i < n && s[*i] == '-') {
		(*i)++;
		if (!rd_digits(s, n, i, 1, 2, &m))
			return false;
		if (*i < n && s[*i] == '-') {
			(*i)++;
			if (!rd_digits(s, n, i, 1, 2, &d))
				return false;
		}
	}
	if (m < 1 || m > 12 || d < 1 || d > sl_days_in_month(y, (int)m))
		return false;
	*days = sl_days_from_civil(y, (int)m, (int)d);
	return true;
}

bool sl_str_to_date(const char *s, size_t n, int32_t *days)
{
	trim_ctl(&s, &n);
	size_t i = 0;
	int64_t d;
	if (!rd_date(s, n, &i, &d))
		return false;
	/* anything may follow a space or a T (a time part), but only after
	 * a whole yyyy-[m]m-[d]d: '1999 Jan 08' is malformed in Spark, not
	 * 1999-01-01 */
	if (i < n) {
		int dashes = 0;
		for (size_t k = 1; k < i; k++)
			dashes += s[k] == '-';
		if ((s[i] != ' ' && s[i] != 'T') || dashes < 2)
			return false;
	}
	if (d < INT32_MIN || d > INT32_MAX)
		return false;
	*days = (int32_t)d;
	return true;
}

/* A zone after a timestamp: Z, UTC, GMT, UT, or an offset [+-]h[h][[:]mm]
 * (after UTC/GMT too). Region names need a zone database: not supported,
 * so they fail the parse (null). */
static bool rd_zone(const char *s, size_t n, size_t *i, int64_t *off_s)
{
	*off_s = 0;
	while (*i < n && s[*i] == ' ')
		(*i)++;
	if (*i >= n)
		return true;
	if (s[*i] == 'Z' && *i + 1 == n) {
		(*i)++;
		return true;
	}
	static const char *const names[] = { "UTC", "GMT", "UT" };
	for (int k = 0; k < 3; k++) {
		size_t l = strlen(names[k]);
		if (n - *i >= l && !strncasecmp(s + *i, names[k], l)) {
			*i += l;
			break;
		}
	}
	if (*i >= n)
		return true;
	if (s[*i] != '+' && s[*i] != '-')
		return false;
	int sign = s[(*i)++] == '-' ? -1 : 1;
	int64_t h, m = 0;
	size_t st = *i;
	while (*i < n && isdigit((unsigned char)s[*i]))
		(*i)++;
	size_t nd = *i - st;
	*i = st;
	if (nd == 4) { /* hhmm */
		h = (s[st] - '0') * 10 + (s[st + 1] - '0');
		m = (s[st + 2] - '0') * 10 + (s[st + 3] - '0');
		*i = st + 4;
	} else {
		if (!rd_digits(s, n, i, 1, 2, &h))
			return false;
		if (*i < n && s[*i] == ':') {
			(*i)++;
			if (!rd_digits(s, n, i, 2, 2, &m))
				return false;
		}
	}
	if (h > 18 || m > 59)
		return false;
	*off_s = sign * (h * 3600 + m * 60);
	return *i == n;
}

static bool str_to_ts(const char *s, size_t n, int64_t *us, bool zone);

bool sl_str_to_ts(const char *s, size_t n, int64_t *us)
{
	return str_to_ts(s, n, us, true);
}

bool sl_str_to_ts_ntz(const char *s, size_t n, int64_t *us)
{
	return str_to_ts(s, n, us, false);
}

static bool str_to_ts(const char *s, size_t n, int64_t *us, bool zone)
{
	trim_ctl(&s, &n);
	size_t i = 0;
	int64_t days, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	if (!rd_date(s, n, &i, &days))
		return false;
	if (i < n) {
		if (s[i] != ' ' && s[i] != 'T')
			return false;
		i++;
		if (i < n) {
			if (!rd_digits(s, n, &i, 1, 2, &h) || i >= n ||
			    s[i] != ':')
				return false;
			i++;
			if (!rd_digits(s, n, &i, 1, 2, &mi))
				return false;
			if (i < n && s[i] == ':') {
				i++;
				if (!rd_digits(s, n, &i, 1, 2, &sec))
					return false;
				if (i < n && s[i] == '.') {
					/* up to microseconds; finer digits
					 * are dropped */
					int k = 0;
					i++;
					while (i < n &&
					       isdigit((unsigned char)s[i])) {
						if (k < 6)
							frac = frac * 10 +
							       (s[i] - '0');
						k++;
						i++;
					}
					for (; k < 6; k++)
						frac *= 10;
				}
			}
			if (!rd_zone(s, n, &i, &off))
				return false;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	/* past the microseconds a long holds (about years -290308 and
	 * 294247): not a timestamp, as Spark's parser says */
	if (!zone)
		off = 0;
	return sl_ts_compose(days, h * 3600 + mi * 60 + sec - off, frac, us);
}

/* ---- conversion ------------------------------------------------------- */

/* The value as a long, for the integral targets (bool as 0/1, a timestamp
 * as whole seconds). */
static bool as_long(const sl_value *in, int64_t *v)
{
	switch (in->type) {
	case SL_BOOL: *v = in->v.b; return true;
	case SL_INT: *v = in->v.i32; return true;
	case SL_LONG: *v = in->v.i64; return true;
	case SL_TIMESTAMP: *v = sl_floor_div(in->v.i64, 1000000); return true;
	default: return false;
	}
}

static int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	return r;
}

static void to_string(const sl_value *in, sl_arena *a, sl_value *out)
{
	if (in->type == SL_STRING || in->type == SL_BINARY) {
		*out = sl_v_str(in->v.str, in->len);
		return;
	}
	sl_buf w;
	sl_buf_init(&w, a, 32);
	/* outside ANSI mode Spark gives a decimal's Java BigDecimal text
	 * (1.0E-7); sl_cast_value_ansi the plain one */
	if (in->type == SL_DECIMAL)
		sl_fmt_decimal_java(&w, in);
	else
		sl_value_render_buf(&w, in);
	*out = sl_v_str(w.s, (uint32_t)w.len);
}

void sl_cast_value(const sl_value *in, const sl_dtype *from, const sl_dtype *to,
		   sl_arena *a, sl_value *out)
{
	if (in->type == SL_MAP) { /* to a map or a string, the legacy way */
		sl_map_cast(in, from, to, false, a, out, NULL);
		return;
	}
	int64_t l;
	*out = sl_v_null();
	if (to->id == SL_STRING) {
		to_string(in, a, out);
		return;
	}
	if (sl_is_interval(to) || sl_is_interval(from)) {
		sl_cast_interval(in, from, to, a, out, NULL);
		return;
	}
	if (to->id == SL_TIMESTAMP_NTZ || in->type == SL_TIMESTAMP_NTZ) {
		/* the wall clock of UTC, the session time zone */
		sl_value w = *in;
		if (in->type == SL_STRING) {
			int64_t us;
			if (sl_str_to_ts_ntz(in->v.str, in->len, &us))
				*out = sl_v_ts(us);
			if (to->id == SL_TIMESTAMP_NTZ && out->type)
				out->type = SL_TIMESTAMP_NTZ;
			return;
		}
		if (in->type == SL_TIMESTAMP_NTZ)
			w.type = SL_TIMESTAMP;
		sl_cast_value(&w, &sl_dtype_timestamp,
			      to->id == SL_TIMESTAMP_NTZ ? &sl_dtype_timestamp
							 : to,
			      a, out);
		if (to->id == SL_TIMESTAMP_NTZ && out->type == SL_TIMESTAMP)
			out->type = SL_TIMESTAMP_NTZ;
		return;
	}
	if (to->id == SL_DECIMAL ||
	    (in->type == SL_DECIMAL && to->id != SL_ARRAY &&
	     to->id != SL_STRUCT && to->id != SL_BINARY && to->id != SL_DATE)) {
		int rc = sl_cast_dec(in, to, a, out);
		if (rc && !(rc == SL_DECIMAL_EOVERFLOW && to->id != SL_DECIMAL &&
			    out->type != SL_NULL))
			*out = sl_v_null();
		return;
	}
	if (to->id == SL_FLOAT) {
		sl_cast_float(in, out);
		return;
	}
	sl_value wide;
	if (in->type == SL_FLOAT) {
		/* a float converts as the double it widens to */
		wide = sl_v_double(in->v.f32);
		in = &wide;
	}
	switch ((int)to->id) {
	case SL_BYTE:
	case SL_SHORT:
		/* through int, then Java's (byte)/(short) wrap; a string
		 * out of the type's range is null */
		sl_cast_value(in, from, &sl_dtype_int, a, out);
		if (out->type != SL_INT)
			return;
		if (in->type == SL_STRING &&
		    out->v.i32 != (to->id == SL_BYTE ? (int8_t)out->v.i32
						     : (int16_t)out->v.i32))
			*out = sl_v_null();
		else
			out->v.i32 = to->id == SL_BYTE ? (int8_t)out->v.i32
						       : (int16_t)out->v.i32;
		return;
	case SL_INT:
		if (in->type == SL_DOUBLE) {
			*out = sl_v_int(sl_double_to_int(in->v.f64));
		} else if (in->type == SL_STRING) {
			int32_t i;
			if (sl_str_to_int(in->v.str, in->len, &i))
				*out = sl_v_int(i);
		} else if (as_long(in, &l)) {
			*out = sl_v_int((int32_t)l); /* wraps, as Java */
		}
		return;
	case SL_LONG:
		if (in->type == SL_DOUBLE) {
			*out = sl_v_long(sl_double_to_long(in->v.f64));
		} else if (in->type == SL_STRING) {
			if (sl_str_to_long(in->v.str, in->len, &l))
				*out = sl_v_long(l);
		} else if (as_long(in, &l)) {
			*out = sl_v_long(l);
		}
		return;
	case SL_DOUBLE:
		if (in->type == SL_STRING) {
			double d;
			if (sl_str_to_double(in->v.str, in->len, &d))
				*out = sl_v_double(d);
		} else if (in->type == SL_TIMESTAMP) {
			*out = sl_v_double((double)in->v.i64 / 1e6);
		} else if (in->type == SL_DOUBLE) {
			*out = *in;
		} else if (as_long(in, &l)) {
			*out = sl_v_double((double)l);
		}
		return;
	case SL_BOOL:
		if (in->type == SL_STRING) {
			bool b;
			if (sl_str_to_bool(in->v.str, in->len, &b))
				*out = sl_v_bool(b);
		} else if (in->type == SL_DOUBLE) {
			*out = sl_v_bool(in->v.f64 != 0);
		} else if (in->type == SL_TIMESTAMP) {
			*out = sl_v_bool(in->v.i64 != 0);
		} else if (as_long(in, &l)) {
			*out = sl_v_bool(l != 0);
		}
		return;
	case SL_TIMESTAMP:
		if (in->type == SL_STRING) {
			int64_t us;
			if (sl_str_to_ts(in->v.str, in->len, &us))
				*out = sl_v_ts(us);
		} else if (in->type == SL_DATE) {
			int64_t us;
			/* beyond a long's microseconds: null here; an
			 * evaluated CAST raises Spark's overflow */
			if (!__builtin_mul_overflow((int64_t)in->v.i32,
						    SL_US_PER_DAY, &us))
				*out = sl_v_ts(us);
		} else if (in->type == SL_DOUBLE) {
			if (isfinite(in->v.f64))
				*out = sl_v_ts(
					sl_double_to_long(in->v.f64 * 1e6));
		} else if (in->type == SL_TIMESTAMP) {
			*out = *in;
		} else if (as_long(in, &l)) {
			*out = sl_v_ts(sat_mul(l, 1000000));
		}
		return;
	case SL_DATE:
		if (in->type == SL_STRING) {
			int32_t d;
			if (sl_str_to_date(in->v.str, in->len, &d))
				*out = sl_v_date(d);
		} else if (in->type == SL_TIMESTAMP) {
			*out = sl_v_date((int32_t)sl_floor_div(in->v.i64,
							       SL_US_PER_DAY));
		} else if (in->type == SL_DATE) {
			*out = *in;
		}
		return;
	case SL_BINARY:
		if (in->type == SL_STRING || in->type == SL_BINARY) {
			*out = sl_v_bin(in->v.bin, in->len);
		} else if (in->type == SL_INT || in->type == SL_LONG) {
			/* big-endian bytes, as Spark */
			int nb = in->type == SL_INT ? 4 : 8;
			uint64_t v = in->type == SL_INT ? (uint32_t)in->v.i32
							: (uint64_t)in->v.i64;
			uint8_t *b = sl_arena_alloc(a, 8);
			for (int k = nb - 1; k >= 0; k--, v >>= 8)
				b[k] = (uint8_t)v;
			*out = sl_v_bin(b, (uint32_t)nb);
		}
		return;
	case SL_ARRAY: {
		if (in->type != SL_ARRAY)
			return;
		sl_value *v =
			sl_arena_alloc(a, (in->len ? in->len : 1) * sizeof(*v));
		for (uint32_t k = 0; k < in->len; k++) {
			if (in->v.arr[k].type == SL_NULL)
				v[k] = sl_v_null();
			else
				sl_cast_value(&in->v.arr[k], from->elem,
					      to->elem, a, &v[k]);
		}
		out->type = SL_ARRAY;
		out->len = in->len;
		out->v.arr = v;
		return;
	}
	case SL_STRUCT: {
		if (in->type != SL_STRUCT || in->len != to->fields->n)
			return;
		sl_value *v =
			sl_arena_alloc(a, (in->len ? in->len : 1) * sizeof(*v));
		for (uint32_t k = 0; k < in->len; k++) {
			if (in->v.fields[k].type == SL_NULL)
				v[k] = sl_v_null();
			else
				sl_cast_value(&in->v.fields[k],
					      from->fields->fields[k].type,
					      to->fields->fields[k].type, a,
					      &v[k]);
		}
		out->type = SL_STRUCT;
		out->len = in->len;
		out->v.fields = v;
		return;
	}
	default: return;
	}
}

/* ---- ANSI casts -------------------------------------------------------- */

void sl_value_sql_literal(sl_buf *w, const sl_value *v)
{
	switch (v->type) {
	case SL_STRING: {
		uint32_t n = v->len > 100 ? 100 : v->len;
		sl_buf_putc(w, '\'');
		for (uint32_t i = 0; i < n; i++) {
			if (v->v.str[i] == '\'' || v->v.str[i] == '\\')
				sl_buf_putc(w, '\\');
			sl_buf_putc(w, v->v.str[i]);
		}
		sl_buf_puts(w, n < v->len ? "...'" : "'");
		return;
	}
	case SL_DATE: sl_buf_puts(w, "DATE '"); break;
	case SL_TIMESTAMP: sl_buf_puts(w, "TIMESTAMP '"); break;
	case SL_TIMESTAMP_NTZ: sl_buf_puts(w, "TIMESTAMP_NTZ '"); break;
	default: break;
	}
	sl_value_render_buf(w, v);
	if (v->type == SL_LONG)
		sl_buf_putc(w, 'L');
	else if (v->type == SL_DECIMAL)
		sl_buf_puts(w, "BD");
	else if (v->type == SL_DOUBLE && isfinite(v->v.f64))
		sl_buf_putc(w, 'D');
	else if (v->type == SL_DATE || v->type == SL_TIMESTAMP ||
		 v->type == SL_TIMESTAMP_NTZ)
		sl_buf_putc(w, '\'');
}

/* Whether Spark's ANSI cast of the number in to the integral type to
 * overflows (Java's checks: floor and ceil against the bounds as
 * doubles, NaN failing both). */
static bool cast_overflows(const sl_value *in, sl_type to)
{
	double lo, hi;
	int64_t l;
	if (to == SL_BYTE || to == SL_SHORT) {
		lo = to == SL_BYTE ? -128.0 : -32768.0;
		hi = to == SL_BYTE ? 127.0 : 32767.0;
		if (in->type == SL_DOUBLE)
			return !(floor(in->v.f64) <= hi &&
				 ceil(in->v.f64) >= lo);
		return in->type != SL_BOOL && as_long(in, &l) &&
		       (l < lo || l > hi);
	}
	if (to == SL_INT) {
		lo = -2147483648.0;
		hi = 2147483647.0;
	} else if (to == SL_LONG) {
		lo = -9223372036854775808.0;
		hi = 9223372036854775807.0;
	} else {
		return false;
	}
	if (in->type == SL_DOUBLE)
		return !(floor(in->v.f64) <= hi && ceil(in->v.f64) >= lo);
	if (to == SL_INT && in->type != SL_BOOL && as_long(in, &l))
		return l < INT32_MIN || l > INT32_MAX;
	return false;
}

int sl_cast_error(sl_err *err, const char *cls, const char *why,
		      const char *hint, const sl_value *in,
		      const sl_dtype *from, const sl_dtype *to)
{
	char ft[64], tt[64], val[160];
	sl_type_sql(from, ft, sizeof(ft));
	sl_type_sql(to, tt, sizeof(tt));
	sl_buf w;
	sl_buf_fixed(&w, val, sizeof(val));
	sl_value_sql_literal(&w, in);
	return sl_runtime_error(
		err, cls,
		"The value %s of the type \"%s\" cannot be cast "
		"to \"%s\" %s. %s",
		sl_buf_cstr(&w), ft, tt, why, hint);
}

/* [+-]digits between optional white space */
static bool integer_text(const char *s, size_t n)
{
	trim_ctl(&s, &n);
	size_t i = n && (s[0] == '+' || s[0] == '-');
	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int sl_cast_value_ansi(const sl_value *in, const sl_dtype *from,
		       const sl_dtype *to, sl_arena *a, sl_value *out,
		       sl_err *err)
{
	if (in->type == SL_DECIMAL && to->id == SL_STRING) {
		sl_buf w;
		sl_buf_init(&w, a, SL_DECIMAL_TEXT_MAX);
		sl_value_render_buf(&w, in);
		*out = sl_v_str(w.s, (uint32_t)w.len);
		return 0;
	}
	if (to->id == SL_DECIMAL ||
	    (in->type == SL_DECIMAL && to->id != SL_STRING &&
	     to->id != SL_ARRAY && to->id != SL_STRUCT &&
	     to->id != SL_BINARY && to->id != SL_DATE))
		return sl_cast_dec_ansi(in, from, to, a, out, err);
	/* a float converts as the double it widens to; messages show it
	 * as the float it is */
	const sl_value *shown = in;
	sl_value wide;
	if (in->type == SL_FLOAT && to->id != SL_STRING &&
	    to->id != SL_FLOAT) {
		wide = sl_v_double(in->v.f32);
		in = &wide;
	}
	if (cast_overflows(in, to->id))
		return sl_cast_error(err, "CAST_OVERFLOW", "due to an overflow",
				  "Use `try_cast` to tolerate overflow and "
				  "return NULL instead. SQLSTATE: 22003",
				  shown, from, to);
	sl_cast_value(in, from, to, a, out);
	/* the legacy cast reads '1.5' as the int 1; ANSI wants an integer */
	if (in->type == SL_STRING &&
	    (to->id == SL_INT || to->id == SL_LONG || to->id == SL_BYTE ||
	     to->id == SL_SHORT) &&
	    !integer_text(in->v.str, in->len))
		*out = sl_v_null();
	if (out->type == SL_NULL && in->type == SL_STRING &&
	    to->id != SL_ARRAY && to->id != SL_STRUCT)
		return sl_cast_error(err, "CAST_INVALID_INPUT",
				  "because it is malformed",
				  "Correct the value as per the syntax, or "
				  "change its target type. Use `try_cast` to "
				  "tolerate malformed input and return NULL "
				  "instead. SQLSTATE: 22018",
				  shown, from, to);
	return 0;
}

/* a cast with an interval on a side (not to STRING): Spark raises its
 * errors in both modes, TRY_CAST gives null */
static int eval_cast_interval(const sl_expr *e, const sl_value *row,
			      sl_arena *a, sl_value *out, sl_err *err)
{
	sl_value t;
	const sl_value *x;
	int rc = sl_eval_operand(e->args[0], row, a, &t, &x, err);
	if (rc)
		return rc;
	if (x->type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	rc = sl_cast_interval(x, e->args[0]->type, e->type, a, out, err);
	if (rc && e->op) {
		*out = sl_v_null();
		return 0;
	}
	return rc;
}

sl_eval_fn sl_cast_evaluator(const sl_dtype *from, const sl_dtype *to)
{
	if ((sl_is_interval(from) || sl_is_interval(to)) &&
	    to->id != SL_STRING)
		return eval_cast_interval;
	return sl_eval_cast;
}

int sl_eval_cast(const sl_expr *e, const sl_value *row, sl_arena *a,
		 sl_value *out, sl_err *err)
{
	sl_value t;
	const sl_value *x;
	int rc = sl_eval_operand(e->args[0], row, a, &t, &x, err);
	if (rc)
		return rc;
	if (x->type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	/* Spark's DATE -> TIMESTAMP multiplies exactly and fails in both
	 * modes when the date's microseconds pass a long */
	int64_t us;
	if (x->type == SL_DATE && e->type->id == SL_TIMESTAMP &&
	    __builtin_mul_overflow((int64_t)x->v.i32, SL_US_PER_DAY, &us))
		return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					"long overflow casting the date %d "
					"days from 1970-01-01 to TIMESTAMP",
					x->v.i32);
	if (x->type == SL_MAP) /* to a map or a string */
		return sl_map_cast(x, e->args[0]->type, e->type,
				   e->flags & EXF_ANSI, a, out, err);
	if (e->flags & EXF_ANSI)
		return sl_cast_value_ansi(x, e->args[0]->type, e->type, a, out,
					  err);
	sl_cast_value(x, e->args[0]->type, e->type, a, out);
	return 0;
}
