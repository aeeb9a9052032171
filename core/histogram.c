/* core/histogram.c - the latency histogram of core/histogram.h: which
 * bucket a value falls in, and percentiles read back from the buckets. */
#include <math.h>
#include <string.h>

#include "core/histogram.h"

static unsigned histogram_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * SL_HISTOGRAM_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - SL_HISTOGRAM_SUB_BITS;
	return (shift + 1) * SL_HISTOGRAM_SUB +
	       (unsigned)((v >> shift) - SL_HISTOGRAM_SUB);
}

int64_t sl_histogram_bucket_max(unsigned b)
{
	unsigned shift;

	if (b < 2 * SL_HISTOGRAM_SUB)
		return b;
	shift = b / SL_HISTOGRAM_SUB - 1;
	return (int64_t)((((uint64_t)(b % SL_HISTOGRAM_SUB) +
			   SL_HISTOGRAM_SUB)
			  << shift) +
			 ((1ull << shift) - 1));
}

void sl_histogram_reset(sl_histogram *h)
{
	memset(h, 0, sizeof(*h));
}

void sl_histogram_add(sl_histogram *h, int64_t ns, uint64_t n)
{
	if (!n)
		return;
	if (ns < 0)
		ns = 0;
	if (!h->count || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count += n;
	h->sum_ns += (uint64_t)ns * n;
	h->bucket[histogram_index((uint64_t)ns)] += n;
}

void sl_histogram_merge(sl_histogram *into, const sl_histogram *from)
{
	if (!from->count)
		return;
	if (!into->count || from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->count += from->count;
	into->sum_ns += from->sum_ns;
	for (unsigned b = 0; b < SL_HISTOGRAM_BUCKETS; b++)
		into->bucket[b] += from->bucket[b];
}

int64_t sl_histogram_percentile(const sl_histogram *h, double p)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (unsigned b = 0; b < SL_HISTOGRAM_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			int64_t v = sl_histogram_bucket_max(b);
			return v < h->max ? (v > h->min ? v : h->min) : h->max;
		}
	}
	return h->max;
}
