/* engine/stateful.c - running a stateful query's operators (an
 * aggregation, a deduplication, per-group state, or an aggregation over
 * one of the other two) on the query's sink thread, as a sink that wraps
 * the real sink (engine/stateful.h; docs/STATEFUL.md, sections 7, 10 and
 * 12). It holds them as a chain of stateful operators (ops/operator.h),
 * the one rows enter first, and drives each through that interface only;
 * their state goes to the state store (engine/state_store.h). Planning
 * them is engine/stateful_plan.c. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "engine/ckpt_internal.h"
#include "engine/state_store.h"
#include "engine/stateful.h"
#include "engine/stateful_part.h"

/* ---- the stateful sink ---------------------------------------------------- */

/* One operator's figures for the progress, read by any thread under the
 * shell's lock. */
struct st_report {
	const char *name;   /* Spark's operatorName */
	uint32_t nparts;    /* its stateful partitions */
	sl_state_stats stats; /* the last committed batch's */
	int64_t commit_us;  /* its last state store commit, -1 none */
};

/* What lives as long as the session (so that status and stats stay
 * readable after the query ends): the sink ops q->sink points at, and the
 * last batch's stats, per operator in the chain's order (the top one, the
 * aggregation of a chain of two, last). */
typedef struct sl_stateful {
	sl_sink_ops ops;       /* the real sink's, with our callbacks */
	struct sl_stateful_rt *rt; /* freed when the query's sink is */
	bool fell_back;
	int64_t interval_ms;
	pthread_mutex_t lock;  /* reports */
	struct st_report *reports;
	uint32_t nops;
	uint64_t out_rows;     /* sink thread only */
} sl_stateful;

/* One operator of the chain: the operator, the frames its output goes
 * through (to the next one's input: where/select between them and the
 * aggregation's pre-projection; or, for the top one, the output
 * projection and HAVING), and its state store. */
struct st_stage {
	sl_stateful_op *op;
	const sl_schema *out_schema; /* its output, named */
	sl_chain after;
	sl_state_store store;
};

/* What a running query holds: the real sink and the chain of operators,
 * stages[0] the one rows enter. With a checkpoint (`store`) each stage's
 * state store is opened by the first write or commit (`restored`). */
typedef struct sl_stateful_rt {
	sl_sink real;
	struct st_stage *stages;
	uint32_t nops;
	bool restored;
	bool store;
	/* rows a filter at the top (a deduplication) passed on to the real
	 * sink in this batch */
	uint64_t passed_rows;
} sl_stateful_rt;

static int st_write(sl_sink *sk, sl_batch *b);
static int st_commit(sl_sink *sk, int64_t epoch);
static void st_destroy(sl_sink *sk);

static sl_stateful *shell_of(const sl_query *q)
{
	const sl_sink_ops *ops = q ? q->sink.ops : NULL;
	if (!ops || ops->write != st_write)
		return NULL;
	return (sl_stateful *)((char *)ops - offsetof(sl_stateful, ops));
}

/* The operator of frame fr; an aggregation on np stateful partitions.
 * NULL with err set. */
static sl_stateful_op *op_new(const sl_agg_frame *fr, sl_query *q,
			      uint32_t np, sl_err *err)
{
	sl_arena *a = &q->session->arena;
	if (fr->gstate) {
		sl_group_state_op *gs = sl_group_state_op_new(&fr->gspec, err);
		return gs ? sl_group_state_op_as_op(gs) : NULL;
	}
	if (fr->dedup) {
		sl_dedup *dd = sl_dedup_new(&fr->dspec, err);
		return dd ? sl_dedup_as_op(dd) : NULL;
	}
	sl_groupby_spec spec = fr->spec;
	spec.mode = (sl_output_mode)q->wconf.output_mode;
	if (np > 1) {
		sl_spart *sp = sl_spart_new(&spec, np, a, &q->cancel, err);
		return sp ? sl_spart_as_op(sp) : NULL;
	}
	sl_groupby *op = sl_groupby_new(&spec, a, err);
	return op ? sl_groupby_as_op(op) : NULL;
}

