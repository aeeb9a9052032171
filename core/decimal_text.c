/* core/decimal_text.c - DECIMAL(p,s) to and from text and doubles:
 * Spark's CAST(string AS DECIMAL), decimal literals, the plain and the
 * Java renderings, and the double casts (core/decimal.h).
 *
 * Text is read in two passes over the bytes, never copied, so any length
 * is taken in constant memory: the first checks the syntax and counts the
 * digits, the second keeps the digits the target scale needs and rounds
 * on the first one dropped (HALF_UP needs no more). */
#include "core/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice.h"

__extension__ typedef unsigned __int128 u128;

/* Code points of the Unicode decimal digits zero below U+10000 other than
 * '0' (each starts a run of ten), from Python's unicodedata (Unicode 14):
 * Java's BigDecimal takes any char Character.isDigit accepts. */
static const uint16_t zeros[] = {
	0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
	0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090,
	0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
	0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
};

/* The digit at s[*i] (advancing *i past it), or -1 leaving *i alone. */
static int digit_at(const unsigned char *s, size_t len, size_t *i)
{
	unsigned c = s[*i];
	uint32_t cp;
	size_t n;

	if (c >= '0' && c <= '9') {
		(*i)++;
		return (int)(c - '0');
	}
	if (c >= 0xE0 && c < 0xF0 && *i + 2 < len &&
	    (s[*i + 1] & 0xC0) == 0x80 && (s[*i + 2] & 0xC0) == 0x80) {
		cp = (c & 0x0F) << 12 | (uint32_t)(s[*i + 1] & 0x3F) << 6 |
		     (s[*i + 2] & 0x3F);
		n = 3;
	} else if (c >= 0xC0 && c < 0xE0 && *i + 1 < len &&
		   (s[*i + 1] & 0xC0) == 0x80) {
		cp = (c & 0x1F) << 6 | (s[*i + 1] & 0x3F);
		n = 2;
	} else {
		return -1;
	}
	for (size_t k = 0; k < sizeof(zeros) / sizeof(zeros[0]); k++)
		if (cp >= zeros[k] && cp < zeros[k] + 10u) {
			*i += n;
			return (int)(cp - zeros[k]);
		}
	return -1;
}

/* A number's shape after the first pass. */
typedef struct num {
	const unsigned char *s;
	size_t start, end; /* the mantissa's bytes, point included */
	bool neg;
	int64_t nsig;  /* significant digits (leading zeros skipped); 0: zero */
	int64_t scale; /* Java's scale: fraction digits minus the exponent */
} num;

/* Reads [+-]? mantissa ((e|E)[+-]?digits)? from s[i..len) into *x. With
 * bd, a trailing BD/bd may follow. No sign when !sign. */
static int scan(const unsigned char *s, size_t i, size_t len, bool sign,
		bool bd, num *x)
{
	int64_t nfrac = 0, exp = 0, ndig = 0;
	bool point = false, eneg = false;
	int expdigits = 0;

	memset(x, 0, sizeof(*x));
	x->s = s;
	if (bd && len - i >= 2 && (s[len - 1] | 0x20) == 'd' &&
	    (s[len - 2] | 0x20) == 'b')
		len -= 2;
	if (sign && i < len && (s[i] == '+' || s[i] == '-'))
		x->neg = s[i++] == '-';
	x->start = i;
	while (i < len) {
		size_t j = i;
		int d = digit_at(s, len, &j);
		if (d >= 0) {
			if (x->nsig || d)
				x->nsig++;
			if (point)
				nfrac++;
			ndig++;
			i = j;
		} else if (s[i] == '.' && !point) {
			point = true;
			i++;
		} else {
			break;
		}
	}
	x->end = i;
	if (ndig == 0)
		return SL_DECIMAL_ESYNTAX;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= len)
			return SL_DECIMAL_ESYNTAX;
		while (i < len) {
			size_t j = i;
			int d = digit_at(s, len, &j);
			if (d < 0)
				return SL_DECIMAL_ESYNTAX;
			if (exp || d)
				expdigits++;
			/* Java's exponent is an int; ten digits is past it */
			if (expdigits > 10)
				return SL_DECIMAL_ESYNTAX;
			exp = exp * 10 + d;
			i = j;
		}
	}
	if (i != len)
		return SL_DECIMAL_ESYNTAX;
	if (eneg)
		exp = -exp;
	if (exp > INT32_MAX || exp < INT32_MIN)
		return SL_DECIMAL_ESYNTAX;
	x->scale = nfrac - exp;
	if (x->scale > INT32_MAX || x->scale < INT32_MIN)
		return SL_DECIMAL_ESYNTAX; /* Java: "Scale out of range" */
	return 0;
}

