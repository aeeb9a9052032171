/* tests/unit/core_decimal.c - Spark's DECIMAL(p,s) (core/decimal.c,
 * core/decimal_text.c): result types, casts, text, arithmetic, and the
 * generated cases of tests/data/decimal_cases.txt (tools/gen_decimal_cases.py,
 * Python's decimal module as the reference).
 *
 * The expectations written here by hand come from Spark 4.3.0 (pyspark on
 * Java 17, local[1]), run on SQL such as
 *   SELECT CAST(1.5 AS DECIMAL(38,10)) * CAST(1.5 AS DECIMAL(38,10))
 * which is DECIMAL(38,6) 2.250000, in ANSI mode (the default) and with
 * spark.sql.ansi.enabled=false; each test names what it checked. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "core/decimal_wide.h"
#include "sluice.h"

#define T(p, s) sl_decimal_type_make(p, s)

/* ---- helpers -------------------------------------------------------- */

/* A decimal integer (unscaled value) as text, for the generated cases. */
static sl_decimal unscaled(const char *s)
{
	bool neg = *s == '-';
	sl_decimal v = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

static const char *unscaled_text(sl_decimal v)
{
	static char buf[8][48];
	static int k;
	char *b = buf[k++ % 8], tmp[48];
	u128 m = v < 0 ? -(u128)v : (u128)v;
	int n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + (int)(m % 10));
		m /= 10;
	} while (m);
	if (v < 0)
		b[i++] = '-';
	while (n)
		b[i++] = tmp[--n];
	b[i] = 0;
	return b;
}

static const char *fmt(sl_decimal v, sl_decimal_type t)
{
	static char buf[4][SL_DECIMAL_TEXT_MAX];
	static int k;
	char *b = buf[k++ % 4];
	size_t n = sl_decimal_format(v, t, b, SL_DECIMAL_TEXT_MAX);
	cr_assert_lt(n, SL_DECIMAL_TEXT_MAX);
	return b;
}

static const char *jfmt(sl_decimal v, sl_decimal_type t)
{
	static char buf[SL_DECIMAL_TEXT_MAX];
	sl_decimal_format_java(v, t, buf, sizeof(buf));
	return buf;
}

static const char *tname(sl_decimal_type t)
{
	static char buf[4][24];
	static int k;
	char *b = buf[k++ % 4];
	sl_decimal_type_name(t, b, 24);
	return b;
}

/* The value of text s in type t, asserting the parse works. */
static sl_decimal D(const char *s, sl_decimal_type t)
{
	sl_decimal v = 0;
	int rc = sl_decimal_parse(s, strlen(s), t, &v);
	cr_assert_eq(rc, 0, "parse %s as %s: %d", s, tname(t), rc);
	return v;
}

/* CAST(s AS DECIMAL(p,s)) as text, or the error's name. */
static const char *cast(const char *s, int p, int sc)
{
	static char buf[4][SL_DECIMAL_TEXT_MAX];
	static int k;
	sl_decimal v;
	int rc = sl_decimal_parse(s, strlen(s), T(p, sc), &v);

	switch (rc) {
	case 0: break;
	case SL_DECIMAL_ESYNTAX: return "SYNTAX";
	case SL_DECIMAL_EOVERFLOW: return "OVERFLOW";
	case SL_DECIMAL_ERANGE: return "ERANGE";
	default: return "?";
	}
	char *b = buf[k++ % 4];
	sl_decimal_format(v, T(p, sc), b, SL_DECIMAL_TEXT_MAX);
	return b;
}

/* ---- types ---------------------------------------------------------- */

Test(decimal_value, powers_digits_fits)
{
	cr_assert_eq(sl_decimal_pow10(0), 1);
	cr_assert_eq(sl_decimal_pow10(19), (sl_decimal)10000000000000000000ULL);
	cr_assert_eq(sl_decimal_pow10(38) / sl_decimal_pow10(19) / sl_decimal_pow10(19), 1);
	cr_assert_eq(sl_decimal_digits(0), 1);
	cr_assert_eq(sl_decimal_digits(-9), 1);
	cr_assert_eq(sl_decimal_digits(10), 2);
	cr_assert_eq(sl_decimal_digits(sl_decimal_pow10(38) - 1), 38);
	cr_assert_eq(sl_decimal_digits(-sl_decimal_pow10(38)), 39);
	cr_assert(sl_decimal_fits(99999, T(5, 2)));
	cr_assert_not(sl_decimal_fits(-100000, T(5, 2)));
	cr_assert(sl_decimal_fits(-(sl_decimal_pow10(38) - 1), T(38, 38)));
	cr_assert_not(sl_decimal_fits(sl_decimal_pow10(38), T(38, 0)));
	for (int c = SL_DECIMAL_EOVERFLOW; c >= SL_DECIMAL_ERANGE; c--)
		cr_assert_not_null(sl_decimal_strerror(c));
}

Test(decimal_type, names_and_validity)
{
	cr_assert_str_eq(tname(T(10, 2)), "decimal(10,2)");
	cr_assert_str_eq(tname(T(38, 38)), "decimal(38,38)");
	cr_assert_str_eq(tname(T(1, 0)), "decimal(1,0)");
	cr_assert(sl_decimal_type_valid(38, 38));
	cr_assert(sl_decimal_type_valid(1, 0));
	cr_assert_not(sl_decimal_type_valid(0, 0));
	cr_assert_not(sl_decimal_type_valid(39, 0));
	cr_assert_not(sl_decimal_type_valid(5, 6));
	cr_assert_not(sl_decimal_type_valid(5, -1));
	char small[6];
	cr_assert_eq(sl_decimal_type_name(T(10, 2), small, sizeof(small)), 13);
	cr_assert_str_eq(small, "decim");
}

Test(decimal_type, parse)
{
	sl_decimal_type t;
#define TP(s, rc_, p, sc)                                                     \
	do {                                                                  \
		t = T(0, 0);                                                  \
		cr_assert_eq(sl_decimal_type_parse(s, strlen(s), &t), rc_, s); \
		if (rc_ == 0)                                                 \
			cr_assert_str_eq(tname(t), tname(T(p, sc)), s);       \
	} while (0)
	TP("DECIMAL", 0, 10, 0);
	TP("decimal(5)", 0, 5, 0);
	TP("Decimal( 12 , 3 )", 0, 12, 3);
	TP("DEC(38,38)", 0, 38, 38);
	TP("NUMERIC(7,2)", 0, 7, 2);
	TP("DECIMAL(39,0)", SL_EINVAL, 0, 0);
	TP("DECIMAL(5,6)", SL_EINVAL, 0, 0);
	TP("DECIMAL(0)", SL_EINVAL, 0, 0);
	TP("DECIMAL(5,", SL_ESYNTAX, 0, 0);
	TP("DECIMALS", SL_ESYNTAX, 0, 0);
	TP("DECIMAL(a)", SL_ESYNTAX, 0, 0);
#undef TP
}

