/* core/decimal.h - Spark's DECIMAL(p,s): exact decimals of up to 38
 * digits, their result types, casts, text and arithmetic.
 *
 * A value is its unscaled integer (a signed 128-bit `sl_decimal`); its
 * precision and scale travel in its type (sl_decimal_type), as in a column's
 * schema, so a row does not pay for them. The value v of DECIMAL(p,s) is
 * v * 10^-s with |v| < 10^p. There is no negative zero.
 *
 * Semantics are Spark 4's (checked by running Spark 4.3.0, see
 * tests/unit/core_decimal.c for what was run):
 * - result types follow Spark's DecimalPrecision rules with
 *   spark.sql.decimalOperations.allowPrecisionLoss = true (the default);
 * - every operation computes the exact result and rounds it HALF_UP to the
 *   result type's scale, once (Spark's Decimal multiplies and divides with
 *   39 digits truncated, which rounds the same as exact HALF_UP at any
 *   scale up to 38);
 * - a result that does not fit the result type's precision is
 *   SL_DECIMAL_EOVERFLOW: the caller raises Spark's error in ANSI mode or
 *   yields null otherwise. Spark 4.3.0 says NUMERIC_VALUE_OUT_OF_RANGE
 *   ("100000000000000000000000000000000000000 cannot be represented as
 *   Decimal(38, 0)") for + - * / % and casts to decimal alike, and
 *   CAST_OVERFLOW for casts to integers. A zero divisor is
 *   SL_DECIMAL_EDIVZERO (DIVIDE_BY_ZERO in ANSI mode, null otherwise);
 *   text that is not a number is SL_DECIMAL_ESYNTAX (CAST_INVALID_INPUT,
 *   or null);
 * - a decimal with a DOUBLE (or FLOAT) operand is DOUBLE arithmetic in
 *   Spark (DECIMAL(10,2) * 2.5D is a double): not this module's.
 * On any error *out is left unchanged unless the function says otherwise.
 *
 * The functions never allocate, never abort and never print. */
#ifndef SL_CORE_DECIMAL_H
#define SL_CORE_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The unscaled value. __extension__ keeps -Wpedantic quiet, should the
 * build ever add it: GCC and clang have 128-bit integers on every 64-bit
 * target sluice builds on. */
__extension__ typedef __int128 sl_decimal;

typedef struct sl_decimal_type {
	uint8_t precision; /* 1..38 */
	uint8_t scale;     /* 0..precision */
} sl_decimal_type;

#define SL_DECIMAL_MAX_PRECISION 38
/* Spark's DecimalType.MINIMUM_ADJUSTED_SCALE: the fewest fraction digits
 * an arithmetic result keeps when its precision is cut to 38. */
#define SL_DECIMAL_MIN_ADJUSTED_SCALE 6
/* Room for any formatted value and its NUL: "-0." and 38 digits, or a
 * sign, 38 digits and a point, or Java's "-1.2345...E-38". */
#define SL_DECIMAL_TEXT_MAX 48

/* Error codes, negative like the SL_E* codes of include/sluice.h and clear
 * of them. */
enum {
	SL_DECIMAL_EOVERFLOW = -1100, /* the value does not fit the type */
	SL_DECIMAL_EDIVZERO = -1101,  /* division or remainder by zero */
	SL_DECIMAL_ESYNTAX = -1102,   /* the text is not a number */
	/* A remainder (or div) whose integral quotient has more than 39
	 * significant digits: Java's BigDecimal throws "Division impossible"
	 * and Spark fails the query with that message, in ANSI mode or not. */
	SL_DECIMAL_EIMPOSSIBLE = -1103,
	/* Text whose integral part has more than 38 digits, whatever the
	 * target type: ANSI mode's NUMERIC_OUT_OF_SUPPORTED_RANGE (null
	 * otherwise), where a number merely too large for the target type is
	 * SL_DECIMAL_EOVERFLOW (NUMERIC_VALUE_OUT_OF_RANGE). */
	SL_DECIMAL_ERANGE = -1104,
};