/* The number x rounded HALF_UP to `scale`, checked against precision. */
static int place(const num *x, int precision, int scale, sl_decimal *out)
{
	int64_t keep; /* significant digits kept */
	int64_t zeros_after = 0, k = 0;
	int round = 0;
	u128 v = 0;
	size_t i = x->start;

	if (x->nsig == 0) {
		*out = 0;
		return 0;
	}
	/* The value is D * 10^-scale with D of nsig digits. */
	keep = x->nsig - (x->scale - scale);
	if (keep > precision)
		return SL_DECIMAL_EOVERFLOW;
	if (keep > x->nsig) {
		zeros_after = keep - x->nsig;
		keep = x->nsig;
	}
	while (i < x->end && k <= keep) {
		size_t j = i;
		int d = digit_at(x->s, x->end, &j);
		if (d < 0) { /* the point */
			i++;
			continue;
		}
		i = j;
		if (k == 0 && d == 0)
			continue; /* leading zeros */
		if (k < keep)
			v = v * 10 + (unsigned)d;
		else
			round = d;
		k++;
	}
	if (keep < 0)
		round = 0; /* the first digit lies below the rounding one */
	for (; zeros_after > 0; zeros_after--)
		v *= 10;
	if (round >= 5)
		v++;
	if (v >= (u128)sl_decimal_pow10(precision))
		return SL_DECIMAL_EOVERFLOW;
	*out = x->neg ? -(sl_decimal)v : (sl_decimal)v;
	return 0;
}

int sl_decimal_parse(const char *text, size_t len, sl_decimal_type t,
		     sl_decimal *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	num x;
	int rc;

	/* Java's String.trim: every char <= ' ' at both ends */
	while (i < len && s[i] <= ' ')
		i++;
	while (len > i && s[len - 1] <= ' ')
		len--;
	rc = scan(s, i, len, true, false, &x);
	if (rc < 0)
		return rc;
	/* Spark's numDigitsInIntegralPart: precision - scale, where zero has
	 * precision 1 */
	if ((x.nsig ? x.nsig : 1) - x.scale > SL_DECIMAL_MAX_PRECISION)
		return SL_DECIMAL_ERANGE;
	return place(&x, t.precision, t.scale, out);
}

int sl_decimal_parse_literal(const char *text, size_t len, sl_decimal *out,
			     sl_decimal_type *type)
{
	num x;
	int64_t p, sc;
	int rc = scan((const unsigned char *)text, 0, len, true, true, &x);

	if (rc < 0)
		return rc;
	/* Spark's Decimal(BigDecimal): precision = significant digits (1
	 * for zero), at least the scale; a negative scale becomes 0 with the
	 * zeros counted as digits */
	p = x.nsig ? x.nsig : 1;
	sc = x.scale;
	if (sc < 0) {
		p -= sc;
		sc = 0;
	} else if (p < sc) {
		p = sc;
	}
	if (p > SL_DECIMAL_MAX_PRECISION)
		return SL_EINVAL;
	rc = place(&x, (int)p, (int)sc, out);
	if (rc < 0)
		return rc;
	*type = sl_decimal_type_make((int)p, (int)sc);
	return 0;
}

/* The digits of m, most significant first, into d; returns how many. */
static int digits_of(u128 m, char d[40])
{
	char tmp[40];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + (int)(m % 10));
		m /= 10;
	} while (m);
	for (int i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	return n;
}

static size_t emit(const char *tmp, size_t len, char *buf, size_t n)
{
	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(buf, tmp, k);
		buf[k] = 0;
	}
	return len;
}

size_t sl_decimal_format(sl_decimal v, sl_decimal_type t, char *buf, size_t n)
{
	char d[40], tmp[SL_DECIMAL_TEXT_MAX];
	int nd = digits_of(v < 0 ? -(u128)v : (u128)v, d), s = t.scale;
	size_t len = 0;

	if (v < 0)
		tmp[len++] = '-';
	if (nd <= s) { /* 0.00ddd */
		tmp[len++] = '0';
		tmp[len++] = '.';
		for (int i = nd; i < s; i++)
			tmp[len++] = '0';
		memcpy(tmp + len, d, (size_t)nd);
		len += (size_t)nd;
	} else {
		memcpy(tmp + len, d, (size_t)(nd - s));
		len += (size_t)(nd - s);
		if (s) {
			tmp[len++] = '.';
			memcpy(tmp + len, d + nd - s, (size_t)s);
			len += (size_t)s;
		}
	}
	return emit(tmp, len, buf, n);
}

size_t sl_decimal_format_java(sl_decimal v, sl_decimal_type t, char *buf,
			      size_t n)
{
	char d[40], tmp[SL_DECIMAL_TEXT_MAX];
	int nd = digits_of(v < 0 ? -(u128)v : (u128)v, d);
	int adjusted = -(int)t.scale + nd - 1;
	size_t len = 0;

	/* BigDecimal.toString is plain down to an exponent of -6 */
	if (adjusted >= -6)
		return sl_decimal_format(v, t, buf, n);
	if (v < 0)
		tmp[len++] = '-';
	tmp[len++] = d[0];
	if (nd > 1) {
		tmp[len++] = '.';
		memcpy(tmp + len, d + 1, (size_t)(nd - 1));
		len += (size_t)(nd - 1);
	}
	len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "E%d", adjusted);
	return emit(tmp, len, buf, n);
}