/* What sl_stateful_wrap made before an unwind (core/alloc.h). */
struct wrap_undo {
	sl_stateful_rt *rt;
	struct st_stage *stages; /* zeroed, filled in order */
	uint32_t nops;
};

static void wrap_unwind(void *arg)
{
	struct wrap_undo *u = arg;
	for (uint32_t k = 0; k < u->nops; k++) {
		sl_state_store_free(&u->stages[k].store);
		if (u->stages[k].op)
			u->stages[k].op->ops->destroy(u->stages[k].op);
	}
	free(u->stages);
	free(u->rt);
}

int sl_stateful_wrap(sl_query *q, sl_agg_frame *ag, bool fell_back,
		     sl_err *err)
{
	sl_arena *a = &q->session->arena;
	uint32_t np = sl_stateful_partitions(ag, q->wconf.stateful_partitions);
	/* the chain, from the top down: ag, the one under it, ... */
	uint32_t nops = 0;
	for (const sl_agg_frame *f = ag; f; f = sl_stateful_lower(f))
		nops++;
	const sl_agg_frame **frames =
		sl_arena_calloc(a, nops * sizeof(*frames));
	nops = 0;
	for (const sl_agg_frame *f = ag; f; f = sl_stateful_lower(f))
		frames[nops++] = f;
	sl_stateful_rt *rt = sl_xcalloc(1, sizeof(*rt));
	struct st_stage *stages = sl_try_realloc(NULL, nops * sizeof(*stages));
	if (!stages) {
		free(rt);
		sl_oom_raise(nops * sizeof(*stages));
	}
	memset(stages, 0, nops * sizeof(*stages));
	struct wrap_undo undo = { rt, stages, nops };
	sl_oom_defer(wrap_unwind, &undo);
	/* stages[k] is frames[nops - 1 - k]: the lowest enters first */
	for (uint32_t k = 0; k < nops; k++) {
		const sl_agg_frame *fr = frames[nops - 1 - k];
		stages[k].op = op_new(fr, q, k + 1 == nops ? np : 1, err);
		if (!stages[k].op) {
			sl_oom_undefer(&undo);
			while (k--)
				stages[k].op->ops->destroy(stages[k].op);
			free(stages);
			free(rt);
			return err->code ? err->code : SL_EANALYSIS;
		}
	}
	sl_stateful *sh = sl_arena_calloc(a, sizeof(*sh));
	sh->reports = sl_arena_calloc(a, nops * sizeof(*sh->reports));
	for (uint32_t k = 0; k < nops; k++) {
		const sl_agg_frame *fr = frames[nops - 1 - k];
		struct st_stage *s = &stages[k];
		s->out_schema = fr->f.schema;
		/* the frames up to the next operator's input, or to the
		 * query's top */
		if (k + 1 < nops)
			sl_stateful_chain_fill(&s->after,
					       frames[nops - 2 - k]->f.parent,
					       &fr->f, a);
		else
			sl_stateful_chain_fill(&s->after, q->frame, &fr->f, a);
		sl_state_store_init(&s->store, s->op);
		sh->reports[k] = (struct st_report){
			.name = s->op->ops->name,
			.nparts = s->op->nparts,
			.stats.batch_id = -1,
			.commit_us = -1,
		};
		/* Processing-time timeouts restored from a checkpoint fire
		 * in a first batch even if the sources stay idle: the state
		 * is restored there, and it sets when the next batch is
		 * due. */
		int64_t due;
		if (s->op->ops->due && s->op->ops->due(s->op, &due))
			atomic_store(&q->idle_due_us, 1);
	}
	sl_oom_undefer(&undo);
	rt->real = q->sink;
	rt->stages = stages;
	rt->nops = nops;
	sh->ops = *q->sink.ops;
	sh->ops.write = st_write;
	sh->ops.commit = st_commit;
	sh->ops.destroy = st_destroy;
	sh->ops.init = NULL;
	sh->rt = rt;
	sh->nops = nops;
	sh->fell_back = fell_back;
	sh->interval_ms = q->trig.interval_ms;
	pthread_mutex_init(&sh->lock, NULL);
	q->sink.ops = &sh->ops;
	q->sink.state = sh;
	q->sink.schema = frames[nops - 1]->f.parent->schema;
	return 0;
}

