/* expr/bind.c - resolves a parsed expression against its input schema.
 *
 * Binding does everything that does not depend on the row, once per query:
 * column and struct-field resolution, function lookup and argument checks,
 * Spark's implicit casts (inserted as cast nodes, folded when the operand is
 * a literal), the result type, the choice of each node's evaluation
 * function, and Spark's output name for the expression. Evaluation
 * (expr/eval.c) then runs without type tests or lookups. */
#include <stdio.h>
#include <strings.h>

#include "core/decimal.h"
#include "core/interval.h"
#include "expr/fn_map.h"
#include "expr/internal.h"
#include "expr/lambda.h"

int sl_bind_fail(sl_err *err, const sl_expr *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_err_vset(err, code, fmt, ap);
	va_end(ap);
	if (err)
		err->pos = e ? e->pos : 0;
	return code;
}

static int mismatch(sl_err *err, const sl_expr *e, const char *cls,
		    const char *fmt, va_list ap)
{
	char why[256];
	vsnprintf(why, sizeof(why), fmt, ap);
	return sl_bind_fail(err, e, SL_EANALYSIS,
			    "[%s] cannot resolve '%s' due to data type "
			    "mismatch: %s",
			    cls, e->sql ? e->sql : "?", why);
}

int sl_type_mismatch(sl_err *err, const sl_expr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = mismatch(err, e, "DATATYPE_MISMATCH", fmt, ap);
	va_end(ap);
	return rc;
}

int sl_type_mismatch_cls(sl_err *err, const sl_expr *e, const char *cls,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = mismatch(err, e, cls, fmt, ap);
	va_end(ap);
	return rc;
}

bool sl_is_numeric(const sl_dtype *t)
{
	return t->id == SL_INT || t->id == SL_LONG || t->id == SL_DOUBLE ||
	       t->id == SL_BYTE || t->id == SL_SHORT || t->id == SL_FLOAT ||
	       t->id == SL_DECIMAL;
}

static const char *tname(const sl_dtype *t, char *buf, size_t n)
{
	sl_dtype_name(t, buf, n);
	return buf;
}

/* ---- types ------------------------------------------------------------ */

static int num_rank(sl_type id)
{
	switch ((int)id) {
	case SL_BYTE: return 1;
	case SL_SHORT: return 2;
	case SL_INT: return 3;
	case SL_LONG: return 4;
	case SL_FLOAT: return 5;
	case SL_DOUBLE: return 6;
	default: return 0;
	}
}

const sl_dtype *sl_wider_type(const sl_dtype *a, const sl_dtype *b,
			      bool string_wins)
{
	if (sl_dtype_equal(a, b))
		return a;
	if (a->id == SL_NULL)
		return b;
	if (b->id == SL_NULL)
		return a;
	int ra = num_rank(a->id), rb = num_rank(b->id);
	if (ra && rb)
		return ra > rb ? a : b;
	/* decimals: with each other and with integers Spark's widening
	 * (DECIMAL(10,0) for an int), with FLOAT or DOUBLE a DOUBLE */
	if ((a->id == SL_DECIMAL && (rb || b->id == SL_DECIMAL)) ||
	    (b->id == SL_DECIMAL && ra)) {
		if (ra >= 5 || rb >= 5)
			return &sl_dtype_double;
		const sl_dtype *x = sl_dec_type_of(a), *y = sl_dec_type_of(b);
		sl_decimal_type w = sl_decimal_type_wider(
			sl_decimal_type_make(x->precision, x->scale),
			sl_decimal_type_make(y->precision, y->scale));
		return sl_dtype_decimal(w.precision, w.scale);
	}
	if ((a->id == SL_DATE && b->id == SL_TIMESTAMP) ||
	    (a->id == SL_TIMESTAMP && b->id == SL_DATE) ||
	    (a->id == SL_TIMESTAMP_NTZ && b->id == SL_TIMESTAMP) ||
	    (a->id == SL_TIMESTAMP && b->id == SL_TIMESTAMP_NTZ))
		return &sl_dtype_timestamp;
	if ((a->id == SL_DATE && b->id == SL_TIMESTAMP_NTZ) ||
	    (a->id == SL_TIMESTAMP_NTZ && b->id == SL_DATE))
		return &sl_dtype_timestamp_ntz;
	if (sl_is_interval(a) || sl_is_interval(b))
		return sl_interval_wider(a, b);
	if (string_wins) {
		/* Spark's string promotion: any atomic type but binary and
		 * boolean widens with a string to a string. */
		const sl_dtype *o = a->id == SL_STRING	 ? b
				    : b->id == SL_STRING ? a
							 : NULL;
		if (o && o->id != SL_BINARY && o->id != SL_BOOL &&
		    o->id != SL_ARRAY && o->id != SL_STRUCT)
			return &sl_dtype_string;
	}
	return NULL;
}

