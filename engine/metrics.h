/* engine/metrics.h - the metrics endpoint's internals that tests reach
 * (engine/metrics.c; the public calls are in include/sluice.h, the metrics
 * themselves in docs/METRICS.md). */
#ifndef SL_CORE_METRICS_H
#define SL_CORE_METRICS_H

#include "engine/engine.h"

/* The latency histogram's bucket bounds (Prometheus's `le`), in
 * nanoseconds and as the label text, ascending; +Inf is not among them. */
/* The HTTP server's bounds: connections served at once, and the seconds a
 * connection has to send its request (a newcomer at the limit takes the
 * place of one past it). */
#define SL_METRICS_MAX_CONNS 16
#define SL_METRICS_REQUEST_S 5

#define SL_METRICS_NLE 20
extern const int64_t sl_metrics_le_ns[SL_METRICS_NLE];
extern const char *const sl_metrics_le_text[SL_METRICS_NLE];

/* Cumulative counts of h at each bound: cum[i] counts the samples whose
 * internal bucket (core/histogram.h: 32 per power of two) lies wholly at
 * or below sl_metrics_le_ns[i], so a count is never too high and is exact
 * when the bound is an edge of the internal buckets (otherwise the samples
 * of the one straddling bucket, within 1/32 of the bound, count at the
 * next bound). */
void sl_metrics_histogram_cumulative(const sl_histogram *h,
				     uint64_t cum[SL_METRICS_NLE]);

#endif
