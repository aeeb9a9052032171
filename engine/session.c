/* engine/session.c - sessions and frames: the logical plan a user builds with
 * read_stream / where / select, analysed at each call, and the memory-sink
 * tables a session serves. Queries start from here (engine/query.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rows.h"
#include "engine/engine.h"
#include "engine/stateful.h"

/* ---- the session's last error ---------------------------------------------- */

void *sl_fail(sl_session *s, const sl_err *err)
{
	if (!s)
		return NULL;
	pthread_mutex_lock(&s->err_lock);
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", err->msg);
	s->errcode = err->code ? err->code : SL_EINVAL;
	pthread_mutex_unlock(&s->err_lock);
	return NULL;
}

typedef struct api_thunk {
	void (*run)(sl_api_call *c);
	sl_api_call *c;
} api_thunk;

static void api_thunk_run(void *arg)
{
	api_thunk *t = arg;
	t->run(t->c);
}

int sl_api_guard(sl_session *s, const char *what,
		 void (*run)(sl_api_call *c), sl_api_call *c)
{
	api_thunk t = { run, c };
	if (sl_oom_call(api_thunk_run, &t) == 0)
		return 0;
	c->ret = NULL;
	c->rc = SL_ENOMEM;
	return sl_fail_code(s, SL_ENOMEM,
			    "%s: out of memory (an allocation of %zu bytes "
			    "failed)",
			    what, sl_oom_bytes());
}

int sl_fail_code(sl_session *s, int code, const char *fmt, ...)
{
	if (!s)
		return code;
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&s->err_lock);
	s->errcode = code;
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	pthread_mutex_unlock(&s->err_lock);
	va_end(ap);
	return code;
}

const char *sl_session_errmsg(sl_session *s)
{
	return s ? s->errmsg : "";
}

int sl_session_errcode(sl_session *s)
{
	if (!s)
		return 0;
	pthread_mutex_lock(&s->err_lock);
	int code = s->errcode;
	pthread_mutex_unlock(&s->err_lock);
	return code;
}

size_t sl_session_errmsg_copy(sl_session *s, char *buf, size_t n)
{
	if (!s) {
		if (n)
			buf[0] = '\0';
		return 0;
	}
	pthread_mutex_lock(&s->err_lock);
	size_t len = strlen(s->errmsg);
	if (n)
		snprintf(buf, n, "%s", s->errmsg);
	pthread_mutex_unlock(&s->err_lock);
	return len;
}

void sl_session_clear_error(sl_session *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->err_lock);
	s->errcode = 0;
	s->errmsg[0] = '\0';
	pthread_mutex_unlock(&s->err_lock);
}

/* ---- sessions ---------------------------------------------------------------- */

sl_session *sl_session_new(void)
{
	sl_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	sl_arena_init(&s->arena);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->err_lock, NULL);
	pthread_cond_init(&s->ended, NULL);
	s->console_fd = 1;
	sl_session_conf_init(s);
	return s;
}

sl_session *sl_session_new_conf(const char *const *conf, char *errstr,
				size_t errstr_size)
{
	if (errstr && errstr_size)
		errstr[0] = '\0';
	sl_session *s = sl_session_new();
	if (!s) {
		if (errstr && errstr_size)
			snprintf(errstr, errstr_size,
				 "session: out of memory");
		return NULL;
	}
	for (size_t i = 0; conf && conf[i]; i += 2) {
		int rc = conf[i + 1]
				 ? sl_session_conf_set(s, conf[i], conf[i + 1])
				 : sl_fail_code(s, SL_EINVAL,
						"configuration key '%s' has no "
						"value (conf is key, value "
						"pairs ending with NULL)",
						conf[i]);
		if (rc < 0) {
			if (errstr && errstr_size)
				snprintf(errstr, errstr_size, "%s",
					 s->errmsg);
			sl_session_destroy(s);
			return NULL;
		}
	}
	return s;
}

void sl_session_set_console_fd(sl_session *s, int fd)
{
	s->console_fd = fd;
}

