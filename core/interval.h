/* core/interval.h - Spark's ANSI interval types: INTERVAL YEAR TO MONTH
 * (a count of months) and INTERVAL DAY TO SECOND (microseconds), each
 * with the start and end fields it was declared with, which only its
 * name and text depend on.
 *
 * A type's fields are in its sl_dtype's precision (start) and scale
 * (end) bytes; a value carries them in pad[0] and pad[1], as a decimal
 * carries its precision and scale, so rendering a value needs no
 * schema. Comparison and arithmetic read only v.i32 / v.i64. */
#ifndef SL_CORE_INTERVAL_H
#define SL_CORE_INTERVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/value.h"

/* the fields, in Spark's order (a type's start <= its end) */
enum { SL_IV_YEAR = 0, SL_IV_MONTH = 1 };
enum { SL_IV_DAY = 0, SL_IV_HOUR = 1, SL_IV_MINUTE = 2, SL_IV_SECOND = 3 };

#define SL_US_PER_HOUR 3600000000LL
#define SL_US_PER_MINUTE 60000000LL
#define SL_US_PER_SECOND 1000000LL

/* The interval type of kind id (SL_INTERVAL_YM or SL_INTERVAL_DT) from
 * field start to end: a static singleton, or NULL when the fields are
 * not a valid pair. */
const sl_dtype *sl_dtype_interval(sl_type id, int start, int end);
/* Spark's default interval types: YEAR TO MONTH, DAY TO SECOND. */
const sl_dtype *sl_dtype_interval_ym(void);
const sl_dtype *sl_dtype_interval_dt(void);
/* The type spanning both a's and b's fields (same kind). */
const sl_dtype *sl_interval_wider(const sl_dtype *a, const sl_dtype *b);

static inline sl_value sl_v_interval_ym(int32_t months, const sl_dtype *t)
{
	sl_value x = { 0 };
	x.type = SL_INTERVAL_YM;
	x.pad[0] = t->precision;
	x.pad[1] = t->scale;
	x.v.i32 = months;
	return x;
}

static inline sl_value sl_v_interval_dt(int64_t us, const sl_dtype *t)
{
	sl_value x = { 0 };
	x.type = SL_INTERVAL_DT;
	x.pad[0] = t->precision;
	x.pad[1] = t->scale;
	x.v.i64 = us;
	return x;
}

/* "interval day to second", "interval year" (upper: "INTERVAL DAY TO
 * SECOND", as CAST's text and messages write it). */
void sl_interval_type_name(sl_buf *w, const sl_dtype *t, bool upper);
/* A field's name ("YEAR", "SECOND") of kind id, or NULL. */
const char *sl_interval_field_name(sl_type id, int field);
/* The field a word names (singular, any case: "day", "HOUR"), *id its
 * kind; false if none. */
bool sl_interval_field_of(const char *s, size_t n, sl_type *id, int *field);

/* Spark's text of an interval value: INTERVAL '1 02:03:04' DAY TO
 * SECOND, INTERVAL '-1-2' YEAR TO MONTH, INTERVAL '01.5' SECOND. */
void sl_interval_render(sl_buf *w, const sl_value *v);

/* The value of the text s as an interval of type t, Spark's way for
 * both unit-to-unit literals and CAST(string AS INTERVAL ...): the bare
 * form of t's fields ("1 02:03:04" for DAY TO SECOND, "1-2" for YEAR TO
 * MONTH, "-05" for HOUR; a leading field takes any size, the others
 * their ranges) or, for casts (allow_prefixed), INTERVAL [+|-]'...' with
 * t's own fields. sign (+1/-1) multiplies the result. 0, or -1 with a
 * message in why (static text or in buf). */
int sl_interval_parse_fields(const char *s, size_t n, const sl_dtype *t,
			     bool allow_prefixed, int sign, sl_value *out,
			     char *why, size_t whyn);

/* A multi-unit interval text: "1 day 2 hours", "-3 MONTHS", "1.5
 * seconds" (only seconds take a fraction), an optional leading
 * "interval". On success *out is the value and *t its type (year-month
 * or day-time fields from the smallest to the largest unit used). 0, or
 * -1 with why: "INVALID_FRACTION ...", "INVALID_UNIT ...", "MIXED ...",
 * "ARITHMETIC ..." (an overflow). */
int sl_interval_parse_units(const char *s, size_t n, sl_value *out,
			    const sl_dtype **t, char *why, size_t whyn);

/* days + months with the day clamped to the month's end, as
 * java.time.LocalDate.plusMonths (2024-01-31 + 1 month = 2024-02-29);
 * false when the year leaves Spark's range. */
bool sl_date_add_months(int32_t days, int32_t months, int32_t *out);
/* The same for a timestamp's date, the time of day kept (UTC). */
bool sl_ts_add_months(int64_t us, int32_t months, int64_t *out);

#endif
