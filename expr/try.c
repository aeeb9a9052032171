/* expr/try.c - try_add, try_subtract, try_multiply, try_divide, try_mod:
 * Spark's arithmetic that gives null where ANSI mode raises an error
 * (overflow, division or remainder by zero), in either mode.
 *
 * Each binds, under the function call node, the operator node it stands
 * for (expr/bind.c's sl_bind_operator: the coercions, type and ANSI
 * evaluator of `a + b`) and evaluates it on its operands' values, taking
 * the operator's error as null. */
#include "expr/internal.h"

/* The operands are evaluated here, so an error of theirs (a malformed
 * CAST) still raises; only the operator's own error becomes null. */
static int ev_try(const sl_expr *e, const sl_value *row, sl_arena *a,
		  sl_value *out, sl_err *err)
{
	const sl_expr *op = e->aux;
	sl_value x, y;
	int rc;
	if ((rc = sl_eval_child(op->args[0], row, a, &x, err)) ||
	    (rc = sl_eval_child(op->args[1], row, a, &y, err)))
		return rc;
	sl_err ignored = { 0 };
	if (x.type == SL_NULL || y.type == SL_NULL ||
	    sl_eval_on(op, &x, &y, row, a, out, &ignored))
		*out = sl_v_null();
	return 0;
}

int sl_bind_try_arith(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	static const struct {
		const char *name;
		char op;
	} ops[] = { { "try_add", '+' },
		    { "try_subtract", '-' },
		    { "try_multiply", '*' },
		    { "try_divide", '/' },
		    { "try_mod", '%' } };
	char op = 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(e->fn->name, ops[i].name))
			op = ops[i].op;
	sl_expr *x = sl_arena_calloc(cx->a, sizeof(*x));
	x->kind = EX_ARITH;
	x->op = (uint8_t)op;
	x->pos = e->pos;
	x->col = -1;
	x->nargs = 2;
	x->args = sl_arena_alloc(cx->a, 2 * sizeof(*x->args));
	x->args[0] = e->args[0];
	x->args[1] = e->args[1];
	x->sql = e->sql;
	/* bound with ANSI's evaluators, whose errors ev_try turns into
	 * null, in either mode */
	sl_bind_ctx checked = *cx;
	checked.ansi = true;
	sl_expr *slot = x;
	int rc = sl_bind_operator(&checked, &slot, err);
	if (rc)
		return rc;
	slot->flags |= EXF_BOUND;
	e->aux = slot;
	e->type = slot->type;
	e->eval = ev_try;
	return 0;
}