void sl_session_set_log_cb(sl_session *s, sl_log_cb cb, void *opaque)
{
	s->log.fn = cb;
	s->log.opaque = opaque;
}

void sl_query_free(sl_query *q); /* engine/query.c */

void sl_session_destroy(sl_session *s)
{
	if (!s)
		return;
	/* Sources and sinks closed below may have something to say. */
	const sl_logger *prev = sl_log_bind(&s->log);
	/* First: a scrape reads the queries freed below. */
	sl_session_metrics_stop(s);
	for (uint32_t i = 0; i < s->nqueries; i++)
		sl_query_stop(s->queries[i]);
	for (uint32_t i = 0; i < s->nqueries; i++)
		sl_query_free(s->queries[i]);
	free(s->queries);
	for (uint32_t i = 0; i < s->nsources; i++) {
		struct sl_source *src = s->sources[i];
		if (src->ops->destroy)
			src->ops->destroy(src);
	}
	free(s->sources);
	while (s->cleanups) {
		sl_cleanup *c = s->cleanups;
		s->cleanups = c->next;
		c->fn(c->p);
		free(c);
	}
	sl_table *t = s->tables;
	while (t) {
		sl_table *n = t->next;
		free(t->name);
		sl_batch_free(t->rows);
		free(t);
		t = n;
	}
	sl_session_conf_free(s);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->err_lock);
	pthread_cond_destroy(&s->ended);
	sl_arena_free(&s->arena);
	sl_log_bind(prev);
	free(s);
}

void sl_session_on_destroy(sl_session *s, void (*fn)(void *), void *p)
{
	sl_cleanup *c = sl_xrealloc(NULL, sizeof(*c));
	c->fn = fn;
	c->p = p;
	pthread_mutex_lock(&s->lock);
	c->next = s->cleanups;
	s->cleanups = c;
	pthread_mutex_unlock(&s->lock);
}

/* ---- options as given ---------------------------------------------------- */

/* Copies a NULL-terminated key, value, ... array into an sl_kvs. An odd
 * count (a key without a value) is an error. */
static int kvs_from_array(sl_session *s, const char *const *opts, sl_kvs *out,
			  sl_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!opts)
		return 0;
	for (size_t i = 0; opts[i]; i += 2) {
		if (!opts[i + 1])
			return sl_err_set(err, SL_EINVAL,
					  "option '%s' has no value (options "
					  "are key, value pairs ending with "
					  "NULL)",
					  opts[i]);
		sl_kvs_add(out, &s->arena, opts[i], opts[i + 1]);
	}
	return 0;
}

int sl_session_kvs(sl_session *s, const char *const *opts, sl_kvs *out,
		   sl_err *err)
{
	return kvs_from_array(s, opts, out, err);
}

/* ---- frames ---------------------------------------------------------------- */

static void session_reserve_source(sl_session *s)
{
	if (s->nsources == s->capsources) {
		uint32_t cap = s->capsources ? s->capsources * 2 : 8;
		s->sources = sl_xrealloc(s->sources, cap * sizeof(*s->sources));
		s->capsources = cap;
	}
}

static void session_add_source(sl_session *s, struct sl_source *src)
{
	session_reserve_source(s);
	s->sources[s->nsources++] = src;
}

/* An allocation failed inside a source's init: what it made goes. */
static void source_unwind(void *arg)
{
	struct sl_source *src = arg;
	if (src->state && src->ops->destroy)
		src->ops->destroy(src);
}

static size_t list_names_src(char *buf, size_t n)
{
	size_t len = 0;
	for (int i = 0; sl_sources[i]; i++)
		len += snprintf(buf + (len < n ? len : n), len < n ? n - len : 0,
				"%s%s", i ? ", " : "", sl_sources[i]->name);
	return len;
}

