/* expr/chain.c - long left-deep chains of binary operators: `v + v + ...
 * + v` with 100,000 terms, or a generated OR of many conditions.
 *
 * The parser (expr/parse.c) builds them with a loop, so the tree is as deep
 * as the chain is long. Binding such a chain one recursion per term would
 * overflow the stack, and giving every node its SQL text (which holds its
 * left operand's) would be quadratic in time and memory. So expr/bind.c
 * hands a chain to sl_bind_chain, which binds it bottom-up in a loop and
 * writes only the top's text (expr/sql_text.c's sl_sql_of gives an inner
 * node's when a message needs it). A chain deeper than the parser's nesting
 * limit is also wrapped in an EX_CHAIN node that evaluates it with a loop,
 * for the same reason at run time. */
#include "expr/internal.h"

/* Chains at most this long are evaluated by plain recursion: the wrapper
 * only takes over where the recursion could threaten the stack. */
#define SL_CHAIN_LOOP_MIN 1000

static bool chain_kind(const sl_expr *e)
{
	/* a BETWEEN's AND (op 1) has its own name: not a chain link */
	return (e->kind == EX_ARITH || e->kind == EX_CMP ||
		(e->kind == EX_AND && !e->op) || e->kind == EX_OR) &&
	       !(e->flags & EXF_BOUND);
}

bool sl_chain_starts(const sl_expr *e)
{
	return chain_kind(e) && chain_kind(e->args[0]);
}

/* The bound chain's nodes bottom-up (the binary operators and the
 * implicit casts bind put between them). */
typedef struct chain_plan {
	uint32_t n;
	const sl_expr **nodes;
} chain_plan;

static int ev_operand_value(const sl_expr *e, const sl_value *row, sl_arena *a,
			    sl_value *out, sl_err *err)
{
	*out = e->lit;
	return 0;
}

int sl_eval_on(const sl_expr *node, const sl_value *left, const sl_value *right,
	       const sl_value *row, sl_arena *a, sl_value *out, sl_err *err)
{
	sl_expr operands[2] = {
		{ .kind = EX_LIT,
		  .eval = ev_operand_value,
		  .type = node->args[0]->type,
		  .lit = *left },
		{ .kind = EX_LIT, .eval = ev_operand_value },
	};
	sl_expr *args[2] = { &operands[0],
			     node->nargs > 1 ? node->args[1] : NULL };
	if (right) {
		operands[1].type = node->args[1]->type;
		operands[1].lit = *right;
		args[1] = &operands[1];
	}
	sl_expr step = *node;
	step.args = args;
	return step.eval(&step, row, a, out, err);
}

/* Each node evaluated on its left operand's value computed so far: the
 * node's own evaluator does the work, one frame deep. */
static int ev_chain(const sl_expr *e, const sl_value *row, sl_arena *a,
		    sl_value *out, sl_err *err)
{
	const chain_plan *plan = e->aux;
	sl_value left;
	int rc = sl_eval_child(plan->nodes[0]->args[0], row, a, &left, err);
	for (uint32_t i = 0; !rc && i < plan->n; i++) {
		sl_value v;
		rc = sl_eval_on(plan->nodes[i], &left, NULL, row, a, &v, err);
		left = v;
	}
	*out = left;
	return rc;
}

/* Wraps the bound chain at *slot (n binary nodes) in an EX_CHAIN node. The
 * top moves to a new node first: *slot may be the root the caller holds,
 * which sl_expr_bind overwrites with the wrapper. */
static void wrap(sl_bind_ctx *cx, sl_expr **slot, uint32_t n)
{
	sl_expr *top = sl_arena_alloc(cx->a, sizeof(*top));
	*top = **slot;
	top->alias = NULL;
	uint32_t total = 0;
	for (const sl_expr *x = top, *end = NULL; x != end; x = x->args[0]) {
		total++;
		if (x->kind != EX_CAST && --n == 0)
			end = x->args[0];
	}
	chain_plan *plan = sl_arena_alloc(cx->a, sizeof(*plan));
	plan->n = total;
	plan->nodes = sl_arena_alloc(cx->a, total * sizeof(*plan->nodes));
	const sl_expr *x = top;
	for (uint32_t i = total; i-- > 0; x = x->args[0])
		plan->nodes[i] = x;
	sl_expr *w = sl_arena_calloc(cx->a, sizeof(*w));
	w->kind = EX_CHAIN;
	w->flags = EXF_BOUND;
	w->col = -1;
	w->pos = top->pos;
	w->nargs = 1;
	w->args = sl_arena_alloc(cx->a, sizeof(*w->args));
	w->args[0] = top;
	w->type = top->type;
	w->sql = top->sql;
	w->spelled = top->spelled;
	w->spelled_of = top->spelled_of;
	w->name = top->name;
	w->alias = (*slot)->alias;
	w->aux = plan;
	w->eval = ev_chain;
	*slot = w;
}

int sl_bind_chain(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	uint32_t n = 0;
	for (sl_expr *x = *slot; chain_kind(x); x = x->args[0])
		n++;
	sl_expr ***slots = sl_arena_alloc(cx->a, n * sizeof(*slots));
	slots[0] = slot;
	for (uint32_t i = 1; i < n; i++)
		slots[i] = &(*slots[i - 1])->args[0];
	int rc = sl_bind_node(cx, &(*slots[n - 1])->args[0], err);
	for (uint32_t i = n; !rc && i-- > 0;) {
		sl_expr *e = *slots[i];
		if ((rc = sl_bind_node(cx, &e->args[1], err)))
			break;
		e->sql = NULL;
		if (i == n - 1)
			e->sql = sl_node_sql(cx, e);
		else if (i == 0)
			sl_sql_of(cx, e);
		rc = sl_bind_operator(cx, slots[i], err);
	}
	if (!rc && n >= SL_CHAIN_LOOP_MIN)
		wrap(cx, slot, n);
	return rc;
}
