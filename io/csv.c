/* io/csv.c - CSV record splitting and Spark-style text-to-value parsing
 * for the file source (io/csv.h).
 *
 * A record is one line (Spark's default multiLine = false), so a quote
 * left open at the end of the line is a malformed record rather than a
 * field that continues on the next line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/interval.h"
#include "core/value_text.h"
#include "io/csv.h"

enum { SL_CSV_CLOSED, SL_CSV_OPEN, SL_CSV_RAW };

/* The quoted field whose text starts at line[i], unescaped into *w, as
 * Spark 4's univocity settings read it (verified cell by cell): the
 * escape character escapes a quote or itself; a quote followed by a quote
 * is kept as one and the next is looked at again ("a""",x gives a""); a
 * quote followed by white space and the separator or the end closes the
 * field (after a run of quotes, only the separator or the end); a quote followed by anything else is an unescaped quote (*rc =
 * SL_CSV_RAW). No closing quote: the rest of the line (*rc = SL_CSV_OPEN).
 * Returns the index just past the field. */
static size_t quoted_field(const sl_csv_opts *o, const char *line,
			   size_t len, size_t i, char **w, int *rc)
{
	bool quote_run = false;

	while (i < len) {
		char c = line[i];

		if (o->escape && c == o->escape && o->escape != o->quote &&
		    i + 1 < len &&
		    (line[i + 1] == o->quote || line[i + 1] == o->escape)) {
			*(*w)++ = line[i + 1];
			i += 2;
			continue;
		}
		if (c == o->quote) {
			size_t k = i + 1;

			if (k < len && line[k] == o->quote &&
			    o->escape == o->quote) {
				/* escape = quote: "" is one quote. */
				*(*w)++ = c;
				i += 2;
				continue;
			}
			if (k < len && line[k] == o->quote) {
				*(*w)++ = c;
				i = k;
				quote_run = true;
				continue;
			}
			/* After a run of quotes only the separator closes
			 * ("a"" ",x is raw text); else white space may come
			 * before it. */
			while (!quote_run && k < len && line[k] != o->sep &&
			       (line[k] == ' ' || line[k] == '\t'))
				k++;
			if (k >= len || line[k] == o->sep) {
				*rc = SL_CSV_CLOSED;
				return k;
			}
			*rc = SL_CSV_RAW;
			return i;
		}
		*(*w)++ = c;
		i++;
		quote_run = false;
	}
	*rc = SL_CSV_OPEN;
	return i;
}