/* Once, on the sink thread before the first batch: opens the state store
 * of a query with a checkpoint, one per operator (operator 0 the top
 * one), and restores the last committed batch's state. exec set q->ckpt
 * and q->first_epoch (the batch after the last committed one) before the
 * threads started. */
static int st_ready(sl_sink *sk, sl_stateful_rt *rt)
{
	sl_query *q = sk->query;
	if (rt->restored)
		return 0;
	rt->restored = true;
	if (!q || !q->ckpt)
		return 0;
	int rc = 0;
	for (uint32_t k = rt->nops; k-- > 0 && !rc;)
		rc = sl_state_store_open(&rt->stages[k].store, q->ckpt,
					 rt->nops - 1 - k, q->first_epoch - 1,
					 &sk->err);
	if (rc < 0)
		return sk->err.code ? sk->err.code : SL_EINVAL;
	rt->store = true;
	for (uint32_t k = 0; k < rt->nops; k++)
		rt->stages[k].op->stored = true;
	return 0;
}

/* ---- the sink's callbacks ------------------------------------------------- */

static int feed(sl_sink *sk, sl_stateful_rt *rt, uint32_t k, sl_batch *b);

/* Output rows of stage k (b) through the frames after it: into the next
 * operator, or to the real sink (whose ownership answer we pass on). */
static int pass_on(sl_sink *sk, sl_stateful_rt *rt, uint32_t k, sl_batch *b)
{
	struct st_stage *s = &rt->stages[k];
	b->schema = s->out_schema;
	int rc = sl_chain_run(&s->after, b, &sk->err);
	if (rc < 0)
		return rc;
	if (k + 1 < rt->nops)
		return feed(sk, rt, k + 1, b);
	if (!b->nrows)
		return 0;
	rt->passed_rows += b->nrows;
	rc = rt->real.ops->write(&rt->real, b);
	if (rc < 0)
		sk->err = rt->real.err;
	return rc;
}

/* Rows into stage k. A filter's (a deduplication's) kept rows go on at
 * once. Returns 0 (b stays the caller's), 1 (taken) or < 0. */
static int feed(sl_sink *sk, sl_stateful_rt *rt, uint32_t k, sl_batch *b)
{
	sl_stateful_op *op = rt->stages[k].op;
	int rc = op->ops->update(op, b, &sk->err);
	if (rc < 0 || !op->ops->passes_rows || !b->nrows)
		return rc;
	return pass_on(sk, rt, k, b);
}

static int st_write(sl_sink *sk, sl_batch *b)
{
	sl_stateful *sh = sk->state;
	sl_stateful_rt *rt = sh->rt;
	int rc = st_ready(sk, rt);
	if (rc < 0)
		return rc;
	return feed(sk, rt, 0, b);
}

static void add_stats(sl_state_stats *t, const sl_state_stats *g)
{
	t->num_rows_total = g->num_rows_total;
	t->num_rows_updated += g->num_rows_updated;
	t->num_rows_removed += g->num_rows_removed;
	t->num_rows_dropped_by_watermark += g->num_rows_dropped_by_watermark;
	t->num_output_rows += g->num_output_rows;
	t->memory_used_bytes = g->memory_used_bytes;
}

/* Stage k's stats of the batch become its report. */
static void publish_stats(sl_stateful *sh, uint32_t k, sl_state_stats *st)
{
	struct st_report *r = &sh->reports[k];
	pthread_mutex_lock(&sh->lock);
	st->total_rows_dropped_by_watermark =
		r->stats.total_rows_dropped_by_watermark +
		st->num_rows_dropped_by_watermark;
	r->stats = *st;
	pthread_mutex_unlock(&sh->lock);
}

/* The state's bounds (maxStateRows, maxStateBytes), checked at the end
 * of each batch: past one, the query fails naming it, rather than the
 * state growing until the host runs out of memory. */
