/* core/interval.c - Spark's ANSI interval types: their singletons and
 * names, their values' text (IntervalUtils' ANSI style), the parsing of
 * interval texts (unit-to-unit forms and multi-unit lists, for literals
 * and casts), and the month arithmetic of dates and timestamps. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "core/interval.h"
#include "core/value_text.h"

/* ---- types ------------------------------------------------------------ */

#define YM1(s, e) { .id = SL_INTERVAL_YM, .precision = (s), .scale = (e) }
#define DT1(s, e) { .id = SL_INTERVAL_DT, .precision = (s), .scale = (e) }
static const sl_dtype ym_types[2][2] = { { YM1(0, 0), YM1(0, 1) },
					 { YM1(1, 0), YM1(1, 1) } };
static const sl_dtype dt_types[4][4] = {
	{ DT1(0, 0), DT1(0, 1), DT1(0, 2), DT1(0, 3) },
	{ DT1(1, 0), DT1(1, 1), DT1(1, 2), DT1(1, 3) },
	{ DT1(2, 0), DT1(2, 1), DT1(2, 2), DT1(2, 3) },
	{ DT1(3, 0), DT1(3, 1), DT1(3, 2), DT1(3, 3) },
};

const sl_dtype *sl_dtype_interval(sl_type id, int start, int end)
{
	int max = id == SL_INTERVAL_YM ? 1 : id == SL_INTERVAL_DT ? 3 : -1;
	if (start < 0 || end > max || start > end)
		return NULL;
	return id == SL_INTERVAL_YM ? &ym_types[start][end]
				    : &dt_types[start][end];
}

const sl_dtype *sl_dtype_interval_ym(void)
{
	return &ym_types[SL_IV_YEAR][SL_IV_MONTH];
}

const sl_dtype *sl_dtype_interval_dt(void)
{
	return &dt_types[SL_IV_DAY][SL_IV_SECOND];
}

const sl_dtype *sl_interval_wider(const sl_dtype *a, const sl_dtype *b)
{
	if (a->id != b->id)
		return NULL;
	return sl_dtype_interval(a->id,
				 a->precision < b->precision ? a->precision
							     : b->precision,
				 a->scale > b->scale ? a->scale : b->scale);
}

static const char *const ym_names[] = { "YEAR", "MONTH" };
static const char *const dt_names[] = { "DAY", "HOUR", "MINUTE", "SECOND" };

const char *sl_interval_field_name(sl_type id, int field)
{
	if (id == SL_INTERVAL_YM && field >= 0 && field <= 1)
		return ym_names[field];
	if (id == SL_INTERVAL_DT && field >= 0 && field <= 3)
		return dt_names[field];
	return NULL;
}

bool sl_interval_field_of(const char *s, size_t n, sl_type *id, int *field)
{
	for (int k = 0; k < 2; k++)
		if (strlen(ym_names[k]) == n && !strncasecmp(s, ym_names[k], n)) {
			*id = SL_INTERVAL_YM;
			*field = k;
			return true;
		}
	for (int k = 0; k < 4; k++)
		if (strlen(dt_names[k]) == n && !strncasecmp(s, dt_names[k], n)) {
			*id = SL_INTERVAL_DT;
			*field = k;
			return true;
		}
	return false;
}

static void put_word(sl_buf *w, const char *s, bool upper)
{
	for (; *s; s++)
		sl_buf_putc(w, upper ? *s : (char)tolower((unsigned char)*s));
}

void sl_interval_type_name(sl_buf *w, const sl_dtype *t, bool upper)
{
	put_word(w, "INTERVAL ", upper);
	put_word(w, sl_interval_field_name(t->id, t->precision), upper);
	if (t->scale != t->precision) {
		put_word(w, " TO ", upper);
		put_word(w, sl_interval_field_name(t->id, t->scale), upper);
	}
}

/* ---- text ------------------------------------------------------------- */

/* seconds.micros of r microseconds (0 <= r), trailing zeros dropped,
 * with a leading 0 under ten seconds: "04", "01.5", "00.001" */
