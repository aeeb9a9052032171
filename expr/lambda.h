/* expr/lambda.h - lambdas: binding their variables and evaluating their
 * bodies (expr/lambda.c), for the higher-order functions (expr/fn_hof.c)
 * and the two hooks of expr/bind.c.
 *
 * A lambda's body is bound against its input's schema with the lambda's
 * variables appended as columns, so a variable is a column reference and
 * the body evaluates on a frame: the row's values, then the variables'.
 * Nested lambdas append theirs after those of the lambdas around them.
 * A variable's name hides a column's. */
#ifndef SL_EXPR_LAMBDA_H
#define SL_EXPR_LAMBDA_H

#include "expr/fn.h"

/* expr/bind.c's column resolution: true and *idx (a column of cx->in) if
 * name is a variable of a lambda around the expression being bound. */
bool sl_lambda_var_find(const sl_bind_ctx *cx, const char *name, int *idx);
/* After a column reference e is bound: names it as Spark names a lambda
 * variable (namedlambdavariable()) if it is one. */
void sl_lambda_var_named(const sl_bind_ctx *cx, sl_expr *e);

/* Binds every argument of the call e but its lambdas; refuses a lambda
 * where lambdas[i] is 0 and a non-lambda where it is 1 (one letter an
 * argument, '1' or '0'). */
int sl_lambda_bind_args(sl_bind_ctx *cx, sl_expr *e, const char *lambdas,
			sl_err *err);
/* Binds the lambda e->args[i] with variables of types[0..n) (it may
 * declare fewer, down to min); sets its type to its body's. */
int sl_lambda_bind(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
		   const sl_dtype *const *types, uint32_t min, uint32_t n,
		   sl_err *err);
/* The number of variables lambda e->args[i] declares (before bind). */
uint32_t sl_lambda_nvars(const sl_expr *e, uint32_t i);
/* The call's SQL text once its lambdas are bound. */
void sl_lambda_call_sql(sl_bind_ctx *cx, sl_expr *e);

/* A frame to evaluate lambda lam's body on: the row's values (when the
 * body reads any), then its variables at v[lam->col ...]. Small frames
 * live on the stack, larger ones in the arena. */
#define SL_LAMBDA_STACK 24
typedef struct sl_lambda_frame {
	sl_value *v;   /* the frame */
	sl_value *var; /* v + the first variable's column */
	sl_value st[SL_LAMBDA_STACK];
} sl_lambda_frame;
void sl_lambda_frame_init(sl_lambda_frame *f, const sl_expr *lam,
			  const sl_value *row, sl_arena *a);

/* Evaluates lambda lam's body on frame f (its variables set). */
static inline int sl_lambda_eval(const sl_expr *lam, sl_lambda_frame *f,
				 sl_arena *a, sl_value *out, sl_err *err)
{
	const sl_expr *b = lam->args[0];
	return b->eval(b, f->v, a, out, err);
}

#endif
