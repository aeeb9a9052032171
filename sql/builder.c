/* sql/builder.c - a parsed pipeline file (sql/parser.c) into the calls a C
 * program would make: sl_session_read_stream (or sl_session_read_static) per CREATE SOURCE
 * (or TABLE); sl_frame_join, sl_frame_with_watermark, sl_frame_where,
 * sl_frame_select or sl_frame_aggregate, sl_frame_drop_duplicates and
 * sl_frame_union per view or INSERT; sl_frame_start per INSERT. Names are
 * resolved in file order, every expression is parsed and bound by the
 * engine, and every engine message is located in the file. The sinks'
 * options are sql/options.c's; the plan printed from what is built here is
 * sql/explain.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "expr/expr.h"
#include "sql/internal.h"

const char *sl_pipeline_kind_name(sl_pipeline_kind k)
{
	return k == SL_PIPELINE_SOURCE ? "source"
	       : k == SL_PIPELINE_VIEW ? "view"
				       : "sink";
}

/* SET key = value: the session's configuration, for the statements after
 * it (engine/session_conf.c checks the keys it knows). */
static int build_set(sl_pipeline *p, const sl_pipeline_stmt *st, sl_err *err)
{
	const sl_pipeline_opt *o = &st->opts[0];
	if (sl_session_conf_set(p->s, o->key.s, o->value.s))
		return sl_pipeline_err(p->f, err, SL_EINVAL, o->value.off,
				       "SET %s: %s", o->key.s,
				       sl_session_errmsg(p->s));
	return 0;
}

/* The relation that statements [0, upto) define under name, or NULL. */
static struct sl_pipeline_rel *find_rel(sl_pipeline *p, uint32_t upto,
					const char *name)
{
	for (uint32_t i = 0; i < upto; i++)
		if (sl_pipeline_defines(p->rels[i].st->kind) &&
		    !strcasecmp(p->rels[i].st->name.s, name))
			return &p->rels[i];
	return NULL;
}

static int line_of(const sl_pipeline *p, uint32_t off)
{
	int l, c;
	sl_pipeline_linecol(p->f, off, &l, &c);
	return l;
}

/* "unknown source or view 'x' (known: a, b)", or the line that defines it
 * too late. */
static int unknown_rel(sl_pipeline *p, uint32_t upto,
		       const sl_pipeline_text *name, bool sink, sl_err *err)
{
	const char *what = sink ? "sink" : "source or view";
	for (uint32_t i = upto; i < p->nrels; i++) {
		const sl_pipeline_stmt *st = p->rels[i].st;
		if (sl_pipeline_defines(st->kind) &&
		    !strcasecmp(st->name.s, name->s))
			return sl_pipeline_err(
				p->f, err, SL_ENOTFOUND, name->off,
				"unknown %s '%s': it is defined later, "
				"at line %d; define it before use",
				what, name->s, line_of(p, st->off));
	}
	char known[256] = "";
	size_t len = 0;
	for (uint32_t i = 0; i < upto; i++) {
		const sl_pipeline_stmt *st = p->rels[i].st;
		if (!sl_pipeline_defines(st->kind) ||
		    (st->kind == SL_PIPELINE_SINK) != sink)
			continue;
		len += snprintf(
			known + (len < sizeof(known) ? len : sizeof(known)),
			len < sizeof(known) ? sizeof(known) - len : 0, "%s%s",
			len ? ", " : "", st->name.s);
	}
	return sl_pipeline_err(p->f, err, SL_ENOTFOUND, name->off,
			       "unknown %s '%s' (%s%s)", what, name->s,
			       len ? "defined so far: " : "none defined so far",
			       known);
}

/* Where in t->s the engine's message points: the first 'quoted' piece of
 * msg that occurs in the text (a column name, a function call), else 0. */
static uint32_t blame_text(const char *msg, const char *text)
{
	for (const char *q = strchr(msg, '\''); q; q = strchr(q + 1, '\'')) {
		const char *e = strchr(q + 1, '\'');
		if (!e)
			break;
		size_t n = (size_t)(e - q - 1);
		const char *h = n ? memmem(text, strlen(text), q + 1, n) : NULL;
		if (h)
			return (uint32_t)(h - text);
		q = e;
	}
	return 0;
}

/* The last failure of the session, located in the file. */
static int engine_err(sl_pipeline *p, int code, uint32_t off, sl_err *err)
{
	return sl_pipeline_err(p->f, err, code, off, "%s",
			       sl_session_errmsg(p->s));
}

