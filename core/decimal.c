/* core/decimal.c - Spark's DECIMAL(p,s): result types, exact arithmetic,
 * rounding, comparison and the integer casts (text and doubles are in
 * core/decimal_text.c). See core/decimal.h for the semantics.
 *
 * Values are 128-bit; intermediates are not: an exact product of two
 * 38-digit numbers has 76 digits, and a quotient rounded to scale 38 needs
 * its dividend scaled by up to 10^76, so they are computed as 512-bit
 * unsigned magnitudes ("wide", eight 64-bit limbs, little-endian) with the
 * sign kept apart, divided by Knuth's algorithm D. Common cases take
 * 128-bit fast paths first. */
#include "core/decimal.h"

#include <string.h>

#include "core/decimal_wide.h"

#include "sluice.h"


#define P64(x) ((u128)(x))
#define P19 ((u128)10000000000000000000ULL)

/* 10^0 .. 10^38 */
static const u128 p10[39] = {
	P64(1ULL),
	P64(10ULL),
	P64(100ULL),
	P64(1000ULL),
	P64(10000ULL),
	P64(100000ULL),
	P64(1000000ULL),
	P64(10000000ULL),
	P64(100000000ULL),
	P64(1000000000ULL),
	P64(10000000000ULL),
	P64(100000000000ULL),
	P64(1000000000000ULL),
	P64(10000000000000ULL),
	P64(100000000000000ULL),
	P64(1000000000000000ULL),
	P64(10000000000000000ULL),
	P64(100000000000000000ULL),
	P64(1000000000000000000ULL),
	P64(10000000000000000000ULL),
	P19 * 10ULL,
	P19 * 100ULL,
	P19 * 1000ULL,
	P19 * 10000ULL,
	P19 * 100000ULL,
	P19 * 1000000ULL,
	P19 * 10000000ULL,
	P19 * 100000000ULL,
	P19 * 1000000000ULL,
	P19 * 10000000000ULL,
	P19 * 100000000000ULL,
	P19 * 1000000000000ULL,
	P19 * 10000000000000ULL,
	P19 * 100000000000000ULL,
	P19 * 1000000000000000ULL,
	P19 * 10000000000000000ULL,
	P19 * 100000000000000000ULL,
	P19 * 1000000000000000000ULL,
	P19 * 10000000000000000000ULL,
};

sl_decimal sl_decimal_pow10(int n)
{
	return (sl_decimal)p10[n < 0 ? 0 : n > 38 ? 38 : n];
}

static u128 mag(sl_decimal v)
{
	return v < 0 ? -(u128)v : (u128)v;
}

bool sl_decimal_fits(sl_decimal v, sl_decimal_type t)
{
	return mag(v) < p10[t.precision > 38 ? 38 : t.precision];
}

static int digits128(u128 m)
{
	int n = 1;
	while (n < 39 && m >= p10[n])
		n++;
	return n;
}

int sl_decimal_digits(sl_decimal v)
{
	return digits128(mag(v));
}

const char *sl_decimal_strerror(int code)
{
	switch (code) {
	case SL_DECIMAL_EOVERFLOW: return "decimal overflow";
	case SL_DECIMAL_EDIVZERO: return "division by zero";
	case SL_DECIMAL_ESYNTAX: return "not a decimal number";
	case SL_DECIMAL_EIMPOSSIBLE: return "Division impossible";
	case SL_DECIMAL_ERANGE: return "more than 38 integral digits";
	default: return NULL;
	}
}

/* Whether a quotient q (of a value whose sign is neg) with remainder r
 * of divisor d moves one unit away from zero under mode. */
static bool round_away(sl_decimal_round_mode mode, bool neg, const wide *q,
		       const wide *r, const wide *d)
{
	wide r2;
	int c;

	if (w_zero(r))
		return false;
	switch (mode) {
	case SL_DECIMAL_FLOOR: return neg;
	case SL_DECIMAL_CEILING: return !neg;
	case SL_DECIMAL_DOWN: return false;
	default: break;
	}
	r2 = *r;
	w_add(&r2, r);
	c = w_cmp(&r2, d);
	if (mode == SL_DECIMAL_HALF_EVEN)
		return c > 0 || (c == 0 && (q->w[0] & 1));
	return c >= 0;
}

