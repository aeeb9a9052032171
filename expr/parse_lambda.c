/* expr/parse_lambda.c - the grammar of lambdas and of the shift operators,
 * for expr/parse.c.
 *
 * A lambda is a function's argument: `x -> body` or `(x, y, ...) -> body`
 * (Spark's higher-order functions, expr/fn_hof.c). It parses into an
 * EX_LAMBDA node whose parts are the variables' names and whose one child
 * is the body; binding gives the variables their types (expr/lambda.c).
 *
 * The shifts `a << n`, `a >> n` and `a >>> n` sit between + - and &, as in
 * Spark's grammar, and parse into calls only the parser makes ("<< op",
 * ...: expr/fn_bits.c), named (a << n) as Spark names them.
 *
 * `gen(...) AS (a, b)` names the columns of a generator's rows. */
#include <strings.h>

#include "expr/parse_internal.h"

/* A lambda's variables, at most: a higher-order function takes two. */
#define MAX_VARS 8
/* The names `AS (a, b, ...)` may give, at most. */
#define MAX_ALIASES 256

static bool tok_is_op(const sl_tok *t, int op)
{
	return t->type == TK_OP && t->op == op;
}

static bool tok_is_name(const sl_tok *t)
{
	return t->type == TK_IDENT || t->type == TK_QIDENT;
}

bool sl_px_lambda_ahead(const parser *p)
{
	sl_lexer lx = p->lx;
	sl_tok t;
	if (tok_is_name(&p->t)) {
		sl_lex_next(&lx, &t);
		return tok_is_op(&t, OP_ARROW);
	}
	if (!tok_is_op(&p->t, '('))
		return false;
	for (int i = 0; i < MAX_VARS; i++) {
		sl_lex_next(&lx, &t);
		if (!tok_is_name(&t))
			return false;
		sl_lex_next(&lx, &t);
		if (tok_is_op(&t, ')')) {
			sl_lex_next(&lx, &t);
			return tok_is_op(&t, OP_ARROW);
		}
		if (!tok_is_op(&t, ','))
			return false;
	}
	return false;
}

sl_expr *sl_px_lambda(parser *p, sl_expr *(*body)(parser *p))
{
	size_t off = p->t.off;
	const char *names[MAX_VARS];
	uint32_t n = 0;
	if (tok_is_name(&p->t)) {
		names[n++] = p->t.s;
		sl_px_next(p);
	} else {
		sl_px_next(p); /* ( */
		for (;;) {
			names[n++] = p->t.s;
			sl_px_next(p);
			if (tok_is_op(&p->t, ')'))
				break;
			sl_px_next(p); /* , */
		}
		sl_px_next(p); /* ) */
	}
	sl_px_next(p); /* -> */
	sl_expr *b = body(p);
	if (!b)
		return NULL;
	sl_expr *e = sl_px_node(p, EX_LAMBDA, off);
	e->parts = sl_arena_alloc(p->a, n * sizeof(*e->parts));
	memcpy(e->parts, names, n * sizeof(*e->parts));
	e->nparts = n;
	e->nargs = 1;
	e->args = sl_arena_alloc(p->a, sizeof(*e->args));
	e->args[0] = b;
	return e;
}

sl_expr *sl_px_shift(parser *p, sl_expr *(*operand)(parser *p))
{
	sl_expr *l = operand(p);
	while (l && p->t.type == TK_OP &&
	       (p->t.op == OP_SHL || p->t.op == OP_SHR || p->t.op == OP_USHR)) {
		int op = p->t.op;
		sl_px_next(p);
		sl_expr *r = operand(p);
		if (!r)
			return NULL;
		sl_expr *e = sl_px_node(p, EX_FUNC, 0);
		e->pos = l->pos;
		e->ident = op == OP_SHL ? "<< op" : op == OP_SHR ? ">> op"
								 : ">>> op";
		e->nargs = 2;
		e->args = sl_arena_alloc(p->a, 2 * sizeof(*e->args));
		e->args[0] = l;
		e->args[1] = r;
		l = e;
	}
	return l;
}

bool sl_px_aliases(parser *p, sl_expr *e)
{
	const sl_func *f = e->kind == EX_FUNC ? sl_func_find(e->ident) : NULL;
	if (!f || !(f->flags & FN_GEN)) {
		sl_px_fail(p, "multiple aliases (AS (a, b)) name the columns "
			      "of a generator (posexplode, inline, ...) only");
		return false;
	}
	const char *names[MAX_ALIASES];
	uint32_t n = 0;
	sl_px_next(p); /* ( */
	for (;;) {
		if (!tok_is_name(&p->t) || n == MAX_ALIASES) {
			sl_px_fail(p, "expected a column name");
			return false;
		}
		names[n++] = p->t.s;
		sl_px_next(p);
		if (tok_is_op(&p->t, ')'))
			break;
		if (!tok_is_op(&p->t, ',')) {
			sl_px_fail(p, "expected ',' or ')'");
			return false;
		}
		sl_px_next(p);
	}
	sl_px_next(p); /* ) */
	if (p->t.type != TK_EOF) {
		sl_px_fail(p, "expected end of expression");
		return false;
	}
	e->parts = sl_arena_alloc(p->a, n * sizeof(*e->parts));
	memcpy(e->parts, names, n * sizeof(*e->parts));
	e->nparts = n;
	if (n == 1)
		e->alias = names[0];
	return true;
}
