/* engine/stateful_plan.c - planning stateful queries: an aggregation
 * (keys, aggregate calls, windows, the watermark) or a deduplication into
 * frames, finding a query's stateful operators, their chain, and the
 * output-mode checks of Spark's rules per kind of query (engine/stateful.h;
 * docs/STATEFUL.md). Running them is engine/stateful.c.
 *
 * Planning takes expression strings, parses them once, and splits each
 * output expression at its aggregate calls: every distinct call (by its
 * function and argument text) becomes one column of the sl_groupby
 * operator, and the expression around it is bound to the operator's
 * output, so "sum(x) / count(*) AS mean" is two aggregates and a division
 * after them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/map.h"
#include "engine/stateful.h"
/* ---- planning ------------------------------------------------------------ */

/* One distinct aggregate call. */
struct plan_agg {
	const sl_agg_fn *fn;
	sl_expr *arg;      /* bound to the input; NULL for count(*) */
	const char *name;  /* "count(1)", "sum(x)": its column */
};

struct plan {
	sl_session *s;
	sl_arena *a;
	const sl_frame *in;
	sl_err *err;
	struct plan_agg *aggs;
	uint32_t naggs, capaggs;
	const char *text; /* the expression being split, for messages */
};

static const char agg_list[] = "count(*), count(x), sum, avg, mean, min, "
			       "max, approx_count_distinct, collect_list, "
			       "first, last";

/* sl_expr_replace_aggregates callback: one aggregate call. */
static int plan_agg_call(void *ud, const sl_expr *call, const char **name)
{
	struct plan *p = ud;
	sl_expr_call c;
	sl_expr_call_get(call, &c);
	if (c.distinct)
		return sl_err_set(p->err, SL_EANALYSIS,
				  "distinct aggregations are not supported on "
				  "streaming DataFrames/Datasets: '%s'",
				  p->text);
	for (uint32_t i = 0; i < c.nargs; i++)
		if (sl_expr_has_aggregate(c.args[i]))
			return sl_err_set(p->err, SL_EANALYSIS,
					  "it is not allowed to use an "
					  "aggregate function in the argument "
					  "of another aggregate function: '%s'",
					  p->text);
	const sl_agg_fn *fn = NULL;
	bool star = false;
	if (!strcmp(c.name, "count")) {
		sl_value lit;
		if (c.nargs != 1)
			return sl_err_set(p->err, SL_EANALYSIS,
					  "count takes one argument (count(*) "
					  "or count(x)) in an aggregation, "
					  "found %u in '%s'",
					  c.nargs, p->text);
		if (sl_expr_is_star(c.args[0]) ||
		    (sl_expr_literal(c.args[0], &lit) && !sl_v_is_null(&lit)))
			star = true;
		fn = star ? &sl_agg_count_star : &sl_agg_count;
	} else {
		fn = sl_agg_lookup(c.name);
		if (!fn)
			return sl_err_set(p->err, SL_EANALYSIS,
					  "aggregate function %s() is not "
					  "supported in streaming aggregations "
					  "(supported: %s): '%s'",
					  c.name, agg_list, p->text);
		if (c.nargs != 1)
			return sl_err_set(
				p->err, SL_EANALYSIS,
				"%s takes one argument in a streaming "
				"aggregation, found %u in '%s'%s",
				c.name, c.nargs, p->text,
				!strcmp(c.name, "approx_count_distinct")
					? " (the relativeSD argument is not "
					  "supported)"
					: "");
		if (sl_expr_is_star(c.args[0]))
			return sl_err_set(p->err, SL_EANALYSIS,
					  "invalid usage of '*' in '%s'",
					  p->text);
	}
	sl_expr *arg = star ? NULL : c.args[0];
	if (arg) {
		int rc = sl_session_bind(p->s, arg, p->in->schema, p->a, p->err);
		if (rc)
			return rc;
		if (sl_expr_is_generator(arg))
			return sl_err_set(p->err, SL_EANALYSIS,
					  "generators (explode) are not "
					  "allowed inside aggregate functions: "
					  "'%s'",
					  p->text);
	}
	char *nm;
	if (star) {
		nm = "count(1)";
	} else {
		const char *sql = sl_expr_sql(arg);
		size_t n = strlen(c.name) + strlen(sql) + 3;
		nm = sl_arena_alloc(p->a, n);
		snprintf(nm, n, "%s(%s)", c.name, sql);
	}
	for (uint32_t i = 0; i < p->naggs; i++)
		if (!strcmp(p->aggs[i].name, nm)) {
			*name = p->aggs[i].name;
			return 0;
		}
	if (p->naggs == p->capaggs) {
		uint32_t cap = p->capaggs ? p->capaggs * 2 : 8;
		struct plan_agg *v = sl_arena_calloc(p->a, cap * sizeof(*v));
		if (p->naggs)
			memcpy(v, p->aggs, p->naggs * sizeof(*v));
		p->aggs = v;
		p->capaggs = cap;
	}
	p->aggs[p->naggs++] = (struct plan_agg){ fn, arg, nm };
	*name = nm;
	return 0;
}