static int build_source(sl_pipeline *p, struct sl_pipeline_rel *r, sl_err *err)
{
	int rc = sl_pipeline_split_format(p, r, err);
	if (rc)
		return rc;
	r->frame = r->st->table
			   ? sl_session_read_static(p->s, r->format->value.s, r->opts)
			   : sl_session_read_stream(p->s, r->format->value.s, r->opts);
	if (!r->frame) {
		const char *msg = sl_session_errmsg(p->s);
		bool fmt = !sl_session_source_ops(p->s, r->format->value.s);
		return engine_err(p, fmt ? SL_EFORMAT : SL_EOPTION,
				  fmt ? r->format->value.off
				      : sl_pipeline_blame_opt(r->st, msg),
				  err);
	}
	r->fmt_name = sl_session_source_ops(p->s, r->format->value.s)->name;
	return 0;
}

/* Byte offset of 1-based character position pos in s. */
static uint32_t char_to_byte(const char *s, int pos)
{
	uint32_t b = 0;
	for (int n = 1; s[b] && n < pos; b++)
		if (((unsigned char)s[b + 1] & 0xc0) != 0x80)
			n++;
	return b;
}

/* Parses an expression the way the engine will, only to learn where a
 * syntax error is: the engine's own message carries no file position. */
static int check_syntax(sl_pipeline *p, const sl_pipeline_text *t, bool alias,
			sl_err *err)
{
	sl_arena a;
	sl_err e = { 0 };
	sl_arena_init(&a);
	sl_expr *x = sl_expr_parse(t->s, alias, &a, &e);
	sl_arena_free(&a);
	if (x)
		return 0;
	uint32_t off = t->off + (e.pos > 0 ? char_to_byte(t->s, e.pos) : 0);
	/* Our line and column replace the engine's position in the
	 * expression: "syntax error at position 9 near '='" reads "syntax
	 * error near '='". */
	const char *m = e.msg, *pfx = "syntax error at position ";
	size_t k = strlen(pfx);
	if (!strncmp(m, pfx, k) && m[k] >= '0' && m[k] <= '9') {
		const char *rest = m + k;
		while (*rest >= '0' && *rest <= '9')
			rest++;
		return sl_pipeline_err(p->f, err, e.code ? e.code : SL_ESYNTAX,
				       off, "syntax error%s", rest);
	}
	return sl_pipeline_err(p->f, err, e.code ? e.code : SL_ESYNTAX, off,
			       "%s", e.msg);
}

/* Where an engine message about one of several expressions points: the
 * first expression a quoted piece of the message occurs in. */
static uint32_t blame_texts(const char *msg, const sl_pipeline_text *t,
			    uint32_t n, uint32_t dflt)
{
	for (const char *q = strchr(msg, '\''); q; q = strchr(q + 1, '\'')) {
		const char *e = strchr(q + 1, '\'');
		if (!e)
			break;
		size_t len = (size_t)(e - q - 1);
		for (uint32_t k = 0; len && k < n; k++) {
			const char *h = t[k].s ? memmem(t[k].s, strlen(t[k].s),
							q + 1, len)
					       : NULL;
			if (h)
				return t[k].off + (uint32_t)(h - t[k].s);
		}
		q = e;
	}
	return dflt;
}

/* SELECT DISTINCT: the word after the SELECT keyword (comments are
 * spaces in the text by now). Read from the text rather than kept by the
 * parser so that sl_pipeline_select stays as it is. */
static bool sel_distinct(const sl_pipeline_file *f,
			 const sl_pipeline_select *sel)
{
	const char *t = f->text + sel->off + 6, *end = f->text + f->len;
	while (t < end && (*t == ' ' || *t == '\t' || *t == '\n' ||
			   *t == '\r'))
		t++;
	if (end - t < 8 || strncasecmp(t, "DISTINCT", 8))
		return false;
	return end - t == 8 ||
	       !(isalnum((unsigned char)t[8]) || t[8] == '_');
}

/* A SELECT with GROUP BY, HAVING or an aggregate call in its list. */
static bool is_aggregate(const sl_pipeline_select *sel)
{
	if (sel->group_by || sel->having.s)
		return true;
	for (uint32_t k = 0; k < sel->nitems; k++) {
		sl_arena a;
		sl_err e = { 0 };
		sl_arena_init(&a);
		sl_expr *x = sl_expr_parse(sel->items[k].s, true, &a, &e);
		bool agg = x && sl_expr_has_aggregate(x);
		sl_arena_free(&a);
		if (agg)
			return true;
	}
	return false;
}

