/* engine/exec_sink.c - the sink thread of a running query and the progress
 * records it writes (docs/ARCHITECTURE.md, sections 2 and 4).
 *
 * The sink thread drains every partition ring, aligns markers (it stops
 * reading a ring that has delivered marker(e) until epoch e is committed,
 * so each commit sees exactly epoch e's rows), commits, and records
 * progress. In continuous mode it hands each committed epoch's offsets to
 * the coordinator (engine/exec_coord.c), which writes the checkpoint: the sink
 * thread never does file I/O. A continuous sink with durable() (Kafka)
 * commits an epoch without waiting for its I/O; the epoch waits in a
 * small queue here, and only once durable() has reached it does it count
 * as the query's committed epoch and go to the coordinator, so a
 * checkpoint never names a row the sink could still lose. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/exec_internal.h"
#include "engine/stateful.h"
/* ---- progress ------------------------------------------------------------- */

typedef struct epoch_stats {
	uint64_t in_rows, out_rows;
	int64_t start_ns;  /* when the epoch/batch began */
	int64_t start_wall_us;
	int64_t *start_off, *end_off; /* per partition */
	sl_histogram lat;
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

/* The checkpoint's part of a progress record: Spark's durationMs keys
 * walCommit (offsets/N) and commitOffsets (commits/N), and sluice's
 * "checkpoint" object: the epoch sources are in, the last epoch whose
 * checkpoint is written (continuous: the coordinator writes it just after
 * the sink committed it, so it may trail batchId by one), its end offsets
 * per partition, and how long writing it took. Runs on the sink thread:
 * the store's stats are read without its lock, so a report never waits
 * behind an fsync. */
static void ckpt_progress(sl_query *q, json_t *j, int64_t id)
{
	json_t *c = json_object();
	int64_t cur = id;

	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		/* relaxed: a number for a report; no data depends on it */
		cur = atomic_load_explicit(&q->epoch, memory_order_relaxed);
	json_object_set_new(c, "currentEpoch", json_integer(cur));
	if (q->trig.kind == SL_TRIG_CONTINUOUS && q->sink.ops->durable) {
		/* relaxed: this thread is the only writer */
		int64_t d = atomic_load_explicit(&q->committed,
						 memory_order_relaxed);
		json_object_set_new(c, "durableEpoch",
				    d >= 0 ? json_integer(d) : json_null());
	}
	pthread_mutex_lock(&q->checkpoint_lock);
	int64_t done = q->checkpointed_epoch, dur_us = q->checkpoint_commit_us;
	json_object_set_new(c, "lastCommittedEpoch",
			    done >= 0 ? json_integer(done) : json_null());
	json_object_set_new(c, "committedOffsets",
			    done >= 0 ? offsets_json(q, q->checkpointed_end)
				      : json_null());
	pthread_mutex_unlock(&q->checkpoint_lock);
	json_object_set_new(c, "lastCommitMs",
			    dur_us >= 0 ? json_real((double)dur_us / 1e3)
					: json_null());
	if (q->ckpt) {
		sl_ckpt_stats cs;
		json_t *d = json_object_get(j, "durationMs");

		sl_ckpt_get_stats(q->ckpt, &cs);
		json_object_set_new(c, "location",
				    json_string(sl_ckpt_path(q->ckpt)));
		json_object_set_new(c, "maxCommitMs",
				    json_real((double)cs.max_commit_us / 1e3));
		if (d) {
			json_object_set_new(
				d, "walCommit",
				json_integer(cs.last_offsets_us / 1000));
			json_object_set_new(
				d, "commitOffsets",
				json_integer(cs.last_commit_us / 1000));
		}
	}
	if (q->ckpt_warning[0])
		json_object_set_new(c, "warning",
				    json_string(q->ckpt_warning));
	json_object_set_new(j, "checkpoint", c);
}

/* A source with a lag callback (Kafka): Spark's source metrics
 * {min,max,avg}OffsetsBehindLatest (strings, as Spark writes them), over
 * the partitions whose lag is known now, and sluice's per-partition
 * offsetsBehindLatest. */
static void source_lag_progress(sl_query *q, json_t *src)
{
	const sl_source_ops *ops = q->src->ops;
	json_t *per;
	int64_t lo = -1, hi = -1, sum = 0, n = 0;
	char b[3][32];

	if (!ops->lag)
		return;
	per = json_object();
	for (uint32_t i = 0; i < q->nparts; i++) {
		/* relaxed: a number for a report */
		int64_t pos = atomic_load_explicit(&q->parts[i].position,
						   memory_order_relaxed);
		int64_t lag = ops->lag(q->src, i, pos);
		char k[16];

		if (lag < 0)
			continue;
		snprintf(k, sizeof(k), "%u", i);
		json_object_set_new(per, k, json_integer(lag));
		lo = lo < 0 || lag < lo ? lag : lo;
		hi = lag > hi ? lag : hi;
		sum += lag;
		n++;
	}
	json_object_set_new(src, "offsetsBehindLatest", per);
	if (!n)
		return;
	snprintf(b[0], sizeof(b[0]), "%lld", (long long)lo);
	snprintf(b[1], sizeof(b[1]), "%lld", (long long)hi);
	snprintf(b[2], sizeof(b[2]), "%.1f", (double)sum / (double)n);
	json_object_set_new(src, "metrics",
			    json_pack("{s:s, s:s, s:s}",
				      "minOffsetsBehindLatest", b[0],
				      "maxOffsetsBehindLatest", b[1],
				      "avgOffsetsBehindLatest", b[2]));
}

/* The source's own counters (sl_source_ops.metrics) into its "metrics",
 * as strings as Spark writes them. */
static void source_metrics_progress(sl_query *q, json_t *src)
{
	sl_source_metric m[16];
	uint32_t n;
	json_t *o;

	if (!q->src->ops->metrics ||
	    !(n = q->src->ops->metrics(q->src, m, 16)))
		return;
	o = json_object_get(src, "metrics");
	if (!o) {
		o = json_object();
		json_object_set_new(src, "metrics", o);
	}
	for (uint32_t i = 0; i < n; i++) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)m[i].value);
		json_object_set_new(o, m[i].name, json_string(v));
	}
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
	source_lag_progress(q, src);
	source_metrics_progress(q, src);
	json_t *lat = json_pack(
		"{s:f, s:f, s:f, s:f}", "p50",
		(double)sl_histogram_percentile(&st->lat, 50) / 1e6, "p99",
		(double)sl_histogram_percentile(&st->lat, 99) / 1e6, "p99.9",
		(double)sl_histogram_percentile(&st->lat, 99.9) / 1e6, "max",
		(double)st->lat.max / 1e6);
	/* A stateful query's sink receives what the aggregation emits. */
	uint64_t out_rows = st->out_rows;
	sl_stateful_output_rows(q, &out_rows);
	json_t *j = json_pack(
		"{s:s, s:s, s:o, s:s, s:I, s:I, s:f, s:f, s:{s:I, s:I}, "
		"s:o, s:[o], s:{s:s, s:I}, s:o}",
		"id", q->id, "runId", q->run_id, "name",
		q->name ? json_string(q->name) : json_null(), "timestamp", ts,
		"batchId", (json_int_t)id, "numInputRows",
		(json_int_t)st->in_rows, "inputRowsPerSecond", in_rate,
		"processedRowsPerSecond", proc_rate, "durationMs",
		"triggerExecution", (json_int_t)((now - st->start_ns) / 1000000),
		"addBatch", (json_int_t)((now - st->start_ns) / 1000000),
		"stateOperators", sl_stateful_progress(q), "sources", src,
		"sink", "description", q->sink.ops->name, "numOutputRows",
		(json_int_t)out_rows,
		"latencyMs", lat);
	if (j)
		ckpt_progress(q, j, id);
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