/* x = round(x / 10^k) under mode. */
static void w_scale_down(wide *x, int k, sl_decimal_round_mode mode, bool neg)
{
	wide d, q, r, one;

	if (k <= 0)
		return;
	if (k > 150) { /* past every value: 0 or one unit */
		bool up = !w_zero(x) &&
			  ((mode == SL_DECIMAL_FLOOR && neg) ||
			   (mode == SL_DECIMAL_CEILING && !neg));
		w_set(x, up ? 1 : 0);
		return;
	}
	w_pow10(&d, k);
	w_divmod(x, &d, &q, &r);
	if (round_away(mode, neg, &q, &r, &d)) {
		w_set(&one, 1);
		w_add(&q, &one);
	}
	*x = q;
}

/* The value (neg ? -1 : 1) * m * 10^-scale into type tr, rounded. */
static int finish(bool neg, wide m, int scale, sl_decimal_type tr,
		  sl_decimal_round_mode mode, sl_decimal *out)
{
	u128 v;

	if (scale > tr.scale) {
		w_scale_down(&m, scale - tr.scale, mode, neg);
	} else if (scale < tr.scale) {
		int k = tr.scale - scale;
		/* m * 10^k would pass 2^512: far beyond any precision. */
		if (w_bits(&m) + 4 * k > 500)
			return SL_DECIMAL_EOVERFLOW;
		w_mulpow10(&m, k);
	}
	if (!w_fits128(&m))
		return SL_DECIMAL_EOVERFLOW;
	v = w_get(&m);
	if (v >= p10[tr.precision > 38 ? 38 : tr.precision])
		return SL_DECIMAL_EOVERFLOW;
	*out = neg ? -(sl_decimal)v : (sl_decimal)v;
	return 0;
}

static wide wmag(sl_decimal v, int k)
{
	wide x;
	w_set(&x, mag(v));
	w_mulpow10(&x, k);
	return x;
}

/* ---- types -------------------------------------------------------------- */

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

bool sl_decimal_type_valid(int precision, int scale)
{
	return precision >= 1 && precision <= 38 && scale >= 0 &&
	       scale <= precision;
}

sl_decimal_type sl_decimal_type_adjust(int precision, int scale)
{
	int intdig, minscale;

	if (precision <= SL_DECIMAL_MAX_PRECISION)
		return sl_decimal_type_make(precision, scale);
	intdig = precision - scale;
	minscale = imin(scale, SL_DECIMAL_MIN_ADJUSTED_SCALE);
	return sl_decimal_type_make(SL_DECIMAL_MAX_PRECISION,
				    imax(SL_DECIMAL_MAX_PRECISION - intdig, minscale));
}

sl_decimal_type sl_decimal_type_bounded(int precision, int scale)
{
	return sl_decimal_type_make(imin(precision, 38), imin(scale, 38));
}

sl_decimal_type sl_decimal_type_add(sl_decimal_type a, sl_decimal_type b)
{
	int s = imax(a.scale, b.scale);
	int r = imax(a.precision - a.scale, b.precision - b.scale);
	return sl_decimal_type_adjust(r + s + 1, s);
}

sl_decimal_type sl_decimal_type_mul(sl_decimal_type a, sl_decimal_type b)
{
	return sl_decimal_type_adjust(a.precision + b.precision + 1,
				      a.scale + b.scale);
}

sl_decimal_type sl_decimal_type_div(sl_decimal_type a, sl_decimal_type b)
{
	int intdig = a.precision - a.scale + b.scale;
	int scale = imax(SL_DECIMAL_MIN_ADJUSTED_SCALE, a.scale + b.precision + 1);
	return sl_decimal_type_adjust(intdig + scale, scale);
}

sl_decimal_type sl_decimal_type_mod(sl_decimal_type a, sl_decimal_type b)
{
	int s = imax(a.scale, b.scale);
	int r = imin(a.precision - a.scale, b.precision - b.scale);
	return sl_decimal_type_adjust(r + s, s);
}

sl_decimal_type sl_decimal_type_sum(sl_decimal_type t)
{
	return sl_decimal_type_bounded(t.precision + 10, t.scale);
}

sl_decimal_type sl_decimal_type_avg(sl_decimal_type t)
{
	return sl_decimal_type_bounded(t.precision + 4, t.scale + 4);
}