/* SELECT DISTINCT: a deduplication over the SELECT's output. */
static sl_frame *apply_distinct(sl_pipeline *p, struct sl_pipeline_rel *r,
				sl_frame *f, sl_err *err)
{
	if (!f || !r->distinct)
		return f;
	sl_frame *o = sl_frame_drop_duplicates(f, NULL);
	if (!o && err)
		sl_pipeline_err(p->f, err, SL_EANALYSIS, r->st->sel.off, "%s",
				sl_session_errmsg(p->s));
	return o;
}

/* The frames of one SELECT over f: watermark, WHERE, then the SELECT
 * list or the aggregation. With err NULL (rebuilding a chain that was
 * built once already) failures are not located. */
static sl_frame *apply_select(sl_pipeline *p, struct sl_pipeline_rel *r,
			      sl_frame *f, sl_err *err)
{
	const sl_pipeline_select *sel = &r->st->sel;
	if (f && r->table) {
		sl_frame *j = sl_frame_join(f, r->table->frame, r->jl, r->jr,
					    sel->join_left ? "left" : "inner");
		if (!j && err)
			engine_err(p, SL_EANALYSIS, sel->join.off, err);
		f = j;
	}
	if (f && sel->wm_col.s) {
		sl_frame *w = sl_frame_with_watermark(f, sel->wm_col.s,
						      sel->wm_delay.s);
		if (!w && err) {
			const char *m = sl_session_errmsg(p->s);
			engine_err(p, SL_EANALYSIS,
				   strstr(m, "delay") ? sel->wm_delay.off
						      : sel->wm_col.off,
				   err);
		}
		f = w;
	}
	if (f && sel->where.s) {
		sl_frame *w = sl_frame_where(f, sel->where.s);
		if (!w && err)
			engine_err(p, SL_EANALYSIS,
				   sel->where.off +
					   blame_text(sl_session_errmsg(p->s),
						      sel->where.s),
				   err);
		f = w;
	}
	if (f && r->aggregate) {
		sl_frame *o = sl_frame_aggregate(f, r->keys, r->items,
						 sel->having.s);
		if (!o && err) {
			const char *m = sl_session_errmsg(p->s);
			uint32_t off = blame_texts(m, sel->items, sel->nitems,
						   UINT32_MAX);
			if (off == UINT32_MAX)
				off = blame_texts(m, sel->group, sel->ngroup,
						  UINT32_MAX);
			if (off == UINT32_MAX)
				off = blame_texts(m, &sel->having, 1, sel->off);
			sl_pipeline_err(p->f, err, SL_EANALYSIS, off, "%s", m);
		}
		return apply_distinct(p, r, o, err);
	}
	if (f && r->items) {
		sl_frame *o = sl_frame_select(f, r->items);
		if (!o && err) {
			/* Which item? Try each alone: a failure of one item
			 * names it; a failure of the list (two generators)
			 * is the SELECT's. The frames made here stay in the
			 * session arena, on this error path only. */
			uint32_t off = sel->off;
			sl_err whole = { 0 };
			snprintf(whole.msg, sizeof(whole.msg), "%s",
				 sl_session_errmsg(p->s));
			for (uint32_t k = 0; k < sel->nitems; k++) {
				const char *one[] = { r->items[k], NULL };
				if (sl_frame_select(f, one))
					continue;
				off = sel->items[k].off +
				      blame_text(sl_session_errmsg(p->s),
						 r->items[k]);
				break;
			}
			sl_pipeline_err(p->f, err, SL_EANALYSIS, off, "%s",
					whole.msg);
		}
		f = o;
	}
	return apply_distinct(p, r, f, err);
}

static const char **texts(sl_pipeline *p, const sl_pipeline_text *t, uint32_t n)
{
	const char **v = sl_arena_calloc(&p->f->arena, (n + 1) * sizeof(*v));
	for (uint32_t k = 0; k < n; k++)
		v[k] = t[k].s;
	return v;
}

/* The JOIN's table and its keys, each equality put stream side first:
 * a qualifier names its side (the FROM name or the table name);
 * unqualified, the left operand is the stream's. */
