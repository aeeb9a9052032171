/* engine/exec.c - starts and joins the threads of a running query: one per
 * source partition, one sink thread, one coordinator (docs/ARCHITECTURE.md,
 * sections 1-4). engine/query.c calls it once the plan is built.
 *
 * Partition threads (engine/exec_part.c) poll their source, run the fused
 * stateless chain and push record vectors and markers into their ring. The
 * sink thread (engine/exec_sink.c) drains every ring, aligns markers,
 * commits, and records progress. The coordinator (engine/exec_coord.c) is
 * the clock: epochs in continuous mode, batch plans in micro-batch mode;
 * it also writes the checkpoint (checkpointLocation,
 * engine/exec_checkpoint.c): in micro-batch mode offsets/N before batch N
 * runs and commits/N after the sink committed it; in continuous mode
 * offsets/e and commits/e once the sink thread hands it epoch e's end
 * offsets after committing e. Then the source hears of the commit (Kafka:
 * the consumer group's offsets).
 *
 * A dynamic source (sl_source.dynamic: a Kafka consumer group) has its
 * partitions assigned while the query runs. Its partitions are slots: no
 * thread runs at start; the coordinator serves the source's membership
 * events (ops->rebalance, woken through sl_source.wake) and starts a
 * slot's thread when the slot is assigned and ends it when it is revoked.
 * The thread tells the sink where it starts (SL_MSG_ATTACH) and ends with
 * its epoch's marker and SL_MSG_EOS. */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "engine/exec_internal.h"

/* Entries per partition ring. With a sink slower than its source every
 * entry is a full vector, so this times the largest vector is what a
 * partition keeps in flight: sources cap vectors by bytes as well as rows
 * (Kafka: 1 MiB, io/source_kafka.c), and 32 of them are 32 MiB. 256 let a
 * slow sink hold 256 MiB of 1 KiB records (docs/BENCHMARKS.md, "Memory
 * with a slow sink"); 32 vectors of up to 1024 rows still cover a sink's
 * pauses without blocking a source that keeps up. */
#define SL_RING_ENTRIES 32

/* A dynamic source's partitions come and go while the query runs: only
 * the continuous trigger's epochs allow that (a micro-batch plans every
 * partition's end offset; a stateful query runs micro-batches). */
static int dynamic_check(sl_query *q, sl_err *err)
{
	const sl_source_ops *ops = q->src->ops;
	char trig[64];

	if (!q->src->dynamic)
		return 0;
	if (!ops->rebalance)
		return sl_err_set(err, SL_EINVAL,
				  "source '%s' is dynamic but has no "
				  "rebalance callback",
				  ops->name);
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		return 0;
	sl_trigger_describe(&q->trig, trig, sizeof(trig));
	return sl_err_set(err, SL_EOPTION,
			  "source '%s' has its partitions assigned while the "
			  "query runs (a consumer group), which only a "
			  "stateless query with the continuous trigger "
			  "supports; this query runs micro-batches (trigger "
			  "'%s'%s): use trigger 'continuous <interval>', or "
			  "fixed partitions (for Kafka: partitionAssignment "
			  "'manual', the default)",
			  ops->name, trig,
			  q->wconf.trigger && !strncasecmp(q->wconf.trigger,
							   "continuous", 10)
				  ? ", as every stateful query does"
				  : "");
}

/* What sl_exec_start has opened, undone by an unwind (core/alloc.h). */
typedef struct exec_undo {
	sl_query *q;
	uint32_t opened; /* partitions opened */
} exec_undo;

static void exec_unwind(void *arg)
{
	exec_undo *u = arg;
	sl_query *q = u->q;
	for (uint32_t k = 0; k < u->opened; k++)
		if (q->src->ops->close)
			q->src->ops->close(&q->parts[k].sp);
	sl_exec_checkpoint_release(q);
}