static sl_frame *read_stream(sl_session *s, const char *format,
			     const char *const *options)
{
	sl_err err = {0};
	if (!format) {
		sl_err_set(&err, SL_EINVAL, "read_stream: no format given");
		return sl_fail(s, &err);
	}
	const sl_source_ops *ops = sl_session_source_ops(s, format);
	if (!ops) {
		char names[256];
		list_names_src(names, sizeof(names));
		sl_err_set(&err, SL_EFORMAT,
			   "unknown source format '%s' (known: %s)", format,
			   names);
		return sl_fail(s, &err);
	}
	sl_kvs *given = sl_arena_calloc(&s->arena, sizeof(*given));
	if (kvs_from_array(s, options, given, &err))
		return sl_fail(s, &err);
	struct sl_source *src = sl_arena_calloc(&s->arena, sizeof(*src));
	src->ops = ops;
	src->session = s;
	src->inputs = s->inputs;
	src->arena = &s->arena;
	src->given = given;
	src->conf = sl_arena_calloc(&s->arena, ops->conf_size ? ops->conf_size
							      : 1);
	char comp[96];
	snprintf(comp, sizeof(comp), "source '%s'", ops->name);
	if (sl_options_apply(ops->options, src->conf, given, NULL, comp,
			     &s->arena, &err) ||
	    sl_options_finalize(ops->finalize, src->conf, comp, &err))
		return sl_fail(s, &err);
	/* Room first, so that adding the initialised source cannot fail;
	 * an unwind inside init (core/alloc.h) destroys what it made. */
	session_reserve_source(s);
	sl_oom_defer(source_unwind, src);
	int rc = ops->init ? ops->init(src, &err) : 0;
	sl_oom_undefer(src);
	if (rc < 0) {
		if (!err.msg[0])
			sl_err_set(&err, SL_EINVAL, "%s: init failed", comp);
		return sl_fail(s, &err);
	}
	session_add_source(s, src);
	return sl_frame_root(s, SL_FR_SOURCE, src);
}

static void read_stream_run(sl_api_call *c)
{
	c->ret = read_stream((sl_session *)c->a[0], c->a[1], c->a[2]);
}

sl_frame *sl_session_read_stream(sl_session *s, const char *format,
			 const char *const *options)
{
	const sl_logger *prev = sl_log_bind(&s->log);
	sl_api_call c = { .a = { s, format, options } };
	sl_api_guard(s, "read_stream", read_stream_run, &c);
	sl_log_bind(prev);
	return c.ret;
}

sl_frame *sl_frame_root(sl_session *s, sl_frame_kind kind,
			struct sl_source *src)
{
	sl_frame *f = sl_arena_calloc(&s->arena, sizeof(*f));
	f->session = s;
	f->kind = kind;
	f->src = src;
	f->format = src->ops->name;
	f->schema = src->schema;
	f->gen = -1;
	return f;
}

/* A static table only feeds a join: its rows are not a stream. */
static bool static_refused(const sl_frame *f, const char *what)
{
	if (f->kind != SL_FR_STATIC)
		return false;
	sl_fail_code(f->session, SL_EANALYSIS,
		     "%s: this frame is a static table (sl_session_read_static); it "
		     "can only be the right side of sl_frame_join",
		     what);
	return true;
}

/* "a, b, c": the column names, for messages. */
size_t sl_schema_list(const sl_schema *sc, char *buf, size_t n)
{
	size_t len = 0;
	for (uint32_t i = 0; i < sc->n; i++)
		len += snprintf(buf + (len < n ? len : n), len < n ? n - len : 0,
				"%s%s", i ? ", " : "", sc->fields[i].name);
	return len;
}

