/* engine/stateful_part.c - an aggregation on several stateful partitions
 * (engine/stateful_part.h): the worker threads and the protocol between the
 * sink thread and them.
 *
 * Each worker consumes one SPSC ring. The sink thread pushes row vectors
 * (shallow: their values point into the record vector the sink holds
 * until the next emit) and, at the end of a batch, the worker's command
 * marker; the ring's release/acquire orders the command's parameters
 * before the worker reads them, and the FIFO puts every row of the batch
 * before the command. A worker that ran a command publishes its results,
 * then increments `done` (release); the sink thread waits until `done`
 * has grown by one per worker (acquire), which orders every result, and
 * every use the worker made of its operator, before the sink reads them.
 * The sink thread pushes the next command only after that, so a worker's
 * fields are never written and read at once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/chan.h"
#include "engine/stateful_part.h"
#include "sluice.h"

#define RING 64

enum { CMD_EMIT = 1, CMD_END };

struct sworker {
	struct sl_spart *p;
	pthread_t th;
	bool started;
	sl_chan *ch;
	sl_waiter wake; /* the worker parks here; the ring wakes it */
	sl_groupby *op;
	sl_batch *cmdb; /* its command marker: pushed, never freed by it */
	/* the command, written by the sink thread before the push */
	int cmd;
	int64_t epoch, wm;
	bool want_delta;
	/* the results, written by the worker before `done` */
	sl_batch *out;
	sl_groupby_stats st;
	sl_buf delta;
	bool seen;
	int64_t max_event;
	int rc;
	sl_err err;
	sl_batch *cur; /* the row vector being applied */
};

struct sl_spart {
	sl_stateful_op base; /* first: the instance of ops/operator.h */
	sl_groupby_spec spec;
	uint32_t n;
	struct sworker *w;
	const _Atomic bool *cancel;
	sl_batch **sub;	 /* per partition: the vector being filled */
	sl_batch **held; /* record vectors whose values the rings borrow */
	uint32_t nheld, capheld;
	sl_waiter done_wake;   /* the sink thread parks here */
	_Atomic uint64_t done; /* commands completed, over all workers */
	uint64_t sent;	       /* commands sent (sink thread only) */
	_Atomic bool quit;
	/* the last emit's, for the interface's stats and delta */
	sl_groupby_stats emitted;
	sl_buf *deltas; /* per partition */
};

static const sl_stateful_op_ops spart_stateful_ops;

static void worker_command(struct sworker *w)
{
	if (w->cmd == CMD_END) {
		sl_groupby_end_batch(w->op, w->wm);
		return;
	}
	w->out = NULL;
	sl_groupby_emit(w->op, w->epoch, &w->out);
	sl_groupby_stats_get(w->op, &w->st);
	w->delta.len = 0;
	if (w->want_delta)
		sl_groupby_delta(w->op, w->epoch, &w->delta);
	w->seen = sl_groupby_max_event_time(w->op, &w->max_event);
}

static void worker_update(void *arg)
{
	struct sworker *w = arg;
	w->rc = sl_groupby_update(w->op, w->cur, &w->err);
}

static void worker_command_run(void *arg)
{
	worker_command(arg);
}

/* An allocation failed in the worker's update or command (core/alloc.h):
 * the round reports it (run_round), the query fails with it. */
static void worker_oom(struct sworker *w)
{
	w->rc = sl_err_set(&w->err, SL_ENOMEM,
			   "out of memory: a stateful partition's thread "
			   "could not allocate %zu bytes",
			   sl_oom_bytes());
}

