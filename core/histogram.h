/* core/histogram.h - the one latency histogram: log-linear buckets over
 * nanoseconds, exact below 64 ns, then 32 buckets per power of two (a
 * value is known within 1/32, about 3%) up to INT64_MAX. The engine's
 * sink thread fills one per epoch and one per run (engine/exec_sink.c),
 * the metrics endpoint turns the run's into Prometheus buckets
 * (engine/metrics.c), and `sluice bench` its per-second and run figures
 * (cli/bench.c). Not thread-safe: a user that shares one locks it. */
#ifndef SL_CORE_HISTOGRAM_H
#define SL_CORE_HISTOGRAM_H

#include <stdint.h>

#define SL_HISTOGRAM_SUB_BITS 5
#define SL_HISTOGRAM_SUB (1u << SL_HISTOGRAM_SUB_BITS)
#define SL_HISTOGRAM_BUCKETS ((64 - SL_HISTOGRAM_SUB_BITS) * SL_HISTOGRAM_SUB)

typedef struct sl_histogram {
	uint64_t count;
	int64_t min, max; /* of the samples; 0 while count is 0 */
	uint64_t sum_ns;  /* sum of the samples: Prometheus's _sum, a mean */
	uint64_t bucket[SL_HISTOGRAM_BUCKETS];
} sl_histogram;

void sl_histogram_reset(sl_histogram *h);
/* Adds n samples of ns each; a negative ns (clocks of two threads) counts
 * as 0. */
void sl_histogram_add(sl_histogram *h, int64_t ns, uint64_t n);
/* Adds every sample of from to into. */
void sl_histogram_merge(sl_histogram *into, const sl_histogram *from);
/* The p-th percentile (0 < p <= 100) in ns, by nearest rank: the upper
 * bound of the bucket holding that rank, kept within [min, max]; 0 when
 * empty. */
int64_t sl_histogram_percentile(const sl_histogram *h, double p);
/* The largest value bucket b holds. */
int64_t sl_histogram_bucket_max(unsigned b);

#endif