const sl_dtype *sl_common_type(const sl_bind_ctx *cx, const sl_dtype *a,
			       const sl_dtype *b)
{
	const sl_dtype *o = a->id == SL_STRING	 ? b
			    : b->id == SL_STRING ? a
						 : NULL;
	if (a->id == SL_MAP && b->id == SL_MAP) /* key and value widened */
		return sl_map_common_type(cx, a, b);
	if (cx->ansi && (a->id == SL_FLOAT || b->id == SL_FLOAT)) {
		const sl_dtype *w = sl_wider_type(a, b, false);
		if (w && w->id == SL_FLOAT && !sl_dtype_equal(a, b) &&
		    a->id != SL_NULL && b->id != SL_NULL)
			return &sl_dtype_double;
	}
	if (cx->ansi && o) {
		if (o->id == SL_DOUBLE || o->id == SL_FLOAT)
			return o;
		if (o->id == SL_DECIMAL) /* a string meets it as a double */
			return &sl_dtype_double;
		if (o->id == SL_INT || o->id == SL_LONG || o->id == SL_BYTE ||
		    o->id == SL_SHORT)
			return &sl_dtype_long;
	}
	return sl_wider_type(a, b, true);
}

/* The type both sides of a comparison are cast to (Spark's
 * findCommonTypeForBinaryComparison): a string meets a number, date or
 * boolean as that type. */
static const sl_dtype *cmp_type(const sl_dtype *a, const sl_dtype *b)
{
	const sl_dtype *w = sl_wider_type(a, b, false);
	if (w)
		return w;
	const sl_dtype *o = a->id == SL_STRING	 ? b
			    : b->id == SL_STRING ? a
						 : NULL;
	/* Spark compares a string with a decimal as doubles */
	if (o && o->id == SL_DECIMAL)
		return &sl_dtype_double;
	if (o && o->id != SL_ARRAY && o->id != SL_STRUCT)
		return o;
	return NULL;
}

