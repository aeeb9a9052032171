/* expr/lambda.c - lambdas: their variables as columns of a frame
 * (expr/lambda.h), named as Spark names them: a variable is
 * namedlambdavariable(), a lambda lambdafunction(body, var, ...). */
#include <stdio.h>
#include <strings.h>

#include "expr/lambda.h"

#define VAR_SQL "namedlambdavariable()"

/* Frames of rows this narrow copy the row without asking whether the body
 * reads it. */
#define SMALL_ROW 8

bool sl_lambda_var_find(const sl_bind_ctx *cx, const char *name, int *idx)
{
	uint32_t n = cx->in->n;
	for (uint32_t i = n; i-- > n - cx->nlambda;) {
		if (!strcasecmp(cx->in->fields[i].name, name)) {
			*idx = (int)i;
			return true;
		}
	}
	return false;
}

void sl_lambda_var_named(const sl_bind_ctx *cx, sl_expr *e)
{
	if (!cx->nlambda || e->col < (int32_t)(cx->in->n - cx->nlambda))
		return;
	e->sql = VAR_SQL;
	e->name = VAR_SQL;
	e->spelled = NULL;
	e->spelled_of = e->sql;
}

int sl_lambda_bind_args(sl_bind_ctx *cx, sl_expr *e, const char *lambdas,
			sl_err *err)
{
	size_t nl = strlen(lambdas);
	for (uint32_t i = 0; i < e->nargs; i++) {
		sl_expr *x = e->args[i];
		bool want = i < nl && lambdas[i] == '1';
		if (want && x->kind != EX_LAMBDA)
			return sl_bind_fail(
				err, x, SL_EANALYSIS,
				"[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] "
				"argument %u of %s must be a lambda function "
				"(x -> ...)",
				i + 1, e->fn->name);
		if (x->kind == EX_LAMBDA) {
			if (!want)
				return sl_bind_fail(
					err, x, SL_EANALYSIS,
					"[INVALID_LAMBDA_FUNCTION_CALL] "
					"argument %u of %s cannot be a lambda "
					"function",
					i + 1, e->fn->name);
			continue;
		}
		if (x->kind == EX_STAR)
			return sl_bind_fail(err, x, SL_EANALYSIS,
					    "invalid usage of '*' in "
					    "expression '%s'",
					    e->fn->name);
		int rc = sl_bind_node(cx, &e->args[i], err);
		if (rc)
			return rc;
	}
	return 0;
}

uint32_t sl_lambda_nvars(const sl_expr *e, uint32_t i)
{
	return e->args[i]->kind == EX_LAMBDA ? e->args[i]->nparts : 0;
}

static int ev_lambda(const sl_expr *e, const sl_value *row, sl_arena *a,
		     sl_value *out, sl_err *err)
{
	return sl_eval_child(e->args[0], row, a, out, err);
}

/* Whether the subtree reads a column below base (or holds a lambda, whose
 * frame is copied from this one). */
static bool reads_below(const sl_expr *e, int32_t base)
{
	if (!e)
		return false;
	if ((e->kind == EX_COL && e->col < base) || e->kind == EX_LAMBDA)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (reads_below(e->args[i], base))
			return true;
	return false;
}

static const char *lambda_text(sl_bind_ctx *cx, const char *body, uint32_t n)
{
	sl_buf w;
	sl_buf_init(&w, cx->a, strlen(body) + 32 + n * 24);
	sl_buf_printf(&w, "lambdafunction(%s", body);
	for (uint32_t i = 0; i < n; i++)
		sl_buf_puts(&w, ", " VAR_SQL);
	sl_buf_putc(&w, ')');
	return sl_buf_cstr(&w);
}

int sl_lambda_bind(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
		   const sl_dtype *const *types, uint32_t min, uint32_t n,
		   sl_err *err)
{
	sl_expr *lam = e->args[i];
	uint32_t k = lam->nparts;
	if (k < min || k > n)
		return sl_bind_fail(err, lam, SL_EANALYSIS,
				    "[INVALID_LAMBDA_FUNCTION_CALL.NUM_ARGS_"
				    "MISMATCH] Invalid lambda function call. "
				    "A higher order function expects %u "
				    "arguments, but got %u.",
				    k, min);
	for (uint32_t x = 0; x < k; x++)
		for (uint32_t y = x + 1; y < k; y++)
			if (!strcasecmp(lam->parts[x], lam->parts[y]))
				return sl_bind_fail(
					err, lam, SL_EANALYSIS,
					"[INVALID_LAMBDA_FUNCTION_CALL."
					"DUPLICATE_ARG_NAMES] Invalid lambda "
					"function call. The lambda function "
					"has duplicate arguments `%s`, `%s`.",
					lam->parts[x], lam->parts[y]);
	const sl_schema *in = cx->in;
	sl_schema *ext = sl_schema_new(cx->a, in->n + k);
	if (in->n)
		memcpy(ext->fields, in->fields, in->n * sizeof(*ext->fields));
	for (uint32_t x = 0; x < k; x++) {
		ext->fields[in->n + x].name = lam->parts[x];
		ext->fields[in->n + x].type = types[x];
		ext->fields[in->n + x].nullable = true;
	}
	sl_bind_ctx ncx = *cx;
	ncx.in = ext;
	ncx.nlambda = cx->nlambda + k;
	int rc = sl_bind_node(&ncx, &lam->args[0], err);
	if (rc)
		return rc;
	sl_expr *b = lam->args[0];
	if (b->kind == EX_FUNC && b->fn && (b->fn->flags & FN_GEN))
		return sl_bind_fail(err, b, SL_EANALYSIS,
				    "generators are not supported when nested "
				    "in expressions, but got: %s",
				    sl_sql_of(&ncx, b));
	const char *bs = sl_sql_of(&ncx, b);
	lam->sql = lambda_text(cx, bs, k);
	lam->spelled = sl_spelled_sql(b) != bs
			       ? lambda_text(cx, sl_spelled_sql(b), k)
			       : NULL;
	lam->spelled_of = lam->sql;
	lam->type = b->type;
	lam->col = (int32_t)in->n;
	lam->op = in->n <= SMALL_ROW || reads_below(b, (int32_t)in->n);
	lam->eval = ev_lambda;
	lam->flags |= EXF_BOUND;
	return 0;
}

void sl_lambda_call_sql(sl_bind_ctx *cx, sl_expr *e)
{
	e->sql = sl_node_sql(cx, e);
}

void sl_lambda_frame_init(sl_lambda_frame *f, const sl_expr *lam,
			  const sl_value *row, sl_arena *a)
{
	size_t base = (size_t)lam->col, n = base + lam->nparts;
	f->v = n <= SL_LAMBDA_STACK ? f->st
				    : sl_arena_alloc(a, n * sizeof(sl_value));
	if (lam->op && base) {
		if (row)
			memcpy(f->v, row, base * sizeof(sl_value));
		else /* folding at bind: no row */
			memset(f->v, 0, base * sizeof(sl_value));
	}
	f->var = f->v + base;
}
