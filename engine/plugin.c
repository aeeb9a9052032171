/* engine/plugin.c - the host's own sources and sinks (include/
 * sluice_plugin.h): each registered plugin becomes an sl_source_ops or
 * sl_sink_ops of the session (io/plugin.h), whose callbacks call the
 * plugin's, so the engine runs it as it runs a built-in one. The ops
 * struct is the first member of the plugin's record, so the adapters find
 * the plugin from src->ops / sk->ops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rows.h"
#include "engine/engine.h"
#include "io/format.h"
#include "io/plugin.h"
#include "engine/plugin_internal.h"
#include "sluice_plugin.h"

#define PLUGIN_MAX_PARTS 1024
#define PLUGIN_MAX_ROWS 1024 /* rows per record vector, as the rate source */
#define PLUGIN_ERRLEN 512

struct sl_plugin_src {
	sl_source_ops ops; /* first: src->ops points here */
	sl_source_plugin p;
	struct sl_plugin_src *next;
};

struct sl_plugin_sink {
	sl_sink_ops ops; /* first: sk->ops points here */
	sl_sink_plugin p;
	struct sl_plugin_sink *next;
};


/* A source frame's state. */
typedef struct psrc_state {
	const struct sl_plugin_src *ps;
	void *state; /* the plugin's */
	char who[96];
} psrc_state;

/* A partition's. */
typedef struct psrc_part {
	psrc_state *st;
	void *part; /* the plugin's */
	bool ended;
} psrc_part;

/* ---- the emit builder --------------------------------------------------- */

static sl_value *emit_cur(sl_emit *e)
{
	if (!e || !e->b->nrows) {
		if (e)
			sl_err_set(&e->err, SL_EINVAL, "%s: sl_emit_* before "
				   "sl_emit_row", e->who);
		return NULL;
	}
	return sl_batch_row(e->b, e->b->nrows - 1);
}

int sl_emit_row(sl_emit *e)
{
	if (!e)
		return SL_EINVAL;
	if (e->b->nrows >= e->max)
		return sl_err_set(&e->err, SL_EFULL, "%s: poll emitted more "
				  "than the %u rows it was asked for", e->who,
				  e->max);
	sl_batch_add_row(e->b);
	return 0;
}

int sl_emit_long(sl_emit *e, uint32_t col, int64_t v)
{
	sl_value *row = emit_cur(e);

	return row ? sl_row_set_long(e->schema, row, col, v, e->who, &e->err)
		   : SL_EINVAL;
}

int sl_emit_double(sl_emit *e, uint32_t col, double v)
{
	sl_value *row = emit_cur(e);

	return row ? sl_row_set_double(e->schema, row, col, v, e->who,
				       &e->err)
		   : SL_EINVAL;
}

int sl_emit_string(sl_emit *e, uint32_t col, const char *s, size_t len)
{
	sl_value *row = emit_cur(e);
	int rc;

	if (!row)
		return SL_EINVAL;
	if (!s && len)
		return sl_err_set(&e->err, SL_EINVAL, "%s: sl_emit_string: "
				  "NULL bytes", e->who);
	rc = sl_row_set_string(e->schema, row, col, s, len, e->who, &e->err);
	if (rc < 0)
		return rc;
	/* The bytes live in the record vector. */
	char *copy = sl_arena_alloc(&e->b->arena, len ? len : 1);
	if (len)
		memcpy(copy, s, len);
	row[col].v.str = copy;
	return 0;
}

const char *sl_emit_errmsg(const sl_emit *e)
{
	return e ? e->err.msg : "";
}

/* ---- options ------------------------------------------------------------ */

sl_opt_def *sl_plugin_opt_table(const sl_plugin_option *o, sl_arena *a,
				size_t base, size_t *conf_size)
{
	uint32_t n = 0;

	while (o && o[n].name)
		n++;
	sl_opt_def *t = sl_arena_calloc(a, (n + 1) * sizeof(*t));
	for (uint32_t i = 0; i < n; i++) {
		t[i].name = sl_arena_strdup(a, o[i].name);
		t[i].type = SL_OPT_STRING;
		t[i].offset = base + i * sizeof(const char *);
		t[i].def = o[i].def ? sl_arena_strdup(a, o[i].def) : NULL;
		t[i].desc = o[i].description
				    ? sl_arena_strdup(a, o[i].description)
				    : "";
		t[i].required = o[i].required != 0;
	}
	*conf_size = base + (n ? n : 1) * sizeof(const char *);
	return t;
}

