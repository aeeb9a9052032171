/* tests/unit/ops_window.c - window assignment, intervals and the
 * watermark (ops/window.c).
 *
 * Tumbling and sliding windows against Spark's rule (start <= t < end,
 * starts on the slide grid from startTime), edges where t sits exactly
 * on a boundary, durations that are not multiples of the slide, times
 * before the epoch, and a brute-force cross-check; interval strings; the
 * watermark's ms arithmetic and monotonicity. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "ops/window.h"
#include "sluice.h"

#define SEC 1000000LL
#define MIN (60 * SEC)

/* 12:mm on some day, in microseconds */
static int64_t at(int hh, int mm)
{
	return (int64_t)19700 * 86400 * SEC + (hh * 60 + mm) * MIN;
}

Test(interval, parses_spark_strings)
{
	int64_t us;
	cr_assert_eq(sl_interval_parse("10 minutes", &us, NULL), 0);
	cr_assert_eq(us, 10 * MIN);
	cr_assert_eq(sl_interval_parse("1 hour 30 minutes", &us, NULL), 0);
	cr_assert_eq(us, 90 * MIN);
	cr_assert_eq(sl_interval_parse("INTERVAL 5 SECONDS", &us, NULL), 0);
	cr_assert_eq(us, 5 * SEC);
	cr_assert_eq(sl_interval_parse("500 milliseconds", &us, NULL), 0);
	cr_assert_eq(us, 500000);
	cr_assert_eq(sl_interval_parse(" 2 days ", &us, NULL), 0);
	cr_assert_eq(us, 2 * 86400 * SEC);
	cr_assert_eq(sl_interval_parse("1 week", &us, NULL), 0);
	cr_assert_eq(us, 7 * 86400 * SEC);
}

Test(interval, refuses_bad_strings_with_a_message)
{
	int64_t us;
	sl_err err = { 0 };
	cr_assert_eq(sl_interval_parse("10 parsecs", &us, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "unknown unit 'parsecs'"), "%s", err.msg);
	cr_assert_eq(sl_interval_parse("1 month", &us, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "months"), "%s", err.msg);
	cr_assert_eq(sl_interval_parse("", &us, &err), SL_EINVAL);
	cr_assert_eq(sl_interval_parse("minutes", &us, &err), SL_EINVAL);
	cr_assert_eq(sl_interval_parse("99999999999999 days", &us, &err),
		     SL_EINVAL);
}

Test(window, spec_checks_spark_rules)
{
	sl_window_spec w;
	sl_err err = { 0 };
	cr_assert_eq(sl_window_time(&w, 10 * MIN, 0, 0, &err), 0);
	cr_assert_eq(w.slide_us, 10 * MIN, "slide 0 means tumbling");
	cr_assert_eq(sl_window_time(&w, 0, 0, 0, &err), SL_EINVAL);
	cr_assert_eq(sl_window_time(&w, 5 * MIN, 10 * MIN, 0, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "slide"), "%s", err.msg);
	cr_assert_eq(sl_window_time(&w, 10 * MIN, 5 * MIN, 5 * MIN, &err),
		     SL_EINVAL, "|start| must be < slide");
	cr_assert_eq(sl_window_time(&w, 10 * MIN, 5 * MIN, -4 * MIN, &err), 0);
	cr_assert_eq(sl_window_time(&w, 86400 * SEC, 1, 0, &err), SL_EINVAL,
		     "a row in 86 billion windows");
	cr_assert_eq(sl_window_session(&w, 0, &err), SL_EINVAL);
	cr_assert_eq(sl_window_session(&w, 5 * MIN, &err), 0);
	cr_assert_eq(sl_window_max(&w), 1);
}

Test(window, tumbling_boundaries)
{
	sl_window_spec w;
	int64_t s[4];
	sl_window_time(&w, 10 * MIN, 0, 0, NULL);
	cr_assert_eq(sl_window_max(&w), 1);
	/* exactly on a boundary: the window starting there */
	cr_assert_eq(sl_window_assign(&w, at(12, 10), s), 1);
	cr_assert_eq(s[0], at(12, 10));
	cr_assert_eq(sl_window_end(&w, s[0]), at(12, 20));
	/* one microsecond before: the previous window */
	cr_assert_eq(sl_window_assign(&w, at(12, 10) - 1, s), 1);
	cr_assert_eq(s[0], at(12, 0));
	cr_assert_eq(sl_window_assign(&w, at(12, 7), s), 1);
	cr_assert_eq(s[0], at(12, 0));
}

Test(window, sliding_ten_by_five_as_the_seed)
{
	sl_window_spec w;
	int64_t s[4];
	sl_window_time(&w, 10 * MIN, 5 * MIN, 0, NULL);
	cr_assert_eq(sl_window_max(&w), 2);
	/* 12:07 falls in 12:05-12:15 and 12:00-12:10, latest first */
	cr_assert_eq(sl_window_assign(&w, at(12, 7), s), 2);
	cr_assert_eq(s[0], at(12, 5));
	cr_assert_eq(s[1], at(12, 0));
	/* 12:10 exactly: 12:10-12:20 and 12:05-12:15, not 12:00-12:10 */
	cr_assert_eq(sl_window_assign(&w, at(12, 10), s), 2);
	cr_assert_eq(s[0], at(12, 10));
	cr_assert_eq(s[1], at(12, 5));
}