sl_decimal_type sl_decimal_type_wider(sl_decimal_type a, sl_decimal_type b)
{
	int s = imax(a.scale, b.scale);
	int r = imax(a.precision - a.scale, b.precision - b.scale);
	int p = r + s;

	if (p <= SL_DECIMAL_MAX_PRECISION)
		return sl_decimal_type_make(p, s);
	return sl_decimal_type_make(SL_DECIMAL_MAX_PRECISION,
				    imax(0, s - (p - SL_DECIMAL_MAX_PRECISION)));
}

sl_decimal_type sl_decimal_type_of_int(int bits)
{
	switch (bits) {
	case 8: return sl_decimal_type_make(3, 0);
	case 16: return sl_decimal_type_make(5, 0);
	case 32: return sl_decimal_type_make(10, 0);
	default: return sl_decimal_type_make(20, 0);
	}
}

sl_decimal_type sl_decimal_type_of_literal(int64_t x)
{
	return sl_decimal_type_make(sl_decimal_digits(x), 0);
}

sl_decimal_type sl_decimal_type_round(sl_decimal_type t, int scale)
{
	int least = t.precision - t.scale + 1;

	if (scale < 0) {
		/* -scale + 1 digits at least, computed clear of int overflow */
		int need = scale < -40 ? 41 : 1 - scale;
		return sl_decimal_type_make(imin(imax(least, need), 38), 0);
	}
	int s = imin(t.scale, scale);
	return sl_decimal_type_make(imin(least + s, 38), s);
}

size_t sl_decimal_type_name(sl_decimal_type t, char *buf, size_t n)
{
	char tmp[24];
	size_t len = 0;
	const char *pre = "decimal(";

	while (*pre)
		tmp[len++] = *pre++;
	if (t.precision >= 10)
		tmp[len++] = (char)('0' + t.precision / 10);
	tmp[len++] = (char)('0' + t.precision % 10);
	tmp[len++] = ',';
	if (t.scale >= 10)
		tmp[len++] = (char)('0' + t.scale / 10);
	tmp[len++] = (char)('0' + t.scale % 10);
	tmp[len++] = ')';
	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(buf, tmp, k);
		buf[k] = 0;
	}
	return len;
}

/* ---- comparison, rescaling, rounding --------------------------------- */

int sl_decimal_cmp(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb)
{
	int s, c;
	wide x, y;

	if (ta.scale == tb.scale)
		return a < b ? -1 : a > b;
	if ((a < 0) != (b < 0) || a == 0 || b == 0)
		return a < b ? -1 : a > b; /* the signs decide */
	s = imax(ta.scale, tb.scale);
	x = wmag(a, s - ta.scale);
	y = wmag(b, s - tb.scale);
	c = w_cmp(&x, &y);
	return a < 0 ? -c : c;
}

int sl_decimal_rescale(sl_decimal v, sl_decimal_type from, sl_decimal_type to,
		       sl_decimal_round_mode mode, sl_decimal *out)
{
	wide m;

	if (from.scale == to.scale) {
		if (!sl_decimal_fits(v, to))
			return SL_DECIMAL_EOVERFLOW;
		*out = v;
		return 0;
	}
	w_set(&m, mag(v));
	return finish(v < 0, m, from.scale, to, mode, out);
}

int sl_decimal_cmp_spark(sl_decimal a, sl_decimal_type ta, sl_decimal b,
			 sl_decimal_type tb)
{
	sl_decimal_type tw;
	sl_decimal x, y;

	if (ta.precision == tb.precision && ta.scale == tb.scale)
		return a < b ? -1 : a > b;
	tw = sl_decimal_type_wider(ta, tb);
	/* The cast to the wider type keeps every integral digit, so it
	 * cannot overflow; the exact comparison is a guard, not a case. */
	if (sl_decimal_rescale(a, ta, tw, SL_DECIMAL_HALF_UP, &x) < 0 ||
	    sl_decimal_rescale(b, tb, tw, SL_DECIMAL_HALF_UP, &y) < 0)
		return sl_decimal_cmp(a, ta, b, tb);
	return x < y ? -1 : x > y;
}

int sl_decimal_round(sl_decimal v, sl_decimal_type t, int scale,
		     sl_decimal_round_mode mode, sl_decimal_type tr,
		     sl_decimal *out)
{
	wide m;

	w_set(&m, mag(v));
	if (scale >= 0)
		return finish(v < 0, m, t.scale, tr, mode, out);
	/* Round at 10^-scale, then give the value scale 0. */
	if (scale < -100)
		scale = -100; /* all the same: 0, or one unit far too big */
	w_scale_down(&m, t.scale - scale, mode, v < 0);
	if (w_zero(&m)) {
		*out = 0;
		return 0;
	}
	return finish(v < 0, m, scale, tr, mode, out);
}

