/* engine/exec_part.c - a running query's partition threads, one per source
 * partition (docs/ARCHITECTURE.md, section 1): each polls its source, runs
 * the fused stateless chain (engine/stateless.c) and pushes record vectors
 * and epoch markers into its ring, which the sink thread
 * (engine/exec_sink.c) drains. The coordinator (engine/exec_coord.c) says
 * when an epoch ends (continuous) or which batch runs next (micro-batch);
 * engine/exec.c starts the threads. */
#include <stdatomic.h>

#include "engine/exec_internal.h"

static void free_batch(void *b)
{
	sl_batch_free(b);
}

/* Pushes b downstream; frees it if the query was cancelled meanwhile. */
static bool part_push(sl_part *p, sl_batch *b)
{
	if (sl_chan_push_spsc(p->ch, b, &p->q->cancel))
		return true;
	sl_batch_free(b);
	return false;
}

static bool push_marker(sl_part *p, int64_t epoch, uint64_t *in_rows)
{
	sl_batch *m = sl_batch_marker(SL_MSG_MARKER, p->sp.index, epoch, NULL);
	m->start_offset = p->start_offset;
	m->end_offset = p->sp.offset;
	m->in_rows = *in_rows;
	*in_rows = 0;
	p->start_offset = p->sp.offset;
	return part_push(p, m);
}

/* One poll of the source, the chain, and the push. Returns the poll's
 * result: rows read, SL_SOURCE_END, or another negative code after failing the
 * query. */
static int part_step(sl_part *p, int64_t end, int64_t wait_ns,
		     uint64_t *in_rows)
{
	sl_query *q = p->q;
	sl_batch *b = NULL;
	int rc2, rc = q->src->ops->poll(&p->sp, end, wait_ns, &b);
	if (rc < 0 && rc != SL_SOURCE_END) {
		sl_batch_free(b);
		sl_query_fail(q, rc, p->sp.err.msg[0] ? p->sp.err.msg
						       : "source poll failed");
		return rc;
	}
	/* Metrics: relaxed, since nothing is read on the strength of them;
	 * this thread is the only writer, so a load and a store rather than
	 * a locked add on the record path. */
	atomic_store_explicit(&p->position, p->sp.offset, memory_order_relaxed);
	if (!b)
		return rc;
	b->partition = p->sp.index;
	*in_rows += b->nrows;
	atomic_store_explicit(
		&p->rows_in,
		atomic_load_explicit(&p->rows_in, memory_order_relaxed) +
			b->nrows,
		memory_order_relaxed);
	if (b->nrows)
		atomic_store_explicit(&q->data_avail, true,
				      memory_order_relaxed);
	sl_err err = {0};
	/* freed by an unwind out of the chain (core/alloc.h) */
	sl_oom_defer(free_batch, b);
	rc2 = sl_chain_run(q->chain, b, &err);
	sl_oom_undefer(b);
	if (rc2 < 0) {
		sl_batch_free(b);
		sl_query_fail(q, err.code ? err.code : SL_EINVAL, err.msg);
		return err.code ? err.code : SL_EINVAL;
	}
	if (b->nrows)
		part_push(p, b);
	else
		sl_batch_free(b);
	return rc;
}

/* How long a poll may wait: short enough that an epoch boundary or a stop
 * is seen within a fraction of the checkpoint interval. */
static int64_t poll_wait_ns(const sl_query *q)
{
	int64_t w = 20 * 1000000LL;
	if (q->trig.kind == SL_TRIG_CONTINUOUS) {
		int64_t half = q->trig.interval_ms * 1000000LL / 2;
		if (half < w)
			w = half > 1000000 ? half : 1000000;
	}
	return w;
}

/* A dynamic partition's thread leaves when the coordinator revokes it. */
static bool part_revoked(sl_part *p)
{
	/* acquire: pairs with slot_revoke's release store; nothing else is
	 * read on the strength of it, but the order is free here. */
	return atomic_load_explicit(&p->revoke, memory_order_acquire);
}

static void part_continuous(sl_part *p)
{
	sl_query *q = p->q;
	int64_t e_local = atomic_load(&q->epoch);
	uint64_t in_rows = 0;
	int64_t wait = poll_wait_ns(q);
	while (!atomic_load_explicit(&q->stop, memory_order_acquire) &&
	       !part_revoked(p)) {
		int rc = part_step(p, INT64_MAX, wait, &in_rows);
		if (rc < 0 && rc != SL_SOURCE_END)
			return;
		int64_t e = atomic_load_explicit(&q->epoch,
						 memory_order_acquire);
		while (e_local < e)
			if (!push_marker(p, e_local++, &in_rows))
				return;
		if (rc == SL_SOURCE_END)
			break;
	}
	/* The epoch in progress ends with the stream (or with this
	 * partition's assignment): commit it too. */
	push_marker(p, e_local, &in_rows);
}

static void part_microbatch(sl_part *p)
{
	sl_query *q = p->q;
	int64_t done = -1;
	int64_t wait = poll_wait_ns(q);
	for (;;) {
		/* Park until the coordinator plans a batch we have not run. */
		int64_t n;
		for (;;) {
			uint32_t t = sl_waiter_prepare(&p->wake);
			/* acquire: pairs with the coordinator's release store
			 * of plan_batch, making plan_end visible. */
			n = atomic_load_explicit(&p->plan_batch,
						 memory_order_acquire);
			if (n > done)
				break;
			/* Only the coordinator ends a micro-batch partition:
			 * a partition that left on `stop` could miss a plan
			 * published just after, and its batch would commit
			 * without this partition's rows. */
			if (atomic_load(&q->plans_done) ||
			    atomic_load(&q->cancel))
				return;
			sl_waiter_wait(&p->wake, t, 100 * 1000000LL);
		}
		uint64_t in_rows = 0;
		bool eos = false;
		while (p->sp.offset < p->plan_end &&
		       !atomic_load_explicit(&q->cancel,
					     memory_order_relaxed)) {
			int rc = part_step(p, p->plan_end, wait, &in_rows);
			if (rc == SL_SOURCE_END) {
				eos = true;
				break;
			}
			if (rc < 0)
				return;
		}
		if (!push_marker(p, n, &in_rows))
			return;
		done = n;
		if (eos)
			return;
	}
}

static void part_run(void *arg)
{
	sl_part *p = arg;
	sl_query *q = p->q;
	sl_expr_thread_partition((int32_t)p->sp.index);
	if (q->dynamic_parts) {
		/* Before any row: the sink counts this partition from here
		 * on, from the offset open set. */
		sl_batch *a =
			sl_batch_marker(SL_MSG_ATTACH, p->sp.index, 0, NULL);
		a->start_offset = a->end_offset = p->sp.offset;
		if (!part_push(p, a))
			return;
	}
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		part_continuous(p);
	else
		part_microbatch(p);
	part_push(p, sl_batch_marker(SL_MSG_EOS, p->sp.index, 0, NULL));
}

void *sl_exec_part_main(void *arg)
{
	sl_part *p = arg;
	sl_query *q = p->q;
	sl_log_bind(&q->session->log);
	/* Out of memory in a poll or the chain: the vector being built is
	 * the source's or the chain's to free before unwinding, or lies in
	 * an arena; the query fails, and the coordinator drains the ring
	 * and closes the partition as after any failure. */
	if (sl_oom_call(part_run, p) == SL_ENOMEM)
		sl_query_fail_oom(q, "partition thread");
	/* Not closed here: the coordinator may still ask this partition for
	 * its latest offset; it closes every partition after joining us. */
	return NULL;
}