static void *worker_main(void *arg)
{
	struct sworker *w = arg;
	struct sl_spart *p = w->p;
	for (;;) {
		sl_batch *b = sl_chan_try_pop_spsc(w->ch);
		if (!b) {
			uint32_t t = sl_waiter_prepare(&w->wake);
			b = sl_chan_try_pop_spsc(w->ch);
			if (!b) {
				/* acquire: pairs with the release in free;
				 * nothing is pushed after quit */
				if (atomic_load_explicit(&p->quit,
							 memory_order_acquire))
					return NULL;
				sl_waiter_wait(&w->wake, t, -1);
				continue;
			}
		}
		if (b != w->cmdb) {
			w->cur = b;
			if (!w->rc && sl_oom_call(worker_update, w))
				worker_oom(w);
			sl_batch_free(b); /* its values were borrowed */
			continue;
		}
		/* After a failed update the table may be half-updated: no
		 * command reads it; the round reports the failure. */
		if (!w->rc && sl_oom_call(worker_command_run, w))
			worker_oom(w);
		/* release: the results and the operator's state, before the
		 * sink thread reads them (acquire in wait_done) */
		atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
		sl_waiter_wake(&p->done_wake);
	}
}

static void free_batch_at(void *pp)
{
	sl_batch **b = pp;
	sl_batch_free(*b);
	*b = NULL;
}

static void spart_free_v(void *p)
{
	sl_spart_free(p);
}

sl_spart *sl_spart_new(const sl_groupby_spec *spec, uint32_t n, sl_arena *plan,
		       const _Atomic bool *cancel, sl_err *err)
{
	sl_spart *p = sl_xcalloc(1, sizeof(*p));
	p->base = (sl_stateful_op){ .ops = &spart_stateful_ops, .nparts = n };
	p->spec = *spec;
	p->n = n;
	p->cancel = cancel;
	p->w = calloc(n, sizeof(*p->w));
	p->sub = calloc(n, sizeof(*p->sub));
	p->deltas = calloc(n, sizeof(*p->deltas));
	if (!p->w || !p->sub || !p->deltas) {
		free(p->w);
		free(p->sub);
		free(p->deltas);
		free(p);
		sl_oom_raise(n * sizeof(*p->w));
	}
	sl_waiter_init(&p->done_wake);
	atomic_init(&p->done, 0);
	atomic_init(&p->quit, false);
	/* freed by an unwind (core/alloc.h) until it is returned */
	sl_oom_defer(spart_free_v, p);
	for (uint32_t i = 0; i < n; i++) {
		struct sworker *w = &p->w[i];
		w->p = p;
		w->op = sl_groupby_new(spec, plan, err);
		if (!w->op) {
			sl_oom_undefer(p);
			sl_spart_free(p);
			return NULL;
		}
		sl_waiter_init(&w->wake);
		w->ch = sl_chan_new(RING, &w->wake);
		w->cmdb = sl_batch_marker(SL_MSG_MARKER, i, -1, NULL);
	}
	/* nothing allocates from here on */
	sl_oom_undefer(p);
	for (uint32_t i = 0; i < n; i++) {
		struct sworker *w = &p->w[i];
		if (pthread_create(&w->th, NULL, worker_main, w)) {
			sl_err_set(err, SL_EIO,
				   "cannot start stateful partition thread %u",
				   i);
			sl_spart_free(p);
			return NULL;
		}
		w->started = true;
	}
	return p;
}

static void release_held(sl_spart *p)
{
	for (uint32_t i = 0; i < p->nheld; i++)
		sl_batch_free(p->held[i]);
	p->nheld = 0;
}

void sl_spart_free(sl_spart *p)
{
	if (!p)
		return;
	/* release: pairs with the workers' acquire once their ring is
	 * empty */
	atomic_store_explicit(&p->quit, true, memory_order_release);
	for (uint32_t i = 0; i < p->n; i++) {
		struct sworker *w = &p->w[i];
		if (w->started) {
			sl_waiter_wake(&w->wake);
			pthread_join(w->th, NULL);
		}
		/* what a failed round left in the ring */
		for (sl_batch *b; w->ch && (b = sl_chan_try_pop_spsc(w->ch));)
			if (b != w->cmdb)
				sl_batch_free(b);
		sl_chan_free(w->ch);
		sl_batch_free(w->cmdb);
		sl_batch_free(w->out);
		sl_buf_free(&w->delta);
		sl_groupby_free(w->op);
		sl_batch_free(p->sub[i]);
		sl_buf_free(&p->deltas[i]);
	}
	release_held(p);
	free(p->deltas);
	free(p->held);
	free(p->sub);
	free(p->w);
	free(p);
}