static int state_bounds(sl_sink *sk, const sl_stateful_op *op, int64_t epoch,
			const sl_state_stats *st)
{
	const sl_writer_conf *w = sk->query ? &sk->query->wconf : NULL;

	if (w && w->max_state_rows > 0 &&
	    st->num_rows_total > (uint64_t)w->max_state_rows)
		return sl_err_set(&sk->err, SL_ESTATE,
				  "stateful operator '%s' holds %llu rows of "
				  "state after batch %lld, more than "
				  "maxStateRows (%lld): raise the option, or "
				  "bound the state (a watermark on an "
				  "event-time key or window)",
				  op->ops->name,
				  (unsigned long long)st->num_rows_total,
				  (long long)epoch,
				  (long long)w->max_state_rows);
	if (w && w->max_state_bytes > 0 &&
	    st->memory_used_bytes > (uint64_t)w->max_state_bytes)
		return sl_err_set(&sk->err, SL_ESTATE,
				  "stateful operator '%s' holds %llu bytes of "
				  "state after batch %lld, more than "
				  "maxStateBytes (%lld): raise the option, or "
				  "bound the state (a watermark on an "
				  "event-time key or window)",
				  op->ops->name,
				  (unsigned long long)st->memory_used_bytes,
				  (long long)epoch,
				  (long long)w->max_state_bytes);
	return 0;
}

static void free_buf(void *b)
{
	sl_buf_free(b);
}

/* Batch `epoch` of stage k: emit, then (the watermark moved, and the
 * operator asks for it) Spark's batch without data folded into this one,
 * so that what the new watermark closes or times out comes out now rather
 * than with the next data. The output in *out (NULL: none), the state of
 * version `epoch` in segs[i] (each pass's delta of partition i, taken
 * before end_batch clears it; with a store), the stats in *st. */
static int stage_run(sl_sink *sk, struct st_stage *s, int64_t epoch,
		     sl_batch **out, sl_buf *segs, uint32_t *nseg,
		     sl_state_stats *st)
{
	sl_stateful_op *op = s->op;
	sl_buf one = { 0 };
	int64_t now = sl_wall_us();
	int rc = 0;
	sl_oom_defer(free_buf, &one); /* an unwind (core/alloc.h) */
	for (int pass = 0; pass < 2; pass++) {
		rc = op->ops->emit(op, epoch, now, out, &sk->err);
		if (rc < 0)
			break;
		sl_state_stats ps = { 0 };
		op->ops->stats(op, &ps);
		add_stats(st, &ps);
		for (uint32_t i = 0; op->stored && i < op->nparts; i++) {
			one.len = 0;
			op->ops->delta(op, i, epoch, &one);
			sl_state_store_segment(&segs[i], &nseg[i], &one);
		}
		rc = op->ops->end_batch(op, &sk->err);
		if (rc <= 0)
			break;
	}
	sl_oom_undefer(&one);
	sl_buf_free(&one);
	if (rc < 0)
		return rc;
	if ((rc = state_bounds(sk, op, epoch, st)) < 0)
		return rc;
	st->watermark_us = op->ops->watermark(op);
	st->batch_id = epoch;
	/* the coordinator runs a batch without data when the operator's
	 * next processing-time timeout is due (one that is < now fires) */
	int64_t next;
	if (op->ops->due && op->ops->due(op, &next) && sk->query)
		atomic_store(&sk->query->idle_due_us,
			     next == INT64_MAX ? 0 : next + 1);
	return 0;
}

/* Writes stage k's state of version `epoch`, timing it for the
 * progress. */
