/* ops/operator.h - the one interface of the stateful operators: the
 * aggregation (ops/groupby.h), the deduplication (ops/dedup.h), the
 * per-group state (ops/group_state.h) and the aggregation on several
 * stateful partitions (engine/stateful_part.h). The stateful sink
 * (engine/stateful.c) holds a chain of instances and drives each through
 * these callbacks only; the state store (engine/state_store.c) keeps their
 * encodings.
 *
 * A batch N, per operator of the chain, on one thread:
 *
 *   for each record vector:  update(op, vec)
 *   at the end of the batch: emit(op, N, now, &out)   pass 0
 *                            stats(op, &st), delta(op, i, N, buf) per
 *                            state partition i (with a state store)
 *                            end_batch(op): if it asks for Spark's batch
 *                            without data, the same again (pass 1) */
#ifndef SL_OPS_OPERATOR_H
#define SL_OPS_OPERATOR_H

#include "core/buf.h"
#include "core/value.h"
#include "sluice.h"

typedef struct sl_stateful_op sl_stateful_op;

typedef struct sl_stateful_op_ops {
	/* Spark's operatorName in the progress's stateOperators. */
	const char *name;
	/* A filter (deduplication): update leaves in b the rows that are
	 * its output right away, and emit makes none. */
	bool passes_rows;
	/* Folds or takes the rows of b. Returns 0 (b stays the caller's),
	 * 1 (the operator took b), or < 0 with err set. */
	int (*update)(sl_stateful_op *op, sl_batch *b, sl_err *err);
	/* The output of batch `epoch` by the operator's output mode, at the
	 * processing time now_us: into *out when it is NULL (a new vector
	 * the caller owns; a filter leaves it NULL), else appended to it.
	 * Returns 0, or < 0 with err set. */
	int (*emit)(sl_stateful_op *op, int64_t epoch, int64_t now_us,
		    sl_batch **out, sl_err *err);
	/* Ends the batch (after stats and delta: it clears what they
	 * read). Returns 1 when the watermark moved so that Spark runs a
	 * batch without data now (emit again), 0 if not, < 0 with err set. */
	int (*end_batch)(sl_stateful_op *op, sl_err *err);
	/* The watermark in effect, and setting it (after a restore, from
	 * the state file). */
	int64_t (*watermark)(const sl_stateful_op *op);
	void (*set_watermark)(sl_stateful_op *op, int64_t wm_us);
	/* The batch's counters since the last end_batch into st (its
	 * num_rows_* fields, memory_used_bytes, watermark_us). */
	void (*stats)(const sl_stateful_op *op, sl_state_stats *st);
	/* The operator holding state partition i (0 .. nparts-1): itself,
	 * but for an operator on several partitions. snapshot, restore and
	 * set_watermark are called on it. */
	sl_stateful_op *(*partition)(sl_stateful_op *op, uint32_t i);
	/* Appends state partition i's changes since the last end_batch as
	 * version `version` (an operator on several partitions makes them
	 * during emit, when `stored` is set). */
	void (*delta)(const sl_stateful_op *op, uint32_t i, int64_t version,
		      sl_buf *out);
	/* Appends the encoding of the whole state as version `version`
	 * (NULL, as restore, on an operator on several partitions: its
	 * partitions' operators have them). */
	void (*snapshot)(const sl_stateful_op *op, int64_t version,
			 sl_buf *out);
	/* Applies a snapshot (replacing the state) or a delta. SL_EINVAL if
	 * malformed or written by an operator of another shape. */
	int (*restore)(sl_stateful_op *op, const void *p, size_t n,
		       sl_err *err);
	/* Optional: an operator that wakes the query by itself (processing-
	 * time timeouts) returns true with the time the next batch without
	 * data is due in *due_us (INT64_MAX: none); NULL or false: it does
	 * not. */
	bool (*due)(const sl_stateful_op *op, int64_t *due_us);
	/* Frees the operator and its state. */
	void (*destroy)(sl_stateful_op *op);
} sl_stateful_op_ops;

/* The first member of every operator, so that a callback's instance is
 * the operator itself. */
struct sl_stateful_op {
	const sl_stateful_op_ops *ops;
	uint32_t nparts; /* state partitions (1 but on several) */
	/* Set by the stateful sink when a state store keeps this
	 * operator's state: emit then prepares what delta reads. */
	bool stored;
};

#endif