static sl_frame *frame_where(sl_frame *f, const char *condition)
{
	sl_session *s = f->session;
	sl_err err = {0};
	if (static_refused(f, "where"))
		return NULL;
	if (!condition) {
		sl_err_set(&err, SL_EINVAL, "where: no condition given");
		return sl_fail(f->session, &err);
	}
	sl_expr *e = sl_expr_parse(condition, false, &s->arena, &err);
	if (!e)
		return sl_fail(f->session, &err);
	if (sl_expr_has_aggregate(e)) {
		sl_err_set(&err, SL_EANALYSIS,
			   "aggregate functions are not allowed in WHERE: "
			   "'%s'",
			   condition);
		return sl_fail(f->session, &err);
	}
	if (sl_session_bind(s, e, f->schema, &s->arena, &err))
		return sl_fail(f->session, &err);
	const sl_dtype *t = sl_expr_type(e);
	if (t->id != SL_BOOL && t->id != SL_NULL) {
		char tn[64];
		sl_dtype_name(t, tn, sizeof(tn));
		sl_err_set(&err, SL_EANALYSIS,
			   "WHERE condition '%s' is of type %s, not boolean",
			   condition, tn);
		return sl_fail(f->session, &err);
	}
	sl_frame *w = sl_arena_calloc(&s->arena, sizeof(*w));
	*w = *f;
	w->kind = SL_FR_WHERE;
	w->parent = f;
	w->cond = e;
	w->items = NULL;
	w->nitems = 0;
	w->gen = -1;
	return w;
}

static void frame_where_run(sl_api_call *c)
{
	c->ret = frame_where((sl_frame *)c->a[0], c->a[1]);
}

sl_frame *sl_frame_where(sl_frame *f, const char *condition)
{
	sl_api_call c = { .a = { f, condition } };
	sl_api_guard(f->session, "where", frame_where_run, &c);
	return c.ret;
}

static sl_frame *frame_select(sl_frame *f, const char *const *exprs)
{
	sl_session *s = f->session;
	sl_err err = {0};
	if (static_refused(f, "select"))
		return NULL;
	uint32_t nin = 0;
	while (exprs && exprs[nin])
		nin++;
	if (!nin) {
		sl_err_set(&err, SL_EINVAL, "select: no expressions given");
		return sl_fail(f->session, &err);
	}
	sl_expr **parsed = sl_arena_calloc(&s->arena, nin * sizeof(*parsed));
	uint32_t nout = 0;
	for (uint32_t i = 0; i < nin; i++) {
		parsed[i] = sl_expr_parse(exprs[i], true, &s->arena, &err);
		if (!parsed[i])
			return sl_fail(f->session, &err);
		if (sl_expr_has_aggregate(parsed[i])) {
			sl_err_set(&err, SL_EANALYSIS,
				   "'%s' is an aggregation: aggregate "
				   "functions belong in sl_frame_group_by's "
				   "aggregates (or a SELECT with GROUP BY)",
				   exprs[i]);
			return sl_fail(f->session, &err);
		}
		/* bound here: a generator's columns are known once bound */
		if (!sl_expr_is_star(parsed[i]) &&
		    sl_session_bind(s, parsed[i], f->schema, &s->arena, &err))
			return sl_fail(f->session, &err);
		nout += sl_expr_is_star(parsed[i])
				? f->schema->n
				: sl_expr_generator_width(parsed[i]);
	}
	sl_frame *o = sl_arena_calloc(&s->arena, sizeof(*o));
	*o = *f;
	o->kind = SL_FR_SELECT;
	o->parent = f;
	o->cond = NULL;
	o->gen = -1;
	o->nitems = nout;
	o->items = sl_arena_calloc(&s->arena, nout * sizeof(*o->items));
	o->pass = sl_arena_calloc(&s->arena, nout * sizeof(*o->pass));
	sl_schema *sc = sl_schema_new(&s->arena, nout);
	uint32_t k = 0;
	for (uint32_t i = 0; i < nin; i++) {
		if (sl_expr_is_star(parsed[i])) {
			for (uint32_t c = 0; c < f->schema->n; c++, k++) {
				o->items[k] = NULL;
				o->pass[k] = (int32_t)c;
				sc->fields[k] = f->schema->fields[c];
			}
			continue;
		}
		if (sl_session_bind(s, parsed[i], f->schema, &s->arena, &err))
			return sl_fail(f->session, &err);
		if (sl_expr_is_generator(parsed[i])) {
			if (o->gen >= 0) {
				sl_err_set(&err, SL_EANALYSIS,
					   "only one generator (explode) is "
					   "allowed per select, found a second "
					   "in '%s'",
					   exprs[i]);
				return sl_fail(f->session, &err);
			}
			o->gen = (int32_t)k;
		}
		o->items[k] = parsed[i];
		o->pass[k] = -1;
		sc->fields[k].name = sl_expr_name(parsed[i]);
		sc->fields[k].type = sl_expr_type(parsed[i]);
		sc->fields[k].nullable = true;
		/* a generator of several columns: the rest follow it */
		const sl_schema *gf = sl_expr_generator_fields(parsed[i]);
		for (uint32_t j = 0; gf && j < gf->n; j++) {
			o->items[k + j] = NULL;
			o->pass[k + j] = 0;
			sc->fields[k + j] = gf->fields[j];
			sc->fields[k + j].nullable = true;
		}
		o->items[k] = parsed[i];
		k += gf ? gf->n : 1;
	}
	o->nitems = sc->n = k;
	o->schema = sc;
	return o;
}

