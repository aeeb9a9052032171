/* core/exec.c - the threads of a running query: one per source partition,
 * one sink thread, one coordinator (docs/ARCHITECTURE.md, sections 1-4).
 *
 * Partition threads poll their source, run the fused stateless chain and
 * push record vectors and markers into their ring. The sink thread
 * (core/exec_sink.c) drains every ring, aligns markers, commits, and
 * records progress. The coordinator is the clock:
 * epochs in continuous mode, batch plans in micro-batch mode; it also
 * writes the checkpoint (checkpointLocation, core/checkpoint.h): in
 * micro-batch mode offsets/N before batch N runs and commits/N after the
 * sink committed it; in continuous mode offsets/e and commits/e once the
 * sink thread hands it epoch e's end offsets after committing e. Then the
 * source hears of the commit (Kafka: the consumer group's offsets).
 *
 * A dynamic source (sl_source.dynamic: a Kafka consumer group) has its
 * partitions assigned while the query runs. Its partitions are slots: no
 * thread runs at start; the coordinator serves the source's membership
 * events (ops->rebalance, woken through sl_source.wake) and starts a
 * slot's thread when the slot is assigned and ends it when it is revoked
 * (ctl_start, ctl_stop). The thread tells the sink where it starts
 * (SL_MSG_ATTACH) and ends with its epoch's marker and SL_MSG_EOS. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/engine.h"
#include "core/stateful.h"

/* Entries per partition ring. With a sink slower than its source every
 * entry is a full vector, so this times the largest vector is what a
 * partition keeps in flight: sources cap vectors by bytes as well as rows
 * (Kafka: 1 MiB, io/source_kafka.c), and 32 of them are 32 MiB. 256 let a
 * slow sink hold 256 MiB of 1 KiB records (docs/BENCHMARKS.md, "Memory
 * with a slow sink"); 32 vectors of up to 1024 rows still cover a sink's
 * pauses without blocking a source that keeps up. */
#define SL_RING_ENTRIES 32

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

/* A dynamic partition's thread leaves when the coordinator revokes it. */
static bool part_revoked(sl_part *p)
{
	/* acquire: pairs with ctl_stop's release store; nothing else is
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
	if (q->dynamic_parts) {
		/* Before any row: the sink counts this partition from here
		 * on, from the offset open set. */
		sl_batch *a =
			sl_batch_marker(SL_MSG_ATTACH, p->sp.index, 0, NULL);
		a->start_offset = a->end_offset = p->sp.offset;
		if (!part_push(p, a))
			return NULL;
	}
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		part_continuous(p);
	else
		part_microbatch(p);
	part_push(p, sl_batch_marker(SL_MSG_EOS, p->sp.index, 0, NULL));
	/* Not closed here: the coordinator may still ask this partition for
	 * its latest offset; it closes every partition after joining us. */
	return NULL;
}


/* ---- the checkpoint -------------------------------------------------------- */

/* The query's one source, as the checkpoint names it: its place in the
 * plan and its format, stable across restarts. */
static void ckpt_source_name(const sl_query *q, char *buf, size_t n)
{
	snprintf(buf, n, "0:%s", q->src->ops->name);
}

static int ckpt_fail(sl_query *q, int rc, const sl_err *err)
{
	char msg[700];

	snprintf(msg, sizeof(msg), "checkpoint %s: %s",
		 q->ckpt ? sl_ckpt_path(q->ckpt) : "", err->msg);
	sl_query_fail(q, rc, msg);
	return rc;
}

/* Writes offsets/e ([start[i], end[i]) per partition) and, when commit,
 * commits/e. Coordinator thread. */
static int ckpt_write_epoch(sl_query *q, int64_t e, const int64_t *start,
			    const int64_t *end, bool commit, sl_err *err)
{
	sl_ckpt_part *parts = calloc(q->nparts, sizeof(*parts));
	char name[80];
	int rc;

	if (!parts)
		return sl_err_set(err, -ENOMEM, "out of memory");
	ckpt_source_name(q, name, sizeof(name));
	for (uint32_t i = 0; i < q->nparts; i++)
		parts[i] = (sl_ckpt_part){ (int32_t)i, start[i], end[i] };
	sl_ckpt_source src = { name, q->nparts, parts, NULL };
	sl_ckpt_offsets o = { .nsources = 1, .sources = &src };
	rc = sl_ckpt_write_offsets(q->ckpt, e, &o, err);
	if (!rc && commit)
		rc = sl_ckpt_commit(q->ckpt, e, err);
	free(parts);
	return rc;
}

