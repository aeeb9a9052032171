/* expr/time.c - datetime functions: to_timestamp, to_date,
 * date_format, current_timestamp, current_date, and Spark's datetime
 * pattern letters.
 *
 * Patterns (yyyy-MM-dd HH:mm:ss.SSS, 'quoted' text, ...) are compiled once
 * at bind time when they are literals, which they nearly always are. The
 * session time zone is UTC: zone letters (X, x, Z) print and accept UTC
 * and fixed offsets only. A string that does not match its pattern gives
 * null, as Spark with ANSI off. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "expr/internal.h"

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

static const char *const month_names[] = {
	"January", "February", "March",	    "April",   "May",	   "June",
	"July",	   "August",   "September", "October", "November", "December",
};
static const char *const day_names[] = {
	"Monday", "Tuesday",  "Wednesday", "Thursday",
	"Friday", "Saturday", "Sunday",
};

/* ---- patterns --------------------------------------------------------- */

typedef struct dt_item {
	char letter; /* 0: literal text */
	uint8_t count;
	uint16_t len;
	const char *lit;
} dt_item;

typedef struct dt_pat {
	uint32_t n;
	dt_item it[];
} dt_pat;

static int max_count(char c)
{
	switch (c) {
	case 'y': return 9;
	case 'M':
	case 'L':
	case 'E': return 4;
	case 'd':
	case 'H':
	case 'h':
	case 'm':
	case 's': return 2;
	case 'S': return 9;
	case 'a': return 1;
	case 'X':
	case 'x':
	case 'Z': return 5;
	default: return 0;
	}
}

