/* ops/dedup.h - streaming deduplication: Spark's dropDuplicates(cols) and
 * SELECT DISTINCT, bounded by the watermark.
 *
 * One instance per stateful partition, driven by that partition's thread
 * (today the query's sink thread, engine/stateful.c):
 *
 *   for each record vector of batch N:   sl_dedup_process(d, vec)
 *                                        (the vector keeps its new rows)
 *   at the end of batch N:               sl_dedup_finish(d)
 *                                        (read stats, write the state:
 *                                         sl_dedup_delta / _snapshot)
 *                                        sl_dedup_end_batch(d)
 *
 * Semantics (Spark's StreamingDeduplicateExec): a row passes the first
 * time its key (the values of the key columns; null is a value of its
 * own, as in grouping) is seen, and never again while the key is held.
 * With a watermark, rows whose event time is at or behind it are dropped
 * as late (counted), whether or not the event-time column is a key; when
 * it is a key, keys at or behind the watermark are evicted at the end of
 * each batch, so state stays bounded. Without that, state grows with the
 * distinct keys. The output rows are the input rows, unchanged: dedup
 * only filters, so append mode emits them in the batch they arrive. */
#ifndef SL_OPS_DEDUP_H
#define SL_OPS_DEDUP_H

#include "ops/keyhash.h"
#include "ops/operator.h"
#include "ops/window.h"

typedef struct sl_dedup_spec {
	const sl_schema *in; /* schema of the record vectors */
	uint32_t nkeys;
	const uint32_t *keys; /* input columns of the key, in order */
	/* The watermark's event-time input column, or -1; its delay. */
	int32_t wm_col;
	int64_t wm_delay_us;
} sl_dedup_spec;

typedef struct sl_dedup sl_dedup;

/* Checks the spec (columns in range, the watermark column a timestamp) and
 * makes the operator; SL_EANALYSIS with err set. The spec's arrays must
 * outlive the operator. */
sl_dedup *sl_dedup_new(const sl_dedup_spec *spec, sl_err *err);
void sl_dedup_free(sl_dedup *d);
/* The operator as a stateful operator (ops/operator.h): a filter, whose
 * update is sl_dedup_process and whose emit is sl_dedup_finish. */
sl_stateful_op *sl_dedup_as_op(sl_dedup *d);

/* Keeps in b (compacted in place, order kept) the rows whose key is new
 * and which are not late; remembers their keys. Returns the rows kept, or
 * SL_EINVAL if b's column count is not the spec's. */
int sl_dedup_process(sl_dedup *d, sl_batch *b, sl_err *err);

/* Ends the batch's input: evicts the keys at or behind the batch's
 * watermark (when the watermark's column is a key), then advances the
 * watermark from the batch's event times. Returns true if it moved: Spark
 * then runs a batch without data (sl_dedup_finish again with no rows),
 * which evicts by the new one. Read the stats and write the state after
 * this, then sl_dedup_end_batch. */
bool sl_dedup_finish(sl_dedup *d);
/* Clears the batch's counters and its record of changed keys. */
void sl_dedup_end_batch(sl_dedup *d);

int64_t sl_dedup_watermark(const sl_dedup *d);
void sl_dedup_set_watermark(sl_dedup *d, int64_t wm_us);

typedef struct sl_dedup_stats {
	uint64_t num_rows_total;   /* keys held */
	uint64_t num_rows_updated; /* keys added by the batch */
	uint64_t num_rows_removed; /* keys evicted by the batch */
	uint64_t num_rows_dropped_by_watermark; /* late rows of the batch */
	uint64_t num_duplicates;   /* rows dropped as duplicates */
	uint64_t num_output_rows;  /* rows kept by the batch */
	uint64_t memory_used_bytes;
	int64_t watermark_us;
} sl_dedup_stats;

void sl_dedup_stats_get(const sl_dedup *d, sl_dedup_stats *st);

/* ---- state store encoding ------------------------------------------------
 * "SLDD", format 1, kind (1 snapshot, 2 delta), version, watermark, key
 * arity, the key columns' type ids (the shape a restore must match),
 * record count; per record the key tuple (canonical encoding) and a
 * presence byte (0: the key was evicted). */
void sl_dedup_snapshot(const sl_dedup *d, int64_t version, sl_buf *out);
/* The keys added and evicted in the running batch: after finish, before
 * end_batch. */
void sl_dedup_delta(const sl_dedup *d, int64_t version, sl_buf *out);
/* Applies a snapshot (replacing every key) or a delta; sets the watermark
 * it recorded. SL_EINVAL if malformed or of another shape. */
int sl_dedup_restore(sl_dedup *d, const void *p, size_t n, int64_t *version,
		     sl_err *err);

#endif