sl_expr *sl_bind_new_node(sl_bind_ctx *cx, sl_ex_kind kind, int pos)
{
	sl_expr *e = sl_arena_calloc(cx->a, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->pos = pos;
	e->col = -1;
	e->flags = EXF_BOUND;
	return e;
}

static int ev_lit(const sl_expr *e, const sl_value *row, sl_arena *a,
		  sl_value *out, sl_err *err)
{
	*out = e->lit;
	return 0;
}

/* Evaluates a bound node that has no column references into a literal
 * (plan arena). */
static sl_expr *fold(sl_bind_ctx *cx, sl_expr *e)
{
	sl_value v;
	sl_err err = { 0 };
	if (e->eval(e, NULL, cx->a, &v, &err) < 0)
		return e;
	sl_expr *l = sl_bind_new_node(cx, EX_LIT, e->pos);
	l->op = 1; /* folded: not a literal as written (expr/decimal.c) */
	l->lit = sl_value_copy(&v, cx->a);
	l->type = e->type;
	l->sql = e->sql;
	l->spelled = e->spelled;
	l->spelled_of = e->spelled_of;
	l->name = e->name;
	l->alias = e->alias;
	l->eval = ev_lit;
	return l;
}

int sl_coerce(sl_bind_ctx *cx, sl_expr **slot, const sl_dtype *t, sl_err *err)
{
	sl_expr *e = *slot;
	if (sl_dtype_equal(e->type, t))
		return 0;
	if (e->kind == EX_LIT && e->type->id == SL_NULL) {
		e->type = t;
		return 0;
	}
	if (!sl_can_cast_implicit(e->type, t)) {
		char a[128], b[128];
		return sl_type_mismatch(err, e, "cannot cast %s to %s",
					tname(e->type, a, sizeof(a)),
					tname(t, b, sizeof(b)));
	}
	sl_expr *c = sl_bind_new_node(cx, EX_CAST, e->pos);
	c->flags |= EXF_IMPLICIT;
	c->nargs = 1;
	c->args = sl_arena_alloc(cx->a, sizeof(*c->args));
	c->args[0] = e;
	c->type = t;
	c->sql = e->sql;
	c->spelled = e->spelled;
	c->spelled_of = e->spelled_of;
	c->name = e->name;
	c->eval = sl_cast_evaluator(e->type, t);
	if (cx->ansi)
		c->flags |= EXF_ANSI;
	*slot = e->kind == EX_LIT ? fold(cx, c) : c;
	return 0;
}

/* ---- functions -------------------------------------------------------- */

static int arg_count_error(sl_expr *e, const sl_func *f, sl_err *err)
{
	char want[48];
	if (f->max < 0)
		snprintf(want, sizeof(want), "at least %d", f->min);
	else if (f->min == f->max)
		snprintf(want, sizeof(want), "%d", f->min);
	else if (f->max == f->min + 1)
		snprintf(want, sizeof(want), "%d or %d", f->min, f->max);
	else
		snprintf(want, sizeof(want), "%d to %d", f->min, f->max);
	return sl_bind_fail(err, e, SL_EANALYSIS,
			    "invalid number of arguments for function %s: "
			    "expected %s, found %u",
			    f->name, want, e->nargs);
}

/* struct(*) and struct(a, *): every input column in place of the star. */
static void expand_stars(sl_bind_ctx *cx, sl_expr *e)
{
	uint32_t n = 0;
	bool star = false;
	for (uint32_t i = 0; i < e->nargs; i++) {
		star |= e->args[i]->kind == EX_STAR;
		n += e->args[i]->kind == EX_STAR ? cx->in->n : 1;
	}
	/* Not n == nargs: a star over one column keeps the count. */
	if (!star)
		return;
	sl_expr **v = sl_arena_alloc(cx->a, (n ? n : 1) * sizeof(*v));
	uint32_t k = 0;
	for (uint32_t i = 0; i < e->nargs; i++) {
		sl_expr *a = e->args[i];
		if (a->kind != EX_STAR) {
			v[k++] = a;
			continue;
		}
		for (uint32_t c = 0; c < cx->in->n; c++) {
			sl_expr *col = sl_bind_new_node(cx, EX_COL, a->pos);
			col->flags = 0;
			col->parts = sl_arena_alloc(cx->a, sizeof(char *));
			col->parts[0] = cx->in->fields[c].name;
			col->nparts = 1;
			v[k++] = col;
		}
	}
	e->args = v;
	e->nargs = n;
}

static int bind_func(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_func *f = sl_func_find(e->ident);
	if (!f)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "undefined function: '%s'", e->ident);
	if (f->flags & FN_AGG)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "aggregate function %s() needs GROUP BY: "
				    "aggregates belong in the select list of a "
				    "grouped query (GROUP BY, "
				    "sl_frame_group_by)",
				    f->name);
	if (f->flags & FN_WINDOW)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "%s() groups rows into event-time windows "
				    "and needs GROUP BY; GROUP BY is not "
				    "supported yet (stateful queries)",
				    f->name);
	e->fn = f;
	if (f->flags & FN_STRUCT_ARGS)
		expand_stars(cx, e);
	if (e->nargs < (uint32_t)f->min ||
	    (f->max >= 0 && e->nargs > (uint32_t)f->max))
		return arg_count_error(e, f, err);
	if (f->flags & FN_LAMBDA) /* binds its arguments itself */
		return f->bind(cx, e, err);
	for (uint32_t i = 0; i < e->nargs; i++) {
		if (e->args[i]->kind == EX_STAR)
			return sl_bind_fail(err, e->args[i], SL_EANALYSIS,
					    "invalid usage of '*' in "
					    "expression '%s'",
					    f->name);
		int rc = sl_bind_node(cx, &e->args[i], err);
		if (rc)
			return rc;
	}
	e->sql = sl_node_sql(cx, e);
	int rc;
	if (sl_map_bind_call(cx, e, &rc, err)) /* size(m), element_at(m, k) */
		return rc;
	return f->bind(cx, e, err);
}

