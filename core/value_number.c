/* core/value_number.c - numbers as Spark prints them: longs, Java's
 * Double.toString and Float.toString (Java 17's, which Spark runs on),
 * and the shortest decimal digits behind them. core/value_text.h
 * declares them; rendering (core/value.c), casts and the sinks use them. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/value_text.h"

/* ---- numbers ---------------------------------------------------------- */

size_t sl_fmt_long(int64_t v, char *buf)
{
	/* Casting numbers to strings is per row on common paths (Kafka
	 * values, CSV): digits by hand, not through printf. */
	char tmp[24];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = 0;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	size_t k = 0;
	if (v < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = tmp[--n];
	buf[k] = 0;
	return k;
}

/* The shortest digits of d that read back as d, as a double or (single)
 * as a float. */
static int shortest_digits(double d, bool single, char *digits, int *exp10)
{
	char buf[40];
	d = fabs(d);
	int maxp = single ? 9 : 17;
	/* The first precision that reads back exactly is the shortest
	 * representation, and %e rounds it to the nearest such decimal:
	 * what Java (JDK 19+) prints. */
	for (int p = 1; p <= maxp; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
		if (p < maxp && (single ? (double)strtof(buf, NULL) != d
					: strtod(buf, NULL) != d))
			continue;
		/* Java prints at least two digits (d.d), and when one digit
		 * would do it takes the two-digit decimal closest to d:
		 * Double.MIN_VALUE is 4.9E-324, not 5.0E-324. */
		if (p == 1)
			snprintf(buf, sizeof(buf), "%.1e", d);
		int n = 0;
		char *c = buf;
		for (; *c && *c != 'e'; c++)
			if (*c >= '0' && *c <= '9')
				digits[n++] = *c;
		while (n > 1 && digits[n - 1] == '0')
			n--;
		digits[n] = 0;
		*exp10 = atoi(c + 1) + 1;
		return n;
	}
	return 0;
}

int sl_double_digits(double d, char *digits, int *exp10)
{
	return shortest_digits(d, false, digits, exp10);
}

static size_t fmt_java(double d, bool single, char *buf);

size_t sl_fmt_double(double d, char *buf)
{
	return fmt_java(d, false, buf);
}

size_t sl_fmt_float(float f, char *buf)
{
	return fmt_java(f, true, buf);
}

/* Java 17's Float.toString (the Java Spark runs on) prints an integral
 * float of 2^24 to 2^63 as its exact integer, not as the shortest digits
 * (123456789 as a float, 123456792, is 1.23456792E8, not 1.2345679E8),
 * dropping only the low digits its FloatingDecimal counts as
 * insignificant, rounded half up. The digits and exponent as
 * shortest_digits gives them, or 0 when that does not apply. */
static int java_float_int_digits(double d, char *dig, int *exp10)
{
	static const int insignificant[] = {
		0,  0,	0,  0,	1,  1,	1,  2,	2,  2,	3,  3,	3,  3,	4,  4,
		4,  5,	5,  5,	6,  6,	6,  6,	7,  7,	7,  8,	8,  8,	9,  9,
		9,  9,	10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14,
		14, 14, 15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19,
	};
	double a = fabs(d);
	if (a < 16777216.0 || a >= 9223372036854775808.0 || a != floor(a))
		return 0;
	uint64_t v = (uint64_t)a;
	/* FloatingDecimal counts a float's 24 significant bits, zeros
	 * included */
	int bin_exp = 63 - __builtin_clzll(v);
	int p2 = bin_exp - 24 - 1, drop = 0;
	if (p2 > 1 && p2 < (int)(sizeof(insignificant) / sizeof(int)))
		drop = insignificant[p2];
	int e = 0;
	if (drop) {
		uint64_t pow10 = 1;
		for (int i = 0; i < drop; i++)
			pow10 *= 10;
		uint64_t residue = v % pow10;
		v /= pow10;
		e = drop;
		if (residue >= pow10 / 2)
			v++;
	}
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	*exp10 = n + e;
	for (int i = 0; i < n; i++)
		dig[i] = tmp[n - 1 - i];
	while (n > 1 && dig[n - 1] == '0')
		n--;
	dig[n] = 0;
	return n;
}

/* Java's Double.toString, or Float.toString of a float (single). */
static size_t fmt_java(double d, bool single, char *buf)
{
	if (isnan(d))
		return (size_t)sprintf(buf, "NaN");
	if (isinf(d))
		return (size_t)sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
	char *o = buf;
	if (signbit(d))
		*o++ = '-';
	if (d == 0) {
		strcpy(o, "0.0");
		return (size_t)(o - buf) + 3;
	}
	char dig[24];
	int e, n = single ? java_float_int_digits(d, dig, &e) : 0;
	if (!n)
		n = shortest_digits(d, single, dig, &e);
	double ad = fabs(d);
	if (ad >= 1e-3 && ad < 1e7) {
		if (e <= 0) {
			*o++ = '0';
			*o++ = '.';
			for (int i = 0; i < -e; i++)
				*o++ = '0';
			memcpy(o, dig, (size_t)n);
			o += n;
		} else if (e >= n) {
			memcpy(o, dig, (size_t)n);
			o += n;
			for (int i = n; i < e; i++)
				*o++ = '0';
			*o++ = '.';
			*o++ = '0';
		} else {
			memcpy(o, dig, (size_t)e);
			o += e;
			*o++ = '.';
			memcpy(o, dig + e, (size_t)(n - e));
			o += n - e;
		}
	} else {
		*o++ = dig[0];
		*o++ = '.';
		if (n > 1) {
			memcpy(o, dig + 1, (size_t)(n - 1));
			o += n - 1;
		} else {
			*o++ = '0';
		}
		o += sprintf(o, "E%d", e - 1);
	}
	*o = 0;
	return (size_t)(o - buf);
}