/* A short description of an SL_DECIMAL_E* code ("decimal overflow", ...);
 * NULL for any other code. */
const char *sl_decimal_strerror(int code);

/* Rounding modes: Spark's round() is HALF_UP, bround() HALF_EVEN, floor()
 * and ceil() FLOOR and CEILING; DOWN truncates toward zero. */
typedef enum sl_decimal_round_mode {
	SL_DECIMAL_HALF_UP = 0,
	SL_DECIMAL_HALF_EVEN,
	SL_DECIMAL_FLOOR,
	SL_DECIMAL_CEILING,
	SL_DECIMAL_DOWN,
} sl_decimal_round_mode;

/* ---- types -------------------------------------------------------------- */

static inline sl_decimal_type sl_decimal_type_make(int precision, int scale)
{
	sl_decimal_type t = {(uint8_t)precision, (uint8_t)scale};
	return t;
}

/* 1 <= precision <= 38 and 0 <= scale <= precision (Spark 4 rejects
 * negative scales unless spark.sql.legacy.allowNegativeScaleOfDecimal). */
bool sl_decimal_type_valid(int precision, int scale);

/* "decimal(10,2)", Spark's simpleString; returns the full length and writes
 * at most n bytes, NUL-terminated (snprintf's contract). */
size_t sl_decimal_type_name(sl_decimal_type t, char *buf, size_t n);

/* Parses "DECIMAL", "DECIMAL(p)", "DECIMAL(p,s)", DEC and NUMERIC alike,
 * case-insensitive, blanks allowed around the numbers; DECIMAL alone is
 * DECIMAL(10,0), Spark's default. 0, or SL_ESYNTAX / SL_EINVAL (out of
 * range: Spark's DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION). */
int sl_decimal_type_parse(const char *s, size_t len, sl_decimal_type *out);

/* Spark's DecimalType.adjustPrecisionScale: (p,s) itself when p <= 38,
 * otherwise precision 38 with the scale cut so the integral digits survive
 * but no lower than min(s, 6). Needs 0 <= s <= p. */
sl_decimal_type sl_decimal_type_adjust(int precision, int scale);
/* DecimalType.bounded: (min(p,38), min(s,38)). */
sl_decimal_type sl_decimal_type_bounded(int precision, int scale);

/* Result types of a + b and a - b; a * b; a / b; a % b and pmod(a, b). */
sl_decimal_type sl_decimal_type_add(sl_decimal_type a, sl_decimal_type b);
sl_decimal_type sl_decimal_type_mul(sl_decimal_type a, sl_decimal_type b);
sl_decimal_type sl_decimal_type_div(sl_decimal_type a, sl_decimal_type b);
sl_decimal_type sl_decimal_type_mod(sl_decimal_type a, sl_decimal_type b);
/* sum(x): DECIMAL(min(38,p+10), s); avg(x): DECIMAL(min(38,p+4),
 * min(38,s+4)). A sum adds with sl_decimal_add into the sum type; its
 * overflow is ARITHMETIC_OVERFLOW ("Overflow in sum of decimals") in ANSI
 * mode on Spark 4.3.0, null otherwise. */
sl_decimal_type sl_decimal_type_sum(sl_decimal_type t);
sl_decimal_type sl_decimal_type_avg(sl_decimal_type t);
/* The common type of two decimals for CASE, COALESCE, UNION, IN and binary
 * comparisons: integral digits max(p1-s1,p2-s2), scale max(s1,s2), and when
 * that exceeds 38 digits the scale gives way (Spark 4 keeps the integral
 * digits: DECIMAL(38,0) and DECIMAL(38,38) widen to DECIMAL(38,0)). */