static void put_seconds(sl_buf *w, uint64_t r)
{
	if (r < 10 * (uint64_t)SL_US_PER_SECOND)
		sl_buf_putc(w, '0');
	sl_buf_printf(w, "%" PRIu64, (uint64_t)(r / SL_US_PER_SECOND));
	uint64_t f = (uint64_t)(r % SL_US_PER_SECOND);
	if (!f)
		return;
	char d[8];
	snprintf(d, sizeof(d), "%06" PRIu64, f);
	int k = 6;
	while (k > 0 && d[k - 1] == '0')
		k--;
	sl_buf_printf(w, ".%.*s", k, d);
}

static void render_dt(sl_buf *w, int64_t us, int s, int e)
{
	/* |INT64_MIN| in unsigned arithmetic, so no special case */
	uint64_t r = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	if (us < 0)
		sl_buf_putc(w, '-');
	static const uint64_t unit[] = { SL_US_PER_DAY, SL_US_PER_HOUR,
					 SL_US_PER_MINUTE };
	for (int f = s; f <= e; f++) {
		if (f > s)
			sl_buf_putc(w, f == SL_IV_HOUR ? ' ' : ':');
		if (f == SL_IV_SECOND) {
			put_seconds(w, r);
			break;
		}
		uint64_t q = r / unit[f];
		r %= unit[f];
		sl_buf_printf(w, f == SL_IV_DAY ? "%" PRIu64 : "%02" PRIu64, q);
	}
}

void sl_interval_render(sl_buf *w, const sl_value *v)
{
	int s = v->pad[0], e = v->pad[1];
	sl_type id = (sl_type)v->type;
	sl_buf_puts(w, "INTERVAL '");
	if (id == SL_INTERVAL_YM) {
		int64_t m = v->v.i32;
		const char *sign = m < 0 ? "-" : "";
		uint64_t a = m < 0 ? (uint64_t)-m : (uint64_t)m;
		if (s == e && s == SL_IV_MONTH)
			sl_buf_printf(w, "%" PRId64, m);
		else if (s == e)
			sl_buf_printf(w, "%s%" PRIu64, sign, a / 12);
		else
			sl_buf_printf(w, "%s%" PRIu64 "-%" PRIu64, sign, a / 12,
				      a % 12);
	} else {
		render_dt(w, v->v.i64, s, e);
	}
	const char *fs = sl_interval_field_name(id, s);
	const char *fe = sl_interval_field_name(id, e);
	sl_buf_printf(w, "' %s", fs ? fs : "?");
	if (e != s)
		sl_buf_printf(w, " TO %s", fe ? fe : "?");
}

/* ---- parsing: unit-to-unit forms -------------------------------------- */

typedef struct cur {
	const char *s;
	size_t n, i;
} cur;

static void skip_ws(cur *c)
{
	while (c->i < c->n && isspace((unsigned char)c->s[c->i]))
		c->i++;
}

static int take_sign(cur *c)
{
	if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
		return c->s[c->i++] == '-' ? -1 : 1;
	return 1;
}

/* digits (at least 1, at most max; 0: any) into *v, false on none or
 * past 18 digits */
static bool take_digits(cur *c, int max, uint64_t *v)
{
	size_t st = c->i;
	*v = 0;
	while (c->i < c->n && isdigit((unsigned char)c->s[c->i])) {
		if (c->i - st >= 18 || (max && (int)(c->i - st) >= max))
			return false;
		*v = *v * 10 + (uint64_t)(c->s[c->i++] - '0');
	}
	return c->i > st;
}

static bool take_char(cur *c, char ch)
{
	if (c->i < c->n && c->s[c->i] == ch) {
		c->i++;
		return true;
	}
	return false;
}