static void frame_select_run(sl_api_call *c)
{
	c->ret = frame_select((sl_frame *)c->a[0], c->a[1]);
}

sl_frame *sl_frame_select(sl_frame *f, const char *const *exprs)
{
	sl_api_call c = { .a = { f, exprs } };
	sl_api_guard(f->session, "select", frame_select_run, &c);
	return c.ret;
}

/* ---- stateful frames (planned by engine/stateful.c) ------------------------ */

static sl_frame *frame_with_watermark(sl_frame *f, const char *column,
				  const char *delay)
{
	sl_err err = {0};
	if (static_refused(f, "withWatermark"))
		return NULL;
	sl_frame *w = sl_stateful_watermark(f, column, delay, &err);
	return w ? w : sl_fail(f->session, &err);
}

static void frame_with_watermark_run(sl_api_call *c)
{
	c->ret = frame_with_watermark((sl_frame *)c->a[0], c->a[1], c->a[2]);
}

sl_frame *sl_frame_with_watermark(sl_frame *f, const char *column,
				  const char *delay)
{
	sl_api_call c = { .a = { f, column, delay } };
	sl_api_guard(f->session, "withWatermark", frame_with_watermark_run, &c);
	return c.ret;
}

static sl_frame *frame_group_by(sl_frame *f, const char *const *keys,
			    const char *const *aggs)
{
	sl_err err = {0};
	if (static_refused(f, "group_by"))
		return NULL;
	if (!aggs || !aggs[0]) {
		sl_err_set(&err, SL_EINVAL,
			   "group_by: no aggregates given (e.g. \"count(*) AS "
			   "count\")");
		return sl_fail(f->session, &err);
	}
	sl_frame *o = sl_stateful_aggregate(f, keys, aggs, NULL, true, &err);
	return o ? o : sl_fail(f->session, &err);
}

static void frame_group_by_run(sl_api_call *c)
{
	c->ret = frame_group_by((sl_frame *)c->a[0], c->a[1], c->a[2]);
}

sl_frame *sl_frame_group_by(sl_frame *f, const char *const *keys,
			    const char *const *aggs)
{
	sl_api_call c = { .a = { f, keys, aggs } };
	sl_api_guard(f->session, "group_by", frame_group_by_run, &c);
	return c.ret;
}

static sl_frame *frame_aggregate(sl_frame *f, const char *const *keys,
			     const char *const *items, const char *having)
{
	sl_err err = {0};
	if (static_refused(f, "aggregate"))
		return NULL;
	sl_frame *o = sl_stateful_aggregate(f, keys, items, having, false,
					    &err);
	return o ? o : sl_fail(f->session, &err);
}

static void frame_aggregate_run(sl_api_call *c)
{
	c->ret = frame_aggregate((sl_frame *)c->a[0], c->a[1], c->a[2],
				 c->a[3]);
}

sl_frame *sl_frame_aggregate(sl_frame *f, const char *const *keys,
			     const char *const *items, const char *having)
{
	sl_api_call c = { .a = { f, keys, items, having } };
	sl_api_guard(f->session, "aggregate", frame_aggregate_run, &c);
	return c.ret;
}