/* ---- operators -------------------------------------------------------- */

static int need_bool(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (t->id == SL_BOOL)
		return 0;
	if (t->id == SL_NULL)
		return sl_coerce(cx, &e->args[i], &sl_dtype_bool, err);
	char tb[128];
	sl_sql_of(cx, e);
	return sl_type_mismatch(err, e,
				"argument %u requires boolean type, however, "
				"'%s' is of %s type",
				i + 1, sl_sql_of(cx, e->args[i]),
				tname(t, tb, sizeof(tb)));
}

/* "fn(a, b)" in the plan arena. */
static const char *call_text(sl_bind_ctx *cx, const char *fn, const char *a,
			     const char *b)
{
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	sl_buf_printf(&w, "%s(%s, %s)", fn, a, b);
	return sl_buf_cstr(&w);
}

static int bind_arith(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *l = e->args[0]->type, *r = e->args[1]->type;
	char ta[128], tb[128];
	bool done;
	int irc = sl_bind_interval_arith(cx, e, &done, err);
	if (done)
		return irc;
	/* date + int and date - int are Spark 3's date_add/date_sub */
	if ((e->op == '+' || e->op == '-') &&
	    (l->id == SL_DATE || (e->op == '+' && r->id == SL_DATE))) {
		uint32_t d = l->id == SL_DATE ? 0 : 1;
		const sl_dtype *o = e->args[1 - d]->type;
		if (o->id != SL_INT && o->id != SL_LONG && o->id != SL_NULL &&
		    o->id != SL_STRING)
			return sl_type_mismatch(
				err, e,
				"a date takes a whole number of "
				"days, not %s",
				tname(o, ta, sizeof(ta)));
		int rc = sl_coerce(cx, &e->args[1 - d], &sl_dtype_int, err);
		if (rc)
			return rc;
		e->type = &sl_dtype_date;
		const char *fn = e->op == '+' ? "date_add" : "date_sub";
		sl_expr *day = e->args[d], *n = e->args[1 - d];
		sl_sql_of(cx, day);
		sl_sql_of(cx, n);
		e->sql = call_text(cx, fn, day->sql, n->sql);
		e->spelled = call_text(cx, fn, sl_spelled_sql(day),
				       sl_spelled_sql(n));
		e->spelled_of = e->sql;
		return sl_pick_eval(cx, e, err);
	}
	/* Spark 4 with ANSI on refuses arithmetic on two strings */
	if (cx->ansi && l->id == SL_STRING && r->id == SL_STRING)
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE",
			"the binary operator requires numeric operands, not "
			"two strings, in '%s'",
			sl_sql_of(cx, e));
	/* Spark casts strings in arithmetic to double, with ANSI on to
	 * bigint unless the other side is a double */
	const sl_dtype *st =
		cx->ansi && l->id != SL_DOUBLE && r->id != SL_DOUBLE &&
				l->id != SL_DECIMAL && r->id != SL_DECIMAL &&
				l->id != SL_FLOAT && r->id != SL_FLOAT
			? &sl_dtype_long
			: &sl_dtype_double;
	if (l->id == SL_STRING)
		l = st;
	if (r->id == SL_STRING)
		r = st;
	if ((l->id != SL_NULL && !sl_is_numeric(l)) ||
	    (r->id != SL_NULL && !sl_is_numeric(r)))
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
			"differing types in '%s' (%s and %s)",
			sl_sql_of(cx, e), tname(e->args[0]->type, ta, 128),
			tname(e->args[1]->type, tb, 128));
	if ((l->id == SL_DECIMAL || r->id == SL_DECIMAL) &&
	    l->id != SL_DOUBLE && r->id != SL_DOUBLE && l->id != SL_FLOAT &&
	    r->id != SL_FLOAT) {
		int rc = sl_bind_dec_arith(cx, e, err);
		return rc ? rc : sl_pick_eval(cx, e, err);
	}
	const sl_dtype *t = sl_wider_type(l, r, false);
	/* Spark 4 with ANSI on: a FLOAT meets an integer as a DOUBLE */
	if (cx->ansi && t->id == SL_FLOAT && (l->id != SL_FLOAT || r->id != SL_FLOAT))
		t = &sl_dtype_double;
	if (t->id == SL_NULL)
		t = e->op == '/' ? &sl_dtype_double : &sl_dtype_int;
	if (e->op == '/')
		t = &sl_dtype_double;
	int rc = sl_coerce(cx, &e->args[0], t, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], t, err);
	if (rc)
		return rc;
	e->type = t;
	return sl_pick_eval(cx, e, err);
}