/* Epoch e is checkpointed (or, without a checkpoint, told to the source):
 * what progress reports as committed. */
static void ck_done(sl_query *q, int64_t e, const int64_t *end, int64_t us)
{
	pthread_mutex_lock(&q->ck_lock);
	q->ck_done_epoch = e;
	memcpy(q->ck_done_end, end, q->nparts * sizeof(int64_t));
	q->ck_commit_us = us;
	pthread_mutex_unlock(&q->ck_lock);
}

static bool ck_pending(sl_query *q)
{
	pthread_mutex_lock(&q->ck_lock);
	bool p = q->ck_epoch >= 0;
	pthread_mutex_unlock(&q->ck_lock);
	return p;
}

/* Continuous: checkpoints the newest epoch the sink thread handed over,
 * then tells the source. An epoch that read nothing since the last one
 * written is not written (an idle query would otherwise fsync every
 * interval), except the query's last, so that a restart numbers on from
 * where the stop left. Returns 0, or < 0 after failing the query. */
static int ck_flush(sl_query *q, bool last)
{
	size_t sz = q->nparts * sizeof(int64_t);
	int64_t *start = malloc(sz), *end = malloc(sz);
	int rc = 0;

	if (!start || !end) {
		free(start);
		free(end);
		sl_query_fail(q, -ENOMEM, "checkpoint: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_lock(&q->ck_lock);
	int64_t e = q->ck_epoch;
	if (e >= 0) {
		memcpy(start, q->ck_start, sz);
		memcpy(end, q->ck_end, sz);
		q->ck_epoch = -1;
	}
	pthread_mutex_unlock(&q->ck_lock);
	/* ck_done_* are written by this thread only: read without the lock */
	bool changed = e >= 0 && (q->ck_done_epoch < 0 ||
				  memcmp(end, q->ck_done_end, sz) != 0);
	if (e >= 0 && (changed || last)) {
		int64_t t0 = sl_now_ns();
		sl_err err = { 0 };

		if (q->ckpt &&
		    (rc = ckpt_write_epoch(q, e, start, end, true, &err)) < 0) {
			ckpt_fail(q, rc, &err);
			goto out;
		}
		int64_t us = q->ckpt ? (sl_now_ns() - t0) / 1000 : -1;
		if (q->src->ops->commit)
			q->src->ops->commit(q->src, end, q->nparts, false);
		ck_done(q, e, end, us);
	}
out:
	free(start);
	free(end);
	return rc;
}

/* Micro-batch: before batch n runs, the source's own state (the file
 * sources' admitted files) and offsets/n, the write-ahead entry with each
 * partition's start and planned end. The partitions are parked: their
 * offsets are the coordinator's to read (docs/ARCHITECTURE.md, 1). */
static int ckpt_plan(sl_query *q, int64_t n)
{
	const sl_source_ops *ops = q->src->ops;
	sl_err err = { 0 };
	char name[80];
	int rc = 0;

	if (!q->ckpt)
		return 0;
	ckpt_source_name(q, name, sizeof(name));
	if (ops->ckpt_save) {
		char *t = ops->ckpt_save(q->src);

		/* Rewritten only when it changed: most batches admit
		 * nothing new. */
		if (t && (!q->src_blob || strcmp(t, q->src_blob))) {
			rc = sl_ckpt_put_source(q->ckpt, name, "state", t,
						&err);
			if (rc < 0) {
				free(t);
				return ckpt_fail(q, rc, &err);
			}
			free(q->src_blob);
			q->src_blob = t;
		} else {
			free(t);
		}
	}
	int64_t *start = malloc(2 * q->nparts * sizeof(int64_t));
	if (!start) {
		sl_query_fail(q, -ENOMEM, "checkpoint: out of memory");
		return -ENOMEM;
	}
	int64_t *end = start + q->nparts;
	for (uint32_t i = 0; i < q->nparts; i++) {
		start[i] = q->parts[i].sp.offset;
		end[i] = q->parts[i].plan_end;
	}
	rc = ckpt_write_epoch(q, n, start, end, false, &err);
	free(start);
	return rc < 0 ? ckpt_fail(q, rc, &err) : 0;
}

/* Micro-batch: the sink committed batch n: commits/n, then the source. */
static int ckpt_batch_done(sl_query *q, int64_t n)
{
	int64_t *end = malloc(q->nparts * sizeof(int64_t));
	sl_err err = { 0 };
	int64_t us = -1;
	int rc;

	if (!end) {
		sl_query_fail(q, -ENOMEM, "checkpoint: out of memory");
		return -ENOMEM;
	}
	/* The partitions are parked (or ended) after marker(n): the
	 * acquire of q->committed in coord_wait_commit ordered their
	 * offsets before this read. */
	for (uint32_t i = 0; i < q->nparts; i++)
		end[i] = q->parts[i].sp.offset;
	if (q->ckpt) {
		int64_t t0 = sl_now_ns();

		if ((rc = sl_ckpt_commit(q->ckpt, n, &err)) < 0) {
			free(end);
			return ckpt_fail(q, rc, &err);
		}
		us = (sl_now_ns() - t0) / 1000;
	}
	if (q->src->ops->commit)
		q->src->ops->commit(q->src, end, q->nparts, false);
	ck_done(q, n, end, us);
	free(end);
	return 0;
}

/* Source options that tune how a source runs or where a new query starts,
 * not what its offsets mean: changing them between runs is allowed, so
 * they stay out of the plan fingerprint (lower case). */
static const char *const plan_free_options[] = {
	"startingoffsets", "failondataloss",	 "metadatatimeout",
	"groupidprefix",   "rowspersecond",	 "rampuptime",
	"maxfilespertrigger", "maxoffsetspertrigger", "maxfileage",
	"cleansource",	   "sourcearchivedir",	 NULL,
};

static int kv_cmp(const void *a, const void *b)
{
	return strcasecmp(((const sl_kv *)a)->key, ((const sl_kv *)b)->key);
}

/* The plan as the checkpoint's metadata keeps it, one fact per line, so
 * that a restart with another query shape is refused naming what changed:
 * the source's format, partitions and options (sorted; kafka.* client
 * properties and plan_free_options left out), the WHERE conditions and
 * SELECT columns from the source up, the sink's format and its string and
 * enum options that differ from their defaults, the output mode and the
 * query name. malloc'd. */
static char *plan_text(const sl_query *q)
{
	const sl_source *src = q->src;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "source = %s\n", src->ops->name);
	fprintf(f, "source partitions = %u\n", q->nparts);
	if (src->given && src->given->n) {
		sl_kv *kv = malloc(src->given->n * sizeof(*kv));

		for (uint32_t i = 0; kv && i < src->given->n; i++)
			kv[i] = src->given->kv[i];
		if (kv)
			qsort(kv, src->given->n, sizeof(*kv), kv_cmp);
		for (uint32_t i = 0; kv && i < src->given->n; i++) {
			bool free_opt = !strncasecmp(kv[i].key, "kafka.", 6);

			for (int k = 0; plan_free_options[k]; k++)
				free_opt |= !strcasecmp(kv[i].key,
							plan_free_options[k]);
			if (free_opt)
				continue;
			fputs("source option ", f);
			for (const char *c = kv[i].key; *c; c++)
				fputc(tolower((unsigned char)*c), f);
			fprintf(f, " = %s\n", kv[i].value ? kv[i].value : "");
		}
		free(kv);
	}
	/* The frames from the source up. */
	const sl_frame *chain[64];
	uint32_t nf = 0;
	for (const sl_frame *fr = q->frame; fr && fr->kind != SL_FR_SOURCE &&
					    nf < 64;
	     fr = fr->parent)
		chain[nf++] = fr;
	while (nf-- > 0) {
		const sl_frame *fr = chain[nf];

		if (fr->kind == SL_FR_WHERE) {
			fprintf(f, "where = %s\n",
				fr->cond ? sl_expr_name(fr->cond) : "");
		} else if (fr->kind == SL_FR_SELECT) {
			fputs("select =", f);
			for (uint32_t i = 0; i < fr->schema->n; i++)
				fprintf(f, "%s %s", i ? "," : "",
					fr->schema->fields[i].name);
			fputc('\n', f);
		}
	}
	const sl_sink *sk = &q->sink;
	fprintf(f, "sink = %s\n", sk->ops->name);
	for (const sl_opt_def *d = sk->ops->options; d && d->name; d++) {
		const char *v = NULL;

		if (d->type == SL_OPT_STRING)
			v = *(const char *const *)((const char *)sk->conf +
						   d->offset);
		else if (d->type == SL_OPT_ENUM && d->allowed)
			v = d->allowed[*(const int *)((const char *)sk->conf +
						      d->offset)];
		if (!v || (d->def && !strcasecmp(v, d->def)))
			continue;
		fprintf(f, "sink option %s = %s\n", d->name, v);
	}
	fprintf(f, "output mode = %s\n",
		q->wconf.output_mode == SL_MODE_APPEND	 ? "append"
		: q->wconf.output_mode == SL_MODE_UPDATE ? "update"
							 : "complete");
	if (q->name)
		fprintf(f, "query name = %s\n", q->name);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* Opens (or creates) the checkpoint, refusing another query's, recovers
 * it, and sets where each partition resumes and what the first epoch is.
 * Runs in sl_exec_start before any partition opens. */
static int ckpt_start(sl_query *q, sl_err *err)
{
	const sl_source_ops *ops = q->src->ops;
	sl_ckpt_recovery r;
	char name[80];
	char *plan = plan_text(q);
	int rc;

	if (!plan)
		return sl_err_set(err, -ENOMEM, "out of memory");
	rc = sl_ckpt_open(q->wconf.checkpoint, q->id, NULL, plan, &q->ckpt,
			  err);
	free(plan);
	if (rc < 0)
		return rc;
	/* minBatchesToRetain: 0 when wconf did not come from the options
	 * table (its default is 100, as the store's). */
	if (q->wconf.min_batches_to_retain > 0) {
		rc = sl_ckpt_set_retain(q->ckpt, q->wconf.min_batches_to_retain,
					err);
		if (rc < 0)
			return rc;
	}
	/* A restarted query keeps its id, as Spark's does. */
	snprintf(q->id, sizeof(q->id), "%s", sl_ckpt_id(q->ckpt));
	rc = sl_ckpt_recover(q->ckpt, &r, err);
	if (rc < 0)
		goto out;
	if (r.warning[0]) {
		snprintf(q->ckpt_warning, sizeof(q->ckpt_warning), "%s",
			 r.warning);
		fprintf(stderr, "sluice: checkpoint %s: %s\n",
			sl_ckpt_path(q->ckpt), r.warning);
	}
	q->first_epoch = r.next_epoch;
	/* Micro-batch re-runs an in-flight batch from its logged starts (a
	 * committed epoch's ends, or where a first batch began); continuous
	 * resumes from the same place. */
	const sl_ckpt_offsets *from = r.in_flight   ? &r.in_flight_offsets
				      : r.committed ? &r.offsets
						    : NULL;
	const sl_ckpt_source *cs = NULL;
	ckpt_source_name(q, name, sizeof(name));
	for (uint32_t k = 0; from && k < from->nsources; k++)
		if (!strcmp(from->sources[k].name, name))
			cs = &from->sources[k];
	if (r.in_flight && q->trig.kind != SL_TRIG_CONTINUOUS) {
		q->inflight = true;
		for (uint32_t i = 0; i < q->nparts; i++)
			q->inflight_end[i] = INT64_MIN;
	}
	for (uint32_t k = 0; cs && k < cs->nparts; k++) {
		const sl_ckpt_part *cp = &cs->parts[k];

		if (cp->partition < 0 || (uint32_t)cp->partition >= q->nparts)
			continue;
		sl_part *p = &q->parts[cp->partition];
		p->sp.has_resume = true;
		p->sp.resume = r.in_flight ? cp->start : cp->end;
		if (q->inflight)
			q->inflight_end[cp->partition] = cp->end;
	}
	if (ops->ckpt_restore) {
		char *t = NULL;

		rc = sl_ckpt_get_source(q->ckpt, name, "state", &t, err);
		if (rc == SL_ENOTFOUND) {
			rc = 0;
		} else if (rc == 0) {
			rc = ops->ckpt_restore(q->src, t, err);
			q->src_blob = t;
		}
	}
out:
	sl_ckpt_recovery_free(&r);
	return rc;
}

/* The checkpoint and its bookkeeping, once no thread uses them. */
static void ckpt_release(sl_query *q)
{
	sl_ckpt_close(q->ckpt);
	q->ckpt = NULL;
	free(q->ck_start);
	free(q->ck_end);
	free(q->ck_done_end);
	free(q->inflight_end);
	free(q->src_blob);
	q->ck_start = q->ck_end = q->ck_done_end = q->inflight_end = NULL;
	q->src_blob = NULL;
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

/* ---- dynamic partitions ------------------------------------------------- */

/* How long giving a partition up waits for what its thread read to be
 * committed and checkpointed. Normally one epoch's trip through the sink
 * (the revocation closes the epoch at once); past this, the partition is
 * given up anyway and its next reader repeats the uncommitted rows
 * (at-least-once either way). Well below the group's rebalance timeout
 * (Kafka's max.poll.interval.ms, 5 minutes by default). */
#define SL_REVOKE_WAIT_NS (10 * 1000000000LL)

/* sl_source.wake: any thread (a librdkafka queue event). */
static void src_wake(void *arg)
{
	sl_query *q = arg;

	/* release: pairs with the coordinator's exchange; the flag is
	 * set before the wake, so a coordinator about to park sees it. */
	atomic_store_explicit(&q->src_events, true, memory_order_release);
	sl_waiter_wake(&q->coord_wake);
}

/* sl_source_ctl.start: opens the slot and starts its thread. */
static int ctl_start(sl_source_ctl *ctl, uint32_t slot)
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
	if ((rc = pthread_create(&p->th, NULL, part_main, p))) {
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

/* After ctl_stop ended the threads of slots[0..n): waits, at most
 * SL_REVOKE_WAIT_NS, until the checkpointed end offsets (or, without a
 * checkpoint, those the source's commit was given) of every slot reach
 * want[k], where its thread stopped. This thread writes the checkpoint,
 * so it flushes what the sink hands over meanwhile: ck_flush also tells
 * the source (its commit), while the source still owns the slots. */
static void ctl_wait_committed(sl_query *q, const uint32_t *slots,
			       const int64_t *want, uint32_t n)
{
	int64_t deadline = sl_now_ns() + SL_REVOKE_WAIT_NS;

	for (;;) {
		uint32_t t = sl_waiter_prepare(&q->coord_wake);
		bool done = true;

		if (ck_pending(q)) {
			if (ck_flush(q, false) < 0)
				return;
			continue;
		}
		/* ck_done_* are written by this thread only */
		for (uint32_t k = 0; k < n; k++)
			if (want[k] >= 0 &&
			    (q->ck_done_epoch < 0 ||
			     q->ck_done_end[slots[k]] < want[k]))
				done = false;
		int64_t now = sl_now_ns();
		if (done || now >= deadline || atomic_load(&q->stop) ||
		    atomic_load(&q->sink_done))
			return;
		sl_waiter_wait(&q->coord_wake, t, deadline - now);
	}
}

/* sl_source_ctl.stop: ends the threads of slots[0..n) and closes them. */
static void ctl_stop(sl_source_ctl *ctl, const uint32_t *slots, uint32_t n)
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
		ctl_wait_committed(q, slots, want, n);
	free(want);
}

/* Serves the dynamic source's membership events. Returns 0, or < 0 after
 * failing the query. */
static int coord_rebalance(sl_query *q)
{
	sl_source_ctl ctl = { .start = ctl_start,
			      .stop = ctl_stop,
			      .engine = q };
	sl_err err = { 0 };
	int rc;

	/* acquire: pairs with src_wake; cleared before the call, so an
	 * event arriving during it wakes us for another one. */
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
			if (atomic_load(&q->stop) || ck_pending(q) ||
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
		if (ck_flush(q, false) < 0)
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
		if (ckpt_plan(q, n) < 0)
			break;
		for (uint32_t i = 0; i < q->nparts; i++) {
			/* release: publishes plan_end with the batch id */
			atomic_store_explicit(&q->parts[i].plan_batch, n,
					      memory_order_release);
			sl_waiter_wake(&q->parts[i].wake);
		}
		if (!coord_wait_commit(q, n))
			break;
		if (ckpt_batch_done(q, n) < 0)
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
	if (q->trig.kind == SL_TRIG_CONTINUOUS)
		ck_flush(q, true);
	if (q->src->ops->commit && q->ck_done_epoch >= 0)
		q->src->ops->commit(q->src, q->ck_done_end, q->nparts, true);
	ckpt_release(q);
	/* Anything left in a ring after a failure. */
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_batch *b;
		while ((b = sl_chan_try_pop_spsc(q->parts[i].ch)))
			sl_batch_free(b);
	}
	if (q->sink.ops->destroy)
		q->sink.ops->destroy(&q->sink);
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

/* ---- start and join ---------------------------------------------------------- */

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

int sl_exec_start(sl_query *q, sl_err *err)
{
	const sl_source_ops *ops = q->src->ops;
	int rc = dynamic_check(q, err);

	if (rc < 0)
		return rc;
	q->dynamic_parts = q->src->dynamic;
	q->nparts = q->src->nparts ? q->src->nparts : 1;
	q->parts = calloc(q->nparts, sizeof(sl_part));
	/* q->sink_wake: set up before the sink's init (core/query.c) */
	sl_waiter_init(&q->coord_wake);
	pthread_mutex_init(&q->join_lock, NULL);
	pthread_mutex_init(&q->ck_lock, NULL);
	q->ck_epoch = q->ck_done_epoch = q->ck_commit_us = -1;
	q->ck_start = calloc(q->nparts, sizeof(int64_t));
	q->ck_end = calloc(q->nparts, sizeof(int64_t));
	q->ck_done_end = calloc(q->nparts, sizeof(int64_t));
	q->inflight_end = calloc(q->nparts, sizeof(int64_t));
	if (!q->parts || !q->ck_start || !q->ck_end || !q->ck_done_end ||
	    !q->inflight_end) {
		ckpt_release(q);
		return sl_err_set(err, -ENOMEM, "out of memory");
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
	}
	/* The checkpoint first: it says where each partition resumes
	 * (sp.resume, read by open) and which epoch comes next. */
	if (q->wconf.checkpoint) {
		rc = ckpt_start(q, err);
		if (rc < 0) {
			ckpt_release(q);
			return rc;
		}
	}
	/* plain stores: the threads that read them start below */
	atomic_store_explicit(&q->epoch, q->first_epoch, memory_order_relaxed);
	atomic_store_explicit(&q->committed, q->first_epoch - 1,
			      memory_order_relaxed);
	for (uint32_t i = 0; i < q->nparts; i++) {
		sl_part *p = &q->parts[i];
		/* A dynamic partition opens when it is assigned (ctl_start);
		 * until then it has no offset. */
		if (q->dynamic_parts) {
			p->start_offset = p->open_offset = -1;
			atomic_init(&p->position, -1);
			continue;
		}
		/* Opened here, before any thread exists, so open errors reach
		 * the caller of start and the coordinator may read offsets. */
		if (ops->open && ops->open(&p->sp) < 0) {
			for (uint32_t k = 0; k < i; k++)
				if (ops->close)
					ops->close(&q->parts[k].sp);
			ckpt_release(q);
			return sl_err_set(err, p->sp.err.code ? p->sp.err.code
							      : SL_EINVAL,
					  "source '%s' partition %u: %s",
					  ops->name, i, p->sp.err.msg);
		}
		p->start_offset = p->open_offset = p->sp.offset;
		atomic_init(&p->position, p->sp.offset);
	}
	q->start_wall_us = sl_wall_us();
	q->start_ns = sl_now_ns();
	atomic_store(&q->active, true);
	atomic_store(&q->status, SL_QS_INIT);
	if (q->dynamic_parts) {
		/* The coordinator starts the partitions as they are
		 * assigned; the source wakes it when that changes. */
		atomic_init(&q->src_events, false);
		q->src->wake = src_wake;
		q->src->wake_arg = q;
	}
	for (uint32_t i = 0; i < q->nparts && !q->dynamic_parts; i++) {
		pthread_create(&q->parts[i].th, NULL, part_main, &q->parts[i]);
		q->parts[i].running = true;
	}
	pthread_create(&q->sink_th, NULL, sl_exec_sink_main, q);
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
