/* io/csv.c - CSV record splitting and Spark-style text-to-value parsing
 * for the file source (io/csv.h).
 *
 * A record is one line (Spark's default multiLine = false), so a quote
 * left open at the end of the line is a malformed record rather than a
 * field that continues on the next line. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/csv.h"

int sl_csv_split(const sl_csv_opts *o, const char *line, size_t len,
		 char *scratch, sl_csv_field *f, uint32_t max,
		 uint32_t *nfields, const char **why)
{
	size_t i = 0;
	uint32_t n = 0;
	char *w = scratch;

	for (;;) {
		sl_csv_field cur = { 0 };

		if (o->quote && i < len && line[i] == o->quote) {
			/* Quoted: unescape into scratch. */
			bool closed = false;

			cur.quoted = true;
			cur.s = w;
			i++;
			while (i < len) {
				char c = line[i];

				if (o->escape && c == o->escape &&
				    o->escape != o->quote && i + 1 < len &&
				    (line[i + 1] == o->quote ||
				     line[i + 1] == o->escape)) {
					*w++ = line[i + 1];
					i += 2;
					continue;
				}
				if (c == o->quote) {
					/* A doubled quote is a literal one,
					 * as RFC 4180 writes it. */
					if (i + 1 < len &&
					    line[i + 1] == o->quote) {
						*w++ = c;
						i += 2;
						continue;
					}
					closed = true;
					i++;
					break;
				}
				*w++ = c;
				i++;
			}
			if (!closed) {
				*why = "unterminated quoted field";
				*nfields = n + 1;
				return -1;
			}
			/* Text between the closing quote and the separator is
			 * kept, as the univocity parser Spark uses does. */
			while (i < len && line[i] != o->sep)
				*w++ = line[i++];
			cur.len = (uint32_t)(w - cur.s);
		} else {
			size_t start = i;

			while (i < len && line[i] != o->sep)
				i++;
			cur.s = line + start;
			cur.len = (uint32_t)(i - start);
		}
		if (n < max)
			f[n] = cur;
		n++;
		if (i >= len)
			break;
		i++; /* the separator */
	}
	*nfields = n;
	return 0;
}

bool sl_csv_is_null(const sl_csv_opts *o, const sl_csv_field *f)
{
	return !f->quoted && f->len == o->null_len &&
	       !memcmp(f->s, o->null_value, f->len);
}

static bool parse_i64(const char *s, size_t n, int64_t lo, int64_t hi,
		      int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0, lim;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	lim = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return false;
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool parse_double(const char *s, size_t n, double *out)
{
	char buf[64], *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!strcmp(buf, "NaN")) {
		*out = NAN;
		return true;
	}
	if (!strcmp(buf, "Infinity") || !strcmp(buf, "+Infinity") ||
	    !strcmp(buf, "Inf")) {
		*out = INFINITY;
		return true;
	}
	if (!strcmp(buf, "-Infinity") || !strcmp(buf, "-Inf")) {
		*out = -INFINITY;
		return true;
	}
	/* strtod would also take "nan(...)", "inf" and hex; Java's
	 * parseDouble takes none of them. Digits, sign, '.', 'e' only. */
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", buf[i]))
			return false;
	errno = 0;
	*out = strtod(buf, &end);
	return end == buf + n && errno != ERANGE;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
	int v = 0;

	if (at + k > n)
		return false;
	for (size_t i = at; i < at + k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "yyyy-MM-dd" at s; returns the bytes used, 0 if not a date. */
static size_t parse_ymd(const char *s, size_t n, int64_t *days)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' ||
	    !digits(s, n, 5, 2, &m) || s[7] != '-' || !digits(s, n, 8, 2, &d))
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
		return 0;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 10;
}

bool sl_text_to_date(const char *s, size_t n, int32_t *days)
{
	int64_t d;

	if (parse_ymd(s, n, &d) != n)
		return false;
	*days = (int32_t)d;
	return true;
}