/* ---- integers ----------------------------------------------------------- */

int sl_decimal_from_int64(int64_t x, sl_decimal_type t, sl_decimal *out)
{
	wide m;
	w_set(&m, mag(x));
	return finish(x < 0, m, 0, t, SL_DECIMAL_HALF_UP, out);
}

int sl_decimal_from_bool(bool b, sl_decimal_type t, sl_decimal *out)
{
	return sl_decimal_from_int64(b ? 1 : 0, t, out);
}

/* The integer v (a 128-bit value) as Java narrows it to `bits`. */
static int narrow(sl_decimal q, int bits, int64_t *out)
{
	int64_t lo = (int64_t)(uint64_t)(u128)q;
	sl_decimal min, max;

	if (bits != 8 && bits != 16 && bits != 32)
		bits = 64;
	max = ((sl_decimal)1 << (bits - 1)) - 1;
	min = -max - 1;
	if (bits == 8)
		*out = (int8_t)(uint8_t)(uint64_t)lo;
	else if (bits == 16)
		*out = (int16_t)(uint16_t)(uint64_t)lo;
	else if (bits == 32)
		*out = (int32_t)(uint32_t)(uint64_t)lo;
	else
		*out = lo;
	return q < min || q > max ? SL_DECIMAL_EOVERFLOW : 0;
}

int sl_decimal_to_int(sl_decimal v, sl_decimal_type t, int bits, int64_t *out)
{
	return narrow(v / (sl_decimal)p10[t.scale], bits, out);
}

/* ---- arithmetic ------------------------------------------------------ */

static int addsub(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		  sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	int s;
	wide x, y;
	bool neg;

	if (ta.scale == tb.scale && tb.scale == tr.scale) {
		/* |a|, |b| < 10^38, so the sum stays below 2^127 */
		sl_decimal r = a + b;
		if (!sl_decimal_fits(r, tr))
			return SL_DECIMAL_EOVERFLOW;
		*out = r;
		return 0;
	}
	s = imax(ta.scale, tb.scale);
	x = wmag(a, s - ta.scale);
	y = wmag(b, s - tb.scale);
	if ((a < 0) == (b < 0)) {
		w_add(&x, &y);
		neg = a < 0;
	} else if (w_cmp(&x, &y) >= 0) {
		w_sub(&x, &y);
		neg = a < 0;
	} else {
		w_sub(&y, &x);
		x = y;
		neg = b < 0;
	}
	if (w_zero(&x))
		neg = false;
	return finish(neg, x, s, tr, SL_DECIMAL_HALF_UP, out);
}

int sl_decimal_add(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	return addsub(a, ta, b, tb, tr, out);
}

int sl_decimal_sub(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	return addsub(a, ta, -b, tb, tr, out);
}

int sl_decimal_mul(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	sl_decimal r;
	wide m;
	bool neg = (a < 0) != (b < 0);

	if (ta.scale + tb.scale == tr.scale && !__builtin_mul_overflow(a, b, &r)) {
		if (!sl_decimal_fits(r, tr))
			return SL_DECIMAL_EOVERFLOW;
		*out = r;
		return 0;
	}
	w_mul128(&m, mag(a), mag(b));
	if (w_zero(&m))
		neg = false;
	return finish(neg, m, ta.scale + tb.scale, tr, SL_DECIMAL_HALF_UP, out);
}

int sl_decimal_div(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	/* a/b at scale tr.scale is |A| * 10^e / |B| for unscaled A, B */
	int e = (int)tr.scale - ta.scale + tb.scale;
	bool neg = (a < 0) != (b < 0);
	wide n, d, q, r, one;

	if (b == 0)
		return SL_DECIMAL_EDIVZERO;
	if (e >= 0 && e <= 38 && mag(a) < p10[38 - e]) {
		u128 nn = mag(a) * p10[e], dd = mag(b);
		u128 qq = nn / dd, rr = nn % dd;
		/* HALF_UP: 2r >= d, written clear of overflow */
		if (rr >= dd - rr)
			qq++;
		if (qq >= p10[tr.precision])
			return SL_DECIMAL_EOVERFLOW;
		*out = neg ? -(sl_decimal)qq : (sl_decimal)qq;
		return 0;
	}
	n = wmag(a, e > 0 ? e : 0);
	d = wmag(b, e < 0 ? -e : 0);
	w_divmod(&n, &d, &q, &r);
	if (round_away(SL_DECIMAL_HALF_UP, neg, &q, &r, &d)) {
		w_set(&one, 1);
		w_add(&q, &one);
	}
	if (w_zero(&q))
		neg = false;
	return finish(neg, q, tr.scale, tr, SL_DECIMAL_HALF_UP, out);
}

