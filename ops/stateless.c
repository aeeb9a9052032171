/* ops/stateless.c - the fused stateless operators (filter, project,
 * explode) that a source partition thread runs on each record vector before
 * pushing it into its ring. No hop between them: each step rewrites the
 * vector in place, and new values go into the vector's own arena so they
 * live exactly as long as the rows that use them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"

sl_chain *sl_chain_build(const sl_frame *top, sl_arena *a)
{
	uint32_t n = 0;
	for (const sl_frame *f = top; f && f->kind != SL_FR_SOURCE;
	     f = f->parent)
		n++;
	sl_chain *c = sl_arena_calloc(a, sizeof(*c));
	c->n = n;
	c->steps = sl_arena_calloc(a, (n ? n : 1) * sizeof(*c->steps));
	uint32_t i = n;
	for (const sl_frame *f = top; f && f->kind != SL_FR_SOURCE;
	     f = f->parent)
		c->steps[--i] = f;
	return c;
}

/* WHERE: keeps the rows whose condition is true, compacting in place. */
static int run_where(const sl_frame *f, sl_batch *b, sl_err *err)
{
	uint32_t w = 0, nc = b->ncols;
	for (uint32_t r = 0; r < b->nrows; r++) {
		sl_value *row = sl_batch_row(b, r), v;
		int rc = sl_expr_eval(f->cond, row, &b->arena, &v, err);
		if (rc < 0)
			return rc;
		if (!sl_value_truthy(&v))
			continue;
		if (w != r)
			memcpy(sl_batch_row(b, w), row, nc * sizeof(sl_value));
		w++;
	}
	b->nrows = w;
	return 0;
}

/* Evaluates the non-generator items of one input row into out[]. */
static int eval_items(const sl_frame *f, const sl_value *row, sl_batch *b,
		      sl_value *out, sl_err *err)
{
	for (uint32_t k = 0; k < f->nitems; k++) {
		if ((int32_t)k == f->gen)
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

/* SELECT (with at most one explode): builds the new rows in a fresh value
 * array, then swaps it into the batch. */
static int run_select(const sl_frame *f, sl_batch *b, sl_err *err)
{
	uint32_t nout = f->nitems;
	uint32_t cap = b->nrows ? b->nrows : 1;
	sl_value *vals = malloc((size_t)cap * nout * sizeof(sl_value));
	uint32_t n = 0;
	int rc = 0;
	if (!vals)
		abort();
	for (uint32_t r = 0; r < b->nrows && rc == 0; r++) {
		const sl_value *row = sl_batch_row(b, r);
		if (f->gen < 0) {
			rc = eval_items(f, row, b, vals + (size_t)n * nout, err);
			n++;
			continue;
		}
		sl_value arr;
		rc = sl_expr_eval_generator(f->items[f->gen], row, &b->arena,
					    &arr, err);
		if (rc < 0 || arr.type != SL_ARRAY || arr.len == 0)
			continue;
		sl_value tmpl[nout];
		rc = eval_items(f, row, b, tmpl, err);
		if (rc < 0)
			break;
		for (uint32_t e = 0; e < arr.len; e++) {
			if (n == cap) {
				cap *= 2;
				vals = realloc(vals, (size_t)cap * nout *
							     sizeof(sl_value));
				if (!vals)
					abort();
			}
			sl_value *o = vals + (size_t)n * nout;
			memcpy(o, tmpl, nout * sizeof(sl_value));
			o[f->gen] = arr.v.arr[e];
			n++;
		}
	}
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
	return 0;
}

int sl_chain_run(const sl_chain *c, sl_batch *b, sl_err *err)
{
	for (uint32_t i = 0; i < c->n && b->nrows; i++) {
		const sl_frame *f = c->steps[i];
		int rc = f->kind == SL_FR_WHERE ? run_where(f, b, err)
						: run_select(f, b, err);
		if (rc < 0)
			return rc;
	}
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
