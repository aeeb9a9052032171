/* ops/groupby.h - the stateful aggregation operator of the micro-batch
 * path: GROUP BY keys (optionally a time or session window) with
 * aggregates, state kept per partition across batches, output at each
 * batch end per output mode, eviction behind the watermark, and the
 * encoding of its state for the checkpoint's state store.
 *
 * One instance per stateful partition, driven by that partition's thread:
 *
 *   for each record vector of batch N:   sl_groupby_update(op, vec)
 *   at the end of batch N:               sl_groupby_emit(op, N, &out)
 *                                        (read stats, write the state:
 *                                         sl_groupby_delta / _snapshot)
 *                                        sl_groupby_end_batch(op, wm) or
 *                                        sl_groupby_advance_watermark(op)
 *
 * Input record vectors are already projected (the plan puts a projection
 * before the operator): columns [0, nkeys) are the key values in GROUP BY
 * order, the rest are aggregate arguments and, if there is a watermark,
 * its event-time column. The operator evaluates no expression, so it
 * stands apart from the expression engine. docs/STATEFUL.md has the
 * semantics and how the plan wires it. */
#ifndef SL_OPS_GROUPBY_H
#define SL_OPS_GROUPBY_H

#include "core/output_mode.h"
#include "ops/agg.h"
#include "ops/keyhash.h"
#include "ops/operator.h"
#include "ops/window.h"


typedef struct sl_groupby_agg {
	const sl_agg_fn *fn;
	int32_t col;       /* input column of the argument; -1 for count(*) */
	const char *name;  /* output column name; NULL: "fn(column)" */
} sl_groupby_agg;

typedef struct sl_groupby_spec {
	const sl_schema *in;     /* schema of the input record vectors */
	uint32_t nkeys;          /* input columns [0, nkeys) are the key */
	uint32_t naggs;
	const sl_groupby_agg *aggs;
	/* The key column holding the event time that `window` windows, or
	 * -1. In the output that column becomes the window struct, named
	 * "window" (or "session_window"). */
	int32_t time_key;
	sl_window_spec window;
	/* The watermark: the input column of its event time (withWatermark's
	 * column), or -1 for none; and its delay. The watermark filters late
	 * rows and evicts state only when that column is a key column (the
	 * windowed time key, or a plain timestamp key), as in Spark. */
	int32_t wm_col;
	int64_t wm_delay_us;
	sl_output_mode mode;
} sl_groupby_spec;

typedef struct sl_groupby sl_groupby;

/* Checks the spec (column indexes and types, aggregate argument types,
 * the output mode against the watermark and window) and makes the
 * operator. The output schema is allocated in plan (plan lifetime).
 * NULL with err set on error: SL_EANALYSIS for a bad column or type,
 * SL_EMODE when the output mode is not allowed (the message says which
 * modes are). */
sl_groupby *sl_groupby_new(const sl_groupby_spec *spec, sl_arena *plan,
			   sl_err *err);
/* Frees the operator and all its state. NULL is a no-op. */
void sl_groupby_free(sl_groupby *op);

/* The operator as a stateful operator (ops/operator.h; its callbacks are
 * ops/groupby_op.c's): emit by the spec's output mode, end_batch with the
 * watermark from its own observations (one partition). */
sl_stateful_op *sl_groupby_as_op(sl_groupby *op);
/* The output mode it emits by (the spec's). */
sl_output_mode sl_groupby_mode(const sl_groupby *op);
extern const sl_stateful_op_ops sl_groupby_stateful_ops;

/* The output rows' schema: the keys (the time key as a window struct),
 * then one column per aggregate. */
const sl_schema *sl_groupby_schema(const sl_groupby *op);

/* The stateful partition (0 .. nparts-1) a projected input row belongs
 * to, for the shuffle before the operator: a hash of the key columns
 * without the time key, so every window and session of a key meets in one
 * partition whatever the row's event time. A global aggregation (no keys)
 * goes to partition 0. */
uint32_t sl_groupby_partition(const sl_groupby_spec *spec,
			      const sl_value *row, uint32_t nparts);