sl_decimal_type sl_decimal_type_wider(sl_decimal_type a, sl_decimal_type b);
/* An integer type seen as a decimal: bits 8 (TINYINT) DECIMAL(3,0), 16
 * (5,0), 32 (10,0), 64 (BIGINT) (20,0). Other bits: (20,0). */
sl_decimal_type sl_decimal_type_of_int(int bits);
/* An integer literal beside a decimal: Spark types it by its digits
 * (DecimalType.fromLiteral), so DECIMAL(10,2) + 1 is DECIMAL(11,2) while
 * DECIMAL(10,2) + an INT column is DECIMAL(13,2). */
sl_decimal_type sl_decimal_type_of_literal(int64_t x);
/* round(x, scale) and bround(x, scale) of a decimal: DECIMAL(min(38,
 * p-s+1+min(s,scale)), min(s,scale)) for scale >= 0, DECIMAL(min(38,
 * max(p-s+1, 1-scale)), 0) below. floor(x) and ceil(x) are
 * round-type with scale 0 (DECIMAL(min(38,p-s+1),0)). */
sl_decimal_type sl_decimal_type_round(sl_decimal_type t, int scale);

/* ---- values: checks, comparison --------------------------------------- */

/* 10^n for 0 <= n <= 38. */
sl_decimal sl_decimal_pow10(int n);
/* Whether |v| < 10^t.precision. */
bool sl_decimal_fits(sl_decimal v, sl_decimal_type t);
/* The number of decimal digits of |v| (0 has 1). */
int sl_decimal_digits(sl_decimal v);

/* Exact comparison of a (type ta) and b (type tb): <0, 0, >0. Spark's
 * ORDER BY and equal-typed comparisons. */
int sl_decimal_cmp(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb);
/* A binary comparison as Spark evaluates it on two different types: both
 * are cast (HALF_UP) to sl_decimal_type_wider(ta, tb) first, which can
 * round: DECIMAL(38,38) 0.5 = DECIMAL(38,0) 1 is true in Spark 4. */
int sl_decimal_cmp_spark(sl_decimal a, sl_decimal_type ta, sl_decimal b,
			 sl_decimal_type tb);

/* ---- casts ---------------------------------------------------------------- */

/* CAST(decimal(from) AS decimal(to)): rounds with mode (HALF_UP for CAST);
 * 0 or SL_DECIMAL_EOVERFLOW. */
int sl_decimal_rescale(sl_decimal v, sl_decimal_type from, sl_decimal_type to,
		       sl_decimal_round_mode mode, sl_decimal *out);
/* round(v, scale) and friends into tr (sl_decimal_type_round(t, scale)):
 * HALF_UP for round, HALF_EVEN for bround, FLOOR/CEILING with scale 0 for
 * floor/ceil; a negative scale rounds integral digits (round(125, -1) is
 * 130). 0 or SL_DECIMAL_EOVERFLOW (round(38 nines, -1)), which Spark
 * raises as NUMERIC_VALUE_OUT_OF_RANGE in ANSI mode and outside it. */
int sl_decimal_round(sl_decimal v, sl_decimal_type t, int scale,
		     sl_decimal_round_mode mode, sl_decimal_type tr,
		     sl_decimal *out);

/* CAST(integer AS DECIMAL(t)): 0 or SL_DECIMAL_EOVERFLOW. */
int sl_decimal_from_int64(int64_t x, sl_decimal_type t, sl_decimal *out);
/* CAST(decimal AS TINYINT/SMALLINT/INT/BIGINT) for bits 8/16/32/64: the
 * fraction is truncated toward zero. Returns 0, or SL_DECIMAL_EOVERFLOW
 * when the integral part does not fit (ANSI: CAST_OVERFLOW); *out is then
 * still set, to what Spark yields outside ANSI mode: the low `bits` bits
 * of the integral part, sign-extended (Java's longValue then (int)).
 * Exact: Spark's ANSI check for TINYINT/SMALLINT/INT goes through a double
 * when its Decimal holds a BigDecimal (an internal choice that depends on
 * how the value was made, not on its type), and there rejects values
 * within a fraction of the bound, such as 2147483647.9999999999. */
