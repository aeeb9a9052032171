/* engine/state_store.h - the state store: one stateful operator's state,
 * per state partition, in checkpointLocation/state/<operator>/<partition>/
 * (docs/STATEFUL.md, section 8). The stateful sink (engine/stateful.c)
 * owns one per operator of its chain, on the sink thread: it opens it
 * before the first batch (restoring the last committed batch's state) and
 * commits each batch's deltas before the real sink commits the batch.
 * Operators are numbered as Spark does, from the sink down: the top one
 * is operator 0, the one under it 1. */
#ifndef SL_ENGINE_STATE_STORE_H
#define SL_ENGINE_STATE_STORE_H

#include "engine/checkpoint.h"
#include "ops/operator.h"

/* One state partition's directory and the operator that holds its
 * state. */
typedef struct sl_state_part {
	int dirfd; /* -1 until opened */
	char *dirpath;
	sl_stateful_op *op;  /* partition(op, i) of the store's operator */
	const sl_buf *empty; /* the store's `empty` */
} sl_state_part;

typedef struct sl_state_store {
	sl_state_part *parts;
	uint32_t nparts;
	/* A snapshot of the operator as made, which a restore applies to
	 * start over from nothing. */
	sl_buf empty;
	int64_t retain; /* the checkpoint's batches kept */
} sl_state_store;

/* A store for op's partitions, not yet open (no checkpoint: it is never
 * opened). */
void sl_state_store_init(sl_state_store *st, sl_stateful_op *op);
void sl_state_store_free(sl_state_store *st);

/* Opens state/<op_id>/<i> of the checkpoint for each partition (cleaning
 * the temp files a crash left) and, with last >= 0, restores the state of
 * batch `last` (the last committed one). SL_EINVAL when the state was
 * written by another number of partitions, or cannot be restored. */
int sl_state_store_open(sl_state_store *st, const sl_ckpt *ckpt, uint32_t op_id,
			int64_t last, sl_err *err);

/* One operator encoding appended to a file's segments (segs, *nseg). */
void sl_state_store_segment(sl_buf *segs, uint32_t *nseg, const sl_buf *one);

/* Writes version `epoch`: partition i's delta file of nseg[i] segments
 * segs[i], and every 10 batches a snapshot of each partition's whole
 * state (then removes the files recovery no longer needs). wm: the
 * watermark for the next batch. */
int sl_state_store_commit(sl_state_store *st, int64_t epoch, const sl_buf *segs,
			  const uint32_t *nseg, int64_t wm, sl_err *err);

#endif