int sl_plugin_err(sl_err *err, int rc, const char *who, const char *msg)
{
	if (rc >= 0)
		rc = SL_EINVAL;
	return sl_err_set(err, rc, "%s: %s", who, msg[0] ? msg
							  : sl_strerror(rc));
}

/* ---- the source adapter ------------------------------------------------- */

static int psrc_init(sl_source *src, sl_err *err)
{
	const struct sl_plugin_src *ps = (const struct sl_plugin_src *)src->ops;
	psrc_state *st = sl_arena_calloc(src->arena, sizeof(*st));
	char msg[PLUGIN_ERRLEN] = "";
	const char *ddl = NULL;
	uint32_t n = 0;
	int rc;

	st->ps = ps;
	snprintf(st->who, sizeof(st->who), "source '%s'", ps->p.name);
	rc = ps->p.init(ps->p.ud, (const char *const *)src->conf, &st->state,
			&ddl, &n, msg, sizeof(msg));
	if (rc < 0)
		return sl_plugin_err(err, rc, st->who, msg);
	sl_schema *sc = NULL;
	sl_err perr = {0};
	if (!ddl)
		rc = sl_err_set(err, SL_EINVAL, "%s: init gave no schema",
				st->who);
	else if (n < 1 || n > PLUGIN_MAX_PARTS)
		rc = sl_err_set(err, SL_EINVAL, "%s: init gave %u partitions "
				"(1..%d)", st->who, n, PLUGIN_MAX_PARTS);
	else if (!(sc = sl_schema_parse(ddl, src->arena, &perr)))
		rc = sl_err_set(err, SL_EINVAL, "%s: schema '%s': %s",
				st->who, ddl, perr.msg);
	for (uint32_t c = 0; sc && !rc && c < sc->n; c++)
		if (!sl_row_settable(sc->fields[c].type)) {
			char tn[64];
			sl_dtype_name(sc->fields[c].type, tn, sizeof(tn));
			rc = sl_err_set(err, SL_EINVAL, "%s: column '%s' is %s, "
					"which a plugin cannot set", st->who,
					sc->fields[c].name, tn);
		}
	if (rc < 0) {
		/* the frame is not made: its source is never destroyed */
		if (ps->p.destroy)
			ps->p.destroy(st->state);
		return rc;
	}
	src->state = st;
	src->schema = sc;
	src->nparts = n;
	return 0;
}

static int psrc_open(sl_source_part *p)
{
	psrc_state *st = p->src->state;
	psrc_part *pp = calloc(1, sizeof(*pp));
	char msg[PLUGIN_ERRLEN] = "";
	int64_t start = p->has_resume ? p->resume : 0;

	if (!pp)
		return sl_err_set(&p->err, -ENOMEM, "%s: out of memory",
				  st->who);
	pp->st = st;
	int rc = st->ps->p.open(st->state, p->index, start, &pp->part, msg,
				sizeof(msg));
	if (rc < 0) {
		free(pp);
		return sl_plugin_err(&p->err, rc, st->who, msg);
	}
	p->state = pp;
	p->offset = start;
	return 0;
}

static int psrc_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		     sl_batch **out)
{
	psrc_part *pp = p->state;
	psrc_state *st = pp->st;
	int64_t want = end - p->offset;
	char msg[PLUGIN_ERRLEN] = "";

	*out = NULL;
	if (pp->ended)
		return SL_SOURCE_END;
	if (want <= 0)
		return 0;
	if (want > PLUGIN_MAX_ROWS)
		want = PLUGIN_MAX_ROWS;
	sl_emit e = { .schema = p->src->schema, .who = st->who,
		      .b = sl_batch_new(p->src->schema, (uint32_t)want),
		      .max = (uint32_t)want };
	int rc = st->ps->p.poll(pp->part, &e, e.max, wait_ns, msg,
				sizeof(msg));
	if (rc < 0 && rc != SL_EOS) {
		sl_batch_free(e.b);
		if (!msg[0] && e.err.msg[0])
			snprintf(msg, sizeof(msg), "%s", e.err.msg);
		return sl_plugin_err(&p->err, rc, st->who, msg);
	}
	if (rc == SL_EOS)
		pp->ended = true;
	if (!e.b->nrows) {
		sl_batch_free(e.b);
		return pp->ended ? SL_SOURCE_END : 0;
	}
	e.b->partition = p->index;
	e.b->ingest_ns = sl_now_ns();
	p->offset += e.b->nrows;
	e.b->end_offset = p->offset;
	*out = e.b;
	return (int)e.b->nrows;
}