static int resolve_join(sl_pipeline *p, uint32_t idx, struct sl_pipeline_rel *r,
			sl_err *err)
{
	const sl_pipeline_select *sel = &r->st->sel;
	struct sl_pipeline_rel *t = find_rel(p, idx, sel->join.s);
	if (!t)
		return unknown_rel(p, idx, &sel->join, false, err);
	if (!t->st->table)
		return sl_pipeline_err(
			p->f, err, SL_EANALYSIS, sel->join.off,
			"'%s' is a %s: JOIN takes a static table "
			"(CREATE TABLE); stream-stream joins are not "
			"supported",
			sel->join.s, sl_pipeline_kind_name(t->st->kind));
	r->table = t;
	r->jl = sl_arena_calloc(&p->f->arena,
				(sel->njoin + 1) * sizeof(*r->jl));
	r->jr = sl_arena_calloc(&p->f->arena,
				(sel->njoin + 1) * sizeof(*r->jr));
	for (uint32_t k = 0; k < sel->njoin; k++) {
		const sl_pipeline_joinkey *jk = &sel->jkeys[k];
		const sl_pipeline_text *qs[2] = { &jk->qa, &jk->qb };
		for (int i = 0; i < 2; i++)
			if (qs[i]->s && strcasecmp(qs[i]->s, sel->from.s) &&
			    strcasecmp(qs[i]->s, sel->join.s))
				return sl_pipeline_err(
					p->f, err, SL_EANALYSIS, qs[i]->off,
					"'%s' is neither '%s' nor '%s': "
					"qualify join columns with the "
					"FROM name or the table name",
					qs[i]->s, sel->from.s, sel->join.s);
		bool swap = (jk->qa.s && !strcasecmp(jk->qa.s, sel->join.s)) ||
			    (jk->qb.s && !strcasecmp(jk->qb.s, sel->from.s));
		r->jl[k] = swap ? jk->cb.s : jk->ca.s;
		r->jr[k] = swap ? jk->ca.s : jk->cb.s;
	}
	return 0;
}

/* One SELECT of statement idx (its own or a UNION ALL one's, r): FROM,
 * JOIN, the expressions, and the frames over what FROM reads. */
static int build_core(sl_pipeline *p, uint32_t idx, struct sl_pipeline_rel *r,
		      sl_err *err)
{
	const sl_pipeline_select *sel = &r->st->sel;
	struct sl_pipeline_rel *from = find_rel(p, idx, sel->from.s);
	if (!from)
		return unknown_rel(p, idx, &sel->from, false, err);
	if (from->st->kind == SL_PIPELINE_SINK)
		return sl_pipeline_err(
			p->f, err, SL_EANALYSIS, sel->from.off,
			"'%s' is a sink: FROM reads a source or a view",
			sel->from.s);
	r->from = from;
	int rc;
	if (from->st->table)
		return sl_pipeline_err(
			p->f, err, SL_EANALYSIS, sel->from.off,
			"'%s' is a static table: FROM reads a stream; "
			"join the table to one (FROM stream JOIN %s "
			"ON ...)",
			sel->from.s, sel->from.s);
	if (sel->join.s && (rc = resolve_join(p, idx, r, err)))
		return rc;
	if (sel->where.s && (rc = check_syntax(p, &sel->where, false, err)))
		return rc;
	for (uint32_t k = 0; k < sel->ngroup; k++)
		if ((rc = check_syntax(p, &sel->group[k], true, err)))
			return rc;
	if (sel->having.s && (rc = check_syntax(p, &sel->having, false, err)))
		return rc;
	for (uint32_t k = 0; k < sel->nitems; k++)
		if ((rc = check_syntax(p, &sel->items[k], true, err)))
			return rc;
	r->aggregate = is_aggregate(sel);
	r->distinct = sel_distinct(p->f, sel);
	if (!sel->star || r->aggregate)
		r->items = texts(p, sel->items, sel->nitems);
	r->keys = texts(p, sel->group, sel->ngroup);
	r->frame = apply_select(p, r, from->frame, err);
	return r->frame ? 0 : err->code ? err->code : SL_EANALYSIS;
}

/* Calls fn(root, ud) for each source r reads, through views and UNION
 * ALL SELECTs, until one returns true; returns whether one did. */
static bool each_root(struct sl_pipeline_rel *r,
		      bool (*fn)(struct sl_pipeline_rel *root, void *ud),
		      void *ud)
{
	if (r->st->kind == SL_PIPELINE_SOURCE)
		return fn(r, ud);
	for (struct sl_pipeline_rel *a = r; a; a = a->arm)
		if (each_root(a->from, fn, ud))
			return true;
	return false;
}