/* One GROUP BY key. */
struct plan_key {
	sl_expr *e;        /* bound to the input: the value grouped by (for
	                      a window, its time column) */
	const char *name;  /* output column name */
	const char *sql;   /* Spark's text, to match SELECT items */
	bool window;
};

static int interval_arg(struct plan *p, const sl_expr_call *c, uint32_t i,
			const char *text, int64_t *us)
{
	sl_value v;
	if (!sl_expr_literal(c->args[i], &v) || v.type != SL_STRING)
		return sl_err_set(p->err, SL_EANALYSIS,
				  "%s(): argument %u must be an interval "
				  "string such as '10 minutes': '%s'",
				  c->name, i + 1, text);
	char buf[128];
	snprintf(buf, sizeof(buf), "%.*s", (int)v.len, v.v.str);
	sl_err e = { 0 };
	if (sl_interval_parse(buf, us, &e))
		return sl_err_set(p->err, SL_EANALYSIS, "%s(): %s in '%s'",
				  c->name, e.msg, text);
	return 0;
}

/* window(ts, duration[, slide[, start]]) or session_window(ts, gap). */
static int plan_window(struct plan *p, sl_expr *e, const char *text,
		       struct plan_key *k, sl_window_spec *w)
{
	sl_expr_call c;
	sl_expr_call_get(e, &c);
	bool session = !strcmp(c.name, "session_window");
	if (c.nargs < 2 || c.nargs > (session ? 2u : 4u))
		return sl_err_set(p->err, SL_EANALYSIS,
				  "invalid number of arguments for function "
				  "%s: expected %s, found %u in '%s'",
				  c.name, session ? "2" : "2 to 4", c.nargs,
				  text);
	int64_t d = 0, slide = 0, start = 0;
	int rc = interval_arg(p, &c, 1, text, &d);
	if (!rc && c.nargs > 2)
		rc = interval_arg(p, &c, 2, text, &slide);
	if (!rc && c.nargs > 3)
		rc = interval_arg(p, &c, 3, text, &start);
	if (rc)
		return rc;
	sl_err we = { 0 };
	rc = session ? sl_window_session(w, d, &we)
		     : sl_window_time(w, d, slide, start, &we);
	if (rc)
		return sl_err_set(p->err, SL_EANALYSIS, "%s(): %s in '%s'",
				  c.name, we.msg, text);
	sl_expr *ts = c.args[0];
	if ((rc = sl_session_bind(p->s, ts, p->in->schema, p->a, p->err)))
		return rc;
	if (sl_expr_type(ts)->id != SL_TIMESTAMP) {
		char tn[64];
		sl_dtype_name(sl_expr_type(ts), tn, sizeof(tn));
		return sl_err_set(p->err, SL_EANALYSIS,
				  "%s(): the time column '%s' must be a "
				  "timestamp, not %s (CAST it: CAST(%s AS "
				  "TIMESTAMP))",
				  c.name, sl_expr_sql(ts), tn, sl_expr_sql(ts));
	}
	k->e = ts;
	k->window = true;
	k->name = sl_expr_alias(e) ? sl_expr_alias(e)
				   : session ? "session_window" : "window";
	k->sql = k->name;
	return 0;
}

/* The watermark that reaches f. Rows pass a deduplication unchanged, so
 * it passes too; other stateful operators make new rows without the
 * input's event time (Spark: the output of flatMapGroupsWithState has no
 * event-time metadata). */
static const sl_wm_frame *find_watermark(const sl_frame *f)
{
	for (; f; f = f->parent) {
		if (f->kind == SL_FR_AGGREGATE &&
		    !((const sl_agg_frame *)f)->dedup)
			return NULL;
		if (f->kind == SL_FR_WATERMARK)
			return (const sl_wm_frame *)f;
	}
	return NULL;
}

static bool below_aggregate(const sl_frame *f)
{
	for (; f; f = f->parent)
		if (f->kind == SL_FR_AGGREGATE)
			return true;
	return false;
}