Test(window, start_time_offsets_the_grid)
{
	sl_window_spec w;
	int64_t s[4];
	/* hourly windows starting at quarter past */
	sl_window_time(&w, 60 * MIN, 0, 15 * MIN, NULL);
	cr_assert_eq(sl_window_assign(&w, at(10, 20), s), 1);
	cr_assert_eq(s[0], at(10, 15));
	cr_assert_eq(sl_window_assign(&w, at(10, 14), s), 1);
	cr_assert_eq(s[0], at(9, 15));
	sl_window_time(&w, 60 * MIN, 0, -15 * MIN, NULL);
	cr_assert_eq(sl_window_assign(&w, at(10, 50), s), 1);
	cr_assert_eq(s[0], at(10, 45));
}

Test(window, before_the_epoch)
{
	sl_window_spec w;
	int64_t s[4];
	sl_window_time(&w, 10, 0, 0, NULL);
	cr_assert_eq(sl_window_assign(&w, -1, s), 1);
	cr_assert_eq(s[0], -10);
	cr_assert_eq(sl_window_assign(&w, -10, s), 1);
	cr_assert_eq(s[0], -10);
	cr_assert_eq(sl_window_assign(&w, -11, s), 1);
	cr_assert_eq(s[0], -20);
}

/* Every window on the grid that holds t, by enumeration. */
static uint32_t brute(const sl_window_spec *w, int64_t t, int64_t *s)
{
	uint32_t n = 0;
	int64_t k0 = (t - w->duration_us - w->start_us) / w->slide_us - 2;
	for (int64_t k = k0; k <= k0 + w->duration_us / w->slide_us + 4; k++) {
		int64_t st = k * w->slide_us + w->start_us;
		if (st <= t && t < st + w->duration_us)
			s[n++] = st;
	}
	return n;
}

Test(window, sliding_matches_brute_force_incl_uneven_slides)
{
	const int64_t shapes[][3] = {
		{ 10, 3, 0 }, { 10, 3, 2 }, { 10, 5, 0 }, { 10, 10, 0 },
		{ 7, 2, -1 }, { 60, 1, 0 }, { 100, 30, 29 },
	};
	srand(7);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		sl_window_spec w;
		cr_assert_eq(sl_window_time(&w, shapes[i][0], shapes[i][1],
					    shapes[i][2], NULL), 0);
		int64_t got[64], want[64];
		for (int r = 0; r < 2000; r++) {
			int64_t t = rand() % 2000 - 200;
			uint32_t n = sl_window_assign(&w, t, got);
			uint32_t m = brute(&w, t, want);
			cr_assert_eq(n, m, "shape %zu t %lld", i, (long long)t);
			cr_assert_leq(n, sl_window_max(&w));
			/* latest first, then the brute force's ascending */
			for (uint32_t k = 0; k < n; k++)
				cr_assert_eq(got[k], want[n - 1 - k]);
		}
	}
}

Test(window, values_are_start_end_structs)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_value v = sl_window_value(at(12, 0), at(12, 10), &a);
	int64_t s, e;
	cr_assert(sl_window_get(&v, &s, &e));
	cr_assert_eq(s, at(12, 0));
	cr_assert_eq(e, at(12, 10));
	char name[64];
	sl_dtype_name(&sl_dtype_window, name, sizeof(name));
	cr_assert_str_eq(name, "struct<start:timestamp,end:timestamp>");
	char buf[128];
	sl_value_render(&v, buf, sizeof(buf));
	cr_assert(strstr(buf, "12:00:00"), "%s", buf);
	sl_value n = sl_v_int(3);
	cr_assert(!sl_window_get(&n, &s, &e));
	sl_arena_free(&a);
}

Test(watermark, max_minus_delay_from_the_next_batch_never_back)
{
	sl_watermark w;
	sl_watermark_init(&w, 10 * MIN);
	cr_assert_eq(w.current_us, 0, "initial watermark is 0");
	sl_watermark_observe(&w, at(12, 8));
	sl_watermark_observe(&w, at(12, 7));
	cr_assert_eq(w.current_us, 0, "not in effect until the batch ends");
	cr_assert(sl_watermark_advance(&w));
	cr_assert_eq(w.current_us, at(11, 58));
	/* an empty batch leaves it */
	cr_assert(!sl_watermark_advance(&w));
	cr_assert_eq(w.current_us, at(11, 58));
	/* older data never moves it back */
	sl_watermark_observe(&w, at(12, 1));
	cr_assert(!sl_watermark_advance(&w));
	cr_assert_eq(w.current_us, at(11, 58));
	/* Spark's milliseconds: sub-ms event time is truncated */
	sl_watermark_observe(&w, at(12, 30) + 999);
	sl_watermark_advance(&w);
	cr_assert_eq(w.current_us, at(12, 20));
}

Test(watermark, merge_takes_the_max_over_partitions)
{
	sl_watermark a, b, c;
	sl_watermark_init(&a, 5 * SEC);
	sl_watermark_init(&b, 5 * SEC);
	sl_watermark_init(&c, 5 * SEC);
	sl_watermark_observe(&a, 100 * SEC);
	sl_watermark_observe(&b, 300 * SEC);
	sl_watermark_merge(&a, &b);
	sl_watermark_merge(&a, &c); /* saw nothing */
	cr_assert_eq(sl_watermark_next(&a), 295 * SEC);
}
