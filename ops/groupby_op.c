/* ops/groupby_op.c - the aggregation (ops/groupby.h) as a stateful
 * operator (ops/operator.h), on one stateful partition: the callbacks the
 * stateful sink (engine/stateful.c) drives it by, over the operator's own
 * API. */
#include "ops/groupby.h"

/* The instance is the operator's first member. */
static sl_groupby *groupby_of(const sl_stateful_op *op)
{
	return (sl_groupby *)op;
}

static int groupby_op_update(sl_stateful_op *op, sl_batch *b, sl_err *err)
{
	return sl_groupby_update(groupby_of(op), b, err) < 0
		       ? (err->code ? err->code : SL_EINVAL)
		       : 0;
}

static int groupby_op_emit(sl_stateful_op *op, int64_t epoch, int64_t now_us,
			   sl_batch **out, sl_err *err)
{
	if (!*out) {
		sl_groupby_emit(groupby_of(op), epoch, out);
		return 0;
	}
	sl_batch *more = NULL;
	sl_groupby_emit(groupby_of(op), epoch, &more);
	if (more->nrows)
		sl_batch_append_copy(*out, more);
	sl_batch_free(more);
	return 0;
}

/* Spark runs a batch without data when the watermark moved, so that
 * append mode emits the windows it closes (complete mode evicts nothing
 * and emits every group in each batch anyway). */
static int groupby_op_end_batch(sl_stateful_op *op, sl_err *err)
{
	sl_groupby *g = groupby_of(op);
	return sl_groupby_advance_watermark(g) &&
	       sl_groupby_mode(g) != SL_MODE_COMPLETE;
}

static int64_t groupby_op_watermark(const sl_stateful_op *op)
{
	return sl_groupby_watermark(groupby_of(op));
}

static void groupby_op_set_watermark(sl_stateful_op *op, int64_t wm_us)
{
	sl_groupby_set_watermark(groupby_of(op), wm_us);
}

void sl_groupby_state_stats(const sl_groupby_stats *gs, sl_state_stats *st)
{
	st->num_rows_total = gs->num_rows_total;
	st->num_rows_updated = gs->num_rows_updated;
	st->num_rows_removed = gs->num_rows_removed;
	st->num_rows_dropped_by_watermark = gs->num_rows_dropped_by_watermark;
	st->num_output_rows = gs->num_output_rows;
	st->memory_used_bytes = gs->memory_used_bytes;
	st->watermark_us = gs->watermark_us;
}

static void groupby_op_stats(const sl_stateful_op *op, sl_state_stats *st)
{
	sl_groupby_stats gs;
	sl_groupby_stats_get(groupby_of(op), &gs);
	sl_groupby_state_stats(&gs, st);
}

static sl_stateful_op *groupby_op_partition(sl_stateful_op *op, uint32_t i)
{
	return op;
}

static void groupby_op_delta(const sl_stateful_op *op, uint32_t i,
			     int64_t version, sl_buf *out)
{
	sl_groupby_delta(groupby_of(op), version, out);
}

static void groupby_op_snapshot(const sl_stateful_op *op, int64_t version,
				sl_buf *out)
{
	sl_groupby_snapshot(groupby_of(op), version, out);
}

static int groupby_op_restore(sl_stateful_op *op, const void *p, size_t n,
			      sl_err *err)
{
	return sl_groupby_restore(groupby_of(op), p, n, NULL, err);
}

static void groupby_op_destroy(sl_stateful_op *op)
{
	sl_groupby_free(groupby_of(op));
}

const sl_stateful_op_ops sl_groupby_stateful_ops = {
	.name = "stateStoreSave",
	.update = groupby_op_update,
	.emit = groupby_op_emit,
	.end_batch = groupby_op_end_batch,
	.watermark = groupby_op_watermark,
	.set_watermark = groupby_op_set_watermark,
	.stats = groupby_op_stats,
	.partition = groupby_op_partition,
	.delta = groupby_op_delta,
	.snapshot = groupby_op_snapshot,
	.restore = groupby_op_restore,
	.destroy = groupby_op_destroy,
};
