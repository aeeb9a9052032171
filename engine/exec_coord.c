/* engine/exec_coord.c - a running query's coordinator thread, its clock
 * (docs/ARCHITECTURE.md, sections 1 and 3): epochs in continuous mode,
 * batch plans in micro-batch mode, the checkpoint's writes at their points
 * (engine/exec_checkpoint.c), and a dynamic source's membership events,
 * starting a slot's partition thread (engine/exec_part.c) when the slot is
 * assigned and ending it when it is revoked. When the stream ends it joins
 * the partition and sink threads and releases the query. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec_internal.h"

static void coord_sleep_until(sl_query *q, int64_t deadline_ns)
{
	for (;;) {
		int64_t now = sl_now_ns();
		if (now >= deadline_ns || atomic_load(&q->stop))
			return;
		uint32_t t = sl_waiter_prepare(&q->coord_wake);
		if (atomic_load(&q->stop))
			return;
		sl_waiter_wait(&q->coord_wake, t, deadline_ns - now);
	}
}

/* ---- dynamic partitions ------------------------------------------------- */

/* How long giving a partition up waits for what its thread read to be
 * committed and checkpointed. Normally one epoch's trip through the sink
 * (the revocation closes the epoch at once); past this, the partition is
 * given up anyway and its next reader repeats the uncommitted rows
 * (at-least-once either way). Well below the group's rebalance timeout
 * (Kafka's max.poll.interval.ms, 5 minutes by default). */
#define SL_REVOKE_WAIT_NS (10 * 1000000000LL)

/* sl_source.wake: any thread (a librdkafka queue event). */
void sl_exec_source_wake(void *arg)
{
	sl_query *q = arg;

	/* release: pairs with the coordinator's exchange; the flag is
	 * set before the wake, so a coordinator about to park sees it. */
	atomic_store_explicit(&q->src_events, true, memory_order_release);
	sl_waiter_wake(&q->coord_wake);
}

/* sl_source_ctl.start: opens the slot and starts its thread. */
static int slot_assign(sl_source_ctl *ctl, uint32_t slot)
{
	sl_query *q = ctl->engine;
	const sl_source_ops *ops = q->src->ops;
	sl_part *p;
	char msg[700];
	int rc;

	if (slot >= q->nparts)
		return SL_EINVAL;
	p = &q->parts[slot];
	if (p->running)
		return 0;
	memset(&p->sp.err, 0, sizeof(p->sp.err));
	if (ops->open && (rc = ops->open(&p->sp)) < 0) {
		snprintf(msg, sizeof(msg), "source '%s' partition %u: %s",
			 ops->name, slot, p->sp.err.msg);
		sl_query_fail(q, p->sp.err.code ? p->sp.err.code : rc, msg);
		return rc;
	}
	p->start_offset = p->sp.offset;
	atomic_store_explicit(&p->position, p->sp.offset, memory_order_relaxed);
	/* relaxed: no thread of this slot runs; pthread_create orders it */
	atomic_store_explicit(&p->revoke, false, memory_order_relaxed);
	if ((rc = pthread_create(&p->th, NULL, sl_exec_part_main, p))) {
		if (ops->close)
			ops->close(&p->sp);
		snprintf(msg, sizeof(msg),
			 "source '%s' partition %u: cannot start its thread: "
			 "%s",
			 ops->name, slot, strerror(rc));
		sl_query_fail(q, -rc, msg);
		return -rc;
	}
	p->running = true;
	return 0;
}

/* After slot_revoke ended the threads of slots[0..n): waits, at most
 * SL_REVOKE_WAIT_NS, until the checkpointed end offsets (or, without a
 * checkpoint, those the source's commit was given) of every slot reach
 * want[k], where its thread stopped. This thread writes the checkpoint,
 * so it writes what the sink hands over meanwhile
 * (sl_exec_checkpoint_write_handoff, which also tells the source: its
 * commit), while the source still owns the slots. */
