/* tests/unit/core_interval.c - the interval types, their text, the
 * parsing of interval texts and the month arithmetic (core/interval.c),
 * and interval and TIMESTAMP_NTZ values as group keys (ops/keyhash.c),
 * each checked against what Spark gives (tests/spark/cases/sql_part1.txt
 * runs the same through PySpark). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/interval.h"
#include "core/value_text.h"
#include "ops/keyhash.h"

static const char *render(sl_value v)
{
	static char buf[128];
	sl_value_render(&v, buf, sizeof(buf));
	return buf;
}

static const char *tname(const sl_dtype *t)
{
	static char buf[64];
	sl_dtype_name(t, buf, sizeof(buf));
	return buf;
}

static const sl_dtype *DT(int s, int e)
{
	return sl_dtype_interval(SL_INTERVAL_DT, s, e);
}

static const sl_dtype *YM(int s, int e)
{
	return sl_dtype_interval(SL_INTERVAL_YM, s, e);
}

Test(interval, types_are_singletons_named_as_spark)
{
	cr_assert_eq(DT(0, 3), sl_dtype_interval_dt());
	cr_assert_eq(YM(0, 1), sl_dtype_interval_ym());
	cr_assert_null(DT(2, 1));
	cr_assert_null(YM(0, 2));
	cr_assert_str_eq(tname(DT(0, 3)), "interval day to second");
	cr_assert_str_eq(tname(DT(1, 1)), "interval hour");
	cr_assert_str_eq(tname(YM(0, 1)), "interval year to month");
	cr_assert_str_eq(tname(YM(1, 1)), "interval month");
	cr_assert_eq(sl_interval_wider(DT(0, 0), DT(1, 1)), DT(0, 1));
	cr_assert_null(sl_interval_wider(DT(0, 0), YM(1, 1)));
	cr_assert_str_eq(tname(&sl_dtype_timestamp_ntz), "timestamp_ntz");
}

Test(interval, ddl_names_parse)
{
	sl_arena a;
	sl_arena_init(&a);
	const char *t = "INTERVAL DAY TO SECOND";
	cr_assert_eq(sl_dtype_parse(t, strlen(t), &a), DT(0, 3));
	t = "interval year";
	cr_assert_eq(sl_dtype_parse(t, strlen(t), &a), YM(0, 0));
	t = "INTERVAL SECOND TO DAY";
	cr_assert_null(sl_dtype_parse(t, strlen(t), &a));
	t = "INTERVAL YEAR TO SECOND";
	cr_assert_null(sl_dtype_parse(t, strlen(t), &a));
	t = "TIMESTAMP_NTZ";
	cr_assert_eq(sl_dtype_parse(t, strlen(t), &a), &sl_dtype_timestamp_ntz);
	sl_arena_free(&a);
}

Test(interval, day_time_text)
{
	int64_t d = SL_US_PER_DAY, h = SL_US_PER_HOUR;
	cr_assert_str_eq(render(sl_v_interval_dt(d + 2 * h + 3 * SL_US_PER_MINUTE +
						  4 * SL_US_PER_SECOND,
					  DT(0, 3))),
			 "INTERVAL '1 02:03:04' DAY TO SECOND");
	cr_assert_str_eq(render(sl_v_interval_dt(2 * h, DT(1, 1))),
			 "INTERVAL '02' HOUR");
	cr_assert_str_eq(render(sl_v_interval_dt(1500000, DT(3, 3))),
			 "INTERVAL '01.5' SECOND");
	cr_assert_str_eq(render(sl_v_interval_dt(100, DT(3, 3))),
			 "INTERVAL '00.0001' SECOND");
	/* a negative value's sign leads, even with a zero day */
	cr_assert_str_eq(render(sl_v_interval_dt(-10 * h, DT(0, 3))),
			 "INTERVAL '-0 10:00:00' DAY TO SECOND");
	cr_assert_str_eq(render(sl_v_interval_dt(22 * h, DT(0, 1))),
			 "INTERVAL '0 22' DAY TO HOUR");
	cr_assert_str_eq(render(sl_v_interval_dt(INT64_MIN, DT(3, 3))),
			 "INTERVAL '-9223372036854.775808' SECOND");
}

Test(interval, year_month_text)
{
	cr_assert_str_eq(render(sl_v_interval_ym(14, YM(0, 1))),
			 "INTERVAL '1-2' YEAR TO MONTH");
	cr_assert_str_eq(render(sl_v_interval_ym(-14, YM(0, 1))),
			 "INTERVAL '-1-2' YEAR TO MONTH");
	cr_assert_str_eq(render(sl_v_interval_ym(3, YM(1, 1))),
			 "INTERVAL '3' MONTH");
	cr_assert_str_eq(render(sl_v_interval_ym(120, YM(0, 0))),
			 "INTERVAL '10' YEAR");
}

static const char *fields(const char *s, const sl_dtype *t, bool prefixed)
{
	static char buf[128];
	char why[300];
	sl_value v;
	if (sl_interval_parse_fields(s, strlen(s), t, prefixed, 1, &v, why,
				     sizeof(why)))
		return "error";
	sl_value_render(&v, buf, sizeof(buf));
	return buf;
}