static int bind_cmp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *l = e->args[0]->type, *r = e->args[1]->type;
	if (sl_map_check_orderable(e, err))
		return SL_EANALYSIS;
	const sl_dtype *t = cmp_type(l, r);
	/* with ANSI on a string meets an int as a bigint, as in Spark 4 */
	if (t && cx->ansi &&
	    (t->id == SL_INT || t->id == SL_SHORT || t->id == SL_BYTE) &&
	    (l->id == SL_STRING || r->id == SL_STRING))
		t = &sl_dtype_long;
	if (!t) {
		char ta[128], tb[128];
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
			"differing types in '%s' (%s and %s)",
			sl_sql_of(cx, e), tname(l, ta, sizeof(ta)),
			tname(r, tb, sizeof(tb)));
	}
	int rc = sl_coerce(cx, &e->args[0], t, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], t, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_bool;
	return sl_pick_eval(cx, e, err);
}

static int bind_in(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (sl_map_check_orderable(e, err))
		return SL_EANALYSIS;
	const sl_dtype *t = e->args[0]->type;
	for (uint32_t i = 1; i < e->nargs && t; i++)
		t = sl_common_type(cx, t, e->args[i]->type);
	if (!t) {
		char ta[128];
		return sl_type_mismatch(
			err, e, "arguments must be same type but were: %s",
			tname(e->args[0]->type, ta, sizeof(ta)));
	}
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sl_coerce(cx, &e->args[i], t, err);
		if (rc)
			return rc;
	}
	e->type = &sl_dtype_bool;
	return sl_pick_eval(cx, e, err);
}

static int bind_case(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	bool has_else = e->flags & EXF_HAS_ELSE;
	uint32_t pairs = (e->nargs - has_else) / 2;
	const sl_dtype *t = &sl_dtype_null;
	for (uint32_t i = 0; i < pairs; i++) {
		int rc = need_bool(cx, e, 2 * i, err);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < e->nargs && t; i++)
		if (i % 2 == 1 || (has_else && i == e->nargs - 1))
			t = sl_common_type(cx, t, e->args[i]->type);
	if (!t)
		return sl_type_mismatch(err, e,
					"THEN and ELSE expressions should all "
					"be same type or coercible to a common "
					"type");
	for (uint32_t i = 0; i < e->nargs; i++) {
		if (i % 2 == 1 || (has_else && i == e->nargs - 1)) {
			int rc = sl_coerce(cx, &e->args[i], t, err);
			if (rc)
				return rc;
		}
	}
	e->type = t;
	return sl_pick_eval(cx, e, err);
}