/* The exact a % b at scale max(ta.scale, tb.scale): its magnitude in *r,
 * the integral quotient's in *q, the divisor's (at that scale) in *d. */
static int mod_exact(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		     sl_decimal_type tb, wide *q, wide *r, wide *d, int *scale)
{
	int s = imax(ta.scale, tb.scale);
	wide n, lim, t, hi, lo;

	if (b == 0)
		return SL_DECIMAL_EDIVZERO;
	n = wmag(a, s - ta.scale);
	*d = wmag(b, s - tb.scale);
	w_divmod(&n, d, q, r);
	*scale = s;
	/* Java's divideToIntegralValue with 39 digits: a quotient of more
	 * significant digits than that cannot be had. */
	w_pow10(&lim, 39);
	if (w_cmp(q, &lim) >= 0) {
		int nd = 40; /* digits of q: 10^39 <= q < t = 10^nd */
		w_pow10(&t, 40);
		while (nd < 150 && w_cmp(q, &t) >= 0) {
			w_mul64(&t, 10);
			nd++;
		}
		w_pow10(&t, nd - 39);
		w_divmod(q, &t, &hi, &lo);
		if (!w_zero(&lo))
			return SL_DECIMAL_EIMPOSSIBLE;
	}
	return 0;
}

int sl_decimal_mod(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	wide q, r, d;
	int s, rc;

	if (b == 0)
		return SL_DECIMAL_EDIVZERO;
	if (ta.scale == tb.scale && tb.scale == tr.scale) {
		sl_decimal m = a % b; /* C truncates: the sign of a, as Java */
		if (!sl_decimal_fits(m, tr))
			return SL_DECIMAL_EOVERFLOW;
		*out = m;
		return 0;
	}
	rc = mod_exact(a, ta, b, tb, &q, &r, &d, &s);
	if (rc < 0)
		return rc;
	return finish(a < 0 && !w_zero(&r), r, s, tr, SL_DECIMAL_HALF_UP, out);
}

int sl_decimal_pmod(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		    sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out)
{
	wide q, r, d;
	int s, rc = mod_exact(a, ta, b, tb, &q, &r, &d, &s);
	bool neg = a < 0 && !w_zero(&r);

	if (rc < 0)
		return rc;
	/* r < 0: (r + b) % b, which is r + b for b > 0 and r for b < 0 */
	if (neg && b > 0) {
		w_sub(&d, &r);
		r = d;
		neg = false;
	}
	return finish(neg, r, s, tr, SL_DECIMAL_HALF_UP, out);
}

int sl_decimal_quot(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		    sl_decimal_type tb, int64_t *out)
{
	wide q, r, d;
	int s, rc = mod_exact(a, ta, b, tb, &q, &r, &d, &s);
	sl_decimal v;

	if (rc < 0)
		return rc;
	/* Spark checks the quotient against DECIMAL(38,0) before the long */
	if (!w_fits128(&q) || w_get(&q) >= p10[38])
		return SL_DECIMAL_EOVERFLOW;
	v = (sl_decimal)w_get(&q);
	if ((a < 0) != (b < 0))
		v = -v;
	narrow(v, 64, out); /* past a long: the low bits, no error */
	return 0;
}

int sl_decimal_avg(sl_decimal sum, sl_decimal_type tsum, int64_t count,
		   sl_decimal_type tr, sl_decimal *out)
{
	if (count < 1)
		return SL_EINVAL;
	/* Spark 4's DecimalDivideWithOverflowCheck: sum / CAST(count AS
	 * DECIMAL(20,0)) rounded once, straight into avg's type */
	return sl_decimal_div(sum, tsum, count, sl_decimal_type_of_int(64), tr,
			      out);
}
