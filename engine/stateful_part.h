/* engine/stateful_part.h - an aggregation on several stateful partitions:
 * the hash shuffle of DESIGN.md inside the stateful sink
 * (docs/STATEFUL.md, section 11).
 *
 * N worker threads each own one sl_groupby holding the groups whose key
 * hashes to it (sl_groupby_partition). The sink thread routes every row
 * of a record vector to its partition's SPSC ring (core/chan.h); at the
 * end of a batch it sends each worker a command through the same ring
 * (so the command comes after every row of the batch) and waits until
 * all have run it. Outputs are concatenated in partition order, so a
 * batch's rows come out in one order for a given N. Only the sink thread
 * calls these functions. */
#ifndef SL_CORE_STATEFUL_PART_H
#define SL_CORE_STATEFUL_PART_H

#include <stdatomic.h>

#include "ops/groupby.h"

typedef struct sl_spart sl_spart;

/* n operators for spec (n >= 2) and their threads. cancel: the query's
 * flag, which unblocks a push into a full ring. NULL with err set. */
sl_spart *sl_spart_new(const sl_groupby_spec *spec, uint32_t n, sl_arena *plan,
		       const _Atomic bool *cancel, sl_err *err);
/* Stops and joins the threads, frees the operators and what is held.
 * NULL is a no-op. */
void sl_spart_free(sl_spart *p);
/* The aggregation on n partitions as one stateful operator
 * (ops/operator.h) of n state partitions: update is sl_spart_write, emit
 * and end_batch are rounds; snapshot and restore go to each partition's
 * operator (partition(op, i)). */
sl_stateful_op *sl_spart_as_op(sl_spart *p);

/* Partition i's operator, for the state store. Only between rounds:
 * before the first write, or after emit/end_batch returned (the workers
 * are idle then, and their last use of it happened before). */
sl_groupby *sl_spart_op(const sl_spart *p, uint32_t i);

/* Routes b's rows to the partitions; keeps b (its values are borrowed)
 * until the next emit. Returns 1 (b taken), or < 0 if the query was
 * cancelled while a ring was full. */
int sl_spart_write(sl_spart *p, sl_batch *b, sl_err *err);

/* Every partition emits batch `epoch` (sl_groupby_emit): the rows, in
 * partition order, into *out (new; the caller owns it); the stats
 * summed into *st; with deltas non-NULL, partition i's delta into
 * deltas[i] (cleared first). Returns 0, or < 0 with err set. */
int sl_spart_emit(sl_spart *p, int64_t epoch, sl_batch **out,
		  sl_groupby_stats *st, sl_buf *deltas, sl_err *err);

/* Ends the batch on every partition with the global watermark (the max
 * event time over all partitions, less the delay). Returns true if it
 * moved, 0 otherwise, < 0 on cancel. */
int sl_spart_end_batch(sl_spart *p, sl_err *err);

/* The watermark in effect (partition 0's: all agree). */
int64_t sl_spart_watermark(const sl_spart *p);

#endif