int sl_exec_start(sl_query *q, sl_err *err)
{
	const sl_source_ops *ops = q->src->ops;
	int rc = dynamic_check(q, err);

	if (rc < 0)
		return rc;
	q->dynamic_parts = q->src->dynamic;
	q->nparts = q->src->nparts ? q->src->nparts : 1;
	q->parts = calloc(q->nparts, sizeof(sl_part));
	/* q->sink_wake: set up before the sink's init (engine/query.c) */
	sl_waiter_init(&q->coord_wake);
	pthread_mutex_init(&q->join_lock, NULL);
	pthread_mutex_init(&q->checkpoint_lock, NULL);
	q->checkpoint_handoff_epoch = q->checkpointed_epoch =
		q->checkpoint_commit_us = -1;
	q->checkpoint_handoff_start = calloc(q->nparts, sizeof(int64_t));
	q->checkpoint_handoff_end = calloc(q->nparts, sizeof(int64_t));
	q->checkpointed_end = calloc(q->nparts, sizeof(int64_t));
	q->inflight_end = calloc(q->nparts, sizeof(int64_t));
	if (!q->parts || !q->checkpoint_handoff_start ||
	    !q->checkpoint_handoff_end || !q->checkpointed_end ||
	    !q->inflight_end) {
		sl_exec_checkpoint_release(q);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_part *p = &q->parts[i];
		p->q = q;
		p->sp.src = q->src;
		p->sp.index = i;
		sl_waiter_init(&p->wake);
		atomic_init(&p->plan_batch, -1);
		atomic_init(&p->revoke, false);
		p->ch = sl_chan_new(SL_RING_ENTRIES, &q->sink_wake);
		if (!p->ch) {
			sl_exec_checkpoint_release(q);
			return sl_err_set(err, SL_ENOMEM,
					  "out of memory: partition %u's ring",
					  i);
		}
	}
	exec_undo undo = { .q = q };
	sl_oom_defer(exec_unwind, &undo);
	/* The checkpoint first: it says where each partition resumes
	 * (sp.resume, read by open) and which epoch comes next. */
	if (q->wconf.checkpoint) {
		rc = sl_exec_checkpoint_start(q, err);
		if (rc < 0) {
			sl_oom_undefer(&undo);
			sl_exec_checkpoint_release(q);
			return rc;
		}
	}
	/* plain stores: the threads that read them start below */
	atomic_store_explicit(&q->epoch, q->first_epoch, memory_order_relaxed);
	atomic_store_explicit(&q->committed, q->first_epoch - 1,
			      memory_order_relaxed);
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_part *p = &q->parts[i];
		/* A dynamic partition opens when it is assigned (slot_assign);
		 * until then it has no offset. */
		if (q->dynamic_parts) {
			p->start_offset = p->open_offset = -1;
			atomic_init(&p->position, -1);
			continue;
		}
		/* Opened here, before any thread exists, so open errors reach
		 * the caller of start and the coordinator may read offsets. */
		if (ops->open && ops->open(&p->sp) < 0) {
			sl_oom_undefer(&undo);
			for (uint32_t k = 0; k < i; k++)
				if (ops->close)
					ops->close(&q->parts[k].sp);
			sl_exec_checkpoint_release(q);
			return sl_err_set(err, p->sp.err.code ? p->sp.err.code
							      : SL_EINVAL,
					  "source '%s' partition %u: %s",
					  ops->name, i, p->sp.err.msg);
		}
		undo.opened = i + 1;
		p->start_offset = p->open_offset = p->sp.offset;
		atomic_init(&p->position, p->sp.offset);
	}
	sl_oom_undefer(&undo);
	q->start_wall_us = sl_wall_us();
	q->start_ns = sl_now_ns();
	atomic_store(&q->active, true);
	atomic_store(&q->status, SL_QS_INIT);
	if (q->dynamic_parts) {
		/* The coordinator starts the partitions as they are
		 * assigned; the source wakes it when that changes. */
		atomic_init(&q->src_events, false);
		q->src->wake = sl_exec_source_wake;
		q->src->wake_arg = q;
	}
	for (uint32_t i = 0; i < q->nparts && !q->dynamic_parts; i++) {
		pthread_create(&q->parts[i].th, NULL, sl_exec_part_main,
			       &q->parts[i]);
		q->parts[i].running = true;
	}
	pthread_create(&q->sink_th, NULL, sl_exec_sink_main, q);
	pthread_create(&q->coord_th, NULL, sl_exec_coord_main, q);
	q->threads_started = true;
	return 0;
}

/* Waits for the coordinator, which has joined everything else. */
void sl_exec_join(sl_query *q)
{
	pthread_mutex_lock(&q->join_lock);
	if (q->threads_started && !q->stopped) {
		pthread_join(q->coord_th, NULL);
		q->stopped = true;
	}
	pthread_mutex_unlock(&q->join_lock);
}