int sl_decimal_to_int(sl_decimal v, sl_decimal_type t, int bits, int64_t *out);
/* CAST(decimal AS BOOLEAN): v != 0. */
static inline bool sl_decimal_to_bool(sl_decimal v) { return v != 0; }
/* CAST(boolean AS DECIMAL(t)): 1 or 0; SL_DECIMAL_EOVERFLOW when 1 does
 * not fit (DECIMAL(1,1)). */
int sl_decimal_from_bool(bool b, sl_decimal_type t, sl_decimal *out);
/* CAST(decimal AS DOUBLE): the double nearest the exact value (Java's
 * BigDecimal.doubleValue). */
double sl_decimal_to_double(sl_decimal v, sl_decimal_type t);
/* CAST(double AS DECIMAL(t)): Spark goes through the double's decimal
 * text (Double.toString: 0.1 is 0.1, not 0.1000000000000000055...) and
 * rounds that HALF_UP, so CAST(1.005D AS DECIMAL(10,2)) is 1.01. This
 * takes the shortest text that reads back as the double, which is what
 * Java 19 and later print. Java 17's Double.toString differs, which shows
 * when the type keeps the digits in question: it prints an integral double
 * of 2^54 to 2^63 as its exact integer with the last 0, 1 or 2 digits
 * (binary exponent 54-57, 58-60, 61-62) rounded HALF_UP away, so on Spark
 * 4.3.0 with Java 17 CAST(3.140378181912588E17D AS DECIMAL(27,0)) is
 * 314037818191258820 (exact 314037818191258816) where this gives
 * 314037818191258800; and it sometimes gives one digit more than the
 * shortest elsewhere (2^-44 is 5.6843418860808015E-14). In 500 sampled
 * casts the 5 that differed from Spark 4.3.0 on Java 17 were all of the
 * first kind. NaN and infinities are SL_DECIMAL_ESYNTAX (null outside ANSI
 * mode; Spark 4.3.0 in ANSI mode also gives null for NaN); too large is
 * SL_DECIMAL_EOVERFLOW. -0.0 is 0. */
int sl_decimal_from_double(double d, sl_decimal_type t, sl_decimal *out);

/* ---- text ---------------------------------------------------------------- */

/* CAST(string AS DECIMAL(t)), as Spark's Decimal.fromString: the text
 * without leading and trailing bytes <= ' ' (Java's String.trim) is Java
 * BigDecimal syntax: [+-] digits [. digits] [(e|E) [+-] digits] with at
 * least one digit before the exponent ("1.", ".5", "1e2", "+.5e-3"), no
 * blanks, underscores, hex, "Infinity" or suffixes. It is rounded HALF_UP
 * to t's scale, so any number of fraction digits is accepted. Returns 0,
 * SL_DECIMAL_ESYNTAX, SL_DECIMAL_EOVERFLOW (too many integral digits for
 * t) or SL_DECIMAL_ERANGE (an integral part, counted as Spark counts it,
 * of more than 38 digits, so "1e50" and even "0e100" are out of range
 * while "0e-100" is 0). Digits are those Java's Character.isDigit takes
 * below U+10000: '0'-'9' and the other Unicode decimal digits ("٣",
 * fullwidth "１"), as UTF-8. */
int sl_decimal_parse(const char *s, size_t len, sl_decimal_type t,
		     sl_decimal *out);