static int64_t psrc_latest(sl_source_part *p, int64_t batch_id)
{
	psrc_state *st = p->src->state;
	int64_t end = st->ps->p.available(st->state, p->index);

	return end < p->offset ? p->offset : end;
}

static void psrc_close(sl_source_part *p)
{
	psrc_part *pp = p->state;

	if (!pp)
		return;
	if (pp->st->ps->p.close)
		pp->st->ps->p.close(pp->part);
	free(pp);
	p->state = NULL;
}

static void psrc_destroy(sl_source *src)
{
	psrc_state *st = src->state;

	if (st && st->ps->p.destroy)
		st->ps->p.destroy(st->state);
}

static void psrc_commit(sl_source *src, const int64_t *ends, uint32_t n,
			bool last)
{
	psrc_state *st = src->state;

	if (st->ps->p.commit)
		st->ps->p.commit(st->state, ends, n);
}

/* ---- the sink adapter --------------------------------------------------- */

typedef struct psink_state {
	const struct sl_plugin_sink *ps;
	void *state; /* the plugin's */
	bool open;
	char who[96];
} psink_state;

static int psink_init(sl_sink *sk, sl_err *err)
{
	const struct sl_plugin_sink *ps = (const struct sl_plugin_sink *)sk->ops;
	psink_state *st = calloc(1, sizeof(*st));
	char msg[PLUGIN_ERRLEN] = "";
	sl_buf ddl = {0};

	if (!st)
		return sl_err_set(err, -ENOMEM, "sink '%s': out of memory",
				  ps->p.name);
	st->ps = ps;
	snprintf(st->who, sizeof(st->who), "sink '%s'", ps->p.name);
	sk->state = st;
	for (uint32_t c = 0; c < sk->schema->n; c++) {
		char tn[256];
		sl_dtype_name(sk->schema->fields[c].type, tn, sizeof(tn));
		sl_buf_printf(&ddl, "%s`%s` %s", c ? ", " : "",
			      sk->schema->fields[c].name, tn);
	}
	int rc = ps->p.open(ps->p.ud, (const char *const *)sk->conf,
			    sl_buf_cstr(&ddl), &st->state, msg, sizeof(msg));
	sl_buf_free(&ddl);
	if (rc < 0)
		return sl_plugin_err(err, rc, st->who, msg);
	st->open = true;
	return 0;
}

static int psink_write(sl_sink *sk, sl_batch *b)
{
	psink_state *st = sk->state;
	char msg[PLUGIN_ERRLEN] = "";
	int rc = st->ps->p.write(st->state, sl_rows_of_const(b), b->epoch, msg,
				 sizeof(msg));

	return rc < 0 ? sl_plugin_err(&sk->err, rc, st->who, msg) : 0;
}

static int psink_commit(sl_sink *sk, int64_t epoch)
{
	psink_state *st = sk->state;
	char msg[PLUGIN_ERRLEN] = "";
	int rc = st->ps->p.commit(st->state, epoch, msg, sizeof(msg));

	return rc < 0 ? sl_plugin_err(&sk->err, rc, st->who, msg) : 0;
}

static void psink_destroy(sl_sink *sk)
{
	psink_state *st = sk->state;

	if (!st)
		return;
	if (st->open && st->ps->p.close)
		st->ps->p.close(st->state);
	free(st);
	sk->state = NULL;
}

/* ---- registration and lookup -------------------------------------------- */

/* A source's name must not be a source's (built-in, a file format's, or
 * registered), a sink's not a sink's. */
static bool name_ok(sl_session *s, const char *name, bool source)
{
	const char *what = source ? "source" : "sink";

	if (!name || !name[0]) {
		sl_fail_code(s, SL_EINVAL, "sl_session_add_%s: no name", what);
		return false;
	}
	if (source ? sl_session_source_ops(s, name) != NULL
		   : sl_session_sink_ops(s, name) != NULL) {
		sl_fail_code(s, SL_EINVAL, "sl_session_add_%s: the format "
			     "name '%s' is taken", what, name);
		return false;
	}
	return true;
}