/* The bare body of a day-time text for fields s..e: magnitude in *us. */
static bool body_dt(cur *c, int s, int e, uint64_t *us, char *why,
		    size_t whyn)
{
	static const uint64_t unit[] = { SL_US_PER_DAY, SL_US_PER_HOUR,
					 SL_US_PER_MINUTE, SL_US_PER_SECOND };
	static const uint64_t lead_max[] = { 106751991ULL, 2562047788ULL,
					     153722867280ULL,
					     9223372036854ULL };
	static const uint64_t range[] = { 0, 23, 59, 59 };
	__extension__ unsigned __int128 total = 0;
	for (int f = s; f <= e; f++) {
		if (f > s && !take_char(c, f == SL_IV_HOUR ? ' ' : ':'))
			return false;
		uint64_t v;
		if (!take_digits(c, f == s ? 0 : 2, &v))
			return false;
		if (f == s ? v > lead_max[f] : v > range[f]) {
			snprintf(why, whyn, "%s %" PRIu64 " outside range [0, %" PRIu64 "]",
				 f == SL_IV_DAY ? "day" : f == SL_IV_HOUR ? "hour"
						 : f == SL_IV_MINUTE ? "minute" : "second",
				 v, f == s ? lead_max[f] : range[f]);
			return false;
		}
		total += (unsigned __int128)v * unit[f];
		if (f == SL_IV_SECOND && take_char(c, '.')) {
			uint64_t frac = 0;
			int k = 0;
			while (c->i < c->n && isdigit((unsigned char)c->s[c->i])) {
				if (++k > 9)
					return false;
				if (k <= 6)
					frac = frac * 10 + (uint64_t)(c->s[c->i] - '0');
				c->i++;
			}
			if (!k)
				return false;
			for (; k < 6; k++)
				frac *= 10;
			total += frac;
		}
	}
	if (total > (unsigned __int128)INT64_MAX + 1)
		return false;
	*us = (uint64_t)total;
	return true;
}

static bool body_ym(cur *c, int s, int e, uint64_t *months, char *why,
		    size_t whyn)
{
	uint64_t y = 0, m = 0;
	if (s == SL_IV_YEAR) {
		if (!take_digits(c, 0, &y))
			return false;
		if (e == SL_IV_MONTH) {
			if (!take_char(c, '-') || !take_digits(c, 0, &m))
				return false;
			if (m > 11) {
				snprintf(why, whyn, "Error parsing interval "
						    "year-month string");
				return false;
			}
		}
	} else if (!take_digits(c, 0, &m)) {
		return false;
	}
	if (y > 178956970 || m > 2147483648ULL || y * 12 + m > 2147483648ULL)
		return false;
	*months = y * 12 + m;
	return true;
}

/* the word w at the cursor, any case, then white space */
static bool take_word(cur *c, const char *w)
{
	size_t k = strlen(w);
	if (c->n - c->i < k || strncasecmp(c->s + c->i, w, k))
		return false;
	c->i += k;
	return true;
}

static void format_hint(const sl_dtype *t, char *why, size_t whyn)
{
	static const char *const dt_fmt[4][4] = {
		{ "d", "d h", "d h:m", "d h:m:s.n" },
		{ "", "h", "h:m", "h:m:s.n" },
		{ "", "", "m", "m:s.n" },
		{ "", "", "", "s.n" },
	};
	static const char *const ym_fmt[2][2] = { { "y", "y-m" }, { "", "m" } };
	const char *f = t->id == SL_INTERVAL_YM ? ym_fmt[t->precision][t->scale]
						: dt_fmt[t->precision][t->scale];
	sl_buf w;
	sl_buf_fixed(&w, why, whyn);
	sl_buf_printf(&w,
		      "Interval string does not match %s format of "
		      "`[+|-]%s`, `INTERVAL [+|-]'[+|-]%s' ",
		      t->id == SL_INTERVAL_YM ? "year-month" : "day-time", f, f);
	sl_interval_type_name(&w, t, true);
	sl_buf_puts(&w, "` when cast to ");
	sl_interval_type_name(&w, t, false);
	sl_buf_cstr(&w);
}

