/* engine/exec_checkpoint.c - a running query's checkpoint
 * (checkpointLocation; docs/CHECKPOINTS.md), written by the coordinator
 * (engine/exec_coord.c) through the store in engine/checkpoint.h: at start
 * the plan fingerprint, recovery and where each partition resumes; in
 * micro-batch mode offsets/N before batch N runs and commits/N after the
 * sink committed it; in continuous mode offsets/e and commits/e once the
 * sink thread (engine/exec_sink.c) hands over epoch e's end offsets. Then
 * the source hears of the commit (Kafka: the consumer group's offsets). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/exec_internal.h"

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
static void checkpoint_mark_committed(sl_query *q, int64_t e,
				      const int64_t *end, int64_t us)
{
	pthread_mutex_lock(&q->checkpoint_lock);
	q->checkpointed_epoch = e;
	memcpy(q->checkpointed_end, end, q->nparts * sizeof(int64_t));
	q->checkpoint_commit_us = us;
	pthread_mutex_unlock(&q->checkpoint_lock);
}

bool sl_exec_checkpoint_handoff_pending(sl_query *q)
{
	pthread_mutex_lock(&q->checkpoint_lock);
	bool p = q->checkpoint_handoff_epoch >= 0;
	pthread_mutex_unlock(&q->checkpoint_lock);
	return p;
}

/* Continuous: checkpoints the newest epoch the sink thread handed over,
 * then tells the source. An epoch that read nothing since the last one
 * written is not written (an idle query would otherwise fsync every
 * interval), except the query's last, so that a restart numbers on from
 * where the stop left. Returns 0, or < 0 after failing the query. */
int sl_exec_checkpoint_write_handoff(sl_query *q, bool last)
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
	pthread_mutex_lock(&q->checkpoint_lock);
	int64_t e = q->checkpoint_handoff_epoch;
	if (e >= 0) {
		memcpy(start, q->checkpoint_handoff_start, sz);
		memcpy(end, q->checkpoint_handoff_end, sz);
		q->checkpoint_handoff_epoch = -1;
	}
	pthread_mutex_unlock(&q->checkpoint_lock);
	/* checkpointed_* are written by this thread only: no lock */
	bool changed = e >= 0 && (q->checkpointed_epoch < 0 ||
				  memcmp(end, q->checkpointed_end, sz) != 0);
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
		checkpoint_mark_committed(q, e, end, us);
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
int sl_exec_checkpoint_plan(sl_query *q, int64_t n)
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
			sl_oom_own(t); /* freed by an unwind (core/alloc.h) */
			rc = sl_ckpt_put_source(q->ckpt, name, "state", t,
						&err);
			sl_oom_disown(t);
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
int sl_exec_checkpoint_batch_committed(sl_query *q, int64_t n)
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
	checkpoint_mark_committed(q, n, end, us);
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

static int option_key_cmp(const void *a, const void *b)
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
			qsort(kv, src->given->n, sizeof(*kv), option_key_cmp);
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
static void recovery_free(void *r)
{
	sl_ckpt_recovery_free(r);
}

int sl_exec_checkpoint_start(sl_query *q, sl_err *err)
{
	const sl_source_ops *ops = q->src->ops;
	sl_ckpt_recovery r = { 0 };
	char name[80];
	char *plan = plan_text(q);
	int rc;

	if (!plan)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	sl_oom_own(plan); /* freed by an unwind (core/alloc.h) */
	rc = sl_ckpt_open_flags(q->wconf.checkpoint, q->id, NULL, plan,
				q->src->parts_may_grow ? SL_CKPT_PARTS_MAY_GROW
						       : 0,
				&q->ckpt, err);
	sl_oom_disown(plan);
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
	sl_oom_defer(recovery_free, &r);
	rc = sl_ckpt_recover(q->ckpt, &r, err);
	if (rc < 0)
		goto out;
	if (r.warning[0]) {
		snprintf(q->ckpt_warning, sizeof(q->ckpt_warning), "%s",
			 r.warning);
		sl_log(&q->session->log, SL_LOG_WARN, "checkpoint %s: %s",
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
			q->src_blob = t; /* freed with the checkpoint */
			rc = ops->ckpt_restore(q->src, t, err);
		}
	}
out:
	sl_oom_undefer(&r);
	sl_ckpt_recovery_free(&r);
	return rc;
}

/* The checkpoint and its bookkeeping, once no thread uses them. */
void sl_exec_checkpoint_release(sl_query *q)
{
	sl_ckpt_close(q->ckpt);
	q->ckpt = NULL;
	free(q->checkpoint_handoff_start);
	free(q->checkpoint_handoff_end);
	free(q->checkpointed_end);
	free(q->inflight_end);
	free(q->src_blob);
	q->checkpoint_handoff_start = q->checkpoint_handoff_end =
		q->checkpointed_end = q->inflight_end = NULL;
	q->src_blob = NULL;
}