/* A SQL numeric literal typed as Spark types it: "1.5" DECIMAL(2,1),
 * "123." DECIMAL(3,0), ".5" DECIMAL(1,1), "0.001" DECIMAL(3,3), "00.100"
 * DECIMAL(3,3); with the BD suffix (case-insensitive) an exponent is
 * allowed: "1E10BD" DECIMAL(11,0), "1.5E-3BD" DECIMAL(4,4). An exponent
 * without BD is a DOUBLE literal in Spark (not for this function: it is
 * accepted and typed as if BD were there). No sign: a leading '-' is
 * unary minus, sl_decimal_neg. Returns 0, SL_DECIMAL_ESYNTAX, or
 * SL_EINVAL when the literal needs more than 38 digits (Spark's
 * DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION). */
int sl_decimal_parse_literal(const char *s, size_t len, sl_decimal *out,
			     sl_decimal_type *type);

/* The text of v as CAST(decimal AS STRING) gives it in ANSI mode (Spark
 * 4's default), which is also how results are shown: plain notation,
 * exactly `scale` fraction digits (30.90 for DECIMAL(4,2), 0.00000010 for
 * DECIMAL(10,8), 0E-8 never). Returns the full length; writes at most n
 * bytes, NUL-terminated; SL_DECIMAL_TEXT_MAX always suffices. */
size_t sl_decimal_format(sl_decimal v, sl_decimal_type t, char *buf,
			 size_t n);
/* The text outside ANSI mode (spark.sql.ansi.enabled=false), Java's
 * BigDecimal.toString: scientific when the exponent is below -6, so
 * DECIMAL(10,8) 0.00000010 is "1.0E-7" and 0 is "0E-8". */
size_t sl_decimal_format_java(sl_decimal v, sl_decimal_type t, char *buf,
			      size_t n);

/* ---- arithmetic ------------------------------------------------------ */

/* Each takes its operands with their types and the result type tr (from
 * the sl_decimal_type_* rule of the operator, or any other: the value is
 * rounded HALF_UP to tr's scale and checked against tr's precision).
 * Returns 0, SL_DECIMAL_EOVERFLOW, SL_DECIMAL_EDIVZERO or
 * SL_DECIMAL_EIMPOSSIBLE. */
int sl_decimal_add(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out);
int sl_decimal_sub(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out);
int sl_decimal_mul(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out);
int sl_decimal_div(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out);
/* a % b: the sign of a (Java's remainder). */
int sl_decimal_mod(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		   sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out);
/* pmod(a, b): a % b, plus b when that is negative and b positive. */
int sl_decimal_pmod(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		    sl_decimal_type tb, sl_decimal_type tr, sl_decimal *out);
/* a div b (Spark's result type is BIGINT): the integral quotient,
 * truncated. SL_DECIMAL_EOVERFLOW when it has more than 38 digits (Spark
 * checks it against DECIMAL(38,0)); a quotient that fits that but not a
 * long is not an error in Spark, ANSI mode or not: *out is its low 64
 * bits (99999999999999999999 div 1 is 7766279631452241919). */
int sl_decimal_quot(sl_decimal a, sl_decimal_type ta, sl_decimal b,
		    sl_decimal_type tb, int64_t *out);
/* -a and abs(a) in a's type: they always fit, since the range is
 * symmetric. */
static inline sl_decimal sl_decimal_neg(sl_decimal a) { return -a; }
static inline sl_decimal sl_decimal_abs(sl_decimal a) { return a < 0 ? -a : a; }
/* avg's final step: sum (of type tsum = sl_decimal_type_sum(t)) / count
 * into tr (sl_decimal_type_avg(t)), rounded HALF_UP once, as Spark 4's
 * DecimalDivideWithOverflowCheck does (not through the type of a decimal
 * division: avg of DECIMAL(25,18) keeps 22 digits, where sum / count would
 * round to 21). count >= 1 (avg of no rows is null, the caller's case);
 * SL_EINVAL otherwise. A sum that overflowed its type is the caller's
 * too: Spark raises it as an overflow in ANSI mode, null otherwise. */
int sl_decimal_avg(sl_decimal sum, sl_decimal_type tsum, int64_t count,
		   sl_decimal_type tr, sl_decimal *out);

#endif