static void slot_wait_committed(sl_query *q, const uint32_t *slots,
				const int64_t *want, uint32_t n)
{
	int64_t deadline = sl_now_ns() + SL_REVOKE_WAIT_NS;

	for (;;) {
		uint32_t t = sl_waiter_prepare(&q->coord_wake);
		bool done = true;

		if (sl_exec_checkpoint_handoff_pending(q)) {
			if (sl_exec_checkpoint_write_handoff(q, false) < 0)
				return;
			continue;
		}
		/* checkpointed_* are written by this thread only */
		for (uint32_t k = 0; k < n; k++)
			if (want[k] >= 0 &&
			    (q->checkpointed_epoch < 0 ||
			     q->checkpointed_end[slots[k]] < want[k]))
				done = false;
		int64_t now = sl_now_ns();
		if (done || now >= deadline || atomic_load(&q->stop) ||
		    atomic_load(&q->sink_done))
			return;
		sl_waiter_wait(&q->coord_wake, t, deadline - now);
	}
}

/* sl_source_ctl.stop: ends the threads of slots[0..n) and closes them. */
static void slot_revoke(sl_source_ctl *ctl, const uint32_t *slots, uint32_t n)
{
	sl_query *q = ctl->engine;
	int64_t *want = calloc(n ? n : 1, sizeof(*want));
	bool any = false;

	for (uint32_t k = 0; k < n; k++) {
		if (want)
			want[k] = -1;
		if (slots[k] >= q->nparts || !q->parts[slots[k]].running)
			continue;
		/* release: pairs with part_revoked's acquire */
		atomic_store_explicit(&q->parts[slots[k]].revoke, true,
				      memory_order_release);
		sl_waiter_wake(&q->parts[slots[k]].wake);
		any = true;
	}
	if (!any) {
		free(want);
		return;
	}
	/* The epoch those threads are in ends now rather than at the next
	 * tick, so what they read is committed soon: they mark it as they
	 * leave, the other partitions when they see the new number. */
	atomic_fetch_add_explicit(&q->epoch, 1, memory_order_release);
	for (uint32_t k = 0; k < n; k++) {
		if (slots[k] >= q->nparts || !q->parts[slots[k]].running)
			continue;
		sl_part *p = &q->parts[slots[k]];

		pthread_join(p->th, NULL);
		p->running = false;
		/* the join ordered the thread's last offset before this */
		if (want)
			want[k] = p->sp.offset;
		if (q->src->ops->close)
			q->src->ops->close(&p->sp);
		atomic_store_explicit(&p->position, -1, memory_order_relaxed);
	}
	if (want)
		slot_wait_committed(q, slots, want, n);
	free(want);
}

/* Serves the dynamic source's membership events. Returns 0, or < 0 after
 * failing the query. */
static int coord_rebalance(sl_query *q)
{
	sl_source_ctl ctl = { .start = slot_assign,
			      .stop = slot_revoke,
			      .engine = q };
	sl_err err = { 0 };
	int rc;

	/* acquire: pairs with sl_exec_source_wake; cleared before the call,
	 * so an event arriving during it wakes us for another one. */
	atomic_exchange_explicit(&q->src_events, false, memory_order_acquire);
	rc = q->src->ops->rebalance(q->src, &ctl, &err);
	if (rc < 0)
		sl_query_fail(q, err.code ? err.code : rc,
			      err.msg[0] ? err.msg : "source rebalance failed");
	return rc;
}

/* Continuous: every interval, the next epoch; in between, the checkpoint
 * of every epoch the sink thread hands over (it wakes us), and a dynamic
 * source's membership events (it wakes us too). */
static void coord_continuous(sl_query *q)
{
	int64_t interval = q->trig.interval_ms * 1000000LL;
	int64_t next = sl_now_ns() + interval;
	atomic_store(&q->status, SL_QS_PROCESSING);
	while (!atomic_load(&q->stop)) {
		if (q->dynamic_parts && coord_rebalance(q) < 0)
			break;
		for (;;) {
			uint32_t t = sl_waiter_prepare(&q->coord_wake);
			if (atomic_load(&q->stop) ||
			    sl_exec_checkpoint_handoff_pending(q) ||
			    atomic_load_explicit(&q->src_events,
						 memory_order_acquire))
				break;
			int64_t now = sl_now_ns();
			if (now >= next)
				break;
			sl_waiter_wait(&q->coord_wake, t, next - now);
		}
		if (atomic_load(&q->stop))
			break;
		if (sl_exec_checkpoint_write_handoff(q, false) < 0)
			break;
		int64_t now = sl_now_ns();
		if (now < next)
			continue;
		/* release: sources that see the new epoch number need nothing
		 * else from us; the order only matters against stop. */
		atomic_fetch_add_explicit(&q->epoch, 1, memory_order_release);
		next += interval;
		if (next < now) /* fell behind: skip, don't burst */
			next = now + interval;
	}
}