/* ---- doubles ------------------------------------------------------------- */

double sl_decimal_to_double(sl_decimal v, sl_decimal_type t)
{
	char d[40], tmp[64];
	int nd = digits_of(v < 0 ? -(u128)v : (u128)v, d);

	/* "-DDDe-S": no decimal point, so the locale cannot matter, and
	 * strtod rounds correctly, as BigDecimal.doubleValue does */
	snprintf(tmp, sizeof(tmp), "%s%.*se-%d", v < 0 ? "-" : "", nd, d,
		 (int)t.scale);
	return strtod(tmp, NULL);
}

/* d (finite, > 0) to prec significant digits, correctly rounded by
 * printf: the digits into out, their count returned, *exp10 the power of
 * ten of the last one; whether they read back as d. */
static bool digits_prec(double d, int prec, char out[24], int *nd, int *exp10)
{
	char tmp[40], back[48];
	char *p;
	int n = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			out[n++] = *p;
	*exp10 = atoi(p + 1) - (n - 1);
	*nd = n;
	snprintf(back, sizeof(back), "%.*se%d", n, out, *exp10);
	return strtod(back, NULL) == d;
}

/* The shortest digits that read back as d (d finite, > 0). Reading back
 * is monotonic in the count (more correctly rounded digits are never
 * farther), so a binary search over 1..17 finds it; 17 always reads
 * back. */
static int shortest(double d, char out[24], int *exp10)
{
	int lo = 1, hi = 17, nd;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (digits_prec(d, mid, out, &nd, exp10))
			hi = mid;
		else
			lo = mid + 1;
	}
	digits_prec(d, lo, out, &nd, exp10);
	return nd;
}

int sl_decimal_from_double(double d, sl_decimal_type t, sl_decimal *out)
{
	char dig[24], text[48];
	int nd, e, len;

	if (isnan(d) || isinf(d))
		return SL_DECIMAL_ESYNTAX;
	if (d == 0) {
		*out = 0;
		return 0;
	}
	/* An integral double below 2^53 is its own shortest text: every
	 * integer there is a double, so no shorter decimal reads back. */
	if (fabs(d) < 9007199254740992.0 && d == trunc(d))
		return sl_decimal_from_int64((int64_t)d, t, out);
	nd = shortest(fabs(d), dig, &e);
	len = snprintf(text, sizeof(text), "%s%.*se%d", d < 0 ? "-" : "", nd,
		       dig, e);
	/* Spark's Decimal(double) has no 38-digit guard: a huge double is
	 * simply too large for the type */
	{
		num x;
		int rc = scan((const unsigned char *)text, 0, (size_t)len, true,
			      false, &x);
		if (rc < 0)
			return rc;
		return place(&x, t.precision, t.scale, out);
	}
}

/* ---- type names ------------------------------------------------------- */

static size_t skip_blank(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
			   s[i] == '\r'))
		i++;
	return i;
}

/* An unsigned number at s[*i], at most 3 digits (larger is out of range
 * anyway); -1 if none. */
static int small_number(const char *s, size_t *i, size_t len)
{
	int v = 0, nd = 0;

	*i = skip_blank(s, *i, len);
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (++nd > 3)
			return 1000;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*i = skip_blank(s, *i, len);
	return nd ? v : -1;
}

int sl_decimal_type_parse(const char *s, size_t len, sl_decimal_type *out)
{
	static const char *const names[] = {"decimal", "dec", "numeric"};
	size_t i = 0, k;
	int p = 10, sc = 0;

	i = skip_blank(s, i, len);
	for (k = 0; k < 3; k++) {
		size_t n = strlen(names[k]);
		if (len - i >= n && !strncasecmp(s + i, names[k], n) &&
		    (len - i == n || s[i + n] == '(' || s[i + n] == ' ' ||
		     s[i + n] == '\t'))
			break;
	}
	if (k == 3)
		return SL_ESYNTAX;
	i = skip_blank(s, i + strlen(names[k]), len);
	if (i < len && s[i] == '(') {
		i++;
		p = small_number(s, &i, len);
		if (p < 0)
			return SL_ESYNTAX;
		if (i < len && s[i] == ',') {
			i++;
			sc = small_number(s, &i, len);
			if (sc < 0)
				return SL_ESYNTAX;
		}
		if (i >= len || s[i] != ')')
			return SL_ESYNTAX;
		i = skip_blank(s, i + 1, len);
	}
	if (i != len)
		return SL_ESYNTAX;
	if (!sl_decimal_type_valid(p, sc))
		return SL_EINVAL;
	*out = sl_decimal_type_make(p, sc);
	return 0;
}
