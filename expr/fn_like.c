/* expr/fn_like.c - LIKE's relatives: ilike(str, pattern[, escape]) (also
 * written str [NOT] ILIKE pattern) and str [NOT] LIKE ANY|ALL (patterns),
 * whose calls only the parser makes (expr/parse.c). Patterns go through
 * expr/eval.c's LIKE compiler and matcher; a constant one is compiled once,
 * at bind. */
#include <stdio.h>
#include <string.h>

#include "core/unicode.h"
#include "expr/fn.h"

/* ---- ilike ------------------------------------------------------------ */

/* ilike(str, pattern[, escape]), also `str ILIKE pattern`: LIKE on both
 * lower-cased as Spark's lower() does. A constant pattern is compiled
 * once, at bind (aux). */
static const void *ilike_compile(const char *p, size_t n, char esc,
				 sl_arena *a, sl_err *err)
{
	sl_buf lp;
	sl_buf_init(&lp, a, n + 8);
	if (sl_unicode_lower(&lp, p, n) < 0) {
		sl_err_set(err, SL_EINVAL, "ilike: the pattern is too long");
		return NULL;
	}
	return sl_like_compile(lp.s ? lp.s : "", lp.len, esc, a, err);
}

static int ev_ilike(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const void *pat = e->aux;
	if (!pat) {
		FN_ARG_OR_NULL(1, y);
		pat = ilike_compile(y.v.str, y.len, (char)e->col, a, err);
		if (!pat)
			return SL_EANALYSIS;
	}
	sl_buf ls;
	sl_buf_init(&ls, a, x.len + 8);
	if (sl_unicode_lower(&ls, x.v.str, x.len) < 0)
		return sl_err_set(err, SL_EINVAL, "ilike: the text is too long");
	*out = sl_v_bool(sl_like_match(pat, ls.s ? ls.s : "", ls.len));
	return 0;
}

static int bind_ilike(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = 0;
	for (uint32_t i = 0; i < 2 && !rc; i++)
		rc = sl_fn_string_arg(cx, e, i, err);
	if (rc)
		return rc;
	e->col = '\\';
	if (e->nargs == 3) {
		const sl_expr *c = e->args[2];
		if (c->kind != EX_LIT || c->lit.type != SL_STRING ||
		    c->lit.len != 1)
			return sl_type_mismatch(err, e,
						"the escape of ilike must be a "
						"constant one-character string");
		e->col = (unsigned char)c->lit.v.str[0];
		/* kept in col; Spark's name leaves the escape out */
		e->nargs = 2;
		const char *a0 = sl_sql_of(cx, e->args[0]);
		const char *a1 = sl_sql_of(cx, e->args[1]);
		size_t n = strlen(a0) + strlen(a1) + 16;
		char *s = sl_arena_alloc(cx->a, n);
		snprintf(s, n, "ilike(%s, %s)", a0, a1);
		e->sql = s;
	}
	const sl_expr *p = e->args[1];
	if (p->kind == EX_LIT && p->lit.type == SL_STRING &&
	    !(e->aux = ilike_compile(p->lit.v.str, p->lit.len, (char)e->col,
				     cx->a, err)))
		return SL_EANALYSIS;
	e->type = &sl_dtype_bool;
	e->eval = ev_ilike;
	return 0;
}

/* ---- likeany, likeall, notlikeany, notlikeall ------------------------ */

/* x [NOT] LIKE ANY|ALL (patterns): the patterns (constant strings) are
 * compiled at bind into aux, an array of nargs - 1 of them. ANY: some
 * pattern matches; ALL: every one; the NOT forms: some does not, none
 * does. */
static int ev_like_quantified(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const void *const *pats = e->aux;
	uint32_t n = e->nargs - 1, hits = 0;
	for (uint32_t i = 0; i < n; i++)
		hits += sl_like_match(pats[i], x.v.str, x.len);
	const char *f = e->fn->name; /* "[not ]like any|all" */
	bool neg = f[0] == 'n';
	bool any = !strcmp(f + strlen(f) - 3, "any");
	bool r = neg ? (any ? hits < n : hits == 0)
		     : (any ? hits > 0 : hits == n);
	*out = sl_v_bool(r);
	return 0;
}

static int bind_like_quantified(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = 0;
	for (uint32_t i = 0; i < e->nargs && !rc; i++)
		rc = sl_fn_string_arg(cx, e, i, err);
	if (rc)
		return rc;
	const void **pats =
		sl_arena_alloc(cx->a, (e->nargs - 1) * sizeof(*pats));
	for (uint32_t i = 1; i < e->nargs; i++) {
		const sl_expr *c = e->args[i];
		if (c->kind != EX_LIT || c->lit.type != SL_STRING)
			return sl_type_mismatch(err, e,
						"the patterns of %s must be "
						"constant strings",
						e->fn->sig);
		if (!(pats[i - 1] = sl_like_compile(c->lit.v.str, c->lit.len,
						    '\\', cx->a, err)))
			return SL_EANALYSIS;
	}
	e->aux = pats;
	/* Spark names it after its subject only, the words run together:
	 * likeany(x), notlikeall(x) */
	const char *a0 = sl_sql_of(cx, e->args[0]);
	size_t n = strlen(a0) + 16, k = 0;
	char *s = sl_arena_alloc(cx->a, n);
	for (const char *c = e->fn->name; *c; c++)
		if (*c != ' ')
			s[k++] = *c;
	snprintf(s + k, n - k, "(%s)", a0);
	e->sql = s;
	e->type = &sl_dtype_bool;
	e->eval = ev_like_quantified;
	return 0;
}

const sl_func sl_funcs_like[] = {
	/* the syntax str [NOT] LIKE ANY|ALL (pattern, ...): names with a
	 * space, which only the parser gives a call (Spark has no such
	 * functions to call) */
	{ "like all", 2, -1, FN_SYNTAX, bind_like_quantified,
	  "str LIKE ALL (pattern, ...)",
	  "Whether str matches every LIKE pattern (constant strings).",
	  "'Spark' LIKE ALL ('S%', '%k')" },
	{ "like any", 2, -1, FN_SYNTAX, bind_like_quantified,
	  "str LIKE ANY (pattern, ...)",
	  "Whether str matches some LIKE pattern (constant strings).",
	  "'Spark' LIKE ANY ('x%', '%k')" },
	{ "not like all", 2, -1, FN_SYNTAX, bind_like_quantified,
	  "str NOT LIKE ALL (pattern, ...)",
	  "Whether str matches none of the LIKE patterns.",
	  "'Spark' NOT LIKE ALL ('x%', 'y%')" },
	{ "not like any", 2, -1, FN_SYNTAX, bind_like_quantified,
	  "str NOT LIKE ANY (pattern, ...)",
	  "Whether some LIKE pattern does not match str.",
	  "'Spark' NOT LIKE ANY ('S%', 'x%')" },
	{ "ilike", 2, 3, 0, bind_ilike, "ilike(str, pattern[, escape])",
	  "Whether str matches the LIKE pattern, case-insensitively (both "
	  "lower-cased); also written str ILIKE pattern.",
	  "ilike('Spark', '_PARK')" },
};
const size_t sl_funcs_like_n = SL_NFUNCS(sl_funcs_like);
