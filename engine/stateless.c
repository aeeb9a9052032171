/* engine/stateless.c - the fused stateless operators (filter, project,
 * explode) that a source partition thread runs on each record vector before
 * pushing it into its ring. No hop between them: each step rewrites the
 * vector in place, and new values go into the vector's own arena so they
 * live exactly as long as the rows that use them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "ops/join.h"

/* Frames that transform rows; a watermark only marks a column. */
static bool is_stateless_step(const sl_frame *f)
{
	return f->kind == SL_FR_WHERE || f->kind == SL_FR_SELECT ||
	       f->kind == SL_FR_JOIN;
}

sl_chain *sl_chain_build(const sl_frame *top, sl_arena *a)
{
	uint32_t n = 0;
	for (const sl_frame *f = top; f && f->kind != SL_FR_SOURCE;
	     f = f->parent)
		n += is_stateless_step(f);
	sl_chain *c = sl_arena_calloc(a, sizeof(*c));
	c->n = n;
	c->steps = sl_arena_calloc(a, (n ? n : 1) * sizeof(*c->steps));
	uint32_t i = n;
	for (const sl_frame *f = top; f && f->kind != SL_FR_SOURCE;
	     f = f->parent)
		if (is_stateless_step(f))
			c->steps[--i] = f;
	return c;
}

/* The rows a chain step looks at: every row of the vector (sel NULL), or
 * the rows sel[0..n) that earlier WHEREs kept. Carrying a selection
 * instead of compacting after each WHERE means a WHERE followed by a
 * SELECT never moves a row: the SELECT reads the kept rows in place. */
typedef struct sl_selection {
	uint32_t *sel;
	uint32_t n;
	uint32_t *buf; /* room for cap row numbers */
	uint32_t cap;
} sl_selection;

static inline uint32_t selected_row(const sl_selection *s, uint32_t i)
{
	return s->sel ? s->sel[i] : i;
}

/* WHERE: narrows the selection to the rows whose condition is true. */
static int run_where(const sl_frame *f, sl_batch *b, sl_selection *s,
		     sl_err *err)
{
	if (sl_expr_vec_ok(f->cond)) {
		sl_vec_in in = { .rows = b->vals, .ncols = b->ncols,
				 .sel = s->sel, .n = s->n };
		int64_t kept = sl_expr_vec_filter(f->cond, &in, s->buf,
						  &b->arena, err);
		if (kept < 0)
			return (int)kept;
		s->n = (uint32_t)kept;
		s->sel = s->buf;
		return 0;
	}
	uint32_t w = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t r = selected_row(s, i);
		sl_value v;
		int rc = sl_expr_eval(f->cond, sl_batch_row(b, r), &b->arena,
				      &v, err);
		if (rc < 0)
			return rc;
		if (sl_value_truthy(&v))
			s->buf[w++] = r; /* w <= i: safe when sel is buf */
	}
	s->sel = s->buf;
	s->n = w;
	return 0;
}

/* Moves the selected rows to the front of the vector (in order, so a row
 * never lands on one still to be read) and drops the selection. */
static void compact_selection(sl_batch *b, sl_selection *s)
{
	uint32_t nc = b->ncols;

	if (!s->sel)
		return;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->sel[i] != i)
			memcpy(sl_batch_row(b, i), sl_batch_row(b, s->sel[i]),
			       nc * sizeof(sl_value));
	b->nrows = s->n;
	s->sel = NULL;
}