sl_groupby *sl_spart_op(const sl_spart *p, uint32_t i)
{
	return p->w[i].op;
}

static int push(sl_spart *p, uint32_t i, sl_batch *b, sl_err *err)
{
	if (sl_chan_push_spsc(p->w[i].ch, b, p->cancel))
		return 0;
	return sl_err_set(err, SL_ESTOPPED,
			  "stateful partition %u: the query was cancelled", i);
}

int sl_spart_write(sl_spart *p, sl_batch *b, sl_err *err)
{
	size_t rowsz = (size_t)b->ncols * sizeof(sl_value);
	for (uint32_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);
		uint32_t i = sl_groupby_partition(&p->spec, row, p->n);
		if (!p->sub[i])
			p->sub[i] = sl_batch_new(b->schema, b->nrows);
		memcpy(sl_batch_add_row(p->sub[i]), row, rowsz);
	}
	if (p->nheld == p->capheld) {
		p->capheld = p->capheld ? p->capheld * 2 : 64;
		p->held = sl_xrealloc(p->held, p->capheld * sizeof(*p->held));
	}
	p->held[p->nheld++] = b;
	for (uint32_t i = 0; i < p->n; i++) {
		sl_batch *s = p->sub[i];
		if (!s)
			continue;
		p->sub[i] = NULL;
		if (push(p, i, s, err) < 0) {
			sl_batch_free(s);
			return SL_ESTOPPED;
		}
	}
	return 1;
}

/* Sends the command prepared in every worker and waits until all ran it. */
static int run_round(sl_spart *p, sl_err *err)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (push(p, i, p->w[i].cmdb, err) < 0)
			return SL_ESTOPPED;
	p->sent += p->n;
	for (;;) {
		/* acquire: pairs with each worker's release after its
		 * command */
		if (atomic_load_explicit(&p->done, memory_order_acquire) >=
		    p->sent)
			break;
		uint32_t t = sl_waiter_prepare(&p->done_wake);
		if (atomic_load_explicit(&p->done, memory_order_acquire) >=
		    p->sent)
			break;
		sl_waiter_wait(&p->done_wake, t, -1);
	}
	for (uint32_t i = 0; i < p->n; i++)
		if (p->w[i].rc < 0) {
			*err = p->w[i].err;
			return p->w[i].rc;
		}
	return 0;
}

int sl_spart_emit(sl_spart *p, int64_t epoch, sl_batch **out,
		  sl_groupby_stats *st, sl_buf *deltas, sl_err *err)
{
	for (uint32_t i = 0; i < p->n; i++) {
		p->w[i].cmd = CMD_EMIT;
		p->w[i].epoch = epoch;
		p->w[i].want_delta = deltas != NULL;
	}
	int rc = run_round(p, err);
	/* every row vector was consumed before the command */
	if (!rc)
		release_held(p);
	memset(st, 0, sizeof(*st));
	*out = NULL;
	for (uint32_t i = 0; i < p->n; i++) {
		struct sworker *w = &p->w[i];
		if (!w->out)
			continue;
		if (rc == 0) {
			if (!*out) {
				*out = w->out;
				w->out = NULL;
			} else {
				sl_batch_append_copy(*out, w->out);
			}
		}
		sl_batch_free(w->out);
		w->out = NULL;
		st->num_rows_total += w->st.num_rows_total;
		st->num_rows_updated += w->st.num_rows_updated;
		st->num_rows_removed += w->st.num_rows_removed;
		st->num_rows_dropped_by_watermark +=
			w->st.num_rows_dropped_by_watermark;
		st->num_late_input_rows += w->st.num_late_input_rows;
		st->num_output_rows += w->st.num_output_rows;
		st->memory_used_bytes += w->st.memory_used_bytes;
		if (deltas) {
			deltas[i].len = 0;
			if (w->delta.len)
				sl_buf_put(&deltas[i], w->delta.p,
					   w->delta.len);
		}
	}
	return rc;
}

