/* engine/query.c - starting a query (writer options, the output-mode and
 * trigger rules) and the query handle's API (stop, await, status,
 * progress). The threads themselves are in engine/exec*.c. */
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/uuid.h"
#include "engine/engine.h"
#include "engine/stateful.h"

/* ---- start ---------------------------------------------------------------- */

static const char *mode_name(int m)
{
	return m == SL_MODE_APPEND ? "append"
	       : m == SL_MODE_UPDATE ? "update"
				     : "complete";
}

static size_t mode_list(unsigned bits, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (int m = 0; m < 3; m++)
		if (bits & SL_MODE_BIT(m))
			len += snprintf(buf + len, n - len, "%s%s",
					len ? ", " : "", mode_name(m));
	return len;
}

/* "a, b, ...": the names of the registry's sources or sinks (list) that
 * support the continuous trigger, into buf. A macro because sources and
 * sinks are different types with the same two fields. */
#define continuous_names(list, buf, n)                                       \
	do {                                                                 \
		size_t l_ = 0;                                               \
		(buf)[0] = 0;                                                \
		for (int i_ = 0; (list)[i_]; i_++)                           \
			if ((list)[i_]->continuous && l_ < (n))              \
				l_ += snprintf((buf) + l_, (n) - l_, "%s%s", \
					       l_ ? ", " : "",               \
					       (list)[i_]->name);            \
	} while (0)

/* Spark's output-mode rules: an aggregation takes complete and
 * update, and append with a watermark on its window; mapGroupsWithState
 * takes update, flatMapGroupsWithState the mode its function declares
 * (both in sl_stateful_check_mode, engine/stateful.c); other queries
 * (projections, selections, explode) take append and update. Then the
 * sink's own modes, and the continuous trigger: a stateful query runs
 * micro-batches at the continuous interval instead (sl_frame_start
 * notes it for the status). */
static int check_modes(sl_query *q, const sl_sink_ops *ops, sl_err *err)
{
	int mode = q->wconf.output_mode;
	const sl_agg_frame *ag = sl_stateful_find(q->frame);
	bool join = false;
	if (q->frame->kind == SL_FR_STATIC)
		return sl_err_set(err, SL_EANALYSIS,
				  "a static table (sl_session_read_static) is not a "
				  "stream: start a query on a stream joined "
				  "with it");
	for (const sl_frame *f = q->frame; f; f = f->parent)
		join |= f->kind == SL_FR_JOIN;
	/* A stream-static join is a stateless step below every stateful
	 * operator (the stateful chain runs it on the partition threads),
	 * so an aggregation or dropDuplicates over it takes its own modes;
	 * without one, a query with a join takes append only. */
	if (join && !ag && mode != SL_MODE_APPEND)
		return sl_err_set(err, SL_EMODE,
				  "%s output mode not supported for a "
				  "stream-static join: queries with joins "
				  "take outputMode 'append' only",
				  mode == SL_MODE_UPDATE ? "Update"
							 : "Complete");
	if (ag && sl_stateful_check_mode(ag, mode, err))
		return err->code;
	if (ag && sl_stateful_check_partitions(
			  ag, q->wconf.stateful_partitions, err))
		return err->code;
	if (ag && q->trig.kind == SL_TRIG_CONTINUOUS)
		q->trig.kind = SL_TRIG_PROCESSING;
	if (!ag && mode == SL_MODE_COMPLETE)
		return sl_err_set(err, SL_EMODE,
				  "Complete output mode not supported when "
				  "there are no streaming aggregations on "
				  "streaming DataFrames/Datasets: use "
				  "outputMode 'append' or 'update'");
	if (!(ops->modes & SL_MODE_BIT(mode))) {
		char ok[64];
		mode_list(ops->modes, ok, sizeof(ok));
		return sl_err_set(err, SL_EMODE,
				  "sink '%s' does not support output mode "
				  "'%s'; it supports: %s",
				  ops->name, mode_name(mode), ok);
	}
	if (q->trig.kind == SL_TRIG_CONTINUOUS) {
		char ok[256];
		if (!q->src->ops->continuous) {
			continuous_names(sl_sources, ok, sizeof(ok));
			return sl_err_set(
				err, SL_EMODE,
				"source '%s' does not support the continuous "
				"trigger (continuous mode reads from: %s); use "
				"a micro-batch trigger such as 'processingTime "
				"1 second'",
				q->src->ops->name, ok);
		}
		if (!ops->continuous) {
			continuous_names(sl_sinks, ok, sizeof(ok));
			return sl_err_set(
				err, SL_EMODE,
				"sink '%s' does not support the continuous "
				"trigger (continuous mode writes to: %s); use a "
				"micro-batch trigger such as 'processingTime 1 "
				"second'",
				ops->name, ok);
		}
	}
	return 0;
}

