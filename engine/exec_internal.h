/* engine/exec_internal.h - what the files of a running query's threads
 * share: engine/exec.c starts them; engine/exec_part.c (partition threads),
 * engine/exec_sink.c (the sink thread), engine/exec_coord.c (the
 * coordinator) run them; engine/exec_checkpoint.c writes the checkpoint
 * for the coordinator. Private to those files. */
#ifndef SL_ENGINE_EXEC_INTERNAL_H
#define SL_ENGINE_EXEC_INTERNAL_H

#include "engine/engine.h"

/* Thread bodies; arg is the sl_part (partition) or the sl_query. */
void *sl_exec_part_main(void *arg);
void *sl_exec_sink_main(void *arg);
void *sl_exec_coord_main(void *arg);

/* sl_source.wake of a dynamic source (any thread): the coordinator serves
 * its membership events. */
void sl_exec_source_wake(void *arg);

/* ---- the checkpoint (engine/exec_checkpoint.c), coordinator thread ------ */

/* Opens or creates the checkpoint and recovers it: where each partition
 * resumes, the first epoch. Before any partition opens. */
int sl_exec_checkpoint_start(sl_query *q, sl_err *err);
/* Closes it and frees its bookkeeping, once no thread uses them. */
void sl_exec_checkpoint_release(sl_query *q);
/* Micro-batch: offsets/n (and the source's state) before batch n runs. */
int sl_exec_checkpoint_plan(sl_query *q, int64_t n);
/* Micro-batch: commits/n once the sink committed batch n, then the
 * source's commit. */
int sl_exec_checkpoint_batch_committed(sl_query *q, int64_t n);
/* Continuous: whether the sink handed over an epoch not yet written. */
bool sl_exec_checkpoint_handoff_pending(sl_query *q);
/* Continuous: writes the newest epoch the sink handed over (always when
 * last), then the source's commit. */
int sl_exec_checkpoint_write_handoff(sl_query *q, bool last);

#endif