const char *sl_stateful_join_text(sl_arena *a, const char *const *v,
				  uint32_t n)
{
	size_t len = 1;
	for (uint32_t i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	char *s = sl_arena_alloc(a, len), *w = s;
	*w = 0;
	for (uint32_t i = 0; i < n; i++)
		w += sprintf(w, "%s%s", i ? ", " : "", v[i]);
	return s;
}

/* A SELECT frame over parent, columns made by the caller. */
static sl_frame *new_select(sl_arena *a, const sl_frame *parent, uint32_t n)
{
	sl_frame *o = sl_arena_calloc(a, sizeof(*o));
	o->session = parent->session;
	o->kind = SL_FR_SELECT;
	o->parent = (sl_frame *)parent;
	o->src = parent->src;
	o->format = parent->format;
	o->gen = -1;
	o->nitems = n;
	o->items = sl_arena_calloc(a, (n ? n : 1) * sizeof(*o->items));
	o->pass = sl_arena_calloc(a, (n ? n : 1) * sizeof(*o->pass));
	o->schema = sl_schema_new(a, n);
	return o;
}

static void set_item(sl_frame *o, uint32_t k, sl_expr *e, int32_t pass,
		     const sl_schema *in, const char *name)
{
	sl_schema *sc = (sl_schema *)o->schema;
	o->items[k] = e;
	o->pass[k] = e ? -1 : pass;
	if (e) {
		sc->fields[k].name = name ? name : sl_expr_name(e);
		sc->fields[k].type = sl_expr_type(e);
		sc->fields[k].nullable = true;
	} else {
		sc->fields[k] = in->fields[pass];
		if (name)
			sc->fields[k].name = name;
	}
}

/* "cannot resolve 'x' ..." for an input column that is not a key: Spark's
 * message for it. */
static int not_grouped(struct plan *p, const char *text, sl_err *err)
{
	const char *m = strstr(err->msg, "cannot resolve '");
	if (!m)
		return err->code;
	m += strlen("cannot resolve '");
	const char *e = strchr(m, '\'');
	if (!e || sl_schema_find(p->in->schema, m, (size_t)(e - m)) < 0)
		return err->code;
	return sl_err_set(err, SL_EANALYSIS,
			  "expression '%.*s' is neither present in the group "
			  "by, nor is it an aggregate function: add it to the "
			  "group by or wrap it in first() if you don't care "
			  "which value you get (in '%s')",
			  (int)(e - m), m, text);
}

sl_frame *sl_stateful_aggregate(sl_frame *f, const char *const *keys,
				const char *const *items, const char *having,
				bool keys_first, sl_err *err)
{
	sl_session *s = f->session;
	sl_arena *a = &s->arena;
	struct plan p = { .s = s, .a = a, .in = f, .err = err };
	uint32_t nk = 0, ni = 0;
	while (keys && keys[nk])
		nk++;
	while (items && items[ni])
		ni++;
	/* The chains of two stateful operators sluice runs (Spark allows
	 * them): an aggregation over flatMapGroupsWithState in append mode
	 * or over dropDuplicates. */
	const sl_agg_frame *below = sl_stateful_find(f);
	if (below && !below->dedup &&
	    !(below->gstate && below->gspec.flat &&
	      below->gmode == SL_MODE_APPEND)) {
		if (below->gstate)
			sl_err_set(err, SL_EANALYSIS,
				   "%s is not supported with aggregation on a "
				   "streaming DataFrame/Dataset",
				   below->gspec.flat
					   ? "flatMapGroupsWithState in update "
					     "mode"
					   : "mapGroupsWithState");
		else
			sl_err_set(err, SL_EANALYSIS,
				   "Multiple streaming aggregations are not "
				   "supported with streaming "
				   "DataFrames/Datasets");
		return NULL;
	}
	if (!ni && !keys_first) {
		sl_err_set(err, SL_EINVAL, "aggregate: no output expressions");
		return NULL;
	}

	/* Keys. */
	struct plan_key *k = sl_arena_calloc(a, (nk ? nk : 1) * sizeof(*k));
	sl_window_spec win = { 0 };
	int32_t time_key = -1;
	for (uint32_t i = 0; i < nk; i++) {
		sl_expr *e = sl_expr_parse(keys[i], true, a, err);
		if (!e)
			return NULL;
		if (sl_expr_has_aggregate(e)) {
			sl_err_set(err, SL_EANALYSIS,
				   "aggregate functions are not allowed in "
				   "GROUP BY: '%s'",
				   keys[i]);
			return NULL;
		}
		sl_expr_call c;
		if (sl_expr_call_get(e, &c) && c.window) {
			if (time_key >= 0) {
				sl_err_set(err, SL_EANALYSIS,
					   "only one window() or "
					   "session_window() may be a grouping "
					   "key, found a second: '%s'",
					   keys[i]);
				return NULL;
			}
			p.text = keys[i];
			if (plan_window(&p, e, keys[i], &k[i], &win))
				return NULL;
			time_key = (int32_t)i;
			continue;
		}
		if (sl_session_bind(s, e, f->schema, a, err))
			return NULL;
		if (sl_expr_is_generator(e)) {
			sl_err_set(err, SL_EANALYSIS,
				   "generators (explode) are not allowed in "
				   "GROUP BY: '%s'; explode in a select first",
				   keys[i]);
			return NULL;
		}
		k[i].e = e;
		k[i].name = sl_expr_name(e);
		k[i].sql = sl_expr_sql(e);
	}

	/* Output expressions and HAVING: split at their aggregate calls. */
	sl_expr **ie = sl_arena_calloc(a, (ni ? ni : 1) * sizeof(*ie));
	bool *has_agg = sl_arena_calloc(a, (ni ? ni : 1) * sizeof(*has_agg));
	for (uint32_t i = 0; i < ni; i++) {
		ie[i] = sl_expr_parse(items[i], true, a, err);
		if (!ie[i])
			return NULL;
		if (sl_expr_is_star(ie[i])) {
			sl_err_set(err, SL_EANALYSIS,
				   "'*' is not allowed in an aggregation's "
				   "output: name the keys and aggregates");
			return NULL;
		}
		has_agg[i] = sl_expr_has_aggregate(ie[i]);
		if (keys_first && !has_agg[i]) {
			sl_err_set(err, SL_EANALYSIS,
				   "'%s' is not an aggregate expression: each "
				   "of group_by's aggregates needs an aggregate "
				   "function (%s); the keys are in the output "
				   "already",
				   items[i], agg_list);
			return NULL;
		}
		p.text = items[i];
		if (sl_expr_replace_aggregates(ie[i], a, plan_agg_call, &p))
			return NULL;
	}
	sl_expr *he = NULL;
	if (having) {
		he = sl_expr_parse(having, false, a, err);
		if (!he)
			return NULL;
		p.text = having;
		if (sl_expr_replace_aggregates(he, a, plan_agg_call, &p))
			return NULL;
	}

	/* The watermark: its column among the keys, or an extra column. */
	const sl_wm_frame *wm = find_watermark(f);
	int32_t wm_in = -1, wm_col = -1;
	if (wm) {
		wm_in = sl_schema_find(f->schema, wm->column,
				       strlen(wm->column));
		if (wm_in < 0) {
			char cols[512];
			sl_schema_list(f->schema, cols, sizeof(cols));
			sl_err_set(err, SL_EANALYSIS,
				   "the watermark's column '%s' is not a "
				   "column of the aggregation's input [%s]: "
				   "keep it in the select between "
				   "withWatermark and the aggregation",
				   wm->column, cols);
			return NULL;
		}
		for (uint32_t i = 0; i < nk && wm_col < 0; i++)
			if (sl_expr_column(k[i].e) == wm_in &&
			    (time_key < 0 || (int32_t)i == time_key))
				wm_col = (int32_t)i;
	}

	/* The pre-projection: keys, aggregate arguments, watermark. */
	uint32_t nargs = 0;
	for (uint32_t i = 0; i < p.naggs; i++)
		nargs += p.aggs[i].arg != NULL;
	uint32_t npre = nk + nargs + (wm && wm_col < 0);
	sl_frame *pre = new_select(a, f, npre);
	sl_groupby_agg *ga = sl_arena_calloc(a, (p.naggs ? p.naggs : 1) *
							sizeof(*ga));
	uint32_t c = 0;
	for (uint32_t i = 0; i < nk; i++, c++)
		set_item(pre, c, k[i].e, -1, f->schema, k[i].name);
	for (uint32_t i = 0; i < p.naggs; i++) {
		ga[i].fn = p.aggs[i].fn;
		ga[i].name = p.aggs[i].name;
		ga[i].col = -1;
		if (!p.aggs[i].arg)
			continue;
		ga[i].col = (int32_t)c;
		set_item(pre, c++, p.aggs[i].arg, -1, f->schema,
			 p.aggs[i].name);
	}
	if (wm && wm_col < 0) {
		wm_col = (int32_t)c;
		set_item(pre, c++, NULL, wm_in, f->schema, NULL);
	}

	/* The operator's plan, checked by making one (complete mode is
	 * always allowed; the query's mode is checked at start). */
	sl_agg_frame *ag = sl_arena_calloc(a, sizeof(*ag));
	sl_groupby_spec *sp = &ag->spec;
	sp->in = pre->schema;
	sp->nkeys = nk;
	sp->naggs = p.naggs;
	sp->aggs = ga;
	sp->time_key = time_key;
	sp->window = win;
	sp->wm_col = wm ? wm_col : -1;
	sp->wm_delay_us = wm ? wm->delay_us : 0;
	sp->mode = SL_MODE_COMPLETE;
	sl_groupby *op = sl_groupby_new(sp, a, err);
	if (!op)
		return NULL;
	const sl_schema *gout = sl_groupby_schema(op);
	sl_schema *isc = sl_schema_new(a, gout->n);
	for (uint32_t i = 0; i < gout->n; i++) {
		isc->fields[i] = gout->fields[i];
		if (i < nk)
			isc->fields[i].name = k[i].name;
	}
	sl_groupby_free(op);
	ag->f.session = s;
	ag->f.kind = SL_FR_AGGREGATE;
	ag->f.parent = pre;
	ag->f.src = f->src;
	ag->f.format = f->format;
	ag->f.schema = isc;
	ag->f.gen = -1;
	ag->input = f;
	ag->wm = wm;
	const char **kt = sl_arena_calloc(a, (nk + 1) * sizeof(*kt));
	for (uint32_t i = 0; i < nk; i++)
		kt[i] = keys[i];
	ag->keys_text = sl_stateful_join_text(a, kt, nk);
	const char **at = sl_arena_calloc(a, (p.naggs + 1) * sizeof(*at));
	for (uint32_t i = 0; i < p.naggs; i++)
		at[i] = p.aggs[i].name;
	ag->aggs_text = sl_stateful_join_text(a, at, p.naggs);

	/* The output: keys first (group_by), then the items bound to the
	 * operator's output. An item that is a key's expression reads the
	 * key. */
	uint32_t nout = (keys_first ? nk : 0) + ni;
	sl_frame *out = new_select(a, &ag->f, nout);
	c = 0;
	if (keys_first)
		for (uint32_t i = 0; i < nk; i++, c++)
			set_item(out, c, NULL, (int32_t)i, isc, NULL);
	for (uint32_t i = 0; i < ni; i++, c++) {
		if (!has_agg[i]) {
			sl_err e2 = { 0 };
			sl_expr *x = sl_expr_parse(items[i], true, a, &e2);
			int32_t key = -1;
			if (x && !sl_session_bind(s, x, f->schema, a, &e2))
				for (uint32_t j = 0; j < nk && key < 0; j++)
					if (!k[j].window &&
					    !strcmp(sl_expr_sql(x), k[j].sql))
						key = (int32_t)j;
			if (key >= 0) {
				/* Spark names it as the SELECT item
				 * spells it (its alias first) */
				set_item(out, c, NULL, key, isc,
					 sl_expr_name(x));
				continue;
			}
		}
		if (sl_session_bind(s, ie[i], isc, a, err)) {
			not_grouped(&p, items[i], err);
			return NULL;
		}
		if (sl_expr_is_generator(ie[i])) {
			sl_err_set(err, SL_EANALYSIS,
				   "generators (explode) are not allowed in an "
				   "aggregation's output: '%s'",
				   items[i]);
			return NULL;
		}
		set_item(out, c, ie[i], -1, isc, NULL);
	}
	bool identity = !he && nout == isc->n;
	for (uint32_t i = 0; identity && i < nout; i++)
		identity = !out->items[i] && out->pass[i] == (int32_t)i &&
			   !strcmp(out->schema->fields[i].name,
				   isc->fields[i].name);
	if (identity)
		return &ag->f;
	if (!he)
		return out;

	/* HAVING: over [outputs..., the operator's columns...], so that it
	 * sees the items' aliases first, then keys and aggregates; a last
	 * projection keeps the outputs. */
	sl_frame *wide = new_select(a, &ag->f, nout + isc->n);
	for (uint32_t i = 0; i < nout; i++)
		set_item(wide, i, out->items[i], out->pass[i], isc,
			 out->schema->fields[i].name);
	for (uint32_t i = 0; i < isc->n; i++)
		set_item(wide, nout + i, NULL, (int32_t)i, isc, NULL);
	if (sl_session_bind(s, he, wide->schema, a, err)) {
		not_grouped(&p, having, err);
		return NULL;
	}
	const sl_dtype *ht = sl_expr_type(he);
	if (ht->id != SL_BOOL && ht->id != SL_NULL) {
		char tn[64];
		sl_dtype_name(ht, tn, sizeof(tn));
		sl_err_set(err, SL_EANALYSIS,
			   "HAVING condition '%s' is of type %s, not boolean",
			   having, tn);
		return NULL;
	}
	sl_frame *w = sl_arena_calloc(a, sizeof(*w));
	*w = *wide;
	w->kind = SL_FR_WHERE;
	w->parent = wide;
	w->cond = he;
	w->items = NULL;
	w->pass = NULL;
	w->nitems = 0;
	sl_frame *last = new_select(a, w, nout);
	for (uint32_t i = 0; i < nout; i++)
		set_item(last, i, NULL, (int32_t)i, wide->schema, NULL);
	return last;
}

sl_frame *sl_stateful_watermark(sl_frame *f, const char *column,
				const char *delay, sl_err *err)
{
	sl_arena *a = &f->session->arena;
	if (!column || !delay) {
		sl_err_set(err, SL_EINVAL,
			   "withWatermark: a column and a delay are needed");
		return NULL;
	}
	if (below_aggregate(f)) {
		sl_err_set(err, SL_EANALYSIS,
			   "withWatermark after an aggregation is not "
			   "supported: put it before the group by");
		return NULL;
	}
	const sl_wm_frame *old = find_watermark(f);
	if (old) {
		sl_err_set(err, SL_EANALYSIS,
			   "withWatermark: the frame already has a watermark "
			   "on '%s'; a query takes one",
			   old->column);
		return NULL;
	}
	int i = sl_schema_find(f->schema, column, strlen(column));
	if (i < 0) {
		char cols[512];
		sl_schema_list(f->schema, cols, sizeof(cols));
		sl_err_set(err, SL_EANALYSIS,
			   "withWatermark: cannot resolve '%s' given input "
			   "columns: [%s]",
			   column, cols);
		return NULL;
	}
	const sl_dtype *t = f->schema->fields[i].type;
	if (t->id != SL_TIMESTAMP) {
		char tn[64];
		sl_dtype_name(t, tn, sizeof(tn));
		sl_err_set(err, SL_EANALYSIS,
			   "Event time must be defined on a window or a "
			   "timestamp, but %s is of type %s",
			   column, tn);
		return NULL;
	}
	int64_t us;
	sl_err e = { 0 };
	if (sl_interval_parse(delay, &us, &e) || us < 0) {
		sl_err_set(err, SL_EINVAL, "withWatermark: delay '%s': %s",
			   delay, e.msg[0] ? e.msg : "must not be negative");
		return NULL;
	}
	sl_wm_frame *w = sl_arena_calloc(a, sizeof(*w));
	w->f = *f;
	w->f.kind = SL_FR_WATERMARK;
	w->f.parent = f;
	w->f.cond = NULL;
	w->f.items = NULL;
	w->f.pass = NULL;
	w->f.nitems = 0;
	w->f.gen = -1;
	w->column = f->schema->fields[i].name;
	w->delay = sl_arena_strdup(a, delay);
	w->delay_us = us;
	return &w->f;
}

sl_frame *sl_stateful_drop_duplicates(sl_frame *f, const char *const *cols,
				      sl_err *err)
{
	sl_arena *a = &f->session->arena;
	const sl_schema *in = f->schema;
	if (below_aggregate(f)) {
		const sl_agg_frame *below = sl_stateful_find(f);
		sl_err_set(err, SL_EANALYSIS,
			   "dropDuplicates/DISTINCT over %s is not "
			   "supported: a query has one stateful operator",
			   below->dedup    ? "another dropDuplicates/DISTINCT"
			   : below->gstate ? "map/flatMapGroupsWithState"
					   : "an aggregation");
		return NULL;
	}
	uint32_t n = 0;
	while (cols && cols[n])
		n++;
	bool all = n == 0;
	if (all)
		n = in->n;
	uint32_t *keys = sl_arena_calloc(a, (n ? n : 1) * sizeof(*keys));
	const char **names = sl_arena_calloc(a, (n + 1) * sizeof(*names));
	if (!all && sl_stateful_columns(in, cols, n, "dropDuplicates", keys,
					err))
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = all ? i : keys[i];
		names[i] = in->fields[keys[i]].name;
		if (sl_dtype_has_map(in->fields[keys[i]].type)) {
			char tn[128];
			sl_dtype_name(in->fields[keys[i]].type, tn, sizeof(tn));
			sl_err_set(err, SL_EANALYSIS,
				   "[UNSUPPORTED_FEATURE.SET_OPERATION_ON_MAP_TYPE] "
				   "dropDuplicates/DISTINCT cannot have MAP "
				   "type columns, but the type of column `%s` "
				   "is %s",
				   names[i], tn);
			return NULL;
		}
	}

	/* The watermark applies if its column is still in the input: late
	 * rows are dropped; it bounds the state only if it is a key (Spark
	 * builds the eviction predicate from the key's event-time
	 * metadata). */
	const sl_wm_frame *wm = find_watermark(f);
	int32_t wm_col = -1;
	if (wm)
		wm_col = sl_schema_find(in, wm->column, strlen(wm->column));

	sl_agg_frame *ag = sl_arena_calloc(a, sizeof(*ag));
	ag->dedup = true;
	ag->dspec.in = in;
	ag->dspec.nkeys = n;
	ag->dspec.keys = keys;
	ag->dspec.wm_col = wm_col;
	ag->dspec.wm_delay_us = wm ? wm->delay_us : 0;
	sl_dedup *d = sl_dedup_new(&ag->dspec, err);
	if (!d)
		return NULL;
	sl_dedup_free(d);
	sl_stateful_op_frame(ag, f, in, wm_col >= 0 ? wm : NULL, names, n);
	return &ag->f;
}