Test(interval, unit_to_unit_texts)
{
	cr_assert_str_eq(fields("1 2:3:4", DT(0, 3), false),
			 "INTERVAL '1 02:03:04' DAY TO SECOND");
	cr_assert_str_eq(fields("-1 02:03:04.123", DT(0, 3), false),
			 "INTERVAL '-1 02:03:04.123' DAY TO SECOND");
	cr_assert_str_eq(fields("+1-2", YM(0, 1), false),
			 "INTERVAL '1-2' YEAR TO MONTH");
	cr_assert_str_eq(fields("25", DT(1, 1), false), "INTERVAL '25' HOUR");
	cr_assert_str_eq(fields("1-13", YM(0, 1), false), "error");
	cr_assert_str_eq(fields("1 25:00:00", DT(0, 3), false), "error");
	cr_assert_str_eq(fields("1:2", DT(0, 3), false), "error");
	cr_assert_str_eq(fields("1", DT(0, 1), false), "error");
	cr_assert_str_eq(fields("INTERVAL '1' DAY", DT(0, 0), false), "error");
	cr_assert_str_eq(fields("interval -'1' day", DT(0, 0), true),
			 "INTERVAL '-1' DAY");
	cr_assert_str_eq(fields("INTERVAL '1' HOUR", DT(0, 0), true), "error");
	cr_assert_str_eq(fields("106751992", DT(0, 0), false), "error");
}

static const char *units(const char *s)
{
	static char buf[160];
	char why[300];
	sl_value v;
	const sl_dtype *t;
	if (sl_interval_parse_units(s, strlen(s), &v, &t, why, sizeof(why))) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(strchr(why, ']') - why + 1),
			 why);
		return buf;
	}
	size_t k = sl_value_render(&v, buf, sizeof(buf));
	snprintf(buf + k, sizeof(buf) - k, " : %s", tname(t));
	return buf;
}

Test(interval, multi_unit_texts)
{
	cr_assert_str_eq(units(" 1 day 2 hours"),
			 "INTERVAL '1 02' DAY TO HOUR : interval day to hour");
	cr_assert_str_eq(units("interval 2 weeks"),
			 "INTERVAL '14' DAY : interval day");
	cr_assert_str_eq(units("1.5 seconds"),
			 "INTERVAL '01.5' SECOND : interval second");
	cr_assert_str_eq(units("1 YEAR 2 MONTHS"),
			 "INTERVAL '1-2' YEAR TO MONTH : interval year to month");
	cr_assert_str_eq(units("1 day -2 hours"),
			 "INTERVAL '0 22' DAY TO HOUR : interval day to hour");
	cr_assert_str_eq(units("1.5 days"), "[INVALID_INTERVAL_FORMAT.INVALID_FRACTION]");
	cr_assert_str_eq(units("1 02:03:04 day"), "[INVALID_INTERVAL_FORMAT.INVALID_UNIT]");
	cr_assert_str_eq(units("1 year 2 days"), "[INVALID_INTERVAL_FORMAT.MIXED]");
	cr_assert_str_eq(units("178956971 years"),
			 "[INVALID_INTERVAL_FORMAT.ARITHMETIC_EXCEPTION]");
}

Test(interval, months_clamp_to_the_month_end)
{
	int32_t d;
	int64_t jan31 = sl_days_from_civil(2024, 1, 31);
	cr_assert(sl_date_add_months((int32_t)jan31, 1, &d));
	cr_assert_eq(d, sl_days_from_civil(2024, 2, 29));
	cr_assert(sl_date_add_months((int32_t)jan31, 13, &d));
	cr_assert_eq(d, sl_days_from_civil(2025, 2, 28));
	cr_assert(sl_date_add_months((int32_t)jan31, -2, &d));
	cr_assert_eq(d, sl_days_from_civil(2023, 11, 30));
	int64_t us;
	cr_assert(sl_ts_add_months(jan31 * SL_US_PER_DAY + 5, 1, &us));
	cr_assert_eq(us, sl_days_from_civil(2024, 2, 29) * SL_US_PER_DAY + 5);
	/* before 1970 the time of day stays too */
	cr_assert(sl_ts_add_months(-1, 1, &us));
	cr_assert_eq(us, sl_days_from_civil(1970, 2, 1) * SL_US_PER_DAY - 1);
	cr_assert(!sl_ts_add_months(INT64_MAX - 10, 1200, &us));
}

Test(interval, values_as_group_keys)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_value k[3] = { sl_v_interval_dt(-5 * SL_US_PER_HOUR, DT(0, 1)),
			  sl_v_interval_ym(-14, YM(0, 1)), sl_v_ts(123) };
	k[2].type = SL_TIMESTAMP_NTZ;
	sl_buf b;
	sl_buf_init(&b, NULL, 0);
	for (int i = 0; i < 3; i++)
		sl_value_encode(&b, &k[i]);
	sl_rbuf r = sl_rbuf_make(b.s, b.len);
	sl_value d[3];
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sl_value_decode(&r, &a, &d[i]), 0);
	cr_assert(sl_key_equal(k, d, 3));
	cr_assert_eq(sl_key_hash(k, 3), sl_key_hash(d, 3));
	/* the decoded values keep their fields: their text is the same */
	cr_assert_str_eq(render(d[0]), "INTERVAL '-0 05' DAY TO HOUR");
	cr_assert_str_eq(render(d[1]), "INTERVAL '-1-2' YEAR TO MONTH");
	cr_assert_eq(d[2].type, SL_TIMESTAMP_NTZ);
	sl_value other = sl_v_interval_dt(-4 * SL_US_PER_HOUR, DT(0, 1));
	cr_assert(!sl_key_equal(k, &other, 1));
	cr_assert_neq(sl_key_hash(k, 1), sl_key_hash(&other, 1));
	sl_buf_free(&b);
	sl_arena_free(&a);
}