int sl_csv_split(const sl_csv_opts *o, const char *line, size_t len,
		 char *scratch, sl_csv_field *f, uint32_t max,
		 uint32_t *nfields, const char **why)
{
	size_t i = 0;
	uint32_t n = 0;
	char *w = scratch;
	bool open = false;

	for (;;) {
		sl_csv_field cur = { 0 };
		int rc = 0;

		if (o->quote && i < len && line[i] == o->quote) {
			size_t open_at = i;

			cur.quoted = true;
			cur.s = w;
			i = quoted_field(o, line, len, i + 1, &w, &rc);
			if (rc == SL_CSV_RAW) {
				/* An unescaped quote: the field is its raw
				 * text, quotes and all, to the next separator,
				 * as univocity's STOP_AT_DELIMITER. */
				while (i < len && line[i] != o->sep)
					i++;
				cur.s = line + open_at;
				cur.len = (uint32_t)(i - open_at);
				cur.quoted = false;
			} else {
				cur.len = (uint32_t)(w - cur.s);
				if (rc == SL_CSV_OPEN)
					open = true;
			}
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
	if (open)
		*why = "unterminated quoted field";
	return open ? 1 : 0;
}

/* As Spark: an empty unquoted field is null whatever nullValue is, and
 * nullValue is compared after unquoting (so with the default "" a quoted
 * empty field is null too, and "NA" quoted is null under nullValue NA). */
bool sl_csv_is_null(const sl_csv_opts *o, const sl_csv_field *f)
{
	if (!f->quoted && f->len == 0)
		return true;
	return f->len == o->null_len && !memcmp(f->s, o->null_value, f->len);
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

int64_t sl_text_int_min(sl_type id)
{
	return (int)id == SL_BYTE ? INT8_MIN
	       : (int)id == SL_SHORT ? INT16_MIN
				     : INT32_MIN;
}

int64_t sl_text_int_max(sl_type id)
{
	return (int)id == SL_BYTE ? INT8_MAX
	       : (int)id == SL_SHORT ? INT16_MAX
				     : INT32_MAX;
}

/* Spark's CSV DOUBLE: its nanValue "NaN", positiveInf "Inf" and
 * negativeInf "-Inf" exactly, else Java's Double.parseDouble: white space
 * around trimmed, a sign, Infinity, a decimal or a hex float (0x1p3), an
 * optional f/F/d/D suffix; too large is Infinity. Spark 4 gave these. */
static bool parse_double(const char *s, size_t n, double *out)
{
	char buf[64], *end;
	size_t i = 0, digit_count = 0;
	bool hex;

	if ((n == 3 && !memcmp(s, "NaN", 3))) {
		*out = NAN;
		return true;
	}
	if ((n == 3 && !memcmp(s, "Inf", 3)) ||
	    (n == 4 && !memcmp(s, "-Inf", 4))) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return true;
	}
	while (n && (unsigned char)*s <= ' ') {
		s++;
		n--;
	}
	while (n && (unsigned char)s[n - 1] <= ' ')
		n--;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (buf[0] == '+' || buf[0] == '-')
		i++;
	if (!strcmp(buf + i, "Infinity")) {
		*out = buf[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!strcmp(buf, "NaN")) {
		*out = NAN;
		return true;
	}
	if (n > i + 1 && strchr("fFdD", buf[n - 1]))
		buf[--n] = 0;
	hex = buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X');
	/* strtod would also take "nan(...)", "inf" and hex without an
	 * exponent; parseDouble takes none of them. */
	for (size_t k = i; k < n; k++) {
		if (hex ? !strchr("0123456789abcdefABCDEF.xXpP+-", buf[k])
			: !strchr("0123456789+-.eE", buf[k]))
			return false;
		digit_count += buf[k] >= '0' && buf[k] <= '9';
	}
	if (!digit_count || (hex && !strpbrk(buf, "pP")))
		return false;
	*out = strtod(buf, &end);
	return end == buf + n;
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

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days of a proleptic Gregorian date, false if there is no such day (as
 * Java's LocalDate.of). */
static bool civil_days(int64_t y, int m, int d, int64_t *days)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
		return false;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}

/* Spark trims white space and ISO control characters (UTF8String.trimAll)
 * before parsing a date or a timestamp. */
static bool trimmed_char(char c)
{
	return (unsigned char)c <= ' ' || c == 0x7f;
}

static void trim_all(const char **s, size_t *n)
{
	while (*n && trimmed_char(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && trimmed_char((*s)[*n - 1]))
		(*n)--;
}

/* Trims s and takes a leading sign (j past it); false if nothing is left. */
static bool trim_sign(const char **s, size_t *n, size_t *j, int *sign)
{
	trim_all(s, n);
	if (*n == 0)
		return false;
	if ((*s)[0] == '-' || (*s)[0] == '+') {
		*sign = (*s)[0] == '-' ? -1 : 1;
		*j = 1;
	}
	return true;
}

/* Spark's DateTimeUtils.stringToDate, the fallback its CSV and JSON
 * readers use when no dateFormat is given: [+-]yyyy, yyyy-[m]m,
 * yyyy-[m]m-[d]d, and that followed by ' ' or 'T' and anything; a year
 * has 4 to 7 digits, month and day 1 or 2. */
bool sl_text_to_date(const char *s, size_t n, int32_t *days)
{
	int64_t seg[3] = { 1, 1, 1 }, value = 0, d;
	int i = 0, ndigits = 0, sign = 1;
	size_t j = 0;

	if (!trim_sign(&s, &n, &j, &sign))
		return false;
	for (; j < n && i < 3 && s[j] != ' ' && s[j] != 'T'; j++) {
		if (i < 2 && s[j] == '-') {
			if (i == 0 ? ndigits < 4 || ndigits > 7
				   : ndigits < 1 || ndigits > 2)
				return false;
			seg[i++] = value;
			value = 0;
			ndigits = 0;
		} else if (s[j] >= '0' && s[j] <= '9') {
			/* Past 7 digits the count check refuses it: stop
			 * before the value could overflow. */
			if (ndigits < 8)
				value = value * 10 + (s[j] - '0');
			ndigits++;
		} else {
			return false;
		}
	}
	if (i == 0 ? ndigits < 4 || ndigits > 7 : ndigits < 1 || ndigits > 2)
		return false;
	/* yyyy and yyyy-[m]m must use all the text. */
	if (i < 2 && j < n)
		return false;
	seg[i] = value;
	if (!civil_days(sign * seg[0], (int)seg[1], (int)seg[2], &d) ||
	    d < INT32_MIN || d > INT32_MAX)
		return false;
	*days = (int32_t)d;
	return true;
}

/* [+-]h, hh, hh:mm, hhmm, hh:mm:ss, hhmmss (Java's ZoneOffset.of, with
 * Spark's h:mm and hh:m), at most 18 hours; seconds east of UTC. */
static bool parse_offset(const char *s, size_t n, int64_t *zone_s)
{
	int64_t part[3] = { 0, 0, 0 };
	int k = 0, nd = 0, sign;

	if (n < 2 || (s[0] != '+' && s[0] != '-'))
		return false;
	sign = s[0] == '-' ? -1 : 1;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == ':') {
			if (nd == 0 || ++k > 2)
				return false;
			nd = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return false;
		/* Without colons, every two digits are the next part. */
		if (nd == 2 && !memchr(s, ':', n)) {
			if (++k > 2)
				return false;
			nd = 0;
		}
		if (nd == 2)
			return false;
		part[k] = part[k] * 10 + (s[i] - '0');
		nd++;
	}
	if (nd == 0 || part[1] > 59 || part[2] > 59)
		return false;
	*zone_s = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return *zone_s >= -18 * 3600 && *zone_s <= 18 * 3600;
}

/* A zone after a timestamp: Z, an offset, or UTC, GMT, UT alone or with
 * an offset. Region names (Europe/Paris, PST) are not known here. */
static bool parse_zone(const char *s, size_t n, int64_t *zone_s)
{
	static const char *const prefixes[] = { "UTC", "GMT", "UT" };

	trim_all(&s, &n);
	*zone_s = 0;
	if (n == 1 && s[0] == 'Z')
		return true;
	for (size_t p = 0; p < 3; p++) {
		size_t l = strlen(prefixes[p]);

		if (n >= l && !memcmp(s, prefixes[p], l))
			return n == l || parse_offset(s + l, n - l, zone_s);
	}
	return parse_offset(s, n, zone_s);
}

/* Spark's segment lengths: a year 4 to 6 digits, the fraction any (cut to
 * microseconds), a zone hour none to 2, the others 1 or 2. */
static bool ts_digits_ok(int seg, int ndigits)
{
	return seg == 6 || (seg == 0 && ndigits >= 4 && ndigits <= 6) ||
	       (seg == 7 && ndigits <= 2) ||
	       (seg != 0 && seg != 6 && seg != 7 && ndigits > 0 &&
		ndigits <= 2);
}

/* Spark's DateTimeUtils.stringToTimestamp, what its CSV and JSON readers
 * fall back to without a timestampFormat: a date as sl_text_to_date's
 * (year 4 to 6 digits), then ' ' or 'T', [h]h, :[m]m, :[s]s, .fraction,
 * each optional from the right, and a zone; no zone is UTC. A time without
 * a date (Spark takes today) is not taken. */
bool sl_text_to_ts(const char *s, size_t n, int64_t *us)
{
	int64_t seg[9] = { 1, 1, 1, 0, 0, 0, 0, 0, 0 }, value = 0;
	int64_t days, zone_s = 0;
	int i = 0, ndigits = 0, frac_digits = 0, sign = 1;
	const char *zone = NULL;
	size_t j = 0, zone_len = 0;

	if (!trim_sign(&s, &n, &j, &sign))
		return false;
	for (; j < n; j++) {
		char c = s[j];

		if (c >= '0' && c <= '9') {
			if (i == 6)
				frac_digits++;
			/* A fraction is cut to microseconds; any other
			 * segment of more than 6 digits is refused below, so
			 * its value never needs (or overflows) more. */
			if (ndigits < (i == 6 ? 6 : 8))
				value = value * 10 + (c - '0');
			ndigits++;
			continue;
		}
		if (i < 2 ? c != '-'
			  : i == 2 ? c != ' ' && c != 'T'
			  : i <= 4 ? c != ':'
			  : i <= 6 ? false
				   : true)
			return false;
		if (!ts_digits_ok(i, ndigits))
			return false;
		seg[i++] = value;
		value = 0;
		ndigits = 0;
		if (i == 6 || i == 7) {
			if (c == '.' && i == 6)
				continue;
			/* The rest is the zone. */
			zone = s + j;
			zone_len = n - j;
			if (i == 6)
				i++;
			break;
		}
	}
	if (!ts_digits_ok(i, ndigits))
		return false;
	seg[i] = value;
	for (; frac_digits < 6; frac_digits++)
		seg[6] *= 10;
	if (seg[3] > 23 || seg[4] > 59 || seg[5] > 59)
		return false;
	if (!civil_days(sign * seg[0], (int)seg[1], (int)seg[2], &days))
		return false;
	if (zone && !parse_zone(zone, zone_len, &zone_s))
		return false;
	/* A 6-digit year is past the microseconds an int64 holds (years
	 * beyond +-294247): no timestamp, as Spark's overflow gives none. */
	int64_t secs = days * 86400 + seg[3] * 3600 + seg[4] * 60 + seg[5] -
		       zone_s;
	if (__builtin_mul_overflow(secs, (int64_t)1000000, us) ||
	    __builtin_add_overflow(*us, seg[6], us))
		return false;
	return true;
}

int sl_text_to_value(const char *s, size_t n, const sl_dtype *t, sl_arena *a,
		     sl_value *out)
{
	int64_t i;
	double d;

	*out = sl_v_null();
	/* (int): TINYINT and SMALLINT are dtype ids outside sl_type. */
	switch ((int)t->id) {
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
	case SL_SHORT:
	case SL_BYTE:
		if (!parse_i64(s, n, sl_text_int_min(t->id), sl_text_int_max(t->id),
			       &i))
			return -1;
		/* Values of all three carry the SL_INT tag (core/value.h). */
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
	case SL_FLOAT:
		if (!parse_double(s, n, &d))
			return -1;
		*out = sl_v_float((float)d);
		return 0;
	case SL_DECIMAL:
		/* Java's BigDecimal text, rounded HALF_UP to the scale;
		 * too many digits for the precision is no value */
		return sl_v_dec_parse(s, n, t, a, out) ? -1 : 0;
	case SL_BOOL:
		if (n == 4 && !strncasecmp(s, "true", 4))
			*out = sl_v_bool(true);
		else if (n == 5 && !strncasecmp(s, "false", 5))
			*out = sl_v_bool(false);
		else
			return -1;
		return 0;
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
		if (!sl_text_to_ts(s, n, &i))
			return -1;
		*out = sl_v_ts(i);
		out->type = (uint8_t)t->id;
		return 0;
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT: {
		/* "INTERVAL '1 02:03:04' DAY TO SECOND" or the bare "1
		 * 02:03:04", as Spark's readers take them */
		char why[300];
		return sl_interval_parse_fields(s, n, t, true, 1, out, why,
						sizeof(why));
	}
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