static int bind_cast(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	const sl_expr *c = e->args[0];
	if (!sl_can_cast(c->type, e->type)) {
		char ta[128], tb[128];
		return sl_type_mismatch(err, e, "cannot cast %s to %s",
					tname(c->type, ta, sizeof(ta)),
					tname(e->type, tb, sizeof(tb)));
	}
	/* Spark names CAST(col AS t) after the column (ResolveAliases'
	 * Cast(NamedExpression) rule); a struct field is no named
	 * expression there, so CAST(st.a AS STRING) keeps its text. */
	if (c->kind == EX_COL)
		e->name = c->name;
	e->eval = sl_cast_evaluator(c->type, e->type);
	if (cx->ansi && !e->op)
		e->flags |= EXF_ANSI;
	if (c->kind == EX_LIT)
		*slot = fold(cx, e);
	return 0;
}

/* A generator is only allowed at the root of a select item. */
static int check_nested_generators(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_expr *c = e->args[i];
		if (c && c->kind == EX_FUNC && c->fn && (c->fn->flags & FN_GEN))
			return sl_bind_fail(
				err, c, SL_EANALYSIS,
				"generators are not supported when nested in "
				"expressions, but got: %s",
				sl_sql_of(cx, e));
	}
	return 0;
}

int sl_bind_node(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	int rc = 0;
	switch (e->kind) {
	case EX_LIT:
		e->eval = ev_lit;
		e->sql = sl_lit_sql(cx, &e->lit, e->type);
		return 0;
	case EX_COL: return sl_bind_col(cx, slot, err);
	case EX_STAR:
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "invalid usage of '*': a star selects all "
				    "columns only as a whole select item or "
				    "inside struct()");
	case EX_FUNC:
		rc = bind_func(cx, e, err);
		return rc ? rc : check_nested_generators(cx, e, err);
	default: break;
	}
	if (sl_chain_starts(e))
		return sl_bind_chain(cx, slot, err);
	for (uint32_t i = 0; i < e->nargs; i++)
		if ((rc = sl_bind_node(cx, &e->args[i], err)))
			return rc;
	e->sql = sl_node_sql(cx, e);
	return sl_bind_operator(cx, slot, err);
}

/* Binds *slot (an operator node whose children are bound). */
int sl_bind_operator(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	int rc;
	if ((rc = check_nested_generators(cx, e, err)))
		return rc;
	switch (e->kind) {
	case EX_FIELD: return sl_bind_field(cx, e, err);
	case EX_INDEX: return sl_bind_index(cx, e, err);
	case EX_NEG: {
		const sl_dtype *t = e->args[0]->type;
		if (sl_is_interval(t))
			return sl_bind_interval_neg(cx, e, err);
		if (t->id == SL_STRING || t->id == SL_NULL)
			t = &sl_dtype_double;
		if (!sl_is_numeric(t)) {
			char tb[128];
			return sl_type_mismatch(
				err, e, "'%s' is of %s type, not numeric",
				e->args[0]->sql,
				tname(e->args[0]->type, tb, sizeof(tb)));
		}
		if ((rc = sl_coerce(cx, &e->args[0], t, err)))
			return rc;
		e->type = t;
		return sl_pick_eval(cx, e, err);
	}
	case EX_NOT:
		if ((rc = need_bool(cx, e, 0, err)))
			return rc;
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_AND:
	case EX_OR:
		if ((rc = need_bool(cx, e, 0, err)) ||
		    (rc = need_bool(cx, e, 1, err)))
			return rc;
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_ISNULL:
		/* op 1: IS [NOT] UNKNOWN, which takes a boolean only */
		if (e->op && e->args[0]->type->id != SL_BOOL &&
		    e->args[0]->type->id != SL_NULL) {
			char ta[64];
			return sl_type_mismatch_cls(
				err, e, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
				"IS UNKNOWN takes a boolean, not %s",
				tname(e->args[0]->type, ta, sizeof(ta)));
		}
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_ARITH: return bind_arith(cx, e, err);
	case EX_CMP: return bind_cmp(cx, e, err);
	case EX_IN: return bind_in(cx, e, err);
	case EX_LIKE:
		if (e->op)
			return sl_bind_rlike(cx, e, err);
		if ((rc = sl_coerce(cx, &e->args[0], &sl_dtype_string, err)) ||
		    (rc = sl_coerce(cx, &e->args[1], &sl_dtype_string, err)))
			return rc;
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_CASE: return bind_case(cx, e, err);
	case EX_CAST: return bind_cast(cx, slot, err);
	default:
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "cannot bind expression");
	}
}