bool sl_text_to_ts(const char *s, size_t n, int64_t *us)
{
	int64_t days, frac = 0, zone_s = 0;
	int hh = 0, mi = 0, ss = 0;
	size_t i = parse_ymd(s, n, &days);

	if (!i)
		return false;
	if (i < n) {
		if (s[i] != ' ' && s[i] != 'T')
			return false;
		if (!digits(s, n, i + 1, 2, &hh) || i + 3 >= n ||
		    s[i + 3] != ':' || !digits(s, n, i + 4, 2, &mi))
			return false;
		i += 6;
		if (i < n && s[i] == ':') {
			if (!digits(s, n, i + 1, 2, &ss))
				return false;
			i += 3;
			if (i < n && s[i] == '.') {
				int64_t scale = 100000;
				size_t k = 0;

				i++;
				while (i < n && s[i] >= '0' && s[i] <= '9') {
					if (k++ < 6) {
						frac += (s[i] - '0') * scale;
						scale /= 10;
					}
					i++;
				}
				if (!k)
					return false;
			}
		}
		if (hh > 23 || mi > 59 || ss > 59)
			return false;
		if (i < n && s[i] == 'Z') {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int zh, zm = 0;
			int sign = s[i] == '-' ? -1 : 1;

			if (!digits(s, n, i + 1, 2, &zh))
				return false;
			i += 3;
			if (i < n && s[i] == ':')
				i++;
			if (i < n) {
				if (!digits(s, n, i, 2, &zm))
					return false;
				i += 2;
			}
			if (zh > 18 || zm > 59)
				return false;
			zone_s = sign * (zh * 3600 + zm * 60);
		}
		if (i != n)
			return false;
	}
	*us = ((days * 86400 + hh * 3600 + mi * 60 + ss) - zone_s) * 1000000 +
	      frac;
	return true;
}

int sl_text_to_value(const char *s, size_t n, const sl_dtype *t, sl_arena *a,
		     sl_value *out)
{
	int64_t i;
	double d;

	*out = sl_v_null();
	switch (t->id) {
	case SL_STRING:
	case SL_BINARY: {
		char *p = sl_arena_alloc(a, n ? n : 1);

		memcpy(p, s, n);
		*out = t->id == SL_STRING
			       ? sl_v_str(p, (uint32_t)n)
			       : sl_v_bin((const uint8_t *)p, (uint32_t)n);
		return 0;
	}
	case SL_INT:
		if (!parse_i64(s, n, INT32_MIN, INT32_MAX, &i))
			return -1;
		*out = sl_v_int((int32_t)i);
		return 0;
	case SL_LONG:
		if (!parse_i64(s, n, INT64_MIN, INT64_MAX, &i))
			return -1;
		*out = sl_v_long(i);
		return 0;
	case SL_DOUBLE:
		if (!parse_double(s, n, &d))
			return -1;
		*out = sl_v_double(d);
		return 0;
	case SL_BOOL:
		if (n == 4 && !strncasecmp(s, "true", 4))
			*out = sl_v_bool(true);
		else if (n == 5 && !strncasecmp(s, "false", 5))
			*out = sl_v_bool(false);
		else
			return -1;
		return 0;
	case SL_TIMESTAMP:
		if (!sl_text_to_ts(s, n, &i))
			return -1;
		*out = sl_v_ts(i);
		return 0;
	case SL_DATE: {
		int32_t days;

		if (!sl_text_to_date(s, n, &days))
			return -1;
		*out = sl_v_date(days);
		return 0;
	}
	default: return -1;
	}
}

int sl_csv_opt_char(const char *s)
{
	if (!s || !*s || !strcmp(s, "\\u0000"))
		return 0;
	if (!strcmp(s, "\\t"))
		return '\t';
	if (s[1])
		return -1;
	return (unsigned char)s[0];
}

const char *sl_csv_check_chars(const char *sep, const char *quote,
			       const char *escape)
{
	int s = sl_csv_opt_char(sep), q = sl_csv_opt_char(quote);

	if (s <= 0 || s == '\n' || s == '\r')
		return "option 'sep' must be one character (\"\\t\" for a "
		       "tab)";
	if (q < 0)
		return "option 'quote' must be one character, or \"\" for no "
		       "quoting";
	if (sl_csv_opt_char(escape) < 0)
		return "option 'escape' must be one character, or \"\"";
	if (q && q == s)
		return "options 'sep' and 'quote' must differ";
	return NULL;
}