/* Room for one more query in the session's list, made before the query's
 * threads start so that adding it cannot fail (core/alloc.h). */
static void session_reserve_query(sl_session *s)
{
	sl_oom_lock(&s->lock);
	if (s->nqueries == s->capqueries) {
		uint32_t cap = s->capqueries ? s->capqueries * 2 : 4;
		s->queries = sl_xrealloc(s->queries, cap * sizeof(*s->queries));
		s->capqueries = cap;
	}
	sl_oom_unlock(&s->lock);
}

static void session_add_query(sl_session *s, sl_query *q)
{
	pthread_mutex_lock(&s->lock);
	s->queries[s->nqueries++] = q;
	pthread_mutex_unlock(&s->lock);
}

/* Another active query of the session already has this name? */
static bool name_taken(sl_session *s, const char *name)
{
	bool taken = false;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < s->nqueries; i++) {
		sl_query *o = s->queries[i];
		if (o->name && !strcmp(o->name, name) &&
		    atomic_load(&o->active))
			taken = true;
	}
	pthread_mutex_unlock(&s->lock);
	return taken;
}

int sl_session_kvs(sl_session *s, const char *const *opts, sl_kvs *out,
		   sl_err *err);

static void query_free_parts(sl_query *q);
static void query_unwind(void *q);

/* Everything start checks, without starting: the sink format, the writer
 * options (trigger, outputMode, queryName), the output-mode and trigger
 * rules, and the sink's own options. Returns a query whose sink is not yet
 * initialised, or NULL with err set. */
static sl_query *query_prepare(sl_frame *f, const char *format,
			       const char *const *options, sl_err *err)
{
	sl_session *s = f->session;
	const sl_sink_ops *ops = format ? sl_session_sink_ops(s, format) : NULL;
	if (!ops) {
		char names[256];
		size_t len = 0;
		for (int i = 0; sl_sinks[i]; i++)
			len += snprintf(names + len, sizeof(names) - len,
					"%s%s", i ? ", " : "",
					sl_sinks[i]->name);
		sl_err_set(err, SL_EFORMAT,
			   "unknown sink format '%s' (known: %s)",
			   format ? format : "(none)", names);
		return NULL;
	}
	sl_kvs given;
	if (sl_session_kvs(s, options, &given, err))
		return NULL;

	sl_query *q = sl_xcalloc(1, sizeof(*q));
	q->session = s;
	q->frame = f;
	q->src = f->src;
	pthread_mutex_init(&q->lock, NULL);
	/* Discarded by an unwind until the query runs (frame_start). */
	sl_oom_defer(query_unwind, q);
	atomic_init(&q->committed, -1);
	/* The query consumes the writer options; the sink's table checks the
	 * rest (and ignores these). */
	sl_kvs mine = {0};
	for (uint32_t i = 0; i < given.n; i++)
		for (int k = 0; sl_writer_option_names[k]; k++)
			if (!strcasecmp(given.kv[i].key,
					sl_writer_option_names[k]))
				sl_kvs_add(&mine, &s->arena, given.kv[i].key,
					   given.kv[i].value);
	if (sl_options_apply(sl_writer_options, &q->wconf, &mine, NULL,
			     "query", &s->arena, err))
		goto fail;
	if (sl_trigger_parse(q->wconf.trigger ? q->wconf.trigger : "",
			     &q->trig, err))
		goto fail;
	if (q->wconf.query_name) {
		if (name_taken(s, q->wconf.query_name)) {
			sl_err_set(err, SL_EINVAL,
				   "a query named '%s' is already active in "
				   "this session",
				   q->wconf.query_name);
			goto fail;
		}
		q->name = sl_xstrdup(q->wconf.query_name);
	}
	if (check_modes(q, ops, err))
		goto fail;
	sl_sink *sk = &q->sink;
	sk->conf = sl_arena_calloc(&s->arena, ops->conf_size ? ops->conf_size
							      : 1);
	char comp[96];
	snprintf(comp, sizeof(comp), "sink '%s'", ops->name);
	if (sl_options_apply(ops->options, sk->conf, &given,
			     sl_writer_option_names, comp, &s->arena, err) ||
	    sl_options_finalize(ops->finalize, sk->conf, comp, err))
		goto fail;
	sk->ops = ops;
	sk->schema = f->schema;
	if (ops->check && ops->check(sk, err) < 0)
		goto fail;
	return q;
fail:
	sl_oom_undefer(q);
	free(q->name);
	pthread_mutex_destroy(&q->lock);
	free(q);
	return NULL;
}

