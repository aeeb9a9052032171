/* core/exec.c - the threads of a running query: one per source partition,
 * one sink thread, one coordinator (docs/ARCHITECTURE.md, sections 1-4).
 *
 * Partition threads poll their source, run the fused stateless chain and
 * push record vectors and markers into their ring. The sink thread drains
 * every ring, aligns markers (it stops reading a ring that has delivered
 * marker(e) until epoch e is committed, so each commit sees exactly epoch
 * e's rows), commits, and records progress. The coordinator is the clock:
 * epochs in continuous mode, batch plans in micro-batch mode. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"

#define SL_RING_ENTRIES 256

/* ---- partition threads --------------------------------------------------- */

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
 * result: rows read, SL_EOS_RC, or another negative code after failing the
 * query. */
static int part_step(sl_part *p, int64_t end, int64_t wait_ns,
		     uint64_t *in_rows)
{
	sl_query *q = p->q;
	sl_batch *b = NULL;
	int rc = q->src->ops->poll(&p->sp, end, wait_ns, &b);
	if (rc < 0 && rc != SL_EOS_RC) {
		sl_batch_free(b);
		sl_query_fail(q, rc, p->sp.err.msg[0] ? p->sp.err.msg
						       : "source poll failed");
		return rc;
	}
	if (!b)
		return rc;
	b->partition = p->sp.index;
	*in_rows += b->nrows;
	if (b->nrows)
		atomic_store_explicit(&q->data_avail, true,
				      memory_order_relaxed);
	sl_err err = {0};
	if (sl_chain_run(q->chain, b, &err) < 0) {
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

static void part_continuous(sl_part *p)
{
	sl_query *q = p->q;
	int64_t e_local = atomic_load(&q->epoch);
	uint64_t in_rows = 0;
	int64_t wait = poll_wait_ns(q);
	while (!atomic_load_explicit(&q->stop, memory_order_acquire)) {
		int rc = part_step(p, INT64_MAX, wait, &in_rows);
		if (rc < 0 && rc != SL_EOS_RC)
			return;
		int64_t e = atomic_load_explicit(&q->epoch,
						 memory_order_acquire);
		while (e_local < e)
			if (!push_marker(p, e_local++, &in_rows))
				return;
		if (rc == SL_EOS_RC)
			break;
	}
	/* The epoch in progress ends with the stream: commit it too. */
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
			if (rc == SL_EOS_RC) {
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

static void *part_main(void *arg)
{
	sl_part *p = arg;
	sl_query *q = p->q;
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		part_continuous(p);
	else
		part_microbatch(p);
	part_push(p, sl_batch_marker(SL_MSG_EOS, p->sp.index, 0, NULL));
	if (q->src->ops->close)
		q->src->ops->close(&p->sp);
	return NULL;
}

/* ---- progress ------------------------------------------------------------- */

typedef struct epoch_stats {
	uint64_t in_rows, out_rows;
	int64_t start_ns;  /* when the epoch/batch began */
	int64_t start_wall_us;
	int64_t *start_off, *end_off; /* per partition */
	sl_hist lat;
} epoch_stats;

static void iso_time(int64_t wall_us, char *buf, size_t n)
{
	time_t sec = (time_t)(wall_us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t l = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + l, n - l, ".%03dZ", (int)(wall_us / 1000 % 1000));
}

static json_t *offsets_json(const sl_query *q, const int64_t *off)
{
	json_t *o = json_object();
	for (uint32_t i = 0; i < q->nparts; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%u", i);
		json_object_set_new(o, k, json_integer(off[i]));
	}
	return o;
}

static void record_progress(sl_query *q, int64_t id, epoch_stats *st,
			    int64_t prev_start_ns)
{
	int64_t now = sl_now_ns();
	double exec_s = (double)(now - st->start_ns) / 1e9;
	double since_s = (double)(st->start_ns - prev_start_ns) / 1e9;
	double in_rate = since_s > 0 ? (double)st->in_rows / since_s : 0;
	double proc_rate = exec_s > 0 ? (double)st->in_rows / exec_s : 0;
	char ts[40];
	iso_time(st->start_wall_us, ts, sizeof(ts));

	json_t *src = json_pack(
		"{s:s, s:o, s:o, s:o, s:I, s:f, s:f}", "description",
		q->src->ops->name, "startOffset",
		offsets_json(q, st->start_off), "endOffset",
		offsets_json(q, st->end_off), "latestOffset",
		offsets_json(q, st->end_off), "numInputRows",
		(json_int_t)st->in_rows, "inputRowsPerSecond", in_rate,
		"processedRowsPerSecond", proc_rate);
	json_t *lat = json_pack(
		"{s:f, s:f, s:f, s:f}", "p50",
		(double)sl_hist_pct(&st->lat, 50) / 1e6, "p99",
		(double)sl_hist_pct(&st->lat, 99) / 1e6, "p99.9",
		(double)sl_hist_pct(&st->lat, 99.9) / 1e6, "max",
		(double)st->lat.max / 1e6);
	json_t *j = json_pack(
		"{s:s, s:s, s:o, s:s, s:I, s:I, s:f, s:f, s:{s:I, s:I}, "
		"s:[], s:[o], s:{s:s, s:I}, s:o}",
		"id", q->id, "runId", q->run_id, "name",
		q->name ? json_string(q->name) : json_null(), "timestamp", ts,
		"batchId", (json_int_t)id, "numInputRows",
		(json_int_t)st->in_rows, "inputRowsPerSecond", in_rate,
		"processedRowsPerSecond", proc_rate, "durationMs",
		"triggerExecution", (json_int_t)((now - st->start_ns) / 1000000),
		"addBatch", (json_int_t)((now - st->start_ns) / 1000000),
		"stateOperators", "sources", src, "sink", "description",
		q->sink.ops->name, "numOutputRows", (json_int_t)st->out_rows,
		"latencyMs", lat);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
		    : NULL;
	json_decref(j);
	if (s)
		sl_query_add_progress(q, s);
}

/* ---- the sink thread ------------------------------------------------------ */

static void sink_fail(sl_query *q, int rc, const char *what)
{
	char msg[700];
	snprintf(msg, sizeof(msg), "sink '%s' %s failed: %s",
		 q->sink.ops->name, what,
		 q->sink.err.msg[0] ? q->sink.err.msg : sl_strerror(rc));
	sl_query_fail(q, rc, msg);
}

static void *sink_main(void *arg)
{
	sl_query *q = arg;
	sl_sink *sk = &q->sink;
	uint32_t np = q->nparts;
	int64_t *mark = calloc(np, sizeof(int64_t));
	bool *eos = calloc(np, sizeof(bool));
	epoch_stats st = {0};
	st.start_off = calloc(np, sizeof(int64_t));
	st.end_off = calloc(np, sizeof(int64_t));
	for (uint32_t i = 0; i < np; i++) {
		mark[i] = -1;
		/* open_offset, not sp.offset: the partition thread is
		 * already running and owns sp. */
		st.start_off[i] = st.end_off[i] = q->parts[i].open_offset;
	}
	int64_t prev_start = q->start_ns; /* set before the threads */
	st.start_ns = prev_start;
	st.start_wall_us = sl_wall_us();
	int64_t committed = -1;
	bool failed = false;

	while (!atomic_load_explicit(&q->cancel, memory_order_acquire)) {
		bool moved = false;
		for (uint32_t i = 0; i < np && !failed; i++) {
			/* A ring that delivered marker(e) waits until e is
			 * committed: that is the alignment. */
			while (!eos[i] && mark[i] <= committed) {
				sl_batch *b = sl_chan_try_pop_spsc(
					q->parts[i].ch);
				if (!b)
					break;
				moved = true;
				if (b->kind == SL_MSG_ROWS) {
					sl_hist_add(&st.lat,
						    sl_now_ns() - b->ingest_ns,
						    b->nrows);
					st.out_rows += b->nrows;
					/* the epoch these rows belong to */
					b->epoch = committed + 1;
					int rc = sk->ops->write(sk, b);
					if (rc < 0) {
						sl_batch_free(b);
						sink_fail(q, rc, "write");
						failed = true;
						break;
					}
					if (rc == 0)
						sl_batch_free(b);
					continue;
				}
				if (b->kind == SL_MSG_MARKER) {
					mark[i] = b->epoch;
					st.in_rows += b->in_rows;
					st.start_off[i] = b->start_offset;
					st.end_off[i] = b->end_offset;
				} else if (b->kind == SL_MSG_EOS) {
					eos[i] = true;
				}
				sl_batch_free(b);
			}
		}
		if (failed)
			break;
		/* Commit every epoch that all live partitions have ended. */
		for (;;) {
			int64_t next = committed + 1;
			bool all = true, any = false;
			for (uint32_t i = 0; i < np; i++) {
				if (mark[i] >= next)
					any = true;
				else if (!eos[i])
					all = false;
			}
			if (!all || !any)
				break;
			atomic_store(&q->status, SL_QS_PROCESSING);
			int rc = sk->ops->commit(sk, next);
			if (rc < 0) {
				sink_fail(q, rc, "commit");
				failed = true;
				break;
			}
			for (uint32_t h = 0; h < SL_HIST_BUCKETS; h++)
				q->lat_total.b[h] += st.lat.b[h];
			q->lat_total.count += st.lat.count;
			if (st.lat.max > q->lat_total.max)
				q->lat_total.max = st.lat.max;
			record_progress(q, next, &st, prev_start);
			committed = next;
			/* release: the coordinator that reads committed
			 * also sees every partition's state up to marker
			 * (next), which we acquired through the rings. */
			atomic_store_explicit(&q->committed, committed,
					      memory_order_release);
			sl_waiter_wake(&q->coord_wake);
			prev_start = st.start_ns;
			st.start_ns = sl_now_ns();
			st.start_wall_us = sl_wall_us();
			st.in_rows = st.out_rows = 0;
			memset(&st.lat, 0, sizeof(st.lat));
			for (uint32_t i = 0; i < np; i++)
				st.start_off[i] = st.end_off[i];
			moved = true;
		}
		if (failed)
			break;
		bool all_eos = true;
		for (uint32_t i = 0; i < np; i++)
			all_eos &= eos[i];
		if (all_eos)
			break;
		if (moved)
			continue;
		uint32_t t = sl_waiter_prepare(&q->sink_wake);
		bool ready = false;
		for (uint32_t i = 0; i < np; i++)
			if (!eos[i] && mark[i] <= committed &&
			    sl_chan_size(q->parts[i].ch))
				ready = true;
		if (!ready)
			sl_waiter_wait(&q->sink_wake, t, 100 * 1000000LL);
	}
	free(mark);
	free(eos);
	free(st.start_off);
	free(st.end_off);
	atomic_store(&q->sink_done, true);
	/* The stream is over downstream: end the query. */
	atomic_store(&q->stop, true);
	sl_waiter_wake(&q->coord_wake);
	return NULL;
}

/* ---- the coordinator ------------------------------------------------------ */

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

static void coord_continuous(sl_query *q)
{
	int64_t interval = q->trig.interval_ms * 1000000LL;
	int64_t next = sl_now_ns() + interval;
	atomic_store(&q->status, SL_QS_PROCESSING);
	while (!atomic_load(&q->stop)) {
		coord_sleep_until(q, next);
		if (atomic_load(&q->stop))
			break;
		/* release: sources that see the new epoch number need nothing
		 * else from us; the order only matters against stop. */
		atomic_fetch_add_explicit(&q->epoch, 1, memory_order_release);
		next += interval;
		int64_t now = sl_now_ns();
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
	for (int64_t n = 0; !atomic_load(&q->stop);) {
		if (kind == SL_TRIG_PROCESSING && interval > 0) {
			atomic_store(&q->status, SL_QS_WAIT_TRIGGER);
			coord_sleep_until(q, next_trigger);
			if (atomic_load(&q->stop))
				break;
			int64_t now = sl_now_ns();
			next_trigger += interval;
			if (next_trigger < now)
				next_trigger = now; /* late: start at once */
		}
		bool any = false;
		for (uint32_t i = 0; i < q->nparts; i++) {
			sl_part *p = &q->parts[i];
			int64_t end = ops->latest(&p->sp, n);
			if (kind == SL_TRIG_AVAILABLE_NOW && end > p->avail_end)
				end = p->avail_end;
			p->plan_end = end;
			if (end > p->sp.offset)
				any = true;
		}
		atomic_store(&q->data_avail, any);
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
		for (uint32_t i = 0; i < q->nparts; i++) {
			/* release: publishes plan_end with the batch id */
			atomic_store_explicit(&q->parts[i].plan_batch, n,
					      memory_order_release);
			sl_waiter_wake(&q->parts[i].wake);
		}
		if (!coord_wait_commit(q, n))
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
static void *coord_main(void *arg)
{
	sl_query *q = arg;
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		coord_continuous(q);
	else
		coord_microbatch(q);
	atomic_store(&q->stop, true);
	atomic_store(&q->plans_done, true);
	for (uint32_t i = 0; i < q->nparts; i++)
		sl_waiter_wake(&q->parts[i].wake);
	for (uint32_t i = 0; i < q->nparts; i++)
		pthread_join(q->parts[i].th, NULL);
	pthread_join(q->sink_th, NULL);
	/* Anything left in a ring after a failure. */
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_batch *b;
		while ((b = sl_chan_try_pop_spsc(q->parts[i].ch)))
			sl_batch_free(b);
	}
	if (q->sink.ops->destroy)
		q->sink.ops->destroy(&q->sink);
	atomic_store(&q->status, SL_QS_STOPPED);
	sl_session *s = q->session;
	pthread_mutex_lock(&s->lock);
	atomic_store(&q->active, false);
	pthread_cond_broadcast(&s->ended);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- start and join ---------------------------------------------------------- */

int sl_exec_start(sl_query *q, sl_err *err)
{
	const sl_source_ops *ops = q->src->ops;
	q->nparts = q->src->nparts ? q->src->nparts : 1;
	q->parts = calloc(q->nparts, sizeof(sl_part));
	sl_waiter_init(&q->sink_wake);
	sl_waiter_init(&q->coord_wake);
	pthread_mutex_init(&q->join_lock, NULL);
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_part *p = &q->parts[i];
		p->q = q;
		p->sp.src = q->src;
		p->sp.index = i;
		sl_waiter_init(&p->wake);
		atomic_init(&p->plan_batch, -1);
		p->ch = sl_chan_new(SL_RING_ENTRIES, &q->sink_wake);
		/* Opened here, before any thread exists, so open errors reach
		 * the caller of start and the coordinator may read offsets. */
		if (ops->open && ops->open(&p->sp) < 0) {
			for (uint32_t k = 0; k < i; k++)
				if (ops->close)
					ops->close(&q->parts[k].sp);
			return sl_err_set(err, p->sp.err.code ? p->sp.err.code
							      : SL_EINVAL,
					  "source '%s' partition %u: %s",
					  ops->name, i, p->sp.err.msg);
		}
		p->start_offset = p->open_offset = p->sp.offset;
	}
	q->start_wall_us = sl_wall_us();
	q->start_ns = sl_now_ns();
	atomic_store(&q->active, true);
	atomic_store(&q->status, SL_QS_INIT);
	for (uint32_t i = 0; i < q->nparts; i++)
		pthread_create(&q->parts[i].th, NULL, part_main, &q->parts[i]);
	pthread_create(&q->sink_th, NULL, sink_main, q);
	pthread_create(&q->coord_th, NULL, coord_main, q);
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