int sl_interval_parse_fields(const char *s, size_t n, const sl_dtype *t,
			     bool allow_prefixed, int sign, sl_value *out,
			     char *why, size_t whyn)
{
	cur c = { .s = s, .n = n };
	why[0] = 0;
	skip_ws(&c);
	bool prefixed = false;
	if (allow_prefixed && take_word(&c, "INTERVAL")) {
		prefixed = true;
		skip_ws(&c);
		sign *= take_sign(&c);
		if (!take_char(&c, '\''))
			goto bad;
	}
	sign *= take_sign(&c);
	uint64_t mag;
	bool ok = t->id == SL_INTERVAL_YM
			  ? body_ym(&c, t->precision, t->scale, &mag, why, whyn)
			  : body_dt(&c, t->precision, t->scale, &mag, why, whyn);
	if (!ok)
		goto bad;
	if (prefixed) {
		if (!take_char(&c, '\''))
			goto bad;
		skip_ws(&c);
		if (!take_word(&c, sl_interval_field_name(t->id, t->precision)))
			goto bad;
		if (t->scale != t->precision) {
			skip_ws(&c);
			if (!take_word(&c, "TO"))
				goto bad;
			skip_ws(&c);
			if (!take_word(&c, sl_interval_field_name(t->id, t->scale)))
				goto bad;
		}
	}
	skip_ws(&c);
	if (c.i != c.n)
		goto bad;
	if (t->id == SL_INTERVAL_YM) {
		if (mag > (uint64_t)INT32_MAX + (sign < 0))
			goto bad;
		int64_t m = sign < 0 ? -(int64_t)mag : (int64_t)mag;
		*out = sl_v_interval_ym((int32_t)m, t);
	} else {
		if (mag > (uint64_t)INT64_MAX + (sign < 0))
			goto bad;
		int64_t us = sign < 0 ? (int64_t)(0 - mag) : (int64_t)mag;
		*out = sl_v_interval_dt(us, t);
	}
	return 0;
bad:
	if (!why[0])
		format_hint(t, why, whyn);
	return -1;
}

/* ---- parsing: multi-unit lists ---------------------------------------- */

static const struct {
	const char *name;
	sl_type id;
	int field;
	int64_t mul; /* months or microseconds per unit */
} units[] = {
	{ "year", SL_INTERVAL_YM, SL_IV_YEAR, 12 },
	{ "month", SL_INTERVAL_YM, SL_IV_MONTH, 1 },
	{ "week", SL_INTERVAL_DT, SL_IV_DAY, 7 * SL_US_PER_DAY },
	{ "day", SL_INTERVAL_DT, SL_IV_DAY, SL_US_PER_DAY },
	{ "hour", SL_INTERVAL_DT, SL_IV_HOUR, SL_US_PER_HOUR },
	{ "minute", SL_INTERVAL_DT, SL_IV_MINUTE, SL_US_PER_MINUTE },
	{ "second", SL_INTERVAL_DT, SL_IV_SECOND, SL_US_PER_SECOND },
	{ "millisecond", SL_INTERVAL_DT, SL_IV_SECOND, 1000 },
	{ "microsecond", SL_INTERVAL_DT, SL_IV_SECOND, 1 },
};

static int unit_fail(char *why, size_t whyn, const char *cls, const char *s,
		     size_t n, const char *what)
{
	snprintf(why, whyn,
		 "[INVALID_INTERVAL_FORMAT.%s] Error parsing '%.*s' to "
		 "interval. %s",
		 cls, (int)(n > 100 ? 100 : n), s, what);
	return -1;
}