/* Evaluates the non-generator items of one input row into out[]. */
static int eval_items(const sl_frame *f, uint32_t genw, const sl_value *row,
		      sl_batch *b, sl_value *out, sl_err *err)
{
	for (uint32_t k = 0; k < f->nitems; k++) {
		if ((int32_t)k >= f->gen && k < (uint32_t)f->gen + genw)
			continue;
		if (!f->items[k]) {
			out[k] = row[f->pass[k]];
			continue;
		}
		int rc = sl_expr_eval(f->items[k], row, &b->arena, &out[k],
				      err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* SELECT without a generator: one output row per selected row, built a
 * column at a time straight into the new value array. Vectorisable items
 * and star columns go column by column; the others are evaluated row by
 * row, in row order, so the first runtime error is the one the per-row
 * path would raise (vectorised items cannot fail). */
static int run_project(const sl_frame *f, sl_batch *b, sl_selection *s,
		       sl_err *err)
{
	uint32_t nout = f->nitems, n = s->n, nc = b->ncols;
	sl_value *vals =
		sl_xrealloc(NULL, (size_t)(n ? n : 1) * nout * sizeof(*vals));
	bool rowwise = false, done[nout ? nout : 1]; /* not per row */

	sl_oom_own(vals); /* until it is the batch's */
	for (uint32_t k = 0; k < nout; k++) {
		const sl_expr *e = f->items[k];
		done[k] = true;
		if (!e) {
			const sl_value *src = b->vals + f->pass[k];
			for (uint32_t i = 0; i < n; i++)
				vals[(size_t)i * nout + k] =
					src[(size_t)selected_row(s, i) * nc];
		} else if (sl_expr_vec_ok(e)) {
			sl_vec_in in = { .rows = b->vals, .ncols = nc,
					 .sel = s->sel, .n = n };
			int rc = sl_expr_vec_project(e, &in, vals + k, nout,
						     &b->arena, err);
			if (rc < 0) {
				sl_oom_disown(vals);
				free(vals);
				return rc;
			}
		} else {
			rowwise = true;
			done[k] = false;
		}
	}
	for (uint32_t i = 0; rowwise && i < n; i++) {
		const sl_value *row = sl_batch_row(b, selected_row(s, i));
		for (uint32_t k = 0; k < nout; k++) {
			if (done[k])
				continue;
			int rc = sl_expr_eval(f->items[k], row, &b->arena,
					      &vals[(size_t)i * nout + k], err);
			if (rc < 0) {
				sl_oom_disown(vals);
				free(vals);
				return rc;
			}
		}
	}
	sl_oom_disown(vals);
	free(b->vals);
	b->vals = vals;
	b->cap = n ? n : 1;
	b->nrows = n;
	b->ncols = nout;
	b->schema = f->schema;
	s->sel = NULL;
	s->n = n;
	return 0;
}

/* SELECT with an explode: builds the new rows in a fresh value array, then
 * swaps it into the batch. */
static int run_select(const sl_frame *f, sl_batch *b, sl_selection *s,
		      sl_err *err)
{
	if (f->gen < 0)
		return run_project(f, b, s, err);
	compact_selection(b, s);
	uint32_t nout = f->nitems;
	uint32_t cap = b->nrows ? b->nrows : 1;
	/* a generator of several columns yields structs of them (or nulls) */
	const sl_schema *gf = sl_expr_generator_fields(f->items[f->gen]);
	uint32_t genw = gf ? gf->n : 1;
	sl_value *vals =
		sl_xrealloc(NULL, (size_t)cap * nout * sizeof(sl_value));
	uint32_t n = 0;
	int rc = 0;
	sl_oom_own(vals); /* until it is the batch's */
	for (uint32_t r = 0; r < b->nrows && rc == 0; r++) {
		const sl_value *row = sl_batch_row(b, r);
		const sl_expr *g = f->items[f->gen];
		sl_value arr;
		rc = sl_expr_eval_generator(g, row, &b->arena, &arr, err);
		uint32_t rows = rc < 0 || arr.type != SL_ARRAY ? 0 : arr.len;
		if (!rows)
			continue;
		sl_value tmpl[nout];
		rc = eval_items(f, genw, row, b, tmpl, err);
		if (rc < 0)
			break;
		for (uint32_t e = 0; e < rows; e++) {
			if (n == cap) {
				sl_value *old = vals;
				vals = sl_values_grow(vals, &cap, nout);
				sl_oom_own_swap(old, vals);
			}
			sl_value *o = vals + (size_t)n * nout;
			memcpy(o, tmpl, nout * sizeof(sl_value));
			const sl_value *el = &arr.v.arr[e];
			for (uint32_t j = 0; gf && j < genw; j++)
				o[f->gen + j] = el->type == SL_STRUCT
							? el->v.fields[j]
							: sl_v_null();
			if (!gf)
				o[f->gen] = *el;
			n++;
		}
	}
	sl_oom_disown(vals);
	if (rc < 0) {
		free(vals);
		return rc;
	}
	free(b->vals);
	b->vals = vals;
	b->cap = cap;
	b->nrows = n;
	b->ncols = nout;
	b->schema = f->schema;
	s->n = n;
	return 0;
}

/* Selections up to this many rows live on the stack. */
#define SEL_STACK 1024

int sl_chain_run(const sl_chain *c, sl_batch *b, sl_err *err)
{
	uint32_t stack[SEL_STACK];
	sl_selection s = {
		.sel = NULL, .n = b->nrows, .buf = stack, .cap = SEL_STACK
	};
	int rc = 0;

	for (uint32_t i = 0; i < c->n && s.n; i++) {
		const sl_frame *f = c->steps[i];
		/* A WHERE writes up to s.n row numbers; an explode may have
		 * grown the vector since the last one. The selection is
		 * never live here when buf is replaced (only a SELECT, which
		 * drops it, grows the vector). */
		if (f->kind == SL_FR_WHERE && s.n > s.cap && !s.sel) {
			if (s.buf != stack) {
				sl_oom_disown(s.buf);
				free(s.buf);
			}
			s.buf = sl_xrealloc(NULL,
					    (size_t)s.n * sizeof(uint32_t));
			sl_oom_own(s.buf);
			s.cap = s.n;
		}
		if (f->kind == SL_FR_WHERE) {
			rc = run_where(f, b, &s, err);
		} else if (f->kind == SL_FR_JOIN) {
			/* Probes row by row: the kept rows first. */
			compact_selection(b, &s);
			b->nrows = s.n;
			rc = sl_join_probe(f->join, b, err);
			s.n = b->nrows;
		} else {
			rc = run_select(f, b, &s, err);
		}
		if (rc < 0)
			break;
	}
	if (rc == 0) {
		compact_selection(b, &s);
		b->nrows = s.n;
	}
	if (s.buf != stack) {
		sl_oom_disown(s.buf);
		free(s.buf);
	}
	if (rc < 0)
		return rc;
	/* An emptied vector still takes the final schema, so whoever frees
	 * or inspects it sees consistent columns. */
	if (c->n && b->nrows == 0) {
		const sl_frame *top = c->steps[c->n - 1];
		if (b->schema != top->schema) {
			b->schema = top->schema;
			b->ncols = top->schema->n;
			free(b->vals);
			b->vals = NULL;
			b->cap = 0;
		}
	}
	return 0;
}