/* Waits until batch n is committed or the sink is gone. */
static bool coord_wait_commit(sl_query *q, int64_t n)
{
	for (;;) {
		uint32_t t = sl_waiter_prepare(&q->coord_wake);
		if (atomic_load_explicit(&q->committed, memory_order_acquire) >=
		    n)
			return true;
		if (atomic_load(&q->sink_done) || atomic_load(&q->cancel))
			return false;
		sl_waiter_wait(&q->coord_wake, t, 100 * 1000000LL);
	}
}

static void coord_microbatch(sl_query *q)
{
	const sl_source_ops *ops = q->src->ops;
	sl_trigger_kind kind = q->trig.kind;
	int64_t interval = q->trig.interval_ms * 1000000LL;
	int64_t backoff = 250000; /* 0.25 ms, doubling to 10 ms when idle */
	int64_t next_trigger = sl_now_ns();
	if (kind == SL_TRIG_AVAILABLE_NOW)
		for (uint32_t i = 0; i < q->nparts; i++)
			q->parts[i].avail_end =
				ops->latest(&q->parts[i].sp, -1);
	for (int64_t n = q->first_epoch; !atomic_load(&q->stop);) {
		/* A batch logged but not committed before a restart runs
		 * again first, with exactly its logged end offsets, so the
		 * sink sees the same batch under the same id. */
		bool rerun = q->inflight && n == q->first_epoch;
		if (kind == SL_TRIG_PROCESSING && interval > 0 && !rerun) {
			atomic_store(&q->status, SL_QS_WAIT_TRIGGER);
			coord_sleep_until(q, next_trigger);
			if (atomic_load(&q->stop))
				break;
			int64_t now = sl_now_ns();
			next_trigger += interval;
			if (next_trigger < now)
				next_trigger = now; /* late: start at once */
		}
		bool any = rerun;
		for (uint32_t i = 0; i < q->nparts; i++) {
			sl_part *p = &q->parts[i];
			int64_t end;
			if (rerun) {
				end = q->inflight_end[i] == INT64_MIN
					      ? p->sp.offset
					      : q->inflight_end[i];
			} else {
				end = ops->latest(&p->sp, n);
				if (kind == SL_TRIG_AVAILABLE_NOW &&
				    end > p->avail_end)
					end = p->avail_end;
			}
			p->plan_end = end;
			if (end > p->sp.offset)
				any = true;
		}
		atomic_store(&q->data_avail, any);
		/* Spark's batch without data: a group-state timeout is due,
		 * so a batch runs to fire it although no source has rows */
		int64_t due = atomic_load(&q->idle_due_us);
		if (!any && due > 0 && sl_wall_us() >= due &&
		    kind != SL_TRIG_ONCE && kind != SL_TRIG_AVAILABLE_NOW)
			any = true;
		if (!any) {
			if (kind == SL_TRIG_ONCE || kind == SL_TRIG_AVAILABLE_NOW)
				break;
			atomic_store(&q->status, SL_QS_WAIT_DATA);
			if (kind == SL_TRIG_DEFAULT) {
				coord_sleep_until(q, sl_now_ns() + backoff);
				if (backoff < 10000000)
					backoff *= 2;
			}
			continue;
		}
		backoff = 250000;
		atomic_store(&q->status, SL_QS_PROCESSING);
		/* offsets/n is on disk before any partition reads batch n */
		if (sl_exec_checkpoint_plan(q, n) < 0)
			break;
		for (uint32_t i = 0; i < q->nparts; i++) {
			/* release: publishes plan_end with the batch id */
			atomic_store_explicit(&q->parts[i].plan_batch, n,
					      memory_order_release);
			sl_waiter_wake(&q->parts[i].wake);
		}
		if (!coord_wait_commit(q, n))
			break;
		if (sl_exec_checkpoint_batch_committed(q, n) < 0)
			break;
		n++;
		if (kind == SL_TRIG_ONCE)
			break;
		if (kind == SL_TRIG_AVAILABLE_NOW) {
			bool done = true;
			for (uint32_t i = 0; i < q->nparts; i++)
				if (q->parts[i].sp.offset <
				    q->parts[i].avail_end)
					done = false;
			if (done)
				break;
		}
	}
}