int sl_stateful_columns(const sl_schema *in, const char *const *cols,
			uint32_t n, const char *what, uint32_t *idx,
			sl_err *err)
{
	for (uint32_t i = 0; i < n; i++) {
		int c = sl_schema_find(in, cols[i], strlen(cols[i]));
		if (c < 0) {
			char list[512];
			sl_schema_list(in, list, sizeof(list));
			return sl_err_set(err, SL_EANALYSIS,
					  "%s: cannot resolve '%s' given input "
					  "columns: [%s]",
					  what, cols[i], list);
		}
		idx[i] = (uint32_t)c;
	}
	return 0;
}

uint32_t sl_stateful_partitions(const sl_agg_frame *ag, int64_t asked)
{
	/* A global aggregation (and one by a window alone) has one group
	 * per window: Spark runs it on one partition too (AllTuples). */
	const sl_groupby_spec *sp = &ag->spec;
	uint32_t keys = sp->nkeys - (sp->time_key >= 0);
	if (ag->dedup || ag->gstate || sl_stateful_lower(ag) || !keys ||
	    asked <= 1)
		return 1;
	return (uint32_t)asked;
}

int sl_stateful_check_partitions(const sl_agg_frame *ag, int64_t asked,
				 sl_err *err)
{
	const sl_agg_frame *low = sl_stateful_lower(ag);
	if (asked > 1 && low)
		return sl_err_set(err, SL_EINVAL,
				  "statefulPartitions %lld: an aggregation "
				  "after %s runs both operators on one "
				  "stateful partition (leave "
				  "statefulPartitions at 1)",
				  (long long)asked,
				  low->dedup ? "dropDuplicates/DISTINCT"
					     : "flatMapGroupsWithState");
	if (asked > 1 && (ag->dedup || ag->gstate))
		return sl_err_set(err, SL_EINVAL,
				  "statefulPartitions %lld: only aggregations "
				  "run on several stateful partitions; %s runs "
				  "on one (leave statefulPartitions at 1)",
				  (long long)asked,
				  ag->dedup ? "dropDuplicates/DISTINCT"
					    : "map/flatMapGroupsWithState");
	return 0;
}