/* Continuous: the sink committed epoch e, whose partitions read
 * [start[i], end[i]); give it to the coordinator to checkpoint. A slot the
 * coordinator has not taken yet keeps its start offsets (the end of the
 * last epoch it took) and gets the newer ends: it then writes only the
 * newest epoch, covering all of them. A mutex, not a ring: once an epoch,
 * held for two memcpys, never across a file write. */
static void checkpoint_handoff(sl_query *q, int64_t e, const int64_t *start,
			       const int64_t *end)
{
	size_t sz = q->nparts * sizeof(int64_t);

	pthread_mutex_lock(&q->checkpoint_lock);
	if (q->checkpoint_handoff_epoch < 0)
		memcpy(q->checkpoint_handoff_start, start, sz);
	memcpy(q->checkpoint_handoff_end, end, sz);
	q->checkpoint_handoff_epoch = e;
	pthread_mutex_unlock(&q->checkpoint_lock);
}

/* Continuous, a sink with durable(): the epochs the sink committed that
 * are not durable yet, oldest first, each with the offsets it read
 * ([start, end) per partition). Usually one or two (deliveries take
 * milliseconds, epochs tens of them); it grows while the sink's I/O
 * stalls, until the sink's own timeout fails it. */
typedef struct durable_wait_fifo {
	uint32_t np, head, n, cap; /* pending: entries [head, head + n) */
	int64_t *epoch;
	int64_t *off; /* per entry: start[np], then end[np] */
} durable_wait_fifo;