/* The coordinator outlives the other threads of its query: when the stream
 * ends it joins them, releases the sink and marks the query inactive, so a
 * query that ends by itself (once, availableNow, a failure) is reaped
 * without anyone calling stop. */
static void coord_run(void *arg)
{
	sl_query *q = arg;
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		coord_continuous(q);
	else
		coord_microbatch(q);
}

static void coord_final_commit(void *arg)
{
	sl_query *q = arg;
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		sl_exec_checkpoint_write_handoff(q, true);
	if (q->src->ops->commit && q->checkpointed_epoch >= 0)
		q->src->ops->commit(q->src, q->checkpointed_end, q->nparts,
				    true);
}

static void coord_sink_destroy(void *arg)
{
	sl_query *q = arg;
	q->sink.ops->destroy(&q->sink);
}

void *sl_exec_coord_main(void *arg)
{
	sl_query *q = arg;
	sl_log_bind(&q->session->log);
	/* Out of memory while planning or checkpointing: the query fails
	 * and ends below as after any failure. */
	if (sl_oom_call(coord_run, q) == SL_ENOMEM)
		sl_query_fail_oom(q, "coordinator thread");
	atomic_store(&q->stop, true);
	atomic_store(&q->plans_done, true);
	for (uint32_t i = 0; i < q->nparts; i++)
		sl_waiter_wake(&q->parts[i].wake);
	for (uint32_t i = 0; i < q->nparts; i++) {
		if (q->parts[i].running)
			pthread_join(q->parts[i].th, NULL);
		q->parts[i].running = false;
	}
	/* release: the sink thread, seeing it, drains what they pushed */
	atomic_store_explicit(&q->parts_final, true, memory_order_release);
	sl_waiter_wake(&q->sink_wake);
	pthread_join(q->sink_th, NULL);
	/* Continuous: the last epochs the sink committed (the final one of
	 * a stop among them) are checkpointed before the query ends, so a
	 * planned restart repeats nothing. Micro-batch committed each batch
	 * already. Then the source hears the last commit once more, this
	 * time waiting for it: the earlier calls may still be on their way
	 * when the source is destroyed. */
	if (sl_oom_call(coord_final_commit, q) == SL_ENOMEM)
		sl_query_fail_oom(q, "coordinator thread");
	sl_exec_checkpoint_release(q);
	/* Anything left in a ring after a failure. */
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_batch *b;
		while ((b = sl_chan_try_pop_spsc(q->parts[i].ch)))
			sl_batch_free(b);
	}
	if (q->sink.ops->destroy &&
	    sl_oom_call(coord_sink_destroy, q) == SL_ENOMEM)
		sl_query_fail_oom(q, "coordinator thread, releasing the sink");
	/* Last, once no batch that may hold a source's buffers is left. */
	if (q->src->ops->close)
		for (uint32_t i = 0; i < q->nparts; i++)
			q->src->ops->close(&q->parts[i].sp);
	/* A dynamic source gives its slots up now, not when the session
	 * ends: other members take them over at once. */
	if (q->dynamic_parts && q->src->ops->leave)
		q->src->ops->leave(q->src);
	atomic_store(&q->status, SL_QS_STOPPED);
	sl_session *s = q->session;
	pthread_mutex_lock(&s->lock);
	atomic_store(&q->active, false);
	pthread_cond_broadcast(&s->ended);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}