/* A prepared query that never started. */
static void query_discard(sl_query *q)
{
	sl_oom_undefer(q);
	free(q->name);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static int frame_check_start(sl_frame *f, const char *format,
			     const char *const *options)
{
	sl_err err = {0};
	sl_query *q = query_prepare(f, format, options, &err);
	if (!q) {
		sl_fail(f->session, &err);
		return err.code ? err.code : SL_EINVAL;
	}
	query_discard(q);
	return 0;
}

static void frame_check_start_run(sl_api_call *c)
{
	c->rc = frame_check_start((sl_frame *)c->a[0], c->a[1], c->a[2]);
}

int sl_frame_check_start(sl_frame *f, const char *format,
			 const char *const *options)
{
	sl_api_call c = { .a = { f, format, options } };
	sl_api_guard(f->session, "check_start", frame_check_start_run, &c);
	return c.rc;
}

static void sink_wake(void *w)
{
	sl_waiter_wake(w);
}

/* An allocation failed while start built the query (core/alloc.h): what
 * it made so far goes, as on start's own failure paths. */
static void query_unwind(void *arg)
{
	sl_query *q = arg;
	query_free_parts(q);
	query_discard(q);
}

static void sink_unwind(void *arg)
{
	sl_sink *sk = arg;
	if (sk->state && sk->ops->destroy)
		sk->ops->destroy(sk);
}

static sl_query *frame_start(sl_frame *f, const char *format,
			     const char *const *options,
			     const sl_sink_callbacks *cb)
{
	sl_session *s = f->session;
	sl_err err = {0};
	sl_query *q = query_prepare(f, format, options, &err);
	if (!q)
		return sl_fail(s, &err);
	sl_uuid_v4(q->id);
	sl_uuid_v4(q->run_id);
	sl_sink *sk = &q->sink;
	sk->schema = f->schema;
	sk->mode = (sl_output_mode)q->wconf.output_mode;
	sk->continuous = q->trig.kind == SL_TRIG_CONTINUOUS;
	sk->epoch_ms = q->trig.kind == SL_TRIG_CONTINUOUS ||
				       q->trig.kind == SL_TRIG_PROCESSING
			       ? q->trig.interval_ms
			       : 0;
	sk->query_name = q->name;
	/* A stateful query's sink gets the aggregation's output: one
	 * stateful partition. */
	sl_agg_frame *ag = sl_stateful_find(f);
	sk->nparts = ag ? 1 : q->src->nparts;
	sk->console_fd = s->console_fd;
	sk->publish = sl_session_table_publish;
	sk->publish_arg = s;
	sk->query = q;
	sk->source = q->src;
	if (cb && !sl_sized_in(&q->cb, sizeof(q->cb), cb)) {
		sl_err_set(&err, SL_EINVAL,
			   "start: sl_sink_callbacks.size is 0 (set it to "
			   "sizeof(sl_sink_callbacks))");
		query_discard(q);
		return sl_fail(s, &err);
	}
	sk->cb = cb ? &q->cb : NULL;
	sk->arena = &s->arena;
	/* Before init: a sink may hand the waker to a thread of its own. */
	sl_waiter_init(&q->sink_wake);
	sk->wake = sink_wake;
	sk->wake_arg = &q->sink_wake;
	/* An unwind from here on (core/alloc.h), inside init too, destroys
	 * the sink once init has given it a state. */
	sl_oom_defer(sink_unwind, sk);
	if (sk->ops->init && sk->ops->init(sk, &err) < 0) {
		sl_oom_undefer(sk);
		if (!err.msg[0])
			sl_err_set(&err, SL_EINVAL, "sink '%s': init failed",
				   sk->ops->name);
		query_discard(q);
		return sl_fail(s, &err);
	}
	if (ag) {
		/* check_modes turned a continuous trigger into micro-batches */
		sl_trigger asked = { 0 };
		sl_err ignored = { 0 };
		sl_trigger_parse(q->wconf.trigger ? q->wconf.trigger : "",
				 &asked, &ignored);
		if (sl_stateful_wrap(q, ag, asked.kind == SL_TRIG_CONTINUOUS,
				     &err)) {
			sl_oom_undefer(sk);
			if (sk->ops->destroy)
				sk->ops->destroy(sk);
			query_discard(q);
			return sl_fail(s, &err);
		}
	}
	/* The partition threads' chain takes the stream-static join steps
	 * too (engine/stateless.c), below any stateful operator. */
	q->chain = ag ? sl_stateful_chain(ag->f.parent, &s->arena)
		      : sl_chain_build(f, &s->arena);
	session_reserve_query(s);
	if (sl_pushdown_apply(q, f, &err) || sl_exec_start(q, &err)) {
		sl_oom_undefer(sk);
		if (sk->ops->destroy)
			sk->ops->destroy(sk);
		query_free_parts(q);
		query_discard(q);
		return sl_fail(s, &err);
	}
	/* Running: from here on nothing allocates, the query is the
	 * session's. */
	sl_oom_undefer(sk);
	sl_oom_undefer(q);
	session_add_query(s, q);
	return q;
}

static void frame_start_run(sl_api_call *c)
{
	c->ret = frame_start((sl_frame *)c->a[0], c->a[1], c->a[2], c->a[3]);
}

sl_query *sl_frame_start(sl_frame *f, const char *format,
			 const char *const *options,
			 const sl_sink_callbacks *cb)
{
	if (!f)
		return NULL;
	const sl_logger *prev = sl_log_bind(&f->session->log);
	sl_api_call c = { .a = { f, format, options, cb } };
	sl_api_guard(f->session, "start", frame_start_run, &c);
	sl_log_bind(prev);
	return c.ret;
}

static void query_free_parts(sl_query *q)
{
	for (uint32_t i = 0; q->parts && i < q->nparts; i++)
		sl_chan_free(q->parts[i].ch);
	free(q->parts);
	q->parts = NULL;
}

void sl_query_free(sl_query *q)
{
	sl_query_stop(q);
	query_free_parts(q);
	for (uint32_t i = 0; i < q->nprogress; i++)
		free(q->progress[(q->progress_head + i) % SL_PROGRESS_KEEP]);
	free(q->name);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* ---- the handle ----------------------------------------------------------- */

int sl_query_stop(sl_query *q)
{
	const sl_logger *prev = sl_log_bind(&q->session->log);
	atomic_store(&q->stop, true);
	sl_waiter_wake(&q->coord_wake);
	for (uint32_t i = 0; i < q->nparts; i++)
		sl_waiter_wake(&q->parts[i].wake);
	sl_exec_join(q);
	sl_log_bind(prev);
	pthread_mutex_lock(&q->lock);
	int rc = q->exception ? q->exc_code : 0;
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* The CLOCK_REALTIME time (pthread_cond_timedwait's clock) timeout_ms from
 * now; now itself when timeout_ms < 0, which waits without a deadline. */
static struct timespec deadline_after_ms(int64_t timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	if (timeout_ms >= 0) {
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (timeout_ms % 1000) * 1000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
	}
	return dl;
}

/* One wait, s->lock held, for a query of the session to end: until
 * signalled, or with timeout_ms >= 0 until dl. ETIMEDOUT once dl passed. */
static int wait_query_end(sl_session *s, int64_t timeout_ms,
			  const struct timespec *dl)
{
	return timeout_ms < 0 ? pthread_cond_wait(&s->ended, &s->lock)
			      : pthread_cond_timedwait(&s->ended, &s->lock, dl);
}

int sl_query_await(sl_query *q, int64_t timeout_ms)
{
	sl_session *s = q->session;
	struct timespec dl = deadline_after_ms(timeout_ms);
	pthread_mutex_lock(&s->lock);
	while (atomic_load(&q->active)) {
		if (wait_query_end(s, timeout_ms, &dl) == ETIMEDOUT)
			break;
	}
	bool active = atomic_load(&q->active);
	pthread_mutex_unlock(&s->lock);
	if (active)
		return 0;
	/* Ended by itself (once, availableNow, failure): join its threads. */
	sl_exec_join(q);
	pthread_mutex_lock(&q->lock);
	bool failed = q->exception != NULL;
	pthread_mutex_unlock(&q->lock);
	return failed ? SL_ESTOPPED : 1;
}

int sl_session_await_any(sl_session *s, int64_t timeout_ms)
{
	struct timespec dl = deadline_after_ms(timeout_ms);
	int ended = 0;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (uint32_t i = 0; i < s->nqueries; i++)
			if (!atomic_load(&s->queries[i]->active))
				ended = 1;
		if (ended)
			break;
		if (wait_query_end(s, timeout_ms, &dl) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return ended;
}

bool sl_query_is_active(sl_query *q)
{
	return atomic_load(&q->active);
}

const char *sl_query_exception(sl_query *q)
{
	pthread_mutex_lock(&q->lock);
	const char *e = q->exception;
	pthread_mutex_unlock(&q->lock);
	return e;
}

const char *sl_query_name(sl_query *q)
{
	return q->name;
}

const char *sl_query_id(sl_query *q)
{
	return q->id;
}

void sl_query_fail(sl_query *q, int code, const char *msg)
{
	pthread_mutex_lock(&q->lock);
	if (!q->exception) {
		snprintf(q->exc_buf, sizeof(q->exc_buf), "%s", msg);
		q->exception = q->exc_buf;
		q->exc_code = code < 0 ? code : SL_ESTOPPED;
	}
	pthread_mutex_unlock(&q->lock);
	atomic_store(&q->stop, true);
	atomic_store(&q->cancel, true);
	sl_waiter_wake(&q->coord_wake);
	sl_waiter_wake(&q->sink_wake);
	for (uint32_t i = 0; i < q->nparts; i++)
		sl_waiter_wake(&q->parts[i].wake);
}

void sl_query_fail_oom(sl_query *q, const char *where)
{
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "out of memory: the %s could not allocate %zu bytes", where,
		 sl_oom_bytes());
	sl_query_fail(q, SL_ENOMEM, msg);
}

static const char *status_message(int st)
{
	switch (st) {
	case SL_QS_INIT: return "Initializing sources";
	case SL_QS_WAIT_DATA: return "Waiting for data to arrive";
	case SL_QS_WAIT_TRIGGER: return "Waiting for next trigger";
	case SL_QS_PROCESSING: return "Processing new data";
	default: return "Stopped";
	}
}

void sl_query_status(sl_query *q, sl_status *caller)
{
	sl_status full = { .size = sizeof(full) }, *out = &full;
	int st = atomic_load(&q->status);
	if (!atomic_load(&q->active))
		st = SL_QS_STOPPED;
	char note[96];
	if (st != SL_QS_STOPPED &&
	    sl_stateful_status_note(q, note, sizeof(note)))
		snprintf(out->message, sizeof(out->message), "%s (%s)",
			 status_message(st), note);
	else
		snprintf(out->message, sizeof(out->message), "%s",
			 status_message(st));
	out->is_data_available = atomic_load(&q->data_avail);
	out->is_trigger_active = st == SL_QS_PROCESSING ||
				 (q->trig.kind == SL_TRIG_CONTINUOUS &&
				  st != SL_QS_STOPPED);
	pthread_mutex_lock(&q->lock);
	out->error = q->exception ? q->exc_code : 0;
	pthread_mutex_unlock(&q->lock);
	sl_sized_out(caller, out, sizeof(*out));
}

char *sl_query_status_json(sl_query *q)
{
	sl_status st = { .size = sizeof(st) };
	sl_query_status(q, &st);
	json_t *j = json_pack("{s:s, s:b, s:b}", "message", st.message,
			      "isDataAvailable", st.is_data_available,
			      "isTriggerActive", st.is_trigger_active);
	/* Set at start, before the threads, and read-only afterwards. */
	if (j && q->ckpt_warning[0])
		json_object_set_new(j, "checkpointWarning",
				    json_string(q->ckpt_warning));
	char *out = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

void sl_query_add_progress(sl_query *q, char *json)
{
	pthread_mutex_lock(&q->lock);
	if (q->nprogress == SL_PROGRESS_KEEP) {
		free(q->progress[q->progress_head]);
		q->progress[q->progress_head] = json;
		q->progress_head = (q->progress_head + 1) % SL_PROGRESS_KEEP;
	} else {
		q->progress[(q->progress_head + q->nprogress++) %
			    SL_PROGRESS_KEEP] = json;
	}
	pthread_mutex_unlock(&q->lock);
}

char *sl_query_last_progress(sl_query *q)
{
	char *out = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->nprogress)
		out = strdup(q->progress[(q->progress_head + q->nprogress - 1) %
					 SL_PROGRESS_KEEP]);
	pthread_mutex_unlock(&q->lock);
	return out;
}

char *sl_query_recent_progress(sl_query *q)
{
	pthread_mutex_lock(&q->lock);
	size_t len = 3;
	for (uint32_t i = 0; i < q->nprogress; i++)
		len += strlen(q->progress[(q->progress_head + i) %
					  SL_PROGRESS_KEEP]) + 1;
	char *out = malloc(len);
	if (out) {
		char *p = out;
		*p++ = '[';
		for (uint32_t i = 0; i < q->nprogress; i++) {
			const char *j = q->progress[(q->progress_head + i) %
						    SL_PROGRESS_KEEP];
			if (i)
				*p++ = ',';
			size_t l = strlen(j);
			memcpy(p, j, l);
			p += l;
		}
		*p++ = ']';
		*p = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return out;
}