static sl_frame *frame_drop_duplicates(sl_frame *f, const char *const *cols)
{
	sl_err err = {0};
	if (static_refused(f, "dropDuplicates"))
		return NULL;
	sl_frame *o = sl_stateful_drop_duplicates(f, cols, &err);
	return o ? o : sl_fail(f->session, &err);
}

static void frame_drop_duplicates_run(sl_api_call *c)
{
	c->ret = frame_drop_duplicates((sl_frame *)c->a[0], c->a[1]);
}

sl_frame *sl_frame_drop_duplicates(sl_frame *f, const char *const *cols)
{
	sl_api_call c = { .a = { f, cols } };
	sl_api_guard(f->session, "dropDuplicates", frame_drop_duplicates_run,
		     &c);
	return c.ret;
}

size_t sl_frame_schema(sl_frame *f, char *buf, size_t n)
{
	size_t len = 0;
	if (n)
		buf[0] = 0;
	for (uint32_t i = 0; i < f->schema->n; i++) {
		char tn[128];
		sl_dtype_name(f->schema->fields[i].type, tn, sizeof(tn));
		len += snprintf(buf + (len < n ? len : n), len < n ? n - len : 0,
				"%s%s: %s", i ? ", " : "",
				f->schema->fields[i].name, tn);
	}
	return len;
}

/* ---- memory tables ------------------------------------------------------- */

static void free_rows(void *b)
{
	sl_batch_free(b);
}

/* A table's row count before an append that may unwind. */
typedef struct table_keep {
	sl_batch *rows;
	uint32_t n;
} table_keep;

static void table_truncate(void *arg)
{
	table_keep *k = arg;
	k->rows->nrows = k->n;
}

void sl_session_table_publish(void *session, const char *name, sl_batch *rows,
			      bool replace)
{
	sl_session *s = session;
	/* An allocation failing below unwinds (core/alloc.h) with the lock
	 * released, rows freed and the table as it was. */
	sl_oom_defer(free_rows, rows);
	sl_oom_lock(&s->lock);
	sl_table *t = s->tables;
	while (t && strcmp(t->name, name))
		t = t->next;
	if (!t) {
		t = sl_xcalloc(1, sizeof(*t));
		sl_oom_own(t);
		t->name = sl_xstrdup(name);
		sl_oom_disown(t);
		t->next = s->tables;
		s->tables = t;
	}
	sl_oom_undefer(rows);
	if (replace || !t->rows) {
		sl_batch_free(t->rows);
		t->rows = rows;
	} else {
		table_keep keep = { t->rows, t->rows->nrows };
		sl_oom_defer(free_rows, rows);
		sl_oom_defer(table_truncate, &keep);
		sl_batch_append_copy(t->rows, rows);
		sl_oom_undefer(&keep);
		sl_oom_undefer(rows);
		sl_batch_free(rows);
	}
	sl_oom_unlock(&s->lock);
}

static sl_rows *session_table(sl_session *s, const char *name)
{
	sl_batch *copy = NULL;
	sl_oom_lock(&s->lock);
	for (sl_table *t = s->tables; t; t = t->next) {
		if (strcmp(t->name, name))
			continue;
		copy = sl_batch_new(t->rows->schema, t->rows->nrows);
		sl_oom_defer(free_rows, copy);
		sl_batch_append_copy(copy, t->rows);
		sl_oom_undefer(copy);
		break;
	}
	sl_oom_unlock(&s->lock);
	if (!copy) {
		sl_err err;
		sl_err_set(&err, SL_ENOTFOUND, "no memory table named '%s'",
			   name);
		sl_fail(s, &err);
	}
	return sl_rows_of(copy);
}

static void session_table_run(sl_api_call *c)
{
	c->ret = session_table((sl_session *)c->a[0], c->a[1]);
}

sl_rows *sl_session_table(sl_session *s, const char *name)
{
	sl_api_call c = { .a = { s, name } };
	sl_api_guard(s, "table", session_table_run, &c);
	return c.ret;
}