/* NULL and *why on an unsupported or malformed pattern. */
static const dt_pat *dt_compile(const char *p, size_t n, sl_arena *a,
				const char **why)
{
	dt_pat *dp = sl_arena_alloc(a, sizeof(*dp) + (n + 1) * sizeof(dt_item));
	char *lit = sl_arena_alloc(a, n + 1);
	size_t o = 0;
	dp->n = 0;
	for (size_t i = 0; i < n;) {
		char c = p[i];
		if (isalpha((unsigned char)c)) {
			size_t j = i;
			while (j < n && p[j] == c)
				j++;
			int mc = max_count(c);
			if (!mc) {
				*why = "unsupported datetime pattern letter";
				return NULL;
			}
			if ((int)(j - i) > mc) {
				*why = "too many pattern letters";
				return NULL;
			}
			dp->it[dp->n++] =
				(dt_item){ .letter = c == 'L' ? 'M' : c,
					   .count = (uint8_t)(j - i) };
			i = j;
			continue;
		}
		/* literal text: 'quoted' ('' is a quote) or any non-letter */
		size_t start = o;
		if (c == '\'') {
			if (i + 1 < n && p[i + 1] == '\'') {
				lit[o++] = '\'';
				i += 2;
			} else {
				i++;
				for (;;) {
					if (i >= n) {
						*why = "unterminated quote";
						return NULL;
					}
					if (p[i] == '\'') {
						if (i + 1 < n &&
						    p[i + 1] == '\'') {
							lit[o++] = '\'';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					lit[o++] = p[i++];
				}
			}
		} else {
			lit[o++] = c;
			i++;
		}
		dt_item *last = dp->n ? &dp->it[dp->n - 1] : NULL;
		if (last && !last->letter &&
		    last->lit + last->len == lit + start)
			last->len = (uint16_t)(last->len + (o - start));
		else
			dp->it[dp->n++] =
				(dt_item){ .lit = lit + start,
					   .len = (uint16_t)(o - start) };
	}
	return dp;
}

/* ---- formatting ------------------------------------------------------- */

static void put_num(sl_buf *w, int64_t v, int width)
{
	char buf[32];
	if (v < 0) {
		sl_buf_putc(w, '-');
		v = -v;
	}
	int l = snprintf(buf, sizeof(buf), "%0*lld", width, (long long)v);
	sl_buf_put(w, buf, (size_t)l);
}

static void dt_format_items(sl_buf *w, const dt_item *items, uint32_t n,
			    int64_t us)
{
	int64_t days = sl_floor_div(us, SL_US_PER_DAY);
	/* the time of day without days * SL_US_PER_DAY, which passes a long
	 * at the ends of the range */
	int64_t t = us % SL_US_PER_DAY, y;
	if (t < 0)
		t += SL_US_PER_DAY;
	int mo, d;
	sl_civil_from_days(days, &y, &mo, &d);
	int sec = (int)(t / 1000000), frac = (int)(t % 1000000);
	int hh = sec / 3600, mi = sec / 60 % 60, ss = sec % 60;
	for (uint32_t k = 0; k < n; k++) {
		const dt_item *it = &items[k];
		int c = it->count;
		switch (it->letter) {
		case 0: sl_buf_put(w, it->lit, it->len); break;
		case 'y':
			if (c == 2)
				put_num(w, (y % 100 + 100) % 100, 2);
			else if (c == 4 && y > 9999)
				sl_buf_printf(w, "+%lld", (long long)y);
			else
				put_num(w, y, c);
			break;
		case 'M':
			if (c >= 3) {
				const char *mn = month_names[mo - 1];
				sl_buf_put(w, mn, c == 3 ? 3 : strlen(mn));
			} else {
				put_num(w, mo, c);
			}
			break;
		case 'd': put_num(w, d, c); break;
		case 'H': put_num(w, hh, c); break;
		case 'h': put_num(w, hh % 12 ? hh % 12 : 12, c); break;
		case 'm': put_num(w, mi, c); break;
		case 's': put_num(w, ss, c); break;
		case 'S': {
			char f[16];
			snprintf(f, sizeof(f), "%06d000", frac);
			sl_buf_put(w, f, (size_t)c);
			break;
		}
		case 'a': sl_buf_puts(w, hh < 12 ? "AM" : "PM"); break;
		case 'E': {
			const char *dn = day_names[(days % 7 + 7 + 3) % 7];
			sl_buf_put(w, dn, c <= 3 ? 3 : strlen(dn));
			break;
		}
		case 'X': sl_buf_putc(w, 'Z'); break;
		case 'x':
			sl_buf_puts(w, c == 1		  ? "+00"
				       : c == 3 || c == 5 ? "+00:00"
							  : "+0000");
			break;
		case 'Z':
			sl_buf_puts(w, c <= 3 ? "+0000" : c == 4 ? "GMT" : "Z");
			break;
		}
	}
}

void sl_fmt_ts_json(sl_buf *w, int64_t us)
{
	/* Spark's JSON default: yyyy-MM-dd'T'HH:mm:ss.SSSXXX */
	static const dt_item items[] = {
		{ 'y', 4, 0, 0 }, { 0, 0, 1, "-" }, { 'M', 2, 0, 0 },
		{ 0, 0, 1, "-" }, { 'd', 2, 0, 0 }, { 0, 0, 1, "T" },
		{ 'H', 2, 0, 0 }, { 0, 0, 1, ":" }, { 'm', 2, 0, 0 },
		{ 0, 0, 1, ":" }, { 's', 2, 0, 0 }, { 0, 0, 1, "." },
		{ 'S', 3, 0, 0 }, { 'X', 3, 0, 0 },
	};
	dt_format_items(w, items, sizeof(items) / sizeof(items[0]), us);
}

static void dt_format(sl_buf *w, const dt_pat *dp, int64_t us)
{
	dt_format_items(w, dp->it, dp->n, us);
}

/* ---- parsing ---------------------------------------------------------- */

static bool is_numeric_item(const dt_item *it)
{
	return it && it->letter && strchr("yMdHhmsS", it->letter) &&
	       !(it->letter == 'M' && it->count >= 3);
}

static bool rd_num(const char *s, size_t n, size_t *i, int min, int max,
		   int64_t *v)
{
	int k = 0;
	*v = 0;
	while (*i < n && k < max && isdigit((unsigned char)s[*i])) {
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	return k >= min;
}

/* Matches one of names (case-insensitively), full or their first 3
 * letters; returns the index or -1. */
static int rd_name(const char *s, size_t n, size_t *i, const char *const *names,
		   int count, bool full)
{
	for (int k = 0; k < count; k++) {
		size_t l = full ? strlen(names[k]) : 3;
		if (n - *i >= l && !strncasecmp(s + *i, names[k], l)) {
			*i += l;
			return k;
		}
	}
	return -1;
}

static bool rd_offset(const char *s, size_t n, size_t *i, int64_t *off)
{
	*off = 0;
	if (*i < n && s[*i] == 'Z') {
		(*i)++;
		return true;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	int sign = s[(*i)++] == '-' ? -1 : 1;
	int64_t h, m = 0;
	if (!rd_num(s, n, i, 2, 2, &h))
		return false;
	if (*i < n && s[*i] == ':')
		(*i)++;
	if (*i < n && isdigit((unsigned char)s[*i]) &&
	    !rd_num(s, n, i, 2, 2, &m))
		return false;
	if (h > 18 || m > 59)
		return false;
	*off = sign * (h * 3600 + m * 60);
	return true;
}

static bool dt_parse(const dt_pat *dp, const char *s, size_t n, int64_t *us)
{
	int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0;
	int64_t off = 0, v;
	int pm = -1;
	bool h12 = false;
	size_t i = 0;
	for (uint32_t k = 0; k < dp->n; k++) {
		const dt_item *it = &dp->it[k];
		const dt_item *nx = k + 1 < dp->n ? &dp->it[k + 1] : NULL;
		int c = it->count;
		switch (it->letter) {
		case 0:
			if (n - i < it->len || memcmp(s + i, it->lit, it->len))
				return false;
			i += it->len;
			break;
		case 'y':
			/* yyyy followed directly by another number field
			 * (yyyyMMdd) has exactly its width */
			if (c == 2) {
				if (!rd_num(s, n, &i, 2, 2, &v))
					return false;
				y = 2000 + v;
			} else if (!rd_num(s, n, &i, c,
					   is_numeric_item(nx) ? c : 9, &y)) {
				return false;
			}
			break;
		case 'M':
			if (c >= 3) {
				int m = rd_name(s, n, &i, month_names, 12,
						c == 4);
				if (m < 0)
					return false;
				mo = m + 1;
			} else if (!rd_num(s, n, &i, c, 2, &mo)) {
				return false;
			}
			break;
		case 'E':
			if (rd_name(s, n, &i, day_names, 7, c == 4) < 0)
				return false;
			break;
		case 'a': {
			static const char *const ap[] = { "AM", "PM" };
			pm = rd_name(s, n, &i, ap, 2, true);
			if (pm < 0)
				return false;
			break;
		}
		case 'S':
			if (!rd_num(s, n, &i, c, c, &v))
				return false;
			for (int z = c; z < 6; z++)
				v *= 10;
			for (int z = 6; z < c; z++)
				v /= 10;
			frac = v;
			break;
		case 'X':
		case 'x':
		case 'Z':
			if (!rd_offset(s, n, &i, &off))
				return false;
			break;
		default: {
			int64_t *dst = it->letter == 'd'   ? &d
				       : it->letter == 'm' ? &mi
				       : it->letter == 's' ? &sec
							   : &h;
			h12 |= it->letter == 'h';
			if (!rd_num(s, n, &i, c, 2, dst))
				return false;
		}
		}
	}
	if (i != n)
		return false;
	if (h12) {
		if (h < 1 || h > 12)
			return false;
		h = h % 12 + (pm == 1 ? 12 : 0);
	} else if (pm == 1 && h < 12) {
		h += 12;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > sl_days_in_month(y, (int)mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return false;
	int64_t days = sl_days_from_civil(y, (int)mo, (int)d);
	return sl_ts_compose(days, h * 3600 + mi * 60 + sec - off, frac, us);
}

/* ---- functions -------------------------------------------------------- */

/* A pattern argument: compiled now if literal (errors at bind), else per
 * row. */
static int bind_pattern(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	int rc = sl_coerce(cx, &e->args[i], &sl_dtype_string, err);
	if (rc)
		return rc;
	const sl_expr *p = e->args[i];
	if (p->kind != EX_LIT || p->lit.type != SL_STRING)
		return 0;
	const char *why;
	e->aux = dt_compile(p->lit.v.str, p->lit.len, cx->a, &why);
	if (!e->aux)
		return sl_bind_fail(err, p, SL_EANALYSIS,
				    "invalid datetime pattern '%s' in %s(): %s",
				    p->sql, e->fn->name, why);
	return 0;
}

/* The value (args[0]) and the compiled pattern (args[1]: bound once when
 * it is a literal, else compiled per row; NULL for a null or bad one) of
 * f(value, pattern). */
static int eval_value_and_pattern(const sl_expr *e, const sl_value *row,
				  sl_arena *a, sl_value *x, const dt_pat **dp,
				  sl_err *err)
{
	int rc = sl_eval_child(e->args[0], row, a, x, err);
	if (rc)
		return rc;
	*dp = e->aux;
	if (*dp)
		return 0;
	sl_value p;
	rc = sl_eval_child(e->args[1], row, a, &p, err);
	if (rc || p.type == SL_NULL)
		return rc;
	const char *why;
	*dp = dt_compile(p.v.str, p.len, a, &why);
	return 0;
}

/* to_timestamp(s, fmt) / to_date(s, fmt); the one-argument forms are casts
 * and use the cast evaluator directly. */
static int ev_parse(EV_ARGS)
{
	sl_value x;
	const dt_pat *dp;
	int rc = eval_value_and_pattern(e, row, a, &x, &dp, err);
	if (rc)
		return rc;
	int64_t us;
	*out = sl_v_null();
	if (x.type == SL_NULL || !dp)
		return 0;
	if (x.type == SL_STRING) {
		if (!dt_parse(dp, x.v.str, x.len, &us))
			return 0;
	} else if (x.type == SL_DATE) {
		if (__builtin_mul_overflow((int64_t)x.v.i32, SL_US_PER_DAY,
					   &us))
			return 0; /* no timestamp holds it */
	} else {
		us = x.v.i64;
	}
	if (e->type->id == SL_DATE)
		*out = sl_v_date((int32_t)sl_floor_div(us, SL_US_PER_DAY));
	else
		*out = sl_v_ts(us);
	if (e->type->id == SL_TIMESTAMP_NTZ)
		out->type = SL_TIMESTAMP_NTZ; /* the wall clock of UTC */
	return 0;
}

static int ev_passthrough(EV_ARGS)
{
	return sl_eval_child(e->args[0], row, a, out, err);
}

static int bind_parse(sl_bind_ctx *cx, sl_expr *e, const sl_dtype *t,
		      sl_err *err)
{
	sl_type in = e->args[0]->type->id;
	e->type = t;
	if (in != SL_STRING && in != SL_TIMESTAMP && in != SL_DATE &&
	    in != SL_NULL && in != SL_TIMESTAMP_NTZ) {
		char tb[64];
		sl_dtype_name(e->args[0]->type, tb, sizeof(tb));
		return sl_type_mismatch(err, e,
					"argument 1 requires (string or date "
					"or timestamp) type, however, '%s' is "
					"of %s type",
					e->args[0]->sql, tb);
	}
	if (e->nargs == 1) {
		e->eval = ev_passthrough;
		return sl_coerce(cx, &e->args[0], t, err);
	}
	e->eval = ev_parse;
	return bind_pattern(cx, e, 1, err);
}

int sl_bind_to_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	return bind_parse(cx, e, &sl_dtype_timestamp, err);
}

int sl_bind_to_timestamp_ntz(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	return bind_parse(cx, e, &sl_dtype_timestamp_ntz, err);
}

int sl_bind_to_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	return bind_parse(cx, e, &sl_dtype_date, err);
}

static int ev_date_format(EV_ARGS)
{
	sl_value x;
	const dt_pat *dp;
	int rc = eval_value_and_pattern(e, row, a, &x, &dp, err);
	if (rc)
		return rc;
	if (x.type == SL_NULL || !dp) {
		*out = sl_v_null();
		return 0;
	}
	sl_buf w;
	sl_buf_init(&w, a, 32);
	dt_format(&w, dp, x.v.i64);
	*out = sl_v_str(w.s, (uint32_t)w.len);
	return 0;
}

int sl_bind_date_format(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_coerce(cx, &e->args[0], &sl_dtype_timestamp, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_string;
	e->eval = ev_date_format;
	return bind_pattern(cx, e, 1, err);
}

static int ev_now(EV_ARGS)
{
	int64_t us = sl_wall_us();
	if (e->type->id == SL_DATE)
		*out = sl_v_date((int32_t)sl_floor_div(us, SL_US_PER_DAY));
	else
		*out = sl_v_ts(us);
	if (e->type->id == SL_TIMESTAMP_NTZ)
		out->type = SL_TIMESTAMP_NTZ; /* the wall clock of UTC */
	return 0;
}

int sl_bind_localtimestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_timestamp_ntz;
	e->eval = ev_now;
	return 0;
}

int sl_bind_current_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_timestamp;
	e->eval = ev_now;
	return 0;
}

int sl_bind_current_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_date;
	e->eval = ev_now;
	return 0;
}