void sl_stateful_op_frame(sl_agg_frame *ag, sl_frame *f,
			  const sl_schema *schema, const sl_wm_frame *wm,
			  const char *const *keys, uint32_t nkeys)
{
	ag->spec.time_key = -1;
	ag->spec.wm_col = -1;
	ag->f.session = f->session;
	ag->f.kind = SL_FR_AGGREGATE;
	ag->f.parent = f;
	ag->f.src = f->src;
	ag->f.format = f->format;
	ag->f.schema = schema;
	ag->f.gen = -1;
	ag->input = f;
	ag->wm = wm;
	ag->keys_text = sl_stateful_join_text(&f->session->arena, keys, nkeys);
	ag->aggs_text = "";
}

sl_agg_frame *sl_stateful_find(const sl_frame *top)
{
	for (const sl_frame *f = top; f; f = f->parent)
		if (f->kind == SL_FR_AGGREGATE)
			return (sl_agg_frame *)f;
	return NULL;
}

/* The frames a chain runs: a watermark only marks a column. A
 * stream-static join is a step too (sl_chain_run probes it); ops/join.c
 * refuses one over a stateful operator, so joins only ever sit below the
 * lowest operator, on the partition threads. */
static bool is_chain_step(const sl_frame *f)
{
	return f->kind == SL_FR_WHERE || f->kind == SL_FR_SELECT ||
	       f->kind == SL_FR_JOIN;
}

