/* expr/agg.c - what GROUP BY needs from the expression tree: the
 * parts of a function call, replacing aggregate calls by references to the
 * columns the stateful operator computes, and small read accessors
 * (expr/expr.h, "aggregation support"). The stateful planner
 * (engine/stateful.c) uses them; nothing here evaluates. */
#include "expr/internal.h"

bool sl_expr_call_get(const sl_expr *e, sl_expr_call *out)
{
	if (!e || e->kind != EX_FUNC || !e->ident)
		return false;
	const sl_func *f = sl_func_find(e->ident);
	out->name = e->ident;
	out->nargs = e->nargs;
	out->args = e->args;
	out->distinct = (e->flags & EXF_DISTINCT) != 0;
	out->aggregate = f && (f->flags & FN_AGG);
	out->window = f && (f->flags & FN_WINDOW);
	return true;
}

static bool is_agg_call(const sl_expr *e)
{
	if (e->kind != EX_FUNC || !e->ident)
		return false;
	const sl_func *f = sl_func_find(e->ident);
	return f && (f->flags & FN_AGG);
}

int sl_expr_replace_aggregates(sl_expr *e, sl_arena *a,
			       int (*fn)(void *ud, const sl_expr *call,
					 const char **name),
			       void *ud)
{
	if (!e)
		return 0;
	if (!is_agg_call(e)) {
		for (uint32_t i = 0; i < e->nargs; i++) {
			int rc = sl_expr_replace_aggregates(e->args[i], a, fn,
							    ud);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	const char *name = NULL;
	int rc = fn(ud, e, &name);
	if (rc < 0)
		return rc;
	/* The node becomes an unbound one-part column reference; pos and
	 * alias stay, so messages and output names still fit. */
	const char **parts = sl_arena_alloc(a, sizeof(*parts));
	parts[0] = name;
	e->kind = EX_COL;
	e->op = 0;
	e->flags = 0;
	e->col = -1;
	e->nargs = 0;
	e->args = NULL;
	e->type = NULL;
	e->ident = NULL;
	e->fn = NULL;
	e->aux = NULL;
	e->sql = NULL;
	e->name = NULL;
	e->eval = NULL;
	e->lit = sl_v_null();
	e->parts = parts;
	e->nparts = 1;
	return 0;
}

int32_t sl_expr_column(const sl_expr *e)
{
	if (!e || e->kind != EX_COL || !(e->flags & EXF_BOUND))
		return -1;
	return e->col;
}

bool sl_expr_literal(const sl_expr *e, sl_value *out)
{
	if (!e || e->kind != EX_LIT)
		return false;
	*out = e->lit;
	return true;
}

const char *sl_expr_sql(const sl_expr *e)
{
	return e && e->sql ? e->sql : "";
}

const char *sl_expr_alias(const sl_expr *e)
{
	return e ? e->alias : NULL;
}