static bool root_is(struct sl_pipeline_rel *root, void *ud)
{
	return root == ud;
}

static bool root_read_by(struct sl_pipeline_rel *root, void *ud)
{
	return each_root(ud, root_is, root);
}

static bool root_claimed(struct sl_pipeline_rel *root, void *ud)
{
	(void)ud;
	return root->claimed;
}

static bool root_claim(struct sl_pipeline_rel *root, void *ud)
{
	(void)ud;
	root->claimed = true;
	return false;
}

static sl_frame *rebuild(sl_pipeline *p, const struct sl_pipeline_rel *r);

/* A SELECT and its UNION ALL SELECTs, each built on its own and then
 * united, left to right. A source that an earlier SELECT of the union
 * reads already is read again, on a new instance (a union reads each
 * source instance once, as Spark reads a relation twice). */
static int build_select(sl_pipeline *p, uint32_t idx, sl_err *err)
{
	struct sl_pipeline_rel *r = &p->rels[idx], *last = r;
	int rc = build_core(p, idx, r, err);

	for (const sl_pipeline_select *u = r->st->sel.union_all; !rc && u;
	     u = u->union_all) {
		struct sl_pipeline_rel *a =
			sl_arena_calloc(&p->f->arena, sizeof(*a));
		sl_pipeline_stmt *st =
			sl_arena_calloc(&p->f->arena, sizeof(*st));
		*st = *r->st;
		st->sel = *u;
		a->st = st;
		if ((rc = build_core(p, idx, a, err)))
			break;
		if (each_root(a, root_read_by, r) &&
		    !(a->frame = rebuild(p, a)))
			return engine_err(p, SL_EINVAL, u->off, err);
		last->arm = a;
		last = a;
		sl_frame *f = sl_frame_union(r->frame, a->frame);
		if (!f)
			return engine_err(p, SL_EANALYSIS, u->off, err);
		r->frame = f;
	}
	return rc;
}

/* A new copy of r's chain (its UNION ALL SELECTs too), on new instances
 * of its sources. Every call here succeeded once already, when the
 * statements were built. */
static sl_frame *rebuild(sl_pipeline *p, const struct sl_pipeline_rel *r)
{
	if (r->st->kind == SL_PIPELINE_SOURCE)
		return sl_session_read_stream(p->s, r->format->value.s, r->opts);
	sl_frame *f = NULL;
	for (const struct sl_pipeline_rel *a = r; a; a = a->arm) {
		sl_frame *g = rebuild(p, a->from);
		if (g)
			g = apply_select(p, (struct sl_pipeline_rel *)a, g,
					 NULL);
		if (!g)
			return NULL;
		if (f && !(g = sl_frame_union(f, g)))
			return NULL;
		f = g;
	}
	return f;
}

static int build_insert(sl_pipeline *p, uint32_t idx, sl_err *err)
{
	struct sl_pipeline_rel *r = &p->rels[idx];
	const sl_pipeline_stmt *st = r->st;
	struct sl_pipeline_rel *sink = find_rel(p, idx, st->name.s);
	if (!sink)
		return unknown_rel(p, idx, &st->name, true, err);
	if (sink->st->kind != SL_PIPELINE_SINK)
		return sl_pipeline_err(
			p->f, err, SL_EANALYSIS, st->name.off,
			"'%s' is a %s, not a sink: INSERT INTO writes to "
			"a sink (CREATE SINK)",
			st->name.s, sl_pipeline_kind_name(sink->st->kind));
	if (sink->writer)
		return sl_pipeline_err(
			p->f, err, SL_EANALYSIS, st->name.off,
			"sink '%s' is already written by the INSERT INTO "
			"at line %d: a sink takes one query; define "
			"another sink",
			st->name.s, line_of(p, sink->writer->st->off));
	if (sink->query_name)
		for (uint32_t k = 0; k < p->nq; k++)
			if (p->qs[k]->sink->query_name &&
			    !strcmp(p->qs[k]->sink->query_name,
				    sink->query_name))
				return sl_pipeline_err(
					p->f, err, SL_EANALYSIS,
					sl_pipeline_opt_off(sink, "queryName"),
					"queryName '%s' is also the name of "
					"the query at line %d: query names "
					"must be unique",
					sink->query_name,
					line_of(p, p->qs[k]->st->off));
	sink->writer = r;
	r->sink = sink;
	int rc = build_select(p, idx, err);
	if (!rc)
		rc = sl_pipeline_check_start(p, r, err);
	if (rc)
		return rc;
	/* Each query reads its source on its own, as in Spark: the first
	 * INSERT on a source runs on the frames made at its definition,
	 * every later one on a new copy of its chain (a Kafka source's
	 * consumer, a rate source's clock, cannot serve two queries). */
	if (each_root(r, root_claimed, NULL) && !(r->frame = rebuild(p, r)))
		return engine_err(p, SL_EINVAL, st->off, err);
	each_root(r, root_claim, NULL);
	int l, c;
	sl_pipeline_linecol(p->f, st->off, &l, &c);
	size_t n = strlen(st->name.s) + strlen(p->f->filename) + 64;
	r->label = sl_arena_alloc(&p->f->arena, n);
	snprintf(r->label, n, "%s:%d:%d: INSERT INTO %s", p->f->filename, l, c,
		 st->name.s);
	p->qs[p->nq++] = r;
	return 0;
}