int sl_spart_end_batch(sl_spart *p, sl_err *err)
{
	sl_watermark wm;
	sl_watermark_init(&wm, p->spec.wm_delay_us);
	wm.current_us = sl_groupby_watermark(p->w[0].op);
	for (uint32_t i = 0; i < p->n; i++)
		if (p->w[i].seen)
			sl_watermark_observe(&wm, p->w[i].max_event);
	int64_t next = sl_watermark_next(&wm);
	for (uint32_t i = 0; i < p->n; i++) {
		p->w[i].cmd = CMD_END;
		p->w[i].wm = next;
		p->w[i].seen = false;
	}
	int rc = run_round(p, err);
	if (rc < 0)
		return rc;
	return next != wm.current_us;
}

int64_t sl_spart_watermark(const sl_spart *p)
{
	return sl_groupby_watermark(p->w[0].op);
}

/* ---- the stateful operator interface (ops/operator.h) -------------------- */

sl_stateful_op *sl_spart_as_op(sl_spart *p)
{
	return &p->base;
}

/* The instance is the first member. */
static sl_spart *spart_of(const sl_stateful_op *op)
{
	return (sl_spart *)op;
}

/* Rows go to their workers' rings; b is kept until the batch's emit. */
static int spart_op_update(sl_stateful_op *op, sl_batch *b, sl_err *err)
{
	return sl_spart_write(spart_of(op), b, err);
}

/* A round of emits; each partition's delta is made by its worker, when
 * the state is stored. */
static int spart_op_emit(sl_stateful_op *op, int64_t epoch, int64_t now_us,
			 sl_batch **out, sl_err *err)
{
	sl_spart *p = spart_of(op);
	sl_batch *more = NULL;
	/* more is freed by an unwind in the merges below (core/alloc.h) */
	sl_oom_defer(free_batch_at, &more);
	int rc = sl_spart_emit(p, epoch, &more, &p->emitted,
			       op->stored ? p->deltas : NULL, err);
	if (rc < 0) {
		sl_oom_undefer(&more);
		sl_batch_free(more);
		return rc;
	}
	if (!*out) {
		sl_oom_undefer(&more);
		*out = more;
	} else if (more->nrows) {
		sl_batch_append_copy(*out, more);
	}
	sl_oom_undefer(&more);
	if (more != *out)
		sl_batch_free(more);
	return 0;
}

static int spart_op_end_batch(sl_stateful_op *op, sl_err *err)
{
	sl_spart *p = spart_of(op);
	int rc = sl_spart_end_batch(p, err);
	if (rc < 0)
		return rc;
	return rc && p->spec.mode != SL_MODE_COMPLETE;
}

static int64_t spart_op_watermark(const sl_stateful_op *op)
{
	return sl_spart_watermark(spart_of(op));
}

static void spart_op_set_watermark(sl_stateful_op *op, int64_t wm_us)
{
	sl_spart *p = spart_of(op);
	for (uint32_t i = 0; i < p->n; i++)
		sl_groupby_set_watermark(p->w[i].op, wm_us);
}

static void spart_op_stats(const sl_stateful_op *op, sl_state_stats *st)
{
	sl_groupby_state_stats(&spart_of(op)->emitted, st);
}

/* Partition i's operator, between rounds (sl_spart_op). */
static sl_stateful_op *spart_op_partition(sl_stateful_op *op, uint32_t i)
{
	return sl_groupby_as_op(sl_spart_op(spart_of(op), i));
}

static void spart_op_delta(const sl_stateful_op *op, uint32_t i,
			   int64_t version, sl_buf *out)
{
	const sl_buf *d = &spart_of(op)->deltas[i];
	sl_buf_put(out, d->p, d->len);
}

static void spart_op_destroy(sl_stateful_op *op)
{
	sl_spart_free(spart_of(op));
}

/* No snapshot or restore of its own: the state store calls them on each
 * partition's operator. */
static const sl_stateful_op_ops spart_stateful_ops = {
	.name = "stateStoreSave",
	.update = spart_op_update,
	.emit = spart_op_emit,
	.end_batch = spart_op_end_batch,
	.watermark = spart_op_watermark,
	.set_watermark = spart_op_set_watermark,
	.stats = spart_op_stats,
	.partition = spart_op_partition,
	.delta = spart_op_delta,
	.destroy = spart_op_destroy,
};