/* ---- public ----------------------------------------------------------- */

const sl_expr_options sl_expr_defaults = { .ansi = true };

int sl_expr_bind(sl_expr *e, const sl_schema *in, sl_arena *a, sl_err *err)
{
	return sl_expr_bind_with(e, in, NULL, a, err);
}

int sl_expr_bind_with(sl_expr *e, const sl_schema *in,
		      const sl_expr_options *opts, sl_arena *a, sl_err *err)
{
	if (!opts)
		opts = &sl_expr_defaults;
	sl_bind_ctx cx = { .in = in, .a = a, .ansi = opts->ansi,
			   .map_last_win = opts->map_last_win };
	if (e->flags & EXF_BOUND && e->eval)
		return 0;
	sl_expr *slot = e;
	const char *alias = e->alias;
	int rc = sl_bind_node(&cx, &slot, err);
	if (rc)
		return rc < 0 ? rc : SL_EANALYSIS;
	if (slot != e) {
		/* The caller holds e: the replacement (a resolved field
		 * chain, a folded literal) moves into it. No node refers to
		 * the root, so the copy is safe. */
		*e = *slot;
		if (!e->alias)
			e->alias = alias;
	}
	e->flags |= EXF_BOUND;
	sl_expr_cache_vops(e, 0);
	return 0;
}

const sl_dtype *sl_expr_type(const sl_expr *e)
{
	return e->type ? e->type : &sl_dtype_null;
}

const char *sl_expr_name(const sl_expr *e)
{
	if (e->alias)
		return e->alias;
	if (e->kind == EX_FUNC && e->fn && (e->fn->flags & FN_GEN))
		return "col";
	if (e->name)
		return e->name;
	return e->sql ? sl_spelled_sql(e) : "";
}

bool sl_expr_is_generator(const sl_expr *e)
{
	const sl_func *f = e->kind != EX_FUNC ? NULL
			   : e->fn	      ? e->fn
					      : sl_func_find(e->ident);
	return f && (f->flags & FN_GEN);
}

bool sl_expr_has_aggregate(const sl_expr *e)
{
	if (!e)
		return false;
	if (e->kind == EX_FUNC) {
		const sl_func *f = sl_func_find(e->ident);
		if (f && (f->flags & FN_AGG))
			return true;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		if (sl_expr_has_aggregate(e->args[i]))
			return true;
	return false;
}

bool sl_expr_is_star(const sl_expr *e)
{
	return e->kind == EX_STAR;
}

int sl_expr_eval(const sl_expr *e, const sl_value *row, sl_arena *out_arena,
		 sl_value *out, sl_err *err)
{
	return e->eval(e, row, out_arena, out, err);
}

int sl_expr_eval_generator(const sl_expr *e, const sl_value *row,
			   sl_arena *out_arena, sl_value *out, sl_err *err)
{
	if (!sl_expr_is_generator(e) || !e->fn)
		return sl_err_set(err, SL_EINVAL,
				  "'%s' is not a bound generator",
				  e->sql ? e->sql : "?");
	return e->eval(e, row, out_arena, out, err);
}