/* Frames (top, stop) that rows go through, watermarks left out. */
void sl_stateful_chain_fill(sl_chain *c, const sl_frame *top,
			    const sl_frame *stop, sl_arena *a)
{
	uint32_t n = 0;
	for (const sl_frame *f = top; f && f != stop && f->kind != SL_FR_SOURCE;
	     f = f->parent)
		n += is_chain_step(f);
	c->n = n;
	c->steps = sl_arena_calloc(a, (n ? n : 1) * sizeof(*c->steps));
	for (const sl_frame *f = top; f && f != stop && f->kind != SL_FR_SOURCE;
	     f = f->parent)
		if (is_chain_step(f))
			c->steps[--n] = f;
}

sl_agg_frame *sl_stateful_lower(const sl_agg_frame *ag)
{
	return sl_stateful_find(ag->input);
}

sl_chain *sl_stateful_chain(const sl_frame *top, sl_arena *a)
{
	sl_chain *c = sl_arena_calloc(a, sizeof(*c));
	/* the rows of a chain of two operators enter the lower one */
	for (const sl_agg_frame *ag; (ag = sl_stateful_find(top));)
		top = ag->f.parent;
	sl_stateful_chain_fill(c, top, NULL, a);
	return c;
}

static const char *const mode_names[] = { "Append", "Update", "Complete" };