/* Spark 4.3.0: typeof() of each expression. */
Test(decimal_type, arithmetic_result_types)
{
	/* + -: DECIMAL(10,2) + 1 (a literal) is decimal(11,2), + an INT
	 * column decimal(13,2), + BIGINT decimal(23,2), + TINYINT (11,2),
	 * + 123456789012 decimal(15,2) */
	sl_decimal_type d = T(10, 2);
	cr_assert_str_eq(tname(sl_decimal_type_add(d, sl_decimal_type_of_literal(1))), "decimal(11,2)");
	cr_assert_str_eq(tname(sl_decimal_type_add(d, sl_decimal_type_of_int(32))), "decimal(13,2)");
	cr_assert_str_eq(tname(sl_decimal_type_add(d, sl_decimal_type_of_int(64))), "decimal(23,2)");
	cr_assert_str_eq(tname(sl_decimal_type_add(d, sl_decimal_type_of_int(8))), "decimal(11,2)");
	cr_assert_str_eq(tname(sl_decimal_type_of_int(16)), "decimal(5,0)");
	cr_assert_str_eq(tname(sl_decimal_type_add(d, sl_decimal_type_of_literal(123456789012LL))), "decimal(15,2)");
	cr_assert_str_eq(tname(sl_decimal_type_of_literal(0)), "decimal(1,0)");
	cr_assert_str_eq(tname(sl_decimal_type_of_literal(INT64_MIN)), "decimal(19,0)");
	/* (38,10) + (38,38) is decimal(38,9); (38,0)+(38,0) (38,0) */
	cr_assert_str_eq(tname(sl_decimal_type_add(T(38, 10), T(38, 38))), "decimal(38,9)");
	cr_assert_str_eq(tname(sl_decimal_type_add(T(38, 0), T(38, 0))), "decimal(38,0)");
	/* *: (38,10)*(38,10) (38,6); (38,0)*(38,0) (38,0); (10,2)*(5,1) */
	cr_assert_str_eq(tname(sl_decimal_type_mul(T(38, 10), T(38, 10))), "decimal(38,6)");
	cr_assert_str_eq(tname(sl_decimal_type_mul(T(38, 0), T(38, 0))), "decimal(38,0)");
	cr_assert_str_eq(tname(sl_decimal_type_mul(T(10, 2), T(5, 1))), "decimal(16,3)");
	cr_assert_str_eq(tname(sl_decimal_type_mul(T(38, 37), T(38, 37))), "decimal(38,35)");
	/* /: (3,0)/(3,0) (9,6); (10,2)/(10,4) (25,13); (38,10)/(38,10)
	 * (38,6); (5,5)/(38,0) (38,38); (38,0)/(5,5) (38,6); (10,2)/0
	 * (14,6) */
	cr_assert_str_eq(tname(sl_decimal_type_div(T(3, 0), T(3, 0))), "decimal(9,6)");
	cr_assert_str_eq(tname(sl_decimal_type_div(T(10, 2), T(10, 4))), "decimal(25,13)");
	cr_assert_str_eq(tname(sl_decimal_type_div(T(38, 10), T(38, 10))), "decimal(38,6)");
	cr_assert_str_eq(tname(sl_decimal_type_div(T(5, 5), T(38, 0))), "decimal(38,38)");
	cr_assert_str_eq(tname(sl_decimal_type_div(T(38, 0), T(5, 5))), "decimal(38,6)");
	cr_assert_str_eq(tname(sl_decimal_type_div(T(10, 2), sl_decimal_type_of_literal(0))), "decimal(14,6)");
	/* %: (38,10) % (5,1) (14,10); pmod((10,1),(5,2)) (5,2);
	 * (38,38) % (38,0) (38,38) */
	cr_assert_str_eq(tname(sl_decimal_type_mod(T(38, 10), T(5, 1))), "decimal(14,10)");
	cr_assert_str_eq(tname(sl_decimal_type_mod(T(10, 1), T(5, 2))), "decimal(5,2)");
	cr_assert_str_eq(tname(sl_decimal_type_mod(T(38, 38), T(38, 0))), "decimal(38,38)");
}

Test(decimal_type, aggregate_and_wider_types)
{
	/* sum/avg of DECIMAL(10,2): decimal(20,2), decimal(14,6); of
	 * DECIMAL(36,30): decimal(38,30), decimal(38,34) */
	cr_assert_str_eq(tname(sl_decimal_type_sum(T(10, 2))), "decimal(20,2)");
	cr_assert_str_eq(tname(sl_decimal_type_avg(T(10, 2))), "decimal(14,6)");
	cr_assert_str_eq(tname(sl_decimal_type_sum(T(36, 30))), "decimal(38,30)");
	cr_assert_str_eq(tname(sl_decimal_type_avg(T(36, 30))), "decimal(38,34)");
	cr_assert_str_eq(tname(sl_decimal_type_avg(T(38, 36))), "decimal(38,38)");
	/* CASE/COALESCE/UNION: (38,0) with (38,38) is decimal(38,0), with
	 * (10,3) decimal(38,0) */
	cr_assert_str_eq(tname(sl_decimal_type_wider(T(38, 0), T(38, 38))), "decimal(38,0)");
	cr_assert_str_eq(tname(sl_decimal_type_wider(T(38, 0), T(10, 3))), "decimal(38,0)");
	cr_assert_str_eq(tname(sl_decimal_type_wider(T(10, 2), T(5, 4))), "decimal(12,4)");
	cr_assert_str_eq(tname(sl_decimal_type_wider(T(30, 10), T(20, 15))), "decimal(35,15)");
	cr_assert_str_eq(tname(sl_decimal_type_wider(T(38, 10), T(20, 15))), "decimal(38,10)");
	/* the precision-loss rule itself */
	cr_assert_str_eq(tname(sl_decimal_type_adjust(38, 20)), "decimal(38,20)");
	cr_assert_str_eq(tname(sl_decimal_type_adjust(77, 20)), "decimal(38,6)");
	cr_assert_str_eq(tname(sl_decimal_type_adjust(40, 4)), "decimal(38,4)");
	cr_assert_str_eq(tname(sl_decimal_type_adjust(40, 10)), "decimal(38,8)");
	cr_assert_str_eq(tname(sl_decimal_type_bounded(40, 39)), "decimal(38,38)");
}

/* round(DECIMAL(5,1) 2.5) decimal(5,0) 3, bround 2; round(125 (5,0),
 * -1) decimal(6,0) 130, bround 120; round(1.25 (5,2), 1) decimal(5,1)
 * 1.3; round(99.5 (3,1)) decimal(3,0) 100; round(1.25 (5,2), 5) 1.25;
 * round(1.25 (38,2), -3) 0; round(1.25, -40) 0; round(99999 (5,0), -6) 0;
 * round(99999 (38,0), -2) 100000; round(-2.5) -3, bround(-2.5) -2,
 * bround(-3.5) -4; round(38 nines, -1) NUMERIC_VALUE_OUT_OF_RANGE. */