int sl_interval_parse_units(const char *s, size_t n, sl_value *out,
			    const sl_dtype **t, char *why, size_t whyn)
{
	cur c = { .s = s, .n = n };
	char msg[160];
	int64_t months = 0, us = 0;
	int lo = 9, hi = -1;
	sl_type kind = SL_NULL;
	skip_ws(&c);
	size_t save = c.i;
	if (!take_word(&c, "interval") ||
	    (c.i < c.n && !isspace((unsigned char)c.s[c.i])))
		c.i = save;
	skip_ws(&c);
	if (c.i == c.n)
		return unit_fail(why, whyn, "INPUT_IS_EMPTY", s, n,
				 "The interval string is empty.");
	while (c.i < c.n) {
		int sign = take_sign(&c);
		uint64_t v, frac = 0;
		int fk = -1;
		size_t vstart = c.i;
		if (!take_digits(&c, 0, &v)) {
			return unit_fail(why, whyn, "INVALID_VALUE", s, n,
					 "Invalid value.");
		}
		if (take_char(&c, '.')) {
			fk = 0;
			while (c.i < c.n && isdigit((unsigned char)c.s[c.i])) {
				if (fk < 6)
					frac = frac * 10 + (uint64_t)(c.s[c.i] - '0');
				fk++;
				c.i++;
			}
			for (int k = fk; k < 6; k++)
				frac *= 10;
		}
		size_t vend = c.i;
		skip_ws(&c);
		size_t us0 = c.i;
		while (c.i < c.n && !isspace((unsigned char)c.s[c.i]))
			c.i++;
		size_t ul = c.i - us0;
		const char *u = c.s + us0;
		int k = -1;
		for (int j = 0; j < (int)(sizeof(units) / sizeof(units[0])); j++) {
			size_t l = strlen(units[j].name);
			if ((ul == l || (ul == l + 1 && (u[l] == 's' || u[l] == 'S'))) &&
			    !strncasecmp(u, units[j].name, l))
				k = j;
		}
		if (k < 0) {
			snprintf(msg, sizeof(msg), "Invalid unit %.*s.",
				 (int)(ul ? ul : vend - vstart),
				 ul ? u : c.s + vstart);
			return unit_fail(why, whyn, "INVALID_UNIT", s, n, msg);
		}
		if (fk >= 0 && units[k].mul != SL_US_PER_SECOND) {
			snprintf(msg, sizeof(msg),
				 "%.*s cannot have fractional part.", (int)ul, u);
			return unit_fail(why, whyn, "INVALID_FRACTION", s, n,
					 msg);
		}
		if (kind != SL_NULL && kind != units[k].id)
			return unit_fail(why, whyn, "MIXED", s, n,
					 "Cannot mix year-month and day-time "
					 "fields.");
		kind = units[k].id;
		lo = units[k].field < lo ? units[k].field : lo;
		hi = units[k].field > hi ? units[k].field : hi;
		int64_t x, sv = sign < 0 ? -(int64_t)v : (int64_t)v;
		bool ovf = v > (uint64_t)INT64_MAX;
		if (kind == SL_INTERVAL_YM) {
			ovf = ovf || __builtin_mul_overflow(sv, units[k].mul, &x) ||
			      __builtin_add_overflow(months, x, &months) ||
			      months > INT32_MAX || months < INT32_MIN;
		} else {
			ovf = ovf || __builtin_mul_overflow(sv, units[k].mul, &x) ||
			      __builtin_add_overflow(us, x, &us) ||
			      __builtin_add_overflow(
				      us, sign < 0 ? -(int64_t)frac : (int64_t)frac,
				      &us);
		}
		if (ovf) {
			snprintf(msg, sizeof(msg),
				 "Uncaught arithmetic exception while parsing "
				 "'%.*s'.",
				 (int)(n > 80 ? 80 : n), s);
			return unit_fail(why, whyn, "ARITHMETIC_EXCEPTION", s, n,
					 msg);
		}
		skip_ws(&c);
	}
	*t = sl_dtype_interval(kind, lo, hi);
	*out = kind == SL_INTERVAL_YM ? sl_v_interval_ym((int32_t)months, *t)
				      : sl_v_interval_dt(us, *t);
	return 0;
}

/* ---- month arithmetic ------------------------------------------------- */

bool sl_date_add_months(int32_t days, int32_t months, int32_t *out)
{
	int64_t y;
	int m, d;
	sl_civil_from_days(days, &y, &m, &d);
	int64_t total = y * 12 + (m - 1) + months;
	int64_t ny = sl_floor_div(total, 12);
	int nm = (int)(total - ny * 12) + 1;
	int dim = sl_days_in_month(ny, nm);
	if (d > dim)
		d = dim;
	int64_t r = sl_days_from_civil(ny, nm, d);
	if (r < INT32_MIN || r > INT32_MAX)
		return false;
	*out = (int32_t)r;
	return true;
}

bool sl_ts_add_months(int64_t us, int32_t months, int64_t *out)
{
	int64_t days = sl_floor_div(us, SL_US_PER_DAY);
	int64_t tod = us - days * SL_US_PER_DAY;
	int32_t nd;
	if (days < INT32_MIN || days > INT32_MAX ||
	    !sl_date_add_months((int32_t)days, months, &nd))
		return false;
	int64_t r;
	if (__builtin_mul_overflow((int64_t)nd, SL_US_PER_DAY, &r) ||
	    __builtin_add_overflow(r, tod, &r))
		return false;
	*out = r;
	return true;
}
