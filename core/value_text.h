/* core/value_text.h - the text side of values, below the expressions that
 * also need it: Spark's number, timestamp and date text, the proleptic
 * Gregorian calendar arithmetic behind it, type-name parsing, and UTF-8
 * counting. core/value.c implements it; renderers, casts and the time
 * functions in expr/ build on it. */
#ifndef SL_CORE_VALUE_TEXT_H
#define SL_CORE_VALUE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/value.h"

/* ---- values as text --------------------------------------------------- */

/* Appends v's text (Spark's CAST AS STRING) to b; sl_value_render is the
 * same into a caller's fixed array. */
void sl_value_render_buf(sl_buf *b, const sl_value *v);

/* Appends a DECIMAL value's text as Java's BigDecimal.toString gives it
 * (1.50, 1.0E-7, 0E-8): Spark's json and csv sinks, to_json, CAST AS
 * STRING outside ANSI mode, literals' names. */
void sl_fmt_decimal_java(sl_buf *b, const sl_value *v);
/* The DECIMAL value of type t (SL_DECIMAL) that text reads as (Spark's
 * Decimal.fromString, rounded HALF_UP to the scale; core/decimal.h's
 * sl_decimal_parse): 0, or an SL_DECIMAL_E* code. */
int sl_v_dec_parse(const char *s, size_t n, const sl_dtype *t, sl_arena *a,
		   sl_value *out);

/* Spark's default timestamp and date text ("2024-01-02 03:04:05.1",
 * "2024-01-02"). */
void sl_fmt_ts(sl_buf *b, int64_t us);
void sl_fmt_date(sl_buf *b, int32_t days);

/* ---- numbers ---------------------------------------------------------- */

/* Decimal text of v into buf (>= 21 bytes); returns the length. */
size_t sl_fmt_long(int64_t v, char *buf);
/* Java's Double.toString(d) into buf (>= 32 bytes); returns the length. */
size_t sl_fmt_double(double d, char *buf);
/* Java's Float.toString(f) into buf (>= 32 bytes); returns the length. */
size_t sl_fmt_float(float f, char *buf);
/* The shortest decimal digits that read back as |d| (finite, non-zero):
 * d = 0.DIGITS * 10^(*exp10). Returns the number of digits (<= 17). */
int sl_double_digits(double d, char *digits, int *exp10);

/* ---- calendar --------------------------------------------------------- */

int64_t sl_days_from_civil(int64_t y, int m, int d);
void sl_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int sl_days_in_month(int64_t y, int m);
static inline int64_t sl_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
#define SL_US_PER_DAY 86400000000LL
/* days * 86400 + secs seconds and frac microseconds as microseconds since
 * the epoch in *us; false (nothing written) when that passes a long. */
static inline bool sl_ts_compose(int64_t days, int64_t secs, int64_t frac,
				 int64_t *us)
{
	int64_t s, m, r;
	if (__builtin_mul_overflow(days, 86400, &s) ||
	    __builtin_add_overflow(s, secs, &s) ||
	    __builtin_mul_overflow(s, 1000000, &m) ||
	    __builtin_add_overflow(m, frac, &r))
		return false;
	*us = r;
	return true;
}

/* ---- type names ------------------------------------------------------- */

/* Parses one type name at text[0..len): the longest prefix that is a type,
 * consumed into *used. NULL with a reason in why (static text) and the
 * offset of the problem in *errat. */
const sl_dtype *sl_dtype_parse_prefix(const char *text, size_t len, sl_arena *a,
				      size_t *used, const char **why,
				      size_t *errat);

/* ---- UTF-8 ------------------------------------------------------------ */

/* Bytes of the character starting with byte c (1 for stray continuation
 * bytes, so malformed text still advances). */
static inline int sl_utf8_len(unsigned char c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}
size_t sl_utf8_count(const char *s, size_t n);
/* Appends code point cp as UTF-8; returns the bytes written (<= 4). */
int sl_utf8_put(char *dst, uint32_t cp);
/* 1-based character position of byte offset off in text. */
int sl_char_pos(const char *text, size_t off);

#endif