static int stage_store(sl_sink *sk, sl_stateful *sh, uint32_t k,
		       int64_t epoch, const sl_buf *segs, const uint32_t *nseg,
		       int64_t wm)
{
	int64_t t0 = sl_now_ns();
	int rc = sl_state_store_commit(&sh->rt->stages[k].store, epoch, segs,
				       nseg, wm, &sk->err);
	pthread_mutex_lock(&sh->lock);
	sh->reports[k].commit_us = (sl_now_ns() - t0) / 1000;
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

/* The top operator's output of batch `epoch` (out, taken; NULL: none,
 * its rows went on in write) through the output projection and HAVING to
 * the real sink, which then commits; the batch's stats are published. */
static void free_batch_v(void *b);

static int write_out(sl_sink *sk, sl_stateful *sh, sl_batch *out,
		     int64_t epoch, sl_state_stats *st)
{
	sl_stateful_rt *rt = sh->rt;
	struct st_stage *top = &rt->stages[rt->nops - 1];
	int rc = 0;
	if (out) {
		out->schema = top->out_schema;
		sl_oom_defer(free_batch_v, out); /* core/alloc.h */
		rc = sl_chain_run(&top->after, out, &sk->err);
		sl_oom_undefer(out);
		if (rc < 0) {
			sl_batch_free(out);
			return rc;
		}
		if (!top->after.n)
			out->schema = top->out_schema;
		out->epoch = epoch;
		out->partition = 0;
		out->ingest_ns = sl_now_ns();
	}
	sh->out_rows = rt->passed_rows + (out ? out->nrows : 0);
	rt->passed_rows = 0;
	publish_stats(sh, rt->nops - 1, st);

	sl_sink *real = &rt->real;
	if (out && out->nrows) {
		/* a write that unwinds has not taken out (core/alloc.h) */
		sl_oom_defer(free_batch_v, out);
		rc = real->ops->write(real, out);
		sl_oom_undefer(out);
		if (rc == 0)
			sl_batch_free(out);
	} else {
		sl_batch_free(out);
	}
	/* the batch's source offsets, for a sink that commits them with
	 * its output (io/plugin.h) */
	real->epoch_end = sk->epoch_end;
	if (rc >= 0)
		rc = real->ops->commit(real, epoch);
	if (rc < 0) {
		sk->err = real->err;
		return rc;
	}
	return 0;
}

/* Stage k's batch: it runs; a lower stage's output goes through the
 * frames after it into the next operator, as that batch's input, and its
 * stats are published; with a store its state of version `epoch` is
 * written. The top stage's output is left in *out. */
static void free_batch_v(void *b)
{
	sl_batch_free(b);
}

/* What stage_commit holds while it may unwind (core/alloc.h). */
struct commit_tmp {
	uint32_t n;
	sl_buf *segs;
	uint32_t *nseg;
	sl_batch **out;
};

static void commit_unwind(void *arg)
{
	struct commit_tmp *t = arg;
	for (uint32_t i = 0; t->segs && i < t->n; i++)
		sl_buf_free(&t->segs[i]);
	free(t->segs);
	free(t->nseg);
	sl_batch_free(*t->out);
	*t->out = NULL;
}

static int stage_commit(sl_sink *sk, sl_stateful *sh, uint32_t k,
			int64_t epoch, sl_batch **out, sl_state_stats *st)
{
	sl_stateful_rt *rt = sh->rt;
	struct st_stage *s = &rt->stages[k];
	uint32_t n = s->op->nparts;
	struct commit_tmp t = { .n = n, .out = out };
	sl_oom_defer(commit_unwind, &t);
	sl_buf *segs = t.segs = sl_xcalloc(n, sizeof(*segs));
	uint32_t *nseg = t.nseg = sl_xcalloc(n, sizeof(*nseg));
	int rc = stage_run(sk, s, epoch, out, segs, nseg, st);
	bool top = k + 1 == rt->nops;
	if (rc >= 0 && !top && *out) {
		rc = pass_on(sk, rt, k, *out);
		if (rc != 1)
			sl_batch_free(*out);
		*out = NULL;
	}
	if (rc >= 0 && rt->store)
		rc = stage_store(sk, sh, k, epoch, segs, nseg,
				 st->watermark_us);
	sl_oom_undefer(&t);
	for (uint32_t i = 0; i < n; i++)
		sl_buf_free(&segs[i]);
	free(segs);
	free(nseg);
	if (rc >= 0 && !top)
		publish_stats(sh, k, st);
	return rc < 0 ? rc : 0;
}

/* The end of batch N: each operator's batch from the lowest up (a lower
 * one's output feeding the next one now; a filter fed it in write), each
 * one's state of version N (operator 1's, the lower one's, before
 * operator 0's), then the output projection and the real sink. */
static int st_commit(sl_sink *sk, int64_t epoch)
{
	sl_stateful *sh = sk->state;
	sl_stateful_rt *rt = sh->rt;
	int rc = st_ready(sk, rt);
	if (rc < 0)
		return rc;
	sl_batch *out = NULL;
	sl_state_stats st = { 0 };
	for (uint32_t k = 0; k < rt->nops; k++) {
		memset(&st, 0, sizeof(st));
		rc = stage_commit(sk, sh, k, epoch, &out, &st);
		if (rc < 0) {
			sl_batch_free(out);
			return rc;
		}
	}
	return write_out(sk, sh, out, epoch, &st);
}

static void st_destroy(sl_sink *sk)
{
	sl_stateful *sh = sk->state;
	if (!sh || !sh->rt)
		return;
	sl_stateful_rt *rt = sh->rt;
	if (rt->real.ops->destroy)
		rt->real.ops->destroy(&rt->real);
	for (uint32_t k = 0; k < rt->nops; k++) {
		sl_state_store_free(&rt->stages[k].store);
		rt->stages[k].op->ops->destroy(rt->stages[k].op);
	}
	free(rt->stages);
	free(rt);
	sh->rt = NULL;
}


bool sl_stateful_status_note(const sl_query *q, char *buf, size_t n)
{
	const sl_stateful *sh = shell_of(q);
	if (!sh || !sh->fell_back)
		return false;
	snprintf(buf, n,
		 "continuous trigger on a stateful query: micro-batches "
		 "every %lld ms",
		 (long long)sh->interval_ms);
	return true;
}

int sl_query_state_stats(sl_query *q, sl_state_stats *out)
{
	sl_stateful *sh = shell_of(q);
	if (!sh) {
		sl_fail_code(q->session, SL_EINVAL,
			     "query has no aggregation: no state to report");
		return SL_EINVAL;
	}
	pthread_mutex_lock(&sh->lock);
	sl_state_stats st = sh->reports[sh->nops - 1].stats;
	pthread_mutex_unlock(&sh->lock);
	if (!sl_sized_out(out, &st, sizeof(st)))
		return sl_fail_code(q->session, SL_EINVAL,
				    "state stats: sl_state_stats.size is 0 (set "
				    "it to sizeof(sl_state_stats))");
	return 0;
}

/* One "stateOperators" entry. */
static json_t *op_progress(const char *name, const sl_state_stats *st,
			   int64_t commit_us, uint32_t nparts)
{
	json_t *op = json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"operatorName", name, "numRowsTotal",
		(json_int_t)st->num_rows_total, "numRowsUpdated",
		(json_int_t)st->num_rows_updated, "numRowsRemoved",
		(json_int_t)st->num_rows_removed, "numRowsDroppedByWatermark",
		(json_int_t)st->num_rows_dropped_by_watermark,
		"memoryUsedBytes", (json_int_t)st->memory_used_bytes,
		"numShufflePartitions", (json_int_t)nparts,
		"numStateStoreInstances", (json_int_t)nparts, "watermarkMs",
		(json_int_t)(st->watermark_us / 1000));
	/* Spark's commitTimeMs: the state store's write of the batch
	 * (with a checkpoint only) */
	if (commit_us >= 0)
		json_object_set_new(op, "commitTimeMs",
				    json_integer(commit_us / 1000));
	return op;
}

struct json_t *sl_stateful_progress(const sl_query *q)
{
	json_t *arr = json_array();
	sl_stateful *sh = shell_of(q);
	if (!sh)
		return arr;
	/* Spark's order: from the sink down, operator 0 first */
	for (uint32_t k = sh->nops; k-- > 0;) {
		pthread_mutex_lock(&sh->lock);
		struct st_report r = sh->reports[k];
		pthread_mutex_unlock(&sh->lock);
		json_array_append_new(arr, op_progress(r.name, &r.stats,
						       r.commit_us, r.nparts));
	}
	return arr;
}

bool sl_stateful_output_rows(const sl_query *q, uint64_t *rows)
{
	sl_stateful *sh = shell_of(q);
	if (!sh)
		return false;
	*rows = sh->out_rows;
	return true;
}