Test(decimal_round, spark_examples)
{
	sl_decimal out;
	struct {
		const char *v;
		int p, s, scale;
		sl_decimal_round_mode m;
		const char *type, *want;
	} c[] = {
		{"2.5", 5, 1, 0, SL_DECIMAL_HALF_UP, "decimal(5,0)", "3"},
		{"2.5", 5, 1, 0, SL_DECIMAL_HALF_EVEN, "decimal(5,0)", "2"},
		{"125", 5, 0, -1, SL_DECIMAL_HALF_UP, "decimal(6,0)", "130"},
		{"125", 5, 0, -1, SL_DECIMAL_HALF_EVEN, "decimal(6,0)", "120"},
		{"1.25", 5, 2, 1, SL_DECIMAL_HALF_UP, "decimal(5,1)", "1.3"},
		{"99.5", 3, 1, 0, SL_DECIMAL_HALF_UP, "decimal(3,0)", "100"},
		{"1.25", 5, 2, 5, SL_DECIMAL_HALF_UP, "decimal(6,2)", "1.25"},
		{"1.25", 38, 2, -3, SL_DECIMAL_HALF_UP, "decimal(37,0)", "0"},
		{"1.25", 5, 2, -40, SL_DECIMAL_HALF_UP, "decimal(38,0)", "0"},
		{"99999", 5, 0, -6, SL_DECIMAL_HALF_UP, "decimal(7,0)", "0"},
		{"99999", 38, 0, -2, SL_DECIMAL_HALF_UP, "decimal(38,0)", "100000"},
		{"-2.5", 5, 1, 0, SL_DECIMAL_HALF_UP, "decimal(5,0)", "-3"},
		{"-2.5", 5, 1, 0, SL_DECIMAL_HALF_EVEN, "decimal(5,0)", "-2"},
		{"-3.5", 5, 1, 0, SL_DECIMAL_HALF_EVEN, "decimal(5,0)", "-4"},
		/* floor/ceil */
		{"-2.1", 5, 1, 0, SL_DECIMAL_FLOOR, "decimal(5,0)", "-3"},
		{"-2.1", 5, 1, 0, SL_DECIMAL_CEILING, "decimal(5,0)", "-2"},
		{"9.9", 2, 1, 0, SL_DECIMAL_CEILING, "decimal(2,0)", "10"},
		{"-1.25", 5, 2, -40, SL_DECIMAL_FLOOR, "decimal(38,0)", "OVERFLOW"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		sl_decimal_type t = T(c[i].p, c[i].s);
		sl_decimal_type tr = sl_decimal_type_round(t, c[i].scale);
		cr_assert_str_eq(tname(tr), c[i].type, "%zu", i);
		int rc = sl_decimal_round(D(c[i].v, t), t, c[i].scale, c[i].m,
					  tr, &out);
		if (rc == SL_DECIMAL_EOVERFLOW)
			cr_assert_str_eq("OVERFLOW", c[i].want, "%zu", i);
		else
			cr_assert_str_eq(fmt(out, tr), c[i].want, "%zu", i);
	}
	sl_decimal nines = sl_decimal_pow10(38) - 1;
	sl_decimal_type t38 = T(38, 0);
	cr_assert_eq(sl_decimal_round(nines, t38, -1, SL_DECIMAL_HALF_UP,
				      sl_decimal_type_round(t38, -1), &out),
		     SL_DECIMAL_EOVERFLOW);
}

/* ---- text ----------------------------------------------------------- */

/* Spark 4.3.0, CAST(s AS DECIMAL(10,2)) unless said: '  1.5  ' 1.50,
 * '1e2' 100.00, '+.5' 0.50, '1.' 1.00, '.' null, '' null, '0e100' null
 * (and NUMERIC_OUT_OF_SUPPORTED_RANGE in ANSI mode, as '1e50'), '0e-100'
 * 0.00, '1.005' 1.01, '-1.005' -1.01, '123456789.5' null (overflow),
 * '1.5d' null, '\t1\n' 1.00, '1e-2' as (3,3) 0.010, '1E+2' as (5,0) 100,
 * 'Infinity' '1_0' '- 1' '0x10' null, fullwidth '１' 1, '０.５' 0.50,
 * Arabic-Indic '٣' 3.00, '1e38' as (38,0) null, '1e37' 10^37,
 * '9.99..(44 digits)e37' as (38,0) null, '0.(49 zeros)5' as (38,38) 0,
 * '1e-2147483648' '1e2147483648' '1e+' 'e5' '1.2.3' '+-1' '1 2' null,
 * '-0' 0.00, '1e0005' 100000.00, ' 1 ' 1.00. */
Test(decimal_text, cast_string_to_decimal)
{
	cr_assert_str_eq(cast("  1.5  ", 10, 2), "1.50");
	cr_assert_str_eq(cast("1e2", 10, 2), "100.00");
	cr_assert_str_eq(cast("+.5", 10, 2), "0.50");
	cr_assert_str_eq(cast("1.", 10, 2), "1.00");
	cr_assert_str_eq(cast(".", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("   ", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("0e100", 10, 2), "ERANGE");
	cr_assert_str_eq(cast("1e50", 10, 2), "ERANGE");
	cr_assert_str_eq(cast("0e-100", 10, 2), "0.00");
	cr_assert_str_eq(cast("1.005", 10, 2), "1.01");
	cr_assert_str_eq(cast("-1.005", 10, 2), "-1.01");
	cr_assert_str_eq(cast("1.004999999999999999999999999999999999999999", 10, 2), "1.00");
	cr_assert_str_eq(cast("123456789.5", 10, 2), "OVERFLOW");
	cr_assert_str_eq(cast("12345678.995", 10, 2), "12345679.00");
	cr_assert_str_eq(cast("99999999.995", 10, 2), "OVERFLOW");
	cr_assert_str_eq(cast("1.5d", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("\t1\n", 10, 2), "1.00");
	cr_assert_str_eq(cast("1e-2", 3, 3), "0.010");
	cr_assert_str_eq(cast("1E+2", 5, 0), "100");
	cr_assert_str_eq(cast("Infinity", 5, 0), "SYNTAX");
	cr_assert_str_eq(cast("NaN", 5, 0), "SYNTAX");
	cr_assert_str_eq(cast("1_0", 5, 0), "SYNTAX");
	cr_assert_str_eq(cast("- 1", 5, 0), "SYNTAX");
	cr_assert_str_eq(cast("0x10", 5, 0), "SYNTAX");
	cr_assert_str_eq(cast("\xef\xbc\x91", 5, 0), "1");
	cr_assert_str_eq(cast("\xef\xbc\x90.\xef\xbc\x95", 10, 2), "0.50");
	cr_assert_str_eq(cast("\xd9\xa3", 10, 2), "3.00");
	cr_assert_str_eq(cast("\xd9", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("1e38", 38, 0), "ERANGE");
	cr_assert_str_eq(cast("1e37", 38, 0), "10000000000000000000000000000000000000");
	cr_assert_str_eq(cast("9.99999999999999999999999999999999999999999999e37", 38, 0), "OVERFLOW");
	cr_assert_str_eq(cast("0.00000000000000000000000000000000000000000000000005", 38, 38),
			 "0.00000000000000000000000000000000000000");
	cr_assert_str_eq(cast("1e-2147483648", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("1e2147483648", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("1e+", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("e5", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("1.2.3", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("+-1", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("1 2", 10, 2), "SYNTAX");
	cr_assert_str_eq(cast("-0", 10, 2), "0.00");
	cr_assert_str_eq(cast("-0.000", 10, 2), "0.00");
	cr_assert_str_eq(cast("1e0005", 10, 2), "100000.00");
	cr_assert_str_eq(cast(" 1 ", 10, 2), "1.00");
	cr_assert_str_eq(cast("-99999999999999999999999999999999999999", 38, 0),
			 "-99999999999999999999999999999999999999");
	cr_assert_str_eq(cast("0.5", 1, 0), "1");
	cr_assert_str_eq(cast("9.5", 1, 0), "OVERFLOW");
	/* far more digits than any type: constant memory, HALF_UP on the
	 * first dropped digit */
	char big[4096];
	memset(big, '0', sizeof(big) - 1);
	big[0] = '.';
	big[2000] = '7';
	big[sizeof(big) - 1] = 0;
	cr_assert_str_eq(cast(big, 10, 2), "0.00");
	big[1] = '5';
	cr_assert_str_eq(cast(big, 1, 0), "1");
}

/* Spark 4.3.0 literal types: 1.5 decimal(2,1), 123. (3,0), .5 (1,1),
 * 1.5BD (2,1), 1E10BD (11,0), -0.001 (3,3), 0.001 (3,3), -0.0 (1,1),
 * 00.100 (3,3), 1e-3BD (3,3), 1.5E-3BD (4,4), 0.000 (3,3); 39 digits:
 * DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION. */
Test(decimal_text, literals)
{
	struct {
		const char *s, *type, *text;
	} c[] = {
		{"1.5", "decimal(2,1)", "1.5"},
		{"123.", "decimal(3,0)", "123"},
		{".5", "decimal(1,1)", "0.5"},
		{"1.5BD", "decimal(2,1)", "1.5"},
		{"1E10BD", "decimal(11,0)", "10000000000"},
		{"0.001", "decimal(3,3)", "0.001"},
		{"-0.001", "decimal(3,3)", "-0.001"},
		{"-0.0", "decimal(1,1)", "0.0"},
		{"00.100", "decimal(3,3)", "0.100"},
		{"1e-3bd", "decimal(3,3)", "0.001"},
		{"1.5E-3BD", "decimal(4,4)", "0.0015"},
		{"0.000", "decimal(3,3)", "0.000"},
		{"12345678901234567890", "decimal(20,0)", "12345678901234567890"},
		{"99999999999999999999999999999999999999", "decimal(38,0)",
		 "99999999999999999999999999999999999999"},
		{"0.00000000000000000000000000000000000001", "decimal(38,38)",
		 "0.00000000000000000000000000000000000001"},
	};
	sl_decimal v;
	sl_decimal_type t;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cr_assert_eq(sl_decimal_parse_literal(c[i].s, strlen(c[i].s), &v, &t), 0, "%s", c[i].s);
		cr_assert_str_eq(tname(t), c[i].type, "%s", c[i].s);
		cr_assert_str_eq(fmt(v, t), c[i].text, "%s", c[i].s);
	}
	const char *bad39 = "99999999999999999999999999999999999999.9";
	cr_assert_eq(sl_decimal_parse_literal(bad39, strlen(bad39), &v, &t), SL_EINVAL);
	cr_assert_eq(sl_decimal_parse_literal("1E40BD", 6, &v, &t), SL_EINVAL);
	cr_assert_eq(sl_decimal_parse_literal("0.000000000000000000000000000000000000001", 41, &v, &t), SL_EINVAL);
	cr_assert_eq(sl_decimal_parse_literal("BD", 2, &v, &t), SL_DECIMAL_ESYNTAX);
	cr_assert_eq(sl_decimal_parse_literal("1.5B", 4, &v, &t), SL_DECIMAL_ESYNTAX);
}

/* Spark 4.3.0: CAST(30.9 AS DECIMAL(5,2)) 30.90; as STRING in ANSI mode
 * DECIMAL(10,8) 0.0000001 '0.00000010', 0 '0.00000000', 0.000001
 * '0.00000100', (38,38) 0.1 '0.1' and 37 zeros, (10,2) 0 '0.00',
 * -0.00000012 '-0.00000012'; with ansi off '1.0E-7' and '0E-8'. */
Test(decimal_text, format)
{
	cr_assert_str_eq(fmt(3090, T(5, 2)), "30.90");
	cr_assert_str_eq(fmt(10, T(10, 8)), "0.00000010");
	cr_assert_str_eq(fmt(0, T(10, 8)), "0.00000000");
	cr_assert_str_eq(fmt(100, T(10, 8)), "0.00000100");
	cr_assert_str_eq(fmt(sl_decimal_pow10(37), T(38, 38)),
			 "0.10000000000000000000000000000000000000");
	cr_assert_str_eq(fmt(0, T(10, 2)), "0.00");
	cr_assert_str_eq(fmt(-12, T(9, 8)), "-0.00000012");
	cr_assert_str_eq(fmt(-5, T(3, 0)), "-5");
	cr_assert_str_eq(fmt(-(sl_decimal_pow10(38) - 1), T(38, 38)),
			 "-0.99999999999999999999999999999999999999");
	cr_assert_str_eq(fmt(-(sl_decimal_pow10(38) - 1), T(38, 0)),
			 "-99999999999999999999999999999999999999");
	cr_assert_str_eq(jfmt(10, T(10, 8)), "1.0E-7");
	cr_assert_str_eq(jfmt(0, T(10, 8)), "0E-8");
	cr_assert_str_eq(jfmt(0, T(10, 6)), "0.000000");
	cr_assert_str_eq(jfmt(-12, T(9, 8)), "-1.2E-7");
	cr_assert_str_eq(jfmt(1, T(38, 38)), "1E-38");
	cr_assert_str_eq(jfmt(3090, T(5, 2)), "30.90");
	char small[4];
	cr_assert_eq(sl_decimal_format(-12345, T(9, 2), small, sizeof(small)), 7);
	cr_assert_str_eq(small, "-12");
}

/* ---- casts ---------------------------------------------------------- */

/* Spark 4.3.0 with ansi off: DECIMAL(38,0) 12345678901234567890123 as
 * INT 1900168395, as BIGINT 4807115922877859019 (CAST_OVERFLOW in ANSI
 * mode); (20,1) -2147483648.9 as INT -2147483648; (20,1) 2147483648.5
 * as INT -2147483648; -1.9 -1; (5,1) 300.7 as TINYINT 44; (11,1)
 * 2147483647.5 2147483647; (20,1) -9223372036854775808.9 as BIGINT
 * -9223372036854775808; 9223372036854775808 as BIGINT
 * -9223372036854775808; 0.1 as BOOLEAN true, 0 false. */
Test(decimal_cast, integers)
{
	int64_t out;
	sl_decimal v;
	v = D("12345678901234567890123", T(38, 0));
	cr_assert_eq(sl_decimal_to_int(v, T(38, 0), 32, &out), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(out, 1900168395);
	cr_assert_eq(sl_decimal_to_int(v, T(38, 0), 64, &out), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(out, 4807115922877859019LL);
	cr_assert_eq(sl_decimal_to_int(D("-2147483648.9", T(20, 1)), T(20, 1), 32, &out), 0);
	cr_assert_eq(out, INT32_MIN);
	cr_assert_eq(sl_decimal_to_int(D("2147483648.5", T(20, 1)), T(20, 1), 32, &out), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(out, INT32_MIN);
	cr_assert_eq(sl_decimal_to_int(D("-1.9", T(5, 1)), T(5, 1), 32, &out), 0);
	cr_assert_eq(out, -1);
	cr_assert_eq(sl_decimal_to_int(D("300.7", T(5, 1)), T(5, 1), 8, &out), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(out, 44);
	cr_assert_eq(sl_decimal_to_int(D("-32768.9", T(6, 1)), T(6, 1), 16, &out), 0);
	cr_assert_eq(out, -32768);
	cr_assert_eq(sl_decimal_to_int(D("2147483647.5", T(11, 1)), T(11, 1), 32, &out), 0);
	cr_assert_eq(out, INT32_MAX);
	cr_assert_eq(sl_decimal_to_int(D("-9223372036854775808.9", T(20, 1)), T(20, 1), 64, &out), 0);
	cr_assert_eq(out, INT64_MIN);
	cr_assert_eq(sl_decimal_to_int(D("9223372036854775808", T(20, 0)), T(20, 0), 64, &out), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(out, INT64_MIN);
	cr_assert(sl_decimal_to_bool(D("0.1", T(5, 1))));
	cr_assert_not(sl_decimal_to_bool(0));

	/* CAST(1000 AS DECIMAL(5,2)) null; 1 (5,2) 1.00; INT64_MIN fits 19
	 * digits */
	sl_decimal r;
	cr_assert_eq(sl_decimal_from_int64(1000, T(5, 2), &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_from_int64(1, T(5, 2), &r), 0);
	cr_assert_str_eq(fmt(r, T(5, 2)), "1.00");
	cr_assert_eq(sl_decimal_from_int64(INT64_MIN, T(19, 0), &r), 0);
	cr_assert_str_eq(fmt(r, T(19, 0)), "-9223372036854775808");
	cr_assert_eq(sl_decimal_from_int64(INT64_MIN, T(18, 0), &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_from_bool(true, T(1, 1), &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_from_bool(true, T(3, 2), &r), 0);
	cr_assert_eq(r, 100);
}

/* Spark 4.3.0: CAST(0.1D AS DECIMAL(38,30)) 0.1 and 29 zeros; 1e20D as
 * (38,0) 10^20; 1e-7D as (38,10) 0.0000001000; NaN null; 1.005D as
 * (10,2) 1.01; 2.5D as (10,0) 3, -2.5D -3; 1e300D as (38,0) null; 5e-39D
 * as (38,38) 1E-38 (rounded up); -0.0D as (5,2) 0.00; 9.5D as (1,0)
 * null; CAST(123456789.123 AS FLOAT) as (20,5) 123456792.00000 (the
 * float widened). The other way: (38,37) 0.1 0.1; (19,1)
 * 123456789012345678.9 1.2345678901234568E17; (1,1) 0.5 0.5; (38,38)
 * 1E-30 1.0E-30; (6,3) -123.456 -123.456. */
Test(decimal_cast, doubles)
{
	sl_decimal r;
	cr_assert_eq(sl_decimal_from_double(0.1, T(38, 30), &r), 0);
	cr_assert_str_eq(fmt(r, T(38, 30)), "0.100000000000000000000000000000");
	cr_assert_eq(sl_decimal_from_double(1e20, T(38, 0), &r), 0);
	cr_assert_str_eq(fmt(r, T(38, 0)), "100000000000000000000");
	cr_assert_eq(sl_decimal_from_double(1e-7, T(38, 10), &r), 0);
	cr_assert_str_eq(fmt(r, T(38, 10)), "0.0000001000");
	cr_assert_eq(sl_decimal_from_double(NAN, T(10, 2), &r), SL_DECIMAL_ESYNTAX);
	cr_assert_eq(sl_decimal_from_double(INFINITY, T(10, 2), &r), SL_DECIMAL_ESYNTAX);
	cr_assert_eq(sl_decimal_from_double(-INFINITY, T(10, 2), &r), SL_DECIMAL_ESYNTAX);
	cr_assert_eq(sl_decimal_from_double(1.005, T(10, 2), &r), 0);
	cr_assert_str_eq(fmt(r, T(10, 2)), "1.01");
	cr_assert_eq(sl_decimal_from_double(2.5, T(10, 0), &r), 0);
	cr_assert_str_eq(fmt(r, T(10, 0)), "3");
	cr_assert_eq(sl_decimal_from_double(-2.5, T(10, 0), &r), 0);
	cr_assert_str_eq(fmt(r, T(10, 0)), "-3");
	cr_assert_eq(sl_decimal_from_double(1e300, T(38, 0), &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_from_double(5e-39, T(38, 38), &r), 0);
	cr_assert_eq(r, 1);
	cr_assert_eq(sl_decimal_from_double(1.2345678901234567e-300, T(38, 38), &r), 0);
	cr_assert_eq(r, 0);
	cr_assert_eq(sl_decimal_from_double(-0.0, T(5, 2), &r), 0);
	cr_assert_str_eq(fmt(r, T(5, 2)), "0.00");
	cr_assert_eq(sl_decimal_from_double(9.5, T(1, 0), &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_from_double((double)123456789.123f, T(20, 5), &r), 0);
	cr_assert_str_eq(fmt(r, T(20, 5)), "123456792.00000");
	cr_assert_eq(sl_decimal_from_double(5e-324, T(38, 38), &r), 0);
	cr_assert_eq(r, 0);
	/* integral doubles, below and above 2^53 */
	cr_assert_eq(sl_decimal_from_double(-9007199254740991.0, T(20, 2), &r), 0);
	cr_assert_str_eq(fmt(r, T(20, 2)), "-9007199254740991.00");
	cr_assert_eq(sl_decimal_from_double(9007199254740994.0, T(20, 0), &r), 0);
	cr_assert_str_eq(fmt(r, T(20, 0)), "9007199254740994");
	cr_assert_eq(sl_decimal_from_double(1e17, T(20, 0), &r), 0);
	cr_assert_str_eq(fmt(r, T(20, 0)), "100000000000000000");
	cr_assert_eq(sl_decimal_from_double(12345.0, T(4, 0), &r), SL_DECIMAL_EOVERFLOW);

	cr_assert_eq(sl_decimal_to_double(sl_decimal_pow10(36), T(38, 37)), 0.1);
	cr_assert_eq(sl_decimal_to_double(D("123456789012345678.9", T(19, 1)), T(19, 1)),
		     1.2345678901234568e17);
	cr_assert_eq(sl_decimal_to_double(5, T(1, 1)), 0.5);
	cr_assert_eq(sl_decimal_to_double(sl_decimal_pow10(8), T(38, 38)), 1e-30);
	cr_assert_eq(sl_decimal_to_double(-123456, T(6, 3)), -123.456);
	cr_assert_eq(sl_decimal_to_double(0, T(6, 3)), 0.0);
	cr_assert_eq(sl_decimal_to_double(sl_decimal_pow10(38) - 1, T(38, 0)), 1e38);
}

/* ---- comparison ------------------------------------------------------- */

/* Spark 4.3.0: (38,0) 10^37 > (38,38) 0.1 true, = false; (38,38) 0.1 =
 * (38,0) 0 TRUE and (38,38) 0.5 = (38,0) 1 TRUE (both sides are cast to
 * decimal(38,0) first), 0.5 < 1 false; (38,37) 0.5 < (38,1) 1 true, =
 * false (decimal(38,1)). */
Test(decimal_cmp, exact_and_spark)
{
	sl_decimal e37 = sl_decimal_pow10(37);
	cr_assert_gt(sl_decimal_cmp_spark(e37, T(38, 0), e37, T(38, 38)), 0);
	cr_assert_gt(sl_decimal_cmp(e37, T(38, 0), e37, T(38, 38)), 0);
	cr_assert_eq(sl_decimal_cmp_spark(e37, T(38, 38), 0, T(38, 0)), 0);
	cr_assert_gt(sl_decimal_cmp(e37, T(38, 38), 0, T(38, 0)), 0);
	sl_decimal half = 5 * sl_decimal_pow10(37);
	cr_assert_eq(sl_decimal_cmp_spark(half, T(38, 38), 1, T(38, 0)), 0);
	cr_assert_lt(sl_decimal_cmp(half, T(38, 38), 1, T(38, 0)), 0);
	cr_assert_lt(sl_decimal_cmp_spark(5 * sl_decimal_pow10(36), T(38, 37), 10, T(38, 1)), 0);
	/* equal values across scales, signs, zero */
	cr_assert_eq(sl_decimal_cmp(150, T(5, 2), 15, T(5, 1)), 0);
	cr_assert_lt(sl_decimal_cmp(-150, T(5, 2), 15, T(5, 1)), 0);
	cr_assert_gt(sl_decimal_cmp(-149, T(5, 2), -15, T(5, 1)), 0);
	cr_assert_eq(sl_decimal_cmp(0, T(5, 2), 0, T(38, 38)), 0);
	cr_assert_lt(sl_decimal_cmp(-1, T(38, 38), 0, T(1, 0)), 0);
	/* 38 nines at scale 0 against 38 nines at scale 38 */
	sl_decimal n = sl_decimal_pow10(38) - 1;
	cr_assert_gt(sl_decimal_cmp(n, T(38, 0), n, T(38, 38)), 0);
	cr_assert_lt(sl_decimal_cmp(-n, T(38, 0), -n, T(38, 38)), 0);
}

/* ---- arithmetic -------------------------------------------------------- */

/* Spark 4.3.0 values: (10,2) 1.5 + 1 2.50; (10,2) 1.5 + 123456789012
 * 123456789013.50; (38,10) 1.5 * (38,10) 1.5 2.250000; / 1.000000;
 * (38,10) 1.5 % (5,1) 1.5 0E-10; pmod((10,1) -1.5, (5,2) 1) 0.50;
 * (10,1) 7 div (5,2) 2 3; (3,0) 1 / 3 0.333333; (10,2) 2 / (10,4) 3
 * 0.6666666666667; (38,10) 1 / 3 0.333333; 38 nines + 1 null (ANSI:
 * NUMERIC_VALUE_OUT_OF_RANGE); (10,2) 1 / 0 null (ANSI: DIVIDE_BY_ZERO);
 * (38,37) 0.3 * (38,37) 3 0.9 and 34 zeros; (38,18)
 * 12345678901234567890.123456789 * (38,18) 98765432109876543210.987654321
 * null; (38,0) 10^37 % (38,38) 1E-38 0E-38; 38 nines % (1,1) 0.7 0.3;
 * 12345678901234567890123456789012345678 % (4,4) 0.0007 "Division
 * impossible" (also as div); 99999999999999999999 div 1
 * 7766279631452241919; 38 nines div (5,2) 0.1 null. */
Test(decimal_arith, spark_examples)
{
	sl_decimal r;
	int64_t q;
	sl_decimal_type tr;
	tr = sl_decimal_type_add(T(10, 2), T(1, 0));
	cr_assert_eq(sl_decimal_add(150, T(10, 2), 1, T(1, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "2.50");
	tr = sl_decimal_type_add(T(10, 2), T(12, 0));
	cr_assert_eq(sl_decimal_add(150, T(10, 2), 123456789012LL, T(12, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "123456789013.50");
	tr = sl_decimal_type_mul(T(38, 10), T(38, 10));
	sl_decimal x = D("1.5", T(38, 10));
	cr_assert_eq(sl_decimal_mul(x, T(38, 10), x, T(38, 10), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "2.250000");
	tr = sl_decimal_type_div(T(38, 10), T(38, 10));
	cr_assert_eq(sl_decimal_div(x, T(38, 10), x, T(38, 10), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "1.000000");
	tr = sl_decimal_type_mod(T(38, 10), T(5, 1));
	cr_assert_eq(sl_decimal_mod(x, T(38, 10), 15, T(5, 1), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.0000000000");
	tr = sl_decimal_type_mod(T(10, 1), T(5, 2));
	cr_assert_eq(sl_decimal_pmod(-15, T(10, 1), 100, T(5, 2), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.50");
	cr_assert_eq(sl_decimal_quot(70, T(10, 1), 200, T(5, 2), &q), 0);
	cr_assert_eq(q, 3);
	tr = sl_decimal_type_div(T(3, 0), T(3, 0));
	cr_assert_eq(sl_decimal_div(1, T(3, 0), 3, T(3, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.333333");
	tr = sl_decimal_type_div(T(10, 2), T(10, 4));
	cr_assert_eq(sl_decimal_div(200, T(10, 2), 30000, T(10, 4), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.6666666666667");
	sl_decimal one = D("1", T(38, 10)), three = D("3", T(38, 10));
	tr = sl_decimal_type_div(T(38, 10), T(38, 10));
	cr_assert_eq(sl_decimal_div(one, T(38, 10), three, T(38, 10), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.333333");
	sl_decimal n38 = sl_decimal_pow10(38) - 1;
	tr = sl_decimal_type_add(T(38, 0), T(1, 0));
	cr_assert_eq(sl_decimal_add(n38, T(38, 0), 1, T(1, 0), tr, &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_sub(-n38, T(38, 0), 1, T(1, 0), tr, &r), SL_DECIMAL_EOVERFLOW);
	cr_assert_eq(sl_decimal_add(-n38, T(38, 0), 1, T(1, 0), tr, &r), 0);
	tr = sl_decimal_type_div(T(10, 2), T(1, 0));
	cr_assert_eq(sl_decimal_div(100, T(10, 2), 0, T(1, 0), tr, &r), SL_DECIMAL_EDIVZERO);
	cr_assert_eq(sl_decimal_mod(100, T(10, 2), 0, T(1, 0), tr, &r), SL_DECIMAL_EDIVZERO);
	cr_assert_eq(sl_decimal_pmod(100, T(10, 2), 0, T(1, 0), tr, &r), SL_DECIMAL_EDIVZERO);
	cr_assert_eq(sl_decimal_quot(100, T(10, 2), 0, T(1, 0), &q), SL_DECIMAL_EDIVZERO);
	tr = sl_decimal_type_mul(T(38, 37), T(38, 37));
	cr_assert_eq(sl_decimal_mul(3 * sl_decimal_pow10(36), T(38, 37),
				    3 * sl_decimal_pow10(37), T(38, 37), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.90000000000000000000000000000000000");
	tr = sl_decimal_type_mul(T(38, 18), T(38, 18));
	cr_assert_eq(sl_decimal_mul(D("12345678901234567890.123456789", T(38, 18)), T(38, 18),
				    D("98765432109876543210.987654321", T(38, 18)), T(38, 18), tr, &r),
		     SL_DECIMAL_EOVERFLOW);
	tr = sl_decimal_type_mod(T(38, 0), T(38, 38));
	cr_assert_eq(sl_decimal_mod(sl_decimal_pow10(37), T(38, 0), 1, T(38, 38), tr, &r), 0);
	cr_assert_eq(r, 0);
	tr = sl_decimal_type_mod(T(38, 0), T(1, 1));
	cr_assert_eq(sl_decimal_mod(n38, T(38, 0), 7, T(1, 1), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.3");
	sl_decimal big = D("12345678901234567890123456789012345678", T(38, 0));
	tr = sl_decimal_type_mod(T(38, 0), T(4, 4));
	cr_assert_eq(sl_decimal_mod(big, T(38, 0), 7, T(4, 4), tr, &r), SL_DECIMAL_EIMPOSSIBLE);
	cr_assert_eq(sl_decimal_quot(big, T(38, 0), 7, T(4, 4), &q), SL_DECIMAL_EIMPOSSIBLE);
	cr_assert_eq(sl_decimal_quot(D("99999999999999999999", T(38, 0)), T(38, 0), 1, T(1, 0), &q), 0);
	cr_assert_eq(q, 7766279631452241919LL);
	cr_assert_eq(sl_decimal_quot(n38, T(38, 0), 10, T(5, 2), &q), SL_DECIMAL_EOVERFLOW);
	cr_assert_str_eq(sl_decimal_strerror(SL_DECIMAL_EIMPOSSIBLE), "Division impossible");
	cr_assert_null(sl_decimal_strerror(SL_EINVAL));
}

/* Edges: carries across the 64-bit limb, negative zero, 38 digits. */
Test(decimal_arith, edges)
{
	sl_decimal r;
	sl_decimal_type t = T(38, 0), tr = sl_decimal_type_add(t, t);
	sl_decimal u64max = (sl_decimal)UINT64_MAX;
	cr_assert_eq(sl_decimal_add(u64max, t, 1, t, tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "18446744073709551616");
	cr_assert_eq(sl_decimal_sub(-u64max, t, 1, t, tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "-18446744073709551616");
	cr_assert_eq(sl_decimal_sub(u64max + 1, t, 1, t, tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "18446744073709551615");
	/* 2^64 * 2^62 fits 38 digits; 2^64 * 2^64 (39 digits) overflows
	 * 128 bits and takes the wide path */
	tr = sl_decimal_type_mul(T(20, 0), T(20, 0));
	cr_assert_eq(sl_decimal_mul(u64max + 1, T(20, 0), (sl_decimal)1 << 62, T(20, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "85070591730234615865843651857942052864");
	cr_assert_eq(sl_decimal_mul(u64max + 1, T(20, 0), u64max + 1, T(20, 0), tr, &r),
		     SL_DECIMAL_EOVERFLOW);
	/* 2^128 * 10^-10 rounded to decimal(38,7) */
	tr = sl_decimal_type_mul(T(20, 0), T(20, 10));
	cr_assert_str_eq(tname(tr), "decimal(38,7)");
	cr_assert_eq(sl_decimal_mul(u64max + 1, T(20, 0), u64max + 1, T(20, 10), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "34028236692093846346337460743.1768211");
	cr_assert_eq(sl_decimal_mul(-(u64max + 1), T(20, 0), u64max + 1, T(20, 10), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "-34028236692093846346337460743.1768211");
	/* negative zero: -0.001 * 0 and -1 + 1 are plain zeros */
	tr = sl_decimal_type_mul(T(3, 3), T(1, 0));
	cr_assert_eq(sl_decimal_mul(-1, T(3, 3), 0, T(1, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.000");
	cr_assert_str_eq(fmt(sl_decimal_neg(0), T(5, 2)), "0.00");
	cr_assert_eq(sl_decimal_abs(-150), 150);
	cr_assert_eq(sl_decimal_neg(-(sl_decimal_pow10(38) - 1)), sl_decimal_pow10(38) - 1);
	/* a product rounded on the last digit: (38,37) 0.5 * 0.5 at 35 */
	tr = sl_decimal_type_mul(T(38, 37), T(38, 37));
	sl_decimal a = D("0.1234567890123456789012345678901234567", T(38, 37));
	cr_assert_eq(sl_decimal_mul(a, T(38, 37), a, T(38, 37), tr, &r), 0);
	/* 0.1234567890123456789012345678901234567^2 =
	 * 0.01524157875323883675049535156256668186|9... */
	cr_assert_str_eq(fmt(r, tr), "0.01524157875323883675049535156256668");
	/* a quotient rounded on the last digit: 2/3 at scale 38 */
	tr = T(38, 38);
	cr_assert_eq(sl_decimal_div(2, T(1, 0), 3, T(1, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "0.66666666666666666666666666666666666667");
	cr_assert_eq(sl_decimal_div(-2, T(1, 0), 3, T(1, 0), tr, &r), 0);
	cr_assert_str_eq(fmt(r, tr), "-0.66666666666666666666666666666666666667");
	/* a tie: 1/8 at scale 2 is 0.13, -1/8 -0.13 */
	cr_assert_eq(sl_decimal_div(1, T(1, 0), 8, T(1, 0), T(3, 2), &r), 0);
	cr_assert_eq(r, 13);
	cr_assert_eq(sl_decimal_div(1, T(1, 0), -8, T(1, 0), T(3, 2), &r), 0);
	cr_assert_eq(r, -13);
	/* the smallest by the largest */
	tr = sl_decimal_type_div(T(38, 38), T(38, 0));
	cr_assert_eq(sl_decimal_div(1, T(38, 38), sl_decimal_pow10(38) - 1, T(38, 0), tr, &r), 0);
	cr_assert_eq(r, 0);
	tr = sl_decimal_type_div(T(38, 0), T(38, 38));
	cr_assert_eq(sl_decimal_div(sl_decimal_pow10(38) - 1, T(38, 0), 1, T(38, 38), tr, &r),
		     SL_DECIMAL_EOVERFLOW);
}

/* Spark 4.3.0: avg of DECIMAL(10,2) 1, 2, 2 is decimal(14,6) 1.666667;
 * of DECIMAL(36,30) 1, 2 decimal(38,34) 1.5 and 33 zeros; of
 * DECIMAL(25,18) 1, 0, 0 decimal(29,22) 0.3333333333333333333333 (all 22
 * digits: a division sum / count would have kept 21). */
Test(decimal_arith, avg)
{
	sl_decimal r;
	sl_decimal_type t = T(10, 2), ts = sl_decimal_type_sum(t), ta = sl_decimal_type_avg(t);
	cr_assert_eq(sl_decimal_avg(500, ts, 3, ta, &r), 0);
	cr_assert_str_eq(fmt(r, ta), "1.666667");
	t = T(36, 30);
	ts = sl_decimal_type_sum(t);
	ta = sl_decimal_type_avg(t);
	cr_assert_eq(sl_decimal_avg(D("3", ts), ts, 2, ta, &r), 0);
	cr_assert_str_eq(fmt(r, ta), "1.5000000000000000000000000000000000");
	cr_assert_eq(sl_decimal_avg(1, ts, 0, ta, &r), SL_EINVAL);
	t = T(25, 18);
	ts = sl_decimal_type_sum(t);
	ta = sl_decimal_type_avg(t);
	cr_assert_str_eq(tname(ta), "decimal(29,22)");
	cr_assert_str_eq(tname(sl_decimal_type_div(ts, sl_decimal_type_of_int(64))), "decimal(38,21)");
	cr_assert_eq(sl_decimal_avg(D("1", ts), ts, 3, ta, &r), 0);
	cr_assert_str_eq(fmt(r, ta), "0.3333333333333333333333");
}

/* ---- the 512-bit division ------------------------------------------ */

/* Bit by bit: slow and plainly right. */
static void ref_divmod(const wide *n, const wide *d, wide *q, wide *r)
{
	w_set(q, 0);
	w_set(r, 0);
	for (int i = WL * 64 - 1; i >= 0; i--) {
		for (int k = WL - 1; k > 0; k--)
			r->w[k] = r->w[k] << 1 | r->w[k - 1] >> 63;
		r->w[0] = r->w[0] << 1 | (n->w[i / 64] >> (i % 64) & 1);
		if (w_cmp(r, d) >= 0) {
			w_sub(r, d);
			q->w[i / 64] |= (uint64_t)1 << (i % 64);
		}
	}
}

/* Limbs near 0, 2^63 and 2^64 make algorithm D's estimate go wrong often
 * enough to reach its rare branches: of the 188,655 divisions below the
 * add-back step runs in 81 (counted once, with a counter put in by hand). */
static uint64_t limb(uint64_t *seed)
{
	static const uint64_t edge[] = {0, 1, 2, 0x7fffffffffffffffULL,
					0x8000000000000000ULL, 0x8000000000000001ULL,
					0xfffffffffffffffeULL, 0xffffffffffffffffULL};
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	uint64_t x = *seed >> 33;
	return x % 4 ? edge[(x >> 2) % 8] : *seed ^ (*seed << 29);
}

Test(decimal_wide, division_matches_bit_by_bit, .timeout = 60)
{
	uint64_t seed = 20261207;
	int done = 0;
	for (int it = 0; it < 200000; it++) {
		wide n, d, q, r, q2, r2;
		int ln = 1 + (int)(limb(&seed) % 7), ld;
		w_set(&n, 0);
		w_set(&d, 0);
		ld = 1 + (int)(limb(&seed) % (uint64_t)ln);
		for (int i = 0; i < ln; i++)
			n.w[i] = limb(&seed);
		for (int i = 0; i < ld; i++)
			d.w[i] = limb(&seed);
		if (w_zero(&d))
			continue;
		w_divmod(&n, &d, &q, &r);
		ref_divmod(&n, &d, &q2, &r2);
		cr_assert(w_cmp(&q, &q2) == 0 && w_cmp(&r, &r2) == 0, "case %d", it);
		done++;
	}
	cr_assert_gt(done, 150000);
}

/* ---- the generated cases ------------------------------------------ */

/* tests/data, found next to this file (the build compiles it by its path
 * from the repository root, where the tests run), or SLUICE_TEST_DATA. */
static FILE *open_cases(void)
{
	char path[4096];
	const char *env = getenv("SLUICE_TEST_DATA");
	if (env) {
		snprintf(path, sizeof(path), "%s/decimal_cases.txt", env);
	} else {
		snprintf(path, sizeof(path), "%s", __FILE__);
		char *slash = strrchr(path, '/');
		if (slash)
			snprintf(slash, sizeof(path) - (size_t)(slash - path),
				 "/../data/decimal_cases.txt");
		else
			snprintf(path, sizeof(path), "../data/decimal_cases.txt");
	}
	return fopen(path, "r");
}

static const char *rcname(int rc, sl_decimal v)
{
	switch (rc) {
	case 0: return unscaled_text(v);
	case SL_DECIMAL_EOVERFLOW: return "OVERFLOW";
	case SL_DECIMAL_EDIVZERO: return "DIVZERO";
	case SL_DECIMAL_EIMPOSSIBLE: return "IMPOSSIBLE";
	case SL_DECIMAL_ERANGE: return "ERANGE";
	case SL_DECIMAL_ESYNTAX: return "SYNTAX";
	default: return "?";
	}
}

static sl_decimal_round_mode mode_of(const char *s)
{
	if (!strcmp(s, "HALF_EVEN")) return SL_DECIMAL_HALF_EVEN;
	if (!strcmp(s, "FLOOR")) return SL_DECIMAL_FLOOR;
	if (!strcmp(s, "CEILING")) return SL_DECIMAL_CEILING;
	if (!strcmp(s, "DOWN")) return SL_DECIMAL_DOWN;
	return SL_DECIMAL_HALF_UP;
}

Test(decimal_cases, generated, .timeout = 60)
{
	FILE *f = open_cases();
	char line[1024], w[12][160];
	int n = 0, counts[16] = {0};

	cr_assert_not_null(f, "tests/data/decimal_cases.txt");
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		int k = sscanf(line, "%159s %159s %159s %159s %159s %159s %159s %159s %159s %159s %159s",
			       w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10]);
		const char *op = w[0];
		sl_decimal r = 0;
		int rc;
		n++;
		if (!strcmp(op, "add") || !strcmp(op, "sub") || !strcmp(op, "mul") ||
		    !strcmp(op, "div") || !strcmp(op, "mod") || !strcmp(op, "pmod")) {
			cr_assert_eq(k, 10, "%s", line);
			sl_decimal_type ta = T(atoi(w[1]), atoi(w[2])), tb = T(atoi(w[4]), atoi(w[5]));
			sl_decimal a = unscaled(w[3]), b = unscaled(w[6]);
			sl_decimal_type tr = T(atoi(w[7]), atoi(w[8])), tt;
			if (op[0] == 'a') {
				tt = sl_decimal_type_add(ta, tb);
				rc = sl_decimal_add(a, ta, b, tb, tr, &r);
				counts[0]++;
			} else if (op[0] == 's') {
				tt = sl_decimal_type_add(ta, tb);
				rc = sl_decimal_sub(a, ta, b, tb, tr, &r);
				counts[1]++;
			} else if (op[0] == 'm' && op[1] == 'u') {
				tt = sl_decimal_type_mul(ta, tb);
				rc = sl_decimal_mul(a, ta, b, tb, tr, &r);
				counts[2]++;
			} else if (op[0] == 'd') {
				tt = sl_decimal_type_div(ta, tb);
				rc = sl_decimal_div(a, ta, b, tb, tr, &r);
				counts[3]++;
			} else if (op[0] == 'm') {
				tt = sl_decimal_type_mod(ta, tb);
				rc = sl_decimal_mod(a, ta, b, tb, tr, &r);
				counts[4]++;
			} else {
				tt = sl_decimal_type_mod(ta, tb);
				rc = sl_decimal_pmod(a, ta, b, tb, tr, &r);
				counts[5]++;
			}
			cr_assert(tt.precision == tr.precision && tt.scale == tr.scale,
				  "type %s for %s", tname(tt), line);
			cr_assert_str_eq(rcname(rc, r), w[9], "%s", line);
		} else if (!strcmp(op, "quot")) {
			int64_t q = 0;
			rc = sl_decimal_quot(unscaled(w[3]), T(atoi(w[1]), atoi(w[2])), unscaled(w[6]),
					     T(atoi(w[4]), atoi(w[5])), &q);
			cr_assert_str_eq(rcname(rc, q), w[7], "%s", line);
			counts[6]++;
		} else if (!strcmp(op, "cmp")) {
			int c = sl_decimal_cmp(unscaled(w[3]), T(atoi(w[1]), atoi(w[2])), unscaled(w[6]),
					       T(atoi(w[4]), atoi(w[5])));
			cr_assert_eq((c > 0) - (c < 0), atoi(w[7]), "%s", line);
			c = sl_decimal_cmp_spark(unscaled(w[3]), T(atoi(w[1]), atoi(w[2])), unscaled(w[6]),
						 T(atoi(w[4]), atoi(w[5])));
			cr_assert_eq((c > 0) - (c < 0), atoi(w[8]), "spark: %s", line);
			counts[7]++;
		} else if (!strcmp(op, "cast")) {
			rc = sl_decimal_rescale(unscaled(w[3]), T(atoi(w[1]), atoi(w[2])),
						T(atoi(w[4]), atoi(w[5])), mode_of(w[6]), &r);
			cr_assert_str_eq(rcname(rc, r), w[7], "%s", line);
			counts[8]++;
		} else if (!strcmp(op, "round")) {
			sl_decimal_type t = T(atoi(w[1]), atoi(w[2]));
			sl_decimal_type tr = sl_decimal_type_round(t, atoi(w[4]));
			cr_assert(tr.precision == atoi(w[6]) && tr.scale == atoi(w[7]), "%s", line);
			rc = sl_decimal_round(unscaled(w[3]), t, atoi(w[4]), mode_of(w[5]), tr, &r);
			cr_assert_str_eq(rcname(rc, r), w[8], "%s", line);
			counts[9]++;
		} else if (!strcmp(op, "avg")) {
			sl_decimal_type ts = T(atoi(w[1]), atoi(w[2]));
			sl_decimal_type tr = T(atoi(w[5]), atoi(w[6]));
			rc = sl_decimal_avg(unscaled(w[3]), ts, strtoll(w[4], NULL, 10), tr, &r);
			cr_assert_str_eq(rcname(rc, r), w[7], "%s", line);
			counts[10]++;
		} else if (!strcmp(op, "parse")) {
			rc = sl_decimal_parse(w[3], strlen(w[3]), T(atoi(w[1]), atoi(w[2])), &r);
			cr_assert_str_eq(rcname(rc, r), w[4], "%s", line);
			counts[11]++;
		} else if (!strcmp(op, "fmt")) {
			sl_decimal_type t = T(atoi(w[1]), atoi(w[2]));
			cr_assert_str_eq(fmt(unscaled(w[3]), t), w[4], "%s", line);
			cr_assert_str_eq(jfmt(unscaled(w[3]), t), w[5], "%s", line);
			/* and back */
			cr_assert_eq(sl_decimal_parse(w[4], strlen(w[4]), t, &r), 0);
			cr_assert_str_eq(unscaled_text(r), w[3], "%s", line);
			counts[12]++;
		} else if (!strcmp(op, "dbl")) {
			double want = strtod(w[4], NULL);
			double got = sl_decimal_to_double(unscaled(w[3]), T(atoi(w[1]), atoi(w[2])));
			cr_assert(got == want, "%s: %a", line, got);
			counts[13]++;
		} else if (!strcmp(op, "fromdbl")) {
			rc = sl_decimal_from_double(strtod(w[1], NULL), T(atoi(w[2]), atoi(w[3])), &r);
			cr_assert_str_eq(rcname(rc, r), w[4], "%s", line);
			counts[14]++;
		} else if (!strcmp(op, "toint")) {
			int64_t out = 0;
			rc = sl_decimal_to_int(unscaled(w[3]), T(atoi(w[1]), atoi(w[2])), atoi(w[4]), &out);
			cr_assert_eq(out, strtoll(w[5], NULL, 10), "%s", line);
			cr_assert_eq(rc == SL_DECIMAL_EOVERFLOW, atoi(w[6]) == 1, "%s", line);
			counts[15]++;
		} else {
			cr_assert_fail("unknown case %s", line);
		}
	}
	fclose(f);
	cr_assert_geq(n, 12000);
	for (int i = 0; i < 16; i++)
		cr_assert_gt(counts[i], 100, "kind %d", i);
}
