/* engine/pushdown.c - tells a query's source what the query reads of it
 * (sl_source_ops.pushdown), so that a source that can skip data does:
 * the columns some frame above the source uses, and the simple predicates
 * of a WHERE right on the source's rows (a row failing one is dropped
 * before anything else sees it), by which a source with statistics
 * rules out whole row groups. Frames whose use of their input is not
 * worked out here (aggregations, joins, watermarks) take every column,
 * so what is pushed down is never less than what the query reads. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "expr/expr.h"

/* At most this many WHERE conjuncts are offered to the source. */
#define PUSHDOWN_MAX_PREDS 32

/* The input columns frame f reads, given which of its output columns
 * are needed (need, f->schema->n entries), into in (its parent's
 * schema's n entries, zeroed). */
static void frame_needs(const sl_frame *f, const bool *need, bool *in)
{
	uint32_t nin = f->parent->schema->n;

	switch (f->kind) {
	case SL_FR_WHERE:
		memcpy(in, need, nin * sizeof(*in));
		break;
	case SL_FR_SELECT:
		/* Every item, needed or not: a generator's item makes more
		 * than one column, so outputs and items do not pair. */
		for (uint32_t i = 0; i < f->nitems; i++) {
			if (f->items[i])
				sl_expr_columns(f->items[i], in, nin);
			else if (f->pass && f->pass[i] >= 0 &&
				 (uint32_t)f->pass[i] < nin)
				in[f->pass[i]] = true;
		}
		break;
	default:
		for (uint32_t i = 0; i < nin; i++)
			in[i] = true;
		break;
	}
	sl_expr_columns(f->cond, in, nin);
}

int sl_pushdown_apply(sl_query *q, const sl_frame *top, sl_err *err)
{
	sl_arena *a = &q->session->arena;
	const sl_source_ops *ops = q->src->ops;
	const sl_expr *conj[PUSHDOWN_MAX_PREDS];
	sl_expr_pred *preds;
	const sl_frame *f, *first = NULL;
	sl_pushdown pd = { 0 };
	bool *need;
	uint32_t n;

	if (!ops->pushdown || !top)
		return 0;
	for (f = top; f->parent; f = f->parent)
		first = f;
	if (f->kind != SL_FR_SOURCE || f->src != q->src)
		return 0;
	n = top->schema->n;
	need = sl_arena_alloc(a, (n ? n : 1) * sizeof(*need));
	for (uint32_t i = 0; i < n; i++)
		need[i] = true;
	for (f = top; f->parent; f = f->parent) {
		bool *in = sl_arena_calloc(a, (f->parent->schema->n + 1) *
						      sizeof(*in));

		frame_needs(f, need, in);
		need = in;
	}
	pd.used = need;
	pd.ncols = q->src->schema->n;
	if (first && first->kind == SL_FR_WHERE) {
		uint32_t k = sl_expr_conjuncts(first->cond, conj,
					       PUSHDOWN_MAX_PREDS);

		preds = sl_arena_alloc(a, (k ? k : 1) * sizeof(*preds));
		for (uint32_t i = 0; i < k; i++)
			if (sl_expr_pred_of(conj[i], a, &preds[pd.npreds]))
				pd.npreds++;
		pd.preds = preds;
	}
	return ops->pushdown(q->src, &pd, err);
}