static int64_t *durable_wait_offsets(durable_wait_fifo *f, uint32_t k)
{
	return f->off + (size_t)k * 2 * f->np;
}

static int durable_wait_push(durable_wait_fifo *f, int64_t e,
			     const int64_t *start, const int64_t *end)
{
	size_t row = 2 * (size_t)f->np * sizeof(int64_t);

	if (f->head + f->n == f->cap && f->head) {
		/* Slide the pending entries to the front. */
		memmove(f->epoch, f->epoch + f->head, f->n * sizeof(int64_t));
		memmove(f->off, durable_wait_offsets(f, f->head), f->n * row);
		f->head = 0;
	} else if (f->n == f->cap) {
		uint32_t cap = f->cap ? f->cap * 2 : 8;
		int64_t *ep = realloc(f->epoch, cap * sizeof(int64_t));

		if (ep)
			f->epoch = ep;
		int64_t *off = ep ? realloc(f->off, cap * row) : NULL;

		if (!off)
			return -ENOMEM;
		f->off = off;
		f->cap = cap;
	}
	uint32_t k = f->head + f->n++;
	f->epoch[k] = e;
	memcpy(durable_wait_offsets(f, k), start, f->np * sizeof(int64_t));
	memcpy(durable_wait_offsets(f, k) + f->np, end,
	       f->np * sizeof(int64_t));
	return 0;
}

/* Asks the sink how far its epochs are durable and retires what that
 * covers: each retired epoch becomes the query's committed one and goes
 * to the coordinator (hand-off merges them, newest wins). Returns 1 if
 * any was retired, 0 if none, < 0 after failing the query. */
static int durable_wait_retire(sl_query *q, durable_wait_fifo *f, bool handoff)
{
	sl_sink *sk = &q->sink;
	int64_t d = -1, last = -1;
	int rc = sk->ops->durable(sk, &d);

	if (rc < 0) {
		sink_fail(q, rc, "delivery");
		return rc;
	}
	for (; f->n && f->epoch[f->head] <= d; f->head++, f->n--) {
		const int64_t *o = durable_wait_offsets(f, f->head);

		last = f->epoch[f->head];
		if (handoff)
			checkpoint_handoff(q, last, o, o + f->np);
	}
	if (!f->n)
		f->head = 0;
	if (last < 0)
		return 0;
	/* release, as where commit sets it without durable(): a reader
	 * that acquires committed sees what led to it. */
	atomic_store_explicit(&q->committed, last, memory_order_release);
	if (handoff)
		sl_waiter_wake(&q->coord_wake);
	return 1;
}

static void free_batch(void *b)
{
	sl_batch_free(b);
}

/* What the sink thread keeps between commits, owned by
 * sl_exec_sink_main so that an out-of-memory unwind (core/alloc.h) out of
 * sink_run leaves nothing unfreed. */