/* Spark's output-mode rules for map/flatMapGroupsWithState (Spark's
 * UnsupportedOperationChecker, without aggregations: sluice refuses those
 * with it when the frames are made): map runs in update mode; flat in the
 * mode its function declares. */
static int group_state_check_mode(const sl_agg_frame *ag, int mode,
				  sl_err *err)
{
	if (!ag->gspec.flat && mode != SL_MODE_UPDATE)
		return sl_err_set(err, SL_EMODE,
				  "mapGroupsWithState is not supported with "
				  "%s output mode on a streaming "
				  "DataFrame/Dataset: use outputMode 'update'",
				  mode_names[mode]);
	if (ag->gspec.flat && mode != (int)ag->gmode) {
		const char *fm = ag->gmode == SL_MODE_APPEND ? "append"
							    : "update";
		return sl_err_set(err, SL_EMODE,
				  "flatMapGroupsWithState in %s mode is not "
				  "supported with %s output mode on a "
				  "streaming DataFrame/Dataset: use outputMode "
				  "'%s' (the mode the function is written "
				  "for)",
				  fm, mode_names[mode], fm);
	}
	return 0;
}

int sl_stateful_check_mode(const sl_agg_frame *ag, int mode, sl_err *err)
{
	const sl_groupby_spec *sp = &ag->spec;
	const sl_agg_frame *low = sl_stateful_lower(ag);
	if (ag->gstate)
		return group_state_check_mode(ag, mode, err);
	/* A deduplication is not an aggregation: Spark's table puts it with
	 * the other queries (append, update; rows are never changed after
	 * they are emitted, so update emits what append does). */
	if (ag->dedup)
		return mode == SL_MODE_COMPLETE
			       ? sl_err_set(err, SL_EMODE,
					    "Complete output mode not "
					    "supported when there are no "
					    "streaming aggregations on "
					    "streaming DataFrames/Datasets "
					    "(dropDuplicates/DISTINCT is not "
					    "an aggregation): use outputMode "
					    "'append'")
			       : 0;
	bool wm_on_key = sp->wm_col >= 0 && (uint32_t)sp->wm_col < sp->nkeys;
	if (mode == SL_MODE_APPEND && !ag->wm)
		return sl_err_set(err, SL_EMODE,
				  "Append output mode not supported when "
				  "there are streaming aggregations on "
				  "streaming DataFrames/DataSets without "
				  "watermark: use outputMode 'complete' or "
				  "'update'%s",
				  low && low->gstate
					  ? " (the output of "
					    "flatMapGroupsWithState carries "
					    "no watermark)"
					  : ", or add a watermark "
					    "(withWatermark) on the event-time "
					    "column of a window in the group "
					    "by");
	if (mode == SL_MODE_APPEND && !wm_on_key)
		return sl_err_set(err, SL_EMODE,
				  "Append output mode not supported: the "
				  "watermark on '%s' is not on a grouping key; "
				  "group by window(%s, ...) (or by %s) to use "
				  "append, or use outputMode 'complete' or "
				  "'update'",
				  ag->wm->column, ag->wm->column,
				  ag->wm->column);
	if (mode == SL_MODE_UPDATE &&
	    sp->window.kind == SL_WINDOW_SESSION)
		return sl_err_set(err, SL_EMODE,
				  "Update output mode not supported for "
				  "session window aggregations: use "
				  "outputMode 'append' (with a watermark) or "
				  "'complete'");
	return 0;
}