int sl_pipeline_load(sl_session *s, const char *text, size_t len,
		     const char *filename, sl_pipeline **out, sl_err *err)
{
	sl_pipeline_file *f;
	int rc = sl_pipeline_parse(text, len, filename, &f, err);
	if (rc)
		return rc;
	sl_pipeline *p = calloc(1, sizeof(*p));
	if (!p) {
		sl_pipeline_file_free(f);
		return sl_err_set(err, -ENOMEM, "out of memory");
	}
	p->s = s;
	p->f = f;
	p->nrels = f->nstmts;
	p->rels =
		sl_arena_calloc(&f->arena, (f->nstmts + 1) * sizeof(*p->rels));
	p->qs = sl_arena_calloc(&f->arena, (f->nstmts + 1) * sizeof(*p->qs));
	for (uint32_t i = 0; i < f->nstmts; i++)
		p->rels[i].st = &f->stmts[i];
	for (uint32_t i = 0; !rc && i < f->nstmts; i++) {
		const sl_pipeline_stmt *st = &f->stmts[i];
		if (sl_pipeline_defines(st->kind)) {
			struct sl_pipeline_rel *dup =
				find_rel(p, i, st->name.s);
			if (dup) {
				rc = sl_pipeline_err(
					f, err, SL_EANALYSIS, st->name.off,
					"'%s' is already defined at line "
					"%d (as a %s)",
					st->name.s, line_of(p, dup->st->off),
					sl_pipeline_kind_name(dup->st->kind));
				break;
			}
		}
		switch (st->kind) {
		case SL_PIPELINE_SOURCE:
			rc = build_source(p, &p->rels[i], err);
			break;
		case SL_PIPELINE_VIEW: rc = build_select(p, i, err); break;
		case SL_PIPELINE_SINK:
			rc = sl_pipeline_check_sink(p, &p->rels[i], err);
			break;
		case SL_PIPELINE_INSERT: rc = build_insert(p, i, err); break;
		case SL_PIPELINE_SET: rc = build_set(p, st, err); break;
		}
	}
	if (rc) {
		sl_pipeline_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int sl_pipeline_start(sl_pipeline *p, sl_err *err)
{
	if (p->started)
		return sl_err_set(err, SL_ESTATE, "%s: already started",
				  p->f->filename);
	p->started = true;
	for (uint32_t i = 0; i < p->nq; i++) {
		struct sl_pipeline_rel *r = p->qs[i];
		r->q = sl_frame_start(r->frame, r->sink->fmt_name,
				      r->sink->opts, NULL);
		if (r->q)
			continue;
		int rc =
			sl_pipeline_err(p->f, err, SL_EINVAL, r->st->off,
					"cannot start INSERT INTO %s: %s",
					r->st->name.s, sl_session_errmsg(p->s));
		while (i--)
			sl_query_stop(p->qs[i]->q);
		return rc;
	}
	return 0;
}

uint32_t sl_pipeline_nqueries(const sl_pipeline *p)
{
	return p->nq;
}

sl_query *sl_pipeline_query(const sl_pipeline *p, uint32_t i)
{
	return i < p->nq ? p->qs[i]->q : NULL;
}

const char *sl_pipeline_query_label(const sl_pipeline *p, uint32_t i)
{
	return i < p->nq ? p->qs[i]->label : NULL;
}

void sl_pipeline_free(sl_pipeline *p)
{
	if (!p)
		return;
	sl_pipeline_file_free(p->f);
	free(p);
}