typedef struct sink_loop {
	sl_query *q;
	int64_t *mark;
	bool *eos;
	epoch_stats st;
	durable_wait_fifo pend;
} sink_loop;

static void sink_run(void *arg)
{
	sink_loop *L = arg;
	sl_query *q = L->q;
	sl_sink *sk = &q->sink;
	uint32_t np = q->nparts;
	int64_t *mark = L->mark;
	bool *eos = L->eos;
	epoch_stats *st = &L->st;
	for (uint32_t i = 0; i < np; i++) {
		mark[i] = -1;
		/* A dynamic partition counts as ended until its thread
		 * says SL_MSG_ATTACH. */
		eos[i] = q->dynamic_parts;
		/* open_offset, not sp.offset: the partition thread is
		 * already running and owns sp. */
		st->start_off[i] = st->end_off[i] = q->parts[i].open_offset;
	}
	int64_t prev_start = q->start_ns; /* set before the threads */
	st->start_ns = prev_start;
	st->start_wall_us = sl_wall_us();
	/* Epochs go on from the checkpoint's next one (set before the
	 * threads started). */
	int64_t committed = atomic_load_explicit(&q->committed,
						 memory_order_relaxed);
	bool failed = false;
	bool handoff = q->trig.kind == SL_TRIG_CONTINUOUS &&
		       (q->ckpt || q->src->ops->commit);
	/* Commit closes an epoch; durable() says when it may be
	 * checkpointed. */
	bool dur = q->trig.kind == SL_TRIG_CONTINUOUS && sk->ops->durable;
	durable_wait_fifo *pend = &L->pend;

	while (!atomic_load_explicit(&q->cancel, memory_order_acquire)) {
		bool moved = false;
		/* Read before the rings: every partition thread pushed its
		 * last entry before the coordinator set parts_final, so the
		 * pops below see them all. */
		bool final = atomic_load_explicit(&q->parts_final,
						  memory_order_acquire);
		for (uint32_t i = 0; i < np && !failed; i++) {
			/* A ring that delivered marker(e) waits until e is
			 * committed: that is the alignment. An ended ring
			 * is read too: a dynamic partition may attach
			 * again. */
			while (mark[i] <= committed) {
				sl_batch *b = sl_chan_try_pop_spsc(
					q->parts[i].ch);
				if (!b)
					break;
				moved = true;
				if (b->kind == SL_MSG_ROWS) {
					int64_t ns = sl_now_ns() - b->ingest_ns;
					sl_histogram_add(&st->lat, ns,
							 b->nrows);
					st->out_rows += b->nrows;
					/* the epoch these rows belong to */
					b->epoch = committed + 1;
					/* a write that unwinds (core/alloc.h)
					 * has not taken b */
					sl_oom_defer(free_batch, b);
					int rc = sk->ops->write(sk, b);
					sl_oom_undefer(b);
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
					st->in_rows += b->in_rows;
					st->start_off[i] = b->start_offset;
					st->end_off[i] = b->end_offset;
				} else if (b->kind == SL_MSG_EOS) {
					eos[i] = true;
				} else if (b->kind == SL_MSG_ATTACH) {
					/* It joins from the open epoch: its
					 * first marker is for an epoch the
					 * sources are in, > committed, and
					 * its rows before that marker are
					 * written into the open epoch, so the
					 * epoch's end offsets cover them. */
					eos[i] = false;
					mark[i] = committed;
					st->start_off[i] = b->start_offset;
					st->end_off[i] = b->start_offset;
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
			sk->epoch_end = st->end_off;
			int64_t c0 = sl_now_ns();
			int rc = sk->ops->commit(sk, next);
			uint64_t cns = (uint64_t)(sl_now_ns() - c0);
			sl_sink_stats ss = { 0 };
			if (rc < 0) {
				sink_fail(q, rc, "commit");
				failed = true;
				break;
			}
			/* Under q->lock: the metrics server copies the
			 * run's histogram and output count from its own
			 * thread. Once per commit, not per record. */
			uint64_t out_rows = st->out_rows;
			sl_stateful_output_rows(q, &out_rows);
			if (sk->ops->stats)
				sk->ops->stats(sk, &ss);
			pthread_mutex_lock(&q->lock);
			sl_histogram_merge(&q->lat_total, &st->lat);
			q->rows_out += out_rows;
			q->commits++;
			q->commit_ns_sum += cns;
			if (cns > q->commit_ns_max)
				q->commit_ns_max = cns;
			q->sink_stats = ss;
			pthread_mutex_unlock(&q->lock);
			record_progress(q, next, st, prev_start);
			committed = next;
			if (dur) {
				if (durable_wait_push(pend, next, st->start_off,
						      st->end_off) < 0) {
					sl_query_fail(q, SL_ENOMEM,
						      "sink thread: out of "
						      "memory");
					failed = true;
					break;
				}
			} else {
				/* release: the coordinator that reads
				 * committed also sees every partition's
				 * state up to marker(next), which we
				 * acquired through the rings. */
				atomic_store_explicit(&q->committed, committed,
						      memory_order_release);
				if (handoff)
					checkpoint_handoff(q, committed,
							   st->start_off,
							   st->end_off);
				sl_waiter_wake(&q->coord_wake);
			}
			prev_start = st->start_ns;
			st->start_ns = sl_now_ns();
			st->start_wall_us = sl_wall_us();
			st->in_rows = st->out_rows = 0;
			sl_histogram_reset(&st->lat);
			for (uint32_t i = 0; i < np; i++)
				st->start_off[i] = st->end_off[i];
			moved = true;
		}
		if (failed)
			break;
		if (pend->n && durable_wait_retire(q, pend, handoff) < 0)
			break;
		bool all_eos = true;
		for (uint32_t i = 0; i < np; i++)
			all_eos &= eos[i];
		/* The stream is over; the last epochs wait for their
		 * durability (the sink's own timeout bounds it), so that a
		 * stop checkpoints the final epoch. */
		if (all_eos && (!q->dynamic_parts || final) && !pend->n)
			break;
		if (moved)
			continue;
		uint32_t t = sl_waiter_prepare(&q->sink_wake);
		/* Once more after prepare: a completion that arrived
		 * between the call above and prepare woke no one. */
		if (pend->n) {
			int rc = durable_wait_retire(q, pend, handoff);
			if (rc < 0)
				break;
			if (rc > 0)
				continue;
		}
		bool ready = false;
		for (uint32_t i = 0; i < np; i++)
			if (mark[i] <= committed &&
			    sl_chan_size(q->parts[i].ch))
				ready = true;
		if (!ready)
			sl_waiter_wait(&q->sink_wake, t, 100 * 1000000LL);
	}
}

void *sl_exec_sink_main(void *arg)
{
	sl_query *q = arg;
	sl_log_bind(&q->session->log);
	uint32_t np = q->nparts;
	sink_loop L = { .q = q, .pend = { .np = np } };
	L.mark = calloc(np, sizeof(int64_t));
	L.eos = calloc(np, sizeof(bool));
	L.st.start_off = calloc(np, sizeof(int64_t));
	L.st.end_off = calloc(np, sizeof(int64_t));
	/* Out of memory in a write or a commit (the sink's, an operator's,
	 * the foreach callback's calls): the query fails; the coordinator
	 * drains the rings and destroys the sink as after any failure. */
	if (!L.mark || !L.eos || !L.st.start_off || !L.st.end_off) {
		sl_query_fail(q, SL_ENOMEM,
			      "out of memory: the sink thread could not "
			      "allocate its partition tables");
	} else if (sl_oom_call(sink_run, &L) == SL_ENOMEM) {
		sl_query_fail_oom(q, "sink thread");
	}
	free(L.pend.epoch);
	free(L.pend.off);
	free(L.mark);
	free(L.eos);
	free(L.st.start_off);
	free(L.st.end_off);
	atomic_store(&q->sink_done, true);
	/* The stream is over downstream: end the query. */
	atomic_store(&q->stop, true);
	sl_waiter_wake(&q->coord_wake);
	return NULL;
}