static int session_add_source(sl_session *s, const sl_source_plugin *p)
{
	if (!s)
		return SL_EINVAL;
	if (!p || p->size < sizeof(*p))
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_source: "
				    "the plugin's size is not set");
	if (!p->init || !p->open || !p->poll || !p->available)
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_source: "
				    "'%s' lacks init, open, poll or available",
				    p->name ? p->name : "");
	if (!name_ok(s, p->name, true))
		return SL_EINVAL;
	struct sl_plugin_src *ps = sl_arena_calloc(&s->arena, sizeof(*ps));
	ps->p = *p;
	ps->p.name = sl_arena_strdup(&s->arena, p->name);
	ps->ops.name = ps->p.name;
	ps->ops.description = p->description ? p->description
					     : "a source of the host's";
	ps->ops.options = sl_plugin_opt_table(p->options, &s->arena, 0,
					     &ps->ops.conf_size);
	ps->ops.init = psrc_init;
	ps->ops.open = psrc_open;
	ps->ops.poll = psrc_poll;
	ps->ops.latest = psrc_latest;
	ps->ops.close = psrc_close;
	ps->ops.destroy = psrc_destroy;
	ps->ops.commit = psrc_commit;
	ps->ops.continuous = true;
	ps->next = s->plugin_sources;
	s->plugin_sources = ps;
	return 0;
}

static void session_add_source_run(sl_api_call *c)
{
	c->rc = session_add_source((sl_session *)c->a[0], c->a[1]);
}

int sl_session_add_source(sl_session *s, const sl_source_plugin *p)
{
	sl_api_call c = { .a = { s, p } };
	sl_api_guard(s, "add_source", session_add_source_run, &c);
	return c.rc;
}

static int session_add_sink(sl_session *s, const sl_sink_plugin *p)
{
	if (!s)
		return SL_EINVAL;
	if (!p || p->size < sizeof(*p))
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_sink: the "
				    "plugin's size is not set");
	if (!p->open || !p->write || !p->commit)
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_sink: '%s' "
				    "lacks open, write or commit",
				    p->name ? p->name : "");
	if (!name_ok(s, p->name, false))
		return SL_EINVAL;
	struct sl_plugin_sink *ps = sl_arena_calloc(&s->arena, sizeof(*ps));
	ps->p = *p;
	ps->p.name = sl_arena_strdup(&s->arena, p->name);
	ps->ops.name = ps->p.name;
	ps->ops.description = p->description ? p->description
					     : "a sink of the host's";
	ps->ops.options = sl_plugin_opt_table(p->options, &s->arena, 0,
					     &ps->ops.conf_size);
	ps->ops.modes = SL_MODE_BIT(SL_MODE_APPEND);
	ps->ops.continuous = true;
	ps->ops.init = psink_init;
	ps->ops.write = psink_write;
	ps->ops.commit = psink_commit;
	ps->ops.destroy = psink_destroy;
	ps->next = s->plugin_sinks;
	s->plugin_sinks = ps;
	return 0;
}

static void session_add_sink_run(sl_api_call *c)
{
	c->rc = session_add_sink((sl_session *)c->a[0], c->a[1]);
}

int sl_session_add_sink(sl_session *s, const sl_sink_plugin *p)
{
	sl_api_call c = { .a = { s, p } };
	sl_api_guard(s, "add_sink", session_add_sink_run, &c);
	return c.rc;
}

const sl_source_ops *sl_session_source_ops(const sl_session *s,
					   const char *name)
{
	for (const struct sl_plugin_src *p = s ? s->plugin_sources : NULL; p;
	     p = p->next)
		if (!strcasecmp(p->ops.name, name))
			return &p->ops;
	const sl_source_ops *f = sl_plugin_format_source(s, name);
	return f ? f : sl_source_lookup(name);
}

const sl_sink_ops *sl_session_sink_ops(const sl_session *s, const char *name)
{
	for (const struct sl_plugin_sink *p = s ? s->plugin_sinks : NULL; p;
	     p = p->next)
		if (!strcasecmp(p->ops.name, name))
			return &p->ops;
	const sl_sink_ops *f = sl_plugin_format_sink(s, name);
	return f ? f : sl_sink_lookup(name);
}
