/* expr/columns.c - what a bound expression reads of its input, for the
 * engine to tell a source which columns and rows a query wants
 * (engine/pushdown.c): the input columns it references, and the simple
 * predicates of a WHERE (`column OP constant`, `column IS [NOT] NULL`)
 * that a source with statistics can rule row groups out by. */
#include <stdlib.h>

#include "core/alloc.h"
#include "expr/internal.h"

void sl_expr_columns(const sl_expr *e, bool *used, uint32_t n)
{
	/* Iterative: a long flat chain (a + a + ...) is as deep as it is
	 * long. */
	const sl_expr **stack = NULL;
	size_t top = 0, cap = 0;

	if (!e)
		return;
	stack = sl_xrealloc(NULL, (cap = 64) * sizeof(*stack));
	sl_oom_own(stack); /* freed by an unwind (core/alloc.h) */
	stack[top++] = e;
	while (top) {
		const sl_expr *x = stack[--top];

		if (x->kind == EX_COL && x->col >= 0 && (uint32_t)x->col < n)
			used[x->col] = true;
		if (top + x->nargs > cap) {
			const sl_expr **old = stack;

			cap = (top + x->nargs) * 2;
			stack = sl_xrealloc(stack, cap * sizeof(*stack));
			sl_oom_own_swap(old, stack);
		}
		for (uint32_t i = 0; i < x->nargs; i++)
			if (x->args[i])
				stack[top++] = x->args[i];
	}
	sl_oom_disown(stack);
	free(stack);
}

/* A constant side: a literal, or implicit casts of one that bind made
 * (`l > 5` over a BIGINT l casts the INT 5), folded into *out. */
static bool constant(const sl_expr *e, sl_arena *a, sl_value *out)
{
	sl_err err = { 0 };

	if (e->kind == EX_LIT) {
		*out = e->lit;
		return out->type != SL_NULL;
	}
	if (e->kind != EX_CAST || !(e->flags & EXF_IMPLICIT) ||
	    e->args[0]->kind != EX_LIT)
		return false;
	return sl_expr_eval(e, NULL, a, out, &err) == 0 &&
	       out->type != SL_NULL;
}

bool sl_expr_pred_of(const sl_expr *e, sl_arena *a, sl_expr_pred *out)
{
	static const int flip[] = {
		[CMP_EQ] = SL_PRED_EQ, [CMP_LT] = SL_PRED_GT,
		[CMP_LE] = SL_PRED_GE, [CMP_GT] = SL_PRED_LT,
		[CMP_GE] = SL_PRED_LE,
	};
	static const int same[] = {
		[CMP_EQ] = SL_PRED_EQ, [CMP_LT] = SL_PRED_LT,
		[CMP_LE] = SL_PRED_LE, [CMP_GT] = SL_PRED_GT,
		[CMP_GE] = SL_PRED_GE,
	};
	const sl_expr *c, *k;

	if (e->kind == EX_ISNULL && e->args[0]->kind == EX_COL) {
		out->col = e->args[0]->col;
		out->op = e->flags & EXF_NOT ? SL_PRED_NOT_NULL
					     : SL_PRED_IS_NULL;
		out->lit = (sl_value){ .type = SL_NULL };
		return true;
	}
	if (e->kind != EX_CMP || e->nargs != 2 ||
	    !(e->op == CMP_EQ || e->op == CMP_LT || e->op == CMP_LE ||
	      e->op == CMP_GT || e->op == CMP_GE))
		return false;
	/* The column bare on one side (a cast of it would compare another
	 * type than the file's statistics hold). */
	c = e->args[0];
	k = e->args[1];
	out->op = same[e->op];
	if (c->kind != EX_COL) {
		c = e->args[1];
		k = e->args[0];
		out->op = flip[e->op];
	}
	if (c->kind != EX_COL || c->col < 0 || !constant(k, a, &out->lit) ||
	    out->lit.type != c->type->id)
		return false;
	out->col = c->col;
	return true;
}

uint32_t sl_expr_conjuncts(const sl_expr *e, const sl_expr **out,
			   uint32_t max)
{
	const sl_expr *stack[64];
	uint32_t top = 0, n = 0;

	if (!e)
		return 0;
	stack[top++] = e;
	while (top && n < max) {
		const sl_expr *x = stack[--top];

		if (x->kind == EX_AND && x->nargs == 2 && top + 2 <= 64) {
			stack[top++] = x->args[1];
			stack[top++] = x->args[0];
		} else if (x->kind != EX_AND) {
			out[n++] = x;
		}
	}
	return n;
}
