/* tests/unit/core_histogram.c - the latency histogram (core/histogram.h)
 * that the engine's progress and metrics and `sluice bench` read: its
 * buckets' precision, percentiles by nearest rank, merging. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/histogram.h"

/* Every value lies in a bucket whose upper bound is at most 1/32 above
 * it, and exactly at it below 64 ns. */
Test(histogram, precision)
{
	static sl_histogram h;

	for (int64_t v = 0; v < 64; v++) {
		sl_histogram_reset(&h);
		sl_histogram_add(&h, v, 1);
		sl_histogram_add(&h, 1000000, 1);
		cr_assert_eq(sl_histogram_percentile(&h, 50), v);
	}
	for (int64_t v = 64; v < 40000000000LL; v = v * 5 / 4 + 3) {
		sl_histogram_reset(&h);
		sl_histogram_add(&h, v, 1);
		sl_histogram_add(&h, INT64_MAX, 1);
		int64_t p = sl_histogram_percentile(&h, 50);
		cr_assert_geq(p, v, "%lld", (long long)v);
		cr_assert_leq(p - v, v / 32, "%lld -> %lld", (long long)v,
			      (long long)p);
	}
	cr_assert_eq(sl_histogram_bucket_max(SL_HISTOGRAM_BUCKETS - 1),
		     INT64_MAX);
	for (unsigned b = 1; b < SL_HISTOGRAM_BUCKETS; b++)
		cr_assert_gt(sl_histogram_bucket_max(b),
			     sl_histogram_bucket_max(b - 1));
}

Test(histogram, percentiles_and_counts)
{
	static sl_histogram h;

	sl_histogram_add(&h, -5, 1); /* counts as 0 */
	for (int64_t v = 1; v <= 99; v++)
		sl_histogram_add(&h, v * 1000, 1);
	cr_assert_eq(h.count, 100);
	cr_assert_eq(h.min, 0);
	cr_assert_eq(h.max, 99000);
	cr_assert_eq(h.sum_ns, 4950000);
	/* nearest rank: the 50th of 100 samples is 49000 */
	int64_t p50 = sl_histogram_percentile(&h, 50);
	cr_assert(p50 >= 49000 && p50 <= 49000 + 49000 / 32, "%lld",
		  (long long)p50);
	cr_assert_eq(sl_histogram_percentile(&h, 100), 99000);
	cr_assert_eq(sl_histogram_percentile(&h, 0.5), 0);
	sl_histogram_reset(&h);
	cr_assert_eq(sl_histogram_percentile(&h, 99), 0);
	sl_histogram_add(&h, 7, 0);
	cr_assert_eq(h.count, 0);
}

Test(histogram, merge)
{
	static sl_histogram a, b, both;

	sl_histogram_add(&a, 500, 3);
	sl_histogram_add(&b, 20, 1);
	sl_histogram_add(&b, 9000, 2);
	sl_histogram_add(&both, 500, 3);
	sl_histogram_add(&both, 20, 1);
	sl_histogram_add(&both, 9000, 2);
	sl_histogram_merge(&a, &b);
	cr_assert_eq(memcmp(&a, &both, sizeof(a)), 0);
	cr_assert_eq(a.min, 20);
	cr_assert_eq(a.max, 9000);
	sl_histogram_reset(&b);
	sl_histogram_merge(&a, &b);
	cr_assert_eq(memcmp(&a, &both, sizeof(a)), 0);
}