/* Folds a record vector into the state. Late rows (behind the watermark;
 * not in complete mode) are dropped and counted. Does not keep `in`: the
 * caller may free it after. Returns 0, or SL_EINVAL if in's column count
 * is not the spec's. */
int sl_groupby_update(sl_groupby *op, const sl_batch *in, sl_err *err);

/* The output of the batch `batch_id` (a new record vector the caller
 * owns, possibly with no rows): complete mode, every group; update mode,
 * the groups updated since the last end of batch; append mode, the groups
 * whose window ended at or before the watermark, each emitted once. A
 * global aggregation (no keys) emits its one row in every batch of
 * complete and update mode, with or without input, as Spark does. In
 * append and update modes the groups behind the watermark are then
 * evicted. Call once per batch. Returns the number of rows. */
int sl_groupby_emit(sl_groupby *op, int64_t batch_id, sl_batch **out);

/* Ends the batch with the watermark for the next batch: the global value
 * the coordinator computed from every partition (see
 * sl_groupby_max_event_time). Clears the batch's counters and its
 * record of changed groups (so write the delta before). */
void sl_groupby_end_batch(sl_groupby *op, int64_t next_watermark_us);
/* Single partition: ends the batch with the watermark from this
 * operator's own observations. Returns true if it moved, in which case
 * Spark runs one more batch without data (so append mode emits the
 * windows the new watermark closes). */
bool sl_groupby_advance_watermark(sl_groupby *op);
/* The largest event time (watermark column) of the running batch; false
 * if none was seen. */
bool sl_groupby_max_event_time(const sl_groupby *op, int64_t *t);
/* The watermark in effect for the running batch. */
int64_t sl_groupby_watermark(const sl_groupby *op);
/* Sets it (after a restore, from the checkpoint's offset log). */
void sl_groupby_set_watermark(sl_groupby *op, int64_t wm_us);

/* The progress's stateOperators entry. Per-batch counters cover the
 * batch since the last end of batch: read them after emit. */
typedef struct sl_groupby_stats {
	uint64_t num_rows_total;    /* groups held (sessions count singly) */
	uint64_t num_rows_updated;  /* groups updated in this batch */
	uint64_t num_rows_removed;  /* groups evicted in this batch */
	/* Rows dropped behind the watermark, counted per (row, window) as
	 * Spark's stateful operator counts them (a row of a sliding window
	 * can be late for one window and not for another). */
	uint64_t num_rows_dropped_by_watermark;
	uint64_t num_late_input_rows; /* input rows that reached no window */
	uint64_t num_output_rows;     /* rows of the last emit */
	uint64_t memory_used_bytes;
	int64_t watermark_us;
} sl_groupby_stats;

void sl_groupby_stats_get(const sl_groupby *op, sl_groupby_stats *st);
/* The same counters as the public sl_state_stats's (its num_rows_*,
 * memory_used_bytes and watermark_us fields; the others untouched). */
void sl_groupby_state_stats(const sl_groupby_stats *gs, sl_state_stats *st);

/* ---- state store encoding ------------------------------------------------ */

/* Appends the encoding of the whole state, as version `version` (the
 * batch id), to out. */
void sl_groupby_snapshot(const sl_groupby *op, int64_t version, sl_buf *out);
/* Appends the changes of the running batch (groups updated, merged or
 * evicted since the last end of batch) as version `version`. Call after
 * emit (which evicts) and before end_batch. */
void sl_groupby_delta(const sl_groupby *op, int64_t version, sl_buf *out);
/* Applies an encoded snapshot (replacing the whole state) or delta (on top
 * of the state) and stores its version in *version. Restore the latest
 * snapshot at or before N, then the deltas after it up to N, in order.
 * The watermark is set to the one the encoding recorded for the batch
 * after it. SL_EINVAL if the bytes are malformed or were written by an
 * operator of another shape (keys, aggregates, window); the state is then
 * unspecified (restore again from a snapshot). */
int sl_groupby_restore(sl_groupby *op, const void *p, size_t n,
		       int64_t *version, sl_err *err);

#endif
